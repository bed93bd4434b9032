"""Fault knobs of the sandbox ARM, seen through the real SDK's retry and polling policies."""

from __future__ import annotations

import itertools
import ssl
import time

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from conftest import make_sdk
from test_sandbox_arm import RG, ZONE, create_pe, pe_body

from wizard.sandbox.world import T_PE, T_ZONE


@pytest.fixture
def fast_sdk(sandbox):
    """Clients whose retry back-off is short, so retried faults cost milliseconds."""
    return make_sdk(sandbox, retry_backoff_factor=0.01)


def last_number(sb) -> int:
    return sb.requests[-1].number if sb.requests else 0


def test_latency_applies_per_request(sandbox, sdk):
    sdk.resources.resource_groups.get(RG)         # warm the connection
    sandbox.knobs.latency = 0.2
    start = time.monotonic()
    sdk.resources.resource_groups.get(RG)
    assert time.monotonic() - start >= 0.2
    assert sandbox.requests[-1].duration >= 0.2


def test_throttling_429_is_retried_after_retry_after(sandbox, fast_sdk):
    sandbox.knobs.throttle_rate, sandbox.knobs.seed = 0.5, 7
    names = sorted(v.name for v in fast_sdk.network.virtual_networks.list_all())
    assert names == ["vnet-agents-weu", "vnet-aks-prod", "vnet-hub"]
    log = sandbox.requests
    statuses = [r.status for r in log]
    assert 429 in statuses and statuses[-1] == 200
    for before, after in itertools.pairwise(log):
        if before.status == 429:   # the client waited x-ms-retry-after-ms (50 ms) before trying again
            assert after.started - (before.started + before.duration) >= 0.045


def test_throttle_headers(sandbox):
    sandbox.knobs.throttle_rate, sandbox.knobs.throttle_retry_after_ms = 1.0, 1500
    ctx = ssl.create_default_context(cafile=sandbox.ca_file)
    with httpx.Client(base_url=sandbox.arm_endpoint, verify=ctx) as client:
        resp = client.get(f"/subscriptions/{sandbox.subscription_id}/resourcegroups?api-version=2025-04-01",
                          headers={"Authorization": f"Bearer {sandbox.token}"})
        assert resp.status_code == 429 and resp.json()["error"]["code"] == "TooManyRequests"
        assert resp.headers["Retry-After"] == "2" and resp.headers["x-ms-retry-after-ms"] == "1500"
        # control calls never see faults
        assert client.get("/_sandbox/requests", headers={"Authorization": f"Bearer {sandbox.token}"}).status_code == 200


def test_lro_answers_carry_retry_after(sandbox, sdk):
    sandbox.knobs.poll_retry_after_ms = 1200
    sandbox.knobs.lro_seconds["privateEndpoint"] = 0.0
    ctx = ssl.create_default_context(cafile=sandbox.ca_file)
    url = (f"/subscriptions/{sandbox.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network/"
           "privateEndpoints/pe-astro?api-version=2026-03-01")
    with httpx.Client(base_url=sandbox.arm_endpoint, verify=ctx) as client:
        resp = client.put(url, json=pe_body(sandbox), headers={"Authorization": f"Bearer {sandbox.token}"})
        assert resp.status_code == 201 and resp.json()["properties"]["provisioningState"] in ("Updating", "Succeeded")
        assert resp.headers["Retry-After"] == "2" and resp.headers["x-ms-retry-after-ms"] == "1200"
        poll = client.get(resp.headers["Azure-AsyncOperation"], headers={"Authorization": f"Bearer {sandbox.token}"})
        assert poll.json()["status"] == "Succeeded" and poll.headers["Retry-After"] == "2"


