"""Step 4 — link the zone to every VNet whose agents use the endpoint (registration off).

One link per (zone, VNet): an existing link to the VNet, whatever its name, is reused. A link of the wanted
name that points at another VNet is a conflict. Linking makes every `*.external.astronomer.run` name resolve
from this zone inside that VNet, so other Astro clusters reached from it need their own A records: warned.

A link is done only in state Succeeded: one left Failed or Canceled (its operation ended badly, e.g. Azure's
overlapping-namespace refusal arrives through the operation) is sent again; one being deleted cannot be used.
Apply writes under the zone the plan chose, never two links of one name, and after every write or wait reads
back what Azure shows: a 409 is not proof that a link exists.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from steps.base import (
    BROKEN_STATES,
    BUSY_STATES,
    Action,
    Changed,
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
from steps.network_facts import NetworkFacts, dns_link_plan
from steps.network_reads import network_facts
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.errors import Explained, StepFailed, explain
from wizard.core.ids import enum_text, parse_id, resource_group_of, same_id, vnet_name_of
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
    """One decision per agents' VNet, and the zone they go under (the one the plan chose, or step 3's new one)."""

    items: list[LinkPlanItem]
    zone_id: str
    zone_resource_group: str


@dataclass
class LinksObservation:
    zones: list[ZoneInfo]    # every zone named external.astronomer.run in the subscription, with its links
    agent_vnets: list[str]   # ids of the VNets whose agents use the endpoint (the endpoint's VNet first)
    # their DNS servers and peerings, and the DNS Private Resolvers (None: not read; steps/network_facts.py)
    network: NetworkFacts | None = None


def named_again(vnet_ids: list[str]) -> set[str]:
    """Lower-case ids of the VNets whose name an earlier one in the list already bears (same name, another
    resource group): their link names and record keys carry the resource group; the first keeps the plain ones,
    so adding a same-named VNet later renames nothing that exists."""
    seen: set[str] = set()
    out: set[str] = set()
    for v in vnet_ids:
        name = vnet_name_of(v).lower()
        if name in seen:
            out.add(v.lower())
        seen.add(name)
    return out


def wanted_link_name(ctx: SetupContext, vnet_name: str, vnet_id: str = "", shared: bool = False) -> str:
    """The link name for a VNet: from the [dns] link_name template, else `<vnet>-astro-link`, with the resource
    group added when an earlier agents' VNet bears the same name (link names are unique in a zone)."""
    template = ctx.config.link_name
    if template:
        return template.replace("{vnet}", vnet_name)
    return link_name_for(f"{vnet_name}-{resource_group_of(vnet_id)}" if shared else vnet_name)


def record_keys(vnet_ids: list[str]) -> dict[str, str]:
    """Setup-record key per VNet id (lower-case): `vnet_link:<vnet>`, with `<rg>/` before the name for a VNet
    named like an earlier one."""
    again = named_again(vnet_ids)
    return {v.lower(): f"vnet_link:{resource_group_of(v)}/{vnet_name_of(v)}" if v.lower() in again
            else f"vnet_link:{vnet_name_of(v)}" for v in vnet_ids}


def decide_link(ctx: SetupContext, zone: ZoneInfo | None, zones: list[ZoneInfo], vid: str,
                shared: bool = False) -> LinkPlanItem:
    """What to do about one agents' VNet, given the chosen zone and every such zone in the subscription.

    An existing link to the VNet, whatever its name, is reused: done once Succeeded, waiting while Azure works on
    it, sent again when Azure left it Failed or Canceled, failed while it is being deleted. A VNet linked to
    another such zone is a conflict (Azure allows one per VNet); so is a link of the wanted name that points at
    another VNet. A link name Azure would refuse fails before anything is written."""
    vname = vnet_name_of(vid)
    name = wanted_link_name(ctx, vname, vid, shared)
    existing = zone.link_to(vid) if zone is not None else None
    if existing is not None:
        state = existing.provisioning_state.lower()
        if state in ("succeeded", ""):
            return LinkPlanItem(vid, vname, existing.name, Action.DONE, f"linked by '{existing.name}'")
        if state in BUSY_STATES:
            return LinkPlanItem(vid, vname, existing.name, Action.WAITING,
                                f"link '{existing.name}' is {existing.provisioning_state}")
        if state in BROKEN_STATES:
            return LinkPlanItem(vid, vname, existing.name, Action.UPDATE,
                                f"link '{existing.name}' is {existing.provisioning_state} (Azure's last operation on "
                                "it did not finish): send it again")
        if state == "deleting":
            return LinkPlanItem(vid, vname, existing.name, Action.FAILED,
                                f"Azure is deleting link '{existing.name}' to {vname}: wait until it is gone, then "
                                "run again (a new link is made then)")
        return LinkPlanItem(vid, vname, existing.name, Action.FAILED,
                            f"link '{existing.name}' to {vname} is in state '{existing.provisioning_state}', which "
                            "this tool does not know: look at it in the Azure portal, then run again")
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


