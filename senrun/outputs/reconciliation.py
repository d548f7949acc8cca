"""The Reconciliation of this year's PSF with last year's register (SPEC §11.4).

Every history paid last year and not this year, or paid this year and not last year, with
both years' figures and the reason.  Two shapes, because the children's rows are personal
data: `reconciliation_frame` lists the children (for the restricted outputs, like psf.csv),
`reconciliation_summary` counts them by movement and reason, with no UPN (for the
publishable workbook).  Both are None without a register.
"""

from __future__ import annotations

import threading
import weakref

import polars as pl

from ..result import RunResult

KEY = ["upn", "stream"]
STOPPED = "paid last year, not this year"
STARTED = "paid this year, not last year"
#: A history's reason this year is the first stop of its lines in the tie order of §11.9.
ORDER = ("stream_ended", "phase_end", "casual_move", "transfer", "not_in_census", "ceased", "school_closed",
         "stopped_last_year", "post_policy_statement")
FRAME_COLUMNS = ("movement", "upn", "stream", "last_year_school", "last_year_paid", "last_year_reason",
                 "this_year_school", "this_year_paid", "this_year_reason", "reason")


def _this_year(psf: pl.DataFrame) -> pl.DataFrame:
    """One row per (upn, stream) of this year's lines: paid in all, its reason, its school at the end."""
    rank = pl.col("reason").replace_strict({r: i for i, r in enumerate(ORDER)}, default=None, return_dtype=pl.Int32)
    return (psf.group_by(KEY)
            .agg(pl.col("paid_amount").sum().alias("this_year_paid"),
                 pl.col("reason").sort_by(rank, nulls_last=True).first().alias("this_year_reason"),
                 pl.col("paid_school_id").sort_by(pl.col("paid_to").fill_null(pl.date(1, 1, 1)), "paid_school_id")
                 .last().alias("this_year_school")))


_LOCK = threading.Lock()
_MADE: dict[int, pl.DataFrame | None] = {}  # by id of a live RunResult (dropped with it)


def reconciliation_frame(result: RunResult) -> pl.DataFrame | None:
    """Child by child (restricted: it names children): each history whose being paid changed
    between last year's register and this year, with both years' figures and the reason —
    this year's where it stopped or started now, last year's where it stopped then.

    Worked out once per run: reconciliation.csv and the workbook's summary both need it (about a
    second of CPU at England scale), often on two threads at once, so the second waits for the first."""
    if getattr(result, "register", None) is None:
        return None
    with _LOCK:
        if id(result) not in _MADE:
            _MADE[id(result)] = _frame(result)
            weakref.finalize(result, _MADE.pop, id(result), None)
        return _MADE[id(result)]


def _frame(result: RunResult) -> pl.DataFrame | None:
    register = getattr(result, "register", None)
    if register is None:
        return None
    last = register.histories.select(*KEY, pl.col("last_school").alias("last_year_school"),
                                     pl.col("last_paid").alias("last_year_paid"),
                                     pl.col("last_reason").alias("last_year_reason"))
    reinstated = pl.DataFrame({"upn": [r.upn for r in result.config.reinstate],
                               "stream": [r.stream for r in result.config.reinstate]},
                              schema={"upn": pl.String, "stream": pl.String}).with_columns(pl.lit(True).alias("_re"))
    both = (last.join(_this_year(result.psf), on=KEY, how="full", coalesce=True)
            .join(reinstated, on=KEY, how="left"))
    paid_then = pl.col("last_year_paid").fill_null(0) > 0
    paid_now = pl.col("this_year_paid").fill_null(0) > 0
    absent = pl.col("this_year_reason").is_null()
    why = (pl.when(absent & (pl.col("last_year_reason") == "continuing")).then(pl.lit("missing_from_statements"))
           .when(absent).then(pl.col("last_year_reason"))  # stopped last year, and gone from the statements
           .when(pl.col("this_year_reason") == "stopped_last_year").then(pl.col("last_year_reason"))
           .when(paid_now & pl.col("_re").fill_null(False)).then(pl.lit("reinstated"))
           .when(paid_now & pl.col("last_year_reason").is_null()).then(pl.lit("not in last year's register"))
           .otherwise(pl.col("this_year_reason")))
    return (both.filter(paid_then != paid_now)
            .with_columns(pl.when(paid_then).then(pl.lit(STOPPED)).otherwise(pl.lit(STARTED)).alias("movement"),
                          why.alias("reason"),
                          pl.col("last_year_paid").fill_null(0), pl.col("this_year_paid").fill_null(0))
            .select(FRAME_COLUMNS).sort("movement", "upn", "stream"))


def reconciliation_summary(result: RunResult) -> pl.DataFrame | None:
    """The Reconciliation with no child named (for the publishable workbook): by movement and
    reason, how many histories and both years' PSF."""
    frame = reconciliation_frame(result)
    if frame is None:
        return None
    return (frame.group_by("movement", "reason")
            .agg(pl.len().cast(pl.Int64).alias("histories"), pl.col("last_year_paid").sum(),
                 pl.col("this_year_paid").sum())
            .sort("movement", "reason"))
