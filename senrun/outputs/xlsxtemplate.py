"""Workbooks of one shape written from a template: the per-school returns, the cluster packs.

XlsxWriter spends most of a return's time on things that are the same in every return:
making a workbook and its formats, a worksheet, a cell object for every value, and the
sheet's XML around the cells.  A return's drawing code (returnbook.py) only calls a few of a
worksheet's methods — `write_string`, `write_number`, `put_cells` (tablesheet.py), the
column widths, the print setup and the footer — so here those calls are taken by a
:class:`CellSheet`, which writes each cell's XML at once, in the form XlsxWriter writes it
(shared strings `t="s"` through XlsxWriter's own string table, numbers with `%.16G`, the
style index of each format), and the sheet is assembled from the template:

- the sheet's XML before its dimension, between the dimension and the rows (sheet view,
  widths), and after the rows (margins, page setup) up to the footer, which is escaped as
  XlsxWriter escapes it;
- the rows as `Worksheet._write_rows` and `TableSheet._write_rows` write them, each with the
  `spans` of its block of 16 rows (the XML rows of a `put_cells` block without);
- the shared strings and the core properties (the title) by XlsxWriter's own classes
  (xlsxfast), and the seven other parts kept, compressed, from the first return.

A process learns its template from the first return XlsxWriter writes in full (`learn`): it
takes the fixed parts and the style indexes from it, draws the same return again on a
CellSheet and keeps the template only if that gives the very same bytes.  A later return
whose drawing calls anything else, passes a value of another kind, or sets other widths or
print settings than the first (`Unusual`) is left to XlsxWriter.  `self_check` (run by
xlsxpack before any of this is used) does the same on reference workbooks of its own.

A workbook of several sheets (a cluster pack: packbook.py) is drawn on one CellSheet per sheet,
sharing one string table, and each sheet is assembled as above; its merged range (`merge_range`:
the text and formatted blanks, and `<mergeCells>` after the rows), its rows' heights (`set_row`,
on rows with cells) and its frozen, repeated header rows (`freeze_panes`, `repeat_rows`, compared
as settings like the widths) are taken too.  A pack's formats are not registered beforehand, so
XlsxWriter numbers them in the order its cells first use them, sheet by sheet, row by row: a
template learnt from such a workbook keeps that order of style indexes, and a later workbook whose
cells first use them in another order (so whose styles part differs) is left to XlsxWriter.

This module reaches into XlsxWriter's private classes; nothing imports it but `xlsxpack`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from math import isinf, isnan
from itertools import groupby

from xlsxwriter.utility import xl_col_to_name, xl_range, xl_range_abs
from xlsxwriter.workbook import Workbook
from xlsxwriter.xmlwriter import XMLwriter

from .common import FIXED_CREATED
from .tablesheet import MAX_FOOTER, SHORT_TEXT, TableSheet, fit_text, height_attributes, row_elements, utf16_units
from .xlsxfast import CORE_PART, STRINGS_PART, Member, compress, si_xml, zip_entries, zip_entry

#: Excel's limits, as XlsxWriter checks them: rows and columns (and, in tablesheet.py, text in a cell and a footer).
MAX_ROWS = 1_048_576
COL_BITS = 14  # 16,384 columns: a cell's key is row << COL_BITS | column
MAX_COLS = 1 << COL_BITS
COL_MASK = MAX_COLS - 1
ROW_OF = COL_BITS.__rrshift__  # key → row, called from C
NUMBERS = (int, float)
#: Column letters of the columns a template's sheet may use (A to IV), made once.
COLUMN_NAMES = [xl_col_to_name(c) for c in range(256)]
NAMED_COLS = len(COLUMN_NAMES)
#: Workbook parts' zip entries kept per process, by their text (a few: the rows the pages repeat, filters' ranges).
KEEP_WORKBOOKS = 64
#: Shared strings' XML kept per process (the labels every return repeats), up to this many.
KEEP_STRINGS = 4096
#: The parts' XML around what varies (XlsxWriter 3's order of elements): the sheet's dimension,
#: rows and footer; the shared strings' counts and strings; the core properties' title.
SHEET_SHAPE = re.compile(r'(.*?<dimension ref=")[^"]*("/>.*?<sheetData>)(.*)(</sheetData>.*?<oddFooter>)(.*)'
                         r'(</oddFooter>.*)', re.S)
STRINGS_SHAPE = re.compile(r'(.*?<sst [^>]*count=")\d+(" uniqueCount=")\d+(">)(.*)(</sst>.*)', re.S)
CORE_SHAPE = re.compile(r"(.*?<dc:title>)(.*)(</dc:title>.*)", re.S)
#: A sheet's merged ranges, just after its rows; and a cell's style index.
MERGES = re.compile(r'</sheetData>(?:<autoFilter ref="[^"]*"/>)?'
                    r'(?:<mergeCells count="\d+">(?:<mergeCell ref="[^"]*"/>)*</mergeCells>)?')
#: The workbook part, which names each sheet's autofilter range (hidden `_xlnm._FilterDatabase` names).
WORKBOOK_PART = "xl/workbook.xml"
FILTER_NAME = re.compile(r'(<definedName name="_xlnm\._FilterDatabase" localSheetId="(\d+)" hidden="1">[^<]*!)'
                         r'[^<!]*(?=</definedName>)')
#: A sheet's print-title rows in the workbook part (`Return!$25:$25`, after any repeated columns): where a return's
#: children's header falls varies with what comes before it.
TITLES_NAME = re.compile(r'(<definedName name="_xlnm\.Print_Titles" localSheetId="(\d+)">[^<]*!)\$\d+:\$\d+'
                         r'(?=</definedName>)')
STYLE_OF_CELL = re.compile(r' s="(\d+)"')


class Unusual(Exception):
    """A sheet the template does not cover; it is written by XlsxWriter instead."""


class Style:
    """A format as a return's cells refer to it: its index in the styles part."""

    __slots__ = ("xf", "attribute")

    def __init__(self, xf: int) -> None:
        self.xf = xf
        self.attribute = f' s="{xf}"'

    def _get_xf_index(self) -> int:
        return self.xf


