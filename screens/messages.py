"""The typed Messages screens receive: from the App (what changed in its state) and from their own thread
workers (what a background read found).

None of them bubbles: each is meant for the screen it is posted to. (A bubbling message handled by a screen
would go on to the App, which has handlers of its own for the engine's events.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover
    from screens.widgets.picker import PickItem
    from steps.base import Plan
    from steps.context import EndpointInfo
    from steps.verify.models import VerifyReport
    from wizard.core.azure import SignedInIdentity
    from wizard.engine import Event, RunResult


# -- from the App ----------------------------------------------------------------------------------------
class EngineUpdate(Message, bubble=False):
    """An engine reported progress; the App has already recorded the step's new state."""

    def __init__(self, event: Event, token: object = None) -> None:
        super().__init__()
        self.event = event
        self.token = token  # whoever asked for the engine (`make_engine(token=...)`), to tell runs apart


class ApplyFinished(Message, bubble=False):
    """The Create steps finished (`result`), or could not start (`error`, one sentence)."""

    def __init__(self, result: RunResult | None, error: str | None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class Refresh(Message, bubble=False):
    """The App's state changed from outside the screen (the demo sandbox started): redraw from it."""


# -- from a screen's own workers -------------------------------------------------------------------------
class SignInChecked(Message, bubble=False):
    """Who is signed in to Azure (`identity`), or why nobody is (`error`)."""

    def __init__(self, identity: SignedInIdentity | None, error: str | None = None, *, run: object = None) -> None:
        super().__init__()
        self.identity = identity
        self.error = error
        self.run = run  # which check (the screen drops an earlier one's answers)


class SubscriptionsListed(Message, bubble=False):
    def __init__(self, items: list[PickItem], error: str | None = None, *, run: object = None) -> None:
        super().__init__()
        self.items = items
        self.error = error
        self.run = run  # which check (the screen drops an earlier one's answers)


class VnetRead(Message, bubble=False):
    """The chosen VNet's details are in the listings' cache now (or `error` says why not)."""

    def __init__(self, error: str | None = None) -> None:
        super().__init__()
        self.error = error


class PlansRead(Message, bubble=False):
    """The plan of every step, read from Azure (or `error`)."""

    def __init__(self, plans: list[Plan], error: str | None = None) -> None:
        super().__init__()
        self.plans = plans
        self.error = error


class ExportWritten(Message, bubble=False):
    def __init__(self, path: str | None, error: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.error = error


class SupportTextRead(Message, bubble=False):
    """The text to send Astronomer support, as the approval check read it."""

    def __init__(self, text: str, token: object) -> None:
        super().__init__()
        self.text = text
        self.token = token


class ApprovalChecked(Message, bubble=False):
    """An approval check (with its wait) finished, or failed (`error`)."""

    def __init__(self, result: RunResult | None, error: str | None, token: object) -> None:
        super().__init__()
        self.result = result
        self.error = error
        self.token = token


class DemoApproved(Message, bubble=False):
    """The demo sandbox approved the connection."""


class VerifyFinished(Message, bubble=False):
    """The verify checks' report, or why they could not run (`error`)."""

    def __init__(self, report: VerifyReport | None, error: str | None = None) -> None:
        super().__init__()
        self.report = report
        self.error = error


class EndpointRead(Message, bubble=False):
    """The private endpoint as Azure has it (None when it could not be read: then `error`)."""

    def __init__(self, endpoint: EndpointInfo | None, error: str | None = None) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.error = error


class TenantsListed(Message, bubble=False):
    """The tenants the signed-in account may switch to (empty: one, or a static access token), the one its tokens are
    for now (`current`), or why they could not be listed (`error`)."""

    def __init__(self, items: list[PickItem], current: str | None, error: str | None = None, *,
                 run: object = None) -> None:
        super().__init__()
        self.items = items
        self.current = current
        self.error = error
        self.run = run  # which check (the screen drops an earlier one's answers)


class LoginOutput(Message, bubble=False):
    """What `az login` printed so far (the device code among it)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class LoginFinished(Message, bubble=False):
    """`az login` ended with `code` (None: it could not be run); `lines` is all it printed."""

    def __init__(self, code: int | None, lines: list[str]) -> None:
        super().__init__()
        self.code = code
        self.lines = lines


class OrganizationsRead(Message, bubble=False):
    """The Astro organizations the token sees (read with `settings`), or why not (`error`, one sentence)."""

    def __init__(self, settings: object, orgs: list[dict[str, object]], error: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.orgs = orgs
        self.error = error


class RangesRead(Message, bubble=False):
    """The Deployment's allowed IP address ranges now and the range offered to add, or why not (`error`)."""

    def __init__(self, ranges: list[str], cidr: str, error: str | None = None) -> None:
        super().__init__()
        self.ranges = ranges
        self.cidr = cidr
        self.error = error


class RangesChanged(Message, bubble=False):
    """A range added (or this tool's ranges removed: `undo`): whether Astro was written and the ranges after; or
    why not (`error`)."""

    def __init__(self, cidr: str, undo: bool, wrote: bool, after: list[str], error: str | None = None) -> None:
        super().__init__()
        self.cidr = cidr
        self.undo = undo
        self.wrote = wrote
        self.after = after
        self.error = error


class AstroHealthRead(Message, bubble=False):
    """Astro's status of the picked Deployment (`screens.astro_pick.deployment_health`'s answer)."""

    def __init__(self, found: object) -> None:
        super().__init__()
        self.found = found


class TenantFallback(Message, bubble=False):
    """The tenant saved with the answers gave no token: the sign-in page goes on in the account's own tenant."""

    def __init__(self, tenant: str) -> None:
        super().__init__()
        self.tenant = tenant
