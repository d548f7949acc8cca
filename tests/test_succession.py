"""Schools that convert, amalgamate or close; settings outside the formula; dual registrations;
a managed move over census day; the first year (SPEC §11.1, 11.2, 11.5–11.7), each a sentence
citing the FAQ answer it encodes.

The default run is the financial year 2013-04-01 – 2014-03-31 by months, policy from
2012-09-01, census on 2013-01-17.  Amounts are integer pence.
"""

from __future__ import annotations

import pytest

import openpyxl
import yaml

from builders import lines_of, pupil, run, statement, write_run
from senrun.config.loader import load_config
from senrun.pipeline import allocate
from senrun.errors import SenrunError, Issues
from senrun.inputs.load import Table
from senrun.succession import read_successions, successor_clusters

import polars as pl

U1, U2, U3 = "B801200005001", "E801200005002", "H801200005003"
PRIMARY = "2005-05-05"  # Year 3 in 2012/13: primary to the end of 2018/19


def school(sid: str, cluster: str = "C1", pupils: str = "100", opened: str = "", closed: str = "",
           successor: str = "", in_formula: str = "") -> dict:
    return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": cluster, "ssa": "0.00",
            "pupils": pupils, "opened": opened, "closed": closed, "successor_id": successor,
            "in_formula": in_formula}


def by_school(result) -> dict:
    return dict(result.schools.select("school_id", "psf").iter_rows())


def codes(result) -> list[str]:
    return [i.code for i in result.issues]


CONVERSION = [school("A", closed="2013-08-31", successor="AA"), school("AA", opened="2013-09-01"), school("B")]


def test_a_protected_child_whose_school_becomes_an_academy_keeps_psf_at_the_academy__faq_3_6(tmp_path):
    r = run(tmp_path, schools=CONVERSION, statements=[statement(U1, PRIMARY, annual="1200.00")])
    # April–August at the maintained school, September–March at the academy: no money lost.
    assert lines_of(r, U1) == [("A", 50000, 0, "continuing"), ("AA", 70000, 0, "continuing")]
    assert by_school(r) == {"A": 50000, "AA": 70000, "B": 0}


