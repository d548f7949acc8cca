"""Kill tests and write faults: a run killed or refused at any step of writing leaves the output
folder whole (SPEC §5 "nothing is written", §6; docs/reliability.md, "Kill tests").

`senrun allocate` runs in a subprocess with SENRUN_TEST_KILL_AT=<checkpoint>#<n>, and
kills itself with SIGKILL at that step (senrun.outputs.atomic.CHECKPOINTS).  Before each
kill, `out/` holds last year's run; afterwards it must be, byte for byte, last year's run
(or, killed between the two renames of the swap, last year's run waiting under
`.out.senrun-old`, which the next run's recovery puts back), or — killed after the swap —
exactly this year's complete run, as a reference run into another folder wrote it.  Never
a partial folder.  Then the next run must clear the litter and give the reference.

Faults that a running senrun sees as errors (no permission, a full disk) are raised from
the file-system layer by monkeypatch (the tests run as root, which ignores chmod), and,
where the machine lets the tests mount a tmpfs, for real.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.outputs import atomic, write_outputs
from senrun.pipeline import allocate
from senrun.inputs.upn import check_letter

from builders import statement, write_run


def upn(body: str) -> str:
    return check_letter(body) + body


SCHOOLS = [
    {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00", "pupils": "100"},
    {"school_id": "B", "school_name": "Bromwell Primary", "cluster_id": "C1", "ssa": "2000.00", "pupils": "200"},
    {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "3000.00", "pupils": "300"},
    {"school_id": "D", "school_name": "Dale Infant", "cluster_id": "C2", "ssa": "1500.00", "pupils": "150"},
    {"school_id": "E", "school_name": "Elm Junior", "cluster_id": "C2", "ssa": "1700.00", "pupils": "170"},
]
STATEMENTS = [
    statement(upn("801200005001"), "2006-05-01", "A"),
    statement(upn("801200005002"), "2004-02-01", "B", annual="5000.00"),
    statement(upn("801200005003"), "2001-10-01", "H", annual="12000.00"),
    statement(upn("801200005004"), "2007-03-03", "D", annual="3000.00"),
]
LAST_YEAR_BUDGET = {"pupil_specific_pot": 950000}

# The files a run writes: schools.csv, clusters.csv, psf.csv, allocations.xlsx, pupils.xlsx,
# clusters/<cluster>.xlsx × 2 and returns/<school>.xlsx × 5 (these two on the returns' thread),
# manifest.json.
CLUSTERS = len({s["cluster_id"] for s in SCHOOLS})
FILES = 5 + CLUSTERS + len(SCHOOLS) + 1
FIRST_RETURN, MANIFEST = 5, FILES

#: The files after which `make test` kills a run: the third, the first return (on the
#: returns' thread beside the workbook) and the manifest (`make test-slow`: after every file).
SOME_FILES = {3, FIRST_RETURN, MANIFEST}
EVERY_FILE = bool(os.environ.get("SENRUN_SLOW"))
#: (checkpoint, n): kill the n-th time the run passes that checkpoint.
KILLS = [
    ("recovered", 1),
    ("staging-made", 1),
    ("dir-made", 1),  # returns/, still empty
    ("file-created", 1), ("file-half-written", MANIFEST),
    *([("file-created", MANIFEST), ("file-half-written", 1)] if EVERY_FILE else []),
    # a return's, on the returns' thread (`make test-slow`)
    *([("file-created", FIRST_RETURN), ("file-half-written", FIRST_RETURN + 2)] if EVERY_FILE else []),
    # after each kind of file (`make test-slow`: after every file in turn)
    *[("file-written", n) for n in range(1, FILES + 1) if EVERY_FILE or n in SOME_FILES],
    ("all-written", 1),
    ("old-moved-aside", 1),
    ("new-swapped-in", 1),
    ("half-removed", 1),  # the old folder half deleted, after the swap
    ("old-removed", 1),
]
SWAPPED = ("new-swapped-in", "half-removed", "old-removed")  # killed after the new folder is `out`
#: Kills of a first run, into no folder at all.
FIRST_RUN_KILLS = [("staging-made", 1), ("file-written", MANIFEST), ("all-written", 1), ("new-swapped-in", 1)]
#: A run killed here is followed by one killed while it clears the litter, then by a clean one.
TWICE_KILLED = ["new-swapped-in", *(["old-moved-aside", "file-half-written"] if EVERY_FILE else [])]


def kill_id(kill: tuple[str, int]) -> str:
    return f"{kill[0]}#{kill[1]}"


# --- helpers ----------------------------------------------------------------------------

def snapshot(folder: Path) -> dict[str, str]:
    """Every file (relative path → SHA-256) and folder (relative path/ → 'dir') under `folder`."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel + "/" if path.is_dir() else rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def beside(folder: Path) -> list[str]:
    """What is in the folder that holds `out` (but for the lock file a killed run leaves, which
    holds nothing and locks nothing once its run is gone: outputs/lock.py)."""
    return sorted(p.name for p in folder.iterdir() if p.name != ".out.lock")


