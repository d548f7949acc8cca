"""`senrun init`: a first config drafted from a council's own spreadsheets (issue 13, point 1).

It finds which file and sheet is which input by its headers, proposes each `columns:` map by
header similarity (saying how sure it is of each), suggests the year, period and census date
from the dates in the data, the policy start and the files' own year labels, and marks with
`# CHECK` every value a person must look at. What it could not map is listed, with the edit to
make. The draft is meant to pass `senrun validate` once those edits are made; when no edit is
listed, the draft has been put through validate's own checks, and anything they find is listed
as an edit.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ..calendar import labelled_years, today_in_england
from ..config.loader import DEFAULT_PHASES
from ..errors import HIDDEN, Issues, SenrunError, holds_child_data, looks_personal
from ..inputs.headers import not_annual
from ..inputs.schema import ANNUAL_AMOUNT, CEASED_DATE, EVENT, SCHEMAS
from .match import (INPUT_ORDER, LIKELY, POLICY_START, Proposal, assign, before_policy, column_fit, dated_header,
                    first_year_from, fit, label_rank, other_export, period_column, propose_columns, says_now,
                    says_otherwise)
from .scan import Sheet, files_in, scan


@dataclass
class Found:
    """One input as found: its table, how well it fits, and the proposed column map."""

    name: str
    table: Sheet
    fit: float
    proposals: list[Proposal]

    @property
    def missing(self) -> list[str]:
        """Required columns with no header proposed."""
        got = {p.column for p in self.proposals}
        return [c.name for c in SCHEMAS[self.name] if c.required and c.name not in got]


@dataclass
class Draft:
    """The drafted config text, the inputs found, the edits a person must make and what was not mapped."""

    text: str
    found: dict[str, Found]
    edits: list[str] = field(default_factory=list)  # must do before `validate` passes
    checks: list[str] = field(default_factory=list)  # must look at (the draft validates without)
    unmapped: list[str] = field(default_factory=list)  # tables and headers not used
    notes: list[str] = field(default_factory=list)  # files that could not be read


def _dates(values: list[str]) -> list[date]:
    out = []
    for v in values:
        text = v.strip().split(" ")[0].split("T")[0]
        try:
            if "/" in text:
                d, m, y = (int(x) for x in text.split("/"))
                out.append(date(y, m, d))
            elif "-" in text:
                y, m, d = (int(x) for x in text.split("-"))
                out.append(date(y, m, d))
        except ValueError:
            continue
    return out


def third_thursday_of_january(year: int) -> date:
    """The spring school census day: the third Thursday of January."""
    first = date(year, 1, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def labelled_year(found: dict[str, Found]) -> tuple[int, str] | None:
    """The latest financial year named in the found inputs' file or sheet names ("Schools list 2013-14"),
    and where; None when no name holds one."""
    labels = []
    for f in found.values():
        for text in (f.table.path.stem, f.table.sheet or ""):
            labels += [(year, text) for year in labelled_years(text)]
    return max(labels) if labels else None


def suggest_year(found: dict[str, Found], policy_start: date = POLICY_START) -> tuple[int, str]:
    """The financial year (its first calendar year) the data is for, and why: the later of
    - a year the files or sheets are labelled with ("Schools list 2013-14"): the council's own word,
      or, with no label, the year the statements point to (they are issued up to the run, so the latest
      statement date up to August precedes the April that year, and from September the next April;
      cease and move dates may fall inside the funding year: not used). A statement dated inside the
      labelled year is no sign of the next one: a council's working file gains plans all year;
    - the first funding year that begins on or after `policy_start` (a cluster-model run; its census,
      the January before, then falls after the policy start too)."""
    stated, label = _statement_year(found), labelled_year(found)
    if stated is None and not label:  # nothing in the files says: this year
        year = today_in_england().year
        stated = (year, f"this year ({year}: no statement dates or year labels found)")
    policy = (first_year_from(policy_start), f"the start of the cluster model (policy.start {policy_start:%d/%m/%Y})")
    files_say = (label[0], f"the label in \"{label[1]}\"") if label else stated
    best = max(files_say[0], policy[0])
    years = [files_say, policy, *([stated] if label and stated else [])]  # the statements' year, said beside a label
    said = " and ".join(w for v, w in years if v == best)
    others = "; ".join(f"{w} alone would say {v}-{(v + 1) % 100:02d}" for v, w in years if v != best)
    return best, f"from {said}" + (f"; {others}" if others else "")


def _statement_year(found: dict[str, Found]) -> tuple[int, str] | None:
    """The year the latest statement date points to, and why; None when no statement date is found."""
    latest: list[date] = []
    today = today_in_england()
    for name, columns in (("statements", ("statement_date", "effective_date")),):
        if name in found:
            by_column = {p.column: p.header for p in found[name].proposals}
            for c in columns:
                if c in by_column:
                    latest += [d for d in _dates(found[name].table.values.get(by_column[c], []))
                               if d <= today]
    if not latest:
        return None
    d = max(latest)
    y = d.year if d.month < 9 else d.year + 1
    return y, f"the latest statement date ({d:%d/%m/%Y})"


def suggest_pot(found: dict[str, Found]) -> int:
    """A starting pupil-specific pot in pounds: the statements' annual amounts added up, rounded up to
    £1,000 (so that continuing PSF fits); the real figure is the council's budget.  The statements are
    read as `validate` reads them (a totals row is skipped, an amount parsed as money); only a file that
    reader cannot take with the proposed columns is added up from the sampled values instead."""
    if "statements" not in found:
        return 0
    header = next((p.header for p in found["statements"].proposals if p.column == "annual_amount"), None)
    total = _read_total(found["statements"]) if header else None
    if total is None:
        total = _sampled_total(found["statements"], header)
    return -(-total // 100_000) * 1000


def _read_total(f: Found) -> int | None:
    """The statements' annual amounts in pence, read by the inputs' own reader with the proposed columns;
    None when it cannot read them so."""
    import polars as pl

    from ..config.loader import InputSpec
    from ..inputs.load import read_input

    spec = InputSpec("statements", f.table.path.resolve(), f.table.path.name, f.table.sheet,
                     tuple((p.header, p.column) for p in f.proposals), header_row=f.table.header_row)
    try:
        table = read_input(spec, Issues())
    except Exception:  # the draft is still written; the sampled values stand in  # noqa: BLE001
        return None
    if table is None or "annual_amount" not in table.frame.columns:
        return None
    return int(table.frame.select(pl.col("annual_amount").cast(pl.Int64).sum()).item() or 0)


def _sampled_total(f: Found, header: str | None) -> int:
    """The sampled annual amounts in pence (every value that parses as money)."""
    from ..money import to_pence

    total = 0
    for v in f.table.values.get(header, []) if header else []:
        try:
            total += to_pence(Decimal(v.replace("£", "").replace(",", "").strip()))
        except (ArithmeticError, ValueError):
            continue
    return total


#: A column headed as a plan's status ("Plan Status", "Stage", "Outcome"): not a note or another service's column.
_STATUS = re.compile(r"(?i)status|stage|state|outcome")
_NOT_THE_PLANS = re.compile(r"(?i)school|setting|provider|placement|transport")  # ("School Status: Closed")
#: A status that says a statement or plan has ended ("Ceased", "Closed", "Ended"), in a column senrun does not read.
_ENDED = re.compile(r"(?i)^\s*(?:ceased|closed|ended|discontinued|cancelled|inactive)\b")


def _ceased_by_status(f: Found, spare: list[str]) -> list[str]:
    """An edit for a statements table whose ceasings are given only by a status column ("Plan Status": Ceased) and
    no date: senrun ends a statement on a date (ceased_date, or a ceased row's effective date), so each such
    statement would be paid as continuing, with no word."""
    mapped = {p.column for p in f.proposals}
    if f.name != "statements" or mapped & {CEASED_DATE, EVENT}:
        return []
    status = next((h for h in spare if _STATUS.search(h) and not _NOT_THE_PLANS.search(h)
                   and any(_ENDED.match(v or "") for v in f.table.values.get(h, []))), None)
    if status is None:
        return []
    return [f"inputs.statements: '{status}' marks statements as ended, but senrun ends a statement only on a date: "
            "map a column of the date each ended as ceased_date (an ended statement with no date is paid as "
            "continuing)"]


def _now_words(name: str, p: Proposal) -> str:
    """What to check of a statements' school headed as where the child is now (`Current School`)."""
    if name != "statements" or p.column != "school_id" or not says_now(p.header):
        return ""
    return (": it reads as where the child is now, but senrun needs the school that held the child's PSF the day "
            "before policy.start (SPEC §3); a child who moved since would be paid as if the move never happened")


def _amounts_not_yearly(f: Found) -> tuple[str, str] | None:
    """Where the statements say, in a column of their own, that some amounts are a week's or a month's (a
    `Frequency` of Weekly beside an `Amount`), the amount is not mapped: (the edit saying why, the amount's header).
    Paid as a year's, a week's amount is a fiftieth of the money."""
    amount = next((p.header for p in f.proposals if p.column == ANNUAL_AMOUNT), None)
    period = period_column(f.table) if amount is not None else None
    if period is None:
        return None
    f.proposals[:] = [p for p in f.proposals if p.column != ANNUAL_AMOUNT]
    header, other = period
    return (f"inputs.{f.name}: '{_header(header)}' says some amounts are not a year's ({', '.join(other[:4])}), so "
            f"'{_header(amount)}' is not mapped: senrun pays annual_amount as a year's; add a column of each row's "
            "yearly figure (a weekly one × the weeks a year your policy pays) and map that one", amount)


def draft(sources: list[Path], out: Path) -> Draft:
    """Scan `sources` (files or folders), match tables to inputs and draft the config to be written at `out`."""
    paths = files_in([Path(s) for s in sources])
    if not paths:
        raise SenrunError(f"no spreadsheets found in {', '.join(str(s) for s in sources)} (.xlsx, .csv, .parquet)")
    tables, notes = scan(paths)
    chosen = assign(tables)
    found = {n: Found(n, t, f, propose_columns(t, n)) for n, (t, f) in chosen.items()}
    d = Draft("", found, notes=notes)
    for name in ("schools", "statements"):
        if name not in found:
            d.edits.append(f"inputs.{name}: no file looked like the {name} input; add its path and columns")
    for f in found.values():
        edit, refused = _amounts_not_yearly(f) or ("", None)
        d.edits += [edit] if edit else []
        spare = [h for h in f.table.headers if h not in {p.header for p in f.proposals}]
        for col in f.missing:
            # never a `Weekly amount` for annual_amount, nor a column whose values are not amounts (a `Type` of PSF)
            column = next(c for c in SCHEMAS[f.name] if c.name == col)
            fits = [h for h in spare if not says_otherwise(h, col) and column_fit(f.table, h, column) >= LIKELY
                    and (col, h) != (ANNUAL_AMOUNT, refused)]
            among = f" (one of the columns not mapped: {', '.join(map(_header, fits[:8]))}?)" if fits else ""
            d.edits.append(f"inputs.{f.name}.columns: no header found for {col}; add \"Your header\": {col}{among}")
            if col == ANNUAL_AMOUNT and (other := [h for h in spare if not_annual(h)]):
                d.edits.append(f"inputs.{f.name}: '{other[0]}' is not a yearly amount; senrun pays annual_amount as a "
                               "year's: add a column of the yearly figure (the weekly figure × the weeks a year your "
                               "policy pays) and map that one")
        for p in f.proposals:
            if p.confidence != "sure":
                d.checks.append(f"inputs.{f.name}.columns: \"{_header(p.header)}\" → {p.column} ({p.confidence}, "
                                f"{p.score:.2f}{_also(p, '; ')}){_now_words(f.name, p)}")
        d.edits += _ceased_by_status(f, spare)
        if spare:
            kept = ("kept under their own names, e.g. for a need column" if f.name == "schools" else
                    "not read")
            d.unmapped.append(f"{f.table.label}: not mapped ({kept}): {', '.join(map(_header, spare))}")
    taken = {id(f.table) for f in found.values()}
    for t in tables:
        if id(t) in taken:
            continue
        # the input it fits best; of inputs it fits alike (a census and the statements share UPN, school and date of
        # birth), the one whose table has more of its headers: last year's statements sheet is said to be that
        also = max(found.values(), key=lambda f: (fit(t, f.name), len(set(t.headers) & set(f.table.headers))),
                   default=None)
        if also is not None and fit(t, also.name) >= 0.5:  # another year's sheet, or a copy: which is meant is the council's to say
            d.checks.append(f"inputs.{also.name}: {t.label} looks like the {also.name} input too; {also.table.label} "
                            f"was taken{_why_taken(also.table, t)}"
                            f": if {t.label} is the one meant, change inputs.{also.name}'s path or sheet")
        elif t.sheet != INSTRUCTIONS or not any(f.table.path == t.path for f in found.values()):  # (a template's)
            d.unmapped.append(_not_recognised(t))
    d.text = render(found, out, d)
    if not d.edits:
        d.edits += validation_problems(d.text, out)
    return d


#: The sheet of words `senrun templates` puts in each workbook beside its table: no input, and not listed as one.
INSTRUCTIONS = "Instructions"


def _not_recognised(t: Sheet) -> str:
    """What is said of a table that is no input: what it looks like (GIAS's groups export), or its headers."""
    like = other_export(t)
    if like:
        return f"{t.label}: not recognised as any input: it {like}"
    if any(looks_personal(h) for h in t.headers):  # a child's row where the headers should be: not printed
        return (f"{t.label}: not recognised as any input: its first row holds a child's data (a UPN or a date), "
                "not headers: add the header row")
    if _first_row_is_data(t):  # a list of children with no header row: its first row is a child's name and needs
        return (f"{t.label}: not recognised as any input ({len(t.headers)} column(s); its first row is not shown, "
                "as it may be a row of data, such as a child's, rather than headers: if it is one of the inputs, "
                "give it a header row)")
    more = "…" if len(t.headers) > 8 else ""
    return f"{t.label}: not recognised as any input (headers: {', '.join(map(_header, t.headers[:8]))}{more})"


def _first_row_is_data(t: Sheet) -> bool:
    """Whether the row read as a table's headers may be a row of data: it has no row below it, or in half its
    columns or more its cell is shaped as the values below it ("Olivia Brown" over "Jack Smith", a school's name
    over schools' names), as no header is."""
    filled = [h for h in t.headers if t.values.get(h)]
    if not filled:
        return True
    alike = sum(1 for h in filled if _shape(h) in {_shape(v) for v in t.values[h][:50]})
    return 2 * alike >= len(filled)


def _shape(text: str) -> str:
    """A cell's shape: its runs of capitals, small letters and digits as A, a and 9 ("Olivia Brown" → "Aa Aa")."""
    return re.sub(r"[A-Z]+", "A", re.sub(r"[a-z]+", "a", re.sub(r"\d+", "9", str(text).strip())))


def _header(text: str) -> str:
    """A header as init prints it: hidden where it holds what looks like a child's data (a UPN, or a date among
    words), as a cell's text would be (docs/security.md)."""
    return HIDDEN if (holds_child_data(text) and not dated_header(text)) or looks_personal(text) else text


#: At most this many of validate's errors on the draft are listed (the first ones lead to the rest).
MAX_LISTED = 5


#: Warnings of validate that are edits all the same: a links input none of whose ids is a school's leaves
#: every conversion out, and PSF at a converted school ends as if it had closed (docs/seven-years.md).
EDIT_WARNINGS = ("links_unknown",)


def validation_problems(text: str, out: Path) -> list[str]:
    """What `senrun validate` would find wrong in the draft `text` (to be written at `out`), as edits to
    make: its errors and the warnings that are edits (EDIT_WARNINGS), each as validate words it (no child's
    personal data), quietly; none when it passes."""
    from ..config.loader import config_from_mapping
    from ..config.yamlsafe import load_yaml_bytes
    from ..pipeline import allocate

    try:
        raw, lines = load_yaml_bytes(text.encode("utf-8"))
        cfg = config_from_mapping(raw, out.resolve(), lines)
        errors = [i for i in allocate(cfg, floor_needs_previous=False).issues
                  if i.is_error or i.code in EDIT_WARNINGS]
    except SenrunError as exc:  # its errors, and the warnings that are edits (a cluster left blank can be theirs)
        errors = ([i for i in exc.issues if i.code in EDIT_WARNINGS] + list(exc.errors)) if exc.errors \
            else list(exc.issues)
    except Exception as exc:  # the draft is still written; the person runs validate  # noqa: BLE001
        return [f"`senrun validate` could not check this draft ({type(exc).__name__}): run it and make the "
                "edits it lists"]
    listed = [f"`senrun validate` finds: {i.hidden()}" for i in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        listed.append(f"… and {len(errors) - MAX_LISTED:,} more: run `senrun validate` to see them all")
    return listed


def _q(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def input_path(path: Path, out: Path) -> str:
    """An input's path as the config at `out` names it: relative to the config's folder, with `/`; absolute (with
    `/`) where no relative path leads there (on Windows, another drive than the config's, or a share)."""
    try:
        return os.path.relpath(path.resolve(), out.resolve().parent).replace(os.sep, "/")
    except ValueError:  # (ntpath.relpath: "path is on mount 'N:', start on mount 'C:'")
        return path.resolve().as_posix()


def _input_lines(f: Found, out: Path) -> list[str]:
    rel = input_path(f.table.path, out)
    lines = [f"  {f.name}:   # {f.table.label}: fits the {f.name} input {f.fit:.0%}",
             f"    path: {_q(rel)}"]
    if f.table.sheet:
        lines.append(f"    sheet: {_q(f.table.sheet)}")
    if f.table.header_row != 1:
        lines.append(f"    header_row: {f.table.header_row}   # the rows above are titles")
    lines.append("    columns:")
    for p in f.proposals:
        mark = "" if p.confidence == "sure" else f"   # CHECK{_also(p, ': ')}"
        lines.append(f"      {_q(p.header)}: {p.column}   # {p.confidence} ({p.score:.2f}){mark}")
    for col in f.missing:
        lines.append(f"      # EDIT: no header found for {col}: add \"Your header\": {col}")
    return lines


def _also(p: Proposal, lead: str) -> str:
    """The other headers that could be `p`'s column, as said after its mark ("" when there are none)."""
    return f"{lead}also possible: {', '.join(p.others)}" if p.others else ""


def render(found: dict[str, Found], out: Path, d: Draft) -> str:
    """The config text, every guess marked `# CHECK` and every gap `# EDIT`."""
    y, why = suggest_year(found)
    census = third_thursday_of_january(y)
    pot = suggest_pot(found)
    pupils = "census" in found or any(p.column == "pupils" for p in found.get("schools", Found("", None, 0, [])).proposals)
    basis = "pupils" if pupils else "per_school"
    amounts = "statements" in found and any(p.column == ANNUAL_AMOUNT for p in found["statements"].proposals)
    d.checks[:0] = [f"year, period and census_date: suggested for {y}-{(y + 1) % 100:02d} ({why})",
                    f"budget.pupil_specific_pot: £{pot:,} is the statements' annual amounts added up (rounded up to "
                    "£1,000), not a budget" if amounts else
                    "budget.pupil_specific_pot: no annual amount was read from the statements; give your "
                    "pupil-specific pot in pounds",
                    "formula.elements: one element sharing the cluster pot by " + basis + "; set your formula"]
    d.checks[3:3] = [tiers] if (tiers := _tiers(found.get("schools"))) else []
    lines = ["# senrun config drafted by `senrun init` from your files. Every line marked CHECK is a guess",
             "# to look at; every EDIT must be done before `senrun validate` passes. Keys: docs/config.md.",
             f"year: \"{y}-{(y + 1) % 100:02d}\"   # CHECK: {why}",
             f"period: {{start: {y}-04-01, end: {y + 1}-03-31}}   # CHECK: the financial year",
             f"census_date: {census.isoformat()}   # CHECK: the spring census (third Thursday of January)",
             "policy: {start: 2012-09-01}   # CHECK: when your cluster model began",
             "prorate: months", "missing_from_census: cease", "transfer: ends",
             f"phases: {DRAFT_PHASES}   # CHECK: the phases you fund, by age-based year (first, middle "
             "and high schools, all-through schools: docs/your-data.md)", "",
             "budget:",
             f"  pupil_specific_pot: {pot}   # CHECK: your pupil-specific pot in pounds (this is only the "
             "statements' annual amounts added up, rounded up to £1,000)",
             "  # sen_total: ...   # optional: checked against SSA + the pot", "",
             "topslices: []   # CHECK: amounts kept back before the formula (docs/config.md)", "",
             "formula:", "  elements:",
             f"    - {{name: share, basis: {basis}, remainder: true}}   # CHECK: your formula (docs/config.md)",
             "", "inputs:"]
    for name in INPUT_ORDER:
        if name in found:
            lines += _input_lines(found[name], out)
    for name in ("schools", "statements"):
        if name not in found:
            lines += [f"  {name}:   # EDIT: no file looked like the {name} input",
                      f"    path: \"{name}.xlsx\"   # EDIT"]
    return "\n".join(lines) + "\n"


#: The phases a draft gives, the config's defaults (docs/config.md), to be checked.
DRAFT_PHASES = "{" + ", ".join(f"{name}: [{first}, {last}]" for name, (first, last) in DEFAULT_PHASES.items()) + "}"

#: Words of a schools list's phase column that name no primary or secondary school: another system of phases.
_OTHER_TIERS = re.compile(r"\b(first|middle|upper|all[- ]?through|through)\b", re.IGNORECASE)


def _tiers(schools: Found | None) -> str | None:
    """A CHECK when the schools list's phase column names first, middle, upper or all-through schools: the
    default phases would end PSF at the end of Year 6 inside a middle school (docs/your-data.md)."""
    header = next((p.header for p in schools.proposals if p.column == "phase"), None) if schools else None
    named = sorted({m.group(1).lower() for v in (schools.table.values.get(header, []) if header else [])
                    if (m := _OTHER_TIERS.search(str(v)))})
    if not named:
        return None
    return (f"phases: the schools list's \"{_header(header)}\" column names {', '.join(named)} schools, but the draft "
            "has the default primary and secondary phases, which end PSF at the end of Year 6: set your tiers by "
            "age-based year (docs/your-data.md)")


def _why_taken(taken, other) -> str:
    """Why a table was taken for an input before another that fits it too: its label (match.label_rank)."""
    ours, theirs = label_rank(taken), label_rank(other)
    if any(theirs[1:3]) and ours[1:3] > theirs[1:3]:
        return " (its label names the later year)"
    if ours[0] > theirs[0] and before_policy(other):
        first = first_year_from(POLICY_START)
        return (f" ({other.label} is labelled with a year before the cluster model's first funding year, "
                f"{first}-{(first + 1) % 100:02d})")
    if ours[0] > theirs[0]:
        return f" ({other.label} is named as an earlier copy)"
    return " (its label names a year, the other's none)" if ours[:3] > theirs[:3] else ""
