"""The tool against the az CLI on the same sandbox, alternating, wall time of each as a fresh process (imports,
sign-in and interpreter exit included), medians and ratios (tool / az; below 1: the tool is faster).

  setup      `astro-privatelink apply --yes --no-wait`   vs  the exported az script (`export -f az`), fresh world
  re-apply   the same again on the finished setup        vs  the script again (it checks and skips what exists)
  status     `astro-privatelink status --json`            vs  the az reads status makes (endpoint, NIC, zone,
                                                               links, A record: five `az ... show/list`)
  plan       `astro-privatelink plan --json`              vs  one `az network private-endpoint show`
  listing    the pickers' VNet listing (5,003 VNets)      vs  `az network vnet list` (same subscription)

Needs an az CLI (ASTRO_PL_AZ, az on PATH, or .venv-az/bin/az) and ../shared/tools/az-sandbox (ASTRO_PL_AZ_SANDBOX).
Long-running operations are Azure's durations scaled by --scale (as bench/apply.py), polled as ARM asks.

    .venv/bin/python bench/vs_az.py [--runs 3] [--scale 0.05] [--only setup,status,...]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from wizard.core.config import SetupConfig
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[1]
REAL = {"privateEndpoint": 60.0, "privateDnsZone": 30.0, "virtualNetworkLink": 30.0}
RG, VNET, SUBNET = "rg-aks-prod", "vnet-aks-prod", "snet-private-endpoints"
TASKS = ("setup", "reapply", "status", "plan", "listing")


def find_az() -> str | None:
    found = os.environ.get("ASTRO_PL_AZ") or shutil.which("az") or str(REPO / ".venv-az" / "bin" / "az")
    return found if os.path.isfile(found) and os.access(found, os.X_OK) else None


def az_sandbox_tool() -> Path | None:
    path = Path(os.environ.get("ASTRO_PL_AZ_SANDBOX") or REPO.parent / "shared" / "tools" / "az-sandbox")
    return path if path.is_file() else None


class Bench:
    def __init__(self, sb: Sandbox, az: str, work: Path, scale: float) -> None:
        self.sb, self.az, self.work, self.scale = sb, az, work, scale
        self.config = work / "setup.toml"
        self.env = dict(os.environ, ASTRO_PL_ARM_ENDPOINT=sb.arm_endpoint, ASTRO_PL_ACCESS_TOKEN=sb.token,
                        ASTRO_PL_CA_FILE=sb.ca_file, ASTRO_PL_STATE_DIR=str(work / "state"))
        az_env = dict(os.environ, ARM_URL=sb.arm_endpoint, CA_FILE=sb.ca_file, TOKEN=sb.token,
                      SUBSCRIPTION_ID=sb.subscription_id, TENANT_ID=sb.tenant_id, AZ=az,
                      AZ_SANDBOX_DIR=str(work / "azconfig"))
        setup = subprocess.run([str(az_sandbox_tool())], env=az_env, capture_output=True, text=True, timeout=120,
                               check=True)
        for line in setup.stdout.splitlines():   # the `export K=v ...` and `unset K ...` lines az-sandbox prints
            words = shlex.split(line)
            if words and words[0] == "export":
                az_env.update(w.split("=", 1) for w in words[1:] if "=" in w)
            elif words and words[0] == "unset":
                for w in words[1:]:
                    az_env.pop(w, None)
        az_env["PATH"] = f"{Path(az).parent}:{os.environ.get('PATH', '')}"
        self.az_env = az_env

    def fresh(self) -> None:
        """The large world afresh (demo + 5,000 VNets), scaled Azure durations, no setup record."""
        self.sb.reset("large")
        k = self.sb.knobs
        k.lro_seconds = {"privateEndpoint": REAL["privateEndpoint"] * self.scale,
                         "privateDnsZone": REAL["privateDnsZone"] * self.scale,
                         "virtualNetworkLink": REAL["virtualNetworkLink"] * self.scale,
                         "delete": self.scale, "visibility": 0.0}
        k.poll_retry_after_ms = max(1, int(10_000 * self.scale))
        shutil.rmtree(self.work / "state", ignore_errors=True)
        self.config.write_text(SetupConfig(alias=self.sb.demo_alias, api_url=self.sb.demo_api_url,
                                           subscription_id=self.sb.subscription_id, resource_group=RG, vnet=VNET,
                                           subnet=SUBNET).to_toml())

    def tool(self, *args: str, ok: tuple[int, ...] = (0,)) -> float:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "wizard", *args], env=self.env, capture_output=True, text=True,
                             timeout=600, cwd=REPO)
        elapsed = time.perf_counter() - t0
        assert run.returncode in ok, (args, run.returncode, run.stdout[-2000:], run.stderr[-2000:])
        return elapsed

    def shell(self, command: list[str], env: dict[str, str] | None = None) -> float:
        t0 = time.perf_counter()
        run = subprocess.run(command, env=env or self.az_env, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - t0
        assert run.returncode == 0, (command, run.stdout[-2000:], run.stderr[-2000:])
        return elapsed

    def export_script(self) -> Path:
        script = self.work / "handoff.sh"
        self.tool("export", "--config", str(self.config), "-f", "az", "-o", str(script))
        return script

    def az_status(self) -> float:
        sub, cid = self.sb.subscription_id, self.sb.demo_cluster_id
        nic = next(r.id for r in self.sb.world.of_type("Microsoft.Network/networkInterfaces"))
        commands = [
            [self.az, "network", "private-endpoint", "show", "-g", RG, "-n", "astro-privatelink",
             "--subscription", sub],
            [self.az, "network", "nic", "show", "--ids", nic],
            [self.az, "network", "private-dns", "zone", "show", "-g", RG, "-n", ASTRO_DNS_ZONE,
             "--subscription", sub],
            [self.az, "network", "private-dns", "link", "vnet", "list", "-g", RG, "-z", ASTRO_DNS_ZONE,
             "--subscription", sub],
            [self.az, "network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ASTRO_DNS_ZONE, "-n", cid,
             "--subscription", sub],
        ]
        return sum(self.shell(c) for c in commands)


def listing_code() -> str:
    return ("import os\nfrom wizard.core.azure import ClientFactory\nfrom wizard.core.listings import iter_vnets\n"
            "from wizard.core.settings import AzureSettings\n"
            "f = ClientFactory(AzureSettings.from_env())\n"
            "n = sum(1 for _ in iter_vnets(f, os.environ['BENCH_SUB']))\nassert n > 5000, n\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--only", default=",".join(TASKS), help=f"comma-separated subset of {', '.join(TASKS)}")
    args = ap.parse_args()
    only = [t for t in args.only.split(",") if t]
    az = find_az()
    if az is None or az_sandbox_tool() is None:
        print("no az CLI (ASTRO_PL_AZ, az on PATH, .venv-az/bin/az) or no az-sandbox tool: nothing to compare")
        return 2
    print(f"az: {az}; load average before: {os.getloadavg()}")
    times: dict[str, dict[str, list[float]]] = {t: {"tool": [], "az": []} for t in only}
    with Sandbox(world="large") as sb, tempfile.TemporaryDirectory(prefix="astro-pl-vs-az-") as tmp:
        bench = Bench(sb, az, Path(tmp), args.scale)
        bench.env["BENCH_SUB"] = bench.az_env["BENCH_SUB"] = sb.subscription_id
        for i in range(args.runs):
            order = ("tool", "az") if i % 2 == 0 else ("az", "tool")
            for who in order:   # alternating: tool first on even runs, az first on odd ones
                bench.fresh()
                script = bench.export_script()
                cfg = str(bench.config)
                apply = partial(bench.tool, "apply", "--config", cfg, "--yes", "--no-wait", ok=(0, 3))
                run_script = partial(bench.shell, ["bash", str(script)])
                steps: dict[str, Callable[[], float]] = {
                    "setup": apply if who == "tool" else run_script,
                    "reapply": apply if who == "tool" else run_script,
                    "status": partial(bench.tool, "status", "--config", cfg, "--json", ok=(0, 3)) if who == "tool"
                    else bench.az_status,
                    "plan": partial(bench.tool, "plan", "--config", cfg, "--json", ok=(0, 3)) if who == "tool" else
                    partial(bench.shell, [az, "network", "private-endpoint", "show", "-g", RG, "-n",
                                          "astro-privatelink", "--subscription", sb.subscription_id]),
                    "listing": partial(bench.shell, [sys.executable, "-c", listing_code()], bench.env)
                    if who == "tool" else
                    partial(bench.shell, [az, "network", "vnet", "list", "--subscription", sb.subscription_id,
                                          "-o", "json"]),
                }
                needs_setup = any(t in only for t in ("reapply", "status", "plan"))
                for task in ("setup", "reapply", "status", "plan", "listing"):
                    if task in only:
                        times[task][who].append(steps[task]())
                    elif task == "setup" and needs_setup:
                        steps[task]()
            print(f"run {i + 1}: " + ", ".join(f"{t} {times[t]['tool'][-1]:.2f}/{times[t]['az'][-1]:.2f} s"
                                               for t in only), flush=True)
    print(f"\n{'task':10} {'tool (s)':>9} {'az (s)':>9} {'tool/az':>8}   medians of {args.runs} alternating runs, "
          f"scale {args.scale}")
    for task in only:
        tool, azt = statistics.median(times[task]["tool"]), statistics.median(times[task]["az"])
        print(f"{task:10} {tool:9.2f} {azt:9.2f} {tool / azt:7.2f}x")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
