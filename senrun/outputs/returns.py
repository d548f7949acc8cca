"""The per-school returns, `returns/<school_id>.xlsx`, written by a pool of processes (SPEC §6, §7 --jobs).

The parent turns the run into one plain :class:`SchoolReturn` per school (the PSF lines
are partitioned by paid school once, not filtered per school), hands chunks of them to
worker processes that build the workbooks' bytes, and writes the files itself, so every
write goes through the atomic layer.

Start method: `forkserver`.  Measured on 420 schools with --jobs 2 (docs/outputs.md), the
three start methods were within the machine's noise of each other (returns step, median
of 30: fork 1.28 s, forkserver 1.40 s, spawn 1.56 s; in-process 1.56 s; minima 0.73, 0.74,
0.75, 1.07), so the safe one is used: Polars warns that a forked child can deadlock if
Polars' thread pool held a lock at the fork, whereas `forkserver` forks each worker from a
clean single-threaded server that has preloaded only XlsxWriter and this package's
Polars-free modules.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import polars as pl

from ..errors import SenrunError
from ..result import RunResult
from .common import FORMULA_PREFIX, return_file_stem
from .returnbook import CHILD_COLUMNS, SchoolReturn, build_chunk
from .workbook import period_text

RETURNS_DIR = "returns"
START_METHOD = "forkserver"
#: Fewer schools than this per process and the pool costs more than it saves: write in-process.
MIN_PER_PROCESS = 25
#: Chunks per process: enough to keep every process busy to the end, few enough to be cheap.
CHUNKS_PER_PROCESS = 4


def return_file_names(schools: pl.DataFrame) -> dict[str, str]:
    """school_id → `returns/<stem>.xlsx`; two ids that would share a file is an error.

    File names are compared ignoring case too, since the folder may be copied to Windows
    or a Mac, whose file systems do not tell `AB1.xlsx` from `ab1.xlsx`.
    """
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for school_id in schools.get_column("school_id").to_list():
        stem = return_file_stem(school_id)
        other = seen.setdefault(stem.casefold(), school_id)
        if other != school_id:
            raise SenrunError(
                f"schools {other!r} and {school_id!r} would share the return file "
                f"{RETURNS_DIR}/{stem}.xlsx (characters other than letters, digits, - and _ "
                f"become _); change one of the school ids"
            )
        names[school_id] = f"{RETURNS_DIR}/{stem}.xlsx"
    return names


def plan_returns(result: RunResult) -> list[SchoolReturn]:
    """One SchoolReturn per school of the run, in school order."""
    file_names = return_file_names(result.schools)
    children = children_by_school(result.psf)
    units = units_by_school(result.workings)
    cluster_total = dict(result.clusters.select("cluster_id", "cluster_allocation").iter_rows())
    elements = element_list(result)
    year, period = str(result.config.year), period_text(result.config.as_dict())
    plans = []
    for school in result.schools.iter_rows(named=True):
        sid = school["school_id"]
        own_units = units.get(sid, {})
        plans.append(SchoolReturn(
            file_name=file_names[sid], school_id=sid, school_name=school.get("school_name"),
            cluster_id=school["cluster_id"], cluster_name=school.get("cluster_name"),
            year=year, period=period, ssa=school.get("ssa"), psf=school.get("psf"),
            cluster_share=school.get("cluster_share"), total=school.get("total"),
            cluster_allocation=cluster_total.get(school["cluster_id"]),
            children=tuple(children.get(sid, ())),
            elements=tuple((name, basis, own_units.get(name), school.get(FORMULA_PREFIX + name))
                           for name, basis in elements),
        ))
    return plans


def children_by_school(psf: pl.DataFrame) -> dict[str, list[tuple]]:
    """The PSF lines paid at each school (paid_amount > 0), partitioned once by paid school."""
    lines = (psf.filter(pl.col("paid_amount") > 0)
             .select("paid_school_id", *CHILD_COLUMNS)
             .sort("paid_school_id", "upn", "paid_from", "stream"))
    parts = lines.partition_by("paid_school_id", as_dict=True, include_key=False, maintain_order=True)
    return {key[0]: part.rows() for key, part in parts.items()}


def units_by_school(workings: pl.DataFrame | None) -> dict[str, dict[str, object]]:
    """school_id → element → the school's units, from the workings (empty without them)."""
    if workings is None or workings.is_empty() or not {"school_id", "element", "units"} <= set(workings.columns):
        return {}
    parts = workings.select("school_id", "element", "units").partition_by(
        "school_id", as_dict=True, include_key=False, maintain_order=True)
    return {key[0]: dict(part.rows()) for key, part in parts.items()}


def element_list(result: RunResult) -> list[tuple[str, str]]:
    """(name, basis) per formula element, in config order; from the schools' columns if need be."""
    if result.elements:
        return [(e.name, e.basis) for e in result.elements]
    return [(c[len(FORMULA_PREFIX):], "") for c in result.schools.columns if c.startswith(FORMULA_PREFIX)]


def chunked(plans: list[SchoolReturn], size: int) -> list[list[SchoolReturn]]:
    """The plans in consecutive chunks of `size`."""
    return [plans[i:i + size] for i in range(0, len(plans), size)]


def worker_count(jobs: int | None, schools: int) -> int:
    """How many processes to use: `jobs` (default the CPU count), fewer for a small run."""
    wanted = jobs if jobs is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise SenrunError(f"--jobs must be at least 1, not {wanted}")
    return max(1, min(wanted, schools // MIN_PER_PROCESS))


def built_returns(plans: list[SchoolReturn], jobs: int | None) -> Iterator[list[tuple[str, bytes]]]:
    """The returns' bytes, chunk by chunk in school order; in-process when one process will do."""
    workers = worker_count(jobs, len(plans))
    if workers == 1:
        for chunk in chunked(plans, max(1, MIN_PER_PROCESS)):
            yield build_chunk(chunk)
        return
    size = max(1, math.ceil(len(plans) / (workers * CHUNKS_PER_PROCESS)))
    context = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        # the server imports these once; each worker forked from it then starts warm
        context.set_forkserver_preload(["__main__", build_chunk.__module__])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield from pool.map(build_chunk, chunked(plans, size))
    except BrokenProcessPool as exc:  # a worker was killed, e.g. by the out-of-memory killer
        raise SenrunError(f"a process writing the school returns stopped unexpectedly ({exc}); "
                          f"try again with --jobs 1") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def write_returns(result: RunResult, write: Callable[[str, bytes], None], jobs: int | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> int:
    """Build every school's return and hand each file to `write`; returns how many were written."""
    plans = plan_returns(result)
    done = 0
    for files in built_returns(plans, jobs):
        for name, data in files:
            write(name, data)
        done += len(files)
        if progress:
            progress("returns", done, len(plans))
    return done
