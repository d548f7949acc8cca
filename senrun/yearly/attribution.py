"""Why each school's total changed since last year: PSF run-off, pupil numbers, formula, other.

The change from last year's run to this year's is split by re-running the allocation with
one thing changed at a time, in a fixed order (docs/diff.md):

0. last year's run, as it was: under its own register, and with its `formula.protection` floor
   (yearly.lastrun finds both from last year's manifest.json);
1. `psf_runoff`: this year's period, policy dates, PSF rules, statements and moves — PSF
   computed exactly as this year's run computes it — with last year's schools, census
   and formula (the released PSF flows into last year's formula);
2. `pupil_numbers`: this year's census and census date, the schools' pupils and need
   columns and the counted years (`formula.pupils`);
3. `formula`: this year's budget, top-slices and formula elements;
4. `other`: this year's run as it is — SSA, cluster membership, schools that opened or
   closed, anything else — before its floor;
5. `protection`: this year's `formula.protection` adjustment less last year's.

Each of parts 1–4 is the difference between consecutive runs with each run's floor adjustment
(its `formula_protection`) taken out, and the floors' difference is the fifth part, so the parts
add up to the change exactly, to the penny, for every school and every cluster.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from ..config.loader import Config, load_config, refuse_solve
from ..errors import Issue, Issues, SenrunError
from ..inputs.load import Table
from ..pipeline import Inputs, compute, psf_frames, read_inputs
from ..result import RunResult
from ..inputs.schema import CLUSTER_ID, IN_FORMULA, PUPILS, SCHOOL_ID, SSA
from .diff import diff_frames, folded_into, previous_config_issues
from .lastrun import LastRun, last_run, not_as_paid


def from_last_years_config(result: RunResult, previous_config: Path, diff: pl.DataFrame | None,
                           previous: Path | None = None) -> tuple[pl.DataFrame, Config, list[Issue]]:
    """`--previous-config`: last year's config read and why each total changed added to `diff`
    (attributed_diff), last year recomputed under the register and floor its run had (found from the
    manifest.json in the folder of this year's register, else of `previous`: yearly.lastrun); and the
    warnings when it is not last year's or one of those cannot be found.  A problem in last year's config or
    inputs is said to be last year's: both years' configs are most often named senrun.yaml, and their inputs
    census.csv."""
    try:
        last_years = load_config(previous_config)
        folder = last_years_folder(result, previous)
        last = last_run(last_years, folder, previous_config)
        runs = _checked_runs(last_years, result.config, result, last)
        # what was paid, read from last year's folder: a run of an earlier release may not be recomputed as it was
        # (not where a warning has already said the recomputation lacks its register or floor)
        paid = () if last.issues else not_as_paid(runs[0][1].schools, last_years, folder, previous_config,
                                                  diff is not None or previous is not None)
        diff = _attributed(result, runs, diff)
    except SenrunError as exc:
        raise SenrunError([replace(i, message=f"in last year's run (--previous-config {previous_config}): {i.message}")
                           for i in exc.issues]) from None
    return diff, last_years, (previous_config_issues(result.config, last_years, previous_config) + list(last.issues)
                              + list(paid))


def last_years_folder(result: RunResult, previous: Path | None) -> Path | None:
    """Last year's output folder: that of this year's register (last year's psf.csv), else of --previous."""
    if result.register is not None and result.register.path:
        return Path(result.register.path).parent
    if previous is not None:
        return previous if previous.is_dir() else previous.parent
    return None


#: The parts, in the order they are swapped in.
PARTS = ("psf_runoff", "pupil_numbers", "formula", "other", "protection")
#: Each run's floor adjustment (SPEC §11.8), taken out of its total for parts 1–4 and making the fifth.
PROTECTION = "formula_protection"
ATTRIBUTION_COLUMNS = ("level", SCHOOL_ID, CLUSTER_ID, "previous_total", *PARTS, "current_total", "change")
#: The parts as extra columns of diff.csv (Int64 pence): change_psf_runoff, change_pupil_numbers, …
DIFF_PART_COLUMNS = tuple(f"change_{p}" for p in PARTS)


def _column_bases(cfg: Config) -> set[str]:
    return {e.basis[7:] for e in cfg.elements if e.basis.startswith("column:")}


def schools_with_counts(prev: Inputs, cur: Inputs, cur_cfg: Config):
    """Last year's schools table with this year's pupils and need columns, where this year has the school."""
    frame, new = prev.schools.frame, cur.schools.frame
    columns = [c for c in sorted({PUPILS} | _column_bases(cur_cfg)) if c in new.columns]
    if not columns:
        return prev.schools
    update = new.select(SCHOOL_ID, *[pl.col(c).alias(f"_new_{c}") for c in columns])
    merged = frame.join(update, on=SCHOOL_ID, how="left")
    exprs = [(pl.coalesce(f"_new_{c}", c) if c in frame.columns else pl.col(f"_new_{c}")).alias(c)
             for c in columns]
    merged = merged.with_columns(exprs).drop([f"_new_{c}" for c in columns])
    return replace(prev.schools, frame=merged)


def with_psf_holders(prev: Inputs, cur: Inputs, psf) -> Table:
    """Last year's schools table, with each school this year's PSF is paid at that it lacks (an academy
    a school converted into, a new school) taken from this year's as a setting outside the formula
    (SPEC §11.2): it holds its PSF in the runs on last year's schools and takes no formula share, which
    arrives with the school itself in `other`."""
    frame, new = prev.schools.frame, cur.schools.frame
    paid = psf.lines.filter(pl.col("paid_amount") > 0)["paid_school_id"].unique()
    missing = new.filter(pl.col(SCHOOL_ID).is_in(paid.implode()) & ~pl.col(SCHOOL_ID).is_in(frame[SCHOOL_ID].implode()))
    if missing.is_empty():
        return prev.schools
    added = missing.select([c for c in frame.columns if c in missing.columns]).with_columns(
        pl.lit(False).alias(IN_FORMULA))
    if SSA in added.columns:  # its SSA arrives with the school, in `other` (docs/diff.md)
        added = added.with_columns(pl.lit(None, dtype=added.schema[SSA]).alias(SSA))
    return replace(prev.schools, frame=pl.concat([frame, added], how="diagonal_relaxed"))


def attribution_runs(prev_inp: Inputs, prev_cfg: Config, cur_inp: Inputs, cur_cfg: Config,
                     floor: dict[str, int] | None = None, current: RunResult | None = None
                     ) -> list[tuple[str, RunResult]]:
    """The five runs: last year's (with its floor, from `floor`: last year's previous cluster allocations),
    each part swapped in turn, and this year's (`current`, as allocate made it, when given)."""
    psf = psf_frames(cur_inp, cur_cfg)  # under its register when it has one
    held = with_psf_holders(prev_inp, cur_inp, psf)
    cfg1 = replace(prev_cfg, period_start=cur_cfg.period_start, period_end=cur_cfg.period_end,
                   policy_start=cur_cfg.policy_start, prorate=cur_cfg.prorate, transfer=cur_cfg.transfer,
                   missing_from_census=cur_cfg.missing_from_census, phases=cur_cfg.phases)
    cfg2 = replace(cfg1, census_date=cur_cfg.census_date, pupil_years=cur_cfg.pupil_years)
    cfg3 = replace(cfg2, pupil_specific_pot=cur_cfg.pupil_specific_pot, sen_total=cur_cfg.sen_total,
                   ssa_total=cur_cfg.ssa_total, topslices=cur_cfg.topslices, elements=cur_cfg.elements)
    inp1 = Inputs(held, cur_inp.statements, prev_inp.census, cur_inp.moves, Issues(), links=prev_inp.links)
    inp2 = Inputs(schools_with_counts(replace(prev_inp, schools=held), cur_inp, cur_cfg), cur_inp.statements,
                  cur_inp.census, cur_inp.moves, Issues(), links=prev_inp.links)
    plan = [("previous", prev_inp, prev_cfg, None, floor), ("psf_runoff", inp1, cfg1, psf, None),
            ("pupil_numbers", inp2, cfg2, psf, None), ("formula", inp2, cfg3, psf, None),
            ("other", cur_inp, cur_cfg, psf, None)]
    runs = []
    for name, inp, cfg, frames, previous in plan:
        if name == "other" and current is not None:
            runs.append((name, current))
            continue
        try:
            runs.append((name, compute(inp, cfg, psf=frames, previous=previous)))
        except SenrunError as exc:  # (each problem kept with its place, its child's data still marked)
            raise SenrunError([replace(i, message=f"attributing the change: the run with '{name}' swapped in failed: "
                                                  f"{i.message}") for i in exc.errors or exc.issues]) from None
    return runs


def _totals(result: RunResult, level: str, i: int) -> pl.DataFrame:
    """A run's total (`_t<i>`) and its floor adjustment (`_q<i>`, 0 without a floor) by school or cluster."""
    frame = result.schools if level == "school" else result.clusters
    floor = pl.col(PROTECTION) if PROTECTION in frame.columns else pl.lit(0, dtype=pl.Int64)
    keys = (SCHOOL_ID, CLUSTER_ID) if level == "school" else (CLUSTER_ID,)
    return frame.select(*keys, pl.col("total").alias(f"_t{i}"), floor.alias(f"_q{i}"))


def attribution_frame(runs: list[tuple[str, RunResult]], level: str) -> pl.DataFrame:
    """Per school (or cluster): previous total, each part, current total and change; parts sum to the change."""
    key = SCHOOL_ID if level == "school" else CLUSTER_ID
    names = [name for name, _ in runs]
    frame = None
    for i, (_, result) in enumerate(runs):
        step = _totals(result, level, i)
        if frame is None:
            frame = step
            continue
        frame = frame.join(step, on=key, how="full", coalesce=True, suffix=f"_{i}")
    if level == "school":
        frame = _folded(frame, runs[-1][1], len(runs))
    totals = [pl.col(f"_t{i}").fill_null(0) for i in range(len(runs))]
    floors = [pl.col(f"_q{i}").fill_null(0) for i in range(len(runs))]
    bases = [t - q for t, q in zip(totals, floors)]  # each run before its floor
    parts = [(bases[i] - bases[i - 1]).alias(names[i]) for i in range(1, len(runs))]
    parts.append((floors[-1] - floors[0]).alias(PARTS[-1]))
    if level == "school":
        clusters = [f"{CLUSTER_ID}_{i}" for i in range(len(runs) - 1, 0, -1)] + [CLUSTER_ID]
        cluster = pl.coalesce(*clusters).alias(CLUSTER_ID)
        school = pl.col(SCHOOL_ID)
    else:
        cluster, school = pl.col(CLUSTER_ID), pl.lit(None, dtype=pl.String).alias(SCHOOL_ID)
    out = frame.select(pl.lit(level).alias("level"), school, cluster, totals[0].alias("previous_total"), *parts,
                       totals[-1].alias("current_total"), (totals[-1] - totals[0]).alias("change"))
    return out.sort(key)


def _folded(frame: pl.DataFrame, current: RunResult, n: int) -> pl.DataFrame:
    """Each school with no row this year added into its successor's row, step by step (SPEC §11.1, as the
    diff compares a converted school: diff.fold_predecessors), so that its parts add up to its change."""
    into = folded_into(frame[SCHOOL_ID].to_list(), set(current.schools[SCHOOL_ID].to_list()), current.successions)
    if not into:
        return frame
    clusters = [c for c in frame.columns if c.startswith(CLUSTER_ID)]
    return (frame.with_columns(pl.col(SCHOOL_ID).is_in(list(into)).alias("_folded"),
                               pl.col(SCHOOL_ID).replace(into).alias(SCHOOL_ID))
            .sort("_folded", maintain_order=True)  # the successor's own clusters first
            .group_by(SCHOOL_ID, maintain_order=True)
            .agg(*[_sum_or_null(f"_{x}{i}") for i in range(n) for x in "tq"],
                 *[pl.col(c).drop_nulls().first() for c in clusters]))


def _sum_or_null(column: str) -> pl.Expr:
    """A step's total over a school and its predecessors: null when none of them has a row in that run."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def _checked_runs(prev_cfg: Config, cur_cfg: Config, current: RunResult | None = None,
                  last: LastRun | None = None) -> list[tuple[str, RunResult]]:
    """The runs, last year's under its own register and floor (`last`), this year's `current` when given."""
    for cfg in (prev_cfg, cur_cfg):
        refuse_solve(cfg, "a year's run")
    last = last or LastRun()
    cur_inp = read_inputs(cur_cfg)
    # this year's run under last year's register (§11.4), as allocate ran it; last year's under its own
    cur_inp.register = current.register if current is not None else None
    prev_inp = read_inputs(prev_cfg, register=last.register)
    return attribution_runs(prev_inp, prev_cfg, cur_inp, cur_cfg, last.previous, current)


def _parts(runs: list[tuple[str, RunResult]]) -> pl.DataFrame:
    return pl.concat([attribution_frame(runs, "school"), attribution_frame(runs, "cluster")]).select(
        ATTRIBUTION_COLUMNS)


def attribute_change(prev_cfg: Config, cur_cfg: Config, last: LastRun | None = None) -> pl.DataFrame:
    """Split each school's and cluster's change since last year into PSF run-off, pupil numbers,
    formula parameters, other and protection (see the module docstring and docs/diff.md).  Both years
    are run without a register, and without a floor, unless `last` gives last year's (yearly.lastrun).

    Columns: level, school_id, cluster_id, previous_total, psf_runoff, pupil_numbers, formula,
    other, protection, current_total, change — Int64 pence; the five parts add up to the change
    exactly.  Schools by school_id, then clusters by cluster_id.
    """
    return _parts(_checked_runs(prev_cfg, cur_cfg, last=last))


def attributed_diff(result: RunResult, prev_cfg: Config, diff: pl.DataFrame | None = None,
                    last: LastRun | None = None) -> pl.DataFrame:
    """The diff (SPEC §6) with the five parts appended as DIFF_PART_COLUMNS, for `allocate --previous-config`.

    Last year is recomputed from `prev_cfg` under `last` (its register and floor: yearly.lastrun), this
    year is `result` itself.  With `diff` (from --previous) the parts are joined onto its rows; without,
    the diff is taken against last year's run recomputed, so the parts add up to each row's change
    exactly.  Rows the runs do not have (e.g. a school only in the previous file) get null parts.
    """
    return _attributed(result, _checked_runs(prev_cfg, result.config, result, last), diff)


def _attributed(result: RunResult, runs: list[tuple[str, RunResult]], diff: pl.DataFrame | None) -> pl.DataFrame:
    """attributed_diff of the runs made."""
    if diff is None:
        cols = [SCHOOL_ID, CLUSTER_ID, "total"]
        diff = diff_frames(runs[0][1].schools.select(cols), result.schools.select(cols), result.config.flag_pct,
                           result.successions)
    parts = _parts(runs)
    named = [pl.col(p).alias(f"change_{p}") for p in PARTS]
    by_school = parts.filter(pl.col("level") == "school").select(SCHOOL_ID, *named)
    by_cluster = parts.filter(pl.col("level") == "cluster").select(CLUSTER_ID, *named)
    schools = diff.filter(pl.col("level") == "school").join(by_school, on=SCHOOL_ID, how="left")
    clusters = diff.filter(pl.col("level") == "cluster").join(by_cluster, on=CLUSTER_ID, how="left")
    return pl.concat([schools, clusters]).select(*diff.columns, *DIFF_PART_COLUMNS)
