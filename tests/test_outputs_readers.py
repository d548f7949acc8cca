"""What the people who read the outputs see: every figure agrees with the CSVs and with itself, every
rule in force is shown, and each sheet's wording is true of the school, setting or cluster it is about
(SPEC §1, §6, §9, §11.2).

One small run: two clusters, a nursery outside the formula with no cluster (paid PSF), a school with no
pupils, a Year 11 leaver, a nursery leaver and a statement issued after the policy began; and last year's
schools.csv, in which one school was paid nothing and one has closed since.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from rich.console import Console

from builders import pupil, statement, write_run
from senrun.cli.render import print_clusters
from senrun.config.loader import load_config
from senrun.outputs import write_outputs
from senrun.outputs import clusterpack, common, returnbook, workbook, xlsx
from senrun.outputs.clusterpack import counts
from senrun.outputs.common import column_label, run_reference
from senrun.pipeline import allocate
from senrun.yearly.diff import DIFF_COLUMNS, diff_against

U_PRIMARY, U_YEAR11, U_NURSERY, U_LATE = "B801200005001", "E801200005002", "E801200005003", "B801200005004"


def school(sid: str, name: str, cluster: str, ssa: str = "0.00", in_formula: str = "yes") -> dict:
    return {"school_id": sid, "school_name": name, "cluster_id": cluster, "ssa": ssa, "in_formula": in_formula}


SCHOOLS = [school("A", "Ashford Primary", "C1", "1000.00"), school("B", "Bromwell Primary", "C1", "2000.00"),
           school("E", "Empty Primary", "C2"), school("H", "Hilltop High", "C2", "3000.00"),
           school("N", "Little Acorns Nursery", "", "250.00", in_formula="no")]
STATEMENTS = [statement(U_PRIMARY, "2005-05-05", school="A", annual="8400.00"),
              statement(U_YEAR11, "1997-03-03", school="H", annual="6000.00"),  # leaves at the end of Year 11
              statement(U_NURSERY, "2009-02-02", school="N", annual="2400.00"),  # leaves at the end of nursery
              statement(U_LATE, "2006-06-06", school="A", annual="3000.00", statement_date="2013-01-01")]
CENSUS = [pupil(U_PRIMARY, "A", "2005-05-05"), pupil(U_YEAR11, "H", "1997-03-03"),
          pupil(U_NURSERY, "N", "2009-02-02"), pupil(U_LATE, "A", "2006-06-06"),
          pupil("B801200005005", "B", "2004-04-04"), pupil("B801200005006", "H", "1999-09-09")]
#: Last year: B was in the run with £0.00, Y has closed since; A is unchanged.
LAST_YEAR = [("A", "Ashford Primary", "C1", "5000.00"), ("B", "Bromwell Primary", "C1", "0.00"),
             ("Y", "Yew Tree Primary", "C2", "4000.00")]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The run, written twice: with last year's schools.csv (returns and packs), and without it."""
    folder = tmp_path_factory.mktemp("readers")
    cfg = load_config(write_run(folder, schools=SCHOOLS, statements=STATEMENTS, census=CENSUS))
    result = allocate(cfg)
    last = folder / "last_year.csv"
    with last.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["school_id", "school_name", "cluster_id", "pupils", "ssa", "psf", "cluster_share", "total"])
        out.writerows([sid, name, cluster, 0, "0.00", "0.00", "0.00", total] for sid, name, cluster, total in LAST_YEAR)
    diff = diff_against(result, last)
    with_previous = write_outputs(result, folder / "out", jobs=1, diff=diff)
    without = write_outputs(result, folder / "plain", returns=False)
    return result, last, with_previous, without


