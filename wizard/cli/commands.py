"""The commands that work on one setup's config file: plan, apply, status, destroy, verify (and the dispatch
to export and report). Human output by default, JSON with --json; exit codes as README lists them."""

from __future__ import annotations

import argparse
import json
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
    from wizard.core.record import SetupRecord
    from wizard.engine import Engine, RunResult


def make_engine(args: argparse.Namespace, on_event: Any = None, allow_update: set[str] | None = None) -> Engine:
    """The engine of a config-file command (flags and environment give the Azure settings)."""
    from wizard.cli.astro import resolve_config
    from wizard.core.config import ConfigError, load_config
    from wizard.core.settings import AzureSettings
    from wizard.engine import Workspace

    settings = AzureSettings.from_args(args)
    config = load_config(args.config)
    astro = resolve_config(config, args)   # [astro] deployment_id: api_url from the Astro API (issue 14)
    _default_subscription(config, settings)   # no [azure] subscription_id: az account show's (issue 17)
    from wizard.cli.aks import derive_from_cluster

    try:
        args.vnet_source = derive_from_cluster(config, settings)   # [aks] cluster: the VNets from it (issue 13)
    except ConfigError as exc:
        if getattr(args, "setup_command", "") not in ("destroy", "report", "status"):
            raise
        args.vnet_source = None   # these work from the setup record too: say it, and go on without the cluster
        err(f"{exc} (going on without the cluster's VNets)")
    engine = Workspace(settings).engine(config, allow_update=allow_update, on_event=on_event)
    if astro is not None:   # step 1 checks a given api_url against the Deployment (issue 14)
        from steps.astro_deployments import attach_lookup

        attach_lookup(engine.ctx, astro)
    if engine.record_message:
        err(engine.record_message)
    return engine


def _default_subscription(config: Any, settings: Any) -> None:
    """A config without [azure] subscription_id, signed in with the Azure CLI: the subscription `az account show`
    has selected, said on standard error (a static token names no subscription: step 1 asks for one then)."""
    if config.subscription_id.strip() or settings.access_token:
        return
    from wizard.core.azcli import az_account

    account = az_account()
    if account is not None:
        config.subscription_id = account.subscription_id
        err(f"[azure] subscription_id is not set: using {account.name} ({account.subscription_id}), the subscription "
            "`az account show` has selected.")


def run_setup_command(name: str, args: argparse.Namespace) -> int:
    """Run one config-file command; a bad config or setting is one sentence and exit 2."""
    from wizard.core.astro_api import AstroApiError
    from wizard.core.config import ConfigError
    from wizard.core.settings import SettingsError

    args.setup_command = name
    try:
        return COMMANDS[name](args)
    except (ConfigError, SettingsError) as exc:
        err(str(exc))
        return 2
    except AstroApiError as exc:   # the Astro API failed while reading [astro] deployment_id (issue 14)
        err(str(exc))
        return 1


def _show_plans(args: argparse.Namespace, title: str, *, with_record: bool) -> int:
    """Read Azure and show every step's plan (human or JSON); exit code from the inputs check."""
    from wizard.engine import plan_exit_code

    engine = make_engine(args)
    plans = engine.plan()
    from wizard.cli.astro import optional_step_line

    optional = optional_step_line(engine.config, engine.record, args.config)
    if args.json:
        data = json.loads(plans_json(plans))
        data["vnet_source"] = getattr(args, "vnet_source", None)
        data["optional"] = [{"name": "restrict_traffic", "detail": optional,
                             "added_by_tool": (engine.record.astro_ranges_added.get(engine.config.deployment_id or "",
                                                                                    [])
                                               if engine.record is not None else [])}]
        print(json.dumps(data, indent=2))
        return plan_exit_code(plans)
    if getattr(args, "vnet_source", None):
        print(clean_line(f"{args.vnet_source}."))
    print_plans(plans, title=title.format(cluster=engine.config.cluster_id or "?"))
    print(clean_line(optional))
    if with_record and engine.store is not None and engine.record is not None:
        print(clean_line(f"Setup record ({engine.record.which}): {engine.store.path_for(engine.record.key)}"))
    return plan_exit_code(plans)


def cmd_plan(args: argparse.Namespace) -> int:
    return _show_plans(args, "Plan for Astro cluster {cluster} (nothing is written):", with_record=False)


def cmd_status(args: argparse.Namespace) -> int:
    return _show_plans(args, "Status of Astro cluster {cluster} (read from Azure):", with_record=True)


def _say_who(engine: Engine) -> None:
    """Before apply writes: who is signed in, in which tenant, through what (nobody: the plan says so itself)."""
    from wizard.core.azure import AzureAccessError

    try:
        who = engine.factory.check_credential()
    except AzureAccessError:
        return
    tenant = f" (tenant {who.tenant_id})" if who.tenant_id else ""
    say(f"Signed in to Azure as {who.name}{tenant}, using {who.source}.")


