"""A small but realistic RunResult, built by hand, for the tests of senrun.outputs.

Two clusters, five schools (one id with a '/', one name beginning with '='), two formula
elements (a £5,000 lump sum per school and a per-pupil remainder), nine PSF lines for
eight statements, including a managed move paid at two schools and rows paid nothing.
The figures follow SPEC §1 and §10: the money identity holds to the penny.
`scaled_result(n)` builds the same shape for n schools, for timing the returns.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import polars as pl

from senrun.config.loader import ElementSpec
from senrun.errors import WARNING, Issue
from senrun.result import Element, InputInfo, RunResult, Totals

LUMP_SUM = 500_000  # £5,000 in pence
POT = 50_000_000  # £500,000
TOPSLICES = (("auxiliary_aids", 1_000_000), ("cluster_host", 600_000))
APR, AUG, SEP, OCT, NOV, DEC, MAR = (date(2013, 4, 1), date(2013, 8, 31), date(2013, 9, 1),
                                    date(2013, 10, 19), date(2013, 11, 30), date(2013, 12, 1),
                                    date(2014, 3, 31))


class StandInConfig:
    """What outputs uses of the frozen Config: `year`, `as_dict()`, the elements, the wording and
    the period (for the cluster packs' run-off)."""

    year = "2013-14"
    elements = (ElementSpec("lump_sum", "per_school", rate=Decimal(5000)),
                ElementSpec("per_pupil", "pupils", remainder=True))
    delegation = "delegated"
    period_start, period_end = date(2013, 4, 1), date(2014, 3, 31)
    policy_start = date(2012, 9, 1)
    phases = (("nursery", -2, -1), ("primary", 0, 6), ("secondary", 7, 11), ("post16", 12, 13))
    prorate = "months"
    contact = None
    issued = None

    def as_dict(self) -> dict:
        return {
            "year": "2013-14",
            "period": {"start": "2013-04-01", "end": "2014-03-31"},
            "census_date": "2013-01-17",
            "policy": {"start": "2012-09-01"},
            "prorate": "months",
            "budget": {"pupil_specific_pot": 500000},
            "topslices": [{"name": "auxiliary_aids", "amount": 10000},
                          {"name": "cluster_host", "per_cluster": 3000}],
            "formula": {"pupils": {"nc_years": [0, 11]},
                        "elements": [{"name": "lump_sum", "basis": "per_school", "rate": 5000},
                                     {"name": "per_pupil", "basis": "pupils", "remainder": True}]},
            "missing_from_census": "cease",
        }


SCHOOLS = [  # school_id, school_name, cluster_id, cluster_name, pupils, ssa (pence)
    ("3301001", "Alder Primary", "C1", "North", 210, 12_000_000),
    ("3301002", "=Beech Infant", "C1", "North", 90, 6_000_000),
    ("3302001", "Cedar Junior", "C1", "North", 150, 8_000_005),
    ("3304001", "Damson High", "C2", "South", 900, 30_000_000),
    ("KS/05", "Elm Academy", "C2", "South", 400, 15_000_000),
]

LINES = [  # upn, stream, psf_school, paid_school, annual, from, to, paid, released, reason, dob, phase, units
    ("A801200001001", "PSF", "3301001", "3301001", 987_654, APR, AUG, 411_523, 576_131, "phase_end",
     date(2001, 11, 14), "primary", 5),
    ("B801200001002", "PSF", "3301002", "3301002", 840_000, APR, NOV, 560_000, 0, "continuing",
     date(2005, 3, 2), "primary", 8),
    ("B801200001002", "PSF", "3301002", "3302001", 840_000, DEC, MAR, 280_000, 0, "continuing",
     date(2005, 3, 2), "primary", 4),
    ("C801200001003", "PSF", "3304001", "3304001", 1_200_000, APR, MAR, 1_200_000, 0, "continuing",
     date(1999, 1, 20), "secondary", 12),
    ("D801200001004", "PSF", "KS/05", "KS/05", 600_000, APR, OCT, 350_000, 250_000, "casual_move",
     date(2000, 6, 6), "secondary", 7),
    ("E801200001005", "SSMN", "3301001", "3301001", 300_000, None, None, 0, 300_000, "stream_ended",
     date(2004, 5, 5), "primary", 0),
    ("F801200001006", "PSF", "3304001", "3304001", 500_000, None, None, 0, 0, "post_policy_statement",
     date(2000, 2, 2), "secondary", 0),
    ("G801200001007", "PSF", "3302001", "3302001", 450_005, APR, MAR, 450_005, 0, "continuing",
     date(2006, 12, 1), "primary", 12),
    ("H801200001008", "PSF", "KS/05", "KS/05", 700_000, None, None, 0, 700_000, "not_in_census",
     date(1998, 10, 10), "secondary", 0),
]

PSF_SCHEMA = {
    "upn": pl.String, "stream": pl.String, "psf_school_id": pl.String, "paid_school_id": pl.String,
    "annual_amount": pl.Int64, "paid_from": pl.Date, "paid_to": pl.Date, "paid_amount": pl.Int64,
    "released_amount": pl.Int64, "reason": pl.String, "date_of_birth": pl.Date,
    "protected_phase": pl.String, "units": pl.Int64,
}


def largest_remainder(total: int, units: list[tuple[str, int]]) -> dict[str, tuple[Fraction, int, int]]:
    """school_id → (exact share, floor, extra penny), by SPEC §1's largest remainder."""
    whole = sum(u for _, u in units)
    exact = {sid: Fraction(total * u, whole) for sid, u in units}
    floors = {sid: int(x) for sid, x in exact.items()}
    left = total - sum(floors.values())
    order = sorted(exact, key=lambda sid: (-(exact[sid] - floors[sid]), sid))
    return {sid: (exact[sid], floors[sid], 1 if sid in order[:left] else 0) for sid in exact}


def assemble(schools: list[tuple], lines: list[tuple], issues: tuple[Issue, ...] = (),
             budget: int = POT) -> RunResult:
    """A RunResult from schools and PSF lines: the pot, the two elements, clusters, totals."""
    psf = pl.DataFrame(lines, schema=PSF_SCHEMA, orient="row")
    # each (upn, stream) its statement's row number, as a run's lines carry it (`_row`)
    psf = psf.with_columns((pl.struct("upn", "stream").rank("dense") + 1).cast(pl.Int64).alias("_row"))
    paid = dict(psf.group_by("paid_school_id").agg(pl.col("paid_amount").sum()).iter_rows())
    continuing = int(psf["paid_amount"].sum())
    clusters_n = len({s[2] for s in schools})
    topslices = (TOPSLICES[0], ("cluster_host", 300_000 * clusters_n))
    pot = budget - continuing - sum(p for _, p in topslices)
    remainder = pot - LUMP_SUM * len(schools)
    shares = largest_remainder(remainder, [(s[0], s[4]) for s in schools])
    rows, workings = [], []
    for sid, name, cid, cname, pupils, ssa in schools:
        exact, floor, extra = shares[sid]
        per_pupil = floor + extra
        share = LUMP_SUM + per_pupil
        rows.append((sid, name, cid, cname, pupils, ssa, paid.get(sid, 0), LUMP_SUM, per_pupil, share,
                     ssa + paid.get(sid, 0) + share))
        workings += [(sid, "lump_sum", "1", "5000", str(LUMP_SUM), LUMP_SUM, 0, LUMP_SUM),
                     (sid, "per_pupil", str(pupils), "", f"{exact.numerator}/{exact.denominator}",
                      floor, extra, per_pupil)]
    school_frame = pl.DataFrame(rows, orient="row", schema={
        "school_id": pl.String, "school_name": pl.String, "cluster_id": pl.String, "cluster_name": pl.String,
        "pupils": pl.Int64, "ssa": pl.Int64, "psf": pl.Int64, "formula_lump_sum": pl.Int64,
        "formula_per_pupil": pl.Int64, "cluster_share": pl.Int64, "total": pl.Int64}).sort("school_id")
    money = ["ssa", "psf", "formula_lump_sum", "formula_per_pupil", "cluster_share", "total"]
    clusters = (school_frame.group_by("cluster_id", "cluster_name")
                .agg(pl.len().cast(pl.Int64).alias("schools"), pl.col("pupils").sum(),
                     *[pl.col(c).sum() for c in money])
                .rename({"cluster_share": "cluster_allocation"})
                .select("cluster_id", "cluster_name", "schools", "pupils", "ssa", "psf",
                        "formula_lump_sum", "formula_per_pupil", "cluster_allocation", "total")
                .sort("cluster_id"))
    released = (psf.group_by("reason")
                .agg(pl.col("upn").n_unique().cast(pl.Int64).alias("statements"),
                     pl.col("annual_amount").filter(pl.col("paid_school_id") == pl.col("psf_school_id")).sum(),
                     pl.col("paid_amount").sum(), pl.col("released_amount").sum())
                .sort("reason"))
    working_frame = pl.DataFrame(workings, orient="row", schema={
        "school_id": pl.String, "element": pl.String, "units": pl.String, "parameter": pl.String,
        "exact_share": pl.String, "floor_pence": pl.Int64, "extra_penny": pl.Int64, "amount": pl.Int64})
    ssa_total = sum(s[5] for s in schools)
    totals = Totals(pupil_specific_pot=budget, continuing_psf=continuing, topslices=topslices, cluster_pot=pot,
                    released_psf=int(psf["released_amount"].sum()), ssa_total=ssa_total,
                    sen_total=ssa_total + budget)
    elements = (Element("lump_sum", "per_school", "rate", "5000", str(len(schools)), LUMP_SUM * len(schools)),
                Element("per_pupil", "pupils", "remainder", "", str(sum(s[4] for s in schools)), remainder))
    inputs = (InputInfo("schools", "schools.csv", "a" * 64, len(schools)),
              InputInfo("statements", "statements.xlsx", "b" * 64, psf["upn"].n_unique()))
    return RunResult(config=StandInConfig(), schools=school_frame, clusters=clusters, psf=psf,
                     released=released, workings=working_frame, elements=elements, totals=totals,
                     issues=issues, inputs=inputs, config_sha256="c" * 64,
                     checks=("The money identity holds to the penny.",
                             "Every school's cluster shares add up to its cluster's allocation."))


WARNINGS = (
    Issue("not_in_census", WARNING, "H801200001008 is not in the census: PSF ends on 01/04/2013",
          file="statements.csv", row=9, column="upn"),
    Issue("upn_check_letter", WARNING, "=B801200001002 has a wrong check letter",
          file="census.csv", row=3, column="UPN"),
)


def build_result() -> RunResult:
    """The five-school run."""
    return assemble(SCHOOLS, LINES, WARNINGS)


def build_diff() -> pl.DataFrame:
    """A diff against a previous year, as diff.py would give it (money in pence)."""
    return pl.DataFrame({
        "level": ["cluster", "school", "school"],
        "school_id": [None, "3301001", "=X1"],
        "cluster_id": ["C1", "C1", "C1"],
        "previous_total": [40_000_000, 1_000_005, 0],
        "current_total": [39_000_000, 999_999, 5],
        "change": [-1_000_000, -6, 5],
        "change_pct": [-2.5, 0.0, None],
        "flag": [False, False, True],
        "note": [None, None, "new"],
    }, schema_overrides={"school_id": pl.String, "note": pl.String})


def scaled_result(n_schools: int, children_per_school: int = 5) -> RunResult:
    """The same shape for `n_schools` schools in clusters of ten, each paying a few children."""
    schools, lines = [], []
    for i in range(n_schools):
        sid, cid = f"{3300000 + i}", f"C{i // 10:03d}"
        schools.append((sid, f"School {i}", cid, f"Cluster {i // 10}", 100 + i % 300, 1_000_000 + i))
        for k in range(children_per_school):
            lines.append((f"A{i:06d}{k:06d}", "PSF", sid, sid, 600_000 + k, APR, MAR, 600_000 + k, 0,
                          "continuing", date(2004, 1, 1), "primary", 12))
    budget = 10_000 * 100 * n_schools + sum(line[7] for line in lines)
    return assemble(schools, lines, budget=budget)
