"""The remaining steps as a bash script of `az` commands.

Every step first looks for what it would create (`az ... show`) and skips what exists, so the script can be
run again after a failure. The values are set once at the top; the endpoint's private IP is read when the
script runs (from its network interface), since it is not known before the endpoint exists.
"""

from __future__ import annotations

from datetime import datetime

from wizard.core.sanitize import needs_escape
from wizard.export.common import commented, escaped, header_lines, support_lines
from wizard.export.model import ExportPlan, LinkPart, default_filename, step_name


def sh_quote(value: str) -> str:
    """Always single-quoted, safe for any value. A value holding a control, line-break or bidi character is
    written in bash's ANSI-C quoting (`$'...'`, bash manual 3.1.2.4) with each such character as its UTF-8 bytes
    (`\\xHH`, which bash 3.2 reads too), so the script holds no raw control character and each line stays one.
    A NUL is left out: no shell variable can hold one (`$'\\x00'` would end the value there)."""
    if not any(needs_escape(c) for c in value):
        return "'" + value.replace("'", "'\"'\"'") + "'"
    body = escaped(value.replace("\\", "\\\\").replace("'", "\\'"),
                   lambda c: "".join(f"\\x{b:02x}" for b in c.encode("utf-8") if b))
    return "$'" + body + "'"


def render_az(xp: ExportPlan, now: datetime) -> str:
    name = default_filename(xp.cluster_id, "az")
    out: list[str] = ["#!/usr/bin/env bash"]
    out += commented(header_lines(xp, now, [
        "Run it as someone who may create these resources (Network Contributor on the endpoint's resource group",
        "and subnet, Private DNS Zone Contributor on the zone's resource group), after `az login`:",
        f"  bash {name}",
        "It stops at the first error and says which step failed. Fix that and run it again: what exists is",
        "skipped. Values are set once, below; change them there if you must.",
    ]), "#")
    out += ["", "set -euo pipefail", ""]
    out += [f"{k}={sh_quote(v)}" for k, v in _values(xp)]
    out += ["",
            'fail() { printf \'astro-privatelink script: %s\\n\' "$*" >&2; exit 1; }',
            "trap 'fail \"a command above failed (line $LINENO): read its message, fix it, run this script "
            "again\"' ERR",
            ""]
    steps_run = 0
    if xp.endpoint.create:
        steps_run += 1
        out += _endpoint_lines(xp)
    if xp.zone.create:
        steps_run += 1
        out += _zone_lines()
    for lk in (lk for lk in xp.links if lk.create):
        steps_run += 1
        out += _link_lines(lk)
    if xp.record.action in ("create", "update"):
        steps_run += 1
        out += _record_lines(xp)
    if not steps_run:
        out += ["echo \"Nothing to do: every resource exists already.\"", ""]
    out += ["echo \"Done.\""]
    out += ["", *commented(support_lines(xp), "#")]
    if not xp.approved:
        out += ["echo \"Next: Astronomer support approves the connection (the text to send them is at the end of "
                "this script).\""]
    return "\n".join(out) + "\n"


def _values(xp: ExportPlan) -> list[tuple[str, str]]:
    """The shell variables the commands read, in the order they are set."""
    ep, zone = xp.endpoint, xp.zone
    values = [("SUBSCRIPTION", ep.subscription), ("RESOURCE_GROUP", ep.resource_group), ("ENDPOINT_NAME", ep.name)]
    if ep.create:
        values += [("REGION", ep.region), ("SUBNET_ID", ep.subnet_id), ("ALIAS", ep.alias),
                   ("CONNECTION_NAME", ep.connection_name), ("REQUEST_MESSAGE", ep.request_message)]
        if ep.nic_name:
            values.append(("NIC_NAME", ep.nic_name))
    values += [("ZONE_SUBSCRIPTION", zone.subscription), ("ZONE_RESOURCE_GROUP", zone.resource_group),
               ("ZONE", zone.name), ("RECORD_NAME", xp.record.name)]
    return values


def _endpoint_lines(xp: ExportPlan) -> list[str]:
    cmd = ["az network private-endpoint create --subscription \"$SUBSCRIPTION\"",
           "-g \"$RESOURCE_GROUP\" -n \"$ENDPOINT_NAME\" -l \"$REGION\" --subnet \"$SUBNET_ID\"",
           "--private-connection-resource-id \"$ALIAS\" --connection-name \"$CONNECTION_NAME\"",
           "--manual-request true --request-message \"$REQUEST_MESSAGE\""]
    if xp.endpoint.nic_name:
        cmd.append("--nic-name \"$NIC_NAME\"")
    cmd.append("--output none")
    return [f"echo \"{step_name('private_endpoint')}: private endpoint $ENDPOINT_NAME\"",
            "if az network private-endpoint show --subscription \"$SUBSCRIPTION\" -g \"$RESOURCE_GROUP\" "
            "-n \"$ENDPOINT_NAME\" --output none 2>/dev/null; then",
            "  echo \"  exists already; using it\"",
            "else",
            "  " + " \\\n    ".join(cmd),
            "  echo \"  created (its connection waits for Astronomer's approval)\"",
            "fi", ""]


def _zone_lines() -> list[str]:
    return [f"echo \"{step_name('dns_zone')}: private DNS zone $ZONE in $ZONE_RESOURCE_GROUP\"",
            "if az network private-dns zone show --subscription \"$ZONE_SUBSCRIPTION\" -g \"$ZONE_RESOURCE_GROUP\" "
            "-n \"$ZONE\" --output none 2>/dev/null; then",
            "  echo \"  exists already; using it\"",
            "else",
            "  az network private-dns zone create --subscription \"$ZONE_SUBSCRIPTION\" "
            "-g \"$ZONE_RESOURCE_GROUP\" -n \"$ZONE\" --output none",
            "  echo \"  created\"",
            "fi", ""]


def _link_lines(lk: LinkPart) -> list[str]:
    title = f"{step_name('vnet_links')}: link the zone to VNet {lk.vnet_name}"
    return [f"echo {sh_quote(title)}",
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


def _record_lines(xp: ExportPlan) -> list[str]:
    """Read the endpoint's IP, then add it to the A record (removing the old addresses for an update)."""
    out = [f"echo \"{step_name('a_record')}: A record $RECORD_NAME.$ZONE\"",
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
            "  fail \"$RECORD_NAME.$ZONE points to $(echo $CURRENT_IPS), not to this endpoint's $ENDPOINT_IP: "
            "if it is left over from an earlier endpoint, delete that record and run this script again\"",
            "else",
            "  if ! az network private-dns record-set a show --subscription \"$ZONE_SUBSCRIPTION\" "
            "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n"
            "      -n \"$RECORD_NAME\" --output none 2>/dev/null; then",
            "    az network private-dns record-set a create --subscription \"$ZONE_SUBSCRIPTION\" "
            "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n"
            f"      -n \"$RECORD_NAME\" --ttl {xp.record.ttl} --output none",
            "  fi",
            "  az network private-dns record-set a add-record --subscription \"$ZONE_SUBSCRIPTION\" "
            "-g \"$ZONE_RESOURCE_GROUP\" -z \"$ZONE\" \\\n"
            "    -n \"$RECORD_NAME\" -a \"$ENDPOINT_IP\" --output none",
            "  echo \"  added $RECORD_NAME.$ZONE -> $ENDPOINT_IP\"",
            "fi", ""]
    return out
