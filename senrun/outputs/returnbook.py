"""One school's return workbook, from plain Python data (SPEC §6 `returns/<school_id>.xlsx`).

This module runs in the worker processes, so it imports neither Polars nor the run: the
parent hands each worker a :class:`ReturnChunk` — a few hundred schools' figures and their
children's lines as plain columns of text and integers, cheap to pickle — and gets the
workbooks' bytes back.  The children's rows, most of a return's cells, are rendered as XML
directly (tablesheet.py), in the cell forms XlsxWriter would write.  A return is drawn by
`draw_return` on a sheet: an XlsxWriter worksheet for the first return of a process (and any
return the template does not cover), else a sheet that writes the cells' XML at once and is
packaged from the template the first return gave (xlsxpack.BookPacker.pack_drawn).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache, lru_cache

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .common import basis_words, notional_note, number_or_text, percent_change
from .packbook import PackChunk, build_pack_chunk
from .tablesheet import SHORT_TEXT, TableSheet, fit_text
from .xlsx import (Formats, footer, lines_height, lines_in, new_workbook, print_setup, register_formats, write_money,
                   write_value)
from .xlsxpack import BookPacker

CHILD_COLUMNS = ("upn", "stream", "date_of_birth", "paid_from", "paid_to",
                 "annual_amount", "paid_amount", "stops_on", "why", "years_left")
#: The headers a school business manager reads above those columns.
CHILD_LABELS = ("UPN", "Funding stream", "Date of birth", "Paid from", "Paid to",
                "Annual PSF (£)", "Paid this period (£)", "PSF stops on", "Why", "Later years protected")
#: How each child column is shown: text, a date (Excel serial day), money (pence), a whole number, or text wrapped
#: within its column ("Why").
CHILD_KINDS = ("text", "text", "date", "date", "date", "money", "money", "date", "wrap", "int")
#: Each child column's letter and kind.
CHILD_CELLS = tuple((xl_col_to_name(c), kind) for c, kind in enumerate(CHILD_KINDS))
ELEMENT_LABELS = ("Element", "Shared by", "Units", "Rate (£ per unit)", "Amount (£)")
#: The columns' widths.  Printed on A4 landscape, one page wide, they make the text about 9 points: column A holds
#: the blocks' labels, the money columns a school's largest figures, "Why" wraps its words on two or three lines,
#: and the headers wrap (a finance officer prints a return to check it; at its old widths it printed at 6 points).
WIDTHS = (36, 16, 11, 12, 13, 12, 13, 11, 36, 10)
#: The left and right margins on paper, in inches (Excel's "Narrow" is 0.25, its "Normal" 0.7).
SIDE_MARGIN = 0.4
#: The most characters of a note on one printed line (the columns hold about 170 digits' width); a longer note is
#: written on as many rows as it needs, since text that runs past the last column does not print.
NOTE_ROOM = 150

#: This process's packager: every return has one shape, so most of its package is reused.
PACKER = BookPacker()


@dataclass(frozen=True)
class ReturnFormats(Formats):
    """The workbook's formats and the children's table's wrapped "Why" cells."""

    #: a "Why" cell: its words wrapped within the column, at the foot of the row like the cells beside it (the
    #: workbook's `text_wrap`, which a table's long text takes too)
    why: object


@dataclass(frozen=True)
class SchoolReturn:
    """Everything one school's return shows; money in integer pence, dates as datetime.date."""

    file_name: str  # returns/<stem>.xlsx, relative to the output folder
    school_id: str
    school_name: str | None
    cluster_id: str
    cluster_name: str | None
    year: str
    period: str
    ssa: int | None
    psf: int | None
    cluster_share: int | None
    total: int | None
    cluster_allocation: int | None
    previous_total: int | None  # last year's total (with --previous; 0 for a school new this year)
    contact: str | None  # config `contact:`
    issued: str | None  # config `issued:`, dd/mm/yyyy
    delegation: str  # config `delegation:`: the wording of the note
    reference: str  # the run's reference (manifest.json `run_reference`), printed in the footer
    in_formula: bool  # False for a setting outside the formula (SPEC §11.2): no formula block
    elements: tuple[tuple, ...]  # title, basis in words, units (text or number), rate in £ (text), pence
    #: CHILD_COLUMNS of the lines paid at this school (paid_amount > 0); dates as Excel serial days
    children: tuple[tuple, ...] = ()
    #: with --previous, whether the school is new this year (not in last year's file, as diff.csv's note
    #: says): a school in last year's run with £0 is not; None where not known (then taken as new); or, for one
    #: that took over from another during the year, the words its return gives
    new_this_year: bool | str | None = None
    #: with --previous, the schools that became this one since (diff.csv's "converted from …"): their totals
    #: last year are in its own (SPEC §11.1)
    last_year_with: str | None = None
    #: with --register, the children paid PSF here last year and not this year: (UPN, stream, paid last year in
    #: pence, why in words)
    stopped: tuple[tuple, ...] = ()


