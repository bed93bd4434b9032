"""`python -m wizard` runs the same entry point as the `astro-privatelink` command."""
from wizard.cli import main

raise SystemExit(main())
