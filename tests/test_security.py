"""Security of the input layer: YAML loaded safely and within limits; input text never becomes a formula
in an output; no pupil data in the message of an unexpected failure, even with --debug."""

from __future__ import annotations

import csv
import shutil
from types import SimpleNamespace
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from senrun.config import yamlsafe
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import WARNING, Issue, SenrunError
from senrun.outputs import write_outputs
from senrun.outputs.workbook import public_warnings
from senrun.pipeline import allocate

BASELINE = Path(__file__).parent / "fixtures" / "bad" / "_baseline"
CORPUS = Path(__file__).parent / "corpus" / "files"
runner = CliRunner()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(BASELINE, folder)
    return folder


# --- YAML --------------------------------------------------------------------------------------

def test_yaml_tags_never_construct_python_objects(tmp_path):
    with pytest.raises(yamlsafe.YamlProblem, match="could not determine a constructor"):
        yamlsafe.loads_yaml('a: !!python/object/apply:os.system ["touch pwned"]\n')
    with pytest.raises(yamlsafe.YamlProblem):
        yamlsafe.loads_yaml("a: !!python/name:os.system\n")
    assert not Path("pwned").exists()


def test_an_alias_bomb_is_refused_before_it_expands():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10^9 values
    with pytest.raises(yamlsafe.YamlProblem, match="alias bomb"):
        yamlsafe.loads_yaml("\n".join(lines) + "\n")


def test_yaml_size_and_depth_are_limited(tmp_path, monkeypatch):
    deep = "a: " + "[" * (yamlsafe.MAX_DEPTH + 5) + "]" * (yamlsafe.MAX_DEPTH + 5) + "\n"
    with pytest.raises(yamlsafe.YamlProblem, match="nested more than"):
        yamlsafe.loads_yaml(deep)
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n#" + "x" * yamlsafe.MAX_BYTES + "\n")
    with pytest.raises(yamlsafe.YamlProblem, match="a config is at most"):
        yamlsafe.load_yaml(big)
    monkeypatch.setattr(yamlsafe, "MAX_NODES", 2_000)  # the check, at a size quick to parse
    many = "\n".join(f"k{i}: {i}" for i in range(yamlsafe.MAX_NODES + 1)) + "\n"
    with pytest.raises(yamlsafe.YamlProblem, match="expands to more than"):
        yamlsafe.loads_yaml(many)


def test_a_config_problem_names_the_file_and_line(run_dir):
    (run_dir / "senrun.yaml").write_text('year: "2013-14"\nperiod:\n\tstart: 2013-04-01\n')
    with pytest.raises(SenrunError) as info:
        load_config(run_dir / "senrun.yaml")
    (issue,) = info.value.issues
    assert (issue.file, issue.row) == ("senrun.yaml", 3)


# --- formula injection -------------------------------------------------------------------------

RISKY = ("=HYPERLINK", "+Brook", "@Castle", "-C2")


def _written_run(run_dir: Path, out: Path) -> Path:
    shutil.copyfile(CORPUS / "formula_text_in_names.csv", run_dir / "schools.csv")
    result = allocate(load_config(run_dir / "senrun.yaml"))
    assert {r["school_name"][:10] for r in result.schools.iter_rows(named=True)} >= {"=HYPERLINK", "+Brook Pri",
                                                                                     "@Castle Hi"}
    return write_outputs(result, out, returns=True, jobs=1)


def test_input_text_starting_like_a_formula_is_never_a_formula_in_a_workbook(run_dir, tmp_path):
    out = _written_run(run_dir, tmp_path / "out")
    books = [out / "allocations.xlsx", *sorted((out / "returns").glob("*.xlsx"))]
    seen = set()
    for path in books:
        for ws in openpyxl.load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value.startswith(RISKY):
                        assert cell.data_type == "s"
                        seen.add(cell.value[:6])
    assert seen >= {"=HYPER", "+Brook", "@Castl", "-C2"}


