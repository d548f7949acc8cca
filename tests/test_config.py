"""The config is strict, exact and safe (SPEC §9): every problem says file, line, key path and what is allowed."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.money import to_pence

MINIMAL = """\
year: "2013-14"
period: {start: 2013-04-01, end: 2014-03-31}
census_date: 2013-01-17
budget: {pupil_specific_pot: 1000000}
formula:
  elements:
    - {name: lump_sum, basis: per_school, rate: 5000}
    - {name: need, basis: sen_support, share: 0.1}
    - {name: per_pupil, basis: pupils, remainder: true}
inputs:
  schools: {path: data/schools.xlsx}
  statements: {path: ../shared/statements.csv}
"""


def write(tmp_path: Path, text: str, name: str = "senrun.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(SenrunError) as info:
        load_config(write(tmp_path, text))
    return info.value.issues


def only_problem(tmp_path: Path, text: str):
    issues = problems(tmp_path, text)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# --- defaults and exact values --------------------------------------------------------

def test_a_minimal_config_gets_every_default(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.policy_start == date(2012, 9, 1)
    assert cfg.prorate == "months"
    assert cfg.missing_from_census == "cease"
    assert cfg.transfer == "ends"
    assert cfg.flag_pct == Decimal(10)
    assert cfg.phases == (("nursery", -2, -1), ("primary", 0, 6), ("secondary", 7, 11), ("post16", 12, 13))
    assert cfg.pupil_years == (0, 11)
    assert cfg.topslices == ()
    assert cfg.sen_total is None and cfg.ssa_total is None
    assert set(cfg.inputs) == {"schools", "statements"}


def test_dates_and_money(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert (cfg.period_start, cfg.period_end, cfg.census_date) == (date(2013, 4, 1), date(2014, 3, 31),
                                                                   date(2013, 1, 17))
    assert cfg.pupil_specific_pot == 100_000_000  # pence
    cfg = load_config(write(tmp_path, MINIMAL.replace("2013-01-17", '"17/01/2013"')
                            .replace("pupil_specific_pot: 1000000", 'pupil_specific_pot: "£1,000,000.50"')))
    assert cfg.census_date == date(2013, 1, 17)
    assert cfg.pupil_specific_pot == 100_000_050


def test_rates_and_shares_are_exact_decimals_never_floats(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL.replace("rate: 5000", "rate: 5000.1234")))
    lump, need, rest = cfg.elements
    assert need.share == Decimal("0.1") and isinstance(need.share, Decimal)
    assert lump.rate == Decimal("5000.1234")  # rates may have more than two decimals
    assert rest.remainder and rest.kind == "remainder"
    assert sum([need.share] * 10) == 1  # 0.1 is one tenth, so ten of them make exactly 1


def test_input_paths_are_relative_to_the_config_file_not_the_working_directory(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.chdir(tmp_path.parent)
    cfg = load_config(write(folder, MINIMAL))
    assert cfg.inputs["schools"].path == (folder / "data" / "schools.xlsx").resolve()
    assert cfg.inputs["statements"].path == (tmp_path / "shared" / "statements.csv").resolve()
    assert cfg.inputs["statements"].path_text == "../shared/statements.csv"


def test_input_options(tmp_path):
    text = MINIMAL.replace("schools: {path: data/schools.xlsx}", 'schools: {path: data/schools.xlsx, sheet: Schools, '
                           'header_row: 3, columns: {"DfE Number": school_id, "Need Index": need_index}}')
    spec = load_config(write(tmp_path, text)).inputs["schools"]
    assert (spec.sheet, spec.header_row) == ("Schools", 3)
    assert spec.columns == (("DfE Number", "school_id"), ("Need Index", "need_index"))


def test_full_example_from_the_spec(tmp_path):
    text = """\
year: "2013-14"
period: {start: 2013-04-01, end: 2014-03-31}
census_date: 2013-01-17
policy: {start: 2012-09-01}
prorate: months
missing_from_census: cease
transfer: ends
diff: {flag_pct: 10}
phases: {nursery: [-2, -1], primary: [0, 6], secondary: [7, 11], post16: [12, 13]}
budget:
  sen_total: 31000000
  ssa_total: 15000000
  pupil_specific_pot: 16000000
topslices:
  - {name: auxiliary_aids, amount: 100000}
  - {name: cluster_host, per_cluster: 3000}
formula:
  pupils: {nc_years: [0, 11]}
  elements:
    - {name: lump_sum, basis: per_school, rate: 5000}
    - {name: per_pupil, basis: pupils, remainder: true}
inputs:
  schools: {path: ../sample_data/schools.xlsx}
  census: {path: ../sample_data/census.csv}
  statements: {path: ../sample_data/statements.xlsx, sheet: Statements,
               columns: {"Pupil UPN": upn, "Annual PSF": annual_amount}}
  moves: {path: ../sample_data/moves.xlsx}
