"""The documented steps, by key: their number in Astronomer's procedure, title and short labels.

One table that every front end reads (the CLI's plan, plain mode, the TUI's checklist and Create screen,
reports, exports), and that the Step classes take their number and title from. Step 7 (verify) is not an action
class: it is `steps.verify`.

The one numbering, everywhere: steps 1-7 in the order of Astronomer's page ("Configure Azure Private Link for
Remote Execution Agents"): its "Create a Private Endpoint" (the alias and API URL gathered, then the endpoint),
its "Configure DNS resolution" (create the zone, link it to the VNet, the A record), the approval it asks support
for, and "Verify the connection". The TUI's pages are not numbered: each shows the steps it carries out
(`PAGE_STEPS` in `wizard.tui.pages`).
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.constants import ASTRO_DNS_ZONE


@dataclass(frozen=True)
class StepInfo:
    key: str
    number: int  # the step's number in the documented procedure
    title: str   # what the step does, as a sentence heading
    name: str    # the thing it makes, for rows ("Private endpoint")
    label: str   # a short label for narrow places (the checklist)


# In the order of Astronomer's page: "Create a Private Endpoint" (1: gather the alias and the API URL, configure
# the endpoint; 2: create it), "Configure DNS resolution" (3: create a new zone; 4: link the DNS zone to your VNet;
# 5: create an A record), "contact Astronomer support to approve your endpoint connection" (6), "Verify the
# connection" (7).
STEPS: tuple[StepInfo, ...] = (
    StepInfo("inputs", 1, "Check the alias, the API URL and where the endpoint goes", "Inputs", "Inputs"),
    StepInfo("private_endpoint", 2, "Create the private endpoint", "Private endpoint", "Endpoint"),
    StepInfo("dns_zone", 3, f"Create the private DNS zone {ASTRO_DNS_ZONE}", "Private DNS zone", "DNS zone"),
    StepInfo("vnet_links", 4, "Link the zone to the agents' VNets", "VNet links", "VNet links"),
    StepInfo("a_record", 5, "Create the A record", "A record", "A record"),
    StepInfo("approval", 6, "Wait for Astronomer to approve the connection", "Approval", "Approval"),
)
# Step 7: the documented checks (`steps.verify`), numbered here so that every front end counts to the same 7.
VERIFY = StepInfo("verify", 7, "Verify the connection", "Verify", "Verify")
ALL_STEPS: tuple[StepInfo, ...] = (*STEPS, VERIFY)
STEP_COUNT = len(ALL_STEPS)
BY_KEY: dict[str, StepInfo] = {s.key: s for s in STEPS}
STEP_KEYS: tuple[str, ...] = tuple(s.key for s in STEPS)
# The steps that create resources (the TUI's Create page), in order.
CREATE_KEYS: tuple[str, ...] = ("private_endpoint", "dns_zone", "vnet_links", "a_record")


def info(key: str) -> StepInfo:
    return VERIFY if key == VERIFY.key else BY_KEY[key]


def numbers(values: list[int] | tuple[int, ...]) -> str:
    """Step numbers as people write them: [1, 2, 3, 5] -> '1-3, 5'."""
    out: list[str] = []
    for n in sorted(set(values)):
        if out and "-" in out[-1] and int(out[-1].split("-")[1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        elif out and "-" not in out[-1] and int(out[-1]) == n - 1:
            out[-1] = f"{out[-1]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def steps_done(states: dict[str, str | None], *, with_next: bool = True) -> str:
    """Where a setup stands, in the documented numbering: 'steps 1-3 done; next: step 4 (VNet links)'."""
    done = [s.number for s in STEPS if states.get(s.key) == "done"]
    left = [s for s in STEPS if states.get(s.key) != "done"]
    said = f"step{'s' if len(done) > 1 else ''} {numbers(done)} done" if done else "no step done yet"
    if not with_next:
        return said
    if not done:
        return f"{said}; next: step 1 ({STEPS[0].name.lower()})"
    if not left:
        return f"{said}; next: step {VERIFY.number} ({VERIFY.title.lower()})"
    return f"{said}; next: step {left[0].number} ({left[0].name})"


def label(key: str) -> str:
    """A step key as words, for lines that name a step (`vnet_links` -> `vnet links`)."""
    return key.replace("_", " ")

# The setup record's resource keys, in the order the documented steps make them (a VNet link's key is
# `vnet_link:<vnet>`). Lists of what exists follow this order, whatever order the concurrent steps finished in.
RESOURCE_KEYS: tuple[str, ...] = ("private_endpoint", "network_interface", "dns_zone", "vnet_link", "a_record")


def resource_order(record_key: str) -> tuple[int, str]:
    """A sort key that puts record keys in the documented order (unknown keys last, by name)."""
    kind = record_key.split(":", 1)[0]
    rank = RESOURCE_KEYS.index(kind) if kind in RESOURCE_KEYS else len(RESOURCE_KEYS)
    return rank, record_key.lower()
