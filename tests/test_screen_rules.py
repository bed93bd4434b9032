"""The front end's rule (README, "Screens are thin"): a screen's thread workers hand their results back as Messages
(`screens.messages`) posted to the screen, never by calling into the UI thread (`App.call_from_thread`), and no
screen or App module starts threads of its own (Textual's `@work(thread=True)` workers only)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("call_from_thread", "threading.Thread")


def _modules() -> list[Path]:
    found = sorted((ROOT / "screens").rglob("*.py")) + sorted((ROOT / "wizard" / "tui").rglob("*.py"))
    assert len(found) > 10, found   # the walk found the front end (a wrong root would pass vacuously)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_screen_calls_into_the_ui_thread_or_starts_a_thread(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for n, line in enumerate(lines, 1)
            if any(word in line for word in FORBIDDEN)]
    assert not hits, "post a Message (screens/messages.py) from the worker instead:\n" + "\n".join(hits)


# -- the workers' failures reach the screen too (as messages): one sentence where the user looks ------------------
def test_a_refused_astro_token_is_said_on_the_astro_page_and_in_the_restrict_dialog(sandbox, tmp_path):
    import asyncio

    from app_helpers import make_app, paste_astro_token, screen_name, text_of, to_astro_details, wait_for

    from screens.astro_pick import api_settings
    from screens.restrict_traffic import RestrictTrafficScreen
    from wizard.sandbox.astro_api import ORG_ID

    async def run() -> None:
        app = make_app(sandbox, tmp_path, demo_prefill=False)
        async with app.run_test(size=(110, 40)) as pilot:
            await to_astro_details(pilot)
            await paste_astro_token(pilot, "not-a-token-of-astro")
            await wait_for(pilot, lambda: text_of(app, "#deployment-status").startswith("! "), what="the refusal")
            said = text_of(app, "#deployment-status")
            assert "token" in said.lower() and "not-a-token-of-astro" not in said, said
            assert not app.config.deployment_id

            bad = api_settings(app, "not-a-token-of-astro")
            app.push_screen(RestrictTrafficScreen(bad, ORG_ID, "cldepremote00000000000001", None, lambda: None))
            await wait_for(pilot, lambda: screen_name(app) == "RestrictTrafficScreen")
            await wait_for(pilot, lambda: bool(text_of(app, "#restrict-result")), what="the dialog's refusal")
            assert text_of(app, "#restrict-result") == said[2:], (text_of(app, "#restrict-result"), said)
            assert app.screen.query_one("#restrict-add").disabled   # nothing read: nothing to add
    asyncio.run(run())
