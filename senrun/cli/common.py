"""Shared CLI pieces: options declared once, the console, and SenrunError → exit 1."""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .text import escape


def path_problem(path: Path, *, folder_ok: bool) -> str:
    """What stops this user from reading a path given on the command line ("" if nothing), said as
    Click would not: Click calls a folder on the way that this user may not open "does not exist"."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        for gone in (path, path.parent):  # (the folder itself, or its psf.csv or schools.csv in a folder gone)
            aside = gone.parent / f".{gone.name}.senrun-old"  # (atomic.old_path: a swap stopped half done)
            if gone.name and _is(aside, Path.is_dir) and (gone is path or not _is(gone, Path.exists)):
                return (f"'{path}' does not exist, but '{aside}' does: a run writing '{gone}' was stopped while "
                        f"it replaced the folder, which it had set aside under that name. Rename it back to "
                        f"'{gone.name}' (or run the same allocate again, which puts it back before writing)")
        saved = path.parent / f"{path.name}.txt"  # Notepad adds .txt where "Save as type" was left as Text
        if path.name and _is(saved, Path.is_file):
            return (f"'{path}' does not exist, but '{saved}' does: Notepad added .txt when it saved the file. "
                    f"Rename it to '{path.name}' (in Explorer, with View › File name extensions ticked)")
        return f"'{path}' does not exist"
    except PermissionError:
        return f"'{path}' cannot be reached: a folder on the way to it is not open to this user (permission denied)"
    except OSError as exc:
        return f"'{path}' cannot be read: {exc.strerror or exc}"
    is_folder = stat.S_ISDIR(mode)
    if is_folder and not folder_ok:
        return f"'{path}' is a folder: give the file itself"
    if not os.access(path, os.R_OK | (os.X_OK if is_folder else 0)):
        return f"'{path}' cannot be read by this user (permission denied)"
    return ""


def _is(path: Path, test) -> bool:
    """`test(path)` (Path.is_dir, Path.is_file), False where the system cannot tell (a name too long for it)."""
    try:
        return test(path)
    except OSError:
        return False


def _readable(folder_ok: bool):
    """A Typer callback: the option's path (or each of its paths) must exist and be readable."""
    def check(value):
        for path in value if isinstance(value, list) else [value]:
            if path is not None and (problem := path_problem(path, folder_ok=folder_ok)):
                raise typer.BadParameter(problem)
        return value
    return check


#: For a path option that must name an existing file, or a file or folder.
EXISTING_FILE = _readable(folder_ok=False)
EXISTING = _readable(folder_ok=True)

ConfigOpt = Annotated[Path, typer.Option(
    "--config", "-c", help="The run's YAML config (see docs/config.md). Input paths in it are relative to it.",
    callback=EXISTING_FILE, show_default=False)]
OutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Output folder. Replaced whole, and only when the run succeeds.", file_okay=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON report instead of tables (for scripts).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="On an unexpected failure, show the Python traceback.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems (for cron).")]
PersonalOpt = Annotated[bool, typer.Option(
    "--show-personal-data", help="Show children's UPNs and dates of birth in messages (by default each "
    "problem is shown by file, sheet, row and column only).")]
JobsOpt = Annotated[Optional[int], typer.Option(
    "--jobs", "-j", min=1, help="Processes writing the per-school returns (default: one per CPU).")]
FloorPreviousOpt = Annotated[Optional[Path], typer.Option(
    "--previous", help="Last year's schools.csv or allocations.xlsx (or the folder senrun wrote them in), for "
    "formula.protection's floor (without it the floor is left out, with a warning); validate also reads it as "
    "allocate --previous does, so that a file allocate would refuse fails the check.", callback=EXISTING,
    show_default=False)]
ExplainPreviousOpt = Annotated[Optional[Path], typer.Option(
    "--previous", help="Last year's schools.csv or allocations.xlsx (or the folder senrun wrote them in), as the "
    "run being explained was given it: formula.protection's floor then shapes the figures explained as it shaped "
    "the figures paid (without it the floor is left out, with a warning).", callback=EXISTING, show_default=False)]
RegisterOpt = Annotated[Optional[Path], typer.Option(
    "--register", help="Last year's psf.csv (or the folder holding it): PSF that stopped last year stays "
    "stopped (see docs/rules.md).", callback=EXISTING, show_default=False)]

def _width(stream) -> int | None:
    """A terminal's own width (or COLUMNS, when it is a width at all); else (cron, a pipe, a log file)
    wide enough that no figure is cut.  COLUMNS=0 or a word would leave Rich no room for any message."""
    columns = os.environ.get("COLUMNS", "").strip()
    usable = columns.isdigit() and int(columns) >= 10
    if usable:
        return None
    try:
        terminal = stream is not None and stream.isatty()
        if terminal and columns:  # a terminal, but COLUMNS says nothing Rich can use: ask the terminal
            return max(os.get_terminal_size(stream.fileno()).columns, 40)
    except (OSError, ValueError, AttributeError):
        terminal = False
    return None if terminal else 140