def test_input_text_starting_like_a_formula_gets_an_apostrophe_in_csvs(run_dir, tmp_path):
    """docs/outputs.md: text beginning = + - @ (or tab, CR) is written with a leading '."""
    out = _written_run(run_dir, tmp_path / "out")
    with (out / "schools.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    names = {r["school_id"]: r["school_name"] for r in rows}
    assert names["9262001"].startswith("'=HYPERLINK(")
    assert names["9262002"] == "'+Brook Primary" and names["9264001"] == "'@Castle High"
    assert {r["cluster_id"] for r in rows} == {"C1", "'-C2"}
    for name in ("schools.csv", "clusters.csv", "psf.csv"):
        for line in (out / name).read_text().splitlines():
            assert not any(field.startswith(("=", "+", "@")) for field in next(csv.reader([line])))


# --- no pupil data in an unexpected failure ----------------------------------------------------

def test_typer_never_shows_local_variables():
    assert app.pretty_exceptions_show_locals is False
    assert app.pretty_exceptions_enable is False


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_failure_inside_reading_shows_no_pupil_data(run_dir, monkeypatch, debug):
    """A bug deep in the input layer, while frames of UPNs and dates of birth are local variables."""
    import senrun.inputs.load

    def broken(series, *args, **kwargs):
        rows = series.to_list()  # pupil data in a local variable of the failing frame
        raise ZeroDivisionError(f"cannot parse {len(rows)} cells")

    monkeypatch.setattr(senrun.inputs.load, "parse_cells", broken)
    args = ["validate", "--config", str(run_dir / "senrun.yaml")] + (["--debug"] if debug else [])

    result = runner.invoke(app, args)

    assert result.exit_code == 1
    assert ("Traceback" in result.output) == debug
    for pupil in ("D926200113001", "W926200111002", "14/11/2001", "2005-03-01"):
        assert pupil not in result.output


@pytest.mark.parametrize("shown", [False, True])
def test_a_debug_traceback_hides_a_upn_or_date_the_exception_quotes_unless_asked_to_show_them__uk_gdpr(
        run_dir, monkeypatch, shown):
    """Python's KeyError and a parser's error quote the value they met: the --debug traceback, pasted into a bug
    report, had ended `KeyError: 'D926200113001'`."""
    import senrun.inputs.load

    def broken(series, *args, **kwargs):
        raise KeyError("D926200113001") if series.len() % 2 else ValueError("D926200113001 born 14/11/2001")

    monkeypatch.setattr(senrun.inputs.load, "parse_cells", broken)
    args = ["validate", "--config", str(run_dir / "senrun.yaml"), "--debug"] + (["--show-personal-data"] * shown)
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "Traceback" in result.output
    assert ("D926200113001" in result.output) == shown and ("14/11/2001" in result.output) == shown
    assert shown or "KeyError: '[hidden]'" in result.output or "ValueError: [hidden] born [hidden]" in result.output


@pytest.mark.parametrize("upn", ["B801200005001", "B80120000500A"])
def test_a_upn_in_a_message_is_hidden_even_when_the_check_did_not_mark_it_personal__uk_gdpr(upn):
    from senrun.errors import Issue

    issue = Issue("some_check", "warning", f"{upn} / PSF: something about this child at school '1234567'",
                  file="psf.csv", row=4, column="upn", value=upn)
    shown = issue.hidden()
    assert str(shown) == "psf.csv › row 4 › upn: [hidden] / PSF: something about this child at school '1234567'"
    assert shown.value == "[hidden]"
    plain = Issue("some_check", "warning", "school 'AB1234567890' is a school id, not a UPN: kept", value="9261001")
    assert plain.hidden() is plain


@pytest.mark.parametrize("text", ["b801200005001", "B8012 0000 5001", "DOB 21/12/2003",
                                  "Moved after exclusion - DOB 3.2.2003"])
def test_a_upn_however_typed_or_a_date_among_words_in_a_bad_cell_is_hidden__uk_gdpr(tmp_path, text):
    from builders import statement, write_run

    bad = {**statement("B801200005001", "2005-05-05", school="A"), "ceased_date": text}
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(write_run(tmp_path, statements=[bad])))
    [error] = caught.value.errors
    shown = error.hidden()
    assert (shown.row, shown.column, shown.value) == (2, "ceased_date", "[hidden]")
    assert text not in str(shown) and "[hidden]" in shown.message


def test_a_bad_date_alone_is_still_quoted_as_it_helps_and_is_no_childs_data():
    from senrun.errors import Issue

    issue = Issue("bad_value", "error", '"31/02/2013" is not a real date', field="ceased_date", value="31/02/2013")
    assert issue.hidden() is issue


def test_a_short_personal_value_is_hidden_where_it_is_given_and_the_messages_own_words_stay__uk_gdpr():
    from senrun.errors import Issue

    header_again = Issue("upn_bad", "warning", '"UPN" is not a UPN: a check letter, then 12 digits', row=4,
                         column="upn", field="upn", value="UPN")
    assert header_again.hidden().message == '"[hidden]" is not a UPN: a check letter, then 12 digits'
    short = Issue("census_not_in_census", "warning", "B123 is not in the census", field="upn", value="B123")
    assert short.hidden().message == "[hidden] is not in the census"


# --- a child's data typed where it does not belong (UK GDPR) --------------------------------------

def _child_data_run(tmp_path: Path) -> Path:
    from builders import pupil, statement, write_run

    census = [pupil("B801200005001", "A", "2005-05-05"), pupil("B801200005002", "B801200005002", "2006-06-06"),
              pupil("B801200005003", "23/12/2007", "2007-12-23"), pupil("B801200005004", "A", "2004-04-04")]
    return write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")], census=census)


def test_a_upn_or_a_date_of_birth_typed_in_a_census_school_cell_never_reaches_the_published_workbook(tmp_path):
    import zipfile

    path = _child_data_run(tmp_path)
    result = allocate(load_config(path))
    outside = [w for w in result.warnings if w.code == "census_outside"]
    assert sorted(w.hidden().message for w in outside) == [
        "1 census row at school [hidden], which is not in the schools input: not counted"] * 2
    assert {w.row for w in outside} == {3, 4}  # where they are: the rows, for the finance team to put right
    out = write_outputs(result, tmp_path / "out", returns=False)
    with zipfile.ZipFile(out / "allocations.xlsx") as book:
        text = b"".join(book.read(part) for part in book.namelist())
    assert b"which is not in the schools input" not in text  # counted there, listed in pupils.xlsx (restricted) only
    assert b"B801200005002" not in text and b"23/12/2007" not in text


