"""Screen 1: the Remote Execution API URL and the Private Link Service alias, checked as typed; or, with an Astro API
token (ASTRO_API_TOKEN, or pasted here into a masked field and never saved), the Deployment picked from Astro, which
fills the API URL (and so the cluster ID). The manual path stays for customers without a token."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Collapsible, Input, Static

from screens.astro_pick import (
    HELP,
    api_settings,
    deployment_loader,
    has_env_token,
    org_items,
    organizations,
    remember_pasted,
)
from screens.base import WizardScreen
from screens.messages import OrganizationsRead
from screens.widgets.picker import PickerScreen, PickItem
from wizard.core.sanitize import clean_line
from wizard.core.validate import check_alias, check_api_url

WHERE = ("The Remote Execution API URL is in the Astro UI: open your Deployment, then Details; it looks like "
         "https://<cluster-id>.external.astronomer.run. Its first part is your Astro cluster ID (also under "
         "Organization Settings > Clusters).\n\nThe Private Link Service alias comes from Astronomer support, "
         "once they have set up Private Link for your cluster; it looks like "
         "name.<guid>.<region>.azure.privatelinkservice.")


def alias_request(cluster_id: str | None) -> str:
    cid = cluster_id or "<your Astro cluster ID>"
    return ("Hello Astronomer support,\n\nplease configure the Azure Private Link Service for Remote Execution "
            f"on Astro cluster {cid} and send me its Private Link Service alias.\n\n  Cluster ID: {cid}\n\n"
            "Thank you.")


class AstroDetailsScreen(WizardScreen):
    PAGE = "astro"
    HEADING = "Astro details"
    BINDINGS = [Binding("ctrl+y", "copy_request", "Copy request", id="copy-request"),
                Binding("ctrl+o", "pick_deployment", "Pick Deployment", id="pick-deployment")]
    _token = ""   # a pasted Astro API token: in memory only

    def compose_content(self) -> ComposeResult:
        cfg = self.wizard.config
        yield Static("Pick the Deployment from Astro (optional; needs an Astro API token)", classes="label")
        yield Input("", placeholder="Astro API token (or set ASTRO_API_TOKEN); never saved", password=True,
                    id="astro-token", compact=True)
        yield Button("Pick the Deployment (Ctrl+O)", id="pick-deployment", compact=True)
        yield Static("", id="deployment-status", classes="field-status", markup=False)
        yield Static("Remote Execution API URL", classes="label")
        # A draft or record file can hold anything: the fields show (and then hold) the value without what could
        # drive the terminal, so what is checked and saved is what is seen.
        yield Input(clean_line(cfg.api_url), placeholder="https://<cluster-id>.external.astronomer.run", id="api-url",
                    compact=True)
        yield Static("", id="api-url-status", classes="field-status", markup=False)
        yield Static("Private Link Service alias (from Astronomer support)", classes="label")
        yield Input(clean_line(cfg.alias), placeholder="name.<guid>.<region>.azure.privatelinkservice", id="alias",
                    compact=True)
        yield Static("", id="alias-status", classes="field-status", markup=False)
        if self.wizard.demo:
            yield Static("Demo: the sandbox's alias and API URL are filled in for you.", classes="note")
        with Collapsible(title="Where do I find these?", id="where-help"):
            yield Static(WHERE, markup=False)
        with Collapsible(title="No alias yet? The request to send Astronomer support", id="alias-help"):
            yield Static("", id="alias-request", markup=False)
            yield Button("Copy the request (Ctrl+Y)", id="copy-request-button", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.shown_errors = {"api-url": bool(self.wizard.config.api_url), "alias": bool(self.wizard.config.alias)}
        self.refresh_content()
        first = "#api-url" if not check_api_url(self.wizard.config.api_url).ok else "#alias"
        self.query_one(first, Input).focus()

    def refresh_content(self) -> None:
        cfg = self.wizard.config
        for field, value in (("api-url", cfg.api_url), ("alias", cfg.alias)):
            widget = self.query_one(f"#{field}", Input)
            if widget.value != clean_line(value):
                widget.value = clean_line(value)
        self._show()

    def _show(self) -> None:
        cfg = self.wizard.config
        r = self.wizard.redact_line  # the problems and notes quote what was typed or loaded from a file
        url = check_api_url(cfg.api_url)
        status = self.query_one("#api-url-status", Static)
        if url.ok:
            line = Text()
            line.append("ok ", style="bold green")
            line.append(f"Cluster ID: {url.cluster_id}")
            for w in url.warnings:
                line.append(f"\nnote: {r(w)}", style="yellow")
            status.update(line)
        elif self.shown_errors.get("api-url"):
            status.update(Text("! " + r(url.problems[0]), style="red"))
        else:
            status.update(Text("The cluster ID is read from this URL.", style="dim"))
        alias = check_alias(cfg.alias)
        status = self.query_one("#alias-status", Static)
        if alias.ok:
            line = Text()
            line.append("ok ", style="bold green")
            line.append("Looks right" + (f" (region {alias.region})." if alias.region else "."))
            for w in alias.warnings:
                line.append(f"\nnote: {r(w)}", style="yellow")
            status.update(line)
        elif self.shown_errors.get("alias"):
            status.update(Text("! " + r(alias.problems[0]), style="red"))
        else:
            status.update(Text("Paste it exactly as support sent it; Azure checks it before anything is created.",
                               style="dim"))
        self.query_one("#alias-request", Static).update(alias_request(url.cluster_id))
        self._show_deployment()
        self.sub_title = f"cluster {url.cluster_id}" if url.cluster_id else ""
        self.wizard.refresh_checklists()

    def _show_deployment(self, problem: str | None = None) -> None:
        cfg = self.wizard.config
        status = self.query_one("#deployment-status", Static)
        if problem:
            status.update(Text("! " + self.wizard.redact_line(problem), style="red"))
        elif cfg.deployment_id:
            status.update(Text(f"Deployment {cfg.deployment_id} (organization {cfg.organization_id}): the API URL "
                               "below is Astro's for it.", style="green"))
        elif self._token or has_env_token(self.app):
            status.update(Text("A token is ready: pick the Deployment, or type the API URL below.", style="dim"))
        else:
            status.update(Text("No token? Type the API URL below instead.", style="dim"))

    @on(Button.Pressed, "#pick-deployment")
    def action_pick_deployment(self) -> None:
        try:
            settings = api_settings(self.app, self._token)
        except ValueError as exc:   # SettingsError: a base URL or token that cannot work, one sentence
            self._show_deployment(str(exc))
            return
        self.say("Reading your organizations from Astro...")
        self._load_organizations(settings)

    @work(thread=True, exclusive=True, group="astro-orgs")
    def _load_organizations(self, settings: object) -> None:
        from wizard.core.astro_api import AstroApiError, AstroApiSettings

        assert isinstance(settings, AstroApiSettings)
        try:
            orgs = organizations(settings)
        except AstroApiError as exc:
            self.post_message(OrganizationsRead(settings, [], str(exc)))
            return
        self.post_message(OrganizationsRead(settings, orgs))

    @on(OrganizationsRead)
    def _organizations_read(self, message: OrganizationsRead) -> None:
        self.say("")
        if message.error is not None:
            self._show_deployment(message.error)
            return
        settings, orgs = message.settings, message.orgs
        if not orgs:
            self._show_deployment("The token sees no Astro organization: use an Organization API token, or type the "
                                  "API URL below.")
            return
        if len(orgs) == 1:   # one organization: chosen silently
            self._pick_in(settings, str(orgs[0].get("id")))
            return
        self.app.push_screen(PickerScreen("Astro organization", "organizations", items=org_items(orgs),
                                          selected=self.wizard.config.organization_id,
                                          redact=self.wizard.redact_line),
                             partial(self._org_chosen, settings))

    def _org_chosen(self, settings: object, item: PickItem | None) -> None:
        if item is not None:
            self._pick_in(settings, item.key)

    def _pick_in(self, settings: object, org: str) -> None:
        from wizard.core.astro_api import AstroApiSettings

        assert isinstance(settings, AstroApiSettings)
        self.app.push_screen(PickerScreen("Remote Execution Deployment", "Deployments",
                                          deployment_loader(settings, org), help_text=HELP,
                                          selected=self.wizard.config.deployment_id,
                                          redact=self.wizard.redact_line, explain=str),
                             self._deployment_chosen)

    def _deployment_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        reason = item.data.get("reason")
        if reason:   # listed with its reason, and not taken
            self._show_deployment(f"{item.data.get('name')} cannot be chosen: {reason}. Pick a Remote Execution "
                                  "Deployment on an Azure cluster.")
            return
        cfg = self.wizard.config
        cfg.organization_id, cfg.deployment_id = str(item.data["org"]), item.key
        cfg.api_url = str(item.data["api_url"])
        self.shown_errors["api-url"] = True
        self.wizard.save_answers()
        self.refresh_content()
        self.query_one("#alias", Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id == "astro-token":
            self._token = event.value.strip()
            remember_pasted(self._token)   # for Verify and Done in this run; memory only
            self._show_deployment()
            return
        if event.input.id == "api-url":
            cfg = self.wizard.config
            if cfg.deployment_id and event.value.strip() != cfg.api_url:   # typed over: the manual path again
                cfg.deployment_id = cfg.organization_id = None
            cfg.api_url = event.value.strip()
        elif event.input.id == "alias":
            self.wizard.config.alias = event.value.strip()
        else:
            return
        if event.value.strip():
            self.shown_errors[event.input.id] = True
        self._show()
        self.say("")

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self.wizard.save_answers()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "astro-token":
            self.action_pick_deployment()
        elif event.input.id == "api-url":
            self.query_one("#alias", Input).focus()
        else:
            self.action_next()

    def can_leave_forward(self) -> str | None:
        self.shown_errors = {"api-url": True, "alias": True}
        self._show()
        url, alias = check_api_url(self.wizard.config.api_url), check_alias(self.wizard.config.alias)
        if not url.ok:
            self.query_one("#api-url", Input).focus()
            return "Fix the API URL first (see the reason under it)."
        if not alias.ok:
            self.query_one("#alias", Input).focus()
            return "Fix the alias first (see the reason under it)."
        return None

    @on(Button.Pressed, "#copy-request-button")
    def action_copy_request(self) -> None:
        self.app.copy_to_clipboard(alias_request(self.wizard.config.cluster_id))
        self.notify("The request for Astronomer support is on the clipboard.", timeout=4)
