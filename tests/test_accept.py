"""The nightly check stays green on known warnings and goes red on new ones (issue 13, point 3):
`validate --accept FILE`, `accept:` in the config, the JSON report's schema, cron and systemd."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from builders import SCHOOLS, pupil, statement, write_run
from schema_check import problems
from senrun.accept import Acceptance, sort_issues
from senrun.config.loader import load_accept_file
from senrun.cli import app
from senrun.errors import SenrunError, Issue
from senrun.validate import run_validation

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CONFIG = ROOT / "config" / "senrun.yaml"
SAMPLE_ACCEPT = ROOT / "config" / "accepted-warnings.yaml"
SCHEMA = json.loads((ROOT / "docs" / "validate.schema.json").read_text())
BAD_LETTER = "B801200005009"  # a wrong check letter: a warning, not an error


def _run(folder: Path, **kwargs) -> Path:
    """A one-child run whose only warning is the UPN's wrong check letter (its schools carry no
    pupils column, which beside a census would be a warning of its own)."""
    schools = [{k: v for k, v in row.items() if k != "pupils"} for row in SCHOOLS]
    return write_run(folder, schools=schools, statements=[statement(BAD_LETTER, "2005-05-05", school="B")],
                     census=[pupil(BAD_LETTER, "B", "2005-05-05"), pupil("B801200005001", "A", "2005-01-01"),
                             pupil("E801200005003", "H", "2000-01-01")], **kwargs)


@pytest.fixture(scope="module")
def sample_report():
    return run_validation(SAMPLE_CONFIG, SAMPLE_ACCEPT)


def test_the_sample_nightly_check_passes_with_its_planted_warnings_accepted(sample_report):
    assert sample_report.issues, "the sample plants warnings"
    assert sample_report.shown == []
    assert len(sample_report.accepted.accepted) == len(sample_report.issues)
    assert sample_report.accepted.unused == []


def test_the_sample_nightly_check_fails_when_a_warning_is_not_yet_accepted(tmp_path, sample_report):
    entries = yaml.safe_load(SAMPLE_ACCEPT.read_text())["accept"]
    (tmp_path / "accept.yaml").write_text(yaml.safe_dump({"accept": entries[1:]}))
    result = CliRunner().invoke(app, ["validate", "--config", str(SAMPLE_CONFIG), "--accept",
                                      str(tmp_path / "accept.yaml"), "--strict"])
    assert result.exit_code == 1
    assert "0 error(s), 1 warning(s)" in result.output
    assert f"{len(entries) - 1} known warning(s) accepted" in result.output


def test_a_new_warning_fails_strict_and_an_accepted_one_does_not(tmp_path):
    cfg = _run(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["validate", "--config", str(cfg), "--strict"]).exit_code == 1
    accept = tmp_path / "accept.yaml"
    accept.write_text(f"accept:\n  - kind: upn_bad_letter\n    upn: {BAD_LETTER}\n    reason: reported\n"
                      "    until: 2999-12-31\n")
    ok = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--strict"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept),
                                            "--json"]).output)
    assert report["warnings"] == 0 and report["issues"] == []
    assert {a["issue"]["code"] for a in report["accepted"]} == {"upn_bad_letter"}
    # the reason is free text, often about the child: hidden with the UPN; the entry's line says where it is
    assert report["accepted"][0]["acceptance"] == {"kind": "upn_bad_letter", "upn": "[hidden]",
                                                   "reason": "[hidden]", "until": "2999-12-31"}
    assert problems(report, SCHEMA) == []
    asked = json.loads(runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--json",
                                           "--show-personal-data"]).output)
    assert asked["accepted"][0]["acceptance"]["reason"] == "reported"
    accept.write_text(f"accept:\n  - kind: upn_bad_letter\n    upn: {BAD_LETTER}\n    reason: Ann Smith's mother\n"
                      "    until: 2001-01-01\n")
    expired = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)])
    assert "Ann Smith" not in expired.output and BAD_LETTER not in expired.output
    assert "(accepted at accept.yaml › line 2 › accept[0])" in expired.output


def test_quiet_prints_nothing_when_the_nightly_check_passes_and_only_what_fails_it_when_not__spec_7(tmp_path):
    """cron mails whatever a command prints: with --quiet a passing check prints nothing, and a failing one only
    the problems that fail it (under --strict the warnings not accepted; without, the errors alone)."""
    cfg = _run(tmp_path)
    runner = CliRunner()
    accept = tmp_path / "accept.yaml"
    accept.write_text(f"accept:\n  - kind: upn_bad_letter\n    upn: {BAD_LETTER}\n    reason: reported\n"
                      "    until: 2999-12-31\n")
    passed = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--strict", "--quiet"])
    assert (passed.exit_code, passed.output) == (0, "")
    warned = runner.invoke(app, ["validate", "--config", str(cfg), "-q"])  # a warning fails no check without --strict
    assert (warned.exit_code, warned.output) == (0, "")
    failed = runner.invoke(app, ["validate", "--config", str(cfg), "--strict", "-q"])
    lines = failed.output.splitlines()
    assert failed.exit_code == 1
    warnings = len(lines) - 2
    assert warnings >= 1 and {line.split(":")[0] for line in lines[:-2]} == {"warning"}
    assert lines[-2:] == [f"0 error(s), {warnings} warning(s)", f"failed under --strict: {warnings} warning(s) not "
                          "accepted (new, or their acceptance has expired)"]
    assert "known warning(s) accepted" not in failed.output and "Dry run" not in failed.output
    assert BAD_LETTER not in failed.output


def test_quiet_with_errors_lists_the_errors_and_still_counts_every_warning__spec_7(tmp_path):
    """A failing nightly check under --quiet lists its errors alone, and had counted "0 warning(s)" beside them
    while the check had found warnings: a cron mail that said something false."""
    schools = [{k: v for k, v in row.items() if k != "pupils"} for row in SCHOOLS]
    cfg = write_run(tmp_path, schools=schools,
                    statements=[statement(BAD_LETTER, "2005-05-05", school="B"),
                                statement("B801200005001", "2005-01-01", school="A", annual="12.345")],
                    census=[pupil(BAD_LETTER, "B", "2005-05-05"), pupil("B801200005001", "A", "2005-01-01"),
                            pupil("E801200005003", "H", "2000-01-01")])
    full = CliRunner().invoke(app, ["validate", "--config", str(cfg)])
    quiet = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--quiet"])
    assert full.exit_code == quiet.exit_code == 1
    counts = full.output.splitlines()[-1]
    errors, warnings = (int(n) for n in re.findall(r"(\d+) (?:error|warning)", counts))
    assert errors >= 1 and warnings >= 1
    assert quiet.output.splitlines()[-1] == (f"{errors} error(s), {warnings} warning(s) ({warnings} not listed: "
                                             "--quiet lists what fails the check)")
    assert [line.split(":")[0] for line in quiet.output.splitlines()[:-1]] == ["error"] * errors


def test_an_expired_acceptance_counts_as_new_and_is_listed_apart(tmp_path):
    cfg = _run(tmp_path)
    accept = tmp_path / "accept.yaml"
    accept.write_text(f"- kind: upn_bad_letter\n  upn: {BAD_LETTER}\n  reason: reported\n  until: 2014-03-31\n")
    report = run_validation(cfg, accept, today=date(2014, 4, 1))
    assert {i.code for i in report.shown} == {"upn_bad_letter"}
    assert {e.until for _, e in report.accepted.expired} == {date(2014, 3, 31)}
    assert run_validation(cfg, accept, today=date(2014, 3, 31)).shown == []


def test_accept_in_the_config_as_a_list_or_a_file_relative_to_it(tmp_path):
    entry = {"kind": "upn_bad_letter", "upn": BAD_LETTER, "reason": "known", "until": "2999-01-01"}
    as_list = _run(tmp_path, accept=[entry])
    assert run_validation(as_list).shown == []
    (tmp_path / "known.yaml").write_text(yaml.safe_dump({"accept": [entry]}))
    as_file = _run(tmp_path, accept="known.yaml")
    report = run_validation(as_file)
    assert report.shown == [] and report.accepted.accepted


def test_a_bad_accept_entry_names_its_key_and_line(tmp_path):
    bad = tmp_path / "accept.yaml"
    bad.write_text("accept:\n  - kind: taught_year\n    reason: ok\n    until: 2014-13-01\n    school: X\n"
                   "  - kind: taught_year\n    upn: A\n    until: 2015-01-01\n")
    with pytest.raises(SenrunError) as caught:
        load_accept_file(bad)
    where = {(i.column, i.row) for i in caught.value.issues}
    assert ("accept[0].until", 4) in where
    assert any(col == "accept[1]" and row == 6 and True for col, row in where)
    assert "'reason' is required" in str(caught.value)


def test_an_accept_entry_whose_reason_is_only_spaces_has_no_reason_and_is_an_error_at_its_line(tmp_path):
    # docs/validate.md: "`reason:` and `until:` are required"; a reason of spaces says nothing a person
    # looked at, and would let --strict pass on a warning nobody explained (SPEC §7: validate for cron)
    bad = tmp_path / "accept.yaml"
    bad.write_text("accept:\n  - kind: taught_year\n    all: true\n    reason: '   '\n    until: 2014-07-31\n")
    with pytest.raises(SenrunError) as caught:
        load_accept_file(bad)
    [issue] = caught.value.issues
    assert (issue.column, issue.row) == ("accept[0].reason", 4)
    assert "'reason' is required" in issue.message


def test_entries_match_by_kind_and_school_or_row_and_never_accept_an_error():
    warning = Issue("census_outside", "warning", "28 census rows at school 9267001, which is not in the schools "
                    "input", file="census.csv", row=9, column="LAEstab", field="school_id", value="9267001")
    by_school = Acceptance("census_outside", "known", date(2999, 1, 1), school="9267001")
    by_row = Acceptance("census_outside", "known", date(2999, 1, 1), row=9, file="census.csv")
    other_row = Acceptance("census_outside", "known", date(2999, 1, 1), row=10, file="census.csv")
    assert by_school.matches(warning) and by_row.matches(warning) and not other_row.matches(warning)
    assert not Acceptance("census_outside", "x", date(2999, 1, 1), school="926700").matches(warning)
    error = Issue("census_outside", "error", warning.message, field="school_id", value="9267001")
    assert not by_school.matches(error)
    assert sort_issues([warning, error], (by_school,)).issues == [error]


@pytest.mark.parametrize("typed", ["sample_data/census.csv", "Census.CSV", "..\\sample_data\\census.csv"])
def test_an_entry_names_its_file_by_the_files_name_whatever_folder_or_capitals_are_typed(typed):
    """`file: sample_data/census.csv` (the path as the config gives it) had accepted nothing, and was then listed as
    "not seen this time … tidy it away": deleting it made the warning new, and `--strict` still failed."""
    warning = Issue("census_outside", "warning", "28 census rows at school 9267001", file="census.csv", row=9)
    assert Acceptance("census_outside", "known", date(2999, 1, 1), row=9, file=typed).matches(warning)
    assert not Acceptance("census_outside", "known", date(2999, 1, 1), row=9, file="statements.csv").matches(warning)
    assert not Acceptance("census_outside", "known", date(2999, 1, 1), row=9, file="census.csv.bak").matches(warning)


def test_an_entry_for_one_years_register_accepts_nothing_of_another_years_at_the_same_row__spec_11_4():
    """A register's warnings name its folder (`2013-14/psf.csv`): matched by the file's name alone, an entry written
    for last year's psf.csv had accepted another child's warning at the same row of the next year's."""
    warning = Issue("resurrected", "warning", "PSF stopped last year", file="2013-14/psf.csv", row=5)
    for other in ("2012-13/psf.csv", "psf.csv", "out/psf.csv"):
        assert not Acceptance("resurrected", "known", date(2999, 1, 1), row=5, file=other).matches(warning), other
    for same in ("2013-14/psf.csv", "2013-14\\PSF.csv", "chain/2013-14/psf.csv"):
        assert Acceptance("resurrected", "known", date(2999, 1, 1), row=5, file=same).matches(warning), same


