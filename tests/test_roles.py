"""Least privilege as customers grant it: roles on resource groups, checked by the sandbox per request at the
request's scope, and a product that sets up, re-applies, reports, verifies and destroys with exactly README's
"Roles needed" set, warning (not failing) where a subscription-wide read or the subscription-scope visibility check
is refused."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from conftest import make_sdk
from engine_helpers import demo_config, make_engine, states, vnet_id

from steps.inputs import CheckInputs
from wizard.cli import main
from wizard.core.errors import explain, join_action_for
from wizard.sandbox import roles, seeds
from wizard.sandbox.roles import RoleAssignment
from wizard.sandbox.world import T_LINK, T_PE, T_ZONE, Subscription

README = Path(__file__).resolve().parent.parent / "README.md"
EP_RG, VNET_RG, ZONE_RG = "rg-aks-prod", "rg-network-hub", "rg-agents-weu"
ZONE = "external.astronomer.run"
VIS_ACTION = "Microsoft.Network/locations/checkPrivateLinkServiceVisibility/action"


def minimal(sb: Any) -> list[tuple[str, str]]:
    """README's set for a setup whose endpoint, VNet and zone are in three different resource groups."""
    return seeds.minimal_roles(sb.subscription_id, endpoint_rg=EP_RG, vnet_rg=VNET_RG, zone_rg=ZONE_RG)


def rg(sb: Any, name: str) -> str:
    return f"/subscriptions/{sb.subscription_id}/resourceGroups/{name}"


def refused(call: Any) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as err:
        call()
    assert err.value.status_code == 403
    return err.value


def pe_body(subnet_id: str, alias: str) -> dict:
    return {"location": "eastus2", "properties": {"subnet": {"id": subnet_id}, "manualPrivateLinkServiceConnections": [
        {"name": "c", "properties": {"privateLinkServiceId": alias, "groupIds": []}}]}}


