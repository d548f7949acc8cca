"""Build small runs for tests: rows as dicts → CSV files and a YAML config → allocate.

Tests state their inputs as plainly as a finance officer would write them, and go through
senrun's real readers, so nothing is stubbed.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import yaml

from senrun.config.loader import load_config
from senrun.outputs.returnbook import SchoolReturn
from senrun.outputs.xlsxpack import BookPacker
from senrun.pipeline import allocate

#: `make test-slow` (SENRUN_SLOW=1): every case of the long loops, and more examples of each property.
SLOW = bool(os.environ.get("SENRUN_SLOW"))


def examples(fast: int, slow: int) -> int:
    """A property test's number of examples: `fast` in `make test` (kept under 3 minutes), `slow` in
    `make test-slow`."""
    return slow if SLOW else fast


BASE_CONFIG = {
    "year": "2013-14",
    "period": {"start": "2013-04-01", "end": "2014-03-31"},
    "census_date": "2013-01-17",
    "policy": {"start": "2012-09-01"},
    "budget": {"pupil_specific_pot": 1000000},
    "topslices": [],
    "formula": {"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 10},
                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]},
}

SCHOOLS = [
    {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "1000.00", "pupils": "100"},
    {"school_id": "B", "school_name": "Bromwell Primary", "cluster_id": "C1", "ssa": "2000.00", "pupils": "200"},
    {"school_id": "H", "school_name": "Hilltop High", "cluster_id": "C1", "ssa": "3000.00", "pupils": "300"},
]


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    header = header or (list(rows[0]) if rows else [])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, restval="")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def write_run(folder: Path, *, statements: list[dict], schools: list[dict] | None = None,
              census: list[dict] | None = None, moves: list[dict] | None = None, links: list[dict] | None = None,
              **overrides) -> Path:
    """Write the inputs and a config into `folder`; return the config's path."""
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE_CONFIG.items()}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    inputs = {"schools": {"path": write_csv(folder / "schools.csv", schools or SCHOOLS).name},
              "statements": {"path": write_csv(folder / "statements.csv", statements,
                                               ["upn", "date_of_birth", "statement_date", "school_id",
                                                "annual_amount", "stream", "ceased_date"]).name}}
    if census is not None:
        header = list(dict.fromkeys(["upn", "school_id", "date_of_birth", *(k for r in census for k in r)]))
        inputs["census"] = {"path": write_csv(folder / "census.csv", census, header).name}
    if moves is not None:
        inputs["moves"] = {"path": write_csv(folder / "moves.csv", moves,
                                             ["upn", "from_school_id", "to_school_id", "move_date", "reason"]).name}
    if links is not None:
        inputs["links"] = {"path": write_csv(folder / "links.csv", links).name}
    cfg["inputs"] = inputs
    path = folder / "senrun.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run(folder: Path, **kwargs):
    """write_run, then allocate through the library's front door."""
    return allocate(load_config(write_run(folder, **kwargs)))


def statement(upn: str, dob: str, school: str = "A", annual: str = "8400.00", stream: str = "PSF",
              statement_date: str = "2010-01-01", ceased: str = "") -> dict:
    return {"upn": upn, "date_of_birth": dob, "statement_date": statement_date, "school_id": school,
            "annual_amount": annual, "stream": stream, "ceased_date": ceased}


def pupil(upn: str, school: str, dob: str) -> dict:
    return {"upn": upn, "school_id": school, "date_of_birth": dob}


def lines_of(result, upn: str) -> list[tuple]:
    """(paid_school_id, paid_amount, released_amount, reason) for a child, in order."""
    f = result.psf.filter(result.psf["upn"] == upn)
    return [tuple(r) for r in f.select("paid_school_id", "paid_amount", "released_amount", "reason").iter_rows()]


#: One school's return with every block filled: the seed the returns' byte-for-byte tests vary.
ONE_RETURN = SchoolReturn("returns/S1.xlsx", "S1", "Ash & Elm <Primary>", "C1", "North", "2013-14",
                          "1 April 2013 – 31 March 2014", 411523, 250000, 1234567, 1896090, 9999999, 1800000,
                          "SEN funding team, 01234 567890", "01/04/2013", "delegated", "0a1b2c3d", True,
                          (("Lump sum", "a fixed sum per school", 1, "5000", 500000),
                           ("Per pupil", "pupils", "312", "2354.3814", 734567)),
                          (("A123456789012", "main", 36000, 41365, 41729, 600000, 250000, 42614,
                            "continues beyond this period, to the end of primary phase", 2),))


# --- workbooks from a template against XlsxWriter's own (test_return_template, test_pack_template) ---

def written_plainly(new_book, title: str, draw) -> bytes:
    """The workbook `new_book(title)` drawn by `draw(sheet or sheets, formats)`, closed by XlsxWriter alone."""
    book, buffer, sheets, fmt = new_book(title)
    draw(sheets, fmt)
    book.close()
    return buffer.getvalue()


def outcome(write, item) -> bytes | type:
    """The bytes written, or the kind of error raised."""
    try:
        return write(item)
    except Exception as exc:  # noqa: BLE001 — both ways must fail alike
        return type(exc)


def learnt_packer(from_template, plain, first) -> BookPacker:
    """A packer whose template was learnt from `first`, which it wrote as XlsxWriter does."""
    packer = BookPacker()
    assert from_template(packer, first) == plain(first)
    assert packer._template, "the first workbook did not give a template"
    return packer
