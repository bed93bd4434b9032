"""The sandbox ARM through the real azure-mgmt clients over HTTPS: every resource type, list paging, LROs."""

from __future__ import annotations

import re
import ssl
import time

import httpx
import pytest
from azure.core import MatchConditions

from wizard.sandbox.seeds import DEMO_CLUSTER_ID, HIDDEN_ALIAS

ZONE = "external.astronomer.run"
RG = "rg-aks-prod"


def ids(sb) -> dict[str, str]:
    base = f"/subscriptions/{sb.subscription_id}/resourceGroups"
    vnet = f"{base}/rg-aks-prod/providers/Microsoft.Network/virtualNetworks/vnet-aks-prod"
    return {"vnet": vnet, "pe_subnet": f"{vnet}/subnets/snet-private-endpoints",
            "nodes_subnet": f"{vnet}/subnets/snet-aks-nodes",
            "hub": f"{base}/rg-network-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub",
            "weu_subnet": f"{base}/rg-agents-weu/providers/Microsoft.Network/virtualNetworks/vnet-agents-weu"
                          "/subnets/snet-private-endpoints"}


def pe_body(sb, subnet_id: str | None = None, alias: str | None = None, location: str = "eastus2",
            nic: str | None = "pe-astro-nic", message: str = "Astro cluster " + DEMO_CLUSTER_ID) -> dict:
    props: dict = {"subnet": {"id": subnet_id or ids(sb)["pe_subnet"]},
                   "manualPrivateLinkServiceConnections": [{"name": "astro", "properties": {
                       "privateLinkServiceId": alias or sb.demo_alias, "groupIds": [], "requestMessage": message}}]}
    if nic:
        props["customNetworkInterfaceName"] = nic
    return {"location": location, "properties": props}


def create_pe(sdk, sb, name: str = "pe-astro", rg: str = RG, **kw):
    return sdk.network.private_endpoints.begin_create_or_update(rg, name, pe_body(sb, **kw)).result()


def nic_ip(sdk, nic_id: str) -> str:
    rg = nic_id.split("/")[4]
    return sdk.network.network_interfaces.get(rg, nic_id.rsplit("/", 1)[-1]).ip_configurations[0].private_ip_address


# ---- subscriptions, locations, resource groups --------------------------------------------------------------
def test_subscriptions_locations_and_tenants(sandbox, sdk):
    subs = list(sdk.subscriptions.subscriptions.list())
    assert [s.subscription_id for s in subs] == [sandbox.subscription_id]
    assert subs[0].display_name and subs[0].tenant_id == sandbox.tenant_id
    assert sdk.subscriptions.subscriptions.get(sandbox.subscription_id).state == "Enabled"
    names = [loc.name for loc in sdk.subscriptions.subscriptions.list_locations(sandbox.subscription_id)]
    assert {"eastus2", "westeurope"} <= set(names)
    assert [t.tenant_id for t in sdk.subscriptions.tenants.list()] == [sandbox.tenant_id]


def test_resource_groups_crud_and_paging(sandbox, sdk):
    sandbox.knobs.page_size = 2
    rgs = sdk.resources.resource_groups
    assert sorted(g.name for g in rgs.list()) == ["rg-agents-weu", "rg-aks-prod", "rg-network-hub"]
    assert rgs.get("rg-aks-prod").location == "eastus2"
    assert rgs.check_existence("rg-aks-prod") is True
    assert rgs.check_existence("rg-nope") is False
    created = rgs.create_or_update("rg-new", {"location": "eastus2", "tags": {"a": "b"}})
    assert created.name == "rg-new" and created.properties.provisioning_state == "Succeeded"
    assert rgs.create_or_update("rg-new", {"location": "eastus2", "tags": {"a": "c"}}).tags == {"a": "c"}
    rgs.begin_delete("rg-new").result()
    assert rgs.check_existence("rg-new") is False


