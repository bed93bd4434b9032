"""The sandbox's Azure Resource Manager: an HTTPS handler the real azure-mgmt SDK clients talk to.

`ArmService` holds the world, the knobs and the request log, and turns one request into one response
(routing, ARM semantics, validation, long-running operations, errors). `serve_arm` puts it on a
ThreadingHTTPServer with TLS, HTTP/1.1 keep-alive and TCP_NODELAY, and applies the fault knobs
(latency, 429, 500, dropped connections) around it. Control calls under `/_sandbox/` skip the faults
and the request log.

Response shapes and error codes follow the real ARM as recorded in `shared/reference/azure-facts.md`;
where a code could not be confirmed it is marked "unconfirmed" next to where it is raised.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import random
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from wizard.sandbox import seeds
from wizard.sandbox.world import (
    KNOWN_TYPES,
    T_LINK,
    T_NIC,
    T_NSG,
    T_PE,
    T_RULE,
    T_SUBNET,
    T_VNET,
    T_ZONE,
    Operation,
    Resource,
    World,
    new_etag,
    rg_id,
)

RG_TYPE = "Microsoft.Resources/resourceGroups"
NETWORK_API = "2026-03-01"
DNS_API = "2024-06-01"


# ---- knobs, log, errors ---------------------------------------------------------------------------------
def _default_lro() -> dict[str, float]:
    return {"privateEndpoint": 3.0, "privateDnsZone": 2.0, "virtualNetworkLink": 2.0, "delete": 1.0,
            "visibility": 0.0}


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
    deny_actions: list[tuple[str, str]] = field(default_factory=list)
    deny_global_location: bool = False
    page_size: int = 50
    seed: int = 0
    astro_listening: bool = True
    astro_wrong_certificate: bool = False
    # Traffic to every endpoint IP is silently dropped on the way (as an NSG or firewall rule would): clients
    # connect and hear nothing. The sandbox does not evaluate NSG rules itself; tests that add a denying rule
    # set this too, and the product must find the rule through ARM.
    astro_blackhole: bool = False
    dns_vnet_id: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["drop_at"] = sorted(self.drop_at)
        data["deny_actions"] = [list(p) for p in self.deny_actions]
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


class ArmError(Exception):
    """An ARM error answer: status, code and message (and extra headers)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


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


_NAME_RULES = {  # type -> (min, max)
    T_PE: (2, 64), T_VNET: (2, 64), T_NIC: (1, 80), T_SUBNET: (1, 80), T_LINK: (1, 80), T_NSG: (1, 80),
    T_RULE: (1, 80),
}
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_RG_RE = re.compile(r"^[-\w._()]{1,90}$")
_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def check_name(name: str, type_: str) -> None:
    low, high = _NAME_RULES.get(type_, (1, 80))
    if not (low <= len(name) <= high) or not _NAME_RE.match(name):
        raise ArmError(400, "InvalidResourceName",
                       f"Resource name {name} is invalid. The name can be up to {high} characters long. It must "
                       "begin with a word character, and it must end with a word character or with '_'. The name "
                       "may contain word characters or '.', '-', '_'.")


def check_zone_name(name: str) -> None:
    labels = name.rstrip(".").split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL_RE.match(x) for x in labels):
        raise ArmError(400, "BadRequest", f"The zone name '{name}' is invalid. A zone name must have at least "
                                          "two labels of letters, digits, '-' or '_'.")


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


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


