"""Starting on a council's own data (issue 13, points 1 and 2): `senrun init` drafts a config from
spreadsheets it has never seen, and `senrun templates` writes blank inputs that validate."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from senrun.cli import app
from senrun.inputs.upn import check_letter
from senrun.onboard.init import draft
from senrun.onboard.match import SCHOOL_IDS, name_score, propose_columns
from senrun.onboard.scan import Sheet, _table, header_index
from senrun.validate import run_validation

ROOT = Path(__file__).resolve().parents[1]


def upn(n: int) -> str:
    body = f"80120000{n:04d}"
    return check_letter(body) + body


PUPILS = [  # UPN, school, date of birth, NC year, SEN, FSM
    (upn(1), "2001", "30/01/2006", "2", "S", "N"), (upn(2), "2001", "05/05/2005", "3", "N", "Y"),
    (upn(3), "2002", "10/01/2000", "8", "S", "N"), (upn(4), "2003", "12/12/2007", "R", "A", "N"),
    (upn(5), "2003", "01/09/2006", "1", "N", "N")]
STATEMENTS = [  # UPN, date of birth, statement date, school, annual, stream, ended, caseworker
    (upn(1), "30/01/2006", "01/03/2010", "2001", "£8,400.00", "PSF", "", "J. Smith"),
    (upn(3), "10/01/2000", "15/09/2009", "2002", "£6,000.50", "PSF", "", "A. Patel"),
    (upn(4), "12/12/2007", "01/02/2013", "2003", "£1,200", "SSMN", "", "J. Smith")]


def _xlsx(path: Path, sheet: str, title: str, header: list[str], rows: list[tuple]) -> None:
    """A council's workbook: a title row and a blank row above its own headers."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    ws.write(0, 0, title)
    ws.write_row(2, 0, header)
    for i, row in enumerate(rows, start=3):
        ws.write_row(i, 0, [str(v) for v in row])
    book.close()


def council_files(folder: Path, school_header: str = "Funded School") -> Path:
    """Spreadsheets as a council keeps them, unlike the sample: own headers, £ text, UK dates,
    extra columns, title rows; and a notes file that is no input at all."""
    folder.mkdir(parents=True, exist_ok=True)
    _xlsx(folder / "Schools list.xlsx", "Schools 2013-14", "Mainstream schools and localities, 2013-14",
          ["Estab No", "Establishment Name", "Locality", "Head Teacher", "SSA 2013-14", "Ofsted"],
          [("2001", "Ashby Primary", "North", "Mrs Grey", "£20,743.89", "Good"),
           ("2002", "Barton High", "North", "Mr Brown", "£61,000.00", "Good"),
           ("2003", "Cawley Infants", "South", "Ms White", "£9,500.10", "Outstanding")])
    (folder / "Spring census.csv").write_text(
        "Pupil UPN,Forename,LA Estab,Date of Birth,NC Year,SEN Status,FSM\n"
        + "".join(f"{u},Child,{s},{d},{y},{sen},{fsm}\n" for u, s, d, y, sen, fsm in PUPILS), encoding="utf-8")
    _xlsx(folder / "SEN statements.xlsx", "PSF", "Statements with PSF — SEN team extract",
          ["Child UPN", "DOB", "Date of Statement", school_header, "Annual Value", "Funding Type", "Date Ended",
           "Caseworker"], STATEMENTS)
    (folder / "notes.csv").write_text("Meeting,Agreed\nForum,yes\n", encoding="utf-8")
    return folder


def _init(tmp_path: Path, files: Path):
    out = tmp_path / "draft" / "senrun.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(files), "--out", str(out)])
    return result, out


def test_a_schools_list_of_first_middle_and_upper_schools_is_told_to_set_its_phases__spec_3_faq_3(tmp_path):
    """The default phases end PSF at the end of Year 6, inside a three-tier council's middle school, and keep it at
    the move to upper school: the draft's `phases:` is marked CHECK always, and a schools list whose phase column
    names first, middle or upper schools is told so among the checks, its column named."""
    files = council_files(tmp_path / "council")
    _xlsx(files / "Schools list.xlsx", "Schools 2013-14", "Schools, 2013-14",
          ["Estab No", "Establishment Name", "Locality", "School Phase", "SSA 2013-14"],
          [("2001", "Ashby First", "North", "First", "£20,743.89"), ("2002", "Barton Upper", "North", "Upper",
                                                                       "£61,000.00"),
           ("2003", "Cawley Middle (deemed secondary)", "South", "Middle", "£9,500.10")])
    result, out = _init(tmp_path, files)
    assert result.exit_code == 0, result.output
    told = " ".join(result.output.split())
    assert ('phases: the schools list\'s "School Phase" column names first, middle, upper schools, but the draft has '
            "the default primary and secondary phases") in told
    assert re.search(r"^phases: \{nursery: \[-2, -1\], primary: \[0, 6\], secondary: \[7, 11\], post16: "
                     r"\[12, 13\]\} +# CHECK", out.read_text(), re.M)
    council_files(tmp_path / "two-tier")  # a primary and high schools list: the line, and nothing said
    result, out = _init(tmp_path / "t", tmp_path / "two-tier")
    assert "phases:" in out.read_text() and "phases: the schools list" not in " ".join(result.output.split())


def test_init_drafts_a_config_for_council_spreadsheets_that_validates_as_drafted(tmp_path):
    result, out = _init(tmp_path, council_files(tmp_path / "council"))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for line in ('"Estab No": school_id', '"Locality": cluster_id', '"SSA 2013-14": ssa', '"Pupil UPN": upn',
                 '"LA Estab": school_id', '"Date of Statement": statement_date', '"Annual Value": annual_amount',
                 '"Funding Type": stream', '"Date Ended": ceased_date', '"NC Year": nc_year_taught'):
        assert line in text, line
    assert text.count("header_row: 3") == 2  # below the title rows, in both workbooks
    assert re.search(r'"SSA 2013-14": ssa +# likely \(0\.\d\d\) +# CHECK', text)
    assert 'year: "2013-14"' in text and "census_date: 2013-01-17" in text
    assert "No edits needed" in result.output and "notes.csv: not recognised" in result.output
    assert "Head Teacher" in result.output  # an extra column, said to be unmapped
    report = run_validation(out)
    assert report.errors == [], [str(i) for i in report.errors]
    assert report.totals is not None


