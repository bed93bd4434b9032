"""Undo a setup: remove only what this tool created, where it created it, and only while it is still what the tool
made; newest first, each step undoing its own resources.

Order: the steps in reverse (the A record, the VNet links, the zone (only if this tool created it and it holds
nothing else), then the private endpoint, which Azure removes with its network interface). Anything the tool
only reused is left alone, and the outcome says so.

Where: every delete goes to the subscription, resource group and name of the id in the setup record, never to the
config's subscription with the record's names. When the record holds ids outside the config's subscription or
resource groups (the config was pointed elsewhere after apply), destroy deletes nothing and says which
(`outside_config`), unless the caller explicitly allows it (`allow_outside_config`; the CLI's
`--allow-outside-config`), and then it removes them where they were created.

What: apply notes what it made (`ResourceEntry.facts`, read back right after the step made it: `created_facts`).
Before each delete the step re-reads the resource and compares (`undo_checked`): the A record's addresses, the
link's VNet, the endpoint's alias, subnet and network interface (a replaced endpoint has another one; the REST
spec's PrivateEndpointProperties has no resourceGuid, networkInterface.json's NIC has one), the zone holding
nothing else. A difference keeps the resource, in Azure and in the record, with one sentence saying what differs
and what to do (`Changed`). Deletes that take If-Match (private DNS record sets, links and zones: privatedns.json
2024-06-01, PrivateZones_Delete / VirtualNetworkLinks_Delete / RecordSets_Delete) send the etag of that read, so a
change between the read and the delete is refused with 412 PreconditionFailed and reported, never retried blindly.
PrivateEndpoints_Delete takes no If-Match (network privateEndpoint.json 2025-03-01; the SDK's request builder
sends none), so the endpoint relies on the read just before its delete. A record written before facts existed is
compared with what can still be known (the config, the record key, the endpoint's address), and the outcome says so.

Azure sometimes refuses a delete for a while for reasons that pass: a zone whose links were just deleted answers
409 CannotDeleteResource "Cannot delete resource while nested resources exist" (azure-cli#15010,
Azure/deployment-stacks#227), and private DNS takes one operation at a time per zone (409 "... queued",
terraform-provider-azurerm#29354). Such a delete is tried again with a doubling wait for up to
`DELETE_RETRY_BUDGET` seconds. A delete that still fails is reported with Azure's reason and the next action, and
the rest of the teardown goes on: every later undo re-reads what it removes (a zone that still holds a link is
kept, not deleted), so nothing depends on an earlier delete having worked. A rerun picks up what is left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from steps import all_steps
from steps.base import Changed, ChecksWhatItMade, Outcome, Progress, State, Step, Stopped
from steps.context import SetupContext
from wizard.core.errors import is_busy_conflict
from wizard.core.ids import parse_id

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.config import SetupConfig
    from wizard.core.record import ResourceEntry, SetupRecord

DELETE_RETRY_BUDGET = 180.0  # seconds one delete is tried again while Azure answers "not yet"
ALLOW_FLAG = "--allow-outside-config"  # how a person allows removing what is recorded outside the config


def created_facts(step: Step[Any, Any], ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]:
    """What destroy will compare for a resource this step just made or confirmed ({} when the step notes nothing)."""
    return step.created_facts(ctx, record_key, resource_id) if isinstance(step, ChecksWhatItMade) else {}


@dataclass(frozen=True)
class Elsewhere:
    """A resource the record says this tool created, outside the config's subscription or resource groups."""

    key: str
    id: str
    why: str  # e.g. "in subscription A, and the config names subscription B"


def removals(record: SetupRecord) -> list[tuple[str, ResourceEntry]]:
    """What destroy would remove, in the order it removes them (newest first): the entries this tool created that
    a step knows how to undo."""
    out: list[tuple[str, ResourceEntry]] = []
    for step in reversed(all_steps()):
        out += [(key, entry) for key, entry in record.resources.items() if step.owns(key) and entry.created_by_tool]
    return out


def outside_config(config: SetupConfig, record: SetupRecord) -> list[Elsewhere]:
    """The recorded resources destroy would remove that lie outside the config's subscription, or outside the
    resource group the config names for them (the endpoint's, the zone's; a reused zone's links and record may be
    in that zone's group)."""
    sub = config.subscription_id.strip()
    zone_sub = config.zone_subscription.strip()   # the zone, its links and its record: [dns] subscription_id's
    endpoint_groups = {config.resource_group.lower(): config.resource_group}
    zone_groups = {config.zone_resource_group.lower(): config.zone_resource_group}
    dns_groups = dict(zone_groups)
    zone = record.resources.get("dns_zone")
    if zone is not None and not zone.created_by_tool:
        parts = parse_id(zone.id)
        if parts.get("subscription", "").lower() == zone_sub.lower() and parts.get("resource_group"):
            dns_groups[parts["resource_group"].lower()] = parts["resource_group"]
    out: list[Elsewhere] = []
    for key, entry in removals(record):
        parts = parse_id(entry.id)
        have_sub, group = parts.get("subscription", ""), parts.get("resource_group", "")
        want_sub = sub if key == "private_endpoint" else zone_sub
        if have_sub.lower() != want_sub.lower():
            out.append(Elsewhere(key, entry.id, f"in subscription {have_sub or '?'}, and the config names "
                                                f"subscription {want_sub or '(none)'}"))
            continue
        groups = endpoint_groups if key == "private_endpoint" else zone_groups if key == "dns_zone" else dns_groups
        if group.lower() not in groups:
            named = " or ".join(f"'{g}'" for g in groups.values())
            out.append(Elsewhere(key, entry.id, f"in resource group '{group}', and the config names {named}"))
    return out


