"""The output folder is written all or nothing, and a killed run is put right by the next (SPEC §5)."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import pytest

from senrun.errors import SenrunError
from senrun.outputs import atomic, lock, write_outputs

from outputs_fixture import build_result


@pytest.fixture(scope="module")
def result():
    return build_result()


def previous_run(folder: Path) -> dict[str, bytes]:
    """A folder as an earlier senrun run left it, with a marker file; returns its contents."""
    folder.mkdir()
    (folder / "manifest.json").write_text('{"year": "2012-13", "files": {"marker.txt": {}}}\n')
    (folder / "marker.txt").write_text("last year's run\n")
    return snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def failing_on(call: int, error: OSError):
    """A write_file that fails on its `call`-th use, as a full disk would."""
    real, count = atomic.write_file, [0]

    def write_file(path, data):
        count[0] += 1
        if count[0] == call:
            raise error
        real(path, data)
    return write_file


@pytest.mark.parametrize("call", [1, 4, 6, 10])  # a CSV, the workbook, a return, the manifest
def test_a_write_that_fails_midway_leaves_the_old_folder_exactly_as_it_was(result, tmp_path, monkeypatch, call):
    out = tmp_path / "out"
    before = previous_run(out)
    monkeypatch.setattr(atomic, "write_file", failing_on(call, OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(SenrunError) as caught:
        write_outputs(result, out, jobs=1)
    assert str(caught.value) == f"cannot write to {out}: No space left on device"
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old folder left


def test_a_failed_swap_puts_the_old_folder_back(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    before = previous_run(out)
    real = atomic.rename

    def rename(src, dst):
        if Path(src) == atomic.staging_path(out):
            raise OSError(errno.EACCES, "Permission denied")
        real(src, dst)
    monkeypatch.setattr(atomic, "rename", rename)
    with pytest.raises(SenrunError, match="cannot write to .*: Permission denied"):
        write_outputs(result, out, returns=False)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failure_with_no_previous_folder_leaves_nothing(result, tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "write_file", failing_on(2, OSError(errno.EIO, "Input/output error")))
    with pytest.raises(SenrunError, match="Input/output error"):
        write_outputs(result, tmp_path / "out", jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_a_successful_run_replaces_the_previous_one_and_leaves_no_litter(result, tmp_path):
    out = tmp_path / "out"
    previous_run(out)
    write_outputs(result, out, returns=False)
    assert not (out / "marker.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_run_killed_mid_swap_is_restored_by_the_next_write(result, tmp_path):
    out = tmp_path / "out"
    old = tmp_path / ".out.senrun-old"
    before = previous_run(old)  # killed after `out` was renamed away, before the new one was in
    (tmp_path / ".out.senrun-new").mkdir()
    atomic.recover(out)
    assert snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    atomic.rename(out, old)
    write_outputs(result, out, returns=False)
    assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_old_folder_left_beside_a_whole_new_one_is_deleted(tmp_path):
    out = tmp_path / "out"
    new = previous_run(out)
    previous_run(tmp_path / ".out.senrun-old")
    atomic.recover(out)
    assert snapshot(out) == new and [p.name for p in tmp_path.iterdir()] == ["out"]


def interrupted_at(monkeypatch, out: Path, when: str) -> None:
    """Ctrl-C just after one of the swap's renames: `aside` (last year's folder renamed away), or `in` (the
    new folder renamed into place), as a signal arriving between two lines of Python would."""
    real = atomic.rename

    def rename(src, dst):
        real(src, dst)
        if (when == "aside" and Path(dst) == atomic.old_path(out)) or (when == "in" and Path(dst) == out):
            monkeypatch.setattr(atomic, "rename", real)  # (the undo renames as usual)
            raise KeyboardInterrupt
    monkeypatch.setattr(atomic, "rename", rename)


def test_ctrl_c_just_after_last_years_folder_is_renamed_aside_puts_it_back_and_leaves_no_litter(
        result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    before = previous_run(out)
    interrupted_at(monkeypatch, out, "aside")
    atomic.forget_swapped()
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, out, returns=False)
    assert snapshot(out) == before and [p.name for p in tmp_path.iterdir()] == ["out"]
    assert atomic.swapped_in() is None  # "nothing was written" is true


def test_ctrl_c_just_after_the_new_folder_is_renamed_in_keeps_it_and_says_it_was_written(result, tmp_path,
                                                                                         monkeypatch):
    out = tmp_path / "out"
    previous_run(out)
    interrupted_at(monkeypatch, out, "in")
    atomic.forget_swapped()
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, out, returns=False)
    assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
    assert atomic.swapped_in() == out  # the command says the folder was written in full
    atomic.recover(out)  # the next run deletes last year's folder left aside
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _signalled_during(monkeypatch, name: str, when) -> None:
    """A real Ctrl-C (SIGINT to this process) sent from inside atomic's `name` (sync_dir, or threading's Thread.start
    as the deletion's thread starts) when `when(args)` holds: as a signal arriving at the worst moment would."""
    import signal

    owner = threading.Thread if name == "start" else atomic
    real = getattr(owner, name)

    def signalled(*args):
        if when(args):
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args)
    monkeypatch.setattr(owner, name, signalled)


