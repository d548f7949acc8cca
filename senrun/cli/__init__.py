"""The `senrun` command: a thin layer over the library (STYLE).  Each command parses its
options, calls one core function, shows the result, and maps SenrunError to exit 1."""

from __future__ import annotations

import gc
import os

from .app import app

from . import allocate as _allocate  # noqa: E402,F401  (registers the commands)
from . import explain as _explain  # noqa: E402,F401
from . import onboard as _onboard  # noqa: E402,F401
from . import sample as _sample  # noqa: E402,F401
from . import simulate as _simulate  # noqa: E402,F401
from . import validate as _validate  # noqa: E402,F401


def main() -> None:
    if "_SENRUN_COMPLETE" in os.environ:  # a shell asking for completions (`senrun completion SHELL`)
        from typer._completion_classes import completion_init

        completion_init()
    try:
        app()
    finally:
        # The run is over: keep the interpreter's last collections from walking every object it made
        # (Polars', Typer's, the workbooks'), ≈0.1 s of the exit; nothing is left to free but memory.
        gc.freeze()
