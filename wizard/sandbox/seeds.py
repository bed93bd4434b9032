"""Seed worlds for the sandbox: "demo" (a small, realistic AKS estate) and "large" (demo plus 5,000 VNets).

Every address space is inside 127.0.0.0/8 (loopback). A private endpoint's IP comes from its subnet, and
the sandbox's Astro endpoint really listens on that IP; this machine's network forbids traffic to any
non-loopback private or public address, so only loopback addresses are actually reachable here.
"""

from __future__ import annotations

import ipaddress
import time

from wizard.sandbox.aks_seeds import MANAGED_NODE_RG, add_aks_estate, add_demo_cluster
from wizard.sandbox.roles import CONTRIBUTOR, NETWORK_CONTRIBUTOR, PRIVATE_DNS_ZONE_CONTRIBUTOR, RoleAssignment
from wizard.sandbox.world import (
    T_NSG,
    T_PEERING,
    T_SUBNET,
    T_VNET,
    Alias,
    Location,
    Subscription,
    World,
    new_etag,
    rg_id,
)

SUBSCRIPTION_ID = "7d2c4a1e-5b8f-4c3d-9e6a-2f1b0c8d4e73"
TENANT_ID = "3f9e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b"
SUBSCRIPTION_NAME = "Contoso Data Platform - Production"
ALIAS_GUID = "5e1f9c2a-8b3d-4f6e-a7c0-9d2b4e6f8a1c"
DEMO_ALIAS = f"astro-re-pls.{ALIAS_GUID}.eastus2.azure.privatelinkservice"
# Known to the world but not visible to the demo subscription (for "not visible" paths).
HIDDEN_ALIAS = "astro-other-pls.0b7e2d4c-1a3f-4e5d-9c8b-7a6f5e4d3c2b.westeurope.azure.privatelinkservice"
DEMO_CLUSTER_ID = "clmh597sg000208lb2kjhcn8q"
# The signed-in principal (the `oid` claim of the sandbox's token).
PRINCIPAL_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
# A second subscription in the same tenant (world "two-subscriptions"): the demo's names again, elsewhere.
SECOND_SUBSCRIPTION_ID = "2b8e6f14-0c3d-4a9e-b7f5-6d1c9e0a3f58"
SECOND_SUBSCRIPTION_NAME = "Contoso Data Platform - Staging"

LOCATIONS = [
    Location("eastus2", "East US 2", "(US) East US 2", "US", "Virginia", "36.6681", "-78.3889", "centralus"),
    Location("eastus", "East US", "(US) East US", "US", "Virginia", "37.3719", "-79.8164", "westus"),
    Location("centralus", "Central US", "(US) Central US", "US", "Iowa", "41.5908", "-93.6208", "eastus2"),
    Location("westus2", "West US 2", "(US) West US 2", "US", "Washington", "47.233", "-119.852", "westcentralus"),
    Location("westeurope", "West Europe", "(Europe) West Europe", "Europe", "Netherlands", "52.3667", "4.9",
             "northeurope"),
    Location("northeurope", "North Europe", "(Europe) North Europe", "Europe", "Ireland", "53.3478", "-6.2597",
             "westeurope"),
]

_DEFAULT_RULES = [  # (name, direction, priority, access, source, destination, description)
    ("AllowVnetInBound", "Inbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork",
     "Allow inbound traffic from all VMs in VNET"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "Allow", "AzureLoadBalancer", "*",
     "Allow inbound traffic from azure load balancer"),
    ("DenyAllInBound", "Inbound", 65500, "Deny", "*", "*", "Deny all inbound traffic"),
    ("AllowVnetOutBound", "Outbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork",
     "Allow outbound traffic from all VMs to all VMs in VNET"),
    ("AllowInternetOutBound", "Outbound", 65001, "Allow", "*", "Internet",
     "Allow outbound traffic from all VMs to Internet"),
    ("DenyAllOutBound", "Outbound", 65500, "Deny", "*", "*", "Deny all outbound traffic"),
]


