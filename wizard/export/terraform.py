"""The remaining steps as Terraform (the azurerm provider).

What is created is a `resource`; what exists is read through a `data` source and never changed. An A record
that is to be updated is adopted with an `import` block (Terraform 1.5+). The output is laid out the way
`terraform fmt` writes it, so `terraform fmt -check` passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wizard.core.ids import parse_id
from wizard.export.common import commented, escaped, header_lines, label, support_lines
from wizard.export.model import EndpointPart, ExportPlan

_HCL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_quote(value: str) -> str:
    """A quoted HCL string meaning exactly `value`: backslash and quote escaped, `${` and `%{` doubled, and any
    control, line-break or bidi character as `\\n`, `\\r`, `\\t` or `\\uNNNN` (hashicorp/hcl
    hclsyntax/spec.md, "Template Expressions": a quoted template may not hold a literal newline)."""
    v = escaped(value.replace("\\", "\\\\").replace('"', '\\"'),
                lambda c: _HCL_ESCAPES.get(c) or f"\\u{ord(c):04X}")
    return '"' + v.replace("${", "$${").replace("%{", "%%{") + '"'


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
    head = header_lines(xp, now, [
        "Put this file in an empty directory, then (as someone who may create these resources):",
        "  terraform init && terraform plan && terraform apply",
        "Existing resources are read through data sources and never changed.",
    ])
    h = _Hcl()
    h.lines += [*commented(head, "#"), ""]
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
    # A zone in another subscription (a connectivity hub's) goes through a second, aliased provider (Terraform's
    # provider meta-argument, developer.hashicorp.com/terraform/language/meta-arguments/resource-provider).
    zp: list[Any] = []
    if zone.subscription.lower() != ep.subscription.lower():
        h.block('provider "azurerm"', [("alias", hcl_quote("zone")), ("subscription_id", hcl_quote(zone.subscription)),
                                       ("features", [])])
        zp = [("provider", "azurerm.zone")]

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
            *zp, ("name", hcl_quote(zone.name)), ("resource_group_name", hcl_quote(zone.resource_group))])
        zref = "azurerm_private_dns_zone.astro"
    else:
        body = [*zp, ("name", hcl_quote(zone.name)), ("resource_group_name", hcl_quote(zone.resource_group))]
        h.block('data "azurerm_private_dns_zone" "astro"', body)
        zref = "data.azurerm_private_dns_zone.astro"

    taken: set[str] = set()
    for lk in (lk for lk in xp.links if lk.create):
        h.block(f'resource "azurerm_private_dns_zone_virtual_network_link" "{label(lk.vnet_name, taken)}"', [
            *zp, ("name", hcl_quote(lk.name)), ("resource_group_name", f"{zref}.resource_group_name"),
            ("private_dns_zone_name", f"{zref}.name"), ("virtual_network_id", hcl_quote(lk.vnet_id)),
            ("registration_enabled", "false")])

    if rec.action in ("create", "update"):
        if needs_import:
            h.block("import", [("to", "azurerm_private_dns_a_record.astro"),
                               ("id", hcl_quote(f"{zone.id}/A/{rec.name}"))])
        h.block('resource "azurerm_private_dns_a_record" "astro"', [
            *zp, ("name", hcl_quote(rec.name)), ("zone_name", f"{zref}.name"),
            ("resource_group_name", f"{zref}.resource_group_name"), ("ttl", str(rec.ttl)),
            ("records", f"[{ip_ref}]")])
    h.block('output "private_endpoint_ip"', [("value", ip_ref)])
    h.lines += commented(support_lines(xp), "#")
    return "\n".join(h.lines).rstrip("\n") + "\n"


def _subnet_ref(h: _Hcl, ep: EndpointPart) -> str:
    """A data source for the endpoint's subnet when it is in the provider's subscription; else its literal id."""
    parts = parse_id(ep.subnet_id)
    if parts.get("subscription", "").lower() != ep.subscription.lower():
        return hcl_quote(ep.subnet_id)
    h.block('data "azurerm_subnet" "endpoint"', [
        ("name", hcl_quote(parts.get("subnets", ""))),
        ("virtual_network_name", hcl_quote(parts.get("virtualnetworks", ""))),
        ("resource_group_name", hcl_quote(parts.get("resource_group", "")))])
    return "data.azurerm_subnet.endpoint.id"
