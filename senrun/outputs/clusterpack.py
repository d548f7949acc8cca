"""`clusters/<cluster_id>.xlsx`: one pack per cluster for its SEN meetings (FAQ 12–17; SPEC §6, round 2).

Sheets: `Cluster` (the cluster's figures, as in clusters.csv, the top-slices held for it, last
year against this year, how its money is held), `Schools` (each school's SSA, PSF and notional
share by element, with a totals row), `SEND profile` (each school's pupils, SEN support,
statements or EHC plans and free school meals by phase, beside the cluster's and the
authority's) and `PSF run-off` (protected children and their PSF, this year and each later year
of the transition: counts and pounds, no names).  No personal data: children are only counted.

Here, in the parent, the run's frames are split by cluster once and each pack becomes a
PackTask of plain values; the workbooks are built from them (packbook.py) by the processes that
write the returns, or in-process without them.
"""

from __future__ import annotations

import polars as pl

from ..errors import SenrunError
from ..result import RunResult
from ..yearly.runoff import runoff_by_school
from . import common, present
from .packbook import INT, MONEY, PCT, TEXT, PackChunk, PackTask, Table
from .tables import summed_columns
from .workbook import footer_text, period_text

PACKS_DIR = "clusters"
PROFILE_MEASURES = (("sen_support", "SEN support"), ("statements", "Statements or EHC plans"),
                    ("fsm", "Free school meals"))


def pack_file_names(clusters: pl.DataFrame) -> dict[str, str]:
    """cluster_id → `clusters/<stem>.xlsx` (made safe as the returns' names are); a clash is an error."""
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for cluster_id in clusters.get_column("cluster_id").to_list():
        stem = common.return_file_stem(cluster_id or "")
        other = seen.setdefault(stem.casefold(), cluster_id)
        if other != cluster_id:
            raise SenrunError(f"clusters {other!r} and {cluster_id!r} would share the pack file {PACKS_DIR}/{stem}.xlsx "
                              "(characters other than letters, digits, - and _ become _); change one of the cluster ids")
        names[cluster_id] = f"{PACKS_DIR}/{stem}.xlsx"
    return names


def plan_packs(result: RunResult, diff: pl.DataFrame | None = None) -> list[PackTask]:
    """Each cluster's pack as a PackTask, in cluster order.  The frames are split by cluster once."""
    names = pack_file_names(result.clusters)
    schools = present.schools_table(result, diff)
    membership = result.schools.select("school_id", "cluster_id")
    profile = profile_table(result).join(membership, on="school_id", how="inner")
    measures = [c for c, _ in PROFILE_MEASURES]
    phase_sums = [pl.col("pupils", *measures).sum()]
    order = {name: i for i, (name, _, _) in enumerate(result.config.phases)}  # phases in the config's order
    rank = pl.col("phase").replace_strict(order, default=len(order), return_dtype=pl.Int32)
    profile = profile.sort("school_id", rank)
    authority = profile.group_by("phase").agg(*phase_sums).sort(rank)
    cluster_profile = profile.group_by("cluster_id", "phase").agg(*phase_sums).sort("cluster_id", rank)
    runoff = (runoff_table(result).join(membership, on="school_id", how="inner")
              .group_by("cluster_id", "_k", "year").agg(pl.col("children", "psf").sum()).sort("cluster_id", "_k"))
    split = {name: by_cluster(frame) for name, frame in
             (("schools", schools), ("profile", profile), ("cluster", cluster_profile), ("runoff", runoff))}
    fsm = authority.get_column("fsm").null_count() < authority.height  # where the census has the column
    shown = [(c, label) for c, label in PROFILE_MEASURES if c != "fsm" or fsm]
    authority_rows = [("", "Authority (all schools)", *rest) for rest in rows_of(authority, None, shown)]
    footer, tasks = footer_text(result), []
    for row in present.clusters_table(result, diff).iter_rows(named=True):
        cid = row["cluster_id"]
        own = split["schools"].get(cid, schools.clear()).drop("cluster_id", "cluster_name")
        names_of = dict(own.select("school_id", "school_name").iter_rows())
        rows = [(sid, names_of.get(sid) or "", *rest)
                for sid, *rest in rows_of(split["profile"].get(cid), "school_id", shown)]
        first_bold = len(rows)  # the cluster's and the authority's rows, in bold
        rows += [("", "Cluster (all its schools)", *rest) for rest in rows_of(split["cluster"].get(cid), None, shown)]
        bold = tuple(range(first_bold, len(rows) + len(authority_rows)))
        heads = ["School ID", "School", "Phase", "Pupils"] + [h for _, label in shown for h in (label, f"{label} (%)")]
        kinds = [TEXT, TEXT, TEXT, INT] + [k for _ in shown for k in (INT, PCT)]
        later = split["runoff"].get(cid)
        tasks.append(PackTask(
            file_name=names[cid], title=f"SEN cluster pack {result.config.year}: {row['cluster_name'] or cid}",
            footer=footer, lines=tuple(overview_lines(result, row)), schools=schools_part(result, own),
            profile=Table(tuple(heads), tuple(kinds), tuple(rows + authority_rows)), profile_bold=bold,
            runoff=Table(("Year", "Protected children", "PSF (£)"), (TEXT, INT, MONEY),
                         tuple(later.select("year", "children", "psf").rows()) if later is not None else ())))
    return tasks


