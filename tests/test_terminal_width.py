"""No figure is ever cut on a terminal, at any width (issue 13, point 7): tables drop or fold
columns and say where the dropped ones are; every money value appears whole."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from builders import SCHOOLS, pupil, statement, write_run
from senrun.cli import app
from senrun.cli.common import console
from senrun.config.loader import load_config
from senrun.config.overlay import sweep_scenarios
from senrun.money import fmt_gbp
from senrun.yearly.simulate import simulate

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# a money figure and what follows it: a cut one ("-£4,947." or "£15,057,58") is not followed by 2 decimals
MONEY = re.compile(r"£[\d,]*(?:\.\d*)?")
WHOLE = re.compile(r"^£\d{1,3}(?:,\d{3})*\.\d{2}$")
SCHOOLS_WIDE = [{**s, "school_name": s["school_name"] + " Church of England Voluntary Aided School"}
                for s in SCHOOLS] + [{"school_id": "9262041", "school_name": "Oakfield Primary", "cluster_id": "C2",
                                      "ssa": "123456.78", "pupils": "250"}]
UPNS = ["B801200005001", "E801200005002", "E801200005003"]


@pytest.fixture
def terminal(monkeypatch):
    """The shared console as a terminal of a given width."""
    def at(width: int):
        monkeypatch.setattr(console, "_force_terminal", True)
        monkeypatch.setattr(console, "_width", width)
        monkeypatch.setattr(console, "_color_system", None)
    return at


@pytest.fixture
def cfg(tmp_path):
    return write_run(tmp_path, schools=SCHOOLS_WIDE, budget={"pupil_specific_pot": 21000000},
                     statements=[statement(UPNS[0], "2002-08-31", school="A", annual="1200.00"),
                                 statement(UPNS[1], "2005-05-05", school="B", annual="18400.00"),
                                 statement(UPNS[2], "1999-01-10", school="H", annual="96000.00")],
                     census=[pupil(UPNS[0], "A", "2002-08-31"), pupil(UPNS[1], "B", "2005-05-05"),
                             pupil(UPNS[2], "H", "1999-01-10")])


def _figures(text: str) -> list[str]:
    return [m for m in MONEY.findall(ANSI.sub("", text)) if m != "£"]


@pytest.mark.parametrize("width", [80, 50])
def test_every_figure_of_the_simulate_grid_appears_whole(cfg, terminal, width):
    terminal(width)
    args = ["simulate", "--config", str(cfg), "--years", "3", "--set", "lump_sum.rate=0,2500.55,6000",
            "--set", "budget.pupil_specific_pot=21000000,22000000"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = _figures(result.output)
    assert shown and all(WHOLE.match(f) for f in shown), [f for f in shown if not WHOLE.match(f)]
    lines = ANSI.sub("", result.output).splitlines()
    assert max(len(line) for line in lines if "(not shown" not in line and "—" not in line) <= width
    base = load_config(cfg)
    sim = simulate(base, sweep_scenarios(base, ["lump_sum.rate=0,2500.55,6000",
                                                "budget.pupil_specific_pot=21000000,22000000"]), years=3)
    for o in sim.scenarios:  # each scenario's money moved is there, whole
        assert fmt_gbp(o.summary.money_moved) in shown
    for value in sim.projection["cluster_pot"].to_list():
        assert fmt_gbp(value) in shown
    if width < 80:
        assert "(not shown at this width:" in result.output


@pytest.mark.parametrize("width", [80, 30])
def test_allocate_figures_are_whole_at_any_width(cfg, terminal, tmp_path, width):
    terminal(width)
    result = CliRunner().invoke(app, ["allocate", "--config", str(cfg), "--out", str(tmp_path / "out"),
                                      "--no-returns"])
    assert result.exit_code == 0, result.output
    shown = _figures(result.output)
    assert shown and all(WHOLE.match(f) for f in shown), shown
    assert "£21,000,000.00" in shown  # the pupil-specific pot, in the money table


@pytest.mark.parametrize("width", [79, 40])
def test_validate_on_a_narrow_terminal_lists_each_problem_on_lines_of_its_own_with_no_word_split(cfg, terminal, width):
    """Below 80 columns the problems' table split words ("expect|ed", "census_casua|l_move"); each problem is now
    one line saying where and what, as in a log, and wraps between words."""
    terminal(width)
    schools = cfg.parent / "schools.csv"
    schools.write_text(schools.read_text().replace("1000.00", "1000.0x"), encoding="utf-8")  # a bad SSA cell
    result = CliRunner().invoke(app, ["validate", "--config", str(cfg)])
    text = ANSI.sub("", result.output)
    assert result.exit_code == 1 and "┃" not in text and "│" not in text
    assert "error: schools.csv › row 2 › ssa:" in " ".join(text.split())
