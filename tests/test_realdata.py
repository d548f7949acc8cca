"""senrun on real Norfolk schools (public DfE data, Open Government Licence), as a council would feed it.

The files live outside the project (../shared/realdata/, or wherever SENRUN_REALDATA points)
and are never copied into it: each test builds its inputs in tmp_path.  Skipped when absent.

- england_census.csv: the school-level census (URN, LA, NOR pupils on roll, TSENELK pupils
  on SEN support).  Norfolk is LA 926.
- norfolk_926_2017-2018_england_spine.csv: the DfE school spine for Norfolk (URN, SCHNAME,
  POSTCODE, MINORGROUP, ISPRIMARY, ISSECONDARY).

The council's 46 SEN clusters are not published, so `cluster_id` is the postcode district
("NR14") as a stand-in: schools close together, as a high school and its feeder primaries are.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from senrun.cli import app
from senrun.config.loader import load_config
from senrun.pipeline import read_inputs
from senrun.inputs.upn import check_letter

REALDATA = Path(os.environ.get("SENRUN_REALDATA") or Path(__file__).resolve().parents[2] / "shared" / "realdata")
CENSUS = REALDATA / "england_census.csv"
SPINE = REALDATA / "norfolk_926_2017-2018_england_spine.csv"
NORFOLK = "926"

pytestmark = [pytest.mark.realdata,
              pytest.mark.skipif(not (CENSUS.is_file() and SPINE.is_file()),
                                 reason=f"real DfE data not found in {REALDATA} (set SENRUN_REALDATA)")]

CONFIG = """\
# Norfolk's state-funded primary and secondary schools, under their DfE headers.
year: "2013-14"
period: {start: 2013-04-01, end: 2014-03-31}
census_date: 2013-01-17
budget: {pupil_specific_pot: 16000000}
topslices:
  - {name: cluster_host, per_cluster: 3000}
formula:
  elements:
    - {name: lump_sum, basis: per_school, rate: 5000}
    - {name: sen_support, basis: "column:sen_support_pupils", share: 0.10}
    - {name: per_pupil, basis: pupils, remainder: true}
inputs:
  schools:
    path: schools.csv
    columns: {URN: school_id, SCHNAME: school_name, "Cluster (postcode district)": cluster_id, NOR: pupils,
              TSENELK: sen_support_pupils}
  statements:
    path: statements.csv
    columns: {"Pupil UPN": upn, "Date of Birth": date_of_birth, "Statement Date": statement_date,
              "PSF School (URN)": school_id, "Annual PSF": annual_amount}