def link_body(vnet: str) -> dict:
    return {"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False}}


# ---- the role model (pure) -----------------------------------------------------------------------------------
def test_role_definitions_and_scopes() -> None:
    me, sub = "p", "/subscriptions/s"
    nc = [RoleAssignment(me, "Network Contributor", f"{sub}/resourceGroups/rg-a")]
    assert roles.permits(nc, me, "Microsoft.Network/privateEndpoints/write", f"{sub}/resourceGroups/RG-A/providers/x")
    assert not roles.permits(nc, me, "Microsoft.Network/privateDnsZones/read", sub)          # not above its scope
    assert not roles.permits(nc, me, "Microsoft.Network/privateEndpoints/write", f"{sub}/resourceGroups/rg-ab")
    assert not roles.permits(nc, "someone-else", "Microsoft.Network/virtualNetworks/read", f"{sub}/resourceGroups/rg-a")
    contributor = [RoleAssignment(me, "Contributor", sub)]
    assert roles.permits(contributor, me, "Microsoft.Network/privateDnsZones/A/delete", f"{sub}/resourceGroups/x/y")
    assert not roles.permits(contributor, me, "Microsoft.Authorization/roleAssignments/write", sub)   # notActions
    pdzc = [RoleAssignment(me, "private dns zone contributor", f"{sub}/resourceGroups/dns")]
    at = f"{sub}/resourceGroups/dns"
    assert roles.permits(pdzc, me, "Microsoft.Network/privateDnsZones/virtualNetworkLinks/write", at + "/z/l")
    assert roles.permits(pdzc, me, "Microsoft.Network/virtualNetworks/join/action", at + "/v")
    assert not roles.permits(pdzc, me, "Microsoft.Network/privateEndpoints/write", at + "/pe")
    reader = [RoleAssignment(me, "Reader", sub)]
    assert roles.permits(reader, me, "Microsoft.Network/privateDnsZones/read", sub)
    assert not roles.permits(reader, me, "Microsoft.Network/privateDnsZones/write", at)
    with pytest.raises(ValueError):
        roles.role("Owner of everything")


# ---- the sandbox: reads and writes checked at their scope ---------------------------------------------------
def test_roles_on_groups_do_not_reach_the_subscription(sandbox, sdk) -> None:
    sandbox.knobs.role_assignments = minimal(sandbox)
    exc = refused(lambda: list(sdk.dns.private_zones.list()))
    assert exc.error.code == "AuthorizationFailed"
    assert (f"perform action 'Microsoft.Network/privateDnsZones/read' over scope "
            f"'/subscriptions/{sandbox.subscription_id}' or the scope is invalid") in exc.error.message
    assert refused(lambda: list(sdk.network.virtual_networks.list_all())).error.code == "AuthorizationFailed"
    assert list(sdk.dns.private_zones.list_by_resource_group(ZONE_RG)) == []
    assert sdk.network.virtual_networks.get(VNET_RG, "vnet-hub").name == "vnet-hub"
    # Resource-group lists are filtered, not refused.
    assert sorted(g.name for g in sdk.resources.resource_groups.list()) == sorted([EP_RG, VNET_RG, ZONE_RG])
    sandbox.knobs.role_assignments = [("Network Contributor", rg(sandbox, EP_RG))]
    assert [g.name for g in sdk.resources.resource_groups.list()] == [EP_RG]


def test_reads_need_read_and_are_refused_before_existence(sandbox, sdk) -> None:
    sandbox.knobs.role_assignments = [("Private DNS Zone Contributor", rg(sandbox, ZONE_RG))]
    exc = refused(lambda: sdk.network.private_endpoints.get(EP_RG, "does-not-exist"))
    assert "'Microsoft.Network/privateEndpoints/read'" in exc.error.message
    assert refused(lambda: sdk.resources.resource_groups.get(EP_RG)).error.code == "AuthorizationFailed"
    assert refused(lambda: sdk.network.virtual_networks.get("rg-nope", "v")).error.code == "AuthorizationFailed"
    sandbox.knobs.role_assignments = [("Reader", f"/subscriptions/{sandbox.subscription_id}")]
    assert list(sdk.dns.private_zones.list()) == []
    exc = refused(lambda: sdk.dns.private_zones.begin_create_or_update(ZONE_RG, ZONE, {"location": "global"}))
    assert "'Microsoft.Network/privateDnsZones/write'" in exc.error.message and not sandbox.world.of_type(T_ZONE)


def test_private_dns_zone_contributor_creates_and_polls_a_zone(sandbox, sdk) -> None:
    sandbox.knobs.role_assignments = [("Private DNS Zone Contributor", rg(sandbox, ZONE_RG))]
    zone = sdk.dns.private_zones.begin_create_or_update(ZONE_RG, ZONE, {"location": "global"},
                                                        polling_interval=0).result()
    assert zone.name == ZONE and sandbox.world.of_type(T_ZONE)
    refused(lambda: sdk.dns.private_zones.begin_create_or_update(EP_RG, ZONE, {"location": "global"}))


def test_endpoint_needs_join_on_its_subnet(sandbox, sdk) -> None:
    subnet = vnet_id(sandbox, VNET_RG, "vnet-hub") + "/subnets/snet-endpoints"
    sandbox.knobs.role_assignments = [("Network Contributor", rg(sandbox, EP_RG))]
    exc = refused(lambda: sdk.network.private_endpoints.begin_create_or_update(
        EP_RG, "pe", pe_body(subnet, sandbox.demo_alias)))
    assert exc.error.code == "LinkedAuthorizationFailed"
    assert "'Microsoft.Network/virtualNetworks/subnets/join/action'" in exc.error.message
    assert subnet in exc.error.message
    e = explain(exc)
    assert "'Microsoft.Network/virtualNetworks/subnets/join/action'" in e.sentence and subnet in e.sentence
    assert not sandbox.world.of_type(T_PE)
    sandbox.knobs.role_assignments = minimal(sandbox)
    sdk.network.private_endpoints.begin_create_or_update(EP_RG, "pe", pe_body(subnet, sandbox.demo_alias),
                                                         polling_interval=0).result()
    assert sandbox.world.of_type(T_PE)


def test_link_needs_join_on_the_vnet(sandbox, sdk) -> None:
    sdk.dns.private_zones.begin_create_or_update(ZONE_RG, ZONE, {"location": "global"}, polling_interval=0).result()
    hub = vnet_id(sandbox, VNET_RG, "vnet-hub")
    sandbox.knobs.role_assignments = [("Private DNS Zone Contributor", rg(sandbox, ZONE_RG))]
    exc = refused(lambda: sdk.dns.virtual_network_links.begin_create_or_update(ZONE_RG, ZONE, "l", link_body(hub)))
    assert exc.error.code == "LinkedAuthorizationFailed"
    assert f"'Microsoft.Network/virtualNetworks/join/action' on the linked scope(s) '{hub}'" in exc.error.message
    assert "'Microsoft.Network/virtualNetworks/join/action'" in explain(exc).sentence
    assert not sandbox.world.of_type(T_LINK)


def _foreign_vnet(sb: Any, tenant: str) -> str:
    sub = "5c4b3a29-1807-4f6e-9d5c-4b3a29180706"
    with sb.service.lock:
        sb.world.add_subscription(Subscription(sub, "Another tenant's subscription", tenant))
        sb.world.add_group(sub, "rg-other", "eastus2")
        return seeds.add_vnet(sb.world, sub, "rg-other", "vnet-other", "eastus2", ["127.40.0.0/16"])


def test_linked_subscription_of_another_tenant(sandbox, sdk) -> None:
    other = _foreign_vnet(sandbox, "0d1c2b3a-4f5e-4d6c-8b7a-695847362514")
    sdk.dns.private_zones.begin_create_or_update(ZONE_RG, ZONE, {"location": "global"}, polling_interval=0).result()
    exc = refused(lambda: sdk.dns.virtual_network_links.begin_create_or_update(ZONE_RG, ZONE, "l", link_body(other)))
    assert exc.error.code == "LinkedAuthorizationFailed"
    assert (f"however the current tenant '{sandbox.tenant_id}' is not authorized to access linked subscription "
            "'5c4b3a29-1807-4f6e-9d5c-4b3a29180706'") in exc.error.message
    e = explain(exc)
    assert "5c4b3a29-1807-4f6e-9d5c-4b3a29180706" in e.sentence and "another Azure tenant" in e.sentence
    assert "'Microsoft.Network/virtualNetworks/join/action'" in e.sentence


def test_linked_subscription_not_found(sandbox, sdk) -> None:
    subnet = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Network/"
              "virtualNetworks/v/subnets/s")
    exc = refused(lambda: sdk.network.private_endpoints.begin_create_or_update(
        EP_RG, "pe", pe_body(subnet, sandbox.demo_alias)))
    assert exc.error.code == "LinkedAuthorizationFailed"
    assert "however the linked subscription '00000000-1111-2222-3333-444444444444' was not found" in exc.error.message
    e = explain(exc)
    assert "00000000-1111-2222-3333-444444444444" in e.sentence and "check the subscription id" in e.sentence
    assert "'Microsoft.Network/virtualNetworks/subnets/join/action'" in e.sentence


