"""Schools that open, close or convert: the inputs' mistakes that must never pass unseen (SPEC §1, §8,
§11.1, §11.2, §11.11).

A school open on no day of the period has no row, so anything the schools input gives it (SSA, a
pupils_override) reaches no school; a loop of successions or a school that closes before it opens
is a mistake in the inputs, reported where it was written.
"""

from __future__ import annotations

import pytest

from builders import SCHOOLS, pupil, run, statement
from senrun.errors import SenrunError

U1 = "B801200005001"
PRIMARY = "2005-05-05"


def school(sid: str, cluster: str = "C1", ssa: str = "0.00", opened: str = "", closed: str = "",
           successor: str = "", in_formula: str = "", pupils_override: str = "") -> dict:
    return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": cluster, "ssa": ssa, "pupils": "100",
            "opened": opened,
            "closed": closed, "successor_id": successor, "in_formula": in_formula, "pupils_override": pupils_override}


def errors_of(tmp_path, **kwargs) -> list:
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, **kwargs)
    return caught.value.errors


def census_of(*schools: str) -> list[dict]:
    return [pupil(f"B8012000{50 + i:02d}00{i % 10}", sid, PRIMARY) for i, sid in enumerate(schools)]


ONE_CHILD = [statement(U1, PRIMARY, school="B", annual="1200.00")]


# SPEC §1 (SSA passes through to its school's row), §11.11 (a school open on no day has no row)

def test_ssa_on_a_school_closed_before_the_period_is_an_error_naming_the_cell_the_amount_and_its_successor(tmp_path):
    # Z and T have no row either, but nothing to lose: a blank or 0 SSA is no error
    schools = [school("A", ssa="250.00", closed="2012-12-31", successor="B"), school("B", opened="2013-01-01"),
               school("C", ssa="100.00"), school("Z", ssa="", closed="2013-03-31"),
               school("T", ssa="0", opened="2014-04-01")]
    found = errors_of(tmp_path, schools=schools, statements=ONE_CHILD, budget={"ssa_total": "350.00"})
    assert [(i.code, i.file, i.row, i.column, i.value) for i in found] == [
        ("ssa_no_row", "schools.csv", 2, "ssa", "250.00")]
    assert ("school A is open on no day of the period (it closed on 31/12/2012, before the period starts on "
            "01/04/2013), so it has no row: its ssa of £250.00 would be paid to no school. Move it to the school "
            "that takes over its pupils (B), or make it 0 or blank") == found[0].message


def test_ssa_on_a_school_that_opens_after_the_period_is_an_error_saying_to_make_it_0_or_blank__spec_11_11(tmp_path):
    schools = [school("B"), school("T", ssa="500.00", opened="2014-04-01")]
    found = errors_of(tmp_path, schools=schools, statements=ONE_CHILD)
    assert [(i.code, i.row, i.column) for i in found] == [("ssa_no_row", 3, "ssa")]
    assert "opens on 01/04/2014, after the period ends on 31/03/2014" in found[0].message
    assert "£500.00" in found[0].message and "Make it 0 or blank" in found[0].message


# SPEC §11.1: a loop of successions is an error, at the rows that declare it

def test_a_loop_of_successions_in_the_links_input_is_reported_at_the_links_rows_that_declare_it(tmp_path):
    schools = [school("A", closed="2012-12-31"), school("B", opened="2013-01-01"), school("C")]
    links = [{"school_id": "C", "successor_id": "C2", "link_date": "", "link_type": "Other"},
             {"school_id": "A", "successor_id": "B", "link_date": "2013-01-01", "link_type": "Successor"},
             {"school_id": "B", "successor_id": "A", "link_date": "2013-02-01", "link_type": "Successor"}]
    found = errors_of(tmp_path, schools=schools, links=links, statements=ONE_CHILD)
    assert [(i.code, i.file, i.row, i.column) for i in found] == [("succession", "links.csv", 3, "successor_id")]
    assert "A → B (links.csv row 3); B → A (links.csv row 4)" in found[0].message


def test_a_loop_of_successions_in_the_successor_id_column_is_reported_at_its_cells(tmp_path):
    schools = [school("X"), school("A", closed="2013-08-31", successor="B"), school("B", closed="2013-10-31",
                                                                                     successor="C"),
               school("C", closed="2013-12-31", successor="A")]
    found = errors_of(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="X")])
    assert [(i.code, i.file, i.row, i.column) for i in found] == [("succession", "schools.csv", 3, "successor_id")]
    assert ("A → B (schools.csv row 3); B → C (schools.csv row 4); C → A (schools.csv row 5)"
            in found[0].message)


# SPEC §11.1: a school is open on the days opened ≤ d ≤ closed

