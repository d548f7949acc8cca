"""Every rule of SPEC §3, as a scenario named as a sentence, citing the FAQ answer it encodes.

Each test writes real input files and runs the library's `allocate` on them.  Amounts are
integer pence.  The default period is the financial year 2013-04-01 – 2014-03-31, by
months, with the policy starting on 2012-09-01.
"""

from __future__ import annotations

from datetime import date

import pytest

from builders import SCHOOLS, lines_of, pupil, run, statement, write_run
from senrun.errors import SenrunError

U1, U2, U3 = "B801200005001", "E801200005002", "H801200005003"


def test_a_child_born_on_31_august_2002_is_in_year_6_in_2012_13_and_loses_psf_at_the_end_of_year_6__faq_5(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2002-08-31", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]  # April–August 2013: 5 of 12 months


def test_a_child_born_on_1_september_2002_is_in_year_5_in_2012_13_and_keeps_psf_all_year__faq_5(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2002-09-01", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_the_worked_example_pays_4115_23_and_releases_5761_31_at_the_end_of_year_6__spec_10_faq_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2001-11-14", annual="9876.54")])
    assert lines_of(r, U1) == [("A", 411523, 576131, "phase_end")]
    row = r.psf.row(0, named=True)
    assert (str(row["paid_from"]), str(row["paid_to"])) == ("2013-04-01", "2013-08-31")


def test_psf_follows_a_managed_move_to_the_receiving_school__faq_6(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="8400.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-11-15",
                    "reason": "managed_move"}])
    # November is paid where the child was on 1 November; December–March at the receiving school.
    assert lines_of(r, U1) == [("A", 560000, 0, "continuing"), ("B", 280000, 0, "continuing")]
    by_school = dict(r.schools.select("school_id", "psf").iter_rows())
    assert by_school == {"A": 560000, "B": 280000, "H": 0}


def test_a_chain_of_managed_moves_carries_psf_along_and_a_return_to_a_school_is_one_line__faq_6(tmp_path):
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-10",
              "reason": "managed_move"},
             {"upn": U1, "from_school_id": "B", "to_school_id": "A", "move_date": "2014-01-20",
              "reason": "managed_move"}]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=moves)
    # A: April–June and February–March = 5 months; B: July–January = 7 months.
    assert sorted(lines_of(r, U1)) == [("A", 50000, 0, "continuing"), ("B", 70000, 0, "continuing")]


@pytest.mark.parametrize("order", ["as they happened", "listed the other way round"])
def test_two_managed_moves_on_one_day_are_taken_as_a_chain_whichever_the_file_lists_first__faq_6(tmp_path, order):
    """A → B then B → H on 10 June: listed B → H first, the run stopped ("from school 'B', but the child was then
    at 'A'") though the file was right; the outcome depended on the rows' order."""
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-10",
              "reason": "managed_move"},
             {"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-06-10",
              "reason": "managed_move"}]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")],
            moves=moves if order == "as they happened" else moves[::-1])
    assert lines_of(r, U1) == [("A", 30000, 0, "continuing"), ("H", 90000, 0, "continuing")]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (0, 2, 1), (1, 0, 2)])
def test_three_managed_moves_on_one_day_are_taken_as_one_chain_in_any_order_in_the_file__faq_6(tmp_path, order):
    """A → B → H → C on 10 June, listed in any order: only two moves had been ordered as a chain, and a
    third listed out of place stopped the run with move_from."""
    moves = [{"upn": U1, "from_school_id": a, "to_school_id": b, "move_date": "2013-06-10", "reason": "managed_move"}
             for a, b in (("A", "B"), ("B", "H"), ("H", "C"))]
    schools = [*SCHOOLS, {"school_id": "C", "school_name": "Cedar Primary", "cluster_id": "C1", "ssa": "0",
                          "pupils": "10"}]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], schools=schools,
            moves=[moves[i] for i in order])
    assert lines_of(r, U1) == [("A", 30000, 0, "continuing"), ("C", 90000, 0, "continuing")]


