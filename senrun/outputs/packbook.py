"""One cluster's pack workbook from plain Python data (SPEC §6 `clusters/<cluster_id>.xlsx`).

Like returnbook.py, this runs in the processes that write the returns, so it imports neither
Polars nor the run: the parent (clusterpack.py) hands over each pack as a :class:`PackTask` of
texts, integers (money in pence) and floats (per cents), and gets the workbook's bytes back.
A pack is drawn by `draw_pack` on its four sheets: XlsxWriter's for the first pack of a process
(and any pack the template does not cover), else sheets that write the cells' XML at once and are
packaged from the template the first pack gave (xlsxpack.BookPacker, xlsxtemplate).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, fields

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .xlsx import (MAX_WIDTH, Formats, finish_sheets, lines_height, lines_in, new_workbook, pages_wide, print_setup,
                   write_money)
from .xlsxpack import BookPacker

#: How a cell of a table or a line is shown.
TEXT, MONEY, INT, PCT, RATE = "text", "money", "int", "pct", "rate"
#: A number with decimals as written (a need column's units, 426.1), in Excel's General form as a return shows it.
DECIMAL = "decimal"
#: A per cent to one place (the SEND profile's, rounded to one place: 5 of 16 shows 31.3%, not 31.30%).
PCT1 = "pct1"
PCT1_FORMAT = '0.0"%"'
SHEETS = ("Cluster", "Schools", "SEND profile", "PSF run-off")
#: The tables' headers: bold, filled and boxed like xlsx.Formats.header, wrapped to the top.
WRAPPED = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}

#: The Cluster sheet's kinds of note (wrapped text) and each one's row height: two, three, four lines.
NOTES = {"note": 32, "note3": 47, "note4": 62}
#: This process's packager: every pack of a run has one shape, so most of its package is reused.
PACKER = BookPacker()


@dataclass(frozen=True)
class PackFormats(Formats):
    """The workbook's formats, the tables' wrapped header and the SEND profile's per cent to one place."""

    wrapped: object
    pct1: object


@dataclass(frozen=True)
class Table:
    """A table: its headings, each column's kind, its rows and (optionally) a totals row."""

    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple, ...]
    totals: tuple | None = None


@dataclass(frozen=True)
class PackTask:
    """Everything one cluster's pack shows.  `lines` are the Cluster sheet's rows: (label, value,
    kind), kind one of heading, a note (NOTES), text, money, money_bold, int, pct, rate; None is a blank row."""

    file_name: str
    title: str
    footer: str
    lines: tuple
    schools: Table
    profile: Table
    profile_bold: tuple[int, ...]  # rows of the profile that are the cluster's and the authority's
    runoff: Table


@dataclass(frozen=True)
class PackChunk:
    """A process task: a few clusters' packs."""

    packs: tuple[PackTask, ...]


def build_pack_chunk(chunk: PackChunk) -> list[tuple[str, bytes]]:
    """The packs of a chunk, as (file name, bytes)."""
    books = PACKER.pack_all([(task.title, drawing(task)) for task in chunk.packs], new_pack_book)
    return [(task.file_name, data) for task, data in zip(chunk.packs, books)]


def pack_bytes(task: PackTask) -> bytes:
    """One cluster's pack: Cluster, Schools, SEND profile and PSF run-off sheets."""
    return PACKER.pack_drawn(task.title, drawing(task), new_pack_book)


def drawing(task: PackTask) -> Callable[[list[Worksheet], PackFormats], None]:
    """What draws the cluster's pack on its sheets, given the sheets and their formats."""
    return lambda sheets, fmt: draw_pack(sheets, fmt, task)


def new_pack_book(title: str) -> tuple[Workbook, io.BytesIO, list[Worksheet], PackFormats]:
    """An empty pack workbook: (book, buffer it writes into, its sheets, its formats).  The formats
    are numbered as the cells first use them (no xlsx.register_formats): as packs always were."""
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, title, "Special educational needs funding: a cluster's pack")
    formats = PackFormats(*(getattr(fmt, f.name) for f in fields(fmt)), wrapped=book.add_format(WRAPPED),
                          pct1=book.add_format({"num_format": PCT1_FORMAT}))
    return book, buffer, [book.add_worksheet(name) for name in SHEETS], formats


#: The width of a pack's school-name columns: the widest any table of senrun's is (docs/outputs.md), the same in
#: every pack (each is written from one template: a width of its own would write every pack the slow way).
NAME_WIDTH = MAX_WIDTH


