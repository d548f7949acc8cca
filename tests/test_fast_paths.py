"""The fast paths give what the plain ones gave (docs/performance.md, "What changed").

- A table written as ready-made XML (outputs.tablesheet.TableSheet) reads back cell for cell
  as the same table written by XlsxWriter one cell at a time.
- Pupils are counted by the statement's date of birth without a join over the census.
- The age test by a range of birth dates is the age-based year's test.
"""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import polars as pl
import pytest
from xlsxwriter.worksheet import Worksheet

from senrun.calendar import nc_year, nc_year_between
from senrun.outputs.tables import write_frame
from senrun.outputs.tablesheet import TableSheet
from senrun.outputs.xlsx import close_to_bytes, new_workbook

from builders import pupil, run, statement

AWKWARD = pl.DataFrame({
    "school_id": ["=SUM(A1)", " padded ", "a&b<c>\x01", None, "x" * 40_000, "ü_x0041_"],
    "ssa": [411523, -5, 0, None, 10**14, 99],  # money: integer pence
    "pupils": [1, 0, -3, None, 2**40, 7],
    "need": [0.1, float("nan"), None, 1e-7, 2.5e20, -0.0],
    "change_pct": [12.5, None, -0.3, 0.0, 100.0, 1 / 3],
    "paid_from": [date(2013, 4, 1), date(1900, 2, 28), date(1900, 3, 1), None, date(1899, 12, 31), date(2099, 1, 1)],
    "fsm": [True, False, None, True, False, True],
})


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
