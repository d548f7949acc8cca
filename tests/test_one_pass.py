"""Every problem of one pass is listed (SPEC §5, §8), with the warnings that explain an error (SPEC §7);
a census finding says when PSF stops (SPEC §11.11); explain --school names no child unless asked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from builders import SCHOOLS, pupil, statement, write_run
from senrun import checks
from senrun.affordable import Unaffordable
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate
from senrun.validate import run_validation
from senrun.yearly.explain import explain_upn, run_for_explain

U1, U2, U3, U4 = "B801200005001", "Q801200005002", "E801200005003", "U801200005004"  # valid check letters
CENSUS = [pupil(U1, "A", "2005-01-01"), pupil(U2, "A", "2005-02-02"), pupil(U3, "B", "2005-03-03"),
          pupil("H801200009999", "H", "2001-01-01")]
#: The schools as they are beside a census (which counts the pupils).
COUNTED = [{k: v for k, v in school.items() if k != "pupils"} for school in SCHOOLS]


def errors_of(path) -> list[tuple[str, str, int | None]]:
    """validate's errors as (code, file, row), in the order listed."""
    return [(i.code, i.file, i.row) for i in run_validation(path).issues if i.is_error]


def codes_of(issues) -> list[tuple[str, str]]:
    return [(i.code, i.severity) for i in issues]


# --- 1. a bad cell hides no error across inputs (SPEC §5, §8) ---------------------------------------

def test_a_bad_cell_does_not_hide_the_errors_across_inputs(tmp_path):
    schools = [*SCHOOLS, {**SCHOOLS[0], "cluster_id": "C2"}]  # row 5: school A again, in another cluster
    path = write_run(tmp_path, schools=schools,
                     statements=[statement(U1, "2005-01-01", stream="XYZ"),       # row 2: not a stream
                                 statement(U2, "2005-02-02", school="Q")],        # row 3: no school Q
                     census=[*CENSUS, pupil(U2, "B", "2005-02-02")],              # row 6: U2 again
                     moves=[{"upn": U3, "from_school_id": "B", "to_school_id": "Z", "move_date": "2013-10-01",
                             "reason": "managed_move"}])                          # row 2: to no school Z
    assert errors_of(path) == [("bad_value", "statements.csv", 2),
                               ("duplicate", "schools.csv", 5),
                               ("unknown_school", "statements.csv", 3),
                               ("unknown_school", "moves.csv", 2),
                               ("duplicate", "census.csv", 6)]


