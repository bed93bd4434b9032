"""Custom DNS servers (issue 15, part 3): the sandbox's per-VNet DNS view honours `dhcpOptions.dnsServers`, DNS
Private Resolvers and forwarders; step 4 links the zone where the agents' DNS servers resolve and prints the
conditional forwarder rule; verify names the servers when they give the public answer.

Everything runs against the "hub-spoke" world (wizard/sandbox/hub_spoke.py) through the real SDK clients.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dns.resolver
import pytest
from conftest import in_world
from engine_helpers import demo_config, make_engine, states, vnet_id

from steps.verify import DNS, HTTPS, LINKS, run_verify
from wizard.sandbox.dns import DnsView
from wizard.sandbox.hub_spoke import FORWARDER_IP, INBOUND_IP, ON_PREM_DNS

PUBLIC = "203.0.113.10"


@pytest.fixture
def hub(sandbox: Any) -> Any:
    yield from in_world(sandbox, "hub-spoke", approve_after=0.0)


def ask(sb: Any, vnet: str | None, name: str) -> list[str]:
    """What a host in `vnet` gets for `name` from the sandbox's DNS server (NXDOMAIN: [])."""
    sb.knobs.dns_vnet_id = vnet
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = [sb.dns_address[0]], sb.dns_address[1]
    try:
        return sorted(r.address for r in resolver.resolve(name, "A", search=False))
    except dns.resolver.NXDOMAIN:
        return []


def spoke(sb: Any, name: str) -> str:
    return vnet_id(sb, "rg-spokes", name)


def hub_vnet(sb: Any) -> str:
    return vnet_id(sb, "rg-network-hub", "vnet-hub")


def zone_with_record(sdk: Any, links: list[str], ip: str = "127.21.1.4",
                     label: str = "clmh597sg000208lb2kjhcn8q") -> None:
    """The zone in rg-network-hub with `label` -> `ip`, linked to `links`."""
    sdk.dns.private_zones.begin_create_or_update("rg-network-hub", "external.astronomer.run",
                                                 {"location": "global"}).result()
    sdk.dns.record_sets.create_or_update("rg-network-hub", "external.astronomer.run", "A", label,
                                         {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip}]}})
    for i, vid in enumerate(links):
        sdk.dns.virtual_network_links.begin_create_or_update(
            "rg-network-hub", "external.astronomer.run", f"link{i}",
            {"location": "global", "properties": {"virtualNetwork": {"id": vid}, "registrationEnabled": False}}
        ).result()


# -- the sandbox's DNS view --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("spoke_name", "expect"), [
    ("vnet-spoke-a", "private"),   # the resolver's inbound endpoint in the hub: resolves through the hub's link
    ("vnet-spoke-b", "public"),    # on-premises, no conditional forwarder: public DNS
    ("vnet-spoke-c", "public"),    # Azure DNS in the spoke, which is not linked
    ("vnet-spoke-e", "private"),   # a forwarder VM in the hub that forwards to Azure DNS there
])
def test_each_spoke_resolves_through_its_dns_servers(hub: Any, sdk: Any, spoke_name: str, expect: str) -> None:
    host = f"{hub.demo_cluster_id}.external.astronomer.run"
    zone_with_record(sdk, [hub_vnet(hub)])
    assert ask(hub, hub_vnet(hub), host) == ["127.21.1.4"]
    want = ["127.21.1.4"] if expect == "private" else [PUBLIC]
    assert ask(hub, spoke(hub, spoke_name), host) == want


def test_unlinking_the_hub_gives_the_resolver_spoke_the_public_answer(hub: Any, sdk: Any) -> None:
    host = f"{hub.demo_cluster_id}.external.astronomer.run"
    zone_with_record(sdk, [spoke(hub, "vnet-spoke-a")])   # the spoke is linked, the resolver's VNet is not
    assert ask(hub, spoke(hub, "vnet-spoke-a"), host) == [PUBLIC]
    assert ask(hub, spoke(hub, "vnet-spoke-c"), host) == [PUBLIC]


