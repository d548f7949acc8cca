"""Which table is which input, and which header is which column, by similarity (`senrun init`).

A header is compared with senrun's own name for a column and with the phrasings councils use
(inputs/synonyms.py): the same letters and digits score 1, all the words of a phrasing within the
header 0.85, else how alike the letters are. The column's values then confirm or weaken it:
a "date of birth" whose values are not dates is not the date of birth. Each input takes the
table that fits it best, every input at once, so that the census and the statements (which
share UPN, school and date of birth) each go where they fit more.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass

from ..inputs.headers import norm
from ..inputs.schema import SCHEMAS, SERIAL_DATES, Kind
from .scan import Sheet
from ..inputs.synonyms import usual_names

SURE, LIKELY, CHECK = 0.95, 0.8, 0.6  # how sure a proposed mapping is; under CHECK it is not proposed
INPUT_ORDER = ("schools", "census", "statements", "moves", "links")
_DATE = re.compile(r"^(\d{1,2}([/.-])\d{1,2}\2\d{4}|\d{4}-\d{2}-\d{2})([ T].*)?$")
_SERIAL_DAY = re.compile(r"^\d{2,5}(\.0+)?$")  # an Excel serial day (SERIAL_DATES columns only)
_MONEY = re.compile(r"^£?\s*-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_UPN = re.compile(r"^[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]$", re.I)


@dataclass(frozen=True)
class Proposal:
    """One header proposed for one column, and how sure senrun is (0–1)."""

    header: str
    column: str
    score: float

    @property
    def confidence(self) -> str:
        return "sure" if self.score >= SURE else "likely" if self.score >= LIKELY else "check"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(text).lower()) if w]


def name_score(header: str, phrasings: list[str]) -> float:
    """How alike a header is to the best of the phrasings (1 = the same letters and digits)."""
    h, hw, best = norm(header), set(_words(header)), 0.0
    for p in phrasings:
        n = norm(p)
        if not n or not h:
            continue
        if h == n:
            return 1.0
        words = _words(p)
        if words and set(words) <= hw:
            best = max(best, 0.85 - 0.02 * (len(hw) - len(words)))
        best = max(best, 0.9 * difflib.SequenceMatcher(None, h, n).ratio())
    return best


def value_fit(values: list[str], kind: Kind, serial: bool = False) -> float:
    """The share of sampled values that look like the column's kind (1 when there is nothing to judge);
    with `serial`, an Excel serial day number is a date too (schema.SERIAL_DATES)."""
    sample = values[:200]
    if not sample:
        return 1.0
    tests = {Kind.DATE: lambda v: bool(_DATE.match(v) or (serial and _SERIAL_DAY.match(v))),
             Kind.MONEY: lambda v: bool(_MONEY.match(v.replace(" ", ""))),
             Kind.UPN: lambda v: bool(_UPN.match(v.replace(" ", ""))),
             Kind.NUMBER: lambda v: bool(_MONEY.match(v.lstrip("£"))),
             Kind.NC_YEAR: lambda v: v.upper() in ("N1", "N2", "R", "X") or v.split(".")[0].isdigit()}
    test = tests.get(kind)
    if test is None:
        return 1.0
    return sum(1 for v in sample if test(v)) / len(sample)


def column_scores(table: Sheet, name: str) -> dict[tuple[str, str], float]:
    """(header, column) → score, for every pairing worth considering in `table` as input `name`."""
    out = {}
    for col in SCHEMAS[name]:
        phrasings = [col.name, col.name.replace("_", " "), *usual_names(name, col.name)]
        for header in table.headers:
            score = name_score(header, phrasings)
            if score < 0.5:
                continue
            fit = value_fit(table.values.get(header, []), col.kind, serial=col.name in SERIAL_DATES)
            out[(header, col.name)] = score * (0.4 + 0.6 * fit) if fit < 0.9 else score
    return out


def propose_columns(table: Sheet, name: str) -> list[Proposal]:
    """The best one-to-one pairing of headers with columns, greedily by score, each at least CHECK."""
    scores = sorted(column_scores(table, name).items(), key=lambda kv: (-kv[1], kv[0]))
    used_h, used_c, out = set(), set(), []
    for (header, column), score in scores:
        if score < CHECK or header in used_h or column in used_c:
            continue
        used_h.add(header)
        used_c.add(column)
        out.append(Proposal(header, column, round(score, 2)))
    order = [c.name for c in SCHEMAS[name]]
    return sorted(out, key=lambda p: order.index(p.column))


def fit(table: Sheet, name: str) -> float:
    """How well a table fits an input: mostly its required columns found (by score), a little its optional."""
    found = {p.column: p.score for p in propose_columns(table, name)}
    required = [c.name for c in SCHEMAS[name] if c.required]
    optional = [c.name for c in SCHEMAS[name] if not c.required]
    req = sum(found.get(c, 0.0) for c in required) / len(required)
    opt = sum(found.get(c, 0.0) for c in optional) / len(optional) if optional else 0.0
    return req * 0.85 + opt * 0.15 if req >= 0.5 else 0.0


def assign(tables: list[Sheet]) -> dict[str, tuple[Sheet, float]]:
    """Each input's table: the assignment (one table per input, one input per table) with the highest
    total fit, of the tables that fit each input at least half."""
    fits = {(name, i): fit(t, name) for name in INPUT_ORDER for i, t in enumerate(tables)}
    options = {name: [None] + [i for i in range(len(tables)) if fits[(name, i)] >= 0.5] for name in INPUT_ORDER}
    best, best_total = {}, -1.0
    for combo in itertools.product(*(options[n] for n in INPUT_ORDER)):
        chosen = [i for i in combo if i is not None]
        if len(chosen) != len(set(chosen)):
            continue
        total = sum(fits[(n, i)] for n, i in zip(INPUT_ORDER, combo) if i is not None)
        if total > best_total + 1e-9:
            best, best_total = dict(zip(INPUT_ORDER, combo)), total
    return {n: (tables[i], fits[(n, i)]) for n, i in best.items() if i is not None}