def one_name_per_link(items: list[LinkPlanItem]) -> list[LinkPlanItem]:
    """Never two creates of one link name: the second would meet the first's queued operation (409) or its
    existence (412), and no link to its VNet would be made. Such a create fails as an input problem."""
    first: dict[str, LinkPlanItem] = {}
    out = []
    for item in items:
        other = first.get(item.link_name.lower()) if item.action is Action.CREATE else None
        if item.action is Action.CREATE and other is None:
            first[item.link_name.lower()] = item
        if other is not None:
            item = LinkPlanItem(item.vnet_id, item.vnet_name, item.link_name, Action.FAILED,
                                f"The links to {other.vnet_name} ({resource_group_of(other.vnet_id)}) and "
                                f"{item.vnet_name} ({resource_group_of(item.vnet_id)}) would both be named "
                                f"'{item.link_name}', and a link name is unique in the zone: put {{vnet}} in "
                                "[dns] link_name, or remove it to use the default names")
        out.append(item)
    return out


def as_sentence(note: str) -> str:
    """A note as the plan's summary: ends with one full stop; a VNet name at its start keeps its case."""
    return note.rstrip(".") + "."


def label(item: LinkPlanItem, items: list[LinkPlanItem]) -> str:
    """The VNet's name, with its resource group when another agents' VNet bears the same name."""
    same = sum(1 for i in items if i.vnet_name.lower() == item.vnet_name.lower())
    return f"{item.vnet_name} ({resource_group_of(item.vnet_id)})" if same > 1 else item.vnet_name


def _listed(chosen: list[LinkPlanItem], items: list[LinkPlanItem]) -> str:
    return ", ".join(label(i, items) for i in chosen)


def _named(chosen: list[LinkPlanItem], items: list[LinkPlanItem]) -> str:
    return ", ".join(f"'{i.link_name}' ({label(i, items)})" for i in chosen)


