"""The step checklist beside every screen: one line per page, a text glyph per state (never colour alone)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

GLYPH = {
    "done": "[x]",
    "todo": "[ ]",
    "waiting": "[~]",
    "conflict": "[!]",
    "failed": "[!]",
    "blocked": "[-]",
    "running": "[>]",
}
STYLE = {
    "done": "green",
    "todo": "",
    "waiting": "yellow",
    "conflict": "bold red",
    "failed": "bold red",
    "blocked": "dim",
    "running": "cyan",
}
LEGEND = "[x] done   [~] waiting\n[!] needs you\n[>] busy   [-] blocked"


class Checklist(Static):
    """Renders `app.checklist_rows(current)`: (indent, label, state, is_current) per line."""

    DEFAULT_CSS = """
    Checklist { width: 26; height: 1fr; padding: 0 1; }
    """

    def __init__(self, current: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__("", **kwargs)
        self.current = current

    def on_mount(self) -> None:
        self.refresh_states()

    def refresh_states(self) -> None:
        rows = self.app.checklist_rows(self.current)  # type: ignore[attr-defined]
        out = Text()
        out.append("Setup steps\n", style="bold")
        for indent, label, state, current in rows:
            glyph = GLYPH.get(state, "[ ]")
            line = Text("  " * indent)
            line.append("> " if current else "  ", style="bold")
            line.append(glyph, style=STYLE.get(state, ""))
            line.append(" ")
            line.append(label, style="bold reverse" if current else ("dim" if state == "blocked" else ""))
            out.append_text(line)
            out.append("\n")
        out.append("\n" + LEGEND, style="dim")
        self.update(out)
