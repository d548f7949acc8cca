"""`make soak`: the long fault loops kept out of `make test` (docs/reliability.md, "Round 2: outputs").

    python bench/soak.py                 # or: make soak
    python bench/soak.py --kills 20      # fewer kills
    python bench/soak.py --memory        # also the low-memory loop (ulimit -v, Linux)
    python bench/soak.py --kills 0 --hangups 40   # only the hang-up loop

1. **Kills**: `senrun allocate --jobs 2` on the committed sample (`config/senrun.yaml`, about
   420 schools, so two processes build the returns), killed with SIGKILL at a random moment,
   `--kills` times (default 100).  The caller reads the run's stdout and stderr to the end
   *before* reaping it — while it is a zombie — as a script or CI job does; no read may last
   longer than 20 s after the kill (a helper of the run holding its output would make it
   last for ever), and after the next run's recovery (`atomic.recover`) the output folder
   must be the complete run.
2. **Hang-ups** (`--hangups N`, default 20): the same run in a session of its own, sent SIGHUP or SIGTERM
   (in turn) to its whole process group at a random moment, as a closed ssh session or systemd does.
   Each run must end within 60 s (none may hang), print no traceback, exit 0 or with the signal's
   code (129, 143; or die of it while Python is still starting, before senrun's handlers are in
   place), and leave the output folder whole and nothing beside it.
3. **Memory** (`--memory`): `senrun allocate` under `ulimit -v` from 150 MB to 1 GB; every run
   must end with exit 0, or exit 1 with senrun's one line last on stderr and no traceback
   (an allocation failing inside Polars prints Rust's own line before it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from senrun.outputs import atomic  # noqa: E402
CONFIG = ROOT / "config" / "senrun.yaml"
SENRUN = [sys.executable, "-m", "senrun"]


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def allocate(out: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([*SENRUN, "allocate", "-c", str(CONFIG), "-o", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, **kwargs)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return False


def one_kill(out: Path, after: float, whole: dict[str, str]) -> str | None:
    """Kill a run `after` seconds in; returns a problem, or None."""
    run = allocate(out)
    ended: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s: ended.append(s.read()), daemon=True)
               for s in (run.stdout, run.stderr)]
    for reader in readers:
        reader.start()
    time.sleep(after)
    try:
        os.kill(run.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    killed = time.monotonic()
    for reader in readers:  # not reaped yet: the run is a zombie while it is read
        reader.join(timeout=max(0.0, 20 - (time.monotonic() - killed)))
    problem = None
    if any(r.is_alive() for r in readers):
        problem = f"kill at {after:.2f} s: the caller was still waiting for EOF 20 s after the kill"
    run.wait()
    return problem


def kills(n: int, seed: int) -> int:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="senrun-soak-") as tmp:
        reference = Path(tmp) / "reference"
        started = time.monotonic()
        done = allocate(reference)
        done.communicate()
        span = time.monotonic() - started
        assert done.returncode == 0, "the reference run failed"
        whole = digest(reference)
        problems = []
        for i in range(n):
            out = Path(tmp) / "out"
            problem = one_kill(out, rng.uniform(0, span), whole)
            atomic.recover(out)  # what the next run does first: the folder is whole again
            if out.exists() and digest(out) != whole:
                problem = problem or "after the recovery, the folder is not the complete run"
            if problem:
                problems.append(problem)
            print(f"kill {i + 1}/{n}: {problem or 'ok'}", flush=True)
    print(f"{n} kills with --jobs 2: {n - len(problems)} never kept the caller waiting and left a whole folder")
    return len(problems)


def hangups(n: int, seed: int) -> int:
    rng = random.Random(seed)
    problems = 0
    with tempfile.TemporaryDirectory(prefix="senrun-hup-") as tmp:
        out = Path(tmp) / "out"
        started = time.monotonic()
        allocate(out).communicate()
        span = time.monotonic() - started
        for i in range(n):
            stop = (signal.SIGHUP, signal.SIGTERM)[i % 2]
            run = allocate(out, start_new_session=True)
            time.sleep(rng.uniform(0.2, span))
            try:
                os.killpg(run.pid, stop)
            except ProcessLookupError:
                pass
            try:
                _, err = run.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.communicate()
                err, problem = b"", "hung: still running 60 s after the signal"
            else:
                litter = [p.name for p in Path(tmp).iterdir() if p.name != "out" and "senrun" in p.name]
                problem = ("a traceback" if b"Traceback" in err else
                           f"exit {run.returncode}" if run.returncode not in (0, 128 + stop, -stop) else
                           f"left {litter}" if litter else
                           "the folder is not a whole run" if not (out / atomic.MANIFEST).is_file() else None)
            problems += problem is not None
            print(f"{stop.name} to the group {i + 1}/{n}: {problem or 'ok'}", flush=True)
    print(f"{n} hang-ups and terminations of the whole group: {n - problems} ended cleanly")
    return problems


def memory() -> int:
    bad = 0
    aborts = 0
    for megabytes in (150, 200, 300, 400, 500, 600, 700, 800, 1000):
        limit = megabytes * 1024 * 1024

        def cap(limit=limit) -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        with tempfile.TemporaryDirectory(prefix="senrun-mem-") as tmp:
            run = subprocess.run([*SENRUN, "allocate", "-c", str(CONFIG), "-o", str(Path(tmp) / "out"), "--jobs", "1",
                                  "-q"], cwd=ROOT, capture_output=True, preexec_fn=cap, timeout=300)
        lines = [line for line in run.stderr.decode(errors="replace").splitlines()
                 if line.strip() and "jemalloc" not in line and "UserWarning" not in line
                 and "get_polars_version" not in line]
        # Rust prints its own line or two ("memory allocation of … bytes failed") before it aborts;
        # senrun's one line must come last, and no traceback anywhere
        clear = run.returncode == 0 or (run.returncode == 1 and lines and lines[-1].startswith("senrun ")
                                        and not any("Traceback" in line for line in lines))
        aborts += run.returncode in (-signal.SIGABRT, 134)
        bad += not clear
        print(f"ulimit -v {megabytes} MB: exit {run.returncode}; {lines[-1] if lines else '(nothing on stderr)'}")
    print(f"memory: {bad} runs without a clear ending, {aborts} aborts inside native code")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--hangups", type=int, default=20)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    failed = kills(args.kills, args.seed) if args.kills else 0
    failed += hangups(args.hangups, args.seed) if args.hangups else 0
    if args.memory:
        failed += memory()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
