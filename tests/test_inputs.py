"""Reading inputs as councils keep them (SPEC §5): CSV, XLSX, Parquet, their own headers and values."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from senrun.cli import app
from senrun.config.loader import InputSpec
from senrun.errors import Issues
from senrun.inputs.load import read_input
from senrun.inputs.upn import check_letter

STATEMENT_HEADER = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount"]


def read(path: Path, name: str = "statements", **spec):
    """Read one input as senrun does; return (table, issues)."""
    if "columns" in spec:
        spec["columns"] = tuple(spec["columns"].items())
    issues = Issues()
    table = read_input(InputSpec(name, path, path.name, **spec), issues)
    return table, issues


def read_ok(path: Path, name: str = "statements", **spec) -> pl.DataFrame:
    table, issues = read(path, name, **spec)
    assert not issues.items, [str(i) for i in issues.items]
    return table.frame


def csv_file(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_file(tmp_path: Path, sheets: dict[str, list[list]], name: str = "in.xlsx", first_row: int = 0) -> Path:
    """A workbook as Excel would hold it: numbers as number cells, dates as date cells."""
    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    as_date = book.add_format({"num_format": "dd/mm/yyyy"})
    for sheet, rows in sheets.items():
        ws = book.add_worksheet(sheet)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, (date, datetime)):
                    ws.write_datetime(first_row + r, c, value, as_date)
                elif value is not None:
                    ws.write(first_row + r, c, value)
    book.close()
    return path


def statements_csv(tmp_path: Path, *rows: str, header: str = ",".join(STATEMENT_HEADER)) -> Path:
    return csv_file(tmp_path, "\n".join([header, *rows]) + "\n")


def bad_cells(issues: Issues) -> list[tuple]:
    return [(i.row, i.column, i.value) for i in issues.errors]


# --- formats ---------------------------------------------------------------------------

def test_csv_with_senruns_own_headers(tmp_path):
    frame = read_ok(statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,9262001,9876.54"))
    assert frame.row(0, named=True) == {"_row": 2, "upn": "B801200005001", "date_of_birth": date(2002, 8, 31),
                                        "statement_date": date(2010, 3, 1), "school_id": "9262001",
                                        "annual_amount": 987654, "stream": "PSF", "ceased_date": None,
                                        "effective_date": None, "event": "issued"}


def test_optional_columns_a_file_lacks_are_there_blank_except_pupils(tmp_path):
    """Later steps can rely on every declared column; a missing `pupils` column must stay missing,
    because it means pupil counts have to come from the census."""
    frame = read_ok(csv_file(tmp_path, "school_id,school_name,cluster_id\n1,A,C1\n"), "schools")
    assert frame.schema == pl.Schema({"_row": pl.Int64, "school_id": pl.String, "school_name": pl.String,
                                      "cluster_id": pl.String, "cluster_name": pl.String, "phase": pl.String,
                                      "ssa": pl.Int64, "opened": pl.Date, "closed": pl.Date,
                                      "successor_id": pl.String, "in_formula": pl.Boolean,
                                      "pupils_override": pl.Float64})


def test_an_amount_split_by_a_comma_outside_quotes_is_an_error_at_its_row_not_read_as_one_pound(tmp_path):
    """SPEC §5, §8: `£1,200.00` unquoted is two cells, `£1` and `200.00`; read silently it paid £1."""
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,9262001,1500.00",
                          "Q801200005002,2002-08-31,2010-03-01,9262001,£1,200.00",
                          "E801200005003,2002-08-31,2010-03-01,9262001,700.00")
    _, issues = read(path)
    assert [(i.code, i.file, i.row) for i in issues.errors] == [("extra_cells", "in.csv", 3)]
    assert "annual_amount" in issues.errors[0].message  # the last column, by the file's own header


def test_an_amount_split_into_an_unread_column_leaving_a_blank_cell_past_the_header_is_an_error_too(tmp_path):
    """SPEC §5, §8: `18,370.04` unquoted before a Notes column (or the unheaded blank column Excel's "Save as
    CSV" leaves) puts `370.04` in the unread column and a blank cell past the header: £18 was paid, exit 0."""
    for last in ("notes", ""):
        header = ",".join([*STATEMENT_HEADER, last])
        path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,9262001,1500.00,",
                              "Q801200005002,2002-08-31,2010-03-01,9262001,18,370.04,",
                              "E801200005003,2002-08-31,2010-03-01,9262001,700.00,", header=header)
        _, issues = read(path)
        assert [(i.code, i.row) for i in issues.errors] == [("extra_cells", 3)], last
    # a separator ending every row of data (the header without one) moves nothing: read as before
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,9262001,1500.00,",
                          "E801200005003,2002-08-31,2010-03-01,9262001,700.00,")
    assert read_ok(path)["annual_amount"].to_list() == [150000, 70000]
    # a row's separator inside quotes is no cell's end
    path = statements_csv(tmp_path, 'B801200005001,2002-08-31,2010-03-01,9262001,"1,500.00"',
                          "E801200005003,2002-08-31,2010-03-01,9262001,700.00")
    assert read_ok(path)["annual_amount"].to_list() == [150000, 70000]


@pytest.mark.parametrize("data", [
    b"a,b\n1,2\n", b"a,b\n1,2,\n", b"a,b\r\n1,2,\r\n", b"a,b\n1,2, \n", b"a,b\n1,2,", b"a,b\n1,2,  \t",
    b"a,b\n1,2," + b"\n" * 5000, b"a,b\n1,2" + b"\n" * 5000, b"\n" * 5000, b"", b",",
    b"a;b\n1;2;\n" + b"x" * 5000,
])
@pytest.mark.parametrize("copied", [True, False], ids=["searched by Polars", "a file too large to copy"])
def test_the_look_for_a_line_ending_in_a_separator_is_pythons_own(data, copied, monkeypatch):
    """The search for a separator at a line's end (Polars' binary search, or Python's own for a file too large
    to copy, and the file's last few thousand bytes alone for its end) finds what Python's `in` and `rstrip`
    find."""
    from senrun.inputs import reading
    from senrun.inputs.reading import _ends_with, _holds_any

    if not copied:
        monkeypatch.setattr(reading, "_COPY_AT_MOST", 0)
    for sep in (b",", b";"):
        ends = [sep + end for end in (b"\n", b"\r", b" ")]
        assert _holds_any(data, ends) == any(e in data for e in ends), (data[:20], sep)
        assert _ends_with(data, sep) == data.rstrip().endswith(sep), (data[:20], sep)


@pytest.mark.parametrize("rows, split_at", [
    # every row but one ends in a separator: the usual row has that cell, and only the split one more
    (["B801200005001,2002-08-31,2010-03-01,9262001,1500.00,", "E801200005003,2002-08-31,2010-03-01,9262001,700.00"],
     None),
    (["B801200005001,2002-08-31,2010-03-01,9262001,1500.00,", "E801200005003,2002-08-31,2010-03-01,9262001,700.00,",
      "Q801200005002,2002-08-31,2010-03-01,9262001,18,370.04,"], 4),
    # a blank row as wide as a spreadsheet's, and a totals line: no row of data to have split
    (["B801200005001,2002-08-31,2010-03-01,9262001,1500.00", ",,,,,,,,,", "Total,,,,1500.00,,,,"], None),
    # quoted elsewhere on the split row, a space after its last separator, a quoted line break on another row
    (['"B801200005001",2002-08-31,2010-03-01,9262001,18,370.04,', "E801200005003,2002-08-31,2010-03-01,9262001,1.00"], 2),
    (["B801200005001,2002-08-31,2010-03-01,9262001,18,370.04, ", "E801200005003,2002-08-31,2010-03-01,9262001,1.00"], 2),
    (['E801200005003,2002-08-31,2010-03-01,"9262001\nsee note",1.00', "B801200005001,2002-08-31,2010-03-01,9262001,18,370.04,"],
     3),
])
def test_a_split_row_is_told_against_the_usual_row_of_the_file_quotes_respected(tmp_path, rows, split_at):
    _, issues = read(statements_csv(tmp_path, *rows))
    assert [i.row for i in issues.errors if i.code == "extra_cells"] == ([split_at] if split_at else [])


