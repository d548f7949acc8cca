"""One run at a time into an output folder: an exclusive lock on `.<name>.lock` beside it.

Two runs into one `--out` would otherwise swap folders under each other, and could leave a
manifest that does not match the files.  The lock is taken before anything of the folder is
looked at (the recovery of a killed run included) and held until the new folder is in place.
A second run waits for it (SENRUN_LOCK_WAIT seconds, default 60), then stops with a clear
error, having written nothing.

The lock is the operating system's (flock on Linux and macOS, msvcrt on Windows): a run
killed outright releases it as it dies, so a lock file left behind by a killed run is
harmless; a run that ends normally deletes the file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SenrunError

WAIT_ENV = "SENRUN_LOCK_WAIT"
DEFAULT_WAIT = 60.0
POLL = 0.1


def lock_path(out: Path) -> Path:
    """The lock file of the output folder `out`."""
    return out.parent / f".{out.name}.lock"


def wait_seconds() -> float:
    """How long a run waits for another run's lock: SENRUN_LOCK_WAIT, else DEFAULT_WAIT."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


@contextmanager
def locked(out: Path, shown: Path | None = None, wait: float | None = None) -> Iterator[Path]:
    """Hold the lock of `out` (its parent must exist) for the block; yields the lock file's path."""
    path, wait = lock_path(out), wait_seconds() if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        fd = _open_lock(path, shown or out)
        if _try_lock(fd) and _still_named(fd, path):
            break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise SenrunError(
                f"cannot write to {shown or out}: another senrun run is writing it (waited {wait:g} s for "
                f"{path.name}); try again when it has finished")
        time.sleep(POLL)
    try:
        yield path
    finally:
        try:
            os.unlink(path)  # while still held: a run waiting on this file retries on a new one
        except OSError:  # Windows deletes no file while it is open: deleted once closed
            os.close(fd)
            fd = -1
            try:
                os.unlink(path)
            except OSError:
                pass
        if fd >= 0:
            os.close(fd)


def _open_lock(path: Path, shown: Path) -> int:
    """The lock file, created if need be; never through a link (one planted there would have senrun create a
    file wherever it points), nor a folder of that name: either is said, to be deleted."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0),
                       0o600)
    except OSError as exc:
        if not (path.is_symlink() or path.is_dir()):
            raise
        what = "a link" if path.is_symlink() else "a folder"
        raise SenrunError(f"cannot write to {shown}: {path.name} beside it, where senrun keeps its lock while it "
                          f"writes, is {what}, not senrun's lock file; nothing was written. Delete it (no senrun "
                          "run makes one) and run again") from exc


def _still_named(fd: int, path: Path) -> bool:
    """Whether the locked file is still the one at `path` (the run before may have deleted it)."""
    try:
        here, held = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on `fd` without waiting; whether it was taken."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
