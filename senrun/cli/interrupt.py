"""Ctrl-C before a command's body: one line, never a traceback (decisions 11); in it, one
KeyboardInterrupt, after which the run's cleanup is not interrupted again (decisions 66).

`while_starting` is the `senrun` command's first act: until a command's body begins
(`started`, from cli/common.handled) a Ctrl-C while Python is still loading Typer, Rich and
Polars ends the process at once with one line; nothing can have been written yet.  A
program that imports the command-line module (a test) keeps its own Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys


def _stopped_while_starting(signum, frame) -> None:
    os.write(2, b"senrun stopped (Ctrl-C) while starting: nothing was written.\n")
    os._exit(130)


def _is_the_command() -> bool:
    """Whether this process is the `senrun` command (its script, or `python -m senrun`)."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script in ("senrun", "senrun.exe") or (
        script == "__main__.py" and os.path.basename(os.path.dirname(sys.argv[0])) == "senrun")


def while_starting() -> None:
    """In the `senrun` command, set the one-line Ctrl-C until a command's body begins."""
    if _is_the_command():
        signal.signal(signal.SIGINT, _stopped_while_starting)


def _stop_once(signum, frame) -> None:
    """Ctrl-C in a command's body: KeyboardInterrupt, once. The run is then stopping: it waits for its
    threads and deletes its staging folder, and a second Ctrl-C (pressed again, or the same signal
    passed on by the watching process) must not cut that short and leave children's data beside --out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def started() -> None:
    """A command's body has begun: Ctrl-C is a KeyboardInterrupt again (once: `_stop_once`), which
    the command reports with what it had written."""
    if signal.getsignal(signal.SIGINT) is _stopped_while_starting:
        signal.signal(signal.SIGINT, _stop_once)
