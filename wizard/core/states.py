"""How each state looks, everywhere: the text glyph (never colour alone), the word and the colour style.

The CLI, plain mode, the report and every TUI screen read this one table, so `[~] waiting` means the same on
every surface. The engine's states (steps.base.State) are a subset; the TUI adds `running`, and the setup
record adds `applying` (a write was sent; shown as waiting until the step is inspected again).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateLook:
    glyph: str  # a text glyph, so the state reads without colour (screen readers, monochrome, copy-paste)
    word: str
    style: str  # a Rich style for full-screen views; empty: the default


STATES: dict[str, StateLook] = {
    "done": StateLook("[x]", "done", "green"),
    "todo": StateLook("[ ]", "to do", ""),
    "waiting": StateLook("[~]", "waiting", "yellow"),
    "conflict": StateLook("[!]", "CONFLICT", "bold red"),
    "failed": StateLook("[!]", "FAILED", "bold red"),
    "blocked": StateLook("[-]", "blocked", "dim"),
    "running": StateLook("[>]", "working", "cyan"),
}
LEGEND = "[x] done   [~] waiting\n[!] needs you\n[>] busy   [-] blocked"

# A setup record's last state for a step -> the state shown for it.
RECORD_STATE = {"done": "done", "failed": "failed", "conflict": "conflict", "waiting": "waiting",
                "blocked": "blocked", "applying": "waiting", "todo": "todo", "running": "running"}

# What a plan's action means, in the Review's words.
ACTION_WORDS = {"done": "already done", "create": "will be created", "update": "will be updated",
                "conflict": "CONFLICT", "blocked": "after an earlier step", "waiting": "waiting",
                "failed": "CANNOT GO ON"}


def look(state: str | None) -> StateLook:
    """The look of a state; an unknown or missing state looks like `todo`."""
    return STATES.get(state or "todo", STATES["todo"])


def shown_state(record_state: str | None) -> str:
    """The state to show for a step whose last recorded state is `record_state`."""
    return RECORD_STATE.get(record_state or "todo", "todo")