def _dob_in_a_yes_no_cell(tmp_path):
    """A run whose census has the first child's date of birth (05/05/2005) pasted one column off, in fsm."""
    path = _child_data_run(tmp_path)
    census = tmp_path / "census.csv"
    rows = list(csv.reader(census.open()))
    rows[0].append("fsm")
    rows[1].append("05/05/2005")  # the child's date of birth, pasted one column off
    for r in rows[2:]:
        r.append("0")
    with census.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    import yaml

    config = yaml.safe_load(path.read_text())
    config["inputs"]["census"]["columns"] = {"fsm": "fsm"}
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_date_of_birth_pasted_into_a_yes_no_cell_is_hidden_in_the_error_which_still_says_where(tmp_path):
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(_dob_in_a_yes_no_cell(tmp_path)))
    [bad] = [i for i in caught.value.errors if i.column == "fsm"]
    assert bad.hidden().message.startswith('"[hidden]" is not a yes/no value') and bad.hidden().value == "[hidden]"
    assert bad.row == 2


def test_an_errors_text_as_a_program_calling_senrun_would_log_it_hides_the_childs_data_and_says_where__uk_gdpr(
        tmp_path):
    """The library's error, printed or logged by a program calling it (`str(exc)`), says where as the
    terminal does and never gives the child's date of birth."""
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(_dob_in_a_yes_no_cell(tmp_path)))
    text = str(caught.value)
    assert "05/05/2005" in {p for i in caught.value.errors for p in i.personal}  # (the issue still has it, marked)
    assert "05/05/2005" not in text and 'census.csv › row 2 › fsm: "[hidden]" is not a yes/no value' in text


def test_an_input_without_its_header_row_is_not_quoted_as_its_headers(tmp_path):
    path = _child_data_run(tmp_path)
    census = tmp_path / "census.csv"
    census.write_text("\n".join(census.read_text().splitlines()[1:]) + "\n")  # saved without its header row
    result = runner.invoke(app, ["validate", "--config", str(path), "--json"])
    assert result.exit_code == 1
    assert "B801200005001" not in result.output and "2005-05-05" not in result.output
    assert "the row read as the headers holds a child's data (a UPN or a date), not headers" in result.output


def test_init_does_not_print_a_childs_row_where_the_headers_should_be(tmp_path):
    source = tmp_path / "files"
    source.mkdir()
    (source / "census.csv").write_text("B801200005001,9262002,08/01/2009,N2\nB801200005002,9262002,09/02/2009,N2\n")
    result = runner.invoke(app, ["init", "--from", str(source), "--out", str(tmp_path / "draft.yaml")])
    assert "B801200005001" not in result.output and "08/01/2009" not in result.output
    assert "its first row holds a child's data (a UPN or a date), not headers: add the header row" in " ".join(
        result.output.split())


def test_a_totals_row_is_quoted_by_its_word_alone_as_its_label_may_name_a_child(tmp_path):
    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")])
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text() + "Subtotal: Ann Smith,,,,8400.00,,\n")
    [total] = [w for w in allocate(load_config(path)).warnings if w.code == "totals_row"]
    # (the label was in the upn column, read in upper case: quoted as its words)
    assert total.message == 'looks like a totals row ("Subtotal…"), not a row of data: skipped'
    assert total.row == 3
    for label in ("Total PSF", "Subtotal for Ann Smith", "Grand total"):  # read in the upn column as TOTALPSF…
        statements.write_text(statements.read_text().splitlines()[0] + "\n" + statements.read_text().splitlines()[1]
                              + f"\n{label},,,,8400.00,,\n")
        [total] = [w for w in allocate(load_config(path)).warnings if w.code == "totals_row"]
        assert total.row == 3 and "ANN" not in total.message and "PSF" not in total.message


def test_a_upn_or_a_date_typed_in_a_statements_school_cell_is_hidden_and_no_school_is_suggested(tmp_path):
    from builders import statement, write_run

    statements = [statement("B801200005001", "2005-05-05", school="a801200005009"),
                  statement("B801200005002", "2006-06-06", school="23/12/2007")]
    path = write_run(tmp_path, statements=statements)
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(path))
    unknown = [i.hidden() for i in caught.value.errors if i.code == "unknown_school"]
    assert [(i.row, i.value) for i in unknown] == [(2, "[hidden]"), (3, "[hidden]")]
    assert all(i.message == "the school holding the PSF, '[hidden]' is not in the schools input" for i in unknown)


