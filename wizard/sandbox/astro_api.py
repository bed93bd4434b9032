"""The Astro Platform API (v1) on loopback over HTTPS with the sandbox CA: organizations, clusters, deployments.

Shapes follow the generated client in astronomer/astro-cli, `astro-client-v1/api.gen.go` (read at ed93cc59):
`OrganizationsPaginated`, `ClustersPaginated`, `DeploymentsPaginated` ({<items>, limit, offset, totalCount}),
`Deployment` (clusterId, status, statusReason, type, remoteExecution {enabled, remoteApiUrl,
allowedIpAddressRanges, taskLogBucket, taskLogUrlPattern}, ...), `Cluster` (cloudProvider, region, vpcSubnetRange,
...), `Error` ({message, requestId, statusCode, fieldErrors[{code, field, message}]}). Paths from the same file:
`GET /organizations`, `GET /organizations/{org}/clusters[/{id}]`, `GET /organizations/{org}/deployments[/{id}]`,
`POST /organizations/{org}/deployments/{id}` (UpdateDeployment: a full spec, not a patch).

The update validates the fields `UpdateDedicatedDeploymentRequest` / `UpdateStandardDeploymentRequest` declare
without `omitempty` (required): environmentVariables, executor, isCicdEnforced, isDagDeployEnabled,
isHighAvailability, name, schedulerSize, type, workspaceId. An optional field left out is cleared (stricter than
the real service may be, so a client that drops a field is caught), except workloadIdentity, which
astro-cli's `deployment update` sends only when asked to change it (cloud/deployment/deployment.go). A secret
environment variable sent without a value keeps its value (the API never returns secret values; astro-cli sends
them back that way). Paging: the offset/limit loop of astro-cli's cloud/pagination/pagination.go.

Not from a source (assumed, kept plain): the wording of the 401/403/404 messages and 429's Retry-After (seconds).
Tokens: `token` may read and update; `read_only_token` reads only (an update answers 403).
Knobs (`AstroApiKnobs`): `throttle_next` (the next N requests answer 429 with `Retry-After`), `concurrent_change`
(after each of the next N GETs of one Deployment, someone else changes it: a range is added, updatedAt moves),
`max_limit` (the largest page served), `expired` (every token answers 401).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote

from wizard.sandbox.certs import SandboxCA
from wizard.sandbox.https import TlsHandler, TlsHttpServer, serving_thread

ORG_ID = "clorgsandbox0000000000001"
WORKSPACE_ID = "clwssandbox00000000000001"
AWS_CLUSTER_ID = "claws0000000000000000001"
HOSTED_CLUSTER_ID = "clhosted00000000000000001"
AZURE_VPC_RANGE = "172.20.0.0/19"
OTHER_PARTY_RANGE = "198.51.100.0/24"   # what the `concurrent_change` knob's "someone else" adds
REQUIRED_UPDATE_FIELDS = ("environmentVariables", "executor", "isCicdEnforced", "isDagDeployEnabled",
                          "isHighAvailability", "name", "schedulerSize", "type", "workspaceId")
CLEARED_WHEN_OMITTED = ("description", "contactEmails", "defaultTaskPodCpu", "defaultTaskPodMemory",
                        "resourceQuotaCpu", "resourceQuotaMemory", "scalingSpec", "isDevelopmentMode")
DEFAULT_LIMIT = 20


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, status: int, message: str, field_errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field_errors, self.headers = status, message, field_errors, headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "requestId": str(uuid.uuid4()), "statusCode": self.status}
        if self.field_errors:
            out["fieldErrors"] = self.field_errors
        return out


@dataclass
class AstroApiKnobs:
    throttle_next: int = 0
    retry_after_seconds: int = 1
    concurrent_change: int = 0
    max_limit: int = 1000
    expired: bool = False


@dataclass
class AstroApiWorld:
    """What the API knows: organizations, clusters and deployments by id, and the tokens it accepts."""

    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    secret_values: dict[tuple[str, str], str] = field(default_factory=dict)   # (deployment, key) -> secret value


def _profile() -> dict[str, str]:
    return {"id": "clusersandbox000000000001", "apiTokenName": "sandbox", "subjectType": "SERVICEKEY"}


def _cluster(cid: str, name: str, provider: str, region: str, vpc: str) -> dict[str, Any]:
    return {"id": cid, "name": name, "cloudProvider": provider, "region": region, "vpcSubnetRange": vpc,
            "podSubnetRange": "172.21.0.0/19", "serviceSubnetRange": "172.22.0.0/22", "organizationId": ORG_ID,
            "status": "CREATED", "type": "DEDICATED", "dbInstanceType": "Standard_D2ds_v5", "drRegion": "",
            "isDrEnabled": False, "createdAt": "2026-01-05T10:00:00Z", "updatedAt": "2026-01-05T10:00:00Z"}


def _deployment(did: str, name: str, cluster: dict[str, Any] | None, *, remote: bool, api_url: str = "",
                dtype: str = "DEDICATED", status: str = "HEALTHY", ranges: list[str] | None = None) -> dict[str, Any]:
    dep: dict[str, Any] = {
        "id": did, "name": name, "description": f"{name} (sandbox)", "organizationId": ORG_ID,
        "workspaceId": WORKSPACE_ID, "workspaceName": "Data Platform", "type": dtype, "status": status,
        "statusReason": "" if status == "HEALTHY" else "Scheduler is not heartbeating",
        "airflowVersion": "3.1.1", "astroRuntimeVersion": "3.1-2", "runtimeVersion": "3.1-2",
        "executor": "ASTRO", "schedulerSize": "SMALL", "schedulerCpu": "1", "schedulerMemory": "2Gi",
        "schedulerReplicas": 1, "isCicdEnforced": False, "isDagDeployEnabled": True, "isHighAvailability": False,
        "isDevelopmentMode": False, "contactEmails": ["data-platform@example.com"],
        "environmentVariables": [
            {"key": "ENVIRONMENT", "value": "production", "isSecret": False, "updatedAt": "2026-01-06T09:00:00Z"},
            {"key": "WAREHOUSE_PASSWORD", "isSecret": True, "updatedAt": "2026-01-06T09:00:00Z"}],
        "namespace": f"ns-{did[-6:]}", "imageRepository": "images.astronomer.cloud/sandbox", "imageTag": "deploy-1",
        "apiUrl": f"https://{did}.astronomer.run/api", "uiUrl": f"https://{did}.astronomer.run",
        "webServerUrl": "", "webServerCpu": "0.5", "webServerMemory": "1Gi", "webServerIngressHostname": "",
        "webServerAirflowApiUrl": "", "workloadIdentity": f"sandbox-identity-{did[-4:]}",
        "createdAt": "2026-01-06T09:00:00Z", "createdBy": _profile(), "updatedAt": "2026-01-06T09:00:00Z",
        "updatedBy": _profile(),
    }
    if cluster is not None:
        dep.update(clusterId=cluster["id"], clusterName=cluster["name"], region=cluster["region"],
                   cloudProvider=cluster["cloudProvider"])
    if remote:
        dep["remoteExecution"] = {"enabled": True, "remoteApiUrl": api_url,
                                  "allowedIpAddressRanges": list(ranges or []),
                                  "taskLogBucket": "https://sandboxlogs.blob.core.windows.net/logs",
                                  "taskLogUrlPattern": "{dag_id}/{run_id}/{task_id}/{try_number}.log"}
        dep["workerQueues"] = [{"id": f"wq-{did[-6:]}", "name": "default", "isDefault": True, "maxWorkerCount": 10,
                                "minWorkerCount": 0, "workerConcurrency": 5, "podCpu": "1", "podMemory": "2Gi"}]
    else:
        dep["workerQueues"] = [{"id": f"wq-{did[-6:]}", "name": "default", "isDefault": True, "maxWorkerCount": 10,
                                "minWorkerCount": 1, "workerConcurrency": 5, "astroMachine": "A5",
                                "podCpu": "1", "podMemory": "2Gi"}]
        dep.update(defaultTaskPodCpu="0.25", defaultTaskPodMemory="0.5Gi", resourceQuotaCpu="10",
                   resourceQuotaMemory="20Gi")
    return dep


def seed_world(cluster_id: str, region: str, api_url: str) -> AstroApiWorld:
    """One organization: an Azure cluster (`cluster_id`, the demo's), an AWS one; a Remote Execution Deployment
    whose remoteApiUrl is `api_url`, a second one, a hosted (Standard, no Remote Execution) one and one on AWS."""
    world = AstroApiWorld()
    world.organizations[ORG_ID] = {
        "id": ORG_ID, "name": "Sandbox Org", "allowEnhancedSupportAccess": False, "hasAllowedIpAddressRanges": False,
        "isBlockedEnableAiFeatures": False, "isScimEnabled": False, "productPlans": [],
        "shouldEnforceDedicatedClusters": False, "createdAt": "2026-01-05T09:00:00Z", "createdBy": _profile(),
        "updatedAt": "2026-01-05T09:00:00Z", "updatedBy": _profile()}
    azure = _cluster(cluster_id, "azure-agents", "AZURE", region, AZURE_VPC_RANGE)
    aws = _cluster(AWS_CLUSTER_ID, "aws-prod", "AWS", "us-east-1", "172.30.0.0/19")
    world.clusters = {c["id"]: c for c in (azure, aws)}
    hosted = {"id": HOSTED_CLUSTER_ID, "name": "astro-hosted", "cloudProvider": "AZURE", "region": region}
    deps = [
        _deployment("cldepremote00000000000001", "agents-prod", azure, remote=True, api_url=api_url,
                    ranges=["203.0.113.0/28"]),
        _deployment("cldepremote00000000000002", "agents-staging", azure, remote=True,
                    api_url=api_url, status="UNHEALTHY"),
        _deployment("cldephosted00000000000001", "hosted-etl", hosted, remote=False, dtype="STANDARD"),
        _deployment("cldepaws0000000000000001", "aws-agents", aws, remote=True,
                    api_url=f"https://{AWS_CLUSTER_ID}.external.astronomer.run"),
    ]
    world.deployments = {d["id"]: d for d in deps}
    for d in deps:
        world.secret_values[(d["id"], "WAREHOUSE_PASSWORD")] = "s3cret-" + d["id"][-4:]
    return world


class AstroApiService:
    """The API's behaviour, separate from HTTP: `handle(method, path, query, headers, body)` -> (status, body,
    headers)."""

    def __init__(self, world: AstroApiWorld) -> None:
        self.world = world
        self.knobs = AstroApiKnobs()
        self.token = "astro-sandbox-" + secrets.token_urlsafe(24)
        self.read_only_token = "astro-sandbox-ro-" + secrets.token_urlsafe(24)
        self.log: list[dict[str, Any]] = []   # method, path, status (never a header)
        self.lock = threading.Lock()

    def reset(self, world: AstroApiWorld) -> None:
        with self.lock:
            self.world, self.knobs, self.log = world, AstroApiKnobs(), []

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            try:
                status, out = self._route(method, path, query, headers, body)
                hdrs: dict[str, str] = {}
            except ApiError as err:
                status, out, hdrs = err.status, err.body(), err.headers
            self.log.append({"method": method, "path": path, "status": status})
            return status, out, hdrs

    # ---- auth ----
    def _caller(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token or token not in (self.token, self.read_only_token) or self.knobs.expired:
            raise ApiError(401, "Unauthorized: the API token is missing, invalid or expired")
        return "write" if token == self.token else "read"

    # ---- routing ----
    def _route(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        if parts[:1] == ["v1"]:
            parts = parts[1:]
        access = self._caller(headers)
        if self.knobs.throttle_next > 0:
            self.knobs.throttle_next -= 1
            raise ApiError(429, "Too many requests, slow down",
                           headers={"Retry-After": str(self.knobs.retry_after_seconds)})
        if not parts or parts[0] != "organizations":
            raise ApiError(404, f"Not found: {path}")
        if len(parts) == 1 and method == "GET":
            return 200, self._page("organizations", list(self.world.organizations.values()), query)
        org = self.world.organizations.get(parts[1])
        if org is None:
            raise ApiError(404, f"Organization {parts[1]} not found")
        if len(parts) == 2 and method == "GET":
            return 200, org
        kind = parts[2]
        if kind == "clusters" and method == "GET":
            clusters = [c for c in self.world.clusters.values() if c["organizationId"] == org["id"]]
            if len(parts) == 3:
                return 200, self._page("clusters", clusters, query)
            found = self.world.clusters.get(parts[3])
            if found is None or len(parts) > 4:
                raise ApiError(404, f"Cluster {parts[3]} not found")
            return 200, found
        if kind == "deployments":
            deps = [d for d in self.world.deployments.values() if d["organizationId"] == org["id"]]
            if len(parts) == 3 and method == "GET":
                ids = query.get("deploymentIds")
                if ids:
                    deps = [d for d in deps if d["id"] in ids]
                return 200, self._page("deployments", deps, query)
            dep = self.world.deployments.get(parts[3]) if len(parts) == 4 else None
            if dep is None:
                raise ApiError(404, f"Deployment {parts[3] if len(parts) > 3 else ''} not found")
            if method == "GET":
                out = copy.deepcopy(dep)
                if self.knobs.concurrent_change > 0:
                    self.knobs.concurrent_change -= 1
                    self._someone_else_changes(dep)
                return 200, out
            if method == "POST":
                if access != "write":
                    raise ApiError(403, "Forbidden: the API token does not have permission to update this "
                                        "Deployment")
                return 200, self._update(dep, body)
        raise ApiError(404, f"Not found: {method} {path}")

    def _page(self, key: str, items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
        try:
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", [str(DEFAULT_LIMIT)])[0])
        except ValueError:
            raise ApiError(400, "offset and limit must be integers") from None
        if offset < 0 or limit < 0:
            raise ApiError(400, "offset and limit must not be negative")
        limit = min(limit, self.knobs.max_limit)
        ordered = sorted(items, key=lambda i: i.get("name", ""))
        return {key: copy.deepcopy(ordered[offset:offset + limit]), "limit": limit, "offset": offset,
                "totalCount": len(ordered)}

    def _someone_else_changes(self, dep: dict[str, Any]) -> None:
        """Another user edits the Deployment between this client's read and its write."""
        remote = dep.get("remoteExecution")
        if remote is not None and OTHER_PARTY_RANGE not in remote["allowedIpAddressRanges"]:
            remote["allowedIpAddressRanges"].append(OTHER_PARTY_RANGE)
        dep["description"] = (dep.get("description") or "") + " (edited)"
        _bump(dep)

    def _update(self, dep: dict[str, Any], raw: bytes) -> dict[str, Any]:
        try:
            req = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "Invalid request body: not JSON") from None
        if not isinstance(req, dict):
            raise ApiError(400, "Invalid request body: expected an object")
        missing = [f for f in REQUIRED_UPDATE_FIELDS if f not in req or req[f] is None]
        errors = [{"code": "required", "field": f, "message": f"{f} is required"} for f in missing]
        if not missing and req["type"] != dep["type"]:
            errors.append({"code": "oneof", "field": "type", "message": f"type must be {dep['type']}"})
        remote_req = req.get("remoteExecution")
        if dep.get("remoteExecution", {}).get("enabled") and not (isinstance(remote_req, dict)
                                                                  and remote_req.get("enabled")):
            errors.append({"code": "required", "field": "remoteExecution",
                           "message": "remoteExecution is required for a Remote Execution Deployment"})
        ranges = (remote_req or {}).get("allowedIpAddressRanges") if isinstance(remote_req, dict) else None
        for i, cidr in enumerate(ranges or []):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except (ValueError, TypeError):
                errors.append({"code": "cidrv4", "field": f"remoteExecution.allowedIpAddressRanges[{i}]",
                               "message": f"{cidr!r} is not a valid CIDR range"})
        if errors:
            raise ApiError(400, "Invalid request: " + "; ".join(e["message"] for e in errors), errors)
        for key in ("name", "executor", "isCicdEnforced", "isDagDeployEnabled", "isHighAvailability",
                    "schedulerSize", "workspaceId"):
            dep[key] = req[key]
        for key in CLEARED_WHEN_OMITTED:
            if key in req and req[key] is not None:
                dep[key] = req[key]
            else:
                dep.pop(key, None)
        if req.get("workloadIdentity"):
            dep["workloadIdentity"] = req["workloadIdentity"]
        if "workerQueues" in req and req["workerQueues"] is not None:
            # UpdateWorkerQueueRequest has no podCpu/podMemory: they stay what the queue's machine gives
            old_queues = {q["id"]: q for q in dep.get("workerQueues") or []}
            dep["workerQueues"] = [{**{k: v for k, v in old_queues.get(q.get("id"), {}).items()
                                       if k in ("podCpu", "podMemory")}, **q} for q in req["workerQueues"]]
        env = []
        for var in req["environmentVariables"]:
            item = {"key": var["key"], "isSecret": bool(var.get("isSecret")), "updatedAt": _now()}
            if item["isSecret"]:
                if var.get("value") is not None:
                    self.world.secret_values[(dep["id"], var["key"])] = var["value"]
            elif var.get("value") is not None:
                item["value"] = var["value"]
            old = next((e for e in dep.get("environmentVariables", []) if e["key"] == var["key"]), None)
            unchanged = (var.get("value") is None) if item["isSecret"] else True
            if old is not None and old.get("isSecret") == item["isSecret"] and old.get("value") == item.get("value") \
                    and unchanged:
                item["updatedAt"] = old["updatedAt"]
            env.append(item)
        dep["environmentVariables"] = env
        if isinstance(remote_req, dict) and dep.get("remoteExecution") is not None:
            remote = dep["remoteExecution"]
            remote["allowedIpAddressRanges"] = list(remote_req.get("allowedIpAddressRanges") or [])
            for key in ("taskLogBucket", "taskLogUrlPattern"):
                if remote_req.get(key) is not None:
                    remote[key] = remote_req[key]
                else:
                    remote.pop(key, None)
        _bump(dep)
        return copy.deepcopy(dep)


def _bump(dep: dict[str, Any]) -> None:
    """A new updatedAt, later than the last one even within one second (the API's timestamps have seconds only)."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    last = datetime.strptime(dep["updatedAt"], fmt).replace(tzinfo=timezone.utc)
    dep["updatedAt"] = max(datetime.now(timezone.utc), last + timedelta(seconds=1)).strftime(fmt)


class _Handler(TlsHandler):
    server_version = "astro-api-sandbox"
    timeout = 60
    service: AstroApiService

    def do_GET(self) -> None:
        raw_path, qs, headers, body = self.read_parts()
        status, out, extra = self.service.handle(self.command, raw_path, parse_qs(qs), headers, body)
        payload = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET


class AstroApiServer:
    """The API over HTTPS on 127.0.0.1 (a certificate for localhost/127.0.0.1 from the sandbox CA)."""

    def __init__(self, ca: SandboxCA, service: AstroApiService) -> None:
        self.service = service
        handler = type("BoundAstroApiHandler", (_Handler,), {"service": service})
        self._server = TlsHttpServer(("127.0.0.1", 0), handler, ca.server_context(["localhost"], ["127.0.0.1"]))
        self._thread = serving_thread(self._server, "sandbox-astro-api")

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> AstroApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
