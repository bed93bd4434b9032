"""questionary prompts for plain mode, bound to one input and output (tests pass a prompt_toolkit pipe)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

PICK_LIST_MAX = 40  # longer listings are picked by typing with completion instead of a list


class Stop(Exception):
    """The user chose to stop; answers are saved and a rerun resumes."""


class Prompter:
    """questionary prompts bound to one input/output (tests pass a prompt_toolkit pipe input + DummyOutput)."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
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

    def select(self, message: str, choices: Sequence[tuple[str, Any]], *, default: Any = None) -> Any:
        import questionary

        items = [questionary.Choice(title, value=value) for title, value in choices]
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

        items = [questionary.Choice(title, value=value, checked=value in checked) for title, value in choices]
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
