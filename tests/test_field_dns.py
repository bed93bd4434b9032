"""Private DNS as the field shows it: failures that arrive late through the operation status, and the per-zone
(per-link) operation queue that answers 409 while another operation runs.

The sandbox half checks the knobs through the real SDK; the product half drives the engine and checks that it
ends right: the state Azure shows, one sentence with the cause and the next action, and never a false "done".
"""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from engine_helpers import RG, VNET, demo_config, make_engine, states, vnet_id, world_summary

from steps.base import Action, is_busy_conflict
from wizard.core.errors import StepFailed
from wizard.engine import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_PENDING
from wizard.sandbox.arm.model import ArmError, Knobs, LroFailure
from wizard.sandbox.seeds import add_subnet, add_vnet
from wizard.sandbox.world import T_ZONE

ZONE = "external.astronomer.run"
HUB_RG, HUB = "rg-network-hub", "vnet-hub"
# Azure/ARO-RP#796: the refusal arrives as the operation's error, the link left "Failed".
OVERLAP = ("A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link "
           "virtual network with 'external.astronomer.run' and 'external.astronomer.run' zones.")


def link_body(sb, rg=RG, name=VNET):
    return {"location": "global", "properties": {"virtualNetwork": {"id": vnet_id(sb, rg, name)},
                                                 "registrationEnabled": False}}


def make_zone(sdk, rg=RG):
    sdk.dns.private_zones.begin_create_or_update(rg, ZONE, {"location": "global"}, polling_interval=0).result()


def link_state(sdk, name, rg=RG):
    return sdk.dns.virtual_network_links.get(rg, ZONE, name).provisioning_state


# -- the sandbox: failures through the operation status ------------------------------------------------------
@pytest.mark.parametrize("status", ["Failed", "Canceled"])
def test_a_link_put_is_accepted_then_fails_through_the_operation(sandbox, sdk, status):
    make_zone(sdk)
    sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "vnet-*", "BadRequest", OVERLAP, status, 1)]
    poller = sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "vnet-aks-link", link_body(sandbox),
                                                                 polling_interval=0)
    put = next(r for r in sandbox.requests if r.method == "PUT" and "virtualnetworklinks" in r.path.lower())
    assert put.status == 202  # accepted: the refusal comes later
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "BadRequest" and err.value.error.message == OVERLAP
    assert link_state(sdk, "vnet-aks-link") == status       # left behind in that state
    assert sandbox.knobs.lro_failures[0].times == 0
    # the rule is used up: sending the link again repairs it
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "vnet-aks-link", link_body(sandbox),
                                                         polling_interval=0).result()
    assert link_state(sdk, "vnet-aks-link") == "Succeeded"


def test_any_long_running_put_can_fail_so(sandbox, sdk):
    """A network PUT too (the private endpoint), matched by type and name pattern; other names are untouched."""
    sandbox.knobs.lro_failures = [LroFailure("privateEndpoints", "pe-bad*", "InternalServerError", "Boom.")]
    subnet = (f"{vnet_id(sandbox, RG, VNET)}/subnets/snet-private-endpoints")
    body = {"location": "eastus2", "properties": {"subnet": {"id": subnet}, "manualPrivateLinkServiceConnections": [
        {"name": "c", "properties": {"privateLinkServiceId": sandbox.demo_alias, "groupIds": [],
                                     "requestMessage": "hi"}}]}}
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe-bad-1", body, polling_interval=0).result()
    assert err.value.error.code == "InternalServerError"
    assert sdk.network.private_endpoints.get(RG, "pe-bad-1").provisioning_state == "Failed"
    sdk.network.private_endpoints.begin_create_or_update(RG, "pe-good", body, polling_interval=0).result()
    assert sdk.network.private_endpoints.get(RG, "pe-good").provisioning_state == "Succeeded"


def test_lro_failure_rules_are_checked_when_set():
    knobs = Knobs()
    knobs.update({"lro_failures": [{"type": "privateDnsZones", "code": "Conflict", "message": "m", "times": 2}]})
    assert knobs.lro_failures == [LroFailure("privateDnsZones", "*", "Conflict", "m", "Failed", 2)]
    assert knobs.to_json()["lro_failures"][0]["times"] == 2
    for bad in ({"code": "X"}, {"type": "x", "status": "Succeeded"}, {"type": "x", "colour": "red"}):
        with pytest.raises(ArmError):
            knobs.update({"lro_failures": [bad]})
    with pytest.raises(ArmError):
        knobs.update({"dns_write_queue": "sometimes"})


