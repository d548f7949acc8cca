"""Pupil Specific Funding under the cluster model (SPEC §3), as Polars expressions.

For each statement row: the protected phase, every cause that could stop its PSF (with
its date), the first of them, the schools that held it (managed moves carry PSF), and
the paid and released amounts.  No loop over pupils: moves are ranked and shifted within
each statement, and every rule is a column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from . import history, succession
from .calendar import nc_year, phase_end_date, phase_last_year, phase_of, units_between, units_in_year
from .config.loader import Config
from .engine import collect, collect_all
from .money import div_round_half_away
from .inputs.schema import (ANNUAL_AMOUNT, CEASED_DATE, DOB, FROM_SCHOOL, MOVE_DATE, REASON, ROW, SCHOOL_ID,
                     STATEMENT_DATE, STREAM, TO_SCHOOL, UPN, ENROL_STATUS, COUNTED_ENROL)
from .succession import Successions

#: On the same date, the first of these is the reason (SPEC §3).
REASONS = ("stream_ended", "phase_end", "casual_move", "transfer", "not_in_census", "ceased", "school_closed")
CONTINUING = "continuing"
POST_POLICY = "post_policy_statement"
FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class PsfFrames:
    """rows: one per statement row with its rule columns; lines: one per row and school paid."""

    rows: pl.DataFrame
    lines: pl.DataFrame
    move_errors: pl.DataFrame  # move _row, upn, from_school_id, expected_school
    notes: tuple = ()  # warnings found while applying last year's register (register.apply)
    #: the histories' rate segments (history.collapse): ROW, seg_from, seg_to, rate; None when no rate changes
    segments: pl.DataFrame | None = None
    #: the stays that managed moves begin and that reach past the period (`later_stays`): ROW, paid_school_id,
    #: seg_start, seg_end; None when there are none
    later: pl.DataFrame | None = None


def statement_rows(statements: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Ageing and the protected phase: the phase on the day before policy.start (FAQ 3–5)."""
    before = cfg.policy_start - timedelta(days=1)
    dob = pl.col(DOB)
    return statements.with_columns(
        pl.col(STREAM).fill_null("PSF"),
        nc_year(dob, before).alias("protected_nc"),
    ).with_columns(
        phase_of(pl.col("protected_nc"), cfg.phases).alias("protected_phase"),
    ).with_columns(
        pl.when(pl.col("protected_phase").is_null()).then(pl.lit(cfg.policy_start))
        .otherwise(phase_end_date(dob, phase_last_year(pl.col("protected_phase"), cfg.phases)))
        .alias("stop_phase_end"),
        # FAQ 9: SSMN and FYS are paid up to the day before policy.start, never after.
        pl.when(pl.col(STREAM) != "PSF").then(pl.lit(cfg.policy_start)).otherwise(None).cast(pl.Date)
        .alias("stop_stream_ended"),
        pl.col(CEASED_DATE).alias("stop_ceased") if CEASED_DATE in statements.collect_schema()
        else pl.lit(None, dtype=pl.Date).alias("stop_ceased"),
        # FAQ 3, 7: a statement issued on or after policy.start generates no funding.
        (pl.col(STATEMENT_DATE) >= pl.lit(cfg.policy_start)).alias("post_policy"),
    )


