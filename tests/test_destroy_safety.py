"""Destroy deletes only what this tool made, where it made it (issue 11: the High and the first Medium item).

Through the real CLI against the sandbox: a setup record whose ids lie in another subscription than the config's
deletes nothing and says why (and, allowed explicitly, removes the recorded resources, never the config's
namesakes); a repointed A record, a replaced link and an endpoint replaced in another subnet are kept with a
sentence while the rest goes; a change between the check and the delete is refused (412) and reported, not
retried; a record written before facts existed still loads and is compared with what can be known.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError
from conftest import FAST_LRO
from engine_helpers import RG, SUBNET, VNET, demo_config, make_engine, vnet_id

from wizard.cli import main
from wizard.core.record import RecordStore, SetupRecord
from wizard.sandbox.seeds import SECOND_SUBSCRIPTION_ID

ZONE = "external.astronomer.run"
PE = "astro-privatelink"
T_PE, T_ZONE = "Microsoft.Network/privateEndpoints", "Microsoft.Network/privateDnsZones"
T_LINK, T_A = f"{T_ZONE}/virtualNetworkLinks", f"{T_ZONE}/A"


@pytest.fixture
def cli_env(sandbox_env: Any, sandbox: Any) -> Any:
    sandbox.knobs.approve_after = 0.0
    return sandbox_env


def _config(path: Any, sandbox: Any, **changes: Any) -> str:
    path.write_text(demo_config(sandbox, **changes).to_toml())
    return str(path)


def _record(cli_env: Any, sandbox: Any) -> dict[str, Any]:
    return json.loads(_record_path(cli_env, sandbox).read_text())


def _record_path(cli_env: Any, sandbox: Any) -> Any:
    """The setup's record file: keyed by cluster id and endpoint (issue 15), one setup per test here."""
    found = sorted((cli_env / "state").glob(f"{sandbox.demo_cluster_id}--*.json"))
    assert len(found) == 1, found
    return found[0]


def _ids(sandbox: Any, subscription: str) -> set[str]:
    """Lower-case ids of every endpoint, zone, link and A record in one subscription of the sandbox."""
    with sandbox.service.lock:
        return {r.key for t in (T_PE, T_ZONE, T_LINK, T_A)
                for r in sandbox.world.of_type(t, f"/subscriptions/{subscription}")}


def _deletes(sandbox: Any, since: int = 0) -> list[Any]:
    return [r for r in sandbox.writes(since) if r.method == "DELETE"]


def _apply(config: str, capsys: Any) -> None:
    assert main(["apply", "--config", config, "--yes"]) == 0
    capsys.readouterr()


# ---- High: ids recorded in another subscription -------------------------------------------------------------------
def test_destroy_after_the_config_moved_to_another_subscription_deletes_nothing_and_says_why(
        sandbox, cli_env, capsys, monkeypatch):
    sandbox.reset("two-subscriptions")   # default knobs again: as fast as the fixtures make them
    sandbox.knobs.lro_seconds = dict(FAST_LRO)
    sandbox.knobs.poll_retry_after_ms = sandbox.knobs.throttle_retry_after_ms = 20
    sandbox.knobs.approve_after = 0.0
    a, b = sandbox.subscription_id, SECOND_SUBSCRIPTION_ID
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)                               # subscription A, recorded in state/
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(cli_env / "state-b"))
    _apply(_config(cli_env / "b.toml", sandbox, subscription_id=b), capsys)   # the same names in B
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(cli_env / "state"))
    in_a, in_b = _ids(sandbox, a), _ids(sandbox, b)
    assert len(in_a) == len(in_b) == 4   # the endpoint, the zone, its link and the A record, in each
    before = _record(cli_env, sandbox)["resources"]
    _config(cli_env / "setup.toml", sandbox, subscription_id=b)   # the config now names B
    mark = sandbox.requests[-1].number

    # A setup is keyed by cluster id AND endpoint (issue 15): the config now names another endpoint (B's), for which
    # this tool made nothing here, so destroy deletes nothing and names the setup it did make (A's) and its config.
    assert main(["destroy", "--config", config, "--yes", "--redact"]) == 2
    out, err = capsys.readouterr()
    assert _deletes(sandbox, mark) == []
    assert _ids(sandbox, a) == in_a and _ids(sandbox, b) == in_b
    assert _record(cli_env, sandbox)["resources"] == before   # nothing forgotten
    assert "nothing was deleted" in err and err.count("\n") == 1
    assert f"endpoint {PE} in {RG} (VNet {VNET}, subscription ****{b[-4:]}), which this tool made nothing for" in err
    assert f"its setups of this cluster are cluster {sandbox.demo_cluster_id}, endpoint {PE} in {RG} (VNet {VNET}, " \
           f"subscription ****{a[-4:]})" in err
    assert a not in out + err and b not in out + err   # --redact: every id masked, in full otherwise

    assert main(["destroy", "--config", config, "--yes"]) == 2   # and without --redact the ids are whole
    assert f"subscription {a})" in capsys.readouterr().err

    # With A's config again: the recorded resources go, where they were made; B's namesakes stay.
    _config(cli_env / "setup.toml", sandbox)
    assert main(["destroy", "--config", config, "--yes", "--redact"]) == 0
    out = capsys.readouterr().out
    assert out.count(f"removed /subscriptions/****{a[-4:]}/") == 4 and a not in out
    paths = [r.path.lower() for r in _deletes(sandbox, mark)]
    assert len(paths) == 4 and all(p.startswith(f"/subscriptions/{a}/") for p in paths), paths
    assert _ids(sandbox, a) == set() and _ids(sandbox, b) == in_b
    assert _record(cli_env, sandbox)["resources"] == {}


