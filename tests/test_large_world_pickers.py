"""The wizard on the large world (`astro-privatelink demo --world large`): the Astro page opens filled in even when
Enter is pressed before the sandbox is up, the VNet picker offers the chosen group's VNets first, and the picker's
status line says plainly what is loaded and what is shown."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from app_helpers import screen_name, wait_for
from engine_helpers import sandbox_settings
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from screens.widgets.picker import WINDOW, Picker, PickItem
from wizard.core.record import RecordStore
from wizard.engine import Workspace
from wizard.sandbox import server
from wizard.tui.app import WizardApp
from wizard.tui.listings import Listings


def test_enter_before_the_sandbox_is_up_opens_the_astro_page_filled_in(tmp_path, monkeypatch):
    started = server.Sandbox.start

    def slow_start(self):  # a loaded machine: the large world's sandbox takes a while
        time.sleep(1.5)
        return started(self)

    monkeypatch.setattr(server.Sandbox, "start", slow_start)

    async def run() -> None:
        app = WizardApp(sandbox_world="large", state=tmp_path / "state", preload_sdk=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            await pilot.press("enter")  # "Start a new setup", at once
            await pilot.pause()
            assert app.sandbox is None and screen_name(app) == "StartScreen"
            assert "Starting the demo sandbox" in str(app.screen.query_one("#nav-status", Static).render())
            await wait_for(pilot, lambda: screen_name(app) == "AstroDetailsScreen", what="the Astro page")
            # never shown empty under "filled in for you": the first time it is on screen, the fields hold the answers
            values = [i.value for i in app.screen.query(Input)]
            assert app.sandbox is not None and app.config.api_url == app.sandbox.demo_api_url
            assert app.sandbox.demo_alias in values and app.sandbox.demo_api_url in values, values

    asyncio.run(run())


def test_vnet_listing_offers_the_chosen_groups_vnets_first(sandbox):
    sandbox.reset("large")
    workspace = Workspace(sandbox_settings(sandbox), store=RecordStore(Path(tempfile.mkdtemp())))
    listings = Listings(lambda: workspace.factory, lambda *ids: None)
    batches: list[list[PickItem]] = []
    listings.vnets(sandbox.subscription_id, lambda batch, note=None: batches.append(list(batch)),
                   first_group="rg-fleet-07")
    first = batches[0]
    assert len(first) == 100 and {i.data["resource_group"] for i in first} == {"rg-fleet-07"}
    assert [i.label for i in first] == sorted(i.label for i in first)
    keys = [i.key.lower() for batch in batches for i in batch]
    everything = [v.id.lower() for v in workspace.factory.network(sandbox.subscription_id).virtual_networks.list_all()]
    assert len(keys) == len(set(keys)) and set(keys) == set(everything)  # each VNet once, none left out


class PickerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Picker("virtual networks")


def status_of(app: App[None]) -> str:
    return str(app.query_one(".picker-status", Static).render())


def test_picker_status_says_what_is_loaded_and_what_is_shown():
    async def run() -> None:
        app = PickerApp()
        async with app.run_test(size=(100, 30)) as pilot:
            picker = app.query_one(Picker)
            picker.add_items([PickItem(f"/id/{i}", f"vnet-{i:04d}", "rg | eastus2") for i in range(440)])
            await pilot.pause()
            text = status_of(app)
            assert "Still reading virtual networks from Azure: 440 so far." in text, text
            assert f"Showing the first {WINDOW} of 440 matches: type more of the name to narrow them." in text, text
            assert "more: keep typing" not in text
            # a later batch while the window is full: the count of matches follows it
            picker.add_items([PickItem(f"/id/x{i}", f"vnet-x{i:04d}", "rg | eastus2") for i in range(250)])
            await pilot.pause()
            assert "690 so far" in status_of(app) and f"first {WINDOW} of 690 matches" in status_of(app), status_of(app)
            picker.add_items([], done=True)
            await pilot.pause()
            assert "Still reading" not in status_of(app) and f"first {WINDOW} of 690" in status_of(app)

    asyncio.run(run())
