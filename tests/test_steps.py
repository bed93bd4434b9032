"""Every step against the sandbox through the real SDK: fresh, already done (zero writes), conflict, errors."""

from __future__ import annotations

import json

import pytest
from engine_helpers import RG, SUBNET, VNET, demo_config, make_engine, states, vnet_id, world_summary

from steps.base import Action
from wizard.engine import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_PENDING

CLUSTER = "clmh597sg000208lb2kjhcn8q"


def write_paths(sb, since=0):
    return [(r.method, r.path.lower()) for r in sb.writes(since)]


def test_fresh_apply_creates_every_documented_resource(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.3
    engine = make_engine(sandbox, tmp_path)
    plans = engine.plan()
    assert states(plans) == {"inputs": "done", "private_endpoint": "todo", "dns_zone": "todo",
                             "vnet_links": "todo", "a_record": "blocked", "approval": "blocked"}
    assert sandbox.writes() == []  # planning never writes
    result = engine.apply()
    assert result.exit_code == EXIT_OK, states(result)
    world = world_summary(sdk)
    assert len(world["pes"]) == 1 and len(world["nics"]) == 1 and len(world["links"]) == 1
    pe = world["pes"][0]
    conn = pe.manual_private_link_service_connections[0]
    assert conn.private_link_service_id == sandbox.demo_alias
    assert CLUSTER in conn.request_message and len(conn.request_message) <= 140
    assert pe.subnet.id.lower().endswith(f"/virtualnetworks/{VNET}/subnets/{SUBNET}".lower())
    nic_ip = world["nics"][0].ip_configurations[0].private_ip_address
    (record,) = world["records"]
    assert record.name == CLUSTER and [a.ipv4_address for a in record.properties.a_records] == [nic_ip]
    link = world["links"][0]
    assert link.registration_enabled is False and link.virtual_network.id.lower() == vnet_id(sandbox, RG, VNET).lower()
    saved = json.loads(next(tmp_path.glob(f"{CLUSTER}--*.json")).read_text())   # keyed by cluster and endpoint
    assert {k for k, v in saved["resources"].items() if v["created_by_tool"]} == {
        "private_endpoint", "network_interface", "dns_zone", f"vnet_link:{VNET}", "a_record"}


def test_independent_steps_run_concurrently(sandbox, tmp_path):
    sandbox.knobs.lro_seconds.update(privateEndpoint=1.0, privateDnsZone=0.5, virtualNetworkLink=0.5)
    sandbox.knobs.approve_after = 0.1
    engine = make_engine(sandbox, tmp_path)
    result = engine.apply()
    assert result.exit_code == EXIT_OK
    puts = {r.path.split("/")[-2].lower(): r.started for r in sandbox.requests if r.method == "PUT"}
    # the zone PUT goes out while the endpoint is still being created, not after it
    assert abs(puts["privatednszones"] - puts["privateendpoints"]) < 0.5


def test_reapply_writes_nothing(sandbox, tmp_path):
    sandbox.knobs.approve_after = 0.1
    assert make_engine(sandbox, tmp_path).apply().exit_code == EXIT_OK
    mark = len(sandbox.requests)
    result = make_engine(sandbox, tmp_path).apply()
    assert result.exit_code == EXIT_OK
    assert write_paths(sandbox, mark) == []
    assert all(o.state.value == "done" for o in result.outcomes.values())


def test_no_wait_leaves_approval_pending_with_support_text(sandbox, tmp_path):
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert result.exit_code == EXIT_PENDING
    approval = result.outcomes["approval"]
    assert approval.state.value == "waiting"
    text = "\n".join(approval.details)
    assert "privateEndpoints/astro-privatelink" in text and CLUSTER in text and "eastus2" in text
    assert "astro-privatelink-connection" in text


@pytest.mark.parametrize("status, words", [("Rejected", "rejected"), ("Disconnected", "delete the private endpoint")])
def test_rejected_or_disconnected_connection_fails_with_next_action(sandbox, tmp_path, status, words):
    make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    sandbox.set_connection_state(None, status)
    plans = {p.step: p for p in make_engine(sandbox, tmp_path).plan()}
    assert plans["approval"].action is Action.FAILED and words in plans["approval"].summary


def test_approval_wait_sees_a_late_approval(sandbox, tmp_path):
    sandbox.knobs.approve_after = 0.8
    result = make_engine(sandbox, tmp_path).apply()
    assert result.outcomes["approval"].state.value == "done"


# -- bad input: a clear error before anything is written -------------------------------------------------
@pytest.mark.parametrize("changes, words", [
    (dict(alias="astro.00000000-0000-0000-0000-000000000000.eastus2.azure.privatelinkservice"),
     "cannot see the Private Link Service alias"),
    (dict(region="westeurope"), "must be in its VNet's region"),
    (dict(resource_group="rg-missing"), "Resource group 'rg-missing' does not exist"),
    (dict(vnet="vnet-missing"), "Virtual network 'vnet-missing' was not found"),
    (dict(subnet="snet-missing"), "Subnet 'snet-missing' is not in virtual network"),
    (dict(linked_vnets=["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x/providers/"
                        "Microsoft.Network/virtualNetworks/nope"]), "Extra VNet to link"),
])
def test_bad_input_is_refused_before_any_write(sandbox, tmp_path, changes, words):
    engine = make_engine(sandbox, tmp_path, demo_config(sandbox, **changes))
    result = engine.apply()
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.outcomes["inputs"].summary
    assert sandbox.writes() == []


def test_malformed_alias_never_reaches_azure(sandbox, tmp_path):
    engine = make_engine(sandbox, tmp_path, demo_config(sandbox, alias="not-an-alias"))
    plans = engine.plan()
    assert plans[0].action is Action.FAILED and "azure.privatelinkservice" in plans[0].summary
    assert sandbox.requests == []


# -- conflicts: shown with the difference, never clobbered ---------------------------------------------
def _pe_body(sandbox, subnet):
    sub_id = f"{vnet_id(sandbox, RG, VNET)}/subnets/{subnet}"
    return {"location": "eastus2", "properties": {"subnet": {"id": sub_id}, "manualPrivateLinkServiceConnections": [
        {"name": "by-hand", "properties": {"privateLinkServiceId": sandbox.demo_alias, "groupIds": [],
                                           "requestMessage": "by hand"}}]}}


def test_endpoint_with_other_subnet_is_a_conflict(sandbox, sdk, tmp_path):
    sdk.network.private_endpoints.begin_create_or_update(RG, "astro-privatelink",
                                                         _pe_body(sandbox, "snet-aks-nodes")).result()
    mark = len(sandbox.requests)
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    pe = result.outcomes["private_endpoint"]
    assert pe.state.value == "conflict"
    assert any("snet-aks-nodes" in d and SUBNET in d for d in pe.details)
    assert not any("privateendpoints" in p for _, p in write_paths(sandbox, mark))
    assert result.outcomes["a_record"].state.value == "blocked"
    assert result.exit_code == EXIT_FAILED


def test_stale_a_record_is_a_conflict_until_the_user_chooses_update(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.1
    dns = sdk.dns
    dns.private_zones.begin_create_or_update(RG, "external.astronomer.run", {"location": "global"}).result()
    dns.record_sets.create_or_update(RG, "external.astronomer.run", "A", CLUSTER,
                                     {"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "127.20.16.99"}]}})
    result = make_engine(sandbox, tmp_path).apply()
    rec = result.outcomes["a_record"]
    assert rec.state.value == "conflict" and "127.20.16.99" in rec.summary and "--update a_record" in rec.summary
    got = dns.record_sets.get(RG, "external.astronomer.run", "A", CLUSTER)
    assert [a.ipv4_address for a in got.properties.a_records] == ["127.20.16.99"]
    result = make_engine(sandbox, tmp_path, allow_update={"a_record"}).apply()
    assert result.exit_code == EXIT_OK
    got = dns.record_sets.get(RG, "external.astronomer.run", "A", CLUSTER)
    assert got.properties.a_records[0].ipv4_address != "127.20.16.99"


def test_link_name_taken_by_another_vnet_is_a_conflict(sandbox, sdk, tmp_path):
    dns = sdk.dns
    dns.private_zones.begin_create_or_update(RG, "external.astronomer.run", {"location": "global"}).result()
    dns.virtual_network_links.begin_create_or_update(
        RG, "external.astronomer.run", "vnet-aks-prod-astro-link",
        {"location": "global", "properties": {"virtualNetwork": {"id": vnet_id(sandbox, "rg-network-hub", "vnet-hub")},
                                              "registrationEnabled": False}}).result()
    plans = {p.step: p for p in make_engine(sandbox, tmp_path).plan()}
    assert plans["vnet_links"].action is Action.CONFLICT and "vnet-hub" in plans["vnet_links"].summary


def test_zone_already_linked_elsewhere_is_reused(sandbox, sdk, tmp_path):
    """Azure refuses a second external.astronomer.run zone on a VNet, so the linked one is used."""
    sandbox.knobs.approve_after = 0.1
    dns = sdk.dns
    dns.private_zones.begin_create_or_update("rg-network-hub", "external.astronomer.run",
                                             {"location": "global"}).result()
    dns.virtual_network_links.begin_create_or_update(
        "rg-network-hub", "external.astronomer.run", "hub-link",
        {"location": "global", "properties": {"virtualNetwork": {"id": vnet_id(sandbox, RG, VNET)},
                                              "registrationEnabled": False}}).result()
    result = make_engine(sandbox, tmp_path).apply()
    assert result.exit_code == EXIT_OK
    world = world_summary(sdk)
    assert len(world["zones"]) == 1 and len(world["links"]) == 1
    assert world["records"][0].id.lower().startswith(f"/subscriptions/{sandbox.subscription_id}/resourcegroups/"
                                                     "rg-network-hub/")
    saved = json.loads(next(tmp_path.glob(f"{CLUSTER}--*.json")).read_text())   # keyed by cluster and endpoint
    assert saved["resources"]["dns_zone"]["created_by_tool"] is False


def test_extra_vnets_are_linked_too(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.1
    extra = vnet_id(sandbox, "rg-network-hub", "vnet-hub")
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, linked_vnets=[extra])).apply()
    assert result.exit_code == EXIT_OK
    linked = sorted(lk.virtual_network.id.lower() for lk in world_summary(sdk)["links"])
    assert linked == sorted([extra.lower(), vnet_id(sandbox, RG, VNET).lower()])


# -- Azure errors become one sentence with the next action ---------------------------------------------
@pytest.mark.parametrize("deny, step, words", [
    (("Microsoft.Network/privateEndpoints/write", "/subscriptions"), "private_endpoint",
     ["Microsoft.Network/privateEndpoints/write", "Network Contributor"]),
    (("Microsoft.Network/virtualNetworks/subnets/join/action", "/subscriptions"), "private_endpoint",
     ["subnets/join/action"]),
    (("Microsoft.Network/privateDnsZones/write", "/subscriptions"), "dns_zone",
     ["Microsoft.Network/privateDnsZones/write", "Private DNS Zone Contributor"]),
])
def test_permission_errors_name_action_scope_and_role(sandbox, tmp_path, deny, step, words):
    sandbox.knobs.deny_actions = [deny]
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    outcome = result.outcomes[step]
    assert outcome.state.value == "failed"
    for w in words:
        assert w in outcome.summary
    assert "\n" not in outcome.summary and "Traceback" not in outcome.summary
    assert result.exit_code == EXIT_FAILED


def test_policy_refusing_global_is_explained(sandbox, tmp_path):
    sandbox.knobs.deny_global_location = True
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    zone = result.outcomes["dns_zone"]
    assert zone.state.value == "failed" and "'global'" in zone.summary
    assert zone.error_code == "RequestDisallowedByPolicy"
    assert result.outcomes["vnet_links"].state.value == "blocked"
    assert result.outcomes["private_endpoint"].state.value == "done"  # independent work went on


# -- a setup done half by hand, and destroy ------------------------------------------------------------
def test_endpoint_made_by_hand_is_recognized_completed_and_never_destroyed(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.1
    body = _pe_body(sandbox, SUBNET)
    sdk.network.private_endpoints.begin_create_or_update(RG, "astro-privatelink", body).result()
    engine = make_engine(sandbox, tmp_path)
    assert states(engine.plan())["private_endpoint"] == "done"
    assert engine.apply().exit_code == EXIT_OK
    outcomes = make_engine(sandbox, tmp_path).destroy()
    kept = [o for o in outcomes if o.step == "private_endpoint"]
    assert kept and "did not create" in kept[0].summary
    world = world_summary(sdk)
    assert len(world["pes"]) == 1 and world["zones"] == [] and world["records"] == []


def test_destroy_removes_what_it_created_in_reverse_order(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.1
    make_engine(sandbox, tmp_path).apply()
    mark = len(sandbox.requests)
    make_engine(sandbox, tmp_path).destroy()
    deletes = [r.path.lower() for r in sandbox.requests[mark:] if r.method == "DELETE"]
    kinds = [("/a/" in p and "a_record") or ("virtualnetworklinks" in p and "link") or
             ("privateendpoints" in p and "pe") or "zone" for p in deletes]
    assert kinds == ["a_record", "link", "zone", "pe"]
    world = world_summary(sdk)
    assert world["pes"] == [] and world["nics"] == [] and world["zones"] == []
    assert make_engine(sandbox, tmp_path).destroy() == []  # nothing left to remove


def test_a_refused_create_is_not_remembered_as_ours(sandbox, sdk, tmp_path):
    """After a 403 nothing was created; an endpoint made later by hand must never be destroyed by this tool."""
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateEndpoints/write", "/subscriptions")]
    make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    saved = json.loads(next(tmp_path.glob(f"{CLUSTER}--*.json")).read_text())   # keyed by cluster and endpoint
    assert "private_endpoint" not in saved["resources"]
    assert saved["resources"]["dns_zone"]["created_by_tool"] is True  # the zone step did create its zone
    sandbox.knobs.deny_actions = []
    sdk.network.private_endpoints.begin_create_or_update(RG, "astro-privatelink", _pe_body(sandbox, SUBNET)).result()
    outcomes = make_engine(sandbox, tmp_path).destroy()
    assert not any(o.step == "private_endpoint" for o in outcomes)
    assert len(world_summary(sdk)["pes"]) == 1
