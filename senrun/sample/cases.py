"""Planted cases for `senrun sample`: statement children whose outcome is known by hand.

Each builder plants one child — date of birth, the school holding the PSF, where the
January 2013 census has them, their recorded moves — and states, from the rules of SPEC §3
and the FAQ, how many months of the 2013-04-01 – 2014-03-31 period each school is paid
and why the PSF stops.  No senrun code is used: the months are counted by hand here, so
`planted.csv` is an independent check on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .schools import HIGH, INFANT, JUNIOR, PRIMARY, SPECIAL, Schools
from .pupils import dob_for_year
from .statements import annual_amounts, statement_dates


@dataclass
class Row:
    """One statement row of a planted child and its expected outcome."""

    case: str
    months: tuple[int, ...]  # months of the period paid at each school, in order
    reason: str
    stream: str = "PSF"
    statement_date: date | None = None  # None: drawn as for any statement
    ceased: date | None = None
    annual: int | None = None  # pence; None: drawn


@dataclass
class Child:
    """A planted child: statement DOB and school, census presence, moves, statement rows."""

    dob: date
    school: int  # the school holding the PSF on 31 August 2012
    census_school: int | None  # None: absent from the census
    rows: list[Row]
    census_dob: date | None = None  # differs from `dob` only when planted so
    taught: int | None = None  # taught year, when not the age-based year
    moves: list[tuple[int, int, date, str]] = field(default_factory=list)


class Context:
    """The schools to pick from, and a generator, for the builders."""

    def __init__(self, rng: np.random.Generator, s: Schools):
        self.rng, self.s = rng, s
        self.primary = s.pool(PRIMARY)
        self.key_stage2 = s.pool(PRIMARY, JUNIOR)
        self.nursery = s.pool(PRIMARY, INFANT, nursery=True)
        self.infant = s.pool(INFANT)
        self.high = s.pool(HIGH)
        self.sixth = s.pool(HIGH, sixth=True)
        self.special = np.flatnonzero(s.kind == SPECIAL)

    def pick(self, pool: np.ndarray, *exclude: int) -> int:
        """A random school of `pool` other than `exclude`."""
        choices = np.setdiff1d(pool, np.array(exclude, dtype=int))
        return int(self.rng.choice(choices))

    def dob(self, nc: int) -> date:
        """A random date of birth for age-based year `nc` of 2012/13."""
        return dob_for_year(self.rng, np.array([nc]))[0].astype(object)

    def feeder(self, high: int) -> int:
        """A primary or junior school in the high school's cluster."""
        s = self.s
        feeds = np.isin(s.kind, (PRIMARY, JUNIOR)) & (s.cluster == s.cluster[high])
        return self.pick(np.flatnonzero(feeds))


D = date


def _simple(ctx, case, pool, nc, months, reason, **row) -> Child:
    """A child in the census at their PSF school, with no moves."""
    school = ctx.pick(pool)
    return Child(ctx.dob(nc), school, school, [Row(case, months, reason, **row)])


def _moved(ctx, case, pool, nc, dates, reason_move, months, reason, census_at=0) -> Child:
    """A child moved along a chain of schools on `dates`; the census finds them at hop `census_at`."""
    chain = [ctx.pick(pool)]
    for _ in dates:
        chain.append(ctx.pick(pool, *chain))
    moves = [(a, b, d, reason_move) for a, b, d in zip(chain, chain[1:], dates)]
    return Child(ctx.dob(nc), chain[0], chain[census_at], [Row(case, months, reason)], moves=moves)


def _ssmn(ctx, rep):
    child = _simple(ctx, "ssmn", ctx.primary, 3, (), "stream_ended", stream="SSMN")
    if rep == 0:  # this child also holds ordinary PSF: (upn, stream) keys the rows
        child.rows.append(Row("psf_with_ssmn", (12,), "continuing"))
    return child


def _fys(ctx, rep):
    child = _simple(ctx, "fys", ctx.primary, 1, (), "stream_ended", stream="FYS")
    child.rows[0].statement_date = D(2011, 9, 5) + timedelta(days=int(ctx.rng.integers(0, 300)))
    return child


def _left_primary_2012(ctx, rep):
    high = ctx.pick(ctx.high)
    return Child(ctx.dob(7), ctx.feeder(high), high, [Row("left_primary_2012", (), "phase_end")])


def _transfer(ctx, rep):
    infant = ctx.pick(ctx.infant)
    junior = int(ctx.s.partner[infant])
    return Child(ctx.dob(2), infant, infant, [Row("transfer_infant_junior", (5,), "transfer")],
                 moves=[(infant, junior, D(2013, 9, 1), "transfer")])


def _move_before_policy(ctx, rep):
    child = _moved(ctx, "move_before_policy_start", ctx.primary, 5, [D(2012, 5, 14)], "managed_move",
                   (12,), "continuing", census_at=1)
    child.school = child.census_school  # the school after the move held the PSF on 31/08/2012
    return child


def _elsewhere(ctx, case, census_pool):
    school = ctx.pick(ctx.key_stage2)
    other = ctx.pick(census_pool, school)
    return Child(ctx.dob(5), school, other, [Row(case, (), "casual_move")])


