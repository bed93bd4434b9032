"""ARM errors from the sandbox surface through the real SDK as HttpResponseError with the right code,
and a refused request writes nothing."""

from __future__ import annotations

import ssl

import httpx
import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from conftest import make_sdk
from test_sandbox_arm import RG, ZONE, create_pe, ids, pe_body

from wizard.sandbox.seeds import HIDDEN_ALIAS
from wizard.sandbox.world import T_NIC, T_PE


def http(sb) -> httpx.Client:
    return httpx.Client(base_url=sb.arm_endpoint, verify=ssl.create_default_context(cafile=sb.ca_file))


def code_of(excinfo) -> str:
    return excinfo.value.error.code


def nothing_written(sb) -> bool:
    world = sb.world
    return not world.of_type(T_PE) and not world.of_type(T_NIC) and not any(world.ip_used.values())


# ---- authentication and request shape ----------------------------------------------------------------------
def test_missing_token_is_401_authentication_failed(sandbox):
    with http(sandbox) as client:
        resp = client.get(f"/subscriptions/{sandbox.subscription_id}/resourcegroups?api-version=2025-04-01")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "AuthenticationFailed"
    assert "'Authorization' header is missing" in resp.json()["error"]["message"]
    assert resp.headers["x-ms-request-id"] and resp.headers["content-type"].startswith("application/json")


def test_wrong_token_is_401_through_the_sdk(sandbox):
    sdk = make_sdk(sandbox, token="not-the-token")
    with pytest.raises(ClientAuthenticationError) as err:
        sdk.resources.resource_groups.get(RG)
    assert code_of(err) == "InvalidAuthenticationToken"


def test_missing_api_version_and_correlation_echo(sandbox):
    with http(sandbox) as client:
        resp = client.get(f"/subscriptions/{sandbox.subscription_id}/resourcegroups",
                          headers={"Authorization": f"Bearer {sandbox.token}",
                                   "x-ms-correlation-request-id": "abc-123"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "MissingApiVersionParameter"
    assert resp.headers["x-ms-correlation-request-id"] == "abc-123"


def test_duplicate_api_version_in_next_link_is_accepted(sandbox):
    with http(sandbox) as client:
        resp = client.get(f"/subscriptions/{sandbox.subscription_id}/resourcegroups"
                          "?api-version=2025-04-01&api-version=2025-04-01",
                          headers={"Authorization": f"Bearer {sandbox.token}"})
    assert resp.status_code == 200 and len(resp.json()["value"]) == 3


# ---- not found ---------------------------------------------------------------------------------------------
def test_not_found_codes(sandbox, sdk):
    with pytest.raises(ResourceNotFoundError) as err:
        sdk.network.virtual_networks.get("rg-missing", "vnet")
    assert code_of(err) == "ResourceGroupNotFound"
    assert err.value.error.message == "Resource group 'rg-missing' could not be found."
    with pytest.raises(ResourceNotFoundError) as err:
        sdk.network.virtual_networks.get(RG, "vnet-missing")
    assert code_of(err) == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        sdk.network.subnets.get(RG, "vnet-aks-prod", "snet-missing")
    assert code_of(err) == "NotFound"
    with pytest.raises(ResourceNotFoundError) as err:
        sdk.resources.resource_groups.get("rg-missing")
    assert code_of(err) == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError):
        sdk.dns.private_zones.get(RG, ZONE)
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update("rg-missing", "pe", pe_body(sandbox)).result()
    assert code_of(err) == "ResourceGroupNotFound" and nothing_written(sandbox)


def test_delete_of_missing_resource_is_204(sandbox, sdk):
    assert sdk.network.private_endpoints.begin_delete(RG, "pe-missing").result() is None
    assert sandbox.requests[-1].status == 204


# ---- private endpoint validation ---------------------------------------------------------------------------
def _weu_subnet_in_eastus2(sb):
    return pe_body(sb, subnet_id=ids(sb)["weu_subnet"])


PE_ERRORS = [
    ("bad name", "-pe-", lambda sb: pe_body(sb), "InvalidResourceName"),
    ("missing subnet", "pe", lambda sb: pe_body(sb, subnet_id=ids(sb)["vnet"] + "/subnets/nope"),
     "InvalidResourceReference"),
    ("region mismatch", "pe", _weu_subnet_in_eastus2, "InvalidResourceReference"),
    ("unknown alias", "pe", lambda sb: pe_body(sb, alias="x.6c1c4e0e-0000-4000-8000-000000000000.eastus2.azure"
                                               ".privatelinkservice"),
     "ThirdPartyPrivateLinkServiceProvidedDuringPrivateEndpointCreationDoesNotExistOrIsNotVisible"),
    ("alias not visible", "pe", lambda sb: pe_body(sb, alias=HIDDEN_ALIAS),
     "ThirdPartyPrivateLinkServiceProvidedDuringPrivateEndpointCreationDoesNotExistOrIsNotVisible"),
]


@pytest.mark.parametrize("name,body,code", [e[1:] for e in PE_ERRORS], ids=[e[0] for e in PE_ERRORS])
def test_private_endpoint_validation_errors(sandbox, sdk, name, body, code):
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, name, body(sandbox)).result()
    assert err.value.status_code == 400 and code_of(err) == code
    assert nothing_written(sandbox)


