"""The sandbox: a local Azure on loopback, wiring the ARM server, the DNS server and the Astro endpoint.

    with Sandbox(world="demo") as sb:
        ...  # point the azure-mgmt clients at sb.arm_endpoint, trusting sb.ca_file, with sb.token

`run_foreground` starts one for a terminal (`astro-privatelink sandbox`): it prints `export` lines for a
second shell and blocks until interrupted. The CA certificate (public) is the only file written, in a
private temporary directory removed at stop; the token is never written to disk.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from typing import IO, TYPE_CHECKING

from wizard.sandbox import seeds, worlds
from wizard.sandbox.arm import ArmError, ArmService, Knobs, LoggedRequest, Request, Response, serve_arm
from wizard.sandbox.certs import SandboxCA
from wizard.sandbox.tokens import main_token_book
from wizard.sandbox.world import World

if TYPE_CHECKING:
    from wizard.sandbox.arm.http import TlsHttpServer
    from wizard.sandbox.astro import AstroServer
    from wizard.sandbox.astro_api import AstroApiServer, AstroApiService, AstroApiWorld
    from wizard.sandbox.dns import DnsAnswer, DnsServer

__all__ = ["Knobs", "LoggedRequest", "Sandbox", "run_foreground"]

OBJECT_ID = seeds.PRINCIPAL_ID   # the signed-in principal; the seed worlds assign it its roles
PUBLIC_ASTRO_ADDRESS = "203.0.113.10"   # TEST-NET-3: what public DNS would answer for the cluster host
WRITE_METHODS = ("PUT", "PATCH", "DELETE")


class Sandbox:
    """A started-on-demand local Azure (ARM over HTTPS, private DNS, the Astro endpoint)."""

    def __init__(self, world: str = "demo", token: str | None = None, approve_after: float | None = None,
                 dns_vnet: str | None = None) -> None:
        self._world_name = world
        self._approve_after = approve_after
        self._dns_vnet = dns_vnet
        self._initial = worlds.build(world)
        self.subscription_id = self._initial.subscription_id
        self.tenant_id = self._initial.tenant_id
        # Tokens per tenant with an expiry (wizard/sandbox/tokens.py); `token` is the main one, of the home tenant.
        self.tokens, self.token = main_token_book(self.tenant_id, OBJECT_ID, token)
        self.ca: SandboxCA | None = None
        self._tmp: str | None = None
        self._arm_server: TlsHttpServer | None = None
        self._service: ArmService | None = None
        self._dns: DnsServer | None = None
        self._astro: AstroServer | None = None
        self._astro_api: AstroApiServer | None = None

    # ---- lifecycle ----
    def start(self) -> Sandbox:
        if self._service is not None:
            return self
        from wizard.sandbox.astro import AstroServer
        from wizard.sandbox.dns import DnsServer
        self.ca = SandboxCA.create()
        self._tmp = tempfile.mkdtemp(prefix="astro-pl-sandbox-")
        os.chmod(self._tmp, 0o700)
        self.ca.write_cert(os.path.join(self._tmp, "ca.pem"))
        world = self._initial
        self._service = ArmService(world, self.token, OBJECT_ID, self.default_knobs(world))
        self._service.tokens = self.tokens
        from wizard.sandbox.arm.containerservice import PodNetwork
        self._service.pod_network = PodNetwork(self.ca.cert_pem, PUBLIC_ASTRO_ADDRESS)
        self._astro = AstroServer(self.ca, self._service.is_reachable, lambda: self.knobs).start()
        world.on_ip_added.append(self._astro.add_address)
        world.on_ip_removed.append(self._astro.remove_address)
        self._dns = DnsServer(self._lookup).start()
        context = self.ca.server_context(["localhost"], ["127.0.0.1"])
        self._arm_server, _ = serve_arm(self._service, context, self._control)
        from wizard.sandbox.astro_api import AstroApiServer, AstroApiService
        self._astro_api = AstroApiServer(self.ca, AstroApiService(self._astro_api_world())).start()
        return self

    def stop(self) -> None:
        if self._arm_server is not None:
            self._arm_server.shutdown()
            self._arm_server.server_close()
            self._arm_server.close_connections()
            self._arm_server = None
        for part in (self._dns, self._astro, self._astro_api):
            if part is not None:
                part.stop()
        self._dns = self._astro = self._astro_api = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._service = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- properties ----
    @property
    def service(self) -> ArmService:
        if self._service is None:
            raise RuntimeError("the sandbox is not started")
        return self._service

    @property
    def arm_endpoint(self) -> str:
        return self.service.base_url

    @property
    def ca_file(self) -> str:
        if not self._tmp:
            raise RuntimeError("the sandbox is not started")
        return os.path.join(self._tmp, "ca.pem")

    @property
    def ca_pem(self) -> bytes:
        assert self.ca is not None
        return self.ca.cert_pem

    @property
    def dns_address(self) -> tuple[str, int]:
        if self._dns is None:
            raise RuntimeError("the sandbox is not started")
        return self._dns.address

    @property
    def astro_port(self) -> int:
        if self._astro is None:
            raise RuntimeError("the sandbox is not started")
        return self._astro.port

    @property
    def world(self) -> World:
        return self.service.world

    @property
    def knobs(self) -> Knobs:
        return self.service.knobs

    @knobs.setter
    def knobs(self, value: Knobs) -> None:
        self.service.knobs = value

    @property
    def demo_alias(self) -> str:
        return self.world.demo_alias

    @property
    def demo_cluster_id(self) -> str:
        return self.world.demo_cluster_id

    @property
    def demo_api_url(self) -> str:
        return f"https://{self.demo_cluster_id}.external.astronomer.run:{self.astro_port}"

    @property
    def astro_api(self) -> AstroApiService:
        """The Astro Platform API's state and knobs (issue 14)."""
        if self._astro_api is None:
            raise RuntimeError("the sandbox is not started")
        return self._astro_api.service

    @property
    def astro_api_url(self) -> str:
        if self._astro_api is None:
            raise RuntimeError("the sandbox is not started")
        return self._astro_api.base_url

    @property
    def astro_api_token(self) -> str:
        return self.astro_api.token

    def _astro_api_world(self) -> AstroApiWorld:
        """The Astro side of the seed world: its Azure cluster is the demo cluster, its Remote Execution Deployment
        points at this sandbox's Astro endpoint."""
        from wizard.sandbox.astro_api import seed_world
        return seed_world(self.demo_cluster_id, "eastus", self.demo_api_url)

    def has_resource(self, resource_id: str) -> bool:
        """Whether this sandbox's world holds the resource (a world lives in memory: a new sandbox starts afresh)."""
        return self.world.get(resource_id) is not None

    @property
    def requests(self) -> list[LoggedRequest]:
        return list(self.service.log)

    def writes(self, since: int = 0) -> list[LoggedRequest]:
        """Logged PUT/PATCH/DELETE requests numbered after `since`."""
        return [r for r in self.requests if r.number > since and r.method in WRITE_METHODS]

    # ---- control ----
    def default_knobs(self, world: World) -> Knobs:
        return Knobs(approve_after=self._approve_after, dns_vnet_id=self._dns_vnet or world.default_dns_vnet_id)

    def reset(self, world: str = "demo") -> None:
        """A fresh world, an empty request log and default knobs."""
        fresh = worlds.build(world)
        self.service.reset(fresh, self.default_knobs(fresh))
        self.tokens.offset = 0.0   # the clock back to real time (issued tokens stay valid until they expire)
        if self._astro_api is not None:
            self.astro_api.reset(self._astro_api_world())

    def issue_token(self, tenant_id: str | None = None, *, lifetime: float = 3600,
                    audience: str = "https://management.core.windows.net/") -> str:
        """A new access token for the signed-in principal in `tenant_id` (default: the home tenant), as Azure AD
        would issue one; it expires `lifetime` seconds from the sandbox's clock (`tokens.advance` moves that)."""
        return self.tokens.issue(tenant_id or self.tenant_id, OBJECT_ID, lifetime=lifetime, audience=audience)

    def set_connection_state(self, pe_id: str | None = None, status: str = "Approved",
                             description: str | None = None) -> list[str]:
        return self.service.set_connection_state(pe_id, status, description)

    def approve(self, pe_id: str | None = None) -> list[str]:
        return self.set_connection_state(pe_id, "Approved")

    def env(self) -> dict[str, str]:
        host, port = self.dns_address
        return {"ASTRO_PL_ARM_ENDPOINT": self.arm_endpoint, "ASTRO_PL_ACCESS_TOKEN": self.token,
                "ASTRO_PL_CA_FILE": self.ca_file, "ASTRO_PL_DNS_SERVER": f"{host}:{port}",
                "ASTRO_PL_SUBSCRIPTION_ID": self.subscription_id, "ASTRO_PL_DEMO_ALIAS": self.demo_alias,
                "ASTRO_PL_DEMO_API_URL": self.demo_api_url, "ASTRO_PL_ASTRO_API": self.astro_api_url,
                "ASTRO_API_TOKEN": self.astro_api_token}

    def _lookup(self, name: str) -> DnsAnswer:
        from wizard.sandbox.dns import answer_from_world
        return answer_from_world(self.service.dns_resources(), self.knobs.dns_vnet_id, name, PUBLIC_ASTRO_ADDRESS,
                                 dict(self.world.dns_forwarders))

    def _control(self, req: Request) -> Response:
        """`/_sandbox/...` calls: request log, connection state, knobs, reset (bearer token required).

        `POST /_sandbox/knobs {"role_assignments": [[role, scope], ...]}` replaces the signed-in principal's roles
        (`"minimal"`: README's least-privilege set for the demo's resource groups; `null`: back to the world's)."""
        try:
            self.service.authenticate(req)
            what = req.path.rstrip("/").lower().split("/")[-1]
            data = req.json() if req.method == "POST" else {}
            if what == "requests" and req.method == "GET":
                return Response(200, {"value": [r.__dict__ for r in self.requests]})
            if what == "knobs" and req.method in ("GET", "POST"):
                if data.get("role_assignments") == "minimal":   # README's least-privilege set, demo layout
                    data = {**data, "role_assignments": seeds.minimal_roles(self.subscription_id)}
                if data:
                    self.knobs.update(data)
                return Response(200, self.knobs.to_json())
            if what == "astro_knobs" and req.method in ("GET", "POST"):   # the Astro API's knobs (issue 14)
                from dataclasses import asdict
                knobs = self.astro_api.knobs
                for key, value in data.items():
                    if not hasattr(knobs, key):
                        raise ArmError(400, "BadRequest", f"Unknown Astro API knob '{key}'.")
                    setattr(knobs, key, type(getattr(knobs, key))(value))
                return Response(200, asdict(knobs))
            if what == "connections" and req.method == "POST":
                ids = self.set_connection_state(data.get("privateEndpointId"), data.get("status", "Approved"),
                                                data.get("description"))
                return Response(200, {"updated": ids})
            if what == "reset" and req.method == "POST":
                self.reset(data.get("world", "demo"))
                return Response(200, {"world": data.get("world", "demo")})
            raise ArmError(404, "NotFound", f"Unknown sandbox control call {req.method} {req.path}.")
        except ArmError as err:
            return Response(err.status, {"error": {"code": err.code, "message": err.message}})
        except (ValueError, TypeError, KeyError) as err:
            return Response(400, {"error": {"code": "BadRequest", "message": str(err)}})


def run_foreground(world: str = "demo", approve_after: float | None = None, out: IO[str] = sys.stdout) -> int:
    """Start a sandbox, print `export` lines for another shell, block until SIGINT/SIGTERM, stop, return 0."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(world=world, approve_after=approve_after) as sb:
            for key, value in sb.env().items():
                print(f"export {key}={shlex.quote(value)}", file=out)
            body = json.dumps({"status": "Approved"})
            print(f"# approve every pending private endpoint connection:\n# curl --cacert \"$ASTRO_PL_CA_FILE\" "
                  f"-H \"Authorization: Bearer $ASTRO_PL_ACCESS_TOKEN\" -H 'Content-Type: application/json' "
                  f"-d '{body}' \"$ASTRO_PL_ARM_ENDPOINT/_sandbox/connections\"", file=out)
            print("# sandbox running; press Ctrl-C to stop", file=out)
            out.flush()
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