def test_a_childs_upn_typed_into_a_school_or_cluster_name_is_an_error_at_its_cell_never_published(tmp_path):
    """Names are published in the Schools Forum pack, the cluster packs and every return."""
    from builders import SCHOOLS, statement, write_run

    schools = [{**SCHOOLS[0], "school_name": "Wenburgh V926200306019 Primary", "cluster_name": "North"},
               {**SCHOOLS[1], "cluster_name": "v 9262 0030 6019"}, {**SCHOOLS[2], "cluster_name": "North"}]
    with pytest.raises(SenrunError) as e:
        allocate(load_config(write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05")])))
    found = [(i.row, i.column) for i in e.value.errors]
    assert found == [(2, "school_name"), (3, "cluster_name")]
    assert all("V926200306019" not in str(i.hidden()) and "v 9262 0030 6019" not in str(i.hidden())
               for i in e.value.errors)


def test_a_childs_upn_as_a_school_or_cluster_id_or_a_date_in_a_name_is_an_error_never_published(tmp_path):
    """Ids are published as names are (the Schools and Clusters sheets, the packs, each return's file name): a UPN
    as a cluster's or a school's id, or a date of birth typed beside a school's name, had run to exit 0 and been
    published in allocations.xlsx, the cluster packs and their file names."""
    from builders import SCHOOLS, statement, write_run

    schools = [{**SCHOOLS[0], "cluster_id": "C926200205003"}, {**SCHOOLS[1], "school_name": "Smith 16/07/2002"},
               {**SCHOOLS[2], "school_id": "c 9262 0020 5003"}]
    with pytest.raises(SenrunError) as e:
        allocate(load_config(write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05")])))
    found = sorted((i.row, i.column) for i in e.value.errors if i.code == "bad_value")
    assert found == [(2, "cluster_id"), (3, "school_name"), (4, "school_id")]
    shown = " ".join(str(i.hidden()) for i in e.value.errors)
    assert "C926200205003" not in shown and "16/07/2002" not in shown and "9262 0020 5003" not in shown


def test_a_childs_name_in_the_census_school_column_is_counted_in_the_published_pack_not_listed(tmp_path):
    """Census rows at a school not in the schools input are listed in the restricted pupils.xlsx only: a row
    shifted a column in an export puts a child's name where the school's id belongs."""
    import zipfile

    from builders import pupil, statement, write_run

    census = [pupil("B801200005001", "A", "2005-05-05"), pupil("E801200005002", "Jayden Smith", "2005-05-05")]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], census=census)
    done = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns", "-q"])
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(tmp_path / "out" / "allocations.xlsx") as book:
        assert not any(b"Jayden" in book.read(part) for part in book.namelist())


def test_a_childs_name_in_a_census_school_cell_is_never_in_a_terminal_message_or_the_json_report__uk_gdpr(tmp_path):
    """A census's Surname column mapped as the school, or a row shifted one column: the school cell holds a
    name. Every school id has a digit, so a school cell of words is hidden as a name could be."""
    from builders import pupil, statement, write_run

    census = [pupil("B801200005001", "Jayden Smith", "2005-05-05"), pupil("E801200005002", "Okafor", "2005-05-05"),
              pupil("Q801200005003", "Q", "2005-05-05")]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], census=census)
    for args in (["validate", "-c", str(config)], ["validate", "-c", str(config), "--json"],
                 ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"]):
        done = CliRunner().invoke(app, args)
        assert "Jayden" not in done.output and "Okafor" not in done.output, done.output
        assert "row 2" in done.output or '"row": 2' in done.output  # still said where
    assert "school Q," in CliRunner().invoke(app, ["validate", "-c", str(config)]).output  # an id is shown
    shown = CliRunner().invoke(app, ["validate", "-c", str(config), "--show-personal-data"])
    assert "Jayden Smith" in shown.output


@pytest.mark.parametrize("header", ["date_of_birth", "D.O.B", "Pupil DOB"])
def test_a_bad_date_of_birth_is_hidden_under_senruns_own_header_or_a_councils__uk_gdpr(tmp_path, header):
    """A date of birth is personal even when it is not a date (`31/02/2005`): the error says where, not what."""
    from builders import statement, write_run

    bad = {**statement("B801200005001", "31/02/2005", school="A")}
    path = write_run(tmp_path, statements=[bad])
    text = path.read_text()
    if header != "date_of_birth":  # the council's own header, mapped in the config
        (tmp_path / "statements.csv").write_text((tmp_path / "statements.csv").read_text().replace(
            "date_of_birth", header, 1))
        path.write_text(text.replace("statements:\n    path: statements.csv\n",
                                     f"statements:\n    path: statements.csv\n    columns: {{'{header}': date_of_birth}}\n"))
    done = CliRunner().invoke(app, ["validate", "-c", str(path), "--json"])
    assert done.exit_code == 1 and "date" in done.output.lower()
    assert "31/02/2005" not in done.output, done.output


@pytest.mark.parametrize("name", ["Lily", "Mo Li", "O'Neil"])
def test_a_short_name_in_a_census_school_cell_is_hidden_too__uk_gdpr(tmp_path, name):
    from builders import pupil, statement, write_run

    census = [pupil("B801200005001", name, "2005-05-05")]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], census=census)
    done = CliRunner().invoke(app, ["validate", "-c", str(config)])
    assert name not in done.output and "row 2" in done.output, done.output


@pytest.mark.parametrize("header", ["D.O.B", "d.o.b.", "Date of Birth"])
def test_a_value_under_a_date_of_birth_header_mapped_as_another_column_is_hidden__uk_gdpr(tmp_path, header):
    """A council's date-of-birth column mapped by mistake as the ceased date: its values are still the
    child's, so its bad cell is told by where it is, not what it holds (decisions 75)."""
    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A", ceased="31/02/2005")])
    (tmp_path / "statements.csv").write_text((tmp_path / "statements.csv").read_text().replace(
        "ceased_date", header, 1))
    path.write_text(path.read_text().replace("statements:\n    path: statements.csv\n",
                                             f"statements:\n    path: statements.csv\n    columns: {{'{header}': ceased_date}}\n"))
    done = CliRunner().invoke(app, ["validate", "-c", str(path)])
    assert done.exit_code == 1 and "row 2" in done.output
    assert "31/02/2005" not in done.output, done.output