def test_a_slip_in_the_config_is_listed_with_the_inputs_bad_cells_in_one_pass(tmp_path):
    path = write_run(tmp_path, statements=[statement(U1, "2005-01-01", annual="12x"),   # row 2: not money
                                           statement(U2, "2005-02-02")],
                     census=CENSUS, prorate="weeks")                                    # not months or days
    assert errors_of(path) == [("config", "senrun.yaml", 19), ("bad_value", "statements.csv", 2)]
    result = CliRunner().invoke(app, ["allocate", "-c", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert "prorate" in result.output and "statements.csv › row 2 › annual_amount" in result.output


def test_a_config_whose_inputs_section_is_in_error_lists_the_config_alone(tmp_path):
    path = write_run(tmp_path, statements=[statement(U1, "2005-01-01", annual="12x")], census=CENSUS,
                     prorate="weeks")
    text = path.read_text().replace("  schools:\n", "  schools:\n    sheet_name: Schools\n", 1)
    path.write_text(text)  # an unknown key under inputs: how the inputs are read is not known
    assert [(code, file) for code, file, _ in errors_of(path)] == [("config", "senrun.yaml")] * 2


def test_a_statement_history_error_is_listed_with_a_blank_amount_elsewhere(tmp_path):
    rows = [statement(U1, "2005-01-01"), statement(U1, "2005-01-01"),  # rows 2, 3: issued twice (§8, §11.3)
            statement(U2, "2005-02-02", annual="")]                    # row 4: no amount
    path = write_run(tmp_path, statements=rows, census=CENSUS)
    assert errors_of(path) == [("empty_value", "statements.csv", 4), ("duplicate", "statements.csv", 3)]


def test_a_row_with_a_bad_cell_is_not_reported_again_by_a_check_across_inputs(tmp_path):
    rows = [statement(U1, "31/02/2005", school="Q"), statement(U2, "2005-02-02", school="Q")]
    path = write_run(tmp_path, statements=rows, census=CENSUS)
    assert errors_of(path) == [("bad_value", "statements.csv", 2), ("unknown_school", "statements.csv", 3)]


def test_a_stream_that_could_not_be_read_is_not_taken_for_psf_in_the_duplicate_check(tmp_path):
    rows = [statement(U1, "2005-01-01", stream="XYZ"), statement(U1, "2005-01-01"),  # row 3 repeats no row
            statement(U2, "2005-02-02", school="Q")]
    path = write_run(tmp_path, statements=rows, census=CENSUS)
    assert errors_of(path) == [("bad_value", "statements.csv", 2), ("unknown_school", "statements.csv", 4)]


def test_a_school_id_that_could_not_be_read_makes_no_school_unknown(tmp_path):
    schools = [{**SCHOOLS[0], "school_id": ""}, *SCHOOLS[1:]]  # school A's id left blank
    rows = [statement(U1, "2005-01-01", school="A"), statement(U2, "2005-02-02", school="B"),
            statement(U2, "2005-02-02", school="B")]
    path = write_run(tmp_path, schools=schools, statements=rows, census=CENSUS)
    assert errors_of(path) == [("empty_value", "schools.csv", 2), ("duplicate", "statements.csv", 4)]


def test_a_check_across_inputs_that_fails_on_the_bad_cells_leaves_their_errors_listed_alone(tmp_path, monkeypatch):
    rows = [statement(U1, "2005-01-01", stream="XYZ"), statement(U2, "2005-02-02", school="Q")]
    path = write_run(tmp_path, statements=rows, census=CENSUS)

    tried = []

    def broken(*args, **kwargs):
        tried.append(args[0].name)
        raise TypeError("a check that did not expect an empty cell")

    monkeypatch.setattr(checks, "census_outside", broken)  # after the unknown school was found
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(path))
    assert tried == ["census"] and [(i.code, i.row) for i in caught.value.errors] == [("bad_value", 2)]


def test_the_errors_of_one_pass_are_listed_in_the_same_order_every_time(tmp_path):
    schools = [*SCHOOLS, {**SCHOOLS[1], "ssa": "-1.00"}]
    path = write_run(tmp_path, schools=schools, census=[*CENSUS, pupil(U1, "B", "2005-01-01")],
                     statements=[statement(U1, "2005-01-01", stream="XYZ"), statement(U2, "2005-02-02", school="Q")])
    first = [str(i) for i in run_validation(path).issues]
    assert [str(i) for i in run_validation(path).issues] == first and len(first) == 4



def where_of(path) -> list[tuple[str, str, int | None, str | None]]:
    """validate's errors as (code, file, row, column), in the order listed."""
    return [(i.code, i.file, i.row, i.column) for i in run_validation(path).issues if i.is_error]


MOVED_FROM_B = {"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-10-01",
                "reason": "managed_move"}  # U1's PSF is held at A: the move is from a school the child was not at


def test_a_bad_cell_in_the_census_does_not_hide_a_move_from_a_school_the_child_was_not_at__spec_5_8(tmp_path):
    census = [*CENSUS[:2], pupil(U3, "B", "31/02/2005")]  # row 4: not a real date
    path = write_run(tmp_path, schools=COUNTED, statements=[statement(U1, "2005-01-01"), statement(U2, "2005-02-02")],
                     census=census, moves=[MOVED_FROM_B])
    assert where_of(path) == [("bad_value", "census.csv", 4, "date_of_birth"),
                              ("move_from", "moves.csv", 2, "from_school_id")]


def test_a_move_is_not_blamed_when_a_cell_the_schools_successions_are_read_from_could_not_be_read__spec_5_11_1(
        tmp_path):
    schools = [{**s, "closed": "", "successor_id": ""} for s in COUNTED]
    schools[0].update(closed="2013-09-30", successor_id="B")  # A became B: U1's PSF follows it there (§11.1)
    moves = [{**MOVED_FROM_B, "move_date": "2013-10-15"}]  # right with A closed on 30/09/2013: U1 was then at B
    schools[0]["closed"] = "31/09/2013"  # row 2: not a real date, so where U1 was in October is not known
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-01-01")], census=CENSUS[:2],
                     moves=moves)
    assert where_of(path) == [("bad_value", "schools.csv", 2, "closed")]


