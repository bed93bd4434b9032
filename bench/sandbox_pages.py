"""The sandbox's cost per page of a subscription-wide list (Virtual Networks - List All): first, middle and last
pages, and the whole list, on the large and huge worlds; `--before` times the scan the sandbox did before it
indexed resources by scope (every page filtered every resource of the type), for the before/after numbers.

Calls the ARM service directly (no HTTP, no client), so only the sandbox's own work is timed.

    .venv/bin/python bench/sandbox_pages.py [--world large|huge] [--before]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from wizard.sandbox import seeds
from wizard.sandbox.arm.model import Request
from wizard.sandbox.arm.routing import ArmService
from wizard.sandbox.server import OBJECT_ID
from wizard.sandbox.world import Resource, World

API = "2026-03-01"


def old_listing(self: World, type_: str, scope: str = "") -> list[Resource]:
    """The scan `World.of_type` did before the index (git history: wizard/sandbox/world.py)."""
    if self.expiring:
        self.sweep()
    prefix = scope.lower().rstrip("/") + "/" if scope else ""
    return [r for k, r in self.by_type.get(type_.lower(), {}).items() if k.startswith(prefix)]


def page(service: ArmService, sub: str, skip: int) -> tuple[float, str | None]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks"
    query = {"api-version": API} | ({"$skiptoken": str(skip)} if skip else {})
    req = Request("GET", path, path, query, {"authorization": f"Bearer {service.token}"})
    t0 = time.perf_counter()
    resp = service.handle(req)
    elapsed = time.perf_counter() - t0
    assert resp.status == 200, resp.body
    return elapsed, resp.body.get("nextLink")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", choices=["large", "huge"], default="huge")
    ap.add_argument("--before", action="store_true", help="time the scan used before the index")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    t0 = time.perf_counter()
    world = seeds.build(args.world)
    print(f"[{args.world}] world built in {time.perf_counter() - t0:.2f} s ({len(world.resources):,} resources)")
    if args.before:
        World.listing = old_listing  # type: ignore[assignment,method-assign]
    service = ArmService(world, "bench-token", OBJECT_ID)
    sub = seeds.SUBSCRIPTION_ID
    count = len(world.of_type("Microsoft.Network/virtualNetworks", f"/subscriptions/{sub}"))
    size = service.knobs.page_size
    last = (count - 1) // size * size
    for label, skip in (("first", 0), ("middle", last // 2 // size * size), ("last", last)):
        times = [page(service, sub, skip)[0] for _ in range(5)]
        print(f"  {label} page of {count:,} VNets ({size} a page): median {statistics.median(times) * 1000:.2f} ms")
    t0 = time.perf_counter()
    skip, pages, more = 0, 0, True
    while more:
        _, link = page(service, sub, skip)
        pages, skip, more = pages + 1, skip + size, link is not None
    print(f"  whole list, {pages} pages: {time.perf_counter() - t0:.2f} s"
          f"{' (before: the scan)' if args.before else ''}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