"""
    cfg = load_config(write(tmp_path, text))
    assert cfg.sen_total == 3_100_000_000 and cfg.ssa_total == 1_500_000_000
    assert [(t.name, t.pence, t.per) for t in cfg.topslices] == [("auxiliary_aids", 10_000_000, "amount"),
                                                                 ("cluster_host", 300_000, "per_cluster")]
    assert set(cfg.inputs) == {"schools", "census", "statements", "moves"}


def test_the_projects_own_config_loads():
    cfg = load_config(Path(__file__).resolve().parents[1] / "config" / "senrun.yaml")
    assert cfg.year == "2013-14"


# --- strictness: where, what, what is allowed -------------------------------------------

def test_an_unknown_key_names_itself_its_path_line_file_and_the_allowed_keys(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("basis: sen_support, share: 0.1", "basis: sen_support, shares: 0.1"))
    assert issue.code == "config" and issue.is_error
    assert issue.file == "senrun.yaml"
    assert issue.row == 8  # the YAML line
    assert issue.column == "formula.elements[1].shares"
    assert "'shares'" in issue.message and "did you mean 'share'" in issue.message
    assert "name, basis, rate, share, remainder, remove" in issue.message
    assert str(issue).startswith("senrun.yaml › line 8 › formula.elements[1].shares: unknown key 'shares'")


def test_an_unknown_top_level_key(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "prorata: days\n")
    assert (issue.column, issue.row) == ("prorata", 13)
    assert "year, period, census_date, policy, prorate" in issue.message


@pytest.mark.parametrize("old,new,path,words", [
    ('year: "2013-14"', "year: [2013, 14]", "year", "must be text, not a list"),
    ("rate: 5000", "rate: five thousand", "formula.elements[0].rate", "is not a number"),
    ("census_date: 2013-01-17", "census_date: 17/13/2013", "census_date", "is not a date"),
    ("budget: {pupil_specific_pot: 1000000}", "budget: 1000000", "budget", "must be a mapping"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: -5", "budget.pupil_specific_pot", "-5 is negative"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: lots", "budget.pupil_specific_pot", "not an amount of money"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: 10.005", "budget.pupil_specific_pot", "two decimal places"),
    ("remainder: true", "remainder: maybe", "formula.elements[2].remainder", "true or false"),
    ("  elements:\n", "  elements: {name: x}\n  old_elements:\n", "formula.elements", "must be a list"),
    ("basis: per_school", "basis: per_child", "formula.elements[0].basis", "is not a basis"),
])
def test_a_value_of_the_wrong_type_says_where_and_what_is_expected(tmp_path, old, new, path, words):
    issues = problems(tmp_path, MINIMAL.replace(old, new))
    issue = next(i for i in issues if i.column == path)
    assert words in issue.message
    assert issue.file == "senrun.yaml" and issue.row is not None
    assert issue.expected


def test_a_wrong_choice_lists_the_choices(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "prorate: weekly\n")
    assert issue.message == "prorate must be months or days, not 'weekly'"
    assert issue.value == "weekly"


@pytest.mark.parametrize("typed,read", [("no", "false"), ("Off", "false"), ("yes", "true")])
def test_a_choice_typed_as_a_yaml_yes_or_no_says_how_yaml_read_it_not_python_s_false__spec_9(tmp_path, typed, read):
    issue = only_problem(tmp_path, MINIMAL + f"missing_from_census: {typed}\n")
    assert issue.message == (f"missing_from_census must be cease or error, not {read} (YAML reads Yes, No, On and Off, "
                             "in any case, as true or false)")
    assert (issue.value, issue.row) == (read, MINIMAL.count("\n") + 1)


def test_every_problem_is_reported_at_once(tmp_path):
    text = MINIMAL.replace("rate: 5000", "rate: lots").replace("2013-01-17", "someday") + "colour: blue\n"
    assert {i.column for i in problems(tmp_path, text)} == {"formula.elements[0].rate", "census_date", "colour"}


def test_a_missing_required_key(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("census_date: 2013-01-17\n", ""))
    assert issue.column == "census_date" and "required" in issue.message


def test_a_columns_map_must_name_senruns_columns(tmp_path):
    text = MINIMAL.replace("statements: {path: ../shared/statements.csv}",
                           'statements: {path: s.csv, columns: {"Pupil UPN": pupil_upn, "DOB": date_of_birth, '
                           '"Birth Date": date_of_birth}}')
    issues = problems(tmp_path, text)
    assert {i.column for i in issues} == {"inputs.statements.columns.Pupil UPN", "inputs.statements.columns.Birth Date"}
    assert any("'pupil_upn' is not a column of the statements input" in i.message for i in issues)
    assert any("both map to date_of_birth" in i.message for i in issues)


def test_schools_may_map_need_columns_by_any_plain_name(tmp_path):
    text = MINIMAL.replace("schools: {path: data/schools.xlsx}",
                           'schools: {path: s.csv, columns: {"SEN Need Index": need_index}}')
    assert load_config(write(tmp_path, text)).inputs["schools"].columns == (("SEN Need Index", "need_index"),)


def test_a_key_given_twice_is_an_error_not_silently_the_last(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + 'year: "2014-15"\n')
    assert issue.column == "year" and issue.row == 13
    assert "given twice (lines 1 and 13)" in issue.message


# --- whole-file problems ---------------------------------------------------------------

def test_a_config_that_is_a_list_is_a_clear_error(tmp_path):
    issue = only_problem(tmp_path, "- year: 2013-14\n- period: 2013\n")
    assert "must be a mapping of keys to values, not a list" in issue.message
    assert issue.file == "senrun.yaml"


def test_an_empty_config(tmp_path):
    assert "the config file is empty" in only_problem(tmp_path, "# nothing yet\n").message


def test_broken_yaml_gives_the_line(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("end: 2014-03-31}", "end: 2014-03-31"))
    assert issue.row == 2 and "not valid YAML" in issue.message


def test_a_line_out_of_step_in_an_indented_list_is_told_at_that_line_not_where_the_block_began(tmp_path):
    """`  - oops` two lines under `  elements:` was told at the `elements:` line ("› line 2"), though the message
    itself said "found '-' on line 4": in an indented block the line out of step is the one to look at. An
    unclosed `{` is still told where it opened."""
    text = "formula:\n  elements:\n    - {name: lump_sum, basis: per_school, rate: 5000}\n  - oops\n"
    issue = only_problem(tmp_path, text)
    assert issue.row == 4 and "found '-' on line 4" in issue.message
    issue = only_problem(tmp_path, "formula:\n  elements:\n    - {name: lump_sum, rate: 6000\n")
    assert issue.row == 3 and "flow mapping" in issue.message


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    issue = only_problem(tmp_path, "\n".join(lines) + "\n")
    assert time.perf_counter() - started < 2
    assert "alias bomb" in issue.message


def test_yaml_cannot_build_python_objects(tmp_path):
    issue = only_problem(tmp_path, "year: !!python/object/apply:os.system ['echo hacked']\n")
    assert "not valid YAML" in issue.message


@pytest.mark.parametrize("old,new,path,line", [
    ("rate: 5000", "rate: .inf", "formula.elements[0].rate", 7),
    ("share: 0.1", "share: .nan", "formula.elements[1].share", 8),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: -.inf", "budget.pupil_specific_pot", 4),
])
def test_infinity_and_not_a_number_are_refused_at_their_key_and_line(tmp_path, old, new, path, line):
    issue = only_problem(tmp_path, MINIMAL.replace(old, new))
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", line, path)
    assert f"'{new.split(': ')[1]}' is not a" in issue.message and issue.expected



@pytest.mark.parametrize("old,new,path,line,found", [
    ("rate: 5000", "rate: 1e-999999999", "formula.elements[0].rate", 7, "has 999,999,999 decimal places"),
    ("rate: 5000", "rate: 1.0e-999999999", "formula.elements[0].rate", 7, "has 1,000,000,000 decimal places"),
    ("share: 0.1", "share: 0.0000000000000000000000000000001", "formula.elements[1].share", 8,
     "has 31 decimal places"),
    ("share: 0.1", "share: 0e999999999", "formula.elements[1].share", 8, "an exponent of 999,999,999"),
])
def test_a_number_of_more_than_30_decimal_places_such_as_1e_minus_999999999_is_refused_at_its_line_not_run_for_hours__spec_1_9(
        tmp_path, old, new, path, line, found):
    """`rate: 1e-999999999` passed the checks, and the run, working it exactly, took hours."""
    started = time.perf_counter()
    issue = only_problem(tmp_path, MINIMAL.replace(old, new))
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", line, path)
    assert found in issue.message and "at most 30 decimal places" in issue.expected
    assert time.perf_counter() - started < 2
    cfg = load_config(write(tmp_path, MINIMAL.replace("share: 0.1", "share: 0." + "0" * 29 + "1")))
    assert cfg.elements[1].share == Decimal("1e-30")  # 30 places are taken



def test_shares_adding_up_to_a_hair_over_the_whole_pot_are_refused_at_their_line__spec_1(tmp_path):
    """0.5 + 0.50000000000000000000000000001 is more than 1: added to 28 digits, it had passed as 1."""
    text = MINIMAL.replace("{name: lump_sum, basis: per_school, rate: 5000}",
                           "{name: lump_sum, basis: per_school, share: 0.5}") \
        .replace("share: 0.1", "share: 0.50000000000000000000000000001")
    issue = only_problem(tmp_path, text)
    assert (issue.row, issue.column) == (7, "formula.elements")
    assert "the shares add up to 1.00000000000000000000000000001, more than the whole pot" in issue.message


def test_an_amount_with_a_third_decimal_place_past_the_28th_digit_is_refused_as_more_than_pence__spec_1(tmp_path):
    """£1,000,000.0000000000000000000000001 is not a whole number of pence: multiplied by 100 to 28 digits it was."""
    issue = only_problem(tmp_path, MINIMAL.replace("pupil_specific_pot: 1000000",
                                                   "pupil_specific_pot: 1000000.0000000000000000000000001"))
    assert (issue.row, issue.column) == (4, "budget.pupil_specific_pot")
    assert "more than two decimal places" in issue.message
    with pytest.raises(ValueError, match="more than two decimal places"):
        to_pence(Decimal("1000000.0000000000000000000000001"))



@pytest.mark.parametrize("old,new,words", [
    ("rate: 5000", "rate: -0.000000001", "rate -0.000000001 is negative"),
    ("share: 0.1", "share: 1.5e+3", "share 1500 is not between 0 and 1"),
    ("formula:\n", "diff: {flag_pct: -0.000000001}\nformula:\n", "flag_pct -0.000000001 is negative"),
    ("formula:\n", "formula:\n  protection: {floor_pct: 1.0e-9}\n", "floor_pct 0.0000000010 is not between -100 and 0"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: 1.0e-9", "0.0000000010 has more than two decimal places"),
])
def test_a_config_number_is_echoed_in_plain_decimals_never_in_exponent_form__spec_9(tmp_path, old, new, words):
    """Messages and the config as shown (the Parameters sheet, manifest.json) read 0.000000001, not 1E-9."""
    told = " ".join(issue.message for issue in problems(tmp_path, MINIMAL.replace(old, new)))
    assert words in told and "E-" not in told and "E+" not in told
    cfg = load_config(write(tmp_path, MINIMAL.replace("share: 0.1", "share: 1.0e-9")))
    assert cfg.as_dict()["formula"]["elements"][1]["share"] == "0.0000000010"


def test_a_config_that_is_not_utf8(tmp_path):
    path = tmp_path / "senrun.yaml"
    path.write_bytes(MINIMAL.replace("2013-14", "2013-14 £").encode("cp1252"))
    with pytest.raises(SenrunError) as info:
        load_config(path)
    assert "not UTF-8" in str(info.value)


def test_a_missing_config_file(tmp_path):
    with pytest.raises(SenrunError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


# --- rules that span keys -------------------------------------------------------------

def test_a_period_longer_than_a_year_is_an_error(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("end: 2014-03-31", "end: 2014-04-01"))
    assert issue.column == "period.end" and "longer than a year" in issue.message


def test_a_period_of_exactly_a_year_and_a_short_period_are_fine(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).period_end == date(2014, 3, 31)
    text = MINIMAL.replace("end: 2014-03-31", "end: 2013-08-31")
    assert load_config(write(tmp_path, text)).period_end == date(2013, 8, 31)


def test_a_period_that_ends_before_it_starts(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("end: 2014-03-31", "end: 2013-03-31"))
    assert "ends" in issue.message and "before it starts" in issue.message


def test_a_months_period_must_start_on_the_first(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("start: 2013-04-01, end: 2014-03-31",
                                                   "start: 2013-04-06, end: 2014-03-31"))
    assert issue.column == "period.start" and "1st of a month" in issue.message


@pytest.mark.parametrize("end", ["2013-04-01", "2013-06-01", "2013-06-20", "2014-03-30"])
def test_a_months_period_must_end_on_a_months_last_day_else_its_part_month_would_be_paid_whole(tmp_path, end):
    """A period of 1–20 June by months paid a whole month, to 30 June, after the period had ended (SPEC §2:
    by months the period is split into calendar months)."""
    issue = only_problem(tmp_path, MINIMAL.replace("end: 2014-03-31", f"end: {end}"))
    assert issue.column == "period.end" and "last day of a month" in issue.message and end in issue.message
    text = MINIMAL.replace("end: 2014-03-31", f"end: {end}")
    assert load_config(write(tmp_path, text + "prorate: days\n")).period_end == date.fromisoformat(end)


def test_a_days_period_may_start_on_any_day(tmp_path):
    text = MINIMAL.replace("start: 2013-04-01, end: 2014-03-31", "start: 2013-04-06, end: 2014-04-05")
    assert load_config(write(tmp_path, text + "prorate: days\n")).period_start == date(2013, 4, 6)


@pytest.mark.parametrize("old,new,words", [
    ("share: 0.1", "share: 1.5", "not between 0 and 1"),
    ("basis: pupils, remainder: true", "basis: pupils, remainder: true, rate: 3", "exactly one of rate, share"),
    ("{name: need, basis: sen_support, share: 0.1}", "{name: need, basis: sen_support, remainder: true}",
     "only one element may be the remainder"),
    ("{name: need, basis: sen_support, share: 0.1}", "{name: lump_sum, basis: sen_support, share: 0.1}",
     "used twice"),
])
def test_formula_rules(tmp_path, old, new, words):
    assert any(words in i.message for i in problems(tmp_path, MINIMAL.replace(old, new)))


def test_phases_must_not_overlap(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "phases: {first: [0, 3], middle: [3, 7], high: [8, 11]}\n")
    assert "'first' and 'middle' overlap" in issue.message


def test_middle_school_phases_can_be_configured(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + "phases: {first: [0, 3], middle: [4, 7], high: [8, 11]}\n"))
    assert cfg.phases == (("first", 0, 3), ("middle", 4, 7), ("high", 8, 11))


def test_a_topslice_needs_exactly_one_amount(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "topslices:\n  - {name: aids, amount: 100, per_school: 5}\n")
    assert issue.column == "topslices[0]" and "exactly one of amount" in issue.message


@pytest.mark.parametrize("floor", ["5", "0.0001", "-100.5"])
def test_a_protection_floor_above_0_or_below_minus_100_is_an_error_at_its_line__spec_11_8(tmp_path, floor):
    text = MINIMAL.replace("formula:\n", f"formula:\n  protection: {{floor_pct: {floor}}}\n")
    issue = only_problem(tmp_path, text)
    assert (issue.field or issue.column) == "formula.protection.floor_pct" and issue.row == 6
    assert "not between -100 and 0" in issue.message


@pytest.mark.parametrize("floor", ["0", "-2", "-100"])
def test_a_protection_floor_from_minus_100_to_0_is_taken_exactly__spec_11_8(tmp_path, floor):
    text = MINIMAL.replace("formula:\n", f"formula:\n  protection: {{floor_pct: {floor}}}\n")
    assert load_config(write(tmp_path, text)).floor_pct == Decimal(floor)


def test_a_negative_census_move_tolerance_is_an_error_and_a_fraction_is_shown__spec_11_6(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "census_move_tolerance_days: -1\n")
    assert issue.column == "census_move_tolerance_days" and "negative" in issue.message
    issue = only_problem(tmp_path, MINIMAL + "census_move_tolerance_days: 31.5\n")
    assert "must be a whole number, not 31.5" in issue.message


# --- numbers as a finance officer writes them (YAML 1.1 would read 05000 as octal) ---------

@pytest.mark.parametrize("old,new", [
    ("rate: 5000", "rate: 05000"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: 01000000"),
    ("share: 0.1", "share: 00.1"),
])
def test_a_number_with_a_leading_zero_is_read_in_decimal_as_excel_reads_it(tmp_path, old, new):
    leading, plain = (load_config(write(tmp_path, text, name)) for text, name in
                      ((MINIMAL.replace(old, new), "a.yaml"), (MINIMAL, "b.yaml")))
    assert (leading.elements, leading.pupil_specific_pot) == (plain.elements, plain.pupil_specific_pot)


def test_a_leading_zero_amount_is_paid_as_written_not_as_octal(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL.replace("rate: 5000", "rate: 05000")
                            .replace("pupil_specific_pot: 1000000", "pupil_specific_pot: 0341000")))
    assert cfg.elements[0].rate == Decimal(5000)  # not 2560
    assert cfg.pupil_specific_pot == 34_100_000  # pence: £341,000, not £115,200


@pytest.mark.parametrize("old,new,path,line,words", [
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: 1:00", "budget.pupil_specific_pot", 4,
     "'1:00' is not an amount of money"),
    ("pupil_specific_pot: 1000000", "pupil_specific_pot: 0x53408", "budget.pupil_specific_pot", 4,
     "'0x53408' is not an amount of money"),
    ("rate: 5000", "rate: 0x1388", "formula.elements[0].rate", 7, "'0x1388' is not a number"),
    ("rate: 5000", "rate: 1:23:20", "formula.elements[0].rate", 7, "'1:23:20' is not a number"),
    ("share: 0.1", "share: 0b1", "formula.elements[1].share", 8, "'0b1' is not a number"),
    ("census_date: 2013-01-17", "census_date: 2013-01-17\nmax_input_mb: 0x10", "max_input_mb", 4,
     "must be a whole number, not '0x10'"),
])
def test_hex_binary_and_base_60_numbers_are_not_amounts_and_are_refused_at_their_line(tmp_path, old, new, path,
                                                                                       line, words):
    issue = only_problem(tmp_path, MINIMAL.replace(old, new))
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", line, path)
    assert words in issue.message and issue.expected


# --- ranges: 1 or more, not negative, at least one phase ------------------------------------

@pytest.mark.parametrize("value", ["0", "-5"])
def test_max_input_mb_of_0_or_less_is_an_error_at_its_line(tmp_path, value):
    issue = only_problem(tmp_path, MINIMAL + f"max_input_mb: {value}\n")
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", 13, "max_input_mb")
    assert issue.message == f"must be 1 or more, not {value}" and "1 or more" in issue.expected


@pytest.mark.parametrize("where,text,line", [
    ("inputs.statements.header_row", MINIMAL.replace("statements.csv}", "statements.csv, header_row: {v}}"), 12),
    ("previous.header_row", MINIMAL + "previous: {columns: {A: school_id, B: cluster_id, C: total}, "
                                      "header_row: {v}}\n", 13),
])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_header_row_of_0_or_less_is_an_error_at_its_line_saying_rows_count_from_1(tmp_path, where, text, line,
                                                                                     value):
    issue = only_problem(tmp_path, text.replace("{v}", value))
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", line, where)
    assert f"must be 1 or more, not {value}" in issue.message
    assert issue.expected == "1 or more: the row as Excel numbers it"


def test_a_negative_diff_flag_pct_is_an_error_at_its_line(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "diff: {flag_pct: -10}\n")
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", 13, "diff.flag_pct")
    assert "-10 is negative" in issue.message and "0 or more" in issue.expected
    assert load_config(write(tmp_path, MINIMAL + "diff: {flag_pct: 0}\n")).flag_pct == 0


def test_phases_with_no_phase_is_an_error_at_its_line(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + "phases: {}\n")
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", 13, "phases")
    assert "at least one phase" in issue.message and "replaces the default phases whole" in issue.message


@pytest.mark.parametrize("text,path", [
    (MINIMAL + "phases: {primary: [6, 0]}\n", "phases.primary"),
    (MINIMAL.replace("formula:\n", "formula:\n  pupils: {nc_years: [11, 0]}\n"), "formula.pupils.nc_years"),
])
def test_a_year_span_whose_first_year_is_after_its_last_says_so(tmp_path, text, path):
    issue = only_problem(tmp_path, text)
    assert issue.column == path and issue.row is not None
    assert "the first year must not be after the last" in issue.message


# --- one pass, each problem once --------------------------------------------------------

def test_a_missing_top_level_section_is_reported_once_as_required(tmp_path):
    issues = problems(tmp_path, "accept: []\n")
    assert [i.message for i in issues] == [f"'{k}' is required" for k in
                                           ("year", "period", "census_date", "budget", "formula", "inputs")]


def test_a_key_given_twice_is_listed_beside_every_other_problem_of_the_file(tmp_path):
    text = MINIMAL.replace('year: "2013-14"\n', 'year: "2013-14"\nprorate: months\nprorate: days\n'
                                                 "transfer: end\n").replace("rate: 5000", "rat: 5000")
    found = {(i.column, i.row): i.message for i in problems(tmp_path, text)}
    assert found[("prorate", 3)] == "the key 'prorate' is given twice (lines 2 and 3); keep one"
    assert "not 'end'" in found[("transfer", 4)]
    assert "unknown key 'rat'" in found[("formula.elements[0].rat", 10)]


def test_a_problem_inside_a_section_given_twice_is_at_the_line_of_the_copy_yaml_keeps(tmp_path):
    text = MINIMAL + 'budget:\n  pupil_specific_pot: "34,1000"\n'  # the second budget (lines 13-14) is kept
    found = {(i.column, i.row) for i in problems(tmp_path, text)}
    assert found == {("budget", 13), ("budget.pupil_specific_pot", 14)}


def test_a_key_given_twice_does_not_hide_a_rule_that_spans_keys(tmp_path):
    text = MINIMAL.replace("end: 2014-03-31", "end: 2013-03-31") + 'year: "2013-14"\n'
    assert {i.column for i in problems(tmp_path, text)} == {"year", "period.end"}


# --- messages a finance officer can act on ----------------------------------------------

def test_a_negative_amount_of_money_is_said_to_be_negative(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("pupil_specific_pot: 1000000", 'pupil_specific_pot: "-£5,000"'))
    assert issue.column == "budget.pupil_specific_pot" and issue.row == 4
    assert "-£5,000 is negative" in issue.message


def test_a_thousands_comma_inside_braces_is_told_it_began_a_new_key(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("rate: 5000}", "rate: 5,000}"))
    assert issue.row == 7 and "inside {…} a comma separates keys" in issue.message and "(5000)" in issue.message


@pytest.mark.parametrize("written", ['"34,1000"', '"1.000,50"', '"0,500"', "1000 50", "16117000 50", '"1 000 000,00"'])
def test_a_comma_or_a_space_that_does_not_group_thousands_is_no_amount_not_a_different_one(tmp_path, written):
    """A space had been deleted wherever it was: `amount: 1000 50` (£1,000.50 mistyped) was read as £100,050."""
    issue = only_problem(tmp_path, MINIMAL.replace("pupil_specific_pot: 1000000", f"pupil_specific_pot: {written}"))
    assert issue.column == "budget.pupil_specific_pot" and issue.row == 4
    assert f"'{written.strip(chr(34))}' is not an amount of money" in issue.message


@pytest.mark.parametrize("written", ["16 117 000", '"£16,117,000"', '"16\u00a0117\u00a0000"', '"£ 16,117,000.00"'])
def test_thousands_grouped_by_spaces_or_commas_are_the_amount_written(tmp_path, written):
    path = tmp_path / "senrun.yaml"
    path.write_text(MINIMAL.replace("pupil_specific_pot: 1000000", f"pupil_specific_pot: {written}"))
    assert load_config(path).pupil_specific_pot == 1611700000


@pytest.mark.parametrize("old,new,path,words", [
    ("formula:\n", "diff: {flag_pct: 10%}\nformula:\n", "diff.flag_pct", "write 10, without %"),
    ("formula:\n", "formula:\n  protection: {floor_pct: \"-5%\"}\n", "formula.protection.floor_pct",
     "write -5, without %"),
    ("share: 0.1", "share: 10%", "formula.elements[1].share", "write 0.1 for 10%"),
])
def test_a_percentage_written_with_a_percent_sign_says_what_to_write(tmp_path, old, new, path, words):
    issue = only_problem(tmp_path, MINIMAL.replace(old, new))
    assert issue.column == path and issue.row is not None and issue.file == "senrun.yaml"
    assert words in issue.message


def test_true_in_quotes_says_to_write_it_without_quotes_and_names_the_key_once(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("remainder: true", 'remainder: "true"'))
    assert (issue.column, issue.row) == ("formula.elements[2].remainder", 9)
    assert issue.message == "'true' in quotes is text: write true without quotes"
    assert str(issue).count("formula.elements[2].remainder") == 1


def test_a_blank_upn_to_reinstate_expects_the_childs_upn(tmp_path):
    issue = only_problem(tmp_path, MINIMAL + 'reinstate: [{upn: "", stream: PSF, reason: x}]\n')
    assert (issue.column, issue.row) == ("reinstate[0].upn", 13)
    assert "UPN" in issue.expected and "why" not in issue.expected


@pytest.mark.parametrize("old,new,path", [
    ("prorate: weekly", "prorate: months\u00a0", "prorate"),
    ("prorate: weekly", "prorate\u00a0: months", "prorate\u00a0"),
])
def test_a_non_breaking_space_in_a_key_or_value_is_named(tmp_path, old, new, path):
    issue = only_problem(tmp_path, (MINIMAL + "prorate: weekly\n").replace(old, new))
    assert (issue.column, issue.row) == (path, 13)
    assert "non-breaking space, U+00A0" in issue.message


@pytest.mark.parametrize("pasted", ["prorate:\u00a0months", "prorate:\u00a0\u00a0months"])
def test_a_non_breaking_space_pasted_after_a_colon_is_named_at_its_line_not_the_next(tmp_path, pasted):
    """Pasted after the colon, where it looks right on screen, YAML reads the key and value as one word and the
    parser stopped at the next line ("could not find expected ':'"), with no word of the hidden character
    (config.md: a non-breaking space in a key or value is named as such)."""
    issue = only_problem(tmp_path, MINIMAL + pasted + "\nyear: 2013-14\n")
    assert issue.row == 13
    assert issue.message.startswith("not valid YAML: this line holds a non-breaking space, U+00A0")
    assert "delete it and type an ordinary space" in issue.message


def test_a_non_breaking_space_inside_a_value_that_yaml_reads_is_not_blamed_for_another_lines_error(tmp_path):
    """Only a line that an ordinary space mends is blamed: a value that holds one, read as YAML reads it, is not
    the line a later error is at (the error is told as the parser gives it, at its own line)."""
    issue = only_problem(tmp_path, MINIMAL + 'contact: "Finance\u00a0team"\nyear: [2013\n')
    assert issue.row == 14 and issue.message.startswith("not valid YAML") and "non-breaking" not in issue.message


def test_a_tab_used_for_indenting_says_to_indent_with_spaces(tmp_path):
    issue = only_problem(tmp_path, MINIMAL.replace("  schools:", "\tschools:"))
    assert (issue.file, issue.row) == ("senrun.yaml", 11)
    assert "indent with spaces, not a tab" in issue.message


def test_a_quote_opened_and_not_closed_is_said_so_at_its_line_not_in_the_parsers_words(tmp_path):
    """`year: "2013-14` read "not valid YAML: expected <block end>, but found '<scalar>' on line 14 (while parsing a
    block mapping …)"; a quote closed on its line, and one inside a comment, are not blamed."""
    text = MINIMAL.replace('year: "2013-14"', 'year: "2013-14')
    issue = only_problem(tmp_path, text)
    assert (issue.file, issue.row) == ("senrun.yaml", 1)
    assert issue.message.startswith('a quote (") opens on this line and is not closed')
    broken_later = MINIMAL.replace('year: "2013-14"', 'year: "2013-14"  # "the" year').replace("}", "", 1)
    assert "a quote" not in only_problem(tmp_path, broken_later).message
    # a comment line and a value ending in an escaped backslash are no open quote: the real error is told
    for innocent in ('# year: "2012-13 as it was', 'contact: "SEN team \\\\"'):
        text = MINIMAL.replace('year: "2013-14"', f'year: "2013-14"\n{innocent}').replace("}", "", 1)
        issue = only_problem(tmp_path, text)
        assert "a quote" not in issue.message and issue.row != 2, (innocent, issue.message)
    # closing the quote would leave a file nested 50,000 deep: a clear error still, never a crash
    deep = MINIMAL.replace('year: "2013-14"', 'year: "2013-14') + "x: " + "[" * 50_000 + "]" * 50_000 + "\n"
    assert "not valid YAML" in only_problem(tmp_path, deep).message


