"""Ending a short read-only command without the interpreter's teardown.

After `plan`, `status`, `export` or `report` has printed its answer, Python's shutdown (clearing some
thousand SDK modules and classes, joining the worker threads' atexit hooks, a last garbage collection) took a
quarter to a third of the command's wall time. These commands write nothing to Azure, and what they write
locally (the request log, the setup record) is written and closed as it happens, so once the output is flushed
the process can end at once (`os._exit`). `apply`, `destroy`, `restrict-traffic`, the wizard and the sandbox end
normally, and so does `verify` (with --from-aks it runs a command in the cluster, whose clean-up must not be cut).
"""

from __future__ import annotations

import logging
import os
import sys

READ_ONLY = frozenset({"plan", "status", "export", "report"})


def exit_now(code: int) -> None:
    """Flush what was printed and logged, then end the process with `code` (no interpreter teardown)."""
    logging.shutdown()
    sys.stdout.flush()  # a reader that left was handled by `quiet_when_reader_leaves` (fd 1 is /dev/null then)
    sys.stderr.flush()
    os._exit(code)
