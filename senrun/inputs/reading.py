"""A file's bytes → a frame with the user's headers (SPEC §5): CSV, XLSX or Parquet, by content.

Nothing here knows senrun's columns: `read_raw` returns the file's own headers and a way to
load the columns wanted, so a census with thirty columns costs only the six senrun reads.
Every file is read once (snapshot.py), and everything after works on those bytes: a UTF-8 CSV goes
to Polars as they are (no decoding to Python text), a Parquet file is scanned from them for the
columns asked for, a workbook is guarded and read from them, and the SHA-256 for the manifest is of
exactly them.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ..engine import collect
from .excel import Unreadable, first_line, read_sheet_found
from .headers import HEADER_SEARCH_ROWS
from .schema import CLUSTER_NAME, ROW, SCHOOL_NAME, TOTAL_LABEL
from .snapshot import DEFAULT_MAX_INPUT_MB, Snapshot, read_snapshot
from .standins import OLE, stand_in

HEAD_BYTES = 65536  # where the separator and the header row are looked for
MAX_HEAD_BYTES = 16 << 20  # … or further, when the first rows are longer (a title line of 100 KB)
_CHUNK = 1 << 22


class Raw:
    """One input file as found: its headers (file order), and its columns loaded one at a time, so that
    only the columns senrun uses are ever in memory, and each is parsed before the next is read.

    Call `select(headers)` once with the headers wanted, then `column(header)` for each and `rows()`."""

    def __init__(self, headers: list[str], sheet: str | None, sha256: str):
        self.headers, self.sheet, self.sha256 = headers, sheet, sha256
        self.dtypes: dict[str, pl.DataType] = {}  # a typed file's column types (Parquet); text files: none
        #: header → {row of a cell inside merged cells: the row the merged cells start on} (Excel rows), for
        #: the cells below the first row of a range merged across rows (a workbook's only)
        self.merged: dict[str, dict[int, int]] = {}
        #: a workbook read without `sheet:`: its other visible worksheets, and its bytes to look at them
        self.other_sheets: list[str] = []
        self.book_bytes: bytes | None = None
        #: the rows (as a person counts them) with a cell past the last header: a CSV's only (`_CsvRaw`)
        self.ragged: list[int] = []
        #: the cells of a CSV's last row when the file ends inside it, with no line break (`last_line_cells`)
        self.last_cells: int | None = None
        #: a workbook's rows below the header that are hidden in Excel and hold a value (as Excel numbers
        #: them), and the range of the sheet's autofilter when it filters: read like any other row
        self.hidden_rows: list[int] = []
        self.filter_range: str | None = None
        #: a workbook whose dates count from 1904: a date typed as a plain number is days from then
        self.date1904 = False

    def select(self, wanted: list[str]) -> None:
        """Load what is needed for these columns (a CSV reads only them)."""

    def column(self, header: str) -> pl.Series:
        """One column, every row below the header."""
        raise NotImplementedError

    def scan(self, header: str, plan: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.DataFrame | None:
        """`plan` run over one column (a frame of that column alone, named as the header) a batch of rows
        at a time, the column never held whole; None where the file is not read that way (text files,
        held whole anyway: use `column`)."""
        return None

    def rows(self, dtype: pl.DataType = pl.Int64) -> pl.Series:
        """The row a person sees in Excel, for each row below the header."""
        raise NotImplementedError

    @property
    def height(self) -> int:
        return len(self.rows())


class _ParquetRaw(Raw):
    """A Parquet file: each column scanned on its own when asked for, by the streaming engine (every core
    decodes its share of the row groups).  One column at a time keeps the peak low: only one raw column is
    in memory beside the parsed ones (all six of a census at once added ≈100 MB)."""

    def __init__(self, data: bytes, headers: list[str], sha256: str):
        super().__init__(headers, None, sha256)
        self.data = data  # every column comes from these bytes, never from the file again
        self._height: int | None = None

    def _scan(self, expr: pl.Expr, plan: Callable[[pl.LazyFrame], pl.LazyFrame] = lambda lf: lf) -> pl.DataFrame:
        try:
            return collect(plan(pl.scan_parquet(self.data).select(expr)), streaming=True)
        except Exception as exc:  # a damaged page surfaces only when read
            raise Unreadable(f"could not be read as Parquet ({first_line(exc)})") from None

    def scan(self, header: str, plan: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.DataFrame | None:
        return self._scan(pl.col(header), plan)

    def column(self, header: str) -> pl.Series:
        series = self._scan(pl.col(header)).to_series()
        self._height = len(series)
        return series

    def rows(self, dtype: pl.DataType = pl.Int64) -> pl.Series:
        if self._height is None:
            self._height = self._scan(pl.len()).item()
        return pl.int_range(2, self._height + 2, dtype=dtype, eager=True).alias(ROW)


class _FrameRaw(Raw):
    """A CSV or a sheet read as text; row `header_index` of `frame` holds the headers and the frame's
    row 0 is Excel row `first_row`."""

    def __init__(self, frame: pl.DataFrame, header_index: int, first_row: int, sheet: str | None, sha256: str):
        if header_index >= frame.height:
            on = f" on its sheet '{sheet}'" if sheet else ""
            raise Unreadable(f"has no row {first_row + header_index} to take the headers from{on}")
        super().__init__(header_names(frame.row(header_index)), sheet, sha256)
        self.body = frame.slice(header_index + 1).rename(dict(zip(frame.columns, self.headers)))
        self.first = first_row + header_index + 1
        self._height = self.body.height

    def column(self, header: str) -> pl.Series:
        series = self.body[header]
        self.body = self.body.drop(header)  # each raw column is freed once it is parsed
        return series

    def rows(self, dtype: pl.DataType = pl.Int64) -> pl.Series:
        return pl.int_range(self.first, self.first + self._height, dtype=dtype, eager=True).alias(ROW)


#: What is said of an OLE file (a password-protected workbook, or an .xls).
OLE_WORDS = ("is a password-protected workbook or an old .xls file: save it as an unprotected .xlsx "
             "(File › Save As › Excel Workbook)")


def sniff(head: bytes) -> str:
    """What the file really is, from its first bytes: zip (xlsx), ole, parquet or text."""
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:8] == OLE:
        return "ole"
    if head[:4] == b"PAR1":
        return "parquet"
    return "text"


def read_raw(path: Path, sheet: str | None, find_header: Callable[[pl.DataFrame], int],
             max_bytes: int = DEFAULT_MAX_INPUT_MB << 20, encoding: str | None = None,
             snap: Snapshot | None = None) -> Raw:
    """The file at `path` as headers + loader; `find_header(top_rows)` picks the header row (0-based).
    The file is read once (snapshot.py), unless its `snap` is given: everything after works on those bytes
    and their hash."""
    snap = snap or read_snapshot(path, max_bytes)
    kind = sniff(snap.data[:HEAD_BYTES])
    if kind == "ole":
        raise Unreadable(OLE_WORDS)
    if (standing := stand_in(path, snap.data)) is not None:  # a lock file, a shortcut, a file not downloaded
        raise Unreadable(standing)
    if kind == "parquet":
        return _parquet(snap)
    if kind == "zip":
        return _workbook(snap, sheet, find_header)
    # A CSV saved under an .xlsx name is common: it is read as what it really is.
    return _csv(snap, find_header, encoding)


# --- Parquet and workbooks --------------------------------------------------------------

#: A Parquet date-time column labelled with a zone Polars does not know ("BST", as some exporters write it) made
#: Polars panic while reading the schema, past every error senrun handles.  Parquet stores such a column's values
#: as instants in UTC whatever the label, so the label is let through and the dates are taken in England, as for
#: any zone (cells.as_text).
os.environ.setdefault("POLARS_IGNORE_TIMEZONE_PARSE_ERROR", "1")


def _parquet(snap: Snapshot) -> Raw:
    try:
        schema = pl.read_parquet_schema(io.BytesIO(snap.data))
    except Exception as exc:  # Polars raises several types for a damaged footer
        raise Unreadable(f"could not be read as Parquet ({first_line(exc)})") from None
    raw = _ParquetRaw(snap.data, list(schema), snap.sha256)
    raw.dtypes = dict(schema)
    return raw


def header_names(row: tuple) -> list[str]:
    """The header row's cells as column names: blanks become `(column N)`, repeats get ` (2)`."""
    seen: dict[str, int] = {}
    names = []
    for i, value in enumerate(row):
        h = ("" if value is None else str(value).strip()) or f"(column {i + 1})"
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return names


