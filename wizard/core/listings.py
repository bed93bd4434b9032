"""The VNet listing behind the pickers of every front end, made to work with roles granted on resource groups.

Azure honours a role assignment only at or below its scope
(https://learn.microsoft.com/azure/role-based-access-control/scope-overview): a user with Network Contributor
on a few resource groups gets 403 AuthorizationFailed when listing VNets across the subscription
(`GET /subscriptions/{s}/providers/Microsoft.Network/virtualNetworks`), while listing a resource group they
hold a role on works, and the resource-group list itself only shows the groups they can read (azure-cli#27586).
So when the subscription-wide list is refused, the VNets are listed group by group, and the listing says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.azure import ClientFactory

FORBIDDEN = 403


def iter_vnets(factory: ClientFactory, subscription_id: str,
               note: Callable[[str], None] = lambda text: None) -> Iterator[Any]:
    """Every VNet of the subscription the user can read, a page at a time. When the role does not reach the
    whole subscription, `note` gets one sentence saying which resource groups were listed instead."""
    from azure.core.exceptions import HttpResponseError

    network = factory.network(subscription_id)
    seen: set[str] = set()
    try:
        for vnet in network.virtual_networks.list_all():
            seen.add((vnet.id or "").lower())
            yield vnet
        return
    except HttpResponseError as exc:
        if exc.status_code != FORBIDDEN:
            raise
    groups = [g.name or "" for g in factory.resources(subscription_id).resource_groups.list()]
    refused: list[str] = []
    for group in groups:
        try:
            for vnet in network.virtual_networks.list(group):
                if (vnet.id or "").lower() not in seen:
                    seen.add((vnet.id or "").lower())
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
