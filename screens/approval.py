"""Screen 6: Astronomer approves the connection. Live state (polled with backoff), the text to send support
with a copy action, and a clear way to leave now and resume later."""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.messages import ApprovalChecked, DemoApproved, EngineUpdate, SupportTextRead


def clock_text(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


class ApprovalScreen(WizardScreen):
    PAGE = "approval"
    HEADING = "Astronomer approves the connection"
    BINDINGS = [Binding("ctrl+y", "copy", "Copy", id="copy-support"),
                Binding("ctrl+r", "check_now", "Check", id="check-now"),
                Binding("ctrl+l", "leave", "Leave", id="leave"),
                Binding("ctrl+a", "approve", "Approve (demo)", id="demo-approve")]

    def compose_content(self) -> ComposeResult:
        yield Static("Reading the connection state...", id="approval-state", markup=False)
        yield Static("Send this to Astronomer support (Ctrl+Y copies it; this works over SSH and screen shares):",
                     classes="label", markup=False)
        yield Static("", id="support-text", markup=False)
        with Horizontal(classes="step-actions"):
            yield Button("Copy", id="copy-button", compact=True, variant="primary")
            yield Button("Leave, resume later", id="leave-button", compact=True)
            if self.wizard.demo:
                yield Button("Approve (demo)", id="approve-button", compact=True, variant="warning")
        yield Static("The DNS steps do not wait for approval; they are done already. You can leave now: run "
                     "astro-privatelink again later and pick this setup; the wizard reads the state from Azure.",
                     classes="help", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve":
            return self.wizard.demo
        return True

    def on_mount(self) -> None:
        super().on_mount()
        self.started = self.wizard.clock()
        self.checks = 0
        self.state = self.wizard.step_states.get("approval", "waiting")
        self.summary = ""
        self.token: object | None = None
        self.cancel: threading.Event | None = None
        self.set_next(self.state == "done")
        self._show_support()
        self.refresh_content()
        self.set_interval(1.0, self.refresh_content)
        if self.state != "done":
            self.poll()
        self.query_one("#copy-button").focus()

    def on_unmount(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def _show_support(self) -> None:
        text = self.wizard.support_text or "(reading the endpoint...)"
        self.query_one("#support-text", Static).update(self.wizard.redact(text))

    def refresh_content(self) -> None:
        state = Text()
        if self.state == "done":
            state.append("[x] Approved. ", style="bold green")
            state.append("The private endpoint's connection is Approved: traffic can flow. Next: verify.")
        elif self.state == "failed":
            state.append("[!] ", style="bold red")
            state.append(self.wizard.redact_line(self.summary), style="red")
        else:
            state.append("[~] Pending: ", style="bold yellow")
            state.append("waiting for Astronomer support to approve the connection.\n")
            state.append(f"    Waiting {clock_text(self.wizard.clock() - self.started)}; checked "
                         f"{self.checks} time{'s' if self.checks != 1 else ''} (every few seconds at first, then "
                         "less often).", style="dim")
        self.query_one("#approval-state", Static).update(state)

    def poll(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
        self.cancel = threading.Event()
        self.cancel_events = []
        self.token = object()
        self._poll(self.cancel, self.token)

    @work(thread=True, group="approval-poll")
    def _poll(self, cancel: threading.Event, token: object) -> None:
        try:
            engine = self.wizard.make_engine(cancel=cancel, token=token)
            plans = engine.plan()
            approval = next((p for p in plans if p.step == "approval"), None)
            if approval is not None and approval.payload is not None:
                self.post_message(SupportTextRead(approval.payload.support_text, token))
            result = engine.apply(wait_for_approval=True, plans=plans)
        except Exception as exc:
            self.post_message(ApprovalChecked(None, self.wizard.explain(exc), token))
            return
        self.post_message(ApprovalChecked(result, None, token))

    @on(EngineUpdate)
    def _engine_update(self, message: EngineUpdate) -> None:
        event = message.event
        if message.token is not self.token or event.step != "approval":
            return
        if event.kind == "plan" or (event.kind == "progress" and event.message.startswith("waiting for")):
            self.checks += 1
        self.refresh_content()

    @on(ApprovalChecked)
    def _checked(self, message: ApprovalChecked) -> None:
        if message.token is not self.token:
            return
        if message.result is None:
            self.say((message.error or "") + " Press Ctrl+R to check again.", error=True)
            return
        result = message.result
        outcome = result.outcomes.get("approval")
        if outcome is None:
            return
        if outcome.details:
            self.wizard.support_text = "\n".join(outcome.details)
            self._show_support()
        if result.stopped:
            return
        self.state = outcome.state.value
        self.summary = outcome.summary
        self.wizard.set_step_state("approval", self.state, outcome.summary)
        self.refresh_content()
        if self.state == "done":
            self.set_next(True)
            self.query_one("#next").focus()
            self.say("Approved. Press Next to verify the connection.")
        elif self.state == "blocked":
            self.say("The private endpoint is missing: go back to Create (step 2 makes it).", error=True)

    @on(SupportTextRead)
    def _support(self, message: SupportTextRead) -> None:
        if message.token is self.token:
            self.wizard.support_text = message.text
            self._show_support()

    @on(Button.Pressed, "#copy-button")
    def action_copy(self) -> None:
        if self.wizard.support_text:
            self.app.copy_to_clipboard(self.wizard.support_text)
            self.notify("The text for Astronomer support is on the clipboard.", timeout=4)

    def action_check_now(self) -> None:
        self.say("Checking...")
        self.poll()

    @on(Button.Pressed, "#leave-button")
    def action_leave(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
        self.wizard.save_answers()
        self.app.exit(0, message="Waiting for Astronomer's approval. " + self.wizard.resume_hint())

    @on(Button.Pressed, "#approve-button")
    def action_approve(self) -> None:
        if self.wizard.demo:
            self._approve()

    @work(thread=True, exclusive=True, group="demo-approve")
    def _approve(self) -> None:
        if self.wizard.approve_demo():
            self.post_message(DemoApproved())

    @on(DemoApproved)
    def _approved(self) -> None:
        self.action_check_now()

    def can_leave_forward(self) -> str | None:
        if self.state != "done":
            return "Astronomer has not approved the connection yet; you can leave now and resume later."
        return None
