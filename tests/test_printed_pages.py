"""The printed page: what a school's business manager, a cluster lead or the Forum reads on paper.

A workbook prints one page wide, so the wider its columns the smaller its text.  These tests
work out the printed size the way Excel and LibreOffice do (the columns' widths in pixels, the
page's width between its margins) and read the print settings back from the files."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
import re

import openpyxl

from builders import ONE_RETURN as ONE
from senrun.outputs import returnbook
from senrun.outputs.returnbook import return_bytes

#: A4's long side, in inches; Excel's default font, in points.
A4_LONG = 11.69
FONT = 11


def printed_points(data: bytes) -> float:
    """The text's size on paper of a one-sheet workbook printed one page wide, landscape on A4."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert 'orientation="landscape"' in sheet and 'paperSize="9"' in sheet and 'fitToPage="1"' in sheet
    widths = [float(w) for w in re.findall(r'<col [^>]*width="([0-9.]+)"', sheet)]
    margins = re.search(r'<pageMargins left="([0-9.]+)" right="([0-9.]+)"', sheet)
    page = (A4_LONG - float(margins[1]) - float(margins[2])) * 72  # points between the margins
    columns = sum(int(w * 7) for w in widths) * 0.75  # Calibri 11's seven-pixel digit; a pixel is 0.75 point
    return FONT * min(1.0, page / columns)


def test_a_schools_return_prints_one_page_wide_at_nine_points_or_more__spec_6():
    # At its first widths (the "Why" column 80 characters wide) it printed at about 6 points.
    assert printed_points(return_bytes(ONE)) >= 9


def test_no_note_on_a_return_runs_past_the_printed_page__spec_6():
    # Text that runs on past the last column does not print: a note longer than the page is written on several rows.
    ws = openpyxl.load_workbook(io.BytesIO(return_bytes(ONE)))["Return"]
    notes = [str(cell.value) for cell in ws["A"] if cell.value is not None]
    assert max(len(note) for note in notes) <= returnbook.NOTE_ROOM
    assert " ".join(n for n in notes if n.startswith("Units × rate") or n.startswith("pennies")) \
        == returnbook.ROUNDING_NOTE


def test_a_return_repeats_its_childrens_header_on_every_printed_page_with_or_without_children__spec_6():
    for school in (replace(ONE, children=ONE.children * 60), replace(ONE, children=())):
        ws = openpyxl.load_workbook(io.BytesIO(return_bytes(school)))["Return"]
        first = int(ws.print_title_rows.split(":")[0].strip("$"))
        assert ws.print_title_rows == f"${first}:${first}"
        assert [c.value for c in ws[first]] == list(returnbook.CHILD_LABELS)


def test_a_childs_reason_that_wraps_is_given_the_height_of_its_lines_and_a_short_one_is_not__spec_6():
    long_why = "phase_end: left the protected phase at the end of secondary (Year 11), and more words besides"
    children = (ONE.children[0], ONE.children[0][:8] + ("ceased",) + ONE.children[0][9:],
                ONE.children[0][:8] + (long_why,) + ONE.children[0][9:])
    ws = openpyxl.load_workbook(io.BytesIO(return_bytes(replace(ONE, children=children))))["Return"]
    header = int(ws.print_title_rows.split(":")[0].strip("$"))
    heights = [ws.row_dimensions[header + k].height for k in (1, 2, 3)]
    assert [ws.cell(header + k, 9).value for k in (1, 2, 3)] == [c[8] for c in children]
    assert heights[0] == 30 and heights[1] is None and heights[2] == 45  # two lines, one line (the default), three
    assert ws.cell(header + 3, 9).alignment.wrap_text