# ---- the service ---------------------------------------------------------------------------------------
class ArmService:
    """One ARM: world + knobs + log. `handle` answers one request (without the fault knobs)."""

    def __init__(self, world: World, token: str, object_id: str, knobs: Knobs | None = None) -> None:
        self.world = world
        self.token = token
        self.object_id = object_id
        self.knobs = knobs or Knobs()
        self.base_url = ""
        self.lock = threading.RLock()
        self.log: list[LoggedRequest] = []
        self._counter = 0
        self._log_lock = threading.Lock()
        self._rng = random.Random(self.knobs.seed)
        self._rng_seed = self.knobs.seed
        self.on_reset: list[Callable[[World], None]] = []

    # ---- bookkeeping ----
    def next_number(self) -> int:
        with self._log_lock:
            self._counter += 1
            return self._counter

    def record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self.log.append(entry)
            self.log.sort(key=lambda r: r.number)

    def roll(self) -> float:
        with self._log_lock:
            if self._rng_seed != self.knobs.seed:
                self._rng, self._rng_seed = random.Random(self.knobs.seed), self.knobs.seed
            return self._rng.random()

    def reset(self, world: World, knobs: Knobs) -> None:
        with self.lock:
            old = self.world
            for ip, _nic in list(old.nic_ips()):
                for hook in old.on_ip_removed:
                    hook(ip)
            world.on_ip_added, world.on_ip_removed = old.on_ip_added, old.on_ip_removed
            self.world, self.knobs = world, knobs
            with self._log_lock:
                self.log, self._counter = [], 0
                self._rng, self._rng_seed = random.Random(knobs.seed), knobs.seed
            for ip, _nic in list(world.nic_ips()):
                for hook in world.on_ip_added:
                    hook(ip)
        for cb in self.on_reset:
            cb(world)

    def set_connection_state(self, pe_id: str | None, status: str, description: str | None) -> list[str]:
        if status not in ("Pending", "Approved", "Rejected", "Disconnected"):
            raise ArmError(400, "InvalidConnectionStatus", f"Unknown connection status '{status}'.")
        with self.lock:
            pes = [self.world.get(pe_id)] if pe_id else self.world.of_type(T_PE)
            if pe_id and pes[0] is None:
                raise ArmError(404, "NotFound", f"Resource {pe_id} not found.")
            for pe in pes:
                self.world.set_connection_state(pe, status, description)
            return [pe.id for pe in pes]

    def is_reachable(self, ip: str) -> bool:
        with self.lock:
            pe = self.world.pe_for_ip(ip)
            if pe is None:
                return False
            return self.world.connection_status(pe, time.time(), self.knobs.approve_after).get(
                "status") == "Approved"

    def dns_resources(self) -> list[dict]:
        from wizard.sandbox.world import DNS_TYPES
        with self.lock:
            return list(self.world.all_resources(DNS_TYPES, approve_after=self.knobs.approve_after))

    # ---- entry point ----
    def handle(self, req: Request) -> Response:
        try:
            self.authenticate(req)
            if not req.api_version:
                raise ArmError(400, "MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for all requests.")
            with self.lock:
                resp = self.route(req)
                # Serialized under the lock: rendered bodies share nested parts with the stored world.
                resp.raw = None if resp.body is None else json.dumps(resp.body).encode()
                return resp
        except ArmError as err:
            return Response(err.status, {"error": {"code": err.code, "message": err.message}}, err.headers)

    def authenticate(self, req: Request) -> None:
        header = req.headers.get("authorization")
        tid = self.world.tenant_id
        if not header:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                                                        "missing.", {"WWW-Authenticate": (
                f'Bearer authorization_uri="https://login.windows.net/{tid}", error="invalid_token", '
                'error_description="The authentication failed because of missing \'Authorization\' header."')})
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", {
                "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{tid}", '
                                    'error="invalid_token", error_description="The access token is invalid."'})

    # ---- routing ----
    def route(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        low = path.lower()
        parts = path.strip("/").split("/")
        lparts = low.strip("/").split("/")
        if low == "/subscriptions" and req.method == "GET":
            return self.page(req, [self.subscription_json(s) for s in self.world.subscriptions.values()])
        if low == "/tenants" and req.method == "GET":
            return self.page(req, [self.tenant_json()])
        if lparts[0] != "subscriptions":
            raise ArmError(404, "NotFound", f"The requested path '{path}' was not found.")
        sub = self.require_subscription(parts[1])
        rest, lrest = parts[2:], lparts[2:]
        if not rest:
            return self.expect(req, "GET", lambda: Response(200, self.subscription_json(sub)))
        if lrest == ["locations"]:
            return self.expect(req, "GET", lambda: self.page(req, [self.location_json(sub.subscription_id, loc)
                                                                   for loc in self.world.locations]))
        if lrest[0] == "operationresults" and len(rest) == 2:
            return self.expect(req, "GET", lambda: self.operation_result(req, rest[1]))
        if lrest[0] == "resourcegroups":
            return self.route_groups(req, sub.subscription_id, rest[1:], lrest[1:])
        if lrest[0] == "providers" and len(rest) >= 3:
            return self.route_sub_provider(req, sub.subscription_id, rest[1:], lrest[1:])
        raise ArmError(404, "NotFound", f"The requested path '{path}' was not found.")

    def expect(self, req: Request, method: str, fn: Callable[[], Response]) -> Response:
        if req.method != method:
            raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")
        return fn()

    def route_sub_provider(self, req: Request, sub: str, rest: list[str], lrest: list[str]) -> Response:
        ns = lrest[0]
        if ns == "microsoft.network" and len(rest) == 5 and lrest[1] == "locations":
            loc, what, opid = lrest[2], lrest[3], rest[4]
            if what == "operations":
                return self.expect(req, "GET", lambda: self.operation_status(req, opid))
            if what == "operationresults":
                return self.expect(req, "GET", lambda: self.operation_result(req, opid))
        if ns == "microsoft.network" and len(rest) == 4 and lrest[1] == "locations" \
                and lrest[3] == "checkprivatelinkservicevisibility":
            return self.expect(req, "POST", lambda: self.check_visibility(req, sub, rest[2]))
        if len(rest) == 2:
            type_ = KNOWN_TYPES.get(f"{ns}/{lrest[1]}")
            if type_ is None:
                raise self.no_type(rest[0], rest[1])
            scope = f"/subscriptions/{sub}"
            return self.expect(req, "GET", lambda: self.page_resources(req, self.world.of_type(type_, scope)))
        raise ArmError(404, "NotFound", f"The requested path '{req.path}' was not found.")

    def route_groups(self, req: Request, sub: str, rest: list[str], lrest: list[str]) -> Response:
        if not rest:
            return self.expect(req, "GET", lambda: self.page(req, [self.group_json(g) for g in
                                                                   self.world.groups_in(sub)]))
        name = rest[0]
        if len(rest) == 1:
            return self.group_verb(req, sub, name)
        group = self.world.group(sub, name)
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        if lrest[1] != "providers" or len(rest) < 4:
            raise ArmError(404, "NotFound", f"The requested path '{req.path}' was not found.")
        ns, segs, lsegs = rest[2], rest[3:], lrest[3:]
        if lrest[2] == "microsoft.network" and len(segs) == 2 and lsegs[0] in (
                "privatednsoperationstatuses", "privatednsoperationresults"):
            if lsegs[0] == "privatednsoperationstatuses":
                return self.expect(req, "GET", lambda: self.operation_status(req, segs[1]))
            return self.expect(req, "GET", lambda: self.operation_result(req, segs[1]))
        types, names = lsegs[0::2], segs[1::2]
        if lrest[2] == "microsoft.network" and len(lsegs) == 3 and lsegs[0] == "privatednszones" \
                and lsegs[2] in ("recordsets", "all"):
            zone = self.require_parent(sub, group, ns, ["privatednszones"], names, T_ZONE)
            return self.expect(req, "GET", lambda: self.page_resources(req, [
                r for r in self.world.children(zone.id) if r.type.lower() != T_LINK.lower()]))
        type_ = KNOWN_TYPES.get("/".join([lrest[2], *types]))
        if type_ is None:
            raise self.no_type(ns, "/".join(segs[0::2]))
        if len(segs) % 2 == 1:   # a collection: list children
            if len(segs) == 1:
                return self.expect(req, "GET", lambda: self.page_resources(
                    req, self.world.children(group.id, type_)))
            parent = self.require_parent(sub, group, ns, types[:-1], names, KNOWN_TYPES.get(
                "/".join([lrest[2], *types[:-1]]), ""))
            return self.expect(req, "GET", lambda: self.page_resources(req, self.world.children(parent.id, type_)))
        canon = type_.split("/")[1:]
        tail = "/".join(f"{t}/{n}" for t, n in zip(canon, names))
        rid = f"{group.id}/providers/{type_.split('/')[0]}/{tail}"
        parent_id = rid.rsplit("/", 2)[0] if len(names) > 1 else None
        target = Target(sub=sub, rg=group.name, type=type_, id=rid, name=names[-1], parent_id=parent_id)
        return self.resource_verb(req, target)

    def require_parent(self, sub: str, group, ns: str, types: list[str], names: list[str], ptype: str) -> Resource:
        type_ = KNOWN_TYPES.get("/".join(["microsoft.network", *types]), ptype)
        canon = type_.split("/")[1:]
        tail = "/".join(f"{t}/{n}" for t, n in zip(canon, names))
        pid = f"{group.id}/providers/Microsoft.Network/{tail}"
        parent = self.world.get(pid)
        if parent is None:
            raise self.not_found(Target(sub, group.name, type_, pid, names[len(canon) - 1],
                                        pid.rsplit("/", 2)[0] if len(canon) > 1 else None))
        return parent

    @staticmethod
    def no_type(ns: str, type_: str) -> ArmError:
        return ArmError(400, "InvalidResourceType",
                        f"The resource type '{type_}' could not be found in the namespace '{ns}' for api version "
                        f"'{NETWORK_API}'.")

    def require_subscription(self, sub_id: str):
        sub = self.world.subscription(sub_id)
        if sub is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        return sub

    # ---- paging ----
    def page(self, req: Request, items: list) -> Response:
        try:
            skip = max(0, int(req.query.get("$skiptoken", "0")))
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The skip token is invalid.") from None
        size = max(1, int(self.knobs.page_size))
        chunk = items[skip:skip + size]
        body: dict = {"value": chunk}
        if skip + size < len(items):
            body["nextLink"] = (f"{self.base_url}{req.raw_path}?api-version={quote(req.api_version)}"
                                f"&%24skiptoken={skip + size}")
        return Response(200, body)

    def page_resources(self, req: Request, resources: list[Resource]) -> Response:
        resp = self.page(req, resources)
        now = time.time()
        resp.body["value"] = [self.world.render(r, now, self.knobs.approve_after) for r in resp.body["value"]]
        return resp

    # ---- subscription, tenant, location, group bodies ----
    def subscription_json(self, sub) -> dict:
        return {"id": f"/subscriptions/{sub.subscription_id}", "authorizationSource": "RoleBased",
                "managedByTenants": [], "subscriptionId": sub.subscription_id, "tenantId": sub.tenant_id,
                "displayName": sub.display_name, "state": sub.state,
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                         "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"}}

    def tenant_json(self) -> dict:
        tid = self.world.tenant_id
        return {"id": f"/tenants/{tid}", "tenantId": tid, "tenantCategory": "Home", "country": "US",
                "countryCode": "US", "displayName": "Contoso", "domains": ["contoso.onmicrosoft.com"],
                "defaultDomain": "contoso.onmicrosoft.com", "tenantType": "AAD"}

    def location_json(self, sub: str, loc) -> dict:
        return {"id": f"/subscriptions/{sub}/locations/{loc.name}", "name": loc.name, "type": "Region",
                "displayName": loc.display_name, "regionalDisplayName": loc.regional_display_name,
                "metadata": {"regionType": "Physical", "regionCategory": "Recommended",
                             "geographyGroup": loc.geography_group, "longitude": loc.longitude,
                             "latitude": loc.latitude, "physicalLocation": loc.physical_location,
                             "pairedRegion": [{"name": loc.paired,
                                               "id": f"/subscriptions/{sub}/locations/{loc.paired}"}]}}

    def group_json(self, group) -> dict:
        body = {"id": group.id, "name": group.name, "type": RG_TYPE, "location": group.location,
                "properties": {"provisioningState": "Succeeded"}}
        if group.tags:
            body["tags"] = group.tags
        return body

    def group_verb(self, req: Request, sub: str, name: str) -> Response:
        group = self.world.group(sub, name)
        if req.method == "HEAD":
            return Response(204 if group else 404)
        if req.method == "GET":
            if group is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
            return Response(200, self.group_json(group))
        scope = rg_id(sub, group.name if group else name)
        if req.method == "PUT":
            self.authorize("Microsoft.Resources/subscriptions/resourceGroups/write", scope)
            body = req.json()
            if not _RG_RE.match(name) or name.endswith("."):
                raise ArmError(400, "InvalidResourceGroup", f"The provided resource group name '{name}' has these "
                               "invalid characters: '{name}'. The name can only be a letter, digit, '-', '.', "
                               "'(', ')' or '_'.")
            location = body.get("location")
            if not location:
                raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
            if group and group.location.lower() != location.lower():
                raise ArmError(409, "InvalidResourceGroupLocation",
                               f"Invalid resource group location '{location}'. The Resource group already exists "
                               f"in location '{group.location}'.")
            if group:
                group.tags = body.get("tags", group.tags)
                return Response(200, self.group_json(group))
            group = self.world.add_group(sub, name, location, body.get("tags"))
            return Response(201, self.group_json(group))
        if req.method == "DELETE":
            self.authorize("Microsoft.Resources/subscriptions/resourceGroups/delete", scope)
            if group is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
            for res in self.world.remove_group(sub, group.name):
                self.after_removed(res)
            op = self.world.new_operation(self.lro("delete"))
            loc = f"{self.base_url}/subscriptions/{sub}/operationresults/{op.id}?api-version={req.api_version}"
            return Response(202, None, {"Location": loc, **self.retry_headers()})
        raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")

    # ---- authorization and policy ----
    def denied(self, action: str, scope: str) -> bool:
        for act, prefix in self.knobs.deny_actions:
            if act.lower() in (action.lower(), "*") and scope.lower().startswith(prefix.lower()):
                return True
        return False

    def client(self) -> str:
        return f"The client 'sandbox@example.invalid' with object id '{self.object_id}'"

    def authorize(self, action: str, scope: str) -> None:
        if self.denied(action, scope):
            raise ArmError(403, "AuthorizationFailed",
                           f"{self.client()} does not have authorization to perform action '{action}' over scope "
                           f"'{scope}' or the scope is invalid. If access was recently granted, please refresh "
                           "your credentials.")

    def authorize_linked(self, action: str, scope: str, linked_action: str, linked_scope: str) -> None:
        if self.denied(linked_action, linked_scope):
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"{self.client()} has permission to perform action '{action}' on scope '{scope}'; "
                           f"however, it does not have permission to perform action(s) '{linked_action}' on the "
                           f"linked scope(s) '{linked_scope}' (respectively) or the linked scope(s) are invalid.")

    def check_policy(self, target: Target, location: str) -> None:
        if self.knobs.deny_global_location and location.lower() == "global":
            sub = target.sub
            assignment = (f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/"
                          "allowed-locations-prod")
            ids = json.dumps([{"policyAssignment": {"name": "Allowed locations (production)", "id": assignment},
                               "policyDefinition": {"name": "Allowed locations", "id": (
                                   "/providers/Microsoft.Authorization/policyDefinitions/"
                                   "e56962a6-4747-49cd-b67b-bf8b01975c4c")}}], separators=(",", ":"))
            raise ArmError(403, "RequestDisallowedByPolicy",
                           f"Resource '{target.name}' was disallowed by policy. Policy identifiers: '{ids}'.")

    # ---- LRO helpers ----
    def lro(self, kind: str) -> float:
        return float(self.knobs.lro_seconds.get(kind, 0.0))

    def retry_headers(self) -> dict[str, str]:
        return retry_headers(self.knobs.poll_retry_after_ms)

    def network_op_headers(self, req: Request, sub: str, location: str, op: Operation,
                           with_location: bool = False) -> dict[str, str]:
        base = f"{self.base_url}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}"
        headers = {"Azure-AsyncOperation": f"{base}/operations/{op.id}?api-version={req.api_version}",
                   **self.retry_headers()}
        if with_location:
            headers["Location"] = f"{base}/operationResults/{op.id}?api-version={req.api_version}"
        return headers

    def dns_op_headers(self, req: Request, target: Target, op: Operation) -> dict[str, str]:
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

    # ---- visibility ----
    def check_visibility(self, req: Request, sub: str, location: str) -> Response:
        self.authorize("Microsoft.Network/locations/checkPrivateLinkServiceVisibility/action",
                       f"/subscriptions/{sub}")
        alias = str(req.json().get("privateLinkServiceAlias") or "")
        known = self.world.aliases.get(alias.lower())
        result = {"visible": bool(known and sub.lower() in known.visible_to)}
        seconds = self.lro("visibility")
        if seconds <= 0:
            return Response(200, result)
        op = self.world.new_operation(seconds, result)
        url = (f"{self.base_url}/subscriptions/{sub}/providers/Microsoft.Network/locations/{location}/"
               f"operationResults/{op.id}?api-version={req.api_version}")
        return Response(202, None, {"Location": url, **self.retry_headers()})

    # ---- generic resource verbs ----
    def not_found(self, target: Target) -> ArmError:
        if target.parent_id is None:
            short = "/".join(target.type.split("/")[:2]) + f"/{target.name}"
            return ArmError(404, "ResourceNotFound",
                            f"The Resource '{short}' under resource group '{target.rg}' was not found. For more "
                            "details please go to https://aka.ms/ARMResourceNotFoundFix")
        if target.type.lower().startswith(T_ZONE.lower() + "/") and target.type != T_LINK:
            return ArmError(404, "NotFound", f"The resource record '{target.name}' does not exist in resource "
                                             f"group '{target.rg}' of subscription '{target.sub}'.")
        return ArmError(404, "NotFound", f"Resource {target.id} not found.")

    def resource_verb(self, req: Request, target: Target) -> Response:
        if req.method == "GET":
            if target.parent_id and self.world.get(target.parent_id) is None:
                parent = Target(target.sub, target.rg, target.type.rsplit("/", 1)[0], target.parent_id,
                                target.parent_id.rsplit("/", 1)[-1], None)
                raise self.not_found(parent)
            res = self.world.get(target.id)
            if res is None:
                raise self.not_found(target)
            return Response(200, self.world.render(res, time.time(), self.knobs.approve_after))
        if req.method == "PUT":
            self.authorize(f"{target.type}/write", target.id)
            handler = _PUT.get(target.type.lower())
            if handler is None:
                raise ArmError(405, "MethodNotAllowed", f"PUT is not supported for {target.type} in the sandbox.")
            return handler(self, req, target)
        if req.method == "DELETE":
            self.authorize(f"{target.type}/delete", target.id)
            return self.delete(req, target)
        raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")

    def delete(self, req: Request, target: Target) -> Response:
        res = self.world.get(target.id)
        kind = target.type.lower()
        is_record = kind.startswith(T_ZONE.lower() + "/") and kind != T_LINK.lower()
        if res is None:
            return Response(204)
        if is_record or kind == T_ZONE.lower() or kind == T_LINK.lower():
            self.check_preconditions(req, res, target)
        if kind == T_NIC.lower() and res.props.get("privateEndpoint"):
            # Unconfirmed code: real ARM refuses this; the exact code for PE-owned NICs was not found.
            raise ArmError(400, "InUseNetworkInterfaceCannotBeDeleted",
                           f"Network Interface {res.id} is used by existing resource "
                           f"{res.props['privateEndpoint']['id']}. In order to delete the network interface, it "
                           "must be dissociated from the resource. To learn more, see aka.ms/deletenic.")
        if kind == T_ZONE.lower() and self.world.children(res.id, T_LINK):
            # Unconfirmed message: real private DNS refuses to delete a zone that still has links (409).
            raise ArmError(409, "Conflict", f"The private DNS zone '{res.name}' cannot be deleted because it has "
                                            "virtual network links. Delete all virtual network links first.")
        if kind in (T_VNET.lower(), T_SUBNET.lower()):
            subnets = [res] if kind == T_SUBNET.lower() else self.world.children(res.id, T_SUBNET)
            for subnet in subnets:
                if self.world.ip_used.get(subnet.key):
                    raise ArmError(400, "InUseSubnetCannotBeDeleted",
                                   f"Subnet {subnet.name} is in use by private endpoints and cannot be deleted. "
                                   "In order to delete the subnet, delete all the resources within the subnet. "
                                   "See aka.ms/deletesubnet.")
        for removed in self.world.remove(res.id):
            self.after_removed(removed)
        if is_record:
            return Response(200)
        op = self.world.new_operation(self.lro("delete"))
        if kind in (T_ZONE.lower(), T_LINK.lower()):
            return Response(202, None, self.dns_op_headers(req, target, op))
        location = res.body.get("location") or self.location_of(res)
        return Response(202, None, self.network_op_headers(req, target.sub, location, op, with_location=True))

    def location_of(self, res: Resource) -> str:
        parent = self.world.get(res.parent)
        return (parent.body.get("location") if parent else None) or "eastus2"

    def after_removed(self, res: Resource) -> None:
        if res.type.lower() == T_PE.lower():
            for ref in res.props.get("networkInterfaces", []):
                for removed in self.world.remove(ref["id"]):
                    self.after_removed(removed)
        if res.type.lower() == T_NIC.lower():
            for cfg in res.props.get("ipConfigurations", []):
                cprops = cfg.get("properties", {})
                if cprops.get("privateIPAddress") and cprops.get("subnet"):
                    self.world.free_ip(cprops["subnet"]["id"], cprops["privateIPAddress"])

    def check_preconditions(self, req: Request, res: Resource | None, target: Target) -> None:
        if_match, if_none = req.headers.get("if-match"), req.headers.get("if-none-match")
        label = "Zone" if target.type == T_ZONE else "resource"
        if if_none and res is not None and (if_none == "*" or if_none.strip('"') == res.body.get(
                "etag", "").strip('"')):
            raise ArmError(412, "PreconditionFailed",
                           f"The {label} {target.name} exists already and hence cannot be created again.")
        if if_match and if_match != "*" and (res is None or if_match.strip('"') != res.body.get(
                "etag", "").strip('"')):
            raise ArmError(412, "PreconditionFailed",
                           f"The {label} {target.name} has been modified (etag mismatch).")
        if if_match == "*" and res is None:
            raise ArmError(412, "PreconditionFailed", f"The {label} {target.name} does not exist.")

    def render(self, res: Resource) -> dict:
        return self.world.render(res, time.time(), self.knobs.approve_after)