def test_a_config_not_in_utf8_gives_its_line_and_says_to_save_it_as_utf8(tmp_path):
    path = tmp_path / "senrun.yaml"
    path.write_bytes(MINIMAL.replace("per_pupil,", "per_pupil, label: \"£ per pupil\",").encode("cp1252"))
    with pytest.raises(SenrunError) as info:
        load_config(path)
    issue = info.value.issues[0]
    assert (issue.file, issue.row) == ("senrun.yaml", 9)
    assert "not UTF-8" in issue.message and "save it as UTF-8" in issue.message


@pytest.mark.parametrize("name,data", [("schools.xlsx", b"PK\x03\x04rest of a zip"),
                                       ("census.csv", b"UPN,DOB\nA,2005-01-01\n")])
def test_a_spreadsheet_given_as_the_config_says_the_config_is_the_yaml_file(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(SenrunError) as info:
        load_config(tmp_path / name)
    issue = info.value.issues[0]
    assert issue.file == name and "not a config" in issue.message and ".yaml file" in issue.message


# A config copied from last year and changed in one place only: warned, never silent

from builders import pupil, run, statement  # noqa: E402

U1 = "B801200005001"


def _warnings(result, code: str) -> list:
    return [i for i in result.issues if i.code == code]


def test_a_year_label_of_another_year_than_the_period_warns_at_its_line_with_the_label_that_fits(tmp_path):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05")], year="2014-15")
    (found,) = _warnings(r, "year_label")
    assert (found.file, found.row, found.column, found.value) == ("senrun.yaml", 1, "year", "2014-15")
    assert "01/04/2013 – 31/03/2014" in found.message and found.expected == "year: 2013-14"
    assert not found.is_error  # the label heads the outputs; it changes no figure


@pytest.mark.parametrize("label", ["2013-14", "2013/14", "FY 2013-14", "2013-2014", "2013–14", "Financial year A"])
def test_a_year_label_that_fits_the_period_or_is_free_text_gives_no_warning(tmp_path, label):
    assert not _warnings(run(tmp_path, statements=[statement(U1, "2005-05-05")], year=label), "year_label")


@pytest.mark.parametrize(("census_date", "warned"), [("2013-01-17", False), ("2012-04-01", False),
                                                     ("2012-03-31", True), ("2014-04-01", True)])
def test_a_census_date_more_than_a_year_before_the_period_or_after_it_warns(tmp_path, census_date, warned):
    r = run(tmp_path, statements=[statement(U1, "2005-05-05")], census=[pupil(U1, "A", "2005-05-05")],
            census_date=census_date, policy={"start": "2011-09-01"})
    found = _warnings(r, "census_date_far")
    assert bool(found) == warned
    if warned:
        line = (tmp_path / "senrun.yaml").read_text().splitlines().index(f"census_date: '{census_date}'") + 1
        assert (found[0].file, found[0].row, found[0].column) == ("senrun.yaml", line, "census_date")


def test_the_config_s_warnings_are_listed_before_the_inputs(tmp_path):
    from typer.testing import CliRunner
    from builders import write_run
    from senrun.cli import app
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")], year="2014-15",
                       census=[pupil(U1, "B", "2005-05-05")])  # a casual move: a warning at statements.csv
    out = CliRunner().invoke(app, ["validate", "--config", str(config)]).output
    lines = [line for line in out.splitlines() if line.startswith("warning:")]
    assert lines[0].startswith("warning: senrun.yaml › line 1 › year:") and len(lines) >= 2


