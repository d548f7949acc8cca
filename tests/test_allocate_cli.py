"""`senrun allocate` end to end on the committed `la` sample, as a finance officer runs it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from typer.testing import CliRunner

from senrun.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "senrun.yaml"
runner = CliRunner()


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path → SHA-256)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run1") / "out"
    result = runner.invoke(app, ["allocate", "--config", str(CONFIG), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    return out


def test_allocate_writes_every_output_of_the_spec(first_run):
    names = set(tree(first_run))
    assert {"allocations.xlsx", "schools.csv", "clusters.csv", "psf.csv", "manifest.json"} <= names
    schools = pl.read_csv(first_run / "schools.csv", infer_schema=False)
    assert len([n for n in names if n.startswith("returns/")]) == schools.height == 431


def test_two_runs_give_byte_identical_folders(first_run, tmp_path):
    again = tmp_path / "out"
    result = runner.invoke(app, ["allocate", "--config", str(CONFIG), "--out", str(again), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert tree(again) == tree(first_run)


def test_a_bad_input_leaves_the_previous_output_folder_untouched(first_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(first_run, out)
    before = tree(out)
    bad = tmp_path / "bad"
    shutil.copytree(ROOT / "sample_data", bad)
    text = (ROOT / "config" / "senrun.yaml").read_text().replace("../sample_data/", "../bad/")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "senrun.yaml").write_text(text)
    census = (bad / "census.csv").read_text().splitlines()
    census[5] = census[5].replace(census[5].split(",")[2], "31/02/2006")  # DOB column: not a date
    (bad / "census.csv").write_text("\n".join(census) + "\n")
    result = runner.invoke(app, ["allocate", "--config", str(tmp_path / "config" / "senrun.yaml"), "--out", str(out)])
    assert result.exit_code == 1
    assert "census.csv" in result.output and "row 6" in result.output and "DOB" in result.output
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "config", "out"]  # no litter beside it


def test_each_return_holds_only_its_own_schools_children(first_run):
    psf = pl.read_csv(first_run / "psf.csv", infer_schema=False)
    paid_at = {}
    for upn, school, paid in psf.select("upn", "paid_school_id", "paid_amount").iter_rows():
        if paid != "0.00":
            paid_at.setdefault(school, set()).add(upn)
    all_upns = set(psf["upn"])
    checked = 0
    for path in sorted((first_run / "returns").glob("*.xlsx")):
        # every cell of the return's sheet as text (fastexcel: a third of openpyxl's time over 431 files)
        sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        cells = {v for column in sheet.columns for v in sheet[column].to_list() if v is not None}
        assert cells & all_upns == paid_at.get(path.stem, set()), path.name
        checked += 1
    assert checked == 431


def test_the_terminal_summary_shows_the_money_identity(first_run, tmp_path):
    result = runner.invoke(app, ["allocate", "--config", str(CONFIG), "--out", str(tmp_path / "o"), "--no-returns"])
    assert result.exit_code == 0
    assert "£16,117,000.00" in result.output and "cluster pot" in result.output
    assert not (tmp_path / "o" / "returns").exists()


def test_a_rerun_that_replaces_another_run_of_the_year_says_so_with_both_references__spec_6(tmp_path):
    """A correction re-run into the issued run's folder had replaced it with the usual "Wrote …" and no word: the
    returns sent to schools, and next year's register, were another run's without anyone being told."""
    from builders import statement, write_run
    from senrun.cli.common import console

    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")])
    out = tmp_path / "out"
    first = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--no-returns"])
    assert first.exit_code == 0 and "Replaced" not in first.output
    before = json.loads((out / "manifest.json").read_text())["run_reference"]
    same = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--no-returns"])
    assert same.exit_code == 0 and "Replaced" not in same.output  # the same run again replaces nothing of note
    config.write_text(config.read_text(encoding="utf-8") + "issued: 02/05/2013\n", encoding="utf-8")  # a correction
    width = console.width
    console.width = 400  # one line
    try:
        again = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--no-returns", "-q"])
    finally:
        console.width = width
    after = json.loads((out / "manifest.json").read_text())["run_reference"]
    assert again.exit_code == 0 and before != after
    assert (f"Replaced the earlier run in {out} (Run {before} in its footers) with this one (Run {after}). If that "
            "run was issued to schools, it can be made again, byte for byte, from its config and inputs") in again.output
