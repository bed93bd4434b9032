"""The transcript: one JSON line per ARM request, next to the setup record, for support tickets.

`<state_dir>/<cluster-id>.requests.log` gets, for every request the Azure SDK clients send:

    {"time": "2025-01-01T12:00:00.123Z", "method": "PUT", "path": "/subscriptions/.../privateEndpoints/pe",
     "status": 201, "duration_ms": 84, "request_id": "...", "correlation_id": "...", "attempt": 1}

plus `error_code` (the ARM error code) for answers of 400 and more, and `error` when no answer came (a
connection error, a timeout). Never the query string, a header other than the two ids, a body, or a token.

The policy sits before the SDK's retry policy (ClientFactory's `per_call_policies`), so it sees one call; the
attempts the retry policy made before the final one are read from its history and written as their own
lines (`"retried": true`, no duration), so a throttled request shows every 429 with its request id. `time`
is when the call started (its retried attempts share it); `duration_ms` covers the whole call.

Usage:
    transcript = Transcript(log_path_for(store, cluster_id))      # or Transcript() and set_path() later
    factory = ClientFactory(settings, per_call_policies=[transcript.policy()])
Lines made before a path is known are kept in memory and written when `set_path` is called.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wizard.core.sanitize import clean_line
from wizard.core.settings import hide_secrets
from wizard.core.statefiles import StateDirError, open_append, secure_dir

if TYPE_CHECKING:  # pragma: no cover
    from wizard.core.record import RecordStore

SUFFIX = ".requests.log"
MAX_BYTES = 2_000_000  # then the file is moved to `.1` and a new one started
_QUERY = re.compile(r"\?[^\s'\"]*")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def log_path_for(store: RecordStore, cluster_id: str) -> Path:
    """Where the transcript of a setup lives: beside its setup record (`<cluster-id>.json`)."""
    record = store.path_for(cluster_id)
    return record.with_name(record.stem + SUFFIX)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clean_error(exc: BaseException) -> str:
    """An exception as one short line with no query string and no bearer token."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    text = hide_secrets(_BEARER.sub("Bearer <hidden>", _QUERY.sub("", text)))  # and the token, wherever it is
    return clean_line(text)[:300]  # messages quote Azure and the network: nothing that could drive a terminal


def _error_code(http_response: Any) -> str | None:
    """The ARM error code of an error answer (its small body is read now; the SDK reads it from the cache)."""
    try:
        if hasattr(http_response, "read"):
            # A log line must never break the call it describes: a body that cannot be read has no code.
            with contextlib.suppress(Exception):
                http_response.read()
        body = json.loads(http_response.text() or "{}")
    except Exception:
        return None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and isinstance(err.get("code"), str):
        return clean_line(err["code"])[:100]
    return None


def _header(headers: Any, name: str) -> str | None:
    """A header the log keeps, as one safe line (it is shown again by `report`)."""
    value = headers.get(name)
    return clean_line(value)[:200] if value is not None else None


def entry_for(method: str, url: str, status: int | None, duration_ms: int | None, headers: Any = None,
              *, attempt: int = 1, retried: bool = False, error: str | None = None,
              error_code: str | None = None, at: str | None = None) -> dict[str, Any]:
    """One transcript line as a dict: only these fields, whatever the request carried."""
    headers = headers or {}
    out: dict[str, Any] = {
        "time": at or _now_iso(),
        "method": method.upper(),
        "path": urlsplit(url).path or "/",
        "status": status,
        "duration_ms": duration_ms,
        "request_id": _header(headers, "x-ms-request-id"),
        "correlation_id": _header(headers, "x-ms-correlation-request-id"),
        "attempt": attempt,
    }
    if retried:
        out["retried"] = True
    if error_code:
        out["error_code"] = error_code
    if error:
        out["error"] = error
    return out