def pack_chunks(tasks: list[PackTask], size: int = 12) -> list[PackChunk]:
    """The packs in chunks of `size`, for the processes."""
    return [PackChunk(tuple(tasks[i:i + size])) for i in range(0, len(tasks), size)]


def schools_part(result: RunResult, frame: pl.DataFrame) -> Table:
    """A cluster's schools as a Table: money in pence, per cents, counts; a totals row of the sums."""
    kinds = tuple(MONEY if common.is_money(c) else PCT if c.endswith("_pct") else
                  INT if d.is_integer() else TEXT for c, d in zip(frame.columns, frame.dtypes))
    summed = set(summed_columns(frame))
    totals = ["Total" if c == "school_name" else int(frame[c].sum()) if c in summed else None
              for c in frame.columns]
    if {"change_pct", "change", "previous_total"} <= set(frame.columns) and int(frame["previous_total"].sum()):
        totals[frame.columns.index("change_pct")] = round(int(frame["change"].sum()) * 100
                                                          / int(frame["previous_total"].sum()), 2)
    return Table(tuple(present.headers(frame, result)), kinds, tuple(frame.rows()), tuple(totals))


def by_cluster(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A frame's rows split by cluster_id."""
    return {key[0]: part for key, part in frame.partition_by("cluster_id", as_dict=True).items()}


def rows_of(frame: pl.DataFrame | None, key: str | None, measures: list) -> list[tuple]:
    """A profile's rows: (key,) phase (in words), pupils, then each measure's count and per cent."""
    if frame is None:
        return []
    columns = ([key] if key else []) + ["phase", "pupils", *[c for c, _ in measures]]
    lead = 2 if key else 1
    out = []
    for values in frame.select(columns).iter_rows():
        lead_values = [v.capitalize() if i == lead - 1 else v for i, v in enumerate(values[:lead])]  # Primary
        out.append((*lead_values, *counts(list(values[lead:]))))
    return out


def counts(values: list) -> list:
    """Pupils, then each measure's count and its per cent of the pupils (to one place)."""
    pupils, rest = values[0], values[1:]
    out = [pupils]
    for value in rest:
        out += [value, None if value is None or not pupils else round(100 * value / pupils, 1)]
    return out


def overview_lines(result: RunResult, cluster: dict) -> list:
    """The Cluster sheet's lines: id and period, the cluster's figures (clusters.csv's row), the
    top-slices held for it, last year against this year, and how its money is held."""
    cfg = result.config
    titles = {e.name: e.title for e in cfg.elements}
    lines: list = [("Cluster ID", cluster["cluster_id"], TEXT), ("Funding period", period_text(cfg.as_dict()), TEXT),
                   None, ("The cluster's funding this year", None, "heading")]
    extra = {"cluster_id", "cluster_name", "previous_total", "change", "change_pct", "change_per_pupil"}
    for key in [k for k in cluster if k not in extra and not k.startswith("_")]:
        kind = ("money_bold" if key in ("cluster_allocation", "total") else MONEY) if common.is_money(key) else INT
        lines.append((common.column_label(key, titles).replace(" (£)", ""), cluster[key], kind))
    lines += [None, ("Top-slices kept back before the formula", None, "heading")]
    for t in getattr(cfg, "topslices", ()):
        label = t.name.replace("_", " ").capitalize()
        if t.per == "per_cluster":
            lines.append((f"{label}: held for this cluster", t.pence, MONEY))
        elif t.per == "per_school":
            lines.append((f"{label}: held for this cluster's {cluster['schools']} schools",
                          t.pence * int(cluster["schools"]), MONEY))
        else:
            lines.append((f"{label}: held by the authority for all clusters", t.pence, MONEY))
    if "previous_total" in cluster:
        lines += [None, ("Last year and this year (total funding)", None, "heading"),
                  ("Last year", cluster["previous_total"], MONEY), ("This year", cluster["total"], MONEY),
                  ("Change", cluster["change"], MONEY), ("Change (%)", cluster["change_pct"], PCT),
                  ("Change per pupil", cluster["change_per_pupil"], MONEY)]
    lines += [None, (common.notional_note(getattr(cfg, "delegation", "delegated"), "A school's"), None, "note")]
    return lines


def profile_table(result: RunResult) -> pl.DataFrame:
    """The run's SEND profile (empty without a census)."""
    if result.profile is None:
        return pl.DataFrame(schema={"school_id": pl.String, "phase": pl.String, "pupils": pl.Int64,
                                    "sen_support": pl.Int64, "statements": pl.Int64, "fsm": pl.Int64})
    return result.profile


def runoff_table(result: RunResult) -> pl.DataFrame:
    """Per school and year: this year's protected children and PSF paid, then each later year's run-off."""
    this_year = (result.psf.filter(pl.col("paid_amount") > 0)
                 .group_by(pl.col("paid_school_id").alias("school_id"))
                 .agg(pl.col("upn").n_unique().cast(pl.Int64).alias("children"),
                      pl.col("paid_amount").sum().cast(pl.Int64).alias("psf"))
                 .with_columns(pl.lit(0).alias("_k"), pl.lit(f"{result.config.year} (this year)").alias("year")))
    later = runoff_by_school(result)
    return pl.concat([this_year.select(later.columns), later.with_columns(pl.col("_k").cast(pl.Int32))],
                     how="vertical_relaxed")
