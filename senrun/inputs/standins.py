"""Files that stand in for an input without holding it, as a council's shared drive has them (SPEC §5, §8).

Each would otherwise be told as "not a text file" or as a file with none of the input's columns, which
sends a person looking for a fault in their data; what to do is quite another thing:

- **Excel's lock file** (`~$census.xlsx`, "the owner file"): made beside a workbook while someone has it
  open, holding only their name; LibreOffice's is `.~lock.census.xlsx#`.  Given by mistake for the
  workbook itself (it sorts beside it, and a file dialog can offer it).
- **A shortcut**: a Windows shortcut (`.lnk`) or an Internet shortcut (`.url`, as a SharePoint link is
  saved), which point to the file but hold none of it.
- **A file whose contents have not arrived**: OneDrive's or SharePoint's "online-only" file that has not
  been downloaded (0 bytes, or its size in NUL bytes), or a copy still under way (its end not yet
  written: NUL bytes).
"""

from __future__ import annotations

from pathlib import Path

#: The longest name (255 bytes) and path (4,096 bytes) Linux takes: "File name too long" is said of either, and
#: senrun says which (reading an input, inputs/snapshot.py; writing the outputs, outputs/atomic.py).
NAME_MAX, PATH_MAX = 255, 4096

#: A Windows shortcut's first bytes: its header size (76) and the start of its class id (00021401-…).
LNK_MAGIC = b"L\x00\x00\x00\x01\x14\x02\x00"
#: The first bytes of an OLE file (an old .xls, a password-protected workbook).
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: An Internet shortcut's first line.
URL_MAGIC = b"[internetshortcut]"
#: A file ending in at least this many NUL bytes was not written to its end: no text, workbook or Parquet
#: file ends so (a UTF-16 text ends in one, after its last line break).
UNFILLED_TAIL = 512

#: What to do about a file whose contents have not arrived.
ARRIVE = ("if it is in a OneDrive or SharePoint folder, it may be \"online-only\", not yet downloaded: open it, or "
          "choose \"Always keep on this device\" for its folder; if it is being copied or saved, wait until that "
          "is done; then run again")


def stand_in(path: Path, data: bytes) -> str | None:
    """What the file at `path`, holding `data`, is when it stands in for the input without holding it, in
    words to follow "census file 'x'"; None for any other file."""
    return _lock_file(path) or _shortcut(data) or _not_arrived(data)


def stand_in_at(path: Path) -> str | None:
    """`stand_in` of the file at `path`, reading only its two ends unless it ends in NUL bytes (`senrun init`
    looks at every file of a folder, a census of 700 MB among them)."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = stream.read(UNFILLED_TAIL)
        stream.seek(max(0, size - UNFILLED_TAIL))
        tail = stream.read()
    if tail.strip(b"\x00"):  # its end holds data
        return _lock_file(path) or _shortcut(head)
    return stand_in(path, path.read_bytes())


def lock_file_of(name: str) -> tuple[str, str] | None:
    """For the name of Excel's lock file (`~$census.xlsx`) or LibreOffice's (`.~lock.census.xlsx#`): the program
    and the name of the file it stands for, as the lock file's name gives it; None for any other name."""
    if name.startswith("~$"):
        return "Excel", name[2:]
    if name.startswith(".~lock.") and name.endswith("#"):
        return "LibreOffice", name[len(".~lock."):-1]
    return None


def _lock_file(path: Path) -> str | None:
    """Excel's (or LibreOffice's) lock file, named with the workbook it stands for where that is beside it."""
    if (lock := lock_file_of(path.name)) is None:
        return None
    program, rest = lock
    book = _beside(path, rest, two_replaced=program == "Excel")
    return (f"is the lock file {program} makes beside a file while someone has it open (it holds only their name), "
            f"not the data: give the file itself{', ' + book if book else ''}")


def _beside(path: Path, rest: str, two_replaced: bool) -> str | None:
    """The workbook in the lock file's folder that it stands for: `rest` (Excel puts `~$` before the name), or
    one whose first two characters `~$` replaced (as Word, and some versions of Excel, do for a long name);
    None when neither is there, or more than one might be."""
    try:
        names = sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(("~$", ".~lock.")))
    except OSError:
        return None
    if rest in names:
        return rest
    found = [n for n in names if two_replaced and len(n) == len(rest) + 2 and n[2:] == rest]
    return found[0] if len(found) == 1 else None


def _shortcut(data: bytes) -> str | None:
    head = data[:256]  # (only the start: stripping a 700 MB census would copy it)
    if head.startswith(LNK_MAGIC):
        return ("is a Windows shortcut (.lnk), which points to a file but holds none of it: give the path of the "
                "file itself (in Explorer: the shortcut's Properties › Target)")
    if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:len(URL_MAGIC)].lower() == URL_MAGIC:
        return ("is an Internet shortcut (.url), a link to a web page such as a SharePoint file, which holds none "
                "of it: download the file (or sync its folder with OneDrive) and give the path of the copy on disk")
    return None


def _not_arrived(data: bytes) -> str | None:
    if not data:
        return f"is empty (0 bytes): {ARRIVE}"
    if data[-UNFILLED_TAIL:].strip(b"\x00"):  # its end holds data (looked at alone first: a census is 700 MB)
        return None
    if data.startswith(OLE):  # an old .xls, or a password-protected workbook: padded with NUL bytes
        return None
    tail = len(data) - len(data.rstrip(b"\x00"))
    if tail == len(data):
        return f"holds nothing but NUL bytes ({len(data):,} of them, no data): its contents have not arrived: {ARRIVE}"
    return (f"ends in {tail:,} NUL bytes (of its {len(data):,}) where its data should be: it was not written to its "
            f"end: {ARRIVE}")
