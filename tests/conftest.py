"""Shared fixtures: one sandbox per session, reset to the demo world per test, and the real SDK clients.

`sandbox_server` is started once; `sandbox` resets it (fresh demo world, empty request log, default knobs)
and makes long-running operations and polling fast. `sdk` builds the four azure-mgmt clients against it
over HTTPS, trusting the sandbox CA, with a static bearer token.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from wizard.sandbox.server import Sandbox

FAST_LRO = {"privateEndpoint": 0.2, "privateDnsZone": 0.2, "virtualNetworkLink": 0.2, "delete": 0.2,
            "visibility": 0.0}


@pytest.fixture(autouse=True)
def forget_remembered_secrets() -> Iterator[None]:
    """Each test starts with the secrets the process remembers (`wizard.core.settings.remember_secret`) as they were:
    a token one test signs in with is not hidden from another test's output."""
    from wizard.core import settings

    before = set(settings._secrets)
    yield
    with settings._secrets_lock:
        settings._secrets.clear()
        settings._secrets.update(before)


class StaticCredential:
    """A TokenCredential that always hands out the sandbox's token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 86400)


@dataclass
class Sdk:
    network: Any
    dns: Any
    resources: Any
    subscriptions: Any


def client_kwargs(sb: Sandbox, **extra: Any) -> dict[str, Any]:
    return {"base_url": sb.arm_endpoint, "credential_scopes": [sb.arm_endpoint + "/.default"],
            "connection_verify": sb.ca_file, **extra}


def make_sdk(sb: Sandbox, token: str | None = None, **extra: Any) -> Sdk:
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    cred = StaticCredential(token or sb.token)
    kw = client_kwargs(sb, **extra)
    return Sdk(network=NetworkManagementClient(cred, sb.subscription_id, **kw),
               dns=PrivateDnsManagementClient(cred, sb.subscription_id, **kw),
               resources=ResourceManagementClient(cred, sb.subscription_id, **kw),
               subscriptions=SubscriptionClient(cred, **kw))


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    sb = Sandbox(world="demo").start()
    try:
        yield sb
    finally:
        sb.stop()


def fast_world(sb: Sandbox, world: str, *, poll_ms: int = 50, approve_after: float | None = None) -> Sandbox:
    """Reset `sb` to `world` (default knobs) with fast long-running operations and polling; `approve_after` set:
    the connection is approved after that many seconds."""
    sb.reset(world)
    sb.knobs.lro_seconds = dict(FAST_LRO)
    sb.knobs.poll_retry_after_ms = poll_ms
    if approve_after is not None:
        sb.knobs.approve_after = approve_after
    return sb


def in_world(sb: Sandbox, world: str, **fast: Any) -> Iterator[Sandbox]:
    """A fixture's body: `sb` in `world` (`fast_world`) for the test, back to the demo world after it."""
    yield fast_world(sb, world, **fast)
    sb.reset("demo")


def cli_env(sb: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a second shell gets from `astro-privatelink sandbox`, with state under tmp_path."""
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    sb = fast_world(sandbox_server, "demo")
    sb.knobs.throttle_retry_after_ms = 50
    return sb


@pytest.fixture
def sdk(sandbox: Sandbox) -> Sdk:
    return make_sdk(sandbox)


@pytest.fixture
def sandbox_env(sandbox: Sandbox, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The environment a second shell gets from `astro-privatelink sandbox` (`cli_env`), with state under tmp_path."""
    cli_env(sandbox, tmp_path, monkeypatch)
    sandbox.knobs.poll_retry_after_ms = 20
    return tmp_path
