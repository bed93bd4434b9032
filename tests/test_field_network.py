"""Field behaviours of Azure networking the tool must survive (issue 10, parts 4 and 5), each reproduced in the
sandbox and driven through the real SDK: transient and lingering states (a transient InvalidPrivateLinkServiceId, a
zone that cannot be deleted right after its links, an endpoint's NIC that outlives the endpoint), and what Azure
refuses, found before anything is written (a delegated or full subnet) or explained in Azure's own words (any
Azure Policy deny)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from engine_helpers import RG, SUBNET, VNET, demo_config, make_engine, states, vnet_id, world_summary

import steps.private_endpoint as private_endpoint
import steps.teardown as teardown
from steps.preflight import SubnetFacts, capacity, check_subnet, free_addresses
from wizard.core.errors import explain
from wizard.engine import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from wizard.sandbox import seeds

NIC = "pe-astro-nic"
ZONE = "external.astronomer.run"


def pe_puts(sb, since: int = 0):
    return [r for r in sb.requests if r.number > since and r.method == "PUT" and "/privateendpoints/" in r.path.lower()]


def add_subnet(sb, name: str, prefix: str, **kw) -> str:
    with sb.service.lock:
        return seeds.add_subnet(sb.world, vnet_id(sb, RG, VNET), name, prefix, **kw)


def pe_body(sb, subnet: str = SUBNET, nic: str | None = None) -> dict:
    props = {"subnet": {"id": f"{vnet_id(sb, RG, VNET)}/subnets/{subnet}"},
             "manualPrivateLinkServiceConnections": [{"name": "astro", "properties": {
                 "privateLinkServiceId": sb.demo_alias, "groupIds": [], "requestMessage": "x"}}]}
    if nic:
        props["customNetworkInterfaceName"] = nic
    return {"location": "eastus2", "properties": props}


def one_sentence(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text and text.endswith(".")


# ---- 4. InvalidPrivateLinkServiceId can be transient -----------------------------------------------------------
def test_transient_invalid_pls_id_is_sent_again_and_the_endpoint_is_created(sandbox, tmp_path):
    sandbox.knobs.pe_invalid_pls_id = 2
    events: list = []
    result = make_engine(sandbox, tmp_path, on_event=events.append).apply(wait_for_approval=False)
    assert result.outcomes["private_endpoint"].state.value == "done"
    assert [r.status for r in pe_puts(sandbox)] == [400, 400, 201]
    assert any("InvalidPrivateLinkServiceId" in e.message and "attempt 2 of" in e.message for e in events)


def test_invalid_pls_id_that_does_not_pass_is_explained_as_an_alias_problem(sandbox, sdk, tmp_path):
    sandbox.knobs.pe_invalid_pls_id = 100
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    pe = result.outcomes["private_endpoint"]
    assert pe.state.value == "failed" and pe.error_code == "InvalidPrivateLinkServiceId"
    assert "alias" in pe.summary and "Astronomer support" in pe.summary and "also after waiting" in pe.summary
    one_sentence(pe.summary)
    assert len(pe_puts(sandbox)) == private_endpoint.PLS_ID_ATTEMPTS  # bounded
    assert world_summary(sdk)["pes"] == [] and result.exit_code == EXIT_FAILED


def test_sandbox_answers_invalid_pls_id_as_azure_did(sandbox, sdk):
    sandbox.knobs.pe_invalid_pls_id = 1
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox)).result()
    assert err.value.status_code == 400 and err.value.error.code == "InvalidPrivateLinkServiceId"
    assert err.value.error.message.startswith("PrivateLinkServiceId Invalid private link service id")
    assert sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox)).result()  # it passed


def test_sandbox_accepts_a_request_message_longer_than_the_spec_says(sandbox, sdk):
    """The spec's 140 characters are not enforced for a Private Link Service (Azure/azure-sdk-for-go#14739)."""
    body = pe_body(sandbox)
    body["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]["requestMessage"] = "x" * 1000
    pe = sdk.network.private_endpoints.begin_create_or_update(RG, "pe", body).result()
    assert len(pe.manual_private_link_service_connections[0].request_message) == 1000


# ---- 4. a zone cannot be deleted right after its links -------------------------------------------------------
def test_sandbox_refuses_a_zone_delete_while_its_deleted_links_linger(sandbox, sdk):
    sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, "link", {"location": "global", "properties": {
        "virtualNetwork": {"id": vnet_id(sandbox, RG, VNET)}, "registrationEnabled": False}}).result()
    with pytest.raises(HttpResponseError) as err:   # with its link, always
        sdk.dns.private_zones.begin_delete(RG, ZONE).result()
    assert err.value.status_code == 409 and err.value.error.code == "CannotDeleteResource"
    assert f"'Microsoft.Network/privateDnsZones/{ZONE}/virtualNetworkLinks/link'" in err.value.error.message
    sandbox.knobs.zone_links_linger_seconds = 3600
    sdk.dns.virtual_network_links.begin_delete(RG, ZONE, "link").result()
    assert list(sdk.dns.virtual_network_links.list(RG, ZONE)) == []
    with pytest.raises(HttpResponseError) as err:   # and for a while after it was deleted
        sdk.dns.private_zones.begin_delete(RG, ZONE).result()
    assert err.value.error.code == "CannotDeleteResource"
    sandbox.knobs.zone_links_linger_seconds = 0
    sdk.dns.private_zones.begin_delete(RG, ZONE).result()
    assert [z.name for z in sdk.dns.private_zones.list()] == []


