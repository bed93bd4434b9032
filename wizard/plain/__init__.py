"""Plain mode, the wizard one question per line (`astro-privatelink --plain`). `run_plain` is the entry."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from wizard.console import err
from wizard.plain.choose import isatty, should_use_plain
from wizard.plain.conversation import PlainWizard
from wizard.plain.prompter import Prompter

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine import ApprovalPolling


def run_plain(args: Any, *, input: Any = None, output: Any = None, out: TextIO | None = None,
              approval: ApprovalPolling | None = None) -> int:
    """`astro-privatelink --plain [demo]`: real Azure, or the demo sandbox (`demo`)."""
    from wizard.core.config import SetupConfig
    from wizard.core.settings import AzureSettings, SettingsError, dns_server_from_env
    from wizard.engine import Workspace, sandbox_settings

    if input is None and not isatty(sys.stdin):
        err("there is no terminal to ask questions on (standard input is not one). Run "
            "`astro-privatelink apply --config FILE` instead (see `astro-privatelink plan --help`).")
        return 2
    if output is None and not isatty(sys.stdout) and isatty(sys.stderr):
        from prompt_toolkit.output import create_output

        output = create_output(sys.stderr)  # questions on the terminal; progress and results to stdout
    sandbox = None
    demo_defaults = None
    try:
        if getattr(args, "command", None) == "demo":
            from wizard.sandbox.server import Sandbox

            print("Demo mode: starting a local sandbox that plays Azure and Astro; nothing leaves this machine.",
                  file=out or sys.stdout, flush=True)
            sandbox = Sandbox(world=getattr(args, "world", "demo") or "demo",
                              approve_after=getattr(args, "approve_after", 20.0)).start()
            settings = sandbox_settings(sandbox)
            demo_defaults = SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url)
            nameserver: tuple[str, int] | None = sandbox.dns_address  # the demo's DNS, as the full-screen demo's
        else:
            settings = AzureSettings.from_args(args)
            nameserver = dns_server_from_env()  # the same HOST[:PORT] rules as `verify --nameserver`
    except SettingsError as exc:
        err(str(exc))
        return 2
    try:
        wizard = PlainWizard(Workspace(settings), prompter=Prompter(input, output), out=out,
                             redact=bool(getattr(args, "redact", False)), approval=approval,
                             demo_defaults=demo_defaults, nameserver=nameserver)
        return wizard.run()
    finally:
        if sandbox is not None:
            sandbox.stop()


__all__ = ["PlainWizard", "Prompter", "run_plain", "should_use_plain"]
