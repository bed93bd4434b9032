"""The Astro side read from the Astro API: which Deployments can be chosen (and why not), the API URL and cluster id a
chosen one gives, the check of a config's `[astro] deployment_id` against its `api_url`, and the Deployment's health.

Fields: `Deployment.remoteExecution.{enabled, remoteApiUrl}`, `clusterId`, `status` (CREATING, DEPLOYING, HEALTHY,
HIBERNATING, UNHEALTHY, UNKNOWN), `statusReason`; `Cluster.cloudProvider` (AWS, AZURE, GCP), from astronomer/astro-cli
`astro-client-v1/api.gen.go`. The status is the Deployment's, as Astro reports it; it is not a heartbeat of each
Remote Execution Agent (the API has no per-agent endpoint that we found).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from wizard.core.config import SetupConfig
from wizard.core.validate import check_api_url


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
    dep = api.deployment(config.organization_id, config.deployment_id)
    clusters = {str(c.get("id")): c for c in api.clusters(config.organization_id)}
    choice = choice_of(dep, clusters)
    if choice.reason:
        return [f"The Deployment {choice.name or choice.id} cannot be used here: {choice.reason}; choose a Remote "
                "Execution Deployment on an Azure cluster ([astro] deployment_id)."]
    if not config.api_url.strip():
        config.api_url = choice.api_url
        return []
    if not same_url(config.api_url, choice.api_url):
        return [f"[astro] api_url {config.api_url} is not the Remote Execution API URL Astro gives for the Deployment "
                f"{choice.name} ({choice.api_url}): remove api_url to use Astro's, or fix deployment_id."]
    expected = check_api_url(choice.api_url).cluster_id
    if expected and choice.cluster_id and expected != choice.cluster_id:
        return [f"The Deployment {choice.name} is on cluster {choice.cluster_id}, but its API URL names "
                f"{expected}: ask Astronomer support which is right."]
    return []


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