def test_a_school_that_closes_before_it_opens_is_an_error_at_its_closed_cell_giving_both_dates(tmp_path):
    schools = [school("B"), school("U", opened="2013-10-01", closed="2013-06-30")]
    found = errors_of(tmp_path, schools=schools, statements=ONE_CHILD)
    assert [(i.code, i.file, i.row, i.column, i.value) for i in found] == [
        ("bad_value", "schools.csv", 3, "closed", "30/06/2013")]
    assert "school U closes on 30/06/2013, before it opens on 01/10/2013" in found[0].message


# SPEC §11.1 (the run warns listing each override), §11.2 (outside the formula: in no basis), §11.11

def test_the_pupils_override_warning_lists_only_the_overrides_applied_and_warns_at_each_that_sets_nothing(tmp_path):
    schools = [school("B"), school("NEW", pupils_override="29"),
               school("OLD", closed="2013-03-31", successor="B", pupils_override="30"),
               school("PVI", cluster="", in_formula="no", pupils_override="25")]
    r = run(tmp_path, schools=schools, statements=ONE_CHILD, census=census_of("B", "NEW", "PVI", "PVI"))
    listed = [i.message for i in r.warnings if i.code == "pupils_override"]
    assert listed == ["pupils_override sets the pupils of 1 school(s): NEW 29 (counted 1)"]
    unused = [(i.file, i.row, i.column, i.value) for i in r.warnings if i.code == "pupils_override_unused"]
    assert unused == [("schools.csv", 4, "pupils_override", "30"), ("schools.csv", 5, "pupils_override", "25")]
    said = " ".join(i.message for i in r.warnings if i.code == "pupils_override_unused")
    assert "school OLD is open on no day of the period" in said and "set it on B" in said
    assert "school PVI is outside the formula (in_formula: no)" in said
    assert dict(r.schools.select("school_id", "pupils").iter_rows()) == {"B": 1, "NEW": 29, "PVI": 0}


def test_with_no_override_applied_there_is_no_warning_that_overrides_set_pupils__spec_11_1(tmp_path):
    schools = [school("B"), school("PVI", cluster="", in_formula="no", pupils_override="25")]
    r = run(tmp_path, schools=schools, statements=ONE_CHILD, census=census_of("B"))
    assert [i.code for i in r.warnings if i.code.startswith("pupils_override")] == ["pupils_override_unused"]


# SPEC §11.2: a setting outside the formula is none of its cluster's `schools`

def test_the_terminals_cluster_table_counts_the_schools_as_the_clusters_sheet_does_with_a_setting_of_no_cluster(
        tmp_path):
    from rich.console import Console

    from senrun.cli.render import print_clusters

    schools = [school("A"), school("B"), school("S", cluster="", in_formula="no")]
    r = run(tmp_path, schools=schools, statements=[statement(U1, PRIMARY, school="S", annual="8400.00")])
    console = Console(width=160, record=True)
    print_clusters(r, console)
    lines = console.export_text().splitlines()
    cells = [[c.strip() for c in line.split("│")[1:3]] for line in lines if "│" in line]
    schools_column = {cluster: count for cluster, count in cells if cluster != "cluster"}
    assert schools_column == {"C1": "2", "(no cluster) settings outside the formula": "0", "Total": "2"}
    assert int(r.clusters["schools"].sum()) == 2  # the Clusters sheet's total


def test_a_cluster_given_two_names_is_a_warning_but_settings_of_no_cluster_are_no_clusters_names__spec_11_2(tmp_path):
    schools = [{**school("A"), "cluster_name": "North"}, {**school("B"), "cluster_name": "Northern"},
               {**school("N", cluster="", in_formula="no"), "cluster_name": "Little Acorns"},
               {**school("S", cluster="", in_formula="no"), "cluster_name": "Oak Special"}]
    r = run(tmp_path, schools=schools, statements=ONE_CHILD, census=census_of("A", "B"))
    [named] = [w for w in r.warnings if w.code == "cluster_names"]
    assert named.message == "cluster C1 is named 'Northern' here but 'North' above; the first name is used"
    assert (named.row, named.column) == (3, "cluster_name")


def test_a_cluster_named_on_some_of_its_rows_has_that_name_whichever_row_comes_first__spec_6(tmp_path):
    """A blank cluster_name is no second name: the outputs must not depend on the order of the rows."""
    named = [{**school("A"), "cluster_name": ""}, {**school("B"), "cluster_name": "Wortford"}]
    for schools in (named, named[::-1]):
        r = run(tmp_path, schools=schools, statements=ONE_CHILD, census=census_of("A", "B"))
        assert r.clusters.select("cluster_id", "cluster_name").rows() == [("C1", "Wortford")]
        assert set(r.schools["cluster_name"]) == {"Wortford"}
        assert not [w for w in r.warnings if w.code == "cluster_names"]