def styles_of(formats: object) -> object:
    """A copy of a dataclass of XlsxWriter formats (xlsx.Formats) with each format as its Style."""
    if not is_dataclass(formats):
        raise Unusual("formats")
    return replace(formats, **{f.name: Style(getattr(formats, f.name)._get_xf_index()) for f in fields(formats)})


class Strings:
    """A shared-string table as XlsxWriter's (SharedStringTable): each string's index, first come
    first numbered, and how many cells refer to strings."""

    __slots__ = ("index", "count")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def _get_shared_string_index(self, string: str) -> int:
        self.count += 1
        index = self.index.get(string)
        if index is None:
            index = self.index[string] = len(self.index)
        return index


class CellSheet:
    """Takes a return's drawing in place of its worksheet, writing each cell's XML as XlsxWriter
    would; what it does not take raises Unusual (see the module's text)."""

    def __init__(self, strings: Strings | None = None) -> None:
        self.str_table = strings if strings is not None else Strings()  # a workbook's sheets share one
        self.cells: dict[int, str] = {}  # row << COL_BITS | column → the cell's XML (a cell written twice: the last)
        self.blocks: list[tuple[int, int, int, list[str]]] = []  # put_cells: first row, columns, rows' XML
        self.settings: list[tuple] = []  # widths, panes and print settings, in order
        self.heights: dict[int, str] = {}  # set_row: row → its <row> element's height attributes
        self.tall: dict[int, str] = {}  # put_cells' rows (1-based) with a height of their own → its attributes
        self.merges: list[str] = []  # merge_range: each range's reference, in order
        self.filter: tuple[int, int, int, int] | None = None  # autofilter: first row, column, last row, column
        self.footer: str | None = None
        self.fit_page = 0  # as Worksheet.fit_page, which xlsx.finish_print reads

    def __getattr__(self, name: str):
        raise Unusual(name)  # a worksheet method the template does not cover

    def write_string(self, row: int, col: int, string: str, cell_format: Style | None = None) -> int:
        """Worksheet.write_string: a shared string, cut to Excel's limit as XlsxWriter cuts it."""
        if string.__class__ is not str:
            raise Unusual("text")
        error = 0
        if len(string) > SHORT_TEXT:
            fitted = fit_text(string)
            error = 0 if fitted is string else -2  # XlsxWriter's code for text cut to Excel's limit
            string = fitted
        strings = self.str_table
        strings.count += 1
        index = strings.index.get(string)
        if index is None:
            index = strings.index[string] = len(strings.index)
        self._put(row, col, cell_format, f' t="s"><v>{index}</v></c>')
        return error

    def write_number(self, row: int, col: int, number: float, cell_format: Style | None = None) -> int:
        """Worksheet.write_number, for ints and floats (NaN and infinities are XlsxWriter's to refuse)."""
        if number.__class__ not in NUMBERS or isnan(number) or isinf(number):
            raise Unusual("number")
        self._put(row, col, cell_format, f'><v>{number:.16G}</v></c>')
        return 0

    def write_blank(self, row: int, col: int, blank: object, cell_format: Style | None = None) -> int:
        """Worksheet.write_blank: a formatted cell with no value (none at all without a format)."""
        if cell_format is not None:
            self._put(row, col, cell_format, "/>")
        return 0

    def write_values(self, first_row: int, rows: list[tuple], bold_rows: frozenset[int],
                     forms: tuple[tuple, tuple], text_styles: tuple[tuple, tuple]) -> None:
        """A table's rows of values from row `first_row`, each cell as `write_string`, `write_number` and
        `write_blank` would write it one by one, in the same order (packbook.write_values, whose rules these are),
        without a call per cell: a cluster pack's tables are most of its cells.  A row is bold when its number
        (0-based, within `rows`) is in `bold_rows`; `forms[bold][column]` is how a number shows there — (style,
        divisor), the value written divided by 100 where the divisor is 100 (pence as pounds) — or None for a
        text column; text (a str, or any value in a text column) is under `text_styles[bold][column]`, and text
        that is empty is left out, or written as a formatted blank under a style; None is left out."""
        cells, strings = self.cells, self.str_table
        index = strings.index
        for r, values in enumerate(rows):
            row = first_row + r
            if row.__class__ is not int or not 0 <= row < MAX_ROWS or len(values) > NAMED_COLS:
                raise Unusual("rows")
            bold = r in bold_rows
            row_forms, row_text = forms[bold], text_styles[bold]
            at, ref = row << COL_BITS, f"{row + 1}"
            for col, value in enumerate(values):
                if value is None:
                    continue
                form = row_forms[col]
                if form is None or isinstance(value, str):
                    text, text_style = str(value), row_text[col]
                    if len(text) > SHORT_TEXT:
                        text = fit_text(text)
                    if text == "":
                        if text_style is not None:
                            cells[at | col] = f'<c r="{COLUMN_NAMES[col]}{ref}"{text_style.attribute}/>'
                        continue
                    strings.count += 1
                    number = index.get(text)
                    if number is None:
                        number = index[text] = len(index)
                    style = "" if text_style is None else text_style.attribute
                    cells[at | col] = f'<c r="{COLUMN_NAMES[col]}{ref}"{style} t="s"><v>{number}</v></c>'
                    continue
                style, divisor = form
                if divisor == 100:
                    value = value / 100
                kind = value.__class__
                if kind is not int and (kind is not float or isnan(value) or isinf(value)):
                    raise Unusual("number")
                cells[at | col] = f'<c r="{COLUMN_NAMES[col]}{ref}"{style.attribute}><v>{value:.16G}</v></c>'

    def _put(self, row: int, col: int, cell_format: Style | None, rest: str) -> None:
        """A cell's XML at (row, col): its reference and style, then `rest` (its type and value)."""
        try:
            name = COLUMN_NAMES[col] if 0 <= col < NAMED_COLS else _far(col)
            style = "" if cell_format is None else cell_format.attribute
            self.cells[(row << COL_BITS) | col] = f'<c r="{name}{row + 1}"{style}{rest}'
        except (TypeError, AttributeError) as exc:  # not a cell's place, not a Style
            raise Unusual("cell") from exc

    def put_cells(self, first_row: int, first_col: int, last_col: int, rows: list[str],
                  heights: dict[int, float] | None = None) -> None:
        """TableSheet.put_cells: rows of ready-made cells, some of them taller than the default."""
        if not rows:
            return
        if first_row.__class__ is not int or first_col.__class__ is not int or last_col.__class__ is not int:
            raise Unusual("rows")
        self.blocks.append((first_row, first_col, last_col, rows))
        self.tall.update({row + 1: height_attributes(points) for row, points in (heights or {}).items()})

    def set_row(self, row: int, height: float | None = None, cell_format: object = None,
                options: dict | None = None) -> int:
        """Worksheet.set_row for a row's height, on a row that has cells (its XML: `_write_row`)."""
        if cell_format is not None or options or height.__class__ not in NUMBERS or row.__class__ is not int \
                or not 0 <= row < MAX_ROWS or not self.cells:
            raise Unusual("row")  # a format, hiding, outlines; or a row that could widen the dimension
        if int(height * 4.0 / 3.0 + 0.5) <= 0:
            raise Unusual("row")  # hidden
        self.heights[row] = height_attributes(height)
        return 0

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, data: object,
                    cell_format: Style | None = None) -> int:
        """Worksheet.merge_range of text under a format: the text in the first cell, formatted blanks in the others."""
        if data.__class__ is not str or not data or cell_format is None or self.merges:
            raise Unusual("merge")  # another kind of value, a blank, or a second range (XlsxWriter checks overlaps)
        if not (0 <= first_row <= last_row < MAX_ROWS and 0 <= first_col <= last_col < NAMED_COLS) \
                or (first_row, first_col) == (last_row, last_col):
            raise Unusual("merge")
        self.write_string(first_row, first_col, data, cell_format)
        style = cell_format.attribute
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                if row != first_row or col != first_col:
                    self.cells[(row << COL_BITS) | col] = f'<c r="{COLUMN_NAMES[col]}{row + 1}"{style}/>'
        self.merges.append(f"{COLUMN_NAMES[first_col]}{first_row + 1}:{COLUMN_NAMES[last_col]}{last_row + 1}")
        return 0

    def autofilter(self, first_row: int, first_col: int, last_row: int, last_col: int) -> int:
        """Worksheet.autofilter over a range in order (its place in the settings, its range in the
        sheet's `<autoFilter>` and the workbook's hidden `_xlnm._FilterDatabase` name)."""
        values = (first_row, first_col, last_row, last_col)
        if self.filter is not None or any(v.__class__ is not int for v in values) \
                or not (0 <= first_row <= last_row < MAX_ROWS - 1 and 0 <= first_col <= last_col < NAMED_COLS):
            raise Unusual("autofilter")  # a second filter, or a range XlsxWriter writes otherwise (whole columns)
        self.filter = values
        self.settings.append(("autofilter",))
        return 0

    def freeze_panes(self, row: int, col: int, top_row: int | None = None, left_col: int | None = None,
                     pane_type: int = 0) -> None:
        self.settings.append(("freeze_panes", row, col, top_row, left_col, pane_type))

    def repeat_rows(self, first_row: int, last_row: int | None = None) -> None:
        self.settings.append(("repeat_rows", first_row, last_row))

    def repeat_columns(self, first_col: int, last_col: int | None = None) -> None:
        self.settings.append(("repeat_columns", first_col, last_col))

    def print_across(self) -> None:
        self.settings.append(("print_across",))

    def set_column(self, first_col: int, last_col: int, width: float | None = None, cell_format: object = None,
                   options: dict | None = None) -> int:
        if cell_format is not None or options:
            raise Unusual("column format")
        self.settings.append(("set_column", first_col, last_col, width))
        return 0

    def set_landscape(self) -> None:
        self.settings.append(("set_landscape",))

    def set_portrait(self) -> None:
        self.settings.append(("set_portrait",))

    def set_paper(self, paper: int) -> None:
        self.settings.append(("set_paper", paper))

    def set_margins(self, left: float = 0.7, right: float = 0.7, top: float = 0.75, bottom: float = 0.75) -> None:
        self.settings.append(("set_margins", left, right, top, bottom))

    def fit_to_pages(self, width: int, height: int) -> None:
        self.settings.append(("fit_to_pages", width, height))
        self.fit_page = 1

    def set_footer(self, footer: str = "", options: dict | None = None, margin: float | None = None) -> None:
        """Worksheet.set_footer for text: what XlsxWriter would refuse (too long, an image) is left to it."""
        if footer.__class__ is not str or not footer or options is not None or margin is not None:
            raise Unusual("footer")
        footer = footer.replace("&[Picture]", "&G")
        if "&G" in footer or utf16_units(footer) > MAX_FOOTER:
            raise Unusual("footer")
        self.footer = footer


