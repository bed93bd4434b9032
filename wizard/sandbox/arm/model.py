"""The ARM vocabulary every other module of the package speaks: requests, responses, errors, knobs, the log.

Nothing here routes or answers a request. `ArmError` is how any handler answers with an ARM error (the
service turns it into the `{"error": {"code", "message"}}` body); `not_found` and `no_type` give the error
shapes more than one handler raises; `check_name` and `require_location` are the checks every resource type
shares. `make_token` makes the sandbox's bearer token.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from wizard.sandbox.roles import role
from wizard.sandbox.world import T_LINK, T_NIC, T_NSG, T_PE, T_RULE, T_SUBNET, T_VNET, T_ZONE

NETWORK_API = "2026-03-01"
DNS_API = "2024-06-01"


# ---- knobs and the request log ----------------------------------------------------------------------------
def _default_lro() -> dict[str, float]:
    return {"privateEndpoint": 3.0, "privateDnsZone": 2.0, "virtualNetworkLink": 2.0, "delete": 1.0,
            "visibility": 0.0}


@dataclass
class LroFailure:
    """A rule of `Knobs.lro_failures`: long-running PUTs of matching resources end with `status` and this error
    in the operation status, and leave the resource in that provisioningState (arm/lro.py)."""

    type: str                     # resource type, or its last segment(s): "virtualNetworkLinks", "privateDnsZones"
    name: str = "*"               # fnmatch pattern on the resource name, case-insensitive
    code: str = "InternalServerError"
    message: str = "The operation failed."
    status: str = "Failed"        # or "Canceled"
    times: int | None = None      # how many more operations fail this way; None: every one

    @classmethod
    def from_json(cls, data: Any) -> LroFailure:
        if isinstance(data, LroFailure):
            return data
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not data.get("type") or set(data) - known:
            raise ArmError(400, "InvalidKnob", f"An lro_failures rule needs 'type' and only {sorted(known)}.")
        rule = cls(**data)
        if rule.status not in ("Failed", "Canceled"):
            raise ArmError(400, "InvalidKnob", f"An lro_failures status is Failed or Canceled, not '{rule.status}'.")
        return rule


@dataclass
class Knobs:
    """Behaviour switches; mutable, read on every request."""

    latency: float = 0.0
    lro_seconds: dict[str, float] = field(default_factory=_default_lro)
    poll_retry_after_ms: int = 1000
    throttle_rate: float = 0.0
    throttle_retry_after_ms: int = 1000
    error_rate: float = 0.0
    drop_at: set[int] = field(default_factory=set)
    drop_from: int | None = None
    drop_mode: str = "after"
    approve_after: float | None = None
    deny_actions: list[tuple[str, str]] = field(default_factory=list)   # (action, scope prefix): denied on top
    # (role, scope) pairs that replace the world's role assignments for the signed-in principal; None keeps the
    # world's (one subscription-wide Contributor). `seeds.minimal_roles()` gives README's least-privilege set.
    role_assignments: list[tuple[str, str]] | None = None
    # The visibility check answers 202 with only `Azure-AsyncOperation` (the REST spec's example), so the SDK's
    # result is the operation status body and `visible` is None.
    visibility_async_only: bool = False
    deny_global_location: bool = False
    # Azure Policy deny assignments that `check_policy` (arm/access.py) enforces, each a dict: "type" (the resource
    # type its rule matches, e.g. "Microsoft.Network/privateDnsZones"), "scope" (the assignment's scope: a
    # subscription, resource group or management group id; "" matches everywhere) and optionally "assignment",
    # "assignment_display", "definition", "definition_display", "definition_scope" (where a custom definition lives,
    # e.g. a management group), "message" (the assignment's non-compliance message).
    deny_policies: list[dict] = field(default_factory=list)
    # The next N private endpoint creates answer 400 InvalidPrivateLinkServiceId (counts down to 0).
    pe_invalid_pls_id: int = 0
    # Seconds a private endpoint's NIC stays (provisioningState Deleting) after the endpoint's DELETE finished.
    nic_linger_seconds: float = 0.0
    # Seconds after a private DNS zone's last virtual network link was deleted during which deleting the zone
    # still answers 409 CannotDeleteResource.
    zone_links_linger_seconds: float = 0.0
    page_size: int = 50
    seed: int = 0
    astro_listening: bool = True
    astro_wrong_certificate: bool = False
    # How the Astro endpoint answers (astro.py): "normal", or a body that never ends ("endless"), drips a byte at
    # a time ("drip"), or drips its status line and headers too ("drip_head"), every `astro_drip_seconds`.
    astro_body: str = "normal"
    astro_drip_seconds: float = 0.1
    # Traffic to every endpoint IP is silently dropped on the way (as an NSG or firewall rule would): clients
    # connect and hear nothing. The sandbox does not evaluate NSG rules itself; tests that add a denying rule
    # set this too, and the product must find the rule through ARM.
    astro_blackhole: bool = False
    # Seconds an AKS run command takes at least (arm/containerservice.py): its result is 202 until then.
    aks_run_command_seconds: float = 0.0
    dns_vnet_id: str | None = None
    # Long-running PUTs that end Failed/Canceled through the operation status (see LroFailure).
    lro_failures: list[LroFailure] = field(default_factory=list)
    # Private DNS's operation queue answers a write 409 Conflict while another operation of its group runs:
    # "resource" (the zone, or the link, itself: the groups Azure's messages name), "zone" (any write under a zone
    # waits for every other operation in it), or "off".
    dns_write_queue: str = "resource"

    def to_json(self) -> dict:
        data = asdict(self)
        data["drop_at"] = sorted(self.drop_at)
        data["deny_actions"] = [list(p) for p in self.deny_actions]
        if self.role_assignments is not None:
            data["role_assignments"] = [list(p) for p in self.role_assignments]
        return data

    def update(self, data: dict) -> None:
        """Apply a partial JSON update (as sent to POST /_sandbox/knobs)."""
        names = {f.name for f in fields(self)}
        for key, value in data.items():
            if key not in names:
                raise ArmError(400, "InvalidKnob", f"Unknown knob '{key}'.")
            if key == "drop_at":
                value = set(int(v) for v in value)
            elif key == "deny_actions":
                value = [(str(a), str(s)) for a, s in value]
            elif key == "role_assignments" and value is not None:
                try:
                    value = [(role(str(r)).name, str(s)) for r, s in value]
                except ValueError as exc:
                    raise ArmError(400, "InvalidKnob", str(exc)) from None
            elif key == "lro_failures":
                value = [LroFailure.from_json(v) for v in value]
            elif key == "dns_write_queue" and value not in ("resource", "zone", "off"):
                raise ArmError(400, "InvalidKnob", "dns_write_queue is 'resource', 'zone' or 'off'.")
            elif key == "deny_policies":
                value = [dict(v) for v in value]
            elif key == "lro_seconds":
                value = {**self.lro_seconds, **{k: float(v) for k, v in value.items()}}
            setattr(self, key, value)


@dataclass
class LoggedRequest:
    number: int
    method: str
    path: str
    status: int
    started: float
    duration: float
    dropped: bool = False


# ---- requests, responses, errors --------------------------------------------------------------------------
class ArmError(Exception):
    """An ARM error answer: status, code and message (and extra headers, and extra members of the error object
    such as `target` and `additionalInfo`)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.extra = extra or {}

    def to_json(self) -> dict[str, Any]:
        """The `error` object of the answer."""
        return {"code": self.code, "message": self.message, **self.extra}


