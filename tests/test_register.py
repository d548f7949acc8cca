"""The register carried from year to year (SPEC §11.4), as scenarios named as sentences citing the FAQ.

Last year's psf.csv is written as senrun writes it; this year (the financial year 2013-14, by
months) runs through the library's `allocate` with `register=`.  Amounts are integer pence.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from builders import SCHOOLS, lines_of, pupil, statement, write_csv, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.outputs.reconciliation import reconciliation_frame, reconciliation_summary
from senrun.pipeline import allocate

U1, U2 = "B801200005001", "E801200005002"
PSF_COLUMNS = ["upn", "stream", "psf_school_id", "paid_school_id", "annual_amount", "paid_from", "paid_to",
               "paid_amount", "released_amount", "reason"]


def last_year(folder, *lines: dict):
    """Last year's psf.csv (2012-13), as senrun writes it."""
    path = folder / "last" / "psf.csv"
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=PSF_COLUMNS)
        w.writeheader()
        for line in lines:
            w.writerow({"stream": "PSF", "psf_school_id": "A", "paid_school_id": "A", "annual_amount": "8400.00",
                        "paid_from": "2012-04-01", "paid_to": "2013-03-31", "paid_amount": "8400.00",
                        "released_amount": "0.00", "reason": "continuing", **line})
    return path


def left(upn: str = U1, reason: str = "not_in_census") -> dict:
    """A line stopped last year at its period's start: paid nothing."""
    return {"upn": upn, "paid_from": "", "paid_to": "", "paid_amount": "0.00", "released_amount": "8400.00",
            "reason": reason}


def run_with(tmp_path, register, **kwargs):
    return allocate(load_config(write_run(tmp_path, **kwargs)), register=register)


def codes(result) -> list[str]:
    return [w.code for w in result.warnings]


def test_a_child_whose_psf_ended_last_year_is_not_paid_again_when_they_reappear__faq_3(tmp_path):
    register = last_year(tmp_path, left())
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 census=[pupil(U1, "A", "2005-05-05")])
    assert lines_of(r, U1) == [("A", 0, 0, "stopped_last_year")]
    assert r.totals.continuing_psf == 0 and r.totals.identity_holds
    resurrected = [w for w in r.warnings if w.code == "resurrected"]
    assert len(resurrected) == 1
    assert "not_in_census" in resurrected[0].message and "£8,400.00" in resurrected[0].message


def test_without_a_register_the_same_child_is_paid_each_year_standing_alone__spec_3(tmp_path):
    r = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")])))
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]


def test_a_stopped_child_is_held_at_zero_without_a_warning_when_this_year_would_not_pay_either__faq_3(tmp_path):
    register = last_year(tmp_path, left(reason="phase_end"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2000-11-14")])  # Year 6 ended in August 2012
    assert lines_of(r, U1) == [("A", 0, 0, "stopped_last_year")]
    assert "resurrected" not in codes(r)


def test_a_managed_move_just_after_census_day_is_not_told_for_a_child_whose_psf_stopped_last_year__spec_11_4_11_6(
        tmp_path):
    # The census (17 January 2013) has the child at B, where a managed move of 20 January takes them: §11.6 keeps a
    # funded line so and warns.  A history held stopped by the register is not checked against the census (§11.4):
    # there is no PSF to keep, so nothing to confirm.
    register = last_year(tmp_path, left())
    move = {"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-01-20", "reason": "managed_move"}
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], census=[pupil(U1, "B", "2005-05-05")],
                 moves=[move])
    assert lines_of(r, U1) == [("A", 0, 0, "stopped_last_year")]
    assert "move_after_census" not in codes(r)  # (without the register the line is kept at B and told)


def test_a_managed_move_just_after_census_day_is_not_told_where_the_psf_had_already_ended__spec_11_6_11_11(tmp_path):
    # A nursery child of August 2012 (FAQ 4) whose PSF ended at the phase end on 1 September 2012, and a Year 3 child
    # whose statement ceased on 31 March 2013: the census finding would have changed nothing for either, so the
    # move that explains it is not told, as a finding is not (§11.11 "Census").
    moves = [{"upn": u, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-01-20", "reason": "managed_move"}
             for u in (U1, U2)]
    r = run_with(tmp_path, None, statements=[statement(U1, "2008-05-05"), statement(U2, "2005-05-05", ceased="2013-03-31")],
                 census=[pupil(U1, "B", "2008-05-05"), pupil(U2, "B", "2005-05-05")], moves=moves)
    assert {line[3] for line in lines_of(r, U1)} == {"phase_end"} and {line[3] for line in lines_of(r, U2)} == {"ceased"}
    assert "move_after_census" not in codes(r)


def test_a_statement_that_was_post_policy_last_year_stays_stopped_even_if_its_date_is_corrected__faq_3_7(tmp_path):
    register = last_year(tmp_path, left(reason="post_policy_statement"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", statement_date="2012-08-01")])
    assert lines_of(r, U1) == [("A", 0, 0, "stopped_last_year")]
    assert "resurrected" in codes(r)


def test_a_child_named_under_reinstate_is_paid_again_and_listed_in_the_manifest__spec_11_4(tmp_path):
    register = last_year(tmp_path, left())
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "left in error from the January census"}]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], reinstate=reinstate)
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]
    assert "resurrected" not in codes(r)
    frame = reconciliation_frame(r)
    assert frame.select("movement", "reason", "this_year_paid").rows() == [
        ("paid this year, not last year", "reinstated", 840000)]
    from senrun.outputs import write_outputs

    write_outputs(r, tmp_path / "out", returns=False)
    text = (tmp_path / "out" / "manifest.json").read_text()
    line = r.config.lines["reinstate[0]"]  # the manifest may be shared: the entry's line, not the child
    assert json.loads(text)["register"]["reinstated"] == [
        {"config_line": line, "stream": "PSF", "stopped_last_year": "not_in_census"}]
    assert U1 in r.config.path.read_text().splitlines()[line - 1]
    assert U1 not in text and "January census" not in text


def test_explain_tells_a_reinstated_child_stopped_last_year_and_reinstated_by_the_configs_line__spec_11_4(tmp_path):
    """explain had said "First stop: continuing — nothing stopped it" of a child the register held stopped, with
    no word of the reinstatement that pays them again (the Summary and the Reconciliation said so)."""
    from senrun.yearly.explain import explain_upn, run_for_explain

    register = last_year(tmp_path, left())
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "left in error from the January census"}]
    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], reinstate=reinstate))
    result, psf, _ = run_for_explain(cfg, register=register)
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    [step] = [s for s in trail["steps"] if s["rule"] == "register"]
    line = cfg.lines["reinstate[0]"]
    assert step["text"] == ("Register: PSF stopped last year (not_in_census, paid nothing last year); reinstated by "
                            f"reinstate: in senrun.yaml "
                            f"line {line}, so it is paid again as this year's inputs pay it (SPEC §11.4).")
    result, psf, _ = run_for_explain(cfg)  # no register, a year after the policy began: an earlier stop is not known
    [step] = [s for s in explain_upn(result, psf.rows, U1)["statements"][0]["steps"] if s["rule"] == "register"]
    assert step["text"].startswith("Register: none was given (--register), in a year after the policy began: a stop "
                                   "made in an earlier year that this year's inputs do not show")
    (tmp_path / "first").mkdir()
    first = load_config(write_run(tmp_path / "first", statements=[statement(U1, "2005-05-05")], period={
        "start": "2012-04-01", "end": "2013-03-31"}, census_date="2012-01-19", year="2012-13"))
    result, psf, _ = run_for_explain(first)  # the policy's first year: no earlier stop to know of
    assert not [s for s in explain_upn(result, psf.rows, U1)["statements"][0]["steps"] if s["rule"] == "register"]
    earlier = last_year(tmp_path, {**left(), "reason": "stopped_last_year", "released_amount": "0.00"})
    result, psf, _ = run_for_explain(cfg, register=earlier)  # held last year for a stop of the year before
    [step] = [s for s in explain_upn(result, psf.rows, U1)["statements"][0]["steps"] if s["rule"] == "register"]
    assert step["text"].startswith("Register: PSF stopped in an earlier year and was held stopped last year; reinstated")


def test_explain_tells_a_child_held_stopped_why_last_years_psf_stopped_and_what_the_council_can_do__faq_3_spec_11_4(
        tmp_path):
    """A school asks why a child on its roll, in the census, with a statement, is paid £0: every step of the trail
    found nothing wrong, and the stop said only "stopped_last_year", with neither last year's reason nor the
    remedy if that stop was a mistake."""
    from senrun.yearly.explain import explain_upn, run_for_explain

    register = last_year(tmp_path, {**left(), "paid_from": "2012-04-01", "paid_to": "2013-01-31",
                                    "paid_amount": "5600.00", "released_amount": "2800.00"})
    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")],
                                census=[pupil(U1, "A", "2005-05-05")]))
    result, psf, _ = run_for_explain(cfg, register=register)
    [trail] = explain_upn(result, psf.rows, U1)["statements"]
    assert trail["stop"]["reason"] == "stopped_last_year" and trail["paid"] == 0
    [step] = [s for s in trail["steps"] if s["rule"] == "register"]
    assert step["text"] == (
        "Register: PSF stopped last year (not_in_census, last paid to 31/01/2013), so it stays stopped this year "
        "and is paid nothing (FAQ 3; SPEC §11.4). If that stop was a mistake (a child left out of last January's "
        "census in error), the council can pay it again by naming the child under reinstate: in the config, with "
        "the reason (docs/seven-years.md).")
    assert U1 not in step["text"]
    # the example of a mistaken stop is of last year's own reason, and none is given for a phase's end
    register = last_year(tmp_path, {**left(reason="phase_end"), "paid_from": "2012-04-01", "paid_to": "2012-08-31",
                                    "paid_amount": "3500.00", "released_amount": "4900.00"})
    result, psf, _ = run_for_explain(cfg, register=register)
    [step] = [s for s in explain_upn(result, psf.rows, U1)["statements"][0]["steps"] if s["rule"] == "register"]
    assert "(phase_end, last paid to 31/08/2012)" in step["text"] and "census" not in step["text"]
    assert "If that stop was a mistake, the council can pay it again" in step["text"]


def test_a_reinstatement_without_a_reason_is_a_config_error_at_its_line__spec_11_4(tmp_path):
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "  "}, {"upn": "", "reason": "appeal upheld"}]
    with pytest.raises(SenrunError) as e:
        load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], reinstate=reinstate))
    found = sorted((i.column, i.message) for i in e.value.issues)
    assert found == [("reinstate[0].reason", "reinstate[0].reason is blank"),
                     ("reinstate[1].upn", "reinstate[1].upn is blank")]
    assert all(i.file == "senrun.yaml" and i.row for i in e.value.issues)


