"""Chains of years under the register (SPEC §11.3, §11.4), as scenarios named as sentences citing
the SPEC or the FAQ.  Each year runs through the library's `allocate`; amounts are integer pence."""

from __future__ import annotations

import yaml

from builders import BASE_CONFIG, SCHOOLS, lines_of, write_csv
from senrun.config.loader import load_config
from senrun.pipeline import allocate

U1 = "B801200005001"
HISTORY = ["upn", "date_of_birth", "statement_date", "school_id", "annual_amount", "stream", "ceased_date",
           "effective_date", "event"]


def row(event: str, effective: str = "", amount: str = "", statement_date: str = "2010-01-01") -> dict:
    return {"upn": U1, "date_of_birth": "2005-05-05", "statement_date": statement_date, "school_id": "A",
            "annual_amount": amount, "stream": "PSF", "effective_date": effective, "event": event}


def year(folder, statements: list[dict], register=None, **overrides):
    folder.mkdir(parents=True, exist_ok=True)
    cfg = {**BASE_CONFIG, **overrides}
    cfg["inputs"] = {"schools": {"path": write_csv(folder / "schools.csv", SCHOOLS).name},
                     "statements": {"path": write_csv(folder / "statements.csv", statements, HISTORY).name}}
    (folder / "senrun.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return allocate(load_config(folder / "senrun.yaml"), register=register)


def test_a_reissue_after_a_ceasing_is_a_new_statement_though_an_amendment_ignored_after_the_ceasing_comes_between__spec_11_3(
        tmp_path):
    r = year(tmp_path, [row("issued", amount="8400.00"), row("ceased", "2013-06-01"),
                        row("amended", "2013-07-01", "9000.00"),
                        row("reissued", "2013-09-01", "9000.00", statement_date="2013-09-01")])
    assert sorted(lines_of(r, U1)) == [("A", 0, 0, "post_policy_statement"), ("A", 140000, 700000, "ceased")]
    assert [w.code for w in r.warnings if w.code.startswith("amended")] == ["amended_after_ceasing"]


def test_an_issued_row_after_a_ceasing_and_an_ignored_amendment_is_the_reissue_it_is__spec_11_3(tmp_path):
    # The same history with the new statement written "issued", as a council's system may: it had been the §8
    # duplicate, with advice to make it an amendment.  It is the reissue above, paid as that is.
    r = year(tmp_path, [row("issued", amount="8400.00"), row("ceased", "2013-06-01"),
                        row("amended", "2013-07-01", "9000.00"),
                        row("issued", "2013-09-01", "9000.00", statement_date="2013-09-01")])
    assert sorted(lines_of(r, U1)) == [("A", 0, 0, "post_policy_statement"), ("A", 140000, 700000, "ceased")]
