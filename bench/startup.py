"""First screen painted, measured from process start: spawn `astro-privatelink` in a pseudo-terminal and time
until the start screen's text appears on it. Target: within 0.4 s.

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


def once(exe: str) -> float:
    master, slave = pty.openpty()
    env = {**os.environ, "ASTRO_PL_STATE_DIR": tempfile.mkdtemp(), "TERM": "xterm-256color",
           "COLUMNS": "100", "LINES": "30"}
    start = time.perf_counter()
    proc = subprocess.Popen([exe], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
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
    exe = str(Path(sys.executable).with_name("astro-privatelink"))
    once(exe)  # warm the file cache
    times = sorted(once(exe) for _ in range(runs))
    print(f"first screen painted: median {statistics.median(times) * 1000:.0f} ms, min {times[0] * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms over {runs} runs (target 400 ms)")


if __name__ == "__main__":
    main()
