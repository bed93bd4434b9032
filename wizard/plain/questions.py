"""Plain mode's questions: which setup, the Astro details, signing in, and where the endpoint goes (live
pickers with type-ahead, the same validation as everywhere). Answers are saved after every question."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from steps.registry import STEP_KEYS, steps_done
from wizard.core.record import endpoint_label
from wizard.core.sanitize import clean_line, clean_text
from wizard.plain.prompter import Prompter, Stop, validator

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.config import SetupConfig
    from wizard.core.record import SetupRecord
    from wizard.engine import ApprovalPolling, Workspace


class PlainQuestions:
    """The questions of the wizard, asked one at a time; `PlainWizard` adds the review and the apply."""

    def __init__(self, workspace: Workspace, *, prompter: Prompter | None = None, out: TextIO | None = None,
                 redact: bool = False, approval: ApprovalPolling | None = None,
                 demo_defaults: SetupConfig | None = None, nameserver: tuple[str, int] | None = None) -> None:
        from wizard.core.config import SetupConfig

        self.workspace = workspace
        self.factory = workspace.factory
        self.store = workspace.store
        self.transcript = workspace.transcript
        self.config = SetupConfig()
        self.ask = prompter or Prompter()
        self.out = out or sys.stdout
        self.redact = redact
        self.approval = approval
        self._state_dir_refused = False
        self.demo_defaults = demo_defaults
        self.nameserver = nameserver  # where the final verify asks DNS (None: the system resolver)
        self.keep_answers = False  # a resumed setup whose saved answers were all kept: no question is asked again
        self.record: SetupRecord | None = None
        self.allow_update: set[str] = set()
        self._vnets: list[Any] | None = None
        self._az_default: str | None = None  # the subscription `az account show` has selected

    # -- output ---------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        """A line (or lines) for the person: what Azure, Astro or a file said in it cannot drive the terminal."""
        print(clean_text(text), file=self.out, flush=True)

    def mask(self, value: str) -> str:
        if not self.redact or not value:
            return value
        from wizard.core.redact import Redactor

        return Redactor(True, {self.config.subscription_id} if self.config.subscription_id else set())(value)

    def sub_label(self, sub_id: str) -> str:
        from wizard.core.redact import mask

        return mask(sub_id) if self.redact and len(sub_id) > 4 else sub_id

    # -- the conversation -------------------------------------------------------------------------------

    def choose_setup(self) -> SetupConfig:
        from wizard.core.config import SetupConfig

        records, messages = self.store.list()
        for m in messages:
            self.say(m)
        if records:
            choices = [(self._describe(r), r.key) for r in records] + [("Start a new setup", None)]
            chosen = self.ask.select("Resume a setup, or start a new one?", choices, default=records[0].key)
            if chosen is not None:
                record = next(r for r in records if r.key == chosen)
                self.record = record
                config = SetupConfig.from_dict(record.answers.to_dict())
                self._follow_demo_sandbox(config)
                if not config.problems() and self._keep_saved(config):
                    return config
                self.say(f"Resuming cluster {chosen}: your saved answers are offered as defaults.")
                return config
        if self.demo_defaults is not None:
            return SetupConfig.from_dict(self.demo_defaults.to_dict())
        return SetupConfig()

    def _keep_saved(self, config: SetupConfig) -> bool:
        """Show the saved answers (all complete) and offer to keep them in one go; True when kept."""
        where = config.vnet if config.vnet.startswith("/") else f"{config.resource_group}/{config.vnet}"
        lines = [f"Resuming cluster {config.cluster_id}. Saved answers:",
                 f"  alias {config.alias}", f"  API URL {config.api_url}",
                 f"  subscription {self.sub_label(config.subscription_id)}, resource group {config.resource_group}",
                 f"  VNet {where}, subnet {config.subnet}",
                 f"  endpoint {config.endpoint_name}" + (f", network interface {config.nic_name}"
                                                         if config.nic_name else "")]
        if config.linked_vnets:
            lines.append(f"  other VNets linked: {len(config.linked_vnets)}")
        self.say(self.mask("\n".join(clean_line(line) for line in lines)))
        self.keep_answers = self.ask.select("Keep them?", [
            ("Keep all saved answers and go to the review", "keep"),
            ("Go through the questions again (the saved answers are the defaults)", "ask")], default="keep") == "keep"
        return self.keep_answers

    def _follow_demo_sandbox(self, config: SetupConfig) -> None:
        """The demo's sandbox listens on a new port every run: a demo setup's saved API URL follows it."""
        from urllib.parse import urlsplit

        demo = self.demo_defaults
        if demo is None or config.cluster_id != demo.cluster_id or config.api_url == demo.api_url:
            return
        try:
            if urlsplit(config.api_url).port is None:  # typed without a port, not filled in by a demo: it stays
                return
        except ValueError:  # not a port at all: the API URL question says so
            return
        config.api_url = demo.api_url
        self.say("The demo sandbox starts afresh every run: the API URL now names its new port, and what an earlier "
                 "demo run created is gone (the review shows what to create again).")

    @staticmethod
    def _describe(record: SetupRecord) -> str:
        # in the numbering every front end uses: "steps 1-3 done"
        progress = steps_done({k: record.last_state(k) for k in STEP_KEYS}, with_next=False)
        where = f", {endpoint_label(record.answers)}"
        return clean_line(f"Resume cluster {record.cluster_id} ({progress}{where}; "
                          f"updated {record.updated_at.replace('T', ' ')[:16]} UTC)")

    def ask_astro(self) -> None:
        from wizard.core.validate import check_alias, check_api_url

        cfg = self.config
        self.say("")
        self.say("Astro details: the alias comes from Astronomer support; the API URL is in your Deployment's "
                 "details in the Astro UI.")
        cfg.alias = self.ask.text("Private Link Service alias:", default=cfg.alias, validate=validator(check_alias))
        for w in check_alias(cfg.alias).warnings:
            self.say(f"  note: {w}")
        from wizard.plain.astro_pick import pick_deployment

        if not pick_deployment(self.ask, self.say, cfg):   # with ASTRO_API_TOKEN: from the Astro API (issue 14)
            typed = self.ask.text("Remote Execution API URL:", default=cfg.api_url, validate=validator(check_api_url))
            if typed != cfg.api_url:
                cfg.organization_id = cfg.deployment_id = None   # typed by hand: no Deployment picked
            cfg.api_url = typed
        for w in check_api_url(cfg.api_url).warnings:
            self.say(f"  note: {w}")
        cid = cfg.cluster_id
        self.say(f"  Astro cluster ID: {cid}")
        if self.record is None or self.record.cluster_id != cid:
            loaded = self.store.latest_for(cid or "")
            if loaded.message:
                self.say(loaded.message)
            if loaded.record is not None:
                saved = loaded.record.answers
                self.say(f"  A saved setup exists for cluster {cid}: its answers are offered as defaults.")
                for name in ("subscription_id", "resource_group", "endpoint_name", "nic_name", "vnet", "subnet",
                             "region", "linked_vnets", "dns_resource_group", "link_name", "dns_subscription_id"):
                    if getattr(saved, name) and (not getattr(cfg, name) or self.demo_defaults is not None):
                        setattr(cfg, name, getattr(saved, name))
                self.record = loaded.record
        self.save(quiet=True)

    def sign_in(self) -> None:
        from wizard.core.azure import AzureAccessError

        while True:
            try:
                who = self.factory.check_credential()
            except AzureAccessError as exc:
                self.say(f"Azure: {exc}")
                from wizard.core.azcli import az_path, has_browser, login_command

                logins = [("Sign in now: `az login --use-device-code` (a code to type on any device's browser)",
                           "device"), ("Sign in now: `az login` (opens a browser here)", "browser")]
                if has_browser():
                    logins.reverse()
                choice = self.ask.select("What now?", (logins if az_path() else []) + [
                    ("Try again (after signing in, e.g. `az login` in another terminal)", "retry"),
                    ("Stop here", "stop")])
                if choice == "stop":
                    raise Stop() from None
                if choice in ("device", "browser"):   # az talks to the person on this terminal, then we go on
                    import subprocess

                    done = subprocess.run([*login_command(device_code=choice == "device"), "--output", "none"],
                                          check=False)
                    if done.returncode != 0:
                        self.say(f"  az login did not finish (exit code {done.returncode}): try again, or stop here.")
                continue
            self.say(f"Signed in to Azure as {who.name}" +
                     (f" (tenant {self.sub_label(who.tenant_id)})" if who.tenant_id else "") + f", using {who.source}.")
            self.choose_tenant(who.tenant_id)
            self._az_default = None
            if who.source.startswith("Azure CLI") and not self.config.subscription_id:
                from wizard.core.azcli import az_account

                account = az_account()   # the subscription `az account show` has selected: offered first
                self._az_default = account.subscription_id if account else None
            return

    def choose_tenant(self, current: str | None) -> None:
        """Several tenants (GET /tenants) and none chosen (--tenant, ASTRO_PL_TENANT_ID): ask which; tokens are then
        asked for that tenant (its subscriptions are listed only with a token of it)."""
        settings = self.factory.settings
        if settings.access_token or settings.tenant_id:
            return
        saved = (self.config.tenant_id or "").strip()
        if saved:   # picked in an earlier run and kept with the answers ([azure] tenant_id)
            if (current or "").lower() != saved.lower():
                from wizard.core.azure import AzureAccessError

                candidate = self.factory.for_tenant(saved)
                try:
                    candidate.check_credential()
                except AzureAccessError:   # its sign-in lapsed: go on in the account's own tenant, and say so
                    self.config.tenant_id = None
                    self.say(f"  No token for the tenant saved with this setup ({self.sub_label(saved)}): using your "
                             f"account's own. To use it, run `az login --tenant {self.sub_label(saved)}` and start "
                             "again.")
                    return
                self.workspace.factory = self.factory = candidate
            self.say(f"  Using tenant {self.sub_label(saved)}, saved with this setup (--tenant picks another).")
            return
        tenants = self.listing("tenant", self.factory.tenants)
        if not tenants or len(tenants) < 2:
            return
        choices = [(clean_line(f"{t.display_name}  ({t.default_domain or self.sub_label(t.tenant_id)})"), t.tenant_id)
                   for t in tenants]
        chosen = self.ask.pick("Your account is in several Azure tenants (directories). Which one?", choices,
                               default=current, what="tenant")
        if chosen:
            self.config.tenant_id = chosen   # kept with the answers: a later run asks tokens for it again
        if chosen and (current or "").lower() != chosen.lower():
            self.workspace.factory = self.factory = self.factory.for_tenant(chosen)
            self.say(f"  Using tenant {self.sub_label(chosen)} (tokens are asked for it from here on; it is saved "
                     "with this setup's answers).")

    def listing(self, what: str, load: Callable[[], list[Any]]) -> list[Any] | None:
        """A live listing; on failure says why and offers to try again or type the value instead (None)."""
        while True:
            self.say(f"  Reading the {what}s from Azure...")
            try:
                return load()
            except Exception as exc:
                self.say(f"  Could not list the {what}s: {self._explain(exc)}")
                choice = self.ask.select("What now?", [("Try again", "retry"), (f"Type the {what} myself", "type"),
                                                       ("Stop here", "stop")])
                if choice == "stop":
                    raise Stop() from None
                if choice == "type":
                    return None

    def _explain(self, exc: BaseException) -> str:
        from wizard.core.errors import explain

        return explain(exc, alias=self.config.alias, subscription_id=self.config.subscription_id).sentence

    def ask_azure(self) -> None:
        self.say("")
        self.say("Where the endpoint goes: the subscription, resource group, VNet and subnet of your AKS cluster "
                 "with the Remote Execution Agents.")
        self.ask_subscription()
        if not self.ask_cluster():   # issue 13: the agents' AKS cluster first; the manual path stays
            self.ask_resource_group()
            self.ask_vnet_subnet()
        self.ask_names()
        self.ask_extra_vnets()

    def ask_subscription(self) -> None:
        cfg = self.config
        subs = self.listing("subscription", lambda: list(self.factory.subscriptions().subscriptions.list()))
        if subs is None:
            cfg.subscription_id = self.ask.text("Subscription ID:", default=cfg.subscription_id,
                                                validate=lambda t: True if t.strip() else "Enter the subscription ID.")
        elif not subs:
            self.say("  This account sees no subscription: ask an Azure admin for access (Reader or more) to the "
                     "subscription of your AKS cluster, then run again.")
            raise Stop()
        elif len(subs) == 1:
            cfg.subscription_id = subs[0].subscription_id
            self.say(f"  Using subscription {subs[0].display_name} ({self.sub_label(cfg.subscription_id)}), the only "
                     "one this account sees.")
        else:
            choices = [(clean_line(f"{s.display_name or s.subscription_id}  ({self.sub_label(s.subscription_id)})"),
                        s.subscription_id) for s in subs]
            cfg.subscription_id = self.ask.pick("Subscription:", choices,
                                                default=cfg.subscription_id or self._az_default, what="subscription")
        self._vnets = None
        self.save(quiet=True)

    def ask_cluster(self) -> bool:
        """Which AKS cluster runs the agents: choosing one fills the resource group and the VNet (every VNet of its
        node pools is linked), then asks the subnet. False: no cluster (the manual path follows)."""
        from steps.aks import cluster_vnets, list_clusters
        from wizard.core.ids import resource_group_of, vnet_name_of

        cfg = self.config
        if cfg.resource_group and not cfg.aks_cluster:   # resumed after choosing the manual path: keep it
            return False
        clusters = self.listing("AKS cluster", lambda: list_clusters(self.factory, cfg.subscription_id))
        if not clusters:
            cfg.aks_cluster = None
            return False
        choices = [(clean_line(f"{c.name}  ({c.resource_group}, {c.location}"
                               + (f", Kubernetes {c.kubernetes_version}" if c.kubernetes_version else "")
                               + (", private" if c.private else "") + ")"), c.id) for c in clusters]
        choices.append(("None of these (the agents run elsewhere): I pick the resource group and VNet", ""))
        default = next((v for _, v in choices if cfg.aks_cluster and v.lower() == cfg.aks_cluster.lower()), None)
        chosen = self.ask.pick("Which AKS cluster runs your Remote Execution Agents?", choices, default=default,
                               what="AKS cluster")
        cluster = next((c for c in clusters if c.id == chosen), None)
        if cluster is None:
            cfg.aks_cluster = None
            return False
        try:
            derived = cluster_vnets(self.factory, cluster)
        except Exception as exc:
            self.say(f"  Could not read the cluster's VNet: {self._explain(exc)} Pick it yourself.")
            cfg.aks_cluster = None
            return False
        if derived.problem:
            self.say(f"  {self.mask(derived.problem)}")
            cfg.aks_cluster = None
            return False
        cfg.aks_cluster, cfg.resource_group = cluster.id, cluster.resource_group
        first = derived.vnet_ids[0]
        cfg.vnet = vnet_name_of(first) if resource_group_of(first).lower() == cluster.resource_group.lower() else first
        for extra in derived.vnet_ids[1:]:
            if extra.lower() not in (v.lower() for v in cfg.linked_vnets):
                cfg.linked_vnets.append(extra)
        self.say(clean_line(f"  Resource group {cluster.resource_group}; VNet {vnet_name_of(first)}: "
                            f"{derived.source}."))
        self.ask_subnet_of(first)
        return True

    def ask_subnet_of(self, vnet_ref: str) -> None:
        """The endpoint's subnet in one VNet (given by id)."""
        from wizard.core.ids import parse_id

        parts = parse_id(vnet_ref)
        vnet = self.factory.network(parts.get("subscription", self.config.subscription_id)).virtual_networks.get(
            parts.get("resource_group", ""), parts.get("virtualnetworks", ""))
        from steps.preflight import free_addresses, subnet_facts, usable

        facts = [subnet_facts(s) for s in (vnet.subnets or [])]
        offered = [f for f in facts if usable(f)]   # Azure refuses an endpoint in the others (steps/preflight.py)
        left_out = [f"{f.name} ({'delegated to ' + ', '.join(f.delegations) if f.delegations else 'no free address'})"
                    for f in facts if not usable(f)]
        if left_out:
            self.say(clean_line("  Not offered, Azure creates no endpoint there: " + "; ".join(left_out) + "."))
        gateway = [f.name for f in offered if f.name.lower() == "gatewaysubnet"]   # as screens/placement.py says why
        if gateway:
            offered = [f for f in offered if f.name not in gateway]
            self.say(clean_line(f"  Not offered: {', '.join(gateway)} (the VPN/ExpressRoute gateway's subnet, where "
                                "Microsoft says to deploy nothing else)."))
        if not offered:
            self.say(f"  {vnet.name} has no subnet that can hold the endpoint: add one in the Azure portal (any size "
                     "from /28), then run again.")
            raise Stop()
        default = next((f.name for f in offered if f.name.lower() == self.config.subnet.lower()), None)
        self.config.subnet = self.ask.pick(
            clean_line(f"Subnet of {vnet.name} for the endpoint:"),
            [(clean_line(f"{f.name}  ({', '.join(f.prefixes)}, {free_addresses(f)} free)"), f.name) for f in offered],
            default=default, what="subnet")
        self.say(f"  The endpoint goes in {vnet.location}, the VNet's region.")
        self.save(quiet=True)

    def ask_resource_group(self) -> None:
        from wizard.core.validate import check_resource_group_name

        cfg = self.config
        groups = self.listing("resource group",
                              lambda: list(self.factory.resources(cfg.subscription_id).resource_groups.list()))
        if not groups:
            if groups is not None:
                self.say("  The subscription has no resource group you can see; type the name of the one where "
                         "your AKS cluster is.")
            cfg.resource_group = self.ask.text("Resource group for the endpoint:", default=cfg.resource_group,
                                               validate=validator(check_resource_group_name))
        else:
            choices = sorted(((clean_line(f"{g.name}  ({g.location})"), g.name) for g in groups),
                             key=lambda c: c[1].lower())
            default = next((v for _, v in choices if v.lower() == cfg.resource_group.lower()), None)
            cfg.resource_group = self.ask.pick("Resource group for the endpoint (where your AKS cluster is):",
                                               choices, default=default, what="resource group")
        self.save(quiet=True)

    def vnets(self) -> list[Any] | None:
        from wizard.core.listings import iter_vnets

        if self._vnets is None:
            sub = self.config.subscription_id
            notes: list[str] = []
            self._vnets = self.listing("virtual network", lambda: list(iter_vnets(self.factory, sub, notes.append)))
            for note in notes:
                self.say(f"  note: {self.mask(note)}")
        return self._vnets

    def ask_vnet_subnet(self) -> None:
        from wizard.core.ids import parse_id, vnet_id
        from wizard.core.validate import check_name

        cfg = self.config
        vnets = self.vnets()
        if not vnets:
            if vnets is not None:
                self.say("  The subscription has no virtual network you can see: type the VNet's name or resource id.")
            cfg.vnet = self.ask.text("Virtual network (name in the resource group, or resource id):", default=cfg.vnet,
                                     validate=lambda t: True if t.strip() else "Enter the VNet's name or id.")
            cfg.subnet = self.ask.text("Subnet for the endpoint:", default=cfg.subnet,
                                       validate=validator(lambda t: check_name("subnet", t)))
            self.save(quiet=True)
            return
        current = cfg.vnet if cfg.vnet.startswith("/") else (
            vnet_id(cfg.subscription_id, cfg.resource_group, cfg.vnet) if cfg.vnet else "")
        ordered = sorted(vnets, key=lambda v: (parse_id(v.id).get("resource_group", "").lower()
                                               != cfg.resource_group.lower(), v.name.lower()))
        choices = [(clean_line(f"{v.name}  ({parse_id(v.id).get('resource_group', '?')}, {v.location})"), v.id)
                   for v in ordered]
        default = next((v.id for v in vnets if current and v.id.lower() == current.lower()), None)
        chosen_id = self.ask.pick("Virtual network where your agents run (the endpoint goes in it):", choices,
                                  default=default, what="virtual network")
        vnet = next(v for v in vnets if v.id == chosen_id)
        rg = parse_id(vnet.id).get("resource_group", "")
        cfg.vnet = vnet.name if rg.lower() == cfg.resource_group.lower() else vnet.id
        names = [s.name for s in (vnet.subnets or [])]
        if not names:
            self.say(f"  {vnet.name} has no subnet: add one in the Azure portal (any size from /28), then run again.")
            raise Stop()
        subnet_default = next((n for n in names if n.lower() == cfg.subnet.lower()), None)
        cfg.subnet = self.ask.pick(clean_line(f"Subnet of {vnet.name} for the endpoint:"),
                                   [(clean_line(n), n) for n in names],
                                   default=subnet_default, what="subnet")
        self.say(f"  The endpoint goes in {vnet.location}, the VNet's region.")
        self.save(quiet=True)

    def ask_names(self) -> None:
        from wizard.core.constants import DEFAULT_ENDPOINT_NAME
        from wizard.core.validate import check_name

        cfg = self.config
        cfg.endpoint_name = self.ask.text("Private endpoint name:", default=cfg.endpoint_name or DEFAULT_ENDPOINT_NAME,
                                          validate=validator(lambda t: check_name("private endpoint", t)))
        nic = self.ask.text("Network interface name", default=cfg.nic_name or "",
                            instruction=f"empty: Azure's default, {cfg.endpoint_name}.nic.<id>",
                            validate=validator(lambda t: check_name("network interface", t), optional=True))
        cfg.nic_name = nic or None
        self.save(quiet=True)

    def ask_extra_vnets(self) -> None:
        from wizard.core.ids import parse_id, same_id, vnet_id

        cfg = self.config
        more = self.ask.confirm("Do agents in other VNets use this endpoint too (their VNets get linked to the DNS "
                                "zone)?", default=bool(cfg.linked_vnets))
        if not more:
            cfg.linked_vnets = []
            self.save(quiet=True)
            return
        main_id = cfg.vnet if cfg.vnet.startswith("/") else vnet_id(cfg.subscription_id, cfg.resource_group, cfg.vnet)
        vnets = [v for v in (self.vnets() or []) if not same_id(v.id, main_id)]
        if not vnets:
            self.say("  No other VNet is listed here; type their resource ids (comma-separated), or leave empty.")
            typed = self.ask.text("Other VNets' resource ids:", default=", ".join(cfg.linked_vnets))
            cfg.linked_vnets = [v.strip() for v in typed.split(",") if v.strip()]
        else:
            choices = [(clean_line(f"{v.name}  ({parse_id(v.id).get('resource_group', '?')}, {v.location})"), v.id)
                       for v in vnets]
            checked = [v.id for v in vnets if any(same_id(v.id, x) for x in cfg.linked_vnets)]
            cfg.linked_vnets = self.ask.checkbox("Other VNets whose agents use this endpoint:", choices,
                                                 checked=checked)
        self.save(quiet=True)

    # -- record -------------------------------------------------------------------------------------------
    def save(self, *, quiet: bool = False) -> None:
        from wizard.core.statefiles import StateDirError

        try:
            saved = self.workspace.save_answers(self.config, self.record)
        except StateDirError as exc:  # another user's directory, or not a directory: said once, then carry on
            if not self._state_dir_refused:
                self._state_dir_refused = True
                self.say(f"Your answers are not saved: {exc}")
            return
        except OSError as exc:
            if not quiet:
                self.say(f"Could not save your answers in {self.store.directory} ({exc.strerror}): check that "
                         "directory, or set ASTRO_PL_STATE_DIR to a writable one.")
            return
        self.record = saved.record
        if saved.message:
            self.say(saved.message)

    def config_path(self) -> Path:
        from wizard.core.record import setup_key

        return self.store.config_path_for(setup_key(self.config) if self.config.cluster_id else "setup")
