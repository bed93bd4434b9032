"""The answers a setup needs (`SetupConfig`), read from a TOML file or built by the wizard's screens.

TOML layout (names kept stable; other tools and checks rely on them):

    [astro]    alias = "..."            api_url = "https://<cluster-id>.external.astronomer.run"
               organization_id = "..."  deployment_id = "..." (optional: with them and an Astro API token,
               api_url may be left out and is read from the Deployment; issue 14)
    [azure]    subscription_id = "..."  resource_group = "..."
               tenant_id = "..." (optional: the Azure AD tenant of the subscription, for accounts in several
                 tenants; the wizard saves the one picked; --tenant / ASTRO_PL_TENANT_ID win over it; issue 17)
    [endpoint] name = "astro-privatelink"  nic_name = "..." (optional)  vnet = "<name or id>"  subnet = "<name>"
               region = "..." (optional)
    [dns]      linked_vnets = ["<extra vnet resource id>", ...] (optional)
               resource_group = "..." (optional, default: [azure] resource_group; or the group's full resource id
                 /subscriptions/<sub>/resourceGroups/<name>, which sets subscription_id too)
               subscription_id = "..." (optional, default: [azure] subscription_id: the zone's subscription, e.g.
                 a central connectivity subscription; issue 15)
               link_name = "{vnet}-astro-link" (optional template)
    [aks]      cluster = "<name in [azure] resource_group, or a full resource id>" (optional: the agents' AKS
               cluster; with it [endpoint] vnet may be left out and is derived from the cluster; issue 13)
               namespace = "..." (optional: the agents' namespace, where `verify --from-aks` runs its probe pod)
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from wizard.core.constants import DEFAULT_ENDPOINT_NAME
from wizard.core.ids import parse_id, resource_group_of, same_id, vnet_id, vnet_name_of
from wizard.core.kube_names import namespace_problems
from wizard.core.validate import (
    check_alias,
    check_api_url,
    check_name,
    check_resource_group_name,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A tenant: its id, or a verified domain name (`az login --tenant` takes either).
_TENANT = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class ConfigError(ValueError):
    """The configuration is unusable; the message lists every problem, one per line."""


@dataclass
class SetupConfig:
    """Everything the steps need to know, as the user gave it."""

    alias: str = ""
    api_url: str = ""
    subscription_id: str = ""
    resource_group: str = ""
    endpoint_name: str = DEFAULT_ENDPOINT_NAME
    nic_name: str | None = None
    vnet: str = ""
    subnet: str = ""
    region: str | None = None
    linked_vnets: list[str] = field(default_factory=list)
    dns_resource_group: str | None = None
    link_name: str | None = None
    organization_id: str | None = None
    deployment_id: str | None = None
    aks_cluster: str | None = None   # [aks] cluster: the agents' AKS cluster (steps/aks.py derives the VNets)
    dns_subscription_id: str | None = None   # [dns] subscription_id: the zone's subscription (issue 15)
    aks_namespace: str | None = None   # [aks] namespace: where the in-cluster probe runs (issue 13)
    tenant_id: str | None = None   # [azure] tenant_id: the tenant tokens are asked for (issue 17); None: the account's

    @property
    def cluster_id(self) -> str | None:
        return check_api_url(self.api_url).cluster_id

    @property
    def zone_resource_group(self) -> str:
        return self.dns_resource_group or self.resource_group

    @property
    def zone_subscription(self) -> str:
        """The subscription of the DNS zone (and its links and A record): [dns] subscription_id, else [azure]'s."""
        return (self.dns_subscription_id or "").strip() or self.subscription_id

    def problems(self) -> list[str]:
        """Every problem that can be found without asking Azure."""
        out: list[str] = []
        out += check_alias(self.alias).problems
        out += check_api_url(self.api_url).problems
        if not self.subscription_id.strip():
            out.append("Choose the Azure subscription ([azure] subscription_id).")
        out += [f"Resource group: {p}" for p in check_resource_group_name(self.resource_group).problems]
        if self.dns_resource_group:
            out += [f"DNS resource group: {p}" for p in check_resource_group_name(self.dns_resource_group).problems]
        if self.tenant_id and not _TENANT.fullmatch(self.tenant_id.strip()):
            out.append(f"[azure] tenant_id '{self.tenant_id}' is not a tenant: use its id (a GUID, as `az account "
                       "tenant list --query [].tenantId -o tsv` shows) or a domain like contoso.onmicrosoft.com.")
        if self.dns_subscription_id and not _GUID.fullmatch(self.dns_subscription_id.strip()):
            out.append(f"[dns] subscription_id '{self.dns_subscription_id}' is not a subscription id (a GUID such as "
                       "00000000-0000-0000-0000-000000000000).")
        out += check_name("private endpoint", self.endpoint_name).problems
        if self.nic_name:
            out += check_name("network interface", self.nic_name).problems
        if not self.vnet.strip():
            if not self.aks_cluster:
                out.append("Choose the virtual network where your agents run ([endpoint] vnet), or their AKS "
                           "cluster ([aks] cluster).")
        elif not self.vnet.startswith("/"):
            out += check_name("virtual network", self.vnet).problems
        if not self.subnet.strip():
            out.append("Choose the subnet for the endpoint ([endpoint] subnet).")
        else:
            out += check_name("subnet", self.subnet).problems
        for vnet in self.linked_vnets:
            if not vnet.lower().startswith("/subscriptions/") or "/virtualnetworks/" not in vnet.lower():
                out.append(f"[dns] linked_vnets: '{vnet}' is not a virtual network resource id "
                           "(/subscriptions/.../resourceGroups/.../providers/Microsoft.Network/virtualNetworks/NAME).")
        out += self.link_name_problems()
        if self.aks_namespace is not None:
            out += [f"[aks] namespace: {p}" for p in namespace_problems(self.aks_namespace)]
        return out

    def link_name_problems(self) -> list[str]:
        """A [dns] link_name that would give two agents' VNets one link name: a link name is unique in the zone, so
        the second link would never be made."""
        if not self.link_name or not self.vnet.strip():
            return []
        endpoint_vnet = self.vnet if self.vnet.startswith("/") else vnet_id(self.subscription_id, self.resource_group,
                                                                             self.vnet)
        vnets: list[str] = []
        for v in [endpoint_vnet, *self.linked_vnets]:
            if not any(same_id(v, seen) for seen in vnets):
                vnets.append(v)
        if len(vnets) < 2:
            return []
        if "{vnet}" not in self.link_name:
            return [f"[dns] link_name '{self.link_name}' has no {{vnet}}, so the links to "
                    f"{' and '.join(vnet_name_of(v) for v in vnets[:2])} would get the same name (a link name is "
                    "unique in the zone): put {vnet} in it, or remove it to use the default names."]
        by_name: dict[str, list[str]] = {}
        for v in vnets:
            by_name.setdefault(vnet_name_of(v).lower(), []).append(v)
        for same in by_name.values():
            if len(same) > 1:
                return [f"[dns] link_name '{self.link_name}' gives the VNets named '{vnet_name_of(same[0])}' in "
                        f"resource groups {' and '.join(resource_group_of(v) for v in same[:2])} the same link name: "
                        "remove link_name (the default names then include the resource group)."]
        return []

    def warnings(self) -> list[str]:
        return check_alias(self.alias).warnings + check_api_url(self.api_url).warnings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SetupConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_toml(self) -> str:
        """The config file form of these answers (what `load_config` reads back, whatever the values hold)."""
        q = _toml_string
        lines = ["[astro]", f"alias = {q(self.alias)}", f"api_url = {q(self.api_url)}"]
        lines += [f"{key} = {q(value)}" for key, value in (("organization_id", self.organization_id),
                                                           ("deployment_id", self.deployment_id)) if value]
        lines += ["", "[azure]", f"subscription_id = {q(self.subscription_id)}",
                 f"resource_group = {q(self.resource_group)}"]
        if self.tenant_id:
            lines.append(f"tenant_id = {q(self.tenant_id)}")
        lines += ["",
                 "[endpoint]", f"name = {q(self.endpoint_name)}"]
        if self.nic_name:
            lines.append(f"nic_name = {q(self.nic_name)}")
        lines += [f"vnet = {q(self.vnet)}", f"subnet = {q(self.subnet)}"]
        if self.region:
            lines.append(f"region = {q(self.region)}")
        lines += ["", "[dns]", "linked_vnets = [" + ", ".join(q(v) for v in self.linked_vnets) + "]"]
        if self.dns_resource_group:
            lines.append(f"resource_group = {q(self.dns_resource_group)}")
        if self.dns_subscription_id:
            lines.append(f"subscription_id = {q(self.dns_subscription_id)}")
        if self.link_name:
            lines.append(f"link_name = {q(self.link_name)}")
        if self.aks_cluster or self.aks_namespace:
            lines += ["", "[aks]"]
            lines += [f"{key} = {q(value)}" for key, value in (("cluster", self.aks_cluster),
                                                               ("namespace", self.aks_namespace)) if value]
        return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    """A TOML basic string holding exactly `value`: quotes, backslashes and control characters (C0 and DEL, which
    TOML forbids raw) escaped; a lone surrogate, which no TOML escape can hold, becomes U+FFFD."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SECTIONS: dict[str, dict[str, str]] = {
    "astro": {"alias": "alias", "api_url": "api_url", "organization_id": "organization_id",
              "deployment_id": "deployment_id"},
    "azure": {"subscription_id": "subscription_id", "resource_group": "resource_group", "tenant_id": "tenant_id"},
    "endpoint": {"name": "endpoint_name", "nic_name": "nic_name", "vnet": "vnet", "subnet": "subnet",
                 "region": "region"},
    "dns": {"linked_vnets": "linked_vnets", "resource_group": "dns_resource_group", "link_name": "link_name",
            "subscription_id": "dns_subscription_id"},
    "aks": {"cluster": "aks_cluster", "namespace": "aks_namespace"},
}


def parse_config(text: str, *, source: str = "config") -> SetupConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}.") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"{source} is not valid TOML this tool can read: its arrays or tables are nested too "
                          "deeply.") from None
    problems: list[str] = []
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _SECTIONS:
            problems.append(f"{source}: unknown section [{section}] (expected one of "
                            f"{', '.join('[' + s + ']' for s in _SECTIONS)}).")
            continue
        if not isinstance(table, dict):
            problems.append(f"{source}: [{section}] must be a table.")
            continue
        for key, value in table.items():
            target = _SECTIONS[section].get(key)
            if target is None:
                problems.append(f"{source}: unknown key '{key}' in [{section}] "
                                f"(expected {', '.join(_SECTIONS[section])}).")
                continue
            if target == "linked_vnets":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append(f"{source}: [dns] linked_vnets must be a list of strings.")
                    continue
            elif not isinstance(value, str):
                problems.append(f"{source}: [{section}] {key} must be a string.")
                continue
            values[target] = value.strip() if isinstance(value, str) else [v.strip() for v in value]
    if problems:
        raise ConfigError("\n".join(problems))
    for optional in ("nic_name", "region", "dns_resource_group", "link_name", "organization_id", "deployment_id",
                     "aks_cluster", "dns_subscription_id", "aks_namespace", "tenant_id"):
        if values.get(optional) == "":
            values[optional] = None
    _split_group_id(values, source)
    return SetupConfig(**values)


def _split_group_id(values: dict[str, Any], source: str) -> None:
    """[dns] resource_group given as a resource group's (or the zone's) full id: its name, and its subscription as
    [dns] subscription_id (which, when also given, must be the same)."""
    group = values.get("dns_resource_group")
    if not group or not group.startswith("/"):
        return
    parts = parse_id(group)
    sub, name = parts.get("subscription", ""), parts.get("resource_group", "")
    if not sub or not name:
        raise ConfigError(f"{source}: [dns] resource_group '{group}' is neither a name nor a resource group id "
                          "(/subscriptions/<sub>/resourceGroups/<name>).")
    given = values.get("dns_subscription_id")
    if given and given.lower() != sub.lower():
        raise ConfigError(f"{source}: [dns] resource_group is in subscription {sub} but [dns] subscription_id says "
                          f"{given}: give one of them.")
    values["dns_resource_group"], values["dns_subscription_id"] = name, sub


def load_config(path: str | Path) -> SetupConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"The config file {p} does not exist.") from None
    except OSError as exc:
        raise ConfigError(f"The config file {p} cannot be read: {exc.strerror}.") from None
    return parse_config(text, source=str(p))
