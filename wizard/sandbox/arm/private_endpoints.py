"""Microsoft.Network/privateEndpoints: creating and updating a private endpoint (its connection to a private
link service by alias, its NIC and private IP), and the checkPrivateLinkServiceVisibility action.

A new endpoint's connection starts "Pending"; it turns "Approved" once the `approve_after` knob's delay has
passed (`World.connection_status`) or through a `/_sandbox/connections` call. Deleting an endpoint is
`network.delete`, which releases its NIC and IP through `network.after_removed`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from wizard.sandbox.arm.model import ArmError, Request, Response, Target, check_name, require_location
from wizard.sandbox.arm.network import network_created, same_location
from wizard.sandbox.world import T_NIC, T_PE, Resource, World, new_etag, rg_id

if TYPE_CHECKING:
    from wizard.sandbox.arm.routing import ArmService


def _pe_ref_error(ref_id: str, pe_id: str) -> ArmError:
    return ArmError(400, "InvalidResourceReference",
                    f"Resource {ref_id} referenced by resource {pe_id} was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region.")


def put_private_endpoint(svc: ArmService, req: Request, target: Target) -> Response:
    world = svc.world
    body = req.json()
    check_name(target.name, T_PE)
    location = require_location(body)
    props = body.get("properties") or {}
    subnet_id = (props.get("subnet") or {}).get("id") or ""
    if not subnet_id:
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: the private endpoint has no subnet.")
    subnet = world.get(subnet_id)
    if subnet is None:
        raise _pe_ref_error(subnet_id, target.id)
    vnet = world.get(subnet.parent)
    assert vnet is not None
    if not same_location(vnet.body["location"], location):
        raise _pe_ref_error(vnet.id, target.id)
    manual = props.get("manualPrivateLinkServiceConnections") or []
    conns = manual or props.get("privateLinkServiceConnections") or []
    if not conns:
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: a private endpoint needs one private "
                                                    "link service connection.")
    cprops = conns[0].get("properties") or {}
    alias = str(cprops.get("privateLinkServiceId") or "")
    known = world.aliases.get(alias.lower())
    if not (known and target.sub.lower() in known.visible_to):
        raise ArmError(400, "ThirdPartyPrivateLinkServiceProvidedDuringPrivateEndpointCreation"
                            "DoesNotExistOrIsNotVisible",
                       f"Private link service with alias {alias} provided during private endpoint creation "
                       f"{target.id} does not exist or is not visible to subscription {target.sub}.")
    message = str(cprops.get("requestMessage") or "")
    if len(message) > 140:
        # Unconfirmed code: the 140-character limit is documented; the exact error code was not found.
        raise ArmError(400, "PrivateEndpointRequestMessageTooLong",
                       f"Request message of private link service connection {conns[0].get('name')} is "
                       f"{len(message)} characters long; the maximum is 140.")
    existing = world.get(target.id)
    if existing:
        return _update_private_endpoint(svc, req, target, existing, body, subnet, alias, location)
    svc.authorize_linked(f"{T_PE}/write", target.id, "Microsoft.Network/virtualNetworks/subnets/join/action",
                         subnet.id)
    nic_name = props.get("customNetworkInterfaceName") or f"{target.name}.nic.{uuid.uuid4()}"
    check_name(nic_name, T_NIC)
    nic_id = f"{rg_id(target.sub, target.rg)}/providers/Microsoft.Network/networkInterfaces/{nic_name}"
    if world.get(nic_id):
        # Unconfirmed code: a NIC of that name already exists in the resource group.
        raise ArmError(400, "NetworkInterfaceNameAlreadyInUse", f"Network interface {nic_id} already exists.")
    ip = world.allocate_ip(subnet)
    if ip is None:
        # Unconfirmed code for a full subnet.
        raise ArmError(400, "SubnetIsFull", f"Subnet {subnet.name} with address prefix "
                       f"{subnet.props['addressPrefix']} does not have enough capacity for 1 IP addresses.")
    now = time.time()
    _add_pe_nic(world, nic_id, location, ip, subnet.id, target.id)
    cname = conns[0].get("name") or target.name
    kind = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    conn = {"id": f"{target.id}/{kind}/{cname}", "name": cname, "etag": new_etag(),
            "type": f"{T_PE}/{kind}",
            "properties": {"provisioningState": "Succeeded", "privateLinkServiceId": alias,
                           "groupIds": list(cprops.get("groupIds") or []), "requestMessage": message,
                           "privateLinkServiceConnectionState": {
                               "status": "Pending", "description": "Awaiting approval", "actionsRequired": "None"}}}
    stored = {
        "location": location, "tags": body.get("tags") or {}, "etag": new_etag(),
        "properties": {
            "resourceGuid": str(uuid.uuid4()), "subnet": {"id": subnet.id}, "networkInterfaces": [{"id": nic_id}],
            "ipConfigurations": [], "customDnsConfigs": [], "applicationSecurityGroups": [],
            "customNetworkInterfaceName": props.get("customNetworkInterfaceName") or "",
            "privateLinkServiceConnections": [conn] if not manual else [],
            "manualPrivateLinkServiceConnections": [conn] if manual else [],
            "ipVersionType": "IPv4"}}
    res = world.add(T_PE, target.id, stored, created=now, busy_until=now + svc.lro("privateEndpoint"),
                    busy_state="Updating")
    return network_created(svc, req, target, res, True, location)


def _add_pe_nic(world: World, nic_id: str, location: str, ip: str, subnet_id: str, pe_id: str) -> None:
    cfg_name = f"privateEndpointIpConfig.{uuid.uuid4()}"
    world.add(T_NIC, nic_id, {
        "location": location, "tags": {}, "etag": new_etag(),
        "properties": {
            "resourceGuid": str(uuid.uuid4()), "macAddress": "", "vnetEncryptionSupported": False,
            "enableIPForwarding": False, "enableAcceleratedNetworking": False, "disableTcpStateTracking": False,
            "nicType": "Standard", "hostedWorkloads": [], "tapConfigurations": [], "allowPort25Out": False,
            "auxiliaryMode": "None", "auxiliarySku": "None",
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
            "privateEndpoint": {"id": pe_id},
            "ipConfigurations": [{
                "id": f"{nic_id}/ipConfigurations/{cfg_name}", "name": cfg_name, "etag": new_etag(),
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": {"provisioningState": "Succeeded", "privateIPAddress": ip,
                               "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet_id},
                               "primary": True, "privateIPAddressVersion": "IPv4",
                               "privateLinkConnectionProperties": {"groupId": "", "requiredMemberName": "",
                                                                   "fqdns": []}}}]}})


def _update_private_endpoint(svc: ArmService, req: Request, target: Target, pe: Resource, body: dict,
                             subnet: Resource, alias: str, location: str) -> Response:
    if pe.props["subnet"]["id"].lower() != subnet.key:
        raise ArmError(400, "CannotChangeSubnetOnExistingPrivateEndpoint",
                       f"Subnet of private endpoint {pe.id} cannot be changed from {pe.props['subnet']['id']} to "
                       f"{subnet.id}.")
    conns = pe.props.get("manualPrivateLinkServiceConnections") or pe.props.get("privateLinkServiceConnections")
    if conns and conns[0]["properties"]["privateLinkServiceId"].lower() != alias.lower():
        # Unconfirmed code: real ARM refuses to retarget a connection; the exact code was not found.
        raise ArmError(400, "CannotChangePrivateLinkServiceOnExistingPrivateEndpoint",
                       f"Private link service of connection {conns[0]['name']} on private endpoint {pe.id} cannot "
                       "be changed.")
    if "tags" in body:
        pe.body["tags"] = body.get("tags") or {}
    pe.body["etag"] = new_etag()
    return network_created(svc, req, target, pe, False, location)


def check_visibility(svc: ArmService, req: Request, sub: str, location: str) -> Response:
    """POST .../locations/{location}/checkPrivateLinkServiceVisibility: is the alias visible to `sub`?"""
    svc.authorize("Microsoft.Network/locations/checkPrivateLinkServiceVisibility/action",
                  f"/subscriptions/{sub}")
    alias = str(req.json().get("privateLinkServiceAlias") or "")
    known = svc.world.aliases.get(alias.lower())
    result = {"visible": bool(known and sub.lower() in known.visible_to)}
    seconds = svc.lro("visibility")
    if seconds <= 0:
        return Response(200, result)
    op = svc.world.new_operation(seconds, result)
    url = (f"{svc.base_url}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/"
           f"operationResults/{op.id}?api-version={req.api_version}")
    return Response(202, None, {"Location": url, **svc.retry_headers()})


PUT: dict[str, Callable[[ArmService, Request, Target], Response]] = {T_PE.lower(): put_private_endpoint}
