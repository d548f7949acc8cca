"""Read the inputs as councils keep them (SPEC §5): CSV, XLSX, Parquet, their own headers.

Each file's headers are found and mapped onto senrun's names (`headers.py`), only the columns
senrun needs are loaded (`reading.py`), and each is parsed by its kind (`cells.py`).  Every
bad cell becomes an Issue naming file, sheet, the row a person sees in Excel and the user's
own header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import polars as pl

from .cells import EMPTY, FEW_ROWS, IDX, Cells, as_text, keyed_upns, parse_cells, parse_together
from ..config.loader import InputSpec
from ..errors import PERSONAL_FIELDS, SCHOOL_FIELDS, Issues, looks_personal
from .excel import Unreadable
from .headers import find_header, map_columns, targets_for
from .reading import Raw, header_names, note_merged, read_raw
from ..money import CEILING_PENCE, ceiling_text, fmt_gbp
from .parse import from_1904
from .schema import COMPACT, COMPACT_DTYPES, DTYPES, ROW, SCHEMAS, SERIAL_DATES, TOTAL_LABEL, UPN, Column, Kind
from .upn import UpnKeys

MAX_ISSUES_PER_COLUMN = 200  # beyond this, one summary line per column and problem
_FIRST = "\x00first"  # the file's first column, kept while reading to recognise a totals row
#: The same in the upn column, which is read without its spaces in capitals ("Total PSF" is TOTALPSF): no
#: UPN begins so, so whatever follows the word ("TOTALFORKETMERE") is still a label.
UPN_TOTAL_LABEL = r"^(?:GRAND|SUB-?)?TOTAL|.TOTAL$"


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
    #: (frame, rows): the only rows of `frame` whose UPN may not be 'ok' (by ROW), found while parsing
    #: (cells.Cells.suspects), so that checks.upn_letters need not unpack 8 million UPNs again.
    upn_suspects: tuple[pl.DataFrame, pl.Series] | None = field(default=None, repr=False)
    #: A compact table (schema.COMPACT): the UPN keys' side table, and the columns held as an Enum that were
    #: text as read; `readable` gives a few rows back as they were read.
    upn_keys: UpnKeys | None = field(default=None, repr=False)
    enum_text: tuple[str, ...] = ()
    #: The rows read, kept when the frame itself has been let go (`released`).
    rows_read: int | None = None
    #: The user's header → {row inside cells merged across rows: the row they start on} (reading.Raw.merged).
    merged: dict = field(default_factory=dict, repr=False)
    #: Column → the rows (`_row`) of its cells already told as bad or empty where it was read, those
    #: beyond the listed ones too: a later check of the same cells (a blank amount) tells none again.
    told_rows: dict = field(default_factory=dict, repr=False)

    @property
    def height(self) -> int:
        """The number of rows read."""
        return self.frame.height if self.rows_read is None else self.rows_read

    def released(self) -> Table:
        """This table with its rows let go (every figure needed from them already worked out): its
        file, headers, UPN keys and row count stay; any use of its frame fails rather than finding
        no rows."""
        return replace(self, frame=None, upn_suspects=None, rows_read=self.height)

    def readable(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` (a few rows of this table) with each UPN key and Enum id as the text read from the file."""
        if self.upn_keys is not None and UPN in frame.columns and frame.schema[UPN].is_integer():
            frame = frame.with_columns(self.upn_keys.decode(frame[UPN]))
        return frame.with_columns(pl.col(c).cast(pl.String) for c in self.enum_text if c in frame.columns)

    def keys_of(self, upns: pl.Series) -> pl.Series:
        """UPNs as text → as this table's UPN column holds them (a compact table's keys; null for a UPN
        that no row holds)."""
        return upns if self.upn_keys is None else self.upn_keys.encode(upns)

    def where(self, column: str | None = None, row: int | None = None) -> dict:
        """Keyword arguments locating an Issue in this table."""
        return {"file": self.file, "sheet": self.sheet, "row": row,
                "column": self.headers.get(column, column) if column else None, "field": column}


