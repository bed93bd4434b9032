"""The Astro side read from the Astro API: which Deployments can be chosen (and why not), the API URL and cluster id a
chosen one gives, the check of a config's `[astro] deployment_id` against its `api_url`, and the Deployment's health.

Fields: `Deployment.remoteExecution.{enabled, remoteApiUrl}`, `clusterId`, `status` (CREATING, DEPLOYING, HEALTHY,
HIBERNATING, UNHEALTHY, UNKNOWN), `statusReason`; `Cluster.cloudProvider` (AWS, AZURE, GCP), from astronomer/astro-cli
`astro-client-v1/api.gen.go`. The status is the Deployment's, as Astro reports it; it is not a heartbeat of each
Remote Execution Agent (the API has no per-agent endpoint that we found).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from weakref import WeakKeyDictionary

from wizard.core.config import SetupConfig
from wizard.core.validate import check_api_url

if TYPE_CHECKING:  # pragma: no cover
    from steps.context import SetupContext


class DeploymentReader(Protocol):
    def deployment(self, org: str, deployment_id: str) -> dict[str, Any]: ...
    def clusters(self, org: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class DeploymentChoice:
    """One Deployment as the picker shows it; `reason` says why it cannot be chosen (None: it can)."""

    id: str
    name: str
    workspace: str
    cluster_id: str
    cluster_name: str
    status: str
    api_url: str
    reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.reason is None

    @property
    def label(self) -> str:
        where = f"{self.workspace} / {self.cluster_name or self.cluster_id or 'no cluster'}"
        return f"{self.name}  ({where}, {self.status or 'status unknown'})"


def choice_of(dep: dict[str, Any], clusters: dict[str, dict[str, Any]]) -> DeploymentChoice:
    """The picker's view of one Deployment: not choosable when remote execution is off, the cluster is not on Azure
    or no Remote Execution API URL is given."""
    remote = dep.get("remoteExecution") or {}
    cluster_id = str(dep.get("clusterId") or "")
    cluster = clusters.get(cluster_id, {})
    provider = str(cluster.get("cloudProvider") or dep.get("cloudProvider") or "").upper()
    api_url = str(remote.get("remoteApiUrl") or "")
    reason = None
    if not remote.get("enabled"):
        reason = "remote execution is off"
    elif provider and provider != "AZURE":
        reason = f"its cluster is on {provider}, not Azure"
    elif not api_url:
        reason = "Astro gives no Remote Execution API URL for it"
    return DeploymentChoice(id=str(dep.get("id") or ""), name=str(dep.get("name") or ""),
                            workspace=str(dep.get("workspaceName") or dep.get("workspaceId") or ""),
                            cluster_id=cluster_id,
                            cluster_name=str(cluster.get("name") or dep.get("clusterName") or ""),
                            status=str(dep.get("status") or ""), api_url=api_url, reason=reason)


def choices(deployments: list[dict[str, Any]], clusters: list[dict[str, Any]]) -> list[DeploymentChoice]:
    """Every Deployment, the choosable ones first, each group by name."""
    by_id = {str(c.get("id")): c for c in clusters}
    out = [choice_of(d, by_id) for d in deployments]
    return sorted(out, key=lambda c: (not c.usable, c.name.lower()))


def same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def resolve_api_url(config: SetupConfig, api: DeploymentReader) -> list[str]:
    """Fill `config.api_url` from `[astro] deployment_id` when it is empty; problems (one sentence each) when the
    Deployment cannot be used or the given api_url disagrees with it (both shown). Needs organization_id."""
    if not config.deployment_id:
        return []
    if not config.organization_id:
        return ["[astro] deployment_id needs [astro] organization_id too (the Deployment's Organization id)."]
    choice = read_choice(api, config.organization_id, config.deployment_id)
    if not choice.reason and not config.api_url.strip():
        config.api_url = choice.api_url
    return deployment_problems(config.api_url, choice)


def read_choice(api: DeploymentReader, org: str, deployment_id: str) -> DeploymentChoice:
    """The Deployment and its Organization's clusters, as the picker sees them (AstroApiError when unreadable)."""
    dep = api.deployment(org, deployment_id)
    clusters = {str(c.get("id")): c for c in api.clusters(org)}
    return choice_of(dep, clusters)