# FAQ 2, 13: the pot is shared between the clusters the council set up; a cluster typed two ways is not two

def test_cluster_ids_that_differ_only_in_capitals_spaces_or_punctuation_are_an_error_at_the_later_spelling__faq_2(
        tmp_path):
    schools = [school("A", "Thetford"), school("B", "thetford"), school("H", "North  East"),
               school("D", "North-East"), school("E", "Thetford")]
    found = [e for e in errors_of(tmp_path, schools=schools, statements=ONE_CHILD) if e.code == "cluster_spelling"]
    assert [(e.row, e.column, e.value) for e in found] == [(3, "cluster_id", "thetford"), (5, "cluster_id", "North-East")]
    assert found[0].message == ("cluster_id 'thetford' differs from 'Thetford' (row 2) only in capitals, spaces, "
                                "punctuation, leading zeros or characters that look alike (full-width, Roman "
                                "numerals): they would be two clusters, each with its own share")


def test_cluster_ids_1_and_01_are_one_cluster_typed_two_ways_an_error__faq_2(tmp_path):
    """A cluster column of numbers with a few cells typed as text: 1 and 01 had been two clusters with no word,
    and per-cluster top-slices and bases counted four clusters for two."""
    schools = [school("A", "1"), school("B", "01"), school("H", "926-02"), school("D", "926-2"), school("E", "10")]
    found = [e for e in errors_of(tmp_path, schools=schools, statements=ONE_CHILD) if e.code == "cluster_spelling"]
    assert [(e.row, e.value) for e in found] == [(3, "01"), (5, "926-2")]
    (tmp_path / "decimals").mkdir()
    decimals = [school("A", "1.5"), school("B", "1.05")]  # (a decimal's zeros are no leading zeros)
    assert sorted(run(tmp_path / "decimals", schools=decimals, statements=ONE_CHILD).clusters["cluster_id"]) == [
        "1.05", "1.5"]


def test_a_statements_school_id_that_lost_its_leading_zeros_is_told_which_school_it_is__spec_8(tmp_path):
    """The schools input's ids are 0101…; a statements file saved through Excel has 101: it had been told to add
    school 101 to the schools input, which would make a school that does not exist."""
    schools = [school("0101"), school("B")]
    found = [e for e in errors_of(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="101")])
             if e.code == "unknown_school"]
    assert [(e.file, e.row, e.value) for e in found] == [("statements.csv", 2, "101")]
    assert "but 0101 (School 0101) is" in found[0].message and "leading zeros" in found[0].message
    assert found[0].expected.startswith("'0101', as the schools input writes it")


def test_a_statements_school_id_that_two_schools_fit_but_for_leading_zeros_names_both__spec_8(tmp_path):
    schools = [school("01"), school("001"), school("B")]
    found = [e for e in errors_of(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="1")])
             if e.code == "unknown_school"]
    assert "but 001 (School 001) or 01 (School 01) are" in found[0].message


def test_a_blank_cluster_says_how_a_setting_outside_the_formula_is_given__spec_11_2(tmp_path):
    [error] = [e for e in errors_of(tmp_path, schools=[school("A", ""), school("B")], statements=ONE_CHILD)
               if e.code == "empty_value"]
    assert error.row == 2 and "in_formula column" in error.expected and "map the column as in_formula" in error.expected


def test_a_statement_giving_its_school_by_name_is_told_the_schools_id_and_the_name_is_not_hidden__spec_8(tmp_path):
    """A school's name is public (the schools input lists it): only a cell of words that is no school's name is
    hidden, as a child's name could be."""
    statements = [statement(U1, PRIMARY, school="School B", annual="1200.00"),
                  statement("B801200005002", PRIMARY, school="John Smith", annual="1200.00")]
    found = [e.hidden() for e in errors_of(tmp_path, statements=statements,
                                           schools=[school("A"), school("B")]) if e.code == "unknown_school"]
    by_row = {e.row: e for e in found}
    assert by_row[2].message == ("the school holding the PSF, 'School B' is a school's name, not its id: the "
                                 "schools input gives School B the id B")
    assert "John Smith" not in by_row[3].message and "[hidden]" in by_row[3].message


def test_statements_whose_schools_are_all_given_by_name_get_one_error_saying_so_first__spec_8(tmp_path):
    schools = [school(str(9262000 + i)) for i in range(12)]
    statements = [statement(f"B8012000{50 + i:02d}001", PRIMARY, school=f"School {9262000 + i}") for i in range(12)]
    found = [e for e in errors_of(tmp_path, statements=statements, schools=schools) if e.code == "unknown_school"]
    [summary] = [e for e in found if e.row is None]
    assert summary.message.startswith("12 of the 12 rows of statements.csv name schools not in the schools input: "
                                      "statements.csv gives schools by their names, such as School 9262000, where "
                                      "the schools input gives ids, such as 9262000")


