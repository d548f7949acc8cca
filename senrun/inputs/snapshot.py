"""One consistent snapshot of a file: its bytes, read once, and the SHA-256 of exactly those bytes.

Every input and the config are read through `read_snapshot`, and parsed from the bytes in memory,
never from the path again: a file replaced or rewritten while senrun runs cannot give a child's date
of birth from one version and the amount from another, and the manifest's fingerprint is of the
bytes that the figures came from.

- Only a regular file is read: a folder, a device (`/dev/zero`, `/dev/urandom`), a named pipe or a
  socket is refused before it is opened for reading (each would read for ever, or block).
- A file over the size limit is refused (inputs: `max_input_mb:` in the config).
- The file's identity, size and modification time are taken before and after reading; if they
  differ (something was writing to it), it is read once more, and if it changes again the run stops.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .excel import Unreadable
from .standins import NAME_MAX, PATH_MAX

DEFAULT_MAX_INPUT_MB = 2048  # far above a national census as CSV (about 700 MB)
_CHUNK = 1 << 24


@dataclass(frozen=True)
class Snapshot:
    """A file's bytes as read, and their SHA-256."""

    data: bytes
    sha256: str


def _after_read(path: Path) -> None:
    """Called after the bytes are read and before they are checked against the file: tests put a change
    of the file here, where a race would be."""


def _kind(mode: int) -> str | None:
    """What a path is when it is not a regular file, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device (such as /dev/zero), not a file: give the path of a saved file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a file: give the path of a saved file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    return "is not a regular file"


def _stat(path: Path) -> os.stat_result:
    """The path's status (through symbolic links), every failure as a message a person can act on."""
    try:
        return os.stat(path)
    except ValueError:  # Python refuses a path holding a NUL character
        raise Unreadable("has a NUL character in its path: correct the path in the config") from None
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable(f"is a symbolic link to '{os.readlink(path)}', which does not exist (moved or deleted "
                             "since the link was made?): give the path of the file itself") from None
        raise Unreadable("does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable("is a symbolic link that loops (it points, in the end, back to itself)") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise Unreadable(_too_long(path)) from None
        raise Unreadable(f"cannot be read ({exc.strerror})") from None


def _too_long(path: Path) -> str:
    """Why a path the system calls too long is so: one name in it, or the whole."""
    longest = max(len(os.fsencode(part)) for part in path.parts)
    if longest > NAME_MAX:
        return (f"cannot be read: a name in its path is {longest:,} bytes long, more than this system takes for one "
                f"name ({NAME_MAX}): give the file, or the folder, a shorter name")
    return (f"cannot be read: its path is {len(os.fsencode(path)):,} bytes long, more than this system takes "
            f"({PATH_MAX:,}): move it to a folder with a shorter path")


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


INPUT_LIMIT = "senrun reads at most {max:,} bytes from one input (the config's `max_input_mb:` sets the limit)"


def _checked(st: os.stat_result, max_bytes: int, limit: str = INPUT_LIMIT) -> None:
    problem = _kind(st.st_mode)
    if problem:
        raise Unreadable(problem)
    if st.st_size > max_bytes:
        raise Unreadable(f"is {st.st_size:,} bytes; " + limit.format(max=max_bytes))


def _read_fd(fd: int, max_bytes: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    parts, size = [], 0
    while chunk := os.read(fd, _CHUNK):
        parts.append(chunk)
        size += len(chunk)
        if size > max_bytes:  # it grew past the limit while being read
            raise Unreadable(f"grew to more than the {max_bytes:,} bytes senrun reads from one file while being read")
    return b"".join(parts)


def _open(path: Path) -> int:
    try:  # not blocking: a path swapped for a FIFO after the check must not wait for a writer
        # (Windows has neither O_NONBLOCK nor O_CLOEXEC, and without O_BINARY reads in text mode: CR LF read as LF and
        # a Ctrl-Z as the end, so that every CRLF file and workbook seemed to change while it was read)
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                       | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror})") from None


def _read_once(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it changed (or was replaced) while they were read."""
    fd = _open(path)
    try:
        before = os.fstat(fd)
        _checked(before, max_bytes)
        data = _read_fd(fd, max_bytes)
        _after_read(path)
        unchanged = _same(before, os.fstat(fd)) and _same(before, _stat(path)) and len(data) == before.st_size
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return data if unchanged else None


def read_snapshot(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_MB << 20, limit: str = INPUT_LIMIT) -> Snapshot:
    """The file's bytes, read once and checked unchanged, with their SHA-256; `Unreadable` says why not.
    A file that changed while read is read once more (what is there now), then refused."""
    _checked(_stat(path), max_bytes, limit)  # before opening: opening a FIFO would wait for a writer
    for _ in range(2):
        data = _read_once(path, max_bytes)
        if data is not None:
            return Snapshot(data, hashlib.sha256(data).hexdigest())
    raise Unreadable("changed while senrun was reading it, twice: run again once nothing is writing to the file")
