"""`senrun sample`: reproducible synthetic data whose planted answers can be trusted.

The expected outcomes in planted.csv are re-derived here from the written files alone
(dates of birth, SPEC §2's ageing rule, months of the period), so a generator bug that
mislabels a child shows up as a failing test rather than as a wrong check on the engine.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml
from stdnum.gb import upn as stdnum_upn

from senrun.sample.generate import SCALES, generate_sample
from senrun.sample.cases import CASES, NOTES
from senrun.sample.pupils import check_index, UPN_LETTERS

PLANTED_COLUMNS = ["case", "upn", "stream", "school_id", "reason", "paid_pence", "released_pence", "note"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_sample("demo", 7, out)
    return out


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("la")
    return out, generate_sample("la", 2013, out)


def _read(out: Path, stem: str, sheet: str) -> pl.DataFrame:
    if (out / f"{stem}.parquet").exists():
        return pl.read_parquet(out / f"{stem}.parquet")
    return pl.read_excel(out / f"{stem}.xlsx", sheet_name=sheet)


def _census(out: Path) -> pl.DataFrame:
    frame = pl.read_csv(out / "census.csv", infer_schema=False)
    return frame.with_columns(pl.col("DOB").str.to_date("%d/%m/%Y"))


def _age_year(dob: date, academic_year: int) -> int:
    """SPEC §2, written out again: nc = A − cohort − 5."""
    cohort = dob.year if dob.month >= 9 else dob.year - 1
    return academic_year - cohort - 5


def test_the_same_seed_gives_byte_identical_files(demo, tmp_path):
    generate_sample("demo", 7, tmp_path)
    names = sorted(p.name for p in demo.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (demo / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_gives_other_data(demo, tmp_path):
    generate_sample("demo", 8, tmp_path)
    assert (demo / "census.csv").read_bytes() != (tmp_path / "census.csv").read_bytes()


def test_an_unknown_scale_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        generate_sample("county", 1, tmp_path)


def test_the_check_letter_matches_the_spec_example_and_stdnum():
    import numpy as np

    bodies = np.array([801200005001, 926200512003, 201300199999], dtype=np.int64)
    letters = UPN_LETTERS[check_index(bodies)]
    assert letters[0] == "B"
    for body, letter in zip(bodies.tolist(), letters.tolist()):
        assert stdnum_upn.is_valid(f"{letter}{body:012d}")


@pytest.mark.parametrize("scale", ["demo", "la"])
def test_upns_are_unique_and_valid_but_for_the_planted_wrong_letters(scale, demo, la):
    out = demo if scale == "demo" else la[0]
    census = _census(out)
    assert census["UPN"].n_unique() == census.height
    invalid = [u for u in census["UPN"].to_list() if not stdnum_upn.is_valid(u)]
    assert len(invalid) == SCALES[scale].wrong_letters
    assert all(len(u) == 13 for u in invalid)
    statements = _read(out, "statements", "Statements")
    assert all(stdnum_upn.is_valid(u) for u in statements["Pupil UPN"].to_list())


def test_planted_csv_lists_every_statement_row_and_every_case(demo):
    planted = pl.read_csv(demo / "planted.csv", infer_schema=False)
    assert planted.columns == PLANTED_COLUMNS
    statements = _read(demo, "statements", "Statements")
    keys = set(zip(statements["Pupil UPN"], statements["Funding Stream"]))
    assert set(zip(planted["upn"], planted["stream"])) == keys
    assert planted.height == statements.height
    assert set(planted["case"]) == set(NOTES) | {"ordinary"}
    assert set(CASES) <= set(planted["case"])


def test_paid_and_released_add_up_to_the_annual_amount(demo, la):
    for out in (demo, la[0]):
        planted = pl.read_csv(out / "planted.csv",
                              schema_overrides={"upn": pl.String, "school_id": pl.String})
        statements = _read(out, "statements", "Statements").with_columns(
            (pl.col("Annual PSF") * 100).round(0).cast(pl.Int64).alias("annual"))
        joined = planted.join(statements, left_on=["upn", "stream"],
                              right_on=["Pupil UPN", "Funding Stream"], validate="1:1")
        assert (joined["school_id"] == joined["PSF School (DfE)"]).all()
        post = joined.filter(pl.col("reason") == "post_policy_statement")
        assert (post["paid_pence"] == 0).all() and (post["released_pence"] == 0).all()
        rest = joined.filter(pl.col("reason") != "post_policy_statement")
        assert (rest["paid_pence"] + rest["released_pence"] == rest["annual"]).all()


def test_the_spec_worked_examples_are_planted(demo):
    planted = pl.read_csv(demo / "planted.csv")
    year6 = planted.filter(pl.col("case") == "year6_leaver").row(0, named=True)
    assert (year6["paid_pence"], year6["released_pence"], year6["reason"]) == (411_523, 576_131, "phase_end")
    moved = planted.filter(pl.col("case") == "managed_move").row(0, named=True)
    assert (moved["paid_pence"], moved["reason"]) == (840_000, "continuing")


def test_ordinary_children_are_in_the_census_at_their_school_and_aged_by_the_spec(la):
    out = la[0]
    planted = pl.read_csv(out / "planted.csv", infer_schema=False).filter(pl.col("case") == "ordinary")
    statements = _read(out, "statements", "Statements")
    census = _census(out)
    rows = (planted.join(statements, left_on=["upn", "stream"], right_on=["Pupil UPN", "Funding Stream"])
            .join(census, left_on="upn", right_on="UPN"))
    assert rows.height == planted.height
    assert (rows["LAEstab"] == rows["school_id"]).all()
    assert (rows["DOB"] == rows["Date of Birth"]).all()
    last_year = {"nursery": -1, "primary": 6, "secondary": 11, "post16": 13}
    for row in rows.iter_rows(named=True):
        before = _age_year(row["Date of Birth"], 2011)  # on 31 August 2012
        phase = next(p for p, (lo, hi) in {"nursery": (-2, -1), "primary": (0, 6), "secondary": (7, 11),
                                            "post16": (12, 13)}.items() if lo <= before <= hi)
        stops = date(2011 + last_year[phase] - before + 1, 9, 1)
        months = sum(1 for m in range(12) if date(2013 + (3 + m) // 12, (3 + m) % 12 + 1, 1) < stops)
        annual = round(Decimal(str(row["Annual PSF"])) * 100)
        assert int(row["paid_pence"]) == int((2 * annual * months + 12) // 24), row
        assert row["reason"] == ("continuing" if months == 12 else "phase_end")


def test_planted_dates_of_birth_are_the_ones_the_cases_need(demo):
    planted = pl.read_csv(demo / "planted.csv", infer_schema=False)
    statements = _read(demo, "statements", "Statements")
    dob = dict(zip(statements["Pupil UPN"], statements["Date of Birth"]))
    by_case = {case: dob[upn] for case, upn in zip(planted["case"], planted["upn"])}
    assert by_case["born_31_august"] == date(2002, 8, 31)
    assert by_case["born_1_september"] == date(2002, 9, 1)
    assert by_case["leap_day"] == date(2004, 2, 29)
    assert _age_year(by_case["nursery_to_reception"], 2011) == -1
    assert _age_year(by_case["year11_leaver"], 2012) == 11
    census = _census(demo)
    upn = planted.filter(pl.col("case") == "taught_year_mismatch")["upn"][0]
    child = census.filter(pl.col("UPN") == upn).row(0, named=True)
    assert (_age_year(child["DOB"], 2012), child["NCyearActual"]) == (6, "5")


def test_recorded_moves_chain_from_the_statement_school(demo, la):
    for out in (demo, la[0]):
        statements = _read(out, "statements", "Statements")
        schools = set(_read(out, "schools", "Schools")["DfE Number"])
        moves = _read(out, "moves", "Moves").sort("Date of Move")
        at = dict(zip(statements["Pupil UPN"], statements["PSF School (DfE)"]))
        for row in moves.iter_rows(named=True):
            if row["Date of Move"] >= date(2012, 9, 1):  # earlier moves precede the PSF school
                assert at[row["UPN"]] == row["From School (DfE)"], row
                at[row["UPN"]] = row["To School (DfE)"]
            assert row["To School (DfE)"] in schools


def test_census_rows_at_special_schools_outside_the_schools_input(la):
    out = la[0]
    schools = set(_read(out, "schools", "Schools")["DfE Number"])
    outside = _census(out).filter(~pl.col("LAEstab").is_in(list(schools)))
    assert outside.height > 0
    assert outside["LAEstab"].str.starts_with("9267").all()


def test_the_config_parses_and_its_budget_matches_the_files(demo, la):
    for out in (demo, la[0]):
        config = yaml.safe_load((out / "senrun.yaml").read_text(encoding="utf-8"))
        for spec in config["inputs"].values():
            assert (out / spec["path"]).is_file()
        budget = config["budget"]
        ssa = _read(out, "schools", "Schools")["School Specific Allocation"]
        assert Decimal(budget["ssa_total"]) == sum(Decimal(str(v)) for v in ssa)
        assert Decimal(budget["sen_total"]) == Decimal(budget["ssa_total"]) + budget["pupil_specific_pot"]
        annual = _read(out, "statements", "Statements")["Annual PSF"].sum()
        assert budget["pupil_specific_pot"] > annual


def test_la_scale_is_about_the_size_of_the_reference_authority(la):
    out, counts = la
    assert 380 <= counts["schools"] <= 470 and counts["clusters"] == 46
    census = _census(out)
    compulsory = census.filter(pl.col("NCyearActual").is_in(["R"] + [str(y) for y in range(1, 12)]))
    assert 95_000 <= compulsory.height <= 125_000
    assert census["NCyearActual"].is_in(["N1", "N2"]).any()
    assert census["NCyearActual"].is_in(["12", "13"]).any()
    statements = _read(out, "statements", "Statements")
    assert 1_400 <= statements.height <= 1_600
    assert 12e6 <= statements["Annual PSF"].sum() <= 18e6
    assert 12e6 <= _read(out, "schools", "Schools")["School Specific Allocation"].sum() <= 18e6
    schools = _read(out, "schools", "Schools")
    assert schools["DfE Number"].str.contains(r"^926\d{4}$").all() and schools["DfE Number"].is_unique().all()
    assert not schools["School Name"].str.contains(r"^[=+\-@]").any()
    phases = set(schools["Phase"])
    assert {"Infant", "Junior", "Primary", "Secondary"} <= phases
    cases = pl.read_csv(out / "planted.csv", infer_schema=False)["case"].value_counts()
    planted = cases.filter(pl.col("case").is_in(list(CASES)))
    assert planted["count"].min() >= 3 and planted["count"].max() <= 10


# --- A second, independent count: SPEC §3 day by day, from the written files only --------

POLICY_START, CENSUS_DATE = date(2012, 9, 1), date(2013, 1, 17)
PERIOD_START, PERIOD_END = date(2013, 4, 1), date(2014, 3, 31)
MONTH_STARTS = [date(2013 + (3 + m) // 12, (3 + m) % 12 + 1, 1) for m in range(12)]
REASON_ORDER = ["stream_ended", "phase_end", "casual_move", "transfer", "not_in_census", "ceased"]
PHASE_LAST = [(-2, -1, -1), (0, 6, 6), (7, 11, 11), (12, 13, 13)]


def _school_on(start: str, moves: list, day: date) -> str:
    school = start
    for when, _from, to, _reason in moves:
        if when <= day:
            school = to
    return school


def _stops(row: dict, moves: list, census_school: str | None) -> list[tuple[date, str]]:
    """Every cause that stops this row's PSF, with its date."""
    stops = []
    if row["Funding Stream"] != "PSF":
        stops.append((POLICY_START, "stream_ended"))
    before = _age_year(row["Date of Birth"], 2011)
    last = next((end for lo, hi, end in PHASE_LAST if lo <= before <= hi), None)
    stops.append((POLICY_START if last is None else date(2011 + last - before + 1, 9, 1), "phase_end"))
    stops += [(when, "casual_move" if reason == "casual" else "transfer")
              for when, _f, _t, reason in moves if reason != "managed_move"]
    expected_school = _school_on(row["PSF School (DfE)"], moves, CENSUS_DATE)
    if census_school is None:
        stops.append((PERIOD_START, "not_in_census"))
    elif census_school != expected_school:
        stops.append((PERIOD_START, "casual_move"))
    if row["Ceased Date"] is not None:
        stops.append((row["Ceased Date"], "ceased"))
    return stops


