"""Snapshots of every screen at 80x24 and 120x40 (pytest-textual-snapshot), against the sandbox.

Deterministic: a fresh state directory per test, a frozen clock, a fixed NIC name, the cursor not blinking, and every
worker finished (or, on the approval screen, the first check done) before the picture is taken.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from app_helpers import RG, SUBNET, VNET, make_app, screen_name, wait_for, workers_idle
from engine_helpers import make_engine
from textual.widgets import Input

from wizard.core.config import SetupConfig
from wizard.engine import ApprovalPolling

SIZES = [(80, 24), (120, 40)]
# Each test's own state directory: `own_state_dir` runs the test in its temporary directory, so this relative
# path is never shared between runs, and what the screens print of it is the same in every run.
STATE = Path("state")
FIXED_TIME = "2025-01-15T09:30:00+00:00"


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path, monkeypatch):
    """Run each test in its own temporary directory, where STATE (relative) is created."""
    monkeypatch.chdir(tmp_path)


def answers(sandbox, **kw) -> SetupConfig:
    values = dict(alias=sandbox.demo_alias, api_url="https://" + sandbox.demo_cluster_id + ".external.astronomer.run",
                  subscription_id=sandbox.subscription_id, resource_group=RG, vnet=VNET, subnet=SUBNET,
                  nic_name="astro-privatelink-nic")
    values.update(kw)
    return SetupConfig(**values)


def fresh_state() -> Path:
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    return STATE


def fix_times() -> None:
    for path in STATE.glob("*.json"):
        data = json.loads(path.read_text())
        data["created_at"] = data["updated_at"] = FIXED_TIME
        for events in data["steps"].values():
            for e in events:
                e["at"] = FIXED_TIME
        path.write_text(json.dumps(data))


def prepare(sandbox, upto: str) -> None:
    """Create resources in the sandbox through the engine: 'created' (pending approval) or 'approved'."""
    state = fresh_state()
    if upto == "none":
        return
    cfg = answers(sandbox, api_url=sandbox.demo_api_url)
    make_engine(sandbox, state, cfg).apply(wait_for_approval=False)
    if upto == "approved":
        sandbox.approve()
        make_engine(sandbox, state, cfg).apply(wait_for_approval=False)
    fix_times()


def no_blink(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def shot(snap_compare, sandbox, page: str, size, *, upto: str = "none", setup=None, ready=None) -> bool:
    prepare(sandbox, upto)
    app = make_app(sandbox, STATE, approval=ApprovalPolling(first=600, longest=600))

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        if page != "start":
            records = app.store.list()[0]
            if setup:
                setup(app)
            if records:
                app.resume(records[0], page=page)
            else:
                app.resume(None, answers(sandbox), page=page)
            if setup:
                setup(app)
        await pilot.pause()
        await wait_for(pilot, lambda: ready(app) if ready else workers_idle(app), timeout=30, what=f"{page} ready")
        no_blink(app)
        await pilot.pause()
        await pilot.pause()

    return snap_compare(app, terminal_size=size, run_before=run_before)


def _reviewed(app) -> None:
    app.reviewed = True


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_start(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "start", size, upto="created")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_astro_details(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "astro", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_azure_account(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "azure", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_placement(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "placement", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "review", size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_create_done(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "create", size, upto="created", setup=_reviewed)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_approval_pending(snap_compare, sandbox, size):
    # Ready once the poll has settled into its first wait (600 s): the screen counts the plan's read (1) and the
    # poll's "waiting for" (2). Waiting for 1 alone let the picture be taken between the two on a slow machine
    # (a fresh install compiles and imports the poll's modules in that gap) and show "checked 1 time".
    assert shot(snap_compare, sandbox, "approval", size, upto="created",
                ready=lambda app: getattr(app.screen, "checks", 0) >= 2 and app.support_text is not None
                and "/subscriptions/" in (app.support_text or ""))


def _fixed_ports(app) -> None:
    """The sandbox's DNS and HTTPS ports change every session: show them as :PORT in the picture."""
    import re

    original = type(app).redact
    app.redact = lambda text: re.sub(r":\d{4,5}\b", ":PORT", original(app, text))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_verify(snap_compare, sandbox, size):
    assert shot(snap_compare, sandbox, "verify", size, upto="approved", setup=_fixed_ports)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_done(snap_compare, sandbox, size):
    def verified(app) -> None:
        app.verify_state = "done"

    assert shot(snap_compare, sandbox, "done", size, upto="approved", setup=verified)


def test_redacted_azure_account(snap_compare, sandbox):
    prepare(sandbox, "none")
    app = make_app(sandbox, STATE, redact=True)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        app.resume(None, answers(sandbox), page="azure")
        await pilot.pause()
        await wait_for(pilot, lambda: workers_idle(app), timeout=30)
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
