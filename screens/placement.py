"""Screen 3: where the endpoint goes. It starts with the agents' AKS cluster (a live list with type-ahead): choosing
one fills the resource group and the VNet (every VNet of its node pools is linked; for a VNet AKS manages, the
`aks-vnet-*` of its node resource group, said plainly) and leaves the subnet to choose. The manual path (resource
group -> VNet -> subnet) stays for agents that run elsewhere. Names and extra VNets follow; an extra VNet may live in
another subscription (its subscription is picked first), and so may the DNS zone (the "DNS zone" row: with the
endpoint, an existing zone found in a subscription the account can read, or a resource group of any subscription;
issue 15)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Static

from screens.base import WizardScreen
from screens.messages import SubscriptionsListed, VnetRead
from screens.widgets.picker import Emit, Loader, PickerScreen, PickItem
from screens.zone_choice import chosen_key, set_zone_place, zone_choices, zone_place_line
from wizard.core.config import SetupConfig
from wizard.core.constants import DEFAULT_ENDPOINT_NAME
from wizard.core.ids import parse_id, resource_group_of, vnet_id, vnet_name_of
from wizard.core.sanitize import clean_line
from wizard.core.validate import check_name


class ClusterRead(Message):
    """The chosen AKS cluster's VNets were read (or could not be: `error`, one sentence)."""

    def __init__(self, vnets: list[str], source: str, error: str | None = None) -> None:
        super().__init__()
        self.vnets, self.source, self.error = vnets, source, error


def subnet_choices(details: dict) -> tuple[list[PickItem], str | None]:
    """The subnets an endpoint can go in (not delegated, a free address; Azure refuses the others with
    PrivateEndpointCreationNotAllowedAsSubnetIsDelegated / SubnetIsFull, steps/preflight.py), and a note saying why
    the others are not offered. Details without the facts (an older cache) offer every subnet."""
    prefixes, free, delegated = details.get("prefixes", {}), details.get("free"), details.get("delegated", {})
    items: list[PickItem] = []
    left_out: list[str] = []
    gateway: list[str] = []
    for name in details.get("subnets", []):
        if name in delegated:
            left_out.append(f"{name} (delegated to {', '.join(delegated[name])})")
        elif free is not None and free.get(name, 1) < 1:
            left_out.append(f"{name} (no free address)")
        elif name.lower() == "gatewaysubnet":
            # MicrosoftDocs/azure-docs articles/vpn-gateway/vpn-gateway-about-vpn-gateway-settings.md, "Gateway
            # subnet": the VPN/ExpressRoute gateway's VMs go there; "Never deploy anything else ... to the gateway
            # subnet."
            gateway.append(name)
        else:
            room = f"  {free[name]} free" if free is not None and name in free else ""
            items.append(PickItem(name, name, f"{prefixes.get(name, '')}{room}"))
    notes = ["Not offered, Azure creates no endpoint there: " + "; ".join(left_out) + "."] if left_out else []
    if gateway:
        notes.append(f"Not offered: {', '.join(gateway)} (the VPN/ExpressRoute gateway's subnet, where Microsoft says "
                     "to deploy nothing else).")
    return items, " ".join(notes) or None


def full_vnet_id(config: SetupConfig, ref: str) -> str:
    """A VNet given by name (in the chosen resource group) or by id, as its id."""
    return ref if ref.startswith("/") else vnet_id(config.subscription_id, config.resource_group, ref)


