"""The wizard's page logic (wizard.tui.pages), without a terminal: a state in, a page or a page state out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from steps.registry import ALL_STEPS, BY_KEY, CREATE_KEYS, STEP_KEYS, steps_done
from wizard.core.config import SetupConfig
from wizard.core.record import SetupRecord
from wizard.tui.pages import (
    PAGE_KEYS,
    PAGES,
    Row,
    WizardState,
    checklist_rows,
    create_state,
    fix_page,
    next_page,
    page_state,
    page_steps,
    placement_problems,
    previous_page,
    reachable,
    record_reviewed,
    record_states,
    resume_page,
)

GUID = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
ALIAS = f"astro-re-pls.{GUID}.eastus2.azure.privatelinkservice"
API_URL = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"
SUB = "00000000-0000-0000-0000-000000000001"
VNET_ID = f"/subscriptions/{SUB}/resourceGroups/rg-other/providers/Microsoft.Network/virtualNetworks/vnet-other"
ALL_CREATED = dict.fromkeys(CREATE_KEYS, "done")


def config(upto: str = "placement", **changes: object) -> SetupConfig:
    """Answers filled in up to a page: 'none', 'astro', 'azure' or 'placement'."""
    values: dict[str, object] = {}
    if upto in ("astro", "azure", "placement"):
        values.update(alias=ALIAS, api_url=API_URL)
    if upto in ("azure", "placement"):
        values.update(subscription_id=SUB)
    if upto == "placement":
        values.update(resource_group="rg-aks", vnet="vnet-aks", subnet="snet-pe")
    values.update(changes)
    return SetupConfig(**values)


def state(upto: str = "placement", steps: dict[str, str] | None = None, *, reviewed: bool = False,
          verify: str | None = None, **changes: object) -> WizardState:
    return WizardState(config(upto, **changes), dict(steps or {}), reviewed, verify)


# -- the answers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cfg", "problems"), [
    (config("azure"), ["Choose the resource group.", "Choose the virtual network.", "Choose the subnet."]),
    (config("placement"), []),
    (config("placement", subnet=""), ["Choose the subnet."]),
    (config("placement", vnet=VNET_ID), []),
], ids=["nothing-chosen", "complete", "no-subnet", "vnet-by-id"])
def test_placement_problems(cfg, problems):
    assert placement_problems(cfg) == problems


def test_placement_problems_check_the_names():
    assert placement_problems(config(endpoint_name="bad name!"))
    assert placement_problems(config(nic_name="bad name!"))
    assert placement_problems(config(nic_name=None)) == []


# -- the Create page -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("steps", "expected"), [
    ({}, "todo"),
    (ALL_CREATED, "done"),
    ({**ALL_CREATED, "a_record": "conflict"}, "conflict"),
    ({**ALL_CREATED, "dns_zone": "running", "a_record": "failed"}, "failed"),
    ({"private_endpoint": "running", "dns_zone": "conflict"}, "conflict"),
    ({"private_endpoint": "waiting", "dns_zone": "running"}, "running"),
    ({"private_endpoint": "waiting"}, "waiting"),
    ({"private_endpoint": "done"}, "todo"),
    ({**ALL_CREATED, "approval": "waiting"}, "done"),  # approval is not a Create step
])
def test_create_state(steps, expected):
    assert create_state(steps) == expected


# -- each page's state ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("page", "view", "expected"), [
    ("astro", state("none"), "todo"),
    ("astro", state("astro"), "done"),
    ("astro", state("astro", alias="not-an-alias"), "todo"),
    ("azure", state("astro"), "todo"),
    ("azure", state("azure"), "done"),
    ("placement", state("azure"), "todo"),
    ("placement", state("placement"), "done"),
    ("placement", state("placement", subscription_id=""), "todo"),
    ("review", state(), "todo"),
    ("review", state(reviewed=True), "done"),
    ("review", state(steps={"inputs": "failed"}, reviewed=True), "failed"),
    ("create", state(steps=ALL_CREATED), "done"),
    ("create", state(steps={"dns_zone": "failed"}), "failed"),
    ("approval", state(), "todo"),
    ("approval", state(steps={"approval": "blocked"}), "todo"),
    ("approval", state(steps={"approval": "waiting"}), "waiting"),
    ("approval", state(steps={"approval": "done"}), "done"),
    ("verify", state(), "todo"),
    ("verify", state(verify="failed"), "failed"),
    ("done", state(verify="failed"), "todo"),
    ("done", state(verify="done"), "done"),
    ("start", state(verify="done"), "todo"),
])
def test_page_state(page, view, expected):
    assert page_state(view, page) == expected


@pytest.mark.parametrize(("page", "view", "expected"), [
    ("astro", state("none"), True),
    ("azure", state("none"), True),
    ("placement", state("astro"), False),
    ("placement", state("azure"), True),
    ("review", state("azure"), False),  # the placement is not complete
    ("review", state(), True),
    ("create", state(), False),
    ("create", state(reviewed=True), True),
    ("create", state(steps={"dns_zone": "failed"}), True),  # the Create steps ran before
    ("approval", state(steps={"dns_zone": "done"}), False),
    ("approval", state(steps={"private_endpoint": "done"}), True),
    ("verify", state(steps={"private_endpoint": "done"}), True),
    ("done", state(steps=ALL_CREATED), False),
    ("done", state(steps={**ALL_CREATED, "approval": "done"}), True),
    ("start", state(), False),
])
def test_reachable(page, view, expected):
    assert reachable(view, page) is expected


@pytest.mark.parametrize(("view", "expected"), [
    (state("none"), "astro"),
    (state("astro", api_url="http://nope"), "astro"),
    (state("astro"), "azure"),
    (state("azure"), "placement"),
    (state(), "review"),
    (state(reviewed=True), "review"),  # reviewed, but nothing ran yet
    (state(steps={"inputs": "done"}), "review"),
    (state(steps={"private_endpoint": "done", "dns_zone": "failed"}), "create"),
    (state(steps=ALL_CREATED), "approval"),
    (state(steps={**ALL_CREATED, "approval": "waiting"}), "approval"),
    (state(steps={**ALL_CREATED, "approval": "done"}), "verify"),
    (state("azure", steps={**ALL_CREATED, "approval": "done"}), "placement"),  # answers first
])
def test_resume_page(view, expected):
    assert resume_page(view) == expected


# -- the checklist -------------------------------------------------------------------------------------------
def test_checklist_of_a_new_setup():
    rows = checklist_rows(state("none"), "astro")
    assert rows == [  # pages unnumbered; the documented steps each page starts lead it (step 1 spans 4 pages)
        Row(0, "1   Astro details", "todo", True),
        Row(0, "    Azure account", "todo", False),
        Row(0, "    Where it goes", "blocked", False),
        Row(0, "    Review", "blocked", False),
        Row(0, "2-5 Create", "blocked", False),
        Row(0, "6   Approval", "blocked", False),
        Row(0, "7   Verify", "blocked", False),
        Row(0, "    Done", "blocked", False),
    ]


def test_checklist_shows_the_create_steps_once_they_matter():
    labels = [f"{BY_KEY[key].number} {BY_KEY[key].label}" for key in CREATE_KEYS]
    assert labels == ["2 Endpoint", "3 DNS zone", "4 VNet links", "5 A record"]
    on_create = checklist_rows(state(reviewed=True), "create")
    assert [r.label for r in on_create if r.indent == 1] == labels
    assert Row(0, "2-5 Create", "todo", True) in on_create  # the current page is never shown blocked
    assert not [r for r in checklist_rows(state(), "review") if r.indent]
    running = checklist_rows(state(steps={"private_endpoint": "running", "dns_zone": "done"}), "approval")
    assert [(r.label, r.state) for r in running if r.indent] == [
        ("2 Endpoint", "running"), ("3 DNS zone", "done"), ("4 VNet links", "todo"), ("5 A record", "todo")]


def test_checklist_marks_only_unreachable_todo_pages_blocked():
    rows = {r.label.split()[-1]: r.state for r in checklist_rows(state(steps={"inputs": "failed"}), "review")}
    assert rows["Review"] == "failed"
    assert rows["Create"] == "blocked"
    rows = {r.label.split()[-1]: r.state
            for r in checklist_rows(state(verify="failed", steps={"approval": "waiting"}), "astro")}
    assert rows["Approval"] == "waiting"  # unreachable but not to do: shows its own state
    assert rows["Verify"] == "failed"


# -- moving between pages ------------------------------------------------------------------------------------
def test_page_order():
    assert [key for key, _ in PAGES] == list(PAGE_KEYS)
    assert page_steps("start") == ""
    assert [next_page(p) for p in PAGE_KEYS] == [*PAGE_KEYS[1:], None]
    assert [previous_page(p) for p in PAGE_KEYS] == ["start", *PAGE_KEYS[:-1]]


@pytest.mark.parametrize(("step", "page"), [
    ("alias", "astro"), ("api_url", "astro"), ("inputs", "placement"), ("nsg", "placement"),
    ("private_endpoint", "create"), ("vnet_link", "create"), ("a_record", "create"), ("approval", "approval"),
    ("verify", "verify"), (None, None), ("", None), ("something_else", None),
])
def test_fix_page(step, page):
    assert fix_page(step) == page


# -- resuming from a setup record ----------------------------------------------------------------------------
def test_record_states_and_review():
    record = SetupRecord(cluster_id="clmh597sg000208lb2kjhcn8q", answers=config())
    assert record_states(record) == ({}, {})
    assert not record_reviewed(record)
    record.note("inputs", "done", "inputs ok")
    assert not record_reviewed(record)
    record.note("private_endpoint", "applying", "creating the endpoint")
    record.note("dns_zone", "conflict", "another zone")
    record.note("dns_zone", "done", "zone exists")
    record.note("teardown", "done", "not a wizard step")
    states, messages = record_states(record)
    assert states == {"inputs": "done", "private_endpoint": "waiting", "dns_zone": "done"}
    assert messages == {"inputs": "inputs ok", "private_endpoint": "creating the endpoint", "dns_zone": "zone exists"}
    assert record_reviewed(record)


def test_pages_import_no_textual():
    code = ("import sys, wizard.tui.pages; "
            "print(sorted(m for m in sys.modules if m.startswith(('textual', 'rich', 'screens', 'azure'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- one numbering (issue 12, item 4) --------------------------------------------------------------------------
def test_pages_use_the_documented_step_numbers_only():
    """Headings, the checklist and the registry agree: steps 1-7 in the order of Astronomer's page; no page
    numbers (8 pages would be a second numbering beside the steps')."""
    assert [(s.number, s.key) for s in ALL_STEPS] == [
        (1, "inputs"), (2, "private_endpoint"), (3, "dns_zone"), (4, "vnet_links"), (5, "a_record"),
        (6, "approval"), (7, "verify")]
    assert {p: page_steps(p) for p in PAGE_KEYS} == {
        "astro": "Step 1 of 7", "azure": "Step 1 of 7", "placement": "Step 1 of 7", "review": "Step 1 of 7",
        "create": "Steps 2-5 of 7", "approval": "Step 6 of 7", "verify": "Step 7 of 7", "done": ""}
    shown = [r.label.split()[0] for r in checklist_rows(state(reviewed=True), "create") if r.label[0].isdigit()]
    assert shown == ["1", "2-5", "2", "3", "4", "5", "6", "7"]
    assert len(PAGES) == 8 and "8" not in shown


def test_steps_done_counts_in_the_same_numbering():
    assert steps_done({}) == "no step done yet; next: step 1 (inputs)"
    assert steps_done({"inputs": "done", "private_endpoint": "done", "dns_zone": "done", "approval": "waiting"}) == \
        "steps 1-3 done; next: step 4 (VNet links)"
    assert steps_done(dict.fromkeys(STEP_KEYS, "done"), with_next=False) == "steps 1-6 done"
    assert steps_done(dict.fromkeys(STEP_KEYS, "done")) == "steps 1-6 done; next: step 7 (verify the connection)"