def test_a_history_continuing_last_year_is_paid_as_before__faq_3(tmp_path):
    register = last_year(tmp_path, {"upn": U1})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]
    assert not {"resurrected", "missing_from_statements", "school_changed"} & set(codes(r))
    assert reconciliation_frame(r).is_empty()


def reissued_run(tmp_path, register):
    """This year's run of a statement issued in 2009, ceased in 2011 and reissued in January 2012, before the policy."""
    ceased = {**statement(U1, "2005-05-05", statement_date="2009-01-01", ceased="2011-06-01"), "event": "issued",
              "effective_date": ""}
    reissued = {**statement(U1, "2005-05-05", annual="6000.00", statement_date="2012-01-01"), "event": "reissued",
                "effective_date": "2012-01-01"}
    path = write_run(tmp_path, statements=[])
    write_csv(tmp_path / "statements.csv", [ceased, reissued], list(ceased))
    return allocate(load_config(path), register=register)


def test_a_statement_ceased_and_reissued_before_the_policy_is_as_its_reissue_was_last_year_continuing__faq_3_spec_11_3(
        tmp_path):
    """Last year's psf.csv has two lines for the child's (upn, stream): the ceased statement's (paid nothing)
    and the reissue's (continuing). The (upn, stream) is as its latest history: continuing, paid again.
    Its ceasing had been taken for the whole: £6,000 held at nothing and the reissue's line gone."""
    register = last_year(tmp_path, left(reason="ceased"), {"upn": U1, "annual_amount": "6000.00",
                                                           "paid_amount": "6000.00"})
    r = reissued_run(tmp_path, register)
    assert lines_of(r, U1) == [("A", 0, 840000, "ceased"), ("A", 600000, 0, "continuing")]
    assert "resurrected" not in codes(r)


def test_a_statement_ceased_and_reissued_before_last_year_is_no_stop_on_a_day_last_year_paid__spec_11_3_11_4(tmp_path):
    """Ceased in June 2011 and reissued in January 2012: last year's run paid the reissue, continuing. Every year
    since, the ceasing of 2011 had been told as `stopped_within_last_year` ("stop it on 01/06/2011, a day last year
    paid … nothing is paid this year") though the reissue is paid £6,000, and `validate --strict` failed each
    night. A ceasing recorded late, with a reissue only weeks after it, still is told: last year paid the days
    between; so is one whose reissue came after the policy began, which carries no PSF (a new statement, FAQ 7)."""
    register = last_year(tmp_path, left(reason="ceased"), {"upn": U1, "annual_amount": "6000.00",
                                                           "paid_amount": "6000.00"})
    r = reissued_run(tmp_path, register)
    assert lines_of(r, U1) == [("A", 0, 840000, "ceased"), ("A", 600000, 0, "continuing")]
    assert "stopped_within_last_year" not in codes(r)
    # last year (2012-13, the policy from 1 September 2012) paid continuing to 31/03/2013; a ceasing and a reissue
    # both recorded since: told where last year paid days with no statement in force that carries PSF
    late = last_year(tmp_path, {"upn": U1})
    for ceased_on, reissued_on, told in (("2012-12-01", "2013-02-01", True),  # December and January: none
                                         ("2012-12-01", "2012-12-01", True),  # after the policy: carries no PSF
                                         ("2012-05-01", "2012-05-01", False),  # the reissue from the day it ceased
                                         ("2012-05-01", "2012-07-01", True),  # May and June: none
                                         ("2011-06-01", "2012-03-01", False),  # both before last year began
                                         ("2011-06-01", "2012-08-01", True)):  # April to July: none
        ceased = {**statement(U1, "2005-05-05", statement_date="2009-01-01", ceased=ceased_on), "event": "issued",
                  "effective_date": ""}
        reissued = {**statement(U1, "2005-05-05", annual="6000.00", statement_date=reissued_on), "event": "reissued",
                    "effective_date": reissued_on}
        path = write_run(tmp_path, statements=[])
        write_csv(tmp_path / "statements.csv", [ceased, reissued], list(ceased))
        r = allocate(load_config(path), register=late)
        said = [w for w in r.warnings if w.code == "stopped_within_last_year"]
        assert bool(said) is told, (ceased_on, reissued_on)
        if told:
            day, again = (f"{d[8:]}/{d[5:7]}/{d[:4]}" for d in (ceased_on, reissued_on))
            assert f"this year's inputs stop it on {day} (ceased)" in said[0].message and said[0].row == 2
            assert ("before last year began (01/04/2012)" in said[0].message) is (ceased_on < "2012-04-01")
            assert (f"reissued after it is in force only from {again}" in said[0].message) is (reissued_on < "2012-09")


def test_a_reissue_that_stopped_last_year_holds_its_statement_stopped__spec_11_4(tmp_path):
    register = last_year(tmp_path, left(reason="ceased"), {**left(reason="not_in_census"), "annual_amount": "6000.00"})
    r = reissued_run(tmp_path, register)
    assert [line[1] for line in lines_of(r, U1)] == [0] * len(lines_of(r, U1))
    assert {line[3] for line in lines_of(r, U1)} == {"stopped_last_year"}


def test_a_ceased_and_reissued_statement_held_stopped_is_one_statement_on_the_released_sheet_as_in_psf_csv__spec_11_4(
        tmp_path):
    """The child's (upn, stream) stopped last year: its two statement rows this year (ceased in 2011, reissued in
    2012) are one line, stopped_last_year, in psf.csv, but the Released sheet counted two statements and both rows'
    annual PSF (£14,400.00 against psf.csv's £8,400.00), so the two could not be reconciled."""
    register = last_year(tmp_path, left(reason="ceased"), {**left(reason="not_in_census"), "annual_amount": "6000.00"})
    r = reissued_run(tmp_path, register)
    stopped = r.psf.filter(pl.col("reason") == "stopped_last_year")
    [row] = r.released.filter(pl.col("reason") == "stopped_last_year").to_dicts()
    assert (row["statements"], row["annual_amount"]) == (stopped.height, int(stopped["annual_amount"].sum())) == (1, 840000)


def test_a_child_paid_last_year_and_missing_from_this_years_statements_is_a_warning_not_a_line__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U1}, {"upn": U2})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert lines_of(r, U2) == []
    missing = [w for w in r.warnings if w.code == "missing_from_statements"]
    assert [(w.value, "£8,400.00" in w.message) for w in missing] == [(U2, True)]
    # and what to do, which only docs/seven-years.md had said
    assert missing[0].message.endswith("nothing is paid. Usually a row lost in the export: give it again; if the "
                                       "statement ended, add its ceased row (or ceased_date), and the warning goes "
                                       "(docs/seven-years.md)")
    assert reconciliation_frame(r).select("upn", "last_year_paid", "this_year_paid", "reason").rows() == [
        (U2, 840000, 0, "missing_from_statements")]


def test_a_child_paid_at_another_school_than_last_year_with_no_recorded_move_is_a_warning__faq_3_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "B"})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", school="A")])
    changed = [w for w in r.warnings if w.code == "school_changed"]
    assert len(changed) == 1 and "'B'" in changed[0].message and "'A'" in changed[0].message
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]  # a warning: the council decides


def test_a_school_change_is_judged_from_the_school_at_the_end_of_last_year_not_its_first_line__faq_3_6_spec_11_4(
        tmp_path):
    """Last year U1 was paid at A to September 2012, then at B to March 2013; this year's statement has the child
    at A with no move recorded: the change is from B, where last year ended, to A."""
    register = last_year(tmp_path, {"upn": U1, "paid_to": "2012-09-30", "paid_amount": "4200.00"},
                         {"upn": U1, "paid_school_id": "B", "paid_from": "2012-10-01", "paid_amount": "4200.00"})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", school="A")])
    [changed] = [w for w in r.warnings if w.code == "school_changed"]
    assert "paid at school 'B' at the end of last year and is paid at 'A' this year" in changed.message
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]


def test_a_school_change_names_the_first_school_paid_this_year_not_one_a_later_move_took_the_child_to__spec_11_4(
        tmp_path):
    """Last year ended at B; this year the child is paid at A (no move from B recorded), then moved to H in
    October by a managed move: the unexplained change is B to A, where this year began."""
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "B"})
    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "H", "move_date": "2013-10-01",
              "reason": "managed_move"}]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", school="A")], moves=moves)
    [changed] = [w for w in r.warnings if w.code == "school_changed"]
    assert "paid at school 'B' at the end of last year and is paid at 'A' this year" in changed.message
    assert lines_of(r, U1) == [("A", 420000, 0, "continuing"), ("H", 420000, 0, "continuing")]


def _school(sid: str, closed: str = "", successor: str = "", opened: str = "") -> dict:
    return {"school_id": sid, "school_name": f"School {sid}", "cluster_id": "C1", "ssa": "0.00", "pupils": "100",
            "opened": opened, "closed": closed, "successor_id": successor}


def test_a_child_whose_school_became_an_academy_recorded_in_the_gias_links_is_not_a_school_change__faq_3_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"})
    schools = [_school("A", closed="2013-03-31"), _school("AA", opened="2013-04-01"), _school("B")]
    links = [{"school_id": "A", "successor_id": "AA", "link_date": "2013-04-01", "link_type": "Successor"}]
    r = run_with(tmp_path, register, schools=schools, links=links,
                 statements=[statement(U1, "2005-05-05", school="AA")])
    assert lines_of(r, U1) == [("AA", 840000, 0, "continuing")]
    assert "school_changed" not in codes(r)


def test_a_child_whose_school_converted_twice_along_a_chain_is_not_a_school_change__faq_3_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"})
    schools = [_school("A", closed="2013-01-31", successor="AB"), _school("AB", closed="2013-03-31", successor="AC"),
               _school("AC", opened="2013-04-01"), _school("B")]
    r = run_with(tmp_path, register, schools=schools, statements=[statement(U1, "2005-05-05", school="AC")])
    assert lines_of(r, U1) == [("AC", 840000, 0, "continuing")]
    assert "school_changed" not in codes(r)


def test_a_child_paid_at_a_school_outside_their_schools_succession_is_still_a_school_change__faq_3_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"})
    schools = [_school("A", closed="2013-03-31", successor="AA"), _school("AA", opened="2013-04-01"), _school("B")]
    r = run_with(tmp_path, register, schools=schools, statements=[statement(U1, "2005-05-05", school="B")])
    changed = [w for w in r.warnings if w.code == "school_changed"]
    assert len(changed) == 1 and "'A'" in changed[0].message and "'B'" in changed[0].message