def test_a_record_naming_another_resource_group_stops_destroy(sandbox, cli_env, capsys):
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    _config(cli_env / "setup.toml", sandbox, dns_resource_group="rg-network-hub")   # the zone's group changed
    mark = sandbox.requests[-1].number
    assert main(["destroy", "--config", config, "--yes"]) == 2
    out, err = capsys.readouterr()
    assert f"Outside the config: in resource group '{RG}', and the config names 'rg-network-hub' (3 of them)." in out
    assert "nothing was deleted" in err and _deletes(sandbox, mark) == []
    # The endpoint's group changed: another endpoint, so another setup (issue 15); nothing is deleted either.
    _config(cli_env / "setup.toml", sandbox, resource_group="rg-network-hub", vnet="vnet-hub", subnet="snet-endpoints")
    assert main(["destroy", "--config", config, "--yes"]) == 2
    assert "which this tool made nothing for" in capsys.readouterr().err and _deletes(sandbox, mark) == []


# ---- Medium: re-check before deleting -------------------------------------------------------------------------------
def test_apply_notes_what_it_made_for_destroy_to_compare(sandbox, cli_env, capsys):
    _apply(_config(cli_env / "setup.toml", sandbox), capsys)
    resources = _record(cli_env, sandbox)["resources"]
    with sandbox.service.lock:
        nic = sandbox.world.of_type("Microsoft.Network/networkInterfaces")[0]
        ip = nic.props["ipConfigurations"][0]["properties"]["privateIPAddress"]
    assert resources["a_record"]["facts"] == {"ip": ip}
    assert resources[f"vnet_link:{VNET}"]["facts"] == {"vnet_id": vnet_id(sandbox, RG, VNET)}
    pe = resources["private_endpoint"]["facts"]
    assert pe["alias"] == sandbox.demo_alias and pe["subnet_id"].endswith(f"/subnets/{SUBNET}")
    assert pe["nic_id"].lower() == nic.key and pe["nic_guid"] == nic.props["resourceGuid"]


def test_a_repointed_a_record_is_kept_with_a_sentence_and_the_rest_goes(sandbox, sdk, cli_env, capsys):
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    cid = sandbox.demo_cluster_id
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", cid, {"properties": {"ttl": 10, "aRecords": [
        {"ipv4Address": "127.20.16.99"}]}})
    assert main(["destroy", "--config", config, "--yes"]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "kept A record" in x)
    assert f"kept A record {cid}.{ZONE}: it points to 127.20.16.99, not to 127.20.16." in line
    assert line.endswith("delete it yourself if nothing uses it, then run destroy again.")
    rs = sdk.dns.record_sets.get(RG, ZONE, "A", cid)
    assert [a.ipv4_address for a in rs.properties.a_records] == ["127.20.16.99"]
    assert list(sdk.dns.virtual_network_links.list(RG, ZONE)) == []          # the link went
    assert list(sdk.network.private_endpoints.list(RG)) == []                 # the endpoint went
    assert "kept zone" in out and sdk.dns.private_zones.get(RG, ZONE)         # the zone holds the record
    assert set(_record(cli_env, sandbox)["resources"]) == {"a_record", "dns_zone"}


