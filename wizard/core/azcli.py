"""The Azure CLI (`az`) besides the credential: the subscription `az account show` has selected (the default the
wizard offers), and the `az login` command lines the sign-in step runs (a browser, or a device code where there is
none: SSH, a container, a remote screen share).

`az` is found as azure-identity's AzureCliCredential finds it (`shutil.which("az")`), so both use the same install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AzAccount:
    """`az account show`: the subscription az uses by default, its tenant and who is signed in."""

    subscription_id: str
    name: str
    tenant_id: str
    user: str


def az_path() -> str | None:
    return shutil.which("az")


def az_account(timeout: float = 30.0) -> AzAccount | None:
    """The account az has selected, or None (az missing, nobody signed in, or it failed; az's own words are not
    shown: the sign-in check says what to do)."""
    az = az_path()
    if az is None:
        return None
    try:
        run = subprocess.run([az, "account", "show", "--output", "json"], capture_output=True, text=True,
                             timeout=timeout, stdin=subprocess.DEVNULL,
                             env=dict(os.environ, AZURE_CORE_NO_COLOR="true"))
    except (OSError, subprocess.TimeoutExpired):
        return None
    if run.returncode != 0:
        return None
    try:
        data = json.loads(run.stdout)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("id"):
        return None
    user = data.get("user")
    user = user if isinstance(user, dict) else {}
    return AzAccount(str(data["id"]), str(data.get("name") or data["id"]), str(data.get("tenantId") or ""),
                     str(user.get("name") or ""))


def has_browser(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether `az login` can open a browser here: not over SSH, not in a container, not on a Linux without a display
    (azure-cli's own `can_launch_browser` makes the same checks before it falls back to a device code)."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or env.get("SSH_TTY"):
        return False
    if platform.startswith("linux"):
        if os.path.exists("/.dockerenv") or env.get("container"):
            return False
        return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return True


def login_command(*, device_code: bool, tenant_id: str | None = None) -> list[str]:
    """The `az login` command line: with --use-device-code where there is no browser; --tenant when one is chosen."""
    cmd = [az_path() or "az", "login"]
    if device_code:
        cmd.append("--use-device-code")
    if tenant_id:
        cmd += ["--tenant", tenant_id]
    return cmd
