"""senrun explain (SPEC §7): a school's total and a child's PSF, step by step, to the penny."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from builders import pupil, statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.yearly.explain import explain_school, explain_upn, run_for_explain

U1, U2, U3, U4 = "B801200005001", "E801200005002", "H801200005003", "L801200005004"
STATEMENTS = [statement(U1, "2002-08-31", school="A", annual="1200.00"),   # Year 6 in 2012/13
              statement(U2, "2005-05-05", school="A", annual="8400.00"),   # managed move to B
              statement(U3, "2005-06-06", school="B", annual="3000.00"),   # casual move to H
              statement(U4, "2004-04-04", school="H", annual="999.99", stream="SSMN")]
MOVES = [{"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-11-15", "reason": "managed_move"},
         {"upn": U3, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-10-15", "reason": "casual"},
         {"upn": U3, "from_school_id": "H", "to_school_id": "A", "move_date": "2014-01-06", "reason": "managed_move"}]
CENSUS = [pupil(U1, "A", "2002-08-31"), pupil(U2, "A", "2005-05-05"), pupil(U3, "B", "2005-06-06"),
          pupil(U4, "H", "2004-04-04")] + [pupil(f"X8012000{n:05d}", s, "2006-01-01")
                                            for n, s in enumerate("AABBBHHHHH")]


@pytest.fixture
def explained(tmp_path):
    path = write_run(tmp_path, statements=STATEMENTS, moves=MOVES, census=CENSUS)
    return (path, *run_for_explain(load_config(path)))


def test_every_explained_school_total_is_the_allocations_total(explained):
    _, result, _, _ = explained
    for school_id, total in result.schools.select("school_id", "total").iter_rows():
        e = explain_school(result, school_id)
        assert e["matches_allocation"] and e["total"] == total
        assert e["ssa"]["amount"] + e["psf"]["amount"] + e["formula"]["amount"] == total
        assert [x["element"] for x in e["formula"]["elements"]] == ["lump_sum", "per_pupil"]


def test_a_school_shows_the_child_it_gained_by_managed_move_and_the_penny_steps(explained):
    _, result, _, _ = explained
    e = explain_school(result, "B")
    [moved] = [c for c in e["psf"]["children"] if c["upn"] == U2]
    assert (moved["psf_school_id"], moved["units"], moved["amount"]) == ("A", 4, 280_000)
    assert "by managed move from A" in moved["text"]
    per_pupil = e["formula"]["elements"][1]
    assert per_pupil["amount"] == per_pupil["floor_pence"] + per_pupil["extra_penny"]
    assert per_pupil["exact_share_pence"].startswith(str(per_pupil["floor_pence"]) + ".")


def test_explain_upn_names_the_rule_that_stopped_psf(explained):
    _, result, psf, inp = explained
    [casual] = explain_upn(result, psf.rows, U3.lower(), inp.moves.frame)["statements"]
    assert casual["stop"]["reason"] == "casual_move" and str(casual["stop"]["date"]) == "2013-10-15"
    assert "a casual change of school ends PSF (FAQ 3)" in casual["stop"]["text"]
    moves = [s["text"] for s in casual["steps"] if s["rule"] == "move"]
    assert "ends PSF on 15/10/2013" in moves[0] and "no effect — PSF had already ended" in moves[1]
    assert casual["paid"] + casual["released"] == casual["entitlement"]
    [phase] = explain_upn(result, psf.rows, U1, inp.moves.frame)["statements"]
    assert phase["stop"]["reason"] == "phase_end" and "Year 6" in phase["steps"][1]["text"]
    assert [(x["units"], x["amount"]) for x in phase["lines"]] == [(5, 50_000)]
    # where the released money goes, which a school asks of its Year 6 leaver (FAQ 3)
    assert phase["released"] > 0 and phase["text"].endswith(
        "What is released goes into the pot the clusters share (FAQ 3).")
    [ssmn] = explain_upn(result, psf.rows, U4, inp.moves.frame)["statements"]
    assert ssmn["stop"]["reason"] == "stream_ended" and "FAQ 9" in ssmn["stop"]["text"]


def test_explain_upn_gives_the_school_year_of_birth_not_the_date_unless_personal_data_is_asked_for__faq_4_5(
        explained):
    """The age-based year depends only on the school year a child was born in (FAQ 4–5): that is
    enough to explain the phase, so a terminal shows no date of birth unless --show-personal-data."""
    path, result, psf, inp = explained
    [hidden] = explain_upn(result, psf.rows, U1, inp.moves.frame, personal=False)["statements"]
    assert hidden["steps"][0]["text"].startswith(
        "Born in the school year 1 September 2001 – 31 August 2002: age-based Year 5 on 31/08/2012")
    assert hidden["date_of_birth"] == "[hidden]"
    [shown] = explain_upn(result, psf.rows, U1, inp.moves.frame, personal=True)["statements"]
    assert shown["steps"][0]["text"].startswith("Born 31/08/2002: age-based Year 5")
    plain = runner.invoke(app, ["explain", "--config", str(path), "--upn", U1])
    assert plain.exit_code == 0 and "2002-08-31" not in plain.output and "31/08/2002" not in plain.output and "August 2002" in plain.output
    asked = runner.invoke(app, ["explain", "--config", str(path), "--upn", U1, "--show-personal-data"])
    assert asked.exit_code == 0 and "Born 31/08/2002" in asked.output


def test_an_unknown_school_or_upn_is_a_clear_error(explained):
    _, result, psf, _ = explained
    with pytest.raises(SenrunError, match="school 'ZZ' has no row this period: it is not in the schools input of .*, or is open on no day"):
        explain_school(result, "ZZ")
    with pytest.raises(SenrunError, match="the UPN asked about has no row in the statements input .*: a UPN is a "
                       "letter and 12 characters"):
        explain_upn(result, psf.rows, "z999")
    # a check letter typed wrong is said (the UPN had been printed as [hidden], with no word of what was wrong)
    # (no letter is named: a digit typed wrong looks the same, and the letter the digits give may be another child's)
    with pytest.raises(SenrunError, match="its check letter does not fit its digits") as info:
        explain_upn(result, psf.rows, "A801200005001")
    assert "801200005001" not in str(info.value) and "should be" not in str(info.value)


runner = CliRunner()


def test_explain_command_prints_json_and_exits_0_1_2(explained):
    path = str(explained[0])
    ok = runner.invoke(app, ["explain", "-c", path, "--school", "A", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["matches_allocation"] and data["school_id"] == "A"
    text = runner.invoke(app, ["explain", "-c", path, "--upn", U3])
    assert text.exit_code == 0 and "First stop: casual_move" in text.output
    assert runner.invoke(app, ["explain", "-c", path, "--school", "ZZ"]).exit_code == 1
    assert runner.invoke(app, ["explain", "-c", path]).exit_code == 2
    assert runner.invoke(app, ["explain", "-c", path, "--school", "A", "--upn", U1]).exit_code == 2


def test_a_per_cluster_element_is_explained_as_the_clusters_equal_part_shared_by_pupils__faq_17_spec_11_8(tmp_path):
    # £1,000.01 split equally between K1 and K2 (50,000.5p each, the spare penny to K1); K1's 50,001p by
    # pupils 30 : 10 → S1 37,500.75p: floor 37,500p + 1p from the largest remainder = £375.01.
    schools = [{"school_id": "S1", "school_name": "School S1", "cluster_id": "K1", "ssa": "0", "pupils": "30"},
               {"school_id": "S2", "school_name": "School S2", "cluster_id": "K1", "ssa": "0", "pupils": "10"},
               {"school_id": "S3", "school_name": "School S3", "cluster_id": "K2", "ssa": "0", "pupils": "20"}]
    path = write_run(tmp_path, schools=schools, statements=[statement(U1, "2005-05-05", school="S1", annual="0")],
                     budget={"pupil_specific_pot": "1000.01"},
                     formula={"elements": [{"name": "host", "basis": "per_cluster", "remainder": True}]})
    result, _, _ = run_for_explain(load_config(path))
    step = explain_school(result, "S1")["formula"]["elements"][0]
    assert (step["units"], step["total_units"], step["amount"]) == ("30", "2", 37501)
    assert (step["floor_pence"], step["extra_penny"]) == (37500, True)
    assert "30 pupils of its cluster's equal part of 2 clusters" in step["text"]
    assert step["text"].endswith("floor 37500p + 1p from the largest-remainder step = £375.01")
    assert explain_school(result, "S3")["formula"]["elements"][0]["amount"] == 50000


@pytest.mark.parametrize("delegation, words", [("devolved", "devolved: held by the local authority"),
                                               ("delegated", "delegated to school budgets")])
def test_explain_words_the_cluster_share_as_the_years_delegation__faq_18_27_spec_11_8(tmp_path, delegation, words):
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", annual="0")], delegation=delegation)
    result, _, _ = run_for_explain(load_config(path))
    text = explain_school(result, "A")["formula"]["text"]
    assert words in text and "notional" in text


def test_a_child_moved_twice_is_said_to_come_from_the_school_before_not_the_statements__faq_6(tmp_path):
    from builders import run, statement
    from senrun.yearly.explain import explain_school

    moves = [{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-01", "reason": "managed_move"},
             {"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-10-01", "reason": "managed_move"}]
    r = run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=moves)
    [line] = explain_school(r, "H")["psf"]["children"]
    assert ", by managed move from B:" in line["text"] and line["psf_school_id"] == "A"
    [first] = explain_school(r, "B")["psf"]["children"]
    assert ", by managed move from A:" in first["text"]


def test_a_school_closed_before_the_period_is_said_to_be_so_and_its_successor_named_not_a_typing_slip__spec_11_1(
        tmp_path):
    schools = [{"school_id": s, "school_name": s, "cluster_id": "C1", "ssa": "0", "pupils": "100", "closed": c,
                "successor_id": n} for s, c, n in (("A", "2012-08-31", "AA"), ("AA", "", ""), ("B", "", ""))]
    result, _, _ = run_for_explain(load_config(write_run(tmp_path, schools=schools,
                                                         statements=[statement("B801200005001", "2005-05-05", "AA")])))
    with pytest.raises(SenrunError) as e:
        explain_school(result, "A")
    said = str(e.value)
    assert "open on no day of the period (see its closed date)" in said and "successor AA" in said
    assert "did you mean" not in said


def test_an_old_id_named_only_by_the_links_input_is_said_not_to_be_in_the_schools_input__spec_11_1(tmp_path):
    # GIAS's links name an academy's predecessor by its old URN, which the schools input (one row per school,
    # keyed by the academy's kept DfE number) does not list: explain had said it "is in the schools input … but
    # open on no day of the period (see its closed date)", a row and a date the council could not find.
    schools = [{"school_id": s, "school_name": s, "cluster_id": "C1", "ssa": "0", "pupils": "100"}
               for s in ("AA", "B")]
    links = [{"school_id": "120837", "successor_id": "AA", "link_date": "2012-08-31", "link_type": "Successor"}]
    result, _, inp = run_for_explain(load_config(write_run(tmp_path, schools=schools, links=links,
                                                           statements=[statement("B801200005001", "2005-05-05",
                                                                                 "AA")])))
    with pytest.raises(SenrunError) as e:
        explain_school(result, "120837", schools=inp.schools.frame)
    said = str(e.value)
    assert "'120837' is not in the schools input" in said and "links input names it as the predecessor of AA" in said
    assert "closed date" not in said and "explain --school AA" in said


def test_a_schools_psf_text_counts_its_stopped_lines_apart_from_the_continuing_ones(explained):
    """School A's lines include a Year 6 leaver (phase_end, paid April–August): the text said "Continuing PSF:
    N line(s)" as though every child listed were still paid."""
    _, result, _, _ = explained
    psf = explain_school(result, "A")["psf"]
    stopped = [c for c in psf["children"] if c["reason"] != "continuing"]
    moved = [c for c in psf["children"] if c["went_to"]]  # (U2's managed move to B: its PSF went on, FAQ 6)
    assert stopped and any(c["reason"] == "phase_end" for c in stopped) and moved
    assert psf["text"] == (f"Continuing PSF: £{psf['amount'] / 100:,.2f} from {len(psf['children'])} line(s), "
                           f"{len(moved)} of them moved on (the PSF went with the child) and "
                           f"{len(stopped)} of them stopped (paid to their stop date, or nothing).")