def test_an_endpoint_replaced_in_another_subnet_is_kept_and_the_rest_goes(sandbox, sdk, cli_env, capsys):
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    sdk.network.private_endpoints.begin_delete(RG, PE).result()
    other = f"{vnet_id(sandbox, RG, VNET)}/subnets/snet-aks-nodes"
    sdk.network.private_endpoints.begin_create_or_update(RG, PE, {"location": "eastus2", "properties": {
        "subnet": {"id": other}, "manualPrivateLinkServiceConnections": [{"name": "by-hand", "properties": {
            "privateLinkServiceId": sandbox.demo_alias, "groupIds": [], "requestMessage": "by hand"}}]}}).result()
    assert main(["destroy", "--config", config, "--yes"]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "kept private endpoint" in x)
    assert f"it is in subnet {VNET}/snet-aks-nodes, not {VNET}/{SUBNET}" in line
    assert "another network interface" in line and line.endswith("then run destroy again.")
    assert sdk.network.private_endpoints.get(RG, PE).subnet.id.lower() == other.lower()
    assert [z for z in sdk.dns.private_zones.list() if z.name == ZONE] == []   # record, link and zone went
    assert set(_record(cli_env, sandbox)["resources"]) == {"private_endpoint", "network_interface"}


def test_a_link_made_again_to_another_vnet_is_kept(sandbox, sdk, cli_env, capsys):
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    link = next(iter(sdk.dns.virtual_network_links.list(RG, ZONE)))
    sdk.dns.virtual_network_links.begin_delete(RG, ZONE, link.name).result()
    hub = vnet_id(sandbox, "rg-network-hub", "vnet-hub")
    sdk.dns.virtual_network_links.begin_create_or_update(RG, ZONE, link.name, {
        "location": "global", "properties": {"virtualNetwork": {"id": hub}, "registrationEnabled": False}}).result()
    assert main(["destroy", "--config", config, "--yes"]) == 1
    out = capsys.readouterr().out
    assert f"kept link {link.name}: it links vnet-hub (rg-network-hub), not {VNET} ({RG}) as this tool made it" in out
    assert sdk.dns.virtual_network_links.get(RG, ZONE, link.name).virtual_network.id.lower() == hub.lower()
    assert list(sdk.network.private_endpoints.list(RG)) == []


def test_a_change_between_the_check_and_the_delete_is_refused_and_reported(sandbox, sdk, cli_env, capsys,
                                                                           monkeypatch):
    from azure.mgmt.privatedns.operations import RecordSetsOperations

    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    cid = sandbox.demo_cluster_id
    real_get = RecordSetsOperations.get
    raced: list[str] = []

    def get_then_someone_writes(self: Any, *args: Any, **kwargs: Any) -> Any:
        """The real read; then, before destroy's DELETE, another writer updates the record (a real PUT)."""
        seen = real_get(self, *args, **kwargs)
        if not raced:
            raced.append(seen.etag)
            body = {"properties": {"ttl": 60, "aRecords": [{"ipv4Address": seen.properties.a_records[0].ipv4_address}]}}
            sdk.dns.record_sets.create_or_update(RG, ZONE, "A", cid, body)
        return seen

    monkeypatch.setattr(RecordSetsOperations, "get", get_then_someone_writes)
    mark = sandbox.requests[-1].number
    assert main(["destroy", "--config", config, "--yes"]) == 1
    out = capsys.readouterr().out
    assert "it changed between the check and the delete (Azure answered 412 PreconditionFailed)" in out
    record_deletes = [r for r in _deletes(sandbox, mark) if f"/a/{cid}" in r.path.lower()]
    assert [r.status for r in record_deletes] == [412]                        # sent once, never again blindly
    assert sdk.dns.record_sets.get(RG, ZONE, "A", cid).properties.ttl == 60   # the other writer's record stays
    assert "a_record" in _record(cli_env, sandbox)["resources"]
    monkeypatch.setattr(RecordSetsOperations, "get", real_get)
    assert main(["destroy", "--config", config, "--yes"]) == 0               # checked again: it is still ours
    assert _record(cli_env, sandbox)["resources"] == {}


