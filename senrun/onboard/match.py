"""Which table is which input, and which header is which column, by similarity (`senrun init`).

A header is compared with senrun's own name for a column and with the phrasings councils use
(inputs/synonyms.py): the same letters and digits score 1, all the words of a phrasing within the
header 0.85, else how alike the letters are. The column's values then confirm or weaken it:
a "date of birth" whose values are not dates is not the date of birth, a school's name is not its
ID, and an address's locality (blank on many rows, a different village on most) is not a cluster.
Where several columns could be a school's ID, the DfE number (what the census's LAEstab holds) is
preferred and the others are named beside it. Each input takes the table that fits it best,
every input at once, so that the census and the statements (which share UPN, school and date of
birth) each go where they fit more.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from ..calendar import labelled_years
from ..errors import DATE_INSIDE
from ..inputs.cells import value_expr
from ..inputs.headers import norm, not_annual, says_annual
from ..inputs.schema import (ANNUAL_AMOUNT, CEASED_DATE, CLOSED, CLUSTER_ID, CLUSTER_NAME, DOB, EFFECTIVE_DATE,
                             FROM_SCHOOL, LINK_DATE, MOVE_DATE, OPENED, PUPILS, PUPILS_OVERRIDE, SCHEMAS, SCHOOL_ID,
                             SERIAL_DATES, SSA, STATEMENT_DATE, SUCCESSOR_ID, TO_SCHOOL, UPN, URN, Column, Kind)
from ..inputs.synonyms import SYNONYMS, usual_names
from .scan import Sheet

SURE, LIKELY, CHECK = 0.95, 0.8, 0.6  # how sure a proposed mapping is; under CHECK it is not proposed
#: At best, an amount whose header does not say it is a year's (`Amount`, `PSF`): likely, so a person checks it,
#: since a week's amount paid as a year's is a fiftieth of the money.
YEAR_UNSAID = 0.9
#: A statements' school column headed by the day before policy.start (`School at 31 Aug 2012`): the very school
#: SPEC §3 asks for, so likelier than a `Current School` beside it (which is at best to be checked: `_NOW`).
SCHOOL_ON_POLICY_EVE = 0.93
INPUT_ORDER = ("schools", "census", "statements", "moves", "links")
_DATE = re.compile(r"^(\d{1,2}([/.-])\d{1,2}\2\d{4}|\d{4}-\d{2}-\d{2})([ T].*)?$")
_SERIAL_DAY = re.compile(r"^\d{2,5}(\.0+)?$")  # an Excel serial day (SERIAL_DATES columns only)
_MONEY = re.compile(r"^£?\s*-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_UPN = re.compile(r"^[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]$", re.I)
#: Columns that hold a school's ID: a number or a code (9262000, 120777, ASH01), never a name.
SCHOOL_IDS = (SCHOOL_ID, SUCCESSOR_ID, FROM_SCHOOL, TO_SCHOOL, URN)
#: Columns that a second header fitting them names as possible, the proposal then at best likely: a school's ID,
#: and the money and counts a stale or hidden copy beside this year's would silently replace (an "SSA" column of
#: last year's figures beside "School Specific Allocation").
SECOND_LOOK = (*SCHOOL_IDS, SSA, ANNUAL_AMOUNT, PUPILS, PUPILS_OVERRIDE)
#: A school's ID: a code with a digit, 3–15 characters, perhaps digits after one space ("926 2002"); not
#: "Ash Primary", nor a type code "47".
_SCHOOL_CODE = re.compile(r"^(?=.*\d)(?=.{3,15}$)[A-Za-z0-9/.\-]+(?: \d+)?$")
_DFE_NUMBER = re.compile(r"^\d{3}[/ -]?\d{4}$")  # LA code and establishment number, as the census's LAEstab
_ESTAB_ALONE = re.compile(r"^\d{4}$")  # the establishment number without its LA code: unique in one LA only
_FRACTION = re.compile(r"^-?\d*\.\d+$")  # a number with a fraction: a measure, never a cluster's code
GROUPS = (CLUSTER_ID, CLUSTER_NAME)  # columns that put schools together: most rows filled, values shared
#: Headers of GIAS's groups export (trusts, federations), which is not its links export (successions).
GIAS_GROUP_HEADERS = {"groupuid", "groupid", "groupname", "grouptype"}


@dataclass(frozen=True)
class Proposal:
    """One header proposed for one column, and how sure senrun is (0–1)."""

    header: str
    column: str
    score: float
    others: tuple[str, ...] = ()  # other headers that could as well be this column (a school's ID)

    @property
    def confidence(self) -> str:
        return "sure" if self.score >= SURE else "likely" if self.score >= LIKELY else "check"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(text).lower()) if w]


@functools.lru_cache(maxsize=4096)
def _phrasing(phrasing: str) -> tuple[str, frozenset[str], int, Counter]:
    """A phrasing's letters and digits, its words, how many, and how often each letter comes (worked out once;
    nothing that changes is kept, so that threads may share it)."""
    n, words = norm(phrasing), _words(phrasing)
    return n, frozenset(words), len(words), Counter(n)


def _worth_ratio(h: str, letters: Counter, n: str, n_letters: Counter, need: float, best: float) -> bool:
    """Whether 0.9 × difflib's ratio of `h` and `n` could reach `need` and beat `best`, by its quick upper
    bounds, worked out as difflib does (real_quick_ratio: the shorter's length; quick_ratio: the letters they
    share, each as often as the rarer has it)."""
    total = len(h) + len(n)
    if 0.9 * (2.0 * min(len(h), len(n)) / total) < need:
        return False
    return need <= 0.9 * (2.0 * sum((letters & n_letters).values()) / total) > best


def name_score(header: str, phrasings: tuple[str, ...] | list[str], floor: float = 0.0) -> float:
    """How alike a header is to the best of the phrasings (1 = the same letters and digits); with `floor`, a
    score below it may be given as any lower score.  The letters' likeness (difflib's ratio) is worked out only
    where its quick upper bounds could beat the best so far and reach the floor: the same score, without most
    of its cost (`senrun init` compares every header with 290 phrasings)."""
    h, hw, best = norm(header), set(_words(header)), 0.0
    letters = Counter(h)
    for p in phrasings:
        n, words, count, n_letters = _phrasing(p)
        if not n or not h:
            continue
        if h == n:
            return 1.0
        if count and words <= hw:
            best = max(best, 0.85 - 0.02 * (len(hw) - count))
        if _worth_ratio(h, letters, n, n_letters, max(best, floor), best):
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


def _share(values: list[str], pattern: re.Pattern) -> float:
    """The share of sampled values that match `pattern` (an Excel number's ".0" aside); 1 when there are none."""
    sample = [v.removesuffix(".0") for v in values[:200]]
    return sum(1 for v in sample if pattern.match(v)) / len(sample) if sample else 1.0


def grouping(values: list[str], rows: int) -> float:
    """How much a column looks like groups of schools (a cluster): the share of rows filled, squared (a cluster
    is blank only for a school outside the formula), times the share of values another school shares. An
    address's locality is blank on many rows and a different village on most. 1 when too few values to judge."""
    if len(values) < 2:
        return 1.0
    filled = min(1.0, len(values) / max(rows, 1))
    return filled ** 2 * pl.Series(values).is_duplicated().mean()


def column_fit(table: Sheet, header: str, col: Column) -> float:
    """How well the values under `header` suit column `col` (1 when nothing tells against it).  A column of dates
    is no other kind of column, whatever its header (`Date Left School` is no school's ID, `Statement Review
    Date` no event)."""
    values = table.values.get(header, [])
    if col.kind != Kind.DATE and values and _share(values, _DATE) >= 0.8:
        return 0.0
    if col.name in SCHOOL_IDS:
        return _share(values, _SCHOOL_CODE)
    if col.name in GROUPS:  # (a measure such as a need index, 0.34, is no group of schools)
        measure = _share(values, _FRACTION) if values else 0.0
        return (1 - measure) * grouping(values, table.rows or max(map(len, table.values.values()), default=0))
    return value_fit(values, col.kind, serial=col.name in SERIAL_DATES)


def id_rank(values: list[str]) -> int:
    """How good a school ID a column's values make: 0 DfE numbers (LA code and establishment number, as the
    census's LAEstab), 1 other codes (a URN), 2 establishment numbers alone (unique within one LA only)."""
    if _share(values, _DFE_NUMBER) >= 0.9:
        return 0
    return 2 if _share(values, _ESTAB_ALONE) >= 0.9 else 1


_BIRTH = {"birth", "dob", "born"}
_REVIEW = {"review", "reviewed", "reviews"}  # an annual review's date: neither the statement's nor a change's
_EARLIER = {"former", "previous", "prev", "old", "prior"}  # a child's old UPN or school, not the one that counts
#: Words that, in a header, say it is not the column, however alike the rest is: a weekly amount is not the
#: annual one, an amendment's date not the ceasing's, a date of birth not a move's — each read so would move
#: money (`Weekly Amount £` was proposed as annual_amount, `Date Amended` as ceased_date).
SAYS_OTHERWISE = {
    CEASED_DATE: {"amended", "amendment", "amend", "review", "reviewed", "issued", "issue", "start", "started",
                  "effective", "transfer", "transferred", *_BIRTH},
    MOVE_DATE: _BIRTH, STATEMENT_DATE: {*_BIRTH, *_REVIEW, "ceased", "cease", "ceasing"},
    EFFECTIVE_DATE: {*_BIRTH, *_REVIEW}, UPN: _EARLIER, SCHOOL_ID: _EARLIER,
    DOB: {"statement", "move", "moved", "ceased", "cease", "transfer", "amended", "review", "issued", "plan"},
    OPENED: _BIRTH, CLOSED: _BIRTH, LINK_DATE: _BIRTH,
}


#: Parts one of which a header must hold to be the column: a school's successor is named as such, or as a
#: link (GIAS's LinkURN), never by an id alone (a schools list's EstablishmentNumber was taken for one, and the
#: whole list for the links input).
MUST_SAY = {SUCCESSOR_ID: ("link", "success", "predecess", "new", "became", "into")}


def says_otherwise(header: str, column: str) -> bool:
    """Whether the header's own words say it is something else than `column` (SAYS_OTHERWISE), or fail to say
    what it must (MUST_SAY)."""
    if column in MUST_SAY and not any(part in norm(header) for part in MUST_SAY[column]):
        return True
    if column == ANNUAL_AMOUNT:  # (`Annualised weekly cost` is a year's; `Cost p.w.` is not)
        return not_annual(header)
    return bool(SAYS_OTHERWISE.get(column, set()) & set(_words(header)))


@functools.lru_cache(maxsize=8192)
def _header_score(header: str, name: str, column: str) -> float:
    """name_score of a header against a column's name and the phrasings councils use for it in input `name`,
    exact from 0.5 up (below it a header is not considered): once per header and column, though `init` weighs
    each table as every input, then its own input again."""
    return name_score(header, (column, column.replace("_", " "), *usual_names(name, column)), floor=0.5)


def column_scores(table: Sheet, name: str) -> dict[tuple[str, str], float]:
    """(header, column) → score, for every pairing worth considering in `table` as input `name`. Of several
    headers that could be the school's ID, those less like a DfE number lose 15% a step (a URN beside an
    LAESTAB is still named as possible; the ESTAB beside it, the same number without the LA code, is not)."""
    out = {}
    for col in SCHEMAS[name]:
        for header in table.headers:
            score = _header_score(header, name, col.name)
            if score < 0.5 or says_otherwise(header, col.name):
                continue
            if name == "statements" and col.name == SCHOOL_ID:  # the school that held the PSF (SPEC §3)
                score = max(score, SCHOOL_ON_POLICY_EVE) if _held_on_policy_eve(header) else \
                    min(score, CHECK + 0.05) if says_now(header) else score
            fit = column_fit(table, header, col)
            out[(header, col.name)] = score * (0.4 + 0.6 * fit) if fit < 0.9 else score
    ids = {h: id_rank(table.values[h]) for (h, c), score in out.items()
           if c == SCHOOL_ID and score >= CHECK and table.values.get(h)}
    for header, rank in ids.items():
        out[(header, SCHOOL_ID)] *= 0.85 ** (rank - min(ids.values()))
    return out


def propose_columns(table: Sheet, name: str) -> list[Proposal]:
    """The best one-to-one pairing of headers with columns, greedily by score (of two money columns alike, the one
    labelled with the later year first: `_later`), each at least CHECK. A school's ID that another header fits at
    least LIKELY names it and is at best likely (0.9): a person chooses.  A
    schools list's URN beside its DfE number is its `urn` (GIAS's links are read through it), and is still
    named as a possible school ID; a list with a URN alone has it as its school ID."""
    scores = sorted(column_scores(table, name).items(), key=lambda kv: (-kv[1], -_later(*kv[0]), kv[0]))
    used_h, used_c, out = set(), set(), []
    for (header, column), score in scores:
        if score < CHECK or header in used_h or column in used_c:
            continue
        used_h.add(header)
        used_c.add(column)
        out.append(Proposal(header, column, round(score, 2)))
    out += _coded_by_values(table, name, used_h, used_c)
    urn = {p.header for p in out if p.column == URN}  # taken as the urn, but a school ID a person may choose
    own = {c.name for c in SCHEMAS[name]}  # a header that is another column's own name is that column's
    for i, p in enumerate(out):
        if p.column == ANNUAL_AMOUNT and not says_annual(p.header):  # `Amount`: a year's? a person checks
            p = out[i] = Proposal(p.header, p.column, min(p.score, YEAR_UNSAID), p.others)
        others = tuple(h for (h, c), score in scores
                       if c == p.column and c in SECOND_LOOK and score >= LIKELY and h != p.header
                       and (h not in used_h or h in urn) and h.strip() not in own - {p.column})
        if p.header.strip() == p.column and not others and p.score >= LIKELY:  # senrun's own name (a template's),
            out[i] = Proposal(p.header, p.column, 1.0)                     # no other header to choose, values fit
            continue
        if others:
            out[i] = Proposal(p.header, p.column, min(p.score, 0.9), others)
    order = [c.name for c in SCHEMAS[name]]
    return sorted(out, key=lambda p: order.index(p.column))


def _later(header: str, column: str) -> int:
    """Of two headers alike for a money or count column, the year a header is labelled with, so that the later comes
    first ("SSA 2013-14" before "SSA 2012-13", which had won on the alphabet); 0 for a school's ID or no label."""
    return label_year(header) if column in SECOND_LOOK and column not in SCHOOL_IDS else 0


def _all_codes(values: list[str], col: Column) -> bool:
    """Whether every value is one of a coded column's codes, read as the inputs read it (`cells.value_expr`: any case,
    an event in words, its aliases)."""
    return pl.DataFrame({col.name: values}, schema={col.name: pl.String}).select(
        value_expr(col).is_not_null().all()).item()


def _coded_by_values(table: Sheet, name: str, used_h: set[str], used_c: set[str]) -> list[Proposal]:
    """A funding stream or a statement event that no header names, found by its values: a column headed `Type`
    or `Category` that holds only PSF, SSMN and FYS is the stream (left out, every SSMN and FYS row was read as
    PSF, and paid and shared as PSF).  Likely, not sure: a person checks it."""
    out = []
    for col in SCHEMAS[name]:
        if col.kind not in (Kind.STREAM, Kind.EVENT) or col.name in used_c:
            continue
        for header in table.headers:
            values = table.values.get(header, [])
            if header not in used_h and values and _all_codes(values[:200], col):
                used_h.add(header)
                used_c.add(col.name)
                out.append(Proposal(header, col.name, LIKELY))
                break
    return out


#: Words of a header that say it is not where the child's PSF was (SPEC §3: the school that held it the day before
#: policy.start), but where the child is now: taken for the statements' school, a child who moved since is paid as
#: if never moved (the census check finds no move), so such a header is at best to be checked.
_NOW = {"current", "currently", "now", "present", "latest"}
#: Words a header may hold around a date (`School at 31 Aug 2012`, `Cluster as of 01/04/2013`).
_AROUND_A_DATE = {"at", "on", "as", "of", "in", "from", "to", "the", "for", "by", "and", "date", "year", "since",
                  "until", "before", "after"}


def says_now(header: str) -> bool:
    """Whether a header says where something is now (`Current School`), not at a date."""
    return bool(_NOW & set(_words(header)))


@functools.lru_cache(maxsize=1)
def header_words() -> frozenset[str]:
    """Every word of senrun's column names and of the phrasings councils use for them (inputs/synonyms.py)."""
    words = {w for columns in SCHEMAS.values() for c in columns for w in _words(c.name.replace("_", " "))}
    words |= {w for phrasings in SYNONYMS.values() for names in phrasings.values() for n in names for w in _words(n)}
    return frozenset(words | _AROUND_A_DATE)


def dated_header(header: str) -> bool:
    """Whether a header holding a date is a header about that date (`School at 31 Aug 2012`): every other word of it
    one that headers use.  A name beside a date of birth ("Ben Carter 04-12-2003") is not."""
    rest = _words(DATE_INSIDE.sub(" ", str(header)))
    return DATE_INSIDE.search(str(header)) is not None and bool(rest) and set(rest) <= header_words()


def _held_on_policy_eve(header: str) -> bool:
    """Whether a school header names the day before policy.start (`School at 31 Aug 2012`): the school that held the
    child's PSF then is the statements' school_id (SPEC §3)."""
    from ..inputs.parse import parse_date

    found = DATE_INSIDE.search(str(header))
    if not found:
        return False
    day = pl.DataFrame({"d": [found.group(0)]}, schema={"d": pl.String}).select(parse_date("d")).item()
    return day == POLICY_START - timedelta(days=1)


def period_column(table: Sheet) -> tuple[str, list[str]] | None:
    """A column saying each row's amount is a week's, a month's or a term's (a `Frequency` of Weekly, Monthly,
    Annual): its header and the periods other than a year's that it gives; None where there is none."""
    for header in table.headers:
        values = table.values.get(header, [])[:200]
        if values and all(not_annual(v) or says_annual(v) for v in values):
            other = sorted({v.strip() for v in values if not_annual(v)})
            if other:
                return header, other
    return None


def other_export(table: Sheet) -> str | None:
    """What a table that is no input looks like, when it is a known export a council might take for one."""
    if len(GIAS_GROUP_HEADERS & {norm(h) for h in table.headers}) >= 2:
        return ("looks like GIAS's groups export (trusts and federations), not its links export; for schools that "
                "closed or converted senrun needs the links export (URN, LinkURN, LinkType, LinkEstablishedDate)")
    return None


def fit(table: Sheet, name: str) -> float:
    """How well a table fits an input: mostly its required columns found (by score), a little its optional.
    A table without most of an input's required columns is not that input (a list of schools by URN with
    no successor is no links input), and a known export that is no input (other_export) fits none."""
    if other_export(table):
        return 0.0
    found = {p.column: p.score for p in propose_columns(table, name)}
    required = [c.name for c in SCHEMAS[name] if c.required]
    optional = [c.name for c in SCHEMAS[name] if not c.required]
    req = sum(found.get(c, 0.0) for c in required) / len(required)
    opt = sum(found.get(c, 0.0) for c in optional) / len(optional) if optional else 0.0
    most = 2 * sum(1 for c in required if c in found) > len(required)
    return req * 0.85 + opt * 0.15 if req >= 0.5 and most else 0.0


def label_year(label: str) -> int:
    """The latest financial year (its first calendar year) a file or sheet label names; 0 for none."""
    return max(labelled_years(label), default=0)


#: A sheet or file named as an earlier copy ("Previous extract Oct 2012", "Old data", "Archive", "Last Year"): never
#: this year's by its label, whatever year it names ("Last updated" is no earlier copy).
EARLIER = re.compile(r"(?i)(?<![a-z])(previous|prev|old|prior|archived?|backup|superseded|last\s*(?:year|yr))(?![a-z])")


def label_rank(table: Sheet) -> tuple[int, ...]:
    """How late a table's labels say its data is: not named as an earlier copy (EARLIER: a current sheet
    "EHCP Extract" beside "Previous extract Oct 2012" is the one meant, though only the other names a year) nor
    labelled with a year before the policy's first (before_policy); then
    its sheet's own financial year, then its file's (a file "Schools 2013-14.xlsx" holding sheets "2012-13" and
    "2013-14" names its later sheet's year), else a calendar year (the sheet's, then the file's), then whether it
    is a spring (January) census."""
    sheet, file = table.sheet or "", table.path.name

    def years(label: str) -> int:
        return max((int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", label)), default=0)
    spring = re.search(r"(?i)spring|january|\bjan\b", f"{file} {sheet}") is not None
    current = EARLIER.search(sheet) is None and EARLIER.search(file) is None and not before_policy(table)
    return int(current), label_year(sheet), label_year(file), years(sheet), years(file), int(spring)


POLICY_START = date(2012, 9, 1)  # the draft's policy.start (SPEC §9's default)


def first_year_from(start: date) -> int:
    """The first financial year (its first calendar year) that begins on or after `start`."""
    return start.year if start <= date(start.year, 4, 1) else start.year + 1


def before_policy(table: Sheet) -> bool:
    """Whether a table's label names a financial year before the cluster model's first (2013-14 for a policy.start
    of 1 September 2012): a draft is never for such a year (init.suggest_year), so a sheet "2012-13" beside a current
    "Statements" or "Current" is last year's, though only it names a year."""
    named = label_year(table.sheet or "") or label_year(table.path.name)
    return 0 < named < first_year_from(POLICY_START)


def assign(tables: list[Sheet]) -> dict[str, tuple[Sheet, float]]:
    """Each input's table: the assignment (one table per input, one input per table) with the highest
    total fit, of the tables that fit each input at least half."""
    fits = {(name, i): fit(t, name) for name in INPUT_ORDER for i, t in enumerate(tables)}
    # of tables that fit alike, the one labelled with the latest year first ("2013-14" before "2012-13", "2013"
    # before "2012"), and of a year's censuses the spring one (January's: the one a funding year is counted from)
    by_year = sorted(range(len(tables)), key=lambda i: label_rank(tables[i]), reverse=True)
    options = {name: [None] + [i for i in by_year if fits[(name, i)] >= 0.5] for name in INPUT_ORDER}
    best, best_total = {}, -1.0
    for combo in itertools.product(*(options[n] for n in INPUT_ORDER)):
        chosen = [i for i in combo if i is not None]
        if len(chosen) != len(set(chosen)):
            continue
        total = sum(fits[(n, i)] for n, i in zip(INPUT_ORDER, combo) if i is not None)
        if total > best_total + 1e-9:
            best, best_total = dict(zip(INPUT_ORDER, combo)), total
    return {n: (tables[i], fits[(n, i)]) for n, i in best.items() if i is not None}
