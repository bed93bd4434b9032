"""Plain mode: pick the Deployment from the Astro API (issue 14) when ASTRO_API_TOKEN is set, instead of typing its
Remote Execution API URL. One organization is chosen silently; Deployments that cannot be used are listed with the
reason and refused when chosen. The token is read from the environment only and never saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wizard.core.sanitize import clean_line

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.config import SetupConfig

MANUAL = "type"


def pick_deployment(ask: Any, say: Any, config: SetupConfig) -> bool:
    """Ask, when a token is set, whether to pick the Deployment; True when one was picked (config filled)."""
    from steps.astro_deployments import choices
    from wizard.core.astro_api import AstroApi, AstroApiError, AstroApiSettings

    try:
        settings = AstroApiSettings.from_env()
    except ValueError as exc:
        say(f"  note: {exc}")
        return False
    if not settings.has_token:
        return False
    how = ask.select("ASTRO_API_TOKEN is set: pick the Deployment from Astro, or type its API URL?", [
        ("Pick the Deployment from Astro", "pick"), ("Type the Remote Execution API URL", MANUAL)], default="pick")
    if how == MANUAL:
        return False
    try:
        with AstroApi(settings) as api:
            orgs = api.organizations()
            if not orgs:
                say("  The token sees no Astro organization: type the API URL instead.")
                return False
            org = str(orgs[0].get("id")) if len(orgs) == 1 else ask.select(
                "Astro organization:", [(clean_line(f"{o.get('name')} ({o.get('id')})"), str(o.get("id")))
                                        for o in orgs], default=config.organization_id)
            listed = choices(api.deployments(org), api.clusters(org))
    except AstroApiError as exc:
        say(f"  {exc} Type the API URL instead.")
        return False
    options = [(clean_line(c.label if c.usable else f"{c.label} [cannot be chosen: {c.reason}]"), c.id)
               for c in listed] + [("None of these: type the API URL", MANUAL)]
    while True:
        chosen = ask.pick("Remote Execution Deployment:", options, default=config.deployment_id, what="Deployment")
        if chosen == MANUAL:
            return False
        choice = next(c for c in listed if c.id == chosen)
        if choice.usable:
            config.organization_id, config.deployment_id, config.api_url = org, choice.id, choice.api_url
            say(clean_line(f"  Deployment {choice.name}: API URL {choice.api_url}"))
            return True
        say(clean_line(f"  {choice.name} cannot be chosen: {choice.reason}."))


def health_line(config: SetupConfig) -> str | None:
    """Astro's status of the picked Deployment, for the end of plain mode's verify; None on the manual path."""
    from steps.astro_deployments import DeploymentHealth, health
    from wizard.core.astro_api import AstroApi, AstroApiError, AstroApiSettings

    if not (config.organization_id and config.deployment_id):
        return None
    try:
        with AstroApi(AstroApiSettings.from_env()) as api:
            return health(api, config.organization_id, config.deployment_id).line
    except (AstroApiError, ValueError) as exc:
        return DeploymentHealth(config.deployment_id, "", "", "", error=str(exc)).line