def default_security_rules(nsg_id: str) -> list[dict]:
    """The six default rules every real NSG carries."""
    return [{
        "id": f"{nsg_id}/defaultSecurityRules/{name}", "name": name, "etag": new_etag(),
        "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
        "properties": {"provisioningState": "Succeeded", "description": desc, "protocol": "*",
                       "sourcePortRange": "*", "destinationPortRange": "*", "sourceAddressPrefix": src,
                       "destinationAddressPrefix": dst, "access": access, "priority": prio,
                       "direction": direction, "sourcePortRanges": [], "destinationPortRanges": [],
                       "sourceAddressPrefixes": [], "destinationAddressPrefixes": []},
    } for name, direction, prio, access, src, dst, desc in _DEFAULT_RULES]


def add_vnet(world: World, sub: str, rg: str, name: str, location: str, prefixes: list[str],
             tags: dict | None = None, dns_servers: list[str] | None = None) -> str:
    """A VNet; `dns_servers` are its custom DNS servers (dhcpOptions.dnsServers; none: Azure-provided DNS)."""
    vnet_id = f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{name}"
    world.add(T_VNET, vnet_id, {
        "location": location, "tags": tags or {}, "etag": new_etag(),
        "properties": {"resourceGuid": _guid(vnet_id), "addressSpace": {"addressPrefixes": list(prefixes)},
                       "dhcpOptions": {"dnsServers": list(dns_servers or [])},
                       "enableDdosProtection": False, "virtualNetworkPeerings": [],
                       "privateEndpointVNetPolicies": "Disabled"}})
    return vnet_id


def add_subnet(world: World, vnet_id: str, name: str, prefix: str, nsg_id: str | None = None, *,
               delegation: str | None = None, endpoint_policies: str = "Disabled") -> str:
    """A subnet; `delegation` is a service name such as Microsoft.ContainerService/managedClusters (what AKS puts
    on a pod subnet with dynamic IP allocation: MicrosoftDocs/azure-docs#103167)."""
    subnet_id = f"{vnet_id}/subnets/{name}"
    props: dict = {"addressPrefix": prefix, "delegations": [], "privateEndpointNetworkPolicies": endpoint_policies,
                   "privateLinkServiceNetworkPolicies": "Enabled"}
    if delegation:
        # Shape of a subnet delegation in a GET (REST spec virtualNetwork.json, Delegation / ServiceDelegation).
        props["delegations"] = [{
            "id": f"{subnet_id}/delegations/{delegation.replace('/', '.')}", "name": delegation.replace("/", "."),
            "etag": new_etag(), "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
            "properties": {"provisioningState": "Succeeded", "serviceName": delegation,
                           "actions": ["Microsoft.Network/virtualNetworks/subnets/join/action"]}}]
    if nsg_id:
        props["networkSecurityGroup"] = {"id": nsg_id}
    world.add(T_SUBNET, subnet_id, {"etag": new_etag(), "type": T_SUBNET, "properties": props})
    return subnet_id


def fill_subnet(world: World, subnet_id: str, count: int | None = None, owner: str = "aks-nodepool1-vmss") -> int:
    """Take `count` addresses of a subnet (all that are free when None) for NICs the sandbox does not model, as an
    Azure CNI node pool does with its pods' IPs: the subnet then lists their IP configurations (VMSS NIC ids) and
    allocates nothing from them. Returns how many were taken."""
    subnet = world.get(subnet_id)
    assert subnet is not None
    net = ipaddress.ip_network(subnet.props["addressPrefix"], strict=False)
    used = world.ip_used.setdefault(subnet.key, set())
    parts = subnet_id.split("/")
    vmss = f"/subscriptions/{parts[2]}/resourceGroups/MC_{parts[4]}/providers/Microsoft.Compute/" \
           f"virtualMachineScaleSets/{owner}"
    configs = subnet.props.setdefault("ipConfigurations", [])
    taken = 0
    for value in range(int(net.network_address) + 4, int(net.broadcast_address)):
        if count is not None and taken >= count:
            break
        ip = str(ipaddress.ip_address(value))
        if ip in used:
            continue
        used.add(ip)
        configs.append({"id": f"{vmss}/virtualMachines/{taken // 30}/networkInterfaces/{owner}/ipConfigurations/"
                              f"ipconfig{taken % 30 + 1}"})
        taken += 1
    return taken


