"""The rules on their boundary days and pennies (SPEC §1–4, §11), each where a slip of one day or one
penny would pass every test written for the middle of a rule: found by breaking the code on purpose
and seeing that no test failed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest

from builders import SCHOOLS, lines_of, pupil, run, statement, write_run
from senrun.calendar import academic_year
from senrun.config.loader import load_config
from senrun.errors import Issue, SenrunError
from senrun.pipeline import allocate
from senrun.protection import cluster_adjustments, protect, signed_largest_remainder

U1 = "B801200005001"  # a valid check letter
YEAR3 = "2005-05-05"  # Year 3 in 2012/13: primary through the whole 2013-14 period
PLAIN = [{k: v for k, v in s.items() if k != "pupils"} for s in SCHOOLS]  # beside a census, which counts


def same_columns(rows: list[dict]) -> list[dict]:
    """Rows with every column any of them has (blank where a row has none), as a spreadsheet has."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k, "") for k in keys} for r in rows]


def managed(day: str, to: str = "B") -> dict:
    return {"upn": U1, "from_school_id": "A", "to_school_id": to, "move_date": day, "reason": "managed_move"}


# --- the census check's days (SPEC §3 rule 4, §11.6) -------------------------------------------------

def test_a_managed_move_on_census_day_is_applied_before_the_census_check__spec_3_rule_4_faq_6(tmp_path):
    """"Apply the recorded moves dated on or before the census date": the child found at the receiving
    school on census day is where the move put them, not an unrecorded casual move."""
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=[managed("2013-01-17")],
            census=[pupil(U1, "B", YEAR3)])
    assert lines_of(r, U1) == [("B", 840000, 0, "continuing")]


def test_a_managed_move_on_the_last_day_of_the_census_tolerance_satisfies_the_census_check__spec_11_6(tmp_path):
    """"Dated after census_date by at most that many days": 17 January + 31 days is 17 February, in."""
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=[managed("2013-02-17")],
            census=[pupil(U1, "B", YEAR3)])
    assert lines_of(r, U1) == [("B", 840000, 0, "continuing")]
    assert "move_after_census" in [w.code for w in r.warnings]


def test_a_managed_move_the_day_after_the_census_tolerance_is_an_unrecorded_casual_move__spec_11_6_faq_3(tmp_path):
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=[managed("2013-02-18")],
            census=[pupil(U1, "B", YEAR3)])
    assert lines_of(r, U1) == [("A", 0, 840000, "casual_move")]


def test_a_managed_move_after_census_day_is_not_warned_for_a_statement_ceased_on_the_periods_first_day__spec_11_11(
        tmp_path):
    """The move_after_census warning is told only where the line was still funded when the census would have
    stopped it (§11.11 "Census"): a statement ceased on 1 April 2013, the day a finding stops PSF, was ended by
    its ceasing, so the trial move to B just after census day decides nothing and is not said."""
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3, ceased="2013-04-01")],
            moves=[managed("2013-02-01")], census=[pupil(U1, "B", YEAR3)])
    assert lines_of(r, U1) == [("A", 0, 840000, "ceased")]
    assert "move_after_census" not in [w.code for w in r.warnings]


def test_a_casual_move_on_the_policy_start_ends_psf_that_day__spec_3_faq_3(tmp_path):
    """Moves "dated before policy.start are ignored": one on the day itself counts. 2012-13 by months:
    April–August paid, £8,400 × 5 / 12 = £3,500.00."""
    r = run(tmp_path, statements=[statement(U1, YEAR3)], year="2012-13",
            period={"start": "2012-04-01", "end": "2013-03-31"}, census_date="2012-01-19",
            moves=[{**managed("2012-09-01"), "reason": "casual"}])
    assert lines_of(r, U1) == [("A", 350000, 490000, "casual_move")]


def test_a_census_casual_finding_and_a_recorded_transfer_on_one_day_give_casual_move__spec_3_tie_order(tmp_path):
    """On the same date the first of stream_ended, phase_end, casual_move, transfer, … is the reason."""
    transfer = {**managed("2013-04-01"), "reason": "transfer"}
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=[transfer],
            census=[pupil(U1, "H", YEAR3)])  # not at A on census day: casual, on the period's start
    assert lines_of(r, U1) == [("A", 0, 840000, "casual_move")]



