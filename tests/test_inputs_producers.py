"""Inputs as other programs write them (SPEC §5, §8): each is read exactly, or refused at its file, row and column."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from senrun.config.loader import InputSpec
from senrun.errors import Issues
from senrun.inputs.load import read_input

STATEMENTS = {"upn": ["B801200005001", "B801200005002"], "date_of_birth": ["2002-08-31"] * 2,
              "statement_date": ["2010-03-01"] * 2, "school_id": ["A"] * 2}


def read(path: Path, name: str = "statements"):
    """Read one input as senrun does; return (table, issues)."""
    issues = Issues()
    return read_input(InputSpec(name, path, path.name), issues), issues


def test_a_half_precision_money_column_is_refused_at_each_cell_never_read_rounded_spec_1_and_5(tmp_path):
    """SPEC §1, §5: a float16 keeps about three significant digits, so 17854.79 is held as 17856.0 and had been
    paid as £17,856.00 with no word; no amount of money can be trusted to the penny in such a column."""
    path = tmp_path / "s.parquet"
    pl.DataFrame({**STATEMENTS, "annual_amount": pl.Series([17854.79, 12.5], dtype=pl.Float16)}).write_parquet(path)
    _, issues = read(path)
    assert [(i.row, i.column) for i in issues.errors] == [(2, "annual_amount"), (3, "annual_amount")]
    assert all("half-precision (float16)" in i.message for i in issues.errors)
    assert "it holds 17856.0 here" in issues.errors[0].message
    assert {i.file for i in issues.errors} == {"s.parquet"}


def _zone_relabelled(data: bytes, old: bytes, new: bytes) -> bytes:
    """A Parquet file with its date-time column's zone name changed in the Arrow schema the footer carries."""
    import base64
    import re

    encoded = re.search(rb"ARROW:schema.{0,8}?([A-Za-z0-9+/=]{16,})", data, re.S).group(1)
    relabelled = base64.b64encode(base64.b64decode(encoded).replace(old, new))
    assert len(relabelled) == len(encoded)
    return data.replace(encoded, relabelled)


def test_a_parquet_date_time_labelled_with_a_zone_polars_does_not_know_is_read_as_its_date_in_england_spec_5(tmp_path):
    """SPEC §5, §8: a date-of-birth column labelled "BST" (not a zone name Polars knows) made the run stop with a
    Rust panic and no file, row or column; Parquet holds its values in UTC, so midnight of 1 September 2005
    in summer time (23:00 UTC on 31 August) is 1 September, as in any other zone."""
    from datetime import date, datetime

    path = tmp_path / "s.parquet"
    moments = pl.Series([datetime(2005, 8, 31, 23), datetime(2002, 1, 5)]).dt.replace_time_zone("UTC")
    pl.DataFrame({**STATEMENTS, "date_of_birth": moments.dt.convert_time_zone("EST"),
                  "annual_amount": [1234.5, 10.0]}).write_parquet(path)
    path.write_bytes(_zone_relabelled(path.read_bytes(), b"EST", b"BST"))
    table, issues = read(path)
    assert not issues.errors, [str(i) for i in issues.errors]
    assert table.frame["date_of_birth"].to_list() == [date(2005, 9, 1), date(2002, 1, 5)]
    assert table.frame["annual_amount"].to_list() == [123450, 1000]


def test_a_need_column_of_float_shares_below_a_tenth_is_taken_to_15_places_not_refused__spec_1(tmp_path):
    """A Parquet float column of each school's share of a total (1/30, 7/150) shows 15 significant digits over 16
    places, as Excel shows the same shares: every such row was refused ("at most 15 decimal places") where a
    workbook of the same figures ran. A float is taken to 15 significant digits and at most 15 places."""
    from datetime import date
    from types import SimpleNamespace

    from senrun.bases import parse_need_column

    period = SimpleNamespace(period_start=date(2013, 4, 1), period_end=date(2014, 3, 31))
    path = tmp_path / "schools.parquet"
    pl.DataFrame({"school_id": ["1", "2", "3", "4", "5"], "school_name": ["A", "B", "C", "D", "E"],
                  "cluster_id": ["K"] * 5,
                  "need_index": [1 / 30, 7 / 150, 0.5, 0.02283393501805054, 12 / 131]}).write_parquet(path)
    table, issues = read(path, "schools")
    parse_need_column(table, "need_index", issues, period)
    assert not issues.errors, [str(i) for i in issues.errors]
    # (rounded once, to 15 places, from the float's exact value: to 15 digits first, then to places, gave
    # 0.02283393501805, and Polars' rounding to places, through a product, gave 12/131 as …114)
    assert table.frame["need_index"].to_list() == ["0.033333333333333", "0.046666666666667", "0.5",
                                                   "0.022833935018051", "0.091603053435115"]


def test_a_single_precision_need_column_below_a_tenth_is_read_as_its_shortest_text_as_a_csv_of_it_holds__spec_1(
        tmp_path):
    """A float32 need share 0.05 was read from the double it widens to, 0.050000000745058, where a CSV written
    from the column holds 0.05: eight schools of the la sample a penny apart by the format alone. A single-precision
    float is read as its shortest text, as float32 money is."""
    from datetime import date
    from types import SimpleNamespace

    from senrun.bases import parse_need_column

    period = SimpleNamespace(period_start=date(2013, 4, 1), period_end=date(2014, 3, 31))
    path = tmp_path / "schools.parquet"
    pl.DataFrame({"school_id": ["1", "2", "3"], "school_name": ["A", "B", "C"], "cluster_id": ["K"] * 3,
                  "need_index": pl.Series([0.05, 0.027657, 0.3], dtype=pl.Float32)}).write_parquet(path)
    table, issues = read(path, "schools")
    parse_need_column(table, "need_index", issues, period)
    assert not issues.errors and table.frame["need_index"].to_list() == ["0.05", "0.027657", "0.3"]


