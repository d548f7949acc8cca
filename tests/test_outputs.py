"""The output files of a run: CSVs, allocations.xlsx, returns, manifest (SPEC §6)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senrun.errors import SenrunError
from senrun.outputs import common, manifest, returns, write_outputs
from senrun.outputs.csvs import csv_bytes, pounds_expr

from outputs_fixture import SCHOOLS, assemble, LINES, build_diff, build_result

CURRENCY = "£#,##0.00;-£#,##0.00"


@pytest.fixture(scope="module")
def result():
    return build_result()


@pytest.fixture(scope="module")
def out(result, tmp_path_factory) -> Path:
    """One full run's outputs, with a diff, written once for the read-only tests."""
    folder = tmp_path_factory.mktemp("run") / "out"
    write_outputs(result, folder, diff=build_diff(), jobs=1)
    return folder


def csv_rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]


# --- CSVs -----------------------------------------------------------------------------

def test_the_csvs_have_exactly_the_columns_of_the_spec_in_order(out):
    assert csv_rows(out / "schools.csv")[0] == [
        "school_id", "school_name", "cluster_id", "pupils", "ssa", "psf",
        "formula_lump_sum", "formula_per_pupil", "cluster_share", "total"]
    assert csv_rows(out / "clusters.csv")[0] == [
        "cluster_id", "cluster_name", "schools", "pupils", "ssa", "psf",
        "formula_lump_sum", "formula_per_pupil", "cluster_allocation", "total"]
    assert csv_rows(out / "psf.csv")[0] == [
        "upn", "stream", "psf_school_id", "paid_school_id", "annual_amount", "paid_from",
        "paid_to", "paid_amount", "released_amount", "reason"]
    assert csv_rows(out / "diff.csv")[0] == build_diff().columns


@pytest.mark.parametrize("pence, text", [
    (5, "0.05"), (-5, "-0.05"), (0, "0.00"), (100, "1.00"), (-100, "-1.00"), (987_654, "9876.54"),
    (-123_456, "-1234.56"), (2**53 + 1, "90071992547409.93"), (None, None),
])
def test_pence_become_pounds_text_by_integer_arithmetic(pence, text):
    frame = pl.DataFrame({"ssa": [pence]}, schema={"ssa": pl.Int64})
    assert frame.select(pounds_expr("ssa")).item() == text


def test_money_in_the_csvs_is_pounds_with_two_decimals(out):
    psf = csv_rows(out / "psf.csv")
    assert psf[1][4:10] == ["9876.54", "2013-04-01", "2013-08-31", "4115.23", "5761.31", "phase_end"]
    assert psf[6][5:8] == ["", "", "0.00"]  # a row paid nothing: no dates
    diff = csv_rows(out / "diff.csv")
    assert diff[2][3:7] == ["10000.05", "9999.99", "-0.06", "0.00"]  # -0.0006 % to two places
    assert diff[3][6] == ""  # change_pct blank where the previous total is 0


def test_text_that_a_spreadsheet_would_run_gets_a_leading_apostrophe(out):
    schools = csv_rows(out / "schools.csv")
    assert schools[2][:2] == ["3301002", "'=Beech Infant"]
    assert csv_rows(out / "diff.csv")[3][1] == "'=X1"
    frame = pl.DataFrame({"school_name": ["+1", "-x", "@a", "\tb", "a=b", "plain"], "change": [-1] * 6})
    lines = csv_bytes(frame).decode().splitlines()[1:]
    assert lines[:5] == ["'+1,-0.01", "'-x,-0.01", "'@a,-0.01", "'\tb,-0.01", "a=b,-0.01"]


