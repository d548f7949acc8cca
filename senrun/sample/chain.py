"""`senrun sample --years 2013-14:2019-20`: the seven-year chain, one folder per funding year.

The chain's world is drawn once from the seed (schools and how they change, every pupil,
the statement children and their histories, the planted §11 cases) whatever years are
asked for; `--years` chooses which folders are written.  Each folder holds that year's
inputs as a council would hold them at the year's end — the schools list (with opened,
closed, successor and in-formula columns), the January census, every statement row in
force by the period's end, every recorded move so far, the GIAS links — its `senrun.yaml`,
and `planted.csv`: the expected line of every history when the years are run in order,
each with the previous year's output as `--register` and `--previous`.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import numpy as np

from .chain_cases import Planted, plant_cases
from .chain_tables import planted_rows, year_tables
from .chain_write import write_year
from .oracle import POLICY_START, History, Line, Period, protected_end, with_register
from .pupils import check_index, rank_within, upn_text
from .schools import INFANT, SPECIAL, build_schools
from .statements import annual_amounts, select_ordinary, statement_dates
from .world import World, build_world, draw_pupils, Pupils

FIRST_YEAR, LAST_YEAR = 2012, 2019  # 2012-13 (census January 2012) … 2019-20
CHAIN_ORDINARY = {"demo": 8, "la": 1_500}
NEW_STATEMENTS = {"demo": 1, "la": 40}  # statements issued each year after the policy (no PSF)


def parse_years(text: str) -> list[str]:
    """`2013-14:2019-20` -> the labels of every funding year in between (ValueError if not)."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*:\s*(\d{4})-(\d{2})\s*", text)
    if not m or any(int(m[i + 1]) != (int(m[i]) + 1) % 100 for i in (1, 3)):
        raise ValueError(f"--years {text!r}: expected two financial years such as 2013-14:2019-20")
    first, last = int(m[1]), int(m[3])
    if not FIRST_YEAR <= first <= last <= LAST_YEAR:
        raise ValueError(f"--years {text!r}: the chain runs from 2012-13 to 2019-20, first year first")
    return [label(y) for y in range(first, last + 1)]


def label(year: int) -> str:
    """2013 -> "2013-14"."""
    return f"{year}-{(year + 1) % 100:02d}"


def period_of(lbl: str) -> Period:
    """The financial year `lbl` and its January census (the third Thursday, as the DfE's)."""
    y = int(lbl[:4])
    first_thursday = date(y, 1, 1) + timedelta(days=(3 - date(y, 1, 1).weekday()) % 7)
    return Period(lbl, date(y, 4, 1), date(y + 1, 3, 31), first_thursday + timedelta(days=14))


