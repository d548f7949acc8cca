"""What a funding run produces: frames and figures, before anything is written (STYLE: data flows one way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keep `senrun --help` fast: Polars is imported only where it is used
    from datetime import date

    import polars as pl

    from .config.loader import Config
    from .errors import Issue


@dataclass(frozen=True)
class Element:
    """One formula element as applied: its units over all schools and its total in pence."""

    name: str
    basis: str
    kind: str  # "rate" | "share" | "remainder"
    parameter: str  # the rate in £ or the share, exactly as written in the config; "" for remainder
    units: str  # total units, as exact text (a column basis may have decimals)
    total: int  # pence


@dataclass(frozen=True)
class Totals:
    """The money identity of SPEC §1, every figure in integer pence."""

    pupil_specific_pot: int
    continuing_psf: int
    topslices: tuple[tuple[str, int], ...]  # (name, pence) in config order
    cluster_pot: int
    released_psf: int
    ssa_total: int
    sen_total: int  # ssa_total + pupil_specific_pot

    @property
    def topslices_total(self) -> int:
        return sum(p for _, p in self.topslices)

    @property
    def identity_holds(self) -> bool:
        return self.pupil_specific_pot == self.continuing_psf + self.topslices_total + self.cluster_pot


@dataclass(frozen=True)
class InputInfo:
    """An input as read: where it came from, its fingerprint and size."""

    name: str  # schools | census | statements | moves
    path: str  # as the user wrote it in the config
    sha256: str
    rows: int
    sheet: str | None = None  # the sheet read, for a workbook
    #: (senrun's column name, the file's own header) for each column read: a later message names the user's header
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class RunResult:
    """Everything a run computed.  Money columns are Int64 pence; dates are pl.Date.

    schools:  school_id, school_name, cluster_id, cluster_name, pupils, ssa, psf,
              formula_<element>…, cluster_share, total        (sorted by school_id)
    clusters: cluster_id, cluster_name, schools, pupils, ssa, psf,
              formula_<element>…, cluster_allocation, total   (sorted by cluster_id)
    psf:      upn, stream, psf_school_id, paid_school_id, annual_amount, paid_from,
              paid_to, paid_amount, released_amount, reason, date_of_birth,
              protected_phase, stop_date, units        (one row per statement row and school paid;
              a row paid nothing has one line with paid_school_id = psf_school_id and nulls for dates)
    released: reason, statements, annual_amount, paid_amount, released_amount
    workings: per school and element: school_id, element, units, parameter,
              exact_share (text), floor_pence, extra_penny, amount
              (None in a simulate scenario's run, which nothing shows)
    """

    config: "Config"
    schools: "pl.DataFrame"
    clusters: "pl.DataFrame"
    psf: "pl.DataFrame"
    released: "pl.DataFrame"
    workings: "pl.DataFrame | None"
    elements: tuple[Element, ...]
    totals: Totals
    issues: tuple["Issue", ...]
    inputs: tuple[InputInfo, ...]
    config_sha256: str
    checks: tuple[str, ...] = field(default=())  # human sentences: the checks that passed
    #: (predecessor, successor) pairs of the schools input and links (SPEC §11.1), for `--previous`
    successions: tuple[tuple[str, str], ...] = field(default=())
    #: each predecessor school and the day its successor took over (SPEC §11.1): whether a line came by
    #: succession or by a move before it (senrun.neighbours)
    takeovers: tuple[tuple[str, date], ...] = field(default=())
    #: schools with a row but no return: outside the formula and paid no PSF (SPEC §11.2)
    no_return: tuple[str, ...] = field(default=())
    #: settings outside the formula (`in_formula: no`, SPEC §11.2): their returns show no formula block
    outside: tuple[str, ...] = field(default=())
    register: object = None  # register.Register: last year's psf.csv, when the run was given one (§11.4)
    #: the statements' rate segments (§11.3: ROW, seg_from, seg_to, rate), for the run-off's later years;
    #: None when no history changes its rate
    rate_segments: "pl.DataFrame | None" = None
    #: where a line held at a school of a succession is, day by day (SPEC §11.1), for the run-off's later
    #: years: school_id, at_school, at_cluster (the school's cluster, its predecessors' when blank), t0, t1
    #: ([t0, t1)); None when no school has a successor
    succession_timeline: "pl.DataFrame | None" = None
    #: where the managed moves recorded have a child after the period (SPEC §3, FAQ 6), for the run-off's
    #: later years: _row, paid_school_id (the receiving school), at_cluster (its cluster in the schools input),
    #: seg_start, seg_end ([seg_start, seg_end)); None when no such stay reaches past the period
    later_moves: "pl.DataFrame | None" = None
    #: the schools' SEND profile from the census (senrun.profile): school_id, phase, pupils, sen_support,
    #: statements, fsm; None without a census or where nothing shows it
    profile: "pl.DataFrame | None" = None
    #: last year's cluster allocations that formula.protection's floor was set from (cluster_id → pence; SPEC
    #: §11.8), for explain; None where no floor was applied
    floor_from: "dict[str, int] | None" = None

    @property
    def warnings(self) -> tuple["Issue", ...]:
        return tuple(i for i in self.issues if not i.is_error)
