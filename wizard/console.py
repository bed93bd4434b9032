"""Line-by-line output shared by the command-line front ends (CLI commands, plain mode, the report).

The plan as lines, one progress line per engine event, the summary after an apply, a yes/no question, and
running engine work so that Ctrl+C stops it at a safe point. Words, glyphs and step numbers come from one
table each (`wizard.core.states`, `steps.registry`), the same ones the full-screen wizard uses.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from steps.registry import BY_KEY, label
from wizard.core.constants import PROG
from wizard.core.sanitize import clean_line, clean_text
from wizard.core.states import look

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Outcome, Plan
    from wizard.engine import Engine, Event, RunResult

T = TypeVar("T")


def err(message: str) -> None:
    """One line on standard error, prefixed with the program's name (its own lines kept, everything else that
    could drive the terminal removed: messages quote Azure and config files)."""
    print(f"{PROG}: {clean_text(message)}", file=sys.stderr)


def say(text: object = "", out: TextIO | None = None) -> None:
    """Print text that may quote Azure, Astro, DNS or a file: its lines kept, anything that could drive the
    terminal removed (`wizard.core.sanitize.clean_text`). For lines the tool writes around such values."""
    print(clean_text(text), file=out or sys.stdout, flush=True)


def plan_lines(plans: Iterable[Plan[Any]], *, title: str) -> list[str]:
    """Each step's state, summary, details and notes, numbered as in the documented procedure. Summaries, details
    and notes quote Azure (a connection's description is written by the Private Link Service's owner) and the
    config: each is one safe line (`wizard.core.sanitize`), so none can drive the terminal or forge a line."""
    out = [clean_line(title)]
    for p in plans:
        step, state = BY_KEY[p.step], look(p.state.value)
        out.append(f"  {state.glyph} {step.number}. {step.title}: {state.word}")
        out.append(f"        {clean_line(p.summary)}")
        out += [f"          {clean_line(d)}" for d in p.details]
        out += [f"        note: {clean_line(w)}" for w in p.warnings]
    return out


def print_plans(plans: Iterable[Plan[Any]], out: TextIO | None = None, *, title: str) -> None:
    print("\n".join(plan_lines(plans, title=title)), file=out or sys.stdout)


def plans_json(plans: Iterable[Plan[Any]]) -> str:
    """The plans for programs; `json.dumps` escapes every control character (and, by default, all non-ASCII)."""
    return json.dumps({"steps": [p.to_json() for p in plans]}, indent=2)


class ProgressPrinter:
    """Prints one line per engine event; elapsed-time updates at most every 10 s per step."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.last: dict[str, tuple[str, float]] = {}

    def __call__(self, event: Event) -> None:
        if event.kind == "plan":
            return
        stem = re.sub(r"\(\d+s[^)]*\)", "", event.message).strip()
        now = time.monotonic()
        with self.lock:
            previous = self.last.get(event.step)
            if event.kind == "progress" and previous and previous[0] == stem and now - previous[1] < 10:
                return
            self.last[event.step] = (stem, now)
            name = label(event.step)
            if event.kind == "outcome":
                glyph = look(event.state).glyph if event.state else "   "
                line = f"  {glyph} {name}: {event.message}"
            elif event.kind == "start":
                line = f"  ... {name}: started"
            else:
                line = f"  ... {name}: {event.message}"
            print(clean_line(line), file=self.out, flush=True)


def outcome_line(outcome: Outcome) -> str:
    """One removed-or-kept line of destroy."""
    return f"  {look(outcome.state.value).glyph} {clean_line(outcome.summary)}"


def problem_lines(result: RunResult) -> list[str]:
    """The steps that failed or conflict, each with its details and the id Azure support asks for."""
    out: list[str] = []
    for o in result.outcomes.values():
        if o.state.value in ("failed", "conflict"):
            out.append(f"{label(o.step)}: {clean_line(o.summary)}")
            out += [f"    {clean_line(d)}" for d in o.details]
            if o.correlation_id:
                out.append(f"    (Azure correlation id for support: {clean_line(o.correlation_id)})")
    return out


def confirm(question: str) -> bool:
    """A yes/no question on the terminal; no terminal means no."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{clean_line(question)} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run_interruptibly(engine: Engine, work: Callable[[], T]) -> T | None:
    """Run `work` in a thread so Ctrl+C can ask the steps to stop at their next checkpoint. None: stopped
    before `work` returned."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # re-raised in the main thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="apply", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        engine.cancel.set()
        err("stopping: letting the running steps reach a safe point (Azure keeps what was started)...")
        thread.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("result")
