"""The pot and the cluster formula (SPEC §1, §4), to the penny.

Each element's total is fixed first (a rate × units, a share × pot, or the remainder),
then shared between schools in proportion to their units by largest remainder.  Units
are integers; a need column with decimals is scaled to whole micro-units first, which
changes no proportion.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from .affordable import Unaffordable, highest_rates, highest_text
from .config.loader import Config, ElementSpec
from .engine import collect
from .errors import ERROR, Issue, Issues, SenrunError
from .money import apportion, fmt_gbp, round_half_away
from .result import Element
from .inputs.schema import SCHOOL_ID

COLUMN_SCALE_DIGITS = 6  # a need column is exact to a millionth of a unit


@dataclass(frozen=True)
class Pot:
    """How the pupil-specific pot divides (SPEC §1)."""

    pupil_specific_pot: int
    continuing_psf: int
    topslices: tuple[tuple[str, int], ...]
    cluster_pot: int


def _stop(message: str, cfg_name: str, key: str = "formula.elements") -> SenrunError:
    """A formula or budget problem, located in the config file at `key`."""
    return SenrunError(Issue("formula", ERROR, message, file=cfg_name, column=key, field=key))


def _unaffordable(message: str, cfg_name: str, specs, totals, units, scales, cluster_pot) -> Unaffordable:
    """An overspent formula, with the highest rate of each rate element the pot can pay."""
    highest = highest_rates(specs, totals, units, scales, cluster_pot)
    text = f"{message}; {highest_text(highest)}" if highest else message
    return Unaffordable(_stop(text, cfg_name).issues, highest)


def pot(cfg: Config, continuing_psf: int, n_schools: int, n_clusters: int) -> Pot:
    """The cluster pot: what is left after continuing PSF and the top-slices; negative is an error."""
    counts = {"amount": 1, "per_cluster": n_clusters, "per_school": n_schools}
    slices = tuple((t.name, t.pence * counts[t.per]) for t in cfg.topslices)
    left = cfg.pupil_specific_pot - continuing_psf - sum(p for _, p in slices)
    if left < 0:
        raise _stop(
            f"the cluster pot would be negative by {fmt_gbp(-left)}: the pupil-specific pot "
            f"{fmt_gbp(cfg.pupil_specific_pot)} is less than continuing PSF {fmt_gbp(continuing_psf)} "
            f"plus top-slices {fmt_gbp(sum(p for _, p in slices))}", cfg.path.name, "budget.pupil_specific_pot")
    return Pot(cfg.pupil_specific_pot, continuing_psf, slices, left)


def element_units(schools: pl.DataFrame, spec: ElementSpec) -> tuple[pl.Expr, int]:
    """The units expression of an element's basis, and the power of ten its units are scaled by."""
    if spec.basis == "per_school":
        return pl.lit(1, dtype=pl.Int64), 0
    if spec.basis.startswith("column:"):
        name = spec.basis[7:]
        return (pl.col(name) * 10 ** COLUMN_SCALE_DIGITS).round(0).cast(pl.Int64), COLUMN_SCALE_DIGITS
    return pl.col(f"_basis_{spec.basis}").cast(pl.Int64), 0


def element_totals(specs: tuple[ElementSpec, ...], units: dict[str, int], scales: dict[str, int],
                   cluster_pot: int, cfg_name: str) -> dict[str, int]:
    """Each element's total in pence (SPEC §1 step 1), checked."""
    totals: dict[str, int] = {}
    for e in specs:
        if e.rate is not None:
            totals[e.name] = round_half_away(e.rate * 100 * Decimal(units[e.name]) / Decimal(10) ** scales[e.name])
        elif e.share is not None:
            totals[e.name] = round_half_away(e.share * cluster_pot)
    spent = sum(totals.values())
    rest = [e for e in specs if e.remainder or e.solve]
    if rest:
        left = cluster_pot - spent
        if left < 0:
            raise _unaffordable(f"the formula spends {fmt_gbp(spent)} before its remainder element "
                              f"'{rest[0].name}', more than the cluster pot {fmt_gbp(cluster_pot)}: the remainder "
                        f"would be {fmt_gbp(left)}", cfg_name, specs, totals, units, scales, cluster_pot)
        totals[rest[0].name] = left
    else:
        gap = cluster_pot - spent
        if abs(gap) > len(specs):
            word = "leaves" if gap > 0 else "overspends"
            message = (f"the formula {word} {fmt_gbp(abs(gap))} of the cluster pot {fmt_gbp(cluster_pot)} "
                       f"(elements total {fmt_gbp(spent)}) and no element is the remainder: add "
                       "`remainder: true` to one element or change the rates")
            if gap < 0:
                raise _unaffordable(message, cfg_name, specs, totals, units, scales, cluster_pot)
            raise _stop(message, cfg_name)
        totals[specs[-1].name] += gap  # within a penny per element: the last declared takes it
    for e in specs:
        if totals[e.name] != 0 and units[e.name] == 0:
            raise _stop(f"element '{e.name}' has {fmt_gbp(totals[e.name])} to share but no school has any "
                        f"units of its basis '{e.basis}'", cfg_name)
    return totals


