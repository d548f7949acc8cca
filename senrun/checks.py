"""Checks across inputs (SPEC §8): duplicates, unknown schools, UPNs, census consistency.

Each check takes the parsed tables and appends Issues; none stops the run by itself —
the pipeline raises once with every error found.
"""

from __future__ import annotations

import re

from dataclasses import replace
from datetime import date

import polars as pl

from .calendar import academic_year, nc_year, shift_years
from .engine import collect
from .errors import SCHOOL_FIELDS, UPN_SHAPE, Issues, looks_personal, school_cell_personal
from .inputs.load import Table
from .inputs.schema import (CLUSTER_ID, CLUSTER_NAME, COUNTED_ENROL, DOB, ENROL_STATUS, FROM_SCHOOL,
                            NC_YEAR_TAUGHT, REASON, ROW, SCHOOL_ID, SCHOOL_NAME, STATEMENT_DATE, TO_SCHOOL, UPN)
from .inputs.upn import upn_problems

MAX_LISTED = 200
MAX_UNITS = 1_000_000_000  # the most units of need in one school's cell of a need column
#: … and in the whole column: scaled to millionths of a unit (formula.COLUMN_SCALE_DIGITS) its sum fits 64 bits.
MAX_UNITS_TOTAL = 1_000_000_000_000
_SEED = 20130117
_WHY = {CLUSTER_ID: ": a school belongs to one cluster", SCHOOL_ID: ""}  # why a repeat that differs in this column matters


