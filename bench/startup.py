"""First screen painted, measured from process start: spawn `astro-privatelink` in a pseudo-terminal and time
until the start screen's text appears on it; in the same run, alternating, the floor: a minimal Textual app
(Header, Footer, a ListView and a Button) painting the same words. Targets: median <= 350 ms and <= floor + 80 ms.

    .venv/bin/python bench/startup.py [runs]
"""

from __future__ import annotations

import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKER = b"Start a new setup"
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Button, Footer, Header, Label, ListItem, ListView


class Minimal(App):
    def compose(self):
        yield Header()
        yield ListView(ListItem(Label("Resume a setup")), ListItem(Label("Open a config file")))
        yield Button("Start a new setup")
        yield Footer()


Minimal().run()
"""


def once(argv: list[str]) -> float:
    master, slave = pty.openpty()
    env = {**os.environ, "ASTRO_PL_STATE_DIR": tempfile.mkdtemp(), "TERM": "xterm-256color",
           "COLUMNS": "100", "LINES": "30"}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""
    try:
        while time.perf_counter() - start < 10:
            ready, _, _ = select.select([master], [], [], 0.01)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
                if MARKER in seen.replace(b"\x1b", b""):
                    return time.perf_counter() - start
                # Textual writes cells with escapes in between; look for the words too
                if b"new setup" in seen:
                    return time.perf_counter() - start
        raise RuntimeError("the start screen never appeared")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    exe = [str(Path(sys.executable).with_name("astro-privatelink"))]
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(MINIMAL_APP)
    floor_app = [sys.executable, fh.name]
    print(f"load average before: {os.getloadavg()}")
    once(exe), once(floor_app)  # warm the file cache
    tool: list[float] = []
    floor: list[float] = []
    for i in range(runs):  # alternating, so both see the same load
        for which in ((tool, exe), (floor, floor_app)) if i % 2 == 0 else ((floor, floor_app), (tool, exe)):
            which[0].append(once(which[1]))
    os.unlink(fh.name)
    for label, times in (("astro-privatelink", tool), ("minimal app (floor)", floor)):
        times.sort()
        print(f"{label:20} first screen painted: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {times[0] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms over {runs} runs")
    gap = (statistics.median(tool) - statistics.median(floor)) * 1000
    print(f"tool - floor: {gap:.0f} ms (targets: median <= 350 ms, gap <= 80 ms)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
