"""What the three renderers share: the header (what is left to do, what exists, how to run the file), the
text for Astronomer support, comment blocks, and identifiers made from resource names."""

from __future__ import annotations

import re
from datetime import datetime

from wizard.export.model import ExportPlan


def header_lines(xp: ExportPlan, now: datetime, how_to_run: list[str]) -> list[str]:
    from wizard import __version__

    lines = [f"astro-privatelink: Azure Private Link for Astro cluster {xp.cluster_id}",
             f"Generated {now.strftime('%Y-%m-%d %H:%M UTC')} by astro-privatelink {__version__} from the plan "
             "(Azure as it was then).", ""]
    todo = xp.todo
    lines.append("What this does (only what is not done yet):" if todo else
                 "Nothing is left to create: every resource exists already.")
    lines += [f"  - {t}" for t in todo]
    if xp.existing:
        lines += ["Already in place (referenced, never changed):"] + [f"  - {e}" for e in xp.existing]
    if todo:
        lines += ["", *how_to_run]
    return lines


def support_lines(xp: ExportPlan) -> list[str]:
    if xp.approved:
        return ["Astronomer has approved the connection already."]
    return ["Then Astronomer support approves the endpoint's connection. Send them:", "",
            *("  " + line if line else "" for line in xp.support_text.splitlines())]


def commented(lines: list[str], mark: str) -> list[str]:
    """Each line as a comment (`mark` is "#" or "//"); an empty line is the bare mark."""
    return [f"{mark} {line}" if line else mark for line in lines]


def label(text: str, taken: set[str]) -> str:
    """An identifier (Terraform label, Bicep symbol) made from `text`, unique among `taken` (which it joins)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "vnet"
    if not base[0].isalpha():
        base = "v_" + base
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name
