"""Issue 13, optional part: the in-cluster probe runs in the agents' namespace, asked once and remembered.

`[aks] namespace` in the config (parsed, validated as Kubernetes validates a namespace name, written back); `verify
--from-aks` uses it unless --aks-namespace is given; the Verify screen asks for it before the first run in the
cluster and saves it with the answers. What the sandbox's AKS run command received (the `kubectl run ... -n NS`
command text) is what is checked, not what the product meant to send."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from app_helpers import demo_answers, make_app, screen_name, wait_for
from conftest import FAST_LRO

from wizard.cli import main
from wizard.core.config import ConfigError, SetupConfig, parse_config
from wizard.core.kube_names import namespace_problems

MC = "Microsoft.ContainerService/managedClusters"


# -- the config ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, ok", [
    ("astro-agents", True),
    ("default", True),
    ("a", True),
    ("0agents9", True),
    ("a" * 63, True),
    ("a" * 64, False),          # DNS1123LabelMaxLength
    ("Agents", False),          # lower case only
    ("-agents", False),         # starts with '-'
    ("agents-", False),         # ends with '-'
    ("astro_agents", False),    # no '_'
    ("astro.agents", False),    # a label, not a subdomain: no '.'
    ("astro agents", False),
])
def test_namespace_names(value: str, ok: bool) -> None:
    assert (namespace_problems(value) == []) is ok
    cfg = SetupConfig(aks_namespace=value)
    assert any(p.startswith("[aks] namespace:") for p in cfg.problems()) is not ok


def test_namespace_round_trips_through_toml_and_an_empty_one_is_unset() -> None:
    cfg = SetupConfig(alias="a", api_url="https://x", aks_cluster="aks-prod", aks_namespace="astro-agents")
    text = cfg.to_toml()
    assert '[aks]\ncluster = "aks-prod"\nnamespace = "astro-agents"\n' in text
    assert parse_config(text) == cfg
    alone = SetupConfig(aks_namespace="astro-agents")   # a namespace without a cluster is kept too
    assert parse_config(alone.to_toml()).aks_namespace == "astro-agents"
    assert "[aks]" not in SetupConfig().to_toml()
    assert parse_config('[aks]\ncluster = "aks-prod"\nnamespace = ""\n').aks_namespace is None
    with pytest.raises(ConfigError, match=r"\[aks\] namespace must be a string"):
        parse_config("[aks]\nnamespace = 3\n")


# -- the CLI ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def aks_cli(sandbox_server: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sandbox's AKS world and a config naming cluster aks-prod and namespace astro-agents (nothing applied: the
    run command runs whatever the setup's state)."""
    sb = sandbox_server
    sb.reset("aks")
    sb.knobs.lro_seconds = dict(FAST_LRO)
    sb.knobs.poll_retry_after_ms = 20
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")

    def write(namespace: str | None) -> str:
        cfg = tmp_path / "setup.toml"
        cfg.write_text(SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                   resource_group="rg-aks-prod", subnet="snet-private-endpoints",
                                   aks_cluster="aks-prod", aks_namespace=namespace).to_toml())
        return str(cfg)

    yield sb, write
    sb.reset("demo")


def _verify(cfg: str, *extra: str) -> int:
    return main(["verify", "--config", cfg, "--timeout", "1", "--json", "--from-aks", *extra])


def test_verify_from_aks_runs_the_probe_in_the_configs_namespace(aks_cli: Any, capsys: Any) -> None:
    sb, write = aks_cli
    commands = sb.service.pod_network.commands
    _verify(write("astro-agents"))
    data = json.loads(capsys.readouterr().out)
    assert any(c["where"] == "AKS cluster aks-prod" for c in data["checks"])
    assert commands[-1].startswith("kubectl run astro-pl-probe-") and " -n astro-agents " in commands[-1]

    _verify(write("astro-agents"), "--aks-namespace", "other-ns")   # the flag wins over the config
    assert " -n other-ns " in commands[-1] and "astro-agents" not in commands[-1]

    _verify(write(None))   # neither: the pod goes where Kubernetes puts it (no -n)
    assert " -n " not in commands[-1]
    capsys.readouterr()


def test_a_bad_namespace_is_exit_2_before_anything_runs(aks_cli: Any, capsys: Any) -> None:
    sb, write = aks_cli
    commands = sb.service.pod_network.commands
    before = len(commands)
    assert _verify(write("astro-agents"), "--aks-namespace", "Astro_Agents") == 2
    assert "--aks-namespace: 'Astro_Agents' is not a Kubernetes namespace name" in capsys.readouterr().err
    assert _verify(write("Astro_Agents")) == 2
    assert "[aks] namespace: 'Astro_Agents' is not a Kubernetes namespace name" in capsys.readouterr().err
    assert len(commands) == before


# -- the Verify screen -----------------------------------------------------------------------------------------------
def test_the_verify_screen_asks_for_the_namespace_once_and_reuses_it(sandbox: Any, tmp_path: Any) -> None:
    from textual.widgets import Input, Static

    commands = sandbox.service.pod_network.commands
    cluster = f"/subscriptions/{sandbox.subscription_id}/resourceGroups/rg-aks-prod/providers/{MC}/aks-prod"

    def in_cluster_runs() -> int:
        return sum(1 for c in commands if c.startswith("kubectl run astro-pl-probe-"))

    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(110, 36)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            demo_answers(app, sandbox)
            app.config.aks_cluster = cluster   # the agents' cluster is known: the Verify screen offers Ctrl+K
            app.reviewed = True
            app.goto("verify")
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="local verify report")
            start = in_cluster_runs()

            await pilot.press("ctrl+k")   # first time: asked, nothing run yet
            await wait_for(pilot, lambda: screen_name(app) == "NamespaceScreen", what="the namespace question")
            assert in_cluster_runs() == start
            await pilot.press("escape")   # cancelled: nothing runs, nothing is saved
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            assert app.config.aks_namespace is None and in_cluster_runs() == start

            await pilot.press("ctrl+k")
            await wait_for(pilot, lambda: screen_name(app) == "NamespaceScreen", what="asked again after Esc")
            await pilot.press(*"Astro_Agents", "enter")   # not a namespace name: said, and asked still
            await pilot.pause()
            said = app.screen.query_one("#namespace-error", Static).content
            assert screen_name(app) == "NamespaceScreen" and "not a Kubernetes namespace name" in str(said)
            app.screen.query_one("#namespace-input", Input).value = ""
            await pilot.press(*"astro-agents", "enter")
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            app.verify_state = None
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="in-cluster report")
            assert app.config.aks_namespace == "astro-agents"
            assert in_cluster_runs() == start + 1 and " -n astro-agents " in commands[-1]
            saved = app.store.latest_for(app.config.cluster_id or "").record
            assert saved is not None and saved.answers.aks_namespace == "astro-agents"   # remembered on disk

            app.verify_state = None
            await pilot.press("ctrl+k")   # second time: not asked, the same namespace
            await pilot.pause()
            assert screen_name(app) == "VerifyScreen"
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="second in-cluster report")
            assert in_cluster_runs() == start + 2 and " -n astro-agents " in commands[-1]

    asyncio.run(run())
