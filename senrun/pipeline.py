"""inputs → checks → ageing → PSF → pot → formula → RunResult (STYLE: data flows one way).

`allocate(config)` is the library's front door: it reads nothing but the config's inputs,
writes nothing, and either returns a RunResult or raises SenrunError with every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from . import checks, history, succession
from .calendar import labelled_years, nc_year_between, shift_years
from .config.loader import Config, ConfigError, load_config, refuse_solve
from .errors import ERROR, TYPED_UPN, Issue, Issues, SenrunError, school_cell_personal
from .bases import (check_blank_clusters, check_cluster_spelling, check_overrides, check_pupil_columns, parse_need_column,
                    unknown_basis_column, warn_overrides, warn_pupils_twice)
from .formula import apply_formula, element_years, pot
from .schools import (IN_FORMULA_FLAG, OPEN_UNITS, census_homes, check_open_dates, check_ssa_of_shut_schools,
                      census_rows_at_closed, in_formula, open_in_period, open_units, opened_after_policy, rehome_counts,
                      succession_pairs, warn_census_nowhere)
from .inputs.headers import not_annual
from .inputs.load import Table, read_input
from .inputs.samefile import same_file_errors
from .engine import collect
from .money import fmt_gbp
from .psf import PsfFrames, census_stop_words, compute_psf, late_managed_move
from .register import Register, apply as apply_register, overlap_errors, read_register, reinstate_without_register
from .result import InputInfo, RunResult, Totals
from .inputs.schema import (ANNUAL_AMOUNT, CLUSTER_ID, CLUSTER_NAME, COUNTED_ENROL, DOB, ENROL_STATUS, EVENT, FSM, PUPILS,
                            PUPILS_OVERRIDE, ROW, SCHEMAS, SCHOOL_ID, SCHOOL_NAME, SEN_PROVISION, SEN_STATEMENT_CODES, SEN_SUPPORT_CODES,
                            MOVE_DATE, REASON, SSA, SUCCESSOR_ID, TO_SCHOOL, UPN, URN)
from .urns import given_urn, links_in_school_ids, urn_schools


@dataclass
class Inputs:
    """The parsed inputs of one run (read once; simulate reuses them)."""

    schools: Table
    statements: Table
    census: Table | None
    moves: Table | None
    issues: Issues
    #: Work on the inputs that every run of them shares (simulate and the projection reuse it):
    #: see census_matches and census_counts.
    derived: dict = field(default_factory=dict, repr=False, compare=False)
    links: Table | None = None  # successions as GIAS exports them (SPEC §11.1)
    register: Register | None = None  # last year's psf.csv (§11.4), when --register is given


def read_inputs(cfg: Config, progress=None, register: Path | None = None, budget_later: bool = False) -> Inputs:
    """Read and check every input (and last year's register, when given); raise SenrunError with
    every error found.  With `budget_later`, errors of the budget's sums alone (code `budget`) are
    kept in the inputs' issues instead, for `compute` to list with the pot's and formula's (SPEC §8:
    every error of one pass)."""
    issues = Issues()
    check_dates(cfg, issues)
    tables: dict[str, Table | None] = dict.fromkeys(INPUT_NAMES)
    again = same_file_errors(cfg, issues)
    given = [name for name in INPUT_NAMES if cfg.inputs.get(name) and name not in again]
    for name, table, found in _read_each({name: cfg.inputs[name] for name in given}, progress):
        tables[name] = table
        issues.extend(found.items)
    if issues.errors:  # with the checks across inputs that the bad cells leave right
        raise SenrunError(_past_bad_cells(tables, given, issues.items, cfg))
    inputs = Inputs(tables["schools"], tables["statements"], tables["census"], tables["moves"], issues,
                    links=tables["links"])
    if register is not None:
        inputs.register = read_register(register)
        issues.extend(overlap_errors(inputs.register, cfg))
    check_inputs(inputs, cfg)
    if issues.errors and not _budget_only(issues):
        _moves_checked_too(inputs, cfg)
    if not budget_later or not _budget_only(issues):
        issues.raise_if_errors()
    return inputs


def _successions_given(inp: Inputs) -> bool:
    """Whether the inputs record schools that open, close or convert (a column of the schools input read, or a
    links input)."""
    return bool({"opened", "closed", "successor_id"} & set(inp.schools.headers)) or inp.links is not None


def _moves_checked_too(inp: Inputs, cfg: Config) -> None:
    """With errors across the inputs, the moves' from-school check too: it is made by the PSF rules,
    which do not run on inputs in error, so a move from the wrong school was found only once the
    other errors were put right (SPEC §5: every error in one pass).  A move row already in error is
    not listed again; if the inputs' errors leave the rules unable to run, the others stand alone."""
    if inp.moves is None:
        return
    try:
        psf = compute_psf(inp.statements.frame, inp.moves.frame, None, cfg, successions_of(inp))
    except MemoryError:
        raise
    except Exception:  # (a rule that did not expect the input in error): its errors are listed alone
        return
    # a child with a statement row or a move row in error already: where the rules think the child is may
    # be that error's doing, so the moves after it are not blamed (the other error is put right first)
    suspects = set()
    for table in (inp.statements, inp.moves):
        rows = [i.row for i in inp.issues.errors if (i.file, i.sheet) == (table.file, table.sheet) and i.row]
        if rows:
            suspects.update(table.frame.filter(pl.col(ROW).is_in(rows)).get_column(UPN).drop_nulls().to_list())
    move_from_errors(psf.move_errors.filter(~pl.col(UPN).is_in(list(suspects))), inp)


def check_dates(cfg: Config, issues: Issues) -> None:
    """Warnings for a config copied from last year and changed in one place only: a `year:` label
    of another year than the period's (every workbook and return is headed with it), and a census
    date more than a year before the period or after it (it ages the children counted).  And an
    error for a child's UPN in the `contact:` line, which every return carries."""
    where = {"file": cfg.path.name}
    years = labelled_years(cfg.year or "")
    if years and cfg.period_start.year not in years:
        right = f"{cfg.period_start.year}-{(cfg.period_start.year + 1) % 100:02d}"
        issues.warn("year_label", f"the run is labelled {cfg.year.strip()!r}, but its period is "
                    f"{cfg.period_start:%d/%m/%Y} – {cfg.period_end:%d/%m/%Y}: every workbook and return is "
                    "headed with the label; change year: or period: so that they agree", row=cfg.lines.get("year"),
                    column="year", value=cfg.year, expected=f"year: {right}", **where)
    upns = [m.group(0) for m in TYPED_UPN.finditer(cfg.contact or "")]
    if upns:  # (the contact line is printed on every school's return and in the published workbook)
        issues.error("config", "contact: holds what looks like a child's UPN: the line is printed on every school's "
                     "return and on the allocation workbook's Parameters sheet, which are sent out; take it out",
                     row=cfg.lines.get("contact"), column="contact", value=cfg.contact, personal=tuple(upns),
                     expected="who schools ask about their return, with no child's data", **where)
    if cfg.inputs.get("census") and not (shift_years(cfg.period_start, -1) <= cfg.census_date <= cfg.period_end):
        issues.warn("census_date_far", f"census_date {cfg.census_date:%d/%m/%Y} is "
                    + ("after the period ends" if cfg.census_date > cfg.period_end else
                       "more than a year before the period starts")
                    + f" ({cfg.period_start:%d/%m/%Y} – {cfg.period_end:%d/%m/%Y}): the children's ages, and so "
                    "the pupils counted and where PSF ends, are taken on that day", row=cfg.lines.get("census_date"),
                    column="census_date", value=str(cfg.census_date), expected="the date of the census the "
                    "period is funded from, e.g. January before a financial year", **where)


