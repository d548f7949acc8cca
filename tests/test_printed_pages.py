"""The printed page: what a school's business manager, a cluster lead or the Forum reads on paper.

A workbook prints one page wide, so the wider its columns the smaller its text.  These tests
work out the printed size the way Excel and LibreOffice do (the columns' widths in pixels, the
page's width between its margins) and read the print settings back from the files."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

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


# --- the tables of the workbook, the restricted workbook and a cluster pack -----------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    """The committed sample's allocation (431 schools, names up to 82 characters), without the returns."""
    from typer.testing import CliRunner

    from senrun.cli import app

    out = tmp_path_factory.mktemp("sample") / "out"
    done = CliRunner().invoke(app, ["allocate", "--config", str(ROOT / "config" / "senrun.yaml"), "--out", str(out),
                                    "--no-returns", "--packs", "--quiet"])
    assert done.exit_code == 0, done.output
    return out


def sheets_on_paper(data: bytes) -> dict[str, tuple[float, int, int]]:
    """Each worksheet printed one or more pages wide: (the text's size on paper in points, pages wide, the
    columns repeated on every page), the way Excel fits it (its columns, and those repeated on each page
    after the first, scaled into that many pages' width)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        book = z.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', book)
        parts = dict(re.findall(r'Id="(rId\d+)" Type="[^"]+" Target="([^"]+)"',
                                z.read("xl/_rels/workbook.xml.rels").decode()))
        titles = dict(re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]+)<', book))
        out = {}
        for index, (name, rid) in enumerate(names):
            part = "xl/" + parts[rid]
            if not part.startswith("xl/worksheets/"):
                continue  # a chart sheet
            sheet = z.read(part).decode()
            if 'fitToPage="1"' not in sheet:
                continue
            widths = []
            for low, high, width in re.findall(r'<col min="(\d+)" max="(\d+)" width="([0-9.]+)"', sheet):
                widths += [float(width)] * (int(high) - int(low) + 1)
            wide = int((re.search(r'fitToWidth="(\d+)"', sheet) or [None, "1"])[1])
            columns = re.search(r"\$([A-Z]+):\$([A-Z]+)", titles.get(str(index), ""))
            repeated = (ord(columns[2]) - ord("A") + 1) if columns else 0
            margins = re.search(r'<pageMargins left="([0-9.]+)" right="([0-9.]+)"', sheet)
            page = (A4_LONG - float(margins[1]) - float(margins[2])) * 72
            pixels = sum(int(w * 7) for w in widths) + (wide - 1) * sum(int(w * 7) for w in widths[:repeated])
            out[name] = (FONT * min(1.0, wide * page / (pixels * 0.75)), wide, repeated)
    return out


def test_every_table_of_the_workbooks_prints_at_nine_points_or_more_repeating_its_id_and_name__spec_6(sample_out):
    # The Schools sheet had printed at about 5 points one page wide (its headers as wide as their words), the PSF
    # sheet of pupils.xlsx at 4 and a cluster pack's Schools sheet at 6.  A table too wide for one page prints on
    # as many as it needs, its id and name columns on every page.
    books = {"allocations.xlsx": sample_out / "allocations.xlsx", "pupils.xlsx": sample_out / "pupils.xlsx",
             "a cluster pack": sorted((sample_out / "clusters").glob("*.xlsx"))[0]}
    for label, path in books.items():
        for sheet, (points, wide, repeated) in sheets_on_paper(path.read_bytes()).items():
            assert points >= 8.95, (label, sheet, points)
            assert wide == 1 or repeated >= 1, (label, sheet)
    schools = sheets_on_paper((sample_out / "allocations.xlsx").read_bytes())["Schools"]
    assert schools[1] > 1 and schools[2] == 2  # the school's id and its name on every page
    # printed across, then down: a school's total on the page after its other figures, not a dozen pages on
    ws = openpyxl.load_workbook(sample_out / "allocations.xlsx")["Schools"]
    assert ws.page_setup.pageOrder == "overThenDown"


def test_a_tables_header_wraps_in_its_column_and_its_row_is_as_tall_as_its_lines__spec_6(sample_out):
    ws = openpyxl.load_workbook(sample_out / "allocations.xlsx")["Clusters"]
    header = [cell for cell in ws[1] if cell.value]
    assert all(cell.alignment.wrap_text for cell in header)
    widths = {cell.column_letter: ws.column_dimensions[cell.column_letter].width for cell in header}
    assert any(len(cell.value) + 2 > widths[cell.column_letter] for cell in header)  # one wraps, at least
    assert ws.row_dimensions[1].height in (30, 45)


def test_a_returns_printed_footer_names_its_school_as_well_as_its_id__spec_6():
    ws = openpyxl.load_workbook(io.BytesIO(return_bytes(ONE)))["Return"]
    assert ws.oddFooter.left.text == "2013-14: S1 Ash && Elm <Primary>"  # (&& prints as &)
    assert openpyxl.load_workbook(io.BytesIO(return_bytes(replace(ONE, school_name=None))))["Return"] \
        .oddFooter.left.text == "2013-14: S1"


def test_the_childrens_section_is_a_returns_last_so_its_repeated_header_heads_only_children__spec_6():
    # Excel repeats a sheet's title rows on every page after them: with the children's table in the middle, the
    # formula block and the notes had printed under a header of UPN, stream and dates.
    # Those paid here last year and not this year come before the children, as a section of their own: after
    # them, a page break in their rows had printed last year's money under the children's "Paid this period".
    stopped = (("B801200005001", "PSF", 120000, "ceased: ended"),) * 4
    school = replace(ONE, children=ONE.children * 60, stopped=stopped)
    ws = openpyxl.load_workbook(io.BytesIO(return_bytes(school)))["Return"]
    header = int(ws.print_title_rows.split(":")[0].strip("$"))
    above = [str(c.value) for c in ws["A"][:header - 1] if c.value is not None]
    below = [str(c.value) for c in ws["A"][header:] if c.value is not None]
    sections = [t for t in above if t[:2] in ("1.", "2.", "3.", "4.", "5.", "6.")]
    assert [t[:2] for t in sections] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert sections[-2:] == ["5. Paid PSF here last year, not this year",
                             "6. Continuing pupil specific funding (PSF), by child"]
    assert set(below) == {ONE.children[0][0], "Total continuing PSF"}
    [total] = [r for r in ws.iter_rows(max_row=header) if r[0].value == "2. Continuing pupil specific funding"]
    assert (total[1].value, total[2].value) == (school.psf / 100, "(PSF: each child in section 6)")
    none = openpyxl.load_workbook(io.BytesIO(return_bytes(replace(ONE, children=()))))["Return"]
    assert [r[2].value for r in none.iter_rows() if r[0].value == "2. Continuing pupil specific funding"] == [
        "(PSF: no child this period; section 5)"]


def test_a_wide_diff_warnings_or_reconciliation_sheet_repeats_whose_each_row_is_on_every_page__spec_6(sample_out,
                                                                                                  tmp_path):
    # The Diff had repeated only its Level column (page two of a school's row said neither its id nor its name),
    # and the restricted workbook's Warnings only the kind (not where), its Reconciliation only the movement
    # (not the child's UPN).
    from typer.testing import CliRunner

    from senrun.cli import app

    out = tmp_path / "again"
    done = CliRunner().invoke(app, ["allocate", "--config", str(ROOT / "config" / "senrun.yaml"), "--out", str(out),
                                    "--no-returns", "--quiet", "--previous", str(sample_out / "schools.csv")])
    assert done.exit_code == 0, done.output
    diff = openpyxl.load_workbook(out / "allocations.xlsx")["Diff"]
    assert sheets_on_paper((out / "allocations.xlsx").read_bytes())["Diff"][1] > 1
    assert [c.value for c in diff[1][:3]] == ["Level", "School ID", "School"] and diff.print_title_cols == "$A:$C"
    warnings = openpyxl.load_workbook(out / "pupils.xlsx")["Warnings"]
    assert [c.value for c in warnings[1][:2]] == ["Kind", "Where"] and warnings.print_title_cols == "$A:$B"


def test_a_returns_psf_totals_stand_under_the_column_each_sums__spec_6():
    # The total of the children's PSF had stood under "Funding stream", while last year's total stood under its
    # own money column.
    stopped = (("B801200005001", "PSF", 120000, "ceased: ended"),)
    ws = openpyxl.load_workbook(io.BytesIO(return_bytes(replace(ONE, stopped=stopped))))["Return"]
    rows = list(ws.iter_rows(values_only=True))
    for label, heading in (("Total continuing PSF", "Paid this period (£)"),
                           ("Total paid here last year for these children", "Paid here last year (£)")):
        [total] = [r for r in rows if r[0] == label]
        [money] = [c for c, v in enumerate(total) if isinstance(v, (int, float))]
        assert heading in [r[money] for r in rows]
    assert [r for r in rows if r[0] == "Total continuing PSF"][0][6] == ONE.psf / 100


def test_a_summary_heading_is_never_the_last_line_of_a_printed_page__spec_6():
    # "Last year's register" had printed as the last line of the Summary's first page, its lines on the next:
    # a heading now prints with the two rows below it (the elements' heading with its header and first element).
    from senrun.outputs.workbook import LINE_POINTS, line_blocks
    from senrun.outputs.xlsx import keep_together

    class Sheet:
        breaks: list[int] = []

        def set_h_pagebreaks(self, rows):
            self.breaks = rows

    page = 10 * LINE_POINTS  # ten rows a page
    for heading in range(12, 30):
        ws = Sheet()
        keep_together(ws, 12 * LINE_POINTS, line_blocks(12, 40, {heading: 3}), page)
        at = heading % 10  # where on its page the heading falls without a break
        assert ws.breaks == ([heading] if at > 7 else []), heading
