"""Schools and clusters for `senrun sample`.

A cluster is one high school and the primary schools that feed it.  Each feeder *slot* is
one primary school, or an infant school (Reception–Year 2) with its paired junior school
(Years 3–6).  Some primaries have a nursery class, some high schools a sixth form.  Special
schools exist only in the census (they are not in the schools input), as in a council's
own data.  Everything is drawn from one `numpy.random.Generator`, vectorised per school.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from senrun import sample_names as names

#: Kinds of school and the age-based years they teach (before nursery and sixth form).
KINDS = ("primary", "infant", "junior", "high", "special")
PRIMARY, INFANT, JUNIOR, HIGH, SPECIAL = range(5)
_LOWEST = np.array([0, 0, 3, 7, 0])
_HIGHEST = np.array([6, 2, 6, 11, 13])
PHASE_LABEL = ("Primary", "Infant", "Junior", "Secondary", "Special")


@dataclass
class Schools:
    """Every school of the sample; indices `< n_input` are the schools input, the rest special."""

    n_input: int
    la: np.ndarray  # int LA code
    estab: np.ndarray  # int 4-digit establishment number
    kind: np.ndarray  # index into KINDS
    cluster: np.ndarray  # cluster index (-1 for special schools)
    lo: np.ndarray  # lowest age-based year taught (nursery -2/-1)
    hi: np.ndarray  # highest age-based year taught (sixth form 13)
    year_mean: np.ndarray  # mean pupils per year group
    deprivation: np.ndarray  # 0..1, drives FSM and SEN support rates
    partner: np.ndarray  # an infant school's junior school (else -1)
    name: list[str]
    cluster_code: list[str]  # per cluster
    cluster_name: list[str]  # per cluster

    @property
    def ids(self) -> np.ndarray:
        """DfE numbers as text: LA code then the 4-digit establishment number."""
        return np.array([f"{la}{estab:04d}" for la, estab in zip(self.la.tolist(), self.estab.tolist())])

    def pool(self, *kinds: int, nursery: bool = False, sixth: bool = False) -> np.ndarray:
        """Indices of input schools of these kinds (optionally with a nursery / sixth form)."""
        mask = np.isin(self.kind, kinds)
        mask[self.n_input:] = False
        if nursery:
            mask &= self.lo < 0
        if sixth:
            mask &= self.hi > 11
        return np.flatnonzero(mask)


def _cluster_layout(rng: np.random.Generator, p) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster its LA; per feeder slot its cluster, pair flag and nursery flag."""
    if p.layout is not None:  # the demo: a fixed, readable shape
        slots, pairs, nursery = (np.array(a) for a in p.layout)
        cluster_la = np.full(len(slots), p.la_codes[0])
    else:
        n_la = len(p.la_codes)
        per_la = 1 + rng.multinomial(p.n_clusters - n_la, np.full(n_la, 1 / n_la))
        cluster_la = np.repeat(np.array(p.la_codes), per_la)
        slots = 2 + rng.poisson(p.slots_mean - 2, size=p.n_clusters)
        n_slots = int(slots.sum())
        pairs = rng.random(n_slots) < p.pair_prob
        nursery = rng.random(n_slots) < p.nursery_prob
    slot_cluster = np.repeat(np.arange(len(slots)), slots)
    return cluster_la, slot_cluster, pairs.astype(bool), nursery.astype(bool)


def _feeders(rng, p, slot_cluster, pairs, nursery):
    """Expand slots to schools: (cluster, kind, year_mean, nursery, partner offset)."""
    n = len(slot_cluster)
    if p.layout is not None:
        slot_mean = np.full(n, p.year_size)
    else:
        slot_mean = np.clip(rng.lognormal(np.log(p.year_size), 0.5, n), 3, 90)
    per_slot = 1 + pairs.astype(int)
    cluster = np.repeat(slot_cluster, per_slot)
    mean = np.repeat(slot_mean, per_slot)
    first = np.cumsum(per_slot) - per_slot  # position of each slot's first school
    kind = np.full(len(cluster), PRIMARY)
    kind[first[pairs]] = INFANT
    kind[first[pairs] + 1] = JUNIOR
    has_nursery = np.repeat(nursery, per_slot) & (kind != JUNIOR)
    partner = np.full(len(cluster), -1)
    partner[first[pairs]] = first[pairs] + 1  # relative to the feeders' block
    return cluster, kind, mean, has_nursery, partner, slot_mean, slot_cluster