#: The code of a budget check's error (budget.ssa_total, budget.sen_total): the run's figures do not
#: depend on it, so the pot and the formula are still worked out, and their errors listed with it.
BUDGET = "budget"


def _budget_only(issues: Issues) -> bool:
    """Whether every error is a budget check's."""
    return all(i.code == BUDGET for i in issues.errors)


#: Columns whose blank cell reads as a default (stream PSF, event issued, registration C): a row whose
#: cell there could not be read is left out of the checks across inputs, where the default would be a guess.
_DEFAULTED = frozenset(c.name for columns in SCHEMAS.values() for c in columns if c.default is not None)
_NOT_FOUND = ("unknown_school", "census_outside", "links_unknown")  # the problems of an id not found


def _past_bad_cells(tables: dict[str, Table | None], given: list[str], first: list[Issue],
                    cfg: Config) -> list[Issue]:
    """The errors of the inputs' own cells, and those of the checks across inputs (SPEC §5, §8: every
    error found in one pass).  Only when every input was read with its columns and every error is
    at a cell: the checks then run on the cells that were read (a bad cell is empty), without those
    that a missing value would make wrong (check_inputs, `whole` False), and a problem at a row
    already reported is not listed twice.  If the bad cells make a check fail, the cells' errors stand."""
    if (tables["schools"] is None or any(tables[name] is None for name in given)
            or any(i.row is None for i in first if i.is_error)):
        return first + blank_clusters_alone(tables, given, first)
    reported = {(i.file, i.sheet, i.row) for i in first if i.is_error}
    ids_read = not tables["schools"].frame[SCHOOL_ID].has_nulls()  # else a school not found may be an unread one
    found = Issues(list(first))
    try:
        kept = {name: _without_guessed(tables[name], first) for name in INPUT_NAMES}
        inputs = Inputs(kept["schools"], kept["statements"], kept["census"], kept["moves"], found, links=kept["links"])
        check_inputs(inputs, cfg, whole=False)
        if ids_read and not _successions_in_error(first, tables):  # (else where a child was is not known)
            _moves_checked_too(inputs, cfg)
    except MemoryError:
        raise
    except Exception:  # (a check that did not expect an empty cell): what the cells say is listed alone
        return first
    return first + [i for i in found.items[len(first):] if (i.file, i.sheet, i.row) not in reported
                    and (ids_read or i.code not in _NOT_FOUND)]


#: The cells that say where a school's children went when it closed (SPEC §11.1): with one of them in error,
#: the schools a move may be from are not known, and no move is blamed.
_SUCCESSION_FIELDS = frozenset({SCHOOL_ID, "opened", "closed", "successor_id"})


def _successions_in_error(first: list[Issue], tables: dict[str, Table | None]) -> bool:
    """Whether a cell the schools' successions are read from could not be read (the schools' ids, dates
    and successors, or any cell of the links input)."""
    schools, links = tables["schools"], tables["links"]
    return any(i.is_error and ((i.file, i.sheet) == (schools.file, schools.sheet) and i.field in _SUCCESSION_FIELDS
                               or links is not None and (i.file, i.sheet) == (links.file, links.sheet))
               for i in first)


def blank_clusters_alone(tables: dict[str, Table | None], given, first: list[Issue]) -> list[Issue]:
    """The blank cluster_id of a school in the formula (the same "is empty" error as any required cell,
    SPEC §8, §11.2), when the checks across inputs wait for other errors to be put right: a cell error
    found in the same pass as the others.  Not of a school any input names as a successor (it may take its
    predecessors' cluster, §11.1), nor of any school while a links input could not be read."""
    schools, links = tables.get("schools"), tables.get("links")
    if schools is None or CLUSTER_ID not in schools.frame.columns or ("links" in given and links is None):
        return []
    named = set()
    for table in (schools, links):
        if table is not None and SUCCESSOR_ID in table.frame.columns:
            named.update(table.frame[SUCCESSOR_ID].drop_nulls().cast(pl.String).to_list())
    if URN in schools.frame.columns:  # (a links input in URNs names its successors by URN)
        named.update(schools.frame.filter(pl.col(URN).cast(pl.String).is_in(list(named)))[SCHOOL_ID]
                     .drop_nulls().cast(pl.String).to_list())
    found = Issues()
    check_blank_clusters(_without_guessed(schools, first), found, named)
    reported = {(i.file, i.sheet, i.row) for i in first if i.is_error}
    return [i for i in found.items if (i.file, i.sheet, i.row) not in reported]


def _without_guessed(table: Table | None, found: list[Issue]) -> Table | None:
    """`table` less its rows with an error in a column whose blank reads as a default (_DEFAULTED)."""
    if table is None:
        return None
    rows = sorted({i.row for i in found if i.is_error and (i.file, i.sheet) == (table.file, table.sheet)
                   and i.field in _DEFAULTED})
    if not rows:
        return table
    frame = table.frame.filter(~pl.col(ROW).is_in(pl.Series(rows, dtype=table.frame.schema[ROW]).implode()))
    suspects = (frame, table.upn_suspects[1]) if table.upn_suspects is not None else None
    return replace(table, frame=frame, upn_suspects=suspects)


#: The inputs, in the order their issues are reported.
INPUT_NAMES = ("schools", "census", "statements", "moves", "links")


def load_checked_config(path: Path) -> Config:
    """The config at `path` (config.loader.load_config).  When it is in error but its `inputs:` are
    right (a slip in the formula or the budget), each input is read and its cells checked too, and
    their problems listed after the config's: every problem in one pass (SPEC §8), not the config's
    alone and then, once those are put right, the census's."""
    try:
        return load_config(path)
    except ConfigError as exc:
        if not exc.inputs:
            raise
        tables, found = {}, []
        for name, table, read in _read_each(exc.inputs):
            tables[name] = table
            found += read.items
        raise SenrunError(exc.issues + found + blank_clusters_alone(tables, list(exc.inputs), found)) from None


