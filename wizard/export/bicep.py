"""The remaining steps as a Bicep file, deployed to one resource group (`az deployment group create`).

What is created is a `resource`; what exists is declared `existing` (read, never changed), with a `scope`
when it lives in another resource group. A Bicep deployment targets one resource group, so when the endpoint
and the DNS records go to different groups the export says to use the az script or Terraform instead.
"""

from __future__ import annotations

from datetime import datetime

from wizard.export.common import commented, escaped, header_lines, label, support_lines
from wizard.export.model import ExportError, ExportPlan, default_filename

NETWORK_API = "2023-11-01"
DNS_API = "2020-06-01"


_BICEP_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def bicep_quote(value: str) -> str:
    """A Bicep string meaning exactly `value`: backslash, quote and `${` escaped, and any control, line-break or
    bidi character as `\\n`, `\\r`, `\\t` or `\\u{X}` (Azure/bicep docs/spec/bicep.md, "Strings": a string
    is declared on a single line; `\\u{x}` is any code point)."""
    v = escaped(value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${"),
                lambda c: _BICEP_ESCAPES.get(c) or f"\\u{{{ord(c):X}}}")
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
    out = commented(header_lines(xp, now, [
        f"Deploy it to resource group {deploy_rg} (as someone who may create these resources):",
        f"  az deployment group create --subscription {deploy_sub} -g {deploy_rg} -f {name}",
        "Existing resources are declared `existing`: read, never changed.",
    ]), "//")
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
                 [f"name: {bicep_quote(ep.name)}", f"location: {bicep_quote(ep.region)}", "properties: {",
                  *("  " + p for p in props), "}"])
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
        resource(label("link_" + lk.vnet_name, taken),
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
    out += commented(support_lines(xp), "//")
    return "\n".join(out) + "\n"