def _workbook(snap: Snapshot, sheet: str | None, find_header) -> Raw:
    found = read_sheet_found(snap.data, sheet)
    header_index = find_header(found.frame)
    raw = _FrameRaw(found.frame, header_index, 1, found.name, snap.sha256)
    if sheet is None:  # the first sheet was taken: the others that could have been meant (load.other_sheets)
        raw.other_sheets = [n for n, s in found.sheets.items() if s.table and s.visible and n != found.name]
        raw.book_bytes = snap.data
    raw.hidden_rows = hidden_with_data(found.frame, found.hidden, header_index)
    raw.filter_range = found.filter_range
    raw.date1904 = found.date1904
    for r1, c1, r2, c2 in found.merged:
        for c in range(max(c1, 0), min(c2 + 1, len(raw.headers))):
            rows = range(max(r1 + (c == c1), header_index + 1), r2 + 1)  # (the first row's first cell holds the value)
            raw.merged.setdefault(raw.headers[c], {}).update((r + 1, r1 + 1) for r in rows)
    return raw


def hidden_with_data(frame: pl.DataFrame, hidden: list[int], header_index: int) -> list[int]:
    """The rows of `hidden` (0-based, as `frame`'s) below the header row that hold a value, as Excel numbers
    them: a hidden title row above the header, or a hidden empty row, is nothing to warn of."""
    below = [r for r in hidden if header_index < r < frame.height]
    if not below:
        return []
    held = frame.select(pl.all().gather(below)).select(
        pl.any_horizontal(pl.all().cast(pl.String).str.strip_chars().str.len_bytes() > 0).fill_null(False)).to_series()
    return [r + 1 for r, value in zip(below, held.to_list()) if value]