ALL_LABELS = [label(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]


def generate_chain(scale: str, seed: int, years: str, out_dir: Path,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Write one folder per year of `years` into `out_dir`; return the chain's counts."""
    from .generate import SCALES

    if scale not in CHAIN_ORDINARY:
        raise ValueError(f"unknown scale {scale!r} for a chain: expected demo | la")
    labels, say = parse_years(years), progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    say("drawing schools, pupils and histories")
    s = build_schools(rng, SCALES[scale])
    world = build_world(s)
    pupils = draw_pupils(rng, s, world)
    planted = plant_cases(rng, world.roles, {lbl: period_of(lbl).census_date for lbl in ALL_LABELS})
    ordinary = _ordinary(rng, s, pupils, CHAIN_ORDINARY[scale])
    new = _new_statements(rng, pupils, world, NEW_STATEMENTS[scale], {h.child for h in ordinary})
    _planted_upns(s, world, planted)
    for h in ordinary + new:
        h.upn = pupils.upn[h.child]
    histories = [p.history for p in planted] + ordinary + new
    out_dir = Path(out_dir)
    last: dict[int, list[Line]] | None = None
    counts = {"scale": scale, "seed": seed, "years": len(labels)}
    pot = _pot(histories, world)
    made = [folder for folder in [out_dir, *(out_dir / lbl for lbl in labels)] if not folder.exists()]
    try:
        for lbl in labels:
            say(f"writing {lbl}")
            p = period_of(lbl)
            expected, last = _expect(histories, p, last, world)
            tables = year_tables(world, pupils, planted, histories, p)
            rows = planted_rows(planted, histories, expected, p, world)
            write_year(out_dir / lbl, tables, rows, p, pot, histories, scale, seed)
    except BaseException:  # a chain that failed (or was stopped) leaves no folder it made, as one year's sample
        for folder in reversed(made):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    counts["planted"] = len(planted)
    counts["statement_children"] = len(histories)
    return counts


def _expect(histories: list[History], p: Period, last: dict[int, list[Line]] | None, world: World):
    """Every history's expected lines in `p`, given last year's (None: the chain's first year)."""
    expected, kept = {}, {}
    for h in histories:
        if h.first_date > p.end:
            continue
        prev = None if last is None else last.get(id(h))
        listed = h.missing_from is None or p.label < h.missing_from
        lines = with_register(h, p, prev, listed, world.successions)
        if lines is None:
            if prev and all(line.reason == "continuing" for line in prev):
                expected[id(h)] = [Line("", 0, 0, "missing_from_statements", prev[-1].annual)]
            continue
        expected[id(h)] = kept[id(h)] = lines
    return expected, kept


def _ordinary(rng: np.random.Generator, s, pupils: Pupils, n: int) -> list[History]:
    """Statement children of 31 August 2012 with no moves: the phase arithmetic of §3, and
    from September 2014 the transfer of every live statement to an EHC plan (§11.3)."""
    idx = pupils.school_index(2011)
    nc = 2011 - pupils.cohort - 5
    kinds = np.concatenate([s.kind, [SPECIAL]])  # the free school (last index) is not open yet
    kind = kinds[np.maximum(idx, 0)]
    excluded = (idx < 0) | (kind == SPECIAL) | ((kind == INFANT) & (nc >= 0))
    chosen = select_ordinary(rng, kind, nc + 1, excluded, n)
    first = statement_dates(rng, pupils.dob[chosen])
    amounts = annual_amounts(rng, len(chosen))
    transfer = np.datetime64("2014-09-01") + rng.integers(0, 1307, len(chosen))
    changed = rng.random(len(chosen)) < 0.3
    new_amounts = annual_amounts(rng, len(chosen))
    out = []
    for k, i in enumerate(chosen.tolist()):
        dob = pupils.dob[i].astype(object)
        h = History("ordinary", i, dob, pupils.ids[idx[i]], first[k].astype(object), int(amounts[k]),
                    note="no moves: phase arithmetic alone")
        when = transfer[k].astype(object)
        if when < protected_end(dob):
            h.later = [(when, int(new_amounts[k] if changed[k] else amounts[k]), "ehc_transfer")]
        out.append(h)
    pupils.sen[chosen] = 3
    return out


def _new_statements(rng, pupils: Pupils, world: World, per_year: int, taken: set[int]) -> list[History]:
    """Statements issued after the policy began (paid nothing, FAQ 3, 7), a few each year."""
    from .world import census_school

    out = []
    for lbl in ALL_LABELS[1:]:
        p = period_of(lbl)
        idx = pupils.school_index(p.start.year - 1)
        nc = p.start.year - 1 - pupils.cohort - 5
        pool = np.flatnonzero((idx >= 0) & (nc >= 1) & (nc <= 10) & (pupils.lo[pupils.slot] > -3)
                              & (pupils.split[pupils.slot] < 14))
        pool = np.setdiff1d(pool, np.fromiter(taken, dtype=np.int64, count=len(taken)))
        for i in np.sort(rng.choice(pool, size=per_year, replace=False)).tolist():
            taken.add(i)
            when = max(p.start, POLICY_START) + timedelta(days=int(rng.integers(0, 360)))
            school = census_school(world, pupils.ids[idx[i]], p.census_date)
            out.append(History("new_statement", i, pupils.dob[i].astype(object), school, when,
                               int(annual_amounts(rng, 1)[0]), note="statement issued after the policy began: "
                               "no PSF (FAQ 3, 7)"))
    return out


def _planted_upns(s, world: World, planted: list[Planted]) -> None:
    """UPNs for the planted children, issued by their first school (serials from 901: never a census pupil's)."""
    estab = np.array([int(p.history.school[-4:]) for p in planted], dtype=np.int64)
    cohort = np.array([p.history.dob.year if p.history.dob.month >= 9 else p.history.dob.year - 1
                       for p in planted], dtype=np.int64)
    key = (int(s.la[0]) * 10_000 + estab) * 100 + (cohort + 4) % 100
    body = key * 1000 + 901 + rank_within(key)
    for p, text in zip(planted, upn_text(body, check_index(body)).to_list()):
        p.history.upn = text


def _pot(histories: list[History], world: World) -> int:
    """The pupil-specific pot in pounds, held for the whole chain: 1.05 × the annual PSF of every
    statement funded before the policy, plus £8,000 for each school in the formula, to the £1000."""
    annual = sum(h.amount for h in histories if h.stream == "PSF" and h.first_date < POLICY_START)
    pence = annual * 105 // 100 + 800_000 * sum(1 for r in world.rows if r.in_formula)
    return (pence + 50_000) // 100_000 * 1000
