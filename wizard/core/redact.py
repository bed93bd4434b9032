"""Masking subscription and tenant ids (last 4 characters kept) for screen shares and support tickets.

One `Redactor` serves the wizard's screens, plain mode and `report`: it masks the id in every
`/subscriptions/<id>` path and each known id (the subscription, the tenant) wherever it appears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SUB_IN_PATH = re.compile(r"(/subscriptions/)([^/\s'\"]+)", re.I)


def mask(value: str) -> str:
    """An id with all but its last four characters hidden."""
    return "****" + value[-4:] if len(value) > 4 else "****"


@dataclass
class Redactor:
    """Call it on any text: masked when `on`, unchanged otherwise."""

    on: bool
    known: set[str] = field(default_factory=set)

    def __call__(self, text: str | None) -> str:
        if text is None:
            return ""
        if not self.on:
            return text
        out = _SUB_IN_PATH.sub(lambda m: m.group(1) + mask(m.group(2)), text)
        for known in sorted(self.known, key=len, reverse=True):
            if known and len(known) > 4:
                out = re.sub(re.escape(known), mask(known), out, flags=re.I)
        return out