def test_a_casual_move_ends_psf_on_its_date__faq_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-10-15",
                    "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 70000, 50000, "casual_move")]  # April–October


def test_a_casual_move_on_the_1st_of_a_month_means_that_month_is_not_paid__faq_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01",
                    "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 20000, 100000, "casual_move")]  # April and May only


def test_the_first_casual_move_ends_psf_even_after_a_managed_move__faq_3_6(tmp_path):
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-05-20",
              "reason": "managed_move"},
             {"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-09-02",
              "reason": "casual"}]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=moves)
    assert lines_of(r, U1) == [("A", 20000, 0, "casual_move"), ("B", 40000, 60000, "casual_move")]


def test_an_infant_to_junior_transfer_ends_psf_unless_the_config_keeps_it__faq_3(tmp_path):
    kwargs = dict(statements=[statement(U1, "2006-03-03", annual="1200.00")],
                  moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-09-01",
                          "reason": "transfer"}])
    (tmp_path / "ends").mkdir()
    (tmp_path / "keeps").mkdir()
    assert lines_of(run(tmp_path / "ends", **kwargs), U1) == [("A", 50000, 70000, "transfer")]
    kept = run(tmp_path / "keeps", transfer="keeps", **kwargs)
    assert lines_of(kept, U1) == [("A", 50000, 0, "continuing"), ("B", 70000, 0, "continuing")]


def test_a_child_in_nursery_on_31_august_2012_gets_nothing_from_reception__faq_4(tmp_path):
    # Born March 2008: nursery (−1) in 2011/12, Reception in 2012/13.
    r = run(tmp_path, statements=[statement(U1, "2008-03-03", annual="1200.00")],
            period={"start": "2012-09-01", "end": "2013-08-31"})
    assert lines_of(r, U1) == [("A", 0, 120000, "phase_end")]


def test_funding_follows_the_age_based_year_not_the_year_taught_in__faq_4_5(tmp_path):
    census = [dict(pupil(U1, "A", "2002-07-07"), nc_year_taught="5")]
    r = run(tmp_path, statements=[statement(U1, "2002-07-07", annual="1200.00")], census=census)
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]
    assert [i.code for i in r.issues if i.code == "taught_year"] == ["taught_year"]


def test_a_statement_issued_after_the_policy_start_generates_no_funding__faq_3_7(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00", statement_date="2012-09-01")])
    assert lines_of(r, U1) == [("A", 0, 0, "post_policy_statement")]


@pytest.mark.parametrize("stream", ["SSMN", "FYS"])
def test_ssmn_and_first_year_of_school_funding_end_at_the_policy_start__faq_9(tmp_path, stream):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00", stream=stream)],
            period={"start": "2012-04-01", "end": "2013-03-31"})
    assert lines_of(r, U1) == [("A", 50000, 70000, "stream_ended")]  # April–August 2012


