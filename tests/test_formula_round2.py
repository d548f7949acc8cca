"""The formula in round 2 (SPEC §1, §11.1, §11.2, §11.5, §11.8, §11.11), to the penny.

Every expected figure is worked by hand in the comments.  The period is 1 April 2013 –
31 March 2014 (12 months, 365 days), the census 17 January 2013 (academic year 2012/13).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builders import run, statement, write_csv, write_run
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate
from senrun.yearly.diff import previous_cluster_allocations

U1 = "B801200005001"
NOBODY = [statement(U1, "2005-05-05", school="S1", annual="0")]  # no PSF: the pot is all cluster pot
PRIMARY_DOB, SECONDARY_DOB = "2005-01-01", "2000-01-01"  # Year 3 and Year 8 at the January 2013 census


def school(sid: str, cluster: str | None = "K1", **extra) -> dict:
    return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": cluster or "", "ssa": "0", **extra}


def table(rows: list[dict]) -> list[dict]:
    """Rows with every column any of them has (blank where not given)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k, "") for k in keys} for r in rows]


def census_rows(school_id: str, n: int, dob: str = PRIMARY_DOB, start: int = 0, **extra) -> list[dict]:
    return [{"upn": f"A80120000{start + i:04d}", "school_id": school_id, "date_of_birth": dob, **extra}
            for i in range(n)]


def shares(result, column: str = "cluster_share") -> dict[str, int]:
    return dict(result.schools.select("school_id", column).iter_rows())


def rules(*elements) -> dict:
    return {"elements": list(elements)}


# --- §1: need values exactly as written --------------------------------------------------

def test_a_need_column_is_used_to_every_digit_as_written__faq_22_spec_1(tmp_path):
    # £84,120.21 = 8,412,021p shared 0.34234786 : 0.15826781 (sum 0.50061567).
    # 8,412,021 × 34,234,786 / 50,061,567 = 5,752,591.29… and × 15,826,781 / … = 2,659,429.70…:
    # floors 5,752,591 + 2,659,429 leave 1p, to the larger fraction (.70, S2) → £57,525.91 and £26,594.30.
    # (Rounded to millionths first, 0.342348 : 0.158268, it gave £57,525.90 and £26,594.31.)
    schools = [school("S1", idaci="0.34234786"), school("S2", idaci="0.15826781")]
    r = run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "84120.21"},
            formula=rules({"name": "need", "basis": "column:idaci", "remainder": True}))
    assert shares(r, "formula_need") == {"S1": 5752591, "S2": 2659430}
    assert r.elements[0].units == "0.50061567"