# ---- PUT handlers, one per type -----------------------------------------------------------------------------
def _location(body: dict) -> str:
    location = body.get("location")
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    return str(location)


def _same(a: str, b: str) -> bool:
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


def _network_created(svc: ArmService, req: Request, target: Target, res: Resource, created: bool,
                     location: str) -> Response:
    op = svc.world.new_operation(max(0.0, res.busy_until - time.time()))
    return Response(201 if created else 200, svc.render(res),
                    svc.network_op_headers(req, target.sub, location, op))


def put_vnet(svc: ArmService, req: Request, target: Target) -> Response:
    body = req.json()
    check_name(target.name, T_VNET)
    location = _location(body)
    props = body.get("properties") or {}
    prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
    if not prefixes:
        raise ArmError(400, "InvalidAddressSpace", "The address space of the virtual network is missing.")
    existing = svc.world.get(target.id)
    if existing and not _same(existing.body["location"], location):
        raise ArmError(400, "InvalidResourceLocation", f"The resource '{target.name}' already exists in location "
                       f"'{existing.body['location']}' in resource group '{target.rg}'. A resource with the same "
                       "name cannot be created in location '" + location + "'. Please select a new resource name.")
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag())
        existing.props["addressSpace"] = {"addressPrefixes": prefixes}
        res, created = existing, False
    else:
        res = seeds_add_vnet(svc.world, target, location, prefixes, body.get("tags"))
        created = True
    for sub in props.get("subnets") or []:
        _upsert_subnet(svc, f"{res.id}/subnets/{sub.get('name')}", sub.get("name", ""), sub.get("properties") or {})
    return _network_created(svc, req, target, res, created, location)


