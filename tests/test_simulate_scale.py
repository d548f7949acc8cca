"""simulate at scale (issue 15): `--sheets`, scenarios.csv written as the scenarios run, and the
sweep's formulas run together (yearly/batch.py) giving what pipeline.compute gives."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from builders import statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.config.overlay import scenario_config, sweep_scenarios
from senrun.errors import SenrunError
from senrun.pipeline import allocate, compute, prepare, read_inputs
from senrun.yearly.batch import batch_runs, batchable
from senrun.yearly.simbook import output_files, run_and_write
from senrun.yearly.simulate import Sheets, simulate

ROOT = Path(__file__).resolve().parents[1]
BEFORE = Path(__file__).resolve().parent / "fixtures" / "simulate_before"
STATEMENTS = [statement("B801200005001", "2002-08-31", school="A", annual="1200.00"),
              statement("E801200005002", "2005-05-05", school="B", annual="8400.00")]
runner = CliRunner()


@pytest.fixture
def base(tmp_path):
    return load_config(write_run(tmp_path, statements=STATEMENTS))


# --- the option -----------------------------------------------------------------------

def test_sheets_is_all_none_or_top_n():
    assert Sheets.parse("all") == Sheets("all") and Sheets.parse("none") == Sheets("none")
    assert Sheets.parse("top:3") == Sheets("top", 3) and str(Sheets.parse("TOP:12")) == "top:12"
    for bad in ("top:0", "top:x", "top:", "top", "some", "all:2", "top:-1", ""):
        with pytest.raises(ValueError, match="expected all, none or top:N"):
            Sheets.parse(bad)


@pytest.mark.parametrize("value", ["top:0", "top:x", "some"])
def test_a_bad_sheets_value_is_a_usage_error(base, tmp_path, value):
    done = runner.invoke(app, ["simulate", "-c", str(base.path), "--set", "lump_sum.rate=0,5", "--sheets", value,
                               "-o", str(tmp_path / "sim")])
    assert done.exit_code == 2 and "--sheets" in done.output and "top:N" in done.output
    assert not (tmp_path / "sim").exists()


# --- which scenarios get a sheet -------------------------------------------------------

def _moved(base_run, run) -> int:
    """Σ over schools of |scenario total − base total|, worked from two allocate runs."""
    was = dict(base_run.schools.select("school_id", "total").iter_rows())
    now = dict(run.schools.select("school_id", "total").iter_rows())
    return sum(abs(now.get(s, 0) - was.get(s, 0)) for s in set(was) | set(now))


def test_top_n_gives_sheets_to_the_scenarios_that_move_the_most_money_ties_by_order(base):
    # 10 and 10.0 are the base's own rate (nothing moves); 0 and 0.00 tie, the first wins
    scenarios = sweep_scenarios(base, ["lump_sum.rate=10,0,25,0.00,4,10.0,40"])
    before = allocate(base)
    moved = [_moved(before, allocate(cfg)) for _, cfg in scenarios]
    assert moved[1] == moved[3] and moved[0] == moved[5] == 0
    order = sorted(range(len(scenarios)), key=lambda i: (-moved[i], i))
    for n in (1, 2, 3, 7, 20):
        sim = simulate(base, scenarios, sheets=Sheets("top", n))
        expected = [scenarios[i][0] for i in sorted(order[:n])]
        assert [o.name for o in sim.scenarios] == expected
        assert [r.name for r in sim.rows] == [name for name, _ in scenarios]
        assert [r.moved for r in sim.rows] == moved
        book = openpyxl.load_workbook(io.BytesIO(output_files(sim)["simulate.xlsx"]), read_only=True)
        assert [s for s in book.sheetnames if s.startswith("lump_sum")] == expected
    assert simulate(base, scenarios, sheets=Sheets("none")).scenarios == ()


def test_the_overview_names_the_sheets_when_some_scenarios_have_none(base):
    scenarios = sweep_scenarios(base, ["lump_sum.rate=0,25,4"])
    sim = simulate(base, scenarios, sheets=Sheets("top", 1))
    book = openpyxl.load_workbook(io.BytesIO(output_files(sim)["simulate.xlsx"]))
    rows = list(book["Overview"].iter_rows(min_row=4, values_only=True))
    assert rows[0][:2] == ("Scenario", "Sheet")
    assert [r[:2] for r in rows[1:]] == [("lump_sum.rate=0", None), ("lump_sum.rate=25", "lump_sum.rate=25"),
                                         ("lump_sum.rate=4", None)]
    assert [r[0] for r in book["Winners and losers"].iter_rows(min_row=4, values_only=True)] == \
        [name for name, _ in scenarios]


@pytest.mark.parametrize("sheets", ["all", "none", "top:1"])
def test_scenarios_csv_has_every_scenario_whatever_sheets_says(base, tmp_path, sheets, monkeypatch):
    import senrun.yearly.simulate as simulate_module

    monkeypatch.setattr(simulate_module, "CHUNK", 4)  # chunks of 4 scenarios: 11 make three, the last short
    values = ",".join(str(v) for v in range(0, 2 * 4 + 3))
    out = tmp_path / "sim"
    done = runner.invoke(app, ["simulate", "-c", str(base.path), "--set", f"lump_sum.rate={values}", "--sheets",
                               sheets, "-o", str(out)])
    assert done.exit_code == 0, done.output
    rows = pl.read_csv(out / "scenarios.csv", infer_schema=False)
    expected = [f"lump_sum.rate={v}" for v in values.split(",")]
    assert rows["scenario"].unique(maintain_order=True).to_list() == expected
    assert rows.height == len(expected) * 3
    whole = simulate(base, sweep_scenarios(base, [f"lump_sum.rate={values}"]))
    assert (out / "scenarios.csv").read_bytes() == output_files(whole)["scenarios.csv"]


def test_a_large_sweep_by_default_has_20_sheets_and_says_how_to_ask_for_more(base, tmp_path):
    values = ",".join(str(v) for v in range(25))
    done = runner.invoke(app, ["simulate", "-c", str(base.path), "--set", f"lump_sum.rate={values}",
                               "-o", str(tmp_path / "sim")])
    assert done.exit_code == 0, done.output
    assert "sheets for the 20 of 25 scenarios that move the most money" in " ".join(done.output.split())
    assert "--sheets all" in done.output
    book = openpyxl.load_workbook(tmp_path / "sim" / "simulate.xlsx", read_only=True)
    assert len([s for s in book.sheetnames if s.startswith("lump_sum")]) == 20
    small = runner.invoke(app, ["simulate", "-c", str(base.path), "--set", "lump_sum.rate=0,5",
                                "-o", str(tmp_path / "small")])
    assert small.exit_code == 0 and "--sheets" not in small.output


# --- the same outputs as before ---------------------------------------------------------

def _values(path_or_bytes) -> dict:
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {name: _trimmed([list(r) for r in book[name].iter_rows(values_only=True)]) if name in book.sheetnames
            and hasattr(book[name], "iter_rows") else None for name in book.sheetnames}


def _trimmed(rows: list[list]) -> list[list]:
    """Rows without their trailing blank cells, and without trailing blank rows."""
    rows = [r[:max((i + 1 for i, v in enumerate(r) if v is not None), default=0)] for r in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _tables_apart(values: dict) -> dict:
    """The reference workbook's scenario sheets as simulate now writes them (docs/simulate.md): the schools
    (columns A-G) on the scenario's sheet, its clusters, formula and cluster pot (from column I, in the same
    rows) on the sheet named `Clusters ` and the scenario's sheet name."""
    out = {}
    for name, rows in values.items():
        if rows and rows[0][:1] == ["School ID"]:
            out[name], out[f"Clusters {name}"] = _trimmed([r[:7] for r in rows]), _trimmed([r[8:] for r in rows])
        else:
            out[name] = rows
    return out


