"""What a council's files hold, for `senrun init`: each file's sheets, where the header row is
(below any title rows), the headers, and a sample of each column's values as text."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..inputs.excel import listed_name
from ..inputs.load import FOOTER_LABEL, TOTAL_LABEL

_TOTAL_LABEL = re.compile(TOTAL_LABEL)
_FOOTER_LABEL = re.compile(FOOTER_LABEL)

SAMPLE_ROWS = 5000  # enough to see a column's kind of value and its dates; a census may be far longer
TOP_ROWS = 30  # where a header row is looked for
READABLE = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet")
#: Spreadsheets senrun does not read, found in a folder all the same so that `init` says to save them as .xlsx
#: rather than pass over them (the old Excel format, Excel's binary one, OpenDocument, Numbers).
SAVE_AS_XLSX = (".xls", ".xlsb", ".ods", ".numbers")
_NUMBERISH = re.compile(r"^[£\-\s\d.,/:]+$")


@dataclass
class Sheet:
    """One table found: its file, sheet, header row (1-based, as Excel shows it), headers and values."""

    path: Path
    sheet: str | None
    header_row: int
    headers: list[str]
    values: dict[str, list[str]] = field(default_factory=dict)  # header -> sampled non-blank values
    rows: int = 0  # the data rows sampled (0: not known, then the longest column of values)

    @property
    def label(self) -> str:
        """`statements.xlsx › Statements`, as init lists a table: a sheet name that holds what looks like a
        child's data (a tab per child, "Ben Carter 04-12-2003") is shown as [hidden] (docs/security.md)."""
        if not self.sheet:
            return self.path.name
        return f"{self.path.name} › {listed_name(self.sheet)}"


def files_in(sources: list[Path]) -> list[Path]:
    """The readable files named, or found (not recursively) in the folders named, sorted by name."""
    out: list[Path] = []
    for source in sources:
        if source.is_dir():
            out += sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in READABLE + SAVE_AS_XLSX
                          and not p.name.startswith(("~$", ".")))  # (a format senrun cannot read: told so)
        elif source.is_file():
            out.append(source)
    return list(dict.fromkeys(out))


def header_index(rows: list[list[str | None]]) -> int:
    """The header row among the top rows: the first that is as full as the fullest row, all text
    (a title row above it has one or two cells; data rows below it have numbers and dates)."""
    top = rows[:TOP_ROWS]
    widths = [sum(1 for v in r if v not in (None, "")) for r in top]
    if not widths or max(widths) == 0:
        return 0
    widest = max(widths)
    for i, row in enumerate(top):
        cells = [str(v) for v in row if v not in (None, "")]
        texty = all(not _NUMBERISH.match(c) for c in cells)
        if widths[i] >= max(2, 0.6 * widest) and texty:
            return i
    return widths.index(widest)


def _totals(row: list[str | None]) -> bool:
    """Whether a row is a totals row: a cell in it says "Total", "Grand total"… (inputs.load.TOTAL_LABEL); or a
    report's footer, its one cell saying "End of report", "Printed on …" (inputs.load.FOOTER_LABEL)."""
    filled = [v for v in row if v is not None and str(v).strip()]
    if len(filled) == 1 and isinstance(filled[0], str) and _FOOTER_LABEL.search(filled[0].strip()):
        return True
    return any(isinstance(v, str) and _TOTAL_LABEL.match(v.strip()) for v in row)


def _table(path: Path, sheet: str | None, rows: list[list[str | None]]) -> Sheet | None:
    if not rows:
        return None
    h = header_index(rows)
    headers = [str(v).strip() if v not in (None, "") else "" for v in rows[h]]
    found = Sheet(path, sheet, h + 1, [x for x in headers if x])
    data = [r for r in rows[h + 1:] if not _totals(r)  # a "Total" row or a footer is no data (as validate reads it)
            and any(str(v).strip() for v in r if v is not None)]
    found.rows = len(data)
    for c, name in enumerate(headers):
        if name:
            found.values[name] = [str(r[c]).strip() for r in data if c < len(r) and r[c] not in (None, "")
                                  and str(r[c]).strip()]
    return found if found.headers else None