def _far(col: int) -> str:
    raise Unusual("column")  # further right than a return goes: left to XlsxWriter


def sheet_rows(sheet: CellSheet) -> tuple[str, str]:
    """The sheet's rows as XlsxWriter's Worksheet and TableSheet write them, and its dimension.

    Cells written one by one go in row and column order, each row with the `spans` of the
    columns used in its block of 16 rows; where put_cells blocks interrupt the rows, XlsxWriter
    counts the spans of the rows between two blocks apart from the others."""
    cells = sheet.cells
    blocks = sorted(sheet.blocks)
    tops, ends = [b[0] for b in blocks], [b[0] + len(b[3]) for b in blocks]
    if any(ends[i] > tops[i + 1] for i in range(len(blocks) - 1)):
        raise Unusual("rows")  # blocks that overlap: TableSheet would join them
    rows: list[tuple] = []  # (row, how many blocks are above it, its cells' keys, its span's key)
    spans: dict[int, list[int]] = {}  # (blocks above << 16 | row // 16) → the columns its rows begin and end at
    part, count = 0, len(blocks)
    for row, group in groupby(sorted(cells), ROW_OF):
        keys = list(group)
        while part < count and row >= tops[part]:
            if row < ends[part]:
                raise Unusual("rows")  # a row written both ways: XlsxWriter's to refuse
            part += 1
        at = (part << 16) | (row >> 4)
        spans.setdefault(at, []).extend((keys[0] & COL_MASK, keys[-1] & COL_MASK))
        rows.append((row, part, keys, at))
    text = {at: f"{min(cols) + 1}:{max(cols) + 1}" for at, cols in spans.items()}
    heights = sheet.heights
    if heights and not heights.keys() <= {r[0] for r in rows}:
        raise Unusual("row")  # a height on a row without cells (or on a put_cells row)
    cell = cells.__getitem__
    out, done = [], 0
    for row, part, keys, at in rows:
        while done < part:  # the blocks above the row first
            out.append(_block_rows(blocks[done], sheet.tall))
            done += 1
        height = heights.get(row, "") if heights else ""
        out.append(f'<row r="{row + 1}" spans="{text[at]}"{height}>{"".join(map(cell, keys))}</row>')
    out += [_block_rows(block, sheet.tall) for block in blocks[done:]]
    return "".join(out), dimension(rows, spans, blocks)