def test_cells_past_the_header_are_found_below_title_lines_and_across_crlf(tmp_path):
    text = "Statements 2013-14\r\n\r\n" + ",".join(STATEMENT_HEADER) + "\r\n" + \
        "B801200005001,2002-08-31,2010-03-01,9262001,1500.00\r\n" + \
        "Q801200005002,2002-08-31,2010-03-01,9262001,1500.00,,,note\r\n"
    _, issues = read(csv_file(tmp_path, text))
    assert [(i.code, i.row) for i in issues.errors] == [("extra_cells", 5)]
    frame = read_ok(csv_file(tmp_path, text.replace(",,,note", ""), "ok.csv"))
    assert frame["annual_amount"].to_list() == [150000, 150000]


def test_xlsx_reads_the_named_sheet(tmp_path):
    path = xlsx_file(tmp_path, {"Notes": [["Read me first"]],
                                "Statements": [STATEMENT_HEADER, ["B801200005001", date(2002, 8, 31),
                                                                  date(2010, 3, 1), 9262001, 9876.54]]})
    table, issues = read(path, sheet="Statements")
    assert not issues.items
    assert table.sheet == "Statements"
    assert table.frame["annual_amount"].to_list() == [987654]


def test_xlsx_without_a_sheet_reads_the_first(tmp_path):
    path = xlsx_file(tmp_path, {"Statements 2013": [STATEMENT_HEADER, ["B801200005001", date(2002, 8, 31),
                                                                       date(2010, 3, 1), "A", 1]],
                                "Old": [["nothing"]]})
    table, _ = read(path)
    assert table.sheet == "Statements 2013" and table.frame.height == 1


def test_a_missing_sheet_lists_the_sheets_there_are(tmp_path):
    path = xlsx_file(tmp_path, {"Statements": [STATEMENT_HEADER], "Moves": [["x"]]})
    _, issues = read(path, sheet="Statments")
    (issue,) = issues.errors
    assert issue.code == "unreadable"
    assert "has no sheet 'Statments' — did you mean 'Statements'?" in issue.message
    assert "Statements, Moves" in issue.message


def test_parquet_with_typed_columns(tmp_path):
    path = tmp_path / "census.parquet"
    pl.DataFrame({"UPN": ["b801 2000 05001"], "LAEstab": [9262001], "DOB": [date(2002, 8, 31)],
                  "NCyearActual": ["6"], "SENprovision": ["k"], "FSMeligible": [True]}).write_parquet(path)
    columns = {"UPN": "upn", "LAEstab": "school_id", "DOB": "date_of_birth", "NCyearActual": "nc_year_taught",
               "SENprovision": "sen_provision", "FSMeligible": "fsm"}
    table, issues = read(path, "census", columns=columns)
    assert not issues.items
    assert table.readable(table.frame).row(0, named=True) == {
        "_row": 2, "upn": "B801200005001", "school_id": "9262001", "date_of_birth": date(2002, 8, 31),
        "nc_year_taught": 6, "sen_provision": "K", "fsm": True, "enrol_status": "C"}


def test_parquet_money_and_datetimes(tmp_path):
    path = tmp_path / "s.parquet"
    pl.DataFrame({"upn": ["B801200005001"], "date_of_birth": [datetime(2002, 8, 31)],
                  "statement_date": ["01/03/2010"], "school_id": [9262001.0], "annual_amount": [1234.5]}
                 ).write_parquet(path)
    frame = read_ok(path)
    assert frame.select("date_of_birth", "school_id", "annual_amount").row(0) == (date(2002, 8, 31), "9262001", 123450)
    pl.DataFrame({"upn": ["B801200005001"] * 2, "date_of_birth": ["2002-08-31"] * 2,
                  "statement_date": ["2010-03-01"] * 2, "school_id": ["A"] * 2,
                  "annual_amount": [0.1 + 0.2, 100.1 * 3]}).write_parquet(path)
    assert read_ok(path)["annual_amount"].to_list() == [30, 30030]  # float noise is not a fraction of a penny


def test_a_single_precision_money_column_is_read_to_the_penny_below_131072_pounds_and_refused_above(tmp_path):
    """SPEC §1, §5: a float32 holds 250000.01 as 250000.015625, whose shortest text is 250000.02: a penny
    was added silently.  Below £131,072 every amount in pence is its own float32 and reads exactly."""
    path = tmp_path / "s.parquet"
    rows = {"upn": ["B801200005001", "B801200005002"], "date_of_birth": ["2002-08-31"] * 2,
            "statement_date": ["2010-03-01"] * 2, "school_id": ["A"] * 2}
    pl.DataFrame({**rows, "annual_amount": pl.Series([1234.56, 131071.99], dtype=pl.Float32)}).write_parquet(path)
    assert read_ok(path)["annual_amount"].to_list() == [123456, 13107199]
    pl.DataFrame({**rows, "annual_amount": pl.Series([1234.56, 250000.01], dtype=pl.Float32)}).write_parquet(path)
    _, issues = read(path)
    [issue] = issues.errors
    assert (issue.row, issue.column) == (3, "annual_amount") and "single-precision (float32)" in issue.message
    assert "it holds 250000.015625 here" in issue.message
    # a negative amount or not a number is told as it would be in any column, not as float32's limit
    pl.DataFrame({**rows, "annual_amount": pl.Series([-250000.0, float("nan")], dtype=pl.Float32)}).write_parquet(path)
    _, issues = read(path)
    assert len(issues.errors) == 2 and not any("float32" in i.message for i in issues.errors)
    assert "negative" in issues.errors[0].message


def test_parquet_date_times_stored_in_utc_are_read_as_the_dates_they_were_in_england(tmp_path):
    """A database exports midnight of 1 September 2005 (British Summer Time) as 23:00 UTC on 31 August:
    read as 31 August, a child born on 1 September would be a year older and lose a year of PSF."""
    path = tmp_path / "s.parquet"
    births = pl.Series([datetime(2005, 9, 1), datetime(2006, 1, 10)]).dt.replace_time_zone("Europe/London")
    for zone in ("UTC", "Europe/London", "America/New_York"):
        pl.DataFrame({"upn": ["B801200005001", "B801200005002"], "date_of_birth": births.dt.convert_time_zone(zone),
                      "statement_date": ["2010-03-01"] * 2, "school_id": ["A"] * 2,
                      "annual_amount": [1.0, 2.0]}).write_parquet(path)
        assert read_ok(path)["date_of_birth"].to_list() == [date(2005, 9, 1), date(2006, 1, 10)], zone


def test_a_csv_saved_with_an_xlsx_name_is_read_as_csv(tmp_path):
    path = csv_file(tmp_path, ",".join(STATEMENT_HEADER) + "\nB801200005001,2002-08-31,2010-03-01,A,1\n",
                    name="statements.xlsx")
    assert read_ok(path).height == 1


@pytest.mark.parametrize("content,words", [
    (None, "does not exist"),
    (b"", "is empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "old .xls file"),
    (b"PK\x03\x04 not really a workbook", "could not be opened as an Excel workbook"),
    (b"PAR1 broken", "could not be read as Parquet"),
    (bytes(range(256)) * 20, "not a text file"),
])
def test_files_that_cannot_be_read_say_why(tmp_path, content, words):
    path = tmp_path / "statements.xlsx"
    if content is not None:
        path.write_bytes(content)
    table, issues = read(path)
    assert table is None
    (issue,) = issues.errors
    assert issue.code == "unreadable" and issue.file == "statements.xlsx"
    assert words in issue.message


def test_a_statements_input_with_headers_and_no_rows_is_read_as_empty__spec_11_10(tmp_path):
    table, issues = read(statements_csv(tmp_path))
    assert issues.errors == [] and table.frame.height == 0


def test_excel_error_cells_are_bad_values_not_blanks(tmp_path):
    """A failed VLOOKUP in the SSA column must not read as £0."""
    path = tmp_path / "schools.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Schools")
    ws.write_row(1, 1, ["school_id", "school_name", "cluster_id", "ssa"])  # from B2: a blank row and column first
    ws.write_row(2, 1, [9262001, "Ashwell", "C1"])
    ws.write_formula(2, 4, "=VLOOKUP(B3,Budget!A:B,2,FALSE)", None, "#N/A")
    ws.write_row(3, 1, [9262002, "Brook"])
    ws.write_formula(3, 3, "=1/0", None, "#DIV/0!")
    ws.write(3, 4, 2000)
    ws.write_row(4, 1, [9262003, "Castle", "C2"])
    ws.write_formula(4, 4, "=1000*2", None, 2000)
    book.close()
    table, issues = read(path, "schools")
    assert sorted(bad_cells(issues)) == [(3, "ssa", "#N/A"), (4, "cluster_id", "#DIV/0!")]
    assert all("is an Excel error, not a value" in i.message for i in issues.errors)
    assert table.frame["ssa"].to_list() == [None, 200000, 200000]


