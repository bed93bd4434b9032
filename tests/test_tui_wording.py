"""Issue 12, what a person reads: Next refused where a screen says so, honest wording on Review / Create / Verify /
the quit line / the CLI's summary, the screenshot saved where we say, and bad region / cluster id refused early.

Each test drives the real App (Pilot) or the real CLI over the sandbox; none mocks the SDK.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from app_helpers import make_app, screen_name, start_at, through_to_review, wait_for
from engine_helpers import demo_config, make_engine
from textual.widgets import Static

from steps.base import Action
from wizard.cli import main
from wizard.core.validate import check_api_url

HIDDEN_ALIAS = "astro.00000000-0000-0000-0000-000000000000.eastus2.azure.privatelinkservice"


def text_of(app: Any, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static))


def plain(widget: Static) -> str:
    """A Static's text, also when it holds a renderable that wraps a Text (screens.widgets.wrap.Hanging)."""
    content = widget.content
    return str(getattr(content, "text", content))


def footer_keys(app: Any) -> dict[str, str]:
    """What the footer offers now: key -> label (hidden bindings left out)."""
    return {key: b.binding.description for key, b in app.screen.active_bindings.items() if b.binding.show}


# -- item 3: Next is refused wherever the screen says it cannot go on ---------------------------------------------
def test_ctrl_n_is_refused_while_review_says_step_1_failed(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "review", sandbox)
            app.config.alias = HIDDEN_ALIAS
            app.screen.action_replan()
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            assert "fix it, then come back" in text_of(app, "#review-status")
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen_name(app) == "ReviewScreen"
            assert "Step 1 found a problem" in text_of(app, "#nav-status")
            assert "apply" not in app.busy and sandbox.writes() == []
    asyncio.run(run())


def test_ctrl_n_is_refused_while_review_is_still_reading_azure(sandbox, tmp_path):
    async def run() -> None:
        sandbox.knobs.latency = 0.6  # Azure answers slowly: the plan is not shown yet
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "review", sandbox)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen_name(app) == "ReviewScreen"
            assert "still being read" in text_of(app, "#nav-status")
            sandbox.knobs.latency = 0.0
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
    asyncio.run(run())


