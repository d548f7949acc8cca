"""Schools that close, convert or amalgamate, as the PSF rules see them (SPEC §11.1, §11.11).

A school's successor takes over its pupils: an academy conversion with a new ID, an infant
and junior school amalgamating, a re-designation.  The child did not move, so PSF held at
the closed school carries on at the successor as if by a managed move, whatever the child's
phase or move history (FAQ 3, 6: PSF is tied to the child's phase and school, not to the
school's legal form).  A school that closes with no successor ends the PSF held there.

Successions come from the schools input (`successor_id`, with `closed`) and from a `links`
input as GIAS exports it.  They become three small tables, one row per school or pair of
schools (never per pupil):

- `edges`: each school's successor and the day the line is first at the successor;
- `timeline`: for each school with a successor or a closing, where a line held there is on
  every day (`at_school` null from the closing of a chain's last school);
- `chains`: the pairs of schools of one succession chain (predecessors and successors,
  transitively; not a sibling that merged into the same successor), for the census check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from .checks import MAX_LISTED
from .errors import Issues
from .inputs.load import Table
from .inputs.schema import (CLOSED, CLUSTER_ID, LINK_DATE, LINK_TYPE, OPENED, ROW, SCHOOL_ID,
                            SUCCESSOR_ID, URN)
from .money import fmt_gbp

DAY0 = date(1, 1, 1)
FAR_FUTURE = date(9999, 12, 31)
_EDGE_SCHEMA = {SCHOOL_ID: pl.String, SUCCESSOR_ID: pl.String, "on": pl.Date}
_TIMELINE_SCHEMA = {SCHOOL_ID: pl.String, "at_school": pl.String, "t0": pl.Date, "t1": pl.Date}
_CHAIN_SCHEMA = {SCHOOL_ID: pl.String, "member": pl.String}
#: Said of a links input's successor not found, when the schools input has URNs too (urns.py).
_NOR_URN = " (neither a school_id nor a URN of its urn column)"


@dataclass(frozen=True)
class Successions:
    """The successions of a run's schools (see the module's text)."""

    edges: pl.DataFrame
    timeline: pl.DataFrame
    chains: pl.DataFrame

    @property
    def empty(self) -> bool:
        """No school of the run closes or has a successor: every rule is as in §3."""
        return self.timeline.is_empty()


NONE = Successions(pl.DataFrame(schema=_EDGE_SCHEMA), pl.DataFrame(schema=_TIMELINE_SCHEMA),
                   pl.DataFrame(schema=_CHAIN_SCHEMA))


def read_successions(schools: Table, links: Table | None, issues: Issues, period_end: date | None = None,
                     urn_of: dict[str, str] | None = None) -> Successions:
    """The successions of the schools input and the links input; problems go to `issues`.

    Errors: a successor not in the schools input, a school given two different successors, a
    school succeeding itself or a loop, a succession with no date (no link date, no `closed`
    and no `opened` of the successor).  A succession dated after `period_end` (the run's period)
    whose successor is not in the schools input is left out, with no error: it moves no money this
    period, and GIAS's links export holds every conversion, later ones too.  `urn_of` (URN → school_id,
    urns.urn_schools) names the school a successor given by its URN is."""
    frame = schools.frame
    if SUCCESSOR_ID not in frame.columns and links is None and CLOSED not in frame.columns:
        return NONE
    ids = set(frame[SCHOOL_ID].to_list())
    pairs = declared_pairs(frame, links.frame if links is not None else None)
    _links_none_known(pairs, links, schools, ids, issues)
    closed = _dates(frame, CLOSED)
    opened = _dates(frame, OPENED)
    found: dict[str, tuple[str, date | None, dict]] = {}  # school → (successor, link date, where)
    for school, successor, link_date, where, from_links in _declared(pairs, schools, links, ids):
        if successor not in ids:
            on = link_date or (closed[school] + timedelta(days=1) if closed.get(school) else None)
            if period_end is None or on is None or on <= period_end:  # (after the period: not listed yet)
                _unknown_successor(school, successor, where, from_links and URN in frame.columns, urn_of, issues)
            continue
        if successor == school:
            issues.error("succession", f"school {school} is given as its own successor: a conversion that keeps the "
                         "school's id needs no succession (leave this link out, and the school open: no closed date)",
                         **where, value=successor)
            continue
        if school in found and found[school][0] != successor:
            issues.error("succession", f"school {school} has two successors, '{found[school][0]}' and "
                         f"'{successor}': PSF can follow only one (record each child's move instead)",
                         **where, value=successor)
            continue
        earlier = found.get(school, (successor, None, where))[1]
        found[school] = (successor, min(d for d in (earlier, link_date) if d) if (earlier or link_date) else None,
                         where)
    edges = {}
    for school, (successor, link_date, where) in sorted(found.items()):
        on = link_date or (closed[school] + timedelta(days=1) if closed.get(school) else opened.get(successor))
        if on is None:
            issues.error("succession", f"school {school} has successor '{successor}' but no date: give the school's "
                         "closed date, a link_date, or the successor's opened date", **where, value=successor)
            continue
        if link_date:
            dated = (links.where(LINK_DATE, where["row"]) if links is not None
                     and (where["file"], where["sheet"]) == (links.file, links.sheet) else where)  # (its date's cell)
            _link_date_differs(school, successor, link_date, closed.get(school), opened.get(successor), dated, issues)
        edges[school] = (successor, on)
    if _loops(edges, {school: where for school, (_, _, where) in found.items()}, issues):
        return NONE
    return _build(edges, closed)


def _unknown_successor(school: str, successor: str, where: dict, urns_too: bool, urn_of: dict[str, str] | None,
                       issues: Issues) -> None:
    """The error for a successor that is no school of the schools input: the school it is the URN of, when it
    is one (the schools' own successor_id column is in the council's ids, urns.py), else what to add."""
    if successor in (urn_of or {}):
        issues.error("unknown_school", f"successor '{successor}' of school {school} is the URN of school "
                     f"{urn_of[successor]}, not a school_id", **where, value=successor,
                     expected=f"the successor's school_id ({urn_of[successor]})")
        return
    kept = (f"; or, if school {school} kept its school_id when it became an academy, '{successor}' is most likely "
            "its new URN: give that in the school's urn column (GIAS's link from its old URN is then left out, as a "
            "school that keeps its id needs none)") if urns_too else ""
    issues.error("unknown_school", f"successor '{successor}' of school {school} is not in the schools input"
                 f"{_NOR_URN if urns_too else ''}", **where, value=successor,
                 expected="a school_id of the schools input (add the successor, with in_formula: no if it is "
                 f"outside the formula){kept}")


def _link_date_differs(school: str, successor: str, on: date, closed: date | None, opened: date | None,
                       where: dict, issues: Issues) -> None:
    """A link date that is not the day after the school's `closed`, or before its successor's `opened`: PSF
    follows the link's date (§11.1), so it is paid at the successor while the school is still open, or
    at a successor not yet open, or at a closed school: one of the dates is most likely wrong."""
    said = []
    if closed is not None and on != closed + timedelta(days=1):
        said.append(f"school {school} closed on {closed:%d/%m/%Y}, so its successor takes over on "
                    f"{closed + timedelta(days=1):%d/%m/%Y}")
    if opened is not None and on < opened:
        said.append(f"the successor {successor} opened on {opened:%d/%m/%Y}")
    if said:
        if closed is not None and opened is not None and opened != closed + timedelta(days=1):
            right = (f"the school's closed date ({closed:%d/%m/%Y}) and its successor's opened date ({opened:%d/%m/%Y}) "
                     "a day apart, and the succession on the opening: they disagree now")
        elif closed is not None:
            right = f"{closed + timedelta(days=1):%d/%m/%Y}, the day after the school closed"
        else:
            right = f"on or after {opened:%d/%m/%Y}, when the successor opened"
        issues.warn("link_date_differs", f"the succession of school {school} by {successor} is dated {on:%d/%m/%Y}, "
                    f"but {' and '.join(said)}: PSF follows the succession's date, so check which date is right",
                    **where, value=f"{on:%d/%m/%Y}", expected=right)


def unclosed_predecessors(schools: Table, successions: Successions, period_end: date, issues: Issues) -> None:
    """A warning for each school succeeded on or before the period's end that has no `closed` date: a
    blank bound is unbounded (SPEC §11.1), so it is still counted open after its successor took over
    (a lump sum, its census pupils) — most likely a conversion given only in the links input."""
    frame = schools.frame
    closed = frame[CLOSED] if CLOSED in frame.columns else pl.Series([None] * frame.height, dtype=pl.Date)
    open_ended = frame.filter(closed.is_null()).select(SCHOOL_ID, ROW)
    found = (successions.edges.filter(pl.col("on") <= period_end).join(open_ended, on=SCHOOL_ID, how="inner")
             .sort(ROW))
    column = CLOSED if CLOSED in schools.headers else SCHOOL_ID  # (a `closed` column read, not one made blank)
    for school, successor, on, row in found.select(SCHOOL_ID, SUCCESSOR_ID, "on", ROW).iter_rows():
        issues.warn("successor_not_closed", f"school {school} is succeeded by {successor} from {on:%d/%m/%Y} but has "
                    "no closed date, so it is still counted open after that day (its lump sum, its census pupils): "
                    f"if it closed, give it closed {on - timedelta(days=1):%d/%m/%Y}", **schools.where(column, row),
                    expected="the school's last day open")


def _dates(frame: pl.DataFrame, column: str) -> dict[str, date]:
    if column not in frame.columns:
        return {}
    return dict(frame.filter(pl.col(column).is_not_null()).select(SCHOOL_ID, column).iter_rows())


def declared_pairs(schools: pl.DataFrame, links: pl.DataFrame | None) -> pl.DataFrame:
    """Every succession the inputs declare, read one way for every use (the PSF rules, the census
    counts, `--previous`): the schools' `successor_id`, then the `links` rows in file order.

    GIAS lists links of every kind: rows whose link_type does not begin with "Successor" (or is
    blank) are not successions; without a link_type column every row is one (SPEC §11.1, §11.11).
    Columns `_links` (the row is the links input's), `_row`, school_id, successor_id, link_date."""
    parts = []
    if SUCCESSOR_ID in schools.columns:
        parts.append(schools.filter(pl.col(SUCCESSOR_ID).is_not_null()).select(
            pl.lit(False).alias("_links"), ROW, SCHOOL_ID, SUCCESSOR_ID, pl.lit(None, dtype=pl.Date).alias(LINK_DATE)))
    if links is not None:
        rows = links.filter(pl.col(SCHOOL_ID).is_not_null() & pl.col(SUCCESSOR_ID).is_not_null())
        rows = rows.filter(is_succession(rows))
        link_date = pl.col(LINK_DATE) if LINK_DATE in rows.columns else pl.lit(None, dtype=pl.Date)
        parts.append(rows.sort(ROW).select(pl.lit(True).alias("_links"), ROW, SCHOOL_ID, SUCCESSOR_ID,
                                           link_date.alias(LINK_DATE)))
    schema = {"_links": pl.Boolean, ROW: pl.Int64, SCHOOL_ID: pl.String, SUCCESSOR_ID: pl.String, LINK_DATE: pl.Date}
    return pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)