def _facts(entry: ResourceEntry) -> dict[str, str]:
    """The entry's facts, only the well-formed ones (the record file is the user's and may have been edited)."""
    facts = entry.facts if isinstance(entry.facts, dict) else {}
    return {k: v for k, v in facts.items() if isinstance(k, str) and isinstance(v, str)}


def must_wait(exc: BaseException) -> bool:
    """Azure refused a delete for a reason that passes by itself (see the module docstring)."""
    from azure.core.exceptions import HttpResponseError

    if not isinstance(exc, HttpResponseError) or exc.status_code != 409:
        return False
    code = (getattr(getattr(exc, "error", None), "code", None) or "").lower()
    return code == "cannotdeleteresource" or is_busy_conflict(exc)


def _undo(step: Step[Any, Any], ctx: SetupContext, key: str, entry: ResourceEntry, progress: Progress) -> str:
    """One resource's checked undo, tried again while Azure says it must wait."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    rid = entry.id
    started = time.monotonic()
    delay = min(max(ctx.factory.settings.polling_interval, 0.05), 5.0)
    attempt = 1
    while True:
        try:
            if isinstance(step, ChecksWhatItMade):
                return step.undo_checked(ctx, key, rid, _facts(entry), progress)
            return step.undo(ctx, key, rid, progress)
        except ResourceNotFoundError:
            return f"{rid} was already gone"
        except HttpResponseError as exc:
            waited = time.monotonic() - started
            if not must_wait(exc) or waited + delay > DELETE_RETRY_BUDGET:
                raise
            code = getattr(getattr(exc, "error", None), "code", None) or exc.status_code
            attempt += 1
            progress("destroy", f"Azure cannot remove the {key.replace('_', ' ')} yet ({code}); trying again in "
                                f"{delay:g}s (attempt {attempt}, {int(waited)}s so far)")
            if ctx.cancel.wait(delay):
                raise Stopped(f"Stopped while waiting to remove the {key.replace('_', ' ')}.") from exc
            delay = min(delay * 2, 30.0)


def refused_outcomes(elsewhere: list[Elsewhere]) -> list[Outcome]:
    """Destroy stopped before deleting anything: one outcome per resource recorded outside the config."""
    return [Outcome(e.key, State.BLOCKED,
                    f"kept {e.id}: it is {e.why}, so nothing was deleted; point the config back at it, or allow "
                    f"removing it where it was created ({ALLOW_FLAG}).", details=[e.id], error_code="OutsideConfig")
            for e in elsewhere]


def teardown(ctx: SetupContext, record: SetupRecord, progress: Progress, *,
             allow_outside_config: bool = False) -> list[Outcome]:
    from azure.core.exceptions import AzureError, HttpResponseError

    from wizard.core.azure import AzureAccessError
    from wizard.core.errors import explain

    elsewhere = outside_config(ctx.config, record)
    if elsewhere and not allow_outside_config:
        return refused_outcomes(elsewhere)
    outcomes: list[Outcome] = []
    for step in reversed(all_steps()):
        for key, entry in list(record.resources.items()):
            if not step.owns(key):
                continue
            if not entry.created_by_tool:
                outcomes.append(Outcome(key, State.DONE, f"left {entry.id}: this tool did not create it"))
                continue
            progress("destroy", f"removing {key.replace('_', ' ')}")
            try:
                what = _undo(step, ctx, key, entry, progress)
            except Stopped as exc:
                outcomes.append(Outcome(key, State.WAITING, f"{exc} Run destroy again to go on.",
                                        error_code="Stopped"))
                return outcomes
            except Changed as exc:   # kept in Azure and in the record
                outcomes.append(Outcome(key, State.CONFLICT, str(exc), details=[entry.id], error_code="Changed"))
                continue
            except HttpResponseError as exc:
                e = explain(exc, subscription_id=ctx.subscription)
                if exc.status_code == 412:   # If-Match refused: it changed after the check; never sent again blindly
                    outcomes.append(Outcome(
                        key, State.CONFLICT, f"kept {entry.id}: it changed between the check and the delete (Azure "
                                             "answered 412 PreconditionFailed), so it was not deleted: run destroy "
                                             "again to check it once more.",
                        details=[entry.id], error_code="PreconditionFailed", correlation_id=e.correlation_id))
                    continue
                outcomes.append(Outcome(key, State.FAILED, e.sentence, details=[entry.id], error_code=e.code,
                                        correlation_id=e.correlation_id))
                continue  # the later undos re-read what they remove, so they go on
            except (AzureError, AzureAccessError) as exc:  # the network or the sign-in failed: say so, go on
                e = explain(exc, subscription_id=ctx.subscription)
                outcomes.append(Outcome(key, State.FAILED, e.sentence, details=[entry.id], error_code=e.code))
                continue
            if what.startswith(("removed", f"{entry.id} was already gone")):
                record.forget(key)
                for also in step.removed_with(key):
                    record.forget(also)
            outcomes.append(Outcome(key, State.DONE, what))
    return outcomes
