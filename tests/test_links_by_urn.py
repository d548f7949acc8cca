"""GIAS's links export, which names schools by URN alone, used with a schools input keyed by DfE number
(LAESTAB, as the census holds it) through the schools' `urn` column (SPEC §11.1; docs/decisions.md, 82).

The default run is the financial year 2013-04-01 – 2014-03-31 by months; amounts are integer pence.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from builders import lines_of, statement, write_csv, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.inputs.upn import check_letter
from senrun.onboard.match import propose_columns
from senrun.onboard.scan import Sheet
from senrun.pipeline import allocate
from senrun.yearly.explain import explain_school, run_for_explain

U1, U2 = "B801200005001", "E801200005002"
PRIMARY = "2005-05-05"  # Year 3 in 2012/13: primary to the end of 2018/19


def school(sid: str, urn: str, closed: str = "", opened: str = "") -> dict:
    return {"DfE Number": sid, "URN": urn, "school_name": f"School {sid}", "cluster_id": "C1", "ssa": "0.00",
            "pupils": "100", "opened": opened, "closed": closed}


#: Ash Primary (DfE 9262001, URN 100001) becomes Ash Academy (DfE 9264001, URN 140001) on 1 September 2013.
SCHOOLS = [school("9262001", "100001", closed="2013-08-31"), school("9264001", "140001", opened="2013-09-01"),
           school("9262003", "100003")]
STATEMENTS = [statement(U1, PRIMARY, school="9262001", annual="1200.00"),
              statement(U2, PRIMARY, school="9262003", annual="2400.00")]


def gias_link(urn: str, link_urn: str, kind: str, name: str = "") -> dict:
    """A row of GIAS's links export, headed as GIAS heads it."""
    return {"URN": urn, "LinkURN": link_urn, "LinkName": name, "LinkType": kind, "LinkEstablishedDate": "01-09-2013"}


#: The conversion as GIAS lists it: both ways, by URN.
GIAS_LINKS = [gias_link("100001", "140001", "Successor", "Ash Academy"),
              gias_link("140001", "100001", "Predecessor", "Ash Primary")]
LINK_COLUMNS = {"URN": "school_id", "LinkURN": "successor_id", "LinkType": "link_type",
                "LinkEstablishedDate": "link_date"}


def gias_run(folder: Path, links: list[dict] = GIAS_LINKS, schools: list[dict] = SCHOOLS, urn: bool = True,
             statements: list[dict] = STATEMENTS) -> Path:
    """A run whose schools are keyed by DfE number (their URN mapped as `urn` unless not `urn`) and whose links
    are GIAS's export; the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_run(folder, schools=schools, statements=statements, links=links)
    cfg = yaml.safe_load(path.read_text())
    cfg["inputs"]["schools"]["columns"] = {"DfE Number": "school_id", **({"URN": "urn"} if urn else {})}
    if not urn:  # the schools list without its URN column
        write_csv(folder / "schools.csv", [{k: v for k, v in s.items() if k != "URN"} for s in schools])
    cfg["inputs"]["links"]["columns"] = LINK_COLUMNS
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def money(result) -> dict:
    return {sid: (psf, total) for sid, psf, total in result.schools.select("school_id", "psf", "total").iter_rows()}


def codes(result) -> list[str]:
    return [i.code for i in result.issues]


def test_a_protected_child_keeps_psf_at_the_academy_with_gias_urns_and_schools_by_dfe_number__faq_3_6_spec_11_1(
        tmp_path):
    """A protected child whose school converts keeps PSF at the academy when the links are GIAS's URNs and the
    schools are keyed by DfE number, to the penny as with the links written in DfE numbers."""
    by_urn = allocate(load_config(gias_run(tmp_path / "urn")))
    # the same run with the links written in DfE numbers: the money must be the same to the penny
    in_dfe = [{"URN": "9262001", "LinkURN": "9264001", "LinkName": "Ash Academy", "LinkType": "Successor",
               "LinkEstablishedDate": "01-09-2013"}]
    by_dfe = allocate(load_config(gias_run(tmp_path / "dfe", links=in_dfe)))
    assert lines_of(by_urn, U1) == [("9262001", 50000, 0, "continuing"), ("9264001", 70000, 0, "continuing")]
    assert money(by_urn) == money(by_dfe) and lines_of(by_urn, U1) == lines_of(by_dfe, U1)
    assert by_urn.totals == by_dfe.totals
    said = codes(by_urn)
    assert "links_unknown" not in said and "closed_without_successor" not in said


def test_without_the_urn_column_the_conversion_is_lost_and_the_warning_says_to_map_the_schools_urn_as_urn__faq_3_6(
        tmp_path):
    result = allocate(load_config(gias_run(tmp_path, urn=False)))
    assert lines_of(result, U1) == [("9262001", 50000, 70000, "school_closed")]  # the money this column keeps
    [warning] = [i for i in result.issues if i.code == "links_unknown"]
    assert (warning.file, warning.column) == ("links.csv", "URN")
    assert "(such as '100001')" in warning.message
    assert "map the schools list's URN column as urn (under inputs: schools: columns: {\"URN\": urn}; a list with " \
           "no URN column takes one from GIAS's download of the same schools, matched by DfE number)" in warning.message


def test_a_links_file_mixing_urns_and_dfe_numbers_reads_each_id_as_the_school_it_names__spec_11_1(tmp_path):
    """GIAS's export with a row a council added in DfE numbers (a school GIAS has no link for): each id that is
    a school_id stays one, each URN of the urn column is read as its school's school_id."""
    schools = [*SCHOOLS, school("9262005", "100005", closed="2013-12-31"), school("9264005", "", opened="2014-01-01")]
    statements = [*STATEMENTS, statement("H801200005003", PRIMARY, school="9262005", annual="1200.00")]
    links = [*GIAS_LINKS, {"URN": "9262005", "LinkURN": "9264005", "LinkType": "Successor",
                           "LinkEstablishedDate": "01-01-2014"}]
    result = allocate(load_config(gias_run(tmp_path, links=links, schools=schools, statements=statements)))
    assert lines_of(result, U1)[-1] == ("9264001", 70000, 0, "continuing")
    assert lines_of(result, "H801200005003") == [("9262005", 90000, 0, "continuing"),
                                                 ("9264005", 30000, 0, "continuing")]


