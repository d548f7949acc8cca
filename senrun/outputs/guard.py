"""What an output folder may be, and what senrun may replace in it (docs/security.md, "The outputs").

senrun replaces `--out` whole.  So, before anything is written:

- `--out` is made absolute, and a symbolic link is followed: senrun writes into the folder the
  link names, and the link is kept (`resolve_out`).  A link that names nothing, or a loop of
  links, is refused with a message that says so.
- `--out` must not be, or hold, or lie inside the run's own config or inputs (`check_apart`):
  `--out` naming the folder that holds this year's config would otherwise replace the config
  and the inputs by the outputs.
- An existing folder is replaced only if everything in it is senrun's own: the files its
  `manifest.json` lists, the folders that hold them, and the manifest (`check_owned`); and the
  files a file manager leaves in any folder it shows (`.DS_Store`, `Thumbs.db`: `is_litter`).
  Anything else in it — a config copied in, last year's spreadsheets, a note — is named in
  the error, and nothing is deleted.
- and only by the command that wrote it: `simulate` never replaces a funding run's folder
  (its allocations.xlsx, returns, psf.csv), nor `allocate` a folder of what-if scenarios.
- and a year's allocation only by an allocation of the same period: last year's folder is this
  year's register and previous run.
- and only if this user can delete it once it is replaced (`check_removable`): a folder made
  read-only is refused before anything is written, not left beside the new one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from ..errors import SenrunError
from ..inputs.standins import lock_file_of

MANIFEST = "manifest.json"
#: How many of the files senrun did not write an error names.
NAMED = 5


def resolve_out(shown: Path) -> Path:
    """The folder to write for `--out` `shown`: absolute, symbolic links followed.

    Refuses a NUL in the path, a loop of symbolic links anywhere in it, and a link that
    names nothing (a dangling link): each with a message that says which."""
    text = os.fspath(shown)
    if "\x00" in text:
        raise SenrunError(f"cannot write to {text!r}: the path contains a NUL character")
    path = Path(os.path.abspath(text))
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SenrunError(f"cannot write to {shown}: {_loop(path)} is a symbolic link that "
                              f"loops (it leads back to itself)") from None
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise SenrunError(f"cannot write to {shown}: it is a symbolic link to {os.readlink(path)}, "
                              f"which does not exist; create that folder, or give another") from None
    return Path(os.path.realpath(path))


def _loop(path: Path) -> Path:
    """The first part of `path`, from the root down, that cannot be resolved for a loop."""
    for part in [*reversed(path.parents), path]:
        try:
            os.stat(part)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return part
    return path


def check_apart(out: Path, protected: Iterable[tuple[str, Path]], shown: Path) -> None:
    """Refuse an `out` that is, holds, or lies inside one of the run's own files or folders.

    `protected` gives (what, path) pairs, e.g. ("the config", …), ("the census input", …);
    `out` is resolved (resolve_out).  An `out` beside them, in the same parent, is fine:
    only `out` itself (and `.<name>.senrun-new` / `-old` beside it) is ever replaced."""
    for what, path in protected:
        real = Path(os.path.realpath(path))
        if real == out or out in real.parents:
            raise SenrunError(
                f"cannot write to {shown}: it holds {what} ({path}), which the new outputs would replace; "
                f"give an output folder of its own, outside the folder of the config and the inputs")
        if real in out.parents:
            raise SenrunError(f"cannot write to {shown}: it lies inside {what} ({path}); "
                              f"give an output folder of its own")


#: What each command's output folder holds, and the folder to suggest to the other command.
HOLDS = {"allocate": ("a funding run", "allocations.xlsx, pupils.xlsx, the school returns, psf.csv", "allocations"),
         "simulate": ("what-if scenarios", "simulate.xlsx, scenarios.csv", "what-if")}


def check_owned(out: Path, shown: Path, command: str | None = None, period: tuple[str, str] | None = None) -> None:
    """Refuse an existing, non-empty `out` holding anything its manifest.json does not list, or
    (given the `command` about to write it, allocate or simulate) written by the other command, or
    (given the `period` of an allocation about to be written, ISO dates) an allocation of another period."""
    if out.exists() and not out.is_dir():  # a device or a named pipe too: the swap would move it aside
        raise SenrunError(f"cannot write to {shown}: it is {not_a_folder(out)}, not a folder")
    if not out.is_dir() or all(is_litter(p.name) and p.is_file() for p in out.iterdir()):  # empty, to a person
        return
    manifest = _manifest(out / MANIFEST)
    listed = _listed(manifest)
    if listed is None:
        raise SenrunError(
            f"cannot write to {shown}: the folder is not empty and was not written by senrun "
            f"(it has no {MANIFEST} listing its files); give a new or empty folder, or one senrun wrote before")
    if command is not None:
        _check_same_command(manifest, shown, command)
    if period is not None and written_by(manifest) == "allocate":
        _check_same_period(manifest, shown, period)
    foreign = foreign_entries(out, listed)
    locks = {name: book for name in foreign if (book := locked_book(name)) is not None}
    if locks and len(locks) == len(foreign):  # Excel's (or LibreOffice's) lock file beside a workbook it has open
        books = ", ".join(list(locks.values())[:NAMED])
        one = len(locks) == 1
        raise SenrunError(
            f"cannot write to {shown}: {books} {'is' if one else 'are'} open in Excel or LibreOffice (its lock file "
            f"{', '.join(list(locks)[:NAMED])} is in the folder): close {'it' if one else 'them'}, then run again; "
            "if nothing has it open, the lock file was left behind: delete it")
    if foreign:
        more = f", … {len(foreign):,} in all" if len(foreign) > NAMED else ""
        raise SenrunError(
            f"cannot write to {shown}: it holds files senrun did not write, or changed since it wrote them "
            f"({', '.join(foreign[:NAMED])}{more}); "
            f"senrun replaces a folder only when its {MANIFEST} lists everything in it, and deletes "
            f"nothing else: move them elsewhere, or give another folder")


def check_removable(out: Path, shown: Path, files: bool = os.name == "nt") -> None:
    """Refuse an existing `out` that this user could put aside but not delete: a folder in it made read-only
    (and, with `files`, as on Windows, which will not delete a read-only file, a file made so).  The swap
    would succeed, and last year's folder, personal data included, would be left beside `out` for every
    later run to refuse; someone who made it read-only may also have meant it to be kept."""
    if not out.is_dir():
        return
    stuck = []
    for root, _, names in os.walk(out):
        if not os.access(root, os.W_OK | os.X_OK):
            stuck.append("the folder itself" if root == os.fspath(out) else Path(root).relative_to(out).as_posix() + "/")
        if files:
            stuck += [(Path(root) / n).relative_to(out).as_posix() for n in names
                      if not os.access(os.path.join(root, n), os.W_OK)]
    if stuck:
        one = len(stuck) == 1
        more = f", … {len(stuck):,} in all" if len(stuck) > NAMED else ""
        raise SenrunError(
            f"cannot write to {shown}: {', '.join(stuck[:NAMED])}{more} {'is' if one else 'are'} read-only for this "
            "user, and senrun replaces the whole folder, deleting the files in it: make the folder writable (if it "
            "was made read-only to keep it, give another --out instead)")


def locked_book(name: str) -> str | None:
    """The workbook a lock file stands for, in the folder: Excel's `~$9262002.xlsx`, LibreOffice's
    `.~lock.9262002.xlsx#` (`standins.lock_file_of`); None for any other file."""
    path = Path(name)
    lock = lock_file_of(path.name)
    return None if lock is None else str(path.with_name(lock[1]))


def not_a_folder(path: Path) -> str:
    """What an existing `path` that is not a folder is, in words: "a file", "a device", …"""
    mode = path.stat().st_mode
    for test, words in ((stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a named pipe"),
                        (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "a file"


def _manifest(path: Path) -> dict | None:
    """A folder's manifest.json as read, or None if there is none that senrun could have written."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _listed(manifest: dict | None) -> dict[str, dict] | None:
    """The files a senrun manifest lists (relative, / separated) with their sha256 and bytes,
    or None if it is not a senrun manifest."""
    files = manifest.get("files") if manifest is not None else None
    if not isinstance(files, dict):
        return None
    return {name: entry if isinstance(entry, dict) else {} for name, entry in files.items() if isinstance(name, str)}


