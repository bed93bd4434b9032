"""The documented steps, by key: their number in Astronomer's procedure, title and short labels.

One table that every front end reads (the CLI's plan, plain mode, the TUI's checklist and Create screen,
reports), and that the Step classes take their number and title from. Step 7 (verify) is not an action
class: it is `steps.verify`.
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


STEPS: tuple[StepInfo, ...] = (
    StepInfo("inputs", 1, "Check the alias, the API URL and where the endpoint goes", "Inputs", "Inputs"),
    StepInfo("private_endpoint", 2, "Create the private endpoint", "Private endpoint", "Endpoint"),
    StepInfo("dns_zone", 3, f"Create the private DNS zone {ASTRO_DNS_ZONE}", "Private DNS zone", "DNS zone"),
    StepInfo("vnet_links", 4, "Link the zone to the agents' VNets", "VNet links", "VNet links"),
    StepInfo("a_record", 5, "Create the A record", "A record", "A record"),
    StepInfo("approval", 6, "Wait for Astronomer to approve the connection", "Approval", "Approval"),
)
BY_KEY: dict[str, StepInfo] = {s.key: s for s in STEPS}
STEP_KEYS: tuple[str, ...] = tuple(s.key for s in STEPS)
# The steps that create resources (the TUI's Create page), in order.
CREATE_KEYS: tuple[str, ...] = ("private_endpoint", "dns_zone", "vnet_links", "a_record")
# The steps after the inputs check: what "n of N steps done" counts.
WORK_KEYS: tuple[str, ...] = STEP_KEYS[1:]


def info(key: str) -> StepInfo:
    return BY_KEY[key]


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
