"""`senrun sample`: synthetic data to try senrun on."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import DebugOpt, console, handled, shown_after_writing
from .text import escape


class Scale(str, Enum):
    demo = "demo"
    la = "la"
    england = "england"


@app.command()
def sample(
    scale: Annotated[Scale, typer.Option(help="demo: a handful of schools; la: 431 schools, ~116,000 pupils "
                                              "(the reference authority); england: ~21,600 schools, ~8.1M pupils.")]
    = Scale.demo,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same bytes (0 or more).")] = 2013,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write into.", file_okay=False)] = Path("sample"),
    years: Annotated[str | None, typer.Option(
        help="A chain of funding years such as 2013-14:2019-20 (from 2012-13 to 2019-20): one folder per "
             "year, to run in order with --register and --previous (demo or la scale).")] = None,
    debug: DebugOpt = False,
) -> None:
    """Write a deterministic synthetic data set, its config (senrun.yaml) and planted.csv.

    planted.csv lists every statement row with the reason and pence that the rules (docs/rules.md) give it,
    worked out by the generator from how it planted each case, so a funding run can be checked against it.

    With --years, one folder per funding year, each with its inputs, senrun.yaml and planted.csv (the
    expected line of every statement history when the years are run in order).

    Example:  [bold]senrun sample --scale la --seed 2013 --out sample_data/[/]
              [bold]senrun sample --scale demo --years 2013-14:2019-20 --out chain/[/]
    """
    from ..outputs.guard import check_sample_target
    from ..sample.generate import generate_sample

    if years is not None:
        _chain(scale, seed, years, out, debug)
        return
    with handled(debug):
        check_sample_target(out)
        counts = generate_sample(scale.value, seed, out,
                                 progress=(lambda msg: console.print(f"  {msg}")) if console.is_terminal else None)
        with shown_after_writing(f"{out}/"):
            console.print(f"Wrote {scale.value} sample (seed {seed}) to {escape(str(out))}: " +
                          ", ".join(f"{v:,} {k}" for k, v in counts.items() if isinstance(v, int) and k != "seed"))


def _chain(scale: Scale, seed: int, years: str, out: Path, debug: bool) -> None:
    """`senrun sample --years`: the chain of funding years."""
    from ..outputs.guard import check_sample_target
    from ..sample.chain import generate_chain, parse_years

    if scale == Scale.england:
        raise typer.BadParameter("a chain of years is written at demo or la scale", param_hint="--scale")
    try:
        labels = parse_years(years)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).split(": ", 1)[-1], param_hint="--years") from None
    with handled(debug):
        for label in labels:  # each year's folder is written in place: never over a council's own files
            check_sample_target(out / label)
        generate_chain(scale.value, seed, years, out,
                       progress=(lambda msg: console.print(f"  {msg}")) if console.is_terminal else None)
        with shown_after_writing(f"{out}/"):
            console.print(f"Wrote a {scale.value} chain of {len(labels)} years to {escape(str(out))}: "
                          f"{', '.join(labels)} (run them in order: see {labels[0]}/senrun.yaml)")