def test_server_errors_500_are_retried(sandbox, fast_sdk):
    sandbox.knobs.error_rate, sandbox.knobs.seed = 0.4, 3
    pe = create_pe(fast_sdk, sandbox)
    assert pe.provisioning_state == "Succeeded"
    check = fast_sdk.network.private_link_services.begin_check_private_link_service_visibility
    assert check("eastus2", {"privateLinkServiceAlias": sandbox.demo_alias}).result().visible is True
    statuses = [r.status for r in sandbox.requests]
    assert 500 in statuses
    assert len(sandbox.world.of_type(T_PE)) == 1


def test_drop_after_processing_then_retry_is_idempotent(sandbox, fast_sdk):
    fast_sdk.resources.resource_groups.get(RG)
    n = last_number(sandbox)
    sandbox.knobs.drop_at = {n + 1}                   # the PE PUT: created, but the answer never arrives
    pe = create_pe(fast_sdk, sandbox)
    assert pe.provisioning_state == "Succeeded"
    put = [r for r in sandbox.writes(n)]
    assert [(r.status, r.dropped) for r in put] == [(201, True), (200, False)]
    assert len(sandbox.world.of_type(T_PE)) == 1 and pe.network_interfaces[0].id


def test_drop_before_processing_then_retry_creates(sandbox, fast_sdk):
    fast_sdk.resources.resource_groups.get(RG)
    n = last_number(sandbox)
    sandbox.knobs.drop_at, sandbox.knobs.drop_mode = {n + 1}, "before"
    fast_sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    put = sandbox.writes(n)
    assert [(r.status, r.dropped) for r in put] == [(0, True), (202, False)]


@pytest.mark.parametrize("mode,written", [("after", True), ("before", False)])
def test_outage_drop_from(sandbox, mode, written):
    sdk = make_sdk(sandbox, retry_backoff_factor=0.01, retry_total=2)
    sdk.resources.resource_groups.get(RG)
    sandbox.knobs.drop_from, sandbox.knobs.drop_mode = last_number(sandbox) + 1, mode
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        sdk.dns.private_zones.begin_create_or_update(RG, ZONE, {"location": "global"}).result()
    assert bool(sandbox.world.of_type(T_ZONE)) is written
    assert all(r.dropped for r in sandbox.requests[1:])
    sandbox.knobs.drop_from = None                    # the outage ends; the client recovers
    assert sdk.resources.resource_groups.get(RG).name == RG


def test_approve_after_timer(sandbox, sdk):
    sandbox.knobs.approve_after = 0.3
    pe = create_pe(sdk, sandbox)
    state = pe.manual_private_link_service_connections[0].private_link_service_connection_state
    assert state.status == "Pending"
    time.sleep(0.35)
    got = sdk.network.private_endpoints.get(RG, "pe-astro").manual_private_link_service_connections[0]
    assert got.private_link_service_connection_state.status == "Approved"
    ip = sandbox.world.of_type("Microsoft.Network/networkInterfaces")[0].props["ipConfigurations"][0][
        "properties"]["privateIPAddress"]
    assert sandbox.service.is_reachable(ip)


def test_faults_never_apply_to_control_calls(sandbox):
    sandbox.knobs.drop_from, sandbox.knobs.error_rate = 1, 1.0
    ctx = ssl.create_default_context(cafile=sandbox.ca_file)
    with httpx.Client(base_url=sandbox.arm_endpoint, verify=ctx) as client:
        auth = {"Authorization": f"Bearer {sandbox.token}"}
        assert client.get("/_sandbox/requests", headers=auth).json() == {"value": []}
        assert client.post("/_sandbox/knobs", headers=auth, json={"drop_from": None}).status_code == 200


def test_error_rate_exhausting_retries_surfaces_500(sandbox):
    sdk = make_sdk(sandbox, retry_backoff_factor=0.01, retry_total=1)
    sandbox.knobs.error_rate = 1.0
    with pytest.raises(HttpResponseError) as err:
        sdk.resources.resource_groups.get(RG)
    assert err.value.status_code == 500 and err.value.error.code == "InternalServerError"