def test_moves_before_the_policy_start_are_ignored__spec_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")],
            moves=[{"upn": U1, "from_school_id": "H", "to_school_id": "B", "move_date": "2012-05-01",
                    "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_a_move_from_a_school_the_child_was_not_at_is_an_error_naming_its_row__spec_3(tmp_path):
    with pytest.raises(SenrunError) as err:
        run(tmp_path, statements=[statement(U1, "2005-05-05")],
            moves=[{"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-05-01",
                    "reason": "managed_move"}])
    (issue,) = err.value.errors
    assert (issue.file, issue.row, issue.column, issue.value) == ("moves.csv", 2, "from_school_id", "B")


def test_a_move_from_the_wrong_school_is_listed_with_a_move_to_an_unknown_school_in_one_pass__spec_5(tmp_path):
    moves = [{"upn": U1, "from_school_id": "B", "to_school_id": "A", "move_date": "2013-05-01", "reason": "managed_move"},
             {"upn": U2, "from_school_id": "A", "to_school_id": "S9", "move_date": "2013-05-01", "reason": "managed_move"}]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")], moves=moves)
    assert sorted((i.code, i.row, i.column) for i in err.value.errors) == [
        ("move_from", 2, "from_school_id"), ("unknown_school", 3, "to_school_id")]


def test_a_census_whose_school_ids_lost_their_leading_zeros_is_an_error_naming_the_school_meant__faq_3(tmp_path):
    # Excel drops the zero of 0926 when the census CSV is opened and saved: every child would look moved
    schools = [{"school_id": "0926", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "0", "pupils": "1"},
               {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "0", "pupils": "1"}]
    census = [pupil(U1, "926", "2005-05-05"), pupil(U2, "9999", "2005-05-05")]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, schools=schools, census=census, statements=[statement(U1, "2005-05-05", school="0926")])
    [error] = err.value.errors
    assert (error.code, error.file, error.row, error.column, error.value) == (
        "unknown_school", "census.csv", 2, "school_id", "926")
    assert "but 0926 is" in error.message and "leading zeros" in error.message
    # a school truly outside the schools input (a special school) is still a warning, not counted
    assert [w.value for w in err.value.issues if w.code == "census_outside"] == ["9999"]


@pytest.mark.parametrize("written", ["926/2003", "926 2003", "926-2003"])
def test_one_schools_census_rows_written_as_la_slash_establishment_are_an_error_naming_the_school_meant__faq_3(
        tmp_path, written):
    # one school's rows exported as 926/2003 where the schools input has 9262003: read as another school, its
    # children would all seem to have moved casually and their PSF ended, with warnings only
    schools = [{"school_id": "9262003", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "0", "pupils": "1"},
               {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "0", "pupils": "1"}]
    census = [pupil(U1, written, "2005-05-05"), pupil(U2, "H", "2005-05-05")]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, schools=schools, census=census, statements=[statement(U1, "2005-05-05", school="9262003")])
    [error] = err.value.errors
    assert (error.code, error.file, error.row, error.column, error.value) == (
        "unknown_school", "census.csv", 2, "school_id", written)
    assert "but 9262003 is" in error.message and error.expected.startswith("'9262003'")


def test_a_census_in_7_digits_beside_one_school_written_la_slash_establishment_names_the_school_meant__faq_3(tmp_path):
    schools = [{"school_id": "926/2003", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "0",
                "pupils": "1"},
               {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "0", "pupils": "1"}]
    census = [pupil(U1, "9262003", "2005-05-05"), pupil(U2, "H", "2005-05-05")]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, schools=schools, census=census, statements=[statement(U1, "2005-05-05", school="926/2003")])
    [error] = err.value.errors
    assert (error.code, error.row, error.value) == ("unknown_school", 2, "9262003")
    assert "but 926/2003 is" in error.message


def test_an_id_with_a_zero_width_space_pasted_in_is_the_same_school__spec_5(tmp_path):
    census = [pupil(U1, "A\u200b", "2005-05-05")]
    r = run(tmp_path, census=census, statements=[statement(U1, "2005-05-05", school="\u200bA", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_a_correct_move_is_not_blamed_for_a_mistyped_statement_school__spec_5(tmp_path):
    move = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-05-01", "reason": "managed_move"}]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, statements=[statement(U1, "2005-05-05", school="Q")], moves=move)
    assert [(i.code, i.file, i.row) for i in err.value.errors] == [("unknown_school", "statements.csv", 2)]


def test_a_move_recorded_after_a_childs_protected_phase_ended_is_not_checked_against_the_statement_school__faq_4_5(
        tmp_path):
    # A Year 6 leaver (PSF ends 31 August 2013) goes up to a secondary school no move records; the
    # council's system then records the child's casual move from that school in November: no money follows it.
    leaver = statement(U1, "2002-03-01", annual="1200.00")
    later = {"upn": U1, "from_school_id": "H", "to_school_id": "B", "move_date": "2013-11-04", "reason": "casual"}
    r = run(tmp_path, statements=[leaver], moves=[later])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]
    # the same move before the phase ended would move money: still an error at its row
    with pytest.raises(SenrunError) as err:
        run(tmp_path, statements=[leaver], moves=[{**later, "move_date": "2013-06-03"}])
    assert [(i.code, i.row, i.column) for i in err.value.errors] == [("move_from", 2, "from_school_id")]


def test_a_move_of_a_child_whose_statement_is_after_the_policy_is_not_checked__faq_3_7(tmp_path):
    post = statement(U1, "2005-05-05", annual="1200.00", statement_date="2013-01-10")
    move = {"upn": U1, "from_school_id": "H", "to_school_id": "B", "move_date": "2013-06-03", "reason": "casual"}
    assert lines_of(run(tmp_path, statements=[post], moves=[move]), U1) == [("A", 0, 0, "post_policy_statement")]


def test_a_child_missing_from_the_census_loses_psf_from_the_period_start_with_a_warning__faq_3(tmp_path):
    census = [pupil(U2, "A", "2005-01-01")]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], census=census)
    assert lines_of(r, U1) == [("A", 0, 120000, "not_in_census")]
    assert [i.code for i in r.warnings if i.code.startswith("census_")] == ["census_not_in_census"]