@pytest.mark.parametrize("message, action", [
    ("The client has permission to perform action '' on scope '/subscriptions/s/resourceGroups/r/providers/"
     "Microsoft.Network/privateDnsZones/z/virtualNetworkLinks/l', however the linked subscription 'x' was not found.",
     "Microsoft.Network/virtualNetworks/join/action"),
    ("The client 'c' with object id 'o' has permission to perform action 'Microsoft.Network/privateEndpoints/write' "
     "on scope '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/privateEndpoints/pe'; however, the "
     "request was refused.", "Microsoft.Network/virtualNetworks/subnets/join/action"),
])
def test_linked_failure_without_a_named_action_names_the_right_one(message: str, action: str) -> None:
    from azure.core.exceptions import HttpResponseError as Err
    from azure.core.rest import HttpRequest

    class Resp:  # the smallest response HttpResponseError reads
        status_code, reason, headers = 403, "Forbidden", {}
        request = HttpRequest("PUT", "https://management.azure.com/x")

        def text(self) -> str:
            return json.dumps({"error": {"code": "LinkedAuthorizationFailed", "message": message}})

    exc = Err(response=Resp())  # type: ignore[arg-type]
    assert f"'{action}'" in explain(exc).sentence
    assert join_action_for("/x/privateDnsZones/z/virtualNetworkLinks/l").endswith("virtualNetworks/join/action")


