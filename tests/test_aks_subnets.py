"""The endpoint's subnet stays the user's choice: the pickers offer the subnets that can hold it (not delegated, a
free address) with their prefixes, and say why the others are not offered."""

from __future__ import annotations

import pytest
from test_plain import ENTER, run_wizard

from screens.placement import subnet_choices

ROWS = [
    ("every subnet usable", {"subnets": ["a", "b"], "prefixes": {"a": "10.0.0.0/24", "b": "10.0.1.0/28"},
                             "free": {"a": 251, "b": 11}, "delegated": {}},
     ["a", "b"], None),
    ("a delegated pod subnet is left out, said why",
     {"subnets": ["nodes", "pods", "pe"], "prefixes": {"nodes": "p1", "pods": "p2", "pe": "p3"},
      "free": {"nodes": 3, "pods": 100, "pe": 10},
      "delegated": {"pods": ["Microsoft.ContainerService/managedClusters"]}},
     ["nodes", "pe"], "pods (delegated to Microsoft.ContainerService/managedClusters)"),
    ("a full node subnet is left out", {"subnets": ["nodes", "pe"], "prefixes": {}, "free": {"nodes": 0, "pe": 1},
                                        "delegated": {}},
     ["pe"], "nodes (no free address)"),
    ("details read before the facts existed: everything offered", {"subnets": ["x"], "prefixes": {"x": "p"}},
     ["x"], None),
]


@pytest.mark.parametrize(("case", "details", "offered", "note_has"), ROWS, ids=[r[0] for r in ROWS])
def test_subnet_choices(case, details, offered, note_has):
    items, note = subnet_choices(details)
    assert [i.key for i in items] == offered
    if note_has is None:
        assert note is None
    else:
        assert note and note_has in note and "Azure creates no endpoint there" in note
    if details.get("free"):
        assert all(f"{details['free'][i.key]} free" in i.detail for i in items)


def test_plain_mode_leaves_out_the_clusters_pod_subnet(sandbox_server, tmp_path):
    sb = sandbox_server
    sb.reset("aks")
    try:
        keys = (sb.demo_alias + ENTER + sb.demo_api_url + ENTER + "aks-split" + ENTER + "snet-priv" + ENTER
                + ENTER + ENTER + "n" + "Stop" + ENTER)
        code, out, _ = run_wizard(sb, tmp_path / "state", keys)
        assert code == 0, out
        assert "snet-aks-pods (delegated to Microsoft.ContainerService/managedClusters)" in out
        assert "several VNets" in out
    finally:
        sb.reset("demo")
