"""`plan --json` and `status --json` on the demo world (setup applied, approval pending), with the requests each
sent (method, path, status, from the sandbox's log, sorted), written to a directory: run it before and after a
change to the read path and `diff -r` the two directories (issue 16: "with the same results").

    .venv/bin/python bench/read_outputs.py OUT_DIR
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from demo_setup import demo_setup

from wizard.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with Sandbox(world="demo") as sb, tempfile.TemporaryDirectory(prefix="astro-pl-bench-") as tmp:
        config, env = demo_setup(sb, tmp)
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
