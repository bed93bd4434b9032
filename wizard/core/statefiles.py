"""Files the tool keeps for the user (setup records, their config files, the request log, a crash report) and
files it writes where the user asked (exports), written so that nobody else can read them or turn them against
the user.

- The state directory is created 0700. One that belongs to another user is refused (`StateDirError`): whoever
  owns it could plant a record that makes `destroy` delete what it names, or swap a file for a symlink. One of
  the user's own that others may read is tightened to 0700 quietly; one that others could write to is tightened
  too, with a sentence saying so (files may have been planted meanwhile).
- A file is written to a temporary file beside it (created 0600 with O_EXCL|O_NOFOLLOW by `mkstemp`), flushed,
  then renamed over the old one: a reader never sees half a file, a crash leaves the old one whole, and a
  symlink planted at the path is replaced, never followed.
- The request log is appended to through `open_append`: O_NOFOLLOW (a symlink at the path is refused, not
  followed), O_NONBLOCK (a FIFO cannot hang the tool), and only a regular file of the user's is written.
- `read_text` reads a state file the same careful way, and at most `limit` bytes: a huge file is an error, not
  all of the machine's memory.

POSIX only where POSIX has it: on Windows there is no owner id or O_NOFOLLOW, and the checks that need them
are skipped (the user's profile directory is private there already).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from wizard.core.constants import ENV_STATE_DIR
from wizard.core.settings import SettingsError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
READ_LIMIT = 8 * 1024 * 1024  # a setup record is a few KB; its step history is capped at 50 events per step

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class StateDirError(SettingsError):
    """The state directory is not one the tool may use (another user's); the message says which and what to do."""


class UnsafeFileError(OSError):
    """A file in the state directory is not a regular file of the user's (a symlink, a FIFO, another user's)."""


def _owner_checks() -> bool:
    return hasattr(os, "geteuid")


def secure_dir(path: Path, *, create: bool, fix: bool = True) -> str | None:
    """Make sure `path` is a state directory only the user can use; create it (0700) when `create`.

    Returns a sentence when permissions had to be fixed in a way the user should know about (it was writable by
    others), None otherwise (also when it does not exist and `create` is False). With `fix` False loose permissions
    are left for the setup records' check to fix and report. Raises StateDirError for a directory of another user
    or a path that is not a directory, OSError when it cannot be created or fixed."""
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    try:
        st = os.stat(path)  # a symlink the user made to a directory elsewhere is fine: the directory is checked
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        raise StateDirError(f"The state directory {path} is not a directory: remove it or set {ENV_STATE_DIR} to "
                            "a directory of yours, then run again.")
    if _owner_checks() and st.st_uid != os.geteuid():
        raise StateDirError(f"The state directory {path} belongs to another user (uid {st.st_uid}), who could plant "
                            f"setup records in it: set {ENV_STATE_DIR} to a directory of yours (or remove that one), "
                            "then run again.")
    mode = stat.S_IMODE(st.st_mode)
    if not fix or not _owner_checks() or not mode & 0o077:
        return None
    os.chmod(path, PRIVATE_DIR)
    if mode & 0o022:
        return (f"The state directory {path} was writable by others (mode {mode:o}); it is now private (700). If "
                "you did not share it on purpose, check its setup records before you run destroy.")
    return None


def write_private(path: Path, text: str, *, mode: int = PRIVATE_FILE) -> Path:
    """Write `text` to `path` atomically: a temporary file in the same directory (mode `mode` from the start),
    flushed to disk, then renamed over `path` (a symlink there is replaced, not followed). Raises OSError."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _check_fd(fd: int, path: Path) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(errno.EINVAL, "not a regular file", str(path))
    if _owner_checks() and st.st_uid != os.geteuid():
        raise UnsafeFileError(errno.EPERM, "the file belongs to another user", str(path))
    return st


def _open(path: Path, flags: int, mode: int = PRIVATE_FILE) -> int:
    try:
        return os.open(path, flags | _NOFOLLOW | _NONBLOCK | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):
            raise UnsafeFileError(errno.ELOOP, "it is a symbolic link, which the tool does not follow",
                                  str(path)) from None
        if exc.errno == errno.ENXIO:  # a FIFO with no reader (O_NONBLOCK)
            raise UnsafeFileError(errno.ENXIO, "not a regular file", str(path)) from None
        raise


def open_append(path: Path) -> int:
    """A file descriptor appending to `path` (created 0600): never through a symlink, only to a regular file of
    the user's; a file others could read is made 0600. Raises OSError (UnsafeFileError for the refusals)."""
    fd = _open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        st = _check_fd(fd, path)
        if hasattr(os, "fchmod") and stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, PRIVATE_FILE)
        if _NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_text(path: Path, *, limit: int = READ_LIMIT) -> str:
    """The text of a state file: not through a symlink, a regular file only, at most `limit` bytes. Raises
    FileNotFoundError when it does not exist, UnsafeFileError (an OSError) for a symlink or special file, and
    ValueError when it is larger than `limit` or not UTF-8."""
    fd = _open(path, os.O_RDONLY)
    try:
        _check_fd(fd, path)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise ValueError(f"it is larger than {limit // (1024 * 1024)} MB")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
