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
from textual.widgets import Button, Footer, Header, Static

from screens.host import WizardHost
from screens.messages import Refresh
from screens.widgets.checklist import Checklist, Row


class WizardScreen(Screen):
    """A page of the wizard. Subclasses set PAGE, HEADING and implement compose_content."""

    PAGE = ""
    HEADING = ""
    NEXT_LABEL = "Next"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", id="next"),
        Binding("escape", "back", "Back", id="back"),
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
                with VerticalScroll(id="content"):
                    yield from self.compose_content()
                with Horizontal(id="nav"):
                    yield Button("< Back", id="back", compact=True)
                    yield Static("", id="nav-status", markup=False)
                    yield Button(f"{self.NEXT_LABEL} >", id="next", variant="primary", compact=True)
        yield Footer()

    def heading(self) -> str:
        number, count = self.wizard.page_number(self.PAGE)
        return f"Step {number} of {count}: {self.HEADING}" if number else self.HEADING

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

    def set_next(self, enabled: bool, label: str | None = None) -> None:
        button = self.query_one("#next", Button)
        button.disabled = not enabled
        if label is not None:
            button.label = f"{label} >"

    # -- navigation --------------------------------------------------------------------------------------
    def can_leave_forward(self) -> str | None:
        """None when Next may go on; else one sentence saying what is missing."""
        return None

    def action_next(self) -> None:
        problem = self.can_leave_forward()
        if problem:
            self.say(problem, error=True)
            self.app.bell()
            return
        self.go_next()

    def go_next(self) -> None:
        target = self.wizard.next_page(self.PAGE)
        if target:
            self.wizard.goto(target)

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
