"""What senrun publishes or prints holds no child's data that the docs do not allow there (SPEC §6, UK GDPR;
docs/security.md): each test feeds a child's data in where a council's files can hold it, and reads what is
printed or written for it."""

from __future__ import annotations

import pytest

from senrun.errors import SenrunError
from senrun.yearly.diff import read_previous

#: A census saved without its header row, as it could be given by mistake as last year's totals: its first row,
#: read as the headers, is a child's, with their name and address beside the UPN and the date of birth.
HEADLESS_CENSUS = ("A926200209901,9262002,30/05/2006,Zebedee,Quiller,14 Orchard Lane\n"
                   "B926200212001,9262002,08/06/2009,Ada,Lovelace,2 Mill Street\n")


@pytest.mark.parametrize("spec", [None, {"columns": {"LA Estab": "school_id", "Cluster": "cluster_id",
                                                      "Total": "total"}}], ids=["senruns own", "mapped"])
def test_a_childs_row_read_as_last_years_headers_is_not_quoted_not_even_their_name_or_address_spec_6(tmp_path, spec):
    """A file given as --previous with no header row had its first row listed as "columns found", each cell shaped
    like a UPN or a date hidden but the child's name and address beside them printed, on the terminal and in the
    JSON report; an input's own header row holding a child's data is not quoted at all."""
    wrong = tmp_path / "census.csv"
    wrong.write_text(HEADLESS_CENSUS, encoding="utf-8")
    with pytest.raises(SenrunError) as refused:
        read_previous(wrong, spec)
    told = str(refused.value)
    for childs in ("Zebedee", "Quiller", "Orchard", "A926200209901", "30/05/2006"):
        assert childs not in told, told
    assert "the row read as the headers holds a child's data (a UPN or a date), not headers" in told


@pytest.mark.parametrize("first, again", [("A", "Jayden Smith"), ("Jayden Smith", "A")])
def test_a_childs_name_in_the_school_cell_of_a_repeated_census_row_is_hidden_in_the_duplicate_error_spec_8(
        tmp_path, first, again):
    """A UPN on two census rows is an error naming both rows and, where they differ, both school cells: a row
    shifted a column, or a Surname column mapped as the school, puts a child's name there, which the error quoted
    though the same cell is hidden in every other message (docs/security.md)."""
    from typer.testing import CliRunner

    from builders import pupil, statement, write_run
    from senrun.cli import app

    census = [pupil("B801200005001", first, "2005-05-05"), pupil("B801200005001", again, "2005-05-05")]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], census=census)
    for args in (["validate", "-c", str(config)], ["validate", "-c", str(config), "--json"]):
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 1 and "appears again" in done.output, done.output
        assert "Jayden" not in done.output, done.output
        assert "'A'" in done.output  # a school's id is still shown
    shown = CliRunner().invoke(app, ["validate", "-c", str(config), "--show-personal-data"])
    assert "'Jayden Smith'" in shown.output, shown.output


@pytest.mark.parametrize("at", ["Jayden Smith", "9262002"], ids=["census cell holding a name", "still there"])
def test_an_accepted_warnings_school_key_holding_a_childs_name_is_hidden_as_the_warning_hides_it_spec_8(tmp_path, at):
    """`validate --draft-accept` keys a census_outside warning by the census's school cell, which a row shifted a
    column fills with a child's name: the warning hides it, but the entry that accepts it was printed as typed, in
    the plain report's "not seen this time" line and in the JSON report's accepted and unused entries."""
    from typer.testing import CliRunner

    from builders import pupil, statement, write_run
    from senrun.cli import app

    census = [pupil("B801200005001", "A", "2005-05-05"), pupil("E801200005002", at, "2005-05-05")]
    accept = [{"kind": "census_outside", "school": "Jayden Smith", "reason": "looked at", "until": "2099-01-01"}]
    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], census=census, accept=accept)
    for args in (["validate", "-c", str(config)], ["validate", "-c", str(config), "--json"]):
        done = CliRunner().invoke(app, args)
        assert "Jayden" not in done.output, done.output
        assert "--json" not in args or '"school": "[hidden]"' in done.output, done.output
    shown = CliRunner().invoke(app, ["validate", "-c", str(config), "--json", "--show-personal-data"])
    assert '"school": "Jayden Smith"' in shown.output