def deployment_problems(api_url: str, choice: DeploymentChoice) -> list[str]:
    """Pure: why the config's `api_url` (empty: none given) and the Deployment it names cannot go together."""
    if choice.reason:
        return [f"The Deployment {choice.name or choice.id} cannot be used here: {choice.reason}; choose a Remote "
                "Execution Deployment on an Azure cluster ([astro] deployment_id)."]
    if api_url.strip() and not same_url(api_url, choice.api_url):
        return [f"[astro] api_url {api_url} is not the Remote Execution API URL Astro gives for the Deployment "
                f"{choice.name or choice.id} ({choice.api_url}): remove api_url to use Astro's, or fix deployment_id."]
    expected = check_api_url(choice.api_url).cluster_id
    if expected and choice.cluster_id and expected != choice.cluster_id:
        return [f"The Deployment {choice.name} is on cluster {choice.cluster_id}, but its API URL names "
                f"{expected}: ask Astronomer support which is right."]
    return []


class DeploymentLookup:
    """`[astro] deployment_id` read once through the Astro API a front end opens (`open_api`: a context manager of a
    DeploymentReader; the token stays in the front end's memory). Step 1 reads it in inspect; a failed read is not
    kept, so the next inspection asks again."""

    def __init__(self, open_api: Callable[[], AbstractContextManager[DeploymentReader]]) -> None:
        self._open_api = open_api
        self._read: dict[tuple[str, str], DeploymentChoice] = {}
        self._lock = threading.Lock()

    def choice(self, org: str, deployment_id: str) -> DeploymentChoice:
        with self._lock:
            key = (org, deployment_id)
            if key not in self._read:
                with self._open_api() as api:
                    self._read[key] = read_choice(api, org, deployment_id)
            return self._read[key]

    def remember(self, org: str, deployment_id: str, choice: DeploymentChoice) -> None:
        """What a front end already read (to fill api_url), so step 1 does not ask again."""
        with self._lock:
            self._read[(org, deployment_id)] = choice


# The lookup a front end gave one setup's context (SetupContext has no slot for it; a weak key: it goes with it).
_LOOKUPS: WeakKeyDictionary[SetupContext, DeploymentLookup] = WeakKeyDictionary()


def attach_lookup(ctx: SetupContext, lookup: DeploymentLookup) -> None:
    """Let step 1 of this context check `[astro] deployment_id` against `[astro] api_url`."""
    _LOOKUPS[ctx] = lookup


def deployment_for_inputs(ctx: SetupContext) -> tuple[DeploymentChoice | None, str | None]:
    """Step 1's read of `[astro] deployment_id` when the config also gives api_url: (the Deployment as Astro gives
    it, None) or (None, a warning when Astro could not be asked); (None, None) when there is nothing to check or the
    front end attached no Astro API."""
    from wizard.core.astro_api import AstroApiError

    cfg = ctx.config
    lookup = _LOOKUPS.get(ctx)
    if lookup is None or not (cfg.deployment_id and cfg.organization_id and cfg.api_url.strip()):
        return None, None
    try:
        return lookup.choice(cfg.organization_id, cfg.deployment_id), None
    except AstroApiError as exc:
        return None, f"The Deployment in [astro] deployment_id could not be checked against api_url: {exc}"


@dataclass(frozen=True)
class DeploymentHealth:
    """What Astro reports about the Deployment (not a per-agent heartbeat)."""

    deployment_id: str
    name: str
    status: str
    status_reason: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == "HEALTHY"

    @property
    def line(self) -> str:
        if self.error:
            return f"Astro's view of the Deployment could not be read: {self.error}"
        reason = f" ({self.status_reason})" if self.status_reason else ""
        return (f"Astro reports the Deployment {self.name or self.deployment_id} {self.status or 'UNKNOWN'}{reason}. "
                "This is the Deployment's status, not a heartbeat of each agent.")

    def to_json(self) -> dict[str, Any]:
        return {"deployment_id": self.deployment_id, "name": self.name, "status": self.status,
                "status_reason": self.status_reason, "ok": self.ok, "error": self.error,
                "meaning": "the Deployment's status as Astro reports it, not a per-agent heartbeat"}


def health(api: DeploymentReader, org: str, deployment_id: str) -> DeploymentHealth:
    """The Deployment's status and statusReason; an API failure becomes `error` (one sentence), never an exception."""
    from wizard.core.astro_api import AstroApiError

    try:
        dep = api.deployment(org, deployment_id)
    except AstroApiError as exc:
        return DeploymentHealth(deployment_id, "", "", "", error=str(exc))
    return DeploymentHealth(deployment_id, str(dep.get("name") or ""), str(dep.get("status") or ""),
                            str(dep.get("statusReason") or ""))
