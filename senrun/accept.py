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

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from .errors import Issue

ENTRY_KEYS = ("kind", "upn", "school", "row", "file", "all", "reason", "until")


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

    def matches(self, issue: Issue) -> bool:
        """Whether this entry accepts `issue`: same kind, a warning, and every key given agrees."""
        if issue.is_error or issue.code != self.kind:
            return False
        if self.upn is not None and not (issue.field == "upn" and _upn(issue.value) == self.upn):
            return False
        if self.school is not None and not _about_school(issue, self.school):
            return False
        if self.row is not None and issue.row != self.row:
            return False
        return self.file is None or issue.file == self.file

    def to_dict(self) -> dict:
        """The entry as in the JSON report: only the keys it gives."""
        out = {"kind": self.kind, "upn": self.upn, "school": self.school, "row": self.row, "file": self.file,
               "all": self.every or None, "reason": self.reason, "until": self.until.isoformat()}
        return {k: v for k, v in out.items() if v is not None}


def _upn(value) -> str:
    return str(value or "").replace(" ", "").upper()


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
        problem(path, f"{path} must be a list of accepted warnings", expected="- {kind: ..., upn: ..., "
                "reason: ..., until: 2014-03-31}")
        return ()
    out = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        entry = _entry(item, where, problem)
        if entry is not None:
            out.append(entry)
    return tuple(out)


def _entry(item, where: str, problem) -> Acceptance | None:
    from .inputs.parse import config_date

    if not isinstance(item, dict):
        problem(where, "an accepted warning must be a mapping", expected="kind, a key, reason and until")
        return None
    bad = False
    for key in item:
        if key not in ENTRY_KEYS:
            problem(f"{where}.{key}", f"unknown key '{key}'; allowed here: {', '.join(ENTRY_KEYS)}",
                    expected=", ".join(ENTRY_KEYS))
            bad = True
    for key in ("kind", "reason", "until"):
        if item.get(key) in (None, ""):
            problem(f"{where}.{key}" if key in item else where, f"'{key}' is required in an accepted warning")
            bad = True
    if not any(item.get(k) not in (None, False) for k in ("upn", "school", "row", "all")):
        problem(where, "say which warnings: give upn, school, row (with file) or all: true",
                expected="one of upn, school, row, all")
        bad = True
    until = config_date(item.get("until")) if item.get("until") is not None else None
    if item.get("until") is not None and until is None:
        problem(f"{where}.until", f"'{item['until']}' is not a date", expected="a date such as 2014-03-31")
        bad = True
    row = item.get("row")
    if row is not None and (isinstance(row, bool) or not isinstance(row, int)):
        problem(f"{where}.row", "row must be a whole number (the row as Excel shows it)", expected="e.g. 57")
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
    today = today or date.today()
    kept, accepted, expired, used = [], [], [], set()
    for issue in issues:
        match = next((e for e in entries if e.matches(issue)), None)
        if match is None:
            kept.append(issue)
            continue
        used.add(match)
        if match.until < today:
            kept.append(issue)
            expired.append((issue, match))
        else:
            accepted.append((issue, match))
    return Sorted(kept, accepted, expired, [e for e in entries if e not in used])


def draft_entries(issues: list[Issue], reason: str, days: int = 365, today: date | None = None) -> list[dict]:
    """An accept list for today's warnings (to review: each reason should say why it is accepted):
    keyed by UPN where the warning names the child's UPN, by school where it is about a school ID,
    else by file and row."""
    until = ((today or date.today()) + timedelta(days=days)).isoformat()
    out = []
    for i in issues:
        if i.is_error:
            continue
        key: dict = {"upn": i.value} if i.field == "upn" and i.value else \
            {"school": i.value} if (i.field or "").endswith("school_id") and i.value else \
            {"file": i.file, "row": i.row}
        out.append({"kind": i.code, **key, "reason": reason, "until": until})
    return out
