"""A child's statement history (SPEC §11.3, §11.11), as scenarios named as sentences citing the FAQ.

Each test writes real input files (a statements file with `effective_date` and `event`) and
runs the library's `allocate` on them.  Amounts are integer pence.  The default period is the
financial year 2013-04-01 – 2014-03-31 by months, the policy starting on 2012-09-01.
"""

from __future__ import annotations

import polars as pl
import pytest

from senrun.accept import child_of

from builders import lines_of, write_csv, write_run
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate

U1, U2 = "B801200005001", "E801200005002"
HEADER = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
          "effective_date", "event"]
YEAR_2014 = {"year": "2014-15", "period": {"start": "2014-04-01", "end": "2015-03-31"}, "census_date": "2014-01-16"}


def row(event: str = "issued", effective: str = "", annual: str = "1200.00", statement_date: str = "2010-01-01",
        upn: str = U1, dob: str = "2005-05-05", school: str = "A", stream: str = "PSF", ceased: str = "") -> dict:
    return {"upn": upn, "date_of_birth": dob, "statement_date": statement_date, "school_id": school,
            "annual_amount": annual, "stream": stream, "ceased_date": ceased, "effective_date": effective,
            "event": event}


def history_run(folder, rows: list[dict], **overrides):
    """A run whose statements file carries the history columns."""
    path = write_run(folder, statements=[], **overrides)
    write_csv(folder / "statements.csv", rows, HEADER)
    return allocate(load_config(path))


def messages(excinfo) -> str:
    return "\n".join(str(i) for i in excinfo.value.errors)


def test_a_statement_transferred_to_an_ehc_plan_in_2014_keeps_the_childs_protection__faq_3(tmp_path):
    rows = [row(annual="8400.00"), row("ehc_transfer", "2014-09-01", annual="", statement_date="2014-09-01")]
    r = history_run(tmp_path, rows, **YEAR_2014)
    assert lines_of(r, U1) == [("A", 840000, 0, "continuing")]


def test_the_same_ehc_plan_recorded_as_a_new_statement_is_a_post_policy_statement_paid_nothing__faq_3_7(tmp_path):
    r = history_run(tmp_path, [row(annual="8400.00", statement_date="2014-09-01")], **YEAR_2014)
    assert lines_of(r, U1) == [("A", 0, 0, "post_policy_statement")]


def test_an_ehc_transfer_with_a_new_amount_pays_the_new_rate_from_its_date__faq_3(tmp_path):
    rows = [row(annual="1200.00"), row("ehc_transfer", "2014-09-01", annual="2400.00", statement_date="2014-09-01")]
    r = history_run(tmp_path, rows, **YEAR_2014)
    # April–August at £1,200 a year (5 × 10,000p), September–March at £2,400 (7 × 20,000p)
    assert lines_of(r, U1) == [("A", 190000, 0, "continuing")]
    assert r.psf["annual_amount"].to_list() == [240000]  # the rate at the line's last paid month


