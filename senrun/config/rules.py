"""The config's checks that span keys (SPEC §9): the period, the elements, the top-slices and the
percentages, run by `config_from_mapping` once every key has been checked on its own (`keys.py`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..money import EXACT
from .keys import Checker, number_text


def semantics(c: dict, check: Checker) -> None:
    """Checks that span keys: the period, the elements, the top-slices."""
    start, end = c["period"].get("start"), c["period"].get("end")
    if start and end:
        if end < start:
            check.problem("period.end", f"the period ends ({end}) before it starts ({start})")
        elif end >= _add_year(start):
            check.problem("period.end", f"the period {start} – {end} is longer than a year",
                          expected="a period of at most one year")
        if c["prorate"] == "months" and start.day != 1:
            check.problem("period.start", f"with prorate: months the period must start on the 1st of a month, "
                          f"not {start}", expected="e.g. 2013-04-01, or prorate: days")
        if c["prorate"] == "months" and start <= end < _add_year(start) and (end + timedelta(days=1)).day != 1:
            # a month is paid whole or not at all: a part month would be paid whole, to a day after the period
            check.problem("period.end", f"with prorate: months the period must end on the last day of a month, "
                          f"not {end}", expected="e.g. 2014-03-31, or prorate: days")
    elements = c["formula"].get("elements") or []
    if not elements and "formula" in c:
        check.problem("formula.elements", "the formula has no elements", expected="at least one element")
    remainders = [i for i, e in enumerate(elements) if e.get("remainder")]
    for i in remainders[1:]:
        check.problem(f"formula.elements[{i}].remainder", "only one element may be the remainder")
    for i, e in enumerate(elements):
        given = [k for k in ("rate", "share") if e.get(k) is not None] + (["remainder"] if e.get("remainder") else [])
        if len(given) != 1:
            check.problem(f"formula.elements[{i}]", f"element '{e.get('name')}' must have exactly one of rate, "
                          f"share or remainder: true (it has {', '.join(given) or 'none'})")
        if e.get("share") is not None and not (0 <= e["share"] <= 1):
            check.problem(f"formula.elements[{i}].share", f"share {number_text(e['share'])} is not between 0 and 1")
        if isinstance(e.get("rate"), Decimal) and e["rate"] < 0:
            check.problem(f"formula.elements[{i}].rate", f"rate {number_text(e['rate'])} is negative")
        if e.get("nc_years") is not None and e.get("basis") in ("per_school", "per_cluster") or (
                e.get("nc_years") is not None and str(e.get("basis") or "").startswith("column:")):
            check.problem(f"formula.elements[{i}].nc_years", f"element '{e.get('name')}' has basis "
                          f"'{e['basis']}', which counts no pupils: nc_years would change nothing",
                          expected="nc_years only on a basis counted from the census (pupils, sen_support, "
                          "statements, fsm); per_cluster splits by formula.pupils")
    shares = Decimal(0)
    for e in elements:  # added exactly: Decimal's own + rounds to 28 digits, and 1 + 1e-29 would pass as 1
        shares = EXACT.add(shares, e["share"]) if e.get("share") is not None else shares
    if shares > 1:
        check.problem("formula.elements", f"the shares add up to {number_text(shares)}, more than the whole pot (1)")
    floor = (c["formula"].get("protection") or {}).get("floor_pct")
    if floor is not None and not (-100 <= floor <= 0):
        check.problem("formula.protection.floor_pct", f"floor_pct {number_text(floor)} is not between -100 and 0: "
                      "it is the most a cluster's allocation may fall on last year's, in %",
                      expected="e.g. -2 (no cluster loses more than 2%)", value=number_text(floor))
    flag = c["diff"].get("flag_pct")
    if flag is not None and flag < 0:
        check.problem("diff.flag_pct", f"flag_pct {number_text(flag)} is negative: it is the change on last year, "
                      "up or down, in %, above which a school is flagged",
                      expected="a percentage of 0 or more, e.g. 10", value=number_text(flag))
    if isinstance(c.get("census_move_tolerance_days"), int) and c["census_move_tolerance_days"] < 0:
        check.problem("census_move_tolerance_days", f"census_move_tolerance_days {c['census_move_tolerance_days']} "
                      "is negative", expected="0 or more days", value=c["census_move_tolerance_days"])
    for i, t in enumerate(c.get("topslices") or []):
        given = [k for k in ("amount", "per_cluster", "per_school") if t.get(k) is not None]
        if len(given) != 1:
            check.problem(f"topslices[{i}]", f"top-slice '{t.get('name')}' must have exactly one of amount, "
                          f"per_cluster or per_school")


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return date(d.year + 1, 3, 1)  # a period from 29 February may end on 28 February (SPEC §11.10)
