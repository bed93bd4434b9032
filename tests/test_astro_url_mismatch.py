"""Issue 14: a config's `[astro] api_url` that disagrees with the Remote Execution API URL Astro gives for its
`[astro] deployment_id` is a step-1 problem of plan/status/apply (both URLs shown, exit 2 as for any bad input,
nothing written), read from the sandbox's Astro API in step 1's inspect; the commands without step 1 refuse it as a
bad config. The sandbox's Astro API is real HTTPS; nothing here is mocked."""

from __future__ import annotations

import json

import pytest
from engine_helpers import demo_config

from wizard.cli import main
from wizard.sandbox.astro_api import ORG_ID

REMOTE = "cldepremote00000000000001"
WRONG = "https://clother000000000000000001.external.astronomer.run"


def _config(sandbox, tmp_path, **changes) -> str:
    values = dict(organization_id=ORG_ID, deployment_id=REMOTE, api_url=WRONG)
    values.update(changes)
    path = tmp_path / "setup.toml"
    path.write_text(demo_config(sandbox, **values).to_toml())
    return str(path)


def _deployment_reads(sandbox) -> int:
    return len([r for r in sandbox.astro_api.log if r["method"] == "GET" and r["path"].endswith(REMOTE)])


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_disagreeing_api_url_is_step_1_with_both_urls(sandbox, sandbox_env, capsys, command):
    config = _config(sandbox, sandbox_env)
    assert main([command, "--config", config]) == 2
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if WRONG in ln)
    assert sandbox.demo_api_url in line and "agents-prod" in line and "remove api_url" in line
    assert main([command, "--config", config, "--json"]) == 2
    first = json.loads(capsys.readouterr().out)["steps"][0]
    assert first["name"] == "inputs" and first["action"] == "failed"
    assert WRONG in first["detail"] and sandbox.demo_api_url in first["detail"]
    assert _deployment_reads(sandbox) == 2   # one read of the Deployment per command, by step 1


def test_apply_with_a_disagreeing_api_url_writes_nothing(sandbox, sandbox_env, capsys):
    config = _config(sandbox, sandbox_env)
    before = len(sandbox.writes())
    assert main(["apply", "--config", config, "--yes"]) == 2
    captured = capsys.readouterr()
    assert WRONG in captured.out and sandbox.demo_api_url in captured.out
    assert "nothing was written" in captured.err
    assert len(sandbox.writes()) == before
    assert not [r for r in sandbox.astro_api.log if r["method"] == "POST"]


def test_an_agreeing_api_url_passes_step_1(sandbox, sandbox_env, capsys):
    config = _config(sandbox, sandbox_env, api_url=sandbox.demo_api_url.upper().replace("HTTPS", "https") + "/")
    assert main(["plan", "--config", config, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["steps"][0]
    assert first["action"] == "done" and not first["warnings"]


def test_without_a_token_step_1_warns_that_it_could_not_check(sandbox, sandbox_env, capsys, monkeypatch):
    monkeypatch.delenv("ASTRO_API_TOKEN")
    config = _config(sandbox, sandbox_env)
    assert main(["plan", "--config", config, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["steps"][0]
    assert first["action"] == "done"
    assert any("could not be checked against api_url" in w and "ASTRO_API_TOKEN" in w for w in first["warnings"])


@pytest.mark.parametrize("command", [["verify"], ["restrict-traffic", "--yes"]])
def test_commands_without_step_1_refuse_a_disagreeing_api_url(sandbox, sandbox_env, capsys, command):
    config = _config(sandbox, sandbox_env)
    assert main([*command, "--config", config]) == 2
    err = capsys.readouterr().err
    assert WRONG in err and sandbox.demo_api_url in err
