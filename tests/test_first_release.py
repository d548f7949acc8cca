"""A council that ran last year with the first release of senrun, and this year with this one.

tests/fixtures/first_release/2013-14/run/ is the output folder the first release wrote (its psf.csv,
schools.csv and manifest.json, byte for byte: a manifest with no run reference and no register). This
year's run is given it as --register, --previous and --previous-config's folder (docs/seven-years.md,
"Upgrading from the first release").
"""

from __future__ import annotations

import csv
from pathlib import Path

from builders import statement, write_run
from senrun.config.loader import load_config

LAST = Path(__file__).parent / "fixtures" / "first_release" / "2013-14"
PAID = LAST / "run"
U1, U2 = "B801200005001", "E801200005002"


def _this_year(tmp_path: Path) -> Path:
    """2014-15: the same statements; school B closed last August and is left out of the schools list."""
    schools = [{"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00",
                "pupils": "100"},
               {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "3000.00",
                "pupils": "300"}]
    statements = [statement(U1, "2005-05-05", school="A", annual="1200.00", statement_date="2010-03-01"),
                  statement(U2, "2005-05-05", school="H", statement_date="2010-03-01", ceased="2013-10-31")]
    (tmp_path / "2014-15").mkdir()
    return write_run(tmp_path / "2014-15", statements=statements, schools=schools, year="2014-15",
                     census_date="2014-01-16", period={"start": "2014-04-01", "end": "2015-03-31"},
                     budget={"pupil_specific_pot": 20000})


def _written(name: str) -> list[dict]:
    return list(csv.DictReader((PAID / name).open(encoding="utf-8")))


def test_a_first_release_folder_as_register_and_previous_holds_its_stops_and_gives_its_totals_as_last_year__spec_11_4(
        tmp_path):
    """The diff's last year is what the first release wrote, to the penny; the child whose PSF it ended
    (ceased) is not paid again; its register is said to be an earlier release's, which took none."""
    from senrun.pipeline import allocate
    from senrun.yearly.diff import diff_against

    result = allocate(load_config(_this_year(tmp_path)), register=PAID)
    diff = diff_against(result, PAID)
    wrote = {r["school_id"]: r["total"] for r in _written("schools.csv")}
    assert {s: f"{p / 100:.2f}" for s, p in diff.filter(diff["level"] == "school")
            .select("school_id", "previous_total").iter_rows()} == wrote
    lines = {r["upn"]: (r["reason"], r["paid_amount"]) for r in result.psf.iter_rows(named=True)}
    assert lines[U2] == ("stopped_last_year", 0)
    assert "register_without_register" in {i.code for i in result.issues}


def test_last_year_recomputed_from_a_first_release_folder_is_said_not_to_be_what_it_paid__spec_7(tmp_path):
    """--previous-config with the first release's folder: this release reads the schools list's `closed` column,
    which that release did not, so last year recomputed is not what was paid (school A: £5,113.89 against
    £5,016.67). Without --previous, diff.csv's previous_total had been the recomputation, with no word."""
    from senrun.pipeline import allocate
    from senrun.yearly.attribution import from_last_years_config
    from senrun.yearly.diff import diff_against

    result = allocate(load_config(_this_year(tmp_path)), register=PAID)
    found = from_last_years_config(result, LAST / "senrun.yaml", None)[2]
    [told] = [i for i in found if i.code == "previous_config_not_paid"]
    assert "school A: £5,113.89 recomputed, £5,016.67 written" in told.message
    assert "earlier release of senrun" in told.message and "give --previous run/ too" in told.message
    assert "\n" not in told.message
    with_previous = from_last_years_config(result, LAST / "senrun.yaml", diff_against(result, PAID), PAID)[2]
    [told] = [i for i in with_previous if i.code == "previous_config_not_paid"]
    assert "the change_* parts do not add up to each such change" in told.message

