"""The per-school returns, `returns/<school_id>.xlsx`, written by a pool of processes (SPEC §6, §7 --jobs).

The parent cuts the run into chunks of a few hundred schools.  A chunk (returnbook.ReturnChunk)
is plain columns — the schools' figures, and their children's lines as text and integers
(dates as Excel serial days) — made from the run's frames by slicing, never by building
Python objects for every school at once: at England scale (21,600 schools, 430,000 PSF
lines) the parent holds only the chunks in flight.  Worker processes turn chunks into
workbooks' bytes, and the parent writes the files itself, in school order, so every write
goes through the atomic layer.

How the processes start: processes.py.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import islice

import polars as pl

from ..errors import SenrunError
from ..result import RunResult
from . import processes
from .common import FORMULA_PREFIX, return_file_stem
from .returnbook import CHILD_COLUMNS, CHILD_KINDS, ReturnChunk, build_chunk
from .tables import excel_serial
from .workbook import period_text

RETURNS_DIR = "returns"
#: Fewer schools than this per process and the pool costs more than it saves: write in-process.
MIN_PER_PROCESS = 25
#: Chunks per process: enough to keep every process busy to the end, few enough to be cheap.
CHUNKS_PER_PROCESS = 4
#: At most this many schools in a chunk, so that what is in flight stays small at any scale.
MAX_CHUNK = 250
#: Chunks handed to the pool ahead of the one being written, per process.
AHEAD_PER_PROCESS = 2


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


def plan_returns(result: RunResult, size: int) -> Iterator[ReturnChunk]:
    """The run's returns as chunks of `size` schools, in school order, made one at a time."""
    elements = element_list(result)
    schools = school_fields(result, return_file_names(result.schools), elements)
    children = children_columns(result.psf, schools.get_column("school_id"))
    at = 0
    for start in range(0, schools.height, size):
        part = schools.slice(start, size)
        count = int(part.get_column("_children").sum())
        lines = children.slice(at, count)
        at += count
        yield ReturnChunk(schools=[school_tuple(row, elements) for row in part.iter_rows()],
                          children=tuple(lines.get_column(c).to_list() for c in CHILD_COLUMNS))


#: SchoolReturn's fields that come from the schools' table, in its order.
SCHOOL_FIELDS = ("file_name", "school_id", "school_name", "cluster_id", "cluster_name", "year", "period",
                 "ssa", "psf", "cluster_share", "total", "cluster_allocation")


def school_fields(result: RunResult, file_names: dict[str, str], elements: list[tuple[str, str]]) -> pl.DataFrame:
    """One row per school: SCHOOL_FIELDS, each element's units (text) and amount, then how many
    children's lines the school has."""
    schools = result.schools.filter(~pl.col("school_id").is_in(list(result.no_return)))  # SPEC §11.2
    counts = (result.psf.filter(pl.col("paid_amount") > 0)
              .group_by(pl.col("paid_school_id").alias("school_id")).agg(pl.len().alias("_children")))
    units = units_by_school(result.workings)
    frame = (schools.join(units, on="school_id", how="left") if units is not None else schools) \
        .join(result.clusters.select("cluster_id", "cluster_allocation"), on="cluster_id", how="left") \
        .join(counts, on="school_id", how="left")

    def column(name: str, dtype: pl.DataType = pl.Int64) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)

    fixed = {"file_name": pl.col("school_id").replace_strict(file_names), "year": pl.lit(str(result.config.year)),
             "period": pl.lit(period_text(result.config.as_dict())),
             "school_name": column("school_name", pl.String), "cluster_name": column("cluster_name", pl.String)}
    return frame.select(
        *[fixed[f].alias(f) if f in fixed else column(f).alias(f) for f in SCHOOL_FIELDS],
        *[e for name, _ in elements for e in (column(f"_units_{name}", pl.String).alias(f"_units_{name}"),
                                                column(FORMULA_PREFIX + name).alias(FORMULA_PREFIX + name))],
        pl.col("_children").fill_null(0))


def school_tuple(row: tuple, elements: list[tuple[str, str]]) -> tuple:
    """A school_fields row as SchoolReturn's fields (elements as (name, basis, units, pence)),
    then the number of children."""
    fixed, rest = row[:len(SCHOOL_FIELDS)], row[len(SCHOOL_FIELDS):]
    shares = tuple((name, basis, rest[2 * i], rest[2 * i + 1]) for i, (name, basis) in enumerate(elements))
    return (*fixed, shares, rest[-1])