def _read_each(specs: dict, progress=None) -> Iterator[tuple[str, Table | None, Issues]]:
    """Each input read and checked on its own, with its issues, in the order given.  The files are read
    side by side (Polars and calamine work outside Python's lock: the census is parsed while the
    workbooks are); their issues come in this order, as if read in turn."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        reading = {name: pool.submit(_read_one, name, spec) for name, spec in specs.items()}
        for name, future in reading.items():
            if progress:
                progress(f"reading {name}")
            yield (name, *future.result())


def _read_one(name: str, spec) -> tuple[Table | None, Issues]:
    """One input read and checked on its own (a thread of read_inputs), with its issues."""
    found = Issues()
    table = read_input(spec, found, [(history.blank_amounts, (ANNUAL_AMOUNT, EVENT))] if name == "statements" else ())
    if name == "statements":
        history.blank_amounts(table, found)
        amount_header(table, found)
    return table, found


def amount_header(statements: Table | None, issues: Issues) -> None:
    """A warning when the column read as the annual amount is headed as a week's, month's or term's amount
    (`Weekly amount`): every figure would be paid as a year's."""
    header = statements.headers.get(ANNUAL_AMOUNT) if statements is not None else None
    if header and not_annual(header):
        issues.warn("amount_not_annual", f"the column read as annual_amount is headed '{header}': senrun pays "
                    "each figure in it as the amount for a whole year (SPEC §3: annual_amount is a rate per year)",
                    **statements.where(ANNUAL_AMOUNT),
                    expected="the yearly amount: add a column of it (for a weekly amount, the weekly figure × the "
                    "weeks a year your policy pays) and map that one as annual_amount")


#: Said of a school_id listed twice where schools open, close or convert: the likeliest cause (SPEC §11.1).
SAME_ID_CONVERSION = (". If the two rows are a school and the academy it became under the same id (most "
                      "conversions keep their DfE number), they are one school to senrun: keep one row, with no "
                      "closed date, no successor and no opened date (the academy's opening date would leave out "
                      "the census pupils counted before it), and its children's PSF stays with it "
                      "(docs/seven-years.md)")


#: Said of a statement's school that is not in a schools input of openings, closings or successions: most
#: likely a school that closed or converted, whose row was deleted (SPEC §11.1).
KEEP_SHUT_ROWS = ("If it is a school that closed or became an academy, keep its row, with its closed date, "
                  "beside its successor's: PSF follows a succession only from a school the schools input holds "
                  "(docs/seven-years.md)")


#: Said of a URN listed twice in the schools input (urns.py).
URN_TWICE = (": a URN names one school, and the links input's URNs are read as the school_id of the school "
             "with that URN; correct the URN that is wrong")


def check_inputs(inp: Inputs, cfg: Config, whole: bool = True) -> None:
    """SPEC §8 across inputs: duplicates, unknown schools, UPNs, census consistency, basis columns.
    Not `whole`: some cells could not be read (they are empty here), so the checks that an empty
    cell would make wrong are left out: the census matching, basis columns and budget sums."""
    issues, schools = inp.issues, inp.schools
    ids = schools.frame[SCHOOL_ID]
    dated = _successions_given(inp)  # (the schools input records openings, closings or successors)
    checks.duplicates(schools, [SCHOOL_ID], issues, "school_id", hint=SAME_ID_CONVERSION if dated else "")
    checks.lookalike_ids(schools, issues)  # ９２６２００２ beside 9262002: one school, listed twice
    if URN in schools.frame.columns:  # a URN names one school: the links are read through it
        checks.duplicates(replace(schools, frame=schools.frame.filter(given_urn())), [URN], issues, "URN",
                          hint=URN_TWICE)
    if "links_by_id" not in inp.derived:  # GIAS's URNs read as school_ids (§11.1), once per set of inputs
        inp.derived["links_by_id"] = links_in_school_ids(schools, inp.links, issues)
    inp.links = inp.derived["links_by_id"]
    check_open_dates(schools, issues)  # a school that closes before it opens (SPEC §11.1)
    found = successions_of(inp, issues, cfg.period_end)
    check_ssa_of_shut_schools(schools, found, cfg, issues)  # SSA of a school with no row (SPEC §1, §11.11)
    succession.unclosed_predecessors(schools, found, cfg.period_end, issues)  # open after its successor took over
    check_pupil_columns(schools, issues)  # 0 to a million pupils a school: no negative share, no sum wrapped round
    check_overrides(schools, found, cfg, issues)  # a pupils_override that sets no school's pupils
    checks.school_clusters(schools, issues)
    checks.upns_in_names(schools, issues)  # names are published: no child's UPN in one
    # a successor's blank cluster comes from its predecessors: when its succession is itself in error, that
    # error is the one to mend, and the blank is no second error
    broken = any(i.code in ("succession", "unknown_school") and i.file != inp.statements.file for i in issues.errors)
    check_blank_clusters(schools, issues, {b for _, b in _succession_pairs(inp)} if broken else set())
    check_cluster_spelling(schools, issues)
    history.check(inp.statements, issues)  # §8's duplicate (upn, stream), read as histories (§11.3)
    names = schools.frame[SCHOOL_NAME] if SCHOOL_NAME in schools.frame.columns else None  # for "did you mean"
    urns = urn_schools(schools.frame)  # (a school's URN given where its school_id was wanted is said so)
    checks.unknown_schools(inp.statements, SCHOOL_ID, ids, issues, "the school holding the PSF,", names=names,
                           census=inp.census, urns=urns, hint=KEEP_SHUT_ROWS if dated else "")
    checks.upn_letters(inp.statements, issues)
    if inp.moves is not None:
        checks.moves_reasons(inp.moves, ids, issues, transfer_keeps=cfg.transfer == "keeps", names=names, urns=urns)
    if inp.census is not None:
        inp.derived["census_schools"] = _counted_census_schools(inp.census.frame)
        inp.derived["census_at_closed"] = census_rows_at_closed(inp.schools.frame, inp.census.frame, cfg)
        checks.census_registrations(inp.census, issues)
        checks.upn_letters(inp.census, issues)
        checks.census_outside(inp.census, ids, issues, urns, names)
    if inp.census is not None and whole:
        matches = census_matches(inp)  # the one join of the census with the statements, kept for the run
        checks.dob_differs(inp.statements, issues, matches, _first_statement_rows(inp)[0])
        checks.taught_years(inp.census, cfg.census_date, _statement_dobs(inp), issues, matches)
    checks.no_statements(inp.statements, issues)
    history.ceased_before_issued(inp.statements, issues)
    checks.born_after_statement(inp.statements, issues)  # a year typed wrong: the phase follows the birth
    checks.dob_rows_differ(inp.statements, issues, *_first_statement_rows(inp))  # the first row's is used
    inp.derived.pop("first_rows", None)  # (≈15 MB at England's scale, not held through the PSF step)
    if not whole:
        return
    _check_basis_columns(inp, cfg)
    _check_budget(inp, cfg)


def _counted_census_schools(census: pl.DataFrame) -> pl.Series:
    """The schools with census rows that count (a main registration, C or M: SPEC §11.5), as text; a compact
    census's school ids are its categories, all of them counted where every row is."""
    if ENROL_STATUS in census.columns and not census[ENROL_STATUS].is_in(COUNTED_ENROL).all():
        return census[SCHOOL_ID].filter(census[ENROL_STATUS].fill_null("C").is_in(COUNTED_ENROL)).unique().cast(pl.String)
    at = census[SCHOOL_ID]
    return (at.dtype.categories if isinstance(at.dtype, pl.Enum) else at.unique()).cast(pl.String)


def successions_of(inp: Inputs, issues: Issues | None = None, period_end=None) -> succession.Successions:
    """The schools' successions (SPEC §11.1), read once per set of inputs; a successor's blank
    cluster is filled from its predecessors'."""
    if "successions" not in inp.derived:
        issues = issues if issues is not None else Issues()
        found = succession.read_successions(inp.schools, inp.links, issues, period_end, urn_schools(inp.schools.frame))
        succession.successor_clusters(inp.schools, found, issues)
        inp.derived["successions"] = found
    return inp.derived["successions"]