@dataclass(frozen=True)
class ReturnChunk:
    """A process task: schools' returns without their children, each with how many children it
    has, and the children's lines of all of them, in school order, one list per CHILD_COLUMNS."""

    schools: list[tuple]  # SchoolReturn's fields up to `elements`, then the number of children
    children: tuple[list, ...]
    new_this_year: tuple[bool | None, ...] = ()  # each school's SchoolReturn.new_this_year, when known
    last_year_with: tuple[str | None, ...] = ()  # each school's SchoolReturn.last_year_with, when known
    stopped: tuple[tuple, ...] = ()  # each school's SchoolReturn.stopped, with a register


def build_chunk(chunk: ReturnChunk | PackChunk) -> list[tuple[str, bytes]]:
    """The returns of a chunk of schools (or a chunk of cluster packs), as (file name, bytes): the
    work of one process task."""
    if isinstance(chunk, PackChunk):
        return build_pack_chunk(chunk)
    lines = list(zip(*chunk.children))
    schools, at = [], 0
    new = chunk.new_this_year or (None,) * len(chunk.schools)
    before = chunk.last_year_with or (None,) * len(chunk.schools)
    gone = chunk.stopped or ((),) * len(chunk.schools)
    for (*figures, count), fresh, was, left in zip(chunk.schools, new, before, gone, strict=True):
        schools.append(SchoolReturn(*figures, children=tuple(lines[at:at + count]), new_this_year=fresh,
                                    last_year_with=was, stopped=left))
        at += count
    books = PACKER.pack_all([(return_title(s), drawing(s)) for s in schools], new_return_book)
    return [(school.file_name, data) for school, data in zip(schools, books)]


def return_bytes(school: SchoolReturn) -> bytes:
    """One school's return workbook."""
    return PACKER.pack_drawn(return_title(school), drawing(school), new_return_book)


def drawing(school: SchoolReturn) -> Callable[[TableSheet, Formats], None]:
    """What draws the school's return on a sheet, given the sheet and its formats."""
    return lambda ws, fmt: draw_return(ws, fmt, school)


def return_title(school: SchoolReturn) -> str:
    """The workbook's title (its document properties)."""
    return f"SEN funding return {school.year}: {school.school_id}"


def new_return_book(title: str) -> tuple[Workbook, io.BytesIO, TableSheet, Formats]:
    """An empty return workbook: (book, buffer it writes into, its sheet, its formats)."""
    buffer = io.BytesIO()
    book, base = new_workbook(buffer, title, "Special educational needs funding: a school's return")
    fmt = ReturnFormats(*(getattr(base, f.name) for f in fields(base)), why=base.text_wrap)
    register_formats(fmt)  # every return has the same styles, whichever formats its cells use
    return book, buffer, book.add_worksheet("Return", worksheet_class=TableSheet), fmt


