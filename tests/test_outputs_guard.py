"""senrun replaces only what it wrote: an --out holding the run's own config or inputs, or files
senrun did not write, is refused and nothing is deleted; one run at a time writes a folder; the
outputs are private and durable (docs/security.md, docs/reliability.md "Round 2: outputs")."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.outputs import atomic, guard, lock, write_outputs
from senrun.outputs.common import return_file_stem
from senrun.pipeline import allocate

from builders import SCHOOLS, statement, write_run

runner = CliRunner()
STATEMENTS = [statement("B801200005001", "2006-05-01", "A")]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def senrun(*args: str) -> object:
    return runner.invoke(app, [*args, "--quiet"] if args[0] == "allocate" else list(args))


@pytest.fixture
def inputs(tmp_path) -> Path:
    """A run's config and inputs in `in/`; returns the config's path."""
    (tmp_path / "in").mkdir()
    return write_run(tmp_path / "in", statements=STATEMENTS, schools=SCHOOLS)


# --- point 1: never delete what senrun did not write --------------------------------------------

def test_the_reported_sequence_is_refused_and_every_file_stays(inputs, tmp_path):
    work = tmp_path / "W"
    assert senrun("allocate", "-c", str(inputs), "-o", str(work), "--jobs", "1").exit_code == 0
    for path in inputs.parent.iterdir():
        shutil.copy(path, work / path.name)
    before = tree(work)
    done = senrun("allocate", "-c", str(work / "senrun.yaml"), "-o", str(work), "--jobs", "1")
    assert done.exit_code == 1
    assert f"cannot write to {work}: it holds the config ({work / 'senrun.yaml'})" in done.output
    assert tree(work) == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_an_out_that_is_a_device_or_a_named_pipe_is_refused_and_left_where_it_is(inputs, tmp_path):
    """Only a plain file had been refused: `--out /dev/null` (run as root) moved the system's null device aside
    as the old output and put a folder in its place, and a named pipe hung the run after it said it had written."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    outs = [(pipe, "a named pipe")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # making a device needs root
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        outs.append((device, "a device"))
    for out, words in outs:
        for command in (["allocate", "-c", str(inputs), "-o", str(out), "--no-returns"],
                        ["simulate", "-c", str(inputs), "--set", "lump_sum.rate=0,5000", "-o", str(out)]):
            done = senrun(*command)
            assert done.exit_code == 1, done.output
            assert f"cannot write to {out}: it is {words}, not a folder" in " ".join(done.output.split())
            assert not out.is_dir() and not (out.is_file() and not out.is_symlink())  # still what it was
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in", *(out.name for out, _ in outs)])


def test_an_out_above_the_inputs_folder_is_refused(inputs, tmp_path):
    before = tree(tmp_path)
    done = senrun("allocate", "-c", str(inputs), "-o", str(tmp_path))
    assert done.exit_code == 1 and "it holds the config" in done.output
    assert tree(tmp_path) == before


def test_files_copied_into_a_senrun_folder_are_named_and_kept(inputs, tmp_path):
    work = tmp_path / "W"
    assert senrun("allocate", "-c", str(inputs), "-o", str(work), "--no-returns").exit_code == 0
    shutil.copy(inputs.parent / "schools.csv", work / "schools.csv")  # over senrun's own schools.csv
    (work / "notes.txt").write_text("mine")
    before = tree(work)
    done = senrun("allocate", "-c", str(inputs), "-o", str(work), "--no-returns")
    assert done.exit_code == 1
    assert "notes.txt, schools.csv (changed since senrun wrote it)" in " ".join(done.output.split())
    assert "nothing was written" in done.output and tree(work) == before


def test_only_files_the_manifest_lists_are_senruns(tmp_path):
    out = tmp_path / "out"
    (out / "returns").mkdir(parents=True)
    (out / "returns" / "A.xlsx").write_bytes(b"a")
    (out / "returns" / "extra.xlsx").write_bytes(b"x")
    (out / "drafts").mkdir()
    (out / "link.csv").symlink_to(out / "returns" / "A.xlsx")
    listed = {"returns/A.xlsx": {"sha256": hashlib.sha256(b"a").hexdigest(), "bytes": 1}, "link.csv": {}}
    (out / "manifest.json").write_text(json.dumps({"files": listed}))
    assert guard.foreign_entries(out, listed) == ["drafts/", "link.csv", "returns/extra.xlsx"]
    with pytest.raises(SenrunError, match=r"did not write, or changed since it wrote them \(drafts/, link.csv"):
        atomic.check_target(out)
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(SenrunError, match="no manifest.json listing its files"):
        atomic.check_target(out)


