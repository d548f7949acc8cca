"""What the returns' fork server does once, before it forks any worker (processes.context).

Importing this module imports the return and pack builders and checks XlsxWriter's internals
(`xlsxpack.fallback_reason`: reference workbooks written both ways, ≈60 ms).  The server
imports it while the run is still reading its inputs, so every worker is forked with the
answer at hand instead of working it out afresh when the returns are due (two workers: ≈0.12 s
of CPU at the busiest moment of a run).  Nothing else imports it.
"""

from __future__ import annotations

from . import packbook, returnbook  # noqa: F401  (imported for the workers)
from .xlsxpack import fallback_reason

fallback_reason()
