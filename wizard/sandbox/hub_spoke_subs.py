"""The "hub-spoke-subs" seed world: the demo world plus a hub-and-spoke network across three more subscriptions of the
same tenant, as Azure landing zones lay it out (a connectivity subscription holds the hub VNet and the private DNS
zones; each workload has its own spoke subscription):

    Contoso Connectivity (CONNECTIVITY_SUB)
        rg-connectivity-network  vnet-conn-hub 127.50.0.0/16
        rg-connectivity-dns      private DNS zone external.astronomer.run (no links, no records yet)
    Contoso Data Platform - Spoke 1 (SPOKE1_SUB)
        rg-spoke-1  vnet-spoke-1 127.51.0.0/16: snet-aks-agents, snet-private-endpoints
    Contoso Data Platform - Spoke 2 (SPOKE2_SUB)
        rg-spoke-2  vnet-spoke-2 127.52.0.0/16: snet-aks-agents

    peerings (Connected both ways): spoke 1 <-> hub, spoke 2 <-> hub, spoke 1 <-> spoke 2

The signed-in principal has Contributor on every subscription (the tests narrow that per subscription with the
`role_assignments` knob, e.g. Reader only on the connectivity subscription), and the demo alias is visible to the
spokes. Landing zones deny private DNS zones in spokes with a policy (Azure Landing Zones' "Deny-Private-DNS-Zones"
assignment, github.com/Azure/Enterprise-Scale, eslzArm/managementGroupTemplates/policyAssignments); the
`deny_policies` knob models it (`spoke_zone_policy` gives the rule).

The zone body follows what the sandbox's own PUT stores (arm/private_dns.py put_zone: location global, an SOA record
set, internalId), which follows specification/privatedns privatedns.json 2024-06-01 (PrivateZone, RecordSet).
"""

from __future__ import annotations

import base64

from wizard.sandbox.hub_spoke import peer
from wizard.sandbox.roles import CONTRIBUTOR, RoleAssignment
from wizard.sandbox.seeds import PRINCIPAL_ID, add_subnet, add_vnet, demo_world
from wizard.sandbox.world import T_ZONE, Subscription, World, new_etag, rg_id

CONNECTIVITY_SUB = "c0a1e2d3-4b5c-4d6e-8f70-81a2b3c4d5e6"
SPOKE1_SUB = "51a2b3c4-d5e6-4f70-8a1b-2c3d4e5f6a71"
SPOKE2_SUB = "52b3c4d5-e6f7-4a81-9b2c-3d4e5f6a7b82"
CONNECTIVITY_NAME = "Contoso Connectivity"
SPOKE1_NAME, SPOKE2_NAME = "Contoso Data Platform - Spoke 1", "Contoso Data Platform - Spoke 2"
HUB_NET_RG, HUB_DNS_RG = "rg-connectivity-network", "rg-connectivity-dns"
SPOKE1_RG, SPOKE2_RG = "rg-spoke-1", "rg-spoke-2"
ZONE_NAME = "external.astronomer.run"


def vnet(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{name}"


HUB_VNET = vnet(CONNECTIVITY_SUB, HUB_NET_RG, "vnet-conn-hub")
SPOKE1_VNET = vnet(SPOKE1_SUB, SPOKE1_RG, "vnet-spoke-1")
SPOKE2_VNET = vnet(SPOKE2_SUB, SPOKE2_RG, "vnet-spoke-2")
HUB_ZONE = f"{rg_id(CONNECTIVITY_SUB, HUB_DNS_RG)}/providers/{T_ZONE}/{ZONE_NAME}"


def spoke_zone_policy(sub: str) -> dict:
    """A `deny_policies` rule: no private DNS zone in subscription `sub` (what landing zones assign to spokes)."""
    return {"scope": f"/subscriptions/{sub}", "type": T_ZONE, "assignment": "Deny-Private-DNS-Zones",
            "assignment_display": "Deny the creation of private DNS", "definition": "Deny-Private-DNS-Zones",
            "message": "Private DNS zones are managed centrally in the connectivity subscription."}


def add_zone(world: World, zone_id: str) -> None:
    """An existing private DNS zone with only its SOA record set (as the platform team leaves it)."""
    name = zone_id.rsplit("/", 1)[-1]
    world.add(T_ZONE, zone_id, {
        "location": "global", "tags": {}, "etag": new_etag(weak=False),
        "properties": {"internalId": base64.b64encode(f"{T_ZONE}/{name}/seed".encode()).decode()}})
    world.add(f"{T_ZONE}/SOA", f"{zone_id}/SOA/@", {"etag": new_etag(weak=False), "properties": {
        "ttl": 3600, "fqdn": f"{name}.", "isAutoRegistered": False, "metadata": {},
        "soaRecord": {"email": "azureprivatedns-host.microsoft.com", "expireTime": 2419200,
                      "host": "azureprivatedns.net", "minimumTtl": 10, "refreshTime": 3600, "retryTime": 300,
                      "serialNumber": 1}}})


def hub_spoke_subs_world() -> World:
    """The demo world plus the connectivity subscription and two spoke subscriptions described above."""
    world = demo_world()
    for sub, name in ((CONNECTIVITY_SUB, CONNECTIVITY_NAME), (SPOKE1_SUB, SPOKE1_NAME), (SPOKE2_SUB, SPOKE2_NAME)):
        world.add_subscription(Subscription(sub, name, world.tenant_id))
        world.role_assignments.append(RoleAssignment(PRINCIPAL_ID, CONTRIBUTOR.name, f"/subscriptions/{sub}"))
    world.add_group(CONNECTIVITY_SUB, HUB_NET_RG, "eastus2", {"env": "prod"})
    world.add_group(CONNECTIVITY_SUB, HUB_DNS_RG, "eastus2", {"env": "prod"})
    world.add_group(SPOKE1_SUB, SPOKE1_RG, "eastus2", {"env": "prod"})
    world.add_group(SPOKE2_SUB, SPOKE2_RG, "eastus2", {"env": "prod"})
    hub = add_vnet(world, CONNECTIVITY_SUB, HUB_NET_RG, "vnet-conn-hub", "eastus2", ["127.50.0.0/16"])
    add_subnet(world, hub, "snet-shared", "127.50.0.0/24")
    one = add_vnet(world, SPOKE1_SUB, SPOKE1_RG, "vnet-spoke-1", "eastus2", ["127.51.0.0/16"])
    add_subnet(world, one, "snet-aks-agents", "127.51.0.0/20")
    add_subnet(world, one, "snet-private-endpoints", "127.51.16.0/24")
    two = add_vnet(world, SPOKE2_SUB, SPOKE2_RG, "vnet-spoke-2", "eastus2", ["127.52.0.0/16"])
    add_subnet(world, two, "snet-aks-agents", "127.52.0.0/20")
    add_subnet(world, two, "snet-private-endpoints", "127.52.16.0/24")
    peer(world, one, hub)
    peer(world, two, hub)
    peer(world, one, two)
    add_zone(world, HUB_ZONE)
    for alias in world.aliases.values():
        if alias.visible_to:   # visible to the demo subscription: to the spokes as well
            alias.visible_to.update({SPOKE1_SUB.lower(), SPOKE2_SUB.lower()})
    return world