def _links_none_known(pairs: pl.DataFrame, links: Table | None, schools: Table, ids: set[str],
                      issues: Issues) -> None:
    """A warning when the links input has successions (`declared_pairs`) but none from a school of the
    schools input: its ids are likely another kind (URNs against DfE numbers), and every link would
    be left out unseen.  It says what to do: map the schools list's URN column as `urn` (or, with one
    mapped, that neither kind matched)."""
    linked = pairs.filter(pl.col("_links"))
    if links is not None:
        _successions_without_successor(links, issues)
    if links is not None and linked.is_empty() and LINK_TYPE in links.frame.columns:
        _links_no_successions(links, issues)
    if links is None or linked.is_empty() or linked[SCHOOL_ID].is_in(list(ids)).any():
        return
    if URN in schools.frame.columns:
        todo = (f"Its ids are neither school_ids nor URNs of the schools input's {schools.headers.get(URN, URN)} "
                "column: is it the links export of the schools listed?")
    else:
        todo = ("Are its ids another kind (URNs, where the schools input has DfE numbers)? If so, map the schools "
                "list's URN column as urn (under inputs: schools: columns: {\"URN\": urn}; a list with no URN "
                "column takes one from GIAS's download of the same schools, matched by DfE number): each URN is then "
                "read as its school's school_id")
    issues.warn("links_unknown", f"none of the {linked.height:,} successions in the links input is from a school "
                f"of the schools input (such as '{linked[SCHOOL_ID][0]}'): every one is left out. {todo}",
                **links.where(SCHOOL_ID), expected="the school_ids of the schools input, or their URNs")


