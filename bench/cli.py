"""`plan` and `status` on the demo world (setup applied, approval pending): wall time of the command as a fresh
process, medians of alternating runs, with the interpreter's normal teardown (`wizard.cli.main` then exit, as
before) and with the quick exit `python -m wizard` now makes after a read-only command; plus the fixed costs
(Python start, importing azure.mgmt.network, the SDK's transport) measured alone; and the quick exit with every
read through the SDK clients (`ClientFactory.RAW_READS` off), i.e. before the raw reads. Target: <= 0.4x one
`az network private-endpoint show` (bench/vs_az.py --only plan,status).

    .venv/bin/python bench/cli.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from demo_setup import demo_setup, print_medians, time_interleaved, wall

from wizard.sandbox.server import Sandbox

NORMAL = "import sys\nfrom wizard.cli import main\nraise SystemExit(main(sys.argv[1:]))"
# The same quick exit with every read through the SDK clients (`ClientFactory.RAW_READS` off): the state before the
# raw reads of wizard/core/arm_reads.py, measured in the same run.
SDK_READS = ("import sys\nfrom wizard.core.azure import ClientFactory\nClientFactory.RAW_READS = False\n"
             "from wizard.cli import run\nrun(sys.argv[1:])")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with Sandbox(world="demo") as sb, tempfile.TemporaryDirectory(prefix="astro-pl-bench-") as tmp:
        config, env = demo_setup(sb, tmp)
        py = sys.executable
        wall([py, "-m", "wizard", "apply", "--config", str(config), "--yes", "--no-wait"], env)
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "import azure.mgmt.network": [py, "-c", "import azure.mgmt.network"],
            "import azure-core + requests transport": [py, "-c", "import azure.mgmt.core, "
                                                       "azure.core.pipeline.transport._requests_basic"],
        }
        for command in ("plan", "status"):
            argv = [command, "--config", str(config), "--json"]
            cases[f"{command}, normal exit"] = [py, "-c", NORMAL, *argv]
            cases[f"{command}, python -m wizard"] = [py, "-m", "wizard", *argv]
            cases[f"{command}, SDK reads (RAW_READS off)"] = [py, "-c", SDK_READS, *argv]
        times = time_interleaved(cases, env, args.runs)
    print_medians(times)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
