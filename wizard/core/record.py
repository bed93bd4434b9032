"""The setup record: one JSON file per Astro cluster id, so a setup can stop anywhere and resume later.

It holds the answers, the ids of what exists (and whether this tool created it) and each step's history.
Never a token or secret. Written atomically (temp file + rename) with mode 0600, versioned, in a state directory
only the user can use (`wizard.core.statefiles`). A file that cannot be read (not JSON, nested too deeply, the
wrong types, too large, a symlink) is set aside (renamed `*.corrupt-<time>.json`) with a clear message, never a
crash. Azure stays the source of truth: this file says what the tool did, `status` re-reads Azure.
"""

from __future__ import annotations

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


@dataclass
class SetupRecord:
    cluster_id: str
    answers: SetupConfig
    resources: dict[str, ResourceEntry] = field(default_factory=dict)
    steps: dict[str, list[StepEvent]] = field(default_factory=dict)
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    version: int = RECORD_VERSION

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
        return cls(
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

    def path_for(self, cluster_id: str) -> Path:
        safe = _SAFE_NAME.sub("_", cluster_id.lower()) or "unnamed"
        return self.directory / f"{safe}.json"

    def config_path_for(self, cluster_id: str) -> Path:
        """The setup's answers as a config file beside its record, for `status`, `verify`, `export`, `destroy`."""
        return self.path_for(cluster_id).with_suffix(".toml")

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
        path = self.config_path_for(config.cluster_id or "setup")
        return self.save_text(path.name, config.to_toml())

    def load(self, cluster_id: str) -> LoadResult:
        self.check_directory(create=False)
        result = self._load_path(self.path_for(cluster_id))
        notices = self._take_notices()
        if notices:
            result.message = " ".join([*notices, *([result.message] if result.message else [])])
        return result

    def _load_path(self, path: Path) -> LoadResult:
        try:
            text = read_text(path)
            return LoadResult(SetupRecord.from_json(json.loads(text)))
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
        result = self.load(cluster)
        if result.record is None:
            return LoadResult(SetupRecord(cluster_id=cluster, answers=config), result.message)
        result.record.answers = config
        return result

    def save(self, record: SetupRecord) -> Path:
        with self._lock:
            record.updated_at = now_iso()
            self.check_directory(create=True)
            data = json.dumps(record.to_json(), indent=2, sort_keys=False)
            return write_private(self.path_for(record.cluster_id), data)

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
            result = self._load_path(path)
            if result.record:
                records.append(result.record)
            if result.message:
                messages.append(result.message)
        records.sort(key=lambda r: r.updated_at, reverse=True)
        return records, messages