def is_succession(links: pl.DataFrame) -> pl.Expr:
    """Whether each row of the links input is a succession: its link_type begins "Successor" (GIAS lists
    links of every kind), or the file has no link_type (SPEC §11.1, §11.11)."""
    if LINK_TYPE not in links.columns:
        return pl.lit(True)
    return pl.col(LINK_TYPE).str.strip_chars().str.to_lowercase().str.starts_with("successor").fill_null(False)


def _successions_without_successor(links: Table, issues: Issues) -> None:
    """A succession row of the links input (its link_type begins 'Successor', or the file has no
    link_type) whose successor_id is blank is an error at that cell: left out, its school's children
    would lose PSF at its closing with no word."""
    frame = links.frame
    rows = frame.filter(pl.col(SCHOOL_ID).is_not_null() & pl.col(SUCCESSOR_ID).is_null() & is_succession(frame))[ROW]
    for row in rows.head(MAX_LISTED).to_list():
        issues.error("empty_value", "this succession has no successor_id: give the school that took over the "
                     "pupils", **links.where(SUCCESSOR_ID, row), expected="the successor's school_id")


#: The kinds of group in GIAS's groups export (trusts, federations), as against its kinds of link.
GROUP_KINDS = r"(?i)trust|federation|collaboration|sponsor|group|umbrella"


