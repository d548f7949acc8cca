"""Each school's SEND profile from the census, for the cluster packs (FAQ 12: "a SEND profile for
the school and the cluster").

Counts by school and phase (the age-based phase at the census date, from the census's own date
of birth): pupils, pupils on SEN support (codes A, P, K), pupils with a statement or EHC plan
(S, E) and, where the census has the column, pupils eligible for free school meals.  Only the
registrations the formula counts (enrol_status C or M, SPEC §11.5).  One pass over the census.
"""

from __future__ import annotations

import polars as pl

from .calendar import nc_year_between
from .engine import collect
from .inputs.schema import (COUNTED_ENROL, DOB, ENROL_STATUS, FSM, SCHOOL_ID, SEN_PROVISION, SEN_STATEMENT_CODES,
                            SEN_SUPPORT_CODES)

PROFILE_COLUMNS = ("school_id", "phase", "pupils", "sen_support", "statements", "fsm")


def send_profile(census: pl.DataFrame | None, cfg) -> pl.DataFrame | None:
    """PROFILE_COLUMNS per school and phase (fsm null without an fsm column); None without a census."""
    if census is None:
        return None
    columns = census.columns
    frame = census.lazy()
    if ENROL_STATUS in columns:
        frame = frame.filter(pl.col(ENROL_STATUS).fill_null("C").is_in(COUNTED_ENROL))
    sen = pl.col(SEN_PROVISION) if SEN_PROVISION in columns else pl.lit(None, dtype=pl.String)
    fsm = (pl.col(FSM).fill_null(False).cast(pl.Int64).sum() if FSM in columns
           else pl.lit(None, dtype=pl.Int64))
    # each pupil's phase as its index in cfg.phases, by date of birth (no year worked out for 8 million
    # pupils, no name held per pupil); named, and the school ids made text, once counted
    index = pl.lit(None, dtype=pl.UInt8)
    for i, (_, lo, hi) in reversed(list(enumerate(cfg.phases))):  # the first phase holding the year wins
        inside = nc_year_between(pl.col(DOB), cfg.census_date, lo, hi)
        index = pl.when(inside).then(pl.lit(i, dtype=pl.UInt8)).otherwise(index)
    names = pl.Series([name for name, _, _ in cfg.phases], dtype=pl.String)
    return collect(frame.with_columns(index.alias("phase"))
                   .filter(pl.col("phase").is_not_null())
                   .group_by(SCHOOL_ID, "phase")
                   .agg(pl.len().cast(pl.Int64).alias("pupils"),
                        sen.is_in(SEN_SUPPORT_CODES).fill_null(False).cast(pl.Int64).sum().alias("sen_support"),
                        sen.is_in(SEN_STATEMENT_CODES).fill_null(False).cast(pl.Int64).sum().alias("statements"),
                        fsm.alias("fsm"))
                   .with_columns(pl.col(SCHOOL_ID).cast(pl.String),  # (a compact census: an Enum)
                                 pl.lit(names).gather(pl.col("phase")).alias("phase"))
                   .sort(SCHOOL_ID, "phase"), streaming=True)
