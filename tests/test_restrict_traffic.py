"""Restrict traffic (the doc's optional last step): read-change-write of the Deployment's allowed IP address ranges
through the Astro API, idempotent, undo of only what this tool added, a concurrent change re-read (never written
over), and the `restrict-traffic` command's exit codes and JSON. Every other Deployment field is compared."""

from __future__ import annotations

import copy
import io
import json
import os
from pathlib import Path

import pytest
from engine_helpers import demo_config

from steps.restrict_traffic import RestrictError, add_range, check_cidr, remove_ranges, update_request
from wizard.cli import main
from wizard.core.astro_api import AstroApi, AstroApiSettings
from wizard.sandbox.astro_api import AZURE_VPC_RANGE, ORG_ID, OTHER_PARTY_RANGE

REMOTE = "cldepremote00000000000001"
HOSTED = "cldephosted00000000000001"
MOVING = {"updatedAt", "updatedBy"}


def api(sb, token=None):
    return AstroApi(AstroApiSettings(base_url=sb.astro_api_url, token=token or sb.astro_api_token,
                                     ca_file=sb.ca_file), sleep=lambda s: None)


def assert_only_ranges_changed(before: dict, after: dict, ranges: list[str]) -> None:
    """Every field of the Deployment is what it was, field by field, except the allowed ranges (and updatedAt/By)."""
    for key in sorted(set(before) | set(after)):
        if key in MOVING:
            continue
        if key == "remoteExecution":
            b, a = dict(before[key]), dict(after[key])
            assert a.pop("allowedIpAddressRanges") == ranges
            b.pop("allowedIpAddressRanges")
            assert a == b, key
            continue
        assert after.get(key) == before.get(key), key


@pytest.mark.parametrize("text, value, problem", [
    ("172.20.0.0/19", "172.20.0.0/19", None),
    (" 10.0.0.0/8 ", "10.0.0.0/8", None),
    ("172.20.0.1/19", None, "did you mean 172.20.0.0/19"),
    ("10.0.0.1", None, "no prefix length"),
    ("banana", None, "not an IP address range"),
])
def test_check_cidr(text, value, problem):
    got, why = check_cidr(text)
    assert got == value
    assert (why is None) if problem is None else (problem in why)


def test_update_request_keeps_every_field_and_secrets_go_back_without_a_value(sandbox):
    with api(sandbox) as client:
        dep = client.deployment(ORG_ID, REMOTE)
    body = update_request(dep, ["1.2.3.0/24"])
    for key in ("name", "description", "workspaceId", "type", "executor", "isCicdEnforced", "isDagDeployEnabled",
                "isHighAvailability", "isDevelopmentMode", "schedulerSize", "contactEmails"):
        assert body[key] == dep[key], key
    assert body["remoteExecution"] == {"enabled": True, "allowedIpAddressRanges": ["1.2.3.0/24"],
                                       "taskLogBucket": dep["remoteExecution"]["taskLogBucket"],
                                       "taskLogUrlPattern": dep["remoteExecution"]["taskLogUrlPattern"]}
    secret = next(v for v in body["environmentVariables"] if v["isSecret"])
    assert "value" not in secret
    assert "podCpu" not in body["workerQueues"][0]


def test_add_is_idempotent_and_undo_removes_only_ours(sandbox):
    with api(sandbox) as client:
        original = client.deployment(ORG_ID, REMOTE)
        first = add_range(client, ORG_ID, REMOTE, AZURE_VPC_RANGE)
        assert first.wrote and first.after == ["203.0.113.0/28", AZURE_VPC_RANGE]
        writes = [r for r in sandbox.astro_api.log if r["method"] == "POST"]
        again = add_range(client, ORG_ID, REMOTE, AZURE_VPC_RANGE)
        assert not again.wrote
        assert [r for r in sandbox.astro_api.log if r["method"] == "POST"] == writes   # no second write
        assert_only_ranges_changed(original, client.deployment(ORG_ID, REMOTE), ["203.0.113.0/28", AZURE_VPC_RANGE])
        undone = remove_ranges(client, ORG_ID, REMOTE, [AZURE_VPC_RANGE])
        assert undone.wrote and undone.after == ["203.0.113.0/28"]
        assert_only_ranges_changed(original, client.deployment(ORG_ID, REMOTE), ["203.0.113.0/28"])
    assert sandbox.astro_api.world.secret_values[(REMOTE, "WAREHOUSE_PASSWORD")] == "s3cret-0001"


