"""Issue 10's field behaviours all switched on at once, through the real CLI: roles granted on resource groups
only (README's minimal set), Private DNS's write queue, a late failure through the long-running operation,
a transient InvalidPrivateLinkServiceId, a zone that cannot be deleted right after its links, and a NIC that
outlives its endpoint. The product must end right in every run: never a false done, a rerun converges, a
re-apply writes nothing, and destroy then apply again works."""

from __future__ import annotations

import json

from engine_helpers import RG, demo_config

from wizard.cli import main
from wizard.sandbox import seeds
from wizard.sandbox.arm.model import LroFailure
from wizard.sandbox.world import T_LINK, T_PE, T_ZONE

NIC = "astro-privatelink-nic"
LATE = ("A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link "
        "virtual network with 'external.astronomer.run' and 'external.astronomer.run' zones.")


def field_knobs(sandbox) -> None:
    knobs = sandbox.knobs
    knobs.role_assignments = seeds.minimal_roles(sandbox.subscription_id, endpoint_rg=RG)
    knobs.dns_write_queue = "resource"                  # Azure's default; named here to say it is on
    knobs.lro_failures = [LroFailure("virtualNetworkLinks", "*", "BadRequest", LATE, "Failed", 1)]
    knobs.pe_invalid_pls_id = 1                         # the first endpoint create is refused, then accepted
    knobs.zone_links_linger_seconds = 0.5               # the zone refuses deletion for a while after its links
    knobs.nic_linger_seconds = 1.0                      # the endpoint's NIC outlives it
    knobs.approve_after = 0.0


def test_whole_life_cycle_with_every_field_behaviour_on(sandbox, sandbox_env, capsys):
    field_knobs(sandbox)
    config = sandbox_env / "setup.toml"
    config.write_text(demo_config(sandbox, nic_name=NIC).to_toml())
    cfg = str(config)

    # 1. The link fails late, through its operation: apply says so (exit 1), and the links are not done.
    assert main(["apply", "--config", cfg, "--yes"]) == 1
    out = capsys.readouterr().out
    assert "vnet links: That VNet is already linked to another 'external.astronomer.run' zone" in out
    assert main(["status", "--config", cfg, "--json"]) == 0  # status fails only when the inputs do
    status = {s["name"]: s["state"] for s in json.loads(capsys.readouterr().out)["steps"]}
    assert status["vnet_links"] != "done" and status["private_endpoint"] == "done", status

    # 2. A rerun sends the failed link again and converges.
    assert main(["apply", "--config", cfg, "--yes"]) == 0
    capsys.readouterr()

    # 3. A re-apply writes nothing; status and verify agree.
    writes_before = len(sandbox.writes())
    assert main(["apply", "--config", cfg, "--yes"]) == 0
    assert len(sandbox.writes()) == writes_before
    capsys.readouterr()
    assert main(["status", "--config", cfg, "--json"]) == 0
    assert {s["state"] for s in json.loads(capsys.readouterr().out)["steps"]} == {"done"}
    assert main(["verify", "--config", cfg, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]

    # 4. Destroy waits out the zone, removes everything this tool made; apply again waits out the old NIC.
    assert main(["destroy", "--config", cfg, "--yes"]) == 0
    world = sandbox.world
    assert not (world.of_type(T_PE) or world.of_type(T_ZONE) or world.of_type(T_LINK))
    capsys.readouterr()
    assert main(["apply", "--config", cfg, "--yes"]) == 0
    assert "waiting for Azure to remove network interface" in capsys.readouterr().out
    refusals = {r.status for r in sandbox.requests if r.status in (401, 500)}
    assert refusals == set()