def test_vnet_dns_servers_round_trip_through_the_sdk(hub: Any, sdk: Any) -> None:
    got = sdk.network.virtual_networks.get("rg-spokes", "vnet-spoke-b")
    assert got.dhcp_options.dns_servers == [ON_PREM_DNS]
    body = {"location": "eastus2", "properties": {"addressSpace": {"addressPrefixes": ["127.46.0.0/16"]},
                                                  "dhcpOptions": {"dnsServers": [INBOUND_IP, "168.63.129.16"]}}}
    made = sdk.network.virtual_networks.begin_create_or_update("rg-spokes", "vnet-new", body).result()
    assert made.dhcp_options.dns_servers == [INBOUND_IP, "168.63.129.16"]
    assert sdk.network.virtual_networks.get("rg-spokes", "vnet-spoke-c").dhcp_options.dns_servers == []


def test_resolvers_are_listed_by_the_dnsresolver_sdk(hub: Any) -> None:
    from azure.mgmt.dnsresolver import DnsResolverManagementClient
    from conftest import client_kwargs, make_sdk

    cred = make_sdk(hub).network._config.credential
    client = DnsResolverManagementClient(cred, hub.subscription_id, **client_kwargs(hub))
    resolvers = list(client.dns_resolvers.list())
    assert [r.name for r in resolvers] == ["dnspr-hub"]
    assert resolvers[0].virtual_network.id.lower() == hub_vnet(hub).lower()
    inbound = list(client.inbound_endpoints.list("rg-network-hub", "dnspr-hub"))
    assert inbound[0].ip_configurations[0].private_ip_address == INBOUND_IP
    rules = list(client.forwarding_rules.list("rg-network-hub", "dnsrs-hub"))
    assert rules[0].domain_name == "corp.contoso.com." and rules[0].target_dns_servers[0].ip_address == ON_PREM_DNS


