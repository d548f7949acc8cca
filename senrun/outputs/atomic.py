"""Write an output folder all or nothing (SPEC §5: a failed run leaves the output folder as it was).

Everything is written into a staging folder beside `out`, `.<name>.senrun-new`.  Only when
all of it is written is it swapped in: an existing `out` is renamed `.<name>.senrun-old`,
the staging folder is renamed `out`, and the old one is deleted (by a command, on a thread
while it shows its summary: `removals_after`).  Each rename is atomic on
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

import errno
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

from ..errors import SenrunError
from ..inputs.standins import PATH_MAX
from .stops import STOP_SIGNALS
from . import guard, lock

MANIFEST = guard.MANIFEST


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

def make_dir(path: Path, mode: int = 0o777) -> None:
    """Create a folder (its parents too); `mode` (less the umask) is the new folder's own."""
    os.makedirs(path, mode=mode, exist_ok=True)


def make_own_dir(path: Path, shown: Path) -> None:
    """Create the staging folder, this run's alone (owner only), or stop: one that is there already was made by
    someone else since `recover` cleared the way, and links planted in it would take the outputs, children's
    data among them, wherever they point (docs/security.md)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        raise SenrunError(f"cannot write to {shown}: {path.name} appeared beside it while senrun was starting, "
                          "made by another program or person; nothing was written. Find who made it, delete it, "
                          "and run again") from None


def write_file(path: Path | str, data: bytes) -> None:
    """Write a whole file, readable by its owner only (seal() sets the mode asked for).  Its bytes
    are made durable with the rest of the folder before the swap (`make_durable`), not one file
    at a time: one sync of 21,600 returns is seconds quicker than 21,600 (docs/reliability.md).
    A link in its place is never followed (the staging folder is the run's own: none can be)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:  # (os.write, not a file object: a file object's set-up cost as much as the writing, 21,600 times)
        checkpoint("file-created")
        if _KILL_AT is None:
            _write_all(fd, data)
        else:  # a kill test: leave half the bytes on disk when it dies
            half = len(data) // 2
            _write_all(fd, data[:half])
            checkpoint("file-half-written")
            _write_all(fd, data[half:])
    finally:
        os.close(fd)
    checkpoint("file-written")


def write_whole(path: Path, data: bytes, mode: int = 0o666, replace: bool = True) -> None:
    """Write one file beside a council's own (a blank template, a drafted config, an accept list) whole or not at
    all: its bytes go to a hidden file beside it, which takes its name only once every byte is written, so a full
    disk leaves nothing behind, never a cut file that a later run must refuse.  `mode` as os.open takes it (the
    umask applies); `replace=False`: an existing `path` is never replaced (FileExistsError, the hidden file gone).
    A file replaced keeps its permissions, and a link is written through to the file it names, as writing in place
    had done."""
    if replace and path.is_symlink():
        path = Path(os.path.realpath(path))
    part = path.with_name(f".{path.name}.senrun-part")
    try:
        kept = os.stat(path).st_mode & 0o7777 if replace and path.is_file() else None
        if kept is not None and not os.access(path, os.W_OK):  # (refused, as writing it in place would be)
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), mode)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if kept is not None:
            os.chmod(part, kept)
        if replace:
            os.replace(part, path)
            return
        try:  # a link fails where the name is taken, as O_EXCL would
            os.link(part, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without links (FAT on a USB stick, some network shares)
            if path.exists() or path.is_symlink():
                raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
            os.replace(part, path)
    except OSError as exc:
        if exc.filename == str(part):  # said of the user's file, not of the hidden one
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    finally:  # (renamed into place, it is gone already; linked, or on a failure, it goes)
        part.unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte: os.write may write fewer than it is given (a disk nearly full, a signal)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if not written:  # (never seen: a system that takes nothing and says no error)
            raise OSError(errno.EIO, "no byte could be written")
        view = view[written:]


@cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2): write every dirty page and entry of one file system to disk in one call;
    None where the C library has no such function.  Looked up at the first sync, not at import
    (ctypes costs 4 ms); tests replace this function to take the other way."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    return function


