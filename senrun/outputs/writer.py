"""write_outputs: every output file of a run, written all or nothing (SPEC §6)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path

import polars as pl

from ..errors import SenrunError
from ..result import InputInfo, RunResult
from . import atomic, common, guard
from .csvs import clusters_table, csv_bytes, psf_table, schools_table
from .reconciliation import reconciliation_frame
from .manifest import manifest_bytes
from .returns import building_returns, return_file_names, write_returns
from .clusterpack import pack_chunks, pack_file_names, plan_packs
from .packbook import PackChunk, build_pack_chunk
from .pupilbook import pupils_bytes
from .tables import visible
from .workbook import PUPILS_BOOK, SHEET_CSV, WARNINGS_CSV, warnings_frame, workbook_bytes

Progress = Callable[[str, int, int], None]


class Folder:
    """The staging folder being filled: writes go through the atomic layer and are fingerprinted.

    Two threads write into it (the returns' files arrive beside the workbook); one file is
    written at a time, so a run stopped at any point has begun the files it has counted and
    no other (tests/test_faults.py)."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, tuple[str, int]] = {}  # relative path → (sha256, bytes)
        self._dirs: set[str] = {""}  # the folders made, relative, / separated
        self._one_at_a_time = threading.Lock()
        self._root = os.fspath(root)

    def write(self, name: str, data: bytes) -> None:
        """Write `name` (relative, / separated) and record its fingerprint for the manifest.  The file's path is
        joined as text: a Path for each of England's 24,057 files cost a quarter of a second."""
        folder = name.rpartition("/")[0]
        fingerprint = hashlib.sha256(data).hexdigest()
        with self._one_at_a_time:
            if folder not in self._dirs:
                atomic.make_dir(self.root / folder)
                atomic.checkpoint("dir-made")
                self._dirs.add(folder)
            atomic.write_file(os.path.join(self._root, name), data)
            self.files[name] = (fingerprint, len(data))


def file_name_problems(result: RunResult, returns: bool = True, packs: bool = True) -> list:
    """Every school and cluster id that cannot name its return or pack file (two would share one, or one is too
    long), at its column of the schools input, under the file's own header: what `allocate` stops at before any
    write, and `validate` tells."""
    schools = next((i for i in result.inputs if i.name == "schools"), None)
    headers = dict(schools.headers) if schools else {}
    found = []
    for wanted, names, frame in ((returns, return_file_names, result.schools), (packs, pack_file_names, result.clusters)):
        try:
            if wanted:
                names(frame)
        except SenrunError as exc:
            found += [replace(i, file=Path(schools.path).name if schools else None,
                              column=headers.get(i.field, i.column)) for i in exc.issues]
    return found


def write_outputs(result: RunResult, out: Path, *, returns: bool = True, jobs: int | None = None,
                  diff: pl.DataFrame | None = None, progress: Progress | None = None,
                  packs: bool | None = None) -> Path:
    """Write the run's outputs into the folder `out`, all or nothing; returns `out`.

    Files: allocations.xlsx (publishable), pupils.xlsx (restricted: children's data), schools.csv, clusters.csv,
    psf.csv, diff.csv (with `diff`), returns/<school>.xlsx (unless `returns` is False; built by `jobs` processes,
    default the CPU count), clusters/<cluster>.xlsx (`packs`; by default as `returns`), manifest.json.  Any failure
    raises SenrunError and leaves an existing `out` exactly as it was; `progress(step, done, total)` is called as
    steps complete."""
    report = progress or (lambda step, done, total: None)
    if jobs is not None and jobs < 1:
        raise SenrunError(f"--jobs must be at least 1, not {jobs}")
    packs = returns if packs is None else packs
    clashes = file_name_problems(result, returns, packs)  # a clash of file names stops the run before any write
    if clashes:
        raise SenrunError(clashes)
    out = Path(out)
    result = with_last_years_file(result, diff)  # `--previous` is an input: in manifest.json and the run's reference
    config = result.config
    # the cluster packs: built by the returns' processes after the returns, or in-process without them
    packed = PacksLater(result if packs else None, diff)
    period = (config.period_start.isoformat(), config.period_end.isoformat())
    with atomic.staged(out, guard.run_files(config, result), guard.output_mode(config), "allocate", period) as staging, \
            building_returns(result, jobs, diff, packed) if returns else nullcontext() as built:
        # the returns' processes (if any) are at work from here, while this one writes the rest
        folder = Folder(staging)
        stop = threading.Event()  # set when this thread fails or is interrupted: the returns' thread stops
        with ThreadPoolExecutor(max_workers=1) as thread, ThreadPoolExecutor(max_workers=1) as second, \
                _stopping(stop):
            # Beside the workbook, on one thread: the CSVs (Polars' work, outside Python's lock), each written as
            # soon as it is made (England's psf.csv is 40 MB: none is held while the workbook is built), then the
            # returns' files as the processes finish them (creating a file is a system call, also outside the lock)
            csvs = thread.submit(write_tables, result, folder, diff, report)
            written = thread.submit(write_returns, built, result.schools.height, folder.write, report, stop) \
                if returns else None
            # pupils.xlsx is built on a thread of its own beside allocations.xlsx: with a register its
            # Reconciliation sheet is a child a row (99,007 rows at England scale), and much of each
            # workbook's time is Polars rendering rows and zlib compressing them, outside Python's lock
            restricted_later = second.submit(pupils_bytes, result)
            book = workbook_bytes(result, diff)
            restricted = restricted_later.result()
            rows = csvs.result()
            folder.write("allocations.xlsx", book)
            folder.write(PUPILS_BOOK, restricted)
            report("workbook", 1, 1)
            if returns:
                packed.plan()  # while the processes are at work on the returns, so they never wait for it
            else:
                for chunk in packed:
                    for name, data in build_pack_chunk(chunk):
                        folder.write(name, data)
            if written is not None:
                rows["returns"] = written.result()
            if packs:
                rows["cluster_packs"] = packed.planned
        folder.write(atomic.MANIFEST, manifest_bytes(result, folder.files, rows, common.last_years_file(diff)))
        report("manifest", 1, 1)
    return out


class PacksLater:
    """The cluster packs' chunks for the returns' processes, planned once the processes are at work on the
    returns: by the command's own thread when its workbooks are written (`plan`), or when the processes first
    ask for them, whichever comes first.  Planned before the processes start, they would wait for it (≈30 ms
    at la scale); planned only when asked for, the processes would wait between the returns and the packs
    (≈0.5 s at England scale).  `planned`: how many packs, once planned."""

    def __init__(self, result: RunResult | None, diff: pl.DataFrame | None):
        self.result, self.diff, self.planned = result, diff, 0
        self._chunks: list[PackChunk] | None = None
        self._planning = threading.Lock()

    def plan(self) -> None:
        """Plan the packs now, if not yet planned (from either thread)."""
        with self._planning:
            if self._chunks is None and self.result is not None:
                tasks = plan_packs(self.result, self.diff)
                self.planned = len(tasks)
                self._chunks = pack_chunks(tasks)

    def __iter__(self) -> Iterator[PackChunk]:
        self.plan()
        yield from self._chunks or ()


@contextmanager
def _stopping(stop: threading.Event) -> Iterator[None]:
    """Set `stop` if the block fails (Ctrl-C included), before the thread pools are waited for: else
    the returns' thread would go on writing every return (21,600 at England scale) after the run had stopped."""
    try:
        yield
    except BaseException:
        stop.set()
        raise


def with_last_years_file(result: RunResult, diff: pl.DataFrame | None) -> RunResult:
    """The run with `--previous`'s file (read by yearly.diff) among its inputs, as `previous`, so that
    manifest.json lists it and the run's reference (every workbook's footer) changes with it."""
    file = common.last_years_file(diff)
    if file is None or any(i.name == "previous" for i in result.inputs):
        return result
    return replace(result, inputs=(*result.inputs, InputInfo("previous", file["path"], file["sha256"], file["rows"])))


def with_previous_config(result: RunResult, path, sha256: str) -> RunResult:
    """The run with `--previous-config` among its inputs (it decides the Diff's reasons), as
    `previous_config` (rows: 0, a config has none), listed in manifest.json and counted in the run's reference."""
    return replace(result, inputs=(*result.inputs, InputInfo("previous_config", str(path), sha256, 0)))


def csv_files(result: RunResult, diff: pl.DataFrame | None) -> list[tuple[str, pl.DataFrame]]:
    """The CSVs to write: the three tables, the diff, and any table too long for its sheet."""
    files = [("schools.csv", schools_table(result.schools)),
             ("clusters.csv", clusters_table(result.clusters)),
             ("psf.csv", psf_table(result.psf))]
    if diff is not None:
        files.append(("diff.csv", visible(diff)))  # not last year's names and file (the Diff sheet's, the manifest's)
    reconciliation = reconciliation_frame(result)  # with a register only: names children, like psf.csv
    if reconciliation is not None:
        files.append(("reconciliation.csv", reconciliation))
    overflow = [(SHEET_CSV["Released"], result.released), (SHEET_CSV["Workings"], result.workings),
                (WARNINGS_CSV, warnings_frame(result))]
    files += [(name, frame.select([c for c in frame.columns if not c.startswith("_")]))
              for name, frame in overflow if frame is not None and frame.height > common.MAX_SHEET_ROWS]
    return files


def csv_names(result: RunResult, diff: pl.DataFrame | None) -> list[str]:
    """The names of the CSVs `csv_files` writes for this run, in its order, without making them: what
    `senrun allocate` says it wrote (diff.csv with --previous, reconciliation.csv with --register)."""
    names = ["schools.csv", "clusters.csv", "psf.csv"]
    if diff is not None:
        names.append("diff.csv")
    if getattr(result, "register", None) is not None:
        names.append("reconciliation.csv")
    sizes = [(SHEET_CSV["Released"], result.released.height),
             (SHEET_CSV["Workings"], 0 if result.workings is None else result.workings.height),
             (WARNINGS_CSV, len(result.warnings))]
    return names + [name for name, rows in sizes if rows > common.MAX_SHEET_ROWS]


def write_tables(result: RunResult, folder: Folder, diff: pl.DataFrame | None, report: Progress) -> dict[str, int]:
    """Write the CSVs, each as soon as it is made; returns the row count of every table, for the manifest."""
    files = csv_files(result, diff)
    for done, (name, frame) in enumerate(files, start=1):
        folder.write(name, csv_bytes(frame))
        report("csv", done, len(files))
    rows = {"schools": result.schools.height, "clusters": result.clusters.height,
            "psf": result.psf.height, "released": result.released.height,
            "warnings": len(result.warnings)}
    if result.workings is not None:
        rows["workings"] = result.workings.height
    if diff is not None:
        rows["diff"] = diff.height
    return rows

