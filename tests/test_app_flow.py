"""Pilot tests: the whole demo from the start screen to a verified setup, against the sandbox."""

from __future__ import annotations

import asyncio

from app_helpers import approve, make_app, screen_name, through_to_review, to_approval, to_verify, wait_for


def test_whole_demo_to_verified(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await through_to_review(pilot)
            assert app.screen.plans[0].action.value == "done"
            await to_approval(pilot)
            await wait_for(pilot, lambda: app.screen.checks > 0, what="first approval check")
            assert app.screen.state != "done"
            await approve(pilot)
            await to_verify(pilot)
            assert app.verify_state == "done", [(c.name, c.ok, c.detail, c.diagnosis)
                                                for c in app.screen.report.checks]
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: screen_name(app) == "DoneScreen")
            await wait_for(pilot, lambda: app.screen.summary_text != "", what="summary")
            assert "Private IP" in app.screen.summary_text
        record = app.store.list()[0][0]
        assert record.last_state("approval") == "done"
        assert record.answers.subnet == "snet-private-endpoints"

    asyncio.run(run())
