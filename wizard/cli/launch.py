"""Which wizard to open: the full-screen one (Textual), or plain mode when asked for or when the terminal
cannot show a full screen (then it says why)."""

from __future__ import annotations

import argparse

from wizard.console import err


def run_wizard(args: argparse.Namespace) -> int:
    from wizard.plain.choose import should_use_plain

    plain, why = should_use_plain(args)
    if plain:
        from wizard.plain import run_plain  # the same wizard, one question per line

        if why:
            err(why)
        return run_plain(args)
    from wizard.tui import run_tui  # the Textual wizard: real Azure, or the demo sandbox

    return run_tui(args)
