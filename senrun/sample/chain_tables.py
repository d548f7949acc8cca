"""The tables of one year of the sample chain, with a council's own headers, and planted.csv.

Money is integer pence until written; every table is sorted on unique keys, so the same
seed gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from .chain_cases import NOTES, Planted
from .oracle import FAR, POLICY_START, History, Line, Period, lines_for, protected_end, school_at, stop_of
from .world import Pupils, World, census_school, listed

NC_LABELS = ["N1", "N2", "R"] + [str(y) for y in range(1, 14)]  # index: age-based year + 2
CASE_ORDER = list(NOTES)
KINDS = {
    "schools": {"DfE Number": "text", "School Name": "text", "Cluster Code": "text", "Cluster Name": "text",
                "Phase": "text", "School Specific Allocation": "amount", "SEN Need Index": "number",
                "Opened": "date", "Closed": "date", "Successor DfE": "text", "In Formula": "text",
                "Pupils Override": "count"},
    "statements": {"Pupil UPN": "text", "Date of Birth": "date", "Statement Date": "date",
                   "PSF School (DfE)": "text", "Annual PSF": "money", "Funding Stream": "text",
                   "Ceased Date": "date", "Effective Date": "date", "Event": "text"},
    "moves": {"UPN": "text", "From School (DfE)": "text", "To School (DfE)": "text",
              "Date of Move": "date", "Move Type": "text"},
    "links": {"DfE Number": "text", "Link DfE Number": "text", "Link Type": "text",
              "Link Established Date": "date"},
}


@dataclass
class YearTables:
    """One year's inputs."""

    schools: pl.DataFrame
    census: pl.DataFrame
    statements: pl.DataFrame
    moves: pl.DataFrame
    links: pl.DataFrame


def year_tables(world: World, pupils: Pupils, planted: list[Planted], histories: list[History],
                p: Period) -> YearTables:
    """Every input of the year `p`."""
    census = _census(world, pupils, planted, p)
    return YearTables(_schools(world, census, p), census, _statements(histories, p), _moves(histories, p),
                      _links(world, p))


def _census(world: World, pupils: Pupils, planted: list[Planted], p: Period) -> pl.DataFrame:
    """The January census: every drawn pupil placed by age, then the planted children."""
    year = p.census_date.year - 1
    idx = pupils.school_index(year)
    here = np.flatnonzero(idx >= 0)
    mapped = pl.Series([census_school(world, sid, p.census_date) for sid in pupils.ids])
    codes = ["N", "K", "K", "E"] if p.census_date.year >= 2015 else ["N", "A", "P", "S"]
    nc = year - pupils.cohort[here] - 5
    frame = pl.DataFrame({
        "UPN": pupils.upn.gather(here), "LAEstab": mapped.gather(idx[here]),
        "DOB": pl.Series(pupils.dob[here], dtype=pl.Date), "NCyearActual": pl.Series(NC_LABELS).gather(nc + 2),
        "SENprovision": pl.Series(codes).gather(pupils.sen[here]), "FSMeligible": pupils.fsm[here].astype(np.int8),
        "EnrolStatus": "C"})
    rows = []
    for case in planted:
        h = case.history
        for school, status in planted_census(case, p, world):
            rows.append((h.upn, school, h.dob, NC_LABELS[min(max(year - _cohort(h.dob) - 5, -2), 13) + 2],
                         codes[3], 0, status))
    extra = pl.DataFrame(rows, schema=frame.schema, orient="row")
    return pl.concat([frame, extra]).sort(["LAEstab", "UPN", "EnrolStatus"])


def _cohort(dob: date) -> int:
    return dob.year if dob.month >= 9 else dob.year - 1


