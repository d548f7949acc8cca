"""What-if (SPEC §6, §7 simulate): overlays, sweeps, solve, the run-off projection and the CLI."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from builders import SCHOOLS, run, statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.config.overlay import SetOptionError, load_scenario, merge, scenario_config, sweep_overlays, sweep_scenarios
from senrun.pipeline import allocate, read_inputs
from senrun.yearly.projection import project, year_label
from senrun.yearly.simbook import output_files, sheet_names
from senrun.yearly.simulate import simulate

U1, U2, U3 = "B801200005001", "E801200005002", "H801200005003"
STATEMENTS = [statement(U1, "2002-08-31", school="A", annual="1200.00"),   # Year 6 in 2012/13: ends Aug 2013
              statement(U2, "2005-05-05", school="B", annual="8400.00"),   # primary until August 2016
              statement(U3, "1999-01-10", school="H", annual="6000.00")]   # secondary until August 2015
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def base(tmp_path):
    return load_config(write_run(tmp_path, statements=STATEMENTS))


def scenario_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# --- overlays -------------------------------------------------------------------------

BASE_RAW = {"year": "2013-14", "budget": {"pupil_specific_pot": 100, "sen_total": 200},
            "topslices": [{"name": "aux", "amount": 10}, {"name": "host", "per_cluster": 5}],
            "formula": {"pupils": {"nc_years": [0, 11]},
                        "elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                                     {"name": "per_pupil", "basis": "pupils", "remainder": True}]}}


def test_an_overlay_merges_mappings_key_by_key_and_replaces_other_values():
    merged = merge(BASE_RAW, {"year": "2014-15", "budget": {"pupil_specific_pot": 150},
                              "formula": {"pupils": {"nc_years": [1, 6]}}})
    assert merged["year"] == "2014-15"
    assert merged["budget"] == {"pupil_specific_pot": 150, "sen_total": 200}
    assert merged["formula"]["pupils"]["nc_years"] == [1, 6]
    assert merged["formula"]["elements"] == BASE_RAW["formula"]["elements"]
    assert BASE_RAW["budget"]["pupil_specific_pot"] == 100  # the base is not changed


def test_named_items_merge_by_name_a_new_name_is_added_and_remove_drops_one():
    merged = merge(BASE_RAW, {"formula": {"elements": [
        {"name": "per_pupil", "remove": True},
        {"name": "lump_sum", "rate": 20},
        {"name": "need", "basis": "sen_support", "remainder": True}]},
        "topslices": [{"name": "host", "per_cluster": 7}]})
    assert merged["formula"]["elements"] == [{"name": "lump_sum", "basis": "per_school", "rate": 20},
                                             {"name": "need", "basis": "sen_support", "remainder": True}]
    assert merged["topslices"] == [{"name": "aux", "amount": 10}, {"name": "host", "per_cluster": 7}]


def test_a_merged_config_shares_nothing_changeable_with_its_base_or_its_overlay():
    import copy

    before = copy.deepcopy(BASE_RAW)
    overlay = {"formula": {"elements": [{"name": "lump_sum", "rate": 20}, {"name": "new", "basis": "pupils",
                                                                          "nc_years": [0, 6]}]}}
    merged = merge(BASE_RAW, overlay)
    merged["formula"]["elements"][0]["rate"] = 99
    merged["formula"]["elements"][2]["nc_years"].append(7)
    merged["formula"]["pupils"]["nc_years"].append(12)
    merged["topslices"][0]["amount"] = 0
    assert BASE_RAW == before
    assert overlay["formula"]["elements"][1]["nc_years"] == [0, 6]


def test_removing_an_item_the_base_does_not_have_is_an_error():
    with pytest.raises(SenrunError, match="removes 'nosuch'"):
        merge(BASE_RAW, {"topslices": [{"name": "nosuch", "remove": True}]})


def test_an_unknown_key_in_a_scenario_is_rejected_naming_the_scenario_file_and_line(base, tmp_path):
    path = scenario_file(tmp_path, "tweak.yaml", "formula:\n  elements:\n    - {name: lump_sum, rat: 20}\n")
    with pytest.raises(SenrunError) as caught:
        load_scenario(base, path)
    issue = caught.value.issues[0]
    assert (issue.file, issue.row) == ("tweak.yaml", 3)
    assert "unknown key 'rat'" in issue.message
    assert str(issue).startswith("tweak.yaml › line 3")


def test_a_scenario_of_an_empty_mapping_changes_nothing_and_reuses_the_psf(base, tmp_path):
    name, cfg = load_scenario(base, scenario_file(tmp_path, "same.yaml", "{}\n"))
    sim = simulate(base, [(name, cfg)])
    o = sim.scenarios[0]
    assert name == "same" and o.psf_reused
    assert o.schools["change"].to_list() == [0, 0, 0] and o.clusters["change"].to_list() == [0]
    assert (o.summary.winners, o.summary.losers, o.summary.money_moved) == (0, 0, 0)


def test_a_scenario_that_changes_a_rate_matches_editing_the_base_and_running_allocate(base, tmp_path):
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "rate": "2500.50"}]}}, "lump.yaml")
    o = simulate(base, [("lump", cfg)]).scenarios[0]
    (tmp_path / "edited").mkdir()
    edited = run(tmp_path / "edited", statements=STATEMENTS,
                 formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": "2500.50"},
                                       {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    assert o.schools.select("school_id", "scenario_total").rows() == edited.schools.select("school_id", "total").rows()
    assert o.summary.money_moved == int(o.schools["change"].clip(lower_bound=0).sum()) > 0
    assert o.summary.winners + o.summary.losers + o.summary.unchanged == 3


def test_a_scenario_that_moves_the_period_recomputes_the_psf(base):
    cfg = scenario_config(base, {"period": {"start": "2014-04-01", "end": "2015-03-31"}}, "later.yaml")
    o = simulate(base, [("later", cfg)]).scenarios[0]
    assert not o.psf_reused
    assert o.result.totals.continuing_psf < simulate(base, []).base.totals.continuing_psf


def test_a_scenario_moving_the_period_past_a_schools_closing_is_infeasible_as_allocate_would_stop__spec_11_11(
        tmp_path):
    """The school closed in August 2013 keeps an SSA: a period from April 2014 has no row to pay it to, so
    allocate stops (`ssa_no_row`); the scenario is infeasible for the same reason, never short of the SSA."""
    schools = [{"school_id": "A", "school_name": "A", "cluster_id": "C1", "ssa": "500.00", "pupils": "100",
                "opened": "", "closed": "2013-08-31", "successor_id": "B"},
               {"school_id": "B", "school_name": "B", "cluster_id": "C1", "ssa": "1000.00", "pupils": "100",
                "opened": "2013-09-01", "closed": "", "successor_id": ""}]
    base = load_config(write_run(tmp_path, schools=schools, statements=STATEMENTS[1:2]))
    later = scenario_config(base, {"period": {"start": "2014-04-01", "end": "2015-03-31"}}, "later.yaml")
    sim = simulate(base, [("later", later)])
    [failed] = sim.infeasible
    assert failed.name == "later" and "school A is open on no day of the period" in failed.reason
    with pytest.raises(SenrunError, match="ssa_no_row|open on no day"):
        allocate(later)


# --- sweeps -------------------------------------------------------------------------

def test_a_sweep_is_the_grid_of_its_sets_named_by_assignment_with_exact_decimal_values():
    points = sweep_overlays(BASE_RAW, ["lump_sum.rate=0,5000,10000.5", "budget.pupil_specific_pot=90,100"])
    assert [name for name, _ in points] == [
        "lump_sum.rate=0;budget.pupil_specific_pot=90", "lump_sum.rate=0;budget.pupil_specific_pot=100",
        "lump_sum.rate=5000;budget.pupil_specific_pot=90", "lump_sum.rate=5000;budget.pupil_specific_pot=100",
        "lump_sum.rate=10000.5;budget.pupil_specific_pot=90", "lump_sum.rate=10000.5;budget.pupil_specific_pot=100"]
    last = points[-1][1]
    assert last == {"formula": {"elements": [{"name": "lump_sum", "rate": Decimal("10000.5")}]},
                    "budget": {"pupil_specific_pot": 100}}
    assert isinstance(last["formula"]["elements"][0]["rate"], Decimal)


def test_a_sweep_addresses_top_slices_by_name_and_rejects_unknown_names():
    assert sweep_overlays(BASE_RAW, []) == []
    [(name, overlay)] = sweep_overlays(BASE_RAW, ["host.per_cluster=3000"])
    assert overlay == {"topslices": [{"name": "host", "per_cluster": 3000}]}
    with pytest.raises(SetOptionError, match="no element or top-slice is named 'nosuch'"):
        sweep_overlays(BASE_RAW, ["nosuch.rate=1"])
    with pytest.raises(SetOptionError, match="expected KEY=V1,V2"):
        sweep_overlays(BASE_RAW, ["lump_sum.rate"])


def test_each_point_of_a_sweep_runs_as_a_scenario(base):
    scenarios = sweep_scenarios(base, ["lump_sum.rate=0,10", "per_pupil.remainder=true"])
    sim = simulate(base, scenarios)
    assert [o.name for o in sim.scenarios] == ["lump_sum.rate=0;per_pupil.remainder=true",
                                              "lump_sum.rate=10;per_pupil.remainder=true"]
    assert sim.scenarios[1].schools["change"].to_list() == [0, 0, 0]  # the base's own rate
    assert sim.scenarios[0].summary.money_moved > 0


# --- solve --------------------------------------------------------------------------

def test_solve_finds_the_rate_to_4_dp_that_spends_the_cluster_pot(base):
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "per_pupil", "remove": True},
                                                          {"name": "lump_sum", "rate": "solve"}]}}, "solve.yaml")
    o = simulate(base, [("solve", cfg)]).scenarios[0]
    [(element, rate)] = o.summary.solved
    [applied] = o.result.elements
    assert element == "lump_sum" and applied.total == o.result.totals.cluster_pot
    assert len(rate.split(".")[1]) == 4
    units = int(applied.units)
    assert abs(Decimal(rate) * 100 * units - applied.total) <= Decimal("0.005") * units
    assert int(o.result.schools["cluster_share"].sum()) == o.result.totals.cluster_pot


def test_a_solved_rate_on_the_terminal_says_to_pay_that_scenario_by_the_remainder_not_the_rate(base):
    """The solved rate, shown to 4 places and typed into next year's config, paid a penny differently at two
    schools, or overspent the pot by £3.49 and was refused: the remainder pays the scenario exactly."""
    ran = CliRunner().invoke(app, ["simulate", "-c", str(base.path), "--set", "per_pupil.remainder=false",
                                   "--set", "per_pupil.share=0.5", "--set", "lump_sum.rate=solve"],
                             env={"COLUMNS": "200"})
    assert ran.exit_code == 0, ran.output
    said = " ".join(ran.output.split())
    assert ("A solved rate is shown to 4 places. To pay that scenario exactly, make its element the remainder "
            "(remainder: true) in the config, not the rate: docs/simulate.md.") in said
    plain = CliRunner().invoke(app, ["simulate", "-c", str(base.path), "--set", "lump_sum.rate=0"],
                               env={"COLUMNS": "200"})
    assert plain.exit_code == 0 and "A solved rate" not in plain.output


def test_solve_beside_a_remainder_element_is_an_error_that_says_what_to_do(base):
    with pytest.raises(SenrunError, match="no element may be the remainder, but 'per_pupil' is: remove it"):
        scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "rate": "solve"}]}}, "solve.yaml")
    with pytest.raises(SenrunError, match="add `remainder: false`"):
        scenario_config(base, {"formula": {"elements": [{"name": "per_pupil", "rate": "solve"}]}}, "solve.yaml")
    fixed = scenario_config(base, {"formula": {"elements": [{"name": "per_pupil", "rate": "solve",
                                                             "remainder": False}]}}, "solve.yaml")
    assert [e.solve for e in fixed.elements] == [False, True]


# --- projection ---------------------------------------------------------------------

def test_the_projections_first_year_is_the_allocation(base):
    result = allocate(base)
    first = project(read_inputs(base), base, 1).row(0, named=True)
    t = result.totals
    assert (first["year"], first["continuing_psf"], first["released_psf"], first["topslices"], first["cluster_pot"]) \
        == ("2013-14", t.continuing_psf, t.released_psf, t.topslices_total, t.cluster_pot)


def test_a_run_off_from_a_period_starting_on_29_february_pays_no_day_twice__faq_8_spec_11_10(tmp_path):
    # £3,660 a year by days (£10 a day); primary to 31 August 2016.  From 29 February 2012 the years are
    # 2012-02-29 – 2013-02-28, then 1 March – the last day of February: 2015-16 ends on 29 February 2016,
    # and 2016-17 begins on 1 March, not on that same day.  Paid over the run-off: every day once.
    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", annual="3660.00")],
                     period={"start": "2012-02-29", "end": "2013-02-28"}, prorate="days",
                     census_date="2012-01-19", budget={"pupil_specific_pot": "30000"})
    cfg = load_config(path)
    frame = project(read_inputs(cfg), cfg, 7)
    periods = list(zip(frame["period_start"].to_list(), frame["period_end"].to_list()))
    assert all(later[0] == earlier[1] + timedelta(days=1) for earlier, later in zip(periods, periods[1:]))
    assert periods[4] == (date(2016, 3, 1), date(2017, 2, 28))
    assert frame["continuing_psf"].to_list()[3:6] == [366_000, 184_504, 0]  # 184 of 365 days of £3,660


def test_a_run_off_from_a_period_of_29_february_alone_has_a_day_every_year__spec_11_10(tmp_path):
    """A one-day period on 29 February had a projected year that ended before it began (1 March – 28 February)
    and stopped `simulate --years 2` with "failed unexpectedly (ZeroDivisionError)"."""
    path = write_run(tmp_path, statements=[statement("B801200005001", "2007-05-05", annual="3660.00")],
                     period={"start": "2016-02-29", "end": "2016-02-29"}, prorate="days",
                     census_date="2016-01-21", budget={"pupil_specific_pot": "30000"})
    cfg = load_config(path)
    frame = project(read_inputs(cfg), cfg, 3)
    assert list(zip(frame["period_start"].to_list(), frame["period_end"].to_list())) == [
        (date(2016, 2, 29), date(2016, 2, 29)), (date(2017, 2, 28), date(2017, 2, 28)),
        (date(2018, 2, 28), date(2018, 2, 28))]
    assert frame["continuing_psf"].to_list() == [1000, 1003, 1003]  # a day of £3,660 a year: of 366, then 365 days


def test_psf_runs_off_to_nothing_and_the_cluster_pot_takes_what_is_released__faq_8(base):
    frame = project(read_inputs(base), base, 5)
    assert frame["year"].to_list() == ["2013-14", "2014-15", "2015-16", "2016-17", "2017-18"]
    # U1 ends August 2013, U3 August 2015, U2 August 2016: April–August of each last year is paid.
    assert frame["continuing_psf"].to_list() == [50_000 + 840_000 + 600_000, 840_000 + 600_000,
                                                 840_000 + 250_000, 350_000, 0]
    pot = frame["continuing_psf"] + frame["topslices"] + frame["cluster_pot"]
    assert pot.to_list() == [base.pupil_specific_pot] * 5
    assert str(frame["period_start"][4]) == "2017-04-01" and str(frame["period_end"][4]) == "2018-03-31"


def test_year_labels_follow_the_period():
    from datetime import date

    assert year_label(date(2013, 4, 1), date(2014, 3, 31)) == "2013-14"
    assert year_label(date(2099, 9, 1), date(2100, 8, 31)) == "2099-00"
    assert year_label(date(2013, 1, 1), date(2013, 12, 31)) == "2013"


@pytest.mark.slow
def test_on_the_committed_sample_the_last_psf_is_paid_in_2018_19_and_none_after__faq_8():
    config = ROOT / "config" / "senrun.yaml"
    if not config.is_file() or not (ROOT / "sample_data" / "census.csv").is_file():
        pytest.skip("the committed sample data is not there")
    cfg = load_config(config)
    frame = project(read_inputs(cfg), cfg, 7)
    paid = dict(zip(frame["year"], frame["continuing_psf"]))
    assert paid["2018-19"] > 0 and paid["2019-20"] == 0


# --- outputs and the command --------------------------------------------------------

def test_scenario_sheet_names_are_valid_and_unique():
    names = sheet_names(["a/b", "A/B", "x" * 40, "x" * 40, "Overview", "rate=1;share=0.5"])
    assert names == ["a_b", "A_B (2)", "x" * 31, "x" * 27 + " (2)", "Overview (2)", "rate=1;share=0.5"]


def test_scenario_sheet_names_are_cut_as_excel_counts_and_never_hold_what_excel_or_xml_refuses():
    names = sheet_names(["Lump sum 4500 for our schools 🏫", "Raise lump sum for each school's budget",
                         "Fixed\x01sum\tnow", "   ", "'quoted'", "x\ud800y", "🏫" * 20])
    assert names == ["Lump sum 4500 for our schools", "Raise lump sum for each school", "Fixed_sum_now",
                     "Scenario 4", "quoted", "x_y", "🏫" * 15]


def test_a_scenario_named_with_an_emoji_an_apostrophe_or_a_control_character_gives_a_workbook_excel_opens(base):
    import io

    import openpyxl

    names = ["Lump sum 4500 for our schools 🏫", "Raise lump sum for each school's budget", "Fixed\x01sum"]
    scenarios = [(name, cfg) for name, (_, cfg) in zip(names, sweep_scenarios(base, ["lump_sum.rate=10,20,30"]))]
    book = openpyxl.load_workbook(io.BytesIO(output_files(simulate(base, scenarios))["simulate.xlsx"]))
    assert {"Lump sum 4500 for our schools", "Raise lump sum for each school", "Fixed_sum"} <= set(book.sheetnames)
    assert all(len(name.encode("utf-16-le")) <= 62 for name in book.sheetnames)


def test_a_scenarios_schools_and_its_clusters_with_the_formula_are_tables_on_sheets_of_their_own__docs_simulate_md(
        base):
    """The clusters and the formula had sat beside the schools, in their rows: a screen reader read a school and a
    cluster as one row, Excel's filter could not be given, and the formula's words widened a column of money."""
    import io

    import openpyxl

    data = output_files(simulate(base, sweep_scenarios(base, ["lump_sum.rate=0,10000"])))["simulate.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[-4:] == ["lump_sum.rate=0", "Clusters lump_sum.rate=0", "lump_sum.rate=10000",
                                    "Clusters lump_sum.rate=10000"]
    schools, clusters = book["lump_sum.rate=0"], book["Clusters lump_sum.rate=0"]
    assert [c.value for c in schools[1]] == ["School ID", "School", "Cluster ID", "Base (£)", "Scenario (£)",
                                             "Change (£)", "Change (%)"]
    assert schools.max_column == 7 and schools.max_row == 4 and schools.auto_filter.ref == "A1:G4"
    assert schools.freeze_panes == "A2" and schools.print_title_rows == "$1:$1"
    rows = [[c.value for c in row if c.value is not None] for row in clusters.iter_rows()]
    assert rows[0] == ["Cluster ID", "Cluster", "Base (£)", "Scenario (£)", "Change (£)", "Change (%)"]
    assert clusters.auto_filter.ref == "A1:F2" and rows[2] == []  # the filter's rows are the clusters' only
    assert rows[3] == ["Formula in scenario lump_sum.rate=0"] and rows[4][0] == "Element"
    assert rows[-1][0] == "Cluster pot" and clusters.max_column == 6
    # no header repeated above the formula, were it to begin a page
    assert clusters.print_title_rows is None and clusters.freeze_panes == "A2"
    # the formula's words wrap within the clusters' columns: a money column is as wide as its money
    kind = next(row[2] for row in clusters.iter_rows() if row[0].value == "Lump sum")
    assert kind.value == "a rate per unit" and kind.alignment.wrap_text
    assert clusters.column_dimensions["C"].width <= max(len("Base (£)"), len("£3,218,400.19")) + 3


def test_every_sheet_of_simulate_xlsx_prints_at_nine_points_or_more_with_the_scenario_on_every_page__spec_6():
    """The Overview of 100 scenarios had printed at about 4.6 points on two pages, the scenario sheets at 5.5
    and Winners and losers at 6.4."""
    from test_printed_pages import sheets_on_paper

    config = ROOT / "config" / "senrun.yaml"
    if not (ROOT / "sample_data" / "census.csv").is_file():
        pytest.skip("the committed sample data is not there")
    base = load_config(config)
    data = output_files(simulate(base, sweep_scenarios(base, ["lump_sum.rate=0,3000,6000"])))["simulate.xlsx"]
    printed = sheets_on_paper(data)
    assert {"Overview", "Winners and losers", "lump_sum.rate=0", "Clusters lump_sum.rate=0"} <= set(printed)
    for sheet, (points, wide, repeated) in printed.items():
        assert points >= 8.95, (sheet, points)
        assert wide == 1 or repeated == 1, sheet  # the scenario's name on every page
    assert printed["Overview"][1:] == (2, 1)
    import io

    import openpyxl

    overview = openpyxl.load_workbook(io.BytesIO(data))["Overview"]
    assert overview.print_title_rows == "$4:$4" and overview.print_title_cols == "$A:$A"
    header = {c.value: c for c in overview[4] if c.value}
    assert all(c.alignment.wrap_text for c in header.values())
    gaining = header["Schools gaining"].column_letter  # as wide as its count and its header's longest word
    assert overview.column_dimensions[gaining].width < len("Schools gaining") + 2


def test_a_long_school_name_on_the_overview_wraps_in_a_row_as_tall_as_its_lines_not_cut__docs_simulate_md():
    """The largest gain and loss columns were 30 characters wide, cutting '9263066 Scobury Church of England
    Infant School' beside the £ that follows it; a name wraps (in a column at most 45 wide) instead."""
    import io

    import openpyxl

    from senrun.outputs.xlsx import LINE_POINTS, lines_in

    config = ROOT / "config" / "senrun.yaml"
    if not (ROOT / "sample_data" / "census.csv").is_file():
        pytest.skip("the committed sample data is not there")
    base = load_config(config)
    data = output_files(simulate(base, sweep_scenarios(base, ["lump_sum.rate=0,6000"])))["simulate.xlsx"]
    overview = openpyxl.load_workbook(io.BytesIO(data))["Overview"]
    columns = [c.column_letter for c in overview[4] if c.value in ("Largest gain: school", "Largest loss: school")]
    names = [overview[f"{col}{row}"] for col in columns for row in (5, 6)]
    assert "9263066 Scobury Church of England Infant School" in [c.value for c in names]
    for cell in names:
        width = overview.column_dimensions[cell.column_letter].width
        assert width <= 46
        lines = lines_in(cell.value, width)
        if lines > 1:
            assert cell.alignment.wrap_text and overview.row_dimensions[cell.row].height >= LINE_POINTS * lines
        else:  # on one line in a column wide enough for it
            assert width * 7 / 6 >= len(cell.value)


