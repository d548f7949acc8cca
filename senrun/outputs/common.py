"""What every writer of the outputs shares: limits, fixed text, money columns, the config flattened.

Kept free of Polars so that the processes writing the per-school returns start quickly.
"""

from __future__ import annotations

import re
from datetime import datetime

from ..config.yamlsafe import typed_text
from ..errors import Issues

#: A table with more rows than this is written as CSV only; its sheet says where (SPEC §6).
MAX_SHEET_ROWS = 100_000

#: The creation time stamped in every workbook, so that re-runs are byte-identical (SPEC §6).
FIXED_CREATED = datetime(2000, 1, 1)
#: The zip code of the system every part of a workbook is recorded as made on: Unix.  zipfile records the
#: system it runs on (0, MS-DOS, on Windows), so a workbook written on Windows differed in a byte of every
#: part from the same run's elsewhere (SPEC §6).  XlsxWriter is set to it in `xlsxpack`.
MADE_ON_UNIX = 3

#: SPEC §11.8 `delegation:`: how the cluster's money is held this year (FAQ 18, 27).
HELD = {
    "devolved": "devolved: held by the local authority for the cluster to decide how it is used",
    "delegated": "delegated to school budgets, for the cluster to agree how it is used",
}


def notional_note(delegation: str, whose: str = "Your") -> str:
    """The note on a school's notional cluster share, worded for the year's `delegation:`."""
    held = HELD.get(delegation, HELD["delegated"])
    subject = "Your cluster share is" if whose == "Your" else "A school's cluster share is"
    return f"{subject} notional: the cluster's allocation is {held} (FAQ 2, 13, 18)."


FORMULA_PREFIX = "formula_"

#: Integer columns that hold pence in the run's frames (plus every formula_<element>).
MONEY_COLUMNS = frozenset({
    "ssa", "psf", "cluster_share", "cluster_allocation", "total",
    "annual_amount", "paid_amount", "released_amount", "amount",
    "previous_total", "current_total", "change", "element_total", "entitlement",
    "change_psf_runoff", "change_pupil_numbers", "change_formula", "change_other", "change_protection",
    "change_per_pupil",
    "last_year_paid", "this_year_paid",  # the Reconciliation with last year's register (§11.4)
})
#: Money columns that are rates, not amounts: a totals row leaves them blank (docs/outputs.md).
UNSUMMED_RATES = frozenset({"change_per_pupil"})

#: A cell beginning with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

FILE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


#: Columns of rates in £ per unit (the Workings' `parameter` once its shares read as per cents), shown under
#: the rate format: to the penny, and more places only where a rate has them.
RATE_COLUMNS = frozenset({"parameter"})


def is_money(name: str) -> bool:
    """Whether a column of that name holds integer pence."""
    return name in MONEY_COLUMNS or name.startswith(FORMULA_PREFIX)


#: Names Windows keeps for devices, whatever their case and extension (`CON.xlsx` cannot be created).
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{p}{d}" for p in ("COM", "LPT") for d in range(10))})


def return_file_stem(school_id: str) -> str:
    """The stem of a school's return: characters other than ASCII letters, digits, - and _ become _,
    and a name Windows keeps for a device (CON, nul, Com1, LPT9, …) gets a _ after it."""
    stem = FILE_NAME_UNSAFE.sub("_", school_id) or "_"
    return stem + "_" if stem.upper() in WINDOWS_RESERVED else stem


#: The longest file-name stem (ASCII after return_file_stem) that leaves room for `.xlsx` and the
#: staging layer's temporary suffixes within the 255 bytes most file systems allow.
MAX_STEM = 200


