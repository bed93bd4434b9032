"""Tokens expire; approval can take days. The sandbox issues tokens with an expiry and answers an expired one as ARM
does (401 ExpiredAuthenticationToken); a static token stops the approval wait cleanly (resumable, exit 130), a
refreshing credential keeps it going across expiries. The sandbox's clock is moved forward (`tokens.advance`) or
tokens live a second, so no test waits long."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from conftest import make_sdk
from engine_helpers import demo_config, make_engine, sandbox_settings, states

from wizard.core.azure import ClientFactory
from wizard.core.errors import explain
from wizard.core.record import RecordStore
from wizard.engine import EXIT_OK, EXIT_STOPPED, ApprovalPolling, Engine

ARM_TIME = r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M"


def test_an_expired_token_gets_arms_401(sandbox):
    from azure.core.exceptions import ClientAuthenticationError

    sdk = make_sdk(sandbox, token=sandbox.issue_token(lifetime=600))
    assert [g.name for g in sdk.resources.resource_groups.list()]
    sandbox.tokens.advance(3600)                      # an hour later, as the sandbox's clock says
    with pytest.raises(ClientAuthenticationError) as raised:
        list(sdk.resources.resource_groups.list())
    exc = raised.value
    assert exc.status_code == 401 and exc.error.code == "ExpiredAuthenticationToken"
    assert re.fullmatch(rf"The access token expiry UTC time '{ARM_TIME}' is earlier than current UTC time "
                        rf"'{ARM_TIME}'\.", exc.error.message), exc.error.message
    sentence = explain(exc).sentence
    assert sentence.startswith("Your Azure access token has expired: get a new one") and sentence.count(". ") == 0


def test_static_token_stops_the_approval_wait_cleanly_and_a_rerun_resumes(sandbox, tmp_path):
    token = sandbox.issue_token(lifetime=3600)
    moved = threading.Event()

    def on_event(event: Any) -> None:          # hours go by while Astronomer has not approved yet
        if event.step == "approval" and "waiting for Astronomer" in event.message and not moved.is_set():
            moved.set()
            sandbox.tokens.advance(2 * 3600)

    factory = ClientFactory(sandbox_settings(sandbox).with_overrides(access_token=token))
    engine = Engine(demo_config(sandbox), factory, RecordStore(tmp_path / "state"), on_event=on_event,
                    approval=ApprovalPolling(first=0.05, longest=0.1, timeout=30.0))
    result = engine.apply()
    approval = result.outcomes["approval"]
    assert moved.is_set()
    assert result.exit_code == EXIT_STOPPED and approval.error_code == "Stopped"
    assert "the Azure access token expired" in approval.summary and "Run again to resume" in approval.summary
    for key, outcome in result.outcomes.items():     # steps running beside the wait: done, or the same one sentence
        assert outcome.state.value == "done" or key == "approval" or \
            outcome.summary.startswith("Your Azure access token has expired"), (key, outcome.summary)
    # a fresh token, Astronomer approves meanwhile, the same command again: it goes on and finishes
    sandbox.approve()
    again = make_engine(sandbox, tmp_path / "state", demo_config(sandbox)).apply()
    assert again.exit_code == EXIT_OK


class RefreshingCredential:
    """What `az login` gives DefaultAzureCredential: a new token whenever asked. Each is valid `lifetime` seconds
    of the sandbox's clock; it says it expires within a minute, so azure-core's bearer policy (which asks again
    within five minutes of expiry) asks for a new one before every request."""

    def __init__(self, sandbox: Any, lifetime: float) -> None:
        self.sandbox, self.lifetime, self.issued = sandbox, lifetime, 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.issued += 1
        return AccessToken(self.sandbox.issue_token(lifetime=self.lifetime), int(time.time()) + 60)


def test_a_refreshing_credential_waits_across_expiries(sandbox, tmp_path):
    """Tokens of 10 minutes and a wait of hours on the sandbox's clock, moved on at every poll (by less than one
    token's life, so a request in flight while it moves keeps a valid token): a credential that is never asked
    again would be refused after two polls; a refreshing one waits on until Astronomer approves."""
    sandbox.knobs.approve_after = 1.5                 # Astronomer approves 1.5 s (real time) after the endpoint exists
    lifetime, step = 600.0, 500.0
    cred = RefreshingCredential(sandbox, lifetime=lifetime)
    polls: list[float] = []

    def on_event(event: Any) -> None:
        if event.step == "approval" and "waiting for Astronomer" in event.message:
            sandbox.tokens.advance(step)
            polls.append(sandbox.tokens.offset)

    factory = ClientFactory(sandbox_settings(sandbox).with_overrides(access_token=None), credential=cred)
    engine = Engine(demo_config(sandbox), factory, RecordStore(tmp_path / "state"), on_event=on_event,
                    approval=ApprovalPolling(first=0.1, longest=0.2, timeout=30.0))
    result = engine.apply()
    assert result.exit_code == EXIT_OK, states(result)
    assert polls and polls[-1] >= 2 * lifetime, polls   # the wait outlived several tokens
    assert cred.issued > 3
    assert not [r for r in sandbox.requests if r.status == 401]


def test_cli_apply_with_a_static_token_that_expires_exits_130_with_one_sentence(sandbox, sandbox_env, monkeypatch,
                                                                               capsys):
    from wizard.cli import main

    config = sandbox_env / "setup.toml"
    config.write_text(demo_config(sandbox).to_toml())
    monkeypatch.setenv("ASTRO_PL_ACCESS_TOKEN", sandbox.issue_token(lifetime=2.5))   # lapses during the wait
    assert main(["apply", "--config", str(config), "--yes"]) == EXIT_STOPPED
    out = capsys.readouterr().out
    assert "Stopped waiting for approval: the Azure access token expired; get a fresh one" in out, out
    assert "Run the same command again to resume where it stopped." in out
