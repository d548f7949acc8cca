"""`senrun init`, `senrun templates` and `senrun completion`: starting on a council's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app
from .common import EXISTING, DebugOpt, console, fail_usage, handled, shown_after_writing
from .text import escape

FromOpt = Annotated[list[Path], typer.Option(
    "--from", help="A folder of your spreadsheets, or a file (repeat for more): .xlsx, .csv or .parquet.",
    callback=EXISTING, show_default=False)]
InitOutOpt = Annotated[Path, typer.Option("--out", "-o", help="The config file to write.", dir_okay=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the config file if it exists.")]


@app.command()
def init(from_: FromOpt, out: InitOutOpt = Path("senrun.yaml"), force: ForceOpt = False,
         debug: DebugOpt = False) -> None:
    """Draft a config from your own spreadsheets: which file is which input, and a columns map.

    Each file's headers are compared with senrun's columns; each mapping says how sure it is.
    Guesses are marked CHECK in the file, gaps EDIT; the list printed says what to do before
    [bold]senrun validate[/] passes.

    Example:  [bold]senrun init --from sample_data/ --out my-senrun.yaml[/]
    """
    from ..onboard.init import draft
    from ..outputs.atomic import write_whole

    _check_config_out(out, from_, force)
    with handled(debug):
        d = draft(list(from_), out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_whole(out, d.text.encode("utf-8"))  # before the table: a reader that goes (`| head`) keeps the config
    todo = "Make the edits above" if d.edits else "Check the guesses above"
    with handled(debug, writes=False), shown_after_writing(str(out)):  # (the draft is written: never "nothing was")
        _show(d)
        console.print(f"Wrote {escape(str(out))}. {todo}, then:  senrun validate --config {escape(str(out))}",
                      soft_wrap=True)


#: What `init --out` may be called: a config is YAML.
CONFIG_SUFFIXES = (".yaml", ".yml")


def _check_config_out(out: Path, sources: list[Path], force: bool) -> None:
    """Refuse an `init --out` that is no .yaml file or is one of the files init reads (either may be a
    council's spreadsheet: never replaced, even with --force), or that exists, without --force."""
    from ..errors import SenrunError
    from ..onboard.scan import files_in
    from ..outputs.atomic import check_parents

    if out.suffix.lower() not in CONFIG_SUFFIXES:
        there = " exists and" if out.exists() else ""
        fail_usage(f"--out {out}{there} is not a .yaml file: init writes a config, and never over a spreadsheet "
                   f"or any other file, even with --force; give a new config file name{_such_as(out.parent)}")
    try:  # a file where a folder of --out should be: said before the files are read and the draft shown
        check_parents(out)
    except SenrunError as exc:
        fail_usage(f"{exc}: give a config file name in a folder")
    if any(out.resolve() == read.resolve() for read in files_in(list(sources))):
        fail_usage(f"--out {out} is one of the files --from names, which init reads; it is never replaced, even "
                   f"with --force: give a new config file name{_such_as(out.parent)}")
    if out.exists() and not force:
        fail_usage(f"{out} exists: choose another --out, or add --force to replace it (it must be a config "
                   "you no longer want)")
    if out.exists() and not _is_config(out):
        fail_usage(f"--out {out} is not a senrun config (it has no inputs: or formula:), perhaps an accept list or a "
                   "scenario: init replaces only a config, even with --force; give a new config file name"
                   f"{_such_as(out.parent)}")


def _is_config(path: Path) -> bool:
    """Whether a YAML file is a senrun config (a mapping with `inputs:` or `formula:`), which `init --force`
    may replace; an accept list or a scenario is never replaced."""
    from ..config.yamlsafe import DuplicateKeys, YamlProblem, load_yaml

    try:
        raw, _ = load_yaml(path)  # within the config's limits of size and depth
    except DuplicateKeys as exc:  # a config all the same (the keys given twice are its own problem)
        raw = exc.document
    except (OSError, YamlProblem):
        return False
    return isinstance(raw, dict) and bool({"inputs", "formula"} & set(raw))


def _such_as(folder: Path) -> str:
    """' such as folder/senrun.yaml': a config name there that no file has yet ('' if each has one)."""
    free = next((folder / name for name in ("senrun.yaml", "my-senrun.yaml", "senrun-draft.yaml")
                 if not (folder / name).exists()), None)
    return f", such as {free}" if free else ""


def _show(d) -> None:
    from rich.table import Table

    from .render import figures_whole

    table = Table(title="Inputs found", title_justify="left")
    for name in ("input", "file", "header row", "fit", "columns mapped (sure / likely / check)"):
        table.add_column(name, overflow="fold")
    for f in d.found.values():
        counts = [sum(1 for p in f.proposals if p.confidence == c) for c in ("sure", "likely", "check")]
        table.add_row(f.name, escape(f.table.label), str(f.table.header_row), f"{f.fit:.0%}",
                      " / ".join(str(c) for c in counts))
    console.print(figures_whole(table))
    for title, items, style in (("Edits to make before validate passes", d.edits, "red"),
                                ("To check (guesses)", d.checks, "yellow"), ("Not mapped", d.unmapped, ""),
                                ("Could not read", d.notes, "red")):
        if items:
            console.print(f"[bold {style}]{title}:[/]" if style else f"[bold]{title}:[/]")
            for item in items:
                console.print(f"  - {escape(item)}", soft_wrap=True)
    if not d.edits:
        console.print("No edits needed for validate to pass; the guesses above still need a person's eye.")


@app.command()
def templates(out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the workbooks into.",
                                                file_okay=False)] = Path("templates"),
              force: Annotated[bool, typer.Option(
                  "--force", help="Replace workbooks of these names already in the folder that still hold "
                  "only the templates' example rows (a workbook with data is never replaced).")] = False,
              debug: DebugOpt = False) -> None:
    """Write blank input workbooks (schools, census, statements, moves, links) with senrun's headers.

    Each has data validation on its dates, codes and reasons, filled example rows to replace,
    and an Instructions sheet.

    Example:  [bold]senrun templates --out templates/[/]
    """
    from ..onboard.templates import write_templates

    with handled(debug):
        written = write_templates(out, force=force)
    with shown_after_writing(f"{out}/"):
        console.print(f"Wrote {', '.join(p.name for p in written)} to {escape(str(out))}/", soft_wrap=True)


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


@app.command()
def completion(shell: Annotated[str, typer.Argument(help="bash, zsh, fish or powershell.")]) -> None:
    """Print the shell completion script (commands, options and file names complete on Tab).

    bash:  [bold]senrun completion bash > ~/.local/share/bash-completion/completions/senrun[/]

    zsh: save it as _senrun in a folder on your fpath; fish: as ~/.config/fish/completions/senrun.fish;
    PowerShell: add [bold]senrun completion powershell | Out-String | Invoke-Expression[/] to your $PROFILE.
    """
    if shell not in SHELLS:
        fail_usage(f"unknown shell '{shell}': choose {', '.join(SHELLS[:-1])}")
    from click.shell_completion import get_completion_class
    from typer._completion_classes import completion_init
    import typer.main

    completion_init()  # Typer's own scripts, which answer its `complete_<shell>` requests
    command = typer.main.get_command(app)
    print(get_completion_class(shell)(command, {}, "senrun", "_SENRUN_COMPLETE").source())
