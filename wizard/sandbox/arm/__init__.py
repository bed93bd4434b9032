"""The sandbox's Azure Resource Manager: an HTTPS server the real azure-mgmt SDK clients talk to.

`ArmService` (routing.py) holds the world, the knobs and the request log, and turns one request into one
response; `serve_arm` (http.py) puts it on a TLS ThreadingHTTPServer and applies the fault knobs around it.
One job per module:

- model.py: Request, Response, ArmError, Knobs, LoggedRequest, Target, the token, shared checks and errors
- routing.py: ArmService: state, URL matching and dispatch, paging, generic GET and DELETE
- access.py: authentication, Azure RBAC (role assignments per request at its scope, `deny_actions` on top) and
  policies (PolicyViolation details)
- lro.py: long-running operations: polling headers, the status/result endpoints, failures that arrive late
- resources.py: subscriptions, tenants, locations and resource groups (Microsoft.Resources)
- network.py: VNets, subnets, NSGs, rules, NICs; DELETE of network resources and what it releases
- private_endpoints.py: private endpoints and the private link service visibility check
- private_dns.py: private DNS zones, virtual network links and record sets, and Private DNS's write queue
- http.py: the HTTPS server, its request handler with the fault knobs, and `serve_arm`

Response shapes and error codes follow the real ARM as recorded in `shared/reference/azure-facts.md`;
where a code could not be confirmed it is marked "unconfirmed" next to where it is raised.
"""

from wizard.sandbox.arm.http import serve_arm
from wizard.sandbox.arm.model import ArmError, Knobs, LoggedRequest, Request, Response, make_token
from wizard.sandbox.arm.routing import ArmService

__all__ = ["ArmError", "ArmService", "Knobs", "LoggedRequest", "Request", "Response", "make_token", "serve_arm"]