def test_a_header_holding_a_childs_upn_or_date_of_birth_is_hidden_where_init_lists_the_columns_not_mapped__uk_gdpr(
        tmp_path):
    """A census pasted under its headers with one column's header overwritten by a child's UPN, and a sheet
    of notes headed by a child's name and date of birth: init lists what it left unmapped, never the child."""
    folder = council_files(tmp_path / "council")
    census = folder / "Spring census.csv"
    census.write_text(census.read_text().replace("Forename", upn(7), 1), encoding="utf-8")
    (folder / "notes.csv").write_text("Ben Carter 04-12-2003,Agreed\nForum,yes\n", encoding="utf-8")
    result, out = _init(tmp_path, folder)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Spring census.csv: not mapped (not read): [hidden]" in said
    assert "notes.csv: not recognised as any input (headers: [hidden], Agreed)" in said
    assert upn(7) not in result.output and "04-12-2003" not in result.output and upn(7) not in out.read_text()


def test_a_sheet_named_after_a_child_is_hidden_where_init_lists_the_tables_it_did_not_recognise__uk_gdpr(tmp_path):
    """A statements workbook with a tab per child ("Ben Carter 04-12-2003": the child's notes) beside the
    statements' own sheet: init lists the tab as not recognised, by its file and [hidden], never by the child's
    name and date of birth (docs/security.md), as the inputs' readers list a workbook's sheets."""
    folder = council_files(tmp_path / "council")
    book = xlsxwriter.Workbook(str(folder / "Plans.xlsx"))
    book.add_worksheet("Plans").write_row(0, 0, ["Reviewed", "By"])
    tab = book.add_worksheet("Ben Carter 04-12-2003")
    tab.write_row(0, 0, ["Provision", "Hours", "Provider"])
    tab.write_row(1, 0, ["Speech therapy", 2, "NHS"])
    book.close()
    result, out = _init(tmp_path, folder)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Plans.xlsx › [hidden]: not recognised as any input (headers: Provision, Hours, Provider)" in said
    assert "Plans.xlsx › Plans: not recognised" in said
    assert "Carter" not in result.output and "04-12-2003" not in result.output and "Carter" not in out.read_text()