def _repeated_keys(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The rows whose keys may repeat, found by hashing: at census scale (8 million UPNs) a hash and a
    sort are far cheaper than grouping the strings.  Rows with a blank key are never duplicates."""
    if any(frame[k].null_count() for k in keys):
        frame = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    # 32 bits of a hash are enough to find the candidates (8 million keys share a few thousand by chance,
    # and `duplicates` compares the keys themselves): half the memory of 64 and a faster sort; worked out a
    # batch of rows at a time, so that the 64-bit hashes of the whole column are never held at once
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)  # one column hashes in half the time of a struct

    def hashed() -> pl.Series:
        return collect(frame.lazy().select((key.hash(_SEED) % (1 << 32)).cast(pl.UInt32).alias("_h")),
                       streaming=True).to_series()

    # sorted in place, not a hash set: a third of the memory (one thread: faster than two on 8 million)
    ordered = hashed().sort(in_place=True, multithreaded=False)
    same = ordered.slice(1) == ordered.slice(0, max(0, len(ordered) - 1))
    if not same.any():
        return frame.clear()
    repeated = ordered.slice(1).filter(same).unique()
    del ordered, same
    return frame.filter(hashed().is_in(repeated.implode()))


def duplicates(table: Table, keys: list[str], issues: Issues, what: str, detail: str | None = None,
               hint: str = "") -> None:
    """Every row after the first that repeats `keys` is an error naming both rows; with `detail` (a
    column), the message says when the repeat differs there (a school given two clusters); `hint`
    is added to each message (what the repeat most likely means)."""
    frame = _repeated_keys(table.frame, keys)
    if detail is None and table.name == "schools" and keys == [SCHOOL_ID]:
        detail = CLUSTER_ID  # a school listed twice in different clusters: say so
    if frame.is_empty():
        return
    firsts = [pl.col(ROW).min().over(keys).alias("_first")]
    if detail:
        firsts.append(pl.col(detail).sort_by(ROW).first().over(keys).alias("_first_detail"))
    dup = frame.with_columns(firsts).filter(pl.col(ROW) != pl.col("_first")).sort(ROW)
    for rec in table.readable(dup.head(MAX_LISTED)).iter_rows(named=True):
        value = " / ".join(str(rec[k]) for k in keys)
        text = f"{what} {value} appears again (first at row {rec['_first']})"
        personal = ()
        if detail and rec[detail] != rec["_first_detail"]:
            here, there = (f"'{v}'" if v not in (None, "") else "blank" for v in (rec[detail], rec["_first_detail"]))
            text += (f", with {table.headers.get(detail, detail)} {here} here but {there} there"
                     f"{_WHY.get(detail, '')}")
            personal = _childs_school_cells(detail, rec[detail], rec["_first_detail"])
        issues.error("duplicate", text + hint, **table.where(keys[0], rec[ROW]), value=value,
                     expected=f"each {what} on one row", personal=personal)
    if dup.height > MAX_LISTED:
        issues.error("duplicate", f"{dup.height - MAX_LISTED:,} more repeated {what}s", **table.where(keys[0]))


def _childs_school_cells(detail: str, *cells) -> tuple[str, ...]:
    """The school cells quoted beside a repeated census row that hold a child's data, hidden as every other message
    hides them (a name where a row shifted a column, a UPN or a date of birth: `school_cell_personal`)."""
    if detail not in SCHOOL_FIELDS:
        return ()
    return tuple(str(cell) for cell in cells if school_cell_personal(cell))


def spelt_otherwise(frame: pl.DataFrame, column: str, same: pl.Expr) -> pl.DataFrame:
    """The rows whose `column` is written otherwise than the first row (in file order) that `same` finds alike: ROW,
    `column`, and that first row's `_first` and `_first_row`.  Two spellings of one id (a cluster's, a school's)."""
    return (frame.filter(pl.col(column).is_not_null()).sort(ROW)
            .select(ROW, column, same.alias("_same"))
            .with_columns(pl.col(column).first().over("_same").alias("_first"),
                          pl.col(ROW).first().over("_same").alias("_first_row"))
            .filter(pl.col(column) != pl.col("_first")))


def lookalike_ids(schools: Table, issues: Issues) -> None:
    """A school id that is another's in characters that look alike (９２６２００２ in full-width digits beside
    9262002, as some keyboards type them): the same school listed twice, which Excel shows as one; kept apart,
    it would have had a second lump sum and SSA.  An error at the later row, as a duplicate id is."""
    ids = (spelt_otherwise(schools.frame, SCHOOL_ID, pl.col(SCHOOL_ID).str.normalize("NFKC").str.to_lowercase())
           .filter(pl.col(SCHOOL_ID).str.to_lowercase() != pl.col("_first").str.to_lowercase()))  # (not in case alone)
    for row, school, first, first_row in ids.select(ROW, SCHOOL_ID, "_first", "_first_row").head(MAX_LISTED).rows():
        issues.error("duplicate", f"school_id '{school}' is '{first}' (row {first_row}) written in characters that "
                     "look alike (full-width digits or letters, as some keyboards type them): one school listed "
                     "twice, with two lump sums", **schools.where(SCHOOL_ID, row), value=school,
                     expected=f"one row for the school, its id written '{first}'")


def unknown_schools(table: Table, column: str, school_ids: pl.Series, issues: Issues, what: str,
                    only: pl.Expr | None = None, names: pl.Series | None = None, census: Table | None = None,
                    urns: dict[str, str] | None = None, hint: str = "") -> None:
    """Rows whose `column` names a school that the schools input does not hold (with the nearest
    IDs, and their `names`, as suggestions; or, for a school the `census` has pupils at, that it does:
    most often a special school or another setting outside the formula, left off the list; or, for a
    school's URN given in the schools input's `urn` column (`urns`: URN → school_id), whose it is).  `hint`
    ends the message of an id that is none of these."""
    from .suggest import nearest_schools

    frame = table.frame if only is None else table.frame.filter(only)
    bad = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(school_ids.implode())).sort(ROW)
    named = school_names(school_ids, names)
    if bad.height >= 0.9 * frame.height and frame.height >= 10:  # (nearly) every row: ids of another kind?
        other_ids(table, bad[column], school_ids, issues, f"{bad.height:,} of the {frame.height:,} rows of "
                  f"{table.file} name schools not in the schools input", column, named)
    pupils = _census_pupils(census, bad[column]) if bad.height else {}
    slashed = _slashed_ids(school_ids) if bad.height else {}
    unpadded = _unpadded(school_ids) if bad.height else {}
    for rec in bad.head(MAX_LISTED).iter_rows(named=True):
        value = rec[column]
        school = named.get(str(value).strip().casefold())
        if school is not None:  # a school's name, as the schools input has it: public, no child's
            spelt, ids = school
            gives = (f"gives {spelt} the id {ids[0]}" if len(ids) == 1 else
                     f"has {len(ids)} schools of that name, with the ids {', '.join(ids)}")
            issues.error("unknown_school", f"{what} '{value}' is a school's name, not its id: the schools input "
                         f"{gives}", **table.where(column, rec[ROW]),
                         expected=f"the school's id: map the column holding schools' ids as {column}")
            continue
        other = _another_form(str(value).strip(), unpadded, urns or {}, school_ids, names, table.file)
        if other is not None:  # the school is there, its id written another way (leading zeros lost, its URN)
            issues.error("unknown_school", f"{what} '{value}' {other[0]}", **table.where(column, rec[ROW]), value=value,
                         expected=other[1])
            continue
        child = looks_personal(value)  # a UPN or a date of birth typed into the school cell: no suggestion
        written = slashed.get(str(value).strip())
        if written is not None:  # the school is there, written with a separator (the first error says so)
            issues.error("unknown_school", f"{what} '{value}' is not in the schools input, which writes it {written}: "
                         "give both inputs the same form (take the separator out of the schools input's ids)",
                         **table.where(column, rec[ROW]), value=value, expected="a school_id of the schools input")
            continue
        if str(value) in pupils:
            issues.error("unknown_school", f"{what} '{value}' is not in the schools input, though the census has "
                         f"{pupils[str(value)]:,} pupils there{IN_CENSUS_ONLY}{'. ' + hint if hint else ''}",
                         **table.where(column, rec[ROW]),
                         value=value, expected="a school_id of the schools input")
            continue
        near = "" if child else nearest_schools(value, school_ids, names)
        near += f"{'' if near.endswith('?') else '.'} {hint}" if hint and not child else ""
        issues.error("unknown_school", f"{what} '{value}' is not in the schools input{near}",
                     **table.where(column, rec[ROW]), value=value, expected="a school_id of the schools input")
    if bad.height > MAX_LISTED:
        more = bad.slice(MAX_LISTED)
        counts = more.group_by(column).len().sort(["len", column], descending=[True, False])
        listed = [f"{school} ({n:,})" for school, n in counts.head(5).iter_rows()
                  if not school_cell_personal(school)]
        issues.error("unknown_school", f"{more.height:,} more rows (from row {more[ROW][0]:,}) name schools not in "
                     f"the schools input" + (f", most often {', '.join(listed)}" if listed else ""),
                     **table.where(column), expected="a school_id of the schools input")