def test_an_out_inside_an_input_folder_or_equal_to_one_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(SenrunError, match="lies inside the census input"):
        guard.check_apart(data / "out", [("the census input", data)], data / "out")
    with pytest.raises(SenrunError, match="it holds the census input"):
        guard.check_apart(data, [("the census input", data)], data)
    guard.check_apart(tmp_path / "out", [("the census input", data / "census.csv")], tmp_path / "out")


def test_simulate_refuses_an_out_holding_its_config(inputs):
    before = tree(inputs.parent)
    done = senrun("simulate", "-c", str(inputs), "--set", "lump_sum.rate=0,5", "-o", str(inputs.parent))
    assert done.exit_code == 1 and "it holds the config" in done.output
    assert tree(inputs.parent) == before


def test_simulate_never_replaces_a_funding_runs_folder_nor_allocate_a_what_if_folder(inputs, tmp_path):
    run, what_if = tmp_path / "out", tmp_path / "what-if"
    assert senrun("allocate", "-c", str(inputs), "-o", str(run), "--no-returns").exit_code == 0
    assert senrun("simulate", "-c", str(inputs), "--set", "lump_sum.rate=0,5", "-o", str(what_if)).exit_code == 0
    runs, what_ifs = tree(run), tree(what_if)
    done = senrun("simulate", "-c", str(inputs), "--set", "lump_sum.rate=0,5", "-o", str(run))
    assert done.exit_code == 1
    assert (f"cannot write to {run}: it holds a funding run written by `senrun allocate` for 2013-14 "
            "(allocations.xlsx, pupils.xlsx, the school returns, psf.csv), which `senrun simulate` would replace; "
            f"give simulate a folder of its own, e.g. --out {tmp_path / 'what-if'}/") in " ".join(done.output.split())
    done = senrun("allocate", "-c", str(inputs), "-o", str(what_if), "--no-returns")
    assert done.exit_code == 1
    assert (f"cannot write to {what_if}: it holds what-if scenarios written by `senrun simulate` (simulate.xlsx, "
            "scenarios.csv), which `senrun allocate` would replace; give allocate a folder of its own, e.g. "
            f"--out {tmp_path / 'allocations'}/") in " ".join(done.output.split())
    assert (tree(run), tree(what_if)) == (runs, what_ifs)
    assert senrun("simulate", "-c", str(inputs), "--set", "lump_sum.rate=0,5", "-o", str(what_if)).exit_code == 0


