"""The setup record: one JSON file per Astro cluster id, so a setup can stop anywhere and resume later.

It holds the answers, the ids of what exists (and whether this tool created it) and each step's history.
Never a token or secret. Written atomically (temp file + rename) with mode 0600, versioned. A file that
cannot be read is set aside (renamed `*.corrupt-<time>.json`) with a clear message, never a crash.
Azure stays the source of truth: this file says what the tool did, `status` re-reads Azure.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wizard.core.config import SetupConfig

RECORD_VERSION = 1
_SAFE_NAME = re.compile(r"[^a-z0-9._-]")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ResourceEntry:
    """A resource the setup uses: its id, and whether this tool created it (destroy removes only those)."""

    id: str
    created_by_tool: bool = False


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
    def from_json(cls, data: dict[str, Any]) -> SetupRecord:
        version = data.get("version")
        if version != RECORD_VERSION:
            raise ValueError(f"record version {version!r} is not supported (this tool writes {RECORD_VERSION})")
        return cls(
            cluster_id=str(data["cluster_id"]),
            answers=SetupConfig.from_dict(data.get("answers") or {}),
            resources={k: ResourceEntry(**v) for k, v in (data.get("resources") or {}).items()},
            steps={k: [StepEvent(**e) for e in v] for k, v in (data.get("steps") or {}).items()},
            created_at=data.get("created_at") or now_iso(),
            updated_at=data.get("updated_at") or now_iso(),
        )


@dataclass
class LoadResult:
    record: SetupRecord | None
    message: str | None = None  # set when a file had to be set aside


class RecordStore:
    """Reads and writes setup records under one directory; thread-safe saves."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def path_for(self, cluster_id: str) -> Path:
        safe = _SAFE_NAME.sub("_", cluster_id.lower()) or "unnamed"
        return self.directory / f"{safe}.json"

    def config_path_for(self, cluster_id: str) -> Path:
        """The setup's answers as a config file beside its record, for `status`, `verify`, `export`, `destroy`."""
        return self.path_for(cluster_id).with_suffix(".toml")

    def save_config(self, config: SetupConfig) -> Path:
        path = self.config_path_for(config.cluster_id or "setup")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(config.to_toml(), encoding="utf-8")
        return path

    def load(self, cluster_id: str) -> LoadResult:
        return self._load_path(self.path_for(cluster_id))

    def _load_path(self, path: Path) -> LoadResult:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return LoadResult(None)
        try:
            return LoadResult(SetupRecord.from_json(json.loads(text)))
        except (ValueError, KeyError, TypeError) as exc:
            aside = path.with_name(f"{path.stem}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.json")
            os.replace(path, aside)
            return LoadResult(None, f"The setup record {path} could not be read ({exc}); it was moved to {aside} "
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
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.path_for(record.cluster_id)
            data = json.dumps(record.to_json(), indent=2, sort_keys=False)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=self.directory)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            return path

    def list(self) -> tuple[list[SetupRecord], list[str]]:
        """Every readable record (newest first) and the messages about files set aside."""
        records: list[SetupRecord] = []
        messages: list[str] = []
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
