"""questionary prompts for plain mode, bound to one input and output (tests pass a prompt_toolkit pipe)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

PICK_LIST_MAX = 40  # longer listings are picked by typing with completion instead of a list
# questionary draws each choice after a pointer (" » " or 3 spaces); a checkbox adds its tick ("● "). It cuts a
# line at the terminal's edge (its list window does not wrap), so a longer title is wrapped here, under itself.
SELECT_INDENT, CHECKBOX_INDENT = 3, 5


def fit(title: str, width: int, indent: int) -> str:
    """A choice's title wrapped to the terminal's `width`, continuation lines indented under its first word."""
    room = max(width - indent - 1, 20)
    if len(title) <= room:
        return title
    lines = textwrap.wrap(title, room, break_on_hyphens=False) or [title]
    return ("\n" + " " * indent).join(lines)


class Stop(Exception):
    """The user chose to stop; answers are saved and a rerun resumes."""


class Prompter:
    """questionary prompts bound to one input/output (tests pass a prompt_toolkit pipe input + DummyOutput)."""

    def __init__(self, input: Any = None, output: Any = None, *, width: int | None = None) -> None:
        self.width = width
        self.kw: dict[str, Any] = {}
        if input is not None:
            self.kw["input"] = input
        if output is not None:
            self.kw["output"] = output

    def text(self, message: str, *, default: str = "", validate: Callable[[str], bool | str] | None = None,
             instruction: str | None = None) -> str:
        import questionary

        if instruction:
            message = f"{message} ({instruction})"
        answer = questionary.text(message, default=default or "", validate=validate, **self.kw).unsafe_ask()
        return (answer or "").strip()

    def columns(self) -> int:
        """The terminal's width (80 when it cannot be read), or the width the caller fixed."""
        return self.width or shutil.get_terminal_size((80, 24)).columns

    def select(self, message: str, choices: Sequence[tuple[str, Any]], *, default: Any = None) -> Any:
        import questionary

        width = self.columns()
        items = [questionary.Choice(fit(title, width, SELECT_INDENT), value=value) for title, value in choices]
        values = [v for _, v in choices]
        return questionary.select(message, items, default=default if default in values else None,
                                  use_search_filter=True, use_jk_keys=False,
                                  instruction="(type to filter, arrows to move, Enter to choose)",
                                  **self.kw).unsafe_ask()

    def pick(self, message: str, choices: Sequence[tuple[str, Any]], *, default: Any = None,
             what: str = "item") -> Any:
        """A list with type-ahead for short listings; typing with completion for long ones (thousands)."""
        if len(choices) <= PICK_LIST_MAX:
            return self.select(message, choices, default=default)
        import questionary

        by_title = {title.lower(): value for title, value in choices}
        default_title = next((t for t, v in choices if v == default), "")

        def valid(text: str) -> bool | str:
            if text.strip().lower() in by_title:
                return True
            return f"Not one of the {len(choices)} {what}s listed: type part of a name and press Tab to complete."

        answer = questionary.autocomplete(f"{message} (type part of a name; Tab completes; {len(choices)} {what}s)",
                                          [t for t, _ in choices], default=default_title, validate=valid,
                                          **self.kw).unsafe_ask()
        return by_title[(answer or "").strip().lower()]

    def confirm(self, message: str, *, default: bool = True) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default, **self.kw).unsafe_ask())

    def checkbox(self, message: str, choices: Sequence[tuple[str, Any]], *, checked: Sequence[Any] = ()) -> list[Any]:
        import questionary

        width = self.columns()
        items = [questionary.Choice(fit(title, width, CHECKBOX_INDENT), value=value, checked=value in checked)
                 for title, value in choices]
        return list(questionary.checkbox(message, items, use_search_filter=True, use_jk_keys=False,
                                         instruction="(type to filter, Space to tick, Enter when done)",
                                         **self.kw).unsafe_ask() or [])


def validator(check: Callable[[str], Any], *, optional: bool = False) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        if optional and not text.strip():
            return True
        problems = check(text).problems
        return True if not problems else problems[0]

    return validate
