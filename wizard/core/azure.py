"""The one place that builds Azure SDK clients (network, private DNS, resources, subscriptions).

Everything is lazy: no Azure SDK module is imported until a client is first asked for, so the CLI and the
first screen never wait on the ~0.85 s the SDK costs to import. Clients are cached per subscription.

Credentials: a static bearer token (ASTRO_PL_ACCESS_TOKEN) when given, else DefaultAzureCredential (for most people
its AzureCliCredential, i.e. `az login`), with the cloud's authority. Tokens are asked for the cloud's ARM audience
(`AzureSettings.scope`, see `wizard.core.clouds`) and, when a tenant is chosen, for that tenant
(`get_token(scope, tenant_id=...)`). When no credential works the caller gets an `AzureAccessError` with one
sentence to act on.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.core.constants import ENV_ACCESS_TOKEN
from wizard.core.settings import AzureSettings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    from wizard.core.arm_reads import ArmReader, NetworkReads, PrivateDnsReads, ResourceReads, SubscriptionsReads


NO_CREDENTIAL_MESSAGE = (
    "You are not signed in to Azure: run `az login` (then `az account set -s <subscription>`), "
    f"or set {ENV_ACCESS_TOKEN} to a token from `az account get-access-token`."
)


# First imports of the azure packages from several threads at once can fail half-way ("cannot import name ..."),
# so every first import of an SDK module here (client builds, the background warm-up) happens under this lock.
SDK_IMPORT_LOCK = threading.RLock()


def preload_sdk() -> None:
    """Import the SDK modules the steps use, so the first Azure call does not wait for them (background use)."""
    with SDK_IMPORT_LOCK:
        import azure.mgmt.network
        import azure.mgmt.privatedns
        import azure.mgmt.resource.resources
        import azure.mgmt.resource.subscriptions  # noqa: F401


def quiet_identity_logger() -> None:
    """Keep azure-identity's own log lines (the whole DefaultAzureCredential chain, one WARNING per credential it
    tried) off the terminal: with no handler configured, Python's last-resort handler prints them to stderr around
    the one sentence the tool says itself (AzureAccessError). A NullHandler on the `azure.identity` logger stops
    that; an application that configures logging still gets them through propagation."""
    import logging

    identity = logging.getLogger("azure.identity")
    if not any(isinstance(h, logging.NullHandler) for h in identity.handlers):
        identity.addHandler(logging.NullHandler())


class AzureAccessError(RuntimeError):
    """Azure could not be reached or no credential worked; str() is one sentence with the next action."""


class StaticTokenCredential:
    """A credential that hands out one bearer token (ASTRO_PL_ACCESS_TOKEN, or the sandbox's)."""

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self._token = token
        self._expires_on = expires_on or _jwt_expiry(token) or int(time.time()) + 3600

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<hidden>)"

    def get_token(self, *scopes: str, **kwargs: Any):  # noqa: ANN201 - azure.core AccessToken
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expires_on)

    def close(self) -> None:
        pass


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT-shaped token, read without verification (for display only)."""
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _jwt_expiry(token: str) -> int | None:
    exp = _jwt_claims(token).get("exp")
    return int(exp) if isinstance(exp, (int, float)) else None


@dataclass(frozen=True)
class SignedInIdentity:
    """Who the credential says is signed in: for display, never for security decisions."""

    name: str
    tenant_id: str | None
    source: str


class TenantCredential:
    """A credential that asks every token of `tenant_id` (azure-identity's `get_token(..., tenant_id=...)`): the SDK
    clients never pass a tenant themselves, and a token of another tenant gets ARM's 401
    InvalidAuthenticationTokenTenant for a subscription of this one."""

    def __init__(self, credential: Any, tenant_id: str) -> None:
        self.credential = credential
        self.tenant_id = tenant_id

    def get_token(self, *scopes: str, **kwargs: Any):  # noqa: ANN201 - azure.core AccessToken
        kwargs.setdefault("tenant_id", self.tenant_id)
        return self.credential.get_token(*scopes, **kwargs)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class TenantInfo:
    """A tenant the signed-in account may use (`tenants.list()`)."""

    tenant_id: str
    display_name: str
    default_domain: str


class ClientFactory:
    """Builds and caches the four SDK clients from `AzureSettings`; thread-safe.

    With `RAW_READS` (issue 16) `network()`, `privatedns()`, `resources()` and `subscriptions()` hand out
    `wizard.core.arm_reads` clients: the reads the steps make go as raw JSON through one ARMPipelineClient with the
    same policies (so a plan or status never imports azure.mgmt.network), everything else (writes, their LROs) goes
    to the SDK client, built on first use. False: every call through the SDK clients, as before."""

    RAW_READS = True

    def __init__(self, settings: AzureSettings, *, credential: Any | None = None,
                 per_call_policies: list[Any] | Callable[[], list[Any]] | None = None) -> None:
        """`per_call_policies` may be a callable returning the list, so that building azure-core policies
        (an import of azure.core) waits until the first client is built."""
        self.settings = settings
        self._credential = credential
        self._per_call_policies = per_call_policies or []
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    # -- credential -----------------------------------------------------------------------------------
    def credential(self) -> Any:
        with self._lock:
            if self._credential is None:
                if self.settings.access_token:
                    self._credential = StaticTokenCredential(self.settings.access_token)
                else:
                    from azure.identity import DefaultAzureCredential

                    quiet_identity_logger()
                    self._credential = DefaultAzureCredential(authority=self.settings.authority_host,
                                                              exclude_interactive_browser_credential=True)
            return self._credential

    def client_credential(self) -> Any:
        """The credential the SDK clients get: `credential()`, asking for the chosen tenant's tokens when one is."""
        cred = self.credential()
        tenant = self.settings.tenant_id
        return TenantCredential(cred, tenant) if tenant and not self.settings.access_token else cred

    @property
    def scope(self) -> str:
        return self.settings.scope

    def for_tenant(self, tenant_id: str | None) -> ClientFactory:
        """A factory whose tokens are for `tenant_id` (same credential, same settings otherwise)."""
        return ClientFactory(self.settings.with_overrides(tenant_id=tenant_id or None), credential=self.credential(),
                             per_call_policies=self._per_call_policies)

    def check_credential(self) -> SignedInIdentity:
        """Get a token now; raise `AzureAccessError` (one sentence) when nobody is signed in."""
        from azure.core.exceptions import ClientAuthenticationError

        cred = self.client_credential()
        try:
            token = cred.get_token(self.scope).token
        except ClientAuthenticationError as exc:  # CredentialUnavailableError is a subclass
            raise AzureAccessError(NO_CREDENTIAL_MESSAGE) from exc
        claims = _jwt_claims(token)
        name = claims.get("upn") or claims.get("unique_name") or claims.get("preferred_username") \
            or claims.get("name") or claims.get("appid") or "an unknown identity"
        return SignedInIdentity(name=str(name), tenant_id=claims.get("tid") or self.settings.tenant_id,
                                source=self._source(cred))

    def _source(self, cred: Any) -> str:
        """What signed in, for display: the access token, or the credential DefaultAzureCredential settled on."""
        if self.settings.access_token:
            return "access token"
        inner = getattr(cred, "credential", cred)
        used = type(getattr(inner, "_successful_credential", None) or inner).__name__
        return {"AzureCliCredential": "Azure CLI (az login)", "EnvironmentCredential": "environment (AZURE_*)",
                "ManagedIdentityCredential": "managed identity", "WorkloadIdentityCredential": "workload identity",
                "AzureDeveloperCliCredential": "Azure Developer CLI (azd auth login)",
                "AzurePowerShellCredential": "Azure PowerShell"}.get(used, "Azure CLI / environment")

    def tenants(self) -> list[TenantInfo]:
        """The tenants the signed-in account may use (GET /tenants, Tenants_List in azure-rest-api-specs
        specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json)."""
        return [TenantInfo(t.tenant_id or "", getattr(t, "display_name", None) or t.tenant_id or "",
                           getattr(t, "default_domain", None) or "")
                for t in self.subscriptions().tenants.list() if t.tenant_id]

    # -- clients -------------------------------------------------------------------------------------
    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "base_url": self.settings.arm_endpoint,
            "credential_scopes": [self.scope],
            "polling_interval": self.settings.polling_interval,
            "retry_total": max(10, self.settings.retry_status + 2),
            "retry_status": self.settings.retry_status,
            "retry_backoff_factor": self.settings.retry_backoff_factor,
        }
        if self.settings.ca_file:
            kw["connection_verify"] = self.settings.ca_file
        if callable(self._per_call_policies):
            self._per_call_policies = list(self._per_call_policies())
        if self._per_call_policies:
            kw["per_call_policies"] = list(self._per_call_policies)
        return kw

    def _get(self, kind: str, subscription_id: str, build: Callable[[], Any]) -> Any:
        key = (kind, subscription_id.lower())
        with self._lock:
            client = self._cache.get(key)
        if client is None:
            with SDK_IMPORT_LOCK:  # builds import SDK modules: one at a time (see SDK_IMPORT_LOCK)
                with self._lock:
                    client = self._cache.get(key)
                if client is None:
                    client = build()
                    with self._lock:
                        self._cache[key] = client
        return client

    def reader(self) -> ArmReader:
        """The one raw-JSON reader (wizard.core.arm_reads) every subscription's reads go through."""
        def build() -> Any:
            from wizard.core.arm_objects import read_pipeline
            from wizard.core.arm_reads import ArmReader

            kw = self._kwargs()
            return ArmReader(read_pipeline(self.client_credential(), **kw), kw["base_url"], kw["polling_interval"])

        return self._get("reader", "-", build)

    def _reads(self, kind: str, subscription_id: str, sdk: Callable[[], Any]) -> Any:
        """The `wizard.core.arm_reads` client of `kind` for the subscription (its writes go to `sdk()`)."""
        from wizard.core import arm_reads

        cls = {"network": arm_reads.NetworkReads, "privatedns": arm_reads.PrivateDnsReads,
               "resources": arm_reads.ResourceReads, "subscriptions": arm_reads.SubscriptionsReads}[kind]
        return self._get(f"{kind}-reads", subscription_id, lambda: cls(self.reader(), subscription_id, sdk))

    def network(self, subscription_id: str) -> NetworkManagementClient | NetworkReads:
        if self.RAW_READS:
            return self._reads("network", subscription_id, lambda: self.network_sdk(subscription_id))
        return self.network_sdk(subscription_id)

    def network_sdk(self, subscription_id: str) -> NetworkManagementClient:
        def build() -> Any:
            from azure.mgmt.network import NetworkManagementClient

            return NetworkManagementClient(self.client_credential(), subscription_id, **self._kwargs())

        return self._get("network", subscription_id, build)

    def privatedns(self, subscription_id: str) -> PrivateDnsManagementClient | PrivateDnsReads:
        if self.RAW_READS:
            return self._reads("privatedns", subscription_id, lambda: self.privatedns_sdk(subscription_id))
        return self.privatedns_sdk(subscription_id)

    def privatedns_sdk(self, subscription_id: str) -> PrivateDnsManagementClient:
        def build() -> Any:
            from azure.mgmt.privatedns import PrivateDnsManagementClient

            return PrivateDnsManagementClient(self.client_credential(), subscription_id, **self._kwargs())

        return self._get("privatedns", subscription_id, build)

    def resources(self, subscription_id: str) -> ResourceManagementClient | ResourceReads:
        if self.RAW_READS:
            return self._reads("resources", subscription_id, lambda: self.resources_sdk(subscription_id))
        return self.resources_sdk(subscription_id)

    def resources_sdk(self, subscription_id: str) -> ResourceManagementClient:
        def build() -> Any:
            from azure.mgmt.resource.resources import ResourceManagementClient

            return ResourceManagementClient(self.client_credential(), subscription_id, **self._kwargs())

        return self._get("resources", subscription_id, build)

    def containerservice(self, subscription_id: str) -> ContainerServiceClient:
        """AKS (managed clusters and their run command); imported only when a cluster is asked about (issue 13)."""
        def build() -> Any:
            from azure.mgmt.containerservice import ContainerServiceClient

            return ContainerServiceClient(self.credential(), subscription_id, **self._kwargs())

        return self._get("containerservice", subscription_id, build)

    def subscriptions(self) -> SubscriptionClient | SubscriptionsReads:
        if self.RAW_READS:
            return self._reads("subscriptions", "-", self.subscriptions_sdk)
        return self.subscriptions_sdk()

    def subscriptions_sdk(self) -> SubscriptionClient:
        def build() -> Any:
            from azure.mgmt.resource.subscriptions import SubscriptionClient

            return SubscriptionClient(self.client_credential(), **self._kwargs())

        return self._get("subscriptions", "-", build)

    def close(self) -> None:
        with self._lock:
            clients, self._cache = list(self._cache.values()), {}
        for client in clients:
            client.close()