def test_init_says_plainly_why_a_file_cannot_be_read_and_reads_a_csv_saved_as_xlsx_as_the_inputs_do(tmp_path):
    folder = council_files(tmp_path / "council")
    (folder / "damaged.xlsx").write_bytes(b"PK\x03\x04" + b"cut short")
    (folder / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (folder / "moves.xlsx").write_text("UPN,From School,To School,Move Date,Reason\n"
                                       "B801200005001,2001,2002,01/11/2013,managed_move\n")
    result, out = _init(tmp_path, folder)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "damaged.xlsx: could not be opened as an Excel workbook: it starts like an .xlsx file but is damaged" in said
    assert "old.xlsx: is a password-protected workbook or an old .xls file" in said
    assert "CalamineError" not in said
    assert '"To School": to_school_id' in out.read_text()  # the CSV under an .xlsx name, mapped as the moves


def test_init_lists_the_edit_for_a_column_it_cannot_map_and_validates_once_it_is_made(tmp_path):
    result, out = _init(tmp_path, council_files(tmp_path / "council", school_header="Where"))
    assert result.exit_code == 0, result.output
    assert "inputs.statements.columns: no header found for school_id" in result.output
    assert run_validation(out).errors  # not yet
    edit = re.compile(r'^( +)# EDIT: no header found for school_id: add "Your header": school_id$', re.M)
    assert edit.search(out.read_text())
    out.write_text(edit.sub(r'\1"Where": school_id', out.read_text()))
    assert run_validation(out).errors == []


def test_init_on_the_sample_maps_every_column_surely_and_validates(tmp_path):
    out = tmp_path / "senrun.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(ROOT / "sample_data"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "# CHECK" not in "\n".join(ln for ln in out.read_text().splitlines() if '": ' in ln and "path" not in ln)
    assert run_validation(out).errors == []


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_csv_with_excels_sep_line_is_drafted_with_its_header_as_row_1_and_validates_as_drafted__spec_5(tmp_path,
                                                                                                       end):
    """Excel reads a first line `sep=,` and shows the header below it as row 1, as senrun reads the file; init had
    counted the line, so its draft said `header_row: 2`, the first child's row, and validate found no columns."""
    files = council_files(tmp_path / "council")
    census = files / "Spring census.csv"
    census.write_bytes(("sep=," + end + census.read_text().replace("\n", end)).encode())
    result, out = _init(tmp_path, files)
    assert result.exit_code == 0, result.output
    assert "header_row" not in out.read_text().split("Spring census.csv")[1].split("columns:")[0]
    assert run_validation(out).errors == []


def test_a_config_drafted_before_that_counted_excels_sep_line_is_told_the_header_row_to_set__spec_5(tmp_path):
    """An earlier init drafted `header_row: 2` for a CSV beginning with `sep=,` (it counted the line); rows are now
    counted as Excel shows them, so row 2 is the first child's. validate says why, and the row to set."""
    files = council_files(tmp_path / "council")
    census = files / "Spring census.csv"
    census.write_text("sep=,\n" + census.read_text())
    result, out = _init(tmp_path, files)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    path = 'path: "../council/Spring census.csv"'
    out.write_text(text.replace(path, path + "\n    header_row: 2", 1))
    [error] = [e for e in run_validation(out).errors if e.code == "missing_column"]
    assert "first line is Excel's sep= line" in error.message and "header_row: 1 (or leave header_row out)" in error.message
    # a header_row the line does not explain (the row above it is a child's too) is told plainly, with no row named
    out.write_text(text.replace(path, path + "\n    header_row: 3", 1))
    [error] = [e for e in run_validation(out).errors if e.code == "missing_column"]
    assert "sep=" not in error.message and "set inputs.census.header_row to the row that does" in error.message


@pytest.mark.parametrize("first", ['sep="', "sep=\n", "sep=;"])
def test_the_sep_line_hint_counts_rows_as_the_reader_does_and_never_stops_validate(tmp_path, first):
    """The hint counted lines, not rows: a title cell holding a line break shifted it, so it named a child's row as
    the header; and a `sep="` line (a delimiter Python 3.13's csv refuses with ValueError) was not caught."""
    files = council_files(tmp_path / "council")
    census = files / "Spring census.csv"
    body = census.read_text()
    census.write_text('sep=,\n"Spring census\n2013",,\n' + body)  # Excel: title row 1, header row 2
    result, out = _init(tmp_path, files)
    text = out.read_text()
    at = text.index('path: "../council/Spring census.csv"')
    drafted = text[at:].index("header_row: 2") + at  # (init counts as the reader does: the title is row 1)

    def census_header_row(row: int) -> None:
        out.write_text(text[:drafted] + f"header_row: {row}" + text[drafted + len("header_row: 2"):])

    census_header_row(3)  # (as counted before 0.2.0)
    [error] = [e for e in run_validation(out).errors if e.code == "missing_column"]
    assert "set inputs.census.header_row: 2" in error.message
    census.write_text(first + "\ntitle\n" + (body.replace(",", ";") if first == "sep=;" else body))
    census_header_row(4)
    report = run_validation(out)  # (whatever the line: a report, never a traceback)
    assert all("sep=" not in e.message for e in report.errors)  # (no such line is Excel's: no hint of it)


def test_init_does_not_replace_an_existing_config(tmp_path):
    out = tmp_path / "senrun.yaml"
    out.write_text("mine")
    result = CliRunner().invoke(app, ["init", "--from", str(ROOT / "sample_data"), "--out", str(out)])
    assert result.exit_code == 2 and out.read_text() == "mine"


def test_init_into_a_folder_that_is_a_file_says_so_before_drafting(tmp_path):
    """It had drafted and shown the whole summary, then stopped with "File exists (something of that name is
    already there)", which did not say that a file stood where a folder was needed."""
    (tmp_path / "afile").write_text("mine")
    done = CliRunner().invoke(app, ["init", "--from", str(ROOT / "sample_data"), "--out",
                                    str(tmp_path / "afile" / "senrun.yaml")])
    assert done.exit_code == 2 and (tmp_path / "afile").read_text() == "mine"
    said = " ".join(done.output.split())
    assert f"{tmp_path / 'afile'} is a file, not a folder" in said and "columns mapped" not in said


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_init_never_writes_its_config_over_a_spreadsheet_or_a_file_it_reads_even_with_force(tmp_path, force):
    folder = council_files(tmp_path / "council")
    census = next(p for p in folder.iterdir() if p.suffix == ".xlsx")
    data = {p.name: p.read_bytes() for p in folder.iterdir()}
    runner = CliRunner()
    done = runner.invoke(app, ["init", "--from", str(folder), "--out", str(census), *force])
    assert done.exit_code == 2
    said = " ".join(done.output.split())
    assert (f"--out {census} exists and is not a .yaml file: init writes a config, and never over a spreadsheet or "
            f"any other file, even with --force; give a new config file name, such as {folder / 'senrun.yaml'}") in said
    assert "add --force" not in said
    listed = tmp_path / "listed.yaml"
    listed.write_text("a file --from names\n")
    done = runner.invoke(app, ["init", "--from", str(folder), "--from", str(listed), "--out", str(listed), *force])
    assert done.exit_code == 2 and f"--out {listed} is one of the files --from names" in " ".join(done.output.split())
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == data
    assert listed.read_text() == "a file --from names\n"


def test_init_force_replaces_an_old_config_but_never_an_accept_list_or_a_scenario(tmp_path):
    folder = council_files(tmp_path / "council")
    runner = CliRunner()
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("accept:\n  - {kind: dob_differs, row: 13, reason: checked with the SENCO, until: 2030-01-01}\n")
    done = runner.invoke(app, ["init", "--from", str(folder), "--out", str(accepted), "--force"])
    assert done.exit_code == 2 and "is not a senrun config" in " ".join(done.output.split())
    assert "checked with the SENCO" in accepted.read_text()
    old = tmp_path / "old.yaml"
    old.write_text("year: '2012-13'\nformula: {elements: []}\n")
    assert runner.invoke(app, ["init", "--from", str(folder), "--out", str(old), "--force"]).exit_code == 0
    assert "2012-13" not in old.read_text()


def test_header_similarity_and_the_header_row_below_a_title():
    assert name_score("Date of Birth", ["date_of_birth"]) == 1.0
    assert 0.8 <= name_score("SSA 2013-14", ["SSA"]) < 0.95
    assert name_score("Head Teacher", ["UPN", "Pupil UPN"]) < 0.6
    rows = [["SEN allocations 2013-14", None, None], [None, None, None], ["UPN", "School", "DOB"],
            ["B801200005001", "2001", "30/01/2006"]]
    assert header_index(rows) == 2


def test_dfe_spine_and_gias_headers_with_their_date_forms_are_proposed_for_the_schools_and_links():
    spine = Sheet(Path("spine.csv"), None, 1, ["URN", "SCHNAME", "Cluster", "OPENDATE", "CLOSEDATE"],
                  {"URN": ["120777", "139801"], "SCHNAME": ["Aldborough Primary School"], "Cluster": ["C1"],
                   "OPENDATE": ["41518", "43344"], "CLOSEDATE": ["41517"]})
    assert {(p.header, p.column) for p in propose_columns(spine, "schools")} == {
        ("URN", "school_id"), ("SCHNAME", "school_name"), ("Cluster", "cluster_id"), ("OPENDATE", "opened"),
        ("CLOSEDATE", "closed")}
    links = Sheet(Path("links.csv"), None, 1, ["URN", "LinkURN", "LinkName", "LinkType", "LinkEstablishedDate"],
                  {"URN": ["100001"], "LinkURN": ["140001"], "LinkName": ["Ash Academy"], "LinkType": ["Successor"],
                   "LinkEstablishedDate": ["01-11-2013", "1.9.2014"]})
    assert {(p.header, p.column, p.confidence) for p in propose_columns(links, "links")} == {
        ("URN", "school_id", "sure"), ("LinkURN", "successor_id", "sure"), ("LinkType", "link_type", "sure"),
        ("LinkEstablishedDate", "link_date", "sure")}
    # a child's date of birth is never a serial number: a column of them is not proposed as one
    census = Sheet(Path("census.csv"), None, 1, ["UPN", "DOB"], {"UPN": ["B801200005001"], "DOB": ["38412"]})
    assert "date_of_birth" not in {p.column for p in propose_columns(census, "census")}


def test_templates_have_the_headers_validation_an_example_and_instructions_and_validate(tmp_path):
    result = CliRunner().invoke(app, ["templates", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "statements.xlsx")
    assert book.sheetnames == ["Statements", "Instructions"]
    ws = book["Statements"]
    assert [c.value for c in ws[1]][:5] == ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount"]
    rules = {str(dv.sqref).split(":")[0]: (dv.type, dv.formula1) for dv in ws.data_validations.dataValidation}
    assert rules["B2"][0] == "date" and rules["F2"] == ("list", '"PSF,SSMN,FYS"')
    assert ws["A2"].value == "B801200005001"
    (tmp_path / "senrun.yaml").write_text(
        'year: "2013-14"\nperiod: {start: 2013-04-01, end: 2014-03-31}\ncensus_date: 2013-01-17\n'
        "budget: {pupil_specific_pot: 100000}\nformula: {elements: [{name: share, basis: pupils, remainder: true}]}\n"
        "inputs:\n" + "".join(f"  {n}: {{path: {n}.xlsx, sheet: {n.capitalize()}}}\n"
                              for n in ("schools", "census", "statements", "moves", "links")))
    report = run_validation(tmp_path / "senrun.yaml")
    assert report.issues == [], [str(i) for i in report.issues]
    again = CliRunner().invoke(app, ["templates", "--out", str(tmp_path)])
    assert again.exit_code == 1 and "nothing was written" in again.output


def test_templates_force_replaces_a_template_still_blank_but_never_a_workbook_holding_data(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["templates", "--out", str(tmp_path / "t")]).exit_code == 0
    blank = runner.invoke(app, ["templates", "--out", str(tmp_path / "t")])
    assert blank.exit_code == 1
    assert ("holding only the templates' example rows: nothing was written (add --force to replace them)"
            in " ".join(blank.output.split()))
    assert runner.invoke(app, ["templates", "--out", str(tmp_path / "t"), "--force"]).exit_code == 0
    filled = tmp_path / "t" / "schools.xlsx"
    book = openpyxl.load_workbook(filled)
    for row in range(4, 11):  # the council's own schools below the examples
        book["Schools"].cell(row, 1, f"92620{row:02d}")
    book.save(filled)
    (tmp_path / "t" / "moves.xlsx").write_text("not a workbook")
    before = {p.name: p.read_bytes() for p in (tmp_path / "t").iterdir()}
    for force in ([], ["--force"]):
        done = runner.invoke(app, ["templates", "--out", str(tmp_path / "t"), *force])
        said = " ".join(done.output.split())
        assert done.exit_code == 1
        assert (f"{tmp_path / 't'} already has schools.xlsx (7 row(s) of data), moves.xlsx (cannot be read as a "
                "workbook): nothing was written. Blank templates never replace a workbook that holds data, even "
                f"with --force: write them to a folder of their own, e.g. --out {tmp_path / 'templates'}/") in said
        assert "add --force" not in said
        assert {p.name: p.read_bytes() for p in (tmp_path / "t").iterdir()} == before


def test_completion_prints_a_script_for_each_shell_and_refuses_another():
    runner = CliRunner()
    for shell, marker in (("bash", "complete -o"), ("zsh", "#compdef senrun"), ("fish", "complete --command senrun")):
        result = runner.invoke(app, ["completion", shell])
        assert result.exit_code == 0 and marker in result.output, (shell, result.output[:200])
    assert runner.invoke(app, ["completion", "tcsh"]).exit_code == 2


def test_every_commands_help_is_whole_cites_only_the_repository_and_names_files_that_exist():
    runner = CliRunner()
    for command in ("", "validate", "allocate", "simulate", "explain", "sample", "init", "templates",
                    "completion"):
        result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
        assert result.exit_code == 0, command
        text = result.output
        assert "SPEC" not in text and "§" not in text, command
        for path in re.findall(r"\b((?:config|docs|sample_data)/[\w./-]+\.(?:yaml|md|csv|xlsx))", text):
            assert (ROOT / path).exists(), (command, path)
    # no sentence is broken where the source was wrapped: a line break inside a paragraph of a
    # command's help only ever starts a label ("Example: …") or an indented line
    from senrun.cli.app import app as typer_app

    for info in typer_app.registered_commands:
        for para in (info.callback.__doc__ or "").split("\n\n"):
            for line in para.split("\n")[1:]:
                assert re.match(r"^(\s{2,}|[A-Z][\w ,()-]{0,24}:\s)", line), (info.callback.__name__, line)


# --- the DfE's and GIAS's own downloads, headed as published (rows invented) -----------------------------

SPINE_HEADER = ("URN,LA,ESTAB,LAESTAB,SCHNAME,OTHERSCHNAME,STREET,LOCALITY,ADDRESS3,TOWN,POSTCODE,TELNUM,ICLOSE,"
                "OPENDATE,CLOSEDATE,ISNEW,MINORGROUP,NFTYPE,OTHERNFTYPE,ISPRIMARY,ISSECONDARY,ISPOST16,AGEL,AGEH,"
                "GENDER,SIXFGENDER,RELDENOM,ADMPOL,OTHERURN,NEWACFLAG,RE-BROKERED")
GROUPS_HEADER = (",URN,Group UID,Group ID,Group Name,Companies House Number,Group Type (code),Group Type,Closed Date,"
                 "Open date,Incorporated on (open date),Group Status (code),Group Status,Joined date,EstablishmentName,"
                 "TypeOfEstablishment (code),TypeOfEstablishment (name),PhaseOfEducation (code),"
                 "PhaseOfEducation (name),LA (code),LA (name)")
VILLAGES = ["Ashwell", "", "Brockley", "", "Coldham", "Dunstow", "", "Eastry", "", "Fenwick"]


def dfe_downloads(folder: Path) -> Path:
    """A school information spine (URN, ESTAB and LAESTAB; LOCALITY an address line, blank on many rows), GIAS's
    groups export (trusts and federations) and GIAS's links export, each with its published headers."""
    folder.mkdir(parents=True, exist_ok=True)
    spine = [f"{130001 + i},926,{2001 + i},{9262001 + i},{v or 'Kingsford'} Primary School,,School Lane,{v},,"
             f"Kingsford,ZZ9 {i}ZZ,01000 000000,1,,,0,Maintained School,Community school,,1,0,0,4,11,Mixed,Mixed,"
             "Does not apply,Not recorded,,6,0" for i, v in enumerate(VILLAGES)]
    (folder / "england_spine.csv").write_text("\n".join([SPINE_HEADER, *spine]) + "\n", encoding="utf-8")
    groups = [f"{i},{130001 + i},{17001 + i // 3},TR{i // 3:05d},Kingsford Learning Trust {i // 3},0{8000000 + i},"
              f"06,Multi-academy trust,,2015-09-01,2015-08-01,OPEN,Open,2016-04-01,{v or 'Kingsford'} Primary School,"
              "34,Academy converter,2,Primary,926,Kingsfordshire" for i, v in enumerate(VILLAGES)]
    (folder / "group_links.csv").write_text("\n".join([GROUPS_HEADER, *groups]) + "\n", encoding="utf-8")
    (folder / "links.csv").write_text("URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\n"
                                      "130002,140002,Brockley Primary Academy,Successor,01-09-2015\n"
                                      "140002,130002,Brockley Primary School,Predecessor,01-09-2015\n",
                                      encoding="utf-8")
    return folder


def test_init_takes_the_dfe_number_as_the_school_id_of_a_spine_not_its_estab_and_names_the_urn_beside_it(tmp_path):
    """ESTAB is the establishment number without the LA code (the same number in every LA); LAESTAB is the DfE
    number the census's LAEstab holds. With a URN there too, the choice is a CHECK naming the URN."""
    result, out = _init(tmp_path, dfe_downloads(tmp_path / "downloads"))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert re.search(r'^ +"LAESTAB": school_id +# likely \(0\.90\) +# CHECK: also possible: URN$', text, re.M), text
    assert '"ESTAB":' not in text and '"URN": school_id' not in text.split("  links:")[0]
    assert '"LAESTAB" → school_id (likely, 0.90; also possible: URN)' in " ".join(result.output.split())


def test_init_does_not_take_an_address_locality_for_the_cluster_but_a_locality_that_groups_schools_it_checks():
    """LOCALITY in a spine is an address line between STREET and TOWN: blank on many rows, a different village
    on most. A council's "Locality" filled on every row, each shared by several schools, is its cluster."""
    spine = Sheet(Path("spine.csv"), None, 1, ["LAESTAB", "SCHNAME", "STREET", "LOCALITY", "TOWN"],
                  {"LAESTAB": [str(9262001 + i) for i in range(10)], "SCHNAME": [f"School {i}" for i in range(10)],
                   "LOCALITY": [v for v in VILLAGES if v] + ["Ashwell"], "TOWN": ["Kingsford"] * 10}, rows=10)
    assert "cluster_id" not in {p.column for p in propose_columns(spine, "schools")}
    council = Sheet(Path("schools.xlsx"), None, 1, ["Estab No", "School", "Locality"],
                    {"Estab No": ["2001", "2002", "2003"], "School": ["Ashby", "Barton", "Cawley"],
                     "Locality": ["North", "North", "South"]}, rows=3)
    locality = {p.column: p for p in propose_columns(council, "schools")}["cluster_id"]
    assert locality.header == "Locality" and locality.confidence != "sure"  # one school alone in a "cluster"


def test_a_name_is_never_proposed_as_a_schools_id_and_of_an_estab_and_a_urn_the_urn_is_chosen_naming_the_estab():
    links = Sheet(Path("links.csv"), None, 1, ["URN", "Linked Establishment", "LinkType"],
                  {"URN": ["130002"], "Linked Establishment": ["Brockley Primary Academy"], "LinkType": ["Successor"]})
    assert "successor_id" not in {p.column for p in propose_columns(links, "links")}
    statements = Sheet(Path("statements.csv"), None, 1, ["UPN", "School", "School Code"],
                       {"UPN": [upn(1)], "School": ["Ashby Primary School"], "School Code": ["ASH01"]})
    assert {p.column: p.header for p in propose_columns(statements, "statements")}["school_id"] == "School Code"
    census = Sheet(Path("census.csv"), None, 1, ["URN", "ESTAB", "NOR"],
                   {"URN": ["130001", "130002"], "ESTAB": ["2001", "2002"], "NOR": ["210", "98"]})
    school = {p.column: p for p in propose_columns(census, "schools")}["school_id"]
    assert (school.header, school.others, school.confidence) == ("URN", ("ESTAB",), "likely")


def test_a_statements_setting_column_of_dfe_numbers_is_proposed_as_the_school_that_holds_the_psf__spec_2():
    """SEN teams head the school a child's plan names "Setting" (a plan names an educational setting); a column of
    DfE numbers under it is the statements' school, and a column of settings' names is not."""
    statements = Sheet(Path("statements.xlsx"), "Plans", 3, ["Pupil UPN", "D.O.B.", "Setting", "Annual PSF £"],
                       {"Pupil UPN": [upn(1), upn(2)], "D.O.B.": ["30/01/2006"], "Setting": ["8882014", "8884005"],
                        "Annual PSF £": ["£3,263.00"]}, rows=2)
    assert {p.column: p.header for p in propose_columns(statements, "statements")}["school_id"] == "Setting"
    named = Sheet(Path("statements.xlsx"), "Plans", 3, ["Pupil UPN", "Setting"],
                  {"Pupil UPN": [upn(1)], "Setting": ["North Road Primary School", "Casterton Primary School"]}, rows=2)
    assert "school_id" not in {p.column for p in propose_columns(named, "statements")}


def test_a_need_index_is_never_taken_for_the_cluster_and_an_area_column_is():
    values = {"DfE Number": ["9262001", "9262002", "9262003", "9262004"], "School Name": ["A", "B", "C", "D"],
              "SEN Need Index": ["0.25", "0.5", "0.25", "0.5"]}
    plain = Sheet(Path("schools.csv"), None, 1, list(values), values, rows=4)
    assert "cluster_id" not in {p.column for p in propose_columns(plain, "schools")}
    areas = Sheet(Path("schools.csv"), None, 1, [*values, "Area"], {**values, "Area": ["N", "N", "S", "S"]}, rows=4)
    assert {p.column: p.header for p in propose_columns(areas, "schools")}["cluster_id"] == "Area"


def test_a_dfe_number_written_with_a_space_is_still_taken_as_the_school_id():
    schools = Sheet(Path("schools.csv"), None, 1, ["DfE Number", "School Name"],
                    {"DfE Number": ["926 2001", "926 2002"], "School Name": ["Ashby", "Barton"]}, rows=2)
    school = {p.column: p for p in propose_columns(schools, "schools")}["school_id"]
    assert (school.header, school.confidence) == ("DfE Number", "sure")


def test_init_says_gias_groups_export_is_not_the_links_export_and_drafts_the_links_export_as_the_links(tmp_path):
    """GIAS's groups export (a school's trusts and federations) has a URN, a name and a type, but no successor: it
    is no input, and init says which export senrun needs; the links export beside it is the links input."""
    result, out = _init(tmp_path, dfe_downloads(tmp_path / "downloads"))
    assert result.exit_code == 0, result.output
    said, text = " ".join(result.output.split()), out.read_text()
    assert ("group_links.csv: not recognised as any input: it looks like GIAS's groups export (trusts and "
            "federations), not its links export; for schools that closed or converted senrun needs the links "
            "export (URN, LinkURN, LinkType, LinkEstablishedDate)") in said
    assert "group_links.csv" not in text and "EstablishmentName" not in text and "Group Type" not in text
    links = text.split("  links:")[1]
    for line in ('"URN": school_id   # sure', '"LinkURN": successor_id   # sure', '"LinkType": link_type   # sure',
                 '"LinkEstablishedDate": link_date   # sure'):
        assert line in links, line
    groups = Sheet(Path("group_links.csv"), None, 1, GROUPS_HEADER.split(",")[1:],
                   {"URN": ["130001"], "EstablishmentName": ["Ashwell Primary School"],
                    "Group Type": ["Multi-academy trust"]})
    ids = {p.header for name in ("schools", "links") for p in propose_columns(groups, name) if p.column in SCHOOL_IDS}
    assert "URN" in ids and "EstablishmentName" not in ids  # a school's name is no ID


@pytest.mark.parametrize("name, headers, values, column, wrong", [
    ("statements", ["UPN", "DOB", "Weekly Amount £"], {"Weekly Amount £": ["161.54"]}, "annual_amount",
     "Weekly Amount £"),
    ("statements", ["UPN", "DOB", "Date of Statement", "Date Amended"], {"Date Amended": ["01/11/2013"]},
     "ceased_date", "Date Amended"),
    ("moves", ["UPN", "From School", "To School", "Date of Birth", "Transfer Effective"],
     {"Date of Birth": ["14/03/2005"], "Transfer Effective": ["01/11/2013"]}, "move_date", "Date of Birth"),
])
def test_a_header_whose_words_say_it_is_something_else_is_never_proposed_for_a_money_column(name, headers, values,
                                                                                          column, wrong):
    """A weekly amount is not the annual one, an amendment's date not the ceasing's, a date of birth not a move's:
    each, proposed as 'likely', moved money with no error (the moves' real date was then left unmapped)."""
    sheet = Sheet(Path(f"{name}.xlsx"), None, 1, headers, {h: values.get(h, ["x"]) for h in headers}, rows=1)
    proposed = {p.column: p.header for p in propose_columns(sheet, name)}
    assert proposed.get(column) != wrong
    if name == "moves":
        assert proposed["move_date"] == "Transfer Effective"


def test_a_schools_list_is_never_taken_for_the_links_input_by_its_establishment_number():
    """A successor is named as such, or as a link (GIAS's LinkURN), never by an id column alone: a schools list
    with URN and EstablishmentNumber was taken for the links input, and every input moved one place."""
    gias = Sheet(Path("schools.csv"), None, 1, ["URN", "EstablishmentNumber", "EstablishmentName"],
                 {"URN": ["120777", "120778"], "EstablishmentNumber": ["2000", "2001"],
                  "EstablishmentName": ["Ashby Primary", "Barton Primary"]}, rows=2)
    assert "successor_id" not in {p.column for p in propose_columns(gias, "links")}
    links = Sheet(Path("links.csv"), None, 1, ["URN", "LinkURN", "LinkType"],
                  {"URN": ["120777"], "LinkURN": ["139204"], "LinkType": ["Successor"]}, rows=1)
    assert {p.column: p.header for p in propose_columns(links, "links")}["successor_id"] == "LinkURN"


def test_of_two_censuses_alike_the_later_years_spring_census_is_taken():
    from senrun.onboard.match import assign

    def census(label: str) -> Sheet:
        headers = ["UPN", "LAEstab", "DOB", "NCyearActual"]
        values = {"UPN": [upn(i) for i in range(3)], "LAEstab": ["9262001"] * 3, "DOB": ["01/05/2005"] * 3,
                  "NCyearActual": ["3"] * 3}
        return Sheet(Path(f"{label}.xlsx"), "Pupils", 1, headers, values, rows=3)

    tables = [census("Autumn Census 2012"), census("Spring Census 2013"), census("Summer Census 2012")]
    assert assign(tables)["census"][0].path.name == "Spring Census 2013.xlsx"


def test_a_weekly_amount_is_never_offered_as_the_annual_amount_and_init_says_what_to_add_instead(tmp_path):
    folder = council_files(tmp_path / "council")
    book = openpyxl.load_workbook(folder / "SEN statements.xlsx")
    book.active["E3"] = "Weekly amount"  # the 'Annual Value' column becomes a weekly figure
    book.save(folder / "SEN statements.xlsx")
    result, out = _init(tmp_path, folder)
    said = " ".join(result.output.split())
    assert "no header found for annual_amount" in said
    offered = re.search(r"no header found for annual_amount; add \"Your header\": annual_amount( \(one of the columns "
                        r"not mapped: ([^?]*)\?\))?", said)
    assert offered and "Weekly amount" not in (offered.group(2) or "")
    assert "'Weekly amount' is not a yearly amount" in said


@pytest.mark.parametrize("header, warned", [("Weekly amount", True), ("PSF per week", True),
                                             ("Monthly PSF £", True), ("Cost (p.w.)", True), ("Cost pcm", True),
                                             ("Annual PSF (weekly rate x 52)", False), ("Annual Value", False),
                                             ("Amount", False), ("Annualised weekly cost", False),
                                             ("Weekly cost (£) x 52", False), ("FYE (weekly x 39)", False),
                                             ("52-week cost", False), ("12 month cost", False)])
def test_validate_warns_when_the_column_read_as_the_annual_amount_is_headed_as_a_weeks_or_a_months(
        tmp_path, header, warned):
    """A weekly figure read as a year's pays a fortieth of the PSF with no error (SPEC §3: annual_amount is a
    rate per year): the run says so, by file and column, and what to map instead."""
    folder = council_files(tmp_path / "council")
    result, out = _init(tmp_path, folder)
    text = out.read_text().replace('"Annual Value": annual_amount', f'"{header}": annual_amount')
    out.write_text(text)
    book = openpyxl.load_workbook(folder / "SEN statements.xlsx")
    book.active["E3"] = header
    book.save(folder / "SEN statements.xlsx")
    report = run_validation(out)
    found = [i for i in report.issues if i.code == "amount_not_annual"]
    assert bool(found) == warned and report.errors == []
    if warned:
        [issue] = found
        assert (issue.file, issue.column) == ("SEN statements.xlsx", header) and issue.row is None
        assert "annual_amount" in (issue.expected or "")


def test_a_year_label_in_the_files_wins_over_the_clock_when_no_statement_date_can_be_read(tmp_path):
    """With no statement date to go by, the files' own label ('Schools 2013-14') says the year; this year
    is the guess only when nothing in the files says."""
    folder = council_files(tmp_path / "council")
    book = openpyxl.load_workbook(folder / "SEN statements.xlsx")
    for row in book.active.iter_rows(min_row=4, min_col=3, max_col=3):  # the statement dates made unreadable
        for cell in row:
            cell.value = "TBC"
    book.save(folder / "SEN statements.xlsx")
    result, out = _init(tmp_path, folder)
    assert result.exit_code == 0, result.output
    assert 'year: "2013-14"' in out.read_text() and "no statement dates" not in out.read_text()


def test_a_second_column_that_may_hold_the_ssa_is_named_and_the_proposal_asks_for_a_check():
    """A hidden "SSA" column of last year's figures beside this year's "School Specific Allocation": the draft
    had mapped "SSA" as sure, with nothing to say the other might be it, and every school was paid £1,000."""
    schools = Sheet(Path("schools.xlsx"), "Schools", 1, ["DfE Number", "School Name", "Cluster", "SSA",
                                                         "School Specific Allocation"],
                    {"DfE Number": ["9262001", "9262002"], "School Name": ["Ash", "Elm"], "Cluster": ["C1", "C1"],
                     "SSA": ["1000", "1000"], "School Specific Allocation": ["9351.88", "8123.45"]}, rows=2)
    ssa = {p.column: p for p in propose_columns(schools, "schools")}["ssa"]
    assert ssa.others and ssa.confidence != "sure"
    assert {ssa.header, *ssa.others} == {"SSA", "School Specific Allocation"}


def test_a_funding_stream_or_event_column_no_header_names_is_found_by_its_codes_and_left_for_a_person_to_check():
    """A statements list's `Type` column of PSF, SSMN and FYS was left unmapped ("not read"), so every SSMN and FYS
    row was read as PSF (FAQ 9: SSMN and FYS are paid as PSF is, but each is its own stream): £46,471.62 of a
    cluster pot moved with no word once the duplicates that followed were "mended" as amendments.  A column of
    values that are all a stream's codes (or all events, in words) is proposed as that column, as likely."""
    values = {"UPN": [upn(1), upn(2), upn(3)], "Type": ["PSF", "SSMN", "fys"], "Annual Amount": ["8400", "1200", "600"],
              "Entry": ["Issued", "Amendment", "EHCP transfer"], "Notes": ["PSF", "see file", ""]}
    sheet = Sheet(Path("statements.xlsx"), None, 1, list(values), values, rows=3)
    proposed = {p.column: p for p in propose_columns(sheet, "statements")}
    assert (proposed["stream"].header, proposed["stream"].confidence) == ("Type", "likely")
    assert (proposed["event"].header, proposed["event"].confidence) == ("Entry", "likely")
    assert proposed["annual_amount"].header == "Annual Amount"
    mixed = {**values, "Type": ["PSF", "Statement", "SSMN"]}  # not every value a stream: not proposed
    sheet = Sheet(Path("statements.xlsx"), None, 1, list(mixed), mixed, rows=3)
    assert "stream" not in {p.column for p in propose_columns(sheet, "statements")}


def test_init_suggests_for_an_unmapped_money_column_only_the_columns_whose_values_are_amounts(tmp_path):
    """init offered "(one of the columns not mapped: Type?)" for annual_amount, a column of PSF and SSMN codes:
    following it gave an error on every row ("PSF is not an amount of money")."""
    folder = council_files(tmp_path / "council")
    book = folder / "SEN statements.xlsx"
    _xlsx(book, "PSF", "Statements with PSF — SEN team extract",
          ["Child UPN", "DOB", "Date of Statement", "Funded School", "Top-up", "Kind", "Date Ended", "Caseworker"],
          [(*row[:5], "SSMN" if i % 2 else "PSF", *row[6:]) for i, row in enumerate(STATEMENTS)])
    result, out = _init(tmp_path, folder)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "no header found for annual_amount" in said
    among = re.search(r"no header found for annual_amount; add \S+ \S+ annual_amount \(one of the columns not "
                      r"mapped: ([^?]*)\?\)", said)
    assert among is not None and "Top-up" in among.group(1).split(", ")
    assert "Kind" not in among.group(1) and "Caseworker" not in among.group(1)
    assert '"Kind": stream' in out.read_text()  # the codes found as the stream, for a person to check


@pytest.mark.parametrize("name", ["census", "statements"])
def test_a_former_upn_is_never_proposed_as_the_childs_upn_and_the_upn_beside_it_is__spec_5(name):
    """SPEC §5 matches a child by the UPN. A council's "Former UPN" column (a valid UPN, the child's old one) beside
    "UPN No" tied with it on the word UPN and won on the alphabet: the census check then found no child, and init
    said no edit was needed."""
    headers = ["UPN No", "Former UPN", "School", "DOB"]
    values = {"UPN No": [upn(1), upn(2)], "Former UPN": [upn(7), upn(8)], "School": ["2001", "2002"],
              "DOB": ["30/01/2006", "05/05/2005"]}
    sheet = Sheet(Path(f"{name}.xlsx"), None, 1, headers, values, rows=2)
    proposed = {p.column: p.header for p in propose_columns(sheet, name)}
    assert proposed["upn"] == "UPN No"


def test_a_review_date_is_never_proposed_as_a_statements_effective_date_or_its_date__spec_11_3():
    """SPEC §11.3: an effective date starts a row of a statement's history. "Date of Review" was proposed as the
    effective date (check): the draft's year moved to the one after the latest review, and some lines' money with it."""
    headers = ["UPN", "DOB", "Date of Review", "School", "Annual PSF"]
    values = {"UPN": [upn(1)], "DOB": ["30/01/2006"], "Date of Review": ["12/10/2013"], "School": ["2001"],
              "Annual PSF": ["8400.00"]}
    sheet = Sheet(Path("statements.xlsx"), None, 1, headers, values, rows=1)
    proposed = {p.header: p.column for p in propose_columns(sheet, "statements")}
    assert "Date of Review" not in proposed


def test_a_footer_line_under_a_short_schools_list_does_not_turn_init_from_its_dfe_numbers_to_its_urns__spec_5():
    """SPEC §5: ids are the schools' own, as the census's LAEstab gives them. `validate` skips a report's footer
    ("End of report", "Printed on …"); init sampled it as a value, and under a list of seven schools that one cell in
    eight made the DfE numbers look less like ids than the URN beside them: the URN was drafted as the school id."""
    rows = [["LA Estab No", "School Name", "Cluster", "URN"]]
    rows += [[f"926200{n}", f"School {n}", "C1" if n < 4 else "C2", f"12200{n}"] for n in range(1, 8)]
    rows += [[None] * 4, ["End of report", None, None, None]]
    table = _table(Path("schools.xlsx"), "Schools", rows)
    proposed = {p.column: p.header for p in propose_columns(table, "schools")}
    assert proposed["school_id"] == "LA Estab No" and proposed["urn"] == "URN"


def test_of_two_ssa_columns_labelled_with_years_the_later_years_is_proposed_and_the_other_named__spec_6():
    """SPEC §6: a school's total is its SSA and more. A schools list keeping "SSA 2012-13" beside "SSA 2013-14"
    tied on the word SSA and the earlier year's won on the alphabet: last year's SSA was drafted for this year's."""
    schools = Sheet(Path("schools.xlsx"), "Schools", 1, ["DfE Number", "School Name", "Cluster", "SSA 2012-13",
                                                         "SSA 2013-14"],
                    {"DfE Number": ["9262001", "9262002"], "School Name": ["Ash", "Elm"], "Cluster": ["C1", "C1"],
                     "SSA 2012-13": ["9000.00", "8000.00"], "SSA 2013-14": ["9351.88", "8123.45"]}, rows=2)
    ssa = {p.column: p for p in propose_columns(schools, "schools")}["ssa"]
    assert ssa.header == "SSA 2013-14" and ssa.others == ("SSA 2012-13",) and ssa.confidence != "sure"


@pytest.mark.parametrize("current", ["Statements", "Current"])
def test_a_sheet_labelled_with_a_year_before_the_first_funded_year_is_not_taken_over_the_current_sheet__spec_5(
        tmp_path, current):
    """SPEC §5: an input is one sheet. A draft's period never starts before the policy (2013-14 at the earliest). A
    statements workbook keeping its live sheet ("Statements", "Current") beside last year's ("2012-13") had the
    2012-13 sheet taken, for its label alone, in a draft for 2013-14, with "its label names the later year"."""
    header = ["UPN", "DOB", "Statement Date", "School", "Annual PSF"]
    this = [[upn(n), "30/01/2006", "01/03/2010", "2001", "8400.00"] for n in (1, 2, 3)]
    book = xlsxwriter.Workbook(str(tmp_path / "statements.xlsx"))
    for sheet, rows in (("2012-13", this[:2]), (current, this)):
        ws = book.add_worksheet(sheet)
        for i, row in enumerate([header, *rows]):
            ws.write_row(i, 0, row)
    book.close()
    (tmp_path / "census.csv").write_text("UPN,LAEstab,DOB,NCyearActual\n" + "".join(
        f"{u},{s},{d},{y}\n" for u, s, d, y, _, _ in PUPILS), encoding="utf-8")
    d = draft([tmp_path], tmp_path / "senrun.yaml")
    assert d.found["statements"].table.sheet == current
    other = next(c for c in d.checks if "2012-13 looks like the statements input too" in c)
    assert "later year" not in other and "before the cluster model's first funding year, 2013-14" in other


@pytest.mark.parametrize("last, this", [("Last Year", "This Year"), ("Last year's list", "Schools"),
                                        ("LAST YEAR", "Current")])
def test_a_sheet_named_last_year_is_not_taken_over_this_years_sheet_beside_it__spec_5(last, this):
    """SPEC §5: an input is one sheet. A schools workbook of sheets "Last Year" then "This Year" tied on their labels
    and the first was taken: last year's SSA was drafted for this year's. "Last year" names an earlier copy, as
    "Previous" and "Old" did ("Last updated" still names none)."""
    from senrun.onboard.match import assign, label_rank

    def schools(sheet: str) -> Sheet:
        values = {"DfE Number": ["9262001", "9262002"], "School Name": ["Ash", "Elm"], "Cluster": ["C1", "C1"]}
        return Sheet(Path("schools.xlsx"), sheet, 1, list(values), values, rows=2)

    assert assign([schools(last), schools(this)])["schools"][0].sheet == this
    assert label_rank(schools("2013-14 last updated 1 Mar"))[0] == 1


def test_init_names_a_file_not_yet_downloaded_or_a_shortcut_among_those_it_cannot_read_not_passing_over_it__spec_5(
        tmp_path):
    """An online-only OneDrive census (0 bytes) had been passed over without a word, and init had drafted another
    file as the census; a statements workbook of NUL bytes had been "not a text file … it may be damaged"."""
    folder = council_files(tmp_path / "council")
    (folder / "census.csv").write_bytes(b"")
    (folder / "statements 2014.xlsx").write_bytes(bytes(4096))
    shortcut = tmp_path / "moves - Shortcut.lnk"
    shortcut.write_bytes(b"L\x00\x00\x00\x01\x14\x02\x00" + bytes(100))
    result = CliRunner().invoke(app, ["init", "--from", str(folder), "--from", str(shortcut),
                                 "--out", str(tmp_path / "senrun.yaml")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "census.csv: is empty (0 bytes): if it is in a OneDrive or SharePoint folder, it may be \"online-only\"" in said
    assert "statements 2014.xlsx: holds nothing but NUL bytes (4,096 of them, no data)" in said
    assert "moves - Shortcut.lnk: is a Windows shortcut (.lnk)" in said