def test_csvs_are_utf8_without_bom_with_unix_line_ends(out):
    data = (out / "schools.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data and data.endswith(b"\n")


# --- allocations.xlsx -------------------------------------------------------------------

def test_the_workbook_has_its_sheets(out, result, tmp_path):
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    assert book.sheetnames == ["Summary", "Clusters", "Clusters chart", "Schools", "Released", "Diff",
                               "Winners and losers", "Workings", "Parameters"]
    assert openpyxl.load_workbook(out / "pupils.xlsx").sheetnames == ["About", "PSF", "Warnings"]
    write_outputs(result, tmp_path / "nodiff", returns=False)
    assert "Diff" not in openpyxl.load_workbook(tmp_path / "nodiff" / "allocations.xlsx").sheetnames


def test_table_sheets_have_currency_frozen_header_and_filter(out):
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    schools = book["Schools"]
    assert [c.value for c in schools[1]][:3] == ["School ID", "School", "Cluster ID"]
    assert schools["F2"].value == 120000 and schools["F2"].number_format == CURRENCY
    assert schools["F4"].value == pytest.approx(80000.05)
    for name in ("Clusters", "Schools", "Released", "Diff", "Workings", "Parameters"):
        assert book[name].freeze_panes == "A2", name
        assert book[name].auto_filter.ref, name
    psf = openpyxl.load_workbook(out / "pupils.xlsx")["PSF"]
    assert psf["G2"].number_format == "dd/mm/yyyy" and psf.freeze_panes == "A2"
    assert book["Schools"].column_dimensions["B"].width >= len("=Beech Infant")


def test_every_table_sheet_keeps_its_header_in_view_the_winners_and_losers_sheet_too(out):
    """SPEC §6: workbooks have frozen headers.  The Winners and losers sheet (a title, then its header) was
    the one table sheet of allocations.xlsx that scrolled its header away; simulate's has always frozen it."""
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    assert book["Winners and losers"].freeze_panes == "A3"  # under the title and the header
    assert [c.value for c in book["Winners and losers"][2]] == ["Change against last year", "Schools", "Clusters"]
    assert [ws.title for ws in book.worksheets if ws.freeze_panes is None] == ["Summary"]


def test_the_released_column_says_why_it_is_not_always_annual_less_paid(out):
    """A reader's check of the Released sheet (Annual − Paid = Released) failed by a post-policy statement's
    annual amount, which is listed but neither paid nor released, and by a penny where a line's rounding
    pays one more: the header's comment now says both."""
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Released"]
    header = [c.value for c in ws[1]]
    comment = ws.cell(1, header.index("Released (£)") + 1).comment
    assert comment is not None and "issued on or after the day the cluster model began" in comment.text
    assert "Annual − Paid" in comment.text and "a penny" in comment.text
    # and, in the years with a register and statement histories, a stop of an earlier year (released then)
    # and a rate changed in the period, which left £131,262.54 of a Forum pack's Annual − Paid unexplained
    assert "stopped in an earlier year (stopped_last_year" in comment.text
    assert "an amendment, an EHC transfer" in comment.text
    summary = [r[0] for r in openpyxl.load_workbook(out / "allocations.xlsx")["Summary"].iter_rows(values_only=True)]
    assert "Released PSF (not paid this period: it stopped)" in summary
    assert all(ws.cell(1, i + 1).comment is None for i, h in enumerate(header) if h != "Released (£)")


def test_a_name_beginning_with_equals_is_a_string_cell_not_a_formula(out):
    cell = openpyxl.load_workbook(out / "allocations.xlsx")["Schools"]["B3"]
    assert cell.value == "=Beech Infant" and cell.data_type == "s"


def test_summary_shows_the_identity_checks_note_and_warnings(out):
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Summary"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    rows = {row[0].value: row[1].value for row in ws.iter_rows() if row[0].value}
    assert rows["Pupil specific pot"] == 500000 and rows["Cluster pot (shared by the formula)"] == 451484.72
    assert rows["Identity holds to the penny"] == "Yes"
    assert "The money identity holds to the penny." in cells
    assert common.notional_note("delegated", "A school's") in cells
    # the warnings are counted by kind; the one about a child is listed only in pupils.xlsx
    assert "Warnings: 2" in cells and "=B801200001002 has a wrong check letter" not in cells
    restricted = openpyxl.load_workbook(out / "pupils.xlsx")["Warnings"]
    listed = {c.value: c for row in restricted.iter_rows() for c in row if c.value is not None}
    assert listed["=B801200001002 has a wrong check letter"].data_type == "s"


def test_schools_sheet_says_the_cluster_share_is_notional_and_clusters_have_a_chart(out):
    with zipfile.ZipFile(out / "allocations.xlsx") as z:
        names = z.namelist()
        drawings = "".join(z.read(n).decode() for n in names if n.startswith("xl/drawings/drawing"))
    assert any(n.startswith("xl/charts/chart") for n in names)
    assert "is notional" in drawings
    assert openpyxl.load_workbook(out / "allocations.xlsx")["Schools"]["J1"].comment is not None


def test_parameters_sheet_holds_the_config_and_version(out):
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Parameters"]
    params = {row[0].value: row[1].value for row in ws.iter_rows(min_row=2)}
    assert params["budget.pupil_specific_pot"] == "500000"
    assert params["formula.elements[per_pupil].remainder"] == "true"
    assert params["formula.pupils.nc_years"] == "[0, 11]"
    assert params["senrun_version"] == common.senrun_version()


def test_a_table_over_the_row_limit_goes_to_csv_only(result, tmp_path, monkeypatch):
    monkeypatch.setattr(common, "MAX_SHEET_ROWS", 5)  # the real limit is 100,000
    write_outputs(result, tmp_path / "out", returns=False)
    book = openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")
    restricted = openpyxl.load_workbook(tmp_path / "out" / "pupils.xlsx")
    assert [[c.value for c in row] for row in restricted["PSF"].iter_rows()] == [["9 rows: see psf.csv"]]
    assert book["Workings"]["A1"].value == "10 rows: see workings.csv"
    assert book["Schools"]["A1"].value == "School ID"  # 5 rows: still a table
    assert len(csv_rows(tmp_path / "out" / "psf.csv")) == 10
    assert len(csv_rows(tmp_path / "out" / "workings.csv")) == 11
    assert (tmp_path / "out" / "released.csv").exists()  # 6 reasons


# --- returns --------------------------------------------------------------------------

def return_texts(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_each_return_holds_only_its_own_schools_children_paid_there(out, result):
    paid = result.psf.filter(pl.col("paid_amount") > 0)
    for school_id, stem in [(s[0], s[0].replace("/", "_")) for s in SCHOOLS]:
        texts = return_texts(out / "returns" / f"{stem}.xlsx")
        own = set(paid.filter(pl.col("paid_school_id") == school_id)["upn"])
        shown = {t for t in texts if len(t) == 13 and t[1:].isdigit()}
        assert shown == own, school_id
        assert school_id in texts and common.notional_note("delegated") in texts
    assert "E801200001005" not in return_texts(out / "returns" / "3301001.xlsx")  # paid nothing


def test_a_return_shows_ssa_elements_share_and_cluster_total(out):
    ws = openpyxl.load_workbook(out / "returns" / "3302001.xlsx").active
    rows = {row[0].value: [c.value for c in row[1:]] for row in ws.iter_rows() if row[0].value}
    assert rows["1. School specific allocation (SSA)"][0] == pytest.approx(80000.05)
    basis, units, rate, amount = rows["Per pupil"][:4]
    assert (basis, units, amount) == ("pupils", 150, 36555.83)
    assert rate == 243.705554 and abs(units * rate - amount) < 0.01  # units × rate = amount, to the penny
    assert rows["Lump sum"][:4] == ["a fixed sum per school", 1, 5000, 5000]
    assert rows["Cluster share (notional)"][0] == 41555.83
    assert rows["Your cluster's total allocation"][0] == 124667.5
    assert ws["B7"].number_format == CURRENCY
    assert rows["4. Change from last year (total: SSA + PSF + cluster share)"] is not None


def test_return_file_names_are_sanitised(out):
    names = sorted(p.name for p in (out / "returns").iterdir())
    assert names == ["3301001.xlsx", "3301002.xlsx", "3302001.xlsx", "3304001.xlsx", "KS_05.xlsx"]
    assert common.return_file_stem("a b/ü-1_2") == "a_b__-1_2"


@pytest.mark.parametrize("first, second, why", [("KS/05", "KS_05", "become _"),
                                                ("ab-1", "AB-1", "differ only in capitals")])
def test_two_schools_sharing_a_return_file_stop_the_run_before_anything_is_written(first, second, why, tmp_path):
    schools = [SCHOOLS[0], (first, "One", "C1", "North", 10, 0), (second, "Two", "C2", "South", 10, 0)]
    result = assemble(schools, LINES[:1])
    with pytest.raises(SenrunError) as caught:
        write_outputs(result, tmp_path / "out")
    assert repr(first) in str(caught.value) and repr(second) in str(caught.value) and why in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_school_id_too_long_to_name_its_return_stops_the_run_naming_it(tmp_path):
    from senrun.outputs.common import MAX_STEM

    long_id = "S" * (MAX_STEM + 1)
    result = assemble([SCHOOLS[0], (long_id, "Long", "C1", "North", 10, 0)], LINES[:1])
    with pytest.raises(SenrunError) as stopped:
        write_outputs(result, tmp_path / "out")
    [error] = stopped.value.errors  # (its text, as a terminal shows it, hides an id as long as a UPN)
    assert error.message.startswith(f"school id '{'S' * 40}'… is {MAX_STEM + 1} characters: too long")
    assert list(tmp_path.iterdir()) == []
    write_outputs(result, tmp_path / "out", returns=False)  # no return: nothing to name


def test_no_returns_when_asked(result, tmp_path):
    write_outputs(result, tmp_path / "out", returns=False)
    assert not (tmp_path / "out" / "returns").exists()
    assert "returns" not in json.loads((tmp_path / "out" / "manifest.json").read_text())["rows"]


# --- manifest, progress, determinism ------------------------------------------------------

def test_the_manifest_fingerprints_every_file_and_records_the_totals(out, result):
    manifest = json.loads((out / "manifest.json").read_text())
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert manifest["totals"]["cluster_pot"] == {"pence": 45_148_472, "pounds": "451484.72"}
    assert manifest["totals"]["identity_holds"] is True
    assert manifest["inputs"]["schools"]["sha256"] == "a" * 64 and manifest["config_sha256"] == "c" * 64
    assert manifest["warnings"] == {"count": 2, "by_code": {"not_in_census": 1, "upn_check_letter": 1}}
    assert manifest["rows"]["psf"] == 9 and manifest["rows"]["returns"] == 5
    assert [e["total"]["pence"] for e in manifest["elements"]] == [2_500_000, 42_648_472]


def test_the_manifest_is_the_json_of_its_values_indented_two_spaces_with_sorted_keys(out):
    """manifest.json writes its files' list itself (manifest.files_json, quicker than json's indented encoder):
    the bytes are still what json.dumps gives for the same values (SPEC §6: the same run, the same bytes)."""
    written = (out / "manifest.json").read_bytes()
    again = json.dumps(json.loads(written), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert written == again.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), st.tuples(st.text(), st.integers(0, 2**63)), max_size=8))
