"""Every seed world by name: those of `seeds` and the ones built on them in their own modules (`hub_spoke`,
`hub_spoke_subs`), so that `seeds` imports none of the modules that build on it."""

from __future__ import annotations

from collections.abc import Callable

from wizard.sandbox import seeds
from wizard.sandbox.hub_spoke import hub_spoke_world
from wizard.sandbox.hub_spoke_subs import hub_spoke_subs_world
from wizard.sandbox.world import World

WORLDS: dict[str, Callable[[], World]] = {**seeds.WORLDS, "hub-spoke": lambda: hub_spoke_world(seeds.demo_world()),
                                          "hub-spoke-subs": hub_spoke_subs_world}


def build(name: str) -> World:
    """A fresh world by name (see WORLDS)."""
    try:
        return WORLDS[name]()
    except KeyError:
        raise ValueError(f"unknown sandbox world {name!r}; choose one of {sorted(WORLDS)}") from None
