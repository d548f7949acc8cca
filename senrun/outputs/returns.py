"""The per-school returns, `returns/<school_id>.xlsx`, written by a pool of processes (SPEC §6, §7 --jobs).

The parent cuts the run into chunks of a few hundred schools.  A chunk (returnbook.ReturnChunk)
is plain columns — the schools' figures, and their children's lines as text and integers
(dates as Excel serial days) — made from the run's frames by slicing, never by building
Python objects for every school at once: at England scale (21,600 schools, 430,000 PSF
lines) the parent holds only the chunks in flight.  Worker processes turn chunks into
workbooks' bytes, and the parent writes the files itself, in school order, so every write
goes through the atomic layer.

How the processes start: processes.py.
"""

from __future__ import annotations

import math
import os
import sys
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import chain, islice

import polars as pl

from ..errors import SenrunError
from ..inputs.schema import ROW
from ..money import fmt_gbp
from ..result import RunResult
from ..neighbours import CAME_BY_SUCCESSION, CAME_EARLIER, CAME_FROM, neighbours
from . import processes
from ..yearly.projection import shifted_period
from ..yearly.runoff import MAX_YEARS
from .common import (FORMULA_PREFIX, REASON_TEXT, REASON_WORDS, basis_words, element_titles, file_names,
                     run_reference)
from .returnbook import CHILD_COLUMNS, CHILD_KINDS, PER_CLUSTER_WORDS, ReturnChunk, build_chunk
from .tables import excel_serial
from .workbook import period_text

RETURNS_DIR = "returns"
#: Fewer schools than this per process and the pool costs more than it saves: write in-process.
MIN_PER_PROCESS = 25
#: Chunks per process: enough to keep every process busy to the end, few enough to be cheap.
CHUNKS_PER_PROCESS = 4
#: At most this many schools in a chunk, so that what is in flight stays small at any scale.
MAX_CHUNK = 250
#: Chunks handed to the pool ahead of the one being written, per process.
AHEAD_PER_PROCESS = 2
#: The most processes a pool may have on Windows (concurrent.futures refuses more than 61).
WINDOWS_MOST_PROCESSES = 61


def return_file_names(schools: pl.DataFrame) -> dict[str, str]:
    """school_id → `returns/<stem>.xlsx`; two ids that would share a file, or an id too long to
    name one, is an error (common.file_names)."""
    return file_names(schools.get_column("school_id").to_list(), RETURNS_DIR, "school", "return")


def plan_returns(result: RunResult, size: int, diff: pl.DataFrame | None = None) -> Iterator[ReturnChunk]:
    """The run's returns as chunks of `size` schools, in school order, made one at a time; with
    `diff`, each school's total last year."""
    elements = element_list(result)
    schools = school_fields(result, return_file_names(result.schools), elements, diff)
    children = children_columns(result, schools.get_column("school_id"))
    gone = stopped_here(result, set(schools.get_column("school_id").to_list()))
    at = 0
    for start in range(0, schools.height, size):
        part = schools.slice(start, size)
        count = int(part.get_column("_children").sum())
        lines = children.slice(at, count)
        at += count
        yield ReturnChunk(schools=[school_tuple(row, elements) for row in part.drop(NEW_THIS_YEAR, LAST_YEAR_WITH,
                                                                                      TOOK_OVER)
                                   .iter_rows()],
                          children=tuple(lines.get_column(c).to_list() for c in CHILD_COLUMNS),
                          new_this_year=tuple(words or new for new, words in zip(part.get_column(NEW_THIS_YEAR),
                                                                                 part.get_column(TOOK_OVER))),
                          last_year_with=tuple(part.get_column(LAST_YEAR_WITH).to_list()),
                          stopped=tuple(gone.get(sid, ()) for sid in part.get_column("school_id").to_list()))


#: SchoolReturn's fields that come from the schools' table, in its order.
SCHOOL_FIELDS = ("file_name", "school_id", "school_name", "cluster_id", "cluster_name", "year", "period",
                 "ssa", "psf", "cluster_share", "total", "cluster_allocation", "previous_total", "contact", "issued",
                 "delegation", "reference", "in_formula")


