"""Pilot tests of the paths that go wrong or come back: a bad alias, a 403, a conflict, Back, quit and resume."""

from __future__ import annotations

import asyncio

from app_helpers import (
    RG,
    SUBNET,
    VNET,
    approve,
    make_app,
    screen_name,
    start_at,
    text_of,
    through_to_review,
    to_astro_details,
    wait_for,
)
from textual.widgets import Input

from wizard.tui.pages import create_state

DENY_PE = [("Microsoft.Network/privateEndpoints/write", "/subscriptions")]


def test_bad_alias_is_explained_and_blocks_next(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path, demo_prefill=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await to_astro_details(pilot)
            await pilot.press(*"https://cl0abc123def456ghi789jklm.external.astronomer.run", "enter")
            await pilot.press(*"astro-re-pls.not-a-guid.eastus2")
            await pilot.pause()
            assert "must end with '.azure.privatelinkservice'" in text_of(app, "#alias-status")
            assert "Cluster ID: cl0abc123def456ghi789jklm" in text_of(app, "#api-url-status")
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen_name(app) == "AstroDetailsScreen"
            assert "Fix the alias" in text_of(app, "#nav-status")
            assert "cl0abc123def456ghi789jklm" in text_of(app, "#alias-request")

    asyncio.run(run())


def test_403_on_endpoint_creation_shows_one_sentence_and_retry(sandbox, tmp_path):
    async def run() -> None:
        sandbox.knobs.deny_actions = list(DENY_PE)
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "review", sandbox)
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
            await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
            assert app.step_states["private_endpoint"] == "failed"
            row = text_of(app, "#row-private_endpoint")
            assert "Microsoft.Network/privateEndpoints/write" in row and "Network Contributor" in row
            assert app.screen.query_one("#retry-button").display
            assert app.step_states["dns_zone"] == "done"  # DNS work went on without the endpoint
            sandbox.knobs.deny_actions = []
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: not app.applying and create_state(app.step_states) == "done",
                           timeout=30, what="retry finished")

    asyncio.run(run())


def test_conflicting_a_record_is_updated_only_when_chosen(sandbox, sdk, tmp_path):
    async def run() -> None:
        zone = "external.astronomer.run"
        sdk.dns.private_zones.begin_create_or_update(RG, zone, {"location": "global"}).result()
        sdk.dns.record_sets.create_or_update(RG, zone, "A", sandbox.demo_cluster_id, {
            "properties": {"ttl": 300, "aRecords": [{"ipv4Address": "127.99.0.9"}]}})
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "create", sandbox)
            app.start_apply()
            await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
            assert app.step_states["a_record"] == "conflict"
            assert "127.99.0.9" in text_of(app, "#row-a_record")
            assert app.screen.query_one("#update-button").display
            await pilot.press("ctrl+u")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
            await pilot.click("#yes")
            await wait_for(pilot, lambda: app.step_states.get("a_record") == "done" and "apply" not in app.busy,
                           timeout=30, what="record updated")
        rs = sdk.dns.record_sets.get(RG, zone, "A", sandbox.demo_cluster_id)
        assert rs.a_records[0].ipv4_address != "127.99.0.9"

    asyncio.run(run())


def test_going_back_keeps_every_answer(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await through_to_review(pilot)
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            assert "snet-private-endpoints" in text_of(app, "#subnet-value")
            app.screen.query_one("#nic-name", Input).value = "my-nic"
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
            assert app.screen.query_one("#alias", Input).value == sandbox.demo_alias
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            assert app.screen.query_one("#nic-name", Input).value == "my-nic"
            assert (app.config.resource_group, app.config.vnet, app.config.subnet) == (RG, VNET, SUBNET)
        saved = app.store.list()[0][0].answers
        assert saved.nic_name == "my-nic" and saved.subnet == SUBNET

    asyncio.run(run())


def test_quit_in_the_middle_and_resume(sandbox, tmp_path):
    async def first() -> None:
        sandbox.knobs.lro_seconds = {**sandbox.knobs.lro_seconds, "privateEndpoint": 1.5}
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await through_to_review(pilot)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
            await pilot.press("ctrl+q")  # work in progress: asks first
            await wait_for(pilot, lambda: screen_name(app) == "QuitScreen")
            assert "resume" in str(app.screen.query("Static")[2].render())
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
            await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
            await pilot.press("ctrl+q")  # nothing running: quits at once
            await wait_for(pilot, lambda: not app.is_running or app._exit_renderables is not None, timeout=5)
        assert app.return_code == 0

    async def second() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            assert "Resume cluster" in str(app.screen.query_one("#setups").get_option_at_index(0).prompt)
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "ApprovalScreen", what="resumed at approval")
            assert app.config.subnet == SUBNET
            await approve(pilot)

    asyncio.run(first())
    asyncio.run(second())


def test_export_from_review_and_the_request_log(sandbox, tmp_path):
    """Review can hand the remaining work to an admin (az script, valid bash); every ARM call is logged, no token."""
    import json
    import subprocess

    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await start_at(pilot, "review", sandbox)
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            await pilot.press("ctrl+e")
            await wait_for(pilot, lambda: screen_name(app) == "ExportFormatScreen")
            await pilot.click("#export-az")
            await wait_for(pilot, lambda: "Written:" in text_of(app, "#nav-status"), what="export written")
        script = tmp_path / "astro-privatelink-clmh597sg000208lb2kjhcn8q.sh"
        assert script.stat().st_mode & 0o100
        text = script.read_text()
        assert "az network private-endpoint create" in text and "--manual-request true" in text
        subprocess.run(["bash", "-n", str(script)], check=True)
        assert sandbox.writes() == []  # exporting writes nothing to Azure
        log = next(tmp_path.glob("clmh597sg000208lb2kjhcn8q--*.requests.log"))   # keyed by cluster and endpoint
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert lines and {"method", "path", "status"} <= set(lines[0])
        assert sandbox.token not in log.read_text()
        assert len(list(tmp_path.glob("clmh597sg000208lb2kjhcn8q--*.toml"))) == 1

    asyncio.run(run())