def read_input(spec: InputSpec, issues: Issues, cell_checks=()) -> Table | None:
    """Read, map and parse one input; problems go to `issues`; None if it could not be read at all.
    `cell_checks` (each `(check, names)`: `check(table, issues)` reads the columns `names`) are checks of the
    input's own cells that its caller runs on the table read: they are run here too, on the columns found,
    when a column is missing that none of them reads."""
    columns = SCHEMAS[spec.name]
    table = Table(spec.name, spec.path.name, spec.sheet, pl.DataFrame(), path_text=spec.path_text)
    required = [c.name for c in columns if c.required]
    targets = targets_for(spec, columns)
    finder = (lambda _: spec.header_row - 1) if spec.header_row else (lambda f: find_header(f, targets, required))
    try:
        raw = read_raw(spec.path, spec.sheet, finder, spec.max_bytes, spec.encoding)
        table.sheet, table.sha256 = raw.sheet, raw.sha256
        before = len(issues.errors)
        mapping = map_columns(raw.headers, spec, targets, columns, table.where(), issues)
        fitting = other_sheets(raw, spec, targets, columns, required)
        if len(issues.errors) > before:
            if fitting:
                issues.error("missing_column", f"the {spec.name} input's columns are on sheet '{fitting[0]}', not on "
                             f"'{raw.sheet}', the first, which senrun reads when the config names none",
                             **table.where(), expected=f"sheet: \"{fitting[0]}\" in inputs.{spec.name} of the config")
            else:
                _cells_of_the_columns_found(raw, mapping, spec, columns, table, issues, cell_checks)
            return None
        if fitting:
            issues.warn("other_sheet", f"sheet '{raw.sheet}' was read, the first of the workbook, but "
                        f"{', '.join(repr(n) for n in fitting)} {'has' if len(fitting) == 1 else 'have'} the "
                        f"{spec.name} input's columns too: if another is the one meant (this year's, not last "
                        "year's), name it with sheet: in the config", **table.where(),
                        expected=f"sheet: in inputs.{spec.name}, to say which")
        wanted = _wanted(raw.headers, mapping, spec, columns)
        if not _plain_types(raw, wanted, table, issues):
            return None
        table.headers = {v: k for k, v in wanted.items()}  # with the first column's, for a totals row
        raw.select(list(wanted))
        _cells_past_the_header(raw, table, issues)
        _cut_short(raw, table, issues)
        _hidden_rows(raw, table, issues)
        if raw.height == 0 and spec.name == "schools":  # any other input may be empty: no moves is normal (§11.10)
            issues.error("no_rows", f"{spec.name} file has headers but no rows of data", **table.where())
            return None
        table.frame = _parse_columns(raw, wanted, columns, table, issues)
        table.merged = raw.merged  # an empty cell inside merged cells says so
        note_merged(raw, table.frame, wanted, {c.name for c in columns if c.required}, table.where, issues,
                    {c.name: c.default for c in columns if c.default is not None})
        _money_totals(table, columns, issues)
    except Unreadable as exc:
        from ..suggest import missing_file_hint

        issues.error("unreadable", f"{spec.name} file '{spec.path_text}' {exc}{missing_file_hint(spec.path, spec.path_text)}",
                     file=spec.path.name, sheet=table.sheet, row=exc.row)
        return None
    table.headers.pop(_FIRST, None)
    return table


def _cells_of_the_columns_found(raw: Raw, mapping: dict[str, str], spec: InputSpec, columns: tuple[Column, ...],
                                table: Table, issues: Issues, cell_checks=()) -> None:
    """A file with a column missing is not used, but the cells of the columns it has are checked all the same,
    so that every problem of the file is listed in one pass (SPEC §8), not its other cells' once the column is
    put right.  Best effort: a check that needs the missing column is left to the next run.  Not where no
    column of the input was found at all: the header row itself is then most likely not the one read (a
    title line above it), and its "cells" would each be told wrong."""
    declared = {c.name for c in columns}
    if not declared & set(mapping.values()):
        return
    found = Issues()
    try:
        wanted = _wanted(raw.headers, mapping, spec, columns)
        if _plain_types(raw, wanted, table, found):
            table.headers = {v: k for k, v in wanted.items()}  # each cell told by the file's own header
            raw.select(list(wanted))
            _cells_past_the_header(raw, table, found)
            table.frame = _parse_columns(raw, wanted, columns, table, found)
            missing = ({c.name for c in columns if c.required} | {name for _, name in spec.columns}) - set(
                mapping.values())
            for check, names in cell_checks:  # (a blank amount: read_input's caller checks it on a table read whole)
                if not missing & set(names):
                    check(table, found)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a check that needed the missing column: what was found before it stands
        pass
    issues.extend(i for i in found.items if i.is_error)


