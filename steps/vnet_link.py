"""Step 4 — link the zone to every VNet whose agents use the endpoint (registration off).

One link per (zone, VNet): an existing link to the VNet, whatever its name, is reused. A link of the wanted
name that points at another VNet is a conflict. Linking makes every `*.external.astronomer.run` name resolve
from this zone inside that VNet, so other Astro clusters reached from it need their own A records: warned.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from steps.base import Action, Outcome, Plan, Progress, State, Step, wait_for_poller, wait_until_settled
from steps.context import SetupContext, ZoneInfo, choose_zone
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import enum_text, parse_id, same_id, vnet_name_of
from wizard.core.validate import check_name, link_name_for


@dataclass
class LinkPlanItem:
    vnet_id: str
    vnet_name: str
    link_name: str
    action: Action
    note: str


@dataclass
class LinksPayload:
    """One decision per agents' VNet: what apply creates or waits for."""

    items: list[LinkPlanItem]


@dataclass
class LinksObservation:
    zones: list[ZoneInfo]    # every zone named external.astronomer.run in the subscription, with its links
    agent_vnets: list[str]   # ids of the VNets whose agents use the endpoint (the endpoint's VNet first)


def wanted_link_name(ctx: SetupContext, vnet_name: str) -> str:
    template = ctx.config.link_name
    return template.replace("{vnet}", vnet_name) if template else link_name_for(vnet_name)


def decide_link(ctx: SetupContext, zone: ZoneInfo | None, zones: list[ZoneInfo], vid: str) -> LinkPlanItem:
    """What to do about one agents' VNet, given the chosen zone and every such zone in the subscription.

    An existing link to the VNet, whatever its name, is reused (done, or waiting while Azure finishes it). A VNet
    linked to another such zone is a conflict (Azure allows one per VNet); so is a link of the wanted name that
    points at another VNet. A link name Azure would refuse fails before anything is written."""
    vname = vnet_name_of(vid)
    name = wanted_link_name(ctx, vname)
    existing = zone.link_to(vid) if zone is not None else None
    if existing is not None:
        if existing.provisioning_state.lower() == "succeeded":
            return LinkPlanItem(vid, vname, existing.name, Action.DONE, f"linked by '{existing.name}'")
        return LinkPlanItem(vid, vname, existing.name, Action.WAITING,
                            f"link '{existing.name}' is {existing.provisioning_state}")
    elsewhere = next((z for z in zones if (zone is None or not same_id(z.id, zone.id)) and z.link_to(vid)), None)
    if elsewhere is not None:
        return LinkPlanItem(vid, vname, name, Action.CONFLICT,
                            f"{vname} is already linked to the '{ASTRO_DNS_ZONE}' zone in resource group "
                            f"'{elsewhere.resource_group}', and Azure allows only one such zone per VNet: link it "
                            "from that zone instead, or remove that link")
    problems = check_name("virtual network link", name).problems
    if problems:
        return LinkPlanItem(vid, vname, name, Action.FAILED, problems[0])
    clash = next((lk for lk in (zone.links if zone is not None else []) if lk.name.lower() == name.lower()), None)
    if clash is not None:
        return LinkPlanItem(vid, vname, name, Action.CONFLICT,
                            f"A link named '{name}' already links the zone to {vnet_name_of(clash.vnet_id)}; set "
                            "another link name ([dns] link_name) or remove that link")
    return LinkPlanItem(vid, vname, name, Action.CREATE, f"create link '{name}'")


def as_sentence(note: str) -> str:
    """A note as the plan's summary: ends with one full stop; a VNet name at its start keeps its case."""
    return note.rstrip(".") + "."