# -- item 10: wording ------------------------------------------------------------------------------------------
def test_review_says_what_follows_and_shows_the_zone_note_once(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await through_to_review(pilot)
            status = text_of(app, "#review-status")
            assert "the rest exist already" not in status
            assert "3 steps will create or change something; then come the A record and the approval" in status
            assert "nothing else exists yet" in status
            screen_text = " ".join(plain(s) for s in app.screen.query(Static))
            assert screen_text.count("every *.external.astronomer.run name") + \
                screen_text.count("every name under external.astronomer.run") == 1
            assert "zone holds 0 record" not in screen_text
            assert "the zone is created by this setup" in screen_text
    asyncio.run(run())


def test_create_sends_the_user_to_approval_and_labels_ctrl_r_by_what_it_does(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await start_at(pilot, "create", sandbox)
            app.start_apply()
            await wait_for(pilot, lambda: not app.applying and app.apply_result is not None, what="apply")
            await pilot.pause()
            row = text_of(app, "#row-approval")
            assert "text below" not in row and "next page (Approval)" in row
            assert "ctrl+r" not in footer_keys(app)  # every resource exists: nothing to retry
            app.step_states["a_record"] = "todo"      # a step only still to do: Ctrl+R runs the rest
            app.screen.refresh_content()
            await pilot.pause()
            assert footer_keys(app).get("ctrl+r") == "Run the rest"
            app.step_states["a_record"] = "failed"
            app.screen.refresh_content()
            await pilot.pause()
            assert footer_keys(app).get("ctrl+r") == "Retry"
    asyncio.run(run())


def test_quit_line_of_the_demo_names_the_demo_command_and_a_finished_setup_is_not_resumed(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "review", sandbox)
            app.save_answers()
            await wait_for(pilot, lambda: app.record is not None, what="record")
            hint = app.resume_hint()
            assert "Run astro-privatelink demo to resume" in hint
            sandbox.knobs.approve_after = 0.0
            engine = app.make_engine()
            assert engine.apply().exit_code == 0
            app.record = engine.record
            hint = app.resume_hint()
            assert "to resume" not in hint and "The setup is complete" in hint and "astro-privatelink demo" in hint
    asyncio.run(run())


def test_verify_promises_a_fix_button_only_where_there_is_one(sandbox, tmp_path):
    async def run() -> None:
        sandbox.knobs.approve_after = 0.0
        assert make_engine(sandbox, tmp_path).apply().exit_code == 0
        sandbox.knobs.astro_listening = False  # only "HTTPS answers" fails, and no page of the wizard fixes that
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await start_at(pilot, "create", sandbox)
            await wait_for(pilot, lambda: app.step_states.get("private_endpoint") is not None, what="states")
            app.step_states.update({"private_endpoint": "done", "approval": "done"})
            app.goto("verify")
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="verify report")
            assert app.verify_state == "failed"
            assert not app.screen.fix_targets
            status = text_of(app, "#verify-status")
            assert "failed" in status and "Fix button" not in status and "the button under it" not in status
    asyncio.run(run())


def test_apply_no_wait_suggests_status_with_its_config(sandbox, sandbox_env, capsys):
    config = sandbox_env / "my setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    assert main(["apply", "--config", str(config), "--yes", "--no-wait"]) == 3
    out = capsys.readouterr().out
    assert f"`astro-privatelink status --config '{config}'`" in out


# -- item 12: Ctrl+P -> Screenshot saves in the state directory and says where ---------------------------------------
def test_screenshot_goes_to_the_state_directory_and_says_where(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/Downloads, as on the machine in the issue
    state = tmp_path / "state"

    async def run() -> None:
        app = make_app(sandbox, state)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            command = next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")
            assert str(state) in command.help
            command.callback()
            await wait_for(pilot, lambda: list(state.glob("screenshot-*.svg")), what="the screenshot file")
            shot = next(state.glob("screenshot-*.svg"))
            assert "<svg" in shot.read_text() and (shot.stat().st_mode & 0o777) == 0o600
            said = [n.message for n in app._notifications]
            assert any(str(shot) in m for m in said), said
            assert not any("Failed" in m for m in said)
    asyncio.run(run())


# -- item 16 ---------------------------------------------------------------------------------------------------
def test_demo_does_not_offer_az_login_and_start_shows_nothing_done(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            assert all(r.state != "done" for r in app.checklist_rows("start")), app.checklist_rows("start")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
            assert app.config.alias == sandbox.demo_alias  # the demo still fills a new setup in
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
            assert "ctrl+l" not in footer_keys(app) and "ctrl+r" in footer_keys(app)
    asyncio.run(run())


def test_a_placeholder_cluster_id_is_refused_with_the_documented_form() -> None:
    for host in ("abc", "c1", "abc123"):
        check = check_api_url(f"https://{host}.external.astronomer.run")
        assert not check.ok and f"'{host}' is not an Astro cluster ID" in check.problems[0]
        assert "clmh597sg000208lb2kjhcn8q" in check.problems[0]
    assert check_api_url("https://clmh597sg000208lb2kjhcn8q.external.astronomer.run").ok


def test_an_unknown_region_is_refused_in_step_1_with_the_reason(sandbox, tmp_path: Path):
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, region="narnia")).apply()
    summary = result.outcomes["inputs"].summary
    assert "'narnia' is not an Azure region" in summary and "eastus2" in summary
    assert sandbox.writes() == []
    plans = make_engine(sandbox, tmp_path, demo_config(sandbox, region="East US 2")).plan()  # Azure's display name
    assert plans[0].action is Action.DONE, plans[0].summary

