"""A worksheet that takes a table's rows as ready-made XML, instead of cell by cell.

XlsxWriter spends about 6 µs of Python on every cell it writes; the England-scale workbook
has some 700,000 cells (the Schools and Workings sheets), which took about 4 s.  Here a
table's rows are rendered as `<row>` elements in one pass (by Polars for the workbook's
tables, tables.py; by plain Python for a return's children, returnbook.py) and written
into the sheet's `<sheetData>` where XlsxWriter would have written them, in the same cell
forms:

- text goes into the workbook's shared-string table through XlsxWriter's own index (so it
  is escaped there, and a value beginning with `=` stays text, never a formula);
- integer pence become pounds written from integer arithmetic (`4115.23`, `4115.2`,
  `4115`: what XlsxWriter's `%.16G` gives for pence / 100) under the money format;
- dates become Excel serial days under the date format; other integers, floats and
  booleans as XlsxWriter writes them.

Everything else about the sheet (header, widths, freeze panes, filters, comments, text
boxes, charts) is still XlsxWriter's.  The class relies on two XlsxWriter internals,
`Worksheet._write_rows` and the worksheet's `str_table`; tests/test_outputs.py reads the
results back with openpyxl and fastexcel, so a change in them shows there.  This module is
free of Polars: the processes writing the returns use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

from xlsxwriter.worksheet import Worksheet

#: Excel's day 1 is 1 January 1900, and it counts a 29 February 1900 that never was (day 60).
EXCEL_EPOCH = date(1899, 12, 31)
FAKE_LEAP_DAY = 59
#: XlsxWriter truncates longer text to this many UTF-16 units; so does this module.
MAX_TEXT = 32_767
MAX_FOOTER = 255  # Excel's limit on a printed header or footer, its & codes included


class TableSheet(Worksheet):
    """A worksheet that can take tables' cells as pre-rendered XML (`put_cells`).

    Tables may sit side by side (a scenario's schools and, to their right, its clusters); but
    a row that has XML cells must have no cell written the ordinary way."""

    def __init__(self) -> None:
        super().__init__()
        self._blocks: list[tuple[int, int, Sequence[str]]] = []  # (first row, first column, each row's cells' XML)
        self._tall: dict[int, str] = {}  # a row (1-based) of the XML rows with a height of its own → its attributes

    def put_cells(self, first_row: int, first_col: int, last_col: int, rows: Sequence[str],
                  heights: dict[int, float] | None = None) -> None:
        """Take the `<c>` elements of rows first_row, first_row + 1, … (0-based), one string per
        row (a list, or rows made as they are written: tables.XmlRows), covering columns
        first_col..last_col (a null cell is simply left out); `heights` gives the rows (0-based)
        that are taller than the default, in points (a cell whose text wraps on several lines)."""
        if not rows:
            return
        self._check_dimensions(first_row, first_col)
        self._check_dimensions(first_row + len(rows) - 1, last_col)
        self._blocks.append((first_row, first_col, rows))
        self._tall.update({row + 1: height_attributes(points) for row, points in (heights or {}).items()})

    def _write_rows(self) -> None:
        """XlsxWriter's rows, with the XML rows in their places."""
        if not self._blocks:
            super()._write_rows()
            return
        low, high = self.dim_rowmin, self.dim_rowmax
        start = low
        try:
            for first, rows in self._row_runs():
                clash = next((r for r in range(first, first + len(rows)) if self.table.get(r)), None)
                if clash is not None:
                    raise ValueError(f"row {clash + 1} has cells written both ways")
                if first > start:
                    self.dim_rowmin, self.dim_rowmax = start, first - 1
                    super()._write_rows()
                at = first + 1
                for part in in_parts(rows):  # a large table a part at a time: never all its XML at once
                    self.fh.write(row_elements(part, at, self._tall))
                    at += len(part)
                start = first + len(rows)
            if start <= high:
                self.dim_rowmin, self.dim_rowmax = start, high
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = low, high

    def _row_runs(self) -> list[tuple[int, Sequence[str]]]:
        """The XML rows as runs of consecutive rows, in row order.  Where blocks share rows (tables
        side by side), those rows' cells are joined left to right; elsewhere a block's rows are
        taken as they are."""
        edges = sorted({b[0] for b in self._blocks} | {b[0] + len(b[2]) for b in self._blocks})
        blocks = sorted(self._blocks, key=lambda b: b[1])  # left to right
        runs: list[tuple[int, Sequence[str]]] = []
        for low, high in zip(edges, edges[1:]):  # the blocks covering a row are the same all through [low, high)
            here = [(first, rows) for first, _, rows in blocks if first <= low and high <= first + len(rows)]
            if len(here) == 1:
                first, rows = here[0]
                runs.append((low, rows[low - first:high - first]))
            elif here:
                parts = [list(rows[low - first:high - first]) for first, rows in here]
                runs.append((low, ["".join(cells) for cells in zip(*parts)]))
        return runs


def row_elements(rows: Sequence[str], first: int, tall: dict[int, str]) -> str:
    """Rows of cells' XML as `<row>` elements numbered from `first` (1-based), each with its height's
    attributes from `tall` (height_attributes, by row) where it has one."""
    if tall:
        return "".join([f'<row r="{r}"{tall.get(r, "")}>{cells}</row>' for r, cells in enumerate(rows, start=first)])
    return "".join([f'<row r="{r}">{cells}</row>' for r, cells in enumerate(rows, start=first)])


#: A row's height in pixels when it has none of its own (15 points).
DEFAULT_ROW_PIXELS = 20


@lru_cache(maxsize=256)
def height_attributes(points: float) -> str:
    """A `<row>`'s attributes for a height in points, as XlsxWriter's `set_row` writes them (none for the default)."""
    pixels = int(points * 4.0 / 3.0 + 0.5)
    return "" if pixels == DEFAULT_ROW_PIXELS else f' ht="{pixels * 0.75:.16g}" customHeight="1"'


#: Rows of XML written at a time (a few MB of text).
PART_ROWS = 8192


def in_parts(rows: Sequence[str]) -> Iterator[Sequence[str]]:
    """The rows a part at a time: as the rows make their parts (tables.XmlRows, rendered by Polars a
    slice at a time), else slices of the list."""
    parts = getattr(rows, "parts", None)
    if parts is not None:
        yield from parts()
        return
    for at in range(0, len(rows), PART_ROWS):
        yield rows[at:at + PART_ROWS]


#: Text no longer than this is within Excel's cell limit whatever its characters (two UTF-16 units each at most).
SHORT_TEXT = MAX_TEXT // 2


def fit_text(text: str) -> str:
    """Text within Excel's cell limit (checked cheaply first, as XlsxWriter does)."""
    return text if len(text) <= SHORT_TEXT else fit_units(text, MAX_TEXT)


def utf16_units(text: str) -> int:
    """How long Excel counts `text`: in UTF-16 units (an emoji is two).  senrun's own, as XlsxWriter 3.3 counts
    (its `_utf16_len` is private: the releases before 3.3 that pyproject allows have none)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit_units(text: str, room: int) -> str:
    """`text` cut to at most `room` UTF-16 units, as Excel counts them (a cell, a footer, a sheet name), never
    inside a character above U+FFFF: as XlsxWriter 3.3 cuts a cell's text."""
    if utf16_units(text) <= room:
        return text
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > room:
            return text[:index]
    return text
