"""Word lists and name builders for `senrun sample`: invented English place and school names.

Every place is invented by joining a stem and a suffix ("Brom" + "ford"), sometimes with a
prefix ("Little Wickham"), so the sample never copies a real school's name, although a
made-up village may happen to share its name with a real one.
"""

from __future__ import annotations

import numpy as np

STEMS = (
    "Ash", "Brom", "Thorn", "Wick", "Sax", "Hale", "Marl", "Kes", "Dun", "Fen", "Holt",
    "Lang", "Rid", "Stan", "Wal", "Wes", "Whit", "Ald", "Bar", "Brad", "Cal", "Cran",
    "Ding", "Eas", "Elm", "Fold", "Gis", "Hap", "Hem", "Hun", "Ket", "Lud", "Mat", "Nar",
    "Oak", "Pax", "Quid", "Ren", "Sco", "Shel", "Swan", "Tat", "Thur", "Tib", "Wort",
    "Yax", "Bex", "Cob", "Dray", "Fel", "Gunn", "Hick", "Ing", "Kel", "Lyn", "Mund",
    "Nor", "Ov", "Pud", "Rack", "Sid", "Tas", "Ulf", "Ver", "Wen", "Ayl", "Blick",
)
SUFFIXES = (
    "ford", "ham", "well", "by", "ton", "field", "ley", "wick", "thorpe", "ingham",
    "stead", "bury", "hall", "mere", "dale", "burgh", "worth", "cot", "hithe", "wold",
    "brook", "combe", "den", "holme", "marsh",
)
PREFIXES = (
    "Little", "Great", "North", "South", "East", "West", "Upper", "Lower", "Old", "New",
    "Long", "Market", "King's", "Bishop's",
)
SAINTS = (
    "St Mary's", "St Andrew's", "St Peter and St Paul", "All Saints", "St Michael's",
    "Holy Trinity", "St John's", "St Nicholas", "St Edmund's", "St Margaret's",
    "St Francis", "Our Lady's",
)

#: England's local authority numbers (the codes `stdnum.gb.upn` accepts); 926 is the
#: reference authority (Norfolk), used alone at `la` and `demo` scale.
LA_CODES = (
    201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 301, 302, 303, 304,
    305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320, 330,
    331, 332, 333, 334, 335, 336, 340, 341, 342, 343, 344, 350, 351, 352, 353, 354, 355,
    356, 357, 358, 359, 370, 371, 372, 373, 380, 381, 382, 383, 384, 390, 391, 392, 393,
    394, 420, 800, 801, 802, 803, 805, 806, 807, 808, 810, 811, 812, 813, 815, 816, 821,
    822, 823, 825, 826, 830, 831, 835, 836, 837, 840, 841, 845, 846, 850, 851, 852, 855,
    856, 857, 860, 861, 865, 866, 867, 868, 869, 870, 871, 872, 873, 874, 876, 877, 878,
    879, 880, 881, 882, 883, 884, 885, 886, 887, 888, 889, 890, 891, 892, 893, 894, 895,
    896, 908, 909, 916, 919, 921, 925, 926, 928, 929, 931, 933, 935, 936, 937, 938,
)

_PLACES = tuple(stem + suffix for stem in STEMS for suffix in SUFFIXES)


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct invented place names ("Saxby", "Little Wickham"); about 1 in 5 prefixed."""
    pool = len(_PLACES)
    weights = np.concatenate([np.full(pool, 4.0), np.ones(pool)])
    picks = rng.choice(2 * pool, size=n, replace=False, p=weights / weights.sum())
    prefixes = rng.integers(0, len(PREFIXES), size=n)
    # pick < pool: the bare place; otherwise the same place with a prefix.  Distinct
    # picks give distinct names.
    return [_PLACES[pick] if pick < pool else f"{PREFIXES[prefix]} {_PLACES[pick - pool]}"
            for pick, prefix in zip(picks.tolist(), prefixes.tolist())]


def primary_name(rng: np.random.Generator, place: str, kind: str, nursery: bool) -> tuple[str, bool]:
    """A primary, infant or junior school's name and whether it is a church (voluntary) school."""
    word = {"primary": "Primary", "infant": "Infant", "junior": "Junior"}[kind]
    with_nursery = nursery and kind != "junior" and rng.random() < 0.5
    school = f"{word} and Nursery School" if with_nursery else f"{word} School"
    roll = rng.random()
    if roll < 0.22:
        return f"{place} Church of England {school}", True
    if roll < 0.30:
        saint = SAINTS[int(rng.integers(0, len(SAINTS)))]
        return f"{saint} Church of England Voluntary Aided {school}, {place}", True
    if roll < 0.45:
        return f"{place} Community {school}", False
    if roll < 0.52 and kind == "primary":
        return f"{place} Primary Academy", False
    return f"{place} {school}", False


def high_name(rng: np.random.Generator, town: str) -> str:
    """A secondary school's name, after the town its cluster is named for."""
    roll = rng.random()
    if roll < 0.60:
        return f"{town} High School"
    if roll < 0.80:
        return f"{town} Academy"
    if roll < 0.92:
        return f"{town} Community College"
    return f"{town} Church of England High School"


def special_name(rng: np.random.Generator, town: str) -> str:
    """A special school's name (these appear only in the census)."""
    words = ("School", "Academy", "Specialist Learning Centre")
    return f"{town} {words[int(rng.integers(0, len(words)))]}"
