"""The Typer application every command registers on (kept apart so that no command imports the package that imports it)."""

from __future__ import annotations

import typer

from .. import __version__

app = typer.Typer(
    name="senrun",
    help=(
        "The yearly cluster SEN funding run for a local authority.\n\n"
        "Reads the school census and the statements spreadsheets, ends Pupil Specific Funding (PSF) at "
        "phase boundaries and on casual moves, pools what is released, and shares the pool between "
        "clusters with the formula in your YAML config — to the penny.\n\n"
        "Start with:  senrun validate --config config/senrun.yaml\n"
        "Then:        senrun allocate --config config/senrun.yaml --out out/"
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # `senrun -h`, as most commands take it
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"senrun {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """The yearly cluster SEN funding run."""
