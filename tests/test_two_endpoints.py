"""Issue 15, part 1: a second endpoint for the same Astro cluster in another VNet is a setup of its own. Setups are
keyed by cluster id AND endpoint (record files, the start screen, status, report, destroy say which), each endpoint's
VNets get their own zone, and a zone that already answers with another endpoint's IP is a conflict naming both.
A record keyed by cluster id alone (written before) is found and moved to its key.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from app_helpers import make_app, screen_name, wait_for
from engine_helpers import demo_config, make_engine, states, vnet_id

from steps.verify import run_verify
from wizard.core.config import SetupConfig
from wizard.core.record import RecordStore, SetupRecord, setup_key

HUB = dict(resource_group="rg-network-hub", vnet="vnet-hub", subnet="snet-endpoints")
HUB_LABEL = "endpoint astro-privatelink in rg-network-hub (VNet vnet-hub, subscription "
AKS_LABEL = "endpoint astro-privatelink in rg-aks-prod (VNet vnet-aks-prod, subscription "


def second(sb: Any, **changes: Any) -> SetupConfig:
    """The same cluster's second endpoint, in vnet-hub (its zone in rg-network-hub by default)."""
    return demo_config(sb, **{**HUB, **changes})


@pytest.fixture
def fast(sandbox: Any) -> Any:
    sandbox.knobs.approve_after = 0.0
    return sandbox


# -- the record's key and the migration of old files ---------------------------------------------------------------
def test_setup_key_tells_endpoints_apart() -> None:
    url = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"
    a = SetupConfig(api_url=url, subscription_id="s", resource_group="rg-a")
    b = SetupConfig(api_url=url, subscription_id="s", resource_group="rg-b")
    assert setup_key(a).startswith("clmh597sg000208lb2kjhcn8q--astro-privatelink-")
    assert setup_key(a) != setup_key(b)
    assert setup_key(a) == setup_key(SetupConfig(api_url=url, subscription_id="S", resource_group="RG-A"))


def test_a_record_keyed_by_cluster_id_alone_is_found_and_migrated(tmp_path: Path) -> None:
    url = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"
    cfg = SetupConfig(api_url=url, subscription_id="s", resource_group="rg-a", vnet="v", subnet="n")
    old = SetupRecord(cluster_id="clmh597sg000208lb2kjhcn8q", answers=cfg)
    old.remember("private_endpoint", "/subscriptions/s/x", created_by_tool=True)
    (tmp_path / "clmh597sg000208lb2kjhcn8q.json").write_text(json.dumps(old.to_json()))
    (tmp_path / "clmh597sg000208lb2kjhcn8q.toml").write_text(cfg.to_toml())
    store = RecordStore(tmp_path)
    loaded = store.load_or_new(cfg)
    assert loaded.record is not None and loaded.record.resources["private_endpoint"].created_by_tool
    new = store.path_for(setup_key(cfg))
    assert new.exists() and new.with_suffix(".toml").exists()
    assert not (tmp_path / "clmh597sg000208lb2kjhcn8q.json").exists()
    assert not (tmp_path / "clmh597sg000208lb2kjhcn8q.toml").exists()
    # A second endpoint's answers start a setup of their own; the first is still listed.
    other = SetupConfig(api_url=url, subscription_id="s", resource_group="rg-b", vnet="v2", subnet="n")
    fresh = store.load_or_new(other).record
    assert fresh is not None and not fresh.resources
    store.save(fresh)
    records, messages = store.list()
    assert not messages and sorted(r.answers.resource_group for r in records) == ["rg-a", "rg-b"]
    # Loading by cluster id alone still finds one of its setups.
    assert store.load("clmh597sg000208lb2kjhcn8q").record is not None


def test_list_migrates_an_old_record_of_another_endpoint(tmp_path: Path) -> None:
    url = "https://c1abc.external.astronomer.run"
    cfg = SetupConfig(api_url=url, subscription_id="s", resource_group="rg-a", vnet="v", subnet="n")
    (tmp_path / "c1abc.json").write_text(json.dumps(SetupRecord(cluster_id="c1abc", answers=cfg).to_json()))
    records, _ = RecordStore(tmp_path).list()
    assert [r.key for r in records] == [setup_key(cfg, "c1abc")]
    assert [p.name for p in tmp_path.glob("*.json")] == [f"{setup_key(cfg, 'c1abc')}.json"]


# -- two endpoints, two setups, two zones ----------------------------------------------------------------------------
def test_two_endpoints_for_one_cluster_each_verified_from_its_vnet(fast: Any, sdk: Any, tmp_path: Path) -> None:
    one = make_engine(fast, tmp_path, demo_config(fast))
    assert one.apply().exit_code == 0
    two = make_engine(fast, tmp_path, second(fast))
    plans = {p.step: p for p in two.plan()}
    assert plans["dns_zone"].action.value == "create"          # its own zone, in rg-network-hub
    assert "rg-network-hub" in plans["dns_zone"].summary
    assert any("answers for another private endpoint of this Astro cluster; each endpoint's VNets need their own "
               "zone" in w for w in plans["dns_zone"].warnings)
    result = two.apply()
    assert result.exit_code == 0, states(result)
    ip1, ip2 = one.ctx.endpoint().private_ip, two.ctx.endpoint().private_ip
    assert ip1 and ip2 and ip1 != ip2
    for engine, vnet, ip in ((one, vnet_id(fast, "rg-aks-prod", "vnet-aks-prod"), ip1),
                             (two, vnet_id(fast, "rg-network-hub", "vnet-hub"), ip2)):
        fast.knobs.dns_vnet_id = vnet
        engine.ctx.refresh()
        report = run_verify(engine.ctx, nameserver=fast.dns_address, timeout=3.0, ca_file=fast.ca_file)
        assert report.ok, [(c.name, c.detail, c.diagnosis) for c in report.checks]
        assert ip in report.check("dns").detail
    store = RecordStore(tmp_path)
    records, _ = store.list()
    assert len(records) == 2 and len({r.key for r in records}) == 2
    assert {r.answers.resource_group for r in records} == {"rg-aks-prod", "rg-network-hub"}