def test_psf_follows_the_conversion_even_for_a_child_whose_protected_phase_ends_that_day__faq_3_5(tmp_path):
    # Year 6 in 2012/13: the phase ends on 1 September 2013, the day the academy opens.
    r = run(tmp_path, schools=CONVERSION, statements=[statement(U1, "2001-11-14", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 70000, "phase_end")]


def test_a_gias_links_export_gives_the_succession_and_its_date__faq_3_6(tmp_path):
    schools = [school("A", closed="2013-10-31"), school("AA"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-11-01", "link_type": "Successor"},
             {"school_id": "A", "successor_id": "B", "link_date": "2013-11-01", "link_type": "Sixth form link"},
             {"school_id": "AA", "successor_id": "A", "link_date": "2013-11-01", "link_type": "Predecessor"},
             {"school_id": "B", "successor_id": "A", "link_date": "2013-11-01", "link_type": ""},
             {"school_id": "Z999", "successor_id": "Q1", "link_date": "2013-11-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    # Only the Successor row counts; the link date is the academy's first day.
    assert lines_of(r, U1) == [("A", 70000, 0, "continuing"), ("AA", 50000, 0, "continuing")]


def test_a_link_dated_before_the_school_closed_pays_from_its_date_and_is_a_warning_naming_both_dates__spec_11_1(
        tmp_path):
    """SPEC 11.1: PSF follows the link date when given; one three months before the school closes (and
    before its academy opens) is most likely a slip, so it is said, at the link's row."""
    schools = [school("A", closed="2013-08-31"), school("AA", opened="2013-09-01"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-06-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 20000, 0, "continuing"), ("AA", 100000, 0, "continuing")]
    [w] = [i for i in r.issues if i.code == "link_date_differs"]
    assert (w.file, w.row) == ("links.csv", 2)
    # at the link's date, the cell to check (it had named the successor's column and value), with the day expected
    assert (w.column, w.value, w.expected) == ("link_date", "01/06/2013", "01/09/2013, the day after the school closed")
    assert ("dated 01/06/2013, but school A closed on 31/08/2013, so its successor takes over on 01/09/2013 and "
            "the successor AA opened on 01/09/2013") in w.message
    links[0]["link_date"] = "2013-09-01"  # as the dates say: nothing to say
    assert "link_date_differs" not in codes(run(tmp_path, schools=schools, links=links,
                                                statements=[statement(U1, PRIMARY, annual="1200.00")]))


def test_a_links_file_as_gias_exports_it_with_its_own_headers_and_day_first_dates_gives_the_succession__faq_3_6(
        tmp_path):
    # GIAS's links download: URN, LinkURN, LinkName, LinkType, LinkEstablishedDate (dd-mm-yyyy)
    schools = [school("100001", closed="2013-10-31"), school("140001"), school("B")]
    links = [{"URN": "100001", "LinkURN": "140001", "LinkName": "Ash Academy", "LinkType": "Successor",
              "LinkEstablishedDate": "01-11-2013"},
             {"URN": "140001", "LinkURN": "100001", "LinkName": "Ash Primary", "LinkType": "Predecessor",
              "LinkEstablishedDate": "01-11-2013"}]
    config = write_run(tmp_path, schools=schools, links=links,
                       statements=[statement(U1, PRIMARY, school="100001", annual="1200.00")])
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["links"]["columns"] = {"URN": "school_id", "LinkURN": "successor_id", "LinkEstablishedDate": "link_date",
                                         "LinkType": "link_type"}
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    r = allocate(load_config(config))
    assert lines_of(r, U1) == [("100001", 70000, 0, "continuing"), ("140001", 50000, 0, "continuing")]


def test_opening_and_closing_dates_as_excel_serial_numbers_as_the_dfe_spine_holds_them_give_the_conversion__faq_3_6(
        tmp_path):
    # 41517 is 31 August 2013 and 41518 is 1 September 2013: CSV text, and number cells of a workbook
    schools = [school("A", closed="41517", successor="AA"), school("AA", opened="41518.0"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 0, "continuing"), ("AA", 70000, 0, "continuing")]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(schools[0]))
    for row in schools:
        sheet.append([int(float(v)) if k in ("opened", "closed") and v else v for k, v in row.items()])
    book.save(tmp_path / "schools.xlsx")
    config = tmp_path / "senrun.yaml"
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["schools"] = {"path": "schools.xlsx"}
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert lines_of(allocate(load_config(config)), U1) == lines_of(r, U1)


def test_a_childs_date_of_birth_as_a_serial_number_is_still_refused_by_cell_but_day_first_with_dashes_is_read(tmp_path):
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, statements=[statement(U1, "38412", annual="1200.00")])
    [issue] = [i for i in caught.value.issues if i.code == "bad_value"]
    assert (issue.file, issue.row, issue.column) == ("statements.csv", 2, "date_of_birth")
    assert '"38412" is not a date' in issue.message
    r = run(tmp_path, statements=[statement(U1, "05-05-2005", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_a_links_file_whose_ids_are_of_another_kind_is_a_warning_not_silence__faq_3_6(tmp_path):
    # the schools input has DfE numbers; the links file, as GIAS exports it, URNs: no succession can be read
    schools = [school("9262001"), school("9262002")]
    links = [{"school_id": "100001", "successor_id": "140001", "link_type": "Successor", "link_date": "2013-09-01"},
             {"school_id": "140001", "successor_id": "100001", "link_type": "Predecessor", "link_date": "2013-09-01"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, school="9262001")])
    [warning] = [i for i in r.issues if i.code == "links_unknown"]
    assert warning.message.startswith("none of the 1 successions in the links input is from a school of the "
                                      "schools input (such as '100001')")
    assert (warning.file, warning.column) == ("links.csv", "school_id")
    links.append({"school_id": "9262001", "successor_id": "9262002", "link_type": "Successor",
                  "link_date": "2014-01-01"})
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, school="9262001")])
    assert "links_unknown" not in codes(r)


def test_a_links_export_of_a_year_before_any_conversion_is_no_warning__spec_11_1(tmp_path):
    """GIAS's own kinds of link with no succession yet (the first year of the transition) are no mistake."""
    links = [{"school_id": "A", "successor_id": "B", "link_type": "Other", "link_date": ""},
             {"school_id": "B", "successor_id": "H", "link_type": "Sixth Form Centre Link", "link_date": ""}]
    r = run(tmp_path, schools=[school("A"), school("B"), school("H")], links=links,
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert "links_no_successions" not in codes(r) and lines_of(r, U1) == [("A", 120000, 0, "continuing")]


def test_a_links_export_of_predecessors_alone_is_a_warning_not_a_silent_loss__faq_3_6(tmp_path):
    links = [{"school_id": "AA", "successor_id": "A", "link_type": "Predecessor", "link_date": "2014-01-01"}]
    schools = [school("A", closed="2013-12-31"), school("AA", opened="2014-01-01"), school("B")]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [warning] = [i for i in r.issues if i.code == "links_no_successions"]
    assert "lists predecessors but no successors" in warning.message


def test_a_links_file_with_no_succession_in_it_is_a_warning_not_a_silent_loss__faq_3_6(tmp_path):
    """GIAS's groups export (trusts, federations) taken for its links export: every row is left out,
    so a conversion in it would end its children's PSF as school_closed, said nowhere else."""
    schools = [school("A", closed="2013-12-31"), school("AA", opened="2014-01-01"), school("B")]
    groups = [{"school_id": "A", "successor_id": "Ashby Trust", "link_type": "Multi-academy trust", "link_date": ""},
              {"school_id": "B", "successor_id": "Bly Federation", "link_type": "Federation", "link_date": ""},
              {"school_id": "AA", "successor_id": "Ashby Trust", "link_type": "Multi-academy trust", "link_date": ""}]
    r = run(tmp_path, schools=schools, links=groups, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [warning] = [i for i in r.issues if i.code == "links_no_successions"]
    assert warning.message.startswith("none of the 3 rows of the links input is a succession: their link_type is "
                                      "'Multi-academy trust', 'Federation', and only a link_type beginning "
                                      "'Successor' is read")
    assert (warning.file, warning.column) == ("links.csv", "link_type")
    assert lines_of(r, U1)[0][3] == "school_closed"
    groups.append({"school_id": "A", "successor_id": "AA", "link_type": "Successor", "link_date": "2014-01-01"})
    r = run(tmp_path, schools=schools, links=groups, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert "links_no_successions" not in codes(r) and lines_of(r, U1)[-1] == ("AA", 30000, 0, "continuing")
    # successions whose successor ids were left blank are errors at their cells, not a groups export
    blank = [{"school_id": "A", "successor_id": "", "link_type": "Successor", "link_date": "2014-01-01"}]
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, schools=schools, links=blank, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert [(i.code, i.column) for i in caught.value.issues if i.file == "links.csv"] == [("empty_value", "successor_id")]


def test_a_links_input_without_a_link_type_column_is_all_successions__faq_3_6(tmp_path):
    schools = [school("A"), school("AA"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2014-01-01"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 90000, 0, "continuing"), ("AA", 30000, 0, "continuing")]


def test_an_infant_and_a_junior_school_that_amalgamate_keep_both_childrens_psf_at_the_new_school__faq_3_6(tmp_path):
    schools = [school("I", closed="2013-12-31", successor="P"), school("J", closed="2013-12-31", successor="P"),
               school("P", opened="2014-01-01"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, "2007-03-03", school="I", annual="1200.00"),
                                                   statement(U2, PRIMARY, school="J", annual="2400.00")])
    assert lines_of(r, U1) == [("I", 90000, 0, "continuing"), ("P", 30000, 0, "continuing")]
    assert lines_of(r, U2) == [("J", 180000, 0, "continuing"), ("P", 60000, 0, "continuing")]


def test_a_chain_of_successions_carries_psf_along_it__faq_3_6(tmp_path):
    schools = [school("A", closed="2013-05-31", successor="B"), school("B", closed="2013-10-31", successor="C"),
               school("C")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 20000, 0, "continuing"), ("B", 50000, 0, "continuing"),
                               ("C", 50000, 0, "continuing")]


def test_psf_carried_by_a_managed_move_follows_the_receiving_schools_conversion__faq_6(tmp_path):
    schools = [school("A"), school("B", closed="2013-12-31", successor="BB"), school("BB")]
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01",
              "reason": "managed_move"}]
    r = run(tmp_path, schools=schools, moves=moves, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 20000, 0, "continuing"), ("B", 70000, 0, "continuing"),
                               ("BB", 30000, 0, "continuing")]


def test_psf_carried_to_a_successor_that_opens_after_the_period_gives_it_no_formula_share_and_a_warning__spec_11_11(
        tmp_path):
    # A closes on 28 February 2014; its successor AA opens on 1 June 2014, after the period: March's PSF
    # follows the succession to AA (the day after A closed), so AA has a row for it, but no share of the
    # formula (it is open on no day of the period), and the council is told to check the dates.
    schools = [school("A", closed="2014-02-28", successor="AA"), school("AA", opened="2014-06-01"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 110000, 0, "continuing"), ("AA", 10000, 0, "continuing")]
    aa = r.schools.filter(pl.col("school_id") == "AA").row(0, named=True)
    assert (aa["psf"], aa["pupils"], aa["cluster_share"], aa["total"]) == (10000, 0, 0, 10000)
    assert int(r.schools["cluster_share"].sum()) == r.totals.cluster_pot and r.totals.identity_holds
    [shut] = [i for i in r.issues if i.code == "psf_while_shut"]
    assert (shut.value, shut.file, shut.row) == ("AA", "schools.csv", 3)  # the school's own row
    assert "PSF is paid at school AA (by 1 statement row(s) of statements.csv, the first row 2)" in shut.message


def test_a_statement_funded_before_the_policy_at_a_school_that_opened_after_it_is_paid_with_a_warning__spec_3_11_1(
        tmp_path):
    # A statement's school is the one that held its funding on the day before policy.start (SPEC §3): a statement
    # of 2011 at B, which opened on 1 January 2013, cannot be right (the child moved there since, or B is the
    # academy that took over the school named then). Paid as given, but the council is told, by school and row.
    schools = [school("A"), school("B", opened="2013-01-01"), school("C", opened="2012-08-31")]
    statements = [statement(U1, PRIMARY, school="B", annual="1200.00", statement_date="2011-03-01"),
                  statement(U2, PRIMARY, school="C", annual="1200.00"),  # open on 31/08/2012: no warning
                  statement(U3, PRIMARY, school="B", annual="1200.00", statement_date="2012-09-01")]  # never funded
    r = run(tmp_path, schools=schools, statements=statements)
    assert lines_of(r, U1) == [("B", 120000, 0, "continuing")]
    [late] = [i for i in r.issues if i.code == "opened_after_policy"]
    assert (late.severity, late.file, late.row, late.column, late.value) == ("warning", "statements.csv", 2,
                                                                            "school_id", "B")
    assert late.message.startswith("the statement is dated before the policy began (01/09/2012), so funded, but its "
                                   "school B opened on 01/01/2013")
    assert late.child == U1 and U1 not in late.message and PRIMARY not in late.message  # no child's data shown
    again = tmp_path / "open_all_along"
    again.mkdir()
    assert "opened_after_policy" not in codes(run(again, schools=[school("A"), school("B"), school("C")],
                                                  statements=statements))
    # B recorded as the academy that took over A (A closed, B its successor): a council's system that keeps each
    # child at today's school names B, and the PSF is the same as at A. Not told
    converted = tmp_path / "converted"
    converted.mkdir()
    succeeded = [school("A", closed="2012-12-31", successor="B"), school("B", opened="2013-01-01"),
                 school("C", opened="2012-08-31")]
    r = run(converted, schools=succeeded, statements=statements)
    assert lines_of(r, U1) == [("B", 120000, 0, "continuing")]
    assert "opened_after_policy" not in codes(r)


def test_a_school_that_closes_with_no_successor_ends_psf_the_day_after_it_closes__faq_3(tmp_path):
    schools = [school("A", closed="2013-12-31"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 90000, 30000, "school_closed")]
    assert r.psf["stop_date"].to_list()[0].isoformat() == "2014-01-01"
    # said aloud at the school's closed cell: a conversion whose academy was not given loses money so
    [warning] = [w for w in r.warnings if w.code == "closed_without_successor"]
    assert warning.message.startswith("school A closes with no successor, so the PSF of 1 protected child(ren) "
                                      "held there ends on 01/01/2014 (£300.00 of this period's PSF released")
    assert (warning.file, warning.row, warning.column) == ("schools.csv", 2, "closed")
    assert U1 not in warning.message


def test_the_closure_warning_names_the_school_that_closed_not_the_one_a_child_moved_from__faq_3_6(tmp_path):
    # A, open all year (and in a second run closed after the child left), B closes in October with no successor
    move = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01",
             "reason": "managed_move"}]
    for a_closes in ("", "2013-12-31"):
        schools = [school("A", closed=a_closes), school("B", closed="2013-10-31")]
        folder = tmp_path / (a_closes or "open")
        folder.mkdir()
        r = run(folder, schools=schools, moves=move, statements=[statement(U1, PRIMARY, annual="1200.00")])
        assert lines_of(r, U1) == [("A", 20000, 0, "school_closed"), ("B", 50000, 50000, "school_closed")]
        [warning] = [w for w in r.warnings if w.code == "closed_without_successor"]
        assert warning.value == "B" and warning.row == 3
        assert "ends on 01/11/2013 (£500.00" in warning.message


