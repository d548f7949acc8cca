"""Read one sheet of an .xlsx workbook as text, with the rows Excel shows and its error cells kept.

fastexcel (calamine) does the reading.  Two things it does not do are done here:

- blank rows above the data are kept (`skip_rows=0`), so a frame row is an Excel row;
- a cell showing an Excel error (`#N/A`, `#DIV/0!`, `#REF!`) would come back blank, and a
  failed VLOOKUP in an SSA column would silently read as £0.  Such cells are found in the
  sheet's XML and given their error text, so they are reported like any other bad value.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = rb"<(?:\w+:)?c\b([^>]*)>"
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
_ERROR_FLAG = b't="e"'
_CHUNK = 1 << 24


class Unreadable(Exception):
    """The file cannot be read as what it claims to be; the message says why, for a person."""


def first_line(exc: Exception) -> str:
    """The first line of an exception's text, short enough for a message."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def read_sheet(path: Path, sheet: str | None) -> tuple[pl.DataFrame, str]:
    """The sheet named (else the first) as an all-text frame whose row i is Excel row i + 1."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise Unreadable(f"could not be opened as an Excel workbook ({first_line(exc)})") from None
    names = reader.sheet_names
    if sheet is not None and sheet not in names:
        close = difflib.get_close_matches(sheet, names, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise Unreadable(f"has no sheet '{sheet}'{hint}; its sheets are: {', '.join(names)}")
    name = sheet if sheet is not None else names[0]
    try:
        frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except Exception as exc:
        raise Unreadable(f"sheet '{name}' could not be read ({first_line(exc)})") from None
    return _with_error_cells(frame, path, names.index(name)), name


def _with_error_cells(frame: pl.DataFrame, path: Path, index: int) -> pl.DataFrame:
    """Put each error cell's text (`#N/A`) where calamine left a blank."""
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, index)
            if part is None or not _mentions_errors(book, part):
                return frame
            xml = book.read(part)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return frame  # calamine read it; leave the values as they are
    errors = _error_cells(xml)
    if not errors:
        return frame
    first_col = min(_col_index(m.group(1)) for m in re.finditer(rb'\br="([A-Z]+)\d+"', xml))
    patched: dict[str, list] = {}
    for (row, col), text in errors.items():
        c = col - first_col
        if 0 <= row < frame.height and 0 <= c < frame.width:
            name = frame.columns[c]
            values = patched.setdefault(name, frame[name].to_list())
            values[row] = text
    return frame.with_columns(pl.Series(name, values, dtype=pl.String) for name, values in patched.items())


def _sheet_part(book: zipfile.ZipFile, index: int) -> str | None:
    """The zip member holding the index-th sheet (workbook order, as fastexcel lists them)."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheets = workbook.findall(f"{_MAIN}sheets/{_MAIN}sheet")
    if index >= len(sheets):
        return None
    rel_id = sheets[index].get(f"{_DOC_RELS}id")
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.findall(f"{_RELS}Relationship") if r.get("Id") == rel_id), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _mentions_errors(book: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet has any error cell, reading it in chunks (a census sheet can be large)."""
    tail = b""
    with book.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            if _ERROR_FLAG in tail + chunk:
                return True
            tail = chunk[-len(_ERROR_FLAG):]
    return False


def _error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """(0-based row, 0-based column) → the error text, for every cell of type `e`."""
    found = {}
    for m in re.finditer(_CELL, xml):
        attrs = m.group(1)
        ref = re.search(rb'\br="([A-Z]+)(\d+)"', attrs)
        if _ERROR_FLAG not in attrs or ref is None or attrs.endswith(b"/"):
            continue
        end = _CELL_END.search(xml, m.end())
        value = _VALUE.search(xml, m.end(), end.start()) if end else None
        text = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
        found[(int(ref.group(2)) - 1, _col_index(ref.group(1)))] = text
    return found


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1
