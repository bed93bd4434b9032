"""The full-screen wizard (Textual): the App in `app`, its pure page logic in `pages`, live listings in
`listings`, crash handling in `crash`; its screens are the top-level `screens` package."""

from __future__ import annotations

from typing import Any


def run_tui(args: Any) -> int:
    """`astro-privatelink` (real Azure) and `astro-privatelink demo` (the built-in sandbox)."""
    from wizard.core.sanitize import clean_line
    from wizard.core.settings import AzureSettings, dns_server_from_env
    from wizard.tui.app import WizardApp

    redact = bool(getattr(args, "redact", False))
    if getattr(args, "command", None) == "demo":
        app = WizardApp(sandbox_world=getattr(args, "world", "demo") or "demo",
                        approve_after=getattr(args, "approve_after", 20.0), redact=redact)
    else:
        try:
            settings = AzureSettings.from_args(args)
            nameserver = dns_server_from_env()  # the same HOST[:PORT] rules as `verify --nameserver`
        except ValueError as exc:  # SettingsError: the message names the setting and says why
            print(f"astro-privatelink: {clean_line(str(exc))}")
            return 2
        app = WizardApp(settings=settings, redact=redact, nameserver=nameserver)
    code = app.run()
    return int(code or 0)
