"""`senrun simulate`: scenarios, sweeps and the run-off projection, compared with the base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .common import (EXISTING, EXISTING_FILE, ConfigOpt, DebugOpt, QuietOpt, RegisterOpt, console, err_console,
                     fail_usage, handled)
from .progress import steps
from .text import escape

ScenarioOpt = Annotated[Optional[list[Path]], typer.Option(
    "--scenario", "-s", help="A scenario YAML: an overlay merged onto the base config (repeat for more).",
    callback=EXISTING_FILE, show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", help="Try several values of one setting: KEY=V1,V2,… e.g. lump_sum.rate=0,5000; a pot too, with "
                  "the SEN total's check dropped: --set budget.pupil_specific_pot=16000000 --set budget.sen_total=null. "
                  "Several --set try every combination.", show_default=False)]
YearsOpt = Annotated[Optional[int], typer.Option(
    "--years", min=1, max=50, help="Project the PSF run-off over N years, this year's included.", show_default=False)]
SimOutOpt = Annotated[Optional[Path], typer.Option(
    "--out", "-o", help="Write simulate.xlsx, scenarios.csv, infeasible.csv, manifest.json (and projection.csv) "
    "here, all or nothing.",
    file_okay=False, show_default=False)]


SheetsOpt = Annotated[Optional[str], typer.Option(
    "--sheets", metavar="all|none|top:N",
    help="Which scenarios get a sheet of their own in simulate.xlsx: all, none, or top:N, the N that move the "
         "most money between schools (the sum over schools of |scenario − base|; ties by scenario order). "
         "Default top:20: every scenario's sheet for a run of 20 or fewer. Every scenario is in scenarios.csv "
         "and on the Overview whatever this says.", show_default=False)]
SimPreviousOpt = Annotated[Optional[Path], typer.Option(
    "--previous", help="Last year's schools.csv or allocations.xlsx (or the folder senrun wrote them in), as "
    "allocate --previous takes it: formula.protection's floor is then applied to the base and to every scenario "
    "that has one, so each is what allocate would pay (without it the floor is left out, with a note).",
    callback=EXISTING, show_default=False)]
StrictSimOpt = Annotated[bool, typer.Option(
    "--strict", help="Exit 1 if any scenario could not run (the others are still run and written).")]


@app.command()
def simulate(config: ConfigOpt, scenario: ScenarioOpt = None, set_: SetOpt = None, years: YearsOpt = None,
             out: SimOutOpt = None, sheets: SheetsOpt = None, register: RegisterOpt = None,
             previous: SimPreviousOpt = None, strict: StrictSimOpt = False, quiet: QuietOpt = False,
             debug: DebugOpt = False) -> None:
    """What-if: compare scenarios or a parameter sweep with the base run, per school and cluster.

    Every scenario is checked before anything runs; inputs are read once.  A scenario may set
    `rate: solve` on one element (with no remainder element) to find the rate that spends the pot.
    A scenario the pot cannot pay is a row marked infeasible, with the reason and the highest
    affordable rate; the others still run.  Exit 0 if at least one scenario ran (with --strict,
    1 if any could not).  simulate.xlsx has a sheet per scenario for up to 20 scenarios; a larger
    sweep gets sheets for the 20 that move the most money (--sheets top:N, all or none), and
    every scenario is in scenarios.csv and on the Overview.

    Example:  [bold]senrun simulate -c config/senrun.yaml --set lump_sum.rate=0,5000,10000 --years 7 -o what-if/[/]
    """
    if not (scenario or set_ or years):
        fail_usage("give at least one --scenario FILE, --set KEY=V1,V2… or --years N")
    chosen = _sheets(sheets)
    from ..pipeline import load_checked_config
    from ..config.overlay import SetOptionError, load_scenarios, sweep_scenarios, unique_names
    from ..yearly.simbook import run_and_write
    from ..errors import SenrunError
    from .notes import print_xlsx_note
    from ..yearly.simulate import simulate as run_simulation

    with handled(debug):
        base = load_checked_config(config)
        try:
            sweep = sweep_scenarios(base, list(set_ or []))
        except SetOptionError as exc:
            fail_usage(str(exc))
        scenarios = load_scenarios(base, list(scenario or [])) + sweep
        unique_names([name for name, _ in scenarios], swept=tuple(name for name, _ in sweep))
        last_year = _floor_of(base, scenarios, previous)
        if previous is not None and last_year is None and not quiet:
            console.print("Note: --previous is not used: neither the base nor any scenario has formula.protection, "
                          "whose floor it is for.", markup=False)
        def check(sim) -> None:
            if scenarios and not sim.rows:
                _print_infeasible(sim)
                raise SenrunError("no scenario could run (each is listed above); nothing was written")

        with steps(quiet) as progress:
            if out is None:  # the terminal shows every scenario's row, and no sheet
                sim = run_simulation(base, scenarios, years, progress=progress.step, register=register,
                                     sheets=_sheets("none"), previous=last_year[1] if last_year else None)
                check(sim)
            else:  # scenarios.csv written as the scenarios run; only the sheets' scenarios held
                sim = run_and_write(base, scenarios, out, years, chosen, progress.step, register, check, last_year)
        if out is not None:
            print_xlsx_note(console)
        if not quiet:
            _said(sim, out, years, chosen)
    _print_infeasible(sim)  # a problem: shown even with --quiet
    if strict and sim.infeasible:
        err_console.print(f"--strict: {len(sim.infeasible):,} scenario(s) could not run (listed above), so the exit "
                          f"status is 1; the others ran{' and were written' if out is not None else ''}", markup=False)
        raise typer.Exit(1)


def _sheets(text: str | None):
    """--sheets as a Sheets (the default when not given); a bad value is a usage error."""
    from ..yearly.simulate import DEFAULT_SHEETS, Sheets

    try:
        return Sheets.parse(text) if text is not None else DEFAULT_SHEETS
    except ValueError as exc:
        fail_usage(str(exc))


def _said(sim, out: Path | None, years: int | None, chosen) -> None:
    """What a run that was not --quiet says: the scenarios (on a terminal, or with no --out), a floor left out,
    and what was written."""
    from ..yearly.simbook import FLOOR_LEFT_OUT, floor_left_out

    if console.is_terminal or out is None:
        _print(sim)
    if floor_left_out(sim):
        console.print(f"[yellow]{escape(FLOOR_LEFT_OUT)}[/]")
    if out is not None:
        console.print(f"Wrote {escape(str(out))}/ (simulate.xlsx, scenarios.csv{', projection.csv' if years else ''}"
                      f"{', infeasible.csv' if sim.infeasible else ''}, manifest.json).")
        _print_sheets(sim, chosen)


def _floor_of(base, scenarios: list, previous: Path | None) -> tuple[dict, dict[str, int]] | None:
    """Last year's file as the manifest records it (its path as given, and SHA-256) and its cluster allocations,
    read as allocate --previous reads them for formula.protection's floor, where the base or a scenario has one;
    None otherwise (the floor is then left out, with a note)."""
    import hashlib

    from ..yearly.diff import floor_previous, previous_file

    floored = next((cfg for cfg in [base, *[cfg for _, cfg in scenarios]] if cfg.floor_pct is not None), None)
    if previous is None or floored is None:
        return None
    allocations = floor_previous(floored, previous)
    digest = hashlib.sha256(previous_file(previous).read_bytes()).hexdigest()
    return {"path": str(previous), "sha256": digest}, allocations


def _print_sheets(sim, chosen) -> None:
    """One line when some scenarios that ran have no sheet: which have, and how to ask for more."""
    n, shown = len(sim.rows), len(sim.scenarios)
    if shown == n:
        return
    which = {"none": "no scenario has a sheet in simulate.xlsx",
             "top": f"simulate.xlsx has sheets for the {shown:,} of {n:,} scenarios that move the most money "
                    "(the Overview's Sheet column names them)"}[chosen.mode]
    console.print(f"{which}; every scenario is in scenarios.csv and on the Overview. "
                  f"--sheets all (or top:N) for more.")


def _print_infeasible(sim) -> None:
    """The scenarios that could not run, each with its reason and the highest affordable value."""
    for i in sim.infeasible:
        highest = f" Highest affordable: {escape(i.highest)}." if i.highest and "highest" not in i.reason else ""
        err_console.print(f"[yellow]infeasible[/] {escape(i.name)}: {escape(i.reason)}.{highest}")


def _print(sim) -> None:
    if sim.base.warnings:
        console.print(f"{len(sim.base.warnings):,} warning(s) about the inputs: `senrun validate` lists them.")
    if sim.rows:
        _print_scenarios(sim)
    if sim.projection is not None:
        _print_projection(sim.projection)


def _print_projection(frame) -> None:
    from rich.table import Table

    from ..money import fmt_gbp

    table = Table(title="PSF run-off projection", title_justify="left")
    for name in ("year", "continuing PSF", "released PSF", "top-slices", "cluster pot"):
        table.add_column(name, justify="left" if name == "year" else "right")
    for r in frame.iter_rows(named=True):
        table.add_row(r["year"], *(fmt_gbp(r[c]) for c in ("continuing_psf", "released_psf", "topslices",
                                                           "cluster_pot")))
    from .render import print_whole

    print_whole(console, table, ["top-slices", "released PSF", "continuing PSF"], "projection.csv has them")


#: Under the scenarios, where a rate was solved: the rate shown is rounded, the remainder pays exactly.
SOLVED_NOTE = ("A solved rate is shown to 4 places. To pay that scenario exactly, make its element the remainder "
               "(remainder: true) in the config, not the rate: docs/simulate.md.")


def _print_scenarios(sim) -> None:
    """One row per scenario; the PSF, solved-rate and pot columns only where they say something."""
    from rich.table import Table

    from ..money import fmt_gbp

    outcomes, base_pot = sim.rows, sim.base.totals.cluster_pot
    optional = {"PSF": any(not o.psf_reused for o in outcomes), "solved rate": any(o.summary.solved for o in outcomes),
                "cluster pot": any(o.summary.cluster_pot != base_pot for o in outcomes)}
    table = Table(title=f"Scenarios against {escape(sim.base.config.path.name)} (cluster pot {fmt_gbp(base_pot)})",
                  title_justify="left", caption_justify="left",
                  caption=SOLVED_NOTE if optional["solved rate"] else None)
    table.add_column("scenario", overflow="fold")
    for name in [k for k, shown in optional.items() if shown] + ["money moved", "winners / losers", "largest gain",
                                                                 "largest loss"]:
        table.add_column(name, justify="left" if name == "PSF" else "right")
    for o in outcomes:
        s = o.summary
        cells = {"PSF": "reused" if o.psf_reused else "recomputed",
                 "solved rate": "\n".join(f"{e} £{r}" for e, r in s.solved), "cluster pot": fmt_gbp(s.cluster_pot)}
        table.add_row(escape(o.name), *[cells[k] for k, shown in optional.items() if shown], fmt_gbp(s.money_moved),
                      f"{s.winners:,} / {s.losers:,}", _mover(s.largest_gain), _mover(s.largest_loss))
    from .render import print_whole

    print_whole(console, table, ["PSF", "solved rate", "cluster pot", "largest loss", "largest gain",
                                 "winners / losers"],
                "the Overview sheet of simulate.xlsx (--out) and a wider terminal show them")


def _mover(m) -> str:
    from ..money import fmt_gbp

    if m is None:
        return "—"
    pct = f"\n({m.change_pct:+.2f}%)" if m.change_pct is not None else ""
    sign = "+" if m.change > 0 else ""
    return f"{escape(m.school_id)}\n{sign}{fmt_gbp(m.change)}{pct}"


def print_movers(diff, out=None, n: int = 10, names: dict | None = None, flag_pct=None) -> None:
    """The schools whose totals moved most since last year (allocate --previous), as a table: each school
    by its id and `names` (this year's; a school closed since, by its name in last year's file), the flag
    headed by its threshold (`flag_pct`, diff.flag_pct)."""
    from rich.table import Table

    from ..yearly.diff import LAST_YEAR_NAME, largest_movers
    from ..money import EXACT, fmt_gbp

    movers = largest_movers(diff, n)
    if movers.is_empty():
        return
    if LAST_YEAR_NAME in diff.columns:  # (a closed school is not among this year's)
        import polars as pl

        last = diff.filter(pl.col(LAST_YEAR_NAME).is_not_null()).select("school_id", LAST_YEAR_NAME).iter_rows()
        names = {**dict(last), **{k: v for k, v in (names or {}).items() if v}}
    table = Table(title="Largest changes since last year", title_justify="left")
    flag = f"over {flag_pct.normalize(EXACT):f}%" if flag_pct is not None else "flag"
    for name in ("school", "name", "cluster", "previous", "current", "change", "%", flag, "note"):
        table.add_column(name, justify="right" if name in ("previous", "current", "change", "%") else "left")
    for r in movers.iter_rows(named=True):
        table.add_row(escape(r["school_id"]), escape((names or {}).get(r["school_id"]) or ""),
                      escape(r["cluster_id"] or ""), fmt_gbp(r["previous_total"]),
                      fmt_gbp(r["current_total"]), f"{'+' if r['change'] > 0 else ''}{fmt_gbp(r['change'])}",
                      "" if r["change_pct"] is None else f"{r['change_pct']:+.2f}", "yes" if r["flag"] else "",
                      escape(r["note"] or ""))
    from .render import print_whole

    print_whole(out or console, table, ["note", flag, "name", "cluster", "%", "previous"],
                "diff.csv and the Diff sheet have them")