def rows(path: Path, sheet: str | None = None) -> list[tuple]:
    book = openpyxl.load_workbook(path)
    ws = book[sheet] if sheet else book.active
    return [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


def table(path: Path, sheet: str) -> list[dict]:
    head, *body = rows(path, sheet)
    return [dict(zip(head, r)) for r in body]


def pence(value: float) -> int:
    return round(value * 100)


# 1. SPEC §1, §6, §11.2: the Clusters sheet adds up to the Summary's totals

def test_the_clusters_sheet_has_a_no_cluster_row_so_its_totals_are_the_summarys__spec_11_2(ran):
    result, _, _, out = ran
    clusters = table(out / "allocations.xlsx", "Clusters")
    none = next(r for r in clusters if r["Cluster ID"] == "(no cluster)")
    total = next(r for r in clusters if r["Cluster"] == "Total")
    setting = result.schools.filter(pl.col("school_id") == "N").row(0, named=True)
    assert (none["Schools"], pence(none["SSA (£)"]), pence(none["PSF (£)"]), none["Cluster allocation (£)"]) == \
        (0, 25_000, setting["psf"], 0)
    assert setting["psf"] > 0
    assert (pence(total["SSA (£)"]), pence(total["PSF (£)"]), pence(total["Total (£)"])) == \
        (result.totals.ssa_total, result.totals.continuing_psf, int(result.schools["total"].sum()))
    with (out / "clusters.csv").open() as fh:  # the machine-readable table stays one row per cluster
        assert [r["cluster_id"] for r in csv.DictReader(fh)] == ["C1", "C2"]


def test_with_last_year_the_clusters_sheets_totals_row_adds_up_with_the_no_cluster_row__spec_11_2(ran):
    _, _, with_previous, _ = ran
    clusters = table(with_previous / "allocations.xlsx", "Clusters")
    none = next(r for r in clusters if r["Cluster ID"] == "(no cluster)")
    total = next(r for r in clusters if r["Cluster"] == "Total")
    assert (pence(none["Last year (£)"]), pence(none["Change (£)"])) == (0, pence(none["Total (£)"]))
    assert pence(total["Total (£)"]) - pence(total["Last year (£)"]) == pence(total["Change (£)"])
    assert pence(total["Change (£)"]) == sum(pence(r["Change (£)"]) for r in clusters if r is not total)
    assert pence(total["Last year (£)"]) == sum(pence(float(t)) for *_, t in LAST_YEAR)  # last year's authority


def test_a_setting_in_a_cluster_last_year_and_in_none_now_is_counted_last_year_in_its_cluster_only(tmp_path):
    from senrun.outputs.present import clusters_sheet_table
    from senrun.yearly.diff import diff_frames

    result = allocate(load_config(write_run(tmp_path, schools=SCHOOLS, statements=STATEMENTS, census=CENSUS)))
    previous = pl.DataFrame({"school_id": ["A", "B", "H", "N"], "cluster_id": ["C1", "C1", "C2", "C1"],
                             "total": [500_000, 10_000, 300_000, 70_000]})
    diff = diff_frames(previous, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    sheet = clusters_sheet_table(result, diff)
    last = dict(sheet.select("cluster_id", "previous_total").rows())
    assert last == {"C1": 580_000, "C2": 300_000, "(no cluster)": 0}
    assert sum(last.values()) == int(previous["total"].sum())


def test_the_terminal_shows_the_no_cluster_row_with_the_sheets_figures_only_when_it_holds_money__spec_11_2(
        ran, tmp_path):
    from dataclasses import replace

    result = ran[0]
    console = Console(width=200, record=True)
    print_clusters(result, console)
    line = next(text for text in console.export_text().splitlines() if "(no cluster)" in text)
    setting = result.schools.filter(pl.col("school_id") == "N").row(0, named=True)
    assert [c.strip() for c in line.split("│")[1:-1]] == [  # named: its 0 schools beside its PSF is no mistake
        "(no cluster) settings outside the formula", "0", "£250.00", f"£{setting['psf'] / 100:,.2f}", "£0.00", f"£{setting['total'] / 100:,.2f}"]
    nothing = result.schools.with_columns(pl.when(pl.col("school_id") == "N").then(0).otherwise(pl.col(c)).alias(c)
                                          for c in ("ssa", "psf", "total"))
    console = Console(width=200, record=True)
    print_clusters(replace(result, schools=nothing), console)
    assert "(no cluster)" not in console.export_text()


# 2. SPEC §6 manifest.json: "SHA-256 of every input"

def test_the_previous_file_is_listed_in_the_manifest_and_counts_in_the_run_reference__spec_6(ran):
    result, last, out, plain = ran
    manifest = json.loads((out / "manifest.json").read_text())
    data = last.read_bytes()
    import hashlib

    assert manifest["inputs"]["previous"] == {"path": str(last), "sha256": hashlib.sha256(data).hexdigest(),
                                              "bytes": len(data), "rows": 3}
    without = json.loads((plain / "manifest.json").read_text())
    assert "previous" not in without["inputs"] and without["run_reference"] == run_reference(result)
    assert manifest["run_reference"] != without["run_reference"]
    footer = openpyxl.load_workbook(out / "returns" / "A.xlsx").active.oddFooter.right.text
    assert footer == f"Run {manifest['run_reference']}"
    with (out / "diff.csv").open() as fh:  # the file's details are not columns of diff.csv
        assert next(csv.reader(fh)) == list(DIFF_COLUMNS)


def test_the_register_and_last_years_config_count_in_the_run_reference__spec_6_11_4(ran, tmp_path):
    """A register changes the money and --previous-config the Diff's reasons: a printed page must say
    which run it came from, so each changes the reference, and manifest.json lists both files."""
    import hashlib

    from typer.testing import CliRunner

    from senrun.cli import app

    result, _, _, plain = ran
    config = result.config.path
    last = tmp_path / "last" / "psf.csv"  # the run's psf.csv as last year's: its dates a year earlier
    last.parent.mkdir()
    last.write_text(re.sub(r"\b(\d{4})-(\d\d-\d\d)\b", lambda m: f"{int(m[1]) - 1}-{m[2]}",
                           (plain / "psf.csv").read_text()))
    runs = {"register": ["--register", str(last)], "previous_config": ["--previous-config", str(config)]}
    manifests = {}
    for name, options in runs.items():
        outcome = CliRunner().invoke(app, ["allocate", "--config", str(config), "--out", str(tmp_path / name),
                                           "--no-returns", "--quiet", *options])
        assert outcome.exit_code == 0, outcome.output
        manifests[name] = json.loads((tmp_path / name / "manifest.json").read_text())
    plain_reference = json.loads((plain / "manifest.json").read_text())["run_reference"]
    assert plain_reference == run_reference(result)
    assert len({plain_reference, *(m["run_reference"] for m in manifests.values())}) == 3
    assert manifests["register"]["register"]["sha256"] == hashlib.sha256(last.read_bytes()).hexdigest()
    assert manifests["previous_config"]["inputs"]["previous_config"] == {
        "path": str(config), "sha256": hashlib.sha256(config.read_bytes()).hexdigest(), "rows": 0}


# 3. SPEC §6 "Parameters (the config in force)", §9 defaults

def test_the_parameters_sheet_shows_every_default_in_force_marked_as_a_default__spec_6_9(ran):
    params = {r[0]: (r[1], r[2]) for r in rows(ran[3] / "allocations.xlsx", "Parameters")[1:]}
    assert params["policy.start"] == ("2012-09-01", None)  # set in the test's config
    assert {k: params[k] for k in ("prorate", "transfer", "missing_from_census", "delegation", "diff.flag_pct",
                                   "census_move_tolerance_days", "formula.pupils.nc_years", "phases.secondary")} == {
        "prorate": ("months", workbook.DEFAULT_NOTE), "transfer": ("ends", workbook.DEFAULT_NOTE),
        "missing_from_census": ("cease", workbook.DEFAULT_NOTE), "delegation": ("delegated", workbook.DEFAULT_NOTE),
        "diff.flag_pct": ("10", workbook.DEFAULT_NOTE), "census_move_tolerance_days": ("31", workbook.DEFAULT_NOTE),
        "formula.pupils.nc_years": ("[0, 11]", workbook.DEFAULT_NOTE), "phases.secondary": ("[7, 11]", workbook.DEFAULT_NOTE)}
    assert "formula.protection.floor_pct" not in params and "previous.sheet" not in params


# 4. SPEC §6: change_pct is blank where the previous total is 0, and the return agrees with diff.csv

def test_a_return_says_no_per_cent_for_a_school_paid_nothing_last_year_and_new_for_a_new_one__spec_6(ran):
    out = ran[2]

    def change(sid: str) -> object:
        return {r[0]: r[1] for r in rows(out / "returns" / f"{sid}.xlsx")}["Change (%)"]

    assert (change("B"), change("H"), change("A")) == ("— (last year £0.00)", "new this year", change("A"))
    assert isinstance(change("A"), float)


# 5. A rate is not additive across lines

def test_the_psf_sheets_annual_psf_column_has_no_total_but_paid_this_period_has__spec_1(ran):
    result, out = ran[0], ran[3]
    head, *body = rows(out / "pupils.xlsx", "PSF")
    total = next(r for r in body if "Total" in r)
    assert total[head.index("Annual PSF (£)")] is None
    assert pence(total[head.index("Paid this period (£)")]) == result.totals.continuing_psf


# 6. Two last-year figures, each said what it is

def test_each_sheet_says_what_its_last_year_figure_is(ran):
    out = ran[2]
    pack = openpyxl.load_workbook(out / "clusters" / "C2.xlsx")
    cluster_texts = [c.value for r in pack["Cluster"].iter_rows() for c in r]
    schools_texts = [c.value for r in pack["Schools"].iter_rows() for c in r]
    assert clusterpack.CLUSTER_LAST_YEAR in cluster_texts and clusterpack.SCHOOLS_LAST_YEAR in cluster_texts
    # nothing beside the Schools sheet's table: a note there had widened its printed page to 3-point figures
    width = len(next(pack["Schools"].iter_rows(max_row=1, values_only=True)))
    assert width == len([c for c in next(pack["Schools"].iter_rows(max_row=1, values_only=True)) if c])
    assert not any(clusterpack.SCHOOLS_LAST_YEAR == t for t in schools_texts)
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    notes = {name: {c.value: c.comment.text for c in book[name][1] if c.comment} for name in ("Clusters", "Schools")}
    assert notes["Clusters"]["Last year (£)"] == workbook.CLUSTERS_LAST_YEAR
    assert notes["Schools"]["Last year (£)"] == workbook.SCHOOLS_LAST_YEAR
    # a successor's last year holds its predecessors' totals (SPEC §11.1): both notes say so (decisions 87)
    assert all("schools it has taken over since" in n for n in (workbook.SCHOOLS_LAST_YEAR, clusterpack.SCHOOLS_LAST_YEAR))
    plain = openpyxl.load_workbook(ran[3] / "allocations.xlsx")  # no previous run: no last year, no note
    assert not any(c.comment for c in plain["Clusters"][1])


# 7. Every figure rounds half away from zero

def test_the_send_profiles_per_cents_round_half_away_from_zero():
    assert counts([16, 5, 1, 0]) == [16, 5, 31.3, 1, 6.3, 0, 0.0]
    assert counts([8, None]) == [8, None, None] and counts([0, 0]) == [0, 0, None]


# 8. What a school or setting reads on its return

def test_the_rounding_note_says_pennies_are_shared_across_the_authority_not_the_cluster__spec_1(ran):
    texts = [str(r[0]) for r in rows(ran[2] / "returns" / "A.xlsx")]
    first = next(at for at, text in enumerate(texts) if text.startswith("Units × rate = amount"))
    note = " ".join(texts[first:first + 2])  # on two rows, so that it prints whole within the page's width
    assert note == returnbook.ROUNDING_NOTE and not any("cluster's amounts" in t for t in texts)


def test_a_leaver_at_a_phase_end_is_told_which_phase_ended(ran):
    why = {r[0]: r[8] for r in rows(ran[2] / "returns" / "H.xlsx") if r[0] == U_YEAR11}
    assert why == {U_YEAR11: "phase_end: left the protected phase at the end of secondary (Year 11)"}
    why = {r[0]: r[8] for r in rows(ran[2] / "returns" / "N.xlsx") if r[0] == U_NURSERY}
    assert why == {U_NURSERY: "phase_end: left the protected phase at the end of nursery (N2)"}


def test_a_setting_outside_the_formula_with_no_cluster_is_told_it_has_no_cluster_share__spec_11_2(ran):
    result, out = ran[0], ran[2]
    lines = {r[0]: r[1] for r in rows(out / "returns" / "N.xlsx")}
    setting = result.schools.filter(pl.col("school_id") == "N").row(0, named=True)
    assert returnbook.OUTSIDE_NOTE in lines and pence(lines["Total: SSA + PSF"]) == setting["ssa"] + setting["psf"]
    assert not {"Your cluster's total allocation", "Cluster share (notional)"} & set(lines)
    assert not any("notional" in str(t) for t in lines)


def test_a_setting_outside_the_formula_in_a_cluster_is_told_it_has_no_share_not_shown_zero_units__spec_11_2(
        tmp_path):
    """A special school that belongs to a cluster but is outside the formula: no formula block of
    zero units (which reads as a lump sum withheld), no 'your share is notional' note; the cluster's
    allocation is still shown, as it is a member."""
    special = school("S", "Oak Special School", "C1", "500.00", in_formula="no")
    cfg = load_config(write_run(tmp_path, schools=[*SCHOOLS, special],
                                statements=[*STATEMENTS, statement("S801200005009", "2004-04-04", school="S",
                                                                   annual="6000.00")],
                                census=[*CENSUS, pupil("S801200005009", "S", "2004-04-04")]))
    result = allocate(cfg)
    out = write_outputs(result, tmp_path / "out", jobs=1)
    lines = {r[0]: r[1] for r in rows(out / "returns" / "S.xlsx")}
    setting = result.schools.filter(pl.col("school_id") == "S").row(0, named=True)
    assert setting["cluster_share"] == 0 and setting["psf"] > 0
    assert returnbook.OUTSIDE_IN_CLUSTER_NOTE in lines
    assert pence(lines["Total: SSA + PSF"]) == setting["ssa"] + setting["psf"]
    cluster = result.clusters.filter(pl.col("cluster_id") == "C1").row(0, named=True)
    assert pence(lines["Your cluster's total allocation"]) == cluster["cluster_allocation"]
    assert not {"Lump sum", "Cluster share (notional)"} & set(lines)
    assert not any("notional" in str(t) for t in lines)
    member = {r[0]: r[1] for r in rows(out / "returns" / "A.xlsx")}  # a school in the formula: as before
    assert "Cluster share (notional)" in member and "Lump sum" in member
    assert member["Cluster"] == "C1"  # no cluster_name column: the id alone, not "C1 (C1)"


def test_a_statement_issued_after_the_policy_began_shows_no_protected_phase_or_stop_date__faq_4(ran):
    head, *body = rows(ran[3] / "pupils.xlsx", "PSF")
    late = next(r for r in body if r[0] == U_LATE)
    assert (late[head.index("Protected phase")], late[head.index("PSF stops on")]) == (None, None)
    primary = next(r for r in body if r[0] == U_PRIMARY)
    assert primary[head.index("Protected phase")] == "primary"


# 9. Small things

def test_the_diff_sheet_names_a_closed_school_by_last_years_name(ran):
    diff = table(ran[2] / "allocations.xlsx", "Diff")
    closed = next(r for r in diff if r["School ID"] == "Y")
    assert (closed["School"], closed["Note"]) == ("Yew Tree Primary", "closed school")


def test_the_cluster_packs_schools_and_send_profile_sheets_have_filters(ran):
    from openpyxl.utils import get_column_letter

    pack = openpyxl.load_workbook(ran[2] / "clusters" / "C2.xlsx")
    schools, profile = pack["Schools"], pack["SEND profile"]
    # over the header and the schools' rows: not the totals row, nor the cluster's and the authority's rows
    assert schools.auto_filter.ref == f"A1:{get_column_letter(schools.max_column)}3"  # E and H (no note beside it)
    assert [schools.cell(4, 2).value, profile.cell(4, 2).value] == ["Total", "Cluster (all its schools)"]
    assert profile.auto_filter.ref == f"A2:{get_column_letter(profile.max_column)}3"  # H's one phase


def test_acronyms_stay_in_capitals_when_a_name_is_turned_into_words():
    assert [common.name_words(n) for n in ("sen_support", "fsm_ever6", "per_pupil", "pvi_ehc_top_up", "auxiliary_aids")] \
        == ["SEN support", "FSM ever6", "Per pupil", "PVI EHC top up", "Auxiliary aids"]
    assert column_label("formula_sen_support") == "SEN support (£)"


def test_a_name_in_words_keeps_the_capitals_the_council_wrote__spec_2_elements():
    """A three-tier council's `KS2_pupils` and `Y7_to_Y11_top_up` were headed "Ks2 pupils" and "Y7 to y11 top up" in
    every workbook, return and pack: only the first letter is made a capital, the rest kept as written."""
    assert [common.name_words(n) for n in ("KS2_pupils", "Y7_to_Y11_top_up", "middle_KS3", "sen")] \
        == ["KS2 pupils", "Y7 to Y11 top up", "Middle KS3", "SEN"]


def test_the_no_pupils_warning_names_the_schools_row(ran):
    warning = next(i for i in ran[0].warnings if i.code == "no_pupils")
    assert (warning.file, warning.row, warning.column) == ("schools.csv", 4, "school_id")


def test_the_workings_sheet_holds_units_rates_and_exact_shares_as_numbers_not_text(ran):
    _, _, _, out = ran
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    head, *body = [r for r in book["Workings"].iter_rows(values_only=True) if any(v is not None for v in r)]
    for name in ("Units", "Rate or share", "Exact share (pence)"):
        column = [row[head.index(name)] for row in body]
        assert column and all(isinstance(v, (int, float)) for v in column if v is not None), (name, column[:3])


def test_reasons_in_words_whatever_the_columns_type():
    from senrun.outputs.present import words

    enum = pl.Series("reason", ["phase_end", None], dtype=pl.Enum(["phase_end", "ceased"])).to_frame()
    assert words(enum)["reason"].to_list() == ["phase_end: left the protected phase at the end of its last year", None]
    assert words(pl.Series("this_year_reason", [None, None]).to_frame())["this_year_reason"].to_list() == [None, None]


# Printing: every page carries its footer, and chart sheets hold only what a chart sheet may

def test_a_long_year_label_is_cut_in_the_printed_footer_and_never_leaves_a_page_without_one(tmp_path, recwarn):
    year = "2013-14 " + "Y" * 300 + " & more"
    result = allocate(load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")],
                                            year=year)))
    out = write_outputs(result, tmp_path / "out", jobs=1)
    books = [out / "allocations.xlsx", out / "pupils.xlsx", out / "returns" / "A.xlsx",
             *sorted((out / "clusters").glob("*.xlsx"))]
    for path in books:
        for ws in openpyxl.load_workbook(path).worksheets:
            left = ws.oddFooter.left.text
            cut = left.removesuffix(" – &A")  # the sheet's name (&A) follows the cut text, whole
            assert left and left.startswith("2013-14 YYY") and cut.endswith("…"), (path.name, ws.title)
            assert cut != left or path.parent.name == "returns", (path.name, ws.title)
            assert ws.oddFooter.center.text.startswith("Page ")
    assert not [w for w in recwarn if "Footer" in str(w.message)]


