"""Step 3 — the private DNS zone `external.astronomer.run` (location `global`).

If an agents' VNet is already linked to a zone of that name anywhere in the subscription, that zone is
reused: Azure refuses to link a VNet to a second one. Otherwise a zone in the DNS resource group is reused,
or created. This step does not wait for the endpoint or its approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from steps.base import Action, Outcome, Plan, Progress, State, Step, wait_for_poller, wait_until_settled
from steps.context import SetupContext, ZoneInfo, choose_zone
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


class CreateDnsZone(Step[ZoneObservation, ZonePayload]):
    key = "dns_zone"
    depends_on = ("inputs",)

    def inspect(self, ctx: SetupContext) -> ZoneObservation:
        return ZoneObservation(zones=ctx.zones(), agent_vnets=ctx.agent_vnet_ids())

    def plan(self, ctx: SetupContext, observation: ZoneObservation) -> Plan[ZonePayload]:
        zone, reason = choose_zone(observation.zones, observation.agent_vnets, ctx.config.zone_resource_group)
        others = [z for z in observation.zones if zone is None or not same_id(z.id, zone.id)]
        warnings = []
        if others:
            where = ", ".join(z.resource_group for z in others)
            warnings.append(f"Other '{ASTRO_DNS_ZONE}' zones exist in this subscription (resource groups: {where}); "
                            "they are left alone.")
        if zone is None:
            return Plan(self.key, Action.CREATE, f"Create private DNS zone {ASTRO_DNS_ZONE} in resource group "
                                                 f"'{ctx.config.zone_resource_group}' (location global).",
                        warnings=warnings, payload=ZonePayload(ctx.config.zone_resource_group),
                        creates={"dns_zone": ctx.zone_id_for_new()})
        state = zone.provisioning_state.lower()
        if state in ("creating", "updating", "accepted"):
            return Plan(self.key, Action.WAITING, f"Azure is still creating the zone in '{zone.resource_group}'.",
                        warnings=warnings, payload=ZonePayload(zone.resource_group), uses={"dns_zone": zone.id})
        return Plan(self.key, Action.DONE, f"Zone {ASTRO_DNS_ZONE} exists: {reason}.",
                    warnings=warnings, uses={"dns_zone": zone.id})

    def apply(self, ctx: SetupContext, plan: Plan[ZonePayload], progress: Progress) -> Outcome:
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, warnings=plan.warnings, resources=plan.uses)
        if plan.action not in (Action.CREATE, Action.WAITING):
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        rg = plan.need().resource_group
        dns = ctx.dns()
        try:
            if plan.action is Action.CREATE:
                progress(self.key, "creating the DNS zone")
                try:
                    poller = dns.private_zones.begin_create_or_update(
                        rg, ASTRO_DNS_ZONE, {"location": "global"}, match_condition=MatchConditions.IfMissing)
                    wait_for_poller(poller, ctx, self.key, "creating the DNS zone", progress)
                except ResourceExistsError:
                    progress(self.key, "the zone appeared meanwhile; using it")
            else:
                wait_until_settled(ctx, self.key, "creating the zone", progress,
                                   lambda: enum_text(dns.private_zones.get(rg, ASTRO_DNS_ZONE).provisioning_state))
        except HttpResponseError as exc:
            raise StepFailed(explain(exc, subscription_id=ctx.subscription)) from exc
        ctx.refresh("zones")
        zone, _ = ctx.chosen_zone()
        if zone is None:
            return Outcome(self.key, State.FAILED, "The zone was created but cannot be read back: run again.")
        return Outcome(self.key, State.DONE, f"Zone {ASTRO_DNS_ZONE} is ready in resource group "
                                             f"'{zone.resource_group}'.", warnings=plan.warnings,
                       resources={"dns_zone": zone.id})

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key == "dns_zone"

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        """Delete the zone, but only when it holds nothing but its SOA record and no link."""
        parts = parse_id(resource_id)
        rg, name = parts.get("resource_group", ""), parts["privatednszones"]
        dns = ctx.dns()
        zone = dns.private_zones.get(rg, name)
        links = list(dns.virtual_network_links.list(rg, name))
        records = int(zone.number_of_record_sets or 0)
        if links or records > 1:
            return (f"kept zone {name} in '{rg}': it still holds {len(links)} link(s) and "
                    f"{max(records - 1, 0)} record(s) besides the SOA")
        poller = dns.private_zones.begin_delete(rg, name)
        wait_for_poller(poller, ctx, "destroy", "removing the DNS zone", progress)
        return f"removed {resource_id}"
