"""Plans and applies the steps, concurrently where they are independent, and keeps the setup record.

Order: the inputs check first (nothing is written unless it passes); then the endpoint and the DNS zone at
once; the links as soon as the zone exists; the A record once the endpoint has its IP and the zone exists;
approval once the endpoint exists. A step that ends in conflict or failure blocks only the steps after it.
Events (start, progress, outcome) go to one callback, from worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from steps import all_steps
from steps.approval import WaitForApproval
from steps.base import Action, Outcome, Plan, State, Step, Stopped
from steps.context import LookupProblem, SetupContext
from wizard.core.azure import ClientFactory
from wizard.core.config import SetupConfig
from wizard.core.errors import StepFailed, explain
from wizard.core.ids import same_id
from wizard.core.record import RecordStore, SetupRecord
from wizard.engine.results import ApprovalPolling, Event, RunResult

if TYPE_CHECKING:  # pragma: no cover
    from steps.teardown import Elsewhere


class Engine:
    """One setup: its answers, Azure clients, the record, and the steps."""

    def __init__(self, config: SetupConfig, factory: ClientFactory, store: RecordStore | None = None, *,
                 allow_update: set[str] | None = None, on_event: Callable[[Event], None] | None = None,
                 cancel: threading.Event | None = None, approval: ApprovalPolling | None = None) -> None:
        self.config = config
        self.factory = factory
        self.store = store
        self.cancel = cancel or threading.Event()
        self.ctx = SetupContext(config, factory, allow_update=allow_update, cancel=self.cancel)
        self.steps: list[Step] = all_steps()
        self.by_key = {s.key: s for s in self.steps}
        self.approval = approval or ApprovalPolling()
        self._on_event = on_event or (lambda e: None)
        self._lock = threading.Lock()
        self._planned_at = 0.0
        self.record: SetupRecord | None = None
        self.record_message: str | None = None
        if store is not None and config.cluster_id:
            loaded = store.load_or_new(config)
            self.record, self.record_message = loaded.record, loaded.message
        self.ctx.created_by_tool = self.created_by_tool

    def created_by_tool(self, resource_id: str) -> bool:
        """Whether the setup record (as it is now, during a run too) lists `resource_id` as made by this tool."""
        entries = list(self.record.resources.values()) if self.record is not None else []
        return any(e.created_by_tool and same_id(e.id, resource_id) for e in entries)

    # -- events and record ------------------------------------------------------------------------
    def emit(self, step: str, kind: str, message: str, state: str | None = None) -> None:
        self._on_event(Event(step, kind, message, state))

    def progress(self, step: str, message: str) -> None:
        self.emit(step, "progress", message)

    def _note(self, step: str, state: str, detail: str, *, creates: dict[str, str] | None = None,
              uses: dict[str, str] | None = None) -> None:
        if self.record is None or self.store is None:
            return
        with self._lock:
            for key, rid in (creates or {}).items():
                self.record.remember(key, rid, created_by_tool=True)
            for key, rid in (uses or {}).items():
                self.record.remember(key, rid, created_by_tool=False)
            self.record.note(step, state, detail)
            self.store.save(self.record)

    # -- plan --------------------------------------------------------------------------------------
    def _safe_plan(self, step: Step) -> Plan:
        try:
            return step.run_plan(self.ctx)
        except LookupProblem as exc:
            return Plan(step.key, Action.FAILED, str(exc))
        except StepFailed as exc:
            return Plan(step.key, Action.FAILED, exc.explained.sentence, error_code=exc.explained.code)
        except Exception as exc:
            from azure.core.exceptions import AzureError

            from wizard.core.azure import AzureAccessError

            if isinstance(exc, (AzureError, AzureAccessError)):
                e = explain(exc, alias=self.config.alias, subscription_id=self.config.subscription_id)
                return Plan(step.key, Action.FAILED, e.sentence, error_code=e.code)
            raise

    def plan(self) -> list[Plan]:
        """Inspect every step (read-only) and say what apply would do."""
        self.ctx.refresh()
        inputs = self._safe_plan(self.by_key["inputs"])
        plans = {"inputs": inputs}
        rest = [s for s in self.steps if s.key != "inputs"]
        if inputs.action is Action.FAILED:
            for s in rest:
                plans[s.key] = Plan(s.key, Action.BLOCKED, "Fix the inputs first (step 1).")
        else:
            with ThreadPoolExecutor(max_workers=len(rest)) as pool:
                for s, p in zip(rest, pool.map(self._safe_plan, rest), strict=True):
                    plans[s.key] = p
        out = [plans[s.key] for s in self.steps]
        self._planned_at = time.monotonic()
        for p in out:
            self.emit(p.step, "plan", p.summary, p.state.value)
        return out

    # -- apply -------------------------------------------------------------------------------------
    def apply(self, *, wait_for_approval: bool = True, plans: list[Plan] | None = None) -> RunResult:
        """Run every step that is not done; independent steps at once. Never raises for Azure errors."""
        if plans is None:
            plans = self.plan()
        elif time.monotonic() - self._planned_at > 30:
            self.ctx.refresh()  # the user looked at the plan for a while: re-read Azure before writing
        outcomes: dict[str, Outcome] = {}
        inputs = next(p for p in plans if p.step == "inputs")
        if inputs.action is Action.FAILED:
            outcomes["inputs"] = Outcome("inputs", State.FAILED, inputs.summary, details=inputs.details,
                                         error_code=inputs.error_code or "InvalidInput")
            self._note("inputs", "failed", inputs.summary)
            for s in self.steps[1:]:
                outcomes[s.key] = Outcome(s.key, State.BLOCKED, "Fix the inputs first (step 1).")
            return RunResult(plans, outcomes)
        outcomes["inputs"] = Outcome("inputs", State.DONE, inputs.summary, warnings=inputs.warnings)
        self._note("inputs", "done", inputs.summary)

        pending = [s for s in self.steps if s.key != "inputs"]
        running: dict[Future[Outcome], Step] = {}
        stopped = False
        with ThreadPoolExecutor(max_workers=len(pending)) as pool:
            while pending or running:
                for step in list(pending):
                    deps = [outcomes.get(d) for d in step.depends_on]
                    if any(d is None for d in deps):
                        continue
                    pending.remove(step)
                    bad = [d for d in deps if d is not None and d.state is not State.DONE]
                    if bad or self.cancel.is_set():
                        why = (f"Blocked: step {self.by_key[bad[0].step].number} ({bad[0].step.replace('_', ' ')}) "
                               f"is not done." if bad else "Stopped before this step started.")
                        outcomes[step.key] = Outcome(step.key, State.BLOCKED, why)
                        self.emit(step.key, "outcome", why, State.BLOCKED.value)
                        continue
                    running[pool.submit(self._run_step, step, wait_for_approval)] = step
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    step = running.pop(fut)
                    outcome = fut.result()
                    outcomes[step.key] = outcome
                    if outcome.error_code == "Stopped":
                        stopped = True
        ordered = {s.key: outcomes[s.key] for s in self.steps}
        return RunResult(plans, ordered, stopped=stopped or self.cancel.is_set())

    def _run_step(self, step: Step, wait_for_approval: bool) -> Outcome:
        self.emit(step.key, "start", step.title)
        intended: list[str] = []  # record keys first claimed by this run, before its write goes out
        wrote = False  # this run wrote (or waited for what an earlier run of this tool started): note what it made
        try:
            plan = step.run_plan(self.ctx)
            creates, uses = plan.creates, plan.uses
            wrote = plan.writes or plan.action is Action.WAITING
            if plan.writes:
                if self.record is not None:
                    intended = [k for k in (creates or {}) if k not in self.record.resources]
                self._note(step.key, "applying", plan.summary, creates=creates, uses=uses)
            if isinstance(step, WaitForApproval) and plan.action is Action.WAITING and wait_for_approval:
                self.emit(step.key, "progress", plan.summary)
                a = self.approval
                plan = step.wait_for_approval(self.ctx, self.progress, first=a.first, longest=a.longest,
                                              factor=a.factor, timeout=a.timeout)
            outcome = step.apply(self.ctx, plan, self.progress)
        except Stopped as exc:
            outcome = Outcome(step.key, State.WAITING, f"{exc} Run again to resume; Azure keeps what was started.",
                              error_code="Stopped")
        except StepFailed as exc:
            e = exc.explained
            outcome = Outcome(step.key, State.FAILED, e.sentence, error_code=e.code, correlation_id=e.correlation_id)
            if e.status is not None and 400 <= e.status < 500 and e.status not in (408, 429):
                # Azure refused the write: what was not made is not ours (what the step says it made stays ours)
                self._forget([k for k in intended if k not in exc.made])
        except LookupProblem as exc:
            outcome = Outcome(step.key, State.FAILED, str(exc), error_code="InvalidInput")
        except Exception as exc:
            from azure.core.exceptions import AzureError

            from wizard.core.azure import AzureAccessError

            if not isinstance(exc, (AzureError, AzureAccessError)):  # as in _safe_plan: a sign-in that lapsed
                raise
            e = explain(exc, alias=self.config.alias, subscription_id=self.config.subscription_id)
            outcome = Outcome(step.key, State.FAILED, e.sentence, error_code=e.code, correlation_id=e.correlation_id)
        self._note(step.key, outcome.state.value, outcome.summary, uses=None)
        if outcome.resources and self.record is not None:
            with self._lock:
                for key, rid in outcome.resources.items():
                    entry = self.record.resources.get(key)
                    created = bool(entry and entry.id.lower() == rid.lower() and entry.created_by_tool)
                    if key == "network_interface":
                        pe = self.record.resources.get("private_endpoint")
                        created = bool(pe and pe.created_by_tool)
                    self.record.remember(key, rid, created_by_tool=created)
                if self.store is not None:
                    self.store.save(self.record)
            if outcome.state is State.DONE:
                self._note_facts(step, outcome.resources, wrote=wrote)
        self.emit(step.key, "outcome", outcome.summary, outcome.state.value)
        return outcome

    def _note_facts(self, step: Step, resources: dict[str, str], *, wrote: bool) -> None:
        """Note what this tool made (read back now), for destroy to compare before it deletes: after a run that
        wrote, or once for what it made but has no facts about yet (a run stopped before noting them)."""
        from azure.core.exceptions import AzureError

        from steps.teardown import created_facts

        assert self.record is not None
        for key, rid in resources.items():
            with self._lock:
                entry = self.record.resources.get(key)
                if entry is None or not entry.created_by_tool or entry.id.lower() != rid.lower() or \
                        (entry.facts and not wrote):
                    continue
            try:
                facts = created_facts(step, self.ctx, key, rid)
            except AzureError as exc:
                e = explain(exc, subscription_id=self.config.subscription_id)
                self.progress(step.key, f"could not note what was made for a later destroy to check ({e.sentence}); "
                                        "destroy will compare it with the config instead")
                continue
            if not facts:
                continue
            with self._lock:
                entry = self.record.resources.get(key)
                if entry is not None and entry.id.lower() == rid.lower():
                    entry.facts = facts
                    if self.store is not None:
                        self.store.save(self.record)

    def _forget(self, keys: list[str]) -> None:
        if not keys or self.record is None:
            return
        with self._lock:
            for key in keys:
                self.record.forget(key)
            if self.store is not None:
                self.store.save(self.record)

    # -- destroy -----------------------------------------------------------------------------------
    def removals(self) -> list[tuple[str, str]]:
        """(record key, id) of what destroy would remove, in the order it removes them."""
        from steps.teardown import removals

        return [(key, entry.id) for key, entry in removals(self.record)] if self.record is not None else []

    def outside_config(self) -> list[Elsewhere]:
        """What destroy would remove that is recorded outside the config's subscription or resource groups."""
        from steps.teardown import outside_config

        return outside_config(self.config, self.record) if self.record is not None else []

    def destroy(self, *, allow_outside_config: bool = False) -> list[Outcome]:
        """Remove what this tool created, newest first, where the record says it is, and only while it is still what
        this tool made; never what it only reused. With resources recorded outside the config's subscription or
        resource groups it deletes nothing (BLOCKED outcomes) unless `allow_outside_config`."""
        from steps.teardown import teardown

        if self.record is None:
            return []
        self.ctx.refresh()
        outcomes = teardown(self.ctx, self.record, self.progress, allow_outside_config=allow_outside_config)
        bad = (State.FAILED, State.CONFLICT, State.BLOCKED)
        with self._lock:
            self.record.note("destroy", "failed" if any(o.state in bad for o in outcomes) else "done",
                             "; ".join(o.summary for o in outcomes) or "nothing to remove")
            if self.store is not None:
                self.store.save(self.record)
        return outcomes