def test_explain_upn_lists_two_moves_on_one_day_in_the_order_the_rules_take_them__faq_6(tmp_path):
    """Listed B → H before A → B (both 10 June), the trail gave the moves in the file's order, not the chain's."""
    moves = [{"upn": U1, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-06-10", "reason": "managed_move"},
             {"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-06-10", "reason": "managed_move"}]
    path = write_run(tmp_path, statements=[statement(U1, "2005-05-05", annual="1200.00")], moves=moves)
    result, psf, inp = run_for_explain(load_config(path))
    [trail] = explain_upn(result, psf.rows, U1, inp.moves.frame)["statements"]
    moved = [s["text"] for s in trail["steps"] if s["rule"] == "move"]
    assert [m.split(" (")[0] for m in moved] == ["Move on 10/06/2013 from A to B", "Move on 10/06/2013 from B to H"]


def test_explain_stopped_by_ctrl_c_says_it_stopped_not_that_nothing_was_written(explained, monkeypatch):
    from senrun.yearly import explain as explaining

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(explaining, "run_for_explain", interrupted)
    stopped = runner.invoke(app, ["explain", "-c", str(explained[0]), "--school", "A"])
    assert stopped.exit_code == 130
    assert stopped.output.strip().splitlines()[-1] == "senrun stopped (Ctrl-C)."


def test_explain_stopped_by_a_problem_says_it_stopped_not_that_nothing_was_written(explained):
    """explain writes no file: "senrun stopped: nothing was written." read as though it might have."""
    stopped = runner.invoke(app, ["explain", "-c", str(explained[0]), "--school", "ZZ"])
    assert stopped.exit_code == 1
    assert "written" not in stopped.output and stopped.output.startswith("senrun stopped.\n")
    assert "school 'ZZ' has no row this period" in stopped.output


def test_explain_marks_thousands_in_a_count_of_units_as_in_its_money(tmp_path):
    """"this school has 117 of 109280 units" beside "£1,063,400.19": a count reads as the money does."""
    from builders import SCHOOLS

    schools = [{**s, "pupils": str(int(s["pupils"]) * 10)} for s in SCHOOLS]  # 1,000 + 2,000 + 3,000 pupils
    result = run_for_explain(load_config(write_run(tmp_path, statements=[statement(U1, "2005-05-05")],
                                                   schools=schools)))[0]
    [per_pupil] = [e for e in explain_school(result, "A")["formula"]["elements"] if e["element"] == "per_pupil"]
    assert "this school has 1,000 of 6,000 units" in per_pupil["text"]


def test_a_statement_issued_after_the_policy_began_is_not_counted_as_a_stopped_line__faq_3_7(tmp_path):
    """A line that never paid (a statement issued after the policy began) was counted among the "stopped" ones."""
    statements = [statement(U1, "2005-05-05", annual="1200.00"),
                  statement(U2, "2005-05-05", annual="1200.00", statement_date="2013-01-01")]
    result = run_for_explain(load_config(write_run(tmp_path, statements=statements)))[0]
    psf = explain_school(result, "A")["psf"]
    assert psf["text"] == ("Continuing PSF: £1,200.00 from 2 line(s), 1 of them statements issued after the policy "
                           "began (never paid).")


def test_a_school_a_child_left_by_managed_move_is_said_to_have_moved_on_with_the_psf_not_to_have_stopped__faq_6(
        tmp_path):
    """PSF follows a managed move (FAQ 6): the giving school's line ends on the move, before the statement's
    first stop (a Year 6 child's phase end on 1 September).  Its explanation says where the PSF went, as its
    return does, and does not count the line among those stopped 'paid to their stop date'."""
    path = write_run(tmp_path, statements=[STATEMENTS[0]], census=CENSUS,
                     moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-05-13",
                             "reason": "managed_move"}])
    result, _, _ = run_for_explain(load_config(path))
    e = explain_school(result, "A")
    [line] = e["psf"]["children"]
    assert (line["paid_to"].isoformat(), line["stop_date"].isoformat(), line["reason"], line["went_to"]) == (
        "2013-05-31", "2013-09-01", "phase_end", "B")
    assert "moved on to B, the PSF went with the child; the statement's first stop: phase_end from 01/09/2013" \
        in line["text"]
    assert e["psf"]["text"].endswith("from 1 line(s), 1 of them moved on (the PSF went with the child).")
    [received] = explain_school(result, "B")["psf"]["children"]
    assert received["went_to"] is None and received["text"].endswith("phase_end from 01/09/2013")