def seeds_add_vnet(world: World, target: Target, location: str, prefixes: list[str], tags: dict | None) -> Resource:
    seeds.add_vnet(world, target.sub, target.rg, target.name, location, prefixes, tags)
    return world.get(target.id)  # type: ignore[return-value]


def _upsert_subnet(svc: ArmService, subnet_id: str, name: str, props: dict) -> Resource:
    check_name(name, T_SUBNET)
    vnet = svc.world.get(subnet_id.rsplit("/", 2)[0])
    assert vnet is not None
    prefix = props.get("addressPrefix") or (props.get("addressPrefixes") or [None])[0]
    if not prefix:
        raise ArmError(400, "InvalidAddressPrefixFormat", f"Subnet '{name}' has no address prefix.")
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise ArmError(400, "InvalidAddressPrefixFormat", f"Address prefix {prefix} of subnet '{name}' has an "
                                                          "invalid format.") from None
    spaces = [ipaddress.ip_network(p, strict=False) for p in vnet.props["addressSpace"]["addressPrefixes"]]
    if not any(net.subnet_of(s) for s in spaces if s.version == net.version):
        raise ArmError(400, "NetcfgSubnetRangeOutsideVnet",
                       f"Subnet '{name}' is not valid because its IP address range is outside the IP address "
                       f"range of virtual network '{vnet.name}'.")
    nsg = (props.get("networkSecurityGroup") or {}).get("id")
    if nsg and svc.world.get(nsg) is None:
        raise ArmError(400, "InvalidResourceReference",
                       f"Resource {nsg} referenced by resource {subnet_id} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region.")
    existing = svc.world.get(subnet_id)
    if existing:
        existing.props["addressPrefix"] = str(net)
        if "networkSecurityGroup" in props:
            existing.props["networkSecurityGroup"] = {"id": nsg} if nsg else None
            if not nsg:
                existing.props.pop("networkSecurityGroup")
        existing.body["etag"] = new_etag()
        return existing
    seeds.add_subnet(svc.world, vnet.id, name, str(net), nsg)
    return svc.world.get(subnet_id)  # type: ignore[return-value]