def test_the_files_of_the_manifest_are_written_as_json_writes_them(files):
    reference = {name: {"sha256": sha, "bytes": size} for name, (sha, size) in files.items()}
    assert manifest.files_json(files) == json.dumps(reference, indent=2, sort_keys=True, ensure_ascii=False)


def test_progress_is_reported_step_by_step(result, tmp_path):
    calls = []
    write_outputs(result, tmp_path / "out", progress=lambda *a: calls.append(a), jobs=1)
    assert ("workbook", 1, 1) in calls and calls[-1] == ("manifest", 1, 1)
    assert [c for c in calls if c[0] == "returns"][-1] == ("returns", 5, 5)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_runs_give_byte_identical_files_in_process_or_in_a_pool(out, result, tmp_path, monkeypatch):
    write_outputs(result, tmp_path / "again", diff=build_diff(), jobs=1)
    assert tree(tmp_path / "again") == tree(out)
    monkeypatch.setattr(returns, "MIN_PER_PROCESS", 1)  # make 5 schools worth two processes
    write_outputs(result, tmp_path / "pool", diff=build_diff(), jobs=2)
    assert tree(tmp_path / "pool") == tree(out)


def test_jobs_must_be_positive(result, tmp_path):
    with pytest.raises(SenrunError, match="at least 1"):
        write_outputs(result, tmp_path / "out", jobs=0)


