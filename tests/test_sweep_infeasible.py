"""Sweeps never abort as a whole: a point the pot cannot pay is a row marked infeasible, with the
highest affordable rate worked to the penny (issue 13, point 4)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from builders import statement, write_run
from senrun.affordable import Unaffordable, highest_pence
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.config.overlay import sweep_scenarios
from senrun.pipeline import allocate
from senrun.yearly.simbook import output_files
from senrun.yearly.simulate import simulate

STATEMENTS = [statement("B801200005001", "2002-08-31", school="A", annual="1200.00")]
# three schools, pot £10,000 less continuing PSF: a lump sum of £10,000 a school is over the pot
BUDGET = {"pupil_specific_pot": 1000000}


@pytest.fixture
def cfg(tmp_path):
    return load_config(write_run(tmp_path, statements=STATEMENTS, budget=BUDGET))


def test_the_highest_rate_is_the_last_penny_whose_rounded_total_fits():
    # 3 units, £10.00 available: 333p × 3 = 999p fits, 334p × 3 = 1002p does not
    assert highest_pence(1000, 3, 1) == 333
    # a column scaled by 10^6 with 1.5 units: 1.5 × 667p = 1000.5p rounds to 1001p (over), 666p → 999p
    assert highest_pence(1000, 1_500_000, 10 ** 6) == 666
    assert highest_pence(-1, 3, 1) is None
    for available, units in ((12345, 7), (1, 1), (0, 5), (999_999, 431)):
        p = highest_pence(available, units, 1)
        assert p * units <= available < (p + 1) * units


def test_allocate_with_a_lump_sum_over_the_pot_names_the_highest_affordable_rate(cfg, tmp_path):
    base = allocate(cfg)
    pot = base.totals.cluster_pot
    too_big = sweep_scenarios(cfg, ["lump_sum.rate=10000000"])[0][1]
    with pytest.raises(Unaffordable) as caught:
        allocate(too_big)
    highest = caught.value.highest["lump_sum"]
    assert highest == (Decimal(pot // 3) / 100).quantize(Decimal("0.01"))
    assert f"lump_sum £{highest:,.2f}" in str(caught.value)
    # the highest rate runs, a penny more does not
    at, over = sweep_scenarios(cfg, [f"lump_sum.rate={highest},{highest + Decimal('0.01')}"])
    assert allocate(at[1]).totals.cluster_pot == pot
    with pytest.raises(Unaffordable):
        allocate(over[1])


def test_a_sweep_with_one_unaffordable_point_runs_the_others_and_marks_it_infeasible(cfg):
    sim = simulate(cfg, sweep_scenarios(cfg, ["lump_sum.rate=0,100,10000000"]))
    assert [o.name for o in sim.scenarios] == ["lump_sum.rate=0", "lump_sum.rate=100"]
    (bad,) = sim.infeasible
    assert bad.name == "lump_sum.rate=10000000"
    assert "more than the cluster pot" in bad.reason
    pot = sim.base.totals.cluster_pot
    assert bad.highest == f"lump_sum.rate={Decimal(pot // 3) / 100:.2f}"
    files = output_files(sim)
    rows = pl.read_csv(files["infeasible.csv"], infer_schema=False)
    assert rows.rows() == [("lump_sum.rate=10000000", "infeasible", bad.reason, bad.highest)]
    assert set(pl.read_csv(files["scenarios.csv"])["scenario"]) == {"lump_sum.rate=0", "lump_sum.rate=100"}


def test_a_sweep_that_all_runs_writes_no_infeasible_file(cfg):
    assert "infeasible.csv" not in output_files(simulate(cfg, sweep_scenarios(cfg, ["lump_sum.rate=0,100"])))


def test_simulate_exits_0_when_one_point_ran_1_with_strict_and_1_when_none_ran(cfg, tmp_path):
    runner = CliRunner()
    args = ["simulate", "--config", str(cfg.path), "--set", "lump_sum.rate=0,10000000"]
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "sim")])
    assert ok.exit_code == 0, ok.output
    assert "infeasible lump_sum.rate=10000000" in ok.output and (tmp_path / "sim" / "infeasible.csv").exists()
    strict = runner.invoke(app, [*args, "--strict", "-q"])
    assert strict.exit_code == 1  # and says why, where it had said only "Wrote …"
    assert "--strict: 1 scenario(s) could not run (listed above), so the exit status is 1; the others ran" in \
        " ".join(strict.output.split())
    written = runner.invoke(app, [*args, "--strict", "--out", str(tmp_path / "strict")])
    assert written.exit_code == 1 and "the others ran and were written" in " ".join(written.output.split())
    none = runner.invoke(app, ["simulate", "--config", str(cfg.path), "--set", "lump_sum.rate=10000000",
                               "--out", str(tmp_path / "none")])
    assert none.exit_code == 1 and "no scenario could run" in none.output
    assert not (tmp_path / "none").exists()


def test_a_point_that_fails_on_a_childs_data_names_no_child_in_the_files_it_writes(tmp_path):
    """simulate.xlsx, infeasible.csv and manifest.json may be shared (docs/security.md): the reason a
    point failed hides a child's UPN there, as validate's report does."""
    from builders import pupil

    upn = "B801200005001"  # in no census: `missing_from_census: error` makes that an error
    path = write_run(tmp_path, statements=STATEMENTS, census=[pupil("B801200005002", "A", "2002-08-31")])
    out = tmp_path / "sim"
    ran = CliRunner().invoke(app, ["simulate", "--config", str(path), "--set", "missing_from_census=error,cease",
                                   "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "[hidden] is not in the census" in " ".join(ran.output.split()) and upn not in ran.output
    for name in ("infeasible.csv", "manifest.json"):
        assert upn not in (out / name).read_text() and "[hidden]" in (out / name).read_text()
    import zipfile

    with zipfile.ZipFile(out / "simulate.xlsx") as book:
        assert not any(upn.encode() in book.read(part) for part in book.namelist())
