"""The "hub-spoke" seed world: the demo world plus an enterprise hub-and-spoke network in one subscription.

    vnet-hub (rg-network-hub, 127.21.0.0/16)   the endpoint's VNet: snet-endpoints; DNS Private Resolver
        dnspr-hub, inbound endpoint 127.21.2.4 (snet-dns-inbound), outbound endpoint (snet-dns-outbound);
        a DNS forwarder VM at 127.21.0.4 (snet-shared) that forwards everything to Azure DNS in the hub
    vnet-spoke-a (rg-spokes)  DNS servers [127.21.2.4]: the resolver's inbound endpoint   peered with the hub
    vnet-spoke-b (rg-spokes)  DNS servers [10.250.0.53]: on-premises, forwards nothing     peered with the hub
    vnet-spoke-c (rg-spokes)  Azure-provided DNS                                           peered with the hub
    vnet-spoke-d (rg-spokes)  Azure-provided DNS                                           not peered
    vnet-spoke-e (rg-spokes)  DNS servers [127.21.0.4]: the forwarder VM in the hub        peered with the hub

Resolver bodies follow specification/dnsresolver dnsresolver.json 2022-07-01 (DnsResolver virtualNetwork /
dnsResolverState; InboundEndpoint ipConfigurations[].privateIpAddress / privateIpAllocationMethod / subnet;
OutboundEndpoint subnet; DnsForwardingRuleset dnsResolverOutboundEndpoints; ForwardingRule domainName (with its
trailing dot) / targetDnsServers / forwardingRuleState; VirtualNetworkLink virtualNetwork) and the examples next to
it (InboundEndpoint_Get.json, DnsResolver_ListBySubscription.json). Their subnets are delegated to
Microsoft.Network/dnsResolvers, as Azure requires (learn.microsoft.com azure/dns/dns-private-resolver-overview,
"Subnet restrictions"). The sandbox serves these by GET and list only.
"""

from __future__ import annotations

from wizard.sandbox.seeds import SUBSCRIPTION_ID, _guid, add_subnet, add_vnet, peer
from wizard.sandbox.world import (
    T_FWD_RULE,
    T_INBOUND,
    T_OUTBOUND,
    T_RESOLVER,
    T_RULESET,
    T_RULESET_LINK,
    World,
    new_etag,
    rg_id,
)

HUB_RG, SPOKES_RG = "rg-network-hub", "rg-spokes"
RESOLVER_NAME = "dnspr-hub"
INBOUND_IP = "127.21.2.4"
FORWARDER_IP = "127.21.0.4"
ON_PREM_DNS = "10.250.0.53"
RESOLVER_SUBNET_DELEGATION = "Microsoft.Network/dnsResolvers"
# spoke name -> (address space, custom DNS servers, peered with the hub)
SPOKES: dict[str, tuple[str, list[str], bool]] = {
    "vnet-spoke-a": ("127.41.0.0/16", [INBOUND_IP], True),
    "vnet-spoke-b": ("127.42.0.0/16", [ON_PREM_DNS], True),
    "vnet-spoke-c": ("127.43.0.0/16", [], True),
    "vnet-spoke-d": ("127.44.0.0/16", [], False),
    "vnet-spoke-e": ("127.45.0.0/16", [FORWARDER_IP], True),
}


def vnet_id(name: str, rg: str = SPOKES_RG, sub: str = SUBSCRIPTION_ID) -> str:
    return f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{name}"


def hub_id(sub: str = SUBSCRIPTION_ID) -> str:
    return vnet_id("vnet-hub", HUB_RG, sub)