def solved_rate(e: ElementSpec, total: int, units: int, scale: int) -> Decimal | None:
    """For `rate: solve`: the £ per unit that spends the pot exactly, to 4 decimal places."""
    if not e.solve or units == 0:
        return None
    return (Decimal(total) / 100 / (Decimal(units) / Decimal(10) ** scale)).quantize(Decimal("0.0001"))


def _parameter(e: ElementSpec, solved: Decimal | None) -> str:
    if e.solve:
        return f"solve → {solved}" if solved is not None else "solve"
    return str(e.rate if e.rate is not None else e.share if e.share is not None else "")


def apply_formula(schools: pl.DataFrame, cfg: Config, cluster_pot: int, issues: Issues, workings: bool = True
                  ) -> tuple[pl.DataFrame, pl.DataFrame | None, tuple[Element, ...]]:
    """Add formula_<element> and cluster_share to `schools` (which carries the basis columns);
    return also the workings (per school and element, sorted so; None unless `workings`) and the
    elements as applied.

    Two passes over the schools: one for every element's units (their sums fix the totals),
    then one plan that shares every element and writes the workings."""
    specs = cfg.elements
    exprs, scales = {}, {}
    for e in specs:
        exprs[e.name], scales[e.name] = element_units(schools, e)
    unit_frame = schools.select(SCHOOL_ID, *[x.fill_null(0).alias(f"_u_{n}") for n, x in exprs.items()])
    stats = unit_frame.select(*[(pl.col(f"_u_{n}") < 0).any().alias(f"neg_{n}") for n in exprs],
                              *[pl.col(f"_u_{n}").sum().alias(f"sum_{n}") for n in exprs]).row(0, named=True)
    negative = [n for n in exprs if stats[f"neg_{n}"]]
    if negative:
        raise _stop(f"element(s) {', '.join(negative)}: a school has negative units", cfg.path.name)
    units = {n: int(stats[f"sum_{n}"] or 0) for n in exprs}
    totals = element_totals(specs, units, scales, cluster_pot, cfg.path.name)
    shared = unit_frame.lazy()
    for e in specs:
        shared = apportion(shared, totals[e.name], f"_u_{e.name}", SCHOOL_ID, f"formula_{e.name}")
    shared = shared.with_columns(pl.sum_horizontal(f"formula_{e.name}" for e in specs).alias("cluster_share"))
    shares = collect(shared)
    work = collect(pl.concat([_workings(shares.lazy(), e, totals[e.name], units[e.name], scales[e.name])
                              for e in specs]).sort(SCHOOL_ID, "element")) if workings else None
    elements = tuple(
        Element(e.name, e.basis, e.kind if not e.solve else "solve",
                _parameter(e, solved_rate(e, totals[e.name], units[e.name], scales[e.name])),
                _units_text(units[e.name], scales[e.name]), totals[e.name]) for e in specs)
    # the shares are in the schools' row order (every step above keeps it)
    return schools.hstack(shares.select(*[f"formula_{e.name}" for e in specs], "cluster_share")), work, elements


def _units_text(units: int, scale: int) -> str:
    if scale == 0:
        return str(units)
    return str((Decimal(units) / Decimal(10) ** scale).normalize())


def _workings(shares: pl.LazyFrame, e: ElementSpec, total: int, usum: int, scale: int) -> pl.LazyFrame:
    """Per school: units, the exact share in pence to 4 places, the floor and the extra penny."""
    num = pl.lit(total, dtype=pl.Int128) * pl.col("units").cast(pl.Int128)  # see money.apportion
    floor = (num // usum).cast(pl.Int64) if usum else pl.lit(0, dtype=pl.Int64)
    frac = ((num % usum) * 10_000 // usum).cast(pl.Int64) if usum else pl.lit(0, dtype=pl.Int64)
    units = pl.col("units").cast(pl.String) if scale == 0 else \
        (pl.col("units").cast(pl.Float64) / 10 ** scale).round(scale).cast(pl.String)
    return shares.select(SCHOOL_ID, pl.col(f"_u_{e.name}").alias("units"), pl.col(f"formula_{e.name}").alias("amount")) \
        .select(SCHOOL_ID, pl.lit(e.name).alias("element"), pl.lit(e.basis).alias("basis"), units.alias("units"),
                pl.lit(_parameter(e, None) if not e.solve else "solve").alias("parameter"),
                pl.lit(total, dtype=pl.Int64).alias("element_total"),
                pl.concat_str([floor.cast(pl.String), pl.lit("."), frac.cast(pl.String).str.pad_start(4, "0")])
                .alias("exact_pence"),
                floor.alias("floor_pence"), (pl.col("amount") - floor).alias("extra_penny"), pl.col("amount"))