def test_a_text_key_keeps_what_was_typed_a_telephone_numbers_leading_zero_and_not_words_quotes(tmp_path):
    """`contact: 01603 000000` written without its space is digits to YAML: every return had been headed
    "1603000000"; and `year: “2013-14”` (Word's quotes) had headed every workbook with the quotes."""
    path = tmp_path / "senrun.yaml"
    path.write_text(MINIMAL.replace('year: "2013-14"', "year: “2013-14”").replace("rate: 5000", "rate: 05000")
                    + "contact: 01603000000\n")
    cfg = load_config(path)
    assert cfg.contact == "01603000000" and cfg.year == "2013-14"
    assert [e.rate for e in cfg.elements if e.name == "lump_sum"] == [Decimal(5000)]  # a number is still one


def test_a_text_key_given_yes_or_no_is_told_to_quote_it_not_read_as_false(tmp_path):
    """`sheet: No` was told "has no sheet 'False'", and an element `name: on` became an element called True."""
    path = tmp_path / "senrun.yaml"
    path.write_text(MINIMAL.replace("inputs:\n  schools: {path: data/schools.xlsx}",
                                    "inputs:\n  schools: {path: data/schools.xlsx, sheet: No}"))
    with pytest.raises(SenrunError) as caught:
        load_config(path)
    [issue] = [i for i in caught.value.issues if i.column == "inputs.schools.sheet"]
    assert "is read as false" in issue.message and "put text in quotes" in issue.message


