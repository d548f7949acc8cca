"""`simulate --years` against `allocate` run year by year on the same children (SPEC §9, FAQ 8).

The projection is what the council will get in each coming year if nothing but time changes: the same
statements (with their dated amendments and ceasings), the same schools, every child still where the census
had them.  So each projected year's continuing PSF, released PSF and cluster pot must be, to the penny, what
`allocate` gives for that year's period, census date and label with the same inputs."""

from __future__ import annotations

import csv
import json
from datetime import date

import polars as pl
import pytest
from typer.testing import CliRunner

from builders import write_csv, write_run
from senrun.calendar import shift_years
from senrun.cli import app

runner = CliRunner()

SCHOOLS = [
    {"school_id": "A", "school_name": "Ash Primary", "cluster_id": "C1", "ssa": "1000.00", "pupils": "100"},
    {"school_id": "B", "school_name": "Birch Primary", "cluster_id": "C2", "ssa": "2000.00", "pupils": "150"},
    {"school_id": "H", "school_name": "High", "cluster_id": "C1", "ssa": "3000.00", "pupils": "300"},
    {"school_id": "K", "school_name": "King High", "cluster_id": "C2", "ssa": "3000.00", "pupils": "250"},
]
#: upn, school, date of birth: either side of 1 September, 29 February, Year 6 and Year 11 leavers to come
CHILDREN = [("A100000000001", "A", "2002-08-31"), ("A100000000002", "A", "2002-09-01"),
            ("A100000000003", "B", "2004-02-29"), ("A100000000004", "H", "1998-06-01"),
            ("A100000000005", "K", "1998-07-15"), ("A100000000006", "H", "2001-03-03"),
            ("A100000000007", "B", "2007-12-01"), ("A100000000008", "B", "2005-08-31"),
            ("A100000000009", "A", "2006-01-15"), ("A100000000010", "K", "1999-09-01")]
#: A managed move in the Year 6 of a child protected to the end of primary (31 August 2016), after every census of
#: the years compared (which all find the child at B): from then the child's PSF is the receiving school's (FAQ 6)
MOVED = "A100000000008"
MOVES = [{"upn": MOVED, "from_school_id": "B", "to_school_id": "A", "move_date": "2016-02-01", "reason": "managed"}]
HEADER = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
          "effective_date", "event"]


def statements() -> list[dict]:
    rows = [{"upn": upn, "date_of_birth": dob, "statement_date": "2010-01-01", "school_id": school,
             "annual_amount": f"{7000 + i * 137}.{i * 7 % 100:02d}", "stream": "PSF", "ceased_date": "",
             "effective_date": "", "event": "issued"} for i, (upn, school, dob) in enumerate(CHILDREN)]
    rows[8]["ceased_date"] = "2015-06-30"  # a ceasing two years ahead
    rows[3]["statement_date"] = "2012-10-01"  # a statement after the policy: paid nothing in any year
    # an amendment that takes effect next year
    rows.append({**rows[6], "effective_date": "2014-11-03", "event": "amended", "annual_amount": "9999.99"})
    return rows


def totals_of(folder) -> tuple[str, str, str]:
    got = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["totals"]
    return tuple(got[name]["pounds"] for name in ("continuing_psf", "released_psf", "cluster_pot"))


def world(folder, k: int, prorate: str):
    """The world's inputs and config for the year `k` years after 2013-14 (its period, census date and label
    moved by whole years, as the projection moves them), in `folder`; returns the config's path."""
    folder.mkdir()
    start, end = date(2013, 4, 1), date(2014, 3, 31)
    census = [{"upn": upn, "school_id": school, "date_of_birth": dob} for upn, school, dob in CHILDREN]
    config = write_run(folder, statements=[{key: r[key] for key in HEADER[:7]} for r in statements()],
                       schools=SCHOOLS, census=census, moves=MOVES, budget={"pupil_specific_pot": "200000"},
                       prorate=prorate,
                       topslices=[{"name": "aux", "amount": 1000}, {"name": "host", "per_cluster": 500}],
                       year=f"{2013 + k}-{(14 + k) % 100:02d}",
                       period={"start": str(shift_years(start, k)), "end": str(shift_years(end, k))},
                       census_date=str(shift_years(date(2013, 1, 17), k)))
    write_csv(folder / "statements.csv", statements(), HEADER)  # with the histories' columns
    return config