def test_a_zone_answering_with_another_endpoint_is_a_conflict_naming_both(fast: Any, sdk: Any,
                                                                          tmp_path: Path) -> None:
    assert make_engine(fast, tmp_path, demo_config(fast)).apply().exit_code == 0
    # The second setup pointed at the first one's zone (its resource group): the plan explains the DNS consequence.
    plans = {p.step: p for p in make_engine(fast, tmp_path, second(fast, dns_resource_group="rg-aks-prod")).plan()}
    zone = plans["dns_zone"]
    assert zone.action.value == "conflict", zone.summary
    assert "private endpoint 'astro-privatelink' in resource group 'rg-aks-prod' (VNet vnet-aks-prod)" in zone.summary
    assert "each endpoint's VNets need their own zone" in zone.summary
    assert "[dns] resource_group = 'rg-network-hub'" in zone.summary
    assert any("this setup: this setup's endpoint 'astro-privatelink' in resource group 'rg-network-hub'" in d
               for d in zone.details)
    applied = make_engine(fast, tmp_path, second(fast, dns_resource_group="rg-aks-prod")).apply()
    assert applied.outcomes["dns_zone"].state.value == "conflict"
    assert applied.outcomes["vnet_links"].state.value == "blocked"      # vnet-hub is not linked to the wrong zone
    assert applied.outcomes["a_record"].state.value == "blocked"        # and the first endpoint's record is kept
    # vnet-hub linked (by hand) to the first zone: a conflict naming the link and both endpoints.
    sdk.dns.virtual_network_links.begin_create_or_update(
        "rg-aks-prod", "external.astronomer.run", "hub-by-hand",
        {"location": "global", "properties": {"virtualNetwork": {"id": vnet_id(fast, "rg-network-hub", "vnet-hub")},
                                              "registrationEnabled": False}}).result()
    engine = make_engine(fast, tmp_path, second(fast))
    result = engine.apply()
    zone_out = result.outcomes["dns_zone"]
    assert zone_out.state.value == "conflict", states(result)
    assert zone_out.summary.startswith("vnet-hub is already linked to zone external.astronomer.run in resource group "
                                       "'rg-aks-prod'")
    assert "'astro-privatelink' in resource group 'rg-network-hub' (VNet vnet-hub)" in zone_out.summary
    # Nothing was linked to the wrong zone and the first setup's record is untouched.
    rs = sdk.dns.record_sets.get("rg-aks-prod", "external.astronomer.run", "A", fast.demo_cluster_id)
    assert [a.ipv4_address for a in rs.a_records] == [make_engine(fast, None).ctx.endpoint().private_ip]


def test_cli_status_report_destroy_say_which_setup(fast: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    for key, value in fast.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(demo_config(fast).to_toml())
    b.write_text(second(fast).to_toml())
    assert main(["apply", "--config", str(a), "--yes"]) == 0
    assert main(["apply", "--config", str(b), "--yes"]) == 0
    capsys.readouterr()
    assert main(["status", "--config", str(b)]) == 0
    out = capsys.readouterr().out
    assert "Setup record (cluster " in out and HUB_LABEL in out
    assert main(["report", "--config", str(b)]) == 0
    assert HUB_LABEL in capsys.readouterr().out
    assert main(["destroy", "--config", str(b), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "created for cluster " in out and HUB_LABEL in out
    assert "/resourceGroups/rg-aks-prod/" not in out                  # the first setup's resources are not touched
    fast.knobs.dns_vnet_id = vnet_id(fast, "rg-aks-prod", "vnet-aks-prod")
    assert main(["verify", "--config", str(a)]) == 0


def test_pilot_start_screen_lists_both_setups(fast: Any, tmp_path: Path) -> None:
    assert make_engine(fast, tmp_path, demo_config(fast)).apply().exit_code == 0
    assert make_engine(fast, tmp_path, second(fast)).apply().exit_code == 0

    async def run() -> None:
        app = make_app(fast, tmp_path)
        async with app.run_test(size=(120, 44)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            options = app.screen.query_one("#setups")
            texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            mine = [t for t in texts if t.startswith("Resume cluster")]
            assert len(mine) == 2
            # One subscription for both: the list names each endpoint without it (a small screen's list).
            assert any("endpoint astro-privatelink in rg-network-hub (VNet vnet-hub)" in t for t in mine)
            assert any("endpoint astro-privatelink in rg-aks-prod (VNet vnet-aks-prod)" in t for t in mine)
            hub = next(i for i, t in enumerate(texts) if "rg-network-hub" in t)
            options.highlighted = hub
            app.screen.action_next()
            await wait_for(pilot, lambda: screen_name(app) != "StartScreen")
            assert app.config.resource_group == "rg-network-hub"

    asyncio.run(run())