#: At most this many cells inside merged cells are each reported (a formatted report can merge thousands).
MAX_MERGED_NOTES = 200


def empty_message(merged: dict[str, dict[int, int]], header: str | None, row: int) -> str:
    """What to say of an empty required cell: that it is empty, or, inside cells merged across rows, that
    the value Excel shows there is held only in the merged cells' first row (`merged`: `Raw.merged`)."""
    from .cells import EMPTY

    first = merged.get(header or "", {}).get(row)
    return EMPTY if first is None else _merged_words(row, first)


def note_merged(raw: Raw, frame: pl.DataFrame, columns: dict[str, str], required: set[str],
                where: Callable[..., dict], issues, defaults: dict[str, str] | None = None) -> None:
    """An empty cell inside cells merged across rows says so: Excel shows the merged value there, but the
    file holds it only in the first row.  An 'is empty' error on such a cell is told what happened; a blank
    read from one in an optional column where Excel shows a value is an error (`merged_value`: a ceased date or
    a stream shown on the row but read as blank moves money), but in a name column, which moves none, a warning
    (`merged_cells`), as is a blank read where Excel shows a blank too.
    `frame` is the input as parsed (internal names and ROW), `columns` the user's header → internal name;
    a `required` column's blanks are errors of the checks (worded by `empty_message`), not warned of here; a
    column of `defaults` (internal name → the value of a blank, such as a stream's PSF) has its blanks so filled."""
    from ..errors import Issue
    from .cells import EMPTY

    if not raw.merged or frame is None or ROW not in frame.columns:
        return
    noted = 0
    for header, inside in raw.merged.items():
        name = columns.get(header)
        if name is None or name not in frame.columns:
            continue
        for i, issue in enumerate(issues.items):
            if issue.code == "empty_value" and issue.column == header and issue.row in inside \
                    and issue.sheet == raw.sheet and issue.message.startswith(EMPTY):
                issues.items[i] = Issue(issue.code, issue.severity, _merged_words(issue.row, inside[issue.row]),
                                        issue.file, issue.sheet, issue.row, issue.column, issue.field, issue.value,
                                        issue.expected)
        if name in required:
            continue
        reported = {i.row for i in issues.items if i.column == header and i.sheet == raw.sheet}
        rows = pl.Series(sorted(r for r in inside if r not in reported), dtype=frame.schema[ROW])
        default = (defaults or {}).get(name)
        blank = _read_blank(frame, name, rows, inside, default)
        shown = set() if name in (SCHOOL_NAME, CLUSTER_NAME) else _shown_there(frame, name, blank, inside, default)
        for row in blank[:max(0, MAX_MERGED_NOTES - noted)]:
            if row in shown:  # Excel shows a value the file does not hold: read as blank, it would be paid otherwise
                issues.error("merged_value", _merged_words(row, inside[row], read_blank=True, default=default,
                                                           would=True), **where(name, row),
                             expected="a value in each row's own cell (cells not merged)")
            else:
                issues.warn("merged_cells", _merged_words(row, inside[row], read_blank=True, default=default),
                            **where(name, row))
        noted += len(blank)


def _read_blank(frame: pl.DataFrame, name: str, rows: pl.Series, inside: dict[int, int],
                default: str | None) -> list[int]:
    """The rows of `rows` (inside cells merged across rows, below the first) read as blank: empty, or, in a column
    whose blank has a value (`default`: a blank stream is PSF), holding it where the merged cells' first row holds
    another value (Excel shows SSMN all down the merged cells; the rows below the first would be paid as PSF)."""
    at = frame.filter(pl.col(ROW).is_in(rows.implode()))
    if default is None:
        return at.filter(pl.col(name).is_null())[ROW].to_list()
    at = at.filter(pl.col(name).cast(pl.String) == default)[ROW].to_list()
    firsts = pl.Series(sorted({inside[r] for r in at}), dtype=frame.schema[ROW])
    shown = frame.filter(pl.col(ROW).is_in(firsts.implode())).select(ROW, pl.col(name).cast(pl.String))
    shown = dict(zip(shown[ROW].to_list(), shown[name].to_list()))
    return [r for r in at if shown.get(inside[r], default) != default]