def test_deny_actions_still_denies_on_top_of_roles(sandbox, sdk) -> None:
    sandbox.knobs.deny_actions = [("Microsoft.Network/virtualNetworks/read", rg(sandbox, VNET_RG))]
    refused(lambda: sdk.network.virtual_networks.get(VNET_RG, "vnet-hub"))
    assert sdk.network.virtual_networks.get(EP_RG, "vnet-aks-prod").name == "vnet-aks-prod"


def test_role_knob_through_the_control_call(sandbox) -> None:
    with httpx.Client(base_url=sandbox.arm_endpoint, verify=ssl.create_default_context(cafile=sandbox.ca_file),
                      headers={"Authorization": f"Bearer {sandbox.token}"}) as client:
        bad = client.post("/_sandbox/knobs", json={"role_assignments": [["Owner of everything", "/"]]})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidKnob"
        ok = client.post("/_sandbox/knobs", json={"role_assignments": "minimal"})
        assert ok.status_code == 200
        assert ok.json()["role_assignments"] == [list(p) for p in seeds.minimal_roles(sandbox.subscription_id)]
        assert client.post("/_sandbox/knobs", json={"role_assignments": None}).json()["role_assignments"] is None


# ---- the visibility check -------------------------------------------------------------------------------------
def test_visibility_check_by_resource_group_and_async_only(sandbox, sdk) -> None:
    sandbox.knobs.role_assignments = minimal(sandbox)
    body = {"privateLinkServiceAlias": sandbox.demo_alias}
    services = sdk.network.private_link_services
    exc = refused(lambda: services.begin_check_private_link_service_visibility(location="eastus2", parameters=body))
    assert VIS_ACTION in exc.error.message
    by_rg = services.begin_check_private_link_service_visibility_by_resource_group
    assert by_rg(location="eastus2", resource_group_name=EP_RG, parameters=body).result().visible is True
    refused(lambda: by_rg(location="eastus2", resource_group_name="rg-nowhere", parameters=body))
    sandbox.knobs.visibility_async_only = True
    sandbox.knobs.lro_seconds = {**sandbox.knobs.lro_seconds, "visibility": 0.1}
    result = by_rg(location="eastus2", resource_group_name=EP_RG, parameters=body, polling_interval=0).result()
    assert result.visible is None and result["status"] == "Succeeded"


def _inputs(sb: Any, tmp_path: Path, **changes: Any) -> Any:
    engine = make_engine(sb, tmp_path / "state", demo_config(sb, **changes))
    return next(p for p in engine.plan() if p.step == "inputs")


def test_inputs_fall_back_to_the_resource_group_check(sandbox, tmp_path) -> None:
    sandbox.knobs.role_assignments = minimal(sandbox)
    plan = _inputs(sandbox, tmp_path)
    assert plan.action.value == "done" and plan.summary.startswith("Alias visible") and plan.warnings == []
    assert [r.status for r in sandbox.requests if r.path.endswith("checkPrivateLinkServiceVisibility")] == [403, 200]


def test_inputs_warn_and_go_on_when_visibility_cannot_be_asked(sandbox, tmp_path) -> None:
    sandbox.knobs.role_assignments = minimal(sandbox)
    sandbox.knobs.deny_actions = [(VIS_ACTION, "/subscriptions")]
    plan = _inputs(sandbox, tmp_path)
    assert plan.action.value == "done" and "is not known" in plan.summary
    assert any("was not checked" in w and "Network Contributor" in w and "'rg-aks-prod'" in w for w in plan.warnings)


