"""How senrun runs its Polars plans: which engine, measured (docs/performance.md).

- The PSF and formula plans (one row per statement or school: 430,000 rows at England
  scale) run on the in-memory engine, which ran them in about half the time of the
  streaming engine that Polars 2 makes the default.
- The two scans of the whole pupil census (8.1 million rows), which keep only a little,
  run on the streaming engine: faster, and without holding a copy of the census (at England
  scale the in-memory engine's filtered copy added about 0.5 GB to the peak).

Polars 1 runs everything in memory by default, and is left to do so.
"""

from __future__ import annotations

import polars as pl

_ENGINES = int(pl.__version__.split(".")[0]) >= 2


def collect(frame: pl.LazyFrame, *, streaming: bool = False) -> pl.DataFrame:
    """Run a plan: in memory, or in batches (`streaming`) for a scan of the census."""
    if not _ENGINES:
        return frame.collect()
    return frame.collect(engine="streaming" if streaming else "in-memory")


def collect_all(frames: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Run independent plans together in memory (they must not share a subplan: Polars would
    run a shared part once per plan)."""
    return pl.collect_all(frames, **({"engine": "in-memory"} if _ENGINES else {}))
