"""What the App's own thread workers report back to it: engine events, the end of a Create run, the demo
sandbox being up. (What the App tells a screen is in `screens.messages`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine import Event, RunResult


class EngineEvent(Message):
    """An engine event, carried from a worker thread to the App (which passes it on to the page)."""

    def __init__(self, event: Event, token: object = None) -> None:
        super().__init__()
        self.event = event
        self.token = token


class ApplyDone(Message):
    """The engine finished a run of the Create steps (or could not start: `error`)."""

    def __init__(self, result: RunResult | None, error: str | None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class SandboxStarted(Message):
    """The demo sandbox is up (its settings are in place already)."""
