"""The `astro-privatelink` command: parse the arguments and run the command's function.

Kept light: only argparse is imported at start; the engine, the Azure SDK and Textual load when a command
needs them. Exit codes: 0 done; 1 a step failed; 2 bad input or config (nothing written); 3 only approval is
pending (`apply --no-wait`); 130 stopped by Ctrl+C (a rerun resumes). A reader that closes the pipe early
(`| head`) ends nothing: the output is dropped quietly and the exit code is the command's own (`wizard.cli.pipes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from wizard.cli.exit import READ_ONLY, exit_now
from wizard.cli.parser import build_parser
from wizard.cli.pipes import quiet_when_reader_leaves


def main(argv: Sequence[str] | None = None, *, quick_exit: bool = False) -> int:
    """Run the command `argv` names. `quick_exit` (the console script, `python -m wizard`): after a read-only
    command the process ends at once, without the interpreter's teardown (`wizard.cli.exit`)."""
    with quiet_when_reader_leaves():
        args = build_parser().parse_args(argv)
        code = int(args.func(args))
    if quick_exit and getattr(args, "command", None) in READ_ONLY:
        exit_now(code)
    return code


def run(argv: Sequence[str] | None = None) -> int:
    """The console script and `python -m wizard`: `main` with the quick exit after a read-only command."""
    return main(argv, quick_exit=True)


__all__ = ["build_parser", "main", "run"]