def test_excel_error_text_in_a_csv_export(tmp_path):
    path = statements_csv(tmp_path, "#N/A,2002-08-31,2010-03-01,#REF!,1")
    assert bad_cells(read(path)[1]) == [(2, "upn", "#N/A"), (2, "school_id", "#REF!")]


# --- encodings -------------------------------------------------------------------------

SCHOOLS_TEXT = "school_id,school_name,cluster_id,ssa\n9262001,Café £ Academy,C1,£1.50\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings_as_excel_saves_them(tmp_path, encoding):
    frame = read_ok(csv_file(tmp_path, SCHOOLS_TEXT, encoding=encoding), "schools")
    assert frame["school_name"].to_list() == ["Café £ Academy"]
    assert frame["ssa"].to_list() == [150]
    assert frame.columns[1] == "school_id"  # the BOM is not part of the first header


def test_old_mac_line_endings(tmp_path):
    path = tmp_path / "s.csv"
    # (a blank school name marks row 3: a blank cluster_id is checked later, as it is allowed outside the formula)
    path.write_bytes(b"school_id,school_name,cluster_id\r1,A,C1\r2,,C1\r")
    table, issues = read(path, "schools")
    assert table.frame["school_id"].to_list() == ["1", "2"]
    assert bad_cells(issues) == [(3, "school_name", None)]


# --- headers ---------------------------------------------------------------------------

def test_the_columns_map_renames_the_councils_headers(tmp_path):
    path = statements_csv(tmp_path, "B801200005001,31/08/2002,01/03/2010,9262001,£9876.54",
                          header="Pupil UPN,DOB,Statement Date,PSF School (DfE),Annual PSF")
    table, issues = read(path, columns={"Pupil UPN": "upn", "DOB": "date_of_birth", "PSF School (DfE)": "school_id",
                                        "Annual PSF": "annual_amount"})
    assert not issues.items
    assert table.frame["annual_amount"].to_list() == [987654]
    assert table.headers["school_id"] == "PSF School (DfE)"
    assert table.headers["statement_date"] == "Statement Date"  # found by its own name, spaced and capitalised


def test_the_columns_map_wins_over_a_lookalike_header(tmp_path):
    path = statements_csv(tmp_path, "B801200005001,2000-01-01,2002-08-31,2010-03-01,A,1",
                          header="upn,Date of Birth,DOB (checked),statement_date,school_id,annual_amount")
    frame = read_ok(path, columns={"DOB (checked)": "date_of_birth"})
    assert frame["date_of_birth"].to_list() == [date(2002, 8, 31)]


def test_a_missing_column_suggests_the_closest_header(tmp_path):
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,A,1",
                          header="upn,Pupil Date of Birth,statement_date,school_id,annual_amount")
    _, issues = read(path, columns={"Date of Birth": "date_of_birth"})
    (issue,) = issues.errors
    assert (issue.code, issue.file, issue.column, issue.field) == ("missing_column", "in.csv", "Date of Birth",
                                                                   "date_of_birth")
    assert "did you mean 'Pupil Date of Birth'?" in issue.message
    assert 'under inputs: statements: columns: {"Pupil Date of Birth": date_of_birth} (in place of "Date of Birth": date_of_birth)' in issue.message


@pytest.mark.parametrize("header,suggested", [("DOB", "DOB"), ("Birth Date", "Birth Date"),
                                              ("Date of Brith", "Date of Brith"), ("Notes", None)])
def test_suggestions_by_initials_words_or_spelling(tmp_path, header, suggested):
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,A,1",
                          header=f"upn,{header},statement_date,school_id,annual_amount")
    (issue,) = read(path)[1].errors
    assert (f"did you mean '{suggested}'?" in issue.message) if suggested else ("did you mean" not in issue.message)


def test_another_input_file_given_as_the_census_is_one_error_asking_if_it_is_the_right_file(tmp_path):
    schools = "DfE Number,School Name,Cluster Code,School Specific Allocation\n9262001,Ash Primary,C1,1000\n"
    _, issues = read(csv_file(tmp_path, schools, "schools.csv"), "census")
    [issue] = issues.errors  # not one guess a column, such as 'School Name' for the free school meals flag
    assert issue.message.startswith("none of the census input's columns (upn, school_id, date_of_birth) is in this "
                                    "file: is inputs.census.path the right file?")
    assert issue.message.endswith("; columns found: DfE Number, School Name, Cluster Code, School Specific Allocation")
    assert "did you mean" not in issue.message


def test_a_gias_links_file_unmapped_is_told_its_own_headers_and_an_unread_link_date_is_a_warning(tmp_path):
    gias = "URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\n100001,140001,Ash Academy,Successor,01-09-2013\n"
    _, issues = read(csv_file(tmp_path, gias, "links.csv"), "links")
    said = {i.field: i.message for i in issues.errors}
    assert "did you mean 'URN'?" in said["school_id"] and "did you mean 'LinkURN'?" in said["successor_id"]
    _, issues = read(csv_file(tmp_path, gias, "links.csv"), "links",
                     columns={"URN": "school_id", "LinkURN": "successor_id"})
    (warning,) = issues.items  # LinkType is senrun's link_type, read as it is; LinkEstablishedDate is not read
    assert (warning.code, warning.severity, warning.column, warning.field) == (
        "unmapped_column", "warning", "LinkEstablishedDate", "link_date")
    assert 'under inputs: links: columns: {"LinkEstablishedDate": link_date}' in warning.message
    table, issues = read(csv_file(tmp_path, gias, "links.csv"), "links",
                         columns={"URN": "school_id", "LinkURN": "successor_id", "LinkEstablishedDate": "link_date"})
    assert not issues.items and table.frame["link_date"].to_list() == [date(2013, 9, 1)]


@pytest.mark.parametrize("header", ["Cease Date", "Date Statement Ceased", "DateStatementCeased", "EHCP ceased?"])
def test_a_ceased_date_column_however_worded_and_left_unread_is_a_warning_not_silence(tmp_path, header):
    """Unread, a ceased date pays every ceased statement: its header, worded as councils do, is warned of."""
    text = f"upn,date_of_birth,statement_date,school_id,annual_amount,Mainstream School,{header}\n" \
           "B801200005001,2002-08-31,2010-03-01,A,1,Yes,2013-01-31\n"
    _, issues = read(csv_file(tmp_path, text, "statements.csv"), "statements")
    (warning,) = issues.items  # (a 'Mainstream School' column is not taken for the stream)
    assert (warning.code, warning.column, warning.field) == ("unmapped_column", header, "ceased_date")


def test_gias_reason_columns_are_not_taken_for_the_opened_or_closed_dates(tmp_path):
    text = ("school_id,school_name,cluster_id,pupils,ReasonEstablishmentOpened (name),"
            "ReasonEstablishmentClosed (name)\nA,Ash,C1,10,Not applicable,Not applicable\n")
    _, issues = read(csv_file(tmp_path, text, "schools.csv"), "schools")
    assert not issues.items


