"""A return written from the sheet template (outputs/xlsxtemplate.py) is byte for byte the
workbook XlsxWriter writes for it, whatever the school's values: text that XML or Excel must
escape, white space to preserve, text over Excel's limit, negative or missing money, units
and rates as text or numbers, a school with no children, with or without last year.  A
return the template does not cover is written by XlsxWriter, so it is the same too; and a
template that would not give XlsxWriter's bytes for the first return is never used."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from senrun.outputs import returnbook, xlsxtemplate
from senrun.outputs.returnbook import SchoolReturn, draw_return, new_return_book, return_title
from senrun.outputs.xlsxpack import BookPacker

import builders
from builders import examples, ONE_RETURN as ONE, outcome, written_plainly


#: Text that XML, Excel or XlsxWriter treat specially.
AWKWARD = ["=SUM(A1)", "a & b", "<b>bold</b>", "<r>rich</r>", 'say "hi"', "it's", " lead", "trail ", "\ttab",
           "new\nline", "\x01ctl\x1f", "_x0041_", "a_x00zz_b", "_x005F_", "\ufffe", "\uffff", "é ü ß €",
           "\u00a0nbsp", "nbsp\u2003", "", " ", "&[Picture]", "&G", "&&", "&L&C&R", "x" * 40_000,
           "é" * 16_384 + "😀" * 10]
TEXT = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=30))
MONEY = st.one_of(st.none(), st.integers(-10**13, 10**13))
#: Units and rates: as the run gives them (exact text), and whatever else could come.
NUMBERS = st.one_of(st.none(), st.sampled_from(["312", "41.5", "-0", "0.000001", "1e3", "2354.3814", "-7.25",
                                                "NaN", "Infinity", "1E+2", " 12 ", "abc", ""]),
                    st.integers(-10**9, 10**9), TEXT)
CHILD = st.tuples(st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT),
                  *[st.one_of(st.none(), st.integers(0, 80_000))] * 3, MONEY, MONEY,
                  st.one_of(st.none(), st.integers(0, 80_000)), st.one_of(st.none(), TEXT),
                  st.one_of(st.none(), st.integers(-3, 20)))
ELEMENT = st.tuples(TEXT, TEXT, NUMBERS, NUMBERS, MONEY)


@st.composite
def schools(draw) -> SchoolReturn:
    return replace(
        ONE, school_id=draw(TEXT), school_name=draw(st.one_of(st.none(), TEXT)), cluster_id=draw(TEXT),
        cluster_name=draw(st.one_of(st.none(), TEXT)), year=draw(st.one_of(st.just("2013-14"), TEXT)),
        period=draw(TEXT), ssa=draw(MONEY), psf=draw(MONEY), cluster_share=draw(MONEY), total=draw(MONEY),
        cluster_allocation=draw(MONEY), previous_total=draw(MONEY), contact=draw(st.one_of(st.none(), TEXT)),
        issued=draw(st.one_of(st.none(), TEXT)), delegation=draw(st.sampled_from(["delegated", "devolved", "x&y"])),
        reference=draw(st.one_of(st.just("0a1b2c3d"), TEXT)),
        elements=tuple(draw(st.lists(ELEMENT, max_size=4))), children=tuple(draw(st.lists(CHILD, max_size=20))))


def from_template(packer: BookPacker, school: SchoolReturn) -> bytes:
    """The school's return through the packer (as return_bytes writes it with the process's packer)."""
    return packer.pack_drawn(return_title(school), lambda ws, fmt: draw_return(ws, fmt, school), new_return_book)


def plain(school: SchoolReturn) -> bytes:
    """The school's return as XlsxWriter alone writes it."""
    return written_plainly(new_return_book, return_title(school), lambda ws, fmt: draw_return(ws, fmt, school))


def learnt_packer() -> BookPacker:
    return builders.learnt_packer(from_template, plain, ONE)


PACKER = learnt_packer()


@pytest.mark.filterwarnings("ignore:Footer string cannot be longer", "ignore:Number of footer images")
@settings(max_examples=examples(50, 360), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schools())
@example(replace(ONE, elements=(("Huge", "units", "1e400", "1e400", 5),)))  # too large for a float: both fail alike
@example(replace(ONE, school_id="x" * 300))  # a footer over 255 characters: cut (xlsx.footer)
@example(replace(ONE, school_id="&[Picture]"))  # a footer asking for an image: XlsxWriter leaves it out
def test_any_return_from_the_template_is_what_xlsxwriter_writes(school):
    assert outcome(lambda s: from_template(PACKER, s), school) == outcome(plain, school)


