"""Write an output folder all or nothing (SPEC §5: a failed run leaves the output folder as it was).

Everything is written into a staging folder beside `out`, `.<name>.senrun-new`.  Only when
all of it is written is it swapped in: an existing `out` is renamed `.<name>.senrun-old`,
the staging folder is renamed `out`, and the old one is deleted.  Each rename is atomic on
one file system, and both folders are in the same parent, so a run killed at any point
leaves either the old folder or the new one whole under the name `out`, or the old one
under `.<name>.senrun-old` with `out` missing.  `recover` puts that right at the start of
the next write.

Every call that changes the file system goes through the small functions at the top
(`make_dir`, `write_file`, `rename`, `remove`), so tests can make any of them fail; and the
protocol passes named `CHECKPOINTS`, at which tests/test_faults.py kills a run with SIGKILL
(docs/reliability.md, "Kill tests").
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SenrunError

MANIFEST = "manifest.json"


# --- the kill hook: a test can stop a run dead at any step ------------------------------

#: Every step at which a run can be killed for a test, in the order a run first reaches them.
#: Each is passed after the file-system change it names; those marked * are passed once per
#: file or folder, so a test names which time (`file-written#3`: after the third file).
CHECKPOINTS = (
    "recovered",          # an earlier run's litter put right; nothing of this run on disk yet
    "staging-made",       # the empty staging folder `.<name>.senrun-new` exists
    "file-created",       # * a file created in the staging folder, still empty
    "file-half-written",  # * half of a file's bytes written
    "file-written",       # * a whole file written (the manifest is the last)
    "dir-made",           # * a folder inside the staging folder made (returns/), still empty
    "all-written",        # every file written; the swap not begun
    "old-moved-aside",    # `out` renamed `.<name>.senrun-old`: for a moment there is no `out`
    "new-swapped-in",     # the staging folder renamed `out`; the old one not yet deleted
    "half-removed",       # * a folder being deleted is half gone (the old one, after the swap;
                          #   in `recover`, litter of an earlier killed run)
    "old-removed",        # the old folder deleted: the write is complete
)

#: `SENRUN_TEST_KILL_AT=<checkpoint>[#<n>]`: SIGKILL this process the n-th time (default the
#: first) it passes that checkpoint.  For tests only.  Read once, at import: a normal run
#: pays one comparison with None per checkpoint.
KILL_ENV = "SENRUN_TEST_KILL_AT"


def _kill_plan(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, nth = value.partition("#")
    if name not in CHECKPOINTS or not (nth or "1").isdigit() or int(nth or "1") < 1:
        raise ValueError(f"{KILL_ENV}={value!r}: expected one of {', '.join(CHECKPOINTS)}, "
                         f"optionally followed by #<n>, n ≥ 1")
    return name, int(nth or "1")


_KILL_AT = _kill_plan(os.environ.get(KILL_ENV))
_passed: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """Pass the named step of CHECKPOINTS: a no-op, unless KILL_ENV says to die here."""
    if _KILL_AT is None:
        return
    _passed[name] = count = _passed.get(name, 0) + 1
    if (name, count) == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)


# --- the file-system layer: the only calls here that change anything --------------------

def make_dir(path: Path) -> None:
    """Create a folder (its parents too)."""
    os.makedirs(path, exist_ok=True)


def write_file(path: Path, data: bytes) -> None:
    """Write a whole file."""
    with open(path, "wb") as handle:
        checkpoint("file-created")
        if _KILL_AT is None:
            handle.write(data)
        else:  # a kill test: leave half the bytes on disk when it dies
            half = len(data) // 2
            handle.write(data[:half])
            handle.flush()
            checkpoint("file-half-written")
            handle.write(data[half:])
    checkpoint("file-written")


def rename(src: Path, dst: Path) -> None:
    """Rename a file or folder (atomic within one file system)."""
    os.rename(src, dst)


def remove(path: Path) -> None:
    """Delete a folder and everything in it (a symbolic link is unlinked, not followed)."""
    if path.is_symlink() or path.is_file():
        os.unlink(path)
    else:
        if _KILL_AT is not None:  # a kill test: die with the folder half deleted
            _remove_half(path)
        shutil.rmtree(path)


def _remove_half(path: Path) -> None:
    """Delete about half of the files under `path` (kill tests only), then pass `half-removed`."""
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    for file in files[: (len(files) + 1) // 2]:
        os.unlink(file)
    checkpoint("half-removed")


# --- names --------------------------------------------------------------------------

def staging_path(out: Path) -> Path:
    """Where the new folder is written before it is swapped in."""
    return out.parent / f".{out.name}.senrun-new"


def old_path(out: Path) -> Path:
    """Where the previous folder waits during the swap."""
    return out.parent / f".{out.name}.senrun-old"


# --- the protocol -------------------------------------------------------------------

def recover(out: Path) -> None:
    """Finish or undo a swap that a killed run left half done, and clear a stale staging folder."""
    old, staging = old_path(out), staging_path(out)
    if old.exists() or old.is_symlink():
        if out.exists() or out.is_symlink():
            remove(old)
        else:
            rename(old, out)
    if staging.exists() or staging.is_symlink():
        remove(staging)


def check_parents(out: Path, shown: Path | None = None) -> None:
    """Refuse an `out` below a file (`report.txt/out`), which would otherwise fail as "File exists"."""
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise SenrunError(f"cannot write to {shown or out}: {parent} is a file, not a folder")
            return


def check_target(out: Path, shown: Path | None = None) -> None:
    """Refuse an `out` that is a file, or a non-empty folder that senrun did not write."""
    shown = shown or out
    if out.is_file():
        raise SenrunError(f"cannot write to {shown}: it is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise SenrunError(
            f"cannot write to {shown}: the folder is not empty and was not written by senrun "
            f"(it has no {MANIFEST}); give a new or empty folder, or one senrun wrote before"
        )


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished staging folder in place of `out`, keeping the old one until the new is in."""
    old = old_path(out)
    had_old = out.exists() or out.is_symlink()
    if had_old:
        rename(out, old)
        checkpoint("old-moved-aside")
    try:
        rename(staging, out)
    except BaseException:
        if had_old:
            rename(old, out)
        raise
    checkpoint("new-swapped-in")
    if had_old:
        try:
            remove(old)
        except OSError:
            pass  # the new folder is whole; the next run's `recover` deletes the old one
        else:
            checkpoint("old-removed")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder; swap it in if the block succeeds, else delete it.

    An OSError anywhere (including the swap) becomes a SenrunError naming `out`; `out` is
    then exactly as it was, and nothing is left beside it.
    """
    shown = Path(out)  # as the user gave it, for messages
    out = Path(os.path.abspath(shown))  # `.` or `runs/..` have a real name and parent; links are kept
    staging = staging_path(out)
    try:
        check_parents(out, shown)
        make_dir(out.parent)
        recover(out)
        checkpoint("recovered")
        check_target(out, shown)
        make_dir(staging)
        checkpoint("staging-made")
        yield staging
        checkpoint("all-written")
        swap_in(staging, out)
    except BaseException as exc:
        _discard(staging)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise SenrunError(f"cannot write to {shown}: {reason}") from exc
        raise


def _discard(staging: Path) -> None:
    """Delete the staging folder after a failure, as far as the file system allows."""
    try:
        if staging.exists() or staging.is_symlink():
            remove(staging)
    except OSError:
        pass  # nothing more can be done now; the next run's `recover` deletes it