def test_inputs_warn_when_azure_answers_without_a_result(sandbox, tmp_path) -> None:
    sandbox.knobs.visibility_async_only = True
    plan = _inputs(sandbox, tmp_path)
    assert plan.action.value == "done" and "is not known" in plan.summary
    assert any("without a result" in w for w in plan.warnings)
    engine = make_engine(sandbox, tmp_path / "state2")
    assert CheckInputs._visible(engine.ctx, "eastus2") is None


def test_explicit_not_visible_still_blocks(sandbox, tmp_path) -> None:
    sandbox.knobs.role_assignments = minimal(sandbox)
    plan = _inputs(sandbox, tmp_path, alias=seeds.HIDDEN_ALIAS)
    assert plan.action.value == "failed" and "cannot see the Private Link Service alias" in plan.summary


# ---- zones: a subscription-wide list refused ----------------------------------------------------------------
def test_zone_read_falls_back_to_the_setups_resource_groups(sandbox, sdk, tmp_path) -> None:
    for group in (VNET_RG, "rg-fleet"):
        if sandbox.world.group(sandbox.subscription_id, group) is None:
            with sandbox.service.lock:
                sandbox.world.add_group(sandbox.subscription_id, group, "eastus2")
        sdk.dns.private_zones.begin_create_or_update(group, ZONE, {"location": "global"}, polling_interval=0).result()
    sandbox.knobs.role_assignments = minimal(sandbox)
    hub = vnet_id(sandbox, VNET_RG, "vnet-hub")
    engine = make_engine(sandbox, None, demo_config(sandbox, vnet=hub, subnet="snet-endpoints",
                                                    dns_resource_group=ZONE_RG))
    zones = engine.ctx.zones()
    assert [z.resource_group for z in zones] == [VNET_RG]    # the one in rg-fleet is out of sight
    (warning,) = engine.ctx.zone_warnings()
    assert f"subscription {sandbox.subscription_id} were not checked" in warning and "Reader" in warning
    assert all(f"'{g}'" in warning for g in (ZONE_RG, EP_RG, VNET_RG))
    sandbox.knobs.role_assignments = None
    engine.ctx.refresh()
    assert sorted(z.resource_group for z in engine.ctx.zones()) == sorted([VNET_RG, "rg-fleet"])
    assert engine.ctx.zone_warnings() == []


# ---- the whole life cycle with README's roles, through the CLI ------------------------------------------------
def readme_roles() -> set[str]:
    """The roles README's "Roles needed" item grants (bold); Reader is mentioned there only as optional."""
    text = README.read_text(encoding="utf-8")
    item = re.search(r"^\d\. Roles needed.*?(?=^\d\. )", text, re.M | re.S)
    assert item, "README has no 'Roles needed' item"
    bold = set(re.findall(r"\*\*([^*]+)\*\*", item.group(0)))
    assert "optional" in item.group(0).lower()
    return {b for b in bold if "optional" not in b.lower()}


