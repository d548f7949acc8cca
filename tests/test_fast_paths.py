"""The fast paths give what the plain ones gave (docs/performance.md, "What changed").

- A table written as ready-made XML (outputs.tablesheet.TableSheet) reads back cell for cell
  as the same table written by XlsxWriter one cell at a time.
- Pupils are counted by the statement's date of birth without a join over the census.
- The age test by a range of birth dates is the age-based year's test.
- A return written from the sheet template (outputs.xlsxtemplate), or packaged from the kept
  parts of an earlier one (outputs.xlsxfast), is byte for byte the workbook XlsxWriter writes
  for it; a workbook of another shape is left to XlsxWriter.  So is every cluster pack, written
  from the template of its workbook or, with the template refused, by XlsxWriter.
- A workbook whose parts are compressed on two threads, its sheets in pieces as they are
  written, is byte for byte what XlsxWriter writes; so is a table's XML made a few rows at a time.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from xlsxwriter.worksheet import Worksheet

from senrun.calendar import nc_year, nc_year_between
from senrun.outputs.tables import write_frame
from senrun.outputs.tablesheet import TableSheet
from senrun.config.loader import load_config
from senrun.outputs import returnbook
from senrun.outputs.returnbook import SchoolReturn, return_bytes
from senrun.outputs.returns import plan_returns
from senrun.outputs.xlsx import close_to_bytes, new_workbook
from senrun.outputs.xlsxfast import FastReturnPacker
from senrun.outputs.xlsxpack import BookPacker
from senrun.pipeline import allocate

from builders import ONE_RETURN as ONE, pupil, run, statement

AWKWARD = pl.DataFrame({
    "school_id": ["=SUM(A1)", " padded ", "a&b<c>\x01", None, "x" * 40_000, "ü_x0041_"],
    "ssa": [411523, -5, 0, None, 10**14, 99],  # money: integer pence
    "pupils": [1, 0, -3, None, 2**40, 7],
    "need": [0.1, float("nan"), None, 1e-7, 2.5e20, -0.0],
    "change_pct": [12.5, None, -0.3, 0.0, 100.0, 1 / 3],
    "paid_from": [date(2013, 4, 1), date(1900, 2, 28), date(1900, 3, 1), None, date(1899, 12, 31), date(2099, 1, 1)],
    "fsm": [True, False, None, True, False, True],
})


@pytest.fixture(autouse=True)
def xml_for_any_table(monkeypatch):
    """The tables here are small: written as XML all the same, as the large ones of a real run are."""
    from senrun.outputs import tables

    monkeypatch.setattr(tables, "XML_FROM_ROWS", 1)


def cells(sheet_class: type[Worksheet], frame: pl.DataFrame) -> list[list[tuple]]:
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, "t")
    write_frame(book.add_worksheet("T", worksheet_class=sheet_class), frame, fmt)
    ws = openpyxl.load_workbook(io.BytesIO(close_to_bytes(book, buffer)))["T"]
    assert ws.freeze_panes == "A2"
    return [[(c.value, c.number_format, c.data_type) for c in row] for row in ws.iter_rows()]


def test_a_table_written_as_xml_reads_back_as_the_table_written_cell_by_cell():
    plain = AWKWARD.with_columns(pl.col("need").fill_nan(None))  # XlsxWriter cannot write NaN
    assert cells(TableSheet, AWKWARD) == cells(Worksheet, plain)


def test_texts_added_to_the_shared_strings_in_bulk_take_the_indexes_cell_by_cell_writing_gives_them():
    """A column of texts none of them near Excel's limit is added to the workbook's shared strings
    at once (tables.shared_string_indexes); the table of strings is the one XlsxWriter makes writing
    the cells one by one, across columns and a sheet written before."""
    frame = pl.DataFrame({"a": ["x", "y", None, "x", "a&b", "z"], "b": ["z", "new", "y", None, "new", " w "]})

    def parts(sheet_class: type[Worksheet]) -> tuple[bytes, list[list]]:
        buffer = io.BytesIO()
        book, fmt = new_workbook(buffer, "t")
        book.add_worksheet("First").write_string(0, 0, "y")  # a string already in the table
        write_frame(book.add_worksheet("T", worksheet_class=sheet_class), frame, fmt)
        data = close_to_bytes(book, buffer)
        rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(data))["T"].iter_rows()]
        return zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml"), rows

    assert parts(TableSheet) == parts(Worksheet)


def test_a_shared_string_table_without_xlsxwriters_internals_is_added_to_one_text_at_a_time():
    from xlsxwriter.sharedstrings import SharedStringTable

    from senrun.outputs.tables import shared_string_indexes

    class PublicOnly:  # what is left if XlsxWriter renamed its table's attributes
        def __init__(self):
            self._real, self.count = SharedStringTable(), 0

        def _get_shared_string_index(self, text):
            self.count += 1
            return self._real._get_shared_string_index(text)

    column = pl.Series("a", ["x", "y", None, "x", "z"])
    bulk, single = SharedStringTable(), PublicOnly()
    for table in (bulk, single):
        table._get_shared_string_index("y")
    assert shared_string_indexes(bulk, column).to_list() == shared_string_indexes(single, column).to_list() == [
        1, 0, None, 1, 2]
    assert bulk.count == single.count == 5


def test_a_table_written_a_few_rows_at_a_time_is_the_table_written_at_once(monkeypatch):
    """A large table's XML is made and written PART_ROWS rows at a time (tables.XmlRows): the
    workbook is byte for byte the one written with every row in one part."""
    from senrun.outputs import tables, tablesheet

    frame = pl.concat([AWKWARD] * 4).with_row_index("n").with_columns(pl.col("n").cast(pl.Int64))

    def written() -> bytes:
        buffer = io.BytesIO()
        book, fmt = new_workbook(buffer, "t")
        write_frame(book.add_worksheet("T", worksheet_class=TableSheet), frame, fmt)
        return close_to_bytes(book, buffer)

    whole = written()
    for rows in (1, 5, 7):
        monkeypatch.setattr(tables, "PART_ROWS", rows)
        monkeypatch.setattr(tablesheet, "PART_ROWS", rows)
        assert written() == whole


def test_rows_made_a_slice_at_a_time_are_the_rows_made_at_once(monkeypatch):
    from senrun.outputs import tables

    monkeypatch.setattr(tables, "PART_ROWS", 4)
    columns = [(pl.Series(["a", None, "c"] * 5), None, "s"), (pl.Series(list(range(15))), 3, "")]
    rows = tables.cells_xml(2, 1, columns)
    assert isinstance(rows, tables.XmlRows)
    at_once = rows._body.select(rows._xml).get_column("xml").to_list()
    assert list(rows) == at_once and len(rows) == 15
    assert [len(part) for part in rows.parts()] == [4, 4, 4, 3]
    assert rows[0] == '<c r="B3" t="s"><v>a</v></c><c r="C3" s="3"><v>0</v></c>'
    assert rows[-1] == at_once[-1] and rows[5] == at_once[5]
    assert list(rows[5:11]) == at_once[5:11] and list(rows[5:11][1:3]) == at_once[6:8]
    assert [len(p) for p in rows[5:11].parts()] == [4, 2] and len(rows[12:99]) == 3 and not rows[9:2]
    assert rows[::2] == at_once[::2]
    with pytest.raises(IndexError):
        rows[15]


def test_xml_rows_and_ordinary_cells_may_not_share_a_row():
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, "t")
    ws = book.add_worksheet("T", worksheet_class=TableSheet)
    ws.put_cells(1, 0, 0, ['<c r="A2"><v>1</v></c>'])
    ws.write_string(1, 3, "clash")
    with pytest.raises(ValueError, match="row 2"):
        close_to_bytes(book, buffer)


@pytest.mark.parametrize("on", [date(2013, 1, 17), date(2013, 9, 1), date(2012, 8, 31)])
def test_the_age_test_by_birth_dates_is_the_age_based_years_test(on):
    days = pl.DataFrame({"dob": pl.date_range(date(1995, 1, 1), date(2012, 12, 31), eager=True)})
    for lo, hi in [(0, 11), (0, 6), (7, 7), (-2, 13), (5, 4)]:
        slow = days.select(nc_year(pl.col("dob"), on).is_between(lo, hi))
        fast = days.select(nc_year_between(pl.col("dob"), on, lo, hi))
        assert slow.to_series().to_list() == fast.to_series().to_list(), (on, lo, hi)


def test_pupils_are_counted_by_the_statements_date_of_birth(tmp_path):
    # census date 17/01/2013, years 0–11: born 01/09/2001 – 31/08/2008
    census = [pupil("A0000000001", "A", "2005-01-01"),  # counted either way
              pupil("A0000000002", "A", "2009-01-01"),  # too young by the census; the statement makes it Year 3
              pupil("A0000000003", "B", "2005-01-01"),  # counted by the census; the statement makes it nursery
              pupil("A0000000004", "B", "2009-01-01"),  # too young, no statement
              pupil("A0000000005", "X", "2005-01-01")]  # a school outside the schools input: never counted
    statements = [statement("A0000000002", "2005-06-01", "A"), statement("A0000000002", "2005-06-01", "A",
                                                                         stream="SSMN"),
                  statement("A0000000003", "2010-06-01", "B"), statement("A0000000005", "2005-06-01", "A")]
    result = run(tmp_path, statements=statements, census=census)
    pupils = dict(result.schools.select("school_id", "pupils").iter_rows())
    assert pupils == {"A": 2, "B": 0, "H": 0}


ROOT = Path(__file__).resolve().parents[1]


def plain_return(school: SchoolReturn) -> bytes:
    """A school's return as XlsxWriter alone writes it (`Workbook.close`)."""
    book, buffer, ws, fmt = returnbook.new_return_book(returnbook.return_title(school))
    returnbook.draw_return(ws, fmt, school)
    book.close()
    return buffer.getvalue()


