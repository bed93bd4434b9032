"""Step 3's words for a zone that already answers with another endpoint of the Astro cluster (issue 15, part 1):
both endpoints and what to do (steps/zone_reads.py finds the other endpoint)."""

from __future__ import annotations

from steps.context import SetupContext, ZoneInfo
from steps.zone_reads import OtherEndpoint
from wizard.core.ids import vnet_name_of


def conflict_sentence(ctx: SetupContext, zone: ZoneInfo, other: OtherEndpoint,
                      agent_vnets: list[str]) -> tuple[str, list[str]]:
    """Step 3's conflict: what the zone holds, both endpoints, and what to do; and the two endpoints as details.
    Pure: from the config, the zone and the observed agents' VNets."""
    cfg = ctx.config
    fqdn = f"{ctx.cluster_id}.{zone.name}"
    vnet = vnet_name_of(cfg.vnet) if cfg.vnet else "its VNet"
    this = f"this setup's endpoint '{cfg.endpoint_name}' in resource group '{cfg.resource_group}' (VNet {vnet})"
    details = [f"the zone's record: {fqdn} -> {other.ip}, {other.words()}", f"this setup: {this}"]
    if other.linked:
        linked = [vnet_name_of(v) for v in agent_vnets if zone.link_to(v)]
        return (f"{', '.join(linked)} is already linked to zone {zone.name} in resource group '{zone.resource_group}', "
                f"whose record {fqdn} points at {other.words()}, not at {this}; a VNet answers from one zone of that "
                f"name, so either let its agents use that endpoint (add the VNet to that setup's [dns] linked_vnets) "
                "or remove that link, then run again.", details)
    suggestion = cfg.resource_group if cfg.resource_group.lower() != zone.resource_group.lower() else \
        "another resource group"
    return (f"Zone {zone.name} in resource group '{zone.resource_group}' already answers {fqdn} with {other.words()}, "
            f"another endpoint for this Astro cluster: each endpoint's VNets need their own zone whose record holds "
            f"that endpoint's IP, so give this setup its own zone with [dns] resource_group = '{suggestion}' (it is "
            "created there and linked to this setup's VNets), then run again.", details)
