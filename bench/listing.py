"""VNet listing for the pickers: client CPU and wall time, SDK models (`virtual_networks.list_all`) against the raw
JSON pages the product reads (`wizard.core.listings.iter_vnets`), on the large (5,000) and huge (50,000) worlds.

The sandbox runs in this process, in its own threads; the client's CPU is the listing thread's own
(`time.thread_time`), so the sandbox's work is not counted. Targets: 5,000 VNets <= 1 s, 50,000 <= 4 s.

    .venv/bin/python bench/listing.py [--world large|huge|both] [--runs 3] [--sdk]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wizard.core.azure import ClientFactory
from wizard.core.settings import AzureSettings
from wizard.sandbox.server import Sandbox


def factory_for(sb: Sandbox) -> ClientFactory:
    from wizard.core.transcript import Transcript

    settings = AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file)
    transcript = Transcript(Path(tempfile.mkdtemp(prefix="astro-pl-bench-")) / "bench.requests.log")
    return ClientFactory(settings, per_call_policies=lambda: [transcript.policy()])


def timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    cpu, wall = time.thread_time(), time.perf_counter()
    count = fn()
    return count, time.thread_time() - cpu, time.perf_counter() - wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", choices=["large", "huge", "both"], default="both")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sdk", action="store_true", help="also time the SDK models (slow: ~1 s per 1,000 VNets)")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for world in (["large", "huge"] if args.world == "both" else [args.world]):
        t0 = time.perf_counter()
        sb = Sandbox(world=world).start()
        print(f"[{world}] sandbox built and started in {time.perf_counter() - t0:.2f} s")
        try:
            factory = factory_for(sb)
            subs = [s.subscription_id for s in factory.subscriptions().subscriptions.list()]
            factory.network(subs[0])  # client construction and SDK import are not part of a listing

            def raw(factory: ClientFactory = factory, subs: list[str] = subs) -> int:
                from wizard.core.listings import iter_vnets
                return sum(1 for sub in subs for _ in iter_vnets(factory, sub))

            def sdk(factory: ClientFactory = factory, subs: list[str] = subs) -> int:
                n = 0
                for sub in subs:
                    for v in factory.network(sub).virtual_networks.list_all():
                        n += 1
                        _ = (v.id, v.name, v.location, [(s.name, s.address_prefix) for s in v.subnets or []])
                return n

            kinds = [("raw JSON", raw)] + ([("SDK models", sdk)] if args.sdk else [])
            for label, fn in kinds:
                results = [timed(fn) for _ in range(args.runs if label == "raw JSON" else 1)]
                cpu = statistics.median(r[1] for r in results)
                wall = statistics.median(r[2] for r in results)
                print(f"[{world}] {label}: {results[0][0]:,} VNets in {len(subs)} subscription(s): client CPU median "
                      f"{cpu:.2f} s, wall {wall:.2f} s over {len(results)} run(s) "
                      f"(cpu: {', '.join(f'{r[1]:.2f}' for r in results)})")
        finally:
            sb.stop()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