@pytest.mark.parametrize("sheets", [None, "all"])  # (top:N of N or more scenarios: test_top_n_gives_sheets…)
def test_a_small_sweep_writes_what_simulate_wrote_before_its_sheets_were_chosen(tmp_path, sheets):
    """The reference files are simulate's outputs for this command before --sheets existed (simulate.xlsx's
    formula tables since written in words and numbers, as the Summary's: rates in £, units as numbers; each
    scenario's clusters and formula since on a sheet of their own, the same cells in the same rows)."""
    config = ROOT / "config" / "senrun.yaml"
    if not (ROOT / "sample_data" / "census.csv").is_file():
        pytest.skip("the committed sample data is not there")
    out = tmp_path / "sim"
    args = ["simulate", "-c", str(config), "--set", "lump_sum.rate=0,2500.55,6000,90000", "--years", "2",
            "-o", str(out)] + (["--sheets", sheets] if sheets else [])
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    for name in ("scenarios.csv", "infeasible.csv", "projection.csv"):
        assert pl.read_csv(out / name, infer_schema=False).equals(pl.read_csv(BEFORE / name, infer_schema=False))
        assert (out / name).read_bytes() == (BEFORE / name).read_bytes()
    assert _values(out / "simulate.xlsx") == _tables_apart(_values(BEFORE / "simulate.xlsx"))


# --- the sweep's formulas together --------------------------------------------------------

