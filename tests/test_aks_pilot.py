"""Pilot: start from the AKS cluster (the demo's), everything else derived; create, approve, and verify from inside
the cluster: every check from there passes while this machine's DNS check says it is outside the VNet."""

from __future__ import annotations

import asyncio

from app_helpers import (
    create_and_approve,
    make_app,
    pick,
    screen_name,
    to_astro_details,
    to_placement,
    to_review,
    to_verify,
    wait_for,
)


def test_pick_the_cluster_then_verify_from_inside(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=(110, 36)) as pilot:
            await to_astro_details(pilot)
            await to_placement(pilot)
            assert app.focused is not None and app.focused.id == "aks-button"   # the page starts with the cluster
            await pilot.press("enter")
            await pick(pilot, "aks-prod")
            # The cluster gives the group and the VNet; the subnet picker opens by itself.
            await pick(pilot, "private")
            await wait_for(pilot, lambda: app.config.subnet == "snet-private-endpoints", what="subnet chosen")
            cfg = app.config
            assert cfg.resource_group == "rg-aks-prod" and cfg.vnet == "vnet-aks-prod" and cfg.linked_vnets == []
            assert cfg.aks_cluster and cfg.aks_cluster.endswith("/managedClusters/aks-prod")
            assert "from AKS cluster aks-prod's node pools" in app.screen.vnet_source
            await to_review(pilot)
            await create_and_approve(pilot)
            sandbox.knobs.dns_vnet_id = None   # this machine: outside the VNet, as a laptop is
            await to_verify(pilot)
            assert app.verify_state == "failed" and app.screen.report.outside_vnet
            app.verify_state = None
            await pilot.press("ctrl+k")   # from the AKS cluster
            await wait_for(pilot, lambda: screen_name(app) == "NamespaceScreen", what="the namespace question")
            await pilot.press("enter")    # empty: the default namespace (asked once: tests/test_aks_namespace.py)
            await wait_for(pilot, lambda: app.verify_state is not None, timeout=30, what="in-cluster report")
            report = app.screen.report
            inside = [c for c in report.checks if c.where == "AKS cluster aks-prod"]
            assert app.verify_state == "done" and report.ok and report.verified_inside
            assert [c.name for c in inside] == ["dns", "https"] and all(c.ok for c in inside)
            local_dns = next(c for c in report.checks if c.name == "dns" and c.where == "this machine")
            assert not local_dns.ok and "outside the agents' VNet" in (local_dns.diagnosis or "")

    asyncio.run(run())
