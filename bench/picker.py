"""The VNet picker over a big sandbox world: how long the listing takes to stream in (wall, and the loader thread's
own CPU), and how long each keystroke takes while it loads and after. Target: keystroke p95 <= 50 ms.

The picker is the wizard's own `PickerScreen`, fed by `wizard.tui.listings.Listings.vnets` in its thread worker,
as in `astro-privatelink demo --world large|huge`; the sandbox runs in this process (as in `demo`), so the
keystrokes compete with both for the interpreter.

    .venv/bin/python bench/picker.py [--world large|huge] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

from textual import events
from textual._time import get_time
from textual.app import App

from screens.widgets.picker import Picker, PickerScreen
from wizard.core.azure import ClientFactory
from wizard.core.settings import AzureSettings
from wizard.sandbox.server import Sandbox
from wizard.tui.listings import Listings

TYPING_INTERVAL = 0.06
QUERIES = ("vnet-fleet-12", "weu", "fleet 07", "aks-prod", "eastus2 rg-fleet-3")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


class Bench(App[None]):
    """Notes when each key event was made (`Message.time`, Textual's clock), so a keystroke is timed from then until
    the picker's window is refilled and the screen refreshed: queueing behind the listing's pages included."""

    last_key: float = 0.0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key = event.time
        await super().on_event(event)


async def one_run(sb: Sandbox) -> dict[str, Any]:
    settings = AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file)
    factory = ClientFactory(settings)
    factory.network(sb.subscription_id)  # SDK import and client construction happen before the picker opens
    listings = Listings(lambda: factory, lambda *ids: None)
    loader_cpu: list[float] = []

    def loader(emit: Any) -> None:
        cpu = time.thread_time()
        listings.vnets(sb.subscription_id, emit)
        loader_cpu.append(time.thread_time() - cpu)

    app = Bench()
    during: list[float] = []
    after: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        started = time.perf_counter()
        screen = PickerScreen("Virtual network", "virtual networks", loader)
        await app.push_screen(screen)
        picker = screen.query_one(Picker)
        text = picker.query_one("Input")
        original = Picker.refilter

        def timed(self: Picker) -> None:
            key, loading = app.last_key, self.loading_items
            original(self)
            if key:
                self.call_after_refresh(lambda: (during if loading else after).append(get_time() - key))
            app.last_key = 0.0

        picker.refilter = timed.__get__(picker)  # type: ignore[method-assign]
        loaded_at = None
        while loaded_at is None or len(after) < 40:
            for query in QUERIES:
                text.value = ""
                for ch in query:  # a fast typist: a key every 60 ms, sent as the terminal driver sends it
                    key = events.Key(ch if ch != " " else "space", ch)
                    key.set_sender(app)
                    app._driver.send_message(key)  # type: ignore[union-attr]
                    await asyncio.sleep(TYPING_INTERVAL)
                if not picker.loading_items and loaded_at is None:
                    loaded_at = time.perf_counter() - started
        await pilot.pause()
        count = len(picker.items)
    return {"count": count, "wall": loaded_at, "cpu": loader_cpu[0] if loader_cpu else float("nan"),
            "during": during, "after": after}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", choices=["large", "huge"], default="large")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    sb = Sandbox(world=args.world).start()
    try:
        runs = [asyncio.run(one_run(sb)) for _ in range(args.runs)]
    finally:
        sb.stop()
    during = [t for r in runs for t in r["during"]]
    after = [t for r in runs for t in r["after"]]
    print(f"[{args.world}] {runs[0]['count']:,} VNets streamed into the picker: wall median "
          f"{statistics.median(r['wall'] for r in runs):.2f} s, loader thread CPU median "
          f"{statistics.median(r['cpu'] for r in runs):.2f} s ({args.runs} runs)")
    for label, values in (("while loading", during), ("after loading", after)):
        if values:
            print(f"  keystroke {label} (key event made -> filtered, window refilled, screen refreshed): median "
                  f"{statistics.median(values) * 1000:.1f} ms, p95 {p95(values) * 1000:.1f} ms, max "
                  f"{max(values) * 1000:.1f} ms over {len(values)} keys (target p95 50 ms)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
