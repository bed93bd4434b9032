"""Export: the remaining steps as an az script, Terraform or Bicep; what exists is referenced, never re-created.

Structural checks for every format (balanced brackets outside strings, the resource types, quoted values),
`bash -n` for the script, `terraform fmt -check` when terraform is installed, and, when an `az` CLI is
available (ASTRO_PL_AZ or `az` on PATH) together with the az-sandbox tool, the script run end to end against
the sandbox.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from engine_helpers import demo_config, make_engine, vnet_id, world_summary

from wizard.cli import main
from wizard.export import ExportError, render
from wizard.export.build import build

REPO = Path(__file__).resolve().parent.parent


def balanced(text: str, quote: str, comment: str) -> bool:
    """Brackets balance outside string literals and comments."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith(comment, i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        if c == quote:
            i += 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            if i >= n:
                return False  # unterminated string
        elif c in "([{":
            stack.append(c)
        elif c in ")]}" and (not stack or stack.pop() != pairs[c]):
            return False
        i += 1
    return not stack


def bash_n(script: str, tmp_path: Path) -> None:
    path = tmp_path / "script.sh"
    path.write_text(script)
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_fresh_world_az_script(sandbox, tmp_path):
    text = render(make_engine(sandbox, tmp_path / "state"), "az")
    bash_n(text, tmp_path)
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    create = re.search(r"az network private-endpoint create .*?--output none", text, re.S).group(0)
    for option in ('--private-connection-resource-id "$ALIAS"', '--connection-name "$CONNECTION_NAME"',
                   "--manual-request true", '--request-message "$REQUEST_MESSAGE"', '--subnet "$SUBNET_ID"',
                   '-l "$REGION"'):
        assert option in create
    assert "--nic-name" not in create  # no custom NIC name given
    assert "az network private-dns zone create" in text
    assert re.search(r"az network private-dns link vnet create .*-v \"\$LINK_VNET_ID\" -e false", text, re.S)
    assert "az network private-dns record-set a add-record" in text and '-a "$ENDPOINT_IP"' in text
    assert "--query 'networkInterfaces[0].id'" in text
    assert "az network nic show --ids \"$NIC_ID\" --query 'ipConfigurations[0].privateIPAddress'" in text
    assert f"ALIAS='{sandbox.demo_alias}'" in text
    assert f"SUBSCRIPTION='{sandbox.subscription_id}'" in text
    for line in text.splitlines():
        if re.match(r"^[A-Z_]+=[^$]", line):
            assert re.match(r"^[A-Z_]+='[^']*'$", line), line
    assert "please approve the Azure Private Link connection" in text  # the text for Astronomer support
    assert sandbox.writes() == []  # exporting never writes


def test_fresh_world_terraform(sandbox, tmp_path):
    config = demo_config(sandbox, nic_name="astro-pe-nic",
                         linked_vnets=[vnet_id(sandbox, "rg-network-hub", "vnet-hub")])
    text = render(make_engine(sandbox, tmp_path / "state", config), "terraform")
    assert balanced(text, '"', "#")
    for rtype in ("azurerm_private_endpoint", "azurerm_private_dns_zone",
                  "azurerm_private_dns_zone_virtual_network_link", "azurerm_private_dns_a_record"):
        assert f'resource "{rtype}"' in text
    assert text.count('resource "azurerm_private_dns_zone_virtual_network_link"') == 2
    assert re.search(r"is_manual_connection\s+= true", text)
    assert re.search(rf'private_connection_resource_alias\s+= "{re.escape(sandbox.demo_alias)}"', text)
    assert re.search(r'custom_network_interface_name\s+= "astro-pe-nic"', text)
    assert re.search(r"registration_enabled\s+= false", text)
    assert re.search(r"records\s+= \[azurerm_private_endpoint\.astro\.private_service_connection\[0\]"
                     r"\.private_ip_address\]", text)
    assert re.search(rf'name\s+= "{sandbox.demo_cluster_id}"', text)
    assert 'data "azurerm_subnet" "endpoint"' in text  # the existing subnet is read, not declared
    _terraform_fmt(text, tmp_path)


def test_fresh_world_bicep(sandbox, tmp_path):
    config = demo_config(sandbox, nic_name="astro-pe-nic")
    text = render(make_engine(sandbox, tmp_path / "state", config), "bicep")
    assert balanced(text, "'", "//")
    for rtype in ("Microsoft.Network/privateEndpoints@", "Microsoft.Network/privateDnsZones@",
                  "Microsoft.Network/privateDnsZones/virtualNetworkLinks@", "Microsoft.Network/privateDnsZones/A@"):
        assert re.search(rf"^resource \w+ '{re.escape(rtype)}[0-9-]+' = {{$", text, re.M), rtype
    assert f"privateLinkServiceId: '{sandbox.demo_alias}'" in text
    assert "customNetworkInterfaceName: 'astro-pe-nic'" in text
    assert "registrationEnabled: false" in text and "location: 'global'" in text
    assert "ipConfigurations[0].properties.privateIPAddress" in text
    assert " existing = {" not in text


