"""How the memory Polars frees goes back to the system (Linux; docs/decisions.md 36).

Polars allocates through its own copy of jemalloc, which keeps freed pages for ten seconds
before giving them back, in case they are wanted again.  A run's steps each build frames and
let them go within a second or two, so a step's freed pages were still counted when the next
step's peak came: at England scale, with every round-2 feature on, 40–60 MB of the peak was
memory already freed.  `senrun` (the command) asks that copy of jemalloc to give freed pages
back after 0.1 s, on a thread of its own (`background_thread`), so the run's own threads do
not wait for it: the same wall time, 25–60 MB less at the peak (docs/performance.md).

The copy of jemalloc inside Polars reads its options from `_RJEM_MALLOC_CONF` once, when
Polars is first imported, so `tune()` must run before that.  A value the user has set is kept;
elsewhere than Linux, or with a Polars that allocates otherwise, the variable is simply not
read, and runs take the allocator's defaults: more memory, the same results
(tests/test_allocator.py checks that Polars still reads it).  The library (`import senrun`)
leaves its caller's process as it is.
"""

from __future__ import annotations

import os
import sys

#: The variable Polars' jemalloc (tikv-jemallocator, symbols prefixed `_rjem_`) reads its options from.
VARIABLE = "_RJEM_MALLOC_CONF"
#: Freed pages back to the system after 0.1 s (dirty), at once from there (muzzy), by jemalloc's own thread.
OPTIONS = "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"


def tune() -> bool:
    """Set OPTIONS for Polars' allocator if it can still take them (Linux, Polars not yet imported,
    the variable not set by the user); returns whether it was set."""
    if not sys.platform.startswith("linux") or "polars" in sys.modules or VARIABLE in os.environ:
        return False
    os.environ[VARIABLE] = OPTIONS
    return True
