"""Screen 4: the plan of every step (create, reuse, conflict) before anything is written. A setup across
subscriptions (issue 15) gets one line naming the subscription of each part above the plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, LoadingIndicator, Static

from screens.base import WizardScreen
from screens.messages import ExportWritten, PlansRead
from screens.widgets.wrap import Hanging
from screens.zone_choice import subscriptions_line
from steps.registry import BY_KEY
from wizard.core.states import ACTION_WORDS, look

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan


def plan_status(plans: list[Plan]) -> str:
    """Review's one line over the steps after step 1: what Create makes now, what follows, what exists already."""
    rest = plans[1:]
    writes = [p for p in rest if p.writes]
    later = [_noun(BY_KEY[p.step].name) for p in rest if p.action.value in ("blocked", "waiting")]
    done = [p for p in rest if p.action.value == "done"]
    parts = [f"{len(writes)} step{'s' if len(writes) != 1 else ''} will create or change something"]
    if later:
        parts.append(f"then come the {_words(later)}, which need those first")
    parts.append(f"{len(done)} step{'s' if len(done) != 1 else ''} found done already" if done else
                 "nothing else exists yet")
    return "; ".join(parts) + "."


def _noun(name: str) -> str:
    """A row's name inside a sentence: "Approval" -> "approval"; "A record" and "VNet links" keep their capitals."""
    return name if name[:2].isupper() else name.lower()


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and the " + names[-1]


def plan_text(plan: Plan, title: str, number: int, redact: Callable[[str], str]) -> Text:
    shown = look(plan.state.value)
    out = Text()
    out.append(shown.glyph + " ", style=shown.style)
    out.append(f"{number}. {title}", style="bold")
    word = "passed" if plan.step == "inputs" and plan.action.value == "done" else \
        ACTION_WORDS.get(plan.action.value, plan.action.value)
    out.append(f"  {word}\n", style=shown.style or "dim")
    out.append("    " + redact(plan.summary))
    for d in plan.details:
        out.append("\n      " + redact(d), style="dim")
    for w in plan.warnings:
        out.append("\n    note: " + redact(w), style="yellow")
    return out