def test_explain_upn_does_not_say_a_statement_issued_after_the_policy_start_has_psf_that_continues_or_stops__faq_3_7(
        tmp_path):
    """A statement issued on or after the policy start generates no funding (FAQ 3, 7; SPEC §3): its trail said
    'PSF stops on 2017-09-01' and 'Stream PSF: continues under the cluster model', of PSF it never had."""
    path = write_run(tmp_path, statements=[statement(U2, "2005-05-05", statement_date="2013-02-01")], census=CENSUS)
    result, psf, inp = run_for_explain(load_config(path))
    [s] = explain_upn(result, psf.rows, U2)["statements"]
    steps = {x["rule"]: x for x in s["steps"]}
    assert s["stop"]["reason"] == "post_policy_statement" and s["paid"] == 0
    assert steps["protected_phase"]["text"] == ("Phase: primary (years 0 to 6), to the end of Year 6; but this "
                                                "statement carries no funding, so there is no PSF to protect (FAQ 3, 7).")
    assert steps["protected_phase"]["stops_on"] is None
    assert steps["stream"]["text"] == "Stream PSF: no effect — the statement carries no funding."


def test_explain_without_previous_tells_its_user_to_give_explain_the_previous_not_validate__spec_11_8(tmp_path):
    """The note explain prints when formula.protection is left out was validate's warning word for word:
    "so give validate the --previous the run will have", to someone running explain."""
    path = write_run(tmp_path, statements=STATEMENTS, census=CENSUS,
                     formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}],
                              "protection": {"floor_pct": -10}})
    result, _, _ = run_for_explain(load_config(path))
    [note] = explain_school(result, "A")["notes"]
    assert note.startswith("formula.protection is not applied: it needs last year's allocations")
    assert note.endswith("so give explain the --previous the run was given") and "validate" not in note