def put_subnet(svc: ArmService, req: Request, target: Target) -> Response:
    vnet = svc.world.get(target.parent_id or "")
    if vnet is None:
        raise svc.not_found(Target(target.sub, target.rg, T_VNET, target.parent_id or "",
                                   (target.parent_id or "").rsplit("/", 1)[-1], None))
    created = svc.world.get(target.id) is None
    res = _upsert_subnet(svc, target.id, target.name, req.json().get("properties") or {})
    return _network_created(svc, req, target, res, created, vnet.body["location"])


def put_nsg(svc: ArmService, req: Request, target: Target) -> Response:
    body = req.json()
    check_name(target.name, T_NSG)
    location = _location(body)
    existing = svc.world.get(target.id)
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag())
        res = existing
    else:
        seeds.add_nsg(svc.world, target.sub, target.rg, target.name, location)
        res = svc.world.get(target.id)
        res.body["tags"] = body.get("tags") or {}
    for rule in (body.get("properties") or {}).get("securityRules") or []:
        _upsert_rule(svc, res, rule.get("name", ""), rule.get("properties") or {})
    return _network_created(svc, req, target, res, existing is None, location)


def _upsert_rule(svc: ArmService, nsg: Resource, name: str, props: dict) -> Resource:
    check_name(name, T_RULE)
    prio = props.get("priority")
    if not isinstance(prio, int) or not 100 <= prio <= 4096:
        raise ArmError(400, "SecurityRuleInvalidPriority", f"Security rule {name} has invalid priority {prio}. "
                       "Value provided: " + str(prio) + " Allowed range 100-4096.")
    if props.get("direction") not in ("Inbound", "Outbound") or props.get("access") not in ("Allow", "Deny"):
        raise ArmError(400, "SecurityRuleParameterContainsUnsupportedValue",
                       f"Security rule parameter direction/access for rule with Id {nsg.id}/securityRules/{name} "
                       "cannot be empty or contain an unsupported value.")
    stored = {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*", "sourceAddressPrefix": "*",
              "destinationAddressPrefix": "*", "sourcePortRanges": [], "destinationPortRanges": [],
              "sourceAddressPrefixes": [], "destinationAddressPrefixes": [], **props}
    stored.pop("provisioningState", None)
    rule_id = f"{nsg.id}/securityRules/{name}"
    existing = svc.world.get(rule_id)
    if existing:
        existing.body.update(properties=stored, etag=new_etag())
        return existing
    return svc.world.add(T_RULE, rule_id, {"etag": new_etag(), "type": T_RULE, "properties": stored})


