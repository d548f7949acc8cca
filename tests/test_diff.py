"""Year on year (SPEC §6 --previous): the diff against last year's totals, and why each changed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from builders import SCHOOLS, run, statement, write_run
from senrun.yearly.attribution import DIFF_PART_COLUMNS, PARTS, attribute_change
from senrun.config.loader import load_config
from senrun.yearly.diff import (NO_CLUSTER_THEN, diff_against, diff_frames, largest_movers, pounds_text_to_pence,
                                read_previous)
from senrun.errors import SenrunError
from senrun.money import pounds

U1, U2 = "B801200005001", "E801200005002"
STATEMENTS = [statement(U1, "2002-08-31", school="A", annual="1200.00"),
              statement(U2, "2005-05-05", school="B", annual="8400.00")]


def write_previous_csv(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    """A schools.csv as a previous run wrote it: money as pounds text from pence."""
    lines = ["school_id,school_name,cluster_id,pupils,ssa,psf,cluster_share,total"]
    lines += [f"{sid},School {sid},{cluster},0,0.00,0.00,0.00,{pounds(total)}" for sid, cluster, total in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def frame(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"school_id": pl.String, "cluster_id": pl.String, "total": pl.Int64},
                        orient="row")


def test_money_in_last_years_csv_is_read_exactly_to_the_penny():
    assert [pounds_text_to_pence(t) for t in ("1234.56", "0.10", "-0.05", "£1,234.5", "7", "1.234", "x")] == \
        [123456, 10, -5, 123450, 700, None, None]


def test_a_new_school_a_closed_school_and_a_change_of_cluster_are_noted(tmp_path):
    result = run(tmp_path, statements=STATEMENTS)
    totals = dict(result.schools.select("school_id", "total").iter_rows())
    prev = write_previous_csv(tmp_path / "last.csv", [("A", "C1", totals["A"]), ("B", "C0", totals["B"]),
                                                      ("Z", "C1", 500_000)])
    diff = diff_against(result, prev)
    schools = {r["school_id"]: r for r in diff.filter(pl.col("level") == "school").iter_rows(named=True)}
    assert {k: v["note"] for k, v in schools.items()} == {
        "A": None, "B": "changed cluster from C0", "H": "new school", "Z": "closed school"}
    assert schools["H"]["previous_total"] == 0 and schools["H"]["change_pct"] is None and schools["H"]["flag"]
    assert schools["Z"]["cluster_id"] == "C1" and schools["Z"]["change"] == -500_000
    assert schools["Z"]["change_pct"] == -100.0
    clusters = diff.filter(pl.col("level") == "cluster")
    assert clusters.select("cluster_id", "note").rows() == [("C0", "closed cluster"), ("C1", None)]
    assert diff["level"].to_list() == ["school"] * 4 + ["cluster"] * 2  # schools by id, then clusters


def test_a_change_of_more_than_flag_pct_is_flagged_and_exactly_flag_pct_is_not():
    prev = frame([("A", "C", 100_000), ("B", "C", 100_000), ("C", "C", 100_000), ("D", "C", 0)])
    cur = frame([("A", "C", 110_000), ("B", "C", 110_001), ("C", "C", 89_999), ("D", "C", 0)])
    diff = diff_frames(prev, cur, Decimal(10)).filter(pl.col("level") == "school")
    assert diff.select("school_id", "change_pct", "flag").rows() == [
        ("A", 10.0, False), ("B", 10.0, True), ("C", -10.0, True), ("D", None, False)]
    assert diff_frames(prev, cur, Decimal("10.001"))["flag"].to_list()[:3] == [False, False, False]



def test_a_flag_pct_written_to_many_decimal_places_is_compared_exactly_without_overflow__spec_6():
    """`flag_pct: 10.000000000000000000000001` (24 places) overflowed the comparison's 64-bit integers: every flag
    was blank, and at 40 places the diff stopped.  It is compared exactly: 10% of £1,000 is not over it, 10.01% is."""
    prev = frame([("A", "C", 100_000), ("B", "C", 100_000), ("D", "C", 0)])
    cur = frame([("A", "C", 110_000), ("B", "C", 110_010), ("D", "C", 5)])
    for pct in ("10.000000000000000000000001", "10." + "0" * 29 + "1"):
        diff = diff_frames(prev, cur, Decimal(pct))
        assert diff["flag"].to_list() == [False, True, True, True], pct


def test_change_pct_is_blank_where_the_previous_total_is_zero_and_rounds_half_away_from_zero():
    prev = frame([("A", "C", 0), ("B", "C", 300), ("C", "C", 800)])
    cur = frame([("A", "C", 5), ("B", "C", 301), ("C", "C", 799)])
    diff = diff_frames(prev, cur, Decimal(10)).filter(pl.col("level") == "school")
    # 1/300 = 0.3333…% → 0.33; −1/800 = −0.125% → −0.13 (half away from zero)
    assert diff["change_pct"].to_list() == [None, 0.33, -0.13]


def test_the_flag_threshold_comes_from_the_config(tmp_path):
    result = run(tmp_path, statements=STATEMENTS, diff={"flag_pct": 0.5})
    totals = dict(result.schools.select("school_id", "total").iter_rows())
    prev = write_previous_csv(tmp_path / "last.csv", [(s, "C1", totals[s] * 100 // 101) for s in totals])
    assert diff_against(result, prev).filter(pl.col("level") == "school")["flag"].to_list() == [True] * 3


def test_a_round_trip_through_last_years_schools_csv_and_workbook_shows_no_change(tmp_path):
    from senrun.outputs import write_outputs

    result = run(tmp_path, statements=STATEMENTS)
    out = write_outputs(result, tmp_path / "out", returns=False)
    for name in ("schools.csv", "allocations.xlsx"):
        diff = diff_against(result, out / name)
        assert diff["change"].to_list() == [0] * 4, name
        assert diff["previous_total"].to_list() == diff["current_total"].to_list()
        assert diff["note"].null_count() == diff.height and not diff["flag"].any()
    assert read_previous(out / "schools.csv").equals(read_previous(out / "allocations.xlsx"))


def test_previous_may_be_last_years_output_folder_as_register_may(tmp_path):
    from typer.testing import CliRunner

    from senrun.cli import app
    from senrun.yearly.diff import previous_cluster_allocations

    config = write_run(tmp_path, statements=STATEMENTS)
    last = tmp_path / "last"
    runner = CliRunner()
    assert runner.invoke(app, ["allocate", "-c", str(config), "-o", str(last), "--no-returns", "-q"]).exit_code == 0
    for given, out in ((last, "a"), (last / "schools.csv", "b")):
        done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / out), "--no-returns", "-q",
                                   "--previous", str(given)])
        assert done.exit_code == 0, done.output
    assert (tmp_path / "a" / "diff.csv").read_bytes() == (tmp_path / "b" / "diff.csv").read_bytes()
    assert previous_cluster_allocations(last) == previous_cluster_allocations(last / "schools.csv") != {}
    (last / "schools.csv").unlink()  # without it, the folder's allocations.xlsx
    assert read_previous(last).equals(read_previous(last / "allocations.xlsx"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SenrunError, match="no schools.csv or allocations.xlsx in this folder"):
        read_previous(tmp_path / "empty")


def test_with_a_previous_map_in_the_config_senruns_own_folder_and_workbook_are_still_read_as_senruns(tmp_path):
    """docs/your-data.md: a council's first year maps its own spreadsheet (`previous:`); the year after,
    --previous is senrun's output (its folder, schools.csv or allocations.xlsx) with the map still there."""
    from senrun.pipeline import allocate
    from senrun.outputs import write_outputs

    (tmp_path / "run").mkdir()
    last = write_outputs(allocate(load_config(write_run(tmp_path / "run", statements=STATEMENTS))),
                         tmp_path / "last", returns=False)
    spec = {"sheet": "2012-13", "columns": {"LA Estab": "school_id", "Locality": "cluster_id", "Total": "total"}}
    own = read_previous(last / "schools.csv")
    for given in (last, last / "schools.csv", last / "allocations.xlsx"):
        assert read_previous(given, spec).equals(own), given


