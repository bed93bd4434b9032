"""Issue 15, part 2: a setup across subscriptions. The endpoint and the agents' VNets in two spoke subscriptions, the
zone in a central connectivity subscription ([dns] subscription_id), every read and write sent to the subscription
of its resource; the connectivity subscription's roles narrowed to Reader (the zone's part goes to an admin through
the export); a policy that denies zones in the spoke (the one sentence leads to the hub). Against the sandbox's
"hub-spoke-subs" world (wizard/sandbox/hub_spoke_subs.py) through the real SDK clients.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from app_helpers import make_app, screen_name, wait_for
from conftest import cli_env, in_world
from engine_helpers import make_engine, states

from steps.verify import run_verify
from wizard.core.config import ConfigError, SetupConfig, parse_config
from wizard.sandbox import hub_spoke_subs as w

CONN, S1, S2 = w.CONNECTIVITY_SUB, w.SPOKE1_SUB, w.SPOKE2_SUB


@pytest.fixture
def subs(sandbox: Any) -> Any:
    yield from in_world(sandbox, "hub-spoke-subs", approve_after=0.0)


def spoke_config(sb: Any, **changes: Any) -> SetupConfig:
    """The endpoint in spoke 1, agents in spokes 1 and 2, the zone in the connectivity subscription."""
    values: dict[str, Any] = dict(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=S1,
                                  resource_group=w.SPOKE1_RG, vnet="vnet-spoke-1", subnet="snet-private-endpoints",
                                  linked_vnets=[w.SPOKE2_VNET], dns_subscription_id=CONN,
                                  dns_resource_group=w.HUB_DNS_RG)
    values.update(changes)
    return SetupConfig(**values)


def sub_of(resource_id: str) -> str:
    return resource_id.split("/")[2].lower()


def mark(sb: Any) -> int:
    return max((r.number for r in sb.requests), default=0)


def writes(sb: Any, since: int) -> list[tuple[str, str]]:
    """(method, lower-case path) of every write the sandbox answered after request number `since`."""
    return [(r.method, r.path.lower().split("?")[0]) for r in sb.writes(since)]


# -- config ------------------------------------------------------------------------------------------------------
def test_dns_subscription_and_group_id_in_the_config() -> None:
    base = '[astro]\nalias = "a"\napi_url = "https://x.external.astronomer.run"\n[azure]\nsubscription_id = "s"\n'
    cfg = parse_config(base + f'[dns]\nsubscription_id = "{CONN}"\nresource_group = "rg-dns"\n')
    assert cfg.zone_subscription == CONN and cfg.zone_resource_group == "rg-dns"
    again = parse_config(cfg.to_toml())
    assert again.dns_subscription_id == CONN
    # A resource group's full id gives both.
    cfg = parse_config(base + f'[dns]\nresource_group = "/subscriptions/{CONN}/resourceGroups/rg-dns"\n')
    assert (cfg.dns_subscription_id, cfg.dns_resource_group) == (CONN, "rg-dns")
    with pytest.raises(ConfigError, match="give one of them"):
        parse_config(base + f'[dns]\nsubscription_id = "{S1}"\nresource_group = "/subscriptions/{CONN}/'
                            'resourceGroups/rg-dns"\n')
    assert parse_config(base).zone_subscription == "s"
    bad = SetupConfig(dns_subscription_id="connectivity")
    assert any("[dns] subscription_id 'connectivity' is not a subscription id" in p for p in bad.problems())


# -- the whole setup ---------------------------------------------------------------------------------------------
def test_zone_in_the_hub_agents_in_two_spokes_apply_and_verify(subs: Any, tmp_path: Path) -> None:
    engine = make_engine(subs, tmp_path, spoke_config(subs))
    plans = {p.step: p for p in engine.plan()}
    assert plans["inputs"].action.value == "done", plans["inputs"].summary
    assert plans["dns_zone"].action.value == "done"                     # the hub's zone is reused, not made
    assert sub_of(plans["dns_zone"].uses["dns_zone"]) == CONN.lower()
    since = mark(subs)
    result = engine.apply()
    assert result.exit_code == 0, states(result)
    made = writes(subs, since)
    # Each write went to the subscription of its resource: the endpoint to spoke 1, the zone's parts to the hub.
    assert any(m == "PUT" and f"/subscriptions/{S1}/".lower() in p and "/privateendpoints/" in p for m, p in made)
    dns_writes = [p for _, p in made if "/privatednszones/" in p]
    assert dns_writes and all(p.startswith(f"/subscriptions/{CONN}/".lower()) for p in dns_writes)
    assert not any(f"/subscriptions/{S2}/".lower() in p for _, p in made)       # spoke 2 is only linked to
    links = [p for p in dns_writes if "/virtualnetworklinks/" in p]
    assert len(links) == 2
    for vnet in (w.SPOKE1_VNET, w.SPOKE2_VNET):                        # verified from inside each spoke
        subs.knobs.dns_vnet_id = vnet
        report = run_verify(engine.ctx, nameserver=subs.dns_address, timeout=3.0, ca_file=subs.ca_file)
        assert report.ok, [(c.name, c.detail, c.diagnosis) for c in report.checks]
    # A rerun converges (nothing left to do), and destroy removes what it made, in each subscription.
    assert all(p.action.value == "done" for p in make_engine(subs, tmp_path, spoke_config(subs)).plan())
    since = mark(subs)
    gone = make_engine(subs, tmp_path, spoke_config(subs)).destroy()
    assert all(o.state.value == "done" for o in gone), [(o.step, o.state.value, o.summary) for o in gone]
    deleted = [p for m, p in writes(subs, since) if m == "DELETE"]
    assert any("/privateendpoints/" in p and p.startswith(f"/subscriptions/{S1}/".lower()) for p in deleted)
    assert any("/virtualnetworklinks/" in p and p.startswith(f"/subscriptions/{CONN}/".lower()) for p in deleted)
    assert not any(p.endswith("/privatednszones/external.astronomer.run") for p in deleted)   # not ours: kept


def test_cli_apply_verify_and_export_name_each_subscription(subs: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    path = tmp_path / "setup.toml"
    path.write_text(spoke_config(subs).to_toml())
    cli_env(subs, tmp_path, monkeypatch)
    assert main(["export", "--config", str(path), "--format", "az", "--output", str(tmp_path / "x.sh")]) == 0
    script = (tmp_path / "x.sh").read_text()
    assert f'SUBSCRIPTION="{S1}"' in script or f"SUBSCRIPTION='{S1}'" in script
    assert CONN in script and 'private-dns link vnet create --subscription "$ZONE_SUBSCRIPTION"' in script
    assert main(["export", "--config", str(path), "--format", "terraform", "--output", str(tmp_path / "x.tf")]) == 0
    tf = (tmp_path / "x.tf").read_text()
    assert 'alias           = "zone"' in tf or 'alias = "zone"' in tf.replace("  ", " ").replace("  ", " ")
    assert "provider = azurerm.zone" in " ".join(tf.split())
    capsys.readouterr()
    assert main(["apply", "--config", str(path), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()
    subs.knobs.dns_vnet_id = w.SPOKE2_VNET
    assert main(["verify", "--config", str(path), "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["dns"]["ok"] and checks["https"]["ok"]


# -- roles per subscription: write in the spokes, read in the hub -------------------------------------------------
def test_reader_in_the_hub_hands_the_zones_part_to_an_admin(subs: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    subs.knobs.role_assignments = [("Contributor", f"/subscriptions/{S1}"), ("Contributor", f"/subscriptions/{S2}"),
                                   ("Reader", f"/subscriptions/{CONN}")]
    path = tmp_path / "setup.toml"
    path.write_text(spoke_config(subs).to_toml())
    cli_env(subs, tmp_path, monkeypatch)
    assert main(["apply", "--config", str(path), "--yes"]) != 0
    out = " ".join(capsys.readouterr().out.split())
    # The endpoint (spoke 1) is made; the links (hub) are refused with one sentence that names the export.
    assert "Microsoft.Network/privateDnsZones/virtualNetworkLinks/write" in out
    assert f"astro-privatelink export --config {path}" in out
    assert main(["export", "--config", str(path), "--format", "az", "--output", str(tmp_path / "admin.sh")]) == 0
    script = (tmp_path / "admin.sh").read_text()
    assert "private-endpoint create" not in script                     # done already: only looked up
    assert f'ZONE_SUBSCRIPTION="{CONN}"' in script or f"ZONE_SUBSCRIPTION='{CONN}'" in script
    assert script.count('private-dns link vnet create --subscription "$ZONE_SUBSCRIPTION"') >= 1


# -- a policy denying zones in spokes ------------------------------------------------------------------------------
def test_policy_denying_zones_in_the_spoke_leads_to_the_hub(subs: Any, tmp_path: Path) -> None:
    subs.knobs.deny_policies = [w.spoke_zone_policy(S1)]
    alone = spoke_config(subs, dns_subscription_id=None, dns_resource_group=None)   # the zone would go in spoke 1
    result = make_engine(subs, tmp_path, alone).apply()
    assert result.exit_code != 0
    zone = result.outcomes["dns_zone"]
    assert zone.state.value == "failed"
    text = zone.summary
    assert "'Deny the creation of private DNS'" in text
    # The sentence names the zone that exists where the policy wants it, and the config keys that point there.
    assert f"[dns] subscription_id = \"{CONN}\"" in text and f"resource_group = \"{w.HUB_DNS_RG}\"" in text
    assert result.outcomes["private_endpoint"].state.value == "done"     # what was made stays
    # Following the sentence converges: the endpoint is kept, the hub's zone is used.
    again = make_engine(subs, tmp_path, spoke_config(subs)).apply()
    assert again.exit_code == 0, states(again)
    assert sub_of(again.outcomes["dns_zone"].resources["dns_zone"]) == CONN.lower()


# -- the TUI keeps and shows the subscription of each part ---------------------------------------------------------
def test_pilot_review_shows_the_zones_subscription(subs: Any, tmp_path: Path) -> None:
    config = spoke_config(subs)

    async def run() -> None:
        app = make_app(subs, tmp_path)
        async with app.run_test(size=(120, 44)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            app.config = config
            app.goto("review")
            await wait_for(pilot, lambda: screen_name(app) == "ReviewScreen")
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None), timeout=30, what="plans")
            content = app.screen.query_one("#plans").content
            text = " ".join(str(getattr(content, "text", content)).split())
            assert f"exists: reusing the zone that exists in resource group '{w.HUB_DNS_RG}' in subscription {CONN}" \
                in text
            assert "vnet-spoke-2" in text                                      # the other spoke's link
            assert app.config.dns_subscription_id == CONN and app.config.zone_subscription == CONN
            app.goto("placement")                                       # the extra VNet names its subscription
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            links = app.screen.query_one("#links").content
            assert f"rg-spoke-2, subscription {S2}" in str(getattr(links, "plain", links))

    asyncio.run(run())
