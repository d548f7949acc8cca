"""Round 2 of the input hardening (issue 14): amounts beyond the ceiling, inputs that change or are not
files, hostile YAML and numbers, workbook guards, encodings, injection through `;`, Unicode ids and
personal data kept out of messages.  Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from builders import SCHOOLS, statement, write_csv, write_run
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.money import CEILING_PENCE
from senrun.pipeline import allocate

VALID_UPN = "A123456789012"


def _errors(config: Path) -> list:
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(config))
    return caught.value.errors


def _one_statement(tmp_path: Path, annual: str) -> Path:
    return write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01", annual=annual)])


# --- point 3: money never wraps -------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["184467440737095516.16", "92233720368547758.08", "10000000000.01"])
def test_an_amount_beyond_the_ceiling_is_refused_by_name_not_wrapped(tmp_path, amount):
    errors = _errors(_one_statement(tmp_path, amount))
    assert [(e.file, e.row, e.column) for e in errors] == [("statements.csv", 2, "annual_amount")]
    assert "more than £10,000,000,000.00" in errors[0].message


def test_an_amount_at_the_ceiling_is_accepted(tmp_path):
    result = allocate(load_config(write_run(
        tmp_path, statements=[statement(VALID_UPN, "2005-06-01", annual="10000000000.00")],
        budget={"pupil_specific_pot": 10_000_000_000},
        formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}]})))
    assert int(result.psf["annual_amount"].max()) == CEILING_PENCE


def test_amounts_each_within_the_ceiling_but_totalling_beyond_it_are_refused(tmp_path):
    rows = [statement(f"A12345678901{i}", "2005-06-01", annual="6000000000.00") for i in range(2)]
    errors = _errors(write_run(tmp_path, statements=rows))
    assert [e.code for e in errors] == ["too_large"]
    assert errors[0].column == "annual_amount" and "add up to £12,000,000,000.00" in errors[0].message


def test_a_parquet_int64_amount_of_two_to_the_62_is_refused_not_read_as_zero(tmp_path):
    config = _one_statement(tmp_path, "1.00")
    frame = pl.read_csv(tmp_path / "statements.csv", infer_schema=False)
    frame.with_columns(pl.lit(2 ** 62, dtype=pl.Int64).alias("annual_amount")).write_parquet(tmp_path / "st.parquet")
    _point_at(config, "statements", "st.parquet")
    errors = _errors(config)
    assert [(e.row, e.column) for e in errors] == [(2, "annual_amount")]
    assert "more than £10,000,000,000.00" in errors[0].message


def _point_at(config: Path, name: str, file: str) -> None:
    raw = yaml.safe_load(config.read_text())
    raw["inputs"][name]["path"] = file
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


def _config_errors(config: Path) -> list:
    with pytest.raises(SenrunError) as caught:
        load_config(config)
    return caught.value.errors


@pytest.mark.parametrize("value", ["1e400", "1e999999999", "100000000000", "9" * 5000])
def test_a_config_amount_beyond_the_ceiling_is_a_clear_error(tmp_path, value):
    config = _one_statement(tmp_path, "1.00")
    config.write_text(config.read_text().replace("pupil_specific_pot: 1000000", f"pupil_specific_pot: {value}"))
    errors = _config_errors(config)
    assert [e.column for e in errors] == ["budget.pupil_specific_pot"]
    assert "more than £10,000,000,000.00" in errors[0].message


@pytest.mark.parametrize("value", ["1e400", "1e999999999", "inf", "NaN", ".inf"])
def test_a_rate_of_1e400_or_inf_is_a_clear_error(tmp_path, value):
    config = _one_statement(tmp_path, "1.00")
    config.write_text(config.read_text().replace("rate: 10", f"rate: {value}"))
    errors = _config_errors(config)
    assert len(errors) == 1 and errors[0].row is not None
    assert "too large" in errors[0].message or "not a" in errors[0].message


@pytest.mark.parametrize("value", ["1e999999999", "1e400", "inf", "NaN", "9" * 5000])
def test_a_set_value_of_1e999999999_or_inf_is_a_clear_error(tmp_path, value):
    from senrun.config.overlay import sweep_scenarios

    cfg = load_config(_one_statement(tmp_path, "1.00"))
    for key in ("lump_sum.rate", "budget.pupil_specific_pot"):
        with pytest.raises(SenrunError) as caught:
            sweep_scenarios(cfg, [f"{key}={value}"])
        assert len(caught.value.errors) == 1


# --- point 9: clear errors, not "failed unexpectedly" ----------------------------------------------

@pytest.mark.parametrize("value", ["inf", "NaN", "1e308", "-inf"])
def test_inf_nan_or_1e308_in_a_need_column_is_named_by_row(tmp_path, value):
    schools = [{**s, "deprivation": "1"} for s in SCHOOLS]
    schools[1]["deprivation"] = value
    config = write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01")], schools=schools,
                       formula={"elements": [{"name": "need", "basis": "column:deprivation", "rate": 1},
                                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    errors = _errors(config)
    assert [(e.file, e.row, e.column) for e in errors] == [("schools.csv", 3, "deprivation")]
