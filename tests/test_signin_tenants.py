"""Several tenants: the sandbox's "two-tenants" world has a subscription in a second tenant (Fabrikam), visible and
usable only with a token for that tenant; ARM answers a token of the wrong tenant with 401
InvalidAuthenticationTokenTenant. The product lists the tenants, asks tokens per tenant, and explains the refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from conftest import make_sdk
from engine_helpers import demo_config, sandbox_settings
from signin_helpers import IDENTITY_CHATTER, az_login, needs_az

from wizard.cli import main
from wizard.core.azure import ClientFactory
from wizard.core.config import SetupConfig
from wizard.core.errors import explain
from wizard.core.settings import AzureSettings
from wizard.sandbox import seeds

OTHER = seeds.SECOND_TENANT_ID
OTHER_SUB = seeds.OTHER_TENANT_SUBSCRIPTION_ID


@pytest.fixture
def two_tenants(sandbox):
    sandbox.reset("two-tenants")
    return sandbox


class PerTenantCredential:
    """A credential that, like azure-identity's, gets a token of the tenant asked for (`tenant_id=`), else of the
    home tenant; it notes every tenant asked."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox, self.asked = sandbox, []

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        self.asked.append(tenant_id)
        return AccessToken(self.sandbox.issue_token(tenant_id, lifetime=3600), 2**31)


def test_a_token_sees_its_own_tenants_subscriptions_and_every_tenant(two_tenants):
    sb = two_tenants
    home = make_sdk(sb)
    assert [t.tenant_id for t in home.subscriptions.tenants.list()] == [sb.tenant_id, OTHER]
    assert [s.subscription_id for s in home.subscriptions.subscriptions.list()] == [sb.subscription_id]
    other = make_sdk(sb, token=sb.issue_token(OTHER))
    assert [s.subscription_id for s in other.subscriptions.subscriptions.list()] == [OTHER_SUB]
    assert [t.display_name for t in other.subscriptions.tenants.list()] == ["Contoso", "Fabrikam"]


def test_a_wrong_tenant_token_gets_arms_401_and_one_sentence(two_tenants):
    from azure.core.exceptions import ClientAuthenticationError

    sb = two_tenants
    home = make_sdk(sb)
    with pytest.raises(ClientAuthenticationError) as raised:
        home.subscriptions.subscriptions.get(OTHER_SUB)
    exc = raised.value
    assert exc.status_code == 401 and exc.error.code == "InvalidAuthenticationTokenTenant"
    assert exc.error.message.startswith(
        f"The access token is from the wrong issuer 'https://sts.windows.net/{sb.tenant_id}/'. It must match the "
        f"tenant 'https://sts.windows.net/{OTHER}/' associated with this subscription. Please use the authority (URL) "
        f"'https://login.windows.net/{OTHER}' to get the token.")
    sentence = explain(exc).sentence
    assert sentence == (f"Your access token is for tenant {sb.tenant_id}, but the subscription belongs to tenant "
                        f"{OTHER}: sign in to that tenant (`az login --tenant {OTHER}`, or --tenant {OTHER}), then "
                        "run again.")


def test_the_product_lists_tenants_and_asks_tokens_per_tenant(two_tenants):
    sb = two_tenants
    cred = PerTenantCredential(sb)
    settings = sandbox_settings(sb).with_overrides(access_token=None)
    factory = ClientFactory(settings, credential=cred)
    assert [(t.tenant_id, t.display_name, t.default_domain) for t in factory.tenants()] == [
        (sb.tenant_id, "Contoso", "contoso.onmicrosoft.com"), (OTHER, "Fabrikam", "fabrikam.onmicrosoft.com")]
    fabrikam = factory.for_tenant(OTHER)
    assert [s.subscription_id for s in fabrikam.subscriptions().subscriptions.list()] == [OTHER_SUB]
    assert fabrikam.check_credential().tenant_id == OTHER
    assert OTHER in cred.asked
    # the chosen tenant's subscription works end to end: its resource groups are read with its tokens
    assert [g.name for g in fabrikam.resources(OTHER_SUB).resource_groups.list()] == ["rg-aks-prod"]
    # ASTRO_PL_TENANT_ID picks the tenant the same way
    from_env = AzureSettings.from_env({"ASTRO_PL_TENANT_ID": OTHER, "ASTRO_PL_ARM_ENDPOINT": sb.arm_endpoint})
    assert from_env.tenant_id == OTHER