def _estabs(rng, la: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Unique establishment numbers within each LA: 2xxx, 3xxx (church), 4xxx, 7xxx."""
    base = np.array([2000, 3000, 4000, 7000])[category]
    key = la.astype(np.int64) * 10 + category
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    rank_sorted = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    if rank.max(initial=0) >= 499:
        raise ValueError("too many schools of one category in one LA for 4-digit numbers")
    return base + 1 + rank * 2 + rng.integers(0, 2, size=len(key))


def build_schools(rng: np.random.Generator, p) -> Schools:
    """Draw the clusters, their schools, names and DfE numbers for scale parameters `p`."""
    cluster_la, slot_cluster, pairs, nursery = _cluster_layout(rng, p)
    cluster, kind, mean, has_nursery, partner, slot_mean, slot_cluster = \
        _feeders(rng, p, slot_cluster, pairs, nursery)
    n_clusters = len(cluster_la)
    high_mean = np.minimum(0.9 * np.bincount(slot_cluster, slot_mean, n_clusters), 330)
    sixth = rng.random(n_clusters) < p.sixth_prob
    if p.layout is not None:
        sixth = np.arange(n_clusters) == 0
    n_special = p.specials_per_la * len(p.la_codes)
    special_la = np.repeat(np.array(p.la_codes), p.specials_per_la)
    kind = np.concatenate([np.full(n_clusters, HIGH), kind, np.full(n_special, SPECIAL)])
    cluster = np.concatenate([np.arange(n_clusters), cluster, np.full(n_special, -1)])
    partner = np.concatenate([np.full(n_clusters, -1), np.where(partner >= 0, partner + n_clusters, -1),
                              np.full(n_special, -1)])
    la = np.concatenate([cluster_la, cluster_la[cluster[n_clusters:len(cluster) - n_special]], special_la])
    lo = _LOWEST[kind] - np.concatenate([np.zeros(n_clusters, int), has_nursery * 1, np.zeros(n_special, int)])
    lo[n_clusters:len(kind) - n_special][has_nursery & (rng.random(has_nursery.size) < p.n1_prob)] = -2
    hi = _HIGHEST[kind] + np.concatenate([sixth * 2, np.zeros(len(kind) - n_clusters, int)])
    year_mean = np.concatenate([high_mean, mean, np.full(n_special, p.special_size / 14)])
    schools = Schools(
        n_input=len(kind) - n_special, la=la, estab=np.zeros(len(kind), int), kind=kind,
        cluster=cluster, lo=lo, hi=hi, year_mean=year_mean,
        deprivation=rng.beta(2.0, 5.0, size=len(kind)), partner=partner,
        name=[], cluster_code=[], cluster_name=[])
    _name_schools(rng, schools, n_clusters)
    return schools


def _name_schools(rng: np.random.Generator, s: Schools, n_clusters: int) -> None:
    """Give every school a name and an establishment number, and every cluster a code."""
    towns = np.empty(len(s.kind), dtype=object)
    for la in sorted(set(s.la.tolist())):  # one loop per LA: distinct places within it
        members = np.flatnonzero(s.la == la)
        towns[members] = names.place_names(rng, len(members))
    # Paired infant and junior schools share their village's name.
    paired = np.flatnonzero(s.partner >= 0)
    towns[s.partner[paired]] = towns[paired]
    church = np.zeros(len(s.kind), dtype=bool)
    for i in range(len(s.kind)):
        k = int(s.kind[i])
        if k == HIGH:
            s.name.append(names.high_name(rng, towns[i]))
        elif k == SPECIAL:
            s.name.append(names.special_name(rng, towns[i]))
        else:
            name, church[i] = names.primary_name(rng, towns[i], KINDS[k], bool(s.lo[i] < 0))
            s.name.append(name)
    category = np.select([s.kind == SPECIAL, s.kind == HIGH, church], [3, 2, 1], 0)
    s.estab = _estabs(rng, s.la, category)
    within = np.arange(n_clusters) - np.searchsorted(s.la[:n_clusters], s.la[:n_clusters])
    s.cluster_code = [f"{la}-{k + 1:02d}" for la, k in zip(s.la[:n_clusters].tolist(), within.tolist())]
    s.cluster_name = [str(towns[c]) for c in range(n_clusters)]
