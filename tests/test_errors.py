"""Real ARM errors from the sandbox, raised by the real SDK, become one sentence with the next action."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from engine_helpers import RG, VNET, vnet_id

from wizard.core.errors import explain, role_for


def _pe(sandbox, location="eastus2", alias=None):
    subnet = f"{vnet_id(sandbox, RG, VNET)}/subnets/snet-private-endpoints"
    return {"location": location, "properties": {"subnet": {"id": subnet}, "manualPrivateLinkServiceConnections": [
        {"name": "c", "properties": {"privateLinkServiceId": alias or sandbox.demo_alias, "groupIds": []}}]}}


def _raise(call):
    with pytest.raises(HttpResponseError) as err:
        call()
    return err.value


def test_region_mismatch(sandbox, sdk):
    exc = _raise(lambda: sdk.network.private_endpoints.begin_create_or_update(RG, "pe", _pe(sandbox, "westeurope"))
                 .result())
    e = explain(exc)
    assert e.code == "InvalidResourceReference" and "same region" in e.sentence and VNET in e.sentence


def test_alias_not_visible(sandbox, sdk):
    alias = "x.00000000-0000-0000-0000-000000000000.eastus2.azure.privatelinkservice"
    exc = _raise(lambda: sdk.network.private_endpoints.begin_create_or_update(RG, "pe", _pe(sandbox, alias=alias))
                 .result())
    e = explain(exc, alias=alias, subscription_id=sandbox.subscription_id)
    assert alias in e.sentence and sandbox.subscription_id in e.sentence and "Astronomer support" in e.sentence


def test_authorization_failed_names_action_scope_role(sandbox, sdk):
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/write",
                                   f"/subscriptions/{sandbox.subscription_id}")]
    exc = _raise(lambda: sdk.dns.private_zones.begin_create_or_update(RG, "external.astronomer.run",
                                                                     {"location": "global"}).result())
    e = explain(exc)
    assert e.code == "AuthorizationFailed"
    assert "'Microsoft.Network/privateDnsZones/write'" in e.sentence and "Private DNS Zone Contributor" in e.sentence
    assert f"/subscriptions/{sandbox.subscription_id}" in e.sentence
    assert e.request_id and e.correlation_id


def test_overlapping_zone_link(sandbox, sdk):
    body = {"location": "global", "properties": {"virtualNetwork": {"id": vnet_id(sandbox, RG, VNET)},
                                                 "registrationEnabled": False}}
    for rg in (RG, "rg-network-hub"):
        sdk.dns.private_zones.begin_create_or_update(rg, "external.astronomer.run", {"location": "global"}).result()
    sdk.dns.virtual_network_links.begin_create_or_update(RG, "external.astronomer.run", "l1", body).result()
    exc = _raise(lambda: sdk.dns.virtual_network_links.begin_create_or_update(
        "rg-network-hub", "external.astronomer.run", "l2", body).result())
    assert "already linked to another 'external.astronomer.run' zone" in explain(exc).sentence


def test_missing_resource_group(sandbox, sdk):
    exc = _raise(lambda: sdk.network.virtual_networks.get("rg-nope", "v"))
    e = explain(exc)
    assert e.code == "ResourceGroupNotFound" and "rg-nope" in e.sentence


def test_unreachable_azure_is_one_sentence():
    e = explain(ServiceRequestError("Failed to establish a new connection: [Errno 111] Connection refused"))
    assert e.sentence.startswith("Could not reach Azure") and "nothing was changed" in e.sentence


def test_roles():
    assert role_for("Microsoft.Network/privateDnsZones/A/write") == "Private DNS Zone Contributor"
    assert role_for("Microsoft.Network/privateEndpoints/write") == "Network Contributor"