def _with_workbook_pr(data: bytes, element: str) -> bytes:
    """A workbook's bytes with its xl/workbook.xml's <workbookPr …/> replaced by `element`."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            part = old.read(item.filename)
            if item.filename == "xl/workbook.xml":
                part = re.sub(rb"<workbookPr[^>]*/>", element.encode(), part)
            new.writestr(item, part)
    return out.getvalue()


def test_a_schools_opening_date_typed_as_a_number_in_a_1904_workbook_counts_from_1904__spec_11_1(tmp_path):
    """A workbook saved with Excel for Mac's 1904 date system holds 1 September 2013 as 40056 (from 1904);
    read from 1900 it was 31 August 2009, and a school opening this year counted for the whole year."""
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    # (the flag spelt "true" is taken as "1" is; spelt otherwise, the date cells are read from 1900 too)
    for epoch, spelt, opened in ((CALENDAR_MAC_1904, None, date(2013, 9, 1)), (None, None, date(2009, 8, 31)),
                                 (CALENDAR_MAC_1904, "true", date(2013, 9, 1)), (None, "TRUE", date(2009, 8, 31))):
        book = openpyxl.Workbook()
        if epoch is not None:
            book.epoch = epoch
        sheet = book.active
        sheet.append(["school_id", "school_name", "cluster_id", "pupils", "opened", "closed"])
        sheet.append(["A", "Ash", "C1", 10, 40056, None])
        sheet.append(["B", "Birch", "C1", 10, date(2013, 9, 1), None])  # a date cell: the date it shows
        path = tmp_path / "schools.xlsx"
        book.save(path)
        if spelt:  # the flag as another program might spell it
            path.write_bytes(_with_workbook_pr(path.read_bytes(), f'<workbookPr date1904="{spelt}"/>'))
        frame = read_ok(path, "schools")
        assert frame["opened"].to_list() == [opened, date(2013, 9, 1)], (epoch, spelt)


def test_utf16_text_without_its_byte_order_mark_is_told_by_its_encoding_not_called_binary(tmp_path):
    text = ",".join(STATEMENT_HEADER) + "\nB801200005001,2002-08-31,2010-03-01,9262001,£1500.00\n"
    for encoding, text in [(e, t) for e in ("utf-16-le", "utf-16-be")
                           for t in (text, text.replace("\n", "\r"), "Statements " * 300 + "\n" + text)]:
        path = csv_file(tmp_path, text, encoding=encoding)
        _, issues = read(path)
        [issue] = issues.errors
        assert "looks like UTF-16 text" in issue.message and f"encoding: {encoding}" in issue.message
        assert read_ok(path, encoding=encoding)["annual_amount"].to_list() == [150000]
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 20)
    [issue] = read(tmp_path / "bin.csv")[1].errors
    assert "binary data" in issue.message


def test_a_mapped_optional_column_that_is_missing_is_an_error(tmp_path):
    """Else a renamed 'Ceased Date' header would silently pay PSF on every ceased statement."""
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,A,1,")
    path.write_text(path.read_text().replace("annual_amount\n", "annual_amount,Date Ceased\n"))
    _, issues = read(path, columns={"Ceased Date": "ceased_date"})
    (issue,) = issues.errors
    assert issue.column == "Ceased Date" and "did you mean 'Date Ceased'?" in issue.message


def test_extra_columns_are_kept_under_their_own_names(tmp_path):
    text = "school_id,school_name,cluster_id,SEN Need Index,Notes\n1,A,C1,0.5,hi\n"
    frame = read_ok(csv_file(tmp_path, text), "schools", columns={"SEN Need Index": "need_index"})
    assert frame.columns[:6] == ["_row", "school_id", "school_name", "cluster_id", "need_index", "Notes"]


def test_title_rows_above_the_header_in_a_csv_keep_excel_row_numbers(tmp_path):
    text = ("Norfolk County Council,,,\nStatements at 17 January 2013,,,\n\n" + ",".join(STATEMENT_HEADER) + "\n"
            "B801200005001,2002-08-31,2010-03-01,A,1\n\nB801200005002,2002-08-31,2010-03-01,A,oops\n")
    table, issues = read(csv_file(tmp_path, text))
    assert table.frame["_row"].to_list() == [5, 7]
    assert bad_cells(issues) == [(7, "annual_amount", "oops")]


def test_title_and_blank_rows_above_the_header_in_a_workbook_keep_excel_row_numbers(tmp_path):
    rows = [["Statements 2013-14"], [], STATEMENT_HEADER,
            ["B801200005001", date(2002, 8, 31), date(2010, 3, 1), "A", 1],
            [], ["B801200005002", "31/02/2002", date(2010, 3, 1), "A", 1]]
    path = xlsx_file(tmp_path, {"S": rows}, first_row=2)  # two empty rows above the title, too
    table, issues = read(path)
    assert table.frame["_row"].to_list() == [6, 8]
    assert bad_cells(issues) == [(8, "date_of_birth", "31/02/2002")]
    assert str(issues.errors[0]).startswith(
        'in.xlsx › S › row 8 › date_of_birth: "31/02/2002" is not a real date')


def test_header_row_can_be_set_in_the_config(tmp_path):
    text = ("upn,school_id,date_of_birth\nX,Y,Z\n" + ",".join(STATEMENT_HEADER)
            + "\nB801200005001,2002-08-31,2010-03-01,A,1\n")
    assert read_ok(csv_file(tmp_path, text), header_row=3)["_row"].to_list() == [4]
    _, issues = read(csv_file(tmp_path, text), header_row=40)
    assert "has no row 40" in issues.errors[0].message


def test_a_multi_line_cell_counts_as_one_row_as_in_excel(tmp_path):
    text = (",".join(STATEMENT_HEADER) + '\n"B801200005001",2002-08-31,2010-03-01,"A\nB",1\n'
            "B801200005002,x,2010-03-01,A,1\n")
    _, issues = read(csv_file(tmp_path, text))
    assert bad_cells(issues) == [(3, "date_of_birth", "x")]


@pytest.mark.parametrize("sep, first", [(";", ""), ("\t", ""), ("|", ""), ("|", "sep=|\n")])
def test_semicolon_tab_and_pipe_separated_files__spec_7(tmp_path, sep, first):
    # a pipe-separated export, even with Excel's `sep=|` line that Excel opens it by, was "none of the columns"
    row = ["B801200005001", "2002-08-31", "2010-03-01", "A", "1,234"]
    text = first + sep.join(STATEMENT_HEADER) + "\n" + sep.join(row) + "\n"
    frame = read_ok(csv_file(tmp_path, text))
    assert frame.select("school_id", "annual_amount").row(0) == ("A", 123400)


def test_excels_sep_line_is_not_a_row_so_rows_are_numbered_as_excel_shows_them__spec_5(tmp_path):
    """Excel opens a CSV whose first line is `sep=,` with that line read and hidden: the header is row 1. senrun
    had counted it, so every row it named was one below the row Excel showed. With a UTF-8 byte-order mark
    before it, Excel shows the line as a row, and so does senrun."""
    body = "school_id,school_name,cluster_id\n1,A,C1\n1,B,C1\n"
    for text, rows in (("sep=,\n" + body, [2, 3]), ("sep=,\r\n" + body, [2, 3]), ("\ufeffsep=,\n" + body, [3, 4]),
                       (body, [2, 3])):
        table, issues = read(csv_file(tmp_path, text), "schools")
        assert table.frame["_row"].to_list() == rows, text
        assert table.frame["school_name"].to_list() == ["A", "B"] and not issues.errors


def test_a_comma_csv_with_semicolons_inside_quoted_names(tmp_path):
    text = "school_id,school_name,cluster_id\n1,\"St Mary's; St John's; St Paul's; Federated\",C1\n"
    assert read_ok(csv_file(tmp_path, text), "schools")["cluster_id"].to_list() == ["C1"]


def test_spacer_rows_are_skipped_and_keep_numbering(tmp_path):
    text = "school_id,school_name,cluster_id\n1,A,C1\n,,\n ,  ,\n2,,C1\n"
    table, issues = read(csv_file(tmp_path, text), "schools")
    assert table.frame["_row"].to_list() == [2, 5]
    assert [(i.code, i.row, i.column) for i in issues.errors] == [("empty_value", 5, "school_name")]


# --- values ----------------------------------------------------------------------------

def test_ids_are_trimmed_text_with_leading_zeros_kept(tmp_path):
    text = "school_id,school_name,cluster_id\n 0123 ,A,007\n9262001.0,B, C 1 \n"
    frame = read_ok(csv_file(tmp_path, text), "schools")
    assert frame["school_id"].to_list() == ["0123", "9262001"]
    assert frame["cluster_id"].to_list() == ["007", "C 1"]


def test_an_xlsx_number_cell_id_is_read_as_its_digits(tmp_path):
    path = xlsx_file(tmp_path, {"Schools": [["school_id", "school_name", "cluster_id"], [9262001, "A", 1],
                                            ["0926", "B", "C1"]]})
    frame = read_ok(path, "schools")
    assert frame["school_id"].to_list() == ["9262001", "0926"]
    assert frame["cluster_id"].to_list() == ["1", "C1"]


def test_upns_are_upper_cased_with_spaces_removed(tmp_path):
    path = statements_csv(tmp_path, "b801 2000 05001 ,2002-08-31,2010-03-01,A,1")
    assert read_ok(path)["upn"].to_list() == ["B801200005001"]


def test_dates_iso_dmy_and_excel_cells_mixed_in_one_column(tmp_path):
    rows = [STATEMENT_HEADER,
            ["B801200005001", date(2002, 8, 31), "2010-03-01", "A", 1],
            ["B801200005002", "31/08/2002", "1/3/2010", "A", 1],
            ["B801200005003", "2002-08-31", datetime(2010, 3, 1, 14, 30), "A", 1],
            ["B801200005004", " 31/08/2002 00:00 ", date(2010, 3, 1), "A", 1]]
    frame = read_ok(xlsx_file(tmp_path, {"S": rows}))
    assert set(frame["date_of_birth"].to_list()) == {date(2002, 8, 31)}
    assert set(frame["statement_date"].to_list()) == {date(2010, 3, 1)}
    assert frame.schema["date_of_birth"] == pl.Date


@pytest.mark.parametrize("text,words", [("31/02/2006", "is not a real date"), ("31/08/02", "has a two-digit year"),
                                        ("2002-8-31", "is not a date"), ("31-08/2002", "is not a date"),
                                        ("12-31-1999", "US style"), ("31.02.2006", "is not a real date"),
                                        ("31/13/2005", "is not a real date (day/month/year)"),
                                        ("0002-08-31", "is not a date"), ("37499", "is not a date"),
                                        ("next week", "is not a date"), ("2013-02-30", "is not a real date"),
                                        ("2002-8-31", "two digits each"),
                                        # a stand-in for "no date", and a date-time with its zone as a warehouse
                                        # or SheetJS writes it, had been told only "is not a date"
                                        ("9999-12-31", "from 1900 to 2099"), ("2002-08-31T00:00:00Z", "time zone"),
                                        ("2002-08-31 00:00:00+01:00", "time zone"), ("2002-08-31T00:00 UTC", "zone")])
def test_what_is_not_a_date(tmp_path, text, words):
    _, issues = read(statements_csv(tmp_path, f"B801200005001,{text},2010-03-01,A,1"))
    (issue,) = issues.errors
    assert (issue.code, issue.row, issue.column, issue.value) == ("bad_value", 2, "date_of_birth", text)
    assert words in issue.message and issue.expected == "a date such as 31/08/2002 or 2002-08-31"


@pytest.mark.parametrize("text", ["31-Aug-2002", "31 Aug 2002", "31 August 2002", "31-aug-2002"])
def test_a_date_with_the_month_in_words_as_excel_writes_d_mmm_yyyy_to_csv_is_read(tmp_path, text):
    frame = read_ok(statements_csv(tmp_path, f"B801200005001,{text},2010-03-01,A,1"))
    assert frame["date_of_birth"].to_list() == [date(2002, 8, 31)]


@pytest.mark.parametrize(("text", "words"), [("31-Aug-02", "two-digit year"), ("31 Jun 2013", "is not")])
def test_a_date_in_words_with_a_two_digit_year_or_no_such_day_is_refused(tmp_path, text, words):
    _, issues = read(statements_csv(tmp_path, f"B801200005001,2002-08-31,{text},A,1"))
    (issue,) = issues.errors
    assert (issue.column, issue.value) == ("statement_date", text) and words in issue.message


@pytest.mark.parametrize("text", ["31-08-2002", "31.08.2002", "31-8-2002", " 31-08-2002 00:00 "])
def test_a_day_first_date_with_dashes_as_gias_exports_them_or_dots_is_read(tmp_path, text):
    frame = read_ok(statements_csv(tmp_path, f"B801200005001,{text},2010-03-01,A,1"))
    assert frame["date_of_birth"].to_list() == [date(2002, 8, 31)]


@pytest.mark.parametrize("text,pence", [("9876.54", 987654), ("£1,234.50", 123450), (" £ 1,234.5 ", 123450),
                                        ("1234", 123400), ("0", 0), (".5", 50), ("1,234,567.89", 123456789),
                                        ("12.0", 1200), ("1234.500", 123450), ("1 234.50", 123450),
                                        ("1\u00a0234\u00a0567", 123456700), ("1, 234", 123400)])  # a space: ,
def test_money_becomes_integer_pence(tmp_path, text, pence):
    frame = read_ok(statements_csv(tmp_path, f'B801200005001,2002-08-31,2010-03-01,A,"{text}"'))
    assert frame["annual_amount"].to_list() == [pence]
    assert frame.schema["annual_amount"] == pl.Int64  # never a float


def test_money_from_excel_number_cells(tmp_path):
    rows = [STATEMENT_HEADER] + [["B801200005001", date(2002, 8, 31), date(2010, 3, 1), "A", v]
                                 for v in (1234.5, 9876.54, 0.1 + 0.2, 100.1 * 3, 16000000, "£1,234.50")]
    frame = read_ok(xlsx_file(tmp_path, {"S": rows}))
    assert frame["annual_amount"].to_list() == [123450, 987654, 30, 30030, 1600000000, 123450]


@pytest.mark.parametrize("text,words", [("-500.00", "is negative"), ("£-5", "is negative"), ("(5.00)", "is negative"),
                                        ("-£5.00", "is negative"), ("(£5.00)", "is negative"),
                                        ("1234.567", "more than two decimal places"),
                                        ("£1,234.505", "more than two decimal places"),
                                        ("1,2,3", "is not an amount of money"), ("1e3", "is not an amount of money"),
                                        ("TBC", "is not an amount of money"),
                                        # a space stands only for a thousands comma: never dropped to join digits
                                        ("8400 9000", "is not an amount of money"),
                                        ("1 2 3", "is not an amount of money"), ("10235 46", "is not an amount"),
                                        ("3333.333333333", "=ROUND("),
                                        # a dash: accounting-format zero, or "not known": never taken for £0
                                        ("-", "is a dash, not an amount"), ("£ -", "write 0"),
                                        # digits pasted from another system: not "more than £10,000,000,000"
                                        ("１２", "is written with digits other than 0–9"),
                                        ("£１２３４.５０", "type it again with ordinary digits")])
def test_what_is_not_money(tmp_path, text, words):
    _, issues = read(statements_csv(tmp_path, f'B801200005001,2002-08-31,2010-03-01,A,"{text}"'))
    (issue,) = issues.errors
    assert (issue.row, issue.column, issue.value) == (2, "annual_amount", text)
    assert words in issue.message


CENSUS_HEADER = "upn,school_id,date_of_birth,nc_year_taught,sen_provision,fsm"


def census(tmp_path, *rows: str) -> tuple:
    return read(csv_file(tmp_path, CENSUS_HEADER + "\n" + "\n".join(rows) + "\n"), "census")


def test_a_date_or_a_count_in_digits_other_than_0_to_9_says_so__spec_5(tmp_path):
    _, issues = census(tmp_path, "B801200005001,S1,２００５-01-01,３,N,")
    assert [(i.row, i.column) for i in issues.errors] == [(2, "date_of_birth"), (2, "nc_year_taught")]
    assert all("is written with digits other than 0–9" in i.message for i in issues.errors)


def test_booleans(tmp_path):
    words = ["true", "FALSE", "Yes", "no", "Y", "n", "1", "0", "TRUE", ""]
    table, issues = census(tmp_path, *[f"B8012000050{i:02d},S1,2005-01-01,3,N,{w}" for i, w in enumerate(words)])
    assert not issues.items
    assert table.frame["fsm"].to_list() == [True, False, True, False, True, False, True, False, True, None]


def test_census_codes_before_and_after_2014(tmp_path):
    codes = ["N", "A", "P", "S", "K", "E", "k", ""]
    table, issues = census(tmp_path, *[f"B8012000050{i:02d},S1,2005-01-01,3,{c},0" for i, c in enumerate(codes)])
    assert not issues.items
    assert table.frame["sen_provision"].to_list() == ["N", "A", "P", "S", "K", "E", "K", None]


def test_taught_years(tmp_path):
    years = ["N1", "N2", "R", "1", "6", "14", "X", "x", "r", ""]
    table, issues = census(tmp_path, *[f"B8012000050{i:02d},S1,2005-01-01,{y},N,0" for i, y in enumerate(years)])
    assert not issues.items
    assert table.frame["nc_year_taught"].to_list() == [-2, -1, 0, 1, 6, 14, None, None, 0, None]


TEMPORARY = check_letter("80120000500Z") + "80120000500Z"  # a temporary UPN: its last character is a letter


def test_a_census_holds_upns_as_integer_keys_and_gives_back_the_text_read(tmp_path):
    """At England scale the census is held compactly (UPNs as integers, school ids as an Enum, narrow
    rows and years); every UPN, the temporary and malformed ones too, reads back as it was parsed."""
    texts = ["B801200005001", "b801 2000 05002", TEMPORARY, "X12", "A801200005001", "Z999999999999"]
    table, issues = census(tmp_path, *[f"{u},S{i % 2},2005-01-01,3,N,0" for i, u in enumerate(texts)])
    assert not issues.errors
    frame = table.frame
    assert (frame.schema["upn"], frame.schema["_row"], frame.schema["nc_year_taught"]) == (pl.Int64, pl.UInt32,
                                                                                           pl.Int8)
    assert frame.schema["school_id"] == pl.Enum(["S0", "S1"])
    assert frame.schema["enrol_status"] == pl.Enum(["C", "M", "S", "G"])
    parsed = ["B801200005001", "B801200005002", TEMPORARY, "X12", "A801200005001", "Z999999999999"]
    assert frame["upn"].n_unique() == len(parsed)
    assert frame["upn"].to_list()[:2] == [1_801_200_005_001, 1_801_200_005_002]  # the letter's index, the digits
    back = table.readable(frame)
    assert back["upn"].to_list() == parsed
    assert back["school_id"].to_list() == ["S0", "S1"] * 3 and back["enrol_status"].to_list() == ["C"] * 6
    assert table.keys_of(pl.Series(parsed)).to_list() == frame["upn"].to_list()
    assert table.keys_of(pl.Series(["A80120000501Z", None])).to_list() == [None, None]  # in no census row


def test_census_messages_name_upns_and_schools_as_the_file_has_them(tmp_path):
    from senrun.checks import census_outside, census_registrations, upn_letters

    rows = [f"{TEMPORARY},S1,2005-01-01,3,N,0", "B801200005001,S1,2005-01-01,3,N,0", "X12,S1,2005-01-01,3,N,0",
            f"{TEMPORARY.lower()},S1,2005-01-01,3,N,0", "B801200005001,S9,2005-01-01,3,N,0"]
    table, issues = census(tmp_path, *rows)
    assert not issues.items
    census_registrations(table, issues)
    upn_letters(table, issues)
    census_outside(table, pl.Series(["S1"]), issues)
    assert [(i.code, i.row, i.value) for i in issues.errors] == [("duplicate", 5, TEMPORARY),
                                                                ("duplicate", 6, "B801200005001")]
    assert f"UPN {TEMPORARY} appears again (first at row 2)" in issues.errors[0].message
    # a UPN at two schools, with no enrolment status given: told the school of each row, and how to give a dual
    # registration (the repeat had been told with no advice, and the council had no way on but deleting a row)
    assert issues.errors[1].message == (
        "UPN B801200005001 appears again (first at row 3), with school_id 'S9' here but 'S1' there. If the child is "
        "on two schools' rolls (a dual registration), give the census's enrolment status column (C, M, S, G), mapped "
        "as enrol_status: only the main registration, C or M, is counted (docs/inputs.md)")
    assert [(i.code, i.row, i.value) for i in issues.warnings] == [
        ("upn_temporary", 2, TEMPORARY), ("upn_malformed", 4, "X12"), ("upn_temporary", 5, TEMPORARY),
        ("census_outside", 6, "S9")]
    assert issues.warnings[1].message.startswith('"X12" is not a UPN')
    assert issues.warnings[3].message.startswith("1 census row at school S9, which is not in the schools input")


@pytest.mark.parametrize("column,text", [("nc_year_taught", "15"), ("nc_year_taught", "Y15"), ("nc_year_taught", "0"),
                                         ("sen_provision", "Q"), ("sen_provision", "SA"), ("fsm", "maybe")])
def test_codes_that_are_not_allowed(tmp_path, column, text):
    row = {"nc_year_taught": "3", "sen_provision": "N", "fsm": "0", column: text}
    _, issues = census(tmp_path, f"B801200005001,S1,2005-01-01,{row['nc_year_taught']},{row['sen_provision']},"
                                 f"{row['fsm']}")
    assert bad_cells(issues) == [(2, column, text)]


def test_streams_and_move_reasons(tmp_path):
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,A,1,psf",
                          "B801200005002,2002-08-31,2010-03-01,A,1,SSMN", "B801200005003,2002-08-31,2010-03-01,A,1,",
                          header=",".join(STATEMENT_HEADER) + ",stream")
    assert read_ok(path)["stream"].to_list() == ["PSF", "SSMN", "PSF"]  # blank: PSF by default
    moves = csv_file(tmp_path, "upn,from_school_id,to_school_id,move_date,reason\n"
                     "B801200005001,A,B,2013-11-15,Managed Move\nB801200005002,A,B,2013-11-15,casual\n"
                     "B801200005003,A,B,2013-11-15,transfer\nB801200005004,A,B,2013-11-15,exclusion\n", name="m.csv")
    table, issues = read(moves, "moves")
    assert table.frame["reason"].to_list() == ["managed_move", "casual", "transfer", None]
    assert bad_cells(issues) == [(5, "reason", "exclusion")]
    moves = csv_file(tmp_path, "upn,from_school_id,to_school_id,move_date,reason\n"
                     "B801200005001,A,B,2013-11-15,Casual move\nB801200005002,A,B,2013-11-15,Casual Admission\n"
                     "B801200005003,A,B,2013-11-15,Managed\n", name="m2.csv")
    assert read_ok(moves, "moves")["reason"].to_list() == ["casual", "casual", "managed_move"]


def test_every_bad_cell_in_a_file_is_reported(tmp_path):
    path = statements_csv(tmp_path, "B801200005001,x,2010-03-01,A,1", "B801200005002,2002-08-31,y,,1",
                          "B801200005003,2002-08-31,2010-03-01,A,-1")
    _, issues = read(path)
    assert sorted(bad_cells(issues)) == [(2, "date_of_birth", "x"), (3, "school_id", None),
                                         (3, "statement_date", "y"), (4, "annual_amount", "-1")]


def test_a_flood_of_bad_cells_is_summarised(tmp_path):
    path = statements_csv(tmp_path, *[f"B8012000{i:05d},x,2010-03-01,A,1" for i in range(250)])
    _, issues = read(path)
    assert len(issues.errors) == 201
    assert issues.errors[-1].message.startswith("50 more problems in this column (rows 202 onwards)")


# --- end to end: a council's workbooks through `senrun validate` ------------------------

def test_a_council_workbook_run_validates(tmp_path):
    xlsx_file(tmp_path, {"Schools": [["DfE Number", "School Name", "Cluster Code", "School Specific Allocation"],
                                     [9262001, "Ashwell Primary", "C1", 1000.5],
                                     [9262002, "Brook Primary", "C1", 2000]]},
              name="schools.xlsx")
    xlsx_file(tmp_path, {"Notes": [["see next sheet"]],
                         "Statements": [["PSF statements 2013-14"], [],
                                        ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School (DfE)",
                                         "Annual PSF"],
                                        ["d926200113001", date(2001, 11, 14), "01/03/2010", 9262001, 9876.54]]},
              name="statements.xlsx")
    csv_file(tmp_path, "UPN,LAEstab,DOB\nD926200113001,9262001,14/11/2001\nW926200111002,9262002,2005-03-01\n",
             name="census.csv", encoding="cp1252")
    (tmp_path / "senrun.yaml").write_text("""\
