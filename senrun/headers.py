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

from .config import InputSpec
from .errors import Issues
from .schema import ROW, Column, Kind

HEADER_SEARCH_ROWS = 20


def norm(text: str) -> str:
    """A header as compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


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


def with_headers(raw: pl.DataFrame, header_index: int, row_offset: int = 0) -> tuple[pl.DataFrame, list[str]]:
    """Make row `header_index` the header; keep the Excel row number of every data row."""
    header = [("" if v is None else str(v).strip()) for v in raw.row(header_index)] if raw.height else []
    seen: dict[str, int] = {}
    names = []
    for i, h in enumerate(header):
        h = h or f"(column {i + 1})"
        seen[h] = seen.get(h, 0) + 1
        names.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    body = raw.slice(header_index + 1).rename(dict(zip(raw.columns, names)))
    body = body.with_row_index(ROW, offset=header_index + row_offset + 2).with_columns(pl.col(ROW).cast(pl.Int64))
    return body, header


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
    close = _closest([col.name, *mapped], unused)
    if close:
        text += (f" — did you mean '{close}'? If so, map it in the config: inputs.{spec.name}.columns: "
                 f'{{"{close}": {col.name}}}')
    return f"{text}; columns found: {', '.join(found) or '(none)'}"


def map_columns(body: pl.DataFrame, spec: InputSpec, targets: list[dict[str, str]],
                columns: tuple[Column, ...], where: dict, issues: Issues) -> tuple[pl.DataFrame, dict[str, str]]:
    """Rename the user's headers to internal names; report each missing column once.

    A column the config maps by name must be there even when it is optional: a header renamed
    in the spreadsheet would otherwise silently drop, say, every ceased date."""
    headers = [h for h in body.columns if h != ROW]
    mapping = _header_mapping(headers, targets)
    present = set(mapping.values())
    declared = {c.name for c in columns}
    found = [h for h in headers if not h.startswith("(column ")]
    unused = [h for h in found if mapping.get(h) not in declared]
    wanted = [c for c in columns if c.required] + [
        Column(name, Kind.TEXT) for name in dict.fromkeys(i for _, i in spec.columns)
        if name not in {c.name for c in columns if c.required}]
    for col in wanted:
        if col.name in present:
            continue
        mapped = [user for user, internal in spec.columns if internal == col.name]
        issues.error("missing_column", _missing_message(spec, col, mapped, unused, found),
                     **{**where, "column": mapped[0] if mapped else col.name, "field": col.name,
                        "expected": f"a column headed '{mapped[0] if mapped else col.name}'"})
    frame = body.rename(mapping).select([ROW, *dict.fromkeys(mapping.values())])
    return frame, {v: k for k, v in mapping.items()}