def both_ways(schools: list[SchoolReturn], monkeypatch, template: bool = True) -> tuple[list[bytes], list[bytes],
                                                                                        BookPacker]:
    """Each school's return written by one packer in turn (from the sheet template, or with
    `template=False` from the kept parts of XlsxWriter's first package), and by XlsxWriter alone."""
    packer = BookPacker()
    if not template:
        packer._template = False  # as when the first return did not give a template
    monkeypatch.setattr(returnbook, "PACKER", packer)
    fast = [return_bytes(s) for s in schools]
    return fast, [plain_return(s) for s in schools], packer


@pytest.fixture(scope="module")
def la_result():
    return allocate(load_config(ROOT / "config" / "senrun.yaml"))


@pytest.fixture(scope="module")
def la_returns(la_result) -> tuple[list[SchoolReturn], list[bytes]]:
    """Every return of the la sample, and each as XlsxWriter alone writes it (made once for both packers)."""
    schools = [school for chunk in plan_returns(la_result, 10_000) for school in chunk_schools(chunk)]
    return schools, [plain_return(s) for s in schools]


@pytest.mark.parametrize("template", [True, False], ids=["sheet template", "kept parts"])
def test_every_return_of_the_la_sample_is_byte_for_byte_what_xlsxwriter_writes(la_result, la_returns, monkeypatch,
                                                                                template):
    schools, plain = la_returns
    packer = BookPacker()
    if not template:
        packer._template = False  # as when the first return did not give a template
    monkeypatch.setattr(returnbook, "PACKER", packer)
    fast = [return_bytes(s) for s in schools]
    if template:
        assert packer.from_template == len(schools) - 1, "a return was not written from the template"
    else:
        assert packer.from_template == 0 and packer._fast._shape is not None, "the kept parts were never used"
    assert len(fast) == la_result.schools.height
    for school, a, b in zip(schools, fast, plain):
        assert a == b, school.file_name
    with zipfile.ZipFile(io.BytesIO(fast[-1])) as z:
        assert z.testzip() is None