def test_a_config_date_that_does_not_exist_names_its_key_and_line(tmp_path):
    cfg = _run(tmp_path)
    text = cfg.read_text()
    cfg.write_text(re.sub(r"census_date: .*", "census_date: 2013-13-01", text))
    line = next(n for n, t in enumerate(cfg.read_text().splitlines(), 1) if t.startswith("census_date"))
    report = run_validation(cfg)
    (issue,) = report.issues
    assert (issue.column, issue.row) == ("census_date", line)
    assert "'2013-13-01' is not a date" in issue.message


# --- the nightly examples in docs/validate.md --------------------------------------------------

DOC = (ROOT / "docs" / "validate.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)


def test_the_cron_example_has_five_valid_time_fields_and_a_command():
    ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
    lines = [ln for b in _blocks("cron") for ln in b.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines
    for line in lines:
        fields = line.split(None, 5)
        assert len(fields) == 6, line
        for text, (lo, hi) in zip(fields[:5], ranges):
            for part in text.split(","):
                base = part.split("/")[0]
                if base == "*":
                    continue
                bounds = [int(v) for v in base.split("-")]
                assert all(lo <= v <= hi for v in bounds), (text, lo, hi)
        assert "senrun validate" in fields[5] and "--accept" in fields[5]


def test_the_systemd_service_and_timer_examples_are_valid_units(tmp_path):
    service, timer = _blocks("ini")
    assert "[Service]" in service and re.search(r"^ExecStart=/\S+ validate ", service, re.M)
    assert "[Timer]" in timer and re.search(r"^OnCalendar=", timer, re.M) and "[Install]" in timer
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return
    calendar = re.search(r"^OnCalendar=(.*)$", timer, re.M).group(1)
    assert subprocess.run([analyze, "calendar", calendar], capture_output=True).returncode == 0
    exe = tmp_path / "senrun"  # the path in ExecStart must exist for verify: point it at a stand-in
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    (tmp_path / "senrun-validate.service").write_text(
        re.sub(r"^ExecStart=\S+", f"ExecStart={exe}", service, flags=re.M).replace("/srv/senrun", str(tmp_path)))
    (tmp_path / "senrun-validate.timer").write_text(timer)
    done = subprocess.run([analyze, "verify", str(tmp_path / "senrun-validate.timer"),
                           str(tmp_path / "senrun-validate.service")], capture_output=True, text=True)
    complaints = [ln for ln in done.stderr.splitlines() if "senrun-validate" in ln]
    assert complaints == [], done.stderr


def test_the_json_report_of_the_sample_and_of_a_bad_config_meet_the_documented_schema(tmp_path, sample_report):
    from senrun.cli.render import issues_json

    plain = run_validation(SAMPLE_CONFIG)
    for report in (plain, sample_report):
        assert problems(json.loads(issues_json(report.shown, report.summary())), SCHEMA) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2013\nperiod: {start: 2013-04-01}\n")
    result = CliRunner().invoke(app, ["validate", "--config", str(bad), "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["errors"] >= 1
    assert problems(report, SCHEMA) == []
    assert problems({**report, "errors": "1"}, SCHEMA) == ["$.errors: '1' is not integer"]  # the checker checks


def test_the_sample_nightly_check_fails_when_a_new_warning_appears_in_the_data(tmp_path):
    from senrun.inputs.upn import check_letter

    for folder in ("config", "sample_data"):
        shutil.copytree(SAMPLE_CONFIG.parents[1] / folder, tmp_path / folder)
    body = "926999912001"
    with (tmp_path / "sample_data" / "census.csv").open("a", encoding="utf-8") as census:
        census.write(f"{check_letter(body)}{body},9269999,01/01/2006,2,N,0\n")  # at a school not in the list
    result = CliRunner().invoke(app, ["validate", "--config", str(tmp_path / "config" / "senrun.yaml"),
                                      "--accept", str(tmp_path / "config" / "accepted-warnings.yaml"), "--strict"])
    assert result.exit_code == 1
    assert "census_outside" in result.output or "9269999" in result.output
    assert "0 error(s), 1 warning(s)" in result.output


def test_a_drafted_accept_file_fails_strict_until_a_person_gives_each_reason(tmp_path):
    cfg = _run(tmp_path)  # its one warning: the UPN's wrong check letter
    runner = CliRunner()
    drafted = tmp_path / "accepted.yaml"
    umask = os.umask(0o002)  # a umask that would let others read it
    try:
        assert runner.invoke(app, ["validate", "--config", str(cfg), "--draft-accept", str(drafted)]).exit_code == 0
    finally:
        os.umask(umask)
    assert drafted.stat().st_mode & 0o777 == 0o600  # it names children: its owner's only (docs/security.md)
    strict = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(drafted), "--strict"])
    assert strict.exit_code == 1 and "still the draft's" in strict.output
    # the summary line says why: not "1 warning(s) not accepted (new, or their acceptance has expired)"
    summary = " ".join(strict.output.split()).split("failed under --strict: ")[1]
    assert "acceptance(s) whose reason is still the draft's \"TO CHECK\"" in summary and "not accepted" not in summary
    drafted.write_text(drafted.read_text().replace("TO CHECK: say why this warning is accepted",
                                                   "checked with the school office on 3 March 2014"))
    reviewed = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(drafted), "--strict"])
    assert reviewed.exit_code == 0, reviewed.output


