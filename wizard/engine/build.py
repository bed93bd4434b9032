"""Building an engine the same way for every front end (CLI commands, the TUI, plain mode, export, report).

A `Workspace` is what a front end holds for its whole life: where setup records live, the request log, and
the Azure client factory (whose azure-core policies are built lazily, so the first screen waits for no SDK
import). `Workspace.engine(config)` builds an engine over a copy of the answers; `save_answers` writes what
the user typed to the setup record and the config file beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wizard.core.azure import ClientFactory
from wizard.core.config import SetupConfig, load_config
from wizard.core.record import RecordStore, SetupRecord, setup_key
from wizard.core.settings import AzureSettings, state_dir
from wizard.core.transcript import Transcript, log_path_for
from wizard.engine.results import ApprovalPolling, Event
from wizard.engine.runner import Engine

# Where a person watches the wait (the TUI, plain mode): look every 2 s at first, then at most every 30 s.
WATCHED_APPROVAL = ApprovalPolling(first=2.0, longest=30.0)
# The sandbox answers long-running operations fast: poll them often so the demo does not idle.
SANDBOX_POLLING_INTERVAL = 0.2


class SandboxAddress(Protocol):
    """What a running sandbox tells its clients (wizard.sandbox.server.Sandbox has these)."""

    @property
    def arm_endpoint(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def ca_file(self) -> str: ...


def sandbox_settings(sandbox: SandboxAddress) -> AzureSettings:
    """Settings that point the Azure clients at a running sandbox."""
    return AzureSettings(arm_endpoint=sandbox.arm_endpoint, access_token=sandbox.token, ca_file=sandbox.ca_file,
                         polling_interval=SANDBOX_POLLING_INTERVAL)


@dataclass
class Saved:
    """What saving the answers did: the record now held, and a sentence to show (a record that could not be read)."""

    record: SetupRecord | None
    message: str | None = None


class Workspace:
    """The setup records, the request log and the Azure clients of one front end."""

    def __init__(self, settings: AzureSettings, *, store: RecordStore | None = None,
                 transcript: Transcript | None = None, credential: object | None = None) -> None:
        """`credential`: one already signed in (kept when the tenant changes), else built from `settings`."""
        self.settings = settings
        self.store = store or RecordStore(state_dir())
        self.transcript = transcript or Transcript()
        transcript_ = self.transcript
        self.factory = ClientFactory(settings, credential=credential, per_call_policies=lambda: [transcript_.policy()])
        self._tenant_factories: dict[str, ClientFactory] = {}

    def log_to(self, key: str | None) -> None:
        """Log ARM requests beside the setup record of `key` (`setup_key`), from now on."""
        if not key:
            return
        path = log_path_for(self.store, key)
        if self.transcript.path != path:
            self.transcript.set_path(path)

    def engine(self, config: SetupConfig, *, allow_update: set[str] | None = None,
               on_event: Callable[[Event], None] | None = None, cancel: threading.Event | None = None,
               approval: ApprovalPolling | None = None) -> Engine:
        """An engine over a copy of the answers (the front end may go on editing its own)."""
        config = SetupConfig.from_dict(config.to_dict())
        self.log_to(setup_key(config) if config.cluster_id else None)
        return Engine(config, self.factory_for(config), self.store, allow_update=allow_update, on_event=on_event,
                      cancel=cancel, approval=approval)

    def factory_for(self, config: SetupConfig) -> ClientFactory:
        """The clients for these answers: tokens for their saved tenant (`[azure] tenant_id`, what the wizard kept
        of the tenant picked), unless the settings name one (--tenant, ASTRO_PL_TENANT_ID, a tenant picked now) or
        a static token is used (a token is for one tenant). Same credential, same request log."""
        tenant = (config.tenant_id or "").strip()
        if not tenant or self.settings.tenant_id or self.settings.access_token:
            return self.factory
        found = self._tenant_factories.get(tenant.lower())
        if found is None:
            found = self._tenant_factories[tenant.lower()] = self.factory.for_tenant(tenant)
        return found

    def save_answers(self, config: SetupConfig, record: SetupRecord | None) -> Saved:
        """Write the answers to the setup record of their cluster (loading or starting it when `record` is
        another cluster's) and to the config file beside it (both 0600, written atomically, never through a
        symlink). Raises OSError when the state directory is not writable, StateDirError (a SettingsError) when it
        belongs to another user."""
        cid = config.cluster_id
        if not cid:
            return Saved(record)
        message = None
        key = setup_key(config)
        if record is not None and record.cluster_id.lower() != cid.lower():
            record = None   # another cluster's
        before = (record.saved_as or record.key) if record is not None else key
        if record is not None and before != key:   # the endpoint changed (issue 15: a setup = cluster + endpoint)
            if record.resources:
                record = None   # it made something: it stays that endpoint's setup; these answers are another one
            else:   # nothing made yet: the same setup under its new key, unless that one exists already
                self.store.move(before, key)
                if self.store.path_for(key).exists():
                    record = None
        if record is None:
            loaded = self.store.load_or_new(config)
            record, message = loaded.record, loaded.message
        assert record is not None  # load_or_new always gives one for a known cluster id
        record.answers = config
        self.store.save(record)
        self.store.save_config(config)
        self.log_to(record.key)
        return Saved(record, message)


def engine_for_config_file(path: str | Path, settings: AzureSettings, *, allow_update: set[str] | None = None,
                           on_event: Callable[[Event], None] | None = None) -> Engine:
    """The engine of a CLI command: answers from a TOML file, records in the state directory, the request log
    beside the record. Raises ConfigError for a bad file."""
    config = load_config(path)
    return Workspace(settings).engine(config, allow_update=allow_update, on_event=on_event)