def _succession_pairs(inp: Inputs) -> tuple[tuple[str, str], ...]:
    """Every declared (predecessor, successor) pair, for `--previous`: read once per set of inputs
    (simulate computes a run per scenario on the same inputs)."""
    if "succession_pairs" not in inp.derived:
        inp.derived["succession_pairs"] = succession_pairs(inp.schools.frame,
                                                           inp.links.frame if inp.links is not None else None)
    return inp.derived["succession_pairs"]


def _takeovers(inp: Inputs) -> tuple[tuple[str, date], ...]:
    """Each predecessor school and the day its successor took over (RunResult.takeovers)."""
    return tuple(successions_of(inp).edges.select(SCHOOL_ID, "on").iter_rows())


def _succession_timeline(inp: Inputs) -> pl.DataFrame | None:
    """RunResult.succession_timeline: the successions' timeline with each successor's cluster (a school
    the run-off's later years reach may have no row this year: a successor opening after the period)."""
    found = successions_of(inp)
    if found.edges.is_empty():
        return None
    clusters = inp.schools.frame.select(pl.col(SCHOOL_ID).alias("at_school"), pl.col(CLUSTER_ID).alias("at_cluster"))
    return (found.timeline.filter(pl.col("at_school").is_not_null())
            .join(clusters, on="at_school", how="left", maintain_order="left")
            .select(SCHOOL_ID, "at_school", "at_cluster", "t0", "t1"))


def _moves_after(inp: Inputs, psf: PsfFrames) -> pl.DataFrame | None:
    """RunResult.later_moves: the managed moves' stays reaching past the period, with each receiving school's
    cluster of the schools input (a school the run-off's later years reach may have no row this year)."""
    if psf.later is None:
        return None
    clusters = inp.schools.frame.select(pl.col(SCHOOL_ID).alias("paid_school_id"), pl.col(CLUSTER_ID).alias("at_cluster"))
    return (psf.later.join(clusters, on="paid_school_id", how="left", maintain_order="left")
            .select(ROW, "paid_school_id", "at_cluster", "seg_start", "seg_end"))


