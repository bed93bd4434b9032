"""`ArmService`: one ARM (world + knobs + request log), turning one request into one response.

`handle` authenticates, requires an api-version, and under the world lock routes the path: subscriptions,
tenants and locations, resource groups (`resources.py`), operation polling (`lro.py`), the visibility check
(`private_endpoints.py`), and resources under a group, whose GET is generic here and whose PUT and DELETE go
to the handlers that `network`, `private_endpoints` and `private_dns` register by type. Paths and types are
matched case-insensitively; ids keep the casing they were created with. The fault knobs and the HTTP side are
in `http.py`; authentication and authorization in `access.py`.

Authorization is ARM's, made here before any provider sees the request: every read needs `<type>/read`, every
write `<type>/write` or `/delete`, at the request's own scope (a subscription-wide list at the subscription, a list
in a resource group at the group, one resource at its id), and before existence is checked (a principal without
access gets 403, not 404). A PUT that refers to a subnet or VNet also gets ARM's linked access check
(`LINKED_ACCESS`). Lists of resource groups are filtered rather than refused.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import quote

from wizard.sandbox.arm import containerservice, network, peering, private_dns, private_endpoints
from wizard.sandbox.arm.access import AccessMixin
from wizard.sandbox.arm.lro import LroMixin
from wizard.sandbox.arm.model import ArmError, Knobs, LoggedRequest, Request, Response, Target, no_type, not_found
from wizard.sandbox.arm.resources import group_json, group_verb, location_json, subscription_json, tenant_json
from wizard.sandbox.world import (
    DNS_TYPES,
    KNOWN_TYPES,
    RESOLVER_TYPES,
    T_LINK,
    T_PE,
    T_PEERING,
    T_VNET,
    T_ZONE,
    Resource,
    ResourceGroup,
    Subscription,
    World,
    rg_id,
)

_PUT: dict[str, Callable[[ArmService, Request, Target], Response]] = {
    **network.PUT, **private_endpoints.PUT, **private_dns.PUT, **peering.PUT}
_DELETE: dict[str, Callable[[ArmService, Request, Target, Resource], Response]] = {
    **network.DELETE, **private_dns.DELETE, T_PEERING.lower(): network.delete}
_VERB_ACTION = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}
RG_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"
# ARM's linked access checks: (type written) -> (where the body names the linked resource, the action needed on it).
# A private endpoint needs join on its subnet (Microsoft's private endpoint permission list; the
# LinkedAuthorizationFailed in F5Networks/f5-azure-arm-templates#177 names subnets/join/action on a subnet in another
# group); a private DNS VNet link needs join on the VNet (the Private DNS Zone Contributor role carries
# Microsoft.Network/virtualNetworks/join/action for exactly this: built-in-roles/networking.md).
LINKED_ACCESS: dict[str, tuple[tuple[str, ...], str]] = {
    T_PE.lower(): (("properties", "subnet", "id"), "Microsoft.Network/virtualNetworks/subnets/join/action"),
    T_LINK.lower(): (("properties", "virtualNetwork", "id"), "Microsoft.Network/virtualNetworks/join/action"),
    # A peering needs peer on the remote VNet (virtual-network-manage-peering, "Permissions":
    # Microsoft.Network/virtualNetworks/peer/action).
    T_PEERING.lower(): (("properties", "remoteVirtualNetwork", "id"), "Microsoft.Network/virtualNetworks/peer/action"),
}


class ArmService(AccessMixin, LroMixin):
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
        self.pod_network: containerservice.PodNetwork | None = None   # set by the Sandbox: what AKS pods see

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

    # ---- calls from the rest of the sandbox (control, Astro endpoint, DNS server) ----
    def set_connection_state(self, pe_id: str | None, status: str, description: str | None) -> list[str]:
        if status not in ("Pending", "Approved", "Rejected", "Disconnected"):
            raise ArmError(400, "InvalidConnectionStatus", f"Unknown connection status '{status}'.")
        with self.lock:
            if pe_id:
                pe = self.world.get(pe_id)
                if pe is None:
                    raise ArmError(404, "NotFound", f"Resource {pe_id} not found.")
                pes = [pe]
            else:
                pes = self.world.of_type(T_PE)
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
        """Zones, links and records as GET renders them; then, stored as they are, what the DNS view needs of the
        network (dns.py): VNets with custom DNS servers and the DNS Private Resolver's resources."""
        with self.lock:
            out = list(self.world.all_resources(DNS_TYPES, approve_after=self.knobs.approve_after))
            out += [r.body for r in self.world.of_type(T_VNET) if (r.props.get("dhcpOptions") or {}).get("dnsServers")]
            out += [r.body for t in RESOLVER_TYPES for r in self.world.of_type(t)]
            return out

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
            return Response(err.status, {"error": err.to_json()}, err.headers)

    # ---- routing ----
    def route(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        low = path.lower()
        parts = path.strip("/").split("/")
        lparts = low.strip("/").split("/")
        # Subscriptions, tenants, locations and operation polls are not gated on a role at subscription scope:
        # a principal whose roles are on resource groups still sees its subscription (azure-cli#27586: `az group
        # list` works with such access once the subscription is selected). Unconfirmed which action ARM checks.
        if low == "/subscriptions" and req.method == "GET":
            return self.page(req, [subscription_json(s) for s in self.visible_subscriptions()])
        if low == "/tenants" and req.method == "GET":   # every tenant the user is in, whichever the token's is
            others = self.world.other_tenants.items()
            return self.page(req, [tenant_json(self.world.tenant_id)] + [
                tenant_json(tid, name, domain, "ProjectedBy") for tid, (name, domain) in others])
        if lparts[0] != "subscriptions":
            raise ArmError(404, "NotFound", f"The requested path '{path}' was not found.")
        sub = self.require_subscription(parts[1])
        rest, lrest = parts[2:], lparts[2:]
        if not rest:
            return self.expect(req, "GET", lambda: Response(200, subscription_json(sub)))
        if lrest == ["locations"]:
            return self.expect(req, "GET", lambda: self.page(req, [location_json(sub.subscription_id, loc)
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
            # Not gated on a subscription-scope role: principals whose roles are on resource groups create
            # endpoints and poll these every day. (Unconfirmed which action ARM checks here, if any.)
            what, opid = lrest[3], rest[4]
            if what == "operations":
                return self.expect(req, "GET", lambda: self.operation_status(req, opid))
            if what == "operationresults":
                return self.expect(req, "GET", lambda: self.operation_result(req, opid))
        if ns == "microsoft.network" and len(rest) == 4 and lrest[1] == "locations" \
                and lrest[3] == "checkprivatelinkservicevisibility":
            return self.expect(req, "POST", lambda: private_endpoints.check_visibility(self, req, sub, rest[2]))
        if len(rest) == 2:
            type_ = KNOWN_TYPES.get(f"{ns}/{lrest[1]}")
            if type_ is None:
                raise no_type(rest[0], rest[1])
            scope = f"/subscriptions/{sub}"
            # A subscription-wide list is authorized at the subscription: roles on resource groups do not reach it
            # (terraform-provider-azurerm#26597, rmbolger/Posh-ACME#229: listing zones across the subscription is
            # refused to a principal with Contributor on a resource group only).
            if req.method == "GET":
                self.authorize(f"{type_}/read", scope)
            return self.expect(req, "GET", lambda: self.page_resources(req, self.world.listing(type_, scope)))
        raise ArmError(404, "NotFound", f"The requested path '{req.path}' was not found.")

    def route_groups(self, req: Request, sub: str, rest: list[str], lrest: list[str]) -> Response:
        if not rest:
            # Filtered, not refused: a principal sees the groups it can read (azure-cli#27586: `az group list`
            # "lists resource groups in the subscription that you have access to").
            return self.expect(req, "GET", lambda: self.page(req, [
                group_json(g) for g in self.world.groups_in(sub) if self.allowed(RG_READ, g.id)]))
        name = rest[0]
        scope = rg_id(sub, name)
        if len(rest) == 1:
            if req.method in ("GET", "HEAD"):
                self.authorize(RG_READ, scope)
            return group_verb(self, req, sub, name)
        if lrest[1] != "providers" or len(rest) < 4:
            raise ArmError(404, "NotFound", f"The requested path '{req.path}' was not found.")
        ns, segs, lsegs = rest[2], rest[3:], lrest[3:]
        if lrest[2] == "microsoft.network" and len(segs) == 3 and lsegs[0] == "locations" \
                and lsegs[2] == "checkprivatelinkservicevisibility":
            return self.expect(req, "POST", lambda: private_endpoints.check_visibility(self, req, sub, segs[1], name))
        if lrest[2] == "microsoft.network" and len(segs) == 2 and lsegs[0] in (
                "privatednsoperationstatuses", "privatednsoperationresults"):
            # Authorized at the group: Private DNS Zone Contributor carries privateDnsOperationStatuses/* and
            # privateDnsOperationResults/* for these polls (built-in-roles/networking.md).
            kind = "privateDnsOperationStatuses" if lsegs[0] == "privatednsoperationstatuses" else \
                "privateDnsOperationResults"
            self.authorize(f"Microsoft.Network/{kind}/read", scope)
            self.require_group(sub, name)
            if lsegs[0] == "privatednsoperationstatuses":
                return self.expect(req, "GET", lambda: self.operation_status(req, segs[1]))
            return self.expect(req, "GET", lambda: self.operation_result(req, segs[1]))
        if lrest[2] == "microsoft.containerservice" and len(segs) >= 3 and lsegs[0] == "managedclusters" \
                and lsegs[2] in ("runcommand", "commandresults"):
            return containerservice.route(self, req, sub, name, segs, lsegs)
        types, names = lsegs[0::2], segs[1::2]
        if lrest[2] == "microsoft.network" and len(lsegs) == 3 and lsegs[0] == "privatednszones" \
                and lsegs[2] in ("recordsets", "all"):
            zone_id = f"{scope}/providers/{T_ZONE}/{names[0]}"
            self.authorize(f"{T_ZONE}/{'recordsets' if lsegs[2] == 'recordsets' else 'ALL'}/read", zone_id)
            group = self.require_group(sub, name)
            zone = self.require_parent(sub, group, ["privatednszones"], names, T_ZONE)
            return self.expect(req, "GET", lambda: self.page_resources(req, [
                r for r in self.world.children(zone.id) if r.type.lower() != T_LINK.lower()]))
        type_ = KNOWN_TYPES.get("/".join([lrest[2], *types]))
        if type_ is None:
            raise no_type(ns, "/".join(segs[0::2]))
        canon = type_.split("/")[1:]
        # The request's scope: the collection's parent (the group, or the parent resource) or the resource itself.
        tail = "/".join(f"{t}/{n}" for t, n in zip(canon[:len(names)], names, strict=True))
        at = f"{scope}/providers/{type_.split('/')[0]}/{tail}" if tail else scope
        self.authorize(f"{type_}/{_VERB_ACTION.get(req.method, 'read')}", at)
        group = self.require_group(sub, name)
        if len(segs) % 2 == 1:   # a collection: list children
            if len(segs) == 1:
                return self.expect(req, "GET", lambda: self.page_resources(
                    req, self.world.children(group.id, type_)))
            parent = self.require_parent(sub, group, types[:-1], names, KNOWN_TYPES.get(
                "/".join([lrest[2], *types[:-1]]), ""))
            return self.expect(req, "GET", lambda: self.page_resources(req, self.world.children(parent.id, type_)))
        tail = "/".join(f"{t}/{n}" for t, n in zip(canon, names, strict=True))
        rid = f"{group.id}/providers/{type_.split('/')[0]}/{tail}"
        parent_id = rid.rsplit("/", 2)[0] if len(names) > 1 else None
        target = Target(sub=sub, rg=group.name, type=type_, id=rid, name=names[-1], parent_id=parent_id)
        if req.method == "PUT":
            self.check_linked_access(req, target)
        return self.resource_verb(req, target)

    def require_group(self, sub: str, name: str) -> ResourceGroup:
        group = self.world.group(sub, name)
        if group is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return group

    def check_linked_access(self, req: Request, target: Target) -> None:
        """ARM's linked access check for a PUT whose body refers to a subnet or VNet (see `LINKED_ACCESS`)."""
        linked = LINKED_ACCESS.get(target.type.lower())
        if linked is None:
            return
        path, action = linked
        value: object = req.json()
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value.startswith("/"):
            self.authorize_linked(f"{target.type}/write", target.id, action, value)

    def require_parent(self, sub: str, group: ResourceGroup, types: list[str], names: list[str],
                       ptype: str) -> Resource:
        type_ = KNOWN_TYPES.get("/".join(["microsoft.network", *types]), ptype)
        canon = type_.split("/")[1:]
        tail = "/".join(f"{t}/{n}" for t, n in zip(canon, names, strict=True))
        pid = f"{group.id}/providers/Microsoft.Network/{tail}"
        parent = self.world.get(pid)
        if parent is None:
            raise not_found(Target(sub, group.name, type_, pid, names[len(canon) - 1],
                                   pid.rsplit("/", 2)[0] if len(canon) > 1 else None))
        return parent

    def require_subscription(self, sub_id: str) -> Subscription:
        sub = self.world.subscription(sub_id)
        if sub is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        self.check_tenant(sub)
        return sub

    # ---- paging ----
    def page(self, req: Request, items: Sequence) -> Response:
        try:
            skip = max(0, int(req.query.get("$skiptoken", "0")))
        except ValueError:
            raise ArmError(400, "InvalidSkipToken", "The skip token is invalid.") from None
        size = max(1, int(self.knobs.page_size))
        chunk = list(items[skip:skip + size])
        body: dict = {"value": chunk}
        if skip + size < len(items):
            body["nextLink"] = (f"{self.base_url}{req.raw_path}?api-version={quote(req.api_version)}"
                                f"&%24skiptoken={skip + size}")
        return Response(200, body)

    def page_resources(self, req: Request, resources: Sequence[Resource]) -> Response:
        resp = self.page(req, resources)
        now = time.time()
        resp.body["value"] = [self.world.render(r, now, self.knobs.approve_after) for r in resp.body["value"]]
        return resp

    # ---- generic resource verbs ----
    def resource_verb(self, req: Request, target: Target) -> Response:
        if req.method == "GET":
            if target.parent_id and self.world.get(target.parent_id) is None:
                parent = Target(target.sub, target.rg, target.type.rsplit("/", 1)[0], target.parent_id,
                                target.parent_id.rsplit("/", 1)[-1], None)
                raise not_found(parent)
            res = self.world.get(target.id)
            if res is None:
                raise not_found(target)
            return Response(200, self.world.render(res, time.time(), self.knobs.approve_after))
        if req.method == "PUT":
            handler = _PUT.get(target.type.lower())
            if handler is None:
                raise ArmError(405, "MethodNotAllowed", f"PUT is not supported for {target.type} in the sandbox.")
            return handler(self, req, target)
        if req.method == "DELETE":
            res = self.world.get(target.id)
            if res is None:
                return Response(204)
            remover = _DELETE.get(target.type.lower())
            if remover is None:
                raise ArmError(405, "MethodNotAllowed", f"DELETE is not supported for {target.type} in the sandbox.")
            return remover(self, req, target, res)
        raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")

    def remove(self, resource_id: str) -> None:
        """Remove a resource and everything beneath it, releasing what each removed resource held."""
        for removed in self.world.remove(resource_id):
            self.after_removed(removed)

    def after_removed(self, res: Resource) -> None:
        network.after_removed(self.world, res)
        peering.after_removed(self.world, res)

    def render(self, res: Resource) -> dict:
        return self.world.render(res, time.time(), self.knobs.approve_after)
