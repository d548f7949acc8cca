"""The pot and the cluster formula (SPEC §1, §4), through `allocate` on real input files."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from builders import run, statement, write_run
from senrun.errors import SenrunError
from senrun.money import apportion

U1 = "B801200005001"
THREE = [{"school_id": s, "school_name": f"School {s}", "cluster_id": c, "pupils": p, "ssa": "0"}
         for s, c, p in (("S2", "K1", "1"), ("S1", "K1", "1"), ("S3", "K2", "1"))]


def formula(*elements):
    return {"elements": list(elements)}


def test_largest_remainder_gives_the_spare_penny_to_the_lowest_school_id__spec_10():
    frame = pl.DataFrame({"school_id": ["S2", "S1", "S3"], "units": [1, 1, 1]})
    shares = apportion(frame, 10000, "units", "school_id", "amount").sort("school_id")
    assert shares["amount"].to_list() == [3334, 3333, 3333]


def test_the_worked_example_of_100_pounds_over_three_schools_holds_through_allocate__spec_10(tmp_path):
    r = run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 100}, formula=formula({"name": "flat", "basis": "per_school",
                                                                   "remainder": True}))
    assert dict(r.schools.select("school_id", "formula_flat").iter_rows()) == {"S1": 3334, "S2": 3333, "S3": 3333}


def test_the_pot_is_what_is_left_after_continuing_psf_and_top_slices__faq_1_10_17(tmp_path):
    r = run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="1200.00")],
            budget={"pupil_specific_pot": 10000},
            topslices=[{"name": "aids", "amount": 500}, {"name": "host", "per_cluster": 100},
                       {"name": "each", "per_school": 10}],
            formula=formula({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    t = r.totals
    assert (t.continuing_psf, t.topslices) == (120000, (("aids", 50000), ("host", 20000), ("each", 3000)))
    assert t.cluster_pot == 1000000 - 120000 - 73000
    assert t.pupil_specific_pot == t.continuing_psf + t.topslices_total + t.cluster_pot
    assert int(r.schools["cluster_share"].sum()) == t.cluster_pot


def test_a_share_element_takes_its_fraction_of_the_pot_exactly__spec_4(tmp_path):
    r = run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 1000},
            formula=formula({"name": "need", "basis": "per_school", "share": "0.1"},
                            {"name": "rest", "basis": "pupils", "remainder": True}))
    assert {e.name: e.total for e in r.elements} == {"need": 10000, "rest": 90000}



def test_a_share_given_to_twenty_nine_decimal_places_is_applied_exactly_not_rounded_to_28_digits__spec_1():
    """0.49999999999999999999999999999 of a 3p pot is 1.49999…p: 1p, half away from zero.  Decimal's own
    product, rounded to 28 significant digits, made it 1.5p and so 2p."""
    from senrun.config.loader import ElementSpec
    from senrun.formula import element_totals

    share = ElementSpec(name="need", basis="per_school", share=Decimal("0.49999999999999999999999999999"))
    rest = ElementSpec(name="rest", basis="per_school", remainder=True)
    totals = element_totals((share, rest), {"need": 3, "rest": 3}, {"need": 1, "rest": 1}, 3, "senrun.yaml")
    assert totals == {"need": 1, "rest": 2}


def test_rates_are_exact_decimals_and_round_half_away_from_zero__spec_1(tmp_path):
    schools = [dict(s, pupils="1") for s in THREE]
    r = run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": "10.01"},
            formula=formula({"name": "a", "basis": "pupils", "rate": "1.005"},
                            {"name": "b", "basis": "per_school", "remainder": True}))
    # 1.005 × 3 = 3.015 → 301.5p → 302p (half away from zero), never 301p from a binary float.
    assert {e.name: e.total for e in r.elements} == {"a": 302, "b": 699}


def test_a_need_element_can_use_a_numeric_column_of_the_schools_input__faq_22(tmp_path):
    schools = [dict(s, need=n) for s, n in zip(THREE, ("0.5", "1.5", "2"))]
    r = run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 400},
            formula=formula({"name": "need", "basis": "column:need", "remainder": True}))
    assert dict(r.schools.select("school_id", "formula_need").iter_rows()) == {"S1": 15000, "S2": 5000, "S3": 20000}


def test_a_need_column_named_wrongly_is_a_config_error_at_its_line_naming_the_column_meant__faq_22(tmp_path):
    import yaml

    from senrun.config.loader import load_config
    from senrun.pipeline import allocate

    def problem(basis: str, header: str) -> object:
        schools = [{**s, header: n} for s, n in zip(THREE, ("0.5", "1.5", "2"))]
        path = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
                         budget={"pupil_specific_pot": 400},
                         formula=formula({"name": "need", "basis": basis, "remainder": True}))
        cfg = yaml.safe_load(path.read_text())
        cfg["inputs"]["schools"]["columns"] = {header: "need"}
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        with pytest.raises(SenrunError) as e:
            allocate(load_config(path))
        [issue] = e.value.errors
        assert (issue.file, issue.column) == ("senrun.yaml", "formula.elements[0].basis") and issue.row is not None
        assert "(columns: school_id, school_name, cluster_id, pupils, ssa, need)" in issue.message
        return issue.message

    assert "did you mean column:need?" in problem("column:ned", "need")
    assert ("its header 'Need Index' is mapped to need (the columns: map), so write column:need"
            in problem("column:Need Index", "Need Index"))


def test_a_column_basis_written_as_a_name_for_a_header_of_capitals_and_spaces_is_told_the_header_meant(tmp_path):
    """`column:idaci_score` for the schools' unmapped header `IDACI Score` got no "did you mean" (the headers were
    compared letter for letter, capitals and spaces counting), though `need_share` found `Need Share`."""
    from senrun.config.loader import load_config
    from senrun.pipeline import allocate

    schools = [{**s, "IDACI Score": n} for s, n in zip(THREE, ("0.5", "1.5", "2"))]
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
                     budget={"pupil_specific_pot": 400},
                     formula=formula({"name": "need", "basis": "column:idaci_score", "remainder": True}))
    with pytest.raises(SenrunError) as e:
        allocate(load_config(path))
    [issue] = e.value.errors
    assert "did you mean column:IDACI Score?" in issue.message


def test_census_bases_count_only_age_based_years_in_the_formula_range__spec_4(tmp_path):
    census = [{"upn": f"X{i:012d}", "school_id": "S1", "date_of_birth": dob, "sen_provision": sen, "fsm": fsm}
              for i, (dob, sen, fsm) in enumerate([("2005-05-05", "A", "1"), ("2005-05-06", "S", "0"),
                                                   ("2009-01-01", "K", "yes"),  # nursery on census day
                                                   ("2006-06-06", "E", "n"), ("2006-07-07", "N", "y")])]
    census.append({"upn": U1, "school_id": "S1", "date_of_birth": "2005-05-05", "sen_provision": "P", "fsm": "0"})
    r = run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            census=census, budget={"pupil_specific_pot": 100},
            formula=formula({"name": "support", "basis": "sen_support", "rate": 1},
                            {"name": "statements", "basis": "statements", "rate": 1},
                            {"name": "fsm", "basis": "fsm", "rate": 1},
                            {"name": "pupils", "basis": "pupils", "remainder": True}))
    units = {e.name: e.units for e in r.elements}
    assert units == {"support": "2", "statements": "2", "fsm": "2", "pupils": "5"}


@pytest.mark.parametrize("elements, budget, message", [
    ([{"name": "a", "basis": "per_school", "rate": 1000}], 100000, "leaves"),
    ([{"name": "a", "basis": "per_school", "rate": 1000},
      {"name": "b", "basis": "pupils", "remainder": True}], 100, "remainder would be"),
    ([{"name": "a", "basis": "per_school", "rate": 100}], 1, "overspends"),
])
def test_a_formula_that_does_not_spend_the_pot_exactly_is_an_error_naming_the_figures__spec_4(
        tmp_path, elements, budget, message):
    with pytest.raises(SenrunError) as err:
        run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": budget}, formula=formula(*elements))
    assert message in str(err.value) and "£" in str(err.value)


def test_without_a_remainder_a_gap_of_a_penny_per_element_goes_to_the_last_element__spec_1(tmp_path):
    r = run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": "30.01"},
            formula=formula({"name": "a", "basis": "per_school", "rate": 5},
                            {"name": "b", "basis": "per_school", "rate": 5}))
    assert {e.name: e.total for e in r.elements} == {"a": 1500, "b": 1501}


def test_a_negative_cluster_pot_is_an_error_saying_by_how_much__spec_1(tmp_path):
    with pytest.raises(SenrunError, match=r"negative by £200.00"):
        run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="1200.00")],
            budget={"pupil_specific_pot": 1000}, formula=formula({"name": "p", "basis": "pupils", "remainder": True}))


def test_shares_over_one_are_an_error__spec_4(tmp_path):
    with pytest.raises(SenrunError, match="more than the whole pot"):
        run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            formula=formula({"name": "a", "basis": "per_school", "share": "0.6"},
                            {"name": "b", "basis": "pupils", "share": "0.5"}))


def test_an_element_with_money_but_no_units_anywhere_is_an_error__spec_4(tmp_path):
    schools = [dict(s, pupils="0") for s in THREE]
    with pytest.raises(SenrunError, match="no school has any units"):
        run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            formula=formula({"name": "p", "basis": "pupils", "remainder": True}))


def test_sen_total_must_equal_ssa_plus_the_pupil_specific_pot__faq_1(tmp_path):
    schools = [dict(s, ssa="100.00") for s in THREE]
    with pytest.raises(SenrunError, match=r"sen_total is £1,000.00 but SSA £300.00"):
        run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 100, "sen_total": 1000})
    ok = run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
             budget={"pupil_specific_pot": 100, "sen_total": 400, "ssa_total": "300.00"})
    assert ok.totals.sen_total == 40000


def test_ssa_passes_through_unchanged_and_totals_add_up__faq_1(tmp_path):
    schools = [dict(s, ssa=v) for s, v in zip(THREE, ("1.01", "2.02", "3.03"))]
    r = run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="120.00")],
            budget={"pupil_specific_pot": 1000})
    s = r.schools
    assert dict(s.select("school_id", "ssa").iter_rows()) == {"S1": 202, "S2": 101, "S3": 303}
    assert (s["total"] == s["ssa"] + s["psf"] + s["cluster_share"]).all()
    c = r.clusters
    assert c["cluster_allocation"].sum() == r.totals.cluster_pot
    assert dict(c.select("cluster_id", "schools").iter_rows()) == {"K1": 2, "K2": 1}


def test_exact_decimal_shares_are_not_binary_floats():
    assert Decimal("0.1") * 3 == Decimal("0.3")


def test_a_national_pot_over_a_fine_grained_need_column_does_not_overflow():
    # £5bn in pence times units scaled to millionths exceeds 64-bit integers.
    frame = pl.DataFrame({"school_id": ["a", "b", "c"], "units": [10**13, 3 * 10**13, 10**13]})
    shares = apportion(frame, 500_000_000_001, "units", "school_id", "amount").sort("school_id")
    assert shares["amount"].to_list() == [100_000_000_000, 300_000_000_001, 100_000_000_000]


@pytest.mark.parametrize("pot_pence, units, shown", [(20001, 200, "1.0001"), (20005, 200, "1.0003"),
                                                     (20000, 200, "1.0000"), (100, 3, "0.3333")])
def test_a_solved_rate_is_reported_to_4_places_rounded_half_away_from_zero__spec_1_4(pot_pence, units, shown):
    from senrun.config.loader import ElementSpec
    from senrun.formula import solved_rate

    spec = ElementSpec(name="pp", basis="pupils", solve=True)
    assert str(solved_rate(spec, pot_pence, units, 1)) == shown


def test_pupils_set_by_the_council_are_rounded_half_away_from_zero__spec_1_decisions_15(tmp_path):
    schools = [{"school_id": s, "school_name": s, "cluster_id": "K1", "pupils": p, "ssa": "0"}
               for s, p in (("S1", "10.5"), ("S2", "11.5"), ("S3", "2.5"))]
    r = run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 1000},
            formula=formula({"name": "per_pupil", "basis": "pupils", "remainder": True}))
    assert dict(r.schools.select("school_id", "pupils").iter_rows()) == {"S1": 11, "S2": 12, "S3": 3}
    # £1,000 over 11 + 12 + 3 = 26 pupils: 42,307.69p, 46,153.85p, 11,538.46p; the spare penny to S1
    assert dict(r.schools.select("school_id", "formula_per_pupil").iter_rows()) == {
        "S1": 42308, "S2": 46154, "S3": 11538}


@pytest.mark.parametrize("column", ["ssa", "pupils", "school_name", "in_formula"])
def test_a_need_basis_on_one_of_the_schools_own_columns_is_a_config_error_at_its_line__spec_4(tmp_path, column):
    with pytest.raises(SenrunError) as e:
        run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 500},
            formula=formula({"name": "by_it", "basis": f"column:{column}", "remainder": True}))
    [issue] = e.value.errors
    assert issue.column == "formula.elements[0].basis" and issue.row is not None
    assert f"column:{column}" in issue.message and "a column of its own" in issue.message


@pytest.mark.parametrize("basis", ["per_school", "per_cluster", "column:need"])
def test_nc_years_on_a_basis_that_counts_no_pupils_is_a_config_error_not_ignored__spec_11_8(tmp_path, basis):
    with pytest.raises(SenrunError) as e:
        run(tmp_path, schools=THREE, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            budget={"pupil_specific_pot": 500},
            formula=formula({"name": "flat", "basis": basis, "nc_years": [0, 6], "remainder": True}))
    [issue] = e.value.errors
    assert issue.column == "formula.elements[0].nc_years" and "would change nothing" in issue.message


@pytest.mark.parametrize("basis, column", [("sen_support", "sen_provision"), ("statements", "sen_provision"),
                                           ("fsm", "fsm")])
def test_a_census_basis_on_a_census_without_its_column_is_an_error_at_its_line_not_zero_units__spec_4(
        tmp_path, basis, column):
    """A census extract without sen_provision (or fsm) had every school at 0 units: a rate element paid
    nothing and its money went to the remainder, with no word said."""
    census = [{"upn": U1, "school_id": "S1", "date_of_birth": "2005-05-05"}]
    with pytest.raises(SenrunError) as e:
        run(tmp_path, schools=THREE, census=census, budget={"pupil_specific_pot": 100},
            statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            formula=formula({"name": "need", "basis": basis, "rate": 10},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}))
    [issue] = e.value.errors
    assert issue.column == "formula.elements[0].basis" and issue.row is not None
    assert f"census.csv has no {column} column" in issue.message


def test_an_element_with_money_but_no_units_is_told_at_its_own_line_not_at_the_first_elements__spec_4_5(tmp_path):
    schools = [dict(s, need="0") for s in THREE]
    with pytest.raises(SenrunError) as e:
        run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
            formula=formula({"name": "lump_sum", "basis": "per_school", "rate": 1},
                            {"name": "need", "basis": "column:need", "remainder": True}))
    [issue] = e.value.errors
    lines = (tmp_path / "senrun.yaml").read_text().splitlines()
    assert "no school has any units" in issue.message and issue.column == "formula.elements[1]"
    assert lines[issue.row - 1].strip() == "- name: need"