def _block_rows(block: tuple, tall: dict[int, str]) -> str:
    top, _, _, xml_rows = block
    return row_elements(xml_rows, top + 1, tall)


def dimension(rows: list[tuple], spans: dict, blocks: list[tuple]) -> str:
    """The sheet's used range, as `Worksheet._write_dimension` writes it."""
    tops = [rows[0][0], rows[-1][0]] if rows else []
    tops += [b[0] for b in blocks] + [b[0] + len(b[3]) - 1 for b in blocks]
    cols = [min(c) for c in spans.values()] + [max(c) for c in spans.values()] + [b[1] for b in blocks] \
        + [b[2] for b in blocks]
    if not tops:
        raise Unusual("empty")
    row_min, row_max, col_min, col_max = min(tops), max(tops), min(cols), max(cols)
    if row_min < 0 or col_min < 0 or row_max >= MAX_ROWS or col_max >= NAMED_COLS:
        raise Unusual("cell")
    first = f"{COLUMN_NAMES[col_min]}{row_min + 1}"
    if row_min == row_max and col_min == col_max:
        return first
    return f"{first}:{COLUMN_NAMES[col_max]}{row_max + 1}"


def auto_filter(sheet: CellSheet) -> str:
    """The sheet's autofilter, as `Worksheet._write_auto_filter` writes it (no filter set on a column)."""
    return "" if sheet.filter is None else f'<autoFilter ref="{xl_range(*sheet.filter)}"/>'