@needs_az
def test_cli_with_az_in_one_tenant_and_a_subscription_of_another(two_tenants, tmp_path, monkeypatch, capfd):
    """Signed in with az to the home tenant, a config for Fabrikam's subscription: one sentence naming both tenants;
    signed in to Fabrikam and `--tenant` it: the plan reads that subscription."""
    sb = two_tenants
    config = tmp_path / "setup.toml"
    config.write_text(demo_config(sb, subscription_id=OTHER_SUB).to_toml())
    az_login(sb, tmp_path, monkeypatch)
    assert main(["plan", "--config", str(config)]) == 1
    out = capfd.readouterr()
    assert f"Your access token is for tenant {sb.tenant_id}, but the subscription belongs to tenant {OTHER}" in \
        out.out + out.err
    assert not any(word in out.err for word in IDENTITY_CHATTER), out.err
    az_login(sb, tmp_path, monkeypatch, tenant_id=OTHER, subscription_id=OTHER_SUB)
    assert main(["plan", "--config", str(config), "--tenant", OTHER, "--json"]) == 0
    steps = {s["name"]: s for s in json.loads(capfd.readouterr().out)["steps"]}
    assert steps["inputs"]["state"] == "done" and steps["private_endpoint"]["state"] == "todo", steps["inputs"]


def test_plain_wizard_asks_which_tenant_and_lists_that_tenants_subscriptions(two_tenants, tmp_path):
    import io

    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from wizard.core.record import RecordStore
    from wizard.engine import Workspace
    from wizard.plain import PlainWizard, Prompter

    sb = two_tenants
    settings = sandbox_settings(sb).with_overrides(access_token=None)
    workspace = Workspace(settings, store=RecordStore(tmp_path / "state"))
    cred = PerTenantCredential(sb)
    workspace.factory = ClientFactory(settings, credential=cred)
    out = io.StringIO()
    enter, down, ctrl_c = "\r", "\x1b[B", "\x03"
    with create_pipe_input() as pipe:
        pipe.send_text(sb.demo_alias + enter + sb.demo_api_url + enter + down + enter + ctrl_c)
        PlainWizard(workspace, prompter=Prompter(pipe, DummyOutput()), out=out).run()
    text = out.getvalue()
    assert f"Signed in to Azure as sandbox@example.invalid (tenant {sb.tenant_id}), using Azure CLI" in text
    assert "Using tenant " + OTHER in text
    assert f"Using subscription Fabrikam Production ({OTHER_SUB}), the only one this account sees." in text, text
    assert OTHER in cred.asked


def _plain(sb: Any, tmp_path: Any, cred: Any) -> Any:
    import io

    from prompt_toolkit.output import DummyOutput

    from wizard.core.record import RecordStore
    from wizard.engine import Workspace
    from wizard.plain import PlainWizard, Prompter

    settings = sandbox_settings(sb).with_overrides(access_token=None)
    workspace = Workspace(settings, store=RecordStore(tmp_path / "state"))
    workspace.factory = ClientFactory(settings, credential=cred)
    out = io.StringIO()
    return PlainWizard(workspace, prompter=Prompter(None, DummyOutput()), out=out), out


def test_plain_wizard_uses_the_tenant_saved_with_the_answers(two_tenants, tmp_path):
    """A resumed setup made in another tenant: its tokens again, without asking (`[azure] tenant_id`)."""
    sb = two_tenants
    wizard, out = _plain(sb, tmp_path, PerTenantCredential(sb))
    wizard.config = SetupConfig(tenant_id=OTHER)
    wizard.choose_tenant(sb.tenant_id)
    assert wizard.factory.settings.tenant_id == OTHER and wizard.workspace.factory is wizard.factory
    assert f"Using tenant {OTHER}, saved with this setup" in out.getvalue()


def test_plain_wizard_goes_on_in_the_accounts_tenant_when_the_saved_ones_sign_in_lapsed(two_tenants, tmp_path):
    from azure.core.exceptions import ClientAuthenticationError

    sb = two_tenants

    class HomeOnly(PerTenantCredential):
        def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> Any:
            if tenant_id not in (None, sb.tenant_id):
                raise ClientAuthenticationError(f"AADSTS50076: sign in to tenant {tenant_id} again")
            return super().get_token(*scopes, tenant_id=tenant_id, **kwargs)

    wizard, out = _plain(sb, tmp_path, HomeOnly(sb))
    home = wizard.factory
    wizard.config = SetupConfig(tenant_id=OTHER)
    wizard.choose_tenant(sb.tenant_id)
    assert wizard.factory is home and wizard.config.tenant_id is None
    assert f"No token for the tenant saved with this setup ({OTHER}): using your account's own." in out.getvalue()
    assert "AADSTS" not in out.getvalue()
