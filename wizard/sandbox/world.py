"""The sandbox's in-memory Azure: subscriptions, resource groups and ARM resources, as plain records.

Resources are stored as ARM JSON bodies (the shape a GET returns) with their original casing, and indexed
by lower-case id, by lower-case type and by lower-case parent id, so lookups are case-insensitive like ARM.
Computed parts of a body (provisioning state while a long-running operation runs, the subnets inside a
VNet, counters on a private DNS zone, approval after a delay) are filled in by `render` at read time from
timestamps: nothing ticks in the background.

This module knows nothing about HTTP; the `arm` package validates requests and calls into it.
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wizard.sandbox.roles import RoleAssignment

# Canonical casing of every resource type the sandbox stores, keyed by lower-case type.
NETWORK = "Microsoft.Network"
T_VNET = "Microsoft.Network/virtualNetworks"
T_SUBNET = "Microsoft.Network/virtualNetworks/subnets"
T_NIC = "Microsoft.Network/networkInterfaces"
T_NSG = "Microsoft.Network/networkSecurityGroups"
T_RULE = "Microsoft.Network/networkSecurityGroups/securityRules"
T_PE = "Microsoft.Network/privateEndpoints"
T_ZONE = "Microsoft.Network/privateDnsZones"
T_LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
T_MC = "Microsoft.ContainerService/managedClusters"   # AKS (arm/containerservice.py)
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")
T_RECORDS = tuple(f"{T_ZONE}/{r}" for r in RECORD_TYPES)
# VNet peerings (network virtualNetwork.json) and Azure DNS Private Resolver (specification/dnsresolver
# dnsresolver.json 2022-07-01): see arm/peering.py and arm/dns_resolver.py.
T_PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
T_RESOLVER = "Microsoft.Network/dnsResolvers"
T_INBOUND = "Microsoft.Network/dnsResolvers/inboundEndpoints"
T_OUTBOUND = "Microsoft.Network/dnsResolvers/outboundEndpoints"
T_RULESET = "Microsoft.Network/dnsForwardingRulesets"
T_FWD_RULE = "Microsoft.Network/dnsForwardingRulesets/forwardingRules"
T_RULESET_LINK = "Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks"
RESOLVER_TYPES = (T_RESOLVER, T_INBOUND, T_OUTBOUND, T_RULESET, T_FWD_RULE, T_RULESET_LINK)
KNOWN_TYPES: dict[str, str] = {t.lower(): t for t in (T_VNET, T_SUBNET, T_NIC, T_NSG, T_RULE, T_PE, T_ZONE,
                                                      T_LINK, *T_RECORDS, T_PEERING, *RESOLVER_TYPES, T_MC)}
DNS_TYPES = (T_ZONE, T_LINK, *T_RECORDS)
_RECORD_KINDS = frozenset(t.lower() for t in T_RECORDS)

CONNECTION_DESCRIPTIONS = {"Pending": "Awaiting approval", "Approved": "Approved", "Rejected": "Rejected",
                           "Disconnected": "Disconnected"}


def new_etag(weak: bool = True) -> str:
    """A fresh etag: network resources use W/"guid", private DNS uses a bare guid."""
    tag = str(uuid.uuid4())
    return f'W/"{tag}"' if weak else tag


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    tenant_id: str
    state: str = "Enabled"


@dataclass
class Location:
    name: str
    display_name: str
    regional_display_name: str
    geography_group: str
    physical_location: str
    latitude: str
    longitude: str
    paired: str


@dataclass
class ResourceGroup:
    id: str
    name: str
    location: str
    tags: dict[str, str] | None = None


@dataclass
class Alias:
    """A Private Link Service the world knows, by alias, and the subscriptions allowed to see it."""

    alias: str
    visible_to: set[str] = field(default_factory=set)   # lower-case subscription ids


@dataclass
class Resource:
    """One ARM resource: its stored body plus the timestamps `render` needs."""

    id: str
    type: str
    body: dict
    parent: str                     # lower-case id of the parent resource, or of the resource group
    created: float = field(default_factory=time.time)
    busy_until: float = 0.0         # until then, provisioningState is `busy_state`
    busy_state: str = "Succeeded"
    # provisioningState once busy_until has passed: Failed or Canceled when its operation ended so (arm/lro.py)
    final_state: str = "Succeeded"
    connection_set: bool = False    # PE only: the connection state was set explicitly (not by the timer)

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def name(self) -> str:
        return self.body["name"]

    @property
    def props(self) -> dict:
        return self.body.setdefault("properties", {})

    def busy(self, now: float) -> bool:
        return now < self.busy_until


@dataclass
class Operation:
    """A long-running operation: InProgress until `done_at`, then `status`; `result` answers a Location poll."""

    id: str
    started: float
    done_at: float
    status: str = "Succeeded"
    result: dict | None = None
    error: dict | None = None
    group: str = ""   # id of the resource whose operation group (queue) this operation holds (arm/private_dns.py)
    kind: str = ""    # the operation type private DNS names in its 409, e.g. UpsertVirtualNetworkLink


def rg_id(subscription_id: str, rg_name: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{rg_name}"


def parent_of(resource_id: str) -> str:
    """The lower-case parent id: the resource group for top-level resources, else the parent resource."""
    parts = resource_id.strip("/").split("/")
    # subscriptions/s/resourceGroups/rg/providers/NS/type/name[/type/name...]
    if len(parts) <= 8:
        return "/" + "/".join(parts[:4]).lower()
    return "/" + "/".join(parts[:-2]).lower()


def _is_scope(low_id: str) -> bool:
    """Whether a lower-case id is a subscription's or a resource group's (the scopes `World.by_scope` indexes)."""
    parts = low_id.strip("/").split("/")
    return (len(parts) == 2 and parts[0] == "subscriptions") or (len(parts) == 4 and parts[2] == "resourcegroups")


def _scopes_of(res: Resource) -> tuple[tuple[str, str], tuple[str, str]]:
    """The `World.by_scope` keys a resource is listed under: its type in its subscription and in its group."""
    parts = res.key.strip("/").split("/")
    kind = res.type.lower()
    return (kind, "/" + "/".join(parts[:2])), (kind, "/" + "/".join(parts[:4]))


def rg_key_of(resource_id: str) -> str:
    return "/" + "/".join(resource_id.strip("/").split("/")[:4]).lower()


@dataclass
class World:
    """All state of the sandbox's Azure. Callers hold the ARM lock while reading or changing it."""

    tenant_id: str
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    locations: list[Location] = field(default_factory=list)
    groups: dict[str, ResourceGroup] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    by_type: dict[str, dict[str, Resource]] = field(default_factory=dict)
    by_parent: dict[str, dict[str, Resource]] = field(default_factory=dict)
    # (lower type, lower subscription or resource group id) -> resources, in insertion order like `by_type`; and a
    # frozen copy of each, made on first read after a change, that a list pages through in time proportional to
    # the page (not to the world: 50,000 VNets are listed 1,000 pages at a time).
    by_scope: dict[tuple[str, str], dict[str, Resource]] = field(default_factory=dict)
    _frozen: dict[tuple[str, str], tuple[Resource, ...]] = field(default_factory=dict, repr=False)
    operations: dict[str, Operation] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    ip_used: dict[str, set[str]] = field(default_factory=dict)    # lower subnet id -> allocated IPs
    demo_alias: str = ""
    demo_cluster_id: str = ""
    default_dns_vnet_id: str | None = None
    # The tenants the signed-in user is a member of besides `tenant_id` (its home): id -> (display name, domain).
    # A token is for one tenant and sees that tenant's subscriptions only (arm/access.py).
    other_tenants: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Who may do what (Azure RBAC): the seed worlds grant the signed-in principal Contributor on the subscription;
    # the `role_assignments` knob replaces these for that principal (see arm/access.py).
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    on_ip_added: list[Callable[[str], None]] = field(default_factory=list)
    on_ip_removed: list[Callable[[str], None]] = field(default_factory=list)
    # Resources on their way out (lower id -> time they are gone), e.g. a deleted endpoint's NIC: `linger`.
    expiring: dict[str, float] = field(default_factory=dict)
    # lower zone id -> (when its last virtual network link was deleted, that link as ARM names nested resources)
    links_removed: dict[str, tuple[float, str]] = field(default_factory=dict)
    # DNS servers that are not ARM resources (a forwarder VM in a hub, an on-premises server), by IP: the VNet whose
    # Azure DNS (168.63.129.16) it forwards every query to, or None for one that does not forward (answers public
    # DNS). Azure cannot see these; the sandbox's DNS view (dns.py) follows them. An IP nobody knows: None.
    dns_forwarders: dict[str, str | None] = field(default_factory=dict)

    # ---- subscriptions and groups -------------------------------------------------------------------
    @property
    def subscription_id(self) -> str:
        return next(iter(self.subscriptions.values())).subscription_id

    def subscription(self, sub: str) -> Subscription | None:
        return self.subscriptions.get(sub.lower())

    def add_subscription(self, sub: Subscription) -> None:
        self.subscriptions[sub.subscription_id.lower()] = sub

    def group(self, sub: str, name: str) -> ResourceGroup | None:
        return self.groups.get(rg_id(sub, name).lower())

    def add_group(self, sub: str, name: str, location: str, tags: dict | None = None) -> ResourceGroup:
        group = ResourceGroup(id=rg_id(sub, name), name=name, location=location, tags=tags)
        self.groups[group.id.lower()] = group
        return group

    def groups_in(self, sub: str) -> list[ResourceGroup]:
        prefix = f"/subscriptions/{sub}/".lower()
        return [g for k, g in self.groups.items() if k.startswith(prefix)]

    # ---- resources ----------------------------------------------------------------------------------
    def get(self, resource_id: str) -> Resource | None:
        if self.expiring:
            self.sweep()
        return self.resources.get(resource_id.rstrip("/").lower())

    def add(self, type_: str, resource_id: str, body: dict, **kw: Any) -> Resource:
        """Store (or replace) a resource; `body` gets id, name and type filled in."""
        body.setdefault("id", resource_id)
        body.setdefault("name", resource_id.rsplit("/", 1)[-1])
        body.setdefault("type", type_)
        res = Resource(id=resource_id, type=type_, body=body, parent=parent_of(resource_id), **kw)
        key = res.key
        self.resources[key] = res
        self.by_type.setdefault(type_.lower(), {})[key] = res
        self.by_parent.setdefault(res.parent, {})[key] = res
        for scope in _scopes_of(res):
            self.by_scope.setdefault(scope, {})[key] = res
            if self._frozen:
                self._frozen.pop(scope, None)
        return res

    def remove(self, resource_id: str) -> list[Resource]:
        """Remove a resource and everything beneath it; returns what was removed."""
        res = self.resources.get(resource_id.rstrip("/").lower())
        if res is None:
            return []
        self.expiring.pop(res.key, None)
        removed: list[Resource] = []
        for child in list(self.by_parent.get(res.key, {}).values()):
            removed += self.remove(child.id)
        self.resources.pop(res.key, None)
        self.by_type.get(res.type.lower(), {}).pop(res.key, None)
        self.by_parent.get(res.parent, {}).pop(res.key, None)
        self.by_parent.pop(res.key, None)
        for scope in _scopes_of(res):
            self.by_scope.get(scope, {}).pop(res.key, None)
            self._frozen.pop(scope, None)
        removed.append(res)
        return removed

    def remove_group(self, sub: str, name: str) -> list[Resource]:
        key = rg_id(sub, name).lower()
        removed: list[Resource] = []
        for res in list(self.by_parent.get(key, {}).values()):
            removed += self.remove(res.id)
        self.groups.pop(key, None)
        self.by_parent.pop(key, None)
        return removed

    def linger(self, res: Resource, seconds: float, state: str = "Deleting", now: float | None = None) -> None:
        """Keep `res` for `seconds` more, in provisioningState `state`, then remove it (lazily: `sweep`)."""
        now = time.time() if now is None else now
        res.busy_until, res.busy_state = now + seconds, state
        self.expiring[res.key] = now + seconds

    def sweep(self, now: float | None = None) -> None:
        """Remove the lingering resources whose time is up, releasing what they held."""
        now = time.time() if now is None else now
        for key, until in list(self.expiring.items()):
            if now < until or self.expiring.pop(key, None) is None:
                continue
            res = self.resources.get(key)
            if res is not None:
                for removed in self.remove(res.id):
                    self.release(removed)

    def release(self, res: Resource) -> None:
        """Free the private IPs a removed NIC held."""
        if res.type.lower() != T_NIC.lower():
            return
        for cfg in res.props.get("ipConfigurations", []):
            cprops = cfg.get("properties", {})
            if cprops.get("privateIPAddress") and cprops.get("subnet"):
                self.free_ip(cprops["subnet"]["id"], cprops["privateIPAddress"])

    def nested_link(self, zone: Resource, linger: float, now: float | None = None) -> str | None:
        """A virtual network link that keeps `zone` from being deleted, as ARM names nested resources: one it has,
        or for `linger` seconds the last one deleted (azure-cli#15010, Azure/deployment-stacks#227)."""
        links = self.children(zone.id, T_LINK)
        if links:
            return f"{T_ZONE}/{zone.name}/virtualNetworkLinks/{links[0].name}"
        now = time.time() if now is None else now
        gone = self.links_removed.get(zone.key)
        return gone[1] if gone and now < gone[0] + linger else None

    def children(self, parent_id: str, type_: str | None = None) -> list[Resource]:
        if self.expiring:
            self.sweep()
        kids = self.by_parent.get(parent_id.lower(), {}).values()
        return [r for r in kids if type_ is None or r.type.lower() == type_.lower()]

    def of_type(self, type_: str, scope: str = "") -> list[Resource]:
        """Resources of a type whose id starts with `scope` (a subscription or resource group id)."""
        return list(self.listing(type_, scope))

    def listing(self, type_: str, scope: str = "") -> tuple[Resource, ...]:
        """`of_type` for paging: the same resources in the same order, as a copy kept until the type changes in that
        scope, so each page of a list costs what the page holds."""
        if self.expiring:
            self.sweep()
        prefix = scope.lower().rstrip("/")
        if not prefix:
            return tuple(self.by_type.get(type_.lower(), {}).values())
        key = (type_.lower(), prefix)
        if _is_scope(prefix):
            frozen = self._frozen.get(key)
            if frozen is None:
                frozen = self._frozen[key] = tuple(self.by_scope.get(key, {}).values())
            return frozen
        prefix += "/"
        return tuple(r for k, r in self.by_type.get(type_.lower(), {}).items() if k.startswith(prefix))

    def all_resources(self, types: Iterable[str] | None = None, now: float | None = None,
                      approve_after: float | None = None) -> Iterator[dict]:
        """ARM JSON bodies as GET returns them (for the DNS server: zones, links and record sets)."""
        now = time.time() if now is None else now
        for type_ in (types or [r for r in KNOWN_TYPES.values()]):
            for res in list(self.by_type.get(type_.lower(), {}).values()):
                yield self.render(res, now, approve_after)

    # ---- private endpoints and IPs ------------------------------------------------------------------
    def allocate_ip(self, subnet: Resource) -> str | None:
        """The lowest free address of the subnet; Azure reserves the first four and the last."""
        net = ipaddress.ip_network(subnet.props["addressPrefix"], strict=False)
        used = self.ip_used.setdefault(subnet.key, set())
        first, last = int(net.network_address) + 4, int(net.broadcast_address) - 1
        for value in range(first, last + 1):
            ip = str(ipaddress.ip_address(value))
            if ip not in used:
                used.add(ip)
                for hook in self.on_ip_added:
                    hook(ip)
                return ip
        return None

    def free_ip(self, subnet_id: str, ip: str) -> None:
        self.ip_used.get(subnet_id.lower(), set()).discard(ip)
        for hook in self.on_ip_removed:
            hook(ip)

    def nic_ips(self) -> Iterator[tuple[str, Resource]]:
        for nic in self.of_type(T_NIC):
            for cfg in nic.props.get("ipConfigurations", []):
                ip = cfg.get("properties", {}).get("privateIPAddress")
                if ip:
                    yield ip, nic

    def pe_for_ip(self, ip: str) -> Resource | None:
        for addr, nic in self.nic_ips():
            if addr == ip:
                pe_ref = nic.props.get("privateEndpoint")
                return self.get(pe_ref["id"]) if pe_ref else None
        return None

    def connection_status(self, pe: Resource, now: float, approve_after: float | None) -> dict:
        """The PE's connection state, approving it lazily once `approve_after` seconds have passed."""
        conns = pe.props.get("manualPrivateLinkServiceConnections") or pe.props.get(
            "privateLinkServiceConnections") or []
        if not conns:
            return {}
        state = conns[0]["properties"]["privateLinkServiceConnectionState"]
        if (state["status"] == "Pending" and not pe.connection_set and approve_after is not None
                and now >= pe.created + approve_after):
            state.update(status="Approved", description="Auto-approved by the sandbox")
        return state

    def set_connection_state(self, pe: Resource, status: str, description: str | None) -> None:
        for conn in (pe.props.get("manualPrivateLinkServiceConnections") or []) + (
                pe.props.get("privateLinkServiceConnections") or []):
            conn["properties"]["privateLinkServiceConnectionState"] = {
                "status": status, "description": description or CONNECTION_DESCRIPTIONS.get(status, status),
                "actionsRequired": "None"}
        pe.connection_set = True
        pe.body["etag"] = new_etag()

    # ---- rendering ----------------------------------------------------------------------------------
    def render(self, res: Resource, now: float, approve_after: float | None = None) -> dict:
        """The body a GET returns: a shallow copy of the stored body with computed parts filled in."""
        props = dict(res.props)
        body = {**res.body, "properties": props}
        kind = res.type.lower()
        if kind not in _RECORD_KINDS:
            props["provisioningState"] = res.busy_state if res.busy(now) else res.final_state
        if kind == T_VNET.lower():
            props["subnets"] = [self.render(s, now) for s in self.children(res.id, T_SUBNET)]
            props["virtualNetworkPeerings"] = [self.render(p, now) for p in self.children(res.id, T_PEERING)]
        elif kind == T_PEERING.lower():
            remote = self.get((props.get("remoteVirtualNetwork") or {}).get("id", ""))
            if remote is not None:   # the remote VNet's address space as it is now (virtualNetwork.json)
                space = {"addressPrefixes": list(remote.props["addressSpace"]["addressPrefixes"])}
                props["remoteAddressSpace"] = props["remoteVirtualNetworkAddressSpace"] = space
        elif kind == T_SUBNET.lower():
            self._render_subnet(res, props)
        elif kind == T_NSG.lower():
            props["securityRules"] = [self.render(r, now) for r in self.children(res.id, T_RULE)]
            props["subnets"] = [{"id": s.id} for s in self.of_type(T_SUBNET, "/".join(res.id.split("/")[:3]))
                                if (s.props.get("networkSecurityGroup") or {}).get("id", "").lower() == res.key]
        elif kind == T_PE.lower():
            self.connection_status(res, now, approve_after)
        elif kind == T_ZONE.lower():
            self._render_zone(res, props)
        elif kind == T_LINK.lower():
            props["virtualNetworkLinkState"] = "InProgress" if res.busy(now) else "Completed"
        return body

    def _render_subnet(self, res: Resource, props: dict) -> None:
        pes = [pe for pe in self.of_type(T_PE, "/".join(res.id.split("/")[:3]))
               if (pe.props.get("subnet") or {}).get("id", "").lower() == res.key]
        if pes:
            props["privateEndpoints"] = [{"id": pe.id} for pe in pes]
        # Every IP configuration in the subnet, as a subnet GET lists them: those the seeds put there for NICs the
        # sandbox does not model (AKS node pools: `seeds.fill_subnet`), then every NIC's, a lingering one's too.
        configs: list[dict] = list(res.props.get("ipConfigurations") or [])
        for nic in self.of_type(T_NIC, "/".join(res.id.split("/")[:3])):
            configs += [{"id": cfg["id"]} for cfg in nic.props.get("ipConfigurations", [])
                        if ((cfg.get("properties") or {}).get("subnet") or {}).get("id", "").lower() == res.key]
        if configs:
            props["ipConfigurations"] = configs

    def _render_zone(self, res: Resource, props: dict) -> None:
        records = [r for r in self.children(res.id) if r.type.lower() != T_LINK.lower()]
        links = self.children(res.id, T_LINK)
        props.update(
            maxNumberOfRecordSets=25000, numberOfRecordSets=len(records),
            maxNumberOfVirtualNetworkLinks=1000, numberOfVirtualNetworkLinks=len(links),
            maxNumberOfVirtualNetworkLinksWithRegistration=100,
            numberOfVirtualNetworkLinksWithRegistration=sum(
                1 for link in links if link.props.get("registrationEnabled")),
            internalId=props.get("internalId", ""))

    # ---- operations ---------------------------------------------------------------------------------
    def new_operation(self, seconds: float, result: dict | None = None, now: float | None = None) -> Operation:
        now = time.time() if now is None else now
        op = Operation(id=str(uuid.uuid4()), started=now, done_at=now + max(0.0, seconds), result=result)
        self.operations[op.id] = op
        return op
