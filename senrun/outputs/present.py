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
    titles = common.element_titles(result.config)
    return [common.column_label(c, titles) for c in frame.columns]


#: The columns of reasons: each shown in words in the workbooks (the CSVs keep the codes).
REASON_COLUMNS = ("reason", "last_year_reason", "this_year_reason")


def words(frame: pl.DataFrame) -> pl.DataFrame:
    """Reasons in words and Yes/No for true/false."""
    out = frame.with_columns(pl.col(c).cast(pl.String).replace_strict(
        common.REASON_WORDS, default=pl.col(c).cast(pl.String), return_dtype=pl.String)
        for c in REASON_COLUMNS if c in frame.columns)
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


#: The Clusters sheet's row for the settings outside the formula given no cluster (SPEC §11.2).
NO_CLUSTER_ID = "(no cluster)"
NO_CLUSTER_NAME = "Settings outside the formula with no cluster"


def no_cluster_money(result: RunResult) -> tuple[int, int] | None:
    """(SSA, PSF) of the settings outside the formula given no cluster (SPEC §11.2), or None when
    there are none or they hold no money: no row of clusters.csv has it, though the totals do."""
    rest = result.schools.filter(pl.col("cluster_id").is_null())
    ssa, psf = int(rest.get_column("ssa").sum()), int(rest.get_column("psf").sum())
    return None if rest.is_empty() or (ssa == 0 and psf == 0) else (ssa, psf)


def clusters_sheet_table(result: RunResult, diff: pl.DataFrame | None) -> pl.DataFrame:
    """The Clusters sheet: `clusters_table`, then a "(no cluster)" row with the SSA and PSF of the
    settings outside the formula given no cluster, when they hold money (0 schools, 0 pupils, no
    formula, no last year), so that the sheet's totals are the Summary's."""
    clusters = clusters_table(result, diff)
    money = no_cluster_money(result)
    if money is None:
        return clusters
    ssa, psf = money
    values = {"cluster_id": NO_CLUSTER_ID, "cluster_name": NO_CLUSTER_NAME, "ssa": ssa, "psf": psf,
              "total": ssa + psf}
    if diff is not None:  # last year's figures of the same settings, so that the totals row adds up
        from ..yearly.diff import NO_CLUSTER_THEN, change_pct_expr

        # last year's settings with no cluster then (the clusters' rows have every other school as it was)
        values["previous_total"] = (int(diff.filter(pl.col("level") == "school").get_column(NO_CLUSTER_THEN)
                                        .fill_null(0).sum()) if NO_CLUSTER_THEN in diff.columns else 0)
        values["change"] = values["total"] - values["previous_total"]
        values["change_pct"] = pl.DataFrame({"c": [values["change"]], "p": [values["previous_total"]]}).select(
            change_pct_expr("c", "p")).item()
    zero = {"schools", "pupils", "cluster_allocation"} | {c for c in clusters.columns
                                                         if c.startswith(common.FORMULA_PREFIX)}
    row = pl.DataFrame([{c: values.get(c, 0 if c in zero else None) for c in clusters.columns}],
                       schema=clusters.schema)
    return pl.concat([clusters, row])


def released_table(result: RunResult) -> pl.DataFrame:
    """Released PSF by reason, the reasons in words."""
    return words(visible(result.released))


