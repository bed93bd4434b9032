"""Peak memory (RSS) of the demo over the large world: the wizard with its in-process sandbox, driven from the
start screen through the VNet picker over 5,000+ VNets, to the Review plan. Target: under 200 MB.

    .venv/bin/python bench/memory.py
"""

from __future__ import annotations

import resource
import subprocess
import sys

CHILD = r'''
import asyncio, sys, tempfile
sys.path.insert(0, "tests")
from app_helpers import wait_for, screen_name, pick
from wizard.tui.app import WizardApp

async def main():
    app = WizardApp(sandbox_world="large", approve_after=1.0, state=tempfile.mkdtemp())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen")
        await wait_for(pilot, lambda: bool(app.config.alias), timeout=30)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: bool(app.config.subscription_id), timeout=30)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
        await pilot.click("#rg-button")
        await pick(pilot, "rg-aks-prod")
        await pick(pilot, "vnet-aks-prod")
        await pick(pilot, "private")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, timeout=60)
        print("vnets listed:", app.listings.vnet_count)

asyncio.run(main())
'''


def main() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300)
    print(out.stdout.strip() or out.stderr[-2000:])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"peak RSS of the demo over the large world: {peak_kb / 1024:.0f} MB (target 200 MB)")


if __name__ == "__main__":
    main()
