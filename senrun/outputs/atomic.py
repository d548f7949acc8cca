"""Write an output folder all or nothing (SPEC §5: a failed run leaves the output folder as it was).

Everything is written into a staging folder beside `out`, `.<name>.senrun-new`.  Only when
all of it is written is it swapped in: an existing `out` is renamed `.<name>.senrun-old`,
the staging folder is renamed `out`, and the old one is deleted.  Each rename is atomic on
one file system, and both folders are in the same parent, so a run killed at any point
leaves either the old folder or the new one whole under the name `out`, or the old one
under `.<name>.senrun-old` with `out` missing.  `recover` puts that right at the start of
the next write.

Every call that changes the file system goes through the small functions at the top
(`make_dir`, `write_file`, `rename`, `remove`), so tests can make any of them fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SenrunError

MANIFEST = "manifest.json"


# --- the file-system layer: the only calls here that change anything --------------------

def make_dir(path: Path) -> None:
    """Create a folder (its parents too)."""
    os.makedirs(path, exist_ok=True)


def write_file(path: Path, data: bytes) -> None:
    """Write a whole file."""
    with open(path, "wb") as handle:
        handle.write(data)


def rename(src: Path, dst: Path) -> None:
    """Rename a file or folder (atomic within one file system)."""
    os.rename(src, dst)


def remove(path: Path) -> None:
    """Delete a folder and everything in it (a symbolic link is unlinked, not followed)."""
    if path.is_symlink() or path.is_file():
        os.unlink(path)
    else:
        shutil.rmtree(path)


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
    try:
        rename(staging, out)
    except BaseException:
        if had_old:
            rename(old, out)
        raise
    if had_old:
        try:
            remove(old)
        except OSError:
            pass  # the new folder is whole; the next run's `recover` deletes the old one


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
        make_dir(out.parent)
        recover(out)
        check_target(out, shown)
        make_dir(staging)
        yield staging
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