def draw_return(ws: TableSheet, fmt: Formats, school: SchoolReturn) -> None:
    """A school's return on its sheet: the blocks, widths, print setup and footer.  Only
    `write_string`, `write_number`, `put_cells`, `set_column`, `set_row` (a height), `set_margins`, the print
    setup and `set_footer` are called on the sheet, which is how most returns are written from a template
    (xlsxpack.BookPacker.pack_drawn); a sheet calling anything else is written by XlsxWriter."""
    ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN)
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    row = heading_block(ws, fmt, school)
    # the children's section is the last: after the change from last year and those paid here last year, if any
    children = 4 + (school.previous_total is not None) + bool(school.stopped)
    ws.write_string(row + 1, 0, "2. Continuing pupil specific funding", fmt.bold)
    write_money(ws, row + 1, 1, school.psf, fmt, bold=True)
    ws.write_string(row + 1, 2, f"(PSF: each child in section {children})" if school.children else
                    f"(PSF: no child this period; section {children})")
    row += 2
    row = formula_block(ws, fmt, school, row + 1) if takes_share(school) else outside_block(ws, fmt, school, row + 1)
    if school.previous_total is not None:
        row = change_block(ws, fmt, school, row + 1)
    if school.cluster_id:
        ws.write_string(row + 1, 0, "Your cluster's total allocation", fmt.bold)
        write_money(ws, row + 1, 1, school.cluster_allocation, fmt, bold=True)
        row += 2
        if school.in_formula:
            row = write_note(ws, row + 1, notional_note(school.delegation), fmt.bold)
    if school.stopped:  # before the children: under the children's repeated header its columns would be misread
        row = stopped_block(ws, fmt, school, row + 1, children - 1)
    # the children last, so that the header their pages repeat heads only their table: Excel repeats a sheet's
    # title rows on every page after them
    print_setup(ws, header_row=psf_block(ws, fmt, school, row + 1, children))
    named = f"{school.school_id} {school.school_name}" if school.school_name else school.school_id
    ws.set_footer(footer(f"{school.year}: {named}", f"Run {school.reference}"))  # a loose page says whose it is


@lru_cache(maxsize=1024)
def row_lines(cells: tuple[tuple[str, int], ...], bold: bool) -> int:
    """The lines of a row's tallest wrapped cell, of (text, column) `cells` (the headers repeat on every return)."""
    return max(lines_in(text, WIDTHS[col], bold) for text, col in cells)


def fit_row(ws: Worksheet, row: int, cells: tuple[tuple[str, int], ...], bold: bool = False) -> None:
    """Give `row` the height of its tallest wrapped cell, of (text, column) `cells`, where it needs more than one line."""
    lines = row_lines(cells, bold)
    if lines > 1:
        ws.set_row(row, lines_height(lines))


@lru_cache(maxsize=256)
def note_lines(text: str) -> tuple[str, ...]:
    """A note's printed lines (NOTE_ROOM characters at most, unless a word is longer): the same few notes on
    every return, so each is split once."""
    return tuple(textwrap.wrap(text, NOTE_ROOM, break_long_words=False, break_on_hyphens=False)) or (text,)


def write_note(ws: Worksheet, row: int, text: str, cell_format: object = None) -> int:
    """A note from column A, on as many rows as it needs to print whole (NOTE_ROOM); returns the next free row."""
    for line in note_lines(text):
        ws.write_string(row, 0, line, cell_format)
        row += 1
    return row


def takes_share(school: SchoolReturn) -> bool:
    """Whether the school takes a cluster share: in a cluster, and in the formula (SPEC §11.2)."""
    return bool(school.cluster_id) and school.in_formula


def change_block(ws: Worksheet, fmt: Formats, school: SchoolReturn, row: int) -> int:
    """This year's total against last year's, in £ and %; returns the next free row."""
    parts = "SSA + PSF + cluster share" if takes_share(school) else "SSA + PSF"
    ws.write_string(row, 0, f"4. Change from last year (total: {parts})", fmt.bold)
    before, now = school.previous_total or 0, school.total or 0
    last_year = f"Last year (with {school.last_year_with}, which became this school)" if school.last_year_with \
        else "Last year"
    lines = [(last_year, before), ("This year", now), ("Change", now - before)]
    for offset, (label, pence) in enumerate(lines, start=1):
        ws.write_string(row + offset, 0, label, fmt.why)
        write_money(ws, row + offset, 1, pence, fmt)
        fit_row(ws, row + offset, ((label, 0),))
    ws.write_string(row + 4, 0, "Change (%)")
    if before:
        ws.write_number(row + 4, 1, percent_change(now - before, before), fmt.pct)
    elif school.new_this_year is not False:  # (words of its own for a school that took over during the year)
        ws.write_string(row + 4, 1, school.new_this_year if isinstance(school.new_this_year, str) else "new this year")
    else:  # in last year's run with nothing: no per cent of £0 (diff.csv's change_pct is blank too)
        ws.write_string(row + 4, 1, "— (last year £0.00)")
    return row + 5


#: What a return says for the cluster of a setting outside the formula given none (SPEC §11.2).
NO_CLUSTER = "none (a setting outside the formula)"


