"""Read one sheet of an .xlsx workbook as text, with the rows Excel shows and its failed cells kept.

fastexcel (calamine) does the reading.  What it does not do is done here:

- blank rows above the data are kept (`skip_rows=0`), so a frame row is an Excel row;
- the first *visible worksheet* is "the first sheet": a hidden lookup sheet or a chart sheet in
  front is passed over (calamine would read a chart sheet as empty, and print a line of its own);
- cells merged across rows are found (`merged_cells`), so that an empty cell inside them is said
  to be merged rather than merely empty;
- before calamine sees the file, the zip is checked (`guard`): a workbook that would unpack to
  more than `MAX_XML_BYTES`, or whose sheet spans more than `MAX_CELLS` cells (a "zip bomb",
  or one stray cell in XFD1048576), is refused rather than allowed to exhaust memory;
- rows hidden in Excel (filtered out, hidden by hand, in a collapsed group) are found (`hidden`), and
  the sheet's autofilter when it filters: calamine reads them like any other, and so does senrun, but a
  person looking at the sheet does not see them, so they are warned of (load.py);
- a cell showing an Excel error (`#N/A`, `#DIV/0!`, `#REF!`) would come back blank, and a
  failed VLOOKUP in an SSA column would silently read as £0; a formula saved without its value
  (by a program that does not calculate) would too.  Such cells are found in the sheet's XML
  and given their error text, or `#UNCALCULATED:=formula`, so they are reported like any other
  bad value.
"""

from __future__ import annotations

import difflib
import html
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

from ..errors import HIDDEN, holds_child_data
from .cells import as_shown
from .parse import UNCALCULATED

MAX_XML_BYTES = 500_000_000  # what a workbook's parts may unpack to, in all
MAX_CELLS = 20_000_000  # rows × columns spanned by the sheet read (calamine holds every one)
_CHUNK = 1 << 24
_OVERLAP = 1 << 16  # carried between chunks, so that a cell cut in two is still seen whole once
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
#: Cell references as Excel writes them (` r="B12"`), columns and rows apart: far faster to find.
_REF_COLUMNS, _REF_ROWS = re.compile(rb' r="([A-Z]{1,3})\d'), re.compile(rb' r="[A-Z]{1,3}(\d{1,7})"')
_ANY_REF_COLUMNS, _ANY_REF_ROWS = re.compile(rb'\sr="([A-Z]{1,3})\d'), re.compile(rb'\sr="[A-Z]{1,3}(\d{1,7})"')
_OTHER_SPACE = (b'\tr="', b'\nr="', b'\rr="')
#: What a formula cell with no value can end with, as Excel-like writers write it; in pretty-printed
#: or namespaced XML (a newline or `x:f` in the piece) the full pattern is searched instead.
_NO_VALUE_HINTS = (b"</f></c>", b"/></c>", b"<v/>", b"<v />", b"<v></v>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
_NO_VALUE = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
                       rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>")
_ERROR_FLAG = b't="e"'
#: A formula cell whose result is text, as Excel and LibreOffice mark it once calculated: with an empty
#: value, the formula gave "" (a writer that does not calculate, such as openpyxl, sets no type).
_STRING_RESULT = re.compile(rb"""\st\s*=\s*["']str["']""")
#: A cell calamine keeps (a value, an inline string, an error): the frame starts at the first such column.
_CONTENT = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})\d+"[^>]*?(?<!/)>\s*'
                      rb'(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?<(?:\w+:)?(?:v>\s*[^<\s]|is>)')


#: How calamine gives a number cell as text: to nine decimal places (`{:.9}`), its zeros trimmed.  Digits are lost:
#: a need share 0.000117873981997 reads 0.000117874, 0.0461494499214 reads 0.04614945, 1/3 reads 0.333333333, and
#: 8394227.56 reads 8394227.560000001 (the float's noise, seven digits or more before the point).  A column holding
#: a text of three decimals or more (a need column; not money, not ids, not dates) is read again as numbers.
_PLACES = r"^[-+]?\d*\.\d{3,}$"
#: The shape of calamine's text for a number cell: no leading zero but a lone one, no zeros after the last decimal,
#: nine places at most (a text cell typed otherwise, `8.400` or `0123`, is no number cell's).
_CALAMINE = r"^-?(0|[1-9]\d*)(\.\d{0,8}[1-9])?$"


