"""Output to a reader that went away (`astro-privatelink plan --config F | head -3`): quiet, and the work goes on.

Python ignores SIGPIPE, so a write to a closed pipe raises BrokenPipeError, which used to end the command
with a traceback. Restoring SIGPIPE's default would kill the process instead, which in the middle of `apply`
could stop it between an Azure write and the setup record's update. So standard output is wrapped: the first
EPIPE points file descriptor 1 at /dev/null (what is still buffered, and everything after, is dropped, as the
reader asked by leaving), and the command runs to its end with its own exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class ClosedPipeSafe:
    """A text stream that turns BrokenPipeError into "the reader left": stdout goes to /dev/null from then on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_left = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        """Point the stream's descriptor at /dev/null, so the data still buffered (and later writes) go nowhere,
        including the flush at interpreter exit, which would otherwise print `Exception ignored ... BrokenPipeError`."""
        self.reader_left = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def quiet_when_reader_leaves() -> Iterator[ClosedPipeSafe | None]:
    """Run a command with sys.stdout wrapped (a stream without a descriptor, e.g. a test's capture, is left as is)."""
    original = sys.stdout
    try:
        original.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        yield None
        return
    guard = ClosedPipeSafe(original)
    sys.stdout = guard
    try:
        yield guard
        guard.flush()
    finally:
        if sys.stdout is guard:
            sys.stdout = original