# emoji=False: a school called "Hill :x: Park" is printed as typed, never with an emoji (and the
# emoji table is never imported, which a run short of memory could not afford).
class _Console(Console):
    """Rich's console, but a reader that has gone (`senrun … | head`) is left to `handled`, which
    knows whether the run has done its work (Rich itself would exit 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to this reader
        if not self.stderr:
            quiet_pipe()
        raise BrokenPipeError

    def print(self, *objects, **kwargs) -> None:
        """Rich's print, with any byte of a name that is not UTF-8 (a folder copied from an older system,
        `caf\\xe9`) shown as U+FFFD, as every file senrun writes names it (errors.name_text): as it came, no
        stream could encode it."""
        from ..errors import name_text

        super().print(*(name_text(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def _check_buffer(self) -> None:
        """Rich's, but text the stream could not take is dropped, not kept for every later print to fail on again
        (the consoles live as long as the process: a program, or a test, running several commands in one)."""
        try:
            super()._check_buffer()
        except UnicodeEncodeError:
            del self._buffer[:]
            raise


console = _Console(highlight=False, soft_wrap=False, width=_width(sys.stdout), emoji=False)
err_console = _Console(stderr=True, highlight=False, width=_width(sys.stderr), emoji=False)

#: Said when a run stops before its output folder was swapped in (SPEC §5).
NOTHING_WRITTEN = "nothing was written"
#: Said in one line, without Rich or any import, when memory runs out (the handler must not fail too).
OUT_OF_MEMORY = ("senrun ran out of memory: {written}. docs/performance.md gives the memory a run needs; "
                 "close other programs or use a machine with more memory.\n")


def interactive() -> bool:
    """Progress bars only on a terminal: quiet under cron and in pipes."""
    return console.is_terminal and not os.environ.get("CI")


def _written() -> str:
    """What a run that stops now has written: nothing, or a whole output folder."""
    from ..outputs import atomic  # (imported when a command runs: `--help` never needs it)

    done = atomic.swapped_in()
    return NOTHING_WRITTEN if done is None else f"{done}/ was written in full (its manifest.json lists every file)"


@contextmanager
def handled(debug: bool = False, as_json: bool = False, writes: bool = True):
    """Run a command body: SenrunError → its issues and exit 1; anything else → a short
    message (a traceback only with --debug, never with local variables) and exit 1.

    Once the output folder is swapped in, the run has done its work: a failure to show the
    summary (a closed pipe, a terminal that cannot show a character) never fails it, and no
    message says that nothing was written.  Ctrl-C exits 130, a closed pipe quietly.  The
    output folder's previous contents are deleted on a thread while the summary is shown;
    the command ends once they are gone (outputs/atomic.py, `removals_after`).  A command that
    writes nothing (`writes=False`: explain) says only that it stopped."""
    from ..outputs import atomic

    try:
        with atomic.removals_after(), _handled(debug, as_json, writes):
            yield
    except KeyboardInterrupt:  # after the summary, while the previous folder was deleted (to its end)
        _stopped(then=_left_behind)
    _left_behind()


@contextmanager
def shown_after_writing(written: str):
    """The summary of a command that has written its files in place (sample, templates, init): a reader
    that has gone (`| head`) or a report that cannot be written (`> /dev/full`) is no failure of it, as
    for allocate once its folder is swapped in; never "could not start" or "nothing was written"."""
    try:
        yield
    except BrokenPipeError:
        quiet_pipe()
        raise typer.Exit(0) from None
    except OSError as exc:
        _say(f"senrun: {written} was written, but the summary could not be shown ({system_words(exc)}).")
        raise typer.Exit(0) from None


def _stopped(then=None, writes: bool = True) -> None:
    """Ctrl-C, SIGTERM or SIGHUP: say what stopped the run and what it had written, for a command that writes
    (then `then()`); exit 130 (Ctrl-C) or 128 + the signal's number."""
    from .interrupt import stopped_by

    words, code = stopped_by()
    _say(f"senrun stopped ({words})" + (f": {_written()}." if writes else "."))
    if then is not None:
        then()
    raise typer.Exit(code) from None


def _left_behind() -> None:
    """A warning for each previous output folder that could not be deleted."""
    from ..outputs import atomic

    for folder, why in atomic.left_behind():
        _say(f"warning: the previous output could not be deleted ({why}): it is still at {folder}, with the "
             "previous run's files, personal data included; make it writable or delete it by hand")


