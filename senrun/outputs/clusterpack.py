"""`clusters/<cluster_id>.xlsx`: one pack per cluster for its SEN meetings (FAQ 12–17; SPEC §6, round 2).

Sheets: `Cluster` (the cluster's figures, as in clusters.csv, the top-slices held for it, last
year against this year, how its money is held), `Schools` (each school's SSA, PSF and notional
share by element, with a totals row), `SEND profile` (each school's pupils, SEN support,
statements or EHC plans and free school meals by phase, beside the cluster's and the
authority's) and `PSF run-off` (children paid PSF and their PSF, this year and each later year
of the transition: counts and pounds, no names).  No personal data: children are only counted.

Here, in the parent, the run's frames are split by cluster once and each pack becomes a
PackTask of plain values; the workbooks are built from them (packbook.py) by the processes that
write the returns, or in-process without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import polars as pl

from ..inputs.schema import ROW
from ..result import RunResult
from ..yearly.runoff import runoff_by_line
from . import common, present
from .packbook import DECIMAL, INT, MONEY, PCT, PCT1, RATE, TEXT, PackChunk, PackTask, Table
from .tables import summed_columns
from .workbook import footer_text, period_text

PACKS_DIR = "clusters"
#: What each sheet's last-year figure is (with --previous), so that the two are not read as a contradiction.
CLUSTER_LAST_YEAR = ("Last year here is the cluster as it was last year: the schools in it then, so it can differ from "
                     "the sum of the Schools sheet's Last year.")
#: What the Schools sheet's Last year is, said on the Cluster sheet (a note beside that sheet's table had widened
#: its printed page until its figures were too small to read).
SCHOOLS_LAST_YEAR = f"The Schools sheet's Last year (£) is {common.SCHOOL_LAST_YEAR}."
PROFILE_MEASURES = (("sen_support", "SEN support"), ("statements", "Statements or EHC plans"),
                    ("fsm", "Free school meals"))


def pack_file_names(clusters: pl.DataFrame) -> dict[str, str]:
    """cluster_id → `clusters/<stem>.xlsx` (made safe as the returns' names are); a clash is an error."""
    return common.file_names(clusters.get_column("cluster_id").to_list(), PACKS_DIR, "cluster", "pack")


def plan_packs(result: RunResult, diff: pl.DataFrame | None = None) -> list[PackTask]:
    """Each cluster's pack as a PackTask, in cluster order.  Each frame is turned into rows and
    split by cluster once (2,450 clusters' packs are planned in well under a second)."""
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
    runoff = runoff_table(result, membership)
    fsm = authority.get_column("fsm").null_count() < authority.height  # where the census has the column
    shown = [(c, label) for c, label in PROFILE_MEASURES if c != "fsm" or fsm]
    own_columns = schools.drop("cluster_id", "cluster_name")
    school_rows = by_cluster(schools, own_columns.columns)
    profile_rows = by_cluster(profile, profile_columns("school_id", shown))
    cluster_rows = by_cluster(cluster_profile, profile_columns(None, shown))
    runoff_rows = by_cluster(runoff, ["year", "children", "psf"])
    authority_rows = [("", "Authority (all schools)", *rest)
                      for rest in rows_of(authority.select(profile_columns(None, shown)).rows(), 1)]
    heads = ["School ID", "School", "Phase", "Pupils"] + [h for _, label in shown for h in (label, f"{label} (%)")]
    kinds = [TEXT, TEXT, TEXT, INT] + [k for _ in shown for k in (INT, PCT1)]
    schools_shape = SchoolsShape.of(result, own_columns)
    period, tasks = period_text(result.config.as_dict()), []
    units = cluster_units(result)
    for row in present.clusters_table(result, diff).iter_rows(named=True):
        cid = row["cluster_id"]
        own = school_rows.get(cid, [])
        names_of = dict((r[schools_shape.id_at], r[schools_shape.name_at]) for r in own)
        rows = [(sid, names_of.get(sid) or "", *rest) for sid, *rest in rows_of(profile_rows.get(cid, []), 2)]
        first_bold = len(rows)  # the cluster's and the authority's rows, in bold
        rows += [("", "Cluster (all its schools)", *rest) for rest in rows_of(cluster_rows.get(cid, []), 1)]
        bold = tuple(range(first_bold, len(rows) + len(authority_rows)))
        tasks.append(PackTask(
            file_name=names[cid], title=f"SEN cluster pack {result.config.year}: {row['cluster_name'] or cid}",
            footer=footer_text(result, " ".join(filter(None, ("cluster", cid, row["cluster_name"])))),  # whose pages
            lines=tuple(overview_lines(result, row, period, len(own) - int(row["schools"] or 0), units.get(cid, {}))),
            schools=schools_shape.table(own),
            profile=Table(tuple(heads), tuple(kinds), tuple(rows + authority_rows)), profile_bold=bold,
            runoff=Table(("Year", "Children paid PSF", "PSF (£)"), (TEXT, INT, MONEY), tuple(runoff_rows.get(cid, ())))))
    return tasks


def pack_chunks(tasks: list[PackTask], size: int = 12) -> list[PackChunk]:
    """The packs in chunks of `size`, for the processes."""
    return [PackChunk(tuple(tasks[i:i + size])) for i in range(0, len(tasks), size)]


@dataclass(frozen=True)
class SchoolsShape:
    """The Schools sheet's columns: headings, each column's kind, which are summed in the totals row."""

    columns: tuple[str, ...]
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    summed: frozenset[str]
    id_at: int
    name_at: int

    @classmethod
    def of(cls, result: RunResult, frame: pl.DataFrame) -> SchoolsShape:
        """The shape of a cluster's schools' frame (schools.csv's columns less the cluster's)."""
        kinds = tuple(MONEY if common.is_money(c) else PCT if c.endswith("_pct") else
                      INT if d.is_integer() else TEXT for c, d in zip(frame.columns, frame.dtypes))
        return cls(tuple(frame.columns), tuple(present.headers(frame, result)), kinds,
                   frozenset(summed_columns(frame)), frame.columns.index("school_id"), frame.columns.index("school_name"))

    def table(self, rows: list[tuple]) -> Table:
        """A cluster's schools as a Table: money in pence, per cents, counts; a totals row of the sums."""
        def total(c: str) -> int:
            i = self.columns.index(c)
            return sum(r[i] for r in rows if r[i] is not None)
        totals = ["Total" if c == "school_name" else total(c) if c in self.summed else None for c in self.columns]
        if {"change_pct", "change", "previous_total"} <= set(self.columns) and total("previous_total"):
            totals[self.columns.index("change_pct")] = common.percent_change(total("change"), total("previous_total"))
        return Table(self.headers, self.kinds, tuple(rows), tuple(totals))


def by_cluster(frame: pl.DataFrame, columns: list[str]) -> dict[str, list[tuple]]:
    """A frame's `columns` as rows, split by cluster_id, each cluster's in the frame's order."""
    out: dict[str, list[tuple]] = {}
    for cid, *values in frame.select("cluster_id", *columns).iter_rows():
        out.setdefault(cid, []).append(tuple(values))
    return out


def profile_columns(key: str | None, measures: list) -> list[str]:
    """A profile's columns: (key,) phase, pupils, then each measure's."""
    return ([key] if key else []) + ["phase", "pupils", *[c for c, _ in measures]]


def rows_of(rows: list[tuple], lead: int) -> list[tuple]:
    """A profile's rows (profile_columns: `lead` columns up to the phase): the phase as the config names
    it, its first letter a capital (primary → Primary; KS2-3 stays KS2-3), pupils, then each measure's count
    and per cent."""
    return [(*values[:lead - 1], common.first_capital(values[lead - 1]), *counts(list(values[lead:]))) for values in rows]


def counts(values: list) -> list:
    """Pupils, then each measure's count and its per cent of the pupils (to one place, half away from zero)."""
    pupils, rest = values[0], values[1:]
    out = [pupils]
    for value in rest:
        out += [value, None if value is None or not pupils else per_cent(value, pupils)]
    return out


def per_cent(part: int, whole: int) -> float:
    """part / whole as a per cent to one place, rounded half away from zero by integer arithmetic as every
    figure is (5 of 16 is 31.25%: 31.3%, where round() would give 31.2)."""
    tenths = (abs(part) * 2000 + abs(whole)) // (2 * abs(whole))
    return (-tenths if (part < 0) != (whole < 0) else tenths) / 10


#: The Cluster sheet's line under Schools where the Schools sheet lists more: settings outside the formula (and
#: a school paid PSF while shut) are not among a cluster's `schools`, though their PSF is in its figures.
OUTSIDE_LINE = "Also on the Schools sheet, not counted in Schools (settings outside the formula, or shut: PSF only)"


def overview_lines(result: RunResult, cluster: dict, period: str, outside: int = 0,
                   units: dict[str, Fraction] | None = None) -> list:
    """The Cluster sheet's lines: id and period, the cluster's figures (clusters.csv's row), the
    top-slices held for it, how its share is worked out (`units`: its units of each element), last year
    against this year, and how its money is held.  `outside`: how many of the schools listed on the pack's
    Schools sheet are not counted in its `schools`."""
    cfg = result.config
    titles = common.element_titles(cfg)
    lines: list = [("Cluster ID", cluster["cluster_id"], TEXT), ("Funding period", period, TEXT),
                   None, ("The cluster's funding this year", None, "heading")]
    extra = {"cluster_id", "cluster_name", "previous_total", "change", "change_pct", "change_per_pupil"}
    for key in [k for k in cluster if k not in extra and not k.startswith("_")]:
        kind = ("money_bold" if key in ("cluster_allocation", "total") else MONEY) if common.is_money(key) else INT
        lines.append((common.column_label(key, titles).replace(" (£)", ""), cluster[key], kind))
        if key == "schools" and outside > 0:
            lines.append((OUTSIDE_LINE, outside, INT))
    lines += [None, ("Top-slices kept back before the formula", None, "heading")]
    for t in getattr(cfg, "topslices", ()):
        label = common.name_words(t.name)
        if t.per == "per_cluster" and not cluster["schools"]:  # counts only clusters in the formula (SPEC §11.11)
            lines.append((f"{label}: none held for this cluster (no school of it is in the formula)", 0, MONEY))
        elif t.per == "per_cluster":
            lines.append((f"{label}: held for this cluster", t.pence, MONEY))
        elif t.per == "per_school":
            lines.append((f"{label}: held for this cluster's {cluster['schools']} schools",
                          t.pence * int(cluster["schools"]), MONEY))
        else:
            lines.append((f"{label}: held by the authority for all clusters", t.pence, MONEY))
    lines += share_lines(result, units or {})
    if "previous_total" in cluster:
        lines += [None, ("Last year and this year (total funding)", None, "heading"),
                  ("Last year", cluster["previous_total"], MONEY), ("This year", cluster["total"], MONEY),
                  ("Change", cluster["change"], MONEY), ("Change (%)", cluster["change_pct"], PCT),
                  ("Change per pupil", cluster["change_per_pupil"], MONEY), (CLUSTER_LAST_YEAR, None, "note"),
                  (SCHOOLS_LAST_YEAR, None, "note4")]
    lines += [None, (common.notional_note(getattr(cfg, "delegation", "delegated"), "A school's"), None, "note")]
    return lines


#: How a school's share of an element is rounded, under the figures that let a cluster rebuild its share.
SHARE_ROUNDING = ("A school's share of an element is its units × the £ per unit, rounded down to the penny; the pennies "
                  "left over go one each to the schools with the largest remainders, across the authority, "
                  "so the cluster's sum can differ from its units × the £ per unit by a few pence.")


def share_lines(result: RunResult, units: dict[str, Fraction]) -> list:
    """What a cluster needs to rebuild its share: the cluster pot and, for each element, the authority's units, the
    £ per unit and the cluster's own units (`units`, by element: a part year's lump sums are fractions)."""
    from .returns import unit_rate

    titles = common.element_titles(result.config)
    lines: list = [None, ("How the cluster's share is worked out", None, "heading"),
                   ("Cluster pot, shared across the authority by the formula", result.totals.cluster_pot, MONEY)]
    for e in result.elements:
        rate = unit_rate(e)
        if e.units is None or rate is None:  # formula.protection's adjustment, or an element with no units
            continue
        title = titles.get(e.name, e.name)
        lines += [(f"{title}: the authority's units ({common.basis_words(e.basis)})", *_units_line(e.units)),
                  (f"{title}: £ per unit", Decimal(rate), RATE),
                  (f"{title}: this cluster's units", *_units_line(units.get(e.name, 0)))]
    return lines + [(SHARE_ROUNDING, None, "note4")]


def _units_line(units: object) -> tuple[object, str]:
    """A count of units as a line's value and kind: a whole number as a number (109,280), and a need column's
    decimal one (426.1, summed exactly over the cluster's schools) as a number, as the returns and allocations.xlsx
    show them; a part year's lump sums, which no decimal writes, exactly as text, a whole number and a fraction
    (430 5/12, not 5165/12)."""
    value = common.units_value(str(units))
    if isinstance(value, int):
        return value, INT
    exact = _decimal(Fraction(str(units))) if isinstance(value, str) else value
    return (exact, DECIMAL) if isinstance(exact, Decimal) else (str(value), TEXT)


def _decimal(units: Fraction) -> Decimal | None:
    """A fraction as its exact decimal (4261/10 → 426.1), or None where it has none (5/12): a denominator of
    twos and fives alone, 2^a 5^b, divides 10^max(a, b)."""
    rest, counts = units.denominator, {}
    for prime in (2, 5):
        counts[prime] = 0
        while rest % prime == 0:
            rest, counts[prime] = rest // prime, counts[prime] + 1
    if rest != 1:
        return None
    tens = max(counts.values())
    return Decimal(units.numerator * (10 ** tens // units.denominator)).scaleb(-tens)


def cluster_units(result: RunResult) -> dict[str, dict[str, Fraction]]:
    """cluster_id → element → the cluster's units of it, summed exactly over its schools' workings (a school open
    part of the period has a fraction of a lump sum's unit); a `per_cluster` element's unit is the cluster.
    Whole units are summed in one pass; only the others (a part year's 5/12, a need column's 0.342) one by one."""
    membership = result.schools.select("school_id", "cluster_id")
    work = (result.workings.join(membership, on="school_id", how="inner")
            .filter(pl.col("cluster_id").is_not_null() & pl.col("units").is_not_null()))
    whole = pl.col("units").str.contains(r"^\d+$")
    out: dict[str, dict[str, Fraction]] = {}
    summed = work.filter(whole).group_by("cluster_id", "element").agg(pl.col("units").cast(pl.Int64).sum())
    for cluster, element, units in summed.iter_rows():
        out.setdefault(cluster, {})[element] = Fraction(units)
    for cluster, element, units in work.filter(~whole).select("cluster_id", "element", "units").iter_rows():
        mine = out.setdefault(cluster, {})
        mine[element] = mine.get(element, Fraction(0)) + Fraction(units)
    for e in result.elements:
        if e.basis == "per_cluster":  # (its workings' units are the school's part of the cluster's: the unit is one)
            for mine in out.values():
                mine[e.name] = Fraction(1)
    return out


def profile_table(result: RunResult) -> pl.DataFrame:
    """The run's SEND profile (empty without a census)."""
    if result.profile is None:
        return pl.DataFrame(schema={"school_id": pl.String, "phase": pl.String, "pupils": pl.Int64,
                                    "sen_support": pl.Int64, "statements": pl.Int64, "fsm": pl.Int64})
    return result.profile


def runoff_table(result: RunResult, membership: pl.DataFrame) -> pl.DataFrame:
    """Per cluster and year (membership: school_id → cluster_id): this year's children paid PSF at
    its schools (any PSF in the period, whether or not it continues; a child paid at two of its
    schools counts once) and the PSF paid, then each later year's run-off."""
    paid = (result.psf.filter(pl.col("paid_amount") > 0)
            .join(membership, left_on="paid_school_id", right_on="school_id", how="inner")
            .group_by("cluster_id")
            .agg(pl.col("upn").n_unique().cast(pl.Int64).alias("children"),
                 pl.col("paid_amount").sum().cast(pl.Int64).alias("psf")))
    # every cluster has this year's row, 0 children and £0.00 where none is paid PSF (not an empty table)
    this_year = (membership.select("cluster_id").drop_nulls().unique().join(paid, on="cluster_id", how="left")
                 .with_columns(pl.col("children", "psf").fill_null(0), pl.lit(0, dtype=pl.Int32).alias("_k"),
                               pl.lit(f"{result.config.year} (this year)").alias("year")))
    # a school with no row this year (a successor opening later) is in its cluster of the schools input
    later = (runoff_by_line(result).join(membership, on="school_id", how="left", suffix="_now")
             .with_columns(pl.coalesce("cluster_id_now", "cluster_id").alias("cluster_id"))
             .filter(pl.col("cluster_id").is_in(membership["cluster_id"].drop_nulls().implode()))
             .group_by("cluster_id", "_k", "year")  # a child paid at two schools of a cluster counts once
             .agg(pl.col(ROW).n_unique().cast(pl.Int64).alias("children"), pl.col("psf").sum().cast(pl.Int64))
             .with_columns(pl.col("_k").cast(pl.Int32)))
    columns = ["cluster_id", "_k", "year", "children", "psf"]
    return (pl.concat([this_year.select(columns), later.select(columns)], how="vertical_relaxed")
            .sort("cluster_id", "_k"))
