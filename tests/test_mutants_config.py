"""Tests that pin the config loader, the accept list and the command line to the contract, each
found by a deliberate small slip in the code (a default changed, a bound off by one, a check
dropped) that the other tests let through.  Each test names the page or SPEC section it holds
the code to; every expected value is written out by hand from that page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from senrun.config.loader import load_config
from senrun.errors import SenrunError

from test_config import MINIMAL, only_problem, write  # the config each test changes one thing of


def loaded(tmp_path: Path, text: str):
    return load_config(write(tmp_path, text))


# --- defaults (docs/config.md, "Every key") ------------------------------------------------

def test_census_move_tolerance_days_defaults_to_31_days(tmp_path):
    """docs/config.md, "Every key": `census_move_tolerance_days` defaults to 31 (SPEC §11.6)."""
    assert loaded(tmp_path, MINIMAL).census_move_tolerance_days == 31


def test_max_input_mb_defaults_to_2048_megabytes_of_2_to_the_20_bytes(tmp_path):
    """docs/config.md, "Every key": `max_input_mb` defaults to 2048 MB, a megabyte being 2²⁰ bytes."""
    cfg = loaded(tmp_path, MINIMAL)
    assert cfg.inputs["schools"].max_bytes == 2048 * 1048576
    assert cfg.inputs["statements"].max_bytes == 2048 * 1048576


def test_max_input_mb_given_is_counted_in_megabytes_of_2_to_the_20_bytes(tmp_path):
    """docs/config.md, "Every key": `max_input_mb: 3` refuses a file larger than 3 × 2²⁰ bytes."""
    assert loaded(tmp_path, MINIMAL + "max_input_mb: 3\n").inputs["schools"].max_bytes == 3 * 1048576


# --- bounds (docs/config.md, "Values" and "What is refused") --------------------------------

def test_a_whole_number_of_exactly_1_000_000_is_taken_and_one_more_is_refused(tmp_path):
    """docs/config.md, "Values": whole numbers (`census_move_tolerance_days`, ...) are at most 1,000,000."""
    assert loaded(tmp_path, MINIMAL + "census_move_tolerance_days: 1000000\n").census_move_tolerance_days == 1_000_000
    issue = only_problem(tmp_path, MINIMAL + "census_move_tolerance_days: 1000001\n")
    assert (issue.column, issue.row) == ("census_move_tolerance_days", 13)
    assert "too large" in issue.message


def test_an_amount_of_exactly_ten_billion_pounds_is_taken_and_a_penny_more_is_refused(tmp_path):
    """docs/config.md, "Values": money is at most £10,000,000,000 (the ceiling)."""
    cfg = loaded(tmp_path, MINIMAL.replace("pupil_specific_pot: 1000000", "pupil_specific_pot: 10000000000"))
    assert cfg.pupil_specific_pot == 1_000_000_000_000  # pence
    issue = only_problem(tmp_path, MINIMAL.replace("pupil_specific_pot: 1000000", "pupil_specific_pot: 10000000000.01"))
    assert (issue.column, issue.row) == ("budget.pupil_specific_pot", 4)


def test_a_rate_of_exactly_ten_billion_is_taken_and_one_more_is_refused(tmp_path):
    """docs/config.md, "Values": numbers (rates, shares, percentages) are at most 10,000,000,000 either way."""
    cfg = loaded(tmp_path, MINIMAL.replace("rate: 5000", "rate: 10000000000"))
    assert str(cfg.elements[0].rate) == "10000000000"
    issue = only_problem(tmp_path, MINIMAL.replace("rate: 5000", "rate: 10000000001"))
    assert (issue.column, issue.row) == ("formula.elements[0].rate", 7)
    assert "too large" in issue.message


def test_an_amount_of_nothing_is_money_that_is_not_negative_and_is_taken(tmp_path):
    """docs/config.md, "Values": money is "not negative", so a top-slice of 0 is a valid amount."""
    cfg = loaded(tmp_path, MINIMAL + "topslices:\n  - {name: aux, amount: 0}\n")
    assert [(t.name, t.pence, t.per) for t in cfg.topslices] == [("aux", 0, "amount")]


def test_a_span_of_one_year_first_equal_to_last_is_taken(tmp_path):
    """docs/config.md, "What is refused": only a `[first, last]` span whose first year is *after* its last."""
    cfg = loaded(tmp_path, MINIMAL.replace("formula:\n", "formula:\n  pupils: {nc_years: [6, 6]}\n")
                 + "phases: {primary: [0, 6], year7: [7, 7]}\n")
    assert cfg.pupil_years == (6, 6)
    assert cfg.phases == (("primary", 0, 6), ("year7", 7, 7))


# --- where: the line of the key itself (docs/config.md, first paragraph) --------------------

def test_a_bad_value_in_a_block_mapping_is_reported_at_its_own_line_not_its_sections(tmp_path):
    """docs/config.md: every problem is listed "with the file, the line, the key's path"; the line is the
    key's own YAML line (`senrun.yaml › line 6 › budget.pupil_specific_pot`), not its section's."""
    text = MINIMAL.replace("budget: {pupil_specific_pot: 1000000}\n",
                           "budget:\n  ssa_total: 100\n  pupil_specific_pot: -5\n")
    issue = only_problem(tmp_path, text)
    assert (issue.file, issue.row, issue.column) == ("senrun.yaml", 6, "budget.pupil_specific_pot")
    assert str(issue).startswith("senrun.yaml › line 6 › budget.pupil_specific_pot: ")


# --- the formula's elements (docs/config.md, "A formula element"; SPEC §4) -------------------

def test_a_column_basis_with_no_column_name_is_refused_at_its_line(tmp_path):
    """docs/config.md, "A formula element": a basis is one of the fixed ones or `column:NAME`; `column:` with no
    NAME is no basis."""
    issue = only_problem(tmp_path, MINIMAL.replace("basis: sen_support", 'basis: "column:"'))
    assert (issue.row, issue.column) == (8, "formula.elements[1].basis")
    assert "'column:' is not a basis" in issue.message


def test_an_element_with_none_of_rate_share_or_remainder_is_refused_at_its_line(tmp_path):
    """docs/config.md, "A formula element": "Exactly one of rate, share or remainder: true" — none is refused."""
    issue = only_problem(tmp_path, MINIMAL.replace("{name: need, basis: sen_support, share: 0.1}",
                                                   "{name: need, basis: sen_support}"))
    assert (issue.row, issue.column) == (8, "formula.elements[1]")
    assert "element 'need' must have exactly one of rate, share or remainder: true (it has none)" in issue.message


def test_a_rate_of_zero_is_taken_only_a_negative_rate_is_refused(tmp_path):
    """docs/simulate.md sweeps `lump_sum.rate=0,5000,10000`: a rate of 0 (no lump sum) is a rate; SPEC §4 and
    the checker refuse only a negative one."""
    cfg = loaded(tmp_path, MINIMAL.replace("rate: 5000", "rate: 0"))
    assert cfg.elements[0].rate == 0 and cfg.elements[0].kind == "rate"
    issue = only_problem(tmp_path, MINIMAL.replace("rate: 5000", "rate: -1"))
    assert (issue.row, issue.column) == (7, "formula.elements[0].rate")


# --- other keys' bounds ------------------------------------------------------------------------

def test_a_census_move_tolerance_of_zero_days_is_taken_and_a_negative_one_is_refused(tmp_path):
    """SPEC §11.6 / §11.11: the window is `census_date < move_date ≤ census_date + N`; N = 0 (no tolerance) is a
    whole number of days, 0 or more (docs/config.md, "Every key")."""
    assert loaded(tmp_path, MINIMAL + "census_move_tolerance_days: 0\n").census_move_tolerance_days == 0
    issue = only_problem(tmp_path, MINIMAL + "census_move_tolerance_days: -1\n")
    assert (issue.row, issue.column) == (13, "census_move_tolerance_days")
    assert "is negative" in issue.message


@pytest.mark.parametrize("day", ["1990-01-01", "2099-12-31"])
def test_a_config_date_on_either_end_of_1990_to_2099_is_taken(tmp_path, day):
    """docs/decisions.md: a config date of a year typed wrong is an error, the years taken being 1990–2099,
    both ends included."""
    assert loaded(tmp_path, MINIMAL + f"policy: {{start: {day}}}\n").policy_start == date.fromisoformat(day)


def test_a_config_date_of_1989_is_refused_at_its_key(tmp_path):
    """docs/decisions.md: dates outside 1990–2099 are a year typed wrong, an error at the key."""
    issue = only_problem(tmp_path, MINIMAL + "policy: {start: 1989-12-31}\n")
    assert (issue.row, issue.column) == (13, "policy.start")
    assert "1990–2099" in issue.message


def test_a_top_slice_with_none_of_its_amounts_is_refused_at_its_line(tmp_path):
    """docs/config.md, "What is refused": "a top-slice with none or several of its amounts"."""
    issue = only_problem(tmp_path, MINIMAL + "topslices:\n  - {name: aux}\n")
    assert (issue.row, issue.column) == (14, "topslices[0]")
    assert "top-slice 'aux' must have exactly one of amount, per_cluster or per_school" in issue.message


def test_nc_years_on_a_per_school_element_is_refused_at_its_line(tmp_path):
    """docs/config.md, "A formula element": `nc_years` is for pupils, sen_support, statements and fsm only; on
    per_school it would change nothing, and is refused."""
    issue = only_problem(tmp_path, MINIMAL.replace("basis: per_school, rate: 5000",
                                                   "basis: per_school, rate: 5000, nc_years: [0, 6]"))
    assert (issue.row, issue.column) == (7, "formula.elements[0].nc_years")
    assert "counts no pupils" in issue.message


def test_a_period_from_29_february_may_end_on_28_february_and_not_a_day_later(tmp_path):
    """SPEC §11.10: a period may start on 29 February; "at most one year" then means it ends on or before
    28 February of the next year."""
    leap = MINIMAL.replace("period: {start: 2013-04-01, end: 2014-03-31}", "period: {start: 2016-02-29, end: 2017-02-28}"
                           ).replace("census_date: 2013-01-17", "census_date: 2016-01-21") + "prorate: days\n"
    cfg = loaded(tmp_path, leap)
    assert (cfg.period_start, cfg.period_end) == (date(2016, 2, 29), date(2017, 2, 28))
    issue = only_problem(tmp_path, leap.replace("end: 2017-02-28", "end: 2017-03-01"))
    assert (issue.row, issue.column) == (2, "period.end")
    assert "longer than a year" in issue.message


# --- the file itself (docs/config.md, "What is refused") ---------------------------------------

def test_a_config_of_exactly_1_000_000_bytes_is_read_and_one_byte_more_is_refused(tmp_path):
    """docs/config.md, "What is refused": a file "larger than 1,000,000 bytes"; one of exactly 1,000,000 is read."""
    padding = 1_000_000 - len(MINIMAL.encode("utf-8")) - 2
    text = MINIMAL + "#" + "x" * padding + "\n"
    assert len(text.encode("utf-8")) == 1_000_000
    assert loaded(tmp_path, text).year == "2013-14"
    issue = only_problem(tmp_path, MINIMAL + "#" + "x" * (padding + 1) + "\n")
    assert issue.file == "senrun.yaml" and "1,000,000" in issue.message


def test_a_whole_number_of_thousands_of_digits_is_refused_by_name_at_its_key(tmp_path):
    """docs/config.md, "Values": a number too large is "refused by name rather than left to overflow": at its key,
    as too large, not as YAML that cannot be read."""
    issue = only_problem(tmp_path, MINIMAL.replace("rate: 5000", "rate: " + "9" * 5000))
    assert (issue.row, issue.column) == (7, "formula.elements[0].rate")
    assert "too large" in issue.message


def test_a_upn_to_reinstate_is_held_in_capitals_without_spaces(tmp_path):
    """SPEC §5: UPNs are compared with spaces removed and letters in upper case; docs/config.md, `reinstate`."""
    cfg = loaded(tmp_path, MINIMAL + 'reinstate:\n  - {upn: "b801 2000 05001", stream: PSF, reason: census slip}\n')
    assert [(r.upn, r.stream, r.reason) for r in cfg.reinstate] == [("B801200005001", "PSF", "census slip")]


# --- known warnings (docs/validate.md, "Known warnings: --accept FILE and accept:") -----------

def test_a_renewal_whose_until_is_today_wins_over_an_expired_entry_above_it():
    """docs/validate.md: "after this date it counts as new again" (the until day itself is in date), and "one
    still in date wins over one expired (a renewal can be added below the old entry)"."""
    from senrun.accept import Acceptance, sort_issues
    from senrun.errors import WARNING, Issue

    today = date(2014, 4, 30)
    warning = Issue("taught_year", WARNING, "taught a year below", file="census.csv", row=215)
    old = Acceptance(kind="taught_year", reason="agreed", until=date(2014, 4, 29), row=215, file="census.csv")
    renewal = Acceptance(kind="taught_year", reason="agreed again", until=today, row=215, file="census.csv")
    result = sort_issues([warning], (old, renewal), today=today)
    assert result.issues == [] and result.expired == []
    assert result.accepted == [(warning, renewal)]
    assert result.unused == []


