"""Export the remaining steps as an az script, Terraform or Bicep (in progress)."""

from __future__ import annotations

import sys
from typing import Any


def cmd_export(args: Any) -> int:
    print("astro-privatelink: export is not available in this build yet.", file=sys.stderr)
    return 2
