"""Errors that say where and how (issue 13, point 5): a missing input's resolved path, "did you
mean" for an unknown school, and a council's own last-year spreadsheet as --previous."""

from __future__ import annotations

import os

import polars as pl
import pytest
import xlsxwriter
import yaml
from typer.testing import CliRunner

from builders import SCHOOLS, statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate
from senrun.validate import run_validation
from senrun.yearly.diff import diff_against

U1 = "B801200005001"


def test_a_missing_input_gives_the_path_as_written_the_resolved_path_and_the_nearest_name(tmp_path):
    cfg = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")])
    raw = yaml.safe_load(cfg.read_text())
    raw["inputs"]["schools"]["path"] = "school.csv"
    cfg.write_text(yaml.safe_dump(raw))
    (issue,) = [i for i in run_validation(cfg).issues if i.code == "unreadable"]
    assert "schools file 'school.csv' does not exist" in issue.message
    assert f"looked for {tmp_path.resolve() / 'school.csv'}" in issue.message
    assert "relative to the config file" in issue.message and "did you mean schools.csv?" in issue.message


@pytest.mark.skipif(os.name == "nt", reason="Windows reads a backslash path as written")
def test_a_path_written_with_backslashes_is_told_to_use_forward_slashes_which_work_everywhere(tmp_path):
    cfg = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")])
    (tmp_path / "data").mkdir()
    (tmp_path / "schools.csv").rename(tmp_path / "data" / "schools.csv")
    raw = yaml.safe_load(cfg.read_text())
    raw["inputs"]["schools"]["path"] = "data\\schools.csv"  # as Windows Explorer shows it
    cfg.write_text(yaml.safe_dump(raw))
    (issue,) = [i for i in run_validation(cfg).issues if i.code == "unreadable"]
    assert issue.message.endswith("(paths in the config are written with /, which works on Windows too: write "
                                  "'data/schools.csv')")
    raw["inputs"]["schools"]["path"] = "data/schools.csv"
    cfg.write_text(yaml.safe_dump(raw))
    assert not [i for i in run_validation(cfg).issues if i.code == "unreadable"]


def test_an_unknown_school_id_suggests_the_nearest_ids_with_their_names(tmp_path):
    schools = [*SCHOOLS, {"school_id": "9262041", "school_name": "Oakfield Primary", "cluster_id": "C1",
                          "ssa": "0", "pupils": "10"}]
    cfg = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="9262401")])
    (issue,) = [i for i in run_validation(cfg).issues if i.code == "unknown_school"]
    assert "'9262401' is not in the schools input — did you mean 9262041 (Oakfield Primary)?" in issue.message


def test_an_unknown_school_typed_as_its_name_suggests_the_id(tmp_path):
    cfg = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="Hilltop Hgh")])
    (issue,) = [i for i in run_validation(cfg).issues if i.code == "unknown_school"]
    assert "did you mean H (Hilltop High)?" in issue.message


