"""What the full-screen wizard puts on screen, on the clipboard and in a crash report, made safe: every text that
quotes Azure, Astro, DNS or a file goes through `wizard.core.sanitize` (and, under --redact, has subscription and
tenant ids masked); a crash prints one sentence and writes a redacted traceback (`wizard.tui.crash`).

`SafeOutput` is mixed into the App (before `textual.app.App`, whose `exit`, `copy_to_clipboard` and crash hooks
it wraps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text

from wizard.core.redact import Redactor
from wizard.core.sanitize import clean_line, clean_text

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.config import SetupConfig
    from wizard.core.record import RecordStore


class SafeOutput:
    """Redaction and sanitizing for the App; expects `redact_on`, `known_ids`, `config` and `store` on it."""

    redact_on: bool
    known_ids: set[str]
    config: SetupConfig
    store: RecordStore

    def remember_ids(self, *ids: str | None) -> None:
        self.known_ids.update(i.lower() for i in ids if i)

    def redact(self, text: str) -> str:
        """Text for the screen, made safe (`wizard.core.sanitize`), with subscription and tenant ids masked (last 4
        kept) under --redact. Everything on screen that is not this tool's own words goes here."""
        safe = clean_text(text)
        if not self.redact_on or not safe:
            return safe
        return Redactor(True, self.known_ids | {self.config.subscription_id.lower()})(safe)

    def redact_line(self, text: str) -> str:
        """`redact` for text shown as one line (a summary, a name): a line break in it becomes a space."""
        return self.redact(clean_line(text))

    def exit(self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Exit; a message (printed after the full screen closes; it names paths) is literal and made safe."""
        if isinstance(message, str):
            message = Text(clean_text(message))
        super().exit(result, return_code, message)  # type: ignore[misc]

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 copy of text that quotes Azure, made safe for the terminal it will be pasted into."""
        super().copy_to_clipboard(clean_text(text))  # type: ignore[misc]

    # -- crashes (see wizard.tui.crash) -------------------------------------------------------------------
    _crash_note: str | None = None

    def _handle_exception(self, error: Exception) -> None:
        if self._crash_note is None:
            from wizard.tui.crash import write_crash_report

            masker = Redactor(True, self.known_ids | {self.config.subscription_id.lower()})
            self._crash_note = write_crash_report(self.store, error, masker)
        super()._handle_exception(error)  # type: ignore[misc]  # Textual's exit: return code 1, Pilot re-raises; it prints via _fatal_error

    def _fatal_error(self) -> None:
        from wizard.tui.crash import crash_text

        app: Any = self
        app.bell()
        app.panic(crash_text(self._crash_note))

