"""Verify and troubleshoot (issue 5): the pure pieces (classification, NSG rule evaluation, nameserver parsing,
the report), then a complete setup in the sandbox, broken each way the reference doc's troubleshooting names,
with the diagnosis asserted. The sandbox tests share one setup built once; each test breaks it and repairs it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from steps.context import EndpointInfo
from steps.verify import (
    CONNECTION,
    DNS,
    HTTPS,
    LINKS,
    RECORD,
    CheckResult,
    HttpsOutcome,
    NsgFinding,
    Rule,
    VerifyReport,
    check_https,
    check_record,
    classify_addresses,
    deciding_rule,
    inside_commands,
    is_private,
    parse_nameserver,
    port_matches,
    prefix_matches,
    render_json,
    render_text,
    run_verify,
)

FAST_LRO = {"privateEndpoint": 0.1, "privateDnsZone": 0.1, "virtualNetworkLink": 0.1, "delete": 0.1,
            "visibility": 0.0}
SHORT = 0.5   # the network timeout for runs that are expected to time out (keeps the suite fast)


# -- pure --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, want", [
    ("10.0.0.10", ("10.0.0.10", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    (" 168.63.129.16 ", ("168.63.129.16", 53)),
    ("[::1]:5300", ("::1", 5300)), ("::1", ("::1", 53)), ("[fd00::1]", ("fd00::1", 53)),
])
def test_parse_nameserver(text: str, want: tuple[str, int]) -> None:
    assert parse_nameserver(text) == want


@pytest.mark.parametrize("text", ["", "dns.example.com", "10.0.0.1:0", "10.0.0.1:70000", "10.0.0.1:x", "[::1",
                                  ":53"])
def test_parse_nameserver_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_nameserver(text)


@pytest.mark.parametrize("ip, private", [
    ("10.1.2.3", True), ("172.16.0.4", True), ("172.32.0.1", False), ("192.168.1.1", True), ("100.64.0.1", True),
    ("127.20.16.4", True), ("fd12::1", True), ("203.0.113.10", False), ("198.18.0.1", False), ("20.42.1.1", False),
    ("not-an-ip", False),
])
def test_is_private_is_explicit(ip: str, private: bool) -> None:
    assert is_private(ip) is private


def test_classify_addresses() -> None:
    assert classify_addresses(["10.0.1.4"], "10.0.1.4") == "endpoint"
    assert classify_addresses(["203.0.113.10"], "10.0.1.4") == "public"
    assert classify_addresses(["10.0.1.9"], "10.0.1.4") == "other_private"
    assert classify_addresses(["10.0.1.4", "10.0.1.9"], "10.0.1.4") == "other_private"
    assert classify_addresses(["10.0.1.4", "20.1.1.1"], "10.0.1.4") == "public"


def test_ports_and_prefixes() -> None:
    assert port_matches(["*"], 443) and port_matches(["443"], 443) and port_matches(["400-500"], 443)
    assert not port_matches(["80", "8443"], 443)
    vnet = ["10.0.0.0/16"]
    assert prefix_matches("VirtualNetwork", "10.0.1.4", vnet)
    assert not prefix_matches("VirtualNetwork", "10.9.1.4", vnet)
    assert not prefix_matches("Internet", "10.0.1.4", vnet)
    assert prefix_matches("Internet", "20.1.1.1", vnet)
    assert prefix_matches("*", "10.0.1.4", vnet) and prefix_matches("10.0.1.0/24", "10.0.1.4", vnet)
    assert prefix_matches("10.0.1.4", "10.0.1.4", vnet) and not prefix_matches("10.0.2.0/24", "10.0.1.4", vnet)
    assert prefix_matches("10.0.0.0/24", "10.0.0.128/25", vnet)        # overlap counts for a source subnet
    assert not prefix_matches("AzureLoadBalancer", "10.0.1.4", vnet)


def _defaults() -> list[Rule]:
    return [Rule("AllowVnetOutBound", 65000, "Outbound", "Allow", sources=["VirtualNetwork"],
                 destinations=["VirtualNetwork"], default=True),
            Rule("AllowInternetOutBound", 65001, "Outbound", "Allow", destinations=["Internet"], default=True),
            Rule("DenyAllOutBound", 65500, "Outbound", "Deny", default=True)]


def test_nsg_evaluation_follows_priority() -> None:
    vnet = ["10.0.0.0/16"]
    deny = Rule("deny-443", 200, "Outbound", "Deny", "Tcp", destinations=["10.0.1.0/24"], ports=["443"])
    allow = Rule("allow-pe", 100, "Outbound", "Allow", "Tcp", destinations=["10.0.1.4"], ports=["443"])
    assert deciding_rule(_defaults(), "Outbound", "10.0.0.0/20", "10.0.1.4", 443, vnet).name == "AllowVnetOutBound"
    assert deciding_rule([*_defaults(), deny], "Outbound", "10.0.0.0/20", "10.0.1.4", 443, vnet).name == "deny-443"
    assert deciding_rule([*_defaults(), deny, allow], "Outbound", "10.0.0.0/20", "10.0.1.4", 443, vnet).name == \
        "allow-pe"
    udp = Rule("deny-udp", 50, "Outbound", "Deny", "Udp")
    inbound = Rule("deny-in", 60, "Inbound", "Deny")
    other_port = Rule("deny-80", 70, "Outbound", "Deny", ports=["80"])
    assert deciding_rule([*_defaults(), udp, inbound, other_port], "Outbound", "10.0.0.0/20", "10.0.1.4", 443,
                         vnet).name == "AllowVnetOutBound"
    # The endpoint outside the VNet's space (peered, not given): only DenyAllOutBound is left.
    assert deciding_rule(_defaults(), "Outbound", "10.0.0.0/20", "10.9.1.4", 443, vnet).name == "DenyAllOutBound"


def test_rule_from_sdk_model() -> None:
    from azure.mgmt.network.models import SecurityRule

    r = SecurityRule(name="deny-pe", priority=110, direction="Outbound", access="Deny", protocol="Tcp",
                     source_address_prefix="*", destination_address_prefixes=["10.0.1.4/32"],
                     destination_port_ranges=["443", "8443"])
    rule = Rule.from_sdk(r, "nsg-a")
    assert (rule.access, rule.direction, rule.protocol, rule.destinations, rule.ports) == \
        ("Deny", "Outbound", "Tcp", ["10.0.1.4/32"], ["443", "8443"])
    assert "deny-pe" in rule.describe() and "nsg-a" in rule.describe()


def _pe(ip: str = "10.0.1.4", status: str = "Approved") -> EndpointInfo:
    return EndpointInfo(id="/x/privateEndpoints/pe", name="pe", location="eastus2", provisioning_state="Succeeded",
                        subnet_id="/x/subnets/s", alias="a", connection_name="c", connection_status=status,
                        connection_description=None, nic_id=None, nic_name=None, private_ip=ip)


def test_https_diagnoses() -> None:
    host = "c1.external.astronomer.run"
    ok = check_https(host, 443, "10.0.1.4", HttpsOutcome("ok", 404, "HTTP 404"), _pe(), True, None, None, None)
    assert ok.ok
    pending = check_https(host, 443, "10.0.1.4", HttpsOutcome("timeout", message="no answer"), _pe(), False, None,
                          None, None)
    assert not pending.ok and "Approved" in pending.diagnosis and pending.fix_step == "approval"
    nsg = check_https(host, 443, "10.0.1.4", HttpsOutcome("timeout", message="no answer"), _pe(), True,
                      NsgFinding(blocking=["rule 'deny-443' in NSG 'n' denies outbound TCP 443"]), None, None)
    assert "deny-443" in nsg.diagnosis
    other = check_https(host, 443, "10.0.1.4", HttpsOutcome("timeout", message="no answer"), _pe(), True,
                        NsgFinding(route_tables=["subnet v/s uses route table 'rt-fw'"]), None, None)
    assert "firewall" in other.diagnosis and "rt-fw" in other.diagnosis
    refused = check_https(host, 443, "10.0.1.4", HttpsOutcome("refused", message="connection refused"), _pe(), True,
                          None, None, None)
    assert "refused" in refused.diagnosis
    proxy = check_https(host, 443, "10.0.1.4", HttpsOutcome("tls", message="TLS failed: self-signed certificate in "
                                                                          "certificate chain"), _pe(), True, None,
                        None, None)
    assert "proxy" in proxy.diagnosis and "ASTRO_PL_CA_FILE" in proxy.diagnosis
    status = check_https(host, 443, "10.0.1.4", HttpsOutcome("status", 200, "HTTP 200"), _pe(), True, None, None, None)
    assert "200" in status.diagnosis


def test_record_check() -> None:
    zone = SimpleNamespace(resource_group="rg", id="/z")
    assert check_record(zone, ["10.0.1.4"], "c1", _pe()).ok
    stale = check_record(zone, ["10.0.1.9"], "c1", _pe())
    assert not stale.ok and "stale" in stale.diagnosis and stale.fix_step == "a_record"
    missing = check_record(zone, None, "c1", _pe())
    assert not missing.ok and "NXDOMAIN" in missing.diagnosis


def test_report_text_and_json() -> None:
    report = VerifyReport([CheckResult(CONNECTION, True, "Approved."),
                           CheckResult(LINKS, False, "vnet-x is not linked.", "Link the zone to vnet-x (step 4).",
                                       "vnet_links"),
                           CheckResult(HTTPS, False, "Not run.", "Fix DNS first.", None, skipped=True)],
                          host="c1.external.astronomer.run", timeout=3.0, duration=0.2,
                          inside_commands=inside_commands("c1.external.astronomer.run", 443))
    text = render_text(report, "setup.toml")
    assert "[ok]" in text and "[FAIL]" in text and "[skip]" in text
    assert "step 4 (the VNet links): `astro-privatelink apply --config setup.toml`" in text
    assert "kubectl run astro-pl-check" in text and "curl -sv --max-time 10 https://c1.external.astronomer.run" in text
    data = json.loads(render_json(report))
    assert data["ok"] is False and data["timeout_seconds"] == 3.0
    assert [c["name"] for c in data["checks"]] == [CONNECTION, LINKS, HTTPS]
    assert set(data["checks"][1]) >= {"name", "ok", "detail", "diagnosis", "fix_step"}


def test_parse_nameserver_has_one_home() -> None:
    from wizard.core import validate

    assert parse_nameserver is validate.parse_nameserver


def test_dns_server_from_env() -> None:
    from wizard.core.settings import SettingsError, dns_server_from_env

    assert dns_server_from_env({}) is None
    assert dns_server_from_env({"ASTRO_PL_DNS_SERVER": "  "}) is None
    assert dns_server_from_env({"ASTRO_PL_DNS_SERVER": "127.0.0.1:5353"}) == ("127.0.0.1", 5353)
    with pytest.raises(SettingsError, match="ASTRO_PL_DNS_SERVER") as info:
        dns_server_from_env({"ASTRO_PL_DNS_SERVER": "dns.example.com"})
    assert isinstance(info.value, ValueError) and "must be an IP address" in str(info.value)


def test_no_ui_import_or_environment_read_in_steps() -> None:
    import pathlib

    package = pathlib.Path(__file__).parent.parent / "steps" / "verify"
    sources = sorted(package.glob("*.py"))
    assert {p.name for p in sources} >= {"__init__.py", "models.py", "run.py", "render.py", "probes.py"}
    for path in sources:
        src = path.read_text()
        for word in ("textual", "questionary", "screens", "wizard.cli", "os.environ", "getenv"):
            assert word not in src, (path.name, word)
        assert len(src.splitlines()) <= 500, path.name


# -- against the sandbox -----------------------------------------------------------------------------------------
class Setup:
    """A complete setup in the sandbox, with the engine that built it and helpers to break and repair it."""

    def __init__(self, sb: Any) -> None:
        from wizard.core.azure import ClientFactory
        from wizard.core.config import SetupConfig
        from wizard.core.settings import AzureSettings
        from wizard.engine import ApprovalPolling, Engine

        self.sb = sb
        self.config = SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                  resource_group="rg-aks-prod", vnet="vnet-aks-prod", subnet="snet-private-endpoints")
        self.settings = AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file,
                                      polling_interval=0.05)
        self.engine = Engine(self.config, ClientFactory(self.settings), None, allow_update={"a_record"},
                             approval=ApprovalPolling(first=0.05, longest=0.2))
        self.ctx = self.engine.ctx
        self.dns_vnet = sb.knobs.dns_vnet_id

    def apply(self) -> None:
        self.sb.knobs.approve_after = 0.0
        result = self.engine.apply()
        states = {k: o.state.value for k, o in result.outcomes.items()}
        assert result.exit_code == 0, (states, {k: o.summary for k, o in result.outcomes.items()})

    def verify(self, timeout: float = 3.0) -> tuple[VerifyReport, float]:
        t0 = time.monotonic()
        report = run_verify(self.ctx, nameserver=self.sb.dns_address, timeout=timeout, ca_file=self.sb.ca_file)
        return report, time.monotonic() - t0

    def repair(self) -> None:
        knobs = self.sb.knobs
        knobs.astro_listening, knobs.astro_wrong_certificate, knobs.dns_vnet_id = True, False, self.dns_vnet
        self.sb.approve()
        self.apply()
        wait_until_listening(self.sb, self.ctx.endpoint().private_ip)

    @property
    def zone(self) -> Any:
        zone, _ = self.ctx.chosen_zone()
        return zone


def wait_until_listening(sb: Any, ip: str, limit: float = 2.0) -> None:
    """The sandbox's Astro listener follows `astro_listening` within ~50 ms; wait for it before the next test."""
    import socket

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection((ip, sb.astro_port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)


@pytest.fixture(scope="module")
def built(sandbox_server: Any) -> Iterator[Setup]:
    sb = sandbox_server
    sb.reset("demo")
    sb.knobs.lro_seconds = dict(FAST_LRO)
    sb.knobs.poll_retry_after_ms = 50
    setup = Setup(sb)
    setup.apply()
    yield setup
    sb.reset("demo")


@pytest.fixture
def good(built: Setup) -> Iterator[Setup]:
    """The complete setup, repaired after the test broke it."""
    built.ctx.refresh()
    yield built
    built.repair()


def diag(report: VerifyReport, name: str) -> str:
    check = report.check(name)
    assert check is not None, [c.name for c in report.checks]
    assert not check.ok, check
    return check.diagnosis or ""


def test_all_pass_quickly(good: Setup) -> None:
    durations = []
    for _ in range(3):
        report, took = good.verify()
        assert report.ok, render_text(report)
        durations.append(took)
    assert max(durations) < 5.0, durations
    assert [c.name for c in report.checks] == [CONNECTION, LINKS, RECORD, DNS, HTTPS]
    assert "404" in report.check(HTTPS).detail
    text = render_text(report)
    assert text.count("[ok]") == 5 and "All 5 checks passed" in text


def test_connection_pending(good: Setup) -> None:
    good.sb.set_connection_state(None, "Pending")
    report, took = good.verify(timeout=SHORT)
    assert "Pending" in diag(report, CONNECTION) and "Astronomer support" in diag(report, CONNECTION)
    assert report.check(CONNECTION).fix_step == "approval"
    assert "not Approved" in diag(report, HTTPS)            # the sandbox holds the connection: a timeout
    assert took < SHORT + 2.0
    assert report.check(DNS).ok                              # DNS works while the connection is pending


def test_connection_rejected(good: Setup) -> None:
    good.sb.set_connection_state(None, "Rejected")
    report, _ = good.verify(timeout=SHORT)
    d = diag(report, CONNECTION)
    assert "Rejected" in d and "create it again" in d
    assert report.check(CONNECTION).fix_step == "private_endpoint"


def test_link_removed(good: Setup) -> None:
    zone = good.zone
    link = zone.links[0]
    good.ctx.dns().virtual_network_links.begin_delete(zone.resource_group, zone.name, link.name).result()
    report, _ = good.verify()
    assert "vnet-aks-prod is not linked" in diag(report, LINKS)
    assert report.check(LINKS).fix_step == "vnet_links"
    d = diag(report, DNS)                                    # the DNS server now gives the public answer
    assert "public address" in d and "not linked" in d
    assert report.check(HTTPS).skipped                       # never connects to a public address
    assert not report.outside_vnet                           # the Azure side is wrong: not an "outside" case


def test_record_points_to_old_ip(good: Setup) -> None:
    zone = good.zone
    cid = good.sb.demo_cluster_id
    good.ctx.dns().record_sets.create_or_update(zone.resource_group, zone.name, "A", cid,
                                                {"properties": {"ttl": 300, "aRecords": [{"ipv4Address":
                                                                                          "127.20.16.99"}]}})
    report, _ = good.verify(timeout=SHORT)
    assert "stale" in diag(report, RECORD) and report.check(RECORD).fix_step == "a_record"
    assert "127.20.16.99" in report.check(DNS).detail and "stale" in diag(report, DNS)
    assert "refused" in diag(report, HTTPS)                  # nothing listens on the old IP


def test_record_removed(good: Setup) -> None:
    zone = good.zone
    good.ctx.dns().record_sets.delete(zone.resource_group, zone.name, "A", good.sb.demo_cluster_id)
    report, _ = good.verify()
    assert "no A record" in report.check(RECORD).detail and report.check(RECORD).fix_step == "a_record"
    assert "NXDOMAIN" in diag(report, DNS) and report.check(DNS).fix_step == "a_record"
    assert report.check(HTTPS).skipped


def test_nsg_denies_outbound_443(good: Setup) -> None:
    net = good.ctx.network()
    port = str(good.sb.astro_port)  # the sandbox's Astro listens on its own port; the rule denies 443 and that one
    rule = {"properties": {"priority": 200, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
                           "sourceAddressPrefix": "*", "sourcePortRange": "*",
                           "destinationAddressPrefix": "127.20.16.0/24",
                           "destinationPortRanges": ["443", port], "description": "block the endpoint"}}
    net.security_rules.begin_create_or_update("rg-aks-prod", "nsg-aks-nodes", "deny-astro-443", rule).result()
    # The sandbox does not evaluate NSG rules itself: its blackhole knob drops the traffic the rule would drop.
    good.sb.knobs.astro_blackhole = True
    try:
        report, took = good.verify(timeout=SHORT)
        d = diag(report, HTTPS)
        assert "deny-astro-443" in d and "nsg-aks-nodes" in d and "snet-aks-nodes" in d and "priority 200" in d
        assert report.check(CONNECTION).ok and report.check(DNS).ok
        assert SHORT <= report.check(HTTPS).seconds < SHORT + 1.0 and took < SHORT + 2.0
        # Without the rule, the same timeout is blamed on something else on the path.
        net.security_rules.begin_delete("rg-aks-prod", "nsg-aks-nodes", "deny-astro-443").result()
        report, _ = good.verify(timeout=SHORT)
        d = diag(report, HTTPS)
        assert "no NSG rule" in d and "firewall" in d
    finally:
        good.sb.knobs.astro_blackhole = False
        net.security_rules.begin_delete("rg-aks-prod", "nsg-aks-nodes", "deny-astro-443").result()  # 204 if gone


def test_astro_not_listening(good: Setup) -> None:
    good.sb.knobs.astro_listening = False
    time.sleep(0.15)  # the listener follows the knob within ~50 ms
    report, took = good.verify()
    assert "refused" in diag(report, HTTPS) and "nothing listens" in diag(report, HTTPS)
    assert took < 5.0


def test_certificate_for_another_name(good: Setup) -> None:
    good.sb.knobs.astro_wrong_certificate = True
    report, took = good.verify()
    d = diag(report, HTTPS)
    assert "TLS failure" in d and "not for" in d and "other.example.invalid" in d
    assert took < 5.0


def test_resolver_outside_the_vnet(good: Setup) -> None:
    good.sb.knobs.dns_vnet_id = None
    report, took = good.verify()
    d = diag(report, DNS)
    assert "203.0.113.10" in report.check(DNS).detail and "outside the agents' VNet" in d
    assert report.outside_vnet and report.check(HTTPS).skipped
    assert any("kubectl run" in c and "nslookup" in c for c in report.inside_commands)
    assert any("curl" in c for c in report.inside_commands)
    assert "kubectl run astro-pl-check" in render_text(report)
    assert took < 5.0


def test_cli_verify(good: Setup, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                    capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    sb = good.sb
    cfg = tmp_path / "setup.toml"
    cfg.write_text(good.config.to_toml())
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    assert main(["verify", "--config", str(cfg), "--json"]) == 0   # nameserver from ASTRO_PL_DNS_SERVER
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and all({"name", "ok", "detail", "diagnosis"} <= set(c) for c in data["checks"])
    sb.knobs.dns_vnet_id = None
    host, port = sb.dns_address
    assert main(["verify", "--config", str(cfg), "--nameserver", f"{host}:{port}"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL]" in out and "kubectl run" in out
    assert main(["verify", "--config", str(cfg), "--nameserver", "dns.example.com"]) == 2


def test_azure_unreadable_is_a_failed_check(good: Setup) -> None:
    from steps.context import SetupContext
    from wizard.core.azure import ClientFactory

    ctx = SetupContext(good.config, ClientFactory(good.settings.with_overrides(access_token="not-a-valid-token")))
    report = run_verify(ctx, nameserver=good.sb.dns_address, timeout=SHORT, ca_file=good.sb.ca_file)
    assert not report.ok and report.checks[0].name == "azure"
    assert "Azure" in report.checks[0].diagnosis
    assert all(report.check(n).skipped for n in (CONNECTION, LINKS, RECORD))
    assert report.check(DNS).ok and "not compared" in report.check(DNS).detail


def test_bad_api_url_is_reported_not_raised(good: Setup) -> None:
    from dataclasses import replace

    from steps.context import SetupContext
    from wizard.core.azure import ClientFactory

    ctx = SetupContext(replace(good.config, api_url="https://example.com"), ClientFactory(good.settings))
    report = run_verify(ctx, nameserver=good.sb.dns_address, timeout=SHORT)
    assert not report.ok and report.checks[0].name == "inputs"
    assert "external.astronomer.run" in report.checks[0].diagnosis


def test_environment_is_not_read_by_run_verify(good: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """No nameserver: the system resolver, whatever ASTRO_PL_DNS_SERVER says (the front ends read it)."""
    from dataclasses import replace

    from steps.context import SetupContext
    from wizard.core.azure import ClientFactory

    monkeypatch.setenv("ASTRO_PL_DNS_SERVER", "{}:{}".format(*good.sb.dns_address))
    ctx = SetupContext(replace(good.config, api_url="https://example.com"), ClientFactory(good.settings))
    assert run_verify(ctx, timeout=SHORT).nameserver == "system resolver"


def test_ca_file_defaults_to_the_settings(good: Setup) -> None:
    """No ca_file: the settings' CA file (the sandbox's CA), so HTTPS verifies the sandbox certificate."""
    report = run_verify(good.ctx, nameserver=good.sb.dns_address, timeout=3.0)
    assert report.ok, render_text(report)


def test_links_check_names_each_vnet() -> None:
    from steps.context import LinkInfo, ZoneInfo
    from steps.verify import check_links

    a = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a"
    b = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-b"
    c = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-c"
    zone = ZoneInfo("/z1", "external.astronomer.run", "rg-dns", "Succeeded", 1,
                    [LinkInfo("/z1/l1", "l1", a, False, "Succeeded", "Completed"),
                     LinkInfo("/z1/l2", "l2", b, False, "Succeeded", "InProgress")])
    other = ZoneInfo("/z2", "external.astronomer.run", "rg-other", "Succeeded", 0,
                     [LinkInfo("/z2/l3", "l3", c, False, "Succeeded", None)])
    assert check_links(zone, [zone, other], [a]).ok
    result = check_links(zone, [zone, other], [a, b, c])
    assert not result.ok and result.fix_step == "vnet_links"
    assert "'l2' to vnet-b is Succeeded / InProgress" in result.diagnosis
    assert "vnet-c is linked to another" in result.diagnosis and "rg-other" in result.diagnosis
    missing = check_links(None, [], [a])
    assert not missing.ok and missing.fix_step == "dns_zone"
