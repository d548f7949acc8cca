"""Fuzzing the input layer: whatever is fed to `read_input`, `load_config` or `allocate`, the only failure
is a `SenrunError`, and every issue says where it is (at least the file).  And the fast paths that read
England-scale inputs give exactly what the cell-by-cell rules give."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from datetime import date, datetime
from pathlib import Path
from unittest import mock

import polars as pl
import pytest
import yaml
from builders import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import senrun.inputs.cells
import senrun.inputs.load
from senrun.inputs.cells import IDX, _direct, _float_money, as_text, parse_cells
from senrun.config.loader import InputSpec, load_config
from senrun.errors import Issues, SenrunError
from senrun.inputs.load import read_input
from senrun.pipeline import allocate
from senrun.inputs.schema import COMPACT, COMPACT_DTYPES, DTYPES, SCHEMAS, Column, Kind

BASELINE = Path(__file__).parent / "fixtures" / "bad" / "_baseline"
#: SENRUN_FUZZ_EXAMPLES=2000 for a longer hunt than the suite's.
EXAMPLES = int(os.environ.get("SENRUN_FUZZ_EXAMPLES", examples(30, 100)))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
RUNS = settings(FUZZ, max_examples=max(10, EXAMPLES // 2))  # each example is a whole allocation

#: Cells a spreadsheet really holds: good values, near misses, blanks, Excel errors, junk.
CELLS = ["", " ", "B801200005001", "b801 2000 05001", "X12", "9262001", "9262001.0", " 0123 ", "14/11/2001",
         "2005-03-01", "31/02/2005", "12/31/1999", "01/06/2011 00:00", "37209", "9,876.54", "£12,000.00", "-5",
         "(5.00)", "1234.567", "1,2,3", "1e3", "TBC", "#N/A", "#DIV/0!", "#UNCALCULATED:=A1+B1", "N1", "R", "X",
         "15", "PSF", "ssmn", "FYS", "Managed Move", "casual", "yes", "N", "K", "true", "0", "Total", "NaN",
         "=HYPERLINK(\"x\")", "\"", "a,b", "line\nbreak", "é£€", "\t", "0" * 40]


def _text(max_size: int):
    """Any text a cell may hold; before Python 3.11 the csv module cannot write a NUL character (`need to
    escape`), so the tests could not make such a file there: on 3.10 the text has none."""
    if sys.version_info >= (3, 11):
        return st.text(max_size=max_size)
    return st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=max_size)


def _cells():
    return st.one_of(st.sampled_from(CELLS), _text(12), st.integers(-10**6, 10**12).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(str))


def _headers(name: str):
    own = [c.name for c in SCHEMAS[name]] + ["Pupil UPN", "DOB", "Date of Birth", "Annual PSF", "Notes"]
    variants = st.sampled_from(own).flatmap(lambda h: st.sampled_from([h, h.upper(), f" {h} ", h.replace("_", " ")]))
    return st.lists(st.one_of(variants, _text(10)), min_size=0, max_size=9)


def _assert_located(issues) -> None:
    """Every issue names at least a file (the run's own formula and money checks name the config)."""
    assert all(i.file for i in issues), [str(i) for i in issues if not i.file]


def _expected_dtype(name: str, col: Column) -> object:
    """The type a read table's column has: DTYPES, or a compact table's (schema.COMPACT: UPNs as
    integer keys, school ids as an Enum of the ids found, COMPACT_DTYPES)."""
    if name not in COMPACT:
        return DTYPES[col.kind]
    if col.kind == Kind.UPN:
        return pl.Int64
    if col.kind == Kind.ID:
        return pl.Enum
    return COMPACT_DTYPES.get(col.kind, DTYPES[col.kind])


def _check_table(table, name: str) -> None:
    if table is None:
        return
    for col in SCHEMAS[name]:
        if col.name in table.frame.columns:
            dtype = table.frame.schema[col.name]
            expected = _expected_dtype(name, col)
            assert (isinstance(dtype, pl.Enum) if expected is pl.Enum else dtype == expected), (col.name, table.frame.schema)
    assert table.frame["_row"].is_sorted() and (table.frame["_row"] >= 2).all()


@FUZZ
@given(name=st.sampled_from(sorted(SCHEMAS)), data=st.data(), sep=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]), title_rows=st.integers(0, 3))
def test_any_csv_gives_issues_never_an_exception(tmp_path_factory, name, data, sep, encoding, title_rows):
    headers = data.draw(_headers(name))
    rows = data.draw(st.lists(st.lists(_cells(), min_size=0, max_size=len(headers) + 2), max_size=25))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep)
    for _ in range(title_rows):
        writer.writerow(["Norfolk County Council"])
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / f"{name}.csv"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    issues = Issues()

    table = read_input(InputSpec(name, path, path.name), issues)

    _assert_located(issues.items)
    _check_table(table, name)