def add_nsg(world: World, sub: str, rg: str, name: str, location: str) -> str:
    nsg_id = f"{rg_id(sub, rg)}/providers/Microsoft.Network/networkSecurityGroups/{name}"
    world.add(T_NSG, nsg_id, {
        "location": location, "tags": {}, "etag": new_etag(),
        "properties": {"resourceGuid": _guid(nsg_id), "defaultSecurityRules": default_security_rules(nsg_id)}})
    return nsg_id


def _guid(seed: str) -> str:
    import uuid
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed.lower()))


def peer(world: World, a: str, b: str, *, forwarded: bool = True) -> None:
    """Peer VNets `a` and `b` both ways, as a hub-and-spoke network is: a peering on each side, both Connected and
    fully in sync (what `arm/peering.py` makes of two PUTs; seeds write the end state directly)."""
    for local, remote in ((a, b), (b, a)):
        name = f"peer-{local.rsplit('/', 1)[-1]}-to-{remote.rsplit('/', 1)[-1]}"
        world.add(T_PEERING, f"{local}/virtualNetworkPeerings/{name}", {
            "etag": new_etag(), "type": T_PEERING, "properties": {
                "allowVirtualNetworkAccess": True, "allowForwardedTraffic": forwarded, "allowGatewayTransit": False,
                "useRemoteGateways": False, "remoteVirtualNetwork": {"id": remote},
                "peeringState": "Connected", "peeringSyncLevel": "FullyInSync"}})


def demo_world() -> World:
    """One subscription in eastus2 / westeurope with three resource groups and an Astro alias."""
    world = World(tenant_id=TENANT_ID, demo_alias=DEMO_ALIAS, demo_cluster_id=DEMO_CLUSTER_ID)
    world.add_subscription(Subscription(SUBSCRIPTION_ID, SUBSCRIPTION_NAME, TENANT_ID))
    world.locations = list(LOCATIONS)
    sub = SUBSCRIPTION_ID
    world.add_group(sub, "rg-aks-prod", "eastus2", {"env": "prod", "owner": "data-platform"})
    world.add_group(sub, "rg-network-hub", "eastus2", {"env": "prod"})
    world.add_group(sub, "rg-agents-weu", "westeurope", {"env": "prod"})

    nsg = add_nsg(world, sub, "rg-aks-prod", "nsg-aks-nodes", "eastus2")
    aks = add_vnet(world, sub, "rg-aks-prod", "vnet-aks-prod", "eastus2", ["127.20.0.0/16"])
    add_subnet(world, aks, "snet-aks-nodes", "127.20.0.0/20", nsg)
    add_subnet(world, aks, "snet-private-endpoints", "127.20.16.0/24")
    hub = add_vnet(world, sub, "rg-network-hub", "vnet-hub", "eastus2", ["127.21.0.0/16"])
    add_subnet(world, hub, "snet-shared", "127.21.0.0/24")
    add_subnet(world, hub, "snet-endpoints", "127.21.1.0/24")
    weu = add_vnet(world, sub, "rg-agents-weu", "vnet-agents-weu", "westeurope", ["127.30.0.0/16"])
    add_subnet(world, weu, "snet-aks-agents", "127.30.0.0/20")
    add_subnet(world, weu, "snet-private-endpoints", "127.30.16.0/24")
    # Hub and spoke, as most networks that buy Private Link are: each agents' VNet is peered with the hub both ways,
    # so an endpoint in any of them can serve the others' agents (the shared-endpoint option of the reference doc).
    peer(world, hub, aks)
    peer(world, hub, weu)

    # One subscription-wide Contributor: what most people who try the tool have.
    world.role_assignments.append(RoleAssignment(PRINCIPAL_ID, CONTRIBUTOR.name, f"/subscriptions/{sub}"))
    world.aliases[DEMO_ALIAS.lower()] = Alias(DEMO_ALIAS, {sub.lower()})
    world.aliases[HIDDEN_ALIAS.lower()] = Alias(HIDDEN_ALIAS, set())
    world.default_dns_vnet_id = aks
    add_demo_cluster(world, sub, aks)   # the AKS cluster the agents run on (aks_seeds.py)
    return world


