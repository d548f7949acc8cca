"""XlsxWriter helpers shared by the allocation workbook and the per-school returns.

Every workbook is built in memory with a fixed creation time (so re-runs are
byte-identical), text is written with `write_string` only (a name such as `=SUM(A1)`
stays text), money is pence / 100 under a currency format, and nulls are left blank.
Kept free of Polars so that the processes writing the returns start quickly.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import xlsxwriter
from xlsxwriter.chartsheet import Chartsheet
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .common import FIXED_CREATED
from .tablesheet import MAX_FOOTER, fit_units, utf16_units

MONEY_FORMAT = "£#,##0.00;-£#,##0.00"  # not in [Red]: #FF0000 on white is 4.0 to 1, below WCAG 1.4.3's 4.5
DATE_FORMAT = "dd/mm/yyyy"
INT_FORMAT = "#,##0"
PCT_FORMAT = '0.00"%"'  # change_pct holds per cents (12.5 is 12.5%), to 2 dp as flag_pct is tested: unscaled
HEADER_FILL = "#DDEBF7"
RATE_FORMAT = "£#,##0.00####"  # a rate in £ to the pence, more places (up to 6) only where it has them
MAX_WIDTH = 60
MIN_WIDTH = 6

WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}


@dataclass(frozen=True)
class Formats:
    """The cell formats a workbook uses."""

    title: object
    bold: object
    header: object
    money: object
    money_bold: object
    date: object
    integer: object
    pct: object
    wrap: object
    integer_bold: object
    rate: object
    header_wrap: object
    pct_bold: object  # a totals row's change in per cent, bold as the money beside it
    text_wrap: object  # a table's text longer than its column's widest (MAX_WIDTH): wrapped, at the foot of its row


def open_book(buffer: io.BytesIO, title: str, subject: str = "") -> Workbook:
    """A workbook writing into `buffer`: text never read as a formula, a link or a number, and fixed properties
    (the same bytes for the same figures): its title, and the `subject` a published workbook is listed by."""
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    book.set_properties({"title": title, **({"subject": subject} if subject else {}), "author": "senrun",
                         "created": FIXED_CREATED})
    return book


def new_workbook(buffer: io.BytesIO, title: str, subject: str = "") -> tuple[Workbook, Formats]:
    """A workbook writing into `buffer` (open_book), with the shared formats."""
    book = open_book(buffer, title, subject)
    add = book.add_format
    formats = Formats(
        title=add({"bold": True, "font_size": 14}),
        bold=add({"bold": True}),
        header=add({"bold": True, "bg_color": HEADER_FILL, "border": 1, "text_wrap": False}),
        money=add({"num_format": MONEY_FORMAT}),
        money_bold=add({"num_format": MONEY_FORMAT, "bold": True}),
        date=add({"num_format": DATE_FORMAT}),
        integer=add({"num_format": INT_FORMAT}),
        pct=add({"num_format": PCT_FORMAT}),
        wrap=add({"text_wrap": True, "valign": "top"}),
        integer_bold=add({"num_format": INT_FORMAT, "bold": True}),
        rate=add({"num_format": RATE_FORMAT}),
        header_wrap=add({"bold": True, "bg_color": HEADER_FILL, "border": 1, "text_wrap": True}),
        pct_bold=add({"num_format": PCT_FORMAT, "bold": True}),
        text_wrap=add({"text_wrap": True}),
    )
    return book, formats


def register_formats(formats: Formats) -> None:
    """Give every format its place in the styles now, in a fixed order, rather than on first use."""
    for field in fields(formats):
        getattr(formats, field.name)._get_xf_index()


def write_value(ws: Worksheet, row: int, col: int, value: object, fmt: Formats,
                money: bool = False) -> None:
    """One cell by its Python type; text always as a string, never as a formula; None blank."""
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif money and isinstance(value, int):
        ws.write_number(row, col, value / 100, fmt.money)
    elif isinstance(value, int):
        ws.write_number(row, col, value, fmt.integer)
    elif isinstance(value, (float, Decimal)):
        ws.write_number(row, col, float(value))
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt.date)
    elif isinstance(value, date):
        ws.write_datetime(row, col, value, fmt.date)
    else:
        ws.write_string(row, col, str(value))


def write_header(ws: Worksheet, row: int, names: list[str] | tuple[str, ...], fmt: Formats) -> None:
    """A bold, filled header row."""
    for col, name in enumerate(names):
        ws.write_string(row, col, name, fmt.header)


def write_money(ws: Worksheet, row: int, col: int, pence: int | None, fmt: Formats, bold: bool = False) -> None:
    """Pence as a pounds number under the currency format."""
    if pence is not None:
        ws.write_number(row, col, pence / 100, fmt.money_bold if bold else fmt.money)


#: A header wraps on at most this many lines.
HEADER_LINES = 3


def fit_wrapped(header: str, longest: int) -> float:
    """A column width from its longest content and its header wrapped (fmt.header_wrap): wide enough for the
    header's longest word, and for the header on HEADER_LINES lines; within limits.  A header as wide as its
    words had made a sheet of many columns print at 5 points ("Schools gaining" above a 3-digit count)."""
    words = max((len(word) for word in header.split()), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, words + 2, -(-len(header) // HEADER_LINES) + 2, longest + 2)))


#: A line's height in points, Excel's default row (Calibri 11; LibreOffice's rows are shorter, so a block that fits
#: a page by this height fits there too); and about how many pixels a character of 11-point text takes (bold the
#: wider): Excel and LibreOffice keep a row at the height the file gives it, so a row whose cell wraps is given its
#: lines.
LINE_POINTS = 15
CHAR_PIXELS, BOLD_PIXELS = 6.5, 7.2
#: The pixels of a cell's width that its text cannot use (its margins).
CELL_PADDING = 4
#: Excel's tallest row, in points.
MOST_POINTS = 409


def lines_height(lines: int) -> float:
    """A row's height for `lines` lines of wrapped text, within Excel's tallest row (a cell of thousands of
    characters shows its first screenfuls, as Excel itself would)."""
    return min(MOST_POINTS, LINE_POINTS * lines)


@lru_cache(maxsize=4096)
def lines_in(text: str, width: float, bold: bool = False) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide (at least one)."""
    room = max(1, int((width * 7 - CELL_PADDING) / (BOLD_PIXELS if bold else CHAR_PIXELS)))
    return max(1, len(textwrap.wrap(text, room)))