def test_explain_upn_does_not_say_a_missing_child_s_census_finding_ended_psf_an_earlier_rule_had_stopped__spec_11_11(
        tmp_path):
    """A Year 6 leaver (PSF stopped on 1 September, SPEC §3) missing from the census: the census finding stopped
    nothing still funded (SPEC §11.11 "Census"), yet the trail said "not found — the child has left; PSF ends at the
    period start", beside a first stop of phase_end on an earlier day."""
    path = write_run(tmp_path, statements=[statement(U1, "2001-08-31")], census=CENSUS[1:])
    result, psf, _ = run_for_explain(load_config(path))
    [s] = explain_upn(result, psf.rows, U1)["statements"]
    census = next(x for x in s["steps"] if x["rule"] == "census")
    assert (s["stop"]["reason"], str(s["stop"]["date"])) == ("phase_end", "2012-09-01")
    assert census["text"] == ("Census (17/01/2013): not found — no effect: the PSF had already stopped (phase_end, "
                              "on 01/09/2012).") and census["stops_on"] is None


def test_explain_upn_does_not_say_a_managed_move_after_census_day_moves_psf_that_had_already_stopped__spec_11_6(
        tmp_path):
    """A managed move just after census day keeps a line only where it was still funded (SPEC §11.6, §11.11): for
    an SSMN row, stopped at the policy start (FAQ 9), the trail said "PSF moves on the move's date"."""
    path = write_run(tmp_path, statements=[STATEMENTS[3]], census=[pupil(U4, "A", "2004-04-04")],
                     moves=[{"upn": U4, "from_school_id": "H", "to_school_id": "A", "move_date": "2013-02-01",
                             "reason": "managed_move"}])
    result, psf, inp = run_for_explain(load_config(path))
    [s] = explain_upn(result, psf.rows, U4, inp.moves.frame)["statements"]
    census = next(x for x in s["steps"] if x["rule"] == "census")
    assert s["stop"]["reason"] == "stream_ended" and "PSF moves" not in census["text"]
    assert census["text"].endswith("— no effect: the PSF had already stopped (stream_ended, on 01/09/2012).")


