"""Turn whatever Azure (or the network) answered into one clear sentence with the next action.

`explain(exc)` never raises and never returns a traceback: it reads the ARM error code and message, pulls out
the action and scope where ARM names them, and says which role grants what is missing. The request and
correlation ids Azure support asks for are kept beside the sentence, not in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from wizard.core.constants import ASTRO_DNS_ZONE, ENV_ACCESS_TOKEN, ENV_CA_FILE
from wizard.core.ids import name_of
from wizard.core.settings import hide_secrets


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


def is_busy_conflict(exc: BaseException) -> bool:
    """Private DNS's 409 for a write while another operation of the same zone or link is queued: "Another
    operation is pending for requested object. Operation group '...' already has 1 operations like '...'
    queued." (Azure-Samples/azure-ml-federated-learning#137, openshift/hypershift's azure network code). It says
    nothing about what exists."""
    err = getattr(exc, "error", None)
    message = getattr(err, "message", None) or getattr(exc, "message", None) or str(exc)
    return getattr(exc, "status_code", None) == 409 and _queued(message)


def _queued(message: str) -> bool:
    low = message.lower()
    return "operations like" in low and "queued" in low


class StepFailed(Exception):
    """A step could not finish; `explained` says why and what to do next. `made`: record key -> id of what the step
    did create before it failed (several links at once: one refused, another made), so it stays recorded as ours."""

    def __init__(self, explained: Explained, *, made: dict[str, str] | None = None) -> None:
        super().__init__(explained.sentence)
        self.explained = explained
        self.made = dict(made or {})


def role_for(action: str) -> str:
    """The built-in role that grants an ARM action, for the ones this tool performs."""
    low = action.lower()
    if low == "microsoft.resources/subscriptions/resourcegroups/read":
        return "Reader"   # any role on the group includes it; Reader is the least
    if low.startswith("microsoft.network/privatednszones"):
        return "Private DNS Zone Contributor"
    if low.startswith("microsoft.resources") or low.startswith("microsoft.authorization"):
        return "Contributor"
    return "Network Contributor"


_ACTION_SCOPE = re.compile(r"perform action '([^']+)' over scope '([^']+)'", re.I)
_LINKED = re.compile(
    r"does not have permission to perform action(?:\(s\))? '([^']+)' on the linked scope\(s\) '([^']+)'", re.I)
# The two LinkedAuthorizationFailed shapes that name no role but a subscription (they name the linked action):
# "... has permission to perform action 'A' on scope 'S', however the current tenant 'T' is not authorized to access
# linked subscription 'X'." (Azure/OpenShift#41, Azure/azure-cli-extensions#7143) and "..., however the linked
# subscription 'X' was not found." (Azure/Azure-Landing-Zones#3506, hashicorp/terraform-provider-azurerm#14021).
_LINKED_TENANT = re.compile(r"perform action '([^']*)' on scope '([^']*)', however the current tenant '([^']*)' is "
                            r"not authorized to access linked subscription '([^']*)'", re.I)
_LINKED_MISSING = re.compile(r"perform action '([^']*)' on scope '([^']*)', however the linked subscription '([^']*)' "
                             r"was not found", re.I)
_ON_SCOPE = re.compile(r"on scope '([^']+)'", re.I)
_REFERENCED = re.compile(r"Resource (\S+) referenced by resource (\S+) was not found", re.I)


def join_action_for(resource_id: str) -> str:
    """The linked action a write of this resource needs on the network it attaches to: a VNet link joins the VNet,
    anything else here (a private endpoint) joins a subnet."""
    if "/virtualnetworklinks/" in resource_id.lower():
        return "Microsoft.Network/virtualNetworks/join/action"
    return "Microsoft.Network/virtualNetworks/subnets/join/action"


def _linked(code: str, message: str, ids: dict) -> Explained:
    """LinkedAuthorizationFailed: the write is allowed, but not on the subnet / VNet it refers to."""
    m = _LINKED_TENANT.search(message)
    if m:
        action = m.group(1) if "/" in m.group(1) else join_action_for(m.group(2))
        return Explained(code, f"The network this refers to is in subscription {m.group(4)}, which belongs to another "
                               f"Azure tenant than the one you signed in to ({m.group(3)}): sign in with an account of "
                               f"that tenant that has '{action}' there (Network Contributor on the VNet), or use a "
                               "VNet of your own tenant, then run again.", **ids)
    m = _LINKED_MISSING.search(message)
    if m:
        action = m.group(1) if "/" in m.group(1) else join_action_for(m.group(2))
        return Explained(code, f"Azure cannot find subscription {m.group(3)}, where the network this refers to should "
                               f"be (it needs '{action}' there): check the subscription id in the VNet id of your "
                               "answers, and that your account can see that subscription, then run again.", **ids)
    m = _LINKED.search(message)
    if m:
        action, scope = m.group(1), m.group(2)
    else:
        on = _ON_SCOPE.search(message)
        action, scope = join_action_for(on.group(1) if on else ""), "the virtual network"
    return Explained(code, f"You may create the resource but not use the network it attaches to: you need "
                           f"'{action}' on {scope} (Network Contributor on that VNet, or a custom role with that "
                           "action); ask an Azure admin, then run again.", **ids)


def explain(exc: BaseException, *, alias: str | None = None, subscription_id: str | None = None) -> Explained:
    """One sentence for any exception the Azure SDK or the network raised; the access token never in it (an HTTP
    client quotes a header it refuses, and messages are shown, logged and put in `report`)."""
    explained = _explain(exc, alias=alias, subscription_id=subscription_id)
    sentence = hide_secrets(explained.sentence)
    return explained if sentence == explained.sentence else replace(explained, sentence=sentence)


def _explain(exc: BaseException, *, alias: str | None, subscription_id: str | None) -> Explained:
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
        token_problem = _token_refused(exc)
        if token_problem is not None:
            return token_problem
        return Explained("NotSignedIn", NO_CREDENTIAL_MESSAGE + " Azure did not accept the current credential.",
                         status=getattr(exc, "status_code", None))
    if isinstance(exc, HttpResponseError):
        return _explain_http(exc, alias=alias, subscription_id=subscription_id)
    if isinstance(exc, ServiceRequestError) and _untrusted_certificate(exc):
        return Explained("CertificateNotTrusted",
                         "Azure's address answered with a certificate this machine does not trust (a proxy that "
                         f"inspects TLS?): set {ENV_CA_FILE} (or REQUESTS_CA_BUNDLE) to a PEM file with that proxy's "
                         "CA certificate, then run again; nothing was changed by this attempt.")
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


_ISSUER = re.compile(r"wrong issuer 'https://sts\.windows\.net/([^/']+)/?'.*?tenant 'https://sts\.windows\.net/([^/']+)/?'")


def _token_refused(exc: BaseException) -> Explained | None:
    """ARM's 401 answers about the token itself (wizard/sandbox/tokens.py quotes them): expired, of another tenant than
    the subscription's, or for another audience; None for any other 401."""
    err = getattr(exc, "error", None)
    code = (getattr(err, "code", None) or "").strip()
    message = (getattr(err, "message", None) or "").strip()
    status = getattr(exc, "status_code", None)
    if code == "ExpiredAuthenticationToken":
        return Explained(code, "Your Azure access token has expired: get a new one (run `az login` again, or set "
                               f"{ENV_ACCESS_TOKEN} to a fresh `az account get-access-token`), then run the same "
                               "command again; it continues where it stopped.", status=status)
    if code == "InvalidAuthenticationTokenTenant":
        m = _ISSUER.search(message)
        token_tenant, sub_tenant = (m.group(1), m.group(2)) if m else ("another tenant", "the subscription's tenant")
        return Explained(code, f"Your access token is for tenant {token_tenant}, but the subscription belongs to "
                               f"tenant {sub_tenant}: sign in to that tenant (`az login --tenant {sub_tenant}`, or "
                               f"--tenant {sub_tenant}), then run again.", status=status)
    if code == "InvalidAuthenticationTokenAudience":
        return Explained(code, "Your access token is not for Azure Resource Manager: get one with `az account "
                               "get-access-token` (no --resource), or pick the right --cloud, then run again.",
                         status=status)
    return None


