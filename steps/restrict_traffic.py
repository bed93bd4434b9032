"""The documented optional last step, "Restrict traffic to the Private Endpoint": add the cluster CIDR range to the
Deployment's allowed IP address ranges through the Astro API, and undo only what this tool added.

Outside the apply sequence (`apply` runs it only with --restrict-traffic). Read, change one list, write:
`update_request` builds the full UpdateDeploymentRequest from the Deployment as read, as astro-cli's
`deployment update --allowed-ip-address-ranges` does (cloud/deployment/deployment.go: every field from the current
Deployment, remoteExecution {enabled, allowedIpAddressRanges, taskLogBucket, taskLogUrlPattern}; secret environment
variables sent back without a value, which keeps them). The API has no ETag or If-Match (api.gen.go declares
none), so a change by someone else is caught by reading again right before the write and comparing `updatedAt` and
the list: when they moved, the change is computed again from the new state (never written over).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

ATTEMPTS = 3
UPDATE_KEYS = ("name", "description", "workspaceId", "type", "executor", "isCicdEnforced", "isDagDeployEnabled",
               "isHighAvailability", "isDevelopmentMode", "schedulerSize", "contactEmails", "defaultTaskPodCpu",
               "defaultTaskPodMemory", "resourceQuotaCpu", "resourceQuotaMemory", "scalingSpec")
# UpdateWorkerQueueRequest's fields (podCpu and podMemory are read-only: derived from the machine)
QUEUE_KEYS = ("id", "name", "isDefault", "maxWorkerCount", "minWorkerCount", "workerConcurrency", "astroMachine",
              "nodePoolId", "podEphemeralStorage")
WARNING = ("Once the range is set, Astro accepts this Deployment's Remote Execution traffic only from the allowed "
           "ranges: agents that reach Astro over the public internet, outside the private endpoint, will be refused.")


class DeploymentApi(Protocol):
    def deployment(self, org: str, deployment_id: str) -> dict[str, Any]: ...
    def cluster(self, org: str, cluster_id: str) -> dict[str, Any]: ...
    def update_deployment(self, org: str, deployment_id: str, body: dict[str, Any]) -> dict[str, Any]: ...


class RestrictError(Exception):
    """The restriction could not be made; the text is one sentence with the next action."""


def check_cidr(text: str) -> tuple[str | None, str | None]:
    """(the range in canonical form, None) or (None, one sentence saying what is wrong)."""
    raw = text.strip()
    try:
        net = ipaddress.ip_network(raw, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            return None, f"'{raw}' is not an IP address range in CIDR form, e.g. 172.20.0.0/19."
        return None, f"'{raw}' has host bits set: did you mean {loose}?"
    if "/" not in raw:
        return None, f"'{raw}' has no prefix length: give the range in CIDR form, e.g. {net}."
    return str(net), None


def ranges_of(dep: dict[str, Any]) -> list[str]:
    return list((dep.get("remoteExecution") or {}).get("allowedIpAddressRanges") or [])


def update_request(dep: dict[str, Any], ranges: list[str]) -> dict[str, Any]:
    """The full update request for `dep` with only its allowed IP address ranges replaced by `ranges`."""
    body: dict[str, Any] = {k: dep[k] for k in UPDATE_KEYS if dep.get(k) is not None}
    env = []
    for var in dep.get("environmentVariables") or []:
        item = {"key": var["key"], "isSecret": bool(var.get("isSecret"))}
        if var.get("value") is not None:
            item["value"] = var["value"]
        env.append(item)
    body["environmentVariables"] = env
    if dep.get("workerQueues") is not None:
        body["workerQueues"] = [{k: q[k] for k in QUEUE_KEYS if q.get(k) is not None} for q in dep["workerQueues"]]
    remote = dep.get("remoteExecution") or {}
    request_remote: dict[str, Any] = {"enabled": bool(remote.get("enabled")), "allowedIpAddressRanges": list(ranges)}
    for key in ("taskLogBucket", "taskLogUrlPattern"):
        if remote.get(key) is not None:
            request_remote[key] = remote[key]
    body["remoteExecution"] = request_remote
    return body


@dataclass
class Change:
    """What a read-change-write did: the list before and after, whether it wrote, how many times it re-read."""

    before: list[str]
    after: list[str]
    wrote: bool
    rereads: int = 0
    deployment: dict[str, Any] = field(default_factory=dict)


def change_ranges(api: DeploymentApi, org: str, dep_id: str, change: Callable[[list[str]], list[str]],
                  attempts: int = ATTEMPTS) -> Change:
    """Read the Deployment, compute the new list, read it again just before writing: when `updatedAt` or the list
    moved in between, start over from the new state. No write when the list would not change."""
    rereads = 0
    dep = api.deployment(org, dep_id)
    for _ in range(attempts):
        if not (dep.get("remoteExecution") or {}).get("enabled"):
            raise RestrictError(f"The Deployment {dep.get('name') or dep_id} does not have remote execution on, so it "
                                "has no allowed IP address ranges to set: choose its Remote Execution Deployment.")
        before = ranges_of(dep)
        after = change(before)
        if after == before:
            return Change(before, after, wrote=False, rereads=rereads, deployment=dep)
        fresh = api.deployment(org, dep_id)
        if fresh.get("updatedAt") != dep.get("updatedAt") or ranges_of(fresh) != before:
            rereads += 1
            dep = fresh
            continue
        updated = api.update_deployment(org, dep_id, update_request(fresh, after))
        got = ranges_of(updated)
        if sorted(got) != sorted(after):
            raise RestrictError(f"Astro saved the allowed IP address ranges as {', '.join(got) or 'none'} instead of "
                                f"{', '.join(after) or 'none'}: check the Deployment's settings in the Astro UI.")
        return Change(before, got, wrote=True, rereads=rereads, deployment=updated)
    raise RestrictError(f"The Deployment {dep.get('name') or dep_id} kept changing while this tool tried to update it "
                        f"({attempts} tries): wait until the other change is done and run again.")


def default_cidr(api: DeploymentApi, org: str, dep: dict[str, Any]) -> str | None:
    """The cluster CIDR range the doc asks for: the Deployment's cluster's vpcSubnetRange."""
    cluster_id = dep.get("clusterId")
    if not cluster_id:
        return None
    value = api.cluster(org, str(cluster_id)).get("vpcSubnetRange")
    return str(value) if value else None


def add_range(api: DeploymentApi, org: str, dep_id: str, cidr: str) -> Change:
    """Add `cidr` (idempotent: already there -> no write)."""
    return change_ranges(api, org, dep_id, lambda now: now if cidr in now else [*now, cidr])


def remove_ranges(api: DeploymentApi, org: str, dep_id: str, ours: list[str]) -> Change:
    """Remove only `ours` (what the setup record says this tool added); every other range stays, in order."""
    return change_ranges(api, org, dep_id, lambda now: [r for r in now if r not in ours])
