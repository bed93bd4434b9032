"""What the wizard shows and keeps when it crashes: one sentence on screen, a traceback in the state directory.

Textual (8.2.8) sends every unhandled exception (message handlers, workers, timers, mounting) to
`App._handle_exception`, which ends the app and, through `App._fatal_error`, prints a rich `Traceback` with
`show_locals=True`: the values in every frame (answers, ids, the Azure clients' settings), whatever --redact says.
There is no public hook for it, so `WizardApp` overrides those two methods, keeping Textual's exit handling (return
code 1, Pilot re-raising the exception in tests) and replacing only what is printed with `crash_text`, after
`write_crash_report` has written a traceback without locals, ids masked, to the state directory (0600).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from wizard.core.sanitize import clean_text
from wizard.core.settings import hide_secrets
from wizard.core.statefiles import StateDirError

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.record import RecordStore

FALLBACK = "The wizard stopped on an unexpected error: run astro-privatelink again to resume."


def write_crash_report(store: RecordStore, error: BaseException, mask: Callable[[str], str]) -> str:
    """Write `error`'s traceback (source lines and messages, never locals; `mask` applied, the access token and
    anything that could drive a terminal removed) to a `crash-<time>.txt` in the state directory, and return the
    sentence to show: what happened, what to do, where the traceback is."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    text = mask(hide_secrets(clean_text(text)))
    head = f"The wizard stopped on an unexpected error ({type(error).__name__}); your answers are saved"
    try:
        path = store.save_text(f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt", text)
    except (OSError, StateDirError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return (f"{head}, but its traceback could not be written to {store.directory} ({reason}): run "
                "astro-privatelink again to resume, and report the error if it repeats.")
    return (f"{head}: run astro-privatelink again to resume, and if you report it, attach its traceback (ids "
            f"masked):\n  {path}")


def crash_text(note: str | None) -> Text:
    """What is printed when the app has ended on a crash: the sentence, and the traceback's path on a line of its
    own (Textual's error console crops what is wider than the terminal, so nothing may rely on the terminal's
    wrapping)."""
    return Text(note or FALLBACK, style="bold red")