def aks_world() -> World:
    """The demo world plus the other AKS cluster shapes (`aks_seeds.add_aks_estate`)."""
    world = demo_world()
    sub = SUBSCRIPTION_ID
    world.add_group(sub, "rg-aks-dev", "eastus2", {"env": "dev"})
    world.add_group(sub, MANAGED_NODE_RG, "eastus2", {"aks-managed-cluster-name": "aks-dev",
                                                      "aks-managed-cluster-rg": "rg-aks-dev"})
    managed = add_vnet(world, sub, MANAGED_NODE_RG, "aks-vnet-31415926", "eastus2", ["127.40.0.0/16"])
    add_subnet(world, managed, "aks-subnet", "127.40.0.0/16")
    # aks-split's pod subnet (Azure CNI dynamic IPs): delegated, so no endpoint can go there (MicrosoftDocs#103167).
    aks_vnet = f"{rg_id(sub, 'rg-aks-prod')}/providers/Microsoft.Network/virtualNetworks/vnet-aks-prod"
    add_subnet(world, aks_vnet, "snet-aks-pods", "127.20.32.0/20",
               delegation="Microsoft.ContainerService/managedClusters")
    add_aks_estate(world, sub)
    return world


def add_second_subscription(world: World) -> str:
    """Another subscription of the same tenant with the demo's resource group, VNet and subnet names (other address
    spaces), Contributor on it for the signed-in principal, and the demo alias visible to it. Returns its id."""
    sub = SECOND_SUBSCRIPTION_ID
    world.add_subscription(Subscription(sub, SECOND_SUBSCRIPTION_NAME, world.tenant_id))
    world.add_group(sub, "rg-aks-prod", "eastus2", {"env": "staging"})
    nsg = add_nsg(world, sub, "rg-aks-prod", "nsg-aks-nodes", "eastus2")
    aks = add_vnet(world, sub, "rg-aks-prod", "vnet-aks-prod", "eastus2", ["127.22.0.0/16"])
    add_subnet(world, aks, "snet-aks-nodes", "127.22.0.0/20", nsg)
    add_subnet(world, aks, "snet-private-endpoints", "127.22.16.0/24")
    world.role_assignments.append(RoleAssignment(PRINCIPAL_ID, CONTRIBUTOR.name, f"/subscriptions/{sub}"))
    for alias in world.aliases.values():
        if alias.visible_to:   # visible to the demo subscription: to this one as well
            alias.visible_to.add(sub.lower())
    return sub


def two_subscription_world() -> World:
    """The demo world plus `add_second_subscription`: the same names in two subscriptions of one tenant."""
    world = demo_world()
    add_second_subscription(world)
    return world


# A second tenant the signed-in user is a guest in (world "two-tenants"), with one subscription of its own.
SECOND_TENANT_ID = "8d4c2b1a-7e6f-4a5b-9c8d-0e1f2a3b4c5d"
SECOND_TENANT_NAME, SECOND_TENANT_DOMAIN = "Fabrikam", "fabrikam.onmicrosoft.com"
OTHER_TENANT_SUBSCRIPTION_ID = "5e7a9c1d-3b2f-4d6e-8a0c-9f1b3d5e7a90"


def two_tenant_world() -> World:
    """The demo world plus a subscription in a second tenant (Fabrikam) where the user also has Contributor: it is
    listed, and usable, only with a token for that tenant (arm/access.py); GET /tenants lists both tenants."""
    world = demo_world()
    sub = OTHER_TENANT_SUBSCRIPTION_ID
    world.other_tenants[SECOND_TENANT_ID] = (SECOND_TENANT_NAME, SECOND_TENANT_DOMAIN)
    world.add_subscription(Subscription(sub, "Fabrikam Production", SECOND_TENANT_ID))
    world.add_group(sub, "rg-aks-prod", "eastus2", {"env": "prod"})
    aks = add_vnet(world, sub, "rg-aks-prod", "vnet-aks-prod", "eastus2", ["127.23.0.0/16"])
    add_subnet(world, aks, "snet-aks-nodes", "127.23.0.0/20")
    add_subnet(world, aks, "snet-private-endpoints", "127.23.16.0/24")
    world.role_assignments.append(RoleAssignment(PRINCIPAL_ID, CONTRIBUTOR.name, f"/subscriptions/{sub}"))
    for alias in world.aliases.values():
        if alias.visible_to:
            alias.visible_to.add(sub.lower())
    return world