@pytest.mark.parametrize("template", [True, False], ids=["workbook template", "template refused"])
def test_every_cluster_pack_of_the_committed_sample_is_byte_for_byte_what_xlsxwriter_writes(monkeypatch, template):
    from senrun.outputs import packbook
    from senrun.outputs.clusterpack import plan_packs

    from test_pack_template import plain

    tasks = plan_packs(allocate(load_config(ROOT / "sample_data" / "senrun.yaml")))
    packer = BookPacker()
    if not template:
        packer._template = False  # as when the first pack did not give a template
    monkeypatch.setattr(packbook, "PACKER", packer)
    fast = packbook.build_pack_chunk(packbook.PackChunk(tuple(tasks[:1]))) + \
        packbook.build_pack_chunk(packbook.PackChunk(tuple(tasks[1:])))
    assert packer.from_template == (len(tasks) - 1 if template else 0)
    assert len(fast) == len(tasks) > 1
    for task, (name, data) in zip(tasks, fast):
        assert name == task.file_name and data == plain(task), name
    assert [packbook.pack_bytes(task) for task in tasks[:2]] == [data for _, data in fast[:2]]
    with zipfile.ZipFile(io.BytesIO(fast[-1][1])) as z:
        assert z.testzip() is None and len([n for n in z.namelist() if n.startswith("xl/worksheets/")]) == 4


