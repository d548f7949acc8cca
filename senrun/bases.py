"""The schools input as the formula's bases read it (SPEC §1, §11.1, §11.2): need columns kept
exactly as written, blank clusters only outside the formula, the council's pupil numbers.

Loops here run over schools, never over pupils.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation

import polars as pl

from .checks import MAX_LISTED, MAX_UNITS, MAX_UNITS_TOTAL, spelt_otherwise
from .config.loader import Config
from .errors import Issues
from .inputs import parse
from .inputs.headers import norm
from .inputs.load import Table
from .inputs.schema import CLUSTER_ID, IN_FORMULA, PUPILS, PUPILS_OVERRIDE, ROW, SCHOOL_ID, SUCCESSOR_ID
from .money import round_half_away
from .schools import in_formula, open_in_period, shut_all_period, taker
from .succession import Successions


def parse_need_column(schools: Table, name: str, issues: Issues, cfg: Config) -> None:
    """A need column's values kept exactly as written, as decimal text ("0.34234786"; blank is 0): the
    formula uses every digit (SPEC §1), so it is never turned into a binary float."""
    from .inputs.cells import HALF_FLOAT, HALF_WORDS, as_shown

    if schools.frame.schema[name] == HALF_FLOAT:  # no value of it is as meant: one error, at the column
        issues.error("bad_value", HALF_WORDS[0].upper() + HALF_WORDS[1:], **schools.where(name),
                     expected="a double (float64) or decimal column")
        schools.frame = schools.frame.with_columns(pl.lit("0").alias(name))
        return
    if schools.frame.schema[name] == pl.String:
        texts = schools.frame[name]
    else:
        texts = as_shown(schools.frame[name])  # a typed number cell as a person sees it
    exact, total = [], Decimal(0)
    for row, raw in zip(schools.frame[ROW].to_list(), texts.to_list()):
        value = exact_number(raw)
        if value is None:
            issues.error("bad_value", need_message(raw), **schools.where(name, row),
                         expected=f"a number of units, 0 to {MAX_UNITS:,}")
        else:
            total += value
        exact.append(format(value, "f") if value is not None else "0")
    if total > MAX_UNITS_TOTAL:
        issues.error("too_large", f"the column adds up to {total:,.0f} units, more than the {MAX_UNITS_TOTAL:,} "
                     "senrun can share a pot by", **schools.where(name))
    _warn_blank_need(schools, name, texts, issues, cfg)
    schools.frame = schools.frame.with_columns(pl.Series(name, exact, dtype=pl.String))


def _warn_blank_need(schools: Table, name: str, texts: pl.Series, issues: Issues, cfg: Config) -> None:
    """One warning where schools in the formula (and open in the period) have a blank need cell: read
    as 0, each gets nothing from the element shared by that column, which a cell left empty by mistake would
    not mean (all blank: the column is no need measure at all, said by the formula's own check)."""
    blank = texts.cast(pl.String).str.strip_chars().fill_null("") == ""
    taking = schools.frame.select(in_formula(schools.frame) & open_in_period(schools.frame, cfg)).to_series()
    rows = schools.frame.filter(blank & taking).select(ROW, SCHOOL_ID)
    if rows.is_empty() or rows.height == int(taking.sum()):
        return
    listed = ", ".join(f"{school} (row {row:,})" for row, school in rows.head(5).iter_rows())
    issues.warn("need_blank", f"{rows.height:,} school(s) in the formula have no value in this need column, read "
                f"as 0 (nothing from the element it shares): {listed}{' …' if rows.height > 5 else ''}",
                **schools.where(name), expected="a number for every school in the formula, 0 where it is 0")


#: The most pupils one school's cell may give (no school has a million; the bound keeps every sum exact).
MAX_PUPILS = 1_000_000


def check_pupil_columns(schools: Table, issues: Issues) -> None:
    """The `pupils` and `pupils_override` cells: a number of pupils from 0 to MAX_PUPILS (rounded to a
    whole pupil where used).  A negative count or 10^30 had been taken as given: shares below zero, or a
    sum that wrapped round (SPEC §1, §5)."""
    for column in (PUPILS, PUPILS_OVERRIDE):
        if column not in schools.frame.columns or not schools.frame.schema[column].is_numeric():
            continue
        value = pl.col(column)
        bad = schools.frame.filter(value.is_not_null() & (value.is_nan() | (value < 0) | (value > MAX_PUPILS)))
        for row, number in bad.select(ROW, column).head(MAX_LISTED).iter_rows():
            shown = _as_written(number)
            issues.error("bad_value", f"{shown} is not a number of pupils from 0 to {MAX_PUPILS:,}",
                         **schools.where(column, row), value=shown, expected=f"a number of pupils, 0 to {MAX_PUPILS:,}")


def _as_written(number: float) -> str:
    """A count as a person wrote it (1,000,001; 1,000,000.004; -0.001), never rounded onto a bound."""
    shown = f"{number:,.6f}".rstrip("0").rstrip(".") if abs(number) < 1e15 else f"{number:g}"
    return shown if float(shown.replace(",", "")) == number else repr(number)


#: The most decimal places a need value may have (its units are whole 10^-15ths at the finest).
MAX_DECIMALS = 15


#: Said of a need value with more decimal places than senrun takes: most often a formula's result (a share of a total,
#: 1/30 is 0.0333333333333333 to the 15 digits Excel shows: 16 places).
_ROUND_IT = (": a formula's result, or a figure exported in full? Round the column to 15 places or fewer where it "
             "is worked out (in Excel, =ROUND(…, 12)), so that the figure senrun shares by is the one you see")


def need_message(raw: str) -> str:
    """Why a need cell is not a number of units, and what to change: the inputs' words for an Excel error and a
    formula saved without its value (cells.bad_message), a per cent's sign, or too many places."""
    from .inputs.cells import EXCEL_ERROR_WORDS, UNCALCULATED_WORDS

    text = str(raw).strip()
    if re.fullmatch(parse.EXCEL_ERROR, text):
        return f'"{text}"{EXCEL_ERROR_WORDS}'
    if text.startswith(parse.UNCALCULATED):
        return f'"{text.removeprefix(parse.UNCALCULATED)}"{UNCALCULATED_WORDS}'
    said = (f'"{text}" is not a number of units from 0 to {MAX_UNITS:,} with at most {MAX_DECIMALS} decimal places')
    if re.fullmatch(r"\d[\d,]*(?:\.\d+)?\s*%", text):
        return (said + ": it is a per cent (as Excel saves a cell formatted as one); write the column's figures "
                f"without the % sign, the same way on every row ({text.rstrip('% ')} for {text}; an element's rate is "
                "then per one per cent)")
    return said + (_ROUND_IT if _too_many_places(raw) else "")


def _too_many_places(raw: str | None) -> bool:
    """Whether a need cell is a number of 0 or more refused only for its decimal places."""
    try:
        value = Decimal((raw or "").strip().replace(",", ""))
    except InvalidOperation:
        return False
    return value.is_finite() and 0 <= value <= MAX_UNITS and -value.normalize().as_tuple().exponent > MAX_DECIMALS


def exact_number(raw: str | None) -> Decimal | None:
    """A cell's number exactly (commas allowed); blank is 0; None if it is not a number of 0 or more."""
    text = (raw or "").strip().replace(",", "")
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.is_finite() and value.as_tuple().exponent < -MAX_DECIMALS:
        value = value.normalize()  # zeros past the 15th place are no digits (a decimal(38, 18) column's 84.5)
    # inf, NaN, 1e308 and 1e-400 are refused: a need value is a count or an index, not a limit case
    if not value.is_finite() or value < 0 or value > MAX_UNITS or -value.as_tuple().exponent > MAX_DECIMALS:
        return None
    return value


def check_blank_clusters(schools: Table, issues: Issues, successors: set[str] = frozenset()) -> None:
    """A blank cluster_id is allowed only for a setting outside the formula (SPEC §11.2), or a successor,
    which takes its predecessors' (§11.1; `successors`: those whose succession is in error, said already);
    elsewhere it is the same "is empty" error as any required cell."""
    from .inputs.reading import empty_message

    told = {i.row for i in issues.errors if (i.file, i.sheet, i.field) == (schools.file, schools.sheet, CLUSTER_ID)}
    blank = schools.frame.filter(pl.col(CLUSTER_ID).is_null() & in_formula(schools.frame)
                                 & ~pl.col(ROW).is_in(list(told))  # (a successor's: said already)
                                 & ~pl.col(SCHOOL_ID).is_in(list(successors))).sort(ROW)
    for row in blank.head(MAX_LISTED)[ROW].to_list():
        words = empty_message(schools.merged, schools.headers.get(CLUSTER_ID), row)  # (inside merged cells: says so)
        issues.error("empty_value", words, **schools.where(CLUSTER_ID, row),
                     expected="the cluster the school belongs to (every mainstream school has one, and shares in the "
                     "formula through it); a special school, PRU, nursery or other setting "
                     "outside the formula may be left blank if the schools input says so in an in_formula column "
                     "(no on its row; map the column as in_formula)")


def check_cluster_spelling(schools: Table, issues: Issues) -> None:
    """Cluster ids that differ only in capitals, spaces, punctuation or a number's leading zeros ('Thetford',
    'thetford', 'North-East', 'North East'; '1' typed as a number and '01' as text) are an error: they would be
    two clusters, each with its own share, where the council meant one."""
    same = (pl.col(CLUSTER_ID).str.normalize("NFKC").str.to_lowercase()  # (Ⅱ and II, ２ and 2: alike on screen)
            .str.replace_all(r"(^|[^0-9.])0+([0-9])", "${1}${2}").str.replace_all(r"[\s\-_.,/']+", ""))
    ids = spelt_otherwise(schools.frame, CLUSTER_ID, same).unique(CLUSTER_ID, keep="first").sort(ROW)
    for row, cluster, first, first_row in ids.select(ROW, CLUSTER_ID, "_first", "_first_row").head(MAX_LISTED).rows():
        issues.error("cluster_spelling", f"cluster_id '{cluster}' differs from '{first}' (row {first_row}) only in "
                     "capitals, spaces, punctuation, leading zeros or characters that look alike (full-width, Roman "
                     "numerals): they would be two clusters, each with its own share",
                     **schools.where(CLUSTER_ID, row), value=cluster,
                     expected=f"the same spelling on every row of one cluster ('{first}')")


#: The warning on a `pupils_override` that changes nothing (`check_overrides`).
OVERRIDE_UNUSED = "pupils_override_unused"


def check_overrides(schools: Table, successions: Successions, cfg: Config, issues: Issues) -> None:
    """A warning at each `pupils_override` that sets no school's pupils, saying why: its school is open on no
    day of the period (it has no row, SPEC §11.11) or is outside the formula (it counts in no basis, §11.2).
    `warn_overrides` leaves these out of its list of the overrides applied."""
    frame = schools.frame
    if PUPILS_OVERRIDE not in frame.columns or frame[PUPILS_OVERRIDE].null_count() == frame.height:
        return
    column, given = schools.headers.get(PUPILS_OVERRIDE, PUPILS_OVERRIDE), pl.col(PUPILS_OVERRIDE).is_not_null()
    values = dict(frame.filter(given).select(ROW, PUPILS_OVERRIDE).iter_rows())
    unused = []
    for row, sid, why, _ in shut_all_period(schools, cfg, given):
        successor = taker(sid, frame, successions, cfg)
        todo = (f"set it on {successor}, which takes over its pupils, if that was meant, or leave it blank"
                if successor else "leave it blank")
        unused.append((row, f"school {sid} is open on no day of the period ({why}), so it has no row: its {column} "
                       f"{_whole_number(values[row])} sets no school's pupils; {todo}"))
    shut = {row for row, _ in unused}
    for row, sid in frame.filter(given & ~in_formula(frame)).select(ROW, SCHOOL_ID).iter_rows():
        if row not in shut:
            unused.append((row, f"school {sid} is outside the formula ({schools.headers.get(IN_FORMULA, IN_FORMULA)}: "
                           f"no), which counts no pupils there (SPEC §11.2): its {column} {_whole_number(values[row])} "
                           "sets no school's pupils; leave it blank"))
    for row, text in sorted(unused)[:MAX_LISTED]:
        issues.warn(OVERRIDE_UNUSED, text, **schools.where(PUPILS_OVERRIDE, row), value=_whole_number(values[row]),
                    expected="blank")
    if len(unused) > MAX_LISTED:
        issues.warn(OVERRIDE_UNUSED, f"{len(unused) - MAX_LISTED:,} more {column} values that set no school's pupils",
                    **schools.where(PUPILS_OVERRIDE))


def warn_overrides(frame: pl.DataFrame, schools: Table, cfg: Config, issues: Issues) -> None:
    """One warning listing every school whose pupils the council set, with the count it replaced (SPEC §11.1):
    only the overrides applied — at a school in the formula with a row this period — not those
    `check_overrides` found set no school's pupils."""
    applied = in_formula(frame) & open_in_period(frame, cfg)
    rows = frame.filter(pl.col(PUPILS_OVERRIDE).is_not_null() & applied).sort(SCHOOL_ID)
    if rows.is_empty():
        return
    listed = [f"{sid} {_whole_number(v)} (counted {counted})" for sid, v, counted in
              rows.select(SCHOOL_ID, PUPILS_OVERRIDE, "_basis_pupils").iter_rows()]
    issues.warn("pupils_override", f"pupils_override sets the pupils of {len(listed)} school(s): "
                + "; ".join(listed), **schools.where(PUPILS_OVERRIDE))


def warn_pupils_twice(frame: pl.DataFrame, schools: Table, edges: pl.DataFrame, cfg: Config, issues: Issues) -> None:
    """Without a pupil-level census, a school and its successor in the period that each count pupils from the
    schools input's `pupils` column: each count is the council's figure for the whole year, however long the
    school is open (SPEC §11.11), so the pupils who went from one to the other would be counted twice.  One
    warning, at the successor's pupils cell, naming both counts."""
    counted = frame.filter(in_formula(frame) & open_in_period(frame, cfg) & (pl.col("_basis_pupils") > 0))
    pairs = (edges.join(counted.select(SCHOOL_ID, pl.col("_basis_pupils").alias("_was")), on=SCHOOL_ID)
             .join(counted.select(pl.col(SCHOOL_ID).alias(SUCCESSOR_ID), "_basis_pupils", ROW), on=SUCCESSOR_ID)
             .sort(ROW))
    if pairs.is_empty():
        return
    column = schools.headers.get(PUPILS, PUPILS)
    shown = pairs.head(MAX_LISTED).select(SCHOOL_ID, SUCCESSOR_ID, "on", "_was", "_basis_pupils").iter_rows()
    listed = "; ".join(f"{old} ({was:,}) and {new} ({now:,}), which took over on {on:%d/%m/%Y}"
                       for old, new, on, was, now in shown)
    more = f"; and {pairs.height - MAX_LISTED:,} more" if pairs.height > MAX_LISTED else ""
    issues.warn("pupils_twice", f"a school and the school that took over from it in the period both count pupils in "
                f"the {column} column (or their pupils_override): {listed}{more}. Without a pupil-level census each "
                "figure counts for the whole year, however long the school is open (SPEC §11.11), so children who "
                "moved with the change are counted at both; give each school the pupils it should count (0 for a "
                "school whose pupils the other counts)", **schools.where(PUPILS, pairs[ROW][0]))


def _whole_number(value: float) -> str:
    """A council's pupils figure as counted: a whole number, rounded half away from zero (SPEC §1)."""
    whole = round_half_away(Decimal(repr(value)))
    return str(whole) if value == whole else f"{value} (rounded to {whole})"


def unknown_basis_column(schools: Table, cfg: Config, n: int, name: str, issues: Issues) -> None:
    """A `column:` basis naming no column of the schools input: an error at its config line, naming the
    columns `column:` can take (by senrun's name after the `columns:` map) and the likeliest meant."""
    usable = [c for c in schools.frame.columns if c != ROW and c in schools.headers]  # present in the file
    by_header = {schools.headers[c]: c for c in usable if schools.headers[c] != c}
    if name in by_header:
        hint = f": its header '{name}' is mapped to {by_header[name]} (the columns: map), so write column:{by_header[name]}"
    else:
        # (as a person writes it: `idaci_score` for the header `IDACI Score`, capitals and spaces aside)
        plain = {norm(c): c for c in usable}
        close = difflib.get_close_matches(norm(name), list(plain), n=1, cutoff=0.6)
        hint = f": did you mean column:{plain[close[0]]}?" if close else ""
    key = f"formula.elements[{n}].basis"
    issues.error("config", f"element '{cfg.elements[n].name}' uses column '{name}', which the schools input does "
                 f"not have{hint} (columns: {', '.join(usable)})", file=cfg.path.name, row=cfg.lines.get(key),
                 column=key, expected="column:<a numeric column of the schools input, by its name after the "
                 "columns: map>")
