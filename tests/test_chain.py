"""The seven-year sample chain: every §11 situation planted, and its expected lines worth trusting.

`senrun sample --years` writes one folder per funding year and, in each, planted.csv: the
line every statement history should get when the years are run in order with `--register`
and `--previous`.  The figures are the generator's own arithmetic (senrun/sample/oracle.py),
so the tests here re-derive the key ones from the written files alone, run the years whose
lines need no round-2 rule through today's engine, and — the test to switch on once SPEC §11
is in — run the whole chain through the command line and compare every line.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from senrun.cli.app import app
from senrun.config.loader import load_config
from senrun.pipeline import allocate
from senrun.sample.chain import ALL_LABELS, generate_chain, parse_years
from senrun.sample.chain_cases import NOTES

SEED = 7


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("chain")
    generate_chain("demo", SEED, "2012-13:2019-20", out)
    return out


def _planted(chain: Path, year: str) -> pl.DataFrame:
    return pl.read_csv(chain / year / "planted.csv", infer_schema=False).with_columns(
        pl.col("paid_pence", "released_pence", "annual_pence").cast(pl.Int64), pl.col("rules").fill_null(""))


def _case(chain: Path, year: str, case: str) -> list[dict]:
    return _planted(chain, year).filter(pl.col("case") == case).to_dicts()


def _statements(chain: Path, year: str) -> pl.DataFrame:
    return pl.read_excel(chain / year / "statements.xlsx", sheet_name="Statements")


def _pence(pounds) -> int:
    return int(Decimal(str(pounds)) * 100)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def test_the_chain_writes_one_folder_per_year_each_with_its_inputs_config_and_planted_csv(chain):
    assert sorted(p.name for p in chain.iterdir()) == ALL_LABELS
    for year in ALL_LABELS:
        assert sorted(p.name for p in (chain / year).iterdir()) == [
            "census.csv", "links.csv", "moves.xlsx", "planted.csv", "schools.xlsx", "senrun.yaml", "statements.xlsx"]


def test_each_year_runs_april_to_march_with_the_january_census_and_the_2012_policy_start(chain):
    for year in ALL_LABELS:
        cfg = yaml.safe_load((chain / year / "senrun.yaml").read_text())
        y = int(year[:4])
        assert cfg["year"] == year
        assert cfg["period"] == {"start": date(y, 4, 1), "end": date(y + 1, 3, 31)}
        assert cfg["census_date"].year == y and cfg["census_date"].month == 1 and cfg["census_date"].weekday() == 3
        assert cfg["policy"] == {"start": date(2012, 9, 1)}
        assert cfg["delegation"] == ("devolved" if year == "2012-13" else "delegated")  # FAQ 18, 27
        assert cfg["formula"]["elements"][0] == {"name": "lump_sum", "basis": "per_school", "rate": 5000}


def test_the_same_seed_gives_the_same_bytes_and_a_shorter_chain_is_the_start_of_the_long_one(chain, tmp_path):
    generate_chain("demo", SEED, "2012-13:2013-14", tmp_path)
    for year in ("2012-13", "2013-14"):
        assert sorted(p.name for p in (tmp_path / year).iterdir()) == sorted(p.name for p in (chain / year).iterdir())
        for f in (chain / year).iterdir():
            assert (tmp_path / year / f.name).read_bytes() == f.read_bytes(), (year, f.name)


def test_years_are_read_as_two_financial_years_in_order_from_2012_13_to_2019_20():
    assert parse_years("2013-14:2015-16") == ["2013-14", "2014-15", "2015-16"]
    for bad in ("2013-15:2015-16", "2015-16:2013-14", "2011-12:2013-14", "2013:2014", "2019-20:2020-21"):
        with pytest.raises(ValueError):
            parse_years(bad)


def test_the_command_line_writes_a_chain_and_refuses_england_or_a_bad_range(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["sample", "--scale", "demo", "--years", "2018-19:2019-20", "--out", str(tmp_path / "c")])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["2018-19", "2019-20"]
    assert runner.invoke(app, ["sample", "--scale", "england", "--years", "2013-14:2014-15",
                               "--out", str(tmp_path / "e")]).exit_code == 2
    assert runner.invoke(app, ["sample", "--years", "2013-14", "--out", str(tmp_path / "e")]).exit_code == 2
    assert not (tmp_path / "e").exists()


def test_every_planted_situation_appears_and_every_reason_is_expected_somewhere(chain):
    planted = pl.concat([_planted(chain, y) for y in ALL_LABELS])
    assert set(NOTES) <= set(planted["case"])
    assert set(planted["reason"]) >= {
        "continuing", "stream_ended", "phase_end", "casual_move", "not_in_census", "ceased", "school_closed",
        "stopped_last_year", "post_policy_statement", "missing_from_statements"}
    for rule in ("11.1", "11.3", "11.4", "11.5", "11.6", "11.7", "11.9", "11.10"):
        assert planted["rules"].str.contains(rule, literal=True).any(), rule


def test_the_inputs_carry_every_round_2_column_a_council_would_fill(chain):
    schools = pl.read_excel(chain / "2017-18" / "schools.xlsx", sheet_name="Schools")
    assert schools.filter(pl.col("In Formula") == "No")["Phase"].sort().to_list() == ["Nursery", "Pupil Referral Unit",
                                                                                    "Special"]
    assert schools["Successor DfE"].drop_nulls().len() == 2  # the high school, and the re-brokered academy
    assert schools["Closed"].drop_nulls().len() == 6
    assert schools.filter(pl.col("Pupils Override").is_not_null())["Opened"].to_list() == [date(2017, 9, 1)]
    assert schools["Cluster Code"].null_count() == 2  # the academy of 2015 (its predecessor's) and the PRU
    links = pl.read_csv(chain / "2017-18" / "links.csv")
    assert set(links["Link Type"]) == {"Successor", "Predecessor", "Successor - amalgamated",
                                       "Predecessor - amalgamated", "Sixth Form Centre Link", "Other"}
    events = set(_statements(chain, "2017-18")["Event"].drop_nulls())
    assert events == {"amended", "ehc_transfer", "ceased", "reissued"}
    census = pl.read_csv(chain / "2015-16" / "census.csv", infer_schema=False)
    dual = census.filter(pl.col("EnrolStatus") != "C").group_by("UPN").agg(pl.col("EnrolStatus").sort())
    assert sorted(map(tuple, dual["EnrolStatus"].to_list())) == [("G", "M", "S"), ("M", "S")]
    assert "reinstate:" in (chain / "2015-16" / "senrun.yaml").read_text()


def test_no_round_2_input_appears_before_its_year(chain):
    """Until September 2014 a year's inputs are plain §3 data (one row per child, one census row)."""
    for year in ("2012-13", "2013-14"):
        statements = _statements(chain, year)
        assert statements.select("Pupil UPN", "Funding Stream").is_duplicated().sum() == 0
        census = pl.read_csv(chain / year / "census.csv", infer_schema=False)
        assert census["UPN"].is_duplicated().sum() == 0 and set(census["EnrolStatus"]) == {"C"}


