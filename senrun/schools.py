"""Schools that open, close or convert, as the formula sees them (SPEC §11.1, §11.2, §11.11).

A school is open on the days `opened ≤ d ≤ closed` (a blank bound is unbounded).  The formula
counts open time: a school's `per_school` units are the part of the period it is open, and
its census rows count only where a school is open on census day, else at its nearest
successor open at some time in the period.  Settings outside the formula (`in_formula: no`)
are left out of every basis.  Loops here run over schools, never over pupils.
"""

from __future__ import annotations

from collections import deque
from datetime import date, timedelta
from math import gcd

import polars as pl

from .calendar import units_between
from .checks import MAX_LISTED
from .config.loader import Config
from .errors import Issues
from .inputs.load import Table
from .inputs.schema import CLOSED, IN_FORMULA, OPENED, ROW, SCHOOL_ID, SSA, SUCCESSOR_ID, UPN
from .money import fmt_gbp
from .succession import Successions, declared_pairs

#: The schools frame's flag: the school takes part in the formula (SPEC §11.2: null means yes).
IN_FORMULA_FLAG = "_in_formula"
#: A school's open units in the period (months or days, as `prorate`), over `period_units(cfg)`.
OPEN_UNITS = "_open_units"


def in_formula(frame: pl.DataFrame) -> pl.Expr:
    """Whether each school takes part in the formula: `in_formula` blank or yes (SPEC §11.2)."""
    return _column(frame, IN_FORMULA, pl.Boolean).fill_null(True)


def _column(frame: pl.DataFrame, name: str, dtype) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)


def open_on(frame: pl.DataFrame, day: date) -> pl.Expr:
    """Whether each school is open on `day`."""
    opened, closed = _column(frame, OPENED, pl.Date), _column(frame, CLOSED, pl.Date)
    return (opened.is_null() | (opened <= day)) & (closed.is_null() | (closed >= day))


def open_in_period(frame: pl.DataFrame, cfg: Config) -> pl.Expr:
    """Whether each school is open on at least one day of the period: it has a row (SPEC §11.11)."""
    opened, closed = _column(frame, OPENED, pl.Date), _column(frame, CLOSED, pl.Date)
    return ((opened.is_null() | (opened <= cfg.period_end)) & (closed.is_null() | (closed >= cfg.period_start))
            & (opened.is_null() | closed.is_null() | (opened <= closed)))


def period_units(cfg: Config) -> int:
    """The units in the period: months (a month counting when the period holds its first day) or days."""
    one = pl.DataFrame({"a": [cfg.period_start], "b": [cfg.period_end + timedelta(days=1)]})
    return int(one.select(units_between(pl.col("a"), pl.col("b"), cfg.prorate)).item())


def open_units(frame: pl.DataFrame, cfg: Config) -> pl.Expr:
    """Each school's open units in the period: months whose first day it is open on (`prorate: months`,
    SPEC §11.11: opened on 2 September → from October), or days open (`prorate: days`)."""
    opened, closed = _column(frame, OPENED, pl.Date), _column(frame, CLOSED, pl.Date)
    lo = pl.max_horizontal(opened.fill_null(cfg.period_start), pl.lit(cfg.period_start))
    hi = pl.min_horizontal((closed + pl.duration(days=1)).fill_null(cfg.period_end + timedelta(days=1)),
                           pl.lit(cfg.period_end + timedelta(days=1)))
    units = units_between(lo, hi, cfg.prorate).cast(pl.Int64)
    return pl.when(lo < hi).then(units).otherwise(0)


def reduced(units: list[int], den: int) -> int:
    """The largest number dividing `den` and every one of `units`: dividing by it keeps every proportion and
    makes a whole-period school one unit again (so a data set without `opened`/`closed` is unchanged)."""
    g = den
    for u in units:
        g = gcd(g, u)
        if g == 1:
            break
    return g or 1


def nearest_open_successor(start: str, after: dict[str, list[str]], open_ids: set[str]) -> str | None:
    """The nearest school after `start` along its successions (breadth first, ties by school_id) that is
    open at some time in the period; None if there is none."""
    seen, queue = {start}, deque(after.get(start, []))
    while queue:
        sid = queue.popleft()
        if sid in seen:
            continue
        seen.add(sid)
        if sid in open_ids:
            return sid
        queue.extend(after.get(sid, []))
    return None