def _links_no_successions(links: Table, issues: Issues) -> None:
    """A warning when rows of the links input have a link_type but none is a succession: GIAS's
    groups export (trusts, federations) taken for its links export leaves every conversion out."""
    types = links.frame[LINK_TYPE].drop_nulls().str.strip_chars()
    kinds = types.filter(types != "").unique(maintain_order=True)
    if kinds.is_empty() or links.frame.select(is_succession(links.frame).any()).item():
        return  # successions with their ids left blank: those rows' own errors say so
    if kinds.str.to_lowercase().str.starts_with("predecessor").any():  # one way only: the other way was dropped
        issues.warn("links_no_successions", "the links input lists predecessors but no successors: only a "
                    "link_type beginning 'Successor' is read, so no school is followed by another. GIAS lists each "
                    "link both ways (URN → its successor, and the successor → its predecessor): export the rows "
                    "of both kinds, or keep the 'Successor' rows", **links.where(LINK_TYPE),
                    expected="rows with link_type 'Successor' (or a file without a link_type column)")
        return
    if not kinds.str.contains(GROUP_KINDS).any():  # GIAS's own kinds of link ("Other", "Sixth Form Centre
        return  # Link"): a links export of a year before any conversion, which is no mistake
    shown = ", ".join(f"'{k}'" for k in kinds.head(3).to_list()) + (", …" if kinds.len() > 3 else "")
    issues.warn("links_no_successions", f"none of the {types.len():,} rows of the links input is a succession: "
                f"their link_type is {shown}, and only a link_type beginning 'Successor' is read, so no school "
                "is followed by another. Is it GIAS's groups export (trusts, federations)? senrun needs GIAS's "
                "links export (URN, LinkURN, LinkType, LinkEstablishedDate)", **links.where(LINK_TYPE),
                expected="rows with link_type 'Successor' (or a file without a link_type column)")