def run_in(out: Path) -> str | None:
    """The run reference of the allocation in `out` (its manifest.json's `run_reference`), or None: a re-run into
    the folder replaces it, and the command says which run that was (cli/allocate.py)."""
    manifest = _manifest(Path(out) / MANIFEST)
    reference = manifest.get("run_reference") if manifest and written_by(manifest) == "allocate" else None
    return reference if isinstance(reference, str) else None


def written_by(manifest: dict) -> str:
    """Which command wrote a senrun manifest: simulate's says so; allocate's has no `command`."""
    return "simulate" if manifest.get("command") == "simulate" else "allocate"


def _check_same_command(manifest: dict, shown: Path, command: str) -> None:
    """Refuse to replace one command's output folder with another's: a what-if run over the
    year's allocations (or the other way round) would delete files a council publishes."""
    other = written_by(manifest)
    if other == command:
        return
    what, files, _ = HOLDS[other]
    year = f" for {manifest['year']}" if other == "allocate" and isinstance(manifest.get("year"), str) else ""
    suggest = Path(shown).parent / HOLDS[command][2]
    if suggest.name == Path(shown).name:
        suggest = suggest.with_name(f"{suggest.name}-2")
    raise SenrunError(
        f"cannot write to {shown}: it holds {what} written by `senrun {other}`{year} ({files}), which "
        f"`senrun {command}` would replace; give {command} a folder of its own, e.g. --out {suggest}/")


