"""One bad-input fixture per kind of error (SPEC §5, §8, §9), one test over all of them.

Each folder under tests/fixtures/bad/ is the clean run in `_baseline/` with one problem
planted; its `expect.yaml` says which issue `senrun validate` must report and where: the
file, the row as Excel shows it (for the config: the YAML line) and the column as the user's
own header names it (for the config: the key path).  `diff -r _baseline <kind>` shows the
planted problem.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from senrun.cli import app

BAD = Path(__file__).parent / "fixtures" / "bad"
KINDS = sorted(p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_"))
runner = CliRunner()


def validate(folder: Path, *extra: str):
    return runner.invoke(app, ["validate", "--config", str(folder / "senrun.yaml"), *extra])


def test_there_is_a_fixture_for_every_kind_of_error_in_the_spec():
    assert len(KINDS) >= 25
    codes = {yaml.safe_load((BAD / k / "expect.yaml").read_text())["code"] for k in KINDS}
    assert codes >= {"missing_column", "bad_value", "empty_value", "duplicate", "unknown_school", "move_from",
                     "config", "budget", "unreadable"}


def test_the_baseline_the_fixtures_differ_from_is_clean():
    result = validate(BAD / "_baseline", "--strict")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_is_reported_where_it_is(kind):
    folder = BAD / kind
    expect = yaml.safe_load((folder / "expect.yaml").read_text())

    result = validate(folder, "--json", "--show-personal-data")  # the values planted, UPNs and dates too

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    assert report["errors"] == len(errors) == 1, errors  # the planted problem, and nothing else
    issue = errors[0]
    for key in ("code", "file", "row", "column", "value"):
        assert issue[key] == expect.get(key), (key, issue)
    assert expect["message"] in issue["message"]
    assert issue["severity"] == "error" and set(issue) >= {"sheet", "field", "expected"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_plain_report_names_file_row_and_column(kind):
    """What a finance officer reads (and cron mails): one line per problem, saying where."""
    folder = BAD / kind
    expect = yaml.safe_load((folder / "expect.yaml").read_text())

    result = validate(folder)

    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("error: "))
    assert line.startswith(f"error: {expect['file']}")
    if expect.get("row"):
        label = "line" if expect["file"].endswith(".yaml") else "row"
        assert re.search(rf" › {label} {expect['row']}( ›|:)", line), line
    if expect.get("column"):
        assert f"› {expect['column']}:" in line
    assert "Traceback" not in result.output
    assert "\x1b[" not in result.output


def test_every_error_is_listed_not_only_the_first(tmp_path):
    """Two bad cells in two files: both reported from one run (SPEC §5)."""
    shutil.copytree(BAD / "_baseline", tmp_path, dirs_exist_ok=True)
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text().replace("2005-03-01,2011-06-01", "31/02/2006,2011-06-01"))
    census = tmp_path / "census.csv"
    census.write_text(census.read_text().replace("3,S,Y", "3,S,maybe").replace("1,N,false", "1,Q,false"))

    result = validate(tmp_path, "--json")

    assert result.exit_code == 1
    found = {(i["file"], i["row"], i["column"]) for i in json.loads(result.stdout)["issues"]}
    assert found == {("statements.csv", 3, "Date of Birth"), ("census.csv", 3, "FSM"), ("census.csv", 6, "SEN")}


def test_a_blank_stream_is_psf_when_looking_for_duplicates(tmp_path):
    shutil.copytree(BAD / "_baseline", tmp_path, dirs_exist_ok=True)
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text().replace("W926200111002,2005-03-01,2011-06-01,9262001,8400.00,PSF",
                                                         "D926200113001,14/11/2001,01/03/2010,9262001,8400.00,"))
    result = validate(tmp_path, "--json", "--show-personal-data")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)["issues"]
    assert (issue["code"], issue["row"], issue["value"]) == ("duplicate", 3, "D926200113001 / PSF")


def test_problems_in_several_inputs_are_all_reported_in_one_pass_by_file_as_the_terminal_lists_them(tmp_path):
    # The inputs are read side by side (pipeline.read_inputs); what they find is reported in one fixed order,
    # errors first, each by file and row (docs/validate.md), in the JSON report as on the terminal.
    folder = tmp_path / "run"
    shutil.copytree(BAD / "_baseline", folder)
    planted = {"schools.csv": "money_three_decimals", "census.csv": "not_a_sen_code",
               "statements.csv": "not_a_date", "moves.csv": "not_a_move_reason"}
    for file, kind in planted.items():
        shutil.copy(BAD / kind / file, folder / file)

    result = validate(folder, "--json")

    assert result.exit_code == 1, result.output
    errors = [i for i in json.loads(result.stdout)["issues"] if i["severity"] == "error"]
    assert [i["file"] for i in errors] == sorted(planted)
    assert [i["code"] for i in errors] == [yaml.safe_load((BAD / planted[f] / "expect.yaml").read_text())["code"]
                                           for f in sorted(planted)]


def test_two_inputs_naming_the_same_file_are_one_error_at_the_configs_line_not_columns_to_map(tmp_path):
    """The statements input pointed at the census file had given six errors telling the user to map the census's
    columns as the statements' (`inputs.statements.columns: {"DOB": date_of_birth}`), which would hide the slip."""
    import openpyxl

    from builders import SCHOOLS, statement, write_run
    from senrun.config.loader import load_config

    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01")],
                       census=[{"upn": "B801200005001", "school_id": "A", "date_of_birth": "2006-05-01"}])
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["statements"]["path"] = "census.csv"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1
    lines = [line for line in " ".join(done.output.split()).split("error: ") if line.strip()]
    assert len(lines) == 1, done.output  # that one error alone: neither file's columns told to be mapped
    at = load_config(config).lines["inputs.statements.path"]
    assert lines[0].startswith(f"senrun.yaml › line {at} › inputs.statements.path: inputs.statements names the "
                               "same file as inputs.census (census.csv)"), lines[0]
    assert "columns" not in done.output

    # one workbook holding the schools and the statements, each on a sheet of its own, is right
    book = openpyxl.Workbook()
    schools = book.active
    schools.title = "Schools"
    for row in [list(SCHOOLS[0]), *[list(s.values()) for s in SCHOOLS]]:
        schools.append(row)
    statements = book.create_sheet("Statements")
    row = statement("B801200005001", "2006-05-01")
    statements.append(list(row))
    statements.append(list(row.values()))
    book.save(tmp_path / "inputs.xlsx")
    cfg["inputs"] = {"schools": {"path": "inputs.xlsx", "sheet": "Schools"},
                     "statements": {"path": "inputs.xlsx", "sheet": "Statements"}}
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert runner.invoke(app, ["validate", "-c", str(config)]).exit_code == 0
    cfg["inputs"]["statements"] = {"path": "inputs.xlsx"}  # no sheet: the first, the schools' own
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1 and "inputs.statements names the same file as inputs.schools (inputs.xlsx)" in " ".join(
        done.output.split())