def test_a_protected_child_whose_school_becomes_an_academy_keeps_psf_at_the_academy__faq_3_6(chain):
    schools = pl.read_excel(chain / "2013-14" / "schools.xlsx", sheet_name="Schools")
    lines = _case(chain, "2013-14", "academy_conversion")
    old = schools.filter(pl.col("DfE Number") == lines[0]["psf_school_id"]).row(0, named=True)
    assert old["Closed"] == date(2013, 7, 31) and old["Successor DfE"] == lines[1]["paid_school_id"]
    annual = lines[0]["annual_pence"]
    # April–July at the old school, August–March at the academy: one line each, rounded once
    assert [(x["paid_pence"], x["reason"]) for x in lines] == [(_half_up(annual * 4, 12), "continuing"),
                                                                (_half_up(annual * 8, 12), "continuing")]


def test_an_ehc_plan_with_a_new_amount_pays_each_month_at_the_rate_on_its_first_day__faq_3(chain):
    rows = _statements(chain, "2014-15")
    (line,) = _case(chain, "2014-15", "ehc_transfer_new_amount")
    history = rows.filter(pl.col("Pupil UPN") == line["upn"]).sort(pl.col("Effective Date").fill_null(date(1, 1, 1)))
    assert history["Event"].to_list() == [None, "ehc_transfer"] and history["Effective Date"][1] == date(2014, 11, 3)
    before, after = (_pence(a) for a in history["Annual PSF"])
    assert line["paid_pence"] == _half_up(before * 8 + after * 4, 12) and line["reason"] == "continuing"


