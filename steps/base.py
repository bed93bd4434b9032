"""The step contract: inspect (read-only) -> plan (what would change) -> apply (only what the plan says).

Every documented action is a `Step`. A step can be driven by the TUI, the CLI and the tests alike, and
running `apply` twice changes nothing the second time.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from steps.registry import BY_KEY
from wizard.core.errors import is_busy_conflict

if TYPE_CHECKING:  # pragma: no cover
    from steps.context import SetupContext

Obs = TypeVar("Obs")  # what a step's inspect() observes
P = TypeVar("P")  # what a step's plan() hands to its apply()
T = TypeVar("T")


class Action(str, Enum):
    """What a plan says about a step."""

    DONE = "done"          # nothing to do: it exists as wanted (or the check passed)
    CREATE = "create"      # it does not exist yet
    UPDATE = "update"      # it exists and differs, and the user allowed changing it
    CONFLICT = "conflict"  # it exists and differs: never clobbered, the difference is shown
    BLOCKED = "blocked"    # an earlier step must happen first
    WAITING = "waiting"    # someone else must act (e.g. approval) or Azure is still working
    FAILED = "failed"      # cannot go on (bad input, refused, rejected): the summary says what to do


class State(str, Enum):
    """The state `status` reports for a step."""

    DONE = "done"
    TODO = "todo"
    WAITING = "waiting"
    CONFLICT = "conflict"
    BLOCKED = "blocked"
    FAILED = "failed"


_STATE_OF_ACTION = {
    Action.DONE: State.DONE, Action.CREATE: State.TODO, Action.UPDATE: State.TODO,
    Action.CONFLICT: State.CONFLICT, Action.BLOCKED: State.BLOCKED, Action.WAITING: State.WAITING,
    Action.FAILED: State.FAILED,
}


@dataclass
class Plan(Generic[P]):
    """What one step would do, in words a person can act on, and what its apply needs (the typed payload)."""

    step: str
    action: Action
    summary: str
    details: list[str] = field(default_factory=list)   # e.g. the difference in a conflict, what will be created
    warnings: list[str] = field(default_factory=list)
    payload: P | None = None  # what apply needs (ids, addresses); typed per step; not for display
    creates: dict[str, str] = field(default_factory=dict)  # record key -> id of what apply will create
    uses: dict[str, str] = field(default_factory=dict)     # record key -> id of what exists and is reused
    updatable: bool = False  # a conflict the user may explicitly choose to resolve by updating
    error_code: str | None = None  # set when Azure or the network failed (not the user's input)

    def need(self) -> P:
        """The payload, for an apply that cannot go on without it."""
        if self.payload is None:
            raise ValueError(f"The {self.step} plan ({self.action.value}) carries nothing to apply.")
        return self.payload

    @property
    def bad_input(self) -> bool:
        """Failed because of what the user gave (exit 2), not because Azure or the network failed."""
        return self.action is Action.FAILED and self.error_code is None

    @property
    def state(self) -> State:
        return _STATE_OF_ACTION[self.action]

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.step, "state": self.state.value, "action": self.action.value,
                "detail": self.summary, "details": list(self.details), "warnings": list(self.warnings)}


@dataclass
class Outcome:
    """What apply did."""

    step: str
    state: State
    summary: str
    details: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error_code: str | None = None
    correlation_id: str | None = None
    resources: dict[str, str] = field(default_factory=dict)  # record key -> id of what this step found or made

    @property
    def ok(self) -> bool:
        return self.state is State.DONE

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.step, "state": self.state.value, "detail": self.summary}
        if self.details:
            out["details"] = list(self.details)
        if self.error_code:
            out["error_code"] = self.error_code
        if self.correlation_id:
            out["correlation_id"] = self.correlation_id
        return out


class Progress(Protocol):
    def __call__(self, step: str, message: str) -> None: ...


def no_progress(step: str, message: str) -> None:
    """A progress sink that shows nothing."""


class Stopped(Exception):
    """The user asked to stop; Azure keeps working on what was started, and a rerun resumes."""


class Changed(Exception):
    """The resource is no longer what this tool made: it is kept, and the message says what differs and what to do."""


@runtime_checkable
class ChecksWhatItMade(Protocol):
    """A step that notes what it created (`created_facts`, read back after apply) and compares before deleting."""

    def created_facts(self, ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]: ...

    def undo_checked(self, ctx: SetupContext, record_key: str, resource_id: str, facts: dict[str, str],
                     progress: Progress) -> str: ...


class Step(ABC, Generic[Obs, P]):
    """One documented action. Subclasses set `key` (their number and title come from `steps.registry`) and
    `depends_on`; a step that creates resources also says how to undo them (`owns`, `undo`)."""

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    number: ClassVar[int] = 0
    depends_on: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.key:
            registered = BY_KEY[cls.key]
            cls.title, cls.number = registered.title, registered.number

    @abstractmethod
    def inspect(self, ctx: SetupContext) -> Obs:
        """Read what exists in Azure now; never writes."""

    @abstractmethod
    def plan(self, ctx: SetupContext, observation: Obs) -> Plan[P]:
        """Decide, from the observation and the answers alone (no Azure reads), what apply would do."""

    @abstractmethod
    def apply(self, ctx: SetupContext, plan: Plan[P], progress: Progress) -> Outcome:
        """Do what the plan says and nothing else."""

    def run_plan(self, ctx: SetupContext) -> Plan[P]:
        return self.plan(ctx, self.inspect(ctx))

    # -- undo (destroy) -----------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        """Whether a setup-record key names a resource this step creates (and so knows how to remove)."""
        return False

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        """Remove one resource this step created; returns what happened, in words: "removed <id>" when it is
        gone, anything else when it was kept (and stays in the record)."""
        raise NotImplementedError(f"step {self.key} creates nothing to remove")

    def removed_with(self, record_key: str) -> tuple[str, ...]:
        """Record keys Azure removes along with this one (an endpoint's network interface)."""
        return ()


def wait_for_poller(poller: Any, ctx: SetupContext, step: str, what: str, progress: Progress,
                    clock: Callable[[], float] = time.monotonic) -> Any:
    """Wait for an SDK LROPoller while reporting elapsed time; stop promptly when the user cancels."""
    started = clock()
    last_report = -1
    while not poller.done():
        if ctx.cancel.is_set():
            raise Stopped(f"Stopped while Azure was still {what}.")
        poller.wait(timeout=0.25)
        elapsed = int(clock() - started)
        if elapsed != last_report:
            progress(step, f"{what} ({elapsed}s)")
            last_report = elapsed
    return poller.result()


def retry_after_seconds(headers: object, default: float = 1.0) -> float:
    """Seconds Azure asked to wait (Retry-After, retry-after-ms, x-ms-retry-after-ms, in azure-core's order)."""
    get = getattr(headers, "get", lambda key: None)
    for key, scale in (("Retry-After", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = get(key)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return default


TERMINAL_STATES = ("succeeded", "failed", "canceled")
# provisioningState after an operation on the resource failed or was canceled: the resource exists but is not
# usable, and the way out is to send it again (PUT). Both end an operation badly (azure-mgmt-core ARMPolling;
# openshift/hypershift's link check treats Failed, Canceled and Deleting as failures).
BROKEN_STATES = ("failed", "canceled")
BUSY_STATES = ("creating", "updating", "accepted")


def wait_until_settled(ctx: SetupContext, step: str, what: str, progress: Progress,
                       read_state: Callable[[], str | None]) -> str | None:
    """Poll a resource someone else is provisioning until its provisioningState is terminal (or it is gone), and
    return that state (None: gone). A terminal state is not success: the caller checks which one it is."""
    started = time.monotonic()
    delay = min(max(ctx.factory.settings.polling_interval, 0.05), 5.0)
    while True:
        state = read_state()
        if state == "":  # ARM's 200 without a provisioningState means done (azure-facts: "missing state on 200")
            return "Succeeded"
        if state is None or state.lower() in TERMINAL_STATES:
            return state
        if ctx.cancel.wait(delay):
            raise Stopped(f"Stopped while Azure was still {what}.")
        progress(step, f"Azure is still {what} ({int(time.monotonic() - started)}s)")


def send_write(ctx: SetupContext, step: str, what: str, progress: Progress, write: Callable[[], T],
               needless: Callable[[], bool], attempts: int = 8) -> T | None:
    """Send one write to Azure; after a 409 or 412, re-read and decide from what exists, never from the code.

    `needless` re-reads Azure and says whether the write is no longer needed (what it would make exists now,
    e.g. from an earlier, interrupted attempt): then this returns None and the caller goes on from what exists.
    While private DNS answers that another operation is queued, the write is sent again with a doubling delay
    (from the polling interval, at most 2 s, up to 15 times that; about two minutes in all by default); any
    other 409/412, or the last busy answer, is raised for the caller to explain."""
    from azure.core.exceptions import HttpResponseError

    delay = min(max(ctx.factory.settings.polling_interval, 0.05), 2.0)
    longest = delay * 15
    for attempt in range(attempts):
        try:
            return write()
        except HttpResponseError as exc:
            if exc.status_code not in (409, 412):
                raise
            if needless():
                progress(step, f"{what}: already there")
                return None
            if not is_busy_conflict(exc) or attempt == attempts - 1:
                raise
        progress(step, f"Azure is busy with another change to the zone; {what} again in {delay:.1f}s")
        if ctx.cancel.wait(delay):
            raise Stopped(f"Stopped while waiting to retry {what}.")
        delay = min(delay * 2, longest)
    raise AssertionError("unreachable")