@FUZZ
@given(content=st.binary(max_size=3000), name=st.sampled_from(["in.csv", "in.xlsx", "in.parquet"]),
       magic=st.sampled_from([b"", b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe"]))
def test_any_bytes_give_issues_never_an_exception(tmp_path_factory, content, name, magic):
    path = tmp_path_factory.mktemp("bytes") / name
    path.write_bytes(magic + content)
    issues = Issues()

    table = read_input(InputSpec("statements", path, name), issues)

    _assert_located(issues.items)
    _check_table(table, "statements")


def _xlsx_value():
    return st.one_of(st.none(), _cells(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=False, allow_infinity=False),
                     st.booleans(), st.dates(date(1900, 3, 1), date(2099, 12, 31)))


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(SCHEMAS)), data=st.data(), first_row=st.integers(0, 3))
def test_any_workbook_gives_issues_never_an_exception(tmp_path_factory, name, data, first_row):
    import xlsxwriter

    headers = data.draw(_headers(name))
    rows = data.draw(st.lists(st.lists(_xlsx_value(), max_size=len(headers) + 1), max_size=12))
    path = tmp_path_factory.mktemp("xlsx") / f"{name}.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet("Sheet1")
    as_date = book.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, date):
                ws.write_datetime(first_row + r, c, datetime(value.year, value.month, value.day), as_date)
            elif value is not None:
                ws.write(first_row + r, c, value)
    book.close()
    issues = Issues()

    table = read_input(InputSpec(name, path, path.name), issues)

    _assert_located(issues.items)
    _check_table(table, name)


def _typed_column(height: int):
    """A column's values of one type, as a Parquet file holds them."""
    return st.sampled_from([st.floats(), st.integers(-10**12, 10**12), st.dates(date(1899, 1, 1), date(2100, 1, 1)),
                            st.booleans(), _cells()]).flatmap(
        lambda values: st.lists(st.one_of(st.none(), values), min_size=height, max_size=height))


@FUZZ
@given(name=st.sampled_from(sorted(set(SCHEMAS) - set(COMPACT))), data=st.data())
def test_a_short_table_is_read_as_a_long_one_is_to_every_value_and_message(tmp_path_factory, name, data):
    """A short table's text columns are parsed together (cells.parse_together); a long table's one by one, by
    their distinct values.  Any cells give the same table and the same issues either way."""
    headers = [c.name for c in SCHEMAS[name]]
    height = data.draw(st.integers(0, 8))
    path = tmp_path_factory.mktemp("short") / f"{name}.{data.draw(st.sampled_from(['csv', 'parquet']))}"
    if path.suffix == ".csv":
        rows = data.draw(st.lists(st.lists(_cells(), min_size=len(headers), max_size=len(headers)),
                                  min_size=height, max_size=height))
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([headers, *rows])
    else:  # typed columns as a database writes them: numbers (NaN too), dates, yes/no, text
        pl.DataFrame([pl.Series(h, data.draw(_typed_column(height))) for h in headers]).write_parquet(path)
    read = []
    for few_rows in (senrun.inputs.cells.FEW_ROWS, -1):
        issues = Issues()
        with mock.patch.object(senrun.inputs.cells, "FEW_ROWS", few_rows), \
                mock.patch.object(senrun.inputs.load, "FEW_ROWS", few_rows):
            table = read_input(InputSpec(name, path, path.name), issues)
        read.append((None if table is None else table.frame, [str(i) for i in issues.items]))
    (short, told), (long, told_long) = read
    assert told == told_long
    assert (short is None) == (long is None)
    if short is not None:
        assert short.schema == long.schema and short.equals(long, null_equal=True)


# --- the config ------------------------------------------------------------------------------------

def _load(tmp_path: Path, text: str | bytes):
    path = tmp_path / "senrun.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", errors="replace"))
    try:
        return load_config(path)
    except SenrunError as exc:
        _assert_located(exc.issues)
        return None


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_text_as_config_is_a_senrun_error_or_a_config(tmp_path_factory, text):
    _load(tmp_path_factory.mktemp("cfg"), text)


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**12), st.text(max_size=15),
                     st.floats(allow_nan=False, allow_infinity=False), st.dates(), st.sampled_from(["solve", "months"]))
_YAML_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                            max_leaves=12)


def _baseline_config() -> dict:
    return yaml.safe_load((BASELINE / "senrun.yaml").read_text())


def _key_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _key_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _key_paths(v, (*prefix, i))


@RUNS
@given(data=st.data(), how=st.sampled_from(["replace", "delete", "add"]))
def test_a_config_with_any_one_value_changed_fails_only_with_a_senrun_error(tmp_path_factory, data, how):
    """Every key path of a working config, replaced by any YAML value, deleted, or given a sibling."""
    config = _baseline_config()
    path = data.draw(st.sampled_from([p for p in _key_paths(config) if p]))
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    if how == "replace":
        parent[path[-1]] = data.draw(_YAML_VALUES)
    elif how == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(_YAML_VALUES)
    folder = tmp_path_factory.mktemp("run")
    shutil.copytree(BASELINE, folder, dirs_exist_ok=True)
    cfg = _load(folder, yaml.safe_dump(config, allow_unicode=True))
    if cfg is not None:
        try:
            allocate(cfg)
        except SenrunError as exc:
            _assert_located(exc.issues)


