"""`senrun sample`: a realistic synthetic data set, with its config and its expected answers.

`generate_sample(scale, seed, out_dir)` writes, for a 2013-14 funding run:

- `schools` (clusters of one high school and its feeder primaries, SSA, a need index),
- `census` (every pupil of January 2013, special schools included),
- `statements` (PSF, SSMN and FYS rows), `moves` (managed, casual, transfer),
- `planted.csv`: for *every* statement row, the outcome expected by SPEC §3 — `reason`,
  pence paid in the period and released — counted by hand by the generator, never by the
  engine, so that a run can be checked against it,
- `senrun.yaml`, the config for the run, with paths relative to itself.

Scales: `demo` (7 schools, one of each planted case), `la` (the reference authority:
~420 schools in ~46 clusters, ~110,000 pupils, ~1,500 statements) and `england` (~21,600
schools, ~8.1 million pupils, ~430,000 statements, as Parquet).  The same seed always
gives byte-identical files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from . import names as sample_names
from .cases import plant
from .pupils import SEN_STATEMENT, append, build_census, nc_year
from .schools import build_schools
from .statements import select_ordinary
from .tables import (KINDS, census_frame, moves_frame, planted_frame, schools_frame,
                                  statements_frame, upns)
from ..money import pounds
from .write import write_census, write_config, write_table

SCALES_HELP = "demo | la | england"


@dataclass(frozen=True)
class Scale:
    """How big a sample is, and how it is shaped."""

    la_codes: tuple[int, ...]
    n_clusters: int
    slots_mean: float  # feeder slots (a primary, or an infant + junior pair) per cluster
    pair_prob: float  # chance a slot is an infant + junior pair
    nursery_prob: float
    n1_prob: float  # chance a nursery also takes the younger N1 year
    sixth_prob: float
    year_size: float  # mean pupils per primary year group
    specials_per_la: int
    special_size: int  # pupils per special school
    statements: int  # statement rows wanted, planted included
    min_ordinary: int  # ordinary statement rows at least, beside the planted ones
    reps: int | tuple[int, int]  # planted children per case
    wrong_letters: int  # census UPNs given a wrong check letter
    held_back: int  # census-only children taught a year below their age
    auxiliary_aids: int  # topslice, pounds
    cluster_host: int  # topslice per cluster, pounds
    fmt: str  # "xlsx": workbooks and census.csv; "parquet": all Parquet
    layout: tuple | None = None  # fixed (slots per cluster, pair flags, nursery flags)


SCALES = {
    "demo": Scale(
        la_codes=(926,), n_clusters=2, slots_mean=2, pair_prob=0, nursery_prob=0, n1_prob=0,
        sixth_prob=1, year_size=1.0, specials_per_la=1, special_size=3,
        statements=0, min_ordinary=4, reps=1, wrong_letters=1, held_back=1,
        auxiliary_aids=5_000, cluster_host=1_000, fmt="xlsx",
        # cluster 1: a primary with a nursery and an infant + junior pair; cluster 2: two primaries
        layout=((2, 2), (False, True, False, False), (True, False, False, False))),
    "la": Scale(
        la_codes=(926,), n_clusters=46, slots_mean=7.85, pair_prob=0.035, nursery_prob=0.4,
        n1_prob=0.25, sixth_prob=0.5, year_size=22.5, specials_per_la=2, special_size=24,
        statements=1_500, min_ordinary=0, reps=(3, 6), wrong_letters=5, held_back=10,
        auxiliary_aids=100_000, cluster_host=3_000, fmt="xlsx"),
    "england": Scale(
        la_codes=sample_names.LA_CODES, n_clusters=2_450, slots_mean=7.6, pair_prob=0.03,
        nursery_prob=0.4, n1_prob=0.25, sixth_prob=0.5, year_size=32.5, specials_per_la=1,
        special_size=20, statements=430_000, min_ordinary=0, reps=(6, 10), wrong_letters=300,
        held_back=2_000, auxiliary_aids=15_200_000, cluster_host=3_000, fmt="parquet"),
}


def generate_sample(scale: str, seed: int, out_dir: Path,
                    progress: Callable[[str], None] | None = None) -> dict:
    """Write the sample for `scale` and `seed` into `out_dir`; return its counts.

    Raises ValueError for an unknown scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected {SCALES_HELP}")
    p, say = SCALES[scale], progress or (lambda message: None)
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    data = _draw(rng, p, say)
    say("writing files")
    # a new folder is written beside it and renamed into place when whole: a sample killed outright
    # (SIGKILL) leaves no half-written folder that the next `senrun sample` would refuse as not its own
    made = not out_dir.exists()
    target = out_dir.parent / f".{out_dir.name}.senrun-sample-new" if made else out_dir
    if made:
        shutil.rmtree(target, ignore_errors=True)  # (one left by a sample killed before)
    target.mkdir(parents=True, exist_ok=True)
    try:
        files = _write(target, p, data)
        budget = _budget(p, data)
        files["config"] = write_config(target, files, scale=scale, seed=seed, **budget["yaml"])
        if made:
            target.rename(out_dir)
    except BaseException:  # a sample that failed (or was stopped) leaves no folder it made
        if made:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return {"scale": scale, "seed": seed, "schools": data["schools"].height,
            "clusters": data["n_clusters"], "pupils": data["pupils"],
            "statements": data["statements"].height, "moves": data["moves"].height,
            "planted": int((data["planted"]["case"] != "ordinary").sum()),
            "expected_continuing_psf": pounds(budget["continuing"]),
            "cluster_pot": pounds(budget["cluster_pot"]),
            "files": sorted(files.values())}


