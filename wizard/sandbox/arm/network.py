"""Microsoft.Network: PUT for VNets, subnets, NSGs and their rules (and the refusal for NICs), DELETE for every
network type, and what a removed private endpoint or NIC releases (its NIC, its private IP).

Handlers are functions `(svc, req, target) -> Response` registered in `PUT` (by lower-case type); every
network type, private endpoints included, is deleted by `delete` (registered in `DELETE`). Network PUTs answer
200/201 with the body and an Azure-AsyncOperation header; deletes answer 202 with Azure-AsyncOperation and
Location. Private endpoints are created in `private_endpoints.py`; with the `nic_linger_seconds` knob an
endpoint's NIC outlives the endpoint's DELETE for a while (`World.linger`).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wizard.sandbox import seeds
from wizard.sandbox.arm.model import ArmError, Request, Response, Target, check_name, not_found, require_location
from wizard.sandbox.world import (
    T_LINK,
    T_NIC,
    T_NSG,
    T_PE,
    T_RULE,
    T_SUBNET,
    T_VNET,
    T_ZONE,
    Resource,
    World,
    new_etag,
)

if TYPE_CHECKING:
    from wizard.sandbox.arm.service import Service

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def same_location(a: str, b: str) -> bool:
    """Two location names are the same region ("East US 2" and "eastus2" are)."""
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


def _stored(world: World, resource_id: str) -> Resource:
    """A resource that was just added to the world."""
    res = world.get(resource_id)
    assert res is not None
    return res


def network_created(svc: Service, req: Request, target: Target, res: Resource, created: bool,
                    location: str) -> Response:
    """The answer to a network PUT: 201/200 with the body, polled until the resource is no longer busy."""
    op = svc.world.new_operation(max(0.0, res.busy_until - time.time()))
    return Response(201 if created else 200, svc.render(res),
                    svc.network_op_headers(req, target.sub, location, op))


# ---- virtual networks and subnets ---------------------------------------------------------------------------
def put_vnet(svc: Service, req: Request, target: Target) -> Response:
    body = req.json()
    check_name(target.name, T_VNET)
    location = require_location(body)
    props = body.get("properties") or {}
    prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
    if not prefixes:
        raise ArmError(400, "InvalidAddressSpace", "The address space of the virtual network is missing.")
    existing = svc.world.get(target.id)
    if existing and not same_location(existing.body["location"], location):
        raise ArmError(400, "InvalidResourceLocation", f"The resource '{target.name}' already exists in location "
                       f"'{existing.body['location']}' in resource group '{target.rg}'. A resource with the same "
                       "name cannot be created in location '" + location + "'. Please select a new resource name.")
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag())
        existing.props["addressSpace"] = {"addressPrefixes": prefixes}
        res, created = existing, False
    else:
        seeds.add_vnet(svc.world, target.sub, target.rg, target.name, location, prefixes, body.get("tags"))
        res, created = _stored(svc.world, target.id), True
    # Custom DNS servers: DhcpOptions {dnsServers: [ip]} (virtualNetwork.json); an empty list means Azure's DNS.
    res.props["dhcpOptions"] = {"dnsServers": [str(d) for d in (props.get("dhcpOptions") or {}).get("dnsServers")
                                               or []]}
    for sub in props.get("subnets") or []:
        _upsert_subnet(svc, f"{res.id}/subnets/{sub.get('name')}", sub.get("name", ""), sub.get("properties") or {})
    return network_created(svc, req, target, res, created, location)


def _within(net: IPNetwork, space: IPNetwork) -> bool:
    """`net` lies inside `space` (False when they are of different IP versions)."""
    if isinstance(net, ipaddress.IPv4Network) and isinstance(space, ipaddress.IPv4Network):
        return net.subnet_of(space)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(space, ipaddress.IPv6Network):
        return net.subnet_of(space)
    return False


def _upsert_subnet(svc: Service, subnet_id: str, name: str, props: dict) -> Resource:
    check_name(name, T_SUBNET)
    vnet = svc.world.get(subnet_id.rsplit("/", 2)[0])
    assert vnet is not None
    prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
    if not prefix:
        raise ArmError(400, "InvalidAddressPrefixFormat", f"Subnet '{name}' has no address prefix.")
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise ArmError(400, "InvalidAddressPrefixFormat", f"Address prefix {prefix} of subnet '{name}' has an "
                                                          "invalid format.") from None
    spaces = [ipaddress.ip_network(p, strict=False) for p in vnet.props["addressSpace"]["addressPrefixes"]]
    if not any(_within(net, s) for s in spaces):
        raise ArmError(400, "NetcfgSubnetRangeOutsideVnet",
                       f"Subnet '{name}' is not valid because its IP address range is outside the IP address "
                       f"range of virtual network '{vnet.name}'.")
    nsg = (props.get("networkSecurityGroup") or {}).get("id")
    if nsg and svc.world.get(nsg) is None:
        raise ArmError(400, "InvalidResourceReference",
                       f"Resource {nsg} referenced by resource {subnet_id} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region.")
    existing = svc.world.get(subnet_id)
    if existing:
        existing.props["addressPrefix"] = str(net)
        if "networkSecurityGroup" in props:
            existing.props["networkSecurityGroup"] = {"id": nsg} if nsg else None
            if not nsg:
                existing.props.pop("networkSecurityGroup")
        existing.body["etag"] = new_etag()
        return existing
    seeds.add_subnet(svc.world, vnet.id, name, str(net), nsg)
    return _stored(svc.world, subnet_id)


def _parent(svc: Service, target: Target, parent_type: str) -> Resource:
    """The resource a child PUT goes under (a subnet's VNet, a rule's NSG); ARM's 404 for it when it is missing."""
    parent = svc.world.get(target.parent_id or "")
    if parent is None:
        raise not_found(Target(target.sub, target.rg, parent_type, target.parent_id or "",
                               (target.parent_id or "").rsplit("/", 1)[-1], None))
    return parent


