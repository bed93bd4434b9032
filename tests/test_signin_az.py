"""Signing in as customers do: no ASTRO_PL_ACCESS_TOKEN, DefaultAzureCredential finds the real az CLI's sign-in
(`az login`, made offline against the sandbox by ../shared/tools/az-sandbox). Skipped only when az is missing."""

from __future__ import annotations

import pytest
from engine_helpers import demo_config, states
from signin_helpers import IDENTITY_CHATTER, az_login, needs_az

from wizard.cli import main
from wizard.core.azure import NO_CREDENTIAL_MESSAGE, AzureAccessError, ClientFactory
from wizard.core.settings import AzureSettings

pytestmark = needs_az


def _config(sandbox, tmp_path, **changes):
    path = tmp_path / "setup.toml"
    path.write_text(demo_config(sandbox, **changes).to_toml())
    return str(path)


def test_az_sign_in_shows_who_and_which_tenant(sandbox, tmp_path, monkeypatch, capfd):
    az_login(sandbox, tmp_path, monkeypatch)
    factory = ClientFactory(AzureSettings.from_env())
    who = factory.check_credential()
    assert (who.name, who.tenant_id, who.source) == ("sandbox@example.invalid", sandbox.tenant_id,
                                                     "Azure CLI (az login)")
    subs = [s.subscription_id for s in factory.subscriptions().subscriptions.list()]
    assert subs == [sandbox.subscription_id]
    from wizard.core.azcli import az_account

    account = az_account()
    assert account is not None and (account.subscription_id, account.tenant_id) == (sandbox.subscription_id,
                                                                                    sandbox.tenant_id)
    captured = capfd.readouterr()
    assert not any(word in captured.err for word in IDENTITY_CHATTER), captured.err


def test_the_scope_is_the_audience_az_caches_not_the_arm_endpoint(sandbox, tmp_path, monkeypatch):
    """AzureCliCredential runs `az account get-access-token --resource <scope minus /.default>`; az answers from its
    cache only for the audience `az login` got a token for (https://management.core.windows.net/). Asked for the ARM
    endpoint instead, az must reach Azure AD to exchange its refresh token, and offline that is "run az login"."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import AzureCliCredential

    az_login(sandbox, tmp_path, monkeypatch)
    settings = AzureSettings.from_env()
    assert settings.scope == "https://management.core.windows.net//.default"
    cred = AzureCliCredential()
    assert cred.get_token(settings.scope).token
    with pytest.raises(ClientAuthenticationError, match="az login"):
        cred.get_token(sandbox.arm_endpoint + "/.default")


def test_whole_apply_through_the_cli_signed_in_with_az(sandbox, tmp_path, monkeypatch, capfd):
    az_login(sandbox, tmp_path, monkeypatch)
    config = _config(sandbox, tmp_path)
    assert main(["apply", "--config", config, "--yes", "--no-wait"]) == 3   # all made; approval pending
    assert sandbox.writes(), "apply wrote nothing"
    first = capfd.readouterr()
    assert f"Signed in to Azure as sandbox@example.invalid (tenant {sandbox.tenant_id}), using Azure CLI (az login)." \
        in first.out
    assert not any(word in first.err for word in IDENTITY_CHATTER), first.err
    sandbox.approve()
    assert main(["apply", "--config", config, "--yes"]) == 0
    assert main(["status", "--config", config, "--json"]) == 0
    captured = capfd.readouterr()
    assert not any(word in captured.err for word in IDENTITY_CHATTER), captured.err
    from wizard.engine import engine_for_config_file

    engine = engine_for_config_file(config, AzureSettings.from_env())
    assert set(states(engine.plan()).values()) == {"done"}


def test_not_signed_in_is_one_sentence_and_no_identity_chatter(sandbox, tmp_path, monkeypatch, capfd):
    az_login(sandbox, tmp_path, monkeypatch)
    empty = tmp_path / "nobody"
    empty.mkdir()
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(empty))   # az installed, nobody logged in
    with pytest.raises(AzureAccessError) as raised:
        ClientFactory(AzureSettings.from_env()).check_credential()
    assert str(raised.value) == NO_CREDENTIAL_MESSAGE
    assert main(["plan", "--config", _config(sandbox, tmp_path)]) == 1
    captured = capfd.readouterr()
    assert "You are not signed in to Azure: run `az login`" in captured.out + captured.err
    assert not any(word in captured.err for word in IDENTITY_CHATTER), captured.err
    assert sandbox.writes() == []


def test_a_config_without_a_subscription_uses_az_account_shows(sandbox, tmp_path, monkeypatch, capfd):
    az_login(sandbox, tmp_path, monkeypatch)
    config = _config(sandbox, tmp_path, subscription_id="")
    assert main(["plan", "--config", config]) == 0
    captured = capfd.readouterr()
    assert f"using Sandbox Subscription ({sandbox.subscription_id}), the subscription `az account show` has " \
        "selected." in captured.err
    assert "Plan for Astro cluster" in captured.out