def _first_statement_rows(inp: Inputs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each child's first statement row (`_row`, upn, date_of_birth): the earliest by effective date (its
    statement_date where it has none), then by row.  A history's first row holds its date of birth
    (SPEC §11.11), however the file orders its rows.  And the rows of the children with several (found
    by hashing, as the duplicate check does: nearly every child has one row, kept as it is).  Kept
    until the input checks are done (`check_inputs`), then worked out again if asked for."""
    if "first_rows" not in inp.derived:
        frame = inp.statements.frame
        several = checks._repeated_keys(frame, [UPN]).select(ROW, UPN, DOB, history.effective_date(frame.columns))
        firsts = several.sort("_eff", ROW, nulls_last=True).unique(UPN, keep="first").drop("_eff")
        alone = frame.select(ROW, UPN, DOB).filter(~pl.col(ROW).is_in(several[ROW].implode()))
        inp.derived["first_rows"] = (pl.concat([alone, firsts]).sort(ROW), several.drop("_eff"))
    return inp.derived["first_rows"]


def _statement_dobs(inp: Inputs) -> pl.DataFrame:
    """Statements win for every use of a child's age (SPEC §8): the date of birth of the child's first
    statement row."""
    return _first_statement_rows(inp)[0].select(UPN, pl.col(DOB).alias("statement_dob"))


def _check_basis_columns(inp: Inputs, cfg: Config) -> None:
    schools, issues = inp.schools, inp.issues
    if inp.census is not None and PUPILS in schools.frame.columns:  # never silent (SPEC §11.1)
        issues.warn("pupils_ignored", "the schools input's pupils column is ignored: the census counts pupils "
                    "(use a pupils_override column to set a school's pupils)", **schools.where(PUPILS))
    for n, e in enumerate(cfg.elements):
        needs_census = e.basis in ("sen_support", "statements", "fsm")
        if needs_census and inp.census is None:
            issues.error("config", f"element '{e.name}' has basis '{e.basis}', which needs the pupil-level census "
                         "(inputs.census)", file=cfg.path.name, column="formula.elements")
        needs_column = {"sen_support": SEN_PROVISION, "statements": SEN_PROVISION, "fsm": FSM}.get(e.basis)
        if needs_column and inp.census is not None and needs_column not in inp.census.headers:
            # else every school has 0 units: a rate pays nothing and its money goes to the other elements, unsaid
            key = f"formula.elements[{n}].basis"
            issues.error("config", f"element '{e.name}' has basis '{e.basis}', which counts the census's "
                         f"{needs_column} column, but {inp.census.file} has no {needs_column} column (add it, or map "
                         f"its header to {needs_column} in inputs.census.columns)", file=cfg.path.name,
                         row=cfg.lines.get(key), column=key, expected=f"a census with a {needs_column} column")
        if e.basis == "pupils" and inp.census is None and PUPILS not in schools.frame.columns:
            issues.error("config", f"element '{e.name}' counts pupils, but there is no census and the schools "
                         "input has no pupils column", file=cfg.path.name, column="formula.elements")
        if e.nc_years is not None and inp.census is None and e.basis == "pupils":
            issues.error("config", f"element '{e.name}' counts its own years {e.nc_years[0]}–{e.nc_years[1]}, "
                         "which needs the pupil-level census (inputs.census)", file=cfg.path.name,
                         column="formula.elements")
        if not e.basis.startswith("column:"):
            continue
        name = e.basis[7:]
        if name not in schools.frame.columns:
            unknown_basis_column(schools, cfg, n, name, issues)
            continue
        parse_need_column(schools, name, issues, cfg)


def _check_budget(inp: Inputs, cfg: Config) -> None:
    ssa = int(inp.schools.frame[SSA].fill_null(0).sum()) if SSA in inp.schools.frame.columns else 0
    where = {"file": cfg.path.name}
    if cfg.ssa_total is not None and cfg.ssa_total != ssa:
        inp.issues.error("budget", f"budget.ssa_total is {fmt_gbp(cfg.ssa_total)} but the schools' SSA column sums "
                         f"to {fmt_gbp(ssa)} (a difference of {fmt_gbp(ssa - cfg.ssa_total)})",
                         column="budget.ssa_total", **where)
    if cfg.sen_total is not None and cfg.sen_total != ssa + cfg.pupil_specific_pot:
        inp.issues.error("budget", f"budget.sen_total is {fmt_gbp(cfg.sen_total)} but SSA {fmt_gbp(ssa)} + "
                         f"pupil-specific pot {fmt_gbp(cfg.pupil_specific_pot)} = "
                         f"{fmt_gbp(ssa + cfg.pupil_specific_pot)}", column="budget.sen_total", **where)


def move_from_errors(errors: pl.DataFrame, inp: Inputs) -> None:
    """An error for each move from a school the child was not at (psf.move_errors)."""
    for move_row, upn, from_school, expected in errors.head(checks.MAX_LISTED).iter_rows():
        inp.issues.error("move_from", f"move of {upn} is from school '{from_school}', but the child was then at "
                         f"'{expected}' (after the earlier moves)", **inp.moves.where("from_school_id", move_row),
                         value=from_school, expected=f"'{expected}'", personal=(upn,))


def psf_issues(psf: PsfFrames, inp: Inputs, cfg: Config) -> None:
    """Moves from the wrong school are errors; census findings that stopped PSF warn (or error)."""
    issues = inp.issues
    move_from_errors(psf.move_errors, inp)
    if inp.census is None:
        issues.warn("no_census", "no pupil-level census: recorded moves alone decide where PSF is paid, and pupil "
                    "counts come from the schools input", file=cfg.path.name)
        return
    if cfg.census_date < cfg.policy_start:
        issues.warn("census_before_policy", f"the census ({cfg.census_date}) is before the policy start "
                    f"({cfg.policy_start}): it is not used to check moves, and recorded moves alone decide where PSF "
                    "is paid (SPEC §11.7)", file=cfg.path.name, row=cfg.lines.get("census_date"),
                    column="census_date")
        return
    for row, upn, found in psf.rows.filter(pl.col("move_after_census_told")).sort(ROW).select(
            ROW, UPN, "census_school").head(checks.MAX_LISTED).iter_rows():
        issues.warn("move_after_census", f"{upn} is in the census at school '{found}', where a managed move recorded "
                    "just after census day takes the child: PSF moves on the move's date", **inp.statements.where(
                        UPN, row), value=upn,
                    personal=(upn, found) if school_cell_personal(found) else (upn,))
    decided = psf.rows.filter(pl.col("census_decided")).sort(ROW)
    severity = "error" if cfg.missing_from_census == "error" else "warning"
    ends = f"PSF ends {census_stop_words(cfg)}"  # the period's start, or the policy's (§11.11)
    if severity == "error":  # nothing is paid or ended: the run stops, and says what would let it go on
        ends = ("with missing_from_census: error the run stops: record the child's move in the moves input, "
                "end the statement (ceased_date), correct the census, or set missing_from_census: cease to end "
                f"PSF {census_stop_words(cfg)}")
    later = _later_moves(inp, decided.filter(pl.col("census_finding") == "casual_move"))
    for row, upn, finding, expected, found in decided.select(
            ROW, UPN, "census_finding", "expected_school", "census_school").iter_rows():
        late = late_managed_move(later.get(upn, []), found, cfg) if finding == "casual_move" else ""
        text = (f"{upn} is not in the census; {ends}" if finding == "not_in_census" else
                f"{upn} is in the census at school '{found}', not '{expected}' (an unrecorded casual move"
                f"{': ' + late if late else ''}); {ends}")
        issues.add(f"census_{finding}", severity, text, **inp.statements.where(UPN, row), value=upn,
                   personal=(upn, found) if school_cell_personal(found) else (upn,))


def _later_moves(inp: Inputs, casual: pl.DataFrame) -> dict[str, list[dict]]:
    """The recorded moves of the children the census finds elsewhere (a few), by UPN, for their messages."""
    if inp.moves is None or casual.is_empty():
        return {}
    found = inp.moves.frame.filter(pl.col(UPN).is_in(casual[UPN].implode())).select(UPN, TO_SCHOOL, MOVE_DATE, REASON)
    out: dict[str, list[dict]] = {}
    for move in found.to_dicts():
        out.setdefault(move[UPN], []).append(move)
    return out


def census_matches(inp: Inputs) -> pl.DataFrame | None:
    """The census rows of children who have a statement, with the statement's date of birth.

    They are all the PSF rules need from the census (where the child is), and all that the
    pupil counts need beyond the census itself (statements win for a child's age).  One join
    over the census, done once per set of inputs."""
    if inp.census is None:
        return None
    if "matches" not in inp.derived:
        census = inp.census.frame
        columns = [SCHOOL_ID, DOB] + [c for c in (SEN_PROVISION, FSM, ENROL_STATUS) if c in census.columns]
        dobs = _statement_dobs(inp)
        # the census's rows of these children, found by its own UPN keys (a compact census: integers, not
        # 8 million strings) in one streaming pass, then joined with the statements' dates of birth
        keys = inp.census.keys_of(dobs[UPN]).alias("_key")
        rows = collect(census.lazy().select(pl.col(UPN).alias("_key"), *columns)
                       .filter(pl.col("_key").is_in(keys.drop_nulls().implode())), streaming=True)
        found = dobs.with_columns(keys).join(rows, on="_key", how="inner").drop("_key")
        inp.derived["matches"] = inp.census.readable(found)  # (its school ids and statuses as text)
    return inp.derived["matches"]


def psf_frames(inp: Inputs, cfg: Config) -> PsfFrames:
    """The PSF rules (SPEC §3) on a run's inputs, looking up only the census rows they need."""
    psf = compute_psf(inp.statements.frame, inp.moves.frame if inp.moves else None, census_matches(inp), cfg,
                      successions_of(inp))
    if inp.register is None:
        return replace(psf, notes=tuple(reinstate_without_register(cfg))) if cfg.reinstate else psf
    psf, notes = apply_register(psf, inp.register, cfg, inp.moves.frame if inp.moves else None, successions_of(inp),
                                inp.statements.where)
    return replace(psf, notes=tuple(notes))


def census_counts(inp: Inputs, cfg: Config, years: tuple[int, int] | None = None) -> pl.DataFrame:
    """Per school: pupils, sen_support, statements and fsm counts at the census date, counting
    age-based years (`years`, default `formula.pupils.nc_years`) from the statements' date of birth
    where a child has one (SPEC §4, §8), and only rows registered C or M (SPEC §11.5).

    The census is counted as it is, then the few children whose statement's date of birth
    moves them into or out of the counted years are added or taken away: no join over the
    whole census.  Kept per census date and years, since scenarios rarely change them."""
    lo, hi = years or cfg.pupil_years
    key = ("counts", cfg.census_date, (lo, hi))
    if key in inp.derived:
        return inp.derived[key]
    census = inp.census.frame
    status = (pl.col(ENROL_STATUS).fill_null("C").is_in(COUNTED_ENROL) if ENROL_STATUS in census.columns
              else pl.lit(True))

    def counted(dob: pl.Expr) -> pl.Expr:
        return nc_year_between(dob, cfg.census_date, lo, hi) & status

    sen = pl.col(SEN_PROVISION) if SEN_PROVISION in census.columns else pl.lit(None, dtype=pl.String)
    fsm = pl.col(FSM).fill_null(False) if FSM in census.columns else pl.lit(False)
    units = {"_basis_pupils": pl.lit(True), "_basis_sen_support": sen.is_in(SEN_SUPPORT_CODES),
             "_basis_statements": sen.is_in(SEN_STATEMENT_CODES), "_basis_fsm": fsm}

    def tally(frame: pl.LazyFrame) -> pl.LazyFrame:  # each row counts its weight `_w`; school ids as text
        return frame.group_by(SCHOOL_ID).agg(
            (pl.col("_w") * u.fill_null(False).cast(pl.Int64)).sum().alias(name) for name, u in units.items()
        ).with_columns(pl.col(SCHOOL_ID).cast(pl.String))

    as_in_census = census.lazy().filter(counted(pl.col(DOB))).with_columns(pl.lit(1, dtype=pl.Int64).alias("_w"))
    moved = (census_matches(inp).lazy()
             .with_columns((counted(pl.coalesce("statement_dob", DOB)).cast(pl.Int64)
                            - counted(pl.col(DOB)).cast(pl.Int64)).alias("_w"))
             .filter(pl.col("_w") != 0))
    counts = collect(pl.concat([tally(as_in_census), tally(moved)])
                     .group_by(SCHOOL_ID).agg(pl.col(name).sum() for name in units), streaming=True)
    inp.derived[key] = counts
    return counts


def counted_years(cfg: Config) -> list[tuple[int, int]]:
    """The age-based year ranges a run counts the census over: `formula.pupils.nc_years`, then each
    element's own (SPEC §11.8)."""
    return [tuple(cfg.pupil_years), *sorted(element_years(cfg))]


HALF_AWAY = "half_away_from_zero"  # a council's pupils figure rounded as every figure is (SPEC §1)


def school_bases(inp: Inputs, cfg: Config) -> pl.DataFrame:
    """Per school: pupils, sen_support, statements, fsm counts at the census date (age-based years),
    each element's own years too (SPEC §11.8); census rows counted where the school is open on census
    day, else at its nearest successor (SPEC §11.11); `pupils_override` applied; a school outside the
    formula counted nowhere (SPEC §11.2).  Adds the flags `_in_formula` and `_open_units`."""
    frame = inp.schools.frame
    if inp.census is None:
        pupils = (pl.col(PUPILS).fill_null(0).round(0, mode=HALF_AWAY).cast(pl.Int64) if PUPILS in frame.columns
                  else pl.lit(0))
        out = frame.with_columns(pupils.alias("_basis_pupils"))
    else:
        homes = census_homes(frame, successions_of(inp), cfg)
        out = frame
        for years in counted_years(cfg):
            counts = rehome_counts(census_counts(inp, cfg, years), homes)
            if years != tuple(cfg.pupil_years):
                counts = counts.rename({c: f"{c}_{years[0]}_{years[1]}" for c in counts.columns if c != SCHOOL_ID})
            out = out.join(counts, on=SCHOOL_ID, how="left", maintain_order="left")
            out = out.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts.columns if c != SCHOOL_ID)
    if inp.census is not None:  # the census's count over formula.pupils' years, for an element naming those years
        low, high = cfg.pupil_years  # as its own (basis_column): pupils_override replaces only `_basis_pupils`
        out = out.with_columns(pl.col("_basis_pupils").alias(f"_basis_pupils_{low}_{high}"))
    if PUPILS_OVERRIDE in out.columns and out[PUPILS_OVERRIDE].null_count() < out.height:
        warn_overrides(out, inp.schools, cfg, inp.issues)
        override = pl.col(PUPILS_OVERRIDE).round(0, mode=HALF_AWAY).cast(pl.Int64)
        out = out.with_columns(pl.coalesce(override, "_basis_pupils").alias("_basis_pupils"))
    if inp.census is None and PUPILS in frame.columns:  # the council's counts, each for the whole year
        warn_pupils_twice(out, inp.schools, successions_of(inp).edges, cfg, inp.issues)
    inside = in_formula(out) & open_in_period(out, cfg)  # a school open on no day of the period takes no share
    return out.with_columns(*[pl.when(inside).then(pl.col(c)).otherwise(0).alias(c)
                              for c in out.columns if c.startswith("_basis_")],
                            inside.alias(IN_FORMULA_FLAG), open_units(out, cfg).alias(OPEN_UNITS))