def _council_previous(path, rows):
    """Last year's allocations as a council keeps them: a title row, its own headers, £ text."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("2012-13")
    ws.write(0, 0, "Cluster SEN allocations 2012-13, as agreed by Schools Forum")
    ws.write_row(2, 0, ["LA Estab", "School", "Cluster", "Notes", "Total allocation"])
    for i, (sid, cluster, total) in enumerate(rows, start=3):
        ws.write_row(i, 0, [sid, "a school", cluster, "", total])
    ws.write_row(3 + len(rows), 0, ["", "Total", "", "", "£99.00"])
    book.close()
    return path


def test_previous_reads_a_councils_own_spreadsheet_through_the_previous_columns_map(tmp_path):
    cfg_path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")], previous={
        "sheet": "2012-13", "columns": {"LA Estab": "school_id", "Cluster": "cluster_id",
                                        "Total allocation": "total"}})
    result = allocate(load_config(cfg_path))
    prev = _council_previous(tmp_path / "last year.xlsx", [("A", "C1", "£1,000.00"), ("B", "C1", "2,500.5"),
                                                            ("H", "C1", "£0.01")])
    diff = diff_against(result, prev).filter(pl.col("level") == "school")
    assert diff.select("school_id", "previous_total").rows() == [("A", 100000), ("B", 250050), ("H", 1)]
    # the year after, --previous is senrun's own schools.csv and the map is still in the config
    out = tmp_path / "out"
    ran = CliRunner().invoke(app, ["allocate", "--config", str(cfg_path), "--out", str(out), "--no-returns", "-q"])
    assert ran.exit_code == 0, ran.output
    own = diff_against(result, out / "schools.csv").filter(pl.col("level") == "school")
    assert own["change"].to_list() == [0, 0, 0]


def test_previous_names_a_mapped_header_it_cannot_find_and_a_bad_amount_by_row(tmp_path):
    cfg_path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")], previous={
        "columns": {"LA Estab": "school_id", "Cluster": "cluster_id", "Total 2012-13": "total"}})
    result = allocate(load_config(cfg_path))
    prev = _council_previous(tmp_path / "p.xlsx", [("A", "C1", "£1,000.00")])
    with pytest.raises(SenrunError, match="no column 'Total 2012-13'.*columns found: LA Estab, School"):
        diff_against(result, prev)
    cfg_path.write_text(cfg_path.read_text().replace("Total 2012-13", "Total allocation"))
    result = allocate(load_config(cfg_path))
    bad = _council_previous(tmp_path / "bad.xlsx", [("A", "C1", "about £1k")])
    with pytest.raises(SenrunError, match=r"bad.xlsx › 2012-13 › row 4 › Total allocation: \(given as --previous\) "
                       r"\"about £1k\" is not an amount"):  # (at its sheet too)
        diff_against(result, bad)


def test_the_previous_columns_map_must_name_school_cluster_and_total(tmp_path):
    cfg_path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")],
                         previous={"columns": {"LA Estab": "school_id", "Total": "totl"}})
    with pytest.raises(SenrunError) as caught:
        load_config(cfg_path)
    text = str(caught.value)
    assert "previous.columns.Total: 'totl' is not one of school_id, cluster_id, total" in text
    assert "must name a column for cluster_id, total" in text


def test_explain_for_an_unknown_school_suggests_the_nearest_ids(tmp_path):
    from senrun.yearly.explain import explain_school

    result = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")])))
    with pytest.raises(SenrunError, match=r"school 'Bromwel' has no row this period: it is not in .* did you mean B \(Bromwell Primary\)\?"):
        explain_school(result, "Bromwel")


def test_explain_given_a_schools_name_for_its_id_says_which_id_to_give(tmp_path):
    """It had been told that the school has no row this period, 'or is open on no day of the period'."""
    from senrun.yearly.explain import explain_school

    result = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")])))
    with pytest.raises(SenrunError) as caught:
        explain_school(result, " bromwell primary")
    assert str(caught.value) == ("--school takes a school's id, and 'bromwell primary' is the name of school B: "
                                 "explain --school B shows it")


def test_explain_given_a_clusters_id_for_a_schools_says_where_a_cluster_is_shown_and_names_its_schools__spec_7(
        tmp_path):
    """A cluster's id had been told it is in no schools input, with three unrelated schools suggested."""
    from senrun.yearly.explain import explain_school

    result = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")])))
    with pytest.raises(SenrunError) as caught:
        explain_school(result, "c1 ")
    assert str(caught.value) == ("--school takes a school's id, and 'c1' is cluster C1's: its figures are on the "
                                 "Clusters sheet of allocations.xlsx and in its cluster pack (the run's clusters/ "
                                 "folder); explain --school shows one of its schools (A, B, H), such as explain "
                                 "--school A")


