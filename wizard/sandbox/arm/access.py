"""Who may do what: bearer-token authentication, Azure RBAC (role assignments checked per request at the request's
scope, with ARM's AuthorizationFailed / LinkedAuthorizationFailed answers), the `deny_actions` knob (an extra deny on
top of the roles) and the `deny_global_location` knob (an "allowed locations" policy that refuses location "global").

Tokens are per tenant and expire (`wizard/sandbox/tokens.py`): `authenticate` checks the bearer token against the
tokens the sandbox issued and remembers, for the rest of the request, whose tenant it is; `check_tenant` refuses a
subscription of another tenant (401 InvalidAuthenticationTokenTenant) and `visible_subscriptions` lists only the
token tenant's, as GET /subscriptions does.

`AccessMixin` is part of `ArmService`; routing calls `svc.authorize` for every read and write at the request's
scope and `svc.authorize_linked` for the resources a PUT links to, and handlers call `svc.check_policy` before they
change anything. The role model itself (definitions, scopes, wildcards) is `wizard/sandbox/roles.py`.
"""

from __future__ import annotations

import threading

from wizard.sandbox.arm.model import ArmError, Knobs, Request, Target
from wizard.sandbox.roles import RoleAssignment, permits
from wizard.sandbox.tokens import TokenBook, TokenClaims, wrong_tenant
from wizard.sandbox.world import Subscription, World

_CALLER = threading.local()   # the claims of the token of the request this thread is answering


class AccessMixin:
    """Authentication, authorization and policy checks of `ArmService`."""

    world: World
    knobs: Knobs
    token: str
    object_id: str
    tokens: TokenBook | None = None

    def token_book(self) -> TokenBook:
        """The issued tokens; made on first use with `self.token` (of the world's tenant) when none was given."""
        if self.tokens is None:
            self.tokens = TokenBook()
            self.tokens.register(self.token, TokenClaims(self.world.tenant_id, self.object_id,
                                                         "https://management.core.windows.net/", 2**40))
        return self.tokens

    def caller(self) -> TokenClaims | None:
        return getattr(_CALLER, "claims", None)

    def caller_tenant(self) -> str:
        claims = self.caller()
        return claims.tenant_id if claims else self.world.tenant_id

    def check_tenant(self, sub: Subscription) -> None:
        """ARM refuses a subscription of another tenant than the token's (see `wrong_tenant`)."""
        tenant = self.caller_tenant()
        if tenant.lower() != sub.tenant_id.lower():
            raise wrong_tenant(tenant, sub.tenant_id)

    def visible_subscriptions(self) -> list[Subscription]:
        """GET /subscriptions: those of the token's tenant only (a token is for one tenant; `az account list` asks
        each tenant in turn)."""
        tenant = self.caller_tenant().lower()
        return [s for s in self.world.subscriptions.values() if s.tenant_id.lower() == tenant]

    def authenticate(self, req: Request) -> None:
        _CALLER.claims = None
        header = req.headers.get("authorization")
        tid = self.world.tenant_id
        if not header:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                                                        "missing.", {"WWW-Authenticate": (
                f'Bearer authorization_uri="https://login.windows.net/{tid}", error="invalid_token", '
                'error_description="The authentication failed because of missing \'Authorization\' header."')})
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", {
                "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{tid}", '
                                    'error="invalid_token", error_description="The access token is invalid."'})
        _CALLER.claims = self.token_book().check(token.strip(), tid)

    def assignments(self) -> list[RoleAssignment]:
        """The role assignments in force: the world's, or for the signed-in principal those the knob names."""
        pairs = self.knobs.role_assignments
        if pairs is None:
            return self.world.role_assignments
        me = self.object_id.lower()
        return [RoleAssignment(self.object_id, r, s) for r, s in pairs] + [
            a for a in self.world.role_assignments if a.principal_id.lower() != me]

    def denied(self, action: str, scope: str) -> bool:
        """Refused by the `deny_actions` knob: (action or "*", scope prefix) pairs, case-insensitive."""
        for act, prefix in self.knobs.deny_actions:
            if act.lower() in (action.lower(), "*") and scope.lower().startswith(prefix.lower()):
                return True
        return False

    def allowed(self, action: str, scope: str) -> bool:
        """What ARM's authorization decides: some assignment at `scope` or above grants `action`, and no knob
        denies it. A role assigned on a resource group never counts at the subscription above it."""
        return not self.denied(action, scope) and permits(self.assignments(), self.object_id, action, scope)

    def client(self) -> str:
        return f"The client 'sandbox@example.invalid' with object id '{self.object_id}'"

    def authorize(self, action: str, scope: str) -> None:
        # Message as ARM words it (shared/reference/azure-facts.md; e.g. terraform-provider-azurerm#26597 for a
        # subscription-scope list refused to a principal whose roles are on resource groups).
        if not self.allowed(action, scope):
            raise ArmError(403, "AuthorizationFailed",
                           f"{self.client()} does not have authorization to perform action '{action}' over scope "
                           f"'{scope}' or the scope is invalid. If access was recently granted, please refresh "
                           "your credentials.")

    def authorize_linked(self, action: str, scope: str, linked_action: str, linked_scope: str) -> None:
        """The linked access check ARM makes for a resource a write refers to (a subnet to join, a VNet to link).

        Three shapes, as seen in issue threads: the linked subscription does not exist
        (Azure/Azure-Landing-Zones#3506, hashicorp/terraform-provider-azurerm#14021), it belongs to another tenant
        than the token's (Azure/OpenShift#41, Azure/azure-cli-extensions#7143), or the role is missing on the linked
        scope (F5Networks/f5-azure-arm-templates#177). The first two name the linked action, not the write.
        """
        parts = linked_scope.strip("/").split("/")
        linked_sub = parts[1] if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""
        sub = self.world.subscription(linked_sub)
        if sub is None:
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"The client has permission to perform action '{linked_action}' on scope '{scope}', "
                           f"however the linked subscription '{linked_sub}' was not found. ")
        if sub.tenant_id.lower() != self.caller_tenant().lower():
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"The client has permission to perform action '{linked_action}' on scope '{scope}', "
                           f"however the current tenant '{self.caller_tenant()}' is not authorized to access linked "
                           f"subscription '{sub.subscription_id}'.")
        if not self.allowed(linked_action, linked_scope):
            raise ArmError(403, "LinkedAuthorizationFailed",
                           f"{self.client()} has permission to perform action '{action}' on scope '{scope}'; "
                           f"however, it does not have permission to perform action(s) '{linked_action}' on the "
                           f"linked scope(s) '{linked_scope}' (respectively) or the linked scope(s) are invalid.")

    def check_policy(self, target: Target, location: str) -> None:
        """Azure Policy's deny effect, before the resource provider sees the request: 403 RequestDisallowedByPolicy
        with ARM's current message ("Resource '...' was disallowed by policy. Reasons: '...'. See error details for
        policy resource IDs.", e.g. in hashicorp/cloudbreak's AzureExceptionHandler tests) and one PolicyViolation
        entry per assignment in `additionalInfo`, whose `info` has the shape of the recorded answers in
        MicrosoftDocs/azure-docs (automation/enforce-job-execution-hybrid-worker.md): policyDefinition*,
        policyAssignment*, evaluationDetails. Any policy can deny (hub-and-spoke estates deny private DNS zones in
        spokes: Azure Landing Zones' Deny-Private-DNS-Zones), not only an allowed-locations one without 'global'."""
        sub = target.sub
        if self.knobs.deny_global_location and location.lower() == "global":
            raise _denied(target, {
                "scope": f"/subscriptions/{sub}", "assignment": "allowed-locations-prod",
                "assignment_display": "Allowed locations (production)",
                "definition": "e56962a6-4747-49cd-b67b-bf8b01975c4c", "definition_display": "Allowed locations",
                "message": "Resources must be deployed to East US 2 or West Europe.",
                "parameters": {"listOfAllowedLocations": {"value": ["eastus2", "westeurope"]}},
            }, [{"result": "True", "expressionKind": "Field", "expression": "location", "path": "location",
                 "expressionValue": location, "targetValue": ["eastus2", "westeurope"], "operator": "NotIn"}])
        for rule in self.knobs.deny_policies:
            scope = str(rule.get("scope") or "")
            in_scope = not scope or scope.lower().startswith("/providers/microsoft.management/") or \
                (target.id.lower() + "/").startswith(scope.lower().rstrip("/") + "/")
            if in_scope and str(rule.get("type", "")).lower() == target.type.lower():
                raise _denied(target, {"scope": scope or f"/subscriptions/{sub}", **rule}, [{
                    "result": "True", "expressionKind": "Field", "expression": "type", "path": "type",
                    "expressionValue": target.type, "targetValue": rule.get("type"), "operator": "Equals"}])


