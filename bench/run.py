"""`make bench`: senrun's wall time and peak memory at the reference authority's scale and England's.

    python bench/run.py            # or: make bench
    python bench/run.py --quick    # or: make bench QUICK=1 (fewer runs of each)

Data comes from `senrun sample` and is kept in bench/cache/<scale>-<seed>/ (git-ignored) for
the next run.  Every case runs senrun's command line as a subprocess, as a user would, and
reports the median of several runs (the first run of each case, which fills the disk cache
and Python's bytecode cache, is not counted).  The table is printed and written, with every
run's figures and the machine's, to bench/results.json.  docs/performance.md explains the
cases, the targets and how memory is measured (see `measure`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / "cache"
SEED = 2013
JOBS = 2
SCENARIOS = 1000
POLL_SECONDS = 0.01
#: Reading a process's PSS walks its page tables (≈18 ms for 600 MB) and holds its memory map's
#: lock meanwhile: every 10 ms, the readings took a whole core and slowed the command measured
#: (England in full: 52–61 s measured, 35 s unwatched).  So the PSS sum is read again only after
#: PSS_PACE times as long as its last reading took: at most a twentieth of a core.
PSS_PACE = 20

#: England `allocate --no-returns` before round 2's performance work (docs/performance.md), seconds.
ENGLAND_BEFORE_SECONDS = 4.24

#: (case, limit, what the limit applies to) — the performance targets for a 2-core machine.
TARGETS = {
    "la allocate / physical floor": (2.5, "ratio"),
    "la allocate peak MB": (250, "MB"),
    "england allocate --no-returns": (0.75 * ENGLAND_BEFORE_SECONDS, "s"),
    "england allocate --no-returns peak MB": (640, "MB"),
    "england validate peak MB": (640, "MB"),
    "england allocate / --no-returns": (3.0, "ratio"),
    "simulate scenarios / allocate": (3.0, "ratio"),
    "sample england peak MB": (1000, "MB"),
    "senrun --help": (0.25, "s"),
    "round 2 on / off": (1.15, "ratio"),
}


@dataclass
class Run:
    """One run of a command: wall time, memory and the CPU time of all its processes (a figure the
    machine's other work disturbs less than wall time).

    `largest_mb` is the largest peak of any one of its processes (VmHWM); `together_mb` the most
    its processes held at one moment, summed as proportional set sizes (PSS: a page two processes
    share counts half to each), sampled every 10 ms.  The peak is the larger of the two.
    """

    seconds: float
    largest_mb: float
    together_mb: float
    cpu_seconds: float

    @property
    def peak_mb(self) -> float:
        return max(self.largest_mb, self.together_mb)


@dataclass
class Case:
    """A command measured several times."""

    name: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def fastest(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def slowest(self) -> float:
        return max(r.seconds for r in self.runs)

    def spread(self) -> str:
        """min / median / max of the wall times."""
        return f"{self.fastest:.2f} / {self.seconds:.2f} / {self.slowest:.2f} s"


def ratio_text(case: Case, base: Case) -> tuple[float, str]:
    """The median ratio of two cases run interleaved, and min / median / max of the per-round ratios."""
    ratios = sorted(a.seconds / b.seconds for a, b in zip(case.runs, base.runs))
    median = statistics.median(ratios)
    return median, f"{median:.2f}× (min {ratios[0]:.2f}×, max {ratios[-1]:.2f}×)"


# --- measuring ----------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (the returns' fork server and its workers are grandchildren)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def high_water_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB; 0 if it is gone."""
    return _status_mb(f"/proc/{pid}/status", "VmHWM:")


def pss_mb(pid: int) -> float:
    """The process's proportional set size now, in MB; 0 if it is gone."""
    return _status_mb(f"/proc/{pid}/smaps_rollup", "Pss:")


def _status_mb(path: str, key: str) -> float:
    try:
        with open(path) as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def measure(command: list[str], env: dict[str, str]) -> Run:
    """Run `command`; its wall time, memory and CPU time, its descendants' included.

    senrun's command is a small watching process whose child does the work (cli/supervise.py),
    and the returns' workers are children of a fork server the command does not wait for. So
    the figures are read from /proc every 10 ms while the command runs, for the command and every
    process below it: each one's peak (VmHWM) and CPU time, the last reading kept; and the sum of
    their PSS at that moment, as often as PSS_PACE lets it be read.  The command's own `ru_maxrss` and CPU time from wait4() cover the
    processes it waited for, to their end.  What a process does in its last 10 ms could be missed
    by the readings.
    """
    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}
    together = [0.0]
    errors = tempfile.TemporaryFile()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
    done = threading.Event()

    def poll() -> None:
        pss_due = 0.0
        while not done.is_set():
            if os.path.exists("/proc"):
                pids = descendants(process.pid) | {process.pid}
                for pid in pids:
                    peaks[pid] = max(peaks.get(pid, 0.0), high_water_mb(pid))
                    cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
                if time.perf_counter() >= pss_due:
                    began = time.perf_counter()
                    together[0] = max(together[0], sum(pss_mb(pid) for pid in pids))
                    took = time.perf_counter() - began
                    pss_due = began + max(POLL_SECONDS, PSS_PACE * took)
            done.wait(POLL_SECONDS)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    text = errors.read().decode(errors="replace")
    errors.close()
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{text}")
    # wait4() counts the command and every process reaped below it, to their end; the readings count
    # every process's own time (the fork server's workers too, which nothing below the command
    # reaps) but its last 10 ms: the larger of the two is the closer figure
    cpu_total = max(usage.ru_utime + usage.ru_stime, sum(cpu.values()))
    largest = max(usage.ru_maxrss / 1024, max(peaks.values(), default=0.0))
    return Run(seconds, largest, together[0], cpu_total)


