"""The pickers' VNet listing read as raw JSON pages (wizard/core/raw_arm.py) gives what the SDK models gave, through
the same pipeline (request log, transcript, retries); the sandbox pages in time proportional to the page; a
re-apply reads the A record once."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import make_engine, sandbox_settings

from wizard.core.azure import ClientFactory
from wizard.core.listings import VNetRow, iter_vnets
from wizard.core.transcript import Transcript
from wizard.sandbox import seeds
from wizard.sandbox.world import T_SUBNET, T_VNET
from wizard.tui.listings import Listings, vnet_data

EP_RG = "rg-aks-prod"


def as_seen(v: Any) -> tuple[Any, ...]:
    """Everything the pickers show or keep of a VNet, from an SDK model or a `VNetRow` alike."""
    rg = v.id.split("/")[4]
    return (v.id, v.name, v.location, json.dumps(vnet_data(v, rg), sort_keys=True))


def sdk_listing(factory: ClientFactory, sub: str, notes: list[str]) -> list[tuple[Any, ...]]:
    """What iter_vnets gave before the raw pages: the SDK's models, with the same resource-group fallback."""
    from azure.core.exceptions import HttpResponseError

    network = factory.network(sub)
    try:
        return [as_seen(v) for v in network.virtual_networks.list_all()]
    except HttpResponseError as exc:
        assert exc.status_code == 403
    out: list[tuple[Any, ...]] = []
    for g in factory.resources(sub).resource_groups.list():
        try:
            out += [as_seen(v) for v in network.virtual_networks.list(g.name)]
        except HttpResponseError as exc:
            assert exc.status_code == 403
    notes.append("fallback")
    return out


@pytest.mark.parametrize("world, roles", [("demo", None), ("large", None), ("demo", "ep-group"),
                                          ("large", "fleet-groups")])
def test_raw_listing_matches_the_sdk_listing(sandbox, world, roles):
    sandbox.reset(world)
    # A delegated subnet and one full of AKS pods' addresses, so every field a picker keeps differs between subnets.
    vnet = seeds.add_vnet(sandbox.world, sandbox.subscription_id, EP_RG, "vnet-aks-cni", "eastus2", ["127.40.0.0/16"])
    seeds.add_subnet(sandbox.world, vnet, "snet-pods", "127.40.0.0/24",
                     delegation="Microsoft.ContainerService/managedClusters")
    seeds.fill_subnet(sandbox.world, seeds.add_subnet(sandbox.world, vnet, "snet-nodes", "127.40.1.0/28",
                                                      endpoint_policies="Enabled"))
    if roles == "ep-group":
        sandbox.knobs.role_assignments = [("Network Contributor", f"/subscriptions/{sandbox.subscription_id}/"
                                                                  f"resourceGroups/{EP_RG}")]
    elif roles == "fleet-groups":
        sandbox.knobs.role_assignments = [("Reader", f"/subscriptions/{sandbox.subscription_id}/resourceGroups/"
                                                     f"rg-fleet-{g:02d}") for g in (3, 7, 11)]
    factory = ClientFactory(sandbox_settings(sandbox))
    sdk_notes: list[str] = []
    expected = sdk_listing(factory, sandbox.subscription_id, sdk_notes)
    notes: list[str] = []
    rows = list(iter_vnets(factory, sandbox.subscription_id, notes.append))
    assert all(isinstance(r, VNetRow) for r in rows)
    assert [as_seen(r) for r in rows] == expected   # same VNets, same order, same fields
    assert len(notes) == len(sdk_notes)
    if roles:
        assert "only the VNets of the" in notes[0] and "A VNet elsewhere can be typed as a resource id" in notes[0]
    assert len(expected) == {"demo": 4, "large": 5004}[world] if roles is None else len(expected) > 0
    cni = next(v for v in rows if v.name == "vnet-aks-cni") if roles != "fleet-groups" else None
    if cni is not None:
        data = vnet_data(cni, EP_RG)
        assert data["free"] == {"snet-pods": 251, "snet-nodes": 0} and data["delegated"] == {
            "snet-pods": ["Microsoft.ContainerService/managedClusters"]}


def test_the_tui_picker_items_are_what_the_sdk_models_gave(sandbox):
    sandbox.reset("large")
    factory = ClientFactory(sandbox_settings(sandbox))
    listings = Listings(lambda: factory, lambda *ids: None)
    batches: list[list[Any]] = []
    listings.vnets(sandbox.subscription_id, lambda batch, note=None: batches.append(list(batch)),
                   first_group="rg-fleet-07")
    items = [i for b in batches for i in b]
    by_id = {v.id.lower(): v for v in factory.network(sandbox.subscription_id).virtual_networks.list_all()}
    assert len(items) == len(by_id) == 5003
    for item in items:
        v = by_id[item.key.lower()]
        rg = item.key.split("/")[4]
        assert (item.label, item.detail, item.data) == (v.name, f"{rg} | {v.location}", vnet_data(v, rg))


