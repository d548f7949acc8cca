"""`senrun sample`: synthetic data to try senrun on."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .app import app
from .common import DebugOpt, console, handled


class Scale(str, Enum):
    demo = "demo"
    la = "la"
    england = "england"


@app.command()
def sample(
    scale: Annotated[Scale, typer.Option(help="demo: a handful of schools; la: ~420 schools, ~110,000 pupils "
                                              "(the reference authority); england: ~21,600 schools, ~8.1M pupils.")]
    = Scale.demo,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 2013,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.", file_okay=False)] = Path("sample"),
    debug: DebugOpt = False,
) -> None:
    """Write a deterministic synthetic data set, its config (senrun.yaml) and planted.csv.

    planted.csv lists every statement row with the reason and pence that SPEC §3 gives it, worked out by
    the generator from how it planted each case, so a funding run can be checked against it.

    Example:  [bold]senrun sample --scale la --seed 2013 --out sample_data/[/]
    """
    from ..outputs.guard import check_sample_target
    from ..sample.generate import generate_sample

    with handled(debug):
        check_sample_target(out)
        counts = generate_sample(scale.value, seed, out,
                                 progress=(lambda msg: console.print(f"  {msg}")) if console.is_terminal else None)
        console.print(f"Wrote {scale.value} sample to {escape(str(out))}: " +
                      ", ".join(f"{v:,} {k}" for k, v in counts.items() if isinstance(v, int)))