def make_durable(root: Path, files: list[str]) -> None:
    """Put every file under `root` (`files`: their paths) on disk before the swap: with one
    syncfs(2) of the file system where there is one, else (or if it fails) an fsync of each file."""
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for name in files:  # (opened for writing: Windows' fsync, FlushFileBuffers, refuses a read-only handle)
        fd = os.open(name, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sync_dir(path: Path) -> None:
    """Make a folder's entries durable (its files' names, renames into it); a no-op where folders
    cannot be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not sync folders; the files themselves are synced
    finally:
        os.close(fd)


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
        _unlink_files_side_by_side(path)
        shutil.rmtree(path)


#: A folder with at least this many files has them deleted by UNLINKERS threads at once
#: (decisions 88): most of a deletion's time is the disk's, not the CPU's, and one
#: thread waits for each file in turn (England's 24,057 files: 1.7–2.2 s on one thread,
#: 0.6–0.8 s on eight, the same CPU).
MANY_FILES = 64
UNLINKERS = 8


def _unlink_files_side_by_side(path: Path) -> None:
    """Delete the files (and symbolic links) under the folder `path`, several at a time, if it
    holds MANY_FILES or more; the folders, and anything that could not be deleted, are left
    for shutil.rmtree, which then deletes them or raises its error.  No link is followed: each
    folder is opened once, refusing a link, and its files are deleted through that handle, so a
    folder swapped for a link meanwhile leads nowhere else (as rmtree's own walk).  Where the
    system cannot delete through a folder's handle (Windows), rmtree does it all."""
    if not _BY_HANDLE:
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    folders: list[tuple[int, list[str]]] = []  # each folder's handle and its files' names, the folder first
    try:
        folders.append((os.open(path, flags), []))
        walked = 0
        while walked < len(folders):
            handle, names = folders[walked]
            with os.scandir(handle) as entries:
                for entry in entries:
                    if not entry.is_dir(follow_symlinks=False):
                        names.append(entry.name)
                    elif len(folders) >= MAX_FOLDERS:
                        return  # (not a folder senrun laid out: rmtree's walk alone)
                    else:
                        folders.append((os.open(entry.name, flags, dir_fd=handle), []))
            walked += 1
        if sum(len(names) for _, names in folders) >= MANY_FILES:
            _unlink_all([(handle, names[start::UNLINKERS]) for handle, names in folders
                         for start in range(min(UNLINKERS, len(names)))])
    except OSError:
        return  # rmtree meets the same problem and says so
    finally:
        for handle, _ in folders:
            os.close(handle)


#: Whether this system deletes a file through its folder's handle (not Windows).
_BY_HANDLE = {os.open, os.unlink} <= os.supports_dir_fd and os.scandir in os.supports_fd
#: More folders than this under a folder being deleted, and it is left to rmtree alone (one handle is held open
#: per folder while its files are deleted; a run's output has three).
MAX_FOLDERS = 64


def _unlink_all(work: list[tuple[int, list[str]]]) -> None:
    """Delete each (folder's handle, names) task's files, UNLINKERS threads at once; a file that cannot be
    deleted is left (for rmtree, which raises its error)."""
    def unlink(task: tuple[int, list[str]]) -> None:
        handle, names = task
        for name in names:
            try:
                os.unlink(name, dir_fd=handle)
            except OSError:
                continue  # left for rmtree, which raises it

    from concurrent.futures import ThreadPoolExecutor  # only a large folder's deletion needs it

    try:
        with ThreadPoolExecutor(max_workers=UNLINKERS) as threads:
            list(threads.map(unlink, work))
    except RuntimeError:  # no new thread to be had (Python ending, a machine short of memory): rmtree does it all
        pass


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

def recover(out: Path, shown: Path | None = None) -> None:
    """Finish or undo a swap that a killed run left half done, and clear a stale staging folder.

    The previous folder put aside is deleted only when `out` is a folder senrun wrote (the swap had
    finished): when `out` is gone (or an empty folder made in its place), it is put back; when `out` holds
    anything else (a folder of the user's own made in its place), nothing is touched and the run is
    refused, naming both."""
    old, staging = old_path(out), staging_path(out)
    if _exists(old) and out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        os.rmdir(out)  # an empty folder made where the output went missing: the output goes back
    if _exists(old):
        if _exists(out):
            try:
                guard.check_owned(out, shown or out)
            except SenrunError:
                raise SenrunError(f"cannot write to {shown or out}: it holds files senrun did not write, and an "
                                  f"earlier run's output folder, interrupted as it was being replaced, is beside it "
                                  f"as {old} (personal data included): move {shown or out} or that folder "
                                  "elsewhere, then run again") from None
            try:
                remove(old)
            except OSError as exc:
                raise SenrunError(f"cannot write to {out}: an earlier run's previous folder, {old}, could not be "
                                  f"deleted ({exc.strerror or exc}): it holds that run's files, personal data "
                                  "included; make it writable or delete it by hand, then run again") from None
        else:
            rename(old, out)
    if _exists(staging):
        remove(staging)


def check_parents(out: Path, shown: Path | None = None) -> None:
    """Refuse an `out` below a file (`report.txt/out`), which would otherwise fail as "File exists"."""
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                what = guard.not_a_folder(parent) if parent.exists() else "a link to nothing"
                raise SenrunError(f"cannot write to {shown or out}: {parent} is {what}, not a folder")
            return


def check_target(out: Path, shown: Path | None = None, command: str | None = None,
                 period: tuple[str, str] | None = None) -> None:
    """Refuse an `out` that is a file, or a non-empty folder holding anything senrun did not write
    (or, given `command`, that the other command wrote; given `period`, an allocation of another
    period: guard.check_owned), or one this user could not delete once replaced (guard.check_removable)."""
    guard.check_owned(out, shown or out, command, period)
    guard.check_removable(out, shown or out)


#: output_mode (config) → (folders' mode, files' mode).  Outputs hold personal data about
#: children (docs/security.md): by default only their owner may read them.
MODES = {"private": (0o700, 0o600), "group": (0o750, 0o640)}
DEFAULT_MODE = "private"


def seal(staging: Path, mode: str = DEFAULT_MODE) -> None:
    """Before the swap: give every folder and file under `staging` its mode, and make them all
    durable (`make_durable`, then each folder's entries), so that after a power cut the
    swapped-in folder never holds short files behind a whole manifest."""
    dir_mode, file_mode = MODES[mode]
    written, folders = [], []
    for root, dirs, files in os.walk(staging, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, file_mode)
            written.append(path)
        os.chmod(root, dir_mode)
        folders.append(Path(root))
    make_durable(staging, written)
    for folder in folders:
        sync_dir(folder)


def swap_in(staging: Path, out: Path) -> bool:
    """Put the finished staging folder in place of `out`, keeping the old one (renamed
    `.<name>.senrun-old`) until the new is in; whether there is an old one to delete."""
    old = old_path(out)
    had_old = _exists(out)
    try:
        if had_old:
            rename(out, old)
            checkpoint("old-moved-aside")
        rename(staging, out)
    except BaseException:  # a failed rename, or Ctrl-C anywhere in between: whatever has happened is undone
        if had_old and not _exists(out) and _exists(old):  # (a signal just after the last rename: it stands)
            rename(old, out)
        raise
    checkpoint("new-swapped-in")
    return had_old


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def is_swapped_in(staging: Path, out: Path) -> bool:
    """Whether the staging folder has become `out` (the swap's last rename is done)."""
    return not _exists(staging) and _exists(out)


def remove_old(out: Path) -> None:
    """Delete the previous folder once the new one is in place.  Not an error if it cannot be
    deleted (a file held open; a folder made read-only is refused before the run writes, by
    guard.check_removable): the new folder is whole; where the old one stays is
    kept for the command to say (`left_behind`), since it holds an earlier run's personal data."""
    try:
        remove(old_path(out))
    except OSError as exc:
        _left_behind.append((old_path(out), exc.strerror or str(exc)))
        return
    checkpoint("old-removed")


#: Previous folders that could not be deleted after their swap, with why (see `left_behind`).
_left_behind: list[tuple[Path, str]] = []


def left_behind() -> list[tuple[Path, str]]:
    """The previous folders this process could not delete since it last asked, with why; and forget them."""
    found = list(_left_behind)
    _left_behind.clear()
    return found


#: The output folder this process last swapped in (for the command's messages: after it, a
#: failure must not say that nothing was written).
_swapped: list[Path] = []
#: A pipe to a process watching this run (cli/supervise.py), told each folder swapped in, so
#: that it can say so if this process then crashes.  None: nobody is watching.
SWAP_FD: int | None = None


def swapped_in() -> Path | None:
    """The folder this process last swapped in since forget_swapped(), as the user named it."""
    return _swapped[-1] if _swapped else None


def _announce(shown: Path) -> None:
    """Tell the watching process (if any) that `shown` is in place."""
    if SWAP_FD is not None:
        try:
            os.write(SWAP_FD, os.fsencode(f"{shown}\n"))
        except OSError:
            pass  # the watcher has gone; nothing to tell


def forget_swapped() -> None:
    """Start afresh (a command begins)."""
    _swapped.clear()


#: While a command runs (`removals_after`), the previous folders' deletions in progress, each on
#: a thread of its own; None: each is deleted before its write returns, as a library call expects.
_removals: list[threading.Event] | None = None  # set by each deletion's thread as it ends


@contextmanager
def removals_after() -> Iterator[None]:
    """Within the block, the previous folder that a write replaces is deleted on a thread, after
    the new one is in place, while the command goes on (to its summary); the block ends when every
    such deletion has.  Each write's lock is held until its old folder is gone, so no other run
    meets it half deleted; a process killed meanwhile leaves the new folder whole and the rest
    of the old one as `.<name>.senrun-old`, which the next run's `recover` deletes."""
    global _removals
    outer, _removals = _removals, []
    try:
        yield
    finally:
        pending, _removals = _removals, outer
        # a Ctrl-C (or SIGTERM, SIGHUP) now does not stop the deleting of children's data halfway: while
        # it is awaited, a stop is noted rather than raised (raised between two of the waits, it would
        # leave the wait), and taken once the deletion is done.  Waited for by the thread's own flag (a
        # Thread.join cut short by Ctrl-C can mark a running thread as ended), a tenth of a second at a
        # time: a signal the kernel gives another thread is then taken here
        with _stops_noted() as noted:
            for finished in pending:
                while not finished.wait(0.1):
                    pass
        if noted:
            noted[0]()  # the stop's own handler: KeyboardInterrupt, as if it came now


@contextmanager
def _stops_noted() -> Iterator[list]:
    """Within the block, Ctrl-C, SIGTERM and SIGHUP (where Python handles them, in the main thread) are
    noted instead of raised; the list holds, for the first, a call of its own handler."""
    import signal

    noted: list = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    originals = {}
    for sig in STOP_SIGNALS:
        handler = signal.getsignal(sig)
        if callable(handler):
            def note(signum, frame, handler=handler):
                if not noted:
                    noted.append(lambda: handler(signum, None))
            originals[sig] = signal.signal(sig, note)
    try:
        yield noted
    finally:
        for sig, handler in originals.items():
            signal.signal(sig, handler)


@contextmanager
def staged(out: Path, protect: Iterable[tuple[str, Path]] = (), mode: str = DEFAULT_MODE,
           command: str | None = None, period: tuple[str, str] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder; swap it in if the block succeeds, else delete it.

    `protect` names the run's own files (its config and inputs), which `out` must neither be,
    hold nor lie inside; `mode` is an output_mode (MODES).  An existing `out` is replaced only
    if its manifest lists everything in it (guard.py) and, given the `command` writing it
    (allocate or simulate), only if that command wrote it, and given the `period` of an allocation (ISO
    dates), only if it is of that period; and only while this process holds its
    lock (lock.py).  An OSError anywhere (including the swap) becomes a SenrunError naming
    `out`; `out` is then exactly as it was, and nothing is left beside it.  The folder it
    replaces is deleted after the swap: before this returns, or within `removals_after()` on a
    thread, which holds the lock until it is done.
    """
    shown = Path(out)  # as the user gave it, for messages
    try:
        out = guard.resolve_out(shown)  # absolute; a link is followed to the folder it names
        check_parents(out, shown)
        guard.check_apart(out, protect, shown)
        made = _first_missing(out.parent)
        make_dir(out.parent)
        try:
            with ExitStack() as held:
                held.enter_context(lock.locked(out, shown))
                yield from _staged_locked(out, shown, mode, command, period, held)
        except BaseException:  # (a failed run leaves no folder it made on the way to `out`)
            _remove_empty(out.parent, made)
            raise
    except OSError as exc:
        raise SenrunError(f"cannot write to {shown}: {_why(exc, out, shown)}") from exc


def _first_missing(folder: Path) -> Path | None:
    """The outermost of `folder` and its parents that does not exist yet (what make_dir will create), or None."""
    missing = None
    while not folder.exists() and folder.parent != folder:
        missing, folder = folder, folder.parent
    return missing


def _remove_empty(folder: Path, made: Path | None) -> None:
    """Remove `folder` and its parents up to `made` (the first folder make_dir created), while each is empty."""
    if made is None:
        return
    while True:
        try:
            os.rmdir(folder)
        except OSError:
            return
        if folder == made or folder.parent == folder:
            return
        folder = folder.parent


def _why(exc: OSError, out: Path, shown: Path) -> str:
    """Why `out` could not be written, for its message.  A folder beside `out` that cannot be made (the
    lock, the staging folder, the old one renamed aside) is said to be in `out`'s parent: `out` itself
    may well be writable for this user, and the error alone would blame it."""
    why = exc.strerror or str(exc)
    named = Path(os.fsdecode(exc.filename)) if exc.filename is not None else None
    if exc.errno == errno.EBUSY and named in (out, old_path(out)):
        return (f"{why}: it is a mount point (or in use), and senrun replaces --out whole by swapping a new folder in; "
                "give a folder inside it")
    if exc.errno == errno.ENAMETOOLONG and named is not None and len(os.fsencode(named)) >= PATH_MAX:
        return (f"{why}: a path senrun writes to there is {len(os.fsencode(named)):,} bytes long, more than this "
                f"system takes ({PATH_MAX:,}): give an --out with a shorter path")
    if exc.errno == errno.ENAMETOOLONG:
        return (f"{why}: senrun writes the new folder beside it as {staging_path(out).name}, which is too long a "
                "name here: give a shorter --out")
    moved_to = Path(os.fsdecode(exc.filename2)) if exc.filename2 is not None else None
    if exc.errno in (errno.EACCES, errno.EPERM) and named == out and moved_to == old_path(out):
        return (f"{why}: senrun could not move the folder aside to put the new one in its place, though it can write "
                "beside it: the folder is in use (Windows will not move a folder while a file in it is open in a "
                "program, or while a window or a command prompt is open on it), or it belongs to another user: "
                "close what has it open, then run again")
    if named is not None and out in named.parents:  # a file of the folder being replaced, checked or deleted
        hint = (" (senrun reads each file of the folder it replaces, to check that it wrote it, and then deletes "
                "it: give this user read and write access to it)" if exc.errno in (errno.EACCES, errno.EPERM) else "")
        return f"{named.relative_to(out)}: {why}{hint}"
    beside = named is not None and named.parent == out.parent
    if exc.errno not in (errno.EACCES, errno.EPERM) or not beside:  # (a read-only disk says so itself)
        return why
    parent = out.parent if shown.parent == Path(".") else shown.parent
    return (f"senrun writes the new folder beside it, in {parent}/, and swaps it in; {parent}/ is not writable for "
            f"this user ({why}): give an --out whose parent folder you can write to")


def _remove_old(out: Path, held: ExitStack) -> None:
    """Delete the previous folder of `out`, then release its lock (`held`): here, or on a thread
    within `removals_after()`."""
    finished = threading.Event()

    def remove_and_unlock() -> None:
        try:
            remove_old(out)
        finally:
            held.close()
            finished.set()
    if _removals is None:
        remove_and_unlock()
        return
    thread = threading.Thread(target=remove_and_unlock, name=f"senrun: deleting {old_path(out).name}")
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (a machine short of memory): delete it here
        remove_and_unlock()
        return
    _removals.append(finished)


def _staged_locked(out: Path, shown: Path, mode: str, command: str | None,
                   period: tuple[str, str] | None, held: ExitStack) -> Iterator[Path]:
    """staged(), once the lock (in `held`) is held: the staging folder is this run's alone to make and
    discard.  The folder the swap puts aside is then deleted (`_remove_old`), and the lock released with it."""
    staging = staging_path(out)
    try:
        recover(out, shown)
        checkpoint("recovered")
        check_target(out, shown, command, period)
        make_own_dir(staging, shown)
        checkpoint("staging-made")
        yield staging
        seal(staging, mode)
        checkpoint("all-written")
        # from the swap until the old folder's deletion is under way (on its thread, in a command; whole, in a
        # library call), a Ctrl-C (SIGTERM, SIGHUP) is noted and taken after: raised in between, it would leave
        # last year's whole folder, children's data, beside `out`
        with _stops_noted() as noted:
            try:
                had_old = swap_in(staging, out)
            finally:
                if is_swapped_in(staging, out):  # in place, even if a signal came just as the swap ended
                    _swapped.append(shown)
                    _announce(shown)
            sync_dir(out.parent)
            if had_old:
                _remove_old(out, held.pop_all())
        if noted:
            noted[0]()  # the stop's own handler, as if it came now
    except BaseException:
        _discard(staging)
        raise


def _discard(staging: Path) -> None:
    """Delete the staging folder after a failure, as far as the file system allows."""
    try:
        if staging.exists() or staging.is_symlink():
            remove(staging)
    except OSError:
        pass  # nothing more can be done now; the next run's `recover` deletes it
