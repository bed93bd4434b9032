"""What the steps share while they run: the answers, the Azure clients, a stop signal, and cached reads.

Reads that several steps need (the VNet, the endpoint and its NIC, the DNS zones named
`external.astronomer.run` with their links) are fetched once per inspection round and shared;
`refresh()` forgets them after a write so the next inspection sees Azure as it is.

Customers usually grant roles on resource groups, and a role counts only at or below its scope, so a
subscription-wide list can be refused (403 AuthorizationFailed) while every resource-group read works. The zone
read then looks in the resource groups this setup uses and says, in `zone_warnings()`, what it could not see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from steps.network_facts import VNetFacts, vnet_facts
from steps.preflight import SubnetFacts, subnet_facts
from wizard.core.azure import ClientFactory
from wizard.core.config import SetupConfig
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.ids import dns_zone_id, enum_text, parse_id, same_id, vnet_name_of
from wizard.core.validate import check_api_url


@dataclass
class VNetInfo:
    id: str
    name: str
    subscription: str
    resource_group: str
    location: str
    subnets: dict[str, str]  # lower-case name -> id
    subnet_names: list[str]
    # lower-case name -> what step 1's preflight needs (prefixes, delegations, IPs in use, network policies)
    subnet_facts: dict[str, SubnetFacts] = field(default_factory=dict)
    # its DNS servers and peerings (steps/network_facts.py)
    network: VNetFacts | None = None


@dataclass
class EndpointInfo:
    id: str
    name: str
    location: str
    provisioning_state: str
    subnet_id: str
    alias: str | None
    connection_name: str | None
    connection_status: str | None
    connection_description: str | None
    nic_id: str | None
    nic_name: str | None
    private_ip: str | None


@dataclass
class LinkInfo:
    id: str
    name: str
    vnet_id: str
    registration_enabled: bool
    provisioning_state: str
    link_state: str | None


@dataclass
class ZoneInfo:
    id: str
    name: str
    resource_group: str
    provisioning_state: str
    record_sets: int
    links: list[LinkInfo] = field(default_factory=list)

    def link_to(self, vnet: str) -> LinkInfo | None:
        return next((lk for lk in self.links if same_id(lk.vnet_id, vnet)), None)


class ZoneList(list[ZoneInfo]):
    """The zones found, plus what could not be looked at (a list, so every caller of `zones()` keeps working)."""

    def __init__(self, zones: list[ZoneInfo] | None = None, warnings: list[str] | None = None) -> None:
        super().__init__(zones or [])
        self.warnings: list[str] = list(warnings or [])


def refused(exc: BaseException) -> bool:
    """Azure said the signed-in account lacks a role for this request (not a policy or a missing resource)."""
    from azure.core.exceptions import HttpResponseError

    code = getattr(getattr(exc, "error", None), "code", None) or ""
    return isinstance(exc, HttpResponseError) and exc.status_code == 403 and code.lower() == "authorizationfailed"


def choose_zone(zones: list[ZoneInfo], agent_vnets: list[str], zone_resource_group: str,
                skip: Sequence[str] = ()) -> tuple[ZoneInfo | None, str]:
    """The zone to use and why: one already linked to an agents' VNet wins (Azure allows one per VNet);
    else the one in the DNS resource group; else the only one in the subscription, unless it is in `skip` (its
    record answers with another endpoint of the cluster: steps/zone_owner.py); else a new one."""
    for vid in agent_vnets:
        for z in zones:
            if z.link_to(vid):
                return z, (f"reusing the zone in resource group '{z.resource_group}', already linked to "
                           f"{vnet_name_of(vid)}")
    rg = zone_resource_group.lower()
    for z in zones:
        if z.resource_group.lower() == rg:
            return z, f"reusing the zone that exists in resource group '{z.resource_group}'"
    if len(zones) == 1 and not any(same_id(zones[0].id, s) for s in skip):
        return zones[0], f"reusing the only such zone in the subscription (resource group '{zones[0].resource_group}')"
    return None, f"a new zone in resource group '{zone_resource_group}'"


class LookupProblem(Exception):
    """A read showed that the answers cannot work (missing resource group, VNet, subnet...)."""


class SetupContext:
    """Shared by every step of one run."""

    def __init__(self, config: SetupConfig, factory: ClientFactory, *, allow_update: set[str] | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.config = config
        self.factory = factory
        self.allow_update = set(allow_update or ())
        self.cancel = cancel or threading.Event()
        self._memo: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        # Whether the setup record lists a resource id as created by this tool (the engine points it at its record).
        # Azure cannot tell, so a plan says "created by this tool" or "reusing" only from this.
        self.created_by_tool: Callable[[str], bool] = lambda resource_id: False

    # -- plumbing ------------------------------------------------------------------------------------
    @property
    def subscription(self) -> str:
        return self.config.subscription_id

    @property
    def cluster_id(self) -> str:
        cid = check_api_url(self.config.api_url).cluster_id
        if not cid:
            raise LookupProblem("The API URL is not valid, so the cluster id is unknown.")
        return cid

    def network(self, subscription: str | None = None) -> Any:
        return self.factory.network(subscription or self.subscription)

    @property
    def zone_subscription(self) -> str:
        """Where the zone, its links and its A record live: [dns] subscription_id, else the config's subscription."""
        return self.config.zone_subscription

    def dns(self) -> Any:
        return self.factory.privatedns(self.zone_subscription)

    def dns_of(self, resource_id: str) -> Any:
        """The private DNS client of the subscription `resource_id` names (not the config's: a record says where).
        The SDK's own client, reads included: destroy's check (a GET, its etag) and the conditional delete that
        follows go through the same client, as do the facts apply notes after its writes (issue 16 keeps those off
        the raw reads of `wizard.core.arm_reads`)."""
        return self.factory.privatedns_sdk(parse_id(resource_id).get("subscription") or self.subscription)

    def resources(self) -> Any:
        return self.factory.resources(self.subscription)

    def memo(self, key: str, load: Callable[[], Any]) -> Any:
        with self._guard:
            if key in self._memo:
                return self._memo[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._memo:
                    return self._memo[key]
            value = load()
            with self._guard:
                self._memo[key] = value
            return value

    def refresh(self, *keys: str) -> None:
        """Forget cached reads (all of them when no key is given)."""
        with self._guard:
            if keys:
                for k in keys:
                    self._memo.pop(k, None)
            else:
                self._memo.clear()

    # -- shared reads --------------------------------------------------------------------------------
    def vnet(self) -> VNetInfo:
        return self.memo("vnet", lambda: self.read_vnet(self.config.vnet))

    def read_vnet(self, ref: str) -> VNetInfo:
        from azure.core.exceptions import ResourceNotFoundError

        if ref.startswith("/"):
            parts = parse_id(ref)
            sub, rg, name = parts.get("subscription", ""), parts.get("resource_group", ""), \
                parts.get("virtualnetworks", "")
        else:
            sub, rg, name = self.subscription, self.config.resource_group, ref
        try:
            body = self.network(sub).virtual_networks.get(rg, name)
        except ResourceNotFoundError as exc:
            code = getattr(getattr(exc, "error", None), "code", "")
            if code == "ResourceGroupNotFound":
                raise LookupProblem(f"Resource group '{rg}' does not exist in subscription {sub}.") from exc
            raise LookupProblem(f"Virtual network '{name}' was not found in resource group '{rg}'.") from exc
        subnets = {s.name.lower(): s.id for s in (body.subnets or [])}
        return VNetInfo(id=body.id, name=body.name, subscription=sub, resource_group=rg, location=body.location,
                        subnets=subnets, subnet_names=[s.name for s in (body.subnets or [])],
                        subnet_facts={s.name.lower(): subnet_facts(s) for s in (body.subnets or [])},
                        network=vnet_facts(body))

    def subnet_id(self) -> str:
        info = self.vnet()
        sid = info.subnets.get(self.config.subnet.lower())
        if not sid:
            have = ", ".join(info.subnet_names) or "none"
            raise LookupProblem(f"Subnet '{self.config.subnet}' is not in virtual network '{info.name}' "
                                f"(it has: {have}).")
        return sid

    def region(self) -> str:
        return (self.config.region or self.vnet().location).lower()

    def endpoint(self) -> EndpointInfo | None:
        return self.memo("endpoint", self._read_endpoint)

    def _read_endpoint(self) -> EndpointInfo | None:
        from azure.core.exceptions import ResourceNotFoundError

        net = self.network()
        try:
            pe = net.private_endpoints.get(self.config.resource_group, self.config.endpoint_name)
        except ResourceNotFoundError:
            return None
        conns = list(pe.manual_private_link_service_connections or []) + \
            list(pe.private_link_service_connections or [])
        conn = conns[0] if conns else None
        state = conn.private_link_service_connection_state if conn else None
        nic_id = (pe.network_interfaces or [None])[0]
        nic_id = nic_id.id if nic_id is not None else None
        ip, nic_name = None, None
        if nic_id:
            parts = parse_id(nic_id)
            nic_name = parts.get("networkinterfaces")
            try:
                nic = self.network(parts.get("subscription")).network_interfaces.get(
                    parts.get("resource_group"), nic_name)
                configs = nic.ip_configurations or []
                ip = configs[0].private_ip_address if configs else None
            except ResourceNotFoundError:
                ip = None
        return EndpointInfo(
            id=pe.id, name=pe.name, location=(pe.location or "").lower(),
            provisioning_state=enum_text(pe.provisioning_state), subnet_id=pe.subnet.id if pe.subnet else "",
            alias=conn.private_link_service_id if conn else None, connection_name=conn.name if conn else None,
            connection_status=enum_text(state.status) if state and state.status else None,
            connection_description=state.description if state else None,
            nic_id=nic_id, nic_name=nic_name, private_ip=ip)

    def zones(self) -> ZoneList:
        """Every private DNS zone named external.astronomer.run in the subscription, with its links; when the
        account may not list zones across the subscription, those in the resource groups this setup uses."""
        return self.memo("zones", self._read_zones)

    def zone_warnings(self) -> list[str]:
        """What the zone read could not look at (empty when it saw the whole subscription)."""
        return list(self.zones().warnings)

    def _zone_groups(self) -> list[str]:
        """The resource groups of the zone's subscription that this setup uses: the zone's, the endpoint's, the
        VNets'."""
        groups = [self.config.zone_resource_group]
        if self.zone_subscription.lower() == self.subscription.lower():
            groups.append(self.config.resource_group)
        for ref in [self.config.vnet, *self.config.linked_vnets]:
            parts = parse_id(ref) if ref.startswith("/") else {}
            if parts.get("subscription", "").lower() == self.zone_subscription.lower() and parts.get("resource_group"):
                groups.append(parts["resource_group"])
        unique: list[str] = []
        for g in groups:
            if g and g.lower() not in (u.lower() for u in unique):
                unique.append(g)
        return unique

    def _list_zones(self) -> tuple[list[Any], list[str]]:
        """The zones Azure lists (across the subscription, else per resource group) and what could not be read."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        dns = self.dns()
        try:
            return list(dns.private_zones.list()), []
        except HttpResponseError as exc:
            if not refused(exc):
                raise
        found: list[Any] = []
        looked: list[str] = []
        unreadable: list[str] = []
        for rg in self._zone_groups():
            try:
                found += list(dns.private_zones.list_by_resource_group(rg))
                looked.append(rg)
            except ResourceNotFoundError:
                looked.append(rg)  # a group that does not exist (yet) holds no zone
            except HttpResponseError as exc:
                if not refused(exc):
                    raise
                unreadable.append(rg)
        where = ", ".join(f"'{g}'" for g in looked) or "none"
        warnings = [f"{ASTRO_DNS_ZONE} zones elsewhere in subscription {self.zone_subscription} were not checked: your "
                    f"account may not list private DNS zones across the subscription (Reader on the subscription "
                    f"allows it), so only resource groups {where} were searched."]
        if unreadable:
            warnings.append(f"Your account may not read private DNS zones in resource group(s) "
                            f"{', '.join(repr(g) for g in unreadable)} (Private DNS Zone Contributor or Reader there "
                            "allows it), so a zone there was not looked for.")
        return found, warnings

    def _read_zones(self) -> ZoneList:
        dns = self.dns()
        listed, warnings = self._list_zones()
        out = ZoneList(warnings=warnings)
        for z in listed:
            if z.name.lower() != ASTRO_DNS_ZONE:
                continue
            rg = parse_id(z.id).get("resource_group", "")
            links = [LinkInfo(id=lk.id, name=lk.name, vnet_id=lk.virtual_network.id if lk.virtual_network else "",
                              registration_enabled=bool(lk.registration_enabled),
                              provisioning_state=enum_text(lk.provisioning_state),
                              link_state=enum_text(lk.virtual_network_link_state) or None)
                     for lk in dns.virtual_network_links.list(rg, z.name)]
            out.append(ZoneInfo(id=z.id, name=z.name, resource_group=rg,
                                provisioning_state=enum_text(z.provisioning_state),
                                record_sets=int(z.number_of_record_sets or 0), links=links))
        return out

    def agent_vnet_ids(self) -> list[str]:
        """The endpoint's VNet first, then the extra VNets whose agents use this endpoint (no duplicates)."""
        ids = [self.vnet().id]
        for extra in self.config.linked_vnets:
            if not any(same_id(extra, i) for i in ids):
                ids.append(extra)
        return ids

    def chosen_zone(self) -> tuple[ZoneInfo | None, str]:
        """The zone to use and why (see `choose_zone`), from what Azure shows now."""
        return choose_zone(self.zones(), self.agent_vnet_ids(), self.config.zone_resource_group,
                           skip=self.zones_serving_others())

    def zones_serving_others(self) -> list[str]:
        """Ids of the zones `choose_zone` would reuse only as "the only one in the subscription" whose record for
        this cluster holds another private endpoint's IP: a second endpoint of the cluster needs a zone of its own
        (issue 15), so such a zone is not reused (step 3's plan says why)."""
        zones, agents = self.zones(), self.agent_vnet_ids()
        zone, _ = choose_zone(zones, agents, self.config.zone_resource_group)
        if zone is None or any(zone.link_to(v) for v in agents) or \
                zone.resource_group.lower() == self.config.zone_resource_group.lower():
            return []
        from steps.zone_reads import other_endpoint  # it reads through this context

        other = self.memo(f"serves_other:{zone.id.lower()}", lambda: other_endpoint(self, zone, agents))
        return [zone.id] if other is not None else []

    def zone_id_for_new(self) -> str:
        return dns_zone_id(self.zone_subscription, self.config.zone_resource_group)