def test_the_census_check_expects_the_child_where_the_last_move_before_census_day_put_them__spec_3_rule_4_faq_6(
        tmp_path):
    """Managed moves A → B in October and B → H in November: on census day the child should be at H, the
    school of the later move, and is; PSF follows both moves to H, no casual move is found."""
    moves = [managed("2012-10-01"), {**managed("2012-11-01", "H"), "from_school_id": "B"}]
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=moves, census=[pupil(U1, "H", YEAR3)])
    assert lines_of(r, U1) == [("H", 840000, 0, "continuing")]
    assert [w.code for w in r.warnings if w.code.startswith("census_")] == []


def test_a_census_dated_on_the_policy_start_is_used_for_the_move_check__spec_11_7_faq_3(tmp_path):
    """Only a census dated before policy.start is set aside (§11.7): one taken on 1 September 2012 itself is
    under the cluster model, so the child it finds at another school, with no move recorded, is an unrecorded
    casual move and PSF stops at the period's start."""
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], year="2012-13",
            period={"start": "2012-09-01", "end": "2013-08-31"}, census_date="2012-09-01",
            census=[pupil(U1, "H", YEAR3)])
    assert lines_of(r, U1) == [("A", 0, 840000, "casual_move")]
    assert "census_casual_move" in [w.code for w in r.warnings]


def test_a_managed_move_on_census_day_is_not_in_the_window_after_it__spec_11_11(tmp_path):
    """The §11.6 window is census_date < move_date: moves A → B and B → H both on census day put the child at H;
    the census finding them at B is a casual move, not a trial placement spanning census day."""
    moves = [managed("2013-01-17"), {**managed("2013-01-17", "H"), "from_school_id": "B"}]
    r = run(tmp_path, schools=PLAIN, statements=[statement(U1, YEAR3)], moves=moves, census=[pupil(U1, "B", YEAR3)])
    assert lines_of(r, U1) == [("A", 0, 840000, "casual_move")]
    assert "move_after_census" not in [w.code for w in r.warnings]

# --- ages on a September day (SPEC §2) --------------------------------------------------------------

def test_a_september_day_is_in_the_school_year_that_begins_that_september__spec_2():
    assert [academic_year(date(2013, m, d)) for m, d in ((8, 31), (9, 1), (9, 15), (9, 30), (10, 1))] == \
        [2012, 2013, 2013, 2013, 2013]


def test_a_census_taken_in_september_counts_the_reception_children_who_started_that_month__spec_2_4(tmp_path):
    """Born 1 March 2008: cohort 2007, Reception (year 0) in 2012/13, which a 20 September 2012 census
    is in; counted by formula.pupils.nc_years [0, 11]."""
    r = run(tmp_path, schools=PLAIN, statements=[], census_date="2012-09-20",
            census=[pupil("E801200005003", "A", "2008-03-01"), pupil("Q801200005002", "A", "2007-03-01")])
    assert dict(r.schools.select("school_id", "pupils").iter_rows())["A"] == 2


# --- schools open on their closing day (SPEC §11.1) --------------------------------------------------

def test_a_school_is_open_on_its_closing_day_so_its_census_pupils_count_there__spec_11_1(tmp_path):
    """"A school is open on days opened ≤ d ≤ closed": closing on census day, in an academic-year period,
    A still counts its census pupils; its academy, opened the next day, counts none of them."""
    schools = same_columns([{**PLAIN[0], "closed": "2013-01-17", "successor_id": "AA"},
                            {**PLAIN[0], "school_id": "AA", "school_name": "Ashford Academy", "opened": "2013-01-18"},
                            *PLAIN[1:]])
    r = run(tmp_path, schools=schools, statements=[], year="2012-13",
            period={"start": "2012-09-01", "end": "2013-08-31"}, census_date="2013-01-17",
            census=[pupil("E801200005003", "A", YEAR3), pupil("Q801200005002", "A", YEAR3)])
    pupils = dict(r.schools.select("school_id", "pupils").iter_rows())
    assert (pupils["A"], pupils["AA"]) == (2, 0)


# --- the formula's pennies (SPEC §1, §4, §11.8) ------------------------------------------------------