def test_an_accept_file_with_a_key_other_than_accept_is_an_error_at_its_line(tmp_path):
    """docs/validate.md: an accept file is the list, or a mapping with `accept:`; a slip in it is an error at its
    file and line (an accept file has one key)."""
    from senrun.config.loader import load_accept_file

    path = write(tmp_path, "accept:\n  - {kind: taught_year, all: true, reason: agreed, until: 2014-07-31}\n"
                           "acept: []\n", name="accepted.yaml")
    with pytest.raises(SenrunError) as info:
        load_accept_file(path)
    (issue,) = info.value.issues
    assert (issue.file, issue.row, issue.column) == ("accepted.yaml", 3, "acept")
    assert "unknown key 'acept'" in issue.message


# --- the command line (SPEC §7: exit 0 success, 1 bad input or a failed check, 2 usage) ------

def _invoke(*args: str):
    from typer.testing import CliRunner

    from senrun.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("command", [["validate"], ["validate", "--json"], ["explain", "--school", "1"],
                                     ["allocate", "--out", "out"]])
def test_a_config_in_error_exits_1_never_2(tmp_path, command):
    """SPEC §7: exit 1 for bad input (a config key that is unknown, SPEC §8), 2 only for a command-line usage
    error."""
    path = write(tmp_path, MINIMAL + "prorata: days\n")
    if command[0] == "allocate":
        command = ["allocate", "--out", str(tmp_path / "out")]
    result = _invoke(command[0], "--config", str(path), *command[1:])
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "out").exists()