def _check_same_period(manifest: dict, shown: Path, period: tuple[str, str]) -> None:
    """Refuse to replace one year's allocation with another year's: last year's output folder is this
    year's register and previous run, and next year's (its psf.csv is the memory of every stop)."""
    from ..inputs.parse import config_period

    theirs = config_period(manifest.get("period"))  # as the config gave it (`01/04/2013` or 2013-04-01)
    if theirs is None or (theirs[0].isoformat(), theirs[1].isoformat()) == tuple(period):
        return
    year = f"{manifest['year']} " if isinstance(manifest.get("year"), str) else ""
    ours = [date.fromisoformat(d) for d in period]
    raise SenrunError(
        f"cannot write to {shown}: it holds the {year}allocation ({theirs[0]:%d/%m/%Y} – {theirs[1]:%d/%m/%Y}), "
        f"and this run is of {ours[0]:%d/%m/%Y} – {ours[1]:%d/%m/%Y}; each year's output folder is the next year's --register and "
        "--previous, so senrun does not replace one year's with another's: give this year's run a folder of its own "
        "(a folder a year: docs/seven-years.md), or delete that folder first if it is truly not wanted")


def foreign_entries(out: Path, listed: dict[str, dict]) -> list[str]:
    """What in `out` senrun did not write, or has changed since: anything but a listed regular
    file still as the manifest describes it, a folder holding one, and the manifest.  Symbolic
    links are never senrun's, and are not followed.  In folder order (a folder's entries by name,
    its folders before its files, then what is in its folders); each listed file is checked
    against its size and SHA-256."""
    folders = {"/".join(name.split("/")[:i]) for name in listed for i in range(1, name.count("/") + 1)}
    found: list[str | tuple[str, str, dict]] = []  # what is foreign, or (key, path, entry) to check
    pending = [(os.fspath(out), "")]
    while pending:
        root, prefix = pending.pop(0)
        with os.scandir(root) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        below = []
        for entry in entries:  # os.walk's folders: what is a folder, following a link
            if entry.is_dir():
                if entry.is_symlink() or prefix + entry.name not in folders:
                    found.append(prefix + entry.name + "/")
                else:
                    below.append((entry.path, prefix + entry.name + "/"))
        for entry in entries:
            if entry.is_dir():
                continue
            key = prefix + entry.name
            if not prefix and entry.name == MANIFEST and not entry.is_symlink():
                continue
            if is_litter(entry.name) and entry.is_file(follow_symlinks=False):
                continue
            if entry.is_symlink() or not entry.is_file() or key not in listed:
                found.append(key)
            else:
                found.append((key, entry.path, listed[key]))
        pending[:0] = below  # os.walk's order: a folder's folders next, before its later siblings
    return [item if isinstance(item, str) else f"{item[0]} (changed since senrun wrote it)"
            for item in found if isinstance(item, str) or not _unchanged(item[1], item[2])]


