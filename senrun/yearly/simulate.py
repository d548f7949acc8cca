"""What-if: scenarios and sweeps compared with the base run (SPEC §6, §7 `senrun simulate`).

The inputs are read once and the PSF rules applied once; each scenario reuses them unless
it changes what PSF depends on (the period, census date, policy, pro-rating, census
handling, transfers, phases or the inputs), and reuses all the rest that precedes the
formula (pipeline.Prepared) unless it also changes the pupil years or the need columns.
Each scenario's run is compared with the base's per school and per cluster: winners and
losers, the largest gains and losses in pounds and per cent, and the money moved (the sum
of the gains).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from ..config.loader import Config
from .diff import change_pct_expr
from ..errors import Issues, SenrunError
from ..pipeline import Inputs, check_inputs, compute, prepare, psf_frames, read_inputs
from .projection import project
from ..result import RunResult
from ..inputs.schema import CLUSTER_ID, CLUSTER_NAME, SCHOOL_ID, SCHOOL_NAME

SCENARIO_COLUMNS = ("scenario", SCHOOL_ID, CLUSTER_ID, "base_total", "scenario_total", "change", "change_pct")


@dataclass(frozen=True)
class Mover:
    """One school's change: its id, the change in pence, and the change in per cent (None from £0)."""

    school_id: str
    change: int
    change_pct: float | None


@dataclass(frozen=True)
class Summary:
    """A scenario against the base, in brief (school counts, pence)."""

    winners: int
    losers: int
    unchanged: int
    cluster_winners: int
    cluster_losers: int
    largest_gain: Mover | None
    largest_loss: Mover | None
    largest_gain_pct: Mover | None
    largest_loss_pct: Mover | None
    money_moved: int  # the sum of the schools' gains
    cluster_pot: int
    solved: tuple[tuple[str, str], ...]  # (element, rate to 4 dp) for `rate: solve`


@dataclass(frozen=True)
class Outcome:
    """One scenario: its config, its run, its comparison with the base and the summary."""

    name: str
    config: Config
    result: RunResult
    schools: pl.DataFrame  # school_id, school_name, cluster_id, base_total, scenario_total, change, change_pct
    clusters: pl.DataFrame  # cluster_id, cluster_name, base_total, scenario_total, change, change_pct
    summary: Summary
    psf_reused: bool


@dataclass(frozen=True)
class Infeasible:
    """A scenario that could not run (a lump sum over the pot): why, and the highest value that could."""

    name: str
    config: Config
    reason: str
    highest: str | None  # e.g. 'lump_sum.rate=8123.45', the highest affordable value of what it changed


@dataclass(frozen=True)
class SimulationResult:
    """The base run, every scenario's outcome, the run-off projection (with --years) and the scenarios
    that could not run (each a row marked infeasible; the others still run)."""

    base: RunResult
    scenarios: tuple[Outcome, ...]
    projection: pl.DataFrame | None = None
    infeasible: tuple[Infeasible, ...] = ()


def infeasible(name: str, base_cfg: Config, cfg: Config, exc: SenrunError) -> Infeasible:
    """The row of a scenario that failed: the reason, and for an overspent formula the highest affordable
    rate of the elements whose rate the scenario changed (of every rate element if it changed none)."""
    reason = "; ".join(i.message for i in (exc.errors or exc.issues))
    highest = getattr(exc, "highest", None) or {}
    base_rates = {e.name: e.rate for e in base_cfg.elements}
    changed = {k: v for k, v in highest.items() if base_rates.get(k) != _rate(cfg, k)} or highest
    text = "; ".join(f"{k}.rate={v}" if v is not None else f"{k}.rate=none" for k, v in changed.items())
    return Infeasible(name, cfg, reason, text or None)


def _rate(cfg: Config, name: str):
    return next((e.rate for e in cfg.elements if e.name == name), None)


def psf_key(cfg: Config) -> tuple:
    """Everything the PSF rules depend on: equal keys give identical PSF frames."""
    return (cfg.period_start, cfg.period_end, cfg.census_date, cfg.policy_start, cfg.prorate,
            cfg.missing_from_census, cfg.transfer, cfg.phases, tuple(sorted(cfg.inputs.items())))


def _bases(cfg: Config) -> set[str]:
    return {e.basis for e in cfg.elements}


def _budget(cfg: Config) -> tuple:
    return cfg.pupil_specific_pot, cfg.sen_total, cfg.ssa_total