def heading_lines(school: SchoolReturn) -> list[tuple[str, str]]:
    """The heading's (label, text) lines under the title: the school, its cluster, the period, and the run's
    issue date and contact where the config gives them."""
    named = school.cluster_name and school.cluster_name != school.cluster_id  # a cluster without a name has its id
    cluster = (school.cluster_id + (f" ({school.cluster_name})" if named else "")
               if school.cluster_id else NO_CLUSTER)  # a setting outside the formula may have none (§11.2)
    lines = [("School", school.school_name or ""), ("School ID", school.school_id),
             ("Cluster", cluster), ("Funding period", school.period)]
    lines += [("Issued", school.issued)] if school.issued else []
    return lines + ([("Contact", school.contact)] if school.contact else [])


def heading_block(ws: Worksheet, fmt: Formats, school: SchoolReturn) -> int:
    """Title, school, cluster, period and the SSA; returns the next free row."""
    ws.write_string(0, 0, f"SEN funding return {school.year}", fmt.title)
    lines = heading_lines(school)
    for row, (label, text) in enumerate(lines, start=1):
        ws.write_string(row, 0, label, fmt.bold)
        ws.write_string(row, 1, text)
    row = len(lines) + 2
    ws.write_string(row, 0, "1. School specific allocation (SSA)", fmt.bold)
    write_money(ws, row, 1, school.ssa, fmt, bold=True)
    return row + 1


def psf_block(ws: Worksheet, fmt: Formats, school: SchoolReturn, row: int, number: int) -> int:
    """Continuing PSF by child, paid at this school, as section `number`; returns the row of the children's
    header (which the printed pages repeat)."""
    ws.write_string(row, 0, f"{number}. Continuing pupil specific funding (PSF), by child", fmt.bold)
    header = row + 1
    table_header(ws, fmt, header, CHILD_LABELS)  # (with no children too: the row the printed pages repeat)
    if not school.children:
        ws.write_string(row + 2, 0, "No child has continuing PSF at this school in this period.")
        row += 3
    else:
        last = row + 1 + len(school.children)
        ws.put_cells(row + 2, 0, len(CHILD_COLUMNS) - 1, children_xml(ws, fmt, school.children, row + 2),
                     why_heights(school.children, row + 2))
        row = last + 1
    ws.write_string(row, 0, "Total continuing PSF", fmt.bold)
    write_money(ws, row, CHILD_LABELS.index("Paid this period (£)"), school.psf, fmt, bold=True)  # under what it sums
    return header


#: Where the children paid here last year and not this year are shown: in the columns of the UPN, stream, paid and
#: why of the children's table below, under headers of their own.
STOPPED_COLUMNS = ((0, "UPN"), (1, "Funding stream"), (6, "Paid here last year (£)"), (8, "Why not this year"))
#: Each table's header as (text, column) cells: the children's, the elements' (their labels in order) and those
#: paid here last year (in some of the children's columns).
HEADER_CELLS = {CHILD_LABELS: tuple((label, col) for col, label in enumerate(CHILD_LABELS)),
                ELEMENT_LABELS: tuple((label, col) for col, label in enumerate(ELEMENT_LABELS)),
                STOPPED_COLUMNS: tuple((label, col) for col, label in STOPPED_COLUMNS)}


def table_header(ws: Worksheet, fmt: Formats, row: int, table: tuple) -> None:
    """A table's header (HEADER_CELLS[table]) on `row`, wrapped, the row as tall as its tallest label."""
    for label, col in HEADER_CELLS[table]:
        ws.write_string(row, col, label, fmt.header_wrap)
    fit_row(ws, row, HEADER_CELLS[table], bold=True)


def stopped_block(ws: Worksheet, fmt: Formats, school: SchoolReturn, row: int, number: int) -> int:
    """The children paid PSF here last year and not this year, and why (with a register), as section `number`:
    the first question of a school whose return lists fewer children than last year's; returns the next free
    row."""
    ws.write_string(row, 0, f"{number}. Paid PSF here last year, not this year", fmt.bold)
    table_header(ws, fmt, row + 1, STOPPED_COLUMNS)
    for r, (upn, stream, paid, why) in enumerate(school.stopped, start=row + 2):
        ws.write_string(r, 0, upn)
        ws.write_string(r, 1, stream)
        write_money(ws, r, 6, paid, fmt)
        ws.write_string(r, 8, fit_text(why), fmt.why)
        fit_row(ws, r, ((fit_text(why), 8),))
    total = row + 2 + len(school.stopped)  # what the school's PSF falls by, against last year, for these children
    ws.write_string(total, 0, "Total paid here last year for these children", fmt.bold)
    write_money(ws, total, 6, sum(paid for _, _, paid, _ in school.stopped), fmt, bold=True)
    return total + 1