def census_homes(schools: pl.DataFrame, successions: Successions, cfg: Config) -> pl.DataFrame | None:
    """Where the census rows of each school count, for the schools whose rows do not count at themselves
    (SPEC §11.11): a school open on census day and in the period counts its own rows; any other school's
    count at its nearest successor open at some time in the period, else nowhere (`_home` null).
    None when every school counts its own rows (the usual year: nothing to move)."""
    flags = schools.select(SCHOOL_ID, open_on(schools, cfg.census_date).alias("_on"),
                           open_in_period(schools, cfg).alias("_in"))
    away = flags.filter(~(pl.col("_on") & pl.col("_in")))
    if away.is_empty():
        return None
    after = {school: [successor] for school, successor, _ in successions.edges.iter_rows()}  # the checked ones
    open_ids = set(flags.filter(pl.col("_in"))[SCHOOL_ID].to_list())
    homes = [nearest_open_successor(sid, after, open_ids) for sid in away[SCHOOL_ID].to_list()]
    return pl.DataFrame({SCHOOL_ID: away[SCHOOL_ID], "_home": pl.Series(homes, dtype=pl.String)})


def rehome_counts(counts: pl.DataFrame, homes: pl.DataFrame | None) -> pl.DataFrame:
    """Per-school census counts moved to where they count (`census_homes`); rows counting nowhere dropped."""
    if homes is None:
        return counts
    value_columns = [c for c in counts.columns if c != SCHOOL_ID]
    moved = (counts.join(homes, on=SCHOOL_ID, how="left")
             .with_columns(pl.when(pl.col(SCHOOL_ID).is_in(homes[SCHOOL_ID].implode())).then(pl.col("_home"))
                           .otherwise(pl.col(SCHOOL_ID)).alias(SCHOOL_ID))
             .filter(pl.col(SCHOOL_ID).is_not_null()))
    return moved.group_by(SCHOOL_ID).agg(pl.col(c).sum() for c in value_columns).sort(SCHOOL_ID)


def succession_pairs(schools: pl.DataFrame, links: pl.DataFrame | None) -> tuple[tuple[str, str], ...]:
    """Every (predecessor, successor) pair of the schools' successor_id and the links input, for
    `--previous`: a links row of a school gone from this year's schools input still tells which of
    last year's schools this year's successor continues."""
    pairs = declared_pairs(schools, links).select(SCHOOL_ID, SUCCESSOR_ID).unique().sort(SCHOOL_ID, SUCCESSOR_ID)
    return tuple(pairs.iter_rows())


def dates_reversed(frame: pl.DataFrame) -> pl.Expr:
    """Whether each school's `closed` is before its `opened`: it is open on no day at all."""
    opened, closed = _column(frame, OPENED, pl.Date), _column(frame, CLOSED, pl.Date)
    return (closed < opened).fill_null(False)


def check_open_dates(schools: Table, issues: Issues) -> None:
    """A school that closes before it opens is an error at its `closed` cell, with both dates: it would be
    open on no day, so have no row, share or return, and nothing would say why (SPEC §11.1)."""
    frame = schools.frame
    if OPENED not in frame.columns or CLOSED not in frame.columns:
        return
    bad = frame.filter(dates_reversed(frame)).sort(ROW)
    for row, sid, opened, closed in bad.select(ROW, SCHOOL_ID, OPENED, CLOSED).head(MAX_LISTED).iter_rows():
        issues.error("bad_value", f"school {sid} closes on {closed:%d/%m/%Y}, before it opens on {opened:%d/%m/%Y} "
                     f"(its {schools.headers.get(OPENED, OPENED)} date): it would be open on no day, so have no row, "
                     "share or return; correct the date that is wrong", **schools.where(CLOSED, row),
                     value=f"{closed:%d/%m/%Y}", expected=f"a date on or after {opened:%d/%m/%Y}")
    if bad.height > MAX_LISTED:
        issues.error("bad_value", f"{bad.height - MAX_LISTED:,} more schools that close before they open",
                     **schools.where(CLOSED))