# ---- virtual networks, subnets, NSGs ------------------------------------------------------------------------
def test_vnets_and_subnets_paged(sandbox, sdk):
    sandbox.knobs.page_size = 1
    net = sdk.network
    assert sorted(v.name for v in net.virtual_networks.list_all()) == ["vnet-agents-weu", "vnet-aks-prod", "vnet-hub"]
    assert [v.name for v in net.virtual_networks.list("rg-aks-prod")] == ["vnet-aks-prod"]
    vnet = net.virtual_networks.get("rg-aks-prod", "vnet-aks-prod")
    assert vnet.address_space.address_prefixes == ["127.20.0.0/16"]
    assert {s.name for s in vnet.subnets} == {"snet-aks-nodes", "snet-private-endpoints"}
    subnets = list(net.subnets.list("rg-aks-prod", "vnet-aks-prod"))
    assert [s.address_prefix for s in subnets] == ["127.20.0.0/20", "127.20.16.0/24"]
    nodes = net.subnets.get("rg-aks-prod", "vnet-aks-prod", "snet-aks-nodes")
    assert nodes.network_security_group.id.endswith("/networkSecurityGroups/nsg-aks-nodes")


def test_vnet_and_subnet_create_update_delete(sandbox, sdk):
    net = sdk.network
    body = {"location": "eastus2", "properties": {
        "addressSpace": {"addressPrefixes": ["127.40.0.0/16"]},
        "subnets": [{"name": "a", "properties": {"addressPrefix": "127.40.0.0/24"}}]}}
    vnet = net.virtual_networks.begin_create_or_update("rg-network-hub", "vnet-new", body).result()
    assert vnet.provisioning_state == "Succeeded" and [s.name for s in vnet.subnets] == ["a"]
    sub = net.subnets.begin_create_or_update("rg-network-hub", "vnet-new", "b",
                                             {"properties": {"addressPrefix": "127.40.1.0/24"}}).result()
    assert sub.address_prefix == "127.40.1.0/24"
    assert len(net.virtual_networks.get("rg-network-hub", "vnet-new").subnets) == 2
    net.virtual_networks.begin_delete("rg-network-hub", "vnet-new").result()
    assert "vnet-new" not in [v.name for v in net.virtual_networks.list("rg-network-hub")]


def test_nsg_default_rules_subnets_and_security_rules(sandbox, sdk):
    net = sdk.network
    nsg = net.network_security_groups.get("rg-aks-prod", "nsg-aks-nodes")
    assert {r.name for r in nsg.default_security_rules} >= {"AllowVnetOutBound", "AllowInternetOutBound",
                                                             "DenyAllOutBound", "DenyAllInBound"}
    assert [s.id for s in nsg.subnets] == [ids(sandbox)["nodes_subnet"]]
    assert [n.name for n in net.network_security_groups.list_all()] == ["nsg-aks-nodes"]
    assert [n.name for n in net.network_security_groups.list("rg-aks-prod")] == ["nsg-aks-nodes"]
    rule = {"properties": {"priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
                           "destinationPortRange": "443", "sourceAddressPrefix": "*",
                           "destinationAddressPrefix": "*", "sourcePortRange": "*"}}
    created = net.security_rules.begin_create_or_update("rg-aks-prod", "nsg-aks-nodes", "deny-443-out", rule).result()
    assert created.access == "Deny" and created.destination_port_range == "443"
    assert net.security_rules.get("rg-aks-prod", "nsg-aks-nodes", "deny-443-out").priority == 100
    nsg = net.network_security_groups.get("rg-aks-prod", "nsg-aks-nodes")
    assert [r.name for r in nsg.security_rules] == ["deny-443-out"]
    net.security_rules.begin_delete("rg-aks-prod", "nsg-aks-nodes", "deny-443-out").result()
    assert net.network_security_groups.get("rg-aks-prod", "nsg-aks-nodes").security_rules == []
    made = net.network_security_groups.begin_create_or_update("rg-network-hub", "nsg-new",
                                                              {"location": "eastus2"}).result()
    assert len(made.default_security_rules) == 6


