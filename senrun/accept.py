"""Known warnings, accepted with a reason until a date, so that a nightly check stays green
(`validate --accept FILE`, `accept:` in the config; docs/validate.md).

An entry names the warning's kind (its code, e.g. `taught_year`) and one or more keys that
pick out which ones: `upn:` (a warning about that child), `school:` (about that school),
`row:` with an optional `file:` (that row of that input), or `all: true` (every warning of
that kind). Every entry has a `reason:` and an `until:` date; after that date the warning
counts as new again, so an accepted problem is looked at again rather than forgotten.
Errors are never accepted.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import PurePosixPath
from typing import Callable

from .calendar import shift_years, today_in_england
from .errors import CONFIG, HIDDEN, WARNING, Issue, school_cell_personal

ENTRY_KEYS = ("kind", "upn", "school", "row", "file", "all", "reason", "until")

#: Every kind (code) of warning senrun gives: the kinds an entry can accept.  A check that adds a
#: warning adds its code here (tests/test_simulate_validate_readers.py finds every code in the source).
WARNING_KINDS = frozenset({
    "amended_after_ceasing", "ceased_before_issued", "census_before_policy", "census_casual_move",
    "census_not_in_census", "census_outside", "closed_without_successor", "cluster_names", "dob_differs", "dob_rows_differ", "link_date_differs", "links_no_successions", "links_unknown", "merged_cells", "missing_from_statements",
    "move_after_census", "no_census", "no_pupils", "no_statements", "now_post_policy", "other_sheet", "previous_not_last_year",
    "previous_register_differ", "protection_skipped", "psf_while_shut", "pupils_ignored", "pupils_override",
    "pupils_override_unused", "recorded_as_new", "register_changed", "register_stale", "not_in_register", "reinstate_unused",
    "reinstate_twice",
    "resurrected", "school_changed", "successor_not_closed", "taught_year", "totals_row", "unmapped_column",
    "upn_bad_letter", "upn_malformed", "upn_more", "upn_temporary", "year_label", "census_date_far",
    "amount_not_annual", "census_date_year", "hidden_rows", "born_after_statement", "need_blank",
    "register_not_given", "register_without_register", "register_doubtful", "previous_other_schools",
    "register_gap", "stopped_within_last_year", "previous_period_length", "previous_changed",
    "protection_new_clusters", "move_same_school", "register_earlier_release", "census_at_closed",
    "previous_config_incomplete", "previous_config_differs", "previous_config_not_paid", "pupils_twice",
    "opened_after_policy",
})
#: Kinds of problem that are only ever errors (docs/validate.md, "Codes"): never accepted.
ERROR_KINDS = frozenset({
    "bad_column", "bad_value", "budget", "config", "duplicate", "duplicate_column", "empty_value", "error", "extra_cells",
    "cluster_spelling", "formula", "history_date", "history_order", "identity", "internal", "missing_column",
    "file_name", "move_from", "no_rows", "previous", "cut_short", "merged_value",
    "register", "register_overlaps", "register_policy", "ssa_no_row", "succession", "too_large", "unknown_school", "unreadable",
})


@dataclass(frozen=True)
class Acceptance:
    """One accepted warning (or set of them): which, why, and until when."""

    kind: str
    reason: str
    until: date
    upn: str | None = None
    school: str | None = None
    row: int | None = None
    file: str | None = None
    every: bool = False  # `all: true`
    #: Where the entry is written: its file's name, its YAML line and key path (`accept[1]`); not part of
    #: what it accepts, nor of the JSON report's entry.
    source: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    key: str | None = field(default=None, compare=False)

    def matches(self, issue: Issue) -> bool:
        """Whether this entry accepts `issue`: same kind, a warning, and every key given agrees."""
        if issue.is_error or issue.code != self.kind:
            return False
        if self.upn is not None and _upn(child_of(issue)) != self.upn:
            return False
        if self.school is not None and not _about_school(issue, self.school):
            return False
        if self.row is not None and issue.row != self.row:
            return False
        return self.file is None or (issue.file is not None and _same_file(self.file, issue.file))

    def to_dict(self) -> dict:
        """The entry as in the JSON report: only the keys it gives."""
        out = {"kind": self.kind, "upn": self.upn, "school": self.school, "row": self.row, "file": self.file,
               "all": self.every or None, "reason": self.reason, "until": self.until.isoformat()}
        return {k: v for k, v in out.items() if v is not None}

    def hidden(self) -> "Acceptance":
        """The entry without the child's UPN or its reason (`[hidden]` in their place): a reason is
        free text, often about a named child; the entry's file and line say where both are.  A school key
        holding a child's data is hidden too, as the warning it accepts hides it: `--draft-accept` keys a
        census row at a school outside the input by its school cell, a child's name where a row shifted."""
        school = HIDDEN if self.school is not None and school_cell_personal(self.school) else self.school
        return replace(self, upn=None if self.upn is None else HIDDEN, school=school, reason=HIDDEN)

    def where(self) -> str:
        """`accept.yaml › line 3 › accept[1]`, as much as is known."""
        parts = [p for p in (self.source, f"line {self.line}" if self.line is not None else None, self.key) if p]
        return " › ".join(parts)

    def described(self) -> str:
        """The entry in brief: its kind and the keys that pick out its warnings (a UPN as held)."""
        keys = [f"upn {self.upn}" if self.upn is not None else None,
                f"school {self.school}" if self.school is not None else None,
                f"file {self.file}" if self.file is not None else None,
                f"row {self.row}" if self.row is not None else None, "all" if self.every else None]
        return f"{self.kind} ({', '.join(k for k in keys if k)})"


