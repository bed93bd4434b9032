"""The wizard's pages and their states, as pure functions over a `WizardState` (no Textual in here).

The full-screen wizard shows one page per documented step (plus Review and Done). Which page a setup resumes
at, which pages can be opened, the state each page shows in the checklist beside every screen, and where the
fix for a failed check lives are all decided here, from the answers and the step states alone, so they can be
tested without a terminal. Step keys, numbers and names come from `steps.registry`.

One numbering: the documented steps 1-7 of `steps.registry`, the numbers the CLI, plain mode, reports, exports
and every diagnosis use. The pages themselves are not numbered (there are more pages than steps); each page shows
the documented steps it carries out (`PAGE_STEPS`): the answer pages and Review make step 1 (the alias, the API
URL and where the endpoint goes, checked), Create steps 2-5, Approval 6, Verify 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from steps.registry import BY_KEY, CREATE_KEYS, STEP_COUNT, STEP_KEYS, VERIFY, info, numbers
from wizard.core.config import SetupConfig
from wizard.core.record import SetupRecord
from wizard.core.states import shown_state
from wizard.core.validate import check_alias, check_api_url, check_name

PAGES: tuple[tuple[str, str], ...] = (
    ("astro", "Astro details"),
    ("azure", "Azure account"),
    ("placement", "Where it goes"),
    ("review", "Review"),
    ("create", "Create"),
    ("approval", "Approval"),
    ("verify", "Verify"),
    ("done", "Done"),
)
PAGE_KEYS: tuple[str, ...] = tuple(key for key, _ in PAGES)
PAGE_TITLES: dict[str, str] = dict(PAGES)
# The documented steps (their keys in `steps.registry`) each page carries out; Done carries out none.
PAGE_STEPS: dict[str, tuple[str, ...]] = {
    "astro": ("inputs",), "azure": ("inputs",), "placement": ("inputs",), "review": ("inputs",),
    "create": CREATE_KEYS, "approval": ("approval",), "verify": (VERIFY.key,), "done": (),
}
# The page that fixes a step or a verify check (Verify's "Fix: go to ..." buttons).
PAGE_FOR_STEP: dict[str, str] = {
    "inputs": "placement", "alias": "astro", "api_url": "astro", "private_endpoint": "create", "dns_zone": "create",
    "vnet_links": "create", "vnet_link": "create", "a_record": "create", "approval": "approval",
    "placement": "placement", "nsg": "placement", "verify": "verify",
}
START = "start"  # the setups-in-progress screen before page 1


@dataclass
class WizardState:
    """What the page logic reads: the answers, each step's state, and the two facts only the UI knows."""

    config: SetupConfig
    step_states: dict[str, str] = field(default_factory=dict)
    reviewed: bool = False  # the user confirmed the Review page (or the Create steps ran before)
    verify_state: str | None = None  # the last verify run: "done", "failed", or None (not run)


class Row(NamedTuple):
    """One line of the checklist beside every screen."""

    indent: int
    label: str
    state: str
    current: bool


# -- answers ---------------------------------------------------------------------------------------------
def astro_done(config: SetupConfig) -> bool:
    return check_alias(config.alias).ok and check_api_url(config.api_url).ok


def placement_problems(config: SetupConfig) -> list[str]:
    """What is missing or wrong on the placement page, one sentence each (empty: the page is complete)."""
    out = []
    if not config.resource_group:
        out.append("Choose the resource group.")
    if not config.vnet:
        out.append("Choose the virtual network.")
    if not config.subnet:
        out.append("Choose the subnet.")
    out += check_name("private endpoint", config.endpoint_name).problems
    if config.nic_name:
        out += check_name("network interface", config.nic_name).problems
    return out


# -- step states -----------------------------------------------------------------------------------------
def create_started(step_states: dict[str, str]) -> bool:
    """Whether any of the Create page's steps has a state (it ran, or the record says it did)."""
    return any(step_states.get(key) for key in CREATE_KEYS)


def create_state(step_states: dict[str, str]) -> str:
    """The Create page's state from its four steps: done when all are; else the most pressing of them."""
    states = [step_states.get(key, "todo") for key in CREATE_KEYS]
    if all(s == "done" for s in states):
        return "done"
    for s in ("failed", "conflict", "running", "waiting"):
        if s in states:
            return s
    return "todo"