@pytest.mark.parametrize("prorate", ["months", "days"])
def test_each_projected_year_of_the_run_off_is_what_allocate_pays_that_year_to_the_penny__faq_8(tmp_path, prorate):
    years = 4

    projected = runner.invoke(app, ["simulate", "-c", str(world(tmp_path / "now", 0, prorate)), "--years", str(years),
                                    "-o", str(tmp_path / "sim")])
    assert projected.exit_code == 0, projected.output
    with (tmp_path / "sim" / "projection.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == years
    for k, row in enumerate(rows):
        ran = runner.invoke(app, ["allocate", "-c", str(world(tmp_path / f"year{k}", k, prorate)),
                                  "-o", str(tmp_path / f"out{k}"), "--no-returns", "--quiet"])
        assert ran.exit_code == 0, ran.output
        assert (row["continuing_psf"], row["released_psf"], row["cluster_pot"]) == totals_of(tmp_path / f"out{k}"), k
    # the run-off is real: the projection is not one year repeated
    assert len({row["continuing_psf"] for row in rows}) == years


@pytest.mark.parametrize("prorate", ["months", "days"])
def test_the_packs_run_off_is_what_allocate_pays_each_child_at_each_school_in_each_later_year__faq_8(tmp_path, prorate):
    """The cluster packs' PSF run-off (yearly/runoff.py, each line carried forward without running the formula)
    gives each child, at each school, in each later year, the PSF that allocate run for that year pays there."""
    from senrun import pipeline
    from senrun.config.loader import load_config
    from senrun.yearly.runoff import runoff_by_line

    years = 3
    now = pipeline.allocate(load_config(world(tmp_path / "now", 0, prorate)))
    carried = {(r["_k"], r["_row"], r["school_id"]): r["psf"] for r in runoff_by_line(now, years).iter_rows(named=True)}
    for k in range(1, years + 1):  # (the same files each year: a statement's _row is the same child's)
        later = pipeline.allocate(load_config(world(tmp_path / f"year{k}", k, prorate)))
        ran = {(k, r["_row"], r["paid_school_id"]): r["paid_amount"]
               for r in later.psf.filter(pl.col("paid_amount") > 0).iter_rows(named=True)}
        assert {key: psf for key, psf in carried.items() if key[0] == k} == ran, k
    # the run-off is real: children leave it, and the PSF falls, from one year to the next; and the moved child's
    # PSF is split between the two schools in the year of the move
    moved = int(now.psf.filter(pl.col("upn") == MOVED).get_column("_row").first())
    assert {school for k, row, school in carried if row == moved and k == 2} == {"A", "B"}
    by_year = [sum(psf for key, psf in carried.items() if key[0] == k) for k in range(1, years + 1)]
    assert by_year == sorted(by_year, reverse=True) and len(set(by_year)) == years


@pytest.mark.parametrize("prorate", ["months", "days"])
def test_with_last_years_register_each_projected_year_is_allocate_run_with_the_year_befores__spec_11_4(tmp_path, prorate):
    """With `--register`, each later year of the projection has the year before's PSF lines as its register
    (SPEC §11.4), as a council runs one year after another: so each year's continuing PSF, released PSF and
    cluster pot are what allocate gives run with the year before's output as its register."""
    years = 4

    def run(k: int, register) -> None:
        args = ["allocate", "-c", str(world(tmp_path / f"year{k}", k, prorate)), "-o", str(tmp_path / f"out{k}"),
                "--no-returns", "--quiet", *(["--register", str(register)] if register else [])]
        ran = runner.invoke(app, args)
        assert ran.exit_code == 0, ran.output

    run(-1, None)  # last year, 2012-13: the first register
    projected = runner.invoke(app, ["simulate", "-c", str(world(tmp_path / "now", 0, prorate)), "--years", str(years),
                                    "--register", str(tmp_path / "out-1"), "-o", str(tmp_path / "sim")])
    assert projected.exit_code == 0, projected.output
    with (tmp_path / "sim" / "projection.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == years
    for k, row in enumerate(rows):
        run(k, tmp_path / f"out{k - 1}")
        assert (row["continuing_psf"], row["released_psf"], row["cluster_pot"]) == totals_of(tmp_path / f"out{k}"), k
    assert len({row["released_psf"] for row in rows}) > 1  # released once, in the year it stopped