@pytest.mark.parametrize("header", ["Yes", "No", "on", "OFF"])
def test_a_header_yes_or_no_in_a_column_map_is_told_to_quote_it_not_read_as_a_header_true(tmp_path, header):
    """`columns: {Yes: upn}` had been taken as a header called "True", which no file has."""
    path = tmp_path / "senrun.yaml"
    path.write_text(MINIMAL.replace("inputs:\n  schools: {path: data/schools.xlsx}",
                                    "inputs:\n  schools: {path: data/schools.xlsx, columns: {" + header
                                    + ": school_id}}"))
    with pytest.raises(SenrunError) as caught:
        load_config(path)
    [issue] = [i for i in caught.value.issues if i.column.startswith("inputs.schools.columns")]
    assert "read by YAML as true or false, not as the header: put it in quotes" in issue.message


def test_words_quotes_are_taken_away_only_where_one_pair_wraps_the_whole_value_and_set_keeps_digits_as_typed():
    """A first version took away the outer quotes of `‘Base’ lump sum per ‘school’`, leaving `Base’ lump sum per
    ‘school`; and `simulate --set contact=01603000000` lost the zero the config file keeps."""
    from senrun.config.overlay import parse_value
    from senrun.config.yamlsafe import typed_text
    from senrun.outputs.common import plain_text

    assert typed_text("‘Base’ lump sum per ‘school’") == "‘Base’ lump sum per ‘school’"
    assert typed_text("‘x”") == "‘x”" and typed_text(" “2013-14” ") == "2013-14"
    assert typed_text(parse_value("01603000000")) == "01603000000" and parse_value("01603000000") == 1603000000
    assert parse_value("5000") == 5000 and type(parse_value("5000")) is int
    assert plain_text(parse_value("01603000000")) == "01603000000"  # the Parameters sheet: as the returns say