def test_explain_upn_does_not_say_psf_follows_a_managed_move_on_the_day_the_phase_ended__spec_3(tmp_path):
    """A move takes effect on its date and a phase end stops PSF on 1 September (SPEC §3): a managed move on that
    day finds no PSF to carry, yet the trail said "PSF follows the child to B until the end of the protected phase"."""
    path = write_run(tmp_path, statements=[STATEMENTS[0]], census=[pupil(U1, "A", "2002-08-31")],
                     moves=[{"upn": U1, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-09-01",
                             "reason": "managed_move"}])
    result, psf, inp = run_for_explain(load_config(path))
    [s] = explain_upn(result, psf.rows, U1, inp.moves.frame)["statements"]
    [move] = [x["text"] for x in s["steps"] if x["rule"] == "move"]
    assert (s["stop"]["reason"], str(s["stop"]["date"])) == ("phase_end", "2013-09-01")
    assert "PSF follows" not in move and "no effect — PSF had already stopped" in move


def test_explain_upn_does_not_say_a_managed_move_after_census_day_moves_psf_a_casual_move_had_ended__spec_11_6(
        tmp_path):
    """In a period that starts before the policy (SPEC §11.7), a casual move after census day ends PSF (FAQ 3); a
    managed move a fortnight later carries nothing, as the move step says, yet the census step said "PSF moves on
    the move's date"."""
    path = write_run(tmp_path, statements=[STATEMENTS[1]], census=[pupil(U2, "H", "2005-05-05")],
                     period={"start": "2012-04-01", "end": "2013-03-31"}, year="2012-13",
                     moves=[{"upn": U2, "from_school_id": "A", "to_school_id": "B", "move_date": "2013-01-24",
                             "reason": "casual"},
                            {"upn": U2, "from_school_id": "B", "to_school_id": "H", "move_date": "2013-02-12",
                             "reason": "managed_move"}])
    result, psf, inp = run_for_explain(load_config(path))
    [s] = explain_upn(result, psf.rows, U2, inp.moves.frame)["statements"]
    census = next(x["text"] for x in s["steps"] if x["rule"] == "census")
    assert (s["stop"]["reason"], str(s["stop"]["date"])) == ("casual_move", "2013-01-24")
    assert "PSF moves" not in census and census.endswith("(casual_move, on 24/01/2013).")


