"""Microsoft.Resources: the bodies of subscriptions, tenants and locations, and the resource-group verbs
(HEAD, GET, PUT, DELETE on /subscriptions/{sub}/resourceGroups/{name})."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wizard.sandbox.arm.model import ArmError, Request, Response
from wizard.sandbox.world import Location, ResourceGroup, Subscription, rg_id

if TYPE_CHECKING:
    from wizard.sandbox.arm.service import Service

RG_TYPE = "Microsoft.Resources/resourceGroups"
_RG_RE = re.compile(r"^[-\w._()]{1,90}$")


def subscription_json(sub: Subscription) -> dict:
    return {"id": f"/subscriptions/{sub.subscription_id}", "authorizationSource": "RoleBased",
            "managedByTenants": [], "subscriptionId": sub.subscription_id, "tenantId": sub.tenant_id,
            "displayName": sub.display_name, "state": sub.state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                     "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"}}


def tenant_json(tid: str, name: str = "Contoso", domain: str = "contoso.onmicrosoft.com",
                category: str = "Home") -> dict:
    return {"id": f"/tenants/{tid}", "tenantId": tid, "tenantCategory": category, "country": "US",
            "countryCode": "US", "displayName": name, "domains": [domain],
            "defaultDomain": domain, "tenantType": "AAD"}


def location_json(sub: str, loc: Location) -> dict:
    return {"id": f"/subscriptions/{sub}/locations/{loc.name}", "name": loc.name, "type": "Region",
            "displayName": loc.display_name, "regionalDisplayName": loc.regional_display_name,
            "metadata": {"regionType": "Physical", "regionCategory": "Recommended",
                         "geographyGroup": loc.geography_group, "longitude": loc.longitude,
                         "latitude": loc.latitude, "physicalLocation": loc.physical_location,
                         "pairedRegion": [{"name": loc.paired,
                                           "id": f"/subscriptions/{sub}/locations/{loc.paired}"}]}}


def group_json(group: ResourceGroup) -> dict:
    body: dict = {"id": group.id, "name": group.name, "type": RG_TYPE, "location": group.location,
                  "properties": {"provisioningState": "Succeeded"}}
    if group.tags:
        body["tags"] = group.tags
    return body


def group_verb(svc: Service, req: Request, sub: str, name: str) -> Response:
    group = svc.world.group(sub, name)
    if req.method == "HEAD":
        return Response(204 if group else 404)
    if req.method == "GET":
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return Response(200, group_json(group))
    scope = rg_id(sub, group.name if group else name)
    if req.method == "PUT":
        svc.authorize("Microsoft.Resources/subscriptions/resourceGroups/write", scope)
        body = req.json()
        if not _RG_RE.match(name) or name.endswith("."):
            raise ArmError(400, "InvalidResourceGroup", f"The provided resource group name '{name}' has these "
                           "invalid characters: '{name}'. The name can only be a letter, digit, '-', '.', "
                           "'(', ')' or '_'.")
        location = body.get("location")
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if group and group.location.lower() != location.lower():
            raise ArmError(409, "InvalidResourceGroupLocation",
                           f"Invalid resource group location '{location}'. The Resource group already exists "
                           f"in location '{group.location}'.")
        if group:
            group.tags = body.get("tags", group.tags)
            return Response(200, group_json(group))
        group = svc.world.add_group(sub, name, location, body.get("tags"))
        return Response(201, group_json(group))
    if req.method == "DELETE":
        svc.authorize("Microsoft.Resources/subscriptions/resourceGroups/delete", scope)
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        for res in svc.world.remove_group(sub, group.name):
            svc.after_removed(res)
        op = svc.world.new_operation(svc.lro("delete"))
        loc = f"{svc.base_url}/subscriptions/{sub}/operationresults/{op.id}?api-version={req.api_version}"
        return Response(202, None, {"Location": loc, **svc.retry_headers()})
    raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")