class PlacementScreen(WizardScreen):
    PAGE = "placement"
    HEADING = "Where the private endpoint goes"
    vnet_source = ""                 # where the VNet came from, when a cluster gave it
    cluster_vnets: list[str] = []    # the VNets the chosen cluster gave
    subscriptions: list[PickItem] | None = None   # the account's subscriptions, once listed (for "Add a VNet")
    BINDINGS = [Binding("ctrl+k", "pick_cluster", "AKS cluster", id="pick-cluster"),
                Binding("ctrl+g", "pick_rg", "Resource group", id="pick-rg"),
                Binding("ctrl+l", "add_link", "Link a VNet", id="add-link")]

    def compose_content(self) -> ComposeResult:
        cfg = self.wizard.config
        yield Static("Which AKS cluster runs your Remote Execution Agents? Its resource group and VNet follow; or pick "
                     "them yourself below.", classes="help")
        for key, name, label in (("aks", "AKS cluster", "Choose"), ("rg", "Resource group", "Change"),
                                 ("vnet", "Virtual network", "Change"),
                                 ("subnet", "Subnet", "Change")):
            with Horizontal(classes="field-row"):
                yield Static(name, classes="field-name")
                yield Static("", id=f"{key}-value", classes="field-value", markup=False)
                yield Button(label, id=f"{key}-button", compact=True)
        yield Static("", id="vnet-source", classes="muted", markup=False)
        yield Static("", id="region", classes="muted", markup=False)
        yield Static("Private endpoint name", classes="label")
        yield Input(clean_line(cfg.endpoint_name), placeholder=DEFAULT_ENDPOINT_NAME, id="endpoint-name", compact=True)
        yield Static("", id="endpoint-name-status", classes="field-status", markup=False)
        yield Static("Network interface name (empty: Azure's default)", classes="label")
        yield Input(clean_line(cfg.nic_name), placeholder=clean_line(
            f"{cfg.endpoint_name or DEFAULT_ENDPOINT_NAME}.nic.<generated>"), id="nic-name", compact=True)
        yield Static("", id="nic-name-status", classes="field-status", markup=False)
        yield Static("Other VNets with agents, to link to the DNS zone (optional)", classes="label")
        yield Static("", id="links", markup=False)
        with Horizontal(classes="step-actions"):
            yield Button("Add a VNet (Ctrl+L)", id="add-link-button", compact=True)
            yield Button("Remove the last", id="remove-link-button", compact=True)
        yield Static("Where the private DNS zone goes (optional)", classes="label")
        with Horizontal(classes="field-row", id="zone-row"):
            yield Static("DNS zone", classes="field-name")
            yield Static("", id="zone-value", classes="field-value", markup=False)
            yield Button("Change", id="zone-button", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_content()
        cfg = self.wizard.config
        target = "#aks-button" if not cfg.resource_group and not cfg.aks_cluster else "#rg-button" \
            if not cfg.resource_group else "#vnet-button" if not cfg.vnet else \
            "#subnet-button" if not cfg.subnet else "#endpoint-name"
        self.query_one(target).focus()
        if cfg.vnet and self.wizard.listings.cached_vnet(full_vnet_id(cfg, cfg.vnet)) is None:
            self.load_vnet_details()

    def refresh_content(self) -> None:
        cfg = self.wizard.config
        r = self.wizard.redact_line
        cluster = Text()
        if cfg.aks_cluster:
            cluster.append(r(vnet_name_of(cfg.aks_cluster)))
            if cfg.aks_cluster.startswith("/"):
                cluster.append(f" (in {r(resource_group_of(cfg.aks_cluster))})", style="dim")
        else:
            cluster.append("not chosen", style="dim")
        self.query_one("#aks-value", Static).update(cluster)
        source = self.query_one("#vnet-source", Static)
        source.update(r(self.vnet_source))
        source.display = bool(self.vnet_source)
        self.query_one("#rg-value", Static).update(r(cfg.resource_group) or Text("not chosen", style="dim"))
        vnet = vnet_name_of(cfg.vnet) if cfg.vnet else ""
        if cfg.vnet.startswith("/"):
            vnet += f" (in {resource_group_of(cfg.vnet)})"
        self.query_one("#vnet-value", Static).update(r(vnet) or Text("not chosen", style="dim"))
        self.query_one("#subnet-value", Static).update(r(cfg.subnet) or Text("not chosen", style="dim"))
        self.query_one("#vnet-button", Button).disabled = not cfg.resource_group
        self.query_one("#subnet-button", Button).disabled = not cfg.vnet
        details = self.wizard.listings.cached_vnet(full_vnet_id(cfg, cfg.vnet)) if cfg.vnet else None
        region = Text()
        if details:
            region.append(f"Region: {r(details['location'])} (the endpoint goes in its VNet's region)")
        elif cfg.vnet:
            region.append("Region: reading the VNet...", style="dim")
        else:
            region.append("Region: follows the VNet you choose.", style="dim")
        self.query_one("#region", Static).update(region)
        self._check_names()
        links = Text()
        for vid in cfg.linked_vnets:
            links.append(f"  + {r(vnet_name_of(vid))}", style="bold")
            sub = parse_id(vid).get("subscription", "")   # another subscription's VNet says which (issue 15)
            other = f", subscription {sub}" if sub and sub.lower() != cfg.subscription_id.lower() else ""
            links.append(f"  {r(resource_group_of(vid) + other)}\n", style="dim")
        if not cfg.linked_vnets:
            links.append("  none: only the VNet above is linked", style="dim")
        self.query_one("#links", Static).update(links)
        self.query_one("#remove-link-button", Button).disabled = not cfg.linked_vnets
        self.query_one("#zone-value", Static).update(r(zone_place_line(cfg)))
        self.wizard.refresh_checklists()

    def _check_names(self) -> None:
        cfg = self.wizard.config
        for field, kind, value, optional in (("endpoint-name", "private endpoint", cfg.endpoint_name, False),
                                             ("nic-name", "network interface", cfg.nic_name or "", True)):
            status = self.query_one(f"#{field}-status", Static)
            if optional and not value:
                status.update(Text("Azure names it after the endpoint.", style="dim"))
                continue
            check = check_name(kind, value)
            status.update(Text("ok", style="green") if check.ok else
                          Text("! " + self.wizard.redact_line(check.problems[0]), style="red"))

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        cfg = self.wizard.config
        if event.input.id == "endpoint-name":
            cfg.endpoint_name = event.value.strip()
        elif event.input.id == "nic-name":
            cfg.nic_name = event.value.strip() or None
        self._check_names()
        self.wizard.refresh_checklists()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self.wizard.save_answers()

    # -- pickers -------------------------------------------------------------------------------------------
    def _picker(self, title: str, what: str, loader: Loader, *, help_text: str,
                selected: str | None = None) -> PickerScreen:
        return PickerScreen(title, what, loader, help_text=help_text, selected=selected, redact=self.wizard.redact_line,
                            explain=self.wizard.explain)

    @on(Button.Pressed, "#aks-button")
    def action_pick_cluster(self) -> None:
        cfg = self.wizard.config
        if not cfg.subscription_id:
            self.say("Choose the subscription first.", error=True)
            return
        self.app.push_screen(self._picker(
            "AKS cluster", "AKS clusters", partial(self.wizard.listings.clusters, cfg.subscription_id),
            selected=cfg.aks_cluster if cfg.aks_cluster and cfg.aks_cluster.startswith("/") else None,
            help_text="Which AKS cluster runs your Remote Execution Agents? Its resource group, region and VNet "
                      "follow (type part of a name, group or region). Escape: pick them yourself."),
            self._cluster_chosen)

    def _cluster_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        cfg = self.wizard.config
        cfg.aks_cluster = item.key
        cfg.resource_group = item.data.get("resource_group", "") or resource_group_of(item.key)
        self.vnet_source = "Reading the cluster's node pools..."
        self.wizard.save_answers()
        self.refresh_content()
        self.read_cluster(item.key)

    @work(thread=True, exclusive=True, group="placement-cluster")
    def read_cluster(self, cluster_id: str) -> None:
        try:
            vnets, source, problem = self.wizard.listings.cluster_vnets(cluster_id)
        except Exception as exc:
            self.post_message(ClusterRead([], "", self.wizard.explain(exc)))
            return
        self.post_message(ClusterRead(vnets, source, problem))

    @on(ClusterRead)
    def _cluster_read(self, message: ClusterRead) -> None:
        if message.error is not None or not message.vnets:
            self.vnet_source = ""
            self.refresh_content()
            self.say(message.error or "The cluster's VNet could not be derived: pick it below.", error=True)
            return
        cfg = self.wizard.config
        first, rest = message.vnets[0], message.vnets[1:]
        self.cluster_vnets = list(message.vnets)
        same_group = resource_group_of(first).lower() == cfg.resource_group.lower()
        new = vnet_name_of(first) if same_group else first
        if new != cfg.vnet:
            cfg.vnet = new
            cfg.subnet = ""
        for vid in rest:
            if vid.lower() not in (v.lower() for v in cfg.linked_vnets):
                cfg.linked_vnets.append(vid)
        self.vnet_source = f"VNet {vnet_name_of(first)}: {message.source}."
        self.wizard.save_answers()
        self.refresh_content()
        self.load_vnet_details()
        if not cfg.subnet:
            self.action_pick_subnet()

    @on(Button.Pressed, "#rg-button")
    def action_pick_rg(self) -> None:
        cfg = self.wizard.config
        self.app.push_screen(self._picker(
            "Resource group", "resource groups", partial(self.wizard.listings.resource_groups, cfg.subscription_id),
            selected=cfg.resource_group,
            help_text="Where the AKS cluster with your Remote Execution Agents is deployed; the private endpoint "
                      "and (unless one exists) the DNS zone are created here."), self._rg_chosen)

    def _rg_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        cfg = self.wizard.config
        if item.key != cfg.resource_group:
            old = full_vnet_id(cfg, cfg.vnet) if cfg.vnet else cfg.vnet
            cfg.resource_group = item.key
            cfg.vnet = old  # keep the chosen VNet, now by id (it lives in the old group)
            if cfg.vnet and resource_group_of(cfg.vnet).lower() == item.key.lower():
                cfg.vnet = vnet_name_of(cfg.vnet)
        self.wizard.save_answers()
        self.refresh_content()
        if not cfg.vnet:
            self.action_pick_vnet()

    @on(Button.Pressed, "#vnet-button")
    def action_pick_vnet(self) -> None:
        cfg = self.wizard.config
        if not cfg.resource_group:
            self.say("Choose the resource group first.", error=True)
            return
        self.app.push_screen(self._picker(
            "Virtual network", "virtual networks",
            partial(self.wizard.listings.vnets, cfg.subscription_id, first_group=cfg.resource_group),
            selected=full_vnet_id(cfg, cfg.vnet) if cfg.vnet else None,
            help_text=f"The VNet where your AKS cluster with Remote Execution Agents runs: those of "
                      f"{self.wizard.redact_line(cfg.resource_group)} first, then every other VNet in the subscription "
                      "(type part of a name, group or region)."), self._vnet_chosen)

    def _vnet_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        cfg = self.wizard.config
        same_group = item.data.get("resource_group", "").lower() == cfg.resource_group.lower()
        new = vnet_name_of(item.key) if same_group else item.key
        if cfg.aks_cluster and item.key.lower() not in (v.lower() for v in self.cluster_vnets):
            cfg.aks_cluster, self.vnet_source = None, ""   # the agents run elsewhere: the manual path
        if new != cfg.vnet:
            cfg.vnet = new
            if cfg.subnet and cfg.subnet not in item.data.get("subnets", []):
                cfg.subnet = ""
        self.wizard.save_answers()
        self.refresh_content()
        if not cfg.subnet:
            self.action_pick_subnet()

    @on(Button.Pressed, "#subnet-button")
    def action_pick_subnet(self) -> None:
        cfg = self.wizard.config
        if not cfg.vnet:
            self.say("Choose the virtual network first.", error=True)
            return

        listings, vid = self.wizard.listings, full_vnet_id(cfg, cfg.vnet)

        def load(emit: Emit) -> None:
            items, note = subnet_choices(listings.vnet_details(vid))
            emit(items, note=note)

        self.app.push_screen(self._picker(
            "Subnet", "subnets", load, selected=cfg.subnet or None,
            help_text="The subnet for the endpoint's network interface (your choice, by your network's conventions): "
                      "the subnets of this VNet that can hold it, with their prefixes and free addresses."),
            self._subnet_chosen)

    def _subnet_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        self.wizard.config.subnet = item.key
        self.wizard.save_answers()
        self.refresh_content()
        self.query_one("#endpoint-name", Input).focus()

    @on(Button.Pressed, "#add-link-button")
    def action_add_link(self) -> None:
        """The subscription of the other VNet first (the endpoint's is highlighted; skipped when the account sees
        only one), then that subscription's VNets."""
        if not self.wizard.config.subscription_id:
            return
        if self.subscriptions is not None:
            self._pick_link_subscription(self.subscriptions)
            return
        self.say("Listing your subscriptions...")
        self.list_subscriptions()

    @work(thread=True, exclusive=True, group="placement-subscriptions")
    def list_subscriptions(self) -> None:
        try:
            items = self.wizard.listings.subscriptions()
        except Exception as exc:
            self.post_message(SubscriptionsListed([], self.wizard.explain(exc)))
            return
        self.post_message(SubscriptionsListed(items))

    @on(SubscriptionsListed)
    def _subscriptions_listed(self, message: SubscriptionsListed) -> None:
        if message.error is not None:
            self.say(message.error, error=True)
            return
        self.say("")
        self.subscriptions = message.items
        self._pick_link_subscription(message.items)

    def _pick_link_subscription(self, subs: list[PickItem]) -> None:
        own = self.wizard.config.subscription_id
        if len(subs) <= 1:
            self._pick_link_vnet(own, "")
            return
        selected = next((s.key for s in subs if s.key.lower() == own.lower()), None)
        self.app.push_screen(PickerScreen(
            "Subscription of the other VNet", "subscriptions", items=subs, selected=selected,
            redact=self.wizard.redact_line, explain=self.wizard.explain,
            help_text="Where the other VNet with Remote Execution Agents lives: the endpoint's subscription is "
                      "highlighted (Enter); pick another for a VNet in another subscription (a spoke)."),
            self._link_subscription_chosen)

    def _link_subscription_chosen(self, item: PickItem | None) -> None:
        if item is not None:
            self._pick_link_vnet(item.key, item.label)

    def _pick_link_vnet(self, subscription_id: str, name: str) -> None:
        other = subscription_id.lower() != self.wizard.config.subscription_id.lower()
        where = f" in subscription {self.wizard.redact_line(name or subscription_id)}" if other else ""
        self.app.push_screen(self._picker(
            "Another VNet to link", "virtual networks", partial(self.wizard.listings.vnets, subscription_id),
            help_text=f"A VNet{where} where other Remote Execution Agents run; it is linked to the same private DNS "
                      "zone."), self._link_chosen)

    def _link_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        cfg = self.wizard.config
        main = full_vnet_id(cfg, cfg.vnet).lower() if cfg.vnet else ""
        if item.key.lower() == main or item.key.lower() in (v.lower() for v in cfg.linked_vnets):
            self.notify(f"{self.wizard.redact_line(item.label)} is linked already.", timeout=4, markup=False)
            return
        cfg.linked_vnets.append(item.key)
        self.wizard.save_answers()
        self.refresh_content()

    @on(Button.Pressed, "#remove-link-button")
    def _remove_link(self) -> None:
        if self.wizard.config.linked_vnets:
            self.wizard.config.linked_vnets.pop()
            self.wizard.save_answers()
            self.refresh_content()

    # -- where the DNS zone goes (issue 15) -------------------------------------------------------------------
    @on(Button.Pressed, "#zone-button")
    def pick_zone(self) -> None:
        """With the endpoint, an existing zone found in a readable subscription, or a resource group of any."""
        cfg = self.wizard.config
        if not cfg.subscription_id:
            self.say("Choose the subscription first.", error=True)
            return
        listings = self.wizard.listings

        def load(emit: Emit) -> None:
            subs = listings.subscriptions()
            self.subscriptions = subs
            zones, unread = listings.astro_zones([s.key for s in subs])
            items, note = zone_choices(subs, zones, unread, cfg)
            emit(items, note=note)

        self.app.push_screen(self._picker(
            "Where the private DNS zone goes", "places for the zone", load, selected=chosen_key(cfg),
            help_text="With the endpoint (its subscription and resource group) unless your zones live elsewhere, "
                      "such as a connectivity subscription: an existing external.astronomer.run zone is listed with "
                      "where it is; or pick a subscription, then a resource group, for a new zone."), self._zone_chosen)

    def _zone_chosen(self, item: PickItem | None) -> None:
        if item is None:
            return
        kind, cfg = item.data.get("kind"), self.wizard.config
        if kind == "subscription":
            sub = item.data["subscription"]
            same = sub.lower() == cfg.zone_subscription.lower()
            self.app.push_screen(self._picker(
                "Resource group of the DNS zone", "resource groups", partial(self.wizard.listings.resource_groups, sub),
                selected=cfg.zone_resource_group if same else None,
                help_text="Where the external.astronomer.run zone is created (an existing one linked to your agents' "
                          "VNets is reused instead)."), partial(self._zone_group_chosen, sub))
            return
        if kind == "zone":
            set_zone_place(cfg, item.data["subscription"], item.data["resource_group"])
        else:
            set_zone_place(cfg, None, None)
        self.wizard.save_answers()
        self.refresh_content()

    def _zone_group_chosen(self, subscription_id: str, item: PickItem | None) -> None:
        if item is None:
            return
        set_zone_place(self.wizard.config, subscription_id, item.key)
        self.wizard.save_answers()
        self.refresh_content()

    @work(thread=True, exclusive=True, group="placement-vnet")
    def load_vnet_details(self) -> None:
        try:
            self.wizard.listings.vnet_details(full_vnet_id(self.wizard.config, self.wizard.config.vnet))
        except Exception as exc:
            self.post_message(VnetRead(self.wizard.explain(exc)))
            return
        self.post_message(VnetRead())

    @on(VnetRead)
    def _vnet_read(self, message: VnetRead) -> None:
        if message.error is not None:
            self.say(message.error, error=True)
        else:
            self.refresh_content()

    def can_leave_forward(self) -> str | None:
        problems = self.wizard.placement_problems()
        return problems[0] if problems else None