def test_region_mismatch_message_names_the_vnet(sandbox, sdk):
    with pytest.raises(HttpResponseError) as err:
        sdk.network.private_endpoints.begin_create_or_update(RG, "pe", _weu_subnet_in_eastus2(sandbox)).result()
    vnet = ids(sandbox)["weu_subnet"].rsplit("/", 2)[0]
    assert err.value.error.message.startswith(f"Resource {vnet} referenced by resource ")
    assert "both resources are in the same region" in err.value.error.message


def test_private_endpoint_write_denied(sandbox, sdk):
    scope = f"/subscriptions/{sandbox.subscription_id}/resourceGroups/{RG}"
    sandbox.knobs.deny_actions = [("microsoft.network/privateendpoints/write", scope.upper())]
    with pytest.raises(HttpResponseError) as err:
        create_pe(sdk, sandbox)
    assert err.value.status_code == 403 and code_of(err) == "AuthorizationFailed"
    assert "'Microsoft.Network/privateEndpoints/write' over scope" in err.value.error.message
    assert nothing_written(sandbox)


def test_subnet_join_denied_is_linked_authorization_failed(sandbox, sdk):
    sandbox.knobs.deny_actions = [("Microsoft.Network/virtualNetworks/subnets/join/action", ids(sandbox)["vnet"])]
    with pytest.raises(HttpResponseError) as err:
        create_pe(sdk, sandbox)
    assert err.value.status_code == 403 and code_of(err) == "LinkedAuthorizationFailed"
    assert ids(sandbox)["pe_subnet"] in err.value.error.message
    assert nothing_written(sandbox)


def test_changing_subnet_or_alias_of_existing_endpoint_is_refused(sandbox, sdk):
    create_pe(sdk, sandbox)
    other_subnet = ids(sandbox)["vnet"] + "/subnets/snet-aks-nodes"
    with pytest.raises(HttpResponseError) as err:
        create_pe(sdk, sandbox, subnet_id=other_subnet)
    assert code_of(err) == "CannotChangeSubnetOnExistingPrivateEndpoint"
    sandbox.world.aliases[HIDDEN_ALIAS.lower()].visible_to.add(sandbox.subscription_id.lower())
    with pytest.raises(HttpResponseError) as err:
        create_pe(sdk, sandbox, alias=HIDDEN_ALIAS)
    assert code_of(err) == "CannotChangePrivateLinkConnectionOnPrivateEndpoint"
    assert len(sandbox.world.of_type(T_NIC)) == 1


def test_nic_of_a_private_endpoint_cannot_be_deleted(sandbox, sdk):
    create_pe(sdk, sandbox)
    with pytest.raises(HttpResponseError) as err:
        sdk.network.network_interfaces.begin_delete(RG, "pe-astro-nic").result()
    assert err.value.status_code == 400 and code_of(err) == "NicInUse"
    assert sdk.network.network_interfaces.get(RG, "pe-astro-nic")


def test_subnet_outside_vnet_and_rg_location_conflict(sandbox, sdk):
    with pytest.raises(HttpResponseError) as err:
        sdk.network.subnets.begin_create_or_update(RG, "vnet-aks-prod", "bad", {
            "properties": {"addressPrefix": "127.99.0.0/24"}}).result()
    assert code_of(err) == "NetcfgSubnetRangeOutsideVnet"
    with pytest.raises(HttpResponseError) as err:
        sdk.resources.resource_groups.create_or_update(RG, {"location": "westeurope"})
    assert code_of(err) == "InvalidResourceGroupLocation"


# ---- private DNS -------------------------------------------------------------------------------------------
def make_zone(sdk, rg: str = RG, name: str = ZONE):
    return sdk.dns.private_zones.begin_create_or_update(rg, name, {"location": "global"}).result()