def test_a_footer_is_within_excels_255_characters_and_never_splits_an_escaped_ampersand():
    from senrun.outputs.xlsx import MAX_FOOTER, footer

    assert footer("2013-14", "Run abc") == "&L2013-14&CPage &P of &N&RRun abc"
    assert footer("A & B") == "&LA && B&CPage &P of &N"
    for n in range(200, 260):
        for left, sheet in ((left, sheet) for left in ("&" * n, "x" * n + "&" * 10, "😀" * n) for sheet in (False, True)):
            text = footer(left, "Run 0123456789ab", sheet=sheet)
            assert sheet == (" – &A&CPage" in text)  # the sheet's name is never cut off
            assert len(text.encode("utf-16-le")) // 2 <= MAX_FOOTER
            body = text[2:text.index("&CPage")]
            assert len(body.replace("&&", "")) == len(body.replace("&&", "").lstrip("&")) and "&…" not in body.replace(
                "&&", "")


def test_chart_sheets_carry_no_page_fitting_which_only_a_worksheet_may_have(ran):
    import zipfile

    _, _, out, _ = ran
    with zipfile.ZipFile(out / "allocations.xlsx") as book:
        charts = [n for n in book.namelist() if n.startswith("xl/chartsheets/sheet")]
        assert charts
        for name in charts:
            xml = book.read(name).decode()
            assert "fitToPage" not in xml and "fitToHeight" not in xml and "fitToWidth" not in xml
            assert 'orientation="landscape"' in xml and 'paperSize="9"' in xml