def test_a_ceased_statement_stops_and_its_reissue_after_the_policy_pays_nothing__faq_3_7(chain):
    lines = _case(chain, "2015-16", "ceased_and_reissued")
    annual = lines[0]["annual_pence"]
    assert [(x["reason"], x["paid_pence"], x["released_pence"]) for x in lines] == [
        ("ceased", _half_up(annual * 2, 12), annual - _half_up(annual * 2, 12)), ("post_policy_statement", 0, 0)]
    assert [x["reason"] for x in _case(chain, "2016-17", "ceased_and_reissued")] == ["stopped_last_year"]


def test_a_child_whose_psf_stopped_last_year_stays_stopped_though_back_in_the_census__faq_3(chain):
    (last,) = _case(chain, "2014-15", "resurrected")
    (now,) = _case(chain, "2015-16", "resurrected")
    assert (last["reason"], last["paid_pence"]) == ("not_in_census", 0)
    assert (now["reason"], now["paid_pence"], now["released_pence"]) == ("stopped_last_year", 0, 0)
    census = pl.read_csv(chain / "2015-16" / "census.csv", infer_schema=False)
    assert census.filter(pl.col("UPN") == now["upn"])["LAEstab"].to_list() == [now["psf_school_id"]]
    (back,) = _case(chain, "2015-16", "reinstated")
    assert (back["reason"], back["paid_pence"]) == ("continuing", back["annual_pence"])


def test_a_trial_managed_move_just_after_census_day_moves_the_psf_on_its_date__faq_6(chain):
    cfg = yaml.safe_load((chain / "2015-16" / "senrun.yaml").read_text())
    moves = pl.read_excel(chain / "2015-16" / "moves.xlsx", sheet_name="Moves")
    (line,) = _case(chain, "2015-16", "trial_managed_move")
    (move,) = moves.filter(pl.col("UPN") == line["upn"]).to_dicts()
    assert 0 < (move["Date of Move"] - cfg["census_date"]).days <= cfg["census_move_tolerance_days"]
    assert (line["paid_school_id"], line["paid_pence"], line["rules"]) == (move["To School (DfE)"],
                                                                         line["annual_pence"], "11.6")


def test_in_2012_13_a_statement_dated_mid_period_is_paid_and_entitled_from_its_date__spec_11_10(chain):
    (line,) = _case(chain, "2012-13", "statement_mid_2012")
    assert (line["paid_pence"], line["released_pence"]) == (_half_up(line["annual_pence"] * 9, 12), 0)
    (moved,) = _case(chain, "2012-13", "moved_june_2012")
    assert (moved["paid_pence"], moved["reason"], moved["rules"]) == (moved["annual_pence"], "continuing", "11.7")


@pytest.mark.parametrize("year", ["2012-13", "2013-14"])
def test_the_lines_that_need_no_round_2_rule_match_todays_funding_run(chain, year):
    """Years whose inputs are plain §3 data: every line tagged with no §11 rule is the engine's."""
    expected = _planted(chain, year).filter(pl.col("rules") == "")
    got = _by_history(allocate(load_config(chain / year / "senrun.yaml")).psf, pence=True)
    joined = _sums(expected).join(got, on=["upn", "stream", "reason"], how="left", suffix="_senrun")
    assert expected.height > 10
    assert joined.filter((pl.col("paid") != pl.col("paid_senrun")) | (pl.col("released") != pl.col("released_senrun"))
                         | pl.col("paid_senrun").is_null()).to_dicts() == []


def _sums(planted: pl.DataFrame) -> pl.DataFrame:
    return planted.group_by("upn", "stream", "reason").agg(pl.col("paid_pence").sum().alias("paid"),
                                                           pl.col("released_pence").sum().alias("released"))


def _by_history(psf: pl.DataFrame, pence: bool) -> pl.DataFrame:
    """psf lines summed by (upn, stream, reason), in pence."""
    if not pence:
        psf = psf.with_columns(pl.col("paid_amount", "released_amount").map_elements(_pence, return_dtype=pl.Int64))
    return psf.group_by("upn", "stream", "reason").agg(pl.col("paid_amount").sum().alias("paid"),
                                                       pl.col("released_amount").sum().alias("released"))


