"""Screen 5: the steps run, with live progress; DNS work runs while the endpoint is created.

Failures show the step's one-sentence error and a retry; a conflicting A record can be updated on request.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.messages import ApplyFinished, EngineUpdate
from screens.widgets.wrap import Hanging
from steps.registry import BY_KEY, CREATE_KEYS
from wizard.core.states import STATES, look

ROWS = (*CREATE_KEYS, "approval")  # the steps this page shows: the four it runs, then the approval they lead to


class CreateScreen(WizardScreen):
    PAGE = "create"
    HEADING = "Create the endpoint and DNS records"  # 52 columns with "Steps 2-5 of 7 — ": fits 80x24
    # Ctrl+R says what it does: "Retry" after a failure, "Run the rest" when steps are only still to do; hidden
    # while the steps run or when every one is done (check_action).
    BINDINGS = [Binding("ctrl+r", "retry", "Retry", id="retry"),
                Binding("ctrl+r", "run_rest", "Run the rest", id="run-rest"),
                Binding("ctrl+u", "update_record", "Update A record", id="update-record", show=False)]

    def compose_content(self) -> ComposeResult:
        yield Static("", id="create-status", markup=False)
        for key in ROWS:
            yield Static("", id=f"row-{key}", classes="step-row", markup=False)
        with Horizontal(id="create-actions", classes="step-actions"):
            yield Button("Retry (Ctrl+R)", id="retry-button", compact=True, variant="primary")
            yield Button("Update the A record (Ctrl+U)", id="update-button", compact=True, variant="warning")
            yield Button("Change the names", id="placement-button", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_content()

    def refresh_content(self) -> None:
        w = self.wizard
        running = w.applying
        for key in ROWS:
            state = w.step_states.get(key, "todo")
            if key == "approval" and state == "todo":
                state = "blocked"
            shown, step = look(state), BY_KEY[key]
            row = Text()
            row.append(shown.glyph + " ", style=shown.style)
            row.append(f"{step.number}. {step.name}", style="bold")
            row.append(f"  {STATES[state].word if state in STATES else state}", style=shown.style or "dim")
            message = w.step_messages.get(key)
            if key == "approval" and state == "waiting":  # the step's own sentence says "the text below": not here
                message = "Waiting for Astronomer: the next page (Approval) shows the text to send their support."
            if message:
                style = "red" if state in ("failed", "conflict") else ""
                row.append("\n    " + w.redact_line(message), style=style)
            outcome = w.apply_result.outcomes.get(key) if w.apply_result is not None else None
            if outcome is not None and state in ("failed", "conflict"):
                for d in outcome.details:
                    row.append("\n      " + w.redact_line(d), style="dim")
                if outcome.error_code:
                    row.append(f"\n      Azure error code: {w.redact_line(outcome.error_code)}", style="dim")
                    if outcome.correlation_id:
                        row.append(f" (correlation id {w.redact_line(outcome.correlation_id)})", style="dim")
            self.query_one(f"#row-{key}", Static).update(Hanging(row))
        states = [w.step_states.get(k, "todo") for k in CREATE_KEYS]
        failed = [k for k in CREATE_KEYS if w.step_states.get(k) == "failed"]
        conflicts = [k for k in CREATE_KEYS if w.step_states.get(k) == "conflict"]
        status = self.query_one("#create-status", Static)
        actions = self.query_one("#create-actions")
        if running:
            status.update(Text("Working... DNS steps run while Azure creates the endpoint. You may leave this "
                               "screen; the work goes on.", style="cyan"))
            actions.display = False
            self.set_next(False)
            self.say("")
        elif all(s == "done" for s in states):
            status.update(Text("ok Every resource exists. Next: Astronomer approves the connection.",
                               style="bold green"))
            actions.display = False
            self.set_next(True)
            self.query_one("#next").focus()
            self.say("")
        else:
            actions.display = True
            self.query_one("#update-button").display = "a_record" in conflicts
            self.query_one("#placement-button").display = "private_endpoint" in conflicts
            if failed or conflicts:
                status.update(Text("Some steps did not finish: read why below, fix it, then retry. Finished "
                                   "steps are not repeated.", style="bold red"))
            else:
                status.update("Some steps are still to do: press Ctrl+R to run them (finished steps are not "
                              "repeated).")
            self.set_next(w.step_states.get("private_endpoint") == "done")
            retry = self.query_one("#retry-button", Button)
            retry.label = "Retry (Ctrl+R)" if failed or conflicts else "Run the rest (Ctrl+R)"
            retry.focus()
        self.refresh_bindings()
        self.wizard.refresh_checklists()

    def _rerun(self) -> str | None:
        """What Ctrl+R does now: "retry" after a failure, "run_rest" when steps are only still to do, else None."""
        w = self.wizard
        if w.applying or all(w.step_states.get(k) == "done" for k in CREATE_KEYS):
            return None
        return "retry" if any(w.step_states.get(k) in ("failed", "conflict") for k in CREATE_KEYS) else "run_rest"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry", "run_rest"):
            return self._rerun() == action
        return True

    def action_run_rest(self) -> None:
        self.action_retry()

    @on(EngineUpdate)
    def _engine_update(self) -> None:
        self.refresh_content()

    @on(ApplyFinished)
    def _apply_finished(self, message: ApplyFinished) -> None:
        if message.error:
            self.say(message.error, error=True)
        self.refresh_content()

    @on(Button.Pressed, "#retry-button")
    def action_retry(self) -> None:
        if self.wizard.applying:
            return
        self.wizard.start_apply(set(self.wizard.allow_update))
        self.refresh_content()

    @on(Button.Pressed, "#update-button")
    def action_update_record(self) -> None:
        from screens.dialogs import ConfirmScreen

        if self.wizard.step_states.get("a_record") != "conflict" or self.wizard.applying:
            return
        detail = self.wizard.step_messages.get("a_record", "")

        def answered(yes: bool | None) -> None:
            if yes:
                self.wizard.allow_update.add("a_record")
                self.wizard.start_apply(set(self.wizard.allow_update))
                self.refresh_content()

        self.app.push_screen(ConfirmScreen(
            "Point the A record at this endpoint?",
            self.wizard.redact_line(detail) + "\n\nUpdate it if the record is left over from an earlier endpoint. If "
            "another endpoint still uses it, cancel and ask who set it up.", "Update it"), answered)

    @on(Button.Pressed, "#placement-button")
    def _placement(self) -> None:
        self.wizard.goto("placement")

    def can_leave_forward(self) -> str | None:
        if self.wizard.applying:
            return "Still working; the Next button lights up when the endpoint exists."
        if self.wizard.step_states.get("private_endpoint") != "done":
            return "The private endpoint does not exist yet: retry first."
        return None