def put_subnet(svc: Service, req: Request, target: Target) -> Response:
    vnet = _parent(svc, target, T_VNET)
    created = svc.world.get(target.id) is None
    res = _upsert_subnet(svc, target.id, target.name, req.json().get("properties") or {})
    return network_created(svc, req, target, res, created, vnet.body["location"])


# ---- network security groups and rules ----------------------------------------------------------------------
def put_nsg(svc: Service, req: Request, target: Target) -> Response:
    body = req.json()
    check_name(target.name, T_NSG)
    location = require_location(body)
    existing = svc.world.get(target.id)
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag())
        res = existing
    else:
        seeds.add_nsg(svc.world, target.sub, target.rg, target.name, location)
        res = _stored(svc.world, target.id)
        res.body["tags"] = body.get("tags") or {}
    for rule in (body.get("properties") or {}).get("securityRules") or []:
        _upsert_rule(svc, res, rule.get("name", ""), rule.get("properties") or {})
    return network_created(svc, req, target, res, existing is None, location)


def _upsert_rule(svc: Service, nsg: Resource, name: str, props: dict) -> Resource:
    check_name(name, T_RULE)
    prio = props.get("priority")
    if not isinstance(prio, int) or not 100 <= prio <= 4096:
        raise ArmError(400, "SecurityRuleInvalidPriority", f"Security rule {name} has invalid priority {prio}. "
                       "Value provided: " + str(prio) + " Allowed range 100-4096.")
    if props.get("direction") not in ("Inbound", "Outbound") or props.get("access") not in ("Allow", "Deny"):
        raise ArmError(400, "SecurityRuleParameterContainsUnsupportedValue",
                       f"Security rule parameter direction/access for rule with Id {nsg.id}/securityRules/{name} "
                       "cannot be empty or contain an unsupported value.")
    stored = {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*", "sourceAddressPrefix": "*",
              "destinationAddressPrefix": "*", "sourcePortRanges": [], "destinationPortRanges": [],
              "sourceAddressPrefixes": [], "destinationAddressPrefixes": [], **props}
    stored.pop("provisioningState", None)
    rule_id = f"{nsg.id}/securityRules/{name}"
    existing = svc.world.get(rule_id)
    if existing:
        existing.body.update(properties=stored, etag=new_etag())
        return existing
    return svc.world.add(T_RULE, rule_id, {"etag": new_etag(), "type": T_RULE, "properties": stored})


def put_rule(svc: Service, req: Request, target: Target) -> Response:
    nsg = _parent(svc, target, T_NSG)
    created = svc.world.get(target.id) is None
    res = _upsert_rule(svc, nsg, target.name, req.json().get("properties") or {})
    return network_created(svc, req, target, res, created, nsg.body["location"])