def test_setup_lifecycle_with_readmes_roles_only(sandbox, sandbox_env, sdk, capsys) -> None:
    grants = minimal(sandbox)
    assert readme_roles() == {r for r, _ in grants}
    assert {s for _, s in grants} == {rg(sandbox, g) for g in (EP_RG, VNET_RG, ZONE_RG)}
    assert not any(s.rstrip("/").count("/") < 3 for _, s in grants)      # nothing at subscription scope
    hub = vnet_id(sandbox, VNET_RG, "vnet-hub")
    sandbox.knobs.dns_vnet_id = hub
    sandbox.knobs.role_assignments = grants
    config = sandbox_env / "setup.toml"
    agents = vnet_id(sandbox, EP_RG, "vnet-aks-prod")     # a second agents' VNet, in the endpoint's group
    config.write_text(demo_config(sandbox, vnet=hub, subnet="snet-endpoints", dns_resource_group=ZONE_RG,
                                  linked_vnets=[agents]).to_toml())
    cfg = str(config)

    assert main(["apply", "--config", cfg, "--yes", "--no-wait"]) == 3
    capsys.readouterr()
    sandbox.approve()
    assert main(["apply", "--config", cfg, "--yes"]) == 0               # re-apply: converges, changes nothing
    capsys.readouterr()
    assert main(["status", "--config", cfg, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [s["state"] for s in status["steps"]] == ["done"] * 6, status
    assert main(["verify", "--config", cfg, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]
    refusals = {(r.method, r.path.rsplit("/", 1)[-1]) for r in sandbox.requests if r.status == 403}
    assert refusals == {("GET", "privateDnsZones"), ("POST", "checkPrivateLinkServiceVisibility")}, refusals

    assert main(["destroy", "--config", cfg, "--yes"]) == 0
    assert capsys.readouterr().out.count("removed") == 5     # record, two links, zone, endpoint
    world = sandbox.world
    assert not (world.of_type(T_PE) or world.of_type(T_ZONE) or world.of_type(T_LINK))


def test_a_missing_role_is_named_before_anything_is_written(sandbox, tmp_path) -> None:
    hub = vnet_id(sandbox, VNET_RG, "vnet-hub")
    config = demo_config(sandbox, vnet=hub, subnet="snet-endpoints", dns_resource_group=ZONE_RG)
    sandbox.knobs.role_assignments = [p for p in minimal(sandbox) if p[0] != "Private DNS Zone Contributor"]
    result = make_engine(sandbox, tmp_path / "state", config).apply(wait_for_approval=False)
    inputs = result.outcomes["inputs"]
    assert inputs.state.value == "failed"
    assert f"no role on resource group '{ZONE_RG}'" in inputs.summary
    assert "Private DNS Zone Contributor" in inputs.summary
    assert sandbox.writes() == []

    # The same role missing on a group the DNS step only reaches at write time: the step names role and scope.
    sandbox.knobs.role_assignments = [("Network Contributor", rg(sandbox, EP_RG)),
                                      ("Network Contributor", rg(sandbox, VNET_RG)),
                                      ("Reader", rg(sandbox, ZONE_RG))]
    result = make_engine(sandbox, tmp_path / "state", config).apply(wait_for_approval=False)
    got = states(result)
    assert got["inputs"] == "done" and got["private_endpoint"] == "done" and got["dns_zone"] == "failed"
    zone = result.outcomes["dns_zone"].summary
    assert "Private DNS Zone Contributor" in zone and rg(sandbox, ZONE_RG) in zone
    assert make_sdk(sandbox).network.private_endpoints.get(EP_RG, "astro-privatelink").name


# ---- the pickers -------------------------------------------------------------------------------------------
def test_vnet_listing_falls_back_to_the_groups_the_role_covers(sandbox) -> None:
    """With roles on resource groups only, listing VNets across the subscription is refused; the pickers of the
    TUI and of plain mode list the readable groups one by one instead, and say so."""
    from engine_helpers import sandbox_settings

    from wizard.core.azure import ClientFactory
    from wizard.core.listings import iter_vnets

    factory = ClientFactory(sandbox_settings(sandbox))
    everything = {v.id.lower() for v in iter_vnets(factory, sandbox.subscription_id)}
    sandbox.knobs.role_assignments = [("Network Contributor", rg(sandbox, EP_RG))]
    notes: list[str] = []
    listed = [v.id.lower() for v in iter_vnets(factory, sandbox.subscription_id, notes.append)]
    covered = {rg(sandbox, EP_RG).lower() + "/"}
    expected = {v for v in everything if any(v.startswith(c) for c in covered)}
    assert expected and everything - expected, "the demo world has VNets outside the granted groups"
    assert set(listed) == expected and len(listed) == len(set(listed))
    assert len(notes) == 1 and "only the VNets of the 1 resource group(s) you have a role on" in notes[0]
    # With the subscription-wide role back, there is nothing to say.
    sandbox.knobs.role_assignments = None
    notes.clear()
    assert {v.id.lower() for v in iter_vnets(factory, sandbox.subscription_id, notes.append)} == everything
    assert notes == []
