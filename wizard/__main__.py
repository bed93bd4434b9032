"""`python -m wizard` runs the same entry point as the `astro-privatelink` command (read-only commands end without
the interpreter's teardown: `wizard.cli.exit`)."""
from wizard.cli import run

raise SystemExit(run())