class LinkVnets(Step[LinksObservation, LinksPayload]):
    key = "vnet_links"
    depends_on = ("dns_zone",)

    def inspect(self, ctx: SetupContext) -> LinksObservation:
        return LinksObservation(zones=ctx.zones(), agent_vnets=ctx.agent_vnet_ids(), network=network_facts(ctx))

    def plan(self, ctx: SetupContext, observation: LinksObservation) -> Plan[LinksPayload]:
        zone, _ = choose_zone(observation.zones, observation.agent_vnets, ctx.config.zone_resource_group)
        # VNets whose custom DNS servers resolve elsewhere (a resolver's or forwarder's VNet): link that VNet too.
        dns_extra, dns_warnings = dns_link_plan(observation.network, observation.agent_vnets)
        link_vnets = observation.agent_vnets + [p.via_vnet_id for p in dns_extra if p.via_vnet_id]
        again_named = named_again(link_vnets)
        items = one_name_per_link([decide_link(ctx, zone, observation.zones, vid, vid.lower() in again_named)
                                   for vid in link_vnets])
        why = {(p.via_vnet_id or "").lower(): f"{p.vnet_name}'s DNS server is {p.via}" for p in dns_extra}
        items = [LinkPlanItem(i.vnet_id, i.vnet_name, i.link_name, i.action, f"{i.note} ({why[i.vnet_id.lower()]})")
                 if i.vnet_id.lower() in why else i for i in items]
        details = [f"{label(i, items)}: {i.note}" for i in items]
        if zone is None:  # not created yet: there is nothing in it to count
            holds = "the zone is created by this setup with this cluster's A record only"
        else:  # record_sets counts the SOA record too
            records = max(zone.record_sets - 1, 0)
            holds = f"the zone holds {records} record{'s' if records != 1 else ''} besides its SOA now"
        warnings = [f"Linking {ASTRO_DNS_ZONE} to a VNet makes every *.{ASTRO_DNS_ZONE} name resolve from this "
                    "private zone inside that VNet: any other Astro cluster reached from there needs its own A "
                    f"record here, or it stops resolving ({holds}).", *dns_warnings]
        for kind in (Action.FAILED, Action.CONFLICT):
            bad = [i for i in items if i.action is kind]
            if bad:
                return Plan(self.key, kind, as_sentence(bad[0].note), details=details, warnings=warnings)
        zone_id = zone.id if zone else ctx.zone_id_for_new()
        keys = record_keys(link_vnets)
        new = [i for i in items if i.action is Action.CREATE]
        again = [i for i in items if i.action is Action.UPDATE]
        uses = {keys[i.vnet_id.lower()]: f"{zone_id}/virtualNetworkLinks/{i.link_name}" for i in items
                if i.action is not Action.CREATE}
        creates = {keys[i.vnet_id.lower()]: f"{zone_id}/virtualNetworkLinks/{i.link_name}" for i in new}
        if new:
            action = Action.CREATE
            summary = f"Link the zone to {_listed(new, items)} (registration off)"
            summary += f"; send link {_named(again, items)} again." if again else "."
        elif again:
            action = Action.UPDATE
            summary = (f"Send link {_named(again, items)} again: Azure's last operation on "
                       f"{'it' if len(again) == 1 else 'them'} did not finish.")
        elif any(i.action is Action.WAITING for i in items):
            action, summary = Action.WAITING, "Azure is still finishing the VNet links."
        else:
            action, summary = Action.DONE, f"The zone is linked to {_listed(items, items)}."
        payload = LinksPayload(items, zone_id, zone.resource_group if zone else ctx.config.zone_resource_group)
        return Plan(self.key, action, summary, details=details, warnings=warnings, payload=payload, uses=uses,
                    creates=creates)

    def apply(self, ctx: SetupContext, plan: Plan[LinksPayload], progress: Progress) -> Outcome:
        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, details=plan.details, resources=plan.uses)
        if plan.action not in (Action.CREATE, Action.UPDATE, Action.WAITING):
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        payload = plan.need()
        todo = [i for i in payload.items if i.action in (Action.CREATE, Action.UPDATE, Action.WAITING)]
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(todo)))) as pool:
            results = list(pool.map(lambda item: self._link(ctx, payload, item, progress), todo))
        failures = [r for r in results if r is not None]
        ctx.refresh("zones")
        zone = next((z for z in ctx.zones() if same_id(z.id, payload.zone_id)), None)
        links = {i.vnet_id.lower(): zone.link_to(i.vnet_id) if zone else None for i in payload.items}
        if failures:  # the links made meanwhile (the writes run at once) stay recorded as this tool's
            made_keys = record_keys([i.vnet_id for i in payload.items])
            made = {made_keys[i.vnet_id.lower()]: lk.id for i in todo
                    if i.action is Action.CREATE and (lk := links[i.vnet_id.lower()]) is not None}
            raise StepFailed(failures[0].explained, made=made)
        unlinked = [i for i in payload.items if (lk := links[i.vnet_id.lower()]) is None
                    or lk.provisioning_state.lower() not in ("succeeded", "")]
        if unlinked:
            lk = links[unlinked[0].vnet_id.lower()]
            shows = f"link '{lk.name}' in state {lk.provisioning_state}" if lk else "no link to it"
            return Outcome(self.key, State.FAILED, f"{label(unlinked[0], payload.items)} is not linked to the zone "
                                                   f"(Azure shows {shows}): run again.", details=plan.details)
        keys = record_keys([i.vnet_id for i in payload.items])
        resources = {keys[v]: lk.id for v, lk in links.items() if lk is not None}
        return Outcome(self.key, State.DONE, f"The zone is linked to "
                                             f"{_listed(payload.items, payload.items)}.",
                       details=plan.details, warnings=plan.warnings, resources=resources)

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key.startswith("vnet_link:")

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        return self.undo_checked(ctx, record_key, resource_id, {}, progress)

    def created_facts(self, ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]:
        """The VNet the link links, right after this step made (or confirmed) it, for destroy to compare."""
        if not self.owns(record_key):
            return {}
        for zone in ctx.zones():
            link = next((lk for lk in zone.links if same_id(lk.id, resource_id)), None)
            if link is not None and link.vnet_id:
                return {"vnet_id": link.vnet_id}
        parts = parse_id(resource_id)
        got = ctx.dns_of(resource_id).virtual_network_links.get(
            parts.get("resource_group", ""), parts["privatednszones"], parts["virtualnetworklinks"])
        return {"vnet_id": got.virtual_network.id} if got.virtual_network is not None else {}

    def undo_checked(self, ctx: SetupContext, record_key: str, resource_id: str, facts: dict[str, str],
                     progress: Progress) -> str:
        """Delete the link where it was made, only while it links the VNet this tool linked, with If-Match on the
        etag of that read (VirtualNetworkLinks_Delete takes If-Match: privatedns.json 2024-06-01)."""
        from azure.core import MatchConditions

        parts = parse_id(resource_id)
        rg, zone, name = parts.get("resource_group", ""), parts["privatednszones"], parts["virtualnetworklinks"]
        dns = ctx.dns_of(resource_id)
        link = dns.virtual_network_links.get(rg, zone, name)
        have = link.virtual_network.id if link.virtual_network is not None else ""
        wanted, note = facts.get("vnet_id"), ""
        if wanted is not None:
            same = same_id(have, wanted)
            was = f"{vnet_name_of(wanted)} ({resource_group_of(wanted)})"
        else:   # a record written before facts existed: its key names the VNet ("<vnet>" or "<rg>/<vnet>")
            key_rg, _, key_vnet = record_key.partition(":")[2].rpartition("/")
            same = vnet_name_of(have).lower() == key_vnet.lower() and \
                (not key_rg or resource_group_of(have).lower() == key_rg.lower())
            was = f"{key_vnet} ({key_rg})" if key_rg else key_vnet
            note = " (the setup record is older than this check: only the VNet's name was compared)"
        if not same:
            now = f"{vnet_name_of(have)} ({resource_group_of(have)})" if have else "no VNet"
            raise Changed(f"kept link {name}: it links {now}, not {was} as this tool made it, so someone replaced it "
                          "after setup; delete it yourself if nothing uses it, then run destroy again.")
        poller = dns.virtual_network_links.begin_delete(rg, zone, name, etag=link.etag,
                                                        match_condition=MatchConditions.IfNotModified)
        wait_for_poller(poller, ctx, "destroy", f"removing link {name}", progress)
        return f"removed {resource_id}{note}"

    def _link(self, ctx: SetupContext, payload: LinksPayload, item: LinkPlanItem,
              progress: Progress) -> StepFailed | None:
        """Create, send again or wait for one link, then check the state Azure leaves the VNet's link in."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        dns = ctx.dns()
        rg = payload.zone_resource_group
        zone = parse_id(payload.zone_id).get("privatednszones", ASTRO_DNS_ZONE)
        what = f"linking {item.vnet_name}"

        def read(name: str) -> Any:
            try:
                return dns.virtual_network_links.get(rg, zone, name)
            except ResourceNotFoundError:
                return None

        def state(name: str) -> str | None:
            link = read(name)
            return None if link is None else enum_text(link.provisioning_state)

        def link_to_vnet() -> Any:
            """The link to this VNet, whatever its name (ours, or one made meanwhile by someone else)."""
            return next((lk for lk in dns.virtual_network_links.list(rg, zone)
                         if lk.virtual_network is not None and same_id(lk.virtual_network.id, item.vnet_id)), None)

        try:
            current: Any = read(item.link_name) if item.action is Action.UPDATE else None
            poller = None
            if item.action is Action.CREATE or (item.action is Action.UPDATE and current is None):
                body = {"location": "global",
                        "properties": {"virtualNetwork": {"id": item.vnet_id}, "registrationEnabled": False}}
                poller = send_write(ctx, self.key, what, progress,
                                    lambda: dns.virtual_network_links.begin_create_or_update(
                                        rg, zone, item.link_name, body, match_condition=MatchConditions.IfMissing),
                                    needless=lambda: link_to_vnet() is not None)
            elif item.action is Action.UPDATE:
                body = {"location": "global", "tags": current.tags or {},
                        "properties": {"virtualNetwork": {"id": current.virtual_network.id},
                                       "registrationEnabled": bool(current.registration_enabled)}}
                poller = send_write(ctx, self.key, f"sending link '{item.link_name}' again", progress,
                                    lambda: dns.virtual_network_links.begin_create_or_update(
                                        rg, zone, item.link_name, body, etag=current.etag,
                                        match_condition=MatchConditions.IfNotModified),
                                    needless=lambda: (state(item.link_name) or "").lower() not in BROKEN_STATES)
            if poller is not None:
                wait_for_poller(poller, ctx, self.key, what, progress)
            link = link_to_vnet()
            if link is None:
                return StepFailed(Explained("LinkMissing", f"Azure shows no link from the zone to {item.vnet_name} "
                                                           "after accepting it: run again."))
            final = wait_until_settled(ctx, self.key, f"finishing link '{link.name}'", progress,
                                       lambda: state(link.name))
        except HttpResponseError as exc:
            return StepFailed(explain(exc, subscription_id=ctx.zone_subscription))
        if final is None:
            return StepFailed(Explained("LinkMissing", f"Link '{link.name}' to {item.vnet_name} was deleted while the "
                                                       "tool waited for it: run again to make it again."))
        if final.lower() != "succeeded":
            return StepFailed(Explained(f"ProvisioningState{final}",
                                        f"Azure left link '{link.name}' to {item.vnet_name} in state {final}: run "
                                        "again to send it again."))
        return None
