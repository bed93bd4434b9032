"""Screen 2: who is signed in to Azure, a way out when nobody is, and the subscription."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.messages import SignInChecked, SubscriptionsListed
from screens.widgets.picker import Picker
from wizard.core.constants import ENV_ACCESS_TOKEN

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.azure import SignedInIdentity

NOT_SIGNED_IN_HELP = (
    "Two ways to sign in:\n"
    "  1. Press Ctrl+L: the wizard steps aside, runs `az login` in this terminal, and comes back.\n"
    f"  2. Quit (Ctrl+Q; your answers are saved), set {ENV_ACCESS_TOKEN} to the output of\n"
    "     `az account get-access-token --query accessToken -o tsv`, and start again.\n"
    "Then press Ctrl+R to check again.")
# In the demo the sandbox signs you in: `az login` would sign in to real Azure, which the demo never uses.
DEMO_HELP = "The demo's own sign-in failed: press Ctrl+R to check again, or quit and run astro-privatelink demo again."


class AzureAccountScreen(WizardScreen):
    PAGE = "azure"
    HEADING = "Azure sign-in and subscription"
    BINDINGS = [Binding("ctrl+r", "recheck", "Check again", id="recheck"),
                Binding("ctrl+l", "az_login", "az login", id="az-login")]

    def compose_content(self) -> ComposeResult:
        yield Static("Checking who is signed in to Azure...", id="identity", markup=False)
        yield Static("", id="signin-help", classes="help", markup=False)
        with Horizontal(id="signin-buttons", classes="step-actions"):
            yield Button("Run az login (Ctrl+L)", id="az-login-button", compact=True)
            yield Button("Check again (Ctrl+R)", id="recheck-button", compact=True)
        yield Static("Subscription (where the endpoint and DNS zone go)", classes="label")
        yield Picker("subscriptions", redact=self.wizard.redact_line,
                     selected=self.wizard.config.subscription_id or None, id="subscriptions")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#signin-buttons").display = False
        self.query_one("#signin-help").display = False
        self.query_one(Picker).focus_filter()
        self.check()

    @work(thread=True, exclusive=True, group="azure-account")
    def check(self) -> None:
        """Who is signed in, then the subscriptions they see; each answer comes back as a message."""
        from wizard.core.azure import AzureAccessError

        listings = self.wizard.listings
        try:
            identity = listings.signed_in()
        except AzureAccessError as exc:
            self.post_message(SignInChecked(None, str(exc)))
            return
        except Exception as exc:
            self.post_message(SignInChecked(None, self.wizard.explain(exc)))
            return
        self.post_message(SignInChecked(identity))
        try:
            items = listings.subscriptions()
        except Exception as exc:
            self.post_message(SubscriptionsListed([], self.wizard.explain(exc)))
            return
        self.post_message(SubscriptionsListed(items))

    @on(SignInChecked)
    def _sign_in_checked(self, message: SignInChecked) -> None:
        if message.identity is None:
            self._not_signed_in(message.error or "")
        else:
            self._signed_in(message.identity)

    def _signed_in(self, identity: SignedInIdentity) -> None:
        r = self.wizard.redact_line
        line = Text()
        line.append("ok ", style="bold green")
        line.append(f"Signed in as {r(identity.name)}")
        if identity.tenant_id:
            line.append(f" (tenant {r(identity.tenant_id)})")
        line.append(f", using {r(identity.source)}.", style="dim")
        self.query_one("#identity", Static).update(line)
        self.query_one("#signin-buttons").display = False
        self.query_one("#signin-help").display = False

    def _not_signed_in(self, message: str) -> None:
        demo = self.wizard.demo
        self.query_one("#identity", Static).update(Text("! " + self.wizard.redact_line(message), style="bold red"))
        self.query_one("#signin-help", Static).update(DEMO_HELP if demo else NOT_SIGNED_IN_HELP)
        self.query_one("#signin-help").display = True
        self.query_one("#signin-buttons").display = True
        self.query_one("#az-login-button").display = not demo
        self.query_one(Picker).set_error("Sign in first; the subscriptions are listed then.")
        self.query_one("#recheck-button" if demo else "#az-login-button", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "az_login":  # not offered in the demo (the sandbox signs in); hidden from the footer too
            return not self.wizard.demo
        return True

    @on(SubscriptionsListed)
    def _subscriptions(self, message: SubscriptionsListed) -> None:
        picker = self.query_one(Picker)
        if message.error is not None:
            picker.set_error(message.error)
            return
        items = message.items
        picker.set_items(items)
        if len(items) == 1 and not self.wizard.config.subscription_id:
            self._choose(items[0].key, items[0].label)
            picker.selected = items[0].key
            picker.refilter()
        self.say("")

    @on(Picker.Picked, "#subscriptions")
    def _picked(self, event: Picker.Picked) -> None:
        self._choose(event.item.key, event.item.label)
        self.action_next()

    def _choose(self, sub: str, name: str) -> None:
        cfg = self.wizard.config
        if cfg.subscription_id and cfg.subscription_id.lower() != sub.lower() and (cfg.resource_group or cfg.vnet):
            cfg.resource_group, cfg.vnet, cfg.subnet, cfg.linked_vnets = "", "", "", []
            self.notify("Another subscription: choose the resource group, VNet and subnet again.", timeout=6)
        cfg.subscription_id = sub
        self.wizard.save_answers()
        self.wizard.refresh_checklists()
        self.say(f"Subscription: {name}")

    def can_leave_forward(self) -> str | None:
        if not self.wizard.config.subscription_id:
            return "Choose a subscription first."
        return None

    @on(Button.Pressed, "#recheck-button")
    def action_recheck(self) -> None:
        self.query_one("#identity", Static).update("Checking who is signed in to Azure...")
        picker = self.query_one(Picker)
        picker.error, picker.loading_items = None, True
        self.check()

    @on(Button.Pressed, "#az-login-button")
    def action_az_login(self) -> None:
        if self.wizard.demo:
            return
        if not shutil.which("az"):
            self.say("The Azure CLI (az) is not installed here; use the access token way instead.", error=True)
            return
        with self.app.suspend():
            subprocess.run(["az", "login"], check=False)
        self.action_recheck()