# -- DnsView rules, pure -----------------------------------------------------------------------------------------
def _res(type_: str, rid: str, props: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {"id": rid, "type": type_, "name": name or rid.rsplit("/", 1)[-1], "properties": props}


Z = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/external.astronomer.run"
V = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/"
RS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnsForwardingRulesets/rs"
BASE = [
    _res("Microsoft.Network/privateDnsZones/virtualNetworkLinks", Z + "/virtualNetworkLinks/l",
         {"virtualNetwork": {"id": V + "hub"}, "provisioningState": "Succeeded",
          "virtualNetworkLinkState": "Completed"}),
    _res("Microsoft.Network/privateDnsZones/A", Z + "/A/c1", {"ttl": 10, "aRecords": [{"ipv4Address": "10.0.0.5"}]}),
]


@pytest.mark.parametrize(("name", "extra", "forwarders", "vnet", "want"), [
    ("Azure DNS in a linked VNet", [], {}, "hub", ["10.0.0.5"]),
    ("168.63.129.16 as the custom server is Azure DNS",
     [_res("Microsoft.Network/virtualNetworks", V + "hub", {"dhcpOptions": {"dnsServers": ["168.63.129.16"]}})],
     {}, "hub", ["10.0.0.5"]),
    ("a ruleset linked to the spoke forwards the zone to a forwarder in the hub",
     [_res("Microsoft.Network/dnsForwardingRulesets/forwardingRules", RS + "/forwardingRules/r",
           {"domainName": "external.astronomer.run.", "targetDnsServers": [{"ipAddress": FORWARDER_IP, "port": 53}]}),
      _res("Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks", RS + "/virtualNetworkLinks/s",
           {"virtualNetwork": {"id": V + "spoke"}})],
     {FORWARDER_IP: V + "hub"}, "spoke", ["10.0.0.5"]),
    ("a disabled rule is not followed",
     [_res("Microsoft.Network/dnsForwardingRulesets/forwardingRules", RS + "/forwardingRules/r",
           {"domainName": "external.astronomer.run.", "forwardingRuleState": "Disabled",
            "targetDnsServers": [{"ipAddress": FORWARDER_IP, "port": 53}]}),
      _res("Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks", RS + "/virtualNetworkLinks/s",
           {"virtualNetwork": {"id": V + "spoke"}})],
     {FORWARDER_IP: V + "hub"}, "spoke", [PUBLIC]),
    ("two forwarders that forward to each other: a loop ends in NXDOMAIN",
     [_res("Microsoft.Network/virtualNetworks", V + "spoke", {"dhcpOptions": {"dnsServers": ["10.9.9.9"]}}),
      _res("Microsoft.Network/virtualNetworks", V + "loop", {"dhcpOptions": {"dnsServers": ["10.9.9.9"]}}),
      _res("Microsoft.Network/dnsForwardingRulesets/forwardingRules", RS + "/forwardingRules/r",
           {"domainName": "astronomer.run.", "targetDnsServers": [{"ipAddress": "10.9.9.9", "port": 53}]}),
      _res("Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks", RS + "/virtualNetworkLinks/s",
           {"virtualNetwork": {"id": V + "loop"}})],
     {"10.9.9.9": V + "loop"}, "spoke", []),
])
def test_dns_view(name: str, extra: list[dict[str, Any]], forwarders: dict[str, str], vnet: str,
                  want: list[str]) -> None:
    answer = DnsView.build(BASE + extra, forwarders).answer(V + vnet, "c1.external.astronomer.run", PUBLIC)
    assert answer.addresses == want, name


# -- the product: plan, apply, verify ----------------------------------------------------------------------------
def spoke_a_config(sb: Any) -> Any:
    """The endpoint in spoke A, whose DNS server is the hub resolver's inbound endpoint."""
    return demo_config(sb, resource_group="rg-spokes", vnet="vnet-spoke-a", subnet="snet-aks-agents")


def test_plan_links_the_resolvers_vnet_and_verify_passes_from_the_spoke(hub: Any, sdk: Any, tmp_path: Path) -> None:
    engine = make_engine(hub, tmp_path, spoke_a_config(hub))
    plans = {p.step: p for p in engine.plan()}
    assert plans["vnet_links"].summary == "Link the zone to vnet-spoke-a, vnet-hub (registration off)."
    assert any("DNS Private Resolver 'dnspr-hub' (inbound endpoint 127.21.2.4 in vnet-hub)" in d
               for d in plans["vnet_links"].details)
    result = engine.apply()
    assert result.exit_code == 0, states(result)
    hub.knobs.dns_vnet_id = spoke(hub, "vnet-spoke-a")
    report = run_verify(engine.ctx, nameserver=hub.dns_address, timeout=3.0, ca_file=hub.ca_file)
    assert report.ok, [(c.name, c.detail, c.diagnosis) for c in report.checks]
    # Break the hub's link: the spoke gets the public answer, and verify says where to link.
    link = next(lk for lk in sdk.dns.virtual_network_links.list("rg-spokes", "external.astronomer.run")
                if lk.virtual_network.id.lower() == hub_vnet(hub).lower())
    sdk.dns.virtual_network_links.begin_delete("rg-spokes", "external.astronomer.run", link.name).result()
    report = run_verify(engine.ctx, nameserver=hub.dns_address, timeout=3.0, ca_file=hub.ca_file)
    dns_check = report.check(DNS)
    assert dns_check is not None and not dns_check.ok and PUBLIC in dns_check.detail
    assert "uses custom DNS servers (127.21.2.4)" in (dns_check.diagnosis or "")
    assert "link the zone to vnet-hub (step 4)" in (dns_check.diagnosis or "")
    assert dns_check.fix_step == "vnet_links"
    links = report.check(LINKS)
    assert links is not None and not links.ok and "vnet-hub is not linked" in (links.diagnosis or "")


def test_on_premises_dns_is_diagnosed_and_the_forwarder_rule_printed(hub: Any, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    cfg = demo_config(hub, resource_group="rg-network-hub", vnet="vnet-hub", subnet="snet-endpoints",
                      linked_vnets=[spoke(hub, "vnet-spoke-b")])
    path = tmp_path / "setup.toml"
    path.write_text(cfg.to_toml())
    for key, value in hub.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")
    assert main(["plan", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    rule = "add a conditional forwarder external.astronomer.run -> a DNS Private Resolver inbound endpoint"
    assert "vnet-spoke-b uses custom DNS servers (10.250.0.53) that Azure cannot see" in out and rule in out
    assert main(["apply", "--config", str(path), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()
    hub.knobs.dns_vnet_id = hub_vnet(hub)
    assert main(["verify", "--config", str(path)]) == 0, capsys.readouterr().out   # from the hub: fine
    capsys.readouterr()
    hub.knobs.dns_vnet_id = spoke(hub, "vnet-spoke-b")
    assert main(["verify", "--config", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["zone_links"]["ok"] and checks["peering"]["ok"]
    dns_check = checks["dns"]
    assert not dns_check["ok"] and PUBLIC in dns_check["detail"]
    assert "not a missing zone link" in dns_check["diagnosis"] and "10.250.0.53" in dns_check["diagnosis"]
    assert "168.63.129.16" in dns_check["diagnosis"] and "not linked" not in dns_check["diagnosis"]
    assert checks[HTTPS]["skipped"] and not data["outside_vnet"]
