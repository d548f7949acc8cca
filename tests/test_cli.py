"""The command line, as cron and a finance officer meet it: help, exit codes, JSON, plain output."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from senrun.cli import app

BASELINE = Path(__file__).parent / "fixtures" / "bad" / "_baseline"
ISSUE_FIELDS = {"code", "severity", "file", "sheet", "row", "column", "field", "value", "expected", "message"}
COMMANDS = sorted(typer.main.get_command(app).commands)
runner = CliRunner()


def invoke(*args: str, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A copy of the clean fixture run, to plant problems in."""
    shutil.copytree(BASELINE, tmp_path, dirs_exist_ok=True)
    return tmp_path


def plant(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def with_a_warning(folder: Path) -> Path:
    """A census-only child whose UPN has a wrong check letter: a warning, not an error."""
    plant(folder, "census.csv", "U926200213005", "A926200213005")
    return folder / "senrun.yaml"


def with_an_error(folder: Path) -> Path:
    plant(folder, "statements.csv", "2005-03-01,2011-06-01", "31/02/2006,2011-06-01")
    return folder / "senrun.yaml"


# --- help ------------------------------------------------------------------------------

def test_senrun_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "cluster SEN funding run" in result.output
    for name in COMMANDS:
        assert name in result.output


def test_the_core_commands_are_registered():
    assert {"validate", "allocate", "sample"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"Usage: senrun {command}" in result.output
    summary = typer.main.get_command(app).commands[command].help or ""
    assert len(summary.split()) >= 5, f"{command} needs a docstring saying what it does"
    assert "--help" in result.output


def test_no_arguments_shows_the_help():
    result = invoke()
    assert "Usage: senrun" in result.output and "validate" in result.output


def test_the_command_line_parses_its_options_without_importing_pydantic(run_dir):
    """Typer 0.20 and later coerce every option through pydantic, ≈0.1 s on each run; senrun keeps an
    earlier Typer (docs/decisions.md) and this says so if an upgrade brings pydantic back."""
    code = ("import sys\nfrom senrun.cli import app\n"
            f"try:\n    app(['validate', '--config', {str(run_dir / 'senrun.yaml')!r}])\n"
            "except SystemExit as exc:\n    print(exc.code, 'pydantic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1].split() == ["0", "False"], done.stderr


def _help_text(args: list[str], before: str = "") -> subprocess.CompletedProcess:
    """`senrun ARGS` in a fresh Python, after running `before` (so each starts with no module loaded)."""
    code = f"import sys\n{before}\nsys.argv = ['senrun', *{args!r}]\nfrom senrun.cli import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100", "TERM": "dumb"})


@pytest.mark.parametrize("args", [["--help"], ["allocate", "--help"], ["simulate", "--help"], []])
def test_help_is_the_same_whether_or_not_typer_s_unused_rich_modules_are_stood_in(args):
    """`senrun --help` loads Typer's formatter with stand-ins for rich.markdown and rich.traceback
    (cli/richhelp.py); loaded the ordinary way first, the same help comes out."""
    fast = _help_text(args)
    plain = _help_text(args, before="import typer.rich_utils")
    assert fast.stdout == plain.stdout and fast.stdout.strip(), (fast.stderr, plain.stderr)
    assert "Usage: senrun" in fast.stdout


def test_help_falls_back_to_the_real_rich_modules_when_typer_imports_more_of_them():
    """Should a Typer import another name from those modules, the stand-ins are not enough:
    `richhelp.load` then imports Typer's formatter as it is, and the help is the same."""
    check = ("import sys\nfrom senrun.cli import richhelp\n"
             "richhelp.UNUSED['rich.markdown'] = 'NotWhatTyperImports'\n"
             "used = richhelp.load()\n"
             "import typer.rich_utils, rich.markdown\n"
             "print(used, type(sys.modules['rich.markdown']).__name__, typer.rich_utils.Markdown is rich.markdown.Markdown)\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "module", "True"], done.stderr


def test_a_stood_in_rich_class_is_the_real_one_when_used():
    """After `richhelp.load`, the stand-ins are gone from sys.modules, and calling the one Typer
    holds gives the real Rich object (so Markdown help, were it ever asked for, still works)."""
    check = ("import sys\nfrom senrun.cli import richhelp\n"
             "used = richhelp.load()\n"
             "loaded = 'rich.markdown' in sys.modules\n"
             "import typer.rich_utils\n"
             "made = typer.rich_utils.Markdown('**bold**')\n"
             "import rich.markdown\n"
             "print(used, loaded, type(made) is rich.markdown.Markdown, type(sys.modules['rich.markdown']).__name__)\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False", "True", "module"], done.stderr


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("senrun ")


# --- validate: exit codes ----------------------------------------------------------------

def test_validate_exits_0_on_a_clean_run(run_dir):
    result = invoke("validate", "--config", str(run_dir / "senrun.yaml"))
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    assert "Dry run: pot £100,000.00 = continuing PSF" in result.output


def test_validate_exits_0_with_warnings_only(run_dir):
    result = invoke("validate", "--config", str(with_a_warning(run_dir)))
    assert result.exit_code == 0, result.output
    assert "warning: census.csv › row 6 › UPN:" in result.output
    assert "0 error(s), 1 warning(s)" in result.output


def test_validate_strict_exits_1_on_warnings_only(run_dir):
    result = invoke("validate", "--config", str(with_a_warning(run_dir)), "--strict")
    assert result.exit_code == 1
    assert "0 error(s), 1 warning(s)" in result.output


def test_validate_exits_1_on_errors(run_dir):
    result = invoke("validate", "--config", str(with_an_error(run_dir)), "--show-personal-data")
    assert result.exit_code == 1
    assert 'error: statements.csv › row 3 › Date of Birth: "31/02/2006" is not a real date' in result.output
    assert "1 error(s)" in result.output


@pytest.mark.parametrize("args", [
    ["validate", "--bogus"],
    ["validate"],
    ["validate", "--config", "/no/such/senrun.yaml"],
    ["validate", "--config", "."],
    ["no-such-command"],
])
def test_usage_errors_exit_2(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Usage: senrun" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["-h"], ["allocate", "-h"], ["validate", "-h"], ["simulate", "-h"]])
def test_dash_h_is_help_as_most_commands_take_it(args):
    result = invoke(*args)
    assert result.exit_code == 0 and "Usage: senrun" in result.output and "-h" in result.output


def test_a_usage_error_says_what_is_wrong():
    def words(result) -> str:  # the message may be wrapped inside a box
        return " ".join(result.output.replace("│", " ").split())

    assert "Missing option '--config'" in words(invoke("validate"))
    assert "'/no/such/senrun.yaml' does not exist" in words(invoke("validate", "--config", "/no/such/senrun.yaml"))

    project = Path(__file__).resolve().parents[1]
    assert f"'{project / 'sample_data'}' is a folder: give the file itself" in words(
        invoke("validate", "--config", str(project / "sample_data")))
    assert "Invalid value for '--register': '/no/such/psf.csv' does not exist" in words(invoke(
        "allocate", "--config", str(project / "config" / "senrun.yaml"), "--out", "out", "--register", "/no/such/psf.csv"))


def test_a_path_behind_a_folder_this_user_cannot_open_is_not_called_missing(monkeypatch, tmp_path):
    """Click says "does not exist" for a file behind a folder the user may not open (its os.stat
    fails); senrun says what is wrong. Simulated, as the tests may run with root's rights."""
    from senrun.cli import common

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "stat", denied)
    assert common.path_problem(tmp_path / "last" / "psf.csv", folder_ok=True) == (
        f"'{tmp_path / 'last' / 'psf.csv'}' cannot be reached: a folder on the way to it is not open to this "
        "user (permission denied)")
    monkeypatch.undo()
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    (tmp_path / "psf.csv").write_text("upn\n")
    assert common.path_problem(tmp_path / "psf.csv", folder_ok=True) == (
        f"'{tmp_path / 'psf.csv'}' cannot be read by this user (permission denied)")

# --- validate: the JSON report ----------------------------------------------------------

def test_json_report_has_counts_and_every_issue_with_its_fields(run_dir):
    config = with_a_warning(run_dir)
    with_an_error(run_dir)
    result = invoke("validate", "--config", str(config), "--json", "--show-personal-data")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    # every problem in one pass: the bad cell, and the cross-file check's warning beside it
    assert report["errors"] == 1 and report["warnings"] == 1
    assert report["ok"] is False
    assert [i["code"] for i in report["issues"] if i["severity"] == "warning"] == ["upn_bad_letter"]
    (issue,) = [i for i in report["issues"] if i["severity"] == "error"]
    assert set(issue) == ISSUE_FIELDS
    assert issue == {"code": "bad_value", "severity": "error", "file": "statements.csv", "sheet": None, "row": 3,
                     "column": "Date of Birth", "field": "date_of_birth", "value": "31/02/2006",
                     "expected": "a date such as 31/08/2002 or 2002-08-31",
                     "message": '"31/02/2006" is not a real date (day/month/year)'}


def test_json_report_of_a_run_with_warnings(run_dir):
    result = invoke("validate", "--config", str(with_a_warning(run_dir)), "--json", "--show-personal-data")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"], report["ok"]) == (0, 1, True)
    (issue,) = report["issues"]
    assert set(issue) == ISSUE_FIELDS
    assert (issue["code"], issue["severity"], issue["row"], issue["column"], issue["value"]) == (
        "upn_bad_letter", "warning", 6, "UPN", "A926200213005")
    totals = report["dry_run_totals_pence"]
    assert totals["pupil_specific_pot"] == totals["continuing_psf"] + totals["topslices"] + totals["cluster_pot"]


def test_json_report_of_a_broken_config(run_dir):
    plant(run_dir, "senrun.yaml", "rate: 1000", "rate: 1000, colour: red")
    result = invoke("validate", "--config", str(run_dir / "senrun.yaml"), "--json")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)["issues"]
    assert (issue["code"], issue["file"], issue["row"], issue["column"]) == (
        "config", "senrun.yaml", 10, "formula.elements[0].colour")


def test_json_output_is_only_json(run_dir):
    """A script can pipe it straight into a parser: nothing else on stdout."""
    result = invoke("validate", "--config", str(with_an_error(run_dir)), "--json")
    assert result.stdout.lstrip().startswith("{") and result.stdout.rstrip().endswith("}")


# --- output for cron and logs -----------------------------------------------------------

def test_no_colour_codes_when_not_a_terminal(run_dir):
    for result in (invoke("validate", "--config", str(with_a_warning(run_dir))),
                   invoke("validate", "--config", str(with_an_error(run_dir))),
                   invoke("validate", "--bogus"), invoke("--help")):
        assert "\x1b[" not in result.output


def test_each_problem_is_one_line_that_says_where(run_dir):
    with_a_warning(run_dir)
    with_an_error(run_dir)
    plant(run_dir, "census.csv", "3,S,Y", "3,S,maybe")
    lines = invoke("validate", "--config", str(run_dir / "senrun.yaml")).output.splitlines()
    assert "error: census.csv › row 3 › FSM: \"maybe\" is not a yes/no value (expected true/false, yes/no, y/n " \
           "or 1/0)" in lines
    assert any(line.startswith("error: statements.csv › row 3 › Date of Birth:") for line in lines)


def test_no_traceback_for_bad_input(run_dir):
    plant(run_dir, "senrun.yaml", "path: statements.csv", "path: missing.xlsx")
    result = invoke("validate", "--config", str(run_dir / "senrun.yaml"))
    assert result.exit_code == 1
    assert "statements file 'missing.xlsx' does not exist" in result.output
    assert "Traceback" not in result.output


def test_an_unexpected_failure_is_short_unless_debug(run_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("B801200005001")  # pupil data must not leak into the message

    monkeypatch.setattr("senrun.validate.run_validation", broken)
    config = str(run_dir / "senrun.yaml")
    result = invoke("validate", "--config", config)
    assert result.exit_code == 1
    assert "senrun failed unexpectedly (KeyError)" in result.output
    assert "Traceback" not in result.output and "B801200005001" not in result.output

    report = json.loads(invoke("validate", "--config", config, "--json").stdout)
    assert report["errors"] == 1 and report["issues"][0]["code"] == "internal"

    assert "Traceback" in invoke("validate", "--config", config, "--debug").output


def test_validate_writes_nothing(run_dir):
    before = sorted(p.name for p in run_dir.iterdir())
    invoke("validate", "--config", str(run_dir / "senrun.yaml"))
    assert sorted(p.name for p in run_dir.iterdir()) == before


@pytest.mark.parametrize("width", [60, 80, 140])
def test_no_figure_is_cut_short_on_a_terminal_of_any_width(width):
    """A finance officer's 80-column terminal must not show "£15,057,58…": every figure whole."""
    import io

    from rich.console import Console

    from senrun.cli.render import print_totals
    from senrun.config.loader import load_config
    from senrun.money import fmt_gbp
    from senrun.pipeline import allocate

    result = allocate(load_config(Path(__file__).resolve().parents[1] / "config" / "senrun.yaml"))
    screen = Console(width=width, file=io.StringIO(), color_system=None)
    print_totals(result, screen)
    shown = screen.file.getvalue()
    assert "…" not in shown
    t = result.totals
    for pence in (t.pupil_specific_pot, t.continuing_psf, t.cluster_pot, t.ssa_total, t.sen_total,
                  int(result.clusters["total"].sum()), int(result.clusters["cluster_allocation"].max())):
        assert fmt_gbp(pence) in shown
    assert all(len(line) <= width for line in shown.splitlines())
    wide = width >= 140
    assert (" SSA " in shown) is wide  # the clusters' SSA column, left out on a narrow terminal, and said so
    assert ("SSA and PSF by cluster are in clusters.csv" in shown) is not wide


@pytest.mark.parametrize("args", [["allocate", "--help"], ["simulate", "--help"], ["validate", "--help"]])
def test_an_option_name_too_long_for_an_80_column_terminal_folds_onto_the_next_line_and_is_never_cut(args):
    """At 80 columns `allocate --help` showed `--show-personal-…` and `clusters/<cluster…`: a name cut short
    cannot be typed."""
    shown = subprocess.run([sys.executable, "-m", "senrun", *args], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "COLUMNS": "80", "TERM": "dumb"})
    assert shown.returncode == 0 and "Usage: " in shown.stdout, shown.stderr
    cut = re.compile(r"[\w\-\[<>/.]…")  # a word cut short (an ellipsis after a list, "V1,V2,…", is the help's own)
    assert not cut.search(shown.stdout), [line for line in shown.stdout.splitlines() if cut.search(line)]


def test_a_command_with_no_config_beside_a_senrun_yaml_is_a_usage_error_naming_that_config(tmp_path):
    """SPEC §7: a command-line usage error exits 2. Typed in the folder of the config, `senrun allocate
    --out out/` said only "Missing option '--config'"; it now says which config is here, and the
    command with it, without running it (a run pays real money: senrun never picks a config itself)."""
    (tmp_path / "senrun.yaml").write_text("year: '2013-14'\n")
    shown = subprocess.run([sys.executable, "-m", "senrun", "allocate", "--out", "out"], capture_output=True,
                           text=True, timeout=120, cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert shown.returncode == 2, shown.stderr
    assert "senrun allocate --config senrun.yaml --out out" in shown.stderr
    assert not (tmp_path / "out").exists()
    from senrun.cli import missing_config_hint

    assert missing_config_hint(["validate", "-c", "x.yaml"], tmp_path) is None  # given: nothing to say
    assert missing_config_hint(["validate", "--help"], tmp_path) is None
    assert missing_config_hint(["sample", "--out", "s"], tmp_path) is None  # needs no config
    assert missing_config_hint(["validate"], tmp_path / "elsewhere") is None  # none here: Click's own message


def test_a_command_with_no_config_typed_in_a_folder_deleted_under_the_shell_is_clicks_usage_error_not_a_traceback(
        tmp_path, monkeypatch):
    """SPEC §7: a usage error exits 2 with its message. Looking for a senrun.yaml beside the command must not fail
    where the working folder is gone (removed by another window, a cleaned build folder): nothing is here."""
    from senrun.cli import missing_config_hint

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert missing_config_hint(["allocate", "--out", "out"]) is None
