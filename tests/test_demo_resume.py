"""Pilot tests: a demo setup resumed by a later `astro-privatelink demo` run (a new sandbox, a new world).

The first app creates and approves the setup in its own sandbox and quits (the sandbox stops with it, as it does
when the demo ends); the second app starts a new sandbox over the same state directory and resumes the setup.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from app_helpers import create_and_approve, screen_name, through_to_review, to_verify, wait_for

from screens.dialogs import ConfirmScreen
from steps.registry import STEP_KEYS
from wizard.engine import ApprovalPolling
from wizard.tui import demo
from wizard.tui.app import WizardApp


def demo_app(state: Path) -> WizardApp:
    """What `astro-privatelink demo` builds: the app starts (and stops) its own sandbox."""
    return WizardApp(sandbox_world="demo", state=state, preload_sdk=False, clock=lambda: 0.0,
                     approval=ApprovalPolling(first=0.05, longest=0.2, factor=1.5, timeout=30))


def test_a_demo_setup_resumed_by_a_new_demo_says_the_world_was_reset_and_converges(tmp_path):
    state = tmp_path / "state"

    async def first_run() -> str:
        app = demo_app(state)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.sandbox is not None, what="the sandbox")
            await through_to_review(pilot)
            await create_and_approve(pilot)
            old_url = app.config.api_url
            await pilot.press("ctrl+q")
        record = app.store.list()[0][0]
        assert all(record.last_state(k) == "done" for k in STEP_KEYS if k != "verify"), record.steps
        assert record.resources
        return old_url

    async def second_run(old_url: str) -> None:
        app = demo_app(state)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.sandbox is not None, what="the new sandbox")
            assert app.sandbox.astro_port != urlsplit(old_url).port
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("enter")  # resume the saved demo setup
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the reset dialog")
            assert app.screen.title_text == demo.RESET_TITLE
            # nothing from the gone world is shown as done, and the API URL names the new sandbox's port
            assert not [k for k, v in app.step_states.items() if v == "done" and k != "inputs"], app.step_states
            assert app.config.api_url == app.sandbox.demo_api_url != old_url
            saved = app.store.list()[0][0]
            assert saved.steps == {} and saved.resources == {}
            assert saved.answers.api_url == app.sandbox.demo_api_url
            await pilot.click("#yes")
            await wait_for(pilot, lambda: screen_name(app) == "ReviewScreen")
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            assert {p.step: p.action.value for p in app.screen.plans}["private_endpoint"] == "create"
            await create_and_approve(pilot)
            await to_verify(pilot)
            assert app.verify_state == "done", [(c.name, c.ok, c.detail) for c in app.screen.report.checks]

    asyncio.run(second_run(asyncio.run(first_run())))


def test_back_to_setups_shows_the_reset_setup_as_not_created(tmp_path):
    state = tmp_path / "state"

    async def run(create: bool) -> WizardApp:
        app = demo_app(state)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.sandbox is not None, what="the sandbox")
            if create:
                await through_to_review(pilot)
                await create_and_approve(pilot)
                await pilot.press("ctrl+q")
                return app
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the reset dialog")
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.pause()
            assert "nothing created yet" in str(app.screen.query_one("#setups").get_option_at_index(0).prompt)
        return app

    asyncio.run(run(True))
    asyncio.run(run(False))