def workings_parameters(folder: Path, formula: dict) -> set[tuple]:
    folder.mkdir()
    result = allocate(load_config(write_run(folder, statements=[statement("B801200005001", "2005-05-05")],
                                            formula=formula)))
    ws = openpyxl.load_workbook(write_outputs(result, folder / "out", returns=False) / "allocations.xlsx")["Workings"]
    header = [c.value for c in ws[1]]
    element, col = header.index("Element") + 1, header.index("Rate or share") + 1
    return {(ws.cell(r, element).value, ws.cell(r, col).value, ws.cell(r, col).number_format)
            for r in range(2, ws.max_row + 1) if ws.cell(r, col).value not in (None, "")}


def test_the_workings_show_a_rate_in_pounds_and_a_share_of_the_pot_as_a_per_cent(tmp_path):
    rates = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10.5},
                          {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    assert workings_parameters(tmp_path / "rates", rates) == {("Lump sum", 10.5, xlsx.RATE_FORMAT)}
    both = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                         {"name": "need", "basis": "pupils", "share": 0.25},
                         {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    assert workings_parameters(tmp_path / "both", both) == {("Lump sum", "£10.00", "General"),
                                                            ("Need", "25%", "General")}


def test_a_totals_row_leaves_the_change_per_pupil_blank_on_every_sheet_and_pack_it_is_a_rate_not_a_sum(ran):
    """The Schools and Clusters sheets' and each cluster pack's totals rows added up the rows' per-pupil changes
    (one total showed −£687.52 for a change of +£8,001.00 over 74 pupils); docs/outputs.md: a per-pupil rate
    is left blank there."""
    _, _, with_previous, _ = ran
    books = [(with_previous / "allocations.xlsx", "Schools"), (with_previous / "allocations.xlsx", "Clusters")]
    books += [(pack, "Schools") for pack in sorted((with_previous / "clusters").glob("*.xlsx"))]
    for path, sheet in books:
        found = rows(path, sheet)  # (a pack's sheet may have lines above its header)
        at = next(i for i, r in enumerate(found) if "Change per pupil (£)" in r)
        body = [dict(zip(found[at], r)) for r in found[at + 1:]]
        total = next(r for r in body if "Total" in r.values())
        per_pupil = [r["Change per pupil (£)"] for r in body if r is not total]
        assert any(v not in (None, "") for v in per_pupil), (path.name, sheet)
        assert total["Change per pupil (£)"] in (None, ""), (path.name, sheet, total)


def test_a_part_years_units_are_shown_as_a_whole_number_and_a_proper_fraction():
    """The Summary's Formula elements table showed a lump sum's units as 5165/12 (430 schools and 5 months of
    another), which a reader had to divide out."""
    assert [common.units_value(t) for t in ("5165/12", "7/12", "24/12", "109280", "12.5")] == [
        "430 5/12", "7/12", 2, 109280, Decimal("12.5")]
