"""The `senrun` command: a thin layer over the library (docs/architecture.md).  Each command parses its
options, calls one core function, shows the result, and maps SenrunError to exit 1."""

from __future__ import annotations

import os
import sys

from .interrupt import std_streams, while_starting

while_starting()  # first: Ctrl-C while Typer, Rich and Polars load is one line, not a traceback
std_streams()  # a closed stdout or stderr (`>&-`) is the null device, not a file senrun opens next

from .. import allocator  # noqa: E402

allocator.tune()  # before anything imports Polars, which reads it once (senrun/allocator.py)

import gc  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from .collector import importing  # noqa: E402

with importing():  # Typer, Click and Rich: what they make lives for the whole run (cli/collector.py)
    from .app import app

    from . import allocate as _allocate  # noqa: E402,F401  (registers the commands)
    from . import explain as _explain  # noqa: E402,F401
    from . import onboard as _onboard  # noqa: E402,F401
    from . import sample as _sample  # noqa: E402,F401
    from . import simulate as _simulate  # noqa: E402,F401
    from . import validate as _validate  # noqa: E402,F401


_LABEL = re.compile(r"^(\s{2,}|[A-Z][\w ,()-]{0,24}:\s)")  # an indented line, or "Examples: …", "bash: …"


def _reflow(doc: str | None) -> str | None:
    """A command's docstring as help: the lines of a paragraph joined into one, so that the help
    wraps at the terminal's width rather than where the source was wrapped (Typer's rich mode keeps
    every line break); a line that starts a label ("Example: …") or is indented stays on its own."""
    if not doc:
        return doc
    paragraphs = []
    for para in inspect.cleandoc(doc).split("\n\n"):
        lines = para.split("\n")
        out = lines[0]
        for line in lines[1:]:
            out += ("\n" + line) if _LABEL.match(line) else (" " + line.strip())
        paragraphs.append(out)
    return "\n\n".join(paragraphs)


for _info in app.registered_commands:
    if _info.callback is not None:
        _info.callback.__doc__ = _reflow(_info.callback.__doc__)


def home_expanded(args: list[str]) -> list[str]:
    """Each argument that begins with `~` (alone, or as `--out=~/…`) with the home folder in its place, as
    a shell does: one quoted (`--out '~/out'`) or given by a scheduler reaches senrun as typed, and would
    otherwise name a folder called `~` here while Polars, reading or writing a path, takes `~` for the
    home folder — two places for one path (decisions 71)."""
    out = []
    for arg in args:
        option, equals, value = arg.partition("=")
        if not (equals and option.startswith("--")):
            option, equals, value = "", "", arg
        if re.match(r"^-[a-zA-Z]~", arg):  # `-o~/out`: a short option with its value attached
            option, equals, value = arg[:2], "", arg[2:]
        if value.startswith("~"):  # `~`, `~/out`, `~user/out`: as Polars would take them
            value = os.path.expanduser(value)
        out.append(f"{option}={value}" if equals else f"{option}{value}")
    return out


#: The commands that read a run's config, and where one is usually kept (docs/config.md, the sample).
NEEDS_CONFIG = ("allocate", "validate", "simulate", "explain")
CONFIG_HERE = ("senrun.yaml", "config/senrun.yaml")


def missing_config_hint(args: list[str], cwd: Path | None = None) -> str | None:
    """For `senrun allocate --out out/` typed beside a senrun.yaml: the usage error, saying which config is
    here and the command with it (senrun never takes one unasked: a run pays real money). None when the
    command has its --config, is asking for help, or no config is here (Click then says --config is missing)."""
    if not args or args[0] not in NEEDS_CONFIG:
        return None
    rest = args[1:]
    if {"-h", "--help"} & set(rest) or any(a in ("-c", "--config") or a.startswith("--config=")
                                          or (a.startswith("-c") and not a.startswith("--")) for a in rest):
        return None
    try:
        folder = cwd or Path.cwd()
    except OSError:  # a working folder deleted under the shell: nothing is here, Click says --config is missing
        return None
    here = [name for name in CONFIG_HERE if (folder / name).is_file()]
    if not here:
        return None
    import shlex  # (only when the hint is given: not on every start)

    command = shlex.join(["senrun", args[0], "--config", here[0], *rest])
    return (f"no --config given: senrun never picks a config by itself, but {' and '.join(here)} "
            f"{'is' if len(here) == 1 else 'are'} here. If that is the run meant:  {command}")


def main() -> None:
    """The `senrun` command."""
    if "_SENRUN_COMPLETE" in os.environ:  # a shell asking for completions (`senrun completion SHELL`)
        from typer._completion_classes import completion_init

        completion_init()
    from .common import OUT_OF_MEMORY, NOTHING_WRITTEN, quiet_pipe, tolerant_streams
    from .supervise import supervise

    sys.argv[1:] = home_expanded(sys.argv[1:])
    supervise(sys.argv)  # returns in the process that runs the command
    tolerant_streams()
    hint = missing_config_hint(sys.argv[1:])
    if hint:  # a usage error (SPEC §7: exit 2), said with the config that is here
        sys.stderr.write(f"Usage error: {hint}\n")
        raise SystemExit(2)
    if len(sys.argv) < 2 or {"--help", "-h"} & set(sys.argv[1:]):
        from . import richhelp

        richhelp.load()  # Typer's help formatter without the parts of Rich it never uses here
    try:
        app()
    except MemoryError:  # while Python was loading senrun or Polars, before a command's own handler
        sys.stderr.write(OUT_OF_MEMORY.format(written=NOTHING_WRITTEN))
        raise SystemExit(1) from None
    except Exception as exc:  # e.g. Polars' library failing to load on a machine short of memory
        if "--debug" in sys.argv:
            raise
        sys.stderr.write(f"senrun could not start ({type(exc).__name__}): {NOTHING_WRITTEN}. Run again with "
                         "--debug for the traceback; if memory is short, docs/performance.md gives what a run needs.\n")
        raise SystemExit(1) from None
    except SystemExit:
        try:  # the last of stdout, now: a reader that has gone (`| head`) is no failure of the run
            sys.stdout.flush()
        except BrokenPipeError:
            quiet_pipe()
        except (OSError, ValueError):
            pass
        raise
    finally:
        # The run is over: keep the interpreter's last collections from walking every object it made
        # (Polars', Typer's, the workbooks'), ≈0.1 s of the exit; nothing is left to free but memory.
        gc.freeze()