def test_a_conversion_is_told_as_a_succession_not_a_move_in_explain_and_on_both_schools_returns__faq_3_6(tmp_path):
    from senrun.outputs.returns import children_columns
    from senrun.yearly.explain import explain_school

    move = [{"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01",
             "reason": "managed_move"}]
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA"), school("B")]
    r = run(tmp_path, schools=schools, moves=move, statements=[statement(U1, PRIMARY, annual="1200.00"),
                                                                statement(U2, PRIMARY, annual="1200.00")])
    [converted] = [c for c in explain_school(r, "AA")["psf"]["children"] if c["upn"] == U1]
    assert ", as the successor of A:" in converted["text"] and "managed move" not in converted["text"]
    [moved] = [c for c in explain_school(r, "B")["psf"]["children"] if c["upn"] == U2]
    assert ", by managed move from A:" in moved["text"]
    why = dict(children_columns(r, pl.Series(["A"])).select("upn", "why").iter_rows())  # A's return
    assert why[U1] == "continuing: school closed, its PSF went on to its successor AA (no move)"
    assert why[U2] == "continuing: moved on to B, the PSF went with the child"  # (the school, not only "moved on")


def test_the_receiving_schools_return_says_where_the_psf_came_from_by_managed_move_or_by_succession__faq_3_6(
        tmp_path):
    """The school a child's PSF arrives at is told where it came from, as the school it left is told where it went:
    its first question is why it is paid for a child whose statement names another school."""
    from senrun.outputs.returns import children_columns

    move = [{"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01",
             "reason": "managed_move"}]
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA"), school("B")]
    r = run(tmp_path, schools=schools, moves=move, statements=[statement(U1, PRIMARY, annual="1200.00"),
                                                                statement(U2, PRIMARY, annual="1200.00")])
    whys = children_columns(r, pl.Series(["A", "AA", "B"])).select("upn", "why").rows()
    assert whys == [
        (U1, "continuing: school closed, its PSF went on to its successor AA (no move)"),
        (U2, "continuing: moved on to B, the PSF went with the child"),  # (A's own lines: nothing came to A)
        (U1, "continuing: continues beyond this period, to the end of primary phase; "
             "came from A, which became this school (no move)"),
        (U2, "continuing: continues beyond this period, to the end of primary phase; came from A by managed move")]


def test_a_ceasing_on_the_day_a_school_closes_is_reported_as_ceased_by_the_tie_order__spec_11_1(tmp_path):
    schools = [school("A", closed="2013-12-31"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00", ceased="2014-01-01")])
    assert lines_of(r, U1) == [("A", 90000, 30000, "ceased")]


def test_the_census_finding_the_child_at_the_academy_is_no_casual_move__faq_3_6(tmp_path):
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA"), school("B")]
    r = run(tmp_path, schools=schools, census=[pupil(U1, "AA", PRIMARY), pupil(U2, "A", PRIMARY)],
            statements=[statement(U1, PRIMARY, annual="1200.00"),
                        statement(U2, PRIMARY, school="AA", annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 0, "continuing"), ("AA", 70000, 0, "continuing")]
    assert lines_of(r, U2) == [("AA", 120000, 0, "continuing")]  # a predecessor counts too
    assert not [c for c in codes(r) if c.startswith("census_")]


def test_a_child_found_at_a_sibling_school_of_an_amalgamation_has_made_a_casual_move__faq_3(tmp_path):
    schools = [school("I", closed="2013-12-31", successor="P"), school("J", closed="2013-12-31", successor="P"),
               school("P")]
    r = run(tmp_path, schools=schools, census=[pupil(U1, "J", PRIMARY)],
            statements=[statement(U1, PRIMARY, school="I", annual="1200.00")])
    assert lines_of(r, U1) == [("I", 0, 120000, "casual_move")]
    assert "census_casual_move" in codes(r)


def test_a_move_recorded_from_the_academy_not_yet_open_is_accepted__faq_6(tmp_path):
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA", opened="2013-09-01"), school("B")]
    moves = [{"upn": U1, "from_school_id": "AA", "to_school_id": "B", "move_date": "2013-07-15",
              "reason": "managed_move"}]
    r = run(tmp_path, schools=schools, moves=moves, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 40000, 0, "continuing"), ("B", 80000, 0, "continuing")]


def test_a_move_recorded_from_an_unrelated_school_is_still_an_error__spec_3(tmp_path):
    moves = [{"upn": U1, "from_school_id": "B", "to_school_id": "AA", "move_date": "2013-07-15",
              "reason": "managed_move"}]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, schools=CONVERSION, moves=moves, statements=[statement(U1, PRIMARY)])
    assert [i.code for i in exc.value.errors] == ["move_from"]


def test_a_successor_missing_from_the_schools_input_is_an_error_naming_it__spec_11_1(tmp_path):
    schools = [school("A", closed="2013-08-31", successor="ZZ"), school("B")]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY)])
    [err] = exc.value.errors
    assert err.code == "unknown_school" and "ZZ" in err.message and err.row == 2


def test_a_school_given_two_successors_is_an_error__spec_11_1(tmp_path):
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA"), school("B")]
    links = [{"school_id": "A", "successor_id": "B", "link_type": "Successor - split"}]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY)])
    assert [i.code for i in exc.value.errors] == ["succession"]


