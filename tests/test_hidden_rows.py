"""Rows hidden in Excel (filtered out, hidden by hand) are read like any other row, and warned of: a
finance officer who sees only the visible rows would not expect them to count (docs/decisions.md, 81)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import yaml

from senrun.config.loader import InputSpec, load_config
from senrun.errors import Issues
from senrun.inputs.load import read_input, row_runs
from senrun.pipeline import allocate
from senrun.validate import run_validation

BASELINE = Path(__file__).parent / "fixtures" / "bad" / "_baseline"
HEADER = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School", "Annual PSF", "Stream", "Status"]
COLUMNS = tuple(zip(HEADER, ("upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream")))
#: The baseline's statements, with a status: the two "Ceased" (rows 3 and 4) are the rows a filter hides.
ROWS = [["D926200113001", date(2001, 11, 14), date(2010, 3, 1), 9262001, 9876.54, "PSF", "Current"],
        ["W926200111002", date(2005, 3, 1), date(2011, 6, 1), 9262001, 8400, "PSF", "Ceased"],
        ["Y926400109003", date(2000, 1, 10), date(2009, 9, 1), 9264001, 12000, "PSF", "Ceased"],
        ["U926200212004", date(2006, 5, 5), date(2012, 1, 10), 9262002, 1500, "SSMN", "Current"]]


def statements_book(path: Path, hidden: tuple[int, ...] = (), filtered: bool = True, title: bool = False) -> Path:
    """The statements as Excel saves them, filtered to Status = "Current" (its rows `hidden`, as Excel
    numbers them); with `title`, a title row (hidden) above the header."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Statements"
    if title:
        ws.append(["Statements with PSF, 2013-14"])
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    for cells in ws.iter_rows(min_col=2, max_col=3):
        for cell in cells:
            cell.number_format = "dd/mm/yyyy"
    top = 2 if title else 1
    if filtered:
        ws.auto_filter.ref = f"A{top}:G{top + len(ROWS)}"
        ws.auto_filter.add_filter_column(6, ["Current"])
    for row in hidden:
        ws.row_dimensions[row].hidden = True
    book.save(path)
    return path


def run_folder(folder: Path, **statements) -> Path:
    """The clean baseline run with its statements in a workbook; returns the config's path."""
    shutil.copytree(BASELINE, folder)
    statements_book(folder / "statements.xlsx", **statements)
    config = yaml.safe_load((folder / "senrun.yaml").read_text())
    config["inputs"]["statements"].update(path="statements.xlsx", sheet="Statements")
    (folder / "senrun.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder / "senrun.yaml"


def read_statements(path: Path):
    issues = Issues()
    table = read_input(InputSpec("statements", path, path.name, columns=COLUMNS), issues)
    return table, issues


def test_rows_filtered_out_of_a_statements_workbook_are_warned_of_by_file_sheet_and_rows_and_still_paid(tmp_path):
    hidden = run_folder(tmp_path / "hidden", hidden=(3, 4))
    shown = run_folder(tmp_path / "shown")

    report = run_validation(hidden)

    [warning] = [i for i in report.issues if i.code == "hidden_rows"]
    assert (warning.severity, warning.file, warning.sheet, warning.row) == ("warning", "statements.xlsx",
                                                                            "Statements", None)
    assert warning.message == ("rows 3–4 are hidden in Excel (the sheet is filtered, on A1:G5): senrun reads every "
                               "row, hidden or not; delete the rows that should not count, or clear the filter to "
                               "see them")
    assert report.errors == [] and report.totals == run_validation(shown).totals
    paid, unhidden = allocate(load_config(hidden)), allocate(load_config(shown))
    assert paid.psf.equals(unhidden.psf) and paid.schools.equals(unhidden.schools)
    assert paid.psf["upn"].is_in(["W926200111002", "Y926400109003"]).sum() >= 2  # the hidden ones are paid


def test_the_hidden_rows_warning_names_no_value_of_the_rows_it_names(tmp_path):
    _, issues = read_statements(statements_book(tmp_path / "statements.xlsx", hidden=(3,)))
    [warning] = issues.items
    assert warning.message.startswith("row 3 is hidden in Excel")
    assert warning.value is None and not any(text in str(warning) for text in ("W926200111002", "Ceased", "8400"))


def test_a_hidden_empty_row_and_a_hidden_title_row_above_the_header_give_no_warning(tmp_path):
    path = statements_book(tmp_path / "statements.xlsx", hidden=(1, 7, 8), filtered=False, title=True)
    table, issues = read_statements(path)
    assert table.frame.height == 4 and issues.items == []


def test_rows_hidden_by_hand_without_a_filter_are_warned_of_and_told_to_be_unhidden(tmp_path):
    path = tmp_path / "statements.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Statements")
    ws.write_row(0, 0, HEADER)
    for r, row in enumerate(ROWS * 10, start=1):
        ws.write_row(r, 0, [f"{row[0][:-3]}{r:03d}", *(d.isoformat() if isinstance(d, date) else d for d in row[1:])])
        if r in (2, 3, 4, 9, 40):  # Excel rows 3–5, 10, 41
            ws.set_row(r, None, None, {"hidden": True})
    book.close()
    _, issues = read_statements(path)
    [warning] = [i for i in issues.items if i.code == "hidden_rows"]
    assert warning.message == ("rows 3–5, 10, 41 are hidden in Excel (hidden by hand, by a table's filter, or in a "
                               "collapsed group): senrun reads every row, hidden or not; delete the rows that should "
                               "not count, or unhide them to see them")


