"""Options that would otherwise crash, or leave something behind: `sample --seed`, a sample that fails
half way, and `allocate --previous-config` given alone."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from senrun.cli import app
from senrun.sample import generate

from builders import statement, write_run

runner = CliRunner()


def test_a_negative_sample_seed_is_a_usage_error_and_makes_no_folder(tmp_path):
    done = runner.invoke(app, ["sample", "--seed", "-1", "--out", str(tmp_path / "s1")])
    assert done.exit_code == 2
    assert "Invalid value for '--seed': -1 is not in the range x>=0." in " ".join(done.output.split())
    assert not (tmp_path / "s1").exists()


def test_a_sample_that_fails_while_writing_leaves_no_folder(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generate, "write_config", full_disk)
    done = runner.invoke(app, ["sample", "--out", str(tmp_path / "s")])
    assert done.exit_code == 1 and "nothing was written" in done.output
    assert list(tmp_path.iterdir()) == []


def test_allocate_with_previous_config_alone_explains_the_change_from_last_years_run_recomputed(tmp_path):
    """Without --previous, last year's totals are last year's run recomputed from its config."""
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "A")])
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--previous-config",
                               str(config), "--no-returns", "--quiet"])
    assert done.exit_code == 0, done.output
    with (tmp_path / "out" / "diff.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {(r["previous_total"] == r["current_total"], r["change"], r["change_other"]) for r in rows} == {
        (True, "0.00", "0.00")}
    import json  # this year's own config given as last year's is said to be so (decisions 87)
    assert "previous_not_last_year" in json.loads((tmp_path / "out" / "manifest.json").read_text())["warnings"]["by_code"]


def test_a_slip_in_last_years_config_is_said_to_be_last_years_and_fails_the_nightly_check_as_the_run(tmp_path):
    """Both years' configs are senrun.yaml: `allocate --previous-config` had stopped on "senrun.yaml › line 9"
    without saying which year's, and validate, which had no --previous-config, passed."""
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "A")])
    last = tmp_path / "last"
    last.mkdir()
    write_run(last, statements=[statement("B801200005001", "2006-05-01", "A")])
    (last / "senrun.yaml").write_text((last / "senrun.yaml").read_text() + "prorates: months\n")
    said = f"in last year's run (--previous-config {last / 'senrun.yaml'}): unknown key 'prorates'"
    ran = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--previous-config",
                              str(last / "senrun.yaml"), "--no-returns", "--quiet"])
    assert ran.exit_code == 1 and said in " ".join(ran.output.split())
    ran = runner.invoke(app, ["validate", "-c", str(config), "--previous-config", str(last / "senrun.yaml")])
    assert ran.exit_code == 1 and said in " ".join(ran.output.split())
    # this year's own config given as last year's: why each total changed would be told against this year
    ran = runner.invoke(app, ["validate", "-c", str(config), "--previous-config", str(config)])
    assert ran.exit_code == 0 and "--previous-config is the config of 01/04/2013 – 31/03/2014, not of the year " \
        "before" in " ".join(ran.output.split())
    # last year's inputs are read as the run reads them: one gone fails the check as it would stop the run
    (last / "senrun.yaml").write_text((last / "senrun.yaml").read_text().replace("prorates: months\n", ""))
    (last / "statements.csv").unlink()
    for command in (["validate", "-c", str(config)], ["allocate", "-c", str(config), "-o", str(tmp_path / "out"),
                                                       "--no-returns", "--quiet"]):
        ran = runner.invoke(app, [*command, "--previous-config", str(last / "senrun.yaml")])
        assert ran.exit_code == 1 and "in last year's run" in ran.output and "statements.csv" in ran.output, command


def test_a_sample_workbook_that_cannot_be_written_is_the_systems_own_error_not_an_unexpected_one(tmp_path):
    """A full disk or a missing folder under a sample's workbook is said as the system says it (senrun
    stopped: No such file or directory), not as a failure of senrun itself."""
    import polars as pl

    from senrun.sample.write import write_xlsx

    with pytest.raises(OSError) as caught:  # (XlsxWriter's own FileCreateError is no OSError)
        write_xlsx(tmp_path / "gone" / "schools.xlsx", "Schools", pl.DataFrame({"a": ["x"]}), {"a": "text"})
    assert caught.value.strerror == "No such file or directory"