def last_and_next_year(inputs: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Last year's run (2013-14, in `2013-14/`) and next year's config (2014-15, the same inputs)."""
    last = tmp_path / "2013-14"
    assert senrun("allocate", "-c", str(inputs), "-o", str(last), "--no-returns").exit_code == 0
    (tmp_path / "next").mkdir()
    return last, write_run(tmp_path / "next", statements=STATEMENTS, schools=SCHOOLS, year="2014-15",
                           period={"start": "2014-04-01", "end": "2015-03-31"}, census_date="2014-01-16")


@pytest.mark.parametrize("given", [["--register", "{last}"], ["--previous", "{last}"], ["--register", "{last}/psf.csv"],
                                   ["--previous", "{last}/schools.csv"]])
def test_next_years_run_never_replaces_the_last_years_folder_it_was_given(inputs, tmp_path, given):
    """A slip of --out next year: the folder given as --register or --previous is last year's run, the one
    this run is compared with and the next year's register: it is an input of this run, never replaced."""
    last, next_year = last_and_next_year(inputs, tmp_path)
    before = tree(last)
    for command in (["allocate", "--no-returns"], ["simulate", "--set", "lump_sum.rate=0,5"]):
        if given[0] == "--previous" and command[0] == "simulate":
            continue  # simulate takes no --previous
        done = senrun(command[0], "-c", str(next_year), "-o", str(last), *command[1:],
                      given[0], given[1].format(last=last))
        assert done.exit_code == 1
        assert f"cannot write to {last}: it holds last year's" in " ".join(done.output.split())
    assert tree(last) == before


def test_a_year_whose_config_types_its_dates_day_first_may_be_run_again_into_its_own_folder(tmp_path):
    """The manifest keeps the period as the config gave it (`01/04/2013`): read as the config reads it."""
    (tmp_path / "in").mkdir()
    config = write_run(tmp_path / "in", statements=STATEMENTS, schools=SCHOOLS,
                       period={"start": "01/04/2013", "end": "31/03/2014"})
    for _ in range(2):
        done = senrun("allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns")
        assert done.exit_code == 0, done.output


def test_a_years_allocation_is_never_replaced_by_another_years_and_the_same_years_is(inputs, tmp_path):
    """Last year's output folder is this year's register and previous run: a run of another period into it
    is refused, and it is left byte for byte; a run of its own period replaces it as before."""
    last, next_year = last_and_next_year(inputs, tmp_path)
    before = tree(last)
    done = senrun("allocate", "-c", str(next_year), "-o", str(last), "--no-returns")
    assert done.exit_code == 1 and tree(last) == before
    assert (f"cannot write to {last}: it holds the 2013-14 allocation (01/04/2013 – 31/03/2014), and this run is "
            "of 01/04/2014 – 31/03/2015") in " ".join(done.output.split())
    assert senrun("allocate", "-c", str(inputs), "-o", str(last), "--no-returns").exit_code == 0


def test_an_out_whose_parent_this_user_cannot_write_to_is_said_to_need_its_parent(inputs, tmp_path, monkeypatch):
    # as the system says it when the lock beside `out` cannot be made (root is refused nothing, so it is faked)
    def refused(out, shown=None, wait=None):
        raise PermissionError(errno.EACCES, "Permission denied", str(lock.lock_path(out)))

    (tmp_path / "parent" / "out").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lock, "locked", refused)
    done = senrun("allocate", "-c", str(inputs), "-o", "parent/out")
    assert done.exit_code == 1
    assert ("cannot write to parent/out: senrun writes the new folder beside it, in parent/, and swaps it in; "
            "parent/ is not writable for this user (Permission denied): give an --out whose parent folder you can "
            "write to") in " ".join(done.output.split())
    assert list((tmp_path / "parent").iterdir()) == [tmp_path / "parent" / "out"]


@pytest.mark.parametrize("error, words", [
    (OSError(errno.EBUSY, "Device or resource busy", "{out}"), "Device or resource busy: it is a mount point (or in "
     "use), and senrun replaces --out whole by swapping a new folder in; give a folder inside it"),
    (PermissionError(errno.EACCES, "Permission denied", "{out}/psf.csv"), "psf.csv: Permission denied (senrun reads "
     "each file of the folder it replaces"),
    (OSError(errno.ENAMETOOLONG, "File name too long", "{staging}"), "File name too long: senrun writes the new "
     "folder beside it as .out.senrun-new, which is too long a name here: give a shorter --out")])
def test_what_the_system_refuses_in_replacing_a_folder_is_said_with_its_file_and_what_to_do(inputs, tmp_path,
                                                                                          monkeypatch, error, words):
    """A mount point given as --out, a file of last year's folder this user may not read, a name that is
    legal but whose staging folder's is not (faked where the machine would not refuse root)."""
    out = tmp_path / "out"
    assert senrun("allocate", "-c", str(inputs), "-o", str(out), "--no-returns").exit_code == 0
    error.filename = error.filename.format(out=out, staging=atomic.staging_path(out))

    def refused(*args, **kwargs):
        raise error

    monkeypatch.setattr(atomic, "check_target", refused)
    done = senrun("allocate", "-c", str(inputs), "-o", str(out), "--no-returns")
    assert done.exit_code == 1
    assert f"cannot write to {out}: {words}" in " ".join(done.output.split())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user whom permissions bind")