FIXTURE = Path(__file__).parent / "fixtures" / "bad" / "_baseline"


@pytest.mark.parametrize("warned", [True, False])
def test_allocate_quiet_prints_only_the_count_of_warnings_and_nothing_when_there_are_none(tmp_path, warned):
    """SPEC §7: long steps "stay quiet in cron"; `--quiet` prints only problems (the CLI's help): a run with one
    warning says how many and where they are listed, a clean run says nothing."""
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "run")
    if warned:  # a census-only child whose UPN has a wrong check letter: a warning, not an error
        census = tmp_path / "run" / "census.csv"
        census.write_text(census.read_text().replace("U926200213005", "A926200213005", 1))
    out = tmp_path / "out"
    result = _invoke("allocate", "--config", str(tmp_path / "run" / "senrun.yaml"), "--out", str(out),
                     "--no-returns", "--quiet")
    assert result.exit_code == 0, result.output
    said = "".join(result.stdout.split())  # (a long folder's path may be wrapped at the terminal's width anywhere)
    expected = (f"1 warning(s): listed in {out}/pupils.xlsx (restricted) and counted on the Summary sheet of "
                "allocations.xlsx") if warned else ""
    assert said == "".join(expected.split())


def test_sample_takes_a_seed_of_0(tmp_path):
    """SPEC §7: `senrun sample --scale demo --seed N --out DIR`; the option's help says "0 or more": 0 is a seed."""
    result = _invoke("sample", "--scale", "demo", "--seed", "0", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "senrun.yaml").is_file()
    assert _invoke("sample", "--scale", "demo", "--seed", "-1", "--out", str(tmp_path / "t")).exit_code == 2


