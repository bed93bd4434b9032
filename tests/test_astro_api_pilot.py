"""Pilot: an Astro API token pasted -> the Deployment picked (an unusable one refused with its reason) -> API URL and
cluster id filled -> the whole demo -> Verify and Done show Astro's HEALTHY -> restrict traffic adds the range ->
again adds nothing -> undo removes only it, every other Deployment field unchanged (compared field by field)."""

from __future__ import annotations

import asyncio
import copy

from app_helpers import (
    RG,
    SUBNET,
    VNET,
    approve,
    fill_placement,
    make_app,
    paste_astro_token,
    pick,
    screen_name,
    text_of,
    to_approval,
    to_astro_details,
    to_placement,
    to_review,
    to_verify,
    wait_for,
)
from test_restrict_traffic import assert_only_ranges_changed
from textual.widgets import Button, Input

from wizard.sandbox.astro_api import AZURE_VPC_RANGE, ORG_ID

REMOTE = "cldepremote00000000000001"


def test_pick_the_deployment_then_verify_healthy_then_restrict_and_undo(sandbox, tmp_path):
    original = copy.deepcopy(sandbox.astro_api.world.deployments[REMOTE])
    token = sandbox.astro_api_token

    async def run() -> None:
        app = make_app(sandbox, tmp_path, demo_prefill=False)
        async with app.run_test(size=(110, 40)) as pilot:
            await to_astro_details(pilot)
            await paste_astro_token(pilot, token)
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
            await to_placement(pilot)
            await fill_placement(pilot)
            assert (app.config.resource_group, app.config.vnet, app.config.subnet) == (RG, VNET, SUBNET)
            await to_review(pilot)
            await to_approval(pilot)
            await wait_for(pilot, lambda: app.screen.checks > 0, what="first approval check")
            await approve(pilot)
            await to_verify(pilot)
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
