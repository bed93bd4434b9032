"""VNet peering (issue 15, part 1's shared endpoint): the sandbox's peerings behave as ARM's do, and a setup whose
agents' VNet is not peered with the endpoint's VNet gets a step-1 warning and a failed `peering` check in verify,
naming both VNets. Against the "hub-spoke" world (wizard/sandbox/hub_spoke.py) through the real SDK clients.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from app_helpers import make_app, screen_name, wait_for
from azure.core.exceptions import HttpResponseError
from conftest import in_world
from engine_helpers import demo_config, make_engine, states, vnet_id

from steps.network_facts import PeeringFact, VNetFacts, peering_findings, transit_notes
from steps.verify import run_verify
from steps.verify.models import PEERING
from wizard.core.ids import enum_text

HUB_PEERING_TO_C = "peer-vnet-hub-to-vnet-spoke-c"


@pytest.fixture
def hub(sandbox: Any) -> Any:
    yield from in_world(sandbox, "hub-spoke", approve_after=0.0)


def hub_id(sb: Any) -> str:
    return vnet_id(sb, "rg-network-hub", "vnet-hub")


def spoke_id(sb: Any, name: str) -> str:
    return vnet_id(sb, "rg-spokes", name)


def state_of(sdk: Any, rg: str, vnet: str, name: str) -> str:
    return enum_text(sdk.network.virtual_network_peerings.get(rg, vnet, name).peering_state)


def put_peering(sdk: Any, rg: str, vnet: str, name: str, remote: str) -> Any:
    body = {"properties": {"remoteVirtualNetwork": {"id": remote}, "allowForwardedTraffic": True}}
    return sdk.network.virtual_network_peerings.begin_create_or_update(rg, vnet, name, body).result()


# -- the sandbox's peerings --------------------------------------------------------------------------------------
def test_peering_states_follow_both_sides(hub: Any, sdk: Any) -> None:
    d = spoke_id(hub, "vnet-spoke-d")
    made = put_peering(sdk, "rg-spokes", "vnet-spoke-d", "d-to-hub", hub_id(hub))
    assert enum_text(made.peering_state) == "Initiated"
    assert made.remote_address_space.address_prefixes == ["127.21.0.0/16"]
    put_peering(sdk, "rg-network-hub", "vnet-hub", "hub-to-d", d)
    assert state_of(sdk, "rg-spokes", "vnet-spoke-d", "d-to-hub") == "Connected"
    assert state_of(sdk, "rg-network-hub", "vnet-hub", "hub-to-d") == "Connected"
    listed = {p.name for p in sdk.network.virtual_network_peerings.list("rg-network-hub", "vnet-hub")}
    assert "hub-to-d" in listed
    vnet = sdk.network.virtual_networks.get("rg-spokes", "vnet-spoke-d")
    assert [p.name for p in vnet.virtual_network_peerings] == ["d-to-hub"]
    # Deleting one side leaves the other Disconnected; the deleted side cannot come back until that one is redone.
    sdk.network.virtual_network_peerings.begin_delete("rg-network-hub", "vnet-hub", "hub-to-d").result()
    assert state_of(sdk, "rg-spokes", "vnet-spoke-d", "d-to-hub") == "Disconnected"
    with pytest.raises(HttpResponseError) as info:
        put_peering(sdk, "rg-network-hub", "vnet-hub", "hub-to-d", d)
    assert info.value.error is not None and info.value.error.code == "RemotePeeringIsDisconnected"
    assert enum_text(put_peering(sdk, "rg-spokes", "vnet-spoke-d", "d-to-hub", hub_id(hub)).peering_state) == \
        "Initiated"
    put_peering(sdk, "rg-network-hub", "vnet-hub", "hub-to-d", d)
    assert state_of(sdk, "rg-spokes", "vnet-spoke-d", "d-to-hub") == "Connected"


def test_overlapping_address_spaces_are_refused(hub: Any, sdk: Any) -> None:
    body = {"location": "eastus2", "properties": {"addressSpace": {"addressPrefixes": ["127.21.128.0/24"]}}}
    sdk.network.virtual_networks.begin_create_or_update("rg-spokes", "vnet-overlap", body).result()
    with pytest.raises(HttpResponseError) as info:
        put_peering(sdk, "rg-spokes", "vnet-overlap", "o-to-hub", hub_id(hub))
    assert info.value.error is not None and info.value.error.code == "VnetAddressSpacesOverlap"


# -- the decision, pure ------------------------------------------------------------------------------------------
E = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-endpoint"
S = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
H = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-hub"


def vnet(vid: str, *peerings: PeeringFact) -> VNetFacts:
    return VNetFacts(id=vid, name=vid.rsplit("/", 1)[-1], peerings=peerings)


def to(remote: str, state: str = "Connected", forwarded: bool = False) -> PeeringFact:
    return PeeringFact(name=f"to-{remote.rsplit('/', 1)[-1]}", remote_vnet_id=remote, state=state,
                       allow_forwarded_traffic=forwarded)


@pytest.mark.parametrize(("name", "vnets", "findings", "notes"), [
    ("peered both ways", [vnet(E, to(S)), vnet(S, to(E))], [], []),
    ("only the spoke's side: Initiated", [vnet(E), vnet(S, to(E, "Initiated"))],
     ["vnet-spoke -> vnet-endpoint: peering 'to-vnet-endpoint' is Initiated"], []),
    ("the endpoint's side was deleted: Disconnected", [vnet(E), vnet(S, to(E, "Disconnected"))],
     ["vnet-spoke -> vnet-endpoint: peering 'to-vnet-endpoint' is Disconnected"], []),
    ("not peered at all", [vnet(E), vnet(S)], ["vnet-spoke -> vnet-endpoint: not peered"], []),
    ("through a hub without forwarded traffic", [vnet(E, to(H)), vnet(S, to(H))],
     ["vnet-spoke -> vnet-endpoint: not peered; both are peered with vnet-hub, but peering is not transitive"], []),
    ("through a hub with forwarded traffic allowed: a note, not a finding",
     [vnet(E, to(H, forwarded=True)), vnet(S, to(H, forwarded=True))], [],
     ["vnet-spoke reaches vnet-endpoint only through vnet-hub"]),
    ("the endpoint's VNet alone: nothing to check", [vnet(E)], [], []),
])
def test_peering_findings(name: str, vnets: list[VNetFacts], findings: list[str], notes: list[str]) -> None:
    got = peering_findings(vnets, E)
    assert len(got) == len(findings), (name, got)
    for have, want in zip(got, findings, strict=True):
        assert have.startswith(want), (name, have)
    got_notes = transit_notes(vnets, E)
    assert len(got_notes) == len(notes) and all(h.startswith(w) for h, w in zip(got_notes, notes, strict=True)), name


# -- the product: step 1 and verify ------------------------------------------------------------------------------
def shared_config(sb: Any, *spokes: str) -> Any:
    """One endpoint in the hub, shared by agents in `spokes`."""
    return demo_config(sb, resource_group="rg-network-hub", vnet="vnet-hub", subnet="snet-endpoints",
                       linked_vnets=[spoke_id(sb, s) for s in spokes])


def test_shared_endpoint_with_a_peered_spoke_then_the_peering_removed(hub: Any, sdk: Any, tmp_path: Path) -> None:
    engine = make_engine(hub, tmp_path, shared_config(hub, "vnet-spoke-c"))
    result = engine.apply()
    assert result.exit_code == 0, states(result)
    assert not any("Peering" in w for w in result.outcomes["inputs"].warnings)
    hub.knobs.dns_vnet_id = spoke_id(hub, "vnet-spoke-c")
    report = run_verify(engine.ctx, nameserver=hub.dns_address, timeout=3.0, ca_file=hub.ca_file)
    assert report.ok, [(c.name, c.detail, c.diagnosis) for c in report.checks]
    peering = report.check(PEERING)
    assert peering is not None and peering.ok and "vnet-spoke-c peered with vnet-hub" in peering.detail
    # The hub's side goes: the spoke's side is Disconnected; verify fails and names both VNets.
    sdk.network.virtual_network_peerings.begin_delete("rg-network-hub", "vnet-hub", HUB_PEERING_TO_C).result()
    report = run_verify(engine.ctx, nameserver=hub.dns_address, timeout=3.0, ca_file=hub.ca_file)
    peering = report.check(PEERING)
    assert not report.ok and peering is not None and not peering.ok
    assert "vnet-spoke-c -> vnet-hub: peering 'peer-vnet-spoke-c-to-vnet-hub' is Disconnected" in (
        peering.diagnosis or "")
    assert peering.fix_step is None
    # Step 1 says so before anything is written, as a warning (the tool makes no peering).
    plans = {p.step: p for p in make_engine(hub, None, shared_config(hub, "vnet-spoke-c")).plan()}
    assert plans["inputs"].action.value == "done"
    assert any(w.startswith("Peering: vnet-spoke-c -> vnet-hub") for w in plans["inputs"].warnings)


def test_cli_verify_names_an_unpeered_spoke(hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from wizard.cli import main

    path = tmp_path / "setup.toml"
    path.write_text(shared_config(hub, "vnet-spoke-c", "vnet-spoke-d").to_toml())
    for key, value in hub.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")
    assert main(["apply", "--config", str(path), "--yes"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "Peering: vnet-spoke-d -> vnet-hub: not peered" in out
    hub.knobs.dns_vnet_id = spoke_id(hub, "vnet-spoke-c")
    assert main(["verify", "--config", str(path)]) == 1
    text = capsys.readouterr().out
    assert "[FAIL] Agents' VNets peered with the endpoint's" in text
    assert "vnet-spoke-d -> vnet-hub: not peered, so agents in vnet-spoke-d cannot reach the endpoint's IP" in text
    assert main(["verify", "--config", str(path), "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert not checks["peering"]["ok"] and checks["dns"]["ok"] and checks["https"]["ok"]


def test_pilot_verify_screen_shows_the_missing_peering(hub: Any, tmp_path: Path) -> None:
    config = shared_config(hub, "vnet-spoke-d")
    engine = make_engine(hub, tmp_path / "engine", config)
    assert engine.apply().exit_code == 0
    hub.knobs.dns_vnet_id = hub_id(hub)

    async def run() -> None:
        app = make_app(hub, tmp_path)
        async with app.run_test(size=(110, 40)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            app.config = config
            app.reviewed = True
            app.goto("verify")
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="verify report")
            assert app.verify_state != "done"
            check = app.screen.report.check(PEERING)
            assert check is not None and not check.ok
            assert "vnet-spoke-d -> vnet-hub: not peered" in (check.diagnosis or "")

    asyncio.run(run())