@RUNS
@given(data=st.data())
def test_allocate_on_an_input_with_any_cell_changed_fails_only_with_a_senrun_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("run")
    shutil.copytree(BASELINE, folder, dirs_exist_ok=True)
    name = data.draw(st.sampled_from(["schools.csv", "census.csv", "statements.csv", "moves.csv"]))
    rows = list(csv.reader(io.StringIO((folder / name).read_text())))
    for _ in range(data.draw(st.integers(1, 3))):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, len(rows[r]) - 1))
        rows[r][c] = data.draw(_cells())
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    (folder / name).write_text(buffer.getvalue())
    try:
        allocate(load_config(folder / "senrun.yaml"))
    except SenrunError as exc:
        _assert_located(exc.issues)


# --- the fast paths give what the cell-by-cell rules give --------------------------------------------

def by_distinct_values():
    """Columns of any length parsed as a long one is: by its distinct values (cells.FEW_ROWS)."""
    return mock.patch.object(senrun.inputs.cells, "FEW_ROWS", -1)


def _same(a, b) -> None:
    assert a.values.equals(b.values, check_names=False, null_equal=True), (a.values, b.values)
    assert a.bad.equals(b.bad), (a.bad, b.bad)
    blank_a = a.blank if a.blank is not None else pl.repeat(False, len(a.values), eager=True)
    blank_b = b.blank if b.blank is not None else pl.repeat(False, len(b.values), eager=True)
    assert blank_a.equals(blank_b, check_names=False)


@FUZZ
@given(kind=st.sampled_from(list(Kind)), required=st.booleans(), cells=st.lists(st.one_of(st.none(), _cells()),
                                                                                 max_size=40))
def test_parsing_by_distinct_values_is_parsing_cell_by_cell(kind, required, cells):
    name = {True: "upn", False: "fsm"}[required]  # a required column and a nullable one
    col = Column(name, kind, required=required)
    series = pl.Series(name, cells, dtype=pl.String)
    with by_distinct_values():  # (a column this short is otherwise parsed cell by cell)
        _same(parse_cells(series, col), _direct(series, col))


@FUZZ
@given(values=st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                                 st.integers(0, 10**9).map(lambda p: p / 100),
                                 st.integers(0, 10**7).map(lambda p: p / 100 * 3)), max_size=40))
def test_float_money_read_natively_is_money_read_as_text(values):
    """A Parquet float column of pounds: the numeric path gives the text path's pence and messages
    (except -0.0, which is £0.00 rather than 'negative')."""
    assume(not any(v == 0 and str(v).startswith("-") for v in values if v is not None))
    col = next(c for c in SCHEMAS["statements"] if c.name == "annual_amount")
    series = pl.Series("annual_amount", values, dtype=pl.Float64)
    _same(_float_money(series, col), _direct(as_text(series), col))


@pytest.mark.parametrize("values", [[float("nan"), 3.0, 8.0], [3.0, 8.0, float("nan")], [float("nan"), float("inf"), 3.0],
                                    [float("nan")] * 3 + [3.0] * 3])
def test_a_nan_in_a_float_column_read_by_its_distinct_values_is_a_bad_cell_with_its_message__spec_8(values):
    """A Parquet census's NC year stored as floats, one of them NaN: an error at that cell, as the cell-by-cell
    rules give it (a one-key join of Polars had missed a NaN, and `validate` stopped with a TypeError)."""
    col = next(c for c in SCHEMAS["census"] if c.kind == Kind.NC_YEAR)
    series = pl.Series(col.name, values, dtype=pl.Float64)
    with by_distinct_values():
        cells = parse_cells(series, col)
    assert cells.bad["message"].null_count() == 0 and cells.bad[IDX].to_list() == [
        i for i, v in enumerate(values) if v != 3.0 and v != 8.0]
    _same(cells, _direct(as_text(series), col))


@pytest.mark.parametrize("dtype,values", [(pl.Int64, [9262001, None, 123]), (pl.Int8, [0, 1, None, 1]),
                                          (pl.Boolean, [True, False, None]), (pl.Float64, [9262001.0, 1.5])])
def test_typed_parquet_columns_parse_as_their_text(dtype, values):
    for kind in (Kind.ID, Kind.BOOL, Kind.NUMBER, Kind.TEXT):
        col = Column("fsm", kind, required=False)
        series = pl.Series("fsm", values, dtype=dtype)
        with by_distinct_values():
            _same(parse_cells(series, col), _direct(as_text(series), col))
