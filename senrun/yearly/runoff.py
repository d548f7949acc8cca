"""The PSF run-off of the children protected at the period's end, year by year (FAQ 8), cheaply.

For the cluster packs (SPEC §6, round 2): no run of the formula per year, only each protected
child's line carried forward.  A line still paid on the period's last day keeps its annual rate, and
is paid in each later period (the period shifted by whole years, as yearly/projection.py shifts it) up
to its `stop_date` — the 1 September that ends the child's protected phase (FAQ 3–5), or an earlier
recorded ceasing, casual move or closing.  It keeps its school, but for what is already recorded: from
a managed move dated after the period it is paid at the receiving school (FAQ 6; a chain of them, school
by school, split by months or days as allocate splits a line: by months, a month is the school's where
the child is on its 1st), and from the day a recorded succession takes over a school, at the successor
(SPEC §11.1), each in its cluster of the schools input.  No new statements, moves or ceasings: the same
assumptions as the projection of `simulate --years`, whose continuing PSF this reproduces for such lines.
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

DAY0, FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)
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


def runoff_stays(result: RunResult) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The lines still paid on the period's last day, as stays after the period: _row, paid_school_id,
    annual_amount, stop_date, at_cluster (the school's cluster of the schools input where a move or a succession
    brings the line there, else null: the school's own), t0, t1 (the stay is [t0, t1)).  Two frames: the lines
    no move recorded after the period takes on (nearly all: one stay each, or one a school of their school's
    succession chain), and the stays of the others (None when there are none), whose stays at one school in a
    year are one line, as allocate sums a line's.

    A managed move recorded for a later year moves the line to its receiving school from the move's date (FAQ 6;
    a chain of them, one stay each; a casual move after them ends the line, its `stop_date`), and a succession
    recorded for a later year moves a stay at its school on to the successor from its takeover (SPEC §11.1)."""
    lines, moves = runoff_lines(result), result.later_moves
    whole = {"at_cluster": pl.lit(None, dtype=pl.String), "t0": pl.lit(DAY0), "t1": pl.lit(FAR_FUTURE)}
    if moves is None:
        return _along_successions(lines.with_columns(**whole), result), None
    first = moves.group_by(ROW).agg(pl.col("seg_start").min().alias("t1"))  # (a few rows: the children moved)
    moved = lines.filter(pl.col(ROW).is_in(first[ROW].implode()))
    plain = lines.filter(~pl.col(ROW).is_in(first[ROW].implode())).with_columns(**whole)
    later = (moved.select(ROW, "annual_amount", "stop_date").join(moves, on=ROW, how="inner")
             .select(ROW, "paid_school_id", "annual_amount", "stop_date", "at_cluster", pl.col("seg_start").alias("t0"),
                     pl.col("seg_end").alias("t1")))
    moved = pl.concat([moved.join(first, on=ROW, how="inner")
                       .select(*lines.columns, whole["at_cluster"].alias("at_cluster"), whole["t0"].alias("t0"), "t1"),
                       later])
    return _along_successions(plain, result), _along_successions(moved, result)


def _along_successions(stays: pl.DataFrame, result: RunResult) -> pl.DataFrame:
    """Each stay at a school of a succession split along its chain: the part from a takeover at the successor, in
    its cluster; a stay's part after a closing with no successor is at no school (its line stopped there)."""
    timeline = result.succession_timeline
    if timeline is None:
        return stays
    timeline = timeline.rename({"school_id": "paid_school_id", "at_cluster": "_cluster", "t0": "_t0", "t1": "_t1"})
    return (stays.join(timeline, on="paid_school_id", how="left")
            .with_columns(pl.coalesce("at_school", "paid_school_id").alias("paid_school_id"),
                          pl.coalesce("_cluster", "at_cluster").alias("at_cluster"),
                          pl.max_horizontal("t0", "_t0").alias("t0"), pl.min_horizontal("t1", "_t1").alias("t1"))
            .drop("at_school", "_cluster", "_t0", "_t1"))


def runoff_by_line(result: RunResult, years: int | None = None) -> pl.DataFrame:
    """Per line still paid on the period's last day, school and year after this one (while any child stays
    protected, or `years` of them): _row, school_id, cluster_id (the school's, from the schools input, where a
    move or a succession brought the line there, for a school with no row this year: one opening later), _k,
    year, psf (pence paid there in that year, rounded per line and school as allocate rounds a line).  The line
    follows the managed moves and successions already recorded (`runoff_stays`) as the later years' own runs,
    and the projection of simulate --years, pay it."""
    cfg, (plain, moved) = result.config, runoff_stays(result)
    # a moved child's stays at one school in a year are one line, rounded once, as allocate has it: only those few
    # rows are grouped, the others (nearly all) are one stay a school already
    parts = [(part, grouped) for part, grouped in ((plain, False), (moved, True)) if part is not None and part.height]
    frames: list[pl.LazyFrame] = []
    last = max((part.get_column("stop_date").max() for part, _ in parts), default=None)
    for k in range(1, (years or MAX_YEARS) + 1):
        start, end = shifted_period(cfg, k)
        if last is None or (years is None and start >= last):
            break
        frames += [_year_of(part, grouped, result, k, start, end) for part, grouped in parts]
    if not frames:
        return pl.DataFrame(schema={ROW: pl.Int64, "school_id": pl.String, "cluster_id": pl.String, "_k": pl.Int32,
                                    "year": pl.String, "psf": pl.Int64})
    return pl.concat(pl.collect_all(frames))


def _year_of(stays: pl.DataFrame, moved: bool, result: RunResult, k: int, start: date, end: date) -> pl.LazyFrame:
    """runoff_by_line's rows of year `k` ([start, end]) for `stays`; `moved`: rows with several stays, summed
    by school before rounding."""
    cfg = result.config
    per_year = units_in_year(start, cfg.prorate)
    lo = pl.max_horizontal(pl.lit(start), pl.col("t0"))
    stop = pl.min_horizontal(pl.col("stop_date"), pl.lit(end + timedelta(days=1)), pl.col("t1"))
    # each unit at the rate in force on it: an amendment or EHC transfer already recorded for a later
    # year changes the rate from its date, as the projection of simulate --years has it (§11.3)
    year = (stays.lazy()
            .with_columns(units_between(lo, stop, cfg.prorate).cast(pl.Int64).alias("_units"))
            .filter(pl.col("_units") > 0)
            .pipe(history.rate_units, result.rate_segments, lo, stop, cfg.prorate))
    if moved:
        year = (year.group_by(ROW, "paid_school_id", maintain_order=True)
                .agg(pl.col("at_cluster").drop_nulls().first(), pl.col("_rate_units").sum()))
    return year.select(ROW, pl.col("paid_school_id").alias("school_id"), pl.col("at_cluster").alias("cluster_id"),
                       pl.lit(k, dtype=pl.Int32).alias("_k"), pl.lit(year_label(start, end)).alias("year"),
                       div_round_half_away(pl.col("_rate_units"), per_year).cast(pl.Int64).alias("psf"))


def runoff_by_school(result: RunResult, years: int | None = None) -> pl.DataFrame:
    """Per school and year after this one (while any child stays protected, or `years` of them):
    school_id, year, children (protected in that year), psf (pence paid in that year)."""
    return (runoff_by_line(result, years)
            .group_by("school_id", "_k", "year")
            .agg(pl.len().cast(pl.Int64).alias("children"), pl.col("psf").sum().cast(pl.Int64))
            .sort("_k", "school_id"))
