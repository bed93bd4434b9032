"""Turn whatever Azure (or the network) answered into one clear sentence with the next action.

`explain(exc)` never raises and never returns a traceback: it reads the ARM error code and message, pulls out
the action and scope where ARM names them, and says which role grants what is missing. The request and
correlation ids Azure support asks for are kept beside the sentence, not in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.core.constants import ASTRO_DNS_ZONE


@dataclass(frozen=True)
class Explained:
    """An error as the user reads it."""

    code: str
    sentence: str
    status: int | None = None
    request_id: str | None = None
    correlation_id: str | None = None

    def __str__(self) -> str:
        return self.sentence


class StepFailed(Exception):
    """A step could not finish; `explained` says why and what to do next."""

    def __init__(self, explained: Explained) -> None:
        super().__init__(explained.sentence)
        self.explained = explained


def role_for(action: str) -> str:
    """The built-in role that grants an ARM action, for the ones this tool performs."""
    low = action.lower()
    if low.startswith("microsoft.network/privatednszones"):
        return "Private DNS Zone Contributor"
    if low.startswith("microsoft.resources") or low.startswith("microsoft.authorization"):
        return "Contributor"
    return "Network Contributor"


_ACTION_SCOPE = re.compile(r"perform action '([^']+)' over scope '([^']+)'", re.I)
_LINKED = re.compile(
    r"does not have permission to perform action(?:\(s\))? '([^']+)' on the linked scope\(s\) '([^']+)'", re.I)
_REFERENCED = re.compile(r"Resource (\S+) referenced by resource (\S+) was not found", re.I)


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def explain(exc: BaseException, *, alias: str | None = None, subscription_id: str | None = None) -> Explained:
    """One sentence for any exception the Azure SDK or the network raised."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    from wizard.core.azure import NO_CREDENTIAL_MESSAGE, AzureAccessError

    if isinstance(exc, StepFailed):
        return exc.explained
    if isinstance(exc, AzureAccessError):
        return Explained("NotSignedIn", str(exc))
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) in (None, 401):
        return Explained("NotSignedIn", NO_CREDENTIAL_MESSAGE + " Azure did not accept the current credential.",
                         status=getattr(exc, "status_code", None))
    if isinstance(exc, HttpResponseError):
        return _explain_http(exc, alias=alias, subscription_id=subscription_id)
    if isinstance(exc, ServiceRequestError):
        return Explained("ConnectionFailed",
                         f"Could not reach Azure ({_short(exc)}): check the network, proxy or --arm-endpoint, then "
                         "run again; nothing was changed by this attempt.")
    if isinstance(exc, ServiceResponseError):
        return Explained("ConnectionDropped",
                         f"The connection to Azure broke before it answered ({_short(exc)}): run again; the tool "
                         "re-reads what exists and continues where it stopped.")
    return Explained(type(exc).__name__, f"Unexpected error: {_short(exc)}. Run again; if it repeats, report it "
                                         "with the output of `astro-privatelink status`.")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _explain_http(exc, *, alias: str | None, subscription_id: str | None) -> Explained:  # noqa: ANN001
    err = getattr(exc, "error", None)
    code = (getattr(err, "code", None) or "").strip() or str(getattr(exc, "reason", "") or "Error")
    message = (getattr(err, "message", None) or exc.message or "").strip()
    status = getattr(exc, "status_code", None)
    headers = exc.response.headers if getattr(exc, "response", None) is not None else {}
    ids = dict(status=status, request_id=headers.get("x-ms-request-id"),
               correlation_id=headers.get("x-ms-correlation-request-id"))
    low = code.lower()

    if low == "authorizationfailed":
        m = _ACTION_SCOPE.search(message)
        if m:
            action, scope = m.group(1), m.group(2)
            return Explained(code, f"Your account may not perform '{action}' on {scope}: ask an Azure admin to "
                                   f"grant you the {role_for(action)} role on that scope (or its resource group), "
                                   "then run this step again.", **ids)
        return Explained(code, f"Azure refused the request for lack of permission ({message}): ask an Azure admin "
                               "for Network Contributor and Private DNS Zone Contributor on the resource group.", **ids)
    if low == "linkedauthorizationfailed":
        m = _LINKED.search(message)
        action, scope = (m.group(1), m.group(2)) if m else ("Microsoft.Network/virtualNetworks/subnets/join/action",
                                                            "the virtual network")
        return Explained(code, f"You may create the resource but not use the network it attaches to: you need "
                               f"'{action}' on {scope} (Network Contributor on that VNet, or a custom role with that "
                               "action); ask an Azure admin, then run again.", **ids)
    if low == "invalidresourcereference":
        m = _REFERENCED.search(message)
        if m and "same region" in message:
            return Explained(code, f"The endpoint and its virtual network {_last(m.group(1))} must be in the same "
                                   "region: choose the VNet's region (or a VNet in the region you want), then run "
                                   "again.", **ids)
        return Explained(code, f"Azure could not find a resource the request refers to ({message}): check the "
                               "names in your answers, then run again.", **ids)
    if "doesnotexistorisnotvisible" in low or "privatelinkservicenotfound" in low:
        sub = f" subscription {subscription_id}" if subscription_id else " your subscription"
        return Explained(code, f"Azure cannot see the Private Link Service alias {alias or ''} from{sub}: check the "
                               "alias with Astronomer support and ask them to allow this subscription for it.", **ids)
    if low == "requestdisallowedbypolicy":
        return Explained(code, "An Azure Policy refused the request (private DNS zones and their links must use the "
                               "location 'global'): ask your admin to allow 'global' for Microsoft.Network/"
                               f"privateDnsZones, or exempt this resource group. Policy said: {message}", **ids)
    if "overlapping namespaces" in message.lower():
        return Explained(code, f"That VNet is already linked to another '{ASTRO_DNS_ZONE}' zone, and Azure allows one: "
                               "use that zone (run plan again: the tool picks a zone already linked to your VNet).",
                         **ids)
    if low == "resourcegroupnotfound":
        return Explained(code, f"{message} Check the resource group name and the subscription, then run again.",
                         **ids)
    if low in ("resourcenotfound", "notfound"):
        return Explained(code, f"{message.split(' For more details')[0]} Check the name, or run plan to see what "
                               "exists.", **ids)
    if status == 429 or low in ("toomanyrequests", "throttled"):
        return Explained(code, "Azure is throttling requests: wait a minute and run again; nothing is lost.", **ids)
    if status is not None and status >= 500:
        return Explained(code, f"Azure had a server error ({code}): run again in a minute; the tool continues where "
                               "it stopped.", **ids)
    if low == "preconditionfailed":
        return Explained(code, "Someone changed this resource while the tool was working on it: run plan again to "
                               "see its current state.", **ids)
    return Explained(code, f"Azure refused the request ({code}: {message or 'no message'}): fix the cause, then run "
                           "again; re-running is safe.", **ids)