#: Said of a school that the census has pupils at and the schools input does not list.
IN_CENSUS_ONLY = (": add its row to the schools input, with its cluster (a mainstream school shares in the "
                  "formula); only a setting outside the formula, such as a special school or a pupil referral unit, "
                  "is given in_formula: no (docs/your-data.md)")


def _slashed_ids(school_ids: pl.Series) -> dict[str, str]:
    """The schools input's ids written as DfE numbers with a separator (929/2044), by their 7 digits."""
    return {_digits(i): i for i in school_ids.drop_nulls().cast(pl.String).to_list()
            if re.fullmatch(SLASHED_DFE, i.strip())}


def _digits(text: object) -> str:
    """A DfE number written apart, as 7 digits: 929/2044 → 9292044."""
    return "".join(ch for ch in str(text) if ch.isdigit())


def _census_pupils(census: Table | None, ids: pl.Series) -> dict[str, int]:
    """How many census rows each of `ids` has (only those with any)."""
    if census is None or SCHOOL_ID not in census.frame.columns:
        return {}
    wanted = ids.cast(pl.String).unique()
    found = (census.frame.lazy().select(pl.col(SCHOOL_ID).cast(pl.String))
             .filter(pl.col(SCHOOL_ID).is_in(wanted.implode())).group_by(SCHOOL_ID).len())
    return dict(collect(found).iter_rows())


def school_names(school_ids: pl.Series, names: pl.Series | None) -> dict[str, tuple[str, list[str]]]:
    """A school's name as compared (no case, no spaces at the ends) → the name as the schools input spells
    it, and the ids of the schools of that name (an academy often keeps its school's name)."""
    if names is None:
        return {}
    pairs = pl.DataFrame({"id": school_ids.cast(pl.String), "name": names.cast(pl.String).str.strip_chars()})
    grouped = (pairs.filter(pl.col("name").is_not_null() & (pl.col("name") != ""))
               .group_by(pl.col("name").str.to_lowercase().alias("_key"), maintain_order=True)
               .agg(pl.col("name").first(), pl.col("id").unique(maintain_order=True)))
    return {key: (name, ids) for key, name, ids in grouped.iter_rows()}


#: A DfE number written as the LA code and the establishment number apart (929/2044, 929-2044, 929 2044).
SLASHED_DFE = r"[1-9]\d{2}\s*[/\-\s]\s*\d{4}"
SLASHED = "DfE numbers written with a separator"


def _id_kind(ids: list[str]) -> str:
    """What most of a list of school ids are, in words."""
    ids = [str(i).strip() for i in ids if i]
    def share(pattern: str) -> float:
        return sum(1 for i in ids if re.fullmatch(pattern, i)) / max(len(ids), 1)
    if share(r"[1-9]\d{2}[0-9]\d{3}") >= 0.8:
        return "7-digit DfE numbers"
    if share(SLASHED_DFE) >= 0.8:
        return SLASHED
    if share(r"[1-9]\d{5}") >= 0.8:
        return "6-digit numbers (most likely URNs)"
    if share(r"\d{4}") >= 0.8:
        return "4-digit establishment numbers (no LA code)"
    return "ids of their own"


def other_ids(table: Table, found: pl.Series, school_ids: pl.Series, issues: Issues, what: str,
              column: str = SCHOOL_ID, named: dict[str, tuple[str, list[str]]] | None = None) -> None:
    """One error where (nearly) every row of an input names a school the schools input does not hold: most
    often the two give schools by ids of different kinds (URNs against DfE numbers), or by their names
    (`named`: school_names), and each row's own error would not say so."""
    theirs = found.drop_nulls().unique().sort().head(200).to_list()
    ours = school_ids.drop_nulls().unique().sort().head(200).to_list()
    names = [t for t in theirs if str(t).strip().casefold() in (named or {})]
    if theirs and len(names) >= len(theirs) / 2:
        issues.error("unknown_school", f"{what}: {table.file} gives schools by their names, such as {names[0]}, "
                     f"where the schools input gives ids, such as {ours[0] if ours else '—'}. Map {table.file}'s "
                     f"column of school ids as {column}; if it has none, add one (in Excel, look each name up in "
                     "the schools list with XLOOKUP)", **table.where(column), expected="school ids of the schools "
                     "input's kind")
        return
    kinds = (_id_kind(theirs), _id_kind(ours))
    if SLASHED in kinds and "7-digit DfE numbers" in kinds:  # the same numbers, one input with a '/' in them
        slashed, plain = (theirs[0], ours[0]) if kinds[0] == SLASHED else (ours[0], theirs[0])
        whose = table.file if kinds[0] == SLASHED else "the schools input"
        marks = [ch for ch in str(slashed).strip() if not ch.isdigit()]
        mark = next((ch for ch in marks if not ch.isspace()), marks[0] if marks else "/")  # `926 / 2002`: the /
        named = "a space" if mark.isspace() else f"'{mark}'"
        issues.error("unknown_school", f"{what}: {whose} writes DfE numbers with a separator, such as {slashed}, "
                     f"where the other gives them as 7 digits, such as {plain}. Take the separator out of "
                     f"{whose}'s school ids ({slashed} → {_digits(slashed)}; in Excel, Find and Replace {named} "
                     "with nothing)",
                     **table.where(column),
                     expected="school ids of the schools input's kind")
        return
    # examples that could be a child's (a name, a UPN: a column mapped one off) are hidden as any such cell is
    personal = tuple(str(t) for t in theirs[:3] if school_cell_personal(t))
    told = (f"{table.file} gives schools by {kinds[0]} such as {theirs[0]}, the schools input by "
            f"{kinds[1]} such as {ours[0]}" if kinds[0] != kinds[1] and theirs and ours else
            f"such as {', '.join(theirs[:3])}, where the schools input has {', '.join(ours[:3])}")
    issues.error("unknown_school", f"{what}: {told}. Give both inputs the same kind of school id: map the schools "
                 "input's column of that kind as school_id (a DfE number is the LA code and the establishment "
                 "number together, 926 and 2004 → 9262004; in Excel, =LA*10000+EstablishmentNumber)",
                 **table.where(column), expected="school ids of the schools input's kind", personal=personal)


