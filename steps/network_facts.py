"""What an enterprise network means for the setup: each agents' VNet's DNS path and its peering to the endpoint.

Pure: every function takes the facts read from Azure (`steps.network_reads` reads them) and decides.

DNS servers (`dhcpOptions.dnsServers`, network virtualNetwork.json DhcpOptions): empty, or 168.63.129.16, is Azure
DNS, which answers from the private zones linked to the VNet itself. With custom servers, the zone linked to the
agents' VNet does not answer the agents: their queries reach Azure DNS (if at all) from the VNet where the server
lives. So:
- a DNS Private Resolver's inbound endpoint resolves "using Azure DNS. Private DNS zones that are linked to the
  virtual network where the inbound endpoint is provisioned are resolved" (learn.microsoft.com
  azure/dns/private-resolver-endpoints-rulesets): the zone must be linked to the resolver's VNet;
- a server inside a VNet Azure knows (a forwarder VM in the hub) must forward `external.astronomer.run` to
  168.63.129.16, and the zone must be linked to that VNet;
- a server Azure cannot see (on-premises) must get a conditional forwarder for `external.astronomer.run` to such a
  forwarder or inbound endpoint (the reference doc's troubleshooting: "DNS resolution returns public IP addresses").

Peering (virtualNetworkPeerings, peeringState Initiated | Connected | Disconnected): traffic flows only when both
sides exist and show Connected (PSRule Azure.VNET.PeerState; virtual-network-manage-peering). Peering is not
transitive: a spoke reaches another spoke through a hub only via a firewall or NVA there with user-defined routes,
and the spokes' peerings to the hub must allow forwarded traffic (virtual-network-peering-overview, "Service
chaining"). The tool never creates peerings; see `peering_findings`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.ids import same_id, vnet_name_of

AZURE_DNS = "168.63.129.16"

# DnsPath.kind
AZURE, RESOLVER, FORWARDER, EXTERNAL = "azure", "resolver", "forwarder", "external"


@dataclass(frozen=True)
class PeeringFact:
    name: str
    remote_vnet_id: str
    state: str                              # Initiated | Connected | Disconnected
    remote_prefixes: tuple[str, ...] = ()   # the remote VNet's address space, as the peering reports it
    allow_forwarded_traffic: bool = False
    allow_gateway_transit: bool = False
    use_remote_gateways: bool = False


@dataclass(frozen=True)
class VNetFacts:
    id: str
    name: str
    prefixes: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()       # empty: Azure-provided DNS
    peerings: tuple[PeeringFact, ...] = ()

    def peering_to(self, vnet_id: str) -> PeeringFact | None:
        return next((p for p in self.peerings if same_id(p.remote_vnet_id, vnet_id)), None)


@dataclass(frozen=True)
class ResolverFacts:
    id: str
    name: str
    vnet_id: str
    inbound_ips: tuple[str, ...] = ()


@dataclass
class NetworkFacts:
    """The agents' VNets (the endpoint's first), the DNS Private Resolvers found, and what could not be read."""

    vnets: list[VNetFacts] = field(default_factory=list)
    resolvers: list[ResolverFacts] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DnsPath:
    """Where one agents' VNet's DNS queries are answered: `via_vnet_id`'s Azure DNS (None: outside Azure)."""

    vnet_id: str
    servers: tuple[str, ...]
    kind: str                       # azure | resolver | forwarder | external
    via_vnet_id: str | None
    via: str = ""                   # the server in words, e.g. "DNS Private Resolver 'dnspr-hub' (inbound ...)"

    @property
    def vnet_name(self) -> str:
        return vnet_name_of(self.vnet_id)

    @property
    def custom(self) -> bool:
        return self.kind != AZURE


