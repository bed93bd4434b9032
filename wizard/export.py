"""Hand the work to an Azure admin: the remaining steps of the plan as an az script, Terraform or Bicep.

Only what the plan says is not done yet is exported; what exists already is referenced (a `data` source in
Terraform, an `existing` resource in Bicep, a lookup in the script), never re-created or changed. The values
are the user's; the private endpoint's IP is read when the code runs (from its network interface), since it
is not known before the endpoint exists.

For the TUI (review screen) and the CLI alike:

    text = render(engine, "az", plans=plans)     # plans: the review's engine.plan() result (else planned now)
    name = default_filename(engine.config.cluster_id, "az")

`render` raises `ExportError` (one message that says what to do) when the plan cannot be exported: step 1
does not pass, Azure could not be read, or something exists that conflicts with the answers.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan
    from wizard.engine import Engine

FORMATS = ("az", "terraform", "bicep")
SUFFIXES = {"az": ".sh", "terraform": ".tf", "bicep": ".bicep"}
FORMAT_TITLES = {"az": "Azure CLI script (bash)", "terraform": "Terraform (azurerm)", "bicep": "Bicep"}
ZONE = "external.astronomer.run"
NETWORK_API = "2023-11-01"
DNS_API = "2020-06-01"


class ExportError(Exception):
    """The plan cannot be exported; the message says why and what to do."""


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
    name: str = ZONE


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
        out = []
        if self.endpoint.create:
            out.append(f"Step 2: create private endpoint {self.endpoint.resource_group}/{self.endpoint.name} in "
                       f"{self.endpoint.region} (manual connection to the alias; Astronomer approves it)")
        if self.zone.create:
            out.append(f"Step 3: create private DNS zone {ZONE} in resource group {self.zone.resource_group}")
        for lk in self.links:
            if lk.create:
                out.append(f"Step 4: link the zone to VNet {lk.vnet_name} as '{lk.name}' (registration off)")
        if self.record.action == "create":
            out.append(f"Step 5: add A record {self.record.name}.{ZONE} -> the endpoint's private IP")
        elif self.record.action == "update":
            out.append(f"Step 5: point A record {self.record.name}.{ZONE} at the endpoint's private IP (now: "
                       f"{', '.join(self.record.old_ips) or 'nothing'})")
        return out

    @property
    def existing(self) -> list[str]:
        out = []
        if not self.endpoint.create:
            out.append(f"private endpoint {self.endpoint.resource_group}/{self.endpoint.name}")
        if not self.zone.create:
            out.append(f"private DNS zone {ZONE} in resource group {self.zone.resource_group}")
        out += [f"link '{lk.name}' to VNet {lk.vnet_name}" for lk in self.links if not lk.create]
        if self.record.action == "done":
            out.append(f"A record {self.record.name}.{ZONE} -> {self.record.ip}")
        return out


def build(engine: Engine, plans: list[Plan] | None = None) -> ExportPlan:
    """Read the plan (and the few facts it rests on) into an `ExportPlan`; raise ExportError when impossible."""
    from steps.a_record import CreateARecord
    from wizard.core.constants import RECORD_TTL
    from steps.approval import support_request
    from steps.base import Action
    from steps.context import LookupProblem
    from steps.private_endpoint import endpoint_id
    from wizard.core.constants import CONNECTION_NAME
    from wizard.core.ids import parse_id
    from wizard.core.validate import request_message

    plans = plans if plans is not None else engine.plan()
    by = {p.step: p for p in plans}
    ctx, cfg = engine.ctx, engine.config
    inputs = by.get("inputs")
    if inputs is None or inputs.action is Action.FAILED:
        why = inputs.summary if inputs else "the inputs were not checked"
        raise ExportError(f"Step 1 does not pass yet, so there is nothing exact to export: {why} "
                          "Fix that (see `astro-privatelink plan`), then export again.")
    problems = []
    for key in ("private_endpoint", "dns_zone", "vnet_links", "a_record"):
        p = by.get(key)
        if p is None:
            continue
        if p.action is Action.FAILED:
            problems.append(f"{key.replace('_', ' ')}: {p.summary}")
        elif p.action is Action.CONFLICT:
            detail = f" ({'; '.join(p.details)})" if p.details else ""
            problems.append(f"{key.replace('_', ' ')}: {p.summary}{detail}")
    if problems:
        raise ExportError("These steps cannot be exported until they are resolved (nothing is ever overwritten):\n  "
                          + "\n  ".join(problems))
    try:
        cid = ctx.cluster_id
        pe_plan = by["private_endpoint"]
        if pe_plan.action in (Action.CREATE, Action.UPDATE):
            endpoint = EndpointPart(
                create=True, subscription=cfg.subscription_id, resource_group=cfg.resource_group,
                name=cfg.endpoint_name, id=endpoint_id(ctx), region=pe_plan.need().region,
                subnet_id=pe_plan.need().subnet_id, nic_name=cfg.nic_name, connection_name=CONNECTION_NAME,
                request_message=request_message(cid), alias=cfg.alias.strip())
            pe_info = None
        else:
            pe_info = ctx.endpoint()
            endpoint = EndpointPart(create=False, subscription=cfg.subscription_id,
                                    resource_group=cfg.resource_group, name=cfg.endpoint_name,
                                    id=pe_info.id if pe_info else endpoint_id(ctx),
                                    region=pe_info.location if pe_info else ctx.region())
        zone_info, _ = ctx.chosen_zone()
        if by["dns_zone"].action is Action.CREATE or zone_info is None:
            zone = ZonePart(create=True, subscription=cfg.subscription_id, resource_group=cfg.zone_resource_group,
                            id=ctx.zone_id_for_new())
        else:
            zone = ZonePart(create=False, subscription=parse_id(zone_info.id).get("subscription", cfg.subscription_id),
                            resource_group=zone_info.resource_group, id=zone_info.id, name=zone_info.name)
        links_plan = by["vnet_links"]
        links = [LinkPart(create=item.action is Action.CREATE, name=item.link_name, vnet_id=item.vnet_id,
                          vnet_name=item.vnet_name)
                 for item in (links_plan.payload.items if links_plan.payload else [])]
        rec_plan = by["a_record"]
        if rec_plan.action is Action.DONE:
            record = RecordPart("done", cid, RECORD_TTL, ip=pe_info.private_ip if pe_info else None)
        elif rec_plan.action is Action.CREATE:
            record = RecordPart("create", cid, RECORD_TTL, ip=rec_plan.payload.ip if rec_plan.payload else None)
        else:  # update (allowed by the user), or blocked until the endpoint exists
            obs = CreateARecord().inspect(ctx)
            if rec_plan.action is Action.UPDATE:
                record = RecordPart("update", cid, RECORD_TTL, old_ips=list(obs.have_ips or []), ip=obs.want_ip)
            elif obs.have_ips:
                raise ExportError(
                    f"The A record {cid}.{ZONE} already points to {', '.join(obs.have_ips)}, but the private endpoint "
                    "it should point to does not exist yet: it is probably left over from an earlier endpoint. "
                    "Delete that record (or let the wizard update it), then export again.")
            else:
                record = RecordPart("create", cid, RECORD_TTL)
        approval = by.get("approval")
        support = approval.payload.support_text if approval is not None and approval.payload else None
        if not support:  # the endpoint is still to be created: say what it will be
            planned = SimpleNamespace(id=endpoint.id, connection_name=CONNECTION_NAME, location=endpoint.region)
            support = support_request(ctx, planned)  # type: ignore[arg-type]
        approved = approval is not None and approval.action is Action.DONE
    except LookupProblem as exc:
        raise ExportError(f"{exc} Fix the answers, then export again.") from None
    return ExportPlan(cluster_id=cid, api_url=cfg.api_url, endpoint=endpoint, zone=zone, links=links,
                      record=record, support_text=support, approved=approved)


def render(engine: Engine, fmt: str, plans: list[Plan] | None = None, *, now: datetime | None = None) -> str:
    """The remaining steps as `fmt` ("az", "terraform" or "bicep") text. Raises ExportError (one message)."""
    if fmt not in RENDERERS:
        raise ExportError(f"Unknown export format '{fmt}': choose one of {', '.join(FORMATS)}.")
    return RENDERERS[fmt](build(engine, plans), now or datetime.now(timezone.utc))


def default_filename(cluster_id: str | None, fmt: str) -> str:
    return f"astro-privatelink-{cluster_id or 'setup'}{SUFFIXES[fmt]}"


def _header_lines(xp: ExportPlan, now: datetime, how_to_run: list[str]) -> list[str]:
    from wizard import __version__

    lines = [f"astro-privatelink: Azure Private Link for Astro cluster {xp.cluster_id}",
             f"Generated {now.strftime('%Y-%m-%d %H:%M UTC')} by astro-privatelink {__version__} from the plan "
             "(Azure as it was then).", ""]
    todo = xp.todo
    lines.append("What this does (only what is not done yet):" if todo else
                 "Nothing is left to create: every resource exists already.")
    lines += [f"  - {t}" for t in todo]
    if xp.existing:
        lines += ["Already in place (referenced, never changed):"] + [f"  - {e}" for e in xp.existing]
    if todo:
        lines += [""] + how_to_run
    return lines


def _support_lines(xp: ExportPlan) -> list[str]:
    if xp.approved:
        return ["Astronomer has approved the connection already."]
    return ["Then Astronomer support approves the endpoint's connection. Send them:", ""] + \
        ["  " + line if line else "" for line in xp.support_text.splitlines()]


# -- az (bash) --------------------------------------------------------------------------------------------
def sh_quote(value: str) -> str:
    """Always single-quoted, safe for any value."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def render_az(xp: ExportPlan, now: datetime) -> str:
    name = default_filename(xp.cluster_id, "az")
    out: list[str] = ["#!/usr/bin/env bash"]
    out += ["# " + line if line else "#" for line in _header_lines(xp, now, [
        "Run it as someone who may create these resources (Network Contributor on the endpoint's resource group",
        "and subnet, Private DNS Zone Contributor on the zone's resource group), after `az login`:",
        f"  bash {name}",
        "It stops at the first error and says which step failed. Fix that and run it again: what exists is",
        "skipped. Values are set once, below; change them there if you must.",
    ])]
    out += ["", "set -euo pipefail", ""]
    ep, zone = xp.endpoint, xp.zone
    values: list[tuple[str, str]] = [("SUBSCRIPTION", ep.subscription), ("RESOURCE_GROUP", ep.resource_group),
                                     ("ENDPOINT_NAME", ep.name)]
    if ep.create:
        values += [("REGION", ep.region), ("SUBNET_ID", ep.subnet_id), ("ALIAS", ep.alias),
                   ("CONNECTION_NAME", ep.connection_name), ("REQUEST_MESSAGE", ep.request_message)]
        if ep.nic_name:
            values.append(("NIC_NAME", ep.nic_name))
    values += [("ZONE_SUBSCRIPTION", zone.subscription), ("ZONE_RESOURCE_GROUP", zone.resource_group),
               ("ZONE", zone.name), ("RECORD_NAME", xp.record.name)]
    out += [f"{k}={sh_quote(v)}" for k, v in values]
    out += ["",
            'fail() { printf \'astro-privatelink script: %s\\n\' "$*" >&2; exit 1; }',
            "trap 'fail \"a command above failed (line $LINENO): read its message, fix it, run this script again\"' ERR",
            ""]
    steps_run = 0
    if ep.create:
        steps_run += 1
        cmd = ["az network private-endpoint create --subscription \"$SUBSCRIPTION\"",
               "-g \"$RESOURCE_GROUP\" -n \"$ENDPOINT_NAME\" -l \"$REGION\" --subnet \"$SUBNET_ID\"",
               "--private-connection-resource-id \"$ALIAS\" --connection-name \"$CONNECTION_NAME\"",
               "--manual-request true --request-message \"$REQUEST_MESSAGE\""]
        if ep.nic_name:
            cmd.append("--nic-name \"$NIC_NAME\"")
        cmd.append("--output none")
        out += ["echo \"Step 2: private endpoint $ENDPOINT_NAME\"",
                "if az network private-endpoint show --subscription \"$SUBSCRIPTION\" -g \"$RESOURCE_GROUP\" "
                "-n \"$ENDPOINT_NAME\" --output none 2>/dev/null; then",
                "  echo \"  exists already; using it\"",
                "else",
                "  " + " \\\n    ".join(cmd),
                "  echo \"  created (its connection waits for Astronomer's approval)\"",
                "fi", ""]
    if zone.create:
        steps_run += 1
        out += ["echo \"Step 3: private DNS zone $ZONE in $ZONE_RESOURCE_GROUP\"",
                "if az network private-dns zone show --subscription \"$ZONE_SUBSCRIPTION\" -g \"$ZONE_RESOURCE_GROUP\" "
                "-n \"$ZONE\" --output none 2>/dev/null; then",
                "  echo \"  exists already; using it\"",
                "else",
                "  az network private-dns zone create --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -n \"$ZONE\" --output none",
                "  echo \"  created\"",
                "fi", ""]
    for lk in (lk for lk in xp.links if lk.create):
        steps_run += 1
        out += [f"echo {sh_quote(f'Step 4: link the zone to VNet {lk.vnet_name}')}",
                f"LINK_NAME={sh_quote(lk.name)}",
                f"LINK_VNET_ID={sh_quote(lk.vnet_id)}",
                "if az network private-dns link vnet show --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" -n \"$LINK_NAME\" --output none 2>/dev/null; then",
                "  echo \"  link $LINK_NAME exists already; using it\"",
                "else",
                "  az network private-dns link vnet create --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n"
                "    -n \"$LINK_NAME\" -v \"$LINK_VNET_ID\" -e false --output none",
                "  echo \"  created link $LINK_NAME\"",
                "fi", ""]
    if xp.record.action in ("create", "update"):
        steps_run += 1
        out += ["echo \"Step 5: A record $RECORD_NAME.$ZONE\"",
                "NIC_ID=$(az network private-endpoint show --subscription \"$SUBSCRIPTION\" -g \"$RESOURCE_GROUP\" "
                "-n \"$ENDPOINT_NAME\" \\\n  --query 'networkInterfaces[0].id' --output tsv)",
                "[ -n \"$NIC_ID\" ] || fail \"private endpoint $ENDPOINT_NAME has no network interface yet: wait a "
                "minute, then run this script again\"",
                "ENDPOINT_IP=$(az network nic show --ids \"$NIC_ID\" --query 'ipConfigurations[0].privateIPAddress' "
                "--output tsv)",
                "[ -n \"$ENDPOINT_IP\" ] || fail \"could not read the private IP of $NIC_ID: look at the network "
                "interface in the Azure portal, then run this script again\"",
                "echo \"  the endpoint's private IP is $ENDPOINT_IP\"",
                "CURRENT_IPS=$(az network private-dns record-set a show --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n  -n \"$RECORD_NAME\" --query 'aRecords[].ipv4Address' "
                "--output tsv 2>/dev/null || true)"]
        if xp.record.action == "update":
            out += ["for OLD_IP in $CURRENT_IPS; do",
                    "  if [ \"$OLD_IP\" != \"$ENDPOINT_IP\" ]; then",
                    "    echo \"  removing the old address $OLD_IP\"",
                    "    az network private-dns record-set a remove-record --subscription \"$ZONE_SUBSCRIPTION\" "
                    "-g \"$ZONE_RESOURCE_GROUP\" \\\n      -z \"$ZONE\" -n \"$RECORD_NAME\" -a \"$OLD_IP\" "
                    "--keep-empty-record-set --output none",
                    "  fi",
                    "done",
                    "CURRENT_IPS=$(echo \"$CURRENT_IPS\" | grep -Fx \"$ENDPOINT_IP\" || true)"]
        out += ["if [ \"$CURRENT_IPS\" = \"$ENDPOINT_IP\" ]; then",
                "  echo \"  $RECORD_NAME.$ZONE -> $ENDPOINT_IP exists already\"",
                "elif [ -n \"$CURRENT_IPS\" ]; then",
                "  fail \"$RECORD_NAME.$ZONE points to $(echo $CURRENT_IPS), not to this endpoint's $ENDPOINT_IP: if it is "
                "left over from an earlier endpoint, delete that record and run this script again\"",
                "else",
                "  if ! az network private-dns record-set a show --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n"
                "      -n \"$RECORD_NAME\" --output none 2>/dev/null; then",
                f"    az network private-dns record-set a create --subscription \"$ZONE_SUBSCRIPTION\" "
                f"-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n      -n \"$RECORD_NAME\" --ttl {xp.record.ttl} --output none",
                "  fi",
                "  az network private-dns record-set a add-record --subscription \"$ZONE_SUBSCRIPTION\" "
                "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n    -n \"$RECORD_NAME\" -a \"$ENDPOINT_IP\" --output none",
                "  echo \"  added $RECORD_NAME.$ZONE -> $ENDPOINT_IP\"",
                "fi", ""]
    if not steps_run:
        out += ["echo \"Nothing to do: every resource exists already.\"", ""]
    out += ["echo \"Done.\""]
    out += [""] + ["# " + line if line else "#" for line in _support_lines(xp)]
    if not xp.approved:
        out += ["echo \"Next: Astronomer support approves the connection (the text to send them is at the end of "
                "this script).\""]
    return "\n".join(out) + "\n"


