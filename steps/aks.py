"""The AKS cluster that runs the Remote Execution Agents: read it, and derive from it where the endpoint goes.

Customers know their cluster, not always its VNet. A managed cluster's node pools carry `vnetSubnetID` (and
`podSubnetID` with Azure CNI's dynamic pod IPs); a cluster created without them runs in a VNet AKS manages itself,
named `aks-vnet-<digits>`, in the cluster's node resource group (REST spec ManagedClusters examples; MicrosoftDocs
azure-docs articles/aks/concepts-network.md). `derive_vnets` is the pure decision (table-driven tests in
tests/test_aks_derive.py); `read_cluster`, `list_clusters` and `cluster_vnets` read through ARM with
azure-mgmt-containerservice, imported lazily by the client factory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.core.azure import ClientFactory
from wizard.core.ids import name_of, parse_id

MC_TYPE = "Microsoft.ContainerService/managedClusters"
MANAGED_VNET_PREFIX = "aks-vnet-"


def _as_dict(model: Any) -> dict[str, Any]:
    """An SDK model (a MutableMapping in azure-mgmt-containerservice 41) or a dict, as ARM JSON."""
    if isinstance(model, dict):
        return model
    as_dict = getattr(model, "as_dict", None)
    if callable(as_dict):
        data = as_dict()
        if isinstance(data, dict) and ("properties" in data or "id" in data):
            return data
    return {k: model[k] for k in model}


def _vnet_of(subnet_id: str) -> str:
    return subnet_id.split("/subnets/")[0] if "/subnets/" in subnet_id.lower() else subnet_id


@dataclass(frozen=True)
class NodePool:
    name: str
    vnet_subnet_id: str | None = None
    pod_subnet_id: str | None = None


@dataclass(frozen=True)
class ClusterInfo:
    """What the tool needs of a managed cluster (read from its ARM body)."""

    id: str
    name: str
    resource_group: str
    subscription_id: str
    location: str
    kubernetes_version: str = ""
    private: bool = False
    run_command_disabled: bool = False
    aad_managed: bool = False
    local_accounts_disabled: bool = False
    power_state: str = "Running"
    node_resource_group: str = ""
    pools: tuple[NodePool, ...] = ()

    @classmethod
    def from_arm(cls, body: Any) -> ClusterInfo:
        data = _as_dict(body)
        props = data.get("properties") or {}
        cid = str(data.get("id", ""))
        parts = cid.strip("/").split("/")
        pools = tuple(NodePool(str(p.get("name", "")), p.get("vnetSubnetID") or None, p.get("podSubnetID") or None)
                      for p in props.get("agentPoolProfiles") or [])
        access = props.get("apiServerAccessProfile") or {}
        power = props.get("powerState") or {}
        return cls(id=cid, name=str(data.get("name") or name_of(cid)),
                   resource_group=parts[3] if len(parts) > 3 else "", subscription_id=parts[1] if len(parts) > 1
                   else "", location=str(data.get("location", "")),
                   kubernetes_version=str(props.get("currentKubernetesVersion") or props.get("kubernetesVersion")
                                          or ""),
                   private=bool(access.get("enablePrivateCluster")),
                   run_command_disabled=bool(access.get("disableRunCommand")),
                   aad_managed=bool((props.get("aadProfile") or {}).get("managed")),
                   local_accounts_disabled=bool(props.get("disableLocalAccounts")),
                   power_state=str(power.get("code") or "Running"),
                   node_resource_group=str(props.get("nodeResourceGroup") or ""), pools=pools)


@dataclass
class Derivation:
    """The VNets a cluster's agents run in, and how the tool knows (said in plan and on screen)."""

    vnet_ids: list[str] = field(default_factory=list)
    source: str = ""
    managed: bool = False
    problem: str | None = None


def derive_vnets(cluster: ClusterInfo, managed_vnet_ids: Sequence[str] = ()) -> Derivation:
    """The VNets of `cluster`: every VNet of its node pools' node and pod subnets, in pool order; with no subnet on
    any pool, the `aks-vnet-*` VNet of `managed_vnet_ids` (the VNets of its node resource group). Pure."""
    vnets: list[str] = []
    where: list[str] = []
    for pool in cluster.pools:
        for kind, subnet in (("nodes", pool.vnet_subnet_id), ("pods", pool.pod_subnet_id)):
            if not subnet:
                continue
            vnet = _vnet_of(subnet)
            where.append(f"{pool.name} {kind}: {name_of(vnet)}/{name_of(subnet)}")
            if vnet.lower() not in (v.lower() for v in vnets):
                vnets.append(vnet)
    if vnets:
        many = " (its node pools are in several VNets: every one is linked)" if len(vnets) > 1 else ""
        return Derivation(vnets, f"from AKS cluster {cluster.name}'s node pools ({'; '.join(where)}){many}")
    managed = [v for v in managed_vnet_ids if name_of(v).lower().startswith(MANAGED_VNET_PREFIX)]
    if managed:
        return Derivation([managed[0]], f"from AKS cluster {cluster.name}: AKS manages its VNet, "
                                        f"{name_of(managed[0])} in node resource group {cluster.node_resource_group}",
                          managed=True)
    return Derivation([], "", problem=(
        f"AKS cluster {cluster.name} names no subnet on its node pools and its node resource group "
        f"{cluster.node_resource_group or '(none)'} holds no {MANAGED_VNET_PREFIX}* VNet: give [endpoint] vnet."))


def cluster_ref(ref: str, subscription_id: str, resource_group: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of `[aks] cluster`: a name in `resource_group`, or a full resource id."""
    if ref.startswith("/"):
        parsed = parse_id(ref)
        sub = parsed.get("subscription") or subscription_id
        return str(sub), str(parsed.get("resource_group") or resource_group), name_of(ref)
    return subscription_id, resource_group, ref


def read_cluster(factory: ClientFactory, subscription_id: str, resource_group: str, name: str) -> ClusterInfo:
    client = factory.containerservice(subscription_id)
    return ClusterInfo.from_arm(client.managed_clusters.get(resource_group, name))


def list_clusters(factory: ClientFactory, subscription_id: str) -> list[ClusterInfo]:
    """Every managed cluster of the subscription (all pages), sorted by name."""
    client = factory.containerservice(subscription_id)
    return sorted((ClusterInfo.from_arm(mc) for mc in client.managed_clusters.list()), key=lambda c: c.name.lower())


def managed_vnets(factory: ClientFactory, cluster: ClusterInfo) -> list[str]:
    """The VNets in the cluster's node resource group (where AKS keeps the VNet it manages)."""
    if not cluster.node_resource_group:
        return []
    network = factory.network(cluster.subscription_id)
    return [str(v.id) for v in network.virtual_networks.list(cluster.node_resource_group)]


def cluster_vnets(factory: ClientFactory, cluster: ClusterInfo) -> Derivation:
    """`derive_vnets`, reading the node resource group only when no node pool names a subnet."""
    first = derive_vnets(cluster)
    if first.vnet_ids:
        return first
    return derive_vnets(cluster, managed_vnets(factory, cluster))
