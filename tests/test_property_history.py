"""Statement histories and registers keep the money whole (SPEC §1, §11.3, §11.4), shown with hypothesis.

For generated histories (issued, amended, ehc_transfer, ceased, reissued rows; blank amounts
that keep the rate) and a generated last year's register (continuing or stopped lines, some
children reinstated): the money identity holds to the penny, the schools' PSF sums to the
continuing PSF, no line releases a negative amount, and a history stopped last year and not
reinstated is never paid.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import examples, write_csv, write_run
from senrun.config.loader import load_config
from senrun.pipeline import allocate

HEADER = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
          "effective_date", "event"]
REGISTER = ["upn", "stream", "psf_school_id", "paid_school_id", "annual_amount", "paid_from", "paid_to",
            "paid_amount", "released_amount", "reason"]
STOPS = ["phase_end", "casual_move", "not_in_census", "ceased", "post_policy_statement"]
SCHOOLS = ["A", "B", "H"]


def day(draw, start: date, span: int) -> date:
    return start + timedelta(days=draw(st.integers(0, span)))


def money(draw, blank_ok: bool = False) -> str:
    if blank_ok and draw(st.booleans()):
        return ""
    return f"{draw(st.integers(0, 3_000_000)) / 100:.2f}"


@st.composite
def history(draw, upn: str) -> list[dict]:
    """One child's rows: issued, then amendments and transfers on distinct later dates, perhaps a
    ceasing and a reissue."""
    dob = day(draw, date(1998, 9, 1), 365 * 12).isoformat()
    school = draw(st.sampled_from(SCHOOLS))
    first = day(draw, date(2006, 1, 1), 365 * 8)
    base = {"upn": upn, "date_of_birth": dob, "school_id": school, "stream": "PSF", "ceased_date": ""}
    rows = [{**base, "statement_date": first.isoformat(), "annual_amount": money(draw), "effective_date": "",
             "event": "issued"}]
    when = first
    for event in draw(st.lists(st.sampled_from(["amended", "ehc_transfer"]), max_size=3)):
        when += timedelta(days=draw(st.integers(1, 400)))
        rows.append({**base, "statement_date": when.isoformat(), "annual_amount": money(draw, True),
                     "effective_date": when.isoformat(), "event": event})
    if draw(st.booleans()):
        when += timedelta(days=draw(st.integers(1, 400)))
        rows.append({**base, "statement_date": when.isoformat(), "annual_amount": "",
                     "effective_date": when.isoformat(), "event": "ceased"})
        if draw(st.booleans()):
            when += timedelta(days=draw(st.integers(1, 400)))
            rows.append({**base, "statement_date": when.isoformat(), "annual_amount": money(draw),
                         "effective_date": when.isoformat(), "event": "reissued"})
    if draw(st.integers(0, 4)) == 0:
        rows[0]["ceased_date"] = day(draw, date(2013, 4, 1), 365).isoformat()
    return rows


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 6))
    upns = [f"A{k:012d}" for k in range(n)]
    statements = [r for u in upns for r in draw(history(u))]
    register = []
    for upn in upns:
        if draw(st.booleans()):
            reason = draw(st.sampled_from(["continuing", *STOPS]))
            register.append({"upn": upn, "stream": "PSF", "psf_school_id": "A", "paid_school_id": "A",
                             "annual_amount": "100.00", "paid_from": "2012-04-01", "paid_to": "2012-08-31",
                             "paid_amount": "41.67", "released_amount": "0.00", "reason": reason})
    reinstate = [{"upn": r["upn"], "stream": "PSF", "reason": "a test"} for r in register
                 if r["reason"] != "continuing" and draw(st.integers(0, 2)) == 0]
    return statements, register, reinstate, draw(st.sampled_from(["months", "days"]))


@settings(max_examples=examples(15, 100), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
def test_histories_and_registers_keep_the_money_whole_and_never_pay_a_stopped_line(tmp_path_factory, scenario):
    statements, register, reinstate, prorate = scenario
    folder = tmp_path_factory.mktemp("h")
    path = write_run(folder, statements=[], prorate=prorate, reinstate=reinstate,
                     budget={"pupil_specific_pot": 100_000_000})
    write_csv(folder / "statements.csv", statements, HEADER)
    with (folder / "last.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=REGISTER)
        w.writeheader()
        w.writerows(register)
    r = allocate(load_config(path), register=folder / "last.csv")
    t = r.totals
    assert t.pupil_specific_pot == t.continuing_psf + t.topslices_total + t.cluster_pot
    assert int(r.schools["psf"].sum()) == t.continuing_psf == int(r.psf["paid_amount"].sum())
    assert r.psf["released_amount"].min() >= 0
    lifted = {x["upn"] for x in reinstate}
    stopped = [x["upn"] for x in register if x["reason"] != "continuing" and x["upn"] not in lifted]
    held = r.psf.filter(pl.col("upn").is_in(stopped))
    assert held["paid_amount"].sum() == 0
    assert set(held["reason"]) <= {"stopped_last_year"}
    assert held.group_by("upn", "stream").len()["len"].max() in (None, 1)  # one line each