@pytest.mark.parametrize(("moment", "in_a_command"), [
    ("syncing the parent folder after the swap", False), ("syncing the parent folder after the swap", True),
    ("starting the deletion's thread", True)])  # (a library call deletes it on its own thread)
def test_ctrl_c_between_the_swap_and_the_deletion_still_deletes_last_years_folder(result, tmp_path, monkeypatch,
                                                                                  moment, in_a_command):
    """Ctrl-C as the new folder is swapped in had left last year's whole folder (children's data) beside `out`
    until the next run; it is now taken once the deletion is under way, and the command still ends with it."""
    import signal
    from contextlib import nullcontext

    out = tmp_path / "out"
    previous_run(out)
    if moment.startswith("syncing"):
        _signalled_during(monkeypatch, "sync_dir", lambda args: Path(args[0]) == tmp_path)
    else:
        _signalled_during(monkeypatch, "start", lambda args: args[0].name.startswith("senrun: deleting"))
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with atomic.removals_after() if in_a_command else nullcontext():
                write_outputs(result, out, returns=False)
    finally:
        signal.signal(signal.SIGINT, before)
    assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # last year's folder gone, and the lock


def test_a_folder_of_the_users_made_where_an_interrupted_swap_left_none_keeps_both_and_is_refused(tmp_path):
    out = tmp_path / "out"
    old = tmp_path / ".out.senrun-old"
    before = previous_run(old)  # killed after `out` was renamed away; the user then made `out` anew
    out.mkdir()
    (out / "README.txt").write_text("my notes\n")
    with pytest.raises(SenrunError) as caught:
        atomic.recover(out)
    assert "holds files senrun did not write" in str(caught.value) and str(old) in str(caught.value)
    assert snapshot(old) == before and snapshot(out) == {"README.txt": b"my notes\n"}