class Unreadable(Exception):
    """The file cannot be read as what it claims to be; the message says why, for a person, and `row`
    (as Excel numbers it) where, when known."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


def first_line(exc: Exception) -> str:
    """The first line of an exception's text, short enough for a message."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found: the cells it spans and the cells that failed."""

    min_row: int = 1 << 30
    max_row: int = 0
    columns: set = field(default_factory=set)
    failed: dict = field(default_factory=dict)  # (0-based row, 0-based column) → text to show
    loose: int = 0  # cells written without an `r=` reference: calamine puts them from A1 on, one after another
    rows: int = 0  # <row> elements (a row without `r=` follows the one before)
    merged: list = field(default_factory=list)  # (first row, first col, last row, last col), 0-based
    hidden: set = field(default_factory=set)  # 0-based rows marked hidden (rows without `r=` are not found)
    filter_range: str | None = None  # the autofilter's range ("A1:F30"), when one is set on the sheet
    filtering: bool = False  # … and filters a column (not only its buttons shown)

    @property
    def cells(self) -> int:
        """The cells calamine will hold: the rectangle from the first to the last cell it places.  A cell
        without a reference is placed from A1 on, so with any such cell the rectangle starts at A1 and
        reaches at least as many rows as the sheet has and as many columns as there are such cells."""
        cols = [_col_index(c) for c in self.columns]
        if self.loose:
            cols += [0, min(self.loose, 1 << 14) - 1]
            low_row, high_row = 1, max(self.max_row, self.rows, 1)
        else:
            low_row, high_row = self.min_row, self.max_row
        if not cols:
            return 0
        return (high_row - low_row + 1) * (max(cols) - min(cols) + 1)



@dataclass
class SheetRead:
    """One sheet as read: its frame (row i is Excel row i + 1), its name, the workbook's sheets, and
    the cells merged in it as (first row, first column, last row, last column), 0-based in the frame; the
    rows hidden in Excel (0-based, empty ones too), and the range of the autofilter that filters, if any."""

    frame: pl.DataFrame
    name: str
    sheets: dict
    merged: list
    hidden: list = field(default_factory=list)
    filter_range: str | None = None
    #: the workbook counts its dates from 1904 (Excel for Mac's old "1904 date system")
    date1904: bool = False


def read_sheet(path: Path | bytes, sheet: str | None) -> tuple[pl.DataFrame, str]:
    """The sheet named (else the first visible worksheet) as an all-text frame whose row i is Excel row
    i + 1, and its name (`read_sheet_found` says more)."""
    found = read_sheet_found(path, sheet)
    return found.frame, found.name


def read_sheet_found(path: Path | bytes, sheet: str | None) -> SheetRead:
    """The sheet named (else the first visible worksheet) as an all-text frame whose row i is Excel row
    i + 1, with its name and merged cells.  `path` may be the workbook's bytes, already read (what senrun
    does: the guard and calamine then see the same bytes, whatever happens to the file)."""
    import fastexcel

    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    with _open(data) as book:
        sheets, date1904, placeholders = _book(book)
        name = _choose(sheet, sheets)
        part = sheets[name].part
        if part and part.lower() not in {n.lower() for n in book.namelist()}:
            raise Unreadable(DAMAGED.format(part=f"{part}, its sheet '{listed_name(name)}'"))
        scan = _scan(book, part, placeholders) if part else SheetScan()
        first_col = _first_content_col(book, part) if scan.failed or scan.merged else 0
    try:
        reader = fastexcel.read_excel(data)
        frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
        frame = _with_exact_numbers(reader, name, frame)
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise Unreadable(f"could not be opened as an Excel workbook ({first_line(exc)})") from None
    if frame.height == 0:
        raise Unreadable(f"has nothing on its sheet '{name}' (no row 1 to take the headers from): if the data is "
                         f"on another sheet, name it with sheet: in the config; {sheet_list(sheets)}")
    merged = [(r1, c1 - first_col, r2, c2 - first_col) for r1, c1, r2, c2 in scan.merged]
    return SheetRead(_with_failed_cells(frame, scan.failed, first_col), name, sheets, merged, sorted(scan.hidden),
                     scan.filter_range if scan.filtering else None, date1904)


