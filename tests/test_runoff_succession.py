"""The cluster packs' run-off of later years against what those years' own runs pay (SPEC §6 round 2,
§11.1; FAQ 8): a succession already recorded for a later year moves a protected child's PSF to the
successor, and to the successor's cluster, from the day it takes over."""

from __future__ import annotations

import polars as pl

from senrun.outputs.clusterpack import runoff_table
from senrun.yearly.runoff import runoff_by_school

from builders import pupil, run, statement

# S (cluster C2) closes on 31 August 2014 and T (cluster C1), which opens the next day, takes over its
# pupils: T has no row in 2013-14, its cluster is its own row's (SPEC §11.1).
SCHOOLS = [
    {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00",
     "opened": "", "closed": "", "successor_id": ""},
    {"school_id": "S", "school_name": "Seaview Primary", "cluster_id": "C2", "ssa": "500.00",
     "opened": "", "closed": "2014-08-31", "successor_id": "T"},
    {"school_id": "T", "school_name": "Seaview Academy", "cluster_id": "C1", "ssa": "",
     "opened": "2014-09-01", "closed": "", "successor_id": ""},
]


def _result(tmp_path):
    # Year 3 in 2012/13 (born 2 February 2005): protected in primary until 1 September 2016
    return run(tmp_path, schools=SCHOOLS, statements=[statement("A123456789012", "2005-02-02", school="S")],
               census=[pupil("A123456789012", "S", "2005-02-02"), pupil("B123456789012", "A", "2006-05-05")])


def test_a_later_years_run_off_follows_a_succession_recorded_for_that_year__spec_11_1_faq_8(tmp_path):
    result = _result(tmp_path)
    by_school = {(r["_k"], r["school_id"]): r["psf"] for r in runoff_by_school(result).iter_rows(named=True)}
    # 2014-15: April–August at S, 5/12 of £8,400.00; September–March at T, 7/12; then T to August 2016
    assert by_school == {(1, "S"): 350000, (1, "T"): 490000, (2, "T"): 840000, (3, "T"): 350000}


def test_a_cluster_packs_later_years_are_the_successors_cluster_from_the_takeover__spec_11_1_faq_8(tmp_path):
    result = _result(tmp_path)
    table = runoff_table(result, result.schools.select("school_id", "cluster_id")).filter(pl.col("_k") > 0)
    later = {(r["cluster_id"], r["year"]): (r["children"], r["psf"]) for r in table.iter_rows(named=True)}
    assert later == {("C2", "2014-15"): (1, 350000),
                     ("C1", "2014-15"): (1, 490000), ("C1", "2015-16"): (1, 840000), ("C1", "2016-17"): (1, 350000)}
