"""The command line: --help, exit codes of plan/apply/status/destroy, JSON shapes, light start-up."""

from __future__ import annotations

import json
import os
import sys

import pytest
from engine_helpers import demo_config

from wizard.cli import main


@pytest.fixture
def cli_env(sandbox_env):
    return sandbox_env


def _config(sandbox, tmp_path, **changes):
    path = tmp_path / "setup.toml"
    path.write_text(demo_config(sandbox, **changes).to_toml())
    return str(path)


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("plan", "apply", "status", "destroy", "sandbox"):
        assert command in out


def test_plan_json_then_apply_then_status(sandbox, cli_env, capsys):
    config = _config(sandbox, cli_env)
    assert main(["plan", "--config", config, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in plan["steps"]] == ["inputs", "private_endpoint", "dns_zone", "vnet_links",
                                                  "a_record", "approval"]
    assert {s["state"] for s in plan["steps"]} <= {"done", "todo", "blocked"}
    assert sandbox.writes() == []

    assert main(["apply", "--config", config, "--yes", "--no-wait"]) == 3
    out = capsys.readouterr().out
    assert "Send this to Astronomer support" in out and "clmh597sg000208lb2kjhcn8q" in out

    sandbox.approve()
    assert main(["status", "--config", config, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert all(set(s) >= {"name", "state", "detail"} for s in status["steps"])
    assert [s["state"] for s in status["steps"]] == ["done"] * 6

    assert main(["apply", "--config", config, "--yes"]) == 0


def test_apply_without_yes_and_no_terminal_writes_nothing(sandbox, cli_env, capsys, monkeypatch):
    with open(os.devnull) as devnull:
        monkeypatch.setattr(sys, "stdin", devnull)
        assert main(["apply", "--config", _config(sandbox, cli_env)]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert sandbox.writes() == []


def test_bad_config_exits_2_with_the_reason(sandbox, cli_env, capsys):
    path = cli_env / "bad.toml"
    path.write_text("[astro]\nalias = 3\n")
    assert main(["plan", "--config", str(path)]) == 2
    assert "[astro] alias must be a string" in capsys.readouterr().err
    assert main(["apply", "--config", str(cli_env / "missing.toml"), "--yes"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_alias_exits_2_before_any_write(sandbox, cli_env, capsys):
    config = _config(sandbox, cli_env, alias="astro.00000000-0000-0000-0000-000000000000.azure.privatelinkservice")
    assert main(["apply", "--config", config, "--yes"]) == 2
    assert "cannot see the Private Link Service alias" in capsys.readouterr().out
    assert sandbox.writes() == []


def test_failed_step_exits_1(sandbox, cli_env, capsys):
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateEndpoints/write", "/subscriptions")]
    assert main(["apply", "--config", _config(sandbox, cli_env), "--yes", "--no-wait"]) == 1
    assert "Network Contributor" in capsys.readouterr().out


def test_destroy(sandbox, cli_env, capsys):
    config = _config(sandbox, cli_env)
    assert main(["destroy", "--config", config, "--yes"]) == 0
    assert "Nothing to remove" in capsys.readouterr().out
    sandbox.knobs.approve_after = 0.0
    assert main(["apply", "--config", config, "--yes"]) == 0
    assert main(["destroy", "--config", config, "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.count("removed") == 4


def test_destroy_stopped_by_ctrl_c_exits_130_and_a_rerun_finishes(sandbox, cli_env, capsys, monkeypatch):
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, cli_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    import wizard.cli.commands as commands

    real = commands.run_interruptibly

    def ctrl_c_at_once(engine, work):  # Ctrl+C arrives as destroy starts: the steps stop at their first wait
        engine.cancel.set()
        return real(engine, work)

    monkeypatch.setattr(commands, "run_interruptibly", ctrl_c_at_once)
    assert main(["destroy", "--config", config, "--yes"]) == 130
    assert "Run destroy again" in capsys.readouterr().out
    monkeypatch.setattr(commands, "run_interruptibly", real)
    assert main(["destroy", "--config", config, "--yes"]) == 0
    assert sandbox.world.of_type("Microsoft.Network/privateEndpoints") == []


def test_token_never_reaches_disk_or_output(sandbox, cli_env, capsys):
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, cli_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    assert main(["status", "--config", config]) == 0
    captured = capsys.readouterr()
    assert sandbox.token not in captured.out + captured.err
    for root, _, files in os.walk(cli_env):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
                assert sandbox.token not in fh.read(), name