#: school_fields' last columns, with --previous: whether the school is not in last year's file, and the schools
#: that became it since (diff.csv's note "converted from …"), whose totals last year are in its own.
NEW_THIS_YEAR, LAST_YEAR_WITH = "_new_this_year", "_last_year_with"
#: And, for a school new this year that took over from another during it (diff.csv's "new school: took over from
#: … during the year"), what its return says in place of a change per cent: the other's figures are on its own.
TOOK_OVER = "_took_over"


def _took_over(schools: pl.Expr) -> pl.Expr:
    """A return's words for a school new this year that took over from `schools` (one id, or several joined by
    commas) during the year: whose figures are on their own returns."""
    whose = pl.when(schools.str.contains(",", literal=True)).then(pl.lit("their figures are on their own returns")) \
        .otherwise(pl.lit("its figures are on its own return"))
    return pl.concat_str(pl.lit("new this year: took over from "), schools, pl.lit(" during the year ("), whose,
                         pl.lit(")"))


def school_fields(result: RunResult, file_names: dict[str, str], elements: list[tuple],
                  diff: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per school: SCHOOL_FIELDS, each element's units (text) and amount, then how many
    children's lines the school has and (NEW_THIS_YEAR, with `diff`) whether it is new this year."""
    schools = result.schools.filter(~pl.col("school_id").is_in(list(result.no_return)))  # SPEC §11.2
    if diff is not None:  # a school new this year is not in last year's file (diff.csv's note), unlike one paid £0
        last = diff.filter(pl.col("level") == "school").select(
            "school_id", "previous_total", pl.col("note").str.starts_with("new school").fill_null(False)
            .alias(NEW_THIS_YEAR), pl.col("note").str.extract(r"^converted from ([^;]+)").alias(LAST_YEAR_WITH),
            _took_over(pl.col("note").str.extract(r"^new school: took over from (.+) during the year")).alias(TOOK_OVER))
        schools = schools.join(last, on="school_id", how="left").with_columns(
            pl.col("previous_total").fill_null(0), pl.col(NEW_THIS_YEAR).fill_null(True))
    counts = (result.psf.filter(pl.col("paid_amount") > 0)
              .group_by(pl.col("paid_school_id").alias("school_id")).agg(pl.len().alias("_children")))
    units = units_by_school(result.workings)
    frame = (schools.join(units, on="school_id", how="left") if units is not None else schools) \
        .join(result.clusters.select("cluster_id", "cluster_allocation"), on="cluster_id", how="left") \
        .join(counts, on="school_id", how="left")

    def column(name: str, dtype: pl.DataType = pl.Int64) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=dtype)

    cfg = result.config
    issued = getattr(cfg, "issued", None)
    fixed = {"file_name": pl.col("school_id").replace_strict(file_names), "year": pl.lit(str(cfg.year)),
             "period": pl.lit(period_text(cfg.as_dict())),
             "contact": pl.lit(getattr(cfg, "contact", None), dtype=pl.String),
             "issued": pl.lit(issued.strftime("%d/%m/%Y") if issued else None, dtype=pl.String),
             "delegation": pl.lit(getattr(cfg, "delegation", "delegated")),
             "reference": pl.lit(run_reference(result)),
             "in_formula": ~pl.col("school_id").is_in(list(result.outside)),  # SPEC §11.2
             "school_name": column("school_name", pl.String), "cluster_name": column("cluster_name", pl.String)}
    rates = cluster_rates(result)
    return frame.select(
        *[fixed[f].alias(f) if f in fixed else column(f).alias(f) for f in SCHOOL_FIELDS],
        *[e for name, _, _, rate in elements for e in (
            column(f"_units_{name}", pl.String).alias(f"_units_{name}"),
            column(FORMULA_PREFIX + name).alias(FORMULA_PREFIX + name),
            (pl.col("cluster_id").replace_strict(rates[name], default=None, return_dtype=pl.String)
             if name in rates else pl.lit(rate, dtype=pl.String)).alias(f"_rate_{name}"))],
        pl.col("_children").fill_null(0), column(NEW_THIS_YEAR, pl.Boolean).alias(NEW_THIS_YEAR),
        column(LAST_YEAR_WITH, pl.String).alias(LAST_YEAR_WITH), column(TOOK_OVER, pl.String).alias(TOOK_OVER))


