"""`astro-privatelink report`: steps, resource ids (masked with --redact), last errors with correlation ids."""

from __future__ import annotations

import re

import pytest
from engine_helpers import demo_config, make_engine

from wizard.cli import main
from wizard.core.record import RecordStore, setup_key
from wizard.core.redact import Redactor, mask
from wizard.core.transcript import failed_entries, log_path_for, read_entries
from wizard.report import render_report


@pytest.fixture
def cli_env(sandbox, sandbox_env):
    path = sandbox_env / "setup.toml"
    path.write_text(demo_config(sandbox).to_toml())
    return str(path)


def test_redacted_report_after_a_refused_write(sandbox, cli_env, tmp_path, capsys):
    sub = sandbox.subscription_id
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/write", "/subscriptions")]
    assert main(["apply", "--config", cli_env, "--yes", "--no-wait"]) == 1
    capsys.readouterr()
    assert main(["report", "--config", cli_env, "--redact"]) == 0
    out = capsys.readouterr().out

    assert sub not in out and sub.upper() not in out
    assert f"/subscriptions/{mask(sub)}/" in out and mask(sub).endswith(sub[-4:])
    for n, title in enumerate(["Check the alias", "Create the private endpoint", "Create the private DNS zone",
                               "Link the zone", "Create the A record", "Wait for Astronomer"], start=1):
        assert f"{n}. {title}" in out
    assert "private_endpoint: /subscriptions/" in out and "created by this tool" in out
    # the refused zone write: from the record (the sentence) and from the request log (with its ids)
    problems = out.split("Last problems the steps reported")[1].split("Last failed Azure requests")[0]
    assert "dns zone: FAILED" in problems
    log = read_entries(next((tmp_path / "state").glob(f"{sandbox.demo_cluster_id}--*.requests.log")))
    refused = [e for e in failed_entries(log) if e.get("error_code") == "AuthorizationFailed"]
    assert refused
    assert f"correlation id: {refused[-1]['correlation_id']}" in out
    assert "AuthorizationFailed" in out
    assert sandbox.token not in out
    assert "Paste everything above" in out


def test_unredacted_report_keeps_ids_and_a_done_setup_has_no_errors(sandbox, cli_env, capsys):
    sandbox.knobs.approve_after = 0.1
    assert main(["apply", "--config", cli_env, "--yes"]) == 0
    capsys.readouterr()
    assert main(["report", "--config", cli_env]) == 0
    out = capsys.readouterr().out
    assert f"/subscriptions/{sandbox.subscription_id}/" in out
    assert "[x] 6. Wait for Astronomer" in out
    assert re.search(r"none among the \d+ requests logged", out)
    assert "Last problems the steps reported (setup record)\n  none" in out


def test_report_when_azure_cannot_be_read_still_shows_the_record(sandbox, tmp_path):
    engine = make_engine(sandbox, tmp_path / "state")
    engine.apply(wait_for_approval=False)
    store = RecordStore(tmp_path / "state")
    text = render_report(engine, plan_error="You are not signed in to Azure: run `az login`.", redact=True,
                         transcript_path=log_path_for(store, setup_key(engine.config)))
    assert "Azure could not be read: You are not signed in to Azure" in text
    assert "private_endpoint: /subscriptions/****" in text
    assert "the request log is empty or missing" in text
    assert sandbox.subscription_id not in text


def test_redactor_masks_ids_in_paths_and_known_ids_anywhere():
    r = Redactor(True, {"11111111-2222-3333-4444-555555556789"})
    assert r("/subscriptions/11111111-2222-3333-4444-555555556789/resourceGroups/x") == \
        "/subscriptions/****6789/resourceGroups/x"
    assert r("in subscription 11111111-2222-3333-4444-555555556789.") == "in subscription ****6789."
    assert r("/SUBSCRIPTIONS/abcdef12-0000-0000-0000-00000000beef/x") == "/SUBSCRIPTIONS/****beef/x"
    assert Redactor(False)("/subscriptions/abc12345/x") == "/subscriptions/abc12345/x"