@pytest.mark.parametrize("name", ["senrun.yaml", "census.csv", "accepted-warnings.yaml"])
def test_a_draft_accept_file_never_replaces_a_file_the_config_an_input_or_a_reviewed_accept_list(tmp_path, name):
    cfg = _run(tmp_path)
    reviewed = tmp_path / "accepted-warnings.yaml"
    reviewed.write_text("accept:\n- {kind: upn_bad_letter, all: true, reason: checked with the school, "
                        "until: 2999-12-31}\n")
    target = tmp_path / name
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    done = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--draft-accept", str(target)])
    assert done.exit_code == 2
    assert (f"--draft-accept {target}: the file exists, and a draft never replaces a file (it may be the config, "
            "an input or a reviewed accept list); choose a new name, or delete the old draft first"
            ) in " ".join(done.output.split())
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_draft_accept_file_in_a_folder_that_does_not_exist_is_a_usage_error_before_the_check(tmp_path):
    cfg = _run(tmp_path)
    target = tmp_path / "nowhere" / "accepted.yaml"
    done = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--draft-accept", str(target)])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert f"the folder {target.parent} does not exist" in " ".join(done.output.split())
    assert not target.parent.exists()


def test_under_strict_a_check_failing_on_warnings_alone_ends_saying_so(tmp_path):
    cfg = _run(tmp_path)
    done = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--strict"])
    assert done.exit_code == 1
    assert done.output.splitlines()[-1] == ("failed under --strict: 2 warning(s) not accepted (new, or their "
                                           "acceptance has expired)")
    assert "failed under --strict" not in CliRunner().invoke(app, ["validate", "--config", str(cfg)]).output