def wrapped_header(ws: Worksheet, row: int, names: list[str] | tuple[str, ...], widths: list[float],
                   header_format: object) -> None:
    """A header row in `header_format` (Formats.header_wrap, or a workbook's own), wrapped within its columns
    (`widths`), as tall as its tallest header."""
    for col, name in enumerate(names):
        ws.write_string(row, col, name, header_format)
    lines = max((lines_in(name, width, bold=True) for name, width in zip(names, widths)), default=1)
    if lines > 1:
        ws.set_row(row, lines_height(lines))


#: A4's sides, in inches, and the margins XlsxWriter sets (0.7 in left and right, 0.75 in top and bottom).
A4_SHORT, A4_LONG, SIDE_MARGINS, TOP_BOTTOM_MARGINS = 8.27, 11.69, 1.4, 1.5
#: The widest, in pixels, that a sheet's columns may add up to and still print one A4 landscape page wide at
#: about 9 points (11-point text scaled by 9/11), between Excel's default margins.
PAGE_PIXELS_AT_9PT = int((A4_LONG - SIDE_MARGINS) * 72 / 0.75 * 11 / 9)


def column_pixels(width: float) -> int:
    """A column's width in pixels, as XlsxWriter works it out for a width in characters of Calibri 11 (its
    seven-pixel digit, rounded, and five pixels of margin)."""
    return int(width * 7 + 0.5) + 5