#: The largest sheet (its XML, unpacked) that `sheet_top` looks at: calamine reads a whole sheet to give
#: its first rows, so a sheet of last year's statements is looked at, a census of 100,000 rows is not.
MAX_LOOKED_AT = 4 << 20


def sheet_top(data: bytes, name: str, rows: int = 60) -> pl.DataFrame:
    """The first `rows` rows of sheet `name` as text (for a look at its headers), or an empty frame
    for a sheet too large to look at cheaply, or one that `read_sheet` would refuse (a stray cell far
    out would have calamine hold millions of cells), or one that cannot be read."""
    import fastexcel

    try:
        with _open(data) as book:
            part = _sheets(book)[name].part
            if part is None or book.getinfo(part).file_size > MAX_LOOKED_AT:
                return pl.DataFrame()
            _scan(book, part)  # (raises Unreadable for a sheet spanning more than MAX_CELLS)
        return fastexcel.read_excel(data).load_sheet(name, header_row=None, n_rows=rows,
                                                     dtypes="string").to_polars()
    except Exception:  # (a sheet senrun could not read is no candidate)
        return pl.DataFrame()


def worksheets(data: bytes) -> list[str]:
    """The names of a workbook's worksheets (its tables: not its chart sheets), in workbook order."""
    with _open(data) as book:
        return [name for name, s in _sheets(book).items() if s.table]


def sheet_chosen(data: bytes, sheet: str | None) -> str | None:
    """The name of the sheet that would be read for `sheet` (None: the first visible worksheet); None where
    the workbook or the sheet cannot be read (reading it says why)."""
    try:
        with _open(data) as book:
            return _choose(sheet, _sheets(book))
    except Exception:  # noqa: BLE001 - any problem is reported when the input is read
        return None


def listed_name(name: str) -> str:
    """A sheet's name as a message lists it: `[hidden]` where it holds what looks like a child's data (a
    tab per child, "Ben Carter 04-12-2003"), as a cell's text would be (docs/security.md)."""
    return HIDDEN if holds_child_data(name) else name


def sheet_list(sheets: dict) -> str:
    """`its sheets are: Chart (a chart), Lookup (hidden), Schools`, for a message."""
    def described(name: str, s: SheetEntry) -> str:
        name = listed_name(name)
        return f"{name} (a chart)" if not s.table else f"{name} (hidden)" if not s.visible else name

    return "its sheets are: " + ", ".join(described(n, s) for n, s in sheets.items())


def _open(data: bytes) -> zipfile.ZipFile:
    """The workbook as a zip, refused if damaged or if its parts would unpack to too much."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        infos = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(f"could not be opened as an Excel workbook: it starts like an .xlsx file but is damaged "
                         f"or cut short ({first_line(exc)})") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_XML_BYTES:
        book.close()
        raise Unreadable(f"would unpack to {total / 1e6:,.0f} MB (from {len(data) / 1e6:,.1f} MB): "
                         f"refused, as more than senrun reads from a workbook ({MAX_XML_BYTES / 1e6:,.0f} MB); "
                         "if it is genuine, save the sheet as CSV")
    return book


def check_zip(data: bytes) -> None:
    """Unreadable when the bytes are not a workbook's zip, or would unpack to too much (`senrun init`)."""
    _open(data).close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class SheetEntry:
    """One sheet as the workbook lists it: its zip member, whether it is visible, and whether it is a
    worksheet (a table of cells) rather than a chart sheet."""

    part: str | None
    visible: bool
    table: bool


#: What is said of a workbook missing one of its parts (a copy or a save that did not finish, a broken sync).
DAMAGED = ("is damaged: a part of the workbook is missing ({part}), as when a copy or a save did not finish: open "
           "it in Excel and save it again (Excel may offer to repair it), or copy it again from where it came from")


