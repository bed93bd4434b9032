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


# -- issue 12: global flags after the subcommand, closed pipes, the API URL without a cluster ID, verify --json
@pytest.mark.parametrize("argv", [
    ["demo", "--redact", "--plain"], ["--redact", "--plain", "demo"], ["--redact", "demo", "--plain"]])
def test_global_flags_are_taken_before_or_after_the_subcommand(argv):
    from wizard.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    assert (args.command, args.redact, args.plain) == ("demo", True, True)


def test_azure_flags_after_a_config_command_reach_the_engine(tmp_path):
    from wizard.cli.parser import build_parser

    after = build_parser().parse_args(["plan", "-c", "f.toml", "--arm-endpoint", "https://arm.example",
                                       "--ca-file", "ca.pem"])
    before = build_parser().parse_args(["--arm-endpoint", "https://arm.example", "--ca-file", "ca.pem",
                                        "plan", "-c", "f.toml"])
    for args in (after, before):
        assert (args.arm_endpoint, args.ca_file) == ("https://arm.example", "ca.pem")
    report = build_parser().parse_args(["report", "-c", "f.toml", "--redact"])
    assert report.report_redact is True and report.redact is False  # report's own flag: the same meaning


@pytest.mark.parametrize(("command", "code"), [
    (["plan"], 0), (["status"], 0), (["report"], 0), (["export", "--format", "terraform"], 0),
    (["apply", "--yes", "--no-wait"], 3)])
def test_a_reader_that_closes_the_pipe_gets_no_traceback(sandbox, cli_env, command, code):
    """`astro-privatelink plan --config F | head -0`: the pipe is closed before the first line is written. The
    command still does its work (apply creates what it plans) and exits with its own code."""
    import subprocess

    config = _config(sandbox, cli_env)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "wizard", *command, "--config", config], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    if command[0] == "apply":
        assert sandbox.world.of_type("Microsoft.Network/privateEndpoints")


def test_an_api_url_without_the_cluster_id_says_what_is_missing(sandbox, cli_env, capsys):
    config = _config(sandbox, cli_env, api_url="https://external.astronomer.run")
    assert main(["plan", "--config", config]) == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "has no cluster ID" in text and "https://<cluster-id>.external.astronomer.run" in text
    assert "does not" not in text


def test_verify_json_gives_the_nameserver_as_an_address(sandbox, cli_env, capsys):
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, cli_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    capsys.readouterr()
    host, port = sandbox.dns_address
    assert main(["verify", "--config", config, "--json", "--nameserver", f"{host}:{port}"]) == 0
    assert json.loads(capsys.readouterr().out)["nameserver"] == f"{host}:{port}"
    assert main(["verify", "--config", config, "--nameserver", "not-an-address"]) == 2
    assert "nameserver" in capsys.readouterr().err


def test_status_and_report_say_the_zone_this_tool_created_was_created_not_reused(sandbox, cli_env, capsys):
    """The record, not Azure, knows who made the zone: the setup that made it says so; another setup reuses it."""
    sandbox.knobs.approve_after = 0.0
    config = _config(sandbox, cli_env)
    assert main(["apply", "--config", config, "--yes"]) == 0
    capsys.readouterr()
    for command in ("status", "report"):
        assert main([command, "--config", config]) == 0
        out = capsys.readouterr().out
        zone_line = next(line for line in out.splitlines() if line.strip().startswith("Zone external.astronomer.run"))
        assert "created by this tool" in zone_line and "reusing" not in zone_line.lower(), zone_line

    other_dir = cli_env / "other"
    other_dir.mkdir()
    other = _config(sandbox, other_dir, endpoint_name="astro-privatelink-2",
                    api_url=sandbox.demo_api_url.replace("clmh597sg000208lb2kjhcn8q", "clother00000000000000000"))
    main(["plan", "--config", other])
    out = capsys.readouterr().out
    zone_line = next(line for line in out.splitlines() if line.strip().startswith("Zone external.astronomer.run"))
    assert "reusing the zone" in zone_line and "created by this tool" not in zone_line, zone_line
