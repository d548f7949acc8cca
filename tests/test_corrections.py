"""The corrections of SPEC §11.10 and the census readings of §11.11, each a sentence citing
the FAQ answer or the section it encodes.

The 2012-13 runs are the financial year 2012-04-01 – 2013-03-31 by months, which begins
five months before the cluster model (policy.start 2012-09-01).  Amounts are integer pence.
"""

from __future__ import annotations

import pytest

from builders import lines_of, pupil, run, statement
from senrun.errors import SenrunError

U1, U2, U3 = "B801200005001", "E801200005002", "H801200005003"
FIRST_YEAR = {"period": {"start": "2012-04-01", "end": "2013-03-31"}}
NO_POST16 = {"nursery": [-2, -1], "primary": [0, 6], "secondary": [7, 11]}


def test_before_the_policy_a_year_11_child_is_paid_at_their_school_until_the_policy_starts__faq_3_5(tmp_path):
    # Year 11 in 2011/12: secondary ends on 1 September 2012, the policy's first day.
    r = run(tmp_path, statements=[statement(U1, "1996-03-03", annual="1200.00")], **FIRST_YEAR)
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]


def test_a_child_in_no_configured_phase_is_paid_until_the_policy_starts_and_stops_with_phase_end__faq_3(tmp_path):
    # Year 12 in 2011/12 in an authority with no post-16 phase: April–August 2012 under the old rules.
    r = run(tmp_path, statements=[statement(U1, "1995-03-03", annual="1200.00")], phases=NO_POST16, **FIRST_YEAR)
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]
    assert str(r.psf["stop_date"][0]) == "2012-09-01"


def test_an_ssmn_row_of_a_child_in_no_phase_stops_on_the_policy_start_as_stream_ended__faq_9(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "1995-03-03", annual="1200.00", stream="SSMN")],
            phases=NO_POST16, **FIRST_YEAR)
    assert lines_of(r, U1) == [("A", 50000, 70000, "stream_ended")]


def test_a_casual_move_before_the_policy_does_not_end_psf__faq_3(tmp_path):
    # The statement's school already reflects the June 2012 move: the old rules let funding follow it.
    moves = [{"upn": U1, "from_school_id": "B", "to_school_id": "A", "move_date": "2012-06-10", "reason": "casual"}]
    r = run(tmp_path, moves=moves, statements=[statement(U1, "2005-05-05", annual="1200.00")], **FIRST_YEAR)
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_an_autumn_census_finding_a_casual_move_stops_psf_at_the_policy_start_not_the_period_start__faq_3(tmp_path):
    r = run(tmp_path, census=[pupil(U1, "B", "2005-05-05")], census_date="2012-10-04",
            statements=[statement(U1, "2005-05-05", annual="1200.00")], **FIRST_YEAR)
    assert lines_of(r, U1) == [("A", 50000, 70000, "casual_move")]  # April–August 2012 paid


def test_a_policy_start_that_is_not_1_september_funds_a_statement_dated_before_it__faq_3_7(tmp_path):
    # The cluster model from 1 January 2013: an October 2012 statement was issued before it.
    r = run(tmp_path, policy={"start": "2013-01-01"},
            statements=[statement(U1, "2005-05-05", annual="1200.00", statement_date="2012-10-01")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_with_a_january_policy_start_the_protected_phase_is_the_phase_on_31_december__faq_4(tmp_path):
    # Nursery (N2) on 31 December 2012: PSF to the end of nursery, 31 August 2013.
    r = run(tmp_path, policy={"start": "2013-01-01"}, statements=[statement(U1, "2008-10-10", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]


def test_entitlement_runs_from_the_statement_date_so_a_june_statement_releases_nothing__spec_11_10(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00", statement_date="2012-06-10")],
            **FIRST_YEAR)
    # July 2012 – March 2013: 9 months paid; the entitlement is the same 9 months.
    assert lines_of(r, U1) == [("A", 90000, 0, "continuing")]


def test_a_transfer_kept_under_transfer_keeps_to_a_school_not_in_the_schools_input_is_an_error__spec_11_10(tmp_path):
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "Q9", "move_date": "2013-09-01",
              "reason": "transfer"}]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, moves=moves, transfer="keeps", statements=[statement(U1, "2005-05-05")])
    [err] = exc.value.errors
    assert err.code == "unknown_school" and err.value == "Q9" and err.row == 2


def test_a_transfer_that_ends_psf_may_go_to_a_school_outside_the_schools_input__faq_3(tmp_path):
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "Q9", "move_date": "2013-09-01",
              "reason": "transfer"}]
    r = run(tmp_path, moves=moves, statements=[statement(U1, "2005-05-05", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 70000, "transfer")]
    assert int(r.schools["psf"].sum()) == r.totals.continuing_psf == 50000


def test_a_transfer_kept_under_transfer_keeps_pays_the_receiving_school_in_schools_csv__faq_6(tmp_path):
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-09-01",
              "reason": "transfer"}]
    r = run(tmp_path, moves=moves, transfer="keeps", statements=[statement(U1, "2005-05-05", annual="1200.00")])
    assert dict(r.schools.select("school_id", "psf").iter_rows()) == {"A": 50000, "B": 70000, "H": 0}
    assert r.totals.continuing_psf == 120000


