"""Long-running operations: the polling headers a slow PUT/DELETE answers with, and the endpoints they name.

An operation comes from `World.new_operation` and is InProgress until its `done_at`. Microsoft.Network polls
`Azure-AsyncOperation` at .../providers/Microsoft.Network/locations/{loc}/operations/{id} (and, for deletes,
`Location` at .../operationResults/{id}); private DNS polls the resource group's
privateDnsOperationStatuses/{id} and privateDnsOperationResults/{id}; resource-group deletes poll
/subscriptions/{sub}/operationresults/{id}. `LroMixin` is part of `ArmService`.

Failures often arrive late, through the operation: the PUT was accepted (201/202) and the operation status
ends `{"status": "Failed", "error": {...}}`, leaving the resource in provisioningState Failed (Azure/ARO-RP#796:
a VNet link's overlapping-namespace refusal "completed with terminal provisioning state 'Failed'";
Azure/azure-powershell#9537: a link's operation body `{"error": {"code": "Conflict", ...}, "status": "Failed"}`;
pnp/Microsoft365-Analytics-Insights#562: the link PUT answers 200 and the failure is in the LRO body). The
`lro_failures` knob makes any long-running PUT end so; `Canceled` is the other failed terminal status
(azure-mgmt-core ARMPolling treats Failed and Canceled alike).
"""

from __future__ import annotations

import fnmatch
import math
import time
from datetime import datetime, timezone

from wizard.sandbox.arm.model import ArmError, Knobs, LroFailure, Request, Response, Target
from wizard.sandbox.world import Operation, Resource, World, rg_id


def retry_headers(ms: int) -> dict[str, str]:
    """Retry-After headers for `ms` milliseconds.

    azure-core 1.41 reads `Retry-After` BEFORE `retry-after-ms` / `x-ms-retry-after-ms` (see
    azure.core.pipeline.policies._utils.get_retry_after), and `Retry-After: 0` counts as absent (a 30 s
    wait). So whole seconds (>= 1 s) go out as `Retry-After: <ceil s>` plus `x-ms-retry-after-ms`, and
    sub-second waits (the tests' fast polling) only as `x-ms-retry-after-ms` + `retry-after-ms`.
    """
    ms = max(1, int(ms))
    if ms >= 1000:
        return {"Retry-After": str(math.ceil(ms / 1000)), "x-ms-retry-after-ms": str(ms)}
    return {"x-ms-retry-after-ms": str(ms), "retry-after-ms": str(ms)}


def type_and_name(path: str) -> tuple[str, str]:
    """The resource type and name a resource path names ('' for both when it names no provider resource)."""
    parts = [p for p in path.strip("/").split("/") if p]
    low = [p.lower() for p in parts]
    if "providers" not in low:
        return "", ""
    rest = parts[low.index("providers") + 1:]
    if len(rest) < 3 or len(rest) % 2 == 0:
        return "", ""
    return "/".join([rest[0], *rest[1::2]]), rest[-1]


def rule_matches(rule: LroFailure, type_: str, name: str) -> bool:
    want, have = rule.type.lower(), type_.lower()
    return (rule.times is None or rule.times > 0) and (have == want or have.endswith("/" + want)) \
        and fnmatch.fnmatchcase(name.lower(), rule.name.lower())


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


class LroMixin:
    """Operation durations, polling headers and the operation status/result endpoints of `ArmService`."""

    world: World
    knobs: Knobs
    base_url: str

    def lro(self, kind: str) -> float:
        return float(self.knobs.lro_seconds.get(kind, 0.0))

    def retry_headers(self) -> dict[str, str]:
        return retry_headers(self.knobs.poll_retry_after_ms)

    def settle_operation(self, method: str, type_: str, name: str, res: Resource | None, op: Operation) -> None:
        """Decide how a long-running write ends: as an `lro_failures` rule says, else Succeeded. The resource
        follows: a matching PUT leaves it in the rule's state once the operation ends, any other PUT repairs it."""
        if method != "PUT" or not type_:
            return
        rule = next((r for r in self.knobs.lro_failures if rule_matches(r, type_, name)), None)
        if rule is None:
            if res is not None:
                res.final_state = "Succeeded"
            return
        if rule.times is not None:
            rule.times -= 1
        op.status = rule.status
        op.error = {"code": rule.code, "message": rule.message}
        if res is not None:
            res.final_state = rule.status

    def network_op_headers(self, req: Request, sub: str, location: str, op: Operation,
                           with_location: bool = False) -> dict[str, str]:
        type_, name = type_and_name(req.path)
        self.settle_operation(req.method, type_, name, self.world.get(req.path) if type_ else None, op)
        base = f"{self.base_url}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}"
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op.id}?api-version={req.api_version}",
                   **self.retry_headers()}
        if with_location:
            headers["Location"] = f"{base}/operationResults/{op.id}?api-version={req.api_version}"
        return headers

    def dns_op_headers(self, req: Request, target: Target, op: Operation) -> dict[str, str]:
        self.settle_operation(req.method, target.type, target.name, self.world.get(target.id), op)
        base = f"{self.base_url}{rg_id(target.sub, target.rg)}/providers/Microsoft.Network"
        return {"Azure-AsyncOperation": f"{base}/privateDnsOperationStatuses/{op.id}?api-version={req.api_version}",
                "Location": f"{base}/privateDnsOperationResults/{op.id}?api-version={req.api_version}",
                **self.retry_headers()}

    def find_op(self, opid: str) -> Operation:
        op = self.world.operations.get(opid)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{opid}' could not be found.")
        return op

    def operation_status(self, req: Request, opid: str) -> Response:
        op = self.find_op(opid)
        now = time.time()
        body: dict = {"id": req.path, "name": op.id, "startTime": _iso(op.started)}
        if now < op.done_at:
            body["status"] = "InProgress"
        else:
            body.update(status=op.status, endTime=_iso(op.done_at))
            if op.error:
                body["error"] = op.error
        return Response(200, body, self.retry_headers())

    def operation_result(self, req: Request, opid: str) -> Response:
        op = self.find_op(opid)
        if time.time() < op.done_at:
            url = f"{self.base_url}{req.raw_path}?api-version={req.api_version}"
            return Response(202, None, {"Location": url, **self.retry_headers()})
        if op.result is not None:
            return Response(200, op.result)
        return Response(204)
