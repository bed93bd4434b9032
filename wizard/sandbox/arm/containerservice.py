"""Microsoft.ContainerService: AKS managed clusters' run command, as ARM answers it.

Managed clusters themselves are stored in the world like any resource (type `T_MC`), so GET and the lists (by
resource group and across the subscription, paged) are the generic ones of `routing.py`, authorized as
`Microsoft.ContainerService/managedClusters/read`. Their bodies follow the REST spec's examples
(Azure/azure-rest-api-specs, specification/containerservice/.../aks/stable/2025-10-01/examples/ManagedClustersGet.json
and ManagedClustersList.json: `properties.agentPoolProfiles[].vnetSubnetID` / `podSubnetID`, `nodeResourceGroup`,
`powerState.code`, `apiServerAccessProfile.enablePrivateCluster` / `disableRunCommand`, `aadProfile.managed`,
`disableLocalAccounts`, `networkProfile.dnsServiceIP`).

Run command (same spec, RunCommandRequest.json and RunCommandResultSucceed.json; the SDK's
`managed_clusters.begin_run_command` / `get_command_result`, azure-mgmt-containerservice 41.8):
  POST .../managedClusters/{name}/runCommand {command, context, clusterToken}
      -> 202, `Location: .../managedClusters/{name}/commandResults/{commandId}?api-version=...`
  GET  .../commandResults/{commandId} -> 202 (+ Location) while the pod runs, then 200
      {"id": commandId, "properties": {"provisioningState": "succeeded", "exitCode", "startedAt", "finishedAt",
      "logs"}} (the spec's example writes provisioningState in lower case).
Authorization: `Microsoft.ContainerService/managedClusters/runCommand/action` for the POST and
`.../commandResults/read` for the poll (MicrosoftDocs/azure-docs, articles/aks/access-private-cluster.md: "Permissions
for using command invoke are controlled through ... runcommand/action and ... commandResults/read"). Of the built-in
roles, Contributor (`*`) grants both; "Azure Kubernetes Service Cluster Admin Role" grants runcommand/action (added
2022-05-17, role 0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8) but not commandResults/read; the Cluster User Role neither.

The command runs in `pod.PodShell` against the sandbox's real state (DNS as the cluster's VNet sees it, the Astro
endpoint with its approval and knobs), in a thread, so the poll is 202 until it has finished and the
`aks_run_command_seconds` knob has passed. Refusals, checked after authorization and existence:
  - the cluster is stopped (`powerState.code` Stopped): 409 OperationNotAllowed, in the shape of AKS's other
    state guards ("managed cluster is in Provisioning State(Succeeded) and Power State(Stopped), stopping cannot be
    performed": MicrosoftDocs/azure-docs#85161). The code for run command is unconfirmed.
  - run command disabled (`apiServerAccessProfile.disableRunCommand`, which the portal's "Run command" blade and
    `az aks update --disable-run-command` set: Azure/AKS#3972, Azure/azure-cli#31854): 400 BadRequest. Unconfirmed
    code and message.
  - an AAD cluster with local accounts disabled and no `clusterToken`: the POST is accepted and the pod has no
    credential, so kubectl answers what it answers without one: exit 1, "error: You must be logged in to the server
    (Unauthorized)". `az aks command invoke` sends a token for the AKS AAD server app
    (6dae42f8-4368-4678-94ff-3960e28e3630, kubelogin's `--server-id`) whenever `aadProfile.managed` is set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from wizard.sandbox.arm.model import ArmError, Request, Response, Target, not_found
from wizard.sandbox.arm.service import Service
from wizard.sandbox.world import T_MC, ResourceGroup, rg_id

RUN_ACTION = "Microsoft.ContainerService/managedClusters/runCommand/action"
RESULT_READ = "Microsoft.ContainerService/managedClusters/commandResults/read"
DEFAULT_DNS_SERVICE_IP = "10.0.0.10"


@dataclass
class PodNetwork:
    """What the sandbox gives the pods it runs: the CA they trust and the public answer for the Astro host."""

    ca_pem: bytes
    public_address: str
    # Every run command's `command` text, in order, as the pods received it (tests read which namespace it names).
    commands: list[str] = field(default_factory=list)


class AksService(Service, Protocol):
    """What this module uses of `ArmService` beyond `Service` (typed here so that nothing imports routing.py)."""

    lock: Any
    pod_network: PodNetwork | None

    def expect(self, req: Request, method: str, fn: Callable[[], Response]) -> Response: ...
    def require_group(self, sub: str, name: str) -> ResourceGroup: ...
    def dns_resources(self) -> list[dict]: ...


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster_vnet(svc: AksService, cluster: dict) -> str | None:
    """The VNet the cluster's pods live in: the first node pool's pod or node subnet, else the AKS-managed VNet in
    the node resource group (`aks-vnet-*`)."""
    props = cluster.get("properties", {})
    for pool in props.get("agentPoolProfiles") or []:
        subnet = pool.get("podSubnetID") or pool.get("vnetSubnetID")
        if subnet:
            return str(subnet).split("/subnets/")[0]
    node_rg = props.get("nodeResourceGroup")
    if node_rg:
        sub = str(cluster["id"]).split("/")[2]
        for vnet in svc.world.of_type("Microsoft.Network/virtualNetworks", rg_id(sub, node_rg)):
            if vnet.name.lower().startswith("aks-vnet-"):
                return vnet.id
    return None


def route(svc: AksService, req: Request, sub: str, rg: str, segs: list[str], lsegs: list[str]) -> Response:
    """POST .../managedClusters/{name}/runCommand and GET .../commandResults/{id}."""
    name = segs[1]
    cluster_id = f"{rg_id(sub, rg)}/providers/{T_MC}/{name}"
    if lsegs[2] == "runcommand" and len(segs) == 3:
        svc.authorize(RUN_ACTION, cluster_id)
        return svc.expect(req, "POST", lambda: _run(svc, req, sub, rg, cluster_id))
    if lsegs[2] == "commandresults" and len(segs) == 4:
        svc.authorize(RESULT_READ, cluster_id)
        return svc.expect(req, "GET", lambda: _result(svc, req, sub, rg, cluster_id, segs[3]))
    raise ArmError(404, "NotFound", f"The requested path '{req.path}' was not found.")


def _cluster(svc: AksService, sub: str, rg: str, cluster_id: str) -> dict:
    svc.require_group(sub, rg)
    res = svc.world.get(cluster_id)
    if res is None:
        raise not_found(Target(sub, rg, T_MC, cluster_id, cluster_id.rsplit("/", 1)[-1], None))
    return svc.render(res)


def _run(svc: AksService, req: Request, sub: str, rg: str, cluster_id: str) -> Response:
    cluster = _cluster(svc, sub, rg, cluster_id)
    props = cluster.get("properties", {})
    body = req.json()
    command = body.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ArmError(400, "InvalidParameter", "The value of parameter command is invalid.")   # unconfirmed
    power = (props.get("powerState") or {}).get("code", "Running")
    if power != "Running":
        raise ArmError(409, "OperationNotAllowed",   # unconfirmed code; message shaped as AKS's state guards
                       f"Managed cluster is in Provisioning State({props.get('provisioningState', 'Succeeded')}) "
                       f"and Power State({power}), run command cannot be performed.")
    if (props.get("apiServerAccessProfile") or {}).get("disableRunCommand"):
        raise ArmError(400, "BadRequest", "Run command is disabled for this managed cluster. Enable it with "
                                          "`az aks update --enable-run-command`.")   # unconfirmed
    network = svc.pod_network
    if network is None:
        raise ArmError(500, "InternalServerError", "The sandbox has no pod network (start it through Sandbox).")
    with svc.lock:
        network.commands.append(command)
    from wizard.sandbox.dns import answer_from_world
    from wizard.sandbox.pod import PodShell, ShellResult

    no_credential = (bool((props.get("aadProfile") or {}).get("managed")) and bool(props.get("disableLocalAccounts"))
                     and not body.get("clusterToken"))
    vnet_id = cluster_vnet(svc, cluster)
    dns_ip = (props.get("networkProfile") or {}).get("dnsServiceIP") or DEFAULT_DNS_SERVICE_IP
    op = svc.world.new_operation(float("inf"))
    delay = float(svc.knobs.aks_run_command_seconds)

    def lookup(vnet: str | None, host: str):  # noqa: ANN202 - DnsAnswer
        return answer_from_world(svc.dns_resources(), vnet, host, network.public_address)

    def work() -> None:
        if no_credential:
            result = ShellResult(1, "error: You must be logged in to the server (Unauthorized)\n")
        else:
            result = PodShell(lookup, network.ca_pem, dns_ip).run(command, vnet_id)
        with svc.lock:
            done = max(time.time(), op.started + delay)
            op.result = {"id": op.id, "properties": {
                "provisioningState": "succeeded", "exitCode": result.exit_code, "startedAt": _iso(op.started),
                "finishedAt": _iso(done), "logs": result.logs}}
            op.done_at = done

    threading.Thread(target=work, name=f"sandbox-aks-run-{op.id[:8]}", daemon=True).start()
    location = f"{svc.base_url}{cluster_id}/commandResults/{op.id}?api-version={req.api_version}"
    return Response(202, None, {"Location": location, **svc.retry_headers()})


def _result(svc: AksService, req: Request, sub: str, rg: str, cluster_id: str, command_id: str) -> Response:
    _cluster(svc, sub, rg, cluster_id)
    op = svc.world.operations.get(command_id)
    if op is None:
        raise ArmError(404, "NotFound", f"Command result {command_id} not found.")   # unconfirmed
    if time.time() < op.done_at or op.result is None:
        location = f"{svc.base_url}{cluster_id}/commandResults/{op.id}?api-version={req.api_version}"
        return Response(202, None, {"Location": location, **svc.retry_headers()})
    return Response(200, op.result)
