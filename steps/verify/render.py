"""The verify report as people and programs read it: one line per check with a text glyph, then the diagnoses
with next actions (and, when the checks probably ran outside the VNet, the commands to run them inside the
cluster); or JSON with every check's `name`, `ok`, `detail`, `diagnosis` and `fix_step`.

Details quote what Azure, DNS and the HTTPS endpoint answered (a connection's description is written by the
Private Link Service's owner): every text line is made one safe line (`wizard.core.sanitize.clean_line`); the
JSON needs nothing (`json.dumps` escapes control characters).
"""

from __future__ import annotations

import json

from steps.registry import BY_KEY
from steps.verify.models import SYSTEM_RESOLVER, VerifyReport
from wizard.core.sanitize import clean_line

GLYPH_OK, GLYPH_FAIL, GLYPH_SKIP = "[ok]  ", "[FAIL]", "[skip]"

# fix_step -> (step number, what to do); the numbers are the registry's, as everywhere
FIX_STEPS = {
    key: (BY_KEY[key].number, what) for key, what in (
        ("private_endpoint", "the private endpoint"), ("dns_zone", "the private DNS zone"),
        ("vnet_links", "the VNet links"), ("a_record", "the A record"), ("approval", "approval by Astronomer"))
}


def fix_hint(fix_step: str | None, config_path: str | None = None) -> str | None:
    """The command that fixes `fix_step` ("step N (what): `astro-privatelink ...`"), or None for no step."""
    if fix_step not in FIX_STEPS:
        return None
    number, what = FIX_STEPS[fix_step]
    cfg = f" --config {config_path}" if config_path else ""
    if fix_step == "approval":
        return f"step {number} ({what}): `astro-privatelink status{cfg}` shows the request to send to support"
    if fix_step == "a_record":
        return f"step {number} ({what}): `astro-privatelink apply{cfg}` (add `--update a_record` to repoint a record)"
    return f"step {number} ({what}): `astro-privatelink apply{cfg}`"


def render_text(report: VerifyReport, config_path: str | None = None) -> str:
    """The report for people: a line per check, then what to do (`config_path` goes into the fix commands)."""
    resolver = report.nameserver if report.nameserver == SYSTEM_RESOLVER else f"nameserver {report.nameserver}"
    lines = [f"Verify {report.host or 'the API host'} ({resolver}; each network check gives up after "
             f"{report.timeout:g} s):"]
    width = max((len(c.title) for c in report.checks), default=0)
    shown_where = None
    for c in report.checks:
        if report.in_cluster and c.where != shown_where:   # --from-aks: say where each group of checks ran
            shown_where = c.where
            lines.append(f" From {c.where}{' (AKS run command)' if c.where == report.in_cluster else ''}:")
        glyph = GLYPH_SKIP if c.skipped else (GLYPH_OK if c.ok else GLYPH_FAIL)
        took = f" ({c.seconds:.2f} s)" if c.seconds is not None and c.name in ("dns", "https") else ""
        lines.append(f"  {glyph} {c.title.ljust(width)}  {c.detail}{took}")
    failed = [c for c in report.decisive if not c.ok]
    if not failed and report.verified_inside:
        lines.append(f"Verified from {report.in_cluster} in {report.duration:.2f} s: the agents reach Astro through "
                     "the private endpoint. The checks from this machine got the public answer because they ran "
                     "outside the VNet, as expected. Confirm in the Astro UI that the agents heartbeat as Healthy.")
        return "\n".join(clean_line(line) for line in lines) + "\n"
    if not failed:
        lines.append(f"All {len(report.checks)} checks passed in {report.duration:.2f} s: the agents reach Astro "
                     "through the private endpoint. Confirm in the Astro UI that they heartbeat as Healthy.")
        return "\n".join(clean_line(line) for line in lines) + "\n"
    lines.append(f"{len(failed)} of {len(report.checks)} checks failed ({report.duration:.2f} s).")
    lines.append("")
    lines.append("What to do:")
    n = 0
    for c in failed:
        if c.skipped or not c.diagnosis:
            continue
        n += 1
        lines.append(f"  {n}. {c.title}: {c.diagnosis}")
        hint = fix_hint(c.fix_step, config_path)
        if hint:
            lines.append(f"     Fix with {hint}.")
    if report.inside_commands:
        lines.append("")
        lead = ("These checks probably ran outside the agents' VNet. " if report.outside_vnet else "")
        lines.append(f"{lead}Run the same checks from inside the cluster (add `-n <namespace>` where the agents run):")
        lines += [f"    {cmd}" for cmd in report.inside_commands]
        lines.append("  Expect the endpoint's private IP from nslookup, and `404 page not found` from curl.")
    return "\n".join(clean_line(line) for line in lines) + "\n"


def render_json(report: VerifyReport) -> str:
    """The report for programs (`VerifyReport.to_json`), indented."""
    return json.dumps(report.to_json(), indent=2)
