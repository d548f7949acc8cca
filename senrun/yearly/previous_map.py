"""A council's own last-year spreadsheet as `--previous`, read through the config's `previous:` map
(issue 13, point 5): its headers → school_id, cluster_id, total; money as numbers or `£` text.

    previous:
      sheet: 2012-13              # a workbook's sheet (default: the first)
      header_row: 3               # default: the first row that holds every mapped header
      columns: {"LA Estab": school_id, "Cluster": cluster_id, "Total allocation": total}
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import ERROR, Issue, SenrunError, holds_child_data, looks_personal
from ..inputs.headers import norm
from ..inputs.parse import parse_money
from ..inputs.schema import CLUSTER_ID, SCHOOL_ID

HEADER_SEARCH_ROWS = 30

#: The code of a problem with the file given as --previous (last year's run), not with an input.
PREVIOUS = "previous"


def last_years_issue(path: Path, message: str, **where) -> Issue:
    """A problem with the file given as `--previous`, named as such: a census given by mistake read "census.csv: no
    column school_id", as if the census input were wrong.  A cell's `value` quoted in it that looks like a child's
    UPN or date of birth is hidden (a census's row where last year's totals were looked for)."""
    value = where.get("value")
    if value is not None and "personal" not in where and _a_childs(value):
        where["personal"] = (str(value),)
    return Issue(PREVIOUS, ERROR, f"(given as --previous) {message}", file=path.name, **where)


def last_years_file(path: Path, message: str, **where) -> SenrunError:
    """`last_years_issue`, to raise."""
    return SenrunError(last_years_issue(path, message, **where))


def columns_found(headers) -> str:
    """A file's header cells as a message lists them.  A file given with no header row (a census given by mistake)
    has a child's row there, which is not quoted at all, as an input's is not: beside the cells shaped like the
    child's UPN or date of birth are their name, address or PSF."""
    if any(_a_childs(h) for h in headers):
        return "the row read as the headers holds a child's data (a UPN or a date), not headers"
    return f"columns found: {', '.join(str(h) for h in headers) or '(none)'}"


def _a_childs(text: object) -> bool:
    """Whether a cell quoted from last year's file could be a child's UPN or date of birth, alone or among words."""
    return looks_personal(text) or holds_child_data(text)


def _finder(headers: list[str], header_row: int | None):
    """The header row: the one given, else the first of the top rows holding most mapped headers."""
    wanted = {norm(h) for h in headers}

    def find(top: pl.DataFrame) -> int:
        if header_row:
            return header_row - 1
        hits = [len(wanted & {norm(v) for v in row if v is not None})
                for row in top.head(HEADER_SEARCH_ROWS).iter_rows()]
        return max(range(len(hits)), key=lambda i: (hits[i], -i)) if hits else 0
    return find


def read_mapped_previous(path: Path, spec: dict, own=None, snap=None) -> pl.DataFrame:
    """school_id, cluster_id, total (Int64 pence) from a council's own spreadsheet, by `spec`; a file
    without the mapped headers is tried as senrun's own output with `own(path)` (the year after a
    council's first run, --previous is senrun's schools.csv while the config still has the map).  Given
    `snap` (the file as read once, inputs.snapshot), its bytes are read, not the file again."""
    from ..inputs.excel import Unreadable
    from ..inputs.reading import read_raw

    columns = dict(spec["columns"])
    try:
        raw = read_raw(path, spec.get("sheet"), _finder(list(columns), spec.get("header_row")), snap=snap)
    except Unreadable as exc:  # (senrun's allocations.xlsx has no sheet of the map's name)
        if own is not None:
            try:
                return own(path)
            except SenrunError:
                pass
        raise last_years_file(path, str(exc)) from None
    by_norm = {norm(h): h for h in raw.headers}
    missing = [h for h in columns if norm(h) not in by_norm]
    if missing and own is not None:
        try:
            return own(path)
        except SenrunError:
            pass  # neither: report the mapped headers it lacks
    if missing:
        raise last_years_file(path, f"no column {', '.join(repr(m) for m in missing)} (named in the config's "
                              f"previous.columns); {columns_found(raw.headers)}", sheet=raw.sheet or None)
    found = {target: by_norm[norm(h)] for h, target in columns.items()}
    raw.select(list(found.values()))
    frame = pl.DataFrame({t: raw.column(h).cast(pl.String) for t, h in found.items()}).with_columns(
        pl.Series("_row", raw.rows()))
    frame = frame.with_columns(pl.col(SCHOOL_ID).str.strip_chars(), pl.col(CLUSTER_ID).str.strip_chars(),
                               parse_money("total").alias("_pence"))
    frame = frame.filter(pl.col(SCHOOL_ID).is_not_null() & (pl.col(SCHOOL_ID) != ""))  # blank and total lines
    bad = frame.filter(pl.col("_pence").is_null())
    if bad.height:
        row, text = bad.row(0, named=True)["_row"], bad.row(0, named=True)["total"]
        raise last_years_file(path, f"\"{text}\" is not an amount in pounds (expected e.g. £1,234.56)"
                              f"{f' — and {bad.height - 1:,} more' if bad.height > 1 else ''}", sheet=raw.sheet or None,
                              row=row, column=found['total'], value=text)
    return frame.select(SCHOOL_ID, CLUSTER_ID, pl.col("_pence").alias("total"))