def _shown_there(frame: pl.DataFrame, name: str, blank: list[int], inside: dict[int, int], default: str | None
                 ) -> set[int]:
    """The rows of `blank` where Excel shows a value: their merged cells' first row holds one (other than the
    blank's own value, `default`, which `_read_blank` has already kept to)."""
    if default is not None:
        return set(blank)
    firsts = pl.Series(sorted({inside[r] for r in blank}), dtype=frame.schema[ROW])
    held = set(frame.filter(pl.col(ROW).is_in(firsts.implode()) & pl.col(name).is_not_null())[ROW].to_list())
    return {r for r in blank if inside[r] in held}


def _merged_words(row: int, first: int, read_blank: bool = False, default: str | None = None,
                  would: bool = False) -> str:
    read_as = f"blank (so {default})" if default else "blank"
    blank = f"it {'would be' if would else 'is'} read as {read_as}, not as the value Excel shows there: " \
        if read_blank else ""
    return f"row {row} is part of cells merged from row {first}, so the file holds no value here; {blank}" \
           "unmerge the cells and fill in each row"


# --- CSV -----------------------------------------------------------------------------------

#: A byte that may begin a UTF-8 character of two, three or four bytes, and the one after it: found by one character
#: class, each then looked at whole (`_utf8_written`), which at a census's size is many times quicker than one
#: pattern for every length.
_UTF8_LEAD = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
#: Bytes that Windows-1252 leaves undefined (U+FFFD if read so), and signs of Excel's "CSV (MS-DOS)", which is code
#: page 850 on a UK PC: its £ (0x9C, Windows-1252's œ) before a figure, and its accented letters (é 0x82, â 0x83,
#: ä 0x84, ç 0x87, ê 0x88, ë 0x89, ï 0x8B: Windows-1252's ‚ ƒ „ ‡ ˆ ‰ ‹) after a letter.  Found by one character
#: class, each then looked at in its place (`_not_cp1252`).
_UNDEFINED_CP1252 = b"\x81\x8d\x8f\x90\x9d"
_CP850_LETTERS = b"\x82\x83\x84\x87\x88\x89\x8b"
_NOT_CP1252_BYTES = re.compile(rb"[\x81-\x84\x87-\x89\x8b\x8d\x8f\x90\x9c\x9d]")
_FIGURE = re.compile(rb"-?[0-9]")


def _row_of(data: bytes, at: int) -> int:
    """The line (1-based) holding byte `at`."""
    return data.count(b"\n", 0, at) + 1


def _no_nul(text: str) -> None:
    """A NUL character in decoded text (UTF-16 can carry one past a byte check) is refused with its row."""
    at = text.find("\x00")
    if at >= 0:
        row = text.count("\n", 0, at) + 1
        raise Unreadable(f"has a NUL character (U+0000) on row {row}: it is not a plain text file", row=row)


def _decoded(data: bytes, encoding: str) -> bytes:
    """The text in the encoding the config names, as UTF-8; a byte not valid in it is an error with its row."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = _row_of(data, exc.start)
        raise Unreadable(f"is not valid {encoding} text: byte 0x{data[exc.start]:02X} on row {row} cannot be "
                         f"read in that encoding (the config's `encoding:` names it)", row=row) from None
    _no_nul(text)
    return text.removeprefix("\ufeff").encode("utf-8")


def text_utf8(data: bytes) -> bytes:
    """A text file's bytes as UTF-8, read as the inputs are (`_utf8`); Unreadable says in words why not."""
    return _utf8(data)


def _utf8(data: bytes, encoding: str | None = None) -> bytes:
    """The text as UTF-8 bytes: the encoding the config names, else UTF-8 (with or without BOM) as it is,
    UTF-16 with a BOM (Excel's "Unicode Text") and Windows-1252 (Excel's "CSV") re-encoded.  A file in no
    one encoding (UTF-8 with one Windows-1252 `£`) is an error naming the row of the first bad byte, never
    guessed: decoding all of it as Windows-1252 would turn every `É` into `Ã‰`.  Binary data is refused."""
    if encoding:
        return _decoded(data, encoding)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable("is not a text file (it looks like broken UTF-16)") from None
        _no_nul(text)
        return text.removeprefix("\ufeff").encode("utf-8")
    if b"\x00" in data:
        order = _utf16_order(data)
        if order:
            raise Unreadable(f"looks like UTF-16 text without the mark at its start that says so (a byte-order mark): "
                             f"save it as \"CSV UTF-8\", or name its encoding with `encoding: {order}` in the config")
        raise Unreadable("is not a text file (it looks like binary data)")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if data.isascii() or _is_utf8(data):
        return data
    written = _utf8_written(data)
    if written is not None:  # UTF-8 characters beside bytes that are not UTF-8: two encodings
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            row, seen = _row_of(data, exc.start), _row_of(data, written)
            raise Unreadable(f"is not in one text encoding: it is UTF-8 (row {seen} holds a character written in "
                             f"UTF-8) but byte 0x{data[exc.start]:02X} on row {row} is not (a character typed in "
                             "another program?): correct it and save the file as \"CSV UTF-8\". If the file is "
                             f"Excel's \"CSV\" (Windows-1252), what looks like UTF-8 on row {seen} is two of its "
                             "characters side by side (an accented capital and a quote or a dash): name its encoding "
                             "with `encoding: cp1252` in the config", row=row) from None
    text = data.decode("cp1252", errors="replace")
    if text[:4096].count("\ufffd") > 8:
        raise Unreadable("is not a text file (it looks like binary data)")
    _not_cp1252(data)
    return text.encode("utf-8")


