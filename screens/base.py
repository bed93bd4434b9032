"""What every wizard screen shares: the header, the step checklist, Back / Next, the footer."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Static

from screens.host import WizardHost
from screens.messages import Refresh
from screens.widgets.checklist import Checklist, Row


class PageContent(VerticalScroll):
    """The page's scrolling content. It takes focus (so the arrow keys scroll it) only while nothing inside it can:
    Tab then goes straight to the first field or button, in reading order."""

    def allow_focus(self) -> bool:
        return self.can_focus and self.first_focusable() is None

    def first_focusable(self) -> Widget | None:
        for node in self.query("*"):
            if node.focusable and all(a.display for a in node.ancestors_with_self if a is not self and
                                      isinstance(a, Widget)):
                return node
        return None


class WizardScreen(Screen):
    """A page of the wizard. Subclasses set PAGE, HEADING and implement compose_content."""

    PAGE = ""
    HEADING = ""
    NEXT_LABEL = "Next"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", id="next"),
        Binding("escape", "back", "Back", id="back"),
        # The content scrolls from the keyboard wherever focus is (an Input keeps its own Home / End).
        Binding("pagedown", "scroll_content('scroll_page_down')", "Page down", show=False),
        Binding("pageup", "scroll_content('scroll_page_up')", "Page up", show=False),
        Binding("ctrl+end,end", "scroll_content('scroll_end')", "End", show=False),
        Binding("ctrl+home,home", "scroll_content('scroll_home')", "Home", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cancel_events: list[threading.Event] = []

    @property
    def wizard(self) -> WizardHost:
        """The App, through the interface screens use of it (`screens.host.WizardHost`)."""
        return cast(WizardHost, self.app)

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Horizontal(id="body"):
            yield Checklist(self.wizard.checklist_rows(self.PAGE), id="checklist")
            with Vertical(id="main"):
                yield Static(self.heading(), id="heading", markup=False)
                with PageContent(id="content"):
                    yield from self.compose_content()
                with Horizontal(id="nav"):
                    yield Button("< Back", id="back", compact=True)
                    yield Static("", id="nav-status", markup=False)
                    yield Button(f"{self.NEXT_LABEL} >", id="next", variant="primary", compact=True)
        yield Footer(compact=True)

    def heading(self) -> str:
        steps = self.wizard.page_steps(self.PAGE)
        return f"{steps} — {self.HEADING}" if steps else self.HEADING

    def compose_content(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        cid = self.wizard.config.cluster_id
        self.sub_title = f"cluster {cid}" if cid else ""

    def say(self, text: str | Text, *, error: bool = False) -> None:
        """One line beside the Back / Next buttons (a string often quotes Azure: it goes through the host's
        `redact_line`, which also removes anything that could drive the terminal)."""
        status = self.query_one("#nav-status", Static)
        status.update(self.wizard.redact_line(text) if isinstance(text, str) else text)
        status.set_class(error, "error")

    def set_next(self, enabled: bool, label: str | None = None, *, reason: str | None = None) -> None:
        """Light or grey out Next; `reason` (one sentence) is what Ctrl+N says while it is greyed out."""
        button = self.query_one("#next", Button)
        button.disabled = not enabled
        self.next_refusal = None if enabled else reason
        if label is not None:
            button.label = f"{label} >"

    # -- navigation --------------------------------------------------------------------------------------
    next_refusal: str | None = None

    def can_leave_forward(self) -> str | None:
        """None when Next may go on; else one sentence saying what is missing."""
        return None

    def forward_refusal(self) -> str | None:
        """The one rule for leaving forward (Next button, Ctrl+N, a picker's Enter): refused when the screen says so
        (`can_leave_forward`) or while it shows Next greyed out (`set_next(False, reason=...)`)."""
        problem = self.can_leave_forward()
        if problem is None and self.query_one("#next", Button).disabled:
            problem = self.next_refusal or "Not yet: this page is not finished (the line above says why)."
        return problem

    def action_next(self) -> None:
        problem = self.forward_refusal()
        if problem:
            self.say(problem, error=True)
            self.app.bell()
            return
        self.go_next()

    def go_next(self) -> None:
        target = self.wizard.next_page(self.PAGE)
        if target:
            self.wizard.goto(target)

    def focus_content(self) -> None:
        """Focus the first thing to act on in the content, or the content itself (PageDown / arrows scroll it)."""
        content = self.query_one("#content", PageContent)
        (content.first_focusable() or content).focus()

    def action_scroll_content(self, how: str) -> None:
        """PageUp / PageDown / Home / End move the page's content, also while a button has focus."""
        content = self.query_one("#content", VerticalScroll)
        getattr(content, how)(animate=False)

    def action_back(self) -> None:
        self.wizard.goto(self.wizard.previous_page(self.PAGE))

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    def show_checklist(self, rows: Sequence[Row]) -> None:
        """New rows for the checklist beside this page (the App sends them when a state changes)."""
        for checklist in self.query(Checklist):
            checklist.show(rows)

    @on(Refresh)
    def _refresh(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        """Redraw from the app's state (e.g. after the demo sandbox started)."""