def _draw(rng: np.random.Generator, p: Scale, say) -> dict:
    """Draw every table of the sample (in memory)."""
    say("drawing schools and clusters")
    schools = build_schools(rng, p)
    say("drawing the census")
    census = build_census(rng, schools, p.held_back)
    say("planting cases")
    children = plant(rng, schools, p.reps)
    n_drawn = len(census)
    _append_planted(rng, census, children)
    planted_rows = sum(len(child.rows) for child in children)
    n_ordinary = max(p.statements - planted_rows, p.min_ordinary)
    say("choosing statement children")
    excluded = census.held_back | (census.school >= schools.n_input)
    excluded[n_drawn:] = True
    ordinary = select_ordinary(rng, schools.kind[census.school], census.nc, excluded, n_ordinary)
    census.sen[ordinary] = SEN_STATEMENT
    census_upn, planted_upn = upns(rng, schools, census, children, n_drawn, ordinary, p.wrong_letters)
    say("building tables")
    ids = pl.Series("id", schools.ids)
    statements, expected = statements_frame(rng, ids, census, census_upn, ordinary, children, planted_upn)
    return {"schools": schools_frame(rng, schools, census), "census": census_frame(ids, census, census_upn),
            "statements": statements, "moves": moves_frame(ids, children, planted_upn),
            "planted": planted_frame(expected), "n_clusters": len(schools.cluster_code),
            "pupils": len(census)}


def _append_planted(rng: np.random.Generator, census, children) -> None:
    """Add the planted children the census holds (SEN provision S)."""
    present = [c for c in children if c.census_school is not None]
    dobs = np.array([c.census_dob or c.dob for c in present], dtype="datetime64[D]")
    taught = [c.taught if c.taught is not None else int(nc) for c, nc in zip(present, nc_year(dobs))]
    fsm = rng.random(len(present)) < 0.2
    append(census, [c.census_school for c in present], dobs, taught,
           [SEN_STATEMENT] * len(present), fsm)


def _write(out_dir: Path, p: Scale, data: dict) -> dict[str, str]:
    """Write the data files; return their names by input."""
    files = {}
    for key, sheet in (("schools", "Schools"), ("statements", "Statements"), ("moves", "Moves")):
        files[key] = write_table(out_dir, key, p.fmt, sheet, data[key], KINDS[key])
    files["census"] = write_census(out_dir, p.fmt, data["census"])
    data["planted"].write_csv(out_dir / "planted.csv")
    files["planted"] = "planted.csv"
    return files


def _budget(p: Scale, data: dict) -> dict:
    """The config's budget: pot ≈ 1.05 × annual PSF (whole £1000), SSA total exact."""
    annual = int(data["statements"]["Annual PSF"].sum())
    pot = (annual * 105 + 5_000_000) // 10_000_000 * 1000  # pounds, to the nearest £1000
    ssa = int(data["schools"]["School Specific Allocation"].sum())
    continuing = int(data["planted"]["paid_pence"].sum())
    topslices = (p.auxiliary_aids + p.cluster_host * data["n_clusters"]) * 100
    yaml = {"pot": pot, "ssa_total": pounds(ssa), "sen_total": pounds(ssa + pot * 100),
            "aux": p.auxiliary_aids, "host": p.cluster_host}
    return {"yaml": yaml, "continuing": continuing,
            "cluster_pot": pot * 100 - continuing - topslices}
