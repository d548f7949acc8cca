"""`clusters/<cluster_id>.xlsx`: one pack per cluster for its SEN meetings (FAQ 12–17; SPEC §6, round 2).

Sheets: `Cluster` (the cluster's figures, as in clusters.csv, the top-slices held for it, last
year against this year, how its money is held), `Schools` (each school's SSA, PSF and notional
share by element, with a totals row), `SEND profile` (each school's pupils, SEN support,
statements or EHC plans and free school meals by phase, beside the cluster's and the
authority's) and `PSF run-off` (protected children and their PSF, this year and each later year
of the transition: counts and pounds, no names).  No personal data: children are only counted.

The packs are small (a few schools each) and built in-process: the run's frames are split by
cluster once, and each pack is a few hundred cells.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import polars as pl
from xlsxwriter.worksheet import Worksheet

from ..errors import SenrunError
from ..result import RunResult
from ..yearly.runoff import runoff_by_school
from . import common, present
from .tables import totals_row, write_frame
from .workbook import footer_text, period_text
from .xlsx import Formats, close_to_bytes, finish_print, new_workbook, print_setup, write_header, write_money

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


def cluster_packs(result: RunResult, diff: pl.DataFrame | None = None) -> Iterator[tuple[str, bytes]]:
    """Each cluster's pack as (file name, bytes), in cluster order.  The frames are split by cluster
    once, here: each pack then only writes cells."""
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
    footer = footer_text(result)
    for row in present.clusters_table(result, diff).iter_rows(named=True):
        cid = row["cluster_id"]
        parts = {name: frames.get(cid) for name, frames in split.items()}
        parts["schools"] = parts["schools"] if parts["schools"] is not None else schools.clear()
        yield names[cid], pack_bytes(result, row, parts, authority, fsm, footer)


def by_cluster(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """A frame's rows split by cluster_id."""
    return {key[0]: part for key, part in frame.partition_by("cluster_id", as_dict=True).items()}


def pack_bytes(result: RunResult, cluster: dict, parts: dict, authority: pl.DataFrame, fsm: bool,
               footer: str) -> bytes:
    """One cluster's pack; `parts` holds its rows of the schools, profile, cluster profile and run-off."""
    buffer = io.BytesIO()
    name = cluster["cluster_name"] or cluster["cluster_id"]
    book, fmt = new_workbook(buffer, f"SEN cluster pack {result.config.year}: {name}")
    overview_sheet(book.add_worksheet("Cluster"), fmt, result, cluster)
    ws = book.add_worksheet("Schools")
    shown = parts["schools"].drop("cluster_id", "cluster_name")
    write_frame(ws, shown, fmt, headers=present.headers(shown, result))
    totals_row(ws, shown, fmt, shown.height + 1)
    measures = [(c, label) for c, label in PROFILE_MEASURES if c != "fsm" or fsm]
    names = dict(shown.select("school_id", "school_name").iter_rows())
    rows = [(sid, names.get(sid) or "", *rest) for sid, *rest in rows_of(parts["profile"], "school_id", measures)]
    rows += [("", "Cluster (all its schools)", *rest) for rest in rows_of(parts["cluster"], None, measures)]
    rows += [("", "Authority (all schools)", *rest) for rest in rows_of(authority, None, measures)]
    wrapped = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    profile_sheet(book.add_worksheet("SEND profile"), fmt, wrapped, measures, rows)
    runoff_sheet(book.add_worksheet("PSF run-off"), fmt, parts["runoff"])
    finish_print(book, footer)
    return close_to_bytes(book, buffer)


def rows_of(frame: pl.DataFrame | None, key: str | None, measures: list) -> list[tuple]:
    """A profile's rows: (key,) phase, pupils, then each measure's count and per cent."""
    if frame is None:
        return []
    columns = ([key] if key else []) + ["phase", "pupils", *[c for c, _ in measures]]
    out = []
    for values in frame.select(columns).iter_rows():
        lead = 2 if key else 1
        lead_values = [v.capitalize() if i == lead - 1 else v for i, v in enumerate(values[:lead])]  # Primary
        out.append((*lead_values, *counts(list(values[lead:]))))
    return out


def overview_sheet(ws: Worksheet, fmt: Formats, result: RunResult, cluster: dict) -> None:
    """Title, the cluster's figures (clusters.csv's row), top-slices held for it, last year, the note."""
    cfg = result.config
    ws.set_column(0, 0, 58)
    ws.set_column(1, 1, 20)
    ws.write_string(0, 0, f"SEN cluster pack {cfg.year}: {cluster['cluster_name'] or cluster['cluster_id']}",
                    fmt.title)
    ws.write_string(1, 0, "Cluster ID")
    ws.write_string(1, 1, cluster["cluster_id"])
    ws.write_string(2, 0, "Funding period")
    ws.write_string(2, 1, period_text(cfg.as_dict()))
    ws.write_string(4, 0, "The cluster's funding this year", fmt.bold)
    titles = {e.name: e.title for e in cfg.elements}
    row = 5
    for key in [c for c in visible_keys(cluster) if c not in ("cluster_id", "cluster_name")]:
        ws.write_string(row, 0, common.column_label(key, titles).replace(" (£)", ""))
        if common.is_money(key):
            write_money(ws, row, 1, cluster[key], fmt, bold=key in ("cluster_allocation", "total"))
        else:
            ws.write_number(row, 1, cluster[key], fmt.integer)
        row += 1
    row = topslice_block(ws, fmt, result, cluster, row + 1)
    if "previous_total" in cluster:
        row = last_year_block(ws, fmt, cluster, row + 1)
    ws.write_string(row + 1, 0, common.notional_note(getattr(cfg, "delegation", "delegated"), "A school's"),
                    fmt.wrap)
    print_setup(ws)