def test_a_successor_with_a_blank_cluster_whose_succession_is_in_error_gets_that_one_error_only__spec_11_1(
        tmp_path):
    """Its blank cluster would come from its predecessor: the loop is the error to mend, not the blank."""
    schools = [school("A", closed="2013-08-31", successor="AA"), school("AA", cluster="", successor="A",
                                                                        closed="2013-12-31"), school("B")]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="B")])
    assert [i.code for i in exc.value.errors] == ["succession"]


def test_a_succession_with_no_date_is_an_error__spec_11_1(tmp_path):
    schools = [school("A", successor="AA"), school("AA"), school("B")]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY)])
    assert "no date" in exc.value.errors[0].message


def _schools_table(rows: list[dict]) -> Table:
    frame = pl.DataFrame(rows).with_columns(pl.col("closed").str.to_date(), pl.int_range(2, len(rows) + 2).alias("_row"))
    return Table("schools", "schools.csv", None, frame)


def test_a_successor_with_a_blank_cluster_takes_its_predecessors_cluster__spec_11_1():
    table = _schools_table([{"school_id": "A", "cluster_id": "C1", "closed": "2013-08-31", "successor_id": "AA"},
                            {"school_id": "AA", "cluster_id": None, "closed": None, "successor_id": None}])
    issues = Issues()
    successor_clusters(table, read_successions(table, None, issues), issues)
    assert issues.items == [] and table.frame["cluster_id"].to_list() == ["C1", "C1"]


def test_a_successor_with_a_blank_cluster_takes_its_nearest_predecessors_cluster_down_a_chain__spec_11_1():
    table = _schools_table([{"school_id": "A", "cluster_id": "C1", "closed": "2012-08-31", "successor_id": "B"},
                            {"school_id": "B", "cluster_id": "C2", "closed": "2013-08-31", "successor_id": "M"},
                            {"school_id": "M", "cluster_id": None, "closed": "2013-12-31", "successor_id": "N"},
                            {"school_id": "N", "cluster_id": None, "closed": None, "successor_id": None}])
    issues = Issues()
    successor_clusters(table, read_successions(table, None, issues), issues)
    assert issues.items == [] and table.frame["cluster_id"].to_list() == ["C1", "C2", "C2", "C2"]


def test_a_successor_with_a_blank_cluster_and_predecessors_in_two_clusters_is_an_error__spec_11_11():
    table = _schools_table([{"school_id": "I", "cluster_id": "C1", "closed": "2013-08-31", "successor_id": "P"},
                            {"school_id": "J", "cluster_id": "C2", "closed": "2013-08-31", "successor_id": "P"},
                            {"school_id": "P", "cluster_id": None, "closed": None, "successor_id": None}])
    issues = Issues()
    successor_clusters(table, read_successions(table, None, issues), issues)
    assert [(i.code, i.row) for i in issues.errors] == [("succession", 4)]


def test_a_successor_with_a_blank_cluster_between_two_clusters_is_one_error_in_a_run_not_two__spec_11_11(tmp_path):
    schools = [school("I", closed="2013-08-31", successor="P"), school("J", cluster="C2", closed="2013-08-31",
                                                                      successor="P"), school("P", cluster="")]
    with pytest.raises(SenrunError) as err:
        run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="I")])
    assert [(i.code, i.row, i.column) for i in err.value.errors] == [("succession", 4, "cluster_id")]


def test_explain_names_the_succession_that_carried_the_psf__faq_3_6(tmp_path):
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_upn, run_for_explain
    from builders import write_run

    path = write_run(tmp_path, schools=CONVERSION, statements=[statement(U1, PRIMARY, annual="1200.00")])
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [step] = [s for s in trail["steps"] if s["rule"] == "succession"]
    assert "from 01/09/2013 at AA (in the succession from A)" in step["text"]
    assert "continues at the successor as if by a managed move" in step["text"]


def test_explain_says_a_succession_after_the_psf_had_stopped_did_nothing__spec_11_1_faq_3(tmp_path):
    """A child who left A by a casual move in November, before A became the academy AA in September: explain's
    succession step had said "PSF continues at the successor as if by a managed move" of a line that had ended,
    just below the move step's "ends PSF". SPEC §11.1 carries on at the successor a line held there."""
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_upn, run_for_explain

    schools = [school("A", closed="2014-08-31", successor="AA"), school("AA", opened="2014-09-01"), school("B")]
    moved = {"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-11-10", "reason": "casual"}
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")], moves=[moved],
                     period={"start": "2014-04-01", "end": "2015-03-31"}, census_date="2014-01-16", year="2014-15")
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [step] = [s for s in trail["steps"] if s["rule"] == "succession"]
    assert "continues" not in step["text"]
    assert "no effect — PSF had already stopped (casual_move, on 10/11/2013)" in step["text"]
    assert trail["paid"] == 0 and trail["stop"]["reason"] == "casual_move"
    # held at A when it converted, it is carried on, as before
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")],
                     period={"start": "2014-04-01", "end": "2015-03-31"}, census_date="2014-01-16", year="2014-15")
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [step] = [s for s in trail["steps"] if s["rule"] == "succession"]
    assert "continues at the successor as if by a managed move" in step["text"]


def test_a_successors_return_says_whose_totals_its_last_year_holds__spec_11_1(tmp_path):
    """An academy's return showed last year's total of its predecessor and itself as its own "Last year", twice
    what its own return had said a year before, with no word why (diff.csv alone said "converted from A")."""
    from typer.testing import CliRunner

    from builders import write_run
    from senrun.cli import app

    schools = [school("A", closed="2013-03-31", successor="AA"), school("AA", opened="2013-04-01"), school("B")]
    config = write_run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    (tmp_path / "last.csv").write_text("school_id,cluster_id,total\nA,C1,500.00\nB,C1,300.00\n")
    ran = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--previous",
                                   str(tmp_path / "last.csv"), "--jobs", "1", "--quiet"])
    assert ran.exit_code == 0, ran.output

    def labels(school: str) -> list:
        sheet = openpyxl.load_workbook(tmp_path / "out" / "returns" / f"{school}.xlsx").active
        return [(r[0].value, r[1].value) for r in sheet.iter_rows() if str(r[0].value or "").startswith("Last year")]

    assert labels("AA") == [("Last year (with A, which became this school)", 500)]
    assert labels("B") == [("Last year", 300)]


def test_explain_says_a_school_closed_with_no_successor_ends_the_psf_held_there__spec_11_1(tmp_path):
    """It had said "the child did not move; PSF continues as if by a managed move" of a closure with no successor,
    two lines above "First stop: school_closed"."""
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_upn, run_for_explain
    from builders import write_run

    schools = [school("A", closed="2013-12-31"), school("AA", opened="2014-01-01"), school("B")]
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [step] = [s for s in trail["steps"] if s["rule"] == "succession"]
    assert "the school closed with no successor" in step["text"] and "continues" not in step["text"]
    assert "ends that day (school_closed)" in step["text"] and trail["stop"]["reason"] == "school_closed"


# §11.2: settings outside the formula

def test_a_pvi_nursery_outside_the_formula_holds_psf_and_the_census_there_satisfies_the_check__faq_3_4(tmp_path):
    schools = [school("A"), school("N", in_formula="no")]
    r = run(tmp_path, schools=schools, census=[pupil(U1, "N", "2009-01-10"), pupil(U2, "A", PRIMARY)],
            statements=[statement(U1, "2009-01-10", school="N", annual="1200.00")])
    # Nursery on 31 August 2012 and still nursery (N2) in 2012/13: nursery PSF to 31 August 2013.
    assert lines_of(r, U1) == [("N", 50000, 70000, "phase_end")]
    assert not [c for c in codes(r) if c.startswith("census_")]


