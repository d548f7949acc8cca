"""Where a child's PSF line came from and where it went on to: what the returns and `explain` tell a school.

A statement row's lines (psf.csv) are its stays at schools, one line a school: a child who went A → B → A → C
has three lines, A's spanning the stay at B.  So the line before or after by date is not always the school the
child came from or went to.  Here a line came from the other line of its row that was paid on the day before
it began, and went on to the other line paid on the day after it ended; and it came (or went) by succession
(SPEC §11.1) when the schools are of one succession chain and the earlier school's successor had taken over
by then, else by a move (a managed move, or a `transfer` under `transfer: keeps`, which is paid as one).
By months a line begins on a month's first day, so a managed move earlier in the month in which the school it
left was taken over reads as the succession; and a line with no line before it this period came from the
statement's school by a way its lines do not tell (docs/decisions.md, 88).

Loops here run over schools, never over pupils.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from .inputs.schema import ROW, SCHOOL_ID
from .succession import later_schools

#: The columns `neighbours` adds: the school a line came from and whether by succession; whether that is only the
#: statement's school (no line of this period before it: the child came before, perhaps by other schools); the
#: school it went on to (None: none after it) and whether by succession.
CAME_FROM, CAME_BY_SUCCESSION, CAME_EARLIER = "_came_from", "_came_by_succession", "_came_earlier"
WENT_TO, WENT_BY_SUCCESSION = "_next", "_converted"


def neighbours(lines: pl.LazyFrame, successions: tuple[tuple[str, str], ...] = (),
               takeovers: tuple[tuple[str, date], ...] = ()) -> pl.LazyFrame:
    """`lines` (a run's PSF lines: ROW, psf_school_id, paid_school_id, paid_from, paid_to) with CAME_FROM,
    CAME_BY_SUCCESSION, CAME_EARLIER, WENT_TO and WENT_BY_SUCCESSION.  `successions`: (predecessor, successor)
    pairs; `takeovers`: each predecessor and the day its successor took over (RunResult.takeovers)."""
    paid = (lines.filter(pl.col("paid_from").is_not_null() & pl.col("paid_to").is_not_null())
            .filter(pl.len().over(ROW) > 1)  # (a row of one line came from and went to no other this period)
            .select(ROW, "paid_school_id", "paid_from", "paid_to"))
    other = paid.rename({"paid_school_id": "_other", "paid_from": "_other_from", "paid_to": "_other_to"})
    pairs = paid.join(other, on=ROW).filter(pl.col("_other") != pl.col("paid_school_id"))
    day = pl.duration(days=1)

    def covering(when: pl.Expr, name: str) -> pl.LazyFrame:  # the other line paid on `when`, the latest begun
        return (pairs.filter((pl.col("_other_from") <= when) & (when <= pl.col("_other_to")))
                .sort("_other_from").group_by(ROW, "paid_school_id", "paid_from")
                .agg(pl.col("_other").last().alias(name)))

    keys = [ROW, "paid_school_id", "paid_from"]
    out = (lines.join(covering(pl.col("paid_from") - day, CAME_FROM), on=keys, how="left", maintain_order="left")
           .join(covering(pl.col("paid_to") + day, WENT_TO), on=keys, how="left", maintain_order="left"))
    earlier = pl.col(CAME_FROM).is_null() & (pl.col("psf_school_id") != pl.col("paid_school_id")).fill_null(False)
    out = out.with_columns(pl.when(earlier).then(pl.col("psf_school_id")).otherwise(pl.col(CAME_FROM)).alias(CAME_FROM),
                           earlier.alias(CAME_EARLIER))
    later = later_schools(successions).lazy() if successions else None
    taken = pl.LazyFrame(list(takeovers), schema={SCHOOL_ID: pl.String, "_on": pl.Date}, orient="row")
    if later is None or not takeovers:
        return out.with_columns(pl.lit(False).alias(CAME_BY_SUCCESSION), pl.lit(False).alias(WENT_BY_SUCCESSION))
    chain = later.join(taken, on=SCHOOL_ID, how="inner")  # (earlier, later, the day the earlier one was taken over)

    def by_succession(earlier: str, later_: str, begins: pl.Expr, name: str) -> pl.LazyFrame:
        found = chain.rename({SCHOOL_ID: earlier, "later": later_})
        columns = list(dict.fromkeys([*keys, earlier, later_]))
        return (out.select(*columns, begins.alias("_begins")).join(found, on=[earlier, later_])
                .filter(pl.col("_on") <= pl.col("_begins")).select(*keys, pl.lit(True).alias(name)).unique(keys))

    # (a line with none before it this period came from the statement's school before the period, by a move or
    # a succession that its lines cannot tell apart: neither is claimed)
    came = by_succession(CAME_FROM, "paid_school_id", pl.col("paid_from"), CAME_BY_SUCCESSION) \
        .join(out.filter(pl.col(CAME_EARLIER)).select(keys), on=keys, how="anti")
    went = by_succession("paid_school_id", WENT_TO, pl.col("paid_to") + day, WENT_BY_SUCCESSION)
    return (out.join(came, on=keys, how="left", maintain_order="left")
            .join(went, on=keys, how="left", maintain_order="left")
            .with_columns(pl.col(CAME_BY_SUCCESSION).fill_null(False), pl.col(WENT_BY_SUCCESSION).fill_null(False)))