def draw_pack(sheets: list[Worksheet], fmt: PackFormats, task: PackTask) -> None:
    """The pack on its four sheets.  Only `write_string`, `write_number`, `set_row`, `merge_range`,
    `set_column`, `freeze_panes`, the print setup and `set_footer` are called on the sheets, which
    is how most packs are written from a template (xlsxpack.BookPacker.pack_drawn); sheets
    calling anything else are written by XlsxWriter."""
    cluster, schools, profile, runoff = sheets
    cluster_sheet(cluster, fmt, task)
    write_table(schools, fmt, task.schools, 0, fmt.wrapped, widths=(11, NAME_WIDTH), filtered=len(task.schools.rows),
                repeated=2, wrapped_columns=(1,))
    profile.write_string(0, 0, "SEND profile: pupils on roll at the census, by age-based phase (FAQ 12)", fmt.bold)
    write_table(profile, fmt, task.profile, 1, fmt.wrapped, widths=(11, NAME_WIDTH), bold_rows=task.profile_bold,
                filtered=min(task.profile_bold, default=len(task.profile.rows)), repeated=2,  # the schools' rows
                wrapped_columns=(1,))
    if not task.profile.rows:
        profile.write_string(2, 0, "No pupil-level census: no profile.")
    # (the title within the table's three columns, which are what prints: its whole story is in the note below)
    runoff.write_string(0, 0, "PSF run-off: this year and the later years", fmt.bold)
    write_table(runoff, fmt, task.runoff, 1, fmt.wrapped, widths=(40,))
    note = 3 + len(task.runoff.rows)
    runoff.merge_range(note, 0, note, 2, RUNOFF_NOTE, fmt.wrap)
    runoff.set_row(note, lines_height(lines_in(RUNOFF_NOTE, RUNOFF_WIDTH)))
    finish_sheets(sheets, task.footer)


#: The PSF run-off sheet's note, under its table (merged across its three columns, RUNOFF_WIDTH wide).
RUNOFF_NOTE = ("This year: the children paid any PSF at the cluster's schools this year, whether or not it continues, "
               "and their PSF. Each later year: those still protected, and their PSF. Later years assume no new "
               "statements, moves or ceasings beyond those already recorded: the ceasings, amendments, managed and "
               "casual moves and schools' successors recorded are followed, so each protected child is paid at the "
               "rate recorded for that year, at the school their recorded managed moves take them to, or its "
               "successor, until the end of their protected phase (FAQ 3–6, 8).")
RUNOFF_WIDTH = 40 + 14 + 14
#: The Cluster sheet's column A, where its labels and notes wrap.
LABEL_WIDTH = 58


def cluster_sheet(ws: Worksheet, fmt: Formats, task: PackTask) -> None:
    """The title and the lines: the cluster's figures, top-slices, last year, the note."""
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, 1, 20)
    ws.write_string(0, 0, task.title, fmt.title)
    for row, line in enumerate(task.lines, start=1):
        if line is None:
            continue
        label, value, kind = line
        # a label wider than column A wraps, on a row tall enough, not cut by the figure beside it
        long = kind != "heading" and kind not in NOTES and lines_in(label, LABEL_WIDTH) > 1
        ws.write_string(row, 0, label, fmt.bold if kind == "heading" else fmt.wrap if kind in NOTES or long else None)
        if kind in NOTES or long:  # its lines of wrapped text, as many as it takes at the column's width
            ws.set_row(row, max(NOTES.get(kind, NOTES["note"]), lines_height(lines_in(label, LABEL_WIDTH))))
        if kind == "heading" or kind in NOTES:
            continue
        if value is None:
            ws.write_string(row, 1, "—")
        elif kind in (MONEY, "money_bold"):
            write_money(ws, row, 1, value, fmt, bold=kind == "money_bold")
        elif kind == INT:
            ws.write_number(row, 1, value, fmt.integer)
        elif kind == PCT:
            ws.write_number(row, 1, value, fmt.pct)
        elif kind == RATE:  # £ per unit: to the penny, or to every place it has (up to 6)
            ws.write_number(row, 1, float(value), fmt.rate)
        elif kind == DECIMAL:
            ws.write_number(row, 1, float(value))
        else:
            ws.write_string(row, 1, str(value))
    print_setup(ws, upright=True)  # one page: the cluster's figures, its share's working and last year together