def moves_in_order(moves: pl.LazyFrame, statements: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Each statement row's moves from policy.start on, in date order, with the school the child
    should be leaving and whether the move ends PSF (FAQ 3, 6).  A child's moves on one date are
    taken as a chain (A → B, then B → C), whichever the file lists first (`in_chain_order`).

    Small: one row per move and statement row of the child moved, never one per pupil."""
    ending = ["casual"] + (["transfer"] if cfg.transfer == "ends" else [])
    # made once (few rows: the moves of children with a statement): the chain order reads its same-day moves
    moved = collect(moves.filter(pl.col(MOVE_DATE) >= pl.lit(cfg.policy_start)).rename({ROW: "move_row"})
                    .join(statements.select(ROW, UPN, pl.col(SCHOOL_ID).alias("psf_school_id")), on=UPN,
                          how="inner")).lazy()
    return (
        in_chain_order(moved, [ROW], "move_row")
        .with_columns(
            pl.col(TO_SCHOOL).shift(1).over(ROW).fill_null(pl.col("psf_school_id")).alias("expected_from"),
            pl.col(REASON).is_in(ending).alias("ends"),
        )
        .with_columns(pl.col("ends").cast(pl.Int32).cum_sum().over(ROW).alias("_ends_so_far"))
    )


def in_chain_order(moves: pl.LazyFrame, by: list[str], row: str) -> pl.LazyFrame:
    """`moves` sorted by `by`, date, then `row` (their order in the file), except that several moves on one
    date (within `by`) are taken as a chain: a move leaving the school another of them arrives at comes
    after it (A → B, B → D, D → E, however listed), unless it is that move's way back (A → B and B → A keep
    the file's order, as does a round trip A → B → C → A: which came first cannot be told from them).
    Such days are few: they are collected and ordered here, the rest untouched."""
    keys = [*by, MOVE_DATE]
    same_day = collect(moves.filter(pl.len().over(keys) > 1).select(*keys, row, FROM_SCHOOL, TO_SCHOOL).sort(row))
    ranks = pl.DataFrame(_chain_ranks(same_day, keys, row),
                         schema={**same_day.select(*keys, row).schema, "_rank": pl.Int32}, orient="row")
    return (moves.join(ranks.lazy(), on=[*keys, row], how="left")
            .sort(*by, MOVE_DATE, pl.col("_rank").fill_null(0), row).drop("_rank"))


def _chain_ranks(same_day: pl.DataFrame, keys: list[str], row: str) -> list[tuple]:
    """(keys…, row, rank) of each move of a day with several: each next the first, in the file's order,
    that no other move left to take arrives before (its way back aside)."""
    out = []
    for group in same_day.partition_by(keys, maintain_order=True):
        left = group.to_dicts()
        for rank in range(len(left)):
            first = next((m for m in left if not _arrived_at_first(m, left)), left[0])
            out.append((*(first[k] for k in keys), first[row], rank))
            left.remove(first)
    return out


def _arrived_at_first(move: dict, others: list[dict]) -> bool:
    """Whether another of `others` arrives at the school `move` leaves, and is not `move`'s way back."""
    return any(o is not move and o[TO_SCHOOL] == move[FROM_SCHOOL] and o[FROM_SCHOOL] != move[TO_SCHOOL]
               for o in others)


def move_stops(ordered: pl.LazyFrame) -> pl.LazyFrame:
    """Per statement row: the first move that ends PSF, its date and kind."""
    first = ordered.filter(pl.col("ends") & (pl.col("_ends_so_far") == 1))
    return first.select(
        ROW,
        pl.when(pl.col(REASON) == "casual").then(pl.col(MOVE_DATE)).otherwise(None).alias("stop_casual_move"),
        pl.when(pl.col(REASON) == "transfer").then(pl.col(MOVE_DATE)).otherwise(None).alias("stop_transfer"),
    )


def census_location(rows: pl.LazyFrame, ordered: pl.LazyFrame, census: pl.LazyFrame | None,
                    cfg: Config, successions: Successions | None = None, place_only: bool = False) -> pl.LazyFrame:
    """Add where the recorded moves put the child on census day (`expected_school`), where the
    census has them (`census_school`) and what that means (`census_finding`, `move_after_census`).

    The child is where expected when a census row of any status (§11.5) is at the expected school
    or a school of its succession chain (§11.1), or at the receiving school of a managed move
    recorded just after census day (§11.6: the trial placement that spans it).  `census` needs only
    `upn` and `school_id` (and `enrol_status`), and only the rows of children with a statement:
    the caller may pass the whole census or just those rows (pipeline.census_matches)."""
    if census is None:
        return rows.with_columns(*(pl.lit(None, dtype=pl.String).alias(c)
                                   for c in ("expected_school", "census_school", "census_finding")),
                                 pl.lit(False).alias("move_after_census"))
    moved = (ordered.filter(pl.col(MOVE_DATE) <= pl.lit(cfg.census_date))
             .group_by(ROW).agg(pl.col(TO_SCHOOL).last().alias("expected_school")))
    rows = (rows.join(moved, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.col("expected_school").fill_null(pl.col(SCHOOL_ID)))
            .join(_census_school(census), on=UPN, how="left", maintain_order="left"))
    return rows if place_only else census_check(rows, ordered, census, cfg, successions)


def census_check(rows: pl.LazyFrame, ordered: pl.LazyFrame, census: pl.LazyFrame | None, cfg: Config,
                 successions: Successions | None = None) -> pl.LazyFrame:
    """`census_finding` and `move_after_census` from `expected_school` and `census_school` (see
    census_location).  Nearly every child is registered where expected: only the others are looked
    at again, with every census row of theirs, their succession chains and the moves just after
    census day."""
    if census is None:
        return rows
    suspects = rows.filter(pl.col("census_school") != pl.col("expected_school")).select(ROW, UPN, "expected_school")
    window = ordered.filter((pl.col(REASON) == "managed_move") & (pl.col(MOVE_DATE) > pl.lit(cfg.census_date))
                            & (pl.col(MOVE_DATE) <= pl.lit(cfg.census_date + timedelta(days=cfg.census_move_tolerance_days))))
    places = pl.concat([suspects.select(ROW, UPN, pl.col("expected_school").alias("_place"), pl.lit(False).alias("_after")),
                        window.join(suspects.select(ROW), on=ROW, how="semi")
                        .select(ROW, UPN, pl.col(TO_SCHOOL).alias("_place"), pl.lit(True).alias("_after"))])
    matched = (places.join(census.select(UPN, pl.col(SCHOOL_ID).alias("_found")), on=UPN, how="inner")
               .pipe(succession.same_chain, "_place", "_found", successions, "_same")
               .group_by(ROW).agg((pl.col("_same") & ~pl.col("_after")).any().alias("_elsewhere_ok"),
                                  (pl.col("_same") & pl.col("_after")).any().alias("_after_census")))
    return (rows.join(matched, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.when(pl.col("census_school").is_null()).then(pl.lit("not_in_census"))
                          .when((pl.col("census_school") == pl.col("expected_school"))
                                | pl.col("_elsewhere_ok") | pl.col("_after_census")).then(None)
                          .otherwise(pl.lit("casual_move")).alias("census_finding"),
                          (~pl.col("_elsewhere_ok").fill_null(False) & pl.col("_after_census").fill_null(False))
                          .alias("move_after_census"))
            .drop("_elsewhere_ok", "_after_census"))


def _census_school(census: pl.LazyFrame) -> pl.LazyFrame:
    """One school per child for the messages: the main (C or M) registration when there is one, else the
    first by school_id (not the census's order of rows)."""
    if ENROL_STATUS not in census.collect_schema():  # one row per child (a repeated UPN is an error, §8)
        return census.select(UPN, pl.col(SCHOOL_ID).alias("census_school"))
    main = pl.col(ENROL_STATUS).fill_null("C").is_in(COUNTED_ENROL)
    rows = census.select(UPN, pl.col(SCHOOL_ID).alias("census_school"), main.alias("_main"))
    mains = rows.filter("_main").unique(UPN, keep="first").drop("_main")
    others = (rows.filter(~pl.col("_main")).drop("_main").sort("census_school")  # (few: only these are sorted)
              .unique(UPN, keep="first", maintain_order=True).join(mains, on=UPN, how="anti"))
    return pl.concat([mains, others])


def late_managed_move(moves: list[dict], found: str, cfg: Config) -> str:
    """For a child the census finds at `found`: the managed move there recorded after census day but beyond
    `census_move_tolerance_days` (SPEC §11.6), in words, with what to change if it was a trial placement over
    census day; "" when there is none."""
    last = cfg.census_date + timedelta(days=cfg.census_move_tolerance_days)
    later = [m for m in moves if m[REASON] == "managed_move" and m[TO_SCHOOL] == found and m[MOVE_DATE] > last]
    if not later:
        return ""
    day = min(m[MOVE_DATE] for m in later)
    days = (day - cfg.census_date).days
    return (f"the managed move to {found} recorded on {day:%d/%m/%Y} is {days} days after census day, beyond "
            f"census_move_tolerance_days ({cfg.census_move_tolerance_days}); if the child was already there on a "
            f"trial placement on census day, check the move's date, or raise census_move_tolerance_days to {days}")


def census_stop_day(cfg: Config) -> date:
    """The day a census finding (a missing child, an unrecorded casual move) stops PSF: the period's
    start, or the policy's when the period starts before it (SPEC §11.11: the old rules pay till then)."""
    return max(cfg.period_start, cfg.policy_start)


def census_stop_words(cfg: Config, dated: bool = False) -> str:
    """When a census finding stops PSF, in words: "at the period start" (with its date when `dated`),
    or in a period that starts before the policy, "at the policy start (2012-09-01)"."""
    if cfg.period_start >= cfg.policy_start:
        return f"at the period start {cfg.period_start}" if dated else "at the period start"
    return f"at the policy start {cfg.policy_start}" if dated else f"at the policy start ({cfg.policy_start})"


def first_stop(frame: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """The cause that stopped the row first, by date; on the same date, the order of REASONS."""
    census_on = census_stop_day(cfg)
    # every other cause: one on the census's own day already ended the PSF (a ceasing or a recorded casual move
    # takes effect on its date, SPEC §3), so the finding stopped no line still funded (§11.11 "Census")
    others = pl.min_horizontal(*(pl.col(f"stop_{name}") for name in REASONS if name != "not_in_census"))
    # a census taken after another cause ended the PSF finds the child where that left them (a Year 6 leaver at
    # the high school, a Year 11 leaver gone): no casual move, and the line keeps its months up to that cause
    # (FAQ 3; SPEC §11.11 "Census": a child whose PSF had already stopped), as in a period whose census is
    # inside it, after the summer's phase ends
    ended_before = (others <= pl.lit(cfg.census_date)).fill_null(False)
    census_stop = (pl.when(pl.col("census_finding").is_not_null() & ~ended_before).then(pl.lit(census_on))
                   .otherwise(None))
    frame = frame.with_columns(
        census_stop.cast(pl.Date).alias("stop_census"),
    )
    candidates = {
        "stream_ended": pl.col("stop_stream_ended"), "phase_end": pl.col("stop_phase_end"),
        "casual_move": pl.min_horizontal(pl.col("stop_casual_move"),
                                         pl.when(pl.col("census_finding") == "casual_move").then(pl.col("stop_census"))),
        "transfer": pl.col("stop_transfer"),
        "not_in_census": pl.when(pl.col("census_finding") == "not_in_census").then(pl.col("stop_census")),
        "ceased": pl.col("stop_ceased"),
        "school_closed": pl.col("stop_school_closed"),
    }
    stop = pl.min_horizontal(*candidates.values())
    reason = pl.lit(CONTINUING)  # nothing stopped it by the period's end
    for name in reversed(REASONS):
        reason = pl.when(candidates[name] == pl.col("stop_date")).then(pl.lit(name)).otherwise(reason)
    return (frame.with_columns(stop.alias("stop_date"))
            .with_columns(pl.when(pl.col("post_policy")).then(pl.lit(POST_POLICY))
                          .when(pl.col("stop_date") > pl.lit(cfg.period_end)).then(pl.lit(CONTINUING))
                          .otherwise(reason).alias("reason"))
            .with_columns(
                # the census check decided the outcome: the run warns (or errors) about it
                ((pl.col("reason") == pl.col("census_finding")) & (pl.col("stop_date") == pl.col("stop_census"))
                 & (others.is_null() | (others > pl.col("stop_census"))))
                .fill_null(False).alias("census_decided"),
                # a managed move just after census day kept a line the finding would have stopped (§11.6): told only
                # where the line was still funded on that day, as a finding is (§11.11 "Census")
                (pl.col("move_after_census") & ~pl.col("post_policy")
                 & (others.is_null() | (others > pl.lit(census_on))))
                .fill_null(False).alias("move_after_census_told")))


def _window(cfg: Config) -> tuple[pl.Expr, pl.Expr]:
    """[start, stop) of the days a row is payable in the period."""
    start = pl.max_horizontal(pl.col(STATEMENT_DATE), pl.lit(cfg.period_start))
    stop = pl.min_horizontal(pl.col("stop_date").fill_null(FAR_FUTURE), pl.lit(cfg.period_end + timedelta(days=1)))
    return start, pl.when(pl.col("post_policy")).then(start).otherwise(stop)


def carried_stays(ordered: pl.LazyFrame) -> pl.LazyFrame:
    """The stays that managed moves begin, before any move ended PSF: the school, from the move
    date to the next such move (or for ever).  Small: one row per move."""
    return (ordered.filter(~pl.col("ends") & (pl.col("_ends_so_far") == 0))
            .select(ROW, pl.col(TO_SCHOOL).alias("paid_school_id"), pl.col(MOVE_DATE).alias("seg_start"),
                    pl.col("move_row").cast(pl.Int64))
            .with_columns(pl.col("seg_start").shift(-1).over(ROW).fill_null(FAR_FUTURE).alias("seg_end")))


def later_stays(ordered: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Where the recorded managed moves have a child after the period (FAQ 6), for the cluster packs' run-off:
    of each statement row with a carried stay (`carried_stays`) that the period pays nothing of — begun after
    its end, or by months after the 1st of its last month (that month is paid at the school before: SPEC §3) —
    its stays that reach past the period's end.  Nothing for the others (nearly all, moved or not): their line
    at the period's end is where they stay.  Small: a row per move."""
    after = cfg.period_end if cfg.prorate == "days" else cfg.period_end.replace(day=1)
    carried = carried_stays(ordered)
    return (carried.filter(pl.col("seg_end") > pl.lit(cfg.period_end + timedelta(days=1)))
            .join(carried.filter(pl.col("seg_start") > pl.lit(after)).select(ROW).unique(), on=ROW, how="semi")
            .select(ROW, "paid_school_id", "seg_start", "seg_end"))


def _paid_bounds(lo: pl.Expr, hi: pl.Expr, prorate: str) -> tuple[pl.Expr, pl.Expr]:
    """First and last day paid in [lo, hi): whole months under `months` (the months paid)."""
    if prorate == "days":
        return lo, hi - pl.duration(days=1)
    first = pl.when(lo.dt.day() == 1).then(lo).otherwise(lo.dt.offset_by("1mo").dt.month_start())
    last_first = pl.when(hi.dt.day() == 1).then(hi.dt.offset_by("-1mo")).otherwise(hi.dt.month_start())
    return first, last_first.dt.month_end()


#: What every line carries from its statement row (psf.csv and the returns need them).
_ROW_COLUMNS = (UPN, STREAM, "psf_school_id", DOB, "protected_phase", "stop_date", "reason", "entitlement",
                ANNUAL_AMOUNT)
LINE_COLUMNS = (UPN, STREAM, "psf_school_id", "paid_school_id", ANNUAL_AMOUNT, "paid_from", "paid_to", "paid_amount",
                "released_amount", "reason", DOB, "protected_phase", "stop_date", "units", ROW)


def lines(rows: pl.LazyFrame, ordered: pl.LazyFrame, cfg: Config, segments: pl.DataFrame | None = None,
          successions: Successions | None = None) -> pl.LazyFrame:
    """One line per statement row and school paid, with units and the amount rounded half away
    from zero, and the row's released amount on its last line (SPEC §3); in psf.csv order.

    A row's first stay is at its statement's school, until its first carried managed move.
    Rows that no managed move carries (nearly all) are one stay and one line, worked out
    column by column; only the few that moved, or whose school closed, are split into stays and
    grouped by school (a succession moves the line on as a managed move would, §11.1)."""
    start, stop = _window(cfg)
    carried = carried_stays(ordered)
    first_move = carried.group_by(ROW).agg(pl.col("seg_start").min().alias("_moved_on"))
    rows = (rows.select(ROW, *[c for c in _ROW_COLUMNS if c != "psf_school_id"],
                        pl.col(SCHOOL_ID).alias("psf_school_id"), start.alias("_w0"), stop.alias("_w1"))
            .join(first_move, on=ROW, how="left", maintain_order="left"))
    if successions is not None and not successions.empty:
        closing = pl.col("psf_school_id").is_in(successions.timeline[SCHOOL_ID].unique().implode())
        rows = rows.with_columns(pl.when(pl.col("_moved_on").is_null() & closing).then(pl.lit(FAR_FUTURE))
                                 .otherwise(pl.col("_moved_on")).alias("_moved_on"))
    stays = rows.filter(pl.col("_moved_on").is_null()).with_columns(
        pl.col("psf_school_id").alias("paid_school_id"), pl.lit(date(1, 1, 1)).alias("seg_start"),
        pl.lit(FAR_FUTURE).alias("seg_end"))
    single = _with_units(stays, cfg, segments).with_columns(
        pl.when(pl.col("units") > 0).then(pl.col(c)).alias(c) for c in ("paid_from", "paid_to")
    ).with_columns((pl.col("entitlement") - pl.col("paid_amount")).alias("released_amount"))
    moved = rows.filter(pl.col("_moved_on").is_not_null())
    out = pl.concat([single.with_columns(pl.col("_last_rate").alias(ANNUAL_AMOUNT)).select(LINE_COLUMNS),
                     moved_lines(moved, carried, cfg, segments, successions)], how="vertical_relaxed")
    # every column psf.csv shows before the row, so that its order never depends on the statements' row order
    return out.sort("psf_school_id", UPN, STREAM, pl.col("paid_from").fill_null(date(1, 1, 1)), "paid_school_id",
                    "paid_to", ANNUAL_AMOUNT, "paid_amount", "released_amount", "reason", ROW, nulls_last=False)


def _with_units(stays: pl.LazyFrame, cfg: Config, segments: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Units, first and last day paid, and the amount, of each stay within the row's window: the
    sum over its rate segments of rate × units, rounded once (§11.3); `_last_rate` is the rate in
    force on its last unit paid (the line's annual_amount)."""
    lo = pl.max_horizontal("seg_start", "_w0")
    hi = pl.min_horizontal("seg_end", "_w1")
    first, last = _paid_bounds(lo, hi, cfg.prorate)
    per_year = units_in_year(cfg.period_start, cfg.prorate)
    return (stays.with_columns(units_between(lo, hi, cfg.prorate).cast(pl.Int32).alias("units"),
                               first.alias("paid_from"), last.alias("paid_to"))
            .pipe(history.rate_units, segments, lo, hi, cfg.prorate)
            .with_columns(div_round_half_away(pl.col("_rate_units"), per_year).alias("paid_amount")))


def moved_lines(moved: pl.LazyFrame, carried: pl.LazyFrame, cfg: Config,
                segments: pl.DataFrame | None = None, successions: Successions | None = None) -> pl.LazyFrame:
    """The lines of rows that managed moves or successions carried: a stay per school, grouped by
    school; a row paid nothing keeps one line at its statement's school; released on the last line."""
    per_year = units_in_year(cfg.period_start, cfg.prorate)
    first = moved.with_columns(pl.col("psf_school_id").alias("paid_school_id"),
                               pl.lit(date(1, 1, 1)).alias("seg_start"), pl.col("_moved_on").alias("seg_end"))
    later = carried.join(moved.drop("_moved_on"), on=ROW, how="inner")
    stays = _with_units(succession.split_stays(pl.concat([first.drop("_moved_on"), later.drop("move_row")],
                                                         how="diagonal_relaxed"), successions), cfg, segments)
    keep = [c for c in _ROW_COLUMNS if c != ANNUAL_AMOUNT]
    paid = (stays.filter(pl.col("units") > 0)
            .group_by(ROW, "paid_school_id")
            .agg(pl.col("units").sum(), pl.col("paid_from").min(), pl.col("paid_to").max(),
                 *[pl.col(c).first() for c in keep], pl.col("_rate_units").sum(),
                 pl.col("_last_rate").sort_by("paid_to").last().alias(ANNUAL_AMOUNT))
            .with_columns(div_round_half_away(pl.col("_rate_units"), per_year).alias("paid_amount")))
    unpaid = (moved.join(paid.select(ROW), on=ROW, how="anti")
              .select(ROW, *keep, ANNUAL_AMOUNT, pl.col("psf_school_id").alias("paid_school_id"),
                      pl.lit(0, dtype=pl.Int32).alias("units"), pl.lit(None, dtype=pl.Date).alias("paid_from"),
                      pl.lit(None, dtype=pl.Date).alias("paid_to"), pl.lit(0, dtype=pl.Int64).alias("paid_amount")))
    both = (pl.concat([paid.with_columns(pl.col("units").cast(pl.Int32)), unpaid], how="diagonal_relaxed")
            .sort(ROW, pl.col("paid_from").fill_null(date(1, 1, 1)), "paid_school_id"))
    last = pl.int_range(pl.len()).over(ROW) == pl.len().over(ROW) - 1
    released = pl.col("entitlement") - pl.col("paid_amount").sum().over(ROW)
    return both.with_columns(pl.when(last).then(released).otherwise(0).alias("released_amount")).select(LINE_COLUMNS)


def entitlement(frame: pl.LazyFrame, cfg: Config, segments: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The row's PSF for the whole period from its statement date: the sum over the period's units
    of the rate in force ÷ units in the year, rounded once (annual × units / units in the year
    when the rate never changes)."""
    per_year = units_in_year(cfg.period_start, cfg.prorate)
    start = pl.max_horizontal(pl.col(STATEMENT_DATE), pl.lit(cfg.period_start))
    end = pl.lit(cfg.period_end + timedelta(days=1))
    return (frame.pipe(history.rate_units, segments, start, end, cfg.prorate, "_entitled")
            .with_columns(pl.when(pl.col("post_policy")).then(0)
                          .otherwise(div_round_half_away(pl.col("_entitled"), per_year)).alias("entitlement"))
            .drop("_entitled", "_last_rate"))


def move_errors(ordered: pl.LazyFrame, successions: Successions | None = None,
                rows: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Moves whose from_school_id is not where the earlier moves left the child, nor a school of its
    succession chain (a move recorded from the academy, or from the academy not yet open, §11.11),
    one per move row.

    Given the statement `rows`, a move is checked against a row only while the row could pay: a
    move on or after the day its PSF ended whatever the moves say (its phase's end, its stream's,
    its ceasing, its school's closing), or of a statement issued after the policy (paid nothing),
    moves no money, and the child's school is then not the statements' to know (a Year 6 leaver
    is at a secondary school that no move records: decisions 68)."""
    if rows is not None:
        until = pl.min_horizontal(*(c for c in ("stop_phase_end", "stop_stream_ended", "stop_ceased",
                                                "stop_school_closed") if c in rows.collect_schema()))
        live = rows.select(ROW, pl.when(pl.col("post_policy")).then(pl.lit(date(1, 1, 1))).otherwise(until)
                           .alias("_until"))
        ordered = (ordered.join(live, on=ROW, how="left", maintain_order="left")
                   .filter(pl.col("_until").is_null() | (pl.col(MOVE_DATE) < pl.col("_until"))))
    wrong = (ordered.pipe(succession.same_chain, FROM_SCHOOL, "expected_from", successions, "_same")
             .filter(~pl.col("_same")))
    if successions is not None and not successions.timeline.is_empty():
        wrong = wrong.pipe(_from_the_successor, successions)
    return (wrong.select("move_row", UPN, FROM_SCHOOL, "expected_from")
            .unique("move_row", keep="first", maintain_order=True).sort("move_row"))


def _from_the_successor(wrong: pl.LazyFrame, successions: Successions) -> pl.LazyFrame:
    """The moves of `wrong` not recorded from a school of the chain of the school the child's line is at on the
    move's date: where the school the moves left the child at has since been taken over (an infant school
    amalgamated into a primary), the line is at the successor, and a move from one of its predecessors (the junior
    school that merged into it too) is from the child's school (SPEC §11.1: "a predecessor or successor of the
    child's school at that date")."""
    at = (wrong.select("move_row", "expected_from", MOVE_DATE)
          .join(successions.timeline.lazy().rename({SCHOOL_ID: "expected_from"}), on="expected_from", how="inner")
          .filter((pl.col("t0") <= pl.col(MOVE_DATE)) & (pl.col(MOVE_DATE) < pl.col("t1"))
                  & pl.col("at_school").is_not_null() & (pl.col("at_school") != pl.col("expected_from")))
          .select("move_row", "at_school"))
    accepted = (wrong.join(at, on="move_row", how="inner")
                .pipe(succession.same_chain, FROM_SCHOOL, "at_school", successions, "_now")
                .filter(pl.col("_now")).select("move_row"))
    return wrong.join(accepted, on="move_row", how="anti", maintain_order="left")


def school_closings(rows: pl.LazyFrame, ordered: pl.LazyFrame, successions: Successions | None) -> pl.LazyFrame:
    """Add `stop_school_closed` (a school of the row's stays closed with no successor, §11.1) and
    `succession` (the successions the row's stays crossed, in words, for explain)."""
    if successions is None or successions.empty:
        return rows.with_columns(pl.lit(None, dtype=pl.Date).alias("stop_school_closed"),
                                 pl.lit(None, dtype=pl.String).alias("succession"))
    carried = carried_stays(ordered)
    first = (rows.select(ROW, pl.col(SCHOOL_ID).alias("paid_school_id"), pl.lit(date(1, 1, 1)).alias("seg_start"))
             .join(carried.group_by(ROW).agg(pl.col("seg_start").min().alias("seg_end")), on=ROW, how="left")
             .with_columns(pl.col("seg_end").fill_null(FAR_FUTURE)))
    stays = pl.concat([first, carried.select(ROW, "paid_school_id", "seg_start", "seg_end")], how="vertical_relaxed")
    return rows.join(succession.closure_stops(stays, successions), on=ROW, how="left", maintain_order="left")


def compute_psf(statements: pl.DataFrame, moves: pl.DataFrame | None, census: pl.DataFrame | None,
                cfg: Config, successions: Successions | None = None) -> PsfFrames:
    """Apply every rule of SPEC §3 (and §11's successions, census statuses and windows) to every
    statement row.

    `census` needs only `upn` and `school_id` (and may be just the rows of children with a
    statement).  A census dated before policy.start is never used for the move check (§11.7):
    moves before the policy were not casual admissions.  Four collects, none repeating another's
    work: the moves in order (small); the rows with where the census has each child; the census
    findings and stops (the few children not where expected are looked at again from the first);
    then the lines and the move errors."""
    if census is not None and cfg.census_date < cfg.policy_start:
        census = None
    if census is not None and ENROL_STATUS in census.columns and census[ENROL_STATUS].is_in(COUNTED_ENROL).all():
        census = census.drop(ENROL_STATUS)  # no dual registration: one row per child, as before §11.5
    hist = history.collapse(statements)  # one row per history, and its rate segments (§11.3)
    statements = history.rate_on(hist.rows, hist.segments, pl.max_horizontal(STATEMENT_DATE, pl.lit(cfg.period_start)))
    segments = hist.segments
    del hist  # (each frame below is let go once the next is made: at England's scale, ≈60 MB each)
    moves_lf = moves.lazy() if moves is not None else pl.LazyFrame(
        schema={ROW: pl.Int64, UPN: pl.String, FROM_SCHOOL: pl.String, TO_SCHOOL: pl.String,
                MOVE_DATE: pl.Date, REASON: pl.String})
    ordered = collect(moves_in_order(moves_lf, statements.lazy(), cfg)).lazy()
    census_lf = census.lazy() if census is not None else None
    placed = collect(statement_rows(statements.lazy(), cfg)
                     .join(move_stops(ordered), on=ROW, how="left", maintain_order="left")
                     .pipe(school_closings, ordered, successions)
                     .pipe(census_location, ordered, census_lf, cfg, successions, place_only=True))
    del statements
    rows = collect(census_check(placed.lazy(), ordered, census_lf, cfg, successions)
                   .pipe(first_stop, cfg)
                   .pipe(entitlement, cfg, segments))
    del placed
    lines_df, errors_df, later = collect_all([lines(rows.lazy(), ordered, cfg, segments, successions),
                                              move_errors(ordered, successions, rows.lazy()), later_stays(ordered, cfg)])
    return PsfFrames(rows=rows, lines=lines_df, move_errors=errors_df, segments=segments,
                     later=None if later.is_empty() else later)