def test_a_link_from_a_urn_of_no_listed_school_is_left_out_and_one_to_such_a_urn_is_an_error_at_its_cell__spec_11_1(
        tmp_path):
    """A link from a school elsewhere holds no PSF here (left out, as without the column); a conversion of a
    listed school to an academy missing from the schools list is the successor error, at the links' row."""
    links = [*GIAS_LINKS, gias_link("199999", "140001", "Successor")]  # another LA's school: left out
    result = allocate(load_config(gias_run(tmp_path, links=links)))
    assert lines_of(result, U1)[-1] == ("9264001", 70000, 0, "continuing") and "links_unknown" not in codes(result)
    links = [gias_link("100001", "149999", "Successor")]
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(gias_run(tmp_path, links=links)))
    [error] = [i for i in caught.value.issues if i.code == "unknown_school"]
    assert (error.file, error.row, error.column) == ("links.csv", 2, "LinkURN")
    assert error.message.startswith("successor '149999' of school 9262001 is not in the schools input (neither a "
                                    "school_id nor a URN of its urn column)")


def test_an_id_that_is_one_schools_id_and_anothers_urn_is_an_error_at_its_cell_not_a_guess__spec_11_1(tmp_path):
    schools = [school("100001", "500001"), school("9262002", "100001", closed="2013-08-31"),
               school("9264002", "140002", opened="2013-09-01")]
    links = [gias_link("100001", "140002", "Successor")]
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(gias_run(tmp_path, links=links, schools=schools,
                                      statements=[statement(U1, PRIMARY, school="9262002")])))
    [error] = [i for i in caught.value.issues if i.code == "succession"]
    assert (error.file, error.row, error.column) == ("links.csv", 2, "URN")
    assert "'100001' is the school_id of school 100001 and the URN of school 9262002" in error.message


def test_a_urn_given_to_two_schools_is_an_error_at_the_second_row_naming_the_first__spec_8_11_1(tmp_path):
    schools = [*SCHOOLS, school("9262004", "100003")]
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(gias_run(tmp_path, schools=schools)))
    [error] = [i for i in caught.value.issues if i.code == "duplicate"]
    assert (error.file, error.row, error.column, error.value) == ("schools.csv", 5, "URN", "100003")
    assert error.message.startswith("URN 100003 appears again (first at row 4)")
    assert U1 not in str(caught.value) and PRIMARY not in str(caught.value)  # no child's data in the message