def _outcome(row: dict, moves: list, census_school: str | None) -> tuple[str, int, int]:
    annual = round(Decimal(str(row["Annual PSF"])) * 100)
    if row["Statement Date"] >= POLICY_START:
        return "post_policy_statement", 0, 0
    stop, reason = min(_stops(row, moves, census_school), key=lambda s: (s[0], REASON_ORDER.index(s[1])))
    months: dict[str, int] = {}
    for day in MONTH_STARTS:
        if day < stop:
            school = _school_on(row["PSF School (DfE)"], moves, day)
            months[school] = months.get(school, 0) + 1
    paid = sum((2 * annual * m + 12) // 24 for m in months.values())
    return (reason if stop <= PERIOD_END else "continuing"), int(paid), int(annual - paid)


@pytest.mark.parametrize("scale", ["demo", "la"])
def test_every_planted_answer_agrees_with_a_day_by_day_count(scale, demo, la):
    out = demo if scale == "demo" else la[0]
    statements = _read(out, "statements", "Statements")
    census = dict(zip(*_census(out).select("UPN", "LAEstab").get_columns()))
    moves: dict[str, list] = {}
    for m in _read(out, "moves", "Moves").sort("Date of Move").iter_rows():
        if m[3] >= POLICY_START:  # moves before the policy are reflected in the PSF school
            moves.setdefault(m[0], []).append((m[3], m[1], m[2], m[4]))
    planted = pl.read_csv(out / "planted.csv", infer_schema=False)
    answers = {(r["upn"], r["stream"]): r for r in planted.iter_rows(named=True)}
    for row in statements.iter_rows(named=True):
        upn = row["Pupil UPN"]
        want = answers[(upn, row["Funding Stream"])]
        got = _outcome(row, moves.get(upn, []), census.get(upn))
        assert got == (want["reason"], int(want["paid_pence"]), int(want["released_pence"])), want


def test_a_school_already_called_an_academy_is_not_named_academy_academy_when_it_converts_again():
    # the chain's conversion by links had named its academy "Draycot Primary Academy Academy"
    from senrun.sample.world import _academy

    assert _academy("Draycot Primary") == "Draycot Primary Academy"
    assert _academy("Draycot Primary Academy") == "Draycot Primary Academy"
    assert _academy("Draycot Primary Academy", "Trust Academy") == "Draycot Primary Trust Academy"
