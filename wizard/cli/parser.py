"""The `astro-privatelink` command line: every subcommand, its flags, and the function that runs it
(`set_defaults(func=...)`). Only argparse is imported here; each command loads what it needs when it runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from wizard.core.constants import PROG

Command = Callable[[argparse.Namespace], int]


def run_wizard(args: argparse.Namespace) -> int:
    """No subcommand (real Azure) or `demo` (the sandbox): the full-screen wizard, or plain mode."""
    from wizard.cli.launch import run_wizard as launch

    return launch(args)


def run_sandbox(args: argparse.Namespace) -> int:
    from wizard.sandbox.server import run_foreground

    return run_foreground(world=args.world, approve_after=args.approve_after)


def setup_command(name: str) -> Command:
    """A command that works on one setup's config file (plan, apply, status, destroy, verify, export, report)."""

    def run(args: argparse.Namespace) -> int:
        from wizard.cli.commands import run_setup_command

        return run_setup_command(name, args)

    run.__name__ = f"cmd_{name}"
    return run


def global_flags(*, redact: bool = True, default: object = None) -> argparse.ArgumentParser:
    """The flags every command takes before or after its name (`--redact demo` and `demo --redact` alike).

    The copy each subcommand gets has `default=SUPPRESS`, so a flag given before the subcommand is not reset
    by the subcommand's own default. `destroy` and `report` keep their own `--redact` (same meaning: mask ids).
    """
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--arm-endpoint", default=default,
                       help="ARM base URL (default: the public cloud, or ASTRO_PL_ARM_ENDPOINT)")
    flags.add_argument("--ca-file", default=default,
                       help="PEM bundle to trust for ARM and HTTPS checks (or ASTRO_PL_CA_FILE)")
    flags.add_argument("--cloud", default=default, metavar="NAME",
                       help="AzureCloud (default), AzureUSGovernment or AzureChinaCloud: sets the ARM endpoint, "
                            "sign-in authority and token audience together (or ASTRO_PL_CLOUD)")
    flags.add_argument("--tenant", default=default, metavar="TENANT_ID",
                       help="ask for tokens of this Azure AD tenant (default: the signed-in one; or "
                            "ASTRO_PL_TENANT_ID)")
    if redact:
        flags.add_argument("--redact", action="store_true", default=False if default is None else default,
                           help="wizard: mask subscription and tenant ids on screen (last 4 kept), for screen "
                                "shares")
    flags.add_argument("--plain", action="store_true", default=False if default is None else default,
                       help="wizard: ask the questions line by line instead of full screen (screen readers, "
                            "narrow or recorded terminals)")
    return flags


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, parents=[global_flags()],
        description="Set up Azure Private Link between Astro Remote Execution Agents and the Astro orchestration "
                    "plane, following Astronomer's documented steps.",
        epilog="Environment: ASTRO_PL_ARM_ENDPOINT, ASTRO_PL_ACCESS_TOKEN, ASTRO_PL_CA_FILE, ASTRO_PL_STATE_DIR, "
               "ASTRO_PL_POLLING_INTERVAL, ASTRO_PL_CLOUD, ASTRO_PL_TENANT_ID. Run `astro-privatelink sandbox` for a "
               "local Azure to try it on.")
    parser.set_defaults(func=run_wizard)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    after = global_flags(default=argparse.SUPPRESS)
    after_keep_redact = global_flags(redact=False, default=argparse.SUPPRESS)
    p = sub.add_parser("demo", parents=[after],
                       help="the wizard against a built-in local sandbox (no Azure account needed)")
    p.set_defaults(func=run_wizard)
    p.add_argument("--world", choices=["demo", "large", "huge", "hub-spoke", "hub-spoke-subs", "aks"], default="demo",
                   help="seed world (default: demo; large: 5,000 VNets; huge: 50,000 in two subscriptions; "
                        "hub-spoke: a hub with a DNS Private Resolver and peered spokes; hub-spoke-subs: a "
                        "connectivity subscription with the zone and two spoke subscriptions)")
    p.add_argument("--approve-after", type=float, default=20.0, metavar="SECONDS",
                   help="approve the endpoint connection after this many seconds (default 20)")

    def config_command(name: str, parents: list[argparse.ArgumentParser], help_text: str) -> argparse.ArgumentParser:
        """A subcommand that works on one setup's config file: --config, and the function that runs it."""
        p = sub.add_parser(name, parents=parents, help=help_text)
        p.add_argument("--config", "-c", required=True, metavar="FILE", help="the setup's TOML config file")
        p.set_defaults(func=setup_command(name))
        return p

    p = config_command("plan", [after],
                       "show what each step would do (no writes)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = config_command("apply", [after],
                       "run the plan: create what is missing, then wait for approval")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before writing")
    p.add_argument("--no-wait", action="store_true", help="do not wait for approval (exit 3 while it is pending)")
    p.add_argument("--update", action="append", default=[], metavar="STEP", choices=["a_record"],
                   help="allow changing an existing resource that differs (a_record: repoint a stale A record)")
    p.add_argument("--restrict-traffic", action="store_true",
                   help="when every step is done, also do the optional last step (see restrict-traffic)")
    p.add_argument("--cidr", metavar="CIDR", help="with --restrict-traffic: the range to allow")

    p = config_command("status", [after],
                       "re-read Azure and show each step's state")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = config_command("destroy", [after_keep_redact],
                       "remove what this tool created (never what it only reused)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before deleting")
    p.add_argument("--allow-outside-config", action="store_true",
                   help="also remove what the setup record lists outside the config's subscription or resource "
                        "groups, where it was created (without it, destroy deletes nothing then)")
    p.add_argument("--redact", action="store_true", dest="destroy_redact",
                   help="mask subscription ids in what is shown (last 4 characters kept)")

    p = config_command("verify", [after],
                       "check the setup from Azure and the network (DNS, HTTPS) and diagnose failures")
    p.add_argument("--nameserver", metavar="HOST[:PORT]",
                   help="resolve with this DNS server (default: ASTRO_PL_DNS_SERVER, else the system resolver)")
    p.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                   help="give up on each network check after this many seconds (default: 3)")
    p.add_argument("--from-aks", nargs="?", const="", default=None, metavar="CLUSTER",
                   help="also run the checks from a pod in the agents' AKS cluster (default: [aks] cluster), "
                        "through AKS run command")
    p.add_argument("--aks-namespace", metavar="NAMESPACE",
                   help="with --from-aks: run the probe pod in this namespace (the agents', so their network "
                        "policies apply)")
    p.add_argument("--aks-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="with --from-aks: give up waiting for the command after this many seconds (default: 300)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = config_command("export", [after],
                       "write the az script, Terraform or Bicep that does the remaining steps, "
                       "for an Azure admin to run")
    p.add_argument("--format", "-f", choices=["az", "terraform", "bicep"], default="az",
                   help="az (a bash script), terraform or bicep (default: az)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")

    p = config_command("report", [after_keep_redact],
                       "print a summary to paste into a support ticket (steps, ids, last errors)")
    p.add_argument("--redact", action="store_true", dest="report_redact",
                   help="mask subscription ids (last 4 characters kept)")
    p.add_argument("--from-aks", nargs="?", const="", default=None, metavar="CLUSTER",
                   help="also verify, from this machine and from a pod in the agents' AKS cluster (default: "
                        "[aks] cluster), and include every check")

    p = config_command("restrict-traffic", [after],
                       "optional last step: allow only the cluster CIDR range to reach the Deployment "
                       "(Astro API; needs ASTRO_API_TOKEN)")
    p.add_argument("--cidr", metavar="CIDR", help="the range to allow (default: the Astro cluster's CIDR range)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before changing the Deployment")
    p.add_argument("--undo", action="store_true", help="remove only the range this tool added")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("sandbox", help="run the local sandbox Azure in the foreground (Ctrl+C stops it)")
    p.set_defaults(func=run_sandbox)
    p.add_argument("--world", choices=["demo", "large", "two-subscriptions", "huge", "hub-spoke", "hub-spoke-subs",
                                       "aks", "two-tenants"],
                   default="demo",
                   help="seed world (default: demo; two-subscriptions adds a second subscription; two-tenants adds "
                        "one in a second tenant, seen only with a token for it; large: 5,000 "
                        "VNets; huge: 50,000 VNets in 500 resource groups across two subscriptions; hub-spoke: a hub "
                        "with a DNS Private Resolver and peered spokes with custom DNS servers; hub-spoke-subs: a "
                        "connectivity subscription with the zone and two spoke subscriptions)")
    p.add_argument("--approve-after", type=float, metavar="SECONDS",
                   help="approve new endpoint connections after this many seconds")
    return parser