# ---- private endpoints --------------------------------------------------------------------------------------
def test_private_endpoint_lifecycle(sandbox, sdk):
    net = sdk.network
    poller = net.private_endpoints.begin_create_or_update(RG, "pe-astro", pe_body(sandbox))
    during = net.private_endpoints.get(RG, "pe-astro")
    assert during.provisioning_state == "Updating"
    pe = poller.result()
    assert pe.provisioning_state == "Succeeded"
    assert pe.custom_dns_configs == []
    conn = pe.manual_private_link_service_connections[0]
    assert conn.id == f"{pe.id}/manualPrivateLinkServiceConnections/astro"
    assert conn.private_link_service_id == sandbox.demo_alias
    state = conn.private_link_service_connection_state
    assert (state.status, state.description, state.actions_required) == ("Pending", "Awaiting approval", "None")
    assert len(pe.network_interfaces) == 1 and pe.network_interfaces[0].id.endswith("/networkInterfaces/pe-astro-nic")
    nic = net.network_interfaces.get(RG, "pe-astro-nic")
    assert nic.private_endpoint.id == pe.id
    assert nic.ip_configurations[0].private_ip_address == "127.20.16.4"   # .0-.3 are reserved by Azure
    assert [p.name for p in net.private_endpoints.list(RG)] == ["pe-astro"]
    assert [p.name for p in net.private_endpoints.list_by_subscription()] == ["pe-astro"]
    assert [n.name for n in net.network_interfaces.list(RG)] == ["pe-astro-nic"]
    subnet = net.subnets.get(RG, "vnet-aks-prod", "snet-private-endpoints")
    assert [p.id for p in subnet.private_endpoints] == [pe.id]

    second = create_pe(sdk, sandbox, name="pe-two", nic=None)
    nic2 = second.network_interfaces[0].id
    assert re.search(r"/networkInterfaces/pe-two\.nic\.[0-9a-f-]{36}$", nic2)
    assert nic_ip(sdk, nic2) == "127.20.16.5"

    assert "127.20.16.4" in sandbox._astro.addresses
    net.private_endpoints.begin_delete(RG, "pe-astro").result()
    assert "127.20.16.4" not in sandbox._astro.addresses
    assert [n.name for n in net.network_interfaces.list(RG)] == [nic2.rsplit("/", 1)[-1]]
    again = create_pe(sdk, sandbox, name="pe-three", nic="pe-three-nic")
    assert nic_ip(sdk, again.network_interfaces[0].id) == "127.20.16.4"    # the freed address is reused


def test_private_endpoint_put_same_values_updates(sandbox, sdk):
    create_pe(sdk, sandbox)
    since = sandbox.requests[-1].number
    body = pe_body(sandbox)
    body["tags"] = {"owner": "data"}
    updated = sdk.network.private_endpoints.begin_create_or_update(RG, "pe-astro", body).result()
    assert updated.tags == {"owner": "data"}
    puts = [r for r in sandbox.writes(since)]
    assert [(r.method, r.status) for r in puts] == [("PUT", 200)]
    assert len(list(sdk.network.network_interfaces.list(RG))) == 1


def test_private_endpoint_ip_reaches_astro_only_when_approved(sandbox, sdk):
    pe = create_pe(sdk, sandbox)
    ip = nic_ip(sdk, pe.network_interfaces[0].id)
    assert sandbox.service.is_reachable(ip) is False
    assert ip in sandbox._astro.addresses        # the Astro endpoint listens on the endpoint's IP
    assert sandbox.approve() == [pe.id]
    assert sandbox.service.is_reachable(ip) is True
    state = sdk.network.private_endpoints.get(RG, "pe-astro").manual_private_link_service_connections[0]
    assert state.private_link_service_connection_state.status == "Approved"
    sandbox.set_connection_state(pe.id, "Rejected", "No thanks")
    got = sdk.network.private_endpoints.get(RG, "pe-astro").manual_private_link_service_connections[0]
    assert got.private_link_service_connection_state.status == "Rejected"
    assert got.private_link_service_connection_state.description == "No thanks"