def test_a_need_column_stored_as_a_wide_decimal_is_used_exactly_not_refused_for_its_trailing_zeros_spec_1(tmp_path):
    """SPEC §1: need values are used to every digit as written.  A warehouse's decimal(38, 18) column (Spark's
    default scale) holds 84.5 as 84.500000000000000000: refused as "more than 15 decimal places", though its
    value has one; a true sixteenth decimal place is still refused, at its row and column."""
    from datetime import date
    from decimal import Decimal
    from types import SimpleNamespace

    from senrun.bases import parse_need_column

    period = SimpleNamespace(period_start=date(2013, 4, 1), period_end=date(2014, 3, 31))

    path = tmp_path / "schools.parquet"
    need = pl.Series([Decimal("84.5"), Decimal("100"), Decimal("0.123456789012345")], dtype=pl.Decimal(38, 18))
    pl.DataFrame({"school_id": ["1", "2", "3"], "school_name": ["A", "B", "C"], "cluster_id": ["K"] * 3,
                  "need_index": need}).write_parquet(path)
    table, issues = read(path, "schools")
    parse_need_column(table, "need_index", issues, period)
    assert not issues.errors, [str(i) for i in issues.errors]
    assert [Decimal(v) for v in table.frame["need_index"]] == [Decimal("84.5"), 100, Decimal("0.123456789012345")]
    pl.DataFrame({"school_id": ["1"], "school_name": ["A"], "cluster_id": ["K"],
                  "need_index": pl.Series([Decimal("0.1234567890123456")], dtype=pl.Decimal(38, 18))}).write_parquet(path)
    table, issues = read(path, "schools")
    parse_need_column(table, "need_index", issues, period)
    [issue] = issues.errors
    assert (issue.file, issue.row, issue.column) == ("schools.parquet", 2, "need_index") and "15 decimal" in issue.message


def test_two_columns_whose_headers_differ_only_in_capitals_or_spaces_are_an_error_not_the_first_read_spec_8(tmp_path):
    """SPEC §5, §8: a warehouse table with 'Annual Amount' beside 'annual_amount ' (a trailing space, kept by
    Parquet) had the first read with no word, whichever held the figures, as a column headed twice is not."""
    from decimal import Decimal

    path = tmp_path / "s.parquet"
    amounts = {"Annual Amount": [Decimal("1.00"), Decimal("2.00")], "annual_amount ": [Decimal("1234.50"), Decimal("10")]}
    pl.DataFrame({**amounts, **STATEMENTS}).write_parquet(path)
    _, issues = read(path)
    [issue] = issues.errors
    assert (issue.code, issue.file, issue.column) == ("duplicate_column", "s.parquet", "Annual Amount")
    assert "'Annual Amount' and 'annual_amount '" in issue.message
    csv = tmp_path / "s.csv"
    csv.write_text("UPN,upn,date_of_birth,statement_date,school_id,annual_amount\n"
                   "B801200005001,B801200005002,2002-08-31,2010-03-01,A,10\n")
    _, issues = read(csv)
    assert [(i.code, i.column) for i in issues.errors] == [("duplicate_column", "UPN")]
    csv.write_text("Pupil UPN,upn,date_of_birth,statement_date,school_id,annual_amount\n"  # a mapped header wins, as before
                   "B801200005001,B801200005002,2002-08-31,2010-03-01,A,10\n")
    issues = Issues()
    table = read_input(InputSpec("statements", csv, csv.name, columns=(("Pupil UPN", "upn"),)), issues)
    assert not issues.errors and table.frame["upn"].to_list() == ["B801200005001"]


def test_a_half_precision_pupils_or_need_column_is_refused_never_read_to_three_digits_spec_1_and_8(tmp_path):
    """SPEC §1, §8: a float16 holds 2101 as 2100 and 76.4 as 76.375; a pupils column (a school's count) and a
    need column of that type had been read at those values, moving the formula's money with no word."""
    from datetime import date
    from types import SimpleNamespace

    from senrun.bases import parse_need_column

    path = tmp_path / "schools.parquet"
    pl.DataFrame({"school_id": ["1", "2"], "school_name": ["A", "B"], "cluster_id": ["K"] * 2,
                  "pupils": pl.Series([2101, None], dtype=pl.Float16),
                  "need_index": pl.Series([76.4, 1.0], dtype=pl.Float16)}).write_parquet(path)
    table, issues = read(path, "schools")
    assert [(i.file, i.row, i.column, i.value) for i in issues.errors] == [("schools.parquet", 2, "pupils", "2100.0")]
    assert "half-precision (float16)" in issues.errors[0].message
    period = SimpleNamespace(period_start=date(2013, 4, 1), period_end=date(2014, 3, 31))
    issues = Issues()
    parse_need_column(table, "need_index", issues, period)
    [issue] = issues.errors
    assert (issue.file, issue.column) == ("schools.parquet", "need_index") and "float16" in issue.message