def test_a_child_found_at_another_school_has_made_an_unrecorded_casual_move__faq_3(tmp_path):
    census = [pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], census=census)
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]


def test_a_child_found_at_a_special_school_outside_the_schools_input_has_moved__spec_3_8(tmp_path):
    census = [pupil(U1, "SPECIAL1", "2005-05-05"), pupil(U2, "A", "2005-01-01")]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], census=census)
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]
    assert "census_outside" in {i.code for i in r.warnings}
    assert dict(r.schools.select("school_id", "pupils").iter_rows())["A"] == 1  # the special school's row not counted


def test_missing_from_census_error_makes_the_census_finding_an_error__spec_3(tmp_path):
    with pytest.raises(SenrunError) as err:
        run(tmp_path, statements=[statement(U1, "2005-05-05")], census=[pupil(U2, "A", "2005-01-01")],
            missing_from_census="error")
    assert [i.code for i in err.value.errors] == ["census_not_in_census"]
    # nothing was paid or ended: the error says what would let the run go on, not that PSF ends
    [told] = err.value.errors
    assert "PSF ends" not in told.message and "set missing_from_census: cease" in told.message


def test_a_move_recorded_before_the_census_date_explains_where_the_census_finds_the_child__faq_6(tmp_path):
    census = [pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], census=census,
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2012-11-01",
                    "reason": "managed_move"}])
    assert lines_of(r, U1) == [("B", 120000, 0, "continuing")]


def test_a_ceased_statement_on_the_1st_of_a_month_is_not_paid_for_that_month__spec_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00", ceased="2013-12-01")])
    assert lines_of(r, U1) == [("A", 80000, 40000, "ceased")]  # April–November


def test_prorating_by_days_counts_each_day_paid_over_the_days_in_the_year__spec_3(tmp_path):
    # 2013-04-01 .. 2013-08-31 is 153 days of a 365-day year: 365000p × 153 / 365 = 153000p.
    r = run(tmp_path, statements=[statement(U1, "2002-08-31", annual="3650.00")], prorate="days")
    assert lines_of(r, U1) == [("A", 153000, 212000, "phase_end")]


