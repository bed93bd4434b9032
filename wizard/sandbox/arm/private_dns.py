"""Microsoft.Network/privateDnsZones: PUT and DELETE for zones, virtual network links and record sets, with
the If-Match / If-None-Match preconditions private DNS honours.

Zones and links are global, carry strong (bare-guid) etags, and answer PUT and DELETE with 202 plus
Azure-AsyncOperation and Location headers under the resource group's privateDnsOperation* endpoints. Record
sets are synchronous: PUT answers 200/201 with the body, DELETE 200. Handlers are registered in `PUT` and
`DELETE` by lower-case type.

Private DNS queues operations per operation group: a write while another operation of its group is still
running answers 409 Conflict "Another operation is pending for requested object. Operation group '...' already
has 1 operations like '/operations/type/<kind>/id/<op>_<subscription>' queued." The groups Azure's messages name
are the zone itself (`|subscriptions|<sub>|resourceGroups|<rg>|privateDnsZones|<zone>`, UpsertPrivateDnsZone:
Azure-Samples/azure-ml-federated-learning#137) and each link (`|virtualNetworkLinks|<sub>|<rg>|<zone>|<link>`,
UpsertVirtualNetworkLink: openshift/hypershift's azure network code, which matches that message, and
hashicorp/terraform-provider-azurerm#29354, two writes of one link). The `dns_write_queue` knob picks those
groups ("resource", the default), one group per zone for every write under it ("zone"), or none ("off").
"""

from __future__ import annotations

import base64
import ipaddress
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from wizard.sandbox.arm.model import ArmError, Request, Response, Target, check_name, require_location
from wizard.sandbox.world import DNS_TYPES, T_LINK, T_VNET, T_ZONE, Operation, Resource, new_etag

if TYPE_CHECKING:
    from wizard.sandbox.arm.service import Service

_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_RECORD_FIELDS = {"a": "aRecords", "aaaa": "aaaaRecords", "cname": "cnameRecord", "mx": "mxRecords",
                  "ptr": "ptrRecords", "soa": "soaRecord", "srv": "srvRecords", "txt": "txtRecords"}


def check_zone_name(name: str) -> None:
    labels = name.rstrip(".").split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL_RE.match(x) for x in labels):
        raise ArmError(400, "BadRequest", f"The zone name '{name}' is invalid. A zone name must have at least "
                                          "two labels of letters, digits, '-' or '_'.")


def check_preconditions(req: Request, res: Resource | None, target: Target) -> None:
    """If-Match / If-None-Match on PUT and DELETE of zones, links and record sets (privatedns.json 2024-06-01 lists
    If-Match on PrivateZones_Delete, VirtualNetworkLinks_Delete and RecordSets_Delete): an etag that differs is 412
    PreconditionFailed. Messages as Azure PowerShell's PrivateDns scenario tests expect them (Azure/azure-powershell
    src/PrivateDns/PrivateDns.Test/ScenarioTests: ZoneTests.ps1 "The Zone {0} has been modified (etag mismatch)",
    also on Remove; RecordsTests.ps1 "The Record set {0} has been modified (etag mismatch)." on Set and Remove,
    "... exists already and hence cannot be created again."; LinkTests.ps1 only "(etag mismatch)")."""
    if_match, if_none = req.headers.get("if-match"), req.headers.get("if-none-match")
    label = "Zone" if target.type == T_ZONE else "resource" if target.type == T_LINK else "Record set"
    if if_none and res is not None and (if_none == "*" or if_none.strip('"') == res.body.get(
            "etag", "").strip('"')):
        raise ArmError(412, "PreconditionFailed",
                       f"The {label} {target.name} exists already and hence cannot be created again.")
    if if_match and if_match != "*" and (res is None or if_match.strip('"') != res.body.get(
            "etag", "").strip('"')):
        raise ArmError(412, "PreconditionFailed",
                       f"The {label} {target.name} has been modified (etag mismatch).")
    if if_match == "*" and res is None:
        raise ArmError(412, "PreconditionFailed", f"The {label} {target.name} does not exist.")


# ---- the operation queue ------------------------------------------------------------------------------------
def _group_name(group_id: str) -> str:
    """The operation group as private DNS spells it in its 409, for a zone or a link id."""
    parts = group_id.strip("/").split("/")
    sub, rg = parts[1], parts[3]
    if len(parts) >= 10:   # .../privateDnsZones/<zone>/virtualNetworkLinks/<link>
        return f"|virtualNetworkLinks|{sub}|{rg}|{parts[7]}|{parts[9]}"
    return f"|subscriptions|{sub}|resourceGroups|{rg}|privateDnsZones|{parts[7]}"


