"""Plain mode: the wizard's questions one line at a time (questionary), for terminals a full-screen app
does not suit: screen readers, serial consoles, narrow web shells, recorded sessions.

Same answers, same validation (wizard/validate.py), the same live pickers with type-ahead, the same review
(engine.plan()) and confirmation, the same steps with line-by-line progress, and the same setup record: a
setup begun here can be resumed in the full-screen wizard, and the other way round.

Nothing here is imported at CLI start-up except `should_use_plain`, which loads no UI toolkit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan
    from wizard.core.azure import ClientFactory
    from wizard.core.config import SetupConfig
    from wizard.core.record import RecordStore, SetupRecord
    from wizard.core.transcript import Transcript
    from wizard.engine import ApprovalPolling, Engine, RunResult

ENV_PLAIN = "ASTRO_PL_PLAIN"
PICK_LIST_MAX = 40  # longer listings are picked by typing with completion instead of a list


def should_use_plain(args: Any = None, *, stdin: Any = None, stdout: Any = None,
                     env: dict[str, str] | None = None) -> tuple[bool, str]:
    """Whether the wizard should run in plain mode, and the message to show when that was not asked for.

    Asked for: `--plain` or ASTRO_PL_PLAIN=1 (no message). Chosen for the user (with a message): standard
    output or input is not a terminal, or TERM is `dumb` / unset, where Textual cannot draw."""
    env = os.environ if env is None else env
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if getattr(args, "plain", False) or env.get(ENV_PLAIN, "").strip().lower() in ("1", "true", "yes", "on"):
        return True, ""

    def tty(stream: Any) -> bool:
        try:
            return bool(stream is not None and stream.isatty())
        except (ValueError, OSError):
            return False

    if not tty(stdout):
        return True, ("standard output is not a terminal, so the full-screen wizard cannot draw: asking the "
                      "questions line by line instead (plain mode).")
    if not tty(stdin):
        return True, ("standard input is not a terminal, so the full-screen wizard cannot read keys: using plain "
                      "mode.")
    term = env.get("TERM", "")
    if os.name != "nt" and term in ("", "dumb"):  # Windows terminals set no TERM and draw fine
        return True, (f"this terminal (TERM={term or 'unset'}) cannot show the full-screen wizard: asking the "
                      "questions line by line instead (plain mode). Set TERM=xterm-256color for the full screen.")
    return False, ""


class Stop(Exception):
    """The user chose to stop; answers are saved and a rerun resumes."""


# -- prompts -------------------------------------------------------------------------------------------------
class Prompter:
    """questionary prompts bound to one input/output (tests pass a prompt_toolkit pipe input + DummyOutput)."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self.kw: dict[str, Any] = {}
        if input is not None:
            self.kw["input"] = input
        if output is not None:
            self.kw["output"] = output

    def text(self, message: str, *, default: str = "", validate: Callable[[str], bool | str] | None = None,
             instruction: str | None = None) -> str:
        import questionary

        if instruction:
            message = f"{message} ({instruction})"
        answer = questionary.text(message, default=default or "", validate=validate, **self.kw).unsafe_ask()
        return (answer or "").strip()

    def select(self, message: str, choices: Sequence[tuple[str, Any]], *, default: Any = None) -> Any:
        import questionary

        items = [questionary.Choice(title, value=value) for title, value in choices]
        values = [v for _, v in choices]
        return questionary.select(message, items, default=default if default in values else None,
                                  use_search_filter=True, use_jk_keys=False,
                                  instruction="(type to filter, arrows to move, Enter to choose)",
                                  **self.kw).unsafe_ask()

    def pick(self, message: str, choices: Sequence[tuple[str, Any]], *, default: Any = None,
             what: str = "item") -> Any:
        """A list with type-ahead for short listings; typing with completion for long ones (thousands)."""
        if len(choices) <= PICK_LIST_MAX:
            return self.select(message, choices, default=default)
        import questionary

        by_title = {title.lower(): value for title, value in choices}
        default_title = next((t for t, v in choices if v == default), "")

        def valid(text: str) -> bool | str:
            if text.strip().lower() in by_title:
                return True
            return f"Not one of the {len(choices)} {what}s listed: type part of a name and press Tab to complete."

        answer = questionary.autocomplete(f"{message} (type part of a name; Tab completes; {len(choices)} {what}s)",
                                          [t for t, _ in choices], default=default_title, validate=valid,
                                          **self.kw).unsafe_ask()
        return by_title[(answer or "").strip().lower()]

    def confirm(self, message: str, *, default: bool = True) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default, **self.kw).unsafe_ask())

    def checkbox(self, message: str, choices: Sequence[tuple[str, Any]], *, checked: Sequence[Any] = ()) -> list[Any]:
        import questionary

        items = [questionary.Choice(title, value=value, checked=value in checked) for title, value in choices]
        return list(questionary.checkbox(message, items, use_search_filter=True, use_jk_keys=False,
                                         instruction="(type to filter, Space to tick, Enter when done)",
                                         **self.kw).unsafe_ask() or [])


