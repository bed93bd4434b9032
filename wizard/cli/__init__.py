"""The `astro-privatelink` command: parse the arguments and run the command's function.

Kept light: only argparse is imported at start; the engine, the Azure SDK and Textual load when a command
needs them. Exit codes: 0 done; 1 a step failed; 2 bad input or config (nothing written); 3 only approval is
pending (`apply --no-wait`); 130 stopped by Ctrl+C (a rerun resumes). A reader that closes the pipe early
(`| head`) ends nothing: the output is dropped quietly and the exit code is the command's own (`wizard.cli.pipes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from wizard.cli.parser import build_parser
from wizard.cli.pipes import quiet_when_reader_leaves


def main(argv: Sequence[str] | None = None) -> int:
    with quiet_when_reader_leaves():
        args = build_parser().parse_args(argv)
        return int(args.func(args))


__all__ = ["build_parser", "main"]