def file_names(ids: list[str | None], folder: str, owner: str, kind: str) -> dict[str | None, str]:
    """Each id (a school's, a cluster's: `owner`) → `<folder>/<stem>.xlsx`, its `kind` of file (a
    return, a pack).  Two ids that would share a file are an error, and so is an id too long to
    name one: every such id at once, each at its field (`school_id`, `cluster_id`).  Names are
    compared ignoring case too, since the folder may be copied to Windows or a Mac, whose file
    systems do not tell `AB1.xlsx` from `ab1.xlsx`."""
    names: dict[str | None, str] = {}
    seen: dict[str, str | None] = {}
    found = Issues()
    for given in ids:
        text = given or ""
        stem = return_file_stem(text)
        where = {"column": f"{owner}_id", "field": f"{owner}_id", "value": text[:40]}
        if len(stem) > MAX_STEM:
            found.error("file_name", f"{owner} id {text[:40]!r}… is {len(text):,} characters: too long to name its "
                        f"{kind} file (at most {MAX_STEM}); shorten it in the schools input", **where)
            continue
        other = seen.setdefault(stem.casefold(), given)
        if other != given:
            found.error("file_name", f"{owner}s {other!r} and {given!r} would share the {kind} file "
                        f"{folder}/{stem}.xlsx ({_why_shared(other or '', text)}); change one of the {owner} ids",
                        **where)
        names[given] = f"{folder}/{stem}.xlsx"
    found.raise_if_errors()
    return names


def _why_shared(first: str, second: str) -> str:
    """Why two ids would name the same file (return_file_stem, compared ignoring case)."""
    if first.casefold() == second.casefold():
        return "names that differ only in capitals are one file on Windows and macOS"
    return "characters other than letters, digits, - and _ become _"


def senrun_version() -> str:
    """senrun's version: `senrun.__version__`, else the installed distribution's, else 0.0.0."""
    try:
        import senrun

        version = getattr(senrun, "__version__", None)
        if version:
            return str(version)
    except ImportError:  # pragma: no cover - senrun is importable wherever this runs
        pass
    try:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        return dist_version("senrun")
    except PackageNotFoundError:
        return "0.0.0"


