"""What a verify run produces: one `CheckResult` per check, gathered in a `VerifyReport`, plus the names of the
checks (the JSON `name` field), their titles, and the constants the checks compare against.

Plain data only: no Azure, no network, no UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT = 3.0          # seconds, per network check (DNS lookup; HTTPS request)
EXPECTED_BODY = "404 page not found"   # what Astro answers at / through the endpoint
AZURE_DNS = "168.63.129.16"

# Names of the checks, in report order (the JSON `name` field).
CONNECTION, LINKS, RECORD, DNS, HTTPS = "connection_state", "zone_links", "a_record", "dns", "https"
PEERING = "peering"   # only when there are agents' VNets besides the endpoint's (steps/network_facts.py)
TITLES = {CONNECTION: "Endpoint connection approved", LINKS: "Zone linked to the agents' VNets",
          RECORD: "A record points to the endpoint", DNS: "Name resolves to the endpoint",
          HTTPS: "HTTPS answers through the endpoint", PEERING: "Agents' VNets peered with the endpoint's",
          "in_cluster": "Checks run in the AKS cluster"}   # steps/verify/in_cluster.py (verify --from-aks)


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str                      # what was seen, one line
    diagnosis: str | None = None     # cause and next action (None when ok)
    # the setup step that fixes it: private_endpoint | dns_zone | vnet_links | a_record | approval
    fix_step: str | None = None
    seconds: float | None = None     # how long the check took
    skipped: bool = False            # not run because an earlier check makes it meaningless or unsafe
    where: str = "this machine"      # where it ran: LOCAL, or "AKS cluster <name>" (verify --from-aks)

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ok": self.ok, "detail": self.detail, "diagnosis": self.diagnosis,
                               "fix_step": self.fix_step, "where": self.where}
        if self.skipped:
            out["skipped"] = True
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
        return out


SYSTEM_RESOLVER = "system resolver"
LOCAL = "this machine"   # CheckResult.where of the checks run here (Azure reads included)


def nameserver_text(nameserver: tuple[str, int] | None) -> str:
    """The nameserver as `--nameserver` takes it ('10.0.0.10:53', '[::1]:5353'), or "system resolver"."""
    if nameserver is None:
        return SYSTEM_RESOLVER
    host, port = nameserver
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class VerifyReport:
    checks: list[CheckResult]
    host: str = ""
    nameserver: str = SYSTEM_RESOLVER  # HOST:PORT (the JSON's value), or SYSTEM_RESOLVER
    timeout: float = DEFAULT_TIMEOUT
    duration: float = 0.0
    outside_vnet: bool = False                 # the network checks probably ran outside the agents' VNet
    inside_commands: list[str] = field(default_factory=list)  # run these from inside the cluster instead

    in_cluster: str | None = None   # where the in-cluster checks ran ("AKS cluster aks-prod"), when they were asked for

    @property
    def verified_inside(self) -> bool:
        """The checks from the cluster ran and passed while those from here ran outside the VNet."""
        return bool(self.in_cluster) and self.outside_vnet and any(
            c.where == self.in_cluster and c.name == HTTPS and c.ok for c in self.checks)

    @property
    def decisive(self) -> list[CheckResult]:
        """The checks the verdict rests on: all of them, except the network checks from here when they ran outside
        the VNet and the cluster's own checks ran (the answer from outside is the public one by design)."""
        if self.in_cluster and self.outside_vnet:
            return [c for c in self.checks if not (c.where == LOCAL and c.name in (DNS, HTTPS))]
        return list(self.checks)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.decisive)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "host": self.host, "nameserver": self.nameserver, "timeout_seconds": self.timeout,
                "duration_seconds": round(self.duration, 3), "outside_vnet": self.outside_vnet,
                "inside_commands": list(self.inside_commands), "in_cluster": self.in_cluster,
                "checks": [c.to_json() for c in self.checks]}


# What verify reads of the agents' VNets (steps.verify.azure_reads) and judges NSGs by (steps.verify.nsg).
@dataclass
class SubnetInfo:
    id: str
    name: str
    prefixes: list[str]
    nsg_id: str | None
    route_table_id: str | None
    pe_policies: str


@dataclass
class VNetSpace:
    id: str
    name: str
    prefixes: list[str]          # its own address space
    peered_prefixes: list[str]   # address spaces of peered VNets (part of the VirtualNetwork tag)
    dns_servers: list[str]       # custom DNS servers (empty: Azure-provided DNS)
    subnets: list[SubnetInfo]
