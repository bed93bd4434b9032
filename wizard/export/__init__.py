"""Hand the work to an Azure admin: the remaining steps of the plan as an az script, Terraform or Bicep.

Only what the plan says is not done yet is exported; what exists already is referenced (a `data` source in
Terraform, an `existing` resource in Bicep, a lookup in the script), never re-created or changed. The values
are the user's; the private endpoint's IP is read when the code runs (from its network interface), since it
is not known before the endpoint exists.

For the TUI (review screen) and the CLI alike:

    text = render(engine, "az", plans=plans)     # plans: the review's engine.plan() result (else planned now)
    name = default_filename(engine.config.cluster_id, "az")

`render` raises `ExportError` (one message that says what to do) when the plan cannot be exported: step 1
does not pass, Azure could not be read, or something exists that conflicts with the answers.

The package: `model` (the `ExportPlan`, the formats, file names), `build` (plans -> `ExportPlan`), one
renderer per format (`az`, `terraform`, `bicep`) and what they share (`common`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from wizard.export.az import render_az
from wizard.export.bicep import render_bicep
from wizard.export.model import FORMAT_TITLES, FORMATS, ExportError, ExportPlan, default_filename, write_export
from wizard.export.terraform import render_terraform

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan
    from wizard.engine import Engine

__all__ = ["FORMATS", "FORMAT_TITLES", "RENDERERS", "ExportError", "ExportPlan", "default_filename", "render",
           "write_export"]

RENDERERS: dict[str, Callable[[ExportPlan, datetime], str]] = {
    "az": render_az, "terraform": render_terraform, "bicep": render_bicep}


def render(engine: Engine, fmt: str, plans: list[Plan[Any]] | None = None, *, now: datetime | None = None) -> str:
    """The remaining steps as `fmt` ("az", "terraform" or "bicep") text. Raises ExportError (one message)."""
    from wizard.export.build import build  # reads the steps' plans: imported when an export is made

    if fmt not in RENDERERS:
        raise ExportError(f"Unknown export format '{fmt}': choose one of {', '.join(FORMATS)}.")
    return RENDERERS[fmt](build(engine, plans), now or datetime.now(timezone.utc))