def test_destroy_waits_out_a_zone_that_cannot_be_deleted_yet(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.1
    assert make_engine(sandbox, tmp_path).apply().exit_code == EXIT_OK
    sandbox.knobs.zone_links_linger_seconds = 0.6
    mark = len(sandbox.requests)
    outcomes = make_engine(sandbox, tmp_path).destroy()
    assert [o.state.value for o in outcomes] == ["done"] * len(outcomes) and len(outcomes) == 4
    zone_deletes = [r.status for r in sandbox.requests[mark:] if r.method == "DELETE"
                    and r.path.lower().endswith("/privatednszones/" + ZONE)]
    assert zone_deletes[0] == 409 and zone_deletes[-1] == 202
    world = world_summary(sdk)
    assert world["zones"] == [] and world["pes"] == [] and world["links"] == []


def test_a_delete_that_must_keep_waiting_does_not_stop_the_rest_of_destroy(sandbox, sdk, tmp_path, monkeypatch):
    sandbox.knobs.approve_after = 0.1
    make_engine(sandbox, tmp_path).apply()
    sandbox.knobs.zone_links_linger_seconds = 3600
    monkeypatch.setattr(teardown, "DELETE_RETRY_BUDGET", 0.5)
    outcomes = {o.step: o for o in make_engine(sandbox, tmp_path).destroy()}
    zone = outcomes["dns_zone"]
    assert zone.state.value == "failed" and zone.error_code == "CannotDeleteResource"
    assert "run destroy again in a few minutes" in zone.summary and "virtualNetworkLinks" in zone.summary
    one_sentence(zone.summary)
    assert outcomes["private_endpoint"].state.value == "done"   # the endpoint went anyway
    world = world_summary(sdk)
    assert world["pes"] == [] and len(world["zones"]) == 1
    # Later, Azure lets go: the rerun removes only what is left.
    sandbox.knobs.zone_links_linger_seconds = 0
    again = make_engine(sandbox, tmp_path).destroy()
    assert [(o.step, o.state.value) for o in again] == [("dns_zone", "done")]
    assert world_summary(sdk)["zones"] == [] and make_engine(sandbox, tmp_path).destroy() == []


# ---- 4. an endpoint's NIC outlives the endpoint's DELETE -------------------------------------------------------
def test_sandbox_keeps_a_deleted_endpoints_nic_and_refuses_its_name(sandbox, sdk):
    sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox, nic=NIC)).result()
    sandbox.knobs.nic_linger_seconds = 3600
    sdk.network.private_endpoints.begin_delete(RG, "pe").result()
    with pytest.raises(ResourceNotFoundError):
        sdk.network.private_endpoints.get(RG, "pe")
    nic = sdk.network.network_interfaces.get(RG, NIC)
    assert nic.provisioning_state == "Deleting" and nic.private_endpoint.id.endswith("/privateEndpoints/pe")
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe2", pe_body(sandbox, nic=NIC)).result()
    assert err.value.status_code == 400
    assert f"contains custom NIC name {NIC} which already exists" in err.value.error.message
    e = explain(err.value)
    assert NIC in e.sentence and "choose another NIC name" in e.sentence
    with sandbox.service.lock:
        sandbox.world.sweep(now=float("inf"))   # its time is up
    with pytest.raises(ResourceNotFoundError):
        sdk.network.network_interfaces.get(RG, NIC)
    assert sdk.network.private_endpoints.begin_create_or_update(RG, "pe2", pe_body(sandbox, nic=NIC)).result()