def _cells_past_the_header(raw: Raw, table: Table, issues: Issues) -> None:
    """An error at each CSV row with a cell past the last header (`_CsvRaw.ragged`): most often a
    comma outside quotes in an amount or a name, which split the cell in two and moved the row's later
    cells along (`£1,200.00` read as £1), so that what was read of the row cannot be trusted."""
    rows = raw.ragged
    last = raw.headers[-1] if raw.headers else ""
    for row in rows[:MAX_ISSUES_PER_COLUMN]:
        issues.error("extra_cells", f"this row has a cell past the last column headed '{last}', which is not read: a "
                     "comma outside quotes (in £1,200.00, or in a name) splits a cell in two and moves the row's "
                     "later cells along, so its values would be read in the wrong columns",
                     **table.where(None, row), expected="as many cells as the header has: put a cell holding a "
                     "comma in quotes, write amounts without thousands commas, or give the extra column a header")
    if len(rows) > MAX_ISSUES_PER_COLUMN:
        issues.error("extra_cells", f"{len(rows) - MAX_ISSUES_PER_COLUMN:,} more rows with a cell past the last column",
                     **table.where())


def _cut_short(raw: Raw, table: Table, issues: Issues) -> None:
    """An error where a CSV ends inside its last row: fewer cells than the header and no line break after them,
    as a file still being written or copied when senrun read it ends.  Its other rows may be missing too, and the
    cut row's cells that are there may be cut themselves (an amount `1086` of `10868.13`, a ceased date left out)
    with nothing else wrong: paid as read, it would move money, so nothing is paid from it (SPEC §5)."""
    cells = raw.last_cells
    if cells is None or cells >= len(raw.headers) or raw.height == 0:
        return
    issues.error("cut_short", f"the file ends inside this row, its last: {cells} of the header's {len(raw.headers)} "
                 "cells and no line break after them, as a file still being written or copied ends; its later rows "
                 "may be missing too, and this row's last cell cut", **table.where(None, raw.rows()[-1]),
                 expected="the whole file: run again once it is written (or copied) in full; if this row is whole "
                 "as it is, give its empty cells' commas and a line break after it")


#: At most this many runs of hidden rows are listed in the warning (`row_runs`); the rest are counted.
MAX_ROW_RUNS = 20


def _hidden_rows(raw: Raw, table: Table, issues: Issues) -> None:
    """A warning naming a workbook's rows of data that are hidden in Excel (`Raw.hidden_rows`).  senrun reads
    them as it reads every row, and the money is the same as with them shown, but a person looking at the
    sheet does not see them: the "Ceased" rows of a statements list filtered to "Current" would be paid
    unseen.  Only the rows' numbers are given, never what they hold."""
    rows = raw.hidden_rows
    if not rows:
        return
    how = (f"the sheet is filtered, on {raw.filter_range}" if raw.filter_range
           else "hidden by hand, by a table's filter, or in a collapsed group")
    see = "clear the filter" if raw.filter_range else "unhide them"
    issues.warn("hidden_rows", f"{row_runs(rows)} {'is' if len(rows) == 1 else 'are'} hidden in Excel ({how}): "
                f"senrun reads every row, hidden or not; delete the rows that should not count, or {see} to see "
                "them", **table.where())


def row_runs(rows: list[int], limit: int = MAX_ROW_RUNS) -> str:
    """`rows 20–22, 31`: rows (sorted, as Excel numbers them) in runs; past `limit` runs, the rest counted
    (`rows 2–4, 9, … and 1,234 more`)."""
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    words = [str(a) if a == b else f"{a}–{b}" for a, b in runs[:limit]]
    rest = sum(b - a + 1 for a, b in runs[limit:])
    listed = ", ".join(words) + (f", … and {rest:,} more" if rest else "")
    return f"{'row' if len(rows) == 1 else 'rows'} {listed}"