def test_a_name_two_schools_share_is_told_with_both_ids_and_a_childs_name_in_every_row_stays_hidden__spec_8(
        tmp_path):
    """An academy often keeps its school's name: both ids are given. And a column of children's names mapped
    as the school (every row unknown) is told in one error whose examples are hidden, as each row's are."""
    schools = [school("A"), school("B"), {**school("AA"), "school_name": "School A"}]
    statements = [statement(U1, PRIMARY, school="school a ", annual="1200.00")]
    (tmp_path / "one").mkdir()
    [named] = [e.hidden() for e in errors_of(tmp_path / "one", statements=statements, schools=schools)
               if e.code == "unknown_school"]
    assert named.message == ("the school holding the PSF, 'school a' is a school's name, not its id: the schools "
                             "input has 2 schools of that name, with the ids A, AA")
    children = [statement(f"B8012000{50 + i:02d}001", PRIMARY, school=name) for i, name in
                enumerate(["Amelia Jones", "Oliver Smith", "Isla Brown", "Noah Patel", "Ava Khan", "Leo Green",
                           "Mia White", "Jack Hall", "Ella King", "Alfie Wood", "Lily Scott", "Jacob Hill"])]
    (tmp_path / "two").mkdir()
    found = [e.hidden() for e in errors_of(tmp_path / "two", statements=children) if e.code == "unknown_school"]
    [summary] = [e for e in found if e.row is None]
    assert "Amelia Jones" not in summary.message and "[hidden]" in summary.message


def test_a_conversion_after_the_period_needs_no_academy_in_the_schools_input_yet__spec_11_1(tmp_path):
    """GIAS's links export holds every conversion, later ones too: one dated after this period moves no money
    now, and its academy need not be listed until the year it opens."""
    schools = [school("A", closed="2014-11-30", successor="Z"), school("B")]
    result = run(tmp_path, schools=schools, statements=ONE_CHILD)
    assert [i for i in result.issues if i.code in ("unknown_school", "succession")] == []
    (tmp_path / "now").mkdir()
    schools = [school("A", closed="2013-11-30", successor="Z"), school("B")]  # within the period: an error still
    assert [e.code for e in errors_of(tmp_path / "now", schools=schools, statements=ONE_CHILD)] == ["unknown_school"]


def test_a_successor_given_by_its_urn_in_the_schools_successor_column_is_told_its_school_id__spec_11_1(tmp_path):
    schools = [{**school("A", closed="2013-08-31", successor="140001"), "urn": "100001"},
               {**school("AA", opened="2013-09-01"), "urn": "140001"}, {**school("B"), "urn": "100002"}]
    [error] = [e for e in errors_of(tmp_path, schools=schools, statements=ONE_CHILD) if e.code == "unknown_school"]
    assert error.message == "successor '140001' of school A is the URN of school AA, not a school_id"
    assert (error.row, error.column, error.expected) == (2, "successor_id", "the successor's school_id (AA)")


def test_a_school_id_given_twice_is_told_of_a_conversion_only_where_the_schools_input_records_them__spec_8(tmp_path):
    """The hint "if the two rows are a school and the academy it became … keep one row" was given for every
    duplicate id, the optional opened/closed/successor columns being always there once read: where the id is
    mistyped, keeping one row deletes a real school.  It is given where the file records openings, closings or
    successors (SPEC §11.1), or a links input is given."""
    twice = [*SCHOOLS, {**SCHOOLS[0], "school_name": "Another Primary"}]
    with pytest.raises(SenrunError) as plain:
        run(tmp_path, statements=[statement("A801200001001", "2005-05-05")], schools=twice)
    [told] = [i for i in plain.value.issues if i.code == "duplicate"]
    assert "academy it became" not in told.message
    dated = [{**s, "closed": ""} for s in twice]
    with pytest.raises(SenrunError) as recorded:
        run(tmp_path, statements=[statement("A801200001001", "2005-05-05")], schools=dated)
    [told] = [i for i in recorded.value.issues if i.code == "duplicate"]
    assert "If the two rows are a school and the academy it became under the same id" in told.message


def test_a_school_id_given_twice_once_with_a_blank_cluster_says_blank_not_none__spec_8(tmp_path):
    """The repeat's message had said "with cluster_id 'C1' here but 'None' there" of a blank cell."""
    twice = [{**SCHOOLS[0], "cluster_id": ""}, *SCHOOLS]
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, statements=[statement("A801200001001", "2005-05-05")], schools=twice)
    [told] = [i for i in caught.value.issues if i.code == "duplicate"]
    assert "with cluster_id 'C1' here but blank there" in told.message and "None" not in told.message
