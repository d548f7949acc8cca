"""The cluster packs' run-off of later years follows a managed move recorded for a later year (SPEC §3 rule 4,
§6 round 2; FAQ 6, 8): from the move the child's PSF is paid at the receiving school, in its cluster, as the
later years' own runs (and the projection of simulate --years) pay it."""

from __future__ import annotations

import pytest

import polars as pl

from senrun.outputs.clusterpack import runoff_table
from senrun.yearly.projection import shifted_period, year_label
from senrun.yearly.runoff import runoff_by_line, runoff_by_school

from builders import pupil, run, statement

# A and H are in cluster C1, B and S in C2.  S closes on 31 August 2015 and T (C1), which opens the next day,
# takes over its pupils; N (C1) opens on 1 September 2015 too.  Neither T nor N has a row in 2013-14.
SCHOOLS = [
    {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00",
     "opened": "", "closed": "", "successor_id": ""},
    {"school_id": "B", "school_name": "Bromwell Primary", "cluster_id": "C2", "ssa": "2000.00",
     "opened": "", "closed": "", "successor_id": ""},
    {"school_id": "H", "school_name": "Holt Primary", "cluster_id": "C1", "ssa": "1500.00",
     "opened": "", "closed": "", "successor_id": ""},
    {"school_id": "S", "school_name": "Seaview Primary", "cluster_id": "C2", "ssa": "",
     "opened": "", "closed": "2015-08-31", "successor_id": "T"},
    {"school_id": "T", "school_name": "Seaview Academy", "cluster_id": "C1", "ssa": "",
     "opened": "2015-09-01", "closed": "", "successor_id": ""},
    {"school_id": "N", "school_name": "Newlands Primary", "cluster_id": "C1", "ssa": "",
     "opened": "2015-09-01", "closed": "", "successor_id": ""},
]
DOB = "2005-02-02"  # Year 3 in 2012/13: protected in primary until 1 September 2016 (FAQ 3–5)


def move(upn: str, school: str, to: str, on: str, reason: str = "managed_move") -> dict:
    return {"upn": upn, "from_school_id": school, "to_school_id": to, "move_date": on, "reason": reason}


def _run(folder, moves: list[dict], school: str = "A", **config):
    """One child at `school`, annual £8,400.00, with `moves`; the period 2013-14 (April–March)."""
    return run(folder, schools=SCHOOLS, statements=[statement("A123456789012", DOB, school=school)],
               census=[pupil("A123456789012", school, DOB), pupil("B123456789012", "H", "2006-05-05")],
               moves=moves, **config)


def _by_school(result) -> dict:
    return {(r["_k"], r["school_id"]): r["psf"] for r in runoff_by_school(result).iter_rows(named=True)}


def _by_cluster(result) -> dict:
    table = runoff_table(result, result.schools.select("school_id", "cluster_id")).filter(pl.col("_k") > 0)
    return {(r["cluster_id"], r["year"]): (r["children"], r["psf"]) for r in table.iter_rows(named=True)}


def test_a_managed_move_recorded_for_a_later_year_moves_the_run_off_to_the_new_school_from_its_month__faq_6_8(
        tmp_path):
    result = _run(tmp_path, [move("A123456789012", "A", "B", "2014-06-15")])
    # 2014-15 by months: on 1 June the child is still at A, so April–June are A's: 840,000 × 3 / 12 = 210,000;
    # July–March B's: 840,000 × 9 / 12 = 630,000 (SPEC §3 pro-rating, §10's managed move mid-year).  Then B:
    # all of 2015-16, and April–August 2016, 840,000 × 5 / 12 = 350,000, up to the phase's end (FAQ 3)
    assert _by_school(result) == {(1, "A"): 210000, (1, "B"): 630000, (2, "B"): 840000, (3, "B"): 350000}
    # A is in C1, B in C2: from the move the run-off is C2's (SPEC §6 round 2)
    assert _by_cluster(result) == {("C1", "2014-15"): (1, 210000), ("C2", "2014-15"): (1, 630000),
                                   ("C2", "2015-16"): (1, 840000), ("C2", "2016-17"): (1, 350000)}