def _other_zip(book: zipfile.ZipFile) -> str:
    """What a zip file that is no .xlsx workbook is, and what to do with it."""
    names = set(book.namelist())
    save = "save it as an Excel Workbook (.xlsx): File › Save As"
    if "xl/workbook.bin" in names:
        return f"is an Excel Binary Workbook (.xlsb), which senrun does not read: {save}"
    if "mimetype" in names and b"opendocument.spreadsheet" in book.read("mimetype")[:100]:
        return f"is an OpenDocument spreadsheet (.ods), which senrun does not read: {save}"
    return f"is a zip file but not an Excel workbook (it has no xl/workbook.xml): if it is a spreadsheet, {save}"


def _sheets(book: zipfile.ZipFile) -> dict[str, SheetEntry]:
    """Sheet name → its entry, in workbook order (any OOXML namespace)."""
    return _book(book)[0]


def _book(book: zipfile.ZipFile) -> tuple[dict[str, SheetEntry], bool, bool]:
    """The workbook's sheets (`_sheets`), whether its dates count from 1904 (`_date1904`) and whether its
    formulas' values are placeholders (`_not_calculated`), from one reading of its xl/workbook.xml."""
    try:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    except KeyError:
        raise Unreadable(_other_zip(book)) from None
    except ElementTree.ParseError as exc:
        raise Unreadable(f"is damaged: its list of sheets cannot be read ({exc})") from None
    try:
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        raise Unreadable(DAMAGED.format(part="xl/_rels/workbook.xml.rels, which says where each sheet is")) from None
    except ElementTree.ParseError as exc:
        raise Unreadable(f"is damaged: its list of sheets cannot be read ({exc})") from None
    targets = {r.get("Id"): r.get("Target") for r in rels if _local(r.tag) == "Relationship"}
    kinds = {r.get("Id"): (r.get("Type") or "/worksheet").rsplit("/", 1)[-1].lower()
             for r in rels if _local(r.tag) == "Relationship"}
    out = {}
    for el in workbook.iter():
        if _local(el.tag) != "sheet":
            continue
        rel_id = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rel_id)
        part = None
        if target:
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        name = el.get("name", "")
        if name in out:  # Excel never writes this; calamine would read the first, a scan by name the last
            raise Unreadable(f"has two sheets named '{name}': it is damaged or was not saved by Excel; "
                             "rename one in Excel and save it again")
        table = kinds.get(rel_id, "worksheet") == "worksheet" and "chartsheets/" not in (part or "")
        out[name] = SheetEntry(part, el.get("state", "visible") == "visible", table)
    if not out:
        raise Unreadable("is a workbook with no sheets")
    return out, _date1904(workbook), _not_calculated(workbook)


def _not_calculated(workbook: ElementTree.Element) -> bool:
    """Whether the workbook asks to be calculated when opened (`<calcPr fullCalcOnLoad="1"/>`), as a program that
    does not calculate marks what it writes: XlsxWriter then saves each formula with the value 0 unless told
    another.  Excel, saving a workbook, has calculated it and does not write the flag."""
    for el in workbook.iter():
        if _local(el.tag) == "calcPr":
            return el.get("fullCalcOnLoad") in ("1", "true")
    return False


def _date1904(workbook: ElementTree.Element) -> bool:
    """Whether the workbook (its xl/workbook.xml) counts its dates from 1 January 1904 (`<workbookPr
    date1904="1"/>`), not 1900.  Its date cells are read as the dates they show whichever it is; a date typed
    as a plain number is a count of days from the workbook's own start (SERIAL_DATES, parse.py)."""
    for el in workbook.iter():
        if _local(el.tag) == "workbookPr":
            return el.get("date1904") in ("1", "true")  # as the reader of the cells (calamine) takes it
    return False


def _choose(sheet: str | None, sheets: dict[str, SheetEntry]) -> str:
    """The sheet named, else the first visible worksheet (else the first worksheet, hidden or not)."""
    names = list(sheets)
    if sheet is None:
        tables = [n for n, s in sheets.items() if s.table]
        if not tables:
            raise Unreadable(f"has no worksheet to read, only charts; {sheet_list(sheets)}")
        return next((n for n in tables if sheets[n].visible), tables[0])
    if sheet not in sheets:
        close = [n for n in difflib.get_close_matches(sheet, names, n=1) if not holds_child_data(n)]
        hint = f" — did you mean '{close[0]}'?" if close else ""
        from ..suggest import typed_unseen

        hint += typed_unseen(sheet, "sheet's name")
        raise Unreadable(f"has no sheet '{sheet}'{hint}; its sheets are: {', '.join(map(listed_name, names))}")
    if not sheets[sheet].table:
        raise Unreadable(f"has a chart on its sheet '{sheet}', not a table: name the sheet holding the data "
                         f"with sheet: in the config; {sheet_list(sheets)}")
    return sheet


