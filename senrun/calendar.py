"""Academic years, age-based National Curriculum years, phases, period units (SPEC §2).

Funding follows the age-based year, never the year a child is taught in (FAQ 4–5).
All functions are Polars expressions, so they run over every pupil at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import polars as pl


#: The time zone of a council's dates: a moment is the date it was in England, whatever zone the machine
#: running senrun is set to (a date-time an input stores with its zone, today for an accept list's `until:`).
ENGLAND = "Europe/London"


def today_in_england() -> date:
    """Today's date in England.  A machine kept on UTC, or set to another zone, would otherwise end the
    council's day an hour or more early or late: an accepted warning would expire, or not, by where the
    nightly check runs (SPEC §6: the same inputs and config give the same outputs)."""
    now = pl.lit(datetime.now(timezone.utc))
    return pl.select(now.dt.convert_time_zone(ENGLAND).dt.date()).item()


#: A year as councils label runs, files and sheets: "2013-14", "2013/14", "2013–2014", "FY 2013-14".
YEAR_LABEL = re.compile(r"(?<!\d)(20\d\d)\s*[-/\u2013]\s*(?:20)?(\d\d)(?!\d)")


def labelled_years(text: str) -> list[int]:
    """The years (each one's first calendar year) that `text` is labelled with: 2013 for "Schools 2013-14"."""
    return [int(a) for a, b in YEAR_LABEL.findall(text) if int(b) == (int(a) + 1) % 100]


def shift_years(d: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 1 March in a year without one."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return date(d.year + years, 3, 1)


def academic_year(d: date) -> int:
    """The academic year A (1 September A – 31 August A+1) that contains `d`."""
    return d.year if d.month >= 9 else d.year - 1


def cohort(dob: pl.Expr) -> pl.Expr:
    """The birth cohort: the birth year if born September–December, else the year before."""
    return pl.when(dob.dt.month() >= 9).then(dob.dt.year()).otherwise(dob.dt.year() - 1).cast(pl.Int32)


def nc_year(dob: pl.Expr, on: date) -> pl.Expr:
    """Age-based NC year on day `on`: A − cohort − 5 (Reception 0, nursery −1, −2)."""
    return (pl.lit(academic_year(on), dtype=pl.Int32) - cohort(dob) - 5).alias("nc_year")


def nc_year_between(dob: pl.Expr, on: date, lo: int, hi: int) -> pl.Expr:
    """Whether the age-based NC year on day `on` is in [lo, hi], as a range of birth dates.

    The same test as `nc_year(dob, on).is_between(lo, hi)`, without working out a year for
    every pupil (8 million at England scale): cohort c is born 1 September c – 31 August c+1.
    """
    a = academic_year(on)
    return dob.is_between(date(a - 5 - hi, 9, 1), date(a - 5 - lo + 1, 8, 31))


def phase_of(nc: pl.Expr, phases: tuple[tuple[str, int, int], ...]) -> pl.Expr:
    """The configured phase containing an age-based year, or null."""
    expr = pl.lit(None, dtype=pl.String)
    for name, lo, hi in reversed(phases):
        expr = pl.when(nc.is_between(lo, hi)).then(pl.lit(name)).otherwise(expr)
    return expr


def phase_last_year(phase: pl.Expr, phases: tuple[tuple[str, int, int], ...]) -> pl.Expr:
    """The last age-based year of a phase name."""
    expr = pl.lit(None, dtype=pl.Int32)
    for name, _, hi in phases:
        expr = pl.when(phase == name).then(pl.lit(hi, dtype=pl.Int32)).otherwise(expr)
    return expr


def phase_end_date(dob: pl.Expr, last_year: pl.Expr) -> pl.Expr:
    """1 September that starts the year after `last_year`: the day PSF stops (FAQ 3–5)."""
    year = cohort(dob) + 5 + last_year + 1  # academic year in which nc = last_year + 1
    return pl.date(year, 9, 1)


def month_index(d: pl.Expr) -> pl.Expr:
    return d.dt.year().cast(pl.Int32) * 12 + d.dt.month().cast(pl.Int32) - 1


def months_between(start: pl.Expr, stop: pl.Expr) -> pl.Expr:
    """How many 1sts of a month fall in [start, stop): the months paid under `prorate: months`."""
    first = month_index(start) + pl.when(start.dt.day() == 1).then(0).otherwise(1)
    last = month_index(stop) - pl.when(stop.dt.day() == 1).then(1).otherwise(0)
    return pl.max_horizontal(last - first + 1, pl.lit(0, dtype=pl.Int32))


def days_between(start: pl.Expr, stop: pl.Expr) -> pl.Expr:
    """Days in [start, stop), never negative: the units under `prorate: days`."""
    return pl.max_horizontal((stop - start).dt.total_days().cast(pl.Int32), pl.lit(0, dtype=pl.Int32))


def units_between(start: pl.Expr, stop: pl.Expr, prorate: str) -> pl.Expr:
    return months_between(start, stop) if prorate == "months" else days_between(start, stop)


def units_in_year(period_start: date, prorate: str) -> int:
    """12 months, or the days in the year that begins on the period's start (365 or 366)."""
    if prorate == "months":
        return 12
    try:
        next_start = period_start.replace(year=period_start.year + 1)
    except ValueError:
        next_start = date(period_start.year + 1, 3, 1)
    return (next_start - period_start).days