def located(entries: tuple[Acceptance, ...], source: str, lines: dict[str, int], prefix: str
            ) -> tuple[Acceptance, ...]:
    """The entries of one accept list (every one checked, so the n-th is the list's n-th), each with its
    file's name, line and key path (`prefix[n]`)."""
    return tuple(replace(e, source=source, line=lines.get(f"{prefix}[{n}]"), key=f"{prefix}[{n}]")
                 for n, e in enumerate(entries))


#: How `validate --draft-accept` begins each reason it drafts: until a person replaces it, `--strict` fails.
UNREVIEWED = "TO CHECK"


def kind_issues(entries: tuple[Acceptance, ...]) -> list[Issue]:
    """A warning for each entry whose kind is an error's code (`bad_value`), which is never accepted, so
    the entry accepts nothing (a kind that is no code at all, a typing slip, is an error: `_entry`).
    And one for each entry whose reason is still the draft's (`UNREVIEWED`): `--strict` fails until a
    person says why the warning is accepted."""
    out = []
    for e in entries:
        if e.reason.strip().upper().startswith(UNREVIEWED):  # drafted by --draft-accept, not yet looked at
            column = f"{e.key}.reason" if e.key else None
            out.append(Issue(CONFIG, WARNING, "this accepted warning's reason is still the draft's "
                             f"\"{e.reason.strip()}\": say why it is accepted (who looked, and what they found)",
                             file=e.source, row=e.line, column=column, field=column, value=e.reason.strip(),
                             expected="a reason a person wrote"))
        if e.kind not in ERROR_KINDS:
            continue
        column = f"{e.key}.kind" if e.key else None
        out.append(Issue(CONFIG, WARNING, f"'{e.kind}' is a kind of error, and errors are never accepted, so this "
                         "entry accepts nothing", file=e.source, row=e.line, column=column, field=column,
                         value=e.kind, expected="a warning's code: fix what the error says instead"))
    return out


