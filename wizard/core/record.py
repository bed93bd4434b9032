"""The setup record: one JSON file per setup, so a setup can stop anywhere and resume later.

A setup is keyed by the Astro cluster id AND its private endpoint (subscription, resource group, name): a second
endpoint for the same cluster in another VNet is a setup of its own (Astronomer's "a Private Endpoint in each VNet";
issue 15). Its files are named by `setup_key` (`<cluster-id>--<endpoint-name>-<8 hex>.json`); a record written
before that, keyed by cluster id alone (`<cluster-id>.json`), is found and moved to its key when the store lists or
loads records (`RecordStore._migrate`).

It holds the answers, the ids of what exists (and whether this tool created it) and each step's history.
Never a token or secret. Written atomically (temp file + rename) with mode 0600, versioned, in a state directory
only the user can use (`wizard.core.statefiles`). A file that cannot be read (not JSON, nested too deeply, the
wrong types, too large, a symlink) is set aside (renamed `*.corrupt-<time>.json`) with a clear message, never a
crash. Azure stays the source of truth: this file says what the tool did, `status` re-reads Azure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wizard.core.config import SetupConfig
from wizard.core.ids import name_of
from wizard.core.settings import hide_secrets
from wizard.core.statefiles import StateDirError, read_text, secure_dir, write_private

RECORD_VERSION = 1
_SAFE_NAME = re.compile(r"[^a-z0-9._-]")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ResourceEntry:
    """A resource the setup uses: its id, whether this tool created it (destroy removes only those), and `facts`:
    what it was when the tool made it (an A record's IP, a link's VNet, an endpoint's alias, subnet and network
    interface), which destroy compares before deleting. Records written before facts existed load with none."""

    id: str
    created_by_tool: bool = False
    facts: dict[str, str] = field(default_factory=dict)


@dataclass
class StepEvent:
    at: str
    state: str
    detail: str


def endpoint_key(config: SetupConfig) -> str:
    """Which private endpoint a setup is about: subscription/resource group/name, lower-case."""
    return "/".join(v.strip().lower() for v in (config.subscription_id, config.resource_group,
                                                 config.endpoint_name))


def setup_key(config: SetupConfig, cluster_id: str | None = None) -> str:
    """The key of the setup of these answers: the cluster id and the endpoint (its name, and a digest of its
    subscription, group and name so that two endpoints of one name in two groups are two setups)."""
    cid = cluster_id or config.cluster_id or "unknown"
    digest = hashlib.sha256(endpoint_key(config).encode()).hexdigest()[:8]
    return f"{cid}--{config.endpoint_name.strip() or 'endpoint'}-{digest}"


def endpoint_label(config: SetupConfig, *, subscription: bool = True) -> str:
    """Which endpoint, in words: 'endpoint NAME in RG (VNet VNET, subscription SUB)' (without the subscription when
    `subscription` is False: where nothing else could be confused with it, e.g. a small screen's list)."""
    vnet = name_of(config.vnet)
    where = f" in {config.resource_group}" if config.resource_group else ""
    sub = f"subscription {config.subscription_id}" if subscription and config.subscription_id else ""
    more = ", ".join(x for x in (f"VNet {vnet}" if vnet else "", sub) if x)
    return f"endpoint {config.endpoint_name}{where}" + (f" ({more})" if more else "")


@dataclass
class SetupRecord:
    cluster_id: str
    answers: SetupConfig
    resources: dict[str, ResourceEntry] = field(default_factory=dict)
    steps: dict[str, list[StepEvent]] = field(default_factory=dict)
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    version: int = RECORD_VERSION
    # Astro Deployment id -> the allowed IP address ranges this tool added to it (`restrict-traffic`; its undo
    # removes only these). Not Azure resources: destroy never touches them.
    astro_ranges_added: dict[str, list[str]] = field(default_factory=dict)
    # The key whose file this record was last read from or written to (not saved in the file): the answers can
    # change in place, and with them `key`, so this says where the record is on disk (Workspace.save_answers).
    saved_as: str | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """The setup's key (`setup_key`): its cluster id and its endpoint."""
        return setup_key(self.answers, self.cluster_id)

    @property
    def which(self) -> str:
        """Which setup, in words: 'cluster CID, endpoint NAME in RG (VNet VNET)'."""
        return f"cluster {self.cluster_id}, {endpoint_label(self.answers)}"

    def note(self, step: str, state: str, detail: str) -> None:
        history = self.steps.setdefault(step, [])
        if history and history[-1].state == state and history[-1].detail == detail:
            return
        history.append(StepEvent(at=now_iso(), state=state, detail=detail))
        del history[:-50]  # keep the file small

    def last_state(self, step: str) -> str | None:
        history = self.steps.get(step)
        return history[-1].state if history else None

    def remember(self, key: str, resource_id: str, *, created_by_tool: bool) -> None:
        old = self.resources.get(key)
        if old and old.id.lower() == resource_id.lower():
            old.created_by_tool = old.created_by_tool or created_by_tool
        else:
            self.resources[key] = ResourceEntry(id=resource_id, created_by_tool=created_by_tool)

    def forget(self, key: str) -> None:
        self.resources.pop(key, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cluster_id": self.cluster_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "answers": self.answers.to_dict(),
            "resources": {k: asdict(v) for k, v in self.resources.items()},
            "steps": {k: [asdict(e) for e in v] for k, v in self.steps.items()},
            "astro_ranges_added": {k: list(v) for k, v in self.astro_ranges_added.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> SetupRecord:
        """A record from its JSON form; ValueError (naming the field) when anything has the wrong type."""
        if not isinstance(data, dict):
            raise ValueError(f"it holds a JSON {_json_kind(data)}, not an object")
        version = data.get("version")
        if version != RECORD_VERSION:
            raise ValueError(f"record version {version!r} is not supported (this tool writes {RECORD_VERSION})")
        if not isinstance(data.get("cluster_id"), str):
            raise ValueError("cluster_id is missing or not a string")
        for key in ("created_at", "updated_at"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ValueError(f"{key} is not a string")
        answers = _typed(SetupConfig, data.get("answers") or {}, "answers", ignore_unknown=True)
        resources = _mapping(data.get("resources"), "resources")
        steps = _mapping(data.get("steps"), "steps")
        for key, events in steps.items():
            if not isinstance(events, list):
                raise ValueError(f"steps.{key} is not a list")
        added = _mapping(data.get("astro_ranges_added"), "astro_ranges_added")
        for key, ranges in added.items():
            if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
                raise ValueError(f"astro_ranges_added.{key} is not a list of strings")
        return cls(
            astro_ranges_added={k: list(v) for k, v in added.items()},
            cluster_id=data["cluster_id"],
            answers=SetupConfig.from_dict(answers),
            resources={k: ResourceEntry(**_typed(ResourceEntry, v, f"resources.{k}")) for k, v in resources.items()},
            steps={k: [_event(_typed(StepEvent, e, f"steps.{k}")) for e in v] for k, v in steps.items()},
            created_at=data.get("created_at") or now_iso(),
            updated_at=data.get("updated_at") or now_iso(),
        )


def _event(data: dict[str, Any]) -> StepEvent:
    event = StepEvent(**data)
    event.detail = hide_secrets(event.detail)  # a record written before the token was hidden everywhere
    return event


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "null")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} is a JSON {_json_kind(value)}, not an object")
    return value


def _fits(annotation: str, value: Any) -> bool:
    """Whether a JSON value fits a field's annotation (as written, e.g. "str | None"); a kind of annotation this
    does not know accepts anything (a field added later must not make good records unreadable)."""
    known = False
    for part in (p.strip() for p in annotation.split("|")):
        checks = {
            "None": value is None,
            "str": isinstance(value, str),
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "list[str]": isinstance(value, list) and all(isinstance(v, str) for v in value),
            "dict[str, str]": isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
        }
        if part in checks:
            known = True
            if checks[part]:
                return True
        else:
            return True
    return not known


def _typed(cls: Any, data: Any, where: str, *, ignore_unknown: bool = False) -> dict[str, Any]:
    """`data` checked against the dataclass `cls`: an object whose known keys have values of their field's type."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} is a JSON {_json_kind(data)}, not an object")
    types = {f.name: str(f.type) for f in fields(cls)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in types:
            if ignore_unknown:
                continue
            raise ValueError(f"{where} has an unknown field {key!r}")
        if not _fits(types[key], value):
            raise ValueError(f"{where}.{key} is a JSON {_json_kind(value)}, not {types[key]}")
        out[key] = value
    return out


@dataclass
class LoadResult:
    record: SetupRecord | None
    message: str | None = None  # set when a file had to be set aside


class RecordStore:
    """Reads and writes setup records under one directory; thread-safe saves.

    The directory is checked before the first read or write (`wizard.core.statefiles.secure_dir`): another
    user's is refused with StateDirError (a SettingsError), a loose one of the user's is made 0700, and the
    sentence about that comes with the next `load` / `list` message."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._checked = False
        self._notices: list[str] = []

    def path_for(self, key: str) -> Path:
        """The record file of a setup key (`setup_key`; a bare cluster id gives the old file name)."""
        safe = _SAFE_NAME.sub("_", key.lower()) or "unnamed"
        return self.directory / f"{safe}.json"

    def config_path_for(self, key: str) -> Path:
        """The setup's answers as a config file beside its record, for `status`, `verify`, `export`, `destroy`."""
        return self.path_for(key).with_suffix(".toml")

    def check_directory(self, *, create: bool) -> None:
        """Check the state directory once (creating it 0700 when `create`). Raises StateDirError, OSError."""
        if self._checked and (not create or self.directory.is_dir()):
            return
        notice = secure_dir(self.directory, create=create)
        if notice:
            self._notices.append(notice)
        self._checked = self.directory.is_dir()

    def _take_notices(self) -> list[str]:
        out, self._notices = self._notices, []
        return out

    def save_text(self, name: str, text: str) -> Path:
        """Write a file of the state directory (a draft, a crash report): atomic, 0600. Raises OSError,
        StateDirError."""
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ValueError(f"{name!r} is not a file name")
        with self._lock:
            self.check_directory(create=True)
            return write_private(self.directory / name, text)

    def save_config(self, config: SetupConfig) -> Path:
        path = self.config_path_for(setup_key(config) if config.cluster_id else "setup")
        return self.save_text(path.name, config.to_toml())

    def load(self, key: str) -> LoadResult:
        """The record of a setup key (`setup_key`); given a bare cluster id, its record of old (moved to its key) or
        else the cluster's most recently updated setup."""
        self.check_directory(create=False)
        path = self.path_for(key)
        if "--" in key or not path.exists():
            result = self._load_path(path)
            if result.record is None and result.message is None and "--" not in key:
                result = self.latest_for(key)
        else:
            result = self._migrate(path)
        notices = self._take_notices()
        if notices:
            result.message = " ".join([*notices, *([result.message] if result.message else [])])
        return result

    def _load_path(self, path: Path) -> LoadResult:
        try:
            text = read_text(path)
            record = SetupRecord.from_json(json.loads(text))
            record.saved_as = path.stem if "--" in path.stem else None
            return LoadResult(record)
        except FileNotFoundError:
            return LoadResult(None)
        except (ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
            # RecursionError: JSON nested thousands deep; OSError: a symlink, a FIFO, a file that cannot be read.
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, RecursionError):
                why = "it is nested too deeply"
            aside = path.with_name(f"{path.stem}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.json")
            try:
                os.replace(path, aside)
            except OSError as move:
                return LoadResult(None, f"The setup record {path} could not be read ({why}) nor moved aside "
                                        f"({move.strerror}): move or delete it yourself, then run again.")
            return LoadResult(None, f"The setup record {path} could not be read ({why}); it was moved to {aside} "
                                    "and a fresh record was started. Azure is re-read, so nothing is lost.")

    def load_or_new(self, config: SetupConfig) -> LoadResult:
        cluster = config.cluster_id or "unknown"
        key = setup_key(config, cluster)
        result = self.load(key)
        if result.record is None and result.message is None:
            legacy = self.path_for(cluster)   # a record written before setups were keyed by their endpoint
            moved = self._migrate(legacy) if legacy.exists() else None
            if moved is not None and moved.record is not None and moved.record.key == key:
                result = LoadResult(moved.record, moved.message)
            elif moved is not None and moved.message:
                result = LoadResult(None, moved.message)
        if result.record is None:
            return LoadResult(SetupRecord(cluster_id=cluster, answers=config), result.message)
        result.record.answers = config
        return result

    def save(self, record: SetupRecord) -> Path:
        with self._lock:
            record.updated_at = now_iso()
            self.check_directory(create=True)
            data = json.dumps(record.to_json(), indent=2, sort_keys=False)
            path = write_private(self.path_for(record.key), data)
            record.saved_as = record.key
            return path

    def list(self) -> tuple[list[SetupRecord], list[str]]:
        """Every readable record (newest first) and the messages about files set aside (and about the directory:
        another user's is not read at all, and says so)."""
        records: list[SetupRecord] = []
        try:
            self.check_directory(create=False)
        except StateDirError as exc:
            return records, [str(exc)]
        messages = self._take_notices()
        if not self.directory.is_dir():
            return records, messages
        for path in sorted(self.directory.glob("*.json")):
            if ".corrupt-" in path.name:
                continue
            result = self._migrate(path) if "--" not in path.stem else self._load_path(path)
            if result.record:
                records.append(result.record)
            if result.message:
                messages.append(result.message)
        records.sort(key=lambda r: r.updated_at, reverse=True)
        return records, messages

    def move(self, old_key: str, new_key: str) -> None:
        """Drop the record file of `old_key`, moving its config file and request log to `new_key`'s names when those
        do not exist yet: a setup that created nothing yet whose endpoint answers changed (the wizard saves the
        answers as they are given) is the same setup under its new key. Raises OSError."""
        old, new = self.path_for(old_key), self.path_for(new_key)
        if old == new:
            return
        with self._lock:
            for suffix in (".toml", ".requests.log"):   # the config file; the request log (core/transcript.py)
                side, target = old.with_name(old.stem + suffix), new.with_name(new.stem + suffix)
                if side.exists() and not side.is_symlink() and not target.exists():
                    os.replace(side, target)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(old)

    def latest_for(self, cluster_id: str) -> LoadResult:
        """The most recently updated setup of an Astro cluster (any of its endpoints), with the list's messages."""
        records, messages = self.list()
        mine = [r for r in records if r.cluster_id.lower() == cluster_id.lower()]
        return LoadResult(mine[0] if mine else None, " ".join(messages) or None)

    def _migrate(self, path: Path) -> LoadResult:
        """A record keyed by cluster id alone (`<cluster-id>.json`, written before issue 15): read it and move it,
        with its config file and request log, to the names of its key (unless a record is there already, which
        then wins and the old file is left alone). What it loads is returned either way."""
        result = self._load_path(path)
        record = result.record
        if record is None:
            return result
        new = self.path_for(record.key)
        if new == path or new.exists():
            return result
        with self._lock:
            self.check_directory(create=True)
            write_private(new, json.dumps(record.to_json(), indent=2, sort_keys=False))
            record.saved_as = record.key
            for suffix in (".toml", ".requests.log"):   # the config file; the request log (core/transcript.py)
                old_side = path.with_name(path.stem + suffix)
                if old_side.exists() and not old_side.is_symlink():
                    os.replace(old_side, new.with_name(new.stem + suffix))
            os.unlink(path)
        return result