def _declared(pairs: pl.DataFrame, schools: Table, links: Table | None, ids: set[str]):
    """(school, successor, link date, where, from the links input) of `declared_pairs`; a link from a school
    that is not in the schools input cannot hold PSF here, so it is left out."""
    pairs = pairs.filter(~pl.col("_links") | pl.col(SCHOOL_ID).is_in(list(ids)))
    for from_links, row, school, successor, on in pairs.iter_rows():
        yield school, successor, on, (links if from_links else schools).where(SUCCESSOR_ID, row), from_links


def _loops(edges: dict[str, tuple[str, date]], wheres: dict[str, dict], issues: Issues) -> bool:
    """A chain that comes back to a school is an error (it has no end to carry PSF to): one error per loop,
    at the row that declares its first succession, naming the row of each of its successions (`wheres`:
    where each school's succession was declared, in the order declared)."""
    looped: set[str] = set()
    for start in edges:
        if start in looped:
            continue
        path, cur = [start], edges[start][0]
        while cur in edges and cur not in path:
            path.append(cur)
            cur = edges[cur][0]
        if cur != start:  # no loop, or a chain that runs into a loop found from one of its own schools
            continue
        looped.update(path)
        steps = [s for s in wheres if s in path]  # as declared: the schools input, then the links input
        listed = "; ".join(f"{s} → {edges[s][0]} ({_place(wheres[s])})" for s in steps)
        issues.error("succession", f"the successions of school {start} come back to it, so PSF has no school to "
                     f"end at: {listed}. Remove the succession that is wrong", **wheres[steps[0]], value=start)
    return bool(looped)


def _place(where: dict) -> str:
    """`links.csv row 3`, `schools.xlsx › Schools row 4`: where a succession was declared, in a message."""
    place = " › ".join(p for p in (where["file"], where["sheet"]) if p)
    return f"{place} row {where['row']}" if where["row"] else place


def _build(edges: dict[str, tuple[str, date]], closed: dict[str, date]) -> Successions:
    """The edges, timeline and chains tables (a loop over schools, never over pupils)."""
    timeline = []
    for school in sorted(set(edges) | set(closed)):
        cur, t = school, DAY0
        while cur in edges:
            on = max(edges[cur][1], t)
            timeline.append((school, cur, t, on))
            cur, t = edges[cur][0], on
        if cur in closed:
            end = max(closed[cur] + timedelta(days=1), t)
            timeline += [(school, cur, t, end), (school, None, end, FAR_FUTURE)]
        else:
            timeline.append((school, cur, t, FAR_FUTURE))
    preds: dict[str, list[str]] = {}
    for school, (successor, _) in edges.items():
        preds.setdefault(successor, []).append(school)
    chains = []
    for school in sorted(set(edges) | set(preds)):
        members = _walk(school, lambda s: [edges[s][0]] if s in edges else []) | _walk(school, lambda s: preds.get(s, []))
        chains += [(school, m) for m in sorted(members)]
    return Successions(
        pl.DataFrame([(s, t, on) for s, (t, on) in sorted(edges.items())], schema=_EDGE_SCHEMA, orient="row"),
        pl.DataFrame(timeline, schema=_TIMELINE_SCHEMA, orient="row"),
        pl.DataFrame(chains, schema=_CHAIN_SCHEMA, orient="row"))


