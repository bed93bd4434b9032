"""The `astro-privatelink` command: subcommands, flags, exit codes, and human/JSON output.

Kept light: only argparse is imported at start; the engine, the Azure SDK and Textual load when a
command needs them. Exit codes: 0 done; 1 a step failed; 2 bad input or config (nothing written);
3 only approval is pending (`apply --no-wait`); 130 stopped by Ctrl+C (a rerun resumes).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine import Engine, Event, RunResult

PROG = "astro-privatelink"
STATE_WORDS = {"done": "done", "todo": "to do", "waiting": "waiting", "conflict": "CONFLICT", "blocked": "blocked",
               "failed": "FAILED"}
GLYPHS = {"done": "[x]", "todo": "[ ]", "waiting": "[~]", "conflict": "[!]", "blocked": "[-]", "failed": "[!]"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Set up Azure Private Link between Astro Remote Execution Agents and the Astro orchestration "
                    "plane, following Astronomer's documented steps.",
        epilog="Environment: ASTRO_PL_ARM_ENDPOINT, ASTRO_PL_ACCESS_TOKEN, ASTRO_PL_CA_FILE, ASTRO_PL_STATE_DIR, "
               "ASTRO_PL_POLLING_INTERVAL. Run `astro-privatelink sandbox` for a local Azure to try it on.")
    parser.add_argument("--arm-endpoint", help="ARM base URL (default: the public cloud, or ASTRO_PL_ARM_ENDPOINT)")
    parser.add_argument("--ca-file", help="PEM bundle to trust for ARM and HTTPS checks (or ASTRO_PL_CA_FILE)")
    parser.add_argument("--redact", action="store_true",
                        help="wizard: mask subscription and tenant ids on screen (last 4 kept), for screen shares")
    parser.add_argument("--plain", action="store_true",
                        help="wizard: ask the questions line by line instead of full screen (screen readers, "
                             "narrow or recorded terminals)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("demo", help="the wizard against a built-in local sandbox (no Azure account needed)")
    p.add_argument("--world", choices=["demo", "large"], default="demo", help="seed world (default: demo)")
    p.add_argument("--approve-after", type=float, default=20.0, metavar="SECONDS",
                   help="approve the endpoint connection after this many seconds (default 20)")

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", "-c", required=True, metavar="FILE", help="the setup's TOML config file")

    p = sub.add_parser("plan", help="show what each step would do (no writes)")
    with_config(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("apply", help="run the plan: create what is missing, then wait for approval")
    with_config(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before writing")
    p.add_argument("--no-wait", action="store_true", help="do not wait for approval (exit 3 while it is pending)")
    p.add_argument("--update", action="append", default=[], metavar="STEP", choices=["a_record"],
                   help="allow changing an existing resource that differs (a_record: repoint a stale A record)")

    p = sub.add_parser("status", help="re-read Azure and show each step's state")
    with_config(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("destroy", help="remove what this tool created (never what it only reused)")
    with_config(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before deleting")

    p = sub.add_parser("verify", help="check the setup from Azure and the network (DNS, HTTPS) and diagnose failures")
    with_config(p)
    p.add_argument("--nameserver", metavar="HOST[:PORT]",
                   help="resolve with this DNS server (default: ASTRO_PL_DNS_SERVER, else the system resolver)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                   help="give up on each network check after this many seconds (default: 3)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("export", help="write the az script, Terraform or Bicep that does the remaining steps, "
                                      "for an Azure admin to run")
    with_config(p)
    p.add_argument("--format", "-f", choices=["az", "terraform", "bicep"], default="az",
                   help="az (a bash script), terraform or bicep (default: az)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")

    p = sub.add_parser("report", help="print a summary to paste into a support ticket (steps, ids, last errors)")
    with_config(p)
    p.add_argument("--redact", action="store_true", dest="report_redact",
                   help="mask subscription ids (last 4 characters kept)")

    p = sub.add_parser("sandbox", help="run the local sandbox Azure in the foreground (Ctrl+C stops it)")
    p.add_argument("--world", choices=["demo", "large"], default="demo", help="seed world (default: demo)")
    p.add_argument("--approve-after", type=float, metavar="SECONDS",
                   help="approve new endpoint connections after this many seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None or args.command == "demo":
        from wizard.plain import should_use_plain

        plain, why = should_use_plain(args)
        if plain:
            from wizard.plain import run_plain  # the same wizard, one question per line

            if why:
                _err(why)
            return run_plain(args)
        from wizard.app import run_tui  # the Textual wizard: real Azure, or the demo sandbox

        return run_tui(args)
    if args.command == "sandbox":
        from wizard.sandbox.server import run_foreground

        return run_foreground(world=args.world, approve_after=args.approve_after)
    return _run_setup_command(args)


# -- shared plumbing -----------------------------------------------------------------------------------
def _err(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _make_engine(args: argparse.Namespace, on_event: Any = None, allow_update: set[str] | None = None) -> Engine:
    from wizard.core.azure import ClientFactory
    from wizard.core.config import load_config
    from wizard.core.record import RecordStore
    from wizard.core.settings import AzureSettings, state_dir
    from wizard.core.transcript import Transcript, log_path_for
    from wizard.engine import Engine

    config = load_config(args.config)
    settings = AzureSettings.from_env(arm_endpoint=args.arm_endpoint, ca_file=args.ca_file)
    store = RecordStore(state_dir())
    transcript = Transcript(log_path_for(store, config.cluster_id) if config.cluster_id else None)
    engine = Engine(config, ClientFactory(settings, per_call_policies=[transcript.policy()]), store,
                    on_event=on_event, allow_update=allow_update)
    if engine.record_message:
        _err(engine.record_message)
    return engine


def _run_setup_command(args: argparse.Namespace) -> int:
    from wizard.core.config import ConfigError
    from wizard.core.settings import SettingsError

    try:
        if args.command == "plan":
            return cmd_plan(args)
        if args.command == "status":
            return cmd_status(args)
        if args.command == "apply":
            return cmd_apply(args)
        if args.command == "destroy":
            return cmd_destroy(args)
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "export":
            from wizard.export import cmd_export

            return cmd_export(args)
        if args.command == "report":
            from wizard.report import cmd_report

            return cmd_report(args)
    except (ConfigError, SettingsError) as exc:
        _err(str(exc))
        return 2
    raise AssertionError(args.command)


def _print_plans(plans: list, out: TextIO | None = None, *, title: str) -> None:
    from steps import all_steps

    out = out or sys.stdout
    titles = {s.key: (s.number, s.title) for s in all_steps()}
    print(title, file=out)
    for p in plans:
        number, name = titles[p.step]
        state = p.state.value
        print(f"  {GLYPHS[state]} {number}. {name}: {STATE_WORDS[state]}", file=out)
        print(f"        {p.summary}", file=out)
        for d in p.details:
            print(f"          {d}", file=out)
        for w in p.warnings:
            print(f"        note: {w}", file=out)


def _plans_json(plans: list) -> str:
    return json.dumps({"steps": [p.to_json() for p in plans]}, indent=2)


def _inputs_failed(plans: list) -> int:
    """0 when the inputs check passed; else 2 for bad input, 1 when Azure or the network failed."""
    first = plans[0]
    if first.step != "inputs" or first.action.value != "failed":
        return 0
    return 2 if first.bad_input else 1


# -- commands ----------------------------------------------------------------------------------------
def cmd_plan(args: argparse.Namespace) -> int:
    engine = _make_engine(args)
    plans = engine.plan()
    if args.json:
        print(_plans_json(plans))
    else:
        _print_plans(plans, title=f"Plan for Astro cluster {engine.config.cluster_id or '?'} (nothing is written):")
    return _inputs_failed(plans)


def cmd_status(args: argparse.Namespace) -> int:
    engine = _make_engine(args)
    plans = engine.plan()
    if args.json:
        print(_plans_json(plans))
    else:
        _print_plans(plans, title=f"Status of Astro cluster {engine.config.cluster_id or '?'} (read from Azure):")
        if engine.store is not None and engine.record is not None:
            print(f"Setup record: {engine.store.path_for(engine.record.cluster_id)}")
    return _inputs_failed(plans)


class _ProgressPrinter:
    """Prints one line per event; elapsed-time updates at most every 10 s per step."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.last: dict[str, tuple[str, float]] = {}

    def __call__(self, event: Event) -> None:
        import re
        import time

        if event.kind == "plan":
            return
        stem = re.sub(r"\(\d+s[^)]*\)", "", event.message).strip()
        now = time.monotonic()
        with self.lock:
            previous = self.last.get(event.step)
            if event.kind == "progress" and previous and previous[0] == stem and now - previous[1] < 10:
                return
            self.last[event.step] = (stem, now)
            label = event.step.replace("_", " ")
            if event.kind == "outcome":
                print(f"  {GLYPHS.get(event.state or '', '   ')} {label}: {event.message}", file=self.out, flush=True)
            elif event.kind == "start":
                print(f"  ... {label}: started", file=self.out, flush=True)
            else:
                print(f"  ... {label}: {event.message}", file=self.out, flush=True)