def _not_cp1252(data: bytes) -> None:
    """A file read as Windows-1252 that holds a byte it leaves undefined, or a sign of code page 850 (Excel's "CSV
    (MS-DOS)": its £ before a figure, an accented letter within a word) is refused with the row of the first: read
    as Windows-1252, `£10.00` would be `œ10.00` and `Siân` `Siƒn`, in every output."""
    for found in _NOT_CP1252_BYTES.finditer(data):
        at, byte = found.start(), data[found.start()]
        if (byte in _UNDEFINED_CP1252 or (byte == 0x9C and _FIGURE.match(data, at + 1))
                or (byte in _CP850_LETTERS and at and chr(data[at - 1]).isascii() and chr(data[at - 1]).isalpha())):
            break
    else:
        return
    row = _row_of(data, at)
    as_1252 = "no character" if byte in _UNDEFINED_CP1252 else f"'{bytes([byte]).decode('cp1252')}'"
    raise Unreadable(f"looks like Excel's \"CSV (MS-DOS)\" (code page 850), not its \"CSV\" (Windows-1252): byte "
                     f"0x{byte:02X} on row {row} is {as_1252} in Windows-1252 but '{bytes([byte]).decode('cp850')}' "
                     "in code page 850. Save the file as \"CSV UTF-8\", or name its encoding with `encoding: cp850` in "
                     "the config", row=row)


