"""Type-ahead over the large sandbox world (5,000+ VNets): time per keystroke until the picker has re-rendered.
Target: within 50 ms.

    .venv/bin/python bench/picker.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time

from textual.app import App, ComposeResult

from screens.widgets.picker import Picker, PickItem


def load_items() -> list[PickItem]:
    from wizard.sandbox.server import Sandbox
    from wizard.tui.app import WizardApp

    sb = Sandbox(world="large").start()
    try:
        app = WizardApp(sandbox=sb, state=tempfile.mkdtemp(prefix="astro-pl-bench-"), preload_sdk=False)
        items: list[PickItem] = []
        started = time.perf_counter()
        app.listings.vnets(sb.subscription_id, items.extend)
        print(f"listed {len(items):,} VNets from the sandbox in {time.perf_counter() - started:.2f} s "
              "(streamed to the picker page by page)")
        return items
    finally:
        sb.stop()


class Bench(App):
    def compose(self) -> ComposeResult:
        yield Picker("virtual networks")


async def run(items: list[PickItem]) -> None:
    app = Bench()
    async with app.run_test(size=(100, 30)) as pilot:
        picker = app.query_one(Picker)
        painted: list[float] = []
        original = Picker.refilter

        def timed(self) -> None:
            t0 = time.perf_counter()
            original(self)
            self.call_after_refresh(lambda: painted.append(time.perf_counter() - t0))

        picker.refilter = timed.__get__(picker)
        picker.set_items(items)
        picker.focus_filter()
        await pilot.pause()
        per_key, refilter = [], []
        for query in ("vnet-fleet-12", "weu", "fleet 07", "aks-prod"):
            picker.query_one("Input").value = ""
            await pilot.pause()
            for ch in query:
                t0 = time.perf_counter()
                await pilot.press(ch)
                await pilot.pause()
                per_key.append(time.perf_counter() - t0)
                t1 = time.perf_counter()
                picker.refilter()
                refilter.append(time.perf_counter() - t1)
        per_key.sort()
        painted.sort()
        print("Input.Changed -> filtered, window refilled and painted: "
              f"median {statistics.median(painted) * 1000:.1f} ms, "
              f"p95 {painted[int(len(painted) * 0.95)] * 1000:.1f} ms, max {painted[-1] * 1000:.1f} ms")
        print("keystroke through Pilot (press + settle, includes Pilot's own waits): "
              f"median {statistics.median(per_key) * 1000:.1f} ms, "
              f"p95 {per_key[int(len(per_key) * 0.95)] * 1000:.1f} ms, max {per_key[-1] * 1000:.1f} ms "
              f"over {len(per_key)} keystrokes (target 50 ms)")
        print(f"filter + bounded window (<= 60 options) alone: median {statistics.median(refilter) * 1000:.1f} ms, "
              f"max {max(refilter) * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(run(load_items()))
