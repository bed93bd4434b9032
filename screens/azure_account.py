"""Screen 2: who is signed in to Azure, a way out when nobody is, and the subscription.

Not signed in: the page offers `az login` (a browser) and `az login --use-device-code` (no browser here: SSH, a
container, a remote screen share; the one focused first when `has_browser()` says so), runs it in a worker with its
words shown on the page (the device code among them), then checks again: no restart. Signed in with the Azure CLI,
the subscription `az account show` has selected is the one offered first. An account in several tenants sees them
above the subscriptions (the one its tokens are for now chosen); picking another asks tokens for that tenant from then
on (`WizardHost.switch_tenant`) and lists its subscriptions (issue 17).
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.messages import (
    LoginFinished,
    LoginOutput,
    SignInChecked,
    SubscriptionsListed,
    TenantFallback,
    TenantsListed,
)
from screens.widgets.picker import Picker
from wizard.core.constants import ENV_ACCESS_TOKEN

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.azure import SignedInIdentity

NOT_SIGNED_IN_HELP = (
    "Sign in with the Azure CLI; the wizard goes on by itself when it is done:\n"
    "  Ctrl+L  `az login`: opens a browser on this machine.\n"
    "  Ctrl+D  `az login --use-device-code`: no browser here (SSH, a container, a remote screen share)? Open the\n"
    "          page it shows on any device and type the code.\n"
    f"Or quit (Ctrl+Q; your answers are saved), set {ENV_ACCESS_TOKEN} to the output of\n"
    "`az account get-access-token --query accessToken -o tsv`, and start again. Ctrl+R checks again.")
LOGIN_LINES = 8  # the last lines of az login's output shown (the device code is among the first)
# In the demo the sandbox signs you in: `az login` would sign in to real Azure, which the demo never uses.
DEMO_HELP = "The demo's own sign-in failed: press Ctrl+R to check again, or quit and run astro-privatelink demo again."


class AzureAccountScreen(WizardScreen):
    PAGE = "azure"
    HEADING = "Azure sign-in and subscription"
    BINDINGS = [Binding("ctrl+r", "recheck", "Check again", id="recheck"),
                Binding("ctrl+l", "az_login", "az login", id="az-login"),
                Binding("ctrl+d", "az_login_device", "Device code", id="az-login-device")]
    az_default: str | None = None  # the subscription `az account show` has selected (set by the check worker)
    _run: object = None   # the latest check: answers of an earlier one (another tenant's) are dropped
    _tenant_now: str | None = None   # the tenant the tokens are for, as the last check's identity said

    def compose_content(self) -> ComposeResult:
        yield Static("Checking who is signed in to Azure...", id="identity", markup=False)
        yield Static("", id="signin-help", classes="help", markup=False)
        with Horizontal(id="signin-buttons", classes="step-actions"):
            yield Button("Run az login (Ctrl+L)", id="az-login-button", compact=True)
            yield Button("Use a device code (Ctrl+D)", id="az-device-button", compact=True)
            yield Button("Check again (Ctrl+R)", id="recheck-button", compact=True)
        yield Static("", id="login-output", markup=False)
        yield Static("Subscription (where the endpoint and DNS zone go)", classes="label", id="subscription-label")
        yield Picker("subscriptions", redact=self.wizard.redact_line,
                     selected=self.wizard.config.subscription_id or None, id="subscriptions")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#signin-buttons").display = False
        self.query_one("#signin-help").display = False
        self.query_one("#login-output").display = False
        self.query_one("#subscriptions", Picker).focus_filter()
        self._run = object()
        # A tenant picked in an earlier run ([azure] tenant_id, saved with the answers): its tokens again, so the
        # saved subscription is listed (another tenant's is not visible with the account's default token).
        saved = (self.wizard.config.tenant_id or "").strip()
        self._tenant_now = None
        self.check(self._run, saved or None, saved=bool(saved))

    @work(thread=True, exclusive=True, group="azure-account")
    def check(self, run: object, tenant: str | None = None, *, saved: bool = False) -> None:
        """Who is signed in, the tenants they may switch to, then the subscriptions they see; each answer comes back
        as a message carrying `run` (a later check's answers replace this one's). `tenant`: switch to it first;
        `saved`: it is the one saved with the answers, and when it gives no token the account's own is used."""
        from wizard.core.azure import AzureAccessError

        try:
            if tenant is not None:
                self.wizard.switch_tenant(tenant)
            listings = self.wizard.listings
            identity = listings.signed_in()
        except AzureAccessError as exc:
            if saved and tenant is not None:   # not signed in to it any more: go on in the account's own tenant
                self.wizard.switch_tenant("")
                self.wizard.config.tenant_id = None
                self.post_message(TenantFallback(tenant))
                self.check(run)
                return
            # a tenant just picked may need its own sign-in (another directory's MFA or consent)
            said = (f"No token for tenant {tenant}: sign in to it (`az login --tenant {tenant}`), then press Ctrl+R, "
                    "or pick another tenant above." if tenant is not None else str(exc))
            self.post_message(SignInChecked(None, said, run=run))
            return
        except Exception as exc:
            self.post_message(SignInChecked(None, self.wizard.explain(exc), run=run))
            return
        self.post_message(SignInChecked(identity, run=run))
        try:
            tenants = listings.tenants()
        except Exception as exc:
            self.post_message(TenantsListed([], identity.tenant_id, self.wizard.explain(exc), run=run))
        else:
            self.post_message(TenantsListed(tenants, identity.tenant_id, run=run))
        if identity.source.startswith("Azure CLI") and not self.wizard.config.subscription_id:
            from wizard.core.azcli import az_account

            account = az_account()
            self.az_default = account.subscription_id if account else None
        try:
            items = listings.subscriptions()
        except Exception as exc:
            self.post_message(SubscriptionsListed([], self.wizard.explain(exc), run=run))
            return
        self.post_message(SubscriptionsListed(items, run=run))

    @on(TenantFallback)
    def _tenant_fallback(self, message: TenantFallback) -> None:
        tenant = self.wizard.redact_line(message.tenant)
        self.notify(f"No token for the tenant saved with this setup ({tenant}): using your account's own. To use it, "
                    f"run `az login --tenant {tenant}`, then Ctrl+R, and pick it above.", timeout=10)

    @on(SignInChecked)
    def _sign_in_checked(self, message: SignInChecked) -> None:
        if message.run is not self._run:   # an earlier check's (another tenant's)
            return
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
        self.query_one("#az-device-button").display = not demo
        self.query_one("#subscriptions", Picker).set_error("Sign in first; the subscriptions are listed then.")
        from wizard.core.azcli import has_browser

        first = "#recheck-button" if demo else "#az-login-button" if has_browser() else "#az-device-button"
        self.query_one(first, Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("az_login", "az_login_device"):  # not in the demo (the sandbox signs in), nor in its footer
            return not self.wizard.demo
        return True

    @on(TenantsListed)
    async def _tenants(self, message: TenantsListed) -> None:
        """Several tenants: the tenant picker (mounted the first time, so one tenant leaves the page as it was)."""
        if message.run is not self._run or (not message.items and message.error is None):
            return
        picker = await self._tenant_picker()
        if message.error is not None:
            picker.set_error(message.error)
            return
        self._tenant_now = message.current
        current = (message.current or "").lower()
        picker.selected = next((i.key for i in message.items if i.key.lower() == current), message.current)
        picker.set_items(message.items)

    async def _tenant_picker(self) -> Picker:
        found = self.query("#tenants")
        if found:
            return found.first(Picker)
        label = self.query_one("#subscription-label")
        picker = Picker("tenants", redact=self.wizard.redact_line, id="tenants")
        parent = label.parent
        assert isinstance(parent, Widget)
        await parent.mount(Static("Tenant (directory): whose subscriptions are listed below", classes="label",
                                  id="tenant-label"), picker, before=label)
        return picker

    @on(Picker.Picked, "#tenants")
    def _tenant_picked(self, event: Picker.Picked) -> None:
        """Tokens for the picked tenant from now on, and its subscriptions; the answers made in the other tenant
        (its subscription, group, VNet and subnet) are cleared, as `_choose` does for another subscription."""
        event.stop()
        self.wizard.config.tenant_id = event.item.key   # kept with the answers: a later run asks tokens for it again
        if (self._tenant_now or "").lower() == event.item.key.lower():
            self.wizard.save_answers()
            self.say(f"Tenant: {event.item.label} (the one in use)")
            self.query_one("#subscriptions", Picker).focus_filter()
            return
        cfg = self.wizard.config
        if cfg.subscription_id or cfg.resource_group or cfg.vnet:
            cfg.subscription_id, cfg.resource_group, cfg.vnet, cfg.subnet, cfg.linked_vnets = "", "", "", "", []
            self.notify("Another tenant: choose the subscription, resource group, VNet and subnet again.", timeout=6)
            self.wizard.save_answers()
            self.wizard.refresh_checklists()
        subs = self.query_one("#subscriptions", Picker)
        subs.selected = None
        subs.set_items([])
        subs.error, subs.loading_items = None, True
        subs.refilter()
        self.query_one("#identity", Static).update("Checking who is signed in to Azure...")
        self.say(f"Tenant: {event.item.label}; listing its subscriptions...")
        self._run = object()
        self._tenant_now = None   # known again when the check has a token of the new tenant
        self.check(self._run, event.item.key)

    @on(SubscriptionsListed)
    def _subscriptions(self, message: SubscriptionsListed) -> None:
        if message.run is not self._run:
            return
        picker = self.query_one("#subscriptions", Picker)
        if message.error is not None:
            picker.set_error(message.error)
            return
        items = message.items
        picker.set_items(items)
        default = next((i for i in items if self.az_default and i.key.lower() == self.az_default.lower()), None)
        if len(items) == 1 and not self.wizard.config.subscription_id:
            default = items[0]
        if default is not None and not self.wizard.config.subscription_id:
            self._choose(default.key, default.label)
            picker.selected = default.key
            picker.refilter()
            if len(items) > 1:
                self.say(f"Subscription: {default.label} (az account show's; pick another below if need be)")
                return
        self.say("")

    @on(Picker.Picked, "#subscriptions")
    def _picked(self, event: Picker.Picked) -> None:
        self._choose(event.item.key, event.item.label)
        self.action_next()

    def _choose(self, sub: str, name: str) -> None:
        cfg = self.wizard.config
        if cfg.subscription_id and cfg.subscription_id.lower() != sub.lower() and (cfg.resource_group or cfg.vnet):
            cfg.resource_group, cfg.vnet, cfg.subnet, cfg.linked_vnets = "", "", "", []
            if not cfg.dns_subscription_id:  # a zone group named in the old subscription means nothing in the new
                cfg.dns_resource_group = None
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
        picker = self.query_one("#subscriptions", Picker)
        picker.error, picker.loading_items = None, True
        self._run = object()
        self.check(self._run)

    @on(Button.Pressed, "#az-login-button")
    def action_az_login(self) -> None:
        self._login(device_code=False)

    @on(Button.Pressed, "#az-device-button")
    def action_az_login_device(self) -> None:
        self._login(device_code=True)

    def _login(self, *, device_code: bool) -> None:
        from wizard.core.azcli import az_path

        if self.wizard.demo:
            return
        if az_path() is None:
            self.say("The Azure CLI (az) is not installed here: install it (https://aka.ms/azcli), or use the access "
                     "token way instead.", error=True)
            return
        out = self.query_one("#login-output", Static)
        out.update("Running az login" + (" with a device code" if device_code else "") + "...")
        out.display = True
        self.say("Waiting for az login to finish...")
        self.run_login(device_code)

    @work(thread=True, exclusive=True, group="az-login")
    def run_login(self, device_code: bool) -> None:
        """`az login` in a worker, its words (the device code, the page to open) shown as they come; no terminal
        handover, so it works the same over SSH and in a container. stdin is closed: az asks nothing then."""
        from wizard.core.azcli import login_command

        cmd = [*login_command(device_code=device_code), "--output", "none"]
        lines: list[str] = []
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    text=True, env=dict(os.environ, AZURE_CORE_NO_COLOR="true"))
        except OSError as exc:
            self.post_message(LoginFinished(None, [f"Could not run az: {exc}"]))
            return
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                lines.append(line.rstrip())
                self.post_message(LoginOutput(list(lines)))
        self.post_message(LoginFinished(proc.wait(), lines))

    @on(LoginOutput)
    def _login_output(self, message: LoginOutput) -> None:
        self._show_login(message.lines)

    def _show_login(self, lines: list[str]) -> None:
        r = self.wizard.redact_line
        shown = lines[:2] + lines[2:][-(LOGIN_LINES - 2):] if len(lines) > LOGIN_LINES else lines
        self.query_one("#login-output", Static).update("\n".join(r(line) for line in shown))

    @on(LoginFinished)
    def _login_done(self, message: LoginFinished) -> None:
        code, lines = message.code, message.lines
        if lines:
            self._show_login(lines)
        if code == 0:
            self.say("az login finished; checking who is signed in...")
            self.action_recheck()
        else:
            self.say("az login did not finish" + (f" (exit code {code})" if code is not None else "") + ": see its "
                     "words above, then try again (Ctrl+L, or Ctrl+D for a device code).", error=True)