def _validator(check: Callable[[str], Any], *, optional: bool = False) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        if optional and not text.strip():
            return True
        problems = check(text).problems
        return True if not problems else problems[0]

    return validate


# -- the wizard ------------------------------------------------------------------------------------------------
class PlainWizard:
    """The whole wizard as a conversation. `run()` returns the CLI exit code."""

    def __init__(self, factory: ClientFactory, store: RecordStore, *, prompter: Prompter | None = None,
                 out: TextIO | None = None, redact: bool = False, transcript: Transcript | None = None,
                 approval: ApprovalPolling | None = None, demo_defaults: SetupConfig | None = None) -> None:
        self.factory = factory
        self.store = store
        self.ask = prompter or Prompter()
        self.out = out or sys.stdout
        self.redact = redact
        self.transcript = transcript
        self.approval = approval
        self.demo_defaults = demo_defaults
        self.record: SetupRecord | None = None
        self.allow_update: set[str] = set()
        self._vnets: list[Any] | None = None

    # -- output ---------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def mask(self, value: str) -> str:
        if not self.redact or not value:
            return value
        from wizard.core.redact import Redactor

        return Redactor(True, {self.config.subscription_id} if getattr(self, "config", None) else set())(value)

    def sub_label(self, sub_id: str) -> str:
        from wizard.core.redact import mask

        return mask(sub_id) if self.redact and len(sub_id) > 4 else sub_id

    # -- the conversation -------------------------------------------------------------------------------
    def run(self) -> int:
        from wizard.engine import EXIT_STOPPED

        self.say("Astro Private Link setup, one question at a time. Your answers are saved as you go: stop any "
                 "time (Ctrl+C) and run the same command again to resume.")
        try:
            self.config = self.choose_setup()
            self.ask_astro()
            self.sign_in()
            self.ask_azure()
            self.save()
            return self.review_loop()
        except (Stop, KeyboardInterrupt, EOFError):
            self.save(quiet=True)
            self.say("")
            self.say("Stopped. Your answers are saved; run the same command again to resume where you left off.")
            return EXIT_STOPPED

    def choose_setup(self) -> SetupConfig:
        from wizard.core.config import SetupConfig

        records, messages = self.store.list()
        for m in messages:
            self.say(m)
        if records:
            choices = [(self._describe(r), r.cluster_id) for r in records] + [("Start a new setup", None)]
            chosen = self.ask.select("Resume a setup, or start a new one?", choices, default=records[0].cluster_id)
            if chosen is not None:
                record = next(r for r in records if r.cluster_id == chosen)
                self.record = record
                self.say(f"Resuming cluster {chosen}: your saved answers are offered as defaults.")
                return SetupConfig.from_dict(record.answers.to_dict())
        if self.demo_defaults is not None:
            return SetupConfig.from_dict(self.demo_defaults.to_dict())
        return SetupConfig()

    @staticmethod
    def _describe(record: SetupRecord) -> str:
        done = sum(1 for k in ("private_endpoint", "dns_zone", "vnet_links", "a_record", "approval")
                   if record.last_state(k) == "done")
        where = f", {record.answers.resource_group}/{record.answers.endpoint_name}" \
            if record.answers.resource_group else ""
        return (f"Resume cluster {record.cluster_id} ({done} of 5 steps done{where}; updated "
                f"{record.updated_at.replace('T', ' ')[:16]} UTC)")

    def ask_astro(self) -> None:
        from wizard.core.validate import check_alias, check_api_url

        cfg = self.config
        self.say("")
        self.say("Astro details: the alias comes from Astronomer support; the API URL is in your Deployment's "
                 "details in the Astro UI.")
        cfg.alias = self.ask.text("Private Link Service alias:", default=cfg.alias, validate=_validator(check_alias))
        for w in check_alias(cfg.alias).warnings:
            self.say(f"  note: {w}")
        cfg.api_url = self.ask.text("Remote Execution API URL:", default=cfg.api_url,
                                    validate=_validator(check_api_url))
        for w in check_api_url(cfg.api_url).warnings:
            self.say(f"  note: {w}")
        cid = cfg.cluster_id
        self.say(f"  Astro cluster ID: {cid}")
        if self.record is None or self.record.cluster_id != cid:
            loaded = self.store.load(cid or "")
            if loaded.message:
                self.say(loaded.message)
            if loaded.record is not None:
                saved = loaded.record.answers
                self.say(f"  A saved setup exists for cluster {cid}: its answers are offered as defaults.")
                for name in ("subscription_id", "resource_group", "endpoint_name", "nic_name", "vnet", "subnet",
                             "region", "linked_vnets", "dns_resource_group", "link_name"):
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
                choice = self.ask.select("What now?", [("Try again (after signing in, e.g. `az login` in another "
                                                        "terminal)", "retry"), ("Stop here", "stop")])
                if choice == "stop":
                    raise Stop() from None
                continue
            self.say(f"Signed in to Azure as {who.name}" +
                     (f" (tenant {self.sub_label(who.tenant_id)})" if who.tenant_id else "") + ".")
            return

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
            choices = [(f"{s.display_name or s.subscription_id}  ({self.sub_label(s.subscription_id)})",
                        s.subscription_id) for s in subs]
            cfg.subscription_id = self.ask.pick("Subscription:", choices, default=cfg.subscription_id,
                                                what="subscription")
        self._vnets = None
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
                                               validate=_validator(check_resource_group_name))
        else:
            choices = sorted(((f"{g.name}  ({g.location})", g.name) for g in groups), key=lambda c: c[1].lower())
            default = next((v for _, v in choices if v.lower() == cfg.resource_group.lower()), None)
            cfg.resource_group = self.ask.pick("Resource group for the endpoint (where your AKS cluster is):",
                                               choices, default=default, what="resource group")
        self.save(quiet=True)

    def vnets(self) -> list[Any] | None:
        if self._vnets is None:
            sub = self.config.subscription_id
            self._vnets = self.listing("virtual network",
                                       lambda: list(self.factory.network(sub).virtual_networks.list_all()))
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
                                       validate=_validator(lambda t: check_name("subnet", t)))
            self.save(quiet=True)
            return
        current = cfg.vnet if cfg.vnet.startswith("/") else (
            vnet_id(cfg.subscription_id, cfg.resource_group, cfg.vnet) if cfg.vnet else "")
        ordered = sorted(vnets, key=lambda v: (parse_id(v.id).get("resource_group", "").lower()
                                               != cfg.resource_group.lower(), v.name.lower()))
        choices = [(f"{v.name}  ({parse_id(v.id).get('resource_group', '?')}, {v.location})", v.id) for v in ordered]
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
        cfg.subnet = self.ask.pick(f"Subnet of {vnet.name} for the endpoint:", [(n, n) for n in names],
                                   default=subnet_default, what="subnet")
        self.say(f"  The endpoint goes in {vnet.location}, the VNet's region.")
        self.save(quiet=True)

    def ask_names(self) -> None:
        from wizard.core.constants import DEFAULT_ENDPOINT_NAME
        from wizard.core.validate import check_name

        cfg = self.config
        cfg.endpoint_name = self.ask.text("Private endpoint name:", default=cfg.endpoint_name or DEFAULT_ENDPOINT_NAME,
                                          validate=_validator(lambda t: check_name("private endpoint", t)))
        nic = self.ask.text("Network interface name", default=cfg.nic_name or "",
                            instruction=f"empty: Azure's default, {cfg.endpoint_name}.nic.<id>",
                            validate=_validator(lambda t: check_name("network interface", t), optional=True))
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
            choices = [(f"{v.name}  ({parse_id(v.id).get('resource_group', '?')}, {v.location})", v.id) for v in vnets]
            checked = [v.id for v in vnets if any(same_id(v.id, x) for x in cfg.linked_vnets)]
            cfg.linked_vnets = self.ask.checkbox("Other VNets whose agents use this endpoint:", choices, checked=checked)
        self.save(quiet=True)

    # -- record -------------------------------------------------------------------------------------------
    def save(self, *, quiet: bool = False) -> None:
        cfg = getattr(self, "config", None)
        cid = cfg.cluster_id if cfg is not None else None
        if not cid:
            return
        try:
            if self.record is None or self.record.cluster_id != cid:
                loaded = self.store.load_or_new(cfg)
                self.record = loaded.record
                if loaded.message:
                    self.say(loaded.message)
            assert self.record is not None
            self.record.answers = cfg
            self.store.save(self.record)
            self.store.save_config(cfg)
            if self.transcript is not None and self.transcript.path is None:
                from wizard.core.transcript import log_path_for

                self.transcript.set_path(log_path_for(self.store, cid))
        except OSError as exc:
            if not quiet:
                self.say(f"Could not save your answers in {self.store.directory} ({exc.strerror}): check that "
                         "directory, or set ASTRO_PL_STATE_DIR to a writable one.")

    def config_path(self) -> Path:
        return self.store.config_path_for(self.config.cluster_id or "setup")

    # -- review, confirm, apply -------------------------------------------------------------------------
    def engine(self) -> Engine:
        from wizard.cli import _ProgressPrinter
        from wizard.core.config import SetupConfig
        from wizard.engine import ApprovalPolling, Engine

        config = SetupConfig.from_dict(self.config.to_dict())
        engine = Engine(config, self.factory, self.store, allow_update=set(self.allow_update),
                        on_event=_ProgressPrinter(self.out),
                        approval=self.approval or ApprovalPolling(first=2.0, longest=30.0))
        if engine.record_message:
            self.say(engine.record_message)
        if engine.record is not None:
            self.record = engine.record
        return engine

    def review_loop(self) -> int:
        from wizard.cli import _print_plans
        from wizard.engine import EXIT_BAD_INPUT

        while True:
            engine = self.engine()
            self.say("")
            self.say("Reading Azure to see what each step would do (nothing is written yet)...")
            plans = engine.plan()
            buf = _Capture()
            _print_plans(plans, buf, title=f"Review for Astro cluster {self.config.cluster_id}:")
            self.say(self.mask(buf.text().rstrip("\n")))
            inputs_failed = plans[0].action.value == "failed"
            writes = [p for p in plans if p.writes]
            stale = next((p for p in plans if p.step == "a_record" and p.state.value == "conflict" and p.updatable),
                         None)
            choices: list[tuple[str, str]] = []
            if not inputs_failed and writes:
                choices.append((f"Create these in Azure now ({len(writes)} step(s))", "apply"))
            elif not inputs_failed and not any(p.state.value in ("conflict", "failed") for p in plans):
                choices.append(("Check the approval and finish (nothing left to create)", "apply"))
            if stale is not None:
                choices.append(("Point the existing A record at this endpoint's IP (update it), then create the "
                                "rest", "update_record"))
            if not inputs_failed and writes:
                choices.append(("Export the commands for an Azure admin instead (az script, Terraform or Bicep)",
                                "export"))
            choices += [("Change an answer", "change"), ("Stop here (answers are saved)", "stop")]
            if inputs_failed:
                self.say("Step 1 does not pass, so nothing can be created yet: change the answer it names.")
            choice = self.ask.select("What next?", choices, default=choices[0][1])
            if choice == "stop":
                self.say(f"Answers saved. Resume with `astro-privatelink --plain`, or run "
                         f"`astro-privatelink apply --config {self.config_path()}`.")
                return EXIT_BAD_INPUT if inputs_failed else 0
            if choice == "change":
                self.change_answer()
                continue
            if choice == "export":
                self.export(engine, plans)
                continue
            if choice == "update_record":
                self.allow_update.add("a_record")
                continue  # re-plan with the update allowed, then confirm again
            return self.apply(engine, plans)

    def change_answer(self) -> None:
        what = self.ask.select("Which answer?", [
            ("Alias and API URL", "astro"), ("Subscription", "subscription"), ("Resource group", "rg"),
            ("Virtual network and subnet", "vnet"), ("Endpoint and network interface names", "names"),
            ("Other VNets to link", "extra"), ("Back to the review", "back")])
        if what == "astro":
            self.ask_astro()
        elif what == "subscription":
            self.ask_subscription()
            self.ask_resource_group()
            self.ask_vnet_subnet()
        elif what == "rg":
            self.ask_resource_group()
        elif what == "vnet":
            self.ask_vnet_subnet()
        elif what == "names":
            self.ask_names()
        elif what == "extra":
            self.ask_extra_vnets()
        self.save()

    def export(self, engine: Engine, plans: list[Plan]) -> None:
        from wizard.export import FORMAT_TITLES, FORMATS, ExportError, default_filename, render

        fmt = self.ask.select("Which format?", [(FORMAT_TITLES[f], f) for f in FORMATS], default="az")
        try:
            text = render(engine, fmt, plans=plans)
        except ExportError as exc:
            self.say(f"Nothing was exported: {exc}")
            return
        default = str(Path.cwd() / default_filename(self.config.cluster_id, fmt))
        while True:
            target = Path(self.ask.text("Write it to which file?", default=default)).expanduser()
            if target.exists() and not self.ask.confirm(f"{target} exists. Replace it?", default=False):
                continue
            try:
                target.write_text(text, encoding="utf-8")
                if fmt == "az":
                    os.chmod(target, 0o755)
            except OSError as exc:
                self.say(f"Could not write {target} ({exc.strerror}); choose another place.")
                continue
            break
        self.say(f"Wrote the {FORMAT_TITLES[fmt]} for the remaining steps to {target}.")
        self.say("Give it to your Azure admin. When they have run it, run this wizard again: it re-reads Azure and "
                 "picks up from there (approval, then verify).")

    def apply(self, engine: Engine, plans: list[Plan]) -> int:
        from wizard.cli import _run_interruptibly
        from wizard.engine import EXIT_OK, EXIT_PENDING, EXIT_STOPPED

        writes = [p for p in plans if p.writes]
        if writes and not self.ask.confirm(f"Create or change {len(writes)} step(s) in Azure now?", default=True):
            self.say("Nothing was written.")
            return self.review_loop()
        self.say("Applying (each line is one step's progress):")
        result: RunResult | None = _run_interruptibly(engine, lambda: engine.apply(wait_for_approval=False,
                                                                                  plans=plans))
        if result is None or result.exit_code == EXIT_STOPPED:
            self.say("Stopped. Azure keeps what was started; run again to resume.")
            return EXIT_STOPPED
        if result.exit_code == EXIT_PENDING:
            approval = result.outcomes.get("approval")
            self.say("")
            self.say("Everything is in place except Astronomer's approval. Send this to Astronomer support:")
            self.say("")
            for line in (approval.details if approval else []):
                self.say(self.mask("    " + line))
            self.say("")
            if self.ask.confirm("Wait here until the connection is approved? (Ctrl+C stops waiting; running again "
                                "later picks up)", default=True):
                engine = self.engine()
                result = _run_interruptibly(engine, lambda: engine.apply(wait_for_approval=True))
                if result is None:
                    self.say("Stopped waiting. Run again later to check the approval.")
                    return EXIT_STOPPED
            else:
                self.say(f"Run `astro-privatelink --plain` (or `astro-privatelink status --config "
                         f"{self.config_path()}`) after Astronomer approves.")
                return EXIT_PENDING
        self.summary(result)
        return result.exit_code if result.exit_code != EXIT_OK else EXIT_OK

    def summary(self, result: RunResult) -> None:
        from wizard.engine import EXIT_OK, EXIT_PENDING

        self.say("")
        if result.exit_code == EXIT_OK:
            self.say("Done: every step is complete.")
            self.say(f"Next, from a host inside the VNet: astro-privatelink verify --config {self.config_path()}")
        elif result.exit_code == EXIT_PENDING:
            self.say("Still waiting for Astronomer's approval. Run again later to pick up from here.")
        else:
            for o in result.outcomes.values():
                if o.state.value in ("failed", "conflict"):
                    self.say(self.mask(f"{o.step.replace('_', ' ')}: {o.summary}"))
                    for d in o.details:
                        self.say(self.mask(f"    {d}"))
                    if o.correlation_id:
                        self.say(f"    (Azure correlation id for support: {o.correlation_id})")
            self.say(f"Fix what is named above and run again; `astro-privatelink report --config "
                     f"{self.config_path()}` prints a summary for a support ticket.")
        if self.record is not None:
            self.say(f"Setup record: {self.store.path_for(self.record.cluster_id)}")
            if self.transcript is not None and self.transcript.path is not None:
                self.say(f"Request log (for Azure support): {self.transcript.path}")