def test_a_managed_move_to_a_special_school_outside_the_formula_carries_psf_there__faq_6(tmp_path):
    schools = [school("A"), school("S", in_formula="no")]
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "S", "move_date": "2013-11-15",
              "reason": "managed_move"}]
    r = run(tmp_path, schools=schools, moves=moves, statements=[statement(U1, PRIMARY, annual="8400.00")])
    assert lines_of(r, U1) == [("A", 560000, 0, "continuing"), ("S", 280000, 0, "continuing")]


def test_a_special_school_with_no_cluster_that_is_paid_psf_gets_its_return_and_no_cluster_pack__spec_11_2(tmp_path):
    import openpyxl
    from typer.testing import CliRunner

    from senrun.cli import app
    from senrun.outputs import write_outputs
    from senrun.outputs.returnbook import NO_CLUSTER

    schools = [school("A"), school("B"), school("S", cluster="", in_formula="no"), school("T", cluster="", in_formula="no")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="S", annual="8400.00")])
    assert lines_of(r, U1) == [("S", 840000, 0, "continuing")]
    out = write_outputs(r, tmp_path / "out", jobs=1)
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    # S is paid PSF, so it has a return; T is paid nothing (no return); neither is a cluster (no pack)
    assert made == ["allocations.xlsx", "clusters/C1.xlsx", "pupils.xlsx", "returns/A.xlsx", "returns/B.xlsx",
                    "returns/S.xlsx"]
    sheet = openpyxl.load_workbook(out / "returns" / "S.xlsx").active
    heading = {row[0]: row[1] for row in sheet.iter_rows(max_row=6, max_col=2, values_only=True)}
    assert heading["Cluster"] == NO_CLUSTER
    told = CliRunner().invoke(app, ["explain", "-c", str(tmp_path / "senrun.yaml"), "--school", "S"])
    assert told.exit_code == 0, told.output
    said = " ".join(told.output.split())  # as wrapped at any terminal width
    assert "S School S — no cluster" in said and "— the allocation's figure" in said


def test_the_terminals_cluster_totals_add_up_to_the_sen_total_with_a_setting_that_has_no_cluster__spec_11_2(tmp_path):
    from rich.console import Console

    from senrun.cli.render import print_clusters

    schools = [school("A"), school("B"), school("S", cluster="", in_formula="no")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="S", annual="8400.00")])
    console = Console(width=160, record=True)
    print_clusters(r, console)
    text = console.export_text()
    assert "(no cluster)" in text
    total_line = next(line for line in text.splitlines() if "Total" in line)
    assert total_line.split()[-2] == f"£{r.totals.sen_total / 100:,.2f}"


# §11.5: census registration status

def test_a_dual_registered_child_is_no_duplicate_and_keeps_psf_at_the_school_holding_it__faq_3_6(tmp_path):
    census = [{**pupil(U1, "PRU", PRIMARY), "enrol_status": "M"}, {**pupil(U1, "A", PRIMARY), "enrol_status": "S"},
              pupil(U2, "A", PRIMARY)]  # someone the formula counts (the PRU is outside it, S rows are not counted)
    r = run(tmp_path, schools=[school("A"), school("PRU", in_formula="no")], census=census,
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]
    assert not [c for c in codes(r) if c.startswith("census_")]


@pytest.mark.parametrize("second", ["M", "C"])  # (with an S row elsewhere in the census, and with none)
def test_two_main_registrations_of_one_child_are_the_duplicate_error_that_says_to_mark_one_s_or_g__spec_8_11_5(
        tmp_path, second):
    """The error tells the officer what a dual registration needs: the other row marked S or G, not deleted
    (deleting it passes the check but loses the registration from the data)."""
    census = [{**pupil(U1, "A", PRIMARY), "enrol_status": "C"}, {**pupil(U1, "B", PRIMARY), "enrol_status": second},
              {**pupil(U2, "A", PRIMARY), "enrol_status": "" if second == "M" else "S"}]
    with pytest.raises(SenrunError) as exc:
        run(tmp_path, census=census, statements=[statement(U1, PRIMARY)])
    assert [(i.code, i.row, i.column) for i in exc.value.errors] == [("duplicate", 3, "upn")]
    assert "mark the other school's row S (subsidiary) or G (guest) rather than delete it" in exc.value.errors[0].message


def test_a_child_registered_only_as_a_guest_elsewhere_has_made_a_casual_move__faq_3(tmp_path):
    census = [{**pupil(U1, "B", PRIMARY), "enrol_status": "G"}, pupil(U2, "A", PRIMARY)]
    r = run(tmp_path, census=census, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]


def test_a_child_registered_only_as_subsidiary_or_guest_at_two_other_schools_is_told_at_the_same_school_in_any_order__spec_11_5(
        tmp_path):
    """The casual-move warning names one census school: with no main registration, the first by school_id,
    not the row the census lists first."""
    rows = [{**pupil(U1, "B", PRIMARY), "enrol_status": "S"}, {**pupil(U1, "H", PRIMARY), "enrol_status": "G"},
            pupil(U2, "A", PRIMARY)]
    told = []
    for census in (rows, [rows[1], rows[0], rows[2]]):
        r = run(tmp_path, census=census, statements=[statement(U1, PRIMARY, annual="1200.00")])
        assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]
        told.append([w.message for w in r.warnings if w.code == "census_casual_move"])
    assert told[0] == told[1] and "'B'" in told[0][0]


# §11.6: a managed move that spans census day

TRIAL = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-02-01",
          "reason": "managed_move"}]


def test_a_trial_managed_move_recorded_just_after_census_day_is_no_casual_move__faq_6(tmp_path):
    # Period 2012-13 by months from a policy start of 1 April 2012, census 17 January 2013.
    r = run(tmp_path, census=[pupil(U1, "B", PRIMARY)], moves=TRIAL, statements=[statement(U1, PRIMARY,
            annual="1200.00")], period={"start": "2012-04-01", "end": "2013-03-31"}, policy={"start": "2012-04-01"})
    assert lines_of(r, U1) == [("A", 100000, 0, "continuing"), ("B", 20000, 0, "continuing")]
    assert "move_after_census" in codes(r) and "census_casual_move" not in codes(r)


def test_a_managed_move_after_the_tolerance_leaves_the_census_finding_a_casual_move__faq_3(tmp_path):
    r = run(tmp_path, census=[pupil(U1, "B", PRIMARY)], moves=TRIAL, census_move_tolerance_days=14,
            statements=[statement(U1, PRIMARY, annual="1200.00")],
            period={"start": "2012-04-01", "end": "2013-03-31"}, policy={"start": "2012-04-01"})
    assert lines_of(r, U1) == [("A", 0, 120000, "casual_move")]
    # the warning names the recorded move, how far after census day it is, and what would read it as a trial
    [told] = [i.message for i in r.issues if i.code == "census_casual_move"]
    assert ("(an unrecorded casual move: the managed move to B recorded on 01/02/2013 is 15 days after census day, "
            "beyond census_move_tolerance_days (14); if the child was already there on a trial placement on census "
            "day, check the move's date, or raise census_move_tolerance_days to 15)") in told


def test_explain_names_a_managed_move_recorded_beyond_the_tolerance_and_a_finding_that_changes_nothing__faq_6(
        tmp_path):
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_upn, run_for_explain
    from builders import write_run

    def census_step(folder, **config) -> str:
        path = write_run(folder, census=[pupil(U1, "B", PRIMARY), pupil(U2, "B", "2001-05-05")], moves=TRIAL,
                         statements=[statement(U1, PRIMARY, annual="1200.00"), statement(U2, "2001-05-05")], **config)
        result, psf, inp = run_for_explain(load_config(path))
        return {upn: [s["text"] for s in explain_upn(result, psf.rows, upn, inp.moves.frame)["statements"][0]["steps"]
                      if s["rule"] == "census"][0] for upn in (U1, U2)}

    told = census_step(tmp_path, census_move_tolerance_days=14)
    assert "an unrecorded casual move (the managed move to B recorded on 01/02/2013 is 15 days after census day" \
        in told[U1]
    # U2's primary phase ended on 1 September 2012, before the period: at B, not A, is the move to secondary school
    assert told[U2] == ("Census (17/01/2013): at B, not A — no effect: the PSF had already stopped (phase_end, on "
                        "01/09/2012).")


