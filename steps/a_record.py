"""Step 5 — the A record: the API URL host's first label -> the private endpoint's IP.

The IP is read from the endpoint's network interface (the endpoint's `customDnsConfigs` is empty for
third-party services). A record that points elsewhere — typically left over from an earlier endpoint — is a
conflict: changed only when the user explicitly chooses to update it.

Apply writes into the zone the plan saw. Private DNS takes one operation at a time per zone or link and answers
409 "... already has 1 operations ... queued" to a write that comes meanwhile: the write is sent again with a
growing delay, and after any 409/412 the record is read back before anything is concluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steps.base import Action, Changed, Outcome, Plan, Progress, State, Step, is_busy_conflict, send_write
from steps.context import SetupContext, ZoneInfo
from steps.zone_reads import record_ips
from wizard.core.constants import ASTRO_DNS_ZONE, RECORD_TTL
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import dns_zone_id, parse_id


@dataclass
class RecordPayload:
    """What apply writes: the endpoint's IP, where (the zone's resource group), and the etag of the record it
    replaces (an update only)."""

    ip: str
    zone_resource_group: str
    etag: str | None = None


@dataclass
class RecordObservation:
    zone: ZoneInfo | None
    name: str
    want_ip: str | None
    have_ips: list[str] | None  # None: no record
    etag: str | None


class CreateARecord(Step[RecordObservation, RecordPayload]):
    key = "a_record"
    depends_on = ("private_endpoint", "dns_zone")

    def inspect(self, ctx: SetupContext) -> RecordObservation:
        zone, _ = ctx.chosen_zone()
        pe = ctx.endpoint()
        name = ctx.cluster_id
        want = pe.private_ip if pe else None
        have, etag = None, None
        if zone is not None:
            # Read once per plan, shared with step 3's look for another endpoint (`zone_reads.record_ips`) and kept
            # while the engine plans and then runs each step (which inspects again); forgotten after this step
            # writes. Only a record that differs is read again whole, for the etag an update is conditional on
            # (If-Match), so a stale read never overwrites a change.
            have = record_ips(ctx, zone)
            if have is not None and have != [want]:
                have, etag = ctx.memo(self.memo_key(zone.id, name), lambda: self._read(ctx, zone, name))
        return RecordObservation(zone=zone, name=name, want_ip=want, have_ips=have, etag=etag)

    @staticmethod
    def memo_key(zone_id: str, name: str) -> str:
        return f"a_record:{zone_id.lower()}/A/{name.lower()}"

    @classmethod
    def forget(cls, ctx: SetupContext, zone_id: str, name: str) -> None:
        """Drop the cached reads of the record (this step's and `zone_reads.record_ips`')."""
        ctx.refresh(cls.memo_key(zone_id, name), f"zone_record:{zone_id.lower()}/{name.lower()}")

    @staticmethod
    def _read(ctx: SetupContext, zone: ZoneInfo, name: str) -> tuple[list[str] | None, str | None]:
        """The record's addresses and etag (None, None when there is no record)."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            rs = ctx.dns().record_sets.get(zone.resource_group, zone.name, "A", name)
        except ResourceNotFoundError:
            return None, None
        return [a.ipv4_address for a in (rs.properties.a_records or [])], rs.etag

    def plan(self, ctx: SetupContext, observation: RecordObservation) -> Plan[RecordPayload]:
        obs = observation
        fqdn = f"{obs.name}.{ASTRO_DNS_ZONE}"
        zone_id = obs.zone.id if obs.zone else ctx.zone_id_for_new()
        zone_rg = obs.zone.resource_group if obs.zone else ctx.config.zone_resource_group
        rid = f"{zone_id}/A/{obs.name}"
        if obs.want_ip is None:
            if obs.have_ips:
                return Plan(self.key, Action.BLOCKED, f"{fqdn} points to {', '.join(obs.have_ips)}, but the "
                                                      "private endpoint does not exist yet (step 2).")
            return Plan(self.key, Action.BLOCKED, f"Waits for the private endpoint's IP (step 2), then adds "
                                                  f"{fqdn} to the zone.", creates={"a_record": rid})
        if obs.have_ips is None:
            return Plan(self.key, Action.CREATE, f"Add A record {fqdn} -> {obs.want_ip}.",
                        payload=RecordPayload(obs.want_ip, zone_rg), creates={"a_record": rid})
        if obs.have_ips == [obs.want_ip]:
            return Plan(self.key, Action.DONE, f"{fqdn} -> {obs.want_ip}.", uses={"a_record": rid})
        diff = [f"{fqdn}: points to {', '.join(obs.have_ips) or 'nothing'}, the endpoint's IP is {obs.want_ip}"]
        if self.key in ctx.allow_update:
            return Plan(self.key, Action.UPDATE, f"Change A record {fqdn} to {obs.want_ip} (you chose to update it).",
                        details=diff, payload=RecordPayload(obs.want_ip, zone_rg, obs.etag), uses={"a_record": rid},
                        updatable=True)
        return Plan(self.key, Action.CONFLICT,
                    f"{fqdn} already points to {', '.join(obs.have_ips) or 'nothing'}, not to this endpoint's "
                    f"{obs.want_ip}; it is left as it is. If it is left over from an earlier endpoint, choose to "
                    "update it (apply --update a_record).", details=diff, updatable=True)

    def apply(self, ctx: SetupContext, plan: Plan[RecordPayload], progress: Progress) -> Outcome:
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            HttpResponseError,
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, resources=plan.uses)
        if not plan.writes:
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        name = ctx.cluster_id
        write = plan.need()
        rg = write.zone_resource_group
        dns = ctx.dns()
        body = {"properties": {"ttl": RECORD_TTL, "aRecords": [{"ipv4Address": write.ip}]}}

        def read() -> Any:
            try:
                return dns.record_sets.get(rg, ASTRO_DNS_ZONE, "A", name)
            except ResourceNotFoundError:
                return None

        def points_right() -> bool:
            rs = read()
            return rs is not None and [a.ipv4_address for a in (rs.properties.a_records or [])] == [write.ip]

        def put() -> Any:
            if plan.action is Action.CREATE:
                return dns.record_sets.create_or_update(rg, ASTRO_DNS_ZONE, "A", name, body,
                                                        match_condition=MatchConditions.IfMissing)
            return dns.record_sets.create_or_update(rg, ASTRO_DNS_ZONE, "A", name, body, etag=write.etag,
                                                    match_condition=MatchConditions.IfNotModified)

        progress(self.key, f"writing {name} -> {write.ip}")
        self.forget(ctx, dns_zone_id(ctx.zone_subscription, rg), name)  # what follows sees the record anew
        try:
            rs = send_write(ctx, self.key, f"writing {name}", progress, put, needless=points_right)
            if rs is None:   # a re-read after a 409/412 found it right: report the record that is there
                rs = read()
        except (ResourceExistsError, ResourceModifiedError) as exc:
            if is_busy_conflict(exc):   # Azure stayed busy with another change to the zone
                raise StepFailed(explain(exc, subscription_id=ctx.zone_subscription)) from exc
            # Someone (or an earlier, interrupted run) wrote it meanwhile: look again instead of overwriting.
            self.forget(ctx, dns_zone_id(ctx.zone_subscription, rg), name)
            again = self.run_plan(ctx)
            state = State.DONE if again.action is Action.DONE else again.state
            return Outcome(self.key, state, again.summary, details=again.details, resources=again.uses)
        except HttpResponseError as exc:
            raise StepFailed(explain(exc, subscription_id=ctx.zone_subscription)) from exc
        self.forget(ctx, dns_zone_id(ctx.zone_subscription, rg), name)
        if rs is None:
            return Outcome(self.key, State.FAILED, f"Azure accepted {name}.{ASTRO_DNS_ZONE} but shows no such record "
                                                   "now: run again.")
        return Outcome(self.key, State.DONE, f"{name}.{ASTRO_DNS_ZONE} -> {write.ip}.",
                       resources={"a_record": rs.id})

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key == "a_record"

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        return self.undo_checked(ctx, record_key, resource_id, {}, progress)

    def created_facts(self, ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]:
        """The addresses the A record holds right after this step wrote (or confirmed) it, for destroy to compare."""
        if not self.owns(record_key):
            return {}
        parts = parse_id(resource_id)
        rs = ctx.dns_of(resource_id).record_sets.get(parts.get("resource_group", ""), parts["privatednszones"],
                                                     "A", parts["a"])
        return {"ip": ",".join(sorted(a.ipv4_address for a in (rs.properties.a_records or [])))}

    def undo_checked(self, ctx: SetupContext, record_key: str, resource_id: str, facts: dict[str, str],
                     progress: Progress) -> str:
        """Delete the record where it was made, only while it holds the address this tool wrote, with If-Match on the
        etag of that read (RecordSets_Delete takes If-Match: privatedns.json 2024-06-01)."""
        from azure.core import MatchConditions

        parts = parse_id(resource_id)
        rg, zone, name = parts.get("resource_group", ""), parts["privatednszones"], parts["a"]
        dns = ctx.dns_of(resource_id)
        rs = dns.record_sets.get(rg, zone, "A", name)
        have = sorted(a.ipv4_address for a in (rs.properties.a_records or []))
        wrote, note = facts.get("ip"), ""
        if wrote is None:   # a record written before facts existed: the endpoint's address is what it was given
            pe = ctx.endpoint()
            wrote = pe.private_ip if pe is not None else None
            note = (" (the setup record is older than this check: compared with the endpoint's address)" if wrote
                    else " (the setup record is older than this check and the endpoint is gone: not compared)")
        if wrote is not None and have != sorted(wrote.split(",")):
            raise Changed(f"kept A record {name}.{zone}: it points to {', '.join(have) or 'nothing'}, not to {wrote} "
                          "as this tool wrote it, so someone changed it after setup; delete it yourself if nothing "
                          "uses it, then run destroy again.")
        dns.record_sets.delete(rg, zone, "A", name, etag=rs.etag, match_condition=MatchConditions.IfNotModified)
        return f"removed {resource_id}{note}"