AWKWARD_BUT_COVERED = [
    replace(ONE, school_id="A&B <1>", school_name=" padded ", cluster_name="_x0041_\x01", period="tab\there"),
    replace(ONE, school_name="x" * 40_000, contact="é" * 16_384 + "😀" * 10),  # cut to Excel's limit
    replace(ONE, ssa=-1, psf=None, cluster_share=0, total=-10**12, cluster_allocation=None),
    replace(ONE, children=()),  # no child: a line of text instead of the table
    replace(ONE, children=((None,) * 10, ("U", None, 1, None, 2, -5, None, None, "why & how", None))),
    replace(ONE, previous_total=0),  # new this year
    replace(ONE, elements=(("Need", "need", "41.5", "0.000001", -3), ("Count", "pupils", 12, None, 10**15))),
    replace(ONE, children=ONE.children * 40),  # rows beyond the first blocks of 16
]
#: Returns whose children's section, the last, starts on another row (without a last year, with another number
#: of elements, without `issued:` or `contact:`, with children paid there last year): the row their printed pages
#: repeat is written into the workbook part for each return, so the template covers them too.
OTHER_SHAPES = [
    replace(ONE, previous_total=None),
    replace(ONE, elements=(("Need", "need", "41.5", "0.000001", -3), ("Other", "x", None, "n/a", None),
                           ("Count", "pupils", 12, None, 10**15))),
    replace(ONE, elements=()),
    replace(ONE, issued=None, contact=None),
    replace(ONE, stopped=(("B801200005001", "PSF", 120000, "ceased: ended"),) * 3),
]


@pytest.mark.parametrize("school", AWKWARD_BUT_COVERED)
def test_awkward_values_are_written_from_the_template_as_xlsxwriter_writes_them(school):
    packer = learnt_packer()
    assert from_template(packer, school) == plain(school)
    assert packer.from_template == 1, "the return was not written from the template"


@pytest.mark.parametrize("school", OTHER_SHAPES)
def test_a_return_whose_children_start_on_another_row_is_written_from_the_template_as_xlsxwriter_writes_it(school):
    """They had been left to XlsxWriter (about a millisecond each): with a register, most schools' returns."""
    packer = learnt_packer()
    assert from_template(packer, school) == plain(school)
    assert packer.from_template == 1


@pytest.mark.filterwarnings("ignore:Number of footer images")
def test_a_return_the_template_does_not_cover_is_written_by_xlsxwriter():
    packer = learnt_packer()
    school = replace(ONE, school_id="&[Picture]")  # a footer asking for an image: XlsxWriter leaves it out
    assert from_template(packer, school) == plain(school)
    assert packer.from_template == 0
    assert from_template(packer, ONE) == plain(ONE) and packer.from_template == 1


def test_a_template_that_does_not_give_the_first_returns_bytes_is_never_used(monkeypatch):
    monkeypatch.setattr(xlsxtemplate, "dimension", lambda *args: "A1:B2")
    packer = BookPacker()
    for school in (ONE, *AWKWARD_BUT_COVERED[:3]):
        assert from_template(packer, school) == plain(school)
    assert packer._template is False and packer.from_template == 0


def test_the_first_return_of_a_process_teaches_the_template_when_it_is_not_unusual(monkeypatch):
    packer = BookPacker()
    monkeypatch.setattr(returnbook, "PACKER", packer)
    long_footer = replace(ONE, school_id="&[Picture]")  # (not a footer the template covers)
    with pytest.warns(UserWarning, match="footer images"):
        assert returnbook.return_bytes(long_footer) == plain(long_footer)
    assert packer._template is None  # not learnt from a sheet it could not cover: the next one teaches it
    assert returnbook.return_bytes(ONE) == plain(ONE)
    assert packer._template and packer.from_template == 0
    assert returnbook.return_bytes(AWKWARD_BUT_COVERED[0]) == plain(AWKWARD_BUT_COVERED[0])
    assert packer.from_template == 1


FULL_CHILD = st.tuples(TEXT, TEXT, *[st.integers(0, 80_000)] * 3, st.integers(-10**13, 10**13),
                       st.integers(-10**13, 10**13), st.integers(0, 80_000), TEXT, st.integers(-3, 20))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(FULL_CHILD, CHILD), max_size=8))
def test_a_childs_row_without_blanks_written_at_once_is_the_row_written_cell_by_cell(children):
    fmt = PACKER._template.styles
    at_once, cell_by_cell = xlsxtemplate.CellSheet(), xlsxtemplate.CellSheet()
    rows = returnbook.children_xml(at_once, fmt, tuple(children), 10)
    styles = (fmt.date.xf, fmt.money.xf, fmt.integer.xf, fmt.why.xf)
    index = cell_by_cell.str_table._get_shared_string_index
    assert rows == [returnbook.child_cells(index, styles, values, r) for r, values in enumerate(children, start=11)]
    assert at_once.str_table.index == cell_by_cell.str_table.index
    assert at_once.str_table.count == cell_by_cell.str_table.count
