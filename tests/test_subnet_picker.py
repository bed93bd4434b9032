"""Issue 13: the endpoint's subnet picker (TUI) offers only the subnets that can hold it and says, for each one left
out, why: delegated to a service, no free address (tests/test_aks_subnets.py), and the VPN/ExpressRoute gateway's
subnet (MicrosoftDocs/azure-docs, vpn-gateway-about-vpn-gateway-settings.md: deploy nothing else there)."""

from __future__ import annotations

import asyncio
from typing import Any

from app_helpers import RG, SUBNET, VNET, make_app, screen_name, wait_for

from screens.placement import subnet_choices
from wizard.sandbox.seeds import add_subnet


def test_the_gateway_subnet_is_left_out_with_its_reason() -> None:
    items, note = subnet_choices({"subnets": ["GatewaySubnet", "pe", "pods"],
                                  "prefixes": {"GatewaySubnet": "10.0.255.0/27", "pe": "10.0.1.0/28",
                                               "pods": "10.0.2.0/24"},
                                  "free": {"GatewaySubnet": 27, "pe": 11, "pods": 251},
                                  "delegated": {"pods": ["Microsoft.ContainerService/managedClusters"]}})
    assert [i.key for i in items] == ["pe"]
    assert note == ("Not offered, Azure creates no endpoint there: pods (delegated to "
                    "Microsoft.ContainerService/managedClusters). Not offered: GatewaySubnet (the VPN/ExpressRoute "
                    "gateway's subnet, where Microsoft says to deploy nothing else).")


def test_the_tui_subnet_picker_says_why_subnets_are_not_offered(sandbox_server: Any, tmp_path: Any) -> None:
    """The aks world's vnet-aks-prod has aks-split's delegated pod subnet; a GatewaySubnet is added to it here."""
    from textual.widgets import OptionList, Static

    from screens.widgets.picker import Picker, PickerScreen
    from wizard.core.config import SetupConfig

    sb = sandbox_server
    sb.reset("aks")
    vnet = f"/subscriptions/{sb.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/{VNET}"
    add_subnet(sb.world, vnet, "GatewaySubnet", "127.20.250.0/27")

    async def run() -> None:
        app = make_app(sb, tmp_path)
        async with app.run_test(size=(110, 36)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            app.config = SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                                     resource_group=RG, vnet=VNET)
            app.goto("placement")
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen")
            await pilot.click("#subnet-button")

            def listed() -> bool:
                return isinstance(app.screen, PickerScreen) and not app.screen.query_one(Picker).loading_items

            await wait_for(pilot, listed, what="the subnet listing")
            picker = app.screen.query_one(Picker)
            offered = [i.key for i in picker.items]
            assert SUBNET in offered and "snet-aks-pods" not in offered and "GatewaySubnet" not in offered
            status = app.screen.query_one(".picker-status", Static).content
            said = str(getattr(status, "plain", status))
            assert "snet-aks-pods (delegated to Microsoft.ContainerService/managedClusters)" in said, said
            assert "GatewaySubnet (the VPN/ExpressRoute gateway's subnet" in said, said
            assert app.screen.query_one(OptionList).option_count == len(offered)
            await pilot.press("escape")

    try:
        asyncio.run(run())
    finally:
        sb.reset("demo")
