"""Cases the reading of inputs, the year-on-year diff and its parts, the run-off and the workbooks' figures
could get wrong without another test noticing: each a sentence citing the SPEC section, FAQ answer or
documented decision it encodes.  Amounts are integer pence, dates exact.
"""

from __future__ import annotations

from datetime import date
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from builders import lines_of, run, statement, write_run
from senrun.config.loader import load_config
from senrun.inputs.cells import parse_cells
from senrun.inputs.headers import not_annual
from senrun.inputs.schema import Column, Kind
from senrun.outputs.present import no_cluster_money, per_pupil, winners_losers
from senrun.errors import Issues
from senrun.pipeline import allocate, read_inputs
from senrun.yearly.attribution import PARTS, attribution_frame, attribution_runs
from senrun.yearly.diff import diff_frames, previous_config_issues
from senrun.yearly.projection import project
from senrun.yearly.runoff import runoff_by_school
from test_inputs import csv_file, read, read_ok
from test_links_by_urn import gias_run, school as urn_school

U1, U2 = "B801200005001", "E801200005002"


def _schools_csv(tmp_path: Path, opened: list[str]) -> Path:
    rows = [f"S{i},School {i},C1,10,{value}" for i, value in enumerate(opened)]
    return csv_file(tmp_path, "\n".join(["school_id,school_name,cluster_id,pupils,opened", *rows]) + "\n")


def _messages(issues) -> dict[int, str]:
    return {i.row: i.message for i in issues.errors}


def _codes(kind: Kind, name: str, texts: list[str]) -> list:
    return parse_cells(pl.Series(name, texts), Column(name, kind, required=False)).values.cast(pl.String).to_list()


# --- dates -------------------------------------------------------------------------------------

def test_an_opening_date_as_excel_serial_days_is_read_from_1_march_1900_to_31_december_2099_only__spec_11_1(
        tmp_path):
    # Excel's day 60 is 29 February 1900, a day that never was (read as a date it would be 28 February);
    # day 73051 is 1 January 2100, past the years senrun reads; 43344.5 is midday, a date-time, not a day
    table, issues = read(_schools_csv(tmp_path, ["61", "73050", "60", "73051", "43344.5", "43344.0"]), "schools")
    assert table.frame["opened"].to_list() == [date(1900, 3, 1), date(2099, 12, 31), None, None, None,
                                               date(2018, 9, 1)]
    assert sorted(_messages(issues)) == [4, 5, 6]
    assert _messages(issues)[5] == ('"73051" is a day number Excel shows as a date after 31/12/2099; senrun reads '
                                    'dates from 1900 to 2099: check the date')


def test_a_date_with_its_month_written_sept_is_read_as_september__spec_5(tmp_path):
    frame = read_ok(_schools_csv(tmp_path, ["1-Sept-2013", "1 Sep 2013", "01 September 2013"]), "schools")
    assert frame["opened"].to_list() == [date(2013, 9, 1)] * 3


def test_a_parquet_date_after_2099_is_refused_as_a_text_date_would_be__spec_5(tmp_path):
    path = tmp_path / "schools.parquet"
    pl.DataFrame({"school_id": ["A", "B"], "school_name": ["Ash", "Birch"], "cluster_id": ["C1", "C1"],
                  "pupils": ["10", "10"], "opened": [date(2099, 12, 31), date(2100, 1, 1)]}).write_parquet(path)
    table, issues = read(path, "schools")
    assert table.frame["opened"].to_list() == [date(2099, 12, 31), None]
    assert _messages(issues) == {3: '"2100-01-01" is not a date from 1900 to 2099'}


def test_a_childs_date_of_birth_as_a_serial_number_from_70000_is_told_as_excels_day_number__spec_5(tmp_path):
    path = csv_file(tmp_path, "upn,date_of_birth,statement_date,school_id,annual_amount\n"
                              f"{U1},72000,2010-03-01,A,100.00\n")
    _, issues = read(path)
    assert "looks like the day number Excel keeps a date as" in _messages(issues)[2]


# --- years and codes ---------------------------------------------------------------------------

def test_a_taught_year_written_yr5_is_year_5__spec_5():
    assert _codes(Kind.NC_YEAR, "nc_year_taught", ["YR5", "Yr 6", "Year 7", "Y8"]) == ["5", "6", "7", "8"]


