"""How the processes that build the per-school returns start (SPEC §7 --jobs).

Start method: `forkserver`.  Measured on 420 schools with --jobs 2 (docs/outputs.md), the
three start methods were within the machine's noise of each other (returns step, median
of 30: fork 1.28 s, forkserver 1.40 s, spawn 1.56 s; in-process 1.56 s; minima 0.73, 0.74,
0.75, 1.07), so the safe one is used: Polars warns that a forked child can deadlock if
Polars' thread pool held a lock at the fork, whereas `forkserver` forks each worker from a
clean single-threaded server that has preloaded only XlsxWriter and this package's
Polars-free modules.

The server takes a moment to start and import those (about 0.3 s on a 2-core laptop,
most of it importing the caller's `__main__`, which for the command line is Typer and
Rich); `prepare_workers` starts it early, beside the run, instead of when the returns are
due.  This module is free of Polars, so calling it costs the caller nothing to import.
"""

from __future__ import annotations

import multiprocessing
import os

START_METHOD = "forkserver"
#: The module whose function the workers run (returnbook.build_chunk); the server imports it once.
WORKER_MODULE = "senrun.outputs.returnbook"


def context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context for the returns' pool, its fork server told what to preload."""
    ctx = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        # the server imports these once; each worker forked from it then starts warm
        ctx.set_forkserver_preload(["__main__", WORKER_MODULE])
    return ctx


def prepare_workers(jobs: int | None = None) -> None:
    """Start the fork server now if the returns may be built by several processes (`jobs`,
    default the CPU count), so that it is ready when they are due.  Optional: building the
    returns starts it anyway.  The server stops when this process does."""
    if START_METHOD != "forkserver" or (jobs if jobs is not None else (os.cpu_count() or 1)) < 2:
        return
    context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


def watch_parent(parent_pid: int, every: float = 0.2) -> None:
    """Worker initializer: end this worker as soon as the run that started it is gone.

    A run killed outright (SIGKILL, a power-off of the session) cannot tell its workers to
    stop, and a worker blocked on the task queue would wait for ever, holding the run's
    terminal and the resource tracker open.  A daemon thread checks the parent's pid and
    exits the worker when it has gone; it costs nothing while the run is alive."""
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid now belongs to someone else: ours is gone
                os._exit(1)

    threading.Thread(target=watch, name="senrun-parent-watch", daemon=True).start()