def test_the_missing_config_hint_names_a_config_file_here_and_never_a_folder_of_that_name(tmp_path):
    """docs/decisions.md: a command with no --config beside a senrun.yaml is a usage error naming that config
    (SPEC §7: exit 2); a folder called senrun.yaml is no config, so the hint does not name it."""
    from senrun.cli import missing_config_hint

    (tmp_path / "senrun.yaml").mkdir()
    assert missing_config_hint(["allocate", "--out", "out"], cwd=tmp_path) is None
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "senrun.yaml").write_text(MINIMAL, encoding="utf-8")
    hint = missing_config_hint(["allocate", "--out", "out"], cwd=tmp_path)
    assert hint is not None and hint.endswith("senrun allocate --config config/senrun.yaml --out out")
    assert "but config/senrun.yaml is here" in hint


@pytest.mark.parametrize("years", ["0", "51"])
def test_simulate_years_outside_1_to_50_is_a_usage_error_exit_2(tmp_path, years):
    """SPEC §6–7: `--years N` projects N years, the first being the base year, so N is 1 or more (the option's
    help: at most 50); another N is a command-line usage error, exit 2, before anything is read."""
    path = write(tmp_path, MINIMAL)
    result = _invoke("simulate", "--config", str(path), "--set", "lump_sum.rate=1,2", "--years", years)
    assert result.exit_code == 2, result.output


