"""The pot and the cluster formula (SPEC §1, §4, §11.8), to the penny.

Each element's total is fixed first (a rate × units, a share × pot, or the remainder),
then shared between schools in proportion to their units by largest remainder.  Units
are whole numbers over a denominator: a need column's values are used exactly as
written (`0.34234786` is 34234786 hundred-millionths: no rounding, SPEC §1), and a
school open for part of the period has that part of a `per_school` unit (SPEC §11.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import polars as pl

from .affordable import Unaffordable, highest_rates, highest_text
from .config.loader import Config, ElementSpec
from .engine import collect
from .errors import ERROR, Issue, Issues, SenrunError
from .inputs.schema import CLUSTER_ID, SCHOOL_ID
from .money import apportion, fmt_gbp, round_fraction_half_away
from .result import Element
from .schools import IN_FORMULA_FLAG, OPEN_UNITS, period_units, reduced



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
    """An overspent formula, with the highest rate of each rate element the pot can pay.  With no remainder element,
    the highest rate still leaves pence to pounds of the pot unspent, which is refused in turn: said so, so that the
    rate is not typed in only to meet the next error."""
    highest = highest_rates(specs, totals, units, scales, cluster_pot)
    text = f"{message}; {highest_text(highest)}" if highest else message
    if highest and not any(e.remainder or e.solve for e in specs) and not _any_spends_the_pot(
            highest, totals, units, scales, cluster_pot, len(specs)):
        text += (" (with no remainder element, a rate at most that high still leaves part of the pot unspent, which "
                 "is refused too: make one element the remainder, and it takes what the others leave)")
    return Unaffordable(_stop(text, cfg_name).issues, highest)


def _any_spends_the_pot(highest: dict, totals: dict[str, int], units: dict[str, int], scales: dict[str, int],
                        cluster_pot: int, slack: int) -> bool:
    """Whether one element at its highest rate, the others as set, spends the pot to within a penny an element
    (`slack`), as a formula with no remainder must (shares that add up to the whole pot leave a rate of 0 so)."""
    spent = sum(totals.values())
    for name, rate in highest.items():
        if rate is None:
            continue
        at = round_fraction_half_away(Fraction(rate) * 100 * units[name] / scales[name])
        if abs(cluster_pot - (spent - totals.get(name, 0) + at)) <= slack:
            return True
    return False


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


CENSUS_BASES = ("pupils", "sen_support", "statements", "fsm")


def basis_column(spec: ElementSpec, pupil_years: tuple[int, int]) -> str:
    """The schools frame's column holding an element's census count: its own `nc_years` (SPEC §11.8)
    have their own column; otherwise the count over `formula.pupils.nc_years`.  A `pupils` element with
    its own `nc_years` counts the census even where they are `formula.pupils.nc_years`: `pupils_override`
    replaces only the `formula.pupils` count, that of the elements without their own (SPEC §11.11)."""
    years = spec.nc_years
    if years is not None and spec.basis in CENSUS_BASES and (tuple(years) != tuple(pupil_years)
                                                             or spec.basis == "pupils"):
        return f"_basis_{spec.basis}_{years[0]}_{years[1]}"
    return f"_basis_{spec.basis}"


def element_years(cfg: Config) -> set[tuple[int, int]]:
    """The age-based year ranges the census must be counted over beyond `formula.pupils.nc_years`."""
    return {tuple(e.nc_years) for e in cfg.elements
            if e.nc_years is not None and tuple(e.nc_years) != tuple(cfg.pupil_years) and e.basis in CENSUS_BASES}


def exact_units(texts: list[str | None]) -> tuple[list[int], int]:
    """A need column's values as written, exactly: whole units over a power of ten (the most decimal
    places any value has), so `0.34234786` counts to every digit (SPEC §1)."""
    values = [Decimal(t) if t not in (None, "") else Decimal(0) for t in texts]
    places = max([-v.as_tuple().exponent for v in values if v.as_tuple().exponent < 0] or [0])
    den = 10 ** places
    return [int(v * den) for v in values], den


def element_units(schools: pl.DataFrame, spec: ElementSpec, cfg: Config) -> tuple[pl.Series, int]:
    """Each school's units of an element's basis as whole numbers, and the denominator they are over.

    Schools outside the formula (SPEC §11.2) have none.  `per_school` counts the part of the period a
    school is open (SPEC §11.1); `per_cluster` is shared through the schools' pupils (see share_per_cluster)."""
    inside = schools[IN_FORMULA_FLAG] if IN_FORMULA_FLAG in schools.columns else pl.Series([True] * schools.height)
    den = 1
    if spec.basis == "per_school":
        if OPEN_UNITS in schools.columns:
            raw = schools[OPEN_UNITS].fill_null(0).cast(pl.Int64)
            den = period_units(cfg)
        else:
            raw = pl.Series([1] * schools.height, dtype=pl.Int64)
    elif spec.basis == "per_cluster":
        raw = schools["_basis_pupils"].fill_null(0).cast(pl.Int64)
    elif spec.basis.startswith("column:"):
        values, den = exact_units(schools[spec.basis[7:]].cast(pl.String).to_list())
        raw = pl.Series(values, dtype=pl.Int128 if den > 1 else pl.Int64)
    else:
        raw = schools[basis_column(spec, cfg.pupil_years)].fill_null(0).cast(pl.Int64)
    raw = pl.select(pl.when(inside).then(raw).otherwise(0).cast(raw.dtype)).to_series()
    if spec.basis == "per_school" and den > 1:
        g = reduced([int(u) for u in raw.unique().to_list()], den)
        raw, den = raw // g, den // g
    return raw, den