# §11.7: a census before the policy

def test_in_the_first_year_a_child_who_moved_in_june_2012_is_paid_at_the_new_school__faq_3_6(tmp_path):
    # 2012-13 with the January 2012 census: the statement's school already reflects the June move.
    r = run(tmp_path, census=[pupil(U1, "A", PRIMARY)], census_date="2012-01-19",
            statements=[statement(U1, PRIMARY, school="B", annual="1200.00")],
            period={"start": "2012-04-01", "end": "2013-03-31"})
    assert lines_of(r, U1) == [("B", 120000, 0, "continuing")]
    notes = [i for i in r.issues if i.code == "census_before_policy"]
    assert len(notes) == 1 and "recorded moves alone decide" in notes[0].message


def test_a_schools_succession_chain_is_its_predecessors_and_successors_not_a_sibling__spec_11_11():
    table = _schools_table([{"school_id": "A", "cluster_id": "C1", "closed": "2012-08-31", "successor_id": "B"},
                            {"school_id": "B", "cluster_id": "C1", "closed": "2013-08-31", "successor_id": "C"},
                            {"school_id": "D", "cluster_id": "C1", "closed": "2013-08-31", "successor_id": "C"},
                            {"school_id": "C", "cluster_id": "C1", "closed": None, "successor_id": None}])
    chains = read_successions(table, None, Issues()).chains
    members = dict(chains.group_by("school_id").agg(pl.col("member").sort()).rows())
    assert members == {"A": ["B", "C"], "B": ["A", "C"], "C": ["A", "B", "D"], "D": ["C"]}


def test_explain_says_a_trial_managed_move_over_census_day_moved_the_psf__faq_6(tmp_path):
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_upn, run_for_explain
    from builders import write_run

    path = write_run(tmp_path, census=[pupil(U1, "B", PRIMARY)], moves=TRIAL,
                     statements=[statement(U1, PRIMARY, annual="1200.00")],
                     period={"start": "2012-04-01", "end": "2013-03-31"}, policy={"start": "2012-04-01"})
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1, inp.moves.frame)["statements"]
    [census] = [s for s in trail["steps"] if s["rule"] == "census"]
    assert "just after census day" in census["text"]