#: At most this many of a workbook's other sheets are looked at for the input's columns.
MAX_OTHER_SHEETS = 20


def other_sheets(raw, spec: InputSpec, targets: list[dict[str, str]], columns: tuple[Column, ...],
                 required: list[str]) -> list[str]:
    """The other visible worksheets of a workbook read without `sheet:` whose headers hold every
    column of the input the first sheet's do (its required ones, and the config's `columns:`)."""
    if not raw.other_sheets or raw.book_bytes is None:
        return []
    from .excel import sheet_top

    fitting = []
    for name in raw.other_sheets[:MAX_OTHER_SHEETS]:
        top = sheet_top(raw.book_bytes, name)
        if top.height == 0:
            continue
        index = spec.header_row - 1 if spec.header_row else find_header(top, targets, required)
        if index >= top.height:
            continue
        scratch = Issues()
        map_columns(header_names(top.row(index)), spec, targets, columns, {}, scratch)
        if not scratch.errors:
            fitting.append(name)
    return fitting


def _money_totals(table: Table, columns: tuple[Column, ...], issues: Issues) -> None:
    """Every money column's total within the ceiling (SPEC §1): each amount is, but eight million of them
    need not be, and every sum senrun takes of a column (a school's, a cluster's, the authority's) is at
    most the column's total, so checking it here keeps all of them from wrapping 64-bit pence."""
    for col in columns:
        if col.kind != Kind.MONEY or col.name not in table.frame.columns:
            continue
        total = table.frame.select(pl.col(col.name).cast(pl.Int128).sum()).item() or 0
        if total > CEILING_PENCE:
            issues.error("too_large", f"the amounts in this column add up to {fmt_gbp(total)}, more than "
                         f"{ceiling_text()}, the most senrun handles as a total", **table.where(col.name))


def _unreadable_type(dtype: pl.DataType) -> str | None:
    """Why a Parquet column's type holds no single value senrun can read (lists, structs, durations), or None."""
    if isinstance(dtype, (pl.List, pl.Array)):
        return "lists of values"
    if isinstance(dtype, pl.Struct):
        return "records (a struct)"
    if isinstance(dtype, (pl.Duration, pl.Time)):
        return "durations or times of day"
    if dtype in (pl.Binary, pl.Object):
        return "binary data"
    return None


def _plain_types(raw: Raw, wanted: dict[str, str], table: Table, issues: Issues) -> bool:
    """A Parquet column senrun reads must hold one plain value a cell; one that holds lists, structs or
    durations is an error naming it.  Such a column senrun does not need is left unread."""
    ok, declared = True, {c.name for c in SCHEMAS[table.name]}
    for header, name in list(wanted.items()):
        why = _unreadable_type(raw.dtypes[header]) if header in raw.dtypes else None
        if why is None:
            continue
        if name in declared:
            issues.error("bad_column", f"holds {why} ({raw.dtypes[header]}), not one value a cell: save it "
                         "as plain values", file=table.file, sheet=table.sheet, column=header, field=name)
            ok = False
        del wanted[header]
    return ok


def _wanted(headers: list[str], mapping: dict[str, str], spec: InputSpec, columns: tuple[Column, ...]) -> dict:
    """The columns to load: senrun's own, and in the schools input every other column too (a formula
    element may use it as a need column).  The file's first column comes along to spot a totals row."""
    declared = {c.name for c in columns}
    wanted = {h: n for h, n in mapping.items() if spec.name == "schools" or n in declared}
    if headers and headers[0] not in wanted:
        wanted[headers[0]] = _FIRST
    return wanted