NO_CLUSTER = [COUNTED[0], {**COUNTED[1], "cluster_id": ""}, COUNTED[2]]  # row 3: school B, in the formula, no cluster


def test_a_school_in_the_formula_with_no_cluster_is_listed_with_a_slip_in_the_config__spec_8_11_2(tmp_path):
    path = write_run(tmp_path, schools=NO_CLUSTER, statements=[statement(U1, "2005-01-01")], census=CENSUS,
                     prorate="weeks")
    assert where_of(path) == [("config", "senrun.yaml", 19, "prorate"), ("empty_value", "schools.csv", 3, "cluster_id")]


def test_a_school_in_the_formula_with_no_cluster_is_listed_with_a_missing_column_elsewhere__spec_5_8(tmp_path):
    path = write_run(tmp_path, schools=NO_CLUSTER, statements=[statement(U1, "2005-01-01")], census=CENSUS)
    census = tmp_path / "census.csv"
    census.write_text(census.read_text().replace(",date_of_birth", ",born", 1))  # the column is not found
    assert where_of(path) == [("missing_column", "census.csv", None, "date_of_birth"),
                              ("empty_value", "schools.csv", 3, "cluster_id")]


def test_a_successor_with_no_cluster_is_not_told_so_while_the_other_checks_wait__spec_11_1(tmp_path):
    schools = [{**s, "closed": "", "successor_id": ""} for s in NO_CLUSTER]
    schools[0].update(closed="2013-09-30", successor_id="B")  # B takes A's cluster (§11.1)
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-01-01")], census=CENSUS,
                     prorate="weeks")
    assert where_of(path) == [("config", "senrun.yaml", 19, "prorate")]



def test_a_blank_amount_is_listed_with_a_column_missing_from_the_statements__spec_5_8(tmp_path):
    path = write_run(tmp_path, statements=[statement(U1, "2005-01-01"), statement(U2, "2005-02-02", annual="")],
                     census=CENSUS)  # row 3: no amount, on the statement's only row
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text().replace(",statement_date,", ",issued_on,", 1))
    assert where_of(path) == [("missing_column", "statements.csv", None, "statement_date"),
                              ("empty_value", "statements.csv", 3, "annual_amount")]


def test_a_blank_amount_is_not_judged_while_the_event_column_that_may_allow_it_is_missing__spec_11_3(tmp_path):
    path = write_run(tmp_path, statements=[statement(U1, "2005-01-01")], census=CENSUS)
    (tmp_path / "statements.csv").write_text(  # row 3: an amendment, whose blank amount keeps the rate (§11.3)
        "upn,date_of_birth,statement_date,school_id,annual_amount,effective_date,status\n"
        f"{U1},2005-01-01,2010-01-01,A,8400.00,,issued\n{U1},2005-01-01,2010-01-01,A,,2013-09-01,amended\n")
    path.write_text(path.read_text().replace("statements.csv\n", "statements.csv\n    columns: {Event: event}\n", 1))
    assert where_of(path) == [("missing_column", "statements.csv", None, "Event")]

