"""senrun on a system without Linux's signals and fork server (Windows, where most councils run it), shown on
this one: a `sitecustomize` module, loaded by every Python process started with it on the path (the
command's and each worker's), takes away what Windows' `signal` module lacks and leaves multiprocessing
only its "spawn" start method."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from senrun.cli import app

from builders import statement, write_run

#: What Windows' Python lacks, taken away in every process that starts with it.
WINDOWS_LIKE = '''
import multiprocessing
import os
import signal

for name in ("SIGHUP", "SIGBUS", "SIGKILL", "SIGCHLD", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
             "pthread_sigmask", "sigtimedwait", "sigwaitinfo", "pthread_kill"):
    if hasattr(signal, name):
        delattr(signal, name)
for name in ("O_NONBLOCK", "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "fork", "killpg", "setsid"):
    if hasattr(os, name):
        delattr(os, name)
os.supports_dir_fd = set()  # no file opened or deleted through a folder's handle
multiprocessing.get_all_start_methods = lambda: ["spawn"]
'''

ROOT = Path(__file__).resolve().parents[1]


def windows_like(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python processes start without SIGHUP, SIGKILL, … and with no fork server."""
    site = tmp_path / "windows-like"
    site.mkdir()
    (site / "sitecustomize.py").write_text(WINDOWS_LIKE)
    env = {k: v for k, v in os.environ.items() if k != "SENRUN_SUPERVISED"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["SENRUN_SUPERVISED"] = "1"  # the watching process is Linux's alone (os.fork): not started on Windows
    return env


def test_senrun_starts_and_writes_every_return_by_several_processes_where_the_system_has_no_sighup_nor_fork_server(
        tmp_path):
    """senrun stopped at its import on Windows, whose `signal` module has no SIGHUP or SIGBUS, for every
    command, `--help` too; asked for a fork server, which Windows has not, wherever the returns were built by
    more than one process (the default); and opened every input with O_NONBLOCK, which Windows' `os` has not.
    Here an allocation with returns is run twice, so that the second replaces the first."""
    env = windows_like(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "import os, signal; from senrun.outputs import atomic, processes; "
                            "print(processes.START_METHOD, hasattr(signal, 'SIGHUP'), hasattr(os, 'O_NONBLOCK'), "
                            "atomic._BY_HANDLE)"], env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.split() == ["spawn", "False", "False", "False"], probe.stderr
    schools = [{"school_id": f"S{i:02d}", "school_name": f"School {i}", "cluster_id": f"C{i % 3}",
                "ssa": "1000.00", "pupils": "100"} for i in range(60)]  # 60 schools: two processes (25 each at least)
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")], schools=schools)
    helped = subprocess.run([sys.executable, "-m", "senrun", "--help"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert helped.returncode == 0 and "allocate" in helped.stdout, helped.stderr
    for _ in range(2):  # the second replaces the first: the old folder deleted without a folder's handle
        done = subprocess.run([sys.executable, "-m", "senrun", "allocate", "-c", str(config), "-o",
                               str(tmp_path / "win"), "--jobs", "2", "--quiet"], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "failed unexpectedly" not in done.stderr
    plain = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "linux"), "--jobs", "1",
                                     "--quiet"])
    assert plain.exit_code == 0, plain.output

    def tree(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert len([n for n in tree(tmp_path / "win") if n.startswith("returns/")]) == 60
    assert tree(tmp_path / "win") == tree(tmp_path / "linux")  # the same bytes, however they were made


def test_a_pool_of_processes_is_never_asked_for_more_than_windows_allows(monkeypatch):
    """concurrent.futures refuses more than 61 processes on Windows: the default --jobs (the CPU count) on a
    larger machine had stopped the run as an unexpected failure."""
    from senrun.outputs import returns

    assert returns.worker_count(64, 100_000) == 64
    monkeypatch.setattr(returns.sys, "platform", "win32")
    assert returns.worker_count(64, 100_000) == 61 and returns.worker_count(8, 100_000) == 8


# --- Windows' files, shown on this system: text mode, fsync and deleting an open file -----------------------------

BINARY = 1 << 30  # a flag no Linux open takes, standing for Windows' O_BINARY


def test_every_input_is_read_in_binary_mode_as_windows_needs(tmp_path, monkeypatch):
    """Without O_BINARY, Windows reads a file opened by os.open in text mode: CR LF comes back as LF and a Ctrl-Z
    ends the file, so every Notepad config, CRLF CSV and workbook seemed to change while read, and was refused."""
    import stat

    from senrun.inputs.snapshot import read_snapshot

    real_open = os.open

    def windows_open(path, flags, mode=0o777, **kwargs):
        fd = real_open(path, flags & ~BINARY, mode, **kwargs)
        if not flags & BINARY and stat.S_ISREG(os.fstat(fd).st_mode) and flags & os.O_ACCMODE == os.O_RDONLY:
            os.close(fd)
            raise OSError(22, "opened in text mode: CR LF and Ctrl-Z would be changed", str(path))
        return fd

    monkeypatch.setattr(os, "O_BINARY", BINARY, raising=False)
    monkeypatch.setattr(os, "open", windows_open)
    data = b"year: 2013-14\r\nnote: \x1a\r\n"
    (tmp_path / "senrun.yaml").write_bytes(data)
    assert read_snapshot(tmp_path / "senrun.yaml").data == data


def test_the_outputs_are_made_durable_file_by_file_through_handles_windows_can_flush(tmp_path, monkeypatch):
    """Where there is no syncfs (Windows, macOS) each file is fsynced; Windows' fsync (FlushFileBuffers) refuses a
    read-only handle, so every allocate had ended "cannot write to OUT: Bad file descriptor"."""
    import fcntl

    from senrun.outputs import atomic

    real_fsync = os.fsync

    def windows_fsync(fd):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(9, "Bad file descriptor")
        return real_fsync(fd)

    monkeypatch.setattr(atomic, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", windows_fsync)
    files = []
    for name in ("a.csv", "b.xlsx"):
        (tmp_path / name).write_bytes(b"x")
        files.append(str(tmp_path / name))
    atomic.make_durable(tmp_path, files)  # (raised OSError: Bad file descriptor)


def test_the_lock_file_is_deleted_on_windows_which_deletes_no_file_while_it_is_open(tmp_path, monkeypatch):
    from senrun.outputs import lock

    real_unlink, closed = os.unlink, []
    real_close = os.close

    def windows_unlink(path, *args, **kwargs):
        if not closed:
            raise PermissionError(13, "The process cannot access the file because it is being used", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(lock.os, "unlink", windows_unlink)
    monkeypatch.setattr(lock.os, "close", lambda fd: (closed.append(fd), real_close(fd))[1])
    with lock.locked(tmp_path / "out", wait=0) as path:
        assert path.exists()
    assert not path.exists()  # (it had been left beside every output folder)


def test_init_names_an_input_on_another_drive_by_its_whole_path(tmp_path, monkeypatch):
    """On Windows no relative path leads from C: to N: or a share: `init --from N:\\SEN` had failed unexpectedly
    (ValueError)."""
    from senrun.onboard import init

    def other_drive(path, start=None):
        raise ValueError("path is on mount 'N:', start on mount 'C:'")

    monkeypatch.setattr(init.os.path, "relpath", other_drive)
    (tmp_path / "census.csv").write_text("x")
    assert init.input_path(tmp_path / "census.csv", tmp_path / "cfg" / "senrun.yaml") == \
        (tmp_path / "census.csv").resolve().as_posix()
