"""What the returns' fork server does once, before it forks any worker (processes.context).

Importing this module imports the return and pack builders and checks XlsxWriter's internals
(`xlsxpack.fallback_reason`: reference workbooks written both ways, ≈60 ms).  The server
imports it while the run is still reading its inputs, so every worker is forked with the
answer at hand instead of working it out afresh when the returns are due (two workers: ≈0.12 s
of CPU at the busiest moment of a run).  Nothing else imports it.
"""

from __future__ import annotations

import gc
import sys

gc.disable()  # while the server imports: what it makes lives in every worker (frozen below)

# what a worker needs to take its work from the pool, imported once here rather than in each worker
import concurrent.futures.process  # noqa: F401
import multiprocessing.queues  # noqa: F401
import multiprocessing.synchronize  # noqa: F401

from . import packbook, returnbook  # noqa: F401  (imported for the workers)
from .xlsxpack import fallback_reason

fallback_reason()

#: Every module the server had imported when it was ready: a worker forked from it has these already.
PRELOADED = frozenset(sys.modules)

# Out of the cycle collector's sight, in the server and so in every worker forked from it: a worker's
# collections then walk only what the worker makes, not the ≈100,000 objects of the imports each time
# (cli/collector.py says the same of the command's own process)
gc.freeze()
gc.enable()
