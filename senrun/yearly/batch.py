"""Many scenarios' formulas at once: a sweep's points that share everything before the formula.

A sweep of rates, shares or the budget changes only the pot and the element totals; the units
of every element, the schools and what each is paid besides are the same for all its points
(pipeline.Prepared).  Here the pot and the totals of each point are fixed one by one, by
formula.pot and formula.element_totals (so every error and every highest affordable rate is
the one `allocate` gives), and then every point's elements are shared between the schools by
largest remainder in one pass over (points × schools), as money.apportion does for one point.
The runs are the RunResults pipeline.compute gives without workings, value for value
(tests/test_simulate_scale.py compares them).

`batchable` says which configs may take this way: no `per_cluster` element (shared in two
stages) and no protection floor (which needs last year's allocation); the others are run one
by one by pipeline.compute.
"""

from __future__ import annotations

import polars as pl

from ..config.loader import Config
from ..errors import SenrunError
from ..formula import _parameter, _units_text, element_totals, element_units, pot, solved_rate
from ..inputs.schema import CLUSTER_ID, CLUSTER_NAME, SCHOOL_ID, SCHOOL_NAME
from ..money import apportion
from ..pipeline import (Inputs, Prepared, _checks_passed, _input_infos, _moves_after, _succession_pairs,
                        _succession_timeline, _takeovers)
from ..result import Element, RunResult, Totals
from ..schools import IN_FORMULA_FLAG

KEPT = (SCHOOL_ID, SCHOOL_NAME, CLUSTER_ID, CLUSTER_NAME, "pupils", "ssa", "psf")


def batchable(cfg: Config) -> bool:
    """Whether a config's formula can be run with others in one pass (see the module's text)."""
    return cfg.floor_pct is None and all(e.basis != "per_cluster" for e in cfg.elements)


def shape(cfg: Config) -> tuple:
    """What fixes the elements' units: configs of one shape (on one Prepared) share them."""
    return tuple((e.name, e.basis, None if e.nc_years is None else tuple(e.nc_years)) for e in cfg.elements)


def _elements(cfg: Config, totals: dict, shared: dict, dens: dict) -> tuple[Element, ...]:
    """The elements as applied, as formula.apply_formula words them."""
    return tuple(Element(e.name, e.basis, e.kind if not e.solve else "solve",
                         _parameter(e, solved_rate(e, totals[e.name], shared[e.name], dens[e.name])),
                         _units_text(shared[e.name], dens[e.name]), totals[e.name]) for e in cfg.elements)


def _planned(prepared: Prepared, cfgs: list[Config], units: dict, dens: dict
             ) -> list[tuple[object, dict, tuple] | SenrunError]:
    """Each config's pot, element totals and elements (or the error that stops it), one by one."""
    schools = prepared.schools
    inside = schools.filter(pl.col(IN_FORMULA_FLAG))
    n_schools, n_clusters = inside.height, inside[CLUSTER_ID].drop_nulls().n_unique()
    out: list = []
    for cfg in cfgs:
        try:
            the_pot = pot(cfg, prepared.continuing, n_schools, n_clusters)
            totals = element_totals(cfg.elements, units, dens, the_pot.cluster_pot, cfg.path.name)
        except SenrunError as exc:
            out.append(exc)
            continue
        out.append((the_pot, totals, _elements(cfg, totals, units, dens)))
    return out


def _shared(prepared: Prepared, cfgs: list[Config], plans: list, series: dict) -> pl.DataFrame:
    """Every planned config's schools frame (RunResult.schools) stacked, with its index `_s`."""
    names = [e.name for e in cfgs[0].elements]
    ran = [(i, p) for i, p in enumerate(plans) if not isinstance(p, SenrunError)]
    points = pl.DataFrame({"_s": [i for i, _ in ran],
                           **{f"_t_{n}": [p[1][n] for _, p in ran] for n in names}},
                          schema={"_s": pl.Int64, **{f"_t_{n}": pl.Int64 for n in names}})
    schools = prepared.schools.select(*KEPT, IN_FORMULA_FLAG).with_columns(
        s.alias(f"_u_{n}") for n, s in series.items())
    long = points.lazy().join(schools.lazy(), how="cross", maintain_order="left_right")
    for n in names:
        long = apportion(long, pl.col(f"_t_{n}"), f"_u_{n}", SCHOOL_ID, f"formula_{n}", over="_s")
    formula = [f"formula_{n}" for n in names]
    return long.select("_s", *KEPT, *formula, IN_FORMULA_FLAG,
                       pl.sum_horizontal(formula).alias("cluster_share")) \
        .with_columns((pl.col("ssa") + pl.col("psf") + pl.col("cluster_share")).alias("total")).collect()


