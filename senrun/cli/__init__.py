"""The `senrun` command: a thin layer over the library (STYLE).  Each command parses its
options, calls one core function, shows the result, and maps SenrunError to exit 1."""

from __future__ import annotations

import gc
import sys

from .app import app

from . import allocate as _allocate  # noqa: E402,F401  (registers the commands)
from . import explain as _explain  # noqa: E402,F401
from . import sample as _sample  # noqa: E402,F401
from . import simulate as _simulate  # noqa: E402,F401
from . import validate as _validate  # noqa: E402,F401


def main() -> None:
    """The `senrun` command."""
    from .common import OUT_OF_MEMORY, NOTHING_WRITTEN, quiet_pipe, tolerant_streams
    from .supervise import supervise

    supervise(sys.argv)  # returns in the process that runs the command
    tolerant_streams()
    try:
        app()
    except MemoryError:  # while Python was loading senrun or Polars, before a command's own handler
        sys.stderr.write(OUT_OF_MEMORY.format(written=NOTHING_WRITTEN))
        raise SystemExit(1) from None
    except Exception as exc:  # e.g. Polars' library failing to load on a machine short of memory
        if "--debug" in sys.argv:
            raise
        sys.stderr.write(f"senrun could not start ({type(exc).__name__}): {NOTHING_WRITTEN}. Run again with "
                         "--debug for the traceback; if memory is short, docs/performance.md gives what a run needs.\n")
        raise SystemExit(1) from None
    except SystemExit:
        try:  # the last of stdout, now: a reader that has gone (`| head`) is no failure of the run
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_pipe()
        except (OSError, ValueError):
            pass
        raise
    finally:
        # The run is over: keep the interpreter's last collections from walking every object it made
        # (Polars', Typer's, the workbooks'), ≈0.1 s of the exit; nothing is left to free but memory.
        gc.freeze()
