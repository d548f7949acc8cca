"""A cluster pack written from the template of its workbook (outputs/xlsxtemplate.py) is byte for
byte the workbook XlsxWriter writes for it, whatever the cluster's values: empty tables, no
run-off years, many rows, blanks, text that XML or Excel must escape, text over Excel's limit,
no pupils, other headers.  A pack the template does not cover (another shape, formats first used
in another order) is written by XlsxWriter, so it is the same too."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senrun.outputs import xlsxtemplate
from senrun.outputs.packbook import PackTask, Table, draw_pack, new_pack_book
from senrun.outputs.xlsxpack import BookPacker

import builders
from builders import examples, outcome, written_plainly
from test_return_template import AWKWARD

SCHOOLS = Table(headers=("School ID", "School", "Pupils", "SSA (£)", "PSF (£)", "Total (£)"),
                kinds=("text", "text", "int", "money", "money", "money"),
                rows=(("S1", "Ash & Elm <Primary>", 124, 2074389, 1000740, 3075129),
                      ("S2", "Birch Primary", 218, 3506173, 0, 3506173)),
                totals=(None, "Total", 342, 5580562, 1000740, 6581302))
PROFILE = Table(headers=("School ID", "School", "Phase", "Pupils", "SEN support", "SEN support (%)"),
                kinds=("text", "text", "text", "int", "int", "pct"),
                rows=(("S1", "Ash & Elm <Primary>", "Primary", 96, 12, 12.5),
                      ("S2", "Birch Primary", "Primary", 218, 0, 0.0),
                      ("Cluster", "C1", "Primary", 314, 12, 3.8), ("Authority", "All", "Primary", 9000, 1500, 16.7)))
RUNOFF = Table(headers=("Year", "Protected children", "PSF (£)"), kinds=("text", "int", "money"),
               rows=(("2013-14 (this year)", 43, 36488164), ("2014-15", 28, 23929991), ("2015-16", 0, 0)))
ONE = PackTask("clusters/C1.xlsx", "SEN cluster pack 2013-14: North", "&L2013-14&CPage &P of &N&RRun 0a1b2c3d",
               (("Cluster ID", "C1", "text"), ("Funding period", "01/04/2013 – 31/03/2014", "text"), None,
                ("The cluster's funding this year", None, "heading"), ("Schools", 2, "int"), ("Pupils", 342, "int"),
                ("SSA", 5580562, "money"), ("Cluster allocation", 6581302, "money_bold"), ("Change", 2.5, "pct"),
                ("Last year", None, "money"), None,
                ("A school's cluster share is notional (FAQ 2, 13, 18).", None, "note")),
               SCHOOLS, PROFILE, (2, 3), RUNOFF)

#: (and a school's name too long for its column, which wraps on a taller row)
TEXT = st.one_of(st.sampled_from(AWKWARD + ["St Peter and St Paul Church of England Voluntary Aided Primary School, "
                                            "Drayholme"]), st.text(max_size=20))
KINDS = ("text", "money", "int", "pct", "pct1")
LINE_KINDS = ("heading", "note", "text", "money", "money_bold", "int", "pct")


USUAL = {"text": TEXT, "money": st.integers(-10**13, 10**13), "int": st.integers(-10**6, 10**9),
         "pct": st.floats(-1000, 1000, allow_nan=False), "money_bold": st.integers(-10**13, 10**13)}
#: Most examples keep the shape of a real pack (its headers, the kinds of its lines): those are the
#: packs the template is there for; the others are the ones it must leave to XlsxWriter.
MOSTLY = st.integers(0, 4).map(lambda n: n < 4)


USUAL["pct1"] = USUAL["pct"]
#: Numbers neither way can write, and values that are not numbers, which the table's cells must refuse alike.
ODD = st.one_of(st.sampled_from([float("nan"), float("inf"), -float("inf"), True]), st.integers(-10**20, 10**20),
                st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([Decimal("1.5"), b"x", ""]))


def value(kind: str):
    """A value as a column or line of this kind holds it, or anything else it could meet."""
    return st.one_of(USUAL.get(kind, TEXT), st.none(), TEXT, ODD)


@st.composite
def tables(draw, like: Table) -> Table:
    headers = like.headers if draw(MOSTLY) else tuple(draw(st.lists(TEXT, max_size=4)))
    kinds = like.kinds if headers is like.headers else tuple(draw(st.sampled_from(KINDS)) for _ in headers)
    row = st.tuples(*[value(k) for k in kinds])
    rows = draw(st.one_of(st.just(()), st.lists(row, max_size=6), st.lists(row, min_size=15, max_size=20)))
    totals = draw(st.tuples(*[USUAL.get(k, TEXT) for k in kinds]) if draw(MOSTLY) else st.one_of(st.none(), row))
    return Table(headers, kinds, tuple(rows), totals)


@st.composite
def lines(draw) -> tuple:
    """The Cluster sheet's lines: a real pack's with other labels and values, or any lines at all."""
    if draw(MOSTLY):
        return tuple(None if line is None else (draw(TEXT), draw(USUAL.get(line[2], TEXT)) if line[1] is not None
                                                else None, line[2]) for line in ONE.lines)
    line = st.one_of(st.none(), st.sampled_from(LINE_KINDS).flatmap(lambda k: st.tuples(TEXT, value(k), st.just(k))))
    return tuple(draw(st.lists(line, max_size=20)))


@st.composite
def packs(draw) -> PackTask:
    return replace(ONE, title=draw(st.one_of(st.just(ONE.title), TEXT)),
                   footer=draw(st.one_of(st.just(ONE.footer), TEXT)), lines=draw(lines()),
                   schools=draw(tables(SCHOOLS)), profile=draw(tables(PROFILE)),
                   profile_bold=tuple(draw(st.lists(st.integers(0, 8), max_size=3))), runoff=draw(tables(RUNOFF)))


def from_template(packer: BookPacker, task: PackTask) -> bytes:
    """The cluster's pack through the packer (as packbook.pack_bytes writes it with the process's packer)."""
    return packer.pack_drawn(task.title, lambda sheets, fmt: draw_pack(sheets, fmt, task), new_pack_book)


def plain(task: PackTask) -> bytes:
    """The cluster's pack as XlsxWriter alone writes it."""
    return written_plainly(new_pack_book, task.title, lambda sheets, fmt: draw_pack(sheets, fmt, task))