#: Dates in a name, checked one by one (`name_dates`): a day, a month and a year, numeric (16/07/2002, 16-07-2002,
#: 16.07.2002, 16/07/02 with slashes only), ISO (2002-07-16) or with the month in words (16 Jul 2002, 16-Jul-12,
#: 16th July 2002).  A school's "16-19", "11-16-19" (no month 16) or "Mayfield 16" is none.
_NUM_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9])")
_ISO_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})-([0-9]{2})-([0-9]{2})(?![0-9])")
_WORD_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})(?:st|nd|rd|th)?[ \-](jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|"
                        r"dec|january|february|march|april|june|july|august|september|october|november|december)"
                        r"\.?[ ,\-]+([0-9]{4}|[0-9]{2})(?![0-9])", re.IGNORECASE)


def name_dates(text: str) -> list[str]:
    """The dates in a school's or a cluster's name that could be a child's date of birth (a real day and month;
    a four-digit year from 1980 to 2039, or two digits where the form leaves no doubt that it is a date)."""
    def year_ok(year: str, short_ok: bool) -> bool:
        return 1980 <= int(year) <= 2039 if len(year) == 4 else short_ok
    found = [m[0] for m in _NUM_DATE.finditer(text)
             if 1 <= int(m[1]) <= 31 and 1 <= int(m[3]) <= 12 and year_ok(m[4], m[2] == "/")]
    found += [m[0] for m in _ISO_DATE.finditer(text)
              if 1980 <= int(m[1]) <= 2039 and 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31]
    found += [m[0] for m in _WORD_DATE.finditer(text) if 1 <= int(m[1]) <= 31 and year_ok(m[3], True)]
    return found


def child_data_in(text: str, named: bool) -> list[str]:
    """What in an id's or a name's text looks like a child's: a UPN (however typed), and in a name a date (of a
    birth typed beside it).  Ids and names are published."""
    return [m.group(0) for m in UPN_SHAPE.finditer(text)] + (name_dates(text) if named else [])


def child_data_kind(found: list[str]) -> str:
    """`child_data_in`'s finds in words: a child's UPN, or a date (of birth?)."""
    return "a child's UPN" if any(UPN_SHAPE.fullmatch(p) for p in found) else "a date (of birth?)"


def upns_in_names(schools: Table, issues: Issues) -> None:
    """A school's or a cluster's id or name that holds a UPN (however typed), or a name that holds a date (a
    date of birth typed beside it): ids and names are published in the Schools Forum pack, the cluster packs,
    every return and its file name, so a child's data there would be too: an error at the cell, the data hidden."""
    for column in (SCHOOL_ID, CLUSTER_ID, SCHOOL_NAME, CLUSTER_NAME):
        if column not in schools.frame.columns:
            continue
        named = column in (SCHOOL_NAME, CLUSTER_NAME)
        # (only the cells with a digit, which a UPN and a date both hold, read by Python's regex: the
        # look-arounds that keep a UPN whole)
        cells = schools.frame.select(ROW, pl.col(column).cast(pl.String)).filter(pl.col(column).str.contains(r"\d"))
        found = [(row, text, child_data_in(text, named)) for row, text in cells.sort(ROW).iter_rows()
                 if UPN_SHAPE.search(text) or (named and name_dates(text))]
        what = "names" if named else "ids"
        for row, text, personal in found[:MAX_LISTED]:
            issues.error("bad_value", f'"{text}" holds what looks like {child_data_kind(personal)}: schools\' and '
                         f"clusters' {what} are published (the Schools Forum pack, the cluster packs, the returns), "
                         "so correct it",
                         **schools.where(column, row), value=text, personal=tuple(personal),
                         expected=f"a{' name' if named else 'n id'} with no child's data in it")