def test_a_stopped_child_missing_from_the_census_is_not_a_census_warning__spec_11_4(tmp_path):
    register = last_year(tmp_path, left(reason="phase_end"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")],
                 census=[pupil(U2, "A", "2005-05-05")])
    assert not any(w.code.startswith("census_") and w.value == U1 for w in r.warnings)


def test_the_reconciliation_counts_children_without_naming_them_in_the_publishable_workbook__spec_11_4(tmp_path):
    register = last_year(tmp_path, left(), {"upn": U2})
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["allocate", "-c", str(path), "-o", str(out), "--register",
                                      str(register.parent), "--no-returns", "-q"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "allocations.xlsx", read_only=True)
    rows = list(book["Reconciliation"].iter_rows(values_only=True))
    assert rows[0] == ("Movement", "Why PSF stopped", "Children", "Paid last year (£)", "Paid this year (£)")
    assert rows[1:] == [("paid last year, not this year", "missing_from_statements: paid last year, missing from this year's statements",
                         1, 8400, 0),  # reasons in words in the workbooks, codes in the CSVs
                        ("Total", None, 1, 8400, 0)]  # (docs/outputs.md: a totals row below every table of money)
    assert not any(U2 in str(v) for row in rows for v in row if v)
    text = (out / "reconciliation.csv").read_text()
    assert f"{U2},PSF,A,8400.00,continuing,,0.00,,missing_from_statements" in text
    restricted = list(openpyxl.load_workbook(out / "pupils.xlsx", read_only=True)["Reconciliation"]
                      .iter_rows(values_only=True))
    row = dict(zip(restricted[0], restricted[1]))
    assert row["Why it stopped last year"] == "continuing: still protected at the end of the period"
    assert row["Why PSF stopped"] == "missing_from_statements: paid last year, missing from this year's statements"


def test_the_reconciliation_summary_is_none_without_a_register(tmp_path):
    r = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")])))
    assert reconciliation_summary(r) is None and reconciliation_frame(r) is None


def test_a_register_that_is_not_a_senrun_psf_csv_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "psf.csv"
    bad.write_text("upn,amount\nB801200005001,1\n")
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, bad, statements=[statement(U1, "2005-05-05")])
    assert "psf.csv" in str(e.value) and "paid_school_id" in str(e.value)
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, tmp_path / "nowhere", statements=[statement(U1, "2005-05-05")])
    assert "no psf.csv" in str(e.value)
    workbook = tmp_path / "pupils.xlsx"  # last year's restricted workbook, given by mistake
    workbook.write_bytes(b"PK\x03\x04")
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, workbook, statements=[statement(U1, "2005-05-05")])
    [issue] = e.value.issues
    assert issue.file == "pupils.xlsx" and "not its .xlsx file" in issue.message


def test_this_years_own_psf_csv_given_as_the_register_stops_the_run_naming_it__spec_11_4(tmp_path):
    """A register paid into this period is not last year's: its stops would be taken as last year's."""
    register = last_year(tmp_path, {"upn": U1, "paid_to": "2013-08-31"})
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    [issue] = e.value.issues
    assert (issue.code, issue.severity, issue.file) == ("register_overlaps", "error", "last/psf.csv")
    assert "paid up to 31/08/2013, not a year before this period (01/04/2013 – 31/03/2014)" in issue.message


def test_a_later_years_run_given_as_the_register_stops_the_run_by_its_manifest__spec_11_4(tmp_path):
    """Next year's folder given by mistake (its manifest says its period), though it paid nothing in this one."""
    register = last_year(tmp_path, left())
    (register.parent / "manifest.json").write_text(json.dumps({"period": {"start": "2014-04-01", "end": "2015-03-31"}}))
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [i.code for i in e.value.issues] == ["register_overlaps"]
    assert "the run of 01/04/2014 – 31/03/2015" in e.value.issues[0].message


def _as_senrun_wrote(register, lines: int) -> None:
    """A manifest.json beside `register` as senrun writes it: the file's SHA-256 and its number of lines."""
    import hashlib

    sha = hashlib.sha256(register.read_bytes()).hexdigest()
    (register.parent / "manifest.json").write_text(json.dumps({
        "period": {"start": "2012-04-01", "end": "2013-03-31"}, "rows": {"psf": lines},
        "files": {"psf.csv": {"sha256": sha, "bytes": register.stat().st_size}}}))


def test_a_register_with_rows_deleted_since_senrun_wrote_it_is_a_warning_and_its_children_are_named__faq_3(tmp_path):
    """Rows deleted (or filtered out) in a spreadsheet: the child stopped last year is no longer known,
    and is paid again; the register's manifest shows it changed, and the child paid but not in it is named."""
    register = last_year(tmp_path, {"upn": U2}, left())
    _as_senrun_wrote(register, 2)
    text = register.read_text().splitlines()
    register.write_text("\n".join(text[:2]) + "\n")  # the stopped child's line deleted
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]  # paid: nothing says it stopped
    [changed] = [w for w in r.warnings if w.code == "register_changed"]
    assert changed.file == "last/psf.csv" and "it has 1 lines where senrun wrote 2" in changed.message
    [new] = [w for w in r.warnings if w.code == "not_in_register"]
    assert (new.file, new.row, new.column, new.value) == ("statements.csv", 2, "upn", U1)
    assert "is paid £8,400.00 this year but is not in the register (last/psf.csv)" in new.message


def test_a_register_changed_beside_a_manifest_without_line_counts_is_still_a_warning__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U2}, left())
    _as_senrun_wrote(register, 2)
    manifest = json.loads((register.parent / "manifest.json").read_text())
    del manifest["rows"]
    (register.parent / "manifest.json").write_text(json.dumps(manifest))
    register.write_text(register.read_text().replace("not_in_census", "casual_move"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert "register_changed" in codes(r)


def test_a_register_whose_manifest_gives_its_period_as_the_config_typed_it_is_still_known__spec_11_4(tmp_path):
    register = last_year(tmp_path, left())
    (register.parent / "manifest.json").write_text(json.dumps({"period": {"start": "01/04/2013", "end": "31/03/2014"}}))
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [i.code for i in e.value.issues] == ["register_overlaps"]


def test_a_register_edited_in_place_is_a_warning_and_one_as_senrun_wrote_it_none__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U2}, left())
    _as_senrun_wrote(register, 2)
    kept = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert "register_changed" not in codes(kept) and "not_in_register" not in codes(kept)
    register.write_text(register.read_text().replace("not_in_census", "casual_move"))  # a stop's reason retyped
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    [changed] = [w for w in r.warnings if w.code == "register_changed"]
    assert "its lines are as many as senrun wrote, but not as it wrote them" in changed.message


@pytest.mark.parametrize("with_manifest", [True, False])
@pytest.mark.parametrize("stopped", [left(U2), {"upn": U2, "paid_to": "2012-10-31", "paid_amount": "4900.00",
                                             "released_amount": "3500.00", "reason": "casual_move"}])
def test_a_stop_turned_to_continuing_by_hand_stops_the_run_at_its_row_manifest_or_none__spec_11_4_faq_3(
        tmp_path, with_manifest, stopped):
    """A reason changed to continuing in a spreadsheet paid again a child whose PSF stopped, with only a warning
    that the file had changed (none at all for a psf.csv sent without its manifest).  senrun writes continuing
    only on a history paid to the period's end; reinstate: is the way to pay such a child again."""
    register = last_year(tmp_path, {"upn": U1}, stopped)
    if with_manifest:
        _as_senrun_wrote(register, 2)
    register.write_text(register.read_text().replace(stopped["reason"], "continuing"))
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    [told] = e.value.issues
    assert (told.code, told.file, told.row, told.column) == ("register", "last/psf.csv", 3, "reason")
    assert ("reason 'continuing' on a line paid to no date that released money" if stopped["paid_to"] == "" else
            "reason 'continuing' on a history last paid to 31/10/2012, though others were paid to 31/03/2013"
            ) in told.message
    assert "reinstate:" in told.message and U2 not in told.message


def test_a_managed_moves_earlier_line_is_continuing_though_paid_to_before_the_periods_end__spec_11_4_faq_6(tmp_path):
    moved = {"upn": U2, "paid_to": "2012-11-30", "paid_amount": "5600.00"}
    register = last_year(tmp_path, {"upn": U1}, moved,
                         {"upn": U2, "paid_school_id": "B", "paid_from": "2012-12-01", "paid_amount": "2800.00"})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05", "B")])
    assert lines_of(r, U2) == [("B", 840000, 0, "continuing")]


def test_a_manifest_saved_again_with_a_byte_order_mark_is_still_read__spec_11_4(tmp_path):
    """Notepad's UTF-8 puts a byte-order mark first: the manifest had been taken as none, and every check it
    carries (the register's year, a changed file, last year's own doubts) went without a word."""
    register = last_year(tmp_path, left())
    (register.parent / "manifest.json").write_bytes(
        "\ufeff".encode() + json.dumps({"period": {"start": "2014-04-01", "end": "2015-03-31"}}).encode())
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [i.code for i in e.value.issues] == ["register_overlaps"]


@pytest.mark.parametrize("text", ["", "{not json", "[]", '{"period": {"start": "2012-04-01"}}'])
def test_a_manifest_beside_the_register_that_cannot_be_read_is_a_warning_naming_the_register__spec_11_4(
        tmp_path, text):
    register = last_year(tmp_path, {"upn": U1})
    (register.parent / "manifest.json").write_text(text)
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    [told] = [w for w in r.warnings if w.code == "register_changed"]
    assert told.file == "last/psf.csv" and "manifest.json cannot be read as the one senrun wrote" in told.message
    (register.parent / "manifest.json").unlink()  # a psf.csv on its own, as --register takes it: nothing said
    assert "register_changed" not in codes(run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")]))


def test_a_register_saved_by_excel_as_windows_1252_csv_is_read_the_same(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_amount": "£8,400.00"}, left(U2))
    register.write_bytes(register.read_text(encoding="utf-8").encode("cp1252"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]
    assert lines_of(r, U2) == [("A", 0, 0, "stopped_last_year")]


def test_reinstate_without_a_register_is_a_warning_that_nothing_is_reinstated__spec_11_4(tmp_path):
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05")],
                     reinstate=[{"upn": U1, "stream": "PSF", "reason": "left out of the census in error"}])
    r = allocate(load_config(path))
    [unused] = [w for w in r.warnings if w.code == "reinstate_unused"]
    assert "no --register was given" in unused.message and U1 not in unused.message


def test_validate_simulate_and_explain_take_the_register_too__spec_11_4(tmp_path):
    register = last_year(tmp_path, left())
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])
    runner = CliRunner()
    checked = runner.invoke(app, ["validate", "-c", str(path), "--register", str(register), "--json"])
    assert checked.exit_code == 0, checked.output
    assert "resurrected" in [i["code"] for i in json.loads(checked.output)["issues"]]
    told = runner.invoke(app, ["explain", "-c", str(path), "--upn", U1, "--register", str(register)])
    assert told.exit_code == 0 and "stopped_last_year" in told.output, told.output
    out = tmp_path / "sim"
    projected = runner.invoke(app, ["simulate", "-c", str(path), "--years", "2", "--register", str(register),
                                    "-o", str(out), "-q"])
    assert projected.exit_code == 0, projected.output
    rows = list(csv.DictReader((out / "projection.csv").open()))
    assert [r["continuing_psf"] for r in rows] == ["0.00", "0.00"]  # held in every projected year