def child_env() -> dict[str, str]:
    """The environment for the commands: as the user's, with Python's bytecode cache allowed
    (an installed senrun has its .pyc files; a PYTHONDONTWRITEBYTECODE set for development
    would otherwise make every run compile senrun's modules afresh)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_cases(cases: list[Case], times: int, env: dict[str, str], say) -> None:
    """Run each case once unmeasured, then `times` rounds with the cases interleaved, so that a
    busy moment of the machine falls on every case alike (the floor beside the allocate)."""
    for case in cases:
        measure(case.command, env)
    for n in range(times):
        for case in cases:
            case.runs.append(measure(case.command, env))
            last = case.runs[-1]
            say(f"  {case.name}: run {n + 1}/{times} {last.seconds:.2f} s, {last.peak_mb:.0f} MB, "
                f"{last.cpu_seconds:.2f} s CPU")


# --- data -----------------------------------------------------------------------------

def sample(scale: str, seed: int, python: str, say) -> Path:
    """The sample data set of `scale` and `seed`: from bench/cache if there, else made by `senrun sample`."""
    folder = CACHE / f"{scale}-{seed}"
    if (folder / "senrun.yaml").is_file():
        return folder
    legacy = CACHE / scale  # an England set made before the cache was keyed by seed
    if (legacy / "senrun.yaml").is_file() and f"seed {seed})" in (legacy / "senrun.yaml").read_text():
        return legacy
    say(f"making the {scale} sample (seed {seed}) in {folder} …")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([python, "-m", "senrun", "sample", "--scale", scale, "--seed", str(seed), "--out", str(partial)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=child_env())
    partial.rename(folder)
    return folder


# --- the report -----------------------------------------------------------------------

def verdict(value: float, target: str) -> str:
    limit, _ = TARGETS[target]
    return "ok" if value <= limit else "MISSED"


def rows_of(cases: dict[str, Case]) -> list[tuple[str, str, str, str]]:
    """The table: (what, measured, target, verdict); wall times as min / median / max."""
    la, floor, io_floor = cases["la allocate"], cases["la physical floor"], cases["la I/O floor"]
    rows = [("la allocate --jobs 2", f"{la.spread()} ({la.cpu_seconds:.2f} s CPU)", "", ""),
            ("la physical floor (bench/floor.py)", f"{floor.spread()} ({floor.cpu_seconds:.2f} s CPU)", "", ""),
            ("la I/O floor (bench/io_floor.py --jobs 2)", f"{io_floor.spread()}", "", "")]
    ratio, text = ratio_text(la, floor)
    rows.append(("la allocate / physical floor", text, "≤ 2.5×", verdict(ratio, "la allocate / physical floor")))
    rows.append(("la allocate / I/O floor", ratio_text(la, io_floor)[1], "(reference)", ""))
    rows.append(("la allocate peak (all its processes at once)", f"{la.peak_mb:.0f} MB", "≤ 250 MB",
                 verdict(la.peak_mb, "la allocate peak MB")))
    if "simulate" in cases:
        sim = cases["simulate"]
        rows.append((f"la simulate, {SCENARIOS} scenarios", f"{sim.spread()}, {sim.peak_mb:.0f} MB", "", ""))
        ratio, text = ratio_text(sim, cases["la allocate (beside simulate)"])
        rows.append((f"simulate {SCENARIOS} scenarios / one la allocate", text,
                     "≤ 3×", verdict(ratio, "simulate scenarios / allocate")))
    rows += england_rows(cases)
    helped = cases["help"]
    rows.append(("senrun --help", f"{helped.fastest:.3f} / {helped.seconds:.3f} / {helped.slowest:.3f} s",
                 "≤ 0.25 s", verdict(helped.seconds, "senrun --help")))
    return rows


def england_rows(cases: dict[str, Case]) -> list[tuple[str, str, str, str]]:
    """The England cases' rows, where they ran."""
    rows = []
    if "england --no-returns" in cases:
        eng = cases["england --no-returns"]
        limit = TARGETS["england allocate --no-returns"][0]
        rows.append(("england allocate --no-returns", eng.spread(),
                     f"≤ {limit:.2f} s (0.75 × {ENGLAND_BEFORE_SECONDS} s)",
                     verdict(eng.seconds, "england allocate --no-returns")))
        rows.append(("england allocate --no-returns peak", f"{eng.peak_mb:.0f} MB", "≤ 640 MB",
                     verdict(eng.peak_mb, "england allocate --no-returns peak MB")))
    if "england validate" in cases:
        val = cases["england validate"]
        rows.append(("england validate", f"{val.spread()}, {val.peak_mb:.0f} MB", "≤ 640 MB",
                     verdict(val.peak_mb, "england validate peak MB")))
    if "england" in cases and "england --no-returns" in cases:
        full = cases["england"]
        ratio, text = ratio_text(full, cases["england --no-returns"])
        rows.append(("england allocate --jobs 2 (21,600 returns)", f"{full.spread()}, {full.peak_mb:.0f} MB", "", ""))
        rows.append(("england allocate / --no-returns", text, "≤ 3×", verdict(ratio, "england allocate / --no-returns")))
    if "england round 2" in cases:
        ratio, text = ratio_text(cases["england round 2"], cases["england round 2 off"])
        rows.append(("england --no-returns, every round-2 feature on / off", text, "≤ 1.15×",
                     verdict(ratio, "round 2 on / off")))
    if "sample england" in cases:
        made = cases["sample england"]
        rows.append(("senrun sample --scale england", f"{made.spread()}, {made.peak_mb:.0f} MB", "≤ 1,000 MB",
                     verdict(made.peak_mb, "sample england peak MB")))
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows + [("case", "measured", "target", "")]) for i in range(4)]
    for r in [("case", "measured", "target", ""), tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())