def test_a_chain_of_managed_moves_carries_the_run_off_along_it__spec_3_faq_6_8(tmp_path):
    result = _run(tmp_path, [move("A123456789012", "A", "B", "2014-06-15"),
                             move("A123456789012", "B", "H", "2015-01-10")])
    # 2014-15: A April–June (3 months) 210,000; B July–January (7) 840,000 × 7 / 12 = 490,000; H February–March
    # (2) 140,000.  Then H: 840,000 in 2015-16, 350,000 for April–August 2016
    assert _by_school(result) == {(1, "A"): 210000, (1, "B"): 490000, (1, "H"): 140000,
                                  (2, "H"): 840000, (3, "H"): 350000}
    # a child paid at two schools of C1 in 2014-15 (A and H) counts once there
    assert _by_cluster(result) == {("C1", "2014-15"): (1, 350000), ("C2", "2014-15"): (1, 490000),
                                   ("C1", "2015-16"): (1, 840000), ("C1", "2016-17"): (1, 350000)}


def test_a_managed_move_to_a_school_that_later_has_a_successor_goes_on_at_the_successor__spec_11_1_faq_6_8(
        tmp_path):
    result = _run(tmp_path, [move("A123456789012", "A", "S", "2014-06-15")])
    # 2014-15: A April–June 210,000, S July–March 630,000.  2015-16: S April–August 350,000, then from
    # 1 September 2015 its successor T (no row this year; C1 in the schools input): 840,000 × 7 / 12 = 490,000.
    # 2016-17: T April–August 350,000
    assert _by_school(result) == {(1, "A"): 210000, (1, "S"): 630000, (2, "S"): 350000, (2, "T"): 490000,
                                  (3, "T"): 350000}
    assert _by_cluster(result) == {("C1", "2014-15"): (1, 210000), ("C2", "2014-15"): (1, 630000),
                                   ("C2", "2015-16"): (1, 350000), ("C1", "2015-16"): (1, 490000),
                                   ("C1", "2016-17"): (1, 350000)}


def test_a_managed_move_to_a_school_opening_after_the_period_is_in_that_schools_cluster__spec_11_1_faq_6_8(
        tmp_path):
    result = _run(tmp_path, [move("A123456789012", "B", "N", "2015-09-01")], school="B")
    # B (C2) all of 2014-15, 840,000, and April–August 2015, 350,000; from 1 September 2015 at N, which has no row
    # in 2013-14: its cluster is its row's in the schools input, C1.  N: September–March 490,000, then
    # April–August 2016 350,000
    assert _by_school(result) == {(1, "B"): 840000, (2, "B"): 350000, (2, "N"): 490000, (3, "N"): 350000}
    assert _by_cluster(result) == {("C2", "2014-15"): (1, 840000), ("C2", "2015-16"): (1, 350000),
                                   ("C1", "2015-16"): (1, 490000), ("C1", "2016-17"): (1, 350000)}


def test_a_casual_move_after_a_managed_one_ends_the_run_off_at_the_receiving_school__spec_3_faq_3_6(tmp_path):
    result = _run(tmp_path, [move("A123456789012", "A", "B", "2014-06-15"),
                             move("A123456789012", "B", "Z", "2015-02-10", "casual")])
    # 2014-15: A April–June 210,000; B July–February (on 1 February the child is still at B: 8 months)
    # 840,000 × 8 / 12 = 560,000; the casual move of 10 February ends PSF (FAQ 3): nothing after
    assert _by_school(result) == {(1, "A"): 210000, (1, "B"): 560000}