def pages_wide(widths: list[float], repeated: int) -> int:
    """How many pages wide a sheet of these column widths prints at about 9 points, its first `repeated`
    columns printed on every page: one where they fit, else as many as they need."""
    total = sum(column_pixels(w) for w in widths)
    if total <= PAGE_PIXELS_AT_9PT:
        return 1
    kept = sum(column_pixels(w) for w in widths[:repeated])
    room = max(PAGE_PIXELS_AT_9PT - kept, PAGE_PIXELS_AT_9PT // 3)
    return -(-(total - kept) // room)


def money_text_width(pence: int | None) -> int:
    """How wide £-1,234,567.89 is when shown."""
    if pence is None:
        return 0
    whole = abs(int(pence)) // 100
    return len(f"{whole:,}") + 5


def close_to_bytes(book: Workbook, buffer: io.BytesIO) -> bytes:
    """Finish the workbook and return its bytes (what `book.close()` writes, compressed on two
    threads: xlsxpack.pack)."""
    from .xlsxpack import pack

    return pack(book, buffer)


#: After a footer's left text, the name of the sheet the page is of (Excel's &A code), so that a page
#: loose from its workbook still says whose it is ("2013-14 – Clusters").
SHEET_NAME = " – &A"


def footer(left: str, right: str = "", sheet: bool = False) -> str:
    """A printed footer: `left` (and, with `sheet`, the sheet's name after it) on the left, page N of M in
    the middle, `right` on the right, each & doubled so that it prints as itself.  Within Excel's 255
    characters: an overlong `left` (a long year label or school id) is cut and ends in '…', where XlsxWriter
    would leave the whole footer out; the sheet's name is never cut off."""
    tail = "&CPage &P of &N" + (f"&R{right.replace('&', '&&')}" if right else "")
    name = SHEET_NAME if sheet else ""
    text, room = left.replace("&", "&&"), MAX_FOOTER - len("&L") - utf16_units(name) - utf16_units(tail)
    if utf16_units(text) > room:
        text = fit_units(text, room - 1)
        text = (text[:-1] if (len(text) - len(text.rstrip("&"))) % 2 else text) + "…"  # never half an &&
    return f"&L{text}{name}{tail}"


def print_setup(ws: Worksheet, header_row: int | None = None, upright: bool = False, wide: int = 1,
                repeated: int = 0) -> None:
    """Printed, a sheet fits the page width in landscape and repeats its header on every page
    (a chart sheet is one page already: fitting is a worksheet's setting, not a chart sheet's);
    `upright`, a sheet of a column or two (a cluster pack's Cluster sheet) fits one page, portrait.
    A table too wide to print legibly on one page prints `wide` pages wide, its first `repeated` columns
    (the id and the name) on every page (pages_wide)."""
    ws.set_portrait() if upright else ws.set_landscape()
    ws.set_paper(9)  # A4
    if isinstance(ws, Chartsheet):
        return
    ws.fit_to_pages(wide, 1 if upright else 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    if wide > 1:  # each band of rows printed across before the next (a school's total beside its other figures)
        ws.print_across()
        if repeated:
            ws.repeat_columns(0, repeated - 1)


def page_height(widths: list[float]) -> float:
    """How much of a sheet, in points of its rows, one page holds when a sheet of these column widths
    prints landscape on A4 one page wide (print_setup): the page's height between its margins, over the
    scale that fits the columns' width between the margins (a column of width w is 7w + 5 pixels)."""
    pixels = sum(column_pixels(w) for w in widths)
    scale = min(1.0, (A4_LONG - SIDE_MARGINS) * 72 / (pixels * 0.75))
    return (A4_SHORT - TOP_BOTTOM_MARGINS) * 72 / scale


def keep_together(ws: Worksheet, above: float, blocks: list[tuple[int, float]], page: float) -> None:
    """Page breaks before the blocks (first row, height in points; in order, below `above` points of rows)
    that would not fit on what is left of the page they start on, so that a table prints with its heading
    and header rather than split after its first row.  A block taller than a page starts a page."""
    used, breaks = above % page, []
    for row, height in blocks:
        if used > 0 and used + height > page:
            breaks.append(row)
            used = 0.0
        used = (used + height) % page
    if breaks:
        ws.set_h_pagebreaks(breaks)


def finish_print(book: Workbook, footer: str) -> None:
    """Every sheet's printed footer (the year, page N of M, the run's reference), set last so that
    no sheet is missed; sheets are landscape and one page wide (print_setup)."""
    finish_sheets(book.worksheets(), footer)


def finish_sheets(sheets: list[Worksheet], footer: str) -> None:
    """finish_print for these sheets (a workbook's, in order)."""
    for ws in sheets:
        ws.set_footer(footer)
        if not ws.fit_page:
            print_setup(ws)
