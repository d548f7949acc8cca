"""The schools of the sample chain over seven years, and every pupil the censuses hold.

The schools are those of the single-year sample (clusters of a high school and its feeders,
special schools), and the chain makes them change as a council's did from 2012: a high
school converts to an academy with a new DfE number (2013), an infant and a junior school
amalgamate into a new primary (2014), a primary converts through a GIAS links file (2015)
and is re-brokered to another trust (2017), a primary closes with no successor (2016), a
free school opens (2017).  A private nursery, a special school and a pupil referral unit
are listed with `in_formula: no`.

Pupils are drawn once, a year group per feeder slot and birth cohort, and each January
census places them by age: their primary (infant, then junior), the cluster's high school,
its sixth form for some.  A school that has converted or amalgamated holds its
predecessors' pupils.  Vectorised: no loop over pupils.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from .oracle import Succession, resolve
from .pupils import check_index, rank_within, upn_text
from .schools import INFANT, PRIMARY, SPECIAL, Schools

FIRST_COHORT, LAST_COHORT = 1993, 2015  # births of Year 13 in 2011/12 … nursery in 2018/19
SIXTH_STAY = 0.45  # chance a pupil stays on in their high school's sixth form


@dataclass
class School:
    """One row of the schools input in some year of the chain."""

    id: str
    name: str
    cluster: str  # cluster code, "" when blank in the input
    cluster_name: str
    phase: str
    opened: date | None = None
    closed: date | None = None
    successor: str = ""  # the successor_id column ("" when given only in links)
    in_formula: bool = True
    listed_from: str = ""  # first period label whose schools input lists it ("": every year)
    pupils_override: dict[str, int] = field(default_factory=dict)  # period label -> pupils


@dataclass
class Link:
    """A GIAS-style link row: school, linked school, date, type."""

    school: str
    linked: str
    when: date | None
    kind: str


@dataclass
class World:
    """The chain's schools, their successions and links, and the roles the cases use."""

    base: Schools
    rows: list[School]
    links: list[Link]
    successions: dict[str, Succession]
    roles: dict[str, str]  # role -> school id
    receiving: dict[str, str]  # a school closed with no successor -> where its pupils go


def _id(la: int, estab: int) -> str:
    return f"{la}{estab:04d}"


def build_world(s: Schools) -> World:
    """The chain's schools and their changes, from the single-year sample's schools `s`.

    The roles are fixed by position (the demo's layout guarantees each kind exists; the
    `la` scale takes the first school of each kind that fits), so a seed gives one chain.
    """
    ids = s.ids.tolist()
    rows = [School(ids[i], s.name[i], s.cluster_code[s.cluster[i]], s.cluster_name[s.cluster[i]],
                   ("Primary", "Infant", "Junior", "Secondary", "Special")[s.kind[i]])
            for i in range(s.n_input)]
    roles = _roles(s)
    ch = _Changes(rows, int(s.la[0]), set(ids))
    _convert_amalgamate_close_open(ch, roles)
    by = ch.by_id
    high = by[roles["high"]]
    roles["pvi"] = ch.add(School(ch.new_id(1001), f"{by[roles['stable']].name.split(' ')[0]} Day Nursery",
                                 high.cluster, high.cluster_name, "Nursery", in_formula=False))
    roles["pru"] = ch.add(School(ch.new_id(1101), "Short Stay School", "", "", "Pupil Referral Unit",
                                 in_formula=False, listed_from="2015-16"))
    ch.add(School(roles["special"], s.name[s.n_input], high.cluster, high.cluster_name, "Special",
                  in_formula=False))
    return World(s, rows, ch.links, ch.succ, roles, {roles["closing"]: roles["convert_links"]})


def _roles(s: Schools) -> dict[str, str]:
    """The schools the chain changes and the cases use: an infant school whose cluster has a
    primary too, and another cluster with two primaries (one converts, one closes)."""
    ids, n_clusters = s.ids.tolist(), len(s.cluster_code)
    kind, cluster = s.kind[:s.n_input], s.cluster[:s.n_input]
    primaries = np.bincount(cluster[kind == PRIMARY], minlength=n_clusters)
    infant = int(next(i for i in np.flatnonzero(kind == INFANT).tolist() if primaries[cluster[i]] >= 1))
    c0 = int(cluster[infant])
    c1 = next(c for c in [*range(c0 + 1, n_clusters), *range(c0)] if primaries[c] >= 2)
    primaries_c0 = np.flatnonzero((kind == PRIMARY) & (cluster == c0)).tolist()
    primaries_c1 = np.flatnonzero((kind == PRIMARY) & (cluster == c1)).tolist()
    return {"high": ids[c0], "high_other": ids[c1], "stable": ids[primaries_c0[0]],
            "infant": ids[infant], "junior": ids[int(s.partner[infant])], "convert_links": ids[primaries_c1[0]],
            "closing": ids[primaries_c1[-1]], "special": ids[s.n_input]}


