"""The VNet listing behind the pickers of every front end, made to work with roles granted on resource groups.

Azure honours a role assignment only at or below its scope
(https://learn.microsoft.com/azure/role-based-access-control/scope-overview): a user with Network Contributor
on a few resource groups gets 403 AuthorizationFailed when listing VNets across the subscription
(`GET /subscriptions/{s}/providers/Microsoft.Network/virtualNetworks`), while listing a resource group they
hold a role on works, and the resource-group list itself only shows the groups they can read (azure-cli#27586).
So when the subscription-wide list is refused, the VNets are listed group by group, and the listing says so.

The pages are read as JSON (`wizard.core.raw_arm`: the SDK operation's request through its client's pipeline) and
only what the pickers show is kept, as `VNetRow`s: 50,000 VNets as SDK models would cost most of a minute of CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.azure import ClientFactory

FORBIDDEN = 403


@dataclass(frozen=True)
class Ref:
    """A reference by id (an NSG), as the SDK's SubResource."""

    id: str


@dataclass(frozen=True)
class DelegationRow:
    """A subnet delegation: the service it is delegated to, as the SDK's Delegation model names it."""

    service_name: str


@dataclass(frozen=True)
class SubnetRow:
    """What the pickers show or check of a subnet, under the attribute names of the SDK's Subnet model (so
    `steps.preflight.subnet_facts` reads either): name, prefixes, delegations, the IP configurations in use (only
    counted), the endpoint network policies and the NSG."""

    name: str
    address_prefix: str | None = None
    address_prefixes: list[str] | None = None
    id: str = ""
    delegations: list[DelegationRow] = field(default_factory=list)
    ip_configurations: list[Any] = field(default_factory=list)
    private_endpoint_network_policies: str | None = None
    network_security_group: Ref | None = None


@dataclass(frozen=True)
class VNetRow:
    """What the pickers show of a VNet (the attribute names of the SDK's VirtualNetwork model)."""

    id: str
    name: str
    location: str
    subnets: list[SubnetRow] = field(default_factory=list)


def vnet_row(body: dict[str, Any]) -> VNetRow:
    """A VNet of a list page (ARM JSON: virtualNetwork.json's VirtualNetwork) as the pickers need it."""
    subnets = []
    for s in (body.get("properties") or {}).get("subnets") or []:
        props = s.get("properties") or {}
        nsg = (props.get("networkSecurityGroup") or {}).get("id")
        subnets.append(SubnetRow(
            s.get("name") or "", props.get("addressPrefix"), props.get("addressPrefixes"), id=s.get("id") or "",
            delegations=[DelegationRow(d["properties"]["serviceName"]) for d in props.get("delegations") or []
                         if (d.get("properties") or {}).get("serviceName")],
            ip_configurations=props.get("ipConfigurations") or [],
            private_endpoint_network_policies=props.get("privateEndpointNetworkPolicies"),
            network_security_group=Ref(nsg) if nsg else None))
    return VNetRow(body.get("id") or "", body.get("name") or "", body.get("location") or "", subnets)


def list_vnet_pages(factory: ClientFactory, subscription_id: str, resource_group: str | None = None,
                    ) -> Iterator[list[VNetRow]]:
    """Virtual Networks - List All (or List, in one resource group), a page at a time, as `VNetRow`s."""
    network = factory.network_sdk(subscription_id)  # first: it imports azure.mgmt.network under the SDK import lock
    from azure.mgmt.network.operations._operations import (
        build_virtual_networks_list_all_request,
        build_virtual_networks_list_request,
    )

    from wizard.core.raw_arm import iter_pages

    if resource_group is None:
        request = build_virtual_networks_list_all_request(subscription_id=subscription_id)
    else:
        request = build_virtual_networks_list_request(resource_group_name=resource_group,
                                                      subscription_id=subscription_id)
    for page in iter_pages(network, request):
        yield [vnet_row(body) for body in page]


def iter_vnets(factory: ClientFactory, subscription_id: str,
               note: Callable[[str], None] = lambda text: None) -> Iterator[VNetRow]:
    """Every VNet of the subscription the user can read, a page at a time. When the role does not reach the
    whole subscription, `note` gets one sentence saying which resource groups were listed instead."""
    from azure.core.exceptions import HttpResponseError

    seen: set[str] = set()
    try:
        for page in list_vnet_pages(factory, subscription_id):
            for vnet in page:
                seen.add(vnet.id.lower())
                yield vnet
        return
    except HttpResponseError as exc:
        if exc.status_code != FORBIDDEN:
            raise
    groups = [g.name or "" for g in factory.resources(subscription_id).resource_groups.list()]
    refused: list[str] = []
    for group in groups:
        try:
            for page in list_vnet_pages(factory, subscription_id, group):
                for vnet in page:
                    if vnet.id.lower() not in seen:
                        seen.add(vnet.id.lower())
                        yield vnet
        except HttpResponseError as exc:
            if exc.status_code != FORBIDDEN:
                raise
            refused.append(group)
    listed = len(groups) - len(refused)
    text = (f"Your Azure role does not cover the whole subscription, so only the VNets of the {listed} resource "
            f"group(s) you have a role on are listed")
    if refused:
        text += f" (not readable: {', '.join(refused[:5])}{', ...' if len(refused) > 5 else ''})"
    note(text + ". A VNet elsewhere can be typed as a resource id.")