def school_tuple(row: tuple, elements: list[tuple]) -> tuple:
    """A school_fields row as SchoolReturn's fields (elements as (title, basis in words, units,
    rate per unit in £ as text, pence)), then the number of children."""
    fixed, rest = row[:len(SCHOOL_FIELDS)], row[len(SCHOOL_FIELDS):]
    shares = tuple((title, basis, rest[3 * i], rest[3 * i + 2], rest[3 * i + 1])
                   for i, (_, title, basis, _) in enumerate(elements))
    return (*fixed, shares, rest[-1])


def children_columns(result: RunResult, school_order: pl.Series) -> pl.DataFrame:
    """The lines paid at each school (paid_amount > 0), in the schools' order then by child, with
    when and why each child's PSF stops and the later years of protection left; reasons in words,
    dates as Excel serial days, so that they cross to the workers as integers and text."""
    psf = result.psf
    order = school_order.to_frame("paid_school_id").with_row_index("_school")
    dates = [c for c, kind in zip(CHILD_COLUMNS, CHILD_KINDS) if kind == "date"]
    # the school a line's PSF went on to, if it went on (a managed move, a successor), and the school it came from,
    # each by a move or by succession (senrun.neighbours)
    lines = neighbours(psf.lazy(), result.successions, result.takeovers)
    # a line paid up to a day before its history's last paid day: the PSF went on from here to another school
    # a child's statement history (SPEC §11.3), by its first row's ROW: a ceased statement and its reissue are two
    history = pl.col("paid_to").max().over(ROW)
    lines = lines.with_columns((pl.col("paid_to") < history).fill_null(False).alias("_went_on"))
    lines = lines.filter(pl.col("paid_amount") > 0).join(order.lazy(), on="paid_school_id", how="inner")
    lines = with_rates(lines.with_columns(*stop_columns(result, [*psf.columns, "_next"])), result)
    lines = lines.with_columns(pl.col("why") + came_from())
    return (lines.sort("_school", "upn", "paid_from", "stream")
            .select(*[excel_serial(pl.col(c)).alias(c) if c in dates else pl.col(c) for c in CHILD_COLUMNS])
            .collect())


def came_from() -> pl.Expr:
    """What a line paid at a school other than its statement's says of where the child's PSF came from (the
    receiving school's first question, as "moved on to" is the giving school's): "; came from X by managed move"
    (a transfer under `transfer: keeps` is one too: SPEC §3), "; came from X, which became this school (no
    move)" for a succession (SPEC §11.1), or, where no line of this period comes before it, "; the PSF came
    here from X, the statement's school" (perhaps by other schools); nothing for a line at the statement's school
    with none before it."""
    before = pl.col(CAME_FROM)
    return (pl.when(before.is_null()).then(pl.lit(""))
            .when(pl.col(CAME_BY_SUCCESSION))
            .then(pl.lit("; came from ") + before + pl.lit(", which became this school (no move)"))
            .when(pl.col(CAME_EARLIER)).then(pl.lit("; the PSF came here from ") + before
                                            + pl.lit(", the statement's school"))
            .otherwise(pl.lit("; came from ") + before + pl.lit(" by managed move")))