def scenario_inputs(base_inp: Inputs, base_cfg: Config, cfg: Config, read: dict) -> Inputs:
    """The inputs a scenario runs on: the base's, re-checked where the scenario needs other columns or
    another budget check; read afresh (once per set of files) if it names other input files."""
    key = tuple(sorted(cfg.inputs.items()))
    if cfg.inputs != base_cfg.inputs:
        if key not in read:
            read[key] = read_inputs(cfg)
            read[key].register = base_inp.register  # last year's register holds for every scenario
        return read[key]
    if _bases(cfg) == _bases(base_cfg) and _budget(cfg) == _budget(base_cfg):
        return base_inp
    # the base's derived work (the census join, pupil counts) does not depend on the schools table: shared
    checked = Inputs(replace(base_inp.schools), base_inp.statements, base_inp.census, base_inp.moves, Issues(),
                     base_inp.derived, links=base_inp.links, register=base_inp.register)
    check_inputs(checked, cfg)  # basis columns parsed, budget checks — on a copy of the schools table
    if checked.issues.errors:  # the warnings are the base's, already reported
        raise SenrunError(checked.issues.errors)
    return Inputs(checked.schools, base_inp.statements, base_inp.census, base_inp.moves, base_inp.issues,
                  base_inp.derived, links=base_inp.links, register=base_inp.register)


def solved_rates(result: RunResult) -> tuple[tuple[str, str], ...]:
    """(element, rate) for each `rate: solve` element, from its parameter text 'solve → 123.4567'."""
    return tuple((e.name, e.parameter.split("→", 1)[-1].strip()) for e in result.elements if e.kind == "solve")


def compare_all(base: RunResult, results: list[RunResult], key: str) -> list[pl.DataFrame]:
    """Every result compared with the base (base_total, scenario_total, change, change_pct per school or
    cluster) in one join over all of them; one frame per result."""
    if not results:
        return []
    frame_of = (lambda r: r.schools.select(SCHOOL_ID, SCHOOL_NAME, CLUSTER_ID, "total")) if key == SCHOOL_ID \
        else (lambda r: r.clusters.select(CLUSTER_ID, CLUSTER_NAME, "total"))
    b = frame_of(base).rename({"total": "base_total"})
    labels = [c for c in b.columns if c not in (key, "base_total")]
    index = pl.DataFrame({"_i": pl.Series(range(len(results)), dtype=pl.Int64)})
    s = pl.concat([frame_of(r).rename({"total": "scenario_total"}).with_columns(pl.lit(i, dtype=pl.Int64).alias("_i"))
                   for i, r in enumerate(results)], how="vertical_relaxed")
    joined = index.join(b, how="cross").join(s, on=["_i", key], how="full", coalesce=True, suffix="_scenario")
    long = (joined.with_columns(*[pl.coalesce(c, f"{c}_scenario").alias(c) for c in labels],
                                pl.col("base_total").fill_null(0), pl.col("scenario_total").fill_null(0))
            .with_columns((pl.col("scenario_total") - pl.col("base_total")).alias("change"))
            .with_columns(change_pct_expr("change", "base_total").alias("change_pct"))
            .select("_i", key, *labels, "base_total", "scenario_total", "change", "change_pct")
            .sort("_i", key))
    empty = long.clear().drop("_i")
    parts = long.partition_by("_i", maintain_order=True, include_key=False, as_dict=True)
    return [parts.get((i,), empty) for i in range(len(results))]


def _movers(schools: list[pl.DataFrame], column: str, largest: bool) -> list[Mover | None]:
    """`_mover` of every frame, in one sort over all of them."""
    if not schools:
        return []
    long = pl.concat([f.select(SCHOOL_ID, "change", "change_pct").with_columns(pl.lit(i, dtype=pl.Int64).alias("_i"))
                      for i, f in enumerate(schools)])
    moved = long.filter(pl.col("change") != 0 if column == "change" else pl.col(column).is_not_null())
    moved = moved.filter(pl.col(column) > 0 if largest else pl.col(column) < 0)
    first = (moved.sort(["_i", column, SCHOOL_ID], descending=[False, largest, False])
             .group_by("_i", maintain_order=True).first())
    found = {i: Mover(sid, change, pct) for i, sid, change, pct
             in first.select("_i", SCHOOL_ID, "change", "change_pct").iter_rows()}
    return [found.get(i) for i in range(len(schools))]


