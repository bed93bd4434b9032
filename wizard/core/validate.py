"""Checks of what a user types, before anything is sent to Azure: alias, API URL, Azure resource names.

Every check returns plain data (a list of problems and warnings, each a sentence that says what is wrong
and what to do), so the CLI, the TUI (as the user types) and the steps share one source of truth.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wizard.core.constants import ASTRO_DNS_ZONE

ALIAS_SUFFIX = ".azure.privatelinkservice"
MAX_REQUEST_MESSAGE = 140

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# An Astro cluster ID is a cuid: 'c' then lowercase letters and digits, 25 in all (the reference doc's example
# "clxxxxxxxxx", and clmh597sg000208lb2kjhcn8q in ../shared/reference/azure-facts.md). 20-32 is accepted so that
# a slightly different generator is not refused; "abc" or "c1" is a typo or a placeholder, refused here.
_CLUSTER_ID = re.compile(r"^c[a-z0-9]{19,31}$")
CLUSTER_ID_EXAMPLE = "clmh597sg000208lb2kjhcn8q"
_REGION = re.compile(r"^[a-z][a-z0-9]+$")


@dataclass
class Check:
    """The result of checking one value: problems block, warnings only inform."""

    value: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class AliasCheck(Check):
    guid: str | None = None
    region: str | None = None


def check_alias(alias: str) -> AliasCheck:
    """Lenient: a GUID label and the `.azure.privatelinkservice` suffix are required, anything else warns.

    Format: `Prefix.{GUID}.{region}.azure.privatelinkservice` (Microsoft's own example omits the region).
    """
    value = (alias or "").strip()
    out = AliasCheck(value=value)
    if not value:
        out.problems.append("Enter the Private Link Service alias that Astronomer support sent you.")
        return out
    if any(c.isspace() for c in value):
        out.problems.append("The alias contains spaces; paste it again exactly as Astronomer support sent it.")
        return out
    if not value.lower().endswith(ALIAS_SUFFIX):
        out.problems.append(
            f"The alias must end with '{ALIAS_SUFFIX}' (it looks like "
            "'name.<guid>.<region>.azure.privatelinkservice'); check you copied all of it.")
        return out
    labels = value[: -len(ALIAS_SUFFIX)].split(".")
    guids = [i for i, label in enumerate(labels) if _GUID.match(label)]
    if not guids:
        out.problems.append(
            "The alias has no GUID part (like 00000000-0000-0000-0000-000000000000); check you copied all of it.")
        return out
    gi = guids[0]
    out.guid = labels[gi].lower()
    if gi == 0:
        out.warnings.append("The alias has no name before its GUID; aliases usually start with a name.")
    rest = labels[gi + 1:]
    if len(rest) == 1 and _REGION.match(rest[0].lower()):
        out.region = rest[0].lower()
    elif rest:
        out.warnings.append(f"Unexpected part after the GUID: '{'.'.join(rest)}' (usually a region such as eastus2).")
    return out


@dataclass
class ApiUrlCheck(Check):
    host: str | None = None
    port: int | None = None
    cluster_id: str | None = None

    @property
    def origin(self) -> str | None:
        if not self.host:
            return None
        return f"https://{self.host}" + (f":{self.port}" if self.port else "")


def check_api_url(url: str) -> ApiUrlCheck:
    """https, host `<cluster-id>.external.astronomer.run`, an explicit port allowed; a path is tolerated."""
    value = (url or "").strip()
    out = ApiUrlCheck(value=value)
    if not value:
        out.problems.append("Enter the Remote Execution API URL from your Deployment's details in the Astro UI.")
        return out
    if "://" not in value:
        value = "https://" + value
        out.warnings.append("No scheme given; assuming https://.")
    try:
        parts = urlsplit(value)
    except ValueError:  # a '[' or ']' outside an IPv6 host (a typo, pasted markup, an escape sequence)
        out.problems.append("The API URL is not a valid URL: copy it again from your Deployment's details in the "
                            "Astro UI (https://<cluster-id>.external.astronomer.run).")
        return out
    if parts.scheme.lower() != "https":
        out.problems.append(f"The API URL must use https://, not {parts.scheme}://.")
        return out
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        out.problems.append("The port in the API URL is not a number between 1 and 65535.")
        return out
    suffix = "." + ASTRO_DNS_ZONE
    if host == ASTRO_DNS_ZONE:
        out.problems.append(
            f"The API URL's host has no cluster ID: put your Astro cluster ID in front of '{ASTRO_DNS_ZONE}' "
            f"(https://<cluster-id>.{ASTRO_DNS_ZONE}, as the Deployment's details in the Astro UI show it).")
        return out
    if not host.endswith(suffix):
        out.problems.append(
            f"The API URL's host must end with '{ASTRO_DNS_ZONE}' (like "
            f"https://<cluster-id>.{ASTRO_DNS_ZONE}); '{host or value}' does not.")
        return out
    label = host[: -len(suffix)]
    if "." in label or not re.fullmatch(r"[a-z0-9]+", label):
        out.problems.append(
            f"The first part of the host, '{label}', should be your Astro cluster ID: lowercase letters and "
            "digits only, with no further dots.")
        return out
    if not _CLUSTER_ID.match(label):
        out.problems.append(
            f"'{label}' is not an Astro cluster ID: those are about 25 lowercase letters and digits starting with "
            f"'c' (like {CLUSTER_ID_EXAMPLE}); copy the API URL again from your Deployment's details in the Astro UI.")
        return out
    if parts.username or parts.password:
        out.problems.append("The API URL must not contain a user name or password.")
        return out
    if parts.path not in ("", "/"):
        out.warnings.append(f"The path '{parts.path}' is ignored; only the host and port are used.")
    out.host, out.port, out.cluster_id = host, port, label
    return out


# Azure naming rules (compare case-insensitively): see reference/azure-facts.md "Naming rules".
_NAME_RULES: dict[str, tuple[int, int, str]] = {
    "private endpoint": (2, 64, "Microsoft.Network/privateEndpoints"),
    "virtual network": (2, 64, "Microsoft.Network/virtualNetworks"),
    "network interface": (1, 80, "Microsoft.Network/networkInterfaces"),
    "subnet": (1, 80, "Microsoft.Network/virtualNetworks/subnets"),
    "virtual network link": (1, 80, "Microsoft.Network/privateDnsZones/virtualNetworkLinks"),
}
_NAME_CHARS = re.compile(r"^[A-Za-z0-9_.\-]+$")


def check_name(kind: str, name: str) -> Check:
    """Check a resource name against Azure's rules for `kind` (one of the keys of the rules table)."""
    low, high, _ = _NAME_RULES[kind]
    value = (name or "").strip()
    out = Check(value=value)
    if not value:
        out.problems.append(f"Enter a {kind} name.")
        return out
    if not low <= len(value) <= high:
        out.problems.append(f"A {kind} name must be {low}-{high} characters long; this one has {len(value)}.")
    if not _NAME_CHARS.match(value):
        bad = sorted({c for c in value if not re.match(r"[A-Za-z0-9_.\-]", c)})
        out.problems.append(
            f"A {kind} name may contain only letters, digits, '_', '.' and '-'; "
            f"remove {' '.join(repr(c) for c in bad)}.")
    elif not value[0].isalnum():
        out.problems.append(f"A {kind} name must start with a letter or digit.")
    elif not (value[-1].isalnum() or value[-1] == "_"):
        out.problems.append(f"A {kind} name must end with a letter, digit or '_'.")
    return out


def check_resource_group_name(name: str) -> Check:
    value = (name or "").strip()
    out = Check(value=value)
    if not value:
        out.problems.append("Enter a resource group name.")
    elif len(value) > 90:
        out.problems.append("A resource group name must be at most 90 characters long.")
    elif not re.match(r"^[-\w._()]+$", value):
        out.problems.append("A resource group name may contain letters, digits, '_', '-', '.', '(' and ')' only.")
    elif value.endswith("."):
        out.problems.append("A resource group name must not end with '.'.")
    return out


def check_ipv4(address: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(address), ipaddress.IPv4Address)
    except ValueError:
        return False


def request_message(cluster_id: str) -> str:
    """The connection request message Astronomer support sees; at most 140 characters."""
    msg = f"Astro Remote Execution private endpoint for cluster {cluster_id} (created by astro-privatelink)"
    if len(msg) > MAX_REQUEST_MESSAGE:
        msg = f"Astro cluster {cluster_id}"[:MAX_REQUEST_MESSAGE]
    return msg


def link_name_for(vnet_name: str) -> str:
    """A VNet link name derived from the VNet's name, kept within the 80-character rule."""
    base = f"{vnet_name}-astro-link"
    if len(base) > 80:
        base = vnet_name[: 80 - len("-link")] + "-link"
    return base


def parse_nameserver(text: str) -> tuple[str, int]:
    """'HOST[:PORT]' -> (host, port); IPv6 as '[::1]:5353' or a bare '::1'. Raises ValueError with a sentence.

    The rules of `verify --nameserver` and ASTRO_PL_DNS_SERVER alike: HOST must be an IP address (dnspython sends
    queries to an address, not a name), PORT defaults to 53.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError("The nameserver is empty: give HOST or HOST:PORT, e.g. 10.0.0.10 or 127.0.0.1:5353.")
    host, port_text = raw, ""
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise ValueError(f"The nameserver '{raw}' has '[' without ']': write IPv6 as [ADDRESS]:PORT.")
        host, rest = raw[1:end], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"The nameserver '{raw}' is not HOST[:PORT].")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    port = 53
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"The nameserver port '{port_text}' must be a number from 1 to 65535.")
        port = int(port_text)
    if not host:
        raise ValueError(f"The nameserver '{raw}' has no host.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"The nameserver '{host}' must be an IP address (dnspython sends queries to an address, "
                         "not a name).") from None
    return host, port