def stopped_here(result: RunResult, schools: set[str]) -> dict[str, tuple[tuple, ...]]:
    """With a register: school_id → the children paid PSF there last year and not there this year, each as (UPN,
    stream, paid there last year in pence, why in words), by UPN: a child whose PSF stopped, with its reason, and
    one paid at another school this year (a managed move, or a statement that now names another school), whose
    PSF last year is otherwise missing from the school's figures.  A school that became another since (a
    conversion) has its children listed at the school it became (SPEC §11.1).  Empty without a register."""
    from .reconciliation import STOPPED, reconciliation_frame
    from ..yearly.diff import folded_into

    frame = reconciliation_frame(result)
    if frame is None:
        return {}
    last = _paid_last_year_by_school(result.register)
    into = folded_into(last.get_column("_school").unique().to_list(), schools,
                       tuple(getattr(result, "successions", ()) or ()))
    now = (result.psf.filter(pl.col("paid_amount") > 0)
           .select(pl.col("upn"), pl.col("stream"), pl.col("paid_school_id").alias("_school")).unique())
    stopped = (frame.filter(pl.col("movement") == STOPPED)  # (one reason a child: a history ceased and reissued)
               .select("upn", "stream", pl.col("reason").replace_strict(REASON_WORDS, default=pl.col("reason"))
                       .alias("_why")).unique(["upn", "stream"], keep="first", maintain_order=True))
    # a school and the one it became are one school here: what was paid at each is summed, one row a child
    gone = (last.with_columns(pl.col("_school").replace(into))
            .filter(pl.col("_school").is_in(list(schools)))
            .group_by("_school", "upn", "stream").agg(pl.col("_paid").sum())
            .join(now, on=["upn", "stream", "_school"], how="anti")
            .join(stopped, on=["upn", "stream"], how="left")
            .with_columns(pl.col("_why").fill_null(pl.lit(PAID_ELSEWHERE)))
            .sort("_school", "upn", "stream"))
    out: dict[str, list[tuple]] = {}
    for sid, upn, stream, paid, why in gone.select("_school", "upn", "stream", "_paid", "_why").iter_rows():
        out.setdefault(sid, []).append((upn, stream, paid, why))
    return {sid: tuple(rows) for sid, rows in out.items()}


#: Why a child paid at a school last year is not paid there this year, though paid PSF at another school.
PAID_ELSEWHERE = "paid at another school this year (a managed move, or the statement names another school)"


def _paid_last_year_by_school(register) -> pl.DataFrame:
    """upn, stream, `_school`, `_paid`: what each of last year's histories was paid at each school (pence), for
    those paid anything: at the school of its last paid day, or at each school for the few paid at several."""
    hist = register.histories.filter(pl.col("last_paid") > 0).select(
        "upn", "stream", pl.col("last_school").alias("_school"), pl.col("last_paid").alias("_paid"))
    several = register.paid_at
    if several is None:
        return hist
    return pl.concat([hist.join(several.select("upn", "stream").unique(), on=["upn", "stream"], how="anti"),
                      several.select("upn", "stream", pl.col("paid_school_id").alias("_school"),
                                     pl.col("paid").alias("_paid"))])


def with_rates(lines: pl.LazyFrame, result: RunResult) -> pl.LazyFrame:
    """`why` with the rates a line was paid at, where its statement's rate changed within it (an amendment, an
    EHC transfer with a new amount: SPEC §11.3): the annual PSF shown is the last rate, and the amount paid is
    the sum over the rates, which a school cannot otherwise work out.  Only the few such lines are worded."""
    segments = getattr(result, "rate_segments", None)
    if segments is None:
        return lines
    # a line is its statement row and its first day paid (two lines of one row are paid over different days);
    # by months, a rate is paid from the first month that begins under it (a month at the rate on its first day)
    by_months = result.config.prorate == "months"
    paid = result.psf.lazy().filter(pl.col("paid_amount") > 0)  # (not `lines`' plan again: only the few rows with rates)
    parts = (paid.select(ROW, "paid_from", "paid_to").join(segments.lazy(), on=ROW, how="inner")
             .select(ROW, "paid_from", pl.max_horizontal("seg_from", "paid_from").alias("_from"),
                     pl.min_horizontal("seg_to", pl.col("paid_to") + pl.duration(days=1)).alias("_to"), "rate")
             .with_columns([_month_up(pl.col(c)).alias(c) for c in ("_from", "_to")] if by_months else [])
             .filter(pl.col("_from") < pl.col("_to")).sort(ROW, "paid_from", "_from").collect())
    months = " (a month is paid at the rate in force on its first day)" if by_months else ""
    worded = {}
    for key, part in parts.group_by(ROW, "paid_from", maintain_order=True):
        changes = [(start, rate) for i, (start, rate) in enumerate(part.select("_from", "rate").iter_rows())
                   if i == 0 or rate != part["rate"][i - 1]]  # (an amendment that kept the amount changes nothing)
        if len(changes) > 1:
            rates = [f"{fmt_gbp(rate)} a year" + ("" if i == 0 else f" from {start:%d/%m/%Y}")
                     for i, (start, rate) in enumerate(changes)]
            worded[key] = "; paid at " + ", then ".join(rates) + months
    if not worded:
        return lines
    texts = pl.LazyFrame({ROW: [row for row, _ in worded], "paid_from": [day for _, day in worded],
                          "_rates": list(worded.values())},
                         schema={ROW: parts.schema[ROW], "paid_from": pl.Date, "_rates": pl.String})
    return (lines.join(texts, on=[ROW, "paid_from"], how="left", maintain_order="left")
            .with_columns(pl.col("why") + pl.col("_rates").fill_null("")).drop("_rates"))


