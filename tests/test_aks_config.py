"""`[aks] cluster` in the config file: parsed and written back; with it `[endpoint] vnet` may be left out (plan says
where the VNet came from), and an explicit VNet that is not the cluster's stops the command before anything is
written, naming both."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wizard.cli import main
from wizard.core.config import SetupConfig, parse_config


def test_aks_cluster_round_trips_and_makes_vnet_optional() -> None:
    cfg = SetupConfig(alias="a", api_url="u", subscription_id="s", resource_group="rg", subnet="sn",
                      aks_cluster="aks-prod")
    assert parse_config(cfg.to_toml()).aks_cluster == "aks-prod"
    assert not any("[endpoint] vnet" in p for p in cfg.problems())
    cfg.aks_cluster = None
    assert any("[endpoint] vnet" in p and "[aks] cluster" in p for p in cfg.problems())


@pytest.fixture
def env(sandbox_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    sb = sandbox_server
    sb.reset("aks")
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    yield sb
    sb.reset("demo")


def _write(sb: Any, tmp_path: Any, endpoint: str, cluster: str) -> str:
    path = tmp_path / "setup.toml"
    path.write_text(f'[astro]\nalias = "{sb.demo_alias}"\napi_url = "{sb.demo_api_url}"\n[azure]\n'
                    f'subscription_id = "{sb.subscription_id}"\nresource_group = "rg-aks-prod"\n[endpoint]\n'
                    f'{endpoint}subnet = "snet-private-endpoints"\n[aks]\ncluster = "{cluster}"\n')
    return str(path)


def test_plan_derives_the_vnet_and_says_so(env: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(env, tmp_path, "", "aks-prod")
    assert main(["plan", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "[endpoint] vnet vnet-aks-prod: from AKS cluster aks-prod's node pools" in out
    assert main(["plan", "--config", cfg, "--json"]) == 0
    assert "from AKS cluster aks-prod" in json.loads(capsys.readouterr().out)["vnet_source"]


def test_two_vnet_cluster_links_both(env: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(env, tmp_path, "", "aks-split")
    assert main(["plan", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "several VNets" in out
    assert "create link 'vnet-aks-prod-astro-link'" in out and "create link 'vnet-hub-astro-link'" in out


def test_a_vnet_that_is_not_the_clusters_is_a_step_1_problem(env: Any, tmp_path: Any,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(env, tmp_path, 'vnet = "vnet-hub"\n', "aks-prod")
    before = len(env.writes())
    assert main(["apply", "--config", cfg, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "Step 1" in err and "vnet-hub" in err and "vnet-aks-prod" in err and "aks-prod" in err
    assert len(env.writes()) == before


def test_an_unknown_cluster_is_one_sentence(env: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(env, tmp_path, "", "aks-nope")
    assert main(["plan", "--config", cfg]) == 2
    err = capsys.readouterr().err
    assert "aks-nope" in err and "Traceback" not in err


def test_destroy_works_after_the_cluster_is_gone(env: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(env, tmp_path, 'vnet = "vnet-aks-prod"\n', "aks-prod")
    env.knobs.approve_after = 0.0
    assert main(["apply", "--config", cfg, "--yes", "--no-wait"]) in (0, 3)
    env.service.remove(f"/subscriptions/{env.subscription_id}/resourceGroups/rg-aks-prod/providers/"
                       "Microsoft.ContainerService/managedClusters/aks-prod")
    capsys.readouterr()
    assert main(["destroy", "--config", cfg, "--yes"]) == 0
    err = capsys.readouterr().err
    assert "aks-prod" in err and "going on without the cluster's VNets" in err
    assert main(["plan", "--config", cfg]) == 2   # plan needs the cluster: one sentence, exit 2
