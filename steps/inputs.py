"""Step 1 — check the inputs: the alias, the API URL, the names, and what they point at in Azure.

Nothing is written by this step, and no other step writes until it passes: a bad alias, a missing VNet or a
region the VNet is not in is reported here, before anything exists in Azure.

The visibility check is asked at the subscription; an account whose roles are on resource groups is refused there
(403), so it is asked again at the endpoint's resource group (the REST API has both forms). When neither may be
asked, or Azure answers without a result (a 202 with only `Azure-AsyncOperation`: the SDK's result then has
`visible` None), the step warns and goes on: only an explicit "not visible" blocks. Creating the endpoint asks
Azure again in any case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from steps.astro_deployments import DeploymentChoice, deployment_for_inputs, deployment_problems
from steps.base import Action, Outcome, Plan, Progress, State, Step, retry_after_seconds
from steps.context import LookupProblem, SetupContext, refused
from steps.network_facts import peering_findings, transit_notes
from steps.network_reads import agent_vnet_facts
from steps.preflight import Preflight, check_subnet
from wizard.core.ids import parse_id, same_id


@dataclass
class InputsObservation:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    region: str | None = None
    vnet_name: str | None = None
    vnet_subscription: str | None = None
    visible: bool | None = None
    # `[astro] deployment_id` as Astro gives it, read when the config also gives api_url (issue 14); the plan compares
    # them. deployment_api_url None: not read.
    deployment_name: str | None = None
    deployment_api_url: str | None = None
    deployment_cluster_id: str | None = None
    deployment_reason: str | None = None


class CheckInputs(Step[InputsObservation, None]):
    key = "inputs"

    def inspect(self, ctx: SetupContext) -> InputsObservation:
        cfg = ctx.config
        obs = InputsObservation(problems=cfg.problems(), warnings=cfg.warnings())
        deployment, unread = deployment_for_inputs(ctx)
        if unread:
            obs.warnings.append(unread)
        if deployment is not None:
            obs.deployment_name, obs.deployment_api_url = deployment.name, deployment.api_url
            obs.deployment_cluster_id, obs.deployment_reason = deployment.cluster_id, deployment.reason
        if obs.problems:
            return obs
        problem = self._group_problem(
            ctx, cfg.resource_group, "Network Contributor", "to create the endpoint there",
            f"Resource group '{cfg.resource_group}' does not exist in subscription {cfg.subscription_id}: choose an "
            "existing one (where your AKS cluster is).")
        if problem:
            obs.problems.append(problem)
            return obs
        other_sub = cfg.zone_subscription.lower() != cfg.subscription_id.lower()
        if other_sub or (cfg.dns_resource_group and cfg.dns_resource_group.lower() != cfg.resource_group.lower()):
            problem = self._group_problem(
                ctx, cfg.zone_resource_group, "Private DNS Zone Contributor", "to create or reuse the DNS zone there",
                f"Resource group '{cfg.zone_resource_group}' for the DNS zone does not exist in subscription "
                f"{cfg.zone_subscription}.", subscription=cfg.zone_subscription)
            if problem:
                obs.problems.append(problem)
        region = cfg.region
        if region:
            region, problem = self._known_region(ctx, region)
            if problem:
                obs.problems.append(problem)
                return obs
        try:
            vnet = ctx.vnet()
            ctx.subnet_id()
        except LookupProblem as exc:
            obs.problems.append(str(exc))
            return obs
        obs.vnet_name = vnet.name
        obs.vnet_subscription = parse_id(vnet.id).get("subscription", "")
        if region and region.lower() != vnet.location.lower():
            obs.problems.append(
                f"The endpoint must be in its VNet's region: '{vnet.name}' is in {vnet.location}, not {region}. "
                f"Leave the region empty (it then follows the VNet) or pick a VNet in {region}.")
            return obs
        obs.region = vnet.location.lower()
        subnet = preflight_subnet(ctx)  # what Azure would refuse in this subnet (steps/preflight.py), before a write
        obs.problems += subnet.problems
        obs.warnings += subnet.warnings
        if subnet.problems:
            return obs
        for extra in cfg.linked_vnets:
            try:
                ctx.memo(f"vnet:{extra.lower()}", partial(ctx.read_vnet, extra))   # read once (network_reads)
            except LookupProblem as exc:
                obs.problems.append(f"Extra VNet to link: {exc}")
        if cfg.linked_vnets and not obs.problems:
            # A warning, not a problem: this tool makes no peering and every write it makes is valid without one;
            # verify fails (check `peering`) until the network team peers the VNets.
            vnets = agent_vnet_facts(ctx)
            obs.warnings += [f"Peering: {f}" for f in peering_findings(vnets, vnet.id)] + transit_notes(vnets, vnet.id)
        obs.visible, unsure = self._visibility(ctx, obs.region)
        obs.warnings += unsure
        if obs.visible is False:
            obs.problems.append(
                f"Azure cannot see the Private Link Service alias '{cfg.alias}' from subscription "
                f"{cfg.subscription_id}: check the alias with Astronomer support, and ask them to allow this "
                "subscription for it (they need its id).")
        return obs

    @staticmethod
    def _known_region(ctx: SetupContext, region: str) -> tuple[str, str | None]:
        """The configured region as Azure names it ("East US 2" -> eastus2), or why it is none of the subscription's
        locations. GET /subscriptions/{id}/locations (Subscriptions_ListLocations, azure-rest-api-specs
        specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json) lists
        them; when it cannot be read, the comparison with the VNet's region below still catches a wrong one."""
        from azure.core.exceptions import HttpResponseError

        sub = ctx.config.subscription_id
        try:
            locations = ctx.memo("locations", lambda: [
                (loc.name, loc.display_name or "") for loc in ctx.factory.subscriptions().subscriptions.list_locations(
                    sub)])
        except HttpResponseError as exc:
            if not refused(exc):
                raise
            return region, None
        want = region.replace(" ", "").lower()
        for name, display in locations:
            if want in (name.lower(), display.replace(" ", "").lower()):
                return name, None
        near = ", ".join(sorted(name for name, _ in locations)[:6])
        return region, (f"'{region}' is not an Azure region subscription {sub} can use (its regions include {near}): "
                        "correct region in the config, or leave it empty so the endpoint goes in its VNet's region.")

    @staticmethod
    def _group_problem(ctx: SetupContext, name: str, role: str, why: str, missing: str,
                       subscription: str | None = None) -> str | None:
        """What is wrong with a resource group the setup writes to: missing, or no role on it (every role there
        includes reading it); None when it can be read."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            ctx.factory.resources(subscription or ctx.subscription).resource_groups.get(name)
        except ResourceNotFoundError:
            return missing
        except HttpResponseError as exc:
            if not refused(exc):
                raise
            return (f"Your account has no role on resource group '{name}' in subscription "
                    f"{subscription or ctx.config.subscription_id}: ask an Azure admin for {role} on it ({why}), "
                    "then run again.")
        return None

    @classmethod
    def _visibility(cls, ctx: SetupContext, region: str) -> tuple[bool | None, list[str]]:
        """Whether Azure can see the alias (None: it could not be asked, or did not say) and the warnings to show."""
        from azure.core.exceptions import HttpResponseError

        sub, rg = ctx.config.subscription_id, ctx.config.resource_group
        try:
            visible = cls._visible(ctx, region)
        except HttpResponseError as exc:
            if not refused(exc):
                raise
            try:
                visible = cls._visible(ctx, region, resource_group=rg)
            except HttpResponseError as again:
                if not refused(again):
                    raise
                return None, [
                    f"Whether Azure can see the alias was not checked: your account may not run "
                    f"checkPrivateLinkServiceVisibility on subscription {sub} or resource group '{rg}' (Network "
                    f"Contributor on '{rg}' allows it); creating the endpoint will tell, and fails with a clear "
                    "message if the alias is not visible."]
        if visible is None:
            return None, ["Azure answered the alias visibility check without a result, so whether it can see the "
                          "alias is not known yet; creating the endpoint will tell, and fails with a clear message "
                          "if the alias is not visible."]
        return visible, []

    @staticmethod
    def _visible(ctx: SetupContext, region: str, attempts: int = 5, *,
                 resource_group: str | None = None) -> bool | None:
        """Ask Azure whether the alias is visible, at the subscription or at `resource_group`; None when Azure
        answers without a result. A POST is not retried by the SDK on 429 without a Retry-After header, so
        throttling is retried here, honouring whatever delay Azure asks for."""
        from azure.core.exceptions import HttpResponseError

        body = {"privateLinkServiceAlias": ctx.config.alias.strip()}
        services = ctx.network().private_link_services
        for attempt in range(attempts):
            try:
                if resource_group:
                    # SDK signature (azure-mgmt-network 33.1.0): location first, then the resource group.
                    poller = services.begin_check_private_link_service_visibility_by_resource_group(
                        location=region, resource_group_name=resource_group, parameters=body)
                else:
                    poller = services.begin_check_private_link_service_visibility(location=region, parameters=body)
                result = poller.result()
                visible = getattr(result, "visible", None) if result is not None else None
                return None if visible is None else bool(visible)
            except HttpResponseError as exc:
                if exc.status_code != 429 or attempt == attempts - 1:
                    raise
                delay = retry_after_seconds(getattr(exc.response, "headers", None))
                if ctx.cancel.wait(delay):
                    raise
        raise AssertionError("unreachable")

    def plan(self, ctx: SetupContext, observation: InputsObservation) -> Plan[None]:
        problems = self._deployment_problems(ctx, observation) + observation.problems
        if problems:
            return Plan(self.key, Action.FAILED, problems[0], details=problems[1:], warnings=observation.warnings)
        if observation.visible is None:
            return Plan(self.key, Action.DONE,
                        f"Inputs check out, but whether the alias is visible to subscription "
                        f"{observation.vnet_subscription} is not known (see the warning); endpoint goes to "
                        f"{observation.vnet_name}/{ctx.config.subnet} in {observation.region}.",
                        warnings=observation.warnings)
        return Plan(self.key, Action.DONE,
                    f"Alias visible to subscription {observation.vnet_subscription}; endpoint goes to "
                    f"{observation.vnet_name}/{ctx.config.subnet} in {observation.region}.",
                    warnings=observation.warnings)

    @staticmethod
    def _deployment_problems(ctx: SetupContext, observation: InputsObservation) -> list[str]:
        """The config's api_url against the Deployment Astro gives for `[astro] deployment_id` (both shown)."""
        if observation.deployment_api_url is None:
            return []
        choice = DeploymentChoice(id=ctx.config.deployment_id or "", name=observation.deployment_name or "",
                                  workspace="", cluster_id=observation.deployment_cluster_id or "", cluster_name="",
                                  status="", api_url=observation.deployment_api_url,
                                  reason=observation.deployment_reason)
        return deployment_problems(ctx.config.api_url, choice)

    def apply(self, ctx: SetupContext, plan: Plan[None], progress: Progress) -> Outcome:
        state = State.DONE if plan.action is Action.DONE else State.FAILED
        return Outcome(self.key, state, plan.summary, details=plan.details, warnings=plan.warnings)


def preflight_subnet(ctx: SetupContext) -> Preflight:
    """Step 1's check of the chosen subnet, from the VNet the context has read (and the endpoint, if it exists)."""
    vnet = ctx.vnet()
    facts = vnet.subnet_facts.get(ctx.config.subnet.lower())
    if facts is None:
        return Preflight()
    found = check_subnet(facts, list(vnet.subnet_facts.values()))
    if found.problems:
        pe = ctx.endpoint()
        if pe is not None and same_id(pe.subnet_id, facts.id):   # a rerun: the endpoint is already there
            found = check_subnet(facts, endpoint_in_subnet=True)
    return found