@pytest.mark.parametrize("entry, said", [
    ("{kind: upn_bad_leter, all: true, reason: x, until: 2999-12-31}",
     "accept.yaml › line 2 › accept[0].kind: 'upn_bad_leter' is not a kind of warning senrun gives — did you mean "
     "'upn_bad_letter'?"),
    ("{kind: upn_bad_letter, file: census.csv, rows: 3, reason: x, until: 2999-12-31}",
     "accept.yaml › line 2 › accept[0].rows: unknown key 'rows' — did you mean 'row'?"),
])
def test_a_mistyped_kind_or_key_in_an_accept_entry_is_an_error_at_its_line_with_the_closest_name(
        tmp_path, entry, said):
    cfg = _run(tmp_path)
    accept = tmp_path / "accept.yaml"
    accept.write_text(f"accept:\n- {entry}\n")
    done = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)])
    assert done.exit_code == 1
    assert f"error: {said}" in " ".join(done.output.split())


def test_a_spreadsheet_given_as_the_accept_list_is_told_what_an_accept_list_is(tmp_path):
    from senrun.config.loader import load_accept_file
    from senrun.errors import SenrunError

    path = tmp_path / "census.csv"
    path.write_text("upn,school_id\n")
    with pytest.raises(SenrunError, match="this is a CSV file, not an accept list"):
        load_accept_file(path)


