"""Azure RBAC as the sandbox models it: built-in role definitions (actions / notActions), role assignments
(principal, role, scope), and the check ARM makes for every request: is `action` allowed at `scope`?

The definitions are the real ones, copied as data from Microsoft's "Azure built-in roles" pages
(MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles/networking.md for Network
Contributor and Private DNS Zone Contributor, general.md for Reader, privileged.md for Contributor;
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). How they combine follows
https://learn.microsoft.com/azure/role-based-access-control/role-definitions (an action is allowed when some
assignment at the request's scope or above has a matching `actions` entry that no `notActions` entry of the same
role removes; `*` matches any characters, comparison is case-insensitive) and
https://learn.microsoft.com/azure/role-based-access-control/scope-overview (an assignment counts at its scope and
every scope below it, never above).

This module knows nothing about HTTP; `arm/access.py` turns a refusal into ARM's 403 shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    id: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleAssignment:
    """`role` (a built-in role name) granted to `principal_id` at `scope` (a subscription, group or resource id)."""

    principal_id: str
    role: str
    scope: str


READER = RoleDefinition("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7", ("*/read",))
CONTRIBUTOR = RoleDefinition(
    "Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c", ("*",),
    ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
     "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
     "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
     "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"))
NETWORK_CONTRIBUTOR = RoleDefinition(
    "Network Contributor", "4d97b98b-1d4f-4787-a291-c67834d212e7",
    ("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Network/*",
     "Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
     "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"))
PRIVATE_DNS_ZONE_CONTRIBUTOR = RoleDefinition(
    "Private DNS Zone Contributor", "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    ("Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
     "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
     "Microsoft.Network/privateDnsZones/*", "Microsoft.Network/privateDnsOperationResults/*",
     "Microsoft.Network/privateDnsOperationStatuses/*", "Microsoft.Network/virtualNetworks/read",
     "Microsoft.Network/virtualNetworks/join/action", "Microsoft.Authorization/*/read"))

BUILT_IN: dict[str, RoleDefinition] = {r.name.lower(): r for r in (
    READER, CONTRIBUTOR, NETWORK_CONTRIBUTOR, PRIVATE_DNS_ZONE_CONTRIBUTOR)}


def role(name: str) -> RoleDefinition:
    """The built-in role of that name (case-insensitive); ValueError for a role the sandbox does not know."""
    found = BUILT_IN.get(name.strip().lower())
    if found is None:
        raise ValueError(f"unknown role {name!r}; the sandbox knows {sorted(r.name for r in BUILT_IN.values())}")
    return found


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an `actions` / `notActions` entry (with `*` wildcards) covers `action`."""
    return _pattern(pattern).fullmatch(action) is not None


def grants(definition: RoleDefinition, action: str) -> bool:
    return any(action_matches(a, action) for a in definition.actions) and \
        not any(action_matches(n, action) for n in definition.not_actions)


def covers(assignment_scope: str, scope: str) -> bool:
    """Whether an assignment at `assignment_scope` counts at `scope` (the same scope or one below it)."""
    outer = assignment_scope.rstrip("/").lower()
    inner = scope.rstrip("/").lower()
    return outer == "" or inner == outer or inner.startswith(outer + "/")


def permits(assignments: Iterable[RoleAssignment], principal_id: str, action: str, scope: str) -> bool:
    """Whether any of the principal's assignments allows `action` at `scope`."""
    pid = principal_id.lower()
    return any(a.principal_id.lower() == pid and covers(a.scope, scope) and grants(role(a.role), action)
               for a in assignments)

