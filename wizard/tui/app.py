"""The Textual app: one `SetupConfig` for the whole wizard, saved to the setup record as the user goes.

Screens (in `screens/`) render a step's plan and collect answers; anything that talks to Azure runs in a
thread worker and comes back as a message. The Azure SDK is never imported before the first screen is
painted: it is warmed up in a background thread after that, and loaded on demand otherwise.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from wizard.core.config import SetupConfig, parse_config
from wizard.core.record import RecordStore, SetupRecord
from wizard.core.redact import Redactor
from wizard.core.settings import AzureSettings
from wizard.core.validate import check_alias, check_api_url, check_name

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan
    from wizard.core.azure import ClientFactory
    from wizard.engine import ApprovalPolling, Engine, Event

PAGES: list[tuple[str, str]] = [
    ("astro", "Astro details"),
    ("azure", "Azure account"),
    ("placement", "Where it goes"),
    ("review", "Review"),
    ("create", "Create"),
    ("approval", "Approval"),
    ("verify", "Verify"),
    ("done", "Done"),
]
PAGE_TITLES = dict(PAGES)
CREATE_STEPS: list[tuple[str, str]] = [
    ("private_endpoint", "Endpoint"),
    ("dns_zone", "DNS zone"),
    ("vnet_links", "VNet links"),
    ("a_record", "A record"),
]
STEP_KEYS = ["inputs"] + [k for k, _ in CREATE_STEPS] + ["approval"]
# The page that fixes a step (used by Verify's fix links).
PAGE_FOR_STEP = {"inputs": "placement", "alias": "astro", "api_url": "astro", "private_endpoint": "create",
                 "dns_zone": "create", "vnet_links": "create", "vnet_link": "create", "a_record": "create",
                 "approval": "approval", "placement": "placement", "nsg": "placement", "verify": "verify"}
RECORD_STATE = {"done": "done", "failed": "failed", "conflict": "conflict", "waiting": "waiting",
                "blocked": "blocked", "applying": "waiting", "todo": "todo", "running": "running"}
DRAFT_NAME = "draft.toml"


def _vnet_data(vnet: Any, resource_group: str) -> dict[str, Any]:
    """What the pickers need of a VNet: region, group, subnet names and their address prefixes."""
    subnets = list(vnet.subnets or [])
    return {"location": vnet.location, "resource_group": resource_group, "subnets": [s.name for s in subnets],
            "prefixes": {s.name: s.address_prefix or ", ".join(s.address_prefixes or []) for s in subnets}}


class EngineEvent(Message):
    """An engine event, carried from a worker thread to the UI."""

    def __init__(self, event: Event, token: object = None) -> None:
        super().__init__()
        self.event = event
        self.token = token


class ApplyDone(Message):
    """The engine finished a run (or could not start: `error`)."""

    def __init__(self, result: Any, error: str | None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class WizardApp(App[int]):
    CSS_PATH = str(Path(__file__).resolve().parents[2] / "screens" / "wizard.tcss")
    TITLE = "Astro Private Link setup"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, id="quit")]

    def __init__(self, *, settings: AzureSettings | None = None, state: Path | str | None = None,
                 redact: bool = False, sandbox: Any = None, sandbox_world: str | None = None,
                 approve_after: float | None = None, approval: ApprovalPolling | None = None,
                 nameserver: tuple[str, int] | None = None, clock: Callable[[], float] | None = None,
                 preload_sdk: bool = True, demo_prefill: bool | None = None) -> None:
        super().__init__()
        from wizard.core.settings import state_dir

        self.store = RecordStore(Path(state) if state is not None else state_dir())
        self.config = SetupConfig()
        self.record: SetupRecord | None = None
        self.redact_on = redact
        self.known_ids: set[str] = set()
        self.sandbox = sandbox
        self._sandbox_world = sandbox_world
        self._approve_after = approve_after
        self._owns_sandbox = False
        self.demo = sandbox is not None or sandbox_world is not None
        self.demo_prefill = self.demo if demo_prefill is None else demo_prefill
        self.approval_polling = approval
        self.nameserver = nameserver
        self.clock = clock or time.monotonic
        self._preload = preload_sdk
        self.settings = settings
        self.factory: ClientFactory | None = None
        from wizard.core.transcript import Transcript

        # Every ARM request, for support tickets (no token, no body): <state dir>/<cluster-id>.requests.log
        self.transcript = Transcript()
        self._factory_ready = threading.Event()
        self._factory_error: str | None = None
        self.step_states: dict[str, str] = {}
        self.step_messages: dict[str, str] = {}
        self.plans: dict[str, Plan] = {}
        self.reviewed = False
        self.allow_update: set[str] = set()
        self.verify_report: Any = None
        self.verify_state: str | None = None
        self.busy: dict[str, str] = {}
        self.identity: Any = None
        self.current_page: str | None = None
        self.messages: list[str] = []
        self.vnet_cache: dict[str, dict[str, Any]] = {}
        self.apply_result: Any = None
        self.apply_cancel = threading.Event()
        self.support_text: str | None = None
        if sandbox is not None:
            self._use_sandbox(sandbox)
        elif settings is not None:
            self._set_factory(settings)

    # -- Azure access ------------------------------------------------------------------------------------
    def _set_factory(self, settings: AzureSettings) -> None:
        from wizard.core.azure import ClientFactory

        self.settings = settings
        self.factory = ClientFactory(settings, per_call_policies=lambda: [self.transcript.policy()])
        self._factory_ready.set()

    def _use_sandbox(self, sb: Any) -> None:
        host, port = sb.dns_address
        self.nameserver = self.nameserver or (host, port)
        self._set_factory(AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file,
                                        polling_interval=0.2))

    def get_factory(self) -> ClientFactory:
        """The client factory; waits (in a worker thread) while the demo sandbox is starting."""
        if not self._factory_ready.wait(60):
            raise RuntimeError("The demo sandbox did not start within a minute.")
        if self.factory is None:
            raise RuntimeError(self._factory_error or "Azure access is not configured.")
        return self.factory

    def _start_sandbox(self) -> None:
        try:
            from wizard.sandbox.server import Sandbox

            sb = Sandbox(world=self._sandbox_world or "demo", approve_after=self._approve_after).start()
            self.sandbox = sb
            self._owns_sandbox = True
            self._use_sandbox(sb)
            self.call_from_thread(self._sandbox_started)
        except Exception as exc:
            self._factory_error = f"The demo sandbox could not start: {exc}"
            self._factory_ready.set()

    def _sandbox_started(self) -> None:
        if self.demo_prefill and not self.config.alias and not self.config.api_url:
            self.prefill_demo()
        self.refresh_screen()

    def prefill_demo(self) -> bool:
        if self.sandbox is None:
            return False
        self.config.alias = self.config.alias or self.sandbox.demo_alias
        self.config.api_url = self.config.api_url or self.sandbox.demo_api_url
        return True

    def explain(self, exc: BaseException) -> str:
        """One sentence for any error from Azure or the network (callable from threads)."""
        from wizard.core.azure import AzureAccessError

        if isinstance(exc, AzureAccessError):
            return str(exc)
        from wizard.core.errors import explain

        return explain(exc, alias=self.config.alias, subscription_id=self.config.subscription_id).sentence

    def make_engine(self, *, allow_update: set[str] | None = None, cancel: threading.Event | None = None,
                    token: object = None) -> Engine:
        """An engine over a copy of the answers; the app adopts its setup record (one record in memory)."""
        from wizard.engine import ApprovalPolling, Engine

        self.save_answers()
        config = SetupConfig.from_dict(self.config.to_dict())
        engine = Engine(config, self.get_factory(), self.store, allow_update=allow_update, cancel=cancel,
                        approval=self.approval_polling or ApprovalPolling(first=2.0, longest=30.0),
                        on_event=lambda ev: self.post_message(EngineEvent(ev, token)))
        if engine.record is not None:
            self.record = engine.record
        if engine.record_message:
            self.messages.append(engine.record_message)
        return engine

    # -- live listings for the pickers (run in picker threads) ------------------------------------------
    def list_subscriptions(self) -> list[Any]:
        from screens.widgets.picker import PickItem

        subs = list(self.get_factory().subscriptions().subscriptions.list())
        self.remember_ids(*(s.subscription_id for s in subs), *(getattr(s, "tenant_id", None) for s in subs))
        return [PickItem(s.subscription_id, s.display_name or s.subscription_id,
                         f"{s.subscription_id}  {str(s.state or '').split('.')[-1].title()}".strip()) for s in subs]

    def list_resource_groups(self, emit: Callable[[list[Any]], None]) -> None:
        from screens.widgets.picker import PickItem

        batch: list[Any] = []
        for rg in self.get_factory().resources(self.config.subscription_id).resource_groups.list():
            batch.append(PickItem(rg.name, rg.name, rg.location or ""))
            if len(batch) >= 100:
                emit(batch)
                batch = []
        emit(batch)

    def list_vnets(self, emit: Callable[[list[Any]], None]) -> None:
        """Every VNet in the subscription, a page at a time (thousands in big estates)."""
        from screens.widgets.picker import PickItem

        batch: list[Any] = []
        for v in self.get_factory().network(self.config.subscription_id).virtual_networks.list_all():
            rg = v.id.split("/")[4] if v.id and v.id.count("/") > 4 else ""
            item = PickItem(v.id, v.name, f"{rg} | {v.location}", data=_vnet_data(v, rg))
            self.vnet_cache[v.id.lower()] = item.data
            batch.append(item)
            if len(batch) >= 250:
                emit(batch)
                batch = []
        emit(batch)

    def vnet_details(self, ref: str) -> dict[str, Any]:
        """Location and subnets of a VNet given by name (in the chosen resource group) or id."""
        vid = self.vnet_id(ref)
        cached = self.vnet_cache.get(vid.lower())
        if cached is not None:
            return cached
        parts = vid.split("/")
        sub, rg, name = parts[2], parts[4], parts[8]
        v = self.get_factory().network(sub).virtual_networks.get(rg, name)
        data = _vnet_data(v, rg)
        self.vnet_cache[vid.lower()] = data
        return data

    def vnet_id(self, ref: str) -> str:
        if ref.startswith("/"):
            return ref
        return (f"/subscriptions/{self.config.subscription_id}/resourceGroups/{self.config.resource_group}"
                f"/providers/Microsoft.Network/virtualNetworks/{ref}")

    # -- long-running work, owned by the app so it survives changing screens ---------------------------
    def start_apply(self, allow_update: set[str] | None = None) -> None:
        if "apply" in self.busy:
            return
        self.busy["apply"] = "creating the Azure resources (step 5)"
        self.apply_cancel = threading.Event()
        self.apply_result = None
        for key, _ in CREATE_STEPS:
            if self.step_states.get(key) != "done":
                self.step_states[key] = "todo"
        self.refresh_checklists()
        self.run_worker(lambda: self._apply(allow_update or set()), thread=True, group="apply", exclusive=True,
                        name="apply")

    def _apply(self, allow_update: set[str]) -> None:
        try:
            engine = self.make_engine(allow_update=allow_update, cancel=self.apply_cancel)
            result = engine.apply(wait_for_approval=False)
            self.post_message(ApplyDone(result, None))
        except Exception as exc:
            self.post_message(ApplyDone(None, self.explain(exc)))

    def on_apply_done(self, message: ApplyDone) -> None:
        self.busy.pop("apply", None)
        self.apply_result = message.result
        if message.result is not None:
            for key, outcome in message.result.outcomes.items():
                self.step_states[key] = outcome.state.value
                self.step_messages[key] = outcome.summary
            approval = message.result.outcomes.get("approval")
            if approval is not None and approval.details:
                self.support_text = "\n".join(approval.details)
        handler = getattr(self.screen, "apply_done", None)
        if handler is not None:
            handler(message.result, message.error)
        self.refresh_checklists()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from screens.start import StartScreen

        if self._sandbox_world is not None and self.sandbox is None:
            threading.Thread(target=self._start_sandbox, name="sandbox", daemon=True).start()
        elif self.demo_prefill and self.sandbox is not None:
            self.prefill_demo()
        self.push_screen(StartScreen())

    def first_paint(self) -> None:
        """Called by the start screen once it has been painted."""
        bench = os.environ.get("ASTRO_PL_BENCH_FIRST_PAINT")
        if bench:
            Path(bench).write_text(repr(time.time()))
        if self._preload:
            threading.Thread(target=self._preload_sdk, name="sdk-preload", daemon=True).start()

    @staticmethod
    def _preload_sdk() -> None:
        from wizard.core.azure import preload_sdk

        try:
            preload_sdk()
            import wizard.engine  # noqa: F401
        except ImportError:  # a broken install: the on-demand import later reports it with its own error
            return

    def on_unmount(self) -> None:
        if self._owns_sandbox and self.sandbox is not None:
            self.sandbox.stop()

    # -- answers and record ------------------------------------------------------------------------------
    @property
    def draft_path(self) -> Path:
        return self.store.directory / DRAFT_NAME

    def save_answers(self) -> None:
        """Save what the user typed: to the setup record (by cluster id), or to a draft until one is known."""
        cid = self.config.cluster_id
        try:
            if not cid:
                if self.config.alias or self.config.api_url:
                    self.store.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                    self.draft_path.write_text(self.config.to_toml(), encoding="utf-8")
                return
            if self.record is None or self.record.cluster_id != cid:
                loaded = self.store.load_or_new(self.config)
                self.record = loaded.record
                if loaded.message:
                    self.messages.append(loaded.message)
                self._seed_states_from_record()
            assert self.record is not None
            self.record.answers = self.config
            self.store.save(self.record)
            self.store.save_config(self.config)
            from wizard.core.transcript import log_path_for

            log_path = log_path_for(self.store, cid)
            if self.transcript.path != log_path:
                self.transcript.set_path(log_path)
            if self.draft_path.exists():
                self.draft_path.unlink()
        except OSError as exc:
            self.notify(f"Could not save your answers ({exc.strerror}); check the state directory "
                        f"{self.store.directory}.", severity="error", timeout=10)

    def load_draft(self) -> SetupConfig | None:
        try:
            return parse_config(self.draft_path.read_text(encoding="utf-8"), source=str(self.draft_path))
        except (OSError, ValueError):
            return None

    def resume(self, record: SetupRecord | None, config: SetupConfig | None = None, *,
               page: str | None = None) -> None:
        """Adopt a record (or a draft / a new setup) and go to where it stopped."""
        self.record = record
        self.config = record.answers if record is not None else (config or SetupConfig())
        self.step_states, self.step_messages, self.plans = {}, {}, {}
        self.reviewed = False
        self.verify_report, self.verify_state = None, None
        if record is not None:
            self._seed_states_from_record()
            self.reviewed = any(record.steps.get(k) for k, _ in CREATE_STEPS)
        elif config is None:
            if self.demo_prefill:
                self.prefill_demo()
            self.goto(page or "astro")
            return
        self.goto(page or self.resume_page())

    def _seed_states_from_record(self) -> None:
        if self.record is None:
            return
        for key in STEP_KEYS:
            state = self.record.last_state(key)
            if state:
                self.step_states[key] = RECORD_STATE.get(state, "todo")
                self.step_messages[key] = self.record.steps[key][-1].detail

    def resume_page(self) -> str:
        if not (check_alias(self.config.alias).ok and check_api_url(self.config.api_url).ok):
            return "astro"
        if not self.config.subscription_id:
            return "azure"
        if self.placement_problems():
            return "placement"
        create = [self.step_states.get(k) for k, _ in CREATE_STEPS]
        if any(create):
            if not all(s == "done" for s in create):
                return "create"
            if self.step_states.get("approval") != "done":
                return "approval"
            return "verify"
        return "review"

    def placement_problems(self) -> list[str]:
        c = self.config
        out = []
        if not c.resource_group:
            out.append("Choose the resource group.")
        if not c.vnet:
            out.append("Choose the virtual network.")
        if not c.subnet:
            out.append("Choose the subnet.")
        out += check_name("private endpoint", c.endpoint_name).problems
        if c.nic_name:
            out += check_name("network interface", c.nic_name).problems
        return out

    # -- page states ---------------------------------------------------------------------------------------
    def create_state(self) -> str:
        states = [self.step_states.get(k, "todo") for k, _ in CREATE_STEPS]
        if all(s == "done" for s in states):
            return "done"
        for s in ("failed", "conflict", "running", "waiting"):
            if s in states:
                return s
        return "todo"

    def page_state(self, page: str) -> str:
        c = self.config
        if page == "astro":
            return "done" if check_alias(c.alias).ok and check_api_url(c.api_url).ok else "todo"
        if page == "azure":
            return "done" if c.subscription_id else "todo"
        if page == "placement":
            return "done" if c.subscription_id and not self.placement_problems() else "todo"
        if page == "review":
            if self.step_states.get("inputs") == "failed":
                return "failed"
            return "done" if self.reviewed else "todo"
        if page == "create":
            return self.create_state()
        if page == "approval":
            state = self.step_states.get("approval", "todo")
            return "todo" if state == "blocked" else state
        if page == "verify":
            return self.verify_state or "todo"
        if page == "done":
            return "done" if self.verify_state == "done" else "todo"
        return "todo"

    def reachable(self, page: str) -> bool:
        c = self.config
        if page in ("astro", "azure"):
            return True
        if page == "placement":
            return bool(c.subscription_id)
        if page == "review":
            return bool(c.subscription_id) and not c.problems()
        if page == "create":
            return self.reviewed or any(self.step_states.get(k) for k, _ in CREATE_STEPS)
        if page in ("approval", "verify"):
            return self.step_states.get("private_endpoint") == "done"
        if page == "done":
            return self.step_states.get("approval") == "done"
        return False

    def checklist_rows(self, current: str) -> list[tuple[int, str, str, bool]]:
        rows: list[tuple[int, str, str, bool]] = []
        for n, (page, title) in enumerate(PAGES, start=1):
            state = self.page_state(page)
            if page != current and not self.reachable(page) and state == "todo":
                state = "blocked"
            rows.append((0, f"{n}. {title}", state, page == current))
            if page == "create" and (current == "create" or any(self.step_states.get(k) for k, _ in CREATE_STEPS)):
                for key, label in CREATE_STEPS:
                    rows.append((1, label, self.step_states.get(key, "todo"), False))
        return rows

    def set_step_state(self, key: str, state: str, message: str | None = None) -> None:
        self.step_states[key] = state
        if message is not None:
            self.step_messages[key] = message
        self.refresh_checklists()

    def refresh_checklists(self) -> None:
        from screens.widgets.checklist import Checklist

        for screen in self.screen_stack:
            for checklist in screen.query(Checklist):
                checklist.refresh_states()

    def refresh_screen(self) -> None:
        self.refresh_checklists()
        refresh = getattr(self.screen, "refresh_content", None)
        if refresh is not None:
            refresh()

    def on_engine_event(self, message: EngineEvent) -> None:
        ev = message.event
        if ev.kind == "start":
            self.step_states[ev.step] = "waiting" if ev.step == "approval" else "running"
        elif ev.kind == "progress":
            self.step_messages[ev.step] = ev.message
        elif ev.kind == "plan" and ev.state:
            self.step_states[ev.step] = "todo" if ev.state == "blocked" else ev.state
            self.step_messages[ev.step] = ev.message
        elif ev.kind == "outcome" and ev.state:
            self.step_states[ev.step] = ev.state
            self.step_messages[ev.step] = ev.message
        handler = getattr(self.screen, "engine_event", None)
        if handler is not None:
            handler(ev, message.token)
        self.refresh_checklists()

    # -- navigation --------------------------------------------------------------------------------------
    def screen_for(self, page: str) -> Screen:
        from screens.approval import ApprovalScreen
        from screens.astro_details import AstroDetailsScreen
        from screens.azure_account import AzureAccountScreen
        from screens.create import CreateScreen
        from screens.done import DoneScreen
        from screens.placement import PlacementScreen
        from screens.review import ReviewScreen
        from screens.start import StartScreen
        from screens.verify import VerifyScreen

        return {"start": StartScreen, "astro": AstroDetailsScreen, "azure": AzureAccountScreen,
                "placement": PlacementScreen, "review": ReviewScreen, "create": CreateScreen,
                "approval": ApprovalScreen, "verify": VerifyScreen, "done": DoneScreen}[page]()

    def goto(self, page: str) -> None:
        """Show a page (saving the answers first)."""
        self.save_answers()
        while len(self.screen_stack) > 2 and isinstance(self.screen, Screen) and self.screen.is_modal:
            self.pop_screen()
        self.current_page = page
        self.switch_screen(self.screen_for(page))

    def next_page(self, page: str) -> str | None:
        keys = [k for k, _ in PAGES]
        i = keys.index(page)
        return keys[i + 1] if i + 1 < len(keys) else None

    def previous_page(self, page: str) -> str:
        keys = [k for k, _ in PAGES]
        i = keys.index(page)
        return keys[i - 1] if i > 0 else "start"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        current = getattr(screen, "PAGE", None)
        for n, (page, title) in enumerate(PAGES, start=1):
            if page != current and self.reachable(page):
                yield SystemCommand(f"Go to step {n}: {title}", f"Jump to the {title} screen",
                                    lambda p=page: self.goto(p))
        yield SystemCommand("Setups in progress", "Back to the start screen (answers are saved)",
                            lambda: self.goto("start"))
        yield from super().get_system_commands(screen)

    # -- redaction -----------------------------------------------------------------------------------------
    def remember_ids(self, *ids: str | None) -> None:
        self.known_ids.update(i.lower() for i in ids if i)

    def redact(self, text: str) -> str:
        """Subscription and tenant ids masked (last 4 kept) when --redact is on; everything on screen goes here."""
        if not self.redact_on or not text:
            return text
        return Redactor(True, self.known_ids | {self.config.subscription_id.lower()})(text)

    # -- quitting ------------------------------------------------------------------------------------------
    def resume_hint(self) -> str:
        if self.record is not None:
            where = self.store.path_for(self.record.cluster_id)
            return f"Your answers and progress are saved in {where}. Run astro-privatelink again to resume."
        if self.draft_path.exists():
            return f"Your answers are saved in {self.draft_path}. Run astro-privatelink again to resume."
        return "Nothing was written to Azure."

    async def action_quit(self) -> None:
        from screens.dialogs import QuitScreen

        self.save_answers()
        if not self.busy:
            self.exit(0, message=self.resume_hint())
            return
        if isinstance(self.screen, QuitScreen):
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                for cancel in list(self.cancels):
                    cancel.set()
                self.exit(0, message=self.resume_hint())

        self.push_screen(QuitScreen(list(self.busy.values()), self.resume_hint()), answered)

    @property
    def cancels(self) -> list[threading.Event]:
        out = [self.apply_cancel]
        for screen in self.screen_stack:
            out += getattr(screen, "cancel_events", [])
        return out


def run_tui(args: Any) -> int:
    """`astro-privatelink` (real Azure) and `astro-privatelink demo` (the built-in sandbox)."""
    from wizard.core.constants import ENV_DNS_SERVER
    from wizard.core.settings import SettingsError

    redact = bool(getattr(args, "redact", False))
    if getattr(args, "command", None) == "demo":
        app = WizardApp(sandbox_world=getattr(args, "world", "demo") or "demo",
                        approve_after=getattr(args, "approve_after", 20.0), redact=redact)
    else:
        try:
            settings = AzureSettings.from_env(arm_endpoint=getattr(args, "arm_endpoint", None),
                                              ca_file=getattr(args, "ca_file", None))
        except SettingsError as exc:
            print(f"astro-privatelink: {exc}")
            return 2
        nameserver = None
        if os.environ.get(ENV_DNS_SERVER):
            from steps.verify import parse_nameserver  # the same HOST[:PORT] rules as `verify --nameserver`

            try:
                nameserver = parse_nameserver(os.environ[ENV_DNS_SERVER])
            except ValueError as exc:
                print(f"astro-privatelink: {ENV_DNS_SERVER}: {exc}")
                return 2
        app = WizardApp(settings=settings, redact=redact, nameserver=nameserver)
    code = app.run()
    return int(code or 0)
