"""A run killed outright while its processes build the returns never keeps a caller waiting: the
workers, the fork server and the resource tracker hold neither the run's stdout nor its stderr,
and the workers end when the run does, even while it is an unreaped zombie (issue 14, point 5).
The long loop of random kills is `make soak` (bench/soak.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from senrun.outputs import atomic

from builders import statement, write_run

SCHOOLS = [{"school_id": f"S{i:02d}", "school_name": f"School {i}", "cluster_id": f"C{i % 3}",
            "ssa": "1000.00", "pupils": str(100 + i)} for i in range(60)]  # 2 processes at --jobs 2


def read_to_end(stream, into: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.append(stream.read()), daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kill", ["dir-made#1", "file-written#6", "file-written#30"])
def test_a_caller_reading_a_killed_runs_output_to_the_end_is_not_kept_waiting(tmp_path, kill):
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")], schools=SCHOOLS)
    env = {**os.environ, atomic.KILL_ENV: kill}
    run = subprocess.Popen([sys.executable, "-m", "senrun", "allocate", "-c", str(config), "-o", str(tmp_path / "out"),
                            "--jobs", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = [], []
    readers = [read_to_end(run.stdout, out), read_to_end(run.stderr, err)]
    try:
        for reader in readers:  # the run is not reaped yet: a zombie once it has died
            reader.join(timeout=60)
        assert not any(r.is_alive() for r in readers), "a helper of the killed run still holds its output"
        assert run.wait(timeout=10) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watching process is Linux-only")
@pytest.mark.parametrize("kill, code, line", [
    ("abort", 1, "senrun stopped: an allocation failed inside Polars' native code (SIGABRT), most often for want "
                 "of memory; nothing was written. docs/performance.md gives the memory a run needs."),
    ("sigkill", -signal.SIGKILL, None),
])
def test_a_run_aborted_in_native_code_ends_in_one_line_and_a_kill_is_passed_on(tmp_path, kill, code, line):
    # SIGABRT is what Rust does when an allocation fails (issue 14 point 10); os.abort() does the same here
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")],
                       schools=SCHOOLS[:3])
    die = "os.abort()" if kill == "abort" else "os.kill(os.getpid(), signal.SIGKILL)"
    crash = ("import os, signal, senrun.pipeline as p\n"
             f"p.allocate = lambda *a, **k: {die}\n"
             "import sys; sys.argv = ['senrun', 'allocate', '-c', sys.argv[1], '-o', sys.argv[2]]\n"
             "from senrun.cli import main; main()\n")
    env = {k: v for k, v in os.environ.items() if k != "SENRUN_SUPERVISED"}
    run = subprocess.run([sys.executable, "-c", crash, str(config), str(tmp_path / "out")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == code
    if line:
        assert run.stderr.splitlines()[-1] == line and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watching process is Linux-only")
@pytest.mark.parametrize("sig, words, code", [(signal.SIGINT, "Ctrl-C", 130), (signal.SIGTERM, "SIGTERM", 143)])
def test_an_interrupt_sent_to_senruns_process_alone_stops_the_run_as_ctrl_c_does(tmp_path, sig, words, code):
    # `kill -INT <pid>` or `timeout -s INT` signal the watching process only, not its process group; a
    # scheduler's SIGTERM stops the run the same way, with its own exit code (a closed session's SIGHUP takes
    # the same path: interrupt.STOPS, test_a_second_ctrl_c_does_not_cut_short_the_cleanup_of_the_first)
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")],
                       schools=SCHOOLS[:3])
    # the run is made to wait in the working process alone: Polars is loaded there, after the fork, as in a
    # `senrun` run (loaded before it, Polars 2.0's exit hook waited for ever in the working process for a thread
    # the fork did not copy)
    working = ("import sys, time\n"
               "sys.argv = ['senrun', 'allocate', '-c', sys.argv[1], '-o', sys.argv[2]]  # before senrun.cli loads\n"
               "from senrun.cli import supervise as s\n"
               "watch = s.supervise\n"
               "def supervise(argv):\n"
               "    watch(argv)  # returns in the working process only\n"
               "    import senrun.pipeline as p\n"
               "    def allocate(*a, **k):\n"
               "        print('working', flush=True)\n"
               "        time.sleep(300)  # (longer than the wait below: a lost signal fails the test)\n"
               "    p.allocate = allocate\n"
               "s.supervise = supervise\n"
               "from senrun.cli import main; main()\n")
    env = {k: v for k, v in os.environ.items() if k != "SENRUN_SUPERVISED"}
    run = subprocess.Popen([sys.executable, "-c", working, str(config), str(tmp_path / "out")], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert run.stdout.readline() == "working\n"
        run.send_signal(sig)
        _, err = run.communicate(timeout=120)  # (a loaded 2-core machine has taken 30 s)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == code
    assert err.splitlines()[-1] == f"senrun stopped ({words}): nothing was written." and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schools.csv", "senrun.yaml", "statements.csv"]


def test_a_worker_leaves_ctrl_c_to_the_run_that_stops_it():
    """A terminal's Ctrl-C reaches every process of the group. A worker stopped by it halfway through
    sending a result left the pool reading the rest for ever (the run hung, its lock held); so the
    workers ignore it, and the run, interrupted, stops them."""
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from senrun.outputs import processes

    workers_end, run_end = processes.lifeline()
    with ProcessPoolExecutor(max_workers=1, mp_context=processes.context(), initializer=processes.init_worker,
                             initargs=(workers_end,)) as pool:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # `timeout`'s and a closed session's too
            assert pool.submit(partial(signal.getsignal, sig)).result(timeout=60) == signal.SIG_IGN
    run_end.close()
    workers_end.close()


def test_the_returns_thread_stops_at_the_next_chunk_once_the_run_has_stopped():
    from senrun.outputs.returns import write_returns

    stop, written = threading.Event(), []

    def chunks():
        yield [("returns/A.xlsx", b"a")]
        stop.set()  # the run is interrupted while the next chunk is built
        yield [("returns/B.xlsx", b"b")]
        yield [("returns/C.xlsx", b"c")]

    assert write_returns(chunks(), 3, lambda name, data: written.append(name), stop=stop) == 1
    assert written == ["returns/A.xlsx"]


def test_a_second_ctrl_c_does_not_cut_short_the_cleanup_of_the_first():
    """Ctrl-C pressed twice, or a group's SIGINT also passed on by the watching process: the first
    stops the run (KeyboardInterrupt); the run then waits for its threads and deletes its staging
    folder, which a second KeyboardInterrupt would cut short, leaving children's returns beside --out."""
    from senrun.cli import interrupt

    before = {sig: signal.getsignal(sig) for sig in interrupt.STOPS}
    try:
        signal.signal(signal.SIGINT, interrupt._stopped_while_starting)
        interrupt.started()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert {signal.getsignal(sig) for sig in interrupt.STOPS} == {signal.SIG_IGN}
        signal.raise_signal(signal.SIGINT)  # ignored: the cleanup goes on
        signal.raise_signal(signal.SIGTERM)  # and so is a scheduler's SIGTERM after it
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_each_stopping_signal_is_said_by_name_and_ends_with_the_shells_code_for_it(monkeypatch):
    from senrun.cli import interrupt

    for sig, said in ((signal.SIGINT, ("Ctrl-C", 130)), (signal.SIGTERM, ("SIGTERM", 143)),
                      (signal.SIGHUP, ("SIGHUP", 129))):
        monkeypatch.setattr(interrupt, "_stopped_by", sig)
        assert interrupt.stopped_by() == said



