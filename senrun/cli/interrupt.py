"""Ctrl-C before a command's body: one line, never a traceback (decisions 11); in it, one
KeyboardInterrupt, after which the run's cleanup is not interrupted again (decisions 66).  SIGTERM
and SIGHUP in a command's body stop it the same way (decisions 71).

`while_starting` is the `senrun` command's first act: until a command's body begins
(`started`, from cli/common.handled) a Ctrl-C (a SIGTERM, a SIGHUP) while Python is still loading
Typer, Rich and Polars ends the process at once with one line and its exit code; nothing can have
been written yet.  A program that imports the command-line module (a test) keeps its own Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys

from ..outputs.stops import STOP_WORDS


def _stopped_while_starting(signum, frame) -> None:
    words = STOP_WORDS.get(signum, "Ctrl-C")
    os.write(2, f"senrun stopped ({words}) while starting: nothing was written.\n".encode("ascii"))
    os._exit(130 if signum == signal.SIGINT else 128 + int(signum))


def is_the_command() -> bool:
    """Whether this process is the `senrun` command (its script, or `python -m senrun`)."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script in ("senrun", "senrun.exe") or (
        script == "__main__.py" and os.path.basename(os.path.dirname(sys.argv[0])) == "senrun")


def kept_ignored(stop: int) -> bool:
    """Whether a stop is SIGHUP and this process was started with it ignored: `nohup senrun allocate … &`
    asks the run to outlive the session that started it, whose end sends SIGHUP; it stays ignored."""
    return stop == getattr(signal, "SIGHUP", None) and signal.getsignal(stop) == signal.SIG_IGN


def while_starting() -> None:
    """In the `senrun` command, set the one-line Ctrl-C (SIGTERM, SIGHUP) until a command's body begins
    (a SIGHUP ignored by `nohup` stays ignored: `kept_ignored`)."""
    if is_the_command():
        for stop in STOP_WORDS:
            if not kept_ignored(stop):
                signal.signal(stop, _stopped_while_starting)


#: The signals that stop a command's body as Ctrl-C does (a scheduler's SIGTERM, a closed session's SIGHUP),
#: each with its words for the message.
STOPS = STOP_WORDS  # (SIGHUP where the system has one)
_stopped_by = signal.SIGINT


def _stop_once(signum, frame) -> None:
    """Ctrl-C (or SIGTERM, SIGHUP) in a command's body: KeyboardInterrupt, once. The run is then stopping:
    it waits for its threads and deletes its staging folder, and a second signal (pressed again, or the
    same signal passed on by the watching process) must not cut that short and leave children's data
    beside --out."""
    global _stopped_by
    _stopped_by = signum
    for stop in STOPS:
        signal.signal(stop, signal.SIG_IGN)
    raise KeyboardInterrupt


def started() -> None:
    """A command's body has begun: Ctrl-C is a KeyboardInterrupt again (once: `_stop_once`), which
    the command reports with what it had written; so are SIGTERM and SIGHUP, which would otherwise
    end the process where it stands and leave its staging folder (children's data) beside --out."""
    for stop in STOPS:  # (a SIGHUP ignored by `nohup` stays ignored: while_starting)
        if signal.getsignal(stop) is _stopped_while_starting:
            signal.signal(stop, _stop_once)


def stopped_by() -> tuple[str, int]:
    """What stopped the command (KeyboardInterrupt) in words, and its exit code: 130 for Ctrl-C, else
    128 + the signal's number (143 for SIGTERM, 129 for SIGHUP), as a shell reports a signal."""
    return STOPS.get(_stopped_by, "Ctrl-C"), 130 if _stopped_by == signal.SIGINT else 128 + int(_stopped_by)


def std_streams() -> None:
    """A standard stream closed when senrun starts (`>&-`, a daemon's) is opened on the null device:
    Python would leave sys.stdout None (every message would fail), and the next file senrun opens
    would take its number, so that the returns' processes, which inherit it as their stdout, could
    write into an output file."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        if getattr(sys, name) is None:
            try:
                setattr(sys, name, open(fd, mode, closefd=False, encoding="utf-8", errors="replace"))
            except OSError:
                pass
