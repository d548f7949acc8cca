"""The machine-readable tables: schools.csv, clusters.csv, psf.csv, diff.csv (SPEC §6).

Money is written as pounds with exactly two decimals, built from integer pence by integer
arithmetic (never through a float).  Dates are ISO.  Text that a spreadsheet would run as
a formula (beginning = + - @, tab or carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import io
import re

import polars as pl

from .common import FORMULA_PREFIX, FORMULA_TRIGGERS, is_money

SCHOOLS_HEAD = ("school_id", "school_name", "cluster_id", "pupils", "ssa", "psf")
SCHOOLS_TAIL = ("cluster_share", "total")
CLUSTERS_HEAD = ("cluster_id", "cluster_name", "schools", "pupils", "ssa", "psf")
CLUSTERS_TAIL = ("cluster_allocation", "total")
PSF_COLUMNS = (
    "upn", "stream", "psf_school_id", "paid_school_id", "annual_amount",
    "paid_from", "paid_to", "paid_amount", "released_amount", "reason",
)


def formula_columns(frame: pl.DataFrame) -> list[str]:
    """The frame's `formula_<element>` columns, in the frame's (config) order."""
    return [c for c in frame.columns if c.startswith(FORMULA_PREFIX)]


def schools_table(schools: pl.DataFrame) -> pl.DataFrame:
    """The columns of schools.csv, in order."""
    return schools.select(*SCHOOLS_HEAD, *formula_columns(schools), *SCHOOLS_TAIL)


def clusters_table(clusters: pl.DataFrame) -> pl.DataFrame:
    """The columns of clusters.csv, in order."""
    return clusters.select(*CLUSTERS_HEAD, *formula_columns(clusters), *CLUSTERS_TAIL)


def psf_table(psf: pl.DataFrame) -> pl.DataFrame:
    """The columns of psf.csv, in order."""
    return psf.select(*PSF_COLUMNS)


def pounds_expr(name: str) -> pl.Expr:
    """Integer pence as pounds text with two decimals, by integer arithmetic: -5 → '-0.05'."""
    return two_places(pl.col(name).cast(pl.Int64)).alias(name)


def two_places(hundredths: pl.Expr) -> pl.Expr:
    """A whole number of hundredths as text with two decimals: -5 → '-0.05', 1250 → '12.50'."""
    magnitude = hundredths.abs()
    sign = pl.when(hundredths < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        sign,
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


#: Text beginning with any of FORMULA_TRIGGERS (one pass over a column, not one per trigger).
RISKY_START = "^[" + "".join(re.escape(t) for t in FORMULA_TRIGGERS) + "]"


#: A formula character after a separator: Excel set to split at `;` (or a tab) would start a cell there, so
#: `Safe;=cmd|' /C calc'!A0` would run as a formula in a cell of its own.
RISKY_INSIDE = r"([,;\t]\s*)([=+\-@])"


def guarded_expr(name: str) -> pl.Expr:
    """Text with a ' wherever a spreadsheet would otherwise run what follows as a formula: at its start, and
    after any separator (`,` `;` tab) that a spreadsheet might split the field at."""
    text = pl.col(name)
    inside = pl.when(text.str.contains(RISKY_INSIDE)).then(text.str.replace_all(RISKY_INSIDE, "$1'$2"))
    text = inside.otherwise(text)
    return pl.when(text.str.contains(RISKY_START)).then(pl.lit("'") + text).otherwise(text).alias(name)


#: Columns of numbers held to two decimals (diff.csv's per cents), written with both places.
TWO_PLACES = ("change_pct",)


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Text guarded, integer money as pounds text; other columns unchanged."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            exprs.append(guarded_expr(name))
        elif is_money(name) and dtype.is_integer():
            exprs.append(pounds_expr(name))
        elif name in TWO_PLACES and dtype.is_float():  # 0.00 and 12.50, as -1.62 is: not Polars' 0.0 and 12.5
            exprs.append(two_places((pl.col(name) * 100).round(0).cast(pl.Int64)).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A table as UTF-8 CSV (no BOM, \\n line endings, ISO dates, blank for null)."""
    buffer = io.BytesIO()  # Polars writes UTF-8 bytes straight in: no 40 MB str to encode at England scale
    csv_ready(frame).write_csv(buffer, include_bom=False, line_terminator="\n", date_format="%Y-%m-%d",
                               null_value="")
    return buffer.getvalue()