def test_a_writable_out_in_a_read_only_parent_is_refused_naming_the_parent(inputs, tmp_path):
    (tmp_path / "parent" / "out").mkdir(parents=True)
    (tmp_path / "parent").chmod(0o555)
    try:
        done = senrun("allocate", "-c", str(inputs), "-o", str(tmp_path / "parent" / "out"))
    finally:
        (tmp_path / "parent").chmod(0o755)
    assert done.exit_code == 1
    assert f"in {tmp_path / 'parent'}/, and swaps it in" in " ".join(done.output.split())


# --- issue 13 point 6: sample refuses a folder it did not write ----------------------------------

def test_sample_refuses_a_folder_it_did_not_write_and_rewrites_its_own(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "census.csv").write_text("upn\nmine\n")
    done = senrun("sample", "--scale", "demo", "--out", str(mine))
    assert done.exit_code == 1 and "does not hold a sample senrun wrote" in done.output
    assert tree(mine) == {"census.csv": b"upn\nmine\n"}
    assert senrun("sample", "--scale", "demo", "--out", str(tmp_path / "s")).exit_code == 0
    first = tree(tmp_path / "s")
    assert senrun("sample", "--scale", "demo", "--out", str(tmp_path / "s")).exit_code == 0
    assert tree(tmp_path / "s") == first


# --- point 16: a symbolic link as --out is followed, a loop is named -------------------------------

def test_an_out_that_is_a_link_is_followed_and_kept(inputs, tmp_path):
    real = tmp_path / "runs" / "2013-14"
    real.mkdir(parents=True)
    link = tmp_path / "current"
    link.symlink_to(real)
    assert senrun("allocate", "-c", str(inputs), "-o", str(link), "--no-returns").exit_code == 0
    assert link.is_symlink() and (real / "manifest.json").is_file()
    assert senrun("allocate", "-c", str(inputs), "-o", str(link), "--no-returns").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)


def test_a_dangling_link_and_a_loop_above_out_are_named(tmp_path):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(SenrunError, match="is a symbolic link to .*nowhere, which does not exist"):
        guard.resolve_out(tmp_path / "gone")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(SenrunError, match=r"b?a? is a symbolic link that loops"):
        guard.resolve_out(tmp_path / "a" / "out")
    with pytest.raises(SenrunError, match="NUL"):
        guard.resolve_out(Path("out\x00x"))


# --- point 11: private by default, or as output_mode says ---------------------------------------

def modes(folder: Path) -> set[tuple[str, int]]:
    return {("dir" if p.is_dir() else "file", stat.S_IMODE(p.stat().st_mode)) for p in [folder, *folder.rglob("*")]}


@pytest.mark.parametrize("mode, expected", [(None, {("dir", 0o700), ("file", 0o600)}),
                                            ("group", {("dir", 0o750), ("file", 0o640)})])
def test_outputs_are_readable_by_their_owner_only_unless_output_mode_says_group(tmp_path, mode, expected):
    extra = {"output_mode": mode} if mode else {}
    config = write_run(tmp_path, statements=STATEMENTS, schools=SCHOOLS, **extra)
    old = os.umask(0o022)
    try:
        write_outputs(allocate(load_config(config)), tmp_path / "out", jobs=1)
    finally:
        os.umask(old)
    assert modes(tmp_path / "out") == expected
    assert not lock.lock_path(tmp_path / "out").exists()


# --- point 17: durable before the swap ----------------------------------------------------------

def run_recording_syncs(inputs, tmp_path, monkeypatch, syncfs):
    """Write the outputs with every fsync, syncfs, file write and rename recorded in order."""
    events: list[tuple] = []
    real_fsync, real_rename, real_write = os.fsync, atomic.rename, atomic.write_file

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("sync", info.st_dev, info.st_ino))
        real_fsync(fd)

    def rename(src, dst):
        events.append(("rename", Path(src).name, Path(dst).name))
        real_rename(src, dst)

    def write_file(path, data):
        real_write(path, data)
        events.append(("written", Path(path).name))

    def recording_syncfs(fd):
        events.append(("syncfs", os.fstat(fd).st_dev))
        return syncfs(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomic, "rename", rename)
    monkeypatch.setattr(atomic, "write_file", write_file)
    monkeypatch.setattr(atomic, "_syncfs", lambda: recording_syncfs if syncfs else None)
    out = tmp_path / "out"
    write_outputs(allocate(load_config(inputs)), out, jobs=1)
    swap = events.index(("rename", ".out.senrun-new", "out"))
    parent = tmp_path.stat()
    assert ("sync", parent.st_dev, parent.st_ino) in events[swap:]  # the swap itself made durable
    folders = [out, out / "returns"]
    synced_before = {e[1:] for e in events[:swap] if e[0] == "sync"}
    assert all((p.stat().st_dev, p.stat().st_ino) in synced_before for p in folders)
    last_write = max(i for i, e in enumerate(events) if e[0] == "written")
    return out, events[last_write:swap], synced_before


