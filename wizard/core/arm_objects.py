"""Light read-only stand-ins for the SDK's models, and the azure-core pipeline the raw reads go through.

`ArmObject` wraps one ARM JSON body and answers attribute reads the way the azure-mgmt-network /
azure-mgmt-privatedns / azure-mgmt-resource models do: the snake_case name of a JSON member
(`private_ip_address` for `privateIPAddress`, `a_records` for `aRecords`), looked up on the resource and then in its
`properties` (the generated models flatten `properties`: `pe.subnet`, while `rs.properties` still answers), nested
objects as `ArmObject`s, lists as lists, None for a member the body lacks (as the models' attributes are None), enum
values as the plain strings ARM sends (`enum_text` and comparisons with "Succeeded" read both alike), and `tags` /
`metadata` as the plain dicts the models give.

`read_pipeline` builds an ARMPipelineClient with the policies the generated clients build (azure-mgmt-network
33.1.0 `_client.py` / `_configuration.py`: request id, headers, user agent, proxy, content decode, resource provider
registration, redirect, retry, ARM challenge authentication with the credential scopes, custom hook, network trace
logging, distributed tracing, sensitive header clean-up, ARM HTTP logging) from the same keyword arguments
`ClientFactory` gives the SDK clients, so retries, the CA file, the per-call policies (the request log, the
transcript) and proxies apply alike, without importing azure.mgmt.network (0.3-0.5 s).
"""

from __future__ import annotations

from typing import Any

# Members whose value is a free-form map in the models (Resource.tags, RecordSet.metadata), not a nested model.
FREE_FORM = frozenset({"tags", "metadata"})
_ABSENT = object()


def _key(name: str) -> str:
    return name.replace("_", "").lower()


def _member(body: dict[str, Any], want: str) -> Any:
    for key, value in body.items():
        if _key(key) == want:
            return value
    return _ABSENT


def light(value: Any) -> Any:
    """A JSON value as the models give it: objects as `ArmObject`, lists element by element, scalars as they are."""
    if isinstance(value, dict):
        return ArmObject(value)
    if isinstance(value, list):
        return [light(v) for v in value]
    return value


class ArmObject:
    """One ARM resource (or nested object) as JSON, read like an SDK model; read-only."""

    __slots__ = ("_body", "_seen")

    def __init__(self, body: dict[str, Any]) -> None:
        object.__setattr__(self, "_body", body)
        object.__setattr__(self, "_seen", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        seen: dict[str, Any] = self._seen
        if name in seen:
            return seen[name]
        want = _key(name)
        value = _member(self._body, want)
        if value is _ABSENT:
            props = self._body.get("properties")
            value = _member(props, want) if isinstance(props, dict) else _ABSENT
        if value is _ABSENT:
            value = None
        elif name not in FREE_FORM:
            value = light(value)
        seen[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only ({name})")

    def as_dict(self) -> dict[str, Any]:
        """The JSON body (a copy), as the models' `as_dict()` gives it."""
        import copy

        return copy.deepcopy(self._body)

    def __repr__(self) -> str:
        return f"ArmObject(id={self._body.get('id')!r}, name={self._body.get('name')!r})"


def read_pipeline(credential: Any, *, base_url: str, credential_scopes: list[str], **kwargs: Any) -> Any:
    """An azure.mgmt.core ARMPipelineClient with the generated clients' policies, from `ClientFactory._kwargs()`."""
    # The modules the reads use later (requests, errors, the visibility check's poller) are imported here, where the
    # factory builds the reader under SDK_IMPORT_LOCK: first imports from several threads at once can fail half-way.
    import azure.core.polling
    import azure.core.rest
    import azure.mgmt.core.exceptions
    import azure.mgmt.core.polling.arm_polling  # noqa: F401
    from azure.core.pipeline import policies
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import (
        ARMAutoResourceProviderRegistrationPolicy,
        ARMChallengeAuthenticationPolicy,
        ARMHttpLoggingPolicy,
    )

    kwargs.setdefault("sdk_moniker", "astro-privatelink-reads")
    chain = [
        policies.RequestIdPolicy(**kwargs),
        policies.HeadersPolicy(**kwargs),
        policies.UserAgentPolicy(**kwargs),
        policies.ProxyPolicy(**kwargs),
        policies.ContentDecodePolicy(**kwargs),
        ARMAutoResourceProviderRegistrationPolicy(),
        policies.RedirectPolicy(**kwargs),
        policies.RetryPolicy(**kwargs),
        ARMChallengeAuthenticationPolicy(credential, *credential_scopes, **kwargs),
        policies.CustomHookPolicy(**kwargs),
        policies.NetworkTraceLoggingPolicy(**kwargs),
        policies.DistributedTracingPolicy(**kwargs),
        policies.SensitiveHeaderCleanupPolicy(**kwargs),
        ARMHttpLoggingPolicy(**kwargs),
    ]
    return ARMPipelineClient(base_url="{endpoint}", policies=chain, **kwargs)