def merge_cells(sheet: CellSheet) -> str:
    """The sheet's merged ranges, as `Worksheet._write_merge_cells` writes them."""
    if not sheet.merges:
        return ""
    cells = "".join([f'<mergeCell ref="{ref}"/>' for ref in sheet.merges])
    return f'<mergeCells count="{len(sheet.merges)}">{cells}</mergeCells>'


def style_order(rows: list[str]) -> tuple[str, ...]:
    """The style indexes of the sheets' cells in the order XlsxWriter meets them as it writes the sheets
    (`Format._get_xf_index`, called first for a format's first cell, numbers the formats)."""
    seen: dict[str, None] = {}
    for xml in rows:
        seen.update(dict.fromkeys(STYLE_OF_CELL.findall(xml)))
    return tuple(seen)


def sheet_part(number: int) -> str:
    """The package's name for the workbook's sheet `number` (from 1)."""
    return f"xl/worksheets/sheet{number}.xml"


class SheetTemplate:
    """The fixed parts of a workbook of one shape and its varying parts' XML around what varies (see
    the module's text): each sheet's, the shared strings', the title's."""

    def __init__(self, parts: list[tuple[str, Member | None]], xml: dict[str, str], styles: object,
                 settings: list[list], single: bool) -> None:
        shapes = [SHEET_SHAPE.fullmatch(xml[sheet_part(i)]) for i in range(1, len(settings) + 1)]
        merges = [None if m is None else MERGES.match(m.group(4)) for m in shapes]
        strings, core = STRINGS_SHAPE.fullmatch(xml[STRINGS_PART]), CORE_SHAPE.fullmatch(xml[CORE_PART])
        #: with autofilters, the workbook part around each filter's range: texts, and the sheet (0-based) between
        self.workbook = filter_pieces(xml[WORKBOOK_PART]) if WORKBOOK_PART in xml else None
        #: whether the rows a sheet's printed pages repeat are written for each workbook (settings_shape)
        self.titles = any(isinstance(piece, tuple) for piece in self.workbook or ())
        if None in shapes or None in merges or strings is None or core is None:
            raise ValueError("a part is not of the shape the template knows")
        # each sheet's XML before its dimension, before its rows, after any merged ranges up to the footer, after it
        self.sheets = [(m.group(1), m.group(2), m.group(4)[cut.end():], m.group(6)) for m, cut in zip(shapes, merges)]
        strings, core = strings.groups(), core.groups()
        self.strings = strings[0], strings[1], strings[2], strings[4]
        self.core = core[0], core[2]
        self.parts = [(name, None if m is None else zip_entry(m)) for name, m in parts]
        self.styles = styles
        self.settings = settings
        self.single = single  # draw takes the one sheet, not a list of them
        #: The style indexes in the order the sheets' cells first use them, when that order numbers the
        #: formats (None when the formats were numbered before drawing: xlsx.register_formats).
        self.style_order: tuple[str, ...] | None = None
        self.known: dict[str, str] = {}  # shared strings' XML
        self.workbooks: dict[str, tuple] = {}  # the workbook part's zip entry by its text
        self._escape = XMLwriter()

    def render(self, title: str, draw: Callable[[object, object], None]) -> bytes | None:
        """The workbook's bytes when `draw(sheets, formats)` draws sheets the template covers, else None."""
        parts = self.render_parts(title, draw)
        return None if parts is None else self.zip(parts)

    def render_parts(self, title: str, draw: Callable[[object, object], None]) -> dict[str, str] | None:
        """The varying parts' XML when `draw(sheets, formats)` draws sheets the template covers, else None."""
        sheets = self.new_sheets()
        try:
            draw(sheets[0] if self.single else sheets, self.styles)
            return self.parts_of(sheets, title)
        except Unusual:
            return None

    def new_sheets(self) -> list[CellSheet]:
        """Sheets to draw on, sharing one string table as a workbook's do."""
        strings = Strings()
        return [CellSheet(strings) for _ in self.settings]

    def parts_of(self, sheets: list[CellSheet], title: str) -> dict[str, str]:
        """The XML of drawn sheets' varying parts: each sheet, their shared strings, the title."""
        if not sheets[0].str_table.count:
            raise Unusual("shape")
        drawn = []
        for sheet, settings in zip(sheets, self.settings, strict=True):
            if settings_shape(sheet.settings, self.titles) != settings_shape(settings, self.titles) \
                    or sheet.footer is None:
                raise Unusual("shape")
            drawn.append(sheet_rows(sheet))
        if self.style_order is not None and style_order([rows for rows, _ in drawn]) != self.style_order:
            raise Unusual("styles")  # formats first used in another order: XlsxWriter would number them otherwise
        parts = {sheet_part(number): "".join((head, ref, views, rows, "</sheetData>", auto_filter(sheet),
                                              merge_cells(sheet), tail, self.text(sheet.footer), end))
                 for number, (sheet, (rows, ref), (head, views, tail, end))
                 in enumerate(zip(sheets, drawn, self.sheets), start=1)}
        if self.workbook is not None:
            parts[WORKBOOK_PART] = "".join(piece if isinstance(piece, str) else title_rows(sheets[piece[1]])
                                           if isinstance(piece, tuple) else filter_range(sheets[piece])
                                           for piece in self.workbook)
        parts[STRINGS_PART] = self.strings_xml(sheets[0].str_table)
        parts[CORE_PART] = "".join((self.core[0], self.text(title), self.core[1]))
        return parts

    def zip(self, varying: dict[str, str]) -> bytes:
        """The package: the varying parts compressed, zipped with the kept ones in their order.  The workbook
        part, which varies only with the tables' lengths and the rows the pages repeat, is compressed once for
        each text it takes (most workbooks of a run share it)."""
        return zip_entries([entry if entry is not None else self._workbook_entry(varying[name])
                            if name == WORKBOOK_PART else zip_entry(compress(name, varying[name].encode("utf-8")))
                            for name, entry in self.parts])

    def _workbook_entry(self, text: str) -> tuple:
        entry = self.workbooks.get(text)
        if entry is None:
            entry = zip_entry(compress(WORKBOOK_PART, text.encode("utf-8")))
            if len(self.workbooks) < KEEP_WORKBOOKS:
                self.workbooks[text] = entry
        return entry

    def text(self, data: str) -> str:
        """Text as XlsxWriter writes it in an element (`_xml_data_element`)."""
        data = self._escape._escape_data(data)
        if "_x" in data or not data.isprintable():  # else there is nothing for Excel's escapes to change
            data = self._escape._escape_control_characters(data)
        return data

    def strings_xml(self, strings: Strings) -> str:
        """The shared-strings part: each string as XlsxWriter writes it (xlsxfast.si_xml), kept for the next workbook."""
        known = self.known.get
        out = [known(string) or self._si(string) for string in strings.index]  # in the order of their indexes
        head, middle, close, end = self.strings
        return f"{head}{strings.count}{middle}{len(strings.index)}{close}{''.join(out)}{end}"

    def _si(self, string: str) -> str:
        xml = si_xml(string)
        if len(self.known) < KEEP_STRINGS:
            self.known[string] = xml
        return xml


