"""Checks across inputs (SPEC §8): duplicates, unknown schools, UPNs, census consistency.

Each check takes the parsed tables and appends Issues; none stops the run by itself —
the pipeline raises once with every error found.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from .calendar import nc_year
from .errors import Issues
from .inputs import Table
from .schema import (CLUSTER_ID, CLUSTER_NAME, DOB, NC_YEAR_TAUGHT, REASON, ROW, SCHOOL_ID, STREAM, TO_SCHOOL, UPN)
from .upn import upn_status

MAX_LISTED = 200


def duplicates(table: Table, keys: list[str], issues: Issues, what: str) -> None:
    """Every row after the first that repeats `keys` is an error naming both rows."""
    frame = table.frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    dup = (frame.with_columns(pl.col(ROW).min().over(keys).alias("_first"))
           .filter(pl.col(ROW) != pl.col("_first")).sort(ROW))
    for rec in dup.head(MAX_LISTED).iter_rows(named=True):
        value = " / ".join(str(rec[k]) for k in keys)
        issues.error("duplicate", f"{what} {value} appears again (first at row {rec['_first']})",
                     **table.where(keys[0], rec[ROW]), value=value)


def unknown_schools(table: Table, column: str, school_ids: pl.Series, issues: Issues, what: str,
                    only: pl.Expr | None = None) -> None:
    """Rows whose `column` names a school that the schools input does not hold."""
    frame = table.frame if only is None else table.frame.filter(only)
    bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(school_ids.implode())).sort(ROW)
    for rec in bad.head(MAX_LISTED).iter_rows(named=True):
        issues.error("unknown_school", f"{what} '{rec[column]}' is not in the schools input",
                     **table.where(column, rec[ROW]), value=rec[column], expected="a school_id of the schools input")


def upn_letters(table: Table, issues: Issues) -> None:
    """Wrong check letters and temporary UPNs are warnings: the child may still be matched."""
    checked = table.frame.select(ROW, UPN, upn_status(pl.col(UPN)).alias("_s")).filter(
        pl.col(UPN).is_not_null() & (pl.col("_s") != "ok")).sort(ROW)
    messages = {"bad_letter": "has a wrong check letter (a typing slip in the UPN?)",
                "malformed": "is not a UPN: a check letter, then 12 digits (the last may be a letter)",
                "temporary": "is a temporary UPN (accepted; replace it with the permanent one when issued)"}
    for row, upn, status in checked.head(MAX_LISTED).iter_rows():
        issues.warn(f"upn_{status}", f'"{upn}" {messages[status]}', **table.where(UPN, row), value=upn,
                    expected="a letter then 12 digits, with a valid check letter")


def school_clusters(schools: Table, issues: Issues) -> None:
    """A blank cluster is caught as an empty value; here, a cluster given two names (the row of the
    first school whose cluster name differs from the first one seen)."""
    if CLUSTER_NAME not in schools.frame.columns:
        return
    named = schools.frame.filter(pl.col(CLUSTER_NAME).is_not_null()).sort(ROW)
    differs = (named.with_columns(pl.col(CLUSTER_NAME).first().over(CLUSTER_ID).alias("_first_name"))
               .filter(pl.col(CLUSTER_NAME) != pl.col("_first_name")).unique(CLUSTER_ID, keep="first").sort(ROW))
    for rec in differs.iter_rows(named=True):
        issues.warn("cluster_names", f"cluster {rec[CLUSTER_ID]} is named '{rec[CLUSTER_NAME]}' here but "
                    f"'{rec['_first_name']}' above; the first name is used",
                    **schools.where(CLUSTER_NAME, rec[ROW]), value=rec[CLUSTER_NAME])


def census_outside(census: Table, school_ids: pl.Series, issues: Issues) -> None:
    """Census rows at schools outside the schools input are not counted (e.g. special schools)."""
    out = (census.frame.filter(~pl.col(SCHOOL_ID).is_in(school_ids.implode()))
           .group_by(SCHOOL_ID).agg(pl.len().alias("n"), pl.col(ROW).min().alias("first")).sort(SCHOOL_ID))
    for sid, n, first in out.iter_rows():
        issues.warn("census_outside", f"{n:,} census rows at school {sid}, which is not in the schools input: "
                    "not counted", **census.where(SCHOOL_ID, first), value=sid)


def taught_years(census: Table, census_date: date, dobs: pl.DataFrame, issues: Issues) -> None:
    """A taught year that differs from the age-based year is reported; funding follows age (FAQ 4–5)."""
    if NC_YEAR_TAUGHT not in census.frame.columns:
        return
    aged = (census.frame.select(ROW, UPN, NC_YEAR_TAUGHT, DOB).join(dobs, on=UPN, how="left")
            .with_columns(nc_year(pl.coalesce("statement_dob", DOB), census_date).alias("_age"))
            .filter(pl.col(NC_YEAR_TAUGHT).is_not_null() & (pl.col(NC_YEAR_TAUGHT) != pl.col("_age"))).sort(ROW))
    for row, taught, age in aged.select(ROW, NC_YEAR_TAUGHT, "_age").head(MAX_LISTED).iter_rows():
        issues.warn("taught_year", f"taught in year {_year(taught)} but age-based year is {_year(age)}; "
                    "funding follows the age-based year (FAQ 4-5)", **census.where(NC_YEAR_TAUGHT, row),
                    value=_year(taught))
    if aged.height > MAX_LISTED:
        issues.warn("taught_year", f"{aged.height - MAX_LISTED:,} more taught-year differences",
                    **census.where(NC_YEAR_TAUGHT))


def _year(nc: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(nc, str(nc))


def dob_differs(census: Table, statements: Table, issues: Issues) -> None:
    """A date of birth that differs between census and statements: statements win."""
    joined = (statements.frame.select(ROW, UPN, DOB).unique(UPN, keep="first")
              .join(census.frame.select(UPN, pl.col(DOB).alias("_census_dob")), on=UPN, how="inner")
              .filter(pl.col(DOB) != pl.col("_census_dob")).sort(ROW))
    for row, _, dob, cdob in joined.head(MAX_LISTED).iter_rows():
        issues.warn("dob_differs", f"date of birth {dob:%d/%m/%Y} differs from the census ({cdob:%d/%m/%Y}); "
                    "the statement's is used", **statements.where(DOB, row))


def moves_reasons(moves: Table, school_ids: pl.Series, issues: Issues) -> None:
    """A managed move's receiving school must be in the schools input (it carries PSF there)."""
    unknown_schools(moves, TO_SCHOOL, school_ids, issues, "receiving school",
                    only=pl.col(REASON) == "managed_move")


def statement_keys(statements: Table, issues: Issues) -> None:
    """One row per child and stream (a blank stream was read as PSF)."""
    duplicates(statements, [UPN, STREAM], issues, "statement (UPN / stream)")