def test_a_totals_row_wider_than_any_cell_above_it_widens_its_column_so_excel_shows_no_hashes(tmp_path):
    """At England's scale the Clusters sheet's total SSA is £3,823,503,038.01, wider than any cluster's: the
    column is made wide enough for the sum too (it showed ### printed)."""
    import io

    from senrun.outputs.tables import write_table_sheet
    from senrun.outputs.xlsx import new_workbook

    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, "t")
    ws = book.add_worksheet("Clusters")
    frame = pl.DataFrame({"cluster_name": ["A", "B"], "ssa": [99_999_999_999, 99_999_999_999]})  # £999,999,999.99 each
    write_table_sheet(ws, frame, fmt, "clusters.csv", totals=True)
    book.close()
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Clusters"]
    assert sheet["B4"].value == 1_999_999_999.98
    # as wide as the total as Excel shows it, room kept for a minus sign, and a character either side, where
    # each cell above it (£999,999,999.99) needed two fewer
    assert int(sheet.column_dimensions["B"].width) == len("£-1,999,999,999.98") + 2


def test_diff_csvs_change_pct_always_has_two_decimals_as_it_is_held__spec_6():
    """0.00 and 12.50 beside -1.62, as the value is rounded (decisions 24): not Polars' 0.0 and 12.5."""
    frame = pl.DataFrame({"school_id": ["A", "B", "C", "D", "E"], "change_pct": [0.0, 12.5, -1.62, None, 0.29]})
    assert csv_bytes(frame).decode().splitlines() == ["school_id,change_pct", "A,0.00", "B,12.50", "C,-1.62", "D,",
                                                      "E,0.29"]


