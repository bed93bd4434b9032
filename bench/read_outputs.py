"""`plan --json` and `status --json` on the demo world (setup applied, approval pending), with the requests each
sent (method, path, status, from the sandbox's log, sorted), written to a directory: run it before and after a
change to the read path and `diff -r` the two directories (issue 16: "with the same results").

    .venv/bin/python bench/read_outputs.py OUT_DIR
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from wizard.core.config import SetupConfig
from wizard.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with Sandbox(world="demo") as sb, tempfile.TemporaryDirectory(prefix="astro-pl-bench-") as tmp:
        sb.knobs.lro_seconds = {"privateEndpoint": 0.2, "privateDnsZone": 0.1, "virtualNetworkLink": 0.1,
                                "delete": 0.05, "visibility": 0.0}
        sb.knobs.poll_retry_after_ms = 50
        config = Path(tmp) / "setup.toml"
        config.write_text(SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                      resource_group="rg-aks-prod", vnet="vnet-aks-prod",
                                      subnet="snet-private-endpoints").to_toml())
        env = dict(os.environ, **sb.env(), ASTRO_PL_STATE_DIR=str(Path(tmp) / "state"))
        py = sys.executable
        done = subprocess.run([py, "-m", "wizard", "apply", "--config", str(config), "--yes", "--no-wait"], env=env,
                              cwd=REPO, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 3), done.stderr[-2000:]
        for command in ("plan", "status"):
            since = len(sb.requests)
            done = subprocess.run([py, "-m", "wizard", command, "--config", str(config), "--json"], env=env, cwd=REPO,
                                  capture_output=True, text=True, timeout=120)
            text = done.stdout.replace(tmp, "<tmp>")
            (out / f"{command}.json").write_text(text)
            (out / f"{command}.rc").write_text(f"{done.returncode}\n{done.stderr.replace(tmp, '<tmp>')}")
            # the endpoint's NIC is named with a random GUID in every fresh sandbox; sorted, since the engine
            # inspects independent steps concurrently (their order varies from run to run)
            (out / f"{command}.requests").write_text("".join(sorted(
                re.sub(r"\.nic\.[0-9a-f-]{36}", ".nic.<guid>", f"{r.method} {r.path} {r.status}\n")
                for r in sb.requests[since:])))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
