"""How the processes that build the per-school returns start (SPEC §7 --jobs).

Start method: `forkserver`.  Measured on 420 schools with --jobs 2 (docs/outputs.md), the
three start methods were within the machine's noise of each other (returns step, median
of 30: fork 1.28 s, forkserver 1.40 s, spawn 1.56 s; in-process 1.56 s; minima 0.73, 0.74,
0.75, 1.07), so the safe one is used: Polars warns that a forked child can deadlock if
Polars' thread pool held a lock at the fork, whereas `forkserver` forks each worker from a
clean single-threaded server that has preloaded only XlsxWriter and this package's
Polars-free modules.

The server takes a moment to start and import those (about 0.3 s on a 2-core laptop,
most of it the command line's Typer, Click and Rich); `prepare_workers` starts it early,
beside the run, instead of when the returns are due.  This module is free of Polars, so
calling it costs the caller nothing to import.

The command line's modules are named to the server themselves (`MAIN_MODULES`): its
`"__main__"` preload never imports a script (CPython's forkserver passes the server the
preparation data's `main_path`, which that data never holds; seen on 3.11), so each worker
forked from it ran the `senrun` script again and imported Typer, Click and Rich itself,
after the fork: ≈0.1 s of CPU a worker, on the run's critical path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

from .stops import STOP_SIGNALS

#: A fork server where the system has one (Linux, macOS); else (Windows) each worker starts afresh.
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
#: The module whose function the workers run (returnbook.build_chunk), and the checks every worker
#: would repeat (workerstart): the server imports it once.
WORKER_MODULE = "senrun.outputs.workerstart"
#: What the `senrun` script imports: a worker runs the script again (as `__mp_main__`) and finds
#: these already imported, forked from the server that did.
MAIN_MODULES = ("senrun.cli",)


def context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context for the returns' pool, its fork server told what to preload."""
    ctx = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        # the server imports these once; each worker forked from it then starts warm
        ctx.set_forkserver_preload(["__main__", *preloaded_main(), WORKER_MODULE])
    return ctx


def preloaded_main() -> list[str]:
    """The command line's modules when this process is running it (they import no Polars), else none."""
    return [name for name in MAIN_MODULES if name in sys.modules]


def prepare_workers(jobs: int | None = None) -> None:
    """Start the fork server now if the returns may be built by several processes (`jobs`,
    default the CPU count), so that it is ready when they are due.  Optional: building the
    returns starts it anyway.  The server stops when this process does."""
    if START_METHOD != "forkserver" or (jobs if jobs is not None else (os.cpu_count() or 1)) < 2:
        return
    start_helpers()


def start_helpers() -> None:
    """Start the fork server and the resource tracker (if not yet running) with their stdout and
    stderr on the null device, not this process's.

    Both outlive a run killed outright for a moment (until they see it has gone), and a
    helper holding the run's stdout or stderr keeps a caller that reads them to the end (a
    script, a CI job, `subprocess.run(capture_output=True)`) waiting for it."""
    if START_METHOD != "forkserver":
        return
    context()
    from multiprocessing import forkserver, resource_tracker

    # Started with SIGTERM and SIGHUP blocked (a mask a new process keeps), the helpers live through the
    # signal a closed session or systemd sends the whole group: the fork server dying would kill the workers
    # halfway through sending a result (the pool then waits for ever), and the resource tracker dying
    # prints tracebacks.  The run itself takes the signal, stops, and its helpers end with it.  Blocked
    # rather than ignored here, a signal sent meanwhile still reaches the run once they have started.
    # (Blocked again before each: the resource tracker's start unblocks SIGTERM as it returns.)
    stops = {signal.SIGTERM, signal.SIGHUP} if hasattr(signal, "pthread_sigmask") else set()
    try:
        with _quiet_std_fds():
            for start in (resource_tracker.ensure_running, forkserver.ensure_running):
                if stops:
                    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
                start()
    finally:
        if stops:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)


class _quiet_std_fds:
    """File descriptors 1 and 2 on the null device for the block (what a process started inside
    it inherits), then back as they were."""

    def __enter__(self) -> None:
        import sys

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        self.saved = [os.dup(fd) for fd in (1, 2)]
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)

    def __exit__(self, *exc) -> None:
        for fd, saved in zip((1, 2), self.saved):
            os.dup2(saved, fd)
            os.close(saved)


def lifeline():
    """A one-way pipe, (the workers' end, the run's end): the run keeps its end, and each worker
    is given the other (init_worker); when the run ends, however it ends, its end closes."""
    ctx = context()
    return ctx.Pipe(duplex=False)


def init_worker(run_end) -> None:
    """Worker initializer: let go of the run's terminal, and end as soon as the run is gone.

    A worker writes nothing to stdout or stderr (its results and errors go back through the
    pool), so fds 1 and 2 are pointed at the null device: a worker outliving a killed run
    must not hold the run's output open.  A run killed outright cannot tell its workers to
    stop, and its pid is no sign (a zombie still answers `kill(pid, 0)`); but the kernel
    closes a dead process's files at once, so a daemon thread waits on `run_end`, a pipe
    only the run can write to, and ends the worker when it reads end-of-file.  On Linux the
    kernel also kills the worker if its parent (the fork server) goes (PR_SET_PDEATHSIG)."""
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(null, fd)
    os.close(null)
    # A terminal's Ctrl-C reaches every process of the group, and so do `timeout`'s SIGTERM and a closed
    # session's SIGHUP: the run stops its workers itself. A worker stopped by one halfway through sending
    # a result would leave the pool reading the rest for ever.
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    _die_with_parent()
    import threading

    def watch() -> None:
        try:
            while True:
                run_end.recv_bytes()  # nothing is ever sent: this returns only at the run's end
        except (EOFError, OSError):
            os._exit(1)

    threading.Thread(target=watch, name="senrun-run-watch", daemon=True).start()


def _die_with_parent() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG)."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the watching thread still ends the worker
