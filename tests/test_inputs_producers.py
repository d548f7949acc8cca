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