def test_a_placeholder_in_the_urn_column_of_two_settings_is_read_as_blank_not_as_one_urn_twice__spec_11_1(
        tmp_path):
    """A private nursery has no URN: a council writes 'n/a' (or '-'), and two of them are not one URN given twice."""
    schools = [*SCHOOLS, school("9268001", "n/a"), school("9268002", "n/a"), school("9268003", "-")]
    result = allocate(load_config(gias_run(tmp_path, schools=schools)))
    assert "duplicate" not in codes(result)
    psf = {sid: paid for sid, (paid, _) in money(result).items()}
    assert psf == {sid: paid for sid, (paid, _) in money(allocate(load_config(gias_run(tmp_path / "plain")))).items()} \
        | {"9268001": 0, "9268002": 0, "9268003": 0}  # the PSF followed the conversion as before


def test_explain_by_an_academys_urn_explains_the_school_with_that_urn_and_says_which_it_is__spec_7(tmp_path):
    config = gias_run(tmp_path)
    result, _, inp = run_for_explain(load_config(config))
    e = explain_school(result, "140001", schools=inp.schools.frame)
    assert (e["school_id"], e["school_name"]) == ("9264001", "School 9264001")
    assert e["notes"][0] == "URN 140001 is school 9264001 (School 9264001) of the schools input"
    assert e["total"] == explain_school(result, "9264001")["total"]
    shown = CliRunner().invoke(app, ["explain", "-c", str(config), "--school", "140001"])
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.output.split())
    assert said.startswith("9264001 School 9264001") and "URN 140001 is school 9264001 (School 9264001)" in said
    assert explain_school(result, "9264001", schools=inp.schools.frame)["notes"] == []  # a school_id: as it was
    with pytest.raises(SenrunError, match=r"^school '149999' has no row this period: it is not in the schools input"):
        explain_school(result, "149999", schools=inp.schools.frame)  # a URN of no school: as any unknown id


# --- senrun init -----------------------------------------------------------------------------------------

def test_init_maps_a_schools_lists_urn_beside_its_dfe_number_as_urn_and_a_list_with_a_urn_alone_as_its_id():
    both = Sheet(Path("schools.csv"), None, 1, ["DfE Number", "URN", "School Name"],
                 {"DfE Number": ["9262001", "9262002"], "URN": ["100001", "100002"], "School Name": ["Ash", "Birch"]},
                 rows=2)
    proposed = {p.column: p for p in propose_columns(both, "schools")}
    assert (proposed["urn"].header, proposed["urn"].confidence) == ("URN", "sure")
    assert (proposed["school_id"].header, proposed["school_id"].others) == ("DfE Number", ("URN",))
    alone = Sheet(Path("schools.csv"), None, 1, ["URN", "School Name"],
                  {"URN": ["100001", "100002"], "School Name": ["Ash", "Birch"]}, rows=2)
    proposed = {p.column: p.header for p in propose_columns(alone, "schools")}
    assert proposed["school_id"] == "URN" and "urn" not in proposed


def upn(n: int) -> str:
    body = f"80120000{n:04d}"
    return check_letter(body) + body