def _month_up(day: pl.Expr) -> pl.Expr:
    """A day, or the first of the next month when it is not a first: where a rate starting (or ending) on it
    starts (or stops) being paid by months."""
    return pl.when(day.dt.day() == 1).then(day).otherwise(day.dt.month_start().dt.offset_by("1mo"))


def stop_columns(result: RunResult, columns: list[str]) -> list[pl.Expr]:
    """`stops_on` (the day the line's PSF stops: its end of phase if it continues, else the day
    after it was last paid here), `why` (in words: a child still protected on the period's last
    day whose phase ends that day — stop date the day after — "ends with this period", not
    "continues beyond" it) and `years_left` (later funding years in which the child is still
    protected, if nothing else changes)."""
    cfg = result.config
    end = cfg.period_end
    stop = pl.col("stop_date") if "stop_date" in columns else pl.lit(None, dtype=pl.Date)
    continuing = (pl.col("reason") == "continuing") & (pl.col("paid_to") == end)
    beyond = stop.is_null() | (stop > pl.lit(end + timedelta(days=1)))  # still protected after the period
    here = pl.col("paid_to") + pl.duration(days=1)
    phase = pl.col("protected_phase") if "protected_phase" in columns else pl.lit(None, dtype=pl.String)
    converted = pl.col("_converted").fill_null(False)  # (children_columns: a line that went on to a successor)
    # a line that ended here before its history was last paid (a managed move, a successor): the PSF went on,
    # whatever stopped it later elsewhere (a phase end at the next school is that school's to say)
    went_on = ~continuing & ((pl.col("reason") == "continuing") | pl.col("_went_on"))
    nxt = pl.col("_next") if "_next" in columns else pl.lit(None, dtype=pl.String)  # where the PSF went on to
    to_next, moved_to = (pl.lit(" ") + nxt).fill_null(""), (pl.lit(" to ") + nxt).fill_null("")
    why = (pl.when(continuing & beyond).then(pl.lit("continues beyond this period, to the end of ")
                                             + phase.fill_null("the protected phase") + pl.lit(" phase"))
           .when(continuing).then(phase.replace_strict(phase_ends(cfg, ENDS_WITH_PERIOD), default=None,
                                                       return_dtype=pl.String)
                                  .fill_null(pl.lit(ENDS_WITH_PERIOD + "the protected phase")))
           .when(went_on & converted).then(pl.lit("school closed, its PSF went on to its successor") + to_next
                                            + pl.lit(" (no move)"))
           .when(went_on).then(pl.lit("moved on") + moved_to + pl.lit(", the PSF went with the child"))
           .when((pl.col("reason") == "phase_end") & phase.is_not_null())  # which phase, and its last year
           .then(phase.replace_strict(phase_ends(cfg), default=pl.lit(REASON_TEXT["phase_end"]),
                                      return_dtype=pl.String))
           .otherwise(pl.col("reason").replace_strict(REASON_TEXT, default=None, return_dtype=pl.String)))
    code = pl.when(went_on).then(pl.lit("continuing")).otherwise(pl.col("reason"))
    why = code + pl.when(why.is_not_null()).then(pl.lit(": ") + why).otherwise(pl.lit(""))
    starts = [shifted_period(cfg, k)[0] for k in range(1, MAX_YEARS + 1)]
    left = pl.sum_horizontal([(pl.lit(s) < stop).cast(pl.Int64) for s in starts]) if starts else pl.lit(0)
    return [pl.when(continuing).then(stop).otherwise(here).alias("stops_on"), why.alias("why"),
            # (a line that went on: the child's later years are the next school's to show, so none here, not 0)
            pl.when(continuing).then(left.fill_null(0)).when(went_on).then(None).otherwise(0).cast(pl.Int64)
            .alias("years_left")]


