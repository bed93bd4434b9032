"""What the three renderers share: the header (what is left to do, what exists, how to run the file), the
text for Astronomer support, comment blocks, identifiers made from resource names, and the escaping of the
characters no string literal may hold raw.

Comment text quotes values Azure returned (link and group names, the A record's old addresses, the text for
Astronomer support) and the config: `commented` splits it on every line break a parser or an editor could see
(`str.splitlines`) and strips what could drive a terminal (`wizard.core.sanitize`), so a value never leaves its
comment. String literals keep the value exact: each format's quoting escapes the characters `escaped` names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from wizard.core.sanitize import clean_lines, needs_escape
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
    """Each line as a comment (`mark` is "#" or "//"); an empty line is the bare mark. A line holding line breaks
    becomes several comment lines, and nothing that could drive a terminal is kept."""
    return [f"{mark} {part}" if part else mark for line in lines for part in clean_lines(line)]


def escaped(value: str, escape: Callable[[str], str]) -> str:
    """`value` with every character `needs_escape` names (controls, DEL, C1, line and paragraph separators, bidi
    controls) written as `escape(char)`: a string literal that stays on its line, shows no terminal control
    and cannot be reordered on screen, yet means the exact value. A lone surrogate (not UTF-8) becomes U+FFFD."""
    out = []
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            char = "\ufffd"
        out.append(escape(char) if needs_escape(char) else char)
    return "".join(out)


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
