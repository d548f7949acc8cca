"""`senrun allocate`: the funding run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .common import ConfigOpt, DebugOpt, JobsOpt, OutOpt, QuietOpt, console, handled
from .progress import steps


@app.command()
def allocate(
    config: ConfigOpt,
    out: OutOpt,
    previous: Annotated[Optional[Path], typer.Option(
        help="Last year's schools.csv or allocations.xlsx: adds diff.csv and a Diff sheet.",
        exists=True, dir_okay=False)] = None,
    previous_config: Annotated[Optional[Path], typer.Option(
        "--previous-config", help="Last year's config: adds why each total changed (psf_runoff, pupil_numbers, "
        "formula, other) to diff.csv and the Diff sheet.", exists=True, dir_okay=False)] = None,
    no_returns: Annotated[bool, typer.Option("--no-returns", help="Skip the per-school return workbooks.")] = False,
    packs: Annotated[Optional[bool], typer.Option(
        "--packs/--no-packs", help="Write (or skip) the cluster packs, clusters/<cluster>.xlsx; by default "
        "they are written unless --no-returns is given.")] = None,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Run the year's allocation and write the workbook, the returns, the CSVs and a manifest.

    The output folder is written beside --out and swapped in only when everything succeeded: a failed
    run leaves last year's folder exactly as it was.

    Example:  [bold]senrun allocate --config config/senrun.yaml --out out/[/]
    """
    if not no_returns:  # the returns' processes get ready while the run reads and computes
        from ..outputs.processes import prepare_workers

        prepare_workers(jobs)
    from ..config.loader import load_config
    from ..outputs import write_outputs
    from ..pipeline import allocate as run_allocation
    from .render import print_totals, print_warning_summary

    with handled(debug):
        with steps(quiet) as progress:
            result = run_allocation(load_config(config), progress=progress.step)
            diff = None
            if previous is not None:
                from ..yearly.diff import diff_against

                diff = diff_against(result, previous)
            if previous_config is not None:
                from ..yearly.attribution import attributed_diff

                diff = attributed_diff(result, load_config(previous_config), diff)
            write_outputs(result, out, returns=not no_returns, jobs=jobs, diff=diff, progress=progress.advance,
                          packs=packs)
        if quiet:
            if result.warnings:
                console.print(f"{len(result.warnings):,} warning(s): see the Summary sheet of {out}/allocations.xlsx")
            return
        print_warning_summary(result.warnings, console)
        print_totals(result, console)
        if diff is not None:
            from .simulate import print_movers

            print_movers(diff, console)
        with_packs = (not no_returns) if packs is None else packs
        console.print(f"Wrote {out}/ (allocations.xlsx, pupils.xlsx (restricted), schools.csv, clusters.csv, psf.csv, "
                      f"manifest.json{', returns/' if not no_returns else ''}{', clusters/' if with_packs else ''}).")
