"""Find an input's header row and map the user's headers onto senrun's column names (SPEC §5).

Headers are compared ignoring case, spaces and punctuation ("Date of Birth" is
`date_of_birth`).  The config's `columns:` map wins over a header that merely looks like one
of senrun's names.  A missing column is reported with the closest header found and the
line to add to the config.
"""

from __future__ import annotations

import difflib
import re

import polars as pl

from ..config.loader import InputSpec
from ..errors import Issues, looks_personal
from .schema import PUPILS, Column, Kind
from .synonyms import loose_parts, usual_names

HEADER_SEARCH_ROWS = 20


def norm(text: str) -> str:
    """A header as compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


#: Words that, in a money header, say it holds another period's amount than a year's (`Weekly amount`, `Cost pcm`).
NOT_ANNUAL = frozenset({"week", "weekly", "wk", "pw", "month", "monthly", "mth", "pcm", "term", "termly", "hour",
                        "hours", "hourly", "hrs", "day", "daily"})
#: Words that say a year's amount, whatever else the header says (`Annualised weekly cost`, `FYE`).
ANNUAL = frozenset({"annual", "annually", "annualised", "annualized", "year", "yearly", "pa", "annum", "yr", "fye",
                    "fy"})
#: A week's or month's rate multiplied up, or a year counted in weeks or months: `x 52`, `× 39`, `52-week`.
_YEAR_OF = re.compile(r"(?:[x×*]\s*\d+)|(?:\b(?:52|39|38|12)[\s-]*(?:weeks?|wks?|months?|mths?)\b)")
#: `p.w.`, `p/w`: per week, written with stops or a slash.
_PER_WEEK = re.compile(r"\bp\s*[./]\s*w\b")


def not_annual(header: str) -> bool:
    """Whether a money header says it is a week's, month's, term's, day's or hour's amount, and not a year's."""
    text = str(header).lower()
    if says_annual(text):
        return False
    return bool(set(_words(text)) & NOT_ANNUAL) or _PER_WEEK.search(text) is not None


def says_annual(header: str) -> bool:
    """Whether a money header says it is a year's amount (`Annual PSF`, `Cost p.a.`, `Weekly rate x 52`)."""
    text = str(header).lower()
    return bool(set(_words(text)) & ANNUAL) or _YEAR_OF.search(text) is not None


def _says(header: str, parts: tuple[str, ...]) -> bool:
    """Whether a header has a word that begins with one of `parts`, camel case split too ("DateStatementCeased":
    date, statement, ceased), and is not a reason (GIAS's "ReasonEstablishmentClosed")."""
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", str(header))]
    return "reason" not in words and any(word.startswith(part) for word in words for part in parts)


def targets_for(spec: InputSpec, columns: tuple[Column, ...]) -> list[dict[str, str]]:
    """normalised header → internal name, in order of precedence: the `columns:` map, then senrun's names."""
    return [{norm(user): internal for user, internal in spec.columns}, {norm(c.name): c.name for c in columns}]


def find_header(frame: pl.DataFrame, targets: list[dict[str, str]], required: list[str]) -> int:
    """Index of the row holding the headers: the first of the top rows naming most required columns."""
    lookup = {**targets[1], **targets[0]}
    best, best_hits = 0, -1
    for i, row in enumerate(frame.head(HEADER_SEARCH_ROWS).iter_rows()):
        names = {lookup.get(norm(v)) for v in row if v is not None}
        hits = sum(1 for r in required if r in names)
        if hits > best_hits:
            best, best_hits = i, hits
        if hits == len(required):
            return i
    return best


def _header_mapping(headers: list[str], targets: list[dict[str, str]]) -> dict[str, str]:
    """The user's header → internal name.  A header named in the `columns:` map wins over one that
    merely looks like senrun's own name; other headers (need columns, notes) keep their own name."""
    mapping: dict[str, str] = {}
    for lookup in targets:
        for h in headers:
            internal = lookup.get(norm(h))
            if internal and h not in mapping and internal not in mapping.values():
                mapping[h] = internal
    taken = {norm(v) for v in mapping.values()}
    for h in headers:
        if h not in mapping and norm(h) and norm(h) not in taken:
            mapping[h] = h
            taken.add(norm(h))
    return {h: mapping[h] for h in headers if h in mapping}  # in the file's order


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower().replace("_", " "))


def _likeness(header: str, wanted: str) -> float:
    """0–1: by spelling ('Clustr'), by shared words ('Birth Date'), or as initials ('DOB')."""
    spelling = difflib.SequenceMatcher(None, norm(header), norm(wanted)).ratio()
    a, b = set(_words(header)), set(_words(wanted))
    shared = len(a & b) / max(1, len(a | b))
    initials = 1.0 if len(norm(header)) > 1 and norm(header) == "".join(w[0] for w in _words(wanted)) else 0.0
    return max(spelling, shared, initials)