def learnt_packer() -> BookPacker:
    return builders.learnt_packer(from_template, plain, ONE)


PACKER = learnt_packer()


@pytest.mark.filterwarnings("ignore:Footer string cannot be longer", "ignore:Number of footer images",
                            "ignore:Can't merge single cell")
@settings(max_examples=examples(40, 300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(packs())
def test_any_pack_from_the_template_is_what_xlsxwriter_writes(task):
    assert outcome(lambda t: from_template(PACKER, t), task) == outcome(plain, task)


AWKWARD_BUT_COVERED = [
    replace(ONE, title="A&B <1> _x0041_\x01", footer="&L é &&<x>&CPage &P"),
    replace(ONE, runoff=replace(RUNOFF, rows=())),  # no run-off years: the note just under the header
    replace(ONE, runoff=replace(RUNOFF, rows=RUNOFF.rows * 20)),  # the note and its height far down
    replace(ONE, schools=replace(SCHOOLS, rows=SCHOOLS.rows * 30, totals=None)),  # rows beyond blocks of 16
    replace(ONE, schools=replace(SCHOOLS, rows=((None,) * 6, ("x" * 40_000, "é" * 16_384 + "😀", 0, -1, None, 5)))),
    replace(ONE, lines=ONE.lines + (("Pupils", 0, "int"), ("Another note", None, "note"))),
]


@pytest.mark.parametrize("task", AWKWARD_BUT_COVERED)
def test_awkward_values_are_written_from_the_template_as_xlsxwriter_writes_them(task):
    packer = learnt_packer()
    assert from_template(packer, task) == plain(task)
    assert packer.from_template == 1, "the pack was not written from the template"


NOT_COVERED = [
    replace(ONE, lines=ONE.lines[:8], profile=replace(PROFILE, rows=())),  # no percentages: a format fewer
    replace(ONE, lines=ONE.lines[:1] + (("Share", 25.0, "pct"),) + ONE.lines[1:]),  # percentages first used earlier
    replace(ONE, schools=replace(SCHOOLS, headers=SCHOOLS.headers[:3], kinds=SCHOOLS.kinds[:3])),  # other widths
    replace(ONE, footer=""),
]


@pytest.mark.parametrize("task", NOT_COVERED)
def test_a_pack_the_template_does_not_cover_is_written_by_xlsxwriter(task):
    packer = learnt_packer()
    assert from_template(packer, task) == plain(task)
    assert packer.from_template == 0
    assert from_template(packer, ONE) == plain(ONE) and packer.from_template == 1


def test_a_template_that_does_not_give_the_first_packs_bytes_is_never_used(monkeypatch):
    monkeypatch.setattr(xlsxtemplate, "merge_cells", lambda sheet: "")
    packer = BookPacker()
    for task in (ONE, *AWKWARD_BUT_COVERED[:3]):
        assert from_template(packer, task) == plain(task)
    assert packer._template is False and packer.from_template == 0

