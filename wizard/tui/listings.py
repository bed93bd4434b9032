"""Live Azure reads for the full-screen wizard: who is signed in, and the listings behind the pickers.

Every method blocks on Azure, so screens call them from thread workers. VNets are listed a page at a time
(thousands in big estates) and remembered, so the placement page knows a chosen VNet's region and subnets
without asking again. Implements `screens.host.Listings`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from screens.widgets.picker import PickItem
from wizard.core.ids import parse_id, resource_group_of

if TYPE_CHECKING:  # pragma: no cover
    from screens.widgets.picker import Emit
    from wizard.core.azure import ClientFactory, SignedInIdentity

GROUP_PAGE = 100  # resource groups handed to the picker at a time
VNET_PAGE = 250   # VNets handed to the picker at a time (at least)
EMIT_EVERY = 0.25  # seconds between two pages of VNets handed to the picker


def vnet_data(vnet: Any, resource_group: str) -> dict[str, Any]:
    """What the pickers need of a VNet: region, group, subnet names and their address prefixes."""
    from steps.preflight import free_addresses, subnet_facts

    subnets = list(vnet.subnets or [])
    facts = [subnet_facts(s) for s in subnets]   # where an endpoint can go (issue 13: the subnet picker says)
    return {"location": vnet.location, "resource_group": resource_group, "subnets": [s.name for s in subnets],
            "prefixes": {s.name: s.address_prefix or ", ".join(s.address_prefixes or []) for s in subnets},
            "free": {f.name: free_addresses(f) for f in facts},
            "delegated": {f.name: list(f.delegations) for f in facts if f.delegations}}


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

    def tenants(self) -> list[PickItem]:
        """The tenants the signed-in account may switch to (GET /tenants; issue 17), each keyed by its id; [] when
        there is only one, or with a static access token (a token is for one tenant: switching cannot work)."""
        factory = self._factory()
        if factory.settings.access_token:
            return []
        found = factory.tenants()
        self._remember(*(t.tenant_id for t in found))
        if len(found) < 2:
            return []
        return [PickItem(t.tenant_id, t.display_name, "  ".join(x for x in (t.default_domain, t.tenant_id) if x))
                for t in found]

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
        last = 0.0
        for v in iter_vnets(self._factory(), subscription_id, notes.append):
            if v.id.lower() in seen:
                continue
            batch.append(self._vnet_item(v))
            # A page at a time, but at most EMIT_EVERY apart once the first is out: each page costs the UI thread a
            # status line and a count, and 50,000 VNets would otherwise be 200 of them while the user types.
            if len(batch) >= VNET_PAGE and time.monotonic() - last >= EMIT_EVERY:
                emit(batch)
                batch, last = [], time.monotonic()
                # What was listed stays for the session (the pickers and `_vnets` keep it): take it out of the cyclic
                # collector's walks. Full collections over the growing heap stalled keystrokes by up to 0.35 s in
                # bench/picker.py on the huge world (also after the load, had it been unfrozen then). Frozen objects
                # are still freed by reference counting; only a cycle that was alive here is never collected.
                gc.freeze()
        emit(batch, note=notes[0] if notes else None)

    def _group_vnets(self, subscription_id: str, group: str) -> list[PickItem]:
        """The VNets of one resource group (Virtual Networks - List, scoped to the group)."""
        from azure.core.exceptions import HttpResponseError

        from wizard.core.listings import list_vnet_pages

        try:
            vnets = [v for page in list_vnet_pages(self._factory(), subscription_id, group) for v in page]
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

    def clusters(self, subscription_id: str, emit: Emit) -> None:
        """The subscription's AKS clusters (name; group, region, Kubernetes version, private or not) (issue 13)."""
        from steps.aks import list_clusters

        found = list_clusters(self._factory(), subscription_id)
        self._remember(*(c.subscription_id for c in found))
        emit([PickItem(c.id, c.name, "  ".join(x for x in (
            c.resource_group, c.location, f"Kubernetes {c.kubernetes_version}" if c.kubernetes_version else "",
            "private" if c.private else "public API server", "" if c.power_state == "Running" else
            c.power_state.lower()) if x), {"resource_group": c.resource_group}) for c in found])

    def cluster_vnets(self, cluster_id: str) -> tuple[list[str], str, str | None]:
        """The VNets an AKS cluster's agents run in, where that came from, and a problem (`steps.aks`)."""
        from steps.aks import cluster_ref, cluster_vnets, read_cluster

        sub, rg, name = cluster_ref(cluster_id, "", "")
        derived = cluster_vnets(self._factory(), read_cluster(self._factory(), sub, rg, name))
        return derived.vnet_ids, derived.source, derived.problem

    def astro_zones(self, subscription_ids: list[str]) -> tuple[list[str], list[str]]:
        """The ids of the `external.astronomer.run` private DNS zones in these subscriptions (Private Zones - List,
        GET /subscriptions/{id}/providers/Microsoft.Network/privateDnsZones, privatedns.json 2024-06-01), read a few
        subscriptions at a time, and the subscriptions whose zones could not be listed (no role there: 403)."""
        from concurrent.futures import ThreadPoolExecutor

        from azure.core.exceptions import HttpResponseError

        from wizard.core.constants import ASTRO_DNS_ZONE

        def zones_of(sub: str) -> list[str] | None:
            try:
                return [z.id or "" for z in self._factory().privatedns(sub).private_zones.list()
                        if (z.name or "").lower() == ASTRO_DNS_ZONE]
            except HttpResponseError as exc:
                if exc.status_code == 403:
                    return None
                raise

        with ThreadPoolExecutor(max_workers=min(8, max(1, len(subscription_ids)))) as pool:
            read = list(pool.map(zones_of, subscription_ids))
        found = [zid for ids in read if ids for zid in ids]
        self._remember(*found)
        return found, [sub for sub, ids in zip(subscription_ids, read, strict=True) if ids is None]

    @property
    def vnet_count(self) -> int:
        """How many VNets were read so far."""
        with self._lock:
            return len(self._vnets)

    def _keep(self, vnet_id: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._vnets[vnet_id.lower()] = data