def opened_after_policy(lines: pl.DataFrame, statements: Table, schools: Table, cfg: Config,
                        issues: Issues, successions: Successions) -> None:
    """A warning on each statement row paid PSF (so dated before policy.start: a history's first row, SPEC §11.3)
    whose school opened after the day before policy.start.  A statement's school is the one that held its funding
    on that day (SPEC §3), so a school not yet open then is a slip: the child moved there since (a move for the
    moves input, which may end the PSF), or it is the academy that took over the school named then (PSF follows
    the succession, from its date).  Paid as given; told by the statement's row and the school, never the child.
    A school the inputs record as another's successor is not told: a council's system that keeps each child at
    the school of today names the academy, and the PSF is the same as at the school it took over."""
    frame = schools.frame
    if OPENED not in frame.columns:
        return
    eve = cfg.policy_start - timedelta(days=1)
    late = frame.filter((pl.col(OPENED) > eve) & ~pl.col(SCHOOL_ID).is_in(successions.edges[SUCCESSOR_ID].implode())
                        ).select(pl.col(SCHOOL_ID).alias("psf_school_id"), OPENED)
    if late.is_empty():
        return
    # the few lines at those schools first: at England's scale the lines are millions, the schools a handful
    at_late = pl.col("psf_school_id").is_in(late["psf_school_id"].implode()) & (pl.col("paid_amount") > 0)
    paid = (lines.lazy().filter(at_late).group_by(ROW).agg(pl.col("psf_school_id", UPN).first())
            .join(late.lazy(), on="psf_school_id").sort(ROW).collect())
    for row, sid, upn, opened in paid.select(ROW, "psf_school_id", UPN, OPENED).head(MAX_LISTED).iter_rows():
        issues.warn("opened_after_policy", f"the statement is dated before the policy began "
                    f"({cfg.policy_start:%d/%m/%Y}), so funded, but its school {sid} opened on {opened:%d/%m/%Y}, "
                    f"after {eve:%d/%m/%Y}: a statement's school is the one that held its funding on the day before "
                    f"the policy began (SPEC §3). Its PSF is paid at {sid} as given; give the school the child was at "
                    f"on {eve:%d/%m/%Y}, and any move since in the moves input (an academy that took over that school "
                    "takes the PSF by succession); if it is that school under the same id (an academy that kept its "
                    "DfE number), clear its opened date",
                    **statements.where(SCHOOL_ID, row), value=sid, child=upn,
                    expected=f"a school open on {eve:%d/%m/%Y}")
    if paid.height > MAX_LISTED:
        issues.warn("opened_after_policy", f"{paid.height - MAX_LISTED:,} more statement rows funded before the "
                    "policy began at a school that opened after it", **statements.where(SCHOOL_ID))


def shut_all_period(schools: Table, cfg: Config, having: pl.Expr) -> list[tuple[int, str, str, bool]]:
    """(row, school_id, why, gone) of the schools open on no day of the period (SPEC §11.11: they have no row)
    whose rows also meet `having`; `gone`: it closed before the period (else it opens after it).  A school
    that closes before it opens is left to `check_open_dates`."""
    frame = schools.frame
    shut = frame.filter(~open_in_period(frame, cfg) & ~dates_reversed(frame) & having).sort(ROW)
    opened, closed = _column(frame, OPENED, pl.Date), _column(frame, CLOSED, pl.Date)
    out = []
    for row, sid, since, until in shut.select(ROW, SCHOOL_ID, opened.alias("o"), closed.alias("c")).iter_rows():
        gone = until is not None and until < cfg.period_start
        why = (f"it closed on {until:%d/%m/%Y}, before the period starts on {cfg.period_start:%d/%m/%Y}" if gone
               else f"it opens on {since:%d/%m/%Y}, after the period ends on {cfg.period_end:%d/%m/%Y}")
        out.append((row, sid, why, gone))
    return out


def taker(school: str, schools: pl.DataFrame, successions: Successions, cfg: Config) -> str | None:
    """The school that takes over `school`'s pupils in the period: its nearest successor open at some time in
    it (as its census rows count, SPEC §11.11), or None."""
    after = {s: [t] for s, t, _ in successions.edges.iter_rows()}
    open_ids = set(schools.filter(open_in_period(schools, cfg))[SCHOOL_ID].to_list())
    return nearest_open_successor(school, after, open_ids)