def test_apply_after_destroy_waits_for_the_old_nic_then_creates(sandbox, sdk, tmp_path):
    cfg = demo_config(sandbox, nic_name=NIC)
    sandbox.knobs.approve_after = 0.1
    make_engine(sandbox, tmp_path, cfg).apply()
    sandbox.knobs.nic_linger_seconds = 1.0
    make_engine(sandbox, tmp_path, cfg).destroy()
    engine = make_engine(sandbox, tmp_path, cfg)
    plan = {p.step: p for p in engine.plan()}["private_endpoint"]
    assert plan.action.value == "create" and f"once Azure has removed network interface {NIC}" in plan.summary
    mark = len(sandbox.requests)
    events: list = []
    result = make_engine(sandbox, tmp_path, cfg, on_event=events.append).apply()
    assert result.exit_code == EXIT_OK, states(result)
    assert any(f"waiting for Azure to remove network interface {NIC}" in e.message for e in events)
    assert [r.status for r in pe_puts(sandbox, mark)] == [201]   # sent once, when the name was free
    assert sdk.network.network_interfaces.get(RG, NIC).provisioning_state == "Succeeded"


def test_a_nic_that_stays_is_reported_as_waiting_never_done(sandbox, sdk, tmp_path, monkeypatch):
    cfg = demo_config(sandbox, nic_name=NIC)
    make_engine(sandbox, tmp_path, cfg).apply(wait_for_approval=False)
    sandbox.knobs.nic_linger_seconds = 3600
    make_engine(sandbox, tmp_path, cfg).destroy()
    monkeypatch.setattr(private_endpoint, "NIC_RELEASE_BUDGET", 0.3)
    mark = len(sandbox.requests)
    result = make_engine(sandbox, tmp_path, cfg).apply(wait_for_approval=False)
    pe = result.outcomes["private_endpoint"]
    assert pe.state.value == "waiting" and f"still removing network interface {NIC}" in pe.summary
    assert "run apply again in a few minutes" in pe.summary
    one_sentence(pe.summary)
    assert pe_puts(sandbox, mark) == [] and world_summary(sdk)["pes"] == []
    assert result.exit_code != EXIT_OK


def test_a_nic_of_that_name_used_elsewhere_is_a_conflict(sandbox, sdk, tmp_path):
    sdk.network.private_endpoints.begin_create_or_update(RG, "pe-other", pe_body(sandbox, nic=NIC)).result()
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, nic_name=NIC)).apply(wait_for_approval=False)
    pe = result.outcomes["private_endpoint"]
    assert pe.state.value == "conflict" and "used by private endpoint pe-other" in pe.summary
    assert len(world_summary(sdk)["pes"]) == 1


# ---- 5. preflight of the subnet in step 1 ------------------------------------------------------------------------
def test_capacity_and_free_addresses_leave_azures_five():
    assert capacity(("10.0.0.0/29",)) == 3 and capacity(("10.0.0.0/24", "10.0.1.0/28")) == 251 + 11
    facts = SubnetFacts(id="s", name="s", prefixes=("10.0.0.0/28",), ip_configurations=10)
    assert free_addresses(facts) == 1 and not check_subnet(facts).problems
    full = SubnetFacts(id="s", name="s", prefixes=("10.0.0.0/28",), ip_configurations=11)
    assert "SubnetIsFull" in check_subnet(full).problems[0]
    assert check_subnet(full, endpoint_in_subnet=True).problems == []