def test_a_renewal_added_below_an_expired_entry_accepts_and_neither_is_called_unused(tmp_path):
    """The officer renews by adding a new entry under the old one: the one in date wins."""
    cfg = _run(tmp_path)
    accept = tmp_path / "accept.yaml"
    accept.write_text(f"- kind: upn_bad_letter\n  upn: {BAD_LETTER}\n  reason: reported\n  until: 2014-03-31\n"
                      f"- kind: upn_bad_letter\n  upn: {BAD_LETTER}\n  reason: again\n  until: 2015-03-31\n")
    report = run_validation(cfg, accept, today=date(2014, 6, 1))
    assert report.shown == [] and report.accepted.expired == [] and report.accepted.unused == []
    assert {e.until for _, e in report.accepted.accepted} == {date(2015, 3, 31)}


def test_entries_that_matched_nothing_are_not_called_unused_when_errors_stopped_the_checks(tmp_path):
    """One bad cell stops the run before the census checks: their accepted warnings are not "fixed"."""
    cfg = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")],
                    census=[pupil("B801200005001", "A", "2005-06-05"), pupil("E801200005003", "H", "2000-01-01")])
    accept = tmp_path / "accept.yaml"
    accept.write_text("- kind: dob_differs\n  upn: B801200005001\n  reason: checked\n  until: 2999-12-31\n")
    assert run_validation(cfg, accept).accepted.unused == []  # it accepts the child's differing date of birth
    census = tmp_path / "census.csv"
    census.write_text(census.read_text().replace("2000-01-01", "2000-02-31"))  # a day that does not exist
    report = run_validation(cfg, accept)
    assert report.errors and report.accepted.unused == []