def test_a_scenarios_clusters_sheet_is_named_within_31_characters_and_never_as_another_sheet__docs_simulate_md():
    from senrun.yearly.simbook import cluster_sheet_names

    sheets = sheet_names(["Raise lump sum for each school's budget", "Raise lump sum for each school's budget too",
                          "Clusters x", "x", "Overview"])
    names = cluster_sheet_names(sheets)
    assert sheets[2:] == ["Clusters x", "x", "Overview (2)"]
    assert names == ["Clusters Raise lump sum for eac", "Clusters Raise lump sum for (2)", "Clusters Clusters x",
                     "Clusters x (2)", "Clusters Overview (2)"]
    assert all(len(n.encode("utf-16-le")) <= 62 for n in names)
    assert len({n.lower() for n in names + sheets}) == len(names) + len(sheets)


def test_simulate_writes_its_files_byte_identically_with_money_as_pounds_text(base, tmp_path):
    scenarios = [("lump", scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "rate": 20}]}},
                                          "lump.yaml"))]
    first, second = (output_files(simulate(base, scenarios, years=3)) for _ in range(2))
    assert first == second
    assert set(first) == {"simulate.xlsx", "scenarios.csv", "projection.csv", "manifest.json"}
    lines = first["scenarios.csv"].decode().splitlines()
    assert lines[0] == "scenario,school_id,cluster_id,base_total,scenario_total,change,change_pct"
    assert lines[1].startswith("lump,A,C1,") and len(lines) == 4
    assert first["projection.csv"].decode().splitlines()[1].startswith("2013-14,2013-04-01,2014-03-31,14900.00,")