def names(result: RunResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(school_id, school_name) and (cluster_id, cluster_name) of this year's run."""
    return (result.schools.select("school_id", "school_name"),
            result.clusters.select("cluster_id", "cluster_name"))


def diff_table(result: RunResult, diff: pl.DataFrame) -> pl.DataFrame:
    """The Diff sheet: the diff with each school's and cluster's name beside its id (a school
    closed since last year by its name in last year's file, where that file gives one), Yes/No flags."""
    schools, clusters = names(result)
    out = (diff.join(schools, on="school_id", how="left", maintain_order="left")
           .join(clusters, on="cluster_id", how="left", maintain_order="left"))
    if common.LAST_YEARS_NAME in out.columns:
        out = out.with_columns(pl.coalesce("school_name", common.LAST_YEARS_NAME).alias("school_name"))
    order = []
    for c in visible(diff).columns:
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
    if "reason" in out.columns:  # a statement issued after the policy began never carried PSF: no phase, no stop
        never = pl.col("reason") == "post_policy_statement"
        out = out.with_columns(pl.when(never).then(None).otherwise(pl.col(c)).alias(c)
                               for c in ("protected_phase", "stop_date") if c in out.columns)
    order = [c for c in lines.columns]
    order.insert(order.index("paid_school_id") + 1, "paid_school_name")
    return words(out.select(order))


def band_of(change: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """A change's band (BANDS): by its exact sign, then whether it is over 5% of the previous total, compared
    exactly in pence (as diff.flags: a change of 5.003% is over 5%, though its per cent shows 5.00); from
    nothing to something is a gain over 5% (nothing to nothing, no change)."""
    over = (previous == 0) | (change.abs() * 20 > previous.abs())
    return (pl.when(change == 0).then(pl.lit(BANDS[2]))
            .when(change > 0).then(pl.when(over).then(pl.lit(BANDS[0])).otherwise(pl.lit(BANDS[1])))
            .otherwise(pl.when(over).then(pl.lit(BANDS[4])).otherwise(pl.lit(BANDS[3]))))


def band_counts(frame: pl.DataFrame, change: str = "change", previous: str = "previous_total") -> list[int]:
    """How many rows of the frame fall in each of BANDS, in order."""
    got = frame.select(band_of(pl.col(change), pl.col(previous)).alias("band")).get_column("band").value_counts()
    counts = dict(got.iter_rows())
    return [int(counts.get(b, 0)) for b in BANDS]


def winners_losers(result: RunResult, diff: pl.DataFrame) -> pl.DataFrame:
    """This year's schools and clusters counted by band of change against last year (a school new
    this year counts as a gain over 5%, or no change when it has nothing; one closed since is not counted): the schools' counts add
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
    titles = common.element_titles(result.config)
    work = visible(result.workings)
    out = work.join(schools, on="school_id", how="left", maintain_order="left").with_columns(
        pl.col("element").replace_strict(titles, default=pl.col("element"), return_dtype=pl.String))
    if "basis" in out.columns:  # in words, as the Summary and the returns give it
        bases = out.get_column("basis").unique().drop_nulls().to_list()
        out = out.with_columns(pl.col("basis").replace_strict({b: common.basis_words(b) for b in bases},
                                                              default=pl.col("basis"), return_dtype=pl.String))
    order = list(work.columns)
    order.insert(order.index("school_id") + 1, "school_name")
    # units, rates and exact shares as numbers a finance officer can add up, where every one is a plain
    # number; part-year units (5/12) keep the column as exact text (workings.csv has them all as text).
    # A rate reads in £ (common.RATE_COLUMNS), a share of the pot as a per cent, as on the Summary: as text
    # where the column holds both
    out = out.select(order)
    elements = result.config.elements
    if any(e.share is not None for e in elements) and "parameter" in out.columns:
        texts = {e.name: common.share_text(str(e.share)) if e.share is not None else common.rate_text(str(e.rate))
                 for e in elements if e.share is not None or (e.rate is not None and not e.solve)}
        shown = work["element"].replace_strict(texts, default=None, return_dtype=pl.String)
        out = out.with_columns(pl.coalesce(shown, "parameter").alias("parameter"))
    plain = [c for c in ("units", "parameter", "exact_pence") if c in out.columns and out.schema[c] == pl.String
             and out.get_column(c).replace("", None).drop_nulls().str.contains(r"^-?\d+(?:\.\d+)?$").all()]
    return out.with_columns(pl.col(c).replace("", None).cast(pl.Float64) for c in plain)
