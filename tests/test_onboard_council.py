"""`senrun init` and the inputs' reader on workbooks as councils really leave them: a totals row
under the statements, a chart sheet in front, a header row far below the titles, merged cells,
a damaged file, and senrun's own templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xlsxwriter
from typer.testing import CliRunner

from senrun.cli import app
from senrun.config.loader import InputSpec
from senrun.errors import Issues
from senrun.inputs.load import read_input
from senrun.inputs.upn import check_letter
from senrun.validate import run_validation

CONFIG_HEAD = ('year: "2013-14"\nperiod: {start: 2013-04-01, end: 2014-03-31}\ncensus_date: 2013-01-17\n'
               "budget: {pupil_specific_pot: 100000}\n"
               "formula: {elements: [{name: share, basis: per_school, remainder: true}]}\ninputs:\n")
SCHOOLS_HEADER = ["DfE Number", "School Name", "Cluster Code", "Cluster Name", "SSA (£)"]
SCHOOLS = [["2001", "Ash Primary", "C1", "North", 10000], ["2002", "Birch Primary", "C1", "North", 12000],
           ["2003", "Cedar High", "C2", "South", 20000]]


def upn(n: int) -> str:
    body = f"80120000{n:04d}"
    return check_letter(body) + body


def _book(path: Path, sheet: str, rows: list[list], first_row: int = 0, chart_first: bool = False,
          merge: tuple | None = None) -> Path:
    """A workbook with `rows` from `first_row` (0-based) on `sheet`; optionally a chart sheet in front of it,
    or the cells `merge` (first row, col, last row, col, value) merged."""
    book = xlsxwriter.Workbook(str(path))
    chart_sheet = book.add_chartsheet("Chart") if chart_first else None
    ws = book.add_worksheet(sheet)
    for i, row in enumerate(rows):
        ws.write_row(first_row + i, 0, row)
    if chart_sheet is not None:
        chart = book.add_chart({"type": "column"})
        chart.add_series({"values": f"='{sheet}'!$E$2:$E$4"})
        chart_sheet.set_chart(chart)
        chart_sheet.activate()
    if merge:
        ws.merge_range(*merge)
    book.close()
    return path


def _schools_only(tmp_path: Path, extra: str = "") -> Path:
    """A config for `schools.xlsx` as made by the test (`extra`: more keys of its input), with one statement."""
    _book(tmp_path / "statements.xlsx", "Statements", [
        ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount"],
        [upn(1), "14/11/2005", "01/05/2010", "2003", 6000]])
    cfg = tmp_path / "senrun.yaml"
    cfg.write_text(CONFIG_HEAD + "  statements: {path: statements.xlsx}\n"
                   "  schools: {path: schools.xlsx, columns: {\"DfE Number\": school_id, "
                   "\"School Name\": school_name, \"Cluster Code\": cluster_id, \"Cluster Name\": cluster_name, "
                   f"\"SSA (£)\": ssa}}{extra}}}\n")
    return cfg


def _council(folder: Path, totals: bool = True) -> Path:
    """A council's folder: titles above the headers, a totals row under the statements."""
    folder.mkdir(parents=True, exist_ok=True)
    _book(folder / "Schools list 2013-14.xlsx", "Schools 2013-14", [SCHOOLS_HEADER, *SCHOOLS])
    census = [["UPN", "LAEstab", "DOB", "NCyearActual", "SENprovision"]]
    census += [[upn(n), "2001" if n < 3 else "2003", "14/11/2005", "2", "S" if n < 3 else "N"] for n in range(1, 5)]
    _book(folder / "Census extract.xlsx", "Spring 2013 census", census)
    statements = [["Statements with Pupil Specific Funding"], [],
                  ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF", "Funding Stream"],
                  [upn(1), "14/11/2005", "01/05/2010", "2001", "£9,876.54", "PSF"],
                  [upn(2), "14/11/2005", "15/01/2011", "2001", 8400, "PSF"]]
    if totals:
        statements += [[], ["Total", None, None, None, 18276.54]]
    _book(folder / "SEN statements PSF.xlsx", "Statements", statements)
    return folder


def _init(files: Path, out: Path):
    return CliRunner().invoke(app, ["init", "--from", str(files), "--out", str(out)])


# --- 1. the suggested pot ----------------------------------------------------------------------