"""


def norfolk_schools() -> pl.DataFrame:
    """The census rows of LA 926 joined on URN to the spine, keeping state-funded primary and secondary."""
    census = pl.read_csv(CENSUS, infer_schema=False).filter(pl.col("LA") == NORFOLK)
    spine = pl.read_csv(SPINE, infer_schema=False).select("URN", "SCHNAME", "POSTCODE", "MINORGROUP", "ISPRIMARY",
                                                          "ISSECONDARY")
    state_funded = pl.col("MINORGROUP").is_in(["Maintained School", "Academy"])
    mainstream = (pl.col("ISPRIMARY") == "1") | (pl.col("ISSECONDARY") == "1")
    return (census.join(spine, on="URN", how="inner").filter(state_funded & mainstream)
            .with_columns(pl.col("POSTCODE").str.strip_chars().str.split(" ").list.first()
                          .alias("Cluster (postcode district)"))
            .select("URN", "SCHNAME", "Cluster (postcode district)", "LA", "ESTAB", "NOR", "TSENELK", "POSTCODE")
            .sort("URN"))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("norfolk")
    schools = norfolk_schools()
    schools.write_csv(folder / "schools.csv")
    first, second = schools.row(0, named=True), schools.row(1, named=True)

    def upn(school: dict, serial: str) -> str:
        body = f"{school['LA']}{int(school['ESTAB']):04d}{serial}"
        return check_letter(body) + body

    (folder / "statements.csv").write_text(
        "Pupil UPN,Date of Birth,Statement Date,PSF School (URN),Annual PSF\n"
        f"{upn(first, '10001')},01/03/2005,01/06/2011,{first['URN']},\"£8,400.00\"\n"
        f"{upn(second, '10002')},14/11/2001,01/03/2010,{second['URN']},9876.54\n")
    (folder / "senrun.yaml").write_text(CONFIG)
    return folder / "senrun.yaml", schools


def test_every_norfolk_school_is_read(run):
    config, schools = run
    inputs = read_inputs(load_config(config))
    read = inputs.schools.frame
    assert read.height == schools.height
    assert 380 <= read.height <= 410  # 351 state-funded primary + 55 secondary in the census, less a few unmatched
    assert read["school_id"].n_unique() == read.height
    assert read["pupils"].sum() == schools["NOR"].cast(pl.Int64).sum()
    assert read["cluster_id"].n_unique() == schools["Cluster (postcode district)"].n_unique()
    assert inputs.schools.headers["school_id"] == "URN"
    assert inputs.statements.frame["annual_amount"].to_list() == [840000, 987654]


def test_validate_passes_on_real_schools(run):
    config, schools = run
    result = CliRunner().invoke(app, ["validate", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == 0
    assert {i["code"] for i in report["issues"]} <= {"no_census", "no_pupils"}
    totals = report["dry_run_totals_pence"]
    clusters = schools["Cluster (postcode district)"].n_unique()
    assert totals["topslices"] == clusters * 300_000
    assert totals["pupil_specific_pot"] == totals["continuing_psf"] + totals["topslices"] + totals["cluster_pot"]


def test_the_spines_own_closing_dates_and_successors_carry_a_childs_psf_to_the_academy__faq_3_6(tmp_path):
    """The spine as the schools input, its dates as it holds them (Excel serial days) and each closed
    school's OTHERURN as its successor: Corpusty Primary (120799) closed on 31 December 2017 and
    reopened as an academy (145299) the next day."""
    spine = pl.read_csv(SPINE, infer_schema=False).filter(pl.col("MINORGROUP") != "College")
    schools = spine.select(
        "URN", "SCHNAME", pl.col("POSTCODE").str.strip_chars().str.split(" ").list.first().alias("Cluster"),
        "OPENDATE", "CLOSEDATE", pl.when(pl.col("ICLOSE") == "2").then(pl.col("OTHERURN")).alias("Successor URN"),
        pl.when(pl.col("MINORGROUP").is_in(["Maintained School", "Academy"])).then(pl.lit("Yes"))
        .otherwise(pl.lit("No")).alias("In Formula"))
    schools.write_csv(tmp_path / "schools.csv")
    body = "926200010001"
    (tmp_path / "statements.csv").write_text("Pupil UPN,Date of Birth,Statement Date,PSF School (URN),Annual PSF\n"
                                            f"{check_letter(body)}{body},01-03-2008,01-06-2014,120799,8400\n")
    config = tmp_path / "senrun.yaml"
    config.write_text(CONFIG.replace('"2013-14"', '"2017-18"').replace("2013-04-01", "2017-04-01")
                      .replace("2014-03-31", "2018-03-31").replace("2013-01-17", "2017-01-19")
                      .replace("    - {name: sen_support, basis: \"column:sen_support_pupils\", share: 0.10}\n", "")
                      .replace("basis: pupils,", "basis: per_school,")
                      .replace('columns: {URN: school_id, SCHNAME: school_name, "Cluster (postcode district)": cluster_id, '
                               'NOR: pupils,\n              TSENELK: sen_support_pupils}',
                               'columns: {URN: school_id, SCHNAME: school_name, Cluster: cluster_id, OPENDATE: opened,\n'
                               '              CLOSEDATE: closed, "Successor URN": successor_id, "In Formula": in_formula}')
                      + "policy: {start: 2016-09-01}\n")
    result = CliRunner().invoke(app, ["allocate", "--config", str(config), "--out", str(tmp_path / "out"), "--quiet",
                                      "--no-returns"])
    assert result.exit_code == 0, result.output
    lines = pl.read_csv(tmp_path / "out" / "psf.csv", infer_schema=False)
    assert lines.select("paid_school_id", "paid_from", "paid_to", "paid_amount", "reason").rows() == [
        ("120799", "2017-04-01", "2017-12-31", "6300.00", "continuing"),
        ("145299", "2018-01-01", "2018-03-31", "2100.00", "continuing")]
    rows = pl.read_csv(tmp_path / "out" / "schools.csv", infer_schema=False)
    opened_after = schools.filter(pl.col("OPENDATE").cast(pl.Int32) > 43190)["URN"]  # after 31 March 2018
    assert len(opened_after) > 20 and not set(opened_after) & set(rows["school_id"])  # open on no day of the period
    assert {"120799", "145299"} <= set(rows["school_id"])