def test_allocate_jobs_of_0_is_a_usage_error_exit_2(tmp_path):
    """SPEC §7: `--jobs N` sets the processes that write the returns; no process at all is a command-line usage
    error (exit 2), and nothing is written."""
    path = write(tmp_path, MINIMAL)
    result = _invoke("allocate", "--config", str(path), "--out", str(tmp_path / "out"), "--jobs", "0")
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


# --- more defaults and names (docs/config.md, "Every key" and "Values") ---------------------

def test_delegation_defaults_to_delegated_and_output_mode_to_private(tmp_path):
    """docs/config.md, "Every key": `delegation` defaults to `delegated`, `output_mode` to `private`."""
    cfg = loaded(tmp_path, MINIMAL)
    assert (cfg.delegation, cfg.output_mode) == ("delegated", "private")


def test_a_reinstatement_without_a_stream_is_of_the_psf_stream(tmp_path):
    """SPEC §5: a statement's `stream` is PSF by default; a reinstatement (docs/config.md, `reinstate`) of a child
    named without a stream is of that default stream."""
    cfg = loaded(tmp_path, MINIMAL + 'reinstate:\n  - {upn: B801200005001, reason: census slip}\n')
    assert [(r.upn, r.stream) for r in cfg.reinstate] == [("B801200005001", "PSF")]


def test_a_name_with_a_hyphen_is_refused_names_are_letters_digits_and_underscores(tmp_path):
    """docs/config.md, "Values": names (`formula.elements[].name`, `topslices[].name`) are letters, digits and `_`."""
    issue = only_problem(tmp_path, MINIMAL.replace("name: lump_sum", "name: lump-sum"))
    assert (issue.row, issue.column) == (7, "formula.elements[0].name")
    assert "'lump-sum' is not a usable name" in issue.message


def test_every_input_the_config_names_is_read_the_links_input_too(tmp_path):
    """docs/config.md, "Every key": `inputs.census`, `inputs.moves` and `inputs.links` are inputs, each with its path
    relative to the config file."""
    text = MINIMAL.replace("  statements: {path: ../shared/statements.csv}\n",
                           "  statements: {path: ../shared/statements.csv}\n  census: {path: c.csv}\n"
                           "  moves: {path: m.csv}\n  links: {path: gias/links.csv}\n")
    cfg = loaded(tmp_path, text)
    assert sorted(cfg.inputs) == ["census", "links", "moves", "schools", "statements"]
    assert cfg.inputs["links"].path == (tmp_path / "gias" / "links.csv").resolve()
    assert cfg.inputs["links"].path_text == "gias/links.csv"


def test_a_drafted_accept_entry_is_valid_for_a_year():
    """docs/validate.md: `--draft-accept` drafts each entry "valid for a year", its reason beginning TO CHECK."""
    from senrun.accept import draft_entries
    from senrun.errors import WARNING, Issue

    warning = Issue("taught_year", WARNING, "taught a year below", file="census.csv", row=215)
    (entry,) = draft_entries([warning], reason="TO CHECK: say why", today=date(2013, 4, 1))
    assert entry == {"kind": "taught_year", "file": "census.csv", "row": 215, "reason": "TO CHECK: say why",
                     "until": "2014-04-01"}
    # a year across a leap day is the same day next year, not 365 days (2016-02-29), and 29 February's is 1 March
    assert [draft_entries([warning], reason="r", today=day)[0]["until"] for day in (date(2015, 3, 1),
                                                                                    date(2016, 2, 29))] == [
        "2016-03-01", "2017-03-01"]


# --- simulate's overlays (SPEC §6; docs/simulate.md) -------------------------------------------