def test_a_concurrent_change_is_read_again_and_kept(sandbox):
    sandbox.astro_api.knobs.concurrent_change = 1   # someone edits the Deployment right after our first read
    with api(sandbox) as client:
        change = add_range(client, ORG_ID, REMOTE, AZURE_VPC_RANGE)
        now = client.deployment(ORG_ID, REMOTE)
    assert change.rereads == 1 and change.wrote
    assert now["remoteExecution"]["allowedIpAddressRanges"] == ["203.0.113.0/28", OTHER_PARTY_RANGE, AZURE_VPC_RANGE]
    assert now["description"].endswith("(edited)")   # their other edit was not written over either


def test_a_deployment_that_keeps_changing_is_reported_not_overwritten(sandbox):
    sandbox.astro_api.knobs.concurrent_change = 100
    with api(sandbox) as client, pytest.raises(RestrictError, match="kept changing"):
        add_range(client, ORG_ID, REMOTE, AZURE_VPC_RANGE)
    assert not [r for r in sandbox.astro_api.log if r["method"] == "POST"]


def test_a_deployment_without_remote_execution_is_refused(sandbox):
    with api(sandbox) as client, pytest.raises(RestrictError, match="remote execution"):
        add_range(client, ORG_ID, HOSTED, AZURE_VPC_RANGE)


# -- the command ---------------------------------------------------------------------------------------------------
def _config(sandbox, tmp_path, **changes) -> str:
    values = dict(organization_id=ORG_ID, deployment_id=REMOTE, api_url="")
    values.update(changes)
    path = tmp_path / "setup.toml"
    path.write_text(demo_config(sandbox, **values).to_toml())
    return str(path)


@pytest.fixture
def applied(sandbox, sandbox_env, capsys):
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, sandbox_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    capsys.readouterr()
    return config


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_restrict_traffic_json_add_rerun_undo(sandbox, applied, capsys):
    with api(sandbox) as client:
        original = client.deployment(ORG_ID, REMOTE)
    assert main(["restrict-traffic", "--config", applied, "--yes", "--json"]) == 0
    out = _json(capsys)
    assert out["ok"] and out["wrote"] and out["cidr"] == AZURE_VPC_RANGE
    assert out["before"] == ["203.0.113.0/28"] and out["after"] == ["203.0.113.0/28", AZURE_VPC_RANGE]
    assert out["added_by_tool"] == [AZURE_VPC_RANGE]

    assert main(["restrict-traffic", "--config", applied, "--yes", "--json"]) == 0
    out = _json(capsys)
    assert out["ok"] and not out["wrote"]

    assert main(["status", "--config", applied, "--json"]) == 0
    assert _json(capsys)["optional"][0]["added_by_tool"] == [AZURE_VPC_RANGE]

    assert main(["restrict-traffic", "--config", applied, "--undo", "--yes", "--json"]) == 0
    out = _json(capsys)
    assert out["ok"] and out["after"] == ["203.0.113.0/28"]
    with api(sandbox) as client:
        assert_only_ranges_changed(original, client.deployment(ORG_ID, REMOTE), ["203.0.113.0/28"])
    assert main(["restrict-traffic", "--config", applied, "--undo", "--yes"]) == 0
    assert "Nothing to undo" in capsys.readouterr().out


def test_a_range_that_was_already_there_is_not_claimed_by_undo(sandbox, applied, capsys):
    assert main(["restrict-traffic", "--config", applied, "--cidr", "203.0.113.0/28", "--yes", "--json"]) == 0
    out = _json(capsys)
    assert not out["wrote"] and out["added_by_tool"] == []
    assert main(["restrict-traffic", "--config", applied, "--undo", "--yes"]) == 0
    with api(sandbox) as client:
        assert client.deployment(ORG_ID, REMOTE)["remoteExecution"]["allowedIpAddressRanges"] == ["203.0.113.0/28"]