def check_queue(svc: Service, target: Target, zone_id: str) -> None:
    """Answer 409 while another operation of this write's group still runs (see the module docstring). Whether
    Azure checks the queue before or after If-None-Match is not known; here the queue comes first."""
    mode = svc.knobs.dns_write_queue
    if mode == "off":
        return
    key = (target.id if mode == "resource" else zone_id).lower()
    now = time.time()
    for op in svc.world.operations.values():
        group = op.group.lower()
        if not group or now >= op.done_at:
            continue
        if group == key or (mode == "zone" and group.startswith(key + "/")):
            raise ArmError(409, "Conflict",
                           "Another operation is pending for requested object. Operation group "
                           f"'/operations/groups/id/{_group_name(op.group)}' already has 1 operations like "
                           f"'/operations/type/{op.kind}/id/{op.id}_{target.sub}' queued.")


def _queued(op: Operation, res_id: str, kind: str) -> Operation:
    """Mark an operation as holding the group of `res_id` (the Delete* kinds are not seen in a message)."""
    op.group, op.kind = res_id, kind
    return op


# ---- zones ------------------------------------------------------------------------------------------------
def put_zone(svc: Service, req: Request, target: Target) -> Response:
    body = req.json()
    existing = svc.world.get(target.id)
    check_queue(svc, target, target.id)
    check_preconditions(req, existing, target)
    location = require_location(body)
    svc.check_policy(target, location)
    check_zone_name(target.name)
    if location.lower() != "global":
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{location}' is not available for resource type "
                       f"'{T_ZONE}'. List of available regions for the resource type is 'global'.")
    now = time.time()
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag(weak=False))
        res = existing
    else:
        res = svc.world.add(T_ZONE, target.id, {
            "location": "global", "tags": body.get("tags") or {}, "etag": new_etag(weak=False),
            "properties": {"internalId": base64.b64encode(f"Microsoft.Network/privateDnsZones/{target.name}"
                                                          f"/{uuid.uuid4()}".encode()).decode()}},
            created=now, busy_until=now + svc.lro("privateDnsZone"), busy_state="Creating")
        soa_id = f"{target.id}/SOA/@"
        svc.world.add(f"{T_ZONE}/SOA", soa_id, {"etag": new_etag(weak=False), "properties": {
            "ttl": 3600, "fqdn": f"{target.name}.", "isAutoRegistered": False, "metadata": {},
            "soaRecord": {"email": "azureprivatedns-host.microsoft.com", "expireTime": 2419200,
                          "host": "azureprivatedns.net", "minimumTtl": 10, "refreshTime": 3600,
                          "retryTime": 300, "serialNumber": 1}}})
    op = _queued(svc.world.new_operation(max(0.0, res.busy_until - now)), res.id, "UpsertPrivateDnsZone")
    return Response(202, svc.render(res), svc.dns_op_headers(req, target, op))


# ---- virtual network links ----------------------------------------------------------------------------------
def put_link(svc: Service, req: Request, target: Target) -> Response:
    world = svc.world
    zone = world.get(target.parent_id or "")
    zone_name = (target.parent_id or "").rsplit("/", 1)[-1]
    if zone is None:
        raise ArmError(404, "ParentResourceNotFound", f"Can not perform requested operation on nested resource. "
                                                      f"Parent resource '{zone_name}' not found.")
    body = req.json()
    existing = world.get(target.id)
    check_queue(svc, target, zone.id)
    check_preconditions(req, existing, target)
    location = require_location(body)
    svc.check_policy(target, location)
    check_name(target.name, T_LINK)
    props = body.get("properties") or {}
    vnet_id = (props.get("virtualNetwork") or {}).get("id") or ""
    vnet = world.get(vnet_id) if vnet_id else None
    if vnet is None or vnet.type != T_VNET:
        # Unconfirmed code/message for a link to a VNet that does not exist.
        raise ArmError(400, "BadRequest", f"Virtual network '{vnet_id}' was not found.")
    svc.authorize_linked(f"{T_LINK}/write", target.id, "Microsoft.Network/virtualNetworks/join/action", vnet.id)
    for link in world.of_type(T_LINK, f"/subscriptions/{target.sub}"):
        if link.key == target.id.lower():
            continue
        if link.props["virtualNetwork"]["id"].lower() != vnet.key:
            continue
        other_zone = link.parent
        if other_zone == zone.key:
            raise ArmError(409, "Conflict", f"Private zone '{zone.name}' is already linked to the virtual network "
                                            f"'{vnet.id}'.")
        if other_zone.rsplit("/", 1)[-1] == zone.name.lower():
            raise ArmError(400, "BadRequest",
                           "A virtual network cannot be linked to multiple zones with overlapping namespaces. You "
                           f"tried to link virtual network with '{zone.name}' and '{zone.name}' zones.")
    now = time.time()
    if existing:
        if existing.props["virtualNetwork"]["id"].lower() != vnet.key:
            # Unconfirmed code/message: the VNet of an existing link cannot be changed.
            raise ArmError(400, "BadRequest", f"The virtual network of virtual network link '{target.name}' cannot "
                                              "be changed.")
        existing.props["registrationEnabled"] = bool(props.get("registrationEnabled", False))
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag(weak=False))
        res = existing
    else:
        res = world.add(T_LINK, target.id, {
            "location": "global", "tags": body.get("tags") or {}, "etag": new_etag(weak=False),
            "properties": {"virtualNetwork": {"id": vnet.id},
                           "registrationEnabled": bool(props.get("registrationEnabled", False)),
                           "resolutionPolicy": props.get("resolutionPolicy") or "Default"}},
            created=now, busy_until=now + svc.lro("virtualNetworkLink"), busy_state="Creating")
    op = _queued(world.new_operation(max(0.0, res.busy_until - now)), res.id, "UpsertVirtualNetworkLink")
    return Response(202, svc.render(res), svc.dns_op_headers(req, target, op))