def visible_keys(cluster: dict) -> list[str]:
    """clusters.csv's columns among the row's keys (not last year's comparison)."""
    extra = {"previous_total", "change", "change_pct", "change_per_pupil"}
    return [k for k in cluster if k not in extra and not k.startswith("_")]


def topslice_block(ws: Worksheet, fmt: Formats, result: RunResult, cluster: dict, row: int) -> int:
    """The top-slices held for this cluster (per cluster, or per school × its schools); sums held
    for the whole authority are named as such.  Returns the next free row."""
    ws.write_string(row, 0, "Top-slices kept back before the formula", fmt.bold)
    row += 1
    for t in getattr(result.config, "topslices", ()):
        label = t.name.replace("_", " ").capitalize()
        if t.per == "per_cluster":
            ws.write_string(row, 0, f"{label}: held for this cluster")
            write_money(ws, row, 1, t.pence, fmt)
        elif t.per == "per_school":
            ws.write_string(row, 0, f"{label}: held for this cluster's {cluster['schools']} schools")
            write_money(ws, row, 1, t.pence * int(cluster["schools"]), fmt)
        else:
            ws.write_string(row, 0, f"{label}: held by the authority for all clusters")
            write_money(ws, row, 1, t.pence, fmt)
        row += 1
    return row


def last_year_block(ws: Worksheet, fmt: Formats, cluster: dict, row: int) -> int:
    """Last year's total against this year's: £, % and per pupil.  Returns the next free row."""
    ws.write_string(row, 0, "Last year and this year (total funding)", fmt.bold)
    lines = [("Last year", cluster["previous_total"], "money"), ("This year", cluster["total"], "money"),
             ("Change", cluster["change"], "money"), ("Change (%)", cluster["change_pct"], "pct"),
             ("Change per pupil", cluster["change_per_pupil"], "money")]
    for offset, (label, value, kind) in enumerate(lines, start=1):
        ws.write_string(row + offset, 0, label)
        if value is None:
            ws.write_string(row + offset, 1, "—")
        elif kind == "money":
            write_money(ws, row + offset, 1, value, fmt)
        else:
            ws.write_number(row + offset, 1, value, fmt.pct)
    return row + 1 + len(lines)


def profile_table(result: RunResult) -> pl.DataFrame:
    """The run's SEND profile (empty without a census)."""
    if result.profile is None:
        return pl.DataFrame(schema={"school_id": pl.String, "phase": pl.String, "pupils": pl.Int64,
                                    "sen_support": pl.Int64, "statements": pl.Int64, "fsm": pl.Int64})
    return result.profile


def profile_sheet(ws: Worksheet, fmt: Formats, wrapped: object, measures: list, rows: list[tuple]) -> None:
    """Each school's profile by phase, then the cluster's and the authority's, counts and per cents."""
    ws.write_string(0, 0, "SEND profile: pupils on roll at the census, by age-based phase (FAQ 12)", fmt.bold)
    heads = ["School ID", "School", "Phase", "Pupils"]
    for _, label in measures:
        heads += [label, f"{label} (%)"]
    for c, head in enumerate(heads):
        ws.write_string(1, c, head, wrapped)
    ws.set_row(1, 30)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values):
            if isinstance(value, str):
                ws.write_string(r, c, value, fmt.bold if c == 1 and not values[0] else None)
            elif value is not None:
                ws.write_number(r, c, value, fmt.pct if c > 3 and (c - 4) % 2 == 1 else fmt.integer)
    if not rows:
        ws.write_string(2, 0, "No pupil-level census: no profile.")
    ws.set_column(0, 0, 11)
    ws.set_column(1, 1, 50)
    ws.set_column(2, len(heads) - 1, 12)
    ws.freeze_panes(2, 0)
    print_setup(ws, 1)


def counts(values: list) -> list:
    """Pupils, then each measure's count and its per cent of the pupils (to one place)."""
    pupils, rest = values[0], values[1:]
    out = [pupils]
    for value in rest:
        out += [value, None if value is None or not pupils else round(100 * value / pupils, 1)]
    return out


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


def runoff_sheet(ws: Worksheet, fmt: Formats, runoff: pl.DataFrame | None) -> None:
    """Protected children (counted, never named) and their PSF by year, for the cluster's schools."""
    ws.write_string(0, 0, "PSF run-off: children still protected, and their PSF, year by year", fmt.bold)
    write_header(ws, 1, ["Year", "Protected children", "PSF (£)"], fmt)
    rows = runoff.select("year", "children", "psf").rows() if runoff is not None else []
    for r, (year, children, psf) in enumerate(rows, start=2):
        ws.write_string(r, 0, year)
        ws.write_number(r, 1, children, fmt.integer)
        write_money(ws, r, 2, psf, fmt)
    last = 2 + len(rows)
    ws.write_string(last + 1, 0, "Later years assume no new statements, moves or ceasings: each protected child "
                    "is paid at this year's rate until the end of their protected phase (FAQ 3–5, 8).", fmt.wrap)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 2, 18)
    print_setup(ws, 1)
