"""A Polars frame as a worksheet table: bold filled header on row 1, frozen, filtered, sized.

On a TableSheet (tablesheet.py) the data rows are rendered as XML by Polars, column by
column; on a plain worksheet each column is written cell by cell with a writer chosen once
by the column's type.  Both give the same cells.
"""

from __future__ import annotations

import math

from collections.abc import Callable, Iterator, Sequence

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from . import common
from .tablesheet import EXCEL_EPOCH, FAKE_LEAP_DAY, PART_ROWS, SHORT_TEXT, TableSheet, fit_text
from .xlsx import (MAX_WIDTH, Formats, fit_wrapped, lines_height, lines_in, money_text_width, pages_wide, print_setup,
                   wrapped_header)

CellWriter = Callable[[int, int, object], object]


def visible(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame without internal columns (those whose name starts with `_`)."""
    return frame.select([c for c in frame.columns if not c.startswith("_")])


def cell_writer(ws: Worksheet, name: str, dtype: pl.DataType, fmt: Formats) -> CellWriter:
    """How to write one non-null value of a column."""
    if dtype.is_integer() and common.is_money(name):
        return lambda r, c, v: ws.write_number(r, c, v / 100, fmt.money)
    if dtype.is_integer():
        return lambda r, c, v: ws.write_number(r, c, v, fmt.integer)
    if dtype.is_float() or dtype.is_decimal():
        number_format = float_format(name, fmt)
        # not-a-number and infinities left blank, as float_text leaves them in a table written as XML
        return lambda r, c, v: (None if not math.isfinite(float(v)) else
                                ws.write_number(r, c, float(v), number_format))
    if dtype == pl.Boolean:
        return lambda r, c, v: ws.write_boolean(r, c, v)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return lambda r, c, v: ws.write_datetime(r, c, v, fmt.date)
    return lambda r, c, v: ws.write_string(r, c, str(v))


def float_format(name: str, fmt: Formats):
    """The number format of a column of decimals: per cents, rates in £, or General."""
    return fmt.pct if name.endswith("_pct") else fmt.rate if name in common.RATE_COLUMNS else None


def content_width(series: pl.Series) -> int:
    """The longest shown text of a column, roughly as Excel would display it."""
    if series.is_empty() or series.null_count() == series.len():
        return 0
    dtype = series.dtype
    if dtype.is_integer() and common.is_money(series.name):
        return max(money_text_width(series.min()), money_text_width(series.max()))
    if dtype.is_integer():
        return max(len(f"{series.min():,}"), len(f"{series.max():,}"))
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return 10
    if (dtype.is_float() or dtype.is_decimal()) and (series.name.endswith("_pct")
                                                     or series.name in common.RATE_COLUMNS):
        return shown_number_width(series)
    return int(series.cast(pl.String).str.len_chars().max() or 0)


def shown_number_width(series: pl.Series) -> int:
    """The widest text a column of per cents (`0.00"%"`: 12.50%) or of rates in £ (`£#,##0.00####`: £5,000.00,
    £2,354.3814) shows: its own digits are narrower, and a number wider than its column shows as ####."""
    finite = series.cast(pl.Float64).filter(series.cast(pl.Float64).is_finite())
    if finite.is_empty():
        return 0
    low, high = float(finite.min()), float(finite.max())
    if series.name.endswith("_pct"):
        return max(len(f"{low:.2f}%"), len(f"{high:.2f}%"))
    places = series.cast(pl.String).str.split(".").list.get(1, null_on_oob=True).str.len_chars().max() or 0
    decimals = min(6, max(2, int(places)))
    return max(len(f"{'-' if v < 0 else ''}£{abs(v):,.{decimals}f}") for v in (low, high))


def column_cells(ws: TableSheet, name: str, series: pl.Series, fmt: Formats) -> tuple[pl.Series, int | None, str]:
    """A column's cell values as text, its style index and cell type, as `cell_writer` would write them."""
    dtype, col = series.dtype, pl.col(series.name)
    if dtype.is_integer() and common.is_money(name):
        values = series.to_frame().select(pounds_text(col)).to_series()
        return values, fmt.money._get_xf_index(), ""
    if dtype.is_integer():
        return series.cast(pl.String), fmt.integer._get_xf_index(), ""
    if dtype.is_float() or dtype.is_decimal():
        number_format = float_format(name, fmt)
        return float_text(series), number_format._get_xf_index() if number_format else None, ""
    if dtype == pl.Boolean:
        return series.cast(pl.UInt8).cast(pl.String), None, "b"
    if dtype == pl.Date:
        return series.to_frame().select(excel_serial(col)).to_series().cast(pl.String), fmt.date._get_xf_index(), ""
    return shared_string_indexes(ws.str_table, series).cast(pl.String), None, "s"


#: Fewer rows than this are written cell by cell: a column as XML costs a few Polars operations (about
#: 2 ms each, whatever its length), more than XlsxWriter takes for a few dozen cells.
XML_FROM_ROWS = 64


def renders_as_xml(ws: Worksheet, frame: pl.DataFrame) -> bool:
    """Whether the frame's rows can go in as XML: a TableSheet, enough rows, and types column_cells knows."""
    plain = (pl.String, pl.Boolean, pl.Date)
    return isinstance(ws, TableSheet) and frame.height >= XML_FROM_ROWS and all(
        d.is_integer() or d.is_float() or d.is_decimal() or d in plain for d in frame.dtypes)


def write_frame(ws: Worksheet, frame: pl.DataFrame, fmt: Formats, first_row: int = 0,
                headers: list[str] | None = None, below: dict[str, int] | None = None) -> None:
    """The frame as a table from `first_row`: header (`headers`, default the column names), values
    by type, widths (wide enough too for `below`: the totals row's sums), freeze, filter."""
    names = frame.columns
    shown = headers or names
    wrapped = wider_than_a_column(frame)  # (a long school name, a warning's message: wrapped, not cut at the edge)
    heights = wrapped_heights(frame, wrapped, first_row + 1)
    if renders_as_xml(ws, frame):
        cells = [column_cells(ws, name, frame.get_column(name), fmt) for name in names]
        cells = [(v, fmt.text_wrap._get_xf_index(), t) if name in wrapped else (v, xf, t)
                 for name, (v, xf, t) in zip(names, cells)]
        ws.put_cells(first_row + 1, 0, len(names) - 1, cells_xml(first_row + 1, 0, cells), heights)
    else:
        for row, points in heights.items():
            ws.set_row(row, points)
    widths: list[float] = []
    for c, name in enumerate(names):
        series = frame.get_column(name)
        if not renders_as_xml(ws, frame):
            write = cell_writer(ws, name, series.dtype, fmt)
            if name in wrapped:
                write = lambda r, c, v: ws.write_string(r, c, str(v), fmt.text_wrap)  # noqa: E731
            for r, value in enumerate(series.to_list(), start=first_row + 1):
                if value is not None:
                    write(r, c, value)
        width = content_width(series)
        if below and name in below:  # (a sum is wider than any of its cells: at England's scale, £3,823,503,038.01)
            width = max(width, content_width(pl.Series(name, [below[name]], dtype=series.dtype)))
        widths.append(fit_wrapped(shown[c], width))
        ws.set_column(c, c, widths[-1])
    wrapped_header(ws, first_row, shown, widths, fmt.header_wrap)
    ws.freeze_panes(first_row + 1, 0)
    repeated = repeated_columns(names)
    print_setup(ws, first_row, wide=pages_wide(widths, repeated), repeated=repeated)
    if names:
        ws.autofilter(first_row, 0, first_row + frame.height, len(names) - 1)


def repeated_columns(names: list[str]) -> int:
    """How many leading columns a table printed more than one page wide repeats on each page, so that every page
    says whose each row is: through the first name among the first three columns (a school's id and name; the
    Diff's level, school id and name), else through a child's UPN or a warning's place among the first two (the
    restricted workbook's Reconciliation and Warnings), else the first."""
    for i, name in enumerate(names[:3]):
        if name.endswith("_name") and len(names) > i + 1:
            return i + 1
    for i, name in enumerate(names[:2]):
        if name in ("upn", "where") and len(names) > i + 1:
            return i + 1
    return 1


def wider_than_a_column(frame: pl.DataFrame) -> set[str]:
    """The text columns whose longest text is wider than a column may be (MAX_WIDTH): their cells wrap."""
    return {name for name, dtype in frame.schema.items()
            if dtype == pl.String and content_width(frame.get_column(name)) + 2 > MAX_WIDTH}


def wrapped_heights(frame: pl.DataFrame, wrapped: set[str], first: int) -> dict[int, float]:
    """Row (0-based, the table's first at `first`) → its height, for the rows whose text in a `wrapped` column takes
    more than one line at MAX_WIDTH: spreadsheets keep a row at the height the file gives it."""
    heights: dict[int, float] = {}
    for name in sorted(wrapped):
        texts = frame.get_column(name)
        long = texts.str.len_chars() > MAX_WIDTH  # (only these can take a second line: a few rows of a long table)
        for i, text in zip(long.arg_true().to_list(), texts.filter(long).to_list()):
            lines = lines_in(text, MAX_WIDTH)
            if lines > 1:
                heights[first + i] = max(heights.get(first + i, 0.0), lines_height(lines))
    return heights


def write_table_sheet(ws: Worksheet, frame: pl.DataFrame, fmt: Formats, csv_name: str,
                      headers: list[str] | None = None, totals: bool = False,
                      unsummed: frozenset[str] = frozenset()) -> bool:
    """The frame as the sheet's table, or, over the row limit, one line saying where the CSV is;
    with `totals`, a totals row below it (outside the filter, so sorting leaves it last), leaving
    blank the money columns in `unsummed` (a rate repeated on several lines adds up to nothing).

    Returns whether the table was written to the sheet.
    """
    if frame.height > common.MAX_SHEET_ROWS:
        ws.write_string(0, 0, f"{frame.height:,} rows: see {csv_name}", fmt.bold)
        ws.set_column(0, 0, 40)
        return False
    sums = {c: int(frame.get_column(c).sum()) for c in summed_columns(frame) if c not in unsummed} if totals else None
    write_frame(ws, frame, fmt, headers=headers, below=sums)
    if totals:
        totals_row(ws, frame, fmt, frame.height + 1, sums)
    return True


def summed_columns(frame: pl.DataFrame) -> list[str]:
    """The columns a totals row adds up: money (integer pence) and counts."""
    return [c for c, d in zip(frame.columns, frame.dtypes) if d.is_integer() and c not in common.UNSUMMED_RATES
            and (common.is_money(c) or c in common.COUNT_COLUMNS)]


def totals_row(ws: Worksheet, frame: pl.DataFrame, fmt: Formats, row: int, sums: dict[str, int]) -> None:
    """"Total" and the exact sum of each money and count column (`sums`: column → its sum), in bold, on
    `row` (0-based).

    The label goes in the first text column that is not an id (a name), so that a table read
    back by its id column (last year's Schools sheet, SPEC §5 `previous`) sees a blank id there."""
    text = [c for c, d in zip(frame.columns, frame.dtypes) if d == pl.String and not c.endswith("_id")]
    label_col = frame.columns.index(text[0]) if text else 0
    ws.write_string(row, label_col, "Total", fmt.bold)
    for name, value in sums.items():
        col = frame.columns.index(name)
        if common.is_money(name):
            ws.write_number(row, col, value / 100, fmt.money_bold)
        else:
            ws.write_number(row, col, value, fmt.integer_bold)
    if {"change_pct", "change", "previous_total"} <= set(frame.columns):  # the whole table's change in %
        pct = common.percent_change(int(frame["change"].sum()), int(frame["previous_total"].sum()))
        if pct is not None:
            ws.write_number(row, frame.columns.index("change_pct"), pct, fmt.pct_bold)


# --- rows as XML, column by column (for a TableSheet) ------------------------------------

def pounds_text(pence: pl.Expr) -> pl.Expr:
    """Integer pence as the shortest exact pounds text: 411523 → 4115.23, 411520 → 4115.2, 411500 → 4115."""
    magnitude = pence.abs()
    whole = (magnitude // 100).cast(pl.String)
    part = magnitude % 100
    decimals = (pl.when(part == 0).then(pl.lit(""))
                .when(part % 10 == 0).then(pl.lit(".") + (part // 10).cast(pl.String))
                .otherwise(pl.lit(".") + part.cast(pl.String).str.zfill(2)))
    return pl.when(pence < 0).then(pl.lit("-")).otherwise(pl.lit("")) + whole + decimals


def excel_serial(day: pl.Expr) -> pl.Expr:
    """A date as Excel's serial day number, as XlsxWriter computes it (1900 date system)."""
    days = (day - pl.lit(EXCEL_EPOCH)).dt.total_days()
    return pl.when(days > FAKE_LEAP_DAY).then(days + 1).otherwise(days)


def shared_string_indexes(book_strings, series: pl.Series) -> pl.Series:
    """Each text's index in the workbook's shared-string table, adding new texts in order of
    first appearance (as writing them cell by cell down the column would)."""
    texts = series.cast(pl.String)
    uniques = texts.drop_nulls().unique(maintain_order=True)
    table = getattr(book_strings, "string_table", None)  # XlsxWriter 3's (pinned); else one at a time
    if (uniques.is_empty() or uniques.str.len_chars().max() > SHORT_TEXT or not isinstance(table, dict)
            or not isinstance(getattr(book_strings, "unique_count", None), int)):
        # a text that may be cut to Excel's limit (two could become one): one at a time, as XlsxWriter does
        indexes = [book_strings._get_shared_string_index(fit_text(text)) for text in uniques.to_list()]
        book_strings.count += texts.len() - texts.null_count() - len(indexes)  # one count per cell
    else:
        # the same table, added to in bulk: the texts not yet in it take the next indexes, in order
        # (England's Reconciliation sheet: 99,007 UPNs, a tenth of the time of one at a time)
        listed = uniques.to_list()
        new = [text for text in listed if text not in table]
        table.update(zip(new, range(book_strings.unique_count, book_strings.unique_count + len(new))))
        book_strings.unique_count += len(new)
        indexes = list(map(table.__getitem__, listed))
        book_strings.count += texts.len() - texts.null_count()  # one count per cell
    if not indexes:
        return pl.Series(series.name, [None] * series.len(), dtype=pl.UInt32)
    return texts.replace_strict(uniques, pl.Series(indexes, dtype=pl.UInt32), default=None,
                                return_dtype=pl.UInt32)


def float_text(series: pl.Series) -> pl.Series:
    """Floats as XlsxWriter writes them (`%.16G`); not-a-number and infinities left blank."""
    return pl.Series(series.name, [None if v is None or v != v or v in (float("inf"), float("-inf"))
                                   else f"{float(v):.16G}" for v in series.to_list()], dtype=pl.String)


def cell_xml(ref: str, value: pl.Expr, style: int | None, kind: str = "") -> pl.Expr:
    """`<c r="B7" s="3" t="s"><v>…</v></c>` around a text value; empty where the value is null."""
    attrs = (f' s="{style}"' if style else "") + (f' t="{kind}"' if kind else "")
    return pl.concat_str(pl.lit(f'<c r="{ref}'), pl.col("_r"), pl.lit(f'"{attrs}><v>'), value,
                         pl.lit("</v></c>")).fill_null("")


def cells_xml(first_row: int, first_col: int, columns: list[tuple[pl.Series, int | None, str]]) -> XmlRows | list[str]:
    """Each row's `<c>` elements, from (0-based) first_row and first_col: `columns` holds, per
    column, its cell values as text, its style index and its cell type; nulls are left out.
    The rows are made as they are written (XmlRows), a slice at a time."""
    if not columns or not len(columns[0][0]):
        return []
    body = pl.DataFrame([values.cast(pl.String).alias(f"_v{c}") for c, (values, _, _) in enumerate(columns)])
    body = body.with_columns(pl.int_range(first_row + 1, first_row + 1 + body.height, dtype=pl.Int64)
                             .cast(pl.String).alias("_r"))
    cells = [cell_xml(xl_col_to_name(first_col + c), pl.col(f"_v{c}"), style, kind)
             for c, (_, style, kind) in enumerate(columns)]
    return XmlRows(body, pl.concat_str(cells).alias("xml"))


class XmlRows(Sequence[str]):
    """A table's rows of `<c>` elements, rendered by Polars a slice of PART_ROWS rows at a time
    as the sheet is written (TableSheet writes them `in_parts`): a table of 100,000 rows is
    never in memory as 100,000 strings, nor as one string of its whole XML."""

    def __init__(self, body: pl.DataFrame, xml: pl.Expr, start: int = 0, stop: int | None = None):
        self._body, self._xml = body, xml
        self._start, self._stop = start, body.height if stop is None else stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return XmlRows(self._body, self._xml, self._start + start, self._start + max(start, stop))
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._rendered(self._start + index % len(self), 1)[0]

    def __iter__(self) -> Iterator[str]:
        for part in self.parts():
            yield from part

    def parts(self) -> Iterator[list[str]]:
        """The rows, PART_ROWS at a time."""
        for at in range(self._start, self._stop, PART_ROWS):
            yield self._rendered(at, min(PART_ROWS, self._stop - at))

    def _rendered(self, at: int, count: int) -> list[str]:
        return self._body.slice(at, count).select(self._xml).get_column("xml").to_list()