def large_world(vnets: int = 5000, groups: int = 50) -> World:
    """The demo world plus `vnets` VNets over `groups` resource groups in two regions, two subnets each."""
    world = demo_world()
    sub = SUBSCRIPTION_ID
    base = int(ipaddress.ip_address("127.100.0.0"))   # clear of the demo's 127.20/127.21/127.30
    regions = ("eastus2", "westeurope")
    for g in range(groups):
        world.add_group(sub, f"rg-fleet-{g:02d}", regions[g % 2], {"env": "fleet"})
    for i in range(vnets):
        g = i % groups
        rg, location = f"rg-fleet-{g:02d}", regions[g % 2]
        net = ipaddress.ip_address(base + i * 256)
        vnet = add_vnet(world, sub, rg, f"vnet-fleet-{i:04d}", location, [f"{net}/24"])
        add_subnet(world, vnet, "snet-nodes", f"{net}/25")
        add_subnet(world, vnet, "snet-endpoints", f"{ipaddress.ip_address(base + i * 256 + 128)}/25")
    return world


def huge_world(vnets: int = 50_000, groups: int = 500) -> World:
    """Enterprise scale for the benches (`demo --world huge`): the two-subscription world plus `vnets` VNets over
    `groups` resource groups, half in each subscription, in two regions, one /26 with two /27 subnets each."""
    world = two_subscription_world()
    subs = (SUBSCRIPTION_ID, SECOND_SUBSCRIPTION_ID)
    base = int(ipaddress.ip_address("127.100.0.0"))   # 50,000 /26s end at 127.148.213.0: clear of the demo's
    regions = ("eastus2", "westeurope")
    for g in range(groups):
        world.add_group(subs[g % 2], f"rg-fleet-{g:03d}", regions[g // 2 % 2], {"env": "fleet"})
    for i in range(vnets):
        g = i % groups
        sub, rg, location = subs[g % 2], f"rg-fleet-{g:03d}", regions[g // 2 % 2]
        net = base + i * 64
        vnet = add_vnet(world, sub, rg, f"vnet-fleet-{i:05d}", location, [f"{ipaddress.ip_address(net)}/26"])
        add_subnet(world, vnet, "snet-nodes", f"{ipaddress.ip_address(net)}/27")
        add_subnet(world, vnet, "snet-endpoints", f"{ipaddress.ip_address(net + 32)}/27")
    return world


def minimal_roles(subscription_id: str = SUBSCRIPTION_ID, endpoint_rg: str = "rg-aks-prod",
                  vnet_rg: str | None = None, zone_rg: str | None = None) -> list[tuple[str, str]]:
    """The least-privilege set README's "Roles needed" names, as (role, scope) pairs for the `role_assignments`
    knob: Network Contributor on the endpoint's and the VNet's resource groups, Private DNS Zone Contributor on the
    zone's (the VNet's and the zone's default to the endpoint's). Nothing at subscription scope, no Reader."""
    pairs = [(NETWORK_CONTRIBUTOR.name, rg_id(subscription_id, endpoint_rg))]
    if vnet_rg and vnet_rg.lower() != endpoint_rg.lower():
        pairs.append((NETWORK_CONTRIBUTOR.name, rg_id(subscription_id, vnet_rg)))
    pairs.append((PRIVATE_DNS_ZONE_CONTRIBUTOR.name, rg_id(subscription_id, zone_rg or endpoint_rg)))
    return pairs


WORLDS = {"demo": demo_world, "large": large_world, "two-subscriptions": two_subscription_world,
          "two-tenants": two_tenant_world, "huge": huge_world,
          "aks": aks_world}


def build(name: str) -> World:
    """A fresh world by name (see WORLDS; `worlds.build` also knows the worlds built on these, e.g. "hub-spoke")."""
    try:
        return WORLDS[name]()
    except KeyError:
        raise ValueError(f"unknown sandbox world {name!r}; choose one of {sorted(WORLDS)}") from None


if __name__ == "__main__":  # a quick timing check
    t0 = time.perf_counter()
    w = build("large")
    print(len(w.resources), f"{time.perf_counter() - t0:.3f}s")
