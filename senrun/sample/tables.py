"""The tables of `senrun sample`, with a council's own headers, built from the drawn arrays.

Money is held as integer pence until written; every table is sorted on unique keys, so
the rows always come in the same order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from .cases import NOTES, Child
from .pupils import (SEN_ACTION, SEN_CODES, SEN_PLUS, UPN_LETTERS, Census, check_index,
                     upn_bodies, upn_text)
from .schools import PHASE_LABEL, Schools
from .statements import (annual_amounts, expected, half_up, ordinary_months,
                                      statement_dates)

NC_LABELS = ["N1", "N2", "R"] + [str(y) for y in range(1, 14)]  # index: age-based year + 2
CASE_ORDER = list(NOTES) + ["ordinary"]
KINDS = {
    "schools": {"DfE Number": "text", "School Name": "text", "Cluster Code": "text",
                "Cluster Name": "text", "Phase": "text", "School Specific Allocation": "amount",
                "SEN Need Index": "number"},
    "statements": {"Pupil UPN": "text", "Date of Birth": "date", "Statement Date": "date",
                   "PSF School (DfE)": "text", "Annual PSF": "money", "Funding Stream": "text",
                   "Ceased Date": "date"},
    "moves": {"UPN": "text", "From School (DfE)": "text", "To School (DfE)": "text",
              "Date of Move": "date", "Move Type": "text"},
}


def upns(rng: np.random.Generator, s: Schools, c: Census, children: list[Child], n_drawn: int,
         ordinary: np.ndarray, wrong_letters: int) -> tuple[UpnKeys, list[str]]:
    """UPNs for the census rows (as keys) and, in order, for every planted child (as text).

    A few census-only children (never a statement child) get a wrong check letter.
    """
    absent = [child for child in children if child.census_school is None]
    # A planted child's UPN was issued by the school holding the PSF (their first school).
    issuer = np.array([child.school for child in children if child.census_school is not None], dtype=int)
    school = np.concatenate([c.school[:n_drawn], issuer, np.array([a.school for a in absent], dtype=int)])
    dob = np.concatenate([c.dob, np.array([a.dob for a in absent], dtype="datetime64[D]")])
    # LA codes and establishment numbers fit 32 bits: half the memory per pupil
    bodies = upn_bodies(s.la.astype(np.int32)[school], s.estab.astype(np.int32)[school], dob)
    del school, dob  # England holds eight million of each: free them before the letters
    letters = check_index(bodies)
    candidates = np.ones(n_drawn, dtype=bool)
    candidates[ordinary] = False
    wrong = rng.choice(np.flatnonzero(candidates), size=wrong_letters, replace=False)
    letters[wrong] = (letters[wrong] + rng.integers(1, 23, size=len(wrong))) % 23
    # Only the planted children's UPNs are made text here: the census's are made as it is written.
    present_upn = iter(upn_text(bodies[n_drawn:len(c)], letters[n_drawn:len(c)]).to_list())
    absent_upn = iter(upn_text(bodies[len(c):], letters[len(c):]).to_list())
    planted = [next(present_upn) if child.census_school is not None else next(absent_upn)
               for child in children]
    return UpnKeys(bodies[:len(c)], letters[:len(c)].astype(np.int8)), planted


class UpnKeys(NamedTuple):
    """Census UPNs held compactly: the 12-digit body and the index of the check letter.

    As text a UPN sorts by its letter, then by its zero-padded body, so these keys sort
    the census exactly as its UPN text would.
    """

    body: np.ndarray
    letter: np.ndarray

    def text(self, rows: np.ndarray) -> pl.Series:
        """The UPNs of `rows` as 13-character text."""
        return upn_text(self.body[rows], self.letter[rows])


def census_frame(ids: pl.Series, c: Census, upn: UpnKeys) -> pl.LazyFrame:
    """The census as the DfE's field names have it (NC year taught, SEN provision, FSM).

    Sorted by school and UPN on compact integer keys; the text columns are made morsel by
    morsel as the lazy frame is written, so England's ~8 million pupils never stand in
    memory as text (the bytes written are those of the whole frame written at once).
    """
    school_rank = ids.rank("ordinal").to_numpy().astype(np.int64)  # DfE numbers, as text sorts them
    order = np.lexsort((upn.body, upn.letter, school_rank[c.school]))
    keys = pl.DataFrame({
        "body": upn.body[order], "letter": upn.letter[order].astype(np.int8),
        "school": c.school[order].astype(np.int32), "DOB": pl.Series(c.dob[order], dtype=pl.Date),
        "taught": (c.taught[order] + 2).astype(np.int8), "sen": c.sen[order].astype(np.int8),
        "FSMeligible": pl.Series(c.fsm[order].astype(np.int8))})
    del order
    letters = dict(enumerate(UPN_LETTERS.tolist()))
    return keys.lazy().select(
        UPN=pl.col("letter").replace_strict(letters, return_dtype=pl.String)
        + pl.col("body").cast(pl.String).str.zfill(12),
        LAEstab=pl.col("school").replace_strict(list(range(len(ids))), ids, return_dtype=pl.String),
        DOB=pl.col("DOB"),
        NCyearActual=_labels("taught", NC_LABELS),
        SENprovision=_labels("sen", SEN_CODES.tolist()),
        FSMeligible=pl.col("FSMeligible"))


def _labels(column: str, labels: list[str]) -> pl.Expr:
    """The text label of each code of `column` (an index into `labels`)."""
    return pl.col(column).replace_strict(list(range(len(labels))), labels, return_dtype=pl.String)


def schools_frame(rng: np.random.Generator, s: Schools, c: Census) -> pl.DataFrame:
    """The schools input: DfE number, name, cluster, phase, SSA (pence) and a need index.

    The need index is 100 × the school's FSM and SEN-support rate over the average; the
    SSA follows pupils and need, about £15m for the reference authority.
    """
    n = s.n_input
    pupils = np.bincount(c.school, minlength=len(s.kind))[:n]
    support = np.bincount(c.school, (c.sen == SEN_ACTION) | (c.sen == SEN_PLUS), len(s.kind))[:n]
    fsm = np.bincount(c.school, c.fsm, len(s.kind))[:n]
    rate = (support + fsm) / np.maximum(pupils, 1)
    need = np.round(100 * rate / max(rate.mean(), 1e-9), 1)
    pounds = np.floor(pupils * 100 * (0.6 + 0.4 * need / 100) + 8_000).astype(np.int64)
    ids = s.ids[:n]
    return pl.DataFrame({
        "DfE Number": ids,
        "School Name": s.name[:n],
        "Cluster Code": pl.Series(s.cluster_code).gather(s.cluster[:n]),
        "Cluster Name": pl.Series(s.cluster_name).gather(s.cluster[:n]),
        "Phase": pl.Series(PHASE_LABEL).gather(s.kind[:n]),
        "School Specific Allocation": pounds * 100 + rng.integers(0, 100, size=n),
        "SEN Need Index": need,
    }).sort(["Cluster Code", "DfE Number"])


def statements_frame(rng, ids: pl.Series, c: Census, census_upn: UpnKeys, ordinary: np.ndarray,
                     children: list[Child], planted_upn: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The statements (council headers) and, for each row, its expected outcome."""
    dob = c.dob[ordinary]
    annual = annual_amounts(rng, len(ordinary))
    nc = c.nc[ordinary]
    paid, released, reason = expected(annual, ordinary_months(nc))
    upn = census_upn.text(ordinary)
    school = ids.gather(c.school[ordinary])
    base = pl.DataFrame({
        "Pupil UPN": upn, "Date of Birth": pl.Series(dob, dtype=pl.Date),
        "Statement Date": pl.Series(statement_dates(rng, dob), dtype=pl.Date),
        "PSF School (DfE)": school, "Annual PSF": annual, "Funding Stream": "PSF",
        "Ceased Date": pl.Series([None] * len(ordinary), dtype=pl.Date)})
    outcome = pl.DataFrame({
        "case": "ordinary", "upn": upn, "stream": "PSF", "school_id": school,
        "reason": reason, "paid_pence": paid, "released_pence": released,
        "note": pl.Series(_ORDINARY_NOTES).gather(nc + 2)})
    rows, outcomes = _planted_rows(ids, children, planted_upn)
    statements = pl.concat([base, pl.DataFrame(rows, schema=base.schema, orient="row")])
    outcome = pl.concat([outcome, pl.DataFrame(outcomes, schema=outcome.schema, orient="row")])
    return statements.sort(["PSF School (DfE)", "Pupil UPN", "Funding Stream"]), outcome


