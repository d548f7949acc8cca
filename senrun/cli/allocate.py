"""`senrun allocate`: the funding run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .collector import importing
from .common import (EXISTING, EXISTING_FILE, ConfigOpt, DebugOpt, JobsOpt, OutOpt, PersonalOpt,
                     RegisterOpt, console, handled)
from .text import escape
from .notes import print_xlsx_note
from .progress import steps


#: --quiet as allocate takes it: a run replaced in --out is said all the same (returns may have gone to schools).
AllocateQuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems, and that an earlier run "
                                                "in --out was replaced (for cron).")]
#: The CSVs that name children (their UPNs and dates of birth): for the SEN finance team only (docs/security.md).
RESTRICTED_CSVS = frozenset({"psf.csv", "reconciliation.csv", "warnings.csv"})


@app.command()
def allocate(
    config: ConfigOpt,
    out: OutOpt,
    previous: Annotated[Optional[Path], typer.Option(
        help="Last year's schools.csv or allocations.xlsx (or the folder senrun wrote them in): adds diff.csv "
        "and a Diff sheet.", callback=EXISTING)] = None,
    previous_config: Annotated[Optional[Path], typer.Option(
        "--previous-config", help="Last year's config: adds why each total changed (psf_runoff, pupil_numbers, "
        "formula, other) to diff.csv and the Diff sheet.", callback=EXISTING_FILE, show_default=False)] = None,
    register: RegisterOpt = None,
    no_returns: Annotated[bool, typer.Option("--no-returns", help="Skip the per-school return workbooks.")] = False,
    packs: Annotated[Optional[bool], typer.Option(
        "--packs/--no-packs", help="Write (or skip) the cluster packs, clusters/<cluster>.xlsx; by default "
        "they are written unless --no-returns is given.")] = None,
    jobs: JobsOpt = None,
    quiet: AllocateQuietOpt = False,
    debug: DebugOpt = False,
    show_personal: PersonalOpt = False,
) -> None:
    """Run the year's allocation and write the workbook, the returns, the CSVs and a manifest.

    The output folder is written beside --out and swapped in only when everything succeeded: a failed
    run leaves last year's folder exactly as it was.

    Example:  [bold]senrun allocate --config config/senrun.yaml --out out/[/]
    """
    if not no_returns:  # the returns' processes get ready while this one imports Polars, reads and computes
        from ..outputs.processes import prepare_workers

        prepare_workers(jobs)
    with importing():  # Polars, XlsxWriter and senrun's modules: they live for the whole run (cli/collector.py)
        from .render import show_personal_data
        from ..outputs import write_outputs, writer  # noqa: F401  (writer: what write_outputs imports)
        from ..outputs.guard import run_in
        from ..pipeline import allocate as _  # noqa: F401  (what _run imports)

    show_personal_data(show_personal)

    with handled(debug):
        with steps(quiet) as progress:
            result, diff = _run(config, previous, previous_config, register, progress.step)
            earlier = run_in(out)
            write_outputs(result, out, returns=not no_returns, jobs=jobs, diff=diff, progress=progress.advance,
                          packs=packs)
        print_xlsx_note(console)
        _report(result, diff, out, no_returns, (not no_returns) if packs is None else packs, quiet)
        _replaced(earlier, out)  # (under --quiet too: a run that went to schools may just have been replaced)


def _replaced(earlier: str | None, out: Path) -> None:
    """Say so when the run replaced another allocation in --out (other inputs or config): its figures, and the
    returns that may have gone to schools, are gone, and next year's --register and --previous are this run."""
    from ..outputs.guard import run_in

    now = run_in(out)
    if earlier is None or earlier == now:
        return
    console.print(f"Replaced the earlier run in {escape(str(out))} (Run {earlier} in its footers) with this one "
                  f"(Run {now}). If that run was issued to schools, it can be made again, byte for byte, from its "
                  "config and inputs by this version of senrun; keep each issue in a folder of its own, and give the "
                  "last issue's folder as next year's --register and --previous (docs/outputs.md, \"Re-running a "
                  "year\").")


def _run(config: Path, previous: Path | None, previous_config: Path | None, register: Path | None, step):
    """The year's allocation and, with --previous or --previous-config, its diff against last year."""
    from ..pipeline import allocate as run_allocation, load_checked_config
    from ..yearly.diff import floor_previous, floor_snapshot, previous_snapshot

    cfg = load_checked_config(config)
    # last year's file, read once: the floor, the Diff and the manifest's SHA-256 are of one version of it
    last = floor_snapshot(cfg, previous)
    result = run_allocation(cfg, progress=step, previous=floor_previous(cfg, previous, last), register=register)
    diff = None
    if previous is not None:
        from dataclasses import replace

        from ..yearly.diff import diff_against, few_in_common, previous_year_issues

        last = last or previous_snapshot(previous)
        diff = diff_against(result, previous, last)
        result = replace(result, issues=result.issues + tuple(previous_year_issues(cfg, previous, register, last))
                         + tuple(few_in_common(diff, previous)))
    if previous_config is not None:
        from dataclasses import replace

        from ..outputs.writer import with_previous_config
        from ..yearly.attribution import from_last_years_config

        diff, last_years, found = from_last_years_config(result, previous_config, diff, previous)
        result = with_previous_config(replace(result, issues=result.issues + tuple(found)), previous_config,
                                      last_years.sha256)
    return result, diff


def _report(result, diff, out: Path, no_returns: bool, with_packs: bool, quiet: bool) -> None:
    """What the run did, on the terminal: the warnings, the money, the largest moves, the files."""
    from .render import print_totals, print_warning_summary

    if quiet:
        if result.warnings:
            console.print(f"{len(result.warnings):,} warning(s): listed in {escape(str(out))}/pupils.xlsx "
                          "(restricted) and counted on the Summary sheet of allocations.xlsx")
        return
    print_warning_summary(result.warnings, console)
    print_totals(result, console)
    if diff is not None:
        from .simulate import print_movers

        print_movers(diff, console, names=dict(result.schools.select("school_id", "school_name").iter_rows()),
                     flag_pct=result.config.flag_pct)
    cfg = result.config
    said = any(w.code == "register_not_given" for w in result.warnings)  # --previous beside its psf.csv
    if result.register is None and not said and cfg.policy_start < cfg.period_start:  # no memory of last year
        console.print(f"Note: no --register was given, in a year after the policy began ({cfg.policy_start:%d/%m/%Y}): "
                      "PSF that stopped in an earlier year is paid again wherever this year's inputs would pay it. "
                      "Give last year's output folder as --register and --previous (docs/seven-years.md); nothing "
                      "is wrong if this is senrun's first year under the policy and its inputs carry every stop "
                      "made before it (docs/your-data.md).")
    from ..outputs.writer import csv_names

    # diff.csv with --previous, reconciliation.csv with --register; those naming children said so (docs/security.md)
    csvs = ", ".join(f"{name} (restricted)" if name in RESTRICTED_CSVS else name for name in csv_names(result, diff))
    console.print(f"Wrote {escape(str(out))}/ (allocations.xlsx, pupils.xlsx (restricted), {csvs}, "
                  f"manifest.json{', returns/ (each to its own school only)' if not no_returns else ''}"
                  f"{', clusters/' if with_packs else ''}).",
                  soft_wrap=True)  # one line: a path is never broken across lines in a cron mail