def _walk(start: str, step) -> set[str]:
    seen, todo = set(), list(step(start))  # a copy: step may return a list it keeps
    while todo:
        s = todo.pop()
        if s not in seen and s != start:
            seen.add(s)
            todo += step(s)
    return seen


def successor_clusters(schools: Table, successions: Successions, issues: Issues) -> None:
    """A successor with a blank cluster_id takes its predecessors' cluster (§11.1); predecessors in
    different clusters make that an error (§11.11).  Any other blank cluster is left as it is: the
    schools input's own checks decide whether a school may have none (`in_formula: no`, §11.2)."""
    frame = schools.frame
    if frame[CLUSTER_ID].null_count() == 0:
        return
    clusters = dict(frame.select(SCHOOL_ID, CLUSTER_ID).iter_rows())
    preds: dict[str, list[str]] = {}
    for school, successor, _ in successions.edges.iter_rows():
        preds.setdefault(successor, []).append(school)
    fills = {}
    for row, school in frame.filter(pl.col(CLUSTER_ID).is_null()).select(ROW, SCHOOL_ID).iter_rows():
        # the nearest predecessors with a cluster: back through predecessors that are blank themselves
        found = sorted({clusters[p] for p in _walk(school, lambda s: [] if clusters.get(s) and s != school
                                                    else preds.get(s, [])) if clusters.get(p)})
        if len(found) == 1:
            fills[school] = found[0]
        elif len(found) > 1:
            issues.error("succession", f"school {school} has no cluster_id and its predecessors are in different "
                         f"clusters ({', '.join(found)}): give it one", **schools.where(CLUSTER_ID, row),
                         expected="the successor's cluster")
    if fills:
        filled = pl.col(SCHOOL_ID).replace_strict(fills, default=None, return_dtype=pl.String)
        schools.frame = frame.with_columns(pl.coalesce(CLUSTER_ID, filled).alias(CLUSTER_ID))


def split_stays(stays: pl.LazyFrame, successions: Successions | None) -> pl.LazyFrame:
    """Each stay at a school (`paid_school_id`, [`seg_start`, `seg_end`)) split where the school's
    successions move the line on: the part after a conversion is a stay at the successor; the part
    after a closing with no successor is dropped (the line stopped there: `school_closed`)."""
    if successions is None or successions.empty:
        return stays
    timeline = successions.timeline.lazy().rename({SCHOOL_ID: "paid_school_id"})
    moving = stays.join(timeline, on="paid_school_id", how="inner")
    split = (moving.with_columns(pl.max_horizontal("seg_start", "t0").alias("seg_start"),
                                 pl.min_horizontal("seg_end", "t1").alias("seg_end"),
                                 pl.col("at_school").alias("paid_school_id"))
             .filter((pl.col("seg_start") < pl.col("seg_end")) & pl.col("paid_school_id").is_not_null())
             .drop("at_school", "t0", "t1"))
    still = stays.join(timeline.select("paid_school_id").unique(), on="paid_school_id", how="anti")
    return pl.concat([still, split], how="diagonal_relaxed")


