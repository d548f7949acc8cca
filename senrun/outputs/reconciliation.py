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

from ..register import history_index
from ..result import RunResult

KEY = ["upn", "stream"]
STOPPED = "paid last year, not this year"
STARTED = "paid this year, not last year"
#: A history's reason this year is the first stop of its lines in the tie order of §11.9.
ORDER = ("stream_ended", "phase_end", "casual_move", "transfer", "not_in_census", "ceased", "school_closed",
         "stopped_last_year", "post_policy_statement")
FRAME_COLUMNS = ("movement", "upn", "stream", "last_year_school", "last_year_paid", "last_year_reason",
                 "this_year_school", "this_year_paid", "this_year_reason", "reason")


def _this_year(psf: pl.DataFrame, by) -> pl.DataFrame:
    """One row per history (`by`) of this year's lines: paid in all, its reason, its school at the end."""
    rank = pl.col("reason").replace_strict({r: i for i, r in enumerate(ORDER)}, default=None, return_dtype=pl.Int32)
    return (psf.group_by(by)
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


def _frame(result: RunResult) -> pl.DataFrame:
    both = _both_years(result.psf, result.register)
    paid_then = pl.col("last_year_paid").fill_null(0) > 0
    paid_now = pl.col("this_year_paid").fill_null(0) > 0
    changed = both.filter(paid_then != paid_now)
    if result.config.reinstate:
        reinstated = pl.DataFrame({"upn": [r.upn for r in result.config.reinstate],
                                   "stream": [r.stream for r in result.config.reinstate]},
                                  schema={"upn": pl.String, "stream": pl.String}).unique()
        changed = changed.join(reinstated.with_columns(pl.lit(True).alias("_re")), on=KEY, how="left",
                               maintain_order="left")
    else:
        changed = changed.with_columns(pl.lit(None, dtype=pl.Boolean).alias("_re"))
    absent = pl.col("this_year_reason").is_null()
    why = (pl.when(absent & (pl.col("last_year_reason") == "continuing")).then(pl.lit("missing_from_statements"))
           .when(absent).then(pl.col("last_year_reason"))  # stopped last year, and gone from the statements
           .when(pl.col("this_year_reason") == "stopped_last_year").then(pl.col("last_year_reason"))
           .when(paid_now & pl.col("_re").fill_null(False)).then(pl.lit("reinstated"))
           .when(paid_now & pl.col("last_year_reason").is_null()).then(pl.lit("not in last year's register"))
           .otherwise(pl.col("this_year_reason")))
    return (changed
            .with_columns(pl.when(paid_then).then(pl.lit(STOPPED)).otherwise(pl.lit(STARTED)).alias("movement"),
                          why.alias("reason"),
                          pl.col("last_year_paid").fill_null(0), pl.col("this_year_paid").fill_null(0))
            .select(FRAME_COLUMNS).sort("movement", "upn", "stream"))


def _both_years(psf: pl.DataFrame, register) -> pl.DataFrame:
    """Every history of either year, with last year's figures (null when it had none) and this
    year's (null when it has none).  This year's lines are matched with last year's histories by
    their row number there (register.history_index), not by joining on the two strings: a history
    of one line this year is that line, only those of several are grouped; only the lines of
    histories new this year are grouped by their text."""
    at = history_index(psf, register)
    n = register.histories.height
    lines = psf.select(*KEY, "paid_amount", "reason", "paid_school_id", "paid_to").with_columns(at.alias("_h"))
    # the only line this year of a history last year had
    alone = lines.select((pl.len().over("_h") == 1) & pl.col("_h").is_not_null()).to_series()
    this = pl.concat([lines.filter(alone).select("_h", pl.col("paid_amount").alias("this_year_paid"),
                                                 pl.col("reason").alias("this_year_reason"),
                                                 pl.col("paid_school_id").alias("this_year_school")),
                      _this_year(lines.filter(~alone & at.is_not_null()), "_h")], how="vertical_relaxed")
    last = register.histories.select(*KEY, pl.col("last_school").alias("last_year_school"),
                                     pl.col("last_paid").alias("last_year_paid"),
                                     pl.col("last_reason").alias("last_year_reason"))
    last = last.with_columns(pl.repeat(None, n, dtype=this.schema[name], eager=True).alias(name)
                             .scatter(this["_h"], this[name]) for name in this.columns if name != "_h")
    new = _this_year(lines.filter(at.is_null()), KEY)
    return pl.concat([last, new], how="diagonal")


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