@contextmanager
def _handled(debug: bool, as_json: bool, writes: bool = True):
    """handled(), but for the previous folders' deletion."""
    from ..errors import SenrunError
    from ..outputs import atomic
    from .interrupt import started

    started()  # Ctrl-C from here on is reported with what was written
    atomic.forget_swapped()
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:  # `senrun … | head`: the reader has what it wanted
        quiet_pipe()
        raise typer.Exit(0 if atomic.swapped_in() is not None else 141) from None
    except KeyboardInterrupt:
        _stopped(writes=writes)
    except MemoryError:
        _out_of_memory()
    except SenrunError as exc:
        _print_issues(exc, as_json, writes)
        raise typer.Exit(1) from None
    except OSError as exc:  # the system refused: a folder this user may not write, a full disk, a closed report
        if atomic.swapped_in() is not None:
            _say(f"senrun: {_written()}, but the summary could not be shown ({system_words(exc)}).")
            raise typer.Exit(0) from None
        _say(f"senrun stopped: {system_words(exc)}" + (f": {_written()}." if writes else "."))
        raise typer.Exit(1) from None
    except Exception as exc:  # a bug: say so plainly, keep pupil data out of the message
        if _panic_for_memory(exc):
            _out_of_memory()
        if atomic.swapped_in() is not None:  # only the summary is left to show: the run stands
            _say(f"senrun: {_written()}, but the summary could not be shown ({type(exc).__name__}).")
            raise typer.Exit(0) from None
        _unexpected(exc, debug, as_json)
        raise typer.Exit(1) from None
    except BaseException as exc:  # a Rust panic inside Polars is a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        if _panic_for_memory(exc):
            _out_of_memory()
        _unexpected(exc, debug, as_json)
        raise typer.Exit(1) from None


def system_words(exc: OSError) -> str:
    """What the system said, and of which file when it says (`/srv/out: Permission denied (this user may not
    write or read it)`); a full disk, a read-only disk and a refused permission with what to do."""
    import errno

    what = exc.strerror or str(exc) or type(exc).__name__
    hint = {errno.EACCES: "this user may not write or read it", errno.EPERM: "this user may not write or read it",
            errno.ENOSPC: "the disk is full: free some space", errno.EROFS: "the disk is read-only",
            errno.EEXIST: "something of that name is already there",
            errno.ENOTDIR: "a part of the path is a file, not a folder"}.get(exc.errno)
    where = f"{os.fsdecode(exc.filename)}: " if exc.filename is not None else ""
    return f"{where}{what}" + (f" ({hint})" if hint else "")


def _print_issues(exc, as_json: bool, writes: bool = True) -> None:
    from ..outputs import atomic
    from .render import issues_json, print_issues

    if as_json:
        print_json(issues_json(exc.issues))
    else:
        done = atomic.swapped_in()
        heading = (f"senrun stopped: {_written()}." if done is not None else
                   "senrun stopped: nothing was written." if writes else "senrun stopped.")
        print_issues(exc.issues, err_console, heading=heading)


def _unexpected(exc: BaseException, debug: bool, as_json: bool) -> None:
    """An unexpected failure: one line (or, with --debug, the traceback without local variables)."""
    if as_json:  # a script reading the report still gets one
        from ..errors import ERROR, Issue
        from .render import issues_json

        print_json(issues_json([Issue("internal", ERROR, f"senrun failed unexpectedly ({type(exc).__name__}); "
                                      "run again with --debug for the traceback, and report it")]))
    if debug:  # (a KeyError or a parser's error quotes the value it met, which may be a child's UPN)
        import traceback

        from ..errors import without_child_data
        from .render import personal_shown

        text = "".join(traceback.format_exception(exc))
        sys.stderr.write(text if personal_shown() else without_child_data(text))
    else:
        _say(f"senrun failed unexpectedly ({type(exc).__name__}): {_written()}. Run again with --debug "
             "for the traceback, and report it.")


def _panic_for_memory(exc: BaseException) -> bool:
    """Whether an error from Polars or Arrow is an allocation that failed (short of memory)."""
    text = str(exc).lower()
    return any(word in text for word in ("memory allocation", "out of memory", "capacity overflow",
                                         "cannot allocate", "failed to allocate", "can't start new thread"))


def _out_of_memory() -> None:
    """One line and exit 1: nothing here allocates much or imports anything."""
    try:
        sys.stderr.write(OUT_OF_MEMORY.format(written=_written()))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise typer.Exit(1) from None


def _say(line: str) -> None:
    """A line on stderr, as plain text (paths and names are never markup), that cannot fail."""
    try:
        err_console.print(line, markup=False, soft_wrap=True)
    except (OSError, ValueError, UnicodeError):
        pass


def quiet_pipe() -> None:
    """stdout's reader has gone (`| head`): send what is left to the null device, so that the
    interpreter's last flush does not complain either."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def print_json(text: str) -> None:
    """A JSON report on standard output, as UTF-8 with `\n` line ends whatever the locale or
    console: JSON passed between programs is UTF-8 (RFC 8259), and the same inputs give the same
    bytes everywhere (a £ is never a ? on an ASCII locale, nor a Latin-1 byte)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a stream with no bytes under it (a test's StringIO): it holds text
        print(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8") + b"\n")
    buffer.flush()


def tolerant_streams() -> None:
    """A character the terminal or log cannot encode (a £ on an ASCII stdout) is printed as ?,
    rather than failing the run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass


def fail_usage(message: str) -> None:
    """A usage error: one message (plain text: a path is never markup, nor broken across lines), exit 2."""
    err_console.print(f"[red]Usage error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)

