"""Helpers for the Pilot tests of the Textual wizard (imported by tests/test_app_*.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.engine import ApprovalPolling
from wizard.tui.app import WizardApp
from wizard.tui.pages import create_state

RG, VNET, SUBNET = "rg-aks-prod", "vnet-aks-prod", "snet-private-endpoints"


def make_app(sandbox: Any, state: Path, **kw: Any) -> WizardApp:
    kw.setdefault("approval", ApprovalPolling(first=0.05, longest=0.2, factor=1.5, timeout=30))
    kw.setdefault("clock", lambda: 0.0)
    return WizardApp(sandbox=sandbox, state=state, preload_sdk=False, **kw)


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            await pilot.pause()
            return
        await asyncio.sleep(0.03)
    raise AssertionError(f"timed out waiting for {what or condition}; screen is {pilot.app.screen!r}")


def screen_name(app: WizardApp) -> str:
    return type(app.screen).__name__


def workers_idle(app: WizardApp) -> bool:
    return not any(w.is_running for w in app.workers)


async def pick(pilot: Any, text: str) -> None:
    """In an open PickerScreen: wait for the listing, type to filter, press Enter."""
    from screens.widgets.picker import Picker, PickerScreen

    app = pilot.app
    def listed() -> bool:
        return isinstance(app.screen, PickerScreen) and not app.screen.query_one(Picker).loading_items

    await wait_for(pilot, listed, what="the picker listing")
    await pilot.press(*text)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def fill_placement(pilot: Any) -> None:
    app = pilot.app
    await pilot.click("#rg-button")
    await pick(pilot, RG)
    await pick(pilot, VNET)
    await pick(pilot, "private")
    await wait_for(pilot, lambda: app.config.subnet == SUBNET, what="subnet chosen")


def text_of(app: WizardApp, selector: str) -> str:
    """The text of a Static on the current screen (its content is a Text, or a `screens.widgets.wrap.Hanging`
    around one)."""
    from textual.widgets import Static

    content = app.screen.query_one(selector, Static).content
    return str(getattr(content, "text", content))


async def to_astro_details(pilot: Any) -> None:
    """From the start screen: a new setup, on the Astro details page."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")


async def paste_astro_token(pilot: Any, token: str) -> None:
    """On the Astro details page, once the sandbox is up: paste `token` in the Astro API token field and press Enter
    (a usable token opens the Deployment picker)."""
    from textual.widgets import Input

    app = pilot.app
    await wait_for(pilot, lambda: app.sandbox is not None and app.settings is not None, what="sandbox up")
    app.screen.query_one("#astro-token", Input).focus()
    await pilot.press(*token, "enter")


async def to_placement(pilot: Any) -> None:
    """From the Astro details page (answered): the sign-in page's subscription, then the placement page."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
    await wait_for(pilot, lambda: bool(app.config.subscription_id), what="subscription chosen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")


async def to_review(pilot: Any, timeout: float = 15.0) -> None:
    """From the placement page (answered) to the Review screen with plans shown."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "ReviewScreen")
    await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, timeout=timeout, what="plans")


async def through_to_review(pilot: Any) -> None:
    """From the start screen (new setup) to the Review screen with plans shown."""
    await to_astro_details(pilot)
    await to_placement(pilot)
    await fill_placement(pilot)
    await to_review(pilot)


async def to_approval(pilot: Any) -> None:
    """From Review (plans shown): Create applies every step (all done), then on to the Approval page."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
    await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
    assert create_state(app.step_states) == "done", app.step_states
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "ApprovalScreen")


async def approve(pilot: Any) -> None:
    """On the Approval page: the demo's approve-now key, until the connection is approved."""
    app = pilot.app
    await pilot.press("ctrl+a")
    await wait_for(pilot, lambda: app.screen.state == "done", what="approved")


async def create_and_approve(pilot: Any) -> None:
    """From Review (plans shown) through Create and Approval, in the demo."""
    await to_approval(pilot)
    await approve(pilot)


async def to_verify(pilot: Any) -> None:
    """From the Approval page (approved) to the Verify page, until its report is in."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
    await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="verify report")


def demo_answers(app: WizardApp, sandbox: Any) -> None:
    from wizard.core.config import SetupConfig

    app.config = SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url,
                             subscription_id=sandbox.subscription_id, resource_group=RG, vnet=VNET, subnet=SUBNET)


async def start_at(pilot: Any, page: str, sandbox: Any) -> None:
    """Skip the answer screens: fill in the demo answers and open `page`."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    demo_answers(app, sandbox)
    if page in ("create", "approval", "verify", "done"):
        app.reviewed = True
    app.goto(page)
    await pilot.pause()