def senrun_allocate(config: Path, out: Path, kill: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != atomic.KILL_ENV}
    if kill:
        env[atomic.KILL_ENV] = kill
    return subprocess.run([sys.executable, "-m", "senrun", "allocate", "--config", str(config), "--out", str(out),
                           "--jobs", "1", "--quiet"],
                          env=env, cwd=config.parent, capture_output=True, text=True, timeout=300)


@dataclass
class World:
    config: Path  # this year's run
    old_out: Path  # last year's run, as `senrun allocate` wrote it
    old: dict[str, str]  # its snapshot
    new: dict[str, str]  # this year's run, as a reference run wrote it
    new_bytes: dict[str, bytes]
    result: object  # this year's RunResult, for the next runs in-process


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    base = tmp_path_factory.mktemp("faults")
    (base / "inputs").mkdir()
    (base / "last-year").mkdir()
    config = write_run(base / "inputs", statements=STATEMENTS, schools=SCHOOLS)
    last_year = write_run(base / "last-year", statements=STATEMENTS, schools=SCHOOLS, budget=LAST_YEAR_BUDGET)
    for cfg, out in ((last_year, base / "old"), (config, base / "reference")):
        done = senrun_allocate(cfg, out)
        assert done.returncode == 0, done.stderr
    new_bytes = {p.relative_to(base / "reference").as_posix(): p.read_bytes()
                 for p in (base / "reference").rglob("*") if p.is_file()}
    return World(config, base / "old", snapshot(base / "old"), snapshot(base / "reference"), new_bytes,
                 allocate(load_config(config)))


@pytest.fixture(scope="module")
def kills(world, tmp_path_factory) -> dict[tuple[str, str], tuple[Path, subprocess.CompletedProcess]]:
    """Every kill of the tests below, each in its own folder, run a few at a time (they are
    independent, and each is mostly Python starting up): (test, kill) → (folder, the run)."""
    base = tmp_path_factory.mktemp("kills")
    runs = {}
    for test, cases, previous in (("any-step", [kill_id(k) for k in KILLS], True),
                                  ("first-run", [kill_id(k) for k in FIRST_RUN_KILLS], False),
                                  ("twice", [f"{name}#1" for name in TWICE_KILLED], True)):
        for kill in cases:
            folder = base / f"{test}-{kill.replace('#', '-')}"
            folder.mkdir()
            out = last_years_run(folder, world) if previous else folder / "out"
            runs[(test, kill)] = (folder, out, kill)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        done = {key: pool.submit(senrun_allocate, world.config, out, kill) for key, (_, out, kill) in runs.items()}
        return {key: (runs[key][0], future.result()) for key, future in done.items()}


def last_years_run(folder: Path, world: World) -> Path:
    """`folder/out` holding last year's run, byte for byte."""
    out = folder / "out"
    shutil.copytree(world.old_out, out)
    assert snapshot(out) == world.old
    return out


