"""What the cluster pot can pay: the highest affordable rate of each element (issue 13, point 4).

When a formula spends more than the cluster pot, the useful answer is not only "too much"
but "at most this much": for each rate element, the largest rate in whole pence that the pot
can pay with every other element as set. It is worked in integers, so it is exact: at that
rate the element's total (rate × units, rounded half away from zero) fits in what the other
elements leave, and one penny more would not.
"""

from __future__ import annotations

from decimal import Decimal

from .errors import SenrunError


class Unaffordable(SenrunError):
    """A formula the pot cannot pay; `highest` maps each rate element to the highest rate (£) it can."""

    def __init__(self, issues, highest: dict[str, Decimal | None]):
        super().__init__(issues)
        self.highest = highest


def highest_pence(available: int, units: int, denominator: int) -> int | None:
    """The largest rate in pence per unit whose total, round_half_away(rate × units / denominator),
    is at most `available` pence; None when even a zero rate leaves too little (available < 0).
    (`units / denominator` is the element's exact units: fractions of a period, or need values.)

    round_half_away(x) ≤ A for x ≥ 0 exactly when x < A + ½, i.e. 2·rate·units < (2A + 1)·denominator."""
    if available < 0:
        return None
    return ((2 * available + 1) * denominator - 1) // (2 * units)


def highest_rates(specs, totals: dict[str, int], units: dict[str, int], denominators: dict[str, int],
                  cluster_pot: int) -> dict[str, Decimal | None]:
    """For each rate element with units: the highest rate in £ (to the penny) the pot can pay with every
    other element's total as it is; None where the others alone already spend more than the pot."""
    spent = sum(v for k, v in totals.items())
    out: dict[str, Decimal | None] = {}
    for e in specs:
        if e.rate is None or units[e.name] == 0:
            continue
        pence = highest_pence(cluster_pot - (spent - totals.get(e.name, 0)), units[e.name], denominators[e.name])
        out[e.name] = None if pence is None else (Decimal(pence) / 100).quantize(Decimal("0.01"))
    return out


def highest_text(highest: dict[str, Decimal | None]) -> str:
    """'the highest rate the pot can pay: lump_sum £8,123.45' for the error message."""
    parts = [f"{name} £{rate:,.2f}" if rate is not None else f"{name}: none (the other elements already spend "
             "the pot)" for name, rate in highest.items()]
    return "the highest rate the pot can pay, the other elements as set: " + "; ".join(parts) if parts else ""