def _clusters(long: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """pipeline's clusters frame of every config at once, with its index `_s`."""
    formula = [f"formula_{n}" for n in names]
    return (long.filter(pl.col(CLUSTER_ID).is_not_null())
            .group_by("_s", CLUSTER_ID)
            .agg(pl.col(CLUSTER_NAME).first(), pl.col(IN_FORMULA_FLAG).sum().alias("schools"),
                 *[pl.col(c).sum() for c in ("pupils", "ssa", "psf", *formula)],
                 pl.col("cluster_share").sum().alias("cluster_allocation"), pl.col("total").sum())
            .with_columns(pl.col("schools").cast(pl.Int64))
            .sort("_s", CLUSTER_ID))


def batch_runs(inp: Inputs, prepared: Prepared, cfgs: list[Config]) -> list[RunResult | SenrunError]:
    """The run of each config (all `batchable`, of one `shape`, on `prepared`), or the error that stopped it."""
    series, dens = {}, {}
    for e in cfgs[0].elements:
        series[e.name], dens[e.name] = element_units(prepared.schools, e, cfgs[0])
    if any((s < 0).any() for s in series.values()):
        raise ValueError("negative units: run these configs one by one for the error")
    units = {n: int(s.sum() or 0) for n, s in series.items()}
    plans = _planned(prepared, cfgs, units, dens)
    if all(isinstance(p, SenrunError) for p in plans):
        return plans
    names = [e.name for e in cfgs[0].elements]
    long = _shared(prepared, cfgs, plans, series)
    school_parts = long.drop(IN_FORMULA_FLAG).partition_by("_s", maintain_order=True, include_key=False,
                                                           as_dict=True)
    cluster_parts = _clusters(long, names).partition_by("_s", maintain_order=True, include_key=False, as_dict=True)
    ssa_total = int(prepared.schools["ssa"].sum())
    no_return = tuple(prepared.schools.filter(~pl.col(IN_FORMULA_FLAG) & (pl.col("psf") == 0))[SCHOOL_ID].to_list())
    outside = tuple(prepared.schools.filter(~pl.col(IN_FORMULA_FLAG))[SCHOOL_ID].to_list())
    common = dict(psf=prepared.psf.lines, released=prepared.released, workings=None, issues=prepared.issues,
                  inputs=_input_infos(inp), successions=_succession_pairs(inp), takeovers=_takeovers(inp),
                  no_return=no_return,
                  outside=outside, register=inp.register, rate_segments=prepared.psf.segments,
                  succession_timeline=_succession_timeline(inp), later_moves=_moves_after(inp, prepared.psf))
    empty = _clusters(long.clear(), names).drop("_s")  # a run whose schools have no cluster
    out: list[RunResult | SenrunError] = []
    for i, (cfg, plan) in enumerate(zip(cfgs, plans)):
        if isinstance(plan, SenrunError):
            out.append(plan)
            continue
        the_pot, _, elements = plan
        schools = school_parts[(i,)]
        totals = Totals(the_pot.pupil_specific_pot, prepared.continuing, the_pot.topslices, the_pot.cluster_pot,
                        prepared.released_total, ssa_total, ssa_total + the_pot.pupil_specific_pot)
        try:
            checks = _checks_passed(totals, schools, elements, cfg)
        except SenrunError as exc:
            out.append(exc)
            continue
        out.append(RunResult(config=cfg, schools=schools, clusters=cluster_parts.get((i,), empty),
                             elements=elements, totals=totals, config_sha256=cfg.sha256, checks=checks, **common))
    return out