def _parse_short(raw: Raw, wanted: dict[str, str], declared: dict[str, Column]) -> dict[str, tuple[pl.Series, Cells]]:
    """A short table's columns read and parsed (name → its raw column, its cells): the text ones together
    (cells.parse_together), in a few passes for them all; UPNs and typed columns (a workbook's numbers and
    dates) one by one (cells.parse_cells)."""
    texts, out = {}, {}
    for header, name in wanted.items():
        if name in declared:
            series = raw.column(header).alias(name)
            if series.dtype == pl.String and declared[name].kind != Kind.UPN:
                texts[name] = series
            else:
                out[name] = (series, parse_cells(series, declared[name]))
    parsed = parse_together(list(texts.values()), [declared[name] for name in texts]) if texts else []
    out.update((name, (series, one)) for (name, series), one in zip(texts.items(), parsed))
    return out


def _parse_columns(raw: Raw, wanted: dict[str, str], columns: tuple[Column, ...], table: Table,
                   issues: Issues) -> pl.DataFrame:
    """Load and parse the columns one at a time (only one raw column is in memory at once, the UPNs last; a
    short table's all at once, `_parse_short`); report each bad or missing value with its row and header; skip
    spacer and totals rows."""
    declared = {c.name: c for c in columns}
    compact = table.name in COMPACT
    cells: dict[str, Cells] = {}
    kept: dict[str, pl.Series] = {}
    short = _parse_short(raw, wanted, declared) if not compact and raw.height <= FEW_ROWS else {}
    # The UPNs last: the memory the other raw columns took (and gave back) is there to be reused by the
    # largest column (a census's peak 150 MB lower than reading in the file's order).
    for header, name in sorted(wanted.items(), key=lambda item: item[1] == UPN):
        parsed = short.pop(name, None)
        if compact and name == UPN:  # integer keys, the text never held whole
            cells[name] = keyed_upns(raw, header, declared[name])
            series = cells[name].values
        else:
            series = parsed[0] if parsed else raw.column(header).alias(name)
        if name in declared and name not in cells:
            cells[name] = parsed[1] if parsed else parse_cells(series, declared[name], compact)
            if raw.date1904 and name in SERIAL_DATES:
                cells[name].values = from_1904(series, cells[name].values)
            series = cells[name].values = cells[name].values.alias(name)
        kept[name] = series if name != _FIRST else as_text(series).rechunk()
        del series  # the raw column is freed before the next is read
    frame = pl.DataFrame([raw.rows(pl.UInt32 if compact else pl.Int64), *(kept[n] for n in wanted.values())])
    del kept
    if compact:
        table.upn_keys = cells[UPN].upn_keys if UPN in cells else None
        schema = frame.schema  # (once: each Enum's categories, 21,000 school ids, come back to Python)
        table.enum_text = tuple(c for c in frame.columns if isinstance(schema[c], pl.Enum)
                                and c in declared and declared[c].kind in (Kind.ID, Kind.ENROL))
    suspects = cells[UPN].suspects if UPN in cells else None
    if suspects is not None:
        table.upn_suspects = (frame, frame[ROW].gather(suspects))
    present = [c for c in columns if c.name in cells]
    drop = _totals_rows(frame, cells, _spacer_rows(cells, present, frame.height), table, issues)
    for col in present:
        _report(cells[col.name], col, frame[ROW], drop, table, issues)
        if not cells[col.name].bad.is_empty():
            table.told_rows[col.name] = frame[ROW].gather(cells[col.name].bad[IDX])
    dtypes = {**DTYPES, **COMPACT_DTYPES} if compact else DTYPES
    absent = [pl.lit(c.default, dtype=dtypes[c.kind]).alias(c.name) for c in columns
              if c.name not in frame.columns and c.fill_absent]
    defaults = [pl.col(c.name).fill_null(c.default) for c in present if c.default is not None]
    if absent or defaults:
        frame = frame.with_columns(*absent).with_columns(*defaults)
    if compact:  # an absent registration status is text, like one read
        table.enum_text += tuple(c.name for c in columns if c.name in frame.columns and c.name not in table.enum_text
                                 and c.kind == Kind.ENROL)
    if drop.any():
        frame = frame.filter(~drop)
    frame = frame.drop(_FIRST) if _FIRST in frame.columns else frame
    if table.upn_suspects is not None:
        table.upn_suspects = (frame, table.upn_suspects[1])
    return frame


