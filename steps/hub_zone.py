"""When Azure Policy denies private DNS zones where the setup would create one (hub-and-spoke estates deny them in
spokes: Azure Landing Zones' "Deny-Private-DNS-Zones" assignment, github.com/Azure/Enterprise-Scale), the zone
belongs in the central connectivity subscription. `hub_path` turns that refusal into one sentence naming the policy
and where to point the setup instead: an `external.astronomer.run` zone the account can see in another subscription
(found by listing the subscriptions and their private DNS zones), with the config keys to set, or, when none is
visible, the keys to set once the platform team names the subscription.

Where an account may not list a subscription's zones (403 AuthorizationFailed), that subscription is skipped: the
sentence then falls back to the general advice, which is still true.
"""

from __future__ import annotations

from typing import Any

from steps.context import SetupContext, refused
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.errors import Explained
from wizard.core.ids import parse_id

_HUB_ADVICE = "; where private DNS zones live in a central hub subscription"


def hub_path(ctx: SetupContext, explained: Explained) -> Explained:
    """`explained` with the hub path when Azure Policy refused a private DNS zone; else `explained` unchanged."""
    if explained.code != "RequestDisallowedByPolicy" or _HUB_ADVICE not in explained.sentence:
        return explained
    named = explained.sentence.split(_HUB_ADVICE, 1)[0]
    found = zone_elsewhere(ctx)
    if found is not None:
        sub, name, rg = found
        where = f"subscription '{name}' ({sub})" if name and name != sub else f"subscription {sub}"
        tail = (f": {ASTRO_DNS_ZONE} exists in {where}, resource group '{rg}', so set [dns] subscription_id = "
                f"\"{sub}\" and resource_group = \"{rg}\" in the config (in the wizard: the DNS zone's subscription "
                "and resource group), then run again.")
    else:
        tail = (": set [dns] subscription_id and resource_group in the config to the central hub (connectivity) "
                "subscription and resource group where your platform team keeps private DNS zones (ask them to create "
                f"{ASTRO_DNS_ZONE} there if it is missing), then run again.")
    return Explained(explained.code, named + tail, status=explained.status, request_id=explained.request_id,
                     correlation_id=explained.correlation_id)


def zone_elsewhere(ctx: SetupContext) -> tuple[str, str, str] | None:
    """(subscription id, its name, resource group) of an `external.astronomer.run` zone in another subscription of
    the account's than the zone subscription the config names; None when there is none it may see."""
    from azure.core.exceptions import HttpResponseError

    here = ctx.zone_subscription.lower()
    for sub in ctx.factory.subscriptions().subscriptions.list():
        sid = str(sub.subscription_id or "")
        if not sid or sid.lower() == here:
            continue
        try:
            zones: list[Any] = list(ctx.factory.privatedns(sid).private_zones.list())
        except HttpResponseError as exc:
            if not refused(exc):
                raise
            continue   # no role to list zones there: look in the next one
        for z in zones:
            if str(z.name).lower() == ASTRO_DNS_ZONE:
                return sid, str(sub.display_name or ""), parse_id(z.id).get("resource_group", "")
    return None