@dataclass(frozen=True)
class Prepared:
    """What a run works out before its formula: the same for every scenario that keeps the inputs,
    the PSF rules and the pupil years, so simulate prepares it once and runs only the formula
    per scenario."""

    #: Per school, by school id: id, name, cluster, its cluster's name, pupils, SSA and PSF paid,
    #: and every column a formula basis may use (the census counts `_basis_*` and need columns).
    schools: pl.DataFrame
    psf: PsfFrames
    continuing: int  # the PSF paid in the period, pence
    released_total: int
    released: pl.DataFrame  # RunResult.released
    issues: tuple[Issue, ...]  # the inputs', the PSF rules' and the pupil counts'


def _counted_at_predecessor(inp: Inputs, cfg: Config) -> list[str]:
    """Successors that open after census day: on census day their pupils were at a predecessor, and
    are counted there (SPEC §11.1), so having no census pupils of their own is no mistake."""
    frame = inp.schools.frame
    if inp.census is None or "opened" not in frame.columns:
        return []
    successors = list({successor for _, successor in _succession_pairs(inp)})
    return frame.filter((pl.col("opened") > cfg.census_date) & pl.col(SCHOOL_ID).is_in(successors))[SCHOOL_ID].to_list()


def _opened_after_census(inp: Inputs, cfg: Config) -> dict:
    """Schools that open after census day and have census rows, with their opening date: those rows are not
    counted."""
    frame = inp.schools.frame
    if inp.census is None or "opened" not in frame.columns:
        return {}
    late = frame.filter(pl.col("opened") > cfg.census_date).select(SCHOOL_ID, "opened")
    if late.is_empty():
        return {}
    present = inp.derived.get("census_schools")  # (kept by check_inputs: the census's rows may be let go since)
    if present is None:
        return {}
    return dict(late.filter(pl.col(SCHOOL_ID).is_in(present.implode())).iter_rows())


def _no_pupils_because(inp: Inputs, cfg: Config) -> str:
    """Where a school's pupils were looked for: the census's age-based years, else the schools input."""
    if inp.census is not None:
        return f"in age-based years {cfg.pupil_years[0]}–{cfg.pupil_years[1]} of the census"
    if PUPILS in inp.schools.frame.columns:
        return f"(its {inp.schools.headers.get(PUPILS, PUPILS)} is blank or 0, and there is no census)"
    return "(the schools input has no pupils column, and there is no census)"


