"""What an engine run produces: the events it emits while it works, the result of a run and its exit code,
and how patiently it waits for approval."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from steps.base import Outcome, Plan, State

# Exit codes every command shares (README lists them).
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PENDING, EXIT_STOPPED = 0, 1, 2, 3, 130


@dataclass(frozen=True)
class Event:
    step: str
    kind: str  # "plan" | "start" | "progress" | "outcome"
    message: str
    state: str | None = None
    at: float = field(default_factory=time.time)


@dataclass
class ApprovalPolling:
    first: float = 3.0
    longest: float = 60.0
    factor: float = 1.5
    timeout: float | None = None


@dataclass
class RunResult:
    plans: list[Plan]
    outcomes: dict[str, Outcome]
    stopped: bool = False

    @property
    def exit_code(self) -> int:
        if self.stopped:
            return EXIT_STOPPED
        inputs = self.outcomes.get("inputs")
        if inputs is not None and inputs.state is State.FAILED and inputs.error_code == "InvalidInput":
            return EXIT_BAD_INPUT
        states = {k: o.state for k, o in self.outcomes.items()}
        if all(s is State.DONE for s in states.values()):
            return EXIT_OK
        bad = {State.FAILED, State.CONFLICT, State.BLOCKED, State.TODO}
        if any(s in bad for k, s in states.items()):
            return EXIT_FAILED
        return EXIT_PENDING  # only waiting (approval) is left


def plan_exit_code(plans: list[Plan[Any]]) -> int:
    """0 when the inputs check passed; else EXIT_BAD_INPUT for bad input, EXIT_FAILED when Azure or the network
    failed (a plan of `plan`, `status` or `apply`)."""
    first = plans[0]
    if first.step != "inputs" or first.action.value != "failed":
        return EXIT_OK
    return EXIT_BAD_INPUT if first.bad_input else EXIT_FAILED
