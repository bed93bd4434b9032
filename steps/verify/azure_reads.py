"""The Azure reads verify needs beyond what `SetupContext` memoizes: the agents' VNets with their address spaces,
peerings, DNS servers and subnets (`VNetSpace`, `SubnetInfo`), the cluster's A record, and the NSGs on those
subnets (handed to `nsg.evaluate_nsgs`). Each read goes through ARM; a resource that is gone reads as None.
"""

from __future__ import annotations

from steps.context import EndpointInfo, SetupContext
from steps.verify.models import SubnetInfo, VNetSpace
from steps.verify.nsg import NsgFinding, Rule, evaluate_nsgs, nsg_name
from wizard.core.ids import enum_text, parse_id


def read_vnet_space(ctx: SetupContext, vid: str) -> VNetSpace | None:
    """The VNet `vid` with its subnets, peered address spaces and DNS servers; None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    parts = parse_id(vid)
    try:
        v = ctx.network(parts.get("subscription")).virtual_networks.get(parts.get("resource_group"),
                                                                        parts.get("virtualnetworks"))
    except ResourceNotFoundError:
        return None
    peered: list[str] = []
    for peering in v.virtual_network_peerings or []:
        space = getattr(peering, "remote_address_space", None)
        peered += list(getattr(space, "address_prefixes", None) or [])
    subnets = []
    for s in v.subnets or []:
        prefixes = [s.address_prefix] if s.address_prefix else list(s.address_prefixes or [])
        subnets.append(SubnetInfo(id=s.id, name=s.name, prefixes=prefixes,
                                  nsg_id=s.network_security_group.id if s.network_security_group else None,
                                  route_table_id=s.route_table.id if s.route_table else None,
                                  pe_policies=enum_text(s.private_endpoint_network_policies) or "Disabled"))
    dhcp = getattr(v, "dhcp_options", None)
    own = list((v.address_space.address_prefixes if v.address_space else None) or [])
    return VNetSpace(id=v.id, name=v.name, prefixes=own, peered_prefixes=peered,
                     dns_servers=list(getattr(dhcp, "dns_servers", None) or []), subnets=subnets)


def read_vnet_spaces(ctx: SetupContext) -> list[VNetSpace]:
    """Every agents' VNet that exists, the endpoint's first."""
    return [s for s in (read_vnet_space(ctx, v) for v in ctx.agent_vnet_ids()) if s is not None]


def read_record(ctx: SetupContext, name: str) -> list[str] | None:
    """The addresses of the A record `name` in the chosen zone; None when there is no zone or no such record."""
    from azure.core.exceptions import ResourceNotFoundError

    zone, _ = ctx.chosen_zone()
    if zone is None:
        return None
    try:
        rs = ctx.dns().record_sets.get(zone.resource_group, zone.name, "A", name)
    except ResourceNotFoundError:
        return None
    props = getattr(rs, "properties", None) or rs
    return [a.ipv4_address for a in (getattr(props, "a_records", None) or [])]


def inspect_nsgs(ctx: SetupContext, spaces: list[VNetSpace], pe: EndpointInfo | None, target_ip: str,
                 port: int) -> NsgFinding:
    """Read the NSGs on the agents' VNets' subnets (outbound) and the endpoint's subnet (inbound, when the subnet
    applies network policies to private endpoints), and name the rules that deny TCP `port` to `target_ip`."""
    from azure.core.exceptions import ResourceNotFoundError

    cache: dict[str, list[Rule] | None] = {}

    def rules_of(nsg_id: str) -> list[Rule] | None:
        key = nsg_id.lower()
        if key not in cache:
            parts = parse_id(nsg_id)
            name = nsg_name(nsg_id)
            try:
                nsg = ctx.network(parts.get("subscription")).network_security_groups.get(parts.get("resource_group"),
                                                                                         name)
                cache[key] = ([Rule.from_sdk(r, name) for r in nsg.security_rules or []]
                              + [Rule.from_sdk(r, name, default=True) for r in nsg.default_security_rules or []])
            except ResourceNotFoundError:
                cache[key] = None
        return cache[key]

    return evaluate_nsgs(spaces, pe.subnet_id if pe is not None else None, target_ip, port, rules_of)