def test_sigterm_or_sighup_while_senrun_starts_says_so_in_one_line_and_exits_128_plus_the_signal__spec_7(
        monkeypatch):
    """A scheduler's SIGTERM (or a closed session's SIGHUP) in the first moments of a run, while Python loads
    Typer, Rich and Polars, killed the process silently by the signal, where Ctrl-C there is one line and 130
    (decisions 11, 71)."""
    from senrun.cli import interrupt

    before = {sig: signal.getsignal(sig) for sig in interrupt.STOPS}
    said = []

    def exit_(code):
        raise SystemExit(code)
    monkeypatch.setattr(interrupt, "is_the_command", lambda: True)
    monkeypatch.setattr(interrupt.os, "write", lambda fd, data: said.append((fd, data)) or len(data))
    monkeypatch.setattr(interrupt.os, "_exit", exit_)
    try:
        interrupt.while_starting()
        for sig, words, code in ((signal.SIGINT, "Ctrl-C", 130), (signal.SIGTERM, "SIGTERM", 143),
                                 (signal.SIGHUP, "SIGHUP", 129)):
            handler = signal.getsignal(sig)
            assert handler is interrupt._stopped_while_starting, sig.name
            with pytest.raises(SystemExit) as ended:
                handler(sig, None)
            assert ended.value.code == code
            assert said[-1] == (2, f"senrun stopped ({words}) while starting: nothing was written.\n".encode())
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_a_run_started_under_nohup_outlives_the_sighup_of_its_session__spec_7():
    """`nohup senrun allocate … &` over ssh, then logging out: the session's SIGHUP, which nohup had the run
    ignore, stopped it ('senrun stopped (SIGHUP): nothing was written', exit 129).  A SIGHUP ignored when
    senrun starts stays ignored, in the run and in its watching process; SIGTERM and Ctrl-C still stop it."""
    from senrun.cli import interrupt, supervise

    before = {sig: signal.getsignal(sig) for sig in interrupt.STOPS}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(interrupt, "is_the_command", lambda: True)
            interrupt.while_starting()
        interrupt.started()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is interrupt._stop_once
        assert signal.getsignal(signal.SIGINT) is interrupt._stop_once
        assert supervise._forwarded() == {signal.SIGINT, signal.SIGTERM}  # the watching process leaves it too
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # not under nohup: SIGHUP stops the run as before
        assert supervise._forwarded() == set(supervise.FORWARDED)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)