def test_the_summary_counts_reinstatements_without_naming_the_child_or_quoting_the_reason__spec_11_4(tmp_path):
    register = last_year(tmp_path, left())
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "casework note"}]
    accept = [{"kind": "upn_bad_letter", "upn": U1, "reason": "casework: the school typed it", "until": "2099-01-01"}]
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05")], reinstate=reinstate, accept=accept)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["allocate", "-c", str(path), "-o", str(out), "--register", str(register),
                                      "--no-returns", "-q"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "allocations.xlsx", read_only=True)
    cells = [str(v) for row in book["Summary"].iter_rows(values_only=True) for v in row if v]
    assert "Reinstated by the config: 1 (each listed in manifest.json too)" in cells
    assert "  • stopped last year (not_in_census: not found in the census): 1" in cells
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if U1 in text)
    assert f"  • senrun.yaml line {line}: PSF, stopped last year (not_in_census: not found in the census)" in cells
    assert not any("casework" in c for c in cells)
    for ws in book.worksheets:  # the Parameters sheet too: the config's reinstate: names the child
        if ws.title != "PSF":  # (the PSF sheet lists children until it moves to the restricted pupils.xlsx)
            values = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v]
            assert not any(U1 in v or "casework" in v for v in values), ws.title
    parameters = dict(row[:2] for row in book["Parameters"].iter_rows(values_only=True))
    assert parameters["accept"] == "1 accepted warning(s), listed in the config file"
    assert parameters["reinstate"] == "1 reinstatement(s), listed in manifest.json"


def test_a_child_whose_psf_ended_last_year_and_who_left_the_statements_is_reconciled_by_last_years_reason__faq_3(
        tmp_path):
    ended = {"upn": U2, "paid_to": "2012-08-31", "paid_amount": "3500.00", "released_amount": "4900.00",
             "reason": "phase_end"}
    register = last_year(tmp_path, {"upn": U1}, ended)
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert reconciliation_frame(r).select("upn", "last_year_paid", "this_year_paid", "reason").rows() == [
        (U2, 350000, 0, "phase_end")]
    assert "missing_from_statements" not in codes(r)


def test_a_register_saved_again_from_a_spreadsheet_is_read_the_same(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_amount": "£8,400", "paid_to": "31/03/2013"}, left(U2))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]
    assert lines_of(r, U2) == [("A", 0, 0, "stopped_last_year")]
    assert "register_overlaps" not in codes(r)


def test_a_registers_blank_rows_left_by_a_spreadsheet_are_not_lines_and_a_bad_line_keeps_its_row(tmp_path):
    register = last_year(tmp_path, {"upn": U1}, left(U2))
    with register.open("a") as fh:
        fh.write(",,,,,,,,,\n , ,,,,,,,,\n")
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert lines_of(r, U2) == [("A", 0, 0, "stopped_last_year")]
    with register.open("a") as fh:
        fh.write(f"{U1},PSF,A,A,8400.00,2012-04-01,2013-03-31,8400.00,0.00,no_such_reason\n")
    with pytest.raises(SenrunError) as caught:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [i.row for i in caught.value.issues] == [6]  # the header, two lines, two blank rows, then it


def test_the_attributed_diff_compares_the_run_as_made_under_the_register__spec_11_4(tmp_path):
    register = last_year(tmp_path, left())
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05", school="B")])
    runner = CliRunner()
    assert runner.invoke(app, ["allocate", "-c", str(path), "-o", str(tmp_path / "y0"), "--no-returns",
                               "-q"]).exit_code == 0
    out = tmp_path / "y1"
    result = runner.invoke(app, ["allocate", "-c", str(path), "-o", str(out), "--register", str(register),
                                 "--previous", str(tmp_path / "y0" / "schools.csv"), "--previous-config", str(path),
                                 "--no-returns", "-q"])
    assert result.exit_code == 0, result.output
    totals = {r["school_id"]: r["total"] for r in csv.DictReader((out / "schools.csv").open())}
    diff = [r for r in csv.DictReader((out / "diff.csv").open()) if r["level"] == "school"]
    assert {r["school_id"]: r["current_total"] for r in diff} == totals
    parts = ("change_psf_runoff", "change_pupil_numbers", "change_formula", "change_other")
    for r in diff:
        assert sum(Decimal(r[p]) for p in parts) == Decimal(r["change"])
    assert any(Decimal(r["change_psf_runoff"]) != 0 for r in diff)  # U1's PSF held by the register


U3, U4, U5 = "U801200005004", "H801200005005", "E801200005003"  # U5 begins with U2's letter


def _every_case(tmp_path, name: str):
    """A stopped child who reappears, one at another school, one missing, one reinstated, one new."""
    folder = tmp_path / name
    folder.mkdir()
    register = last_year(folder, left(), {"upn": U2, "paid_school_id": "B"}, {"upn": U3}, left(U4, "phase_end"))
    reinstate = [{"upn": U4, "stream": "PSF", "reason": "kept back a year"}]
    r = run_with(folder, register, statements=[statement(U, "2005-05-05") for U in (U1, U2, U4, U5)],
                 reinstate=reinstate)
    return r, [(w.code, w.message) for w in r.warnings], reconciliation_frame(r)


@pytest.mark.parametrize("hashed", ["first letter", "one hash for all"])
def test_two_keys_that_share_a_hash_are_never_taken_for_one_history__spec_11_4(tmp_path, monkeypatch, hashed):
    from senrun import register

    plain, plain_warnings, plain_frame = _every_case(tmp_path, "plain")
    assert lines_of(plain, U1) == [("A", 0, 0, "stopped_last_year")]
    assert lines_of(plain, U4) == lines_of(plain, U5) == [("A", 840000, 0, "continuing")]
    assert {"resurrected", "school_changed", "missing_from_statements"} <= {c for c, _ in plain_warnings}
    # U5 shares U2's hash under "first letter"; every history shares one under "one hash for all"
    same = pl.col("upn").str.slice(0, 1) if hashed == "first letter" else pl.lit("x")
    monkeypatch.setattr(register, "key_hash", lambda: same.hash().alias(register.HASH))
    read = register.read_register(tmp_path / "plain" / "last")
    assert read.distinct_hashes == (hashed == "first letter") and read.histories.height == 4
    r, warnings, frame = _every_case(tmp_path, "collided")
    assert r.psf.equals(plain.psf) and warnings == plain_warnings
    assert frame.equals(plain_frame)
    assert frame.select("upn", "reason").rows() == [(U3, "missing_from_statements"),
                                                    (U5, "not in last year's register"), (U4, "reinstated")]


def _move(upn: str, frm: str, to: str, on: str, reason: str = "managed_move") -> dict:
    return {"upn": upn, "from_school_id": frm, "to_school_id": to, "move_date": on, "reason": reason}


def test_a_child_who_reached_this_years_school_by_two_recorded_managed_moves_is_not_a_school_change__faq_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"})
    moves = [_move(U1, "A", "B", "2013-02-01"), _move(U1, "B", "H", "2013-03-01")]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", school="A")], moves=moves)
    assert lines_of(r, U1) == [("H", 840000, 0, "continuing")]
    assert "school_changed" not in codes(r)


def test_a_child_moved_to_a_school_that_then_converted_is_not_a_school_change__faq_3_6(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"})
    schools = [_school("A"), _school("B", closed="2013-02-28", successor="BB"), _school("BB", opened="2013-03-01")]
    moves = [_move(U1, "A", "B", "2013-02-01")]
    r = run_with(tmp_path, register, schools=schools, moves=moves,
                 statements=[statement(U1, "2005-05-05", school="A")])
    assert lines_of(r, U1) == [("BB", 840000, 0, "continuing")]
    assert "school_changed" not in codes(r)


def test_a_recorded_move_of_another_child_does_not_explain_a_school_change__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "A"}, {"upn": U2, "paid_school_id": "A"})
    moves = [_move(U2, "A", "B", "2013-02-01")]
    r = run_with(tmp_path, register, moves=moves, statements=[statement(U1, "2005-05-05", school="B"),
                                                               statement(U2, "2005-05-05", school="A")])
    changed = [w for w in r.warnings if w.code == "school_changed"]
    assert [(w.row, w.column) for w in changed] == [(2, "upn")]  # U1's line in last year's psf.csv


def test_the_registers_warnings_name_last_years_row_and_hide_the_childs_upn_by_default__uk_gdpr(tmp_path):
    register = last_year(tmp_path, {"upn": U2}, left(U1))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    found = {w.code: w for w in r.warnings if w.code in ("resurrected", "missing_from_statements")}
    assert (found["resurrected"].row, found["missing_from_statements"].row) == (3, 2)
    for issue in found.values():
        shown = issue.hidden()
        assert U1 not in str(shown) and U2 not in str(shown) and shown.value == "[hidden]"
        assert str(shown).startswith(f"last/psf.csv › row {issue.row} › upn: [hidden] / PSF")
    assert U1 in found["resurrected"].message  # pupils.xlsx (restricted) and --show-personal-data keep it


def test_a_bad_register_line_names_its_column_and_the_value_found(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_amount": "lots"}, {"upn": U2, "paid_to": "31-31-2013",
                                                                        "reason": "gone"})
    with pytest.raises(SenrunError) as caught:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [(i.row, i.column, i.value) for i in caught.value.issues] == [
        (2, "paid_amount", "lots"), (3, "paid_to", "31-31-2013"), (3, "reason", "gone")]


def test_a_register_line_of_an_unknown_stream_is_an_error_at_its_cell_and_a_streams_case_is_not__spec_11_4(tmp_path):
    """`PSX` had been read as a history no statement could match: its child's stop was lost without a word."""
    register = last_year(tmp_path, {"upn": U1, "stream": "PSX"}, {"upn": U2, "stream": "ssmn"})
    with pytest.raises(SenrunError) as caught:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert [(i.row, i.column, i.value) for i in caught.value.issues] == [(2, "stream", "PSX")]
    register = last_year(tmp_path, left(), {"upn": U2, "stream": "psf"})  # as a spreadsheet may have saved it
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    assert lines_of(r, U1) == [("A", 0, 0, "stopped_last_year")] and "not_in_register" not in codes(r)