def add_resolver(world: World, sub: str, rg: str, name: str, vnet: str, inbound_subnet: str, inbound_ip: str,
                 outbound_subnet: str, location: str) -> str:
    """A DNS Private Resolver in `vnet` with one inbound endpoint (static `inbound_ip`) and one outbound endpoint."""
    resolver = f"{rg_id(sub, rg)}/providers/{T_RESOLVER}/{name}"
    world.add(T_RESOLVER, resolver, {
        "location": location, "tags": {}, "etag": new_etag(weak=False),
        "properties": {"virtualNetwork": {"id": vnet}, "dnsResolverState": "Connected",
                       "resourceGuid": _guid(resolver)}})
    inbound = f"{resolver}/inboundEndpoints/inbound"
    world.add(T_INBOUND, inbound, {
        "location": location, "tags": {}, "etag": new_etag(weak=False),
        "properties": {"ipConfigurations": [{"subnet": {"id": inbound_subnet}, "privateIpAddress": inbound_ip,
                                             "privateIpAllocationMethod": "Static"}],
                       "resourceGuid": _guid(inbound)}})
    world.ip_used.setdefault(inbound_subnet.lower(), set()).add(inbound_ip)
    outbound = f"{resolver}/outboundEndpoints/outbound"
    world.add(T_OUTBOUND, outbound, {
        "location": location, "tags": {}, "etag": new_etag(weak=False),
        "properties": {"subnet": {"id": outbound_subnet}, "resourceGuid": _guid(outbound)}})
    return resolver


def add_ruleset(world: World, sub: str, rg: str, name: str, outbound_endpoint: str, location: str,
                rules: dict[str, list[str]], linked_vnets: list[str]) -> str:
    """A DNS forwarding ruleset on `outbound_endpoint`: `rules` (domain -> target IPs) and links to `linked_vnets`."""
    ruleset = f"{rg_id(sub, rg)}/providers/{T_RULESET}/{name}"
    world.add(T_RULESET, ruleset, {
        "location": location, "tags": {}, "etag": new_etag(weak=False),
        "properties": {"dnsResolverOutboundEndpoints": [{"id": outbound_endpoint}], "resourceGuid": _guid(ruleset)}})
    for i, (domain, targets) in enumerate(rules.items()):
        world.add(T_FWD_RULE, f"{ruleset}/forwardingRules/rule{i + 1}", {
            "etag": new_etag(weak=False),
            "properties": {"domainName": domain.rstrip(".") + ".", "forwardingRuleState": "Enabled", "metadata": {},
                           "targetDnsServers": [{"ipAddress": ip, "port": 53} for ip in targets]}})
    for vnet in linked_vnets:
        world.add(T_RULESET_LINK, f"{ruleset}/virtualNetworkLinks/{vnet.rsplit('/', 1)[-1]}-link", {
            "etag": new_etag(weak=False), "properties": {"virtualNetwork": {"id": vnet}, "metadata": {}}})
    return ruleset


def hub_spoke_world(world: World) -> World:
    """Add the hub's resolver and forwarder and the five spokes to `world` (the demo world: it has vnet-hub)."""
    sub = SUBSCRIPTION_ID
    hub = hub_id(sub)
    assert world.get(hub) is not None, "the hub-spoke world builds on the demo world's vnet-hub"
    inbound_subnet = add_subnet(world, hub, "snet-dns-inbound", "127.21.2.0/28", delegation=RESOLVER_SUBNET_DELEGATION)
    outbound_subnet = add_subnet(world, hub, "snet-dns-outbound", "127.21.3.0/28",
                                 delegation=RESOLVER_SUBNET_DELEGATION)
    resolver = add_resolver(world, sub, HUB_RG, RESOLVER_NAME, hub, inbound_subnet, INBOUND_IP, outbound_subnet,
                            "eastus2")
    # A ruleset that sends the on-premises domain to the on-premises server (links: the hub only): what hubs have.
    add_ruleset(world, sub, HUB_RG, "dnsrs-hub", f"{resolver}/outboundEndpoints/outbound", "eastus2",
                {"corp.contoso.com": [ON_PREM_DNS]}, [hub])
    # The forwarder VM in the hub forwards to Azure DNS there; the on-premises server forwards nothing.
    world.ip_used.setdefault(f"{hub}/subnets/snet-shared".lower(), set()).add(FORWARDER_IP)
    world.dns_forwarders[FORWARDER_IP] = hub
    world.dns_forwarders[ON_PREM_DNS] = None
    world.add_group(sub, SPOKES_RG, "eastus2", {"env": "prod"})
    for name, (space, servers, peered) in SPOKES.items():
        spoke = add_vnet(world, sub, SPOKES_RG, name, "eastus2", [space], dns_servers=servers)
        add_subnet(world, spoke, "snet-aks-agents", space.replace(".0.0/16", ".0.0/20"))
        if peered:
            peer(world, spoke, hub)
    world.default_dns_vnet_id = hub
    return world
