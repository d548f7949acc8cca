"""Statements and schools workbooks as council officers leave them after years in Excel: formatting over
empty cells, formulas written by programs that do not calculate, merged cells, protected and filtered sheets
(SPEC §5, docs/inputs.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles import Border, PatternFill, Side

from senrun.config.loader import InputSpec
from senrun.errors import Issues
from senrun.inputs.load import read_input

HEADER = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School", "Annual PSF", "Stream"]
COLUMNS = tuple(zip(HEADER, ("upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream")))
ROWS = [["D926200113001", date(2001, 11, 14), date(2010, 3, 1), "9262001", 9876.54, "PSF"],
        ["W926200111002", date(2005, 3, 1), date(2011, 6, 1), "9262001", 8400, "SSMN"],
        ["Y926400109003", date(2000, 1, 10), date(2009, 9, 1), "9264001", 12000, "SSMN"],
        ["U926200212004", date(2006, 5, 5), date(2012, 1, 10), "9262002", 1500, "SSMN"]]


def statements_sheet(path: Path) -> tuple[openpyxl.Workbook, object]:
    """The statements on a sheet of a new openpyxl workbook (saved by the caller, after its changes)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Statements"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    return book, ws


def read_statements(path: Path):
    issues = Issues()
    table = read_input(InputSpec("statements", path, path.name, sheet="Statements", columns=COLUMNS), issues)
    return table, issues


def test_borders_and_fills_over_empty_cells_out_to_column_xfd_and_row_1048576_are_read_as_the_table_they_frame__spec_5(
        tmp_path):
    path = tmp_path / "statements.xlsx"
    book, ws = statements_sheet(path)
    thin = Side(style="thin")
    ws.cell(row=1, column=16384).fill = PatternFill("solid", fgColor="FFFF00")  # the header row coloured to XFD
    ws.cell(row=1048576, column=16384).border = Border(bottom=thin)  # a border left at the sheet's far corner
    book.save(path)
    table, issues = read_statements(path)
    assert issues.items == []
    assert table.frame["annual_amount"].to_list() == [987654, 840000, 1200000, 150000]


def test_a_protected_sheet_filtered_to_some_rows_is_said_to_be_filtered_and_told_to_clear_the_filter__spec_5(
        tmp_path):
    path = tmp_path / "statements.xlsx"
    book, ws = statements_sheet(path)
    ws.auto_filter.ref = "A1:F5"
    ws.auto_filter.add_filter_column(5, ["PSF"])
    for row in (3, 4, 5):
        ws.row_dimensions[row].hidden = True
    ws.protection.sheet = True  # written before the filter, with its own autoFilter="1" (filtering not allowed)
    book.save(path)
    _, issues = read_statements(path)
    [warning] = [i for i in issues.items if i.code == "hidden_rows"]
    assert warning.message.startswith("rows 3–5 are hidden in Excel (the sheet is filtered, on A1:F5)")
    assert "clear the filter" in warning.message


def test_a_stream_merged_down_three_rows_is_an_error_below_its_first_row_not_paid_as_psf__spec_5_docs_inputs(tmp_path):
    """Excel shows SSMN on every row of the merged cells; the file holds it on the first alone, and the rows below
    read as blank would be paid PSF (£20,515.17 to a child whose SSMN is no PSF, with exit 0, when a warning)."""
    path = tmp_path / "statements.xlsx"
    book, ws = statements_sheet(path)
    ws.merge_cells("F3:F5")  # Excel shows SSMN on rows 3–5; the file holds it on row 3 alone
    book.save(path)
    _, issues = read_statements(path)
    merged = [i for i in issues.items if i.code == "merged_value"]
    assert [(i.severity, i.row, i.column) for i in merged] == [("error", 4, "Stream"), ("error", 5, "Stream")]
    assert merged[0].message == ("row 4 is part of cells merged from row 3, so the file holds no value here; it would "
                                 "be read as blank (so PSF), not as the value Excel shows there: unmerge the cells and "
                                 "fill in each row")


@pytest.mark.parametrize("first", [date(2013, 12, 1), None])
def test_a_ceased_date_merged_down_two_childrens_rows_is_an_error_not_paid_as_continuing__spec_5_docs_inputs(
        tmp_path, first):
    """A ceased date merged over two rows: Excel shows it on both, the file on the first alone, and the second child
    would be paid all year.  Merged blank cells show nothing, and read as blank are what Excel shows: a warning."""
    path = tmp_path / "statements.xlsx"
    book, ws = statements_sheet(path)
    ws.cell(row=1, column=7, value="Ceased")
    ws.cell(row=3, column=7, value=first)
    ws.merge_cells("G3:G4")
    book.save(path)
    issues = Issues()
    table = read_input(InputSpec("statements", path, path.name, sheet="Statements",
                                 columns=(*COLUMNS, ("Ceased", "ceased_date"))), issues)
    assert table.frame["ceased_date"].to_list() == [None, first, None, None]
    found = [(i.code, i.severity, i.row, i.column) for i in issues.items if i.code.startswith("merged")]
    assert found == [("merged_value", "error", 4, "Ceased") if first else ("merged_cells", "warning", 4, "Ceased")]


def test_a_formula_saved_by_xlsxwriter_without_its_value_is_an_error_not_0_pounds__spec_5_spec_8(tmp_path):
    """XlsxWriter does not calculate: it saves each formula with the value 0 and marks the workbook to be
    calculated when opened. Read as it stands, `=192.45*52` would be £0.00 of PSF."""
    path = tmp_path / "statements.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Statements")
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS, start=1):
        ws.write_row(r, 0, row[:1])
        ws.write_datetime(r, 1, row[1], dates)
        ws.write_datetime(r, 2, row[2], dates)
        ws.write_row(r, 3, row[3:])
    ws.write_formula(1, 4, "=192.45*52")  # the annual amount, as a weekly rate × 52
    ws.write_formula(2, 2, "=DATE(2011,6,1)", dates)
    ws.write_formula(3, 4, "=12000", None, 12000)  # given its value: read as it
    book.close()
    table, issues = read_statements(path)
    bad = sorted((i.row, i.column) for i in issues.errors)
    assert bad == [(2, "Annual PSF"), (3, "Statement Date")]
    assert all("is a formula with no calculated value" in i.message for i in issues.errors)
    assert any("=192.45*52" in i.message for i in issues.errors)


def test_a_sheet_too_large_whose_cells_carry_no_reference_is_refused_in_words_not_a_traceback__spec_5(tmp_path):
    """Some programs write cells with no `r="B2"` reference, each placed from column A on: a sheet of them spanning
    more than senrun reads was told by its last column used, which such a sheet has none of (a ValueError)."""
    import zipfile

    import pytest

    from senrun.inputs.excel import MAX_CELLS, Unreadable, read_sheet_found

    rows, per_row = 1_400, 13  # 18,200 cells without a reference: 16,384 columns × 1,400 rows placed
    assert rows * (1 << 14) > MAX_CELLS
    path = tmp_path / "statements.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Statements").write(0, 0, "x")
    book.close()
    cells = "".join(f'<row r="{r}">' + "<c><v>1</v></c>" * per_row + "</row>" for r in range(1, rows + 1))
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + cells + sheet[end:]).encode()
    with zipfile.ZipFile(path, "w") as new:
        for name, data in parts.items():
            new.writestr(name, data)
    with pytest.raises(Unreadable, match="cells with no reference, each placed in a column of its own"):
        read_sheet_found(path, "Statements")
