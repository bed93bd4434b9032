"""Screen 8: what exists (names, ids, IP), the optional restrict-traffic step, and where the record is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.messages import EndpointRead
from screens.widgets.astro_health import AstroHealth
from screens.widgets.wrap import Hanging
from steps.registry import resource_order
from wizard.core.ids import vnet_name_of
from wizard.core.sanitize import clean_line

if TYPE_CHECKING:  # pragma: no cover
    from steps.context import EndpointInfo

RESTRICT = (
    "Optional, once agents are healthy: restrict the Deployment to the private path.\n"
    "  1. Note your Astro cluster ID ({cluster}): Organization Settings > Clusters > Cluster details.\n"
    "  2. In the Astro UI, open your Deployment, then Settings.\n"
    "  3. Under Advanced settings, add the cluster CIDR range to Allowed IP address ranges.\n"
    "Then only traffic that comes through the Private Link Service reaches the Deployment. Also check in the "
    "Astro UI that your agents heartbeat and report Healthy.")

LABELS = {"private_endpoint": "Private endpoint", "network_interface": "Network interface", "dns_zone": "DNS zone",
          "a_record": "A record"}


def label_of(key: str) -> str:
    """A setup-record key as a person reads it: `vnet_link:vnet-aks-prod` is "VNet link to vnet-aks-prod"."""
    kind, _, name = key.partition(":")
    if kind == "vnet_link":
        return f"VNet link to {name}" if name else "VNet link"
    label = LABELS.get(kind, kind.replace("_", " ").capitalize())
    return f"{label} {name}" if name else label


class DoneScreen(WizardScreen):
    PAGE = "done"
    HEADING = "Done: what exists now"
    NEXT_LABEL = "Quit"
    BINDINGS = [Binding("ctrl+y", "copy_summary", "Copy summary", id="copy-summary"),
                Binding("ctrl+t", "restrict_traffic", "Restrict traffic", id="restrict-traffic", show=False)]

    def compose_content(self) -> ComposeResult:
        yield Static("", id="done-status", markup=False)
        yield Static("Reading the endpoint...", id="summary", markup=False)
        yield AstroHealth()   # shown once Astro's status of a picked Deployment is read (issue 14)
        yield Static("", id="restrict", classes="help", markup=False)
        if self.wizard.config.deployment_id:   # picked from the Astro API: the step can be done from here
            yield Button("Restrict traffic... (Ctrl+T)", id="restrict-button", compact=True)
        yield Static("", id="record-path", classes="muted", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        w = self.wizard
        ok = w.verify_state == "done"
        self.query_one("#done-status", Static).update(Hanging(
            Text("[x] Private Link is set up and verified.", style="bold green") if ok else
            Text("[!] Set up, but the verify checks did not all pass: see step 7.", style="bold yellow")))
        self.query_one("#restrict", Static).update(Hanging(w.redact(RESTRICT.format(cluster=w.config.cluster_id))))
        if w.record is not None:
            cid = w.record.key
            config = w.store.config_path_for(cid)
            log = w.request_log or "(not written yet)"
            self.query_one("#record-path", Static).update(w.redact_line(
                f"The setup record is in {w.store.path_for(cid)} (no secrets), your answers in {config}, and every "
                f"Azure request with its correlation id in {log} (for Azure support; "
                f"`astro-privatelink report --config {config}` summarises it). To check again later: "
                f"astro-privatelink verify --config {config}. To remove what this tool created: "
                f"astro-privatelink destroy --config {config}."))
        self.summary_text = ""
        self.read_endpoint()
        self.query_one(AstroHealth).read()

    @on(Button.Pressed, "#restrict-button")
    def action_restrict_traffic(self) -> None:
        from screens.astro_pick import api_settings, pasted_token
        from screens.restrict_traffic import RestrictTrafficScreen

        w = self.wizard
        cfg = w.config
        if not (cfg.organization_id and cfg.deployment_id):
            self.say("Pick the Deployment on the Astro details page first (it needs an Astro API token).", error=True)
            return
        if w.verify_state != "done":
            self.say("Verify must pass first: restricting traffic now could cut your agents off.", error=True)
            return
        try:
            settings = api_settings(self.app, pasted_token())
        except ValueError as exc:
            self.say(str(exc), error=True)
            return

        def save() -> None:
            if w.record is not None:
                w.store.save(w.record)

        self.app.push_screen(RestrictTrafficScreen(settings, cfg.organization_id, cfg.deployment_id, w.record, save))

    @work(thread=True, exclusive=True, group="done")
    def read_endpoint(self) -> None:
        try:
            pe = self.wizard.make_engine().ctx.endpoint()
        except Exception as exc:
            self.post_message(EndpointRead(None, self.wizard.explain(exc)))
            return
        self.post_message(EndpointRead(pe))

    @on(EndpointRead)
    def _endpoint_read(self, message: EndpointRead) -> None:
        if message.error is not None:
            self.say(message.error, error=True)
        self._show(message.endpoint)

    def _show(self, pe: EndpointInfo | None) -> None:
        w = self.wizard
        cfg = w.config
        lines = [f"Astro cluster: {cfg.cluster_id}",
                 f"API host: {cfg.cluster_id}.external.astronomer.run"]
        if pe is not None:
            lines += [f"Private endpoint: {pe.name} ({pe.location}), connection {pe.connection_status or '?'}",
                      f"Network interface: {pe.nic_name or '?'}",
                      f"Private IP: {pe.private_ip or '?'}"]
        lines.append(f"Subscription: {cfg.subscription_id}")
        lines.append(f"Resource group: {cfg.resource_group}; VNet {vnet_name_of(cfg.vnet)}, subnet {cfg.subnet}")
        if cfg.linked_vnets:
            lines.append("Also linked: " + ", ".join(vnet_name_of(v) for v in cfg.linked_vnets))
        if w.record is not None:
            lines.append("")
            lines.append("Resource ids:")
            for key, entry in sorted(w.record.resources.items(), key=lambda kv: resource_order(kv[0])):
                made = "created by this tool" if entry.created_by_tool else "reused"
                lines.append(f"  {label_of(key)} ({made}):")
                lines.append(f"    {entry.id}")
        self.summary_text = "\n".join(clean_line(line) for line in lines)  # names and ids from Azure and files
        self.query_one("#summary", Static).update(Hanging(w.redact(self.summary_text)))

    def action_copy_summary(self) -> None:
        if self.summary_text:
            self.app.copy_to_clipboard(self.summary_text)
            self.notify("The summary is on the clipboard.", timeout=4)

    def go_next(self) -> None:
        self.app.exit(0, message="Private Link set up. " + self.wizard.resume_hint())