def _spacer_rows(cells: dict[str, Cells], present: list[Column], height: int) -> pl.Series:
    """Rows blank in every required column (blank lines, spacer rows): skipped."""
    masks = [cells[c.name].blank for c in present if c.required]
    if not masks or any(m is None for m in masks):
        return pl.repeat(False, height, eager=True)
    out = masks[0]
    for m in masks[1:]:
        out = out & m
    return out


def _totals_rows(frame: pl.DataFrame, cells: dict[str, Cells], drop: pl.Series, table: Table,
                 issues: Issues) -> pl.Series:
    """Rows that fail a check and are labelled 'Total' ('Totals', 'Grand total', 'Subtotal') in the file's
    first column or a text column: a totals row someone added, skipped with a warning, never read as data."""
    found = pl.concat([c.bad[IDX] for c in cells.values()]).unique().sort()
    found = found.filter(~drop.gather(found)).head(MAX_ISSUES_PER_COLUMN)
    rows = table.readable(frame.select(pl.all().gather(found)))  # (a compact table's UPNs and ids as text)
    labelled = [c for c in rows.columns if c != ROW and rows.schema[c] == pl.String]
    if found.is_empty() or not labelled:
        return drop
    label = pl.coalesce(pl.when(pl.col(c).str.strip_chars().str.contains(UPN_TOTAL_LABEL if c == UPN else TOTAL_LABEL))
                        .then(pl.lit(c)) for c in labelled)
    rows = rows.with_columns(*_label_in_bad_cells(cells, found))  # "Total" in a date or number column
    # a report's footer ("Report generated 01/03/2013 by …"): its one cell, every other column blank
    # (every column read counts, text or not; one with no blank cell at all is filled on this row too)
    filled = sum(((~c.blank.gather(found)).cast(pl.Int32) if c.blank is not None else 1 for c in cells.values()),
                 pl.zeros(found.len(), pl.Int32, eager=True))
    footer = pl.coalesce(pl.when(pl.col(c).str.strip_chars().str.contains(UPN_FOOTER_LABEL if c == UPN else
                                                                          FOOTER_LABEL)).then(pl.lit(c))
                         for c in labelled)
    rows = (rows.with_columns(found.alias(IDX), pl.coalesce(label, "_bad_in").alias("_in"), (filled <= 1).alias("_alone"))
            .with_columns(pl.when(pl.col("_in").is_null() & pl.col("_alone")).then(footer).alias("_footer")))
    drop = drop.clone()
    for rec in rows.filter(pl.col("_in").is_not_null() | pl.col("_footer").is_not_null()).iter_rows(named=True):
        column = rec["_in"] or rec["_footer"]
        said = rec["_bad_text"] if column == rec["_bad_in"] and rec[column] is None else rec[column]
        text = (_total_word(said, squeezed=column == UPN) if rec["_in"]
                else None if column == UPN else _footer_word(rec[column]))
        where = table.where(column, rec[ROW])
        if where["field"] in PERSONAL_FIELDS | SCHOOL_FIELDS:  # the label's word is shown: no child's UPN or name
            where["field"] = None
        what = "a totals row" if rec["_in"] else "a report's footer or note"  # (a UPN column's text is squeezed)
        issues.warn("totals_row", f"looks like {what}{f' ({chr(34)}{text}{chr(34)})' if text else ''}, not a row of "
                    "data: skipped", **where, value=text)
        drop[rec[IDX]] = True
    return drop


#: A report's footer or note line, below (or between) the rows of data: "Report generated 01/03/2013 by …",
#: "Printed on …", "End of report", "Page 3 of 7", "Source: …".
FOOTER_LABEL = (r"(?i)^(?:report\s+)?(?:generated|printed|produced|exported|created|run)\s+"
                r"(?:(?:on|by|at|from)\b|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b)"  # ("Printed 02/04/2013 by finance")
                r"|^report\s+(?:generated|printed|produced|run)\b|^end\s+of\s+(?:report|data|list)\b"
                r"|^page\s+\d+(?:\s+of\s+\d+)?$|^source\s*:")


