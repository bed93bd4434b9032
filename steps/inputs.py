"""Step 1 — check the inputs: the alias, the API URL, the names, and what they point at in Azure.

Nothing is written by this step, and no other step writes until it passes: a bad alias, a missing VNet or a
region the VNet is not in is reported here, before anything exists in Azure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steps.base import Action, Outcome, Plan, Progress, State, Step, retry_after_seconds
from steps.context import LookupProblem, SetupContext
from wizard.core.ids import parse_id


@dataclass
class InputsObservation:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    region: str | None = None
    vnet_name: str | None = None
    vnet_subscription: str | None = None
    visible: bool | None = None


class CheckInputs(Step[InputsObservation, None]):
    key = "inputs"

    def inspect(self, ctx: SetupContext) -> InputsObservation:
        from azure.core.exceptions import ResourceNotFoundError

        cfg = ctx.config
        obs = InputsObservation(problems=cfg.problems(), warnings=cfg.warnings())
        if obs.problems:
            return obs
        try:
            ctx.resources().resource_groups.get(cfg.resource_group)
        except ResourceNotFoundError:
            obs.problems.append(f"Resource group '{cfg.resource_group}' does not exist in subscription "
                                f"{cfg.subscription_id}: choose an existing one (where your AKS cluster is).")
            return obs
        if cfg.dns_resource_group and cfg.dns_resource_group.lower() != cfg.resource_group.lower():
            try:
                ctx.resources().resource_groups.get(cfg.dns_resource_group)
            except ResourceNotFoundError:
                obs.problems.append(f"Resource group '{cfg.dns_resource_group}' for the DNS zone does not exist.")
        try:
            vnet = ctx.vnet()
            ctx.subnet_id()
        except LookupProblem as exc:
            obs.problems.append(str(exc))
            return obs
        obs.vnet_name = vnet.name
        obs.vnet_subscription = parse_id(vnet.id).get("subscription", "")
        if cfg.region and cfg.region.lower() != vnet.location.lower():
            obs.problems.append(
                f"The endpoint must be in its VNet's region: '{vnet.name}' is in {vnet.location}, not {cfg.region}. "
                f"Leave the region empty (it then follows the VNet) or pick a VNet in {cfg.region}.")
            return obs
        obs.region = vnet.location.lower()
        for extra in cfg.linked_vnets:
            try:
                ctx.read_vnet(extra)
            except LookupProblem as exc:
                obs.problems.append(f"Extra VNet to link: {exc}")
        obs.visible = self._visible(ctx, obs.region)
        if not obs.visible:
            obs.problems.append(
                f"Azure cannot see the Private Link Service alias '{cfg.alias}' from subscription "
                f"{cfg.subscription_id}: check the alias with Astronomer support, and ask them to allow this "
                "subscription for it (they need its id).")
        return obs

    @staticmethod
    def _visible(ctx: SetupContext, region: str, attempts: int = 5) -> bool:
        """Ask Azure whether the alias is visible. A POST is not retried by the SDK on 429 without a
        Retry-After header, so throttling is retried here, honouring whatever delay Azure asks for."""
        from azure.core.exceptions import HttpResponseError

        for attempt in range(attempts):
            try:
                poller = ctx.network().private_link_services.begin_check_private_link_service_visibility(
                    region, {"privateLinkServiceAlias": ctx.config.alias.strip()})
                return bool(poller.result().visible)
            except HttpResponseError as exc:
                if exc.status_code != 429 or attempt == attempts - 1:
                    raise
                delay = retry_after_seconds(getattr(exc.response, "headers", None))
                if ctx.cancel.wait(delay):
                    raise
        raise AssertionError("unreachable")

    def plan(self, ctx: SetupContext, observation: InputsObservation) -> Plan[None]:
        if observation.problems:
            return Plan(self.key, Action.FAILED, observation.problems[0], details=observation.problems[1:],
                        warnings=observation.warnings)
        return Plan(self.key, Action.DONE,
                    f"Alias visible to subscription {observation.vnet_subscription}; endpoint goes to "
                    f"{observation.vnet_name}/{ctx.config.subnet} in {observation.region}.",
                    warnings=observation.warnings)

    def apply(self, ctx: SetupContext, plan: Plan[None], progress: Progress) -> Outcome:
        state = State.DONE if plan.action is Action.DONE else State.FAILED
        return Outcome(self.key, state, plan.summary, details=plan.details, warnings=plan.warnings)