def _dob_child(ctx, case, dob, taught=None, months=(5,), reason="phase_end", census_dob=None):
    school = ctx.pick(ctx.key_stage2)
    return Child(dob, school, school, [Row(case, months, reason)], census_dob=census_dob, taught=taught)


def _dob_differs(ctx, rep):
    dob = D(2003, 10, 1) + timedelta(days=int(ctx.rng.integers(0, 290)))  # Year 4, clear of 1 Sept
    child = _simple(ctx, "date_of_birth_differs", ctx.primary, 4, (12,), "continuing")
    child.dob, child.census_dob = dob, dob + timedelta(days=3)
    return child


def _dob_differs_year(ctx, rep):
    day = int(ctx.rng.integers(2, 10))
    # statements: early September 2002 (Year 5); census: late August 2002 (Year 6)
    return _dob_child(ctx, "date_of_birth_differs_year", D(2002, 9, day), taught=6, months=(12,),
                      reason="continuing", census_dob=D(2002, 8, 20 + day))


def _july_2002(ctx, rep):
    return D(2002, 7, 1) + timedelta(days=int(ctx.rng.integers(0, 31)))


#: case name -> builder(ctx, rep) -> Child.  Months are Apr 2013 … Mar 2014, counted by hand.
CASES = {
    "year6_leaver": lambda c, r: _simple(c, "year6_leaver", c.key_stage2, 6, (5,), "phase_end"),
    "born_31_august": lambda c, r: _dob_child(c, "born_31_august", D(2002, 8, 31)),
    "born_1_september": lambda c, r: _dob_child(c, "born_1_september", D(2002, 9, 1), months=(12,),
                                                reason="continuing"),
    "year11_leaver": lambda c, r: _simple(c, "year11_leaver", c.high, 11, (5,), "phase_end"),
    "nursery_to_reception": lambda c, r: _simple(c, "nursery_to_reception", c.nursery, 0, (), "phase_end"),
    "nursery_leaver": lambda c, r: _simple(c, "nursery_leaver", c.nursery, -1, (5,), "phase_end"),
    "year7_protected_secondary": lambda c, r: _simple(c, "year7_protected_secondary", c.high, 8, (12,),
                                                      "continuing"),
    "left_primary_2012": _left_primary_2012,
    "year11_to_sixth_form": lambda c, r: _simple(c, "year11_to_sixth_form", c.sixth, 12, (), "phase_end"),
    "post16_year13": lambda c, r: _simple(c, "post16_year13", c.sixth, 13, (5,), "phase_end"),
    "managed_move": lambda c, r: _moved(c, "managed_move", c.primary, 3, [D(2013, 11, 15)], "managed_move",
                                        (8, 4), "continuing"),
    "managed_move_chain": lambda c, r: _moved(c, "managed_move_chain", c.primary, 4,
                                              [D(2013, 6, 10), D(2014, 1, 20)], "managed_move",
                                              (3, 7, 2), "continuing"),
    "managed_move_before_census": lambda c, r: _moved(c, "managed_move_before_census", c.high, 9,
                                                      [D(2012, 11, 5)], "managed_move", (0, 12),
                                                      "continuing", census_at=1),
    "managed_move_year6": lambda c, r: _moved(c, "managed_move_year6", c.key_stage2, 6, [D(2013, 5, 13)],
                                              "managed_move", (2, 3), "phase_end"),
    "move_before_policy_start": _move_before_policy,
    "casual_move": lambda c, r: _moved(c, "casual_move", c.primary, 4, [D(2013, 10, 1)], "casual",
                                       (6,), "casual_move"),
    "casual_move_on_1st": lambda c, r: _moved(c, "casual_move_on_1st", c.primary, 3, [D(2013, 6, 1)],
                                              "casual", (2,), "casual_move"),
    "casual_move_before_census": lambda c, r: _moved(c, "casual_move_before_census", c.high, 8,
                                                     [D(2012, 10, 15)], "casual", (), "casual_move",
                                                     census_at=1),
    "transfer_infant_junior": _transfer,
    "not_in_census": lambda c, r: Child(c.dob(3), c.pick(c.primary), None,
                                        [Row("not_in_census", (), "not_in_census")]),
    "unrecorded_move": lambda c, r: _elsewhere(c, "unrecorded_move", c.key_stage2),
    "found_at_special_school": lambda c, r: _elsewhere(c, "found_at_special_school", c.special),
    "ssmn": _ssmn,
    "fys": _fys,
    "post_policy_statement": lambda c, r: _simple(c, "post_policy_statement", c.primary, 2, (),
                                                  "post_policy_statement", statement_date=D(2013, 2, 1)),
    "ceased": lambda c, r: _simple(c, "ceased", c.primary, 3, (8,), "ceased", ceased=D(2013, 12, 1)),
    "ceased_before_period": lambda c, r: _simple(c, "ceased_before_period", c.primary, 4, (), "ceased",
                                                 ceased=D(2013, 2, 15)),
    "taught_year_mismatch": lambda c, r: _dob_child(c, "taught_year_mismatch", _july_2002(c, r), taught=5),
    "leap_day": lambda c, r: _dob_child(c, "leap_day", D(2004, 2, 29), months=(12,), reason="continuing"),
    "date_of_birth_differs": _dob_differs,
    "date_of_birth_differs_year": _dob_differs_year,
}