def _same_file(entry: str, issue: str) -> bool:
    """Whether an entry's `file:` names the file a warning names.  Warnings name an input by its file's name alone:
    the entry may give it in any capitals, whatever folder is typed before it (`sample_data/census.csv`,
    `Census.CSV`).  A warning about last year's register names its folder too (`2013-14/psf.csv`): the folder says
    which year's, and must be the same (an entry for one year's psf.csv accepts nothing of the next's)."""
    entry, issue = str(entry).replace("\\", "/").casefold(), str(issue).replace("\\", "/").casefold()
    if "/" in issue:
        return entry == issue or entry.endswith("/" + issue)
    return PurePosixPath(entry).name == issue


def _upn(value) -> str:
    return str(value or "").replace(" ", "").upper()


def child_of(issue: Issue) -> str | None:
    """The UPN of the child a warning is about: given as such (a taught year, a date of birth that differs),
    or the warning's UPN cell."""
    return issue.child or (issue.value if issue.field == "upn" and issue.value else None)


def _about_school(issue: Issue, school: str) -> bool:
    """A warning is about a school when its value is that school's ID in an ID column, or its
    message names the ID as a whole word (e.g. "census rows at school 9267001")."""
    if issue.field and issue.field.endswith("school_id") and str(issue.value) == school:
        return True
    return re.search(rf"(?<![\w]){re.escape(school)}(?![\w])", issue.message or "") is not None


def check_entries(raw, path: str, problem: Callable[..., None]) -> tuple[Acceptance, ...]:
    """The entries of an `accept:` list, each checked; `problem(key_path, message, expected=…)` records
    what is wrong (the config checker's, so that each problem has its key path and line)."""
    if not isinstance(raw, list):
        what = f"{path} must be" if path else "an accept list must be"  # (a file holding the list alone)
        problem(path, f"{what} a list of accepted warnings{' (the file is empty)' if raw is None else ''}",
                expected="- {kind: ..., upn: ..., reason: ..., until: 2014-03-31}")
        return ()
    out = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        entry = _entry(item, where, problem)
        if entry is not None:
            out.append(entry)
    return tuple(out)


def _did_you_mean(name: str, names) -> str:
    """' — did you mean 'row'?' for the closest of `names`, or '' when none is close."""
    close = difflib.get_close_matches(str(name), list(names), n=1)
    return f" — did you mean '{close[0]}'?" if close else ""


def _entry(item, where: str, problem) -> Acceptance | None:
    from .inputs.parse import config_date

    if not isinstance(item, dict):
        problem(where, "an accepted warning must be a mapping", expected="kind, a key, reason and until")
        return None
    bad = False
    for key in item:
        if key not in ENTRY_KEYS:
            problem(f"{where}.{key}", f"unknown key '{key}'{_did_you_mean(key, ENTRY_KEYS)}; allowed here: "
                    f"{', '.join(ENTRY_KEYS)}", expected=", ".join(ENTRY_KEYS))
            bad = True
    kind = item.get("kind")
    if kind not in (None, "") and str(kind) not in WARNING_KINDS | ERROR_KINDS:
        # a typing slip (`dob_diffs`): an error, so that the entry is put right rather than tidied away
        problem(f"{where}.kind", f"'{kind}' is not a kind of warning senrun gives"
                f"{_did_you_mean(str(kind), sorted(WARNING_KINDS))}",
                expected="a warning's code, as senrun validate lists it")
        bad = True
    for key in ("kind", "reason", "until"):
        value = item.get(key)
        if value in (None, "") or (isinstance(value, str) and value.strip() == ""):  # "  " is no reason
            problem(f"{where}.{key}" if key in item else where, f"'{key}' is required in an accepted warning")
            bad = True
    for key in ("upn", "school", "file"):
        if key in item and str(item.get(key) or "").strip() == "":  # blank: would key nothing, and so match all
            problem(f"{where}.{key}", f"'{key}' is blank: give it, or leave the key out", expected=f"a {key}")
            bad = True
    if not any(item.get(k) not in (None, False, "") for k in ("upn", "school", "row", "all")):
        problem(where, "say which warnings: give upn, school, row (with file) or all: true",
                expected="one of upn, school, row, all")
        bad = True
    until = config_date(item.get("until")) if item.get("until") is not None else None
    if item.get("until") is not None and until is None:
        problem(f"{where}.until", f"'{item['until']}' is not a date", expected="a date such as 2014-03-31")
        bad = True
    row = item.get("row")
    if row is not None and (isinstance(row, bool) or not isinstance(row, int) or row < 1):
        problem(f"{where}.row", "row must be a whole number of 1 or more (the row as Excel shows it)",
                expected="e.g. 57")
        bad = True
    for key in ("kind", "reason", "upn", "school", "file"):
        if isinstance(item.get(key), (list, dict)):
            problem(f"{where}.{key}", f"'{key}' must be text, not a {'list' if isinstance(item[key], list) else 'mapping'}",
                    expected=f"one {key}")
            bad = True
    if bad:
        return None
    return Acceptance(kind=str(item["kind"]), reason=str(item["reason"]), until=until,
                      upn=_upn(item["upn"]) if item.get("upn") is not None else None,
                      school=str(item["school"]) if item.get("school") is not None else None,
                      row=row, file=str(item["file"]) if item.get("file") is not None else None,
                      every=item.get("all") is True)