def children_xml(ws: TableSheet, fmt: Formats, children: tuple[tuple, ...], first_row: int) -> list[str]:
    """Each child's row of cells as XML, from `first_row` (0-based): text as shared strings,
    dates and money as numbers under their formats (pounds as XlsxWriter writes pence / 100)."""
    index = ws.str_table._get_shared_string_index
    styles = (fmt.date._get_xf_index(), fmt.money._get_xf_index(), fmt.integer._get_xf_index(),
              fmt.why._get_xf_index())
    whole_row = child_row_format(*styles).format
    rows = []
    for r, values in enumerate(children, start=first_row + 1):
        if None in values:
            rows.append(child_cells(index, styles, values, r))
            continue
        # CHILD_COLUMNS, by their kinds (CHILD_KINDS): text, text, dates, money, money, a date, text, a number
        upn, stream, born, paid_from, paid_to, annual, paid, stops, why, left = values
        rows.append(whole_row(r, index(cell_text(upn)), index(cell_text(stream)), born, paid_from, paid_to,
                              annual / 100, paid / 100, stops, index(cell_text(why)), left))
    return rows


def cell_text(value: object) -> str:
    """A text cell's value as written: as text, within Excel's cell limit (tablesheet.fit_text)."""
    return value if value.__class__ is str and len(value) <= SHORT_TEXT else fit_text(str(value))


#: The kinds of child cell that hold text (as shared strings).
TEXT_KINDS = ("text", "wrap")
#: The kinds of child cell under a format of their own, in the order children_xml gives their style indexes.
STYLED_KINDS = ("date", "money", "int", "wrap")


def why_heights(children: tuple[tuple, ...], first_row: int) -> dict[int, float]:
    """The children's rows (0-based, from `first_row`) whose "Why" wraps on more than one line, and their heights."""
    why, width = CHILD_COLUMNS.index("why"), WIDTHS[CHILD_COLUMNS.index("why")]
    lines = [lines_in(fit_text(str(values[why])), width) if values[why] is not None else 1 for values in children]
    return {first_row + at: lines_height(n) for at, n in enumerate(lines) if n > 1}


def child_cell(col: str, kind: str, xf: dict[str, int], row: object, value: object) -> str:
    """One cell of a child's row: column `col` of row `row`, holding `value` as written (a shared
    string's index for text, else the number, money in pounds)."""
    if kind == "text":
        return f'<c r="{col}{row}" t="s"><v>{value}</v></c>'
    if kind == "wrap":
        return f'<c r="{col}{row}" s="{xf[kind]}" t="s"><v>{value}</v></c>'
    return f'<c r="{col}{row}" s="{xf[kind]}"><v>{value}</v></c>'


def child_cells(index: Callable[[str], int], styles: tuple[int, ...], values: tuple, r: int) -> str:
    """A child's row of cells (1-based row `r`), cell by cell; a blank value is left out."""
    xf = dict(zip(STYLED_KINDS, styles))
    return "".join(child_cell(col, kind, xf, r, index(fit_text(str(value))) if kind in TEXT_KINDS
                              else f"{value / 100:.16G}" if kind == "money" else value)
                   for (col, kind), value in zip(CHILD_CELLS, values) if value is not None)


@cache
def child_row_format(*styles: int) -> str:
    """A child's row without blanks as a `str.format` pattern — {0} the row (1-based), then each
    column's value: a shared string's index, pounds, or the number — giving what child_cells gives."""
    xf = dict(zip(STYLED_KINDS, styles))
    return "".join(child_cell(col, kind, xf, "{0}", f"{{{i}:.16G}}" if kind == "money" else f"{{{i}}}")
                   for i, (col, kind) in enumerate(CHILD_CELLS, start=1))


