"""AKS managed clusters for the seed worlds: the demo's cluster on the demo's VNet, and (world "aks") the shapes
a customer's estate has: a cluster whose VNet AKS manages in its node resource group, a private cluster with run
command disabled, an AAD cluster with local accounts disabled, a cluster with node pools in two VNets, a stopped one.

Bodies follow the REST spec's examples (Azure/azure-rest-api-specs, specification/containerservice/
resource-manager/Microsoft.ContainerService/aks/stable/2025-10-01/examples/ManagedClustersGet.json,
ManagedClustersList.json, ManagedClustersCreate_DisableRunCommand.json, ManagedClustersCreate_PrivateClusterFQDN
Subdomain.json): `type` "Microsoft.ContainerService/ManagedClusters", `properties.agentPoolProfiles[]` with
`vnetSubnetID` (absent when AKS manages the VNet) and `podSubnetID`, `nodeResourceGroup` `MC_<rg>_<name>_<region>`,
`powerState.code`. An AKS-managed VNet is named `aks-vnet-<8 digits>` with subnet `aks-subnet` in the node resource
group (MicrosoftDocs/azure-docs, articles/aks/configure-kubenet.md and concepts-network.md).

Note: AKS documents that all node pools of a cluster use subnets of one VNet; the two-VNet cluster is kept because the
tool must handle what a GET can return (a pod subnet elsewhere, or a cluster changed behind AKS's back), and the
issue asks for it.
"""

from __future__ import annotations

from wizard.sandbox.world import T_MC, World, rg_id

DEMO_AKS = "aks-prod"
K8S_VERSION = "1.33.2"


def cluster_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{T_MC}/{name}"


def add_cluster(world: World, sub: str, rg: str, name: str, location: str, pools: list[dict], *,
                private: bool = False, disable_run_command: bool = False, aad: bool = False,
                disable_local_accounts: bool = False, power: str = "Running", node_rg: str | None = None) -> str:
    """A managed cluster; `pools` are agentPoolProfiles entries (name, and vnetSubnetID / podSubnetID when set)."""
    cid = cluster_id(sub, rg, name)
    node_rg = node_rg or f"MC_{rg}_{name}_{location}"
    profiles = [{"count": 3, "vmSize": "Standard_D4s_v5", "maxPods": 110, "osType": "Linux", "type":
                 "VirtualMachineScaleSets", "mode": "System" if i == 0 else "User", "provisioningState": "Succeeded",
                 "orchestratorVersion": K8S_VERSION, "currentOrchestratorVersion": K8S_VERSION,
                 "powerState": {"code": power}, **pool} for i, pool in enumerate(pools)]
    props: dict = {
        "provisioningState": "Succeeded", "powerState": {"code": power}, "kubernetesVersion": K8S_VERSION,
        "currentKubernetesVersion": K8S_VERSION, "dnsPrefix": f"{name}-dns", "agentPoolProfiles": profiles,
        "nodeResourceGroup": node_rg, "enableRBAC": True, "disableLocalAccounts": disable_local_accounts,
        "networkProfile": {"networkPlugin": "azure", "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10",
                           "outboundType": "loadBalancer", "loadBalancerSku": "standard"},
        "apiServerAccessProfile": {"enablePrivateCluster": private, "disableRunCommand": disable_run_command},
    }
    if private:
        props["privateFQDN"] = f"{name}-dns-3f1a2b4c.6d1e0f9a-privatelink.{location}.azmk8s.io"
    else:
        props["fqdn"] = f"{name}-dns-3f1a2b4c.hcp.{location}.azmk8s.io"
    if aad:
        props["aadProfile"] = {"managed": True, "enableAzureRBAC": True, "tenantID": world.tenant_id}
    world.add(T_MC, cid, {"location": location, "tags": {}, "type": T_MC, "sku": {"name": "Base", "tier": "Free"},
                          "identity": {"type": "SystemAssigned"}, "properties": props})
    return cid


def add_demo_cluster(world: World, sub: str, aks_vnet_id: str) -> str:
    """The demo's cluster: one node pool on the demo VNet's node subnet (where the agents run)."""
    return add_cluster(world, sub, "rg-aks-prod", DEMO_AKS, "eastus2",
                       [{"name": "system", "vnetSubnetID": f"{aks_vnet_id}/subnets/snet-aks-nodes"}])


MANAGED_NODE_RG = "MC_rg-aks-dev_aks-dev_eastus2"


def add_aks_estate(world: World, sub: str) -> None:
    """The other cluster shapes (world "aks"), in the demo's VNets; the caller has made resource group rg-aks-dev,
    the AKS-managed VNet `aks-vnet-31415926` in MANAGED_NODE_RG and aks-split's pod subnet (seeds.aks_world)."""
    aks_rg, hub_rg, weu_rg = rg_id(sub, "rg-aks-prod"), rg_id(sub, "rg-network-hub"), rg_id(sub, "rg-agents-weu")
    aks_vnet = f"{aks_rg}/providers/Microsoft.Network/virtualNetworks/vnet-aks-prod"
    hub_vnet = f"{hub_rg}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    weu_vnet = f"{weu_rg}/providers/Microsoft.Network/virtualNetworks/vnet-agents-weu"

    # AKS-managed VNet (kubenet-style default): no vnetSubnetID; the VNet lives in the node resource group.
    add_cluster(world, sub, "rg-aks-dev", "aks-dev", "eastus2", [{"name": "nodepool1"}], node_rg=MANAGED_NODE_RG)

    # Private, run command disabled.
    add_cluster(world, sub, "rg-network-hub", "aks-locked", "eastus2",
                [{"name": "system", "vnetSubnetID": f"{hub_vnet}/subnets/snet-shared"}], private=True,
                disable_run_command=True)
    # AAD-managed, local accounts disabled (run command needs the caller's token for the AKS AAD server app).
    add_cluster(world, sub, "rg-agents-weu", "aks-weu", "westeurope",
                [{"name": "system", "vnetSubnetID": f"{weu_vnet}/subnets/snet-aks-agents"}], aad=True,
                disable_local_accounts=True)
    # Node pools in two VNets, and a pod subnet.
    add_cluster(world, sub, "rg-aks-prod", "aks-split", "eastus2",
                [{"name": "system", "vnetSubnetID": f"{aks_vnet}/subnets/snet-aks-nodes",
                  "podSubnetID": f"{aks_vnet}/subnets/snet-aks-pods"},
                 {"name": "batch", "vnetSubnetID": f"{hub_vnet}/subnets/snet-shared",
                  "podSubnetID": f"{hub_vnet}/subnets/snet-shared"}])
    # Stopped.
    add_cluster(world, sub, "rg-aks-prod", "aks-stopped", "eastus2",
                [{"name": "system", "vnetSubnetID": f"{aks_vnet}/subnets/snet-aks-nodes"}], power="Stopped")