year: "2013-14"
period: {start: 2013-04-01, end: 2014-03-31}
census_date: 2013-01-17
budget: {pupil_specific_pot: 100000, ssa_total: 3000.50}
formula:
  elements:
    - {name: per_pupil, basis: pupils, remainder: true}
inputs:
  schools: {path: schools.xlsx, columns: {"DfE Number": school_id, "Cluster Code": cluster_id,
            "School Specific Allocation": ssa}}
  census: {path: census.csv, columns: {UPN: upn, LAEstab: school_id, DOB: date_of_birth}}
  statements: {path: statements.xlsx, sheet: Statements,
               columns: {"Pupil UPN": upn, "PSF School (DfE)": school_id, "Annual PSF": annual_amount}}
""")
    result = CliRunner().invoke(app, ["validate", "--config", str(tmp_path / "senrun.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == 0 and report["ok"] is True
    assert report["dry_run_totals_pence"]["continuing_psf"] == 411523  # Year 6: April–August, SPEC §10


def test_a_workbook_read_without_sheet_warns_of_another_sheet_with_the_same_columns(tmp_path):
    """Last year's sheet first and this year's second: senrun reads the first, and says the other fits."""
    row = ["B801200005001", date(2002, 8, 31), date(2010, 3, 1), "A", 1200]
    path = xlsx_file(tmp_path, {"2012-13": [STATEMENT_HEADER, row], "Notes": [["Read me"]],
                                "2013-14": [STATEMENT_HEADER, row, row]})
    table, issues = read(path)
    assert table.sheet == "2012-13" and table.frame.height == 1
    [warning] = issues.items
    assert (warning.code, warning.sheet) == ("other_sheet", "2012-13") and "'2013-14'" in warning.message
    assert "'Notes'" not in warning.message
    table, issues = read(path, sheet="2013-14")  # named: no warning
    assert not issues.items and table.frame.height == 2


def test_columns_on_another_sheet_than_the_first_are_an_error_naming_the_sheet_to_give(tmp_path):
    row = ["B801200005001", date(2002, 8, 31), date(2010, 3, 1), "A", 1200]
    path = xlsx_file(tmp_path, {"Notes": [["Statements list for 2013-14"]], "Statements": [STATEMENT_HEADER, row]})
    _, issues = read(path)
    [hint] = [i for i in issues.errors if "on sheet 'Statements'" in i.message]
    assert hint.expected == 'sheet: "Statements" in inputs.statements of the config'


def test_a_dos_end_of_file_mark_after_the_last_row_of_a_csv_is_no_row(tmp_path):
    for newline, ending in (("\r\n", "\x1a"), ("\r\n", "\r\n\x1a"), ("\r\n", "\n\x1a\r\n"),
                            ("\r", "\r\x1a")):  # (the last: "CSV (Macintosh)", lines ended by a bare CR)
        path = tmp_path / "statements.csv"
        path.write_bytes((f"upn,date_of_birth,statement_date,school_id,annual_amount{newline}"
                          "B801200005001,2002-08-31,2010-03-01,A,1" + ending).encode())
        table, issues = read(path)
        assert not issues.items and table.frame.height == 1, ending


def test_another_sheet_with_a_stray_cell_far_out_is_not_looked_at_and_the_first_is_read(tmp_path):
    """calamine would hold every cell up to XFD1048576 to give that sheet's first rows: not asked to."""
    row = ["B801200005001", "2002-08-31", "2010-03-01", "A", 1200]
    path = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("2013-14")
    for r, values in enumerate([STATEMENT_HEADER, row]):
        first.write_row(r, 0, values)
    stray = book.add_worksheet("Notes")
    stray.write_row(0, 0, STATEMENT_HEADER)
    stray.write(1048575, 16383, "x")
    book.close()
    table, issues = read(path)
    assert table.frame.height == 1 and not issues.items