#: Why for a child protected to the period's last day whose phase ends with it (FAQ 3–5).
ENDS_WITH_PERIOD = "ends with this period, at the end of "


def phase_ends(cfg, lead: str = "left the protected phase at the end of ") -> dict[str, str]:
    """Each phase's name → why PSF stops at its end, naming the phase and its last year (SPEC §3):
    "left the protected phase at the end of secondary (Year 11)", or after another `lead`."""
    def year(nc: int) -> str:
        return {-2: "N1", -1: "N2", 0: "Reception"}.get(nc, f"Year {nc}")

    return {name: f"{lead}{name} ({year(last)})" for name, _, last in cfg.phases}


def units_by_school(workings: pl.DataFrame | None) -> pl.DataFrame | None:
    """school_id and one `_units_<element>` column (the school's units as text), from the workings."""
    if workings is None or workings.is_empty() or not {"school_id", "element", "units"} <= set(workings.columns):
        return None
    return workings.select("school_id", "element", pl.col("units").cast(pl.String)).pivot(
        on="element", index="school_id", values="units").rename(
        lambda c: c if c == "school_id" else f"_units_{c}")


def element_list(result: RunResult) -> list[tuple[str, str, str, str | None]]:
    """(name, title, basis in words, rate per unit in £ as text) per formula element, in config order;
    from the schools' columns if need be.  A rate element's rate is its own; a share's or the
    remainder's is its total over its units, to 6 places (each school's amount is then rounded
    to the penny so that the amounts add up to the total exactly: SPEC §1)."""
    titles = element_titles(result.config)
    if result.elements:
        return [(e.name, titles.get(e.name, e.name), return_basis_words(e.basis), unit_rate(e))
                for e in result.elements]
    return [(c[len(FORMULA_PREFIX):], c[len(FORMULA_PREFIX):], "", None) for c in result.schools.columns
            if c.startswith(FORMULA_PREFIX)]


def return_basis_words(basis: str) -> str:
    """An element's basis in words on a return, where a school's units are counted."""
    return PER_CLUSTER_WORDS if basis == "per_cluster" else basis_words(basis)


def cluster_rates(result: RunResult) -> dict[str, dict[str, str]]:
    """Per `per_cluster` element, cluster_id → its £ per unit on a return: the cluster's amount over its
    schools' units (their pupils, SPEC §11.8), to 6 places.  The element's own rate is per cluster, and a
    school's units are its pupils: units × that rate would not be the school's amount."""
    names = [e.name for e in result.elements if e.basis == "per_cluster"]
    work = result.workings
    if not names or work is None or work.is_empty() or "cluster_id" not in result.schools.columns:
        return {name: {} for name in names}
    units = (work.filter(pl.col("element").is_in(names))
             .join(result.schools.select("school_id", "cluster_id"), on="school_id", how="inner")
             .filter(pl.col("cluster_id").is_not_null())
             .group_by("cluster_id", "element").agg(pl.col("units").cast(pl.Int64).sum()))
    amounts = {(cluster, name): amount for name in names if FORMULA_PREFIX + name in result.clusters.columns
               for cluster, amount in result.clusters.select("cluster_id", FORMULA_PREFIX + name).iter_rows()}
    out: dict[str, dict[str, str]] = {name: {} for name in names}
    for cluster, name, count in units.iter_rows():
        if count and (cluster, name) in amounts:
            out[name][cluster] = _six_places(Fraction(amounts[cluster, name]) / 100 / count)
    return out