class LinkVnets(Step[LinksObservation, LinksPayload]):
    key = "vnet_links"
    depends_on = ("dns_zone",)

    def inspect(self, ctx: SetupContext) -> LinksObservation:
        return LinksObservation(zones=ctx.zones(), agent_vnets=ctx.agent_vnet_ids())

    def plan(self, ctx: SetupContext, observation: LinksObservation) -> Plan[LinksPayload]:
        zone, _ = choose_zone(observation.zones, observation.agent_vnets, ctx.config.zone_resource_group)
        items = [decide_link(ctx, zone, observation.zones, vid) for vid in observation.agent_vnets]
        details = [f"{i.vnet_name}: {i.note}" for i in items]
        records = zone.record_sets if zone else 0
        warnings = [f"Linking {ASTRO_DNS_ZONE} to a VNet makes every *.{ASTRO_DNS_ZONE} name resolve from this "
                    "private zone inside that VNet: any other Astro cluster reached from there needs its own A "
                    f"record here, or it stops resolving (the zone holds {max(records - 1, 0)} record(s) now)."]
        for kind in (Action.FAILED, Action.CONFLICT):
            bad = [i for i in items if i.action is kind]
            if bad:
                return Plan(self.key, kind, as_sentence(bad[0].note), details=details, warnings=warnings)
        todo = [i for i in items if i.action is Action.CREATE]
        zone_id = zone.id if zone else ctx.zone_id_for_new()
        uses = {f"vnet_link:{i.vnet_name}": f"{zone_id}/virtualNetworkLinks/{i.link_name}" for i in items
                if i.action is not Action.CREATE}
        creates = {f"vnet_link:{i.vnet_name}": f"{zone_id}/virtualNetworkLinks/{i.link_name}" for i in todo}
        if todo:
            action = Action.CREATE
            summary = f"Link the zone to {', '.join(i.vnet_name for i in todo)} (registration off)."
        elif any(i.action is Action.WAITING for i in items):
            action, summary = Action.WAITING, "Azure is still finishing the VNet links."
        else:
            action, summary = Action.DONE, f"The zone is linked to {', '.join(i.vnet_name for i in items)}."
        return Plan(self.key, action, summary, details=details, warnings=warnings, payload=LinksPayload(items),
                    uses=uses, creates=creates)

    def apply(self, ctx: SetupContext, plan: Plan[LinksPayload], progress: Progress) -> Outcome:
        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, details=plan.details, resources=plan.uses)
        if plan.action not in (Action.CREATE, Action.WAITING):
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        zone, _ = ctx.chosen_zone()
        if zone is None:
            return Outcome(self.key, State.BLOCKED, "The DNS zone does not exist yet (step 3).")
        items = plan.need().items
        todo = [i for i in items if i.action in (Action.CREATE, Action.WAITING)]
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(todo)))) as pool:
            target: ZoneInfo = zone
            results = list(pool.map(lambda item: self._link(ctx, target, item, progress), todo))
        failures = [r for r in results if r is not None]
        if failures:
            raise failures[0]
        ctx.refresh("zones")
        zone, _ = ctx.chosen_zone()
        resources = {f"vnet_link:{i.vnet_name}": lk.id for i in items
                     if zone and (lk := zone.link_to(i.vnet_id))}
        return Outcome(self.key, State.DONE, f"The zone is linked to "
                                             f"{', '.join(i.vnet_name for i in items)}.",
                       details=plan.details, warnings=plan.warnings, resources=resources)

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key.startswith("vnet_link:")

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        parts = parse_id(resource_id)
        poller = ctx.dns().virtual_network_links.begin_delete(parts.get("resource_group", ""), parts["privatednszones"],
                                                              parts["virtualnetworklinks"])
        wait_for_poller(poller, ctx, "destroy", f"removing link {parts['virtualnetworklinks']}", progress)
        return f"removed {resource_id}"

    def _link(self, ctx: SetupContext, zone: ZoneInfo, item: LinkPlanItem, progress: Progress) -> StepFailed | None:
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        dns = ctx.dns()
        what = f"linking {item.vnet_name}"
        try:
            if item.action is Action.CREATE:
                body = {"location": "global",
                        "properties": {"virtualNetwork": {"id": item.vnet_id}, "registrationEnabled": False}}
                try:
                    poller = dns.virtual_network_links.begin_create_or_update(
                        zone.resource_group, zone.name, item.link_name, body, match_condition=MatchConditions.IfMissing)
                except ResourceExistsError:
                    return None  # a previous run created it; the next inspection sees it
                wait_for_poller(poller, ctx, self.key, what, progress)
            else:
                wait_until_settled(ctx, self.key, f"finishing link '{item.link_name}'", progress, lambda: enum_text(
                    dns.virtual_network_links.get(zone.resource_group, zone.name, item.link_name).provisioning_state))
        except HttpResponseError as exc:
            return StepFailed(explain(exc, subscription_id=ctx.subscription))
        return None
