"""Two endpoints for one Astro cluster (issue 15, part 1): whose endpoint does a zone's A record point at?

Astronomer's doc allows "a Private Endpoint in each VNet (the alias remains unchanged)". Each endpoint has its own
IP, and the name `<cluster-id>.external.astronomer.run` holds one answer per zone, so each endpoint's VNets need a
zone of their own whose record holds that endpoint's IP (in another resource group: a zone's name is unique in its
group), and a VNet can be linked to only one zone of a name (Azure refuses a second link; steps/vnet_link.py).

`other_endpoint` reads the zone's record for the cluster and, when it holds an IP that is not this setup's endpoint's,
looks for the private endpoint that holds it in the network interfaces of the subscriptions the setup touches: a
private endpoint's NIC names it under `privateEndpoint` (NetworkInterfaces_ListAll, specification/network
networkInterface.json: NetworkInterfacePropertiesFormat.privateEndpoint, ipConfigurations[].privateIPAddress). An IP
no visible endpoint holds is a left-over record, which step 5's conflict already explains.

This module reads through the `SetupContext` it is given and imports no other step module (steps/context.py calls
it lazily, so it must not import the context back: tests/test_import_hygiene.py forbids cycles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.core.ids import parse_id, same_id, vnet_name_of


@dataclass(frozen=True)
class OtherEndpoint:
    """Another private endpoint that the zone's record for this cluster points at."""

    id: str
    name: str
    resource_group: str
    vnet: str          # the VNet's name ('' when the endpoint has no subnet)
    ip: str
    linked: bool       # the zone is linked to one of this setup's agents' VNets (that is why it was chosen)

    def words(self) -> str:
        where = f" (VNet {self.vnet})" if self.vnet else ""
        return f"private endpoint '{self.name}' in resource group '{self.resource_group}'{where}, {self.ip}"


def _refused(exc: BaseException) -> bool:
    """403 AuthorizationFailed: the account lacks a role for this read (as steps.context.refused says)."""
    code = getattr(getattr(exc, "error", None), "code", None) or ""
    return getattr(exc, "status_code", None) == 403 and code.lower() == "authorizationfailed"


def record_ips(ctx: Any, zone: Any) -> list[str] | None:
    """The zone's A record for this cluster (None: there is none), read once per inspection round."""
    from azure.core.exceptions import ResourceNotFoundError

    name = ctx.cluster_id

    def read() -> list[str] | None:
        try:
            rs = ctx.dns().record_sets.get(zone.resource_group, zone.name, "A", name)
        except ResourceNotFoundError:
            return None
        return [a.ipv4_address for a in (rs.properties.a_records or [])]

    return ctx.memo(f"zone_record:{zone.id.lower()}/{name.lower()}", read)


def other_endpoint(ctx: Any, zone: Any, agent_vnets: list[str]) -> OtherEndpoint | None:
    """The other endpoint the zone's record points at; None when the record is absent, points at this setup's
    endpoint, or at an IP no endpoint the account can see holds."""
    ips = record_ips(ctx, zone)
    if not ips:
        return None
    mine = ctx.endpoint()
    if mine is not None and mine.private_ip in ips:
        return None
    found = _endpoint_holding(ctx, set(ips))
    if found is None:
        return None
    pe_id, ip = found
    if mine is not None and same_id(mine.id, pe_id):
        return None
    parts = parse_id(pe_id)
    pe = ctx.network(parts.get("subscription")).private_endpoints.get(parts.get("resource_group", ""),
                                                                      parts.get("privateendpoints", ""))
    vnet = vnet_name_of(pe.subnet.id) if pe.subnet is not None and pe.subnet.id else ""
    linked = any(zone.link_to(v) for v in agent_vnets)
    return OtherEndpoint(pe_id, parts.get("privateendpoints", ""), parts.get("resource_group", ""), vnet, ip, linked)


def _endpoint_holding(ctx: Any, ips: set[str]) -> tuple[str, str] | None:
    """(private endpoint id, IP) of the endpoint whose NIC holds one of `ips`, searched in the subscriptions of the
    endpoint, the zone and the agents' VNets; a subscription whose NICs may not be listed is skipped."""
    from azure.core.exceptions import HttpResponseError

    subs: list[str] = []
    for ref in [ctx.subscription, ctx.zone_subscription,
                *(parse_id(v).get("subscription", "") for v in ctx.config.linked_vnets)]:
        if ref and ref.lower() not in (s.lower() for s in subs):
            subs.append(ref)
    for sub in subs:
        try:
            nics: list[Any] = list(ctx.network(sub).network_interfaces.list_all())
        except HttpResponseError as exc:
            if not _refused(exc):
                raise
            continue
        for nic in nics:
            if nic.private_endpoint is None or not nic.private_endpoint.id:
                continue
            for config in nic.ip_configurations or []:
                if config.private_ip_address in ips:
                    return nic.private_endpoint.id, config.private_ip_address
    return None