def test_every_page_goes_through_the_pipeline_request_log_and_transcript(sandbox, tmp_path):
    sandbox.reset("large")
    sandbox.knobs.page_size = 500
    transcript = Transcript(tmp_path / "t.requests.log")
    factory = ClientFactory(sandbox_settings(sandbox), per_call_policies=[transcript.policy()])
    mark = len(sandbox.requests)
    assert sum(1 for _ in iter_vnets(factory, sandbox.subscription_id)) == 5003
    pages = [r for r in sandbox.requests[mark:]]
    assert len(pages) == 11 and all(r.method == "GET" and r.path.endswith("/virtualNetworks") for r in pages)
    lines = [json.loads(line) for line in (tmp_path / "t.requests.log").read_text().splitlines()]
    assert len(lines) == 11 and all(line["path"].endswith("/virtualNetworks") and line["status"] == 200
                                    for line in lines)


def test_a_throttled_page_is_retried_and_a_refusal_raises_as_the_sdk_does(sandbox):
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    sandbox.reset("large")
    sandbox.knobs.throttle_rate = 0.3
    sandbox.knobs.throttle_retry_after_ms = 1
    factory = ClientFactory(sandbox_settings(sandbox))
    mark = len(sandbox.requests)
    assert sum(1 for _ in iter_vnets(factory, sandbox.subscription_id)) == 5003
    assert any(r.status == 429 for r in sandbox.requests[mark:])   # the SDK's retry policy ran
    sandbox.knobs.throttle_rate = 0.0
    from wizard.core.listings import list_vnet_pages

    with pytest.raises(ResourceNotFoundError) as missing:
        list(list_vnet_pages(factory, sandbox.subscription_id, "rg-not-there"))
    with pytest.raises(ResourceNotFoundError) as sdk_missing:
        list(factory.network(sandbox.subscription_id).virtual_networks.list("rg-not-there"))
    assert missing.value.error.code == sdk_missing.value.error.code == "ResourceGroupNotFound"
    sandbox.knobs.role_assignments = [("Reader", f"/subscriptions/{sandbox.subscription_id}/resourceGroups/{EP_RG}")]
    with pytest.raises(HttpResponseError) as refused:
        list(list_vnet_pages(factory, sandbox.subscription_id))
    assert refused.value.status_code == 403 and refused.value.error.code == "AuthorizationFailed"


# ---- the sandbox's paging -----------------------------------------------------------------------------------
def test_scoped_listing_is_indexed_and_follows_changes():
    world = seeds.large_world(vnets=200, groups=4)
    sub = f"/subscriptions/{seeds.SUBSCRIPTION_ID}"
    scan = [r for r in world.by_type[T_VNET.lower()].values() if r.key.startswith(sub.lower() + "/")]
    assert world.of_type(T_VNET, sub) == scan and len(scan) == 203
    group = f"{sub}/resourceGroups/rg-fleet-01"
    assert [r.name for r in world.of_type(T_VNET, group)] == [f"vnet-fleet-{i:04d}" for i in range(1, 200, 4)]
    first = world.listing(T_VNET, sub)
    assert world.listing(T_VNET, sub) is first   # kept between pages
    seeds.add_vnet(world, seeds.SUBSCRIPTION_ID, "rg-fleet-01", "vnet-new", "eastus2", ["127.99.0.0/24"])
    assert world.listing(T_VNET, sub)[-1].name == "vnet-new" and len(world.listing(T_VNET, sub)) == 204
    world.remove(f"{group}/providers/Microsoft.Network/virtualNetworks/vnet-fleet-0001")
    names = [r.name for r in world.of_type(T_VNET, group)]
    assert "vnet-fleet-0001" not in names and names[-1] == "vnet-new"
    assert not any(r.id.endswith("vnet-fleet-0001/subnets/snet-nodes") for r in world.of_type(T_SUBNET, sub))


def test_huge_world_shape():
    world = seeds.huge_world(vnets=2000, groups=20)
    for sub in (seeds.SUBSCRIPTION_ID, seeds.SECOND_SUBSCRIPTION_ID):
        scope = f"/subscriptions/{sub}"
        demo_vnets = 3 if sub == seeds.SUBSCRIPTION_ID else 1
        assert len(world.of_type(T_VNET, scope)) == 1000 + demo_vnets
        assert len([g for g in world.groups_in(sub) if g.name.startswith("rg-fleet-")]) == 10
    prefixes = [r.props["addressSpace"]["addressPrefixes"][0] for r in world.of_type(T_VNET)]
    assert len(prefixes) == len(set(prefixes))