def test_the_seven_year_chain_run_year_by_year_with_its_register_matches_planted_csv(chain, tmp_path):
    runner = CliRunner()
    before = None
    for year in ALL_LABELS:
        checked = runner.invoke(app, ["validate", "--config", str(chain / year / "senrun.yaml")])
        assert checked.exit_code == 0, (year, checked.output)
        out = tmp_path / year
        args = ["allocate", "--config", str(chain / year / "senrun.yaml"), "--out", str(out), "--no-returns", "-q"]
        if before is not None:
            args += ["--register", str(before), "--previous", str(before / "schools.csv")]
        run = runner.invoke(app, args)
        assert run.exit_code == 0, (year, run.output)
        _compare(_planted(chain, year), pl.read_csv(out / "psf.csv", infer_schema=False), year)
        # a child stopped last year back in this year's census is told (`resurrected`) only where planted so: the
        # unrecorded move's child had come back to its PSF school's census in January 2015, unplanned
        census = set(pl.read_csv(chain / year / "census.csv", infer_schema=False)["UPN"].to_list())
        planted = _planted(chain, year).filter((pl.col("case") == "resurrected")
                                               & (pl.col("reason") == "stopped_last_year"))
        told = json.loads((out / "manifest.json").read_text())["warnings"]["by_code"].get("resurrected", 0)
        assert told == len(set(planted["upn"].to_list()) & census), year
        before = out


def _compare(planted: pl.DataFrame, psf: pl.DataFrame, year: str) -> None:
    """Every expected line, by history and reason (paid, released) and by paying school (paid)."""
    absent = planted.filter(pl.col("reason") == "missing_from_statements")
    assert psf.join(absent, on=["upn", "stream"], how="semi").height == 0, year
    planted = planted.filter(pl.col("reason") != "missing_from_statements")
    got = _by_history(psf, pence=False)
    joined = _sums(planted).join(got, on=["upn", "stream", "reason"], how="full", suffix="_senrun", coalesce=True)
    assert joined.filter((pl.col("paid") != pl.col("paid_senrun")) | (pl.col("released") != pl.col("released_senrun"))
                         | pl.col("paid").is_null() | pl.col("paid_senrun").is_null()).to_dicts() == [], year
    paid = planted.filter(pl.col("paid_pence") > 0).group_by("upn", "stream", "paid_school_id").agg(
        pl.col("paid_pence").sum())
    paid_got = psf.with_columns(pl.col("paid_amount").map_elements(_pence, return_dtype=pl.Int64)).filter(
        pl.col("paid_amount") > 0).group_by("upn", "stream", "paid_school_id").agg(pl.col("paid_amount").sum())
    assert paid.join(paid_got, on=["upn", "stream", "paid_school_id"], how="anti").to_dicts() == [], year
    assert paid.join(paid_got, on=["upn", "stream", "paid_school_id"]).filter(
        pl.col("paid_pence") != pl.col("paid_amount")).to_dicts() == [], year


def test_a_chain_is_never_written_over_a_councils_own_year_folder_and_may_rewrite_its_own(tmp_path):
    runner = CliRunner()
    own = tmp_path / "data" / "2019-20"
    own.mkdir(parents=True)
    (own / "statements.xlsx").write_bytes(b"a council's own statements")
    refused = runner.invoke(app, ["sample", "--scale", "demo", "--years", "2018-19:2019-20", "--out",
                                  str(tmp_path / "data")])
    assert refused.exit_code == 1 and "2019-20" in refused.output and "not empty" in refused.output
    assert (own / "statements.xlsx").read_bytes() == b"a council's own statements"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["2019-20"]  # nothing written first
    args = ["sample", "--scale", "demo", "--years", "2018-19:2019-20", "--out", str(tmp_path / "c")]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output


def test_a_chain_that_fails_halfway_leaves_no_folder_it_made(tmp_path, monkeypatch):
    from senrun.sample import chain as chain_module
    written = []

    def write_year(folder, *args):
        if written:
            raise OSError(28, "No space left on device")
        folder.mkdir(parents=True)
        (folder / "planted.csv").write_text("x")
        written.append(folder)

    monkeypatch.setattr(chain_module, "write_year", write_year)
    (tmp_path / "kept").mkdir()
    with pytest.raises(OSError):
        chain_module.generate_chain("demo", 1, "2018-19:2019-20", tmp_path / "kept")
    assert written and list((tmp_path / "kept").iterdir()) == []  # the folder given was there before: kept
    with pytest.raises(OSError):
        chain_module.generate_chain("demo", 1, "2018-19:2019-20", tmp_path / "new" / "chain")
    assert not (tmp_path / "new" / "chain").exists()