def test_the_same_file_check_leaves_to_the_reader_what_it_cannot_look_into_and_knows_a_file_by_any_path(tmp_path):
    """Two inputs on one old .xls (or protected) workbook had been told "the same file" instead of "save it as
    .xlsx"; on one named pipe the run hung; on one missing file the user was not told it was missing. A hard
    link to the census is the census."""
    import os

    from builders import statement, write_run

    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01")],
                       moves=[])
    cfg = yaml.safe_load(config.read_text())

    def said(statements: dict, moves: dict) -> str:
        cfg["inputs"]["statements"], cfg["inputs"]["moves"] = statements, moves
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        done = runner.invoke(app, ["validate", "-c", str(config)])
        assert done.exit_code == 1
        return " ".join(done.output.split())

    (tmp_path / "all.xls").write_bytes(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 600)
    told = said({"path": "all.xls", "sheet": "Statements"}, {"path": "all.xls", "sheet": "Moves"})
    assert "names the same file" not in told and "old .xls" in told
    told = said({"path": "nothere.csv"}, {"path": "nothere.csv"})
    assert "names the same file" not in told and "nothere.csv" in told
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        told = said({"path": "pipe.csv"}, {"path": "pipe.csv"})  # answered at once: not opened to be compared
        assert "names the same file" not in told and "named pipe" in told
    os.link(tmp_path / "statements.csv", tmp_path / "linked.csv")
    told = said({"path": "statements.csv"}, {"path": "./linked.csv"})
    assert "inputs.moves names the same file as inputs.statements (./linked.csv)" in told


def test_a_file_missing_a_mapped_column_still_has_its_other_cells_checked_in_the_same_pass__spec_8(tmp_path):
    """A census whose date of birth was headed otherwise than the config maps had been told only that: a bad
    year in another column came up only on the next run, once the header was put right."""
    from builders import pupil, statement, write_run

    census = [{**pupil("B801200005001", "A", "2006-05-01"), "nc_year_taught": "2"},
              {**pupil("B801200005002", "A", "2006-06-01"), "nc_year_taught": "abc"}]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01")], census=census)
    text = (tmp_path / "census.csv").read_text()
    (tmp_path / "census.csv").write_text(text.replace("date_of_birth", "Birth", 1))
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1
    said = " ".join(done.output.split())
    assert "census.csv › date_of_birth: required column 'date_of_birth' is missing" in said
    assert 'census.csv › row 3 › nc_year_taught: "abc" is not a National Curriculum year' in said
    assert said.count("error: ") == 2  # the missing column's rows are not each told it is missing


def test_on_a_drive_that_gives_every_file_inode_0_different_files_are_not_the_same_file(tmp_path, monkeypatch):
    """Some network drives on Windows give every file inode 0: compared by (device, inode) alone, every two
    inputs on such a drive had been "the same file", and every run stopped."""
    import os

    from builders import pupil, statement, write_run
    from senrun.inputs import samefile

    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01")],
                       census=[pupil("B801200005001", "A", "2006-05-01")])
    class Inode0:
        """The os module as the same-file check sees it on such a drive (the rest of senrun reads as usual)."""

        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def stat(path, *args, **kwargs):
            found = os.stat(path, *args, **kwargs)
            return os.stat_result((found.st_mode, 0, *found[2:10]))

    monkeypatch.setattr(samefile, "os", Inode0())
    assert runner.invoke(app, ["validate", "-c", str(config)]).exit_code == 0
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["census"]["path"] = "statements.csv"  # still told where it is the same file
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1 and "names the same file" in done.output


def test_a_file_whose_header_row_was_not_found_has_no_cells_told_wrong_beside_its_missing_columns(tmp_path):
    """A title line above renamed headers is read as the header: none of the input's columns is found, and each
    row's "cells" would each be an error of their own (86 `extra_cells` in a council's census)."""
    from builders import pupil, statement, write_run

    census = [pupil(f"B8012000050{i:02d}", "A", "2006-05-01") for i in range(1, 30)]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01")], census=census)
    lines = (tmp_path / "census.csv").read_text().splitlines()
    lines[0] = "Pupil,Establishment,Birth"
    (tmp_path / "census.csv").write_text("\n".join(["School Census January 2013", *lines]) + "\n")
    done = runner.invoke(app, ["validate", "-c", str(config)])
    assert done.exit_code == 1
    said = " ".join(done.output.split())
    assert "extra_cells" not in said and "past the last column" not in said
    assert said.count("error: ") <= 3, said