@pytest.mark.parametrize("written,value", [('"- 2"', Decimal(-2)), ('"-£ 1,000"', Decimal(-1000))])
def test_a_sign_written_with_a_space_after_it_is_still_the_sign(written, value):
    from senrun.inputs.parse import config_decimal

    assert config_decimal(written.strip('"')) == value


@pytest.mark.parametrize("edit, key, shown", [
    (("census_date: 2013-01-17", "census_date: 9999-12-31"), "census_date", "31/12/9999"),
    (("census_date: 2013-01-17", "census_date: 0013-01-17"), "census_date", "17/01/0013"),
    (("period: {start: 2013-04-01, end: 2014-03-31}", "period: {start: 2013-04-01, end: 2140-03-31}"), "period.end",
     "31/03/2140"),
    (("census_date: 2013-01-17", "census_date: 2013-01-17\npolicy: {start: 0001-01-01}"), "policy.start",
     "01/01/0001")])
def test_a_config_date_of_a_year_typed_wrong_is_an_error_at_its_key_never_an_unexpected_failure(tmp_path, edit, key,
                                                                                                  shown):
    """A census date of 9999-12-31, or a policy start or period of year 1, had stopped every command with "senrun
    failed unexpectedly (OverflowError)" or (ValueError): ages and periods went out of Python's dates."""
    told = only_problem(tmp_path, MINIMAL.replace(*edit))
    assert (told.field, told.message) == (key, f"{shown} is not a date of the years senrun funds (1990–2099): a year "
                                               "typed wrong?")


@pytest.mark.parametrize("text, key", [("phases: {primary: [0, 6], secondary: [7, 3000]}", "phases.secondary"),
                                       ("formula:\n  pupils: {nc_years: [-40, 11]}", "formula.pupils.nc_years")])
def test_an_age_based_year_no_child_is_in_is_an_error_at_its_key_never_an_unexpected_failure(tmp_path, text, key):
    """`secondary: [7, 3000]` had stopped validate with "failed unexpectedly (ValueError: year -993 is out of
    range)" as the years were turned into dates of birth."""
    config = MINIMAL.replace("formula:\n", f"{text}\n" + ("" if text.startswith("formula") else "formula:\n"), 1)
    config = config.replace("formula:\n  pupils: {nc_years: [-40, 11]}\n  elements:", "formula:\n  pupils: "
                            "{nc_years: [-40, 11]}\n  elements:")
    told = [i for i in problems(tmp_path, config) if i.field == key]
    assert told and "holds a year no child is in: age-based years run from -5" in told[0].message, \
        [str(i) for i in problems(tmp_path, config)]