runner = CliRunner()


def test_simulate_command_exit_codes(base, tmp_path):
    good = scenario_file(tmp_path, "lump.yaml", "formula:\n  elements:\n    - {name: lump_sum, rate: 20}\n")
    bad = scenario_file(tmp_path, "oops.yaml", "budgett: {pupil_specific_pot: 1}\n")
    out = tmp_path / "sim"
    ok = runner.invoke(app, ["simulate", "-c", str(base.path), "-s", str(good), "--set", "lump_sum.rate=0,5",
                             "--years", "2", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "projection.csv", "scenarios.csv",
                                                     "simulate.xlsx"]
    only = runner.invoke(app, ["simulate", "-c", str(base.path), "-s", str(good), "-o", str(tmp_path / "one")])
    assert only.exit_code == 0  # and no empty sweep point beside the one scenario:
    assert pl.read_csv(tmp_path / "one" / "scenarios.csv")["scenario"].unique().to_list() == ["lump"]
    failed = runner.invoke(app, ["simulate", "-c", str(base.path), "-s", str(bad), "-o", str(tmp_path / "no")])
    assert failed.exit_code == 1 and "oops.yaml" in failed.output and "budgett" in failed.output
    assert not (tmp_path / "no").exists()
    assert runner.invoke(app, ["simulate", "-c", str(base.path)]).exit_code == 2
    assert runner.invoke(app, ["simulate", "-c", str(base.path), "--set", "nosuch.rate=1"]).exit_code == 2
    assert runner.invoke(app, ["simulate", "-c", str(base.path), "--years", "0"]).exit_code == 2


def test_simulate_xlsx_counts_each_scenarios_schools_in_bands_and_prints_one_page_wide(base):
    import io

    import openpyxl

    scenarios = sweep_scenarios(base, ["lump_sum.rate=0,10"])
    book = openpyxl.load_workbook(io.BytesIO(output_files(simulate(base, scenarios))["simulate.xlsx"]))
    assert "Winners and losers" in book.sheetnames and "Overview chart" in book.chartsheets[0].title
    rows = list(book["Winners and losers"].iter_rows(min_row=4, values_only=True))
    for row, outcome in zip(rows, simulate(base, scenarios).scenarios):
        assert row[0] == outcome.name
        assert sum(row[1:6]) == outcome.schools.height and sum(row[6:11]) == outcome.clusters.height
    assert rows[1][1:6] == (0, 0, 3, 0, 0)  # the base's own rate: every school unchanged
    overview = book["Overview"]
    assert overview.page_setup.orientation == "landscape" and overview.sheet_properties.pageSetUpPr.fitToPage
    assert overview.print_title_rows == "$4:$4" and "Page &P of &N" in overview.oddFooter.center.text


def test_a_run_off_year_that_cannot_be_worked_out_is_named_in_the_error__faq_8(tmp_path):
    # Both schools close in August 2015: the run-off's 2016-17 has no school to share the pot between.
    schools = [{"school_id": s, "school_name": s, "cluster_id": "C1", "ssa": "0", "pupils": "100",
                "closed": "2015-08-31"} for s in ("A", "B")]
    cfg = load_config(write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05")]))
    with pytest.raises(SenrunError) as e:
        project(read_inputs(cfg), cfg, 7)
    [issue] = e.value.errors
    assert issue.message.startswith("in the run-off's year 2016-17 (01/04/2016 – 31/03/2017): element 'per_pupil'")
    assert issue.file == "senrun.yaml"


# --- slips that would otherwise run quietly as something else --------------------------------

@pytest.mark.parametrize("option,words", [
    ("lump_sum.rate=£5,000", "write the amount without commas, 5000"),
    ("lump_sum.rate=5,000,10,000", "write the amount without commas, 5000"),
    ("budget.pupil_specific_pot=1,250,000", "write the amount without commas, 1250000"),
    ("lump_sum.rate=2,500", "to run 2 and 500, write the first with its pence: 2.00,500"),
    # a second value ten times the first or more: "6,500" had run as two scenarios, £6 and £500, exit 0
    ("lump_sum.rate=6,500", "to run 6 and 500, write the first with its pence: 6.00,500"),
    ("lump_sum.rate=45,750", "write the amount without commas, 45750"),
])
def test_a_set_value_with_a_thousands_comma_is_refused_saying_commas_separate_values(option, words):
    with pytest.raises(SetOptionError) as caught:
        sweep_overlays(BASE_RAW, [option])
    assert "commas separate the values" in str(caught.value) and words in str(caught.value)


@pytest.mark.parametrize("option,written", [
    ("phases.middle=[5, 7]", "phases: {middle: [5, 7]}"),
    ("budget={pupil_specific_pot: 5}", "budget: {pupil_specific_pot: 5}"),
    # an element's or a top-slice's key: the line had nested its name as a key ("per_pupil: {nc_years: [0, 6]}"), which
    # the scenario file then refused as an unknown key
    ("per_pupil.nc_years=[0, 6]", "formula: {elements: [{name: per_pupil, nc_years: [0, 6]}]}"),
    ("formula.elements.per_pupil.nc_years=[0,6]", "formula: {elements: [{name: per_pupil, nc_years: [0,6]}]}"),
])
def test_a_set_value_that_is_a_list_or_a_mapping_is_told_to_go_in_a_scenario_file__docs_simulate_md(
        tmp_path, option, written):
    """`--set 'phases.middle=[5, 7]'` was split at its comma into two scenarios, `[5` and `7]`, each refused with
    "must be [first, last]": --set gives each scenario one value, and the message now writes the scenario file's line,
    which simulate takes as written."""
    with pytest.raises(SetOptionError) as caught:
        sweep_overlays(BASE_RAW, [option])
    assert "not a list or a mapping: write it in a scenario file, " + written in str(caught.value)
    if "nc_years" in option:  # the line, as a scenario file, sets the element's own years
        base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")]))
        with pytest.raises(SetOptionError) as told:
            sweep_overlays(base.raw, [option])
        line = str(told.value).split("scenario file, ")[1].split(" (docs/simulate.md)")[0]
        _, cfg = load_scenario(base, scenario_file(tmp_path, "years.yaml", line + "\n"))
        assert [e.nc_years for e in cfg.elements if e.name == "per_pupil"] == [(0, 6)]


def test_a_set_key_in_other_capitals_or_with_spaces_is_told_the_name_meant_or_read_as_it():
    """`--set Lump_Sum.rate=6000` listed every key but the one meant; `--set " lump_sum . rate=6000"` named an
    element 'lump_sum ' with a space no one could see."""
    with pytest.raises(SetOptionError) as caught:
        sweep_overlays(BASE_RAW, ["Lump_Sum.rate=6000"])
    assert "no element or top-slice is named 'Lump_Sum' — did you mean 'lump_sum.rate'?" in str(caught.value)
    assert sweep_overlays(BASE_RAW, [" lump_sum . rate=6000"]) == [
        ("lump_sum.rate=6000", {"formula": {"elements": [{"name": "lump_sum", "rate": 6000}]}})]


@pytest.mark.parametrize("option,values", [
    ("lump_sum.rate=0,500", ["0", "500"]),
    ("budget.pupil_specific_pot=90,100", ["90", "100"]),
    ("lump_sum.rate=2.00,500", ["2.00", "500"]),
    # three or more values rising are a sweep, and a count's second value is thousands only at 100 times the first
    ("lump_sum.rate=0,10,100", ["0", "10", "100"]),
    ("lump_sum.rate=25,250,2500", ["25", "250", "2500"]),
    ("census_move_tolerance_days=14,365", ["14", "365"]),
])
def test_a_sweep_of_values_that_could_not_be_one_amount_runs_as_written(option, values):
    assert [name.split("=")[1] for name, _ in sweep_overlays(BASE_RAW, [option])] == values


@pytest.mark.parametrize("text,path,line,words", [
    ("formula:\n  elements:\n    - {name: lumpsum, basis: per_school, rate: 0}\n", "formula.elements[0].name", 3,
     "adds a new element 'lumpsum': did you mean 'lump_sum'?"),
    ("formula:\n  elements:\n    - {name: Lump_Sum, basis: per_school, rate: 0}\n", "formula.elements[0].name", 3,
     "adds a new element 'Lump_Sum': did you mean 'lump_sum'?"),
    ("topslices:\n  - {name: auxiliary_aid, amount: 0}\n", "topslices[0].name", 2,
     "adds a new top-slice 'auxiliary_aid': did you mean 'auxiliary_aids'?"),
    # the slip alone, where it had also been told "basis is required" of the new element it would have made
    ("formula:\n  elements:\n    - {name: lumpsum, rate: 6000}\n", "formula.elements[0].name", 3,
     "adds a new element 'lumpsum': did you mean 'lump_sum'?"),
    # a removal at its line, with the name meant (it had no line, and a second error besides)
    ("formula:\n  elements:\n    - {name: Per_Pupil, remove: true}\n", "formula.elements[0].name", 3,
     "removes 'Per_Pupil', which the base config does not have: did you mean 'per_pupil'?"),
    ("formula:\n  elements:\n    - {name: ghost, remove: true}\n", "formula.elements[0].name", 3,
     "removes 'ghost', which the base config does not have (it has lump_sum, per_pupil)"),
])
def test_a_scenario_item_named_one_slip_from_a_base_item_is_an_error_at_its_line(tmp_path, text, path, line, words):
    base = load_config(write_run(tmp_path, statements=STATEMENTS, topslices=[{"name": "auxiliary_aids", "amount": 1}]))
    with pytest.raises(SenrunError) as caught:
        load_scenario(base, scenario_file(tmp_path, "typo.yaml", text))
    [issue] = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("typo.yaml", line, path)
    assert words in issue.message


def test_a_scenario_that_removes_an_item_may_add_one_of_a_like_name_in_its_place(base):
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "remove": True},
                                                          {"name": "lumpsum", "basis": "per_school", "rate": 4000}]}},
                          "swap.yaml")
    assert "lump_sum" not in [e.name for e in cfg.elements] and cfg.elements[-1].name == "lumpsum"