def link(sdk, vnet_id: str, rg: str = RG, name: str = "link-aks", zone: str = ZONE):
    return sdk.dns.virtual_network_links.begin_create_or_update(rg, zone, name, {
        "location": "global", "properties": {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": False}}).result()


def test_zone_location_policy_and_preconditions(sandbox, sdk):
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "eastus2"}).result()
    assert code_of(err) == "LocationNotAvailableForResourceType"
    sandbox.knobs.deny_global_location = True
    with pytest.raises(HttpResponseError) as err:
        make_zone(sdk)
    assert err.value.status_code == 403 and code_of(err) == "RequestDisallowedByPolicy"
    assert "policyAssignments" in err.value.error.additional_info[0].info["policyAssignmentId"]
    sandbox.knobs.deny_global_location = False
    assert list(sdk.dns.private_zones.list()) == []
    zone = make_zone(sdk)
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"},
                                                     match_condition=MatchConditions.IfMissing).result()
    assert err.value.status_code == 412 and code_of(err) == "PreconditionFailed"
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}, etag="stale",
                                                     match_condition=MatchConditions.IfNotModified).result()
    assert code_of(err) == "PreconditionFailed"
    same = sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}, etag=zone.etag,
                                                        match_condition=MatchConditions.IfNotModified).result()
    assert same.name == ZONE


def test_zone_write_denied(sandbox, sdk):
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/write", "/")]
    with pytest.raises(HttpResponseError) as err:
        make_zone(sdk)
    assert code_of(err) == "AuthorizationFailed"
    assert list(sdk.dns.private_zones.list()) == []


def test_link_errors(sandbox, sdk):
    vnet = ids(sandbox)["vnet"]
    make_zone(sdk)
    with pytest.raises(HttpResponseError) as err:
        link(sdk, vnet + "-missing")
    assert err.value.status_code == 400
    sandbox.knobs.deny_actions = [("Microsoft.Network/virtualNetworks/join/action", vnet)]
    with pytest.raises(HttpResponseError) as err:
        link(sdk, vnet)
    assert code_of(err) == "LinkedAuthorizationFailed"
    sandbox.knobs.deny_actions = []
    link(sdk, vnet)
    with pytest.raises(HttpResponseError) as err:
        link(sdk, vnet, name="link-again")
    assert err.value.status_code == 409 and code_of(err) == "Conflict"
    make_zone(sdk, rg="rg-network-hub")
    with pytest.raises(HttpResponseError) as err:
        link(sdk, vnet, rg="rg-network-hub")
    assert err.value.status_code == 400 and code_of(err) == "BadRequest"
    assert err.value.error.message == (
        "A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link "
        "virtual network with 'external.astronomer.run' and 'external.astronomer.run' zones.")
    assert [x.name for x in sdk.dns.virtual_network_links.list(RG, ZONE)] == ["link-aks"]
    assert list(sdk.dns.virtual_network_links.list("rg-network-hub", ZONE)) == []
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.private_zones.begin_delete(RG, ZONE).result()
    assert err.value.status_code == 409
    with pytest.raises(ResourceNotFoundError) as err:
        link(sdk, vnet, zone="missing.example.internal")
    assert code_of(err) == "ParentResourceNotFound"


def test_record_errors(sandbox, sdk):
    make_zone(sdk)
    body = {"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "127.20.16.4"}]}}
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "host", body)
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "host", body, match_condition=MatchConditions.IfMissing)
    assert code_of(err) == "PreconditionFailed"
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "bad", {"properties": {
            "ttl": 10, "aRecords": [{"ipv4Address": "not-an-ip"}]}})
    assert err.value.status_code == 400
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/A/write", "/subscriptions/")]
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.record_sets.create_or_update(RG, ZONE, "A", "other", body)
    assert code_of(err) == "AuthorizationFailed"
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/A/delete", "/subscriptions/")]
    with pytest.raises(HttpResponseError) as err:
        sdk.dns.record_sets.delete(RG, ZONE, "A", "host")
    assert code_of(err) == "AuthorizationFailed"
    assert sorted(r.name for r in sdk.dns.record_sets.list(RG, ZONE)) == ["@", "host"]
    with pytest.raises(ResourceNotFoundError) as err:
        sdk.dns.record_sets.create_or_update(RG, "missing.example.internal", "A", "host", body)
    assert code_of(err) == "ParentResourceNotFound"
