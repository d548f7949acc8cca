"""Slips in the output and reporting layer that no other test noticed: the CSVs, the workbooks, the cluster
packs, the run-off, the diff, explain and simulate.  Each a sentence citing the SPEC section or FAQ answer it
encodes; every expected figure is worked by hand from the inputs written here.  Amounts are integer pence.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import polars as pl

from builders import run, statement, write_run
from senrun.config.loader import load_config
from senrun.outputs import present
from senrun.outputs.csvs import csv_bytes
from senrun.outputs.writer import csv_files
from senrun.yearly.diff import diff_frames
from senrun.yearly.explain import explain_school, explain_upn, run_for_explain
from senrun.yearly.runoff import runoff_by_school

U1, U2, U3 = "B801200005001", "E801200005002", "A801200005003"


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


# --- the CSVs --------------------------------------------------------------------------------

def test_a_formula_after_a_comma_inside_a_csv_field_is_guarded_as_one_after_a_semicolon_is__spec_6():
    # a spreadsheet told to split at the comma would start a cell at "=1+1" and run it
    rows = _csv(csv_bytes(pl.DataFrame({"school_name": ["Ash, =1+1", "Elm; @SUM(A1)", "Oak, Birch"]})))
    assert [r["school_name"] for r in rows] == ["Ash, '=1+1", "Elm; '@SUM(A1)", "Oak, Birch"]


def test_the_formula_columns_of_schools_csv_follow_the_configs_order_of_elements_not_the_alphabet__spec_6(
        tmp_path):
    elements = [{"name": "per_pupil", "basis": "pupils", "remainder": True},
                {"name": "lump_sum", "basis": "per_school", "rate": 10}]
    result = run(tmp_path, statements=[], formula={"elements": elements})
    files = dict(csv_files(result, None))
    for name, lead, tail in (("schools.csv", "psf", "cluster_share"), ("clusters.csv", "psf", "cluster_allocation")):
        columns = files[name].columns
        assert columns[columns.index(lead) + 1:columns.index(tail)] == ["formula_per_pupil", "formula_lump_sum"], name


# --- the workbooks' tables -------------------------------------------------------------------

def test_a_change_of_exactly_5_percent_is_in_the_band_of_0_to_5_percent_not_over_5__spec_6():
    # each band's bound is exclusive (BANDS): £5.00 on £100.00 is a gain of 0–5%, £5.01 a gain over 5%
    frame = pl.DataFrame({"change": [500, 501, -500, -501, 0], "previous_total": [10_000] * 5})
    assert present.band_counts(frame) == [1, 1, 1, 1, 1]


def test_the_restricted_psf_sheet_names_the_school_paid_just_after_its_id__spec_6(tmp_path):
    result = run(tmp_path, statements=[statement(U1, "2005-03-02", school="B")])
    columns = present.psf_table(result).columns
    assert columns[columns.index("paid_school_id") + 1] == "paid_school_name"
    assert present.psf_table(result).row(0, named=True)["paid_school_name"] == "Bromwell Primary"


# --- the run-off -----------------------------------------------------------------------------

def test_the_run_off_by_days_pays_a_whole_later_year_in_full_and_the_last_part_year_to_its_stop__spec_3_faq_8(
        tmp_path):
    # born 2 March 2005: Year 3 in 2012/13, primary protected to 31 August 2016 (end of Year 6).  By days, each
    # later financial year is paid days there / days in the year from its start: 2014-15 365/365, 2015-16
    # 366/366 (29 February 2016), 2016-17 1 April – 31 August = 153/365 of £3,650.00
    result = run(tmp_path, statements=[statement(U1, "2005-03-02", annual="3650.00")], prorate="days")
    got = runoff_by_school(result).sort("_k").select("year", "children", "psf").rows()
    assert got == [("2014-15", 1, 365_000), ("2015-16", 1, 365_000), ("2016-17", 1, 153_000)]


# --- allocations.xlsx: the Summary -----------------------------------------------------------

def _summary_rows(result) -> list[tuple]:
    import openpyxl

    from senrun.outputs.workbook import workbook_bytes

    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result)))["Summary"]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_the_summarys_sum_of_continuing_psf_top_slices_and_cluster_pot_is_the_pupil_specific_pot__spec_1():
    from outputs_fixture import build_result

    # the fixture's pot: £500,000.00, of which continuing PSF £32,515.28 (its paid lines), top-slices £10,000.00
    # and 2 × £3,000.00, and the cluster pot what is left: £451,484.72
    rows = {r[0]: r[1] for r in _summary_rows(build_result()) if r[0]}
    assert rows["Continuing PSF (paid to schools for protected children)"] == 32_515.28
    assert rows["Cluster pot (shared by the formula)"] == 451_484.72
    assert rows["Continuing PSF + top-slices + cluster pot"] == rows["Pupil specific pot"] == 500_000.00
    assert rows["Identity holds to the penny"] == "Yes"


def test_the_summarys_formula_elements_total_is_every_elements_total_so_the_cluster_pot__spec_1():
    from outputs_fixture import build_result

    rows = _summary_rows(build_result())
    head = next(i for i, r in enumerate(rows) if r[0] == "Element")
    end = next(i for i in range(head, len(rows)) if rows[i][0] == "Total")
    # lump sum 5 schools × £5,000.00; the per-pupil remainder the rest of the £451,484.72 pot
    assert [(r[0], r[1], r[2], r[5]) for r in rows[head + 1:end]] == [
        ("Lump sum", "a fixed sum per school", "a rate per unit", 25_000.00),
        ("Per pupil", "pupils", "what is left of the cluster pot", 426_484.72)]
    assert rows[end][5] == 451_484.72


def test_the_winners_and_losers_totals_count_every_school_and_every_cluster_each_in_its_own_column__spec_6():
    import openpyxl

    from outputs_fixture import build_result
    from senrun.outputs.workbook import workbook_bytes

    result = build_result()
    now = dict(result.schools.select("school_id", "total").iter_rows())
    # last year: 3301001 the same, 3301002 new, 3302001 £1.00 less, 3304001 twice this year's, KS/05 £1.00 more
    previous = pl.DataFrame({"school_id": ["3301001", "3302001", "3304001", "KS/05"],
                             "cluster_id": ["C1", "C1", "C2", "C2"],
                             "total": [now["3301001"], now["3302001"] - 100, 2 * now["3304001"], now["KS/05"] + 100]})
    diff = diff_frames(previous, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, diff)))["Winners and losers"]
    rows = [r[:3] for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    # C1 gains all of 3301002 (over 5% of C1's last year); C2 loses more than 3304001's whole total
    assert rows == [("Gain over 5%", 1, 1), ("Gain of 0–5%", 1, 0), ("No change", 1, 0), ("Loss of 0–5%", 1, 0),
                    ("Loss over 5%", 1, 1), ("Total", 5, 2)]


# --- diff.csv --------------------------------------------------------------------------------

def _diff(previous: list[tuple], current: list[tuple], successions=()) -> dict:
    schema = {"school_id": pl.String, "cluster_id": pl.String, "total": pl.Int64}
    frame = diff_frames(pl.DataFrame(previous, schema=schema, orient="row"),
                        pl.DataFrame(current, schema=schema, orient="row"), Decimal(10), successions)
    return {(r["level"], r["school_id"] or r["cluster_id"]): r for r in frame.iter_rows(named=True)}


def test_a_school_that_changed_cluster_is_listed_in_its_cluster_of_this_year_noting_last_years__spec_6():
    rows = _diff([("S1", "C1", 10_000), ("S2", "C1", 10_000)], [("S1", "C2", 10_000), ("S2", "C1", 10_000)])
    assert (rows["school", "S1"]["cluster_id"], rows["school", "S1"]["note"]) == ("C2", "changed cluster from C1")
    assert (rows["cluster", "C1"]["previous_total"], rows["cluster", "C1"]["current_total"]) == (20_000, 10_000)
    assert (rows["cluster", "C2"]["previous_total"], rows["cluster", "C2"]["note"]) == (0, "new cluster")


def test_a_successor_with_a_total_of_its_own_last_year_is_compared_with_it_plus_its_predecessors__spec_11_11():
    rows = _diff([("A", "C1", 100_000), ("B", "C1", 50_000)], [("B", "C1", 200_000)], (("A", "B"),))
    b = rows["school", "B"]
    assert (b["previous_total"], b["current_total"], b["change"], b["change_pct"], b["note"]) == (
        150_000, 200_000, 50_000, 33.33, "converted from A")
    assert ("school", "A") not in rows


# --- explain ---------------------------------------------------------------------------------

def test_explain_takes_a_child_born_on_1_september_as_the_youngest_of_the_next_year_group__spec_10(tmp_path):
    # SPEC §10: born 31 August 2002 is Year 6 in 2012/13, born 1 September 2002 Year 5
    cfg = write_run(tmp_path, statements=[statement(U1, "2002-08-31"), statement(U2, "2002-09-01")])
    result, psf, inp = run_for_explain(load_config(cfg))
    children = {c["upn"]: c for c in explain_school(result, "A")["psf"]["children"]}
    assert (children[U1]["nc_year_at_period_start"], children[U2]["nc_year_at_period_start"]) == (6, 5)
    assert "Year 6 at the period start" in children[U1]["text"]
    assert "Year 5 at the period start" in children[U2]["text"]


def test_explain_names_the_faq_answers_of_a_phase_end_as_the_stop__faq_3_5(tmp_path):
    # born 31 August 2002: Year 6 in 2012/13, so primary ends and PSF stops on 1 September 2013
    cfg = write_run(tmp_path, statements=[statement(U1, "2002-08-31")])
    result, psf, inp = run_for_explain(load_config(cfg))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    assert trail["stop"]["text"] == "First stop: phase_end — the protected phase ended (FAQ 3–5), on 01/09/2013."


def test_explain_gives_the_protected_phases_own_end_even_when_a_ceasing_stopped_the_psf_first__faq_3_5(tmp_path):
    # born 2 March 2005: Year 2 on 31 August 2012, so primary is protected to the end of Year 6, 31 August 2016;
    # the statement ceased on 15 June 2013, which is the first stop
    cfg = write_run(tmp_path, statements=[statement(U1, "2005-03-02", ceased="2013-06-15")])
    result, psf, inp = run_for_explain(load_config(cfg))
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [phase] = [s for s in trail["steps"] if s["rule"] == "protected_phase"]
    assert phase["text"] == ("Protected phase: primary (years 0 to 6); it ends after Year 6, so PSF stops on "
                             "01/09/2016 (FAQ 3–5).")
    assert trail["stop"]["text"] == "First stop: ceased — the statement ceased, on 15/06/2013."


def test_explain_gives_a_share_elements_total_as_its_share_of_the_whole_cluster_pot__spec_4(tmp_path):
    # no PSF and no top-slices: the cluster pot is the whole £1,000,000.00 pot, and a tenth of it £100,000.00
    elements = [{"name": "sen", "basis": "per_school", "share": 0.1},
                {"name": "per_pupil", "basis": "pupils", "remainder": True}]
    cfg = write_run(tmp_path, statements=[], formula={"elements": elements})
    result, psf, inp = run_for_explain(load_config(cfg))
    explained = explain_school(result, "A")
    [sen] = [e for e in explained["formula"]["elements"] if e["element"] == "sen"]
    assert (sen["element_total"], sen["amount"]) == (10_000_000, 3_333_334)  # a third of it, the penny to A
    assert "× cluster pot £1,000,000.00 = £100,000.00;" in sen["text"]


# --- the totals rows of allocations.xlsx ------------------------------------------------------

def test_the_totals_rows_add_up_schools_and_pupils_and_give_the_whole_change_to_two_places__spec_6():
    import openpyxl

    from outputs_fixture import build_result
    from senrun.outputs.common import COLUMN_LABELS
    from senrun.outputs.workbook import workbook_bytes

    result = build_result()
    now = dict(result.schools.select("school_id", "total").iter_rows())
    whole = sum(now.values())
    gap = whole // 301  # last year 3301001 had `gap` less, every other school the same: a change of about 0.33%
    previous = pl.DataFrame({"school_id": list(now), "cluster_id": result.schools["cluster_id"].to_list(),
                             "total": [t - gap if s == "3301001" else t for s, t in now.items()]})
    diff = diff_frames(previous, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, diff)))

    def totals(sheet: str) -> dict:
        rows = list(book[sheet].iter_rows(values_only=True))
        [total] = [r for r in rows if "Total" in r]
        return dict(zip(rows[0], total))

    assert round(gap * 100 / (whole - gap), 2) == 0.33
    schools = totals("Schools")
    # pupils 210 + 90 + 150 + 900 + 400
    assert (schools[COLUMN_LABELS["pupils"]], schools[COLUMN_LABELS["change_pct"]]) == (1750, 0.33)
    clusters = totals("Clusters")
    assert (clusters[COLUMN_LABELS["schools"]], clusters[COLUMN_LABELS["pupils"]]) == (5, 1750)
    assert clusters[COLUMN_LABELS["change_pct"]] == 0.33


# --- simulate --------------------------------------------------------------------------------

def test_a_scenario_raising_the_lump_sum_shows_each_schools_change_from_the_base_to_the_scenario__spec_7(tmp_path):
    from senrun.config.overlay import scenario_config
    from senrun.yearly.simulate import outcomes_frame, simulate

    # no PSF, no top-slices: the £1,000,000.00 pot is 3 lump sums and the rest per pupil (100, 200, 300 pupils).
    # Base, £10 lump sums: the remainder £999,970.00 gives A 16,666,166⅔p (its ⅔ takes the spare penny),
    # B 33,332,333⅓p, H 49,998,500p.  Scenario, £100,000 lump sums: £700,000.00 left gives A 11,666,666⅔p (+1p),
    # B 23,333,333⅓p, H 35,000,000p.  With SSA £1,000, £2,000, £3,000:
    base = load_config(write_run(tmp_path, statements=[]))
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "rate": 100000}]}}, "lump.yaml")
    sim = simulate(base, [("lump", cfg), ("same", base)])
    o, same = sim.scenarios
    # the money it moves either way, and its bands: A a gain over 5%, B none, H a loss over 5%; C1 unchanged
    assert (sim.rows[0].moved, sim.rows[0].bands) == (9_999_000, (1, 0, 1, 0, 1, 0, 0, 1, 0, 0))
    assert o.schools.select("school_id", "base_total", "scenario_total", "change", "change_pct").rows() == [
        ("A", 16_767_167, 21_766_667, 4_999_500, 29.82), ("B", 33_533_333, 33_533_333, 0, 0.0),
        ("H", 50_299_500, 45_300_000, -4_999_500, -9.94)]
    s = o.summary
    assert (s.winners, s.losers, s.unchanged, s.money_moved) == (1, 1, 1, 4_999_500)
    assert (s.largest_gain.school_id, s.largest_loss.school_id) == ("A", "H")
    assert (s.largest_gain_pct.school_id, s.largest_gain_pct.change_pct) == ("A", 29.82)
    # a scenario that moves nobody has no largest gain or loss, in pounds or in per cent
    s = same.summary
    assert (s.largest_gain, s.largest_loss, s.largest_gain_pct, s.largest_loss_pct) == (None, None, None, None)
    assert outcomes_frame([o]).row(2) == ("lump", "H", "C1", 50_299_500, 45_300_000, -4_999_500, -9.94)


# --- tables too long for a sheet -------------------------------------------------------------

def test_a_table_of_exactly_100000_rows_stays_on_its_sheet_and_one_of_100001_goes_to_csv__spec_6():
    from dataclasses import replace

    from outputs_fixture import build_result

    result = build_result()

    def workings(n: int) -> pl.DataFrame:
        return pl.DataFrame({"school_id": ["3301001"] * n, "element": ["lump_sum"] * n, "amount": [0] * n})

    names = [name for name, _ in csv_files(replace(result, workings=workings(100_000)), None)]
    assert "workings.csv" not in names
    [(name, frame)] = [f for f in csv_files(replace(result, workings=workings(100_001)), None) if f[0] == "workings.csv"]
    assert frame.height == 100_001


def test_of_two_schools_gaining_the_same_the_largest_gain_is_the_first_by_school_id__spec_6(tmp_path):
    from senrun.config.overlay import scenario_config
    from senrun.yearly.simulate import simulate

    # A and B of 100 pupils each, H of 200, no SSA: from £10 to £100,000 lump sums, A and B each go from
    # 24,999,250p + £10 to 17,500,000p + £100,000 (+2,499,750p), H from 49,998,500p + £10 to £450,000 (−4,999,500p)
    schools = [{"school_id": s, "school_name": f"School {s}", "cluster_id": "C1", "ssa": "0.00", "pupils": n}
               for s, n in (("B", "100"), ("A", "100"), ("H", "200"))]
    base = load_config(write_run(tmp_path, statements=[], schools=schools))
    cfg = scenario_config(base, {"formula": {"elements": [{"name": "lump_sum", "rate": 100000}]}}, "lump.yaml")
    s = simulate(base, [("lump", cfg)]).scenarios[0].summary
    assert (s.largest_gain.school_id, s.largest_gain.change) == ("A", 2_499_750)
    assert (s.largest_gain_pct.school_id, s.largest_loss.school_id, s.largest_loss.change) == ("A", "H", -4_999_500)


# --- manifest.json ---------------------------------------------------------------------------

def test_the_manifest_gives_each_total_of_the_money_identity_as_its_own_figure_and_counts_every_warning__spec_6_8():
    import json

    from senrun.outputs.manifest import manifest_bytes

    from outputs_fixture import LINES, SCHOOLS, WARNINGS, assemble

    manifest = json.loads(manifest_bytes(assemble(SCHOOLS, LINES, WARNINGS + WARNINGS[:1]), {}, {}))
    assert (manifest["policy_start"], manifest["period"]) == ("2012-09-01", {"start": "2013-04-01", "end": "2014-03-31"})
    assert manifest["warnings"] == {"count": 3, "by_code": {"not_in_census": 2, "upn_check_letter": 1}}
    totals = manifest["totals"]
    # the fixture's lines: paid 4,115.23 + 5,600 + 2,800 + 12,000 + 3,500 + 4,500.05; released 5,761.31 + 2,500
    # + 3,000 + 7,000
    assert {k: v["pence"] for k, v in totals.items() if isinstance(v, dict)} == {
        "pupil_specific_pot": 50_000_000, "continuing_psf": 3_251_528, "topslices_total": 1_600_000,
        "cluster_pot": 45_148_472, "released_psf": 1_826_131, "ssa_total": 71_000_005, "sen_total": 121_000_005}
    assert totals["continuing_psf"]["pounds"] == "32515.28"
    assert [(t["name"], t["pence"]) for t in totals["topslices"]] == [("auxiliary_aids", 1_000_000),
                                                                      ("cluster_host", 600_000)]
    assert totals["identity_holds"] is True


def test_a_scenario_with_other_schools_lists_a_school_it_drops_at_nothing_and_one_it_adds_in_id_order__spec_6(
        tmp_path):
    from builders import write_csv
    from senrun.config.overlay import scenario_config
    from senrun.yearly.simulate import outcomes_frame, simulate

    base = load_config(write_run(tmp_path, statements=[]))
    # the scenario's schools: A and B as they were, H gone, AB new (100 pupils, no SSA).  The remainder
    # £999,970.00 over 400 pupils: A and AB 24,999,250p, B 49,998,500p, each with a £10 lump sum
    write_csv(tmp_path / "other.csv", [
        {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00", "pupils": "100"},
        {"school_id": "AB", "school_name": "Abbey Primary", "cluster_id": "C1", "ssa": "0.00", "pupils": "100"},
        {"school_id": "B", "school_name": "Bromwell Primary", "cluster_id": "C1", "ssa": "2000.00", "pupils": "200"}])
    cfg = scenario_config(base, {"inputs": {"schools": {"path": "other.csv"}}}, "other.yaml")
    o = simulate(base, [("other", cfg)]).scenarios[0]
    assert outcomes_frame([o]).rows() == [
        ("other", "A", "C1", 16_767_167, 25_100_250, 8_333_083, 49.7),
        ("other", "AB", "C1", 0, 25_000_250, 25_000_250, None),
        ("other", "B", "C1", 33_533_333, 50_199_500, 16_666_167, 49.7),
        ("other", "H", "C1", 50_299_500, 0, -50_299_500, -100.0)]


# --- returns ---------------------------------------------------------------------------------

def test_a_schools_return_lists_its_children_by_upn_not_by_when_their_psf_came__spec_6_spec_10(tmp_path):
    from senrun.outputs.returns import children_columns

    # SPEC §10's managed move: B801… (Year 3, £8,400.00) moves from B to A on 15 November 2013, so B is paid
    # April–November (£5,600.00) and A December–March (£2,800.00); E802… is at A all year
    result = run(tmp_path, statements=[statement(U2, "2005-03-02"), statement(U1, "2004-10-02", school="B")],
                 moves=[{"upn": U1, "from_school_id": "B", "to_school_id": "A", "move_date": "2013-11-15",
                         "reason": "managed_move"}])
    got = children_columns(result, pl.Series(["B", "A"]))
    assert got.select("upn", "paid_amount").rows() == [(U1, 560_000), (U1, 280_000), (U2, 840_000)]


def test_the_runs_reference_changes_with_any_one_inputs_fingerprint_the_last_one_too__spec_6():
    from dataclasses import replace

    from outputs_fixture import build_result
    from senrun.outputs.common import inputs_fingerprint, run_reference

    result = build_result()
    assert [i.name for i in result.inputs] == ["schools", "statements"]
    seen = {inputs_fingerprint(result)}
    for k in range(len(result.inputs)):  # each input's file changed in turn, the others as they were
        changed = tuple(replace(i, sha256="d" * 64) if j == k else i for j, i in enumerate(result.inputs))
        seen.add(inputs_fingerprint(replace(result, inputs=changed)))
    seen.add(inputs_fingerprint(replace(result, config_sha256="e" * 64)))
    assert len(seen) == 4
    assert run_reference(result) == inputs_fingerprint(result)[:8]


def test_the_cluster_chart_plots_the_clusters_only_not_the_row_of_settings_with_no_cluster__spec_11_2(tmp_path):
    import re
    import zipfile

    import openpyxl

    from builders import SCHOOLS
    from senrun.outputs.workbook import workbook_bytes

    schools = [{**s, "in_formula": "yes"} for s in SCHOOLS] + [
        {"school_id": "P", "school_name": "Little Acorns Nursery", "cluster_id": "", "ssa": "500.00", "pupils": "0",
         "in_formula": "no"}]
    data = workbook_bytes(run(tmp_path, statements=[], schools=schools))
    # the Clusters sheet: C1, then "(no cluster)" with P's £500.00, then the totals
    rows = [r for r in openpyxl.load_workbook(io.BytesIO(data))["Clusters"].iter_rows(values_only=True)][1:]
    assert [r[0] for r in rows[:2]] == ["C1", present.NO_CLUSTER_ID]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        [chart] = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    cells = re.findall(r"<c:f>Clusters!([$A-Z0-9:]+)</c:f>", chart)
    assert cells == ["$B$2", "$I$2"]  # the one cluster's row only: its name (B) and its allocation (I)


def test_a_returns_file_name_turns_every_character_but_letters_digits_hyphen_and_underscore_into_one__spec_6():
    from senrun.outputs.returns import return_file_names

    ids = ["KS.05", "KS/06", "a-b_c9", "..x"]
    assert return_file_names(pl.DataFrame({"school_id": ids})) == {
        "KS.05": "returns/KS_05.xlsx", "KS/06": "returns/KS_06.xlsx", "a-b_c9": "returns/a-b_c9.xlsx",
        "..x": "returns/__x.xlsx"}


# --- the cluster packs -----------------------------------------------------------------------

def test_a_packs_per_cents_are_to_one_place_rounded_half_away_from_zero__faq_12():
    from senrun.outputs.clusterpack import per_cent

    # 5 of 16 is 31.25%, 2 of 3 is 66.66…%, 1 of 8 is 12.5%, 1 of 3 is 33.33…%
    assert [per_cent(5, 16), per_cent(2, 3), per_cent(1, 8), per_cent(1, 3)] == [31.3, 66.7, 12.5, 33.3]


def test_a_packs_cluster_sheet_gives_its_top_slice_per_school_times_its_schools_and_last_year_in_per_cent__faq_17(
        tmp_path):
    from senrun.outputs.clusterpack import plan_packs

    # a host top-slice of £100 per school: C1's three schools hold £300.00 of the £1,000,000.00 pot.  Last year
    # A £200,000.00, B and H £300,000.00 and £304,800.00: C1 then £804,800.00, now SSA £6,000 + the pot less the
    # top-slice, £1,005,700.00: a change of £200,900.00, 24.96…% → 24.96, £334.83 a pupil of its 600
    result = run(tmp_path, statements=[], topslices=[{"name": "host", "per_school": 100}])
    previous = pl.DataFrame({"school_id": ["A", "B", "H"], "cluster_id": ["C1"] * 3,
                             "total": [20_000_000, 30_000_000, 30_480_000]})
    diff = diff_frames(previous, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    [task] = plan_packs(result, diff)
    lines = {line[0]: line[1] for line in task.lines if line}
    assert lines["Host: held for this cluster's 3 schools"] == 30_000
    assert (lines["Last year"], lines["This year"], lines["Change"]) == (80_480_000, 100_570_000, 20_090_000)
    assert (lines["Change (%)"], lines["Change per pupil"]) == (24.96, 33_483)
    # the Schools sheet's totals row: the three schools' sums, and the whole change in per cent
    totals = dict(zip(task.schools.headers, task.schools.totals))
    assert (totals["Last year (£)"], totals["Change (£)"], totals["Change (%)"]) == (80_480_000, 20_090_000, 24.96)


def test_a_packs_send_profile_lists_each_schools_phases_in_the_configs_order__faq_12(tmp_path):
    from builders import pupil
    from senrun.outputs.clusterpack import plan_packs

    # census day 17 January 2013 (2012/13): born 1 March 2005 Year 3, 2000 Year 8, 1996 Year 12; secondary
    # comes before post16 in the config's phases, though not in the alphabet
    census = [pupil("A801200005101", "A", "2005-03-01"), pupil("A801200005102", "H", "1996-03-01"),
              pupil("A801200005103", "H", "2000-03-01"), pupil("A801200005104", "H", "2000-03-02")]
    [task] = plan_packs(run(tmp_path, statements=[], census=census))
    own = [r[:4] for r in task.profile.rows if r[0]]
    assert own == [("A", "Ashford Primary", "Primary", 1), ("H", "Hilltop High", "Secondary", 2),
                   ("H", "Hilltop High", "Post16", 1)]


def test_diff_lists_the_schools_then_the_clusters_each_in_code_point_order_of_their_ids__spec_6():
    current = [("b", "c2", 100), ("B", "C1", 100), ("a1", "c2", 100), ("A", "C1", 100)]
    frame = diff_frames(pl.DataFrame(current[::-1], schema=["school_id", "cluster_id", "total"], orient="row"),
                        pl.DataFrame(current, schema=["school_id", "cluster_id", "total"], orient="row"), Decimal(10))
    assert frame.select("level", "school_id", "cluster_id").rows() == [
        ("school", "A", "C1"), ("school", "B", "C1"), ("school", "a1", "c2"), ("school", "b", "c2"),
        ("cluster", None, "C1"), ("cluster", None, "c2")]


def test_the_workings_sheet_names_each_school_just_after_its_id__spec_6():
    from outputs_fixture import build_result

    work = present.workings_table(build_result())
    assert work.columns[:3] == ["school_id", "school_name", "element"]
    assert work.row(0)[:3] == ("3301001", "Alder Primary", "Lump sum")


def test_a_totals_rows_change_in_per_cent_is_rounded_half_away_from_zero_as_each_rows_is__spec_6_decisions_24(
        tmp_path):
    """Last year 100,480,000p, this year 125,600p more: exactly 0.125%. diff.csv's cluster row gives 0.13 (half away
    from zero, integer arithmetic); the Total rows of the Schools and Clusters sheets and of a pack's Schools sheet
    gave round()'s 0.12 beside it."""
    import openpyxl

    from senrun.outputs.clusterpack import plan_packs
    from senrun.outputs.workbook import workbook_bytes

    schools = [{"school_id": s, "school_name": n, "cluster_id": "C1", "ssa": ssa, "pupils": p}
               for s, n, ssa, p in (("A", "Ash", "1000.00", "100"), ("B", "Birch", "2000.00", "200"),
                                    ("H", "Holly", "3056.00", "300"))]
    result = run(tmp_path, statements=[], schools=schools)
    now = dict(result.schools.select("school_id", "total").iter_rows())
    assert sum(now.values()) == 100_605_600  # so that last year's 100,480,000p is 125,600p less: 0.125%
    prev = pl.DataFrame({"school_id": ["A", "B", "H"], "cluster_id": ["C1"] * 3,
                         "total": [now["A"] - 125_600, now["B"], now["H"]]})
    diff = diff_frames(prev, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    assert diff.filter(pl.col("level") == "cluster")["change_pct"].to_list() == [0.13]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, diff)))
    for sheet in ("Schools", "Clusters"):
        rows = list(book[sheet].iter_rows(values_only=True))
        [total] = [r for r in rows if "Total" in r]
        assert dict(zip(rows[0], total))["Change (%)"] == 0.13, sheet
    [task] = plan_packs(result, diff)
    assert dict(zip(task.schools.headers, task.schools.totals))["Change (%)"] == 0.13


