"""Schools' URNs: GIAS's links read against a schools input keyed by another id (SPEC §11.1).

GIAS's links export names schools by URN alone, while a council most often keys its schools by
DfE number (LAESTAB, as the census holds it).  A schools input with a `urn` column beside its
`school_id` lets the links be used as GIAS exports them: before the successions are built, each
id of the links input (its `school_id` and `successor_id`) that is not a school_id of the schools
input but is a school's URN is read as that school's school_id (docs/decisions.md, 82).

- An id that is a school_id stays as it is, so a links file may mix both kinds (GIAS's export,
  and a row a council added in DfE numbers).
- An id that is neither stays as it is, as without the column: a link from it is left out (a
  school not in the schools input holds no PSF here; when every link is so, `links_unknown`
  warns), and a link to it from a school of the input is the `unknown_school` error.
- An id that is one school's school_id and another school's URN cannot be told apart: an error
  at its cell (PSF must not follow the wrong one of the two).

Loops here run over schools and links, never over pupils.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from .checks import MAX_LISTED
from .errors import Issues
from .inputs.load import Table
from .inputs.schema import ROW, SCHOOL_ID, SCHOOL_NAME, SUCCESSOR_ID, URN
from .succession import is_succession

#: The columns of the links input that name a school.
LINK_IDS = (SCHOOL_ID, SUCCESSOR_ID)


def has_urns(schools: pl.DataFrame) -> bool:
    """Whether the schools input has a `urn` column (mapped, or headed so)."""
    return URN in schools.columns


def given_urn() -> pl.Expr:
    """A `urn` cell that gives one: a placeholder with no digit ('n/a', '-', 'none', for a nursery with no
    URN) is read as blank."""
    return pl.col(URN).is_not_null() & pl.col(URN).cast(pl.String).str.contains(r"\d")


def urn_schools(schools: pl.DataFrame) -> dict[str, str]:
    """URN → school_id, of the schools with a URN.  A URN given twice is an error of its own (checks
    across inputs); here it reads as its first row's school."""
    if not has_urns(schools):
        return {}
    rows = (schools.filter(given_urn() & pl.col(SCHOOL_ID).is_not_null())
            .unique(URN, keep="first", maintain_order=True))
    return dict(rows.select(URN, SCHOOL_ID).iter_rows())


def links_in_school_ids(schools: Table, links: Table | None, issues: Issues) -> Table | None:
    """The links input with each URN of a school read as that school's school_id (see the module's text);
    `links` itself when there is nothing to read so.  An id that is both one school's school_id and
    another's URN is an error at its cell, and is left as the school_id."""
    if links is None or links.frame is None or not links.frame.height:
        return links
    urns = urn_schools(schools.frame)
    if not urns:
        return links
    ids = schools.frame[SCHOOL_ID].drop_nulls().unique()
    _ambiguous(links, set(ids.to_list()), urns, issues)
    frame = links.frame
    read = [pl.when(pl.col(c).is_in(ids.implode())).then(pl.col(c))
            .otherwise(pl.col(c).replace(urns)).alias(c) for c in LINK_IDS if c in frame.columns]
    return replace(links, frame=frame.with_columns(read))


def _ambiguous(links: Table, ids: set[str], urns: dict[str, str], issues: Issues) -> None:
    """An error at each cell of a succession of the links input whose id is a school_id and another school's
    URN (a row that is no succession is not read, so it is no matter)."""
    both = sorted(urn for urn, sid in urns.items() if urn != sid and urn in ids)
    if not both:
        return
    successions = links.frame.filter(is_succession(links.frame))
    cells = sorted((row, column, value) for column in LINK_IDS
                   for row, value in successions.filter(pl.col(column).is_in(both)).select(ROW, column).iter_rows())
    for row, column, value in cells[:MAX_LISTED]:
        issues.error("succession", f"'{value}' is the school_id of school {value} and the URN of school "
                     f"{urns[value]} (the schools input's urn column): which school this link means cannot be told; "
                     "write it as the school's school_id, or correct the urn that is wrong",
                     **links.where(column, row), value=value, expected="a school_id of the schools input")
    if len(cells) > MAX_LISTED:
        issues.error("succession", f"{len(cells) - MAX_LISTED:,} more ids of the links input that are a school_id "
                     "and another school's URN", **links.where(SCHOOL_ID))


def school_by_urn(schools: pl.DataFrame, asked: str) -> tuple[str, str] | None:
    """(school_id, school name) of the school whose URN is `asked`, when `asked` is no school_id; else None."""
    if not has_urns(schools) or asked in set(schools[SCHOOL_ID].drop_nulls().to_list()):
        return None
    found = schools.filter(pl.col(URN) == asked)
    if found.is_empty():
        return None
    name = found[SCHOOL_NAME][0] if SCHOOL_NAME in found.columns else ""
    return found[SCHOOL_ID][0], name or ""
