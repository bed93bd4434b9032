"""The full-screen wizard's sign-in page with the real az CLI (offline against the sandbox, ../shared/tools/az-sandbox):
signed in, it shows who and which tenant and offers az's own subscription first; not signed in, it runs
`az login --use-device-code` in a worker, shows the code, and goes on without a restart. `az login` itself cannot
reach Azure AD offline: a small wrapper named az stands in for that one subcommand (it prints the device-code
sentence and then does what a login leaves behind: az-sandbox writes the signed-in config); every other az call is
the real az."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from app_helpers import screen_name, wait_for
from signin_helpers import az_executable, az_login, az_sandbox_tool, needs_az
from textual.widgets import Static

from wizard.core.settings import AzureSettings
from wizard.sandbox import seeds
from wizard.tui.app import WizardApp

pytestmark = needs_az

DEVICE_CODE_SENTENCE = ("To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter "
                        "the code SANDBOX42 to authenticate.")   # azure-cli's words (msal's device flow message)


def _app(tmp_path: Path) -> WizardApp:
    return WizardApp(settings=AzureSettings.from_env(), state=tmp_path / "state", preload_sdk=False,
                     clock=lambda: 0.0)


def _identity(app: WizardApp) -> str:
    return str(app.screen.query_one("#identity", Static).render())


async def _to_azure_page(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    app.goto("azure")
    await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")


def test_signed_in_with_az_shows_who_and_offers_azs_subscription(sandbox, tmp_path, monkeypatch):
    sandbox.reset("two-subscriptions")
    az_login(sandbox, tmp_path, monkeypatch, subscription_id=seeds.SECOND_SUBSCRIPTION_ID)

    async def run() -> None:
        app = _app(tmp_path)
        async with app.run_test(size=(110, 34)) as pilot:
            await _to_azure_page(pilot)
            await wait_for(pilot, lambda: "Signed in as" in _identity(app), what="the signed-in line")
            line = _identity(app)
            assert f"sandbox@example.invalid (tenant {sandbox.tenant_id})" in line and "Azure CLI (az login)" in line
            await wait_for(pilot, lambda: bool(app.config.subscription_id), what="a subscription chosen")
            assert app.config.subscription_id == seeds.SECOND_SUBSCRIPTION_ID   # az account show's, of two
    asyncio.run(run())


def _fake_login_az(tmp_path: Path) -> Path:
    """`az` that answers `login` as a device-code login that succeeded would, and runs the real az otherwise."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "az"
    script.write_text(f"""#!/usr/bin/env bash
if [ "$1" = "login" ]; then
  echo "$*" >> "{tmp_path}/login-args"
  echo "{DEVICE_CODE_SENTENCE}" >&2
  made="{tmp_path}/login-made"   # az-sandbox writes only a directory of its own: then copy over, as a login writes
  AZ_SANDBOX_DIR="$made" SELF_CHECK=0 AZ="{az_executable()}" "{az_sandbox_tool()}" >/dev/null || exit 1
  cp -a "$made"/. "$AZURE_CONFIG_DIR"/
  exit 0
fi
exec "{az_executable()}" "$@"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_not_signed_in_device_code_login_then_goes_on(sandbox, tmp_path, monkeypatch):
    az_login(sandbox, tmp_path, monkeypatch)               # the environment az needs for the sandbox ...
    nobody = tmp_path / "azure-config"
    nobody.mkdir()
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(nobody))    # ... but nobody is logged in yet
    monkeypatch.setenv("PATH", f"{_fake_login_az(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    for key, value in {"ARM_URL": sandbox.arm_endpoint, "CA_FILE": sandbox.ca_file, "TENANT_ID": sandbox.tenant_id,
                       "SUBSCRIPTION_ID": sandbox.subscription_id,
                       "TOKEN": sandbox.issue_token(lifetime=3600)}.items():
        monkeypatch.setenv(key, value)                     # what the stand-in login hands az-sandbox
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")   # no browser here: device code first

    async def run() -> None:
        app = _app(tmp_path)
        async with app.run_test(size=(110, 34)) as pilot:
            await _to_azure_page(pilot)
            await wait_for(pilot, lambda: "not signed in" in _identity(app), what="the not-signed-in line")
            screen = app.screen
            assert screen.query_one("#az-device-button").display and screen.query_one("#az-login-button").display
            assert app.focused is screen.query_one("#az-device-button")
            await pilot.press("ctrl+d")
            await wait_for(pilot, lambda: "Signed in as" in _identity(app), timeout=60, what="signed in after login")
            shown = str(screen.query_one("#login-output", Static).render())
            assert "https://microsoft.com/devicelogin" in shown and "SANDBOX42" in shown
            await wait_for(pilot, lambda: app.config.subscription_id == sandbox.subscription_id,
                           what="the subscription")
            assert not screen.query_one("#signin-buttons").display
    asyncio.run(run())
    assert (tmp_path / "login-args").read_text().split() == ["login", "--use-device-code", "--output", "none"]


def test_plain_mode_not_signed_in_runs_az_login_with_a_device_code_and_goes_on(sandbox, tmp_path, monkeypatch):
    import io

    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from wizard.core.record import RecordStore
    from wizard.engine import Workspace
    from wizard.plain import PlainWizard, Prompter

    az_login(sandbox, tmp_path, monkeypatch)
    nobody = tmp_path / "azure-config"
    nobody.mkdir()
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(nobody))
    monkeypatch.setenv("PATH", f"{_fake_login_az(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    for key, value in {"ARM_URL": sandbox.arm_endpoint, "CA_FILE": sandbox.ca_file, "TENANT_ID": sandbox.tenant_id,
                       "SUBSCRIPTION_ID": sandbox.subscription_id,
                       "TOKEN": sandbox.issue_token(lifetime=3600)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")   # no browser: the device code is first
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(sandbox.demo_alias + "\r" + sandbox.demo_api_url + "\r" + "\r" + "\x03")
        workspace = Workspace(AzureSettings.from_env(), store=RecordStore(tmp_path / "state"))
        PlainWizard(workspace, prompter=Prompter(pipe, DummyOutput()), out=out).run()
    text = out.getvalue()
    assert "You are not signed in to Azure" in text
    assert f"Signed in to Azure as sandbox@example.invalid (tenant {sandbox.tenant_id}), using Azure CLI (az login)." \
        in text, text
    assert "Using subscription" in text
    assert (tmp_path / "login-args").read_text().split() == ["login", "--use-device-code", "--output", "none"]