def _confirm(question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _run_interruptibly(engine: Engine, work: Any) -> Any:
    """Run `work` in a thread so Ctrl+C can ask the steps to stop at their next checkpoint."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # re-raised in the main thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="apply", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        engine.cancel.set()
        _err("stopping: letting the running steps reach a safe point (Azure keeps what was started)...")
        thread.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def cmd_apply(args: argparse.Namespace) -> int:
    from wizard.engine import EXIT_BAD_INPUT, EXIT_STOPPED

    printer = _ProgressPrinter(sys.stdout)
    engine = _make_engine(args, on_event=printer, allow_update=set(args.update))
    plans = engine.plan()
    _print_plans(plans, title=f"Plan for Astro cluster {engine.config.cluster_id or '?'}:")
    if _inputs_failed(plans):
        _err("nothing was written: fix what step 1 reports above and run again.")
        return _inputs_failed(plans)
    writes = [p for p in plans if p.writes]
    if writes and not args.yes:
        if not _confirm(f"Create or change {len(writes)} step(s) in Azure?"):
            _err("nothing was written (confirm at the prompt, or pass --yes).")
            return EXIT_BAD_INPUT
    print("Applying:", flush=True)
    result: RunResult | None = _run_interruptibly(engine, lambda: engine.apply(
        wait_for_approval=not args.no_wait, plans=plans))
    if result is None:
        _err("stopped. Run the same command again to resume.")
        return EXIT_STOPPED
    _print_summary(engine, result)
    return result.exit_code


def _print_summary(engine: Engine, result: RunResult) -> None:
    from wizard.engine import EXIT_OK, EXIT_PENDING, EXIT_STOPPED

    code = result.exit_code
    print("")
    if code == EXIT_OK:
        print("Done: every step is complete. Next: `astro-privatelink verify` from inside the VNet.")
    elif code == EXIT_PENDING:
        approval = result.outcomes.get("approval")
        print("Everything is in place except Astronomer's approval. Send this to Astronomer support:\n")
        if approval:
            print("\n".join("    " + line for line in approval.details))
        print("\nThen run `astro-privatelink status` (or apply again) to see the approval.")
    elif code == EXIT_STOPPED:
        print("Stopped. Run the same command again to resume where it stopped.")
    else:
        for o in result.outcomes.values():
            if o.state.value in ("failed", "conflict"):
                print(f"{o.step.replace('_', ' ')}: {o.summary}")
                for d in o.details:
                    print(f"    {d}")
    if engine.store is not None and engine.record is not None:
        print(f"Setup record: {engine.store.path_for(engine.record.cluster_id)}")


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every check passes, 1 otherwise, 2 for a bad config or --nameserver."""
    from steps.verify import parse_nameserver, run_verify
    from wizard.verify_report import render_json, render_text

    try:
        nameserver = parse_nameserver(args.nameserver) if args.nameserver else None
    except ValueError as exc:
        _err(str(exc))
        return 2
    if not 0 < args.timeout <= 60:
        _err("--timeout must be more than 0 and at most 60 seconds.")
        return 2
    engine = _make_engine(args)
    problems = engine.config.problems()
    if problems:
        _err("the config cannot be verified:\n  " + "\n  ".join(problems))
        return 2
    try:
        report = run_verify(engine.ctx, nameserver=nameserver, timeout=args.timeout, ca_file=args.ca_file)
    except ValueError as exc:  # a bad ASTRO_PL_DNS_SERVER
        _err(str(exc))
        return 2
    print(render_json(report) if args.json else render_text(report, args.config), end="" if not args.json else "\n")
    return 0 if report.ok else 1


def cmd_destroy(args: argparse.Namespace) -> int:
    engine = _make_engine(args, on_event=_ProgressPrinter(sys.stdout))
    record = engine.record
    owned = [k for k, e in (record.resources.items() if record else []) if e.created_by_tool]
    if not owned:
        print(f"Nothing to remove: this tool has no record of creating anything for cluster "
              f"{engine.config.cluster_id}.")
        return 0
    print("This removes what astro-privatelink created for cluster "
          f"{engine.config.cluster_id}: {', '.join(owned)}.")
    if not args.yes and not _confirm("Delete these from Azure?"):
        _err("nothing was deleted (confirm at the prompt, or pass --yes).")
        return 2
    outcomes = _run_interruptibly(engine, engine.destroy) or []
    for o in outcomes:
        print(f"  {GLYPHS[o.state.value]} {o.summary}")
    return 1 if any(o.state.value == "failed" for o in outcomes) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
