"""A small client of the Astro Platform API v1 (httpx): organizations, clusters, deployments, and the update of one.

Shapes and paths: astronomer/astro-cli `astro-client-v1/api.gen.go`; paging: its `cloud/pagination/pagination.go`
(advance the offset by what came back, stop on an empty page or at totalCount, give up after 100 pages). The token
comes from ASTRO_API_TOKEN or is pasted; it lives in memory only (never in the setup record, a config file, the
request log or a report) and is hidden from any text through `settings.remember_secret`. The base URL is
ASTRO_PL_ASTRO_API (default https://api.astronomer.io/v1); a custom CA comes from ASTRO_PL_CA_FILE / --ca-file.
Every failure is an `AstroApiError` whose text is one sentence: the cause and the next action.
"""

from __future__ import annotations

import os
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from wizard.core.constants import DEFAULT_ASTRO_API, ENV_ASTRO_API, ENV_ASTRO_API_TOKEN, ENV_CA_FILE
from wizard.core.settings import SettingsError, hide_secrets, remember_secret

MAX_PAGES = 100
PAGE_LIMIT = 1000          # what astro-cli asks for (cloud/deployment/deployment.go listLimit)
MAX_RETRY_WAIT = 60.0      # a Retry-After longer than this is reported instead of waited for
TIMEOUT = 20.0
# https://www.astronomer.io/docs/astro/user-permissions: Workspace Operator and above can update a Deployment's
# settings; an Organization Owner inherits Workspace Owner in every Workspace.
TOKEN_HELP = ("create an API token in the Astro UI (Organization Settings > Access Management > API Tokens) with "
              "the Workspace Operator role (or higher) on the Deployment's Workspace, and set ASTRO_API_TOKEN to it")
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")


class AstroApiError(Exception):
    """The Astro API could not do something; `str()` is one sentence naming the cause and the next action."""

    def __init__(self, sentence: str, *, status: int | None = None, kind: str = "failed") -> None:
        super().__init__(hide_secrets(sentence))
        self.status = status
        self.kind = kind   # token, forbidden, not_found, throttled, invalid, network, server, failed


@dataclass(frozen=True)
class AstroApiSettings:
    """Where the API is and how to call it. The token is never in repr."""

    base_url: str = DEFAULT_ASTRO_API
    token: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    def __post_init__(self) -> None:
        remember_secret(self.token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, token: str | None = None,
                 ca_file: str | None = None) -> AstroApiSettings:
        """A pasted `token` wins over ASTRO_API_TOKEN; SettingsError for a base URL or token that cannot work."""
        env = os.environ if env is None else env
        base = (env.get(ENV_ASTRO_API) or DEFAULT_ASTRO_API).strip().rstrip("/")
        if not base.startswith("https://"):
            raise SettingsError(f"{ENV_ASTRO_API}={base!r} must start with https:// (the API token is a bearer "
                                "token): fix it or unset it to use https://api.astronomer.io/v1.")
        raw = (token if token is not None else env.get(ENV_ASTRO_API_TOKEN) or "").strip() or None
        if raw:
            remember_secret(raw)
            check_token(raw)
        return cls(base_url=base, token=raw, ca_file=ca_file or env.get(ENV_CA_FILE) or None)

    @property
    def has_token(self) -> bool:
        return bool(self.token)