def test_a_round_trip_in_a_later_year_is_one_line_at_the_first_school_rounded_once__spec_3(tmp_path):
    result = _run(tmp_path, [move("A123456789012", "A", "B", "2014-06-15"),
                             move("A123456789012", "B", "A", "2014-11-23")], prorate="days")
    # 2014-15 by days (365 in the year from 1 April 2014): A 1 April–14 June (75 days) and 23 November–31 March
    # (129): one line of 204 days, 840,000 × 204 / 365 = 469,479.45 → 469,479 (rounded apart, 172,602.74 →
    # 172,603 and 296,876.71 → 296,877 would give 469,480); B 15 June–22 November (161 days) 370,520.55 → 370,521
    later = runoff_by_line(result).filter(pl.col("_k") == 1)
    assert sorted(later.select("school_id", "psf").rows()) == [("A", 469479), ("B", 370521)]


def test_a_managed_move_after_the_first_of_the_periods_last_month_is_followed_from_the_next_period__spec_3(
        tmp_path):
    # by months, March 2014 is paid at A (the child is there on 1 March): A's line runs to the period's end,
    # but from 20 March the child is at B, where 2014-15 pays all 12 months, then April–August 2016 (5)
    result = _run(tmp_path, [move("A123456789012", "A", "B", "2014-03-20")])
    assert _by_school(result) == {(1, "B"): 840000, (2, "B"): 840000, (3, "B"): 350000}


# --- the packs' later years against those years' own runs -----------------------------------------------------

CHILDREN = [  # (upn, school, moves)
    ("A100000000001", "A", [("A", "B", "2014-06-15")]),
    ("A100000000002", "A", [("A", "B", "2014-06-15"), ("B", "H", "2015-01-10")]),
    ("A100000000003", "A", [("A", "S", "2014-06-15")]),
    ("A100000000004", "B", [("B", "N", "2015-09-01")]),
    ("A100000000005", "A", [("A", "B", "2014-06-15"), ("B", "Z", "2015-02-10", "casual")]),
    ("A100000000006", "A", [("A", "B", "2014-06-15"), ("B", "A", "2014-11-23")]),
    ("A100000000007", "H", [("H", "B", "2014-03-20")]),
    ("A100000000008", "H", []),
]


def _year(folder, prorate: str, k: int = 0, base=None):
    """The run of 2013-14 (`k` = 0), or of the period `k` years after it (`base`: 2013-14's config), with the
    same inputs, as the projection of simulate --years runs it."""
    folder.mkdir()
    moves = [move(upn, *m) for upn, _, ms in CHILDREN for m in ms]
    config = {"prorate": prorate}
    if k:
        start, end = shifted_period(base, k)
        config |= {"year": year_label(start, end), "period": {"start": str(start), "end": str(end)}}
    return run(folder, schools=SCHOOLS, statements=[statement(u, DOB, school=s) for u, s, _ in CHILDREN],
               census=[pupil(u, s, DOB) for u, s, _ in CHILDREN], moves=moves, **config)


@pytest.mark.parametrize("prorate", ["months", "days"])
def test_the_packs_later_years_are_what_those_years_own_runs_pay_after_managed_moves__spec_6_faq_6_8(
        tmp_path, prorate):
    result = _year(tmp_path / "k0", prorate)
    lines = runoff_by_line(result)
    table = runoff_table(result, result.schools.select("school_id", "cluster_id"))
    for k in (1, 2, 3):
        own = _year(tmp_path / f"k{k}", prorate, k, result.config)
        paid = own.psf.filter(pl.col("paid_amount") > 0)
        # each child's PSF at each school, to the penny
        assert (sorted(lines.filter(pl.col("_k") == k).select("_row", "school_id", "psf").rows())
                == sorted(paid.select("_row", "paid_school_id", "paid_amount").rows())), k
        # and each cluster's: the schools input's clusters, the same every year
        clusters = own.clusters.filter(pl.col("psf") > 0).select("cluster_id", "psf").rows()
        assert sorted(table.filter(pl.col("_k") == k).select("cluster_id", "psf").rows()) == sorted(clusters), k