def _planted_rows(ids: pl.Series, children: list[Child], planted_upn: list[str]):
    """Statement rows and expected outcomes of the planted children."""
    rows, outcomes = [], []
    for child, upn in zip(children, planted_upn):
        school = ids[child.school]
        for row in child.rows:
            rows.append((upn, child.dob, row.statement_date, school, row.annual, row.stream, row.ceased))
            paid = sum(half_up(row.annual * m, 12) for m in row.months)
            released = 0 if row.reason == "post_policy_statement" else row.annual - paid
            outcomes.append((row.case, upn, row.stream, school, row.reason, paid, released,
                             _note(ids, row.case, child)))
    return rows, outcomes


def _note(ids: pl.Series, case: str, child: Child) -> str:
    """The case's note, with its moves spelled out."""
    moves = "; ".join(f"{reason} {when:%d/%m/%Y} {ids[a]}->{ids[b]}" for a, b, when, reason in child.moves)
    return NOTES[case] + (f" [{moves}]" if moves else "")


def _ordinary_note(nc: int) -> str:
    """What an ordinary child's outcome rests on, by age-based year of 2012/13."""
    label = {-2: "N1", -1: "N2", 0: "Reception"}.get(nc, f"Year {nc}")
    phase = "nursery" if nc - 1 <= -1 else "primary" if nc - 1 <= 6 else "secondary" if nc - 1 <= 11 \
        else "post16"
    months = int(ordinary_months(np.array([nc]))[0])
    return f"{label} in 2012/13, protected phase {phase}: {months} months"


_ORDINARY_NOTES = [_ordinary_note(nc) for nc in range(-2, 14)]


def moves_frame(ids: pl.Series, children: list[Child], planted_upn: list[str]) -> pl.DataFrame:
    """The recorded moves of the planted children, by date."""
    rows = [(upn, ids[a], ids[b], when, reason)
            for child, upn in zip(children, planted_upn) for a, b, when, reason in child.moves]
    schema = {"UPN": pl.String, "From School (DfE)": pl.String, "To School (DfE)": pl.String,
              "Date of Move": pl.Date, "Move Type": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["Date of Move", "UPN"])


def planted_frame(outcome: pl.DataFrame) -> pl.DataFrame:
    """planted.csv: the planted cases in a fixed order, then the ordinary rows."""
    order = pl.col("case").replace_strict(CASE_ORDER, list(range(len(CASE_ORDER))))
    return outcome.sort([order, pl.col("upn"), pl.col("stream")])