@pytest.mark.parametrize("kind,name,written,code", [
    (Kind.SEN, "sen_provision", "No special educational need", "N"), (Kind.SEN, "sen_provision", "No SEN", "N"),
    (Kind.SEN, "sen_provision", "School Action", "A"), (Kind.SEN, "sen_provision", "School Action Plus", "P"),
    (Kind.SEN, "sen_provision", "Statement", "S"), (Kind.SEN, "sen_provision", "Statement of SEN", "S"),
    (Kind.SEN, "sen_provision", "SEN support", "K"), (Kind.SEN, "sen_provision", "EHC plan", "E"),
    (Kind.SEN, "sen_provision", "EHCP", "E"), (Kind.SEN, "sen_provision", "Education, Health and Care plan", "E"),
    (Kind.ENROL, "enrol_status", "Current", "C"), (Kind.ENROL, "enrol_status", "Single registration", "C"),
    (Kind.ENROL, "enrol_status", "Current (single registration)", "C"), (Kind.ENROL, "enrol_status", "Main", "M"),
    (Kind.ENROL, "enrol_status", "Main (dual registration)", "M"), (Kind.ENROL, "enrol_status", "Dual main", "M"),
    (Kind.ENROL, "enrol_status", "Subsidiary", "S"), (Kind.ENROL, "enrol_status", "Dual subsidiary", "S"),
    (Kind.ENROL, "enrol_status", "Subsidiary (dual registration)", "S"), (Kind.ENROL, "enrol_status", "Guest", "G"),
    (Kind.EVENT, "event", "Issue", "issued"), (Kind.EVENT, "event", "New", "issued"),
    (Kind.EVENT, "event", "Amend", "amended"), (Kind.EVENT, "event", "Amendment", "amended"),
    (Kind.EVENT, "event", "Transfer to EHCP", "ehc_transfer"), (Kind.EVENT, "event", "Transferred to EHCP",
                                                                  "ehc_transfer"),
    (Kind.EVENT, "event", "Transfer to EHC plan", "ehc_transfer"), (Kind.EVENT, "event", "Reissue", "reissued"),
    (Kind.EVENT, "event", "Re-issue", "reissued"), (Kind.MOVE_REASON, "reason", "Casual move", "casual")])
def test_a_code_written_in_words_as_a_mis_or_sen_system_exports_it_is_read_as_its_code__spec_5_11_3_11_5(
        kind, name, written, code):
    assert _codes(kind, name, [written]) == [code]


# --- money -------------------------------------------------------------------------------------

def _money_messages(tmp_path: Path, cells: list[str]) -> dict[int, str]:
    rows = [f"B8012000050{i:02d},2002-08-31,2010-03-01,A,{cell}" for i, cell in enumerate(cells)]
    _, issues = read(csv_file(tmp_path, "upn,date_of_birth,statement_date,school_id,annual_amount\n"
                              + "\n".join(rows) + "\n"))
    return _messages(issues)


def test_an_amount_with_a_unicode_minus_is_refused_as_negative__spec_8(tmp_path):
    assert _money_messages(tmp_path, ["\u22121234.00", "(50.00)"]) == {
        2: '"\u22121234.00" is negative; money must not be negative',
        3: '"(50.00)" is negative; money must not be negative'}


def test_an_amount_with_six_decimals_is_told_to_round_it_in_the_cell_and_one_with_three_to_round_an_uplift__spec_5(
        tmp_path):
    messages = _money_messages(tmp_path, ["3333.333333", "3333.333"])
    assert messages[2].endswith("round it in the cell, e.g. =ROUND(10000/3, 2)")
    assert messages[3] == ('"3333.333" has more than two decimal places: if it is a formula\'s result (an uplift such '
                           "as =F5*1.02), round it in the cell, e.g. =ROUND(F5*1.02, 2); if it was typed, correct it")


def test_an_amount_written_1e11_is_told_as_beyond_the_ceiling_not_as_no_amount__spec_1(tmp_path):
    for i, message in _money_messages(tmp_path, ["1E+11", "1e11", "2.5E+10", "1.0000001e10"]).items():
        assert message.endswith("is more than £10,000,000,000.00, the most senrun accepts for one amount"), i


