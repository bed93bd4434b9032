"""Plain mode with ASTRO_API_TOKEN set: the Deployment is picked from the Astro API (an unusable one is refused with
its reason), which fills the API URL; the whole setup then runs as usual and the token is saved nowhere."""

from __future__ import annotations

from test_plain import ENTER, placement_keys, run_wizard

from wizard.core.record import RecordStore
from wizard.sandbox.astro_api import ORG_ID

REMOTE = "cldepremote00000000000001"


def test_plain_mode_picks_the_deployment(sandbox, tmp_path, monkeypatch):
    for key in ("ASTRO_API_TOKEN", "ASTRO_PL_ASTRO_API", "ASTRO_PL_CA_FILE"):
        monkeypatch.setenv(key, sandbox.env()[key])
    sandbox.knobs.approve_after = 0.3
    keys = (sandbox.demo_alias + ENTER
            + ENTER                        # pick the Deployment from Astro (the default)
            + "aws-agents" + ENTER         # refused: its cluster is on AWS
            + "agents-prod" + ENTER
            + placement_keys() + ENTER + "y" + "y")
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 0, out
    assert "aws-agents cannot be chosen: its cluster is on AWS, not Azure." in out
    assert f"Deployment agents-prod: API URL {sandbox.demo_api_url}" in out
    assert f"Astro cluster ID: {sandbox.demo_cluster_id}" in out
    assert "Astro reports the Deployment agents-prod HEALTHY." in out
    records, _ = RecordStore(tmp_path / "state").list()
    answers = records[0].answers
    assert (answers.organization_id, answers.deployment_id, answers.api_url) == (ORG_ID, REMOTE, sandbox.demo_api_url)
    for path in (tmp_path / "state").rglob("*"):
        assert sandbox.astro_api_token not in path.read_text(errors="replace")
