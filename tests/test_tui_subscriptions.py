"""Issue 15, part 2 in the full-screen wizard: the placement page picks the subscription of each part from live
listings: the endpoint's (the sign-in page), each extra VNet's ("Add a VNet": its subscription, then its VNets) and the
DNS zone's (the "DNS zone" row: with the endpoint, an existing external.astronomer.run zone found in a subscription the
account can read, or a resource group of any subscription). Against the sandbox's "hub-spoke-subs" world through the
real SDK clients; the pure choices are table-driven.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from app_helpers import make_app, pick, screen_name, to_approval, to_astro_details, to_review, to_verify, wait_for
from conftest import in_world
from textual.widgets import Static

from screens.widgets.picker import Picker, PickerScreen, PickItem
from screens.zone_choice import (
    DEFAULT_KEY,
    chosen_key,
    set_zone_place,
    subscriptions_line,
    zone_choices,
    zone_key,
    zone_place_line,
)
from wizard.core.config import SetupConfig
from wizard.sandbox import hub_spoke_subs as w

CONN, S1, S2 = w.CONNECTIVITY_SUB, w.SPOKE1_SUB, w.SPOKE2_SUB


@pytest.fixture
def subs(sandbox: Any) -> Any:
    yield from in_world(sandbox, "hub-spoke-subs")


# -- the pure choices ----------------------------------------------------------------------------------------------
PLACES = [
    # (endpoint sub, endpoint group, picked sub, picked group) -> ([dns] subscription_id, [dns] resource_group)
    ((S1, "rg-spoke-1", CONN, w.HUB_DNS_RG), (CONN, w.HUB_DNS_RG)),      # the hub: both written
    ((S1, "rg-spoke-1", S1, "rg-dns"), (None, "rg-dns")),                # same subscription: only the group
    ((S1, "rg-spoke-1", S1.upper(), "RG-SPOKE-1"), (None, None)),        # the endpoint's own place: the default
    ((S1, "rg-spoke-1", None, None), (None, None)),                      # "With the endpoint"
]


@pytest.mark.parametrize(("given", "expected"), PLACES)
def test_where_the_zone_goes_in_the_answers(given: tuple[Any, ...], expected: tuple[Any, ...]) -> None:
    sub, rg, zone_sub, zone_rg = given
    cfg = SetupConfig(subscription_id=sub, resource_group=rg, dns_subscription_id="x", dns_resource_group="y")
    set_zone_place(cfg, zone_sub, zone_rg)
    assert (cfg.dns_subscription_id, cfg.dns_resource_group) == expected
    assert cfg.zone_subscription.lower() == (zone_sub or sub).lower()
    assert cfg.zone_resource_group.lower() == (zone_rg or rg).lower()


def test_zone_choices_offer_the_default_the_zones_found_then_each_subscription() -> None:
    subs = [PickItem(S1, "Spoke 1", f"{S1}  Enabled"), PickItem(CONN, "Connectivity", f"{CONN}  Enabled")]
    cfg = SetupConfig(subscription_id=S1, resource_group="rg-spoke-1")
    items, note = zone_choices(subs, [w.HUB_ZONE], [S2], cfg)
    assert [i.data["kind"] for i in items] == ["default", "zone", "subscription", "subscription"]
    assert items[0].key == DEFAULT_KEY and "Spoke 1, resource group rg-spoke-1" in items[0].detail
    assert items[1].label == f"external.astronomer.run in {w.HUB_DNS_RG}" and "Connectivity" in items[1].detail
    assert (items[1].data["subscription"], items[1].data["resource_group"]) == (CONN, w.HUB_DNS_RG)
    assert note is not None and S2 in note                      # a subscription it could not look in is named
    assert chosen_key(cfg) == DEFAULT_KEY and zone_place_line(cfg) == "with the endpoint (resource group rg-spoke-1)"
    set_zone_place(cfg, CONN, w.HUB_DNS_RG)
    assert chosen_key(cfg) == items[1].key == zone_key(CONN, w.HUB_DNS_RG)
    assert zone_place_line(cfg) == f"resource group {w.HUB_DNS_RG}, subscription {CONN}"


def test_review_names_the_subscriptions_only_across_subscriptions() -> None:
    cfg = SetupConfig(subscription_id=S1, resource_group="rg-spoke-1", linked_vnets=[w.SPOKE1_VNET.upper()])
    assert subscriptions_line(cfg) == ""                         # all in the endpoint's: the Review stays as it was
    cfg.linked_vnets.append(w.SPOKE2_VNET)
    assert subscriptions_line(cfg) == (f"Across subscriptions: the endpoint in subscription {S1}; VNet vnet-spoke-2 "
                                       f"in {S2}.")
    cfg.linked_vnets = []
    set_zone_place(cfg, CONN, w.HUB_DNS_RG)
    assert "the DNS zone in " + CONN in subscriptions_line(cfg)


# -- the wizard, end to end ----------------------------------------------------------------------------------------
def text_of(app: Any, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    content = getattr(content, "text", content)                   # the plans are a Hanging around a Text
    return " ".join(str(getattr(content, "plain", content)).split())


async def press_button(pilot: Any, selector: str) -> None:
    """Press a button of the page (it may be below the fold at this size: no click position needed)."""
    pilot.app.screen.query_one(selector).press()
    await pilot.pause()


async def to_placement_in_spoke_1(pilot: Any) -> None:
    app = pilot.app
    await to_astro_details(pilot)
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
    await wait_for(pilot, lambda: not app.screen.query_one("#subscriptions", Picker).loading_items, what="subs")
    await pilot.press(*S1[:8])                                   # its id: "1" alone is in other ids too
    await pilot.press("enter")                                   # picking it goes on to the placement page
    await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
    assert app.config.subscription_id == S1
    await press_button(pilot, "#rg-button")
    await pick(pilot, w.SPOKE1_RG)
    await pick(pilot, "vnet-spoke-1")
    await pick(pilot, "private")
    await wait_for(pilot, lambda: app.config.subnet == "snet-private-endpoints", what="subnet chosen")


def test_pilot_endpoint_in_spoke_1_zone_in_the_hub_vnet_of_spoke_2_create_and_verify(subs: Any,
                                                                                     tmp_path: Path) -> None:
    async def run() -> None:
        app = make_app(subs, tmp_path)
        async with app.run_test(size=(120, 44)) as pilot:
            await to_placement_in_spoke_1(pilot)
            assert text_of(app, "#zone-value") == "with the endpoint (resource group rg-spoke-1)"
            # The zone: the hub's existing zone is offered (found by listing every readable subscription).
            await press_button(pilot, "#zone-button")
            await pick(pilot, w.HUB_DNS_RG)
            assert (app.config.dns_subscription_id, app.config.dns_resource_group) == (CONN, w.HUB_DNS_RG)
            assert text_of(app, "#zone-value") == f"resource group {w.HUB_DNS_RG}, subscription {CONN}"
            # Another VNet: its subscription first (the endpoint's highlighted), then that subscription's VNets.
            await press_button(pilot, "#add-link-button")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), what="the subscription picker")
            assert app.screen.title_text == "Subscription of the other VNet"
            assert app.screen.query_one(Picker).selected.lower() == S1.lower()
            await pick(pilot, S2[:8])
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen)
                           and app.screen.title_text == "Another VNet to link", what="the VNet picker")
            await pick(pilot, "vnet-spoke-2")
            assert [v.lower() for v in app.config.linked_vnets] == [w.SPOKE2_VNET.lower()]
            assert f"vnet-spoke-2 rg-spoke-2, subscription {S2}" in text_of(app, "#links")
            # Saved answers keep them (the draft until the setup has a record).
            saved = app.load_draft() or app.store.list()[0][0].answers
            assert (saved.dns_subscription_id, saved.dns_resource_group) == (CONN, w.HUB_DNS_RG)
            assert [v.lower() for v in saved.linked_vnets] == [w.SPOKE2_VNET.lower()]

            await to_review(pilot, timeout=30)
            plans = text_of(app, "#plans")
            assert app.screen.plans[0].action.value == "done", plans
            assert f"in resource group '{w.HUB_DNS_RG}' in subscription {CONN}" in plans
            assert "vnet-spoke-2" in plans
            assert text_of(app, "#review-subscriptions") == (
                f"Across subscriptions: the endpoint in subscription {S1}; the DNS zone in {CONN} (resource group "
                f"{w.HUB_DNS_RG}); VNet vnet-spoke-2 in {S2}.")
            since = max((r.number for r in subs.requests), default=0)
            await to_approval(pilot)
            made = [(r.method, r.path.lower().split("?")[0]) for r in subs.writes(since)]
            links = [p for m, p in made if m == "PUT" and "/virtualnetworklinks/" in p]
            assert len(links) == 2 and all(p.startswith(f"/subscriptions/{CONN}/".lower()) for p in links), made
            assert any(m == "PUT" and p.startswith(f"/subscriptions/{S1}/".lower()) and "/privateendpoints/" in p
                       for m, p in made)
            assert not any(p.startswith(f"/subscriptions/{S2}/".lower()) for _, p in made)   # only linked to
            await wait_for(pilot, lambda: app.screen.checks > 0, what="first approval check")
            if app.screen.state != "done":
                await pilot.press("ctrl+a")                          # the demo's approve-now key
            await wait_for(pilot, lambda: app.screen.state == "done", what="approved")
            subs.knobs.dns_vnet_id = w.SPOKE2_VNET                   # verify from inside the other spoke
            await to_verify(pilot)
            assert app.verify_state == "done", [(c.name, c.ok, c.detail, c.diagnosis)
                                                for c in app.screen.report.checks]
        record = app.store.list()[0][0]
        assert (record.answers.dns_subscription_id, record.answers.subscription_id) == (CONN, S1)

    asyncio.run(run())


def test_pilot_zone_in_a_new_group_of_another_subscription_then_back_to_the_endpoint(subs: Any,
                                                                                     tmp_path: Path) -> None:
    async def run() -> None:
        app = make_app(subs, tmp_path)
        async with app.run_test(size=(120, 44)) as pilot:
            await to_placement_in_spoke_1(pilot)
            # A subscription, then one of its resource groups (a new zone goes there).
            await press_button(pilot, "#zone-button")
            await pick(pilot, "resource group Connectivity")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen)
                           and app.screen.title_text == "Resource group of the DNS zone", what="the group picker")
            await pick(pilot, w.HUB_NET_RG)
            assert (app.config.dns_subscription_id, app.config.dns_resource_group) == (CONN, w.HUB_NET_RG)
            # The page opened again shows the answer; the picker marks it and offers the way back.
            app.goto("placement")
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            assert text_of(app, "#zone-value") == f"resource group {w.HUB_NET_RG}, subscription {CONN}"
            await press_button(pilot, "#zone-button")
            await pick(pilot, "With the endpoint")
            assert (app.config.dns_subscription_id, app.config.dns_resource_group) == (None, None)
            assert text_of(app, "#zone-value") == "with the endpoint (resource group rg-spoke-1)"

    asyncio.run(run())


def test_pilot_a_role_on_one_group_of_the_spoke_lists_its_vnets_and_says_what_it_could_not_read(subs: Any,
                                                                                                tmp_path: Path) -> None:
    """Reader on spoke 2's resource group only: the VNet picker lists that group's VNets with the note saying only
    some groups were listed, and the zone picker names spoke 2 as a subscription it could not look for zones in."""
    subs.knobs.role_assignments = [("Contributor", f"/subscriptions/{S1}"), ("Contributor", f"/subscriptions/{CONN}"),
                                   ("Reader", f"/subscriptions/{S2}/resourceGroups/{w.SPOKE2_RG}")]

    async def run() -> None:
        app = make_app(subs, tmp_path)
        async with app.run_test(size=(120, 44)) as pilot:
            await to_placement_in_spoke_1(pilot)
            await press_button(pilot, "#zone-button")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen)
                           and not app.screen.query_one(Picker).loading_items, what="the zone listing")
            picker = app.screen.query_one(Picker)
            assert picker.error is None, picker.error
            assert picker.note is not None and w.SPOKE2_NAME in picker.note, picker.note
            assert any(i.data.get("kind") == "zone" for i in picker.items)     # the hub's zone is still offered
            await pilot.press("escape")
            await pilot.pause()
            await press_button(pilot, "#add-link-button")
            await pick(pilot, S2[:8])
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen)
                           and app.screen.title_text == "Another VNet to link"
                           and not app.screen.query_one(Picker).loading_items, what="the VNet listing")
            picker = app.screen.query_one(Picker)
            assert [i.label for i in picker.items] == ["vnet-spoke-2"], picker.error
            assert picker.note is not None and picker.note.startswith("Your Azure role does not cover the whole "
                                                                      "subscription"), picker.note
            await pick(pilot, "vnet-spoke-2")
            assert [v.lower() for v in app.config.linked_vnets] == [w.SPOKE2_VNET.lower()]

    asyncio.run(run())
