"""Network security group evaluation for verify, as Azure does it: flatten each rule (`Rule`), match ports,
address prefixes and service tags, pick the deciding rule by priority, and name the rules that deny TCP to the
endpoint on the agents' subnets (outbound) and on the endpoint's subnet (inbound).

Pure: the rules come in through a callable; `azure_reads.inspect_nsgs` supplies them from Azure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from steps.verify.addresses import as_network, is_private
from steps.verify.models import SubnetInfo, VNetSpace
from wizard.core.ids import enum_text, parse_id, same_id


@dataclass
class Rule:
    """One NSG security rule, flattened (SDK enums turned into plain strings)."""

    name: str
    priority: int
    direction: str          # Inbound | Outbound
    access: str             # Allow | Deny
    protocol: str = "*"     # * | Tcp | Udp | Icmp | Esp | Ah
    sources: list[str] = field(default_factory=lambda: ["*"])
    destinations: list[str] = field(default_factory=lambda: ["*"])
    ports: list[str] = field(default_factory=lambda: ["*"])   # destination port ranges
    nsg: str = ""
    default: bool = False
    uses_asg: bool = False  # refers to application security groups: cannot be evaluated from addresses

    @classmethod
    def from_sdk(cls, r: Any, nsg: str = "", default: bool = False) -> Rule:
        def many(single: Any, multiple: Any) -> list[str]:
            vals = [str(v) for v in (multiple or []) if v]
            if single:
                vals.insert(0, str(single))
            return vals

        src = many(r.source_address_prefix, r.source_address_prefixes)
        dst = many(r.destination_address_prefix, r.destination_address_prefixes)
        asg = bool(r.source_application_security_groups or r.destination_application_security_groups)
        return cls(name=r.name or "", priority=int(r.priority or 0), direction=enum_text(r.direction),
                   access=enum_text(r.access), protocol=enum_text(r.protocol) or "*",
                   sources=src or (["?"] if asg else ["*"]), destinations=dst or (["?"] if asg else ["*"]),
                   ports=many(r.destination_port_range, r.destination_port_ranges) or ["*"], nsg=nsg, default=default,
                   uses_asg=asg)

    def describe(self) -> str:
        kind = "default rule" if self.default else "rule"
        return (f"{kind} '{self.name}' (priority {self.priority}, {self.access} {self.direction.lower()} "
                f"{self.protocol} to {', '.join(self.destinations)} port {', '.join(self.ports)}"
                f"{' from ' + ', '.join(self.sources) if self.sources != ['*'] else ''})"
                + (f" in NSG '{self.nsg}'" if self.nsg else ""))


def port_matches(ranges: Iterable[str], port: int) -> bool:
    """Whether `port` is in any of the NSG port ranges ('*', '443', '400-500')."""
    for r in ranges:
        r = r.strip()
        if r in ("*", "Any", ""):
            return True
        lo, _, hi = r.partition("-")
        try:
            if int(lo) <= port <= int(hi or lo):
                return True
        except ValueError:
            continue
    return False


def prefix_matches(prefix: str, target: str, vnet_prefixes: Sequence[str]) -> bool:
    """Does an NSG address prefix (CIDR, IP, '*', or a service tag) cover `target` (an IP or a CIDR)?

    A network target matches when it overlaps: a rule that covers part of the agents' subnet blocks those agents.
    Tags: VirtualNetwork = the VNets' address spaces (and peered spaces given in `vnet_prefixes`); Internet = public
    addresses outside them; other tags (AzureLoadBalancer, Storage...) never cover a private endpoint's IP.
    """
    p = prefix.strip()
    low = p.lower()
    tnet = as_network(target)
    if tnet is None:
        return False
    if low in ("*", "any", "0.0.0.0/0", "::/0"):
        return True
    if low == "virtualnetwork":
        return any((n := as_network(v)) is not None and n.version == tnet.version and n.overlaps(tnet)
                   for v in vnet_prefixes)
    if low == "internet":
        inside = any((n := as_network(v)) is not None and n.version == tnet.version and n.overlaps(tnet)
                     for v in vnet_prefixes)
        return not inside and not is_private(str(tnet.network_address))
    pnet = as_network(p)
    return pnet is not None and pnet.version == tnet.version and pnet.overlaps(tnet)


def rule_matches(rule: Rule, direction: str, source: str, destination: str, port: int,
                 vnet_prefixes: Sequence[str]) -> bool:
    """Whether `rule` applies to TCP traffic from `source` to `destination`:`port` in `direction`."""
    if rule.direction.lower() != direction.lower() or rule.uses_asg:
        return False
    if rule.protocol.lower() not in ("*", "tcp", "any"):
        return False
    if not port_matches(rule.ports, port):
        return False
    return (any(prefix_matches(s, source, vnet_prefixes) for s in rule.sources)
            and any(prefix_matches(d, destination, vnet_prefixes) for d in rule.destinations))


def deciding_rule(rules: Iterable[Rule], direction: str, source: str, destination: str, port: int,
                  vnet_prefixes: Sequence[str]) -> Rule | None:
    """The rule that decides the traffic (the lowest priority number that matches), as Azure evaluates an NSG."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule_matches(rule, direction, source, destination, port, vnet_prefixes):
            return rule
    return None