def test_a_scenario_may_add_an_item_whose_name_differs_by_a_digit_or_more(base):
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "lump_sum2", "basis": "per_school", "rate": 0},
                                                          {"name": "need", "basis": "sen_support", "share": 0}]}},
                          "new.yaml")
    assert [e.name for e in cfg.elements][-2:] == ["lump_sum2", "need"]


def test_a_scenario_problem_names_the_item_by_the_scenarios_own_index(base, tmp_path):
    path = scenario_file(tmp_path, "sc1.yaml", "formula:\n  elements:\n    - {name: top_up, rate: 0}\n")
    with pytest.raises(SenrunError) as caught:
        load_scenario(base, path)
    found = {i.column: i for i in caught.value.issues}
    assert set(found) == {"formula.elements[0].basis"}  # (the merged config's [2]: told by the scenario's own [0])
    assert found["formula.elements[0].basis"].message == "'formula.elements[0].basis' is required"
    assert all(i.row == 3 and i.file == "sc1.yaml" for i in found.values())


def test_an_empty_scenario_file_is_an_error(base, tmp_path):
    with pytest.raises(SenrunError) as caught:
        load_scenario(base, scenario_file(tmp_path, "sc7.yaml", "# nothing yet\n"))
    [issue] = caught.value.issues
    assert issue.file == "sc7.yaml" and "the scenario file is empty" in issue.message


