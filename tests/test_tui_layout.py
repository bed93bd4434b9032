"""Every page at 80x24, read from what the terminal shows: nothing hidden or cut, keys scroll, Tab follows reading.

Each test drives the real wizard (Pilot) on the sandbox and reads the rendered screen rows, so a check that is laid
out but clipped, a footer label past column 80 or a button label cut short fails here.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from app_helpers import RG, SUBNET, VNET, make_app, screen_name, wait_for, workers_idle
from engine_helpers import make_engine
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button

from wizard.core.config import SetupConfig
from wizard.engine import ApprovalPolling

SMALL = (80, 24)
PAGES = ["start", "astro", "azure", "placement", "review", "create", "approval", "verify", "done"]
NEEDS = {"create": "created", "approval": "created", "verify": "approved", "done": "approved"}


def synced(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test in its own event loop (the suite has no asyncio plugin)."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))
    return run


def answers(sandbox: Any) -> SetupConfig:
    return SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url, subscription_id=sandbox.subscription_id,
                       resource_group=RG, vnet=VNET, subnet=SUBNET)


def prepare(sandbox: Any, state: Path, upto: str) -> None:
    """Create the resources through the engine: 'created' (pending approval) or 'approved'."""
    state.mkdir(parents=True, exist_ok=True)
    if upto == "none":
        return
    make_engine(sandbox, state, answers(sandbox)).apply(wait_for_approval=False)
    if upto == "approved":
        sandbox.approve()
        make_engine(sandbox, state, answers(sandbox)).apply(wait_for_approval=False)


def rows(app: Any) -> list[str]:
    """The terminal as it is drawn now, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def content_rows(app: Any) -> list[str]:
    """The rows of the page's scrolling content only (not the checklist, the nav line or the footer)."""
    content = app.screen.query_one("#content")
    region = content.region
    # without the vertical scrollbar's column: its thumb ("▁") can land on any row
    right = region.right - (content.scrollbar_size_vertical if content.show_vertical_scrollbar else 0)
    return [row[region.x:right] for row in rows(app)[region.y:region.bottom]]


def ready(app: Any, page: str) -> bool:
    if page == "approval":  # its polling worker runs on: ready once it checked and the text is shown
        return getattr(app.screen, "checks", 0) >= 1 and "/subscriptions/" in (app.support_text or "")
    if not workers_idle(app):
        return False
    if page == "verify":
        return getattr(app.screen, "report", None) is not None
    if page == "review":
        return getattr(app.screen, "plans", None) is not None
    return True


async def open_page(pilot: Any, sandbox: Any, page: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    if page != "start":
        records = app.store.list()[0]
        app.reviewed = True
        if records:
            app.resume(records[0], page=page)
        else:
            app.resume(None, answers(sandbox), page=page)
        await pilot.pause()
    await wait_for(pilot, lambda: ready(app, page), timeout=30, what=f"{page} ready")
    await pilot.pause()


def app_for(sandbox: Any, tmp_path: Path, page: str) -> Any:
    state = tmp_path / "state"
    prepare(sandbox, state, NEEDS.get(page, "none"))
    return make_app(sandbox, state, approval=ApprovalPolling(first=600, longest=600))


@synced
async def test_verify_every_check_title_reachable_with_keys_at_80x24(sandbox, tmp_path):
    """Issue 12 item 1: PageDown (focus where the screen put it) brings every check's title and cause into view."""
    app = app_for(sandbox, tmp_path, "verify")
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, "verify")
        report = app.screen.report
        assert len(report.checks) >= 5
        wanted = {check.title for check in report.checks}
        seen: set[str] = set()
        for _ in range(12):
            shown = "\n".join(content_rows(app))
            seen |= {title for title in wanted if title in shown}
            await pilot.press("pagedown")
            await pilot.pause()
        assert seen == wanted, f"never shown at 80x24: {sorted(wanted - seen)}"
        await pilot.press("home")
        await pilot.pause()
        assert report.checks[0].title in "\n".join(content_rows(app))


def _shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


async def buttons_whole(pilot: Any, where: str) -> None:
    """Every displayed button of the current screen shows its whole label where it is drawn."""
    app = pilot.app
    for button in app.screen.query(Button):
        if not _shown(button):
            continue
        button.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        label = button.label.plain if hasattr(button.label, "plain") else str(button.label)
        region = button.region  # what is drawn where the button is (not the same words in the footer)
        drawn = " ".join(row[region.x:region.right] for row in rows(app)[region.y:region.bottom])
        assert label in drawn, f"{where}: button {label!r} is cut: {drawn!r} in {rows(app)}"


