"""Screen 7: verify the connection: DNS answers the private IP, HTTPS answers 404; each failure diagnosed and
linked to the step that fixes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Button, LoadingIndicator, Static

from screens.base import WizardScreen
from screens.messages import VerifyFinished
from screens.widgets.wrap import Hanging
from wizard.core.states import look

if TYPE_CHECKING:  # pragma: no cover
    from steps.verify.models import VerifyReport


class VerifyScreen(WizardScreen):
    PAGE = "verify"
    HEADING = "Verify the connection"
    BINDINGS = [Binding("ctrl+r", "rerun", "Run the checks again", id="rerun")]

    def compose_content(self) -> ComposeResult:
        yield Static("Checks from this machine: Azure's side, DNS for the API host, then HTTPS (Astro answers "
                     "404 page not found when the path is private).", classes="help", markup=False)
        yield LoadingIndicator(id="verify-loading")
        yield Static("Running the checks...", id="verify-status", markup=False)
        yield Vertical(id="checks")
        yield Static("", id="verify-inside", classes="help", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.report: VerifyReport | None = None
        self.fix_targets: dict[str, str] = {}
        self.runs = 0
        self.set_next(self.wizard.verify_state == "done")
        self.action_rerun()

    def action_rerun(self) -> None:
        self.query_one("#verify-loading").display = True
        self.query_one("#verify-status", Static).update("Running the checks...")
        self.run_checks()

    @work(thread=True, exclusive=True, group="verify")
    def run_checks(self) -> None:
        try:
            from steps.verify import run_verify

            engine = self.wizard.make_engine()
            report = run_verify(engine.ctx, nameserver=self.wizard.nameserver)
        except Exception as exc:
            self.post_message(VerifyFinished(None, self.wizard.explain(exc)))
            return
        self.post_message(VerifyFinished(report))

    @on(VerifyFinished)
    def _finished(self, message: VerifyFinished) -> None:
        if message.report is None:
            self._failed(message.error or "")
        else:
            self._show_report(message.report)

    def _failed(self, message: str) -> None:
        self.query_one("#verify-loading").display = False
        self.query_one("#verify-status", Static).update(Text("! " + self.wizard.redact_line(message), style="bold red"))
        self.say("Ctrl+R runs the checks again.", error=True)

    def _show_report(self, report: VerifyReport) -> None:
        self.query_one("#verify-loading").display = False
        self.report = report
        box = self.query_one("#checks", Vertical)
        box.remove_children()
        r, one = self.wizard.redact, self.wizard.redact_line
        widgets: list[Widget] = []
        self.fix_targets = {}
        # remove_children() finishes later, so the last run's buttons are still mounted: ids new to each run.
        self.runs += 1
        for n, check in enumerate(report.checks):
            shown = look("blocked" if check.skipped else ("done" if check.ok else "failed"))
            line = Text()
            line.append(shown.glyph + " ", style=shown.style)
            line.append(check.title, style="bold")
            line.append("\n    " + one(check.detail))
            if check.diagnosis and not check.ok:
                line.append("\n    " + one(check.diagnosis), style="red" if not check.skipped else "dim")
            widgets.append(Static(Hanging(line), classes="step-row"))
            fix = self.wizard.fix_page(check.fix_step)
            if fix and not check.ok and not check.skipped:
                page, title = fix
                button_id = f"fix-{self.runs}-{n}"
                self.fix_targets[button_id] = page
                widgets.append(Button(f"Fix: go to {title}", id=button_id, compact=True, classes="fix-button"))
        box.mount(*widgets)
        ok = report.ok
        self.wizard.verify_state = "done" if ok else "failed"
        status = self.query_one("#verify-status", Static)
        if ok:
            status.update(Hanging(Text("[x] Verified: the API host resolves to the private endpoint and Astro "
                                       "answers through it.", style="bold green")))
            self.set_next(True)
            self.focus_content()  # the checks are what to read now; Ctrl+N goes on
            self.say("")
        else:
            # a "Fix" button only where a page of this wizard fixes the cause (HTTPS answers has none): say so
            fixes = ("; a Fix button under one opens the step that fixes it" if self.fix_targets else "")
            status.update(Hanging(Text(f"[!] {len(report.failed)} check(s) failed: read the cause under each{fixes}. "
                                       "Ctrl+R runs them again.", style="bold red")))
            self.set_next(True)
            self.say("You can still go on; the summary says what is missing.")
        inside = ""
        if report.outside_vnet and report.inside_commands:
            inside = ("These checks ran outside your agents' VNet. From a pod or host inside it, run:\n  "
                      + "\n  ".join(report.inside_commands))
        self.query_one("#verify-inside", Static).update(r(inside))
        self.wizard.refresh_checklists()

    @on(Button.Pressed, ".fix-button")
    def _fix(self, event: Button.Pressed) -> None:
        page = self.fix_targets.get(event.button.id or "")
        if page:
            self.wizard.goto(page)