def _closest(wanted: list[str], candidates: list[str]) -> str | None:
    """The candidate header most like any of `wanted`; None if none is close."""
    scored = sorted(((max(_likeness(h, w) for w in wanted), h) for h in candidates), key=lambda p: -p[0])
    return scored[0][1] if scored and scored[0][0] >= 0.6 else None


def _missing_message(spec: InputSpec, col: Column, mapped: list[str], unused: list[str], found: list[str]) -> str:
    """What is missing, the likeliest header meant, and how to tell senrun so."""
    if mapped:
        text = f"no column '{mapped[0]}' (the config maps it to {col.name})"
    else:
        text = f"required column '{col.name}' is missing"
    if col.name == "annual_amount":  # a `Weekly amount` is never the year's, however alike its name
        unused = [h for h in unused if not not_annual(h)]
    close = _closest(_meant(spec, col), unused)  # (GIAS's LinkURN…)
    if close:
        text += (f" — did you mean '{close}'? If so, map it in the config, under inputs: {spec.name}: columns: "
                 f'{{"{close}": {col.name}}}' + (f" (in place of \"{mapped[0]}\": {col.name})" if mapped else ""))
    if any(looks_personal(h) for h in found):
        return f"{text}; {_found_text(found)}: the header row is missing, or header_row names a row of data"
    return f"{text}; {_found_text(found)}"


def _found_text(found: list[str]) -> str:
    """The headers found, as said in a message; a child's row read as the headers is not quoted."""
    if any(looks_personal(h) for h in found):
        return "the row read as the headers holds a child's data (a UPN or a date), not headers"
    return f"columns found: {', '.join(found) or '(none)'}"


def _meant(spec: InputSpec, col: Column) -> list[str]:
    """The headers that would be this column: senrun's name, the config's own for it, the usual phrasings."""
    return [col.name, *_mapped(spec, col.name), *usual_names(spec.name, col.name)]


def _mapped(spec: InputSpec, name: str) -> list[str]:
    """The user's headers that the config's `columns:` maps to senrun's column `name`."""
    return [user for user, internal in spec.columns if internal == name]


def _none_found(spec: InputSpec, missing: list[Column], found: list[str], where: dict, issues: Issues) -> None:
    """The file has none of the input's columns: most likely another file (the schools workbook given as
    the census) or a header row not found; one error says both, without guessing a column for each."""
    names = [(_mapped(spec, c.name) or [c.name])[0] for c in missing]
    hint = header_row_hint(spec, [name for c in missing for name in _meant(spec, c)])
    issues.error("missing_column", f"none of the {spec.name} input's columns ({', '.join(names)}) is in this file: "
                 f"is inputs.{spec.name}.path the right file? {hint}; {_found_text(found)}",
                 **{**where, "expected": f"columns headed {', '.join(repr(n) for n in names)}"})


def header_row_hint(spec: InputSpec, meant: list[str] = ()) -> str:
    """What to do when the row read as the headers holds none of the required columns: it is not the header
    row (the real one is further down, or the config's `header_row` names another).  `meant`: headers any of which
    the header row would hold (for a config that counted Excel's `sep=` line, whose header is the row above)."""
    key = f"inputs.{spec.name}.header_row"
    if spec.header_row and spec.header_row > 1 and _row_above_holds(spec, meant):
        return (f"Row {spec.header_row} (the config's {key}) does not hold the headers: the file's first line is "
                f"Excel's sep= line, which Excel does not show as a row, and senrun counts rows as Excel shows them "
                f"(since 0.2.0: a config drafted before counted it), so the header is row {spec.header_row - 1}: set "
                f"{key}: {spec.header_row - 1}" + (" (or leave header_row out)" if spec.header_row == 2 else ""))
    if spec.header_row:
        return (f"Row {spec.header_row} (the config's {key}) does not hold the headers: set {key} to the row "
                "that does, as Excel numbers it")
    return (f"The header row is looked for in the top {HEADER_SEARCH_ROWS} rows and none of them holds these "
            f"headers: if it is further down, give its row number (as Excel shows it) with {key}: N in the "
            "config, or delete the title rows above it")


def _row_above_holds(spec: InputSpec, meant: list[str]) -> bool:
    """Whether the input is a text file beginning with Excel's `sep=,` line (reading.without_sep_line) whose row
    above the config's `header_row`, as Excel shows rows, holds one of the `meant` headers: the config counted the
    line, as senrun did before 0.2.0."""
    import csv

    try:
        with open(spec.path, "rb") as stream:
            head = stream.read(1 << 16)
    except OSError:
        return False
    if head[:4].lower() != b"sep=" or chr(head[4]) not in ",;\t|":
        return False
    # the rows after the sep= line, as the reader counts them: a quoted cell may hold a line break
    lines = head.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
    try:
        rows = [row for _, row in zip(range(spec.header_row - 1), csv.reader(lines, delimiter=chr(head[4])))]
    except (csv.Error, ValueError):
        return False
    if len(rows) < spec.header_row - 1:
        return False
    wanted = {norm(name) for name in meant}
    return any(norm(cell) in wanted for cell in rows[-1] if cell)