def test_last_years_folder_given_with_a_previous_map_is_listed_as_the_file_read(tmp_path):
    """SPEC §6 (manifest.json: every input's path and SHA-256): --previous given as senrun's folder is read as
    its schools.csv, map or no map in the config, and that file is the one the manifest names (it named the folder)."""
    import hashlib
    import json

    from typer.testing import CliRunner

    from senrun.cli import app

    config = write_run(tmp_path, statements=STATEMENTS)
    runner = CliRunner()
    last = tmp_path / "last"
    assert runner.invoke(app, ["allocate", "-c", str(config), "-o", str(last), "--no-returns", "-q"]).exit_code == 0
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "previous:\n  sheet: '2012-13'\n  columns: {LA Estab: school_id, Locality: cluster_id, "
                      "Total: total}\n", encoding="utf-8")
    schools = (tmp_path / "schools.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "schools.csv").write_text("".join(r for r in schools if not r.startswith("H,")), encoding="utf-8")
    for given, out in ((last, "a"), (last / "schools.csv", "b")):
        done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / out), "--no-returns", "-q",
                                   "--previous", str(given)])
        assert done.exit_code == 0, done.output
    listed = [json.loads((tmp_path / out / "manifest.json").read_text(encoding="utf-8"))["inputs"]["previous"]
              for out in ("a", "b")]
    assert listed[0]["path"].endswith("schools.csv") and listed[0]["path"] == listed[1]["path"]
    assert listed[0]["sha256"] == hashlib.sha256((last / "schools.csv").read_bytes()).hexdigest()
    assert (tmp_path / "a" / "diff.csv").read_bytes() == (tmp_path / "b" / "diff.csv").read_bytes()
    import openpyxl  # and last year's school names on the Diff sheet, the file given or its folder

    sheets = [list(openpyxl.load_workbook(tmp_path / out / "allocations.xlsx")["Diff"].iter_rows(values_only=True))
              for out in ("a", "b")]
    assert sheets[0] == sheets[1] and any("Hilltop High" in row for row in sheets[1])  # closed: last year's name


def test_last_years_run_of_another_year_names_the_year_expected(tmp_path):
    from senrun.outputs import write_outputs
    from senrun.pipeline import allocate
    from senrun.yearly.diff import previous_year_issues

    (tmp_path / "run").mkdir()
    cfg = load_config(write_run(tmp_path / "run", statements=STATEMENTS))
    same = write_outputs(allocate(cfg), tmp_path / "same", returns=False)
    [issue] = previous_year_issues(cfg, same)
    assert issue.message.startswith("--previous is the run of 01/04/2013 – 31/03/2014, not of the year before this "
                                    "period (01/04/2012 – 31/03/2013)")


def test_a_previous_file_without_totals_is_a_clear_error(tmp_path):
    bad = tmp_path / "last.csv"
    bad.write_text("school_id,cluster_id,amount\nA,C1,1.00\n")
    with pytest.raises(SenrunError) as refused:
        read_previous(bad)
    [told] = refused.value.issues
    assert (told.code, told.file) == ("previous", "last.csv")
    assert told.message.startswith("(given as --previous) no column total; a previous run's file written by senrun")


@pytest.mark.parametrize("total_row", ["Total,,,0,0.00,0.00,0.00,506083.12", ",,,0,0.00,0.00,0.00,506083.12",
                                       "Grand Total:,,,0,0.00,0.00,0.00,506083.12",
                                       "Total (all schools),,,0,0.00,0.00,0.00,506083.12",
                                       "Total - 2013-14,,,0,0.00,0.00,0.00,506083.12"])
