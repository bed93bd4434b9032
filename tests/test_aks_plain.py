"""Plain mode asks for the AKS cluster first; choosing it fills the resource group and VNet, then asks the subnet."""

from __future__ import annotations

from test_plain import ENTER, run_wizard

from wizard.core.record import RecordStore


def test_plain_mode_starts_from_the_cluster(sandbox, tmp_path):
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER
            + "aks-prod" + ENTER          # Which AKS cluster runs your Remote Execution Agents?
            + "snet-priv" + ENTER         # the subnet of its VNet
            + ENTER + ENTER + "n"         # default endpoint name, no NIC name, no other VNets
            + "Stop" + ENTER)             # review: stop here
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 0, out
    assert "VNet vnet-aks-prod: from AKS cluster aks-prod's node pools" in out, out
    records, _ = RecordStore(tmp_path / "state").list()
    answers = next(r.answers for r in records if r.answers.subnet)
    assert answers.resource_group == "rg-aks-prod" and answers.vnet == "vnet-aks-prod"
    assert answers.subnet == "snet-private-endpoints"
    assert answers.aks_cluster and answers.aks_cluster.endswith("/managedClusters/aks-prod")
