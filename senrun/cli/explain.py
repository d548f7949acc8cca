"""`senrun explain`: how one school's or one child's figures were reached."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import shown_safely
from .app import app
from .common import (ConfigOpt, DebugOpt, ExplainPreviousOpt, JsonOpt, PersonalOpt, RegisterOpt, console, fail_usage,
                     handled, print_json)


@app.command()
def explain(
    config: ConfigOpt,
    school: Annotated[Optional[str], typer.Option("--school", help="A school_id (or its URN): its total step by step.",
                                                  show_default=False)] = None,
    upn: Annotated[Optional[str], typer.Option("--upn", help="A child's UPN: their PSF through every rule.",
                                               show_default=False)] = None,
    as_json: JsonOpt = False,
    register: RegisterOpt = None,
    previous: ExplainPreviousOpt = None,
    debug: DebugOpt = False,
    show_personal: PersonalOpt = False,
) -> None:
    """Show how a school's total, or a child's PSF, was reached — to the penny.

    Examples:  [bold]senrun explain -c config/senrun.yaml --school 9262002[/]
               [bold]senrun explain -c config/senrun.yaml --upn Z926200208004 --json[/]
    """
    if (school is None) == (upn is None):
        fail_usage("give exactly one of --school ID or --upn UPN")
    from .render import show_personal_data

    show_personal_data(show_personal)  # the UPN asked for by --upn is shown; other children in messages are not
    from ..pipeline import load_checked_config
    from ..yearly.explain import explain_school, explain_upn, run_for_explain, to_json

    with handled(debug, as_json, writes=False):
        result, psf, inp = run_for_explain(load_checked_config(config), register, previous)
        if school is not None:
            data = explain_school(result, school, personal=show_personal,  # other children: by their row
                                  schools=inp.schools.frame)  # a URN of the schools' urn column: its school
        else:
            data = explain_upn(result, psf.rows, upn, inp.moves.frame if inp.moves else None, inp.statements.frame,
                               personal=show_personal)  # the UPN asked about is shown; the date of birth is not
        if as_json:
            print_json(to_json(data))
        elif school is not None:
            _print_school(data)
        else:
            _print_upn(data)


def _say(text: str, style: str | None = None) -> None:
    """Data as plain text: a school name with [brackets] is not Rich markup, nor an escape in it the terminal's."""
    console.print(shown_safely(text), markup=False, style=style)


def _print_school(d: dict) -> None:
    cluster = f"cluster {d['cluster_id']} ({d['cluster_name']})" if d["cluster_id"] else "no cluster"
    _say(f"{d['school_id']} {d['school_name']} — {cluster}, {d['year']}, "
         f"period {d['period']['start']:%d/%m/%Y} – {d['period']['end']:%d/%m/%Y}", "bold")
    _say(f"1. {d['ssa']['text']}")
    _say(f"2. {d['psf']['text']}")
    for child in d["psf"]["children"]:
        _say(f"     • {child['text']}")
    _say(f"3. {d['formula']['text']}")
    for element in d["formula"]["elements"]:
        _say(f"     • {element['text']}")
    _say(f"4. {d['text']}", "bold green" if d["matches_allocation"] else "bold red")
    for note in d["notes"]:
        _say(f"Note: {note}", "yellow")


def _print_upn(d: dict) -> None:
    _say(f"{d['upn']} — {d['year']}, period {d['period']['start']:%d/%m/%Y} – {d['period']['end']:%d/%m/%Y}", "bold")
    for s in d["statements"]:
        _say(f"\nStatement row {s['row']}: stream {s['stream']}, held by {s['school_id']}", "bold")
        for n, step in enumerate(s["steps"], start=1):
            _say(f"{n:>2}. {step['text']}")
        _say(f"    {s['stop']['text']}", "bold")
        for line in s["lines"]:
            _say(f"     • {line['text']}")
        _say(f"    {s['text']}")
