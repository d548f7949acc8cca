"""Showing the summary never fails a run: markup and emoji codes in names and paths print as typed,
a terminal that cannot show £ gets ?, a reader that goes (`| head`) is no failure, and once the
output folder is in place no message says that nothing was written.  Ctrl-C exits 130 saying
what was written; a run short of memory ends in one line (issue 14 points 8 and 10; issue 13's Ctrl-C)."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from senrun.cli import app
from senrun.outputs import writer

from builders import SCHOOLS, statement, write_run

runner = CliRunner()
STATEMENTS = [statement("B801200005001", "2006-05-01", "A")]
MARKED = [{**SCHOOLS[0], "cluster_id": "C1", "cluster_name": ":x: [bold]Brook[/] [/]"}, *SCHOOLS[1:]]


@pytest.fixture
def config(tmp_path) -> Path:
    return write_run(tmp_path, statements=STATEMENTS, schools=MARKED, year="2013-14 [/]")


def test_markup_and_emoji_codes_in_names_paths_and_the_year_print_as_typed(config, tmp_path):
    out = tmp_path / "out[/]"
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(out), "--no-returns"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "senrun 2013-14 [/]: the money" in text
    assert ":x: [bold]Brook[/] [/]" in text and "❌" not in done.output
    assert f"Wrote {out}/ (" in done.output  # on one line, the path whole


def run_cli(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "senrun", *args], capture_output=True, timeout=120, **kwargs)


def test_a_terminal_that_cannot_show_a_pound_sign_gets_a_question_mark(config, tmp_path):
    done = run_cli(["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"],
                   env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert b"?" in done.stdout and b"\xa3" not in done.stdout and done.stderr == b""
    assert re.search(rb"SEN total +\| \?[0-9,]+\.[0-9]{2} \|", done.stdout)  # £ shown as ?


def test_a_reader_that_goes_is_no_failure_once_the_folder_is_written(config, tmp_path):
    run = subprocess.Popen([sys.executable, "-m", "senrun", "allocate", "-c", str(config), "-o",
                            str(tmp_path / "out"), "--no-returns"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # as `| head -c 0` would: every line of the summary meets a closed pipe
    assert run.wait(timeout=120) == 0
    assert run.stderr.read() == b""
    assert (tmp_path / "out" / "manifest.json").is_file()


@pytest.mark.parametrize("args", [["--help"], ["allocate", "--help"], ["validate", "-h"]])
def test_help_read_only_in_part_exits_0_quietly_as_git_help_does(args):
    run = subprocess.Popen([sys.executable, "-m", "senrun", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()  # as `senrun --help | head -c 0` would: the help meets a closed pipe
    assert run.wait(timeout=120) == 0
    assert run.stderr.read() == b""


def test_a_failure_after_the_swap_never_says_nothing_was_written(config, tmp_path, monkeypatch):
    from senrun.cli import render

    def broken(*args, **kwargs):
        raise RuntimeError("the terminal went away")
    monkeypatch.setattr(render, "print_totals", broken)
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"])
    assert done.exit_code == 0
    assert "nothing was written" not in done.output
    assert "was written in full" in done.output and "summary could not be shown (RuntimeError)" in done.output


def test_ctrl_c_says_what_was_written_and_exits_130(config, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(writer, "manifest_bytes", interrupted)
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"])
    assert (done.exit_code, done.output.strip()) == (130, "senrun stopped (Ctrl-C): nothing was written.")
    assert not (tmp_path / "out").exists()
    monkeypatch.undo()
    from senrun.cli import render

    monkeypatch.setattr(render, "print_totals", interrupted)
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"])
    assert done.exit_code == 130
    assert f"senrun stopped (Ctrl-C): {tmp_path / 'out'}/ was written in full" in " ".join(done.output.split())


class PanicException(BaseException):
    """What a Rust panic inside Polars arrives as."""


@pytest.mark.parametrize("error", [MemoryError(), PanicException("capacity overflow")])
def test_a_run_short_of_memory_ends_in_one_line(config, tmp_path, monkeypatch, error):
    import senrun.pipeline

    def short(*args, **kwargs):
        raise error
    monkeypatch.setattr(senrun.pipeline, "allocate", short)
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out")])
    assert done.exit_code == 1
    assert done.output.splitlines() == ["senrun ran out of memory: nothing was written. docs/performance.md gives "
                                        "the memory a run needs; close other programs or use a machine with more "
                                        "memory."]


def test_ctrl_c_while_the_command_is_still_loading_says_so_in_one_line_and_exits_130():
    # the interrupt arrives as the command's module has just been imported (Typer, Rich, Polars still
    # loading in a real start): one line, no traceback, exit 130
    code = ("import os, signal, sys; sys.argv = ['senrun', 'allocate']; import senrun.cli; "
            "os.kill(os.getpid(), signal.SIGINT); import time; time.sleep(5)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130
    assert done.stderr == "senrun stopped (Ctrl-C) while starting: nothing was written.\n"


def test_a_program_importing_the_command_line_module_keeps_its_own_ctrl_c():
    import signal

    code = "import signal, senrun.cli; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True"
    # in this process, pytest's own: Python's handler, or ignored where the tests were started in the background
    # (a shell's `&` starts them with Ctrl-C ignored); never one of senrun's
    assert signal.getsignal(signal.SIGINT) in (signal.default_int_handler, signal.SIG_IGN)


def test_ctrl_c_while_the_previous_folder_is_deleted_says_the_folder_was_written_and_still_deletes_it(
        config, tmp_path, monkeypatch):
    import signal
    import threading
    import time

    from senrun.outputs import atomic

    out = tmp_path / "out"
    assert runner.invoke(app, ["allocate", "-c", str(config), "-o", str(out), "--no-returns"]).exit_code == 0
    remove_old = atomic.remove_old

    def main_is_waiting() -> bool:
        """Whether the command has shown its summary and waits for the deletion (atomic.removals_after)."""
        frame = sys._current_frames().get(threading.main_thread().ident)
        while frame is not None and frame.f_code.co_name != "removals_after":
            frame = frame.f_back
        return frame is not None

    def slow_remove(folder):
        until = time.monotonic() + 30
        while not main_is_waiting() and time.monotonic() < until:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, while the command waits
        time.sleep(0.2)
        remove_old(folder)

    monkeypatch.setattr(atomic, "remove_old", slow_remove)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # (a shell's background job ignores it)
    try:
        done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(out), "--no-returns"])
    finally:
        signal.signal(signal.SIGINT, before)
    assert done.exit_code == 130, done.output
    assert f"senrun stopped (Ctrl-C): {out}/ was written in full" in " ".join(done.output.split())
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".senrun-old")] == []  # the old folder is gone
    assert (out / "manifest.json").is_file()


def test_a_header_or_cell_with_a_line_break_is_still_one_line_per_issue_for_cron_and_grep(tmp_path):
    from builders import write_csv

    config = write_run(tmp_path, statements=STATEMENTS)
    rows = [{"upn": "B801200005001", "date_of_birth": "2006-05-01", "statement_date": "2010-01-01",
             "school_id": "A\nB", "annual_amount": "8400.00", "stream": "PSF", "ceased_date": ""}]
    write_csv(tmp_path / "statements.csv", rows)
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1
    [line] = [line for line in done.output.splitlines() if "school_id" in line]
    assert line.startswith("error: statements.csv › row 2 › school_id:") and "A B" in line


def test_a_closed_stdout_or_stderr_is_no_traceback_and_a_clean_check_still_exits_0(config):
    """`senrun validate … >&-` (a cron line that throws the report away): the stream is the null device."""
    for closed in (">&-", "2>&-"):
        done = subprocess.run(["bash", "-c", f'"$0" -m senrun validate -c "$1" {closed}', sys.executable, str(config)],
                              capture_output=True, timeout=120, text=True)
        assert done.returncode == 0, (closed, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr


def test_columns_of_zero_or_a_word_is_ignored_so_every_message_still_shows(monkeypatch):
    """COLUMNS=0 gave Rich no room at all: every message vanished, exit 1 with nothing said."""
    import io

    from senrun.cli.common import _width

    for columns in ("0", "wide", "3"):
        monkeypatch.setenv("COLUMNS", columns)
        assert _width(io.StringIO()) == 140  # a log or a pipe: wide enough that no figure is cut
    monkeypatch.setenv("COLUMNS", "100")
    assert _width(io.StringIO()) is None  # a width Rich can use: its own


def test_an_argument_beginning_with_a_tilde_is_the_home_folder_as_a_shell_makes_it():
    from senrun.cli import home_expanded

    home, root = os.path.expanduser("~"), os.path.expanduser("~root")
    assert home_expanded(["allocate", "--out", "~/out", "--register=~/2013-14", "~", "-c", "a~/b", "--set=x=~/y",
                          "-o~/x", "~root/y"]) == [
        "allocate", "--out", f"{home}/out", f"--register={home}/2013-14", home, "-c", "a~/b", "--set=x=~/y",
        f"-o{home}/x", f"{root}/y"]


def test_a_sample_asked_for_in_a_quoted_home_folder_is_written_there_whole(tmp_path):
    """`senrun sample --out '~/data'` from a scheduler: every file in the home folder's data/, none in `./~`."""
    done = run_cli(["sample", "--scale", "demo", "--out", "~/data"], cwd=tmp_path,
                   env={**os.environ, "HOME": str(tmp_path / "home")}, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "home" / "data" / "senrun.yaml").is_file() and not (tmp_path / "~").exists()