def test_a_need_column_of_excel_number_cells_is_used_to_every_digit_excel_shows_as_from_a_csv__faq_22_spec_1(
        tmp_path):
    """The workbook reader gave a number cell to nine decimal places: 0.000117873981997 was read as 0.000117874, 1/3
    as 0.333333333 and 0.0461494499214 as 0.04614945, so a pot of £1,234,567.89 gave S2 £1,084,093.56 and S3
    £150,090.97 from the workbook, a penny apart from the same digits in a CSV, with no word.  A number cell is
    read at the 15 significant digits Excel shows, as a Parquet float is (docs/inputs.md)."""
    import xlsxwriter

    # 123,456,789p shared 0.000117873981997 : 0.333333333333333 : 0.0461494499214 (sum 0.3796006571146
    # 43…): floors 38,336 + 108,409,356 + 15,009,096 leave 1p, to S2's larger fraction → 108,409,357.
    # (At nine places the floors leave it to S3: 108,409,356 and 15,009,097.)
    needs = {"S1": 0.000117873981997, "S2": 1 / 3, "S3": 0.0461494499214}
    rows = [school(sid, need=f"{value:.15g}") for sid, value in needs.items()]
    config = write_run(tmp_path, schools=table(rows), statements=NOBODY, budget={"pupil_specific_pot": "1234567.89"},
                       formula=rules({"name": "need", "basis": "column:need", "remainder": True}))
    from_csv = shares(allocate(load_config(config)), "formula_need")
    book = xlsxwriter.Workbook(str(tmp_path / "schools.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, list(rows[0]))
    for r, (sid, value) in enumerate(needs.items(), start=1):
        sheet.write_row(r, 0, [sid, f"School {sid}", "K1", 0, value])  # (the need as a number cell, as typed)
    book.close()
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["schools"] = {"path": "schools.xlsx"}
    config.write_text(yaml.safe_dump(cfg))
    from_xlsx = shares(allocate(load_config(config)), "formula_need")
    assert from_csv == from_xlsx == {"S1": 38336, "S2": 108409357, "S3": 15009096}


def test_a_need_value_of_more_than_15_places_is_an_error_that_says_to_round_it_where_it_is_worked_out__spec_1(
        tmp_path):
    """A CSV cell of 1/30 exported to 16 places, 0.0333333333333333, is refused (a need value is used to every digit
    as written, at most 15 places), with only "is not a number of units … with at most 15 decimal places", which did
    not say what to do. A word in the cell is told as before. (A workbook's number cell or a Parquet float is taken
    to 15 places: docs/inputs.md.)"""
    rows = [school("S1", need="0.0333333333333333"), school("S2", need="lots")]
    config = write_run(tmp_path, schools=table(rows), statements=NOBODY,
                       formula=rules({"name": "need", "basis": "column:need", "remainder": True}))
    with pytest.raises(SenrunError) as err:
        allocate(load_config(config))
    places, word = sorted((e for e in err.value.errors if e.code == "bad_value"), key=lambda e: e.row)
    assert (places.row, places.column) == (2, "need") and "=ROUND(…, 12)" in places.message
    assert word.row == 3 and "ROUND" not in word.message


def test_a_need_cells_excel_error_per_cent_or_uncalculated_formula_says_what_to_change_as_other_columns_do__spec_8(
        tmp_path):
    """A need column's bad cells all read "is not a number of units from 0 to 1,000,000,000 with at most 15 decimal
    places": a failed VLOOKUP's #N/A, a share saved from a cell formatted as a per cent (1.19%), and a formula
    saved without its value, shown as senrun's own marker "#UNCALCULATED:=I2/…". Each now says what to change, in
    the words the other columns use."""
    import xlsxwriter

    rows = [school("S1", need="#N/A"), school("S2", need="1.19%"), school("S3", need="0.5")]
    config = write_run(tmp_path, schools=table(rows), statements=NOBODY,
                       formula=rules({"name": "need", "basis": "column:need", "remainder": True}))
    with pytest.raises(SenrunError) as err:
        allocate(load_config(config))
    bad = {e.row: e.message for e in err.value.errors if e.code == "bad_value"}
    assert bad[2] == '"#N/A" is an Excel error, not a value: correct the formula in this cell'
    assert "it is a per cent" in bad[3] and "(1.19 for 1.19%" in bad[3]
    book = xlsxwriter.Workbook(str(tmp_path / "schools.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["school_id", "school_name", "cluster_id", "ssa", "need"])
    sheet.write_row(1, 0, ["S1", "School S1", "K1", 0])
    sheet.write_formula(1, 4, "=1/3")  # (no value saved: XlsxWriter writes 0 and asks Excel to calculate)
    sheet.write_row(2, 0, ["S2", "School S2", "K1", 0, 0.5])
    book.close()
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["schools"] = {"path": "schools.xlsx"}
    config.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SenrunError) as err:
        allocate(load_config(config))
    [formula] = [e.message for e in err.value.errors if e.code == "bad_value"]
    assert formula.startswith('"=1/3" is a formula with no calculated value') and "#UNCALCULATED" not in formula


def test_an_amount_of_three_to_five_places_says_a_formulas_result_is_rounded_with_round__spec_5(tmp_path):
    """An SSA uplifted by formula, =F5*1.02 on pence, is 21121.2726, which Excel shows as 21,121.27: it was told only
    "has more than two decimal places", where docs/inputs.md promises the =ROUND advice (given at six places or
    more)."""
    config = write_run(tmp_path, schools=table([school("S1", ssa="21121.2726"), school("S2")]), statements=NOBODY,
                       formula=rules({"name": "flat", "basis": "per_school", "remainder": True}))
    with pytest.raises(SenrunError) as err:
        allocate(load_config(config))
    [ssa] = [e for e in err.value.errors if e.code == "bad_value"]
    assert "has more than two decimal places" in ssa.message and "=ROUND(" in ssa.message


def test_an_amount_over_8_million_pounds_in_an_excel_number_cell_is_read_as_excel_shows_it__spec_5(tmp_path):
    """An SSA of £8,394,227.56 typed in a workbook was refused as "8394227.560000001" has more than two decimal
    places (the float's noise at nine places), which Excel never shows; the CSV of the same figure ran."""
    import xlsxwriter

    config = write_run(tmp_path, schools=table([school("S1"), school("S2")]), statements=NOBODY,
                       budget={"pupil_specific_pot": "100000", "sen_total": "8494227.56"},
                       formula=rules({"name": "flat", "basis": "per_school", "remainder": True}))
    book = xlsxwriter.Workbook(str(tmp_path / "schools.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["school_id", "school_name", "cluster_id", "ssa"])
    sheet.write_row(1, 0, ["S1", "School S1", "K1", 8394227.56])
    sheet.write_row(2, 0, ["S2", "School S2", "K1", 0])
    book.close()
    cfg = yaml.safe_load(config.read_text())
    cfg["inputs"]["schools"] = {"path": "schools.xlsx"}
    config.write_text(yaml.safe_dump(cfg))
    r = allocate(load_config(config))
    assert shares(r, "ssa") == {"S1": 839422756, "S2": 0}


def test_a_need_rate_is_taken_on_the_exact_units_and_rounded_once__spec_1(tmp_path):
    # rate £1000 × (0.0000005 + 0.0000005) = £0.001 → 0.1p → 0p; to millionths each was 0.000001 → 0.2p → 0p too,
    # but £100 000 × 0.1234565 = £12,345.65 exactly (millionths would have said 0.123457 → £12,345.70).
    schools = [school("S1", need="0.1234565"), school("S2", need="0")]
    r = run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "20000"},
            formula=rules({"name": "need", "basis": "column:need", "rate": 100000},
                          {"name": "flat", "basis": "per_school", "remainder": True}))
    assert {e.name: e.total for e in r.elements} == {"need": 1234565, "flat": 2000000 - 1234565}


# --- §11.1: open time -------------------------------------------------------------------

def test_a_school_opened_on_2_september_has_six_twelfths_of_the_lump_sum__faq_2_spec_11_11(tmp_path):
    # N opens 2 September 2013: open on the 1st of October … March = 6 of 12 months.  Lump sum £5,000:
    # total £7,500 (A £5,000, N £2,500).  The rest of £10,000, £2,500, by pupils 100 : 50 →
    # 166,666.67p and 83,333.33p: A takes the spare penny → 166,667p and 83,333p.
    schools = [school("A", pupils="100"), school("N", pupils="50", opened="2013-09-02")]
    r = run(tmp_path, schools=table(schools), statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "10000"},
            formula=rules({"name": "lump_sum", "basis": "per_school", "rate": 5000},
                          {"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "formula_lump_sum") == {"A": 500000, "N": 250000}
    assert shares(r, "formula_per_pupil") == {"A": 166667, "N": 83333}
    assert r.elements[0].units == "3/2"


def test_with_prorate_days_a_school_closed_on_30_june_has_91_days_of_365__faq_2_spec_11_1(tmp_path):
    # open 1 April – 30 June 2013: 30 + 31 + 30 = 91 days of 365.  £3,650 × 91/365 = £910.00.
    schools = [school("A", pupils="10"), school("X", pupils="10", closed="2013-06-30")]
    r = run(tmp_path, schools=table(schools), statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "10000"}, prorate="days",
            formula=rules({"name": "lump_sum", "basis": "per_school", "rate": 3650},
                          {"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "formula_lump_sum") == {"A": 365000, "X": 91000}


def test_a_school_open_on_no_day_of_the_period_has_no_row_and_is_no_top_slice_school__spec_11_11(tmp_path):
    # Z closed on 31 March 2013, the day before the period: no row.  The per-school top-slice counts the
    # two schools with a row (£100 × 2), not three.
    schools = [school("A", pupils="10"), school("B", pupils="10"), school("Z", pupils="10", closed="2013-03-31")]
    r = run(tmp_path, schools=table(schools), statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "1000"}, topslices=[{"name": "each", "per_school": 100}],
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert r.schools["school_id"].to_list() == ["A", "B"]
    assert r.totals.topslices == (("each", 20000),)


def test_census_rows_at_a_school_closed_before_census_day_count_at_its_successor__faq_3_6_spec_11_11(tmp_path):
    # OLD closed 31 December 2012 and became NEW (opened 1 January 2013).  The census (17 January 2013) still
    # has 3 children at OLD: they count at NEW, with NEW's own 2: NEW 5 pupils, OLD no row.
    schools = [school("A"), school("OLD", closed="2012-12-31", successor_id="NEW"),
               school("NEW", opened="2013-01-01")]
    census = census_rows("A", 5) + census_rows("OLD", 3, start=10) + census_rows("NEW", 2, start=20)
    r = run(tmp_path, schools=table(schools), census=census, statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "1000"},
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "pupils") == {"A": 5, "NEW": 5}
    assert shares(r) == {"A": 50000, "NEW": 50000}


def test_a_census_row_follows_a_links_input_to_the_nearest_successor_open_in_the_period__spec_11_1(tmp_path):
    # OLD closed 30 November 2012 → MID (closed 31 December 2012, no row either) → NEW (a links input, GIAS
    # style; the "Predecessor" row is ignored).  OLD's 4 children count at NEW, the nearest successor open in
    # the period: A 4, NEW 4 → £500 each of £1,000.
    schools = [school("A"), school("OLD", closed="2012-11-30"), school("MID", opened="2012-12-01",
               closed="2012-12-31"), school("NEW", opened="2013-01-01")]
    census = census_rows("A", 4) + census_rows("OLD", 4, start=10)
    path = write_run(tmp_path, schools=table(schools), census=census, budget={"pupil_specific_pot": "1000"},
                     statements=[statement(U1, "2005-05-05", school="A", annual="0")],
                     formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    write_csv(tmp_path / "links.csv", [
        {"URN": "OLD", "LinkURN": "MID", "LinkType": "Successor", "LinkEstablishedDate": ""},
        {"URN": "MID", "LinkURN": "NEW", "LinkType": "Successor - amalgamated", "LinkEstablishedDate": "2013-01-01"},
        {"URN": "NEW", "LinkURN": "A", "LinkType": "Predecessor", "LinkEstablishedDate": ""}])
    cfg = yaml.safe_load(path.read_text())
    cfg["inputs"]["links"] = {"path": "links.csv", "columns": {"URN": "school_id", "LinkURN": "successor_id",
                                                             "LinkType": "link_type",
                                                             "LinkEstablishedDate": "link_date"}}
    path.write_text(yaml.safe_dump(cfg))
    r = allocate(load_config(path))
    assert shares(r, "pupils") == {"A": 4, "NEW": 4}


def test_pupils_override_replaces_the_census_count_and_the_run_says_so_once__faq_2_spec_11_1(tmp_path):
    # NEW's census has 1 child; the council sets 29.  Pupils A 10, NEW 29 share £3,900: £100 a pupil.
    schools = [school("A"), school("NEW", pupils_override="29")]
    census = census_rows("A", 10) + census_rows("NEW", 1, start=50)
    r = run(tmp_path, schools=table(schools), census=census, statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "3900"},
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "pupils") == {"A": 10, "NEW": 29}
    assert shares(r) == {"A": 100000, "NEW": 290000}
    said = [i.message for i in r.warnings if i.code == "pupils_override"]
    assert said == ["pupils_override sets the pupils of 1 school(s): NEW 29 (counted 1)"]


@pytest.mark.parametrize("own_years", [None, [0, 11], [0, 10]])
def test_pupils_override_replaces_only_the_formula_pupils_count_not_an_elements_own_years__spec_11_11(
        tmp_path, own_years):
    """§11.11: pupils_override "replaces only the formula.pupils count (elements of basis pupils without their own
    nc_years, …)". An element naming its own years counts the census, even years the same as formula.pupils':
    NEW's census has 1 child, the council sets 29; A has 10. £3,900 by the override is £1,000 and £2,900; by
    the census, £3,545.45 and £354.55."""
    element = {"name": "per_pupil", "basis": "pupils", "remainder": True}
    if own_years is not None:
        element["nc_years"] = own_years
    schools = [school("A"), school("NEW", pupils_override="29")]
    census = census_rows("A", 10) + census_rows("NEW", 1, start=50)
    r = run(tmp_path, schools=table(schools), census=census, budget={"pupil_specific_pot": "3900"},
            statements=[statement(U1, "2005-05-05", school="A", annual="0")], formula=rules(element))
    assert shares(r, "pupils") == {"A": 10, "NEW": 29}  # the `pupils` column: formula.pupils' count, overridden
    assert shares(r) == ({"A": 100000, "NEW": 290000} if own_years is None else {"A": 354545, "NEW": 35455})


def test_a_sen_support_element_naming_formula_pupils_years_counts_them_from_the_census__spec_11_8(tmp_path):
    """Only `pupils` elements have a count of their own for formula.pupils' years (pupils_override replaces the
    other); a sen_support element naming those years is counted as one without them."""
    elements = [{"name": "support", "basis": "sen_support", "nc_years": [0, 11], "share": "0.5"},
                {"name": "per_pupil", "basis": "pupils", "remainder": True}]
    census = census_rows("A", 3, sen_provision="K") + census_rows("B", 1, start=20, sen_provision="K")
    r = run(tmp_path, schools=table([school("A"), school("B")]), census=census, budget={"pupil_specific_pot": "800"},
            statements=[statement(U1, "2005-05-05", school="A", annual="0")], formula=rules(*elements))
    assert r.schools.select("school_id", "formula_support").rows() == [("A", 30000), ("B", 10000)]


def test_a_pupils_column_beside_a_census_is_ignored_with_a_warning_never_silently__spec_11_1(tmp_path):
    schools = [school("A", pupils="999"), school("B", pupils="1")]
    census = census_rows("A", 1) + census_rows("B", 3, start=10)
    r = run(tmp_path, schools=table(schools), census=census, statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            budget={"pupil_specific_pot": "400"},
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "pupils") == {"A": 1, "B": 3}  # the census's counts, not 999 and 1
    assert any(i.code == "pupils_ignored" and "ignored: the census counts pupils" in i.message for i in r.warnings)


# --- §11.2, §11.5 --------------------------------------------------------------------------

def test_a_setting_outside_the_formula_gets_psf_but_no_formula_share_and_is_in_no_cluster__faq_1_spec_11_2(tmp_path):
    # P is a PVI nursery (in_formula no, no cluster) holding £1,200 a year of PSF for a protected child:
    # it has a row with PSF £1,200, formula 0 and pupils 0, though the census has 7 children there.  The
    # £10,000 pot less £1,200 PSF = £8,800 goes to A and B by pupils 3 : 1 → £6,600 and £2,200.
    schools = [school("A"), school("B"), school("P", cluster=None, in_formula="no")]
    census = census_rows("A", 3) + census_rows("B", 1, start=10) + census_rows("P", 7, start=20)
    census += [{"upn": U1, "school_id": "P", "date_of_birth": "2005-05-05"}]  # the census check passes there
    r = run(tmp_path, schools=table(schools), census=census, budget={"pupil_specific_pot": "10000"},
            statements=[statement(U1, "2005-05-05", school="P", annual="1200.00")],
            topslices=[{"name": "host", "per_cluster": 1}, {"name": "each", "per_school": 1}],
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    row = r.schools.filter(r.schools["school_id"] == "P").row(0, named=True)
    assert (row["psf"], row["formula_per_pupil"], row["pupils"], row["cluster_share"]) == (120000, 0, 0, 0)
    # top-slices: one cluster with a school in the formula, two schools in the formula
    assert r.totals.topslices == (("host", 100), ("each", 200))
    assert shares(r) == {"A": 659775, "B": 219925, "P": 0}  # (1,000,000 − 120,000 − 300) × 3/4 and × 1/4
    assert r.clusters["cluster_id"].to_list() == ["K1"] and r.clusters["schools"].to_list() == [2]


def test_only_current_and_main_registrations_count_in_the_formula__spec_11_5(tmp_path):
    # A: 2 C, 1 M, 1 S (subsidiary: counted at its main school), 1 G (guest) → 3; B: 1 blank (C) → 1.
    census = table(census_rows("A", 2, enrol_status="C") + census_rows("A", 1, start=10, enrol_status="M")
              + census_rows("A", 1, start=20, enrol_status="S") + census_rows("A", 1, start=30, enrol_status="G")
              + census_rows("B", 1, start=40, enrol_status=""))
    r = run(tmp_path, schools=table([school("A"), school("B")]), census=census, budget={"pupil_specific_pot": "400"},
            statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "pupils") == {"A": 3, "B": 1}
    assert shares(r) == {"A": 30000, "B": 10000}


# --- §11.8: the year-one review controls ---------------------------------------------------

def test_primary_and_secondary_pupils_can_have_different_rates__faq_2_22_spec_11_8(tmp_path):
    # A: 2 Year 3 pupils; H: 1 Year 3 and 1 Year 8.  Primary £100 (years 0–6): £300 → A £200, H £100.
    # Secondary £200 (years 7–11): H £200.  The remaining £500 by all pupils 2 : 2 → £250 each.
    census = census_rows("A", 2) + census_rows("H", 1, start=10) + census_rows("H", 1, dob=SECONDARY_DOB, start=20)
    r = run(tmp_path, schools=[school("A"), school("H")], census=census, budget={"pupil_specific_pot": "1000"},
            statements=[statement(U1, "2005-05-05", school="A", annual="0")],
            formula=rules({"name": "primary", "basis": "pupils", "nc_years": [0, 6], "rate": 100},
                          {"name": "secondary", "basis": "pupils", "nc_years": [7, 11], "rate": 200},
                          {"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert shares(r, "formula_primary") == {"A": 20000, "H": 10000}
    assert shares(r, "formula_secondary") == {"A": 0, "H": 20000}
    assert shares(r, "formula_per_pupil") == {"A": 25000, "H": 25000}


def test_a_per_cluster_sum_is_split_within_the_cluster_by_pupils__faq_17_22_spec_11_8(tmp_path):
    # £1,000.01 (100,001p) split equally between K1 and K2: 50,000.5 each, the spare penny to K1 (cluster_id).
    # K1's 50,001p by pupils 30 : 10 → 37,500.75 and 12,500.25: floors 37,500 + 12,500, 1p to S1 → 37,501 / 12,500.
    schools = [school("S1", pupils="30"), school("S2", pupils="10"), school("S3", "K2", pupils="20")]
    r = run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "1000.01"},
            formula=rules({"name": "host", "basis": "per_cluster", "remainder": True}))
    assert shares(r, "formula_host") == {"S1": 37501, "S2": 12500, "S3": 50000}
    assert r.elements[0].units == "2"


def test_a_per_cluster_rate_gives_each_cluster_the_rate__faq_17_spec_11_8(tmp_path):
    # £1,000 per cluster, 2 clusters = £2,000: K1 30 : 10 → £750 / £250, K2 £1,000; the rest £1,000 flat.
    schools = [school("S1", pupils="30"), school("S2", pupils="10"), school("S3", "K2", pupils="20")]
    r = run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "3000"},
            formula=rules({"name": "host", "basis": "per_cluster", "rate": 1000},
                          {"name": "flat", "basis": "per_school", "remainder": True}))
    assert shares(r, "formula_host") == {"S1": 75000, "S2": 25000, "S3": 100000}


PROTECTED = [school("S1", "K1", pupils="20"), school("S2", "K2", pupils="40"), school("S3", "K3", pupils="40")]


def protected_run(tmp_path: Path, previous: dict[str, int], floor_pct="-10"):
    path = write_run(tmp_path, schools=PROTECTED, statements=NOBODY, budget={"pupil_specific_pot": "10000"},
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": floor_pct}})
    return allocate(load_config(path), previous=previous)


def test_a_tiny_floor_is_shown_as_typed_not_in_exponent_form(tmp_path):
    """`floor_pct: "-0.000000000001"` read "floor_pct -1E-12" on the Summary."""
    r = protected_run(tmp_path, {"K1": 300000, "K2": 300000, "K3": 350000}, floor_pct="-0.000000000001")
    assert r.elements[-1].parameter.startswith("floor_pct -0.000000000001; s = ")



def test_an_unpayable_floor_of_a_billionth_of_a_per_cent_is_told_as_written_not_in_exponent_form__spec_11_8(tmp_path):
    """Every cluster lost on last year, so no gain pays the floor: its message read "the floor of -1E-9%"."""
    with pytest.raises(SenrunError) as caught:
        protected_run(tmp_path, {"K1": 300000, "K2": 500000, "K3": 500000}, floor_pct="-0.000000001")
    [issue] = caught.value.errors
    assert "the floor of -0.000000001% costs £3,000.00" in issue.message and "E-" not in issue.message


def test_a_floor_raises_a_losing_cluster_and_scales_the_gainers_by_one_factor__faq_2_22_spec_11_8(tmp_path):
    # Before protection: K1 £2,000, K2 £4,000, K3 £4,000 (pupils 20 : 40 : 40 of £10,000).
    # Last year K1 £3,000, K2 £3,000, K3 £3,500; floor −10% → K1's floor £2,700: raised by 70,000p.
    # Gains K2 100,000p + K3 50,000p = 150,000p; s = 70,000 / 150,000 = 7/15 = 0.466667.
    # K2 −46,666.67p, K3 −23,333.33p: floored toward −∞ −46,667 and −23,334 (sum −1 with K1's +70,000),
    # the spare penny to the larger fractional part (K3, .67) → K2 −46,667p, K3 −23,333p.
    r = protected_run(tmp_path, {"K1": 300000, "K2": 300000, "K3": 350000})
    assert shares(r, "formula_protection") == {"S1": 70000, "S2": -46667, "S3": -23333}
    assert shares(r) == {"S1": 270000, "S2": 353333, "S3": 376667}
    element = r.elements[-1]
    assert (element.name, element.total) == ("protection", 0) and "s = 0.466667" in element.parameter
    assert int(r.schools["cluster_share"].sum()) == r.totals.cluster_pot


def test_a_new_cluster_and_one_between_its_floor_and_last_year_are_neither_raised_nor_scaled__spec_11_11(tmp_path):
    # K1 £2,000 against £2,100 (floor £1,890): untouched.  K3 is new.  K2 £4,000 against £3,000 gained, but no
    # floor costs anything: s = 0 and every adjustment is 0.
    r = protected_run(tmp_path, {"K1": 210000, "K2": 300000})
    assert shares(r, "formula_protection") == {"S1": 0, "S2": 0, "S3": 0}
    assert "s = 0.000000" in r.elements[-1].parameter


def test_a_floor_the_gains_cannot_pay_for_is_an_error_naming_both_figures__spec_11_8(tmp_path):
    # K1's floor £9,000 costs £7,000; K2 and K3 gained only £1,000 + £1,000.
    with pytest.raises(SenrunError) as caught:
        protected_run(tmp_path, {"K1": 1000000, "K2": 300000, "K3": 300000})
    text = str(caught.value)
    assert "£7,000.00" in text and "£2,000.00" in text


def test_a_floor_the_gains_cannot_pay_for_names_the_least_negative_floor_they_can_pay__faq_22_spec_11_8(tmp_path):
    """An officer told only to lower the floor was refused at −7%, −11% and again until a guess paid.  K1 £2,000
    against £10,000 last year; K2 and K3 gained £1,000 each: a floor P costs £10,000 × (1 + P/100) − £2,000, which
    £2,000 pays down to P = −60%."""
    last = {"K1": 1000000, "K2": 300000, "K3": 300000}
    with pytest.raises(SenrunError) as caught:
        protected_run(tmp_path, last)
    assert str(caught.value).endswith("the least negative floor they can pay is -60.00%")
    with pytest.raises(SenrunError) as still:
        protected_run(tmp_path, last, floor_pct="-59.99")
    assert str(still.value).endswith("the least negative floor they can pay is -60.00%")
    r = protected_run(tmp_path, last, floor_pct="-60.00")  # the advice followed: the run pays, every gain taken
    assert shares(r, "formula_protection") == {"S1": 200000, "S2": -100000, "S3": -100000}


def test_a_floor_the_gains_cannot_pay_for_names_the_clusters_new_this_year_whose_gain_pays_nothing__spec_11_11(
        tmp_path):
    """A cluster split or renamed is new, and its gain pays nothing: "gained only £1,000.00" beside a new
    cluster that had plainly gained had puzzled the reader."""
    with pytest.raises(SenrunError) as caught:
        protected_run(tmp_path, {"K1": 1000000, "K2": 300000})
    assert "clusters new this year, not in last year's file, are neither floored nor scaled" in str(caught.value)
    assert "pays nothing: K3; a cluster renamed or split is new" in str(caught.value)


def test_a_floor_the_gains_cannot_pay_is_told_at_its_config_line_by_explain_and_simulate_as_by_allocate__spec_8_11_8(
        tmp_path):
    """allocate and validate said `senrun.yaml › line N › formula.protection.floor_pct`; explain and simulate gave
    the same error with no line (a base formula the pot cannot pay alike)."""
    from senrun.config.overlay import sweep_scenarios
    from senrun.yearly.explain import run_for_explain
    from senrun.yearly.simulate import simulate

    (tmp_path / "last.csv").write_text("school_id,cluster_id,cluster_share,total\nS1,K1,10000.00,1\n"
                                       "S2,K2,3000.00,1\nS3,K3,3000.00,1\n")  # K1's floor costs £7,000 of £2,000
    path = write_run(tmp_path, schools=PROTECTED, statements=NOBODY, budget={"pupil_specific_pot": "10000"},
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": -10}})
    cfg = load_config(path)
    line = cfg.lines["formula.protection.floor_pct"]
    where = []
    for run_it in (lambda: allocate(cfg, previous=previous_cluster_allocations(tmp_path / "last.csv")),
                   lambda: run_for_explain(cfg, previous=tmp_path / "last.csv"),
                   lambda: simulate(cfg, sweep_scenarios(cfg, ["per_pupil.remainder=true"]),
                                    previous=previous_cluster_allocations(tmp_path / "last.csv"))):
        with pytest.raises(SenrunError) as caught:
            run_it()
        [error] = caught.value.errors
        where.append((error.file, error.row, error.column))
    assert line and where == [("senrun.yaml", line, "formula.protection.floor_pct")] * 3


def test_protection_reads_last_years_cluster_allocation_from_its_schools_csv__spec_11_11(tmp_path):
    (tmp_path / "last.csv").write_text("school_id,cluster_id,cluster_share,total\nS1,K1,1000.50,1\n"
                                       "S2,K1,999.50,1\nS9,K9,5.00,1\n")
    assert previous_cluster_allocations(tmp_path / "last.csv") == {"K1": 200000, "K9": 500}


def test_protection_reads_last_years_allocations_workbook_as_its_schools_csv__spec_11_11(tmp_path):
    """Last year's allocations.xlsx, headed for people, gives the same cluster allocations as its
    schools.csv (the Schools sheet's totals row is not a cluster)."""
    from senrun.outputs import write_outputs

    last = allocate(load_config(write_run(tmp_path, schools=PROTECTED, statements=NOBODY,
                                          budget={"pupil_specific_pot": "9500"},
                                          formula={"elements": [{"name": "per_pupil", "basis": "pupils",
                                                                 "remainder": True}]})))
    out = write_outputs(last, tmp_path / "last", returns=False)
    from_book = previous_cluster_allocations(out / "allocations.xlsx")
    assert from_book == previous_cluster_allocations(out / "schools.csv") == {"K1": 190000, "K2": 380000,
                                                                              "K3": 380000}


def test_validate_and_explain_take_last_years_allocations_for_the_floor_or_say_they_leave_it_out__spec_11_8(
        tmp_path):
    import json

    from typer.testing import CliRunner

    from senrun.cli import app

    (tmp_path / "last.csv").write_text("school_id,cluster_id,cluster_share,total\nS1,K1,3000.00,1\n"
                                       "S2,K2,3000.00,1\nS3,K3,3500.00,1\n")  # the first test's last year
    path = write_run(tmp_path, schools=PROTECTED, statements=NOBODY, budget={"pupil_specific_pot": "10000"},
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": -10}})
    runner = CliRunner()

    def validated(*extra: str) -> tuple[int, list[str]]:
        done = runner.invoke(app, ["validate", "-c", str(path), "--json", *extra])
        return done.exit_code, [i["code"] for i in json.loads(done.output)["issues"]]

    assert validated() == (0, ["no_census", "protection_skipped"])  # the nightly check runs, and says so
    skipped = json.loads(runner.invoke(app, ["validate", "-c", str(path), "--json"]).output)["issues"][-1]
    assert skipped["row"] == load_config(path).lines["formula.protection"] and skipped["row"], \
        "at the config's line of formula.protection, as its error is"
    assert validated("--previous", str(tmp_path / "last.csv")) == (0, ["no_census"])

    def explained(*extra: str) -> dict:
        done = runner.invoke(app, ["explain", "-c", str(path), "--school", "S1", "--json", *extra])
        assert done.exit_code == 0, done.output
        return json.loads(done.output)

    floored = explained("--previous", str(tmp_path / "last.csv"))
    assert floored["total"] == 270000 and floored["matches_allocation"] and not floored["notes"]
    assert [(e["element"], e["amount"]) for e in floored["formula"]["elements"]] == [("per_pupil", 200000),
                                                                                     ("protection", 70000)]
    unfloored = explained()
    assert unfloored["total"] == 200000 and "not applied" in unfloored["notes"][0]
    told = runner.invoke(app, ["explain", "-c", str(path), "--school", "S1"])
    assert "before formula.protection's floor" in " ".join(told.output.split())


def test_protection_without_previous_stops_allocate__spec_11_8(tmp_path):
    path = write_run(tmp_path, schools=PROTECTED, statements=NOBODY, budget={"pupil_specific_pot": "10000"},
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": -10}})
    with pytest.raises(SenrunError, match="--previous"):
        allocate(load_config(path))


# --- §11.1: year on year ---------------------------------------------------------------------

def _school_diff(tmp_path, schools: list[dict], census_at: str, last_year: str) -> dict:
    """school_id → (previous_total, current_total, note) of this year's run against `last_year` (a schools.csv)."""
    from senrun.yearly.diff import diff_against

    census = census_rows(census_at, 3) + census_rows("B", 1, start=10)
    r = run(tmp_path, schools=table(schools), census=census, budget={"pupil_specific_pot": "1000"},
            statements=[statement(U1, "2005-05-05", school=census_at, annual="0")],
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    (tmp_path / "last.csv").write_text("school_id,cluster_id,total\n" + last_year)
    diff = diff_against(r, tmp_path / "last.csv").filter(level="school")
    return {sid: (prev, cur, note) for sid, prev, cur, note in
            diff.select("school_id", "previous_total", "current_total", "note").iter_rows()}


def test_an_academy_is_compared_with_the_school_it_converted_from_and_that_school_has_no_closed_row__faq_6_spec_11_1(
        tmp_path):
    # Last year OLD had £600 and NEW £100 (it opened in January); this year OLD (closed 31 March 2013) has no row
    # and NEW is compared with £600 + £100 = £700: it gets all £1,000, a change of £300.
    schools = [school("OLD", closed="2013-03-31", successor_id="NEW"), school("NEW", opened="2013-01-01"),
               school("B", "K2")]
    rows = _school_diff(tmp_path, schools, "NEW", "B,K2,400.00\nNEW,K1,100.00\nOLD,K1,600.00\n")
    assert rows == {"B": (40000, 25000, None), "NEW": (70000, 75000, "converted from OLD")}


def test_an_academy_that_took_over_during_the_year_is_said_to_be_new_from_its_predecessor__faq_6_spec_11_1(
        tmp_path):
    # OLD closes on 31 August 2013, in the year: it has a row this year and keeps last year's £600 to compare
    # with; NEW (open from 1 September) had no total last year, and its note names where it came from.
    schools = [school("OLD", closed="2013-08-31", successor_id="NEW"), school("NEW", opened="2013-09-01"),
               school("B", "K2")]
    rows = _school_diff(tmp_path, schools, "OLD", "B,K2,400.00\nOLD,K1,600.00\n")
    assert {sid: note for sid, (_, _, note) in rows.items()} == {
        "B": None, "OLD": "taken over by NEW during the year", "NEW": "new school: took over from OLD during the year"}
    assert rows["OLD"][0] == 60000 and rows["NEW"][0] == 0


def test_a_school_that_took_over_another_during_the_year_says_so_beside_its_own_last_total__faq_6_spec_11_1(
        tmp_path):
    # B (open all along, K2) takes over OLD on 1 September 2013 (an amalgamation): B is compared with its own
    # £400 of last year, OLD with its £600, and each note says what happened during the year.
    schools = [school("OLD", "K2", closed="2013-08-31", successor_id="B"), school("B", "K2"), school("A")]
    rows = _school_diff(tmp_path, schools, "A", "A,K1,100.00\nB,K2,400.00\nOLD,K2,600.00\n")
    assert {sid: (prev, note) for sid, (prev, _, note) in rows.items()} == {
        "A": (10000, None), "B": (40000, "took over from OLD during the year"),
        "OLD": (60000, "taken over by B during the year")}


def test_an_academy_that_took_over_during_the_year_is_told_where_its_predecessors_figures_are__faq_6_spec_11_1(
        tmp_path):
    """A school asked "we converted in September; where is our money from before?": its return said "new this
    year" beside last year's £0, and explain "0 of 3 units" with no reason, though diff.csv knew it took over from
    OLD, whose pupils the January census counted (the academy was not open on census day)."""
    import openpyxl

    from senrun.outputs import write_outputs
    from senrun.yearly.diff import diff_against
    from senrun.yearly.explain import explain_school

    schools = table([school("OLD", closed="2013-08-31", successor_id="NEW"), school("NEW", opened="2013-09-01"),
                     school("B", "K2")])
    path = write_run(tmp_path, schools=schools, census=census_rows("OLD", 3) + census_rows("B", 1, start=10),
                     budget={"pupil_specific_pot": "1000"}, statements=[statement(U1, "2005-05-05", school="OLD",
                                                                                   annual="0")],
                     formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    r = allocate(load_config(path))
    (tmp_path / "last.csv").write_text("school_id,cluster_id,total\nB,K2,400.00\nOLD,K1,600.00\n")
    write_outputs(r, tmp_path / "out", diff=diff_against(r, tmp_path / "last.csv"), jobs=1)
    cells = [c for row in openpyxl.load_workbook(tmp_path / "out" / "returns" / "NEW.xlsx").active.iter_rows(
        values_only=True) for c in row if isinstance(c, str)]
    assert ("new this year: took over from OLD during the year (its figures are on its own return)") in cells
    said = explain_school(r, "NEW")["formula"]["text"]
    assert ("It took over from OLD on 01/09/2013, after the census date 17/01/2013: the census counted those pupils "
            "there, and their share of the formula is that school's (SPEC §11.1).") in said
    assert "took over" not in explain_school(r, "B")["formula"]["text"]


def test_an_academy_counting_pupils_of_its_own_is_not_told_the_census_counted_them_at_its_predecessor__spec_11_1(
        tmp_path):
    """Without a pupil-level census (the schools input's pupils column), or with a pupils_override, an academy that
    took over after census day counts pupils of its own; explain said all the same that "the census counted those
    pupils there, and their share of the formula is that school's", beside its per-pupil share."""
    from senrun.yearly.explain import explain_school

    formula = rules({"name": "per_pupil", "basis": "pupils", "remainder": True})
    old_new = [school("OLD", closed="2013-08-31"), school("NEW", opened="2013-09-01"), school("B", "K2")]
    links = [{"school_id": "OLD", "successor_id": "NEW", "link_type": "Successor - academy",
              "link_date": "2013-09-01"}]
    nobody = [statement(U1, "2005-05-05", school="B", annual="0")]
    gias = write_run(tmp_path, schools=table([dict(s, pupils="30") for s in old_new]), links=links, formula=formula,
                     budget={"pupil_specific_pot": "900"}, statements=nobody)
    (tmp_path / "override").mkdir()
    overridden = write_run(tmp_path / "override", schools=table([dict(s, pupils_override="30" * (s["school_id"] == "NEW"))
                                                                 for s in old_new]),
                           links=links, formula=formula, budget={"pupil_specific_pot": "900"}, statements=nobody,
                           census=census_rows("OLD", 30) + census_rows("B", 30, start=100))
    for path in (gias, overridden):
        r = allocate(load_config(path))
        assert shares(r, "formula_per_pupil")["NEW"] == 30000, "NEW counts 30 of the 90 pupils"
        said = explain_school(r, "NEW")["formula"]["text"]
        assert "the census counted those pupils there" not in said and "took over" not in said


def test_a_setting_outside_the_formula_gets_a_return_only_if_it_is_paid_psf__spec_11_2(tmp_path):
    # P holds a protected child's PSF: a return.  Q (a special school, in_formula no) is paid nothing: a row
    # in schools.csv (open in the period) but no return.
    from senrun.outputs.returns import element_list, return_file_names, school_fields

    schools = [school("A"), school("P", cluster=None, in_formula="no"), school("Q", "K1", in_formula="no")]
    census = census_rows("A", 3) + [{"upn": U1, "school_id": "P", "date_of_birth": "2005-05-05"}]
    r = run(tmp_path, schools=table(schools), census=census, budget={"pupil_specific_pot": "10000"},
            statements=[statement(U1, "2005-05-05", school="P", annual="1200.00")],
            formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert r.schools["school_id"].to_list() == ["A", "P", "Q"] and r.no_return == ("Q",)
    fields = school_fields(r, return_file_names(r.schools), element_list(r))
    assert fields["school_id"].to_list() == ["A", "P"]
    # and explain says why P shares in no element, where it had said "0 of 3 units" alone
    from senrun.yearly.explain import explain_school

    assert "It is a setting outside the formula (in_formula: no): it shares in no element, and is paid its SSA and " \
           "PSF only (SPEC §11.2)." in explain_school(r, "P")["formula"]["text"]
    assert "outside the formula" not in explain_school(r, "A")["formula"]["text"]


def test_a_blank_cluster_is_still_an_error_for_a_school_in_the_formula__spec_8_11_2(tmp_path):
    schools = [school("S1", pupils="1"), school("B", cluster=None, pupils="1")]
    with pytest.raises(SenrunError) as caught:
        run(tmp_path, schools=table(schools), statements=NOBODY, budget={"pupil_specific_pot": "100"})
    (issue,) = caught.value.errors
    assert (issue.code, issue.row, issue.column) == ("empty_value", 3, "cluster_id")


def test_a_census_row_with_a_blank_registration_status_counts_as_a_main_registration__spec_11_5(tmp_path):
    """enrol_status is optional, and a blank is C (SPEC §11.5): A's 3 rows, one blank, are 3 pupils;
    B's guest row (G) is not counted."""
    census = (census_rows("A", 2, enrol_status="C") + census_rows("A", 1, start=10, enrol_status="")
              + census_rows("B", 1, start=20, enrol_status="M") + census_rows("B", 1, start=30, enrol_status="G"))
    r = run(tmp_path, schools=table([school("A"), school("B")]), census=census, statements=[],
            budget={"pupil_specific_pot": "4000"}, formula=rules({"name": "per_pupil", "basis": "pupils",
                                                                  "remainder": True}))
    assert shares(r, "pupils") == {"A": 3, "B": 1}


def test_a_pupils_override_of_a_half_is_rounded_half_away_from_zero__spec_1_11_1(tmp_path):
    """212.5 pupils count as 213, as every figure rounds (SPEC §1), not to the even 212."""
    schools = [school("A"), school("NEW", pupils_override="212.5"), school("OLD", pupils_override="213.5")]
    r = run(tmp_path, schools=table(schools), census=census_rows("A", 1), statements=[],
            budget={"pupil_specific_pot": "4000"}, formula=rules({"name": "per_pupil", "basis": "pupils",
                                                                  "remainder": True}))
    assert shares(r, "pupils") == {"A": 1, "NEW": 213, "OLD": 214}


def test_the_floor_without_last_years_allocations_is_listed_with_the_inputs_bad_cells_in_one_pass__spec_8(tmp_path):
    """`allocate` had stopped on formula.protection alone; once given --previous, it stopped again on the census."""
    path = write_run(tmp_path, schools=PROTECTED, statements=[statement("B801200005001", "31/02/2005", "S1")],
                     budget={"pupil_specific_pot": "10000"},
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": "-10"}})
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(path))
    assert [(i.code, i.column) for i in caught.value.errors] == [
        ("config", "formula.protection"), ("bad_value", "date_of_birth")]


def test_the_summary_gives_the_floor_in_words_and_its_working_on_a_line_of_its_own__spec_11_8(tmp_path):
    """The Summary's protection row had its working ("floor_pct -10; s = 0.466667 (floors cost …)") in a narrow
    column stopped by an empty cell beside it, showing "floor_pc", and "protection / floor" in code words."""
    import openpyxl

    from senrun.outputs import write_outputs

    r = protected_run(tmp_path, {"K1": 300000, "K2": 300000, "K3": 350000})
    out = write_outputs(r, tmp_path / "out", returns=False)
    ws = openpyxl.load_workbook(out / "allocations.xlsx")["Summary"]
    rows = [tuple(c for c in row) for row in ws.iter_rows(values_only=True)]
    [floor] = [row for row in rows if row[0] == "Protection"]  # titled as its column is (SPEC §11.8)
    assert floor[1:5] == ("each cluster's change from last year", "a floor, paid for by the gains", "floor_pct -10",
                          None)
    assert ("Protection: floor_pct -10; s = 0.466667 (floors cost £700.00 of gains £1,500.00)",) == \
        tuple(row[0] for row in rows if str(row[0]).startswith("Protection: "))


def test_clusters_not_in_last_years_file_are_named_as_unprotected_by_the_floor__faq_22_spec_11_11(tmp_path):
    """A cluster renamed or re-keyed since last year is new, and the floor protects none: every cluster so
    renamed had gone unprotected with no word (the Summary showed only "s = 0")."""
    def told(previous):
        return [(i.code, i.severity, i.file, i.column, i.message) for i in protected_run(tmp_path, previous).issues
                if i.code == "protection_new_clusters"]

    [line] = [i.row for i in protected_run(tmp_path, {"K1": 210000}).issues if i.code == "protection_new_clusters"]
    assert line == load_config(tmp_path / "senrun.yaml").lines["formula.protection"] and line

    assert told({"K1": 210000, "K2": 300000, "K3": 350000}) == []
    assert told({"K1": 210000, "K2": 300000}) == [(
        "protection_new_clusters", "warning", "senrun.yaml", "formula.protection",
        "formula.protection floors no cluster that is not in last year's file (--previous): 1 of this year's clusters "
        "is not (K3), so it is neither floored nor scaled; a cluster renamed, split or re-keyed since last year "
        "is new")]
    assert "(K1, K2, K3)" in told({"926-01": 300000, "926-02": 300000})[0][4]  # every cluster re-keyed: none protected


def test_explain_of_an_academy_whose_predecessor_closed_before_the_period_says_its_census_pupils_count_here__spec_11_11(
        tmp_path):
    """A conversion on 1 April, after the January census: OLD is open on no day of the period, so its census rows
    count at NEW (SPEC 11.11) and NEW is paid their share. explain had said the census counted them at OLD and
    their share was OLD's, beside NEW's own 3 of 4 units."""
    from senrun.yearly.explain import explain_school

    schools = table([school("OLD", closed="2013-03-31", successor_id="NEW"), school("NEW", opened="2013-04-01"),
                     school("B", "K2")])
    path = write_run(tmp_path, schools=schools, census=census_rows("OLD", 3) + census_rows("B", 1, start=10),
                     budget={"pupil_specific_pot": "1000"}, statements=[statement(U1, "2005-05-05", school="B",
                                                                                   annual="0")],
                     formula=rules({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    r = allocate(load_config(path))
    assert dict(r.schools.select("school_id", "pupils").iter_rows())["NEW"] == 3
    said = explain_school(r, "NEW")["formula"]["text"]
    assert "their share of the formula is that school's" not in said
    assert ("It took over from OLD on 01/04/2013, after the census date 17/01/2013, and that school is open on no day "
            "of the period: the census rows there count here (SPEC §11.11).") in said


def test_a_return_of_a_school_that_took_over_from_two_says_their_figures_are_on_their_own_returns__spec_11_1():
    """An amalgamation: the new school's return named both schools it took over from, then "(its figures are
    on its own return)" of the two."""
    import polars as pl

    from senrun.outputs.returns import _took_over

    said = pl.select(_took_over(pl.Series(["OLD", "INF, JUN"]))).to_series().to_list()
    assert said == ["new this year: took over from OLD during the year (its figures are on its own return)",
                    "new this year: took over from INF, JUN during the year (their figures are on their own returns)"]


def test_without_a_census_a_school_and_its_successor_both_counting_pupils_is_a_warning__spec_11_11(tmp_path):
    # No pupil-level census: each school's pupils figure counts for the whole year.  OLD converts to NEW on
    # 1 September 2013 and both rows carry the October count, 490: 980 pupils counted for 490 children.
    converting = [school("OLD", pupils="490", closed="2013-08-31", successor_id="NEW"),
                  school("NEW", pupils="490", opened="2013-09-01"), school("B", pupils="100")]
    r = run(tmp_path, schools=table(converting), statements=[statement(U1, "2005-05-05", school="B", annual="0")],
            budget={"pupil_specific_pot": "1080"}, formula=rules({"name": "per_pupil", "basis": "pupils",
                                                                  "remainder": True}))
    [twice] = [i for i in r.warnings if i.code == "pupils_twice"]
    assert (twice.file, twice.row, twice.column) == ("schools.csv", 3, "pupils")
    assert "OLD (490) and NEW (490), which took over on 01/09/2013" in twice.message
    assert shares(r, "pupils") == {"OLD": 490, "NEW": 490, "B": 100}  # counted as given: the council decides
    converting[0]["pupils"] = "0"  # the academy counts them: nothing to say
    r = run(tmp_path, schools=table(converting), statements=[statement(U1, "2005-05-05", school="B", annual="0")],
            budget={"pupil_specific_pot": "1080"}, formula=rules({"name": "per_pupil", "basis": "pupils",
                                                                  "remainder": True}))
    assert not [i for i in r.warnings if i.code == "pupils_twice"]
