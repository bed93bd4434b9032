"""The Azure clouds the tool knows: for each, the ARM endpoint, the sign-in authority and the token audience.

The three go together: a token is asked of the cloud's authority for the cloud's ARM audience, and sent to the
cloud's ARM endpoint. Values as the Azure CLI defines its clouds (Azure/azure-cli,
src/azure-cli-core/azure/cli/core/cloud.py: AZURE_PUBLIC_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOV_CLOUD --
`resource_manager`, `active_directory`, `active_directory_resource_id`) and azure-identity's
`AzureAuthorityHosts`.

The audience is `active_directory_resource_id` ("https://management.core.windows.net/" in the public cloud), not
the ARM endpoint: it is what `az login` caches a token for, so `AzureCliCredential` (which runs
`az account get-access-token --resource <scope without /.default>`) is answered from az's cache. Asked for
"https://management.azure.com/.default" instead, az has no cached token for that scope and must reach Azure AD to
exchange its refresh token -- which fails wherever only the cached token works (offline, the sandbox). ARM accepts
both audiences (its InvalidAuthenticationTokenAudience message lists 'https://management.core.windows.net/',
'https://management.azure.com/' and both without the slash; e.g.
Azure-Samples/active-directory-dotnetcore-daemon-v2#145).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    authority_host: str
    audience: str

    @property
    def scope(self) -> str:
        """The scope a token for ARM is asked with: the audience + "/.default" (azure-cli's resource_to_scopes keeps
        the audience's trailing slash: "https://management.core.windows.net//.default")."""
        return self.audience + "/.default"


AZURE_CLOUD = Cloud("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
                    "https://management.core.windows.net/")
AZURE_US_GOVERNMENT = Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net",
                            "https://login.microsoftonline.us", "https://management.core.usgovcloudapi.net/")
AZURE_CHINA_CLOUD = Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
                          "https://management.core.chinacloudapi.cn/")

CLOUDS: dict[str, Cloud] = {c.name.lower(): c for c in (AZURE_CLOUD, AZURE_US_GOVERNMENT, AZURE_CHINA_CLOUD)}
CLOUD_NAMES = tuple(c.name for c in CLOUDS.values())


def find_cloud(name: str | None) -> Cloud | None:
    """The cloud called `name` (case-insensitive, as `az cloud set -n`); AzureCloud for None or ""; None if unknown."""
    if not name or not name.strip():
        return AZURE_CLOUD
    return CLOUDS.get(name.strip().lower())
