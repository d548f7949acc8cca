"""The funding run on the committed `la` sample matches planted.csv row for row.

planted.csv is written by `senrun sample` from how it planted each case (a Year 6 leaver,
a managed move, a child missing from the census, …), not by senrun's engine, so this is
an independent check of every rule of SPEC §3 on realistic data.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from senrun.config.loader import load_config
from senrun.pipeline import allocate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def la_result():
    return allocate(load_config(ROOT / "config" / "senrun.yaml"))


def test_every_statement_row_of_the_la_sample_matches_its_planted_outcome(la_result):
    planted = pl.read_csv(ROOT / "sample_data" / "planted.csv", infer_schema=False).with_columns(
        pl.col("paid_pence").cast(pl.Int64), pl.col("released_pence").cast(pl.Int64))
    got = (la_result.psf.group_by("upn", "stream")
           .agg(pl.col("psf_school_id").first().alias("school_id"), pl.col("reason").first(),
                pl.col("paid_amount").sum().alias("paid_pence"), pl.col("released_amount").sum().alias("released_pence")))
    joined = planted.join(got, on=["upn", "stream"], how="full", suffix="_senrun", coalesce=True)
    assert joined.height == planted.height == got.height
    mismatches = joined.filter(
        (pl.col("reason") != pl.col("reason_senrun")) | (pl.col("paid_pence") != pl.col("paid_pence_senrun"))
        | (pl.col("released_pence") != pl.col("released_pence_senrun"))
        | (pl.col("school_id") != pl.col("school_id_senrun")))
    assert mismatches.select("case", "upn", "reason", "reason_senrun", "paid_pence", "paid_pence_senrun").to_dicts() == []


def test_every_kind_of_planted_case_is_present_in_the_la_sample():
    cases = set(pl.read_csv(ROOT / "sample_data" / "planted.csv", infer_schema=False)["case"])
    for case in ("year6_leaver", "year11_leaver", "nursery_to_reception", "managed_move", "managed_move_chain",
                 "casual_move", "transfer_infant_junior", "not_in_census", "unrecorded_move", "ssmn", "fys",
                 "post_policy_statement", "ceased", "taught_year_mismatch", "leap_day", "ordinary"):
        assert case in cases


def test_the_la_sample_conserves_money_and_every_element_sums_to_its_total(la_result):
    t = la_result.totals
    assert t.pupil_specific_pot == t.continuing_psf + t.topslices_total + t.cluster_pot
    for e in la_result.elements:
        assert int(la_result.schools[f"formula_{e.name}"].sum()) == e.total
    assert int(la_result.clusters["cluster_allocation"].sum()) == t.cluster_pot
    assert t.cluster_pot > 0
