"""A demo setup saved by an earlier `astro-privatelink demo` run, met again by a new one.

The demo's sandbox (`wizard.sandbox.server.Sandbox`) keeps its Azure world in memory and listens on ports picked
afresh at every start, so what an earlier demo run created is gone and the API URL it saved names a port nobody
listens on. The wizard says so instead of resuming as if nothing had happened: the saved API URL follows the new
sandbox, and a setup whose resources are gone forgets them (its record would otherwise show steps done that no
longer exist) and starts over from Review, where nothing is written before the user confirms. (Persisting the
world in the state directory was the alternative; a reset said plainly keeps the sandbox a throwaway.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from wizard.core.config import SetupConfig
from wizard.core.record import SetupRecord

RESET_TITLE = "The demo sandbox was reset"
RESET_BODY = ("The demo's local Azure starts empty every time astro-privatelink demo starts, so what the last demo "
              "run created is gone. Your answers are kept; this demo setup starts over from Review (nothing is "
              "created before you confirm there).")
START_OVER = "Start the demo over"
BACK = "Back to setups (Esc)"


class DemoApp(Protocol):
    """What this module uses of the App (`wizard.tui.app.WizardApp`), named here so that it imports no App."""

    sandbox: Any
    demo: bool
    config: SetupConfig
    record: SetupRecord | None
    step_states: dict[str, str]
    step_messages: dict[str, str]
    reviewed: bool
    verify_state: str | None
    support_text: str | None

    def save_answers(self) -> None: ...
    def goto(self, page: str) -> None: ...
    @property
    def call_later(self) -> Callable[..., Any]: ...
    @property
    def push_screen(self) -> Callable[..., Any]: ...


def is_demo_setup(config: SetupConfig, sandbox: Any) -> bool:
    """The answers are for the sandbox's demo cluster (whatever port their API URL names)."""
    return bool(config.cluster_id) and config.cluster_id == sandbox.demo_cluster_id


def follow_sandbox(config: SetupConfig, sandbox: Any) -> bool:
    """Point a demo setup's API URL at this sandbox's Astro endpoint when it names another port (an earlier demo's,
    filled in for the user); True when it did. A URL without a port is what someone typed: it stays."""
    if not is_demo_setup(config, sandbox):
        return False
    try:
        port = urlsplit(config.api_url).port
    except ValueError:  # not a port at all: validation says so on the Astro page
        return False
    if port is None or port == sandbox.astro_port:
        return False
    config.api_url = sandbox.demo_api_url
    return True


def world_was_reset(record: SetupRecord, sandbox: Any) -> bool:
    """The record names a resource this sandbox's world does not hold: it was made in an earlier demo's world."""
    return any(not sandbox.has_resource(entry.id) for entry in record.resources.values())


def forget_world(record: SetupRecord) -> None:
    """What the record says about the gone world (resources, step history) is no longer true: drop it."""
    record.resources.clear()
    record.steps.clear()


def adopt(app: DemoApp) -> bool:
    """Make the adopted demo setup match this sandbox; True when its world was reset (the app then starts over)."""
    sandbox = app.sandbox
    if sandbox is None or not app.demo or not is_demo_setup(app.config, sandbox):
        return False
    # Saved by another sandbox (its API URL names another port) and naming resources this world lacks. A resource
    # missing from this sandbox's own world was deleted during this run: the engine reads and reports that as usual.
    moved = follow_sandbox(app.config, sandbox)
    reset = moved and app.record is not None and world_was_reset(app.record, sandbox)
    if reset and app.record is not None:
        forget_world(app.record)
        app.step_states, app.step_messages = {}, {}
        app.reviewed, app.verify_state, app.support_text = False, None, None
    if reset or moved:
        app.save_answers()
    return reset


def start_over(app: DemoApp) -> None:
    """Show Review with the dialog that says the demo world was reset over it (Esc goes back to the setups)."""
    from screens.dialogs import ConfirmScreen

    def answered(again: bool | None) -> None:
        if not again:
            app.goto("start")

    app.goto("review")
    # From the app's own message queue: a dialog's answer goes to whoever was handling a message when it opened,
    # which here would be the start screen that Review has just replaced (and the answer would be lost).
    app.call_later(app.push_screen, ConfirmScreen(RESET_TITLE, RESET_BODY, START_OVER, BACK), answered)
