"""Picking the Deployment from the Astro API for the Astro details screen: where the API is and which token to use,
the organizations, and the Remote Execution Deployments as picker items (the unusable ones carry their reason).

The token is pasted into a masked field or read from ASTRO_API_TOKEN; it is held in memory only, never saved.
In the demo the sandbox's Astro API and token are used. Which settings the App holds is read duck-typed
(`settings.ca_file`, `sandbox.astro_api_url` / `astro_api_token`), so a screen still never imports the App.
"""

from __future__ import annotations

from typing import Any

from screens.widgets.picker import Emit, Loader, PickItem
from steps.astro_deployments import choices
from wizard.core.astro_api import AstroApi, AstroApiSettings

HELP = ("Remote Execution Deployments of the organization, from the Astro API. One that cannot be used (remote "
        "execution off, or a cluster that is not on Azure) is listed with the reason.")


def api_settings(app: Any, pasted: str) -> AstroApiSettings:
    """The API settings: the pasted token, else ASTRO_API_TOKEN; in the demo, the sandbox's API and token."""
    settings = getattr(app, "settings", None)
    ca_file = getattr(settings, "ca_file", None)
    sandbox = getattr(app, "sandbox", None)
    if sandbox is not None and getattr(sandbox, "astro_api_url", None):
        env = {"ASTRO_PL_ASTRO_API": sandbox.astro_api_url, "ASTRO_API_TOKEN": sandbox.astro_api_token}
        return AstroApiSettings.from_env(env, token=pasted or None, ca_file=ca_file)
    return AstroApiSettings.from_env(token=pasted or None, ca_file=ca_file)


def has_env_token(app: Any) -> bool:
    try:
        return api_settings(app, "").has_token
    except ValueError:
        return False


def organizations(settings: AstroApiSettings) -> list[dict[str, Any]]:
    with AstroApi(settings) as api:
        return api.organizations()


def org_items(orgs: list[dict[str, Any]]) -> list[PickItem]:
    return [PickItem(key=str(o.get("id")), label=str(o.get("name") or o.get("id")), detail=str(o.get("id")))
            for o in orgs]


def deployment_loader(settings: AstroApiSettings, org: str) -> Loader:
    """A picker loader: the organization's Deployments with their clusters, choosable ones first."""

    def load(emit: Emit) -> None:
        with AstroApi(settings) as api:
            listed = choices(api.deployments(org), api.clusters(org))
        emit([PickItem(key=c.id, label=c.label if c.usable else f"{c.label}  [cannot be chosen: {c.reason}]",
                       detail=c.api_url if c.usable else "",
                       data={"org": org, "api_url": c.api_url, "cluster_id": c.cluster_id, "reason": c.reason,
                             "name": c.name, "status": c.status})
              for c in listed])

    return load


# A token pasted on the Astro details screen, for the Verify and Done screens of the same run: memory only.
_pasted = {"token": ""}


def remember_pasted(token: str) -> None:
    _pasted["token"] = token


def deployment_health(app: Any, config: Any) -> Any:
    """The Deployment's health (steps.astro_deployments.DeploymentHealth) for Verify and Done; None when the setup
    has no Deployment picked (the manual path)."""
    from steps.astro_deployments import DeploymentHealth, health
    from wizard.core.astro_api import AstroApiError

    if not (getattr(config, "organization_id", None) and getattr(config, "deployment_id", None)):
        return None
    try:
        with AstroApi(api_settings(app, _pasted["token"])) as api:
            return health(api, config.organization_id, config.deployment_id)
    except (AstroApiError, ValueError) as exc:
        return DeploymentHealth(config.deployment_id, "", "", "", error=str(exc))


def pasted_token() -> str:
    return _pasted["token"]
