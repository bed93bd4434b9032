"""The commands that work on one setup's config file: plan, apply, status, destroy, verify (and the dispatch
to export and report). Human output by default, JSON with --json; exit codes as README lists them."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, Any

from wizard.console import (
    ProgressPrinter,
    confirm,
    err,
    outcome_line,
    plans_json,
    print_plans,
    problem_lines,
    run_interruptibly,
    say,
)
from wizard.core.sanitize import clean_line

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine import Engine, RunResult


def make_engine(args: argparse.Namespace, on_event: Any = None, allow_update: set[str] | None = None) -> Engine:
    """The engine of a config-file command (flags and environment give the Azure settings)."""
    from wizard.core.settings import AzureSettings
    from wizard.engine import engine_for_config_file

    settings = AzureSettings.from_env(arm_endpoint=args.arm_endpoint, ca_file=args.ca_file)
    engine = engine_for_config_file(args.config, settings, allow_update=allow_update, on_event=on_event)
    if engine.record_message:
        err(engine.record_message)
    return engine


def run_setup_command(name: str, args: argparse.Namespace) -> int:
    """Run one config-file command; a bad config or setting is one sentence and exit 2."""
    from wizard.core.config import ConfigError
    from wizard.core.settings import SettingsError

    try:
        return COMMANDS[name](args)
    except (ConfigError, SettingsError) as exc:
        err(str(exc))
        return 2


def _show_plans(args: argparse.Namespace, title: str, *, with_record: bool) -> int:
    """Read Azure and show every step's plan (human or JSON); exit code from the inputs check."""
    from wizard.engine import plan_exit_code

    engine = make_engine(args)
    plans = engine.plan()
    if args.json:
        print(plans_json(plans))
        return plan_exit_code(plans)
    print_plans(plans, title=title.format(cluster=engine.config.cluster_id or "?"))
    if with_record and engine.store is not None and engine.record is not None:
        print(f"Setup record: {engine.store.path_for(engine.record.cluster_id)}")
    return plan_exit_code(plans)


def cmd_plan(args: argparse.Namespace) -> int:
    return _show_plans(args, "Plan for Astro cluster {cluster} (nothing is written):", with_record=False)


def cmd_status(args: argparse.Namespace) -> int:
    return _show_plans(args, "Status of Astro cluster {cluster} (read from Azure):", with_record=True)


def cmd_apply(args: argparse.Namespace) -> int:
    from wizard.engine import EXIT_BAD_INPUT, EXIT_STOPPED, plan_exit_code

    printer = ProgressPrinter(sys.stdout)
    engine = make_engine(args, on_event=printer, allow_update=set(args.update))
    plans = engine.plan()
    print_plans(plans, title=f"Plan for Astro cluster {engine.config.cluster_id or '?'}:")
    failed = plan_exit_code(plans)
    if failed:
        err("nothing was written: fix what step 1 reports above and run again.")
        return failed
    writes = [p for p in plans if p.writes]
    if writes and not args.yes and not confirm(f"Create or change {len(writes)} step(s) in Azure?"):
        err("nothing was written (confirm at the prompt, or pass --yes).")
        return EXIT_BAD_INPUT
    print("Applying:", flush=True)
    result: RunResult | None = run_interruptibly(engine, lambda: engine.apply(
        wait_for_approval=not args.no_wait, plans=plans))
    if result is None:
        err("stopped. Run the same command again to resume.")
        return EXIT_STOPPED
    print_summary(engine, result, args.config)
    return result.exit_code


