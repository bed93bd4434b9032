"""Whether the wizard runs full screen or in plain mode (one question per line), and why.

Loads no UI toolkit: the CLI calls it before it knows which one to import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from wizard.core.constants import ENV_PLAIN


def should_use_plain(args: Any = None, *, stdin: Any = None, stdout: Any = None,
                     env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Whether the wizard should run in plain mode, and the message to show when that was not asked for.

    Asked for: `--plain` or ASTRO_PL_PLAIN=1 (no message). Chosen for the user (with a message): standard
    output or input is not a terminal, or TERM is `dumb` / unset, where Textual cannot draw."""
    env = os.environ if env is None else env
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if getattr(args, "plain", False) or env.get(ENV_PLAIN, "").strip().lower() in ("1", "true", "yes", "on"):
        return True, ""

    def tty(stream: Any) -> bool:
        try:
            return bool(stream is not None and stream.isatty())
        except (ValueError, OSError):
            return False

    if not tty(stdout):
        return True, ("standard output is not a terminal, so the full-screen wizard cannot draw: asking the "
                      "questions line by line instead (plain mode).")
    if not tty(stdin):
        return True, ("standard input is not a terminal, so the full-screen wizard cannot read keys: using plain "
                      "mode.")
    term = env.get("TERM", "")
    if os.name != "nt" and term in ("", "dumb"):  # Windows terminals set no TERM and draw fine
        return True, (f"this terminal (TERM={term or 'unset'}) cannot show the full-screen wizard: asking the "
                      "questions line by line instead (plain mode). Set TERM=xterm-256color for the full screen.")
    return False, ""


def isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError):
        return False