def test_a_upn_given_as_a_columns_header_in_the_config_is_hidden_wherever_the_message_says_it(tmp_path):
    """A config mapping a column headed with a child's UPN (a row of data taken for the header row) had the UPN
    hidden in the message but printed in the message's place and in what was expected."""
    import yaml

    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")])
    cfg = yaml.safe_load(path.read_text())
    cfg["inputs"]["statements"]["columns"] = {"P926200209902": "upn"}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    text = (tmp_path / "statements.csv").read_text()
    (tmp_path / "statements.csv").write_text(text.replace("upn,", "Pupil Ref,", 1))
    with pytest.raises(SenrunError) as e:
        allocate(load_config(path))
    [issue] = [i.hidden() for i in e.value.errors]
    assert "P926200209902" not in f"{issue.where()} {issue.message} {issue.expected}"
    assert issue.column == "[hidden]" and issue.file == "statements.csv"


def test_school_names_with_age_ranges_or_key_stages_are_not_taken_for_dates_of_birth(tmp_path):
    """"KS4 Mayfield 16-19 Unit", "Harbour 11-16-19 Centre" and "St Mary 1.2.10 Annexe" had stopped the run as
    names holding a date: only a day, month and a four-digit year of a child's lifetime are."""
    from builders import SCHOOLS, statement, write_run

    names = ["KS4 Mayfield 16-19 Unit", "Harbour 11-16-19 Centre", "St Mary 1.2.10 Annexe"]
    schools = [{**s, "school_name": name} for s, name in zip(SCHOOLS, names)]
    r = allocate(load_config(write_run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05")])))
    assert r.schools["school_name"].to_list() == names


@pytest.mark.parametrize(("name", "dates"), [
    ("Smith 16/07/2002", ["16/07/2002"]), ("Smith 16-Jul-2012", ["16-Jul-2012"]), ("Smith 16/07/12", ["16/07/12"]),
    ("Smith 16th July 2012", ["16th July 2012"]), ("DOB 2002-07-16", ["2002-07-16"]), ("Smith 16.07.2012", ["16.07.2012"]),
    ("KS4 Mayfield 16-19 Unit", []), ("Harbour 11-16-19 Centre", []), ("St Mary 1.2.10 Annexe", []),
    ("Smith 99/99/2012", []), ("Ash Primary 2013-14", [])])
def test_only_a_real_day_month_and_year_in_a_name_is_taken_for_a_date_of_birth(name, dates):
    from senrun.checks import name_dates

    assert name_dates(name) == dates


def test_a_date_of_birth_in_a_name_is_hidden_in_the_message_as_a_upn_is():
    from senrun.checks import name_dates
    from senrun.errors import ERROR, Issue

    issue = Issue("bad_value", ERROR, '"Smith 16/07/2002" holds what looks like a date (of birth?)', file="schools.csv",
                  row=3, column="school_name", value="Smith 16/07/2002",
                  personal=tuple(name_dates("Smith 16/07/2002")))
    assert "16/07/2002" not in f"{issue.hidden().message} {issue.hidden().value}"


def test_a_upn_only_in_the_column_or_the_expected_text_is_hidden_too():
    from senrun.errors import ERROR, Issue

    issue = Issue("missing_column", ERROR, "no column here", file="statements.csv", column="P926200209902",
                  expected="a column headed 'P926200209902'")
    hidden = issue.hidden()
    assert (hidden.column, hidden.expected) == ("[hidden]", "a column headed '[hidden]'")


def test_a_childs_upn_in_the_contact_line_stops_the_run_before_it_is_printed_on_every_return(run_dir):
    """`contact: "… re E926200211002 born 23/12/2007"` had gone onto every school's return and the Parameters
    sheet, with exit 0: the line is the authority's own text, but the returns are sent to every school."""
    config = run_dir / "senrun.yaml"
    config.write_text(config.read_text(encoding="utf-8") + 'contact: "SEN team, re B801200005001"\n', encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        allocate(load_config(config))
    [told] = [i for i in refused.value.issues if i.column == "contact"]
    assert (told.code, told.file, told.row) == ("config", "senrun.yaml", load_config(config).lines["contact"])
    assert "B801200005001" not in str(told.hidden()) and "contact: holds what looks like a child's UPN" in told.message
    said = runner.invoke(app, ["validate", "--config", str(config)])
    assert said.exit_code == 1 and "B801200005001" not in said.output and "line" in said.output
    for line in ("SEN team, T 01632 960001 E sen@example.gov.uk", "M 07700 900123 T 020 7946 0018",
                 "SEN finance, 01603 000000, updated 01/03/2013"):  # a phone between two letters is no UPN
        config.write_text(config.read_text(encoding="utf-8").rsplit("contact:", 1)[0] + f'contact: "{line}"\n',
                          encoding="utf-8")
        assert allocate(load_config(config)).config.contact == line


@pytest.mark.parametrize("footer", [  # (in the UPN column, read squeezed: not quoted)
    "Report generated 01/03/2013 by jsmith (SIMS Reporting Engine)", "Page 3 of 7", "End of report",
    "Printed 01/03/2013 by jsmith"])  # (the date before "by": it had been told as the row's empty cells)
def test_a_reports_footer_below_the_data_is_skipped_with_a_warning_not_told_as_empty_cells(tmp_path, footer):
    """A MIS report's footer line had been told as "is empty; this column must be filled in" at each required
    column: the wrong remedy. It is skipped as a totals row is, the person or date in it never quoted."""
    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")])
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text() + f'"{footer}",,,,,,\n')
    run = allocate(load_config(path))
    [told] = [w for w in run.warnings if w.code == "totals_row"]
    assert (told.row, told.message) == (3, "looks like a report's footer or note, not a row of data: skipped")
    assert "jsmith" not in str(told) and "01/03/2013" not in str(told)


def test_a_footer_in_a_text_column_is_quoted_by_its_first_words_and_a_row_of_data_never_taken_for_one(tmp_path):
    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")])
    schools = tmp_path / "schools.csv"
    header = schools.read_text().splitlines()[0].split(",")
    row = ["Printed on 01/03/2013 by jsmith" if h == "school_name" else "" for h in header]
    schools.write_text(schools.read_text() + ",".join(row) + "\n")
    [told] = [w for w in allocate(load_config(path)).warnings if w.code == "totals_row"]
    assert told.message == 'looks like a report\'s footer or note ("Printed on…"), not a row of data: skipped'
    # a row with its data, whose name begins like a footer, is a school: read, and never skipped; with a bad cell,
    # that cell is the error (a review found such a row skipped where a column of it had no blank cell anywhere)
    row = ["Z" if h == "school_id" else "Printed on Demand Academy" if h == "school_name" else "C1" if h == "cluster_id"
           else "" for h in header]
    schools.write_text(schools.read_text().splitlines()[0] + "\n" + "\n".join(schools.read_text().splitlines()[1:-1])
                       + "\n" + ",".join(row) + "\n")
    run = allocate(load_config(path))
    assert "Z" in run.schools["school_id"].to_list() and not [w for w in run.warnings if w.code == "totals_row"]
    lines = schools.read_text().splitlines()
    bad = [("1000.00x" if h == "ssa" else v) for h, v in zip(header, row)]
    schools.write_text("\n".join(lines[:-1]) + "\n" + ",".join(bad) + "\n")
    with pytest.raises(SenrunError) as e:
        allocate(load_config(path))
    assert [(i.code, i.field) for i in e.value.errors] == [("bad_value", "ssa")]
    assert not [i for i in e.value.issues if i.code == "totals_row"]
    unnamed = [("" if h == "school_id" else "1000.00" if h == "ssa" else v) for h, v in zip(header, row)]
    schools.write_text("\n".join(lines[:-1]) + "\n" + ",".join(unnamed) + "\n")  # its id left out: an error
    with pytest.raises(SenrunError) as e:
        allocate(load_config(path))
    assert [(i.code, i.field) for i in e.value.errors] == [("empty_value", "school_id")]


def test_a_control_character_in_an_input_cell_never_reaches_the_terminal_as_itself(tmp_path):
    """A school id or a cluster name holding an escape ("926\\x1b[31m…") had been printed raw by validate's
    warnings and allocate's clusters table, recolouring (or moving about) the officer's terminal."""
    from builders import SCHOOLS, statement, write_run

    schools = [dict(s) for s in SCHOOLS]
    schools[0]["cluster_name"] = "North \x1b[31mRED\x1b[0m"
    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="Q\x1b[2J")],
                     schools=schools)
    checked = runner.invoke(app, ["validate", "--config", str(path)])
    assert "\x1b" not in checked.output and "Q\\x1b[2J" in checked.output, checked.output
    statements = tmp_path / "statements.csv"
    statements.write_text(statements.read_text().replace("Q\x1b[2J", schools[0]["school_id"]))
    done = runner.invoke(app, ["allocate", "--config", str(path), "--out", str(tmp_path / "out"), "--no-returns"])
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.output and "North \\x1b[31mRED\\x1b[0m" in done.output