def filter_pieces(xml: str) -> list:
    """The workbook part cut around each `_xlnm._FilterDatabase` name's range and each `_xlnm.Print_Titles`
    name's rows: texts, and in place of each range the index of the sheet it belongs to (a filter's), or
    ("rows", that index) (the rows a sheet's printed pages repeat)."""
    pieces: list = []
    at = 0
    found = sorted([(m, False) for m in FILTER_NAME.finditer(xml)] + [(m, True) for m in TITLES_NAME.finditer(xml)],
                   key=lambda found: found[0].start())
    for m, titles in found:
        pieces += [xml[at:m.end(1)], ("rows", int(m.group(2))) if titles else int(m.group(2))]
        at = m.end()
    return pieces + [xml[at:]]


def title_rows(sheet: CellSheet) -> str:
    """The rows a sheet's printed pages repeat as its `_xlnm.Print_Titles` name holds them (`$25:$25`)."""
    rows = [setting for setting in sheet.settings if setting[0] == "repeat_rows"]
    if len(rows) != 1:
        raise Unusual("repeat_rows")
    _, first, last = rows[0]
    return f"${first + 1}:${(first if last is None else last) + 1}"


def settings_shape(settings: list[tuple], rows_vary: bool) -> list[tuple]:
    """A sheet's settings as a template compares them: where the workbook part is written for each workbook
    (`rows_vary`), the rows its printed pages repeat may be any."""
    return [("repeat_rows",) if rows_vary and setting[0] == "repeat_rows" else setting for setting in settings]


