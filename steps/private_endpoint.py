"""Step 2 — the private endpoint: a manual connection, by alias, to Astronomer's Private Link Service.

It goes in the chosen resource group, the VNet's region and the chosen subnet, with the chosen NIC name.
An endpoint of that name that exists with another alias or subnet is a conflict: never overwritten.

Two things Azure does for a while after something else happened are waited out, not reported as failures:
- an endpoint's DELETE can finish before its NIC is gone (Azure/azure-rest-api-specs#32752; about 10 minutes in
  hashicorp/terraform-provider-azurerm#28831), and a create that asks for that NIC name again is refused, so a
  create after a destroy first waits (up to `NIC_RELEASE_BUDGET`) for the old NIC to go, saying so;
- InvalidPrivateLinkServiceId can be transient (hashicorp/terraform-provider-azurerm#14398, #16315), so the create is
  tried `PLS_ID_ATTEMPTS` times with a doubling wait before it is explained as an alias problem.
A NIC of the wanted name that belongs to something else is a conflict: choose another name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from steps.base import (
    Action,
    Changed,
    Outcome,
    Plan,
    Progress,
    State,
    Step,
    Stopped,
    wait_for_poller,
    wait_until_settled,
)
from steps.context import EndpointInfo, SetupContext
from wizard.core.constants import CONNECTION_NAME
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import enum_text, name_of, parse_id, private_endpoint_id, same_id
from wizard.core.validate import request_message

NIC_RELEASE_BUDGET = 600.0  # seconds a create waits for a deleted endpoint's NIC to go before it says "run again"
PLS_ID_ATTEMPTS = 4  # creates sent while Azure answers InvalidPrivateLinkServiceId


@dataclass
class EndpointPayload:
    """Where the endpoint goes: what the PUT body needs (and a NIC of the wanted name to wait for first)."""

    subnet_id: str
    region: str
    wait_for_nic: str | None = None


@dataclass
class NicInfo:
    """A network interface that has the NIC name the answers ask for."""

    id: str
    name: str
    provisioning_state: str
    private_endpoint_id: str | None


@dataclass
class EndpointObservation:
    existing: EndpointInfo | None
    subnet_id: str
    region: str
    nic: NicInfo | None = None  # read only when there is no endpoint and a NIC name is asked for


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
        pe = ctx.endpoint()
        nic = _read_nic(ctx) if pe is None and ctx.config.nic_name else None
        return EndpointObservation(existing=pe, subnet_id=ctx.subnet_id(), region=ctx.region(), nic=nic)

    def plan(self, ctx: SetupContext, observation: EndpointObservation) -> Plan[EndpointPayload]:
        cfg = ctx.config
        pe = observation.existing
        where = f"{cfg.resource_group}/{cfg.endpoint_name}"
        if pe is None:
            nic = cfg.nic_name or f"{cfg.endpoint_name}.nic.<generated>"
            taken = observation.nic
            if taken is not None and not _going(taken, endpoint_id(ctx)):
                user = f"used by private endpoint {name_of(taken.private_endpoint_id)}" if taken.private_endpoint_id \
                    else "not part of a private endpoint"
                return Plan(self.key, Action.CONFLICT,
                            f"A network interface named {taken.name} already exists in resource group "
                            f"{cfg.resource_group} ({user}), and Azure names a new endpoint's interface only with a "
                            "free name: choose another NIC name, or leave it empty for a generated one.",
                            details=[taken.id])
            summary = (f"Create private endpoint {where} in {observation.region}, subnet {cfg.subnet}, "
                       f"connected to the alias (manual approval).")
            details = [f"network interface: {nic}", f"request message: {request_message(ctx.cluster_id)}"]
            if taken is not None:
                summary = summary[:-1] + (f", once Azure has removed network interface {taken.name} of the endpoint "
                                          "deleted before.")
                details.insert(0, f"waits first: network interface {taken.name} is still there "
                                  f"({taken.provisioning_state or 'state unknown'}); Azure removes it after its "
                                  "endpoint")
            return Plan(self.key, Action.CREATE, summary, details=details,
                        payload=EndpointPayload(observation.subnet_id, observation.region,
                                                taken.id if taken is not None else None),
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
        if state in ("failed", "canceled"):
            return Plan(self.key, Action.UPDATE,
                        f"Private endpoint {where} is in a {pe.provisioning_state} state; send it again.",
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
        try:
            if plan.action is Action.WAITING:
                progress(self.key, "waiting for Azure to finish the endpoint")
                wait_until_settled(ctx, self.key, "working on the endpoint", progress, lambda: _endpoint_state(ctx))
            else:
                where_to = plan.need()
                if where_to.wait_for_nic:
                    waited = self._wait_for_nic(ctx, where_to.wait_for_nic, progress)
                    if waited is not None:
                        name = parse_id(where_to.wait_for_nic).get("networkinterfaces", where_to.wait_for_nic)
                        return Outcome(self.key, State.WAITING,
                                       f"Azure is still removing network interface {name} of the endpoint deleted "
                                       f"before ({int(waited)}s so far), and the new endpoint needs its name: run "
                                       "apply again in a few minutes, or choose another NIC name.",
                                       warnings=plan.warnings)
                self._create(ctx, endpoint_body(ctx, where_to.subnet_id, where_to.region), progress)
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

    def _create(self, ctx: SetupContext, body: dict[str, Any], progress: Progress) -> None:
        """PUT the endpoint and wait; InvalidPrivateLinkServiceId is tried again, with a doubling wait."""
        from azure.core.exceptions import HttpResponseError

        cfg = ctx.config
        delay = _first_delay(ctx)
        for attempt in range(1, PLS_ID_ATTEMPTS + 1):
            progress(self.key, "creating the private endpoint")
            try:
                poller = ctx.network().private_endpoints.begin_create_or_update(cfg.resource_group,
                                                                                cfg.endpoint_name, body)
                wait_for_poller(poller, ctx, self.key, "creating the private endpoint", progress)
                return
            except HttpResponseError as exc:
                code = getattr(getattr(exc, "error", None), "code", None) or ""
                if code.lower() != "invalidprivatelinkserviceid" or attempt == PLS_ID_ATTEMPTS:
                    raise
            progress(self.key, f"Azure answered InvalidPrivateLinkServiceId, which can pass: trying again in "
                               f"{delay:g}s (attempt {attempt + 1} of {PLS_ID_ATTEMPTS})")
            if ctx.cancel.wait(delay):
                raise Stopped("Stopped while waiting to send the endpoint again.")
            delay *= 2

    def _wait_for_nic(self, ctx: SetupContext, nic_id: str, progress: Progress) -> float | None:
        """Wait until the NIC is gone; None when it is, else the seconds waited (NIC_RELEASE_BUDGET is spent)."""
        from azure.core.exceptions import ResourceNotFoundError

        parts = parse_id(nic_id)
        name = parts.get("networkinterfaces", "")
        net = ctx.network(parts.get("subscription"))
        started, delay = time.monotonic(), _first_delay(ctx)
        while True:
            try:
                net.network_interfaces.get(parts.get("resource_group", ""), name)
            except ResourceNotFoundError:
                return None
            waited = time.monotonic() - started
            if waited >= NIC_RELEASE_BUDGET:
                return waited
            progress(self.key, f"waiting for Azure to remove network interface {name} of the endpoint deleted "
                               f"before ({int(waited)}s)")
            if ctx.cancel.wait(min(delay, NIC_RELEASE_BUDGET - waited)):
                raise Stopped(f"Stopped while Azure was still removing network interface {name}.")
            delay = min(delay * 2, 30.0)

    # -- undo ----------------------------------------------------------------------------------------------
    def owns(self, record_key: str) -> bool:
        return record_key == "private_endpoint"

    def undo(self, ctx: SetupContext, record_key: str, resource_id: str, progress: Progress) -> str:
        return self.undo_checked(ctx, record_key, resource_id, {}, progress)

    def created_facts(self, ctx: SetupContext, record_key: str, resource_id: str) -> dict[str, str]:
        """The endpoint's alias, subnet and network interface (id and resourceGuid) right after this step made it,
        for destroy to compare: an endpoint deleted and made again under the same name has another interface."""
        if not self.owns(record_key):
            return {}
        return self._facts_now(ctx, resource_id)

    @staticmethod
    def _facts_now(ctx: SetupContext, resource_id: str) -> dict[str, str]:
        """The endpoint's facts as Azure shows them now (read where the id says). PrivateEndpointProperties has no
        resourceGuid in the REST spec (network privateEndpoint.json 2025-03-01); its NIC's does (networkInterface.json),
        so the interface (id and resourceGuid) tells one endpoint from another made later under the same name."""
        from azure.core.exceptions import ResourceNotFoundError

        parts = parse_id(resource_id)
        net = ctx.network(parts.get("subscription"))
        pe = net.private_endpoints.get(parts.get("resource_group", ""), parts["privateendpoints"])
        conns = list(pe.manual_private_link_service_connections or []) + list(pe.private_link_service_connections or [])
        nic_id = pe.network_interfaces[0].id if pe.network_interfaces else ""
        facts = {"alias": (conns[0].private_link_service_id or "") if conns else "",
                 "subnet_id": pe.subnet.id if pe.subnet is not None else "", "nic_id": nic_id or "", "nic_guid": ""}
        if nic_id:
            nic_parts = parse_id(nic_id)
            try:
                nic = ctx.network(nic_parts.get("subscription")).network_interfaces.get(
                    nic_parts.get("resource_group", ""), nic_parts.get("networkinterfaces", ""))
                facts["nic_guid"] = nic.resource_guid or ""
            except ResourceNotFoundError:   # an interface Azure is still creating or removing: compared by id only
                facts["nic_guid"] = ""
        return facts

    def undo_checked(self, ctx: SetupContext, record_key: str, resource_id: str, facts: dict[str, str],
                     progress: Progress) -> str:
        """Delete the endpoint where it was made (Azure removes its network interface with it), only while it is the
        one this tool made: same alias, subnet and network interface. PrivateEndpoints_Delete takes no If-Match
        (privateEndpoint.json 2025-03-01), so this read just before the delete is the check."""
        parts = parse_id(resource_id)
        name = parts["privateendpoints"]
        have = self._facts_now(ctx, resource_id)
        note = ""
        if facts:
            want_alias, want_subnet = facts.get("alias", ""), _short_subnet(facts.get("subnet_id", ""))
            subnet_same = same_id(have["subnet_id"], facts.get("subnet_id"))
        else:   # a record written before facts existed: compare with the config's alias and subnet
            cfg = ctx.config
            want_alias = cfg.alias.strip()
            want_subnet = f"{parse_id(cfg.vnet).get('virtualnetworks', cfg.vnet)}/{cfg.subnet}"
            subnet_same = _short_subnet(have["subnet_id"]).lower() == want_subnet.lower()
            note = " (the setup record is older than this check: compared with the config's alias and subnet only)"
        diffs = []
        if have["alias"].strip().lower() != want_alias.strip().lower():
            diffs.append(f"its alias is '{have['alias'] or 'none'}', not '{want_alias}'")
        if not subnet_same:
            diffs.append(f"it is in subnet {_short_subnet(have['subnet_id'])}, not {want_subnet}")
        nic_changed = facts.get("nic_id") and not same_id(have["nic_id"], facts["nic_id"])
        guid_changed = facts.get("nic_guid") and have["nic_guid"] and \
            have["nic_guid"].lower() != facts["nic_guid"].lower()
        if nic_changed or guid_changed:
            diffs.append("it has another network interface than the endpoint this tool made (it was deleted and "
                         "made again)")
        if diffs:
            raise Changed(f"kept private endpoint {name}: {'; '.join(diffs)}, so it is not the endpoint this tool "
                          "created; delete it yourself if nothing uses it, then run destroy again.")
        poller = ctx.network(parts.get("subscription")).private_endpoints.begin_delete(
            parts.get("resource_group", ""), name)
        wait_for_poller(poller, ctx, "destroy", "removing the private endpoint", progress)
        return f"removed {resource_id}{note}"

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


def _read_nic(ctx: SetupContext) -> NicInfo | None:
    """The NIC that has the wanted name in the endpoint's resource group, if any."""
    from azure.core.exceptions import ResourceNotFoundError

    cfg = ctx.config
    try:
        nic = ctx.network().network_interfaces.get(cfg.resource_group, cfg.nic_name)
    except ResourceNotFoundError:
        return None
    return NicInfo(id=nic.id, name=nic.name, provisioning_state=enum_text(nic.provisioning_state),
                   private_endpoint_id=nic.private_endpoint.id if nic.private_endpoint else None)


def _going(nic: NicInfo, our_endpoint: str) -> bool:
    """Azure is removing this NIC: it is Deleting, or it still names our endpoint, which no longer exists."""
    if nic.provisioning_state.lower() == "deleting":
        return True
    return bool(nic.private_endpoint_id and same_id(nic.private_endpoint_id, our_endpoint))


def _first_delay(ctx: SetupContext) -> float:
    return min(max(ctx.factory.settings.polling_interval, 0.05), 5.0)


def _endpoint_state(ctx: SetupContext) -> str | None:
    ctx.refresh("endpoint")
    pe = ctx.endpoint()
    return pe.provisioning_state if pe else None


def _short_subnet(subnet_id: str) -> str:
    parts = parse_id(subnet_id)
    return f"{parts.get('virtualnetworks', '?')}/{parts.get('subnets', '?')}"