def was_killed(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == -signal.SIGKILL, f"not killed: exit {run.returncode}\n{run.stderr}"


def recovered_copy(folder: Path, to: Path) -> dict[str, str]:
    """What the next run's recovery makes of `folder`, done on a copy; returns `out`'s snapshot."""
    shutil.copytree(folder, to)
    atomic.recover(to / "out")
    assert beside(to) == ["out"]
    return snapshot(to / "out")


def next_run_is_clean(world: World, folder: Path) -> None:
    """The next run (in-process: the same write_outputs) clears the litter and writes the reference."""
    write_outputs(world.result, folder / "out", jobs=1)
    assert beside(folder) == ["out"]
    assert snapshot(folder / "out") == world.new


# --- the checkpoints --------------------------------------------------------------------

def test_every_checkpoint_is_killed_at_and_a_run_passes_them_as_counted(world, tmp_path, monkeypatch):
    assert {name for name, _ in KILLS} == set(atomic.CHECKPOINTS)
    passed: list[str] = []
    monkeypatch.setattr(atomic, "checkpoint", passed.append)
    monkeypatch.setattr(atomic, "_KILL_AT", ("old-removed", 99))  # take the kill-test paths, never die
    out = last_years_run(tmp_path, world)
    write_outputs(world.result, out, jobs=1)
    assert snapshot(out) == world.new and beside(tmp_path) == ["out"]
    # first reached in the order listed, but for returns/: it is made by the thread writing the returns,
    # which may come before or after the first of the other files (outputs/writer.py)
    first = list(dict.fromkeys(passed))
    assert [c for c in first if c != "dir-made"] == [c for c in atomic.CHECKPOINTS if c != "dir-made"]
    assert first.index("staging-made") < first.index("dir-made") < first.index("all-written")
    assert {name: passed.count(name) for name in atomic.CHECKPOINTS} == {
        **dict.fromkeys(atomic.CHECKPOINTS, 1),
        "file-created": FILES, "file-half-written": FILES, "file-written": FILES,
        "dir-made": 2}  # returns/ and clusters/
    assert len([k for k in world.new if not k.endswith("/")]) == FILES


@pytest.mark.parametrize("kill", [pytest.param(k, marks=pytest.mark.slow) if k[0] == "file-written"
                                  and k[1] not in SOME_FILES else k for k in KILLS], ids=kill_id)
def test_a_run_killed_at_any_step_leaves_the_old_folder_or_the_whole_new_one(world, kills, tmp_path, kill):
    name, n = kill
    folder, run = kills[("any-step", kill_id(kill))]
    was_killed(run)
    out = folder / "out"

    litter = [p for p in beside(folder) if p != "out"]
    staging, old = atomic.staging_path(out), atomic.old_path(out)
    if name in SWAPPED:
        assert snapshot(out) == world.new  # the whole new folder, as the reference run wrote it
        assert litter == ([] if name == "old-removed" else [old.name])
    elif name == "old-moved-aside":
        assert not out.exists() and snapshot(old) == world.old  # last year's run, whole, waiting
        assert snapshot(staging) == world.new and litter == [staging.name, old.name]
    else:
        assert snapshot(out) == world.old  # untouched, byte for byte
        assert litter == ([] if name == "recovered" else [staging.name])
    if name.startswith("file-"):  # killed where it says: n files begun, the n-th as far as named
        written = {p.relative_to(staging).as_posix(): p.read_bytes() for p in staging.rglob("*") if p.is_file()}
        assert len(written) == n
        unfinished = [rel for rel, data in written.items() if data != world.new_bytes[rel]]
        if name == "file-written":
            assert unfinished == []
        else:
            [rel] = unfinished
            whole = world.new_bytes[rel]
            assert written[rel] == (b"" if name == "file-created" else whole[: len(whole) // 2])

    # the next run's first step puts it right (shown on a copy) …
    expected = world.new if name in SWAPPED else world.old
    assert recovered_copy(folder, tmp_path / "copy") == expected
    # … and the next run itself clears the litter and succeeds
    next_run_is_clean(world, folder)


@pytest.mark.parametrize("kill", FIRST_RUN_KILLS, ids=kill_id)
def test_a_first_run_killed_leaves_no_folder_or_the_whole_new_one(world, kills, kill):
    folder, run = kills[("first-run", kill_id(kill))]
    was_killed(run)
    out = folder / "out"
    if kill[0] == "new-swapped-in":
        assert snapshot(out) == world.new and beside(folder) == ["out"]
    else:
        assert not out.exists() and beside(folder) == [atomic.staging_path(out).name]
    next_run_is_clean(world, folder)


@pytest.mark.parametrize("first", TWICE_KILLED)
def test_a_run_killed_while_it_clears_an_earlier_kill_is_put_right_by_the_one_after(world, kills, first):
    """The next run is killed half-way through deleting the litter (in `recover`); a third run succeeds."""
    folder, run = kills[("twice", f"{first}#1")]
    was_killed(run)
    out = folder / "out"
    litter = [p for p in beside(folder) if p != "out"]
    assert litter
    was_killed(senrun_allocate(world.config, out, "half-removed#1"))
    assert snapshot(out) == (world.new if first in SWAPPED else world.old)
    left = [p for p in beside(folder) if p != "out"]
    assert len(left) == 1 and left[0] in litter  # what is left of the litter it was deleting
    run = senrun_allocate(world.config, out)  # the real command this time
    assert run.returncode == 0, run.stderr
    assert beside(folder) == ["out"] and snapshot(out) == world.new


def test_a_kill_plan_that_names_no_checkpoint_is_refused():
    assert atomic._kill_plan(None) is None and atomic._kill_plan("") is None
    assert atomic._kill_plan("file-written") == ("file-written", 1)
    assert atomic._kill_plan("file-written#7") == ("file-written", 7)
    for bad in ("file-writen", "file-written#0", "file-written#x", "#2"):
        with pytest.raises(ValueError, match="SENRUN_TEST_KILL_AT"):
            atomic._kill_plan(bad)


# --- a folder that cannot be written, a full disk ----------------------------------------

EACCES = OSError(errno.EACCES, "Permission denied")
ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def fails(real, error: OSError, on_call: int = 1, only=lambda path: True):
    """`real`, but raising `error` on its `on_call`-th use for a path that `only` accepts."""
    count = [0]

    def layer(path, *args):
        if only(Path(path)):
            count[0] += 1
            if count[0] == on_call:
                raise error
        return real(path, *args)
    return layer


FAULTS = {
    "no permission to make the staging folder": ("make_own_dir", EACCES, 1, lambda p: p.name.endswith(".senrun-new")),
    "no permission to make returns/": ("make_dir", EACCES, 1, lambda p: p.name == "returns"),
    "disk full making the staging folder": ("make_own_dir", ENOSPC, 1, lambda p: p.name.endswith(".senrun-new")),
    "no permission to write the first file": ("write_file", EACCES, 1, lambda p: True),
    "disk full at the first file": ("write_file", ENOSPC, 1, lambda p: True),
    "disk full at a return": ("write_file", ENOSPC, FIRST_RETURN + 1, lambda p: True),
    "disk full at the manifest": ("write_file", ENOSPC, MANIFEST, lambda p: True),
    "no permission to move the old folder aside": ("rename", EACCES, 1, lambda p: p.name == "out"),
}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.replace(" ", "-"))
def test_a_folder_that_cannot_be_written_or_a_full_disk_is_a_clear_error_and_changes_nothing(
        world, tmp_path, monkeypatch, fault):
    layer, error, on_call, only = FAULTS[fault]
    out = last_years_run(tmp_path, world)
    monkeypatch.setattr(atomic, layer, fails(getattr(atomic, layer), error, on_call, only))
    with pytest.raises(SenrunError) as caught:
        write_outputs(world.result, out, jobs=1)
    assert str(caught.value) == f"cannot write to {out}: {error.strerror}"
    assert snapshot(out) == world.old and beside(tmp_path) == ["out"]


def test_a_staging_folder_planted_while_senrun_starts_is_refused_and_nothing_goes_through_its_links(
        world, tmp_path, monkeypatch):
    """Anyone who can write beside --out (a team's shared parent folder) could make the staging folder between
    senrun clearing the way and making it, with a link named psf.csv in it: the run wrote every child's lines
    through the link to a file of theirs, and said "Wrote …"."""
    out = last_years_run(tmp_path, world)
    stolen = tmp_path / "elsewhere" / "psf.csv"
    stolen.parent.mkdir()
    real_check = atomic.check_target

    def planted(*args, **kwargs):  # the race, won: just before senrun makes its staging folder
        real_check(*args, **kwargs)
        staging = atomic.staging_path(out)
        staging.mkdir(mode=0o777)
        (staging / "psf.csv").symlink_to(stolen)

    monkeypatch.setattr(atomic, "check_target", planted)
    with pytest.raises(SenrunError) as caught:
        write_outputs(world.result, out, jobs=1)
    assert str(caught.value) == (f"cannot write to {out}: .out.senrun-new appeared beside it while senrun was "
                                 "starting, made by another program or person; nothing was written. Find who made "
                                 "it, delete it, and run again")
    assert not stolen.exists() and snapshot(out) == world.old


@pytest.mark.parametrize("planted", ["link", "folder"])
def test_a_link_or_a_folder_where_senrun_keeps_its_lock_is_refused_and_nothing_is_made_where_it_points(
        world, tmp_path, planted):
    """A link planted as the lock file had senrun create a file wherever it pointed (as root under cron,
    anywhere); a folder there was told as "cannot write to …/out: Is a directory"."""
    out = last_years_run(tmp_path, world)
    target = tmp_path / "elsewhere" / "made-by-senrun"
    target.parent.mkdir()
    lock_file = tmp_path / ".out.lock"
    lock_file.symlink_to(target) if planted == "link" else lock_file.mkdir()
    with pytest.raises(SenrunError) as caught:
        write_outputs(world.result, out, jobs=1)
    assert str(caught.value) == (f"cannot write to {out}: .out.lock beside it, where senrun keeps its lock while it "
                                 f"writes, is a {planted}, not senrun's lock file; nothing was written. Delete it (no "
                                 "senrun run makes one) and run again")
    assert not target.exists() and snapshot(out) == world.old


@pytest.mark.parametrize("error", [EACCES, ENOSPC], ids=["EACCES", "ENOSPC"])
def test_the_command_says_which_folder_and_why_without_a_traceback(world, tmp_path, monkeypatch, error):
    out = last_years_run(tmp_path, world)
    monkeypatch.setattr(atomic, "write_file", fails(atomic.write_file, error, FIRST_RETURN))
    run = CliRunner().invoke(app, ["allocate", "--config", str(world.config), "--out", str(out),
                                   "--jobs", "1", "--quiet"])
    assert run.exit_code == 1, run.output
    assert "senrun stopped: nothing was written." in run.output
    assert f"error: cannot write to {out}: {error.strerror}" in run.output
    assert "Traceback" not in run.output
    assert snapshot(out) == world.old and beside(tmp_path) == ["out"]


def test_an_old_folder_that_cannot_be_deleted_after_the_swap_is_deleted_by_the_next_run(world, tmp_path, monkeypatch):
    out = last_years_run(tmp_path, world)
    with monkeypatch.context() as patch:
        patch.setattr(atomic, "remove", fails(atomic.remove, EACCES))
        write_outputs(world.result, out, jobs=1)  # the new folder is whole: not an error
    assert snapshot(out) == world.new and snapshot(atomic.old_path(out)) == world.old
    next_run_is_clean(world, tmp_path)


@pytest.mark.parametrize("below", ["out", "deeper/out"])
def test_an_out_below_a_file_is_a_clear_error(world, tmp_path, below):
    """Not the bare "File exists" that making the folder would give."""
    report = tmp_path / "report.txt"
    report.write_text("not a folder")
    out = report / below
    with pytest.raises(SenrunError) as caught:
        write_outputs(world.result, out, returns=False)
    assert str(caught.value) == f"cannot write to {out}: {report} is a file, not a folder"
    assert beside(tmp_path) == ["report.txt"] and report.read_text() == "not a folder"


# --- the same faults for real, on a small tmpfs (where the machine lets tests mount one) --

@pytest.fixture
def tmpfs(tmp_path):
    """Mount a tmpfs on `tmp_path/fs`; yields a function (size, read_only) that remounts it."""
    mount = tmp_path / "fs"
    mount.mkdir()

    def remount(*options: str) -> None:
        done = subprocess.run(["mount", "-o", ",".join(("remount",) + options), str(mount)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                              capture_output=True, text=True)
    except OSError:
        pytest.skip("no mount command")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount, remount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_really_full_disk_leaves_the_old_folder_and_no_litter(world, tmpfs):
    mount, remount = tmpfs
    out = last_years_run(mount, world)
    fs = os.statvfs(mount)
    used = (fs.f_blocks - fs.f_bfree) * fs.f_frsize
    remount(f"size={used + 6 * 4096}")  # room for last year's run and a few pages: not for a whole new one
    run = senrun_allocate(world.config, out)
    assert run.returncode == 1, run.stderr
    assert f"cannot write to {out}: No space left on device" in run.stderr and "Traceback" not in run.stderr
    assert snapshot(out) == world.old and beside(mount) == ["out"]


def test_a_really_read_only_folder_is_a_clear_error(world, tmpfs):
    mount, remount = tmpfs
    out = last_years_run(mount, world)
    remount("ro")
    run = senrun_allocate(world.config, out)
    assert run.returncode == 1, run.stderr
    assert f"cannot write to {out}: Read-only file system" in run.stderr and "Traceback" not in run.stderr
    assert snapshot(out) == world.old and beside(mount) == ["out"]


# --- processes: a killed run with a pool of return writers ------------------------------

def tagged_processes(tag: str) -> list[int]:
    """The ids of running processes whose environment carries `tag` (this test's own children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass  # gone, or not ours to read
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_run_killed_while_processes_write_the_returns_leaves_no_process_behind(tmp_path):
    import time
    import uuid

    schools = [{"school_id": f"S{i:02d}", "school_name": f"School {i}", "cluster_id": f"C{i % 3}",
                "ssa": "1000.00", "pupils": str(100 + i)} for i in range(60)]  # 2 processes at --jobs 2
    config = write_run(tmp_path, statements=STATEMENTS[:1], schools=[*schools, *SCHOOLS[:1]])
    tag = f"SENRUN_TEST_TAG={uuid.uuid4().hex}"
    env = {**{k: v for k, v in os.environ.items() if k != atomic.KILL_ENV},
           atomic.KILL_ENV: "file-written#8", tag.split("=")[0]: tag.split("=")[1]}  # a few returns in
    # not pipes: a process left behind would hold them open, and reading them would never end
    with open(tmp_path / "stderr.txt", "wb") as stderr:
        run = subprocess.run([sys.executable, "-m", "senrun", "allocate", "--config", str(config), "--out",
                              str(tmp_path / "out"), "--jobs", "2", "--quiet"],
                             env=env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=300)
    left = []
    try:
        assert run.returncode == -signal.SIGKILL, (tmp_path / "stderr.txt").read_text()
        deadline = time.monotonic() + 3
        while (left := tagged_processes(tag)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == []
    finally:
        for pid in tagged_processes(tag):  # tidy up what this test started
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _signals_held(pid: int) -> set[int]:
    """The signals a process blocks or ignores (/proc/PID/status SigBlk and SigIgn)."""
    masks = {k: int(v, 16) for k, v in (line.split(":\t") for line in
                                        Path(f"/proc/{pid}/status").read_text().splitlines()
                                        if line.startswith(("SigBlk", "SigIgn")))}
    held = masks["SigBlk"] | masks["SigIgn"]
    return {n for n in range(1, 65) if held >> (n - 1) & 1}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_return_writers_helpers_live_through_the_hangup_or_terminate_sent_to_the_whole_group():
    """A closed ssh session sends SIGHUP, systemd SIGTERM, to every process of the run: the fork server dying
    killed the workers halfway through sending a result and the pool waited for ever, and the resource
    tracker dying printed tracebacks. The run takes the signal and stops; its helpers end with it."""
    script = ("import sys\nfrom multiprocessing import forkserver, resource_tracker\n"
              "from senrun.outputs import processes\nprocesses.start_helpers()\n"
              "print(forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid)\n"
              "sys.stdout.flush(); sys.stdin.read()\n")
    run = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        server, tracker = (int(p) for p in run.stdout.readline().split())
        for pid in (server, tracker):
            assert {signal.SIGHUP, signal.SIGTERM} <= _signals_held(pid), pid
        assert not {signal.SIGHUP, signal.SIGTERM} & _signals_held(run.pid)  # the run itself still takes them
    finally:
        run.stdin.close()
        run.wait(timeout=30)
