"""The CLI's Astro API side (issue 14): the API URL from `[astro] deployment_id`, the Deployment's health beside
verify, the optional last step in plan/status, and `restrict-traffic [--cidr CIDR] [--yes] [--undo] [--json]`.

Exit codes of restrict-traffic: 0 done (or nothing to do), 1 failed (the API refused or failed, verify does not
pass), 2 bad input (config, token, --cidr, not confirmed). The API token is read from ASTRO_API_TOKEN and kept in
memory only.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from wizard.console import confirm, err, say
from wizard.core.sanitize import clean_line

if TYPE_CHECKING:  # pragma: no cover
    from steps.astro_deployments import DeploymentLookup
    from wizard.core.astro_api import AstroApi
    from wizard.core.config import SetupConfig
    from wizard.engine import Engine

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def api_for(args: argparse.Namespace) -> AstroApi:
    """The API client from the environment (ASTRO_API_TOKEN, ASTRO_PL_ASTRO_API) and --ca-file."""
    from wizard.core.astro_api import AstroApi, AstroApiSettings

    return AstroApi(AstroApiSettings.from_env(ca_file=getattr(args, "ca_file", None)))


# The commands whose step 1 (steps/inputs.py) shows a given api_url that disagrees with the Deployment (issue 14).
STEP_ONE_COMMANDS = ("plan", "status", "apply", "export")


def resolve_config(config: SetupConfig, args: argparse.Namespace) -> DeploymentLookup | None:
    """Fill api_url from `[astro] deployment_id`; ConfigError (exit 2) when it cannot be filled or the Deployment
    cannot be used. A given api_url is checked against the Deployment by step 1 for plan/status/apply/export (the
    lookup returned goes to the engine's context: `attach_lookup`), here for the other commands. A config without
    deployment_id is left alone (the manual path): None."""
    from steps.astro_deployments import DeploymentLookup, deployment_problems
    from wizard.core.astro_api import AstroApiError
    from wizard.core.config import ConfigError

    if not config.deployment_id:
        return None
    lookup = DeploymentLookup(lambda: api_for(args))
    given = bool(config.api_url.strip())
    if given and config.organization_id and getattr(args, "setup_command", "") in STEP_ONE_COMMANDS:
        return lookup   # read by step 1's inspect, shown as its problem
    if not config.organization_id:
        raise ConfigError("[astro] deployment_id needs [astro] organization_id too (the Deployment's Organization id).")
    try:
        choice = lookup.choice(config.organization_id, config.deployment_id)
    except AstroApiError as exc:
        if given:
            err(f"warning: the Deployment in [astro] deployment_id could not be checked against api_url: {exc}")
            return None
        if exc.kind in ("token", "not_found", "forbidden", "invalid"):
            raise ConfigError(str(exc)) from None   # the config or the token must change: exit 2
        raise   # throttled, network, server: exit 1, a rerun may work
    if not given and not choice.reason:
        config.api_url = choice.api_url
    problems = deployment_problems(config.api_url, choice)
    if problems:
        raise ConfigError("\n".join(problems))
    return lookup


def health_of(config: SetupConfig, args: argparse.Namespace) -> Any:
    """The Deployment's health (steps.astro_deployments.DeploymentHealth), or None without deployment_id or token."""
    from steps.astro_deployments import health
    from wizard.core.astro_api import AstroApiError

    if not (config.deployment_id and config.organization_id):
        return None
    try:
        with api_for(args) as api:
            return health(api, config.organization_id, config.deployment_id)
    except AstroApiError as exc:   # no token: say why instead of the status
        from steps.astro_deployments import DeploymentHealth
        return DeploymentHealth(config.deployment_id, "", "", "", error=str(exc))


def optional_step_line(config: SetupConfig, record: Any, config_path: str = "FILE") -> str:
    """plan/status: the documented optional last step, never run by `apply` unless asked."""
    added = (record.astro_ranges_added.get(config.deployment_id or "", []) if record is not None else [])
    if added:
        return (f"Optional last step, restrict traffic: done by this tool ({', '.join(added)} allowed); "
                "`restrict-traffic --undo` removes it.")
    import shlex

    if not config.deployment_id:
        return ("Optional last step, restrict traffic to the private endpoint: after verify passes, add the cluster "
                "CIDR range to the Deployment's Allowed IP address ranges in the Astro UI, or set [astro] "
                "organization_id and deployment_id and run `astro-privatelink restrict-traffic`.")
    return ("Optional last step, restrict traffic to the private endpoint: not done; after verify passes, run "
            f"`astro-privatelink restrict-traffic --config {shlex.quote(config_path)}` (apply runs it only with "
            "--restrict-traffic).")


def cmd_restrict_traffic(args: argparse.Namespace, engine: Engine) -> int:
    """restrict-traffic on the engine of its config file (built by the caller: commands.make_engine)."""
    from steps.restrict_traffic import RestrictError
    from wizard.core.astro_api import AstroApiError
    from wizard.core.settings import SettingsError

    result: dict[str, Any] = {"action": "undo" if args.undo else "add", "ok": False, "error": None}
    try:
        code = _restrict(args, engine, result)
    except (AstroApiError, RestrictError) as exc:
        result["error"] = str(exc)
        code = EXIT_FAILED
    except SettingsError as exc:
        result["error"] = str(exc)
        code = EXIT_BAD_INPUT
    result["ok"] = code == EXIT_OK
    if args.json:
        print(json.dumps(result, indent=2))
    elif result["error"]:
        err(clean_line(result["error"]))
    return code


def _restrict(args: argparse.Namespace, engine: Engine, result: dict[str, Any]) -> int:
    from steps.restrict_traffic import WARNING, add_range, check_cidr, default_cidr, ranges_of, remove_ranges

    config = engine.config
    if not (config.organization_id and config.deployment_id):
        result["error"] = ("restrict-traffic needs the Deployment: set [astro] organization_id and deployment_id in "
                           f"{args.config} (the wizard fills them when you pick the Deployment).")
        return EXIT_BAD_INPUT
    org, dep_id = config.organization_id, config.deployment_id
    result["deployment_id"] = dep_id
    record = engine.record
    with api_for(args) as api:
        if args.undo:
            ours = list(record.astro_ranges_added.get(dep_id, [])) if record is not None else []
            result["cidr"] = None
            result["removing"] = ours
            if not ours:
                result.update(before=None, after=None, wrote=False)
                _tell(args, "Nothing to undo: this tool has not added an allowed IP address range to this Deployment.")
                return EXIT_OK
            _tell(args, f"This removes {', '.join(ours)} (added by this tool) from the Deployment's allowed IP "
                        "address ranges; every other range stays.")
            if not args.yes and not confirm("Remove it?"):
                result["error"] = "nothing was changed (confirm at the prompt, or pass --yes)."
                return EXIT_BAD_INPUT
            change = remove_ranges(api, org, dep_id, ours)
            assert record is not None
            record.astro_ranges_added.pop(dep_id, None)
            record.note("restrict_traffic", "done", f"removed {', '.join(ours)}")
            _save(engine)
        else:
            dep = api.deployment(org, dep_id)
            if args.cidr:
                cidr, problem = check_cidr(args.cidr)
                if problem:
                    result["error"] = f"--cidr {problem}"
                    return EXIT_BAD_INPUT
            else:
                cidr = default_cidr(api, org, dep)
                if not cidr:
                    result["error"] = ("Astro gives no CIDR range for the Deployment's cluster: pass --cidr with the "
                                       "range Astronomer support gave.")
                    return EXIT_BAD_INPUT
            assert cidr is not None
            result["cidr"] = cidr
            current = ranges_of(dep)
            _tell(args, f"Allowed IP address ranges now: {', '.join(current) or 'none (any address)'}.")
            if cidr in current:
                result.update(before=current, after=current, wrote=False, added_by_tool=_ours(record, dep_id))
                _tell(args, f"{cidr} is already allowed: nothing to change.")
                return EXIT_OK
            failing = _verify_failures(engine, args)
            if failing:
                result["error"] = (f"verify does not pass yet ({failing}): restricting traffic now could cut the "
                                   f"agents off; run `astro-privatelink verify --config {args.config}` and fix it "
                                   "first.")
                return EXIT_FAILED
            _tell(args, f"To add: {cidr} (the cluster CIDR range, or the range you gave). {WARNING}")
            if not args.yes and not confirm(f"Add {cidr}?"):
                result["error"] = "nothing was changed (confirm at the prompt, or pass --yes)."
                return EXIT_BAD_INPUT
            change = add_range(api, org, dep_id, cidr)
            if change.wrote and record is not None:
                mine = record.astro_ranges_added.setdefault(dep_id, [])
                if cidr not in mine:
                    mine.append(cidr)
                record.note("restrict_traffic", "done", f"added {cidr}")
                _save(engine)
    result.update(before=change.before, after=change.after, wrote=change.wrote, rereads=change.rereads,
                  added_by_tool=_ours(record, dep_id))
    if change.rereads:
        _tell(args, f"Someone else changed the Deployment meanwhile; it was read again ({change.rereads}x) and their "
                    "change kept.")
    _tell(args, f"Done: allowed IP address ranges are now {', '.join(change.after) or 'none (any address)'}.")
    return EXIT_OK


def _ours(record: Any, dep_id: str) -> list[str]:
    return list(record.astro_ranges_added.get(dep_id, [])) if record is not None else []


def _save(engine: Engine) -> None:
    if engine.store is not None and engine.record is not None:
        engine.store.save(engine.record)


def _tell(args: argparse.Namespace, text: str) -> None:
    if args.json:
        print(clean_line(text), file=sys.stderr)
    else:
        say(clean_line(text))


def _verify_failures(engine: Engine, args: argparse.Namespace) -> str:
    """'' when verify passes, else the titles of the failing checks."""
    from steps.verify import run_verify
    from wizard.core.settings import dns_server_from_env

    report = run_verify(engine.ctx, nameserver=dns_server_from_env(), ca_file=getattr(args, "ca_file", None))
    return ", ".join(c.title for c in report.failed)