def test_init_leaves_the_statements_totals_row_out_of_the_suggested_pot_as_validate_skips_it(tmp_path):
    """The pot is the annual amounts added up (£9,876.54 + £8,400 = £18,276.54 → £19,000), not that doubled by a
    "Total" row, which validate skips as a totals row (decisions: `senrun init`)."""
    result = _init(_council(tmp_path / "council"), tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    assert re.search(r"^  pupil_specific_pot: (\d+) ", (tmp_path / "draft.yaml").read_text(), re.M).group(1) == "19000"
    plain = _init(_council(tmp_path / "no-total", totals=False), tmp_path / "plain.yaml")
    assert plain.exit_code == 0, plain.output
    assert "pupil_specific_pot: 19000 " in (tmp_path / "plain.yaml").read_text()


# --- 2. the suggested year, and a draft that validates --------------------------------------------

def test_init_suggests_a_funding_year_from_the_policy_start_and_the_files_label_not_an_old_statement_date(tmp_path):
    """The latest statement (15/01/2011) alone would say 2011-12, before policy.start (01/09/2012, SPEC §9); the
    draft says 2013-14, the first funding year after it and the files' own label, with its census in January 2013."""
    result = _init(_council(tmp_path / "council"), tmp_path / "draft.yaml")
    text = (tmp_path / "draft.yaml").read_text()
    assert re.search(r'^year: "2013-14" ', text, re.M), text
    assert "period: {start: 2013-04-01, end: 2014-03-31}" in text and "census_date: 2013-01-17 " in text
    assert "No edits needed" in result.output
    assert run_validation(tmp_path / "draft.yaml").errors == []


def test_init_takes_the_files_labelled_year_over_a_statement_dated_inside_it(tmp_path):
    """Files labelled 2013-14 whose latest plan is dated 20/02/2014, inside that financial year: a council's
    working file gains plans all year, so the draft says 2013-14 (the label) and names the other reading,
    not 2014-15 (it had, and its census date, links and checks were then a year out)."""
    folder = _council(tmp_path / "council")
    statements = [["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF", "Funding Stream"],
                  [upn(1), "14/11/2005", "01/05/2010", "2001", "£9,876.54", "PSF"],
                  [upn(2), "14/11/2005", "20/02/2014", "2001", 8400, "PSF"]]
    _book(folder / "SEN statements PSF.xlsx", "Statements", statements)
    result = _init(folder, tmp_path / "draft.yaml")
    text = (tmp_path / "draft.yaml").read_text()
    assert re.search(r'^year: "2013-14" ', text, re.M), text
    assert "the latest statement date (20/02/2014) alone would say 2014-15" in text + result.output


def test_init_on_senruns_own_templates_drafts_a_config_that_validates(tmp_path):
    """The templates' academy opened on 01/09/2012; a year from their 2010 statement date had no school with
    pupils, and validate failed after init said no edits were needed."""
    assert CliRunner().invoke(app, ["templates", "--out", str(tmp_path / "tpl")]).exit_code == 0
    result = _init(tmp_path / "tpl", tmp_path / "tpl" / "senrun.yaml")
    assert result.exit_code == 0, result.output
    assert 'year: "2013-14"' in (tmp_path / "tpl" / "senrun.yaml").read_text()
    assert "No edits needed" in result.output
    report = run_validation(tmp_path / "tpl" / "senrun.yaml")
    assert [str(i) for i in report.errors] == []
    # senrun's own headers are sure, nothing to choose between (school_id had been "likely, also possible: urn"),
    # and the templates' Instructions sheets are no input to list as "not recognised"
    text = (tmp_path / "tpl" / "senrun.yaml").read_text()
    assert re.findall(r'^      "(\w+)": (\w+)   # (\w+)', text, re.M) and all(
        header == column and how == "sure" for header, column, how in
        re.findall(r'^      "(\w+)": (\w+)   # (\w+)', text, re.M)), text
    assert "# CHECK" not in text.split("inputs:")[1] and "Instructions" not in result.output


def test_init_never_says_no_edits_are_needed_when_validate_would_fail_on_the_draft(tmp_path):
    """A draft validate rejects (here a school row with no cluster) lists validate's own error as an edit."""
    folder = _council(tmp_path / "council")
    _book(folder / "Schools list 2013-14.xlsx", "Schools 2013-14",
          [SCHOOLS_HEADER, *SCHOOLS, ["2004", "Dale Primary", None, None, 5000]])
    result = _init(folder, tmp_path / "draft.yaml")
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "No edits needed" not in said
    found = "`senrun validate` finds: Schools list 2013-14.xlsx › Schools 2013-14 › row 5 › Cluster Code: is empty"
    assert found in said


# --- 3. a chart sheet in front ------------------------------------------------------------------------

def test_the_first_sheet_is_the_first_visible_worksheet_a_chart_sheet_in_front_is_passed_over(tmp_path, capfd):
    _book(tmp_path / "schools.xlsx", "Schools", [SCHOOLS_HEADER, *SCHOOLS], chart_first=True)
    report = run_validation(_schools_only(tmp_path))
    assert [str(i) for i in report.errors] == []
    capfd.readouterr()
    result = _init(tmp_path, tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    assert "chartsheet" not in capfd.readouterr().err + result.output  # no line of the reader's own
    assert 'sheet: "Schools"' in (tmp_path / "draft.yaml").read_text()


def test_a_chart_sheet_named_in_the_config_is_said_to_be_a_chart_with_the_sheets_listed(tmp_path):
    _book(tmp_path / "schools.xlsx", "Schools", [SCHOOLS_HEADER, *SCHOOLS], chart_first=True)
    report = run_validation(_schools_only(tmp_path, ", sheet: Chart"))
    assert [i.message for i in report.errors] == [
        "schools file 'schools.xlsx' has a chart on its sheet 'Chart', not a table: name the sheet holding the data "
        "with sheet: in the config; its sheets are: Chart (a chart), Schools"]


# --- 4. a header row far down ------------------------------------------------------------------------

def test_a_header_row_below_the_searched_rows_is_an_error_saying_how_to_give_its_row(tmp_path):
    """SPEC §5: the header row is found in the top 20 rows; further down, `header_row:` names it."""
    _book(tmp_path / "schools.xlsx", "Schools", [["Anytown Borough Council"], *[[]] * 24, SCHOOLS_HEADER, *SCHOOLS])
    errors = run_validation(_schools_only(tmp_path)).errors
    assert errors and all("give its row number (as Excel shows it) with inputs.schools.header_row: N in the config"
                          in i.message for i in errors)
    assert run_validation(_schools_only(tmp_path, ", header_row: 26")).errors == []


# --- 5. a damaged file ---------------------------------------------------------------------------------

def test_init_says_in_plain_words_what_is_wrong_with_a_damaged_file(tmp_path):
    folder = _council(tmp_path / "council")
    (folder / "broken.xlsx").write_bytes(bytes(range(1, 256)) * 4 + b"\r\x85\x92\r")
    result = _init(folder, tmp_path / "draft.yaml")
    said = " ".join(result.output.split())
    assert "broken.xlsx: is named .xlsx but is not an Excel workbook, and is not a text file (it looks like " \
           "binary data): it may be damaged" in said
    assert "universal-newline" not in said and "Error:" not in said


# --- 6. totals rows and merged cells -----------------------------------------------------------------------

def test_a_totals_rows_label_in_the_upn_column_is_shown_it_is_not_a_childs_upn(tmp_path):
    folder = _council(tmp_path / "council")
    spec = InputSpec("statements", folder / "SEN statements PSF.xlsx", "SEN statements PSF.xlsx", header_row=3,
                     columns=(("Pupil UPN", "upn"), ("Annual PSF", "annual_amount"), ("PSF School (DfE)", "school_id")))
    issues = Issues()
    read_input(spec, issues)
    totals = [i.hidden() for i in issues.items if i.code == "totals_row"]
    assert [(str(i), i.value) for i in totals] == [
        ('SEN statements PSF.xlsx › Statements › row 7 › Pupil UPN: looks like a totals row ("Total"), not a row '
         'of data: skipped', "Total")]  # (the UPN column reads it in capitals, without spaces: quoted as words)


@pytest.mark.parametrize("squeezed, quoted", [("TOTAL", "Total"), ("TOTALS", "Totals"), ("GRANDTOTAL", "Grand total"),
                                              ("SUBTOTAL", "Subtotal"), ("SUB-TOTAL", "Sub-total"),
                                              ("SUB-TOTALS", "Sub-totals"), ("GRANDTOTALS", "Grand totals"),
                                              ("TOTALPSF", "Total…"), ("GRANDTOTALFORKETMERE", "Grand total…"),
                                              ("KETMERETOTAL", "… Total")])
def test_a_totals_label_read_from_the_upn_column_is_quoted_as_its_words_not_in_capitals_run_together(squeezed,
                                                                                                    quoted):
    """docs/inputs.md: the warning quotes the label's word ("Subtotal…"); a label in the UPN column was quoted as
    that column reads it, "GRANDTOTAL" for "Grand total"."""
    from senrun.inputs.load import _total_word

    assert _total_word(squeezed, squeezed=True) == quoted


def test_excel_data_subtotal_rows_grouped_by_school_are_skipped_as_totals_rows(tmp_path):
    """Data › Subtotal, at each change in PSF School: a row "2001 Total" under each school's children."""
    header = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF"]
    rows = [header, [upn(1), "14/11/2005", "01/05/2010", "2001", 9876.54], [None, None, None, "2001 Total", 9876.54],
            [upn(2), "14/11/2005", "15/01/2011", "2003", 8400], [None, None, None, "2003 Total", 8400],
            [None, None, None, "Grand Total", 18276.54]]
    path = _book(tmp_path / "statements.xlsx", "Statements", rows)
    spec = InputSpec("statements", path, path.name, columns=(("Pupil UPN", "upn"), ("Annual PSF", "annual_amount"),
                                                             ("PSF School (DfE)", "school_id")))
    issues = Issues()
    table = read_input(spec, issues)
    assert not issues.errors and table.frame["annual_amount"].to_list() == [987654, 840000]
    assert [(i.code, i.row, i.value) for i in issues.items] == [
        ("totals_row", 3, "… Total"), ("totals_row", 5, "… Total"), ("totals_row", 6, "Grand Total")]


def test_an_empty_cell_inside_cells_merged_down_the_rows_says_it_is_merged_and_how_to_mend_it(tmp_path):
    rows = [SCHOOLS_HEADER, ["2001", "Ash Primary", None, None, 10000], ["2002", "Birch Primary", None, None, 12000],
            ["2003", "Cedar High", "C2", "South", 20000]]
    _book(tmp_path / "schools.xlsx", "Schools", rows, merge=(1, 2, 2, 2, "C1"))
    report = run_validation(_schools_only(tmp_path))
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (3, "Cluster Code", "row 3 is part of cells merged from row 2, so the file holds no value here; unmerge the "
                            "cells and fill in each row")]


def test_a_blank_read_from_merged_cells_in_an_optional_column_is_a_warning(tmp_path):
    rows = [SCHOOLS_HEADER, ["2001", "Ash Primary", "C1", None, 10000], ["2002", "Birch Primary", "C1", None, 12000],
            ["2003", "Cedar High", "C2", "South", 20000]]
    _book(tmp_path / "schools.xlsx", "Schools", rows, merge=(1, 3, 2, 3, "North"))
    report = run_validation(_schools_only(tmp_path))
    merged = [(i.severity, i.row, i.column) for i in report.issues if i.code == "merged_cells"]
    assert report.errors == [] and merged == [("warning", 3, "Cluster Name")]


def test_a_totals_row_is_left_out_of_the_pot_even_where_init_cannot_map_the_statements(tmp_path):
    """The school column headed as init does not know it: the statements cannot be read with the draft's
    columns, so the pot is added up from the values sampled — those of the "Total" row left out too."""
    folder = _council(tmp_path / "council")
    rows = [["Pupil UPN", "Date of Birth", "Statement Date", "Funded at", "Annual PSF"],
            [upn(1), "14/11/2005", "01/05/2010", "2001", "£9,876.54"],
            [upn(2), "14/11/2005", "15/01/2011", "2001", 8400],
            ["Total", None, None, None, 18276.54]]
    _book(folder / "SEN statements PSF.xlsx", "Statements", rows)
    result = _init(folder, tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    assert "pupil_specific_pot: 19000 " in (tmp_path / "draft.yaml").read_text()
    text = " ".join(result.output.split())
    assert ("no header found for school_id; add \"Your header\": school_id (one of the columns not mapped: "
            "Funded at?)") in text
    assert "SEN statements PSF.xlsx › Statements: not mapped (not read): Funded at" in text
    assert "Make the edits above" in text


def test_init_takes_this_years_sheet_of_two_alike_and_asks_to_check_the_other(tmp_path):
    """Statements for 2012-13 and 2013-14 on two sheets of one workbook, last year's first: the draft
    takes the sheet labelled with the later year and lists the other as a check, not as "no input"."""
    folder = _council(tmp_path / "council", totals=False)
    header = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF"]
    book = xlsxwriter.Workbook(str(folder / "SEN statements PSF.xlsx"))
    book.add_worksheet("2012-13").write_row(0, 0, header)
    book.get_worksheet_by_name("2012-13").write_row(1, 0, [upn(1), "14/11/2005", "01/05/2010", "2001", 500])
    this_year = book.add_worksheet("2013-14")
    for i, row in enumerate([header, [upn(1), "14/11/2005", "01/05/2010", "2001", 9876.54],
                             [upn(2), "14/11/2005", "15/01/2011", "2001", 8400]]):
        this_year.write_row(i, 0, row)
    book.close()
    result = _init(folder, tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "draft.yaml").read_text()
    assert 'sheet: "2013-14"' in text or "sheet: 2013-14" in text or "sheet: '2013-14'" in text, text
    said = " ".join(result.output.split())
    assert "› 2012-13 looks like the statements input too" in said and "not recognised as any input" not in said


def test_init_on_a_folder_says_an_old_excel_file_must_be_saved_as_xlsx_not_that_none_looked_like_it(tmp_path):
    folder = _council(tmp_path / "council")
    (folder / "SEN statements PSF.xlsx").rename(folder / "Statements.xls")
    (folder / "Statements.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE file
    result = _init(folder, tmp_path / "draft.yaml")
    said = " ".join(result.output.split())
    assert "Statements.xls" in said and ".xlsx" in said


def _init_on_two_sheets(tmp_path, file_name: str, sheets: tuple[tuple[str, float], ...]) -> tuple[str, str]:
    """init on the council's files with its statements as one workbook of two sheets (name, one row's amount):
    the draft config and what init said, on one line."""
    folder = _council(tmp_path / "council", totals=False)
    header = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF"]
    (folder / "SEN statements PSF.xlsx").unlink()
    book = xlsxwriter.Workbook(str(folder / file_name))
    for name, amount in sheets:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, header)
        sheet.write_row(1, 0, [upn(1), "14/11/2005", "01/05/2010", "2001", amount])
    book.close()
    result = _init(folder, tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    return (tmp_path / "draft.yaml").read_text(), " ".join(result.output.split())


def test_init_takes_the_later_sheet_of_a_workbook_whose_own_name_names_a_year(tmp_path):
    """"Schools list 2013-14.xlsx" holding sheets "Schools 2012-13" then "Schools 2013-14": the file's year is
    each sheet's too, so the two had tied and the first sheet, last year's, was taken (its SSA then paid)."""
    text, said = _init_on_two_sheets(tmp_path, "SEN statements PSF 2013-14.xlsx",
                                     (("Statements 2012-13", 500), ("Statements 2013-14", 9876.54)))
    assert "Statements 2013-14" in text and "Statements 2012-13" not in text, text
    assert "› Statements 2012-13 looks like the statements input too" in said
    assert "(its label names the later year)" in said


def test_init_takes_this_years_sheet_over_one_named_as_a_previous_extract_though_only_that_names_a_year(tmp_path):
    """A case-management workbook of "EHCP Extract" (this year's) then "Previous extract Oct 2012": the year in the
    second's name had made it the later, so init took last year's 20 plans of 36, and validate passed."""
    text, said = _init_on_two_sheets(tmp_path, "EHCP export.xlsx",
                                     (("EHCP Extract", 9876.54), ("Previous extract Oct 2012", 500)))
    assert "EHCP Extract" in text and "Previous extract" not in text, text
    assert "› Previous extract Oct 2012 looks like the statements input too" in said
    assert "(EHCP export.xlsx › Previous extract Oct 2012 is named as an earlier copy)" in said, said
    text, said = _init_on_two_sheets(tmp_path / "again", "EHCP export.xlsx",  # "last updated" names no earlier copy
                                     (("2013-14 last updated 1 Mar", 9876.54), ("2012-13", 500)))
    assert "2013-14 last updated 1 Mar" in text and "sheet: 2012-13" not in text, text


def test_init_asks_for_the_date_of_each_statement_a_status_column_marks_ceased_which_senrun_cannot_read(tmp_path):
    """A case-management export whose ceasings are a "Plan Status" of Ceased, with no date: init listed the column
    as not read and said no edit was needed, and every ceased plan was paid as continuing, with no word."""
    folder = _council(tmp_path / "council", totals=False)
    header = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)", "Annual PSF", "Plan Status"]
    _book(folder / "SEN statements PSF.xlsx", "Statements", [header, [upn(1), "14/11/2005", "01/05/2010", "2001",
                                                                    9876.54, "Active"],
                                                           [upn(2), "14/11/2005", "15/01/2011", "2001", 8400, "Ceased"]])
    result = _init(folder, tmp_path / "draft.yaml")
    said = " ".join(result.output.split())
    assert ("inputs.statements: 'Plan Status' marks statements as ended, but senrun ends a statement only on a date: "
            "map a column of the date each ended as ceased_date") in said, said
    header[-1], rows = "Ceased Date", [[upn(1), "14/11/2005", "01/05/2010", "2001", 9876.54, ""]]
    _book(folder / "SEN statements PSF.xlsx", "Statements", [header, *rows])  # the dates given: nothing to ask
    assert "marks statements as ended" not in " ".join(_init(folder, tmp_path / "draft2.yaml").output.split())
    for other, value in (("Notes", "Ended respite care 2012"), ("School Status", "Closed"),
                         ("Transport", "Cancelled - parent drives")):  # not the plan's status: nothing to ask
        header[-1], rows = other, [[upn(1), "14/11/2005", "01/05/2010", "2001", 9876.54, value]]
        _book(folder / "SEN statements PSF.xlsx", "Statements", [header, *rows])
        assert "marks statements as ended" not in " ".join(_init(folder, tmp_path / f"{other}.yaml").output.split())


def test_a_header_named_as_senruns_own_column_is_not_sure_beside_another_that_fits_it__spec_3(tmp_path):
    """A council's statements headed `school_id` beside `School at 31 Aug 2012`: which one is the school that held
    the PSF (SPEC §3) is the council's to choose, and stays a CHECK though one header is senrun's own name.  And a
    council's own workbook whose only sheet is called Instructions is still listed as not recognised: only a
    template's Instructions sheet, beside the input it explains, goes unlisted."""
    folder = _council(tmp_path / "council")
    (folder / "SEN statements PSF.xlsx").unlink()
    _book(folder / "SEN statements PSF.xlsx", "Statements",
          [["upn", "date_of_birth", "statement_date", "school_id", "School at 31 Aug 2012", "annual_amount"],
           [upn(1), "14/11/2005", "01/05/2010", "2003", "2001", 9876.54],
           [upn(2), "14/11/2005", "15/01/2011", "2001", "2001", 8400]])
    _book(folder / "need.xlsx", "Instructions", [["DfE", "Deprivation score"], ["2001", 0.25]])
    result = _init(folder, tmp_path / "draft.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "draft.yaml").read_text()
    mapped = re.findall(r'^      "([^"]+)": school_id   # (.*)$', text.split("statements:")[1], re.M)
    assert len(mapped) == 1 and "CHECK" in mapped[0][1], mapped
    assert "need.xlsx › Instructions: not recognised" in " ".join(result.output.split())
    # the other way round: `PSF School (DfE)` chosen, senrun's own `school_id` beside it is still named as possible
    (folder / "SEN statements PSF.xlsx").unlink()
    _book(folder / "SEN statements PSF.xlsx", "Statements",
          [["upn", "date_of_birth", "statement_date", "PSF School (DfE)", "school_id", "annual_amount"],
           [upn(1), "14/11/2005", "01/05/2010", "2001", "2003", 9876.54],
           [upn(2), "14/11/2005", "15/01/2011", "2001", "2001", 8400]])
    result = _init(folder, tmp_path / "draft2.yaml")
    text = (tmp_path / "draft2.yaml").read_text()
    mapped = re.findall(r'^      "([^"]+)": school_id   # (.*)$', text.split("statements:")[1], re.M)
    assert len(mapped) == 1 and "CHECK" in mapped[0][1], mapped