def closure_stops(stays: pl.LazyFrame, successions: Successions | None) -> pl.LazyFrame:
    """Per statement row (`_row`): `stop_school_closed`, the first day a stay reaches a school closed with
    no successor, and `succession`, the successions its stays crossed, in words (for explain)."""
    if successions is None or successions.empty:
        return stays.select(ROW).unique().with_columns(pl.lit(None, dtype=pl.Date).alias("stop_school_closed"),
                                                       pl.lit(None, dtype=pl.String).alias("succession"))
    timeline = successions.timeline.lazy().rename({SCHOOL_ID: "paid_school_id"})
    met = (stays.join(timeline, on="paid_school_id", how="inner")
           .filter((pl.col("t0") < pl.col("seg_end")) & (pl.col("t1") > pl.col("seg_start")) & (pl.col("t0") > DAY0))
           .with_columns(pl.max_horizontal("seg_start", "t0").alias("_on")))
    return (met.sort(ROW, "_on")
            .group_by(ROW, maintain_order=True)
            .agg(pl.when(pl.col("at_school").is_null()).then(pl.col("_on")).min().alias("stop_school_closed"),
                 pl.concat_str(pl.lit("from "), pl.col("_on").cast(pl.String),
                               pl.when(pl.col("at_school").is_null()).then(pl.lit(" the school closed with no successor"))
                               .otherwise(pl.concat_str(pl.lit(" at "), pl.col("at_school"),
                                                        pl.lit(" (in the succession from "), pl.col("paid_school_id"),
                                                        pl.lit(")"))))
                 .str.join("; ").alias("succession")))


def same_chain(frame: pl.LazyFrame, a: str, b: str, successions: Successions | None, alias: str) -> pl.LazyFrame:
    """Add `alias`: whether schools `a` and `b` are the same school or of one succession chain."""
    same = pl.col(a) == pl.col(b)
    if successions is None or successions.chains.is_empty():
        return frame.with_columns(same.fill_null(False).alias(alias))
    pairs = successions.chains.lazy().rename({SCHOOL_ID: a, "member": b}).with_columns(pl.lit(True).alias("_pair"))
    return (frame.join(pairs, on=[a, b], how="left", maintain_order="left", nulls_equal=False)
            .with_columns((same.fill_null(False) | pl.col("_pair").fill_null(False)).alias(alias)).drop("_pair"))


def closed_without_successor(lines: pl.DataFrame, schools: Table, issues: Issues) -> None:
    """A warning for each school whose closing with no successor ended protected children's PSF (SPEC
    §11.1, `school_closed`): money leaves the school's children without a child moving, which is
    right for a real closure and wrong for a conversion or a merger whose successor was not given."""
    ended = (lines.filter(pl.col("reason") == "school_closed")
             .sort(ROW, "paid_from", nulls_last=False).group_by(ROW, maintain_order=True).last()  # where it ended
             .group_by("paid_school_id").agg(pl.col(ROW).n_unique().alias("rows"), pl.col("stop_date").min(),
                                             pl.col("released_amount").sum())
             .sort("paid_school_id"))
    if ended.is_empty():
        return
    frame = schools.frame
    rows = dict(frame.select(SCHOOL_ID, ROW).iter_rows())
    column = CLOSED if CLOSED in schools.headers else SCHOOL_ID  # (a `closed` column read, not one made blank)
    for sid, count, on, released in ended.iter_rows():
        issues.warn("closed_without_successor", f"school {sid} closes with no successor, so the PSF of {count:,} "
                        f"protected child(ren) held there ends on {on:%d/%m/%Y} ({fmt_gbp(released)} of this period's "
                        "PSF released to the cluster pot). If it became an academy or joined another school, give "
                        "that school as its successor_id, or in the links input: PSF follows a succession (FAQ 3, 6)",
                        **schools.where(column, rows.get(sid)), value=sid,
                        expected="a successor_id, if the school's pupils went on to another school")


def later_schools(pairs: tuple[tuple[str, str], ...]) -> pl.DataFrame:
    """`school_id`, `later`: each school and every school after it in its succession chain (its
    successor, their successor, …), from (predecessor, successor) pairs: one row per pair of schools."""
    after: dict[str, set[str]] = {}
    for old, new in pairs:
        after.setdefault(old, set()).add(new)
    rows = []
    for start in sorted(after):
        seen, todo = set(), list(after[start])
        while todo:
            school = todo.pop()
            if school not in seen and school != start:
                seen.add(school)
                todo.extend(after.get(school, ()))
        rows.extend((start, school) for school in sorted(seen))
    return pl.DataFrame(rows, schema={SCHOOL_ID: pl.String, "later": pl.String}, orient="row")
