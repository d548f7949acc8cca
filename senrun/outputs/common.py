"""What every writer of the outputs shares: limits, fixed text, money columns, the config flattened.

Kept free of Polars so that the processes writing the per-school returns start quickly.
"""

from __future__ import annotations

import re
from datetime import datetime

#: A table with more rows than this is written as CSV only; its sheet says where (SPEC §6).
MAX_SHEET_ROWS = 100_000

#: The creation time stamped in every workbook, so that re-runs are byte-identical (SPEC §6).
FIXED_CREATED = datetime(2000, 1, 1)

#: FAQ 2 and 13: the formula share is delegated to the cluster, not paid to the school.
NOTIONAL_NOTE = (
    "Your cluster share is notional: the money is delegated to your cluster, "
    "which decides how it is used (FAQ 2, 13)."
)
NOTIONAL_NOTE_WORKBOOK = (
    "A school's cluster_share is notional: the money is delegated to its cluster, "
    "which decides how it is used (FAQ 2, 13)."
)

FORMULA_PREFIX = "formula_"

#: Integer columns that hold pence in the run's frames (plus every formula_<element>).
MONEY_COLUMNS = frozenset({
    "ssa", "psf", "cluster_share", "cluster_allocation", "total",
    "annual_amount", "paid_amount", "released_amount", "amount",
    "previous_total", "current_total", "change", "element_total", "entitlement",
    "change_psf_runoff", "change_pupil_numbers", "change_formula", "change_other",
    "last_year_paid", "this_year_paid",  # the Reconciliation with last year's register (§11.4)
})

#: A cell beginning with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

FILE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def is_money(name: str) -> bool:
    """Whether a column of that name holds integer pence."""
    return name in MONEY_COLUMNS or name.startswith(FORMULA_PREFIX)


#: Names Windows keeps for devices, whatever their case and extension (`CON.xlsx` cannot be created).
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{p}{d}" for p in ("COM", "LPT") for d in range(10))})


def return_file_stem(school_id: str) -> str:
    """The stem of a school's return: characters other than ASCII letters, digits, - and _ become _,
    and a name Windows keeps for a device (CON, nul, Com1, LPT9, …) gets a _ after it."""
    stem = FILE_NAME_UNSAFE.sub("_", school_id) or "_"
    return stem + "_" if stem.upper() in WINDOWS_RESERVED else stem


def senrun_version() -> str:
    """senrun's version: `senrun.__version__`, else the installed distribution's, else 0.0.0."""
    try:
        import senrun

        version = getattr(senrun, "__version__", None)
        if version:
            return str(version)
    except ImportError:  # pragma: no cover - senrun is importable wherever this runs
        pass
    try:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        return dist_version("senrun")
    except PackageNotFoundError:
        return "0.0.0"


def flatten_config(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """The config as (key path, value) rows: `budget.pupil_specific_pot`, `formula.elements[lump_sum].rate`.

    Items of a list of mappings are named by their `name` where they have one (and the name
    is then not repeated as a row of its own), else by index.
    Lists of plain values stay one row (their text).  Mappings keep the config's key order.
    """
    if isinstance(value, dict):
        if not value:
            return [(prefix, "{}")] if prefix else []
        rows: list[tuple[str, object]] = []
        for key, item in value.items():
            rows += flatten_config(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value):
        rows = []
        for i, item in enumerate(value):
            if isinstance(item, dict) and "name" in item and len(item) > 1:
                rest = {k: v for k, v in item.items() if k != "name"}  # the name is in the path
                rows += flatten_config(rest, f"{prefix}[{item['name']}]")
            else:
                rows += flatten_config(item, f"{prefix}[{i}]")
        return rows
    if isinstance(value, (list, tuple)):
        return [(prefix, "[" + ", ".join(plain_text(v) for v in value) + "]")]
    return [(prefix, value)]


def plain_text(value: object) -> str:
    """A config value as a person would type it in YAML: true/false, numbers, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