@dataclass
class NsgFinding:
    """One NSG rule that blocks, or notes about what could not be evaluated."""

    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    route_tables: list[str] = field(default_factory=list)


def nsg_name(nsg_id: str) -> str:
    """The NSG's name from its resource id (the id itself when it names none)."""
    return parse_id(nsg_id).get("networksecuritygroups", nsg_id)


def evaluate_nsgs(spaces: Sequence[VNetSpace], endpoint_subnet_id: str | None, target_ip: str, port: int,
                  rules_of: Callable[[str], list[Rule] | None]) -> NsgFinding:
    """Name the rules that deny TCP `port` to `target_ip`: outbound on every subnet of the agents' VNets, and
    inbound on the endpoint's subnet when it applies network policies to private endpoints. `rules_of(nsg_id)`
    gives an NSG's rules (custom and default), or None when the NSG does not exist."""
    found = NsgFinding()
    vnet_prefixes = [p for s in spaces for p in s.prefixes + s.peered_prefixes]
    pe_subnet: tuple[VNetSpace, SubnetInfo] | None = None
    for space in spaces:
        for sn in space.subnets:
            if same_id(sn.id, endpoint_subnet_id):
                pe_subnet = (space, sn)
            if sn.route_table_id:
                found.route_tables.append(f"subnet {space.name}/{sn.name} uses route table "
                                          f"'{parse_id(sn.route_table_id).get('routetables', sn.route_table_id)}'")
            if not sn.nsg_id:
                continue
            rules = rules_of(sn.nsg_id)
            if rules is None:
                continue
            for src in sn.prefixes:
                rule = deciding_rule(rules, "Outbound", src, target_ip, port, vnet_prefixes)
                if rule is not None and rule.access.lower() == "deny":
                    found.blocking.append(f"{rule.describe()} on subnet {space.name}/{sn.name} ({src}) denies "
                                          f"outbound TCP {port} to {target_ip}")
                    break
            if any(r.uses_asg and r.direction.lower() == "outbound" for r in rules):
                found.notes.append(f"NSG '{nsg_name(sn.nsg_id)}' has rules using application security groups, "
                                   "which this check cannot evaluate")
    if pe_subnet is not None:
        space, sn = pe_subnet
        policies = sn.pe_policies.lower()
        if sn.nsg_id and policies in ("enabled", "networksecuritygroupenabled"):
            rules = rules_of(sn.nsg_id) or []
            for other in spaces:
                for agent in other.subnets:
                    if same_id(agent.id, sn.id):
                        continue
                    for src in agent.prefixes:
                        rule = deciding_rule(rules, "Inbound", src, target_ip, port, vnet_prefixes)
                        if rule is not None and rule.access.lower() == "deny":
                            found.blocking.append(f"{rule.describe()} on the endpoint's subnet {space.name}/{sn.name} "
                                                  f"denies inbound TCP {port} from {other.name}/{agent.name} ({src})")
                            break
    return found