def test_a_totals_row_in_the_schools_id_column_is_quoted_by_its_word_not_hidden_as_a_name(tmp_path):
    """A "Total" under the schools' ids was warned as looks like a totals row ("[hidden]"): a school cell that is
    not id-shaped is hidden as a possible name, but the totals row's word alone is quoted, never what follows."""
    from builders import statement, write_run

    path = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")])
    schools = tmp_path / "schools.csv"
    header = schools.read_text().splitlines()[0].split(",")
    schools.write_text(schools.read_text() + ",".join("Total for Ann Smith" if h == "school_id" else "" for h in header)
                       + "\n")
    [told] = [w for w in allocate(load_config(path)).warnings if w.code == "totals_row"]
    assert str(told.hidden()).endswith('looks like a totals row ("Total…"), not a row of data: skipped'), str(told)
    assert "Ann Smith" not in str(told.hidden())


def test_the_published_parameters_sheet_gives_each_input_by_its_files_name_not_the_machines_path(tmp_path):
    """The config's input paths were printed as typed on the Parameters sheet of allocations.xlsx, which is
    published: a path such as C:\\Users\\j.bloggs\\OneDrive - Council\\SEN\\census.csv names a member of staff
    and the council's folders.  manifest.json, which is not published, keeps the path as given."""

    import openpyxl

    from builders import statement, write_run
    from senrun.outputs import write_outputs

    home = tmp_path / "home" / "jbloggs"
    home.mkdir(parents=True)
    path = write_run(home, statements=[statement("B801200005001", "2005-05-05")])
    text = path.read_text()
    assert "path: statements.csv" in text
    (home / "known.yaml").write_text("- {kind: no_statements, all: true, reason: x, until: 2999-01-01}\n")
    path.write_text(text.replace("path: statements.csv", f"path: {home / 'statements.csv'}")
                    + f"accept: {home / 'known.yaml'}\n")
    result = allocate(load_config(path))
    write_outputs(result, tmp_path / "out", returns=False)
    rows = {r[0]: r[1:] for r in openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")["Parameters"]
            .iter_rows(values_only=True)}
    assert rows["inputs.statements.path"] == ("statements.csv", "the file's name; manifest.json has its path")
    assert rows["accept"] == ("known.yaml", "the file's name; the config gives its path")
    assert not any("jbloggs" in str(v) for r in rows.values() for v in r)
    assert "jbloggs" in (tmp_path / "out" / "manifest.json").read_text()