def filter_range(sheet: CellSheet) -> str:
    """A sheet's autofilter range as its `_xlnm._FilterDatabase` name holds it (`$A$1:$K$6`)."""
    if sheet.filter is None:
        raise Unusual("autofilter")
    return xl_range_abs(*sheet.filter)


def learn(book: object, formats: object, data: bytes, title: str, draw: Callable[[object, object], None],
          single: bool = True, numbered: bool = True) -> SheetTemplate | None:
    """A template from a workbook XlsxWriter has just packaged (`data`, from `book`, whose sheets
    `draw(sheets, formats)` drew: the one sheet when `single`), or None if the template does not give
    back exactly `data`.  `numbered`: the formats had their style indexes before drawing (else the
    order the cells first use them numbers them).  Raises Unusual when the sheets are not ones the
    template could cover (try a later workbook)."""
    count = len(book.worksheets())
    if count < 1 or (single and count != 1):
        return None
    styles = styles_of(formats)
    strings = Strings()
    sheets = [CellSheet(strings) for _ in range(count)]
    draw(sheets[0] if single else sheets, styles)
    varying = [sheet_part(i) for i in range(1, count + 1)] + [STRINGS_PART, CORE_PART]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        if WORKBOOK_PART in names and any(name in z.read(WORKBOOK_PART)
                                          for name in (b"_xlnm._FilterDatabase", b"_xlnm.Print_Titles")):
            varying.append(WORKBOOK_PART)  # the filters' ranges vary with the tables' lengths, the title rows too
        if not set(varying) <= set(names):
            return None
        parts = [(n, None if n in varying else compress(n, z.read(n))) for n in names]
        xml = {n: z.read(n).decode("utf-8") for n in varying}
    try:
        template = SheetTemplate(parts, xml, styles, [sheet.settings for sheet in sheets], single)
    except ValueError:
        return None
    if not numbered:
        template.style_order = style_order([sheet_rows(sheet)[0] for sheet in sheets])
    return template if template.zip(template.parts_of(sheets, title)) == data else None


@dataclass(frozen=True)
class ReferenceFormats:
    bold: object
    money: object