def test_a_formula_the_pot_cannot_pay_is_located_at_its_key_and_yaml_line(tmp_path):
    cfg_path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")],
                         formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10000000},
                                               {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    # the line of the list itself, where its first element starts
    line = 1 + next(n for n, t in enumerate(cfg_path.read_text().splitlines(), 1) if t.strip() == "elements:")
    (issue,) = run_validation(cfg_path).errors
    assert (issue.file, issue.column, issue.row) == ("senrun.yaml", "formula.elements", line)
    assert issue.where() == f"senrun.yaml › line {line} › formula.elements"
    assert "the highest rate the pot can pay" in issue.message


def test_an_overspent_formula_with_no_remainder_says_the_highest_rate_alone_will_not_do__spec_4(tmp_path):
    """Told "the highest rate the pot can pay … per_pupil £9.73", an officer typed 9.73 and met the next error: it
    "leaves £105.79 … and no element is the remainder" (a rate never spends a pot to the penny).  The first message
    now says so, and what does work."""
    cfg_path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")],
                         formula={"elements": [{"name": "per_pupil", "basis": "pupils", "rate": 10000000}]})
    (issue,) = run_validation(cfg_path).errors
    assert "the highest rate the pot can pay" in issue.message
    assert issue.message.endswith("(with no remainder element, a rate at most that high still leaves part of the pot "
                                  "unspent, which is refused too: make one element the remainder, and it takes what "
                                  "the others leave)")
    with_rest = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")],
                          formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10000000},
                                                {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    (issue,) = run_validation(with_rest).errors
    assert "no remainder element" not in issue.message
    # shares that spend the whole pot leave a rate of £0.00 that runs: no such caveat then
    filled = write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="B")],
                       formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10000000},
                                             {"name": "per_pupil", "basis": "pupils", "share": 1}]})
    (issue,) = run_validation(filled).errors
    assert "lump_sum £0.00" in issue.message and "no remainder element" not in issue.message


def _urn_schools(n: int) -> list[dict]:
    return [{"school_id": str(120777 + i), "school_name": f"School {i}", "cluster_id": "C1", "ssa": "0",
             "pupils": "100"} for i in range(n)]


def test_statements_giving_schools_by_another_kind_of_id_are_told_so_in_one_error_first(tmp_path):
    """Schools by URN, statements by DfE number (LAEstab): every row's own error says "not in the schools input";
    the one before them says why, and how to make the ids alike."""
    statements = [statement(f"B8012000050{i:02d}", "2005-05-05", school=str(9262004 + i)) for i in range(12)]
    with pytest.raises(SenrunError) as e:
        allocate(load_config(write_run(tmp_path, statements=statements, schools=_urn_schools(12))))
    first = e.value.errors[0]
    assert first.code == "unknown_school" and first.row is None and first.file == "statements.csv"
    assert ("12 of the 12 rows of statements.csv name schools not in the schools input: statements.csv gives "
            "schools by 7-digit DfE numbers such as 9262004, the schools input by 6-digit numbers (most likely URNs) "
            "such as 120777") in first.message


def test_a_census_of_which_no_child_is_at_a_known_school_is_an_error_not_a_warning_and_a_casual_move_each(tmp_path):
    """Schools and statements by URN, the census by LAEstab: every protected child seemed to have moved casually,
    PSF ended for all (£0 continuing) with warnings only."""
    schools = _urn_schools(3)
    statements = [statement(f"B8012000050{i:02d}", "2005-05-05", school="120777") for i in range(3)]
    census = [{"upn": f"C8012000051{i:02d}", "school_id": str(9262004 + i % 3), "date_of_birth": "2005-05-05"}
              for i in range(12)]
    with pytest.raises(SenrunError) as e:
        allocate(load_config(write_run(tmp_path, statements=statements, schools=schools, census=census)))
    [error] = [i for i in e.value.errors if i.file == "census.csv"]
    assert "12 of the census's 12 rows are at schools not in the schools input" in error.message


def test_a_value_in_a_column_headed_date_of_birth_is_hidden_whatever_it_was_mapped_to():
    from senrun.errors import Issue

    slip = Issue("bad_value", "error", '"14/03/05" has a two-digit year', file="moves.xlsx", row=4,
                 column="Date of Birth", field="move_date", value="14/03/05")
    assert "14/03/05" not in str(slip.hidden()) and "Date of Birth" in str(slip.hidden())


def _slashed_schools(n: int) -> list[dict]:
    return [{"school_id": f"929/{2001 + i}", "school_name": f"School {i}", "cluster_id": "C1", "ssa": "0",
             "pupils": "100"} for i in range(n)]