def chunk_schools(chunk) -> list[SchoolReturn]:
    lines = list(zip(*chunk.children))
    out, at = [], 0
    for *fields, count in chunk.schools:
        out.append(SchoolReturn(*fields, children=tuple(lines[at:at + count])))
        at += count
    return out




@pytest.mark.parametrize("later", [
    replace(ONE, school_id="S2", children=()),  # no child: the date format is never used
    replace(ONE, school_id="=SUM(A1)", school_name="ü\x01" + "x" * 40_000, cluster_name=None),
    replace(ONE, ssa=None, psf=-1, elements=(("Need", "the schools' need column", "41.5", None, 0),
                                             ("Other", "x", None, "n/a", None))),
    replace(ONE, previous_total=0, school_name=None),  # new this year, no name
])
@pytest.mark.parametrize("template", [True, False], ids=["sheet template", "kept parts"])
def test_a_later_return_packaged_from_kept_parts_is_what_xlsxwriter_writes(later, template, monkeypatch):
    fast, plain, packer = both_ways([ONE, later], monkeypatch, template)
    assert packer.from_template == (1 if template else 0)
    assert fast == plain
    ws = openpyxl.load_workbook(io.BytesIO(fast[1]))["Return"]
    assert (ws["A3"].value, ws["B3"].value) == ("School ID", later.school_id)


def test_a_return_whose_heading_has_other_lines_repeats_its_own_header_row_from_the_template(monkeypatch):
    # A return with other heading lines puts its children's header elsewhere, which its printed pages repeat: the
    # template writes that row into the workbook part, as XlsxWriter does.
    later = replace(ONE, contact=None, issued=None)
    fast, plain, packer = both_ways([ONE, later], monkeypatch, True)
    assert packer.from_template == 1 and fast == plain
    titles = []
    for data in fast:
        ws = openpyxl.load_workbook(io.BytesIO(data))["Return"]
        titles.append((ws.print_title_rows, ws[ws.print_title_rows.split(":")[0].replace("$", "A")].value))
    assert [upn for _, upn in titles] == ["UPN", "UPN"] and titles[0][0] != titles[1][0]


def test_a_workbook_of_another_shape_is_left_to_xlsxwriter():
    packer = FastReturnPacker()
    books = []
    for extra_sheet in (False, True, False):
        buffer = io.BytesIO()
        book, fmt = new_workbook(buffer, "t")
        book.add_worksheet("Return").write_string(0, 0, "x", fmt.bold)
        if extra_sheet:
            book.add_worksheet("More").write_number(0, 0, 1, fmt.money)
        books.append(packer.pack(book, buffer))
    with zipfile.ZipFile(io.BytesIO(books[1])) as z:
        assert "xl/worksheets/sheet2.xml" in z.namelist()
    assert books[0] == books[2]
    assert openpyxl.load_workbook(io.BytesIO(books[1])).sheetnames == ["Return", "More"]


def test_the_allocation_workbook_packed_on_threads_is_byte_for_byte_what_xlsxwriter_writes(la_result, monkeypatch):
    from senrun.outputs import workbook, xlsxpack

    assert xlsxpack.fallback_reason() is None, "the fast path is not in use"
    packed = workbook.workbook_bytes(la_result)
    monkeypatch.setattr(xlsxpack, "pack", lambda book, buffer: close_to_plain(book, buffer))
    assert packed == workbook.workbook_bytes(la_result)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_workbook_with_large_and_small_parts_packed_on_threads_is_what_xlsxwriter_writes(threads, monkeypatch):
    from senrun.outputs import xlsxfast

    def book_with_a_chart() -> tuple:
        buffer = io.BytesIO()
        book, fmt = new_workbook(buffer, "t")
        ws = book.add_worksheet("Big")
        for r in range(3_000):  # a sheet part over xlsxfast.THREAD_FROM
            ws.write_row(r, 0, [f"school {r}", r * 1.5, "x" * (r % 7)])
        chart = book.add_chart({"type": "column"})
        chart.add_series({"values": "=Big!$B$1:$B$10"})
        book.add_worksheet("Chart").insert_chart("A1", chart)
        return book, buffer

    book, buffer = book_with_a_chart()
    assert max(len(d) for _, d in xlsxfast._parts(book)) >= xlsxfast.THREAD_FROM
    book, buffer = book_with_a_chart()
    packed = xlsxfast.fast_pack(book, buffer, threads=threads)
    book, buffer = book_with_a_chart()
    assert packed == close_to_plain(book, buffer)


