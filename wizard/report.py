"""`astro-privatelink report`: a summary a customer can paste into a support ticket.

It holds the answers, the state of every step as Azure shows it now, the ids of the resources the setup
uses, and the latest problems: step failures from the setup record and failed Azure requests from the
request log (with the request and correlation ids Azure support asks for). With `redact`, subscription ids
are masked everywhere (last 4 characters kept). Never a token: none is stored anywhere it could read.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from steps.registry import resource_order
from wizard.core.redact import Redactor
from wizard.core.sanitize import clean_line

if TYPE_CHECKING:  # pragma: no cover
    import argparse

    from steps.base import Plan
    from steps.verify.models import VerifyReport
    from wizard.core.config import SetupConfig
    from wizard.core.record import SetupRecord
    from wizard.engine import Engine

LAST_ERRORS = 5
_PROBLEM_STATES = ("failed", "conflict")


def render_report(engine: Engine, plans: list[Plan] | None = None, *, redact: bool = False,
                  config_path: str | Path | None = None, transcript_path: str | Path | None = None,
                  plan_error: str | None = None, now: datetime | None = None,
                  verify: VerifyReport | None = None) -> str:
    """The report as text. `plans` defaults to `engine.plan()` (Azure is read); when that is impossible,
    pass `plan_error` (one sentence) and the report says so and still shows the record and the log."""
    from wizard import __version__
    from wizard.core.transcript import failed_entries, read_entries

    cfg = engine.config
    r = Redactor(redact, {s.strip() for s in (cfg.subscription_id, cfg.dns_subscription_id or "") if s.strip()})
    out = io.StringIO()

    def line(text: str = "") -> None:  # one line each: what Azure, the record or the log says cannot add one
        out.write(r(clean_line(text)) + "\n")

    cid = cfg.cluster_id or "(unknown: the API URL is not valid)"
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S UTC")
    line(f"astro-privatelink report: Astro cluster {cid}")
    line(f"Generated {stamp} by astro-privatelink {__version__}" +
         ("; subscription ids are masked (last 4 characters kept)." if redact else "."))
    if config_path:
        line(f"Config file: {config_path}")
    line()

    line("Answers")
    for label, value in _answers(cfg):
        line(f"  {label:<16}{value}")
    line()

    if plans is None and plan_error is None:
        try:
            plans = engine.plan()
        except Exception as exc:
            plan_error = _sentence(exc, cfg)
    line("Steps (as Azure shows them now)")
    if plans is None:
        line(f"  Azure could not be read: {plan_error}")
        line("  The setup record below shows the last known state.")
    else:
        from wizard.console import plan_lines

        for text in plan_lines(plans, title=""):
            if text.strip():
                line(text)
    line()

    if verify is not None:   # report --from-aks: the checks, each labelled with where it ran (issue 13)
        line(f"Verify (from this machine{' and from ' + verify.in_cluster if verify.in_cluster else ''}): "
             + ("passed" if verify.ok else "failed"))
        for c in verify.checks:
            mark = "skip" if c.skipped else ("ok" if c.ok else "FAIL")
            line(f"  [{mark}] {c.where}: {c.title}: {c.detail}")
            if not c.ok and c.diagnosis:
                line(f"      {c.diagnosis}")
        line()

    record = engine.record
    line("Resources")
    if record is None or not record.resources:
        line("  none recorded yet")
    else:
        for key, entry in sorted(record.resources.items(), key=lambda kv: resource_order(kv[0])):
            who = "created by this tool" if entry.created_by_tool else "reused (not created by this tool)"
            line(f"  {key}: {entry.id}")
            line(f"      {who}")
    line()

    line("Last problems the steps reported (setup record)")
    problems = _record_problems(record)
    if not problems:
        line("  none")
    for at, step, state, detail in problems:
        line(f"  {at}  {step.replace('_', ' ')}: {state.upper()}: {detail}")
    line()

    log_path = Path(transcript_path) if transcript_path else None
    entries = read_entries(log_path) if log_path else []
    failed = failed_entries(entries)[-LAST_ERRORS:]
    line("Last failed Azure requests (request log)")
    if not entries:
        line("  the request log is empty or missing" + (f" ({log_path})" if log_path else ""))
    elif not failed:
        line(f"  none among the {len(entries)} requests logged")
    for e in failed:
        status = e.get("status") if e.get("status") is not None else "no answer"
        what = e.get("error_code") or e.get("error") or ""
        line(f"  {e.get('time', '?')}  {e.get('method', '?')} {e.get('path', '?')}")
        line(f"      -> {status} {what}".rstrip())
        line(f"      correlation id: {e.get('correlation_id') or 'none'}   request id: {e.get('request_id') or 'none'}")
    line()

    line("Files")
    if engine.store is not None and record is not None:
        line(f"  setup record ({record.which}): {engine.store.path_for(record.key)}")
    if log_path:
        line(f"  request log:  {log_path} ({len(entries)} requests)")
    line("Paste everything above into your support ticket; it holds no token or secret.")
    return out.getvalue()


def _answers(cfg: SetupConfig) -> list[tuple[str, str]]:
    extra = ", ".join(cfg.linked_vnets) if cfg.linked_vnets else "none"
    return [
        ("alias:", cfg.alias or "(not set)"),
        ("API URL:", cfg.api_url or "(not set)"),
        ("subscription:", cfg.subscription_id or "(not set)"),
        ("resource group:", cfg.resource_group or "(not set)"),
        ("endpoint:", cfg.endpoint_name),
        ("NIC name:", cfg.nic_name or "(Azure's default)"),
        ("VNet / subnet:", f"{cfg.vnet or '(not set)'} / {cfg.subnet or '(not set)'}"),
        ("region:", cfg.region or "(the VNet's)"),
        ("DNS group:", cfg.dns_resource_group or "(same as the endpoint)"),
        ("extra VNets:", extra),
        ("AKS cluster:", cfg.aks_cluster or "(none)"),
        ("Deployment:", f"{cfg.deployment_id} (organization {cfg.organization_id})" if cfg.deployment_id
         else "(API URL typed, none picked)"),
    ]


def _record_problems(record: SetupRecord | None) -> list[tuple[str, str, str, str]]:
    if record is None:
        return []
    found: list[tuple[str, str, str, str]] = []
    for step, history in record.steps.items():
        for ev in history:
            if ev.state in _PROBLEM_STATES:
                found.append((ev.at, step, ev.state, ev.detail))
    found.sort(key=lambda t: t[0])
    return found[-LAST_ERRORS:]


def _sentence(exc: BaseException, cfg: SetupConfig) -> str:
    from wizard.core.errors import explain

    return explain(exc, alias=cfg.alias, subscription_id=cfg.subscription_id).sentence


def cmd_report(args: argparse.Namespace, engine: Engine) -> int:
    """`astro-privatelink report --config F [--redact]`: 0 when printed (whatever the setup's state)."""
    from wizard.core.record import setup_key
    from wizard.core.transcript import log_path_for

    redact = bool(getattr(args, "report_redact", False) or getattr(args, "redact", False))
    cid = engine.config.cluster_id
    log = log_path_for(engine.store, setup_key(engine.config)) if engine.store is not None and cid else None
    verify = None
    cluster = getattr(args, "from_aks", None)
    if cluster is not None:   # --from-aks [CLUSTER]: verify from this machine and from a pod in the cluster
        from steps.verify import run_verify
        from steps.verify.in_cluster import InClusterRequest
        from wizard.core.settings import dns_server_from_env

        cluster = cluster or engine.config.aks_cluster
        if cluster:
            verify = run_verify(engine.ctx, nameserver=dns_server_from_env(), ca_file=getattr(args, "ca_file", None),
                                from_aks=InClusterRequest(cluster, engine.config.aks_namespace))
    print(render_report(engine, redact=redact, config_path=args.config, transcript_path=log, verify=verify), end="")
    return 0
