"""Issue 11's low findings, each with a test that failed before its fix: the access token never leaks, the HTTPS
probe is bounded in bytes and time, state files cannot be turned against the user, a broken record never stops
the tool, the Verify screen re-runs and a crash shows one sentence (no locals), and the cryptography floor."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from app_helpers import make_app, screen_name, wait_for
from engine_helpers import demo_config
from textual.message import Message

from wizard.cli import main
from wizard.core.config import ConfigError, SetupConfig, parse_config
from wizard.core.errors import explain
from wizard.core.record import RecordStore, SetupRecord, setup_key
from wizard.core.settings import AzureSettings, SettingsError, hide_secrets
from wizard.core.statefiles import StateDirError
from wizard.core.transcript import Transcript, entry_for, log_path_for, read_entries
from wizard.export import write_export
from wizard.sandbox.astro import AstroServer
from wizard.sandbox.certs import SandboxCA

ROOT = Path(__file__).resolve().parent.parent
HOST = "clmh597sg000208lb2kjhcn8q.external.astronomer.run"


def _write_config(sandbox, where: Path) -> str:
    path = where / "setup.toml"
    path.write_text(demo_config(sandbox).to_toml())
    return str(path)


# -- 1. the access token -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", ["eyJhbGciOi.PARTONE-abcdef\n  eyJzdWIiOi.PARTTWO-ghijkl",
                                   "eyJhbGciOi.PARTONE-abcdef eyJzdWIiOi.PARTTWO-ghijkl",
                                   "eyJhbGciOi.PARTONE-abcdef\x1b[2Jx.PARTTWO-ghijkl",
                                   "eyJhbGciOi.PARTONE-abcdef\u00e9.PARTTWO-ghijkl"])
def test_a_wrapped_or_odd_token_is_refused_at_load_without_echoing_it(token):
    with pytest.raises(SettingsError) as refused:
        AzureSettings.from_env({"ASTRO_PL_ACCESS_TOKEN": token})
    message = str(refused.value)
    assert "ASTRO_PL_ACCESS_TOKEN" in message and "run again" in message
    assert "PARTONE" not in message and "PARTTWO" not in message and "\n" not in message
    # surrounding whitespace (a trailing newline from a file) is still fine
    good = AzureSettings.from_env({"ASTRO_PL_ACCESS_TOKEN": "  eyJ.good-token_value~1=\n"})
    assert good.access_token == "eyJ.good-token_value~1="


def test_a_wrapped_token_stops_the_cli_before_any_request_and_leaks_nowhere(sandbox, sandbox_env, monkeypatch,
                                                                             capsys):
    config = _write_config(sandbox, sandbox_env)
    monkeypatch.setenv("ASTRO_PL_ACCESS_TOKEN", "SECRETPARTONE-abc\n  SECRETPARTTWO-def")
    before = len(sandbox.requests)
    assert main(["plan", "--config", config]) == 2
    out = capsys.readouterr()
    assert "SECRETPART" not in out.out + out.err
    assert "one line" in out.err
    assert len(sandbox.requests) == before
    state = sandbox_env / "state"
    assert not any("SECRETPART" in p.read_text() for p in state.glob("*")) if state.exists() else True


def test_the_token_value_is_hidden_in_explained_errors_the_log_and_report(sandbox, sandbox_env, capsys):
    token = sandbox.token
    AzureSettings(access_token=token)  # as every settings load does: the value is known from then on
    quoted = ValueError(f"Invalid header value: 'x-custom {token}' (proxy said: {token[:6]} {token})")
    sentence = explain(quoted).sentence
    assert token not in sentence and "<hidden>" in sentence
    assert token not in hide_secrets(f"Authorization: Bearer {token.upper()}x")

    # a request log and a setup record written by an earlier version, with the token in them
    config = _write_config(sandbox, sandbox_env)
    store = RecordStore(sandbox_env / "state")
    record = store.load_or_new(demo_config(sandbox)).record
    record.note("dns_zone", "failed", f"The connection broke ({token}): run again.")
    store.save(record)
    log = log_path_for(store, setup_key(demo_config(sandbox)))   # keyed by cluster and endpoint (issue 15)
    log.write_text(json.dumps(entry_for("GET", "https://arm/x", None, 5, error=f"ServiceResponseError: {token}"))
                   + "\n")
    assert all(token not in json.dumps(e) for e in read_entries(log))
    transcript = Transcript(log)
    from wizard.core.transcript import _clean_error

    transcript.add(entry_for("GET", "https://arm/y", None, 5, error=_clean_error(RuntimeError(f"no: {token}"))))
    assert token not in log.read_text().splitlines()[-1]

    assert main(["report", "--config", config]) == 0
    out = capsys.readouterr().out
    assert token not in out
    assert "ServiceResponseError: <hidden>" in out and "The connection broke (<hidden>)" in out


# -- 2. the HTTPS probe --------------------------------------------------------------------------------------------
@dataclass
class BodyKnobs:
    astro_body: str = "normal"
    astro_drip_seconds: float = 0.05


@pytest.fixture(scope="module")
def astro_ca(tmp_path_factory):
    ca = SandboxCA.create()
    return ca, ca.write_cert(tmp_path_factory.mktemp("ca") / "ca.pem")


def _settle(condition, seconds: float = 2.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize(("mode", "kind"), [("endless", "ok"), ("drip", "ok"), ("drip_head", "timeout")])
def test_the_https_probe_is_bounded_in_bytes_and_time_and_closes_the_connection(astro_ca, mode, kind):
    from steps.verify.probes import MAX_BODY_BYTES, https_get_via, probe_https

    ca, ca_file = astro_ca
    knobs = BodyKnobs(mode)
    threads_before = threading.active_count()
    with AstroServer(ca, lambda ip: True, lambda: knobs) as srv:
        timeout = 1.5
        t0 = time.monotonic()
        outcome = probe_https("127.0.0.1", srv.port, HOST, ca_file, timeout)
        took = time.monotonic() - t0
        assert outcome.kind == kind, outcome
        assert took < timeout + 0.5  # one deadline for the whole request, not one per read
        if kind == "ok":
            assert outcome.status == 404 and "404 page not found" in outcome.message
        # the connection is closed when the probe returns: the server stops sending, and no thread reads on
        assert _settle(lambda: srv.open_connections == 0), "the probe left its connection open"
        sent = srv.body_bytes_sent
        time.sleep(0.3)
        assert srv.body_bytes_sent == sent
        assert _settle(lambda: threading.active_count() <= threads_before + 1 + len(srv.addresses))
        if mode == "endless":
            resp = https_get_via("127.0.0.1", srv.port, HOST, ca_file=ca_file, timeout=timeout)
            assert resp.status_code == 404 and len(resp.content) == MAX_BODY_BYTES
            assert resp.content.startswith(b"404 page not found\n")


def test_the_normal_astro_answer_is_unchanged_by_the_cap(astro_ca):
    from steps.verify.probes import https_get_via, probe_https

    ca, ca_file = astro_ca
    with AstroServer(ca, lambda ip: True, lambda: BodyKnobs()) as srv:
        resp = https_get_via("127.0.0.1", srv.port, HOST, ca_file=ca_file, timeout=2.0)
        assert (resp.status_code, resp.text, resp.http_version) == (404, "404 page not found\n", "HTTP/1.1")
        assert probe_https("127.0.0.1", srv.port, HOST, ca_file, 2.0).kind == "ok"


# -- 3. the state directory ----------------------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_state_files_are_private_and_a_loose_directory_is_fixed_and_reported(tmp_path):
    loose = tmp_path / "state"
    loose.mkdir()
    os.chmod(loose, 0o777)
    store = RecordStore(loose)
    config = parse_config(demo_toml())
    result = store.load_or_new(config)
    assert _mode(loose) == 0o700
    assert result.message and "writable by others" in result.message
    store.save(result.record)
    toml = store.save_config(config)
    assert _mode(toml) == 0o600 and _mode(store.path_for(setup_key(config))) == 0o600
    draft = store.save_text("draft.toml", config.to_toml())
    assert _mode(draft) == 0o600

    fresh = RecordStore(tmp_path / "new" / "state")
    fresh.save_config(config)
    assert _mode(tmp_path / "new" / "state") == 0o700
    quiet = tmp_path / "readable"
    quiet.mkdir(mode=0o755)
    os.chmod(quiet, 0o755)
    assert RecordStore(quiet).list() == ([], [])  # readable by others: made private without a word
    assert _mode(quiet) == 0o700


def test_the_tui_draft_is_private(sandbox, tmp_path):
    app = make_app(sandbox, tmp_path / "state")
    app.config = SetupConfig(alias=sandbox.demo_alias)
    app.save_answers()
    assert _mode(app.draft_path) == 0o600 and _mode(tmp_path / "state") == 0o700


def test_another_users_state_directory_is_refused(sandbox, sandbox_env, tmp_path, capsys, monkeypatch):
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    planted = {"version": 1, "cluster_id": sandbox.demo_cluster_id, "answers": {},
               "resources": {"dns_zone": {"id": "/subscriptions/x/resourceGroups/victim/providers/Microsoft.Network/"
                                                "privateDnsZones/external.astronomer.run", "created_by_tool": True}}}
    (theirs / f"{sandbox.demo_cluster_id}.json").write_text(json.dumps(planted))
    os.chown(theirs, 4242, 4242) if os.geteuid() == 0 else monkeypatch.setattr(os, "geteuid", lambda: 4242)
    store = RecordStore(theirs)
    with pytest.raises(StateDirError, match="belongs to another user"):
        store.load(sandbox.demo_cluster_id)
    records, messages = store.list()
    assert records == [] and "belongs to another user" in messages[0]

    config = _write_config(sandbox, sandbox_env)
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(theirs))
    assert main(["destroy", "--config", config, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "belongs to another user" in err and "ASTRO_PL_STATE_DIR" in err


def test_symlinks_in_the_state_directory_are_never_followed(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    config = parse_config(demo_toml())
    store = RecordStore(state)
    log = log_path_for(store, setup_key(config))
    log.symlink_to(victim)
    transcript = Transcript(log)
    transcript.add(entry_for("GET", "https://arm/x", 200, 1))
    assert victim.read_text() == "precious\n"
    assert transcript.write_error and "symbolic link" in transcript.write_error

    toml = store.config_path_for(setup_key(config))
    toml.symlink_to(victim)
    store.save_config(config)
    assert victim.read_text() == "precious\n" and not toml.is_symlink() and _mode(toml) == 0o600

    record = store.path_for(setup_key(config))
    record.symlink_to(victim)
    result = store.load(setup_key(config))  # a record that is a symlink is set aside, not read
    assert result.record is None and "could not be read" in result.message and victim.exists()


def test_exports_are_written_atomically_and_privately(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    target = tmp_path / "out.tf"
    target.symlink_to(victim)
    write_export(target, "terraform {}\n", "terraform")
    assert victim.read_text() == "precious\n" and target.read_text() == "terraform {}\n"
    assert _mode(target) == 0o600
    script = tmp_path / "out.sh"
    write_export(script, "#!/usr/bin/env bash\n", "az")
    assert _mode(script) == 0o700
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


# -- 4. records and config files that are not what they should be --------------------------------------------------
CORRUPT = {
    "array": "[]",
    "string": '"x"',
    "deep-array": "[" * 200_000,
    "deep-object": '{"a":' * 200_000,
    "cluster-id-number": '{"version": 1, "cluster_id": 5}',
    "resources-list": '{"version": 1, "cluster_id": "c", "resources": []}',
    "resource-id-number": '{"version": 1, "cluster_id": "c", "resources": {"pe": {"id": 5}}}',
    "created-flag-string": '{"version": 1, "cluster_id": "c", "resources": {"pe": {"id": "/x", '
                           '"created_by_tool": "yes"}}}',
    "facts-list": '{"version": 1, "cluster_id": "c", "resources": {"pe": {"id": "/x", "facts": ["ip"]}}}',
    "answers-alias-number": '{"version": 1, "cluster_id": "c", "answers": {"alias": 7}}',
    "answers-list": '{"version": 1, "cluster_id": "c", "answers": ["a"]}',
    "linked-vnets-string": '{"version": 1, "cluster_id": "c", "answers": {"linked_vnets": "v"}}',
    "steps-object": '{"version": 1, "cluster_id": "c", "steps": {"pe": {"at": "x"}}}',
    "step-detail-number": '{"version": 1, "cluster_id": "c", "steps": {"pe": [{"at": "x", "state": "done", '
                          '"detail": 1}]}}',
    "updated-at-number": '{"version": 1, "cluster_id": "c", "updated_at": 5}',
    "not-utf8": b"\xff\xfe{",
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_a_broken_record_is_set_aside_with_the_usual_message(tmp_path, name):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    good = SetupRecord(cluster_id="good", answers=SetupConfig(alias="a"))
    store = RecordStore(state)
    store.save(good)
    content = CORRUPT[name]
    path = state / "broken.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    records, messages = store.list()
    assert [r.cluster_id for r in records] == ["good"]
    assert len(messages) == 1 and re.search(r"The setup record .*broken\.json could not be read \(.+\); it was "
                                            r"moved to .*broken\.corrupt-.*\.json", messages[0]), messages
    assert not path.exists() and len(list(state.glob("broken.corrupt-*.json"))) == 1


def test_a_broken_record_does_not_keep_the_tui_from_starting(sandbox, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "a.json").write_text("[]")
    (state / "b.json").write_text("[" * 200_000)
    (state / "draft.toml").write_text("a = " + "[" * 200_000)

    async def run() -> None:
        app = make_app(sandbox, state)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            shown = str(app.screen.query_one("#start-messages").render())
            assert shown.count("could not be read") == 2

    asyncio.run(run())


def test_a_deeply_nested_config_is_a_config_error():
    for text in ("a = " + "[" * 200_000, "a = " + "{b = " * 50_000):
        with pytest.raises(ConfigError, match="nested too deeply"):
            parse_config(text, source="setup.toml")


# -- 5. the Verify screen and crashes ------------------------------------------------------------------------------
def test_verify_runs_again_after_a_failed_check(sandbox, tmp_path):
    async def run() -> None:
        app = make_app(sandbox, tmp_path / "state")
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            app.resume(None, demo_config(sandbox), page="verify")  # nothing created: the checks fail
            await wait_for(pilot, lambda: screen_name(app) == "VerifyScreen")
            await wait_for(pilot, lambda: app.verify_state == "failed", timeout=30, what="first report")
            first = app.screen.report
            assert app.screen.query(".fix-button"), "a failed check offers a fix"
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.screen.report is not first, timeout=30, what="second report")
            await pilot.pause()
            assert app.is_running and app.return_code is None
            buttons = app.screen.query(".fix-button")
            assert len({b.id for b in buttons}) == len(buttons)
            await pilot.click(f"#{buttons.last().id}")
            await wait_for(pilot, lambda: screen_name(app) != "VerifyScreen", what="the fix button works")

    asyncio.run(run())


class Boom(RuntimeError):
    pass


class Poke(Message):
    """A message whose handler (patched onto the start screen) raises."""


def test_a_crash_shows_one_sentence_and_writes_a_redacted_traceback(sandbox, tmp_path, capsys, monkeypatch):
    from screens.start import StartScreen

    sub = sandbox.subscription_id
    state = tmp_path / "state"

    def explode(self, message) -> None:  # a handler with the subscription id in its locals and in its message
        subscription_in_a_local = self.wizard.config.subscription_id
        raise Boom(f"no such thing in /subscriptions/{subscription_in_a_local}/resourceGroups/rg")

    monkeypatch.setattr(StartScreen, "on_poke", explode, raising=False)

    async def run() -> None:
        app = make_app(sandbox, state, redact=True)
        app.config = demo_config(sandbox)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
            app.screen.post_message(Poke())
            await wait_for(pilot, lambda: app.return_code is not None, what="the app ended")

    with pytest.raises(Boom):
        asyncio.run(run())
    err = capsys.readouterr().err
    crash = list(state.glob("crash-*.txt"))
    assert len(crash) == 1 and _mode(crash[0]) == 0o600
    assert "stopped on an unexpected error (Boom)" in err and str(crash[0]) in "".join(err.split())
    assert sub not in err and "subscription_in_a_local" not in err and "locals" not in err.lower()
    text = crash[0].read_text()
    assert "Traceback" in text and "raise Boom" in text and sub not in text and sub[-4:] in text
    assert "subscription_in_a_local =" not in text.split("raise Boom")[-1]  # source lines, never values


# -- 6. the dependency floor and the CA file ----------------------------------------------------------------------
def test_the_cryptography_floor_excludes_releases_with_advisories():
    pyproject = (ROOT / "pyproject.toml").read_text()
    floor = re.search(r'"cryptography>=([0-9.]+)', pyproject)
    assert floor, "cryptography has a floor"
    version = tuple(int(p) for p in floor.group(1).split("."))
    # CVE-2024-26130 fixed in 42.0.4; CVE-2024-12797 in 44.0.1; GHSA-537c-gmf6-5ccf in 48.0.1; CVE-2026-69247 in
    # 50.0.0 (affected 44.0.0 to 49.x)
    assert version >= (50, 0, 0)
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"ASTRO_PL_CA_FILE.{0,300}replaces", readme, re.S)


def test_the_ca_file_replaces_the_trust_store(sandbox):
    """What README says, in the code: verify trusts only the file's CAs, and the Azure clients get the file as their
    only bundle (requests then loads no other: `verify=<path>` becomes urllib3's `ca_certs`)."""
    from steps.verify.probes import tls_context
    from wizard.core.azure import ClientFactory

    assert tls_context(sandbox.ca_file).cert_store_stats()["x509_ca"] == 1
    factory = ClientFactory(AzureSettings(arm_endpoint=sandbox.arm_endpoint, ca_file=sandbox.ca_file,
                                          access_token=sandbox.token))
    assert factory._kwargs()["connection_verify"] == sandbox.ca_file


def demo_toml() -> str:
    return """
[astro]
alias = "astro.6f3d8a52-1c4e-4b7a-9d2e-5a8c0f1b7e34.eastus2.azure.privatelinkservice"
api_url = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"
[azure]
subscription_id = "8f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f"
resource_group = "rg-aks-prod"
[endpoint]
vnet = "vnet-aks-prod"
subnet = "snet-private-endpoints"
"""


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX permissions")