def test_sheets_compressed_as_they_are_written_are_what_xlsxwriter_writes(monkeypatch):
    """fast_pack compresses each sheet as it is written, in pieces (DeflatingText), never holding
    its whole XML: with pieces of a few hundred characters, the package is still byte for byte
    XlsxWriter's."""
    from senrun.outputs import xlsxfast

    monkeypatch.setattr(xlsxfast.DeflatingText, "BATCH", 300)
    monkeypatch.setattr(xlsxfast.DeflatingText, "AHEAD", 1)

    def book_of_tables() -> tuple:
        buffer = io.BytesIO()
        book, fmt = new_workbook(buffer, "t")
        big = pl.concat([AWKWARD] * 50).with_columns(pl.col("need").fill_nan(None))
        write_frame(book.add_worksheet("Big", worksheet_class=TableSheet), big, fmt)
        book.add_worksheet("Small")
        for r in range(200):
            book.worksheets()[1].write_row(r, 0, [f"school {r}", r * 1.5])
        return book, buffer

    book, buffer = book_of_tables()
    packed = xlsxfast.fast_pack(book, buffer, threads=2)
    book, buffer = book_of_tables()
    assert packed == close_to_plain(book, buffer)
    with pytest.raises(TypeError):
        xlsxfast.DeflatingText("xl/worksheets/sheet1.xml", None).getvalue()


def close_to_plain(book, buffer) -> bytes:
    book.close()
    return buffer.getvalue()


def test_shared_strings_written_the_quick_way_are_what_xlsxwriter_writes():
    from io import StringIO

    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    from senrun.outputs.xlsxfast import QuickStrings

    awkward = ["plain", "_x0041_", "a_x00zz_b", " lead", "trail ", "trail\n", "a&b", 'say "hi"', "<r>rich</r>",
               "<b>", "1 > 0", "\x01ctl", "tab\tin", "new\nline", "\ufffe", "\uffff", "é ü ß", "\u00a0nbsp",
               "nbsp\u2003", "", "=SUM(A1)", "plain again", "x" * 5000, "Ash & Elm <Primary>"]
    table = SharedStringTable()
    for text in awkward:
        table._get_shared_string_index(text)
    table._sort_string_data()

    def written(cls) -> str:
        part = cls()
        part.string_table = table
        out = StringIO()
        part._set_xml_writer(out)
        part._assemble_xml_file()
        return out.getvalue()

    assert written(QuickStrings) == written(SharedStrings)


def test_xml_tables_side_by_side_of_different_heights_read_back_as_cells_written_one_by_one():
    import re

    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    # (first row, first column, rows, columns): beside each other, overlapping in part, and one alone below
    tables = [(1, 0, 6, 2), (2, 3, 2, 1), (1, 5, 3, 2), (12, 0, 2, 3)]

    def value(r: int, c: int) -> int:
        return 100 * r + c

    def xml_rows(first: int, col: int, nrows: int, ncols: int) -> list[str]:
        return ["".join(f'<c r="{xl_rowcol_to_cell(r, c)}"><v>{value(r, c)}</v></c>' for c in range(col, col + ncols))
                for r in range(first, first + nrows)]

    def read_back(as_xml: bool) -> list[tuple]:
        buffer = io.BytesIO()
        book, _ = new_workbook(buffer, "t")
        ws = book.add_worksheet("T", worksheet_class=TableSheet)
        ws.write_string(0, 0, "title")
        ws.write_string(9, 0, "between")
        for first, col, nrows, ncols in tables:
            if as_xml:
                ws.put_cells(first, col, col + ncols - 1, xml_rows(first, col, nrows, ncols))
            else:
                for r in range(first, first + nrows):
                    for c in range(col, col + ncols):
                        ws.write_number(r, c, value(r, c))
        data = close_to_bytes(book, buffer)
        if as_xml:  # Excel wants rows, and cells within a row, in order
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
            rows = [int(r) for r in re.findall(r'<row r="(\d+)"', sheet_xml)]
            assert rows == sorted(set(rows))
            for row in re.findall(r"<row [^>]*>(.*?)</row>", sheet_xml):
                refs = [xl_cell_to_rowcol(ref)[1] for ref in re.findall(r'<c r="([A-Z]+\d+)"', row)]
                assert refs == sorted(set(refs))
        sheet = openpyxl.load_workbook(io.BytesIO(data))["T"]
        return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]

    assert read_back(True) == read_back(False)