@pytest.mark.parametrize("marked", ["'{}", '="{}"', " '{} "])
def test_a_upn_or_id_marked_as_text_by_a_spreadsheet_is_read_without_its_mark__spec_5(tmp_path, marked):
    """A leading apostrophe (as some MIS exports write codes) or Excel's ="…" had been kept: every child so
    marked was missed in the census and their PSF ended, with warnings only and exit 0."""
    path = statements_csv(tmp_path, ",".join([marked.format("B801200005001"), "2002-08-31", "2010-03-01",
                                              marked.format("9262001"), "9876.54"]))
    frame = read_ok(path)
    assert frame.select("upn", "school_id").row(0) == ("B801200005001", "9262001")


def test_a_child_whose_upn_is_marked_as_text_in_the_statements_alone_is_found_in_the_census__spec_5_faq_3(tmp_path):
    from builders import lines_of, pupil, run, statement

    plain = statement("B801200005001", "2005-05-05")
    marked = {**plain, "upn": "'B801200005001"}
    census = [pupil("B801200005001", "A", "2005-05-05")]
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    as_typed = run(tmp_path / "a", statements=[marked], census=census)
    assert lines_of(as_typed, "B801200005001") == [("A", 840000, 0, "continuing")]
    assert as_typed.schools.rows() == run(tmp_path / "b", statements=[plain], census=census).schools.rows()