def test_a_long_warning_on_the_summary_wraps_within_the_page_and_its_row_is_as_tall_as_its_lines(tmp_path):
    """A warning's message about the run (a year label, the register) had run on across the sheet in one cell:
    printed one page wide, the whole Summary, the Forum pack's front page, came out in 4-point type."""
    from builders import run, statement

    result = run(tmp_path, statements=[statement("B801200005001", "2005-05-05")], year="2011-12")
    [warning] = [w for w in result.warnings if w.code == "year_label"]
    write_outputs(result, tmp_path / "out", returns=False)
    ws = openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")["Summary"]
    [row] = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == warning.hidden().message]
    assert f"C{row}:F{row}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.cell(row, 3).alignment.wrap_text
    assert ws.row_dimensions[row].height == 15 * -(-len(warning.message) // 78) >= 30


def test_the_summary_says_what_the_schools_are_paid_the_sen_total_less_the_top_slices__spec_1_6(tmp_path):
    """The Summary gave the SEN total and the Schools sheet a total £7,000 less (the top-slices), with nothing in the
    workbook to say why; the terminal said it.  Its own line now, equal to the Schools sheet's total."""
    from senrun.config.loader import load_config
    from senrun.pipeline import allocate

    result = allocate(load_config(Path(__file__).resolve().parents[1] / "config" / "senrun.yaml"))
    write_outputs(result, tmp_path / "out", returns=False)
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")["Summary"]
               .iter_rows(values_only=True) if r[0]}
    paid = summary["Paid to schools (SEN total less the top-slices)"]
    assert round(paid * 100) == int(result.schools["total"].sum()) == result.totals.sen_total - \
        result.totals.topslices_total
    assert result.totals.topslices_total > 0  # (the committed sample holds some back)