def test_what_exists_is_referenced_not_recreated(sandbox, sdk, tmp_path):
    engine = make_engine(sandbox, tmp_path / "state")
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/write", "/subscriptions")]
    engine.apply(wait_for_approval=False)  # the endpoint is created; the zone is refused
    sandbox.knobs.deny_actions = []
    plans = engine.plan()
    assert {p.step: p.state.value for p in plans}["private_endpoint"] == "done"

    az = render(engine, "az", plans=plans)
    bash_n(az, tmp_path)
    assert "private-endpoint create" not in az and "az network private-dns zone create" in az
    assert "--query 'networkInterfaces[0].id'" in az  # the IP is still read from the existing endpoint
    assert "Already in place" in az and "private endpoint rg-aks-prod/astro-privatelink" in az

    tf = render(engine, "terraform", plans=plans)
    assert balanced(tf, '"', "#")
    assert 'resource "azurerm_private_endpoint"' not in tf
    assert 'data "azurerm_private_endpoint_connection" "astro"' in tf
    assert "records             = [data.azurerm_private_endpoint_connection.astro.private_service_connection[0]" \
           ".private_ip_address]" in tf
    _terraform_fmt(tf, tmp_path)

    bicep = render(engine, "bicep", plans=plans)
    assert balanced(bicep, "'", "//")
    assert re.search(r"^resource endpoint 'Microsoft\.Network/privateEndpoints@[0-9-]+' existing = \{$", bicep, re.M)
    assert "manualPrivateLinkServiceConnections" not in bicep


def test_an_existing_zone_is_referenced(sandbox, sdk, tmp_path):
    sdk.dns.private_zones.begin_create_or_update("rg-network-hub", "external.astronomer.run",
                                                 {"location": "global"}, polling_interval=0).result()
    engine = make_engine(sandbox, tmp_path / "state")
    xp = build(engine)
    assert not xp.zone.create and xp.zone.resource_group == "rg-network-hub"
    tf = render(engine, "terraform")
    assert 'data "azurerm_private_dns_zone" "astro"' in tf and 'resource "azurerm_private_dns_zone" ' not in tf
    assert "zone_name           = data.azurerm_private_dns_zone.astro.name" in tf
    az = render(engine, "az")
    assert "ZONE_RESOURCE_GROUP='rg-network-hub'" in az and "private-dns zone create" not in az
    # Bicep: the endpoint and the zone's records go to different resource groups
    with pytest.raises(ExportError, match=r"one resource group.*az script or Terraform"):
        render(engine, "bicep")


def test_a_finished_setup_exports_nothing_to_do(sandbox, tmp_path):
    engine = make_engine(sandbox, tmp_path / "state")
    sandbox.knobs.approve_after = 0.05
    assert engine.apply().exit_code == 0
    az = render(engine, "az")
    bash_n(az, tmp_path)
    assert "Nothing is left to create" in az and "Nothing to do" in az
    assert not re.search(r"^\s*az .*(create|add-record)", az, re.M)
    tf = render(engine, "terraform")
    assert 'resource "' not in tf and 'output "private_endpoint_ip"' in tf
    bicep = render(engine, "bicep")
    assert "existing = {" in bicep and re.search(r"^resource \w+ '[^']+' = \{", bicep, re.M) is None


def test_conflicts_and_bad_inputs_are_not_exported(sandbox, sdk, tmp_path):
    engine = make_engine(sandbox, tmp_path / "state")
    engine.apply(wait_for_approval=False)
    sdk.dns.record_sets.create_or_update("rg-aks-prod", "external.astronomer.run", "A", sandbox.demo_cluster_id,
                                         {"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.9.9.9"}]}})
    with pytest.raises(ExportError) as conflict:
        render(engine, "az")
    assert "cannot be exported until they are resolved" in str(conflict.value)
    assert "a record:" in str(conflict.value) and "10.9.9.9" in str(conflict.value)
    bad = make_engine(sandbox, tmp_path / "state2", demo_config(sandbox, subnet="no-such-subnet"))
    with pytest.raises(ExportError, match=r"Step 1 does not pass.*no-such-subnet"):
        render(bad, "terraform")