def check_token(token: str) -> None:
    """SettingsError (never quoting the token) unless it is one line of visible ASCII, as a bearer token is."""
    if not _TOKEN_CHARS.fullmatch(token):
        raise SettingsError(f"The Astro API token has a space, a line break or a character that is not ASCII: paste "
                            f"it again as one line (or set {ENV_ASTRO_API_TOKEN} again).")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (RFC 9110 section 10.2.3: delay-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class AstroApi:
    """Calls to the Astro API with one settings object; 429 is waited out (Retry-After) up to `retries` times."""

    def __init__(self, settings: AstroApiSettings, *, retries: int = 4, sleep: Callable[[float], None] = time.sleep,
                 timeout: float = TIMEOUT) -> None:
        if not settings.token:
            raise AstroApiError(f"No Astro API token was given: {TOKEN_HELP}, or paste it on the Astro details "
                                "screen.", kind="token")
        self.settings = settings
        self._retries = retries
        self._sleep = sleep
        self._timeout = timeout
        self._client: Any = None

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            ca = self.settings.ca_file
            context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
            self._client = httpx.Client(verify=context, timeout=self._timeout, follow_redirects=False)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> AstroApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the calls ----
    def organizations(self) -> list[dict[str, Any]]:
        return self._all("/organizations", "organizations")

    def clusters(self, org: str) -> list[dict[str, Any]]:
        return self._all(f"/organizations/{_seg(org)}/clusters", "clusters")

    def cluster(self, org: str, cluster_id: str) -> dict[str, Any]:
        return self._call("GET", f"/organizations/{_seg(org)}/clusters/{_seg(cluster_id)}", what="cluster "
                          + cluster_id)

    def deployments(self, org: str) -> list[dict[str, Any]]:
        return self._all(f"/organizations/{_seg(org)}/deployments", "deployments")

    def deployment(self, org: str, deployment_id: str) -> dict[str, Any]:
        return self._call("GET", f"/organizations/{_seg(org)}/deployments/{_seg(deployment_id)}",
                          what="Deployment " + deployment_id)

    def update_deployment(self, org: str, deployment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST the full update request (UpdateDeploymentRequest); the updated Deployment back."""
        return self._call("POST", f"/organizations/{_seg(org)}/deployments/{_seg(deployment_id)}", body=body,
                          what="Deployment " + deployment_id, writing=True)

    # ---- plumbing ----
    def _all(self, path: str, key: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._call("GET", path, params={"offset": len(out), "limit": PAGE_LIMIT}, what=key)
            items = page.get(key) if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise AstroApiError(f"The Astro API answered {path} without a list of {key}: check "
                                    f"{ENV_ASTRO_API} points at the Astro API (.../v1).", kind="failed")
            out += [i for i in items if isinstance(i, dict)]
            if not items or len(out) >= int(page.get("totalCount") or 0):
                return out
        raise AstroApiError(f"Listing {key} stopped after {MAX_PAGES} pages: the API keeps reporting more; try again "
                            "later.", kind="failed")

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None, what: str = "", writing: bool = False) -> Any:
        import httpx

        url = self.settings.base_url + path
        headers = {"Authorization": f"Bearer {self.settings.token}", "Accept": "application/json"}
        for attempt in range(self._retries + 1):
            try:
                resp = self._http().request(method, url, params=params, json=body, headers=headers)
            except httpx.TimeoutException:
                raise AstroApiError(f"The Astro API at {self.settings.base_url} did not answer in time: check the "
                                    "network or proxy to it and try again.", kind="network") from None
            except httpx.TransportError as exc:
                raise AstroApiError(f"The Astro API at {self.settings.base_url} cannot be reached "
                                    f"({type(exc).__name__}): check the network, proxy and CA file "
                                    f"({ENV_CA_FILE}), then try again.", kind="network") from None
            if resp.status_code == 429:
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
                wait = 1.0 if wait is None else wait
                if attempt < self._retries and wait <= MAX_RETRY_WAIT:
                    self._sleep(wait)
                    continue
                raise AstroApiError(f"The Astro API is limiting requests (429, retry after {wait:g} s): wait a "
                                    "minute and run again.", status=429, kind="throttled")
            return self._result(resp, what, writing)
        raise AssertionError("unreachable")  # pragma: no cover

    def _result(self, resp: Any, what: str, writing: bool) -> Any:
        status = resp.status_code
        try:
            data = resp.json()
        except ValueError:
            data = None
        if 200 <= status < 300:
            if data is None:
                raise AstroApiError(f"The Astro API answered {what} with something that is not JSON: check "
                                    f"{ENV_ASTRO_API} points at the Astro API.", status=status)
            return data
        message = str(data.get("message") or "").strip() if isinstance(data, dict) else ""
        said = f" (Astro said: {message.rstrip('.')})" if message else ""
        if status == 401:
            raise AstroApiError(f"Astro refused the API token as invalid or expired{said}: {TOKEN_HELP}.",
                                status=401, kind="token")
        if status == 403:
            doing = "change" if writing else "read"
            raise AstroApiError(f"The Astro API token may not {doing} {what}{said}: give the token the Workspace "
                                "Operator role (or higher) on the Deployment's Workspace, or use one that has it.",
                                status=403, kind="forbidden")
        if status == 404:
            raise AstroApiError(f"Astro has no {what} that this token can see{said}: check the organization and "
                                "Deployment ids ([astro] organization_id, deployment_id).", status=404,
                                kind="not_found")
        if status == 400:
            raise AstroApiError(f"Astro refused the request for {what}{said}: nothing was changed; report this with "
                                "`astro-privatelink report`.", status=400, kind="invalid")
        raise AstroApiError(f"The Astro API answered {status} for {what}{said}: try again in a few minutes.",
                            status=status, kind="server")


def _seg(value: str) -> str:
    return quote(value, safe="")
