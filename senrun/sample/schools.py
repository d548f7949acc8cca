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

from . import names

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


def rank_within(key: np.ndarray) -> np.ndarray:
    """0, 1, 2, … counting each row among the earlier rows with the same key."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    del sorted_key  # a copy of the whole key: free it before the ranks are made
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    return rank


def _feeders(rng, p, slot_cluster, pairs, nursery, offset: int) -> dict[str, np.ndarray]:
    """The primary, infant and junior schools: a slot is one school or an infant + junior pair.

    `offset` is the index of the first feeder among all schools (for partner indices).
    """
    n = len(slot_cluster)
    slot_mean = np.full(n, p.year_size) if p.layout is not None else \
        np.clip(rng.lognormal(np.log(p.year_size), 0.5, n), 3, 90)
    per_slot = 1 + pairs.astype(int)
    first = np.cumsum(per_slot) - per_slot  # position of each slot's first school
    kind = np.full(int(per_slot.sum()), PRIMARY)
    kind[first[pairs]] = INFANT
    kind[first[pairs] + 1] = JUNIOR
    has_nursery = np.repeat(nursery, per_slot) & (kind != JUNIOR)
    n1 = has_nursery & (rng.random(len(kind)) < p.n1_prob)
    partner = np.full(len(kind), -1)
    partner[first[pairs]] = offset + first[pairs] + 1
    return {"kind": kind, "cluster": np.repeat(slot_cluster, per_slot),
            "lo": _LOWEST[kind] - has_nursery - n1, "hi": _HIGHEST[kind],
            "year_mean": np.repeat(slot_mean, per_slot), "partner": partner,
            "slot_mean": slot_mean}


def _highs(rng, p, n_clusters: int, slot_cluster, slot_mean) -> dict[str, np.ndarray]:
    """One high school per cluster, its year groups 0.9 × its feeders' (at most 330)."""
    sixth = np.arange(n_clusters) == 0 if p.layout is not None else rng.random(n_clusters) < p.sixth_prob
    kind = np.full(n_clusters, HIGH)
    return {"kind": kind, "cluster": np.arange(n_clusters), "lo": _LOWEST[kind],
            "hi": _HIGHEST[kind] + 2 * sixth,
            "year_mean": np.minimum(0.9 * np.bincount(slot_cluster, slot_mean, n_clusters), 330),
            "partner": np.full(n_clusters, -1)}


def _specials(p) -> dict[str, np.ndarray]:
    """Special schools (census only), Reception to Year 13, outside every cluster."""
    n = p.specials_per_la * len(p.la_codes)
    kind = np.full(n, SPECIAL)
    return {"kind": kind, "cluster": np.full(n, -1), "lo": _LOWEST[kind], "hi": _HIGHEST[kind],
            "year_mean": np.full(n, p.special_size / 14), "partner": np.full(n, -1),
            "la": np.repeat(np.array(p.la_codes), p.specials_per_la)}


def _estabs(rng, la: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Unique establishment numbers within each LA: 2xxx, 3xxx (church), 4xxx, 7xxx."""
    rank = rank_within(la.astype(np.int64) * 10 + category)
    if rank.max(initial=0) >= 499:
        raise ValueError("too many schools of one category in one LA for 4-digit numbers")
    return np.array([2000, 3000, 4000, 7000])[category] + 1 + rank * 2 + rng.integers(0, 2, len(rank))


def build_schools(rng: np.random.Generator, p) -> Schools:
    """Draw the clusters, their schools, names and DfE numbers for scale parameters `p`.

    Schools are held high schools first (index = cluster), then feeders, then specials.
    """
    cluster_la, slot_cluster, pairs, nursery = _cluster_layout(rng, p)
    n_clusters = len(cluster_la)
    feeders = _feeders(rng, p, slot_cluster, pairs, nursery, offset=n_clusters)
    highs = _highs(rng, p, n_clusters, slot_cluster, feeders["slot_mean"])
    specials = _specials(p)
    highs["la"], feeders["la"] = cluster_la, cluster_la[feeders["cluster"]]
    blocks = (highs, feeders, specials)
    field = {key: np.concatenate([b[key] for b in blocks])
             for key in ("la", "kind", "cluster", "lo", "hi", "year_mean", "partner")}
    n = len(field["kind"])
    schools = Schools(n_input=n - len(specials["kind"]), estab=np.zeros(n, int),
                      deprivation=rng.beta(2.0, 5.0, size=n), name=[], cluster_code=[],
                      cluster_name=[], **field)
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