def test_a_share_of_an_odd_pot_rounds_its_half_penny_up_not_to_even__spec_1(tmp_path):
    """A pot of £1,000,000.01 = 100,000,001p; a share of 0.5 is 50,000,000.5p, rounded half away from
    zero: 50,000,001p (half to even would give 50,000,000p)."""
    r = run(tmp_path, statements=[], budget={"pupil_specific_pot": "1000000.01"},
            formula={"elements": [{"name": "half", "basis": "pupils", "share": "0.5"},
                                  {"name": "rest", "basis": "per_school", "remainder": True}]})
    assert r.schools["formula_half"].sum() == 50_000_001
    assert r.schools["formula_rest"].sum() == 50_000_000


def test_a_formula_with_no_remainder_that_leaves_more_than_a_penny_an_element_stops__spec_4(tmp_path):
    """Shares 0.5 and 0.4999999 of £1,000,000.00 leave 10p: more than the penny an element that
    rounding can leave, so the pot would not be spent; an error, not the last element given it."""
    path = write_run(tmp_path, statements=[],
                     formula={"elements": [{"name": "half", "basis": "pupils", "share": "0.5"},
                                           {"name": "most", "basis": "per_school", "share": "0.4999999"}]})
    with pytest.raises(SenrunError, match="no element is the remainder"):
        allocate(load_config(path))


