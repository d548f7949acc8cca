"""How one school's or one child's figures were reached, step by step (SPEC §7 `senrun explain`).

`explain_school` walks a school's total: its SSA, each child's PSF, each formula element
from the run's workings (units, rate or share, the exact share, the penny from the
largest-remainder step), and the total, checked against the allocation.  `explain_upn`
walks one child through every PSF rule of SPEC §3 in order.  Both return plain dicts
(money in integer pence, dates as dates) with a sentence (`text`) for each step.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import polars as pl

from ..calendar import academic_year, units_between, units_in_year
from ..config.keys import number_text
from ..config.loader import Config, at_lines, refuse_solve
from ..errors import HIDDEN, SenrunError
from ..money import fmt_gbp, round_fraction_half_away
from ..outputs.common import notional_note, number_or_text, rate_text
from ..pipeline import FLOOR_LEFT_OUT, Inputs, compute, psf_frames, read_inputs
from ..protection import cluster_adjustments, s_shown
from ..psf import POST_POLICY, PsfFrames, census_stop_words, in_chain_order, late_managed_move
from ..register import last_paid_words, last_years_stop
from ..result import RunResult
from .diff import floor_previous
from .. import history
from ..neighbours import CAME_BY_SUCCESSION, CAME_EARLIER, CAME_FROM, WENT_BY_SUCCESSION, WENT_TO, neighbours
from ..urns import school_by_urn
from ..inputs.schema import ANNUAL_AMOUNT, CLUSTER_ID, EVENT, MOVE_DATE, ROW, SCHOOL_ID, STREAM, UPN

_RULE_TEXT = {
    "stream_ended": "SSMN and FYS funding ends at the policy start (FAQ 9)",
    "phase_end": "the protected phase ended (FAQ 3–5)",
    "casual_move": "a casual change of school ends PSF (FAQ 3)",
    "transfer": "a transfer to another school ends PSF (FAQ 3; config transfer: ends)",
    "not_in_census": "the child is not in the census: they have left (SPEC §3 rule 4)",
    "ceased": "the statement ceased",
    "school_closed": "the school holding the PSF closed with no successor (SPEC §11.1)",
    "continuing": "nothing stopped it by the end of the period",
    "post_policy_statement": "a statement issued on or after the policy start generates no funding (FAQ 3, 7)",
    "stopped_last_year": "PSF stopped last year (the register): it is not paid again (FAQ 3; SPEC §11.4)",
}


def run_for_explain(cfg: Config, register=None, previous=None) -> tuple[RunResult, PsfFrames, Inputs]:
    """Read the inputs (and last year's register), apply the PSF rules once and run the allocation:
    what explain needs.  `previous` (last year's schools.csv or allocations.xlsx) gives
    `formula.protection` its floor; without it the floor is left out, with a warning."""
    refuse_solve(cfg, "explain")
    try:
        inp = read_inputs(cfg, register=register)
        psf = psf_frames(inp, cfg)  # with the register applied, as allocate does
        return compute(inp, cfg, psf=psf, previous=floor_previous(cfg, previous)), psf, inp
    except SenrunError as exc:  # a problem of a config key at its line, as allocate and validate give it
        raise at_lines(exc, cfg) from None


def nc_year_on(dob: date, on: date) -> int:
    """Age-based NC year on a day (SPEC §2): A − cohort − 5."""
    cohort = dob.year if dob.month >= 9 else dob.year - 1
    return academic_year(on) - cohort - 5


def year_name(nc: int | None) -> str:
    """0 → 'Reception', 6 → 'Year 6', −1 → 'nursery (−1)'."""
    if nc is None:
        return "none"
    return "Reception" if nc == 0 else f"Year {nc}" if nc > 0 else f"nursery ({nc})"


# --- a school ---------------------------------------------------------------------------

def _no_row(result: RunResult, school_id: str, schools: pl.DataFrame | None = None) -> SenrunError:
    """Why a school has no row this period, said as the schools input has it: closed before the period
    (its successor named), a successor not yet open, or not there at all (a near id suggested).  `schools`
    (the schools input): a predecessor named only by the links input (an academy's old URN) is told so."""
    successors = [b for a, b in result.successions if a == school_id]
    listed = schools is None or school_id in set(schools[SCHOOL_ID].cast(pl.String).to_list())
    if successors and not listed:  # an old id that only the links input names (GIAS's links give URNs)
        return SenrunError(f"school '{school_id}' is not in the schools input of {result.config.path.name}; the "
                           f"links input names it as the predecessor of {', '.join(successors)}, to which its "
                           f"pupils' PSF went on: explain --school {successors[0]} shows it")
    if successors:  # a school of the schools input, closed before the period: no typing slip to suggest
        return SenrunError(f"school '{school_id}' has no row this period: it is in the schools input of "
                           f"{result.config.path.name} but open on no day of the period (see its closed date), and "
                           f"its pupils' PSF went on to its successor {', '.join(successors)}: explain --school "
                           f"{successors[0]} shows it")
    if school_id in {b for _, b in result.successions}:
        return SenrunError(f"school '{school_id}' has no row this period: it is in the schools input of "
                           f"{result.config.path.name} as a successor, but open on no day of the period (see its "
                           "opened date)")
    named = result.schools.filter(pl.col("school_name").str.strip_chars().str.to_lowercase()
                                  == school_id.strip().lower())[SCHOOL_ID].to_list()
    if named:  # a school's name typed for its id
        return SenrunError(f"--school takes a school's id, and '{school_id}' is the name of school "
                           f"{' and '.join(named)}: explain --school {named[0]} shows it")
    members = result.schools.filter(pl.col(CLUSTER_ID).str.strip_chars().str.to_lowercase()
                                    == school_id.strip().lower()).sort(SCHOOL_ID)
    if not members.is_empty():  # a cluster's id: its figures are its pack's and the Clusters sheet's
        cluster, ids = members[CLUSTER_ID][0], members[SCHOOL_ID].to_list()
        some = ", ".join(ids[:5]) + (f" and {len(ids) - 5:,} more" if len(ids) > 5 else "")
        return SenrunError(f"--school takes a school's id, and '{school_id}' is cluster {cluster}'s: its figures are "
                           "on the Clusters sheet of allocations.xlsx and in its cluster pack (the run's clusters/ "
                           f"folder); explain --school shows one of its schools ({some}), such as explain --school "
                           f"{ids[0]}")
    from ..suggest import nearest_schools

    hint = nearest_schools(school_id, result.schools[SCHOOL_ID], result.schools["school_name"]) or \
        f" ({result.schools.height:,} schools, e.g. {', '.join(result.schools[SCHOOL_ID].head(3))})"
    return SenrunError(f"school '{school_id}' has no row this period: it is not in the schools input of "
                      f"{result.config.path.name}, or is open on no day of the period (see its opened and "
                      f"closed dates){hint}")


def explain_school(result: RunResult, school_id: str, personal: bool = True,
                   schools: pl.DataFrame | None = None) -> dict:
    """A school's total step by step: SSA, PSF by child, each formula element, the total (checked).

    Without `personal`, each child is shown by the statements input's row (`statements.xlsx row
    14 (PSF)`) and their UPN and date of birth are `[hidden]`: the school's other children were
    not asked for by name (docs/decisions.md, personal data in messages).  With `schools` (the
    schools input), a URN of its `urn` column that is no school_id asks for that school, and
    the first note says which it is (GIAS's links name schools by URN: docs/seven-years.md)."""
    school_id = school_id.strip()
    by_urn = school_by_urn(schools, school_id) if schools is not None else None
    asked = f"URN {school_id} is school {by_urn[0]} ({by_urn[1]}) of the schools input" if by_urn else ""
    school_id = by_urn[0] if by_urn else school_id
    found = result.schools.filter(pl.col(SCHOOL_ID) == school_id)
    if found.is_empty():
        error = _no_row(result, school_id, schools)
        raise SenrunError([replace(i, message=f"{asked}, and {i.message}") for i in error.issues]) if asked else error
    row = found.row(0, named=True)
    # each line with the school it came from, by a move or by succession (a chain of moves A → B → here: B)
    came = (neighbours(result.psf.lazy(), result.successions, result.takeovers)
            .filter(pl.col("paid_school_id") == school_id).collect())
    lines = came.sort(UPN, "stream") if personal else came.sort(ROW, "paid_from")
    statements = _statements_file(result)
    children = [_child_line(r, result.config, statements, personal, _segments_of(result.rate_segments, r))
                for r in lines.iter_rows(named=True)]
    elements = _formula_steps(result, school_id)
    psf_total = sum(c["amount"] for c in children)
    share = sum(e["amount"] for e in elements)
    total = row["ssa"] + psf_total + share
    # a setting outside the formula may have no cluster (SPEC §11.2): then no cluster allocation
    cluster = result.clusters.filter(pl.col(CLUSTER_ID).eq_missing(row[CLUSTER_ID]))
    skipped = [FLOOR_LEFT_OUT + "so give explain the --previous the run was given"  # (validate's says validate)
               for i in result.issues if i.code == "protection_skipped"]  # no --previous for the floor
    return in_british({
        "school_id": school_id, "school_name": row["school_name"], "cluster_id": row[CLUSTER_ID],
        "cluster_name": row["cluster_name"], "year": result.config.year,
        "period": {"start": result.config.period_start, "end": result.config.period_end},
        "ssa": {"amount": row["ssa"], "text": f"School specific allocation: {fmt_gbp(row['ssa'])}, passed through "
                "unchanged from the schools input (FAQ 1)."},
        "psf": {"children": children, "amount": psf_total,
                "text": f"Continuing PSF: {fmt_gbp(psf_total)} from {len(children)} line(s)" + _stopped_lines(children)},
        "formula": {"cluster_pot": result.totals.cluster_pot, "elements": elements, "amount": share,
                    "text": f"Cluster share: {fmt_gbp(share)} from the cluster pot "
                            f"{fmt_gbp(result.totals.cluster_pot)}. {_formula_place(result, school_id)}"
                            f"{notional_note(result.config.delegation, whose='A school')}"},
        "total": total, "allocation_total": row["total"], "matches_allocation": total == row["total"],
        # what this explanation leaves out that allocate would apply (formula.protection without --previous)
        "notes": [asked] * bool(asked) + skipped,
        "cluster_allocation": cluster["cluster_allocation"][0] if cluster.height else None,
        "text": f"Total = SSA {fmt_gbp(row['ssa'])} + PSF {fmt_gbp(psf_total)} + cluster share {fmt_gbp(share)} = "
                f"{fmt_gbp(total)}" + _against_allocation(total, row["total"], bool(skipped)),
    })


def _stopped_lines(children: list[dict]) -> str:
    """How many of a school's lines stopped (a child who left the phase or the school, a ceased plan):
    listed with the continuing ones, they are paid for the months before they stopped, or nothing."""
    went = sum(1 for c in children if c["went_to"] is not None)
    stopped = sum(1 for c in children if c["reason"] not in ("continuing", POST_POLICY) and c["went_to"] is None)
    late = sum(1 for c in children if c["reason"] == POST_POLICY)
    parts = []
    if went:
        parts.append(f"{went} of them moved on (the PSF went with the child)")
    if stopped:
        parts.append(f"{stopped} of them stopped (paid to their stop date, or nothing)")
    if late:
        parts.append(f"{late} of them statements issued after the policy began (never paid)")
    return (", " + " and ".join(parts) + ".") if parts else "."


def _against_allocation(total: int, allocated: int, floor_left_out: bool) -> str:
    """How the explained total stands against the allocation's figure for the school."""
    if total != allocated:
        return f", but the allocation shows {fmt_gbp(allocated)}."
    if floor_left_out:
        return " — before formula.protection's floor, which allocate applies (see the note)."
    return " — the allocation's figure."


def _statements_file(result: RunResult) -> str:
    """The statements input's file name, as issues name it."""
    return next((Path(i.path).name for i in result.inputs if i.name == "statements"), "statements")


def _child_line(r: dict, cfg: Config, statements: str, personal: bool, segments: pl.DataFrame | None = None) -> dict:
    """One PSF line paid to the school (with the school it came from: senrun.neighbours); without `personal`,
    the child is their statement row.  A line paid at more than one rate (§11.3 `segments`) is itemised."""
    unit = "month(s)" if cfg.prorate == "months" else "day(s)"
    nc = nc_year_on(r["date_of_birth"], cfg.period_start)
    before = r.get(CAME_FROM)  # the school it came from (else the statement's: senrun.neighbours)
    moved_in = before is not None and before != r["paid_school_id"]
    how = ("as the successor of " if r.get(CAME_BY_SUCCESSION) else
           "with PSF from the statement's school, " if r.get(CAME_EARLIER) else "by managed move from ")
    # the school the PSF went on to from here (a managed move, a successor), as the returns say it: the line
    # ended here, but the child's PSF did not stop; what stops it later is the next school's (FAQ 6; SPEC §11.1)
    went = r.get(WENT_TO)
    went_on = (f"school closed, its PSF went on to its successor {went} (no move)" if r.get(WENT_BY_SUCCESSION)
               else f"moved on to {went}, the PSF went with the child") if went is not None else ""
    # a statement issued on or after the policy start never held funding (SPEC §3): nothing stopped, so no date
    undated = r["reason"] == POST_POLICY
    paid = (f"paid {r['units']} {unit} ({r['paid_from']} – {r['paid_to']})" if r["units"] else "paid nothing")
    rates = _rates_text(r, segments, cfg)  # (the annual amount is then the last rate)
    who = (f"{r[UPN]} ({r['stream']}), born {r['date_of_birth']}" if personal
           else f"{statements} row {r[ROW]} ({r['stream']})")
    return {
        "file": statements, "row": r[ROW], UPN: r[UPN] if personal else HIDDEN, "stream": r["stream"],
        "date_of_birth": r["date_of_birth"] if personal else HIDDEN, "nc_year_at_period_start": nc,
        "protected_phase": r["protected_phase"], "stop_date": None if undated else r["stop_date"],
        "reason": r["reason"],
        "psf_school_id": r["psf_school_id"], "paid_from": r["paid_from"], "paid_to": r["paid_to"],
        "units": r["units"], "annual_amount": r["annual_amount"], "amount": r["paid_amount"], "went_to": went,
        "text": (f"{who}, {year_name(nc)} at the period start, "
                 f"protected phase {r['protected_phase'] or 'none'}"
                 + (f", {how}{before}" if moved_in else "")
                 + f": annual {fmt_gbp(r['annual_amount'])}{' (the last rate)' if rates else ''}, {paid}{rates} = "
                 f"{fmt_gbp(r['paid_amount'])}; "
                 + (f"{went_on}; " + ("the statement's first stop: " if r["reason"] != "continuing" else "")
                    if went_on else "")
                 + f"{r['reason']}" + (f" — {_RULE_TEXT[POST_POLICY]}" if r["reason"] == POST_POLICY else
                                     f" from {r['stop_date']}" if r["reason"] != "continuing" and r["stop_date"]
                                     else "")),
    }


def _element_total_text(e, cluster_pot: int) -> str:
    if e.kind == "rate":
        return f"rate {rate_text(e.parameter)} × {_count(e.units)} units = {fmt_gbp(e.total)}"
    if e.kind == "share":
        return f"share {e.parameter} × cluster pot {fmt_gbp(cluster_pot)} = {fmt_gbp(e.total)}"
    if e.kind == "solve":
        return f"what the other elements leave, {fmt_gbp(e.total)} over {_count(e.units)} units: {e.parameter}"
    return f"the remainder: the cluster pot less the other elements = {fmt_gbp(e.total)}"


def _formula_place(result: RunResult, school_id: str) -> str:
    """Why a school's units may be none, where the rest of the trail would not say: a setting outside the formula
    (SPEC §11.2), or a successor that took over after the census date, whose pupils the census counted at the school
    it took over from (SPEC §11.1)."""
    if school_id in result.outside:
        return ("It is a setting outside the formula (in_formula: no): it shares in no element, and is paid its SSA "
                "and PSF only (SPEC §11.2). ")
    if not result.config.inputs.get("census"):  # pupils are the schools input's own figures: no census placed them
        return ""
    census = result.config.census_date
    before = {old for old, new in result.successions if new == school_id}
    late = sorted((old, day) for old, day in result.takeovers if old in before and day > census)
    if not late:
        return ""
    with_row = set(result.schools["school_id"].to_list())  # a predecessor open on no day of the period has no row
    kept = [(old, day) for old, day in late if old in with_row]
    gone = [(old, day) for old, day in late if old not in with_row]
    text = ""
    counted = result.schools.filter(pl.col(SCHOOL_ID) == school_id)["pupils"].sum()  # a pupils_override's, if any
    if kept and not counted:
        told = ", ".join(f"{old} on {day:%d/%m/%Y}" for old, day in kept)
        text += (f"It took over from {told}, after the census date {census:%d/%m/%Y}: the census counted those pupils "
                 "there, and their share of the formula is that school's (SPEC §11.1). ")
    if gone:
        told = ", ".join(f"{old} on {day:%d/%m/%Y}" for old, day in gone)
        text += (f"It took over from {told}, after the census date {census:%d/%m/%Y}, and "
                 f"{'that school is' if len(gone) == 1 else 'those schools are'} open on no day of the period: "
                 "the census rows there count here (SPEC §11.11). ")
    return text


def _count(units) -> str:
    """A number of units as written exactly, with thousands marked (109,280; 12.5; a part year's 5/12 as it is)."""
    value = number_or_text(str(units))
    return f"{value:,}" if not isinstance(value, str) else value


def _formula_steps(result: RunResult, school_id: str) -> list[dict]:
    """Each element: units, rate or share, the element total, the exact share, the floor and the penny."""
    work = {r["element"]: r for r in result.workings.filter(pl.col(SCHOOL_ID) == school_id).iter_rows(named=True)}
    steps = []
    for e in result.elements:
        w = work.get(e.name)
        if w is None:  # formula.protection: the cluster's adjustment, not units × a rate (SPEC §11.8)
            steps.append(_protection_step(result, school_id, e))
            continue
        penny = " + 1p from the largest-remainder step" if w["extra_penny"] else ""
        exact = w["exact_pence"]  # exact, to 4 places rounded half away from zero (formula._workings)
        has = (f"{_count(w['units'])} of {_count(e.units)} units" if e.basis != "per_cluster" else
               f"{_count(w['units'])} pupils of its cluster's equal part of {_count(e.units)} clusters")  # SPEC §11.8
        steps.append({
            "element": e.name, "basis": e.basis, "kind": e.kind, "parameter": e.parameter, "units": w["units"],
            "total_units": e.units, "element_total": e.total, "exact_share_pence": exact,
            "floor_pence": w["floor_pence"], "extra_penny": w["extra_penny"], "amount": w["amount"],
            "text": (f"{e.name} ({e.basis}): {_element_total_text(e, result.totals.cluster_pot)}; this school has "
                     f"{has}: exact share {exact}p, floor {w['floor_pence']}p"
                     f"{penny} = {fmt_gbp(w['amount'])}"),
        })
    return steps


# --- a child --------------------------------------------------------------------------

def explain_upn(result: RunResult, psf_rows: pl.DataFrame, upn: str, moves: pl.DataFrame | None = None,
                statements: pl.DataFrame | None = None, personal: bool = True) -> dict:
    """One child's trail through every PSF rule, for each of their statement histories (SPEC §3); with
    `statements` (the input), a history of several rows is itemised, and each line's rates (§11.3).
    Without `personal`, the date of birth is not shown: the school year of birth, which is all the
    age-based year depends on, is (docs/decisions.md, personal data in messages)."""
    upn = "".join(upn.split()).upper()
    rows = psf_rows.filter(pl.col(UPN) == upn).sort(ROW)
    if rows.is_empty():
        raise SenrunError(f"the UPN asked about has no row in the statements input of {result.config.path.name}"
                          f"{_typed_wrong(upn)}")
    child_moves = (in_chain_order(moves.lazy().filter(pl.col(UPN) == upn), [], ROW).collect().to_dicts()
                   if moves is not None else [])  # in the order the rules take them
    own = statements.filter(pl.col(UPN) == upn) if statements is not None else None
    segments = history.collapse(own).segments if own is not None and own.height else None
    statements = [_statement_trail(r, result, child_moves, _history_of(own, r), _segments_of(segments, r), personal)
                  for r in rows.iter_rows(named=True)]
    return in_british({UPN: upn, "year": result.config.year,
                       "period": {"start": result.config.period_start, "end": result.config.period_end},
                       "statements": statements})


#: A date written as ISO (2013-04-01) in a sentence: said as the rest of senrun says dates, 01/04/2013.
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def in_british(explained):
    """`explained` with every date in its sentences (each `text` and note) in British form, as the returns, the
    workbooks and the messages give dates: the dates themselves (JSON's values) stay ISO, for programs."""
    if isinstance(explained, dict):
        return {key: _ISO_DATE.sub(r"\3/\2/\1", value) if key == "text" and isinstance(value, str)
                else [_ISO_DATE.sub(r"\3/\2/\1", n) if isinstance(n, str) else in_british(n) for n in value]
                if key == "notes" and isinstance(value, list) else in_british(value)
                for key, value in explained.items()}
    if isinstance(explained, list):
        return [in_british(item) for item in explained]
    return explained


#: What is said of a UPN asked about and found in no statement row, by its `upn_status` (no letter is named: a digit
#: typed wrong looks the same, and the letter its digits give may be another child's).
_UPN_TYPED = {"malformed": ": a UPN is a letter and 12 characters, the last a digit or a letter (it was typed otherwise?)",
              "bad_letter": ": its check letter does not fit its digits (a letter or a digit typed wrong?)"}


def _typed_wrong(upn: str) -> str:
    """What may be wrong with a UPN asked about and found in no statement row: its shape or its check letter (the
    UPN itself is not repeated: a message of senrun's never shows one, docs/security.md)."""
    from ..inputs.upn import upn_status

    return _UPN_TYPED.get(pl.select(upn_status(pl.lit(upn))).item(), "")


def _history_of(own: pl.DataFrame | None, r: dict) -> list[dict]:
    """The input rows of the history whose first row is `r` (same UPN and stream), by effective date."""
    if own is None:
        return []
    same = own.filter(pl.col(STREAM) == r["stream"])
    return same.with_columns(history.effective_date()).sort(history.EFF, ROW).to_dicts()


def _segments_of(segments: pl.DataFrame | None, r: dict) -> pl.DataFrame | None:
    """The history's rate segments (seg_from, seg_to, rate) when its rate changes, else None."""
    if segments is None:
        return None
    found = segments.filter(pl.col(ROW) == r[ROW]).sort("seg_from")
    return found if found.height > 1 else None


def _rates_text(x: dict, segments: pl.DataFrame | None, cfg: Config) -> str:
    """A line's amount as the sum over its rate segments (§11.3): ' = (£a × 7 + £b × 5) ÷ 12'."""
    if segments is None or not x["units"]:
        return ""
    lo, hi = pl.lit(x["paid_from"]), pl.lit(x["paid_to"] + timedelta(days=1))
    parts = (segments.with_columns(units_between(pl.max_horizontal("seg_from", lo), pl.min_horizontal("seg_to", hi),
                                                 cfg.prorate).alias("_u"))
             .filter(pl.col("_u") > 0))
    if parts["_u"].sum() != x["units"]:  # (a line whose stays there have a gap: not itemised)
        return ""
    merged: list[list[int]] = []  # a change that kept the rate (an EHC transfer at the same amount) is one term
    for rate, units in parts.select("rate", "_u").iter_rows():
        if merged and merged[-1][0] == rate:
            merged[-1][1] += units
        else:
            merged.append([rate, units])
    if len(merged) < 2:
        return ""
    terms = " + ".join(f"{fmt_gbp(rate)} × {units}" for rate, units in merged)
    return f" = ({terms}) ÷ {units_in_year(cfg.period_start, cfg.prorate)}, rounded once"


def _history_step(history_rows: list[dict]) -> dict | None:
    """A history of several rows, itemised (SPEC §11.3)."""
    if len(history_rows) < 2:
        return None
    said = []
    for h in history_rows:
        event = h.get(EVENT) or "issued"
        amount = h.get(ANNUAL_AMOUNT)
        said.append(f"row {h[ROW]} {event} {h[history.EFF]}"
                    + ("" if event == "ceased" else f", {fmt_gbp(amount)} a year" if amount is not None
                       else ", rate unchanged"))
    return _step("history", "Statement history: " + "; ".join(said) + ". Protection is judged on the first row; "
                 "from an amendment or EHC transfer its amount is the rate (a month is paid at the rate in force "
                 "on its first day), and a ceasing ends it (FAQ 3; SPEC §11.3).")


#: A stop of last year's that can be a mistake, by its reason: what the mistake most often is.
_MISTAKEN_STOP = {"not_in_census": "a child left out of last January's census in error",
                  "casual_move": "a move recorded as casual that was a managed move",
                  "ceased": "a statement recorded as ceased in error"}


def _register_step(r: dict, result: RunResult) -> dict | None:
    """A history stopped last year (SPEC §11.4): the register's stop, with its reason and its last day paid, and
    either the config line that lifts it (`reinstate:`) or what the council can do if the stop was wrong: the
    rest of the trail finds nothing wrong with such a child this year, and a school asks why it is paid £0."""
    register, cfg = getattr(result, "register", None), result.config
    if register is None:
        return _no_register_step(r, cfg)
    last = register.histories.filter((pl.col(UPN) == r[UPN]) & (pl.col(STREAM) == r["stream"]) & pl.col("stopped"))
    named = [i for i, x in enumerate(cfg.reinstate) if (x.upn, x.stream) == (r[UPN], r["stream"])]
    if last.is_empty() or not (named or r["reason"] == "stopped_last_year"):
        return None
    stop = last_years_stop(last["last_reason"][0], last_paid_words(last["last_paid_to"][0]))
    if not named:
        example = _MISTAKEN_STOP.get(last["last_reason"][0])
        return _step("register", f"Register: {stop}, so it stays stopped this year and is paid nothing (FAQ 3; "
                     f"SPEC §11.4). If that stop was a mistake{f' ({example})' if example else ''}, the council can "
                     "pay it again by naming the child under reinstate: in the config, with the reason "
                     "(docs/seven-years.md).")
    line = cfg.lines.get(f"reinstate[{named[0]}]")
    where = f"{cfg.path.name}" + (f" line {line}" if line else "")
    return _step("register", f"Register: {stop}; reinstated by reinstate: in {where}, so it is paid again as this "
                 "year's inputs pay it (SPEC §11.4).")


def _succession_words(r: dict) -> str:
    """What a row's successions did to its PSF: followed a conversion as a managed move would, or ended where a
    school closed with no successor (SPEC §11.1); nothing, where another rule had stopped the PSF by the first
    succession's date (a line held there continues at the successor: one no longer held is not carried on)."""
    first = date.fromisoformat(r["succession"][len("from "):len("from ") + 10])  # "from 2014-09-01 …"
    if (r["reason"] not in ("continuing", "post_policy_statement", "school_closed") and r["stop_date"] is not None
            and r["stop_date"] <= first):
        return f"no effect — PSF had already stopped ({r['reason']}, on {r['stop_date']})"
    converted = " at " in r["succession"]  # "from … at <successor> (…)": a conversion or amalgamation
    closed = r.get("stop_school_closed") is not None
    if closed and not converted:
        return "the child did not move, but PSF held at a school that closes with no successor ends that day (school_closed)"
    words = "the child did not move; PSF continues at the successor as if by a managed move (FAQ 3, 6)"
    return words + ("; it ends where a school closed with no successor (school_closed)" if closed else "")


def _statement_trail(r: dict, result: RunResult, moves: list[dict], history_rows: list[dict] | None = None,
                     segments: pl.DataFrame | None = None, personal: bool = True) -> dict:
    cfg = result.config
    lines = result.psf.filter(pl.col(ROW) == r[ROW]).to_dicts()
    paid = [{"paid_school_id": x["paid_school_id"], "paid_from": x["paid_from"], "paid_to": x["paid_to"],
             "units": x["units"], "amount": x["paid_amount"],
             "text": (f"paid at {x['paid_school_id']}: {x['units']} "
                      f"{'month(s)' if cfg.prorate == 'months' else 'day(s)'}"
                      + (f" ({x['paid_from']} – {x['paid_to']})" if x["paid_from"] else "")
                      + _rates_text(x, segments, cfg) + f" = {fmt_gbp(x['paid_amount'])}")} for x in lines]
    released = sum(x["released_amount"] for x in lines)
    age = _age_steps(r, cfg, personal)
    told = _history_step(history_rows or [])  # after the statement's own date, when it has several rows
    again = _register_step(r, result)
    steps = [*age, _statement_step(r, cfg), *([told] if told else []), *([again] if again else []), _stream_step(r, cfg),
             *_move_steps(r, cfg, moves), _census_step(r, cfg, result, moves), _ceased_step(r)]
    if r.get("succession"):  # the school closed or converted: PSF followed the succession (SPEC §11.1)
        steps.insert(len(steps) - 2, _step("succession", f"School succession: {r['succession']} — "
                                           + _succession_words(r) + ".", r.get("stop_school_closed")))
    reason = r["reason"]
    stop = {"date": None if reason in ("continuing", "post_policy_statement") else r["stop_date"], "reason": reason,
            "text": f"First stop: {reason} — {_RULE_TEXT.get(reason, reason)}"
                    + (f", on {r['stop_date']}" if reason not in ("continuing", "post_policy_statement") else "")
                    + "."}
    return {"row": r[ROW], "stream": r["stream"], "school_id": r[SCHOOL_ID],
            "date_of_birth": r["date_of_birth"] if personal else HIDDEN,
            "statement_date": r["statement_date"], "annual_amount": r["annual_amount"], "steps": steps,
            "stop": stop, "lines": paid, "paid": sum(x["amount"] for x in paid), "entitlement": r["entitlement"],
            "released": released,
            "text": f"Entitlement for the period {fmt_gbp(r['entitlement'])}; paid "
                    f"{fmt_gbp(sum(x['amount'] for x in paid))}; released {fmt_gbp(released)}."
                    + (" What is released goes into the pot the clusters share (FAQ 3)." if released > 0 else "")}


def _no_register_step(r: dict, cfg: Config) -> dict | None:
    """Without --register in a year after the policy began, what allocate's note says, for this child: a stop made in
    an earlier year that this year's inputs do not show is not known (SPEC §11.4)."""
    if cfg.policy_start >= cfg.period_start or r["reason"] == "post_policy_statement":
        return None
    return _step("register", "Register: none was given (--register), in a year after the policy began: a stop made in "
                 "an earlier year that this year's inputs do not show (a census the child was missing from, a move and "
                 "back) is not known here, so PSF is paid as this year's inputs pay it (SPEC §11.4; docs/seven-years.md).")


def _step(rule: str, text: str, stops_on: date | None = None) -> dict:
    return {"rule": rule, "stops_on": stops_on, "text": text}


def _age_steps(r: dict, cfg: Config, personal: bool = True) -> list[dict]:
    before = cfg.policy_start - timedelta(days=1)
    nc, phase = r["protected_nc"], r["protected_phase"]
    bounds = {name: (lo, hi) for name, lo, hi in cfg.phases}
    age = _step("age", f"{_born(r['date_of_birth'], personal)}: age-based {year_name(nc)} on {before}, the day before the "
                f"policy start (funding follows the age-based year, FAQ 4–5).")
    if phase is None:
        return [age, _step("protected_phase", f"{year_name(nc)} is in no configured phase: no protected phase, "
                           "so no PSF from the policy start.", r["stop_phase_end"])]
    lo, hi = bounds[phase]
    if r["post_policy"]:  # a statement issued on or after the policy start has no PSF to protect (FAQ 3, 7)
        return [age, _step("protected_phase", f"Phase: {phase} (years {lo} to {hi}), to the end of {year_name(hi)}; "
                           "but this statement carries no funding, so there is no PSF to protect (FAQ 3, 7).")]
    return [age, _step("protected_phase", f"Protected phase: {phase} (years {lo} to {hi}); it ends after "
                       f"{year_name(hi)}, so PSF stops on {r['stop_phase_end']} (FAQ 3–5).", r["stop_phase_end"])]


def _born(dob: date | None, personal: bool) -> str:
    """'Born 2004-12-21', or without personal data the school year it falls in, which is all that
    decides the age-based year: 'Born in the school year 1 September 2004 – 31 August 2005'."""
    if personal or dob is None:
        return f"Born {dob}"
    start = academic_year(dob)
    return f"Born in the school year 1 September {start} – 31 August {start + 1}"


def _statement_step(r: dict, cfg: Config) -> dict:
    if r["post_policy"]:
        return _step("statement_date", f"Statement dated {r['statement_date']}, on or after the policy start "
                     f"{cfg.policy_start}: it specifies support but generates no funding (FAQ 3, 7).")
    return _step("statement_date", f"Statement dated {r['statement_date']}, before the policy start "
                 f"{cfg.policy_start}: it carries funding from that date.")


def _stream_step(r: dict, cfg: Config) -> dict:
    if r["post_policy"]:  # nothing to continue or to end (FAQ 3, 7)
        return _step("stream", f"Stream {r['stream']}: no effect — the statement carries no funding.")
    if r["stop_stream_ended"] is not None:
        return _step("stream", f"Stream {r['stream']}: paid up to the day before the policy start, stops on "
                     f"{cfg.policy_start} (FAQ 9).", r["stop_stream_ended"])
    return _step("stream", "Stream PSF: continues under the cluster model while the other rules allow.")


def _move_steps(r: dict, cfg: Config, moves: list[dict]) -> list[dict]:
    """Each recorded move in date order and what it did (FAQ 3, 6)."""
    if not moves:
        return [_step("moves", "No recorded moves.")]
    out, ended = [], None
    ending = {"casual"} | ({"transfer"} if cfg.transfer == "ends" else set())
    for m in moves:
        head = f"Move on {m[MOVE_DATE]} from {m['from_school_id']} to {m['to_school_id']} ({m['reason']}): "
        if m[MOVE_DATE] < cfg.policy_start:
            out.append(_step("move", head + "ignored — before the policy start, the statement's school already "
                             "reflects it."))
        elif ended is not None:
            out.append(_step("move", head + f"no effect — PSF had already ended on {ended}."))
        elif r["post_policy"]:
            out.append(_step("move", head + "no effect — the statement carries no funding."))
        elif r["stop_date"] is not None and (m[MOVE_DATE] > r["stop_date"] or (
                m[MOVE_DATE] == r["stop_date"] and not (m["reason"] in ending and r["reason"] in ("casual_move",
                                                                                                  "transfer")))):
            # after the first stop, or on its day by another rule: a move that day finds no PSF (SPEC §3 tie order)
            out.append(_step("move", head + f"no effect — PSF had already stopped on {r['stop_date']} "
                             f"({r['reason']})."))
        elif m["reason"] in ending:
            ended = m[MOVE_DATE]
            out.append(_step("move", head + f"ends PSF on {ended} (FAQ 3).", ended))
        else:
            kept = " (config transfer: keeps)" if m["reason"] == "transfer" else ""
            out.append(_step("move", head + f"PSF follows the child to {m['to_school_id']}{kept} until the end of "
                             "the protected phase (FAQ 6)."))
    return out


def _census_step(r: dict, cfg: Config, result: RunResult, moves: list[dict] = ()) -> dict:
    has_census = any(i.name == "census" for i in result.inputs)
    if not has_census:
        return _step("census", "No pupil-level census: recorded moves alone decide where PSF is paid.")
    finding, expected, found = r["census_finding"], r["expected_school"], r["census_school"]
    if cfg.census_date < cfg.policy_start:
        return _step("census", f"Census ({cfg.census_date}) taken before the policy start: not used to check moves; "
                     "recorded moves alone decide (SPEC §11.7).")
    # a finding (or a managed move just after census day) on a line no longer funded changes nothing: the PSF
    # had already stopped, or by another rule on the same day (SPEC §11.11 "Census"), or never was funded
    unfunded = ("no effect: the statement carries no funding (FAQ 3, 7)." if r["post_policy"] else
                f"no effect: the PSF had already stopped ({r['reason']}, on {r['stop_date']}).")
    if finding is None and r.get("move_after_census"):
        window = [m[MOVE_DATE] for m in moves if m["reason"] == "managed_move" and cfg.census_date < m[MOVE_DATE]
                  <= cfg.census_date + timedelta(days=cfg.census_move_tolerance_days)]
        # not told, or the PSF stopped (a casual move after census day) before the move could carry it
        if not r.get("move_after_census_told", True) or (
                window and r["stop_date"] is not None and r["reason"] != "continuing" and r["stop_date"] <= min(window)):
            return _step("census", f"Census ({cfg.census_date}): at {found}, where a managed move recorded just after "
                         f"census day takes the child — {unfunded}")
        return _step("census", f"Census ({cfg.census_date}): at {found}, where a managed move recorded just after "
                     "census day takes the child (a trial placement over census day): PSF moves on the move's date "
                     "(FAQ 6).")
    if finding is None and found != expected:
        return _step("census", f"Census ({cfg.census_date}): registered at {expected} or a school of its succession "
                     f"chain, where the recorded moves put the child (main registration: {found}).")
    if finding is None:
        return _step("census", f"Census ({cfg.census_date}): at {found}, where the recorded moves put the child.")
    if not r.get("census_decided", True):  # stopped before, or by another rule on the same day: the finding changes nothing
        where = "not found" if finding == "not_in_census" else f"at {found}, not {expected}"
        return _step("census", f"Census ({cfg.census_date}): {where} — {unfunded}")
    if finding == "not_in_census":
        return _step("census", f"Census ({cfg.census_date}): not found — the child has left; PSF ends "
                     f"{census_stop_words(cfg, dated=True)}.", r["stop_census"])
    late = late_managed_move(moves, found, cfg)
    return _step("census", f"Census ({cfg.census_date}): at {found}, not {expected} — an unrecorded casual move"
                 f"{f' ({late})' if late else ''}; PSF ends {census_stop_words(cfg, dated=True)}.", r["stop_census"])



def _ceased_step(r: dict) -> dict:
    if r["stop_ceased"] is None:
        return _step("ceased", "No ceased date.")
    return _step("ceased", f"Ceased on {r['stop_ceased']}: no PSF from that day.", r["stop_ceased"])


def to_json(explained: dict) -> str:
    """An explanation as JSON: money in integer pence, dates ISO."""
    return json.dumps(explained, indent=2, ensure_ascii=False, default=lambda v: v.isoformat()
                      if isinstance(v, date) else str(v))


# --- formula.protection ----------------------------------------------------------------

def _protection_step(result: RunResult, school_id: str, e) -> dict:
    """formula.protection's part of a school's share (SPEC §11.8), step by step: its cluster's allocation last year
    and floor, its other elements this year, whether it is raised to its floor or gives up `s` of its gain, the
    cluster's adjustment (rounded so that the clusters' sum to 0), and this school's part of it, in proportion to
    its other elements: the exact share, the floor and the penny, as each other element shows them."""
    from math import floor

    row = result.schools.filter(pl.col(SCHOOL_ID) == school_id).row(0, named=True)
    amount, cluster = int(row[f"formula_{e.name}"] or 0), row[CLUSTER_ID]
    step = {"element": e.name, "basis": e.basis, "kind": e.kind, "parameter": e.parameter, "units": None,
            "total_units": None, "element_total": e.total, "exact_share_pence": None, "floor_pence": None,
            "extra_penny": False, "amount": amount,
            "text": (f"{e.name} ({e.parameter}): this school's part of its cluster's adjustment, shared in "
                     f"proportion to its other elements = {fmt_gbp(amount)}")}
    previous = result.floor_from
    if previous is None or not cluster or school_id in result.outside:
        return step
    cfg = result.config
    counted = result.schools.filter(pl.col(CLUSTER_ID).is_not_null() & ~pl.col(SCHOOL_ID).is_in(list(result.outside)))
    other = pl.col("cluster_share") - pl.col(f"formula_{e.name}")  # each school's other elements
    before = dict(counted.group_by(CLUSTER_ID).agg(other.sum()).iter_rows())
    adjust, s, cost, _ = cluster_adjustments(before, previous, cfg.floor_pct, cfg)
    members = counted.filter(pl.col(CLUSTER_ID) == cluster)
    mine, theirs, adjustment = int(row["cluster_share"]) - amount, before[cluster], adjust[cluster]
    exact = Fraction(adjustment * mine, theirs) if theirs else Fraction(adjustment, members.height)
    low = floor(exact)
    share = (f"this school has {fmt_gbp(mine)} of {fmt_gbp(theirs)}" if theirs else
             f"its schools have no other elements, so it is shared equally: this school has 1 of {members.height} parts")
    step.update({"units": mine if theirs else 1, "total_units": theirs if theirs else members.height,
                 "exact_share_pence": _pence_text(exact), "floor_pence": low, "extra_penny": amount - low,
                 "last_year": previous.get(cluster), "cluster_before": theirs, "cluster_adjustment": adjustment,
                 "text": (f"{e.name} (floor_pct {number_text(cfg.floor_pct)}%): "
                          f"{_protection_case(cluster, previous, theirs, cfg, s, cost)}; the cluster's adjustment, rounded so that the clusters' adjustments sum to £0.00, is "
                          f"{fmt_gbp(adjustment)}, shared among its schools in proportion to their other elements: "
                          f"{share}: exact share {_pence_text(exact)}p, floor {low}p"
                          f"{' + 1p from the largest-remainder step' if amount > low else ''} = {fmt_gbp(amount)}")})
    return step


def _protection_case(cluster: str, previous: dict[str, int], before: int, cfg: Config, s: Fraction,
                     cost: Fraction) -> str:
    """Why a cluster is raised, scaled or left alone by the floor (protection.cluster_adjustments' cases)."""
    last = previous.get(cluster)
    if last is None:
        return f"cluster {cluster} is not in last year's file (new, or renamed): it has no floor and is not scaled"
    bottom = last * (1 + Fraction(cfg.floor_pct) / 100)
    text = (f"cluster {cluster} was allocated {fmt_gbp(last)} last year, so its floor is {_exact_gbp(bottom)}; its "
            f"schools' other elements come to {fmt_gbp(before)} this year")
    if cost == 0:
        return text + ", and no cluster is below its floor: no cluster is adjusted"
    if before < bottom:
        return text + f", below the floor: it is raised by {_exact_gbp(bottom - before)}"
    if before > last:
        return (text + f", a gain of {fmt_gbp(before - last)} on last year, of which every cluster that gained gives "
                f"up the same part s = {s_shown(s)} (the floors' cost over the gains) to pay for the floors: "
                f"{_exact_gbp(-s * (before - last))}")
    return text + ", between its floor and last year's allocation: neither raised nor scaled"


def _exact_gbp(pence: Fraction) -> str:
    """Exact pence as pounds, to the penny or to as many places as the 4 of `_pence_text` need (£669,714.4678)."""
    tenths = round_fraction_half_away(abs(pence) * 10_000)
    pounds, rest = divmod(tenths, 1_000_000)
    places = f"{rest:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if pence < 0 and tenths else ''}£{pounds:,}.{places}"


def _pence_text(value: Fraction) -> str:
    """Exact pence to 4 places, rounded half away from zero, as the workings show an exact share."""
    tenths = round_fraction_half_away(abs(value) * 10_000)
    return f"{'-' if value < 0 and tenths else ''}{tenths // 10_000}.{tenths % 10_000:04d}"