def test_one_key_in_two_set_options_is_a_usage_error_not_scenarios_named_after_values_never_used(base):
    """`--set lump_sum.rate=0,5000 --set lump_sum.rate=10000` ran both points at 10000."""
    with pytest.raises(SetOptionError, match=r"--set lump_sum.rate is given twice .*--set lump_sum.rate=0,5000,10000"):
        sweep_overlays(base.raw, ["lump_sum.rate=0,5000", "lump_sum.rate=10000"])


def test_an_element_named_twice_in_one_scenario_is_an_error_at_its_line_not_the_last_one_winning(base, tmp_path):
    path = scenario_file(tmp_path, "twice.yaml", "formula:\n  elements:\n    - {name: lump_sum, rate: 6000}\n"
                                                 "    - {name: lump_sum, rate: 7000}\n")
    with pytest.raises(SenrunError) as e:
        load_scenario(base, path)
    [issue] = e.value.issues
    assert (issue.file, issue.row, issue.column) == ("twice.yaml", 4, "formula.elements[1].name")
    assert "the name 'lump_sum' is given twice" in issue.message


def test_a_set_giving_an_element_a_second_kind_is_told_the_set_that_clears_the_first(base):
    with pytest.raises(SenrunError) as e:
        sweep_scenarios(base, ["per_pupil.share=0.5"])
    assert "add --set per_pupil.remainder=false" in str(e.value) and "to formula.elements" not in str(e.value)