def test_a_schools_return_gives_its_change_in_per_cent_rounded_half_away_from_zero_as_diff_csv_does__spec_6(
        tmp_path):
    """One school, the whole pot its own: 100,605,600p this year against 100,480,000p, exactly 0.125%. diff.csv
    gives 0.13; the school's return gave round()'s 0.12."""
    import openpyxl

    from senrun.outputs.returnbook import build_chunk
    from senrun.outputs.returns import plan_returns

    schools = [{"school_id": "A", "school_name": "Ash", "cluster_id": "C1", "ssa": "6056.00", "pupils": "600"}]
    result = run(tmp_path, statements=[], schools=schools)
    assert result.schools["total"].to_list() == [100_605_600]
    prev = pl.DataFrame({"school_id": ["A"], "cluster_id": ["C1"], "total": [100_480_000]})
    diff = diff_frames(prev, result.schools.select("school_id", "cluster_id", "total"), Decimal(10))
    assert diff.filter(pl.col("level") == "school")["change_pct"].to_list() == [0.13]
    [(_, data)] = build_chunk(next(plan_returns(result, 10, diff)))
    rows = {r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) if r[0]}
    assert rows["Change (%)"] == 0.13


def test_a_per_cent_worked_out_in_python_is_the_diffs_change_pct_for_any_pence__decisions_24():
    """The totals rows and the returns (outputs.common.percent_change, plain Python) and diff.csv
    (yearly.diff.change_pct_expr, Polars) round a change in per cent the same way, for any pence either side
    of zero, ties included."""
    from hypothesis import given, settings, strategies as st

    from senrun.outputs.common import percent_change
    from senrun.yearly.diff import change_pct_expr

    pence = st.integers(-10**12, 10**12)

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.tuples(pence, pence), min_size=1, max_size=20))
    def agree(pairs):
        frame = pl.DataFrame({"change": [c for c, _ in pairs], "previous": [p for _, p in pairs]},
                             schema={"change": pl.Int64, "previous": pl.Int64})
        expr = frame.select(change_pct_expr("change", "previous"))["change"].to_list()
        assert expr == [percent_change(c, p) for c, p in pairs]

    agree()
    assert percent_change(125_600, 100_480_000) == 0.13 and percent_change(-125_600, 100_480_000) == -0.13
    assert percent_change(5, 0) is None
