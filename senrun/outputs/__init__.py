"""Writing a run's outputs: allocations.xlsx, the CSVs, the per-school returns, manifest.json (SPEC §6).

`write_outputs(result, out)` is the one entry point.  It is imported lazily so that the
processes writing the returns, which import this package, do not pay for Polars.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from ..result import RunResult

__all__ = ["write_outputs"]


def write_outputs(result: "RunResult", out: Path, *, returns: bool = True, jobs: int | None = None,
                  diff: "pl.DataFrame | None" = None,
                  progress: Callable[[str, int, int], None] | None = None, packs: bool | None = None) -> Path:
    """Write the run's outputs into the folder `out`, all or nothing; returns `out`.

    See :func:`senrun.outputs.writer.write_outputs` and docs/outputs.md.
    """
    from .writer import write_outputs as write

    return write(result, out, returns=returns, jobs=jobs, diff=diff, progress=progress, packs=packs)