@pytest.mark.parametrize("case, code, words", [
    ("bad_cidr", 2, "--cidr '10.0.0.1/8' has host bits set"),
    ("no_token", 2, "ASTRO_API_TOKEN"),
    ("bad_token", 2, "Astro refused the API token as invalid or expired"),
    ("read_only", 1, "may not change"),
    ("unknown", 2, "deployment_id"),
    ("throttled", 1, "limiting requests"),
    ("not_confirmed", 2, "nothing was changed"),
])
def test_restrict_traffic_errors(sandbox, applied, capsys, monkeypatch, case, code, words):
    args = ["restrict-traffic", "--config", applied, "--yes"]
    if case == "bad_cidr":
        args += ["--cidr", "10.0.0.1/8"]
    elif case == "no_token":
        monkeypatch.delenv("ASTRO_API_TOKEN")
    elif case == "bad_token":
        monkeypatch.setenv("ASTRO_API_TOKEN", "astro-sandbox-not-this-one")
    elif case == "read_only":
        monkeypatch.setenv("ASTRO_API_TOKEN", sandbox.astro_api.read_only_token)
    elif case == "unknown":
        args[2] = _config(sandbox, Path(applied).parent, deployment_id="clnope")
    elif case == "throttled":
        sandbox.astro_api.knobs.throttle_next = 1000
        sandbox.astro_api.knobs.retry_after_seconds = 120
    elif case == "not_confirmed":
        args.remove("--yes")
        monkeypatch.setattr("sys.stdin", io.StringIO(""))   # no terminal: no one to confirm
    before = copy.deepcopy(sandbox.astro_api.world.deployments[REMOTE])
    assert main(args) == code
    captured = capsys.readouterr()
    assert words in captured.err
    assert sandbox.astro_api.world.deployments[REMOTE] == before


def test_restrict_traffic_waits_for_verify_to_pass(sandbox, sandbox_env, capsys):
    sandbox.knobs.approve_after = None
    config = _config(sandbox, sandbox_env)
    assert main(["apply", "--config", config, "--yes", "--no-wait"]) == 3
    capsys.readouterr()
    assert main(["restrict-traffic", "--config", config, "--yes", "--json"]) == 1
    out = _json(capsys)
    assert "verify does not pass yet" in out["error"] and not out["ok"]
    assert not [r for r in sandbox.astro_api.log if r["method"] == "POST"]


def test_verify_shows_astro_health_and_no_token_reaches_disk_log_or_report(sandbox, applied, capsys):
    token = sandbox.astro_api_token
    host, port = sandbox.dns_address
    assert main(["verify", "--config", applied, "--nameserver", f"{host}:{port}"]) == 0
    text = capsys.readouterr().out
    assert "Astro reports the Deployment agents-prod HEALTHY." in text
    assert main(["verify", "--config", applied, "--json", "--nameserver", f"{host}:{port}"]) == 0
    data = _json(capsys)
    assert data["astro_deployment"]["status"] == "HEALTHY" and data["astro_deployment"]["ok"]
    assert main(["restrict-traffic", "--config", applied, "--yes"]) == 0
    assert main(["report", "--config", applied]) == 0
    report = capsys.readouterr().out
    assert token not in report
    state = Path(os.environ["ASTRO_PL_STATE_DIR"])
    files = [p for p in state.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert token not in path.read_text(errors="replace"), path
    assert all("authorization" not in json.dumps(r).lower() for r in sandbox.astro_api.log)


def test_apply_restrict_traffic_runs_the_last_step_only_when_asked(sandbox, sandbox_env, capsys):
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, sandbox_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    assert not [r for r in sandbox.astro_api.log if r["method"] == "POST"]
    assert main(["apply", "--config", config, "--yes", "--restrict-traffic"]) == 0
    assert AZURE_VPC_RANGE in sandbox.astro_api.world.deployments[REMOTE]["remoteExecution"]["allowedIpAddressRanges"]
    assert "Done: allowed IP address ranges are now 203.0.113.0/28, 172.20.0.0/19." in capsys.readouterr().out


def test_plan_shows_restrict_traffic_as_an_optional_last_step(sandbox, applied, capsys):
    assert main(["plan", "--config", applied]) == 0
    out = capsys.readouterr().out
    assert "Optional last step, restrict traffic to the private endpoint: not done" in out
    assert main(["restrict-traffic", "--config", applied, "--yes", "--json"]) == 0
    capsys.readouterr()
    assert main(["status", "--config", applied]) == 0
    assert f"restrict traffic: done by this tool ({AZURE_VPC_RANGE} allowed)" in capsys.readouterr().out