def test_an_amount_in_exponent_form_within_the_ceiling_is_told_as_no_amount__spec_1(tmp_path):
    """Only an amount beyond £10,000,000,000 is told as beyond it; `9.5E+09` is not written as money."""
    assert _money_messages(tmp_path, ["9.5E+09", "1E+10"]) == {
        2: '"9.5E+09" is not an amount of money', 3: '"1E+10" is not an amount of money'}


def test_a_parquet_float_amount_beyond_the_ceiling_is_refused_not_read_as_pence__spec_1(tmp_path):
    path = tmp_path / "s.parquet"
    pl.DataFrame({"upn": [U1, U2], "date_of_birth": ["2002-08-31"] * 2, "statement_date": ["2010-03-01"] * 2,
                  "school_id": ["A"] * 2, "annual_amount": [10_000_000_000.0, 20_000_000_000.0]}).write_parquet(path)
    table, issues = read(path)
    assert table.frame["annual_amount"].to_list() == [1_000_000_000_000, None]
    assert list(_messages(issues)) == [3] and "is more than £10,000,000,000.00" in _messages(issues)[3]


# --- headers -----------------------------------------------------------------------------------

def test_a_header_row_below_fourteen_title_rows_is_found__spec_5(tmp_path):
    titles = [f"Statements report line {i}" for i in range(14)]
    path = csv_file(tmp_path, "\n".join([*titles, "upn,date_of_birth,statement_date,school_id,annual_amount",
                                         f"{U1},2002-08-31,2010-03-01,A,100.00"]) + "\n")
    assert read_ok(path)["annual_amount"].to_list() == [10000]


@pytest.mark.parametrize("header,weekly", [
    ("Cost pw", True), ("Amount p/w", True), ("Amount p.w.", True), ("Hours", True), ("Cost pcm", True),
    ("Weekly rate, FY", False), ("Weekly cost (39 weeks)", False), ("Weekly cost x 39", False),
    ("Annual amount", False),
    ("Weekly cost, annualised", False)])
def test_a_money_header_saying_a_weeks_or_months_amount_is_told_from_a_years__spec_3(header, weekly):
    # annual_amount is a rate per year (SPEC §3): a weekly figure read as one pays a child a fiftieth
    assert not_annual(header) is weekly


# --- the year-on-year diff ---------------------------------------------------------------------

def _frame(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"school_id": pl.String, "cluster_id": pl.String, "total": pl.Int64},
                        orient="row")


def _rows(diff: pl.DataFrame, level: str) -> dict:
    key = "school_id" if level == "school" else "cluster_id"
    rows = diff.filter(pl.col("level") == level).iter_rows(named=True)
    return {r[key]: (r["previous_total"], r["note"]) for r in rows}


def test_an_academy_of_two_schools_of_two_clusters_counts_both_on_its_row_and_each_cluster_as_it_was__spec_11_1():
    # the school row folds both predecessors in; the cluster rows are last year's clusters as they were then
    # (docs/diff.md): K1 had P1, K2 had P2 and B, so the change parts, worked on each run's clusters, add up there
    previous = _frame([("P1", "K1", 10_000), ("P2", "K2", 20_000), ("B", "K2", 5_000)])
    current = _frame([("N", "K3", 40_000), ("B", "K2", 6_000)])
    diff = diff_frames(previous, current, Decimal(5), (("P2", "N"), ("P1", "N")))
    assert _rows(diff, "school") == {"B": (5_000, None), "N": (30_000, "converted from P1, P2")}
    assert _rows(diff, "cluster") == {"K1": (10_000, "closed cluster"), "K2": (25_000, None), "K3": (0, "new cluster")}


def test_a_school_split_into_two_new_schools_is_compared_within_the_first_by_school_id__spec_6_11_1():
    previous = _frame([("A", "K1", 90_000)])
    current = _frame([("C", "K1", 50_000), ("B", "K1", 45_000)])
    diff = diff_frames(previous, current, Decimal(5), (("A", "C"), ("A", "B")))
    assert _rows(diff, "school") == {"B": (90_000, "converted from A"), "C": (0, "new school")}