# ---- record sets --------------------------------------------------------------------------------------------
def put_record(svc: Service, req: Request, target: Target) -> Response:
    world = svc.world
    zone_id = target.id.rsplit("/", 2)[0]
    zone = world.get(zone_id)
    if zone is None:
        raise ArmError(404, "ParentResourceNotFound", "Can not perform requested operation on nested resource. "
                       f"Parent resource '{zone_id.rsplit('/', 1)[-1]}' not found.")
    existing = world.get(target.id)
    check_queue(svc, target, zone.id)
    check_preconditions(req, existing, target)
    rtype = target.type.rsplit("/", 1)[-1]
    if target.name != "@" and not all(_LABEL_RE.match(x) or x == "*" for x in target.name.split(".")):
        raise ArmError(400, "BadRequest", f"The record set name '{target.name}' is invalid.")
    props = req.json().get("properties") or {}
    ttl = props.get("ttl", 3600)
    if not isinstance(ttl, int) or not 0 <= ttl <= 2147483647:
        raise ArmError(400, "BadRequest", f"The TTL value '{ttl}' is invalid.")
    stored: dict = {"ttl": ttl, "isAutoRegistered": False, "metadata": props.get("metadata") or {},
                    "fqdn": f"{zone.name}." if target.name == "@" else f"{target.name}.{zone.name}."}
    key = _RECORD_FIELDS[rtype.lower()]
    if rtype.upper() == "A":
        for rec in props.get("aRecords") or []:
            try:
                ipaddress.IPv4Address(str(rec.get("ipv4Address")))
            except ValueError:
                raise ArmError(400, "BadRequest", f"The IPv4 address '{rec.get('ipv4Address')}' is invalid.") \
                    from None
    if key in props:
        stored[key] = props[key]
    elif rtype.upper() == "A":
        stored[key] = []
    canon_type = f"{T_ZONE}/{rtype.upper()}"
    if existing:
        existing.body.update(properties=stored, etag=new_etag(weak=False))
        return Response(200, svc.render(existing))
    res = world.add(canon_type, f"{zone.id}/{rtype.upper()}/{target.name}",
                    {"etag": new_etag(weak=False), "type": canon_type, "properties": stored})
    return Response(201, svc.render(res))


# ---- delete -------------------------------------------------------------------------------------------------
def delete(svc: Service, req: Request, target: Target, res: Resource) -> Response:
    """DELETE of an existing zone, link or record set; a zone that still has links is refused."""
    kind = target.type.lower()
    check_queue(svc, target, res.id if kind == T_ZONE.lower() else res.id.rsplit("/", 2)[0])
    check_preconditions(req, res, target)
    nested = svc.world.nested_link(res, svc.knobs.zone_links_linger_seconds) if kind == T_ZONE.lower() else None
    if nested:
        # 409 CannotDeleteResource while links exist, and for a while after the last was deleted (the
        # zone_links_linger_seconds knob): azure-cli#15010, Azure/deployment-stacks#227; message as in
        # learntocloud/networking-lab#8.
        raise ArmError(409, "CannotDeleteResource",
                       "Cannot delete resource while nested resources exist. Some existing nested resource IDs "
                       f"include: '{nested}'. Please delete all nested resources before deleting this resource.")
    svc.remove(res.id)
    if kind not in (T_ZONE.lower(), T_LINK.lower()):   # a record set
        return Response(200)
    delete_kind = "DeletePrivateDnsZone" if kind == T_ZONE.lower() else "DeleteVirtualNetworkLink"
    op = _queued(svc.world.new_operation(svc.lro("delete")), res.id, delete_kind)
    return Response(202, None, svc.dns_op_headers(req, target, op))


PUT: dict[str, Callable[[Service, Request, Target], Response]] = {
    T_ZONE.lower(): put_zone, T_LINK.lower(): put_link,
    **{f"{T_ZONE}/{r}".lower(): put_record for r in ("A", "AAAA", "CNAME", "MX", "PTR", "SRV", "TXT")},
}
DELETE: dict[str, Callable[[Service, Request, Target, Resource], Response]] = {
    t.lower(): delete for t in DNS_TYPES
}
