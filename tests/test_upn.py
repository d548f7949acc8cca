"""The UPN check letter (SPEC §8), cross-checked with python-stdnum's `stdnum.gb.upn`."""

from __future__ import annotations

import polars as pl
import pytest
from builders import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.gb import upn as stdnum_upn

from senrun.errors import Issues
from senrun.inputs.load import Table
from senrun.checks import upn_letters
from senrun.inputs.upn import ALPHABET, check_letter, upn_status

#: LA codes stdnum knows (its LA-code check is stricter than senrun's, which checks the letter only).
LA_CODES = ["926", "801", "201", "330", "919"]


def status(*upns: str) -> list[str]:
    return pl.DataFrame({"u": list(upns)}).select(upn_status(pl.col("u")).alias("s"))["s"].to_list()


def test_the_spec_example_is_valid():
    assert check_letter("801200005001") == "B"
    assert status("B801200005001") == ["ok"]
    assert stdnum_upn.is_valid("B801200005001")


@pytest.mark.parametrize("body", ["926200113001", "926400109003", "801200005001", "330123412345", "919999900000"])
def test_constructed_upns_agree_with_stdnum(body):
    upn = check_letter(body) + body
    assert stdnum_upn.is_valid(upn)
    assert stdnum_upn.calc_check_digit(body) == upn[0]
    assert status(upn) == ["ok"]


@settings(max_examples=examples(100, 400), deadline=None)
@given(la=st.sampled_from(LA_CODES), rest=st.text("0123456789", min_size=9, max_size=9))
def test_any_permanent_upn_gets_the_same_letter_as_stdnum(la, rest):
    body = la + rest
    upn = check_letter(body) + body
    assert stdnum_upn.is_valid(upn)
    assert status(upn) == ["ok"]


@pytest.mark.parametrize("body", ["926200113001", "801200005001"])
def test_every_other_letter_is_wrong(body):
    good = check_letter(body)
    wrong = [letter + body for letter in ALPHABET if letter != good]
    assert set(status(*wrong)) == {"bad_letter"}
    assert not any(stdnum_upn.is_valid(u) for u in wrong)


def test_a_typing_slip_in_the_digits_is_caught():
    assert status("B801200005002") == ["bad_letter"]  # last digit changed, letter kept
    assert status("B801200050001") == ["bad_letter"]  # two digits swapped


@pytest.mark.parametrize("last", ["A", "K", "Z"])
def test_temporary_upns_end_in_a_letter_and_are_accepted(last):
    body = "92620011300" + last
    upn = check_letter(body) + body
    assert stdnum_upn.is_valid(upn)  # stdnum agrees on the letter's value
    assert status(upn) == ["temporary"]


@pytest.mark.parametrize("text", ["B80120000500", "B8012000050011", "I801200005001", "B80120000500I",
                                  "B8012000050A1", "1801200005001"])
def test_malformed_upns(text):
    assert status(text) == ["malformed"]


def test_upn_problems_are_warnings_naming_the_row_and_header():
    temp_body = "92620011300A"
    frame = pl.DataFrame({"_row": [2, 3, 4, 5], "upn": ["B801200005001", "A801200005001",
                                                       check_letter(temp_body) + temp_body, "X12"]})
    table = Table("census", "census.csv", None, frame, headers={"upn": "Pupil UPN"})
    issues = Issues()
    upn_letters(table, issues)
    assert not issues.errors
    assert [(i.code, i.row, i.column) for i in issues.warnings] == [
        ("upn_bad_letter", 3, "Pupil UPN"), ("upn_temporary", 4, "Pupil UPN"), ("upn_malformed", 5, "Pupil UPN")]
    assert "check letter" in issues.warnings[0].message
