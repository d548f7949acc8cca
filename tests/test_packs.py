"""The papers people publish and use, on the `la` sample with a previous year (SPEC §6, round 2):
the publishable pack and the cluster packs hold no personal data, every money table adds up,
the winners and losers are every school, and each cluster pack agrees with clusters.csv."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from senrun.config.loader import load_config
from senrun.outputs import write_outputs
from senrun.outputs.common import column_label, element_title
from senrun.pipeline import allocate, read_inputs
from senrun.yearly.diff import diff_against
from senrun.yearly.projection import project
from senrun.yearly.runoff import runoff_by_school

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "senrun.yaml"
#: A UPN: a letter and 12 digits, or a temporary one whose last character is a letter.
UPN_SHAPE = re.compile(r"[A-Za-z]\s*\d{11}\s*[0-9A-Za-z]")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The la sample against last year (its own schools.csv with every total 1% lower, so there
    are movers), written with packs and without returns."""
    cfg = load_config(CONFIG)
    result = allocate(cfg)
    folder = tmp_path_factory.mktemp("packs")
    last = result.schools.select("school_id", "cluster_id", (pl.col("total") * 99 // 100).alias("total"))
    last = last.filter(pl.col("school_id") != result.schools["school_id"][0])  # one school new this year
    last.with_columns((pl.col("total") / 100).map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String)) \
        .write_csv(folder / "last.csv")
    diff = diff_against(result, folder / "last.csv")
    out = write_outputs(result, folder / "out", returns=False, packs=True, diff=diff)
    return result, out


def cells(path: Path) -> list[tuple[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [(ws.title, value) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for value in row
            if value is not None]


def children_dates() -> set[date]:
    statements = pl.read_excel(ROOT / "sample_data" / "statements.xlsx", sheet_name="Statements")
    dob = [c for c in statements.columns if "birth" in c.lower()][0]
    census = pl.read_csv(ROOT / "sample_data" / "census.csv", infer_schema=False)
    census_dob = [c for c in census.columns if "birth" in c.lower() or c.lower() == "dob"][0]
    days = {d for d in statements[dob].cast(pl.Date, strict=False).drop_nulls().to_list()}
    for text in census[census_dob].drop_nulls().unique().to_list():
        try:
            days.add(datetime.strptime(text, "%d/%m/%Y").date() if "/" in text else date.fromisoformat(text))
        except ValueError:
            pass
    return days


def test_no_upn_or_childs_date_of_birth_in_the_publishable_pack_or_any_cluster_pack(run):
    _, out = run
    dobs = children_dates()
    assert len(dobs) > 1000  # the sample's children
    books = [out / "allocations.xlsx", *sorted((out / "clusters").glob("*.xlsx"))]
    assert len(books) == 47
    for book in books:
        for sheet, value in cells(book):
            if isinstance(value, str):
                assert not UPN_SHAPE.search(value), (book.name, sheet, value)
                for text in re.findall(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}", value):
                    day = (datetime.strptime(text, "%d/%m/%Y") if "/" in text else datetime.fromisoformat(text))
                    assert day.date() not in dobs, (book.name, sheet, value)
            if isinstance(value, datetime):
                assert value.date() not in dobs, (book.name, sheet, value)
    restricted = cells(out / "pupils.xlsx")
    assert restricted[0][0] == "About" and "personal data about children" in restricted[0][1]
    assert any(isinstance(v, str) and UPN_SHAPE.fullmatch(v) for _, v in restricted)


def table(ws) -> tuple[list[str], list[tuple], tuple]:
    """A table sheet's header, data rows and totals row (the last row)."""
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[1:-1], rows[-1]


def assert_totals_add_up(ws) -> None:
    header, rows, totals = table(ws)
    assert "Total" in totals, ws.title
    for c, name in enumerate(header):
        if name.endswith("(£)") and "per pupil" not in name:
            assert round(totals[c] * 100) == sum(round((r[c] or 0) * 100) for r in rows), (ws.title, name)


def test_every_money_table_has_a_totals_row_equal_to_the_sum_of_its_rows(run):
    _, out = run
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    for name in ("Clusters", "Schools", "Released"):
        assert_totals_add_up(book[name])
    for pack in sorted((out / "clusters").glob("*.xlsx"))[:5]:
        assert_totals_add_up(openpyxl.load_workbook(pack)["Schools"])
    _, rows, totals = table(book["Schools"])
    assert totals[0] is None and totals[1] == "Total"  # a blank id: the sheet still reads back as last year


def test_the_winners_and_losers_count_every_school_and_every_cluster_once(run):
    result, out = run
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Winners and losers"]
    rows = list(ws.iter_rows(min_row=3, max_row=7, values_only=True))
    assert [r[0] for r in rows] == ["Gain over 5%", "Gain of 0–5%", "No change", "Loss of 0–5%", "Loss over 5%"]
    assert sum(r[1] for r in rows) == result.schools.height
    assert sum(r[2] for r in rows) == result.clusters.height
    assert rows[0][1] >= 1  # the school new this year counts as a gain over 5%


def test_each_cluster_pack_shows_its_row_of_clusters_csv(run):
    result, out = run
    clusters = pl.read_csv(out / "clusters.csv", infer_schema=False)
    titles = {e.name: element_title(e) for e in result.config.elements}
    for row in clusters.iter_rows(named=True):
        ws = openpyxl.load_workbook(out / "clusters" / f"{row['cluster_id']}.xlsx")["Cluster"]
        shown = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
        assert shown["Cluster ID"] == row["cluster_id"]
        for key, text in row.items():
            if key in ("cluster_id", "cluster_name"):
                continue
            label = column_label(key, titles).replace(" (£)", "")
            assert round(shown[label] * 100) == round(float(text) * 100), (row["cluster_id"], key)


def test_a_cluster_lead_can_rebuild_the_clusters_share_from_its_pack_to_within_the_rounding_pennies__faq_2_spec_4(
        run):
    """A cluster lead asked "how was our share worked out?": the pack gave the cluster's pupils and its per-pupil
    money, but not the pot, the authority's units nor the £ per unit, so the share could not be rebuilt.  From the
    pack alone, units × £ per unit is now each element's amount to within a penny a school (SPEC §1)."""
    from decimal import Decimal

    result, out = run
    for row in result.clusters.iter_rows(named=True):
        ws = openpyxl.load_workbook(out / "clusters" / f"{row['cluster_id']}.xlsx")["Cluster"]
        shown = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
        assert round(shown["Cluster pot, shared across the authority by the formula"] * 100) == \
            result.totals.cluster_pot
        assert shown["Lump sum: the authority's units (a fixed sum per school)"] == result.schools.height
        assert shown["Per pupil: the authority's units (pupils)"] == result.schools["pupils"].sum()
        assert shown["Lump sum: this cluster's units"] == shown["Schools"]
        assert shown["Per pupil: this cluster's units"] == shown["Pupils"]
        for title in ("Lump sum", "Per pupil"):
            rate = Decimal(str(shown[f"{title}: £ per unit"]))
            rebuilt = Decimal(shown[f"{title}: this cluster's units"]) * rate * 100
            assert abs(rebuilt - round(Decimal(str(shown[title])) * 100)) <= shown["Schools"], (row["cluster_id"], title)


def test_a_pack_gives_a_part_years_lump_sums_as_the_fraction_of_a_unit_they_are_and_a_remainders_rate__spec_11_1(
        tmp_path):
    """A school open from September has 7/12 of a lump sum's unit: the pack had given the cluster's units as its
    count of schools (5 × £5,000 against £17,083.33 shown), and skipped a remainder element over such units."""
    from fractions import Fraction

    from builders import run as run_of, statement
    from senrun.outputs.clusterpack import plan_packs

    schools = [{"school_id": s, "school_name": s, "cluster_id": c, "ssa": "0", "pupils": "10", "opened": o}
               for s, c, o in (("A", "K1", ""), ("NEW", "K1", "2013-09-01"), ("B", "K2", ""))]
    r = run_of(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05", annual="0")],
               budget={"pupil_specific_pot": "1000"},
               formula={"elements": [{"name": "per_pupil", "basis": "pupils", "rate": 1},
                                     {"name": "lump_sum", "basis": "per_school", "remainder": True}]})
    [k1] = [t for t in plan_packs(r) if "K1" in t.file_name]
    shown = {line[0]: line[1] for line in k1.lines if line}
    assert shown["Lump sum: the authority's units (a fixed sum per school)"] == "2 7/12"
    assert shown["Lump sum: this cluster's units"] == "1 7/12"
    rate = shown["Lump sum: £ per unit"]
    amount = dict(r.clusters.select("cluster_id", "formula_lump_sum").iter_rows())["K1"]
    assert abs(Fraction(19, 12) * Fraction(rate) * 100 - amount) <= 2


def test_a_pack_gives_a_need_columns_decimal_units_as_numbers_as_the_returns_do__spec_1_6(tmp_path):
    """A need column's units (idaci 0.3 and 0.45 summed in the cluster): the pack had shown them as the text
    `3/4`, and the authority's `0.95` as text, where allocations.xlsx and the returns show numbers."""
    from decimal import Decimal

    from builders import run as run_of, statement
    from senrun.outputs.clusterpack import plan_packs
    from senrun.outputs.packbook import DECIMAL

    schools = [{"school_id": s, "school_name": s, "cluster_id": c, "ssa": "0", "pupils": "10", "idaci": i}
               for s, c, i in (("A", "K1", "0.3"), ("B", "K1", "0.45"), ("H", "K2", "0.2"))]
    r = run_of(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-05-05", annual="0")],
               budget={"pupil_specific_pot": "1000"},
               formula={"elements": [{"name": "need", "basis": "column:idaci", "share": "0.5"},
                                     {"name": "lump_sum", "basis": "per_school", "remainder": True}]})
    [k1] = [t for t in plan_packs(r) if "K1" in t.file_name]
    shown = {line[0]: line[1:] for line in k1.lines if line}
    need = next(label.split(":")[0] for label in shown if label.endswith(": this cluster's units")
                and not label.startswith("Lump"))
    assert shown[f"{need}: this cluster's units"] == (Decimal("0.75"), DECIMAL)
    assert next(v for k, v in shown.items() if k.startswith(f"{need}: the authority's units")) == (Decimal("0.95"),
                                                                                                   DECIMAL)
    assert shown["Lump sum: this cluster's units"][0] == 2


def test_the_packs_run_off_is_the_projections_continuing_psf_next_year():
    # FAQ 8: PSF runs off over the transition; the packs' cheap run-off agrees with a full projection
    cfg = load_config(CONFIG)
    inputs = read_inputs(cfg)
    result = allocate(cfg)
    projected = project(inputs, cfg, 2, first=result)
    runoff = runoff_by_school(result, years=1)
    assert int(runoff["psf"].sum()) == projected["continuing_psf"][1]


def test_a_change_of_exactly_five_per_cent_is_in_the_0_to_5_band_and_a_new_school_gains_over_5():
    from senrun.outputs.present import BANDS, band_counts

    frame = pl.DataFrame({"change": [500, 501, 0, -500, -501, 100],
                          "previous_total": [10_000, 10_000, 10_000, 10_000, 10_000, 0]})
    assert dict(zip(BANDS, band_counts(frame))) == {"Gain over 5%": 2, "Gain of 0–5%": 1, "No change": 1,
                                                    "Loss of 0–5%": 1, "Loss over 5%": 1}


def test_a_change_a_hair_over_five_per_cent_is_over_5_though_its_per_cent_shows_5_00():
    from senrun.outputs.present import BANDS, band_counts

    # 4,079.05 on 81,531.99 is +5.003% (shown 5.00); -5.004% likewise; diff.csv's flag compares exactly too
    frame = pl.DataFrame({"change": [407_905, -407_986, 407_659], "previous_total": [8_153_199] * 3})
    assert dict(zip(BANDS, band_counts(frame))) == {"Gain over 5%": 1, "Gain of 0–5%": 1, "No change": 0,
                                                    "Loss of 0–5%": 0, "Loss over 5%": 1}


def test_packs_follow_no_returns_unless_asked_for(run, tmp_path):
    result, _ = run
    write_outputs(result, tmp_path / "none", returns=False)
    assert not (tmp_path / "none" / "clusters").exists()
    write_outputs(result, tmp_path / "some", returns=False, packs=True)
    assert len(list((tmp_path / "some" / "clusters").glob("*.xlsx"))) == result.clusters.height


def test_a_return_shows_the_configs_contact_and_issue_date_and_when_each_childs_psf_stops(run):
    from dataclasses import replace

    from senrun.outputs.returnbook import SchoolReturn, return_bytes
    from senrun.outputs.returns import plan_returns

    result, _ = run
    cfg = replace(result.config, contact="SEN funding team, 01603 000000", issued=date(2013, 3, 1))
    chunk = next(plan_returns(replace(result, config=cfg), 10))
    lines = list(zip(*chunk.children))
    fields = chunk.schools[0][:-1]
    school = SchoolReturn(*fields, children=tuple(lines[:chunk.schools[0][-1]]))
    ws = openpyxl.load_workbook(__import__("io").BytesIO(return_bytes(school))).active
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["Issued"][0] == "01/03/2013" and rows["Contact"][0] == "SEN funding team, 01603 000000"
    child = next(r for r in ws.iter_rows(values_only=True) if isinstance(r[0], str) and UPN_SHAPE.fullmatch(r[0]))
    # a primary child protected beyond the period: PSF stops on the 1 September after Year 6 (FAQ 3-5)
    assert child[7] == datetime(2016, 9, 1) and "to the end of primary phase" in child[8] and child[9] == 3


def test_this_years_allocations_xlsx_reads_back_as_next_years_previous_despite_labels_and_totals(run):
    from senrun.yearly.diff import read_previous

    result, out = run
    back = read_previous(out / "allocations.xlsx")
    assert back.to_dicts() == result.schools.select("school_id", "cluster_id", "total").to_dicts()


def _column_b(path: Path, sheets: tuple[str, ...]) -> dict[str, tuple[float, list[str]]]:
    """Each named sheet's column B: its width and its texts, read from the package's XML (openpyxl takes
    seconds over every pack)."""
    import zipfile
    from html import unescape

    with zipfile.ZipFile(path) as z:
        strings = [unescape(re.sub(r"<[^>]+>", "", s))
                   for s in re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)]
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
        named = {unescape(name): targets[rid] for name, rid in
                 re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', z.read("xl/workbook.xml").decode())}
        out = {}
        for sheet in sheets:
            xml = z.read("xl/" + named[sheet]).decode()
            width = next(float(w) for low, high, w in re.findall(r'<col min="(\d+)" max="(\d+)" width="([0-9.]+)"', xml)
                         if int(low) <= 2 <= int(high))
            texts = [strings[int(i)] for i in re.findall(r'<c r="B\d+"[^>]*t="s"[^>]*><v>(\d+)</v>', xml)]
            out[sheet] = (width, texts)
    return out


def test_a_packs_school_names_are_shown_whole_up_to_excels_usual_widest_column(run):
    """The Schools and SEND profile sheets' name columns had fixed widths (44 and 50), so "Dingstead Community
    Primary and Nursery School" was cut: a name column is as wide as its longest name, up to 60 (outputs.md)."""
    result, out = run
    longest = 0
    for path in sorted((out / "clusters").glob("*.xlsx")):
        for sheet, (width, texts) in _column_b(path, ("Schools", "SEND profile")).items():
            widest = max((len(n) for n in texts[1:]), default=0)
            longest = max(longest, widest)
            assert width >= min(60, widest + 2) - 1, (path.name, sheet)
    assert longest > 44  # (the sample has names wider than the old fixed width)


def test_a_packs_school_name_wider_than_its_column_wraps_on_a_row_tall_enough_not_cut_at_the_columns_edge(run):
    """"St Peter and St Paul Church of England Voluntary Aided Primary School, Drayholme" (80 characters) was cut at
    the name column's widest (60) on the Schools and SEND profile sheets, on screen and on paper, where the
    allocation workbook's tables wrap such text (docs/outputs.md).  Each name that needs more than one line at its
    column's width now wraps, on a row tall enough for its lines; a name that fits keeps the usual row."""
    import openpyxl

    from senrun.outputs.xlsx import lines_height, lines_in

    result, out = run
    seen = 0
    for path in sorted((out / "clusters").glob("*.xlsx")):
        if not any(len(t) > 60 for _, (_, texts) in _column_b(path, ("Schools",)).items() for t in texts):
            continue
        book = openpyxl.load_workbook(path)
        for sheet in ("Schools", "SEND profile"):
            ws = book[sheet]
            width = ws.column_dimensions["B"].width
            first = 2 if sheet == "Schools" else 3  # (below the header; the profile has a title above it)
            for row in range(first, ws.max_row + 1):
                name, school = ws.cell(row, 2), ws.cell(row, 1).value
                if not isinstance(name.value, str) or not (school or "").isdigit():
                    continue  # (a totals, cluster or authority row: short, and bold)
                lines = lines_in(name.value, width)
                height = ws.row_dimensions[row].height
                if lines > 1:
                    seen += 1
                    assert name.alignment.wrap_text, (path.name, sheet, row)
                    assert height is not None and height >= lines_height(lines), (path.name, sheet, row, height)
                else:
                    assert height is None, (path.name, sheet, row, height)
    assert seen >= 4  # (the sample's longest names, on both sheets)


def _empty_text_cells(path: Path) -> list[str]:
    """The cells of a workbook that hold a text of nothing (a shared string ""): not blank to Excel."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        strings = re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)
        empty = {str(i) for i, s in enumerate(strings) if re.sub(r"<[^>]+>", "", s) == ""}
        return [f"{name} {ref}" for name in z.namelist() if name.startswith("xl/worksheets/sheet")
                for ref, index in re.findall(r'<c r="([A-Z]+\d+)"[^>]*t="s"[^>]*><v>(\d+)</v>', z.read(name).decode())
                if index in empty]


def test_a_cell_with_nothing_in_it_is_blank_not_a_text_of_nothing_in_every_workbook(run):
    """The Summary's remainder element had its rate written as "", and each pack's cluster and authority rows of
    the SEND profile their School ID: Excel's ISBLANK is false and COUNTA counts such a cell."""
    result, out = run
    books = [out / "allocations.xlsx", *sorted((out / "clusters").glob("*.xlsx"))[:3]]
    assert all(book.is_file() for book in books), books
    assert {book.name: _empty_text_cells(book) for book in books} == {book.name: [] for book in books}


def test_a_packs_cluster_sheet_prints_upright_on_one_page_and_its_tables_one_page_wide(run):
    """The Cluster sheet printed landscape over two pages, its "Last year" block split from its heading: it is the
    page a cluster meeting reads, two columns, so it prints upright on one page; the tables stay landscape."""
    _, out = run
    book = openpyxl.load_workbook(sorted((out / "clusters").glob("*.xlsx"))[0])
    cluster = book["Cluster"]
    fit = cluster.sheet_properties.pageSetUpPr.fitToPage
    # (1 page wide and 1 high is the file's default, which is written as nothing: read back as None)
    assert (cluster.page_setup.orientation, fit, cluster.page_setup.fitToWidth, cluster.page_setup.fitToHeight) in {
        ("portrait", True, w, h) for w in (None, 1) for h in (None, 1)}
    schools = book["Schools"]
    assert schools.page_setup.orientation == "landscape" and schools.page_setup.fitToHeight == 0


def test_a_summary_label_wider_than_column_a_wraps_on_a_row_tall_enough_not_cut_by_the_figure_beside_it(run):
    """"Paid to schools (SEN total less the top-slices): the Schools sheet's total" showed as "… the Schools she",
    and a kind of warning such as "child with PSF found at another school (unrecorded casual move)" as "… casual m":
    column A is 52 wide and its figure stands in column B. A label that needs more lines wraps on a taller row."""
    import openpyxl

    from senrun.outputs.xlsx import lines_height, lines_in

    result, out = run
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Summary"]
    width, seen = ws.column_dimensions["A"].width, 0
    for row in range(2, ws.max_row + 1):
        text, beside = ws.cell(row, 1).value, ws.cell(row, 2).value
        if not isinstance(text, str) or beside is None or lines_in(text, width) == 1:
            continue
        seen += 1
        assert ws.cell(row, 1).alignment.wrap_text, (row, text)
        assert (ws.row_dimensions[row].height or 0) >= lines_height(lines_in(text, width)), (row, text)
    assert seen >= 1  # (the sample's warning of an unrecorded casual move)


def test_every_note_on_a_packs_cluster_sheet_is_on_a_row_tall_enough_for_all_its_lines__faq_2_13_18(run):
    """"A school's cluster share is notional: … (FAQ 2, 13, 18)." takes three lines in column A but its row was
    two lines high in every pack, so "(FAQ 2, 13, 18)." was neither seen nor printed."""
    import openpyxl

    from senrun.outputs.xlsx import lines_height, lines_in

    result, out = run
    for path in sorted((out / "clusters").glob("*.xlsx"))[:5]:
        ws = openpyxl.load_workbook(path)["Cluster"]
        width = ws.column_dimensions["A"].width
        for row in range(2, ws.max_row + 1):
            cell = ws.cell(row, 1)
            if isinstance(cell.value, str) and cell.alignment.wrap_text:
                assert ws.row_dimensions[row].height >= lines_height(lines_in(cell.value, width)), (path.name, row)


def test_a_packs_run_off_title_prints_whole_within_the_tables_columns(run):
    """The PSF run-off sheet's title ran to 138 characters across the empty columns beyond its table's three, which
    do not print: the page stopped at "…(whether or not it continues), ". The title fits within the table's columns
    and the note below the table, wrapped across them on a row tall enough, says what each year counts."""
    import openpyxl

    from senrun.outputs.xlsx import BOLD_PIXELS, CELL_PADDING, lines_height, lines_in

    result, out = run
    for path in sorted((out / "clusters").glob("*.xlsx"))[:5]:
        ws = openpyxl.load_workbook(path)["PSF run-off"]
        widths = sum(ws.column_dimensions[c].width for c in "ABC")
        assert len(ws["A1"].value) * BOLD_PIXELS <= widths * 7 - CELL_PADDING, ws["A1"].value
        [merged] = ws.merged_cells.ranges
        note = ws.cell(merged.min_row, 1).value
        assert "whether or not it continues" in note and "still protected" in note
        assert ws.row_dimensions[merged.min_row].height >= lines_height(lines_in(note, widths))
