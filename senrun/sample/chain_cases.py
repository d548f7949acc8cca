"""The children planted in the sample chain, one per §11 situation, and where each census has them.

Each case is a `History` (oracle.py) built from a school *role* of the chain's world (the
high school that converts, the infant school that amalgamates, …) and dates chosen so that
the situation happens inside the chain's years.  `CENSUS` overrides say where a January
census has the child when that is the point of the case (absent, at a school of a trial
placement, dual-registered); otherwise the census has a funded child at the school funding
them on census day, and leaves out a child whose PSF has stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .oracle import History
from .statements import annual_amounts

D = date


@dataclass
class Planted:
    """A planted history and the census rows that differ from the default, by period label."""

    history: History
    census: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # label -> [(school, status)]


def dob_for(rng: np.random.Generator, nc_2011: int) -> date:
    """A date of birth for age-based year `nc_2011` of 2011/12 (the year before the policy)."""
    cohort = 2011 - nc_2011 - 5
    start = D(cohort, 9, 1)
    return start + timedelta(days=int(rng.integers(0, (D(cohort + 1, 9, 1) - start).days)))


#: What each case shows (planted.csv's note), with the SPEC section and FAQ it rests on.
NOTES = {
    "academy_conversion": "high school converts 01/08/2013, new DfE number (successor_id column and a "
                          "Successor link): PSF follows, the child did not move (§11.1; FAQ 3, 6)",
    "academy_conversion_chain": "primary converts 01/09/2015 (links file only, academy's cluster blank), "
                                "re-brokered 01/01/2017 (successor_id column): PSF follows the chain (§11.1)",
    "amalgamation_infant": "infant and junior schools amalgamate 01/09/2014 into a new primary: an infant "
                           "child's PSF continues there (§11.1)",
    "amalgamation_junior": "a junior child's PSF continues at the amalgamated primary (§11.1)",
    "school_closed": "primary closes 31/08/2016 with no successor: PSF ends 01/09/2016, school_closed (§11.1)",
    "closed_tie_phase_end": "managed move 15/11/2013 to the school that closes 31/08/2016, phase ends the "
                            "same 01/09/2016: phase_end wins the tie (§11.9)",
    "new_school_statement": "statement issued 01/10/2017 at the free school opened 01/09/2017: no PSF "
                            "(FAQ 3, 7), then stopped_last_year (§11.4)",
    "no_phase_2012": "aged below nursery on 31/08/2012 (no configured phase), at a private nursery: paid "
                     "until then under the old rules, phase_end on 01/09/2012 (§11.10)",
    "pvi_nursery": "PSF held at a private nursery (in_formula: no) until the end of nursery (§11.2; FAQ 4)",
    "special_school": "PSF held at a special school (in_formula: no), secondary phase (§11.2)",
    "ehc_transfer": "statement transferred to an EHC plan 20/10/2014, same amount: still protected (§11.3; FAQ 3)",
    "ehc_transfer_new_amount": "EHC plan 03/11/2014 with a new amount: December on at the new rate (§11.3)",
    "amendments": "amended 15/10/2015, EHC plan 01/05/2016, amended 01/02/2017: rate segments summed "
                  "exactly, rounded once per line (§11.3, §11.11)",
    "ceased_and_reissued": "ceased 10/05/2015 (a ceased row), reissued 01/11/2015: the reissue is a new "
                           "statement after the policy, paid 0 (§11.3, §11.11)",
    "dual_registration": "dual registration from the January 2015 census: main (M) at the PSF school, "
                         "subsidiary (S) at the pupil referral unit, a guest (G) row too (§11.5)",
    "dual_main_elsewhere": "main registration (M) at the pupil referral unit, subsidiary (S) at the PSF "
                           "school: the census check passes (§11.5)",
    "trial_managed_move": "trial managed move dated 5 days after the January 2015 census, census at the "
                          "receiving school: the move counts, warning move_after_census (§11.6; FAQ 6)",
    "resurrected": "missing from the January 2014 census (not_in_census), back in January 2015: "
                   "stopped_last_year with a resurrected warning (§11.4)",
    "reinstated": "as resurrected, but reinstate: in 2015-16's config pays it again (§11.4)",
    "missing_from_statements": "paid and continuing in 2014-15, left out of the statements from 2015-16: "
                               "warning missing_from_statements, no psf.csv line (§11.4, §11.11)",
    "unrecorded_move": "the January 2014 census has the child at another school, no move recorded: "
                       "casual_move at the period start (§3 rule 4)",
    "ssmn": "SSMN stream: paid until 31/08/2012, stream_ended (§3 rule 1, §11.10; FAQ 9)",
    "moved_june_2012": "moved 12/06/2012, January 2012 census at the old school: before the policy the "
                       "census is not a move check, 12 months at the new school (§11.7)",
    "statement_mid_2012": "statement dated 15/06/2012: paid and entitled from July 2012 (§11.10)",
    "new_statement": "statement issued after the policy began: no PSF (FAQ 3, 7)",
    "ordinary": "no moves: phase arithmetic alone",
}


def plant_cases(rng: np.random.Generator, roles: dict[str, str], census_dates: dict[str, date]) -> list[Planted]:
    """Every planted case of the chain, in NOTES order (one child each)."""
    r = roles
    amounts = iter(annual_amounts(rng, 64).tolist())

    def h(case: str, school: str, nc_2011: int, **kw) -> History:
        first = kw.pop("first_date", None) or D(2010, 1, 4) + timedelta(days=int(rng.integers(0, 900)))
        return History(case, -1, dob_for(rng, nc_2011), school, first, kw.pop("amount", None) or next(amounts),
                       note=NOTES[case], **kw)

    trial = census_dates["2015-16"] + timedelta(days=5)
    out = [
        Planted(h("academy_conversion", r["high"], 8)),
        Planted(h("academy_conversion_chain", r["convert_links"], 1)),
        Planted(h("amalgamation_infant", r["infant"], 0)),
        Planted(h("amalgamation_junior", r["junior"], 3)),
        Planted(h("school_closed", r["closing"], 1)),
        Planted(h("closed_tie_phase_end", r["stable"], 2,
                  moves=[(D(2013, 11, 15), r["stable"], r["closing"], "managed_move")])),
        Planted(h("new_school_statement", r["new_school"], -1, first_date=D(2017, 10, 1))),
        Planted(h("no_phase_2012", r["pvi"], -3, first_date=D(2011, 11, 14))),
        Planted(h("pvi_nursery", r["pvi"], -2)),
        Planted(h("special_school", r["special"], 8)),
        Planted(h("ehc_transfer", r["stable"], 2)),
        Planted(h("ehc_transfer_new_amount", r["high_other"], 8)),
        Planted(h("amendments", r["stable"], 0)),
        Planted(h("ceased_and_reissued", r["stable"], 2, ceased=D(2015, 5, 10), reissued=D(2015, 11, 1))),
        Planted(h("dual_registration", r["high_other"], 7),
                {y: [(r["high_other"], "M"), (r["pru"], "S"), (r["academy"], "G")] for y in ("2015-16", "2016-17")}),
        Planted(h("dual_main_elsewhere", r["stable"], 3), {"2015-16": [(r["pru"], "M"), (r["stable"], "S")]}),
        Planted(h("trial_managed_move", r["stable"], 1, moves=[(trial, r["stable"], r["amalgamated"], "managed_move")]),
                {"2015-16": [(r["amalgamated"], "C")]}),
        Planted(h("resurrected", r["stable"], 2, census_stop={"2014-15": "not_in_census"}), {"2014-15": []}),
        Planted(h("reinstated", r["stable"], 1, census_stop={"2014-15": "not_in_census"}, reinstate_in="2015-16"),
                {"2014-15": []}),
        Planted(h("missing_from_statements", r["stable"], 1, missing_from="2015-16"),
                {y: [] for y in census_dates if y >= "2015-16"}),
        # (found at another school in January 2015, the child has left the PSF school: in no later census there,
        # or the year after would be told as a child stopped last year back in its census, `resurrected`)
        Planted(h("unrecorded_move", r["stable"], 3, census_stop={"2014-15": "casual_move"}),
                {"2014-15": [(r["convert_links"], "C")], **{y: [] for y in census_dates if y > "2014-15"}}),
        Planted(h("ssmn", r["stable"], 3, stream="SSMN")),
        Planted(h("moved_june_2012", r["stable"], 3, moves=[(D(2012, 6, 12), r["convert_links"], r["stable"], "casual")]),
                {"2012-13": [(r["convert_links"], "C")]}),
        Planted(h("statement_mid_2012", r["stable"], 4, first_date=D(2012, 6, 15))),
    ]
    _histories(out, rng, amounts)
    return out


def _histories(out: list[Planted], rng: np.random.Generator, amounts) -> None:
    """The dated rows of the cases whose statements change (§11.3)."""
    by_case = {p.history.case: p.history for p in out}
    by_case["ehc_transfer"].later = [(D(2014, 10, 20), by_case["ehc_transfer"].amount, "ehc_transfer")]
    by_case["ehc_transfer_new_amount"].later = [(D(2014, 11, 3), next(amounts), "ehc_transfer")]
    a = by_case["amendments"]
    a.later = [(D(2015, 10, 15), next(amounts), "amended"), (D(2016, 5, 1), next(amounts), "ehc_transfer"),
               (D(2017, 2, 1), next(amounts), "amended")]
    by_case["resurrected"].rules.add("11.4")