def test_a_totals_row_added_to_last_years_schools_csv_is_an_error_at_its_row_not_a_closed_school(tmp_path, total_row):
    path = write_previous_csv(tmp_path / "schools.csv", [("A", "C1", 100), ("B", "C1", 200)])
    path.write_text(path.read_text() + total_row + "\n")
    with pytest.raises(SenrunError) as e:
        read_previous(path)
    [issue] = e.value.issues
    assert (issue.file, issue.row, issue.column) == ("schools.csv", 4, "school_id")
    assert "is not a school" in issue.message and "totals row" in issue.message


def test_a_row_of_last_years_schools_csv_with_a_cell_too_many_is_an_error_at_its_row(tmp_path):
    path = write_previous_csv(tmp_path / "schools.csv", [("A", "C1", 100), ("B", "C1", 200)])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], lines[2] + ",1,000.00", *lines[3:]]) + "\n")
    with pytest.raises(SenrunError) as e:
        read_previous(path)
    [issue] = e.value.issues
    assert (issue.file, issue.row) == ("schools.csv", 3) and "more cells than the header" in issue.message


def test_a_school_whose_id_only_begins_with_total_is_a_school(tmp_path):
    path = write_previous_csv(tmp_path / "schools.csv", [("Totally New School", "C1", 100)])
    assert read_previous(path)["school_id"].to_list() == ["Totally New School"]


def test_the_floor_set_against_another_years_allocations_stops_the_run__faq_22_spec_11_8(tmp_path):
    """formula.protection's floor moves money between clusters by last year's allocations: a --previous of
    another year (by its manifest) would move it by the wrong year's, so the run stops; the diff alone warns."""
    import json

    from senrun.yearly.diff import floor_previous

    config = load_config(write_run(tmp_path, statements=STATEMENTS, formula={
        **load_config(write_run(tmp_path, statements=STATEMENTS)).raw["formula"], "protection": {"floor_pct": -10}}))
    (tmp_path / "last").mkdir()
    last = write_previous_csv(tmp_path / "last" / "schools.csv", [("A", "C1", 100)])
    for period, stops in ((("2012-04-01", "2013-03-31"), False), (("2011-04-01", "2012-03-31"), True),
                          (("2013-04-01", "2014-03-31"), True)):
        (last.parent / "manifest.json").write_text(json.dumps({"period": {"start": period[0], "end": period[1]}}))
        if not stops:
            assert floor_previous(config, last) == {"C1": 0}
            continue
        with pytest.raises(SenrunError) as e:
            floor_previous(config, last)
        [issue] = e.value.issues
        assert (issue.code, issue.file) == ("previous_not_last_year", "last/schools.csv")
        assert "formula.protection's floor is set by last year's cluster allocations" in issue.message


def test_largest_movers_are_the_biggest_changes_either_way_ties_by_school_id():
    prev = frame([("A", "C", 1000), ("B", "C", 1000), ("C", "C", 1000), ("D", "C", 1000)])
    cur = frame([("A", "C", 1500), ("B", "C", 500), ("C", "C", 1100), ("D", "C", 1000)])
    movers = largest_movers(diff_frames(prev, cur, Decimal(10)), n=2)
    assert movers["school_id"].to_list() == ["A", "B"]


def test_the_parts_of_each_schools_change_add_up_exactly_to_the_change(tmp_path):
    (tmp_path / "last").mkdir()
    (tmp_path / "this").mkdir()
    prev = load_config(write_run(tmp_path / "last", statements=STATEMENTS))
    schools = [dict(s) for s in SCHOOLS]
    schools[0].update(pupils="120", ssa="1500.00")  # more pupils and more SSA at A this year
    cur = load_config(write_run(
        tmp_path / "this", statements=STATEMENTS, schools=schools,
        period={"start": "2014-04-01", "end": "2015-03-31"},
        formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 20},
                              {"name": "per_pupil", "basis": "pupils", "remainder": True}]}))
    parts = attribute_change(prev, cur)
    summed = parts.select(pl.sum_horizontal(*PARTS) - pl.col("change")).to_series()
    assert summed.abs().max() == 0
    schools_part = parts.filter(pl.col("level") == "school")
    # U1 left PSF at the end of Year 6 (August 2013): £500 less PSF at A, shared out by the formula.
    assert schools_part["psf_runoff"].sum() == 0 and schools_part.row(0, named=True)["psf_runoff"] < 0
    assert schools_part["other"].to_list() == [50_000, 0, 0]  # A's SSA, +£500
    assert schools_part["pupil_numbers"].to_list()[0] > 0 and schools_part["pupil_numbers"].sum() == 0
    assert schools_part["formula"].sum() == 0
    assert parts.filter(pl.col("level") == "cluster").select("change").item() == 50_000


def converting_years(folder: Path, closed: str, opened: str, academy_ssa: str = "0.00"):
    """Last year's config (schools A and B, 2012-13) and this year's (A closes on `closed`, succeeded by the
    academy AA opened on `opened`, with `academy_ssa`), with one child's £1,200 statement at A."""
    def school(sid: str, **extra) -> dict:
        return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": "C1", "ssa": "0.00",
                "pupils": "100", "opened": "", "closed": "", "successor_id": "", **extra}

    (folder / "last").mkdir()
    (folder / "this").mkdir()
    one = [statement("B801200005001", "2005-05-05", annual="1200.00")]
    prev = load_config(write_run(folder / "last", statements=one, schools=[school("A"), school("B")],
                                 year="2012-13", period={"start": "2012-04-01", "end": "2013-03-31"},
                                 census_date="2012-01-19"))
    cur = load_config(write_run(folder / "this", statements=one, schools=[
        school("A", closed=closed, successor_id="AA"), school("AA", opened=opened, ssa=academy_ssa), school("B")]))
    return prev, cur