#: What each case shows, for the `note` column of planted.csv.
NOTES = {
    "year6_leaver": "Year 6 in 2012/13: primary PSF ends 31/08/2013 (FAQ 3-5)",
    "born_31_august": "born 31/08/2002: Year 6 in 2012/13, PSF ends 31/08/2013",
    "born_1_september": "born 01/09/2002: Year 5 in 2012/13, PSF continues all period",
    "year11_leaver": "Year 11 in 2012/13: secondary PSF ends 31/08/2013",
    "nursery_to_reception": "nursery on 31/08/2012, Reception from 09/2012: nothing (FAQ 4)",
    "nursery_leaver": "nursery (N2) in 2012/13: PSF ends 31/08/2013 (FAQ 4)",
    "year7_protected_secondary": "Year 8 in 2012/13: secondary PSF continues",
    "left_primary_2012": "Year 6 in 2011/12, census at the high school: ended 31/08/2012",
    "year11_to_sixth_form": "Year 11 in 2011/12, in the sixth form: ended 31/08/2012",
    "post16_year13": "Year 12 on 31/08/2012 (post-16), Year 13 in 2012/13: ends 31/08/2013",
    "managed_move": "managed move 15/11/2013: 8 months then 4 at the receiving school (FAQ 6)",
    "managed_move_chain": "managed moves 10/06/2013 and 20/01/2014: 3 + 7 + 2 months",
    "managed_move_before_census": "managed move 05/11/2012, census at the receiving school: 12 months there",
    "managed_move_year6": "managed move 13/05/2013 in Year 6: 2 + 3 months, then phase end",
    "move_before_policy_start": "move 14/05/2012 before policy start is ignored: 12 months",
    "casual_move": "casual move 01/10/2013: paid Apr-Sep 2013 (FAQ 3)",
    "casual_move_on_1st": "casual move on 01/06/2013: paid Apr-May 2013",
    "casual_move_before_census": "casual move 15/10/2012: ended before the period",
    "transfer_infant_junior": "infant to junior transfer 01/09/2013 ends PSF (transfer: ends)",
    "not_in_census": "not in the January 2013 census: ends at period start",
    "unrecorded_move": "census has the child at another school, no move recorded",
    "found_at_special_school": "census has the child at a special school outside the schools input",
    "ssmn": "SSMN stream: not paid from 01/09/2012 (FAQ 9)",
    "psf_with_ssmn": "PSF row of a child who also has an SSMN row",
    "fys": "FYS stream: not paid from 01/09/2012 (FAQ 9)",
    "post_policy_statement": "statement issued 01/02/2013, after policy start: no PSF (FAQ 3, 7)",
    "ceased": "ceased 01/12/2013: paid Apr-Nov 2013",
    "ceased_before_period": "ceased 15/02/2013: nothing in the period",
    "taught_year_mismatch": "born July 2002 (Year 6 by age) taught in Year 5: ends 31/08/2013 (FAQ 5)",
    "leap_day": "born 29/02/2004: Year 4 in 2012/13, continues",
    "date_of_birth_differs": "census DOB 3 days later than the statement's (statements win)",
    "date_of_birth_differs_year": "statement DOB Sept 2002 (Year 5), census Aug 2002 (Year 6): "
                                  "statements win",
}


def plant(rng: np.random.Generator, s: Schools, reps) -> list[Child]:
    """Every planted child: `reps` (an int, or a (low, high) range) of each case."""
    ctx = Context(rng, s)
    children = []
    for case, builder in CASES.items():
        n = reps if isinstance(reps, int) else int(rng.integers(reps[0], reps[1] + 1))
        for rep in range(n):
            children.append(builder(ctx, rep))
    _draw_money_and_dates(rng, children)
    return children


def _draw_money_and_dates(rng: np.random.Generator, children: list[Child]) -> None:
    """Fill in the annual amounts and statement dates not fixed by a case.

    The first year-6 leaver and the first managed move are SPEC §10's worked examples,
    exactly: £9,876.54 for a child born 14/11/2001, and £8,400.00 for a managed move.
    """
    first = {child.rows[0].case: child for child in reversed(children)}
    first["year6_leaver"].dob = D(2001, 11, 14)
    first["year6_leaver"].rows[0].annual = 987_654
    first["managed_move"].rows[0].annual = 840_000
    rows = [(child, row) for child in children for row in child.rows]
    amounts = annual_amounts(rng, len(rows))
    dobs = np.array([child.dob for child, _ in rows], dtype="datetime64[D]")
    dates = statement_dates(rng, dobs)
    for (child, row), amount, when in zip(rows, amounts.tolist(), dates):
        row.annual = amount if row.annual is None else row.annual
        row.statement_date = row.statement_date or when.astype(object)