def test_a_schools_list_of_dfe_numbers_written_with_a_slash_is_told_to_take_the_slash_out(tmp_path):
    """A council's list gives LAESTAB as 929/2001, the census as 9292001: the error said "ids of their own" and
    told the officer to map a column of that kind, which the list does not have."""
    census = [{"upn": f"C8012000051{i:02d}", "school_id": str(9292001 + i % 12), "date_of_birth": "2005-05-05"}
              for i in range(24)]
    statements = [statement("B801200005001", "2005-05-05", school="929/2001")]
    with pytest.raises(SenrunError) as e:
        allocate(load_config(write_run(tmp_path, statements=statements, schools=_slashed_schools(12), census=census)))
    (told,) = [i for i in e.value.errors if i.file == "census.csv" and i.row is None]
    assert ("the schools input writes DfE numbers with a separator, such as 929/2001, where the other gives them as "
            "7 digits, such as 9292001. Take the separator out of the schools input's school ids (929/2001 → 9292001")\
        in told.message
    # a statement at the school by its 7 digits is told where the school is, not to add it (the census has pupils there)
    (tmp_path / "digits").mkdir()
    statements = [statement("B801200005001", "2005-05-05", school="9292001")]
    report = run_validation(write_run(tmp_path / "digits", statements=statements, schools=_slashed_schools(12),
                                      census=census))
    [row_error] = [i for i in report.errors if i.file == "statements.csv" and i.row == 2]
    assert "'9292001' is not in the schools input, which writes it 929/2001" in row_error.message
    assert "in_formula" not in row_error.message


def test_a_statement_at_a_school_the_census_has_pupils_at_but_the_list_leaves_out_says_so_not_did_you_mean(tmp_path):
    """A special school left off the schools list (SPEC §11.2): "did you mean" offered three unrelated schools;
    the census knew it had pupils there."""
    census = [{"upn": f"C8012000051{i:02d}", "school_id": "S7", "date_of_birth": "2005-05-05"} for i in range(3)]
    statements = [statement("B801200005001", "2005-05-05", school="S7")]
    (issue,) = [i for i in run_validation(write_run(tmp_path, statements=statements, census=census)).errors
                if i.code == "unknown_school"]
    assert issue.row == 2 and issue.column == "school_id"
    assert ("the school holding the PSF, 'S7' is not in the schools input, though the census has 3 pupils there: add "
            "its row to the schools input, with its cluster (a mainstream school shares in the formula); only a "
            "setting outside the formula, such as a special school or a pupil referral unit, is given in_formula: "
            "no (docs/your-data.md)") in issue.message
    assert "did you mean" not in issue.message
    # the same school left out of a schools input that records successions: it may be one that closed or converted
    schools = [{**s, "closed": ""} for s in SCHOOLS]
    (issue,) = [i for i in run_validation(write_run(tmp_path, statements=statements, census=census,
                                                    schools=schools)).errors if i.code == "unknown_school"]
    assert issue.message.endswith("If it is a school that closed or became an academy, keep its row, with its closed "
                                  "date, beside its successor's: PSF follows a succession only from a school the "
                                  "schools input holds (docs/seven-years.md)")


def test_more_than_200_statement_rows_at_unknown_schools_end_with_a_count_of_the_rest_and_their_schools(tmp_path):
    """The first 200 are listed row by row; the rest were dropped without a word, in the terminal and in --json."""
    statements = [statement(f"B8012{i:08d}", "2005-05-05", school="X1" if i < 250 else "X2") for i in range(260)]
    statements += [statement(f"C8012{i:08d}", "2005-05-05", school="A") for i in range(30)]  # not nearly every row
    errors = [i for i in run_validation(write_run(tmp_path, statements=statements)).errors if i.code == "unknown_school"]
    assert len(errors) == 201 and [i.row for i in errors[:200]] == list(range(2, 202))
    assert errors[-1].row is None and errors[-1].column == "school_id"
    assert errors[-1].message == ("60 more rows (from row 202) name schools not in the schools input, most often "
                                  "X1 (50), X2 (10)")