def test_the_change_at_a_school_that_became_an_academy_is_attributed_with_its_psf_following_it__faq_3_6_spec_11_1(
        tmp_path):
    """This year's PSF is paid at the academy, which last year's schools do not have: in the runs on last
    year's schools it holds its PSF as a setting outside the formula, and its share arrives in `other`."""
    prev, cur = converting_years(tmp_path, closed="2013-08-31", opened="2013-09-01")
    parts = attribute_change(prev, cur)
    assert parts.select(pl.sum_horizontal(*PARTS) - pl.col("change")).to_series().abs().max() == 0
    by_school = {r["school_id"]: r for r in parts.filter(pl.col("level") == "school").iter_rows(named=True)}
    # A's PSF: £1,200 last year; April–August this year, £500.  The academy: £700 of PSF from September.
    assert by_school["AA"]["previous_total"] == 0 and by_school["AA"]["psf_runoff"] == 70_000
    assert by_school["AA"]["current_total"] == 70_000 + by_school["AA"]["other"] + by_school["AA"]["pupil_numbers"] \
        + by_school["AA"]["formula"]


def test_a_school_gone_this_year_is_folded_into_its_academy_whose_parts_add_up_to_its_change__faq_3_6_spec_11_1(
        tmp_path):
    """A converted before this period: its academy AA's previous total is A's (SPEC §11.1, "Year on year"),
    with --previous or with last year's config alone, and AA's four parts add up to that change."""
    from senrun.pipeline import allocate
    from senrun.outputs import write_outputs
    from senrun.yearly.attribution import attributed_diff

    prev, cur = converting_years(tmp_path, closed="2013-03-31", opened="2013-04-01")
    last = write_outputs(allocate(prev), tmp_path / "out-last", returns=False)
    result = allocate(cur)
    with_file = attributed_diff(result, prev, diff_against(result, last / "schools.csv"))
    alone = attributed_diff(result, prev)
    for diff in (with_file, alone):
        schools = {r["school_id"]: r for r in diff.filter(pl.col("level") == "school").iter_rows(named=True)}
        assert set(schools) == {"AA", "B"}  # no closed row for A: it is in its academy's
        aa = schools["AA"]
        assert aa["note"] == "converted from A" and aa["previous_total"] > 0
        assert sum(aa[c] for c in DIFF_PART_COLUMNS) == aa["change"] == aa["current_total"] - aa["previous_total"]
    same = ["level", "school_id", "previous_total", "current_total", "change", *DIFF_PART_COLUMNS]
    assert with_file.select(same).equals(alone.select(same))


def test_allocate_with_last_years_config_appends_the_parts_to_the_diff(tmp_path):
    from senrun.yearly.attribution import attributed_diff
    from senrun.pipeline import allocate

    (tmp_path / "last").mkdir()
    (tmp_path / "this").mkdir()
    prev = load_config(write_run(tmp_path / "last", statements=STATEMENTS))
    cur = load_config(write_run(tmp_path / "this", statements=STATEMENTS,
                                period={"start": "2014-04-01", "end": "2015-03-31"}))
    diff = attributed_diff(allocate(cur), prev)
    assert [c for c in diff.columns if not c.startswith("_")] == [  # (diff.csv's: without the internal marks)
        "level", "school_id", "cluster_id", "previous_total", "current_total", "change", "change_pct", "flag", "note",
        *DIFF_PART_COLUMNS]
    assert diff.select(pl.sum_horizontal(*DIFF_PART_COLUMNS) - pl.col("change")).to_series().to_list() == [0] * 4
    assert diff["change_psf_runoff"].to_list()[:3] != [0, 0, 0] and diff["change_other"].to_list() == [0] * 4


def test_a_school_converted_from_last_years_and_taken_over_this_year_is_told_both__spec_11_1():
    # A (last year) became B; B was then taken over by C during this year: B's note says both
    prev = frame([("A", "K", 100_000)])
    cur = frame([("B", "K", 70_000), ("C", "K", 30_000)])
    diff = diff_frames(prev, cur, Decimal(10), successions=(("A", "B"), ("B", "C"))).filter(pl.col("level") == "school")
    notes = dict(diff.select("school_id", "note").rows())
    assert notes["B"] == "converted from A; taken over by C during the year"
    assert notes["C"] == "new school: took over from B during the year"


def test_a_previous_file_sharing_few_of_this_years_schools_is_a_warning_that_it_is_another_authoritys__spec_6():
    from senrun.yearly.diff import few_in_common

    this_year = frame([(f"9262{i:03d}", "C", 100) for i in range(12)])
    other = frame([(f"8011{i:03d}", "C", 100) for i in range(11)] + [("9262000", "C", 100)])
    [issue] = few_in_common(diff_frames(other, this_year, Decimal(10)), Path("last/schools.csv"))
    assert (issue.code, issue.severity, issue.file) == ("previous_other_schools", "warning", "schools.csv")
    assert "only 1 of this year's 12 schools" in issue.message
    # half of them found (the rest new this year, or converted under new ids without links): no warning
    half = frame([(f"9262{i:03d}", "C", 100) for i in range(6)])
    assert few_in_common(diff_frames(half, this_year, Decimal(10)), Path("schools.csv")) == []
    # a predecessor counts as the school: six academies converted from last year's schools
    converted = diff_frames(frame([(f"9262{i:03d}", "C", 100) for i in range(6)] + [(f"7{i:06d}", "C", 100)
                                                                                     for i in range(6)]),
                            frame([(f"9262{i:03d}", "C", 100) for i in range(6)] + [(f"9263{i:03d}", "C", 100)
                                                                                     for i in range(6)]),
                            Decimal(10), successions=tuple((f"7{i:06d}", f"9263{i:03d}") for i in range(6)))
    assert few_in_common(converted, Path("schools.csv")) == []
    # a tiny authority: too few schools to tell
    assert few_in_common(diff_frames(other.head(5), this_year.head(5), Decimal(10)), Path("schools.csv")) == []