def test_visibility_check_sync_and_lro(sandbox, sdk):
    check = sdk.network.private_link_services.begin_check_private_link_service_visibility
    assert check("eastus2", {"privateLinkServiceAlias": sandbox.demo_alias}).result().visible is True
    assert check("eastus2", {"privateLinkServiceAlias": HIDDEN_ALIAS}).result().visible is False
    assert check("eastus2", {"privateLinkServiceAlias": "nope.1234.azure.privatelinkservice"}).result().visible is False
    sandbox.knobs.lro_seconds["visibility"] = 0.2
    start = time.monotonic()
    assert check("eastus2", {"privateLinkServiceAlias": sandbox.demo_alias}).result().visible is True
    assert time.monotonic() - start >= 0.2
    statuses = [r.status for r in sandbox.requests if "checkPrivateLinkServiceVisibility" in r.path
                or "operationResults" in r.path]
    assert statuses[-3] == 202 and statuses[-1] == 200


# ---- private DNS --------------------------------------------------------------------------------------------
def test_private_dns_zone_link_and_records(sandbox, sdk):
    dns = sdk.dns
    zone = dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    assert zone.provisioning_state == "Succeeded" and zone.location == "global"
    assert zone.number_of_record_sets == 1 and zone.number_of_virtual_network_links == 0
    assert zone.max_number_of_virtual_network_links == 1000 and zone.etag
    soa = dns.record_sets.get(RG, ZONE, "SOA", "@")
    assert soa.fqdn == f"{ZONE}."
    poller = dns.virtual_network_links.begin_create_or_update(RG, ZONE, "link-aks", {
        "location": "global", "properties": {"virtualNetwork": {"id": ids(sandbox)["vnet"]},
                                             "registrationEnabled": False}})
    assert dns.virtual_network_links.get(RG, ZONE, "link-aks").virtual_network_link_state == "InProgress"
    link = poller.result()
    assert (link.provisioning_state, link.virtual_network_link_state) == ("Succeeded", "Completed")
    assert link.virtual_network.id == ids(sandbox)["vnet"] and link.registration_enabled is False
    assert [x.name for x in dns.virtual_network_links.list(RG, ZONE)] == ["link-aks"]
    record = dns.record_sets.create_or_update(RG, ZONE, "A", DEMO_CLUSTER_ID, {
        "properties": {"ttl": 10, "aRecords": [{"ipv4Address": "127.20.16.4"}]}})
    assert record.type == "Microsoft.Network/privateDnsZones/A"
    assert record.fqdn == f"{DEMO_CLUSTER_ID}.{ZONE}." and record.is_auto_registered is False
    assert record.a_records[0].ipv4_address == "127.20.16.4" and record.etag
    got = dns.record_sets.get(RG, ZONE, "A", DEMO_CLUSTER_ID)
    assert got.ttl == 10
    updated = dns.record_sets.create_or_update(RG, ZONE, "A", DEMO_CLUSTER_ID, {
        "properties": {"ttl": 20, "aRecords": [{"ipv4Address": "127.20.16.5"}]}},
        etag=got.etag, match_condition=MatchConditions.IfNotModified)
    assert updated.ttl == 20 and updated.etag != got.etag
    assert [r.name for r in dns.record_sets.list_by_type(RG, ZONE, "A")] == [DEMO_CLUSTER_ID]
    assert sorted(r.name for r in dns.record_sets.list(RG, ZONE)) == ["@", DEMO_CLUSTER_ID]
    zone = dns.private_zones.get(RG, ZONE)
    assert (zone.number_of_record_sets, zone.number_of_virtual_network_links) == (2, 1)
    dns.record_sets.delete(RG, ZONE, "A", DEMO_CLUSTER_ID)
    dns.virtual_network_links.begin_delete(RG, ZONE, "link-aks").result()
    dns.private_zones.begin_delete(RG, ZONE).result()
    assert list(dns.private_zones.list()) == []