def element_totals(specs: tuple[ElementSpec, ...], units: dict[str, int], scales: dict[str, int],
                   cluster_pot: int, cfg_name: str) -> dict[str, int]:
    """Each element's total in pence (SPEC §1 step 1), checked.  `units` are whole numbers over the
    denominators `scales`; a rate × units is taken exactly and rounded once, half away from zero."""
    totals: dict[str, int] = {}
    for e in specs:
        if e.rate is not None:
            totals[e.name] = round_fraction_half_away(Fraction(e.rate) * 100 * units[e.name] / scales[e.name])
        elif e.share is not None:
            totals[e.name] = round_fraction_half_away(Fraction(e.share) * cluster_pot)  # exact, not to 28 digits
    spent = sum(totals.values())
    rest = [e for e in specs if e.remainder or e.solve]
    if rest:
        left = cluster_pot - spent
        if left < 0:
            kind = "the element whose rate is solved" if rest[0].solve else "its remainder element"
            raise _unaffordable(f"the formula spends {fmt_gbp(spent)} before {kind} "
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
    for n, e in enumerate(specs):
        if totals[e.name] != 0 and units[e.name] == 0:
            raise _stop(f"element '{e.name}' has {fmt_gbp(totals[e.name])} to share but no school has any "
                        f"units of its basis '{e.basis}'", cfg_name, f"formula.elements[{n}]")
    return totals


def solved_rate(e: ElementSpec, total: int, units: int, den: int) -> Decimal | None:
    """For `rate: solve`: the £ per unit that spends the pot exactly, to 4 decimal places."""
    if not e.solve or units == 0:
        return None
    # exactly (total × den ÷ units pence), then rounded once, half away from zero (SPEC §1)
    return Decimal(round_fraction_half_away(Fraction(total * den * 100, units))).scaleb(-4)


def _parameter(e: ElementSpec, solved: Decimal | None) -> str:
    if e.solve:
        return f"solve → {solved}" if solved is not None else "solve"
    value = e.rate if e.rate is not None else e.share
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)  # 0.000000000001, never 1E-12


def _clusters_in_formula(schools: pl.DataFrame) -> int:
    """Clusters with at least one school in the formula (SPEC §11.8, §11.11)."""
    inside = schools.filter(pl.col(IN_FORMULA_FLAG)) if IN_FORMULA_FLAG in schools.columns else schools
    return inside.filter(pl.col(CLUSTER_ID).is_not_null())[CLUSTER_ID].n_unique()


