"""Python's cycle collector held off while the `senrun` command imports its libraries.

Importing Typer, Rich, Polars, XlsxWriter and senrun makes tens of thousands of objects (functions,
classes, tables) that live as long as the process.  The collector runs every 700 new objects and, while
they loaded, walked them again and again: ≈40 ms of CPU in the command's process at la scale, one full
collection of ≈15 ms among it (docs/performance.md).  `importing()` holds it off for a block of imports,
then moves every object made so far out of its sight (`gc.freeze`) and turns it back on for what the run
makes.  Only in the `senrun` command itself: a program that imports the command line (a test) keeps its
collector as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from .interrupt import is_the_command


@contextmanager
def importing() -> Iterator[None]:
    """The block's imports made with the collector off; then they, and all before them, frozen."""
    if not is_the_command() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