def outcomes(base: RunResult, runs: list[tuple[str, Config, RunResult, bool]]) -> list[Outcome]:
    """Every (name, config, run, PSF reused) compared with the base: `outcome` of each, worked out in
    one pass over all of them."""
    results = [r for _, _, r, _ in runs]
    schools, clusters = compare_all(base, results, SCHOOL_ID), compare_all(base, results, CLUSTER_ID)
    counts = [(0, 0, 0, 0)] * len(runs)
    if runs:
        school_counts = (pl.concat([f.select(pl.lit(i, dtype=pl.Int64).alias("_i"), "change")
                                    for i, f in enumerate(schools)])
                         .group_by("_i").agg((pl.col("change") > 0).sum().alias("w"),
                                             (pl.col("change") < 0).sum().alias("l"),
                                             (pl.col("change") == 0).sum().alias("u"),
                                             pl.col("change").filter(pl.col("change") > 0).sum().alias("m")))
        by = {i: (w, l, u, m) for i, w, l, u, m in school_counts.iter_rows()}
        counts = [by.get(i, (0, 0, 0, 0)) for i in range(len(runs))]
    cluster_counts = [(int((c["change"] > 0).sum()), int((c["change"] < 0).sum())) for c in clusters]
    movers = [_movers(schools, "change", True), _movers(schools, "change", False),
              _movers(schools, "change_pct", True), _movers(schools, "change_pct", False)]
    out = []
    for i, (name, cfg, result, reused) in enumerate(runs):
        w, l, u, m = counts[i]
        summary = Summary(winners=int(w), losers=int(l), unchanged=int(u), cluster_winners=cluster_counts[i][0],
                          cluster_losers=cluster_counts[i][1], largest_gain=movers[0][i], largest_loss=movers[1][i],
                          largest_gain_pct=movers[2][i], largest_loss_pct=movers[3][i], money_moved=int(m or 0),
                          cluster_pot=result.totals.cluster_pot, solved=solved_rates(result))
        out.append(Outcome(name, cfg, result, schools[i], clusters[i], summary, reused))
    return out


def _run(inp: Inputs, cfg: Config, psf_cache: dict, prepared: dict) -> tuple[RunResult, bool]:
    """The run of one config, reusing the PSF frames of an earlier run with the same PSF keys, and
    all that precedes the formula when the inputs and the pupil years are the same too."""
    key = psf_key(cfg)
    reused = key in psf_cache
    if not reused:
        psf_cache[key] = psf_frames(inp, cfg)  # the census rows it needs are looked up once per inputs
    # keyed by the schools table's identity, which the entry keeps alive (scenarios that parse other
    # need columns or check another budget run on a copy of it)
    where = (key, cfg.pupil_years, id(inp.schools))
    if where not in prepared:
        prepared[where] = (inp.schools, prepare(inp, cfg, psf_cache[key]))
    return compute(inp, cfg, prepared=prepared[where][1], workings=False), reused


def simulate(base_cfg: Config, scenarios: list[tuple[str, Config]], years: int | None = None,
             progress=None, register=None) -> SimulationResult:
    """Run the base and every (name, Config) scenario on inputs read once; project the run-off with `years`.

    Scenario configs come from senrun.config.overlay (load_scenarios, sweep_scenarios), validated
    before this is called.  A scenario that fails is kept as an Infeasible row; the
    base failing raises SenrunError.
    """
    say = progress or (lambda message: None)
    if any(e.solve for e in base_cfg.elements):
        raise SenrunError(f"`rate: solve` belongs in a scenario; the base config {base_cfg.path.name} needs a rate, "
                          "a share or a remainder")
    say("reading inputs")
    base_inp = read_inputs(base_cfg, register=register)  # with last year's register, when given (§11.4)
    psf_cache: dict = {}
    prepared: dict = {}
    say("computing the base")
    base, _ = _run(base_inp, base_cfg, psf_cache, prepared)
    read: dict = {}
    runs, failed = [], []
    for name, cfg in scenarios:
        say(f"scenario {name}")
        try:  # one point that cannot be met does not stop the sweep: it is a row marked infeasible
            result, reused = _run(scenario_inputs(base_inp, base_cfg, cfg, read), cfg, psf_cache, prepared)
        except SenrunError as exc:
            failed.append(infeasible(name, base_cfg, cfg, exc))
            continue
        runs.append((name, cfg, result, reused))
    compared = outcomes(base, runs)  # one join over every scenario, not one per scenario
    projection = project(base_inp, base_cfg, years, first=base, progress=say) if years else None
    return SimulationResult(base, tuple(compared), projection, tuple(failed))


def scenarios_frame(sim: SimulationResult) -> pl.DataFrame:
    """scenarios.csv as a frame: one row per scenario and school (SCENARIO_COLUMNS), money in pence."""
    frames = [o.schools.select(pl.lit(o.name).alias("scenario"), *SCENARIO_COLUMNS[1:]) for o in sim.scenarios]
    if not frames:
        return pl.DataFrame(schema={"scenario": pl.String, SCHOOL_ID: pl.String, CLUSTER_ID: pl.String,
                                    "base_total": pl.Int64, "scenario_total": pl.Int64, "change": pl.Int64,
                                    "change_pct": pl.Float64})
    return pl.concat(frames)