class Transcript:
    """Writes transcript lines to a file (once its path is known) and keeps the latest ones in memory."""

    def __init__(self, path: str | Path | None = None, *, keep: int = 500) -> None:
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._pending: list[str] = []
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self.write_error: str | None = None  # set when the file could not be written (the run goes on)
        if path is not None:
            self.set_path(path)

    @property
    def path(self) -> Path | None:
        return self._path

    def set_path(self, path: str | Path | None) -> None:
        """Write to `path` from now on; lines made before any path was set are written there first."""
        with self._lock:
            self._path = Path(path) if path is not None else None
            if self._path is not None and self._pending:
                pending, self._pending = self._pending, []
                self._write_locked(pending)

    def policy(self) -> Any:
        """The azure-core policy to give ClientFactory(per_call_policies=[...]) (one may serve many clients)."""
        return _policy_class()(self)

    def add(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), sort_keys=False)
        with self._lock:
            self.recent.append(entry)
            if self._path is None:
                self._pending.append(line)
                del self._pending[:-1000]
                return
            self._write_locked([line])

    def _write_locked(self, lines: list[str]) -> None:
        assert self._path is not None
        try:
            # The state directory rules (wizard.core.statefiles): 0700, never another user's (loose permissions are
            # fixed and reported by the setup records' check); the log is appended to without following a symlink,
            # only as a regular file of the user's, 0600.
            secure_dir(self._path.parent, create=True, fix=False)
            try:
                if os.lstat(self._path).st_size > MAX_BYTES:
                    os.replace(self._path, self._path.with_name(self._path.name + ".1"))
            except FileNotFoundError:
                pass
            fd = open_append(self._path)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in lines))
            self.write_error = None
        except StateDirError as exc:
            self.write_error = str(exc)
        except OSError as exc:  # never break a setup because the log cannot be written
            self.write_error = f"The request log {self._path} could not be written ({exc.strerror})."


_POLICY_CLASS: type | None = None


def _policy_class() -> type:
    """Built on first use, so that importing this module loads no Azure SDK."""
    global _POLICY_CLASS
    if _POLICY_CLASS is not None:
        return _POLICY_CLASS
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class _TranscriptPolicy(SansIOHTTPPolicy):
        """Records each call, and each attempt the retry policy made before the last one, in a Transcript.

        A SansIOHTTPPolicy on purpose: the Pipeline wraps it in a runner of its own, so one instance can be
        shared by the factory's four clients (an HTTPPolicy's `next` would be overwritten by each of them)."""

        def __init__(self, transcript: Transcript) -> None:
            super().__init__()
            self.transcript = transcript

        def on_request(self, request: Any) -> None:
            request.context["transcript_started"] = (time.monotonic(), _now_iso())

        def on_response(self, request: Any, response: Any) -> None:
            started, at = self._started(request)
            history = self._log_history(response.context, at)
            http_request, http_response = request.http_request, response.http_response
            status = http_response.status_code
            self.transcript.add(entry_for(
                http_request.method, http_request.url, status, int((time.monotonic() - started) * 1000),
                http_response.headers, attempt=len(history) + 1, at=at,
                error_code=_error_code(http_response) if status >= 400 else None))

        def on_exception(self, request: Any) -> None:
            import sys

            started, at = self._started(request)
            exc = sys.exc_info()[1]
            count = request.context.get("retry_count")
            attempt = count + 1 if isinstance(count, int) else 1
            http_request = request.http_request
            self.transcript.add(entry_for(
                http_request.method, http_request.url, None, int((time.monotonic() - started) * 1000),
                attempt=attempt, at=at, error=_clean_error(exc) if exc is not None else "no answer"))

        @staticmethod
        def _started(request: Any) -> tuple[float, str]:
            return request.context.get("transcript_started") or (time.monotonic(), _now_iso())

        def _log_history(self, context: Any, at: str) -> list[Any]:
            history = list(context.get("history") or [])
            for n, item in enumerate(history, start=1):
                req = getattr(item, "http_request", None)
                if req is None:
                    continue
                resp = getattr(item, "http_response", None)
                err = getattr(item, "error", None)
                status = getattr(resp, "status_code", None)
                self.transcript.add(entry_for(
                    req.method, req.url, status, None, getattr(resp, "headers", None), attempt=n, retried=True,
                    at=at, error=_clean_error(err) if err is not None else None,
                    error_code=_error_code(resp) if resp is not None and status and status >= 400 else None))
            return history

    _POLICY_CLASS = _TranscriptPolicy
    return _POLICY_CLASS


def read_entries(path: str | Path, *, last: int | None = None) -> list[dict[str, Any]]:
    """The transcript's lines as dicts (unreadable lines skipped); the last `last` ones when given."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.readlines()
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    for line in lines[-last:] if last else lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):  # a log written before the token was hidden everywhere shows it no more
            out.append({k: hide_secrets(v) if isinstance(v, str) else v for k, v in item.items()})
    return out


def failed_entries(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines of requests that failed: no answer, or an answer of 400 or more (404 reads excluded:
    the steps ask for things that do not exist yet on purpose)."""
    out = []
    for e in entries:
        status = e.get("status")
        expected_miss = status == 404 and e.get("method") == "GET"
        if (status is None and e.get("error")) or (isinstance(status, int) and status >= 400 and not expected_miss):
            out.append(e)
    return out