def test_cli_export_to_a_file_and_errors(sandbox, tmp_path, monkeypatch, capsys):
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    config = tmp_path / "setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    out = tmp_path / "handoff.sh"
    assert main(["export", "--config", str(config), "--format", "az", "--output", str(out)]) == 0
    assert f"Wrote the Azure CLI script (bash) for the remaining steps to {out}" in capsys.readouterr().err
    assert stat.S_IMODE(out.stat().st_mode) & 0o100 and out.read_text().startswith("#!/usr/bin/env bash")
    assert main(["export", "--config", str(config), "--format", "bicep"]) == 0
    assert "targetScope = 'resourceGroup'" in capsys.readouterr().out
    config.write_text(demo_config(sandbox, vnet="vnet-nope").to_toml())
    assert main(["export", "--config", str(config), "-f", "terraform"]) == 2
    err = capsys.readouterr().err
    assert "nothing was exported" in err and "vnet-nope" in err
    assert sandbox.writes() == []


# -- the script against the sandbox, with a real az ---------------------------------------------------------
def _az() -> str | None:
    """ASTRO_PL_AZ, else `az` on PATH, else the one .ci/run installs in .venv-az (its own virtual environment)."""
    found = os.environ.get("ASTRO_PL_AZ") or shutil.which("az") or str(REPO / ".venv-az" / "bin" / "az")
    return found if os.path.isfile(found) and os.access(found, os.X_OK) else None


def _az_sandbox_tool() -> Path | None:
    path = Path(os.environ.get("ASTRO_PL_AZ_SANDBOX") or REPO.parent / "shared" / "tools" / "az-sandbox")
    return path if path.is_file() else None


@pytest.mark.skipif(_az() is None or _az_sandbox_tool() is None,
                    reason="no az CLI (ASTRO_PL_AZ, az on PATH, or .venv-az/bin/az) or no az-sandbox tool "
                           "(ASTRO_PL_AZ_SANDBOX)")
def test_the_az_script_runs_against_the_sandbox(sandbox, sdk, tmp_path):
    az = _az()
    config = demo_config(sandbox, nic_name="astro-pe-nic")
    engine = make_engine(sandbox, tmp_path / "state", config)
    script = tmp_path / "handoff.sh"
    script.write_text(render(engine, "az"))
    env = dict(os.environ, ARM_URL=sandbox.arm_endpoint, CA_FILE=sandbox.ca_file, TOKEN=sandbox.token,
               SUBSCRIPTION_ID=sandbox.subscription_id, TENANT_ID=sandbox.tenant_id, AZ=az,
               AZ_SANDBOX_DIR=str(tmp_path / "azconfig"))
    setup = subprocess.run([str(_az_sandbox_tool())], env=env, capture_output=True, text=True, timeout=120)
    if setup.returncode != 0:
        pytest.skip(f"az-sandbox could not prepare az: {setup.stderr[-500:]}")
    path = f"{Path(az).parent}:{os.environ.get('PATH', '')}"
    run = subprocess.run(["bash", "-c", f"{setup.stdout}\nexport PATH={path!r}\nbash {script}"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Done." in run.stdout

    world = world_summary(sdk)
    assert [pe.name for pe in world["pes"]] == ["astro-privatelink"]
    assert [n.name for n in world["nics"]] == ["astro-pe-nic"]
    assert len(world["zones"]) == 1 and [lk.name for lk in world["links"]] == ["vnet-aks-prod-astro-link"]
    assert not world["links"][0].registration_enabled
    ip = world["nics"][0].ip_configurations[0].private_ip_address
    assert [(r.name, r.properties.ttl, [a.ipv4_address for a in r.properties.a_records]) for r in world["records"]] \
        == [(sandbox.demo_cluster_id, 300, [ip])]
    conn = world["pes"][0].manual_private_link_service_connections[0]
    assert conn.private_link_service_id == sandbox.demo_alias
    # the wizard agrees: everything but Astronomer's approval is done
    states = {p.step: p.state.value for p in engine.plan()}
    assert states == {"inputs": "done", "private_endpoint": "done", "dns_zone": "done", "vnet_links": "done",
                      "a_record": "done", "approval": "waiting"}
    # running it again changes nothing
    before = len(sandbox.writes())
    again = subprocess.run(["bash", "-c", f"{setup.stdout}\nexport PATH={path!r}\nbash {script}"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "exists already" in again.stdout and len(sandbox.writes()) == before


def _terraform_fmt(text: str, tmp_path: Path) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        return
    path = tmp_path / "main.tf"
    path.write_text(text)
    result = subprocess.run([terraform, "fmt", "-check", "-diff", "-no-color", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