def _scan(book: zipfile.ZipFile, part: str, placeholders: bool = False) -> SheetScan:
    """One streaming pass over the sheet's XML: its extent (refused beyond MAX_CELLS), its error cells
    and its formulas saved without a value (with `placeholders`, in a workbook not calculated since it was
    written, also those saved with the value 0, XlsxWriter's stand-in for a value)."""
    scan, size, tail = SheetScan(), 0, b""
    try:
        stream = book.open(part)
    except KeyError:
        return scan
    with stream:
        while chunk := _read(stream):
            size += len(chunk)
            if size > MAX_XML_BYTES:
                raise Unreadable(f"has a sheet of more than {MAX_XML_BYTES / 1e6:,.0f} MB of XML: refused; "
                                 "if it is genuine, save the sheet as CSV")
            data = tail + chunk
            _extent(scan, data)
            _count_loose(scan, chunk)
            if _ERROR_FLAG in data:
                scan.failed.update(_error_cells(data))
            if _maybe_uncalculated(data):
                scan.failed.update(_uncalculated(data))
            if placeholders and b"<v>0</v>" in data:
                scan.failed.update(_uncalculated(data, _ZERO_VALUE))
            if b"mergeCell " in data or b":mergeCell" in data:
                scan.merged = sorted(set(scan.merged) | set(_merged(data)))  # (pieces overlap: once each)
            _hidden(scan, data)
            tail = data[-_OVERLAP:]
    if scan.cells > MAX_CELLS:
        _placed_extent(book, part, scan)
    if scan.cells > MAX_CELLS:
        used = (f"{len(scan.columns)} columns used out to column {max(scan.columns, key=_col_index).decode()}"
                if scan.columns else f"{scan.loose:,} cells with no reference, each placed in a column of its own")
        raise Unreadable(f"has a sheet spanning {scan.cells:,} cells (rows {scan.min_row:,} to {scan.max_row:,}, {used}):"
                         f" refused, as more than senrun reads from a workbook ({MAX_CELLS:,}); delete the stray "
                         "cells far below or to the right of the data, or save the sheet as CSV")
    return scan


#: A cell with something in it (not `<c r="XFD1" s="3"/>`, a formatted empty cell, which calamine does not place).
_HELD_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})(\d{1,7})"[^>]*?(?<!/)>')


def _placed_extent(book: zipfile.ZipFile, part: str, scan: SheetScan) -> None:
    """Narrow the scan's rows and columns to the cells that hold something, as calamine places them: a border
    or a fill over empty cells out to column XFD or row 1,048,576 (formatting whole rows or columns) spans
    no cell calamine holds.  A second pass, made only for a sheet the first pass found too large."""
    scan.min_row, scan.max_row, scan.columns, tail = 1 << 30, 0, set(), b""
    with book.open(part) as stream:
        while chunk := _read(stream):
            data = tail + chunk
            for column, row in _HELD_REF.findall(data):
                scan.min_row, scan.max_row = min(scan.min_row, int(row)), max(scan.max_row, int(row))
                scan.columns.add(column)
            tail = data[-_OVERLAP:]


