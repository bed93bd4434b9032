"""The step checklist beside every screen: one line per page, a text glyph per state (never colour alone).

The widget only draws the rows it is given (`show`); the App computes them from the wizard's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from wizard.core.states import LEGEND, look

Row = tuple[int, str, str, bool]  # indent, label, state, is the current page


class Checklist(Static):
    """Renders its rows: (indent, label, state, is_current) per line, then the legend."""

    DEFAULT_CSS = """
    Checklist { width: 26; height: 1fr; padding: 0 1; }
    """

    def __init__(self, rows: Sequence[Row] = (), **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.rows: list[Row] = list(rows)

    def on_mount(self) -> None:
        self.show(self.rows)

    def show(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)
        out = Text()
        out.append("Setup steps\n", style="bold")
        for indent, label, state, current in self.rows:
            shown = look(state)
            line = Text("  " * indent)
            line.append("> " if current else "  ", style="bold")
            line.append(shown.glyph, style=shown.style)
            line.append(" ")
            line.append(label, style="bold reverse" if current else ("dim" if state == "blocked" else ""))
            out.append_text(line)
            out.append("\n")
        out.append("\n" + LEGEND, style="dim")
        self.update(out)