@dataclass
class Request:
    method: str
    path: str                 # decoded, without query
    raw_path: str             # as sent, without query
    query: dict[str, str]
    headers: dict[str, str]   # lower-case names
    body: bytes = b""

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json(self) -> dict:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be "
                                                         "deserialized.") from None
        if not isinstance(data, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return data


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None     # the body already serialized (set under the world lock)


@dataclass
class Target:
    """A resource addressed by a request path under a resource group."""

    sub: str
    rg: str
    type: str
    id: str
    name: str
    parent_id: str | None


def make_token(tenant_id: str, object_id: str, lifetime: int = 86400) -> str:
    """An unsigned JWT-shaped bearer token whose claims say who is signed in."""
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
    now = int(time.time())
    header = {"typ": "JWT", "alg": "none", "kid": "sandbox"}
    payload = {"aud": "https://management.azure.com/", "iss": f"https://sts.windows.net/{tenant_id}/",
               "iat": now, "nbf": now, "exp": now + lifetime, "upn": "sandbox@example.invalid",
               "unique_name": "sandbox@example.invalid", "name": "Sandbox User", "tid": tenant_id,
               "oid": object_id, "scp": "user_impersonation"}
    return f"{b64(header)}.{b64(payload)}.{base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b'=').decode()}"


# ---- shared error shapes ------------------------------------------------------------------------------------
def not_found(target: Target) -> ArmError:
    """The 404 ARM sends for a missing resource: top-level, private DNS record set, or other child."""
    if target.parent_id is None:
        short = "/".join(target.type.split("/")[:2]) + f"/{target.name}"
        return ArmError(404, "ResourceNotFound",
                        f"The Resource '{short}' under resource group '{target.rg}' was not found. For more "
                        "details please go to https://aka.ms/ARMResourceNotFoundFix")
    if target.type.lower().startswith(T_ZONE.lower() + "/") and target.type != T_LINK:
        return ArmError(404, "NotFound", f"The resource record '{target.name}' does not exist in resource "
                                         f"group '{target.rg}' of subscription '{target.sub}'.")
    return ArmError(404, "NotFound", f"Resource {target.id} not found.")


def no_type(ns: str, type_: str) -> ArmError:
    return ArmError(400, "InvalidResourceType",
                    f"The resource type '{type_}' could not be found in the namespace '{ns}' for api version "
                    f"'{NETWORK_API}'.")


# ---- shared validation --------------------------------------------------------------------------------------
_NAME_RULES = {  # type -> (min, max)
    T_PE: (2, 64), T_VNET: (2, 64), T_NIC: (1, 80), T_SUBNET: (1, 80), T_LINK: (1, 80), T_NSG: (1, 80),
    T_RULE: (1, 80),
}
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


def check_name(name: str, type_: str) -> None:
    low, high = _NAME_RULES.get(type_, (1, 80))
    if not (low <= len(name) <= high) or not _NAME_RE.match(name):
        raise ArmError(400, "InvalidResourceName",
                       f"Resource name {name} is invalid. The name can be up to {high} characters long. It must "
                       "begin with a word character, and it must end with a word character or with '_'. The name "
                       "may contain word characters or '.', '-', '_'.")


def require_location(body: dict) -> str:
    """The body's `location`, which every tracked resource must have."""
    location = body.get("location")
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    return str(location)
