"""`senrun validate`: the nightly check."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app
from .common import PersonalOpt, ConfigOpt, DebugOpt, JsonOpt, console, handled


@app.command()
def validate(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings count as errors (exit 1).")] = False,
    debug: DebugOpt = False,
    show_personal: PersonalOpt = False,
) -> None:
    """Check every input and the config, and run the allocation dry; write nothing.

    Exit 0 with no errors (warnings allowed), 1 with errors (--strict: warnings too), 2 for usage errors.
    For cron, nightly:  [bold]senrun validate --config /srv/sen/senrun.yaml --strict[/]

    Every problem is listed with its file, sheet, row (as Excel shows it) and column.
    """
    from .render import show_personal_data

    show_personal_data(show_personal)
    from ..validate import run_validation
    from .render import issues_json, print_issues

    with handled(debug, as_json):
        report = run_validation(config)
        if as_json:
            print(issues_json(report.issues, report.summary()))
        else:
            print_issues(report.issues, console)
            if report.totals_line:
                console.print(report.totals_line, soft_wrap=True)
        failed = report.errors or (strict and report.issues)
        raise typer.Exit(1 if failed else 0)