def test_a_succession_to_a_school_not_in_this_years_run_is_no_takeover_during_the_year__spec_11_1():
    previous = _frame([("A", "K1", 10_000)])
    current = _frame([("A", "K1", 10_000), ("C", "K1", 5_000)])
    diff = diff_frames(previous, current, Decimal(5), (("A", "B"), ("B", "C")))
    assert _rows(diff, "school") == {"A": (10_000, None), "C": (0, "new school")}


def test_a_previous_config_whose_period_ended_exactly_a_year_before_this_one_began_is_last_years__spec_6(tmp_path):
    (tmp_path / "this").mkdir()
    (tmp_path / "last").mkdir()
    this = load_config(write_run(tmp_path / "this", statements=[statement(U1, "2005-05-05")]))
    last = load_config(write_run(tmp_path / "last", statements=[statement(U1, "2005-05-05")], prorate="days",
                                 period={"start": "2011-04-02", "end": "2012-04-01"}))
    assert previous_config_issues(this, last, tmp_path / "last" / "senrun.yaml") == []


# --- the parts of a school's change (docs/diff.md) ---------------------------------------------

def _parts(tmp_path: Path, this: dict, **inputs) -> dict:
    """Each school's parts when the same inputs are run under the base config and then with `this` changed."""
    (tmp_path / "last").mkdir()
    (tmp_path / "this").mkdir()
    last_cfg = load_config(write_run(tmp_path / "last", **inputs))
    this_cfg = load_config(write_run(tmp_path / "this", **inputs, **this))
    same = read_inputs(last_cfg)  # (the inputs are the same both years)
    parts = attribution_frame(attribution_runs(same, last_cfg, replace(same, issues=Issues()), this_cfg), "school")
    return {r["school_id"]: tuple(r[p] for p in PARTS) for r in parts.iter_rows(named=True)}


def test_a_change_of_top_slice_is_the_formula_part_and_of_the_years_counted_the_pupil_numbers_part__spec_4_faq_10(
        tmp_path):
    """The same year run twice: this year keeps £100 back for auxiliary aids (FAQ 10) and counts only Years 0–6
    in a census where H's pupils are in Year 7: the £100 leaves each school's share in `formula`, the counting
    moves H's share to A and B in `pupil_numbers` (docs/diff.md)."""
    census = [{"upn": f"B8012000051{i:02d}", "school_id": s, "date_of_birth": dob}
              for i, (s, dob) in enumerate([("A", "2005-05-05"), ("B", "2005-05-05"), ("H", "2000-05-05")])]
    parts = _parts(tmp_path, {"topslices": [{"name": "aids", "amount": 100}],
                                  "formula": {**_formula(), "pupils": {"nc_years": [0, 6]}}},
                   statements=[statement(U1, "2005-05-05", annual="0.00")], census=census)
    # (H's three pupils' worth of the per-pupil remainder, £333,323.33, goes to A and B)
    assert parts == {"A": (0, 16_666_166, -5_000, 0, 0), "B": (0, 16_666_167, -5_000, 0, 0),
                     "H": (0, -33_332_333, 0, 0, 0)}


def _formula() -> dict:
    return {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                         {"name": "per_pupil", "basis": "pupils", "remainder": True}]}


def test_a_change_of_transfer_rule_and_of_phase_ends_is_the_psf_runoff_part__faq_3_6_spec_3(tmp_path):
    """The same year run twice: this year a transfer keeps PSF (U2, £1,200 a year, infant A to junior B in
    September) and primary runs to Year 8 (U1, £2,400 a year, in Year 6 in 2012/13): both are PSF computed
    otherwise, so `psf_runoff` — not `other` (docs/diff.md)."""
    moves = [{"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-09-01", "reason": "transfer"}]
    statements = [statement(U1, "2002-08-31", school="H", annual="2400.00"),
                  statement(U2, "2006-05-05", school="A", annual="1200.00")]
    parts = _parts(tmp_path, {"transfer": "keeps", "phases": {"nursery": [-2, -1], "primary": [0, 8],
                                                                   "secondary": [9, 11], "post16": [12, 13]}},
                   statements=statements, moves=moves)
    # £700 more PSF at B and £1,400 at H; the pot £2,100 less, shared 100:200:300 by pupils
    assert parts == {"A": (-35_000, 0, 0, 0, 0), "B": (0, 0, 0, 0, 0), "H": (35_000, 0, 0, 0, 0)}


