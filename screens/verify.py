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
from screens.widgets.astro_health import AstroHealth
from screens.widgets.wrap import Hanging
from wizard.core.ids import name_of
from wizard.core.states import look

if TYPE_CHECKING:  # pragma: no cover
    from steps.verify.models import VerifyReport


class VerifyScreen(WizardScreen):
    PAGE = "verify"
    HEADING = "Verify the connection"
    BINDINGS = [Binding("ctrl+r", "rerun", "Run the checks again", id="rerun"),
                Binding("ctrl+k", "from_aks", "From the AKS cluster", id="from-aks")]

    def compose_content(self) -> ComposeResult:
        yield Static("Checks from this machine: Azure's side, DNS for the API host, then HTTPS (Astro answers "
                     "404 page not found when the path is private).", classes="help", markup=False)
        cluster = self.wizard.config.aks_cluster   # issue 13: the same checks from a pod in the agents' cluster
        if cluster:
            name = self.wizard.redact_line(name_of(cluster))
            yield Button(f"Run them from AKS cluster {name} too (Ctrl+K)", id="verify-from-aks", compact=True)
        yield LoadingIndicator(id="verify-loading")
        yield Static("Running the checks...", id="verify-status", markup=False)
        yield Vertical(id="checks")
        yield AstroHealth()   # shown once Astro's status of a picked Deployment is read (issue 14)
        yield Static("", id="verify-inside", classes="help", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "from_aks":   # offered (and in the footer) only when the agents' AKS cluster is known
            return bool(self.wizard.config.aks_cluster)
        return True

    def on_mount(self) -> None:
        super().on_mount()
        self.report: VerifyReport | None = None
        self.fix_targets: dict[str, str] = {}
        self.runs = 0
        self.set_next(self.wizard.verify_state == "done")
        self.action_rerun()

    def action_rerun(self, from_aks: bool = False) -> None:
        self.query_one("#verify-loading").display = True
        self.query_one("#verify-status", Static).update(
            "Running the checks here and in the AKS cluster (AKS run command)..." if from_aks else
            "Running the checks...")
        self.run_checks(from_aks)
        self.query_one(AstroHealth).read()

    @on(Button.Pressed, "#verify-from-aks")
    def action_from_aks(self) -> None:
        cluster = self.wizard.config.aks_cluster
        if not cluster:
            return
        if self.wizard.config.aks_namespace:
            self.action_rerun(from_aks=True)
            return
        # Asked once, before the first run in the cluster: the agents' namespace, saved with the answers (issue 13).
        from screens.namespace_dialog import NamespaceScreen

        name = self.wizard.redact_line(name_of(cluster))
        self.app.push_screen(NamespaceScreen(name), self._namespace_chosen)

    def _namespace_chosen(self, namespace: str | None) -> None:
        if namespace is None:
            self.say("Nothing ran in the cluster: Ctrl+K asks for the namespace again.")
            return
        self.wizard.config.aks_namespace = namespace
        self.wizard.save_answers()
        self.action_rerun(from_aks=True)

    @work(thread=True, exclusive=True, group="verify")
    def run_checks(self, from_aks: bool = False) -> None:
        try:
            from steps.verify import run_verify
            from steps.verify.in_cluster import InClusterRequest

            engine = self.wizard.make_engine()
            cluster, namespace = self.wizard.config.aks_cluster, self.wizard.config.aks_namespace
            report = run_verify(engine.ctx, nameserver=self.wizard.nameserver,
                                from_aks=InClusterRequest(cluster, namespace) if from_aks and cluster else None)
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
            if report.in_cluster:   # say where each check ran
                line.append(f"from {check.where}: ", style="dim")
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
        if ok and report.verified_inside:
            status.update(Hanging(Text(f"[x] Verified from {one(report.in_cluster or '')}: the API host resolves to "
                                       "the private endpoint there and Astro answers through it (the checks from this "
                                       "machine ran outside the VNet).", style="bold green")))
            self.set_next(True)
            self.focus_content()
            self.say("")
        elif ok:
            status.update(Hanging(Text("[x] Verified: the API host resolves to the private endpoint and Astro "
                                       "answers through it.", style="bold green")))
            self.set_next(True)
            self.focus_content()  # the checks are what to read now; Ctrl+N goes on
            self.say("")
        else:
            # a "Fix" button only where a page of this wizard fixes the cause (HTTPS answers has none): say so
            fixes = ("; a Fix button under one opens the step that fixes it" if self.fix_targets else "")
            failed = [c for c in report.decisive if not c.ok]
            status.update(Hanging(Text(f"[!] {len(failed)} check(s) failed: read the cause under each{fixes}. "
                                       "Ctrl+R runs them again.", style="bold red")))
            self.set_next(True)
            self.say("You can still go on; the summary says what is missing.")
        inside = ""
        if report.outside_vnet and report.inside_commands and not report.verified_inside:
            inside = ("These checks ran outside your agents' VNet. From a pod or host inside it, run:\n  "
                      + "\n  ".join(report.inside_commands))
        elif report.in_cluster and report.inside_commands:   # the run command was refused: the kubectl fallback
            inside = ("The checks could not run in the cluster (see above). From a pod or host inside it, run:\n  "
                      + "\n  ".join(report.inside_commands))
        self.query_one("#verify-inside", Static).update(r(inside))
        self.wizard.refresh_checklists()

    @on(Button.Pressed, ".fix-button")
    def _fix(self, event: Button.Pressed) -> None:
        page = self.fix_targets.get(event.button.id or "")
        if page:
            self.wizard.goto(page)