def test_a_child_born_on_29_february_is_aged_like_any_child_born_in_february__spec_2(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2004-02-29", annual="1200.00")])
    row = r.psf.row(0, named=True)
    assert (row["protected_phase"], row["reason"], row["paid_amount"]) == ("primary", "continuing", 120000)


def test_a_period_starting_after_the_phase_ended_pays_nothing__faq_5(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2002-08-31", annual="1200.00")],
            period={"start": "2013-09-01", "end": "2014-08-31"})
    assert lines_of(r, U1) == [("A", 0, 120000, "phase_end")]


def test_a_phase_end_on_the_same_day_as_a_casual_move_is_reported_as_phase_end__spec_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2002-08-31", annual="1200.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "H", "move_date": "2013-09-01",
                    "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]


def test_a_secondary_child_keeps_psf_until_the_end_of_year_11__faq_3(tmp_path):
    # Born October 1997: Year 10 in 2012/13 (on 31 August 2012 in Year 9), Year 11 in 2013/14.
    r = run(tmp_path, statements=[statement(U1, "1997-10-10", annual="1200.00", school="H")])
    assert lines_of(r, U1) == [("H", 120000, 0, "continuing")]
    (tmp_path / "y11").mkdir()
    r = run(tmp_path / "y11", statements=[statement(U1, "1996-10-10", annual="1200.00", school="H")])
    assert lines_of(r, U1) == [("H", 50000, 70000, "phase_end")]


def test_without_a_census_recorded_moves_alone_decide_and_the_run_warns_once__spec_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05"), statement(U2, "2006-06-06")])
    assert [i.code for i in r.warnings].count("no_census") == 1


def test_a_period_spanning_two_academic_years_pays_each_month_by_the_child_s_age_then__spec_2(tmp_path):
    # Financial year 2013-14: a Year 6 child (2012/13) is paid April–August 2013 only.
    r = run(tmp_path, statements=[statement(U1, "2002-01-15", annual="1200.00"),
                                  statement(U2, "2003-01-15", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]
    assert lines_of(r, U2) == [("A", 120000, 0, "continuing")]


def test_a_statement_dated_inside_the_period_is_paid_from_its_date__spec_3(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00", statement_date="2012-06-15")],
            period={"start": "2012-04-01", "end": "2013-03-31"})
    # Paid July 2012 – March 2013 (funded on the 1st of each month from July): 9 months.
    assert lines_of(r, U1) == [("A", 90000, 0, "continuing")]


@pytest.mark.parametrize("order, fails", [((0, 1), False), ((1, 0), True)])
def test_a_move_and_its_way_back_on_one_day_keep_the_files_order__faq_6(tmp_path, order, fails):
    """A → B and B → A on 10 June cannot be told apart by the schools they name: the file's order stands (a child
    at A listed as leaving B first is a move from the wrong school)."""
    moves = [{"upn": U1, "from_school_id": a, "to_school_id": b, "move_date": "2013-06-10", "reason": "managed_move"}
             for a, b in (("A", "B"), ("B", "A"))]
    args = dict(statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=[moves[i] for i in order])
    if fails:
        with pytest.raises(SenrunError) as stopped:
            run(tmp_path, **args)
        assert [i.code for i in stopped.value.errors] == ["move_from"]
    else:
        assert lines_of(run(tmp_path, **args), U1) == [("A", 120000, 0, "continuing")]


@pytest.mark.parametrize("order, fails", [((0, 1, 2), False), ((1, 2, 0), True)])
def test_a_round_trip_on_one_day_keeps_the_files_order__faq_6(tmp_path, order, fails):
    """A → B → H → A on 10 June: no move is first by the schools alone, so the file's order stands."""
    moves = [{"upn": U1, "from_school_id": a, "to_school_id": b, "move_date": "2013-06-10", "reason": "managed_move"}
             for a, b in (("A", "B"), ("B", "H"), ("H", "A"))]
    args = dict(statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=[moves[i] for i in order])
    if fails:
        with pytest.raises(SenrunError) as stopped:
            run(tmp_path, **args)
        assert [i.code for i in stopped.value.errors] == ["move_from"]
    else:
        assert lines_of(run(tmp_path, **args), U1) == [("A", 120000, 0, "continuing")]


def test_a_casual_move_from_a_school_to_itself_ends_psf_as_recorded_and_is_a_warning_at_its_row__faq_3(tmp_path):
    """A move with one school typed in both cells had passed with no word: as a casual move it ends the child's
    PSF (FAQ 3) though the child stays where they were.  It is still read as recorded (the council may mean a
    casual readmission), and warned of at the receiving school's cell."""
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="8400.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "A", "move_date": "2013-11-15",
                    "reason": "casual"}])
    assert lines_of(r, U1)[0][3] == "casual_move"
    [warning] = [w for w in r.warnings if w.code == "move_same_school"]
    assert (warning.file, warning.row, warning.column, warning.value) == ("moves.csv", 2, "to_school_id", "A")
    assert warning.message.startswith("moves the child from A to the same school (casual): one school typed in "
                                      "both cells?")
    capitals = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="8400.00")],
                   moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "a", "move_date": "2013-11-15",
                           "reason": "casual"}])
    [warning] = [w for w in capitals.warnings if w.code == "move_same_school"]
    assert warning.message.startswith("moves the child from A to a, the same school in other capitals (casual)")
    plain = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="8400.00")],
                moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-11-15",
                        "reason": "casual"}])
    assert "move_same_school" not in {w.code for w in plain.warnings}