class _Capture:
    """A tiny text sink for cli._print_plans."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, s: str) -> int:
        self.parts.append(s)
        return len(s)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(self.parts)


# -- entry point -------------------------------------------------------------------------------------------------
def run_plain(args: Any, *, input: Any = None, output: Any = None, out: TextIO | None = None,
              approval: ApprovalPolling | None = None) -> int:
    """`astro-privatelink --plain [demo]`: real Azure, or the demo sandbox (`demo`)."""
    from wizard.core.azure import ClientFactory
    from wizard.core.config import SetupConfig
    from wizard.core.record import RecordStore
    from wizard.core.settings import AzureSettings, SettingsError, state_dir
    from wizard.core.transcript import Transcript

    if input is None and not _isatty(sys.stdin):
        print("astro-privatelink: there is no terminal to ask questions on (standard input is not one). Run "
              "`astro-privatelink apply --config FILE` instead (see `astro-privatelink plan --help`).",
              file=sys.stderr)
        return 2
    if output is None and not _isatty(sys.stdout) and _isatty(sys.stderr):
        from prompt_toolkit.output import create_output

        output = create_output(sys.stderr)  # questions on the terminal; progress and results to stdout
    sandbox = None
    demo_defaults = None
    try:
        if getattr(args, "command", None) == "demo":
            from wizard.sandbox.server import Sandbox

            print("Demo mode: starting a local sandbox that plays Azure and Astro; nothing leaves this machine.",
                  file=out or sys.stdout, flush=True)
            sandbox = Sandbox(world=getattr(args, "world", "demo") or "demo",
                              approve_after=getattr(args, "approve_after", 20.0)).start()
            settings = AzureSettings(arm_endpoint=sandbox.arm_endpoint, access_token=sandbox.token,
                                     ca_file=sandbox.ca_file, polling_interval=0.5)
            demo_defaults = SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url)
        else:
            settings = AzureSettings.from_env(arm_endpoint=getattr(args, "arm_endpoint", None),
                                              ca_file=getattr(args, "ca_file", None))
    except SettingsError as exc:
        print(f"astro-privatelink: {exc}", file=sys.stderr)
        return 2
    transcript = Transcript()
    factory = ClientFactory(settings, per_call_policies=[transcript.policy()])
    try:
        wizard = PlainWizard(factory, RecordStore(state_dir()), prompter=Prompter(input, output), out=out,
                             redact=bool(getattr(args, "redact", False)), transcript=transcript, approval=approval,
                             demo_defaults=demo_defaults)
        return wizard.run()
    finally:
        if sandbox is not None:
            sandbox.stop()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError):
        return False


__all__ = ["PlainWizard", "Prompter", "run_plain", "should_use_plain"]
