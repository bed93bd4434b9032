"""Undo a setup: remove only what this tool created, newest first, each step undoing its own resources.

Order: the steps in reverse (the A record, the VNet links, the zone (only if this tool created it and it holds
nothing else), then the private endpoint, which Azure removes with its network interface). Anything the tool
only reused is left alone, and the outcome says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from steps import all_steps
from steps.base import Outcome, Progress, State, Step
from steps.context import SetupContext

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.record import SetupRecord


def _undo(step: Step[Any, Any], ctx: SetupContext, key: str, rid: str, progress: Progress) -> str:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return step.undo(ctx, key, rid, progress)
    except ResourceNotFoundError:
        return f"{rid} was already gone"


def teardown(ctx: SetupContext, record: SetupRecord, progress: Progress) -> list[Outcome]:
    from azure.core.exceptions import HttpResponseError

    from wizard.core.errors import explain

    outcomes: list[Outcome] = []
    for step in reversed(all_steps()):
        for key, entry in list(record.resources.items()):
            if not step.owns(key):
                continue
            if not entry.created_by_tool:
                outcomes.append(Outcome(key, State.DONE, f"left {entry.id}: this tool did not create it"))
                continue
            progress("destroy", f"removing {key.replace('_', ' ')}")
            try:
                what = _undo(step, ctx, key, entry.id, progress)
            except HttpResponseError as exc:
                e = explain(exc, subscription_id=ctx.subscription)
                outcomes.append(Outcome(key, State.FAILED, e.sentence, error_code=e.code,
                                        correlation_id=e.correlation_id))
                return outcomes  # stop: later resources may depend on this one
            if what.startswith(("removed", f"{entry.id} was already gone")):
                record.forget(key)
                for also in step.removed_with(key):
                    record.forget(also)
            outcomes.append(Outcome(key, State.DONE, what))
    return outcomes
