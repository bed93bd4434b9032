"""What the command-line benches share: a demo sandbox with fast long-running operations, a config file for the
demo setup, the environment that points the CLI at the sandbox, and the wall time of one command.

    from demo_setup import demo_setup, print_medians, time_interleaved, wall
    (bench scripts run as `python bench/<name>.py`)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

from wizard.core.config import SetupConfig
from wizard.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[1]


def demo_setup(sb: Sandbox, tmp: str, **env_extra: str) -> tuple[Path, dict[str, str]]:
    """Make `sb`'s long-running operations fast and write the demo setup's config in `tmp`: (config, env)."""
    sb.knobs.lro_seconds = {"privateEndpoint": 0.2, "privateDnsZone": 0.1, "virtualNetworkLink": 0.1,
                            "delete": 0.05, "visibility": 0.0}
    sb.knobs.poll_retry_after_ms = 50
    config = Path(tmp) / "setup.toml"
    config.write_text(SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                  resource_group="rg-aks-prod", vnet="vnet-aks-prod",
                                  subnet="snet-private-endpoints").to_toml())
    env = dict(os.environ, **sb.env(), ASTRO_PL_STATE_DIR=str(Path(tmp) / "state"), **env_extra)
    return config, env


def wall(argv: list[str], env: dict[str, str], timeout: float = 120) -> float:
    """Seconds one command takes, start to exit; it must succeed (0, or 3: approval pending)."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    assert done.returncode in (0, 3), done.stderr[-2000:]
    return elapsed


def time_interleaved(cases: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Each case's wall times over `runs` rounds, the cases interleaved so that load changes hit every case alike."""
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            times[name].append(wall(argv, env))
    return times


def print_medians(times: dict[str, list[float]]) -> None:
    for name, values in times.items():
        print(f"  {name:40} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
