"""Small modal questions: quitting with work in progress, confirming a write."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wizard.core.sanitize import clean_text


class QuitScreen(ModalScreen[bool]):
    """Ctrl+Q while something is running: say what, and that the setup can be resumed."""

    BINDINGS = [Binding("escape", "stay", "Keep working", id="quit-stay"),
                Binding("y", "leave", "Quit", id="quit-yes")]

    def __init__(self, work: list[str], hint: str) -> None:
        super().__init__()
        self.work = work
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quit-dialog"):
            yield Static("Quit while work is in progress?", classes="dialog-title")
            yield Static(clean_text("Still running: " + "; ".join(self.work) + "."), markup=False)
            yield Static(clean_text("If you quit now, Azure finishes what it already started and nothing is lost. "
                                    + self.hint), markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep working (Esc)", id="stay", variant="primary", compact=True)
                yield Button("Quit (y)", id="leave", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#leave")
    def action_leave(self) -> None:
        self.dismiss(True)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question with the consequences spelled out."""

    BINDINGS = [Binding("escape", "no", "Cancel", id="confirm-no")]

    def __init__(self, title: str, body: str, yes: str, no: str = "Cancel (Esc)") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(clean_text(self.title_text), classes="dialog-title", markup=False)
            yield Static(clean_text(self.body), markup=False)  # the body quotes Azure (a record's addresses)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.no, id="no", compact=True)
                yield Button(self.yes, id="yes", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)


class ExportFormatScreen(ModalScreen["str | None"]):
    """Which format to hand the remaining work to an Azure admin in: az script, Terraform or Bicep."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export-cancel")]

    def __init__(self, formats: dict[str, str]) -> None:
        super().__init__()
        self.formats = formats

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Static("Export the remaining steps for an Azure admin", classes="dialog-title")
            yield Static("Writes the exact commands or code that create what is not done yet, with your answers "
                         "(what exists is only referenced). Nothing is written to Azure.", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for key, title in self.formats.items():
                    yield Button(title, id=f"export-{key}", compact=True)
                yield Button("Cancel (Esc)", id="export-cancel-button", compact=True)

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        key = (event.button.id or "").removeprefix("export-")
        self.dismiss(key if key in self.formats else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
