"""The signals that stop a run as Ctrl-C does, by name, as far as this system has them.

Ctrl-C (SIGINT), a scheduler's SIGTERM and a closed session's SIGHUP stop a command's body the same
way, each with its own words and exit code.  Windows has no SIGHUP (nor SIGBUS, SIGKILL, SIGCHLD): a
signal is named here only where the `signal` module has it, so that senrun starts everywhere.
"""

from __future__ import annotations

import signal


def present(*names: str) -> tuple[signal.Signals, ...]:
    """The signals of these names that this system has, in the order given."""
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


#: SIGINT, SIGTERM and, where there is one, SIGHUP.
STOP_SIGNALS = present("SIGINT", "SIGTERM", "SIGHUP")
#: The words a stop is told by, for each of STOP_SIGNALS.
STOP_WORDS = {sig: "Ctrl-C" if sig.name == "SIGINT" else sig.name for sig in STOP_SIGNALS}
