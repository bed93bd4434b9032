"""What the screens use of the App: a typed interface (`WizardHost`), so no screen imports the App module.

`wizard.tui.app.WizardApp` provides every member (mypy checks that, in `wizard.tui.app`); a screen reaches it
as `self.wizard`. What the App tells a screen arrives as a Message (`screens.messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import threading

    from screens.widgets.checklist import Row
    from screens.widgets.picker import Emit, PickItem
    from wizard.core.azure import SignedInIdentity
    from wizard.core.config import SetupConfig
    from wizard.core.record import RecordStore, SetupRecord
    from wizard.engine import Engine, RunResult



class Listings(Protocol):
    """Live reads for the sign-in check and the pickers; every method blocks, so call them in a thread worker."""

    def signed_in(self) -> SignedInIdentity:
        """Who is signed in; raises AzureAccessError (one sentence) when nobody is."""
        ...

    def tenants(self) -> list[PickItem]:
        """The tenants the account may switch to, keyed by id; [] for one tenant or a static access token."""
        ...

    def subscriptions(self) -> list[PickItem]: ...

    def resource_groups(self, subscription_id: str, emit: Emit) -> None:
        """Every resource group of the subscription, handed to `emit` a page at a time."""
        ...

    def vnets(self, subscription_id: str, emit: Emit, first_group: str = "") -> None:
        """Every VNet of the subscription the user can read, handed to `emit` a page at a time (with a note when
        the role covers only some resource groups); those of `first_group` first."""
        ...

    def vnet_details(self, vnet_id: str) -> dict[str, Any]:
        """Region, resource group, subnets and their prefixes of a VNet (read once, then cached)."""
        ...

    def cached_vnet(self, vnet_id: str) -> dict[str, Any] | None:
        """What `vnets` or `vnet_details` read of a VNet already; None when not read yet (never blocks)."""
        ...

    def clusters(self, subscription_id: str, emit: Emit) -> None:
        """The subscription's AKS clusters, each a PickItem keyed by its id (issue 13)."""
        ...

    def cluster_vnets(self, cluster_id: str) -> tuple[list[str], str, str | None]:
        """The VNets an AKS cluster's agents run in, the sentence saying where from, and a problem (or None)."""
        ...

    def astro_zones(self, subscription_ids: list[str]) -> tuple[list[str], list[str]]:
        """The ids of the `external.astronomer.run` private DNS zones in these subscriptions, and the subscriptions
        whose zones could not be listed (no role there) (issue 15)."""
        ...


class WizardHost(Protocol):
    """The App as the screens see it: the answers, the step states, navigation, engines and a few services.

    Read-only here unless a screen sets it: a screen edits the answers' fields, never the objects themselves.
    """

    # -- what screens set --------------------------------------------------------------------------------
    reviewed: bool  # the user confirmed the Review page
    allow_update: set[str]  # steps the user allowed to change what exists (the conflicting A record)
    verify_state: str | None  # the last verify run: "done" or "failed"
    support_text: str | None  # the text to send Astronomer support, once read

    # -- the answers, and where they are kept ------------------------------------------------------------
    @property
    def config(self) -> SetupConfig: ...

    @property
    def store(self) -> RecordStore: ...

    @property
    def record(self) -> SetupRecord | None: ...

    # -- what this setup has done so far -----------------------------------------------------------------
    @property
    def step_states(self) -> dict[str, str]: ...

    @property
    def step_messages(self) -> dict[str, str]: ...

    @property
    def apply_result(self) -> RunResult | None: ...

    # -- how this session runs ---------------------------------------------------------------------------
    @property
    def demo(self) -> bool: ...

    @property
    def nameserver(self) -> tuple[str, int] | None:
        """The DNS server verify asks (--nameserver / ASTRO_PL_DNS_SERVER, the demo's); None: the system's."""
        ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def listings(self) -> Listings: ...

    @property
    def applying(self) -> bool:
        """The Create steps are running (owned by the App, so they survive changing screens)."""
        ...

    @property
    def request_log(self) -> Path | None: ...

    def redact(self, text: str) -> str:
        """Text for the screen (its lines kept): nothing that could drive the terminal, ids masked under --redact."""
        ...

    def redact_line(self, text: str) -> str:
        """`redact` for one line: a line break in the text (which could forge a line) becomes a space."""
        ...

    def explain(self, exc: BaseException) -> str: ...

    # -- answers and setups ------------------------------------------------------------------------------
    def save_answers(self) -> None: ...

    def load_draft(self) -> SetupConfig | None: ...

    def resume(self, record: SetupRecord | None, config: SetupConfig | None = None, *,
               page: str | None = None) -> None: ...

    def resume_hint(self) -> str: ...

    def first_paint(self) -> None: ...

    # -- pages -------------------------------------------------------------------------------------------
    def goto(self, page: str) -> None: ...

    def next_page(self, page: str) -> str | None: ...

    def previous_page(self, page: str) -> str: ...

    def page_steps(self, page: str) -> str:
        """The documented steps a page carries out ('Step 6 of 7', 'Steps 2-5 of 7'); '' for none."""
        ...

    def fix_page(self, step: str | None) -> tuple[str, str] | None:
        """(page, title) of the page that fixes a step or a verify check."""
        ...

    def placement_problems(self) -> list[str]: ...

    def checklist_rows(self, page: str) -> Sequence[Row]:
        """The checklist beside `page` (the App also pushes new rows to every checklist when states change)."""
        ...

    def refresh_checklists(self) -> None: ...

    # -- engines -----------------------------------------------------------------------------------------
    def switch_tenant(self, tenant_id: str) -> None:
        """Ask Azure tokens for `tenant_id` from now on (the listings and engines are rebuilt over it; the same
        sign-in). Call it in a thread worker."""
        ...

    def make_engine(self, *, allow_update: set[str] | None = None, cancel: threading.Event | None = None,
                    token: object = None) -> Engine: ...

    def start_apply(self, allow_update: set[str] | None = None) -> None: ...

    def set_step_state(self, key: str, state: str, message: str | None = None) -> None: ...

    def approve_demo(self) -> bool:
        """Demo only: the sandbox approves the connection now (blocks; call it in a thread worker). False: no
        sandbox (yet)."""
        ...