def _utf16_order(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the top of the file is text in that encoding (a NUL beside nearly
    every character, all on one side: the Latin letters, digits and punctuation of a council's file), else
    None."""
    head = data[:HEAD_BYTES]
    head = head[:len(head) - len(head) % 2]
    for name, nuls, chars in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if nuls and nuls.count(0) >= 0.9 * len(nuls) and not chars.count(0) and any(c in chars for c in b"\n\r,;\t"):
            return name
    return None


def _utf8_written(data: bytes) -> int | None:
    """Where a file that is not all UTF-8 holds its first whole character written in UTF-8 (its lead byte and every
    byte after it that it needs), or None: then a byte that is not UTF-8 is a slip, not the file's encoding.  An
    accented small letter of Windows-1252 before a curly quote (`Renée’s`, 0xE9 0x92 then a letter) is no whole
    character, and the file reads as Windows-1252.  An accented capital before one (`É’`, 0xC9 0x92) is one, ɒ, and the file is
    refused, naming the row: of the two, the one that can be wrong is a refusal, never UTF-8 names read as
    Windows-1252 in every output (`Trương` as `TrÆ°Æ¡ng`)."""
    for found in _UTF8_LEAD.finditer(data):
        at, lead = found.start(), data[found.start()]
        size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        try:
            data[at:at + size].decode("utf-8")
        except UnicodeDecodeError:  # (cut short, a surrogate, or a character written in more bytes than it needs)
            continue
        return at
    return None


def _is_utf8(data: bytes) -> bool:
    """Whether the bytes are UTF-8, checked a piece at a time (no copy of a large file as Python text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start:start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _is_blank(data: bytes) -> bool:
    """Nothing but whitespace (without copying a large file to find out)."""
    return not data[:HEAD_BYTES].strip() and not data.strip()


def header_separator(data: bytes) -> str:
    """The separator of a CSV that senrun wrote and a spreadsheet may have saved again (UTF-8 bytes): a comma, or the
    tab of Excel's "Unicode Text" (or a semicolon), whichever splits its header row into the most cells."""
    end = data.find(b"\n")
    line = data[:end if end >= 0 else len(data)].decode("utf-8", "replace")  # (the header alone: no copy of the file)
    return max((",", "\t", ";"), key=lambda sep: len(line.split(sep)))


def _separator(lines: list[str]) -> str:
    """The delimiter that splits the top lines into the most rows of one width (quotes respected): a comma, a
    semicolon, a tab, or a pipe (as many data warehouses export, with or without Excel's `sep=|` line)."""
    def score(sep: str) -> tuple[int, int]:
        widths = [len(r) for r in _split(lines, sep) if len(r) > 1]
        if not widths:
            return (0, 0)
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        return (widths.count(common), common)

    return max((",", ";", "\t", "|"), key=score)


def _head(data: bytes) -> bytes:
    """The top of the file where the header is looked for: 64 KB, or as far as the first rows reach when a
    title line is longer (up to MAX_HEAD_BYTES), so that a long title does not hide the header below it."""
    head = data[:HEAD_BYTES]
    if head.count(b"\n") < HEADER_SEARCH_ROWS and len(data) > HEAD_BYTES:
        end = 0
        for _ in range(HEADER_SEARCH_ROWS):
            found = data.find(b"\n", end, MAX_HEAD_BYTES)
            if found < 0:
                return data[:MAX_HEAD_BYTES]
            end = found + 1
        head = data[:end]
    return head


def _top_rows(data: bytes) -> tuple[list[list[str]], str, list[int]]:
    """The first rows (as the csv module splits them), the separator, and for each row the number of lines
    above it (a title cell with a quoted line break is one row but two lines)."""
    text = _head(data).decode("utf-8", errors="ignore")
    head = [line.rstrip("\r") for line in text.split("\n")[:HEADER_SEARCH_ROWS]]
    sep = _separator(head)
    rows, lines_above = [], []
    reader = csv.reader(head, delimiter=sep)
    try:
        consumed = 0
        for row in reader:
            rows.append(row)
            lines_above.append(consumed)
            consumed = reader.line_num
    except csv.Error:
        rows, lines_above = [line.split(sep) for line in head], list(range(len(head)))
    return rows, sep, lines_above


def _split(lines: list[str], sep: str) -> list[list[str]]:
    """Lines split into fields, quotes respected; a stray carriage return inside a field is kept."""
    try:
        return list(csv.reader(lines, delimiter=sep))
    except csv.Error:
        return [line.split(sep) for line in lines]


#: The names given to the fields added at the end of a CSV's header line: a row's first cells past the
#: last header are read into them, so that a row with more cells than the header is found
#: (`_CsvRaw.ragged`); three, since a split cell's row may end in blank optional cells.
_PAST_HEADER = ("senrun: past the last header", "senrun: past the last header 2", "senrun: past the last header 3")


def last_line_cells(data: bytes, sep: str) -> int | None:
    """The cells of a CSV's last row when the file does not end with a line break (None when it does, is a
    single line, or ends in a blank or a totals line): a file still being written or copied when it was read
    ends inside a row.  The last row may span lines: a quoted cell (a note) can hold line breaks."""
    if not data or data.endswith((b"\n", b"\r")):
        return None
    start = _last_row_start(data)
    line = data[start:].decode("utf-8", "replace")
    if start == 0 or not line.strip():
        return None
    try:
        cells = next(csv.reader(io.StringIO(line, newline=""), delimiter=sep))
    except (csv.Error, StopIteration):
        return None
    return None if re.search(TOTAL_LABEL, cells[0].strip()) else len(cells)


#: How far back a last row's quoted line breaks are followed (a long note); past it, its last line is read alone.
_LAST_ROW_BYTES = 1 << 16


def _last_row_start(data: bytes) -> int:
    """Where a CSV's last row begins: after the last line break outside quotes.  A line break inside a quoted
    cell has an odd number of quote characters after it to the end of the row (an escaped quote is two);
    one with an even number ends a row.  Falls back to the last line break (a row cut inside its quotes)."""
    last = start = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    quotes, floor = data.count(b'"', start), max(0, len(data) - _LAST_ROW_BYTES)
    while start > 0 and quotes % 2:
        before = max(data.rfind(b"\n", floor, start - 1), data.rfind(b"\r", floor, start - 1)) + 1
        if before == 0 and floor > 0:
            return last
        quotes += data.count(b'"', before, start)
        start = before
    return last if quotes % 2 else start


class _CsvRaw(_FrameRaw):
    """A CSV: its header line is read first, then only the columns wanted (a census export has dozens).

    `ragged`: the rows with a cell past the last header (not blank), each as a person counts rows.  Such
    a cell is not read, and is most often half of one split by a comma outside quotes (`£1,200.00`
    read as £1 and `200.00`): the row's cells after it have moved, so it is an error (load.py)."""

    def __init__(self, data: bytes, sep: str, skip: int, sha256: str, header_row: int | None = None,
                 header_end: int | None = None):
        last_cells = last_line_cells(data, sep)
        if header_end is not None:  # more fields on the header line: the first cells past it, on any row
            data = data[:header_end] + "".join(sep + name for name in _PAST_HEADER).encode() + data[header_end:]
        self.data, self.options = data, dict(has_header=False, infer_schema=False, separator=sep, skip_lines=skip,
                                             truncate_ragged_lines=True, raise_if_empty=False)
        self.sep, self.skip = sep, skip
        super().__init__(self._read(n_rows=1), 0, header_row or skip + 1, None, sha256)
        self.last_cells = last_cells
        self.past = len(self.headers) - len(_PAST_HEADER) if header_end is not None else None
        if self.past is not None:
            self.headers = self.headers[:self.past]

    def _read(self, **more) -> pl.DataFrame:
        try:
            frame = pl.read_csv(self.data, **self.options, **more)
        except pl.exceptions.PolarsError as exc:
            line = unclosed_quote(self.data)
            if line is not None:
                raise Unreadable(f"could not be read as CSV: a quote (\") opened on row {line} is never closed",
                                 row=line) from None
            raise Unreadable(f"could not be read as CSV ({first_line(exc)})") from None
        if frame.height == 0:
            raise Unreadable("is empty")
        return frame

    def select(self, wanted: list[str]) -> None:
        indices = sorted(self.headers.index(h) for h in wanted)
        past = [] if self.past is None else [self.past + i for i in range(len(_PAST_HEADER))]
        frame = self._read(columns=(indices or [0]) + past)
        if past:
            extra = frame.columns[-len(past):]
            found = frame.slice(1).select(pl.any_horizontal(pl.col(c).str.strip_chars().ne("") for c in extra)
                                          .fill_null(False)).to_series()
            found = found | self._blank_past_header(frame.height, found)
            self.ragged = [self.first + i for i in found.arg_true().to_list()]
            frame = frame.drop(extra)
        self.data = b""
        names = [self.headers[i] for i in indices] if indices else [self.headers[0]]
        self.body = frame.slice(1).rename(dict(zip(frame.columns, names)))
        self._height = self.body.height

    def _blank_past_header(self, rows: int, found: pl.Series) -> pl.Series:
        """The rows with more cells than the header whose extra cells are blank (`18,370.04,` read as £18 with
        the last column's blank moved past it), which Polars reads as it reads a row with no extra cell.  A row
        is counted against the header and against the usual row of the file, whichever has more cells (an
        export may end every row in a separator); a row of one value or none (a blank or a totals line) is
        no split row.  Only looked at where a line ends in a separator, as such a row's does."""
        none = pl.repeat(False, rows - 1, eager=True)
        sep = self.sep.encode()
        if rows < 2 or not (_holds_any(self.data, [sep + end for end in (b"\n", b"\r", b" ")])
                            or _ends_with(self.data, sep)):
            return none
        shapes = self._row_shapes(rows)
        if shapes is None:
            return none
        cells, filled, first = shapes
        usual = cells.filter(filled >= 2).mode().max()
        total = first.str.strip_chars().str.contains(TOTAL_LABEL).fill_null(False)
        return (cells > max(self.past, usual or 0)) & (filled >= 2) & ~total & ~found

    def _row_shapes(self, rows: int) -> tuple[pl.Series, pl.Series, pl.Series] | None:
        """For each row below the header: its cells, how many are not blank, and its first cell, quotes
        respected.  Lines are split by Polars, a line with a quote by the csv module; where a quoted line
        break makes rows and lines differ, the csv module reads the rows.  None if they cannot be matched."""
        lines = pl.read_csv(self.data, has_header=False, infer_schema=False, separator="\x1f", quote_char=None,
                            skip_lines=self.skip, truncate_ragged_lines=True, raise_if_empty=False,
                            new_columns=["line"])["line"]
        if len(lines) != rows:
            text = self.data.decode("utf-8", "replace").split("\n", self.skip)[-1]
            parsed = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=self.sep) if r][1:]
            if len(parsed) != rows - 1:
                return None
            return (pl.Series([len(r) for r in parsed], dtype=pl.UInt32),
                    pl.Series([sum(bool(c.strip()) for c in r) for r in parsed], dtype=pl.UInt32),
                    pl.Series([r[0] for r in parsed], dtype=pl.String))
        body = lines.slice(1).str.strip_suffix("\r").fill_null("")
        split = body.str.split(self.sep)
        cells, first = split.list.len(), split.list.first()
        filled = split.list.eval(pl.element().str.strip_chars() != "").list.sum().cast(pl.UInt32)
        quoted = body.str.contains('"', literal=True).arg_true()
        if len(quoted):
            parsed = [next(csv.reader([line], delimiter=self.sep), []) for line in body.gather(quoted)]
            cells = cells.scatter(quoted, [len(r) for r in parsed])
            filled = filled.scatter(quoted, [sum(bool(c.strip()) for c in r) for r in parsed])
            first = first.scatter(quoted, [r[0] if r else "" for r in parsed])
        return cells, filled, first


#: The largest file _holds_any copies into Polars to search (bytes): a census of this size is read in well under a
#: second, and a larger one would be held twice in memory for a few milliseconds' gain.
_COPY_AT_MOST = 64 * 2 ** 20


def _holds_any(data: bytes, needles: list[bytes]) -> bool:
    """Whether `data` holds any of `needles`: searched by Polars, outside Python's lock (a census's 4.5 MB
    searched three times by `in` held it for 10 ms, while the other inputs were being read)."""
    if len(data) > _COPY_AT_MOST:  # a copy of a file this large costs more memory than the lock costs time
        return any(n in data for n in needles)
    held = pl.Series([data], dtype=pl.Binary).to_frame("data")
    return bool(held.select(pl.any_horizontal(pl.col("data").bin.contains(n) for n in needles)).item())


def _ends_with(data: bytes, sep: bytes) -> bool:
    """`data.rstrip().endswith(sep)`, without copying a file of megabytes: its last few thousand bytes are
    enough unless they are all blank."""
    tail = data[-4096:].rstrip()
    if len(tail) < len(sep) and len(data) > 4096:
        tail = data.rstrip()
    return tail.endswith(sep)


def longer_row(path: Path) -> int | None:
    """The first row (as a person counts them, the header row 1) with more cells than the header of a
    comma-separated file; None when there is none or the file cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as stream:
            reader = csv.reader(stream)
            width = len(next(reader, []))
            for number, row in enumerate(reader, start=2):
                if len(row) > width:
                    return number
    except (OSError, csv.Error):
        return None
    return None


def unclosed_quote(data: bytes) -> int | None:
    """The line (1-based, as a person counts them) where a quoted field opens and never closes."""
    opened = None
    for number, text in enumerate(data.split(b"\n"), start=1):
        if text.count(b'"') % 2:
            opened = number if opened is None else None
    return opened


#: Excel's first line naming a CSV's separator (`sep=;`): Excel takes it as an instruction and shows the header
#: below it as row 1, so rows are counted from there (not where a UTF-8 byte-order mark comes first: Excel then
#: shows the line as a row of its own, and so does senrun).
_SEP_LINE = re.compile(rb"sep=[^\r\n]\r?\n", re.IGNORECASE)


def without_sep_line(data: bytes, marked: bool) -> bytes:
    """A CSV's text (UTF-8, lines ending in LF) without Excel's `sep=,` line, which Excel reads and does not show as
    a row (`_SEP_LINE`); `marked`: the file began with a UTF-8 byte-order mark, when Excel shows the line."""
    return data[data.index(b"\n") + 1:] if not marked and _SEP_LINE.match(data) else data


def _csv(snap: Snapshot, find_header, encoding: str | None = None) -> Raw:
    data, sha = snap.data, snap.sha256
    if _is_blank(data):
        raise Unreadable("is empty")
    marked = data[:3] == b"\xef\xbb\xbf"
    data = _utf8(data, encoding)
    if b"\r" in data and b"\n" not in data:  # "CSV (Macintosh)" ends lines with a bare CR
        data = data.replace(b"\r", b"\n")
    data = without_sep_line(data, marked)
    if data.rstrip(b"\r\n").endswith(b"\x1a"):  # an old DOS end-of-file mark (Ctrl-Z): not a row
        data = data.rstrip(b"\r\n").rstrip(b"\x1a") + b"\n"
    rows, sep, lines_above = _top_rows(data)
    width = max((len(r) for r in rows), default=0)
    top = pl.DataFrame([r + [None] * (width - len(r)) for r in rows], orient="row",
                       schema=[f"c{i}" for i in range(width)]) if rows else pl.DataFrame()
    header_index = find_header(top) if rows else 0
    if header_index >= len(rows):
        raise Unreadable(f"has no row {header_index + 1} to take the headers from")
    # the lines above the header (title rows) are skipped as lines (Polars does not read quotes while
    # skipping), and the header's row is numbered as a person counts rows
    skip = lines_above[header_index] if rows else 0
    return _CsvRaw(data, sep, skip, sha, header_index + 1,
                   _record_end(data, lines_above[header_index + 1] if header_index + 1 < len(rows) else skip + 1))


def _record_end(data: bytes, next_line: int) -> int | None:
    """Where the record that ends before line `next_line` (0-based) ends, before its line break; None
    when the data has no such line (a header with no row below it)."""
    start = 0
    for _ in range(next_line):
        found = data.find(b"\n", start)
        if found < 0:
            return None
        start = found + 1
    end = start - 1
    return end - 1 if end > 0 and data[end - 1:end] == b"\r" else end