def test_a_return_says_the_rates_a_line_was_paid_at_where_its_statement_changed_amount__spec_11_3(tmp_path):
    """A school was shown the annual PSF at the last rate (£6,018.04) beside three times as much paid, with no
    word of the earlier rate; an amendment that kept the amount is not worded."""
    from senrun.outputs.returns import children_columns

    U2, U3, U4 = "E801200005002", "H801200005003", "K801200005004"
    rows = [row(annual="1200.00"), row("ehc_transfer", "2014-09-01", annual="2400.00", statement_date="2014-09-01"),
            row(upn=U2, annual="600.00"), row("amended", "2014-10-15", upn=U2, annual="600.00"),
            # by months, March is paid at the rate in force on 1 March: the amount of 15 March is never paid
            row(upn=U3, annual="600.00"), row("amended", "2015-03-15", upn=U3, annual="900.00"),
            # two amendments in October: November is the first month at a new rate, the last of them
            row(upn=U4, annual="1200.00"), row("amended", "2014-10-05", upn=U4, annual="20000.00"),
            row("amended", "2014-10-20", upn=U4, annual="15000.00")]
    r = history_run(tmp_path, rows, **YEAR_2014)
    why = dict(children_columns(r, r.schools["school_id"]).select("upn", "why").iter_rows())
    assert why[U1].endswith("; paid at £1,200.00 a year, then £2,400.00 a year from 01/09/2014 (a month is paid at "
                            "the rate in force on its first day)")
    assert "paid at" not in why[U2] and "paid at" not in why[U3]
    assert why[U4].endswith("; paid at £1,200.00 a year, then £15,000.00 a year from 01/11/2014 (a month is paid at "
                            "the rate in force on its first day)")
    assert lines_of(r, U4) == [("A", (120000 * 7 + 1500000 * 5 + 6) // 12, 0, "continuing")]


def test_explain_gives_a_line_whose_ehc_transfer_kept_the_amount_as_one_rate_not_itemised__spec_11_3(tmp_path):
    """An EHC transfer at the same amount changes no rate: explain had itemised the line as (£1,200.00 × 5 +
    £1,200.00 × 7) ÷ 12 and called £1,200.00 "the last rate"; a line over two rates is still itemised."""
    from senrun.yearly.explain import explain_school

    rows = [row(annual="1200.00"), row("ehc_transfer", "2014-09-01", annual="1200.00", statement_date="2014-09-01"),
            row(upn=U2, annual="1200.00"), row("ehc_transfer", "2014-09-01", upn=U2, annual="2400.00",
                                                 statement_date="2014-09-01")]
    r = history_run(tmp_path, rows, **YEAR_2014)
    text = {c["upn"]: c["text"] for c in explain_school(r, "A")["psf"]["children"]}
    assert text[U1].endswith(": annual £1,200.00, paid 12 month(s) (01/04/2014 – 31/03/2015) = £1,200.00; continuing")
    assert ("annual £2,400.00 (the last rate), paid 12 month(s) (01/04/2014 – 31/03/2015) = (£1,200.00 × 5 + "
            "£2,400.00 × 7) ÷ 12, rounded once = £1,900.00; continuing") in text[U2]


def test_a_line_over_two_rates_is_summed_exactly_and_rounded_once__spec_11_3(tmp_path):
    rows = [row(annual="100.01"), row("amended", "2013-10-01", annual="100.03")]
    r = history_run(tmp_path, rows)
    # 6 × 10,001p + 6 × 10,003p = 120,024p ÷ 12 = 10,002p exactly; rounding each part (5,000.5p and
    # 5,001.5p) would give 10,003p
    assert lines_of(r, U1) == [("A", 10002, 0, "continuing")]


def test_an_amendment_dated_mid_month_changes_the_rate_from_the_next_month__spec_11_11(tmp_path):
    rows = [row(annual="1200.00"), row("amended", "2013-10-15", annual="2400.00")]
    r = history_run(tmp_path, rows)
    # October is paid at the rate in force on 1 October: April–October 7 × 10,000p, November–March 5 × 20,000p
    assert lines_of(r, U1) == [("A", 170000, 0, "continuing")]


def test_an_amendment_with_a_blank_amount_keeps_the_rate(tmp_path):
    rows = [row(annual="1200.00"), row("amended", "2013-10-01", annual="")]
    assert lines_of(history_run(tmp_path, rows), U1) == [("A", 120000, 0, "continuing")]


def test_a_ceased_row_ends_the_history_on_its_date_and_releases_the_rest_at_the_rates_in_force__faq_3(tmp_path):
    rows = [row(annual="1200.00"), row("amended", "2013-07-01", annual="2400.00"),
            row("ceased", "2013-10-01", annual="")]
    r = history_run(tmp_path, rows)
    # paid April–June 3 × 10,000 + July–September 3 × 20,000 = 90,000p; the entitlement is
    # 3 × 10,000 + 9 × 20,000 = 210,000p, so 120,000p is released
    assert lines_of(r, U1) == [("A", 90000, 120000, "ceased")]


def test_the_earliest_ceased_date_on_any_row_ends_the_history__spec_11_11(tmp_path):
    rows = [row(annual="1200.00", ceased="2013-12-01"), row("amended", "2013-07-01", annual="1200.00",
                                                          ceased="2014-02-01")]
    assert lines_of(history_run(tmp_path, rows), U1) == [("A", 80000, 40000, "ceased")]


def test_protection_is_judged_on_the_first_row_so_a_2013_amendment_of_a_2010_statement_is_funded__faq_3(tmp_path):
    rows = [row(annual="1200.00"), row("amended", "2013-04-01", annual="2400.00", statement_date="2013-04-01")]
    assert lines_of(history_run(tmp_path, rows), U1) == [("A", 240000, 0, "continuing")]


def test_a_statement_reissued_after_a_ceasing_under_the_cluster_model_is_paid_nothing__faq_3_7(tmp_path):
    rows = [row(annual="1200.00"), row("ceased", "2013-07-01", annual=""),
            row("reissued", "2013-11-01", annual="3000.00", statement_date="2013-11-01")]
    r = history_run(tmp_path, rows)
    # one child and stream, two lines and two reasons: the first statement's, and the new one's
    assert sorted(lines_of(r, U1)) == [("A", 0, 0, "post_policy_statement"), ("A", 30000, 90000, "ceased")]
    assert r.totals.continuing_psf == 30000


def test_a_reissue_carrying_its_first_statements_date_is_dated_by_its_effective_date_and_never_paid_twice__spec_11_3(
        tmp_path):
    """Ceased 1 July 2013, reissued from 1 November with the old statement's date (2010) kept on the row: the
    reissue was read as funded from 2010 and paid the whole year, April to June twice over (£1,200 + £3,000
    for a child whose statement stopped in July). A later row's statement_date is informative (§11.3): the
    reissue is of 1 November 2013, after the policy began, and so pays nothing (FAQ 3, 7)."""
    rows = [row(annual="1200.00"), row("ceased", "2013-07-01", annual=""),
            row("reissued", "2013-11-01", annual="3000.00", statement_date="2010-01-01")]
    r = history_run(tmp_path, rows)
    assert sorted(lines_of(r, U1)) == [("A", 0, 0, "post_policy_statement"), ("A", 30000, 90000, "ceased")]
    assert r.totals.continuing_psf == 30000


def test_an_issued_row_straight_after_a_ceased_row_is_read_as_a_reissue__spec_11_3(tmp_path):
    rows = [row(annual="1200.00"), row("ceased", "2013-07-01", annual=""),
            row("issued", "2013-11-01", annual="3000.00", statement_date="2013-11-01")]
    assert sorted(lines_of(history_run(tmp_path, rows), U1))[0] == ("A", 0, 0, "post_policy_statement")


def test_an_ehc_transfer_moves_with_a_managed_move_and_each_school_is_paid_at_the_rates_in_force__faq_3_6(tmp_path):
    rows = [row(annual="1200.00"), row("ehc_transfer", "2013-10-01", annual="2400.00")]
    path = write_run(tmp_path, statements=[], moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B",
                                                       "move_date": "2013-12-01", "reason": "managed_move"}])
    write_csv(tmp_path / "statements.csv", rows, HEADER)
    r = allocate(load_config(path))
    # A: April–September 6 × 10,000 + October–November 2 × 20,000; B: December–March 4 × 20,000
    assert lines_of(r, U1) == [("A", 100000, 0, "continuing"), ("B", 80000, 0, "continuing")]
    assert r.psf["annual_amount"].to_list() == [240000, 240000]