def test_a_child_born_after_the_statements_date_is_warned_of_at_the_date_of_birth_which_stays_hidden(tmp_path):
    """Born 2020 (a year typed wrong) on a statement of 2010: paid under the old rules with no word, though the
    date of birth decides the child's year and so when PSF ends (SPEC §2, §3)."""
    report = run_validation(write_run(tmp_path, statements=[statement(U1, "2020-05-05", statement_date="2010-01-01")]))
    [warning] = [i for i in report.issues if i.code == "born_after_statement"]
    assert (warning.file, warning.row, warning.column) == ("statements.csv", 2, "date_of_birth")
    assert str(warning.hidden()).count("05/05/2020") == 0 and "after the statement's date 01/01/2010" in warning.message
    # the statement's date hidden too: with the two columns mapped the wrong way round, it is the date of birth
    assert "01/01/2010" not in str(warning.hidden()) and "is after the statement's date [hidden]" in str(
        warning.hidden())
    (tmp_path / "fine").mkdir()
    assert [i.code for i in run_validation(write_run(tmp_path / "fine", statements=[
        statement(U1, "2005-05-05")])).issues if i.code == "born_after_statement"] == []


def test_a_school_in_the_formula_with_a_blank_need_cell_is_warned_of_once_as_read_as_zero(tmp_path):
    """A need index left empty for a school was read as 0 without a word: that school got nothing from the
    element shared by the column."""
    schools = [{**s, "idaci": v} for s, v in zip(SCHOOLS, ["0.25", "", "0.5"])]
    formula = {"elements": [{"name": "need", "basis": "column:idaci", "share": "0.5"},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    report = run_validation(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], schools=schools,
                                      formula=formula))
    [warning] = [i for i in report.issues if i.code == "need_blank"]
    assert (warning.file, warning.column, warning.row) == ("schools.csv", "idaci", None)
    assert warning.message.startswith("1 school(s) in the formula have no value in this need column, read as 0")
    assert "B (row 3)" in warning.message and report.errors == []
    # a school shut all the period has no row and no share: its blank cell is nobody's concern
    shut = [{**s, "closed": "", "ssa": "0"} for s in schools]
    shut[1]["closed"] = "2012-12-31"
    (tmp_path / "shut").mkdir()
    quiet = run_validation(write_run(tmp_path / "shut", statements=[statement(U1, "2005-05-05")], schools=shut,
                                     formula=formula))
    assert [i for i in quiet.issues if i.code == "need_blank"] == [], [str(i) for i in quiet.issues]


