"""Sovereign clouds: --cloud / ASTRO_PL_CLOUD set the ARM endpoint, the sign-in authority and the token audience
together (values as azure-cli's cloud.py defines AzureCloud, AzureUSGovernment and AzureChinaCloud)."""

from __future__ import annotations

import pytest

from wizard.cli import main
from wizard.core.azure import ClientFactory
from wizard.core.settings import AzureSettings, SettingsError

CASES = [
    ("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
     "https://management.core.windows.net//.default"),
    ("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
     "https://management.core.usgovcloudapi.net//.default"),
    ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
     "https://management.core.chinacloudapi.cn//.default"),
]


@pytest.mark.parametrize(("cloud", "endpoint", "authority", "scope"), CASES)
def test_a_cloud_sets_endpoint_authority_and_audience_together(cloud, endpoint, authority, scope):
    by_env = AzureSettings.from_env({"ASTRO_PL_CLOUD": cloud.lower()})
    for settings in (AzureSettings.from_env({}, cloud=cloud), by_env):
        assert (settings.cloud, settings.arm_endpoint, settings.authority_host, settings.scope) == \
            (cloud, endpoint, authority, scope)


def test_no_cloud_is_the_public_one_and_the_flag_beats_the_environment():
    assert AzureSettings.from_env({}).cloud == "AzureCloud"
    chosen = AzureSettings.from_env({"ASTRO_PL_CLOUD": "AzureChinaCloud"}, cloud="AzureUSGovernment")
    assert chosen.cloud == "AzureUSGovernment"


def test_an_arm_endpoint_of_its_own_keeps_the_clouds_audience():
    """Azure Stack or the sandbox: another ARM address, but tokens still for the cloud's ARM audience."""
    settings = AzureSettings.from_env({"ASTRO_PL_ARM_ENDPOINT": "https://127.0.0.1:8443"})
    assert settings.arm_endpoint == "https://127.0.0.1:8443"
    assert settings.scope == "https://management.core.windows.net//.default"


def test_the_default_credential_asks_the_clouds_authority(monkeypatch):
    monkeypatch.delenv("ASTRO_PL_ACCESS_TOKEN", raising=False)
    factory = ClientFactory(AzureSettings.from_env({}, cloud="AzureUSGovernment"))
    cred = factory.credential()
    # azure-identity keeps the authority on the credentials it builds; the shared token cache one shows it
    shared = next(c for c in cred.credentials if type(c).__name__ == "SharedTokenCacheCredential")
    assert shared._credential._authority == "https://login.microsoftonline.us"


def test_an_unknown_cloud_is_refused_before_anything(tmp_path, capsys):
    with pytest.raises(SettingsError, match=r"Unknown Azure cloud 'Mars'.*AzureCloud, AzureUSGovernment, "
                                            r"AzureChinaCloud\."):
        AzureSettings.from_env({}, cloud="Mars")
    config = tmp_path / "setup.toml"
    config.write_text("[astro]\nalias = \"x\"\n")
    assert main(["plan", "--config", str(config), "--cloud", "Mars"]) == 2
    assert "Unknown Azure cloud 'Mars'" in capsys.readouterr().err


def test_a_tenant_that_is_not_an_id_is_refused():
    with pytest.raises(SettingsError, match="is not a tenant id"):
        AzureSettings.from_env({"ASTRO_PL_TENANT_ID": "not a tenant"})
    assert AzureSettings.from_env({}, tenant_id="contoso.onmicrosoft.com").tenant_id == "contoso.onmicrosoft.com"
