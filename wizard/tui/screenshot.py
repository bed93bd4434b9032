"""Ctrl+P -> Screenshot for support: an SVG of the screen saved in the state directory, and a line saying where.

Textual's own command saves to ~/Downloads and only says "Failed to save screenshot" when that folder does not
exist (a server, a fresh account); the state directory always exists for this tool, and is where a support
engineer already looks for the request log and the setup record.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from wizard.core.record import RecordStore
from wizard.core.statefiles import StateDirError

if TYPE_CHECKING:  # pragma: no cover
    from textual.app import App


def screenshot_name(now: datetime | None = None) -> str:
    return f"screenshot-{(now or datetime.now()):%Y%m%d-%H%M%S}.svg"


def save_screenshot(store: RecordStore, svg: str) -> tuple[bool, str]:
    """(saved, one sentence for the user): where the file is, or why it is not and what to do."""
    try:
        path = store.save_text(screenshot_name(), svg)  # atomic, 0600: the screen may show ids
    except OSError as exc:
        return False, (f"Could not save the screenshot in {store.directory} ({exc.strerror}): check that directory, "
                       "or take a picture with your terminal.")
    except StateDirError as exc:
        return False, str(exc)
    return True, f"Screenshot saved: {path}"


def take_screenshot(app: App[Any], store: RecordStore) -> bool:
    """An SVG of the screen as shown (ids masked under --redact) in the state directory; a toast says where."""
    saved, sentence = save_screenshot(store, app.export_screenshot())
    app.notify(sentence, title="Screenshot", severity="information" if saved else "error", timeout=10, markup=False)
    return saved
