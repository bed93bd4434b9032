"""Benchmark: apply's wall time against the sum of the steps and the critical path, and ARM requests per run.

The sandbox gets Azure-like durations scaled down (private endpoint 60 s, DNS zone 30 s, VNet link 30 s,
A record 1 s; `--scale 0.05` makes them 3 s, 1.5 s, 1.5 s, 0.05 s). Critical path: max(endpoint, zone + link)
+ record; the sum is endpoint + zone + link + record. Approval is not waited for (`--no-wait` semantics).

    python bench/apply.py [--scale 0.05] [--retry-after 10] [--runs 3]

`--retry-after` is the real-world seconds ARM asks clients to wait between polls (scaled like the rest).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from engine_helpers import make_engine

from wizard.sandbox.server import Sandbox

REAL = {"privateEndpoint": 60.0, "privateDnsZone": 30.0, "virtualNetworkLink": 30.0, "record": 1.0}


def one_run(sb: Sandbox, scale: float, retry_after: float) -> dict[str, float]:
    sb.reset("demo")
    sb.knobs.lro_seconds = {"privateEndpoint": REAL["privateEndpoint"] * scale,
                            "privateDnsZone": REAL["privateDnsZone"] * scale,
                            "virtualNetworkLink": REAL["virtualNetworkLink"] * scale,
                            "delete": 1.0 * scale, "visibility": 0.0}
    sb.knobs.poll_retry_after_ms = max(1, int(retry_after * scale * 1000))
    # The record PUT is synchronous in ARM; the sandbox has no per-type latency, so a tenth of the record's
    # time is added to every request (reads included), which slightly overstates the engine's overhead.
    sb.knobs.latency = REAL["record"] * scale / 10
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(sb, Path(tmp))
        start = time.monotonic()
        result = engine.apply(wait_for_approval=False)
        wall = time.monotonic() - start
    assert result.exit_code == 3, {k: (o.state.value, o.summary) for k, o in result.outcomes.items()}
    requests = len(sb.requests)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(sb, Path(tmp))
        mark = len(sb.requests)
        engine.apply(wait_for_approval=False)
        reapply_requests = len(sb.requests) - mark
        reapply_writes = len(sb.writes(mark))
    pe, zone, link, rec = (REAL[k] * scale for k in ("privateEndpoint", "privateDnsZone", "virtualNetworkLink",
                                                     "record"))
    return {"wall": wall, "critical": max(pe, zone + link) + rec, "sum": pe + zone + link + rec,
            "requests": requests, "reapply_requests": reapply_requests, "reapply_writes": reapply_writes}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--retry-after", type=float, default=10.0, help="real-world poll interval ARM asks for (s)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with Sandbox(world="demo") as sb:
        runs = [one_run(sb, args.scale, args.retry_after) for _ in range(args.runs)]
    wall = statistics.median(r["wall"] for r in runs)
    first = runs[0]
    print(f"scale {args.scale}, poll every {args.retry_after * args.scale:.2f} s, {args.runs} runs (median)")
    print(f"  apply wall time      {wall:6.2f} s")
    print(f"  critical path        {first['critical']:6.2f} s   ratio {wall / first['critical']:.3f}")
    print(f"  sum of the steps     {first['sum']:6.2f} s   ratio {wall / first['sum']:.3f}")
    print(f"  ARM requests: apply {statistics.median(r['requests'] for r in runs):.0f}, "
          f"re-apply {statistics.median(r['reapply_requests'] for r in runs):.0f} "
          f"(writes on re-apply: {max(r['reapply_writes'] for r in runs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