def write_table(ws: Worksheet, fmt: Formats, table: Table, first: int, wrapped: object,
                widths: tuple[int, ...] = (), bold_rows: tuple[int, ...] = (), filtered: int = 0,
                repeated: int = 1, wrapped_columns: tuple[int, ...] = ()) -> None:
    """The table from row `first` (its header, wrapped), its rows by kind and its totals row in bold;
    frozen under the header, which repeats on every printed page; with `filtered`, a filter on the
    header over that many rows (the schools', not the totals or the cluster's and authority's rows).  A table
    too wide for one legible page prints on several, its first `repeated` columns on each (xlsx.pages_wide).
    The text of `wrapped_columns` (the schools' names) wraps, on a row tall enough, where it is wider than its
    column: it is not cut at the column's edge, on screen or on paper."""
    for c, head in enumerate(table.headers):
        ws.write_string(first, c, head, wrapped)
    ws.set_row(first, 30)
    rows = list(table.rows) + ([table.totals] if table.totals else [])
    bold = frozenset(bold_rows) | ({len(table.rows)} if table.totals else set())
    shown = [widths[c] if c < len(widths) else 14 for c in range(len(table.headers))]
    write_values(ws, fmt, first + 1, rows, table.kinds, bold, wrapped_columns)
    for r, height in wrapped_heights(rows, bold, wrapped_columns, shown).items():
        ws.set_row(first + 1 + r, height)
    for c, width in enumerate(shown):
        ws.set_column(c, c, width)
    ws.freeze_panes(first + 1, 0)
    if filtered:
        ws.autofilter(first, 0, first + filtered, len(table.headers) - 1)
    print_setup(ws, first, wide=pages_wide(shown, repeated), repeated=repeated)


def write_values(ws: Worksheet, fmt: Formats, first: int, rows: list[tuple], kinds: tuple[str, ...],
                 bold_rows: frozenset[int], wrapped_columns: tuple[int, ...] = ()) -> None:
    """A table's rows from row `first`, each value by its column's kind (`cell`), the rows numbered in `bold_rows`
    (0-based) in bold, the text of `wrapped_columns` in other rows wrapped (`text_format`).  A sheet drawn for the
    template takes them all at once (xlsxtemplate.CellSheet.write_values, by the same rules:
    tests/test_pack_template.py checks the two give the same bytes)."""
    texts = tuple(tuple(text_format(fmt, c in wrapped_columns, bold) for c in range(len(kinds))) for bold in (False, True))
    if isinstance(ws, Worksheet):
        for r, values in enumerate(rows):
            bold = r in bold_rows
            for c, (value, kind) in enumerate(zip(values, kinds)):
                cell(ws, fmt, first + r, c, value, TEXT if isinstance(value, str) else kind, bold, texts[bold][c])
        return
    forms = tuple(tuple(number_form(fmt, kind, bold) for kind in kinds) for bold in (False, True))
    ws.write_values(first, [values[:len(kinds)] for values in rows], bold_rows, forms, texts)


def text_format(fmt: Formats, wrapped: bool, bold: bool) -> object | None:
    """How a table's text shows: bold in a bold row, else wrapped in a wrapped column, else plain (None)."""
    return fmt.bold if bold else fmt.text_wrap if wrapped else None


def wrapped_heights(rows: list[tuple], bold_rows: frozenset[int], wrapped_columns: tuple[int, ...],
                    widths: list[float]) -> dict[int, float]:
    """Row (0-based, within `rows`) → its height, for the rows whose text in a wrapped column takes more than one
    line at its column's width: a spreadsheet keeps a row at the height the file gives it."""
    heights: dict[int, float] = {}
    for r, values in enumerate(rows):
        if r in bold_rows:
            continue
        lines = max((lines_in(values[c], widths[c]) for c in wrapped_columns
                     if c < len(values) and isinstance(values[c], str) and len(values[c]) > widths[c]), default=1)
        if lines > 1:
            heights[r] = lines_height(lines)
    return heights


def number_form(fmt: Formats, kind: str, bold: bool) -> tuple[object, int] | None:
    """How `cell` shows a number of a column of `kind`: (format, 100 for pence shown as pounds, else 1); None for
    a text column."""
    if kind == TEXT:
        return None
    if kind == MONEY:
        return fmt.money_bold if bold else fmt.money, 100
    if kind == PCT:
        return fmt.pct_bold if bold else fmt.pct, 1
    if kind == PCT1:
        return fmt.pct1, 1
    return fmt.integer_bold if bold else fmt.integer, 1


def cell(ws: Worksheet, fmt: Formats, row: int, col: int, value: object, kind: str, bold: bool,
         text: object | None = None) -> None:
    """One cell by its kind, its text under `text` (`text_format`); None, or no text, is left blank (a cell of ""
    is not blank to Excel: ISBLANK, COUNTA), formatted where the text would be."""
    if value is None:
        return
    if kind == TEXT and str(value) == "":
        if text is not None:
            ws.write_blank(row, col, None, text)
        return
    if kind == TEXT:
        ws.write_string(row, col, str(value), text)
    elif kind == MONEY:
        write_money(ws, row, col, value, fmt, bold=bold)
    elif kind == PCT:
        ws.write_number(row, col, value, fmt.pct_bold if bold else fmt.pct)
    elif kind == PCT1:
        ws.write_number(row, col, value, fmt.pct1)
    else:
        ws.write_number(row, col, value, fmt.integer_bold if bold else fmt.integer)