def test_a_long_listing_of_hidden_rows_is_cut_and_the_rest_counted():
    assert row_runs([20, 21, 22, 31]) == "rows 20–22, 31"
    assert row_runs([7]) == "row 7"
    assert row_runs(list(range(2, 200, 2)), limit=3) == "rows 2, 4, 6, … and 96 more"


INPUTS = {
    "schools": (["school_id", "school_name", "cluster_id"], [9262001, "Ashwell Primary", "C1"]),
    "census": (["upn", "school_id", "date_of_birth"], ["D926200113001", 9262001, "2001-11-14"]),
    "moves": (["upn", "from_school_id", "to_school_id", "move_date", "reason"],
              ["D926200113001", 9262001, 9262002, "2013-11-15", "managed_move"]),
    "links": (["school_id", "successor_id"], [9262001, 9262002]),
    "statements": ([c for _, c in COLUMNS], ["D926200113001", "2001-11-14", "2010-03-01", 9262001, 9876.54, "PSF"]),
}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_hidden_row_of_data_is_warned_of_in_every_input_read_from_a_workbook(tmp_path, name):
    header, row = INPUTS[name]
    path = tmp_path / f"{name}.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(name.title())
    for r in range(4):
        ws.write_row(r, 0, header if r == 0 else row)
    ws.set_row(2, None, None, {"hidden": True})
    book.close()
    issues = Issues()
    read_input(InputSpec(name, path, path.name), issues)
    assert [(i.code, i.file, i.sheet) for i in issues.items if i.code == "hidden_rows"] == [
        ("hidden_rows", path.name, name.title())]
    assert "row 3 is hidden" in next(i.message for i in issues.items if i.code == "hidden_rows")


def test_a_row_hidden_as_libreoffice_marks_it_is_found_and_a_hidden_column_is_no_hidden_row(tmp_path):
    from corpus.generate import SHEET_HEAD, header_cells, raw_workbook

    path = tmp_path / "statements.xlsx"
    cells = '<c r="A{0}" t="inlineStr"><is><t>B80120000500{0}</t></is></c>'
    raw_workbook(path, [SHEET_HEAD.replace("<sheetData>", '<cols><col min="7" max="7" hidden="1"/></cols><sheetData>'),
                        header_cells(), f'<row r="2">{cells.format(2)}</row>',
                        f'<row r="3" customHeight="1" hidden="true">{cells.format(3)}</row>'
                        "</sheetData></worksheet>"])
    from senrun.inputs.excel import read_sheet_found

    assert read_sheet_found(path.read_bytes(), None).hidden == [2]


def test_a_hidden_rows_warning_is_accepted_by_an_accept_list_naming_its_kind_and_file(tmp_path):
    config = run_folder(tmp_path / "run", hidden=(3, 4))
    accept = tmp_path / "accept.yaml"
    accept.write_text("accept:\n  - kind: hidden_rows\n    file: statements.xlsx\n    all: true\n"
                      "    reason: the ceased statements are kept in the sheet, filtered out, and are to be paid\n"
                      "    until: 2099-03-31\n")
    report = run_validation(config, accept_file=accept)
    assert [i.code for i, _ in report.accepted.accepted] == ["hidden_rows"]
    assert not [i for i in report.shown if i.code == "hidden_rows"]