def _untrusted_certificate(exc: BaseException) -> bool:
    """Whether TLS verification of the server's certificate failed somewhere in the exception's chain (requests
    wraps ssl's SSLCertVerificationError in urllib3's and its own SSLError; azure-core in ServiceRequestError)."""
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "inner_exception", None)
    return False


def _short(exc: BaseException) -> str:
    text = hide_secrets(str(exc)).strip().splitlines()  # before cutting: a cut token would no longer be recognised
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
        return _linked(code, message, ids)
    if low == "invalidresourcereference":
        m = _REFERENCED.search(message)
        if m and "same region" in message:
            return Explained(code, f"The endpoint and its virtual network {name_of(m.group(1))} must be in the same "
                                   "region: choose the VNet's region (or a VNet in the region you want), then run "
                                   "again.", **ids)
        return Explained(code, f"Azure could not find a resource the request refers to ({message}): check the "
                               "names in your answers, then run again.", **ids)
    if "doesnotexistorisnotvisible" in low or "privatelinkservicenotfound" in low:
        sub = f" subscription {subscription_id}" if subscription_id else " your subscription"
        return Explained(code, f"Azure cannot see the Private Link Service alias {alias or ''} from{sub}: check the "
                               "alias with Astronomer support and ask them to allow this subscription for it.", **ids)
    if low == "requestdisallowedbypolicy":
        return _policy(code, message, getattr(err, "additional_info", None) or [], ids)
    if low in _NETWORK_REFUSALS:
        return Explained(code, _NETWORK_REFUSALS[low](message, alias), **ids)
    if low == "cannotdeleteresource" or "contains custom nic name" in message.lower():
        return Explained(code, _lingering(message), **ids)
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
    if status == 409 and _queued(message):
        # Private DNS takes one operation at a time per zone or link (terraform-provider-azurerm#29354).
        return Explained(code, "Azure is still busy with another change to the private DNS zone (it takes one at a "
                               "time): wait a minute, then run again; nothing is lost.", **ids)
    if low == "preconditionfailed":
        return Explained(code, "Someone changed this resource while the tool was working on it: run plan again to "
                               "see its current state.", **ids)
    return Explained(code, f"Azure refused the request ({code}: {message or 'no message'}): fix the cause, then run "
                           "again; re-running is safe.", **ids)


