"""The PSF run-off of the children protected at the period's end, year by year (FAQ 8), cheaply.

For the cluster packs (SPEC §6, round 2): no run of the formula per year, only each protected
child's line carried forward.  A line still paid on the period's last day keeps its school and
its annual rate, and is paid in each later period (the period shifted by whole years, as
yearly/projection.py shifts it) up to its `stop_date` — the 1 September that ends the child's
protected phase (FAQ 3–5), or an earlier recorded ceasing, casual move or closing — and from the
day a recorded succession takes over its school, at the successor (SPEC §11.1).  No new statements,
moves or ceasings: the same assumptions as the projection of `simulate --years`, whose continuing
PSF this reproduces for such lines (a managed move recorded for a later year is not followed here).
"""

from __future__ import annotations

from datetime import date, timedelta

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


def runoff_by_line(result: RunResult, years: int | None = None) -> pl.DataFrame:
    """Per line still paid on the period's last day, school and year after this one (while any child stays
    protected, or `years` of them): _row, school_id, cluster_id (the school's, from the schools input, for a
    school with no row this year: a successor opening later), _k, year, psf (pence paid there in that year,
    rounded per line and school as allocate rounds a line).  A line at a school that a succession already
    recorded takes over goes on at the successor from the day it takes over (SPEC §11.1), as the projection
    of simulate --years, and the later years' own runs, pay it."""
    cfg, lines = result.config, runoff_lines(result)
    timeline = result.succession_timeline
    if timeline is not None:  # each line split into its stays along its school's succession chain
        lines = (lines.join(timeline.rename({"school_id": "paid_school_id"}), on="paid_school_id", how="left")
                 .with_columns(pl.coalesce("at_school", "paid_school_id").alias("paid_school_id"),
                               pl.col("t0").fill_null(date(1, 1, 1)), pl.col("t1").fill_null(date(9999, 12, 31)))
                 .drop("at_school"))
    else:
        lines = lines.with_columns(pl.lit(None, dtype=pl.String).alias("at_cluster"),
                                   pl.lit(date(1, 1, 1)).alias("t0"), pl.lit(date(9999, 12, 31)).alias("t1"))
    frames: list[pl.LazyFrame] = []
    last = lines.get_column("stop_date").max() if lines.height else None
    for k in range(1, (years or MAX_YEARS) + 1):
        start, end = shifted_period(cfg, k)
        if last is None or (years is None and start >= last):
            break
        per_year = units_in_year(start, cfg.prorate)
        lo = pl.max_horizontal(pl.lit(start), pl.col("t0"))
        stop = pl.min_horizontal(pl.col("stop_date"), pl.lit(end + timedelta(days=1)), pl.col("t1"))
        # each unit at the rate in force on it: an amendment or EHC transfer already recorded for a later
        # year changes the rate from its date, as the projection of simulate --years has it (§11.3)
        frames.append(lines.lazy()
                      .with_columns(units_between(lo, stop, cfg.prorate).cast(pl.Int64).alias("_units"))
                      .filter(pl.col("_units") > 0)
                      .pipe(history.rate_units, result.rate_segments, lo, stop, cfg.prorate)
                      # one row a line and stay (a stay is one school of its succession chain), rounded as allocate
                      # rounds a line at a school
                      .select(ROW, pl.col("paid_school_id").alias("school_id"), pl.col("at_cluster").alias("cluster_id"),
                              pl.lit(k, dtype=pl.Int32).alias("_k"), pl.lit(year_label(start, end)).alias("year"),
                              div_round_half_away(pl.col("_rate_units"), per_year).cast(pl.Int64).alias("psf")))
    if not frames:
        return pl.DataFrame(schema={ROW: pl.Int64, "school_id": pl.String, "cluster_id": pl.String, "_k": pl.Int32,
                                    "year": pl.String, "psf": pl.Int64})
    return pl.concat(pl.collect_all(frames))


def runoff_by_school(result: RunResult, years: int | None = None) -> pl.DataFrame:
    """Per school and year after this one (while any child stays protected, or `years` of them):
    school_id, year, children (protected in that year), psf (pence paid in that year)."""
    return (runoff_by_line(result, years)
            .group_by("school_id", "_k", "year")
            .agg(pl.len().cast(pl.Int64).alias("children"), pl.col("psf").sum().cast(pl.Int64))
            .sort("_k", "school_id"))
