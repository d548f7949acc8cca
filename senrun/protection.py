"""A floor on each cluster's year-on-year change (SPEC §11.8, §11.11; FAQ 2, 22).

No cluster's allocation falls below `previous × (1 + P/100)`.  Clusters under their floor are
raised to it; every cluster that gained on last year gives up the same part `s` of its gain,
so that the pot still balances exactly.  Clusters between their floor and last year's
allocation, and clusters new this year, are neither raised nor scaled.  The adjustments are
exact fractions, rounded by the signed largest remainder so that they sum to 0, then split
between each cluster's schools in proportion to their other elements.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

import polars as pl

from .config.keys import number_text
from .config.loader import Config
from .errors import ERROR, Issue, Issues, SenrunError
from .inputs.schema import CLUSTER_ID, SCHOOL_ID
from .money import apportion, fmt_gbp, round_fraction_half_away
from .result import Element
from .schools import IN_FORMULA_FLAG

PROTECTION = "protection"


def _stop(message: str, cfg: Config) -> SenrunError:
    key = "formula.protection.floor_pct"
    return SenrunError(Issue("formula", ERROR, message, file=cfg.path.name, column=key, field=key))


def cluster_adjustments(before: dict[str, int], previous: dict[str, int], floor_pct: Decimal, cfg: Config
                        ) -> tuple[dict[str, int], Fraction, Fraction, Fraction]:
    """Each cluster's adjustment in pence (summing to 0), the factor `s`, the cost of the floors and the
    gains they are paid from (exact).  `s > 1` is an error naming both figures."""
    keep = 1 + Fraction(floor_pct) / 100
    exact: dict[str, Fraction] = {c: Fraction(0) for c in before}
    cost, gains = Fraction(0), Fraction(0)
    for c, u in before.items():
        if c not in previous:  # a cluster new this year has no floor and is not scaled
            continue
        bottom = previous[c] * keep
        if u < bottom:
            exact[c] = bottom - u
            cost += bottom - u
        elif u > previous[c]:
            gains += u - previous[c]
    if cost > gains:
        _unpayable(before, previous, floor_pct, cost, gains, cfg)
    if cost == 0:
        return {c: 0 for c in before}, Fraction(0), cost, gains
    s = cost / gains
    for c, u in before.items():
        if c in previous and u > previous[c]:
            exact[c] = -s * (u - previous[c])
    return signed_largest_remainder(exact), s, cost, gains


def _unpayable(before: dict[str, int], previous: dict[str, int], floor_pct: Decimal, cost: Fraction,
               gains: Fraction, cfg: Config) -> None:
    """The error for a floor that costs more than the gains it is paid from, with the least negative floor the
    gains can pay (to 2 decimal places): a finance officer lowering it by guesswork was refused again and again."""
    new = sorted(c for c in before if c not in previous)
    also = (f" (clusters new this year, not in last year's file, are neither floored nor scaled, so their gain "
            f"pays nothing: {_listed(new)}; a cluster renamed or split is new)" if new else "")
    raise _stop(f"the floor of {number_text(floor_pct)}% costs {fmt_gbp(_whole(cost))} but the clusters that "
                f"gained on last year gained only {fmt_gbp(_whole(gains))}{also}: the scaling factor would be more "
                f"than 1; lower the floor (a more negative floor_pct): the least negative floor they can pay is "
                f"{number_text(payable_floor(before, previous, gains, floor_pct))}%", cfg)


def payable_floor(before: dict[str, int], previous: dict[str, int], gains: Fraction, floor_pct: Decimal) -> Decimal:
    """The highest floor_pct below `floor_pct`, in hundredths of a per cent, whose floors cost no more than `gains`
    (a floor of −100% costs nothing): found by halving, since a floor's cost only grows as it rises."""
    def cost(hundredths: int) -> Fraction:
        keep = 1 + Fraction(hundredths, 10_000)
        return sum((previous[c] * keep - u for c, u in before.items()
                    if c in previous and u < previous[c] * keep), Fraction(0))

    low, high = -10_000, int(Fraction(floor_pct) * 100)  # cost(low) == 0 <= gains; the answer is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if cost(middle) <= gains else (low, middle - 1)
    return Decimal(low).scaleb(-2)