#: Files a file manager leaves in any folder it shows, holding no one's data: macOS's Finder (`.DS_Store`, and
#: `._<name>` beside each file on a shared drive), Windows Explorer (`Thumbs.db`, `desktop.ini`).  Deleted with
#: the folder they are in: a Mac user looking at last year's run on the drive would otherwise stop every later run.
LITTER = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini"})


def is_litter(name: str) -> bool:
    """Whether a file's `name` is one a file manager leaves in folders (`LITTER`, or macOS's `._<name>`)."""
    return name.lower() in LITTER or name.startswith("._")


def _unchanged(path: str, entry: dict) -> bool:
    """Whether a file still has the size and SHA-256 its manifest gives (a missing one is not checked)."""
    size, sha = entry.get("bytes"), entry.get("sha256")
    with open(path, "rb") as handle:
        if isinstance(size, int) and os.fstat(handle.fileno()).st_size != size:
            return False
        if isinstance(sha, str):
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(1 << 23), b""):
                digest.update(block)
            return digest.hexdigest() == sha
    return True


#: Last year's files a run may read besides its inputs (result.inputs names, and the register), in words.
LAST_YEARS = {"previous": "last year's run (--previous)", "previous_config": "last year's config (--previous-config)",
              "register": "last year's register (--register)"}


def run_files(config: object, result: object = None) -> list[tuple[str, Path]]:
    """The run's own files that no output folder may replace: its config and every input it names;
    with the run's `result`, last year's register, --previous and --previous-config too (an --out
    naming last year's folder would replace the very run this one was compared with)."""
    found: list[tuple[str, Path]] = []
    path = getattr(config, "path", None)
    if path is not None:
        found.append(("the config", Path(path)))
    for name, spec in (getattr(config, "inputs", None) or {}).items():
        found.append((f"the {name} input", Path(spec.path)))
    for info in getattr(result, "inputs", ()):
        if info.name in LAST_YEARS:
            found.append((LAST_YEARS[info.name], Path(info.path)))
    register = getattr(result, "register", None)
    if register is not None:
        found.append((LAST_YEARS["register"], Path(register.path)))
    return found


def output_mode(config: object) -> str:
    """The config's output_mode (private unless it says group)."""
    return getattr(config, "output_mode", None) or "private"


#: What marks a folder `senrun sample` wrote: its planted.csv, and a config whose opening
#: comment names the command (sample/write.py CONFIG_TEMPLATE).
SAMPLE_MARKS = ("planted.csv", "senrun.yaml", b"`senrun sample")  # a year of a chain: `senrun sample --years`


def check_sample_target(out: Path, shown: Path | None = None) -> None:
    """Refuse a `senrun sample --out` that is a file, or a non-empty folder a sample did not write:
    `sample` writes its files in place, and would replace a council's own census.csv."""
    shown = shown or out
    out = resolve_out(out)
    if out.exists() and not out.is_dir():
        raise SenrunError(f"cannot write to {shown}: it is {not_a_folder(out)}, not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    planted, config, mark = SAMPLE_MARKS
    try:
        head = (out / config).read_bytes()[:400] if (out / config).is_file() else b""
    except OSError:
        head = b""
    if not ((out / planted).is_file() and mark in head):
        raise SenrunError(
            f"cannot write to {shown}: the folder is not empty and does not hold a sample senrun wrote "
            f"(no {planted}, or a {config} that `senrun sample` did not write); `senrun sample` replaces "
            f"files in place, so give a new or empty folder")
