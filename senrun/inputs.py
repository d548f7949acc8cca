"""Read the inputs as councils keep them (SPEC §5): CSV, XLSX, Parquet, their own headers.

Each file is read as text (nothing guessed), its headers found and mapped onto senrun's
names, then each declared column parsed by its kind.  Every bad cell becomes an Issue
naming file, sheet, the row a person sees in Excel and the user's own header.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import parse
from .config import InputSpec
from .errors import Issues
from .excel import Unreadable, first_line, read_sheet
from .headers import HEADER_SEARCH_ROWS, find_header, map_columns, targets_for, with_headers
from .schema import DTYPES, MOVE_REASONS, NULLABLE, ROW, SCHEMAS, SEN_CODES, STREAMS, Column, Kind

MAX_ISSUES_PER_COLUMN = 200  # beyond this, one summary line per column and problem
EMPTY = "is empty; this column must be filled in on every row"


@dataclass
class Table:
    """One input as read: parsed frame (internal names + `_row`) and where it came from."""

    name: str
    file: str  # the file's name, for messages
    sheet: str | None
    frame: pl.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # internal name → the user's header
    sha256: str = ""
    path_text: str = ""

    def where(self, column: str | None = None, row: int | None = None) -> dict:
        """Keyword arguments locating an Issue in this table."""
        return {"file": self.file, "sheet": self.sheet, "row": row,
                "column": self.headers.get(column, column) if column else None, "field": column}


# --- raw reading: bytes → a text frame with the user's headers -------------------------

def _sniff(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:4] == b"PAR1":
        return "parquet"
    return "text"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode Text"), else Windows-1252
    as Excel saves CSVs."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable("is not a text file (it looks like broken UTF-16)") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text or sum(ch == "\ufffd" for ch in text[:4096]) > 8:
        raise Unreadable("is not a text file (it looks like binary data)")
    return text


def _separator(lines: list[str]) -> str:
    """The delimiter that splits the top lines into the most rows of one width (quotes respected)."""
    def score(sep: str) -> tuple[int, int]:
        widths = [len(r) for r in csv.reader(lines, delimiter=sep) if len(r) > 1]
        if not widths:
            return (0, 0)
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        return (widths.count(common), common)

    return max((",", ";", "\t"), key=score)


def _read_csv(data: bytes, find_header) -> tuple[pl.DataFrame, int]:
    """The CSV from its header row on (all text), and that row's index (0-based)."""
    text = _decode(data)
    if "\r" in text and "\n" not in text:  # "CSV (Macintosh)" ends lines with a bare CR
        text = text.replace("\r", "\n")
    head = [line.rstrip("\r") for line in text[:65536].split("\n")[:HEADER_SEARCH_ROWS]]
    sep = _separator(head)
    rows = list(csv.reader(head, delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    header_index = find_header(pl.DataFrame([r + [None] * (width - len(r)) for r in rows], orient="row",
                                            schema=[f"c{i}" for i in range(width)])) if rows else 0
    if header_index >= len(rows):
        raise Unreadable(f"has no row {header_index + 1} to take the headers from")
    offset = 0
    for _ in range(header_index):
        offset = text.index("\n", offset) + 1
    try:
        frame = pl.read_csv(io.StringIO(text[offset:]), has_header=False, infer_schema=False, separator=sep,
                            truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        raise Unreadable(f"could not be read as CSV ({first_line(exc)})") from None
    return frame, header_index


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:
        raise Unreadable(f"could not be read as Parquet ({first_line(exc)})") from None


def read_raw(spec: InputSpec, find_header) -> tuple[pl.DataFrame, int, str | None, bytes, bool]:
    """The file as a frame (all text unless Parquet) and the index of its header row (CSV: 0, the rows
    above it dropped), its sheet, its bytes, and whether the frame already has its headers (Parquet)."""
    try:
        data = spec.path.read_bytes()
    except FileNotFoundError:
        raise Unreadable("does not exist") from None
    except IsADirectoryError:
        raise Unreadable("is a folder, not a file") from None
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise Unreadable("is empty")
    kind = _sniff(data)
    if kind == "ole":
        raise Unreadable("is a password-protected workbook or an old .xls file: save it as an "
                         "unprotected .xlsx (File › Save As › Excel Workbook)")
    if kind == "parquet":
        return _read_parquet(spec.path), 0, None, data, True
    if kind == "zip":
        frame, sheet = read_sheet(spec.path, spec.sheet)
        header_index = find_header(frame)
        if header_index >= frame.height:
            raise Unreadable(f"has no row {header_index + 1} to take the headers from")
        return frame, header_index, sheet, data, False
    # A CSV saved under an .xlsx name is common: it is read as what it really is.
    frame, skipped = _read_csv(data, find_header)
    return frame, -skipped, None, data, False


# --- values ----------------------------------------------------------------------------

def _value_expr(col: Column) -> pl.Expr:
    name = col.name
    return {
        Kind.ID: lambda: parse.parse_id(name),
        Kind.UPN: lambda: parse.parse_upn(name),
        Kind.TEXT: lambda: parse.parse_text(name),
        Kind.DATE: lambda: parse.parse_date(name),
        Kind.MONEY: lambda: parse.parse_money(name),
        Kind.NUMBER: lambda: parse.parse_number(name),
        Kind.BOOL: lambda: parse.parse_bool(name),
        Kind.NC_YEAR: lambda: parse.parse_nc_year(name),
        Kind.SEN: lambda: parse.parse_code(name, SEN_CODES),
        Kind.STREAM: lambda: parse.parse_code(name, STREAMS),
        Kind.MOVE_REASON: lambda: parse.parse_code(name, MOVE_REASONS, upper=False),
    }[col.kind]()


def _bad_message(col: Column) -> pl.Expr:
    """Why a non-blank cell failed, as a Polars expression over the raw text."""
    raw = pl.col(col.name).str.strip_chars()
    kind = {Kind.DATE: "a date", Kind.MONEY: "an amount of money", Kind.NUMBER: "a number",
            Kind.BOOL: "a yes/no value", Kind.NC_YEAR: "a National Curriculum year", Kind.SEN: "a SEN provision code",
            Kind.STREAM: "a funding stream", Kind.MOVE_REASON: "a move type", Kind.UPN: "a UPN"}.get(col.kind, "valid")
    msg = (pl.when(raw.str.contains(parse.EXCEL_ERROR))
           .then(pl.lit(" is an Excel error, not a value: correct the formula in this cell"))
           .otherwise(pl.lit(f" is not {kind}")))
    if col.kind == Kind.MONEY:
        msg = (pl.when(raw.str.contains(r"^[£\s]*[-−(]")).then(pl.lit(" is negative; money must not be negative"))
               .when(raw.str.contains(r"^[£\d,\s]*\.\d{3,}$")).then(pl.lit(" has more than two decimal places"))
               .otherwise(msg))
    if col.kind == Kind.DATE:
        msg = (pl.when(raw.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$"))
               .then(pl.lit(" is not a real date (day/month/year)")).otherwise(msg))
    return pl.concat_str([pl.lit('"'), raw, pl.lit('"'), msg])


def _textual(frame: pl.DataFrame, col: Column) -> pl.DataFrame:
    """Parquet columns arrive typed: keep dates as dates, turn everything else into text."""
    dtype = frame.schema[col.name]
    if dtype == pl.String or (col.kind == Kind.DATE and dtype == pl.Date):
        return frame
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return frame.with_columns(pl.col(col.name).dt.date().cast(pl.String))
    if dtype.is_float():  # as Excel shows a number cell: 15 significant digits, so 0.1 + 0.2 is 0.3
        return frame.with_columns(pl.col(col.name).round_sig_figs(15).cast(pl.String))
    return frame.with_columns(pl.col(col.name).cast(pl.String))


def _parse_columns(frame: pl.DataFrame, columns: tuple[Column, ...], table: Table, issues: Issues) -> pl.DataFrame:
    """Parse every declared column; report each bad or missing value with its row and header."""
    present = [c for c in columns if c.name in frame.columns]
    for col in present:
        frame = _textual(frame, col)
    key_cols = [c.name for c in present if c.required]
    if key_cols:  # drop rows blank in every required column (blank lines, spacer rows)
        frame = frame.filter(~pl.all_horizontal([parse._blank(c) if frame.schema[c] == pl.String
                                                 else pl.col(c).is_null() for c in key_cols]))
    checks, values = [], []
    for col in present:
        if frame.schema[col.name] == pl.Date:
            values.append(pl.col(col.name))
            checks.append(pl.when(pl.col(col.name).is_null() & pl.lit(col.name not in NULLABLE))
                          .then(pl.lit(EMPTY)).otherwise(None).alias(col.name))
            continue
        value = _value_expr(col)
        ok = parse.nc_year_ok(col.name) if col.kind == Kind.NC_YEAR else value.is_not_null()
        blank = parse._blank(col.name)
        bad = (pl.when(blank & pl.lit(col.name not in NULLABLE)).then(pl.lit(EMPTY))
               .when(~blank & ~ok).then(_bad_message(col)).otherwise(None))
        checks.append(bad.alias(col.name))
        values.append(value.alias(col.name))
    if checks:
        raws = [pl.col(c.name).cast(pl.String).str.strip_chars().alias(f"{c.name}{_RAW}") for c in present]
        _report_cells(frame.select(pl.col(ROW), *checks, *raws), present, table, issues)
    absent = [pl.lit(c.default, dtype=DTYPES[c.kind]).alias(c.name) for c in columns
              if c.name not in frame.columns and c.fill_absent]
    defaults = [pl.col(c.name).fill_null(c.default) for c in present if c.default is not None]
    return frame.with_columns(*values, *absent).with_columns(*defaults)


_RAW = "\x00raw"  # suffix of the raw-text copy of a column, kept for the issue's `value`


def _report_cells(problems: pl.DataFrame, columns: list[Column], table: Table, issues: Issues) -> None:
    for col in columns:
        bad = problems.filter(pl.col(col.name).is_not_null()).select(ROW, col.name, f"{col.name}{_RAW}")
        for row, message, raw in bad.head(MAX_ISSUES_PER_COLUMN).iter_rows():
            code = "empty_value" if message == EMPTY else "bad_value"
            issues.error(code, message, **table.where(col.name, row), value=raw or None, expected=col.expected or None)
        if bad.height > MAX_ISSUES_PER_COLUMN:
            issues.error("bad_value", f"{bad.height - MAX_ISSUES_PER_COLUMN:,} more problems in this column "
                         f"(rows {bad[ROW][MAX_ISSUES_PER_COLUMN]:,} onwards)", **table.where(col.name),
                         expected=col.expected or None)


def read_input(spec: InputSpec, issues: Issues) -> Table | None:
    """Read, map and parse one input; problems go to `issues`; None if it could not be read at all."""
    columns = SCHEMAS[spec.name]
    table = Table(spec.name, spec.path.name, spec.sheet, pl.DataFrame(), path_text=spec.path_text)
    try:
        required = [c.name for c in columns if c.required]
        targets = targets_for(spec, columns)
        finder = (lambda _: spec.header_row - 1) if spec.header_row else \
            (lambda f: find_header(f, targets, required))
        raw, header_index, sheet, data, has_header = read_raw(spec, finder)
    except Unreadable as exc:
        issues.error("unreadable", f"{spec.name} file '{spec.path_text}' {exc}", file=spec.path.name,
                     sheet=spec.sheet)
        return None
    table.sheet, table.sha256 = sheet, hashlib.sha256(data).hexdigest()
    if has_header:  # Parquet
        body = raw.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    else:  # CSV: a negative index means the rows above the header were dropped while reading
        body, _ = with_headers(raw, max(header_index, 0), row_offset=max(-header_index, 0))
    before = len(issues.errors)
    frame, table.headers = map_columns(body, spec, targets, columns, table.where(), issues)
    if len(issues.errors) > before:
        return None
    if frame.height == 0:
        issues.error("no_rows", f"{spec.name} file has headers but no rows of data", **table.where())
        return None
    table.frame = _parse_columns(frame, columns, table, issues)
    return table


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes, for the manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
