"""Helpers for the Pilot tests of the Textual wizard (imported by tests/test_app_*.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.engine import ApprovalPolling
from wizard.tui.app import WizardApp

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


async def through_to_review(pilot: Any) -> None:
    """From the start screen (new setup) to the Review screen with plans shown."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
    await wait_for(pilot, lambda: bool(app.config.subscription_id), what="subscription chosen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
    await fill_placement(pilot)
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "ReviewScreen")
    await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")


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