def upn_letters(table: Table, issues: Issues) -> None:
    """Wrong check letters and temporary UPNs are warnings: the child may still be matched."""
    frame = table.frame
    if table.upn_suspects is not None and table.upn_suspects[0] is frame:  # found while parsing
        if table.upn_suspects[1].is_empty():  # every UPN a capital letter, 12 digits and a right check letter
            return
        frame = frame.filter(pl.col(ROW).is_in(table.upn_suspects[1].implode()))
    checked = upn_problems(table.readable(frame.select(ROW, UPN)), UPN, [ROW, UPN]).sort(ROW)
    messages = {"bad_letter": "has a wrong check letter (a typing slip in the UPN?)",
                "malformed": "is not a UPN: a check letter, then 12 digits (the last may be a letter)",
                "temporary": "is a temporary UPN (accepted; replace it with the permanent one when issued)"}
    for row, upn, status in checked.head(MAX_LISTED).iter_rows():
        issues.warn(f"upn_{status}", f'"{upn}" {messages[status]}', **table.where(UPN, row), value=upn,
                    expected="a letter then 12 digits, with a valid check letter")
    if checked.height > MAX_LISTED:
        issues.warn("upn_more", f"{checked.height - MAX_LISTED:,} more UPNs with a wrong check letter or not "
                    "a UPN", **table.where(UPN))


def school_clusters(schools: Table, issues: Issues) -> None:
    """A blank cluster is caught as an empty value; here, a cluster given two names (the row of the
    first school whose cluster name differs from the first one seen).  Schools with no cluster are
    no cluster's: their names are not compared."""
    if CLUSTER_NAME not in schools.frame.columns:
        return
    named = schools.frame.filter(pl.col(CLUSTER_NAME).is_not_null() & pl.col(CLUSTER_ID).is_not_null()).sort(ROW)
    differs = (named.with_columns(pl.col(CLUSTER_NAME).first().over(CLUSTER_ID).alias("_first_name"))
               .filter(pl.col(CLUSTER_NAME) != pl.col("_first_name")).unique(CLUSTER_ID, keep="first").sort(ROW))
    for rec in differs.iter_rows(named=True):
        issues.warn("cluster_names", f"cluster {rec[CLUSTER_ID]} is named '{rec[CLUSTER_NAME]}' here but "
                    f"'{rec['_first_name']}' above; the first name is used",
                    **schools.where(CLUSTER_NAME, rec[ROW]), value=rec[CLUSTER_NAME])


def _unpadded(school_ids: pl.Series) -> dict[str, list[str]]:
    """Each school id without its leading zeros → the schools' ids that are so (for `_another_form`)."""
    found: dict[str, list[str]] = {}
    for known in school_ids.drop_nulls().unique().sort().to_list():
        found.setdefault(known.lstrip("0"), []).append(known)
    return found


def _another_form(value: str, unpadded: dict[str, list[str]], urns: dict[str, str], school_ids: pl.Series,
                  names: pl.Series | None, file: str) -> tuple[str, str] | None:
    """(what is wrong, what was expected) for an unknown school id that is a school of the schools input written
    another way: as its URN (`urns`: URN → school_id), or with fewer or more leading zeros (`unpadded`: an id
    without them → the schools' ids); else None."""
    owner = urns.get(value)
    if owner is not None:  # the school's URN where its school_id (most often its DfE number) was wanted
        return (f"is not a school_id of the schools input but the URN of school {owner}"
                f"{_called(owner, school_ids, names)}, as the schools input's urn column gives it",
                f"'{owner}', the school's school_id as the schools input gives it")
    meant = [sid for sid in unpadded.get(value.lstrip("0"), []) if sid != value] if value.lstrip("0") else []
    if not meant:
        return None
    said = " or ".join(f"{sid}{_called(sid, school_ids, names)}" for sid in meant)
    # a workbook's cell may show zeros its number does not hold: a number format such as 00000000
    why = ("a number shown with leading zeros by its cell format, such as 00000000, holds none; a CSV file opened "
           "and saved in Excel drops them" if file.lower().endswith((".xlsx", ".xlsm", ".xls")) else
           "a CSV file opened and saved in Excel drops them")
    return (f"is not in the schools input, but {said} {'is' if len(meant) == 1 else 'are'}: the ids of {file} "
            f"have lost (or gained) leading zeros ({why})",
            f"{' or '.join(repr(sid) for sid in meant)}, as the schools input writes it: keep the column as text")


def _called(sid: str, school_ids: pl.Series, names: pl.Series | None) -> str:
    """' (Ashford Primary)': a school's name from the schools input, or '' without one."""
    if names is None:
        return ""
    found = names.filter(school_ids == sid)
    return f" ({found[0]})" if len(found) and found[0] not in (None, "", sid) else ""