# --- a census inside the period, taken after the summer's phase ends ----------------------------------------------

IN_PERIOD_CENSUS = {"census_date": "2014-01-16"}  # the January census of the 2013-14 financial year itself


def test_a_year_6_leaver_found_at_the_high_school_by_a_census_after_the_summer_keeps_psf_to_the_end_of_year_6__faq_3(
        tmp_path):
    """The phase transfer is no casual admission (FAQ 3): the census, taken after the PSF ended, finds the child
    where the transfer took them.  It had been read as a casual move from the period start, paying nothing."""
    census = [pupil(U1, "H", "2002-05-05"), pupil(U2, "A", "2005-05-05")]
    r = run(tmp_path, statements=[statement(U1, "2002-05-05", annual="1200.00")], census=census, **IN_PERIOD_CENSUS)
    [(school, paid, _, reason)] = lines_of(r, U1)
    assert (school, paid, reason) == ("A", 50000, "phase_end")  # April to August: 5/12 of £1,200
    assert not [i for i in r.warnings if i.code.startswith("census_")]


def test_a_year_11_leaver_missing_from_a_census_after_the_summer_is_no_error_under_missing_from_census_error__spec_11_11(
        tmp_path):
    """SPEC §11.11 "Census": a child whose PSF had already stopped (a Year 11 leaver missing from next year's census)
    is not an error; the PSF is paid to the end of Year 11 (FAQ 3)."""
    census = [pupil(U2, "H", "2000-01-01")]
    r = run(tmp_path, statements=[statement(U1, "1997-05-05", school="H", annual="1200.00")], census=census,
            missing_from_census="error", **IN_PERIOD_CENSUS)
    [(school, paid, _, reason)] = lines_of(r, U1)
    assert (school, paid, reason) == ("H", 50000, "phase_end")


def test_a_child_still_in_phase_found_elsewhere_by_a_census_inside_the_period_has_moved_from_the_period_start__faq_3(
        tmp_path):
    census = [pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], census=census, **IN_PERIOD_CENSUS)
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]


def test_a_workbooks_school_ids_shown_with_zeros_by_a_number_format_are_told_the_format_holds_none__faq_3(tmp_path):
    """Excel shows 0926 for the number 926 formatted 0000: the officer sees the zeros, so "a CSV saved in Excel
    drops them" alone did not explain it."""
    import openpyxl
    import yaml

    from senrun.config.loader import load_config
    from senrun.pipeline import allocate

    schools = [{"school_id": "0926", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "0", "pupils": "1"},
               {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "0", "pupils": "1"}]
    config = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="0926")])
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["upn", "date_of_birth", "statement_date", "school_id", "annual_amount"])
    ws.append([U1, date(2005, 5, 5), date(2010, 3, 1), 926, 1200])
    ws["D2"].number_format = "0000"
    book.save(tmp_path / "statements.xlsx")
    raw = yaml.safe_load(config.read_text())
    raw["inputs"]["statements"] = {"path": "statements.xlsx"}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(SenrunError) as err:
        allocate(load_config(config))
    [error] = err.value.errors
    assert (error.code, error.file, error.row, error.column) == ("unknown_school", "statements.xlsx", 2, "school_id")
    assert "a number shown with leading zeros by its cell format, such as 00000000, holds none" in error.message
