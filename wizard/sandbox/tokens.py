"""The sandbox's access tokens: issued per tenant with an audience and an expiry, and checked as ARM checks them.

A token is an unsigned JWT-shaped string (`make_token`) that the sandbox remembers when it issues it; ARM's answers
to a token it does not accept, all 401 with a `WWW-Authenticate: Bearer ...` header naming the tenant's authority:

* unknown (not issued here)   InvalidAuthenticationToken "The access token is invalid."
* expired                     ExpiredAuthenticationToken "The access token expiry UTC time '6/15/2026 8:22:51 AM' is
                              earlier than current UTC time '6/15/2026 9:27:25 AM'." (the shape quoted in
                              microsoft/foundry-dev-tools#461 and microsoft/vscode-azureappservice#2457: US month/day,
                              12-hour clock)
* another audience            InvalidAuthenticationTokenAudience "The access token has been obtained for wrong audience
                              or resource '...'. It should exactly match with one of the allowed audiences
                              'https://management.core.windows.net/','https://management.core.windows.net',
                              'https://management.azure.com/','https://management.azure.com'."
                              (Azure-Samples/active-directory-dotnetcore-daemon-v2#145,
                              JetBrains/azure-tools-for-intellij#16)
* another tenant than the subscription's: InvalidAuthenticationTokenTenant (`wrong_tenant`; message as quoted in
                              Azure/LogicAppsUX#9068 and bradygaster-zz/azure-tools-vscode#44)

The clock can be moved forward (`advance`) so that a test sees a token expire without waiting for it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from wizard.sandbox.arm.model import ArmError

ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                 "https://management.azure.com/", "https://management.azure.com")
DEFAULT_AUDIENCE = "https://management.core.windows.net/"   # what `az login` asks for (azure-cli cloud.py)
USER = "sandbox@example.invalid"


@dataclass(frozen=True)
class TokenClaims:
    tenant_id: str
    object_id: str
    audience: str
    expires_on: int


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def make_token(tenant_id: str, object_id: str, *, lifetime: float = 86400, audience: str = DEFAULT_AUDIENCE,
               now: float | None = None) -> tuple[str, TokenClaims]:
    """An unsigned JWT-shaped bearer token whose claims say who is signed in, where, for what and until when."""
    issued = int(time.time() if now is None else now)
    exp = int(issued + lifetime)
    payload = {"aud": audience, "iss": f"https://sts.windows.net/{tenant_id}/", "iat": issued, "nbf": issued,
               "exp": exp, "upn": USER, "unique_name": USER, "name": "Sandbox User", "tid": tenant_id,
               "oid": object_id, "scp": "user_impersonation"}
    sig = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    token = f"{_b64({'typ': 'JWT', 'alg': 'none', 'kid': 'sandbox'})}.{_b64(payload)}.{sig}"
    return token, TokenClaims(tenant_id, object_id, audience, exp)


def arm_time(epoch: float) -> str:
    """A UTC time as ARM's ExpiredAuthenticationToken message writes it: 6/15/2026 8:22:51 AM."""
    d = datetime.fromtimestamp(epoch, tz=timezone.utc)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


def _challenge(tenant_id: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{tenant_id}", '
                                f'error="invalid_token", error_description="{description}"'}


def wrong_tenant(token_tenant: str, sub_tenant: str) -> ArmError:
    """ARM's answer to a token of another tenant than the subscription's."""
    return ArmError(401, "InvalidAuthenticationTokenTenant",
                    f"The access token is from the wrong issuer 'https://sts.windows.net/{token_tenant}/'. It must "
                    f"match the tenant 'https://sts.windows.net/{sub_tenant}/' associated with this subscription. "
                    f"Please use the authority (URL) 'https://login.windows.net/{sub_tenant}' to get the token. Note, "
                    "if the subscription is transferred to another tenant there is no impact to the services, but "
                    "information about new tenant could take time to propagate (up to an hour). If you just "
                    "transferred your subscription and see this error message, please try back later.",
                    _challenge(sub_tenant, "The access token is from the wrong issuer."))


class TokenBook:
    """The tokens the sandbox issued and its clock (real time plus `offset` seconds); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, TokenClaims] = {}
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock forward (tokens issued before expire sooner, as if time had passed)."""
        with self._lock:
            self.offset += seconds

    def issue(self, tenant_id: str, object_id: str, *, lifetime: float = 86400,
              audience: str = DEFAULT_AUDIENCE) -> str:
        token, claims = make_token(tenant_id, object_id, lifetime=lifetime, audience=audience, now=self.now())
        self.register(token, claims)
        return token

    def register(self, token: str, claims: TokenClaims) -> None:
        with self._lock:
            self._tokens[token] = claims

    def check(self, token: str, home_tenant: str) -> TokenClaims:
        """The claims of an accepted token; ArmError (401) as ARM answers otherwise."""
        with self._lock:
            claims = self._tokens.get(token)
        if claims is None:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                           _challenge(home_tenant, "The access token is invalid."))
        now = self.now()
        if claims.expires_on < now:
            message = (f"The access token expiry UTC time '{arm_time(claims.expires_on)}' is earlier than current UTC "
                       f"time '{arm_time(now)}'.")
            raise ArmError(401, "ExpiredAuthenticationToken", message, _challenge(claims.tenant_id, message))
        if claims.audience not in ARM_AUDIENCES:
            allowed = ",".join(f"'{a}'" for a in ARM_AUDIENCES)
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{claims.audience}'. "
                           f"It should exactly match with one of the allowed audiences {allowed}.",
                           _challenge(claims.tenant_id, "The access token has been obtained for wrong audience."))
        return claims


MAIN_TOKEN_LIFETIME = 30 * 86400   # the token `Sandbox.token` / `astro-privatelink sandbox` hands out


def main_token_book(tenant_id: str, object_id: str, token: str | None = None) -> tuple[TokenBook, str]:
    """A book holding the sandbox's main token: `token` when given (any string, accepted until far in the future),
    else one issued for `tenant_id` for MAIN_TOKEN_LIFETIME."""
    book = TokenBook()
    if token:
        book.register(token, TokenClaims(tenant_id, object_id, DEFAULT_AUDIENCE, 2**40))
        return book, token
    return book, book.issue(tenant_id, object_id, lifetime=MAIN_TOKEN_LIFETIME)