# ---- policy denials, and the network refusals the preflight and the retries are for ------------------------------
_POLICY_REASONS = re.compile(r"Reasons: '(.*)'\. See error details", re.S)
_RESOURCE = re.compile(r"Resource '([^']+)' was disallowed by policy", re.I)
_NESTED = re.compile(r"nested resource IDs include: '([^']+)'", re.I)
_SUBNET_ID = re.compile(r"subnet (/subscriptions/\S+?) is delegated", re.I)
_NIC_NAME = re.compile(r"custom NIC name (\S+) which already exists", re.I)


def _policy(code: str, message: str, additional: list, ids: dict) -> Explained:
    """RequestDisallowedByPolicy: any Azure Policy can deny a request (an allowed-locations one without 'global', a
    hub-and-spoke estate's "no private DNS zones in spokes"); the assignment and definition come from the error's
    PolicyViolation entries, as ARM sends them ("... See error details for policy resource IDs.")."""
    what = (_RESOURCE.search(message) or _NO_MATCH).group(1) or "the resource"
    reason = (_POLICY_REASONS.search(message) or _NO_MATCH).group(1)
    said = f" (it says: '{reason.strip()}')" if reason else ""
    violations = [dict(getattr(a, "info", {}) or {}) for a in additional if getattr(a, "type", "") == "PolicyViolation"]
    if not violations:
        return Explained(code, f"An Azure Policy refused {what}{said}, and Azure did not say which: ask your Azure "
                               "admin which policy assignment denies it and for an exemption for this resource group, "
                               "then run again.", **ids)
    v = violations[0]
    assignment = v.get("policyAssignmentDisplayName") or v.get("policyAssignmentName") or "?"
    definition = v.get("policyDefinitionDisplayName") or v.get("policyDefinitionName") or "?"
    scope = v.get("policyAssignmentScope") or "its scope"
    named = (f"Azure Policy assignment '{assignment}' (definition '{definition}', assigned at {scope}) refused "
             f"{what}{said}")
    if _denies_global(v):
        return Explained(code, f"{named}, because it does not allow the location 'global', which private DNS zones and "
                               "their links must use: ask your Azure admin to allow 'global' in that assignment or to "
                               "exempt this resource group, then run again.", **ids)
    if "privatednszones" in _evaluated_types(v):
        return Explained(code, f"{named}; where private DNS zones live in a central hub subscription, ask your "
                               f"platform team to create {ASTRO_DNS_ZONE} there and link your VNet to it, or ask for "
                               "an exemption for this resource group, then run again.", **ids)
    return Explained(code, f"{named}: ask your Azure admin for an exemption for this resource group or a change to "
                           "that assignment, then run again.", **ids)


