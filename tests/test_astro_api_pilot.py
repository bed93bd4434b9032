"""Pilot: an Astro API token pasted -> the Deployment picked (an unusable one refused with its reason) -> API URL and
cluster id filled -> the whole demo -> Verify and Done show Astro's HEALTHY -> restrict traffic adds the range ->
again adds nothing -> undo removes only it, every other Deployment field unchanged (compared field by field)."""

from __future__ import annotations

import asyncio
import copy

from app_helpers import RG, SUBNET, VNET, fill_placement, make_app, pick, screen_name, wait_for
from test_restrict_traffic import assert_only_ranges_changed
from textual.widgets import Button, Input, Static

from wizard.sandbox.astro_api import AZURE_VPC_RANGE, ORG_ID
from wizard.tui.pages import create_state

REMOTE = "cldepremote00000000000001"


def text_of(app, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return str(getattr(content, "text", content))


def test_pick_the_deployment_then_verify_healthy_then_restrict_and_undo(sandbox, tmp_path):
    original = copy.deepcopy(sandbox.astro_api.world.deployments[REMOTE])
    token = sandbox.astro_api_token

    async def run() -> None:
        app = make_app(sandbox, tmp_path, demo_prefill=False)
        async with app.run_test(size=(110, 40)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
            await wait_for(pilot, lambda: app.sandbox is not None and app.settings is not None, what="sandbox up")
            app.screen.query_one("#astro-token", Input).focus()
            await pilot.press(*token, "enter")
            await pick(pilot, "aws-agents")                    # listed, with its reason, and refused
            await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
            assert "cannot be chosen: its cluster is on AWS, not Azure" in text_of(app, "#deployment-status")
            assert not app.config.api_url
            await pilot.press("ctrl+o")
            await pick(pilot, "agents-prod")
            await wait_for(pilot, lambda: app.config.deployment_id == REMOTE, what="deployment chosen")
            assert app.config.api_url == sandbox.demo_api_url and app.config.organization_id == ORG_ID
            assert f"Cluster ID: {sandbox.demo_cluster_id}" in text_of(app, "#api-url-status")
            assert app.screen.query_one("#api-url", Input).value == sandbox.demo_api_url
            await pilot.press(*sandbox.demo_alias)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
            await wait_for(pilot, lambda: bool(app.config.subscription_id), what="subscription chosen")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            await fill_placement(pilot)
            assert (app.config.resource_group, app.config.vnet, app.config.subnet) == (RG, VNET, SUBNET)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "ReviewScreen")
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
            await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
            assert create_state(app.step_states) == "done", app.step_states
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "ApprovalScreen")
            await wait_for(pilot, lambda: app.screen.checks > 0, what="first approval check")
            await pilot.press("ctrl+a")
            await wait_for(pilot, lambda: app.screen.state == "done", what="approved")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="verify report")
            assert app.verify_state == "done"
            await wait_for(pilot, lambda: "HEALTHY" in text_of(app, "#astro-health"), what="Astro's status")
            assert text_of(app, "#astro-health").startswith("Astro reports the Deployment agents-prod HEALTHY.")
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "DoneScreen")
            await wait_for(pilot, lambda: "HEALTHY" in text_of(app, "#astro-health"), what="Astro's status on Done")

            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: screen_name(app) == "RestrictTrafficScreen")
            await wait_for(pilot, lambda: app.screen.query_one("#restrict-cidr", Input).value == AZURE_VPC_RANGE,
                           what="the cluster CIDR range")
            assert "203.0.113.0/28" in text_of(app, "#restrict-now")
            await pilot.click("#restrict-add")
            await wait_for(pilot, lambda: "Added" in text_of(app, "#restrict-result"), what="range added")
            posts = [r for r in sandbox.astro_api.log if r["method"] == "POST"]
            assert len(posts) == 1
            # the same button again: Button.press() (a click is ignored while its "-active" effect lasts)
            app.screen.query_one("#restrict-add", Button).press()
            await wait_for(pilot, lambda: "nothing changed" in text_of(app, "#restrict-result"),
                           what="idempotent")
            assert len([r for r in sandbox.astro_api.log if r["method"] == "POST"]) == 1
            assert app.record.astro_ranges_added == {REMOTE: [AZURE_VPC_RANGE]}
            await pilot.click("#restrict-undo")
            await wait_for(pilot, lambda: "Removed" in text_of(app, "#restrict-result"), what="undone")
            await pilot.press("escape")
        now = sandbox.astro_api.world.deployments[REMOTE]
        assert_only_ranges_changed(original, now, ["203.0.113.0/28"])
        record = app.store.list()[0][0]
        assert record.astro_ranges_added == {}
        assert record.answers.deployment_id == REMOTE
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert token not in path.read_text(errors="replace"), path

    asyncio.run(run())