def test_a_period_may_start_on_29_february_and_its_year_has_366_days__spec_11_10(tmp_path):
    r = run(tmp_path, prorate="days", period={"start": "2016-02-29", "end": "2017-02-28"}, census_date="2016-01-21",
            statements=[statement(U1, "2007-03-03", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]  # 366 days of 366


def test_a_period_from_29_february_to_1_march_is_longer_than_a_year__spec_11_10(tmp_path):
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, prorate="days", period={"start": "2016-02-29", "end": "2017-03-01"},
            statements=[statement(U1, "2007-03-03")])
    assert "longer than a year" in str(exc.value)


def test_a_moves_input_with_headers_and_no_rows_is_a_normal_year__spec_11_10(tmp_path):
    r = run(tmp_path, moves=[], statements=[statement(U1, "2005-05-05", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]
    assert not [i for i in r.issues if i.code == "no_rows"]


def test_a_statements_input_with_no_rows_warns_that_all_psf_is_0__spec_11_10(tmp_path):
    r = run(tmp_path, statements=[])
    assert r.totals.continuing_psf == 0 and r.psf.height == 0
    assert [i.message for i in r.issues if i.code == "no_statements"] == ["the statements input has no rows: all "
                                                                          "PSF is 0"]


def test_missing_from_census_error_spares_a_year_11_leaver_whose_psf_had_already_stopped__spec_11_11(tmp_path):
    # Year 11 in 2011/12: PSF ended on 1 September 2012, before this period; not in the January 2013 census.
    r = run(tmp_path, missing_from_census="error", census=[pupil(U2, "A", "2005-05-05")],
            statements=[statement(U1, "1996-03-03", annual="1200.00"),
                        statement(U2, "2005-05-05", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 0, 120000, "phase_end")]  # released since the policy began


def test_missing_from_census_error_spares_a_statement_ceased_on_the_first_day_of_the_period__spec_11_11(tmp_path):
    # A ceasing takes effect on its own date (SPEC §3): on 1 April the line was no longer funded when the
    # finding stopped it, so the finding decided nothing; the tie order still names it (§3: not_in_census first).
    r = run(tmp_path, missing_from_census="error", census=[pupil(U2, "A", "2005-05-05")],
            statements=[statement(U1, "2005-05-05", annual="1200.00", ceased="2013-04-01"),
                        statement(U2, "2005-05-05", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 0, 120000, "not_in_census")]
    assert not [i for i in r.issues if i.code.startswith("census_")]


def test_missing_from_census_error_spares_a_recorded_casual_move_on_the_first_day_of_the_period__spec_11_11(tmp_path):
    # The census (17 January) has the child at H, the moves file at A until a casual move to B on 1 April:
    # the recorded move ends the PSF on the day the finding would, so the finding changes nothing.
    r = run(tmp_path, missing_from_census="error", census=[pupil(U1, "H", "2005-05-05")],
            statements=[statement(U1, "2005-05-05", annual="1200.00")],
            moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-04-01",
                    "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]
    assert not [i for i in r.issues if i.code.startswith("census_")]


def test_missing_from_census_error_stops_the_run_for_a_child_still_funded__faq_3(tmp_path):
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, missing_from_census="error", census=[pupil(U2, "A", "2005-05-05")],
            statements=[statement(U1, "1996-03-03"), statement(U3, "2005-05-05")])
    assert [(i.code, i.value) for i in exc.value.errors] == [("census_not_in_census", U3)]