def test_by_days_each_day_is_paid_at_the_rate_in_force_on_it(tmp_path):
    rows = [row(annual="3650.00"), row("amended", "2013-04-11", annual="7300.00")]
    r = history_run(tmp_path, rows, prorate="days")
    # 10 days at 1,000p a day and 355 days at 2,000p: 720,000p for the year (365 days)
    assert lines_of(r, U1) == [("A", 720000, 0, "continuing")]


def test_two_rows_of_one_history_on_the_same_date_are_an_error_naming_both_rows(tmp_path):
    rows = [row(annual="1200.00"), row("amended", "2013-07-01", annual="2400.00"),
            row("ehc_transfer", "2013-07-01", annual="2600.00")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    assert "row 4" in messages(e) and "rows 3 and 4" in messages(e) and "01/07/2013" in messages(e)


def test_an_amendment_before_the_statement_was_issued_is_an_error_naming_both_rows(tmp_path):
    rows = [row(annual="1200.00", effective="2011-01-01"), row("amended", "2010-06-01", annual="2400.00")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    text = messages(e)
    assert "row 3" in text and "issued at row 2" in text


@pytest.mark.parametrize("amended_first", [False, True])
def test_an_amendment_on_the_issued_rows_own_date_is_one_error_whichever_row_the_file_lists_first__spec_11_3(
        tmp_path, amended_first):
    """Listed first, it had been a second error too, saying the statement was issued "effective later"
    though both rows are effective on the same day."""
    rows = [row(annual="1200.00"), row("amended", "2010-01-01", annual="2400.00")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows[::-1] if amended_first else rows)
    assert [(i.code, i.row) for i in e.value.errors] == [("history_date", 3)]
    assert "two rows effective on 01/01/2010 (rows 2 and 3)" in messages(e)
    [told] = e.value.errors  # the value is the date in the column named, not the child's UPN
    assert (told.field, told.value) == ("effective_date", "01/01/2010")


def test_two_issued_rows_with_no_ceasing_between_are_the_duplicate_statement_error__spec_8(tmp_path):
    rows = [row(annual="1200.00"), row(annual="2400.00", statement_date="2011-01-01")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    assert "statement (UPN / stream) B801200005001 / PSF appears again (first at row 2)" in messages(e)


def test_a_blank_amount_on_an_issued_row_is_an_error_but_not_on_an_amendment(tmp_path):
    rows = [row(annual=""), row("amended", "2013-07-01", annual="")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    errors = e.value.errors
    assert [(i.row, i.code, i.field) for i in errors] == [(2, "empty_value", "annual_amount")]


def test_validate_warns_when_an_ehc_plan_looks_recorded_as_a_new_statement_beside_a_funded_one__faq_3(tmp_path):
    from senrun.validate import run_validation

    rows = [row(annual="8400.00"), row(annual="8400.00", statement_date="2014-09-01", stream="FYS")]
    path = write_run(tmp_path, statements=[], **YEAR_2014)
    write_csv(tmp_path / "statements.csv", rows, HEADER)
    report = run_validation(path)
    warned = [i for i in report.issues if i.code == "recorded_as_new"]
    assert [(i.row, i.value) for i in warned] == [(3, None)] and child_of(warned[0]) == U1
    assert "ehc_transfer" in warned[0].message


def test_the_ehc_plan_recorded_as_new_is_told_at_the_files_own_statement_date_header__spec_8_11_3(tmp_path):
    """recorded_as_new had named senrun's `statement_date`, not the council's header, and given the child's UPN as
    the value of that column."""
    from senrun.validate import run_validation

    rows = [row(annual="8400.00"), row(annual="8400.00", statement_date="2014-09-01", stream="FYS")]
    path = write_run(tmp_path, statements=[], **YEAR_2014)
    header = [{"statement_date": "Statement Date"}.get(h, h) for h in HEADER]
    write_csv(tmp_path / "statements.csv", [{{"statement_date": "Statement Date"}.get(k, k): v for k, v in r.items()}
                                            for r in rows], header)
    [warned] = [i for i in run_validation(path).issues if i.code == "recorded_as_new"]
    assert (warned.file, warned.row, warned.column, warned.field, warned.value) == (
        "statements.csv", 3, "Statement Date", "statement_date", None)


def test_validate_does_not_warn_for_a_statement_reissued_after_a_ceasing__spec_11_3(tmp_path):
    from senrun.validate import run_validation

    rows = [row(annual="1200.00"), row("ceased", "2013-07-01", annual=""),
            row("reissued", "2013-11-01", annual="3000.00", statement_date="2013-11-01")]
    path = write_run(tmp_path, statements=[])
    write_csv(tmp_path / "statements.csv", rows, HEADER)
    assert not [i for i in run_validation(path).issues if i.code == "recorded_as_new"]


def test_explain_itemises_a_history_and_sums_a_line_over_its_rates__faq_3_spec_11_3(tmp_path):
    from typer.testing import CliRunner

    from senrun.cli import app

    rows = [row(annual="1200.00"), row("amended", "2013-10-15", annual="2400.00"),
            row("ceased", "2014-02-10", annual="")]
    history_run(tmp_path, rows)
    said = CliRunner().invoke(app, ["explain", "-c", str(tmp_path / "senrun.yaml"), "--upn", U1, "--json"])
    assert said.exit_code == 0, said.output
    import json

    [trail] = json.loads(said.output)["statements"]
    [told] = [s["text"] for s in trail["steps"] if s["rule"] == "history"]
    assert told.startswith("Statement history: row 2 issued 01/01/2010, £1,200.00 a year; row 3 amended "
                           "15/10/2013, £2,400.00 a year; row 4 ceased 10/02/2014.")
    # April–October at £1,200 a year (the amendment is mid-October: October at the rate on its 1st),
    # November–February at £2,400 (funded on 1 February, ceased on the 10th)
    [line] = trail["lines"]
    assert line["text"] == ("paid at A: 11 month(s) (01/04/2013 – 28/02/2014) = (£1,200.00 × 7 + £2,400.00 × 4) ÷ 12, "
                            "rounded once = £1,500.00")
    assert line["amount"] == 150000


@pytest.mark.parametrize("written,read", [("Amendment", "amended"), ("EHCP transfer", "ehc_transfer"),
                                          ("Transferred to EHC plan", "ehc_transfer"), ("Re-issued", "reissued"),
                                          ("EHC_Transfer", "ehc_transfer"), ("Cease", "ceased")])
def test_a_statement_event_as_an_sen_system_writes_it_is_read_as_the_event(tmp_path, written, read):
    from senrun.errors import Issues
    from senrun.config.loader import InputSpec
    from senrun.inputs.load import read_input

    path = write_csv(tmp_path / "st.csv", [row(), row(written, "2013-10-01", annual="")], HEADER)
    table = read_input(InputSpec("statements", path, path.name), issues := Issues())
    assert not issues.errors and table.frame["event"].to_list() == ["issued", read]


def test_an_event_that_is_no_statement_event_is_an_error_naming_the_cell(tmp_path):
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, [row(), row("Transfer", "2013-10-01")])
    [issue] = e.value.errors
    assert (issue.code, issue.row, issue.column) == ("bad_value", 3, "event")
    assert '"Transfer" is not a statement event' in issue.message


def test_an_amendment_after_the_statement_ceased_is_ignored_with_a_warning_naming_both_rows__spec_11_3(tmp_path):
    # a ceased history ends (§11.3): only a reissued row starts the child's statement again, so an
    # amendment dated after the ceasing sets no rate — paid April–May 2 × 10,000p, entitlement 12 × 10,000p
    rows = [row(annual="1200.00"), row("ceased", "2013-06-01", annual=""),
            row("amended", "2013-09-01", annual="2400.00")]
    r = history_run(tmp_path, rows)
    assert lines_of(r, U1) == [("A", 20000, 100000, "ceased")]
    [issue] = [w for w in r.warnings if w.code == "amended_after_ceasing"]
    assert (issue.row, issue.column, issue.value) == (4, "event", "amended")
    assert "ceased on 01/06/2013 (row 3)" in issue.message and "ignored" in issue.message


def test_an_ehc_transfer_after_the_ceased_date_of_an_earlier_row_is_ignored_with_a_warning__spec_11_3(tmp_path):
    rows = [row(annual="1200.00", ceased="2013-06-01"), row("ehc_transfer", "2014-01-01", annual="6000.00")]
    r = history_run(tmp_path, rows)
    assert lines_of(r, U1) == [("A", 20000, 100000, "ceased")]
    assert [(w.row, w.code) for w in r.warnings if w.code == "amended_after_ceasing"] == [
        (3, "amended_after_ceasing")]


def test_an_amendment_on_the_day_the_statement_ceased_is_said_to_be_that_day_not_after__spec_11_3(tmp_path):
    rows = [row(annual="1200.00", ceased="2013-06-01"), row("amended", "2013-06-01", annual="2400.00")]
    [issue] = [w for w in history_run(tmp_path, rows).warnings if w.code == "amended_after_ceasing"]
    assert "effective on 01/06/2013, the day the statement ceased (row 2)" in issue.message


def test_a_reissued_statement_after_a_ceasing_may_be_amended__spec_11_3(tmp_path):
    rows = [row(annual="1200.00"), row("ceased", "2013-06-01", annual=""),
            row("reissued", "2013-09-01", statement_date="2013-09-01"),
            row("amended", "2013-12-01", annual="2400.00", statement_date="2013-09-01")]
    r = history_run(tmp_path, rows)
    assert sorted(line[3] for line in lines_of(r, U1)) == ["ceased", "post_policy_statement"]


def test_a_historys_errors_name_the_rows_and_hide_the_childs_upn_on_the_terminal__uk_gdpr(tmp_path):
    rows = [row(annual="1200.00", effective="2013-05-01"), row("amended", "2013-05-01", annual="2400.00"),
            row("reissued", "2013-09-01", upn=U2), row("amended", "2009-01-01", upn=U2)]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    assert len(e.value.errors) >= 2
    for issue in e.value.errors:
        assert issue.row is not None and U1 not in str(issue.hidden()) and U2 not in str(issue.hidden())


def test_a_statement_ceased_before_its_own_date_is_paid_nothing_with_a_warning_at_the_ceased_date__spec_3(tmp_path):
    # ceased 1 May 2012, dated 15 June 2012: no day is funded (§3 rules 2 and 5), so the year's £1,200 is
    # released; the two dates are most likely a slip
    rows = [row(annual="1200.00", statement_date="2012-06-15", ceased="2012-05-01")]
    r = history_run(tmp_path, rows)
    assert [line[1:] for line in lines_of(r, U1)] == [(0, 120000, "ceased")]
    [warning] = [w for w in r.warnings if w.code == "ceased_before_issued"]
    assert (warning.row, warning.column) == (2, "ceased_date") and "15/06/2012" in warning.message


def test_a_ceased_date_repeated_on_a_historys_later_rows_is_not_told_as_paid_nothing__spec_11_3(tmp_path):
    # An export per child repeats the ceased date (30/09/2013) on every row of the history, the later rows dated
    # after it: the history, issued in 2010, was paid April to September, so "paid nothing (a date typed wrong?)"
    # at the later rows was false.  A history whose every row is dated after its ceasing still is told.
    rows = [row(annual="1200.00", ceased="2013-09-30"),
            row("amended", "2013-11-01", annual="2400.00", statement_date="2013-11-01", ceased="2013-09-30"),
            row(upn=U2, annual="1200.00", statement_date="2012-06-15", ceased="2012-05-01"),
            row("amended", "2012-07-01", upn=U2, annual="2400.00", statement_date="2012-07-01", ceased="2012-05-01")]
    r = history_run(tmp_path, rows)
    assert [line[1] for line in lines_of(r, U1)] == [60000]  # April to September of £1,200 a year
    assert [w.row for w in r.warnings if w.code == "ceased_before_issued"] == [4, 5]


def test_a_reissue_carrying_the_ceased_date_of_the_statement_before_it_is_still_told_it_is_paid_nothing__spec_11_3(
        tmp_path):
    # A reissue begins a history of its own: its ceased date (the old statement's, repeated) is before its own
    # date, so the £2,400 reissue is paid nothing, which must be said, though the history before it was in force.
    rows = [row(annual="1200.00", statement_date="2010-01-01", ceased="2012-05-01"),
            row("reissued", "2012-07-01", annual="2400.00", statement_date="2012-07-01", ceased="2012-05-01")]
    r = history_run(tmp_path, rows)
    assert [line[1:] for line in lines_of(r, U1)] == [(0, 120000, "ceased"), (0, 240000, "ceased")]
    assert [w.row for w in r.warnings if w.code == "ceased_before_issued"] == [3]


def test_psf_csv_lists_a_historys_unpaid_lines_in_the_same_order_whatever_the_statements_row_order(tmp_path):
    # ceased and reissued before the period: two unpaid lines of one child and stream, tied on school and dates
    rows = [row(annual="1200.00"), row("ceased", "2013-02-01", annual=""),
            row("reissued", "2013-03-01", annual="3000.00", statement_date="2013-03-01")]
    from senrun.outputs.csvs import psf_table
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first = psf_table(history_run(tmp_path / "a", rows).psf)
    backwards = psf_table(history_run(tmp_path / "b", rows[::-1]).psf)
    assert first.height == 2 and first["reason"].n_unique() == 2
    assert backwards.rows() == first.rows()


def test_the_packs_run_off_pays_a_rate_recorded_for_after_the_period_from_its_date__faq_8_spec_11_3(tmp_path):
    # an EHC transfer on 24 March 2014 at a new rate: March is paid at the old rate, and the run-off's
    # 2014-15 at the new one, as the projection of simulate --years and next year's run have it
    from senrun.yearly.runoff import runoff_by_school

    rows = [row(annual="1200.00"), row("ehc_transfer", "2014-03-24", annual="2400.00", statement_date="2014-03-24")]
    r = history_run(tmp_path, rows)
    assert lines_of(r, U1) == [("A", 120000, 0, "continuing")]
    first = runoff_by_school(r, years=2).filter(pl.col("_k") == 1).row(0, named=True)
    assert (first["school_id"], first["children"], first["psf"]) == ("A", 1, 240000)


def test_the_released_tables_annual_psf_is_the_rate_in_force_at_the_end_as_psf_csv_gives_it__spec_11_3(tmp_path):
    """An amendment doubling the rate from October: paid 6 × £100 + 6 × £200 = £1,800 this period, shown beside an
    annual PSF of £2,400 (the rate psf.csv and the return give), not the first rate's £1,200 (paid above annual)."""
    r = history_run(tmp_path, [row(annual="1200.00"), row("amended", "2013-10-01", annual="2400.00")])
    [continuing] = r.released.filter(pl.col("reason") == "continuing").iter_rows(named=True)
    assert (continuing["annual_amount"], continuing["paid_amount"]) == (240000, 180000)
    assert r.psf["annual_amount"].to_list()[-1] == 240000


def error_codes(excinfo) -> list[str]:
    return [i.code for i in excinfo.value.issues if i.is_error]


def test_two_issued_rows_on_one_date_are_the_duplicate_statement_error_alone_not_a_second_history_error__spec_8(
        tmp_path):
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, [row(annual="1200.00"), row(annual="1300.00")])
    assert error_codes(e) == ["duplicate"]


def test_a_ceasing_before_the_statement_was_issued_is_an_error__spec_11_3(tmp_path):
    rows = [row("ceased", "2009-06-01", annual=""), row(annual="1200.00", effective="2010-01-01")]
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, rows)
    assert error_codes(e) == ["history_order"] and "before the statement was issued" in messages(e)


def test_a_reissue_on_the_day_the_statement_ceased_follows_its_ceasing__spec_11_3(tmp_path):
    """A ceased_date of 1 June 2011 and a reissue effective that day: the ceasing is before the reissue, as
    on a ceased row of that date; no error, and the reissue (before the policy) is funded."""
    rows = [row(annual="1200.00", ceased="2011-06-01"),
            row("reissued", "2011-06-01", annual="2400.00", statement_date="2011-06-01")]
    r = history_run(tmp_path, rows)
    assert ("A", 240000, 0, "continuing") in lines_of(r, U1)


def test_the_packs_run_off_by_days_pays_each_later_year_to_its_last_day__faq_8_spec_3(tmp_path):
    """By days, a child protected all of 2014-15 is paid its 365 days of £1,200.00 a year: the whole rate,
    not 364 days' £1,196.71."""
    from senrun.yearly.runoff import runoff_by_school

    r = history_run(tmp_path, [row(annual="1200.00")], prorate="days")
    first = runoff_by_school(r, years=1).filter(pl.col("_k") == 1).row(0, named=True)
    assert (first["school_id"], first["children"], first["psf"]) == ("A", 1, 120000)


YEAR_2012 = {"year": "2012-13", "period": {"start": "2012-04-01", "end": "2013-03-31"}, "census_date": "2012-01-19"}


def test_a_first_statement_recorded_with_a_later_effective_date_keeps_its_own_statement_date__spec_11_3(tmp_path):
    """Issued 1 June 2012, effective from 1 October (after the policy began), then amended: a first row is dated by
    its statement_date, as §3 has it; only a reissue is dated by its effective date."""
    rows = [row(statement_date="2012-06-01", effective="2012-10-01"), row("amended", "2013-01-01", annual="2400.00")]
    assert lines_of(history_run(tmp_path, rows), U1)[0][3] == "continuing"


def test_a_reissue_before_the_policy_later_amended_is_dated_by_the_reissue_not_the_amendment__spec_11_3(tmp_path):
    """Issued 2008, ceased July 2011, reissued from March 2012 (the 2008 date kept on the row), amended in October
    2012: the reissue is of March 2012, before the policy began, so funded; its amendment is no new statement."""
    rows = [row(statement_date="2008-01-01"), row("ceased", "2011-07-01", annual="", statement_date="2008-01-01"),
            row("reissued", "2012-03-01", annual="1200.00", statement_date="2008-01-01"),
            row("amended", "2012-10-01", annual="2400.00", statement_date="2008-01-01")]
    paid = [line for line in lines_of(history_run(tmp_path, rows, **YEAR_2012), U1) if line[1]]
    assert paid == [("A", 180000, 0, "continuing")]  # April–September at £1,200, October–March at £2,400


def test_a_ceased_line_followed_by_a_paid_reissue_reads_ceased_on_the_return_not_moved_on__spec_11_3(tmp_path):
    """Ceased 1 May 2012 and reissued from 1 June, before the policy began: two statements at one school; the first
    stopped (its return line says so), the second was not where the first one's PSF went."""
    from senrun.outputs.returns import children_columns

    rows = [row(statement_date="2008-01-01"), row("ceased", "2012-05-01", annual=""),
            row("reissued", "2012-06-01", annual="1200.00", statement_date="2012-06-01")]
    result = history_run(tmp_path, rows, **YEAR_2012)
    whys = sorted(children_columns(result, result.schools.get_column("school_id")).get_column("why").to_list())
    assert whys[0].startswith("ceased") and whys[1].startswith("continuing: continues beyond"), whys


def test_a_child_is_aged_by_the_first_row_of_the_history_whatever_the_files_order__spec_11_11_faq_3(tmp_path):
    """A history whose EHC plan row came first in the file, giving another date of birth, had aged the child by
    it for the pupil counts (Year 12, not counted), while the PSF used the first row's: one child aged two ways
    in one run, and a school's share of the formula moved to the others."""
    census = [{"upn": U1, "school_id": "A", "date_of_birth": "2005-05-05"},
              {"upn": U2, "school_id": "B", "date_of_birth": "2005-05-05"}]
    issued = row(annual="1200.00")
    ehc = row("ehc_transfer", "2013-09-01", annual="2400.00", statement_date="2013-09-01", dob="1995-05-05")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    in_order = history_run(tmp_path / "a", [issued, ehc], census=census)
    backwards = history_run(tmp_path / "b", [ehc, issued], census=census)
    pupils = dict(backwards.schools.select("school_id", "pupils").iter_rows())
    assert pupils["A"] == 1 and pupils["B"] == 1
    assert backwards.schools.rows() == in_order.schools.rows()
    assert lines_of(backwards, U1) == lines_of(in_order, U1) == [("A", 190000, 0, "continuing")]
    # the row that differs from the first is told, whichever comes first in the file; never the first row itself
    [told] = [w for w in backwards.warnings if w.code == "dob_rows_differ"]
    assert (told.file, told.row, told.column) == ("statements.csv", 2, "date_of_birth")
    assert "row 3" in told.message and "first statement row" in told.message
    assert [w.code for w in backwards.warnings if w.code == "dob_differs"] == []
    assert [(w.row, w.code) for w in in_order.warnings if w.code == "dob_rows_differ"] == [(3, "dob_rows_differ")]


def test_explain_school_sums_a_line_paid_at_two_rates_over_its_rates_not_the_last_rate_alone__faq_3_spec_11_3(
        tmp_path):
    """`explain --school` had read "annual £2,400.00, paid 11 month(s) … = £1,500.00": the last rate, which does not
    give the amount; `--upn` and the return itemised it.  A line at one rate is as it was."""
    from typer.testing import CliRunner

    from senrun.cli import app

    rows = [row(annual="1200.00"), row("amended", "2013-10-15", annual="2400.00"),
            row("ceased", "2014-02-10", annual="")]
    history_run(tmp_path, rows)
    said = CliRunner().invoke(app, ["explain", "-c", str(tmp_path / "senrun.yaml"), "--school", "A", "--json",
                                    "--show-personal-data"])
    assert said.exit_code == 0, said.output
    import json

    [child] = json.loads(said.output)["psf"]["children"]
    assert ("annual £2,400.00 (the last rate), paid 11 month(s) (01/04/2013 – 28/02/2014) = (£1,200.00 × 7 + "
            "£2,400.00 × 4) ÷ 12, rounded once = £1,500.00; ceased") in child["text"]
    assert child["amount"] == 150000


def test_a_file_of_one_row_per_statement_marked_ceased_is_told_how_to_give_the_ending__spec_11_3(tmp_path):
    """A case-management export of one row per plan, its latest event given ("Ceased") beside its own statement
    and ceased dates, had been told "this ceased row comes before the statement was issued", which was not true of
    it, and not what to do."""
    with pytest.raises(SenrunError) as e:
        history_run(tmp_path, [row("ceased", annual="1200.00", ceased="2013-10-01")])
    [told] = e.value.errors
    assert (told.code, told.row, told.field, told.expected) == ("history_order", 2, "event", "issued, or blank")
    assert told.message == (f"{U1} / PSF: no row issues the statement, and this row is marked ceased: where a file "
                            "has one row per statement, mark it issued (or leave the event blank) and give its ending "
                            "in the ceased date column; otherwise add the row that issued it")


def test_a_new_plan_for_a_child_whose_fys_funding_ended_at_the_policy_start_is_not_warned_as_recorded_as_new__faq_3(
        tmp_path):
    """FYS and SSMN end at the policy start (SPEC §3): a child with such funding who later has a plan is an
    ordinary case, and an ehc_transfer of the ended stream would pay nothing either; recorded_as_new had called
    the FYS statement "funded" and failed the nightly --strict check."""
    from senrun.validate import run_validation

    rows = [row(annual="3000.00", stream="FYS", statement_date="2011-09-20"),
            row(annual="7000.00", statement_date="2014-09-01", stream="PSF")]
    path = write_run(tmp_path, statements=[], **YEAR_2014)
    write_csv(tmp_path / "statements.csv", rows, HEADER)
    assert not [i for i in run_validation(path).issues if i.code == "recorded_as_new"]
    rows[0]["stream"] = "SSMN"
    write_csv(tmp_path / "statements.csv", rows, HEADER)
    assert not [i for i in run_validation(path).issues if i.code == "recorded_as_new"]


def test_a_history_without_an_effective_date_column_is_told_which_column_to_map__spec_11_3(tmp_path):
    # A council's "Change Date" column left unmapped: every row is dated by its statement date, so an amendment
    # falls on the issued row's date.  The error had said only that a history needs one row a date.
    header = [h for h in HEADER if h != "effective_date"] + ["Change Date"]
    rows = [{**row(annual="1200.00"), "Change Date": ""}, {**row("amended", annual="2400.00"), "Change Date": "2013-09-01"}]
    path = write_run(tmp_path, statements=[])
    write_csv(tmp_path / "statements.csv", [{k: r[k] for k in header} for r in rows], header)
    with pytest.raises(SenrunError) as e:
        allocate(load_config(path))
    [told] = e.value.errors
    assert (told.code, told.row, told.field) == ("history_date", 3, "statement_date")
    assert told.message.endswith("no effective_date column is read, so each row is dated by its statement_date: if a "
                                 "column gives each row's own date (such as \"Change Date\"), map it under inputs: "
                                 "statements: columns: {\"Change Date\": effective_date}")


@pytest.mark.parametrize("header", ["Change Date", "Date of Change", "Event Date", "Amendment Date"])
def test_init_proposes_a_councils_change_date_column_as_each_history_rows_effective_date__spec_11_3(header):
    from pathlib import Path

    from senrun.onboard.match import propose_columns
    from senrun.onboard.scan import Sheet

    headers = ["UPN", "DOB", "Statement Date", "Change Type", header]
    values = {"Change Type": ["Issued", "Amendment"], header: ["01/01/2010", "01/09/2013"]}
    sheet = Sheet(Path("statements.xlsx"), None, 1, headers, {h: values.get(h, ["x", "y"]) for h in headers}, rows=2)
    proposed = {p.column: p.header for p in propose_columns(sheet, "statements")}
    assert proposed.get("effective_date") == header and proposed.get("event") == "Change Type"


def test_an_issued_row_after_an_earlier_rows_ceased_date_is_read_as_the_reissue_it_is__spec_11_3(tmp_path):
    # A statement ceased on 31 March 2011 (its ceased_date) and a new one issued on 1 September 2011, both written
    # "issued": the second had been the §8 duplicate, with advice to make it an amendment.  Read as a reissue, it
    # is paid as the same rows with the event "reissued" are: £6,000 a year, protected from before the policy.
    def rows(second: str) -> list[dict]:
        return [row(annual="8400.00", statement_date="2008-01-01", ceased="2011-03-31"),
                row(second, "2011-09-01", annual="6000.00", statement_date="2011-09-01")]

    (tmp_path / "issued").mkdir(), (tmp_path / "reissued").mkdir()
    issued = history_run(tmp_path / "issued", rows("issued"))
    reissued = history_run(tmp_path / "reissued", rows("reissued"))
    assert lines_of(issued, U1) == lines_of(reissued, U1)
    assert ("A", 600000, 0, "continuing") in lines_of(issued, U1)


def test_an_issued_row_effective_on_the_day_an_earlier_row_ceased_is_that_statements_reissue_not_a_duplicate__spec_11_3(
        tmp_path):
    """A ceasing takes effect on its own date (§3), so a statement written "issued" from the very day the first one
    ceased (1 June 2011) follows it: the reissue, funded from before the policy (£6,000 a year), not the §8
    duplicate statement error."""
    rows = [row(annual="8400.00", statement_date="2008-01-01", ceased="2011-06-01"),
            row("issued", "2011-06-01", annual="6000.00", statement_date="2011-06-01")]
    assert lines_of(history_run(tmp_path, rows), U1) == [("A", 0, 840000, "ceased"), ("A", 600000, 0, "continuing")]


def test_a_line_paid_nothing_shows_the_rate_amended_on_the_periods_first_day__spec_11_11(tmp_path):
    """A child whose primary phase ended in August 2012 is paid nothing in 2013-14, and its line shows the rate in
    force on 1 April 2013: the amendment effective that very day (£2,400 a year), not the rate before it; the
    released figure is the year at that rate."""
    rows = [row(annual="1200.00", dob="2001-03-03"), row("amended", "2013-04-01", annual="2400.00")]
    r = history_run(tmp_path, rows)
    assert r.psf.select("paid_school_id", "annual_amount", "paid_amount", "released_amount", "reason").rows() == [
        ("A", 240000, 0, 240000, "phase_end")]