def _denies_global(violation: dict) -> bool:
    """The policy refused the location 'global' (an allowed-locations policy), as its evaluated expressions say."""
    for e in ((violation.get("evaluationDetails") or {}).get("evaluatedExpressions") or []):
        said = {k: str(e.get(k, "")).lower() for k in ("expression", "expressionValue", "result")}
        if said == {"expression": "location", "expressionValue": "global", "result": "true"}:
            return True
    return False


def _evaluated_types(violation: dict) -> str:
    return " ".join(str(e.get("expressionValue", "")).lower() for e in (
        (violation.get("evaluationDetails") or {}).get("evaluatedExpressions") or []) if e.get("expression") == "type")


def _delegated(message: str, alias: str | None) -> str:
    subnet = name_of((_SUBNET_ID.search(message) or _NO_MATCH).group(1) or "") or "the subnet"
    return (f"Azure creates no private endpoint in a delegated subnet, and '{subnet}' is delegated (an AKS pod subnet "
            "is): choose a subnet without delegation, then run again.")


def _full(message: str, alias: str | None) -> str:
    return (f"The subnet has no free address for the endpoint ({message.rstrip('.')}): choose a subnet with free "
            "addresses (an Azure CNI node subnet is often full), then run again.")


def _invalid_pls_id(message: str, alias: str | None) -> str:
    which = f"alias {alias.strip()}" if alias else "alias"
    return (f"Azure kept answering that the Private Link Service {which} is invalid (InvalidPrivateLinkServiceId), "
            "also after waiting: check with Astronomer support that the alias is exactly the one they sent and that "
            "it is still offered, then run again.")


def _connection_changed(message: str, alias: str | None) -> str:
    return ("A private endpoint of that name already exists with another connection or subnet, and Azure never changes "
            "those: choose another endpoint name, or delete that endpoint if nothing uses it, then run again.")


_NETWORK_REFUSALS = {
    "privateendpointcreationnotallowedassubnetisdelegated": _delegated,
    "subnetisfull": _full,
    "invalidprivatelinkserviceid": _invalid_pls_id,
    "cannotchangeprivatelinkconnectiononprivateendpoint": _connection_changed,
    "cannotchangesubnetonexistingprivateendpoint": _connection_changed,
}


def _lingering(message: str) -> str:
    """What Azure still holds for a while after a delete: a zone's links, a deleted endpoint's NIC."""
    nic = (_NIC_NAME.search(message) or _NO_MATCH).group(1)
    if nic:
        return (f"A network interface named {nic} still exists (a deleted endpoint's interface can take minutes to "
                "go): wait a few minutes and run again, or choose another NIC name.")
    nested = (_NESTED.search(message) or _NO_MATCH).group(1) or "a virtual network link"
    return (f"Azure refused to delete the zone while it lists {nested} under it (it still does for a few minutes "
            "after a link is deleted), so the zone was kept: run destroy again in a few minutes.")


class _NoMatch:
    """A stand-in for a failed regex match: every group is empty."""

    def group(self, _index: int) -> str:
        return ""


_NO_MATCH = _NoMatch()