def test_a_refusal_by_the_system_names_the_file_and_what_to_do_not_a_bug(config, tmp_path, monkeypatch):
    """`init` refused the writing of its config: the system's words, in one line, not "failed unexpectedly …
    report it"."""
    import errno
    from pathlib import Path

    out = tmp_path / "x.yaml"
    opened = os.open

    def refused(path, *args, **kwargs):
        if Path(path).parent == out.parent and out.name in Path(path).name:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    done = runner.invoke(app, ["init", "--from", str(config.parent), "--out", str(out)])
    assert done.exit_code == 1
    said = " ".join(done.output.split())
    assert f"senrun stopped: {out}: Permission denied (this user may not write or read it)" in said
    assert "unexpectedly" not in said and not out.exists()


def test_an_error_about_a_whole_file_is_listed_before_the_rows_errors_it_explains():
    """A census given by URN against schools by DfE number: its one error says why every row is unknown, and is
    what a reader must see first, whichever file's name sorts first (docs/validate.md)."""
    from senrun.cli.render import in_order
    from senrun.errors import ERROR, WARNING, Issue

    rows = [Issue("unknown_school", ERROR, "unknown", file="a_moves.csv", row=r, column="To") for r in (5, 2)]
    whole = Issue("unknown_school", ERROR, "115,078 of the census's 115,078 rows …", file="z_census.csv")
    config = Issue("config", ERROR, "bad rate", file="senrun.yaml", row=3)
    warning = Issue("taught_year", WARNING, "year", file="a_moves.csv")
    assert in_order([*rows, warning, whole, config]) == [config, whole, rows[1], rows[0], warning]