#: FOOTER_LABEL as a UPN column holds it: its spaces taken out, in capitals.
UPN_FOOTER_LABEL = (r"^(?:REPORT)?(?:GENERATED|PRINTED|PRODUCED|EXPORTED|CREATED|RUN)(?:ON|BY|AT|FROM|\d{1,2}[/.-])"
                    r"|^REPORT(?:GENERATED|PRINTED|PRODUCED|RUN)|^ENDOF(?:REPORT|DATA|LIST)|^PAGE\d+(?:OF\d+)?$|^SOURCE:")


def _footer_word(label: str) -> str:
    """A footer's first words as quoted ("Report generated…"): what follows may name a person or a date."""
    found = re.match(r"(?i)(?:report\s+)?\w+(?:\s+(?:on|by|at|from|of))?", label.strip())
    return (found.group(0) if found else label.strip()[:12]) + "…"


def _label_in_bad_cells(cells: dict[str, Cells], found: pl.Series) -> list[pl.Series]:
    """For each row of `found`, the first column (but the UPN's) whose cell could not be read because it says
    "Total" ("Grand total"…): a totals row labelled in a date or number column, whose parsed value is
    no text to look at (`_bad_in`, and the cell's text `_bad_text`)."""
    column, text = [None] * found.len(), [None] * found.len()
    at = {int(i): n for n, i in enumerate(found.to_list())}
    for name, c in cells.items():
        if name == UPN or c.bad.is_empty():
            continue
        hits = c.bad.filter(pl.col(IDX).is_in(found.implode())
                            & pl.col("value").str.strip_chars().str.contains(TOTAL_LABEL).fill_null(False))
        for idx, value in hits.select(IDX, "value").iter_rows():
            if column[at[idx]] is None:
                column[at[idx]], text[at[idx]] = name, value
    return [pl.Series("_bad_in", column, dtype=pl.String), pl.Series("_bad_text", text, dtype=pl.String)]


def _total_word(label: str, squeezed: bool = False) -> str:
    """A totals row's label as quoted: its word alone ('Subtotal…'), since what follows it may name a
    child ('Subtotal: <a child's name>') and the warning is listed in the publishable workbook.  `squeezed`:
    read from the UPN column, without its spaces in capitals (GRANDTOTAL): quoted as the words are written."""
    label = label.strip()
    if squeezed:
        found = re.match(r"(GRAND|SUB-?)?(TOTALS?)", label)
        if found is None:
            return "… Total"
        plural = "s" if found.group(2).endswith("S") else ""
        word = {"GRAND": "Grand total", "SUB": "Subtotal", "SUB-": "Sub-total"}.get(found.group(1) or "",
                                                                                  "Total") + plural
        return word + ("…" if len(found.group(0)) < len(label) else "")
    found = re.match(r"(?i)(?:grand\s*|sub-?\s*)?totals?", label)
    if found is None:  # Excel's Data › Subtotal row: "<the group's value> Total"
        return "… " + re.search(r"(?i)(?:total|count)$", label).group(0)
    word = found.group(0)
    return word if word == label else word + "…"


def _report(cells: Cells, col: Column, rows: pl.Series, drop: pl.Series, table: Table, issues: Issues) -> None:
    """One error per bad cell (up to MAX_ISSUES_PER_COLUMN, then a count), except in skipped rows."""
    bad = cells.bad
    if bad.is_empty():
        return
    bad = bad.with_columns(rows.gather(bad[IDX]).alias(ROW)).filter(~drop.gather(bad[IDX]))
    for message, raw, row in bad.head(MAX_ISSUES_PER_COLUMN).select("message", "value", ROW).iter_rows():
        code = "empty_value" if message == EMPTY else "bad_value"
        # a UPN or a date of birth pasted into another column (a year, a yes/no) is the child's: hidden
        personal = (raw,) if col.kind != Kind.DATE and looks_personal(raw) else ()
        issues.error(code, message, **table.where(col.name, row), value=raw or None, expected=col.expected or None,
                     personal=personal)
    if bad.height > MAX_ISSUES_PER_COLUMN:
        issues.error("bad_value", f"{bad.height - MAX_ISSUES_PER_COLUMN:,} more problems in this column "
                     f"(rows {bad[ROW][MAX_ISSUES_PER_COLUMN]:,} onwards)", **table.where(col.name),
                     expected=col.expected or None)

