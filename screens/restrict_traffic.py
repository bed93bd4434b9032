"""The optional last step as a dialog (opened from Done): the Deployment's allowed IP address ranges now, the range to
add (the cluster's CIDR range, editable: or the one Astronomer support gave), the warning, then Add or Undo.

Same action as `astro-privatelink restrict-traffic` (steps/restrict_traffic.py): read-change-write, idempotent, a
concurrent change re-read; what this tool added goes in the setup record so Undo removes only that.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.messages import RangesChanged, RangesRead
from steps.restrict_traffic import WARNING, add_range, check_cidr, default_cidr, ranges_of, remove_ranges


class RestrictTrafficScreen(ModalScreen[str | None]):
    """Dismisses with a one-line summary of what changed (None: nothing)."""

    BINDINGS = [Binding("escape", "cancel", "Close", id="restrict-cancel")]

    def __init__(self, settings: Any, org: str, deployment_id: str, record: Any, save: Any) -> None:
        super().__init__()
        self.settings, self.org, self.deployment_id = settings, org, deployment_id
        self.record, self.save = record, save

    def compose(self) -> ComposeResult:
        with Vertical(id="restrict-dialog", classes="dialog"):
            yield Static("Restrict traffic to the private endpoint (optional)", classes="dialog-title", markup=False)
            yield Static("Reading the Deployment from Astro...", id="restrict-now", markup=False)
            yield Static("Range to allow (the cluster CIDR range, or the one Astronomer support gave):",
                         classes="label", markup=False)
            yield Input("", id="restrict-cidr", compact=True)
            yield Static(WARNING, classes="help", markup=False)
            yield Static("", id="restrict-result", markup=False)
            with Horizontal():
                yield Button("Add the range", id="restrict-add", variant="primary", compact=True, disabled=True)
                yield Button("Undo what this tool added", id="restrict-undo", compact=True, disabled=True)
                yield Button("Close (Esc)", id="restrict-close", compact=True)

    def on_mount(self) -> None:
        self.read()

    def _ours(self) -> list[str]:
        return list(self.record.astro_ranges_added.get(self.deployment_id, [])) if self.record is not None else []

    @work(thread=True, exclusive=True, group="restrict")
    def read(self) -> None:
        from wizard.core.astro_api import AstroApi, AstroApiError

        try:
            with AstroApi(self.settings) as api:
                dep = api.deployment(self.org, self.deployment_id)
                cidr = default_cidr(api, self.org, dep) or ""
        except AstroApiError as exc:
            self.post_message(RangesRead([], "", str(exc)))
            return
        self.post_message(RangesRead(ranges_of(dep), cidr))

    @on(RangesRead)
    def _read(self, message: RangesRead) -> None:
        if message.error is not None:
            self._result(message.error, False)
            return
        ranges, cidr = message.ranges, message.cidr
        self.query_one("#restrict-now", Static).update(
            f"Allowed IP address ranges now: {', '.join(ranges) or 'none (any address)'}.")
        field = self.query_one("#restrict-cidr", Input)
        if not field.value:
            field.value = cidr
        self.query_one("#restrict-add", Button).disabled = False
        self.query_one("#restrict-undo", Button).disabled = not self._ours()
        field.focus()

    def _result(self, text: str, ok: bool) -> None:
        self.query_one("#restrict-result", Static).update(Text(text, style="green" if ok else "red"))

    @on(Button.Pressed, "#restrict-add")
    def _add(self) -> None:
        cidr, problem = check_cidr(self.query_one("#restrict-cidr", Input).value)
        if problem or cidr is None:
            self._result(problem or "Type a range.", False)
            return
        self.change(cidr, undo=False)

    @on(Button.Pressed, "#restrict-undo")
    def _undo(self) -> None:
        self.change("", undo=True)

    @work(thread=True, exclusive=True, group="restrict")
    def change(self, cidr: str, undo: bool) -> None:
        from steps.restrict_traffic import RestrictError
        from wizard.core.astro_api import AstroApi, AstroApiError

        try:
            with AstroApi(self.settings) as api:
                if undo:
                    ours = self._ours()
                    done = remove_ranges(api, self.org, self.deployment_id, ours)
                else:
                    done = add_range(api, self.org, self.deployment_id, cidr)
        except (AstroApiError, RestrictError) as exc:
            self.post_message(RangesChanged(cidr, undo, False, [], str(exc)))
            return
        self.post_message(RangesChanged(cidr, undo, done.wrote, done.after))

    @on(RangesChanged)
    def _changed(self, message: RangesChanged) -> None:
        if message.error is not None:
            self._result(message.error, False)
            return
        cidr, undo, wrote, after = message.cidr, message.undo, message.wrote, message.after
        if self.record is not None:
            if undo:
                self.record.astro_ranges_added.pop(self.deployment_id, None)
            elif wrote:
                mine = self.record.astro_ranges_added.setdefault(self.deployment_id, [])
                if cidr not in mine:
                    mine.append(cidr)
            if wrote or undo:
                self.save()
        self.query_one("#restrict-now", Static).update(
            f"Allowed IP address ranges now: {', '.join(after) or 'none (any address)'}.")
        self.query_one("#restrict-undo", Button).disabled = not self._ours()
        if not wrote:
            self._result(f"{cidr} is already allowed: nothing changed." if not undo else "Nothing to undo.", True)
        else:
            self._result("Removed what this tool added." if undo else f"Added {cidr}.", True)

    @on(Button.Pressed, "#restrict-close")
    def action_cancel(self) -> None:
        self.dismiss(None)
