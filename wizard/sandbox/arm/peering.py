"""Microsoft.Network VNet peerings (`virtualNetworks/{vnet}/virtualNetworkPeerings/{name}`): PUT, and what one side's
create or delete does to the other side's `peeringState`.

Shape: VirtualNetworkPeeringPropertiesFormat in the network REST spec (Azure/azure-rest-api-specs
specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/virtualNetwork.json):
allowVirtualNetworkAccess, allowForwardedTraffic, allowGatewayTransit, useRemoteGateways, remoteVirtualNetwork {id},
remoteAddressSpace, peeringState (Initiated | Connected | Disconnected), peeringSyncLevel. States, as Microsoft
documents them (learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering; PSRule rule
Azure.VNET.PeerState: "Only once both peering connections are in the Connected state will traffic be allowed to flow"):
- creating one side gives Initiated; creating the other side makes both Connected;
- deleting one side (or its VNet) leaves the other Disconnected; a Disconnected peering must be updated or recreated
  before its remote side can be made again: that PUT answers 400 RemotePeeringIsDisconnected (message as quoted in
  hashicorp/terraform-provider-azurerm#14051).
Overlapping address spaces are refused with VnetAddressSpacesOverlap. GET and list are generic (routing.py); DELETE
is network.delete's; `after_removed` is called for every removed peering.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from wizard.sandbox.arm.model import ArmError, Request, Response, Target, check_name, not_found
from wizard.sandbox.world import T_PEERING, T_VNET, Resource, World, new_etag

if TYPE_CHECKING:
    from wizard.sandbox.arm.service import Service

FLAGS = ("allowVirtualNetworkAccess", "allowForwardedTraffic", "allowGatewayTransit", "useRemoteGateways")
DEFAULTS = {"allowVirtualNetworkAccess": True, "allowForwardedTraffic": False, "allowGatewayTransit": False,
            "useRemoteGateways": False}


def _remote_id(res: Resource) -> str:
    return str((res.props.get("remoteVirtualNetwork") or {}).get("id", ""))


def back_peering(world: World, vnet_id: str, remote_id: str) -> Resource | None:
    """The peering under `remote_id` whose remote is `vnet_id` (the other side), if any."""
    for p in world.children(remote_id, T_PEERING):
        if _remote_id(p).rstrip("/").lower() == vnet_id.rstrip("/").lower():
            return p
    return None


def _set_state(res: Resource, state: str) -> None:
    res.props["peeringState"] = state
    res.props["peeringSyncLevel"] = "FullyInSync" if state == "Connected" else "RemoteNotInSync"
    res.body["etag"] = new_etag()


def _overlap(a: Resource, b: Resource) -> bool:
    nets_a = [ipaddress.ip_network(p, strict=False) for p in a.props["addressSpace"]["addressPrefixes"]]
    nets_b = [ipaddress.ip_network(p, strict=False) for p in b.props["addressSpace"]["addressPrefixes"]]
    return any(x.version == y.version and x.overlaps(y) for x in nets_a for y in nets_b)


def upsert_peering(world: World, vnet: Resource, name: str, remote_id: str, props: dict) -> tuple[Resource, bool]:
    """Store the peering `name` under `vnet` to `remote_id` and set both sides' states; (resource, created)."""
    remote = world.get(remote_id)
    peering_id = f"{vnet.id}/virtualNetworkPeerings/{name}"
    if remote is None:
        raise ArmError(400, "InvalidResourceReference",
                       f"Resource {remote_id} referenced by resource {peering_id} was not found.")
    if _overlap(vnet, remote):
        raise ArmError(400, "VnetAddressSpacesOverlap",
                       f"Cannot create or update peering {peering_id}. Virtual networks {vnet.id} and {remote.id} "
                       "cannot be peered because their address spaces overlap.")
    back = back_peering(world, vnet.id, remote.id)
    if back is not None and back.props.get("peeringState") == "Disconnected":
        raise ArmError(400, "RemotePeeringIsDisconnected",
                       f"Cannot create or update peering {peering_id} because remote peering {back.id} referencing "
                       f"parent virtual network {vnet.id} is in Disconnected state. Update or re-create the remote "
                       "peering to get it back to Initiated state. Peering gets Disconnected when remote vnet or "
                       "remote peering is deleted and re-created.")
    stored = {**DEFAULTS, **{k: bool(props[k]) for k in FLAGS if k in props},
              "remoteVirtualNetwork": {"id": remote.id}}
    existing = world.get(peering_id)
    if existing is not None:
        existing.props.update(stored)
        res, created = existing, False
    else:
        res = world.add(T_PEERING, peering_id, {"etag": new_etag(), "type": T_PEERING, "properties": stored})
        created = True
    if back is None:
        _set_state(res, "Initiated")
    else:
        _set_state(res, "Connected")
        _set_state(back, "Connected")
    return res, created


def put_peering(svc: Service, req: Request, target: Target) -> Response:
    from wizard.sandbox.arm.network import network_created

    vnet = svc.world.get(target.parent_id or "")
    if vnet is None:
        raise not_found(Target(target.sub, target.rg, T_VNET, target.parent_id or "",
                               (target.parent_id or "").rsplit("/", 1)[-1], None))
    check_name(target.name, T_PEERING)
    props = req.json().get("properties") or {}
    remote_id = (props.get("remoteVirtualNetwork") or {}).get("id")
    if not isinstance(remote_id, str) or not remote_id.startswith("/"):
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: properties.remoteVirtualNetwork.id "
                                                    "is required.")
    res, created = upsert_peering(svc.world, vnet, target.name, remote_id, props)
    return network_created(svc, req, target, res, created, vnet.body["location"])


def after_removed(world: World, res: Resource) -> None:
    """A peering that goes (deleted, or with its VNet) leaves the other side Disconnected."""
    if res.type.lower() != T_PEERING.lower():
        return
    vnet_id = res.id.rsplit("/", 2)[0]
    back = back_peering(world, vnet_id, _remote_id(res))
    if back is not None:
        _set_state(back, "Disconnected")


PUT = {T_PEERING.lower(): put_peering}