@synced
async def test_dialog_buttons_not_cut_at_80x24(sandbox, tmp_path):
    """Issue 12 item 8: the export-format dialog shows every format's button whole at 80 columns."""
    app = app_for(sandbox, tmp_path, "review")
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, "review")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: screen_name(app) == "ExportFormatScreen")
        await buttons_whole(pilot, "the export dialog")


@pytest.mark.parametrize("page", PAGES)
@synced
async def test_nothing_cut_at_80x24(sandbox, tmp_path, page):
    """Issue 12 item 8: the footer keeps '^q Quit', every button's label is whole, a long status line wraps."""
    app = app_for(sandbox, tmp_path, page)
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, page)
        assert rows(app)[-1].rstrip().split("▏")[0].rstrip().endswith("^q Quit"), rows(app)[-1]
        await buttons_whole(pilot, page)
        if page != "start":
            sentence = ("The Azure CLI (az) is not installed here; use the access token way instead, then press "
                        "Ctrl+R to check again.")
            app.screen.say(sentence, error=True)
            await pilot.pause()
            region = app.screen.query_one("#nav-status").region
            said = [row[region.x:region.right] for row in rows(app)[region.y:region.bottom]]
            assert " ".join(" ".join(said).split()) == sentence, said


def content_of(app: Any) -> VerticalScroll:
    return app.screen.query_one("#content", VerticalScroll)


def reading_key(app: Any, widget: Widget) -> tuple[int, int, int]:
    """Where a person reads a widget: the page's content top to bottom, then the Back / Next line, left to right."""
    content = app.screen.query_one("#content", VerticalScroll)
    if widget is content:
        return (0, -1, 0)
    if content in widget.ancestors:
        return (0, int(widget.region.y - content.region.y + content.scroll_y), widget.region.x)
    if app.screen.query_one("#nav") in widget.ancestors:
        return (1, 0, widget.region.x)
    return (2, widget.region.y, widget.region.x)


@pytest.mark.parametrize("page", PAGES)
@synced
async def test_tab_walks_each_page_in_reading_order(sandbox, tmp_path, page):
    """Issue 12 item 15: Tab alone visits every focusable widget, top to bottom, left to right, each one in view."""
    app = app_for(sandbox, tmp_path, page)
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, page)
        app.screen.set_focus(None)
        await pilot.pause()
        walk: list[tuple[Widget, tuple[int, int, int]]] = []
        for _ in range(40):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            assert focused is not None, f"{page}: Tab left nothing focused"
            if walk and focused is walk[0][0]:
                break
            key = reading_key(app, focused)
            region = app.screen.find_widget(focused).region
            assert region.height > 0 and region.bottom <= SMALL[1], f"{page}: {focused!r} focused but not shown"
            walk.append((focused, key))
        inside = [w for w, key in walk if key[0] == 0]
        assert len(inside) == 1 or content_of(app) not in inside, f"{page}: the scroll container takes a Tab stop"
        keys = [key for _, key in walk]
        assert keys == sorted(keys), f"{page}: Tab order {[repr(w) for w, _ in walk]} is not the reading order"
        chain = [w for w in app.screen.focus_chain if _shown(w)]
        assert {id(w) for w, _ in walk} == {id(w) for w in chain}


@pytest.mark.parametrize("page", ["review", "verify", "done"])
@synced
async def test_pagedown_scrolls_where_the_page_left_focus(sandbox, tmp_path, page):
    """Issue 12 items 1 and 15: focus starts in the content, and PageDown / End move it without Tab first."""
    app = app_for(sandbox, tmp_path, page)
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, page)
        content = app.screen.query_one("#content", VerticalScroll)
        assert app.focused is content or content in app.focused.ancestors, f"{page}: focus is on {app.focused!r}"
        assert content.max_scroll_y > 0, f"{page} fits at 80x24; the test needs a page that scrolls"
        before = content.scroll_y
        await pilot.press("pagedown")
        await pilot.pause()
        assert content.scroll_y > before
        await pilot.press("end")
        await pilot.pause()
        assert content.scroll_y == content.max_scroll_y