def test_a_spreadsheet_given_as_a_scenario_is_told_what_a_scenario_is(base, tmp_path):
    path = scenario_file(tmp_path, "scenario.csv", "name,rate\nlump_sum,5000\n")
    with pytest.raises(SenrunError, match="not a scenario: a scenario is a .yaml file of the config keys it changes"):
        load_scenario(base, path)


def test_an_infeasible_scenario_keeps_the_inputs_place_of_its_reason_with_the_upn_hidden(tmp_path):
    """With the UPN hidden, the statement's file and row are all an officer has to find the child."""
    census = [{"upn": U2, "school_id": "B", "date_of_birth": "2005-05-05"},
              {"upn": U3, "school_id": "H", "date_of_birth": "1999-01-10"}]  # U1 is in no census row
    cfg = load_config(write_run(tmp_path, statements=STATEMENTS, census=census))
    strict = scenario_config(cfg, {"missing_from_census": "error"}, "strict.yaml")
    [failed] = simulate(cfg, [("strict", strict)]).infeasible
    assert failed.reason.startswith("statements.csv › row 2 › upn: [hidden] is not in the census")
    assert U1 not in failed.reason


def test_a_scenario_that_only_changes_transfer_works_the_psf_out_again__faq_3_spec_3(tmp_path):
    """A recorded transfer on 1 September ends PSF under `transfer: ends` (April–August paid, £3,500.00)
    and keeps it under `transfer: keeps` (the year, £8,400.00): the scenario is not the base's PSF again."""
    move = {"upn": "B801200005001", "from_school_id": "A", "to_school_id": "B", "move_date": "2013-09-01",
            "reason": "transfer"}
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], moves=[move]))
    sim = simulate(base, [("keeps", scenario_config(base, {"transfer": "keeps"}, "keeps.yaml"))])
    assert sim.base.totals.continuing_psf == 350000
    assert sim.scenarios[0].result.totals.continuing_psf == 840000


def test_a_floor_simulate_cannot_apply_is_said_on_the_terminal_and_the_overview__spec_11_8(tmp_path):
    """formula.protection needs last year's allocations, which simulate is not given: its figures leave the
    floor out, and differ from what allocate --previous pays; a warning counted among the inputs' was all
    that said so."""

    import openpyxl

    formula = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}],
               "protection": {"floor_pct": -10}}
    cfg = load_config(write_run(tmp_path, statements=STATEMENTS, formula=formula))
    said = runner.invoke(app, ["simulate", "-c", str(cfg.path), "--set", "lump_sum.rate=20", "-o",
                               str(tmp_path / "sim")])
    assert said.exit_code == 0, said.output
    assert "formula.protection is not applied in these figures" in " ".join(said.output.split())
    book = openpyxl.load_workbook(tmp_path / "sim" / "simulate.xlsx")
    assert book["Overview"]["A3"].value.startswith("formula.protection is not applied in these figures")
    (tmp_path / "plain").mkdir()
    plain = load_config(write_run(tmp_path / "plain", statements=STATEMENTS))
    quiet = runner.invoke(app, ["simulate", "-c", str(plain.path), "--set", "lump_sum.rate=20", "-o",
                                str(tmp_path / "sim2")])
    assert quiet.exit_code == 0 and "formula.protection" not in quiet.output
    added = scenario_file(tmp_path, "floor.yaml", "formula: {protection: {floor_pct: -2}}\n")  # a scenario's own
    said = runner.invoke(app, ["simulate", "-c", str(plain.path), "-s", str(added), "-o", str(tmp_path / "sim3")])
    assert said.exit_code == 0 and "formula.protection is not applied in these figures" in " ".join(said.output.split())