def check_ssa_of_shut_schools(schools: Table, successions: Successions, cfg: Config, issues: Issues) -> None:
    """SSA passes through to its school's row (SPEC §1); a school open on no day of the period has no row
    (SPEC §11.11), so an SSA given to it would be paid to no one while `budget.ssa_total` still matched the
    column: an error naming the amount and what to do with it."""
    frame = schools.frame
    if SSA not in frame.columns:
        return
    column = schools.headers.get(SSA, SSA)
    found = shut_all_period(schools, cfg, pl.col(SSA).fill_null(0) != 0)
    amounts = dict(frame.select(ROW, SSA).iter_rows()) if found else {}
    for row, sid, why, gone in found[:MAX_LISTED]:
        if gone:
            successor = taker(sid, frame, successions, cfg)
            todo = (f"Move it to the school that takes over its pupils{f' ({successor})' if successor else ''}, "
                    "or make it 0 or blank")
        else:
            todo = "Make it 0 or blank (it belongs in the run of a period the school is open in)"
        issues.error("ssa_no_row", f"school {sid} is open on no day of the period ({why}), so it has no row: "
                     f"its {column} of {fmt_gbp(amounts[row])} would be paid to no school. {todo}",
                     **schools.where(SSA, row), value=fmt_gbp(amounts[row]).replace("£", ""),
                     expected="0 or blank")
    if len(found) > MAX_LISTED:
        issues.error("ssa_no_row", f"{len(found) - MAX_LISTED:,} more schools open on no day of the period with an "
                     f"{column}", **schools.where(SSA))


def census_rows_at_closed(schools: pl.DataFrame, census: pl.DataFrame, cfg: Config) -> dict[str, int]:
    """How many census rows each school closed before census day, or before the period began, has (most years:
    none closed, nothing read)."""
    if CLOSED not in schools.columns:
        return {}
    shut = schools.filter(pl.col(CLOSED) < max(cfg.census_date, cfg.period_start))[SCHOOL_ID].drop_nulls()
    if shut.is_empty():
        return {}
    at = pl.col(SCHOOL_ID).cast(pl.String)
    return dict(census.lazy().filter(at.is_in(shut.implode())).group_by(at).len().collect().iter_rows())


def warn_census_nowhere(schools: Table, successions: Successions, cfg: Config, rows: dict[str, int],
                        issues: Issues) -> None:
    """A school closed before census day with rows in the census (`rows`: census_rows_at_closed), and no
    successor open in the period: those rows count at no school (SPEC §11.11), so its pupils take no share
    anywhere.  A warning at its `closed` cell says how many rows and what to check (its closed date, or its
    successor): else the census and the schools input disagree about whether the school was open, and the
    formula moves money without a word."""
    frame = schools.frame
    if not rows:
        return
    homes = census_homes(frame, successions, cfg)
    if homes is None:
        return
    nowhere = homes.filter(pl.col("_home").is_null() & pl.col(SCHOOL_ID).is_in(list(rows)))[SCHOOL_ID]
    shut = frame.filter(pl.col(SCHOOL_ID).is_in(nowhere.implode()))
    for sid, closed, row in shut.select(SCHOOL_ID, CLOSED, ROW).sort(ROW).head(MAX_LISTED).iter_rows():
        count = rows[sid]
        before = (f"before census day ({cfg.census_date:%d/%m/%Y})" if closed < cfg.census_date else
                  f"before the period began ({cfg.period_start:%d/%m/%Y}), so it has no row this year")
        issues.warn("census_at_closed", f"{count:,} census row{'s are' if count != 1 else ' is'} at school {sid}, "
                    f"which closed on {closed:%d/%m/%Y}, {before}, and has no "
                    "successor open in the period: they count at no school, so those pupils take no share of the "
                    "formula (SPEC §11.11); check its closed date against the census, or give the school that took "
                    f"its pupils as its {schools.headers.get(SUCCESSOR_ID, SUCCESSOR_ID)}",
                    **schools.where(CLOSED, row), value=sid)
