"""The run's tables as people read them in the workbooks: names beside ids, reasons in words,
Yes/No, last year beside this year (SPEC §6, round 2).

Every function takes the run's frames and returns a new frame; the CSVs keep the code names
and codes (they are for machines), the workbooks show these.
"""

from __future__ import annotations

import polars as pl

from ..result import RunResult
from . import common
from .tables import visible

#: The bands of a winners-and-losers count, in order: (label, lowest %, highest %) of the change,
#: each bound exclusive unless it is 0 (no change is its own band).
BANDS = ("Gain over 5%", "Gain of 0–5%", "No change", "Loss of 0–5%", "Loss over 5%")


def headers(frame: pl.DataFrame, result: RunResult) -> list[str]:
    """The frame's column headings for people: elements by their titles, other columns by label."""
    titles = {e.name: e.title for e in result.config.elements}
    return [common.column_label(c, titles) for c in frame.columns]


def words(frame: pl.DataFrame) -> pl.DataFrame:
    """Reasons in words and Yes/No for true/false."""
    out = frame
    if "reason" in out.columns:
        out = out.with_columns(pl.col("reason").replace_strict(common.REASON_WORDS, default=pl.col("reason"),
                                                               return_dtype=pl.String))
    booleans = [c for c, d in zip(out.columns, out.dtypes) if d == pl.Boolean]
    return out.with_columns(pl.when(pl.col(c)).then(pl.lit("Yes")).when(pl.col(c).is_not_null())
                            .then(pl.lit("No")).alias(c) for c in booleans)


def per_pupil(change: str, pupils: str) -> pl.Expr:
    """change ÷ pupils in pence, rounded half away from zero by integer arithmetic; null for no pupils."""
    num, den = pl.col(change), pl.col(pupils)
    q = (num.abs() * 2 + den) // (den * 2)
    return pl.when(den > 0).then(pl.when(num < 0).then(-q).otherwise(q)).otherwise(None).cast(pl.Int64)


def with_last_year(frame: pl.DataFrame, diff: pl.DataFrame | None, level: str, key: str) -> pl.DataFrame:
    """The frame with last year's total, the change in £, in % and per pupil (this year's pupils)
    after its `total`, from the diff's rows of `level`; unchanged without a diff."""
    if diff is None:
        return frame
    from ..yearly.diff import change_pct_expr

    last = diff.filter(pl.col("level") == level).select(key, "previous_total")
    return (frame.join(last, on=key, how="left")
            .with_columns(pl.col("previous_total").fill_null(0))
            .with_columns((pl.col("total") - pl.col("previous_total")).alias("change"))
            .with_columns(change_pct_expr("change", "previous_total").alias("change_pct"),
                          per_pupil("change", "pupils").alias("change_per_pupil")))


def schools_table(result: RunResult, diff: pl.DataFrame | None) -> pl.DataFrame:
    """The Schools sheet: schools.csv's columns, then last year's comparison with a previous run."""
    return with_last_year(visible(result.schools), diff, "school", "school_id")


def clusters_table(result: RunResult, diff: pl.DataFrame | None) -> pl.DataFrame:
    """The Clusters sheet: clusters.csv's columns, then last year's comparison with a previous run."""
    return with_last_year(visible(result.clusters), diff, "cluster", "cluster_id")


def released_table(result: RunResult) -> pl.DataFrame:
    """Released PSF by reason, the reasons in words."""
    return words(visible(result.released))


def names(result: RunResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(school_id, school_name) and (cluster_id, cluster_name) of this year's run."""
    return (result.schools.select("school_id", "school_name"),
            result.clusters.select("cluster_id", "cluster_name"))


def diff_table(result: RunResult, diff: pl.DataFrame) -> pl.DataFrame:
    """The Diff sheet: the diff with each school's and cluster's name beside its id (a school
    closed since last year has none), Yes/No flags."""
    schools, clusters = names(result)
    out = (diff.join(schools, on="school_id", how="left", maintain_order="left")
           .join(clusters, on="cluster_id", how="left", maintain_order="left"))
    order = []
    for c in diff.columns:
        order.append(c)
        if c in ("school_id", "cluster_id"):
            order.append(c.replace("_id", "_name"))
    return words(out.select(order))


def psf_table(result: RunResult) -> pl.DataFrame:
    """The PSF lines for the restricted workbook: the school paid named, reasons in words."""
    schools, _ = names(result)
    lines = visible(result.psf)
    paid = schools.rename({"school_id": "paid_school_id", "school_name": "paid_school_name"})
    out = lines.join(paid, on="paid_school_id", how="left", maintain_order="left")
    order = [c for c in lines.columns]
    order.insert(order.index("paid_school_id") + 1, "paid_school_name")
    return words(out.select(order))


def band_of(pct: pl.Expr, change: pl.Expr) -> pl.Expr:
    """A change's band (BANDS): by its exact sign, then its per cent; from nothing is a gain over 5%."""
    return (pl.when(change == 0).then(pl.lit(BANDS[2]))
            .when(change > 0).then(pl.when(pct.is_null() | (pct > 5)).then(pl.lit(BANDS[0])).otherwise(pl.lit(BANDS[1])))
            .otherwise(pl.when(pct.is_null() | (pct < -5)).then(pl.lit(BANDS[4])).otherwise(pl.lit(BANDS[3]))))


def band_counts(frame: pl.DataFrame, change: str = "change", pct: str = "change_pct") -> list[int]:
    """How many rows of the frame fall in each of BANDS, in order."""
    got = frame.select(band_of(pl.col(pct), pl.col(change)).alias("band")).get_column("band").value_counts()
    counts = dict(got.iter_rows())
    return [int(counts.get(b, 0)) for b in BANDS]


def winners_losers(result: RunResult, diff: pl.DataFrame) -> pl.DataFrame:
    """This year's schools and clusters counted by band of change against last year (a school new
    this year counts as a gain over 5%; one closed since is not counted): the schools' counts add
    up to the run's schools, the clusters' to its clusters."""
    schools = band_counts(diff.filter((pl.col("level") == "school")
                                      & pl.col("school_id").is_in(result.schools.get_column("school_id").implode())))
    clusters = band_counts(diff.filter((pl.col("level") == "cluster")
                                       & pl.col("cluster_id").is_in(result.clusters.get_column("cluster_id").implode())))
    return pl.DataFrame({"band": list(BANDS), "schools": schools, "clusters": clusters},
                        schema={"band": pl.String, "schools": pl.Int64, "clusters": pl.Int64})


def workings_table(result: RunResult) -> pl.DataFrame:
    """The formula's workings, each school named and each element by its title."""
    schools, _ = names(result)
    titles = {e.name: e.title for e in result.config.elements}
    work = visible(result.workings)
    out = work.join(schools, on="school_id", how="left", maintain_order="left").with_columns(
        pl.col("element").replace_strict(titles, default=pl.col("element"), return_dtype=pl.String))
    order = list(work.columns)
    order.insert(order.index("school_id") + 1, "school_name")
    return out.select(order)
