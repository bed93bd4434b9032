"""Live Azure reads for the full-screen wizard: who is signed in, and the listings behind the pickers.

Every method blocks on Azure, so screens call them from thread workers. VNets are listed a page at a time
(thousands in big estates) and remembered, so the placement page knows a chosen VNet's region and subnets
without asking again. Implements `screens.host.Listings`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from screens.widgets.picker import PickItem
from wizard.core.ids import parse_id, resource_group_of

if TYPE_CHECKING:  # pragma: no cover
    from screens.widgets.picker import Emit
    from wizard.core.azure import ClientFactory, SignedInIdentity

GROUP_PAGE = 100  # resource groups handed to the picker at a time
VNET_PAGE = 250   # VNets handed to the picker at a time


def vnet_data(vnet: Any, resource_group: str) -> dict[str, Any]:
    """What the pickers need of a VNet: region, group, subnet names and their address prefixes."""
    subnets = list(vnet.subnets or [])
    return {"location": vnet.location, "resource_group": resource_group, "subnets": [s.name for s in subnets],
            "prefixes": {s.name: s.address_prefix or ", ".join(s.address_prefixes or []) for s in subnets}}


class Listings:
    """Reads through the App's client factory (`factory()` waits while the demo sandbox starts); ids it sees
    are handed to `remember` so that --redact masks them."""

    def __init__(self, factory: Callable[[], ClientFactory], remember: Callable[..., None]) -> None:
        self._factory = factory
        self._remember = remember
        self._lock = threading.Lock()
        self._vnets: dict[str, dict[str, Any]] = {}  # by lower-case VNet id

    def signed_in(self) -> SignedInIdentity:
        identity = self._factory().check_credential()
        self._remember(identity.tenant_id)
        return identity

    def subscriptions(self) -> list[PickItem]:
        subs = list(self._factory().subscriptions().subscriptions.list())
        self._remember(*(s.subscription_id for s in subs), *(getattr(s, "tenant_id", None) for s in subs))
        items = []
        for s in subs:
            sub_id = s.subscription_id or ""
            state = str(s.state or "").split(".")[-1].title()
            items.append(PickItem(sub_id, s.display_name or sub_id, f"{sub_id}  {state}".strip()))
        return items

    def resource_groups(self, subscription_id: str, emit: Emit) -> None:
        batch: list[PickItem] = []
        for rg in self._factory().resources(subscription_id).resource_groups.list():
            name = rg.name or ""
            batch.append(PickItem(name, name, rg.location or ""))
            if len(batch) >= GROUP_PAGE:
                emit(batch)
                batch = []
        emit(batch)

    def vnets(self, subscription_id: str, emit: Emit, first_group: str = "") -> None:
        """Every VNet of the subscription; those of `first_group` (the group just chosen) come first, in one small
        read of that group, so they are offered at once while thousands of others are still being listed."""
        from wizard.core.listings import iter_vnets

        first = self._group_vnets(subscription_id, first_group) if first_group else []
        if first:
            emit(first)
        seen = {item.key.lower() for item in first}
        batch: list[PickItem] = []
        notes: list[str] = []
        for v in iter_vnets(self._factory(), subscription_id, notes.append):
            if (v.id or "").lower() in seen:
                continue
            batch.append(self._vnet_item(v))
            if len(batch) >= VNET_PAGE:
                emit(batch)
                batch = []
        emit(batch, note=notes[0] if notes else None)

    def _group_vnets(self, subscription_id: str, group: str) -> list[PickItem]:
        """The VNets of one resource group (Virtual Networks - List, scoped to the group)."""
        from azure.core.exceptions import HttpResponseError

        try:
            vnets = list(self._factory().network(subscription_id).virtual_networks.list(group))
        except HttpResponseError as exc:
            # No role on that group (403) or the group is gone (404): nothing to put first; the subscription-wide
            # listing that follows lists what the role allows and says what it left out.
            if exc.status_code in (403, 404):
                return []
            raise
        return sorted((self._vnet_item(v) for v in vnets), key=lambda item: item.label.lower())

    def _vnet_item(self, v: Any) -> PickItem:
        vid = v.id or ""
        rg = resource_group_of(vid)
        item = PickItem(vid, v.name or "", f"{rg} | {v.location}", data=vnet_data(v, rg))
        self._keep(vid, item.data)
        return item

    def vnet_details(self, vnet_id: str) -> dict[str, Any]:
        cached = self.cached_vnet(vnet_id)
        if cached is not None:
            return cached
        parts = parse_id(vnet_id)
        rg = parts.get("resource_group", "")
        v = self._factory().network(parts.get("subscription", "")).virtual_networks.get(
            rg, parts.get("virtualnetworks", ""))
        data = vnet_data(v, rg)
        self._keep(vnet_id, data)
        return data

    def cached_vnet(self, vnet_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._vnets.get(vnet_id.lower())

    @property
    def vnet_count(self) -> int:
        """How many VNets were read so far."""
        with self._lock:
            return len(self._vnets)

    def _keep(self, vnet_id: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._vnets[vnet_id.lower()] = data
