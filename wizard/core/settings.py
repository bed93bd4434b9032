"""Settings for reaching Azure and for where setup records live, read from flags and the environment.

The names here are a contract other tools and checks rely on:
ASTRO_PL_ARM_ENDPOINT, ASTRO_PL_ACCESS_TOKEN, ASTRO_PL_CA_FILE, ASTRO_PL_STATE_DIR,
ASTRO_PL_POLLING_INTERVAL (seconds between long-running-operation polls when the server sends no Retry-After),
ASTRO_PL_CLOUD (AzureCloud, AzureUSGovernment or AzureChinaCloud: ARM endpoint, sign-in authority and token audience
together; see `wizard.core.clouds`), ASTRO_PL_TENANT_ID (the tenant tokens are asked for; default: the credential's).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from wizard.core.clouds import AZURE_CLOUD, CLOUD_NAMES, find_cloud
from wizard.core.constants import (
    ENV_ACCESS_TOKEN,
    ENV_ARM_ENDPOINT,
    ENV_CA_FILE,
    ENV_CLOUD,
    ENV_DNS_SERVER,
    ENV_POLLING_INTERVAL,
    ENV_STATE_DIR,
    ENV_TENANT_ID,
)
from wizard.core.validate import parse_nameserver

PUBLIC_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_POLLING_INTERVAL = 5.0


class SettingsError(ValueError):
    """A setting has a value the tool cannot use; the message says which and why."""


# -- the access token: checked when read, and hidden wherever text leaves the tool -----------------------------
# A bearer token is RFC 6750's b64token (section 2.1: letters, digits and -._~+/ then '='s); this accepts any visible
# ASCII and refuses what breaks an HTTP header: a space, a line break, a control character, anything past ASCII.
# Such a token never reaches Azure anyway: the HTTP client refuses the header and quotes it, token and all, in its
# error (requests' InvalidHeader: "Invalid leading whitespace, reserved character(s), or return character(s) in
# header value: 'Bearer ...'"), which then reached the terminal, the request log and `report`.
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SECRET_PIECE = re.compile(r"[\x21-\x7e]{8,}")  # the visible runs of a token a wrapped paste broke up
_secrets: set[str] = set()
# A tenant id (a GUID) or a verified domain name, as `az login --tenant` takes either.
_TENANT = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_secrets_lock = threading.Lock()
HIDDEN = "<hidden>"


def check_access_token(token: str, source: str = ENV_ACCESS_TOKEN) -> None:
    """Raise SettingsError (never quoting the token) unless `token` is one line of visible ASCII."""
    if _TOKEN_CHARS.fullmatch(token):
        return
    if any(c.isspace() or not c.isprintable() for c in token):
        what = "a space, a line break or a control character inside it (a token pasted over several lines?)"
    else:
        what = "a character that is not ASCII"
    raise SettingsError(f"{source} has {what}, and Azure access tokens have none: set it again as one line, e.g. "
                        f"{source}=$(az account get-access-token --query accessToken -o tsv), then run again.")


def remember_secret(value: str | None) -> None:
    """Hide `value` (and each visible run of 8 or more characters in it) in every text `hide_secrets` cleans.

    A value shorter than 8 characters is no token Azure or Astro issues (theirs are hundreds of characters), and
    hiding it would garble ordinary words ("tok" inside "token"), so it is not remembered."""
    if not value or len(value.strip()) < 8:
        return
    with _secrets_lock:
        _secrets.add(value)
        _secrets.update(_SECRET_PIECE.findall(value))


def hide_secrets(text: str) -> str:
    """`text` with every remembered secret and every `Bearer <token>` replaced by <hidden>."""
    if not text:
        return text
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, HIDDEN)
    return _BEARER.sub(r"\1" + HIDDEN, text)


@dataclass(frozen=True)
class AzureSettings:
    """How to reach Azure Resource Manager. The token is never shown in repr or written anywhere."""

    arm_endpoint: str = PUBLIC_ARM_ENDPOINT
    access_token: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    polling_interval: float = DEFAULT_POLLING_INTERVAL
    # Retries of throttled (429) and failed (5xx) requests: more status retries than the SDK's 3, because a
    # busy subscription throttles often and every step is safe to repeat. Tests shrink the backoff.
    retry_status: int = 8
    retry_backoff_factor: float = 0.8
    # The cloud: where tokens are asked (authority) and for what (audience, the scope's resource).
    cloud: str = AZURE_CLOUD.name
    authority_host: str = AZURE_CLOUD.authority_host
    audience: str = AZURE_CLOUD.audience
    tenant_id: str | None = None  # None: the credential's own tenant (az's current one)

    def __post_init__(self) -> None:
        remember_secret(self.access_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, arm_endpoint: str | None = None,
                 ca_file: str | None = None, access_token: str | None = None,
                 polling_interval: float | None = None, cloud: str | None = None,
                 tenant_id: str | None = None) -> AzureSettings:
        """Flags win over the environment, which wins over the defaults."""
        env = os.environ if env is None else env
        cloud_name = cloud or env.get(ENV_CLOUD) or ""
        chosen = find_cloud(cloud_name)
        if chosen is None:
            raise SettingsError(f"Unknown Azure cloud {cloud_name.strip()!r} (from --cloud or {ENV_CLOUD}): use one of "
                                f"{', '.join(CLOUD_NAMES)}.")
        tenant = (tenant_id or env.get(ENV_TENANT_ID) or "").strip() or None
        if tenant and not _TENANT.fullmatch(tenant):
            raise SettingsError(f"The tenant {tenant!r} (from --tenant or {ENV_TENANT_ID}) is not a tenant id: use the "
                                "id `az account tenant list --query [].tenantId -o tsv` shows (or a domain like "
                                "contoso.onmicrosoft.com).")
        endpoint = (arm_endpoint or env.get(ENV_ARM_ENDPOINT) or chosen.arm_endpoint).strip().rstrip("/")
        if not endpoint.startswith("https://"):
            raise SettingsError(
                f"The ARM endpoint {endpoint!r} must start with https:// (Azure refuses bearer tokens over plain "
                f"HTTP). Fix {ENV_ARM_ENDPOINT} or --arm-endpoint.")
        ca = ca_file or env.get(ENV_CA_FILE) or None
        if ca and not os.path.isfile(ca):
            raise SettingsError(f"The CA file {ca!r} (from {ENV_CA_FILE} or --ca-file) does not exist.")
        token = (access_token or env.get(ENV_ACCESS_TOKEN) or "").strip() or None
        if token:
            remember_secret(token)  # hidden from here on, even in the refusal's own traceback
            check_access_token(token)
        interval = polling_interval
        if interval is None:
            raw = env.get(ENV_POLLING_INTERVAL)
            try:
                interval = float(raw) if raw else DEFAULT_POLLING_INTERVAL
            except ValueError:
                raise SettingsError(f"{ENV_POLLING_INTERVAL}={raw!r} is not a number of seconds.") from None
        if interval < 0:
            raise SettingsError(f"The polling interval must be zero or more seconds, not {interval}.")
        return cls(arm_endpoint=endpoint, access_token=token, ca_file=ca,
                   polling_interval=interval, cloud=chosen.name, authority_host=chosen.authority_host,
                   audience=chosen.audience, tenant_id=tenant)

    @classmethod
    def from_args(cls, args: object, env: Mapping[str, str] | None = None) -> AzureSettings:
        """`from_env` with the global flags of a parsed command line (--arm-endpoint, --ca-file, --cloud, --tenant)."""
        return cls.from_env(env, arm_endpoint=getattr(args, "arm_endpoint", None),
                            ca_file=getattr(args, "ca_file", None), cloud=getattr(args, "cloud", None),
                            tenant_id=getattr(args, "tenant", None))

    @property
    def scope(self) -> str:
        """The scope ARM tokens are asked with (see `wizard.core.clouds.Cloud.scope`)."""
        return self.audience + "/.default"

    def with_overrides(self, **changes: object) -> AzureSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_public_cloud(self) -> bool:
        return self.arm_endpoint.lower() == PUBLIC_ARM_ENDPOINT


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where setup records live: ASTRO_PL_STATE_DIR, else the platformdirs user state directory."""
    env = os.environ if env is None else env
    override = env.get(ENV_STATE_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_state_path

    return user_state_path("astro-privatelink", appauthor=False)


def dns_server_from_env(env: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """The DNS server `verify` asks, from ASTRO_PL_DNS_SERVER (HOST[:PORT]); None when unset or blank (then the
    system resolver answers). Raises SettingsError (a ValueError) naming the variable when it cannot be parsed."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_DNS_SERVER) or "").strip()
    if not raw:
        return None
    try:
        return parse_nameserver(raw)
    except ValueError as exc:
        raise SettingsError(f"{ENV_DNS_SERVER}={raw!r}: {exc}") from None