def test_a_register_two_years_old_is_a_warning_that_a_child_stopped_since_would_be_paid_again__spec_11_4(tmp_path):
    # the register is of 2011-12 (its manifest beside it); this run is 2013-14
    register = last_year(tmp_path, {"upn": U1, "paid_from": "2011-04-01", "paid_to": "2012-03-31"})
    (register.parent / "manifest.json").write_text(json.dumps({"period": {"start": "2011-04-01",
                                                                          "end": "2012-03-31"}}))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    [stale] = [w for w in r.warnings if w.code == "register_stale"]
    assert "01/04/2011 – 31/03/2012" in stale.message and stale.file == "last/psf.csv"


def test_without_a_manifest_a_register_last_paid_more_than_a_year_ago_is_stale_too__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U1, "paid_from": "2011-04-01", "paid_to": "2012-03-31"})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert "register_stale" in codes(r)
    fresh = last_year(tmp_path, {"upn": U1})  # paid to 31/03/2013: last year
    assert "register_stale" not in codes(run_with(tmp_path, fresh, statements=[statement(U1, "2005-05-05")]))


def test_a_child_paid_last_year_whose_statement_is_now_dated_after_the_policy_is_a_warning__spec_11_3_11_4(tmp_path):
    # the council replaced the statement's row by the EHC plan's date: paid nothing, so say so
    register = last_year(tmp_path, {"upn": U1})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", statement_date="2014-01-10")])
    assert lines_of(r, U1) == [("A", 0, 0, "post_policy_statement")]
    [warning] = [w for w in r.warnings if w.code == "now_post_policy"]
    assert "£8,400.00" in warning.message and "ehc_transfer" in warning.message and warning.row == 2


def test_previous_and_register_from_another_year_than_last_are_warnings__spec_11_4(tmp_path):
    from senrun.config.loader import load_config
    from senrun.yearly.diff import previous_year_issues

    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")]))  # 2013-14
    for year, (start, end) in {"y1": ("2011-04-01", "2012-03-31"), "y2": ("2012-04-01", "2013-03-31")}.items():
        (tmp_path / year).mkdir()
        (tmp_path / year / "manifest.json").write_text(json.dumps({"period": {"start": start, "end": end}}))
    assert previous_year_issues(cfg, tmp_path / "y2", tmp_path / "y2") == []
    assert [i.code for i in previous_year_issues(cfg, tmp_path / "y1", tmp_path / "y2")] == [
        "previous_not_last_year", "previous_register_differ"]
    assert [i.code for i in previous_year_issues(cfg, tmp_path / "y2", tmp_path / "y1")] == ["previous_register_differ"]
    assert previous_year_issues(cfg, tmp_path / "nowhere.csv") == []  # no manifest: nothing to say


def test_the_nightly_validate_warns_of_a_previous_run_that_is_not_last_years_as_allocate_does__spec_8_11_4(tmp_path):
    from senrun.validate import run_validation

    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])  # 2013-14
    (tmp_path / "y1").mkdir()
    (tmp_path / "y1" / "manifest.json").write_text(json.dumps({"period": {"start": "2011-04-01", "end": "2012-03-31"}}))
    report = run_validation(config, previous=tmp_path / "y1")
    assert [i.code for i in report.issues if i.code.startswith("previous_")] == ["previous_not_last_year"]
    assert [i.code for i in run_validation(config).issues if i.code.startswith("previous_")] == []


def test_the_same_statement_given_a_second_issued_row_is_told_how_to_record_an_ehc_transfer__spec_8_11_3(tmp_path):
    with pytest.raises(SenrunError) as caught:
        run_with(tmp_path, None, statements=[statement(U1, "2005-05-05"),
                                             statement(U1, "2005-05-05", statement_date="2014-09-01")])
    [issue] = caught.value.errors
    assert issue.code == "duplicate" and "ehc_transfer" in issue.message and issue.row == 3


def test_the_run_off_under_a_register_is_the_chain_of_allocations_each_with_the_year_befores__faq_8_spec_11_4(tmp_path):
    """`simulate --years` with last year's register projects what the council's own runs will show, each
    year given the year before's output as its register: a child whose PSF stops is released once, in
    the year it stops, not again in every later year."""
    from senrun.yearly.projection import project
    from senrun.pipeline import read_inputs

    # primary ends in August 2013, August 2014 and (secondary) August 2015: one stop in each year
    statements = [statement(U1, "2001-11-14"), statement(U2, "2003-01-15"), statement("H801200005003", "1999-01-10")]
    register = last_year(tmp_path, {"upn": U1}, {"upn": U2}, {"upn": "H801200005003"})
    runner = CliRunner()
    previous, chain = register.parent, []
    for k, (start, end) in enumerate((("2013-04-01", "2014-03-31"), ("2014-04-01", "2015-03-31"),
                                      ("2015-04-01", "2016-03-31"))):
        folder = tmp_path / f"y{k}"
        folder.mkdir()
        config = write_run(folder, statements=statements, year=f"{start[:4]}-{end[2:4]}",
                           period={"start": start, "end": end})
        done = runner.invoke(app, ["allocate", "-c", str(config), "-o", str(folder / "out"), "--no-returns", "-q",
                                   "--register", str(previous)])
        assert done.exit_code == 0, done.output
        chain.append(json.loads((folder / "out" / "manifest.json").read_text())["totals"])
        previous = folder / "out"
    cfg = load_config(tmp_path / "y0" / "senrun.yaml")
    projected = project(read_inputs(cfg, register=register), cfg, 3)
    assert projected.height == len(chain) == 3
    for row, totals in zip(projected.iter_rows(named=True), chain):
        assert (row["continuing_psf"], row["released_psf"], row["cluster_pot"]) == (
            totals["continuing_psf"]["pence"], totals["released_psf"]["pence"], totals["cluster_pot"]["pence"])
    assert all(released > 0 for released in projected["released_psf"].to_list())  # a child stops each year


def test_a_scenario_moving_the_period_onto_the_registers_own_is_infeasible_as_allocate_would_stop__spec_11_4(
        tmp_path):
    from senrun.config.overlay import scenario_config
    from senrun.yearly.simulate import simulate

    register = last_year(tmp_path, {"upn": U1})  # last year's: 2012-13
    base = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")]))
    back = scenario_config(base, {"period": {"start": "2012-04-01", "end": "2013-03-31"}}, "back.yaml")
    [failed] = simulate(base, [("back", back)], register=register).infeasible
    assert failed.name == "back" and "not a year before this period" in failed.reason


def test_a_scenario_changing_policy_start_from_the_registers_run_is_infeasible_as_allocate_would_stop__spec_11_4(
        tmp_path):
    from senrun.config.overlay import scenario_config
    from senrun.yearly.simulate import simulate

    register = last_year(tmp_path, {"upn": U1})
    _as_senrun_wrote(register, 1)
    manifest = json.loads((register.parent / "manifest.json").read_text())
    (register.parent / "manifest.json").write_text(json.dumps({**manifest, "policy_start": "2012-09-01"}))
    base = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")]))
    moved = scenario_config(base, {"policy": {"start": "2011-09-01"}}, "moved.yaml")
    same = scenario_config(base, {"policy": {"start": "2012-09-01"}}, "same.yaml")
    run = simulate(base, [("moved", moved), ("same", same)], register=register)
    assert [(f.name, "the register's run had policy.start 01/09/2012" in f.reason) for f in run.infeasible] == [
        ("moved", True)]


def test_a_childs_school_change_is_listed_in_the_restricted_pupils_workbook_never_the_published_one__uk_gdpr(tmp_path):
    """school_changed is about one child (where they were paid last year and now): the Summary of the
    publishable allocations.xlsx counts it; only pupils.xlsx lists it."""
    import zipfile

    from senrun.outputs import write_outputs

    register = last_year(tmp_path, {"upn": U1, "paid_school_id": "B"})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", school="A")])
    [changed] = [w.hidden().message for w in r.warnings if w.code == "school_changed"]
    out = write_outputs(r, tmp_path / "out", returns=False)

    def text(name: str) -> str:
        with zipfile.ZipFile(out / name) as book:
            return b"".join(book.read(part) for part in book.namelist()).decode("utf-8", "replace")

    words = "was paid at school 'B'"  # (its UPN is shown in the restricted workbook)
    assert words in changed and words.replace("'", "&apos;") not in text("allocations.xlsx")
    assert words not in text("allocations.xlsx")
    assert words in text("pupils.xlsx") or words.replace("'", "&apos;") in text("pupils.xlsx")


def test_a_statement_paid_nothing_this_year_is_not_told_as_missing_from_the_register__spec_11_4(tmp_path):
    """not_in_register is for a child paid this year whom the register does not know (a register that lost
    rows pays a stopped child again); a statement issued under the cluster model is paid nothing: no word."""
    register = last_year(tmp_path, {"upn": U2})
    r = run_with(tmp_path, register, statements=[statement(U2, "2005-05-05"),
                                                 statement(U1, "2005-05-05", statement_date="2013-02-01")])
    assert lines_of(r, U1) == [("A", 0, 0, "post_policy_statement")]
    assert "not_in_register" not in codes(r)


def test_the_nightly_validate_refuses_a_previous_file_that_allocate_would_refuse__spec_5(tmp_path):
    """`validate --previous census.csv` passed (exit 0) where `allocate --previous` stops: a clean nightly check
    must mean the year's run can go."""
    from senrun.validate import run_validation

    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")],
                       census=[pupil(U1, "A", "2005-05-05")])
    [error] = run_validation(config, previous=tmp_path / "census.csv").errors
    with pytest.raises(SenrunError) as refused:
        allocate_cli_diff(config, tmp_path / "census.csv")
    assert (error.code, error.file, error.message) == (refused.value.errors[0].code, refused.value.errors[0].file,
                                                       refused.value.errors[0].message)
    assert "no column" in error.message


def allocate_cli_diff(config, previous):
    """What allocate does with --previous: the run, then its diff against last year's file."""
    from senrun.yearly.diff import diff_against

    return diff_against(allocate(load_config(config)), previous)