def planted_census(case: Planted, p: Period, world: World) -> list[tuple[str, str]]:
    """Where the census of `p` has a planted child: as the case says, else at the school funding
    them on census day while funded (a stopped child has left: not in the census)."""
    if p.label in case.census:
        return case.census[p.label]
    h, day = case.history, p.census_date
    if h.missing_from and p.label >= h.missing_from:
        return []
    if h.first_date >= POLICY_START:  # a statement issued after the policy: at school once it is issued
        return [(school_at(h, day, world.successions), "C")] if day >= h.first_date else []
    stop, _ = stop_of(h, Period("", day, day, day), world.successions)
    return [(school_at(h, day, world.successions), "C")] if day < stop and _age(h, day) <= 13 else []


def _age(h: History, day: date) -> int:
    return (day.year - 1 if day.month < 9 else day.year) - _cohort(h.dob) - 5


def _schools(world: World, census: pl.DataFrame, p: Period) -> pl.DataFrame:
    """The schools input: every school opened by the period's end, with its §11 columns.

    SSA follows the school's census pupils (£80 each and £8,000); 0 for a school open on no day
    of the period and for a setting outside the formula."""
    counted = census.filter(pl.col("EnrolStatus").is_in(["C", "M"])).group_by("LAEstab").agg(
        pl.len().alias("n"), (pl.col("SENprovision").is_in(["A", "P", "K"]).sum()
                              + pl.col("FSMeligible").sum()).alias("need"))
    n = dict(zip(counted["LAEstab"].to_list(), counted["n"].to_list()))
    need = dict(zip(counted["LAEstab"].to_list(), counted["need"].to_list()))
    mean = sum(need.values()) / max(sum(n.values()), 1)
    rows = []
    for r in listed(world, p.label, p.end):
        open_now = (r.opened or date.min) <= p.end and (r.closed or date.max) >= p.start
        pupils = n.get(r.id, 0)
        ssa = (pupils * 80 + 8_000) * 100 + pupils * 37 % 100 if open_now and r.in_formula else 0
        index = round(100 * need.get(r.id, 0) / pupils / mean, 1) if pupils and mean else 0.0
        known = r.closed is not None and r.closed < p.end  # a closing is recorded once it falls in the year
        rows.append((r.id, r.name, r.cluster or None, r.cluster_name or None, r.phase, ssa, index, r.opened,
                     r.closed if known else None, r.successor if known and r.successor else None,
                     None if r.in_formula else "No", r.pupils_override.get(p.label)))
    schema = {"DfE Number": pl.String, "School Name": pl.String, "Cluster Code": pl.String,
              "Cluster Name": pl.String, "Phase": pl.String, "School Specific Allocation": pl.Int64,
              "SEN Need Index": pl.Float64, "Opened": pl.Date, "Closed": pl.Date, "Successor DfE": pl.String,
              "In Formula": pl.String, "Pupils Override": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(
        pl.col("Cluster Code").fill_null("~"), "DfE Number")


def _statements(histories: list[History], p: Period) -> pl.DataFrame:
    """Every statement row in force by the period's end: a history's first row, its amendments
    and EHC transfer, its ceasing and reissue (§11.3)."""
    rows = []
    for h in histories:
        if h.first_date > p.end or (h.missing_from and p.label >= h.missing_from):
            continue
        rows.append((h.upn, h.dob, h.first_date, h.school, h.amount, h.stream, None, None, None))
        for when, pence, event in h.later:
            if when <= p.end:
                rows.append((h.upn, h.dob, when, h.school, pence, h.stream, None, when, event))
        if h.ceased and h.ceased <= p.end:
            rows.append((h.upn, h.dob, h.first_date, h.school, h.rate_at(h.ceased), h.stream, None, h.ceased,
                         "ceased"))
        if h.reissued and h.reissued <= p.end:
            rows.append((h.upn, h.dob, h.reissued, h.school, h.amount, h.stream, None, h.reissued, "reissued"))
    schema = {"Pupil UPN": pl.String, "Date of Birth": pl.Date, "Statement Date": pl.Date,
              "PSF School (DfE)": pl.String, "Annual PSF": pl.Int64, "Funding Stream": pl.String,
              "Ceased Date": pl.Date, "Effective Date": pl.Date, "Event": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(
        "PSF School (DfE)", "Pupil UPN", "Funding Stream", pl.col("Effective Date").fill_null(date(1, 1, 1)))


def _moves(histories: list[History], p: Period) -> pl.DataFrame:
    """Every move recorded by the period's end (earlier years' too: they place the child)."""
    rows = [(h.upn, a, b, when, reason) for h in histories for when, a, b, reason in h.moves if when <= p.end]
    schema = {"UPN": pl.String, "From School (DfE)": pl.String, "To School (DfE)": pl.String,
              "Date of Move": pl.Date, "Move Type": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("Date of Move", "UPN")


def _links(world: World, p: Period) -> pl.DataFrame:
    """The GIAS links of the schools listed, both directions as GIAS exports them."""
    ids = {r.id for r in listed(world, p.label, p.end)}
    rows = [(k.school, k.linked, k.kind, k.when) for k in world.links
            if k.school in ids and k.linked in ids and (k.when is None or k.when <= p.end)]
    schema = {"DfE Number": pl.String, "Link DfE Number": pl.String, "Link Type": pl.String,
              "Link Established Date": pl.Date}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("DfE Number", "Link DfE Number", "Link Type")


def planted_rows(planted: list[Planted], histories: list[History], expected: dict[int, list[Line]],
                 p: Period, world: World) -> pl.DataFrame:
    """planted.csv: every expected line, with the SPEC sections beyond §3 its outcome needs."""
    census_cases = {id(c.history): c for c in planted}
    rows = []
    for h in histories:
        lines = expected.get(id(h))
        if not lines:
            continue
        rules = " ".join(sorted(_rules(h, lines, p, world, census_cases.get(id(h)))))
        for line in lines:
            rows.append((h.case, h.upn, h.stream, h.school, line.paid_school, line.reason, line.paid,
                         line.released, line.annual, rules, h.note))
    schema = {"case": pl.String, "upn": pl.String, "stream": pl.String, "psf_school_id": pl.String,
              "paid_school_id": pl.String, "reason": pl.String, "paid_pence": pl.Int64,
              "released_pence": pl.Int64, "annual_pence": pl.Int64, "rules": pl.String, "note": pl.String}
    order = {c: k for k, c in enumerate(CASE_ORDER)}
    frame = pl.DataFrame(rows, schema=schema, orient="row").with_row_index("line")
    return frame.sort(pl.col("case").replace_strict(order, return_dtype=pl.Int64), "upn", "stream",
                      "line").drop("line")


def _rules(h: History, lines: list[Line], p: Period, world: World, case: Planted | None) -> set[str]:
    """The sections of SPEC §11 (beyond §3) that this history's expected lines rest on."""
    rules = set()
    if any(line.reason in ("stopped_last_year", "missing_from_statements") for line in lines) \
            or h.reinstate_in == p.label:
        rules.add("11.4")
    elif _key(lines_for(h, p, {})) != _key(lines):
        rules.add("11.1")
    if any(when <= p.end for when, _, _ in h.later) or (h.ceased and h.ceased <= p.end) \
            or (h.reissued and h.reissued <= p.end):
        rules.add("11.3")
    if case and any(status != "C" for _, status in case.census.get(p.label, [])):
        rules.add("11.5")
    if case and h.case == "trial_managed_move" and p.label == "2015-16":
        rules.add("11.6")
    if p.start < POLICY_START:
        if h.first_date > p.start or lines[-1].reason == "phase_end" and protected_end(h.dob) == POLICY_START:
            rules.add("11.10")
        if any(when < POLICY_START for when, *_ in h.moves) or (case and p.label in case.census):
            rules.add("11.7")
    if lines and lines[-1].reason == "phase_end" and _closes_same_day(h, world):
        rules.add("11.9")
    return rules


def _closes_same_day(h: History, world: World) -> bool:
    """A phase end on the day the funding school closes (the tie of §11.9)."""
    final = world.successions.get(school_at(h, FAR, world.successions))
    return final is not None and final.to is None


def _key(lines: list[Line]) -> list[tuple]:
    return [(line.paid_school, line.paid, line.released, line.reason) for line in lines]