def test_the_largest_changes_name_each_school_and_head_the_flag_by_its_threshold_and_top_slices_are_told(
        tmp_path, monkeypatch):
    """The table gave school ids alone and a column "flag" of "yes"; and the clusters' total sat under a SEN
    total larger by the top-slices, with nothing to say why."""
    from senrun.cli.common import console

    monkeypatch.setattr(console, "_width", 200)  # wide enough for every column (narrower, some are left out)
    config = write_run(tmp_path, statements=STATEMENTS, topslices=[{"name": "auxiliary_aids", "amount": 100}])
    last = tmp_path / "last.csv"
    last.write_text("school_id,cluster_id,total\nA,C1,100.00\nB,C1,2000.00\nH,C1,9000.00\n", encoding="utf-8")
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns",
                               "--previous", str(last)])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "Largest changes since last year" in text and "Ashford Primary" in text and "over 10%" in text
    assert "(paid to schools: the top-slices, £100.00, are held back from the SEN total)" in text


def test_a_school_closed_since_last_year_is_named_in_the_largest_changes_by_its_name_in_last_years_file__spec_5(
        tmp_path, monkeypatch):
    """It is in no row of this year's run, so the table had left its name blank beside its −100%."""
    from senrun.cli.common import console

    monkeypatch.setattr(console, "_width", 200)
    config = write_run(tmp_path, statements=STATEMENTS)
    last = tmp_path / "last.csv"
    last.write_text("school_id,school_name,cluster_id,total\nA,Ashford Primary,C1,100.00\n"
                    "Z,Zetland Junior School,C1,90000.00\n", encoding="utf-8")
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns",
                               "--previous", str(last)])
    assert done.exit_code == 0, done.output
    [line] = [line for line in done.output.splitlines() if line.startswith("│ Z ")]
    assert [c.strip() for c in line.split("│")[1:4]] == ["Z", "Zetland Junior School", "C1"]


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_a_json_report_is_utf_8_whatever_the_locale_so_same_inputs_give_the_same_bytes(config, encoding):
    # SPEC §6: outputs depend only on inputs, config and version; a JSON report (`explain --json`,
    # `validate --json`, docs/explain.md and docs/validate.md) is read by programs, and JSON exchanged
    # between systems is UTF-8 (RFC 8259): a £ is never a ? or a Latin-1 byte because of the locale
    args = ["explain", "-c", str(config), "--school", "A", "--json"]
    plain = run_cli(args, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    other = run_cli(args, env={**os.environ, "PYTHONIOENCODING": encoding})
    assert plain.returncode == 0 and other.returncode == 0, other.stderr
    assert "£" in plain.stdout.decode("utf-8")
    assert other.stdout == plain.stdout
    import json
    assert json.loads(other.stdout.decode("utf-8")) == json.loads(plain.stdout.decode("utf-8"))


class _ReportGone:
    """A console whose every line fails, as stdout does on a full disk (`> /dev/full`) or a reader that went."""

    is_terminal = False

    def __init__(self, error: OSError):
        self.error = error

    def print(self, *args, **kwargs):
        raise self.error


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), BrokenPipeError()])
def test_files_written_in_place_whose_summary_cannot_be_shown_exit_0_and_never_say_nothing_was_written__spec_7(
        tmp_path, monkeypatch, error):
    from senrun.cli import onboard, sample as sample_cli

    monkeypatch.setattr(onboard, "console", _ReportGone(error))
    monkeypatch.setattr(sample_cli, "console", _ReportGone(error))
    for command in (["templates", "--out", str(tmp_path / "templates")],
                    ["sample", "--scale", "demo", "--seed", "7", "--out", str(tmp_path / "sample")]):
        done = runner.invoke(app, command)
        assert done.exit_code == 0, (command, done.output)
        assert "nothing was written" not in done.output and "could not start" not in done.output
        if isinstance(error, BrokenPipeError):  # the reader has gone: nothing more to say
            assert done.output == ""
        else:
            assert f"{command[-1]}/ was written, but the summary could not be shown (No space left on device" in (
                " ".join(done.output.split()))
    assert len(list((tmp_path / "templates").iterdir())) == 5
    assert (tmp_path / "sample" / "senrun.yaml").is_file()
    # init's table of mappings is shown after its draft is written: a reader that goes keeps the draft
    done = runner.invoke(app, ["init", "--from", str(tmp_path / "sample"), "--out", str(tmp_path / "draft.yaml")])
    assert done.exit_code == 0 and "nothing was written" not in done.output, done.output
    assert "inputs:" in (tmp_path / "draft.yaml").read_text(encoding="utf-8")