def test_previous_of_last_year_beside_its_psf_csv_but_no_register_is_a_warning_that_stops_can_be_paid_again__spec_11_4(
        tmp_path):
    from senrun.yearly.diff import previous_year_issues

    cfg = load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")]))  # 2013-14
    last = last_year(tmp_path, left()).parent  # last year's folder, with its psf.csv
    (last / "manifest.json").write_text(json.dumps({"period": {"start": "2012-04-01", "end": "2013-03-31"}}))
    [issue] = previous_year_issues(cfg, last)
    assert issue.code == "register_not_given" and issue.severity == "warning"
    assert f"--register {last} (" in issue.expected
    assert previous_year_issues(cfg, last, last) == []  # given: nothing to say
    (last / "psf.csv").unlink()  # a folder without one (only schools.csv kept): no register to give
    assert previous_year_issues(cfg, last) == []


def test_a_register_whose_own_run_had_no_register_after_the_first_year_is_a_warning__spec_11_4(tmp_path):
    register = last_year(tmp_path, {"upn": U1})

    def warned(period: tuple[str, str], manifest: dict) -> list[str]:
        (register.parent / "manifest.json").write_text(json.dumps(
            {"run_reference": "senrun-x", "period": {"start": period[0], "end": period[1]}, **manifest}))
        r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                     period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
        return [w.message for w in r.warnings if w.code == "register_without_register"]

    [message] = warned(("2013-04-01", "2014-03-31"), {})  # 2013-14, after policy.start (01/09/2012): should have had one
    assert "01/04/2013 – 31/03/2014" in message and "no --register of its own" in message
    assert warned(("2013-04-01", "2014-03-31"), {"register": {"path": "psf.csv"}}) == []
    assert warned(("2012-04-01", "2013-03-31"), {}) == []  # the policy's first year (from 01/09/2012): none before it
    assert warned(("2012-09-01", "2013-08-31"), {}) == []  # a year that starts on the policy's first day: the first
    # a manifest not written by senrun's allocate (no run reference), or none: nothing known of its register
    (register.parent / "manifest.json").write_text(json.dumps({"period": {"start": "2013-04-01", "end": "2014-03-31"}}))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    assert "register_without_register" not in codes(r)
    (register.parent / "manifest.json").unlink()
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    assert "register_without_register" not in codes(r)


def test_a_first_year_register_written_by_an_earlier_release_is_said_to_follow_that_releases_rules__spec_11_7(
        tmp_path):
    """A council upgrading after the policy's first year: that year's psf.csv, written before senrun took a
    register, held stops made under rules corrected since (a census dated before the policy start read as a move
    check: 13 lines of a sample stopped that this release keeps paying), and the year after held them all with
    no word but `resurrected`, which called the stops right."""
    register = last_year(tmp_path, {"upn": U1})
    earlier = {"senrun_version": "0.1.0", "year": "2012-13", "period": {"start": "2012-04-01", "end": "2013-03-31"},
               "totals": {}, "files": {}}
    (register.parent / "manifest.json").write_text(json.dumps(earlier))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], policy={"start": "2012-09-01"})
    [said] = [w for w in r.warnings if w.code == "register_earlier_release"]
    assert said.message.startswith("the register is the psf.csv of a run (01/04/2012 – 31/03/2013) written by an "
                                   "earlier release of senrun, before it took a register: its stops follow that "
                                   "release's rules")
    assert said.file == "last/psf.csv" and "register_without_register" not in codes(r)
    recorded = {**earlier, "register": {"path": "x", "sha256": "0" * 64}}  # a release that took one, no reference
    (register.parent / "manifest.json").write_text(json.dumps(recorded))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], policy={"start": "2012-09-01"})
    assert not {"register_earlier_release", "register_without_register"} & set(codes(r))


def test_a_register_whose_run_recorded_a_register_of_its_own_is_not_said_to_have_had_none__spec_11_4(tmp_path):
    """A release that took a register before it wrote a run reference records the register it was given: its
    psf.csv had been called that of "an earlier release of senrun, which took no --register"."""
    register = last_year(tmp_path, {"upn": U1})
    manifest = {"senrun_version": "0.2.0", "period": {"start": "2013-04-01", "end": "2014-03-31"}, "totals": {},
                "files": {}, "register": {"path": "2012-13/psf.csv", "sha256": "0" * 64}}
    (register.parent / "manifest.json").write_text(json.dumps(manifest))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    assert "register_without_register" not in codes(r)
    del manifest["register"]  # the same release given no register: said, as before
    (register.parent / "manifest.json").write_text(json.dumps(manifest))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    assert "register_without_register" in codes(r)


def test_a_register_written_by_an_earlier_release_of_senrun_is_one_whose_run_had_no_register__spec_11_4(tmp_path):
    """A council upgrading gives last year's folder, written by the release before senrun took a register: its
    manifest (senrun's version, totals and files, no run reference) had been read as not senrun's, so nothing
    was said, though no stop of the years before it is in that psf.csv."""
    register = last_year(tmp_path, {"upn": U1})
    earlier = {"senrun_version": "0.1.0", "year": "2013-14", "period": {"start": "2013-04-01", "end": "2014-03-31"},
               "totals": {"continuing_psf": {"pence": 840000, "pounds": "8400.00"}},
               "files": {"psf.csv": {"sha256": "0" * 64, "bytes": 1}}}
    (register.parent / "manifest.json").write_text(json.dumps(earlier))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    [message] = [w.message for w in r.warnings if w.code == "register_without_register"]
    assert "(01/04/2013 – 31/03/2014) written by an earlier release of senrun, which took no --register" in message
    assert "run the years before it again with this release, in order from the policy's first year" in message
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]  # said, not stopped
    del earlier["totals"]  # not senrun's manifest after all: nothing known of its register, nothing said
    (register.parent / "manifest.json").write_text(json.dumps(earlier))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2014-04-01", "end": "2015-03-31"}, year="2014-15")
    assert "register_without_register" not in codes(r)


def test_a_return_lists_the_children_paid_there_last_year_and_not_this_year_and_why__faq_3_spec_11_4(tmp_path):
    """A school whose return had fewer children than last year's was not told which went, or why: only the
    restricted pupils.xlsx said so."""
    register = last_year(tmp_path, {"upn": U1}, {"upn": U2, "paid_amount": "700.00"})
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-06-06")],
                       census=[pupil(U1, "A", "2005-05-05"), pupil("H801200005009", "A", "2005-01-01")])
    ran = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--register",
                                   str(register), "--jobs", "1", "--quiet"])
    assert ran.exit_code == 0, ran.output
    sheet = openpyxl.load_workbook(tmp_path / "out" / "returns" / "A.xlsx").active
    rows = [tuple(c.value for c in r) for r in sheet.iter_rows()]
    at = next(i for i, r in enumerate(rows) if str(r[0]).endswith(". Paid PSF here last year, not this year"))
    assert [(r[0], r[1], r[6], r[8]) for r in rows[at + 2:at + 3]] == [
        (U2, "PSF", 700, "not_in_census: not found in the census")]
    assert rows[at + 3][0] is None or not str(rows[at + 3][0]).startswith("E8")  # U1 is still paid: not listed
    assert U1 in [r[0] for r in rows[at + 3:]]  # in the children's section, the last


def returns_with_register(config, register, out):
    """`allocate` with last year's register, its returns written in this process; the output folder."""
    ran = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(out), "--register", str(register),
                                   "--jobs", "1", "--quiet"])
    assert ran.exit_code == 0, ran.output
    return out


def return_rows(out, school: str) -> list[tuple]:
    return [tuple(c.value for c in r) for r in openpyxl.load_workbook(out / "returns" / f"{school}.xlsx").active
            .iter_rows()]


def stopped_listed(out, school: str, upns: tuple, columns: tuple = (0, 6)) -> list[tuple]:
    """The `columns` of a return's rows under "Paid PSF here last year, not this year" for the children `upns`."""
    rows = return_rows(out, school)
    at = [i for i, r in enumerate(rows) if str(r[0]).endswith(". Paid PSF here last year, not this year")]
    if not at:
        return []
    end = next(i for i, r in enumerate(rows) if r[0] == "Total paid here last year for these children")
    return [tuple(r[c] for c in columns) for r in rows[at[0] + 2:end] if r[0] in upns]


def test_a_child_paid_at_two_schools_last_year_is_listed_at_each_with_what_was_paid_there__spec_11_4(tmp_path):
    """A child moved by managed move last year had been listed at the last school alone, with the whole year's
    PSF as "paid here last year"."""
    register = last_year(tmp_path, {"upn": U2, "paid_amount": "800.00", "paid_to": "2012-11-30",
                                    "reason": "continuing"},
                         {"upn": U2, "paid_school_id": "B", "paid_from": "2012-12-01", "paid_amount": "400.00"})
    config = write_run(tmp_path, statements=[statement(U2, "2005-06-06")],
                       census=[pupil("H801200005009", "A", "2005-01-01")])
    out = returns_with_register(config, register, tmp_path / "out")
    assert stopped_listed(out, "A", (U2,)) == [(U2, 800)] and stopped_listed(out, "B", (U2,)) == [(U2, 400)]


def test_a_return_lists_a_child_paid_there_last_year_who_is_paid_at_another_school_this_year__faq_7_spec_11_4(
        tmp_path):
    """A child who left by managed move during last year was paid at the school they left for part of it: that
    school's PSF falls by that amount this year, and its return's list of the children paid there last year and
    not this year had left the child out (it listed only children paid nowhere this year), so the fall could not
    be reconciled.  The school the child is paid at now lists nothing."""
    register = last_year(tmp_path, {"upn": U2, "paid_amount": "800.00", "paid_to": "2012-11-30",
                                    "reason": "continuing"},
                         {"upn": U2, "paid_school_id": "B", "paid_from": "2012-12-01", "paid_amount": "400.00"})
    (tmp_path / "moved").mkdir()  # and a child paid at A alone last year whose statement now names B
    moved = last_year(tmp_path / "moved", {"upn": U1})
    with register.open("a") as fh:
        fh.write(moved.read_text().splitlines()[1] + "\n")
    config = write_run(tmp_path, statements=[statement(U2, "2005-06-06", school="B"),
                                             statement(U1, "2005-05-05", school="B")],
                       census=[pupil(U2, "B", "2005-06-06"), pupil(U1, "B", "2005-05-05")])
    out = returns_with_register(config, register, tmp_path / "out")
    elsewhere = "paid at another school this year (a managed move, or the statement names another school)"
    assert stopped_listed(out, "A", (U1, U2), (0, 6, 8)) == [(U1, 8400, elsewhere), (U2, 800, elsewhere)]
    assert stopped_listed(out, "B", (U1, U2)) == []
    [total] = [r for r in return_rows(out, "A") if r[0] == "Total paid here last year for these children"]
    assert total[6] == 9200  # the school's fall in PSF from these children, against last year's return