def children_columns(psf: pl.DataFrame, school_order: pl.Series) -> pl.DataFrame:
    """The lines paid at each school (paid_amount > 0), in the schools' order then by child;
    dates as Excel serial days, so that they cross to the workers as integers."""
    order = school_order.to_frame("paid_school_id").with_row_index("_school")
    dates = [c for c, kind in zip(CHILD_COLUMNS, CHILD_KINDS) if kind == "date"]
    return (psf.lazy().filter(pl.col("paid_amount") > 0)
            .join(order.lazy(), on="paid_school_id", how="inner")
            .sort("_school", "upn", "paid_from", "stream")
            .select(*[excel_serial(pl.col(c)).alias(c) if c in dates else pl.col(c) for c in CHILD_COLUMNS])
            .collect())


def units_by_school(workings: pl.DataFrame | None) -> pl.DataFrame | None:
    """school_id and one `_units_<element>` column (the school's units as text), from the workings."""
    if workings is None or workings.is_empty() or not {"school_id", "element", "units"} <= set(workings.columns):
        return None
    return workings.select("school_id", "element", pl.col("units").cast(pl.String)).pivot(
        on="element", index="school_id", values="units").rename(
        lambda c: c if c == "school_id" else f"_units_{c}")


def element_list(result: RunResult) -> list[tuple[str, str]]:
    """(name, basis) per formula element, in config order; from the schools' columns if need be."""
    if result.elements:
        return [(e.name, e.basis) for e in result.elements]
    return [(c[len(FORMULA_PREFIX):], "") for c in result.schools.columns if c.startswith(FORMULA_PREFIX)]


def chunk_size(schools: int, workers: int) -> int:
    """Schools per chunk: a few chunks per process, none too big."""
    return max(1, min(MAX_CHUNK, math.ceil(schools / (workers * CHUNKS_PER_PROCESS))))


def worker_count(jobs: int | None, schools: int) -> int:
    """How many processes to use: `jobs` (default the CPU count), fewer for a small run."""
    wanted = jobs if jobs is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise SenrunError(f"--jobs must be at least 1, not {wanted}")
    return max(1, min(wanted, schools // MIN_PER_PROCESS))


@contextmanager
def building_returns(result: RunResult, jobs: int | None) -> Iterator[Iterator[list[tuple[str, bytes]]]]:
    """Start building the returns and give their files, chunk by chunk in school order.

    With more than one process, the first chunks are handed to the pool at once, so the
    processes work while the caller writes the other outputs; they are collected as the
    caller iterates.  In-process, each chunk is built when it is asked for."""
    workers = worker_count(jobs, result.schools.height)
    chunks = plan_returns(result, chunk_size(result.schools.height, workers))
    if workers == 1:
        yield map(build_chunk, chunks)
        return
    processes.start_helpers()  # before the pool: the helpers must not hold this process's output
    workers_end, run_end = processes.lifeline()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=processes.context(),
                               initializer=processes.init_worker, initargs=(workers_end,))
    try:
        pending = deque(pool.submit(build_chunk, chunk) for chunk in islice(chunks, workers * AHEAD_PER_PROCESS))
        yield in_order(pool, pending, chunks)
    except BrokenProcessPool as exc:  # a worker was killed, e.g. by the out-of-memory killer
        raise SenrunError(f"a process writing the school returns stopped unexpectedly ({exc}); "
                          f"try again with --jobs 1") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        run_end.close()
        workers_end.close()


def in_order(pool: ProcessPoolExecutor, pending: deque, chunks: Iterator[ReturnChunk]) -> Iterator[list]:
    """The results of the `pending` futures in order, handing the pool one more chunk for each
    collected: so at most len(pending) chunks are ever in flight (Executor.map submits them all)."""
    while pending:
        files = pending.popleft().result()
        for chunk in islice(chunks, 1):
            pending.append(pool.submit(build_chunk, chunk))
        yield files


def write_returns(built: Iterator[list[tuple[str, bytes]]], total: int, write: Callable[[str, bytes], None],
                  progress: Callable[[str, int, int], None] | None = None) -> int:
    """Hand each built return to `write`, in school order; returns how many were written."""
    done = 0
    for files in built:
        for name, data in files:
            write(name, data)
        done += len(files)
        if progress:
            progress("returns", done, total)
    return done