# -- the sandbox: the operation queue ------------------------------------------------------------------------
def test_a_second_write_to_a_link_while_its_operation_runs_gets_the_queued_409(sandbox, sdk):
    make_zone(sdk)
    sandbox.knobs.lro_seconds["virtualNetworkLink"] = 1.0
    first = sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "l1", link_body(sandbox))
    with pytest.raises(ResourceExistsError) as err:   # the SDK maps any 409 to "exists": it is not proof
        sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "l1", link_body(sandbox))
    assert err.value.status_code == 409 and err.value.error.code == "Conflict" and is_busy_conflict(err.value)
    sub = sandbox.subscription_id
    assert err.value.error.message.startswith(
        "Another operation is pending for requested object. Operation group "
        f"'/operations/groups/id/|virtualNetworkLinks|{sub}|{RG}|{ZONE}|l1' already has 1 operations like "
        "'/operations/type/UpsertVirtualNetworkLink/id/")
    assert err.value.error.message.endswith(f"_{sub}' queued.")
    # per resource by default: another link and a record in the same zone go through meanwhile
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "l2", link_body(sandbox, HUB_RG, HUB),
                                                         polling=False)
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "x", {"properties": {"ttl": 10, "aRecords": []}})
    first.result()
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "l1", link_body(sandbox)).result()


def test_the_zone_wide_queue_and_off(sandbox, sdk):
    sandbox.knobs.lro_seconds["privateDnsZone"] = 1.0
    poller = sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"})
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"})
    assert f"|subscriptions|{sandbox.subscription_id}|resourceGroups|{RG}|privateDnsZones|{ZONE}'" in \
        err.value.error.message and "/operations/type/UpsertPrivateDnsZone/id/" in err.value.error.message
    sandbox.knobs.dns_write_queue = "zone"
    with pytest.raises(HttpResponseError) as err:   # a record set waits for the zone's operation too
        sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "x", {"properties": {"ttl": 10, "aRecords": []}})
    assert is_busy_conflict(err.value)
    sandbox.knobs.dns_write_queue = "off"
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "x", {"properties": {"ttl": 10, "aRecords": []}})
    poller.result()


# -- the product: a link refused through the operation --------------------------------------------------------
def test_a_link_refused_late_is_never_done_and_a_rerun_sends_it_again(sandbox, sdk, tmp_path):
    sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "*", "BadRequest", OVERLAP)]
    first = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    link = first.outcomes["vnet_links"]
    assert link.state.value == "failed" and first.exit_code == EXIT_FAILED
    assert link.summary.startswith("That VNet is already linked to another 'external.astronomer.run' zone")
    assert ". " not in link.summary and ": use that zone" in link.summary   # one sentence, with the next action
    (made,) = world_summary(sdk)["links"]
    assert made.provisioning_state == "Failed"
    # the second run: Azure still shows Failed, so the plan says so and apply sends it again, never "done"
    engine = make_engine(sandbox, tmp_path)
    plan = {p.step: p for p in engine.plan()}["vnet_links"]
    assert plan.action is Action.UPDATE and "Send link 'vnet-aks-prod-astro-link' (vnet-aks-prod) again" in plan.summary
    mark = len(sandbox.requests)
    second = engine.apply(wait_for_approval=False)
    assert second.outcomes["vnet_links"].state.value == "failed"
    assert second.outcomes["vnet_links"].summary == link.summary
    assert [r.method for r in sandbox.writes(mark) if "virtualnetworklinks" in r.path.lower()] == ["PUT"]
    # Azure accepts it now: the third run repairs it and only then says linked
    sandbox.knobs.lro_failures = []
    third = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert third.outcomes["vnet_links"].state.value == "done" and third.exit_code == EXIT_PENDING
    (made,) = world_summary(sdk)["links"]
    assert made.provisioning_state == "Succeeded" and made.name == "vnet-aks-prod-astro-link"


def test_a_canceled_link_left_by_an_earlier_run_is_sent_again(sandbox, sdk, tmp_path):
    sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "*", "Canceled",
                                             "Operation was canceled.", "Canceled", 1)]
    first = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert first.outcomes["vnet_links"].state.value == "failed"
    assert "Operation was canceled" in first.outcomes["vnet_links"].summary
    assert world_summary(sdk)["links"][0].provisioning_state == "Canceled"
    second = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert states(second)["vnet_links"] == "done"
    assert world_summary(sdk)["links"][0].provisioning_state == "Succeeded"