def council_with_gias_links(folder: Path, urn: bool = True) -> Path:
    """A council's schools list by DfE number (with GIAS's URN beside it, or not), its statements and census,
    and GIAS's links export, as downloaded."""
    folder.mkdir(parents=True, exist_ok=True)
    header = ["DfE Number", *(["URN"] if urn else []), "School Name", "Cluster Code", "SSA (£)", "Open Date",
              "Close Date"]
    rows = [["9262001", "100001", "Ash Primary", "C1", "1000", "", "31/08/2013"],
            ["9264001", "140001", "Ash Academy", "C1", "1000", "01/09/2013", ""],
            ["9262003", "100003", "Cedar Primary", "C1", "1000", "", ""]]
    with (folder / "Schools list 2013-14.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *([r[0], *r[1:2] * urn, *r[2:]] for r in rows)])
    (folder / "SEN statements 2013-14.csv").write_text(
        "Pupil UPN,Date of Birth,Statement Date,PSF School (DfE),Annual PSF\n"
        f"{upn(1)},05/05/2005,01/05/2010,9262001,1200.00\n", encoding="utf-8")
    (folder / "Census spring 2013.csv").write_text(
        "UPN,LAEstab,DOB\n" + "".join(f"{upn(n)},{9262001 if n == 1 else 9262003},05/05/2005\n" for n in (1, 2, 3)),
        encoding="utf-8")
    (folder / "links.csv").write_text("URN,LinkURN,LinkName,LinkType,LinkEstablishedDate\n"
                                      "100001,140001,Ash Academy,Successor,01-09-2013\n"
                                      "140001,100001,Ash Primary,Predecessor,01-09-2013\n", encoding="utf-8")
    return folder


def test_init_maps_the_urn_so_gias_links_reach_schools_by_dfe_number_and_says_no_edits_only_when_they_do__faq_3_6(
        tmp_path):
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(council_with_gias_links(tmp_path / "with")), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    schools = out.read_text().split("  schools:")[1].split("\n  census:")[0]
    assert '"URN": urn   # sure' in schools and '"DfE Number": school_id' in schools
    assert "No edits needed" in result.output
    plain = tmp_path / "plain.yaml"
    result = CliRunner().invoke(app, ["init", "--from", str(council_with_gias_links(tmp_path / "without", urn=False)),
                                      "--out", str(plain)])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "No edits needed" not in said
    assert "`senrun validate` finds: links.csv › URN: none of the 1 successions in the links input" in said
    assert "map the schools list's URN column as urn" in said


def test_init_lists_the_links_warning_beside_the_errors_it_causes__faq_3_6(tmp_path):
    """An academy's blank cluster is its predecessor's through the succession: when the links cannot be read,
    validate finds the blank cluster too, and init must still list the links warning that explains it."""
    folder = council_with_gias_links(tmp_path / "without", urn=False)
    schools = folder / "Schools list 2013-14.csv"
    schools.write_text(schools.read_text(encoding="utf-8").replace("Ash Academy,C1", "Ash Academy,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["init", "--from", str(folder), "--out", str(tmp_path / "draft.yaml")])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "map the schools list's URN column as urn" in said and "Cluster" in said


def _errors_of(config: Path) -> list:
    with pytest.raises(SenrunError) as stopped:
        allocate(load_config(config))
    return [i for i in stopped.value.issues if i.severity == "error"]


def test_a_census_giving_a_school_by_its_urn_is_an_error_naming_the_school_not_a_casual_move_of_its_children__faq_3_6(
        tmp_path):
    """A census whose rows at the academy give its URN (140001) where the schools input keys it by DfE number
    (9264001): read as a school outside the authority, the academy's protected children had all seemed to make
    an unrecorded casual move, their PSF ended with a warning, and the run exited 0 (docs/decisions.md, 69, 88)."""
    census = [{"upn": U1, "school_id": "140001", "date_of_birth": PRIMARY},
              {"upn": U2, "school_id": "9262003", "date_of_birth": PRIMARY}]
    path = gias_run(tmp_path)
    cfg = yaml.safe_load(path.read_text())
    cfg["inputs"]["census"] = {"path": write_csv(tmp_path / "census.csv", census).name}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    [error] = _errors_of(path)
    assert (error.code, error.file, error.row, error.column, error.value) == (
        "unknown_school", "census.csv", 2, "school_id", "140001")
    assert "the URN of school 9264001 (School 9264001)" in error.message
    assert error.expected.startswith("'9264001', the school's school_id")


@pytest.mark.parametrize("where", ["statements", "moves"])
def test_a_statement_or_a_move_giving_a_school_by_its_urn_is_told_whose_urn_it_is__spec_5(tmp_path, where):
    """The "did you mean" of an unknown school had offered three other schools whose DfE numbers look like the
    URN: a finance officer following it would put the PSF at a wrong school."""
    statements = STATEMENTS
    folder = tmp_path / where
    if where == "statements":
        statements = [statement(U1, PRIMARY, school="100003", annual="1200.00"), STATEMENTS[1]]
    path = gias_run(folder, statements=statements)
    if where == "moves":
        cfg = yaml.safe_load(path.read_text())
        move = {"upn": U2, "from_school_id": "9262003", "to_school_id": "100001", "move_date": "2013-06-01",
                "reason": "managed_move"}
        cfg["inputs"]["moves"] = {"path": write_csv(folder / "moves.csv", [move]).name}
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    [error] = _errors_of(path)
    meant = "9262003" if where == "statements" else "9262001"
    assert (error.code, error.file, error.row) == ("unknown_school", f"{where}.csv", 2)
    assert f"is not a school_id of the schools input but the URN of school {meant} (School {meant})" in error.message
    assert "did you mean" not in error.message and error.expected.startswith(f"'{meant}'")


def test_a_gias_successor_unknown_by_urn_is_told_it_may_be_a_kept_id_schools_new_urn__spec_11_1(tmp_path):
    """A school that kept its DfE number when it converted, listed with its old URN: GIAS's link to the new URN
    named a successor to add, which would be the same school twice; the error now says what else it may be."""
    links = [gias_link("100003", "140003", "Successor", "Elm Academy")]
    [error] = _errors_of(gias_run(tmp_path, links=links))
    assert (error.code, error.value) == ("unknown_school", "140003")
    assert ("if school 9262003 kept its school_id when it became an academy, '140003' is most likely its new URN: "
            "give that in the school's urn column") in error.expected