def cmd_apply(args: argparse.Namespace) -> int:
    from wizard.engine import EXIT_BAD_INPUT, EXIT_STOPPED, plan_exit_code

    printer = ProgressPrinter(sys.stdout)
    engine = make_engine(args, on_event=printer, allow_update=set(args.update))
    _say_who(engine)
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
    if getattr(args, "restrict_traffic", False) and result.exit_code == 0:
        from wizard.cli.astro import cmd_restrict_traffic

        return cmd_restrict_traffic(argparse.Namespace(**{**vars(args), "undo": False, "cidr": args.cidr,
                                                          "json": False}), engine)
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
        if any(o.error_code in ("AuthorizationFailed", "LinkedAuthorizationFailed") for o in result.outcomes.values()):
            # Issue 15: write in the spoke, read only in the hub: the rest goes to an admin, each part with its
            # own --subscription (wizard/export).
            print(f"To hand what your account may not do to an Azure admin: `astro-privatelink export --config "
                  f"{config} --format az` writes the remaining steps, each in its own subscription.")
    if engine.store is not None and engine.record is not None:
        print(clean_line(f"Setup record ({engine.record.which}): {engine.store.path_for(engine.record.key)}"))


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
    from_aks = None
    if getattr(args, "from_aks", None) is not None:   # --from-aks [CLUSTER]: the checks from a pod in the cluster too
        from steps.verify.in_cluster import InClusterRequest

        cluster = args.from_aks or engine.config.aks_cluster
        if not cluster:
            err("--from-aks needs the agents' AKS cluster: give it (--from-aks NAME) or set [aks] cluster.")
            return 2
        namespace = args.aks_namespace or engine.config.aks_namespace   # the flag, else [aks] namespace
        if args.aks_namespace:
            from wizard.core.kube_names import namespace_problems

            bad = namespace_problems(args.aks_namespace)
            if bad:
                err(f"--aks-namespace: {bad[0]}")
                return 2
        from_aks = InClusterRequest(cluster, namespace, args.aks_timeout)
    report = run_verify(engine.ctx, nameserver=nameserver, timeout=args.timeout, ca_file=args.ca_file,
                        from_aks=from_aks)
    from wizard.cli.astro import health_of

    health = health_of(engine.config, args)   # Astro's view of the Deployment, beside the network checks
    if args.json:
        data = json.loads(render_json(report))
        if health is not None:
            data["astro_deployment"] = health.to_json()
        print(json.dumps(data, indent=2))
    else:
        print(render_text(report, args.config), end="")
        if health is not None:
            print(clean_line(health.line))
    return 0 if report.ok else 1


def other_setups(engine: Engine) -> list[SetupRecord]:
    """The cluster's other setups (another endpoint: issue 15) in whose records this tool created something."""
    from steps.teardown import removals

    if engine.store is None or engine.record is None:
        return []
    records, _ = engine.store.list()
    return [r for r in records if r.cluster_id.lower() == engine.record.cluster_id.lower()
            and r.key != engine.record.key and removals(r)]


def cmd_destroy(args: argparse.Namespace) -> int:
    """0 removed (or nothing to remove); 1 a delete failed, or something was kept because it changed since this tool
    made it; 2 not confirmed, or the record lists resources outside the config's subscription or resource groups
    (nothing deleted; --allow-outside-config removes them where they were created); 130 stopped (a rerun goes on).
    Every id is shown in full, its subscription masked under --redact."""
    from dataclasses import replace

    from wizard.core.ids import parse_id
    from wizard.core.record import endpoint_label
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
    # Which setup: the cluster AND its endpoint (a second endpoint for one cluster is a setup of its own; issue 15).
    which = f"cluster {cluster}, {endpoint_label(engine.config)}"
    if not removals:
        others = other_setups(engine)
        if others and engine.store is not None:   # the config names another endpoint than the setups made for it
            store = engine.store
            named = "; ".join(f"{o.which} (its config: {store.config_path_for(o.key)})" for o in others)
            redact.known |= {parse_id(e.id).get("subscription", "") for o in others for e in o.resources.values()}
            err(redact(clean_line(
                f"nothing was deleted: {args.config} names {which}, which this tool made nothing for; its setups "
                f"of this cluster are {named}: run destroy with that config, or point this one's [azure] and "
                "[endpoint] settings back at that endpoint.")))
            return EXIT_BAD_INPUT
        say(f"Nothing to remove: this tool has no record of creating anything for {redact(clean_line(which))}.")
        return EXIT_OK
    elsewhere = engine.outside_config()
    outside = {e.id for e in elsewhere}
    say(f"This removes what astro-privatelink created for {redact(clean_line(which))}, newest first"
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


def cmd_restrict_traffic(args: argparse.Namespace) -> int:
    from wizard.cli.astro import cmd_restrict_traffic as restrict

    return restrict(args, make_engine(args))


COMMANDS = {"plan": cmd_plan, "apply": cmd_apply, "status": cmd_status, "destroy": cmd_destroy,
            "verify": cmd_verify, "export": cmd_export, "report": cmd_report,
            "restrict-traffic": cmd_restrict_traffic}
