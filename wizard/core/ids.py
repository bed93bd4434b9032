"""Azure resource ids: split them, compare them, build the ones the setup uses, and read SDK enum values.

Every place that reads a resource id goes through `parse_id` (never `split('/')[4]`).
"""

from __future__ import annotations

from wizard.core.constants import ASTRO_DNS_ZONE, NETWORK_NAMESPACE


def parse_id(resource_id: str) -> dict[str, str]:
    """Split an ARM id into subscription, resource_group, and the name after each type segment (lower-case keys)."""
    parts = [p for p in resource_id.strip("/").split("/") if p]
    out: dict[str, str] = {}
    i = 0
    while i + 1 < len(parts):
        key, value = parts[i].lower(), parts[i + 1]
        if key == "subscriptions":
            out["subscription"] = value
        elif key == "resourcegroups":
            out["resource_group"] = value
        elif key == "providers":
            out["namespace"] = value
        else:
            out[key] = value
        i += 2
    return out


def resource_group_of(resource_id: str) -> str:
    """The resource group named in an id ('' when it names none)."""
    return parse_id(resource_id).get("resource_group", "")


def name_of(resource_id: str | None) -> str:
    """The last segment of an id: the name of the resource it names ('' for none)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def vnet_name_of(resource_id: str) -> str:
    """The VNet named in a VNet (or subnet) id; the id itself when it names none."""
    return parse_id(resource_id).get("virtualnetworks", resource_id)


def same_id(a: str | None, b: str | None) -> bool:
    """Whether two ids name the same resource (ARM ids compare case-insensitively)."""
    return bool(a and b and a.strip("/").lower() == b.strip("/").lower())


def vnet_id(subscription: str, resource_group: str, name: str) -> str:
    return (f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{NETWORK_NAMESPACE}"
            f"/virtualNetworks/{name}")


def private_endpoint_id(subscription: str, resource_group: str, name: str) -> str:
    return (f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{NETWORK_NAMESPACE}"
            f"/privateEndpoints/{name}")


def dns_zone_id(subscription: str, resource_group: str) -> str:
    return (f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{NETWORK_NAMESPACE}"
            f"/privateDnsZones/{ASTRO_DNS_ZONE}")


def enum_text(value: object) -> str:
    """An SDK enum or string as its plain value ('Succeeded', not 'ProvisioningState.SUCCEEDED')."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))