def test_a_school_with_no_pupils_is_told_where_its_pupils_were_looked_for__faq_22(tmp_path):
    schools = [school("A"), school("B", pupils=""), school("C", closed="2013-08-31", pupils="")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    found = [i.message for i in r.issues if i.code == "no_pupils"]
    assert found == ["school B (School B) has no pupils (its pupils is blank or 0, and there is no census)",
                     "school C (School C) has no pupils (its pupils is blank or 0, and there is no census)"]
    census = [pupil(U1, "A", PRIMARY)]
    r = run(tmp_path, schools=[school("A", pupils=""), school("B", pupils="")], census=census,
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert [i.message for i in r.issues if i.code == "no_pupils"] == [
        "school B (School B) has no pupils in age-based years 0–11 of the census"]
    # an academy opening after census day: its pupils were at its predecessor then, and count there (§11.1)
    schools = [school("A", closed="2013-10-31", successor="AA", pupils=""), school("AA", opened="2013-11-01", pupils=""),
               school("B", pupils=""), school("BB", opened="2013-11-01", pupils="")]
    r = run(tmp_path, schools=schools, census=[pupil(U1, "A", PRIMARY)], statements=[statement(U1, PRIMARY)])
    assert [i.message for i in r.issues if i.code == "no_pupils"] == [
        "school B (School B) has no pupils in age-based years 0–11 of the census",
        "school BB (School BB) has no pupils in age-based years 0–11 of the census"]  # new, not a successor


def test_a_school_succeeded_in_the_links_input_but_never_closed_is_a_warning_at_its_closed_cell__spec_11_1(tmp_path):
    # GIAS says AA took over from A on 1 September 2013, but A has no closed date: a blank bound is
    # unbounded (SPEC §11.1), so A keeps its lump sum all year — the run says so
    schools = [school("A"), school("AA", opened="2013-09-01"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-09-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [warning] = [i for i in r.issues if i.code == "successor_not_closed"]
    assert (warning.row, warning.column) == (2, "closed") and "31/08/2013" in warning.message
    closed = [school("A", closed="2013-08-31"), school("AA", opened="2013-09-01"), school("B")]
    r = run(tmp_path, schools=closed, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert "successor_not_closed" not in codes(r)


def test_a_succession_dated_only_by_the_successors_opening_moves_the_line_on_that_day__spec_11_1(tmp_path):
    """No closed date for A and no link date: the succession takes the date its successor AA opened (1 September
    2013), so April–August are paid at A and September–March at AA, not refused as a succession with no date."""
    schools = [school("A", successor="AA"), school("AA", opened="2013-09-01"), school("B")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 50000, 0, "continuing"), ("AA", 70000, 0, "continuing")]
    assert by_school(r) == {"A": 50000, "AA": 70000, "B": 0}


def test_a_school_succeeded_but_never_closed_in_a_schools_input_with_no_closed_column_is_told_at_its_id__spec_11_1(
        tmp_path):
    """successor_not_closed had named a column `closed` that the council's file does not have."""
    schools = [{k: v for k, v in school(sid).items() if k not in ("opened", "closed")} for sid in ("A", "AA", "B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-09-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [warning] = [i for i in r.issues if i.code == "successor_not_closed"]
    assert (warning.file, warning.row, warning.column) == ("schools.csv", 2, "school_id")
    assert "closed" not in (tmp_path / "schools.csv").read_text().splitlines()[0]


def test_a_succession_after_the_period_needs_no_closed_date_yet__spec_11_1(tmp_path):
    schools = [school("A"), school("AA", opened="2014-09-01"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2014-09-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert "successor_not_closed" not in codes(r)


def test_a_school_opening_after_census_day_with_census_rows_is_told_why_they_are_not_counted__spec_11_1(tmp_path):
    """An academy that kept its DfE number, given GIAS's opening date: its census rows are not counted (§11.1),
    and the warning says so and what to do, rather than that the census holds none."""
    schools = [school("A", opened="2013-04-01"), school("B")]
    census = [pupil("E801200005002", "A", "2005-05-05"), pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="B")], census=census)
    [w] = [i for i in r.issues if i.code == "no_pupils"]
    assert "opened on 01/04/2013, after census day (17/01/2013), so its census rows are not counted" in w.message
    assert "clear its opened date" in w.message


def test_an_academy_opening_after_census_day_with_only_subsidiary_rows_is_not_told_to_move_them__spec_11_1_11_5(
        tmp_path):
    """A dual-registered child's S row under the academy's new id would not count on any day (§11.5): the academy's
    pupils were at its predecessor on census day, as for one with no census rows, so nothing is said of it; a main
    registration there is still told, with what to do."""
    schools = [school("A", closed="2013-10-31", successor="AA", pupils=""), school("AA", opened="2013-11-01", pupils=""),
               school("PRU", in_formula="no")]
    census = [{**pupil(U1, "A", PRIMARY), "enrol_status": "C"}, {**pupil(U2, "PRU", PRIMARY), "enrol_status": "M"},
              {**pupil(U2, "AA", PRIMARY), "enrol_status": "S"}]
    r = run(tmp_path, schools=schools, census=census, statements=[statement(U1, PRIMARY)])
    assert "no_pupils" not in codes(r)
    census[2]["enrol_status"], census[1]["enrol_status"] = "M", "S"
    r = run(tmp_path, schools=schools, census=census, statements=[statement(U1, PRIMARY)])
    [w] = [i for i in r.issues if i.code == "no_pupils"]
    assert w.message.startswith("school AA (School AA) has no pupils counted: it opened on 01/11/2013, after census day")
    assert "give them that school's id" in w.message


def test_a_school_opening_on_census_day_itself_counts_its_census_rows__spec_11_1(tmp_path):
    """A school open on census day counts its own census rows (§11.11), and one that opened that very day is
    open on it: its pupils count, and no `no_pupils` warning says otherwise."""
    schools = [school("A", opened="2013-01-17", pupils=""), school("B", pupils="")]
    census = [pupil("E801200005002", "A", "2005-05-05"), pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="B")], census=census)
    assert dict(r.schools.select("school_id", "pupils").iter_rows()) == {"A": 1, "B": 1}
    assert "no_pupils" not in codes(r)


def test_one_succession_given_twice_with_two_dates_follows_the_earlier__spec_11_1(tmp_path):
    """A links export with the Successor row twice (1 October and 1 November): PSF goes on to the academy
    from the first date it was linked, as the earlier row says; April–September at A, October on at AA."""
    schools = [school("A", closed="2013-09-30"), school("AA"), school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-11-01", "link_type": "Successor"},
             {"school_id": "A", "successor_id": "AA", "link_date": "2013-10-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 60000, 0, "continuing"), ("AA", 60000, 0, "continuing")]


def test_a_chain_whose_links_are_dated_out_of_order_pays_no_month_twice__spec_11_1(tmp_path):
    """A → B from 1 November, but B → C already from 1 October: the child reaches B when B has already
    become C, so goes on to C on 1 November. April–October at A (7 months), November–March at C (5)."""
    schools = [school("A", closed="2013-10-31"), school("B", closed="2013-09-30"), school("C")]
    links = [{"school_id": "A", "successor_id": "B", "link_date": "2013-11-01", "link_type": "Successor"},
             {"school_id": "B", "successor_id": "C", "link_date": "2013-10-01", "link_type": "Successor"}]
    r = run(tmp_path, schools=schools, links=links, statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert lines_of(r, U1) == [("A", 70000, 0, "continuing"), ("C", 50000, 0, "continuing")]


def _whys(r, *schools: str) -> dict[str, list[str]]:
    """Each school's return lines' `why`, in order."""
    from senrun.outputs.returns import children_columns

    return {sid: children_columns(r, pl.Series([sid]))["why"].to_list() for sid in schools}


def _managed(upn: str, a: str, b: str, day: str) -> dict:
    return {"upn": upn, "from_school_id": a, "to_school_id": b, "move_date": day, "reason": "managed_move"}


def test_after_a_round_trip_each_school_is_told_where_the_psf_went_and_came_from_by_its_days_not_its_order__faq_6(
        tmp_path):
    """A → B on 1 June, back to A on 1 August, on to H on 1 October: A's one line spans the stay at B, so the line
    before H's by date is B's, though the child came to H from A (the returns had said so, and A's "moved on to
    B"). A line came from the line paid the day before it began, and went on to the one paid the day after."""
    from senrun.yearly.explain import explain_school

    moves = [_managed(U1, "A", "B", "2013-06-01"), _managed(U1, "B", "A", "2013-08-01"),
             _managed(U1, "A", "H", "2013-10-01")]
    r = run(tmp_path, schools=[school("A"), school("B"), school("H")], moves=moves,
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert _whys(r, "A", "B", "H") == {
        "A": ["continuing: moved on to H, the PSF went with the child"],
        "B": ["continuing: moved on to A, the PSF went with the child; came from A by managed move"],
        "H": ["continuing: continues beyond this period, to the end of primary phase; came from A by managed move"]}
    [at_h] = explain_school(r, "H")["psf"]["children"]
    assert ", by managed move from A:" in at_h["text"]


def test_a_managed_move_to_the_school_that_later_succeeds_the_first_is_told_as_a_move_not_a_succession__faq_3_6(
        tmp_path):
    """Moved A → B on 1 June; A closes on 31 August with B its successor: the child came by managed move, before
    the succession (both returns had said "no move")."""
    from senrun.yearly.explain import explain_school

    schools = [school("A", closed="2013-08-31", successor="B"), school("B"), school("H")]
    r = run(tmp_path, schools=schools, moves=[_managed(U1, "A", "B", "2013-06-01")],
            statements=[statement(U1, PRIMARY, annual="1200.00"), statement(U2, PRIMARY, annual="1200.00")])
    whys = _whys(r, "A", "B")
    assert whys["A"] == ["continuing: moved on to B, the PSF went with the child",
                         "continuing: school closed, its PSF went on to its successor B (no move)"]
    assert whys["B"] == [
        "continuing: continues beyond this period, to the end of primary phase; came from A by managed move",
        "continuing: continues beyond this period, to the end of primary phase; "
        "came from A, which became this school (no move)"]
    texts = {c["upn"]: c["text"] for c in explain_school(r, "B")["psf"]["children"]}
    assert ", by managed move from A:" in texts[U1] and ", as the successor of A:" in texts[U2]


def test_a_child_paid_all_year_away_from_the_statements_school_is_told_the_psf_came_from_it__faq_6(tmp_path):
    """Moved A → B in October 2012, before this period: no line of the period comes before B's, so the school
    it came from may not be A (it may have passed through others), only the statement's school is known."""
    from senrun.yearly.explain import explain_school

    r = run(tmp_path, schools=[school("A"), school("B")], moves=[_managed(U1, "A", "B", "2012-10-01")],
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert _whys(r, "B") == {"B": ["continuing: continues beyond this period, to the end of primary phase; "
                                   "the PSF came here from A, the statement's school"]}
    [line] = explain_school(r, "B")["psf"]["children"]
    assert ", with PSF from the statement's school, A:" in line["text"]


def test_a_move_before_the_period_to_the_school_that_took_over_at_its_start_is_not_claimed_a_succession__faq_6(
        tmp_path):
    """Moved A → B in October 2012; A closed on 31 March 2013, B its successor from 1 April, the period's first
    day: the child's lines begin at B with none before them, and cannot tell a move from the succession."""
    from senrun.yearly.explain import explain_school

    schools = [school("A", closed="2013-03-31", successor="B"), school("B")]
    r = run(tmp_path, schools=schools, moves=[_managed(U1, "A", "B", "2012-10-01")],
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    assert _whys(r, "B")["B"] == ["continuing: continues beyond this period, to the end of primary phase; "
                                  "the PSF came here from A, the statement's school"]
    [line] = explain_school(r, "B")["psf"]["children"]
    assert ", with PSF from the statement's school, A:" in line["text"]


def test_a_child_moved_on_twice_and_back_is_told_the_latest_school_it_left_each_time__faq_6(tmp_path):
    """A → B on 1 June, B → C on 1 August, C → A on 1 October (by days): C came from B and went on to A; B went on
    to C, not to A (A's one line spans the whole period)."""
    moves = [_managed(U1, "A", "B", "2013-06-01"), _managed(U1, "B", "H", "2013-08-01"),
             _managed(U1, "H", "A", "2013-10-01")]
    r = run(tmp_path, schools=[school("A"), school("B"), school("H")], moves=moves, prorate="days",
            statements=[statement(U1, PRIMARY, annual="1200.00")])
    whys = _whys(r, "B", "H")
    assert whys["B"] == ["continuing: moved on to H, the PSF went with the child; came from A by managed move"]
    assert whys["H"] == ["continuing: moved on to A, the PSF went with the child; came from B by managed move"]


def test_a_statement_at_a_converted_school_whose_row_was_deleted_is_told_to_keep_the_row__faq_3_6_spec_11_1(tmp_path):
    """A council that deleted the row of a school converted before the period had been offered only the spelling
    of three unrelated schools; its links still recorded the conversion.  Without dates or links, no such word."""
    statements = [statement(U1, PRIMARY, school="A", annual="1200.00")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2012-09-01", "link_type": "Successor"}]
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, schools=[school("AA", opened="2012-09-01"), school("B")], links=links, statements=statements)
    [told] = [i for i in caught.value.errors if i.code == "unknown_school" and i.file == "statements.csv"]
    assert told.message.endswith("If it is a school that closed or became an academy, keep its row, with its closed "
                                 "date, beside its successor's: PSF follows a succession only from a school the "
                                 "schools input holds (docs/seven-years.md)")
    plain = [{k: v for k, v in school(sid).items() if k not in ("opened", "closed", "successor_id")}
             for sid in ("AA", "B")]
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, schools=plain, statements=statements)
    [told] = [i for i in caught.value.errors if i.code == "unknown_school" and i.file == "statements.csv"]
    assert "closed or became an academy" not in told.message


def test_a_link_between_a_closing_and_an_opening_a_month_apart_expects_the_two_dates_to_agree__spec_11_1():
    """The warning had given as expected the very date it warned about (the day after the closing), where the
    successor opened a month later: no link date could have satisfied it, and the dates' disagreement went unsaid."""
    from datetime import date

    from senrun.succession import _link_date_differs

    for on in (date(2013, 9, 1), date(2013, 9, 15), date(2013, 10, 1)):
        issues = Issues()
        _link_date_differs("S1", "S2", on, date(2013, 8, 31), date(2013, 10, 1), {"file": "links.csv"}, issues)
        [told] = issues.items
        assert (told.value, told.expected) == (f"{on:%d/%m/%Y}", "the school's closed date (31/08/2013) and its "
                                               "successor's opened date (01/10/2013) a day apart, and the succession "
                                               "on the opening: they disagree now")
    issues = Issues()  # the dates agree: the link's own date is the one to mend
    _link_date_differs("S1", "S2", date(2013, 6, 1), date(2013, 8, 31), date(2013, 9, 1), {"file": "links.csv"}, issues)
    assert [i.expected for i in issues.items] == ["01/09/2013, the day after the school closed"]


def test_census_rows_at_a_school_closed_before_census_day_with_no_successor_are_a_warning_at_its_closed_cell__spec_11_11(
        tmp_path):
    # The schools input closes S on 31/12/2012, but the January census still has two children there: they count
    # at no school (SPEC §11.11), so S's pupils take no share anywhere.  Nothing had said so; the council is told
    # to check the date or give the successor.  A closed school with a successor counts its rows there: no warning.
    schools = [school("A"), school("S", closed="2012-12-31"), school("T", closed="2012-12-31", successor="A")]
    census = [pupil(U1, "S", PRIMARY), pupil(U2, "S", PRIMARY), pupil(U3, "T", PRIMARY)]
    r = run(tmp_path, schools=schools, census=census, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [nowhere] = [i for i in r.issues if i.code == "census_at_closed"]
    assert (nowhere.value, nowhere.file, nowhere.row, nowhere.column) == ("S", "schools.csv", 3, "closed")
    assert nowhere.message.startswith("2 census rows are at school S, which closed on 31/12/2012, before census day "
                                      "(17/01/2013), and has no successor open in the period")
    assert "check its closed date against the census" in nowhere.message
    assert by_school(r).keys() == {"A"} and r.schools.filter(pl.col("school_id") == "A")["pupils"].item() == 1


def test_census_rows_at_a_school_closed_after_census_day_but_before_the_period_are_a_warning_at_its_closed_cell__spec_11_11(
        tmp_path):
    # A high school closes on 31 January, after the census of 17 January and before the period begins in April,
    # and no successor is given: it has no row this year and its 2 census pupils counted at no school, with no
    # word (the warning had looked only at schools closed before census day).
    schools = [school("A"), school("S", closed="2013-01-31")]
    census = [pupil(U1, "A", PRIMARY), pupil(U2, "S", PRIMARY), pupil(U3, "S", PRIMARY)]
    r = run(tmp_path, schools=schools, census=census, statements=[statement(U1, PRIMARY, annual="1200.00")])
    [nowhere] = [i for i in r.issues if i.code == "census_at_closed"]
    assert (nowhere.value, nowhere.file, nowhere.row, nowhere.column) == ("S", "schools.csv", 3, "closed")
    assert nowhere.message.startswith("2 census rows are at school S, which closed on 31/01/2013, before the period "
                                      "began (01/04/2013), so it has no row this year, and has no successor open in "
                                      "the period")
    assert by_school(r).keys() == {"A"}


def test_an_academy_opening_after_census_day_whose_census_rows_are_under_its_own_new_id_is_told_they_count_nowhere__spec_11_11(
        tmp_path):
    """A census row at a school not open on census day counts at its nearest successor open in the period,
    else nowhere (SPEC 11.11). An academy with a new id that opened after census day, whose pupils the census
    extract already lists under that new id (none at its predecessor), so has none counted: the run must say
    so at its row, not stay silent because it is a successor (its predecessor holds none of those rows)."""
    schools = [school("A", closed="2013-03-31", successor="AA", pupils=""), school("AA", opened="2013-04-01", pupils=""),
               school("B", pupils="")]
    census = [pupil("E801200005002", "AA", "2005-05-05"), pupil(U1, "B", "2005-05-05")]
    r = run(tmp_path, schools=schools, census=census, statements=[statement(U1, PRIMARY, school="B")])
    assert dict(r.schools.select("school_id", "pupils").iter_rows())["AA"] == 0
    [w] = [i for i in r.issues if i.code == "no_pupils"]
    assert w.row == 3 and "school AA" in w.message
    assert "opened on 01/04/2013, after census day (17/01/2013), so its census rows are not counted" in w.message


def test_a_move_recorded_from_the_other_school_of_an_amalgamation_is_from_the_childs_school_then__spec_11_1_faq_6(
        tmp_path):
    """An infant and a junior school amalgamate into PRI on 1 September; in November the child, whose line went on
    from the infant school to PRI, is moved, and the council records the move from the junior school (its old name
    for the site).  On that day the child's school is PRI, whose predecessor the junior school is (SPEC §11.1: "a
    predecessor or successor of the child's school at that date"): the run had stopped with a move_from error.
    Before the amalgamation the junior school is not the child's (a sibling of the infant school, §11.11)."""
    schools = [school("INF", closed="2013-08-31", successor="PRI"), school("JUN", closed="2013-08-31", successor="PRI"),
               school("PRI", opened="2013-09-01"), school("OTH")]
    statements = [statement(U1, "2006-05-05", school="INF", annual="1200.00")]
    r = run(tmp_path, schools=schools, statements=statements, moves=[_managed(U1, "JUN", "OTH", "2013-11-01")])
    assert lines_of(r, U1) == [("INF", 50000, 0, "continuing"), ("PRI", 20000, 0, "continuing"),
                               ("OTH", 50000, 0, "continuing")]
    for wrong in (_managed(U1, "JUN", "OTH", "2013-06-01"), _managed(U1, "OTH", "PRI", "2013-11-01")):
        with pytest.raises(SenrunError) as caught:
            run(tmp_path, schools=schools, statements=statements, moves=[wrong])
        assert [i.code for i in caught.value.errors] == ["move_from"]
