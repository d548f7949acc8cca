"""Numbers far outside any council's, where 64-bit sums would wrap round: each is a clear error at its
cell, never a crash and never money below zero (SPEC §1: conserved to the penny; §5: bad input named)."""

from __future__ import annotations

import pytest

from builders import SCHOOLS, statement, write_run
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate
from senrun.validate import run_validation
from senrun.yearly.diff import diff_against

U1 = "B801200005001"


@pytest.mark.parametrize("column, value, shown", [("pupils", "-50", "-50"), ("pupils", "1e30", "1e+30"),
                                                  ("pupils", "6917529027641081856", "6.917529027641082e+18"),
                                                  ("pupils", "1000001", "1,000,001"),
                                                  ("pupils", "1000000.004", "1,000,000.004"), ("pupils", "-0.001", "-0.001"),
                                                  ("pupils_override", "2000000", "2,000,000")])
def test_a_pupil_count_below_zero_or_beyond_a_million_is_an_error_at_its_cell_not_a_wrapped_share(tmp_path, column,
                                                                                                value, shown):
    """Two schools of 6,917,529,027,641,081,856 pupils each ran (exit 0) with schools paid −£76,861,100.30 from a
    £1,000 pot: the count's sum wrapped round 64 bits; 10^30 stopped with "failed unexpectedly"."""
    schools = [{**s, column: ""} for s in SCHOOLS]
    schools[1][column] = value
    report = run_validation(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], schools=schools))
    [error] = report.errors
    assert (error.code, error.file, error.row, error.column) == ("bad_value", "schools.csv", 3, column)
    assert error.message == f"{shown} is not a number of pupils from 0 to 1,000,000"  # (1,000,001 was "1e+06")


def test_last_years_total_beyond_the_ceiling_is_an_error_at_its_row_not_a_diff_wrapped_round(tmp_path):
    """A schools.csv total of £92,233,720,368,547,758.07 gave a cluster's last year as −£0.04 in diff.csv; one
    penny more stopped with "failed unexpectedly (TypeError)"."""
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])
    result = allocate(load_config(config))
    for total in ("92233720368547758.07", "92233720368547758.08", "10000000000.01"):
        last = tmp_path / "last.csv"
        last.write_text(f"school_id,cluster_id,total\nA,C1,100.00\nB,C1,{total}\n", encoding="utf-8")
        with pytest.raises(SenrunError) as refused:
            diff_against(result, last)
        assert str(refused.value).startswith("last.csv › row 3 › total: (given as --previous) £") and "more than £10,000,000,000.00" in \
            str(refused.value)
    last.write_text("school_id,cluster_id,total\nA,C1,100.00\nB,C1,10000000000.00\n", encoding="utf-8")
    assert diff_against(result, last).height > 0  # the ceiling itself is an amount


def test_a_tiny_share_is_shown_as_typed_in_the_manifest_and_the_workbook_not_in_exponent_form(tmp_path):
    """`share: "0.000000000001"` was shown as 1E-12 in manifest.json and the workbook, a form no finance officer
    types."""
    import openpyxl

    from senrun.outputs import write_outputs

    formula = {"elements": [{"name": "tiny", "basis": "pupils", "share": "0.000000000001"},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    result = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], formula=formula)))
    out = write_outputs(result, tmp_path / "out", returns=False)
    assert [e.parameter for e in result.elements] == ["0.000000000001", ""]
    assert "E-12" not in (out / "manifest.json").read_text() and '"parameter": "0.000000000001"' in \
        (out / "manifest.json").read_text()
    for sheet in openpyxl.load_workbook(out / "allocations.xlsx"):
        assert not any("E-1" in str(c) for row in sheet.iter_rows(values_only=True) for c in row), sheet.title


def test_a_million_pupils_is_the_most_a_school_may_have_and_each_bad_count_is_its_own_error(tmp_path):
    schools = [{**s, "pupils": v} for s, v in zip(SCHOOLS, ["1000000", "-1", "1000001"])]
    errors = run_validation(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], schools=schools)).errors
    assert [(e.row, e.value) for e in errors] == [(3, "-1"), (4, "1,000,001")]


@pytest.mark.parametrize("total", ["-10000000000.01", "10000000000.01"])
def test_last_years_total_beyond_the_ceiling_either_way_is_refused_from_an_allocations_workbook_too(tmp_path, total):
    """The ceiling holds below zero too, and for last year's allocations.xlsx as for its schools.csv."""
    import xlsxwriter

    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])
    result = allocate(load_config(config))
    last = tmp_path / "last.csv"
    last.write_text(f"school_id,cluster_id,total\nA,C1,{total}\n", encoding="utf-8")
    with pytest.raises(SenrunError, match="more than £10,000,000,000.00"):
        diff_against(result, last)
    book = xlsxwriter.Workbook(tmp_path / "allocations.xlsx")
    sheet = book.add_worksheet("Schools")
    for r, values in enumerate([("School ID", "Cluster ID", "Total (£)"), ("A", "C1", float(total))]):
        sheet.write_row(r, 0, values)
    book.close()
    with pytest.raises(SenrunError, match=r"allocations.xlsx › Schools › row 2 › Total \(£\): .* more than £10,000,000,000.00"):
        diff_against(result, tmp_path / "allocations.xlsx")