def test_delegated_subnet_is_refused_before_any_write(sandbox, sdk, tmp_path):
    add_subnet(sandbox, "snet-aks-pods", "127.20.32.0/20", delegation="Microsoft.ContainerService/managedClusters")
    with pytest.raises(HttpResponseError) as err:   # what Azure answers when it is tried anyway
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox, "snet-aks-pods")).result()
    assert err.value.error.code == "PrivateEndpointCreationNotAllowedAsSubnetIsDelegated"
    assert "cannot be created as subnet" in err.value.error.message and "is delegated" in err.value.error.message
    assert "delegated subnet" in explain(err.value).sentence
    mark = len(sandbox.requests)
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, subnet="snet-aks-pods")).apply()
    inputs = result.outcomes["inputs"]
    assert inputs.state.value == "failed" and result.exit_code == EXIT_BAD_INPUT
    for words in ("'snet-aks-pods' is delegated to Microsoft.ContainerService/managedClusters",
                  "PrivateEndpointCreationNotAllowedAsSubnetIsDelegated", "'snet-private-endpoints'"):
        assert words in inputs.summary
    one_sentence(inputs.summary)
    assert sandbox.writes(mark) == []


def test_full_subnet_is_refused_before_any_write(sandbox, sdk, tmp_path):
    subnet = add_subnet(sandbox, "snet-cni-nodes", "127.20.48.0/27")
    with sandbox.service.lock:
        assert seeds.fill_subnet(sandbox.world, subnet) == 27
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox, "snet-cni-nodes")).result()
    assert err.value.error.code == "SubnetIsFull"
    assert err.value.error.message == ("Subnet snet-cni-nodes with address prefix 127.20.48.0/27 does not have enough "
                                       "capacity for 1 IP addresses.")
    assert len(sdk.network.subnets.get(RG, VNET, "snet-cni-nodes").ip_configurations) == 27
    mark = len(sandbox.requests)
    result = make_engine(sandbox, tmp_path, demo_config(sandbox, subnet="snet-cni-nodes")).apply()
    inputs = result.outcomes["inputs"]
    assert inputs.state.value == "failed" and "has no free address" in inputs.summary
    assert "27 are in use" in inputs.summary and "SubnetIsFull" in inputs.summary
    assert sandbox.writes(mark) == []


def test_a_subnet_filled_after_the_endpoint_was_made_does_not_block_a_rerun(sandbox, tmp_path):
    make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    with sandbox.service.lock:
        seeds.fill_subnet(sandbox.world, f"{vnet_id(sandbox, RG, VNET)}/subnets/{SUBNET}")
    plans = states(make_engine(sandbox, tmp_path).plan())
    assert plans["inputs"] == "done" and plans["private_endpoint"] == "done"


@pytest.mark.parametrize(("policy", "words"), [
    ("NetworkSecurityGroupEnabled", "applies to the endpoint (privateEndpointNetworkPolicies is "
                                    "NetworkSecurityGroupEnabled): it must allow inbound TCP 443"),
    ("Disabled", "does not filter traffic to the endpoint (privateEndpointNetworkPolicies is Disabled)"),
])
def test_network_policies_of_the_subnet_are_a_warning_not_a_problem(sandbox, tmp_path, policy, words):
    nsg = f"/subscriptions/{sandbox.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network/" \
          "networkSecurityGroups/nsg-aks-nodes"
    add_subnet(sandbox, "snet-pe-nsg", "127.20.64.0/24", nsg_id=nsg, endpoint_policies=policy)
    plan = make_engine(sandbox, tmp_path, demo_config(sandbox, subnet="snet-pe-nsg")).plan()[0]
    assert plan.action.value == "done"
    assert any(words in w and "'nsg-aks-nodes'" in w for w in plan.warnings), plan.warnings


