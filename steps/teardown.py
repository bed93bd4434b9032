"""Undo a setup: remove only what this tool created, newest first, each step undoing its own resources.

Order: the steps in reverse (the A record, the VNet links, the zone (only if this tool created it and it holds
nothing else), then the private endpoint, which Azure removes with its network interface). Anything the tool
only reused is left alone, and the outcome says so.

Azure sometimes refuses a delete for a while for reasons that pass: a zone whose links were just deleted answers
409 CannotDeleteResource "Cannot delete resource while nested resources exist" (azure-cli#15010,
Azure/deployment-stacks#227), and private DNS takes one operation at a time per zone (409 "... queued",
terraform-provider-azurerm#29354). Such a delete is tried again with a doubling wait for up to
`DELETE_RETRY_BUDGET` seconds. A delete that still fails is reported with Azure's reason and the next action, and
the rest of the teardown goes on: every later undo re-reads what it removes (a zone that still holds a link is
kept, not deleted), so nothing depends on an earlier delete having worked. A rerun picks up what is left.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from steps import all_steps
from steps.base import Outcome, Progress, State, Step, Stopped
from steps.context import SetupContext

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.record import SetupRecord

DELETE_RETRY_BUDGET = 180.0  # seconds one delete is tried again while Azure answers "not yet"


def must_wait(exc: BaseException) -> bool:
    """Azure refused a delete for a reason that passes by itself (see the module docstring)."""
    from azure.core.exceptions import HttpResponseError

    if not isinstance(exc, HttpResponseError) or exc.status_code != 409:
        return False
    code = (getattr(getattr(exc, "error", None), "code", None) or "").lower()
    message = (getattr(getattr(exc, "error", None), "message", None) or exc.message or "").lower()
    return code == "cannotdeleteresource" or "queued" in message


def _undo(step: Step[Any, Any], ctx: SetupContext, key: str, rid: str, progress: Progress) -> str:
    """One resource's undo, tried again while Azure says it must wait."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    started = time.monotonic()
    delay = min(max(ctx.factory.settings.polling_interval, 0.05), 5.0)
    attempt = 1
    while True:
        try:
            return step.undo(ctx, key, rid, progress)
        except ResourceNotFoundError:
            return f"{rid} was already gone"
        except HttpResponseError as exc:
            waited = time.monotonic() - started
            if not must_wait(exc) or waited + delay > DELETE_RETRY_BUDGET:
                raise
            code = getattr(getattr(exc, "error", None), "code", None) or exc.status_code
            attempt += 1
            progress("destroy", f"Azure cannot remove the {key.replace('_', ' ')} yet ({code}); trying again in "
                                f"{delay:g}s (attempt {attempt}, {int(waited)}s so far)")
            if ctx.cancel.wait(delay):
                raise Stopped(f"Stopped while waiting to remove the {key.replace('_', ' ')}.") from exc
            delay = min(delay * 2, 30.0)


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
            except Stopped as exc:
                outcomes.append(Outcome(key, State.WAITING, f"{exc} Run destroy again to go on.",
                                        error_code="Stopped"))
                return outcomes
            except HttpResponseError as exc:
                e = explain(exc, subscription_id=ctx.subscription)
                outcomes.append(Outcome(key, State.FAILED, e.sentence, details=[entry.id], error_code=e.code,
                                        correlation_id=e.correlation_id))
                continue  # the later undos re-read what they remove, so they go on
            if what.startswith(("removed", f"{entry.id} was already gone")):
                record.forget(key)
                for also in step.removed_with(key):
                    record.forget(also)
            outcomes.append(Outcome(key, State.DONE, what))
    return outcomes