def _csv_rows(path: Path) -> list[list[str | None]]:
    """The top rows of a text file, decoded as the inputs' reader decodes it (Unreadable, in words, for a
    file that is not text); lines may end in CR LF, LF or a bare CR."""
    from ..inputs.excel import Unreadable
    from ..inputs.reading import text_utf8, without_sep_line

    data = path.read_bytes()[: 64 * 1024 * 1024]
    utf8 = text_utf8(data)
    # (Excel's `sep=,` line is no row, as the inputs are read: the header below it is row 1)
    lines = utf8.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = without_sep_line(lines, data[:3] == b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str | None]] = []
    reader = csv.reader(io.StringIO(text, newline=None), dialect)
    try:
        for row in reader:
            if len(rows) > SAMPLE_ROWS + TOP_ROWS:
                break
            rows.append(row)
    except csv.Error:
        raise Unreadable(f"could not be read as a table of text: row {reader.line_num} cannot be split into cells "
                         "(it may be damaged, or not a spreadsheet saved as CSV)") from None
    return rows


def _kind(path: Path) -> str:
    """zip (a workbook, checked whole), parquet or text; Unreadable for an old or protected workbook, a
    damaged one, or one that would unpack to too much."""
    from ..inputs.excel import Unreadable, check_zip
    from ..inputs.reading import HEAD_BYTES, OLE_WORDS, sniff

    with path.open("rb") as stream:
        kind = sniff(stream.read(HEAD_BYTES))
    if kind == "ole":
        raise Unreadable(OLE_WORDS)
    if kind == "zip":
        check_zip(path.read_bytes())
    return kind


def _xlsx_tables(path: Path) -> list[Sheet]:
    """Every worksheet's table (chart sheets are passed over, never handed to the reader)."""
    import fastexcel

    from ..inputs.excel import worksheets

    data = path.read_bytes()
    book = fastexcel.read_excel(data)
    out = []
    for name in worksheets(data):
        try:
            frame = book.load_sheet(name, header_row=None, n_rows=SAMPLE_ROWS + TOP_ROWS, dtypes="string")
        except Exception:  # an empty or chart-only sheet: nothing to map  # noqa: BLE001
            continue
        rows = [list(r) for r in frame.to_polars().iter_rows()]
        table = _table(path, name, rows)
        if table is not None:
            out.append(table)
    return out


def _parquet_table(path: Path) -> Sheet | None:
    import polars as pl

    frame = pl.scan_parquet(path).head(SAMPLE_ROWS).collect()
    rows = [list(frame.columns)] + [[None if v is None else str(v) for v in r] for r in frame.iter_rows()]
    return _table(path, None, rows)


def scan(paths: list[Path]) -> tuple[list[Sheet], list[str]]:
    """Every table in the files, and a note for each file that could not be read."""
    from ..inputs.excel import Unreadable
    from ..inputs.standins import stand_in_at

    tables, notes = [], []
    for path in paths:
        kind = None
        try:
            if (standing := stand_in_at(path)) is not None:  # a file not downloaded, a shortcut: told, not skipped
                raise Unreadable(standing)
            kind = _kind(path)  # by its bytes, as the inputs are read: a CSV saved as .xlsx is a CSV
            if kind == "zip":
                tables += _xlsx_tables(path)
            elif kind == "parquet":
                tables += [t for t in [_parquet_table(path)] if t is not None]
            else:
                tables += [t for t in [_table(path, None, _csv_rows(path))] if t is not None]
        except Unreadable as exc:  # what the inputs' reader would say of it
            named = path.suffix.lower() in (".xlsx", ".xlsm") and kind == "text"
            notes.append(f"{path.name}: is named {path.suffix} but is not an Excel workbook, and {exc}: it may be "
                         "damaged; open the original in Excel and save it again" if named else f"{path.name}: {exc}")
        except Exception as exc:  # a file senrun cannot open is reported, the others still drafted  # noqa: BLE001
            notes.append(f"{path.name}: could not be read ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
    return tables, notes
