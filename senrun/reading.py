"""A file's bytes → a frame with the user's headers (SPEC §5): CSV, XLSX or Parquet, by content.

Nothing here knows senrun's columns: `read_raw` returns the file's own headers and a way to
load the columns wanted, so a census with thirty columns costs only the six senrun reads.
Large files are read once: a UTF-8 CSV goes to Polars as the bytes on disk (no decoding to
Python text), a Parquet file is scanned for the columns asked for, and the SHA-256 for the
manifest is taken while reading.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

from .excel import Unreadable, first_line, read_sheet
from .headers import HEADER_SEARCH_ROWS
from .schema import ROW

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 65536  # where the separator and the header row are looked for
_CHUNK = 1 << 22


@dataclass
class Raw:
    """One input file as found: its headers (in file order) and a loader for some of its columns.

    `load(wanted)` returns a DataFrame with `ROW` (the row a person sees in Excel) and the
    columns named (file headers), renamed to their targets: `{header: new_name}`."""

    headers: list[str]
    load: Callable[[dict[str, str]], pl.DataFrame]
    sheet: str | None
    sha256: str


def sniff(head: bytes) -> str:
    """What the file really is, from its first bytes: zip (xlsx), ole, parquet or text."""
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:8] == OLE:
        return "ole"
    if head[:4] == b"PAR1":
        return "parquet"
    return "text"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (a census can be hundreds of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(HEAD_BYTES)
    except FileNotFoundError:
        raise Unreadable("does not exist") from None
    except IsADirectoryError:
        raise Unreadable("is a folder, not a file") from None
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror})") from None


def read_raw(path: Path, sheet: str | None, find_header: Callable[[pl.DataFrame], int]) -> Raw:
    """The file at `path` as headers + loader; `find_header(top_rows)` picks the header row (0-based)."""
    head = _read_head(path)
    kind = sniff(head)
    if kind == "ole":
        raise Unreadable("is a password-protected workbook or an old .xls file: save it as an "
                         "unprotected .xlsx (File › Save As › Excel Workbook)")
    if kind == "parquet":
        return _parquet(path)
    if kind == "zip":
        return _workbook(path, sheet, find_header)
    # A CSV saved under an .xlsx name is common: it is read as what it really is.
    return _csv(path, find_header)


# --- Parquet -------------------------------------------------------------------------------

def _parquet(path: Path) -> Raw:
    try:
        headers = list(pl.read_parquet_schema(path))
    except Exception as exc:  # Polars raises several types for a damaged footer
        raise Unreadable(f"could not be read as Parquet ({first_line(exc)})") from None

    def load(wanted: dict[str, str]) -> pl.DataFrame:
        try:
            return (pl.scan_parquet(path).select([pl.col(h).alias(n) for h, n in wanted.items()])
                    .with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64)).collect())
        except Exception as exc:
            raise Unreadable(f"could not be read as Parquet ({first_line(exc)})") from None

    return Raw(headers, load, None, file_sha256(path))


# --- text frames (CSV and workbooks): the header row is a row of the frame ------------------

def header_names(row: tuple) -> list[str]:
    """The header row's cells as column names: blanks become `(column N)`, repeats get ` (2)`."""
    seen: dict[str, int] = {}
    names = []
    for i, value in enumerate(row):
        h = ("" if value is None else str(value).strip()) or f"(column {i + 1})"
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return names


def _text_raw(frame: pl.DataFrame, header_index: int, first_row: int, sheet: str | None, sha: str) -> Raw:
    """Raw from an all-text frame whose row `header_index` holds the headers; the frame's row 0
    is Excel row `first_row`."""
    if header_index >= frame.height:
        raise Unreadable(f"has no row {first_row + header_index} to take the headers from")
    names = header_names(frame.row(header_index))
    body = frame.slice(header_index + 1).rename(dict(zip(frame.columns, names)))

    def load(wanted: dict[str, str]) -> pl.DataFrame:
        return (body.select([pl.col(h).alias(n) for h, n in wanted.items()])
                .with_row_index(ROW, offset=first_row + header_index + 1).with_columns(pl.col(ROW).cast(pl.Int64)))

    return Raw(names, load, sheet, sha)


def _workbook(path: Path, sheet: str | None, find_header) -> Raw:
    frame, name = read_sheet(path, sheet)
    return _text_raw(frame, find_header(frame), 1, name, file_sha256(path))


# --- CSV -----------------------------------------------------------------------------------

def _utf8(data: bytes) -> bytes:
    """The text as UTF-8 bytes: UTF-8 (with or without BOM) as it is, UTF-16 with a BOM (Excel's
    "Unicode Text") and Windows-1252 (Excel's "CSV") re-encoded.  Binary data is refused."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise Unreadable("is not a text file (it looks like broken UTF-16)") from None
    if b"\x00" in data:
        raise Unreadable("is not a text file (it looks like binary data)")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if data.isascii():
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if text[:4096].count("\ufffd") > 8:
        raise Unreadable("is not a text file (it looks like binary data)")
    return text.encode("utf-8")


def _separator(lines: list[str]) -> str:
    """The delimiter that splits the top lines into the most rows of one width (quotes respected)."""
    def score(sep: str) -> tuple[int, int]:
        widths = [len(r) for r in csv.reader(lines, delimiter=sep) if len(r) > 1]
        if not widths:
            return (0, 0)
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        return (widths.count(common), common)

    return max((",", ";", "\t"), key=score)


def _top_rows(data: bytes) -> tuple[list[list[str]], str]:
    """The first rows (as the csv module splits them) and the separator."""
    text = data[:HEAD_BYTES].decode("utf-8", errors="ignore")
    head = [line.rstrip("\r") for line in text.split("\n")[:HEADER_SEARCH_ROWS]]
    sep = _separator(head)
    try:
        return list(csv.reader(head, delimiter=sep)), sep
    except csv.Error as exc:
        raise Unreadable(f"could not be read as CSV ({exc})") from None


def _csv(path: Path, find_header) -> Raw:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise Unreadable("is empty")
    data = _utf8(data)
    if b"\r" in data and b"\n" not in data:  # "CSV (Macintosh)" ends lines with a bare CR
        data = data.replace(b"\r", b"\n")
    rows, sep = _top_rows(data)
    width = max((len(r) for r in rows), default=0)
    top = pl.DataFrame([r + [None] * (width - len(r)) for r in rows], orient="row",
                       schema=[f"c{i}" for i in range(width)]) if rows else pl.DataFrame()
    header_index = find_header(top) if rows else 0
    if header_index >= len(rows):
        raise Unreadable(f"has no row {header_index + 1} to take the headers from")
    try:  # the lines above the header are skipped as lines (title rows), as a person counts them
        frame = pl.read_csv(data, has_header=False, infer_schema=False, separator=sep, skip_lines=header_index,
                            truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        raise Unreadable(f"could not be read as CSV ({first_line(exc)})") from None
    del data
    if frame.height == 0:
        raise Unreadable("is empty")
    return _text_raw(frame, 0, header_index + 1, None, sha)