def test_the_workings_sheet_says_how_each_element_is_shared_in_words_as_the_summary_does__spec_6(tmp_path):
    """The Workings sheet's "Shared by" gave senrun's codes (`per_school`); the Summary and the returns give words."""
    from senrun.config.loader import load_config
    from senrun.outputs.common import basis_words
    from senrun.pipeline import allocate

    result = allocate(load_config(Path(__file__).resolve().parents[1] / "config" / "senrun.yaml"))
    write_outputs(result, tmp_path / "out", returns=False)
    rows = list(openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")["Workings"].iter_rows(values_only=True))
    shown = {r[rows[0].index("Shared by")] for r in rows[1:]}
    assert shown == {basis_words(e.basis) for e in result.config.elements} == {"a fixed sum per school", "pupils"}


def test_a_totals_rows_change_in_per_cent_is_bold_as_the_money_beside_it__spec_6(tmp_path):
    from senrun.config.loader import load_config
    from senrun.pipeline import allocate
    from senrun.yearly.diff import diff_against

    config = Path(__file__).resolve().parents[1] / "config" / "senrun.yaml"
    result = allocate(load_config(config))
    write_outputs(result, tmp_path / "last", returns=False)
    write_outputs(result, tmp_path / "out", returns=False, diff=diff_against(result, tmp_path / "last"))
    ws = openpyxl.load_workbook(tmp_path / "out" / "allocations.xlsx")["Clusters"]
    header = [c.value for c in ws[1]]
    total = next(row for row in ws.iter_rows() if any(c.value == "Total" for c in row))
    pct, money = total[header.index("Change (%)")], total[header.index("Change (£)")]
    assert pct.value is not None and pct.font.b and money.font.b


@pytest.mark.parametrize("rows", [3, 70])  # written cell by cell, and as XML (tables.XML_FROM_ROWS)
def test_a_tables_text_wider_than_its_column_wraps_on_a_row_tall_enough_not_cut_at_the_edge__spec_6(tmp_path, rows):
    """Columns are at most 60 characters wide: a longer school name, or a warning's message in pupils.xlsx, was cut
    at the column's edge on screen and on paper (the next cell filled).  It now wraps, its row as tall as its lines;
    a column of short text is as it was."""
    import io

    from senrun.outputs.tables import write_table_sheet
    from senrun.outputs.tablesheet import TableSheet
    from senrun.outputs.xlsx import close_to_bytes, new_workbook

    long = "St Andrew's Church of England Voluntary Aided Primary and Nursery School, Kelburgh"
    names = [long if i % 2 else f"School {i}" for i in range(rows)]
    frame = pl.DataFrame({"school_id": [str(9262000 + i) for i in range(rows)], "school_name": names,
                          "total": list(range(rows))})
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, "test")
    write_table_sheet(book.add_worksheet("Schools", worksheet_class=TableSheet), frame, fmt, "schools.csv")
    ws = openpyxl.load_workbook(io.BytesIO(close_to_bytes(book, buffer)))["Schools"]
    for i, name in enumerate(names, start=2):
        cell = ws.cell(row=i, column=2)
        assert cell.value == name
        assert cell.alignment.wrap_text and ws.cell(row=i, column=1).alignment.wrap_text is not True
        assert ws.row_dimensions[i].height == (30 if name == long else None)


def test_a_rate_or_a_per_cent_column_is_as_wide_as_the_text_it_shows_never_hashes(tmp_path):
    """A Workings sheet whose only rate is a £5,000 lump sum had its Rate column 8.7 wide from the digits "5000.0",
    though the cell shows "£5,000.00" under the rate format: Excel shows a number wider than its column as ####.
    A column of rates or per cents is as wide as the widest text its format shows."""
    from builders import statement, write_run
    from senrun.config.loader import load_config
    from senrun.outputs.xlsx import lines_in
    from senrun.pipeline import allocate

    config = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")],
                       formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 5000},
                                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    out = write_outputs(allocate(load_config(config)), tmp_path / "out", returns=False, packs=False)
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Workings"]
    header = [c.value for c in ws[1]]
    column = header.index("Rate or share") + 1
    letter = openpyxl.utils.get_column_letter(column)
    shown = [ws.cell(r, column).value for r in range(2, ws.max_row + 1) if ws.cell(r, column).value is not None]
    assert shown and set(shown) == {5000}
    assert lines_in("£5,000.00", ws.column_dimensions[letter].width) == 1
    assert ws.column_dimensions[letter].width >= len("£5,000.00")