def put_rule(svc: ArmService, req: Request, target: Target) -> Response:
    nsg = svc.world.get(target.parent_id or "")
    if nsg is None:
        raise svc.not_found(Target(target.sub, target.rg, T_NSG, target.parent_id or "",
                                   (target.parent_id or "").rsplit("/", 1)[-1], None))
    created = svc.world.get(target.id) is None
    res = _upsert_rule(svc, nsg, target.name, req.json().get("properties") or {})
    return _network_created(svc, req, target, res, created, nsg.body["location"])


def put_nic(svc: ArmService, req: Request, target: Target) -> Response:
    existing = svc.world.get(target.id)
    if existing and existing.props.get("privateEndpoint"):
        raise ArmError(400, "CannotModifyNicAttachedToPrivateEndpoint",
                       f"Network interface {existing.id} is attached to private endpoint "
                       f"{existing.props['privateEndpoint']['id']} and cannot be modified by user.")
    raise ArmError(405, "MethodNotAllowed", "Creating network interfaces directly is not supported by the sandbox.")


def _pe_ref_error(ref_id: str, pe_id: str) -> ArmError:
    return ArmError(400, "InvalidResourceReference",
                    f"Resource {ref_id} referenced by resource {pe_id} was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region.")


def put_private_endpoint(svc: ArmService, req: Request, target: Target) -> Response:
    world = svc.world
    body = req.json()
    check_name(target.name, T_PE)
    location = _location(body)
    props = body.get("properties") or {}
    subnet_id = (props.get("subnet") or {}).get("id") or ""
    if not subnet_id:
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: the private endpoint has no subnet.")
    subnet = world.get(subnet_id)
    if subnet is None:
        raise _pe_ref_error(subnet_id, target.id)
    vnet = world.get(subnet.parent)
    assert vnet is not None
    if not _same(vnet.body["location"], location):
        raise _pe_ref_error(vnet.id, target.id)
    manual = props.get("manualPrivateLinkServiceConnections") or []
    conns = manual or props.get("privateLinkServiceConnections") or []
    if not conns:
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: a private endpoint needs one private "
                                                    "link service connection.")
    cprops = conns[0].get("properties") or {}
    alias = str(cprops.get("privateLinkServiceId") or "")
    known = world.aliases.get(alias.lower())
    if not (known and target.sub.lower() in known.visible_to):
        raise ArmError(400, "ThirdPartyPrivateLinkServiceProvidedDuringPrivateEndpointCreationDoesNotExistOrIsNotVisible",
                       f"Private link service with alias {alias} provided during private endpoint creation "
                       f"{target.id} does not exist or is not visible to subscription {target.sub}.")
    message = str(cprops.get("requestMessage") or "")
    if len(message) > 140:
        # Unconfirmed code: the 140-character limit is documented; the exact error code was not found.
        raise ArmError(400, "PrivateEndpointRequestMessageTooLong",
                       f"Request message of private link service connection {conns[0].get('name')} is "
                       f"{len(message)} characters long; the maximum is 140.")
    existing = world.get(target.id)
    if existing:
        return _update_private_endpoint(svc, req, target, existing, body, subnet, alias, location)
    svc.authorize_linked(f"{T_PE}/write", target.id, "Microsoft.Network/virtualNetworks/subnets/join/action",
                         subnet.id)
    nic_name = props.get("customNetworkInterfaceName") or f"{target.name}.nic.{uuid.uuid4()}"
    check_name(nic_name, T_NIC)
    nic_id = f"{rg_id(target.sub, target.rg)}/providers/Microsoft.Network/networkInterfaces/{nic_name}"
    if world.get(nic_id):
        # Unconfirmed code: a NIC of that name already exists in the resource group.
        raise ArmError(400, "NetworkInterfaceNameAlreadyInUse", f"Network interface {nic_id} already exists.")
    ip = world.allocate_ip(subnet)
    if ip is None:
        # Unconfirmed code for a full subnet.
        raise ArmError(400, "SubnetIsFull", f"Subnet {subnet.name} with address prefix "
                       f"{subnet.props['addressPrefix']} does not have enough capacity for 1 IP addresses.")
    now = time.time()
    _add_pe_nic(world, nic_id, location, ip, subnet.id, target.id)
    cname = conns[0].get("name") or target.name
    kind = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    conn = {"id": f"{target.id}/{kind}/{cname}", "name": cname, "etag": new_etag(),
            "type": f"{T_PE}/{kind}",
            "properties": {"provisioningState": "Succeeded", "privateLinkServiceId": alias,
                           "groupIds": list(cprops.get("groupIds") or []), "requestMessage": message,
                           "privateLinkServiceConnectionState": {
                               "status": "Pending", "description": "Awaiting approval", "actionsRequired": "None"}}}
    stored = {
        "location": location, "tags": body.get("tags") or {}, "etag": new_etag(),
        "properties": {
            "resourceGuid": str(uuid.uuid4()), "subnet": {"id": subnet.id}, "networkInterfaces": [{"id": nic_id}],
            "ipConfigurations": [], "customDnsConfigs": [], "applicationSecurityGroups": [],
            "customNetworkInterfaceName": props.get("customNetworkInterfaceName") or "",
            "privateLinkServiceConnections": [conn] if not manual else [],
            "manualPrivateLinkServiceConnections": [conn] if manual else [],
            "ipVersionType": "IPv4"}}
    res = world.add(T_PE, target.id, stored, created=now, busy_until=now + svc.lro("privateEndpoint"),
                    busy_state="Updating")
    return _network_created(svc, req, target, res, True, location)


def _add_pe_nic(world: World, nic_id: str, location: str, ip: str, subnet_id: str, pe_id: str) -> None:
    cfg_name = f"privateEndpointIpConfig.{uuid.uuid4()}"
    world.add(T_NIC, nic_id, {
        "location": location, "tags": {}, "etag": new_etag(),
        "properties": {
            "resourceGuid": str(uuid.uuid4()), "macAddress": "", "vnetEncryptionSupported": False,
            "enableIPForwarding": False, "enableAcceleratedNetworking": False, "disableTcpStateTracking": False,
            "nicType": "Standard", "hostedWorkloads": [], "tapConfigurations": [], "allowPort25Out": False,
            "auxiliaryMode": "None", "auxiliarySku": "None",
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
            "privateEndpoint": {"id": pe_id},
            "ipConfigurations": [{
                "id": f"{nic_id}/ipConfigurations/{cfg_name}", "name": cfg_name, "etag": new_etag(),
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": {"provisioningState": "Succeeded", "privateIPAddress": ip,
                               "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet_id},
                               "primary": True, "privateIPAddressVersion": "IPv4",
                               "privateLinkConnectionProperties": {"groupId": "", "requiredMemberName": "",
                                                                   "fqdns": []}}}]}})