def share_per_cluster(frame: pl.LazyFrame, total: int, units: str, alias: str, cfg_name: str, name: str
                      ) -> pl.LazyFrame:
    """A `per_cluster` element (SPEC §11.8, §11.11): its total split equally between the clusters with a
    school in the formula (largest remainder, ties by cluster_id), then each cluster's amount between its
    schools by their `formula.pupils` count (largest remainder, ties by school_id).  Leaves `_camt` (the
    cluster's amount) and `_cunits` (its pupils) for the workings."""
    inside = pl.col(IN_FORMULA_FLAG) if IN_FORMULA_FLAG in frame.collect_schema().names() else pl.lit(True)
    clusters = (frame.filter(inside & pl.col(CLUSTER_ID).is_not_null()).select(CLUSTER_ID).unique()
                .with_columns(pl.lit(1, dtype=pl.Int64).alias("_one")))
    amounts = apportion(clusters, total, "_one", CLUSTER_ID, "_camt").select(CLUSTER_ID, "_camt")
    joined = (frame.join(amounts, on=CLUSTER_ID, how="left", maintain_order="left")
              .with_columns(pl.col("_camt").fill_null(0), pl.col(units).sum().over(CLUSTER_ID).alias("_cunits")))
    empty = collect(joined.filter((pl.col("_camt") != 0) & (pl.col("_cunits") == 0)).select(CLUSTER_ID).unique()
                    .sort(CLUSTER_ID))
    if empty.height:
        raise _stop(f"element '{name}' gives each cluster an amount to share by pupils, but cluster(s) "
                    f"{', '.join(empty[CLUSTER_ID].to_list())} have no pupils counted: set `pupils_override` "
                    "for their schools", cfg_name)
    return apportion(joined, pl.col("_camt"), units, SCHOOL_ID, alias, over=CLUSTER_ID)


def apply_formula(schools: pl.DataFrame, cfg: Config, cluster_pot: int, issues: Issues, workings: bool = True,
                  previous: dict[str, int] | None = None
                  ) -> tuple[pl.DataFrame, pl.DataFrame | None, tuple[Element, ...]]:
    """Add formula_<element> and cluster_share to `schools` (which carries the basis columns);
    return also the workings (per school and element, sorted so; None unless `workings`) and the
    elements as applied.  With `formula.protection` and `previous` (last year's allocation by
    cluster_id), the `protection` column is added too (SPEC §11.8).

    Two passes over the schools: one for every element's units (their sums fix the totals),
    then one plan that shares every element and writes the workings."""
    specs = cfg.elements
    series, dens = {}, {}
    for e in specs:
        series[e.name], dens[e.name] = element_units(schools, e, cfg)
    keep = [c for c in (CLUSTER_ID, IN_FORMULA_FLAG) if c in schools.columns]
    unit_frame = schools.select(SCHOOL_ID, *keep).with_columns(s.alias(f"_u_{n}") for n, s in series.items())
    negative = [n for n, s in series.items() if (s < 0).any()]
    if negative:
        raise _stop(f"element(s) {', '.join(negative)}: a school has negative units", cfg.path.name)
    units = {n: int(s.sum() or 0) for n, s in series.items()}
    shared_units = {e.name: (_clusters_in_formula(schools) if e.basis == "per_cluster" else units[e.name])
                    for e in specs}
    totals = element_totals(specs, shared_units, dens, cluster_pot, cfg.path.name)
    frames = []
    for e in specs:
        out = f"formula_{e.name}"
        if e.basis == "per_cluster":
            part = share_per_cluster(unit_frame.lazy(), totals[e.name], f"_u_{e.name}", out, cfg.path.name, e.name)
            tot, usum = pl.col("_camt"), pl.col("_cunits")
        else:
            part = apportion(unit_frame.lazy(), totals[e.name], f"_u_{e.name}", SCHOOL_ID, out)
            tot, usum = pl.lit(totals[e.name], dtype=pl.Int64), pl.lit(units[e.name], dtype=pl.Int128)
        frames.append(collect(part.with_columns(tot.alias("_tot"), usum.alias("_usum"))))
    shares = unit_frame.hstack([f[f"formula_{e.name}"] for f, e in zip(frames, specs)])
    shares = shares.with_columns(pl.sum_horizontal(f"formula_{e.name}" for e in specs).alias("cluster_share"))
    work = collect(pl.concat([_workings(f.lazy(), e, dens[e.name], totals[e.name]) for f, e in zip(frames, specs)])
                   .sort(SCHOOL_ID, "element")) if workings else None
    elements = tuple(
        Element(e.name, e.basis, e.kind if not e.solve else "solve",
                _parameter(e, solved_rate(e, totals[e.name], shared_units[e.name], dens[e.name])),
                _units_text(shared_units[e.name], dens[e.name] if e.basis != "per_cluster" else 1), totals[e.name])
        for e in specs)
    columns = [f"formula_{e.name}" for e in specs]
    if cfg.floor_pct is not None and previous is not None:
        from .protection import protect

        shares, element = protect(shares, previous, cfg, issues)
        elements, columns = elements + (element,), columns + ["formula_protection"]
    # the shares are in the schools' row order (every step above keeps it)
    return schools.hstack(shares.select(*columns, "cluster_share")), work, elements


