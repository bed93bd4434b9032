"""The request log: one JSON line per ARM request (retries included), ids kept, never a token or a query."""

from __future__ import annotations

import json
import os
import stat

from engine_helpers import demo_config, make_engine, sandbox_settings

from wizard.core.azure import ClientFactory
from wizard.core.record import RecordStore
from wizard.core.transcript import Transcript, failed_entries, log_path_for, read_entries
from wizard.engine import ApprovalPolling, Engine

FIELDS = {"time", "method", "path", "status", "duration_ms", "request_id", "correlation_id", "attempt"}


def _engine(sandbox, state, transcript, **kw):
    factory = ClientFactory(sandbox_settings(sandbox), per_call_policies=[transcript.policy()])
    kw.setdefault("approval", ApprovalPolling(first=0.05, longest=0.2, timeout=5.0))
    return Engine(demo_config(sandbox), factory, RecordStore(state), **kw)


def _arm_requests(sandbox):
    return [r for r in sandbox.requests if not r.path.startswith("/_sandbox")]


def test_every_request_is_one_line_beside_the_record(sandbox, tmp_path):
    store = RecordStore(tmp_path / "state")
    path = log_path_for(store, sandbox.demo_cluster_id)
    assert path.parent == store.path_for(sandbox.demo_cluster_id).parent
    assert path.name == f"{sandbox.demo_cluster_id}.requests.log"
    transcript = Transcript(path)
    engine = _engine(sandbox, tmp_path / "state", transcript)
    sandbox.knobs.approve_after = 0.1
    result = engine.apply()
    assert result.exit_code == 0, result.outcomes

    entries = read_entries(path)
    assert len(entries) == len(_arm_requests(sandbox))
    for e in entries:
        assert set(e) >= FIELDS, e
        assert "?" not in e["path"] and e["path"].startswith("/")
        assert isinstance(e["status"], int) and isinstance(e["duration_ms"], int)
        assert e["request_id"] and e["correlation_id"]
    assert any(e["method"] == "PUT" and e["path"].endswith("/privateEndpoints/astro-privatelink") for e in entries)
    assert sorted((e["method"], e["path"].lower()) for e in entries) == \
        sorted((r.method, r.path.split("?")[0].lower()) for r in _arm_requests(sandbox))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # the record store does not mistake the log for a record
    records, messages = store.list()
    assert [r.cluster_id for r in records] == [sandbox.demo_cluster_id] and not messages


def test_retried_attempts_are_logged_each_with_its_ids(sandbox, tmp_path):
    sandbox.knobs.throttle_rate = 0.4
    sandbox.knobs.seed = 7
    transcript = Transcript(tmp_path / "t.log")
    engine = _engine(sandbox, tmp_path / "state", transcript)
    engine.plan()
    entries = read_entries(tmp_path / "t.log")
    throttled = [e for e in entries if e["status"] == 429]
    assert throttled, "the sandbox throttled nothing: raise throttle_rate"
    assert any(e.get("retried") for e in throttled) and all(e["request_id"] for e in throttled)
    assert len(entries) == len(_arm_requests(sandbox))


def test_failed_requests_carry_the_error_code_and_correlation_id(sandbox, tmp_path):
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateEndpoints/write", "/subscriptions")]
    transcript = Transcript(tmp_path / "t.log")
    engine = _engine(sandbox, tmp_path / "state", transcript)
    result = engine.apply(wait_for_approval=False)
    assert result.outcomes["private_endpoint"].state.value == "failed"
    failed = failed_entries(read_entries(tmp_path / "t.log"))
    assert failed and failed[-1]["status"] == 403
    assert failed[-1]["error_code"] == "AuthorizationFailed"
    assert failed[-1]["correlation_id"]
    assert result.outcomes["private_endpoint"].correlation_id in {e["correlation_id"] for e in failed}


def test_lines_made_before_the_path_is_known_are_written_when_it_is(sandbox, tmp_path):
    transcript = Transcript()
    factory = ClientFactory(sandbox_settings(sandbox), per_call_policies=[transcript.policy()])
    subs = list(factory.subscriptions().subscriptions.list())
    assert subs and transcript.recent
    target = tmp_path / "later" / "c.requests.log"
    transcript.set_path(target)
    entries = read_entries(target)
    assert entries and entries[0]["path"].startswith("/subscriptions")


def test_no_token_authorization_or_query_in_any_file(sandbox, tmp_path, monkeypatch, capsys):
    from wizard.cli import main

    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    state = tmp_path / "state"
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(state))
    monkeypatch.setenv("ASTRO_PL_POLLING_INTERVAL", "0.05")
    sandbox.knobs.throttle_rate = 0.2
    sandbox.knobs.deny_actions = [("Microsoft.Network/privateDnsZones/write", "/subscriptions")]
    config = tmp_path / "setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    assert main(["apply", "--config", str(config), "--yes", "--no-wait"]) == 1
    assert main(["report", "--config", str(config)]) == 0
    capsys.readouterr()
    files = [p for p in state.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".requests.log") for p in files)
    token = sandbox.token
    for p in files:
        text = p.read_text()
        assert token not in text and token[-24:] not in text, p
        low = text.lower()
        assert '"authorization"' not in low and "authorization:" not in low and "bearer" not in low, p
        assert "api-version" not in text, p
    log = next(state.glob(f"{sandbox.demo_cluster_id}--*.requests.log"))   # keyed by cluster and endpoint (issue 15)
    lines = log.read_text().splitlines()
    assert all(set(json.loads(line)) <= FIELDS | {"retried", "error_code", "error"} for line in lines)


def test_connection_errors_are_logged_without_an_answer(sandbox, tmp_path):
    transcript = Transcript(tmp_path / "t.log")
    engine = make_engine(sandbox, tmp_path / "state")
    factory = ClientFactory(sandbox_settings(sandbox), per_call_policies=[transcript.policy()])
    engine = Engine(engine.config, factory, None)
    sandbox.knobs.drop_at = {len(sandbox.requests) + 1}
    engine.plan()
    entries = read_entries(tmp_path / "t.log")
    dropped = [e for e in entries if e["status"] is None]
    assert dropped and dropped[0]["error"] and dropped[0].get("retried")
    assert "?" not in dropped[0]["error"]
