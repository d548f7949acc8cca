"""Timing of the per-school returns by process start method (docs/outputs.md); not part of `make bench`.

    .venv/bin/python bench/start_methods.py 420 15

It writes the full outputs of a synthetic run of N schools REPS times per method, the
methods interleaved so that a busy machine affects them alike, and prints the medians.
(Moved here from tests/test_outputs_bench.py: a timing is a benchmark, never a test.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

METHODS = ("inproc", "fork", "forkserver", "spawn")


def bench(n_schools: int, reps: int) -> None:
    """Print the returns step's and the whole write's median time per start method."""
    import polars as pl

    from outputs_fixture import scaled_result
    from senrun.outputs import processes, write_outputs

    result = scaled_result(n_schools)
    result.schools.select(pl.col("total").sum())  # Polars' thread pool is up, as in a real run
    marks: dict[str, float] = {}
    step_times: dict[str, list[float]] = {m: [] for m in METHODS}
    whole_times: dict[str, list[float]] = {m: [] for m in METHODS}
    saved = processes.START_METHOD
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(reps):
            for method in METHODS:
                processes.START_METHOD = "fork" if method == "inproc" else method
                start = time.perf_counter()
                write_outputs(result, Path(tmp) / "out", jobs=1 if method == "inproc" else 2,
                              progress=lambda step, done, total: marks.__setitem__(step, time.perf_counter()))
                whole_times[method].append(time.perf_counter() - start)
                step_times[method].append(marks["returns"] - marks["workbook"])
    processes.START_METHOD = saved
    print(f"{n_schools} schools, {result.psf.height} PSF lines, {reps} interleaved runs per method")
    for m in METHODS:
        print(f"{m:10s} jobs={1 if m == 'inproc' else 2}: returns step median {statistics.median(step_times[m]):.2f}s "
              f"(min {min(step_times[m]):.2f}s); whole write_outputs median {statistics.median(whole_times[m]):.2f}s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 420, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