def _continuations_keep_indent(lines: list[str]) -> None:
    """Under a step's title line ("[x] ..."), every wrapped line starts indented, never at column 0."""
    inside = False
    for line in lines:
        text = line.rstrip()
        if text.lstrip().startswith("[") and "]" in text[:5]:
            inside = True
            continue
        if not text:
            inside = False
            continue
        if inside:
            assert text.startswith("    "), f"wrapped line lost its indent: {text!r} in {lines}"


@pytest.mark.parametrize("page", ["review", "create", "verify"])
@synced
async def test_wrapped_detail_lines_keep_their_indent(sandbox, tmp_path, page):
    """Issue 12 item 14: on Review, Create and Verify a wrapped detail line stays under its step's text."""
    app = app_for(sandbox, tmp_path, page)
    async with app.run_test(size=(80, 70)) as pilot:
        await open_page(pilot, sandbox, page)
        lines = content_rows(app)
        assert sum(1 for line in lines if line.startswith("[")) >= 3
        _continuations_keep_indent(lines)


@synced
async def test_done_breaks_ids_after_a_slash_and_names_what_each_is(sandbox, tmp_path):
    """Issue 12 item 14: Done shows each resource id whole (breaks only after '/') and no internal record keys."""
    app = app_for(sandbox, tmp_path, "done")
    async with app.run_test(size=(80, 60)) as pilot:
        await open_page(pilot, sandbox, "done")
        await wait_for(pilot, lambda: "Resource ids" in "\n".join(content_rows(app)), what="the summary")
        lines = [row.strip() for row in content_rows(app)]
        shown = "\n".join(lines)
        assert "vnet link:" not in shown and "vnet_link" not in shown
        assert f"VNet link to {VNET}" in shown
        for entry in app.record.resources.values():
            assert any(_laid_out_whole(lines[start:], entry.id) for start in range(len(lines))), \
                f"{entry.id} is not shown whole, broken only after '/', '.' or '-': {lines}"


def _laid_out_whole(lines: list[str], resource_id: str) -> bool:
    """The id starts at lines[0] and continues on the next lines, each earlier piece ending at a '/' (or a '.' or
    '-' inside a name too long for one line)."""
    joined = ""
    for line in lines:
        if not line or not resource_id.startswith(joined + line):
            return False
        joined += line
        if joined == resource_id:
            return True
        if not line.endswith(("/", ".", "-")):  # '.' / '-' only inside a name longer than the line
            return False
    return False


@synced
async def test_export_toast_does_not_follow_onto_create(sandbox, tmp_path):
    """Issue 12 item 14: the "Exported" toast from Review is gone when Create shows its progress."""
    app = app_for(sandbox, tmp_path, "review")
    async with app.run_test(size=SMALL) as pilot:
        await open_page(pilot, sandbox, "review")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: screen_name(app) == "ExportFormatScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0, what="the Exported toast")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen_name(app) == "CreateScreen")
        await pilot.pause()
        assert len(app._notifications) == 0
        assert not app.screen.query("Toast")


def test_plain_mode_choices_are_not_cut_at_80_columns():
    """Issue 12 item 8: plain mode's long choices (the Bicep export, a resume line) wrap instead of being cut."""
    import io
    import re

    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output.vt100 import Vt100_Output

    from wizard.plain import Prompter

    bicep = "Export the commands for an Azure admin instead (az script, Terraform or Bicep)"
    resume = ("Resume cluster clmh597sg000208lb2kjhcn8q (steps 1-3 done, rg-aks-prod/astro-privatelink; updated "
              "2025-01-15 09:30 UTC)")
    drawn = io.StringIO()
    output = Vt100_Output(drawn, lambda: Size(rows=24, columns=80), term="xterm")
    with create_pipe_input() as pipe:
        pipe.send_text("\x1b[B\x1b[B\r")  # down, down, Enter: "Stop", so the long titles are only in the list
        chosen = Prompter(pipe, output, width=80).select("What next?", [(bicep, "export"), (resume, "resume"),
                                                                       ("Stop", "stop")])
    assert chosen == "stop"
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", drawn.getvalue())
    for last_words in ("Terraform or Bicep)", "09:30 UTC)"):
        assert last_words in " ".join(shown.split()), f"{last_words!r} was cut at 80 columns"