def machine() -> dict:
    """What the figures were measured on."""
    import polars

    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "polars": polars.__version__, "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


# --- main -----------------------------------------------------------------------------

def portable(command: list[str], work: Path) -> str:
    """The command as anyone can read it: paths relative to the project, the scratch folder as <tmp>."""
    text = " ".join(command).replace(str(work), "<tmp>")
    return text.replace(f"{ROOT}/", "").replace(str(ROOT), ".")


def la_cases(cases: dict[str, Case], senrun: list[str], python: str, config: str, work: Path) -> None:
    """The council-scale cases: senrun's allocate, the physical floor and the I/O floor."""
    cases["la physical floor"] = Case("la physical floor", [python, str(BENCH / "floor.py"), "--config", config,
                                                            "--like", str(work / "like"), "--out", str(work / "pf")])
    cases["la I/O floor"] = Case("la I/O floor", [python, str(BENCH / "io_floor.py"), "--config", config,
                                                  "--out", str(work / "floor"), "--jobs", str(JOBS)])
    cases["la allocate"] = Case("la allocate", [*senrun, "allocate", "--config", config, "--out",
                                                str(work / "la"), "--jobs", str(JOBS), "--quiet"])


def england_cases(cases: dict[str, Case], senrun: list[str], python: str, work: Path, times: int, env, say) -> None:
    """England's cases: allocate with and without the returns (interleaved), validate, and making the sample."""
    england = str(sample("england", SEED, python, say) / "senrun.yaml")
    say(f"england: {england}")
    cases["england --no-returns"] = Case("england --no-returns", [
        *senrun, "allocate", "--config", england, "--out", str(work / "en"), "--no-returns", "--quiet"])
    cases["england"] = Case("england", [*senrun, "allocate", "--config", england, "--out", str(work / "enr"),
                                        "--jobs", str(JOBS), "--quiet"])
    run_cases([cases["england --no-returns"], cases["england"]], times, env, say)
    round2 = round2_case(senrun, python, Path(england).parent, work, env, say)
    if round2 is not None:
        # its own plain runs, interleaved with it, so each round's ratio compares runs made side by side
        plain = Case("england --no-returns (beside round 2)", cases["england --no-returns"].command)
        cases["england round 2"], cases["england round 2 off"] = round2, plain
        run_cases([plain, round2], times, env, say)
    cases["england validate"] = Case("england validate", [*senrun, "validate", "--config", england])
    run_cases([cases["england validate"]], times, env, say)
    cases["sample england"] = Case("sample england", [*senrun, "sample", "--scale", "england", "--seed", str(SEED),
                                                      "--out", str(work / "sample-en")])
    run_cases([cases["sample england"]], times, env, say)