def _repeated(headers: list[str], mapping: dict[str, str], declared: set[str]) -> list[tuple[str, str]]:
    """(header, its repeat) for each header used by senrun that heads a second column too: which one
    holds the figures cannot be told (one may be a hidden, out-of-date copy)."""
    names = set(headers)
    out = []
    for h in headers:
        m = re.fullmatch(r"(.*) \((\d+)\)", h)
        if m and m.group(1) in names and mapping.get(m.group(1)) in declared:
            out.append((m.group(1), h))
    return out


def map_columns(headers: list[str], spec: InputSpec, targets: list[dict[str, str]],
                columns: tuple[Column, ...], where: dict, issues: Issues) -> dict[str, str]:
    """The user's header → internal name, for every header kept; each missing column reported once.

    A column the config maps by name must be there even when it is optional: a header renamed
    in the spreadsheet would otherwise silently drop, say, every ceased date."""
    mapping = _header_mapping(headers, targets)
    present = set(mapping.values())
    declared = {c.name for c in columns}
    found = [h for h in headers if not h.startswith("(column ")]
    unused = [h for h in found if mapping.get(h) not in declared]
    wanted = [c for c in columns if c.required] + [
        Column(name, Kind.TEXT) for name in dict.fromkeys(i for _, i in spec.columns)
        if name not in {c.name for c in columns if c.required}]
    no_header = not any(c.name in present for c in columns if c.required)
    missing = [c for c in wanted if c.name not in present]
    like = sum(1 for c in missing if _closest(_meant(spec, c), unused))
    if no_header and len(missing) > 1 and 2 * like < len(missing):  # not this input's file, most likely: one
        _none_found(spec, missing, found, where, issues)  # message, not a guess at a header for each column
        missing = []
    # (once for them all: it may look at the file again, for a config that counted Excel's sep= line)
    hint = header_row_hint(spec, [name for c in wanted for name in _meant(spec, c)]) if no_header and missing else ""
    for col in missing:
        if col.name in present:
            continue
        mapped = _mapped(spec, col.name)
        text = _missing_message(spec, col, mapped, unused, found)
        issues.error("missing_column", f"{text}. {hint}" if no_header else text,
                     **{**where, "column": mapped[0] if mapped else col.name, "field": col.name,
                        "expected": f"a column headed '{mapped[0] if mapped else col.name}'"})
    _unmapped_optional(spec, columns, present, unused, where, issues)
    for header, again in _repeated(headers, mapping, declared):
        issues.error("duplicate_column", f"two columns are headed '{header}' (the second is read as '{again}'; "
                     "one may be hidden): senrun cannot tell which holds the figures; delete or rename one",
                     **{**where, "column": header, "field": mapping[header]})
    for header, again in _alike(headers, mapping, declared):
        issues.error("duplicate_column", f"two columns are headed '{header}' and '{again}', which differ only in "
                     "capitals, spaces or punctuation (one may be hidden): senrun cannot tell which holds the figures; "
                     "delete or rename one", **{**where, "column": header, "field": mapping[header]})
    return mapping


def _alike(headers: list[str], mapping: dict[str, str], declared: set[str]) -> list[tuple[str, str]]:
    """(header read, another header) for each column senrun reads whose header another column repeats but for
    capitals, spaces or punctuation ('UPN' and 'upn'; a Parquet 'Annual PSF ' with its trailing space): only the
    first had been read, with no word, whichever held the figures."""
    used = {norm(h): h for h in headers if mapping.get(h) in declared}
    return [(used[norm(h)], h) for h in headers
            if norm(h) in used and used[norm(h)] != h and mapping.get(h) not in declared]


def _unmapped_optional(spec: InputSpec, columns: tuple[Column, ...], present: set[str], unused: list[str],
                       where: dict, issues: Issues) -> None:
    """A warning for an optional column left unread though a header is one of the usual names for it
    (GIAS's `LinkType` for link_type: without it every link would be read as a succession)."""
    for col in columns:
        if col.required or col.name in present or col.name == PUPILS:  # (beside a census, pupils is not read)
            continue
        usual = {norm(s) for s in usual_names(spec.name, col.name)}
        parts = loose_parts(spec.name, col.name)
        header = next((h for h in unused if norm(h) in usual), None) or next(
            (h for h in unused if _says(h, parts)), None)
        if header is not None:
            issues.warn("unmapped_column", f"column '{header}' looks like senrun's {col.name} but is not read: to "
                        f"use it, map it in the config, under inputs: {spec.name}: columns: "
                        f"{{\"{header}\": {col.name}}}",
                        **{**where, "column": header, "field": col.name})
