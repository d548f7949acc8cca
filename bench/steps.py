"""Where an allocate run's time goes, step by step (docs/performance.md, "Where the time goes").

    .venv/bin/python bench/steps.py bench/cache/la-2013/senrun.yaml
    .venv/bin/python bench/steps.py bench/cache/england/senrun.yaml --no-returns
    .venv/bin/python bench/steps.py CONFIG --cprofile 25    # and the 25 costliest functions
    .venv/bin/python bench/steps.py CONFIG --no-returns --register LAST_YEAR_OUT   # round 2's register

Runs the steps of `senrun allocate` one after another in this process (the command overlaps
some of them: the CSVs with the workbook, the returns' processes with both), printing each
step's wall time, this process's CPU time and its peak memory so far.  With --cprofile, the
parent's functions by cumulative time (the returns' processes are not profiled; their
work is the `returns` step's wall time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Steps:
    """Prints each step's wall and CPU time as it ends."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.total = (self.wall, self.cpu)
        print(f"{'step':<34}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}")

    def done(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        print(f"{name:<34}{wall - self.wall:8.3f}{cpu - self.cpu:8.3f}{peak_mb():9.0f}", flush=True)
        self.wall, self.cpu = wall, cpu

    def end(self) -> None:
        print(f"{'total':<34}{time.perf_counter() - self.total[0]:8.3f}{time.process_time() - self.total[1]:8.3f}")


def run(config: Path, returns: bool, jobs: int, register: Path | None = None) -> None:
    steps = Steps()
    from senrun import allocator

    allocator.tune()  # as the command does, before Polars is imported
    import polars  # noqa: F401  (what every run imports, counted apart from senrun's own)

    steps.done("import polars")
    from senrun import pipeline
    from senrun.config.loader import load_config
    from senrun.outputs import atomic, processes, returns as returns_
    from senrun.outputs.manifest import manifest_bytes
    from senrun.outputs.workbook import workbook_bytes
    from senrun.outputs.writer import Folder, write_tables

    steps.done("import senrun (no CLI)")
    if returns:
        processes.prepare_workers(jobs)
        steps.done("start the fork server")
    cfg = load_config(config)
    inp = pipeline.read_inputs(cfg, register=register)
    steps.done("read and check the inputs")
    counts: dict[str, int] = {}
    for issue in inp.issues.items:
        counts[f"{issue.severity} {issue.code}"] = counts.get(f"{issue.severity} {issue.code}", 0) + 1
    pipeline.census_matches(inp)
    steps.done("  census rows of statement children")
    profile = pipeline.census_worked_out(inp, cfg)  # as allocate: then the census's rows are let go
    steps.done("  pupil counts, SEND profile")
    psf = pipeline.psf_frames(inp, cfg)
    steps.done("  PSF rules")
    result = replace(pipeline.compute(inp, cfg, psf=psf), profile=profile)
    steps.done("  pot, formula, tables")
    for issue in result.issues[len(inp.issues.items):]:
        counts[f"{issue.severity} {issue.code}"] = counts.get(f"{issue.severity} {issue.code}", 0) + 1
    print("issues:", ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items())))
    del inp, psf
    with tempfile.TemporaryDirectory() as tmp, atomic.staged(Path(tmp) / "out") as staging:
        folder = Folder(staging)
        rows = write_tables(result, folder, None, lambda *a: None)
        steps.done("CSVs (made and written)")
        folder.write("allocations.xlsx", workbook_bytes(result))
        steps.done("allocations.xlsx")
        if returns:
            with returns_.building_returns(result, jobs) as built:
                rows["returns"] = returns_.write_returns(built, result.schools.height, folder.write)
            steps.done(f"returns ({rows['returns']:,}, --jobs {jobs})")
        folder.write(atomic.MANIFEST, manifest_bytes(result, folder.files, rows))
        steps.done("manifest.json")
    steps.done("swap in, clean up")
    steps.end()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--no-returns", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--register", type=Path, help="last year's psf.csv or its folder (allocate --register)")
    parser.add_argument("--cprofile", type=int, metavar="N", default=0, help="print the N costliest functions")
    args = parser.parse_args(argv)
    if not args.cprofile:
        run(args.config, not args.no_returns, args.jobs, args.register)
        return 0
    profile = cProfile.Profile()
    profile.enable()
    run(args.config, not args.no_returns, args.jobs, args.register)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.cprofile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
