"""`verify --from-aks` through the CLI with --json, against the sandbox's AKS (world "aks"): the checks run in a pod
of the cluster through the real azure-mgmt-containerservice client; the sandbox computes what that pod sees from
its own state (the cluster VNet's DNS view, the endpoint's approval, the Astro endpoint, the blackhole knob)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import cli_env, fast_world

from wizard.cli import main

SHORT = 1.0
MC = "Microsoft.ContainerService/managedClusters"


def _mc_id(sb: Any, rg: str, name: str) -> str:
    return f"/subscriptions/{sb.subscription_id}/resourceGroups/{rg}/providers/{MC}/{name}"


def _toml(sb: Any, endpoint: str, aks: str = "") -> str:
    """The demo's answers with the agents in rg-aks-prod: `endpoint` is the [endpoint] table's lines, `aks` the [aks]
    table's (none: no [aks] table)."""
    text = (f'[astro]\nalias = "{sb.demo_alias}"\napi_url = "{sb.demo_api_url}"\n\n[azure]\n'
            f'subscription_id = "{sb.subscription_id}"\nresource_group = "rg-aks-prod"\n\n[endpoint]\n{endpoint}\n')
    return text + (f"\n[aks]\n{aks}\n" if aks else "")


@pytest.fixture
def aks(sandbox_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo setup applied from `[aks] cluster = "aks-prod"` (no [endpoint] vnet), approved; this machine's DNS
    is outside the VNet (public answers), as a laptop's is."""
    sb = fast_world(sandbox_server, "aks", poll_ms=20, approve_after=0.0)
    cli_env(sb, tmp_path, monkeypatch)
    cfg = tmp_path / "setup.toml"
    cfg.write_text(_toml(sb, endpoint='subnet = "snet-private-endpoints"', aks='cluster = "aks-prod"'))
    assert main(["apply", "--config", str(cfg), "--yes"]) == 0
    sb.knobs.dns_vnet_id = None   # this machine: outside every VNet
    yield sb, str(cfg)
    sb.reset("demo")


def _verify(cfg: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verify", "--config", cfg, "--timeout", str(SHORT), "--json", "--from-aks", *extra])
    return code, json.loads(capsys.readouterr().out)


def _check(data: dict, name: str, where: str) -> dict:
    found = [c for c in data["checks"] if c["name"] == name and c["where"] == where]
    assert found, [(c["name"], c["where"]) for c in data["checks"]]
    return found[0]


INSIDE = "AKS cluster aks-prod"
HERE = "this machine"


def test_verified_from_inside_while_this_machine_is_outside(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    code, data = _verify(cfg, capsys)
    assert code == 0 and data["ok"] and data["outside_vnet"] and data["in_cluster"] == INSIDE
    local = _check(data, "dns", HERE)
    assert not local["ok"] and "203.0.113.10" in local["detail"] and "outside" in local["diagnosis"]
    assert _check(data, "dns", INSIDE)["ok"] and "127.20.16." in _check(data, "dns", INSIDE)["detail"]
    assert _check(data, "https", INSIDE)["ok"]
    assert sb.token not in json.dumps(data)
    # Text: grouped by where they ran, and the verdict says verified.
    assert main(["verify", "--config", cfg, "--timeout", str(SHORT), "--from-aks"]) == 0
    out = capsys.readouterr().out
    assert f"From {INSIDE} (AKS run command):" in out and f"From {HERE}:" in out
    assert f"Verified from {INSIDE}" in out and sb.token not in out


def test_unlinked_zone_seen_from_inside(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    zone = next(r for r in sb.world.of_type("Microsoft.Network/privateDnsZones"))
    for link in sb.world.children(zone.id, "Microsoft.Network/privateDnsZones/virtualNetworkLinks"):
        sb.service.remove(link.id)
    code, data = _verify(cfg, capsys)
    inside = _check(data, "dns", INSIDE)
    assert code == 1 and not data["ok"]
    assert "203.0.113.10" in inside["detail"] and "not linked" in inside["diagnosis"]
    assert inside["fix_step"] == "vnet_links" and _check(data, "https", INSIDE)["skipped"]


def test_missing_record_seen_from_inside(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    record = next(r for r in sb.world.of_type("Microsoft.Network/privateDnsZones/A"))
    sb.service.remove(record.id)
    code, data = _verify(cfg, capsys)
    inside = _check(data, "dns", INSIDE)
    assert code == 1 and "NXDOMAIN" in inside["diagnosis"] and inside["fix_step"] == "a_record"


def test_pending_connection_seen_from_inside(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    sb.set_connection_state(None, "Pending")
    code, data = _verify(cfg, capsys)
    https = _check(data, "https", INSIDE)
    assert code == 1 and _check(data, "dns", INSIDE)["ok"]
    assert "not Approved" in https["diagnosis"] and https["fix_step"] == "approval"
    assert "(28)" in https["detail"] or "timed out" in https["detail"].lower()


def test_nsg_seen_from_inside(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    from conftest import make_sdk

    net = make_sdk(sb).network
    rule = {"properties": {"priority": 200, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
                           "sourceAddressPrefix": "*", "sourcePortRange": "*",
                           "destinationAddressPrefix": "127.20.16.0/24",
                           "destinationPortRanges": ["443", str(sb.astro_port)], "description": "block"}}
    net.security_rules.begin_create_or_update("rg-aks-prod", "nsg-aks-nodes", "deny-astro-443", rule).result()
    sb.knobs.astro_blackhole = True   # the sandbox does not evaluate NSG rules: the knob drops what the rule would
    code, data = _verify(cfg, capsys)
    https = _check(data, "https", INSIDE)
    assert code == 1 and "deny-astro-443" in https["diagnosis"] and "nsg-aks-nodes" in https["diagnosis"]


def test_refused_run_command_disabled(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    code, data = _verify(cfg, capsys, _mc_id(sb, "rg-network-hub", "aks-locked"))
    check = _check(data, "in_cluster", "AKS cluster aks-locked")
    assert code == 1 and "disableRunCommand" in check["diagnosis"] and "--enable-run-command" in check["diagnosis"]
    assert any("kubectl run" in c for c in data["inside_commands"])


def test_refused_cluster_stopped(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, cfg = aks
    code, data = _verify(cfg, capsys, "aks-stopped")
    check = _check(data, "in_cluster", "AKS cluster aks-stopped")
    assert code == 1 and "stopped" in check["diagnosis"] and "az aks start" in check["diagnosis"]
    assert data["inside_commands"]


def test_refused_without_the_run_command_permission(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    sb.knobs.deny_actions = [("Microsoft.ContainerService/managedClusters/runCommand/action", "/subscriptions/")]
    code, data = _verify(cfg, capsys)
    check = _check(data, "in_cluster", INSIDE)
    assert code == 1 and "Microsoft.ContainerService/managedClusters/runCommand/action" in check["diagnosis"]
    assert "Azure Kubernetes Service Cluster Admin Role" in check["diagnosis"] and data["inside_commands"]


def test_refused_when_the_command_does_not_finish_in_time(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    sb.knobs.aks_run_command_seconds = 30.0
    code, data = _verify(cfg, capsys, "--aks-timeout", "1")
    check = _check(data, "in_cluster", INSIDE)
    assert code == 1 and "did not finish within 1 s" in check["diagnosis"] and data["inside_commands"]


def test_aad_cluster_without_local_accounts_runs_with_the_callers_token(aks: Any,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    # aks-weu runs in vnet-agents-weu, which this setup does not link: the probe runs and sees the public answer.
    code, data = _verify(cfg, capsys, _mc_id(sb, "rg-agents-weu", "aks-weu"))
    inside = _check(data, "dns", "AKS cluster aks-weu")
    assert code == 1 and "not linked to this cluster's VNet" in inside["diagnosis"]
    assert sb.token not in json.dumps(data)


def test_no_cluster_known_is_exit_2(sandbox_server: Any, aks: Any, capsys: pytest.CaptureFixture[str],
                                    tmp_path: Any) -> None:
    sb, _ = aks
    cfg = tmp_path / "plain.toml"
    cfg.write_text(_toml(sb, endpoint='vnet = "vnet-aks-prod"\nsubnet = "snet-private-endpoints"'))
    assert main(["verify", "--config", str(cfg), "--from-aks"]) == 2
    assert "[aks] cluster" in capsys.readouterr().err


def test_report_includes_the_in_cluster_results(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    capsys.readouterr()
    assert main(["report", "--config", cfg, "--from-aks", "--redact"]) == 0
    out = capsys.readouterr().out
    assert "AKS cluster:    aks-prod" in out
    assert f"Verify (from this machine and from {INSIDE}): passed" in out
    assert f"[ok] {INSIDE}: HTTPS answers through the endpoint" in out
    assert f"[FAIL] {HERE}: Name resolves to the endpoint" in out
    assert sb.token not in out and sb.subscription_id not in out


def test_refused_reading_the_command_result(aks: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sb, cfg = aks
    # The Azure Kubernetes Service Cluster Admin Role grants runcommand/action but not commandResults/read.
    sb.knobs.deny_actions = [("Microsoft.ContainerService/managedClusters/commandResults/read", "/subscriptions/")]
    code, data = _verify(cfg, capsys)
    check = _check(data, "in_cluster", INSIDE)
    assert code == 1 and "Microsoft.ContainerService/managedClusters/commandResults/read" in check["diagnosis"]