def test_a_path_holding_square_brackets_is_named_as_typed_where_a_command_says_what_it_wrote__spec_6(tmp_path):
    """`[draft]` is a folder name a council may give; Rich took it as markup and dropped it (`to SEN /`),
    and `[/]` failed the command after its files were written."""
    (tmp_path / "run").mkdir()
    config = write_run(tmp_path / "run", statements=STATEMENTS)
    for name in ("SEN [draft]", "x [/] y"):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        for command, path in (
                (["templates", "--out"], folder / "templates [draft]"),
                (["init", "--from", str(config.parent), "--out"], folder / "senrun [draft].yaml"),
                (["sample", "--years", "2013-14:2014-15", "--out"], folder / "chain [draft]"),
                (["validate", "-c", str(config), "--draft-accept"], folder / "accepted [draft].yaml")):
            done = runner.invoke(app, [*command, str(path)])
            assert done.exit_code == 0, (command, done.output)
            assert str(path) in " ".join(done.output.split()), (command, done.output)
            assert path.exists()


def test_a_name_not_in_utf_8_is_printed_with_a_replacement_character_and_a_line_a_stream_refused_is_not_kept():
    """A folder copied from an older system (`caf\\xe9`) is named on the terminal with U+FFFD, as in every file
    senrun writes (SPEC §5); and a line the stream cannot take fails that print alone: the consoles live as long
    as the process, and Rich kept the line for every later print to fail on again (a program, or a test, running
    several commands in one process was left unable to print)."""
    import io

    from senrun.cli.common import _Console

    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    _Console(file=utf8, width=200).print("Wrote /tmp/out-caf\udce9/ (allocations.xlsx)")
    utf8.flush()
    assert utf8.buffer.getvalue().decode("utf-8") == "Wrote /tmp/out-caf\ufffd/ (allocations.xlsx)\n"
    ascii_only = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    console = _Console(file=ascii_only, width=200)
    with pytest.raises(UnicodeEncodeError):
        console.print("SEN total £5.00")
    console.print("the next line")
    ascii_only.flush()
    assert ascii_only.buffer.getvalue() == b"the next line\n"