# ---- network interfaces -------------------------------------------------------------------------------------
def put_nic(svc: Service, req: Request, target: Target) -> Response:
    existing = svc.world.get(target.id)
    if existing and existing.props.get("privateEndpoint"):
        raise ArmError(400, "CannotModifyNicAttachedToPrivateEndpoint",
                       f"Network interface {existing.id} is attached to private endpoint "
                       f"{existing.props['privateEndpoint']['id']} and cannot be modified by user.")
    raise ArmError(405, "MethodNotAllowed", "Creating network interfaces directly is not supported by the sandbox.")


# ---- delete -------------------------------------------------------------------------------------------------
def delete(svc: Service, req: Request, target: Target, res: Resource) -> Response:
    """DELETE of any network resource that exists, refusing a PE-owned NIC and a subnet with endpoints in it. No
    If-Match is checked: PrivateEndpoints_Delete declares none (network privateEndpoint.json 2025-03-01, and the
    SDK's build_private_endpoints_delete_request sends none), unlike private DNS deletes (`private_dns.delete`)."""
    kind = target.type.lower()
    if kind == T_NIC.lower() and res.props.get("privateEndpoint"):
        # Code and message of a NIC still in use (hashicorp/terraform-provider-azurerm#8105, a VM's NIC; the same
        # answer for an endpoint's, whose NIC only goes with the endpoint: azure-docs private-endpoint-overview).
        raise ArmError(400, "NicInUse",
                       f"Network Interface {res.id} is used by existing resource "
                       f"{res.props['privateEndpoint']['id']}. In order to delete the network interface, it "
                       "must be dissociated from the resource. To learn more, see aka.ms/deletenic.")
    if kind in (T_VNET.lower(), T_SUBNET.lower()):
        subnets = [res] if kind == T_SUBNET.lower() else svc.world.children(res.id, T_SUBNET)
        for subnet in subnets:
            users = svc.world.render(subnet, time.time())["properties"].get("ipConfigurations") or []
            if svc.world.ip_used.get(subnet.key) or users:
                # Azure/bicep#12540: "Subnet snet-pe is in use by .../ipConfigurations/privateEndpointIpConfig.<guid>
                # and cannot be deleted. ..." (Code: InUseSubnetCannotBeDeleted)
                user = users[0]["id"] if users else subnet.id
                raise ArmError(400, "InUseSubnetCannotBeDeleted",
                               f"Subnet {subnet.name} is in use by {user} and cannot be deleted. In order to delete "
                               "the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")
    if kind == T_PE.lower() and svc.knobs.nic_linger_seconds > 0:
        # The endpoint's DELETE can finish while its NIC is still being deleted (Azure/azure-rest-api-specs#32752;
        # about 10 minutes in hashicorp/terraform-provider-azurerm#28831): the NIC stays, Deleting, for a while.
        for ref in res.props.pop("networkInterfaces", []):
            nic = svc.world.get(ref["id"])
            if nic is not None:
                svc.world.linger(nic, svc.knobs.nic_linger_seconds)
    svc.remove(res.id)
    op = svc.world.new_operation(svc.lro("delete"))
    location = res.body.get("location") or _location_of(svc.world, res)
    return Response(202, None, svc.network_op_headers(req, target.sub, location, op, with_location=True))


def _location_of(world: World, res: Resource) -> str:
    parent = world.get(res.parent)
    return (parent.body.get("location") if parent else None) or "eastus2"


def after_removed(world: World, res: Resource) -> None:
    """Release what a removed resource held: a private endpoint its NIC, a NIC its private IP; and remember when a
    private DNS zone lost a virtual network link (`World.nested_link`)."""
    kind = res.type.lower()
    if kind == T_PE.lower():
        for ref in res.props.get("networkInterfaces", []):
            for removed in world.remove(ref["id"]):
                after_removed(world, removed)
    elif kind == T_NIC.lower():
        world.release(res)
    elif kind == T_LINK.lower():
        zone_name = res.id.split("/")[-3]
        world.links_removed[res.parent] = (time.time(), f"{T_ZONE}/{zone_name}/virtualNetworkLinks/{res.name}")


PUT: dict[str, Callable[[Service, Request, Target], Response]] = {
    T_VNET.lower(): put_vnet, T_SUBNET.lower(): put_subnet, T_NSG.lower(): put_nsg, T_RULE.lower(): put_rule,
    T_NIC.lower(): put_nic,
}
DELETE: dict[str, Callable[[Service, Request, Target, Resource], Response]] = {
    t.lower(): delete for t in (T_VNET, T_SUBNET, T_NSG, T_RULE, T_NIC, T_PE)
}
