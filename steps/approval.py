"""Step 6 — approval: Astronomer support approves the endpoint's connection; the tool reads its state.

Pending -> waiting, with the text to send Astronomer support; Approved -> done; Rejected or Disconnected ->
failed, with what to do (the documentation says a disconnected endpoint should be deleted and recreated).
`wait_for_approval` polls with backoff: a few seconds at first, then up to about a minute. Approval can take hours
or days: a refreshing credential (`az login`) hands the clients a new token before each one expires, so the wait
goes on; a static token (ASTRO_PL_ACCESS_TOKEN) cannot be renewed, and when ARM answers 401 ExpiredAuthenticationToken
(or any other refusal of the sign-in) the wait stops cleanly as resumable (`Stopped`), saying how to go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from steps.base import Action, Outcome, Plan, Progress, Step, Stopped, retry_after_seconds
from steps.context import EndpointInfo, SetupContext
from wizard.core.constants import CONNECTION_NAME, ENV_ACCESS_TOKEN

# explain() codes meaning the sign-in itself was refused or lapsed: waiting longer cannot help.
SIGN_IN_LAPSED = frozenset({"ExpiredAuthenticationToken", "NotSignedIn", "InvalidAuthenticationToken",
                            "InvalidAuthenticationTokenTenant", "InvalidAuthenticationTokenAudience"})


@dataclass
class ApprovalPayload:
    """The message to send Astronomer support (shown while pending, kept once approved)."""

    support_text: str


@dataclass
class ApprovalObservation:
    endpoint: EndpointInfo | None


def support_request(ctx: SetupContext, pe: EndpointInfo | None) -> str:
    """The message to send Astronomer support so they can approve the connection."""
    rid = pe.id if pe else "(created in step 2)"
    conn = (pe.connection_name if pe else None) or CONNECTION_NAME
    region = (pe.location if pe else None) or ctx.config.region or "(the VNet's region)"
    return (
        "Hello Astronomer support,\n\n"
        f"please approve the Azure Private Link connection for Astro cluster {ctx.cluster_id}.\n\n"
        f"  Private endpoint: {rid}\n"
        f"  Connection name:  {conn}\n"
        f"  Region:           {region}\n"
        f"  Cluster ID:       {ctx.cluster_id}\n"
        f"  Alias:            {ctx.config.alias.strip()}\n\n"
        "Thank you.")


class WaitForApproval(Step[ApprovalObservation, ApprovalPayload]):
    key = "approval"
    depends_on = ("private_endpoint",)

    def inspect(self, ctx: SetupContext) -> ApprovalObservation:
        return ApprovalObservation(endpoint=ctx.endpoint())

    def plan(self, ctx: SetupContext, observation: ApprovalObservation) -> Plan[ApprovalPayload]:
        pe = observation.endpoint
        if pe is None:
            return Plan(self.key, Action.BLOCKED, "Waits for the private endpoint (step 2); then Astronomer support "
                                                  "approves its connection.")
        status = (pe.connection_status or "Pending").lower()
        text = support_request(ctx, pe)
        if status == "approved":
            return Plan(self.key, Action.DONE, "Astronomer approved the connection.", payload=ApprovalPayload(text))
        if status == "rejected":
            return Plan(self.key, Action.FAILED,
                        "Astronomer rejected the connection: contact Astronomer support with the details below; once "
                        "they allow it, delete the endpoint (destroy) and run apply again.",
                        details=text.splitlines(), payload=ApprovalPayload(text))
        if status == "disconnected":
            return Plan(self.key, Action.FAILED,
                        "The connection is Disconnected and cannot carry traffic again: delete the private endpoint "
                        "(astro-privatelink destroy) and run apply again, then ask Astronomer support to approve "
                        "the new one.", details=text.splitlines(), payload=ApprovalPayload(text))
        desc = pe.connection_description or "Awaiting approval"
        return Plan(self.key, Action.WAITING,
                    f"The connection is Pending ({desc}): send Astronomer support the text below; DNS work goes on "
                    "meanwhile.", details=text.splitlines(), payload=ApprovalPayload(text))

    def apply(self, ctx: SetupContext, plan: Plan[ApprovalPayload], progress: Progress) -> Outcome:
        return Outcome(self.key, plan.state, plan.summary, details=plan.details)

    def wait_for_approval(self, ctx: SetupContext, progress: Progress, *, first: float = 3.0, longest: float = 60.0,
                          factor: float = 1.5, timeout: float | None = None,
                          clock: Callable[[], float] = time.monotonic) -> Plan[ApprovalPayload]:
        """Poll until the connection leaves Pending (or the timeout); returns the last plan."""
        from azure.core.exceptions import HttpResponseError

        from wizard.core.errors import explain

        started = clock()
        delay = first
        while True:
            ctx.refresh("endpoint")
            try:
                plan = self.run_plan(ctx)
            except HttpResponseError as exc:  # throttled or a blip: say so and keep waiting
                explained = explain(exc)
                if explained.code == "ExpiredAuthenticationToken":
                    raise Stopped("Stopped waiting for approval: the Azure access token expired; get a fresh one "
                                  f"(`az login`, or a new {ENV_ACCESS_TOKEN} from `az account get-access-token`).") \
                        from exc
                if explained.code in SIGN_IN_LAPSED:
                    raise Stopped(f"Stopped waiting for approval: {explained.sentence}") from exc
                progress(self.key, f"could not read the connection state ({explained.code}); trying again")
                delay = max(delay, retry_after_seconds(getattr(exc.response, "headers", None), default=0.0))
                plan = None
            if plan is not None and plan.action is not Action.WAITING:
                return plan
            elapsed = clock() - started
            if timeout is not None and elapsed >= timeout:
                return plan or Plan(self.key, Action.WAITING, "Still waiting for approval.")
            progress(self.key, f"waiting for Astronomer to approve ({int(elapsed)}s; next check in {delay:.0f}s)")
            if ctx.cancel.wait(delay):
                raise Stopped("Stopped while waiting for approval.")
            delay = min(longest, delay * factor)