# --- 2. a money error carries the warnings found with it (SPEC §7) ----------------------------------

def test_a_negative_cluster_pot_is_listed_with_the_warnings_that_explain_it(tmp_path):
    rows = [statement(U1, "2005-01-01"), statement(U4, "2005-04-04")]  # U4 is not in the census
    path = write_run(tmp_path, schools=COUNTED, statements=rows, census=CENSUS, budget={"pupil_specific_pot": 100})
    report = run_validation(path)
    assert codes_of(report.issues) == [("census_not_in_census", "warning"), ("formula", "error")]
    assert "the cluster pot would be negative" in report.errors[0].message


def test_a_budget_sen_total_error_and_a_negative_cluster_pot_are_listed_together(tmp_path):
    path = write_run(tmp_path, schools=COUNTED, statements=[statement(U1, "2005-01-01")], census=CENSUS,
                     budget={"pupil_specific_pot": 100, "sen_total": 999})
    assert [(code, file) for code, file, _ in errors_of(path)] == [("budget", "senrun.yaml"),
                                                                   ("formula", "senrun.yaml")]


def test_a_budget_error_alone_still_fails_the_run_with_every_warning(tmp_path):
    rows = [statement(U1, "2005-01-01"), statement(U4, "2005-04-04")]
    path = write_run(tmp_path, schools=COUNTED, statements=rows, census=CENSUS,
                     budget={"pupil_specific_pot": 1000000, "sen_total": 999})
    assert codes_of(run_validation(path).issues) == [("budget", "error"), ("census_not_in_census", "warning")]


def test_an_unaffordable_formula_keeps_its_highest_rates_and_lists_the_warnings(tmp_path):
    rows = [statement(U1, "2005-01-01"), statement(U4, "2005-04-04")]
    path = write_run(tmp_path, schools=COUNTED, statements=rows, census=CENSUS,
                     formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10_000_000}]})
    with pytest.raises(Unaffordable) as caught:
        allocate(load_config(path))
    assert set(caught.value.highest) == {"lump_sum"}
    assert codes_of(caught.value.issues) == [("census_not_in_census", "warning"), ("formula", "error")]


# --- 3. a census finding before the policy stops PSF at the policy start (SPEC §11.11 Census) -------

PRE_POLICY = {"year": "2012-13", "period": {"start": "2012-04-01", "end": "2013-03-31"}}


def test_a_census_finding_in_a_period_before_the_policy_says_psf_ends_at_the_policy_start(tmp_path):
    rows = [statement(U1, "2005-01-01"), statement(U3, "2005-03-03"), statement(U4, "2005-04-04")]
    path = write_run(tmp_path, statements=rows, census=[*CENSUS[:2], pupil(U3, "H", "2005-03-03")], **PRE_POLICY)
    said = {i.row: i.message for i in run_validation(path).issues if i.code.startswith("census_")}
    assert said == {3: f"{U3} is in the census at school 'H', not 'A' (an unrecorded casual move); PSF ends at "
                       "the policy start (2012-09-01)",
                    4: f"{U4} is not in the census; PSF ends at the policy start (2012-09-01)"}
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U4, None, inp.statements.frame)["statements"]
    [census] = [s for s in trail["steps"] if s["rule"] == "census"]
    assert census["text"] == ("Census (17/01/2013): not found — the child has left; PSF ends at the policy "
                              "start 01/09/2012.")
    assert str(census["stops_on"]) == str(trail["stop"]["date"]) == "2012-09-01"
    # a period that starts on or after the policy start: the words as they were
    path = write_run(tmp_path, statements=rows[::2], census=CENSUS)
    [said] = [i.message for i in run_validation(path).issues if i.code == "census_not_in_census"]
    assert said == f"{U4} is not in the census; PSF ends at the period start"
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U4, None, inp.statements.frame)["statements"]
    [census] = [s["text"] for s in trail["steps"] if s["rule"] == "census"]
    assert census == "Census (17/01/2013): not found — the child has left; PSF ends at the period start 01/04/2013."