def _read(stream) -> bytes:
    """The next piece of a sheet's XML; a member whose data does not match its header is damaged."""
    try:
        return stream.read(_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise Unreadable(f"could not be opened as an Excel workbook: it is damaged ({first_line(exc)})") from None


def _maybe_uncalculated(data: bytes) -> bool:
    if b"<f" not in data and b":f" not in data:
        return False
    pretty = data.find(b"\n<", 200) >= 0  # a newline between elements, past the XML declaration's
    return pretty or b":f>" in data or any(hint in data for hint in _NO_VALUE_HINTS)


def _extent(scan: SheetScan, data: bytes) -> None:
    """Widen the scan's rows and columns to every cell reference in `data`."""
    spaced = not any(s in data for s in _OTHER_SPACE)
    rows = list(map(int, (_REF_ROWS if spaced else _ANY_REF_ROWS).findall(data)))
    if rows:
        scan.min_row, scan.max_row = min(scan.min_row, min(rows)), max(scan.max_row, max(rows))
        scan.columns.update((_REF_COLUMNS if spaced else _ANY_REF_COLUMNS).findall(data))


_CELL_START = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="[A-Z]')
_ROW_START = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _count_loose(scan: SheetScan, chunk: bytes) -> None:
    """Count the cells written without a reference, and the rows (counted on each piece once, not on the
    overlap; a tag cut in two at a piece's edge is missed, which one cell in 16 MB cannot change)."""
    plain = b":c" not in chunk and b":row" not in chunk  # no namespace prefix: counting bytes is enough
    scan.rows += chunk.count(b"<row") if plain else len(_ROW_START.findall(chunk))
    if plain:  # as Excel writes cells (`<c r="B2" …>`): every cell has its reference, found in one count
        starts = chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/>")
        if starts == chunk.count(b'<c r="'):
            return
    starts = len(_CELL_START.findall(chunk))
    if starts:
        scan.loose += max(0, starts - len(_CELL_REF.findall(chunk)))


def _where(attrs: bytes) -> tuple[int, int] | None:
    ref = _REF.search(attrs)
    return (int(ref.group(2)) - 1, _col_index(ref.group(1))) if ref else None


def _error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """(0-based row, 0-based column) → the error text, for every cell of type `e`."""
    found = {}
    for m in _CELL.finditer(xml):
        attrs = m.group(1)
        at = _where(attrs)
        if _ERROR_FLAG not in attrs or at is None or attrs.endswith(b"/"):
            continue
        end = _CELL_END.search(xml, m.end())
        value = _VALUE.search(xml, m.end(), end.start()) if end else None
        found[at] = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
    return found


#: A formula cell saved with the value 0 (with `fullCalcOnLoad`, a placeholder: XlsxWriter's `write_formula`).
_ZERO_VALUE = re.compile(rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
                         rb"<(?:\w+:)?v>0</(?:\w+:)?v>\s*</(?:\w+:)?c>")


def _uncalculated(xml: bytes, pattern: re.Pattern = _NO_VALUE) -> dict[tuple[int, int], str]:
    """(0-based row, 0-based column) → `#UNCALCULATED:=formula`, for formula cells saved without a value (or
    with the placeholder `pattern` finds)."""
    found = {}
    for m in pattern.finditer(xml):
        if _STRING_RESULT.search(m.group(1)):  # calculated: its text is "" (=IF(…, "", …), the usual blank)
            continue
        at = _where(m.group(1))
        if at is not None:
            formula = html.unescape((m.group(2) or b"").decode("utf-8", "replace")).strip()
            found[at] = f"{UNCALCULATED}={formula}" if formula else f"{UNCALCULATED}(a shared formula)"
    return found


#: A row's start tag, up to a hidden flag found in it; the row's number there; a hidden flag's value.
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d{1,7})["']""")
_HIDDEN_VALUE = re.compile(rb"""hidden=["'](?:1|true)["']""")
_AUTOFILTER = re.compile(rb"""<(?:\w+:)?autoFilter\b[^>]*?\sref\s*=\s*["']"""
                         rb"""([A-Z]{1,3}\d{1,7}(?::[A-Z]{1,3}\d{1,7})?)["']""")


def _hidden(scan: SheetScan, data: bytes) -> None:
    """Add the rows of `data` marked hidden (`hidden="1"`, or LibreOffice's `"true"`), and the sheet's
    autofilter once a row is hidden: its range, and whether it filters a column (a `filterColumn` holds the
    criteria; an autofilter without one only shows its buttons).  Found by searching for bytes, not by a
    pattern over every row: a census of 100,000 rows with none hidden costs one search a piece."""
    at = data.find(b"hidden=")
    while at >= 0:
        start = data.rfind(b"<", 0, at)
        tag = data[start:at]
        if _ROW_TAG.match(tag) and b">" not in tag and _HIDDEN_VALUE.match(data, at):
            number = _ROW_NUMBER.search(tag)
            if number:
                scan.hidden.add(int(number.group(1)) - 1)
        at = data.find(b"hidden=", at + 7)
    # the autofilter follows the rows (the sheet's XML puts it after them), and matters only for hidden rows; a
    # protected sheet's `<sheetProtection … autoFilter="0"/>` comes before it, and is passed over
    at = data.find(b"autoFilter") if scan.hidden else -1
    while at >= 0:
        found = _AUTOFILTER.match(data, data.rfind(b"<", 0, at))
        if found:
            scan.filter_range = found.group(1).decode()
            scan.filtering = scan.filtering or data.find(b"filterColumn", found.end()) >= 0
            break
        at = data.find(b"autoFilter", at + 10)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\sref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"')


