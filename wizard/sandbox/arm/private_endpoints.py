"""Microsoft.Network/privateEndpoints: creating and updating a private endpoint (its connection to a private
link service by alias, its NIC and private IP), and the checkPrivateLinkServiceVisibility action.

A new endpoint's connection starts "Pending"; it turns "Approved" once the `approve_after` knob's delay has
passed (`World.connection_status`) or through a `/_sandbox/connections` call. Deleting an endpoint is
`network.delete`, which releases its NIC and IP through `network.after_removed`. A create is refused as Azure
refuses it: a delegated subnet, a full subnet, a custom NIC name that is taken (a deleted endpoint's NIC can linger:
`nic_linger_seconds`), and, while the `pe_invalid_pls_id` knob counts down, a transient InvalidPrivateLinkServiceId.
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
    from wizard.sandbox.arm.service import Service


def _pe_ref_error(ref_id: str, pe_id: str) -> ArmError:
    return ArmError(400, "InvalidResourceReference",
                    f"Resource {ref_id} referenced by resource {pe_id} was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region.")


def put_private_endpoint(svc: Service, req: Request, target: Target) -> Response:
    world = svc.world
    body = req.json()
    check_name(target.name, T_PE)
    location = require_location(body)
    svc.check_policy(target, location)
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
    # No length check on requestMessage: the 140 characters of the spec are not enforced for a Private Link Service
    # (a 1000-character message was accepted; 128 is PostgreSQL's own limit): Azure/azure-sdk-for-go#14739.
    message = str(cprops.get("requestMessage") or "")
    cname = conns[0].get("name") or target.name
    existing = world.get(target.id)
    if existing:
        return _update_private_endpoint(svc, req, target, existing, body, subnet, alias, cname, location)
    if svc.knobs.pe_invalid_pls_id > 0:
        # Transient: an alias that resolves a moment later (hashicorp/terraform-provider-azurerm#14398, whose test
        # log has this code and message, placeholders and all; #16315 retried it; Azure/azure-rest-api-specs#20289).
        svc.knobs.pe_invalid_pls_id -= 1
        raise ArmError(400, "InvalidPrivateLinkServiceId",
                       "PrivateLinkServiceId Invalid private link service id: {0} passed in private link service "
                       "connection: {1} passed in input is invalid")
    svc.authorize_linked(f"{T_PE}/write", target.id, "Microsoft.Network/virtualNetworks/subnets/join/action",
                         subnet.id)
    if subnet.props.get("delegations"):
        # Code and message: Microsoft's "Troubleshoot private endpoint creation that fails or stalls" ("Private
        # endpoint ... cannot be created as subnet ... is delegated"); e.g. an AKS pod subnet.
        raise ArmError(400, "PrivateEndpointCreationNotAllowedAsSubnetIsDelegated",
                       f"Private endpoint {target.id} cannot be created as subnet {subnet.id} is delegated.")
    nic_name = props.get("customNetworkInterfaceName") or f"{target.name}.nic.{uuid.uuid4()}"
    check_name(nic_name, T_NIC)
    nic_id = f"{rg_id(target.sub, target.rg)}/providers/Microsoft.Network/networkInterfaces/{nic_name}"
    if world.get(nic_id):
        # Unconfirmed code (none found in any public source, so the product reads the message); the message is as
        # Azure words it (Azure/bicep-types-az#2649: "PRIVATE_ENDPOINT contains custom NIC name NIC_NAME which
        # already exists").
        raise ArmError(400, "NetworkInterfaceNameAlreadyInUse",
                       f"Private Endpoint {target.id} contains custom NIC name {nic_name} which already exists.")
    ip = world.allocate_ip(subnet)
    if ip is None:
        # 400 SubnetIsFull, message as in MicrosoftDocs/azure-docs#88211 and Azure/karpenter-provider-azure#734.
        raise ArmError(400, "SubnetIsFull", f"Subnet {subnet.name} with address prefix "
                       f"{subnet.props['addressPrefix']} does not have enough capacity for 1 IP addresses.")
    now = time.time()
    _add_pe_nic(world, nic_id, location, ip, subnet.id, target.id)
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


def _update_private_endpoint(svc: Service, req: Request, target: Target, pe: Resource, body: dict,
                             subnet: Resource, alias: str, conn_name: str, location: str) -> Response:
    # Codes and messages of the three refusals: MicrosoftDocs/azure-databases-docs, articles/postgresql/
    # flexible-server/how-to-networking-servers-deployed-public-access-add-private-endpoint.md (the same answers for
    # any private endpoint: Azure/bicep#10483 and Azure/bicep-registry-modules#7285 quote the connection one).
    if not same_location(pe.body["location"], location):
        raise ArmError(400, "InvalidResourceLocation",
                       f"The resource '{pe.name}' already exists in location '{pe.body['location']}' in resource group "
                       f"'{target.rg}'. A resource with the same name cannot be created in location '{location}'. "
                       "Please select a new resource name.")
    if pe.props["subnet"]["id"].lower() != subnet.key:
        raise ArmError(400, "CannotChangeSubnetOnExistingPrivateEndpoint",
                       f"Cannot change the subnet in which the network interface for private endpoint {pe.id} is "
                       f"created. Current subnet: '{pe.props['subnet']['id']}.' Requested subnet: '{subnet.id}.'")
    conns = pe.props.get("manualPrivateLinkServiceConnections") or pe.props.get("privateLinkServiceConnections")
    if conns and (conns[0]["properties"]["privateLinkServiceId"].lower() != alias.lower()
                  or conns[0]["name"].lower() != conn_name.lower()):
        raise ArmError(400, "CannotChangePrivateLinkConnectionOnPrivateEndpoint",
                       f"Cannot change the private link connection on private endpoint {pe.id}. Please ensure you "
                       f"are not updating the details of existing private link connection: '{conns[0]['id']}'. That "
                       "is not allowed.")
    if "tags" in body:
        pe.body["tags"] = body.get("tags") or {}
    pe.body["etag"] = new_etag()
    return network_created(svc, req, target, pe, False, location)


def check_visibility(svc: Service, req: Request, sub: str, location: str, rg: str | None = None) -> Response:
    """POST .../locations/{location}/checkPrivateLinkServiceVisibility: is the alias visible to `sub`?

    At the subscription (/subscriptions/{sub}/providers/...) or, with `rg`, at a resource group
    (/subscriptions/{sub}/resourceGroups/{rg}/providers/...); the REST spec has both (examples
    CheckPrivateLinkServiceVisibility.json and CheckPrivateLinkServiceVisibilityByResourceGroup.json in
    Azure/azure-rest-api-specs, specification/network/.../stable/2024-05-01/examples). The action is authorized at
    that scope, so a principal whose roles are on resource groups is refused the subscription form only.
    """
    scope = rg_id(sub, rg) if rg else f"/subscriptions/{sub}"
    svc.authorize("Microsoft.Network/locations/checkPrivateLinkServiceVisibility/action", scope)
    if rg and svc.world.group(sub, rg) is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
    alias = str(req.json().get("privateLinkServiceAlias") or "")
    known = svc.world.aliases.get(alias.lower())
    result = {"visible": bool(known and sub.lower() in known.visible_to)}
    seconds = svc.lro("visibility")
    base = f"{svc.base_url}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}"
    if svc.knobs.visibility_async_only:
        # The spec example's 202: only `Azure-AsyncOperation`. The SDK then polls it as a status monitor and
        # returns the final status body as the result, whose `visible` is None. (The example's URL ends in
        # operationResults/{id}; the sandbox's status monitor lives at operations/{id}.)
        op = svc.world.new_operation(seconds, result)
        return Response(202, None, {"Azure-AsyncOperation": f"{base}/operations/{op.id}?api-version={req.api_version}",
                                    **svc.retry_headers()})
    if seconds <= 0:
        return Response(200, result)
    op = svc.world.new_operation(seconds, result)
    url = f"{base}/operationResults/{op.id}?api-version={req.api_version}"
    return Response(202, None, {"Location": url, **svc.retry_headers()})


PUT: dict[str, Callable[[Service, Request, Target], Response]] = {T_PE.lower(): put_private_endpoint}