class _Changes:
    """The schools list being changed: new DfE numbers, successions and their GIAS links."""

    def __init__(self, rows: list[School], la: int, taken: set[str]):
        self.rows, self.la, self.taken = rows, la, taken
        self.by_id = {r.id: r for r in rows}
        self.links: list[Link] = []
        self.succ: dict[str, Succession] = {}

    def new_id(self, estab: int) -> str:
        """A DfE number of the LA not yet used, from `estab` up."""
        while _id(self.la, estab) in self.taken:
            estab += 1
        self.taken.add(_id(self.la, estab))
        return _id(self.la, estab)

    def add(self, row: School) -> str:
        """List a new school; return its id."""
        self.rows.append(row)
        self.by_id[row.id] = row
        return row.id

    def succeed(self, old: str, new: str, when: date, column: bool, link_type: str | None) -> None:
        """`old` closes the day before `when` and `new` takes over (its successor column, and/or
        GIAS link rows both ways)."""
        self.by_id[old].closed = when - timedelta(days=1)
        if column:
            self.by_id[old].successor = new
        if link_type:
            self.links.append(Link(old, new, when, link_type))
            self.links.append(Link(new, old, when, link_type.replace("Successor", "Predecessor")))
        self.succ[old] = Succession(new, when)


def _academy(name: str, kind: str = "Academy") -> str:
    """The name a school takes as an academy: `Draycot Primary Academy` of Draycot Primary, and of a school already
    called an academy (not `Draycot Primary Academy Academy`)."""
    return f"{name.removesuffix(' Academy')} {kind}"


def _convert_amalgamate_close_open(ch: _Changes, roles: dict[str, str]) -> None:
    """The chain's changes of school, as a council saw them from 2013 (module text)."""
    by = ch.by_id
    high = by[roles["high"]]
    roles["academy"] = ch.add(School(ch.new_id(4901), f"{high.name.replace(' School', '')} Academy", high.cluster,
                                     high.cluster_name, "Secondary", opened=date(2013, 8, 1)))
    ch.succeed(roles["high"], roles["academy"], date(2013, 8, 1), column=True, link_type="Successor")
    inf = by[roles["infant"]]
    roles["amalgamated"] = ch.add(School(ch.new_id(2901), inf.name.replace("Infant", "Primary"), inf.cluster,
                                         inf.cluster_name, "Primary", opened=date(2014, 9, 1)))
    for old in (roles["infant"], roles["junior"]):
        ch.succeed(old, roles["amalgamated"], date(2014, 9, 1), column=False, link_type="Successor - amalgamated")
    conv = by[roles["convert_links"]]
    roles["academy_links"] = ch.add(School(ch.new_id(2921), _academy(conv.name), "", "", "Primary",
                                           opened=date(2015, 9, 1)))  # blank cluster: its predecessor's
    ch.succeed(roles["convert_links"], roles["academy_links"], date(2015, 9, 1), column=False, link_type="Successor")
    roles["rebrokered"] = ch.add(School(ch.new_id(2941), _academy(conv.name, "Trust Academy"), conv.cluster,
                                        conv.cluster_name, "Primary", opened=date(2017, 1, 1)))
    ch.succeed(roles["academy_links"], roles["rebrokered"], date(2017, 1, 1), column=True, link_type=None)
    by[roles["closing"]].closed = date(2016, 8, 31)
    ch.succ[roles["closing"]] = Succession(None, date(2016, 9, 1))
    roles["new_school"] = ch.add(School(ch.new_id(2961), f"{conv.cluster_name} Free School", conv.cluster,
                                        conv.cluster_name, "Primary", opened=date(2017, 9, 1),
                                        pupils_override={"2017-18": 30}, listed_from="2017-18"))
    # Links GIAS also exports and a run must ignore (§11.1: only "Successor…" types count).
    ch.links.append(Link(roles["high"], roles["high_other"], None, "Sixth Form Centre Link"))
    ch.links.append(Link(roles["stable"], roles["high"], None, "Other"))


def listed(world: World, label: str, period_end: date) -> list[School]:
    """The schools input of one year: every school opened by the period's end."""
    return [r for r in world.rows if (r.opened is None or r.opened <= period_end)
            and (not r.listed_from or r.listed_from <= label)]


