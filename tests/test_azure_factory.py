"""The client factory: lazy, one sentence when nobody is signed in, the token never shown, settings from env."""

from __future__ import annotations

import pytest

from wizard.core.azure import NO_CREDENTIAL_MESSAGE, AzureAccessError, ClientFactory, StaticTokenCredential
from wizard.core.settings import AzureSettings, SettingsError, state_dir


def test_settings_from_env_and_flags(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    env = {"ASTRO_PL_ARM_ENDPOINT": "https://arm.example/", "ASTRO_PL_ACCESS_TOKEN": " tok ",
           "ASTRO_PL_CA_FILE": str(ca), "ASTRO_PL_POLLING_INTERVAL": "2"}
    s = AzureSettings.from_env(env)
    assert (s.arm_endpoint, s.access_token, s.ca_file, s.polling_interval) == ("https://arm.example", "tok",
                                                                               str(ca), 2.0)
    assert "tok" not in repr(s)
    assert AzureSettings.from_env(env, arm_endpoint="https://other").arm_endpoint == "https://other"
    assert AzureSettings.from_env({}).is_public_cloud


@pytest.mark.parametrize("env, words", [
    ({"ASTRO_PL_ARM_ENDPOINT": "http://plain"}, "must start with https://"),
    ({"ASTRO_PL_CA_FILE": "/nope.pem"}, "does not exist"),
    ({"ASTRO_PL_POLLING_INTERVAL": "soon"}, "not a number"),
])
def test_bad_settings_say_which_and_why(env, words):
    with pytest.raises(SettingsError) as err:
        AzureSettings.from_env(env)
    assert words in str(err.value)


def test_state_dir_override(tmp_path):
    assert state_dir({"ASTRO_PL_STATE_DIR": str(tmp_path)}) == tmp_path
    assert "astro-privatelink" in str(state_dir({}))


def test_no_credential_is_one_sentence(monkeypatch, tmp_path):
    # An empty environment: no az CLI login, no service principal, no managed identity reachable quickly.
    for key in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME", "IDENTITY_ENDPOINT",
                "MSI_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az`, no `azd`, no pwsh
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")  # IMDS probe: refused at once
    from azure.identity import DefaultAzureCredential

    cred = DefaultAzureCredential(exclude_managed_identity_credential=True)
    factory = ClientFactory(AzureSettings(), credential=cred)
    with pytest.raises(AzureAccessError) as err:
        factory.check_credential()
    assert str(err.value) == NO_CREDENTIAL_MESSAGE
    assert "az login" in str(err.value) and "\n" not in str(err.value)


def test_static_token_identity_is_read_from_its_claims(sandbox):
    factory = ClientFactory(AzureSettings(arm_endpoint=sandbox.arm_endpoint, access_token=sandbox.token,
                                          ca_file=sandbox.ca_file))
    who = factory.check_credential()
    assert who.name == "sandbox@example.invalid" and who.tenant_id == sandbox.tenant_id
    assert sandbox.token not in repr(factory.credential())


def test_clients_are_built_once_and_reach_the_sandbox(sandbox):
    factory = ClientFactory(AzureSettings(arm_endpoint=sandbox.arm_endpoint, access_token=sandbox.token,
                                          ca_file=sandbox.ca_file))
    net = factory.network(sandbox.subscription_id)
    assert factory.network(sandbox.subscription_id.upper()) is net
    names = {v.name for v in net.virtual_networks.list_all()}
    assert "vnet-aks-prod" in names
    subs = [s.subscription_id for s in factory.subscriptions().subscriptions.list()]
    assert subs == [sandbox.subscription_id]
    groups = {g.name for g in factory.resources(sandbox.subscription_id).resource_groups.list()}
    assert "rg-aks-prod" in groups
    zones = list(factory.privatedns(sandbox.subscription_id).private_zones.list())
    assert zones == []


def test_a_wrong_token_is_explained(sandbox):
    from azure.core.exceptions import ClientAuthenticationError

    from wizard.core.errors import explain

    factory = ClientFactory(AzureSettings(arm_endpoint=sandbox.arm_endpoint, access_token="wrong",
                                          ca_file=sandbox.ca_file))
    with pytest.raises(ClientAuthenticationError) as err:
        list(factory.network(sandbox.subscription_id).virtual_networks.list_all())
    assert "az login" in explain(err.value).sentence


def test_static_credential_has_far_expiry_for_plain_tokens():
    cred = StaticTokenCredential("opaque")
    assert cred.get_token("x").token == "opaque"


def test_not_signed_in_is_one_sentence_and_nothing_from_azure_identitys_logger(tmp_path):
    """With no credential at all, `plan` says one sentence with the next action; azure-identity's WARNING lines
    (the whole DefaultAzureCredential chain) do not reach the terminal."""
    import subprocess
    import sys

    config = tmp_path / "c.toml"
    config.write_text('[astro]\nalias = "astro.6f3d8a52-1c4e-4b7a-9d2e-5a8c0f1b7e34.eastus2.azure.privatelinkservice"\n'
                      'api_url = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"\n'
                      '[azure]\nsubscription_id = "8f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f"\n'
                      'resource_group = "rg-aks-prod"\n'
                      '[endpoint]\nvnet = "vnet-aks-prod"\nsubnet = "snet-private-endpoints"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ASTRO_PL_STATE_DIR": str(tmp_path / "state")}
    run = subprocess.run([sys.executable, "-m", "wizard", "plan", "--config", str(config)], capture_output=True,
                         text=True, env=env, timeout=60)
    assert run.returncode == 1
    assert "You are not signed in to Azure: run `az login`" in run.stdout
    assert "Credential" not in run.stderr and "azure.identity" not in run.stderr, run.stderr
