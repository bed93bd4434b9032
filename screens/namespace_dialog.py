"""The one question before the first check from inside the agents' AKS cluster (issue 13): which namespace the probe
pod runs in, so the agents' network policies apply to it. The answer is a Kubernetes namespace name (checked as
Kubernetes checks it: wizard/core/kube_names.py); empty means Kubernetes' `default` namespace; Esc cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from wizard.core.kube_names import NAMESPACE_MAX, namespace_problems
from wizard.core.sanitize import clean_line

DEFAULT_NAMESPACE = "default"   # where a pod goes when no namespace is named (Kubernetes' own default)


class NamespaceScreen(ModalScreen["str | None"]):
    """Ask for the agents' namespace: dismissed with the name ("default" when left empty), or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="namespace-cancel")]

    def __init__(self, cluster: str) -> None:
        super().__init__()
        self.cluster = cluster

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="namespace-dialog"):
            yield Static(clean_line(f"Run the checks in AKS cluster {self.cluster}"), classes="dialog-title",
                         markup=False)
            yield Static("Namespace of your agents (their network policies then apply to the probe); empty: default. "
                         "Asked once: it is saved with your answers ([aks] namespace).", markup=False)
            yield Input(placeholder="default", id="namespace-input", max_length=NAMESPACE_MAX + 1)
            yield Static("", id="namespace-error", classes="field-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (Esc)", id="namespace-no", compact=True)
                yield Button("Run the checks (Enter)", id="namespace-yes", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#namespace-input", Input).focus()

    @on(Input.Submitted, "#namespace-input")
    @on(Button.Pressed, "#namespace-yes")
    def _submit(self) -> None:
        value = self.query_one("#namespace-input", Input).value.strip()
        if not value:
            self.dismiss(DEFAULT_NAMESPACE)
            return
        problems = namespace_problems(value)
        if problems:
            self.query_one("#namespace-error", Static).update(clean_line("! " + problems[0]))
            self.query_one("#namespace-input", Input).focus()
            return
        self.dismiss(value)

    @on(Button.Pressed, "#namespace-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