def test_private_dns_zone_lists_paged(sandbox, sdk):
    sandbox.knobs.page_size = 1
    for rg, name in [(RG, ZONE), (RG, "b.example.internal"), ("rg-network-hub", "c.example.internal")]:
        sdk.dns.private_zones.begin_create_or_update(rg, name, {"location": "global"}).result()
    assert sorted(z.name for z in sdk.dns.private_zones.list()) == ["b.example.internal", "c.example.internal", ZONE]
    assert sorted(z.name for z in sdk.dns.private_zones.list_by_resource_group(RG)) == ["b.example.internal", ZONE]
    for i in range(3):
        sdk.dns.record_sets.create_or_update(RG, ZONE, "A", f"host{i}", {"properties": {
            "ttl": 10, "aRecords": [{"ipv4Address": f"127.20.16.{i + 4}"}]}})
    assert len(list(sdk.dns.record_sets.list(RG, ZONE))) == 4


def test_dns_server_answers_from_the_private_zone(sandbox, sdk):
    import dns.resolver

    pe = create_pe(sdk, sandbox)
    ip = nic_ip(sdk, pe.network_interfaces[0].id)
    sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "link-aks", {
        "location": "global", "properties": {"virtualNetwork": {"id": ids(sandbox)["vnet"]},
                                             "registrationEnabled": False}}).result()
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", DEMO_CLUSTER_ID, {
        "properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip}]}})
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = [sandbox.dns_address[0]], sandbox.dns_address[1]
    answer = resolver.resolve(f"{DEMO_CLUSTER_ID}.{ZONE}", "A")
    assert [a.address for a in answer] == [ip]


# ---- ids, large world, log, control -------------------------------------------------------------------------
def test_ids_are_case_insensitive(sandbox, sdk):
    vnet = sdk.network.virtual_networks.get("RG-AKS-PROD", "VNET-AKS-PROD")
    assert vnet.id == ids(sandbox)["vnet"]           # the stored casing comes back
    subnet_id = ids(sandbox)["pe_subnet"].upper().replace("/SUBSCRIPTIONS/", "/subscriptions/")
    pe = create_pe(sdk, sandbox, subnet_id=subnet_id)
    assert sdk.network.private_endpoints.get("Rg-Aks-Prod", "PE-ASTRO").id == pe.id
    assert sdk.network.subnets.get(RG, "vnet-aks-prod", "SNET-PRIVATE-ENDPOINTS").name == "snet-private-endpoints"


def test_large_world_lists_all_vnets(sandbox, sdk):
    sandbox.reset("large")
    start = time.monotonic()
    vnets = list(sdk.network.virtual_networks.list_all())
    assert len(vnets) >= 5000
    assert len({v.address_space.address_prefixes[0] for v in vnets}) == len(vnets)
    assert time.monotonic() - start < 15


def test_request_log_and_writes(sandbox, sdk):
    sdk.resources.resource_groups.get(RG)
    mark = sandbox.requests[-1].number
    sdk.resources.resource_groups.create_or_update("rg-x", {"location": "eastus2"})
    log = sandbox.requests
    assert log[0].number == 1 and "?" not in log[0].path and log[0].method == "GET"
    assert [(w.method, w.status) for w in sandbox.writes(mark)] == [("PUT", 201)]
    assert sandbox.writes(log[-1].number) == []


