"""The steps' reads as raw JSON (wizard/core/arm_reads.py, ClientFactory.RAW_READS) against the SDK's models, over
HTTPS against the sandbox: the same values for every attribute the steps read, the same exceptions, the same
pipeline (request log, transcript, retries), the same api-versions, the visibility check's LRO polled alike, the
writes still through the SDK clients, and a plan that never imports azure.mgmt.network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import demo_config, make_engine, sandbox_settings
from test_proxy import _arm_target, proxy  # noqa: F401 - the CONNECT proxy fixture

from steps.context import SetupContext
from steps.network_facts import vnet_facts
from steps.network_reads import network_facts
from steps.preflight import subnet_facts
from steps.verify.azure_reads import inspect_nsgs, read_record, read_vnet_spaces
from steps.verify.nsg import Rule
from steps.zone_reads import _endpoint_holding, record_ips
from wizard.core import arm_reads
from wizard.core.arm_objects import ArmObject
from wizard.core.azure import ClientFactory
from wizard.core.transcript import Transcript, read_entries
from wizard.sandbox import seeds
from wizard.sandbox.hub_spoke import HUB_RG, SPOKES_RG

REPO = Path(__file__).resolve().parents[1]


def factories(sb: Any, **kw: Any) -> tuple[ClientFactory, ClientFactory]:
    raw = ClientFactory(sandbox_settings(sb), **kw)
    sdk = ClientFactory(sandbox_settings(sb), **kw)
    sdk.RAW_READS = False   # type: ignore[misc]  # this instance only: every call through the SDK clients
    return raw, sdk


def test_api_versions_are_the_sdks_defaults() -> None:
    from azure.mgmt.network.operations._operations import build_virtual_networks_get_request
    from azure.mgmt.privatedns.operations._operations import build_record_sets_get_request
    from azure.mgmt.resource.resources.operations._operations import build_resource_groups_get_request
    from azure.mgmt.resource.subscriptions.operations._operations import build_subscriptions_list_locations_request

    assert f"api-version={arm_reads.NETWORK_API}" in build_virtual_networks_get_request("g", "v", "s").url
    assert f"api-version={arm_reads.PRIVATEDNS_API}" in build_record_sets_get_request("g", "z", "A", "r", "s").url
    assert f"api-version={arm_reads.RESOURCES_API}" in build_resource_groups_get_request("g", "s").url
    assert f"api-version={arm_reads.SUBSCRIPTIONS_API}" in build_subscriptions_list_locations_request("s").url


def test_arm_object_reads_like_a_model() -> None:
    body = {"id": "/x", "name": "n", "tags": {"a": "b"}, "etag": "W/\"1\"",
            "properties": {"privateIPAddress": "10.0.0.4", "aRecords": [{"ipv4Address": "10.0.0.5"}],
                           "subnet": {"id": "/s"}, "provisioningState": "Succeeded"}}
    obj = ArmObject(body)
    assert obj.private_ip_address == "10.0.0.4" and obj.subnet.id == "/s" and obj.provisioning_state == "Succeeded"
    assert [a.ipv4_address for a in obj.a_records] == ["10.0.0.5"]
    assert obj.properties.a_records[0].ipv4_address == "10.0.0.5"   # RecordSet.properties.a_records
    assert obj.tags == {"a": "b"} and obj.etag == "W/\"1\""           # free-form maps stay dicts
    assert obj.network_interfaces is None                             # absent: None, as the models' attributes
    with pytest.raises(AttributeError):
        obj.name = "other"
    with pytest.raises(AttributeError):
        obj._private  # noqa: B018


@pytest.fixture
def applied(sandbox: Any, tmp_path: Path) -> Any:
    """The hub-and-spoke world with a setup applied for the hub and two spokes, an NSG with a rule on the hub's
    endpoint subnet and a delegated, full subnet: every kind of field the steps read has a value somewhere."""
    sandbox.reset("hub-spoke")
    sub = sandbox.subscription_id
    world = sandbox.world
    hub = f"/subscriptions/{sub}/resourceGroups/{HUB_RG}/providers/Microsoft.Network/virtualNetworks/vnet-hub"
    nsg = seeds.add_nsg(world, sub, HUB_RG, "nsg-extra", "eastus2")
    world.get(nsg).props["securityRules"] = [{
        "id": f"{nsg}/securityRules/deny-443", "name": "deny-443", "etag": "W/\"1\"",
        "properties": {"priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
                       "sourceAddressPrefix": "*", "sourcePortRange": "*",
                       "destinationAddressPrefixes": ["127.0.0.0/8"], "destinationPortRanges": ["443", "8000-8100"],
                       "provisioningState": "Succeeded"}}]
    seeds.add_subnet(world, hub, "snet-nsg", "127.21.9.0/28", nsg)
    seeds.fill_subnet(world, seeds.add_subnet(world, hub, "snet-pods", "127.21.8.0/28",
                                              delegation="Microsoft.ContainerService/managedClusters"))
    spokes = [f"/subscriptions/{sub}/resourceGroups/{SPOKES_RG}/providers/Microsoft.Network/virtualNetworks/{n}"
              for n in ("vnet-spoke-a", "vnet-spoke-c")]
    config = demo_config(sandbox, resource_group=HUB_RG, vnet="vnet-hub", subnet="snet-endpoints",
                         linked_vnets=spokes)
    engine = make_engine(sandbox, tmp_path / "state", config)
    result = engine.apply(wait_for_approval=False)
    assert result is not None
    return config


def test_every_read_the_steps_make_gives_what_the_sdk_gave(sandbox: Any, applied: Any) -> None:
    raw_factory, sdk_factory = factories(sandbox)
    raw, sdk = SetupContext(applied, raw_factory), SetupContext(applied, sdk_factory)
    assert isinstance(raw.network(), arm_reads.NetworkReads) and not isinstance(sdk.network(), arm_reads.NetworkReads)
    assert raw.vnet() == sdk.vnet() and raw.vnet().subnet_facts   # subnets, delegations, IPs in use, NSG, peerings
    assert raw.endpoint() == sdk.endpoint() and raw.endpoint() is not None and raw.endpoint().private_ip
    assert raw.zones() == sdk.zones() and raw.zones()[0].links
    assert network_facts(raw) == network_facts(sdk) and network_facts(raw).resolvers   # custom DNS: resolvers read
    spaces = read_vnet_spaces(raw)
    assert spaces == read_vnet_spaces(sdk) and len(spaces) == 3
    pe = raw.endpoint()
    assert inspect_nsgs(raw, spaces, pe, "127.0.0.9", 443) == inspect_nsgs(sdk, spaces, pe, "127.0.0.9", 443)
    assert read_record(raw, raw.cluster_id) == read_record(sdk, sdk.cluster_id) == [pe.private_ip]
    zone = raw.zones()[0]
    assert record_ips(raw, zone) == record_ips(sdk, zone)
    assert _endpoint_holding(raw, {pe.private_ip}) == _endpoint_holding(sdk, {pe.private_ip}) == (pe.id, pe.private_ip)

    sub, net = sandbox.subscription_id, raw_factory.network(sandbox.subscription_id)
    rules = net.network_security_groups.get(HUB_RG, "nsg-extra")
    sdk_rules = sdk_factory.network(sub).network_security_groups.get(HUB_RG, "nsg-extra")
    assert [Rule.from_sdk(r) for r in rules.security_rules + rules.default_security_rules] == \
        [Rule.from_sdk(r) for r in sdk_rules.security_rules + sdk_rules.default_security_rules]
    hub_raw, hub_sdk = net.virtual_networks.get(HUB_RG, "vnet-hub"), sdk_factory.network(sub).virtual_networks.get(
        HUB_RG, "vnet-hub")
    assert vnet_facts(hub_raw) == vnet_facts(hub_sdk)
    assert [subnet_facts(s) for s in hub_raw.subnets] == [subnet_facts(s) for s in hub_sdk.subnets]
    group = raw_factory.resources(sub).resource_groups.get(HUB_RG)
    assert (group.id, group.name, group.location) == (lambda g: (g.id, g.name, g.location))(
        sdk_factory.resources(sub).resource_groups.get(HUB_RG))
    assert [(loc.name, loc.display_name) for loc in raw_factory.subscriptions().subscriptions.list_locations(sub)] == \
        [(loc.name, loc.display_name) for loc in sdk_factory.subscriptions().subscriptions.list_locations(sub)]
    zone_raw = raw_factory.privatedns(sub).private_zones.get(zone.resource_group, zone.name)
    zone_sdk = sdk_factory.privatedns(sub).private_zones.get(zone.resource_group, zone.name)
    assert (zone_raw.etag, zone_raw.tags, zone_raw.number_of_record_sets) == \
        (zone_sdk.etag, zone_sdk.tags, zone_sdk.number_of_record_sets)
    link = zone.links[0]
    link_raw = raw_factory.privatedns(sub).virtual_network_links.get(zone.resource_group, zone.name, link.name)
    link_sdk = sdk_factory.privatedns(sub).virtual_network_links.get(zone.resource_group, zone.name, link.name)
    assert (link_raw.etag, link_raw.virtual_network.id) == (link_sdk.etag, link_sdk.virtual_network.id)


@pytest.mark.parametrize("async_only, seconds", [(False, 0.0), (False, 0.3), (True, 0.3)])
def test_the_visibility_check_is_polled_as_the_sdk_polls_it(sandbox: Any, async_only: bool, seconds: float) -> None:
    sandbox.knobs.visibility_async_only = async_only
    sandbox.knobs.lro_seconds = {**sandbox.knobs.lro_seconds, "visibility": seconds}
    raw, sdk = factories(sandbox)
    sub, body = sandbox.subscription_id, {"privateLinkServiceAlias": sandbox.demo_alias}
    results = []
    for factory in (raw, sdk):
        since = len(sandbox.requests)
        services = factory.network(sub).private_link_services
        got = services.begin_check_private_link_service_visibility(location="eastus2", parameters=body).result()
        by_rg = services.begin_check_private_link_service_visibility_by_resource_group(
            location="eastus2", resource_group_name="rg-aks-prod", parameters=body).result()
        # what was asked, in order (a poll's operation id and how many polls the timing took left out)
        asked: list[tuple[str, str]] = []
        for r in sandbox.requests[since:]:
            what = (r.method, r.path.rsplit("/", 1)[0] if r.method == "GET" else r.path)
            if r.method != "GET" or not asked or asked[-1] != what:
                asked.append(what)
        results.append(((getattr(got, "visible", None), getattr(by_rg, "visible", None)), asked))
    assert results[0] == results[1]
    visible, asked = results[0]
    assert visible == ((None, None) if async_only else (True, True))
    assert [m for m, _ in asked] == (["POST", "GET", "POST", "GET"] if seconds else ["POST", "POST"])


def test_errors_are_the_sdks_exceptions(sandbox: Any) -> None:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

    raw, sdk = factories(sandbox)
    sub = sandbox.subscription_id

    def caught(read: Any, factory: ClientFactory) -> tuple[type, int, str, str]:
        with pytest.raises(HttpResponseError) as err:
            read(factory)
        e = err.value
        return type(e), e.status_code, e.error.code if e.error else "", e.error.message if e.error else ""

    for read in (lambda f: f.network(sub).virtual_networks.get("rg-aks-prod", "no-such-vnet"),
                 lambda f: f.network(sub).private_endpoints.get("rg-not-there", "pe"),
                 lambda f: f.privatedns(sub).record_sets.get("rg-aks-prod", "external.astronomer.run", "A", "x"),
                 lambda f: list(f.privatedns(sub).virtual_network_links.list("rg-aks-prod", "nozone.example")),
                 lambda f: f.resources(sub).resource_groups.get("rg-not-there")):
        got = caught(read, raw)
        assert got == caught(read, sdk) and got[0] is ResourceNotFoundError and got[2]
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/read", f"/subscriptions/{sub}")]
    zones = lambda f: list(f.privatedns(sub).private_zones.list())  # noqa: E731
    got = caught(zones, raw)
    assert got == caught(zones, sdk)
    assert got[1:3] == (403, "AuthorizationFailed")
    sandbox.knobs.deny_actions = []
    wrong = ClientFactory(sandbox_settings(sandbox).with_overrides(access_token="wrong"))
    with pytest.raises(ClientAuthenticationError):
        wrong.network(sub).virtual_networks.get("rg-aks-prod", "vnet-aks-prod")


def test_raw_reads_go_through_the_pipeline_policies(sandbox: Any, tmp_path: Path) -> None:
    """The transcript (a per-call policy) records every raw read, and a throttled read is retried after the
    delay ARM asks for (the RetryPolicy), as the SDK clients do."""
    transcript = Transcript(tmp_path / "t.log")
    factory = ClientFactory(sandbox_settings(sandbox), per_call_policies=[transcript.policy()])
    sandbox.knobs.throttle_rate, sandbox.knobs.seed = 0.5, 7
    since = len(sandbox.requests)
    for _ in range(4):
        assert factory.network(sandbox.subscription_id).virtual_networks.get("rg-aks-prod", "vnet-aks-prod").name \
            == "vnet-aks-prod"
    sandbox.knobs.throttle_rate = 0.0
    statuses = [r.status for r in sandbox.requests[since:]]
    assert 429 in statuses and statuses.count(200) == 4
    entries = read_entries(tmp_path / "t.log")
    assert [e["status"] for e in entries] == statuses
    assert all(e["path"].endswith("/virtualNetworks/vnet-aks-prod") for e in entries)


def test_raw_reads_go_through_https_proxy(sandbox: Any, proxy: Any) -> None:  # noqa: F811
    factory = ClientFactory(sandbox_settings(sandbox))
    assert factory.network(sandbox.subscription_id).virtual_networks.get("rg-aks-prod", "vnet-aks-prod").name
    assert _arm_target(sandbox) in proxy.targets
    assert "azure.mgmt.network" not in type(factory.network(sandbox.subscription_id)).__module__


def test_writes_and_unlisted_reads_go_to_the_sdk_clients(sandbox: Any) -> None:
    from azure.mgmt.network.operations import PrivateEndpointsOperations, VirtualNetworksOperations

    raw, sdk = factories(sandbox)
    net = raw.network(sandbox.subscription_id)
    assert isinstance(net.private_endpoints.begin_create_or_update.__self__, PrivateEndpointsOperations)
    assert isinstance(net.virtual_networks.list_all.__self__, VirtualNetworksOperations)   # the pickers' reference
    assert net._client is raw.network_sdk(sandbox.subscription_id)._client
    assert type(sdk.network(sandbox.subscription_id)).__name__ == "NetworkManagementClient"


def test_plan_and_status_import_no_azure_mgmt(sandbox: Any, tmp_path: Path) -> None:
    """A plan and a status in a fresh process: the same reads, none of azure.mgmt.network/privatedns/resource."""
    config = tmp_path / "setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    code = ("import sys\nfrom wizard.cli import main\ncode = main(sys.argv[1:])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('azure.mgmt.network', 'azure.mgmt.privatedns', "
            "'azure.mgmt.resource'))), file=sys.stderr)\n")
    env = dict(os.environ, **sandbox.env(), ASTRO_PL_STATE_DIR=str(tmp_path / "state"))
    for command in ("plan", "status"):
        done = subprocess.run([sys.executable, "-c", code, command, "--config", str(config), "--json"], env=env,
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr[-2000:]
        assert '"name": "private_endpoint"' in done.stdout