# ---- 5. policy refusals, in Azure's words ------------------------------------------------------------------------
ALZ_DENY_DNS = {
    "type": "Microsoft.Network/privateDnsZones", "scope": "/providers/Microsoft.Management/managementGroups/corp",
    "assignment": "Deny-Private-DNS-Zones", "assignment_display": "Deny the creation of private DNS - Custom",
    "definition": "Deny-Private-DNS-Zones", "definition_display": "Deny the creation of private DNS",
    "definition_scope": "/providers/Microsoft.Management/managementGroups/contoso",
    "message": "Private DNS zones are managed centrally in the connectivity subscription.",
}


def test_sandbox_policy_denial_has_azures_message_and_policy_violation(sandbox, sdk):
    sandbox.knobs.deny_policies = [ALZ_DENY_DNS]
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    assert err.value.status_code == 403 and err.value.error.code == "RequestDisallowedByPolicy"
    assert err.value.error.message == (
        f"Resource '{ZONE}' was disallowed by policy. Reasons: 'Private DNS zones are managed centrally in the "
        "connectivity subscription.'. See error details for policy resource IDs.")
    info = err.value.error.additional_info
    assert [i.type for i in info] == ["PolicyViolation"]
    assert info[0].info["policyAssignmentName"] == "Deny-Private-DNS-Zones"
    assert info[0].info["policyDefinitionId"] == ("/providers/Microsoft.Management/managementGroups/contoso/providers/"
                                                  "Microsoft.Authorization/policyDefinitions/Deny-Private-DNS-Zones")
    # The rule is on zones: the endpoint and the links are not its business.
    assert sdk.network.private_endpoints.begin_create_or_update(RG, "pe", pe_body(sandbox)).result()


def test_a_hub_and_spoke_deny_on_private_dns_zones_is_named_not_blamed_on_global(sandbox, sdk, tmp_path):
    sandbox.knobs.deny_policies = [ALZ_DENY_DNS]
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    zone = result.outcomes["dns_zone"]
    assert zone.state.value == "failed" and zone.error_code == "RequestDisallowedByPolicy"
    for words in ("'Deny the creation of private DNS - Custom'", "definition 'Deny the creation of private DNS'",
                  "managementGroups/corp", "managed centrally", "hub"):
        assert words in zone.summary
    assert "global" not in zone.summary
    one_sentence(zone.summary)
    assert result.outcomes["private_endpoint"].state.value == "done"  # independent work went on
    assert result.outcomes["vnet_links"].state.value == "blocked" and world_summary(sdk)["zones"] == []


def test_an_allowed_locations_policy_is_named_and_says_global(sandbox, tmp_path):
    sandbox.knobs.deny_global_location = True
    zone = make_engine(sandbox, tmp_path).apply(wait_for_approval=False).outcomes["dns_zone"]
    assert "'Allowed locations (production)'" in zone.summary and "'global'" in zone.summary
    one_sentence(zone.summary)


def test_a_policy_applies_only_in_its_scope(sandbox, tmp_path):
    sandbox.knobs.deny_policies = [{**ALZ_DENY_DNS, "scope": f"/subscriptions/{sandbox.subscription_id}/"
                                                             "resourceGroups/rg-network-hub"}]
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    assert result.outcomes["dns_zone"].state.value == "done"


def test_any_policy_can_deny_the_endpoint_too(sandbox, sdk, tmp_path):
    sandbox.knobs.deny_policies = [{
        "type": "Microsoft.Network/privateEndpoints", "scope": f"/subscriptions/{sandbox.subscription_id}/"
                                                               f"resourceGroups/{RG}",
        "assignment": "deny-pe-prod", "assignment_display": "No private endpoints without a change",
        "definition": "deny-private-endpoints", "message": "Private endpoints need an approved change."}]
    result = make_engine(sandbox, tmp_path).apply(wait_for_approval=False)
    pe = result.outcomes["private_endpoint"]
    assert pe.state.value == "failed" and pe.error_code == "RequestDisallowedByPolicy"
    assert "'No private endpoints without a change'" in pe.summary and "exemption" in pe.summary
    assert "global" not in pe.summary and world_summary(sdk)["pes"] == []
