"""The Azure reads behind `steps.network_facts`: each agents' VNet's DNS servers and peerings (from the VNet GETs
the context makes anyway), and, only when some agents' VNet uses custom DNS servers, the Azure DNS Private Resolvers
of those VNets' subscriptions with their inbound endpoints (azure-mgmt-dnsresolver: DnsResolvers_ListBySubscription
and InboundEndpoints_List, specification/dnsresolver). Memoized per inspection round (`SetupContext.refresh`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from steps.context import LookupProblem, SetupContext, refused
from steps.network_facts import AZURE_DNS, NetworkFacts, ResolverFacts, VNetFacts
from wizard.core.ids import parse_id, same_id


def resolver_client(ctx: SetupContext, subscription: str) -> Any:
    """The DNS resolver management client of `subscription`, built and cached like the factory's other clients.
    (ClientFactory has no method for it yet: `dnsresolver()` there would be the tidy home for this.)"""
    factory = ctx.factory

    def build() -> Any:
        from azure.mgmt.dnsresolver import DnsResolverManagementClient

        return DnsResolverManagementClient(factory.credential(), subscription, **factory._kwargs())

    return factory._get("dnsresolver", subscription, build)


def agent_vnet_facts(ctx: SetupContext) -> list[VNetFacts]:
    """The agents' VNets' facts, the endpoint's VNet first; an extra VNet that cannot be read is left out (step 1
    reports it)."""
    out: list[VNetFacts] = []
    own = ctx.vnet()
    for vid in ctx.agent_vnet_ids():
        if same_id(vid, own.id):
            info = own
        else:
            try:
                info = ctx.memo(f"vnet:{vid.lower()}", partial(ctx.read_vnet, vid))
            except LookupProblem:
                continue
        if info.network is not None:
            out.append(info.network)
    return out


def read_resolvers(ctx: SetupContext, subscriptions: list[str]) -> tuple[list[ResolverFacts], list[str]]:
    """The DNS Private Resolvers in `subscriptions` with their inbound endpoint IPs, and what could not be read."""
    from azure.core.exceptions import HttpResponseError

    found: list[ResolverFacts] = []
    warnings: list[str] = []
    for sub in subscriptions:
        client = resolver_client(ctx, sub)
        try:
            for r in client.dns_resolvers.list():
                rg = parse_id(r.id or "").get("resource_group", "")
                ips = tuple(cfg.private_ip_address for ep in client.inbound_endpoints.list(rg, r.name)
                            for cfg in (ep.ip_configurations or []) if cfg.private_ip_address)
                vnet = r.virtual_network.id if r.virtual_network is not None else ""
                found.append(ResolverFacts(id=r.id or "", name=r.name or "", vnet_id=vnet, inbound_ips=ips))
        except HttpResponseError as exc:
            if not refused(exc):
                raise
            warnings.append(f"DNS Private Resolvers in subscription {sub} were not looked for: your account may not "
                            "list them (Reader on the subscription allows it), so a custom DNS server that is a "
                            "resolver's inbound endpoint is treated as one Azure cannot see.")
    return found, warnings


def network_facts(ctx: SetupContext) -> NetworkFacts:
    """The agents' VNets' DNS servers and peerings, and the resolvers when some VNet uses custom DNS servers."""
    return ctx.memo("network_facts", lambda: _read(ctx))


def _read(ctx: SetupContext) -> NetworkFacts:
    vnets = agent_vnet_facts(ctx)
    custom = [v for v in vnets if v.dns_servers and v.dns_servers[0] != AZURE_DNS]
    if not custom:
        return NetworkFacts(vnets=vnets)
    subs: list[str] = []
    for v in custom:
        sub = parse_id(v.id).get("subscription", ctx.subscription)
        if sub.lower() not in (s.lower() for s in subs):
            subs.append(sub)
    resolvers, warnings = read_resolvers(ctx, subs)
    return NetworkFacts(vnets=vnets, resolvers=resolvers, warnings=warnings)