def test_explain_shows_how_a_schools_protection_is_worked_from_its_clusters_floor_and_gain__spec_11_8(tmp_path):
    """A school asked how its protection figure was reached: explain had given the amount alone ("this school's part
    of its cluster's adjustment"), with no exact share, floor or penny.  It now gives its cluster's allocation last
    year and floor, its other elements this year, the raise to the floor or the part `s` of the gain given up, the
    cluster's adjustment and the school's part of it, each checked here against the files."""
    import csv
    from fractions import Fraction

    schools = [{"school_id": "A", "school_name": "School A", "cluster_id": "C1", "ssa": "0.00", "pupils": "100"},
               {"school_id": "B", "school_name": "School B", "cluster_id": "C1", "ssa": "0.00", "pupils": "200"},
               {"school_id": "H", "school_name": "School H", "cluster_id": "C2", "ssa": "0.00", "pupils": "{h}"},
               {"school_id": "K", "school_name": "School K", "cluster_id": "C2", "ssa": "0.00", "pupils": "50"}]
    formula = {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                            {"name": "per_pupil", "basis": "pupils", "remainder": True}]}
    years = {"last": ("2012-13", "2012-04-01", "2013-03-31", "2012-01-19", "600", {}),
             "this": ("2013-14", "2013-04-01", "2014-03-31", "2013-01-17", "300", {"floor_pct": -2})}
    for name, (year, start, end, census, h, floor) in years.items():
        (tmp_path / name).mkdir()
        config = write_run(tmp_path / name, statements=[statement(U1, "2002-08-31", school="A", annual="1200.00")],
                           schools=[{**s, "pupils": s["pupils"].format(h=h)} for s in schools], year=year,
                           period={"start": start, "end": end}, census_date=census,
                           formula={**formula, **({"protection": floor} if floor else {})})
        if name == "last":
            from senrun.pipeline import allocate
            from senrun.outputs.writer import write_outputs

            write_outputs(allocate(load_config(config)), tmp_path / "last" / "out", returns=False)
    result, _, _ = run_for_explain(load_config(config), previous=tmp_path / "last" / "out")

    def pence(text: str) -> int:
        return int(Fraction(text) * 100)

    last = {}
    for r in csv.DictReader((tmp_path / "last" / "out" / "schools.csv").open(encoding="utf-8")):
        last[r["cluster_id"]] = last.get(r["cluster_id"], 0) + pence(r["cluster_share"])
    steps = {sid: next(e for e in explain_school(result, sid)["formula"]["elements"] if e["element"] == "protection")
             for sid in "ABHK"}
    rows = {r["school_id"]: r for r in result.schools.iter_rows(named=True)}
    for cluster, ids in (("C1", "AB"), ("C2", "HK")):
        before = sum(rows[s]["cluster_share"] - rows[s]["formula_protection"] for s in ids)
        adjustment = sum(rows[s]["formula_protection"] for s in ids)
        for s in ids:
            step = steps[s]
            assert (step["last_year"], step["cluster_before"], step["cluster_adjustment"]) == (last[cluster], before,
                                                                                               adjustment)
            mine = rows[s]["cluster_share"] - rows[s]["formula_protection"]
            assert (step["units"], step["total_units"]) == (mine, before)
            exact = Fraction(adjustment * mine, before)
            assert abs(Fraction(step["exact_share_pence"]) - exact) <= Fraction(1, 20_000)
            assert step["floor_pence"] + step["extra_penny"] == step["amount"] == rows[s]["formula_protection"]
            assert step["extra_penny"] in (0, 1)
    bottom = last["C2"] * Fraction(98, 100)
    before_c2 = steps["H"]["cluster_before"]
    assert before_c2 < bottom and abs(steps["H"]["cluster_adjustment"] - (bottom - before_c2)) < 1  # raised
    assert "below the floor: it is raised by" in steps["H"]["text"]
    assert "of which every cluster that gained gives up the same part s =" in steps["A"]["text"]
    assert steps["A"]["cluster_adjustment"] == -steps["H"]["cluster_adjustment"] < 0  # the gains pay for it


def test_explain_on_the_terminal_gives_the_period_in_british_dates_as_its_other_dates__spec_7(tmp_path):
    # "period 2013-04-01 – 2014-03-31" had stood beside "took over … on 01/09/2013"
    config = write_run(tmp_path, statements=[statement(U1, "2005-05-05")])
    done = CliRunner().invoke(app, ["explain", "--config", str(config), "--school", "A"], terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "period 01/04/2013 – 31/03/2014" in done.output and "2013-04-01" not in done.output
