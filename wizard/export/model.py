"""What to export, whatever the format: the `ExportPlan` and its parts, the formats and their file names.

An `ExportPlan` is built from the engine's plans (`wizard.export.build`) and read by the three renderers
(`az`, `terraform`, `bicep`). It says what is still to create and what exists already (referenced, never
changed); `todo` and `existing` put that in the words every format's header uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from steps.registry import BY_KEY
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.statefiles import write_private

FORMATS = ("az", "terraform", "bicep")
SUFFIXES = {"az": ".sh", "terraform": ".tf", "bicep": ".bicep"}
FORMAT_TITLES = {"az": "Azure CLI script (bash)", "terraform": "Terraform (azurerm)", "bicep": "Bicep"}


class ExportError(Exception):
    """The plan cannot be exported; the message says why and what to do."""


def step_name(key: str) -> str:
    """'Step N' for a documented step; N is its number in `steps.registry`."""
    return f"Step {BY_KEY[key].number}"


# -- what to export, whatever the format ---------------------------------------------------------------
@dataclass
class EndpointPart:
    create: bool
    subscription: str
    resource_group: str
    name: str
    id: str
    region: str = ""
    subnet_id: str = ""
    nic_name: str | None = None
    connection_name: str = ""
    request_message: str = ""
    alias: str = ""


@dataclass
class ZonePart:
    create: bool
    subscription: str
    resource_group: str
    id: str
    name: str = ASTRO_DNS_ZONE


@dataclass
class LinkPart:
    create: bool
    name: str
    vnet_id: str
    vnet_name: str


@dataclass
class RecordPart:
    action: str  # "create" | "update" | "done"
    name: str
    ttl: int
    old_ips: list[str] = field(default_factory=list)
    ip: str | None = None  # known when the endpoint exists


@dataclass
class ExportPlan:
    cluster_id: str
    api_url: str
    endpoint: EndpointPart
    zone: ZonePart
    links: list[LinkPart]
    record: RecordPart
    support_text: str
    approved: bool

    @property
    def todo(self) -> list[str]:
        ep, zone, rec = self.endpoint, self.zone, self.record
        out = []
        if ep.create:
            out.append(f"{step_name('private_endpoint')}: create private endpoint {ep.resource_group}/{ep.name} in "
                       f"{ep.region} (manual connection to the alias; Astronomer approves it)")
        if zone.create:
            out.append(f"{step_name('dns_zone')}: create private DNS zone {ASTRO_DNS_ZONE} in resource group "
                       f"{zone.resource_group}")
        for lk in self.links:
            if lk.create:
                out.append(f"{step_name('vnet_links')}: link the zone to VNet {lk.vnet_name} as '{lk.name}' "
                           "(registration off)")
        if rec.action == "create":
            out.append(f"{step_name('a_record')}: add A record {rec.name}.{ASTRO_DNS_ZONE} -> the endpoint's "
                       "private IP")
        elif rec.action == "update":
            out.append(f"{step_name('a_record')}: point A record {rec.name}.{ASTRO_DNS_ZONE} at the endpoint's "
                       f"private IP (now: {', '.join(rec.old_ips) or 'nothing'})")
        return out

    @property
    def existing(self) -> list[str]:
        out = []
        if not self.endpoint.create:
            out.append(f"private endpoint {self.endpoint.resource_group}/{self.endpoint.name}")
        if not self.zone.create:
            out.append(f"private DNS zone {ASTRO_DNS_ZONE} in resource group {self.zone.resource_group}")
        out += [f"link '{lk.name}' to VNet {lk.vnet_name}" for lk in self.links if not lk.create]
        if self.record.action == "done":
            out.append(f"A record {self.record.name}.{ASTRO_DNS_ZONE} -> {self.record.ip}")
        return out


# -- file names and writing a file ----------------------------------------------------------------------
def default_filename(cluster_id: str | None, fmt: str) -> str:
    return f"astro-privatelink-{cluster_id or 'setup'}{SUFFIXES[fmt]}"


def write_export(path: Path, text: str, fmt: str) -> None:
    """Write an export to `path` atomically (temp file + rename: a symlink planted there is replaced, never followed;
    a file half-written is never left). It names the subscription, groups and resources, so it is the user's alone:
    0600, and the az script 0700 (the user asked for a script to run; executable for them, for nobody else).
    Raises OSError."""
    write_private(path, text, mode=0o700 if fmt == "az" else 0o600)