@pytest.mark.parametrize("alike", ["\uff21", "\uff41"])  # a full-width A, and a full-width a
def test_a_school_id_in_full_width_characters_beside_its_own_is_refused_not_a_second_school(tmp_path, alike):
    """`９２６２００２` looks like 9262002 in Excel: added beside it, it had been a second school, with its own
    lump sum and SSA taken from every other school's share, and no word but "has no pupils".  It is refused at
    its row; ids are still compared as written elsewhere (folded, two clusters II and Ⅱ had been merged)."""
    from builders import SCHOOLS, statement, write_run

    twice = [*SCHOOLS, {**SCHOOLS[0], "school_id": alike}]
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(write_run(tmp_path, schools=twice, statements=[statement("B801200005001", "2005-05-05")])))
    [told] = [i for i in caught.value.issues if i.code == "duplicate"]
    assert told.row == 5 and told.message.startswith(f"school_id '{alike}' is 'A' (row 2) written in characters "
                                                     "that look alike")


def test_two_clusters_alike_only_in_a_roman_numeral_are_told_as_one_cluster_spelt_two_ways(tmp_path):
    from builders import SCHOOLS, statement, write_run

    schools = [{**s, "cluster_id": c} for s, c in zip(SCHOOLS, ("\u2161", "II", "C2"))]  # Ⅱ and II
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(write_run(tmp_path, schools=schools,
                                       statements=[statement("B801200005001", "2005-05-05")])))
    [told] = [i for i in caught.value.issues if i.code == "cluster_spelling"]
    assert told.row == 3 and "differs from '\u2161' (row 2) only in" in told.message


def test_a_public_warning_at_a_column_headed_with_a_upn_is_listed_in_the_published_workbook_with_it_hidden__uk_gdpr():
    """The Summary lists the warnings about schools in full; where one is at a column whose header is a child's
    UPN (a header row of a child's data, mapped), the place it gives hides it as the message does."""
    upn = "B801200005001"
    warned = Issue("unmapped_column", WARNING, f"the column '{upn}' is not mapped", file="census.csv", column=upn)
    child = Issue("duplicate_upn", WARNING, f"UPN {upn} twice", file="census.csv", row=3, column="upn")
    listed = public_warnings(SimpleNamespace(warnings=[warned, child]))
    assert listed.rows() == [("unmapped_column", "census.csv › [hidden]", "the column '[hidden]' is not mapped")]


def test_a_childs_date_of_birth_as_a_columns_header_is_hidden_in_the_place_an_issue_gives__uk_gdpr():
    """A header row of a child's data, mapped: the column the issue is at is that child's date of birth, hidden in
    its place as in its message (the Summary lists public warnings with their place)."""
    issue = Issue("unmapped_column", WARNING, "the column '05/05/2005' is not mapped", file="census.csv",
                  column="05/05/2005", expected="a header such as 05/05/2005's", personal=("05/05/2005",))
    shown = issue.hidden()
    assert shown.where() == "census.csv › [hidden]" and "05/05/2005" not in str(shown) + (shown.expected or "")


def _statements_in_a_workbook(tmp_path, title: str, sheet: str, annual: str, others: tuple[str, ...] = ()):
    """A run whose one statement is read from statements.xlsx, on the sheet `title` beside `others`, with the
    config's `sheet:` set to `sheet`; returns the config's path."""
    import yaml
    from builders import statement, write_run

    config = write_run(tmp_path, statements=[statement("B801200005001", "2006-05-01", "A", annual=annual)])
    book = openpyxl.Workbook()
    book.active.title = title
    for row in csv.reader((tmp_path / "statements.csv").open()):
        book.active.append(row)
    for name in others:
        book.create_sheet(name)
    book.save(tmp_path / "statements.xlsx")
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["statements"] = {"path": "statements.xlsx", "sheet": sheet}
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return config


