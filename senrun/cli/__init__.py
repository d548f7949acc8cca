"""The `senrun` command: a thin layer over the library (STYLE).  Each command parses its
options, calls one core function, shows the result, and maps SenrunError to exit 1."""

from __future__ import annotations

import gc

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


from . import allocate as _allocate  # noqa: E402,F401  (registers the commands)
from . import explain as _explain  # noqa: E402,F401
from . import sample as _sample  # noqa: E402,F401
from . import simulate as _simulate  # noqa: E402,F401
from . import validate as _validate  # noqa: E402,F401


def main() -> None:
    try:
        app()
    finally:
        # The run is over: keep the interpreter's last collections from walking every object it made
        # (Polars', Typer's, the workbooks'), ≈0.1 s of the exit; nothing is left to free but memory.
        gc.freeze()