def test_a_sweep_run_together_gives_what_compute_gives_point_by_point(base):
    overlays = [{"formula": {"elements": [{"name": "lump_sum", "rate": r}]}} for r in ("0", "10", "2500.50", "99999")]
    overlays += [{"formula": {"elements": [{"name": "per_pupil", "remove": True}, {"name": "lump_sum", "rate": "solve"}]}},
                 {"formula": {"elements": [{"name": "lump_sum", "share": "0.3", "rate": None}]}},
                 {"budget": {"pupil_specific_pot": 2000000}}, {"budget": {"pupil_specific_pot": 1}}]
    cfgs = [scenario_config(base, o, f"s{i}.yaml") for i, o in enumerate(overlays)]
    inp = read_inputs(base)
    ready = prepare(inp, base)
    for group in ([c for c in cfgs if len(c.elements) == 2], [c for c in cfgs if len(c.elements) == 1]):
        assert all(batchable(c) for c in group)
        for cfg, got in zip(group, batch_runs(inp, ready, group)):
            try:
                want = compute(inp, cfg, prepared=ready, workings=False)
            except SenrunError as exc:
                assert isinstance(got, SenrunError) and str(got) == str(exc)
                assert getattr(got, "highest", None) == getattr(exc, "highest", None)
                continue
            assert got.schools.equals(want.schools) and got.schools.schema == want.schools.schema
            assert got.clusters.equals(want.clusters) and got.clusters.schema == want.clusters.schema
            assert (got.elements, got.totals, got.checks, got.issues, got.no_return) == \
                (want.elements, want.totals, want.checks, want.issues, want.no_return)


def test_the_written_run_keeps_only_the_chosen_scenarios_frames(base, tmp_path):
    scenarios = sweep_scenarios(base, ["lump_sum.rate=0,25,4,7"])
    sim = run_and_write(base, scenarios, tmp_path / "sim", sheets=Sheets("top", 2))
    assert [o.name for o in sim.scenarios] == ["lump_sum.rate=0", "lump_sum.rate=25"] and sim.sheet_rows == (0, 1)
    assert len(sim.rows) == 4
    assert sorted(p.name for p in (tmp_path / "sim").iterdir()) == ["manifest.json", "scenarios.csv", "simulate.xlsx"]


def test_a_scenarios_formula_table_gives_rates_and_units_as_numbers_in_words_as_the_summary_does(base, tmp_path):
    """The rate (4000) and units (3) were text cells headed by code words (`lump_sum`, `rate`), where the Summary
    and docs/simulate.md give a number in £ and words."""
    done = runner.invoke(app, ["simulate", "-c", str(base.path), "--set", "lump_sum.rate=4000", "-o", str(tmp_path / "sim")])
    assert done.exit_code == 0, done.output
    sheet = openpyxl.load_workbook(tmp_path / "sim" / "simulate.xlsx")["Clusters lump_sum.rate=4000"]  # below them
    [row] = [r for r in sheet.iter_rows() if any(c.value == "Lump sum" for c in r)]
    at = next(i for i, c in enumerate(row) if c.value == "Lump sum")
    _, shared_by, set_as, rate, units, total = row[at:at + 6]
    assert (shared_by.value, set_as.value) == ("a fixed sum per school", "a rate per unit")
    assert rate.value == 4000 and "£" in rate.number_format
    assert units.value == 3 and total.value == 12000 and "£" in total.number_format


def test_a_pot_swept_past_the_sen_totals_check_is_told_how_to_drop_the_check_and_the_helps_example_runs(tmp_path):
    """The help's own example (--set budget.pupil_specific_pot=16000000) failed on a config with budget.sen_total,
    saying only that the totals disagree; it now says how, and the help gives the pair of --set that runs."""
    budget = {"pupil_specific_pot": 1000000, "sen_total": "1006000", "ssa_total": "6000"}
    config = write_run(tmp_path, statements=STATEMENTS, budget=budget)
    alone = runner.invoke(app, ["simulate", "-c", str(config), "--set", "budget.pupil_specific_pot=1200000",
                                "-o", str(tmp_path / "alone")])
    assert alone.exit_code == 1 and "--set budget.sen_total=null" in " ".join(alone.output.split())
    both = runner.invoke(app, ["simulate", "-c", str(config), "--set", "budget.pupil_specific_pot=1200000",
                               "--set", "budget.sen_total=null", "-o", str(tmp_path / "both")])
    assert both.exit_code == 0, both.output
    from senrun.cli.simulate import SetOpt

    assert "--set budget.pupil_specific_pot=16000000 --set budget.sen_total=null" in SetOpt.__metadata__[0].help