def prepare(inp: Inputs, cfg: Config, psf: PsfFrames | None = None) -> Prepared:
    """The inputs' checks, the PSF rules (unless `psf` is passed in) and the pupil counts; raises
    SenrunError if any of them found an error."""
    if psf is None:
        psf = psf_frames(inp, cfg)
    issues = Issues(list(inp.issues.items))
    run_inp = Inputs(inp.schools, inp.statements, inp.census, inp.moves, issues, inp.derived, links=inp.links,
                     register=inp.register)
    psf_issues(psf, run_inp, cfg)
    succession.closed_without_successor(psf.lines, inp.schools, issues)
    opened_after_policy(psf.lines, inp.statements, inp.schools, cfg, issues, successions_of(inp))
    issues.extend(psf.notes)
    if not _budget_only(issues):  # a budget error alone waits for the pot's (read_inputs, budget_later)
        issues.raise_if_errors()
    schools = school_bases(run_inp, cfg)
    warn_census_nowhere(inp.schools, successions_of(inp), cfg, inp.derived.get("census_at_closed", {}), issues)
    row_of = pl.col(ROW) if ROW in schools.columns else pl.lit(None, dtype=pl.Int64)  # the school's row, as Excel shows it
    opened = _opened_after_census(inp, cfg)
    # a successor's census pupils count at its predecessor only when the census lists them there; rows under the
    # successor's own id, open after census day, count nowhere (SPEC §11.11) and are told
    successors = set(_counted_at_predecessor(inp, cfg))
    later = [sid for sid in sorted(successors) if sid not in opened]
    for sid, name, row in schools.filter((pl.col("_basis_pupils") == 0) & pl.col(IN_FORMULA_FLAG) & open_in_period(
            schools, cfg) & ~pl.col(SCHOOL_ID).is_in(later)).select(SCHOOL_ID, SCHOOL_NAME, row_of).sort(SCHOOL_ID).iter_rows():
        why = (f"counted: it opened on {opened[sid]:%d/%m/%Y}, after census day ({cfg.census_date:%d/%m/%Y}), so its "
               "census rows are not counted (SPEC §11.1); " + (
                   "the census lists under its new id pupils who were at the school it took over from: give them that "
                   "school's id, as on census day, or give it a pupils_override" if sid in successors else
                   "if it is the school that was there before under the same id (an academy that kept its DfE "
                   "number), clear its opened date")) if sid in opened else \
            _no_pupils_because(inp, cfg)
        issues.warn("no_pupils", f"school {sid} ({name}) has no pupils {why}", **inp.schools.where(SCHOOL_ID, row),
                    value=sid)
    paid = psf.lines.lazy().group_by(pl.col("paid_school_id").alias(SCHOOL_ID)).agg(pl.col("paid_amount").sum().alias("psf"))
    name = pl.col(CLUSTER_NAME) if CLUSTER_NAME in schools.columns else pl.lit(None, dtype=pl.String)
    ssa = pl.col(SSA) if SSA in schools.columns else pl.lit(0, dtype=pl.Int64)
    schools = collect(schools.lazy().join(paid, on=SCHOOL_ID, how="left")
                      .with_columns(name.drop_nulls().first().over(CLUSTER_ID).fill_null(pl.col(CLUSTER_ID)).alias(CLUSTER_NAME),
                                    ssa.fill_null(0).cast(pl.Int64).alias("ssa"),
                                    pl.col("psf").fill_null(0).cast(pl.Int64), pl.col("_basis_pupils").alias("pupils"))
                      # a school open on no day of the period has no row (SPEC §11.11), unless PSF was paid there
                      .filter(open_in_period(schools, cfg) | (pl.col("psf") != 0))
                      .sort(SCHOOL_ID))
    shut = schools.filter(~open_in_period(schools, cfg)).select(SCHOOL_ID, row_of)  # held PSF while shut (§11.11)
    if not shut.is_empty():
        held = (psf.lines.filter(pl.col("paid_school_id").is_in(shut[SCHOOL_ID].implode()) & (pl.col("paid_amount") > 0))
                .group_by("paid_school_id").agg(pl.col(ROW).unique().sort().alias("rows")))
        rows_of = dict(held.iter_rows())
        statements = inp.statements.file
        for sid, row in shut.iter_rows():
            rows = rows_of.get(sid) or []
            which = (f" (by {len(rows):,} statement row(s) of {statements}, the first row {rows[0]})" if rows else "")
            issues.warn("psf_while_shut", f"PSF is paid at school {sid}{which}, which is open on no day of the period: "
                        "it has a row for that PSF but no formula share; check its opened and closed dates and its "
                        "predecessor's, and the school holding each child's PSF", **inp.schools.where(SCHOOL_ID, row),
                        value=sid)
    lines = psf.lines.select(pl.col("paid_amount").sum(), pl.col("released_amount").sum())
    return Prepared(schools, psf, int(lines.item(0, 0)), int(lines.item(0, 1)), _released_frame(psf),
                    tuple(issues.items))


#: Said where formula.protection's floor is left out for want of last year's allocations (validate, explain), before
#: what its user should give.
FLOOR_LEFT_OUT = ("formula.protection is not applied: it needs last year's allocations (--previous: last year's "
                  "schools.csv or allocations.xlsx); `allocate` stops without them, ")


def compute(inp: Inputs, cfg: Config, psf: PsfFrames | None = None, prepared: Prepared | None = None,
            workings: bool = True, previous: dict[str, int] | None = None) -> RunResult:
    """The funding run on inputs already read; `psf`, or all of `prepared`, may be passed in when
    unchanged (see Prepared).  Without `workings` the result's workings are None (a simulate
    scenario: nothing shows them).  `previous` is last year's cluster allocation by cluster_id, for
    `formula.protection` (SPEC §11.8); without it the floor is not applied, with a warning."""
    if prepared is None:
        prepared = prepare(inp, cfg, psf)
    issues = Issues(list(prepared.issues))
    schools = prepared.schools
    inside = schools.filter(pl.col(IN_FORMULA_FLAG))  # top-slices count schools in the formula (SPEC §11.11)
    try:
        the_pot = pot(cfg, prepared.continuing, inside.height, inside[CLUSTER_ID].drop_nulls().n_unique())
        if cfg.floor_pct is not None and previous is None:
            issues.warn("protection_skipped", FLOOR_LEFT_OUT + "so give validate the --previous the run will have",
                        file=cfg.path.name,
                        row=cfg.lines.get("formula.protection"), column="formula.protection")
        schools, work, elements = apply_formula(schools, cfg, the_pot.cluster_pot, issues, workings, previous)
        schools_out = _schools_frame(schools, cfg, elements)
        ssa_total = int(schools_out["ssa"].sum())
        totals = Totals(the_pot.pupil_specific_pot, prepared.continuing, the_pot.topslices, the_pot.cluster_pot,
                        prepared.released_total, ssa_total, ssa_total + the_pot.pupil_specific_pot)
        passed = _checks_passed(totals, schools_out, elements, cfg)
    except SenrunError as exc:
        raise _with_found(exc, issues) from None
    issues.raise_if_errors()  # a budget error, listed with the run's warnings (read_inputs, budget_later)
    return RunResult(
        config=cfg, schools=schools_out, clusters=_clusters_frame(schools_out, schools[IN_FORMULA_FLAG], elements),
        psf=prepared.psf.lines,
        released=prepared.released, workings=work, elements=elements,
        totals=totals, issues=tuple(issues.items), inputs=_input_infos(inp), config_sha256=cfg.sha256,
        checks=passed,
        successions=_succession_pairs(inp),
        takeovers=_takeovers(inp),
        no_return=tuple(schools.filter(~pl.col(IN_FORMULA_FLAG) & (pl.col("psf") == 0))[SCHOOL_ID].to_list()),
        outside=tuple(schools.filter(~pl.col(IN_FORMULA_FLAG))[SCHOOL_ID].to_list()),
        register=inp.register, rate_segments=prepared.psf.segments,
        succession_timeline=_succession_timeline(inp), later_moves=_moves_after(inp, prepared.psf),
        floor_from=previous if cfg.floor_pct is not None else None)


def _with_found(exc: SenrunError, found: Issues) -> SenrunError:
    """`exc` (the pot's, the formula's or the money identity's error: its type kept, as Unaffordable's
    highest rates) listing first every issue the run found before it — a budget error, the warnings
    that explain its figures (SPEC §7: validate lists errors and warnings)."""
    exc.issues[:0] = found.items
    return exc.relisted()


