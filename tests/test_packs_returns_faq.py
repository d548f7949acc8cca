"""The cluster packs and the returns read against the policy FAQ: the SEN host top-slice held only
for a cluster that counted (FAQ 17–19, SPEC §11.11), a child whose phase ends with the period
(FAQ 3–5), and a child moved within a cluster counted once in its run-off (FAQ 8, 12)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml

from senrun.config.loader import load_config
from senrun.outputs.clusterpack import plan_packs
from senrun.outputs.returns import children_columns
from senrun.pipeline import allocate

from builders import write_csv

SCHOOLS_HEADER = ["school_id", "school_name", "cluster_id", "cluster_name", "ssa", "in_formula"]
STATEMENTS_HEADER = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date"]
CENSUS_HEADER = ["upn", "school_id", "date_of_birth", "nc_year_taught", "sen_provision", "fsm"]
MOVES_HEADER = ["upn", "from_school_id", "to_school_id", "move_date", "reason"]


def rows(header: list[str], lines: str) -> list[dict]:
    return [dict(zip(header, line.split(","))) for line in lines.strip().splitlines()]


def run_of(folder: Path, config: dict, schools: str, statements: str, census: str, moves: str):
    """The inputs and config written into `folder`, allocated."""
    inputs = {}
    for name, header, text in (("schools", SCHOOLS_HEADER, schools), ("statements", STATEMENTS_HEADER, statements),
                               ("census", CENSUS_HEADER, census), ("moves", MOVES_HEADER, moves)):
        inputs[name] = {"path": write_csv(folder / f"{name}.csv", rows(header, text), header).name}
    path = folder / "senrun.yaml"
    path.write_text(yaml.safe_dump({**config, "inputs": inputs}, sort_keys=False))
    return allocate(load_config(path))


#: A financial year; cluster C3's only setting is outside the formula.
FINANCIAL = {
    "year": "2012-13", "period": {"start": "2012-04-01", "end": "2013-03-31"}, "census_date": "2013-01-17",
    "budget": {"pupil_specific_pot": 100000},
    "topslices": [{"name": "auxiliary_aids", "amount": 5000}, {"name": "cluster_host", "per_cluster": 1000},
                  {"name": "sen_advice", "per_school": 100}],
    "formula": {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 5000},
                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]},
    "delegation": "devolved",
}
FINANCIAL_SCHOOLS = """
N1,Little Acorns PVI Nursery,C3,Nursery cluster,0,no
P1,Alpha Primary,C1,North,1000,yes
S1,Alpha High,C1,North,2000,yes
P2,Beta Primary,C2,South,1500,yes
S2,Beta High,C2,South,2500,yes
"""
FINANCIAL_STATEMENTS = """
G926200112002,2009-01-15,2012-01-10,N1,3000.00,PSF,
W926200112003,2000-11-14,2009-05-01,P1,7200.00,PSF,
"""
FINANCIAL_CENSUS = """
G926200112002,N1,2009-01-15,N1,S,0
W926200112003,P1,2000-11-14,6,S,0
E926200112020,P1,2006-01-01,2,N,0
X926200112023,S1,2000-01-05,8,N,0
A926200112025,P2,2006-06-06,1,N,0
P926200112026,S2,1999-03-03,9,N,0
"""

#: An academic year: Year 11 and N2 children protected to its last day; N1 (outside the formula) is in C1.
ACADEMIC = {
    "year": "2012-13", "period": {"start": "2012-09-01", "end": "2013-08-31"}, "census_date": "2013-01-17",
    "budget": {"pupil_specific_pot": 50000},
    "topslices": [{"name": "cluster_host", "per_cluster": 500}],
    "formula": {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 1000},
                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]},
}
ACADEMIC_SCHOOLS = """
N1,Little Acorns PVI Nursery,C1,North,0,no
P1,Alpha Primary,C1,North,1000,yes
S1,Alpha High,C1,North,2000,yes
P2,Beta Primary,C2,South,1500,yes
S2,Beta High,C2,South,2500,yes
"""
ACADEMIC_STATEMENTS = """
T926200113002,2009-02-02,2011-06-01,N1,2400.00,PSF,
W926200113004,1997-05-05,2008-06-01,S1,6000.00,PSF,
Q926200113020,1999-01-01,2010-01-01,S2,3000.00,PSF,
"""
ACADEMIC_CENSUS = """
T926200113002,P1,2009-02-02,N2,S,0
W926200113004,S1,1997-05-05,11,S,0
Q926200113020,S2,1999-01-01,9,S,0
E926200113021,P2,2004-01-01,4,N,0
"""
ACADEMIC_MOVES = """
T926200113002,N1,P1,2013-01-07,managed_move
W926200113004,S1,S2,2013-06-10,managed_move
"""


@pytest.fixture(scope="module")
def financial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("financial")
    return run_of(folder, FINANCIAL, FINANCIAL_SCHOOLS, FINANCIAL_STATEMENTS, FINANCIAL_CENSUS,
                  "")


@pytest.fixture(scope="module")
def academic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("academic")
    return run_of(folder, ACADEMIC, ACADEMIC_SCHOOLS, ACADEMIC_STATEMENTS, ACADEMIC_CENSUS, ACADEMIC_MOVES)


def packs_of(result) -> dict[str, object]:
    return {task.file_name: task for task in plan_packs(result)}


def topslice_lines(task, name: str) -> list[tuple[str, int]]:
    return [(line[0], line[1]) for line in task.lines if line and line[0].startswith(name)]


def test_a_per_cluster_top_slice_is_held_only_for_clusters_with_a_school_in_the_formula_spec_11_11_faq_17(financial):
    packs = packs_of(financial)
    for counted in ("C1", "C2"):
        assert topslice_lines(packs[f"clusters/{counted}.xlsx"], "Cluster host") == [
            ("Cluster host: held for this cluster", 100000)]
    assert topslice_lines(packs["clusters/C3.xlsx"], "Cluster host") == [
        ("Cluster host: none held for this cluster (no school of it is in the formula)", 0)]


def test_a_packs_cluster_sheet_counts_the_settings_outside_the_formula_its_schools_sheet_lists_faq_1_spec_11_2(financial):
    """A cluster's Schools figure counts the schools in the formula, but its pack's Schools sheet lists its settings
    outside the formula too (their PSF is in the cluster's figures): a reader saw 0 schools beside one listed."""
    from senrun.outputs.clusterpack import OUTSIDE_LINE

    packs = packs_of(financial)

    def counts(cluster: str) -> list[tuple[str, int]]:
        return [(line[0], line[1]) for line in packs[f"clusters/{cluster}.xlsx"].lines
                if line and line[0] in ("Schools", OUTSIDE_LINE)]

    assert counts("C3") == [("Schools", 0), (OUTSIDE_LINE, 1)]
    assert len(packs["clusters/C3.xlsx"].schools.rows) == 1  # Little Acorns PVI Nursery, listed
    assert counts("C1") == [("Schools", 2)]  # no such setting: no such line


def test_the_packs_per_cluster_top_slices_add_up_to_what_was_top_sliced(financial):
    held = sum(pence for task in plan_packs(financial) for _, pence in topslice_lines(task, "Cluster host"))
    assert held == dict(financial.totals.topslices)["cluster_host"] == 200000


def why_of(result, upn: str) -> list[tuple]:
    """(paid this period, stops on, why, later years protected) of a child's lines on the returns."""
    lines = children_columns(result, result.schools.get_column("school_id"))
    found = lines.filter(pl.col("upn") == upn)
    epoch = date(1899, 12, 30)  # Excel's serial day 0
    return [(r["paid_amount"], epoch + timedelta(days=r["stops_on"]), r["why"], r["years_left"])
            for r in found.iter_rows(named=True)]


def test_a_year_11_child_protected_to_the_periods_last_day_ends_with_this_period_and_a_year_9_child_continues_faq_3_4(
        academic):
    assert why_of(academic, "W926200113004")[-1] == (
        100000, date(2013, 9, 1), "continuing: ends with this period, at the end of secondary (Year 11); came from S1 by managed move", 0)
    assert why_of(academic, "Q926200113020") == [
        (300000, date(2015, 9, 1), "continuing: continues beyond this period, to the end of secondary phase", 2)]


def test_a_nursery_child_protected_to_the_periods_last_day_ends_with_this_period_faq_4(academic):
    assert why_of(academic, "T926200113002")[-1] == (
        140000, date(2013, 9, 1), "continuing: ends with this period, at the end of nursery (N2); came from N1 by managed move", 0)


def test_the_run_off_counts_a_child_paid_at_two_schools_of_a_cluster_once_faq_8_12(academic):
    runoff = packs_of(academic)["clusters/C1.xlsx"].runoff
    assert runoff.headers == ("Year", "Children paid PSF", "PSF (£)")
    # T at N1 then P1 (240000 × parts), W at S1 before moving out of the cluster: 2 children, £7,400
    assert runoff.rows == (("2012-13 (this year)", 2, 740000),)


def test_the_run_off_counts_children_paid_psf_this_year_even_if_it_ended_and_later_only_those_still_protected(
        academic):
    runoff = packs_of(academic)["clusters/C2.xlsx"].runoff
    assert runoff.headers[1] == "Children paid PSF"
    # this year: W (moved in, protected to the last day) and Q; later years: Q only, to the end of Year 11
    assert runoff.rows == (("2012-13 (this year)", 2, 400000), ("2013-14", 1, 300000), ("2014-15", 1, 300000))


def test_a_child_moved_on_by_managed_move_before_its_phase_ended_is_told_so_on_the_first_schools_return_faq_3_6(
        tmp_path):
    """Year 6 in 2012/13, moved P1 → P2 on 1 June 2013, phase over on 31 August: P1's return said "phase_end: left
    the protected phase" for a child who had left P1 by managed move (docs/decisions.md: "continuing: moved on");
    P2's return gives the phase end."""
    config = {**FINANCIAL, "year": "2013-14", "period": {"start": "2013-04-01", "end": "2014-03-31"},
              "census_date": "2014-01-16"}
    statements = FINANCIAL_STATEMENTS.replace("W926200112003,2000-11-14,", "W926200112003,2002-03-03,")
    census = FINANCIAL_CENSUS.replace("W926200112003,P1,2000-11-14,6,", "W926200112003,P2,2002-03-03,7,")
    moved = run_of(tmp_path, config, FINANCIAL_SCHOOLS, statements, census, "W926200112003,P1,P2,2013-06-01,managed_move")
    assert why_of(moved, "W926200112003") == [
        # (no later years shown at P1: the child stays protected at P2, whose return shows them, not 0 here)
        (120000, date(2013, 6, 1), "continuing: moved on to P2, the PSF went with the child", None),
        (180000, date(2013, 9, 1), "phase_end: left the protected phase at the end of primary (Year 6); "
                                    "came from P1 by managed move", 0)]


@pytest.mark.parametrize("case", ["ceased mid-month", "back at the first school"])
def test_a_line_that_stopped_at_its_own_school_gives_its_own_reason_not_moved_on(tmp_path, case):
    """A line ceased on 10 May (paid, by months, to the end of May) and a child who came back to the first school
    and ended the phase there (one line there, before and after the other school's): neither moved on with its
    PSF, so neither return line may say so."""
    config = {**FINANCIAL, "year": "2013-14", "period": {"start": "2013-04-01", "end": "2014-03-31"},
              "census_date": "2014-01-16"}
    statements = FINANCIAL_STATEMENTS.replace("W926200112003,2000-11-14,", "W926200112003,2002-03-03,")
    census = FINANCIAL_CENSUS.replace("W926200112003,P1,2000-11-14,6,", "W926200112003,P1,2002-03-03,7,")
    moves = ""
    if case == "ceased mid-month":
        statements = statements.replace("W926200112003,2002-03-03,2009-05-01,P1,7200.00,PSF,",
                                        "W926200112003,2002-03-03,2009-05-01,P1,7200.00,PSF,2013-05-10")
    else:
        moves = "W926200112003,P1,P2,2013-05-01,managed_move\nW926200112003,P2,P1,2013-07-01,managed_move"
    ran = run_of(tmp_path, config, FINANCIAL_SCHOOLS, statements, census, moves)
    whys = {why.split(":")[0] for _, _, why, _ in why_of(ran, "W926200112003")}
    assert whys == ({"ceased"} if case == "ceased mid-month" else {"phase_end", "continuing"}), whys
    at_p1 = [why for paid, _, why, _ in why_of(ran, "W926200112003")
             if ran.psf.filter((pl.col("upn") == "W926200112003") & (pl.col("paid_amount") == paid))
             ["paid_school_id"].to_list() == ["P1"]]
    assert not any("moved on" in why for why in at_p1), at_p1


def test_a_cluster_with_no_child_paid_psf_shows_this_years_run_off_row_as_none_not_an_empty_table__faq_8(tmp_path):
    """A pack's PSF run-off had only its headings where no child of the cluster was paid PSF this year."""
    from builders import run, statement

    r = run(tmp_path, statements=[statement("B801200005001", "2005-05-05", annual="0")])
    [pack] = packs_of(r).values()
    assert pack.runoff.rows == ((f"{r.config.year} (this year)", 0, 0),)


def test_a_cluster_sheet_label_too_long_for_its_column_is_wrapped_on_two_lines_not_cut_in_print():
    """"Also on the Schools sheet, not counted in Schools (settings outside the fo…" printed cut at column A's
    edge: a label longer than the column shows is wrapped on two lines, its row as tall as both."""
    import io

    import openpyxl

    from senrun.outputs.clusterpack import OUTSIDE_LINE
    from senrun.outputs.packbook import INT, LABEL_WIDTH, PackTask, Table, pack_bytes
    from senrun.outputs.xlsx import lines_in

    empty = Table(("School ID",), ("text",), ())
    task = PackTask(file_name="clusters/C3.xlsx", title="SEN cluster pack", footer="&L2013-14&RPage &P of &N",
                    lines=(("Schools", 0, INT), (OUTSIDE_LINE, 1, INT)), schools=empty, profile=empty,
                    profile_bold=(), runoff=empty)
    ws = openpyxl.load_workbook(io.BytesIO(pack_bytes(task)))["Cluster"]
    assert lines_in(OUTSIDE_LINE, LABEL_WIDTH) > 1 and ws["A3"].value == OUTSIDE_LINE
    assert ws["A3"].alignment.wrap_text and ws.row_dimensions[3].height >= 30  # (XlsxWriter: 32.25)
    assert not ws["A2"].alignment.wrap_text and ws.row_dimensions[2].height is None
    # a label of 67 characters fits no more than one of 70 did: column A shows about 61 (a top-slice's name had
    # been left to be cut by its figure)
    held = "Top-slice held for this cluster: sensory support and outreach team"
    task = PackTask(file_name="clusters/C3.xlsx", title="SEN cluster pack", footer="&L2013-14&RPage &P of &N",
                    lines=(("Schools", 0, INT), (held, 1, INT)), schools=empty, profile=empty, profile_bold=(),
                    runoff=empty)
    ws = openpyxl.load_workbook(io.BytesIO(pack_bytes(task)))["Cluster"]
    assert len(held) < 70 and ws["A3"].alignment.wrap_text and ws.row_dimensions[3].height >= 30
