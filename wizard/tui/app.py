"""The Textual app: one `SetupConfig` for the whole wizard, saved to the setup record as the user goes.

Screens (in `screens/`) render a step's plan and collect answers; they use the App through
`screens.host.WizardHost` and hear from it through the Messages in `screens.messages`. Anything that talks to
Azure runs in a thread worker and comes back as a message. The Azure SDK is never imported before the first
screen is painted: it is warmed up in a worker after that, and loaded on demand otherwise. Which page comes
next, and what state each page shows, is decided in `wizard.tui.pages`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from screens import STYLESHEET
from screens.base import WizardScreen
from screens.host import WizardHost
from screens.messages import ApplyFinished, EngineUpdate, Refresh
from steps.registry import CREATE_KEYS, STEP_KEYS
from wizard.core.config import SetupConfig, parse_config
from wizard.core.constants import ENV_BENCH_FIRST_PAINT
from wizard.core.record import RecordStore, SetupRecord
from wizard.core.settings import AzureSettings
from wizard.core.statefiles import StateDirError
from wizard.core.transcript import Transcript
from wizard.tui import demo, pages
from wizard.tui.messages import ApplyDone, EngineEvent, SandboxStarted
from wizard.tui.output import SafeOutput

if TYPE_CHECKING:  # pragma: no cover
    from screens.widgets.checklist import Row
    from wizard.core.azure import ClientFactory
    from wizard.engine import ApprovalPolling, Engine, Event, RunResult, Workspace
    from wizard.tui.listings import Listings

DRAFT_NAME = "draft.toml"
# Before the demo sandbox is up there are no settings yet; a Workspace over these only saves answers (every
# engine waits for the real settings).
_SAVE_ONLY = AzureSettings()


class WizardApp(SafeOutput, App[int]):
    """The wizard: its answers and step states, the engines' runs, and navigation (`screens.host.WizardHost`)."""

    CSS_PATH = STYLESHEET
    TITLE = "Astro Private Link setup"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, id="quit")]

    def __init__(self, *, settings: AzureSettings | None = None, state: Path | str | None = None,
                 redact: bool = False, sandbox: Any = None, sandbox_world: str | None = None,
                 approve_after: float | None = None, approval: ApprovalPolling | None = None,
                 nameserver: tuple[str, int] | None = None, clock: Callable[[], float] | None = None,
                 preload_sdk: bool = True, demo_prefill: bool | None = None, credential: Any = None) -> None:
        """`credential`: an Azure credential to use instead of the one `settings` make (kept across tenant switches)."""
        super().__init__()
        from wizard.core.settings import state_dir

        self.store = RecordStore(Path(state) if state is not None else state_dir())
        # Every ARM request, for support tickets (no token, no body): <state dir>/<cluster-id>.requests.log
        self.transcript = Transcript()
        self.config = SetupConfig()
        self.record: SetupRecord | None = None
        self.redact_on = redact
        self.known_ids: set[str] = set()
        self.sandbox = sandbox
        self._sandbox_world = sandbox_world
        self._approve_after = approve_after
        self._owns_sandbox = False
        self._open_when_up: str | None = None  # a page to open once the demo sandbox is up
        self.demo = sandbox is not None or sandbox_world is not None
        self.demo_prefill = self.demo if demo_prefill is None else demo_prefill
        self.approval_polling = approval
        self.nameserver = nameserver
        self.clock: Callable[[], float] = clock or time.monotonic
        self._preload = preload_sdk
        self.settings = settings
        self._workspace: Workspace | None = None
        self._credential = credential
        self._workspace_lock = threading.Lock()
        self._azure_ready = threading.Event()
        self._azure_error: str | None = None
        self._listings: Listings | None = None  # built on first use: the first screen needs no listing
        self.step_states: dict[str, str] = {}
        self.step_messages: dict[str, str] = {}
        self.reviewed = False
        self.allow_update: set[str] = set()
        self.verify_state: str | None = None
        self.busy: dict[str, str] = {}
        self.messages: list[str] = []
        self.apply_result: RunResult | None = None
        self.apply_cancel = threading.Event()
        self.support_text: str | None = None
        if sandbox is not None:
            self._use_sandbox(sandbox)
        elif settings is not None:
            self._azure_ready.set()

    # -- Azure access ------------------------------------------------------------------------------------
    def _use_sandbox(self, sb: Any) -> None:
        from wizard.engine import sandbox_settings

        host, port = sb.dns_address
        self.nameserver = self.nameserver or (host, port)
        self.settings = sandbox_settings(sb)
        self._azure_ready.set()

    def _workspace_now(self) -> Workspace:
        """The Workspace, built on first use (so the first screen paints before wizard.engine is imported)."""
        from wizard.engine import Workspace

        with self._workspace_lock:
            settings = self.settings or _SAVE_ONLY
            if self._workspace is None or self._workspace.settings != settings:
                self._workspace = Workspace(settings, store=self.store, transcript=self.transcript,
                                            credential=self._credential)
            return self._workspace

    def switch_tenant(self, tenant_id: str) -> None:
        """Azure tokens for `tenant_id` from now on (issue 17): the settings take it, and the Workspace and listings
        are built again over them with the same credential (no second sign-in). Call it in a thread worker."""
        current = self.azure_factory()
        credential = current.credential()   # the one signed in (built already by the sign-in check)
        with self._workspace_lock:
            assert self.settings is not None   # azure_factory() raised otherwise
            self._credential = credential
            self.settings = self.settings.with_overrides(tenant_id=tenant_id or None)
            self._workspace = None
            self._listings = None

    def azure_workspace(self) -> Workspace:
        """The Workspace for reaching Azure; waits (in a worker thread) while the demo sandbox is starting."""
        if not self._azure_ready.wait(60):
            raise RuntimeError("The demo sandbox did not start within a minute.")
        if self.settings is None:
            raise RuntimeError(self._azure_error or "Azure access is not configured.")
        return self._workspace_now()

    def azure_factory(self) -> ClientFactory:
        return self.azure_workspace().factory

    @property
    def listings(self) -> Listings:
        """The live listings behind the pickers (`wizard.tui.listings`), imported and built on first use."""
        with self._workspace_lock:
            if self._listings is None:
                from wizard.tui.listings import Listings

                self._listings = Listings(self.azure_factory, self.remember_ids)
            return self._listings

    def _start_sandbox(self) -> None:
        """In a worker: start the demo sandbox, then tell the UI."""
        try:
            from wizard.sandbox.server import Sandbox

            sb = Sandbox(world=self._sandbox_world or "demo", approve_after=self._approve_after).start()
            self.sandbox = sb
            self._owns_sandbox = True
            self._use_sandbox(sb)
        except Exception as exc:
            self._azure_error = f"The demo sandbox could not start: {exc}"
            self._azure_ready.set()
        self.post_message(SandboxStarted())  # started or not (then `_azure_error` says why): the pages look again

    @on(SandboxStarted)
    def _sandbox_started(self) -> None:
        if self.demo_prefill and not self.config.alias and not self.config.api_url and self._page() != pages.START:
            self.prefill_demo()  # a new setup was opened before the sandbox was up (the start screen fills nothing)
        if demo.adopt(self):  # a setup resumed before the sandbox was up, from an earlier demo's world
            demo.start_over(self)
        if self._open_when_up:  # "Start a new setup" was chosen while the sandbox was starting
            page, self._open_when_up = self._open_when_up, None
            self.resume(None, page=page)
        self.refresh_checklists()
        self._tell_page(Refresh())

    def prefill_demo(self) -> bool:
        if self.sandbox is None:
            return False
        self.config.alias = self.config.alias or self.sandbox.demo_alias
        self.config.api_url = self.config.api_url or self.sandbox.demo_api_url
        return True

    def approve_demo(self) -> bool:
        if self.sandbox is None:
            return False
        self.sandbox.approve()
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
        from wizard.engine import WATCHED_APPROVAL

        def on_event(event: Event) -> None:  # in the engine's threads
            self.post_message(EngineEvent(event, token))

        self.save_answers()
        engine = self.azure_workspace().engine(
            self.config, allow_update=allow_update, cancel=cancel, approval=self.approval_polling or WATCHED_APPROVAL,
            on_event=on_event)
        if engine.record is not None:
            self.record = engine.record
        if engine.record_message:
            self.messages.append(engine.record_message)
        return engine

    # -- long-running work, owned by the app so it survives changing screens ---------------------------
    @property
    def applying(self) -> bool:
        return "apply" in self.busy

    def start_apply(self, allow_update: set[str] | None = None) -> None:
        if self.applying:
            return
        self.busy["apply"] = "creating the Azure resources (steps 2-5)"
        self.apply_cancel = threading.Event()
        self.apply_result = None
        for key in CREATE_KEYS:
            if self.step_states.get(key) != "done":
                self.step_states[key] = "todo"
        self.refresh_checklists()
        self.run_worker(partial(self._apply, allow_update or set()), thread=True, group="apply", exclusive=True,
                        name="apply")

    def _apply(self, allow_update: set[str]) -> None:
        try:
            engine = self.make_engine(allow_update=allow_update, cancel=self.apply_cancel)
            result = engine.apply(wait_for_approval=False)
            self.post_message(ApplyDone(result, None))
        except Exception as exc:
            self.post_message(ApplyDone(None, self.explain(exc)))

    @on(ApplyDone)
    def _apply_done(self, message: ApplyDone) -> None:
        self.busy.pop("apply", None)
        self.apply_result = message.result
        if message.result is not None:
            for key, outcome in message.result.outcomes.items():
                self.step_states[key] = outcome.state.value
                self.step_messages[key] = outcome.summary
            approval = message.result.outcomes.get("approval")
            if approval is not None and approval.details:
                self.support_text = "\n".join(approval.details)
        self._tell_page(ApplyFinished(message.result, message.error))
        self.refresh_checklists()

    @on(EngineEvent)
    def _engine_event(self, message: EngineEvent) -> None:
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
        self._tell_page(EngineUpdate(ev, message.token))
        self.refresh_checklists()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from screens.start import StartScreen

        if self._sandbox_world is not None and self.sandbox is None:
            self.run_worker(self._start_sandbox, thread=True, group="sandbox", exclusive=True, name="sandbox")
        self.push_screen(StartScreen())  # the demo's answers are filled in when a new setup is opened (resume)

    def first_paint(self) -> None:
        """Called by the start screen once it has been painted."""
        bench = os.environ.get(ENV_BENCH_FIRST_PAINT)
        if bench:
            Path(bench).write_text(repr(time.time()))
        if self._preload:
            self.run_worker(self._preload_sdk, thread=True, group="sdk-preload", exclusive=True, name="sdk-preload",
                            exit_on_error=False)

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

    @property
    def request_log(self) -> Path | None:
        return self.transcript.path

    def save_answers(self) -> None:
        """Save what the user typed: to the setup record (by cluster id), or to a draft until one is known."""
        try:
            if not self.config.cluster_id:
                if self.config.alias or self.config.api_url:
                    self.store.save_text(DRAFT_NAME, self.config.to_toml())  # 0600, atomic, in a private directory
                return
            previous = self.record
            saved = self._workspace_now().save_answers(self.config, self.record)
            self.record = saved.record
            if saved.message:
                self.messages.append(saved.message)
            if saved.record is not None and saved.record is not previous:  # another cluster's record: its states
                self._seed_states(saved.record)
            if self.draft_path.exists():
                self.draft_path.unlink()
        except OSError as exc:
            self.notify(f"Could not save your answers ({exc.strerror}); check the state directory "
                        f"{self.store.directory}.", severity="error", timeout=10, markup=False)
        except StateDirError as exc:  # another user's directory: the sentence says what to do
            self.notify(str(exc), severity="error", timeout=10, markup=False)

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
        self.step_states, self.step_messages = {}, {}
        self.reviewed = False
        self.verify_state = None
        if record is not None:
            self._seed_states(record)
            self.reviewed = pages.record_reviewed(record)
        if demo.adopt(self):  # an earlier demo run's setup: its sandbox world is gone
            return demo.start_over(self)
        if record is None and config is None:
            if self.demo_prefill and not self.prefill_demo() and self._sandbox_world and self._azure_error is None:
                self._open_when_up = page or "astro"  # the demo's answers come with its sandbox: open then, filled
                if isinstance(self.screen, WizardScreen):
                    self.screen.say("Starting the demo sandbox; the Astro details open, filled in, in a moment...")
                return
            self.goto(page or "astro")
            return
        self.goto(page or pages.resume_page(self.wizard_state()))

    def _seed_states(self, record: SetupRecord) -> None:
        states, messages = pages.record_states(record)
        self.step_states.update(states)
        self.step_messages.update(messages)

    # -- page states (wizard.tui.pages over this app's state) -----------------------------------------------
    def wizard_state(self) -> pages.WizardState:
        return pages.WizardState(self.config, self.step_states, self.reviewed, self.verify_state)

    def placement_problems(self) -> list[str]:
        return pages.placement_problems(self.config)

    def checklist_rows(self, page: str) -> Sequence[Row]:
        return pages.checklist_rows(self.wizard_state(), page)

    def page_steps(self, page: str) -> str:
        return pages.page_steps(page)

    def fix_page(self, step: str | None) -> tuple[str, str] | None:
        page = pages.fix_page(step)
        return (page, pages.PAGE_TITLES[page]) if page else None

    def next_page(self, page: str) -> str | None:
        return pages.next_page(page)

    def previous_page(self, page: str) -> str:
        return pages.previous_page(page)

    def set_step_state(self, key: str, state: str, message: str | None = None) -> None:
        self.step_states[key] = state
        if message is not None:
            self.step_messages[key] = message
        self.refresh_checklists()

    def refresh_checklists(self) -> None:
        """New rows for the checklist of every page on the screen stack."""
        view = self.wizard_state()
        for screen in self.screen_stack:
            if isinstance(screen, WizardScreen):
                screen.show_checklist(pages.checklist_rows(view, screen.PAGE))

    def _page(self) -> str:
        """The page being shown (under any dialog open over it); "" before the first."""
        return next((s.PAGE for s in reversed(self.screen_stack) if isinstance(s, WizardScreen)), "")

    def _tell_page(self, message: Message) -> None:
        """Post a message to the page being shown (under any dialog open over it)."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, WizardScreen):
                screen.post_message(message)
                return

    # -- navigation --------------------------------------------------------------------------------------
    def screen_for(self, page: str) -> Screen:
        from screens.catalog import screen_for

        return screen_for(page)

    def goto(self, page: str) -> None:
        """Show a page (saving the answers first)."""
        self.save_answers()
        while len(self.screen_stack) > 2 and isinstance(self.screen, Screen) and self.screen.is_modal:
            self.pop_screen()
        self.switch_screen(self.screen_for(page))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        current = getattr(screen, "PAGE", None)
        view = self.wizard_state()
        for page, title in pages.PAGES:
            if page != current and pages.reachable(view, page):
                steps = pages.page_steps(page)
                yield SystemCommand(f"Go to {title}" + (f" ({steps.lower()})" if steps else ""),
                                    f"Jump to the {title} screen", partial(self.goto, page))
        yield SystemCommand("Setups in progress", "Back to the start screen (answers are saved)",
                            partial(self.goto, pages.START))
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":  # Textual's saves to ~/Downloads, which may not exist: ours says where
                from wizard.tui.screenshot import take_screenshot

                yield SystemCommand("Screenshot", f"Save an SVG picture of this screen in {self.store.directory}",
                                    lambda: self.set_timer(0.1, partial(take_screenshot, self, self.store)))
            else:
                yield command

    # -- quitting ------------------------------------------------------------------------------------------
    def resume_hint(self) -> str:
        world = self._sandbox_world or "demo"  # the command that opens this wizard again
        again = ("astro-privatelink demo" + (f" --world {world}" if world != "demo" else "")) if self.demo else \
            "astro-privatelink"
        if self.record is not None:
            where = self.store.path_for(self.record.key)
            if all(self.record.last_state(k) == "done" for k in STEP_KEYS):
                return f"The setup is complete; its record is in {where}. Run {again} to verify it again."
            return f"Your answers and progress are saved in {where}. Run {again} to resume."
        if self.draft_path.exists():
            return f"Your answers are saved in {self.draft_path}. Run {again} to resume."
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
            if isinstance(screen, WizardScreen):
                out += screen.cancel_events
        return out


def _as_host(app: WizardApp) -> WizardHost:
    """Never called: mypy checks here that the App provides everything the screens use of it."""
    return app