def _need_run(folder, cells: list[str], in_formula: list[str] | None = None):
    schools = [{"school_id": f"S{i}", "school_name": f"School {i}", "cluster_id": "C1", "ssa": "0", "pupils": "10",
                "in_formula": (in_formula or ["yes"] * len(cells))[i], "idaci": v} for i, v in enumerate(cells)]
    formula = {"elements": [{"name": "need", "basis": "column:idaci", "share": "0.5"},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    folder.mkdir(exist_ok=True)
    report = run_validation(write_run(folder, statements=[statement(U1, "2005-05-05", school="S0")], schools=schools,
                                      formula=formula))
    return [i.message for i in report.issues if i.code == "need_blank"]


def test_need_blank_lists_five_then_says_there_are_more_and_counts_a_cell_of_spaces_but_not_a_setting_outside(tmp_path):
    assert _need_run(tmp_path / "five", ["1"] + [""] * 5)[0].endswith("S5 (row 7)")
    assert _need_run(tmp_path / "six", ["1"] + [""] * 6)[0].endswith("S5 (row 7) …")
    assert _need_run(tmp_path / "spaces", ["1", "   "])[0].startswith("1 school(s)")
    assert _need_run(tmp_path / "outside", ["1", ""], in_formula=["yes", "no"]) == []
    assert _need_run(tmp_path / "all", ["", ""]) == []  # every cell blank: the formula's own check speaks


def test_born_after_statement_is_quiet_on_the_statements_own_day_and_warns_of_each_child(tmp_path):
    statements = [statement(U1, "2010-01-01", statement_date="2010-01-01"),
                  statement("E801200005002", "2011-01-01", statement_date="2010-01-01"),
                  statement("H801200005003", "2012-01-01", statement_date="2010-01-01")]
    warned = [i.row for i in run_validation(write_run(tmp_path, statements=statements)).issues
              if i.code == "born_after_statement"]
    assert warned == [3, 4]


@pytest.mark.parametrize("written", ["929/2001", "929-2001", "929 2001", "929 / 2001"])
def test_dfe_numbers_written_with_any_separator_in_the_census_are_told_which_to_take_out(tmp_path, written):
    """The census (not the schools list) writes them apart: the advice names that file and the separator used."""
    schools = [{"school_id": str(9292001 + i), "school_name": f"School {i}", "cluster_id": "C1", "ssa": "0",
                "pupils": "100"} for i in range(12)]
    census = [{"upn": f"C8012000051{i:02d}", "school_id": written[:-1] + str(1 + i % 9), "date_of_birth": "2005-05-05"}
              for i in range(24)]
    report = run_validation(write_run(tmp_path, statements=[statement(U1, "2005-05-05", school="9292001")],
                                      schools=schools, census=census))
    [told] = [i for i in report.errors if i.file == "census.csv" and i.row is None]
    mark = "'-'" if "-" in written else "'/'" if "/" in written else "a space"
    assert "census.csv writes DfE numbers with a separator" in told.message
    assert f"Find and Replace {mark} with nothing" in told.message


def test_exactly_200_unknown_rows_are_listed_with_no_count_of_more_and_a_childs_upn_is_never_a_most_given_school(
        tmp_path):
    statements = [statement(f"B8012{i:08d}", "2005-05-05", school="X1") for i in range(200)]
    statements += [statement(f"C8012{i:08d}", "2005-05-05", school="A") for i in range(30)]
    errors = [i for i in run_validation(write_run(tmp_path, statements=statements)).errors if i.code == "unknown_school"]
    assert len(errors) == 200 and all(i.row is not None for i in errors)
    (tmp_path / "upn").mkdir()
    statements = [statement(f"B8012{i:08d}", "2005-05-05", school="X1") for i in range(200)]
    statements += [statement(f"C8012{i:08d}", "2005-05-05", school="K801200005099") for i in range(3)]
    statements += [statement(f"D8012{i:08d}", "2005-05-05", school="A") for i in range(30)]
    [more] = [i for i in run_validation(write_run(tmp_path / "upn", statements=statements)).errors
              if i.code == "unknown_school" and i.row is None]
    assert "K801200005099" not in more.message and more.message.startswith("3 more rows (from row 202)")


def test_rate_solve_in_a_years_config_is_an_error_at_its_elements_line_for_allocate_explain_and_simulate__spec_7(
        tmp_path):
    """`rate: solve` is for a simulate scenario: a year's config holding it is refused by each command alike, at
    the line of the element's rate, so that the officer finds it."""
    from senrun.yearly.explain import run_for_explain
    from senrun.yearly.simulate import simulate

    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05")],
                     formula={"elements": [{"name": "lump", "basis": "per_school", "rate": 100},
                                           {"name": "per_pupil", "basis": "pupils", "rate": "solve"}]})
    cfg = load_config(path)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "solve" in text)
    for command in (lambda: allocate(cfg), lambda: run_for_explain(cfg), lambda: simulate(cfg, [])):
        with pytest.raises(SenrunError) as refused:
            command()
        [issue] = refused.value.errors
        assert (issue.file, issue.row, issue.column) == ("senrun.yaml", line, "formula.elements[1].rate")
        assert "`rate: solve` is for simulate scenarios" in issue.message


def test_a_repeated_statement_or_school_says_what_was_expected_as_every_error_does__spec_5(tmp_path):
    # The duplicate errors gave where and what but no "expected" (null in --json): SPEC §5 asks for all three.
    cfg = write_run(tmp_path, statements=[statement(U1, "2005-05-05"), statement(U1, "2005-05-05")],
                    schools=[*SCHOOLS, SCHOOLS[0]])
    issues = [i for i in run_validation(cfg).issues if i.code == "duplicate"]
    assert [(i.file, i.row, i.expected) for i in issues] == [
        ("schools.csv", len(SCHOOLS) + 2, "each school_id on one row"),
        ("statements.csv", 3, "each statement (UPN / stream) on one row")]
