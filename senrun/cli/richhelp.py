"""Typer's help formatter, loaded without the two parts of Rich that senrun's help never uses.

Typer formats help and usage errors with `typer.rich_utils`, which imports `rich.markdown`
(and with it markdown-it and Pygments) and `rich.traceback` at its top: about 0.1 s of every
`senrun --help`, a third of it.  senrun's help is Rich markup, never Markdown, and its
tracebacks are Python's own (`--debug`; Typer's pretty exceptions are off), so neither is
used.  `load()` imports `typer.rich_utils` with a stand-in for each: a module holding a
class that, if it were ever called, imports the real module and returns the real object.
The stand-ins are taken out of `sys.modules` straight after, so that any later
`import rich.markdown` gets the real one.

This leans on which names Typer imports from those modules (Typer is pinned below 0.20 in
pyproject.toml).  Should a Typer import another name from them, the import fails and `load()`
imports `typer.rich_utils` as it is: the same help, only slower (tests/test_cli.py tries both).
"""

from __future__ import annotations

import importlib
import sys
import types

#: The modules Typer's formatter imports but senrun's help never uses, and the one name it takes from each.
UNUSED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _StandIn(types.ModuleType):
    """A module of UNUSED while `typer.rich_utils` is imported."""


def _stand_in_class(module: str, name: str) -> type:
    """A class named as the real one; calling it calls the real one (and so imports its module)."""

    def __new__(cls, *args, **kwargs):  # noqa: N807
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return type(name, (), {"__new__": __new__, "__module__": module,
                           "__doc__": f"Stands for {module}.{name}, imported when first used."})


def load() -> bool:
    """Import `typer.rich_utils` with the stand-ins; True when they were used, False when it was
    imported as it is (already imported, a module of UNUSED already loaded, or a Typer that needs
    more of them).  Either way, its words then fold rather than being cut (`_fold_long_words`), and a
    reader that stops reading the help (`senrun --help | head -1`) is no failure (`_quiet_when_read_in_part`)."""
    used = _load()
    _fold_long_words()
    _quiet_when_read_in_part()
    return used


def _load() -> bool:
    if "typer.rich_utils" in sys.modules or any(module in sys.modules for module in UNUSED):
        return False
    placed = {}
    for module, name in UNUSED.items():
        stand_in = _StandIn(module)
        setattr(stand_in, name, _stand_in_class(module, name))
        placed[module] = sys.modules[module] = stand_in
    try:
        import typer.rich_utils  # noqa: F401

        used = True
    except ImportError:  # a Typer that imports other names from them: the real modules, below
        sys.modules.pop("typer.rich_utils", None)
        used = False
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
    if not used:
        import typer.rich_utils  # noqa: F401,F811
    return used


def _fold_long_words() -> None:
    """An option's name and its help fold a word too long for a narrow terminal onto the next line,
    where Typer's table cut it short (`--show-personal-…` at 80 columns, `--regis…` at 40): a name
    a finance officer cannot read whole cannot be typed.  Left as Typer has it if its formatter
    no longer has these (the help is then only cut, as before)."""
    import typer.rich_utils as rich_utils

    for name in ("highlighter", "negative_highlighter"):
        marker = getattr(rich_utils, name, None)
        if marker is None or getattr(marker, "_senrun_folds", False):
            continue
        setattr(rich_utils, name, _Folding(marker))
    helped = getattr(rich_utils, "_get_parameter_help", None)
    if helped is not None and not getattr(helped, "_senrun_folds", False):
        def folded_help(*args, **kwargs):
            text = helped(*args, **kwargs)
            text.overflow = "fold"
            return text

        folded_help._senrun_folds = True
        rich_utils._get_parameter_help = folded_help


def _quiet_when_read_in_part() -> None:
    """The help on standard output, met by a reader that has gone (`senrun --help | head -1`), exits 0
    with nothing on stderr, as `git --help | head -1` does and as cli/common.py's `shown_after_writing`
    does for a summary: the reader has what it wanted.  Rich's own console would exit 1."""
    import typer.rich_utils as rich_utils

    console_for = getattr(rich_utils, "_get_rich_console", None)
    if console_for is None or getattr(console_for, "_senrun_quiet", False):
        return

    def quiet_console(stderr: bool = False, *args, **kwargs):
        console = console_for(stderr, *args, **kwargs)
        if not stderr:
            console.on_broken_pipe = _help_read_in_part
        return console

    quiet_console._senrun_quiet = True
    rich_utils._get_rich_console = quiet_console


def _help_read_in_part() -> None:
    from .common import quiet_pipe

    quiet_pipe()
    raise SystemExit(0)


class _Folding:
    """A Rich highlighter whose text folds rather than being cut with an ellipsis."""

    _senrun_folds = True

    def __init__(self, highlighter) -> None:
        self._highlighter = highlighter

    def __call__(self, text):
        out = self._highlighter(text)
        out.overflow = "fold"
        return out