def _merged(xml: bytes) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column), 0-based, of every range of merged cells."""
    return [(int(r1) - 1, _col_index(c1), int(r2) - 1, _col_index(c2)) for c1, r1, c2, r2 in _MERGE.findall(xml)]


def _first_content_col(book: zipfile.ZipFile, part: str) -> int:
    """The first column holding a value: calamine's frame starts there (rows always start at row 1),
    not at a formatted but empty column to its left.  Read again only when a cell has to be patched."""
    first, tail = None, b""
    with book.open(part) as stream:
        while chunk := _read(stream):
            data = tail + chunk
            columns = {_col_index(c) for c in _CONTENT.findall(data)}
            first = min(columns | ({first} if first is not None else set()), default=None)
            tail = data[-_OVERLAP:]
    return first or 0


def _with_exact_numbers(reader, name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Each number cell calamine gave to nine decimal places at the value Excel shows at full precision, 15
    significant digits (and no more than 15 decimal places, as a need value may have), as a Parquet need column is
    read (cells.as_shown): 0.1 + 0.2 is 0.3, and a need share keeps every digit written (SPEC §1).  Only the columns
    holding a text of three decimals or more (`_PLACES`) are read again, as numbers.  A cell is changed only where
    its text has calamine's shape for a number (`_CALAMINE`: no zeros at the end, nine places at most) and a
    fraction, or is 0, and the number says more; a text cell as typed (`8.400`, `1.5E+3`, `0123`) is not one, but
    for a text in that shape of more than 15 significant digits (`9908.700000000001`), read as its 15 digits."""
    places = pl.col(pl.String).str.contains(_PLACES).any()
    columns = [c for c, found in frame.select(places).row(0, named=True).items() if found] if frame.height else []
    if not columns:
        return frame
    numbers = reader.load_sheet(name, header_row=None, skip_rows=0, use_columns=columns,
                                dtypes=dict.fromkeys(columns, "float")).to_polars()
    if numbers.height != frame.height:
        return frame
    changed = []
    for c in columns:
        exact = as_shown(numbers[c]).str.replace(r"\.0$", "")  # (Polars writes 3.0 where calamine writes 3)
        text = frame[c]
        number_text = text.str.contains(_CALAMINE) & (text.str.contains(".", literal=True) | (text == "0"))
        changed.append(pl.select(pl.when(number_text.fill_null(False) & exact.is_not_null() & (exact != text))
                                 .then(exact).otherwise(text).alias(c)).to_series())
    return frame.with_columns(changed)


def _with_failed_cells(frame: pl.DataFrame, failed: dict, first_col: int) -> pl.DataFrame:
    """Put each failed cell's text where calamine left a blank (or no cell at all: the frame is widened
    or lengthened to reach it)."""
    if not failed:
        return frame
    at = {(row, col - first_col): text for (row, col), text in failed.items()}
    left = -min(0, min(c for _, c in at))
    width = max(frame.width + left, max(c for _, c in at) + left + 1)
    height = max(frame.height, max(r for r, _ in at) + 1)
    columns = [[None] * height for _ in range(left)] + [frame[n].to_list() + [None] * (height - frame.height)
                                                        for n in frame.columns]
    columns += [[None] * height for _ in range(width - len(columns))]
    for (row, c), text in at.items():
        if row >= 0:
            columns[c + left][row] = text
    return pl.DataFrame({f"__col{i}": pl.Series(values, dtype=pl.String) for i, values in enumerate(columns)})


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1