def test_set_null_drops_a_key_back_to_its_default_the_sen_total_check_dropped(tmp_path):
    """docs/simulate.md and `simulate --help`: `--set budget.sen_total=null` drops the SEN total's check for a sweep
    of the pot."""
    from senrun.config.overlay import sweep_scenarios

    base = loaded(tmp_path, MINIMAL.replace("budget: {pupil_specific_pot: 1000000}",
                                            "budget: {pupil_specific_pot: 1000000, sen_total: 3000000}"))
    assert base.sen_total == 300_000_000
    ((name, cfg),) = sweep_scenarios(base, ["budget.sen_total=null"])
    assert name == "budget.sen_total=null"
    assert cfg.sen_total is None and cfg.pupil_specific_pot == 100_000_000


def test_rate_solve_on_two_elements_is_refused(tmp_path):
    """SPEC §4: `rate: solve` asks for *the* rate that spends the pot exactly: one element's, so two elements
    solving at once is an error naming both."""
    from senrun.config.overlay import scenario_config

    base = loaded(tmp_path, MINIMAL)
    overlay = {"formula": {"elements": [{"name": "lump_sum", "rate": "solve"},
                                        {"name": "need", "share": None, "rate": "solve"},
                                        {"name": "per_pupil", "remove": True}]}}
    with pytest.raises(SenrunError) as info:
        scenario_config(base, overlay, "both.yaml")
    (issue,) = info.value.issues
    assert issue.file == "both.yaml" and issue.is_error
    assert "`rate: solve` is set on lump_sum, need: only one element's rate can be solved for" in issue.message


def test_a_whole_number_key_given_yes_is_refused_not_read_as_1(tmp_path):
    """docs/config.md, "Values": Yes, No, On and Off are true or false to YAML; `census_move_tolerance_days` is a
    whole number of days, so `yes` there is refused at its line rather than taken as 1."""
    issue = only_problem(tmp_path, MINIMAL + "census_move_tolerance_days: yes\n")
    assert (issue.row, issue.column) == (13, "census_move_tolerance_days")
    assert "must be a whole number" in issue.message


def test_a_workbook_saved_under_a_yaml_name_is_told_to_be_a_spreadsheet(tmp_path):
    """docs/config.md, "What is refused": a spreadsheet given as the config is told that the config is the .yaml
    file naming the spreadsheets, whatever its name says (an .xlsx file is a zip: it starts PK\\x03\\x04)."""
    path = tmp_path / "senrun.yaml"
    path.write_bytes(b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"xl/workbook.xml" * 4)
    with pytest.raises(SenrunError) as info:
        load_config(path)
    (issue,) = info.value.issues
    assert issue.file == "senrun.yaml"
    assert issue.message.startswith("this is a spreadsheet, not a config: give the config's .yaml file")


def test_an_accepted_warnings_row_of_0_is_an_error_at_its_line(tmp_path):
    """docs/validate.md: `row:` is that row of the input "as Excel shows it", which starts at 1: row 0 is an error
    at the entry's line, as any slip in an accept list is."""
    from senrun.config.loader import load_accept_file

    path = write(tmp_path, "accept:\n  - kind: taught_year\n    file: census.csv\n    row: 0\n    reason: agreed\n"
                           "    until: 2014-07-31\n", name="accepted.yaml")
    with pytest.raises(SenrunError) as info:
        load_accept_file(path)
    issue = next(i for i in info.value.issues if i.column == "accept[0].row")
    assert (issue.file, issue.row) == ("accepted.yaml", 4)
    assert "row must be a whole number of 1 or more" in issue.message


def test_a_census_of_megabytes_given_as_the_config_is_told_to_be_a_spreadsheet_not_too_big(tmp_path):
    """A real census is always over a config's 1,000,000 bytes: given as --config, it had been told only its size,
    not that the config is the .yaml file naming the spreadsheets."""
    for name, head in (("census.csv", b"upn,school_id\n"), ("census.dat", b"PK\x03\x04")):
        path = tmp_path / name
        path.write_bytes(head + b"A926200209025,9262002\n" * 60_000)
        with pytest.raises(SenrunError) as info:
            load_config(path)
        (issue,) = info.value.issues
        assert issue.file == name and "not a config: give the config's .yaml file" in issue.message
        assert "at most" not in issue.message and "A926200209025" not in issue.message