def test_a_sheet_named_with_a_childs_date_of_birth_is_hidden_where_the_workbooks_sheets_are_listed(tmp_path):
    """docs/security.md: a message never quotes a child's date of birth, nor a date among other words where
    one does not belong. A workbook with a tab per child ("Ben Carter 04-12-2003") and a `sheet:` typed wrong
    printed every sheet's name in the error; the sheet that holds a date among words is now `[hidden]`."""
    config = _statements_in_a_workbook(tmp_path, "Statements", "Statments", annual="8400.00",
                                       others=("Ben Carter 04-12-2003", "Lookup"))
    for args in (["validate", "-c", str(config)], ["validate", "-c", str(config), "--json"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 1, done.output
        assert "04-12-2003" not in done.output and "Ben Carter" not in done.output
        assert "its sheets are: Statements, [hidden], Lookup" in done.output
        assert "did you mean 'Statements'?" in done.output


def test_a_sheet_named_with_a_childs_date_of_birth_is_hidden_where_last_years_workbook_without_a_schools_sheet_is_told(
        tmp_path):
    """docs/security.md: --previous given the wrong workbook (a tab per child, "Ben Carter 04-12-2003") is told
    it has no Schools sheet and lists the sheets it has; the one that holds a date among words is `[hidden]`, as
    where an input's sheets are listed."""
    from senrun.errors import SenrunError
    from senrun.yearly.diff import read_previous

    book = openpyxl.Workbook()
    book.active.title = "Contents"
    book.create_sheet("Ben Carter 04-12-2003")
    book.save(tmp_path / "allocations.xlsx")
    with pytest.raises(SenrunError) as told:
        read_previous(tmp_path / "allocations.xlsx")
    said = " ".join(i.message for i in told.value.issues)
    assert "no Schools sheet (sheets: Contents, [hidden])" in said
    assert "04-12-2003" not in said and "Carter" not in said


def test_a_problem_on_a_sheet_named_after_a_child_gives_its_place_with_the_sheet_hidden(tmp_path):
    """docs/security.md: the statements read from a sheet named after a child (a tab per child, "Ben Carter
    04-12-2003", named in `sheet:`): a bad cell there was told at "statements.xlsx › Ben Carter 04-12-2003 ›
    row 2", the child's name and date of birth on the terminal, in --json and in the publishable Summary's
    place. The sheet is now `[hidden]` there, as a cell's text would be; file, row and column still say where."""
    config = _statements_in_a_workbook(tmp_path, "Ben Carter 04-12-2003", "Ben Carter 04-12-2003", annual="12x")
    for args in (["validate", "-c", str(config)], ["validate", "-c", str(config), "--json"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 1, done.output
        assert "04-12-2003" not in done.output and "Ben Carter" not in done.output
        said = " ".join(done.output.split())
        assert ("statements.xlsx › [hidden] › row 2" in said if "--json" not in args else
                '"sheet": "[hidden]"' in said and '"row": 2' in said), said



def test_a_childs_name_in_a_code_date_or_amount_cell_is_hidden_but_a_slip_of_a_code_is_shown__uk_gdpr(tmp_path):
    """A row shifted one column (Excel's "Delete cells › shift left") puts a child's name in the code, date and amount
    cells beside it: their errors had printed `"Zoë O’Brien" is not a SEN provision code` on the terminal.  A code
    mistyped (`Statment`, `Managd`) is still shown, so that the message says what to mend; a name a letter from a
    short code word (`Kate`, `date`) is not."""
    from builders import pupil, statement, write_run
    from senrun.config.loader import load_config
    from senrun.errors import SenrunError
    from senrun.pipeline import allocate

    census = [dict(pupil("B801200005001", "A", "2005-05-05"), sen_provision="Zoë O’Brien", fsm="Siân"),
              dict(pupil("E801200005002", "A", "2005-05-05"), sen_provision="Statment", fsm="Yes")]
    statements = [statement("B801200005001", "2005-05-05", stream="Llewellyn", ceased="Ann"),
                  statement("E801200005002", "2005-05-05", stream="Kate")]  # (one letter from `date`: a name)
    moves = [{"upn": "B801200005001", "from_school_id": "A", "to_school_id": "B", "move_date": "Jones",
              "reason": "Managd"}]
    with pytest.raises(SenrunError) as info:
        allocate(load_config(write_run(tmp_path, statements=statements, census=census, moves=moves)))
    shown = "\n".join(str(i.hidden()) for i in info.value.issues)
    for name in ("Zoë", "O’Brien", "Siân", "Llewellyn", "Ann", "Jones", "Kate"):
        assert name not in shown, name
    for slip in ("Statment", "Managd"):
        assert slip in shown, slip
    assert shown.count("[hidden]") == 6  # Zoë O’Brien, Siân, Llewellyn, Ann, Jones, Kate
    from senrun.errors import not_code_words

    # (MIS exports write names in capitals; Jan, Jun, Sun are first names as much as a month or a day)
    assert [v for v in ("ANN", "AMY", "ZOË", "Ben", "Sean", "Jan", "Jun", "Sun") if not not_code_words(v)] == []
    assert [v for v in ("Sep", "Tue", "abc", "N/A", "maybe", "Managed move", "TBC", "EHC") if not_code_words(v)] == []