def census_outside(census: Table, school_ids: pl.Series, issues: Issues, urns: dict[str, str] | None = None,
                   names: pl.Series | None = None) -> None:
    """Census rows at schools outside the schools input are not counted (e.g. special schools); but rows at a
    school the schools input holds under another form of its id (leading zeros lost; its URN, `urns`: URN →
    school_id) are an error: the children would otherwise all seem to have left their school."""
    ids = census.frame[SCHOOL_ID]
    if isinstance(ids.dtype, pl.Enum):  # a compact census: the schools are its categories
        found = ids.dtype.categories
        outside = found.filter(~found.is_in(school_ids.implode()))
        if outside.is_empty():
            return
        rows = census.frame.filter(pl.col(SCHOOL_ID).is_in(outside.implode()))
    else:
        inside = ids.is_in(school_ids.implode())
        if inside.all():
            return
        rows = census.frame.filter(~inside)
    out = (census.readable(rows.group_by(SCHOOL_ID).agg(pl.len().alias("n"), pl.col(ROW).min().alias("first")))
           .sort(SCHOOL_ID))
    if rows.height >= 0.9 * census.frame.height and census.frame.height >= 10:  # (nearly) no child at a known school
        other_ids(census, out[SCHOOL_ID], school_ids, issues, f"{rows.height:,} of the census's "
                  f"{census.frame.height:,} rows are at schools not in the schools input")
        return
    unpadded = {}
    for known in school_ids.drop_nulls().unique().sort().to_list():
        unpadded.setdefault(known.lstrip("0"), known)
    slashed = _slashed_ids(school_ids)  # 926/2003 in the schools input, 9262003 in the census
    plain = set(school_ids.drop_nulls().to_list())  # … and the other way round
    for sid, n, first in out.iter_rows():  # (a UPN or a date of birth pasted into the school cell: Issue hides it)
        owner = (urns or {}).get(sid) if sid else None
        at = f"{n:,} census row{'s' if n != 1 else ''} at school {sid}"
        if owner is not None:  # the school given by its URN, where the schools input keys it by its DfE number
            issues.error("unknown_school", f"{at}, which is not a school_id of the "
                         f"schools input but the URN of school {owner}{_called(owner, school_ids, names)}, as the "
                         "schools input's urn column gives it: read as another school, these children would seem to "
                         "have left theirs",
                         **census.where(SCHOOL_ID, first), value=sid,
                         expected=f"'{owner}', the school's school_id as the schools input gives it (the census's "
                         "school ids are to be of the same kind as the schools input's)")
            continue
        meant = unpadded.get(sid.lstrip("0")) if sid and sid.lstrip("0") else None
        if meant is not None:  # the census lost (or gained) leading zeros: its children would all look moved
            issues.error("unknown_school", f"{at}, which is not in the schools input, "
                         f"but {meant} is: the census's school ids have lost their leading zeros (a CSV file opened "
                         "and saved in Excel drops them), so these children would seem to have left their school",
                         **census.where(SCHOOL_ID, first), value=sid,
                         expected=f"'{meant}', as the schools input writes it: export the census again without "
                         "opening it in Excel, or as .xlsx, with the column as text")
            continue
        written = _written_apart(sid, slashed, plain)
        if written is not None:  # one school's DfE number written with a separator in one input, not the other
            issues.error("unknown_school", f"{at}, which is not in the schools input, but {written} is: one of the "
                         "two writes the DfE number with a separator (LA/establishment), so these children would "
                         "seem to have left their school", **census.where(SCHOOL_ID, first), value=sid,
                         expected=f"'{written}', as the schools input writes it (the same form of a DfE number in "
                         "both inputs: 7 digits, no separator, is the usual)")
            continue
        issues.warn("census_outside", f"{at}, which is not in the schools input: "
                    "not counted", **census.where(SCHOOL_ID, first), value=sid)


def _written_apart(sid: str | None, slashed: dict[str, str], plain: set[str]) -> str | None:
    """The schools input's id that `sid` is but for a separator in its DfE number (`926/2003` for `9262003`, or
    the other way round; `slashed`: _slashed_ids), else None."""
    if not sid:
        return None
    if re.fullmatch(SLASHED_DFE, sid.strip()):
        digits = _digits(sid)
        return digits if digits in plain else slashed.get(digits)
    return slashed.get(sid.strip()) if re.fullmatch(r"\d{7}", sid.strip()) else None


def other_dobs(matches: pl.DataFrame) -> pl.DataFrame:
    """Children whose statement gives another date of birth than their census row: upn, statement_dob,
    census_dob, from `matches` (the statement children's census rows with their statement_dob, as
    `pipeline.census_matches`: the one join of the census with the statements)."""
    return (matches.filter(pl.col("statement_dob") != pl.col(DOB))
            .select(UPN, "statement_dob", pl.col(DOB).alias("census_dob")))


def taught_years(census: Table, census_date: date, dobs: pl.DataFrame, issues: Issues,
                 matches: pl.DataFrame) -> None:
    """A taught year that differs from the age-based year is reported; funding follows age (FAQ 4–5).

    The age comes from the statement's date of birth where the child has one (`dobs`: upn,
    statement_dob).  Only rows that can differ are looked at: those whose taught year differs by the
    census date of birth, and those of children whose statement gives another date of birth."""
    if NC_YEAR_TAUGHT not in census.frame.columns:
        return
    differ = census.keys_of(other_dobs(matches)[UPN])
    taught = census.frame.lazy().select(ROW, UPN, NC_YEAR_TAUGHT, DOB).filter(pl.col(NC_YEAR_TAUGHT).is_not_null())
    maybe = _not_aged(pl.col(NC_YEAR_TAUGHT), pl.col(DOB), census_date)
    if len(differ):
        maybe = maybe | pl.col(UPN).is_in(differ.implode())
    rows = census.readable(collect(taught.filter(maybe), streaming=True))  # (a few: UPNs as text)
    aged = (rows.join(dobs, on=UPN, how="left")
            .with_columns(nc_year(pl.coalesce("statement_dob", DOB), census_date).alias("_age"))
            .filter(pl.col(NC_YEAR_TAUGHT) != pl.col("_age")).sort(ROW))
    census_date_off(census, census_date, aged, issues)
    for row, upn, taught, age in aged.select(ROW, UPN, NC_YEAR_TAUGHT, "_age").head(MAX_LISTED).iter_rows():
        issues.warn("taught_year", f"taught in year {_year(taught)} but age-based year is {_year(age)}; "
                    "funding follows the age-based year (FAQ 4-5)", **census.where(NC_YEAR_TAUGHT, row),
                    value=_year(taught), child=upn)
    if aged.height > MAX_LISTED:
        issues.warn("taught_year", f"{aged.height - MAX_LISTED:,} more taught-year differences",
                    **census.where(NC_YEAR_TAUGHT))