@pytest.mark.parametrize("typed, written", [("20.468,39", "20468.39"), ("£1 234,5", "1234.5"), ("84,00", "84.00")])
def test_pounds_with_a_decimal_comma_are_told_as_the_cells_own_figure_written_the_uk_way(tmp_path, typed, written):
    """Told "write the pence after a full stop" of 20.468,39, an officer typed 20.468.39 and met a bare "is not an
    amount of money": the message now gives the cell's own figure as senrun reads it."""
    from senrun.pipeline import _read_one

    path = statements_csv(tmp_path, f'B801200000001,2002-08-31,2010-03-01,9262001,"{typed}"')
    _, issues = _read_one("statements", InputSpec("statements", path, path.name))
    [error] = issues.errors
    assert error.message.endswith(f"looks like pounds with a comma for the decimal point (as much of Europe writes "
                                  f"them): write it as {written}, or save the file with UK number settings")


def test_a_blank_upn_is_told_what_a_upn_is_in_words_not_by_an_example_the_message_must_hide(tmp_path):
    """"expected a 13-character UPN such as [hidden]": the example, shaped as a child's UPN, was hidden in every
    message that gave it."""
    from senrun.pipeline import _read_one

    path = statements_csv(tmp_path, ',2002-08-31,2010-03-01,9262001,8400.00')
    _, issues = _read_one("statements", InputSpec("statements", path, path.name))
    [error] = issues.errors
    assert error.hidden().expected == "a 13-character UPN: a capital letter, then 12 digits (the last may be a letter)"


def test_bad_amounts_beyond_those_listed_are_counted_once_never_told_again_as_empty__spec_8(tmp_path):
    """Past the 200 listed, the bad amounts had each been told a second time, as empty cells."""
    from senrun.pipeline import _read_one

    rows = [f'B8012000{n:05d},2002-08-31,2010-03-01,9262001,"{100 + n},50"' for n in range(260)]
    path = statements_csv(tmp_path, *rows)
    _, issues = _read_one("statements", InputSpec("statements", path, path.name))
    assert {(i.code, i.column) for i in issues.errors} == {("bad_value", "annual_amount")}
    assert "60 more problems in this column (rows 202 onwards)" in issues.errors[-1].message
    assert "comma for the decimal point" in issues.errors[0].message


@pytest.mark.parametrize("text, advice", [
    ("8.400", "could be pounds with a third decimal, or thousands after a full stop (as much of Europe writes them): "
              "write it as 8400 or as 8.40, whichever it is"),
    ("12.500", "write it as 12500 or as 12.50, whichever it is"),
    ("12.345", "write it as 12345 or, in pounds, rounded to the penny, whichever it is"),
    ("1.234.567", "is thousands after full stops (as much of Europe writes them): write it as 1234567"),
    ("£750.500", "write it as 750500 or as 750.50, whichever it is")])
def test_an_amount_that_reads_as_pence_or_as_thousands_after_a_full_stop_is_an_error_never_a_guess__spec_1(
        tmp_path, text, advice):
    """`8.400` had been read as £8.40, with a trailing zero past the pence: a European export's £8,400 paid as
    £8.40, silently.  The advice is the cell's own figures (it had said "8400 or 8.40" of every such cell)."""
    path = statements_csv(tmp_path, f'B801200005001,2002-08-31,2010-03-01,9262001,"{text}"',
                          "Q801200005002,2002-08-31,2010-03-01,9262001,6775.860")
    table, issues = read(path)
    assert bad_cells(issues) == [(2, "annual_amount", text)]
    assert advice in issues.errors[0].message, issues.errors[0].message
    assert table.frame["annual_amount"].to_list()[1] == 677586  # a padded amount of four digits is still read