def test_a_previous_of_the_policys_first_short_period_warns_that_the_changes_are_mostly_the_lengths__spec_11_7(
        tmp_path):
    """The policy's first period ran from September (SPEC §11.7, FAQ 8): compared with a whole year, every school
    was flagged in diff.csv with no word of why.  A month's difference, or a leap day, is not worth one."""
    import json

    from senrun.yearly.diff import previous_year_issues

    config = load_config(write_run(tmp_path, statements=STATEMENTS))
    assert (config.period_start.isoformat(), config.period_end.isoformat()) == ("2013-04-01", "2014-03-31")
    (tmp_path / "last").mkdir()
    last = write_previous_csv(tmp_path / "last" / "schools.csv", [("A", "C1", 100)])
    told = {}
    for start, end in (("2012-09-01", "2013-03-31"), ("2012-04-01", "2013-03-31"), ("2012-04-01", "2013-02-28"),
                       ("2012-02-01", "2013-03-31")):
        (last.parent / "manifest.json").write_text(json.dumps({"period": {"start": start, "end": end}}))
        told[start, end] = [(i.code, i.severity, i.file, i.message) for i in previous_year_issues(config, last)
                            if i.code == "previous_period_length"]
    assert told == {
        ("2012-09-01", "2013-03-31"): [("previous_period_length", "warning", "schools.csv",
                                        "--previous is the run of 01/09/2012 – 31/03/2013, 212 days, and this period "
                                        "is 365 days: PSF is paid for the part of a year a period covers, so diff.csv "
                                        "and the Diff sheet show most schools changed by the difference in length (shorter last "
                                        "year), not by this year's figures alone")],
        ("2012-04-01", "2013-03-31"): [], ("2012-04-01", "2013-02-28"): [],
        ("2012-02-01", "2013-03-31"): [("previous_period_length", "warning", "schools.csv",
                                        "--previous is the run of 01/02/2012 – 31/03/2013, 425 days, and this period "
                                        "is 365 days: PSF is paid for the part of a year a period covers, so diff.csv "
                                        "and the Diff sheet show most schools changed by the difference in length (longer last "
                                        "year), not by this year's figures alone")]}


def test_the_census_given_as_previous_by_mistake_is_told_as_the_previous_file_not_the_census_input__spec_8(tmp_path):
    """`--previous census.csv` read "error: census.csv: no column school_id …", code `error`, no file: as if the
    census input were wrong, and nothing said it was the file given as --previous."""
    from senrun.validate import run_validation

    config = write_run(tmp_path, statements=STATEMENTS)
    (tmp_path / "last").mkdir()
    wrong = tmp_path / "last" / "census.csv"
    wrong.write_text("UPN,LAEstab,DOB\nA123,A,2005-05-05\n", encoding="utf-8")
    [told] = [i for i in run_validation(config, previous=wrong).issues if i.is_error]
    assert (told.code, told.file, told.row, told.column) == ("previous", "census.csv", None, None)
    assert told.message == ("(given as --previous) no column school_id, cluster_id, total; a previous run's file "
                            "written by senrun has school_id, cluster_id, total (columns found: UPN, LAEstab, DOB). "
                            "For last year's figures in a spreadsheet of your own, map its columns under previous: columns: in "
                            "the config (docs/config.md)")