def census_date_off(census: Table, census_date: date, aged: pl.DataFrame, issues: Issues) -> None:
    """One warning, before the rows' own, when most pupils with a year taught are taught a year above (or
    below) their age-based year, by the same year: ages are then worked out on the wrong day, and the
    likeliest cause is a census_date a year out (the funding year's label taken for the census's)."""
    given = census.frame.height - census.frame[NC_YEAR_TAUGHT].null_count()
    if given < 20 or aged.height < given / 2:
        return
    off, n = aged.select((pl.col(NC_YEAR_TAUGHT) - pl.col("_age")).alias("_off")).to_series().value_counts(
        sort=True).row(0)
    if abs(off) != 1 or n < aged.height * 0.8:
        return
    fits = shift_years(census_date, off)
    issues.warn("census_date_year", f"{n:,} of the {given:,} pupils with a year taught are taught a year "
                f"{'above' if off > 0 else 'below'} their age-based year on census_date {census_date:%d/%m/%Y}: "
                f"census_date is most likely a year {'early' if off > 0 else 'late'} (their years fit a census_date "
                f"of {fits:%d/%m/%Y}), and every age, phase and pupil count of the run with it",
                **census.where(NC_YEAR_TAUGHT), expected="the day the census was taken, as census_date in the config")


_TAUGHT = range(-2, 15)  # every taught year a census cell parses to (N1 … 14)


def _not_aged(taught: pl.Expr, dob: pl.Expr, census_date: date) -> pl.Expr:
    """`taught != nc_year(dob, census_date)`, as a range of birth dates looked up by the taught year (year t
    is born 1 September A-5-t to 31 August A-4-t): no year worked out for each of 8 million pupils."""
    a = academic_year(census_date)
    first = pl.Series([date(a - 5 - t, 9, 1) for t in _TAUGHT], dtype=pl.Date)
    last = pl.Series([date(a - 4 - t, 8, 31) for t in _TAUGHT], dtype=pl.Date)
    at = (taught - _TAUGHT[0]).clip(0, len(_TAUGHT) - 1)
    outside = ~taught.is_between(_TAUGHT[0], _TAUGHT[-1])
    return outside | (dob < pl.lit(first).gather(at)) | (dob > pl.lit(last).gather(at))