def census_school(world: World, school: str, day: date) -> str:
    """Where the census of `day` has a pupil of `school`: its successor once open, or the
    school that took its pupils when it closed."""
    school = resolve(school, day, world.successions)
    closing = world.successions.get(school)
    if closing is not None and closing.to is None and day >= closing.from_date:
        return census_school(world, world.receiving[school], day)
    return school


@dataclass
class Pupils:
    """Every pupil of every census of the chain, and the slot (school path) they follow."""

    ids: list[str]  # school ids, indexed by the arrays below
    slot: np.ndarray  # per pupil
    cohort: np.ndarray
    dob: np.ndarray
    stays: np.ndarray  # stays on into the sixth form (if the high school has one)
    sen: np.ndarray  # 0 none, 1 school action, 2 action plus (K from 2015)
    fsm: np.ndarray
    upn: pl.Series
    first: np.ndarray  # per slot: school index for age-based years lo … split − 1
    second: np.ndarray  # per slot: school index for split … 6 (a junior school)
    high: np.ndarray  # per slot: school index for Years 7–11 (-1 none)
    lo: np.ndarray
    split: np.ndarray
    sixth: np.ndarray  # per slot: the high school has a sixth form

    def school_index(self, academic_year: int) -> np.ndarray:
        """Each pupil's school (index into `ids`) in `academic_year`, -1 when not at school."""
        nc = academic_year - self.cohort - 5
        k = self.slot
        lo, split = self.lo[k], self.split[k]
        return np.select(
            [(nc >= lo) & (nc < split), (nc >= split) & (nc <= 6), (nc >= 7) & (nc <= 11),
             (nc >= 12) & (nc <= 13) & self.sixth[k] & self.stays],
            [self.first[k], self.second[k], self.high[k], self.high[k]], -1)


def draw_pupils(rng: np.random.Generator, s: Schools, world: World) -> Pupils:
    """A year group per feeder slot (or special school) and birth cohort, sized as the sample's.

    The free school that opens in September 2017 takes Reception children from then on.
    """
    ids = s.ids.tolist()[:len(s.kind)] + [world.roles["new_school"]]
    new = len(ids) - 1
    feeders = np.flatnonzero(np.isin(s.kind, (PRIMARY, INFANT)))
    specials = np.flatnonzero(s.kind == SPECIAL)
    pair = s.kind[feeders] == INFANT
    first = np.concatenate([feeders, specials, [new]])
    second = np.concatenate([np.where(pair, s.partner[feeders], feeders), specials, [new]])
    new_cluster = int(s.cluster[int(np.flatnonzero(s.ids == world.roles["closing"])[0])])
    high = np.concatenate([s.cluster[feeders], np.full(len(specials), -1), [new_cluster]])
    lo = np.concatenate([s.lo[feeders], np.zeros(len(specials), int), [0]])
    split = np.concatenate([np.where(pair, 3, 7), np.full(len(specials), 14), [7]])
    sixth = (s.hi[np.maximum(high, 0)] >= 12) & (high >= 0)
    means = np.concatenate([s.year_mean[feeders], s.year_mean[specials], [s.year_mean[feeders].mean() / 2]])
    from_cohort = np.concatenate([np.full(len(first) - 1, FIRST_COHORT), [2012]])
    cohorts = np.arange(FIRST_COHORT, LAST_COHORT + 1)
    n_slots = len(first)
    counts = np.minimum(rng.poisson(np.repeat(means, len(cohorts))), 600)
    counts[np.tile(cohorts, n_slots) < np.repeat(from_cohort, len(cohorts))] = 0
    slot = np.repeat(np.repeat(np.arange(n_slots), len(cohorts)), counts)
    cohort = np.repeat(np.tile(cohorts, n_slots), counts)
    n = len(slot)
    start = (cohort - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(8, "M")
    days = ((start + np.timedelta64(12, "M")).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    dob = start.astype("datetime64[D]") + (rng.random(n) * days).astype(np.int64).astype("timedelta64[D]")
    u = rng.random(n)
    sen = np.where(u < 0.08, 2, np.where(u < 0.20, 1, 0))
    fsm = rng.random(n) < 0.15
    stays = rng.random(n) < SIXTH_STAY
    estab = np.array([int(i[-4:]) for i in ids], dtype=np.int64)[first[slot]]
    key = (int(s.la[0]) * 10_000 + estab) * 100 + (cohort + 4) % 100
    body = key * 1000 + rank_within(key) + 1
    upn = upn_text(body, check_index(body))
    return Pupils(ids, slot, cohort, dob, stays, sen, fsm, upn, first, second, high, lo, split, sixth)
