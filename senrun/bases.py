"""The schools input as the formula's bases read it (SPEC §1, §11.1, §11.2): need columns kept
exactly as written, blank clusters only outside the formula, the council's pupil numbers.

Loops here run over schools, never over pupils.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from .checks import MAX_LISTED
from .errors import Issues
from .inputs.load import Table
from .inputs.schema import CLUSTER_ID, PUPILS_OVERRIDE, ROW, SCHOOL_ID
from .schools import in_formula


def parse_need_column(schools: Table, name: str, issues: Issues) -> None:
    """A need column's values kept exactly as written, as decimal text ("0.34234786"; blank is 0): the
    formula uses every digit (SPEC §1), so it is never turned into a binary float."""
    from .inputs.cells import as_text

    if schools.frame.schema[name] == pl.String:
        texts = schools.frame[name]
    else:
        texts = as_text(schools.frame[name])  # a typed number cell as a person sees it
    exact = []
    for row, raw in zip(schools.frame[ROW].to_list(), texts.to_list()):
        value = exact_number(raw)
        if value is None:
            issues.error("bad_value", f'"{raw}" is not a non-negative number', **schools.where(name, row),
                         expected="a number of units, 0 or more")
        exact.append(format(value, "f") if value is not None else "0")
    schools.frame = schools.frame.with_columns(pl.Series(name, exact, dtype=pl.String))


def exact_number(raw: str | None) -> Decimal | None:
    """A cell's number exactly (commas allowed); blank is 0; None if it is not a number of 0 or more."""
    text = (raw or "").strip().replace(",", "")
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def check_blank_clusters(schools: Table, issues: Issues) -> None:
    """A blank cluster_id is allowed only for a setting outside the formula (SPEC §11.2); elsewhere it is
    the same "is empty" error as any required cell."""
    from .inputs.cells import EMPTY

    blank = schools.frame.filter(pl.col(CLUSTER_ID).is_null() & in_formula(schools.frame)).sort(ROW)
    for row in blank.head(MAX_LISTED)[ROW].to_list():
        issues.error("empty_value", EMPTY, **schools.where(CLUSTER_ID, row),
                     expected="the cluster the school belongs to (blank only with in_formula: no)")


def warn_overrides(frame: pl.DataFrame, schools: Table, issues: Issues) -> None:
    """One warning listing every school whose pupils the council set, with the count it replaced (SPEC §11.1)."""
    rows = frame.filter(pl.col(PUPILS_OVERRIDE).is_not_null()).sort(SCHOOL_ID)
    listed = [f"{sid} {_whole_number(v)} (counted {counted})" for sid, v, counted in
              rows.select(SCHOOL_ID, PUPILS_OVERRIDE, "_basis_pupils").iter_rows()]
    issues.warn("pupils_override", f"pupils_override sets the pupils of {len(listed)} school(s): "
                + "; ".join(listed), **schools.where(PUPILS_OVERRIDE))


def _whole_number(value: float) -> str:
    return str(int(round(value))) if value == int(value) else f"{value} (rounded to {int(round(value))})"