def _listed(clusters: list[str]) -> str:
    """The first five clusters, and " …" for more."""
    return f"{', '.join(clusters[:5])}{' …' if len(clusters) > 5 else ''}"


def _whole(value: Fraction) -> int:
    return int(value.numerator // value.denominator + (1 if 2 * (value % 1) >= 1 else 0))


def s_shown(s: Fraction) -> Decimal:
    """The scaling factor `s` as the Summary and explain show it: to 6 places, rounded once from the exact s."""
    return Decimal(round_fraction_half_away(s * 1_000_000)).scaleb(-6)


def signed_largest_remainder(exact: dict[str, Fraction]) -> dict[str, int]:
    """Exact amounts summing to a whole number, rounded so they still do: each floored toward −∞, then the
    pennies left one each to the largest fractional parts (ties by key, SPEC §11.11)."""
    floors = {k: floor(v) for k, v in exact.items()}
    left = round(sum(exact.values())) - sum(floors.values())
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:left]:
        floors[k] += 1
    return floors


def _new_clusters(new: list[str], cfg: Config, issues: Issues) -> None:
    """A warning naming this year's clusters that last year's file has not (`new`): the floor protects none of
    them, and a cluster renamed or re-keyed since last year is one of them."""
    if new:
        one = len(new) == 1
        issues.warn("protection_new_clusters", f"formula.protection floors no cluster that is not in last year's "
                    f"file (--previous): {len(new)} of this year's clusters {'is' if one else 'are'} not "
                    f"({_listed(new)}), so {'it is' if one else 'they are'} neither floored nor scaled; a cluster "
                    "renamed, split or re-keyed since last year is new", file=cfg.path.name,
                    row=cfg.lines.get("formula.protection"), column="formula.protection",
                    expected="last year's cluster_ids, or a --previous that has these clusters")


def protect(shares: pl.DataFrame, previous: dict[str, int], cfg: Config, issues: Issues | None = None
            ) -> tuple[pl.DataFrame, Element]:
    """Add `formula_protection` to the schools' shares and to their `cluster_share`; return also the
    element as applied, its parameter showing `s` to 6 decimal places (the Summary's elements).  The
    clusters the floor cannot protect, new since last year, are a warning in `issues`."""
    inside = pl.col(IN_FORMULA_FLAG) if IN_FORMULA_FLAG in shares.columns else pl.lit(True)
    counted = shares.filter(inside & pl.col(CLUSTER_ID).is_not_null())
    before = dict(counted.group_by(CLUSTER_ID).agg(pl.col("cluster_share").sum()).iter_rows())
    adjust, s, cost, gains = cluster_adjustments(before, previous, cfg.floor_pct, cfg)
    if issues is not None:
        _new_clusters(sorted(c for c in before if c not in previous), cfg, issues)
    amounts = pl.DataFrame({CLUSTER_ID: list(adjust), "_adj": list(adjust.values())},
                           schema={CLUSTER_ID: pl.String, "_adj": pl.Int64})
    # within a cluster, by the schools' other elements; a cluster whose schools have none shares equally
    weight = pl.when(pl.col("cluster_share").sum().over(CLUSTER_ID) > 0).then(pl.col("cluster_share")) \
        .otherwise(pl.lit(1, dtype=pl.Int64))
    frame = (shares.lazy().join(amounts.lazy(), on=CLUSTER_ID, how="left", maintain_order="left")
             .with_columns(pl.col("_adj").fill_null(0),
                           pl.when(inside & pl.col(CLUSTER_ID).is_not_null()).then(weight).otherwise(0)
                           .cast(pl.Int64).alias("_w")))
    out = apportion(frame, pl.col("_adj"), "_w", SCHOOL_ID, "formula_protection", over=CLUSTER_ID).collect()
    out = out.with_columns((pl.col("cluster_share") + pl.col("formula_protection")).alias("cluster_share"))
    shown = s_shown(s)
    element = Element(PROTECTION, "floor", PROTECTION,
                      f"floor_pct {number_text(cfg.floor_pct)}; s = {shown} (floors cost {fmt_gbp(_whole(cost))} "
                      f"of gains {fmt_gbp(_whole(gains))})", "", 0)
    return out.drop("_adj", "_w"), element
