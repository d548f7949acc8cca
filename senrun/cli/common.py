"""Shared CLI pieces: options declared once, the console, and SenrunError → exit 1."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

ConfigOpt = Annotated[Path, typer.Option(
    "--config", "-c", help="The run's YAML config (see docs/config.md). Input paths in it are relative to it.",
    exists=True, dir_okay=False, readable=True, show_default=False)]
OutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Output folder. Replaced whole, and only when the run succeeds.", file_okay=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON report instead of tables (for scripts).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="On an unexpected failure, show the Python traceback.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems (for cron).")]
PersonalOpt = Annotated[bool, typer.Option(
    "--show-personal-data", help="Show children's UPNs and dates of birth in messages (by default each "
    "problem is shown by file, sheet, row and column only).")]
JobsOpt = Annotated[Optional[int], typer.Option(
    "--jobs", "-j", min=1, help="Processes writing the per-school returns [default: CPU count].")]

def _width(stream) -> int | None:
    """A terminal's own width; else (cron, a pipe, a log file) wide enough that no figure is cut."""
    if stream.isatty() or os.environ.get("COLUMNS"):
        return None
    return 140


console = Console(highlight=False, soft_wrap=False, width=_width(sys.stdout))
err_console = Console(stderr=True, highlight=False, width=_width(sys.stderr))


def interactive() -> bool:
    """Progress bars only on a terminal: quiet under cron and in pipes."""
    return console.is_terminal and not os.environ.get("CI")


@contextmanager
def handled(debug: bool = False, as_json: bool = False):
    """Run a command body: SenrunError → its issues and exit 1; anything else → a short
    message (a traceback only with --debug, never with local variables) and exit 1."""
    from ..errors import SenrunError

    try:
        yield
    except SenrunError as exc:
        from .render import print_issues, issues_json

        if as_json:
            print(issues_json(exc.issues))
        else:
            print_issues(exc.issues, err_console, heading="senrun stopped: nothing was written.")
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: say so plainly, keep pupil data out of the message
        if as_json:  # a script reading the report still gets one
            from ..errors import ERROR, Issue
            from .render import issues_json

            print(issues_json([Issue("internal", ERROR, f"senrun failed unexpectedly ({type(exc).__name__}); "
                                     "run again with --debug for the traceback, and report it")]))
        if debug:
            import traceback

            traceback.print_exc()
        else:
            err_console.print(f"[bold red]senrun failed unexpectedly[/] ({type(exc).__name__}). Nothing was "
                              "written. Run again with --debug for the traceback, and report it.")
        raise typer.Exit(1) from None


def fail_usage(message: str) -> None:
    err_console.print(f"[red]Usage error:[/] {message}")
    raise typer.Exit(2)