@pytest.mark.parametrize("command", ["templates", "init", "draft-accept"])
def test_a_full_disk_leaves_no_template_config_or_draft_behind_and_the_next_run_writes_it(config, tmp_path,
                                                                                        monkeypatch, command):
    # A full disk had left two whole templates and a third cut at 8 kB (or an empty config, an empty draft) while
    # the message said "nothing was written", and the next run refused to replace what was left.
    from senrun.outputs import atomic

    out = tmp_path / "mine"
    args = {"templates": ["templates", "--out", str(out)],
            "init": ["init", "--from", str(config.parent), "--out", str(out / "my.yaml")],
            "draft-accept": ["validate", "--config", str(config), "--draft-accept", str(out / "draft.yaml")]}[command]
    out.mkdir()
    write_all, calls = atomic._write_all, []

    def full(fd, data):
        calls.append(fd)
        if len(calls) == 3 or command != "templates":
            write_all(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        write_all(fd, data)

    monkeypatch.setattr(atomic, "_write_all", full)
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1 and "No space left on device" in done.output, done.output
    assert sorted(p.name for p in out.iterdir()) == []
    monkeypatch.setattr(atomic, "_write_all", write_all)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == {"templates": ["census.xlsx", "links.xlsx", "moves.xlsx",
                                                                   "schools.xlsx", "statements.xlsx"],
                                                     "init": ["my.yaml"], "draft-accept": ["draft.yaml"]}[command]


def test_last_years_folder_set_aside_by_a_stopped_swap_is_named_with_how_to_put_it_back(config, tmp_path):
    # A run killed between the swap's two renames leaves last year's folder only as .out.senrun-old: --register
    # out had been told only "'out' does not exist".
    (tmp_path / ".out.senrun-old").mkdir()
    done = CliRunner().invoke(app, ["validate", "--config", str(config), "--register", str(tmp_path / "out")],
                              terminal_width=200)
    said = " ".join(done.output.replace("│", " ").split())
    assert done.exit_code == 2 and "Rename it back to 'out'" in said
    from senrun.cli.common import path_problem

    assert path_problem(tmp_path / "out", folder_ok=True).startswith(
        f"'{tmp_path / 'out'}' does not exist, but '{tmp_path / '.out.senrun-old'}' does: a run writing")
    assert path_problem(tmp_path / "elsewhere", folder_ok=True) == f"'{tmp_path / 'elsewhere'}' does not exist"
    assert "Rename it back to 'out'" in path_problem(tmp_path / "out" / "psf.csv", folder_ok=True)


def test_a_run_that_fails_to_write_leaves_no_folder_it_made_on_the_way_to_out(config, tmp_path, monkeypatch):
    # `-o runs/2013-14/out` on a full disk had left runs/2013-14 behind, empty, beside "nothing was written"
    from senrun.outputs import atomic

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "write_file", full)
    (tmp_path / "runs").mkdir()
    done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "runs" / "2013-14" / "out"),
                               "--no-returns"])
    assert done.exit_code == 1 and "nothing was written" in done.output, done.output
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == []


def test_a_config_drafted_again_with_force_keeps_its_link_and_its_permissions(config, tmp_path):
    # written whole beside its name and renamed in, a replaced file had lost its permissions, and a link was
    # replaced by a plain file where writing in place had written through it
    target = tmp_path / "shared" / "senrun.yaml"
    target.parent.mkdir()
    target.write_text("inputs: {}\n")  # (an earlier draft)
    target.chmod(0o640)
    link = tmp_path / "my.yaml"
    link.symlink_to(target)
    done = CliRunner().invoke(app, ["init", "--from", str(config.parent), "--out", str(link), "--force"])
    assert done.exit_code == 0, done.output
    assert link.is_symlink() and "inputs:" in target.read_text() and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["senrun.yaml"]