def test_a_per_cluster_element_counts_no_cluster_made_only_of_settings_outside_the_formula__spec_11_2_11_8(tmp_path):
    """£3,000 a cluster: C1's schools are in the formula; C2 holds only a PVI nursery (in_formula: no),
    which gets no share, so the element is £3,000 in all, not £6,000."""
    nursery = {**SCHOOLS[0], "school_id": "N", "school_name": "Little Acorns PVI", "cluster_id": "C2",
               "ssa": "0.00", "pupils": "20", "in_formula": "no"}
    r = run(tmp_path, schools=same_columns([*SCHOOLS, nursery]), statements=[],
            formula={"elements": [{"name": "host", "basis": "per_cluster", "rate": 3000},
                                  {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    host = dict(r.schools.select("school_id", "formula_host").iter_rows())
    assert sum(host.values()) == 300_000 and host["N"] == 0


# --- the protection floor (SPEC §11.8, §11.11; FAQ 2, 22) -------------------------------------------

def test_the_floor_neither_raises_nor_scales_a_new_cluster_or_one_between_its_floor_and_last_year__spec_11_11(
        tmp_path):
    """Floor −10%: C1 (£200 last year, £100 now) is raised to £180 (+£80); C2 gained £200 and gives up
    s = 80 / 200 of it (−£80); C3 is new and C4 fell to £2,800 against £3,000 (above its £2,700
    floor): both stay as they are."""
    cfg = load_config(write_run(tmp_path, statements=[]))
    before = {"C1": 10_000, "C2": 50_000, "C3": 40_000, "C4": 280_000}
    previous = {"C1": 20_000, "C2": 30_000, "C4": 300_000}
    adjust, s, cost, gains = cluster_adjustments(before, previous, Decimal("-10"), cfg)
    assert adjust == {"C1": 8_000, "C2": -8_000, "C3": 0, "C4": 0}
    assert (s, cost, gains) == (Fraction(2, 5), Fraction(8_000), Fraction(20_000))


def test_the_floors_pennies_go_to_the_lowest_cluster_id_on_a_tie__spec_11_11():
    assert signed_largest_remainder({"C2": Fraction(1, 2), "C1": Fraction(1, 2), "C3": Fraction(-1)}) == \
        {"C1": 1, "C2": 0, "C3": -1}


def test_a_clusters_floor_is_shared_between_its_schools_by_their_other_elements_not_equally__spec_11_8(tmp_path):
    """C1 is raised by £50.00, shared 1 : 3 as A's and B's shares (£100 and £300): £12.50 and £37.50."""
    cfg = load_config(write_run(tmp_path, statements=[], formula={**{"elements": [
        {"name": "lump_sum", "basis": "per_school", "rate": 10},
        {"name": "per_pupil", "basis": "pupils", "remainder": True}]}, "protection": {"floor_pct": -10}}))
    shares = pl.DataFrame({"school_id": ["A", "B", "H"], "cluster_id": ["C1", "C1", "C2"],
                           "cluster_share": [10_000, 30_000, 100_000]})
    out, _ = protect(shares, {"C1": 50_000, "C2": 80_000}, cfg)
    assert dict(out.select("school_id", "formula_protection").iter_rows()) == {"A": 1_250, "B": 3_750, "H": -5_000}



def test_a_cluster_with_no_other_elements_shares_its_floor_equally_between_its_schools_in_the_formula__spec_11_8(
        tmp_path):
    """C1's schools got nothing from the other elements this year (£0 against £100.00 last year): its floor
    (−10%: £90.00) is split equally between A and B, not by their shares of nothing, and the setting O (in
    C1 but outside the formula) gets none of it; C2 gives up £90.00 of its £200.00 gain."""
    cfg = load_config(write_run(tmp_path, statements=[], formula={**{"elements": [
        {"name": "lump_sum", "basis": "per_school", "rate": 10},
        {"name": "per_pupil", "basis": "pupils", "remainder": True}]}, "protection": {"floor_pct": -10}}))
    shares = pl.DataFrame({"school_id": ["A", "B", "O", "H"], "cluster_id": ["C1", "C1", "C1", "C2"],
                           "cluster_share": [0, 0, 0, 100_000], "_in_formula": [True, True, False, True]})
    out, element = protect(shares, {"C1": 10_000, "C2": 80_000}, cfg)
    assert dict(out.select("school_id", "formula_protection").iter_rows()) == {"A": 4_500, "B": 4_500, "O": 0,
                                                                               "H": -9_000}
    assert dict(out.select("school_id", "cluster_share").iter_rows()) == {"A": 4_500, "B": 4_500, "O": 0,
                                                                          "H": 91_000}
    assert "s = 0.450000" in element.parameter

# --- personal data: the second guard (UK GDPR) ------------------------------------------------------

def test_a_upn_written_into_a_message_by_a_check_that_did_not_say_so_is_still_hidden__uk_gdpr():
    """No value, no `personal`: only the message's own text shows the UPN, and it is hidden all the same."""
    issue = Issue("some_check", "warning", f"the history of {U1} / PSF was looked at", file="psf.csv", row=4)
    assert issue.hidden().message == "the history of [hidden] / PSF was looked at"


# FAQ 4-5: ages are worked out on census_date; a census_date a year out shifts every child's year

def _census_taught(years_above: list[int]) -> list[dict]:
    """Pupils born 5 May 2005 (age-based Year 3 on 17 January 2013), taught the given years above it."""
    upns = [f"B8012000{50 + i // 10:02d}00{i % 10}" for i in range(len(years_above))]
    from senrun.inputs.upn import check_letter

    return [{**pupil(check_letter(u[1:]) + u[1:], "A", "2005-05-05"), "nc_year_taught": str(3 + up)}
            for u, up in zip(upns, years_above)]


def test_most_pupils_taught_a_year_above_their_age_based_year_say_census_date_is_a_year_early__faq_4_5(tmp_path):
    result = run(tmp_path, census=_census_taught([1] * 24 + [0] * 6),
                 statements=[statement("B801200005001", "2005-05-05")])
    [said] = [i for i in result.issues if i.code == "census_date_year"]
    assert said.message.startswith("24 of the 30 pupils with a year taught are taught a year above their age-based "
                                   "year on census_date 17/01/2013: census_date is most likely a year early (their "
                                   "years fit a census_date of 17/01/2014)")
    assert (said.file, said.column, said.row) == ("census.csv", "nc_year_taught", None)


@pytest.mark.parametrize("years_above", [[1] * 14 + [0] * 16, [1] * 12 + [-1] * 12 + [0] * 6, [2] * 24 + [0] * 6,
                                         [1] * 10])
def test_a_few_pupils_out_of_their_year_or_no_one_year_in_common_say_nothing_of_census_date__faq_4_5(
        tmp_path, years_above):
    result = run(tmp_path, census=_census_taught(years_above), statements=[statement("B801200005001", "2005-05-05")])
    assert not [i for i in result.issues if i.code == "census_date_year"]