def _in(ip: str, prefixes: tuple[str, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for prefix in prefixes:
        try:
            if addr in ipaddress.ip_network(prefix, strict=False):
                return True
        except ValueError:
            continue
    return False


def dns_path(vnet: VNetFacts, resolvers: list[ResolverFacts], known: list[VNetFacts]) -> DnsPath:
    """The DNS path of `vnet`, judged by its first DNS server (hosts ask the first; the others are fallbacks)."""
    servers = vnet.dns_servers
    if not servers or servers[0] == AZURE_DNS:
        return DnsPath(vnet.id, servers, AZURE, vnet.id, "Azure-provided DNS")
    ip = servers[0]
    for r in resolvers:
        if ip in r.inbound_ips:
            return DnsPath(vnet.id, servers, RESOLVER, r.vnet_id,
                           f"DNS Private Resolver '{r.name}' (inbound endpoint {ip} in {vnet_name_of(r.vnet_id)})")
    for other in known:   # a server inside a VNet this setup knows (its own, or a peered VNet's address space)
        if _in(ip, other.prefixes):
            return DnsPath(vnet.id, servers, FORWARDER, other.id, f"a DNS server at {ip} in {other.name}")
        for p in other.peerings:
            if _in(ip, p.remote_prefixes):
                return DnsPath(vnet.id, servers, FORWARDER, p.remote_vnet_id,
                               f"a DNS server at {ip} in {vnet_name_of(p.remote_vnet_id)}")
    return DnsPath(vnet.id, servers, EXTERNAL, None, f"DNS server {ip}, outside the VNets Azure shows this setup")


def dns_paths(facts: NetworkFacts) -> list[DnsPath]:
    return [dns_path(v, facts.resolvers, facts.vnets) for v in facts.vnets]


def extra_link_vnets(paths: list[DnsPath], agent_vnets: list[str]) -> list[DnsPath]:
    """The paths whose answering VNet (a resolver's or a forwarder's) is not an agents' VNet: the zone must be
    linked there too. One per answering VNet."""
    out: list[DnsPath] = []
    for p in paths:
        if p.kind in (RESOLVER, FORWARDER) and p.via_vnet_id and not any(same_id(p.via_vnet_id, v) for v in
                                                                           agent_vnets) \
                and not any(same_id(p.via_vnet_id, o.via_vnet_id) for o in out):
            out.append(p)
    return out


def forwarder_rule(path: DnsPath, linked_example: str) -> str:
    """What to configure on a custom DNS server Azure cannot check: the conditional forwarder rule."""
    servers = ", ".join(path.servers)
    if path.kind == FORWARDER:
        return (f"{path.vnet_name} uses {path.via} as its DNS server: on it, add a conditional forwarder "
                f"{ASTRO_DNS_ZONE} -> {AZURE_DNS} (Azure DNS answers the private zone there because "
                f"{vnet_name_of(path.via_vnet_id or '')} is linked to it); Azure cannot check this for you.")
    return (f"{path.vnet_name} uses custom DNS servers ({servers}) that Azure cannot see: on them, add a conditional "
            f"forwarder {ASTRO_DNS_ZONE} -> a DNS Private Resolver inbound endpoint or a forwarder VM in a VNet linked "
            f"to the zone (e.g. {linked_example}), which forwards it to {AZURE_DNS}; until then the agents in "
            f"{path.vnet_name} get Astro's public address.")


def peering_findings(vnets: list[VNetFacts], endpoint_vnet_id: str) -> list[str]:
    """What stops each agents' VNet from reaching the endpoint's VNet, naming both VNets (empty: nothing found).

    Read from both sides: the agents' VNet's peering to the endpoint's VNet (Connected means both sides exist), and,
    when there is none, a hub both are peered with (transit needs a firewall or NVA there, and allowed forwarded
    traffic on both spokes' peerings to the hub)."""
    endpoint = next((v for v in vnets if same_id(v.id, endpoint_vnet_id)), None)
    ename = vnet_name_of(endpoint_vnet_id)
    out: list[str] = []
    for v in vnets:
        if same_id(v.id, endpoint_vnet_id):
            continue
        p = v.peering_to(endpoint_vnet_id)
        if p is not None and p.state == "Connected":
            continue
        if p is not None and p.state == "Initiated":
            out.append(f"{v.name} -> {ename}: peering '{p.name}' is Initiated, so {ename} has no peering back to "
                       f"{v.name} and no traffic flows: create the peering from {ename} to {v.name} (both sides must "
                       "show Connected).")
            continue
        if p is not None and p.state == "Disconnected":
            out.append(f"{v.name} -> {ename}: peering '{p.name}' is Disconnected (the peering on {ename}'s side, or "
                       f"{ename} itself, was deleted): delete '{p.name}' on {v.name}, then create the peering again "
                       "on both sides.")
            continue
        if p is not None:
            out.append(f"{v.name} -> {ename}: peering '{p.name}' is {p.state}: only Connected passes traffic.")
            continue
        hub = _common_hub(v, endpoint)
        if hub is not None:
            mine, theirs = hub
            missing = [f"'{q.name}' on {owner}" for q, owner in ((mine, v.name), (theirs, ename))
                       if not q.allow_forwarded_traffic]
            hname = vnet_name_of(mine.remote_vnet_id)
            if missing:
                out.append(f"{v.name} -> {ename}: not peered; both are peered with {hname}, but peering is not "
                           f"transitive and {' and '.join(missing)} do not allow forwarded traffic: peer {v.name} "
                           f"with {ename} directly, or route through a firewall in {hname} and allow forwarded "
                           "traffic on those peerings.")
            continue
        out.append(f"{v.name} -> {ename}: not peered, so agents in {v.name} cannot reach the endpoint's IP: peer "
                   f"{v.name} and {ename} (a peering on each side, both Connected).")
    return out


def transit_notes(vnets: list[VNetFacts], endpoint_vnet_id: str) -> list[str]:
    """Agents' VNets that reach the endpoint's VNet only through a hub, with forwarded traffic allowed: it works
    only with a firewall or NVA in the hub and user-defined routes, which Azure's peerings do not show."""
    endpoint = next((v for v in vnets if same_id(v.id, endpoint_vnet_id)), None)
    out = []
    for v in vnets:
        if same_id(v.id, endpoint_vnet_id) or v.peering_to(endpoint_vnet_id) is not None:
            continue
        hub = _common_hub(v, endpoint)
        if hub is not None and hub[0].allow_forwarded_traffic and hub[1].allow_forwarded_traffic:
            hname = vnet_name_of(hub[0].remote_vnet_id)
            out.append(f"{v.name} reaches {vnet_name_of(endpoint_vnet_id)} only through {hname}: that needs a "
                       f"firewall or NVA in {hname} and user-defined routes on both VNets' subnets (peering is not "
                       "transitive); verify tells whether traffic gets through.")
    return out


def _common_hub(v: VNetFacts, endpoint: VNetFacts | None) -> tuple[PeeringFact, PeeringFact] | None:
    """A VNet both `v` and `endpoint` are Connected to: (v's peering to it, the endpoint's peering to it)."""
    if endpoint is None:
        return None
    for mine in v.peerings:
        if mine.state != "Connected":
            continue
        theirs = endpoint.peering_to(mine.remote_vnet_id)
        if theirs is not None and theirs.state == "Connected":
            return mine, theirs
    return None


def vnet_facts(vnet: object) -> VNetFacts:
    """The facts of an azure-mgmt-network VirtualNetwork model (a VNet GET lists its peerings and DNS servers)."""
    from wizard.core.ids import enum_text

    space = getattr(vnet, "address_space", None)
    dhcp = getattr(vnet, "dhcp_options", None)
    peerings = []
    for p in getattr(vnet, "virtual_network_peerings", None) or []:
        remote = getattr(p, "remote_virtual_network", None)
        rspace = getattr(p, "remote_address_space", None)
        peerings.append(PeeringFact(
            name=p.name or "", remote_vnet_id=getattr(remote, "id", None) or "",
            state=enum_text(p.peering_state) or "unknown",
            remote_prefixes=tuple(getattr(rspace, "address_prefixes", None) or ()),
            allow_forwarded_traffic=bool(p.allow_forwarded_traffic),
            allow_gateway_transit=bool(p.allow_gateway_transit), use_remote_gateways=bool(p.use_remote_gateways)))
    return VNetFacts(id=getattr(vnet, "id", "") or "", name=getattr(vnet, "name", "") or "",
                     prefixes=tuple(getattr(space, "address_prefixes", None) or ()),
                     dns_servers=tuple(getattr(dhcp, "dns_servers", None) or ()), peerings=tuple(peerings))


def dns_link_plan(facts: NetworkFacts | None, agent_vnets: list[str]) -> tuple[list[DnsPath], list[str]]:
    """For step 4: the VNets to link besides the agents' (where their custom DNS servers resolve), and the warnings
    about DNS servers Azure cannot check (the conditional forwarder rule to add), plus what could not be read."""
    if facts is None:
        return [], []
    paths = dns_paths(facts)
    example = vnet_name_of(agent_vnets[0]) if agent_vnets else "the endpoint's VNet"
    warnings = [forwarder_rule(p, example) for p in paths if p.kind in (FORWARDER, EXTERNAL)]
    return extra_link_vnets(paths, agent_vnets), warnings + list(facts.warnings)