class ReviewScreen(WizardScreen):
    PAGE = "review"
    HEADING = "Review: what will happen in Azure"
    NEXT_LABEL = "Create"
    BINDINGS = [Binding("ctrl+r", "replan", "Read Azure again", id="replan"),
                Binding("ctrl+e", "export", "Export for an admin", id="export"),
                Binding("ctrl+u", "allow_update", "Update A record", id="allow-update", show=False)]

    def compose_content(self) -> ComposeResult:
        yield Static("Read-only so far: nothing is written to Azure until you press Create.", classes="help")
        yield Static("", id="review-subscriptions", classes="help", markup=False)
        yield LoadingIndicator(id="review-loading")
        yield Static("Reading what exists in Azure...", id="review-status", classes="muted", markup=False)
        yield Static("", id="plans", markup=False)
        with Horizontal(id="review-actions", classes="step-actions"):
            yield Button("Fix the Astro details", id="fix-astro", compact=True)
            yield Button("Fix where it goes", id="fix-placement", compact=True)
            yield Button("Update the A record (Ctrl+U)", id="allow-update-button", compact=True, variant="warning")

    def on_mount(self) -> None:
        super().on_mount()
        self.plans: list[Plan] | None = None
        self.allow_update: set[str] = set(self.wizard.allow_update)
        self.query_one("#review-actions").display = False
        across = subscriptions_line(self.wizard.config)
        self.query_one("#review-subscriptions", Static).update(self.wizard.redact_line(across))
        self.query_one("#review-subscriptions").display = bool(across)
        self.set_next(False, reason="Wait: Azure is still being read; Create lights up when the plan is shown.")
        self.action_replan()

    def action_replan(self) -> None:
        self.query_one("#review-loading").display = True
        self.query_one("#review-status", Static).update("Reading what exists in Azure...")
        self.set_next(False, reason="Wait: Azure is still being read; Create lights up when the plan is shown.")
        self.plan_steps()

    @work(thread=True, exclusive=True, group="review-plan")
    def plan_steps(self) -> None:
        try:
            plans = self.wizard.make_engine(allow_update=self.allow_update).plan()
        except Exception as exc:
            self.post_message(PlansRead([], self.wizard.explain(exc)))
            return
        self.post_message(PlansRead(plans))

    @on(PlansRead)
    def _plans_read(self, message: PlansRead) -> None:
        if message.error is not None:
            self._failed(message.error)
        else:
            self._show(message.plans)

    def _failed(self, message: str) -> None:
        self.query_one("#review-loading").display = False
        self.query_one("#review-status", Static).update(Text("! " + self.wizard.redact_line(message),
                                                             style="bold red"))
        self.set_next(False, reason="Azure could not be read, so nothing can be planned: press Ctrl+R to read it "
                                    "again.")
        self.say("Press Ctrl+R to read Azure again.", error=True)

    def _show(self, plans: list[Plan]) -> None:
        self.query_one("#review-loading").display = False
        self.plans = plans
        out = Text()
        for p in plans:
            step = BY_KEY[p.step]
            out.append_text(plan_text(p, step.title, step.number, self.wizard.redact_line))
            out.append("\n\n")
        self.query_one("#plans", Static).update(Hanging(out))
        inputs = plans[0]
        writes = [p for p in plans if p.writes]
        conflicts = [p for p in plans if p.action.value == "conflict"]
        updatable = [p for p in conflicts if p.updatable]
        self.wizard.set_step_state("inputs", "failed" if inputs.action.value == "failed" else "done", inputs.summary)
        actions = self.query_one("#review-actions")
        actions.display = inputs.action.value == "failed" or bool(conflicts)
        self.query_one("#fix-astro").display = inputs.action.value == "failed"
        self.query_one("#fix-placement").display = inputs.action.value == "failed" or bool(conflicts)
        self.query_one("#allow-update-button").display = bool(updatable)
        status = self.query_one("#review-status", Static)
        if inputs.action.value == "failed":
            status.update(Text("Step 1 found a problem: fix it, then come back here. Nothing was written.",
                               style="bold red"))
            self.set_next(False, reason="Step 1 found a problem: fix it first (the buttons above open the page).")
            self.say("Fix the problem above first.", error=True)
            return
        if conflicts:
            status.update(Text(f"{len(conflicts)} step(s) conflict with what exists; they are left alone. The "
                               "other steps can still run.", style="bold red"))
        elif writes:
            status.update(plan_status(plans))
        else:
            status.update("Everything exists already; Create only checks it again.")
        self.set_next(True)
        self.say("Create writes this to Azure.")
        # Focus stays in the plan (PageDown reads on; a stray Enter does not write to Azure): Ctrl+N / Create go on.
        self.focus_content()

    @on(Button.Pressed, "#fix-astro")
    def _fix_astro(self) -> None:
        self.wizard.goto("astro")

    @on(Button.Pressed, "#fix-placement")
    def _fix_placement(self) -> None:
        self.wizard.goto("placement")

    @on(Button.Pressed, "#allow-update-button")
    def action_allow_update(self) -> None:
        from screens.dialogs import ConfirmScreen

        conflict = next((p for p in self.plans or [] if p.step == "a_record"), None)
        if conflict is None or not conflict.updatable:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.allow_update.add("a_record")
                self.wizard.allow_update = set(self.allow_update)
                self.action_replan()

        self.app.push_screen(ConfirmScreen(
            "Point the A record at this endpoint?",
            "\n".join(self.wizard.redact_line(d) for d in conflict.details) + "\n\nIf that record is left over from "
            "an earlier endpoint, updating it makes the API host resolve to this endpoint. If another endpoint still "
            "uses it, cancel.",
            "Update it"), answered)

    def action_export(self) -> None:
        """Hand the remaining work to someone who may create resources: an az script, Terraform or Bicep."""
        from screens.dialogs import ExportFormatScreen
        from wizard.export import FORMAT_TITLES

        if not self.plans:
            self.say("Wait for the plan to be read from Azure, then export.", error=True)
            return
        self.app.push_screen(ExportFormatScreen(dict(FORMAT_TITLES)), self._export_chosen)

    def _export_chosen(self, fmt: str | None) -> None:
        if fmt:
            self.say("Writing the export...")
            self.export_plan(fmt)

    @work(thread=True, exclusive=True, group="review-export")
    def export_plan(self, fmt: str) -> None:
        from wizard.export import ExportError, default_filename, render, write_export

        try:
            engine = self.wizard.make_engine(allow_update=self.allow_update)
            text = render(engine, fmt, plans=self.plans)
            path = self.wizard.store.directory / default_filename(self.wizard.config.cluster_id, fmt)
            write_export(path, text, fmt)
        except ExportError as exc:
            self.post_message(ExportWritten(None, str(exc)))
            return
        except OSError as exc:
            self.post_message(ExportWritten(None, f"Could not write the export ({exc.strerror})."))
            return
        self.post_message(ExportWritten(str(path)))

    @on(ExportWritten)
    def _exported(self, message: ExportWritten) -> None:
        if message.error is not None:
            self.say(message.error, error=True)
            return
        self.say(f"Written: {message.path}")
        self.app.notify(f"Give this file to your Azure admin:\n{self.wizard.redact_line(message.path or '')}",
                        title="Exported", timeout=6, markup=False)

    def go_next(self) -> None:
        # The "Exported" toast belongs to this page (the path stays in the line above Next): at 80x24 it would
        # cover Create's progress.
        self.app.clear_notifications()
        self.wizard.reviewed = True
        self.wizard.start_apply(set(self.allow_update))
        self.wizard.goto("create")