def test_a_warning_about_a_child_is_accepted_by_their_upn_and_drafted_so_not_by_a_row_that_moves(tmp_path):
    """A date of birth that differs is about a child whose UPN is in no cell of the warning: `upn:` still
    matches it, and the draft keys it by UPN (a census exported again moves every row)."""
    cfg = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="A")],
                    census=[pupil("B801200005001", "A", "2005-06-05")])
    [warning] = [i for i in run_validation(cfg).shown if i.code == "dob_differs"]
    from senrun.accept import draft_entries

    [drafted] = draft_entries([warning], reason="checked")
    assert drafted["upn"] == "B801200005001" and "row" not in drafted
    accept = tmp_path / "accept.yaml"
    accept.write_text("- kind: dob_differs\n  upn: b8012 0000 5001\n  reason: checked\n  until: 2999-12-31\n")
    assert [i.code for i in run_validation(cfg, accept).shown if i.code == "dob_differs"] == []
    assert "B801200005001" not in json.dumps(warning.hidden().to_dict())  # never in the report


def test_a_draft_of_a_warning_with_no_row_can_be_loaded_once_reviewed(tmp_path):
    from senrun.accept import draft_entries

    drafted = draft_entries([Issue("protection_skipped", "warning", "floor left out", file="senrun.yaml")],
                            reason="reviewed")
    path = tmp_path / "accept.yaml"
    path.write_text(yaml.safe_dump({"accept": drafted}))
    [entry] = load_accept_file(path)
    assert entry.every and entry.file == "senrun.yaml"
    assert entry.matches(Issue("protection_skipped", "warning", "floor left out", file="senrun.yaml"))


def test_a_blank_school_in_an_accept_entry_is_an_error_not_every_warning_of_its_kind(tmp_path):
    path = tmp_path / "accept.yaml"
    path.write_text("- kind: census_casual_move\n  school: ''\n  reason: r\n  until: 2999-12-31\n")
    with pytest.raises(SenrunError, match=r"'school' is blank"):
        load_accept_file(path)


def test_the_json_report_lists_warnings_by_file_and_row_and_a_draft_says_so_on_stderr(tmp_path):
    cfg = _run(tmp_path)
    done = CliRunner().invoke(app, ["validate", "-c", str(cfg), "--json", "--draft-accept", str(tmp_path / "draft.yaml")])
    report = json.loads(done.stdout)  # the JSON alone on stdout
    assert "Wrote a draft" in done.stderr
    places = [(i["file"] or "", i["row"] or 0) for i in report["issues"]]
    assert places == sorted(places) and len(places) > 1


