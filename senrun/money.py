"""Money in integer pence (SPEC §1): parsing, rounding, largest-remainder apportionment.

No binary floats touch an amount.  Config amounts and rates are exact decimals;
input amounts are parsed from their text; apportionment works on integers.
"""

from __future__ import annotations

from decimal import (MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, Inexact,
                     InvalidOperation, Overflow)
from fractions import Fraction

import polars as pl

#: The largest amount senrun accepts, in pence: £10 billion, for any single amount (a cell, a config
#: amount or rate) and for every total (a column's sum, a pot).  Far above any council's SEN budget, and
#: far below what 64-bit pence hold (about £92 million billion), so no sum of accepted amounts can wrap.
CEILING_PENCE = 10 ** 12
CEILING_POUNDS = Decimal(CEILING_PENCE) / 100


#: Decimal arithmetic that never rounds: Python's own context rounds every sum and product to 28 significant
#: digits, and a config number may have more (a share of 0.49999999999999999999999999999 has 29).  `Inexact` is
#: trapped, so a result that could not be held exactly raises rather than rounds.  For sums and products of
#: config numbers (at most 30 decimal places and 10,000,000,000: keys.MAX_PLACES, CEILING_POUNDS); divide
#: with it only by a power of ten (a third has no end).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN,
                traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])


class TooLarge(ValueError):
    """An amount or a total beyond CEILING_PENCE."""


def ceiling_text() -> str:
    """The ceiling for messages: '£10,000,000,000.00'."""
    return fmt_gbp(CEILING_PENCE)


def to_pence(amount: Decimal | int | str) -> int:
    """Pounds to integer pence, exactly; more than 2 decimal places is rejected."""
    value = Decimal(str(amount))
    if not value.is_finite() or value.copy_abs() > CEILING_POUNDS:
        raise TooLarge(f"{amount} is more than {ceiling_text()}, the most senrun accepts for one amount")
    pence = EXACT.multiply(value, 100)  # exactly: 0.0000000000000000000000000001 more is not a whole penny
    if pence != pence.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(pence)


def round_half_away(value: Decimal) -> int:
    """Round an exact decimal to a whole number, halves away from zero (2.5 → 3, −2.5 → −3)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_fraction_half_away(value: Fraction) -> int:
    """Round an exact fraction to a whole number, halves away from zero (5/2 → 3, −5/2 → −3)."""
    whole, part = divmod(abs(value.numerator), value.denominator)
    whole += 1 if 2 * part >= value.denominator else 0
    return -whole if value < 0 else whole


def pounds(pence: int) -> str:
    """Pence as a pounds figure with two decimals and no float: 411523 → '4115.23'."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}{whole}.{part:02d}"


def fmt_gbp(pence: int) -> str:
    """Pence for people: 411523 → '£4,115.23'."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def div_round_half_away(num: pl.Expr, den: pl.Expr | int) -> pl.Expr:
    """Integer num / den rounded half away from zero, for den > 0, as a Polars expression."""
    q = (num.abs() * 2 + den) // (den * 2)
    return pl.when(num < 0).then(-q).otherwise(q)


def apportion(frame: pl.DataFrame | pl.LazyFrame, total: pl.Expr | int, units: str, key: str, alias: str,
              over: str | None = None):
    """Share `total` pence between rows in proportion to `units` by largest remainder.

    Floors every exact share to the penny, then gives the pennies left one each to the
    largest fractional parts; ties go to the ascending `key` (SPEC §1).  `units` must be
    non-negative integers; a zero total over zero units gives zeros.  With `over`,
    apportions within each group (total then is an expression evaluated per group).
    The products total × units, and the remainders, are taken in 128-bit integers: a need
    column's exact values scaled to whole units (`0.34234786` → 34234786) times a national
    pot in pence would overflow 64 bits.  A negative total (a protection adjustment) is
    shared the same way: floors toward −∞, so the pennies left are never negative.
    """
    win = [over] if over else None
    tot = total if isinstance(total, pl.Expr) else pl.lit(total, dtype=pl.Int64)
    u = pl.col(units).cast(pl.Int128)
    usum = u.sum().over(win) if win else u.sum()
    num = tot.cast(pl.Int128) * u
    floor = pl.when(usum > 0).then(num // usum).otherwise(0).cast(pl.Int64)
    # Σunits − remainder sorts the largest remainders first (Polars cannot negate a 128-bit integer)
    rem = pl.when(usum > 0).then(usum - num % usum).otherwise(0)
    frame = frame.with_columns(floor.alias("_floor"), rem.alias("_rem"))
    left = tot.cast(pl.Int64) - (pl.col("_floor").sum().over(win) if win else pl.col("_floor").sum())
    rank = pl.struct(pl.col("_rem"), pl.col(key)).rank("ordinal")
    rank = rank.over(win) if win else rank
    return frame.with_columns(
        (pl.col("_floor") + pl.when((usum > 0) & (rank <= left)).then(1).otherwise(0)).alias(alias)
    ).drop("_floor", "_rem")