# ---- re-apply --------------------------------------------------------------------------------------------
def test_reapply_reads_the_a_record_once_in_eight_requests_or_fewer(sandbox):
    state = Path(tempfile.mkdtemp(prefix="astro-pl-test-"))
    make_engine(sandbox, state).apply(wait_for_approval=False)
    mark = len(sandbox.requests)
    result = make_engine(sandbox, state).apply(wait_for_approval=False)
    again = sandbox.requests[mark:]
    assert result.outcomes["a_record"].state.value == "done"
    assert sandbox.writes(again[0].number - 1) == []
    assert len(again) <= 8, [f"{r.method} {r.path}" for r in again]
    assert sum(1 for r in again if "/A/" in r.path) == 1


def test_a_record_changed_between_plan_and_apply_is_read_again_not_overwritten(sandbox):
    """The plan's read is reused by apply, but never hides a change: the update is conditional on the etag the plan
    saw, so a record someone repointed meanwhile gets 412, is read again, and is left as it is."""
    from conftest import make_sdk

    from wizard.core.constants import ASTRO_DNS_ZONE

    state = Path(tempfile.mkdtemp(prefix="astro-pl-test-"))
    make_engine(sandbox, state).apply(wait_for_approval=False)
    dns = make_sdk(sandbox).dns
    name = sandbox.demo_cluster_id

    def point(ip: str) -> None:
        dns.record_sets.create_or_update(EP_RG, ASTRO_DNS_ZONE, "A", name,
                                         {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": ip}]}})

    point("127.20.16.99")
    engine = make_engine(sandbox, state, allow_update={"a_record"})
    plans = engine.plan()
    assert next(p for p in plans if p.step == "a_record").action.value == "update"
    point("127.20.16.98")   # someone else, after the plan
    mark = len(sandbox.requests)
    result = engine.apply(wait_for_approval=False, plans=plans)
    outcome = result.outcomes["a_record"]
    assert outcome.state.value != "done" and "127.20.16.98" in " ".join([outcome.summary, *outcome.details])
    rs = dns.record_sets.get(EP_RG, ASTRO_DNS_ZONE, "A", name)
    assert [a.ipv4_address for a in rs.properties.a_records] == ["127.20.16.98"]
    assert [r.status for r in sandbox.requests[mark:] if r.method == "PUT" and "/A/" in r.path] == [412]


# ---- the picker's filter ------------------------------------------------------------------------------------
def brute(items: list[Any], query: str) -> list[int]:
    words = query.lower().split()
    return [i for i, item in enumerate(items) if all(w in item.search for w in words)]


def test_picker_narrows_from_its_last_matches_and_counts_streamed_pages():
    """Typing on filters only the last matches, deleting rescans, and pages that arrive meanwhile are counted: the
    window and the total are always what a full scan gives."""
    import asyncio

    from textual.app import App, ComposeResult
    from textual.widgets import Input

    from screens.widgets.picker import WINDOW, Picker, PickItem

    class PickerApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Picker("virtual networks")

    items = [PickItem(f"/id/{i}", f"vnet-fleet-{i:05d}", f"rg-fleet-{i % 40:03d} | {('eastus2', 'westeurope')[i % 2]}")
             for i in range(3000)]

    async def run() -> None:
        app = PickerApp()
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.query_one(Picker)
            box = picker.query_one(Input)
            picker.add_items(items[:500])
            for query in ("f", "fleet-0", "fleet-01", "fleet-01 west", "fleet-01  westeurope", "fleet-0", "east 7",
                          "", "rg-fleet-007 eastus2"):
                box.value = query
                await pilot.pause()
                loaded = len(picker.items)
                assert picker._total == len(brute(items[:loaded], query)), query
                assert picker._shown == brute(items[:loaded], query)[:WINDOW], query
                if loaded < len(items):   # a page arrives while the query stands
                    picker.add_items(items[loaded:loaded + 500], done=loaded + 500 >= len(items))
                    await pilot.pause()
                    assert picker._total == len(brute(items[:loaded + 500], query)), query

    asyncio.run(run())


def test_huge_world_is_offered_by_demo_and_sandbox():
    from wizard.cli.parser import build_parser

    for argv in (["demo", "--world", "huge"], ["sandbox", "--world", "huge"]):
        assert build_parser().parse_args(argv).world == "huge"
    assert "huge" in seeds.WORLDS