def test_a_link_that_ends_failed_while_waited_for_is_not_done(sandbox, sdk, tmp_path):
    """Someone else's link to the VNet is still Creating when the tool plans (waiting), then ends Failed: the
    wait returns a terminal state, which is checked, not taken for success."""
    make_zone(sdk)
    sandbox.knobs.lro_seconds["virtualNetworkLink"] = 1.0
    sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "hand-made", "InternalServerError", "Boom.")]
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "hand-made", link_body(sandbox), polling=False)
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert {p.step: p for p in result.plans}["vnet_links"].action is Action.WAITING
    outcome = result.outcomes["vnet_links"]
    assert outcome.state.value == "failed" and outcome.error_code == "ProvisioningStateFailed"
    assert outcome.summary == ("Azure left link 'hand-made' to vnet-aks-prod in state Failed: run again to send it "
                               "again.")


@pytest.mark.parametrize("status", ["Failed", "Canceled"])
def test_an_endpoint_left_failed_or_canceled_is_sent_again(sandbox, sdk, tmp_path, status):
    sandbox.knobs.lro_failures = [LroFailure("privateEndpoints", "*", "InternalServerError", "Boom.", status, 1)]
    first = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert states(first)["private_endpoint"] == "failed" and states(first)["a_record"] == "blocked"
    assert world_summary(sdk)["pes"][0].provisioning_state == status
    plan = {p.step: p for p in make_engine(sandbox, tmp_path).plan()}["private_endpoint"]
    assert plan.action is Action.UPDATE
    second = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert second.exit_code == EXIT_PENDING, states(second)
    assert world_summary(sdk)["pes"][0].provisioning_state == "Succeeded"


# -- the product: a zone left Failed or being deleted ---------------------------------------------------------
def test_a_zone_left_failed_is_repaired_with_its_tags_and_then_converges(sandbox, sdk, tmp_path):
    sandbox.knobs.lro_failures = [LroFailure("privateDnsZones", ZONE, "InternalServerError",
                                             "An internal error occurred.", "Failed", 1)]
    first = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert states(first)["dns_zone"] == "failed" and states(first)["vnet_links"] == "blocked"
    assert sdk.dns.private_zones.get(RG, ZONE).provisioning_state == "Failed"
    with sandbox.service.lock:
        sandbox.world.get({p.step: p for p in first.plans}["dns_zone"].creates["dns_zone"]).body["tags"] = {
            "owner": "dns-team"}
    plan = {p.step: p for p in make_engine(sandbox, tmp_path).plan()}["dns_zone"]
    assert plan.action is Action.UPDATE and "is in state Failed" in plan.summary
    second = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert second.exit_code == EXIT_PENDING, states(second)
    zone = sdk.dns.private_zones.get(RG, ZONE)
    assert zone.provisioning_state == "Succeeded" and zone.tags == {"owner": "dns-team"}
    assert len(world_summary(sdk)["links"]) == 1 and len(world_summary(sdk)["records"]) == 1


def test_a_zone_being_deleted_is_never_used(sandbox, sdk, tmp_path):
    make_zone(sdk)
    with sandbox.service.lock:
        zone = sandbox.world.of_type(T_ZONE)[0]
        zone.busy_until, zone.busy_state = time.time() + 60, "Deleting"
    plans = {p.step: p for p in make_engine(sandbox, tmp_path).plan()}
    assert plans["dns_zone"].action is Action.FAILED
    assert plans["dns_zone"].summary == (f"Azure is deleting zone {ZONE} in resource group '{RG}': wait until it is "
                                         "gone, then run again (a new zone is created then).")


# -- the product: the queued 409 ------------------------------------------------------------------------------
def _foreign_link_in_the_zone(sandbox, sdk, seconds):
    """Someone else links the zone to the hub VNet with a slow operation; with the zone-wide queue every other
    write to the zone meets a 409 until it ends."""
    make_zone(sdk)
    sandbox.knobs.dns_write_queue = "zone"
    sandbox.knobs.lro_seconds["virtualNetworkLink"] = seconds
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "someone-else", link_body(sandbox, HUB_RG, HUB),
                                                         polling=False)   # no poller thread left behind
    sandbox.knobs.lro_seconds["virtualNetworkLink"] = 0.1


