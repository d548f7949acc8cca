"""What-if: scenarios and sweeps compared with the base run (SPEC §6, §7 `senrun simulate`).

The inputs are read once and the PSF rules applied once; each scenario reuses them unless
it changes what PSF depends on (the period, census date, policy, pro-rating, census
handling, transfers, phases, the census-move window, reinstatements or the inputs), and
reuses all the rest that precedes the formula (pipeline.Prepared) unless it also changes the
years the census is counted over (formula.pupils' or an element's own) or the need columns.
Each scenario's run is compared with the base's per school and per cluster: winners and
losers, the largest gains and losses in pounds and per cent, and the money moved (the sum
of the gains).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace

import polars as pl

from ..config.loader import Config, at_lines, refuse_solve
from .diff import change_pct_expr
from ..errors import Issues, SenrunError
from ..outputs.present import BANDS, band_of
from ..register import overlap_errors
from ..pipeline import Inputs, check_inputs, compute, counted_years, prepare, psf_frames, read_inputs
from .batch import batch_runs, batchable, shape
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
class ScenarioRow:
    """What is kept of every scenario that ran, whether or not it has a sheet: its Overview row, its
    bands and its line of the manifest."""

    name: str
    sha256: str | None
    psf_reused: bool
    summary: Summary
    bands: tuple[int, ...]  # the schools' counts in BANDS, then the clusters'
    moved: int  # Σ over schools of |scenario total − base total|, pence: the order of `--sheets top:N`
    inputs: tuple = ()  # the inputs its run read (result.InputInfo): the base's, unless it names other files
    floor_left_out: bool = False  # its config has formula.protection, left out: no last year's allocations


@dataclass(frozen=True)
class SimulationResult:
    """The base run, the outcomes of the scenarios that have a sheet (every one unless --sheets says
    otherwise), the run-off projection (with --years) and the scenarios that could not run (each a
    row marked infeasible; the others still run).  `rows` has every scenario that ran, in order;
    `sheet_rows` is the index in `rows` of each of `scenarios`."""

    base: RunResult
    scenarios: tuple[Outcome, ...]
    projection: pl.DataFrame | None = None
    infeasible: tuple[Infeasible, ...] = ()
    rows: tuple[ScenarioRow, ...] = ()
    sheet_rows: tuple[int, ...] = ()
    #: last year's file given as --previous for formula.protection's floor: its path as given and SHA-256
    previous: dict | None = None


@dataclass(frozen=True)
class Sheets:
    """Which scenarios get a sheet of their own in simulate.xlsx: `all`, `none`, or the `top` N that
    move the most money between schools (ScenarioRow.moved, largest first, ties by scenario order)."""

    mode: str  # "all", "none" or "top"
    n: int = 0

    @classmethod
    def parse(cls, text: str) -> "Sheets":
        """`all`, `none` or `top:N` (N ≥ 1); ValueError for anything else."""
        word, _, count = text.strip().lower().partition(":")
        if word in ("all", "none") and not _:
            return cls(word)
        if word == "top" and count.isdigit() and int(count) >= 1:
            return cls("top", int(count))
        raise ValueError(f"--sheets {text!r}: expected all, none or top:N with N a whole number of at least 1 "
                         "(e.g. top:20)")

    def __str__(self) -> str:
        return f"top:{self.n}" if self.mode == "top" else self.mode


#: --sheets when not given: every scenario's sheet for a run of up to 20 scenarios, else the 20 that
#: move the most (docs/simulate.md, "One sheet per scenario, or the top N").
DEFAULT_SHEETS = Sheets("top", 20)


class Keeper:
    """The outcomes `Sheets` picks, chosen as they come: a bounded heap for `top:N`."""

    def __init__(self, sheets: Sheets):
        self.sheets, self.items = sheets, []

    def offer(self, outcomes: list[Outcome], rows: list[ScenarioRow], first: int) -> None:
        """The outcomes of rows first, first + 1, …"""
        for i, (o, r) in enumerate(zip(outcomes, rows), start=first):
            if self.sheets.mode == "all":
                self.items.append((r.moved, -i, o))
            elif self.sheets.mode == "top":
                heapq.heappush(self.items, (r.moved, -i, o))  # the smallest is the least moved, then the latest
                if len(self.items) > self.sheets.n:
                    heapq.heappop(self.items)

    def kept(self) -> tuple[tuple[Outcome, ...], tuple[int, ...]]:
        """The outcomes kept, in scenario order, and their indexes."""
        chosen = sorted(self.items, key=lambda item: -item[1])
        return tuple(o for _, _, o in chosen), tuple(-i for _, i, _ in chosen)


def infeasible(name: str, base_cfg: Config, cfg: Config, exc: SenrunError) -> Infeasible:
    """The row of a scenario that failed: the reason, and for an overspent formula the highest affordable
    rate of the elements whose rate the scenario changed (of every rate element if it changed none).
    The reason goes into files that may be shared (simulate.xlsx, infeasible.csv, manifest.json): a
    child's UPN or date of birth in it is `[hidden]`, as in validate's report."""
    # a problem in an input keeps its place (file, row, column): with the UPN hidden, only that finds the row
    reason = "; ".join(i.hidden().message if i.in_config or not i.file else str(i.hidden())
                       for i in (exc.errors or exc.issues))
    if any(i.column == "budget.sen_total" for i in (exc.errors or exc.issues)) \
            and base_cfg.pupil_specific_pot != cfg.pupil_specific_pot:  # the pot moved, and the SEN total with it
        reason += " (a scenario that moves the pot drops that check with budget.sen_total: null, --set budget.sen_total=null)"
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
            cfg.missing_from_census, cfg.transfer, cfg.phases, tuple(sorted(cfg.inputs.items())),
            cfg.census_move_tolerance_days, cfg.reinstate)  # (§11.6's window; §11.4's reinstatements)


def _bases(cfg: Config) -> set[str]:
    return {e.basis for e in cfg.elements}


def _budget(cfg: Config) -> tuple:
    return cfg.pupil_specific_pot, cfg.sen_total, cfg.ssa_total


def _checked_by(cfg: Config) -> tuple:
    """What the checks of the inputs depend on besides the files: the basis columns, the budget, and
    the dates (a school's SSA is refused when the period has no day it is open: `ssa_no_row`)."""
    return (_bases(cfg), _budget(cfg), cfg.period_start, cfg.period_end, cfg.census_date, cfg.policy_start,
            cfg.prorate)


def scenario_inputs(base_inp: Inputs, base_cfg: Config, cfg: Config, read: dict) -> Inputs:
    """The inputs a scenario runs on: the base's, re-checked where the scenario needs other columns or
    another budget check; read afresh (once per set of files) if it names other input files."""
    key = tuple(sorted(cfg.inputs.items()))
    if base_inp.register is not None and (cfg.period_start, cfg.period_end, cfg.policy_start) != (
            base_cfg.period_start, base_cfg.period_end, base_cfg.policy_start):
        # a period moved onto the register's own or past it, or a policy.start other than the register's run's
        overlap = overlap_errors(base_inp.register, cfg)
        if overlap:
            raise SenrunError(overlap)
    if cfg.inputs != base_cfg.inputs:
        if key not in read:
            read[key] = read_inputs(cfg)
            read[key].register = base_inp.register  # last year's register holds for every scenario
        return read[key]
    if _checked_by(cfg) == _checked_by(base_cfg):
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


def _index(frames: list[pl.DataFrame]) -> pl.Series:
    """`_i`: each row's frame, for the frames stacked."""
    heights = pl.Series([f.height for f in frames], dtype=pl.UInt32)
    return pl.select(pl.int_range(len(frames), dtype=pl.Int64).repeat_by(heights).explode().alias("_i")).to_series()


def compare_long(base: RunResult, results: list[RunResult], key: str) -> pl.DataFrame:
    """Every result compared with the base (base_total, scenario_total, change, change_pct per school or
    cluster), stacked with the result's index `_i` and sorted by it and `key`, in one join over all."""
    cols = [SCHOOL_ID, SCHOOL_NAME, CLUSTER_ID] if key == SCHOOL_ID else [CLUSTER_ID, CLUSTER_NAME]
    frames = [r.schools if key == SCHOOL_ID else r.clusters for r in results]
    b = base.schools if key == SCHOOL_ID else base.clusters
    b = b.select(*cols, pl.col("total").alias("base_total"))
    labels = [c for c in cols if c != key]
    index = pl.DataFrame({"_i": pl.Series(range(len(results)), dtype=pl.Int64)})
    same = all(f.schema == frames[0].schema for f in frames)  # a sweep's runs: stacked as they are
    s = pl.concat(frames if same else [f.select(*cols, "total") for f in frames], how="vertical_relaxed",
                  rechunk=False).select(*cols, pl.col("total").alias("scenario_total")).with_columns(_index(frames))
    joined = index.join(b, how="cross").join(s, on=["_i", key], how="full", coalesce=True, suffix="_scenario")
    return (joined.with_columns(*[pl.coalesce(c, f"{c}_scenario").alias(c) for c in labels],
                                pl.col("base_total").fill_null(0), pl.col("scenario_total").fill_null(0))
            .with_columns((pl.col("scenario_total") - pl.col("base_total")).alias("change"))
            .with_columns(change_pct_expr("change", "base_total").alias("change_pct"))
            .select("_i", key, *labels, "base_total", "scenario_total", "change", "change_pct")
            .sort("_i", key))


def _parts(long: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    """A stacked frame cut back into its n frames (by `_i`)."""
    empty = long.clear().drop("_i")
    parts = long.partition_by("_i", maintain_order=True, include_key=False, as_dict=True)
    return [parts.get((i,), empty) for i in range(n)]


def _movers(long: pl.DataFrame, n: int, column: str, largest: bool) -> list[Mover | None]:
    """Each stacked frame's school with the largest (or most negative) change or change_pct, in one sort;
    ties by school_id; None where no school moved that way."""
    moved = long.filter(pl.col("change") != 0 if column == "change" else pl.col(column).is_not_null())
    moved = moved.filter(pl.col(column) > 0 if largest else pl.col(column) < 0)
    first = (moved.sort(["_i", column, SCHOOL_ID], descending=[False, largest, False])
             .group_by("_i", maintain_order=True).first())
    found = {i: Mover(sid, change, pct) for i, sid, change, pct
             in first.select("_i", SCHOOL_ID, "change", "change_pct").iter_rows()}
    return [found.get(i) for i in range(n)]


def _tallies(long: pl.DataFrame, n: int) -> list[tuple[int, ...]]:
    """Per stacked frame: gaining, losing, unchanged, the gains' sum, the changes' sum either way, and the
    count in each of BANDS."""
    band = band_of(pl.col("change"), pl.col("base_total"))
    got = long.group_by("_i").agg((pl.col("change") > 0).sum().alias("w"), (pl.col("change") < 0).sum().alias("l"),
                                  (pl.col("change") == 0).sum().alias("u"),
                                  pl.col("change").filter(pl.col("change") > 0).sum().alias("m"),
                                  pl.col("change").abs().sum().alias("a"),
                                  *[(band == b).sum().alias(f"b{k}") for k, b in enumerate(BANDS)])
    by = {row[0]: tuple(int(v or 0) for v in row[1:]) for row in got.iter_rows()}
    return [by.get(i, (0,) * (5 + len(BANDS))) for i in range(n)]


def outcomes(base: RunResult, runs: list[tuple[str, Config, RunResult, bool]]) -> list[Outcome]:
    """Every (name, config, run, PSF reused) compared with the base: `outcome` of each, worked out in
    one pass over all of them."""
    return compared(base, runs)[0]


def compared(base: RunResult, runs: list[tuple[str, Config, RunResult, bool]]
             ) -> tuple[list[Outcome], list[ScenarioRow], pl.DataFrame]:
    """`outcomes`, each scenario's row (its bands and the money it moves either way), and scenarios.csv's
    rows of them all (`outcomes_frame`), worked out in one pass over all of them."""
    if not runs:
        return [], [], outcomes_frame([])
    n, results = len(runs), [r for _, _, r, _ in runs]
    schools, clusters = compare_long(base, results, SCHOOL_ID), compare_long(base, results, CLUSTER_ID)
    school_tally, cluster_tally = _tallies(schools, n), _tallies(clusters, n)
    movers = [_movers(schools, n, "change", True), _movers(schools, n, "change", False),
              _movers(schools, n, "change_pct", True), _movers(schools, n, "change_pct", False)]
    school_parts, cluster_parts = _parts(schools, n), _parts(clusters, n)
    out, rows = [], []
    for i, (name, cfg, result, reused) in enumerate(runs):
        w, l, u, m, a, *bands = school_tally[i]
        cw, cl, _, _, _, *cluster_bands = cluster_tally[i]
        summary = Summary(winners=w, losers=l, unchanged=u, cluster_winners=cw, cluster_losers=cl,
                          largest_gain=movers[0][i], largest_loss=movers[1][i], largest_gain_pct=movers[2][i],
                          largest_loss_pct=movers[3][i], money_moved=m, cluster_pot=result.totals.cluster_pot,
                          solved=solved_rates(result))
        out.append(Outcome(name, cfg, result, school_parts[i], cluster_parts[i], summary, reused))
        rows.append(ScenarioRow(name, cfg.sha256 or None, reused, summary, tuple(bands) + tuple(cluster_bands), a,
                                result.inputs, floor_left_out=any(i.code == "protection_skipped" for i in result.issues)))
    names = pl.DataFrame({"_i": pl.Series(range(n), dtype=pl.Int64), "scenario": [name for name, *_ in runs]})
    csv = schools.join(names, on="_i", how="left", maintain_order="left").select(*SCENARIO_COLUMNS)
    return out, rows, csv


def _prepared(inp: Inputs, cfg: Config, psf_cache: dict, prepared: dict):
    """What precedes one config's formula, reusing the PSF frames of an earlier run with the same PSF
    keys, and all of it when the inputs and the pupil years are the same too; and whether the PSF
    frames were reused.  Also the key of that Prepared."""
    key = psf_key(cfg)
    reused = key in psf_cache
    if not reused:
        psf_cache[key] = psf_frames(inp, cfg)  # the census rows it needs are looked up once per inputs
    # keyed by the schools table's identity, which the entry keeps alive (scenarios that parse other
    # need columns or check another budget run on a copy of it)
    where = (key, tuple(counted_years(cfg)), id(inp.schools))  # (the census's year ranges: the elements' own too)
    if where not in prepared:
        prepared[where] = (inp.schools, prepare(inp, cfg, psf_cache[key]))
    return prepared[where][1], reused, where


def _run(inp: Inputs, cfg: Config, psf_cache: dict, prepared: dict,
         previous: dict[str, int] | None = None) -> tuple[RunResult, bool]:
    """The run of one config, on what `_prepared` gives (`previous`: last year's cluster allocations, for
    formula.protection's floor)."""
    ready, reused, _ = _prepared(inp, cfg, psf_cache, prepared)
    return compute(inp, cfg, prepared=ready, workings=False, previous=previous), reused


def _run_chunk(base_inp: Inputs, base_cfg: Config, chunk: list[tuple[str, Config]], caches: tuple,
               previous: dict[str, int] | None = None) -> tuple[list[tuple[str, Config, RunResult, bool]],
                                                                list[Infeasible]]:
    """Run a run of scenarios: those on one Prepared with formulas of one shape together (batch.py),
    the others one by one.  The runs in scenario order, and the scenarios that could not run."""
    psf_cache, prepared, read = caches
    done: dict[int, RunResult | SenrunError] = {}
    reused_of: dict[int, bool] = {}
    groups: dict[tuple, list[int]] = {}
    ready_of: dict[tuple, tuple] = {}
    for i, (name, cfg) in enumerate(chunk):
        try:
            inp = scenario_inputs(base_inp, base_cfg, cfg, read)
            ready, reused_of[i], where = _prepared(inp, cfg, psf_cache, prepared)
        except SenrunError as exc:
            done[i] = exc
            continue
        if batchable(cfg):
            groups.setdefault((where, shape(cfg)), []).append(i)
            ready_of[(where, shape(cfg))] = (inp, ready)
        else:
            done[i] = _computed(inp, cfg, ready, previous)
    for key, members in groups.items():
        inp, ready = ready_of[key]
        try:
            results = batch_runs(inp, ready, [chunk[i][1] for i in members])
        except ValueError:  # negative units: compute gives the error
            results = [_computed(inp, chunk[i][1], ready) for i in members]
        done.update(zip(members, results))
    runs, failed = [], []
    for i, (name, cfg) in enumerate(chunk):
        if isinstance(done[i], SenrunError):
            failed.append(infeasible(name, base_cfg, cfg, done[i]))
        else:
            runs.append((name, cfg, done[i], reused_of[i]))
    return runs, failed


def _computed(inp: Inputs, cfg: Config, ready, previous: dict[str, int] | None = None) -> RunResult | SenrunError:
    try:
        return compute(inp, cfg, prepared=ready, workings=False, previous=previous)
    except SenrunError as exc:
        return exc


#: Scenarios run and compared at a time: what is held of the scenarios beyond the Overview's rows
#: (and the scenarios kept for their sheets) is this many scenarios' frames.
CHUNK = 250


def simulate(base_cfg: Config, scenarios: list[tuple[str, Config]], years: int | None = None,
             progress=None, register=None, sheets: Sheets | None = None, sink=None,
             previous: dict[str, int] | None = None) -> SimulationResult:
    """Run the base and every (name, Config) scenario on inputs read once; project the run-off with `years`.

    Scenario configs come from senrun.config.overlay (load_scenarios, sweep_scenarios), validated
    before this is called.  A scenario that fails is kept as an Infeasible row; the
    base failing raises SenrunError.  The scenarios are run CHUNK at a time; `sink`, if given, is
    passed each chunk's rows of scenarios.csv as they are made (`outcomes_frame` of them), and
    only the Outcomes `sheets` picks are kept (default: every one) beside every scenario's row.  With
    `previous` (last year's cluster allocations), formula.protection's floor is applied wherever a config has
    one, as `allocate --previous` applies it.
    """
    say = progress or (lambda message: None)
    refuse_solve(base_cfg, "the base config")
    say("reading inputs")
    caches: tuple = ({}, {}, {})
    try:
        base_inp = read_inputs(base_cfg, register=register)  # with last year's register, when given (§11.4)
        say("computing the base")
        base, _ = _run(base_inp, base_cfg, caches[0], caches[1], previous)
    except SenrunError as exc:  # a problem of a config key at its line, as allocate and validate give it
        raise at_lines(exc, base_cfg) from None
    keeper = Keeper(sheets or Sheets("all"))
    rows: list[ScenarioRow] = []
    failed: list[Infeasible] = []
    for start in range(0, len(scenarios), CHUNK):
        chunk = scenarios[start:start + CHUNK]
        say(f"scenario {chunk[0][0]}" if len(scenarios) == 1 else
            f"scenarios {start + 1:,}–{start + len(chunk):,} of {len(scenarios):,}")
        runs, bad = _run_chunk(base_inp, base_cfg, chunk, caches, previous)
        failed.extend(bad)
        # one join over the chunk's scenarios, not one per scenario
        done, made, csv_rows = compared(base, runs)
        if sink is not None:
            sink(csv_rows)
        keeper.offer(done, made, len(rows))
        rows.extend(made)
    projection = project(base_inp, base_cfg, years, first=base, progress=say) if years else None
    kept, where = keeper.kept()
    return SimulationResult(base, kept, projection, tuple(failed), tuple(rows), where)


def scenarios_frame(sim: SimulationResult) -> pl.DataFrame:
    """scenarios.csv as a frame: one row per scenario and school (SCENARIO_COLUMNS), money in pence."""
    return outcomes_frame(sim.scenarios)


def outcomes_frame(outcomes) -> pl.DataFrame:
    """scenarios.csv's rows of these Outcomes (SCENARIO_COLUMNS), money in pence."""
    frames = [o.schools.select(pl.lit(o.name).alias("scenario"), *SCENARIO_COLUMNS[1:]) for o in outcomes]
    if not frames:
        return pl.DataFrame(schema={"scenario": pl.String, SCHOOL_ID: pl.String, CLUSTER_ID: pl.String,
                                    "base_total": pl.Int64, "scenario_total": pl.Int64, "change": pl.Int64,
                                    "change_pct": pl.Float64})
    return pl.concat(frames)