def _units_text(units: int, den: int) -> str:
    """Units as exact text: whole, a decimal (a need column), or a fraction of the period ("7/12")."""
    if units % den == 0:
        return str(units // den)
    if 10 ** (len(str(den)) - 1) == den:
        return str((Decimal(units) / Decimal(den)).normalize())
    part = Fraction(units, den)
    return f"{part.numerator}/{part.denominator}"


def _units_expr(den: int) -> pl.Expr:
    """Per school, `_units_text` as an expression (exact: no float)."""
    u = pl.col("units")
    if den == 1:
        return u.cast(pl.String)
    whole = (u // den).cast(pl.String)
    if 10 ** (len(str(den)) - 1) == den:
        frac = (u % den).cast(pl.String).str.pad_start(len(str(den)) - 1, "0")
        return pl.concat_str([whole, pl.lit("."), frac]).str.strip_chars_end("0").str.strip_chars_end(".")
    return pl.when(u % den == 0).then(whole).otherwise(pl.concat_str([u.cast(pl.String), pl.lit(f"/{den}")]))


def _workings(shares: pl.LazyFrame, e: ElementSpec, den: int, total: int) -> pl.LazyFrame:
    """Per school: units, the exact share in pence to 4 places (rounded half away from zero), the floor
    and the extra penny.  `_tot`
    and `_usum` are the amount shared and the units it is shared over (the element's, or for
    `per_cluster` the school's cluster's)."""
    usum = pl.col("_usum").cast(pl.Int128)
    num = pl.col("_tot").cast(pl.Int128) * pl.col("units").cast(pl.Int128)  # see money.apportion
    floor = pl.when(usum > 0).then(num // usum).otherwise(0).cast(pl.Int64)
    # the exact share shown to 4 places, rounded half away from zero (the floor itself is exact)
    tenths = pl.when(usum > 0).then(((num % usum) * 20_000 + usum) // (2 * usum)).otherwise(0).cast(pl.Int64)
    whole, frac = floor + tenths // 10_000, tenths % 10_000
    units = _units_expr(den if e.basis != "per_cluster" else 1)
    return shares.select(SCHOOL_ID, pl.col(f"_u_{e.name}").alias("units"), pl.col(f"formula_{e.name}").alias("amount"),
                         "_tot", "_usum") \
        .select(SCHOOL_ID, pl.lit(e.name).alias("element"), pl.lit(e.basis).alias("basis"), units.alias("units"),
                pl.lit(_parameter(e, None) if not e.solve else "solve").alias("parameter"),
                pl.lit(total, dtype=pl.Int64).alias("element_total"),
                pl.concat_str([whole.cast(pl.String), pl.lit("."), frac.cast(pl.String).str.pad_start(4, "0")])
                .alias("exact_pence"),
                floor.alias("floor_pence"), (pl.col("amount") - floor).alias("extra_penny"), pl.col("amount"))
