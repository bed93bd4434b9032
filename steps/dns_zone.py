"""Step 3 — the private DNS zone `external.astronomer.run` (location `global`).

If an agents' VNet is already linked to a zone of that name anywhere in the subscription, that zone is
reused: Azure refuses to link a VNet to a second one. Otherwise a zone in the DNS resource group is reused,
or created. This step does not wait for the endpoint or its approval.

A zone is done only in state Succeeded. One left Failed or Canceled by an operation that ended badly is sent
again (a PUT, with its own tags, if its etag is unchanged); one being deleted cannot be used. After any wait
the state Azure shows is checked, never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steps.base import (
    BROKEN_STATES,
    BUSY_STATES,
    Action,
    Outcome,
    Plan,
    Progress,
    State,
    Step,
    send_write,
    wait_for_poller,
    wait_until_settled,
)
from steps.context import SetupContext, ZoneInfo, choose_zone
from steps.hub_zone import hub_path
from steps.zone_owner import conflict_sentence
from steps.zone_reads import OtherEndpoint, other_endpoint
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import enum_text, parse_id, same_id


@dataclass
class ZonePayload:
    """The resource group of the zone apply creates or waits for."""

    resource_group: str


@dataclass
class ZoneObservation:
    zones: list[ZoneInfo]    # every zone named external.astronomer.run in the subscription, with its links
    agent_vnets: list[str]   # ids of the VNets whose agents use the endpoint (the endpoint's VNet first)
    unread: list[str] = field(default_factory=list)  # what the zone read could not look at (roles), in words
    # another private endpoint the chosen zone's record for this cluster points at (steps/zone_owner.py)
    other_endpoint: OtherEndpoint | None = None
    # zones not reused because they answer with another endpoint of the cluster (SetupContext.zones_serving_others)
    skipped: list[str] = field(default_factory=list)


class CreateDnsZone(Step[ZoneObservation, ZonePayload]):
    key = "dns_zone"
    depends_on = ("inputs",)

    def inspect(self, ctx: SetupContext) -> ZoneObservation:
        obs = ZoneObservation(zones=ctx.zones(), agent_vnets=ctx.agent_vnet_ids(), unread=ctx.zone_warnings(),
                              skipped=ctx.zones_serving_others())
        zone, _ = choose_zone(obs.zones, obs.agent_vnets, ctx.config.zone_resource_group, skip=obs.skipped)
        if zone is not None and zone.provisioning_state.lower() in ("succeeded", ""):
            obs.other_endpoint = other_endpoint(ctx, zone, obs.agent_vnets)
        return obs

    def plan(self, ctx: SetupContext, observation: ZoneObservation) -> Plan[ZonePayload]:
        zone, reason = choose_zone(observation.zones, observation.agent_vnets, ctx.config.zone_resource_group,
                                   skip=observation.skipped)
        others = [z for z in observation.zones if zone is None or not same_id(z.id, zone.id)]
        warnings = list(observation.unread)
        if observation.skipped:   # the DNS consequence of a second endpoint for one cluster (issue 15)
            taken = next((z for z in observation.zones if same_id(z.id, observation.skipped[0])), None)
            where = f" in resource group '{taken.resource_group}'" if taken else ""
            own = ctx.config.zone_resource_group
            warnings.append(f"The {ASTRO_DNS_ZONE} zone{where} answers for another private endpoint of this Astro "
                            "cluster; each endpoint's VNets need their own zone whose record holds that endpoint's "
                            f"IP, so this setup uses its own zone in resource group '{own}'.")
            others = [z for z in others if not same_id(z.id, observation.skipped[0])]
        if others:
            where = ", ".join(z.resource_group for z in others)
            warnings.append(f"Other '{ASTRO_DNS_ZONE}' zones exist in this subscription (resource groups: {where}); "
                            "they are left alone.")
        there = _elsewhere(ctx)
        if zone is None:
            return Plan(self.key, Action.CREATE, f"Create private DNS zone {ASTRO_DNS_ZONE} in resource group "
                                                 f"'{ctx.config.zone_resource_group}'{there} (location global).",
                        warnings=warnings, payload=ZonePayload(ctx.config.zone_resource_group),
                        creates={"dns_zone": ctx.zone_id_for_new()})
        state = zone.provisioning_state.lower()
        if state in BUSY_STATES:
            return Plan(self.key, Action.WAITING, f"Azure is still creating the zone in '{zone.resource_group}'.",
                        warnings=warnings, payload=ZonePayload(zone.resource_group), uses={"dns_zone": zone.id})
        if state in BROKEN_STATES:
            return Plan(self.key, Action.UPDATE,
                        f"Zone {ASTRO_DNS_ZONE} in resource group '{zone.resource_group}' is in state "
                        f"{zone.provisioning_state} (Azure's last operation on it did not finish): send it again to "
                        "repair it.", warnings=warnings, payload=ZonePayload(zone.resource_group),
                        uses={"dns_zone": zone.id})
        if state == "deleting":
            return Plan(self.key, Action.FAILED,
                        f"Azure is deleting zone {ASTRO_DNS_ZONE} in resource group '{zone.resource_group}': wait "
                        "until it is gone, then run again (a new zone is created then).", warnings=warnings)
        if state not in ("succeeded", ""):
            return Plan(self.key, Action.FAILED,
                        f"Zone {ASTRO_DNS_ZONE} in resource group '{zone.resource_group}' is in state "
                        f"'{zone.provisioning_state}', which this tool does not know: look at it in the Azure portal "
                        "(Private DNS zones), then run again.", warnings=warnings)
        if observation.other_endpoint is not None:   # a second endpoint for this cluster (issue 15)
            sentence, both = conflict_sentence(ctx, zone, observation.other_endpoint, observation.agent_vnets)
            return Plan(self.key, Action.CONFLICT, sentence, details=both, warnings=warnings)
        if ctx.created_by_tool(zone.id):  # the record says so; Azure alone cannot (issue 12, item 5)
            return Plan(self.key, Action.DONE, f"Zone {ASTRO_DNS_ZONE} exists in resource group "
                                               f"'{zone.resource_group}'{there} (created by this tool for this setup).",
                        warnings=warnings, uses={"dns_zone": zone.id})
        return Plan(self.key, Action.DONE, f"Zone {ASTRO_DNS_ZONE} exists: {reason}{there}.",
                    warnings=warnings, uses={"dns_zone": zone.id})

    def apply(self, ctx: SetupContext, plan: Plan[ZonePayload], progress: Progress) -> Outcome:
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, warnings=plan.warnings, resources=plan.uses)
        if plan.action not in (Action.CREATE, Action.UPDATE, Action.WAITING):
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        rg = plan.need().resource_group
        dns = ctx.dns()

        def read() -> Any:
            try:
                return dns.private_zones.get(rg, ASTRO_DNS_ZONE)
            except ResourceNotFoundError:
                return None

        def state() -> str | None:
            zone = read()
            return None if zone is None else enum_text(zone.provisioning_state)

        try:
            if plan.action is Action.CREATE:
                progress(self.key, "creating the DNS zone")
                poller = send_write(ctx, self.key, "creating the DNS zone", progress, lambda: (
                    dns.private_zones.begin_create_or_update(rg, ASTRO_DNS_ZONE, {"location": "global"},
                                                             match_condition=MatchConditions.IfMissing)),
                    needless=lambda: read() is not None)
            elif plan.action is Action.UPDATE:
                progress(self.key, "sending the DNS zone again")
                current = read()
                body = {"location": "global", "tags": (current.tags if current is not None else None) or {}}
                poller = send_write(ctx, self.key, "sending the DNS zone again", progress, lambda: (
                    dns.private_zones.begin_create_or_update(rg, ASTRO_DNS_ZONE, body,
                                                             etag=current.etag if current is not None else None,
                                                             match_condition=MatchConditions.IfNotModified)),
                    needless=lambda: (state() or "").lower() not in BROKEN_STATES)
            else:
                poller = None
            if poller is not None:
                wait_for_poller(poller, ctx, self.key, "creating the DNS zone", progress)
            final = wait_until_settled(ctx, self.key, "creating the zone", progress, state)
            zone = read()
        except HttpResponseError as exc:
            raise StepFailed(hub_path(ctx, explain(exc, subscription_id=ctx.zone_subscription))) from exc
        ctx.refresh("zones")
        where = f"zone {ASTRO_DNS_ZONE} in resource group '{rg}'"
        if zone is None or final is None:
            return Outcome(self.key, State.FAILED, f"The {where} is gone (deleted while the tool worked on it): run "
                                                   "again to create it.")
        if final.lower() != "succeeded":
            return Outcome(self.key, State.FAILED, f"Azure left the {where} in state {final}: run again to send it "
                                                   "again (the tool repairs it).",
                           error_code=f"ProvisioningState{final}")
        return Outcome(self.key, State.DONE, f"Zone {ASTRO_DNS_ZONE} is ready in resource group '{rg}'.",
                       warnings=plan.warnings, resources={"dns_zone": zone.id})

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key == "dns_zone"

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        return self.undo_checked(ctx, record_key, resource_id, {}, progress)

    def created_facts(self, ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]:
        """Nothing to note: a zone is removed only while it holds nothing else, which destroy reads then."""
        return {}

    def undo_checked(self, ctx: SetupContext, record_key: str, resource_id: str, facts: dict[str, str],
                     progress: Progress) -> str:
        """Delete the zone where it was made, but only when it holds nothing but its SOA record and no link, with
        If-Match on the etag of that read (PrivateZones_Delete takes If-Match: privatedns.json 2024-06-01)."""
        from azure.core import MatchConditions

        parts = parse_id(resource_id)
        rg, name = parts.get("resource_group", ""), parts["privatednszones"]
        dns = ctx.dns_of(resource_id)
        zone = dns.private_zones.get(rg, name)
        links = list(dns.virtual_network_links.list(rg, name))
        records = int(zone.number_of_record_sets or 0)
        if links or records > 1:
            return (f"kept zone {name} in '{rg}': it still holds {len(links)} link(s) and "
                    f"{max(records - 1, 0)} record(s) besides the SOA")
        poller = dns.private_zones.begin_delete(rg, name, etag=zone.etag, match_condition=MatchConditions.IfNotModified)
        wait_for_poller(poller, ctx, "destroy", "removing the DNS zone", progress)
        return f"removed {resource_id}"


def _elsewhere(ctx: SetupContext) -> str:
    """' in subscription <id>' when the zone lives in another subscription than the endpoint ([dns] subscription_id)."""
    zone_sub = ctx.zone_subscription
    return "" if zone_sub.lower() == ctx.subscription.lower() else f" in subscription {zone_sub}"