def _six_places(exact: Fraction) -> str:
    """£ per unit to 6 places, rounded half up."""
    return str((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.000001"),
                                                                                rounding=ROUND_HALF_UP))


def unit_rate(element) -> str | None:
    """An element's £ per unit, exactly as configured for a rate, else its total ÷ its units to 6 places."""
    if element.kind == "rate" and element.parameter:
        return element.parameter
    try:  # (a part year's lump sums are a fraction: 77/12)
        units = Fraction(str(element.units))
    except (ValueError, ZeroDivisionError, TypeError):
        return None
    if not units:
        return None
    return _six_places(Fraction(element.total) / 100 / units)


def chunk_size(schools: int, workers: int) -> int:
    """Schools per chunk: a few chunks per process, none too big."""
    return max(1, min(MAX_CHUNK, math.ceil(schools / (workers * CHUNKS_PER_PROCESS))))


def worker_count(jobs: int | None, schools: int) -> int:
    """How many processes to use: `jobs` (default the CPU count), fewer for a small run."""
    wanted = jobs if jobs is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise SenrunError(f"--jobs must be at least 1, not {wanted}")
    most = WINDOWS_MOST_PROCESSES if sys.platform == "win32" else wanted  # (a pool's limit there)
    return max(1, min(wanted, most, schools // MIN_PER_PROCESS))


@contextmanager
def building_returns(result: RunResult, jobs: int | None, diff: pl.DataFrame | None = None,
                     then: Iterable = ()) -> Iterator[Iterator[list[tuple[str, bytes]]]]:
    """Start building the returns and give their files, chunk by chunk in school order.

    With more than one process, the first chunks are handed to the pool at once, so the
    processes work while the caller writes the other outputs; they are collected as the
    caller iterates.  In-process, each chunk is built when it is asked for."""
    workers = worker_count(jobs, result.schools.height)
    # `then`: other chunks for the same processes (the cluster packs), handed out after the returns, and only
    # worked out when the processes are ready for them: the processes start on the returns meanwhile
    chunks = chain(plan_returns(result, chunk_size(result.schools.height, workers), diff), then)
    if workers == 1:
        yield map(build_chunk, chunks)
        return
    processes.start_helpers()  # before the pool: the helpers must not hold this process's output
    workers_end, run_end = processes.lifeline()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=processes.context(),
                               initializer=processes.init_worker, initargs=(workers_end,))
    try:
        pending = deque(pool.submit(build_chunk, chunk) for chunk in islice(chunks, workers * AHEAD_PER_PROCESS))
        yield in_order(pool, pending, chunks)
    except BrokenProcessPool as exc:  # a worker was killed, e.g. by the out-of-memory killer
        raise SenrunError(f"a process writing the school returns stopped unexpectedly ({exc}); "
                          f"try again with --jobs 1") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        run_end.close()
        workers_end.close()


def in_order(pool: ProcessPoolExecutor, pending: deque, chunks: Iterator[ReturnChunk]) -> Iterator[list]:
    """The results of the `pending` futures in order, handing the pool one more chunk for each
    collected: so at most len(pending) chunks are ever in flight (Executor.map submits them all)."""
    while pending:
        files = pending.popleft().result()
        for chunk in islice(chunks, 1):
            pending.append(pool.submit(build_chunk, chunk))
        yield files


def write_returns(built: Iterator[list[tuple[str, bytes]]], total: int, write: Callable[[str, bytes], None],
                  progress: Callable[[str, int, int], None] | None = None, stop=None) -> int:
    """Hand each built file to `write`, in order; returns how many returns were written.  Stops at
    the next chunk once `stop` (a threading.Event) is set: the run has failed or been interrupted."""
    done = 0
    for files in built:
        if stop is not None and stop.is_set():
            break
        for name, data in files:
            write(name, data)
        done += sum(name.startswith(RETURNS_DIR + "/") for name, _ in files)  # not the packs built alongside
        if progress:
            progress("returns", done, total)
    return done