def test_a_census_exported_with_its_codes_in_words_reads_as_the_codes_themselves(tmp_path):
    """A MIS report gives the census's codes in words ("Year 5", "Reception", "S - Statement", "Single
    Registration"): each row had been refused, with no way to recode them but to edit the export."""
    header = "UPN,LAEstab,DOB,NCyearActual,SENprovision,EnrolStatus"
    worded = csv_file(tmp_path, "\n".join([
        header, "D926200113001,9262001,14/11/2001,Year 5,S - Statement,Single Registration",
        "W926200111002,9262002,2005-03-01,Reception,SEN Support,Main (dual registration)",
        "A926200111003,9262002,2005-03-01,Nursery 2,EHC Plan,Subsidiary",
        "B926200111004,9262002,2005-03-01,Y11,K: SEN support,Guest"]) + "\n", name="worded.csv")
    coded = csv_file(tmp_path, "\n".join([header, "D926200113001,9262001,14/11/2001,5,S,C",
                                          "W926200111002,9262002,2005-03-01,R,K,M",
                                          "A926200111003,9262002,2005-03-01,N2,E,S",
                                          "B926200111004,9262002,2005-03-01,11,K,G"]) + "\n", name="coded.csv")
    columns = {"UPN": "upn", "LAEstab": "school_id", "DOB": "date_of_birth", "NCyearActual": "nc_year_taught",
               "SENprovision": "sen_provision", "EnrolStatus": "enrol_status"}
    (words, said), (codes, _) = (read(p, "census", columns=dict(columns)) for p in (worded, coded))
    assert not said.errors, [str(i) for i in said.errors]
    shown = [c for c in codes.frame.columns if c != "_row"]
    assert words.readable(words.frame.select(shown)).equals(codes.readable(codes.frame.select(shown)))
    assert codes.readable(codes.frame)["nc_year_taught"].to_list() == [5, 0, -1, 11]


def test_a_csv_that_ends_inside_its_last_row_is_an_error_as_a_file_still_being_written__spec_5_8(tmp_path):
    """A census copied over the network while the nightly check ran ends mid-row: its last row's empty cells
    were told, but not that the file itself was cut short (so that its later rows are missing too).  It is an
    error, not a warning: a cut amount or a ceased date left out is a valid row, paid wrongly with exit 0."""
    u1, u2 = "B801200005001", "E801200005002"
    whole = f"{','.join(STATEMENT_HEADER)}\n{u1},2002-08-31,2010-03-01,A,100.00\n"
    _, issues = read(csv_file(tmp_path, whole + f"{u2},2003-0", "cut.csv"))
    [cut] = [i for i in issues.items if i.code == "cut_short"]
    assert (cut.severity, cut.file, cut.row) == ("error", "cut.csv", 3)
    assert cut.message.startswith("the file ends inside this row, its last: 2 of the header's 5 cells")
    # a whole last row with no line break after it, or a short row that is not the last, is no cut file
    _, issues = read(csv_file(tmp_path, whole + f"{u2},2003-01-01,2010-03-01,A,100.00", "whole.csv"))
    assert "cut_short" not in {i.code for i in issues.items}
    _, issues = read(csv_file(tmp_path, whole + f"{u2},2003-0\n", "short.csv"))
    assert "cut_short" not in {i.code for i in issues.items}
    for end in ("Total,200.00", "  "):  # a totals line or a blank one last, with no line break after it
        _, issues = read(csv_file(tmp_path, whole + end, "ends.csv"))
        assert "cut_short" not in {i.code for i in issues.items}, end


@pytest.mark.parametrize("note", ['"moved in\nfrom Kent"', '"moved in\r\nfrom Kent, then Essex"', '"a ""quoted""\nnote"'])
def test_a_csv_whose_last_row_ends_in_a_quoted_note_over_two_lines_with_no_line_break_after_it_is_not_cut_short(
        tmp_path, note):
    """A quoted cell may hold line breaks (RFC 4180; Excel's Alt+Enter): a last row whose note spans two lines
    is whole, though its last line alone has one cell of the header's six.  Only a row that really ends early is
    the warning cut_short (SPEC §8's warnings)."""
    u1, u2 = "B801200005001", "E801200005002"
    whole = f"{','.join(STATEMENT_HEADER)},note\n{u1},2002-08-31,2010-03-01,A,100.00,\n"
    table, issues = read(csv_file(tmp_path, whole + f"{u2},2003-01-01,2010-03-01,A,100.00,{note}", "notes.csv"))
    assert table.frame.height == 2
    assert "cut_short" not in {i.code for i in issues.items}
    _, issues = read(csv_file(tmp_path, whole + f"{u2},2003-01-01,2010-03-01", "cut.csv"))
    assert [i.row for i in issues.items if i.code == "cut_short"] == [3]


@pytest.mark.parametrize("column", ["statement_date", "ceased_date", "stream"])
def test_a_totals_row_labelled_in_a_date_column_is_skipped_as_one_labelled_in_a_text_column_is__spec_5(
        tmp_path, column):
    # "Total" typed in a date column of the sums' row, the figure under the amounts: it had been that cell's error
    # ("is not a date") and the row's empty cells', where "Total" in the first column or a text column (the
    # Stream's, already) is the totals_row warning and the row is skipped
    header = [*STATEMENT_HEADER, "stream", "ceased_date"]
    cells = dict.fromkeys(header, "")
    cells.update({"annual_amount": "18276.54", column: "Total"})
    path = statements_csv(tmp_path, "B801200005001,2002-08-31,2010-03-01,A,9876.54,PSF,",
                          "E801200005002,2005-11-14,2011-01-15,B,8400.00,PSF,", ",".join(cells.values()),
                          header=",".join(header))
    table, issues = read(path)
    assert not issues.errors, [str(i) for i in issues.errors]
    assert [(i.code, i.row, i.column, i.value) for i in issues.items] == [("totals_row", 4, column, "Total")]
    assert table.frame["annual_amount"].to_list() == [987654, 840000]


def test_a_workbooks_number_cells_are_read_to_the_15_digits_excel_shows_and_its_text_cells_as_typed__spec_1_5(
        tmp_path):
    """calamine gives a number cell as text to nine decimal places: 0.0461494499214 came as 0.04614945, 1/3 as
    0.333333333, 1e-10 as 0 and 8394227.56 as 8394227.560000001 (docs/inputs.md: "Excel number cells are read at
    the value Excel shows to full precision").  Text cells beside them, a date cell and a whole number are as
    they were, and so is every text cell that reads as a number (`8.400` stays for the thousands check to refuse, as
    in a CSV; `1.5E+3` stays a word).  A formula's share of a total below 0.1, 15 significant digits and 16
    places, is taken to 15 places, the most a need value has (1/30 is 0.033333333333333)."""
    from senrun.inputs.excel import read_sheet

    path = xlsx_file(tmp_path, {"S": [["need", "money"], [0.0461494499214, 8394227.56], [1 / 3, 12.5],
                                      [1e-10, "2.5000000001"], ["0123", 3], ["0.1234567891234", date(2020, 1, 2)],
                                      [0.1 + 0.2, 9908.700000000001], [1 / 30, "8.400"], [59554782.32053598, "1.5E+3"],
                                      ["871.2000", "0"], [0, 0.333]]})
    frame, _ = read_sheet(path, None)
    assert frame.rows() == [("need", "money"), ("0.0461494499214", "8394227.56"), ("0.333333333333333", "12.5"),
                            ("0.0000000001", "2.5000000001"), ("0123", "3"), ("0.1234567891234", "2020-01-02 00:00:00"),
                            ("0.3", "9908.7"), ("0.033333333333333", "8.400"), ("59554782.320536", "1.5E+3"),
                            ("871.2000", "0"), ("0", "0.333")]


def test_an_amount_typed_as_the_text_8_400_in_a_workbook_is_refused_as_in_a_csv_not_read_as_8_pounds_40__spec_5(
        tmp_path):
    """Beside a number cell of three decimals, the text `8.400` was read again as a number and paid as £8.40: the
    European thousands `8.400` (£8,400) is refused in a workbook as in a CSV."""
    header = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream"]
    path = xlsx_file(tmp_path, {"S": [header, ["B801200005001", date(2005, 5, 5), date(2010, 1, 1), "A", "8.400", "PSF"],
                                      ["E801200005002", date(2005, 5, 5), date(2010, 1, 1), "A", 6000.125, "PSF"]]},
                     name="statements.xlsx")
    _, issues = read(path)
    assert [(i.row, i.column, i.value) for i in issues.errors if i.column == "annual_amount"] == [
        (2, "annual_amount", "8.400"), (3, "annual_amount", "6000.125")]
