"""Which VNets an AKS cluster's agents run in (`steps.aks.derive_vnets`, pure; rows in tests/aks_cases/derive.json),
and the same derivation read through ARM from the sandbox's clusters (managed VNet, two VNets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import sandbox_settings

from steps.aks import ClusterInfo, NodePool, cluster_ref, cluster_vnets, derive_vnets, list_clusters, read_cluster
from wizard.core.azure import ClientFactory

ROWS = json.loads((Path(__file__).parent / "aks_cases" / "derive.json").read_text())


def _cluster(pools: list[dict]) -> ClusterInfo:
    return ClusterInfo(id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks",
                       name="aks", resource_group="rg", subscription_id="s", location="eastus2",
                       node_resource_group="MC_rg_aks_eastus2",
                       pools=tuple(NodePool(p["name"], p.get("vnetSubnetID"), p.get("podSubnetID")) for p in pools))


@pytest.mark.parametrize("row", ROWS, ids=[r["case"] for r in ROWS])
def test_derive_vnets(row: dict) -> None:
    got = derive_vnets(_cluster(row["pools"]), row["managed"])
    assert got.vnet_ids == row["want"]
    assert got.managed is row["is_managed"]
    for text in row.get("source_has", []):
        assert text in got.source
    if row.get("problem_has"):
        assert got.problem and all(t in got.problem for t in row["problem_has"])
    else:
        assert got.problem is None


def test_cluster_ref_takes_a_name_or_an_id() -> None:
    assert cluster_ref("aks-prod", "s", "rg") == ("s", "rg", "aks-prod")
    rid = "/subscriptions/t/resourceGroups/other/providers/Microsoft.ContainerService/managedClusters/aks-x"
    assert cluster_ref(rid, "s", "rg") == ("t", "other", "aks-x")


@pytest.fixture
def aks_world(sandbox_server: Any) -> Any:
    sb = sandbox_server
    sb.reset("aks")
    yield sb
    sb.reset("demo")


def test_sandbox_clusters_derive_the_right_vnets(aks_world: Any) -> None:
    sb = aks_world
    factory = ClientFactory(sandbox_settings(sb))
    sub = sb.subscription_id
    managed = cluster_vnets(factory, read_cluster(factory, sub, "rg-aks-dev", "aks-dev"))
    assert managed.managed and managed.vnet_ids == [
        f"/subscriptions/{sub}/resourceGroups/MC_rg-aks-dev_aks-dev_eastus2/providers/Microsoft.Network/"
        "virtualNetworks/aks-vnet-31415926"]
    split = cluster_vnets(factory, read_cluster(factory, sub, "rg-aks-prod", "aks-split"))
    assert [v.rsplit("/", 1)[-1] for v in split.vnet_ids] == ["vnet-aks-prod", "vnet-hub"]
    demo = cluster_vnets(factory, read_cluster(factory, sub, "rg-aks-prod", "aks-prod"))
    assert [v.rsplit("/", 1)[-1] for v in demo.vnet_ids] == ["vnet-aks-prod"]


def test_sandbox_lists_clusters_across_pages(aks_world: Any) -> None:
    sb = aks_world
    sb.knobs.page_size = 2   # six clusters: three pages, followed through nextLink
    factory = ClientFactory(sandbox_settings(sb))
    clusters = list_clusters(factory, sb.subscription_id)
    assert [c.name for c in clusters] == ["aks-dev", "aks-locked", "aks-prod", "aks-split", "aks-stopped", "aks-weu"]
    locked = next(c for c in clusters if c.name == "aks-locked")
    assert locked.private and locked.run_command_disabled
    weu = next(c for c in clusters if c.name == "aks-weu")
    assert weu.aad_managed and weu.local_accounts_disabled and weu.location == "westeurope"
    assert next(c for c in clusters if c.name == "aks-stopped").power_state == "Stopped"
    assert all(c.kubernetes_version for c in clusters)