def test_an_empty_folder_made_where_an_interrupted_swap_left_none_gets_last_years_back(tmp_path):
    out = tmp_path / "out"
    before = previous_run(tmp_path / ".out.senrun-old")
    out.mkdir()
    atomic.recover(out)
    assert snapshot(out) == before and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_senrun_did_not_write_is_refused(result, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"precious")
    with pytest.raises(SenrunError, match="not empty and was not written by senrun"):
        write_outputs(result, out)
    assert [p.name for p in out.iterdir()] == ["budget.xlsx"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


@pytest.mark.parametrize("lock", ["~$allocations.xlsx", ".~lock.allocations.xlsx#"], ids=["Excel", "LibreOffice"])
def test_last_years_workbook_open_in_excel_or_libreoffice_is_said_to_be_open_and_the_folder_kept(result, tmp_path,
                                                                                                 lock):
    """LibreOffice's lock file had been told as a file senrun did not write, to be moved elsewhere."""
    out = tmp_path / "out"
    write_outputs(result, out, returns=False)
    (out / lock).write_bytes(b"a lock file")
    before = snapshot(out)
    with pytest.raises(SenrunError) as caught:
        write_outputs(result, out, returns=False)
    message = str(caught.value.issues[0])
    assert (f"allocations.xlsx is open in Excel or LibreOffice (its lock file {lock} is in the folder): close it, "
            "then run again") in message
    assert snapshot(out) == before


def test_a_file_is_refused_and_an_empty_folder_or_missing_parents_are_fine(result, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SenrunError, match="it is a file"):
        write_outputs(result, tmp_path / "file")
    (tmp_path / "empty").mkdir()
    write_outputs(result, tmp_path / "empty", returns=False)
    write_outputs(result, tmp_path / "new" / "deeper", returns=False)
    assert (tmp_path / "empty" / "manifest.json").exists()
    assert (tmp_path / "new" / "deeper" / "manifest.json").exists()


def test_in_a_command_the_old_folder_is_deleted_after_the_write_returns_and_the_lock_is_held_till_then(
        result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    previous_run(out)
    real, started, go = atomic.remove, threading.Event(), threading.Event()

    def remove(path):
        if Path(path) == atomic.old_path(out):
            started.set()
            assert go.wait(timeout=60)
        real(path)
    monkeypatch.setattr(atomic, "remove", remove)
    with atomic.removals_after():
        write_outputs(result, out, returns=False)  # returns with the old folder still to delete
        assert started.wait(timeout=60)
        assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", ".out.senrun-old", "out"]
        with pytest.raises(SenrunError, match="another senrun run is writing it"):
            with lock.locked(out, wait=0):
                pass
        go.set()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the block ended when it was gone
    with lock.locked(out, wait=0):
        pass


def test_outside_a_command_the_old_folder_is_gone_when_the_write_returns(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    previous_run(out)
    real, deleted_on = atomic.remove, []

    def remove(path):
        if Path(path) == atomic.old_path(out):
            deleted_on.append(threading.current_thread())
        real(path)
    monkeypatch.setattr(atomic, "remove", remove)
    write_outputs(result, out, returns=False)
    assert deleted_on == [threading.current_thread()]  # by the write itself, not on a thread
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _refusing_old(monkeypatch):
    """`remove` as on a folder made read-only: the previous folder cannot be deleted."""
    real = atomic.remove

    def remove(path: Path) -> None:
        if path.name.endswith(".senrun-old"):
            raise PermissionError(errno.EACCES, "Permission denied")
        real(path)
    monkeypatch.setattr(atomic, "remove", remove)


def test_a_previous_folder_that_cannot_be_deleted_is_kept_and_said_with_where_it_is(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    previous_run(out)
    _refusing_old(monkeypatch)
    atomic.left_behind()
    write_outputs(result, out, returns=False)  # the new folder is whole: the run stands
    assert json.loads((out / "manifest.json").read_text())["year"] == "2013-14"
    assert atomic.left_behind() == [(tmp_path / ".out.senrun-old", "Permission denied")]
    assert atomic.left_behind() == []


def test_the_next_run_says_which_earlier_folder_stops_it_and_what_to_do(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    previous_run(out)
    previous_run(tmp_path / ".out.senrun-old")
    _refusing_old(monkeypatch)
    with pytest.raises(SenrunError) as caught:
        write_outputs(result, out, returns=False)
    message = str(caught.value)
    assert ".out.senrun-old" in message and "delete it by hand" in message and "personal data" in message


def _large_folder(root: Path, files: int) -> Path:
    """A folder of `files` small files, most in a `returns` folder as a run's, with a link out of it."""
    root.mkdir()
    (root / "returns").mkdir()
    for i in range(files):
        (root / "returns" / f"{i:05d}.xlsx").write_bytes(b"x")
    (root / "manifest.json").write_text("{}")
    return root


def _recording_unlinks(monkeypatch, wait: float = 0.0) -> list[tuple[str, int, bool]]:
    """Each file atomic deletes from now on, as (the name or path given, the thread that deleted it, whether
    through its folder's handle); each deletion waiting `wait` seconds, as a disk's does."""
    import time

    real, calls = atomic.os.unlink, []

    def unlink(path, *args, **kwargs):
        calls.append((str(path), threading.get_ident(), kwargs.get("dir_fd") is not None))
        time.sleep(wait)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(atomic.os, "unlink", unlink)
    return calls


def test_a_large_folder_is_deleted_by_several_threads_at_once_and_wholly(tmp_path, monkeypatch):
    target = tmp_path / "kept.txt"
    target.write_text("not senrun's")
    folder = _large_folder(tmp_path / "old", atomic.MANY_FILES + 10)
    (folder / "returns" / "link").symlink_to(target)
    (folder / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    calls = _recording_unlinks(monkeypatch, wait=0.002)
    atomic.remove(folder)
    assert not folder.exists()
    assert len({thread for _, thread, _ in calls}) > 1  # the disk's waits overlap (decisions 88)
    assert target.read_text() == "not senrun's"  # a link is deleted, never followed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_a_file_of_a_large_folder_that_cannot_be_deleted_is_an_error_not_a_silence(tmp_path, monkeypatch):
    folder = _large_folder(tmp_path / "old", atomic.MANY_FILES + 10)
    real = atomic.os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).endswith("00007.xlsx"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, *args, **kwargs)
    monkeypatch.setattr(atomic.os, "unlink", unlink)
    with pytest.raises(PermissionError):
        atomic.remove(folder)
    assert [p.name for p in (folder / "returns").iterdir()] == ["00007.xlsx"]  # the rest went


def test_a_small_folder_is_deleted_on_one_thread(tmp_path, monkeypatch):
    folder = _large_folder(tmp_path / "old", 20)
    calls = _recording_unlinks(monkeypatch)
    atomic.remove(folder)
    assert not folder.exists() and {thread for _, thread, _ in calls} == {threading.get_ident()}


def test_a_folder_swapped_for_a_link_while_its_files_are_deleted_leads_nowhere_else(tmp_path, monkeypatch):
    """The deletion opens each folder once, refusing a link, and deletes through that handle (as rmtree's own
    walk does): a sub-folder swapped for a link to another folder meanwhile must not have that folder emptied."""
    victim = tmp_path / "victim"
    victim.mkdir()
    for i in range(20):
        (victim / f"f{i}").write_text("not senrun's")
    folder = _large_folder(tmp_path / "old", atomic.MANY_FILES)
    inner = folder / "d0" / "x" / "y"
    inner.mkdir(parents=True)
    for i in range(20):
        (inner / f"f{i}").write_text("old")
    real, swapped = atomic.os.unlink, []

    def unlink(path, *args, **kwargs):
        if not swapped:  # the first file deleted: swap the inner folder for a link out
            swapped.append(True)
            inner.rename(tmp_path / "moved-aside")
            inner.symlink_to(victim, target_is_directory=True)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(atomic.os, "unlink", unlink)
    atomic.remove(folder)
    assert swapped and not folder.exists()
    assert sorted(p.name for p in victim.iterdir()) == sorted(f"f{i}" for i in range(20))


@pytest.mark.parametrize("files", [atomic.MANY_FILES - 1, atomic.MANY_FILES])
def test_a_folder_is_deleted_side_by_side_from_many_files_on_each_file_once(tmp_path, monkeypatch, files):
    folder = tmp_path / "old"
    folder.mkdir()
    for i in range(files):
        (folder / f"{i:05d}.xlsx").write_bytes(b"x")
    calls = _recording_unlinks(monkeypatch)
    atomic.remove(folder)
    assert not folder.exists()
    assert sorted(name for name, _, _ in calls) == sorted(f"{i:05d}.xlsx" for i in range(files))  # each once
    # from MANY_FILES on, by the deletion's threads; below it, by rmtree alone, on this thread
    side_by_side = any(thread != threading.get_ident() for _, thread, _ in calls)
    assert side_by_side == (files >= atomic.MANY_FILES)


def test_where_a_folder_cannot_be_opened_for_its_files_rmtree_alone_deletes_a_folder_of_many_files(tmp_path,
                                                                                                    monkeypatch):
    """Windows deletes no file through a folder's handle (`_BY_HANDLE` false there): a folder of many files,
    with folders in it, is then deleted by rmtree alone, on this thread, each file once."""
    monkeypatch.setattr(atomic, "_BY_HANDLE", False)
    folder = tmp_path / "old"
    (folder / "returns").mkdir(parents=True)
    for i in range(atomic.MANY_FILES + 5):
        (folder / "returns" / f"{i:05d}.xlsx").write_bytes(b"x")
    (folder / "manifest.json").write_bytes(b"{}")
    calls = _recording_unlinks(monkeypatch)
    atomic.remove(folder)
    assert not folder.exists() and list(tmp_path.iterdir()) == []
    assert sorted(name for name, _, _ in calls) == sorted(
        ["manifest.json", *(f"{i:05d}.xlsx" for i in range(atomic.MANY_FILES + 5))])
    assert {thread for _, thread, _ in calls} == {threading.get_ident()}


def test_a_write_to_a_new_folder_has_no_old_folder_to_delete_or_report(result, tmp_path):
    atomic.left_behind()
    write_outputs(result, tmp_path / "new", returns=False)
    assert atomic.left_behind() == [] and [p.name for p in tmp_path.iterdir()] == ["new"]


def test_a_file_is_written_whole_when_the_system_takes_its_bytes_a_few_at_a_time(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))  # as a signal can cut a write
    atomic.write_file(tmp_path / "return.xlsx", b"PK\x03\x04 a whole return")
    assert (tmp_path / "return.xlsx").read_bytes() == b"PK\x03\x04 a whole return"


def test_a_system_that_takes_no_byte_and_says_no_error_is_an_error_not_a_loop(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    with pytest.raises(OSError, match="no byte could be written"):
        atomic.write_file(tmp_path / "return.xlsx", b"data")
