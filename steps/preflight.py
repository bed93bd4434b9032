"""Step 1's preflight of the endpoint's subnet: what Azure would refuse there, found before anything is written.

Pure functions over a subnet's facts (`SubnetFacts`, read from the VNet's GET, which lists every subnet with its
address prefixes, delegations, IP configurations and network policies):

- a delegated subnet (an AKS pod subnet is delegated to Microsoft.ContainerService/managedClusters) refuses an
  endpoint with PrivateEndpointCreationNotAllowedAsSubnetIsDelegated;
- a subnet without a free address (common for an Azure CNI node subnet, which holds every pod's IP) refuses it
  with SubnetIsFull; Azure keeps 5 addresses of every subnet;
- `privateEndpointNetworkPolicies` decides whether the subnet's NSG applies to traffic to the endpoint: a
  warning, never a problem (it no longer blocks creation).

`preflight_subnet(ctx)` gathers the facts from the step context and is what step 1 calls.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from wizard.core.ids import enum_text, parse_id, same_id

# Azure keeps the network address, the first three host addresses and the broadcast address of every subnet
# (Azure Virtual Network FAQ, "Are there any restrictions on using IP addresses within these subnets?").
RESERVED_PER_SUBNET = 5
# What an endpoint to a Private Link Service takes: one address for its NIC.
ADDRESSES_NEEDED = 1


@dataclass(frozen=True)
class SubnetFacts:
    """What a subnet's GET says about where an endpoint could go."""

    id: str
    name: str
    prefixes: tuple[str, ...]
    delegations: tuple[str, ...] = ()           # service names, e.g. Microsoft.ContainerService/managedClusters
    ip_configurations: int = 0                  # addresses in use (each NIC IP configuration holds one)
    endpoint_policies: str | None = None        # privateEndpointNetworkPolicies
    nsg_id: str | None = None


@dataclass
class Preflight:
    """What step 1 reports: problems block every write; warnings are shown."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def subnet_facts(subnet: Any) -> SubnetFacts:
    """The facts of an azure-mgmt-network Subnet model (as a VNet GET lists them)."""
    prefixes = tuple(subnet.address_prefixes or ([subnet.address_prefix] if subnet.address_prefix else []))
    return SubnetFacts(
        id=subnet.id or "", name=subnet.name or "", prefixes=prefixes,
        delegations=tuple(d.service_name for d in (subnet.delegations or []) if d.service_name),
        ip_configurations=len(subnet.ip_configurations or []),
        endpoint_policies=enum_text(subnet.private_endpoint_network_policies) or None,
        nsg_id=subnet.network_security_group.id if subnet.network_security_group else None)


def capacity(prefixes: tuple[str, ...]) -> int:
    """Addresses Azure can hand out in a subnet: its IPv4 addresses less the 5 it keeps."""
    total = 0
    for prefix in prefixes:
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            continue
        if net.version == 4:
            total += max(net.num_addresses - RESERVED_PER_SUBNET, 0)
    return total


def free_addresses(facts: SubnetFacts) -> int:
    return max(capacity(facts.prefixes) - facts.ip_configurations, 0)


def usable(facts: SubnetFacts) -> bool:
    """An endpoint could be created in this subnet."""
    return not facts.delegations and free_addresses(facts) >= ADDRESSES_NEEDED


def check_subnet(facts: SubnetFacts, siblings: list[SubnetFacts] | None = None, *,
                 endpoint_in_subnet: bool = False) -> Preflight:
    """Problems Azure would answer with when creating the endpoint in `facts`'s subnet, and what its network
    policies mean; `siblings` (the VNet's other subnets) give the alternatives to suggest. An endpoint that already
    exists in this subnet needs nothing new from it."""
    out = Preflight()
    if not endpoint_in_subnet:
        others = _alternatives(facts, siblings or [])
        if facts.delegations:
            out.problems.append(
                f"Subnet '{facts.name}' is delegated to {', '.join(facts.delegations)}, and Azure creates no private "
                f"endpoint in a delegated subnet (PrivateEndpointCreationNotAllowedAsSubnetIsDelegated): choose "
                f"{others}.")
        elif free_addresses(facts) < ADDRESSES_NEEDED:
            out.problems.append(
                f"Subnet '{facts.name}' ({', '.join(facts.prefixes)}) has no free address: Azure keeps "
                f"{RESERVED_PER_SUBNET} of its addresses and {facts.ip_configurations} are in use, as in an Azure CNI "
                f"node subnet, so Azure would answer SubnetIsFull: choose {others}.")
    warning = policy_warning(facts)
    if warning:
        out.warnings.append(warning)
    return out


def policy_warning(facts: SubnetFacts) -> str | None:
    """What `privateEndpointNetworkPolicies` means for the subnet's NSG (Microsoft Learn, "Manage network policies
    for private endpoints": disabled by default; Enabled or NetworkSecurityGroupEnabled makes the NSG apply)."""
    if not facts.nsg_id:
        return None
    nsg = parse_id(facts.nsg_id).get("networksecuritygroups", facts.nsg_id)
    policy = (facts.endpoint_policies or "Disabled")
    if policy.lower() in ("enabled", "networksecuritygroupenabled"):
        return (f"Network security group '{nsg}' on subnet '{facts.name}' applies to the endpoint "
                f"(privateEndpointNetworkPolicies is {policy}): it must allow inbound TCP 443 from the agents' "
                "subnets.")
    return (f"Network security group '{nsg}' on subnet '{facts.name}' does not filter traffic to the endpoint "
            f"(privateEndpointNetworkPolicies is {policy}); only the agents' own outbound rules apply.")


def _alternatives(facts: SubnetFacts, siblings: list[SubnetFacts]) -> str:
    names = [s.name for s in siblings if not same_id(s.id, facts.id) and usable(s)]
    if not names:
        return "another subnet without delegation and with free addresses (there is none in this VNet: add one)"
    return "another subnet without delegation and with free addresses, e.g. " + ", ".join(f"'{n}'" for n in names[:3])
