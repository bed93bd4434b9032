"""Read the engine's plans (and the few facts they rest on) into an `ExportPlan`.

Only what the plans say is not done yet becomes work; what exists is referenced. The ids come from the plans
(`creates` for what a step would make, `uses` for what exists), the values from their typed payloads. Azure
is read only for what no plan carries: the existing endpoint's region and IP (the cached read the plan used)
and, for an A record to update or one left over, the addresses it holds now. Raises `ExportError` when the
plans cannot be exported: step 1 does not pass, a step failed or conflicts, or an A record is left over from
an earlier endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from steps.a_record import CreateARecord, RecordPayload
from steps.approval import ApprovalPayload, support_request
from steps.base import Action, Plan
from steps.context import EndpointInfo, LookupProblem, SetupContext
from steps.dns_zone import ZonePayload
from steps.private_endpoint import EndpointPayload, endpoint_id
from steps.registry import CREATE_KEYS, label
from steps.vnet_link import LinksPayload
from wizard.core.constants import ASTRO_DNS_ZONE, CONNECTION_NAME, RECORD_TTL
from wizard.core.ids import parse_id
from wizard.core.validate import request_message
from wizard.export.model import EndpointPart, ExportError, ExportPlan, LinkPart, RecordPart, ZonePart, step_name

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine import Engine

T = TypeVar("T")


def build(engine: Engine, plans: list[Plan[Any]] | None = None) -> ExportPlan:
    """The `ExportPlan` for `plans` (default: `engine.plan()`, which reads Azure); raises ExportError."""
    plans = plans if plans is not None else engine.plan()
    by = {p.step: p for p in plans}
    _check(by)
    ctx, cfg = engine.ctx, engine.config
    try:
        cid = ctx.cluster_id
        endpoint, pe = _endpoint(ctx, by["private_endpoint"])
        zone = _zone(ctx, by["dns_zone"])
        links = _links(by["vnet_links"])
        record = _record(ctx, by["a_record"], pe)
        support, approved = _support(ctx, by.get("approval"), endpoint)
    except LookupProblem as exc:
        raise ExportError(f"{exc} Fix the answers, then export again.") from None
    return ExportPlan(cluster_id=cid, api_url=cfg.api_url, endpoint=endpoint, zone=zone, links=links,
                      record=record, support_text=support, approved=approved)


def _check(by: dict[str, Plan[Any]]) -> None:
    """Raise ExportError unless step 1 passes and no step failed or conflicts."""
    inputs = by.get("inputs")
    if inputs is None or inputs.action is Action.FAILED:
        why = inputs.summary if inputs else "the inputs were not checked"
        raise ExportError(f"{step_name('inputs')} does not pass yet, so there is nothing exact to export: {why} "
                          "Fix that (see `astro-privatelink plan`), then export again.")
    problems = []
    for key in CREATE_KEYS:
        p = by.get(key)
        if p is None:
            continue
        if p.action is Action.FAILED:
            problems.append(f"{label(key)}: {p.summary}")
        elif p.action is Action.CONFLICT:
            detail = f" ({'; '.join(p.details)})" if p.details else ""
            problems.append(f"{label(key)}: {p.summary}{detail}")
    if problems:
        raise ExportError("These steps cannot be exported until they are resolved (nothing is ever overwritten):\n  "
                          + "\n  ".join(problems))


def _payload(plan: Plan[Any] | None, kind: type[T]) -> T | None:
    """The plan's payload when it is the step's payload type; None when the plan carries none."""
    payload = plan.payload if plan is not None else None
    return payload if isinstance(payload, kind) else None


def _need(plan: Plan[Any], kind: type[T]) -> T:
    """The payload of a plan that must carry one (a create or an update)."""
    payload = plan.need()
    if not isinstance(payload, kind):
        raise TypeError(f"The {plan.step} plan carries a {type(payload).__name__}, not a {kind.__name__}.")
    return payload


def _endpoint(ctx: SetupContext, plan: Plan[Any]) -> tuple[EndpointPart, EndpointInfo | None]:
    """The endpoint to create (or send again), or the one that exists (with what Azure says of it)."""
    cfg = ctx.config
    if plan.action in (Action.CREATE, Action.UPDATE):
        where = _need(plan, EndpointPayload)
        part = EndpointPart(
            create=True, subscription=cfg.subscription_id, resource_group=cfg.resource_group,
            name=cfg.endpoint_name, id=plan.creates.get("private_endpoint") or endpoint_id(ctx), region=where.region,
            subnet_id=where.subnet_id, nic_name=cfg.nic_name, connection_name=CONNECTION_NAME,
            request_message=request_message(ctx.cluster_id), alias=cfg.alias.strip())
        return part, None
    pe = ctx.endpoint()
    return EndpointPart(create=False, subscription=cfg.subscription_id, resource_group=cfg.resource_group,
                        name=cfg.endpoint_name, id=plan.uses.get("private_endpoint") or endpoint_id(ctx),
                        region=pe.location if pe else ctx.region()), pe


def _zone(ctx: SetupContext, plan: Plan[Any]) -> ZonePart:
    """The zone to create, or the one the plan reuses (possibly in another resource group or subscription)."""
    cfg = ctx.config
    zone_id = plan.uses.get("dns_zone")
    if plan.action is Action.CREATE or not zone_id:
        where = _payload(plan, ZonePayload)
        return ZonePart(create=True, subscription=cfg.zone_subscription,
                        resource_group=where.resource_group if where else cfg.zone_resource_group,
                        id=plan.creates.get("dns_zone") or ctx.zone_id_for_new())
    parts = parse_id(zone_id)
    return ZonePart(create=False, subscription=parts.get("subscription", cfg.subscription_id),
                    resource_group=parts.get("resource_group", ""), id=zone_id,
                    name=parts.get("privatednszones", ASTRO_DNS_ZONE))


def _links(plan: Plan[Any]) -> list[LinkPart]:
    payload = _payload(plan, LinksPayload)
    return [LinkPart(create=item.action is Action.CREATE, name=item.link_name, vnet_id=item.vnet_id,
                     vnet_name=item.vnet_name)
            for item in (payload.items if payload else [])]


def _record(ctx: SetupContext, plan: Plan[Any], pe: EndpointInfo | None) -> RecordPart:
    """The A record to create or update, or the one in place; raises ExportError for a left-over record."""
    cid = ctx.cluster_id
    if plan.action is Action.DONE:
        return RecordPart("done", cid, RECORD_TTL, ip=pe.private_ip if pe else None)
    if plan.action is Action.CREATE:
        payload = _payload(plan, RecordPayload)
        return RecordPart("create", cid, RECORD_TTL, ip=payload.ip if payload else None)
    # an update (allowed by the user), or blocked until the endpoint exists: what does the record hold now?
    obs = CreateARecord().inspect(ctx)
    if plan.action is Action.UPDATE:
        return RecordPart("update", cid, RECORD_TTL, old_ips=list(obs.have_ips or []), ip=_need(plan, RecordPayload).ip)
    if obs.have_ips:
        raise ExportError(
            f"The A record {cid}.{ASTRO_DNS_ZONE} already points to {', '.join(obs.have_ips)}, but the private "
            "endpoint it should point to does not exist yet: it is probably left over from an earlier endpoint. "
            "Delete that record (or let the wizard update it), then export again.")
    return RecordPart("create", cid, RECORD_TTL)


def _support(ctx: SetupContext, plan: Plan[Any] | None, endpoint: EndpointPart) -> tuple[str, bool]:
    """The text to send Astronomer support, and whether they approved the connection already."""
    payload = _payload(plan, ApprovalPayload)
    support = payload.support_text if payload else None
    if not support:  # the endpoint is still to be created: say what it will be
        support = support_request(ctx, _planned_endpoint(endpoint))
    return support, plan is not None and plan.action is Action.DONE


def _planned_endpoint(ep: EndpointPart) -> EndpointInfo:
    """The endpoint as it will be once created: what the text for Astronomer support names."""
    return EndpointInfo(id=ep.id, name=ep.name, location=ep.region, provisioning_state="", subnet_id=ep.subnet_id,
                        alias=ep.alias or None, connection_name=CONNECTION_NAME, connection_status=None,
                        connection_description=None, nic_id=None, nic_name=ep.nic_name, private_ip=None)