def test_queued_409s_are_retried_until_azure_accepts(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.0
    _foreign_link_in_the_zone(sandbox, sdk, 1.0)
    result = make_engine(sandbox, tmp_path).apply()
    assert result.exit_code == EXIT_OK, result.outcomes
    busy = [r for r in sandbox.requests if r.status == 409]
    assert {r.path.lower().split("/")[-2] for r in busy} >= {"virtualnetworklinks", "a"}   # links and the record
    world = world_summary(sdk)
    assert sorted(lk.name for lk in world["links"]) == ["someone-else", "vnet-aks-prod-astro-link"]
    assert all(lk.provisioning_state == "Succeeded" for lk in world["links"]) and len(world["records"]) == 1


def test_a_409_that_lasts_is_explained_and_never_read_as_linked(sandbox, sdk, tmp_path):
    _foreign_link_in_the_zone(sandbox, sdk, 30.0)
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    outcome = result.outcomes["vnet_links"]
    assert outcome.state.value == "failed" and outcome.error_code == "Conflict"
    assert outcome.summary == ("Azure is still busy with another change to the private DNS zone (it takes one at a "
                               "time): wait a minute, then run again; nothing is lost.")
    assert [lk.name for lk in world_summary(sdk)["links"]] == ["someone-else"]   # no link of ours: not "linked"
    record = result.outcomes["a_record"]   # the record met the same queue
    assert record.state.value == "failed" and record.summary == outcome.summary and world_summary(sdk)["records"] == []
    assert len([r for r in sandbox.writes() if r.status == 409 and "virtualnetworklinks" in r.path.lower()]) == 8


def _link_step_alone(sandbox, sdk, drop_after_zone: int | None = None):
    """Create the zone, then plan and apply only the links step (one thread: request numbers repeat)."""
    make_zone(sdk)
    mark = sandbox.requests[-1].number
    if drop_after_zone is not None:
        sandbox.knobs.drop_at = {mark + drop_after_zone}
    engine = make_engine(sandbox, None)
    step = engine.by_key["vnet_links"]
    outcome = step.apply(engine.ctx, step.run_plan(engine.ctx), lambda step, message: None)
    return mark, outcome


def test_a_dropped_link_put_retried_into_the_queue_is_read_back(sandbox, sdk):
    """The connection drops after Azure accepted the link; the SDK sends the PUT again and meets the running
    operation (409). The step re-reads: the link exists, it waits for it and checks the state it ends in."""
    sandbox.knobs.lro_seconds["virtualNetworkLink"] = 0.5
    mark, _ = _link_step_alone(sandbox, sdk)
    put = next(r.number for r in sandbox.requests if r.method == "PUT" and "virtualnetworklinks" in r.path.lower())
    sandbox.reset("demo")
    sandbox.knobs.poll_retry_after_ms = 50
    sandbox.knobs.lro_seconds.update(privateDnsZone=0.2, virtualNetworkLink=0.5)
    mark, outcome = _link_step_alone(sandbox, sdk, drop_after_zone=put - mark)
    assert outcome.state.value == "done", outcome
    puts = [r for r in sandbox.requests if r.method == "PUT" and "virtualnetworklinks" in r.path.lower()]
    assert puts[0].dropped and [r.status for r in puts[1:]] == [409]
    (link,) = world_summary(sdk)["links"]
    assert link.provisioning_state == "Succeeded"


def test_apply_links_under_the_zone_the_plan_chose(sandbox, sdk):
    """Between plan and apply, another zone gets linked to an agents' VNet. Apply still writes where the plan
    said, and Azure's refusal is reported, instead of re-choosing the zone and taking its 409 for "linked"."""
    make_zone(sdk)
    engine = make_engine(sandbox, None, demo_config(sandbox, linked_vnets=[vnet_id(sandbox, HUB_RG, HUB)]))
    step = engine.by_key["vnet_links"]
    plan = step.run_plan(engine.ctx)
    assert plan.need().zone_resource_group == RG and plan.action is Action.CREATE
    make_zone(sdk, HUB_RG)
    sdk.dns.virtual_network_links.begin_create_or_update(HUB_RG, ZONE, "hub-link", link_body(sandbox, HUB_RG, HUB),
                                                         polling_interval=0).result()
    engine.ctx.refresh()
    with pytest.raises(StepFailed) as err:
        step.apply(engine.ctx, plan, lambda step, message: None)
    assert err.value.explained.sentence.startswith("That VNet is already linked to another")
    assert [lk.name for lk in sdk.dns.virtual_network_links.list(RG, ZONE)] == ["vnet-aks-prod-astro-link"]
    assert [lk.name for lk in sdk.dns.virtual_network_links.list(HUB_RG, ZONE)] == ["hub-link"]


# -- the product: never two creates of one link id ------------------------------------------------------------
def test_a_fixed_link_name_for_several_vnets_is_refused_before_anything_is_written(sandbox, tmp_path):
    config = demo_config(sandbox, link_name="astro-link", linked_vnets=[vnet_id(sandbox, HUB_RG, HUB)])
    result = make_engine(sandbox, tmp_path, config).apply()
    assert result.exit_code == EXIT_BAD_INPUT and sandbox.writes() == []
    assert result.outcomes["inputs"].summary == (
        "[dns] link_name 'astro-link' has no {vnet}, so the links to vnet-aks-prod and vnet-hub would get the same "
        "name (a link name is unique in the zone): put {vnet} in it, or remove it to use the default names.")


def _same_named_vnet(sandbox):
    with sandbox.service.lock:
        other = add_vnet(sandbox.world, sandbox.subscription_id, HUB_RG, VNET, "eastus2", ["127.22.0.0/16"])
        add_subnet(sandbox.world, other, "snet-nodes", "127.22.0.0/24")
    return other


def test_same_named_vnets_in_two_resource_groups_get_two_links(sandbox, sdk, tmp_path):
    other = _same_named_vnet(sandbox)
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, linked_vnets=[other])).apply(wait_for_approval=False)
    assert states(result)["vnet_links"] == "done", result.outcomes["vnet_links"]
    links = {lk.name: lk.virtual_network.id.lower() for lk in world_summary(sdk)["links"]}
    assert links == {"vnet-aks-prod-astro-link": vnet_id(sandbox, RG, VNET).lower(),
                     "vnet-aks-prod-rg-network-hub-astro-link": other.lower()}
    assert {k for k in result.outcomes["vnet_links"].resources} == {
        "vnet_link:vnet-aks-prod", "vnet_link:rg-network-hub/vnet-aks-prod"}
    config = demo_config(sandbox, linked_vnets=[other], link_name="{vnet}-link")
    assert any("gives the VNets named 'vnet-aks-prod' in resource groups rg-aks-prod and rg-network-hub the same "
               "link name" in p for p in config.problems())


