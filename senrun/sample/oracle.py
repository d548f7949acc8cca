"""Expected PSF outcomes of the sample chain, by the SPEC's arithmetic, written out again.

Nothing here imports senrun's engine: a planted child's history is a list of facts the
generator chose (date of birth, school on 31 August 2012, dated rate rows, moves, a
ceasing, the census findings it planted), and this module counts, month by month, where
and at what rate that child is funded (SPEC §3, §11.1, §11.3, §11.4, §11.10, §11.11).
Money is integer pence; each line is summed exactly and rounded once, half away from zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

POLICY_START = date(2012, 9, 1)
PHASES = (("nursery", -2, -1), ("primary", 0, 6), ("secondary", 7, 11), ("post16", 12, 13))
#: Same-date ties: the first of these wins (SPEC §3, §11.9).
RANK = {"stream_ended": 0, "phase_end": 1, "casual_move": 2, "transfer": 3, "not_in_census": 4,
        "ceased": 5, "school_closed": 6}
FAR = date(2100, 1, 1)


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (non-negative integers)."""
    return (2 * numerator + denominator) // (2 * denominator)


def nc_year(dob: date, academic_year: int) -> int:
    """SPEC §2: age-based year in academic year A is A − cohort − 5."""
    cohort = dob.year if dob.month >= 9 else dob.year - 1
    return academic_year - cohort - 5


def protected_end(dob: date) -> date:
    """The 1 September that ends the phase held on the day before policy start (§3 rule 3);
    policy start itself for a child then in no phase (§11.10)."""
    nc = nc_year(dob, POLICY_START.year - 1)
    for _, lo, hi in PHASES:
        if lo <= nc <= hi:
            return date(POLICY_START.year + hi - nc, 9, 1)
    return POLICY_START


@dataclass(frozen=True)
class Period:
    """One funding year of the chain: financial year `start`–`end`, census in January."""

    label: str
    start: date
    end: date
    census_date: date

    @property
    def months(self) -> list[date]:
        """The first day of every month of the period."""
        return [date(self.start.year + (self.start.month - 1 + k) // 12, (self.start.month - 1 + k) % 12 + 1, 1)
                for k in range(12)]


@dataclass
class Succession:
    """Where a school's pupils go when it closes: `to` from `from_date` (None: closed, no successor)."""

    to: str | None
    from_date: date


@dataclass
class History:
    """One (child, stream) history as planted: every fact its outcome rests on."""

    case: str
    child: int  # index of the child (for its UPN)
    dob: date
    school: str  # held the PSF on the day before policy start
    first_date: date  # the first row's statement date
    amount: int  # pence a year from the first row
    stream: str = "PSF"
    later: list[tuple[date, int, str]] = field(default_factory=list)  # (effective, pence, event)
    ceased: date | None = None  # a `ceased` row's effective date
    moves: list[tuple[date, str, str, str]] = field(default_factory=list)  # (date, from, to, reason)
    census_stop: dict[str, str] = field(default_factory=dict)  # period label -> reason
    reissued: date | None = None  # a `reissued` row's date (after the ceasing)
    missing_from: str | None = None  # first period whose statements leave it out
    reinstate_in: str | None = None  # period whose config reinstates it
    rules: set[str] = field(default_factory=set)  # SPEC sections beyond §3 it relies on
    note: str = ""
    upn: str = ""

    def rate_at(self, day: date) -> int:
        """The annual rate in force on `day` (the last row effective on or before it)."""
        rate = self.amount
        for effective, pence, _ in sorted(self.later):
            if effective <= day:
                rate = pence
        return rate


@dataclass
class Line:
    """One expected psf.csv line: a history at one school in one period."""

    paid_school: str
    paid: int
    released: int
    reason: str
    annual: int


def resolve(school: str, day: date, successions: dict[str, Succession]) -> str:
    """The school holding a line of `school` on `day`, following successions (chains too)."""
    seen = set()
    while school in successions and successions[school].to and day >= successions[school].from_date:
        if school in seen:
            raise ValueError(f"succession cycle at {school}")
        seen.add(school)
        school = successions[school].to
    return school


def school_at(h: History, day: date, successions: dict[str, Succession]) -> str:
    """Where `h` is funded on `day`: its school as recorded before policy start (§11.10),
    then managed moves in date order and successions."""
    school = h.school
    if day < POLICY_START:
        return school
    for when, _, to, reason in sorted(h.moves):
        if POLICY_START <= when <= day and reason == "managed_move":
            school = to
    return resolve(school, day, successions)


def stop_of(h: History, p: Period, successions: dict[str, Succession]) -> tuple[date, str]:
    """The first stop of `h` by date and tie order, as seen in period `p`."""
    stops = [(protected_end(h.dob), "phase_end")]
    if h.stream != "PSF":
        stops.append((POLICY_START, "stream_ended"))
    for when, _, _, reason in sorted(h.moves):
        if when >= POLICY_START and reason in ("casual", "transfer"):
            stops.append((when, "casual_move" if reason == "casual" else "transfer"))
            break
    if h.ceased:
        stops.append((h.ceased, "ceased"))
    final = school_at(h, FAR, successions)
    closing = successions.get(final)
    if closing is not None and closing.to is None:
        stops.append((closing.from_date, "school_closed"))
    if p.label in h.census_stop:
        stops.append((max(p.start, POLICY_START), h.census_stop[p.label]))
    return min(stops, key=lambda s: (s[0], RANK[s[1]]))


def lines_for(h: History, p: Period, successions: dict[str, Succession]) -> list[Line]:
    """The lines of `h` in `p` with no register: months paid where funded on their first day."""
    if h.first_date >= POLICY_START:
        return [Line(h.school, 0, 0, "post_policy_statement", h.amount)]
    stop, reason = stop_of(h, p, successions)
    entitled = [m for m in p.months if m >= h.first_date]
    entitlement = half_up(sum(h.rate_at(m) for m in entitled), 12)
    by_school: dict[str, list[int]] = {}
    last_rate = h.rate_at(p.start)
    for m in entitled:
        if m < stop:
            last_rate = h.rate_at(m)
            by_school.setdefault(school_at(h, m, successions), []).append(last_rate)
    if not by_school:
        by_school[h.school] = []
    out = [Line(s, half_up(sum(r), 12), 0, reason if stop <= p.end else "continuing",
                r[-1] if r else last_rate) for s, r in by_school.items()]
    out[-1].released = entitlement - sum(line.paid for line in out)
    if h.reissued and p.start <= h.reissued <= p.end:
        out.append(Line(h.school, 0, 0, "post_policy_statement", h.amount))
    return out


def with_register(h: History, p: Period, last: list[Line] | None, listed: bool,
                  successions: dict[str, Succession]) -> list[Line] | None:
    """The lines of `h` in `p` given last year's lines (`None`: not in the register) (§11.4).

    Returns None when the history has no psf.csv line at all (`missing_from_statements`:
    the warning and the Reconciliation sheet show it, §11.11).
    """
    stopped = last is not None and any(line.reason != "continuing" for line in last)
    if not listed:
        return None
    if stopped and h.reinstate_in != p.label:
        return [Line(h.school, 0, 0, "stopped_last_year", h.rate_at(p.start))]
    return lines_for(h, p, successions)