#: The reference sheets' values: text to escape, to keep as it is, white space to preserve, control
#: characters, XlsxWriter's own escapes, long text; numbers of every size and sign; footers.
REFERENCE = (("first return", "School", 1234.5, 7, "2013-14: S1"),
             (" padded ", "A & B <school> \"quoted\"", -0.1, 10**17, "a&b<c>"),
             ("_x0041_\x01", "é" * 20_000, 2.5e-20, -3, "x" * 200))


def _reference_book(title: str) -> tuple:
    """A workbook like a return: its formats registered, one sheet taking ready-made rows."""
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"title": title, "author": "senrun", "created": FIXED_CREATED})
    formats = ReferenceFormats(bold=book.add_format({"bold": True}),
                               money=book.add_format({"num_format": "£#,##0.00"}))
    for f in fields(formats):
        getattr(formats, f.name)._get_xf_index()
    return book, buffer, book.add_worksheet("Return", worksheet_class=TableSheet), formats


def _reference_draw(values: tuple) -> Callable[[object, object], None]:
    def draw(sheet, fmt) -> None:
        title, text, number, whole, footer = values
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 2, 12)
        sheet.write_string(0, 0, title, fmt.bold)
        sheet.write_string(1, 1, text)
        sheet.write_number(1, 0, number, fmt.money)
        index = sheet.str_table._get_shared_string_index(text)
        sheet.put_cells(3, 0, 2, [f'<c r="A4" t="s"><v>{index}</v></c><c r="C4"><v>{whole}</v></c>', ""])
        for row in range(5, 40, 7):
            sheet.write_number(row, row % 3, whole, fmt.bold)
        sheet.write_string(40, 3, title)
        sheet.set_footer(f"&L{footer.replace('&', '&&')}&CPage &P of &N")
    return draw


def _reference_pack_book(title: str) -> tuple:
    """A workbook like a cluster pack: formats numbered as the cells first use them, three sheets."""
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"title": title, "author": "senrun", "created": FIXED_CREATED})
    formats = ReferenceFormats(bold=book.add_format({"bold": True}),
                               money=book.add_format({"num_format": "£#,##0.00", "text_wrap": True}))
    return book, buffer, [book.add_worksheet(name) for name in ("One", "Two & two", "Three")], formats


def _reference_pack_draw(values: tuple) -> Callable[[object, object], None]:
    def draw(sheets, fmt) -> None:
        title, text, number, whole, footer = values
        one, two, three = sheets
        one.set_column(0, 0, 30)
        one.write_string(0, 0, title, fmt.bold)
        one.write_number(2, 1, number)
        one.set_row(2, 32)
        for row in range(whole % 5 + 1, 20):  # tables of varying length below a frozen, repeated header
            two.write_string(row, 0, text)
            two.write_number(row, 2, number, fmt.money)
        two.write_string(0, 0, title, fmt.bold)
        two.set_row(0, 30)
        two.freeze_panes(1, 0)
        two.repeat_rows(0)
        two.autofilter(0, 0, 19 - whole % 3, 2)  # a filter whose range varies, on a sheet whose name is escaped
        three.write_string(0, 1, text, fmt.money)
        at = whole % 7 + 2
        three.merge_range(at, 0, at, 2, title, fmt.money)
        three.set_row(at, 45)
        three.set_row(0, 15)
        for sheet in sheets:
            sheet.set_landscape()
            sheet.fit_to_pages(1, 0)
            sheet.set_footer(f"&L{footer.replace('&', '&&')}&CPage &P of &N")
    return draw


def self_check() -> str | None:
    """None when returns, and workbooks of several sheets like the cluster packs, drawn on a template
    give exactly XlsxWriter's bytes on reference workbooks (the first of each teaches the template,
    the others are written from it); else what differed."""
    for kind, new_book, new_draw, single, numbered in (
            ("return", _reference_book, _reference_draw, True, True),
            ("workbook of several sheets", _reference_pack_book, _reference_pack_draw, False, False)):
        template = None
        for values in REFERENCE:
            draw = new_draw(values)
            book, buffer, sheets, formats = new_book(values[0])
            draw(sheets, formats)
            book.close()
            plain = buffer.getvalue()
            if template is None:
                template = learn(book, formats, plain, values[0], draw, single, numbered)
                if template is None:
                    return f"the sheet template did not learn a reference {kind}"
            elif template.render(values[0], draw) != plain:
                return f"a {kind} written from the sheet template differed from XlsxWriter's own ({values[0]!r})"
    return None
