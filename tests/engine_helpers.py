"""Helpers for tests that drive the product's engine against the sandbox (imported by test modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wizard.core.azure import ClientFactory
from wizard.core.config import SetupConfig
from wizard.core.record import RecordStore
from wizard.core.settings import AzureSettings
from wizard.engine import ApprovalPolling, Engine
from wizard.sandbox.server import Sandbox

RG = "rg-aks-prod"
VNET = "vnet-aks-prod"
SUBNET = "snet-private-endpoints"


def sandbox_settings(sb: Sandbox, **extra: Any) -> AzureSettings:
    return AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file,
                         polling_interval=0.05, retry_backoff_factor=0.01, **extra)


def demo_config(sb: Sandbox, **changes: Any) -> SetupConfig:
    values: dict[str, Any] = dict(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                  resource_group=RG, vnet=VNET, subnet=SUBNET)
    values.update(changes)
    return SetupConfig(**values)


def make_engine(sb: Sandbox, state: Path | None, config: SetupConfig | None = None, **kw: Any) -> Engine:
    factory = ClientFactory(sandbox_settings(sb))
    store = RecordStore(state) if state is not None else None
    kw.setdefault("approval", ApprovalPolling(first=0.05, longest=0.2, factor=1.5, timeout=kw.pop("approval_timeout",
                                                                                                   5.0)))
    return Engine(config or demo_config(sb), factory, store, **kw)


def vnet_id(sb: Sandbox, rg: str, name: str) -> str:
    return f"/subscriptions/{sb.subscription_id}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"


def states(result_or_plans: Any) -> dict[str, str]:
    if hasattr(result_or_plans, "outcomes"):
        return {k: o.state.value for k, o in result_or_plans.outcomes.items()}
    return {p.step: p.state.value for p in result_or_plans}


def world_summary(sdk: Any) -> dict[str, Any]:
    """What exists in the sandbox, read through the real SDK: for convergence checks."""
    pes = list(sdk.network.private_endpoints.list_by_subscription())
    nics = [n for n in sdk.network.network_interfaces.list_all() if n.private_endpoint is not None]
    zones = [z for z in sdk.dns.private_zones.list() if z.name == "external.astronomer.run"]
    links, records = [], []
    for z in zones:
        rg = z.id.split("/")[4]
        links += list(sdk.dns.virtual_network_links.list(rg, z.name))
        records += [r for r in sdk.dns.record_sets.list_by_type(rg, z.name, "A")]
    return {"pes": pes, "nics": nics, "zones": zones, "links": links, "records": records}