def test_every_fault_of_an_accept_entry_is_named_at_once_and_an_empty_file_is_said_to_be_empty(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- kind: dob_differs\n  row: -3\n  reason: [a, b]\n  until: 2030\n")
    with pytest.raises(SenrunError) as e:
        load_accept_file(bad)
    assert sorted(i.column for i in e.value.issues) == ["[0].reason", "[0].row", "[0].until"]
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(SenrunError, match=r"empty.yaml: an accept list must be a list of accepted warnings \(the file "
                                          r"is empty\)"):
        load_accept_file(empty)


def test_a_warning_about_a_school_is_drafted_by_the_school_so_a_reordered_schools_list_keeps_it_accepted(tmp_path):
    """A school that closes with no successor is warned of at its `closed` cell: the draft keys it by the
    school, not by a row that moves when the schools list is sorted again (the nightly --strict check)."""
    from senrun.accept import draft_entries

    schools = [{**s, "closed": "2013-12-31" if s["school_id"] == "B" else ""} for s in SCHOOLS]
    cfg = write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="B")], schools=schools)
    [warning] = [i for i in run_validation(cfg).shown if i.code == "closed_without_successor"]
    [drafted] = draft_entries([warning], reason="closed for good")
    assert drafted["school"] == "B" and "row" not in drafted and "file" not in drafted
    accept = tmp_path / "accept.yaml"
    accept.write_text(yaml.safe_dump([{**drafted, "until": "2999-12-31"}]))
    write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05", school="B")], schools=schools[::-1])
    report = run_validation(cfg, accept)
    assert [i.code for i in report.shown if i.code == "closed_without_successor"] == []
    assert report.accepted.unused == []


def test_an_accept_list_the_config_names_is_checked_by_every_command_beside_the_inputs__spec_8(tmp_path):
    """validate had failed on a missing or mistyped accept file alone (hiding the census's bad cells) while
    allocate ignored it; a mistyped inline `accept:` list stopped both."""
    config = _run(tmp_path, accept="accepted-warnings.yaml")
    census = tmp_path / "census.csv"
    census.write_text(census.read_text().replace("2005-01-01", "31/02/2005"))
    for accept, said in ((None, "no such accept list file"), ("accept:\n- {kind: taught_yeer, all: true, reason: x}\n",
                                                             "did you mean 'taught_year'")):
        if accept:
            (tmp_path / "accepted-warnings.yaml").write_text(accept)
        found = [(i.file, i.code) for i in run_validation(config).errors]
        assert found[0][0] == "accepted-warnings.yaml" and ("census.csv", "bad_value") in found, found
        ran = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--quiet"])
        assert ran.exit_code == 1 and not (tmp_path / "out").exists()
        assert said in " ".join(ran.output.split()) and "census.csv" in ran.output


def test_an_accept_entry_naming_an_error_code_of_a_split_csv_row_is_told_errors_are_never_accepted(tmp_path):
    """`extra_cells` (a CSV row split by a comma outside quotes) is an error code: an entry naming it had been
    refused as an unknown kind ("did you mean 'merged_cells'?"), stopping every command."""
    from senrun.accept import ERROR_KINDS

    assert "extra_cells" in ERROR_KINDS
    cfg = _run(tmp_path)
    accept = tmp_path / "accept.yaml"
    accept.write_text("accept:\n- {kind: extra_cells, all: true, reason: known, until: 2999-01-01}\n")
    done = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)])
    assert "did you mean" not in done.output and "is not a kind of warning" not in done.output



def test_the_dry_run_line_docs_validate_md_shows_is_the_one_validate_prints_for_the_sample__spec_1(sample_report):
    """The money identity of SPEC §1 as validate's last line: the line docs/validate.md quotes is the sample's."""
    assert sample_report.totals_line in DOC.splitlines()
    assert sample_report.totals_line.startswith("Dry run: pot £16,117,000.00 = ")
