"""Step 2 — the private endpoint: a manual connection, by alias, to Astronomer's Private Link Service.

It goes in the chosen resource group, the VNet's region and the chosen subnet, with the chosen NIC name.
An endpoint of that name that exists with another alias or subnet is a conflict: never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steps.base import Action, Outcome, Plan, Progress, State, Step, wait_for_poller, wait_until_settled
from steps.context import EndpointInfo, SetupContext
from wizard.core.constants import CONNECTION_NAME
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import parse_id, private_endpoint_id, same_id
from wizard.core.validate import request_message


@dataclass
class EndpointPayload:
    """Where the endpoint goes: what the PUT body needs."""

    subnet_id: str
    region: str


@dataclass
class EndpointObservation:
    existing: EndpointInfo | None
    subnet_id: str
    region: str


def endpoint_body(ctx: SetupContext, subnet_id: str, region: str) -> dict[str, Any]:
    """The PUT body (REST spec example PrivateEndpointCreateForManualApproval)."""
    props: dict[str, Any] = {
        "subnet": {"id": subnet_id},
        "manualPrivateLinkServiceConnections": [{
            "name": CONNECTION_NAME,
            "properties": {
                "privateLinkServiceId": ctx.config.alias.strip(),
                "groupIds": [],
                "requestMessage": request_message(ctx.cluster_id),
            },
        }],
    }
    if ctx.config.nic_name:
        props["customNetworkInterfaceName"] = ctx.config.nic_name
    return {"location": region, "properties": props}


class CreatePrivateEndpoint(Step[EndpointObservation, EndpointPayload]):
    key = "private_endpoint"
    depends_on = ("inputs",)

    def inspect(self, ctx: SetupContext) -> EndpointObservation:
        return EndpointObservation(existing=ctx.endpoint(), subnet_id=ctx.subnet_id(), region=ctx.region())

    def plan(self, ctx: SetupContext, observation: EndpointObservation) -> Plan[EndpointPayload]:
        cfg = ctx.config
        pe = observation.existing
        where = f"{cfg.resource_group}/{cfg.endpoint_name}"
        if pe is None:
            nic = cfg.nic_name or f"{cfg.endpoint_name}.nic.<generated>"
            return Plan(self.key, Action.CREATE,
                        f"Create private endpoint {where} in {observation.region}, subnet {cfg.subnet}, "
                        f"connected to the alias (manual approval).",
                        details=[f"network interface: {nic}",
                                 f"request message: {request_message(ctx.cluster_id)}"],
                        payload=EndpointPayload(observation.subnet_id, observation.region),
                        creates={"private_endpoint": endpoint_id(ctx)})
        diffs = []
        if not pe.alias or pe.alias.strip().lower() != cfg.alias.strip().lower():
            diffs.append(f"alias: exists with '{pe.alias or 'none'}', wanted '{cfg.alias.strip()}'")
        if not same_id(pe.subnet_id, observation.subnet_id):
            diffs.append(f"subnet: exists in {_short_subnet(pe.subnet_id)}, wanted "
                         f"{_short_subnet(observation.subnet_id)}")
        if diffs:
            return Plan(self.key, Action.CONFLICT,
                        f"A private endpoint named {where} already exists with other settings; it is left as it is. "
                        "Choose another endpoint name, or delete that endpoint if it is no longer used.",
                        details=diffs)
        warnings = []
        if cfg.nic_name and pe.nic_name and pe.nic_name.lower() != cfg.nic_name.lower():
            warnings.append(f"The endpoint's network interface is named '{pe.nic_name}', not '{cfg.nic_name}': "
                            "Azure sets that name only at creation, so it stays.")
        state = pe.provisioning_state.lower()
        if state == "failed":
            return Plan(self.key, Action.UPDATE, f"Private endpoint {where} is in a Failed state; send it again.",
                        warnings=warnings,
                        payload=EndpointPayload(observation.subnet_id, pe.location or observation.region),
                        uses={"private_endpoint": pe.id})
        if state in ("updating", "creating", "deleting"):
            return Plan(self.key, Action.WAITING, f"Azure is still working on private endpoint {where} "
                                                  f"({pe.provisioning_state}).", warnings=warnings,
                        uses={"private_endpoint": pe.id})
        return Plan(self.key, Action.DONE, f"Private endpoint {where} exists (IP {pe.private_ip or 'unknown'}).",
                    warnings=warnings, uses=_uses(pe))

    def apply(self, ctx: SetupContext, plan: Plan[EndpointPayload], progress: Progress) -> Outcome:
        from azure.core.exceptions import HttpResponseError

        cfg = ctx.config
        if plan.action is Action.DONE:
            return Outcome(self.key, State.DONE, plan.summary, warnings=plan.warnings, resources=plan.uses)
        if plan.action not in (Action.CREATE, Action.UPDATE, Action.WAITING):
            return Outcome(self.key, plan.state, plan.summary, details=plan.details, warnings=plan.warnings)
        net = ctx.network()
        try:
            if plan.action is Action.WAITING:
                progress(self.key, "waiting for Azure to finish the endpoint")
                wait_until_settled(ctx, self.key, "working on the endpoint", progress, lambda: _endpoint_state(ctx))
            else:
                where_to = plan.need()
                body = endpoint_body(ctx, where_to.subnet_id, where_to.region)
                progress(self.key, "creating the private endpoint")
                poller = net.private_endpoints.begin_create_or_update(cfg.resource_group, cfg.endpoint_name, body)
                wait_for_poller(poller, ctx, self.key, "creating the private endpoint", progress)
        except HttpResponseError as exc:
            raise StepFailed(explain(exc, alias=cfg.alias, subscription_id=cfg.subscription_id)) from exc
        ctx.refresh("endpoint")
        pe = ctx.endpoint()
        if pe is None or pe.provisioning_state.lower() != "succeeded":
            state = pe.provisioning_state if pe else "missing"
            return Outcome(self.key, State.FAILED,
                           f"The private endpoint ended in state '{state}': look at it in the Azure portal "
                           "(Private Link Center > Private endpoints), then run again.")
        return Outcome(self.key, State.DONE,
                       f"Private endpoint {cfg.endpoint_name} is ready; its IP is {pe.private_ip or 'unknown'}.",
                       details=[pe.id], warnings=plan.warnings, resources=_uses(pe))

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key == "private_endpoint"

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        """Delete the endpoint (Azure removes its network interface with it)."""
        parts = parse_id(resource_id)
        poller = ctx.network(parts.get("subscription")).private_endpoints.begin_delete(
            parts.get("resource_group", ""), parts["privateendpoints"])
        wait_for_poller(poller, ctx, "destroy", "removing the private endpoint", progress)
        return f"removed {resource_id}"

    def removed_with(self, record_key: str) -> tuple[str, ...]:
        return ("network_interface",) if record_key == "private_endpoint" else ()


def endpoint_id(ctx: SetupContext) -> str:
    cfg = ctx.config
    return private_endpoint_id(cfg.subscription_id, cfg.resource_group, cfg.endpoint_name)


def _uses(pe: EndpointInfo) -> dict[str, str]:
    out = {"private_endpoint": pe.id}
    if pe.nic_id:
        out["network_interface"] = pe.nic_id
    return out


def _endpoint_state(ctx: SetupContext) -> str | None:
    ctx.refresh("endpoint")
    pe = ctx.endpoint()
    return pe.provisioning_state if pe else None


def _short_subnet(subnet_id: str) -> str:
    parts = parse_id(subnet_id)
    return f"{parts.get('virtualnetworks', '?')}/{parts.get('subnets', '?')}"