def test_concurrent_steps_meet_no_queue_of_their_own(sandbox, tmp_path):
    """With the default (per-resource) queue the tool's own writes never collide: links, record and zone are
    distinct resources, and one link name is never written twice."""
    other = _same_named_vnet(sandbox)
    sandbox.knobs.approve_after = 0.0
    config = demo_config(sandbox, linked_vnets=[other, vnet_id(sandbox, HUB_RG, HUB)])
    result = make_engine(sandbox, tmp_path, config).apply()
    assert result.exit_code == EXIT_OK, result.outcomes
    assert [r for r in sandbox.requests if r.status == 409] == []


def test_a_link_made_beside_one_azure_refused_stays_recorded_as_made_by_this_tool(sandbox, tmp_path):
    """Links are written at once: when Azure refuses one (403 on its VNet) after making another, the one it made
    stays in the setup record as this tool's (so destroy removes it), and the refused one is not claimed."""
    hub = vnet_id(sandbox, "rg-network-hub", "vnet-hub")
    sandbox.knobs.deny_actions = [("Microsoft.Network/virtualNetworks/join/action", hub)]
    cfg = demo_config(sandbox, linked_vnets=[hub])
    result = make_engine(sandbox, tmp_path, cfg).apply(wait_for_approval=False)
    assert states(result)["vnet_links"] == "failed"
    record = make_engine(sandbox, tmp_path, cfg).record
    assert record is not None
    made = record.resources.get(f"vnet_link:{VNET}")
    assert made is not None and made.created_by_tool, record.resources
    assert "vnet_link:vnet-hub" not in record.resources


def test_a_resource_answered_without_a_provisioning_state_is_settled():
    """ARM's 200 without `provisioningState` means done: waiting for it must end, as Succeeded."""
    import threading
    from types import SimpleNamespace

    from steps.base import wait_until_settled

    ctx = SimpleNamespace(factory=SimpleNamespace(settings=SimpleNamespace(polling_interval=0.01)),
                          cancel=threading.Event())
    reads = iter(["Updating", ""])
    assert wait_until_settled(ctx, "vnet_links", "finishing", lambda s, m: None, lambda: next(reads)) == "Succeeded"
    assert wait_until_settled(ctx, "vnet_links", "finishing", lambda s, m: None, lambda: None) is None