def last_years_config(england: Path) -> Path:
    """The England config moved back a year (the same inputs, its period a year earlier): the run
    whose psf.csv is the round-2 case's register, last year's as --register must be."""
    import re

    text = (england / "senrun.yaml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^year: .*$', 'year: "2012-13"', text)
    text = re.sub(r'(?m)^period: .*$', "period: {start: 2012-04-01, end: 2013-03-31}", text)
    config = england / "senrun-last-year.yaml"
    config.write_text(text, encoding="utf-8")
    return config


def round2_case(senrun: list[str], python: str, england: Path, work: Path, env, say) -> Case | None:
    """England with successions, histories, dual registrations and a register (bench/round2_data.py),
    or None where this senrun has no --register yet."""
    usage = subprocess.run([*senrun, "allocate", "--help"], capture_output=True, text=True, env=env).stdout
    if "--register" not in usage:
        say("  (no --register in this senrun: the round-2 case is left out)")
        return None
    data = england.with_name(england.name + "-round2")
    if not (data / "senrun.yaml").is_file():
        say(f"making the round-2 England data in {data} …")
        subprocess.run([python, str(BENCH / "round2_data.py"), "--from", str(england), "--out", str(data)],
                       check=True, cwd=ROOT, env=env)
    register = work / "en-register"
    subprocess.run([*senrun, "allocate", "--config", str(last_years_config(england)), "--out", str(register),
                    "--no-returns", "--quiet"], check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return Case("england round 2", [*senrun, "allocate", "--config", str(data / "senrun.yaml"), "--out",
                                    str(work / "en2"), "--no-returns", "--quiet", "--register", str(register)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="senrun's benchmarks (docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="one or two runs of each case instead of 3–5")
    parser.add_argument("--skip", action="append", default=[], choices=["england", "simulate"],
                        help="leave out the England cases or the simulate case")
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    args = parser.parse_args(argv)
    python = sys.executable
    script = Path(python).parent / "senrun"  # the command a user types, as installed beside this Python
    senrun = [str(script)] if script.is_file() else [python, "-m", "senrun"]
    say = lambda text: print(text, flush=True)  # noqa: E731
    env = child_env()
    started = machine()
    la = sample("la", SEED, python, say)
    la_config = str(la / "senrun.yaml")
    cases: dict[str, Case] = {}
    with tempfile.TemporaryDirectory(prefix="senrun-bench-") as tmp:
        work = Path(tmp)
        la_cases(cases, senrun, python, la_config, work)
        say(f"la: {la}")
        subprocess.run(cases["la allocate"].command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        shutil.copytree(work / "la", work / "like")  # senrun's own output: the bytes the floor writes
        run_cases([cases["la physical floor"], cases["la I/O floor"], cases["la allocate"]],
                  2 if args.quick else 5, env, say)
        if "simulate" not in args.skip:
            values = ",".join(str(2000 + 5 * i) for i in range(SCENARIOS))  # £2,000 – £6,995: all within the la pot
            cases["simulate"] = Case("simulate", [*senrun, "simulate", "--config", la_config, "--set",
                                                  f"lump_sum.rate={values}", "--out", str(work / "sim"), "--quiet"])
            # beside its own la allocate runs, interleaved, as the ratio's other side
            cases["la allocate (beside simulate)"] = Case("la allocate (beside simulate)",
                                                          cases["la allocate"].command)
            run_cases([cases["la allocate (beside simulate)"], cases["simulate"]], 2 if args.quick else 5, env, say)
        cases["help"] = Case("help", [*senrun, "--help"])
        run_cases([cases["help"]], 5 if args.quick else 21, env, say)
        if "england" not in args.skip:
            england_cases(cases, senrun, python, work, 1 if args.quick else 5, env, say)
    rows = rows_of(cases)
    print()
    print_table(rows)
    report = {
        "machine": {**started, "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "method": "median of the runs after one unmeasured run; peak = the larger of the largest process's "
                  "VmHWM and the most the command's processes held at once (sum of PSS, sampled every 10 ms); "
                  "cpu = the command's and its descendants' user + system time",
        "table": [{"case": r[0], "measured": r[1], "target": r[2], "verdict": r[3]} for r in rows],
        "cases": {name: {"command": portable(c.command, work), "median_seconds": round(c.seconds, 3),
                         "fastest_seconds": round(c.fastest, 3),
                         "median_peak_mb": round(c.peak_mb, 1), "median_cpu_seconds": round(c.cpu_seconds, 3),
                         "runs": [asdict(r) for r in c.runs]}
                  for name, c in cases.items()},
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