def _denied(target: Target, rule: dict, expressions: list[dict]) -> ArmError:
    """The RequestDisallowedByPolicy answer for one deny assignment (see `AccessMixin.check_policy`)."""
    scope = str(rule["scope"]).rstrip("/")
    assignment = str(rule.get("assignment") or "Deny-Private-DNS-Zones")
    definition = str(rule.get("definition") or assignment)
    definition_scope = str(rule.get("definition_scope") or "").rstrip("/")   # "": a built-in definition
    display = str(rule.get("assignment_display") or "Deny the creation of private DNS")
    reason = str(rule.get("message") or display)
    info = {
        "evaluationDetails": {"evaluatedExpressions": expressions},
        "policyDefinitionId": f"{definition_scope}/providers/Microsoft.Authorization/policyDefinitions/{definition}",
        "policyDefinitionName": definition,
        "policyDefinitionDisplayName": str(rule.get("definition_display") or display),
        "policyDefinitionEffect": "Deny",
        "policyAssignmentId": f"{scope}/providers/Microsoft.Authorization/policyAssignments/{assignment}",
        "policyAssignmentName": assignment,
        "policyAssignmentDisplayName": display,
        "policyAssignmentScope": scope,
        "policyAssignmentParameters": rule.get("parameters") or {},
    }
    return ArmError(403, "RequestDisallowedByPolicy",
                    f"Resource '{target.name}' was disallowed by policy. Reasons: '{reason}'. See error details for "
                    "policy resource IDs.",
                    extra={"target": target.name, "additionalInfo": [{"type": "PolicyViolation", "info": info}]})
