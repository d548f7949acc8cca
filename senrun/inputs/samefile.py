"""Two inputs that name one file: the same table given twice, most often a path copied into the wrong place.

Told as one error at the config's line, and neither input read: either may be the slip, and reading
them would tell the user to map one input's columns as the other's.  One workbook holding several
inputs, each on a sheet of its own, is right.  Only existing plain files are compared (by device and
inode, so a link or another spelling of the path is the same file); anything else, a missing file or a
named pipe, is left to the reader, which says what it is.
"""

from __future__ import annotations

import os
import stat

from ..config.loader import INPUT_NAMES, Config
from ..errors import Issues
from .excel import sheet_chosen
from .reading import sniff


def same_file_errors(cfg: Config, issues: Issues) -> list[str]:
    """An input that reads the same table as an input before it: an error at its `path:` line; and the
    names of both, not to be read."""
    seen: dict[tuple, list[str]] = {}
    books: dict[tuple, bytes | None] = {}
    again: list[str] = []
    for name in INPUT_NAMES:
        spec = cfg.inputs.get(name)
        key = _plain_file(spec.path) if spec else None
        if key is None:
            continue
        kind = _kind(spec.path) if seen.get(key) else None  # looked into only when a file is named twice
        same = [other for other in seen.get(key, []) if _same_table(kind, cfg.inputs[other], spec, books, key)]
        seen.setdefault(key, []).append(name)
        if not same:
            continue
        again += [name, *same]
        sheet = f", sheet {spec.sheet!r}" if spec.sheet and kind == "zip" else ""
        issues.error("config", f"inputs.{name} names the same file as inputs.{same[0]} ({spec.path_text}{sheet}): "
                     "each input is a file of its own, or a sheet of its own in one workbook", file=cfg.path.name,
                     row=cfg.lines.get(f"inputs.{name}.path"), column=f"inputs.{name}.path", value=spec.path_text,
                     expected=f"the {name} file")
    return again


def _plain_file(path) -> tuple[int, int | str] | None:
    """An existing plain file's identity (device, inode); None for anything else: a missing file, a folder, a
    named pipe, a path no file can have (a NUL character).  Where the file system gives every file inode 0
    (some network drives on Windows), the file is known by its full path."""
    try:
        found = os.stat(path)
        if not stat.S_ISREG(found.st_mode):
            return None
        return found.st_dev, found.st_ino or os.path.normcase(os.path.realpath(path))
    except (OSError, ValueError):
        return None


def _kind(path) -> str | None:
    """What a plain file holds (reading.sniff: zip, ole, parquet, text); None if it cannot be read now."""
    try:
        with open(path, "rb") as stream:
            return sniff(stream.read(8))
    except OSError:
        return None


def _same_table(kind: str | None, one, other, books: dict, key: tuple) -> bool:
    """Whether two inputs of one file read the same table: a CSV or Parquet file is one table; a workbook's
    inputs are the same where they read the same sheet (none named: the first); an old .xls or a protected
    workbook cannot be looked into here (its reader says so): not flagged."""
    if kind in ("ole", None):
        return False
    if kind != "zip":
        return True
    if key not in books:  # read once, and not at all above the size the reader would refuse
        try:
            books[key] = one.path.read_bytes() if os.path.getsize(one.path) <= one.max_bytes else None
        except OSError:  # gone since it was looked at: the reader says so
            books[key] = None
    data = books[key]
    if data is None:
        return False
    first, second = sheet_chosen(data, one.sheet), sheet_chosen(data, other.sheet)
    return first is not None and first == second