# ---- older records ---------------------------------------------------------------------------------------------------
def test_a_record_written_before_facts_existed_loads_and_destroy_says_what_it_compared(sandbox, cli_env, capsys):
    config = _config(cli_env / "setup.toml", sandbox)
    _apply(config, capsys)
    path = _record_path(cli_env, sandbox)
    data = json.loads(path.read_text())
    for entry in data["resources"].values():   # the shape version 1 had before facts: id and created_by_tool
        assert set(entry) == {"id", "created_by_tool", "facts"}
        del entry["facts"]
    path.write_text(json.dumps(data))
    loaded = RecordStore(cli_env / "state").load(sandbox.demo_cluster_id)
    assert loaded.message is None and loaded.record is not None
    assert all(e.facts == {} for e in loaded.record.resources.values())
    assert SetupRecord.from_json(data).resources["a_record"].facts == {}
    assert main(["destroy", "--config", config, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "compared with the endpoint's address" in out and "compared with the config's alias and subnet" in out
    assert "only the VNet's name was compared" in out
    assert _record(cli_env, sandbox)["resources"] == {}


# ---- the sandbox: private DNS deletes honour If-Match ---------------------------------------------------------------
def test_sandbox_refuses_a_private_dns_delete_whose_etag_is_stale(sandbox, sdk, cli_env, capsys):
    _apply(_config(cli_env / "setup.toml", sandbox), capsys)
    cid = sandbox.demo_cluster_id
    stale = sdk.dns.record_sets.get(RG, ZONE, "A", cid).etag
    sdk.dns.record_sets.create_or_update(RG, ZONE, "A", cid, {"properties": {"ttl": 30, "aRecords": [
        {"ipv4Address": "127.20.16.50"}]}})
    with pytest.raises(ResourceModifiedError) as err:
        sdk.dns.record_sets.delete(RG, ZONE, "A", cid, etag=stale, match_condition=MatchConditions.IfNotModified)
    assert err.value.status_code == 412 and err.value.error.code == "PreconditionFailed"
    assert err.value.error.message == f"The Record set {cid} has been modified (etag mismatch)."
    zone = sdk.dns.private_zones.get(RG, ZONE)
    with pytest.raises(ResourceModifiedError) as err:
        sdk.dns.private_zones.begin_delete(RG, ZONE, etag=zone.etag + "x",
                                           match_condition=MatchConditions.IfNotModified)
    assert err.value.error.message == f"The Zone {ZONE} has been modified (etag mismatch)."
    fresh = sdk.dns.record_sets.get(RG, ZONE, "A", cid).etag
    sdk.dns.record_sets.delete(RG, ZONE, "A", cid, etag=fresh, match_condition=MatchConditions.IfNotModified)


def test_a_network_failure_during_destroy_is_reported_per_resource_and_a_rerun_finishes(sandbox, tmp_path):
    """The connection drops for every request once destroy starts: each resource gets one sentence (no
    traceback, the record keeps what is left), and a rerun once the network is back removes everything."""
    cfg = demo_config(sandbox)
    sandbox.knobs.approve_after = 0.0
    assert make_engine(sandbox, tmp_path, cfg).apply().exit_code == 0
    sandbox.knobs.drop_from = len(sandbox.requests) + 1
    outcomes = make_engine(sandbox, tmp_path, cfg).destroy()
    assert outcomes and all(o.state.value == "failed" for o in outcomes), outcomes
    assert make_engine(sandbox, tmp_path, cfg).record.resources
    sandbox.knobs.drop_from = None
    again = make_engine(sandbox, tmp_path, cfg).destroy()
    assert again and all(o.state.value == "done" for o in again), again
    assert not make_engine(sandbox, tmp_path, cfg).record.resources