# -- Terraform ---------------------------------------------------------------------------------------------
def hcl_quote(value: str) -> str:
    v = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + v.replace("${", "$${").replace("%{", "%%{") + '"'


def _label(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "vnet"
    if not base[0].isalpha():
        base = "v_" + base
    label, n = base, 2
    while label in taken:
        label, n = f"{base}_{n}", n + 1
    taken.add(label)
    return label


class _Hcl:
    """Writes blocks in `terraform fmt` style: two-space indents, `=` aligned within runs of attributes."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def block(self, header: str, body: list[Any], depth: int = 0) -> None:
        pad = "  " * depth
        self.lines.append(f"{pad}{header} {{")
        run: list[tuple[str, str]] = []

        def flush() -> None:
            if run:
                width = max(len(k) for k, _ in run)
                self.lines.extend(f"{pad}  {k.ljust(width)} = {v}" for k, v in run)
                run.clear()

        for item in body:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
                run.append(item)
            elif item == "":
                flush()
                self.lines.append("")
            else:  # a nested block: ("header", [items])
                flush()
                if self.lines and not self.lines[-1].endswith("{") and self.lines[-1] != "":
                    self.lines.append("")
                if item[1]:
                    self.block(item[0], item[1], depth + 1)
                else:
                    self.lines.append(f"{pad}  {item[0]} {{}}")
        flush()
        self.lines.append(f"{pad}}}")
        if depth == 0:
            self.lines.append("")


def render_terraform(xp: ExportPlan, now: datetime) -> str:
    ep, zone, rec = xp.endpoint, xp.zone, xp.record
    head = _header_lines(xp, now, [
        "Put this file in an empty directory, then (as someone who may create these resources):",
        "  terraform init && terraform plan && terraform apply",
        "Existing resources are read through data sources and never changed.",
    ])
    h = _Hcl()
    h.lines += ["# " + line if line else "#" for line in head] + [""]
    needs_import = rec.action == "update"
    h.lines += ["terraform {",
                f"  required_version = {hcl_quote('>= 1.5' if needs_import else '>= 1.3')}",
                "  required_providers {",
                "    azurerm = {",
                '      source  = "hashicorp/azurerm"',
                '      version = ">= 3.70"',
                "    }",
                "  }",
                "}",
                ""]
    h.block('provider "azurerm"', [("subscription_id", hcl_quote(ep.subscription)), ("features", [])])

    # the private endpoint: created, or read
    if ep.create:
        subnet = _subnet_ref(h, ep)
        body: list[Any] = [("name", hcl_quote(ep.name)), ("location", hcl_quote(ep.region)),
                           ("resource_group_name", hcl_quote(ep.resource_group)), ("subnet_id", subnet)]
        if ep.nic_name:
            body.append(("custom_network_interface_name", hcl_quote(ep.nic_name)))
        body.append(("private_service_connection", [
            ("name", hcl_quote(ep.connection_name)), ("is_manual_connection", "true"),
            ("private_connection_resource_alias", hcl_quote(ep.alias)),
            ("request_message", hcl_quote(ep.request_message))]))
        h.block('resource "azurerm_private_endpoint" "astro"', body)
        ip_ref = "azurerm_private_endpoint.astro.private_service_connection[0].private_ip_address"
    else:
        h.block('data "azurerm_private_endpoint_connection" "astro"', [
            ("name", hcl_quote(ep.name)), ("resource_group_name", hcl_quote(ep.resource_group))])
        ip_ref = "data.azurerm_private_endpoint_connection.astro.private_service_connection[0].private_ip_address"

    # the zone
    if zone.create:
        h.block('resource "azurerm_private_dns_zone" "astro"', [
            ("name", hcl_quote(zone.name)), ("resource_group_name", hcl_quote(zone.resource_group))])
        zref = "azurerm_private_dns_zone.astro"
    else:
        body = [("name", hcl_quote(zone.name)), ("resource_group_name", hcl_quote(zone.resource_group))]
        h.block('data "azurerm_private_dns_zone" "astro"', body)
        zref = "data.azurerm_private_dns_zone.astro"

    taken: set[str] = set()
    for lk in (lk for lk in xp.links if lk.create):
        h.block(f'resource "azurerm_private_dns_zone_virtual_network_link" "{_label(lk.vnet_name, taken)}"', [
            ("name", hcl_quote(lk.name)), ("resource_group_name", f"{zref}.resource_group_name"),
            ("private_dns_zone_name", f"{zref}.name"), ("virtual_network_id", hcl_quote(lk.vnet_id)),
            ("registration_enabled", "false")])

    if rec.action in ("create", "update"):
        if needs_import:
            h.block("import", [("to", "azurerm_private_dns_a_record.astro"),
                               ("id", hcl_quote(f"{zone.id}/A/{rec.name}"))])
        h.block('resource "azurerm_private_dns_a_record" "astro"', [
            ("name", hcl_quote(rec.name)), ("zone_name", f"{zref}.name"),
            ("resource_group_name", f"{zref}.resource_group_name"), ("ttl", str(rec.ttl)),
            ("records", f"[{ip_ref}]")])
    h.block('output "private_endpoint_ip"', [("value", ip_ref)])
    h.lines += ["# " + line if line else "#" for line in _support_lines(xp)]
    return "\n".join(h.lines).rstrip("\n") + "\n"


def _subnet_ref(h: _Hcl, ep: EndpointPart) -> str:
    """A data source for the endpoint's subnet when it is in the provider's subscription; else its literal id."""
    from wizard.core.ids import parse_id

    parts = parse_id(ep.subnet_id)
    if parts.get("subscription", "").lower() != ep.subscription.lower():
        return hcl_quote(ep.subnet_id)
    h.block('data "azurerm_subnet" "endpoint"', [
        ("name", hcl_quote(parts.get("subnets", ""))), ("virtual_network_name", hcl_quote(parts.get("virtualnetworks", ""))),
        ("resource_group_name", hcl_quote(parts.get("resource_group", "")))])
    return "data.azurerm_subnet.endpoint.id"


# -- Bicep -------------------------------------------------------------------------------------------------
def bicep_quote(value: str) -> str:
    v = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("${", "\\${")
    return "'" + v + "'"


def _scope(sub: str, rg: str, deploy_sub: str, deploy_rg: str) -> str | None:
    if sub.lower() == deploy_sub.lower() and rg.lower() == deploy_rg.lower():
        return None
    if sub.lower() == deploy_sub.lower():
        return f"resourceGroup({bicep_quote(rg)})"
    return f"resourceGroup({bicep_quote(sub)}, {bicep_quote(rg)})"


def render_bicep(xp: ExportPlan, now: datetime) -> str:
    ep, zone, rec = xp.endpoint, xp.zone, xp.record
    zone_work = zone.create or any(lk.create for lk in xp.links) or rec.action in ("create", "update")
    groups = set()
    if ep.create:
        groups.add((ep.subscription.lower(), ep.resource_group.lower()))
    if zone_work:
        groups.add((zone.subscription.lower(), zone.resource_group.lower()))
    if len(groups) > 1:
        raise ExportError(
            f"Bicep deploys to one resource group, but the endpoint goes to '{ep.resource_group}' and the DNS records "
            f"to '{zone.resource_group}'. Export the az script or Terraform instead, or put the DNS zone in the "
            "endpoint's resource group ([dns] resource_group).")
    if zone_work:
        deploy_sub, deploy_rg = zone.subscription, zone.resource_group
    else:
        deploy_sub, deploy_rg = ep.subscription, ep.resource_group
    name = default_filename(xp.cluster_id, "bicep")
    out = ["// " + line if line else "//" for line in _header_lines(xp, now, [
        f"Deploy it to resource group {deploy_rg} (as someone who may create these resources):",
        f"  az deployment group create --subscription {deploy_sub} -g {deploy_rg} -f {name}",
        "Existing resources are declared `existing`: read, never changed.",
    ])]
    out += ["", "targetScope = 'resourceGroup'", ""]

    def resource(symbol: str, rtype: str, body: list[str], *, existing: bool = False,
                 scope: str | None = None, parent: str | None = None) -> None:
        out.append(f"resource {symbol} '{rtype}' {'existing ' if existing else ''}= {{")
        if parent:
            out.append(f"  parent: {parent}")
        if scope:
            out.append(f"  scope: {scope}")
        out.extend("  " + line for line in body)
        out.append("}")
        out.append("")

    if ep.create:
        props = ["subnet: {", f"  id: {bicep_quote(ep.subnet_id)}", "}"]
        if ep.nic_name:
            props.append(f"customNetworkInterfaceName: {bicep_quote(ep.nic_name)}")
        props += ["manualPrivateLinkServiceConnections: [", "  {", f"    name: {bicep_quote(ep.connection_name)}",
                  "    properties: {", f"      privateLinkServiceId: {bicep_quote(ep.alias)}", "      groupIds: []",
                  f"      requestMessage: {bicep_quote(ep.request_message)}", "    }", "  }", "]"]
        resource("endpoint", f"Microsoft.Network/privateEndpoints@{NETWORK_API}",
                 [f"name: {bicep_quote(ep.name)}", f"location: {bicep_quote(ep.region)}", "properties: {"]
                 + ["  " + p for p in props] + ["}"])
    else:
        resource("endpoint", f"Microsoft.Network/privateEndpoints@{NETWORK_API}", [f"name: {bicep_quote(ep.name)}"],
                 existing=True, scope=_scope(ep.subscription, ep.resource_group, deploy_sub, deploy_rg))
    if zone.create:
        resource("zone", f"Microsoft.Network/privateDnsZones@{DNS_API}",
                 [f"name: {bicep_quote(zone.name)}", "location: 'global'"])
    else:
        resource("zone", f"Microsoft.Network/privateDnsZones@{DNS_API}", [f"name: {bicep_quote(zone.name)}"],
                 existing=True, scope=None if zone_work else _scope(zone.subscription, zone.resource_group,
                                                                    deploy_sub, deploy_rg))
    taken: set[str] = {"endpoint", "zone", "record"}
    for lk in (lk for lk in xp.links if lk.create):
        resource(_label("link_" + lk.vnet_name, taken),
                 f"Microsoft.Network/privateDnsZones/virtualNetworkLinks@{DNS_API}",
                 [f"name: {bicep_quote(lk.name)}", "location: 'global'", "properties: {",
                  "  registrationEnabled: false", "  virtualNetwork: {", f"    id: {bicep_quote(lk.vnet_id)}", "  }",
                  "}"], parent="zone")
    ip_expr = (f"reference(endpoint.properties.networkInterfaces[0].id, '{NETWORK_API}')"
               ".ipConfigurations[0].properties.privateIPAddress")
    if rec.action in ("create", "update"):
        resource("record", f"Microsoft.Network/privateDnsZones/A@{DNS_API}",
                 [f"name: {bicep_quote(rec.name)}", "properties: {", f"  ttl: {rec.ttl}", "  aRecords: [", "    {",
                  f"      ipv4Address: {ip_expr}", "    }", "  ]", "}"], parent="zone")
    out.append(f"output privateEndpointIp string = {ip_expr}")
    out.append("")
    out += ["// " + line if line else "//" for line in _support_lines(xp)]
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[ExportPlan, datetime], str]] = {
    "az": render_az, "terraform": render_terraform, "bicep": render_bicep}


# -- writing a file ------------------------------------------------------------------------------------------
def write_export(path: Path, text: str, fmt: str) -> None:
    """Write an export to `path`; the az script is made executable. Raises OSError."""
    path.write_text(text, encoding="utf-8")
    if fmt == "az":
        os.chmod(path, 0o755)
