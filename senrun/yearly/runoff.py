"""The PSF run-off of the children protected at the period's end, year by year (FAQ 8), cheaply.

For the cluster packs (SPEC §6, round 2): no run of the formula per year, only each protected
child's line carried forward.  A line still paid on the period's last day keeps its school and
its annual rate, and is paid in each later period (the period shifted by whole years, as
yearly/projection.py shifts it) up to its `stop_date` — the 1 September that ends the child's
protected phase (FAQ 3–5).  No new statements, moves or ceasings: the same assumptions as the
projection of `simulate --years`, whose continuing PSF this reproduces for such lines.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from .. import history
from ..calendar import units_between, units_in_year
from ..inputs.schema import ROW
from ..money import div_round_half_away
from ..result import RunResult
from .projection import shifted_period, year_label

#: At most this many years after the period: a nursery child of 2012 is protected no longer.
MAX_YEARS = 15


def runoff_lines(result: RunResult) -> pl.DataFrame:
    """The lines still paid on the period's last day: _row, paid_school_id, annual_amount, stop_date."""
    end = result.config.period_end
    if "stop_date" not in result.psf.columns:  # a result built without the PSF rules' workings
        return pl.DataFrame(schema={ROW: pl.Int64, "paid_school_id": pl.String, "annual_amount": pl.Int64,
                                    "stop_date": pl.Date})
    return (result.psf.lazy()
            .filter((pl.col("reason") == "continuing") & (pl.col("paid_amount") > 0) & (pl.col("paid_to") == end))
            .select(ROW, "paid_school_id", "annual_amount", "stop_date").collect())


def runoff_by_school(result: RunResult, years: int | None = None) -> pl.DataFrame:
    """Per school and year after this one (while any child stays protected, or `years` of them):
    school_id, year, children (protected in that year), psf (pence paid in that year)."""
    cfg, lines = result.config, runoff_lines(result)
    frames: list[pl.LazyFrame] = []
    last = lines.get_column("stop_date").max() if lines.height else None
    for k in range(1, (years or MAX_YEARS) + 1):
        start, end = shifted_period(cfg, k)
        if last is None or (years is None and start >= last):
            break
        per_year = units_in_year(start, cfg.prorate)
        stop = pl.min_horizontal(pl.col("stop_date"), pl.lit(end + timedelta(days=1)))
        # each unit at the rate in force on it: an amendment or EHC transfer already recorded for a later
        # year changes the rate from its date, as the projection of simulate --years has it (§11.3)
        frames.append(lines.lazy()
                      .with_columns(units_between(pl.lit(start), stop, cfg.prorate).cast(pl.Int64).alias("_units"))
                      .filter(pl.col("_units") > 0)
                      .pipe(history.rate_units, result.rate_segments, pl.lit(start), stop, cfg.prorate)
                      .group_by(pl.col("paid_school_id").alias("school_id"))
                      .agg(pl.len().cast(pl.Int64).alias("children"),
                           div_round_half_away(pl.col("_rate_units"), per_year).sum().cast(pl.Int64).alias("psf"))
                      .with_columns(pl.lit(k).alias("_k"), pl.lit(year_label(start, end)).alias("year")))
    if not frames:
        return pl.DataFrame(schema={"school_id": pl.String, "_k": pl.Int32, "year": pl.String,
                                    "children": pl.Int64, "psf": pl.Int64})
    return pl.concat(pl.collect_all(frames)).select("school_id", "_k", "year", "children", "psf")