def _update_private_endpoint(svc: ArmService, req: Request, target: Target, pe: Resource, body: dict,
                             subnet: Resource, alias: str, location: str) -> Response:
    if pe.props["subnet"]["id"].lower() != subnet.key:
        raise ArmError(400, "CannotChangeSubnetOnExistingPrivateEndpoint",
                       f"Subnet of private endpoint {pe.id} cannot be changed from {pe.props['subnet']['id']} to "
                       f"{subnet.id}.")
    conns = pe.props.get("manualPrivateLinkServiceConnections") or pe.props.get("privateLinkServiceConnections")
    if conns and conns[0]["properties"]["privateLinkServiceId"].lower() != alias.lower():
        # Unconfirmed code: real ARM refuses to retarget a connection; the exact code was not found.
        raise ArmError(400, "CannotChangePrivateLinkServiceOnExistingPrivateEndpoint",
                       f"Private link service of connection {conns[0]['name']} on private endpoint {pe.id} cannot "
                       "be changed.")
    if "tags" in body:
        pe.body["tags"] = body.get("tags") or {}
    pe.body["etag"] = new_etag()
    return _network_created(svc, req, target, pe, False, location)


def put_zone(svc: ArmService, req: Request, target: Target) -> Response:
    body = req.json()
    existing = svc.world.get(target.id)
    svc.check_preconditions(req, existing, target)
    location = _location(body)
    svc.check_policy(target, location)
    check_zone_name(target.name)
    if location.lower() != "global":
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{location}' is not available for resource type "
                       f"'{T_ZONE}'. List of available regions for the resource type is 'global'.")
    now = time.time()
    if existing:
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag(weak=False))
        res = existing
    else:
        res = svc.world.add(T_ZONE, target.id, {
            "location": "global", "tags": body.get("tags") or {}, "etag": new_etag(weak=False),
            "properties": {"internalId": base64.b64encode(f"Microsoft.Network/privateDnsZones/{target.name}"
                                                          f"/{uuid.uuid4()}".encode()).decode()}},
            created=now, busy_until=now + svc.lro("privateDnsZone"), busy_state="Creating")
        soa_id = f"{target.id}/SOA/@"
        svc.world.add(f"{T_ZONE}/SOA", soa_id, {"etag": new_etag(weak=False), "properties": {
            "ttl": 3600, "fqdn": f"{target.name}.", "isAutoRegistered": False, "metadata": {},
            "soaRecord": {"email": "azureprivatedns-host.microsoft.com", "expireTime": 2419200,
                          "host": "azureprivatedns.net", "minimumTtl": 10, "refreshTime": 3600,
                          "retryTime": 300, "serialNumber": 1}}})
    op = svc.world.new_operation(max(0.0, res.busy_until - now))
    return Response(202, svc.render(res), svc.dns_op_headers(req, target, op))


def put_link(svc: ArmService, req: Request, target: Target) -> Response:
    world = svc.world
    zone = world.get(target.parent_id or "")
    zone_name = (target.parent_id or "").rsplit("/", 1)[-1]
    if zone is None:
        raise ArmError(404, "ParentResourceNotFound", f"Can not perform requested operation on nested resource. "
                                                      f"Parent resource '{zone_name}' not found.")
    body = req.json()
    existing = world.get(target.id)
    svc.check_preconditions(req, existing, target)
    location = _location(body)
    svc.check_policy(target, location)
    check_name(target.name, T_LINK)
    props = body.get("properties") or {}
    vnet_id = (props.get("virtualNetwork") or {}).get("id") or ""
    vnet = world.get(vnet_id) if vnet_id else None
    if vnet is None or vnet.type != T_VNET:
        # Unconfirmed code/message for a link to a VNet that does not exist.
        raise ArmError(400, "BadRequest", f"Virtual network '{vnet_id}' was not found.")
    svc.authorize_linked(f"{T_LINK}/write", target.id, "Microsoft.Network/virtualNetworks/join/action", vnet.id)
    for link in world.of_type(T_LINK, f"/subscriptions/{target.sub}"):
        if link.key == target.id.lower():
            continue
        if link.props["virtualNetwork"]["id"].lower() != vnet.key:
            continue
        other_zone = link.parent
        if other_zone == zone.key:
            raise ArmError(409, "Conflict", f"Private zone '{zone.name}' is already linked to the virtual network "
                                            f"'{vnet.id}'.")
        if other_zone.rsplit("/", 1)[-1] == zone.name.lower():
            raise ArmError(400, "BadRequest",
                           "A virtual network cannot be linked to multiple zones with overlapping namespaces. You "
                           f"tried to link virtual network with '{zone.name}' and '{zone.name}' zones.")
    now = time.time()
    if existing:
        if existing.props["virtualNetwork"]["id"].lower() != vnet.key:
            # Unconfirmed code/message: the VNet of an existing link cannot be changed.
            raise ArmError(400, "BadRequest", f"The virtual network of virtual network link '{target.name}' cannot "
                                              "be changed.")
        existing.props["registrationEnabled"] = bool(props.get("registrationEnabled", False))
        existing.body.update(tags=body.get("tags", existing.body.get("tags")), etag=new_etag(weak=False))
        res = existing
    else:
        res = world.add(T_LINK, target.id, {
            "location": "global", "tags": body.get("tags") or {}, "etag": new_etag(weak=False),
            "properties": {"virtualNetwork": {"id": vnet.id},
                           "registrationEnabled": bool(props.get("registrationEnabled", False)),
                           "resolutionPolicy": props.get("resolutionPolicy") or "Default"}},
            created=now, busy_until=now + svc.lro("virtualNetworkLink"), busy_state="Creating")
    op = world.new_operation(max(0.0, res.busy_until - now))
    return Response(202, svc.render(res), svc.dns_op_headers(req, target, op))


_RECORD_FIELDS = {"a": "aRecords", "aaaa": "aaaaRecords", "cname": "cnameRecord", "mx": "mxRecords",
                  "ptr": "ptrRecords", "soa": "soaRecord", "srv": "srvRecords", "txt": "txtRecords"}


