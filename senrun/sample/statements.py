"""Ordinary statement children for `senrun sample`, and their expected outcome by arithmetic.

An *ordinary* statement child is a census child at the school that holds their PSF, with
no moves, no ceasing and stream PSF: their outcome is phase arithmetic alone (SPEC §3,
rule 3).  Children are picked only where that school held the PSF on 31 August 2012 too:
not Reception (they were in nursery or not at school), not Year 7 or a junior school's
Year 3 (they were at another school), not an infant school's Year 2 (they would transfer).
"""

from __future__ import annotations

import numpy as np

from .pupils import CENSUS_YEAR
from .schools import HIGH, INFANT, JUNIOR, KINDS, PRIMARY

POLICY_START = np.datetime64("2012-09-01")
EARLIEST_STATEMENT = np.datetime64("2004-01-01")
TA_HOURLY_PENCE = np.array([1241, 1283, 1327])  # teaching assistant pay per hour
SCHOOL_WEEKS = 39
PERIOD_MONTHS = 12

#: Relative chance of a statement by kind of school and age-based year of 2012/13.
_WEIGHTS = {
    PRIMARY: {-1: 0.3, 1: 0.5, 2: 0.7, 3: 0.9, 4: 1.0, 5: 1.1, 6: 1.1},
    INFANT: {-1: 0.3, 1: 0.5},
    JUNIOR: {4: 1.0, 5: 1.1, 6: 1.1},
    HIGH: {8: 1.1, 9: 1.1, 10: 1.1, 11: 1.0, 12: 0.2, 13: 0.3},
}


def _weight_table() -> np.ndarray:
    """_WEIGHTS as an array indexed [kind, year + 2]."""
    table = np.zeros((len(KINDS), 16))
    for kind, years in _WEIGHTS.items():
        for year, weight in years.items():
            table[kind, year + 2] = weight
    return table


def half_up(numerator, denominator: int):
    """numerator / denominator rounded half away from zero, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def annual_amounts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Annual PSF in pence: support hours a week × 39 weeks × an hourly rate, plus, for
    some children, equipment or transport up to £1,500.

    Half-hour steps from 4.5 to 56 hours give about £2,200–£30,000, mean about £10,000.
    """
    half_hours = np.clip(np.round(rng.gamma(4.0, 10.0, n)), 9, 112).astype(np.int64)
    rate = TA_HOURLY_PENCE[rng.integers(0, len(TA_HOURLY_PENCE), n)]
    extra = np.where(rng.random(n) < 0.4, rng.integers(0, 150_001, n), 0)
    return half_up(half_hours * SCHOOL_WEEKS * rate, 2) + extra


def statement_dates(rng: np.random.Generator, dob: np.ndarray) -> np.ndarray:
    """A statement date after 2004, at least six months after birth, before policy start."""
    lower = np.maximum(dob + np.timedelta64(183, "D"), EARLIEST_STATEMENT)
    days = (POLICY_START - lower).astype(np.int64)
    return lower + (rng.random(len(dob)) * np.maximum(days, 1)).astype(np.int64).astype("timedelta64[D]")


def select_ordinary(rng: np.random.Generator, kind: np.ndarray, nc: np.ndarray,
                    excluded: np.ndarray, n: int) -> np.ndarray:
    """Indices (sorted) of `n` census rows drawn by weight, never an `excluded` row.

    Weighted sampling without replacement by exponential keys: the n smallest
    Exp(1) / weight are a draw in proportion to the weights.
    """
    weight = _weight_table()[kind, np.clip(nc + 2, 0, 15)]
    weight[excluded] = 0.0
    candidates = np.flatnonzero(weight > 0)
    n = min(n, len(candidates))
    keys = rng.exponential(size=len(candidates)) / weight[candidates]
    chosen = candidates[np.argpartition(keys, n - 1)[:n]] if n else candidates[:0]
    return np.sort(chosen)


def ordinary_months(nc_census: np.ndarray) -> np.ndarray:
    """Months of 2013-04 … 2014-03 paid to an ordinary child in age-based year `nc_census`.

    The protected phase is the one of 31 August 2012 (a year before the census year);
    PSF stops on the 1 September after its last year: 2012 → 0 months, 2013 → April–August
    (5), 2014 or later → all 12.
    """
    before = np.asarray(nc_census) - 1  # age-based year on 31 August 2012
    last = np.select([before <= -1, before <= 6, before <= 11], [-1, 6, 11], 13)
    stops = (CENSUS_YEAR - 1) + (last - before) + 1  # the year of the stopping 1 September
    return np.select([stops >= 2014, stops == 2013], [PERIOD_MONTHS, 5], 0)


def expected(annual: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paid and released pence and the reason, for ordinary rows (one line each)."""
    paid = half_up(annual * months, PERIOD_MONTHS)
    reason = np.where(months == PERIOD_MONTHS, "continuing", "phase_end")
    return paid, annual - paid, reason
