"""The full-screen wizard (Textual): the App in `app`, its screens in the top-level `screens` package."""

from __future__ import annotations

from typing import Any


def run_tui(args: Any) -> int:
    """`astro-privatelink` (real Azure) and `astro-privatelink demo` (the built-in sandbox)."""
    from wizard.tui.app import run_tui as run

    return run(args)
