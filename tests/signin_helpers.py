"""Helpers for the sign-in tests: the real Azure CLI (`az`) made "logged in" to the sandbox, offline, by
`../shared/tools/az-sandbox`, and the environment a customer's shell has after `az login` (no ASTRO_PL_ACCESS_TOKEN)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

# Variables that would make DefaultAzureCredential use something other than az (a service principal, a workload
# identity, a managed identity's endpoint): a developer's shell may have them; the tests must not.
OTHER_CREDENTIALS = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
                     "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT",
                     "MSI_ENDPOINT", "AZURE_TOKEN_CREDENTIALS")


def az_executable() -> str | None:
    """ASTRO_PL_AZ, else `az` on PATH, else the one .ci/run installs in .venv-az (its own virtual environment)."""
    import shutil

    found = os.environ.get("ASTRO_PL_AZ") or shutil.which("az") or str(REPO / ".venv-az" / "bin" / "az")
    return found if os.path.isfile(found) and os.access(found, os.X_OK) else None


def az_sandbox_tool() -> Path | None:
    path = Path(os.environ.get("ASTRO_PL_AZ_SANDBOX") or REPO.parent / "shared" / "tools" / "az-sandbox")
    return path if path.is_file() else None


needs_az = pytest.mark.skipif(az_executable() is None or az_sandbox_tool() is None,
                              reason="no az CLI (ASTRO_PL_AZ, az on PATH, or .venv-az/bin/az) or no az-sandbox tool")


def az_login(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, token: str | None = None,
             tenant_id: str | None = None, subscription_id: str | None = None) -> Path:
    """Make the real az signed in to the sandbox (offline) and set this process's environment as a customer's
    shell is after `az login`: AZURE_CONFIG_DIR, az on PATH, no ASTRO_PL_ACCESS_TOKEN. Returns the config dir."""
    az = az_executable()
    assert az is not None
    tenant = tenant_id or sandbox.tenant_id
    token = token or sandbox.issue_token(tenant, lifetime=86400)   # audience https://management.core.windows.net/
    config_dir = tmp_path / "azconfig"
    env = dict(os.environ, ARM_URL=sandbox.arm_endpoint, CA_FILE=sandbox.ca_file, TOKEN=token,
               SUBSCRIPTION_ID=subscription_id or sandbox.subscription_id, TENANT_ID=tenant, AZ=az,
               AZ_SANDBOX_DIR=str(config_dir))
    setup = subprocess.run([str(az_sandbox_tool())], env=env, capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr[-1000:]
    for line in setup.stdout.splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            for pair in words[1:]:
                key, _, value = pair.partition("=")
                monkeypatch.setenv(key, value)
        elif words[:1] == ["unset"]:
            for key in words[1:]:
                monkeypatch.delenv(key, raising=False)
    for key in (*OTHER_CREDENTIALS, "ASTRO_PL_ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PATH", f"{Path(az).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("ASTRO_PL_ARM_ENDPOINT", sandbox.arm_endpoint)
    monkeypatch.setenv("ASTRO_PL_CA_FILE", sandbox.ca_file)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")
    return config_dir


# What azure-identity's logger and DefaultAzureCredential's chain print when they reach the terminal.
IDENTITY_CHATTER = ("EnvironmentCredential", "ManagedIdentityCredential", "SharedTokenCacheCredential",
                    "AzurePowerShellCredential", "DefaultAzureCredential", "azure-identity", "AzureCliCredential")
