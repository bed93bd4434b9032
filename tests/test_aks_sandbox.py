"""The sandbox's AKS as the real azure-mgmt-containerservice client sees it: managed clusters (GET and lists),
run command (POST -> 202 + Location -> commandResults 202 ... 200) whose logs come from the sandbox's state."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from conftest import StaticCredential, client_kwargs, fast_world

SCRIPT = ("kubectl run p --rm -i --quiet --restart=Never --image=curlimages/curl:8.11.1 --command -- sh -c "
          "'nslookup {host}; echo \"rc=$?\"'")


@pytest.fixture
def aks(sandbox_server: Any) -> Any:
    from azure.mgmt.containerservice import ContainerServiceClient

    sb = fast_world(sandbox_server, "aks", poll_ms=20)
    client = ContainerServiceClient(StaticCredential(sb.token), sb.subscription_id, **client_kwargs(sb),
                                    polling_interval=0.02)
    yield sb, client
    sb.reset("demo")


def _host(sb: Any) -> str:
    return f"{sb.demo_cluster_id}.external.astronomer.run"


def test_get_and_list_have_arm_shapes(aks: Any) -> None:
    _, client = aks
    mc = client.managed_clusters.get("rg-aks-prod", "aks-prod")
    assert mc.type == "Microsoft.ContainerService/managedClusters" and mc.location == "eastus2"
    assert mc.properties.agent_pool_profiles[0].vnet_subnet_id.endswith("/virtualNetworks/vnet-aks-prod/subnets/"
                                                                         "snet-aks-nodes")
    assert mc.properties.node_resource_group == "MC_rg-aks-prod_aks-prod_eastus2"
    assert [c.name for c in client.managed_clusters.list_by_resource_group("rg-aks-prod")] == [
        "aks-prod", "aks-split", "aks-stopped"]
    with pytest.raises(ResourceNotFoundError) as info:
        client.managed_clusters.get("rg-aks-prod", "nope")
    assert info.value.error.code == "ResourceNotFound"


def test_run_command_answers_from_the_clusters_vnet_dns_view(aks: Any) -> None:
    sb, client = aks
    # No endpoint, zone or record yet: from the cluster's VNet the name gets the public answer.
    result = client.managed_clusters.begin_run_command(
        "rg-aks-prod", "aks-prod", {"command": SCRIPT.format(host=_host(sb))}).result()
    props = result.properties
    assert props.exit_code == 0 and props.provisioning_state == "succeeded"
    assert "Address: 203.0.113.10" in props.logs and "rc=0" in props.logs
    assert props.started_at and props.finished_at


def test_run_command_polls_202_until_the_pod_is_done(aks: Any) -> None:
    sb, client = aks
    sb.knobs.aks_run_command_seconds = 0.4
    poller = client.managed_clusters.begin_run_command("rg-aks-prod", "aks-prod",
                                                       {"command": SCRIPT.format(host=_host(sb))})
    assert not poller.done()
    assert poller.result().properties.exit_code == 0
    polls = [r for r in sb.requests if "/commandResults/" in r.path]
    assert len(polls) >= 2 and polls[0].status == 202 and polls[-1].status == 200


def test_run_command_refusals(aks: Any) -> None:
    sb, client = aks
    with pytest.raises(HttpResponseError) as info:
        client.managed_clusters.begin_run_command("rg-network-hub", "aks-locked", {"command": "kubectl get ns"})
    assert info.value.status_code == 400 and "disabled" in info.value.error.message
    with pytest.raises(HttpResponseError) as info:
        client.managed_clusters.begin_run_command("rg-aks-prod", "aks-stopped", {"command": "kubectl get ns"})
    assert info.value.status_code == 409 and "Power State(Stopped)" in info.value.error.message
    sb.knobs.deny_actions = [("Microsoft.ContainerService/managedClusters/runCommand/action", "/subscriptions/")]
    with pytest.raises(HttpResponseError) as info:
        client.managed_clusters.begin_run_command("rg-aks-prod", "aks-prod", {"command": "kubectl get ns"})
    assert info.value.status_code == 403 and info.value.error.code == "AuthorizationFailed"
    assert "managedClusters/runCommand/action" in info.value.error.message


def test_aad_cluster_without_local_accounts_needs_the_cluster_token(aks: Any) -> None:
    sb, client = aks
    cmd = SCRIPT.format(host=_host(sb))
    without = client.managed_clusters.begin_run_command("rg-agents-weu", "aks-weu", {"command": cmd}).result()
    assert without.properties.exit_code == 1 and "Unauthorized" in without.properties.logs
    with_token = client.managed_clusters.begin_run_command(
        "rg-agents-weu", "aks-weu", {"command": cmd, "clusterToken": sb.token}).result()
    assert with_token.properties.exit_code == 0 and "rc=0" in with_token.properties.logs


def test_only_kubectl_is_on_the_command_pod(aks: Any) -> None:
    sb, client = aks
    result = client.managed_clusters.begin_run_command("rg-aks-prod", "aks-prod",
                                                       {"command": f"nslookup {_host(sb)}"}).result()
    assert result.properties.exit_code == 127 and "not found" in result.properties.logs