def test_control_calls_over_http(sandbox, sdk):
    pe = create_pe(sdk, sandbox)
    auth = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.arm_endpoint, verify=ssl.create_default_context(cafile=sandbox.ca_file)) as http:
        assert http.get("/_sandbox/requests").status_code == 401
        log = http.get("/_sandbox/requests", headers=auth).json()["value"]
        assert any(r["method"] == "PUT" for r in log)
        resp = http.post("/_sandbox/connections", headers=auth, json={"status": "Approved"})
        assert resp.json() == {"updated": [pe.id]}
        knobs = http.post("/_sandbox/knobs", headers=auth, json={"latency": 0.01, "drop_at": [99]}).json()
        assert knobs["latency"] == 0.01 and sandbox.knobs.drop_at == {99}
        assert http.post("/_sandbox/knobs", headers=auth, json={"nope": 1}).status_code == 400
        assert http.post("/_sandbox/reset", headers=auth, json={"world": "demo"}).status_code == 200
    assert list(sdk.network.private_endpoints.list(RG)) == []
    assert sandbox.knobs.latency == 0.0


def test_env_and_token_claims(sandbox):
    import base64
    import json

    env = sandbox.env()
    assert env["ASTRO_PL_ARM_ENDPOINT"].startswith("https://127.0.0.1:")
    assert env["ASTRO_PL_DEMO_API_URL"] == f"https://{DEMO_CLUSTER_ID}.external.astronomer.run:{sandbox.astro_port}"
    payload = sandbox.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["upn"] == "sandbox@example.invalid" and claims["tid"] == sandbox.tenant_id
    assert claims["exp"] > time.time()
    with open(sandbox.ca_file, "rb") as fh:
        assert fh.read() == sandbox.ca_pem


@pytest.mark.parametrize("world", ["demo", "large"])
def test_seed_worlds_are_in_loopback(world):
    import ipaddress

    from wizard.sandbox.seeds import build
    from wizard.sandbox.world import T_SUBNET, T_VNET

    start = time.monotonic()
    w = build(world)
    assert time.monotonic() - start < 2
    loopback = ipaddress.ip_network("127.0.0.0/8")
    for res in w.of_type(T_VNET):
        for prefix in res.props["addressSpace"]["addressPrefixes"]:
            assert ipaddress.ip_network(prefix).subnet_of(loopback)
    for res in w.of_type(T_SUBNET):
        assert ipaddress.ip_network(res.props["addressPrefix"]).subnet_of(loopback)


def test_run_foreground_prints_exports_and_stops_on_sigint(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    code = "import sys; from wizard.sandbox.server import run_foreground; sys.exit(run_foreground())"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        lines = []
        while not lines or not lines[-1].startswith("# sandbox running"):
            line = proc.stdout.readline()
            assert line, "run_foreground exited early"
            lines.append(line.strip())
        exports = dict(line[len("export "):].split("=", 1) for line in lines if line.startswith("export "))
        assert {"ASTRO_PL_ARM_ENDPOINT", "ASTRO_PL_ACCESS_TOKEN", "ASTRO_PL_CA_FILE", "ASTRO_PL_DNS_SERVER",
                "ASTRO_PL_SUBSCRIPTION_ID", "ASTRO_PL_DEMO_ALIAS", "ASTRO_PL_DEMO_API_URL"} <= set(exports)
        assert any("_sandbox/connections" in line for line in lines)
        ca_file = exports["ASTRO_PL_CA_FILE"].strip("'")
        assert os.path.exists(ca_file)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert not os.path.exists(ca_file)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stop_closes_keep_alive_connections():
    import os

    from wizard.sandbox.server import Sandbox

    sb = Sandbox().start()
    ctx = ssl.create_default_context(cadata=sb.ca_pem.decode())
    url = f"/subscriptions/{sb.subscription_id}/resourcegroups?api-version=2025-04-01"
    auth = {"Authorization": f"Bearer {sb.token}"}
    with httpx.Client(base_url=sb.arm_endpoint, verify=ctx) as client:
        assert client.get(url, headers=auth).status_code == 200     # opens a keep-alive connection
        ca_file = sb.ca_file
        sb.stop()
        assert not os.path.exists(ca_file)
        with pytest.raises(httpx.TransportError):
            client.get(url, headers=auth)
