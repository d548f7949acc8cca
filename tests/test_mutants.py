"""Scenarios that pin the money and policy core at the points where a small slip in the code
(a boundary, a rounding, a tie, a filter) would change a figure and no other test would notice.

Every expected figure is worked by hand in the comments, in integer pence.  The period is
1 April 2013 – 31 March 2014 unless a test says otherwise.
"""

from __future__ import annotations

import csv
from pathlib import Path

from builders import lines_of, pupil, run, statement, write_csv, write_run
from senrun.config.loader import load_config
from senrun.pipeline import allocate

U1, U2 = "B801200005001", "E801200005002"
NOBODY = [statement(U1, "2005-05-05", school="S1", annual="0")]  # no PSF: the pot is all cluster pot


def school(sid: str, cluster: str | None = "K1", **extra) -> dict:
    return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": cluster or "", "ssa": "0", **extra}


def table(rows: list[dict]) -> list[dict]:
    """Rows with every column any of them has (blank where not given)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k, "") for k in keys} for r in rows]


def shares(result, column: str = "cluster_share") -> dict[str, int]:
    return dict(result.schools.select("school_id", column).iter_rows())


def rules(*elements, **extra) -> dict:
    return {"elements": list(elements), **extra}


# --- §1, §4: element totals --------------------------------------------------------------

def test_a_share_element_total_is_rounded_half_away_from_zero_not_truncated__spec_1(tmp_path):
    # Pot £10.01 = 1,001p; half of it is 500.5p, rounded half away from zero → 501p; the remainder takes 500p.
    r = run(tmp_path, schools=[school("S1")], statements=NOBODY, budget={"pupil_specific_pot": "10.01"},
            formula=rules({"name": "half", "basis": "per_school", "share": "0.5"},
                          {"name": "rest", "basis": "per_school", "remainder": True}))
    assert {e.name: e.total for e in r.elements} == {"half": 501, "rest": 500}


def test_without_a_remainder_a_gap_of_exactly_a_penny_per_element_is_allowed__spec_1(tmp_path):
    # Two elements of £5 at one school spend 1,000p of a 1,002p pot: a gap of 2p, a penny per element,
    # is not "more than a penny per element", so the last element declared takes it: 500p and 502p.
    r = run(tmp_path, schools=[school("S1")], statements=NOBODY, budget={"pupil_specific_pot": "10.02"},
            formula=rules({"name": "a", "basis": "per_school", "rate": 5},
                          {"name": "b", "basis": "per_school", "rate": 5}))
    assert {e.name: e.total for e in r.elements} == {"a": 500, "b": 502}


def test_a_per_cluster_rate_counts_only_clusters_with_a_school_in_the_formula__faq_17_spec_11_8(tmp_path):
    # K2 holds only a special school (in_formula no): one cluster counts, so the host sum is £1,000 (100,000p),
    # all to S1 in K1; the flat remainder takes the other £1,000 of the £2,000 pot.
    schools = [school("S1", pupils="10"), school("Q", "K2", pupils="10", in_formula="no")]
    r = run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "2000"},
            formula=rules({"name": "host", "basis": "per_cluster", "rate": 1000},
                          {"name": "flat", "basis": "per_school", "remainder": True}))
    assert {e.name: e.total for e in r.elements} == {"host": 100000, "flat": 100000}
    assert shares(r, "formula_host") == {"S1": 100000, "Q": 0}


# --- §11.8, §11.11: the protection floor ---------------------------------------------------

def protected_run(tmp_path: Path, schools: list[dict], previous: dict[str, int], floor_pct="-10"):
    path = write_run(tmp_path, schools=schools, statements=NOBODY, budget={"pupil_specific_pot": "10000"},
                     formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True},
                                   protection={"floor_pct": floor_pct}))
    return allocate(load_config(path), previous=previous)


def test_a_protection_penny_tied_between_two_gainers_goes_to_the_lower_cluster_id__spec_11_11(tmp_path):
    # Before protection K1 200,000p, K2 400,000p, K3 400,000p (pupils 20 : 40 : 40 of 1,000,000p).
    # Last year K1 300,010p: floor 270,009p, so K1 is raised by 70,009p.  K2 and K3 each gained 100,000p
    # on 300,000p: s = 70,009 / 200,000, and each gives up 35,004.5p.  Floored toward −∞: −35,005p each,
    # summing with K1's +70,009p to −1p; the penny left is a tie of fractional parts (.5 and .5), so it
    # goes to the lower cluster_id, K2: K2 −35,004p, K3 −35,005p.
    schools = [school("S1", "K1", pupils="20"), school("S2", "K2", pupils="40"), school("S3", "K3", pupils="40")]
    r = protected_run(tmp_path, schools, {"K1": 300010, "K2": 300000, "K3": 300000})
    assert shares(r, "formula_protection") == {"S1": 70009, "S2": -35004, "S3": -35005}


def test_a_cluster_new_this_year_is_not_scaled_when_a_floor_costs_something__spec_11_11(tmp_path):
    # Before protection K1 200,000p, K2 400,000p, K3 (new this year) 400,000p.  K1's floor, 90% of 300,000p,
    # raises it by 70,000p; the only gain that pays is K2's 100,000p (s = 0.7): K2 −70,000p.  K3 has no
    # previous allocation: neither floored nor scaled, 0.
    schools = [school("S1", "K1", pupils="20"), school("S2", "K2", pupils="40"), school("S3", "K3", pupils="40")]
    r = protected_run(tmp_path, schools, {"K1": 300000, "K2": 300000})
    assert shares(r, "formula_protection") == {"S1": 70000, "S2": -70000, "S3": 0}
    assert shares(r) == {"S1": 270000, "S2": 330000, "S3": 400000}


def test_a_clusters_protection_is_split_between_its_schools_by_their_other_elements__spec_11_8(tmp_path):
    # K1's schools S1 and S4 have 5 and 15 pupils: 50,000p and 150,000p of the per-pupil element, 200,000p in
    # all.  Last year K1 300,000p: raised to its floor 270,000p by 70,000p, split 1 : 3 → 17,500p and 52,500p
    # (not 35,000p each).  K2 and K3 (400,000p each) gained 100,000p and 50,000p: s = 7/15, as in §11.8's example.
    schools = [school("S1", "K1", pupils="5"), school("S4", "K1", pupils="15"),
               school("S2", "K2", pupils="40"), school("S3", "K3", pupils="40")]
    r = protected_run(tmp_path, schools, {"K1": 300000, "K2": 300000, "K3": 350000})
    assert shares(r, "formula_protection") == {"S1": 17500, "S4": 52500, "S2": -46667, "S3": -23333}


# --- §2, §4: who counts as a pupil at the census date ---------------------------------------

def test_the_pupil_count_takes_the_youngest_reception_and_oldest_year_11_birthdays__spec_2_spec_4(tmp_path):
    # Census 17 January 2013 (2012/13), nc_years [0, 11].  Born 31 August 2008: cohort 2007, Reception (0),
    # counted; born 1 September 2008: nursery (−1), not.  Born 1 September 1996: Year 11, counted; born
    # 31 August 1996: Year 12, not.  So S1 has 2 pupils, and the whole pot of 1,000p goes to its 2 units.
    dobs = ["2008-08-31", "2008-09-01", "1996-09-01", "1996-08-31"]
    census = [{"upn": f"A8012000000{i:02d}", "school_id": "S1", "date_of_birth": d} for i, d in enumerate(dobs)]
    r = run(tmp_path, schools=[school("S1"), school("S2")], census=census + [{"upn": "A801200000099",
            "school_id": "S2", "date_of_birth": "2005-05-05"}], statements=NOBODY,
            budget={"pupil_specific_pot": "9.00"},
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "pupils") == {"S1": 2, "S2": 1}
    assert shares(r, "formula_per_pupil") == {"S1": 600, "S2": 300}


# --- §3: the reason a line stopped ----------------------------------------------------------

def test_a_statement_ceased_on_the_last_day_of_the_period_stops_as_ceased_not_continuing__spec_3(tmp_path):
    # By days, £3,650 a year is 1,000p a day.  Ceased on 31 March 2014, the period's last day: that day is not
    # paid (364 of 365 days, 364,000p; 1,000p released) and something stopped it within the period: `ceased`.
    r = run(tmp_path, prorate="days", statements=[statement(U1, "2005-05-05", annual="3650.00", ceased="2014-03-31")])
    assert lines_of(r, U1) == [("A", 364000, 1000, "ceased")]


def test_a_child_missing_from_the_census_whose_statement_ceases_on_the_period_start_is_not_in_census__spec_3(tmp_path):
    # Both causes stop the row on 1 April 2013, the period start; on the same date not_in_census comes before
    # ceased (SPEC §3, §11.9).  Paid nothing; the whole entitlement, 120,000p, is released.
    r = run(tmp_path, census=[pupil(U2, "A", "2005-05-05")],
            statements=[statement(U1, "2005-05-05", annual="1200.00", ceased="2013-04-01")])
    assert lines_of(r, U1) == [("A", 0, 120000, "not_in_census")]


def test_a_casual_move_recorded_just_after_census_day_does_not_satisfy_the_census_check__spec_3_11_6(tmp_path):
    # Academic year 2012/13, census 17 January 2013 finds the child at B; the only move recorded is a casual one
    # from A to B on 1 February.  §11.6's window is for a managed move alone: the census has the child elsewhere
    # than the moves put them on census day, an unrecorded casual move, so PSF ends at the period start: paid
    # nothing, 120,000p released (a managed move would have kept it).
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-02-01", "reason": "casual"}]
    r = run(tmp_path, year="2012-13", period={"start": "2012-09-01", "end": "2013-08-31"}, moves=moves,
            census=[pupil(U1, "B", "2005-05-05")], statements=[statement(U1, "2005-05-05", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]


# --- §11.3, §11.11: a child's statement history ---------------------------------------------

HISTORY = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
           "effective_date", "event"]


def history_run(folder: Path, rows: list[dict], **overrides):
    path = write_run(folder, statements=[], **overrides)
    write_csv(folder / "statements.csv", [{"upn": U1, "school_id": "A", "stream": "PSF", **r} for r in rows], HISTORY)
    return allocate(load_config(path))


def test_an_amendment_after_the_phase_ended_does_not_change_the_lines_annual_amount__spec_11_11(tmp_path):
    # Year 6 in 2012/13: paid April–August 2013 at £1,200 (5 × 10,000p).  An amendment to £2,400 from 1 October
    # was never paid: the line's annual_amount is the rate at its last paid unit, 120,000p.  The entitlement is
    # 6 × 10,000 + 6 × 20,000 = 180,000p, so 130,000p is released.
    rows = [{"date_of_birth": "2002-08-31", "statement_date": "2010-01-01", "annual_amount": "1200.00",
             "event": "issued"},
            {"date_of_birth": "2002-08-31", "statement_date": "2010-01-01", "annual_amount": "2400.00",
             "effective_date": "2013-10-01", "event": "amended"}]
    r = history_run(tmp_path, rows)
    assert lines_of(r, U1) == [("A", 50000, 130000, "phase_end")]
    assert r.psf["annual_amount"].to_list() == [120000]


def test_an_amendment_effective_on_the_ceased_date_is_ignored_in_the_entitlement__spec_11_3(tmp_path):
    # Ceased on 1 October 2013 (ceased_date); an amendment to £2,400 the same day is of no statement in force
    # (history.check warns): the entitlement stays 12 × 10,000p = 120,000p; April–September paid, 60,000p;
    # released 60,000p (not 6 × 10,000 + 6 × 20,000 − 60,000 = 120,000p).
    rows = [{"date_of_birth": "2005-05-05", "statement_date": "2010-01-01", "annual_amount": "1200.00",
             "ceased_date": "2013-10-01", "event": "issued"},
            {"date_of_birth": "2005-05-05", "statement_date": "2010-01-01", "annual_amount": "2400.00",
             "effective_date": "2013-10-01", "event": "amended"}]
    r = history_run(tmp_path, rows)
    assert lines_of(r, U1) == [("A", 60000, 60000, "ceased")]


def test_a_first_row_with_a_later_effective_date_is_paid_at_its_rate_from_its_statement_date__spec_3_11_3(tmp_path):
    # 2012-13 by months.  Issued 1 June 2012 (effective_date 1 October), amended to £2,400 from 1 January 2013:
    # June–December at £1,200 (7 × 10,000p) and January–March at £2,400 (3 × 20,000p) = 130,000p.
    rows = [{"date_of_birth": "2005-05-05", "statement_date": "2012-06-01", "annual_amount": "1200.00",
             "effective_date": "2012-10-01", "event": "issued"},
            {"date_of_birth": "2005-05-05", "statement_date": "2012-06-01", "annual_amount": "2400.00",
             "effective_date": "2013-01-01", "event": "amended"}]
    r = history_run(tmp_path, rows, year="2012-13", period={"start": "2012-04-01", "end": "2013-03-31"},
                    census_date="2012-01-19")
    assert lines_of(r, U1) == [("A", 130000, 0, "continuing")]


# --- §11.4: the register carried from year to year ------------------------------------------

def test_explain_of_a_child_stopped_last_year_gives_an_entitlement_of_nothing__spec_11_4(tmp_path):
    # Last year's psf.csv stopped the child (not_in_census): this year one line, paid 0, released 0, and so its
    # entitlement is 0 too (explain's "Entitlement for the period £0.00; paid £0.00; released £0.00").
    from senrun.yearly.explain import explain_upn, run_for_explain

    register = tmp_path / "last" / "psf.csv"
    register.parent.mkdir()
    line = {"upn": U1, "stream": "PSF", "psf_school_id": "A", "paid_school_id": "A", "annual_amount": "1200.00",
            "paid_from": "", "paid_to": "", "paid_amount": "0.00", "released_amount": "1200.00",
            "reason": "not_in_census"}
    with register.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(line))
        w.writeheader()
        w.writerow(line)
    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")],
                                census=[pupil(U1, "A", "2005-05-05")]))
    result, psf, _ = run_for_explain(cfg, register=register)
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    assert (trail["stop"]["reason"], trail["paid"], trail["entitlement"], trail["released"]) == \
        ("stopped_last_year", 0, 0, 0)