def test_a_childs_upn_or_date_in_last_years_ids_or_names_stops_the_diff_with_it_hidden_never_published(tmp_path):
    """Last year's ids and names go into diff.csv, the Diff sheet and the terminal's table, which are shared: a
    school named "Closed Sch B801200005001 born 31/08/2002", or a UPN as a school's id, in a schools.csv edited by
    hand had been published as it was, with exit 0 (this year's schools input refuses the same)."""
    from senrun.pipeline import allocate

    result = allocate(load_config(write_run(tmp_path, statements=STATEMENTS)))
    last = tmp_path / "last.csv"
    last.write_text("school_id,school_name,cluster_id,total\nA,School A,C1,100.00\n"
                    f"Z9,Closed Sch {U1} born 31/08/2002,C1,5.00\n{U1},School Q,C1,7.00\nB,School B,C1,1.00\n",
                    encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        diff_against(result, last)
    told = [(i.code, i.file, i.row, i.column) for i in refused.value.issues]
    assert told == [("previous", "last.csv", 4, "school_id"), ("previous", "last.csv", 3, "school_name")]
    shown = " ".join(str(i.hidden()) for i in refused.value.issues)  # as the terminal and the logs have them
    assert U1 not in shown and "31/08/2002" not in shown and '"[hidden]" holds' in shown
    assert "holds what looks like a child's UPN: last year's school and cluster ids and names are published" in \
        refused.value.issues[0].message


def test_every_problem_reading_the_previous_file_is_told_as_the_previous_files_with_a_childs_data_hidden(tmp_path):
    """A row with one cell too many had been code `unreadable` at "schools.csv › row 3", as if this year's schools
    input were wrong; and a file given with no header row listed a child's date of birth among "columns found"."""
    long = tmp_path / "last" / "schools.csv"
    long.parent.mkdir()
    long.write_text("school_id,cluster_id,total\nA,C1,1.00\nB,C1,2.00,extra\n", encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        read_previous(long)
    [told] = refused.value.issues
    assert (told.code, told.file, told.row) == ("previous", "schools.csv", 3)
    assert told.message.startswith("(given as --previous) this row has more cells than the header")
    headless = tmp_path / "p.csv"
    headless.write_text("A123456789012,13/09/2008,9262002\nA123456789013,14/09/2008,9262002\n", encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        read_previous(headless)
    [told] = refused.value.issues
    assert ("(the row read as the headers holds a child's data (a UPN or a date), not headers). For last year's"
            in told.message), told.message
    assert "9262002" not in told.message  # (nothing of the child's row: docs/security.md)


def test_a_totals_row_or_a_date_in_the_previous_files_totals_is_told_as_the_previous_files_with_a_date_hidden(
        tmp_path):
    """A review found two --previous messages still told as an input's (code bad_value) or quoting a cell that
    could be a child's date of birth: a census given where last year's totals were looked for."""
    last = tmp_path / "last.csv"
    last.write_text("school_id,cluster_id,total\nA,C1,1.00\nGrand Total,,1.00\n", encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        read_previous(last)
    [told] = refused.value.issues
    assert (told.code, told.row, told.column) == ("previous", 3, "school_id")
    last.write_text("school_id,cluster_id,total\nA,C1,13/09/2008\n", encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        read_previous(last)
    [told] = refused.value.issues
    assert (told.code, told.row, told.column) == ("previous", 2, "total")
    assert "13/09/2008" not in str(told.hidden()) and "[hidden]" in str(told.hidden())


def test_a_problem_with_last_years_allocations_workbook_names_its_columns_as_the_schools_sheet_heads_them(tmp_path):
    """An allocations.xlsx given as --previous is headed for people ("School ID", "Total (£)"): its errors name
    those headers, not senrun's codes (`total`), so that a finance officer finds the column (SPEC §6, §8)."""
    import xlsxwriter

    def book(name: str, rows: list[list]) -> Path:
        path = tmp_path / name
        with xlsxwriter.Workbook(path) as wb:
            sheet = wb.add_worksheet("Schools")
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
        return path

    no_total = book("no_total.xlsx", [["School ID", "Cluster ID", "Amount (£)"], ["A", "C1", 1.0]])
    with pytest.raises(SenrunError) as refused:
        read_previous(no_total)
    [told] = refused.value.issues
    assert (told.code, told.sheet) == ("previous", "Schools")
    assert told.message.startswith("(given as --previous) no column Total (£); a previous run's file written by "
                                   "senrun has School ID, Cluster ID, Total (£) (columns found: School ID, Cluster ID, "
                                   "Amount (£))")
    huge = book("huge.xlsx", [["School ID", "Cluster ID", "Total (£)"], ["A", "C1", 1.0], ["B", "C1", 1e15]])
    with pytest.raises(SenrunError) as refused:
        read_previous(huge)
    [told] = refused.value.issues
    assert (told.sheet, told.row, told.column) == ("Schools", 3, "Total (£)")


# --- last year recomputed as it was paid: its register, its floor (docs/diff.md) -------------------------

def _allocate(*args: str):
    """`senrun allocate` through the command line, without returns; the run must succeed."""
    from typer.testing import CliRunner

    from senrun.cli import app

    result = CliRunner().invoke(app, ["allocate", *args, "--no-returns", "-q"])
    assert result.exit_code == 0, result.output
    return result


def _rows(out: Path) -> list[dict]:
    import csv

    return list(csv.DictReader((out / "diff.csv").open(encoding="utf-8")))


def _parts_off(rows: list[dict]) -> dict[str, Decimal]:
    """Each row whose change_* parts do not add up to its change, by how much."""
    return {r["school_id"] or r["cluster_id"]: Decimal(r["change"]) - sum(Decimal(r[c]) for c in DIFF_PART_COLUMNS)
            for r in rows if sum(Decimal(r[c]) for c in DIFF_PART_COLUMNS) != Decimal(r["change"])}


def _paid(out: Path) -> dict[str, str]:
    import csv

    return {r["school_id"]: r["total"] for r in csv.DictReader((out / "schools.csv").open(encoding="utf-8"))}


def _register_chain(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two years run as a council runs them: 2013-14 under a register (2012-13's psf.csv) in which U2's PSF
    stopped, so 2013-14 holds it stopped though its statement is still there; then 2014-15's config, with
    the same statements.  Returns 2013-14's config and output folder, and 2014-15's config."""
    import csv

    for name in ("2012-13", "2013-14", "2014-15"):
        (tmp_path / name).mkdir()
    with (tmp_path / "2012-13" / "psf.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["upn", "stream", "psf_school_id", "paid_school_id", "annual_amount", "paid_from", "paid_to",
                    "paid_amount", "released_amount", "reason"])
        w.writerow([U1, "PSF", "A", "A", "1200.00", "2012-04-01", "2013-03-31", "1200.00", "0.00", "continuing"])
        w.writerow([U2, "PSF", "B", "B", "8400.00", "", "", "0.00", "8400.00", "not_in_census"])
    statements = [statement(U1, "2005-05-05", school="A", annual="1200.00"), statement(U2, "2005-05-05", school="B")]
    last = write_run(tmp_path / "2013-14", statements=statements)
    paid = tmp_path / "2013-14" / "out"
    _allocate("-c", str(last), "-o", str(paid), "--register", str(tmp_path / "2012-13"))
    this = write_run(tmp_path / "2014-15", statements=statements, year="2014-15", census_date="2014-01-16",
                     period={"start": "2014-04-01", "end": "2015-03-31"})
    return last, paid, this


def test_the_change_parts_add_up_to_the_change_in_a_chain_with_a_register__spec_11_4(tmp_path):
    """Last year is recomputed under its own register (its manifest.json's): a child it held stopped is not paid
    again in it, so the parts add up to each change that --previous (what was paid) gives."""
    last, paid, this = _register_chain(tmp_path)
    out = tmp_path / "2014-15" / "out"
    _allocate("-c", str(this), "-o", str(out), "--register", str(paid), "--previous", str(paid),
              "--previous-config", str(last))
    rows = _rows(out)
    assert len(rows) == 4 and _parts_off(rows) == {}
    assert {r["school_id"]: r["previous_total"] for r in rows if r["level"] == "school"} == _paid(paid)


def test_last_year_without_previous_is_what_was_paid_not_a_recomputation_without_its_register__spec_11_4(tmp_path):
    """--previous-config alone: diff.csv's previous_total ("Last year") is what last year's run paid."""
    last, paid, this = _register_chain(tmp_path)
    out = tmp_path / "2014-15" / "out"
    _allocate("-c", str(this), "-o", str(out), "--register", str(paid), "--previous-config", str(last))
    rows = _rows(out)
    assert {r["school_id"]: r["previous_total"] for r in rows if r["level"] == "school"} == _paid(paid)
    assert _parts_off(rows) == {}


def test_last_years_register_that_cannot_be_found_is_said_in_one_warning__spec_11_4(tmp_path):
    """Last year's manifest.json records its register; moved away since, last year is recomputed without it,
    and the run says so (never silently)."""
    from senrun.pipeline import allocate
    from senrun.yearly.attribution import from_last_years_config

    last, paid, this = _register_chain(tmp_path)
    (tmp_path / "2012-13" / "psf.csv").rename(tmp_path / "2012-13" / "moved.csv")
    result = allocate(load_config(this), register=paid)
    found = from_last_years_config(result, last, None)[2]
    assert [i.code for i in found] == ["previous_config_incomplete"]
    assert "without its register" in found[0].message and "\n" not in found[0].message


def test_a_previous_config_other_than_the_one_last_years_run_was_made_with_is_a_warning__spec_11_4(tmp_path):
    """A copy of the Forum's config (another pot) given as --previous-config: last year was recomputed from it and
    the parts missed each change by the budget's difference, with no word (the manifest holds both hashes)."""
    from senrun.pipeline import allocate
    from senrun.yearly.attribution import from_last_years_config

    last, paid, this = _register_chain(tmp_path)
    result = allocate(load_config(this), register=paid)
    assert [i.code for i in from_last_years_config(result, last, None)[2]] == []  # the config it was made with
    forum = last.with_name("senrun-forum.yaml")
    forum.write_text(last.read_text(encoding="utf-8") + "# the Forum's copy\n", encoding="utf-8")
    [told] = from_last_years_config(result, forum, None)[2]
    assert (told.code, told.file) == ("previous_config_differs", "senrun-forum.yaml")
    assert told.message.startswith("senrun-forum.yaml is not the config last year's run was made with (its SHA-256 "
                                   "is not the config_sha256 of out/manifest.json)")


def _two_clusters(pupils_h: str) -> list[dict]:
    return [{"school_id": "A", "school_name": "School A", "cluster_id": "C1", "ssa": "0.00", "pupils": "100"},
            {"school_id": "B", "school_name": "School B", "cluster_id": "C1", "ssa": "0.00", "pupils": "200"},
            {"school_id": "H", "school_name": "School H", "cluster_id": "C2", "ssa": "0.00", "pupils": pupils_h}]


def test_a_binding_protection_floor_is_its_own_part_and_the_parts_add_up_to_the_change__spec_11_8(tmp_path):
    """Both years floored (2013-14 from 2012-13's allocations, 2014-15 from 2013-14's), and H's cluster losing
    pupils each year: last year is recomputed with its floor, and change_protection is this year's floor
    adjustment less last year's, so that the five parts add up to each change."""
    years = {"2012-13": ("2012-04-01", "2013-03-31", "2012-01-19", "600"),
             "2013-14": ("2013-04-01", "2014-03-31", "2013-01-17", "300"),
             "2014-15": ("2014-04-01", "2015-03-31", "2014-01-16", "150")}
    configs, before = {}, None
    for year, (start, end, census, pupils_h) in years.items():
        (tmp_path / year).mkdir()
        formula = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                                {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
        if before is not None:
            formula["protection"] = {"floor_pct": -2}
        configs[year] = write_run(tmp_path / year, statements=STATEMENTS, schools=_two_clusters(pupils_h), year=year,
                                  period={"start": start, "end": end}, census_date=census, formula=formula)
        args = ["-c", str(configs[year]), "-o", str(tmp_path / year / "out")]
        if year == "2014-15":
            args += ["--previous-config", str(configs["2013-14"])]
        _allocate(*args, *(["--previous", str(before)] if before else []))
        before = tmp_path / year / "out"
    import csv

    rows = _rows(before)
    floors = {y: {r["school_id"]: Decimal(r["formula_protection"])
                  for r in csv.DictReader((tmp_path / y / "out" / "schools.csv").open(encoding="utf-8"))}
              for y in ("2013-14", "2014-15")}
    assert floors["2013-14"]["H"] > 0 and floors["2014-15"]["H"] > 0  # binding in both years
    assert _parts_off(rows) == {}
    schools = {r["school_id"]: r for r in rows if r["level"] == "school"}
    assert {s: r["previous_total"] for s, r in schools.items()} == _paid(tmp_path / "2013-14" / "out")
    assert {s: Decimal(r["change_protection"]) for s, r in schools.items()} == {
        s: floors["2014-15"][s] - floors["2013-14"][s] for s in schools}


def test_a_school_that_only_this_year_holds_psf_has_its_ssa_in_other_not_in_psf_runoff__faq_3_6_spec_11_1(tmp_path):
    """The academy AA holds its £700 of PSF from the psf_runoff step; its £500 of SSA arrives with the school
    itself, in `other`."""
    academy = {}
    for ssa in ("0.00", "500.00"):
        (tmp_path / ssa).mkdir()
        parts = attribute_change(*converting_years(tmp_path / ssa, closed="2013-08-31", opened="2013-09-01",
                                                   academy_ssa=ssa))
        assert parts.select(pl.sum_horizontal(*PARTS) - pl.col("change")).to_series().abs().max() == 0
        academy[ssa] = parts.filter(pl.col("school_id") == "AA").row(0, named=True)
    assert academy["500.00"]["psf_runoff"] == academy["0.00"]["psf_runoff"] == 70_000
    assert academy["500.00"]["other"] - academy["0.00"]["other"] == 50_000


def test_cluster_rows_compare_last_years_clusters_as_they_were_when_schools_of_two_clusters_amalgamate__spec_6_11_1():
    # P (cluster K1) and Q (K2) amalgamated into N (K1) at the year's start: N is compared with both, but
    # last year's clusters are as they were then (docs/diff.md), so K2 is a closed cluster of £200.00
    prev = frame([("P", "K1", 10_000), ("Q", "K2", 20_000), ("R", "K1", 5_000)])
    cur = frame([("N", "K1", 33_000), ("R", "K1", 5_000)])
    diff = diff_frames(prev, cur, Decimal(10), successions=(("P", "N"), ("Q", "N")))
    assert diff.filter(pl.col("level") == "school").select("school_id", "previous_total", "note").rows() == [
        ("N", 30_000, "converted from P, Q"), ("R", 5_000, None)]
    assert diff.filter(pl.col("level") == "cluster").select(
        "cluster_id", "previous_total", "current_total", "change", "note").rows() == [
        ("K1", 15_000, 38_000, 23_000, None), ("K2", 20_000, 0, -20_000, "closed cluster")]


def test_last_year_of_a_setting_with_no_cluster_stays_out_of_the_cluster_rows_when_a_school_takes_it_over__spec_11_2():
    # the nursery P (no cluster) was taken over by N (K1): N is compared with both, K1's last year is N's own
    # alone, and P's total is last year's "(no cluster)" figure, so the Clusters sheet's last year adds up
    prev = frame([("P", None, 7_000), ("N", "K1", 10_000), ("Q", None, 5)])
    cur = frame([("N", "K1", 20_000), ("Q", None, 9)])
    diff = diff_frames(prev, cur, Decimal(10), successions=(("P", "N"),))
    schools = diff.filter(pl.col("level") == "school")
    assert schools.select("school_id", "previous_total", NO_CLUSTER_THEN).rows() == [("N", 17_000, 7_000),
                                                                                       ("Q", 5, 5)]
    clusters = diff.filter(pl.col("level") == "cluster")
    assert clusters.select("cluster_id", "previous_total").rows() == [("K1", 10_000)]
    assert clusters["previous_total"].sum() + schools[NO_CLUSTER_THEN].sum() == prev["total"].sum()


def test_a_school_that_took_another_over_and_moved_cluster_is_told_both__docs_diff_note_spec_11_1():
    # S was in K1 last year, is in K2 this year, and took over P at the year's start: "where two apply, both"
    prev = frame([("S", "K1", 10_000), ("P", "K2", 3_000)])
    cur = frame([("S", "K2", 14_000), ("A", "K2", 1_000)])
    diff = diff_frames(prev, cur, Decimal(10), successions=(("P", "S"), ("Q", "A")))
    assert dict(diff.filter(pl.col("level") == "school").select("school_id", "note").rows()) == {
        "A": "new school", "S": "converted from P; changed cluster from K1"}
    # an academy new since has no cluster of its own last year: its predecessor's cluster is not a change of its
    diff = diff_frames(frame([("P", "K1", 3_000)]), frame([("A", "K2", 4_000)]), Decimal(10), successions=(("P", "A"),))
    assert diff.filter(pl.col("level") == "school")["note"].to_list() == ["converted from P"]


def test_a_school_converted_from_one_and_taking_another_over_during_the_year_is_told_both__decisions_48_spec_11_1():
    # P became N at the year's start; N then took Q over during the year (both N and Q have a row this year)
    prev = frame([("P", "K", 10_000), ("Q", "K", 5_000)])
    cur = frame([("N", "K", 12_000), ("Q", "K", 2_000)])
    diff = diff_frames(prev, cur, Decimal(10), successions=(("P", "N"), ("Q", "N")))
    assert dict(diff.filter(pl.col("level") == "school").select("school_id", "note").rows()) == {
        "N": "converted from P; took over from Q during the year", "Q": "taken over by N during the year"}


def test_last_years_file_saved_during_the_run_gives_the_floor_the_diff_and_the_manifest_one_version__spec_11_8(
        tmp_path, monkeypatch):
    """formula.protection reads last year's cluster shares before the formula and the Diff its totals after: a
    schools.csv saved again meanwhile (an officer's spreadsheet on a shared drive) gave the floor one version, and
    diff.csv and the manifest's SHA-256 another.  Read once, all three are of the version the run began with."""
    import hashlib
    import json

    import senrun.pipeline

    formula = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    (tmp_path / "last").mkdir()
    (tmp_path / "this").mkdir()
    last = write_run(tmp_path / "last", statements=STATEMENTS, schools=_two_clusters("600"), year="2012-13",
                     period={"start": "2012-04-01", "end": "2013-03-31"}, census_date="2012-01-19", formula=formula)
    _allocate("-c", str(last), "-o", str(tmp_path / "last" / "out"))
    previous = tmp_path / "last" / "out" / "schools.csv"
    first = previous.read_bytes()
    rows = first.decode("utf-8").splitlines()
    header, h_row = rows[0].split(","), next(r for r in rows if r.startswith("H,"))
    cells = h_row.split(",")
    cells[header.index("total")] = "1.00"  # typed over while the run is working
    saved = first.decode("utf-8").replace(h_row, ",".join(cells)).encode("utf-8")
    assert saved != first
    real = senrun.pipeline.allocate

    def saved_meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        previous.write_bytes(saved)
        return result

    monkeypatch.setattr(senrun.pipeline, "allocate", saved_meanwhile)
    this = write_run(tmp_path / "this", statements=STATEMENTS, schools=_two_clusters("300"), year="2013-14",
                     period={"start": "2013-04-01", "end": "2014-03-31"}, census_date="2013-01-17",
                     formula={**formula, "protection": {"floor_pct": -2}})
    out = tmp_path / "this" / "out"
    _allocate("-c", str(this), "-o", str(out), "--previous", str(tmp_path / "last" / "out"))
    assert previous.read_bytes() == saved  # (the file was saved again during the run)
    paid = {r.split(",")[0]: r.split(",")[header.index("total")] for r in rows[1:]}  # as the run began
    assert {r["school_id"]: r["previous_total"] for r in _rows(out) if r["level"] == "school"} == paid
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["previous"]["sha256"] == hashlib.sha256(first).hexdigest()