def flatten_config(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """The config as (key path, value) rows: `budget.pupil_specific_pot`, `formula.elements[lump_sum].rate`.

    Items of a list of mappings are named by their `name` where they have one (and the name
    is then not repeated as a row of its own), else by index.
    Lists of plain values stay one row (their text).  Mappings keep the config's key order.
    """
    if isinstance(value, dict):
        if not value:
            return [(prefix, "{}")] if prefix else []
        rows: list[tuple[str, object]] = []
        for key, item in value.items():
            rows += flatten_config(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value):
        rows = []
        for i, item in enumerate(value):
            if isinstance(item, dict) and "name" in item and len(item) > 1:
                rest = {k: v for k, v in item.items() if k != "name"}  # the name is in the path
                rows += flatten_config(rest, f"{prefix}[{item['name']}]")
            else:
                rows += flatten_config(item, f"{prefix}[{i}]")
        return rows
    if isinstance(value, (list, tuple)):
        return [(prefix, "[" + ", ".join(plain_text(v) for v in value) + "]")]
    return [(prefix, value)]


def plain_text(value: object) -> str:
    """A config value as a person would type it in YAML: true/false, numbers, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return typed_text(value)  # digits as typed (a telephone number's leading zero), Word's quotes as YAML's


# --- words for people (plain English in every workbook) ------------------------------------

#: Each reason of SPEC §11.9 explained, after its code in every workbook (REASON_WORDS).
REASON_TEXT = {
    "continuing": "still protected at the end of the period",
    "stream_ended": "funding stream ended (SSMN or FYS, FAQ 9)",
    "phase_end": "left the protected phase at the end of its last year",
    "casual_move": "moved school (casual admission)",
    "transfer": "transferred school (e.g. infant to junior)",
    "not_in_census": "not found in the census",
    "ceased": "statement or plan ceased",
    "school_closed": "school closed with no successor",
    "stopped_last_year": "stopped last year (stays stopped)",
    "post_policy_statement": "statement issued on or after the day the cluster model began (no PSF)",
    "missing_from_statements": "paid last year, missing from this year's statements",
    "reinstated": "reinstated by the config (paid again)",
}
#: Each reason as every workbook shows it: SPEC §11.9's own word, which every output that lists reasons
#: uses (the CSVs hold it alone), then what it means for a reader who does not know the codes.
REASON_WORDS = {code: f"{code}: {text}" for code, text in REASON_TEXT.items()}

#: How the tables' columns are headed in the workbooks (the CSVs keep the code names).
COLUMN_LABELS = {
    "school_id": "School ID", "school_name": "School", "cluster_id": "Cluster ID", "cluster_name": "Cluster",
    "schools": "Schools", "pupils": "Pupils", "ssa": "SSA (£)", "psf": "PSF (£)",
    "cluster_share": "Cluster share, notional (£)", "cluster_allocation": "Cluster allocation (£)",
    "total": "Total (£)", "upn": "UPN", "stream": "Funding stream", "psf_school_id": "PSF held by (school ID)",
    "paid_school_id": "Paid to (school ID)", "paid_school_name": "Paid to (school)",
    "annual_amount": "Annual PSF (£)", "paid_from": "Paid from", "paid_to": "Paid to",
    "paid_amount": "Paid this period (£)", "released_amount": "Released (£)", "reason": "Why PSF stopped",
    "date_of_birth": "Date of birth", "protected_phase": "Protected phase", "stop_date": "PSF stops on",
    "units": "Units", "statements": "Statements", "level": "Level", "previous_total": "Last year (£)",
    "current_total": "This year (£)", "change": "Change (£)", "change_pct": "Change (%)",
    "change_per_pupil": "Change per pupil (£)", "flag": "Flagged", "note": "Note", "element": "Element",
    "parameter": "Rate or share", "exact_share": "Exact share (pence)", "floor_pence": "Whole pence",
    "extra_penny": "Extra penny", "amount": "Amount (£)", "key": "Setting", "value": "Value",
    "change_psf_runoff": "Change: PSF run-off (£)", "change_pupil_numbers": "Change: pupil numbers (£)",
    "change_formula": "Change: formula (£)", "change_other": "Change: other (£)",
    "change_protection": "Change: protection floor (£)",
    "code": "Kind", "where": "Where", "message": "Message", "count": "How many", "basis": "Shared by",
    "element_total": "Element total (£)", "exact_pence": "Exact share (pence)",
    "movement": "Movement", "histories": "Children", "last_year_school": "School last year (ID)",
    "last_year_paid": "Paid last year (£)", "last_year_reason": "Why it stopped last year",
    "this_year_school": "School this year (ID)", "this_year_paid": "Paid this year (£)",
    "this_year_reason": "Why it stopped this year",
}

#: Integer columns that are counts, summed in a table's totals row beside the money.
COUNT_COLUMNS = frozenset({"schools", "pupils", "statements", "histories"})


#: Acronyms kept in capitals when a name is turned into words (`sen_support` → "SEN support").
ACRONYMS = frozenset({"sen", "send", "ssa", "psf", "fsm", "pvi", "ehc", "ehcp", "ssmn", "fys"})


def first_capital(text: str) -> str:
    """`text` with its first letter a capital and every other as written (`KS2-3` stays, `primary` → Primary)."""
    return text[:1].upper() + text[1:]


def name_words(name: str) -> str:
    """A config name in words, as a heading: `per_pupil` → "Per pupil", `sen_support` → "SEN support",
    `fsm_ever6` → "FSM ever6" (ACRONYMS in capitals); the first letter made a capital and every other kept
    as the council wrote it (`KS2_pupils` → "KS2 pupils", not "Ks2 pupils")."""
    words = name.replace("_", " ").split(" ")
    text = " ".join(w.upper() if w.lower() in ACRONYMS else w for w in words)
    return first_capital(text)


def element_title(element) -> str:
    """An element's title for people: its `label:`, else its name in words (name_words)."""
    return getattr(element, "label", None) or name_words(element.name)


def element_titles(config) -> dict[str, str]:
    """Each formula element's name → its title (element_title); with them `protection`, the column
    formula.protection adds (SPEC §11.8), titled as its column is headed ("Protection")."""
    titles = {e.name: element_title(e) for e in getattr(config, "elements", ())}
    titles.setdefault("protection", name_words("protection"))
    return titles


def column_label(name: str, titles: dict[str, str] | None = None) -> str:
    """A column's heading for people: `formula_<element>` by the element's title, else COLUMN_LABELS."""
    if name.startswith(FORMULA_PREFIX):
        element = name[len(FORMULA_PREFIX):]
        return f"{(titles or {}).get(element) or name_words(element)} (£)"
    return COLUMN_LABELS.get(name, name)


def reason_words(code: str | None) -> str | None:
    """A reason code in words (an unknown code as it is)."""
    return None if code is None else REASON_WORDS.get(code, code)


BASIS_WORDS = {
    "per_school": "a fixed sum per school", "per_cluster": "a fixed sum per cluster", "pupils": "pupils",
    "sen_support": "pupils on SEN support", "statements": "pupils with a statement or EHC plan",
    "fsm": "pupils eligible for free school meals",
    "floor": "each cluster's change from last year",  # formula.protection's floor (SPEC §11.8)
}

#: Warnings that name no child (schools, clusters, settings): listed in full in the publishable
#: workbook.  Every other kind is counted there and listed only in the restricted pupils.xlsx,
#: so a kind added later is kept out of the public pack until it is known to be safe.
PUBLIC_WARNINGS = frozenset({"no_census", "no_pupils", "cluster_names",
                             "pupils_override", "pupils_ignored", "unmapped_column", "links_unknown", "links_no_successions", "link_date_differs",
                             "closed_without_successor",
                             "pupils_override_unused", "successor_not_closed", "register_stale", "register_changed",
                             "previous_not_last_year", "previous_register_differ", "totals_row",
                             "year_label", "census_date_far", "other_sheet", "hidden_rows",
                             # about the register and last year's files, never a child
                             "register_not_given", "register_without_register", "register_doubtful",
                             "register_earlier_release", "census_at_closed",
                             "previous_other_schools", "previous_period_length", "previous_changed",
                             "protection_new_clusters", "previous_config_incomplete",
                             "previous_config_differs", "previous_config_not_paid", "pupils_twice"})

WARNING_WORDS = {
    "unmapped_column": "a column that looks like one of senrun's but is not mapped, so not read",
    "links_unknown": "no succession of the links input is from a known school",
    "links_no_successions": "no row of the links input is a succession",
    "closed_without_successor": "school closed with no successor, ending its children's PSF",
    "link_date_differs": "a succession dated otherwise than its school's closing or its successor's opening",
    "census_not_in_census": "child with PSF not found in the census",
    "census_casual_move": "child with PSF found at another school (unrecorded casual move)",
    "dob_differs": "date of birth differs between census and statements",
    "dob_rows_differ": "date of birth differs between a child's statement rows",
    "taught_year": "taught year differs from the age-based year",
    "upn_bad_letter": "UPN with a wrong check letter", "upn_temporary": "temporary UPN",
    "upn_more": "more UPNs with a problem", "no_census": "no pupil-level census",
    "no_pupils": "school with no pupils in the counted years", "cluster_names": "cluster named differently",
    "census_outside": "census rows at schools outside the schools input",
    "resurrected": "child stopped last year whom this year's inputs would pay",
    "stopped_within_last_year": "child paid last year whom this year's inputs stop on a day last year paid",
    "register_gap": "days between the register's period and this one paid by no run",
    "register_earlier_release": "a register written by an earlier release of senrun, under rules corrected since",
    "move_same_school": "a move whose receiving school is the school it is from",
    "missing_from_statements": "child paid last year missing from this year's statements",
    "school_changed": "child's school differs from last year's with no recorded move",
    "move_after_census": "managed move just after census day",
    "psf_while_shut": "PSF paid at a school open on no day of the period",
    "opened_after_policy": "funded statement at a school that opened after the policy start",
    "census_at_closed": "census rows at a school closed before census day or the period, counted at no school",
    "pupils_twice": "a school and its successor both counting pupils for the whole year",
    "pupils_override_unused": "pupils_override on a school it cannot apply to",
    "successor_not_closed": "school succeeded in the period with no closed date (still counted open)",
    "register_stale": "register of a run more than a year before this one",
    "register_changed": "register changed since senrun wrote it",
    "previous_changed": "last year's file (--previous) changed since senrun wrote it",
    "not_in_register": "child paid this year who is not in last year's register",
    "previous_not_last_year": "--previous is not last year's run",
    "previous_period_length": "--previous is of a period much shorter or longer than this one",
    "protection_new_clusters": "clusters not in last year's file, which the floor does not protect",
    "previous_config_incomplete": "last year recomputed without its register or floor (--previous-config)",
    "previous_config_differs": "--previous-config is not the config last year's run was made with",
    "previous_config_not_paid": "last year recomputed (--previous-config) is not what its run wrote",
    "previous_register_differ": "--previous and --register of different years",
    "now_post_policy": "child paid last year whose statement is now dated after the policy start",
    "totals_row": "a totals row in an input (skipped)",
    "year_label": "the run's year label is not its period's year",
    "census_date_far": "census date far from the period",
    "other_sheet": "a workbook with another sheet that fits, read without sheet:",
    "ceased_before_issued": "statement ceased before its own date",
    "amended_after_ceasing": "statement amended after it ceased (the amendment ignored)",
    "merged_cells": "cells merged down the rows, so read as blank below their first row",
    "hidden_rows": "rows of data hidden in Excel (read, as every row is)",
    "amount_not_annual": "an amount column headed as a weekly or monthly figure",
    "born_after_statement": "date of birth after the statement's date",
    "census_before_policy": "census taken before the policy start (recorded moves alone decide)",
    "census_date_year": "most pupils taught a year off their age-based year (census date a year out?)",
    "need_blank": "school in the formula with a blank need value (read as 0)",
    "no_statements": "no statements in the input",
    "previous_other_schools": "--previous holds few of this year's schools",
    "protection_skipped": "the floor left out: no last year's allocations given",
    "pupils_ignored": "the schools input's pupils column ignored beside a census",
    "pupils_override": "school's pupils set by pupils_override",
    "recorded_as_new": "a new statement beside the child's funded one (an EHC plan recorded as new?)",
    "register_doubtful": "the register's own run was warned about its register",
    "register_not_given": "--previous is last year's run, but no --register given",
    "register_without_register": "the register's own run had no register",
    "reinstate_unused": "a reinstate: entry with nothing to reinstate",
    "reinstate_twice": "a reinstate: entry naming a child an earlier entry names",
    "upn_malformed": "UPN not a letter and 12 characters",
}


def basis_words(basis: str) -> str:
    """A formula basis in words: `per_school` → "a fixed sum per school", `column:need` → "the schools' need column"."""
    if basis.startswith("column:"):
        return f"the schools' {basis[len('column:'):]} column"
    return BASIS_WORDS.get(basis, basis)


def warning_words(code: str) -> str:
    """A kind of warning in words (an unknown code as it is)."""
    return WARNING_WORDS.get(code, code.replace("_", " "))


def warning_is_public(code: str) -> bool:
    """Whether warnings of this kind may be listed in the publishable workbook (they name no child)."""
    return code in PUBLIC_WARNINGS


#: How an element is set, in words (the Summary's and simulate's formula tables).
KIND_WORDS = {"rate": "a rate per unit", "share": "a share of the cluster pot",
              "remainder": "what is left of the cluster pot", "protection": "a floor, paid for by the gains"}


def number_or_text(text: object) -> object:
    """Exact text of a number ('312', '41.5', '5000') as an int or a Decimal; anything else unchanged."""
    from decimal import Decimal, InvalidOperation

    if not isinstance(text, str):
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return int(value) if value == value.to_integral_value() else value


def units_value(text: object) -> object:
    """A count of units as a cell shows it: a number as number_or_text gives it, and a part year's fraction as a
    whole number and a proper fraction ('5165/12' → '430 5/12', '7/12' as it is)."""
    from fractions import Fraction

    if isinstance(text, str) and "/" in text:
        try:
            whole, part = divmod(Fraction(text), 1)
        except (ValueError, ZeroDivisionError):
            return text
        return int(whole) if not part else f"{whole:,} {part}" if whole else str(part)
    return number_or_text(text)


def rate_text(parameter: str) -> str:
    """A rate as written in the config, in pounds as a finance officer writes them: `1000` → `£1,000.00`,
    `508.165` → `£508.165` (every digit of a rate is used, so none is dropped)."""
    from decimal import Decimal

    try:
        rate = Decimal(parameter)
    except ArithmeticError:
        return f"£{parameter}"
    return f"£{rate.quantize(Decimal('0.01')) if rate.as_tuple().exponent > -2 else rate:,f}"  # never 1E-9


def share_text(share: str) -> str:
    """A share of the pot as a per cent, exactly: '0.1' → '10%', '0.125' → '12.5%'."""
    from decimal import Decimal

    from ..money import EXACT

    pct = EXACT.multiply(Decimal(share), 100)  # every digit: Decimal's own * rounds to 28
    return f"{pct.normalize(EXACT):f}%"


#: The diff's columns that diff.csv leaves out (yearly.diff.with_last_year_file): each school's name in last
#: year's file, and `--previous`'s file as read: {path, sha256, bytes, rows}.
LAST_YEARS_NAME, LAST_YEARS_FILE = "_school_name", "_previous_file"
#: What a school's last-year figure is, in the notes of allocations.xlsx's Schools sheet and the packs'.
SCHOOL_LAST_YEAR = ("each school's own total last year, with those of the schools it has taken over since (an academy "
                    "conversion, an amalgamation: diff.csv notes \"converted from …\"), in whichever cluster it was "
                    "then (0 for a school new this year)")


def last_years_file(diff) -> dict | None:
    """`--previous`'s file as the diff read it: {path (as given), sha256, bytes, rows}; None without one."""
    if diff is None or LAST_YEARS_FILE not in diff.columns or not diff.height:
        return None
    return diff.get_column(LAST_YEARS_FILE)[0]


def run_reference(result) -> str:
    """The run's reference: the first 8 characters of `inputs_sha256` (manifest.json), printed in
    every workbook's footer so that a printed page can be matched to its run."""
    return inputs_fingerprint(result)[:8]


def inputs_fingerprint(result) -> str:
    """SHA-256 over the config's and every input's SHA-256 (name and fingerprint, in the run's order),
    then the register's (`--register` changes the money) when there is one."""
    import hashlib

    lines = [f"config {result.config_sha256}"] + [f"{i.name} {i.sha256}" for i in result.inputs]
    if result.register is not None:
        lines.append(f"register {result.register.sha256}")
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def percent_change(change: int, previous: int) -> float | None:
    """change ÷ previous × 100 to two places, half away from zero by integer arithmetic (as the diff's
    `change_pct`, yearly.diff.change_pct_expr); None when previous is 0. A totals row's per cent is the
    same figure as a row's would be for the same pence (0.125% is 0.13, never round()'s 0.12)."""
    if previous == 0:
        return None
    num = change * 10_000 * (1 if previous > 0 else -1)
    q = (abs(num) * 2 + abs(previous)) // (abs(previous) * 2)
    return (-q if num < 0 else q) / 100