# --- the run-off -------------------------------------------------------------------------------

def test_the_run_off_of_an_all_through_phase_runs_to_the_end_of_year_13_fourteen_years_on__faq_8_spec_2(tmp_path):
    """A council whose one phase runs from nursery to Year 13: a child in N1 on 31 August 2012 (born 1 January
    2009) is protected to 31 August 2027, so the pack's run-off runs to 2027-28, five months of it paid."""
    result = run(tmp_path, statements=[statement(U1, "2009-01-01", annual="1200.00")],
                 phases={"all_through": [-2, 13]})
    runoff = runoff_by_school(result)
    assert runoff.select("year", "children", "psf").rows() == [
        *[(f"{y}-{(y + 1) % 100:02d}", 1, 120_000) for y in range(2014, 2027)], ("2027-28", 1, 50_000)]


def test_each_projected_year_keeps_its_top_slices_out_of_the_cluster_pot__spec_1_spec_6(tmp_path):
    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2002-08-31", annual="1200.00")],
                                topslices=[{"name": "aids", "amount": 500}]))
    frame = project(read_inputs(cfg), cfg, 2)
    assert frame.select("continuing_psf", "released_psf", "topslices", "cluster_pot").rows() == [
        (50_000, 70_000, 50_000, 100_000_000 - 100_000), (0, 120_000, 50_000, 100_000_000 - 50_000)]


# --- figures shown in the workbooks ------------------------------------------------------------

def test_the_change_per_pupil_is_rounded_half_away_from_zero_to_the_penny_and_keeps_its_sign__spec_1():
    frame = pl.DataFrame({"change": [-250, 250, -249, 251, 7], "pupils": [100, 100, 100, 100, 0]})
    assert frame.select(per_pupil("change", "pupils")).to_series().to_list() == [-3, 3, -2, 3, None]


def _run_of(schools: list[tuple], clusters: list[str]) -> SimpleNamespace:
    frame = pl.DataFrame(schools, schema={"school_id": pl.String, "cluster_id": pl.String, "ssa": pl.Int64,
                                          "psf": pl.Int64}, orient="row")
    return SimpleNamespace(schools=frame, clusters=pl.DataFrame({"cluster_id": clusters}))


def test_a_setting_with_no_cluster_holding_ssa_and_no_psf_has_its_row_on_the_clusters_sheet__spec_11_2():
    assert no_cluster_money(_run_of([("A", "C1", 100, 0), ("S", None, 50_000, 0)], ["C1"])) == (50_000, 0)
    assert no_cluster_money(_run_of([("A", "C1", 100, 0), ("S", None, 0, 7_000)], ["C1"])) == (0, 7_000)
    assert no_cluster_money(_run_of([("A", "C1", 100, 0), ("S", None, 0, 0)], ["C1"])) is None


def test_winners_and_losers_count_this_years_schools_not_one_closed_since__spec_6():
    result = _run_of([("A", "C1", 0, 0), ("B", "C1", 0, 0)], ["C1"])
    diff = pl.DataFrame({"level": ["school", "school", "school", "cluster"], "school_id": ["A", "B", "Z", None],
                         "cluster_id": ["C1", "C1", "C1", "C1"], "previous_total": [100, 100, 100, 300],
                         "change": [10, 0, -100, -90]})
    assert winners_losers(result, diff).rows() == [
        ("Gain over 5%", 1, 0), ("Gain of 0–5%", 0, 0), ("No change", 1, 0), ("Loss of 0–5%", 0, 0),
        ("Loss over 5%", 0, 1)]


# --- schools by URN ----------------------------------------------------------------------------

def test_a_school_whose_urn_is_its_own_school_id_is_no_ambiguity_and_its_academy_keeps_the_psf__spec_11_1(
        tmp_path):
    schools = [urn_school("100001", "100001", closed="2013-08-31"), urn_school("140001", "140001", opened="2013-09-01"),
               urn_school("100003", "100003")]
    statements = [statement(U1, "2005-05-05", school="100001", annual="1200.00")]
    result = allocate(load_config(gias_run(tmp_path, schools=schools, statements=statements)))
    assert lines_of(result, U1) == [("100001", 50_000, 0, "continuing"), ("140001", 70_000, 0, "continuing")]