WORKER_PROBE = '''
import sys
from senrun.cli import main  # as the `senrun` script begins


def imported_in_worker():
    from senrun.outputs import workerstart
    return sorted(name for name in set(sys.modules) - workerstart.PRELOADED if "." not in name)


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor
    from senrun.outputs import processes

    processes.start_helpers()
    with ProcessPoolExecutor(max_workers=1, mp_context=processes.context()) as pool:
        print(" ".join(pool.submit(imported_in_worker).result()))
'''


def test_a_worker_forked_for_the_returns_imports_nothing_of_the_command_line_again(tmp_path):
    """The fork server imports the command line once: each worker, which runs the `senrun` script
    again, finds Typer, Click and Rich imported (≈0.1 s of CPU a worker at the busiest moment of a run)."""
    script = tmp_path / "senrun_like"
    script.write_text(WORKER_PROBE, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported_after_fork = set(done.stdout.split())
    assert not imported_after_fork & {"typer", "click", "rich", "senrun", "xlsxwriter", "polars"}, imported_after_fork


def test_allocate_starts_the_returns_fork_server_before_it_imports_polars(tmp_path):
    """The server's start (≈0.2 s of CPU) then runs beside the import of Polars on the other core."""
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")], schools=SCHOOLS)
    probe = ("import sys\nfrom senrun.outputs import processes\nstart = processes.start_helpers\n"
             "def noted():\n    print('polars loaded when the server started:', 'polars' in sys.modules, file=sys.stderr)\n"
             "    start()\nprocesses.start_helpers = noted\nfrom senrun.cli import main\nsys.argv = ['senrun'] + sys.argv[1:]\nmain()\n")
    done = subprocess.run([sys.executable, "-c", probe, "allocate", "-c", str(config), "-o", str(tmp_path / "out"),
                           "--jobs", "2", "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "polars loaded when the server started: False"


def test_the_cluster_packs_are_planned_only_once_every_returns_chunk_is_handed_out(tmp_path, monkeypatch):
    """The returns' processes start on the returns at once; the packs (planned in ≈30 ms at la scale,
    with the other core idle) come after them, planned when the processes ask for them (in a whole run,
    the command's thread may plan them first: the next test)."""
    from senrun.config.loader import load_config
    from senrun.outputs import clusterpack, returns, writer
    from senrun.pipeline import allocate

    result = allocate(load_config(write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")],
                                            schools=SCHOOLS)))
    handed: list[str] = []
    plan_returns, plan_packs = returns.plan_returns, clusterpack.plan_packs

    def returns_noted(*args):
        for chunk in plan_returns(*args):
            handed.append("returns")
            yield chunk

    def packs_noted(*args):
        handed.append("packs planned")
        return plan_packs(*args)

    monkeypatch.setattr(returns, "plan_returns", returns_noted)
    monkeypatch.setattr(writer, "plan_packs", packs_noted)
    later = writer.PacksLater(result, None)
    assert later.planned == 0  # nothing planned until asked
    with returns.building_returns(result, 1, None, later) as built:
        names = [name for files in built for name, _ in files]
    assert handed[-1] == "packs planned" and handed.count("returns") >= 1
    assert later.planned == result.clusters.height == sum(n.startswith("clusters/") for n in names)
    assert [n.split("/")[0] for n in names] == sorted(n.split("/")[0] for n in names)[::-1]  # returns/ then clusters/
    out = writer.write_outputs(result, tmp_path / "out", jobs=2)
    import json
    rows = json.loads((out / "manifest.json").read_text())["rows"]
    assert rows["cluster_packs"] == result.clusters.height and rows["returns"] == result.schools.height


def test_the_cluster_packs_are_planned_once_by_the_command_while_the_processes_build_the_returns(tmp_path, monkeypatch):
    """Planned only when the processes asked for them, the packs kept both processes waiting between the
    returns and the packs (≈0.5 s at England scale): the command's own thread, idle once its workbooks
    are written, plans them then; whichever of it and the processes comes first plans them, once."""
    import threading

    from senrun.config.loader import load_config
    from senrun.outputs import returns, writer
    from senrun.pipeline import allocate

    result = allocate(load_config(write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "S01")],
                                            schools=SCHOOLS)))
    planners: list[str] = []
    plan_packs = writer.plan_packs

    def noted(*args):
        planners.append(threading.current_thread().name)
        return plan_packs(*args)

    monkeypatch.setattr(writer, "plan_packs", noted)
    asked: list[str] = []
    plan = writer.PacksLater.plan

    def asked_by(self):
        asked.append(threading.current_thread().name)
        plan(self)

    monkeypatch.setattr(writer.PacksLater, "plan", asked_by)
    monkeypatch.setattr(returns, "MIN_PER_PROCESS", 1)  # three schools: two processes all the same
    assert returns.worker_count(2, result.schools.height) == 2
    out = writer.write_outputs(result, tmp_path / "out", jobs=2)
    assert threading.current_thread().name in asked  # the command's thread asks, whatever the processes do
    assert len(planners) == 1  # and the packs are planned once, by whichever asked first
    assert len(list((out / "clusters").iterdir())) == result.clusters.height

    later = writer.PacksLater(result, None)
    both = [threading.Thread(target=later.plan) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert len(planners) == 2 and later.planned == result.clusters.height  # two threads at once: planned once
    assert sum(len(chunk.packs) for chunk in later) == result.clusters.height
    assert len(planners) == 2  # iterating the planned packs plans nothing more


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watching process is Linux-only")
def test_the_watching_process_sees_its_child_end_though_the_childs_signal_never_reaches_it():
    """SIGCHLD can go to another thread than the waiting one (a program that loaded Polars, whose threads do not
    block it, before calling main): the child's end was then never seen and the run waited for ever.  Here the
    first look finds the child still running and the signal is lost, as it then would be."""
    probe = ("import os, signal\n"
             "from senrun.cli import supervise\n"
             "child = os.fork()\n"
             "if child == 0:\n    os._exit(7)\n"
             "looks = []\n"
             "real = os.waitpid\n"
             "def waitpid(pid, flags):\n"
             "    looks.append(pid)\n"
             "    return (0, 0) if len(looks) == 1 else real(pid, flags)\n"
             "os.waitpid = waitpid\n"
             "import time; time.sleep(0.3)  # the child has ended, its SIGCHLD discarded (not blocked here yet)\n"
             "print(os.WEXITSTATUS(supervise._wait(child)), len(looks))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "2"]


def test_the_commands_imports_are_made_with_the_collector_off_and_then_frozen_out_of_its_sight(monkeypatch):
    """≈40 ms of CPU at la scale went on collections walking the libraries' objects again and again as they
    loaded; a program that imports the command line (a test) keeps its collector as it was."""
    import gc

    from senrun.cli import collector

    frozen = gc.get_freeze_count()
    with collector.importing():
        assert gc.isenabled()  # not the command: nothing changed
    assert gc.get_freeze_count() == frozen
    monkeypatch.setattr(collector, "is_the_command", lambda: True)
    try:
        with collector.importing():
            assert not gc.isenabled()
            made = [[] for _ in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()
        gc.enable()