def put_record(svc: ArmService, req: Request, target: Target) -> Response:
    world = svc.world
    zone_id = target.id.rsplit("/", 2)[0]
    zone = world.get(zone_id)
    if zone is None:
        raise ArmError(404, "ParentResourceNotFound", "Can not perform requested operation on nested resource. "
                       f"Parent resource '{zone_id.rsplit('/', 1)[-1]}' not found.")
    existing = world.get(target.id)
    svc.check_preconditions(req, existing, target)
    rtype = target.type.rsplit("/", 1)[-1]
    if target.name != "@" and not all(_LABEL_RE.match(x) or x == "*" for x in target.name.split(".")):
        raise ArmError(400, "BadRequest", f"The record set name '{target.name}' is invalid.")
    props = req.json().get("properties") or {}
    ttl = props.get("ttl", 3600)
    if not isinstance(ttl, int) or not 0 <= ttl <= 2147483647:
        raise ArmError(400, "BadRequest", f"The TTL value '{ttl}' is invalid.")
    stored: dict = {"ttl": ttl, "isAutoRegistered": False, "metadata": props.get("metadata") or {},
                    "fqdn": f"{zone.name}." if target.name == "@" else f"{target.name}.{zone.name}."}
    key = _RECORD_FIELDS[rtype.lower()]
    if rtype.upper() == "A":
        for rec in props.get("aRecords") or []:
            try:
                ipaddress.IPv4Address(str(rec.get("ipv4Address")))
            except ValueError:
                raise ArmError(400, "BadRequest", f"The IPv4 address '{rec.get('ipv4Address')}' is invalid.") \
                    from None
    if key in props:
        stored[key] = props[key]
    elif rtype.upper() == "A":
        stored[key] = []
    canon_type = f"{T_ZONE}/{rtype.upper()}"
    if existing:
        existing.body.update(properties=stored, etag=new_etag(weak=False))
        return Response(200, svc.render(existing))
    res = world.add(canon_type, f"{zone.id}/{rtype.upper()}/{target.name}",
                    {"etag": new_etag(weak=False), "type": canon_type, "properties": stored})
    return Response(201, svc.render(res))


_PUT: dict[str, Callable[[ArmService, Request, Target], Response]] = {
    T_VNET.lower(): put_vnet, T_SUBNET.lower(): put_subnet, T_NSG.lower(): put_nsg, T_RULE.lower(): put_rule,
    T_NIC.lower(): put_nic, T_PE.lower(): put_private_endpoint, T_ZONE.lower(): put_zone,
    T_LINK.lower(): put_link,
    **{f"{T_ZONE}/{r}".lower(): put_record for r in ("A", "AAAA", "CNAME", "MX", "PTR", "SRV", "TXT")},
}


# ---- HTTP -------------------------------------------------------------------------------------------------
def _parse_query(qs: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(qs, keep_blank_values=True).items()}


class ArmHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into `Request`s for the service, with the fault knobs around it."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 120
    service: ArmService
    control: Callable[[Request], Response]

    def setup(self) -> None:
        super().setup()
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.serve()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

    def read_request(self) -> Request:
        raw_path, _, qs = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(self.command, unquote(raw_path), raw_path, _parse_query(qs), headers, body)

    def serve(self) -> None:
        req = self.read_request()
        if req.path.lower().startswith("/_sandbox"):
            self.send(req, self.control(req))
            return
        svc = self.service
        number, started = svc.next_number(), time.time()
        knobs = svc.knobs
        drop = number in knobs.drop_at or (knobs.drop_from is not None and number >= knobs.drop_from)
        if drop and knobs.drop_mode == "before":
            self.close_connection = True
            svc.record(LoggedRequest(number, req.method, req.path, 0, started, time.time() - started, True))
            return
        if knobs.latency > 0:
            time.sleep(knobs.latency)
        resp = self.fault(req) or svc.handle(req)
        if drop:
            self.close_connection = True
            svc.record(LoggedRequest(number, req.method, req.path, resp.status, started, time.time() - started,
                                     True))
            return
        # Logged before the answer goes out, so a client that has its answer always finds it in the log.
        svc.record(LoggedRequest(number, req.method, req.path, resp.status, started, time.time() - started))
        self.send(req, resp)

    def fault(self, req: Request) -> Response | None:
        svc, knobs = self.service, self.service.knobs
        if knobs.throttle_rate > 0 and svc.roll() < knobs.throttle_rate:
            ms = max(1, int(knobs.throttle_retry_after_ms))
            return Response(429, {"error": {"code": "TooManyRequests", "message": (
                "The request is being throttled as the limit has been reached for operation type - "
                f"{'Read' if req.method == 'GET' else 'Write'}_ObservationWindow_00:05:00. For more information, "
                "refer to - https://aka.ms/srpthrottlinglimits")}},
                retry_headers(ms))
        if knobs.error_rate > 0 and svc.roll() < knobs.error_rate:
            return Response(500, {"error": {"code": "InternalServerError", "message": (
                f"Encountered internal server error. Diagnostic information: timestamp "
                f"'{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}', subscription id "
                f"'{svc.world.subscription_id}', tracking id '{uuid.uuid4()}', request correlation id "
                f"'{req.headers.get('x-ms-correlation-request-id', uuid.uuid4())}'.")}})
        return None

    def send(self, req: Request, resp: Response) -> None:
        payload = resp.raw if resp.raw is not None else (b"" if resp.body is None else json.dumps(resp.body).encode())
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-correlation-request-id",
                         req.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4()))
        if "x-ms-client-request-id" in req.headers:
            self.send_header("x-ms-client-request-id", req.headers["x-ms-client-request-id"])
        self.send_header("Cache-Control", "no-cache")
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if req.method != "HEAD" and payload:
            self.wfile.write(payload)


class TlsHttpServer(ThreadingHTTPServer):
    """A threading HTTPS server: TLS handshakes happen in the request threads; TCP_NODELAY on every socket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(tls)
        return tls, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close every open keep-alive connection, so nothing is served after stop."""
        with self._open_lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass   # dropped and reset connections are expected here


def serve_arm(service: ArmService, context: ssl.SSLContext, control: Callable[[Request], Response],
              host: str = "127.0.0.1", port: int = 0) -> tuple[TlsHttpServer, threading.Thread]:
    """Start the ARM server in a daemon thread; returns the server and its thread."""
    handler = type("BoundArmHandler", (ArmHandler,), {"service": service, "control": staticmethod(control)})
    server = TlsHttpServer((host, port), handler, context)
    service.base_url = f"https://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="sandbox-arm", daemon=True)
    thread.start()
    return server, thread