def test_a_scenario_with_a_floor_given_last_years_file_is_what_allocate_pays_to_the_penny__spec_11_8(tmp_path):
    """Finance officers put the scenario they choose into next year's config, so its figures must be what
    allocate pays. simulate had no --previous: a floor that bites was left out, and 431 of 434 schools of a
    chain differed from allocate's (£54,575.21 against £54,298.35 at one)."""
    from senrun.yearly.diff import previous_cluster_allocations

    schools = [{**s, "cluster_id": c} for s, c in zip(SCHOOLS, ("C1", "C1", "C2"))]
    formula = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}],
               "protection": {"floor_pct": 0}}
    cfg = load_config(write_run(tmp_path, schools=schools, statements=STATEMENTS, formula=formula))
    last = tmp_path / "last.csv"  # C2 had more last year than the formula gives it: the floor bites
    last.write_text("school_id,cluster_id,cluster_share,total\nA,C1,100000.00,100000.00\nB,C1,100000.00,100000.00\n"
                    "H,C2,600000.00,600000.00\n")
    scenario = scenario_config(cfg, {"formula": {"elements": [{"name": "lump_sum", "rate": 20}]}}, "twenty.yaml")
    sim = simulate(cfg, [("twenty", scenario)], previous=previous_cluster_allocations(last))
    (tmp_path / "paid").mkdir()
    paid = allocate(load_config(write_run(tmp_path / "paid", schools=schools, statements=STATEMENTS, formula={
        **formula, "elements": [{**formula["elements"][0], "rate": 20}, formula["elements"][1]]})),
        previous=previous_cluster_allocations(last))
    [o] = sim.scenarios
    assert o.schools.select("school_id", "scenario_total").rows() == paid.schools.select("school_id", "total").rows()
    assert "protection_skipped" not in {i.code for i in o.result.issues}
    floored = dict(paid.schools.select("school_id", "formula_protection").iter_rows())
    assert floored["H"] > 0  # the floor did bite: the comparison is of a floored run
    told = runner.invoke(app, ["simulate", "-c", str(cfg.path), "--set", "lump_sum.rate=20", "--previous", str(last),
                               "-o", str(tmp_path / "sim")])
    assert told.exit_code == 0 and "formula.protection is not applied" not in told.output
    import hashlib
    import json

    manifest = json.loads((tmp_path / "sim" / "manifest.json").read_text())  # which file set the floor
    assert manifest["previous"] == {"path": str(last), "sha256": hashlib.sha256(last.read_bytes()).hexdigest()}
    (tmp_path / "plain").mkdir()  # no floor anywhere: --previous is said to be unused, not taken in silence
    plain = load_config(write_run(tmp_path / "plain", schools=schools, statements=STATEMENTS))
    told = runner.invoke(app, ["simulate", "-c", str(plain.path), "--set", "lump_sum.rate=20", "--previous", str(last)])
    assert told.exit_code == 0 and "--previous is not used: neither the base nor any scenario has formula.protection" \
        in " ".join(told.output.split())


def test_a_scenario_that_only_changes_the_census_move_window_works_the_psf_out_again__spec_11_6_faq_3(tmp_path):
    """A managed move dated ten days after census day, the child already at the new school on it: within the
    default 31 days' window it is the trial placement of a managed move (the year paid, £8,400.00); with a window
    of 0 days the census finds an unrecorded casual move, which ends the PSF (nothing paid). The scenario had been
    given the base's PSF again: the same figures as the base, where allocate on the edited config differs."""
    move = {"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-01-27", "reason": "managed_move"}
    schools = [{k: v for k, v in s.items() if k != "pupils"} for s in SCHOOLS]
    kwargs = dict(schools=schools, statements=[statement(U2, "2005-05-05")], moves=[move],
                  census=[{"upn": U2, "school_id": "B", "date_of_birth": "2005-05-05"}])
    base = load_config(write_run(tmp_path, **kwargs))
    sim = simulate(base, [("none", scenario_config(base, {"census_move_tolerance_days": 0}, "none.yaml"))])
    (tmp_path / "edited").mkdir()
    edited = run(tmp_path / "edited", census_move_tolerance_days=0, **kwargs)
    assert sim.base.totals.continuing_psf == 840000 and edited.totals.continuing_psf == 0
    [o] = sim.scenarios
    assert not o.psf_reused
    assert o.schools.select("school_id", "scenario_total").rows() == edited.schools.select("school_id", "total").rows()


def test_a_scenario_that_drops_a_reinstatement_stops_the_child_again_as_allocate_would__spec_11_4(tmp_path):
    """The base pays a child stopped last year again under `reinstate:`; a scenario of `reinstate: null` (or
    without that line) holds the child at £0, as allocate on the config without it does."""
    register = tmp_path / "last" / "psf.csv"
    register.parent.mkdir()
    register.write_text("upn,stream,psf_school_id,paid_school_id,annual_amount,paid_from,paid_to,paid_amount,"
                        f"released_amount,reason\n{U2},PSF,A,A,8400.00,,,0.00,8400.00,not_in_census\n")
    kwargs = dict(statements=[statement(U2, "2005-05-05")])
    reinstate = [{"upn": U2, "stream": "PSF", "reason": "left out of the January census in error"}]
    base = load_config(write_run(tmp_path, reinstate=reinstate, **kwargs))
    sim = simulate(base, [("no reinstatement", scenario_config(base, {"reinstate": None}, "none.yaml"))],
                   register=register)
    (tmp_path / "edited").mkdir()
    edited = allocate(load_config(write_run(tmp_path / "edited", **kwargs)), register=register)
    assert sim.base.totals.continuing_psf == 840000 and edited.totals.continuing_psf == 0
    [o] = sim.scenarios
    assert not o.psf_reused
    assert o.schools.select("school_id", "scenario_total").rows() == edited.schools.select("school_id", "total").rows()


def test_scenarios_giving_an_element_other_years_each_count_their_own_as_allocate_would__spec_11_8(tmp_path):
    """Two scenarios, each counting the per-pupil element over its own years, had stopped simulate with an
    internal error (the second reused the first's counts, which had no column for its years)."""
    pupils = [{"upn": f"B8012000050{i:02d}", "school_id": school, "date_of_birth": dob}
              for i, (school, dob) in enumerate([("A", "2005-05-05"), ("A", "2006-05-05"), ("B", "2000-05-05"),
                                                 ("H", "1999-05-05"), ("H", "2000-02-02")])]
    schools = [{k: v for k, v in s.items() if k != "pupils"} for s in SCHOOLS]
    kwargs = dict(schools=schools, statements=STATEMENTS, census=pupils)
    base = load_config(write_run(tmp_path, **kwargs))
    runs = []
    for name, years in (("primary", [0, 6]), ("secondary", [7, 11])):
        overlay = {"formula": {"elements": [{"name": "per_pupil", "nc_years": years}]}}
        runs.append((name, scenario_config(base, overlay, f"{name}.yaml")))
    sim = simulate(base, runs)
    assert not sim.infeasible
    for (name, _), o in zip(runs, sim.scenarios, strict=True):
        (tmp_path / name).mkdir()
        years = [0, 6] if name == "primary" else [7, 11]
        edited = run(tmp_path / name, formula={"elements": [
            {"name": "lump_sum", "basis": "per_school", "rate": 10},
            {"name": "per_pupil", "basis": "pupils", "remainder": True, "nc_years": years}]}, **kwargs)
        assert o.schools.select("school_id", "scenario_total").rows() == \
            edited.schools.select("school_id", "total").rows(), name
    assert sim.scenarios[0].schools["scenario_total"].to_list() != sim.scenarios[1].schools["scenario_total"].to_list()


