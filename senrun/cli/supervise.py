"""A small process watching the run, so that a crash in native code still ends in one clear line.

Polars and Arrow allocate in Rust: when an allocation fails (a machine short of memory,
`ulimit -v`), Rust aborts the whole process (SIGABRT) before Python can say anything, and a
native crash (SIGSEGV, SIGBUS) does the same.  So on Linux a command that reads data runs in
a child forked at the start, before Polars is loaded; this process only waits for it:

- the child's exit code is passed on; a child killed by a signal other than a crash (SIGKILL,
  SIGTERM) is mirrored by this process dying of the same signal, as a caller expects;
- a crash is reported in one line, saying whether the output folder was swapped in (the
  child tells this process through a pipe: outputs/atomic.py, `SWAP_FD`), and exits 1;
- a terminal's Ctrl-C reaches both (one process group): this process lets the child say what it
  stopped, and reports its 130; SIGINT (`kill -INT`, `timeout -s INT`), SIGTERM and SIGHUP sent
  to this process alone are passed to the child, so that they stop the run as Ctrl-C does;
- if this process is killed outright, the kernel kills the child (PR_SET_PDEATHSIG), whose
  helpers then end too (outputs/processes.py).
"""

from __future__ import annotations

import os
import signal
import sys

from ..outputs.stops import STOP_SIGNALS, present
from .interrupt import kept_ignored

#: Commands that read data (and so load Polars); the others run in this process.
SUPERVISED = frozenset({"allocate", "validate", "simulate", "explain"})
CRASHES = {sig: sig.name for sig in present("SIGABRT", "SIGSEGV", "SIGBUS", "SIGILL")}
#: Signals passed on to the child (waited for with sigwaitinfo, so that each says who sent it).
FORWARDED = STOP_SIGNALS
#: A signal's si_code when the kernel sent it, as a terminal's Ctrl-C is sent to the whole process group.
SI_KERNEL = 0x80
#: Seconds between looks at whether the child has ended, should its SIGCHLD not reach the waiting thread.
WAIT_STEP = 0.1
CRASH_LINE = ("senrun stopped: {what} inside Polars' native code ({name}), most often for want of memory; {written}. "
              "docs/performance.md gives the memory a run needs.\n")


def supervise(argv: list[str]) -> None:
    """Return in the child (which then runs the command); in this process, wait and exit as it did."""
    if not sys.platform.startswith("linux") or len(argv) < 2 or argv[1] not in SUPERVISED:
        return
    if os.environ.get("SENRUN_SUPERVISED"):  # already inside one (a test calling main twice)
        return
    read_end, write_end = os.pipe()
    parent = os.getpid()
    # blocked from before the fork, so that none meets this process between the fork and its wait (a
    # `kill -INT` sent once the child has started would otherwise take the starting handler's way out)
    watched = {*_forwarded(), signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    child = os.fork()
    if child == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, watched)  # the child takes its signals as usual
        os.close(read_end)
        os.environ["SENRUN_SUPERVISED"] = "1"
        _die_with(parent)
        from ..outputs import atomic

        atomic.SWAP_FD = write_end
        return
    os.close(write_end)
    for sig in _forwarded():  # one that another thread of this process takes (a thread a program started before calling
        signal.signal(sig, lambda signum, frame: _forward(child, signum))  # main) is passed on by its handler
    _wait_and_exit(child, read_end)


def _forwarded() -> set[int]:
    """FORWARDED but a SIGHUP this process was started with ignored (`nohup`), which it leaves ignored, as
    the child does (cli/interrupt.py, `kept_ignored`)."""
    return {sig for sig in FORWARDED if not kept_ignored(sig)}


def _forward(child: int, sig: int) -> None:
    """Pass a signal on to the child, unless it has ended."""
    try:
        os.kill(child, sig)
    except ProcessLookupError:
        pass  # it has just ended: the wait says how


def _die_with(parent: int) -> None:
    """The child: be killed if the watching process dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the kernel was told to watch it
        os._exit(1)


def _wait_and_exit(child: int, read_end: int) -> None:
    """This process: wait for the child, then end as it ended."""
    status = _wait(child)
    swapped = _read_all(read_end)
    if os.WIFEXITED(status):
        os._exit(os.WEXITSTATUS(status))
    sig = os.WTERMSIG(status)
    if sig in CRASHES:
        written = f"{swapped}/ was written in full" if swapped else "nothing was written"
        what = "an allocation failed" if sig == signal.SIGABRT else "a crash"
        os.write(2, CRASH_LINE.format(what=what, name=CRASHES[sig], written=written).encode("utf-8", "replace"))
        os._exit(1)
    try:
        signal.signal(sig, signal.SIG_DFL)  # die as the child died, so the caller sees the same
    except (OSError, ValueError):
        pass  # SIGKILL's action is always the default
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})  # blocked while waiting (_wait)
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def _wait(child: int) -> int:
    """Wait for the child to end, passing it each of FORWARDED sent to this process; its wait status.

    The signals are blocked and taken with sigwaitinfo, which says who sent each: a terminal's Ctrl-C
    (sent by the kernel to the whole process group) has reached the child already, and is not passed
    on again.  SIGCHLD, blocked too, wakes the wait when the child ends."""
    watched = {*_forwarded(), signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    while True:
        try:
            ended, status = os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            os._exit(1)
        if ended:
            return status
        # with a timeout, in case SIGCHLD went to another thread (a program that loaded Polars, whose threads
        # do not block it, before calling main): then the child's end is found by the next waitpid
        info = signal.sigtimedwait(watched, WAIT_STEP)
        if info is None or info.si_signo == signal.SIGCHLD or (
                info.si_signo == signal.SIGINT and info.si_code == SI_KERNEL):
            continue
        _forward(child, info.si_signo)


def _read_all(fd: int) -> str:
    """What the child wrote to the pipe (the last folder it swapped in), as text."""
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    lines = b"".join(chunks).decode("utf-8", "replace").splitlines()
    return lines[-1] if lines else ""
