"""Who may do what: bearer-token authentication, the `deny_actions` knob (RBAC and linked-access 403s) and the
`deny_global_location` knob (an "allowed locations" policy that refuses location "global").

`AccessMixin` is part of `ArmService`; handlers call `svc.authorize`, `svc.authorize_linked` and
`svc.check_policy` before they change anything.
"""

from __future__ import annotations

import json

from wizard.sandbox.arm.model import ArmError, Knobs, Request, Target
from wizard.sandbox.world import World


class AccessMixin:
    """Authentication, authorization and policy checks of `ArmService`."""

    world: World
    knobs: Knobs
    token: str
    object_id: str

    def authenticate(self, req: Request) -> None:
        header = req.headers.get("authorization")
        tid = self.world.tenant_id
        if not header:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                                                        "missing.", {"WWW-Authenticate": (
                f'Bearer authorization_uri="https://login.windows.net/{tid}", error="invalid_token", '
                'error_description="The authentication failed because of missing \'Authorization\' header."')})
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", {
                "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{tid}", '
                                    'error="invalid_token", error_description="The access token is invalid."'})

    def denied(self, action: str, scope: str) -> bool:
        for act, prefix in self.knobs.deny_actions:
            if act.lower() in (action.lower(), "*") and scope.lower().startswith(prefix.lower()):
                return True
        return False

    def client(self) -> str:
        return f"The client 'sandbox@example.invalid' with object id '{self.object_id}'"

    def authorize(self, action: str, scope: str) -> None:
        if self.denied(action, scope):
            raise ArmError(403, "AuthorizationFailed",
                           f"{self.client()} does not have authorization to perform action '{action}' over scope "
                           f"'{scope}' or the scope is invalid. If access was recently granted, please refresh "
                           "your credentials.")

    def authorize_linked(self, action: str, scope: str, linked_action: str, linked_scope: str) -> None:
        if self.denied(linked_action, linked_scope):
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"{self.client()} has permission to perform action '{action}' on scope '{scope}'; "
                           f"however, it does not have permission to perform action(s) '{linked_action}' on the "
                           f"linked scope(s) '{linked_scope}' (respectively) or the linked scope(s) are invalid.")

    def check_policy(self, target: Target, location: str) -> None:
        if self.knobs.deny_global_location and location.lower() == "global":
            sub = target.sub
            assignment = (f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/"
                          "allowed-locations-prod")
            ids = json.dumps([{"policyAssignment": {"name": "Allowed locations (production)", "id": assignment},
                               "policyDefinition": {"name": "Allowed locations", "id": (
                                   "/providers/Microsoft.Authorization/policyDefinitions/"
                                   "e56962a6-4747-49cd-b67b-bf8b01975c4c")}}], separators=(",", ":"))
            raise ArmError(403, "RequestDisallowedByPolicy",
                           f"Resource '{target.name}' was disallowed by policy. Policy identifiers: '{ids}'.")