@dataclass(frozen=True)
class Sorted:
    """The issues of a check, sorted against the accepted list."""

    issues: list[Issue]  # errors and new warnings (expired ones included): what --strict fails on
    accepted: list[tuple[Issue, Acceptance]]
    expired: list[tuple[Issue, Acceptance]]  # also in `issues`
    unused: list[Acceptance]  # entries that accepted nothing this time (fixed, or the data moved)


def sort_issues(issues: list[Issue], entries: tuple[Acceptance, ...], today: date | None = None) -> Sorted:
    """Which issues are accepted (by an entry still in date), which acceptances have expired, and
    which entries matched nothing."""
    today = today or today_in_england()
    kept, accepted, expired, used = [], [], [], set()
    for issue in issues:
        matching = [e for e in entries if e.matches(issue)]
        if not matching:
            kept.append(issue)
            continue
        used.update(matching)  # an entry that matches is never "unused", though another in date wins
        # an entry in date wins over one expired: a renewal added below the old entry
        match = next((e for e in matching if e.until >= today), matching[0])
        if match.until < today:
            kept.append(issue)
            expired.append((issue, match))
        else:
            accepted.append((issue, match))
    # (an entry naming an error's kind can never accept anything: kind_issues says so, not "fixed, or moved?")
    return Sorted(kept, accepted, expired, [e for e in entries if e not in used and e.kind not in ERROR_KINDS])


def _school_of(issue: Issue) -> str | None:
    """The school a warning is about, for a draft's key: its value in a school ID column, or a value the
    message names as "school <value>" (a school's `closed` cell: "school 9262010 closes with no successor")."""
    value = str(issue.value) if issue.value else None
    if value is None:
        return None
    if (issue.field or "").endswith("school_id"):
        return value
    return value if re.search(rf"(?<![\w])school {re.escape(value)}(?![\w])", issue.message or "") else None


def draft_entries(issues: list[Issue], reason: str, today: date | None = None) -> list[dict]:
    """An accept list for today's warnings (to review: each reason should say why it is accepted):
    keyed by UPN where the warning is about a child (by their UPN, never by a row that moves when the
    census is exported again), by school where it is about a school ID, else by file and row, or (a
    warning with no row) every warning of its kind in its file."""
    until = shift_years(today or today_in_england(), 1).isoformat()  # a year: the same day next year (29 Feb: 1 March)
    out = []
    for i in issues:
        if i.is_error:
            continue
        child, school = child_of(i), _school_of(i)
        key: dict = {"upn": child} if child else \
            {"school": school} if school else \
            {"file": i.file, "row": i.row} if i.row is not None else \
            {**({"file": i.file} if i.file else {}), "all": True}  # (no row: every warning of its kind there)
        out.append({"kind": i.code, **key, "reason": reason, "until": until})
    return out