def formula_block(ws: Worksheet, fmt: Formats, school: SchoolReturn, row: int) -> int:
    """The formula share by element, the cluster share and the school's total; next free row."""
    ws.write_string(row, 0, "3. Cluster formula share by element (notional: see the note below)", fmt.bold)
    table_header(ws, fmt, row + 1, ELEMENT_LABELS)
    for r, (title, basis, units, rate, pence) in enumerate(school.elements, start=row + 2):
        ws.write_string(r, 0, title, fmt.why)
        ws.write_string(r, 1, basis, fmt.why)
        fit_row(ws, r, ((title, 0), (basis, 1)))
        write_value(ws, r, 2, as_number(units), fmt)
        rate_value = as_number(rate)
        if isinstance(rate_value, (int, Decimal)):
            ws.write_number(r, 3, float(rate_value), fmt.rate)
        write_money(ws, r, 4, pence, fmt)
    row = write_note(ws, row + 2 + len(school.elements), rounding_note(tuple(e[1] for e in school.elements)))
    ws.write_string(row, 0, "Cluster share (notional)", fmt.bold)
    write_money(ws, row, 1, school.cluster_share, fmt, bold=True)
    ws.write_string(row + 1, 0, "Total: SSA + PSF + cluster share", fmt.bold)
    write_money(ws, row + 1, 1, school.total, fmt, bold=True)
    return row + 2


#: A `per_cluster` element on a return: a school's units are its pupils, its rate its cluster's £ per pupil.
PER_CLUSTER_WORDS = "a fixed sum per cluster, shared by its schools' pupils"
#: Under the elements (SPEC §1): each element's total is shared to the penny across every school of the
#: authority at once, by the largest remainder, not within the cluster.
ROUNDING_NOTE = ("Units × rate = amount, to within a penny: each element's total is shared among all the "
                 "authority's schools at once, rounded down to the penny, and the pennies left over go one each "
                 "to the largest remainders, so that the schools' amounts add up exactly to the element's total.")
#: The same where an element is shared within each cluster (SPEC §11.8): a `per_cluster` sum, by its schools' pupils,
#: and formula.protection's adjustment, in proportion to its schools' other elements.
WITHIN_CLUSTER_NOTE = ("Units × rate = amount, to within a penny: each element's total is shared among all the "
                       "authority's schools at once, but {within}, among its schools; rounded down to the penny, and "
                       "the pennies left over go one each to the largest remainders, so that the schools' amounts "
                       "add up exactly to the element's total (the cluster's, {within_short}).")


@cache
def rounding_note(bases: tuple[str, ...]) -> str:
    """The note under the elements, by their bases in words: whether any is shared within each cluster."""
    within = [words for basis, words in ((PER_CLUSTER_WORDS, "a sum per cluster"),
                                         (basis_words("floor"), "the protection's adjustment")) if basis in bases]
    if not within:
        return ROUNDING_NOTE
    return WITHIN_CLUSTER_NOTE.format(within=" and ".join(within) + (" are" if len(within) > 1 else " is")
                                      + " shared within each cluster", within_short="within a cluster")


#: A setting outside the formula (SPEC §11.2): no cluster share, only its SSA and PSF; in no cluster, or in one.
OUTSIDE_NOTE = ("This setting is outside the cluster formula and in no cluster: it takes no cluster share and "
                "is paid only its SSA and its continuing PSF.")
OUTSIDE_IN_CLUSTER_NOTE = ("This setting is outside the cluster formula: it takes no share of its cluster's "
                           "allocation and is paid only its SSA and its continuing PSF.")


def outside_block(ws: Worksheet, fmt: Formats, school: SchoolReturn, row: int) -> int:
    """For a setting outside the formula, in place of the formula block: why it has no cluster share,
    and its total (SSA + PSF); next free row."""
    ws.write_string(row, 0, "3. Cluster formula share: none", fmt.bold)
    row = write_note(ws, row + 1, OUTSIDE_IN_CLUSTER_NOTE if school.cluster_id else OUTSIDE_NOTE)
    ws.write_string(row, 0, "Total: SSA + PSF", fmt.bold)
    write_money(ws, row, 1, school.total, fmt, bold=True)
    return row + 1


def as_number(units: object) -> object:
    """Units given as exact text ('312', '41.5') become numbers for the sheet; others unchanged."""
    return _text_number(units) if isinstance(units, str) else units


#: common.number_or_text, remembered: the rates, and most units, repeat from school to school.
_text_number = lru_cache(maxsize=4096)(number_or_text)