@pytest.mark.parametrize(("option", "overlay"), [("census_move_tolerance_days=0", {"census_move_tolerance_days": 0}),
                                                 ("delegation=devolved", {"delegation": "devolved"})])
def test_a_set_of_any_top_level_config_key_is_a_dotted_config_key(option, overlay):
    """docs/simulate.md: KEY may be "a dotted config key"; the keys of §11 had been refused as unknown."""
    assert sweep_overlays(BASE_RAW, [option]) == [(option, overlay)]


def test_an_element_or_top_slice_named_like_a_single_valued_config_key_is_still_set_by_its_name():
    """`contact` and `delegation` are config keys of one value: `contact.amount` can only mean a top-slice named
    contact; a name shared with a config key of several (`previous`) is asked to be written in full."""
    base = {"formula": {"elements": [{"name": "previous", "basis": "pupils", "remainder": True},
                                     {"name": "delegation", "basis": "per_school", "rate": 1}]},
            "topslices": [{"name": "contact", "amount": 10}]}
    assert sweep_overlays(base, ["contact.amount=20"]) == [
        ("contact.amount=20", {"topslices": [{"name": "contact", "amount": 20}]})]
    assert sweep_overlays(base, ["delegation.rate=2"]) == [
        ("delegation.rate=2", {"formula": {"elements": [{"name": "delegation", "rate": 2}]}})]
    assert sweep_overlays(base, ["delegation=devolved"]) == [("delegation=devolved", {"delegation": "devolved"})]
    with pytest.raises(SetOptionError, match="write formula.elements.previous.rate for the element"):
        sweep_overlays(base, ["previous.rate=7"])
    assert sweep_overlays(base, ["formula.elements.previous.rate=7"]) == [
        ("formula.elements.previous.rate=7", {"formula": {"elements": [{"name": "previous", "rate": 7}]}})]
    with pytest.raises(SetOptionError, match="no element is named 'nosuch'"):
        sweep_overlays(base, ["formula.elements.nosuch.rate=7"])


# --- what a scenario or a sweep cannot say ---------------------------------------------

def test_a_scenario_whose_formula_is_not_a_mapping_is_an_error_at_its_line_not_a_crash__spec_8(base, tmp_path):
    path = scenario_file(tmp_path, "odd.yaml", "# a list where the formula belongs\nformula: [1, 2]\n")
    with pytest.raises(SenrunError) as caught:
        load_scenario(base, path)
    [issue] = caught.value.issues
    assert (issue.file, issue.row, issue.column) == ("odd.yaml", 2, "formula")
    assert "formula must be a mapping of keys to values, not a list" in issue.message
    with pytest.raises(SenrunError, match="formula must be a mapping of keys to values, not a number"):
        scenario_config(base, {"formula": 5}, "--set formula=5")


def test_a_sweep_of_a_top_slice_by_its_full_path_must_name_one_the_base_has__spec_7():
    [(_, overlay)] = sweep_overlays(BASE_RAW, ["topslices.host.per_cluster=3"])
    assert overlay == {"topslices": [{"name": "host", "per_cluster": 3}]}
    with pytest.raises(SetOptionError, match="no top-slice is named 'hots' — did you mean 'host'"):
        sweep_overlays(BASE_RAW, ["topslices.hots.per_cluster=3"])
    with pytest.raises(SetOptionError, match="no top-slice is named 'nosuch'"):
        sweep_overlays(BASE_RAW, ["topslices.nosuch.amount=5"])


def test_a_sweep_cannot_rename_an_element_or_top_slice_as_it_finds_the_item_by_its_name__spec_6():
    for option in ("lump_sum.name=foo", "formula.elements.lump_sum.name=foo", "host.name=foo",
                   "topslices.host.name=foo"):
        with pytest.raises(SetOptionError, match="cannot change the name"):
            sweep_overlays(BASE_RAW, [option])
    [(_, overlay)] = sweep_overlays(BASE_RAW, ["lump_sum.label=Fixed sum"])
    assert overlay == {"formula": {"elements": [{"name": "lump_sum", "label": "Fixed sum"}]}}


def test_scenario_sheet_names_that_excel_takes_for_one_name_in_capitals_are_made_unique__docs_simulate_md():
    """Excel tells sheet names apart ignoring case as it writes capitals: 'σ' and 'ς' are both 'Σ', 'ı' is 'I',
    'ſ' is 'S', the micro sign is 'Μ', though Python's lower() keeps each apart from the other."""
    from senrun.yearly.simbook import cluster_sheet_names

    sheets = sheet_names(["Σ", "ς", "I", "ı", "s", "ſ", "μ", "µ"])
    names = cluster_sheet_names(sheets)
    assert sheets == ["Σ", "ς (2)", "I", "ı (2)", "s", "ſ (2)", "μ", "µ (2)"]
    assert len({n.upper() for n in names + sheets}) == len(names) + len(sheets)


def test_a_scenario_file_or_config_whose_name_is_not_utf8_is_named_with_a_replacement_character__docs_simulate_md(
        tmp_path):
    """A scenario is named by its file's stem; a name whose bytes are not UTF-8 (copied from an older system,
    `caf\\xe9.yaml`) had stopped simulate with a traceback when its name was put in scenarios.csv, and a base config
    so named when its name headed the Overview."""
    import io

    import openpyxl

    config = write_run(tmp_path, statements=STATEMENTS)
    odd = config.rename(config.with_name("senrun\udce9.yaml"))
    base = load_config(odd)
    path = scenario_file(tmp_path, "caf\udce9.yaml", "formula:\n  elements:\n    - {name: lump_sum, rate: 20}\n")
    name, cfg = load_scenario(base, path)
    assert name == "caf\ufffd"
    files = output_files(simulate(base, [(name, cfg)]))
    assert "caf\ufffd" in files["scenarios.csv"].decode("utf-8")
    book = openpyxl.load_workbook(io.BytesIO(files["simulate.xlsx"]))
    assert "caf\ufffd" in book.sheetnames
    assert book["Overview"]["A1"].value.startswith("What-if scenarios on senrun\ufffd.yaml")
