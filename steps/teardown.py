"""Undo a setup: remove only what this tool created, newest first.

Order: the A record, the VNet links, the zone (only if this tool created it and it holds nothing else),
then the private endpoint (Azure removes its network interface with it). Anything the tool only reused is
left alone, and the outcome says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from steps.base import Outcome, Progress, State, wait_for_poller
from steps.context import SetupContext
from wizard.core.ids import parse_id

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.record import SetupRecord


def _delete(ctx: SetupContext, key: str, rid: str, progress: Progress) -> str:
    """Delete one resource by id; returns what happened, in words."""
    from azure.core.exceptions import ResourceNotFoundError

    parts = parse_id(rid)
    rg = parts.get("resource_group", "")
    dns = ctx.dns()
    try:
        if key == "a_record":
            dns.record_sets.delete(rg, parts["privatednszones"], "A", parts["a"])
        elif key.startswith("vnet_link:"):
            poller = dns.virtual_network_links.begin_delete(rg, parts["privatednszones"],
                                                            parts["virtualnetworklinks"])
            wait_for_poller(poller, ctx, "destroy", f"removing link {parts['virtualnetworklinks']}", progress)
        elif key == "dns_zone":
            zone = dns.private_zones.get(rg, parts["privatednszones"])
            links = list(dns.virtual_network_links.list(rg, parts["privatednszones"]))
            if links or int(zone.number_of_record_sets or 0) > 1:
                return (f"kept zone {parts['privatednszones']} in '{rg}': it still holds {len(links)} link(s) and "
                        f"{max(int(zone.number_of_record_sets or 0) - 1, 0)} record(s) besides the SOA")
            poller = dns.private_zones.begin_delete(rg, parts["privatednszones"])
            wait_for_poller(poller, ctx, "destroy", "removing the DNS zone", progress)
        elif key == "private_endpoint":
            poller = ctx.network(parts.get("subscription")).private_endpoints.begin_delete(
                rg, parts["privateendpoints"])
            wait_for_poller(poller, ctx, "destroy", "removing the private endpoint", progress)
        else:
            return f"left {rid} (not removed directly)"
    except ResourceNotFoundError:
        return f"{rid} was already gone"
    return f"removed {rid}"


_ORDER = ("a_record", "vnet_link:", "dns_zone", "private_endpoint")


def teardown(ctx: SetupContext, record: SetupRecord, progress: Progress) -> list[Outcome]:
    from azure.core.exceptions import HttpResponseError

    from wizard.core.errors import explain

    outcomes: list[Outcome] = []
    for prefix in _ORDER:
        for key, entry in list(record.resources.items()):
            if not key.startswith(prefix) or (prefix != "vnet_link:" and key != prefix):
                continue
            if not entry.created_by_tool:
                outcomes.append(Outcome(key, State.DONE, f"left {entry.id}: this tool did not create it"))
                continue
            progress("destroy", f"removing {key.replace('_', ' ')}")
            try:
                what = _delete(ctx, key, entry.id, progress)
            except HttpResponseError as exc:
                e = explain(exc, subscription_id=ctx.subscription)
                outcomes.append(Outcome(key, State.FAILED, e.sentence, error_code=e.code,
                                        correlation_id=e.correlation_id))
                return outcomes  # stop: later resources may depend on this one
            if what.startswith(("removed", f"{entry.id} was already gone")):
                record.forget(key)
                if key == "private_endpoint":
                    record.forget("network_interface")
            outcomes.append(Outcome(key, State.DONE, what))
    return outcomes