def record_states(record: SetupRecord) -> tuple[dict[str, str], dict[str, str]]:
    """The state and last message of every step a setup record has seen (to resume it)."""
    states: dict[str, str] = {}
    messages: dict[str, str] = {}
    for key in STEP_KEYS:
        last = record.last_state(key)
        if last:
            states[key] = shown_state(last)
            messages[key] = record.steps[key][-1].detail
    return states, messages


def record_reviewed(record: SetupRecord) -> bool:
    """A record whose Create steps ran was reviewed once already."""
    return any(record.steps.get(key) for key in CREATE_KEYS)


# -- pages -----------------------------------------------------------------------------------------------
def page_state(state: WizardState, page: str) -> str:
    """The state a page shows in the checklist (before `blocked` is applied for unreachable pages)."""
    c, steps = state.config, state.step_states
    if page == "astro":
        return "done" if astro_done(c) else "todo"
    if page == "azure":
        return "done" if c.subscription_id else "todo"
    if page == "placement":
        return "done" if c.subscription_id and not placement_problems(c) else "todo"
    if page == "review":
        if steps.get("inputs") == "failed":
            return "failed"
        return "done" if state.reviewed else "todo"
    if page == "create":
        return create_state(steps)
    if page == "approval":
        approval = steps.get("approval", "todo")
        return "todo" if approval == "blocked" else approval
    if page == "verify":
        return state.verify_state or "todo"
    if page == "done":
        return "done" if state.verify_state == "done" else "todo"
    return "todo"


def reachable(state: WizardState, page: str) -> bool:
    """Whether a page can be opened now (from the command palette; otherwise it shows as blocked)."""
    c, steps = state.config, state.step_states
    if page in ("astro", "azure"):
        return True
    if page == "placement":
        return bool(c.subscription_id)
    if page == "review":
        return bool(c.subscription_id) and not c.problems()
    if page == "create":
        return state.reviewed or create_started(steps)
    if page in ("approval", "verify"):
        return steps.get("private_endpoint") == "done"
    if page == "done":
        return steps.get("approval") == "done"
    return False


def resume_page(state: WizardState) -> str:
    """Where a resumed setup opens: the first page with something left to do."""
    c, steps = state.config, state.step_states
    if not astro_done(c):
        return "astro"
    if not c.subscription_id:
        return "azure"
    if placement_problems(c):
        return "placement"
    if create_started(steps):
        if not all(steps.get(key) == "done" for key in CREATE_KEYS):
            return "create"
        if steps.get("approval") != "done":
            return "approval"
        return "verify"
    return "review"


STEP_COLUMN = 4  # the checklist's column of step numbers ("2-5 " is the widest)


def checklist_rows(state: WizardState, current: str) -> list[Row]:
    """The checklist beside the page `current`: every page, led by the documented step numbers it starts (a step
    that spans pages, like step 1, is numbered on its first page only), and the Create steps once they matter."""
    rows: list[Row] = []
    numbered: set[str] = set()
    for page, title in PAGES:
        shown = page_state(state, page)
        if page != current and not reachable(state, page) and shown == "todo":
            shown = "blocked"
        fresh = [key for key in PAGE_STEPS[page] if key not in numbered]
        numbered.update(fresh)
        column = numbers([info(key).number for key in fresh]).replace(", ", ",")
        rows.append(Row(0, f"{column:<{STEP_COLUMN}}{title}", shown, page == current))
        if page == "create" and (current == "create" or create_started(state.step_states)):
            rows += [Row(1, f"{BY_KEY[key].number} {BY_KEY[key].label}", state.step_states.get(key, "todo"), False)
                     for key in CREATE_KEYS]
    return rows


def page_steps(page: str) -> str:
    """The documented steps a page carries out, for its heading: 'Step 1 of 7', 'Steps 2-5 of 7'; '' for none."""
    keys = PAGE_STEPS.get(page, ())
    if not keys:
        return ""
    said = numbers([info(key).number for key in keys])
    return f"Step{'s' if len(keys) > 1 else ''} {said} of {STEP_COUNT}"


def next_page(page: str) -> str | None:
    i = PAGE_KEYS.index(page)
    return PAGE_KEYS[i + 1] if i + 1 < len(PAGE_KEYS) else None


def previous_page(page: str) -> str:
    i = PAGE_KEYS.index(page)
    return PAGE_KEYS[i - 1] if i > 0 else START


def fix_page(step: str | None) -> str | None:
    """The page that fixes a step or a failed verify check, if any."""
    return PAGE_FOR_STEP.get(step or "")
