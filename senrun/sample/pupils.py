"""Pupils for `senrun sample`: the January 2013 census, dates of birth and UPNs, vectorised.

Ages follow SPEC §2: in academic year A a child's age-based year is A − cohort − 5, where
the cohort is the birth year for a September–December birthday, else the year before.
The census is taken in academic year 2012/13.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import polars as pl

from ..inputs.upn import ALPHABET
from .schools import HIGH, SPECIAL, Schools, rank_within

CENSUS_YEAR = 2012  # the academic year 2012/13 of the January 2013 census
UPN_LETTERS = np.array(list(ALPHABET))
SEN_CODES = np.array(["N", "A", "P", "S"])
SEN_NONE, SEN_ACTION, SEN_PLUS, SEN_STATEMENT = range(4)


def sep1(years) -> np.ndarray:
    """1 September of each year, as datetime64[D]."""
    y = np.asarray(years, dtype=np.int64) - 1970
    return (y.astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(8, "M")).astype("datetime64[D]")


def cohort_of(dob: np.ndarray) -> np.ndarray:
    """The cohort (SPEC §2) of each date of birth."""
    months = dob.astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    return np.where(month >= 9, year, year - 1)


def nc_year(dob: np.ndarray, academic_year: int = CENSUS_YEAR) -> np.ndarray:
    """Age-based National Curriculum year in `academic_year` (SPEC §2)."""
    return academic_year - cohort_of(dob) - 5


def dob_for_year(rng: np.random.Generator, nc: np.ndarray) -> np.ndarray:
    """A uniformly drawn date of birth for each age-based year of 2012/13."""
    cohort = CENSUS_YEAR - np.asarray(nc) - 5
    start = sep1(cohort)
    days = (sep1(cohort + 1) - start).astype(np.int64)
    return start + (rng.random(len(start)) * days).astype(np.int64).astype("timedelta64[D]")


def check_index(body: np.ndarray) -> np.ndarray:
    """Index in UPN_LETTERS of the check letter of 12-digit bodies held as int64 (SPEC §8)."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = np.asarray(body, dtype=np.int64).copy()
    digit = np.empty_like(rest)  # reused: England's bodies are eight million long
    for position in range(13, 1, -1):  # the body's last digit is position 13
        np.remainder(rest, 10, out=digit)
        digit *= position
        total += digit
        rest //= 10
    del rest, digit
    total %= 23
    return total


def upn_bodies(la: np.ndarray, estab: np.ndarray, dob: np.ndarray) -> np.ndarray:
    """12-digit UPN bodies: LA, establishment, year of issue, serial — all distinct.

    The serial counts the children issued a number by one school in one year, so every
    body is unique; the year of issue is the year the child started school (or 2012).
    """
    issued = np.minimum(cohort_of(dob) + 4, CENSUS_YEAR) % 100
    key = (la.astype(np.int64) * 10_000 + estab) * 100 + issued
    del issued
    serial = rank_within(key) + 1
    if serial.max(initial=0) > 999:
        raise ValueError("more than 999 UPNs for one school and year")
    key *= 1000  # in place: England's keys are eight million long
    key += serial
    return key


def upn_text(body: np.ndarray, letter: np.ndarray) -> pl.Series:
    """UPNs as 13-character strings (built in Polars: fast for millions)."""
    letters = pl.Series(letter.astype(np.int64)).replace_strict(
        dict(enumerate(UPN_LETTERS.tolist())), return_dtype=pl.String)
    digits = pl.Series(body.astype(np.int64)).cast(pl.String).str.zfill(12)
    return (letters + digits).alias("upn")


@dataclass
class Census:
    """Census rows: school index, age-based year, DOB, taught year, SEN, FSM, UPN body."""

    school: np.ndarray
    nc: np.ndarray
    dob: np.ndarray
    taught: np.ndarray
    sen: np.ndarray
    fsm: np.ndarray
    held_back: np.ndarray  # census-only taught-year mismatches (not statement children)

    def __len__(self) -> int:
        return len(self.school)


def _year_groups(s: Schools) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (school, age-based year) pair with its mean size."""
    span = s.hi - s.lo + 1
    school = np.repeat(np.arange(len(span)), span)
    first = np.repeat(np.cumsum(span) - span, span)
    year = s.lo[school] + np.arange(len(school)) - first
    factor = np.where(year == -1, 0.8, np.where(year == -2, 0.5, np.where(year >= 12, 0.45, 1.0)))
    factor = np.where(s.kind[school] == SPECIAL, 1.0, factor)
    return school, year, s.year_mean[school] * factor


def build_census(rng: np.random.Generator, s: Schools, held_back: int) -> Census:
    """Draw every census pupil of every school (special schools included)."""
    school, year, mean = _year_groups(s)
    counts = np.minimum(rng.poisson(mean), 600)
    pupil_school = np.repeat(school, counts)
    nc = np.repeat(year, counts)
    dob = dob_for_year(rng, nc)
    d = s.deprivation[pupil_school]
    u = rng.random(len(nc))
    sen = np.where(u < 0.05 + 0.12 * d, SEN_PLUS, np.where(u < 0.10 + 0.30 * d, SEN_ACTION, SEN_NONE))
    sen[s.kind[pupil_school] == SPECIAL] = SEN_STATEMENT
    fsm = rng.random(len(nc)) < 0.04 + 0.45 * d
    census = Census(pupil_school, nc, dob, nc.copy(), sen.astype(np.int8), fsm,
                    np.zeros(len(nc), dtype=bool))
    _hold_back(rng, census, s, held_back)
    return census


def _hold_back(rng: np.random.Generator, c: Census, s: Schools, n: int) -> None:
    """A few primary children taught a year below their age (FAQ 5: funding follows age)."""
    eligible = np.flatnonzero((c.nc >= 2) & (c.nc <= 5) & (s.kind[c.school] != HIGH)
                              & (s.kind[c.school] != SPECIAL) & (c.nc - 1 >= s.lo[c.school]))
    chosen = rng.choice(eligible, size=min(n, len(eligible)), replace=False)
    c.taught[chosen] -= 1
    c.held_back[chosen] = True


def append(c: Census, school, dob_census, taught, sen, fsm) -> None:
    """Add planted children's census rows (lists) to the census."""
    dob_census = np.array(dob_census, dtype="datetime64[D]")
    c.school = np.concatenate([c.school, np.array(school, dtype=c.school.dtype)])
    c.nc = np.concatenate([c.nc, nc_year(dob_census)])
    c.dob = np.concatenate([c.dob, dob_census])
    c.taught = np.concatenate([c.taught, np.array(taught, dtype=c.taught.dtype)])
    c.sen = np.concatenate([c.sen, np.array(sen, dtype=c.sen.dtype)])
    c.fsm = np.concatenate([c.fsm, np.array(fsm, dtype=bool)])
    c.held_back = np.concatenate([c.held_back, np.zeros(len(school), dtype=bool)])

