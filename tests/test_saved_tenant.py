"""The tenant a setup was made in is kept with its answers (`[azure] tenant_id`, issue 17): the config file holds
it, and the engine asks tokens for it, unless --tenant / ASTRO_PL_TENANT_ID name one or a static token is used."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from engine_helpers import sandbox_settings

from wizard.core.config import ConfigError, SetupConfig, parse_config
from wizard.engine.build import Workspace
from wizard.sandbox import seeds

OTHER = seeds.SECOND_TENANT_ID
OTHER_SUB = seeds.OTHER_TENANT_SUBSCRIPTION_ID


class PerTenantCredential:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        return AccessToken(self.sandbox.issue_token(tenant_id, lifetime=3600), 2**31)


@pytest.mark.parametrize(("tenant", "ok"), [
    ("2f4a6c8e-0b1d-4e3f-9a5c-7e9b1d3f5a7c", True),
    ("fabrikam.onmicrosoft.com", True),
    ("not a tenant", False),
    ("fabrikam", False),
])
def test_tenant_id_round_trips_and_is_checked(tenant: str, ok: bool) -> None:
    cfg = SetupConfig(alias="a", api_url="https://x.external.astronomer.run", subscription_id="s", tenant_id=tenant)
    again = parse_config(cfg.to_toml())
    assert again.tenant_id == tenant
    problems = [p for p in again.problems() if "tenant_id" in p]
    assert (problems == []) is ok, problems


def test_an_empty_tenant_id_is_no_tenant() -> None:
    assert parse_config('[azure]\nsubscription_id = "s"\ntenant_id = ""\n').tenant_id is None
    with pytest.raises(ConfigError, match="tenant_id must be a string"):
        parse_config('[azure]\ntenant_id = 3\n')


def test_the_engine_asks_tokens_for_the_saved_tenant(sandbox, tmp_path) -> None:
    sandbox.reset("two-tenants")
    settings = sandbox_settings(sandbox).with_overrides(access_token=None)
    ws = Workspace(settings, credential=PerTenantCredential(sandbox))
    saved = SetupConfig(subscription_id=OTHER_SUB, tenant_id=OTHER)
    factory = ws.factory_for(saved)
    assert factory.settings.tenant_id == OTHER and ws.factory_for(saved) is factory
    assert [g.name for g in factory.resources(OTHER_SUB).resource_groups.list()] == ["rg-aks-prod"]
    with pytest.raises(ClientAuthenticationError) as refused:   # the account's own tenant cannot see it
        list(ws.factory.resources(OTHER_SUB).resource_groups.list())
    assert refused.value.error is not None and refused.value.error.code == "InvalidAuthenticationTokenTenant"
    assert ws.engine(saved).factory is factory


def test_tenant_given_now_or_a_static_token_wins_over_the_saved_one(sandbox) -> None:
    saved = SetupConfig(subscription_id=OTHER_SUB, tenant_id=OTHER)
    given = Workspace(sandbox_settings(sandbox).with_overrides(access_token=None, tenant_id=sandbox.tenant_id),
                      credential=PerTenantCredential(sandbox))
    assert given.factory_for(saved) is given.factory
    static = Workspace(sandbox_settings(sandbox))
    assert static.factory_for(saved) is static.factory
    assert static.factory_for(SetupConfig()) is static.factory