def census_worked_out(inp: Inputs, cfg: Config) -> pl.DataFrame | None:
    """Work out all that a run takes from the pupil-level census — its rows of the children with
    a statement (census_matches), the pupil counts for each element's years (census_counts) and
    the cluster packs' SEND profile (FAQ 12), which it returns — then let its rows go, so that
    the PSF rules and the outputs work in the memory they held (England: 8 million rows, ≈170 MB).
    For one run: simulate keeps the census, since a scenario may count other years."""
    if inp.census is None:
        return None
    from .profile import send_profile

    census_matches(inp)
    for years in counted_years(cfg):  # (those school_bases will ask for)
        census_counts(inp, cfg, years)
    profile = send_profile(inp.census.frame, cfg)
    inp.census = inp.census.released()
    return profile


def _schools_frame(schools: pl.DataFrame, cfg: Config, elements) -> pl.DataFrame:
    formula = [f"formula_{e.name}" for e in elements]
    return schools.select(SCHOOL_ID, SCHOOL_NAME, CLUSTER_ID, CLUSTER_NAME, "pupils", "ssa", "psf", *formula,
                          "cluster_share", (pl.col("ssa") + pl.col("psf") + pl.col("cluster_share")).alias("total"))


def _clusters_frame(schools: pl.DataFrame, inside: pl.Series, elements) -> pl.DataFrame:
    """By cluster: `schools` counts the schools in the formula (SPEC §11.2); a school with no cluster is
    in no cluster's sums."""
    formula = [f"formula_{e.name}" for e in elements]
    return (schools.with_columns(inside.alias("_inside")).filter(pl.col(CLUSTER_ID).is_not_null())
            .group_by(CLUSTER_ID)
            .agg(pl.col(CLUSTER_NAME).first(), pl.col("_inside").sum().alias("schools"),
                 *[pl.col(c).sum() for c in ("pupils", "ssa", "psf", *formula)],
                 pl.col("cluster_share").sum().alias("cluster_allocation"), pl.col("total").sum())
            .with_columns(pl.col("schools").cast(pl.Int64))
            .sort(CLUSTER_ID))


def _released_frame(psf: PsfFrames) -> pl.DataFrame:
    """By reason: how many statement rows, their annual PSF, paid and released in the period.  A row's annual PSF
    is its rate at its last line's end, as psf.csv and the returns give it: an amendment or an EHC transfer that
    changed the rate in the year counts at its new rate, not the history's first.  A row with no line of its own
    is not counted: a statement ceased and reissued whose child stopped last year is one line, `stopped_last_year`,
    in psf.csv (SPEC §11.4: one line a history), and one statement here, as there."""
    last_rate = (psf.lines.lazy().sort(ROW, pl.col("paid_to").fill_null(date(1, 1, 1)))
                 .group_by(ROW).agg(pl.col("annual_amount").last().alias("_rate")))
    rows = (psf.rows.lazy().join(last_rate, on=ROW, how="inner")
            .group_by("reason").agg(pl.len().cast(pl.Int64).alias("statements"),
                                    pl.col("_rate").sum().alias("annual_amount")))
    paid = psf.lines.lazy().group_by("reason").agg(pl.col("paid_amount").sum(), pl.col("released_amount").sum())
    return collect(rows.join(paid, on="reason", how="left").sort("reason"))


def _input_infos(inp: Inputs) -> tuple[InputInfo, ...]:
    tables = [inp.schools, inp.census, inp.statements, inp.moves, inp.links]
    return tuple(InputInfo(t.name, t.path_text, t.sha256, t.height, t.sheet, tuple(t.headers.items()))
                 for t in tables if t is not None)


def _checks_passed(totals: Totals, schools: pl.DataFrame, elements, cfg: Config) -> tuple[str, ...]:
    """The money checks, as sentences for the Summary sheet; a failure stops the run."""
    out = []

    def broken(message: str) -> SenrunError:
        return SenrunError(Issue("identity", ERROR, message, file=cfg.path.name, column="budget", field="budget"))

    if not totals.identity_holds:
        raise broken(f"the money identity is broken: pot {fmt_gbp(totals.pupil_specific_pot)} ≠ continuing PSF "
                          f"{fmt_gbp(totals.continuing_psf)} + top-slices {fmt_gbp(totals.topslices_total)} + cluster "
                          f"pot {fmt_gbp(totals.cluster_pot)}")
    out.append("pupil-specific pot = continuing PSF + top-slices + cluster pot, to the penny")
    for e in elements:  # (protection's total is 0: its adjustments cancel)
        got = int(schools[f"formula_{e.name}"].sum())
        if got != e.total:
            raise broken(f"element {e.name} shares {fmt_gbp(got)} but its total is {fmt_gbp(e.total)}")
    out.append("every formula element's school amounts sum to its total")
    if int(schools["psf"].sum()) != totals.continuing_psf:  # no PSF paid to a school without a row (§11.10)
        raise SenrunError(Issue("identity", ERROR, f"internal consistency: the schools' PSF sums to "
                                f"{fmt_gbp(int(schools['psf'].sum()))} but continuing PSF is "
                                f"{fmt_gbp(totals.continuing_psf)}", file=cfg.path.name))
    if int(schools["cluster_share"].sum()) != totals.cluster_pot:
        raise broken("the schools' cluster shares do not sum to the cluster pot")
    out.append("the schools' cluster shares sum to the cluster pot")
    if cfg.ssa_total is not None:
        out.append("the SSA column matches budget.ssa_total")
    if cfg.sen_total is not None:
        out.append("SSA + pupil-specific pot = budget.sen_total")
    return tuple(out)


def allocate(cfg: Config, progress=None, previous: dict[str, int] | None = None,
             register: Path | None = None, floor_needs_previous: bool = True) -> RunResult:
    """The whole funding run for a config: read, check, compute.  Raises SenrunError.  `previous` is last
    year's cluster allocation by cluster_id (yearly.diff.previous_cluster_allocations), which
    `formula.protection` needs (without it: an error, or with `floor_needs_previous` False, as for
    validate, the floor left out with a `protection_skipped` warning); `register` is last year's
    psf.csv or its folder (SPEC §11.4)."""
    refuse_solve(cfg, "allocate")
    try:
        no_floor = None
        if cfg.floor_pct is not None and previous is None and floor_needs_previous:
            no_floor = Issue("config", ERROR, "formula.protection needs last year's allocations: run with "
                             "--previous (last year's schools.csv or allocations.xlsx)", file=cfg.path.name,
                             column="formula.protection", field="formula.protection")
        try:
            inp = read_inputs(cfg, progress, register, budget_later=True)  # listed with the pot's errors
        except SenrunError as exc:  # listed with the inputs' problems: every problem in one pass (SPEC §8)
            raise SenrunError([no_floor, *exc.issues] if no_floor else exc.issues) from None
        if no_floor:
            raise SenrunError(no_floor)
        if progress:
            progress("computing")
        profile = census_worked_out(inp, cfg)
        return replace(compute(inp, cfg, previous=previous), profile=profile)
    except SenrunError as exc:
        from .config.loader import at_lines

        raise at_lines(exc, cfg) from None