def _year(nc: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(nc, str(nc))


def dob_differs(statements: Table, issues: Issues, matches: pl.DataFrame, first: pl.DataFrame) -> None:
    """A date of birth that differs between census and statements (`matches`, as `other_dobs`): statements
    win, the date of each child's first statement row (`first`: `_row`, upn, date_of_birth)."""
    differ = other_dobs(matches)
    # a dual-registered child has several census rows (§11.5): one warning per statement row
    joined = (first.join(differ.select(UPN, "census_dob").unique(UPN, keep="first", maintain_order=True), on=UPN,
                         how="inner").sort(ROW))
    for row, upn, dob, cdob in joined.head(MAX_LISTED).iter_rows():
        issues.warn("dob_differs", f"date of birth {dob:%d/%m/%Y} differs from the census ({cdob:%d/%m/%Y}); "
                    "the statement's is used", **statements.where(DOB, row),
                    personal=(f"{dob:%d/%m/%Y}", f"{cdob:%d/%m/%Y}"), child=upn)
    if joined.height > MAX_LISTED:
        issues.warn("dob_differs", f"{joined.height - MAX_LISTED:,} more dates of birth differing from the census",
                    **statements.where(DOB))


def moves_reasons(moves: Table, school_ids: pl.Series, issues: Issues, transfer_keeps: bool = False,
                  names: pl.Series | None = None, urns: dict[str, str] | None = None) -> None:
    """A managed move's receiving school must be in the schools input (it carries PSF there); so must a
    transfer's under `transfer: keeps`, which carries PSF the same way (SPEC §11.10)."""
    carrying = ["managed_move", "transfer"] if transfer_keeps else ["managed_move"]
    unknown_schools(moves, TO_SCHOOL, school_ids, issues, "receiving school",
                    only=pl.col(REASON).is_in(carrying), names=names, urns=urns)
    same_school_moves(moves, issues)


def same_school_moves(moves: Table, issues: Issues) -> None:
    """A warning for a move whose receiving school is the school it is from: most often one school typed in both
    cells, and as a casual move (or a transfer under `transfer: ends`) it ends the child's PSF (SPEC §3) though
    the child stays where they were."""
    def folded(col: str) -> pl.Expr:  # (a casual move's receiving school is not looked up: ASH01 and ash01 too)
        return pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase()

    same = moves.frame.filter(folded(FROM_SCHOOL) == folded(TO_SCHOOL)).sort(ROW)
    for row, school, to, reason in same.select(ROW, FROM_SCHOOL, TO_SCHOOL, REASON).head(MAX_LISTED).iter_rows():
        to_words = "the same school" if to == school else f"{to}, the same school in other capitals"
        issues.warn("move_same_school", f"moves the child from {school} to {to_words} ({reason}): one school typed "
                    "in both cells? A casual move, or a transfer under transfer: ends, ends the child's PSF though the "
                    "child stays where they were", **moves.where(TO_SCHOOL, row), value=str(to),
                    expected="the school the child moved to")


#: Said of a UPN on two census rows where the census gives no enrolment status.
DUAL_REGISTERED = (". If the child is on two schools' rolls (a dual registration), give the census's enrolment status "
                   "column (C, M, S, G), mapped as enrol_status: only the main registration, C or M, is counted "
                   "(docs/inputs.md)")
#: The same, where the status column is read: the child has two main registrations.
TWO_MAIN = (". A child has one main registration (C or M): if the child is on two schools' rolls (a dual "
            "registration), mark the other school's row S (subsidiary) or G (guest) rather than delete it "
            "(docs/inputs.md)")


def census_registrations(census: Table, issues: Issues) -> None:
    """One UPN may be on several census rows only if at most one of them is a main registration,
    C or M; subsidiary (S) and guest (G) rows may repeat it (a dual registration, SPEC §11.5)."""
    if ENROL_STATUS not in census.frame.columns or census.frame[ENROL_STATUS].is_in(COUNTED_ENROL).all():
        duplicates(census, [UPN], issues, "UPN", detail=SCHOOL_ID if SCHOOL_ID in census.frame.columns else None,
                   hint=TWO_MAIN if ENROL_STATUS in census.headers else DUAL_REGISTERED)
        return
    # only the columns the check reads: filtering the whole census would copy every column of it
    main = census.frame.select(ROW, UPN, ENROL_STATUS).filter(pl.col(ENROL_STATUS).fill_null("C").is_in(COUNTED_ENROL))
    duplicates(replace(census, frame=main), [UPN], issues, "UPN (registered C or M)", hint=TWO_MAIN)


def no_statements(statements: Table, issues: Issues) -> None:
    """A statements input with headers and no rows is valid, but worth saying: all PSF is 0 (§11.10)."""
    if statements.frame.height == 0:
        issues.warn("no_statements", "the statements input has no rows: all PSF is 0", **statements.where())


def born_after_statement(statements: Table, issues: Issues) -> None:
    """A warning where a child's date of birth is after the statement's date: no statement is made for a child
    not yet born, so one of the two is typed wrong (a year slipped), and the date of birth decides the
    age-based year, the phase, and so the PSF (SPEC §2, §3).  Both dates are hidden: either may be the birth."""
    frame = statements.frame
    bad = frame.filter(pl.col(DOB) > pl.col(STATEMENT_DATE)).sort(ROW)
    for row, upn, dob, issued in bad.select(ROW, UPN, DOB, STATEMENT_DATE).head(MAX_LISTED).iter_rows():
        issues.warn("born_after_statement", f"date of birth {dob:%d/%m/%Y} is after the statement's date "
                    f"{issued:%d/%m/%Y}: one of them is typed wrong (the date of birth sets the child's year, and "
                    "so when PSF ends)", **statements.where(DOB, row), child=upn,
                    # (both hidden: the statement's date may be the date of birth, the two columns swapped)
                    personal=(f"{dob:%d/%m/%Y}", f"{issued:%d/%m/%Y}"), expected="a date of birth before the "
                    "statement's date")
    if bad.height > MAX_LISTED:
        issues.warn("born_after_statement", f"{bad.height - MAX_LISTED:,} more dates of birth after their "
                    "statement's date", **statements.where(DOB))


def dob_rows_differ(statements: Table, issues: Issues, first: pl.DataFrame, several: pl.DataFrame) -> None:
    """A warning on each statement row whose date of birth differs from the child's first row's (`first`:
    `_row`, upn, date_of_birth; SPEC §11.11: the first row's holds for the history, and for the child's
    age wherever it is used): one of them is typed wrong.  `several`: the rows of children with more
    than one (the others cannot differ).  The dates are hidden as always."""
    other = (several.lazy().select(ROW, UPN, DOB)
             .join(first.lazy().select(UPN, pl.col(ROW).alias("_first"), pl.col(DOB).alias("_first_dob")), on=UPN)
             .filter(pl.col(DOB) != pl.col("_first_dob")).sort(ROW).collect())
    for row, upn, dob, first_row, first_dob in other.head(MAX_LISTED).iter_rows():
        issues.warn("dob_rows_differ", f"date of birth {dob:%d/%m/%Y} differs from the one on row {first_row} "
                    f"({first_dob:%d/%m/%Y}), the child's first statement row, which is used: one of them is typed "
                    "wrong", **statements.where(DOB, row), personal=(f"{dob:%d/%m/%Y}", f"{first_dob:%d/%m/%Y}"),
                    child=upn, expected=f"the date of birth of row {first_row}")
    if other.height > MAX_LISTED:
        issues.warn("dob_rows_differ", f"{other.height - MAX_LISTED:,} more statement rows whose date of birth "
                    "differs from the child's first row's", **statements.where(DOB))