# --- 4. explain --school names no child unless asked (docs/decisions.md, personal data) ------------

runner = CliRunner()


def test_explain_school_shows_each_child_by_their_statement_row_unless_personal_data_is_asked_for(tmp_path):
    rows = [statement(U2, "2005-02-02"), statement(U1, "2005-01-01", stream="SSMN")]
    path = str(write_run(tmp_path, statements=rows, census=CENSUS))
    text = runner.invoke(app, ["explain", "-c", path, "--school", "A"], terminal_width=300)
    assert text.exit_code == 0, text.output
    children = [line.strip() for line in text.output.splitlines() if line.strip().startswith("•")][:2]
    assert [c.split(",")[0] for c in children] == ["• statements.csv row 2 (PSF)", "• statements.csv row 3 (SSMN)"]
    assert not any(secret in text.output for secret in (U1, U2, "2005-01-01", "2005-02-02", "01/01/2005", "02/02/2005"))
    data = runner.invoke(app, ["explain", "-c", path, "--school", "A", "--json"])
    assert data.exit_code == 0, data.output
    assert not any(secret in data.output for secret in (U1, U2, "2005-01-01", "2005-02-02", "01/01/2005", "02/02/2005"))
    shown = [(c["file"], c["row"], c["upn"], c["date_of_birth"]) for c in json.loads(data.output)["psf"]["children"]]
    assert shown == [("statements.csv", 2, "[hidden]", "[hidden]"), ("statements.csv", 3, "[hidden]", "[hidden]")]
    asked = runner.invoke(app, ["explain", "-c", path, "--school", "A", "--json", "--show-personal-data"])
    shown = [(c["row"], c["upn"], c["date_of_birth"]) for c in json.loads(asked.output)["psf"]["children"]]
    assert shown == [(3, U1, "2005-01-01"), (2, U2, "2005-02-02")]  # in UPN order, as before
    assert json.loads(asked.output)["psf"]["children"][0]["text"].startswith(f"{U1} (SSMN), born 01/01/2005, ")


@pytest.mark.parametrize("ids, column, said", [
    (("A/1", "A_1"), "school_id", "would share the"), (("ab1", "AB1"), "school_id", "would share the"),
    # two cluster ids one file name apart are one cluster spelt two ways: said as such, before their packs
    (("C/1", "C_1"), "cluster_id", "only in capitals, spaces, punctuation, leading zeros")])
def test_validate_finds_the_file_name_clash_that_allocate_would_stop_at__spec_6_7(tmp_path, ids, column, said):
    from senrun.validate import run_validation

    schools = [dict(s) for s in SCHOOLS[:2]]
    for s, given in zip(schools, ids):
        s[column] = given
    config = write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05",
                                                                        school=schools[0]["school_id"])])
    report = run_validation(config)
    [error] = [i for i in report.issues if i.is_error]
    assert said in error.message and ids[0] in error.message and ids[1] in error.message


def test_every_school_id_that_would_share_a_return_file_is_told_at_once_at_the_schools_inputs_column__spec_6_8(
        tmp_path):
    """Two clashes of return names (A/1 beside A_1, ab1 beside AB1) are two errors in one pass, each at the
    schools input's school_id column: the officer mends both before the next run, not one a night."""
    from senrun.validate import run_validation

    schools = [{**SCHOOLS[0], "school_id": sid} for sid in ("A/1", "A_1", "ab1", "AB1")]
    config = write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05", school="A/1")])
    errors = [i for i in run_validation(config).issues if i.is_error]
    assert [(i.code, i.file, i.column, i.value) for i in errors] == [("file_name", "schools.csv", "school_id", "A_1"),
                                                                     ("file_name", "schools.csv", "school_id", "ab1")]
    assert "'A/1' and 'A_1' would share the return file returns/A_1.xlsx" in errors[0].message