def test_every_file_is_on_disk_before_the_swap_by_one_syncfs_of_its_file_system(inputs, tmp_path, monkeypatch):
    if atomic._syncfs() is None:
        pytest.skip("this system's C library has no syncfs(2)")
    out, after_writes, _ = run_recording_syncs(inputs, tmp_path, monkeypatch, atomic._syncfs())
    assert after_writes.count(("syncfs", tmp_path.stat().st_dev)) == 1  # after the last file, before the swap


@pytest.mark.parametrize("syncfs", [None, lambda fd: -1], ids=["no syncfs", "syncfs fails"])
def test_without_syncfs_every_file_and_folder_is_fsynced_before_the_swap(inputs, tmp_path, monkeypatch, syncfs):
    out, after_writes, synced_before = run_recording_syncs(inputs, tmp_path, monkeypatch, syncfs)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert (out / "manifest.json") in files and any(p.parent.name == "returns" for p in files)
    synced_after_writes = {e[1:] for e in after_writes if e[0] == "sync"}
    assert all((p.stat().st_dev, p.stat().st_ino) in synced_after_writes for p in files)


# --- point 6: one run at a time ------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from senrun.outputs.lock import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(out: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def test_a_second_run_waits_for_the_first_then_stops_clearly(inputs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = allocate(load_config(inputs))
    write_outputs(result, out, returns=False)
    before = tree(out)
    proc = holder(out, 30)
    try:
        monkeypatch.setenv(lock.WAIT_ENV, "0.5")
        started = time.monotonic()
        with pytest.raises(SenrunError, match=r"another senrun run is writing it \(waited 0.5 s for .out.lock\)"):
            write_outputs(result, out, returns=False, diff=None)
        assert time.monotonic() - started >= 0.5
        assert tree(out) == before
    finally:
        proc.kill()
        proc.wait()
    proc = holder(out, 0.3)  # released while the next run waits: it goes ahead
    monkeypatch.setenv(lock.WAIT_ENV, "20")
    write_outputs(result, out, returns=False)
    proc.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_two_runs_into_one_folder_at_once_both_succeed_and_the_manifest_matches(inputs, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "senrun", "allocate", "-c", str(inputs), "-o", str(out), "--jobs", "1", "-q"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0], [r.stderr.read() for r in runs]
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert {k: v["sha256"] for k, v in listed.items()} == \
        {k: hashlib.sha256(v).hexdigest() for k, v in tree(out).items() if k != "manifest.json"}


# --- point 13: Windows' reserved names -------------------------------------------------------------

@pytest.mark.parametrize("school_id, stem", [("CON", "CON_"), ("nul", "nul_"), ("Com1", "Com1_"), ("LPT9", "LPT9_"),
                                             ("Prn", "Prn_"), ("aux", "aux_"), ("CON.txt", "CON_txt"),
                                             ("CONSOLE", "CONSOLE"), ("COM10", "COM10"), ("A/B", "A_B")])
def test_a_school_id_windows_reserves_gets_a_file_name_windows_allows(school_id, stem):
    assert return_file_stem(school_id) == stem


def test_config_output_mode_is_checked(tmp_path):
    config = write_run(tmp_path, statements=STATEMENTS, schools=SCHOOLS, output_mode="world")
    with pytest.raises(SenrunError, match="output_mode"):
        load_config(config)
    assert yaml.safe_load(config.read_text())["output_mode"] == "world"