def print_summary(engine: Engine, result: RunResult, config_path: str) -> None:
    from wizard.engine import EXIT_OK, EXIT_PENDING, EXIT_STOPPED

    code = result.exit_code
    config = clean_line(shlex.quote(config_path))  # the commands suggested below need it
    print("")
    if code == EXIT_OK:
        print(f"Done: every step is complete. Next: `astro-privatelink verify --config {config}` from inside the VNet.")
    elif code == EXIT_PENDING:
        approval = result.outcomes.get("approval")
        print("Everything is in place except Astronomer's approval. Send this to Astronomer support:\n")
        if approval:
            for line in approval.details:  # the support text quotes Azure's names and the alias
                say("    " + clean_line(line))
        print(f"\nThen run `astro-privatelink status --config {config}` (or apply again) to see the approval.")
    elif code == EXIT_STOPPED:
        print("Stopped. Run the same command again to resume where it stopped.")
    else:
        for line in problem_lines(result):
            print(line)
    if engine.store is not None and engine.record is not None:
        print(f"Setup record: {engine.store.path_for(engine.record.cluster_id)}")


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every check passes, 1 otherwise, 2 for a bad config, --nameserver or ASTRO_PL_DNS_SERVER."""
    from steps.verify import parse_nameserver, render_json, render_text, run_verify
    from wizard.core.settings import dns_server_from_env

    try:
        nameserver = parse_nameserver(args.nameserver) if args.nameserver else dns_server_from_env()
    except ValueError as exc:
        err(str(exc))
        return 2
    if not 0 < args.timeout <= 60:
        err("--timeout must be more than 0 and at most 60 seconds.")
        return 2
    engine = make_engine(args)
    problems = engine.config.problems()
    if problems:
        err("the config cannot be verified:\n  " + "\n  ".join(problems))
        return 2
    report = run_verify(engine.ctx, nameserver=nameserver, timeout=args.timeout, ca_file=args.ca_file)
    print(render_json(report) if args.json else render_text(report, args.config), end="" if not args.json else "\n")
    return 0 if report.ok else 1


def cmd_destroy(args: argparse.Namespace) -> int:
    """0 removed (or nothing to remove); 1 a delete failed, or something was kept because it changed since this tool
    made it; 2 not confirmed, or the record lists resources outside the config's subscription or resource groups
    (nothing deleted; --allow-outside-config removes them where they were created); 130 stopped (a rerun goes on).
    Every id is shown in full, its subscription masked under --redact."""
    from dataclasses import replace

    from wizard.core.ids import parse_id
    from wizard.core.redact import Redactor
    from wizard.engine import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_STOPPED, Event

    redact = Redactor(on=bool(args.redact or args.destroy_redact))
    printer = ProgressPrinter(sys.stdout)

    def show(event: Event) -> None:
        printer(replace(event, message=redact(event.message)))

    engine = make_engine(args, on_event=show)
    cluster = engine.config.cluster_id
    removals = engine.removals()
    redact.known |= {engine.config.subscription_id} | {parse_id(rid).get("subscription", "") for _, rid in removals}
    if not removals:
        say(f"Nothing to remove: this tool has no record of creating anything for cluster {cluster}.")
        return EXIT_OK
    elsewhere = engine.outside_config()
    outside = {e.id for e in elsewhere}
    say(f"This removes what astro-privatelink created for cluster {cluster}, newest first"
        + (" (* outside the config):" if elsewhere else ":"))
    for _, rid in removals:
        say(f"  {'*' if rid in outside else ' '} {redact(clean_line(rid))}")
    if elsewhere:
        reasons: dict[str, int] = {}
        for e in elsewhere:
            reasons[e.why] = reasons.get(e.why, 0) + 1
        for why, count in reasons.items():
            say(f"Outside the config: {redact(clean_line(why))} ({count} of them).")
        if not args.allow_outside_config:
            err(f"nothing was deleted: the setup record lists {len(elsewhere)} resource(s) outside what {args.config} "
                "names (above); point its [azure] settings back at them, or run destroy again with "
                "--allow-outside-config to remove them where they were created.")
            return EXIT_BAD_INPUT
    if not args.yes and not confirm("Delete these from Azure?"):
        err("nothing was deleted (confirm at the prompt, or pass --yes).")
        return EXIT_BAD_INPUT
    outcomes = run_interruptibly(engine, lambda: engine.destroy(allow_outside_config=args.allow_outside_config))
    if outcomes is None:
        err("stopped. Run the same command again to remove what is left (the record still lists it).")
        return EXIT_STOPPED
    for o in outcomes:
        say(redact(outcome_line(o)))
    states = {o.state.value for o in outcomes}
    if any(o.error_code == "Stopped" for o in outcomes):
        return EXIT_STOPPED
    if "blocked" in states:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if states & {"failed", "conflict"} else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """`export --config F --format az|terraform|bicep [--output FILE]`: 0 written; 1 Azure could not be read or
    something conflicts; 2 bad input."""
    from pathlib import Path

    from wizard.engine import plan_exit_code
    from wizard.export import FORMAT_TITLES, ExportError, render, write_export

    engine = make_engine(args)
    plans = engine.plan()
    try:
        text = render(engine, args.format, plans=plans)
    except ExportError as exc:
        err(f"nothing was exported. {exc}")
        return plan_exit_code(plans) or 1
    if not args.output:
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    try:
        write_export(path, text, args.format)
    except OSError as exc:
        err(f"could not write {path} ({exc.strerror}); choose another --output path.")
        return 2
    print(f"Wrote the {FORMAT_TITLES[args.format]} for the remaining steps to {path}.", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from wizard.report import cmd_report as report

    return report(args, make_engine(args))


COMMANDS = {"plan": cmd_plan, "apply": cmd_apply, "status": cmd_status, "destroy": cmd_destroy,
            "verify": cmd_verify, "export": cmd_export, "report": cmd_report}
