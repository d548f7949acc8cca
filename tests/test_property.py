"""Money is conserved for any input (SPEC §1), shown with hypothesis.

For generated schools (some converting, amalgamating or closing, SPEC §11.1), pupils, statements,
moves and formulas:
pupil_specific_pot = continuing_psf + topslices + cluster_pot to the penny, every element
column sums to its total, the schools' PSF sums to continuing PSF (SPEC §11.10), every school's total is ssa + psf + cluster_share, and no school
gets a negative amount.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import examples, run
from senrun.errors import SenrunError

DAY0 = date(1996, 9, 1)


@st.composite
def scenarios(draw):
    n_schools = draw(st.integers(1, 6))
    schools = [{"school_id": f"S{i}", "school_name": f"School {i}", "cluster_id": f"K{draw(st.integers(0, 2))}",
                "pupils": str(draw(st.integers(0, 400))), "ssa": f"{draw(st.integers(0, 10**7)) / 100:.2f}",
                "need": str(draw(st.integers(0, 50)))} for i in range(n_schools)]
    for i, s in enumerate(schools):  # a later school may succeed an earlier one; some close with none
        closes = draw(st.sampled_from(["", "", "2013-08-31", "2013-12-31", "2012-12-31"]))
        later = [f"S{j}" for j in range(i + 1, n_schools)]
        s["closed"] = closes
        s["successor_id"] = draw(st.sampled_from(["", *later])) if closes and later else ""
        if closes == "2012-12-31":  # open on no day of the period: no row, so no SSA (SPEC §11.11)
            s["ssa"] = "0.00"
    if all(s["pupils"] == "0" for s in schools):
        schools[0]["pupils"] = "1"
    ids = [s["school_id"] for s in schools]
    statements, moves = [], []
    for k in range(draw(st.integers(0, 8))):
        upn = f"A{k:012d}"
        dob = DAY0 + timedelta(days=draw(st.integers(0, 365 * 14)))
        school = draw(st.sampled_from(ids))
        statements.append({
            "upn": upn, "date_of_birth": dob.isoformat(),
            "statement_date": (date(2004, 1, 1) + timedelta(days=draw(st.integers(0, 365 * 10)))).isoformat(),
            "school_id": school, "annual_amount": f"{draw(st.integers(0, 3_000_000)) / 100:.2f}",
            "stream": draw(st.sampled_from(["PSF", "PSF", "SSMN", "FYS"])),
            "ceased_date": draw(st.sampled_from(["", "2013-07-01", "2013-12-15"]))})
        if draw(st.booleans()):
            moves.append({"upn": upn, "from_school_id": school, "to_school_id": draw(st.sampled_from(ids)),
                          "move_date": (date(2012, 9, 1) + timedelta(days=draw(st.integers(0, 600)))).isoformat(),
                          "reason": draw(st.sampled_from(["managed_move", "casual", "transfer"]))})
    census = None
    if draw(st.booleans()):  # a census: each school one pupil; statement children 0–2 registrations (§11.5)
        census = [{"upn": f"P{i:012d}", "school_id": sid, "date_of_birth": "2005-05-05", "enrol_status": "C"}
                  for i, sid in enumerate(ids)]
        for row in statements:
            for status in draw(st.sampled_from([[], ["C"], ["M", "S"], ["G"], ["S", "M", "G"]])):
                census.append({"upn": row["upn"], "school_id": draw(st.sampled_from(ids)),
                               "date_of_birth": row["date_of_birth"], "enrol_status": status})
    elements = []
    if draw(st.booleans()):
        elements.append({"name": "lump", "basis": "per_school", "rate": draw(st.integers(0, 2000))})
    if draw(st.booleans()):
        elements.append({"name": "need", "basis": "column:need", "share": f"0.{draw(st.integers(0, 40)):02d}"})
    elements.append({"name": "per_pupil", "basis": "pupils", "remainder": True})
    aids, host = draw(st.integers(0, 5000)), draw(st.integers(0, 500))
    return dict(schools=schools, statements=statements, moves=moves, census=census, transfer=draw(st.sampled_from(["ends", "keeps"])),
                prorate=draw(st.sampled_from(["months", "days"])),
                budget={"pupil_specific_pot": pot_mostly_covering(draw, statements, aids + 3 * host)},
                topslices=[{"name": "aids", "amount": aids}, {"name": "host", "per_cluster": host}],
                formula={"elements": elements})


def pot_mostly_covering(draw, statements: list[dict], topslices: int) -> int:
    """The pupil-specific pot in pounds: four times in five at least every statement's annual amount and
    the top-slices (so that most examples run the formula rather than being refused), else any."""
    if draw(st.integers(0, 4)) == 4:
        return draw(st.integers(0, 3_000_000))
    owed = sum(Decimal(s["annual_amount"]) for s in statements)
    return int(owed) + 1 + topslices + draw(st.integers(0, 3_000_000))


#: The refusals a generated example may meet (all the formula's, SPEC §4), by the words that begin their reason.
REFUSALS = ("the cluster pot would be negative", "no school has any units", "before its remainder element",
            "the scaling factor would be more than 1")


def refused_as_allowed(exc: SenrunError, covered: bool) -> None:
    """The run was refused only as the formula may be: the pot short of PSF and the top-slices (never when it
    covers them), an element with no units, a formula spending its pot before its remainder, a floor the gains
    cannot pay."""
    assert {i.code for i in exc.errors} == {"formula"}, exc.text()
    for issue in exc.errors:
        assert any(words in issue.message for words in REFUSALS), issue.message
        assert not (covered and REFUSALS[0] in issue.message), issue.message


@settings(max_examples=examples(40, 200), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
def test_money_is_conserved_to_the_penny_for_any_input(tmp_path_factory, scenario):
    folder = tmp_path_factory.mktemp("p")
    if not scenario["statements"]:
        scenario["statements"] = []
    try:
        r = run(folder, **scenario)
    except SenrunError as exc:
        owed = sum(Decimal(s["annual_amount"]) for s in scenario["statements"])
        topslices = sum(t.get("amount", 0) + 3 * t.get("per_cluster", 0) for t in scenario["topslices"])
        refused_as_allowed(exc, covered=scenario["budget"]["pupil_specific_pot"] > owed + topslices)
        return
    t = r.totals
    assert t.pupil_specific_pot == t.continuing_psf + t.topslices_total + t.cluster_pot
    s = r.schools
    for e in r.elements:
        assert int(s[f"formula_{e.name}"].sum()) == e.total
    assert int(s["cluster_share"].sum()) == t.cluster_pot
    assert int(s["psf"].sum()) == t.continuing_psf
    assert (s["total"] == s["ssa"] + s["psf"] + s["cluster_share"]).all()
    assert all(bool((s[c] >= 0).all()) for c in ("psf", "cluster_share", "total"))
    assert int(r.psf["paid_amount"].sum()) == t.continuing_psf


@st.composite
def round_two_scenarios(draw):
    """Schools that open or close in the period (or outside it), settings outside the formula, need values
    with many decimals, a per-cluster element and a protection floor against a random last year."""
    n_schools = draw(st.integers(1, 6))
    schools = []
    for i in range(n_schools):
        outside = draw(st.booleans()) and i > 0
        schools.append({
            "school_id": f"S{i}", "school_name": f"School {i}",
            "cluster_id": "" if outside and draw(st.booleans()) else f"K{draw(st.integers(0, 2))}",
            "pupils": str(draw(st.integers(1, 400))), "ssa": f"{draw(st.integers(0, 10**6)) / 100:.2f}",
            "need": f"{draw(st.integers(0, 10**9)) / 10**8:.8f}",
            "opened": draw(st.sampled_from(["", "", "2013-09-02", "2013-04-15", "2014-06-01"])),
            "closed": draw(st.sampled_from(["", "", "2013-12-31", "2013-03-31", "2013-08-31"])),
            "in_formula": "no" if outside else draw(st.sampled_from(["", "yes"]))})
    schools[0].update(opened="", closed="")  # one school in the formula all year
    for s in schools:
        if s["opened"] and s["closed"] and s["closed"] < s["opened"]:  # closing before opening is an error
            s["closed"] = ""
        if s["closed"] == "2013-03-31" or s["opened"] == "2014-06-01":  # no row, so no SSA (SPEC §11.11)
            s["ssa"] = "0.00"
    statements = []
    for k in range(draw(st.integers(1, 5))):
        statements.append({
            "upn": f"A{k:012d}", "stream": "PSF", "ceased_date": "",
            "date_of_birth": (DAY0 + timedelta(days=draw(st.integers(0, 365 * 14)))).isoformat(),
            "statement_date": "2010-01-01", "school_id": draw(st.sampled_from([s["school_id"] for s in schools])),
            "annual_amount": f"{draw(st.integers(0, 500_000)) / 100:.2f}"})
    elements = [{"name": "lump", "basis": "per_school", "rate": draw(st.integers(0, 2000))},
                {"name": "host", "basis": "per_cluster", draw(st.sampled_from(["rate", "share"])):
                    draw(st.sampled_from(["0.05", "0.2", "300"]))},
                {"name": "need", "basis": "column:need", "share": "0.1"},
                {"name": "per_pupil", "basis": "pupils", "remainder": True}]
    if elements[1].get("share") == "300":
        elements[1] = {"name": "host", "basis": "per_cluster", "rate": 300}
    if elements[1].get("rate") in ("0.05", "0.2"):
        elements[1] = {"name": "host", "basis": "per_cluster", "share": elements[1]["rate"]}
    # last year's allocations in pence, about this year's size, so that floors bite and gains pay for them
    previous = {f"K{c}": draw(st.integers(0, 10_000_000)) for c in range(3) if draw(st.booleans())}
    return dict(schools=schools, statements=statements, prorate=draw(st.sampled_from(["months", "days"])),
                budget={"pupil_specific_pot": draw(st.integers(20_000, 200_000))},
                topslices=[{"name": "host", "per_cluster": draw(st.integers(0, 500))},
                           {"name": "each", "per_school": draw(st.integers(0, 50))}],
                formula={"elements": elements, "protection": {"floor_pct": -draw(st.integers(0, 20))}},
                previous=previous)


@settings(max_examples=examples(15, 100), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(round_two_scenarios())
def test_money_is_conserved_with_open_time_settings_outside_the_formula_per_cluster_and_a_floor(
        tmp_path_factory, scenario):
    from senrun.config.loader import load_config
    from senrun.pipeline import allocate

    from builders import write_run

    folder = tmp_path_factory.mktemp("p2")
    previous = scenario.pop("previous")
    try:
        r = allocate(load_config(write_run(folder, **scenario)), previous=previous)
    except SenrunError as exc:
        refused_as_allowed(exc, covered=False)
        return
    t, s = r.totals, r.schools
    assert t.pupil_specific_pot == t.continuing_psf + t.topslices_total + t.cluster_pot
    for e in r.elements:  # protection's total is 0
        assert int(s[f"formula_{e.name}"].sum()) == e.total
    assert int(s["cluster_share"].sum()) == t.cluster_pot
    assert int(s["psf"].sum()) == t.continuing_psf
    assert (s["total"] == s["ssa"] + s["psf"] + s["cluster_share"]).all()
    assert all(bool((s[c] >= 0).all()) for c in ("psf", "cluster_share", "total"))
    outside = {x["school_id"] for x in scenario["schools"] if x["in_formula"] == "no"}
    assert int(s.filter(s["school_id"].is_in(list(outside)))["cluster_share"].abs().sum()) == 0