def test_a_child_paid_last_year_at_a_school_and_the_academy_it_became_is_listed_once_with_the_sum__spec_11_1_11_4(
        tmp_path):
    """X became A on 1 September last year: a child paid at both last year was listed twice on A's return, each
    row with part of the year, in no fixed order."""
    from senrun.outputs.returns import PAID_ELSEWHERE, stopped_here

    register = last_year(tmp_path, *[line for upn in (U1, U2) for line in (
        {"upn": upn, "psf_school_id": "X", "paid_school_id": "X", "paid_to": "2012-08-31", "paid_amount": "3500.00"},
        {"upn": upn, "paid_from": "2012-09-01", "paid_amount": "4900.00"})])
    schools = [dict(s, successor_id="", closed="") for s in SCHOOLS] + [
        {"school_id": "X", "school_name": "Old X", "cluster_id": "C1", "ssa": "0", "pupils": "0",
         "closed": "2012-08-31", "successor_id": "A"}]
    r = run_with(tmp_path, register, schools=schools,
                 statements=[statement(U1, "2005-05-05", ceased="2013-03-01"), statement(U2, "2005-05-05", school="B")],
                 census=[pupil(U1, "A", "2005-05-05"), pupil(U2, "B", "2005-05-05")])
    listed = stopped_here(r, set(r.schools.get_column("school_id").to_list()))
    assert [(upn, paid, why == PAID_ELSEWHERE) for upn, _, paid, why in listed["A"]] == [
        (U1, 840000, False), (U2, 840000, True)]


@pytest.mark.parametrize("code", ["register_stale", "register_changed", "register_without_register",
                                  "register_doubtful"])
def test_a_register_written_by_a_run_warned_of_its_own_register_is_doubtful_the_year_after__spec_11_4(tmp_path, code):
    """A year run with a stale register (or an edited one) was warned; the next year, given that run's psf.csv,
    had said nothing, though a child stopped two years ago could be carried in it as continuing and paid."""
    import json as json_

    register = last_year(tmp_path, {"upn": U1})
    manifest = {"run_reference": "abc", "period": {"start": "2012-04-01", "end": "2013-03-31"}, "register": {},
                "warnings": {"by_code": {code: 1, "taught_year": 3}, "count": 4}}
    (register.parent / "manifest.json").write_text(json_.dumps(manifest))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    [doubt] = [w for w in r.warnings if w.code == "register_doubtful"]
    assert f"({code} ×1, in its manifest.json)" in doubt.message and doubt.file == "last/psf.csv"
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]  # said, not stopped
    manifest["warnings"]["by_code"] = {"taught_year": 3}
    (register.parent / "manifest.json").write_text(json_.dumps(manifest))
    assert "register_doubtful" not in codes(run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")]))


def test_a_warning_about_the_register_or_last_years_file_is_listed_in_full_on_the_publishable_summary(tmp_path):
    """Such warnings name files, not children: they had been counted on the Summary as "about children: see
    pupils.xlsx (restricted)", so a Schools Forum reader of allocations.xlsx could not see what was doubted."""
    import io
    import json as json_

    from senrun.outputs import common
    from senrun.outputs.workbook import workbook_bytes

    register = last_year(tmp_path, {"upn": U1})
    (register.parent / "manifest.json").write_text(json_.dumps(
        {"run_reference": "abc", "period": {"start": "2012-04-01", "end": "2013-03-31"}, "register": {},
         "warnings": {"by_code": {"register_stale": 1}, "count": 1}}))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    [doubt] = [w for w in r.warnings if w.code == "register_doubtful"]
    summary = openpyxl.load_workbook(io.BytesIO(workbook_bytes(r)))["Summary"]
    rows = [tuple(c.value for c in row) for row in summary.iter_rows()]
    at = [row[0] for row in rows].index("Warnings about schools and settings")
    counted = [row[2] for row in rows[:at] if row[0] == common.warning_words("register_doubtful")]
    assert counted == ["listed below"]
    listed = rows[at + 1:]
    assert any(doubt.message in (row[2] or "") for row in listed)
    assert not any(U1 in str(cell) for row in rows for cell in row if cell is not None)
    for code in ("register_not_given", "register_without_register", "register_doubtful", "previous_other_schools"):
        assert common.warning_is_public(code), code


def test_allocate_without_a_register_in_a_later_year_says_so_on_the_terminal_unless_quiet__spec_11_4(tmp_path):
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])  # 2013-14, the policy from 2012
    loud = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"])
    assert loud.exit_code == 0, loud.output
    assert "Note: no --register was given, in a year after the policy began (01/09/2012)" in " ".join(
        loud.output.split())
    quiet = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns", "-q"])
    assert quiet.exit_code == 0 and "--register" not in quiet.output
    (tmp_path / "last").mkdir()
    last = write_run(tmp_path / "last", statements=[statement(U1, "2005-05-05")], year="2012-13",
                     period={"start": "2012-04-01", "end": "2013-03-31"}, census_date="2012-01-19")
    made = CliRunner().invoke(app, ["allocate", "-c", str(last), "-o", str(tmp_path / "last" / "out"), "--no-returns"])
    assert made.exit_code == 0, made.output
    compared = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "again"), "--no-returns",
                                        "--previous", str(tmp_path / "last" / "out")])
    assert compared.exit_code == 0 and "register_not_given" in compared.output
    assert "Note: no --register" not in compared.output  # (register_not_given says it)
    (tmp_path / "first").mkdir()
    first = write_run(tmp_path / "first", statements=[statement(U1, "2005-05-05")],
                      policy={"start": "2013-04-01"})  # the policy's first year: nothing to remember
    said = CliRunner().invoke(app, ["allocate", "-c", str(first), "-o", str(tmp_path / "first" / "out"), "--no-returns"])
    assert said.exit_code == 0 and "Note: no --register" not in said.output


def test_a_first_senrun_year_compared_with_the_councils_own_spreadsheet_still_says_no_register_was_given__spec_11_4(
        tmp_path):
    """A council adopting senrun part-way through the seven years gives last year's figures from its own
    spreadsheet as --previous (docs/your-data.md): there is no psf.csv beside it, so `register_not_given`
    cannot say it, and the note had been left out because --previous was given: PSF stopped in an earlier
    year was paid again with no word."""
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])  # 2013-14, the policy from 2012
    own = write_csv(tmp_path / "last year.csv", [{"school_id": s["school_id"], "cluster_id": s["cluster_id"],
                                                   "total": "1000.00"} for s in SCHOOLS])
    run = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns",
                                   "--previous", str(own)])
    assert run.exit_code == 0, run.output
    assert "register_not_given" not in run.output
    assert "Note: no --register was given, in a year after the policy began (01/09/2012)" in " ".join(
        run.output.split())


def test_the_no_register_note_does_not_tell_a_council_starting_part_way_that_nothing_is_wrong__spec_11_4(tmp_path):
    """"nothing is wrong if this is senrun's first year under the policy" was true of 2012-13 only: a council whose
    first senrun year is a later one has PSF its own records stopped (a child missing from an earlier census and
    back) paid again unless its inputs carry the stop, and no page said how."""
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])  # 2013-14, the policy from 2012
    run = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(tmp_path / "out"), "--no-returns"])
    said = " ".join(run.output.split())
    assert run.exit_code == 0 and "its inputs carry every stop made before it (docs/your-data.md)" in said
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "your-data.md").read_text(encoding="utf-8")
    assert "**A first year after 2012-13.**" in page and "`ceased_date`" in page


def test_a_reinstatement_that_lifts_nothing_says_why_the_child_was_not_stopped__spec_11_4(tmp_path):
    """"did not stop last year" had been said alike of a child not in the register at all, of a stream the child
    has no history of (a PSF stop named as SSMN), and of a history that was continuing."""
    register = last_year(tmp_path, left(), {"upn": U2})  # U1's PSF stopped; U2's continued
    reinstate = [{"upn": U1, "stream": "SSMN", "reason": "r"}, {"upn": U2, "stream": "PSF", "reason": "r"},
                 {"upn": "H801200005003", "stream": "PSF", "reason": "r"}]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")],
                 reinstate=reinstate)
    said = [w.message for w in r.warnings if w.code == "reinstate_unused"]
    assert said == [
        f"reinstate: {U1} / SSMN has no SSMN history in the register, only PSF (stopped): name the stream that "
        "stopped: nothing to reinstate",
        f"reinstate: {U2} / PSF did not stop last year in the register (it was continuing): nothing to reinstate",
        "reinstate: H801200005003 / PSF is not in the register (last year's psf.csv has no line for this child): "
        "nothing to reinstate"]


def test_a_register_written_under_another_policy_start_stops_the_run_at_the_configs_policy_start__faq_3_spec_11_4(
        tmp_path):
    """policy.start changed by mistake in a later year had judged every child's protection on another day: eight
    continuing children stopped (three as phase ends with no word), and the first error named a moves row."""
    register = last_year(tmp_path, {"upn": U1})
    _as_senrun_wrote(register, 1)
    manifest = json.loads((register.parent / "manifest.json").read_text())
    (register.parent / "manifest.json").write_text(json.dumps({**manifest, "policy_start": "2012-09-01"}))
    assert lines_of(run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")]), U1)[0][3] == "continuing"
    with pytest.raises(SenrunError) as e:
        run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], policy={"start": "2011-09-01"})
    [told] = e.value.issues
    assert (told.code, told.file, told.column) == ("register_policy", "senrun.yaml", "policy.start")
    config = (tmp_path / "senrun.yaml").read_text().splitlines()
    assert config[told.row - 1].strip().startswith(("policy:", "start:")), "the config's line of policy.start"
    assert "the register's run had policy.start 01/09/2012, this config has 01/09/2011" in told.message


def test_the_manifest_records_the_policy_start_the_run_was_made_under__spec_11_4(tmp_path):
    from senrun.outputs.manifest import manifest_bytes

    r = run_with(tmp_path, None, statements=[statement(U1, "2005-05-05")], policy={"start": "2012-10-15"})
    assert json.loads(manifest_bytes(r, {}, {}))["policy_start"] == "2012-10-15"


def test_days_between_the_registers_period_and_this_one_are_a_warning_that_no_run_pays_them__spec_11_4(tmp_path):
    """A period moved to the academic year with no run for April to August had been accepted without a word:
    every continuing child went unpaid for those months."""
    register = last_year(tmp_path, {"upn": U1})
    _as_senrun_wrote(register, 1)
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")],
                 period={"start": "2013-09-01", "end": "2014-08-31"})
    [gap] = [w for w in r.warnings if w.code == "register_gap"]
    assert gap.file == "last/psf.csv" and "PSF for 01/04/2013 – 31/08/2013 is paid by no run" in gap.message
    follows = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")])
    assert "register_gap" not in codes(follows) and "register_stale" not in codes(follows)
    # a psf.csv on its own, every child stopped before the end: its last payment is not its period's end
    ended = last_year(tmp_path, {"upn": U1, "paid_to": "2012-10-31", "paid_amount": "4900.00", "reason": "phase_end"})
    (ended.parent / "manifest.json").unlink()
    assert "register_gap" not in codes(run_with(tmp_path, ended, statements=[statement(U1, "2005-05-05")]))


