"""Where the private DNS zone goes (issue 15, part 2): the choices of the placement page's "DNS zone" picker and the
line the page shows for the answer. Pure: built from the listings the screen read and the answers.

The choices, in this order: with the endpoint (the default: the endpoint's subscription and resource group, where an
existing zone linked to the agents' VNets is still found and reused); every `external.astronomer.run` zone found in a
subscription the account can read (a connectivity subscription's, typically); then a resource group of any listed
subscription (a second picker lists the groups). Each item's `data["kind"]` says which.
"""

from __future__ import annotations

from screens.widgets.picker import PickItem
from wizard.core.config import SetupConfig
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.ids import parse_id, vnet_name_of

DEFAULT_KEY = "with-the-endpoint"
SUBSCRIPTION_PREFIX = "subscription:"


def zone_key(subscription_id: str, resource_group: str) -> str:
    """The key of an existing zone's item (lower-case: Azure's ids are case-insensitive)."""
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Network/"
            f"privateDnsZones/{ASTRO_DNS_ZONE}").lower()


def zone_choices(subs: list[PickItem], zones: list[str], unread: list[str], config: SetupConfig
                 ) -> tuple[list[PickItem], str | None]:
    """The picker's items, and a note naming the subscriptions whose zones could not be looked for."""
    names = {s.key.lower(): s.label for s in subs}
    endpoint_sub = config.subscription_id
    group = f"resource group {config.resource_group}" if config.resource_group else "the endpoint's resource group"
    items = [PickItem(DEFAULT_KEY, "With the endpoint", f"{names.get(endpoint_sub.lower(), endpoint_sub)}, {group}",
                      data={"kind": "default"})]
    for zid in sorted(zones, key=str.lower):
        parts = parse_id(zid)
        sub, rg = parts.get("subscription", ""), parts.get("resource_group", "")
        items.append(PickItem(zone_key(sub, rg), f"{ASTRO_DNS_ZONE} in {rg}",
                              f"exists  {names.get(sub.lower(), sub)}  {sub}",
                              data={"kind": "zone", "subscription": sub, "resource_group": rg}))
    for s in subs:
        items.append(PickItem(SUBSCRIPTION_PREFIX + s.key.lower(), f"A resource group in {s.label}", s.detail,
                              data={"kind": "subscription", "subscription": s.key}))
    note = None
    if unread:
        where = ", ".join(names.get(u.lower(), u) for u in unread)
        note = (f"Zones were not looked for in {where}: your account may not list private DNS zones there (Reader "
                "on the subscription allows it).")
    return items, note


def chosen_key(config: SetupConfig) -> str:
    """The item the picker marks as chosen: the default, or the zone where the answers put it."""
    if not config.dns_subscription_id and not config.dns_resource_group:
        return DEFAULT_KEY
    return zone_key(config.zone_subscription, config.zone_resource_group)


def set_zone_place(config: SetupConfig, subscription_id: str | None, resource_group: str | None) -> None:
    """Put the zone in `resource_group` of `subscription_id` (None, None: with the endpoint). The endpoint's own
    subscription is not written ([dns] subscription_id stays out of the answers), nor is its resource group then."""
    same_sub = not subscription_id or subscription_id.lower() == config.subscription_id.lower()
    config.dns_subscription_id = None if same_sub else subscription_id
    same_group = same_sub and (resource_group or "").lower() == config.resource_group.lower()
    config.dns_resource_group = None if not resource_group or same_group else resource_group


def zone_place_line(config: SetupConfig) -> str:
    """The "DNS zone" row's words: where the zone goes (or is looked for)."""
    if not config.dns_subscription_id and not config.dns_resource_group:
        return "with the endpoint" + (f" (resource group {config.resource_group})" if config.resource_group else "")
    line = f"resource group {config.zone_resource_group}"
    if config.dns_subscription_id and config.dns_subscription_id.lower() != config.subscription_id.lower():
        line += f", subscription {config.dns_subscription_id}"
    return line


def subscriptions_line(config: SetupConfig) -> str:
    """Review's line naming the subscription of each part, when they are not all the endpoint's ('' then)."""
    own = config.subscription_id.lower()
    others = [(vnet_name_of(v), parse_id(v).get("subscription", "")) for v in config.linked_vnets]
    others = [(name, sub) for name, sub in others if sub and sub.lower() != own]
    zone_elsewhere = config.zone_subscription.lower() != own
    if not zone_elsewhere and not others:
        return ""
    parts = [f"the endpoint in subscription {config.subscription_id}"]
    if zone_elsewhere:
        parts.append(f"the DNS zone in {config.zone_subscription} (resource group {config.zone_resource_group})")
    parts += [f"VNet {name} in {sub}" for name, sub in others]
    return "Across subscriptions: " + "; ".join(parts) + "."
