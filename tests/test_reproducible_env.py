"""The same inputs, config and version give the same outputs whatever the machine they run on (SPEC §6):
its time zone, its operating system."""

from __future__ import annotations

import io
import sys
import time
import zipfile
from datetime import datetime, timedelta

import pytest

from senrun.accept import Acceptance, draft_entries, sort_issues
from senrun.calendar import shift_years
from senrun.errors import WARNING, Issue
from senrun.onboard.templates import template_bytes
from senrun.outputs import xlsxpack

try:
    from zoneinfo import ZoneInfo

    LONDON = ZoneInfo("Europe/London")
except Exception:  # no time zone database (Windows without tzdata)
    LONDON = None

#: Zones where today is another day than in England for at least half of every day: one 14 hours ahead of
#: UTC, one 12 hours behind, so that at any moment one of them differs from England.
FAR_ZONES = ("Pacific/Kiritimati", "Etc/GMT+12")


@pytest.fixture
def machine_zone(monkeypatch):
    """Set the process's time zone, as a machine's TZ would, and put it back afterwards."""
    if not hasattr(time, "tzset") or LONDON is None:
        pytest.skip("needs time.tzset and a time zone database")

    def set_zone(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def test_an_accepted_warning_expires_by_the_day_in_england_whatever_the_machines_time_zone_spec_6(machine_zone):
    today = datetime.now(LONDON).date()
    warning = Issue("census_outside", WARNING, "census rows at school 9267001, not in the schools input",
                    file="census.csv", row=9)
    still_in_date = Acceptance("census_outside", "known", today, row=9, file="census.csv")
    ended_yesterday = Acceptance("census_outside", "known", today - timedelta(days=1), row=9, file="census.csv")
    for zone in FAR_ZONES:
        machine_zone(zone)
        assert len(sort_issues([warning], (still_in_date,)).accepted) == 1, zone
        assert len(sort_issues([warning], (ended_yesterday,)).expired) == 1, zone
        assert draft_entries([warning], "TO CHECK")[0]["until"] == shift_years(today, 1).isoformat(), zone


def _small_book():
    from senrun.outputs.xlsx import open_book

    buffer = io.BytesIO()
    book = open_book(buffer, "SEN funding 2013-14")
    book.add_worksheet("Schools").write_string(0, 0, "Walby Community Primary School")
    return book, buffer


def _workbooks() -> dict[str, bytes]:
    """A workbook as each of senrun's ways of packaging one writes it: plain XlsxWriter (every workbook when
    the fast paths are off), the fast path of the allocation workbook and simulate.xlsx, an input template."""
    return {"plain": xlsxpack.close_plain(*_small_book()), "fast": xlsxpack.pack(*_small_book()),
            "template": template_bytes("schools")}


def test_workbooks_written_on_windows_are_byte_identical_to_those_written_elsewhere_spec_6(monkeypatch):
    xlsxpack.fallback_reason()  # (the fast paths checked on this system first, as a run does)
    elsewhere = _workbooks()
    monkeypatch.setattr(sys, "platform", "win32")  # what zipfile asks when it records the system a part is made on
    on_windows = _workbooks()
    monkeypatch.undo()
    for way, data in on_windows.items():
        assert {part.create_system for part in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {3}, way
        assert data == elsewhere[way], way