def test_a_child_paid_last_year_whom_this_years_inputs_stop_on_a_day_last_year_paid_is_a_warning__faq_3_spec_11_4(
        tmp_path):
    """A ceasing recorded late (or a rule changed in the config) stops a history on a day last year's run paid
    it as continuing: nothing had been said but a line of the Reconciliation sheet."""
    register = last_year(tmp_path, {"upn": U1}, {"upn": U2})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", ceased="2012-12-01"),
                                                 statement(U2, "2005-05-05", ceased="2013-06-01")])
    assert lines_of(r, U1) == [("A", 0, 840000, "ceased")]  # its entitlement released, as §3 reads (decisions 90)
    [told] = [w for w in r.warnings if w.code == "stopped_within_last_year"]
    assert (told.file, told.row, told.column) == ("statements.csv", 2, "upn")
    assert "was paid to 31/03/2013 by last year's run, continuing, but this year's inputs stop it on 01/12/2012 " \
           "(ceased)" in told.message


def test_a_ceasing_on_the_last_day_last_year_paid_is_a_day_last_year_paid__faq_3_spec_11_4(tmp_path):
    """Last year's run paid to 31 March 2013, continuing; a ceasing now recorded on 31 March 2013 stops the
    history on that very day, which last year paid: said, as a ceasing earlier in that year is."""
    register = last_year(tmp_path, {"upn": U1})
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05", ceased="2013-03-31")])
    assert lines_of(r, U1) == [("A", 0, 840000, "ceased")]
    [told] = [w for w in r.warnings if w.code == "stopped_within_last_year"]
    assert "was paid to 31/03/2013 by last year's run, continuing, but this year's inputs stop it on 31/03/2013 " \
           "(ceased)" in told.message


def test_a_statement_too_late_in_a_year_before_the_policy_for_a_paid_month_is_read_back_as_senrun_wrote_it__spec_11_4(
        tmp_path):
    """senrun writes such a history continuing, paid nothing and releasing nothing: the next year had refused
    last year's psf.csv as a stop changed by hand."""
    from senrun.outputs.csvs import psf_table

    late = [statement(U1, "2005-05-05"), statement(U2, "2005-05-05", statement_date="2013-03-15")]
    first = allocate(load_config(write_run(tmp_path, statements=late, policy={"start": "2013-09-01"}, year="2012-13",
                                           period={"start": "2012-04-01", "end": "2013-03-31"},
                                           census_date="2012-01-19")))
    (tmp_path / "last").mkdir()
    psf_table(first.psf).write_csv(tmp_path / "last" / "psf.csv")
    assert lines_of(first, U2) == [("A", 0, 0, "continuing")]
    r = run_with(tmp_path, tmp_path / "last" / "psf.csv", statements=late, policy={"start": "2013-09-01"})
    assert [line[3] for line in lines_of(r, U2)] == ["continuing"]


def test_a_child_named_twice_under_reinstate_is_told_at_the_second_entry_and_paid_once__spec_11_4(tmp_path):
    """Two entries for one child and stream (one copied down by mistake) were taken in silence: the Summary and
    manifest.json counted two reinstatements of one child. The child is paid once, as before; the second entry
    is a warning at its own line, naming the first."""
    register = last_year(tmp_path, left())
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "left out of the census in error"},
                 {"upn": U1.lower(), "stream": "PSF", "reason": "r"}, {"upn": U1, "stream": "SSMN", "reason": "r"}]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05")], reinstate=reinstate)
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]
    config = (tmp_path / "senrun.yaml").read_text().splitlines()
    [twice] = [w for w in r.warnings if w.code == "reinstate_twice"]
    first = load_config(tmp_path / "senrun.yaml").lines["reinstate[0]"]
    assert (twice.file, twice.column) == ("senrun.yaml", "reinstate") and twice.row > first
    assert U1.lower() in config[twice.row - 1] and f"named again (first at line {first})" in twice.message
    # (the SSMN entry is another stream: not a second entry, but one with nothing to reinstate)
    assert [w.row for w in r.warnings if w.code == "reinstate_unused"] == [load_config(tmp_path / "senrun.yaml")
                                                                          .lines["reinstate[2]"]]


def test_a_reinstatement_that_lifts_nothing_is_told_at_its_own_line_of_the_config__spec_8_11_4(tmp_path):
    """reinstate_unused named the config but no line, unlike the config's other warnings and errors."""
    register = last_year(tmp_path, left(), {"upn": U2})
    reinstate = [{"upn": U1, "stream": "PSF", "reason": "r"}, {"upn": U2, "stream": "PSF", "reason": "r"}]
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")],
                 reinstate=reinstate)
    config = (tmp_path / "senrun.yaml").read_text().splitlines()
    [told] = [w for w in r.warnings if w.code == "reinstate_unused"]
    assert (told.file, told.column) == ("senrun.yaml", "reinstate") and U2 in config[told.row - 1], told.row
    alone = allocate(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")], reinstate=reinstate)))
    [told] = [w for w in alone.warnings if w.code == "reinstate_unused"]  # no --register: at reinstate: itself
    assert (told.file, told.column, told.row) == ("senrun.yaml", "reinstate",
                                                   load_config(tmp_path / "senrun.yaml").lines["reinstate"])


def test_a_child_held_stopped_for_an_earlier_years_stop_is_told_so_not_as_stopped_last_year_by_stopped_last_year__faq_3(
        tmp_path):
    """From the third year on, a child stopped two years ago had been told "PSF stopped last year
    (stopped_last_year, paid nothing last year)": a reason that names no stop."""
    register = last_year(tmp_path, {**left(U1, "stopped_last_year"), "released_amount": "0.00"},
                         left(U2, "casual_move"))
    r = run_with(tmp_path, register, statements=[statement(U1, "2005-05-05"), statement(U2, "2005-05-05")])
    said = sorted(w.message for w in r.warnings if w.code == "resurrected")
    assert said == [
        f"{U1} / PSF: PSF stopped in an earlier year and was held stopped last year; this year's inputs would pay "
        "£8,400.00, but it stays stopped (name the child under reinstate: in the config to pay it)",
        f"{U2} / PSF: PSF stopped last year (casual_move, paid nothing last year); this year's inputs would pay "
        "£8,400.00, but it stays stopped (name the child under reinstate: in the config to pay it)"]


def test_a_register_given_as_last_years_schools_csv_is_told_of_the_psf_csv_beside_it__spec_11_4(tmp_path):
    """`--register last/schools.csv` had been told only "is not a psf.csv written by senrun: no column upn, …"."""
    from senrun.register import read_register

    psf = last_year(tmp_path, {"upn": U1})
    schools = psf.parent / "schools.csv"
    schools.write_text("school_id,school_name,cluster_id,total\nA,Ashford Primary,C1,8400.00\n")
    with pytest.raises(SenrunError) as refused:
        read_register(schools)
    [told] = refused.value.issues
    assert told.code == "register" and told.message.endswith(": the psf.csv beside it is; give that, or the folder "
                                                             "last/")
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "schools.csv").write_text(schools.read_text())
    with pytest.raises(SenrunError) as refused:
        read_register(alone / "schools.csv")
    assert "beside it" not in refused.value.issues[0].message


def test_a_history_stopped_last_year_shows_the_rate_in_force_at_the_periods_start_not_a_later_amendments__spec_11_3(
        tmp_path):
    # Issued at £8,400 a year; amended to £6,000 from 30 April 2013, within this year (2013-14).  Held stopped,
    # the line is paid nothing and shows the rate in force on 1 April 2013, the later of the period start and
    # the statement date (decisions: a line paid nothing), as the Released sheet does: £8,400, not £6,000.
    register = last_year(tmp_path, left())
    header = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
              "effective_date", "event"]
    path = write_run(tmp_path, statements=[])
    write_csv(tmp_path / "statements.csv", [
        {**statement(U1, "2005-05-05"), "effective_date": "", "event": "issued"},
        {**statement(U1, "2005-05-05", annual="6000.00"), "effective_date": "2013-04-30", "event": "amended"}], header)
    r = allocate(load_config(path), register=register)
    assert r.psf.filter(pl.col("upn") == U1).select("annual_amount", "paid_amount", "reason").rows() == \
        [(840000, 0, "stopped_last_year")]


def test_a_history_held_stopped_shows_its_first_rows_rate_whatever_the_order_of_the_statements_rows__spec_11_4_11_11(
        tmp_path):
    """A stopped (upn, stream) is one line, paid 0: its history's first row in effective-date order, not the
    row the file lists first. A file listing the reissue above the first statement had shown the reissue's
    rate on the held line, and placed it by the reissue's row."""
    register = last_year(tmp_path, left(reason="ceased"), {**left(reason="not_in_census"), "annual_amount": "6000.00"})
    ceased = {**statement(U1, "2005-05-05", statement_date="2009-01-01", ceased="2011-06-01"), "event": "issued",
              "effective_date": ""}
    reissued = {**statement(U1, "2005-05-05", annual="6000.00", statement_date="2012-01-01"), "event": "reissued",
                "effective_date": "2012-01-01"}
    held = []
    for rows in ([ceased, reissued], [reissued, ceased]):
        path = write_run(tmp_path, statements=[])
        write_csv(tmp_path / "statements.csv", rows, list(ceased))
        psf = allocate(load_config(path), register=register).psf
        held.append(psf.filter(pl.col("upn") == U1).select("annual_amount", "paid_amount", "reason").rows())
    assert held[0] == held[1] == [(840000, 0, "stopped_last_year")]


def test_a_register_in_a_years_out_folder_is_named_with_its_year_not_as_every_years_out_psf_csv__spec_11_4(tmp_path):
    # docs/seven-years.md keeps each year's run in 2013-14/out/: every register warning had named "out/psf.csv",
    # which does not say which year's file to open.
    from senrun.register import register_label

    assert register_label(tmp_path / "2013-14" / "out" / "psf.csv") == "2013-14/out/psf.csv"
    assert register_label(tmp_path / "chain" / "2013-14" / "psf.csv") == "2013-14/psf.csv"
    assert register_label(tmp_path / "runs" / "last" / "psf.csv") == "last/psf.csv"
