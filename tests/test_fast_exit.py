"""`python -m wizard` ends a read-only command without the interpreter's teardown (wizard/cli/exit.py): the output is
complete, the exit code is the command's, and apply still ends normally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engine_helpers import demo_config

from wizard.cli.exit import READ_ONLY

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env=dict(os.environ))


def test_read_only_commands_print_everything_and_keep_their_exit_code(sandbox, sandbox_env):
    config = Path(sandbox_env) / "setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    plan = run("plan", "--config", str(config), "--json")
    assert plan.returncode == 0, plan.stderr
    steps = json.loads(plan.stdout)   # the whole document arrived: it parses
    assert "private_endpoint" in json.dumps(steps) and sandbox.writes() == []
    applied = run("apply", "--config", str(config), "--yes", "--no-wait")
    assert applied.returncode == 3, applied.stderr   # only approval pending
    status = run("status", "--config", str(config), "--json")
    normal = subprocess.run([sys.executable, "-c", "import sys\nfrom wizard.cli import main\n"
                             "raise SystemExit(main(sys.argv[1:]))", "status", "--config", str(config), "--json"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert status.returncode == normal.returncode and json.loads(status.stdout) == json.loads(normal.stdout)
    # The request log that status wrote on the way is complete on disk (written and closed per request).
    logs = list((Path(sandbox_env) / "state").rglob("*.requests.log"))
    assert logs and all(json.loads(line)["status"] for line in logs[0].read_text().splitlines())
    bad = run("status", "--config", str(Path(sandbox_env) / "missing.toml"))
    assert bad.returncode == 2 and bad.stderr.strip()


def test_only_commands_that_write_nothing_to_azure_end_early():
    assert {"plan", "status", "export", "report"} == READ_ONLY
