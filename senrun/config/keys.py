"""The config's declared keys and the checker that walks a raw YAML mapping against them (SPEC §9).

Every key is declared once in `SPEC`: its kind and its default.  `Checker` collects every
problem with its key path (`formula.elements[1].share`), its line and the keys allowed
there; `rules.semantics` then checks what spans keys (the period, the elements, the top-slices).
"""

from __future__ import annotations

import copy
import difflib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import CONFIG, Issues
from ..money import CEILING_POUNDS, EXACT, ceiling_text, to_pence
from ..inputs.parse import config_date, config_decimal
from ..inputs.schema import SCHEMAS
from .yamlsafe import MAX_PLACES, NBSP, NBSP_HINT, number_text, typed_text, unquoted_word

BASES_FIXED = ("per_school", "per_cluster", "pupils", "sen_support", "statements", "fsm")
#: The schools input's columns senrun itself reads (SPEC §5, §11.1, §11.2): not a `column:` need basis.
OWN_SCHOOLS_COLUMNS = frozenset(c.name for c in SCHEMAS["schools"])

# Each entry: key -> (kind, default).  kind is a checker name or a nested dict.
REQUIRED = object()
#: The config's dates (period, census, policy start) are of these years: any other is a year typed wrong.
DATES = (date(1990, 1, 1), date(2099, 12, 31))
#: The age-based years a child can be in: a two-year-old's nursery year (-2) and earlier, to a plan's end at 25.
YEARS = (-5, 20)

_INPUT = {"path": ("str", REQUIRED), "sheet": ("str", None), "columns": ("columns", None),
          "header_row": ("count", None), "encoding": ("encoding", None)}
_ELEMENT = {"name": ("name", REQUIRED), "basis": ("basis", REQUIRED), "rate": ("rate", None),
            "share": ("decimal", None), "remainder": ("bool", False), "remove": ("bool", False),
            "nc_years": ("years", None), "label": ("str", None)}
_REINSTATE = {"upn": ("nonblank", REQUIRED), "stream": (("PSF", "SSMN", "FYS"), "PSF"),
              "reason": ("nonblank", REQUIRED)}  # a reinstatement says why: it is listed in the Summary
_TOPSLICE = {"name": ("name", REQUIRED), "amount": ("money", None), "per_cluster": ("money", None),
             "per_school": ("money", None), "remove": ("bool", False)}
SPEC: dict[str, tuple] = {
    "year": ("str", REQUIRED),
    "period": ({"start": ("date", REQUIRED), "end": ("date", REQUIRED)}, REQUIRED),
    "census_date": ("date", REQUIRED),
    "policy": ({"start": ("date", date(2012, 9, 1))}, {}),
    "prorate": (("months", "days"), "months"),
    "missing_from_census": (("cease", "error"), "cease"),
    "transfer": (("ends", "keeps"), "ends"),
    "census_move_tolerance_days": ("int", 31),
    "max_input_mb": ("count", 2048),
    "delegation": (("devolved", "delegated"), "delegated"),
    "output_mode": (("private", "group"), "private"),  # output folders 0700/0600 or 0750/0640
    "contact": ("str", None),  # a line for the school returns: who to ask about them
    "issued": ("date", None),  # the date the returns are issued (never the wall clock: re-runs stay identical)
    "reinstate": (("list", _REINSTATE), []),
    "diff": ({"flag_pct": ("decimal", Decimal(10))}, {}),
    "phases": ("phases", None),
    "budget": ({"sen_total": ("money", None), "ssa_total": ("money", None),
                "pupil_specific_pot": ("money", REQUIRED)}, REQUIRED),
    "topslices": (("list", _TOPSLICE), []),
    "formula": ({"pupils": ({"nc_years": ("years", [0, 11])}, {}),
                 "protection": ({"floor_pct": ("decimal", REQUIRED)}, None),
                 "elements": (("list", _ELEMENT), REQUIRED)}, REQUIRED),
    "accept": ("accept", None),
    "previous": ({"columns": ("prevcolumns", REQUIRED), "sheet": ("str", None), "header_row": ("count", None)},
                 None),  # how to read a council's own last-year spreadsheet given to --previous  # known warnings for validate: a file (relative to the config) or a list
    "inputs": ({"schools": (_INPUT, REQUIRED), "census": (_INPUT, None),
                "statements": (_INPUT, REQUIRED), "moves": (_INPUT, None),
                "links": (_INPUT, None)}, REQUIRED),
}


class Walker:
    """Walks a raw mapping against `SPEC`, collecting every problem with its path and line.

    The scalar kinds are checked by the `k_<kind>` methods of `ScalarKinds` and
    `StructuredKinds`, which `Checker` brings together."""

    def __init__(self, path: Path, lines: dict[str, int]):
        self.file = path.name
        self.lines = lines
        self.issues = Issues()

    def problem(self, key_path: str, message: str, expected: str | None = None, value: Any = None) -> None:
        """Record a problem at `key_path`, on its line (or its parent's when it has none)."""
        line = self.lines.get(key_path) or self.lines.get(key_path.rsplit(".", 1)[0])
        if (NBSP in key_path or NBSP in str(value or "")) and NBSP_HINT not in message:
            message += f" ({NBSP_HINT})"
        self.issues.error(CONFIG, message, file=self.file, row=line, column=key_path,
                          field=key_path, value=None if value is None else str(value), expected=expected)

    def mapping(self, raw: Any, spec: dict, path: str) -> dict:
        """Check a mapping's keys against `spec`; apply defaults; check each value."""
        if not isinstance(raw, dict):
            what = "the config file is empty" if raw is None and not path else \
                f"{path or 'the config'} must be a mapping of keys to values, not {_kind(raw)}"
            self.problem(path or "(top level)", what, expected=f"keys {', '.join(spec)}")
            return {}
        out: dict[str, Any] = {}
        for key in raw:
            if key not in spec:
                where = f"{path}.{key}" if path else str(key)
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                hint = f" ({NBSP_HINT}){hint}" if NBSP in str(key) else hint
                if str(key).isdigit():  # {rate: 5,000}: the comma began a new key (000, read as 0)
                    hint = (" — inside {…} a comma separates keys, so '5,000' is read as 5 and a key '000': write "
                            "amounts without commas (5000)")
                self.problem(where, f"unknown key '{key}'{hint}; allowed here: {', '.join(spec)}",
                             expected=", ".join(spec))
        for key, (kind, default) in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in raw or raw[key] is None:
                if default is REQUIRED:
                    self.problem(where, f"'{where}' is required")
                    out[key] = None
                    continue
                out[key] = copy.deepcopy(default) if not isinstance(kind, dict) or default is None \
                    else self.mapping(default or {}, kind, where)
                continue
            out[key] = self.value(raw[key], kind, where)
        return out

    def value(self, raw: Any, kind: Any, path: str) -> Any:
        """Check one value by its declared kind: a mapping, a list, a choice or a scalar checker."""
        if isinstance(kind, dict):
            return self.mapping(raw, kind, path)
        if isinstance(kind, tuple) and kind and kind[0] == "list":
            return self.items(raw, kind[1], path)
        if isinstance(raw, str) and kind != "str":  # Word's curly quotes, as YAML's straight ones (`“16117000”`,
            raw = unquoted_word(raw)              # `‘months’`), whatever the key's kind: not only text
        if isinstance(kind, tuple):
            allowed = " or ".join(kind)
            if isinstance(raw, bool):  # `missing_from_census: no`: YAML's false, not the text typed
                self.problem(path, f"{path} must be {allowed}, not {str(raw).lower()} (YAML reads Yes, No, On and "
                             "Off, in any case, as true or false)", expected=allowed, value=str(raw).lower())
            elif raw not in kind:
                self.problem(path, f"{path} must be {allowed}, not '{raw}'", expected=allowed, value=raw)
            return raw
        return getattr(self, f"k_{kind}")(raw, path)

    def items(self, raw: Any, spec: dict, path: str) -> list:
        """Check a list of mappings (elements, top-slices), whose names must be unique."""
        if not isinstance(raw, list):
            self.problem(path, f"{path} must be a list, not {_kind(raw)}", expected="a list of items")
            return []
        out = [self.mapping(item, spec, f"{path}[{i}]") for i, item in enumerate(raw)]
        names = [o.get("name") for o in out]
        for i, name in enumerate(names):
            if name is not None and names.index(name) != i:
                self.problem(f"{path}[{i}].name", f"the name '{name}' is used twice in {path}")
        return out


class ScalarKinds:
    """Scalar checkers, one per kind named in SPEC (`k_<kind>`): each returns the parsed value,
    or None after recording a problem with `self.problem` (a mixin of `Checker`)."""

    def k_str(self, raw, path):
        if isinstance(raw, (dict, list)):
            self.problem(path, f"{path} must be text, not {_kind(raw)}", expected="text")
            return None
        if isinstance(raw, bool):  # `sheet: No`: YAML's, before senrun sees it
            self.problem(path, f"{path} is read as {str(raw).lower()}: YAML takes Yes, No, On and Off (in any case) "
                         "as true or false; put text in quotes", expected=f'{path.rsplit(".", 1)[-1]}: "No", '
                         "in quotes", value=str(raw).lower())
            return None
        return typed_text(raw)  # digits as typed (a leading zero), Word's quotes read as YAML's

    def k_nonblank(self, raw, path):
        text = self.k_str(raw, path)
        if text is not None and not text.strip():
            self.problem(path, f"{path} is blank", expected=_NONBLANK.get(path.rsplit(".", 1)[-1], "text"))
            return None
        return text

    def k_name(self, raw, path):
        text = self.k_str(raw, path)
        if text is not None and not text.replace("_", "").isalnum():
            self.problem(path, f"'{text}' is not a usable name", expected="letters, digits and _", value=text)
        return text

    def k_int(self, raw, path):
        if isinstance(raw, bool) or not isinstance(raw, int):
            shown = raw if isinstance(raw, (float, Decimal)) else f"'{_short(raw)}'" if isinstance(raw, str) \
                else _kind(raw)  # 31.5, '0x1F', or "a list"
            self.problem(path, f"must be a whole number, not {shown}", expected="a whole number",
                         value=raw)
            return None
        if abs(raw) > MAX_INT:  # a day count or a row number this large is a slip, and would overflow a date
            self.problem(path, f"{path} is too large", expected=f"a whole number up to {MAX_INT:,}", value=_short(raw))
            return None
        return raw

    def k_count(self, raw, path):
        """A whole number of 1 or more: a row as Excel numbers it (`header_row`), or megabytes."""
        number = self.k_int(raw, path)
        if number is not None and number < 1:
            what = "the row as Excel numbers it" if path.endswith("header_row") else "megabytes"
            self.problem(path, f"must be 1 or more, not {number}", expected=f"1 or more: {what}", value=number)
            return None
        return number

    def k_bool(self, raw, path):
        if not isinstance(raw, bool):
            quoted = str(raw).lower() in ("true", "false")
            self.problem(path, f"'{raw}' in quotes is text: write {str(raw).lower()} without quotes" if quoted else
                         f"must be true or false, not '{_short(raw)}'", expected="true or false", value=raw)
            return None
        return raw

    def k_date(self, raw, path):
        parsed = config_date(raw)
        if parsed is None:
            self.problem(path, f"'{raw}' is not a date", expected="a date such as 2013-04-01", value=raw)
        elif not DATES[0] <= parsed <= DATES[1]:  # (a year typed wrong: 0013, 9999; ages and periods go out of range)
            shown = f"{parsed.day:02d}/{parsed.month:02d}/{parsed.year:04d}"
            self.problem(path, f"{shown} is not a date of the years senrun funds ({DATES[0].year}–{DATES[1].year}): "
                         "a year typed wrong?", expected="a date such as 2013-04-01", value=raw)
            return None
        return parsed

    def k_decimal(self, raw, path):
        parsed = config_decimal(raw)
        if parsed is None:
            key = path.rsplit(".", 1)[-1]
            self.problem(path, f"'{_short(raw)}' is not a number{_percent_hint(raw, key)}",
                         expected=_NUMBER_EXAMPLES.get(key, "a number such as 0.1"), value=_short(raw))
        elif parsed.copy_abs() > CEILING_POUNDS:  # 1e400 or 1e999999999 would overflow, or take hours, downstream
            self.problem(path, f"{_short(raw)} is too large", expected=f"a number up to {CEILING_POUNDS:,}",
                         value=_short(raw))
            return None
        elif not -MAX_PLACES <= parsed.as_tuple().exponent <= MAX_PLACES:
            # 1e-999999999 is a fraction over 10 to the 999,999,999th: worked exactly, a run would take hours
            exponent = parsed.as_tuple().exponent
            found = (f"has {-exponent:,} decimal places" if exponent < 0
                     else f"is written with an exponent of {exponent:,}")
            self.problem(path, f"{_short(raw)} {found}: senrun takes a number to at most {MAX_PLACES} decimal places",
                         expected=f"a number of at most {MAX_PLACES} decimal places, written out, such as 0.1 or 5000",
                         value=_short(raw))
            return None
        return parsed

    def k_rate(self, raw, path):
        if raw == "solve":
            return "solve"
        return self.k_decimal(raw, path)

    def k_encoding(self, raw, path):
        """A text encoding Python knows (`utf-8`, `cp1252`, `utf-16`), for a CSV that is not UTF-8."""
        import codecs

        text = self.k_str(raw, path)
        try:
            return codecs.lookup(text).name if text is not None else None
        except LookupError:
            self.problem(path, f"'{text}' is not a text encoding", expected="utf-8, cp1252, latin-1 or utf-16",
                         value=text)
            return None

    def k_money(self, raw, path):
        parsed = config_decimal(raw)
        if parsed is None:
            self.problem(path, f"'{_short(raw)}' is not an amount of money",
                         expected="pounds such as 100000 or 1234.50", value=_short(raw))
            return None
        if parsed < 0:
            self.problem(path, f"{_short(raw)} is negative: an amount of money here is 0 or more",
                         expected="pounds such as 100000 or 1234.50", value=_short(raw))
            return None
        if parsed > CEILING_POUNDS:  # checked before any arithmetic: 1e999999999 × 100 as an int never ends
            self.problem(path, f"{_short(raw)} is more than {ceiling_text()}, the most senrun accepts for one "
                         "amount", expected="pounds such as 100000 or 1234.50", value=_short(raw))
            return None
        pence = EXACT.multiply(parsed, 100)  # exactly: a third decimal place past the 28th digit is one
        if pence != pence.to_integral_value():
            self.problem(path, f"{_short(raw)} has more than two decimal places", expected="pounds and pence",
                         value=_short(raw))
            return None
        return to_pence(parsed)


#: A header Yes, No, On or Off unquoted in a column map: YAML reads it as true or false, never as the header.
_BOOL_HEADER = ("a header written Yes, No, On or Off (or True or False) is read by YAML as true or false, not as "
                "the header: put it in quotes")


class StructuredKinds:
    """Checkers of the kinds made of several values: column maps, bases, year spans, phases."""

    def k_columns(self, raw, path):
        """`{"Your Header": senrun_name}`; names known for the input (schools may add need columns)."""
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problem(path, f"{path} must map your headers to senrun's column names",
                         expected='{"Your Header": senrun_name, ...}')
            return None
        name = path.split(".")[1]
        known = [c.name for c in SCHEMAS.get(name, ())]
        seen: dict[str, str] = {}
        for header, target in raw.items():
            where = f"{path}.{header}"
            if isinstance(header, bool):
                self.problem(where, _BOOL_HEADER, value=target, expected='"Yes": ' + target)
            elif target not in known and (name != "schools" or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", target)):
                self.problem(where, f"'{target}' is not a column of the {name} input", value=target,
                             expected=", ".join(known) + (", or a need column's name" if name == "schools" else ""))
            elif target in seen:
                self.problem(where, f"'{seen[target]}' and '{header}' both map to {target}", value=target,
                             expected="each senrun column named once")
            seen.setdefault(target, str(header))
        return tuple((str(k), v) for k, v in raw.items())

    def k_prevcolumns(self, raw, path):
        """`previous.columns`: the last-year spreadsheet's headers → school_id, cluster_id, total."""
        wanted = ("school_id", "cluster_id", "total")
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problem(path, f"{path} must map your headers to {', '.join(wanted)}",
                         expected='{"LA Estab": school_id, "Cluster": cluster_id, "Total": total}')
            return None
        for header, target in raw.items():
            if isinstance(header, bool):
                self.problem(f"{path}.{header}", _BOOL_HEADER, value=target, expected='"Yes": ' + target)
            elif target not in wanted:
                self.problem(f"{path}.{header}", f"'{target}' is not one of {', '.join(wanted)}", value=target,
                             expected=", ".join(wanted))
        missing = [w for w in wanted if w not in raw.values()]
        if missing:
            self.problem(path, f"{path} must name a column for {', '.join(missing)}", expected=", ".join(wanted))
        return tuple((str(k), v) for k, v in raw.items())

    def k_accept(self, raw, path):
        """`accept:` a file of accepted warnings (relative to the config) or the list itself (senrun/accept.py)."""
        if isinstance(raw, str):
            return raw
        from ..accept import check_entries

        return check_entries(raw, path, self.problem)

    def k_basis(self, raw, path):
        text = self.k_str(raw, path)
        if text is not None and text not in BASES_FIXED and not (text.startswith("column:") and len(text) > 7):
            self.problem(path, f"'{text}' is not a basis", value=text,
                         expected=", ".join(BASES_FIXED) + " or column:NAME")
        elif text is not None and text[7:] in OWN_SCHOOLS_COLUMNS and text.startswith("column:"):
            name = text[7:]
            hint = " (for pupil numbers, basis: pupils)" if name == "pupils" else ""
            self.problem(path, f"'{text}' names the schools input's {name} column, which senrun reads for its own "
                         f"use: a need basis needs a column of its own (copy the figures to a new column such as "
                         f"'{name}_need' and name that){hint}", value=text, expected="column:NAME of a need column")
        return text

    def k_years(self, raw, path):
        if (not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                  for v in raw)):
            self.problem(path, f"{path} must be [first, last] age-based years", expected="e.g. [0, 11]", value=raw)
            return None
        if raw[0] > raw[1]:
            self.problem(path, f"[{raw[0]}, {raw[1]}] starts after it ends: the first year must not be after the "
                         "last", expected=f"[first, last], e.g. [{raw[1]}, {raw[0]}]", value=raw)
            return None
        if not all(YEARS[0] <= v <= YEARS[1] for v in raw):
            self.problem(path, f"[{raw[0]}, {raw[1]}] holds a year no child is in: age-based years run from "
                         f"{YEARS[0]} (a two-year-old's nursery year is -2) to {YEARS[1]} (a plan runs to 25)",
                         expected=f"years between {YEARS[0]} and {YEARS[1]}, e.g. [0, 11]", value=raw)
            return None
        return tuple(raw)

    def k_phases(self, raw, path):
        if not isinstance(raw, dict):
            self.problem(path, "phases must map each phase name to [first, last] years",
                         expected="e.g. {primary: [0, 6]}")
            return None
        if not raw:  # no phase at all: no child's PSF would be protected
            self.problem(path, "phases has no phase: give at least one phase (the map replaces the default "
                         "phases whole), or leave phases out for the defaults", expected="at least one phase, "
                         "e.g. {nursery: [-2, -1], primary: [0, 6], secondary: [7, 11], post16: [12, 13]}")
            return None
        phases = {}
        for name, years in raw.items():
            parsed = self.k_years(years, f"{path}.{name}")
            if parsed is not None:
                phases[str(name)] = parsed
        spans = sorted((lo, hi, n) for n, (lo, hi) in phases.items())
        for (lo1, hi1, n1), (lo2, hi2, n2) in zip(spans, spans[1:]):
            if lo2 <= hi1:
                self.problem(path, f"phases '{n1}' and '{n2}' overlap", expected="phases that do not overlap")
        return phases


class Checker(Walker, ScalarKinds, StructuredKinds):
    """The whole config checker: the walker with every kind's checker."""


MAX_INT = 1_000_000  # the largest whole number any config key takes (days, a header row)


#: What a number key takes, by its name, for the "expected" of a message.
_NUMBER_EXAMPLES = {"flag_pct": "a percentage such as 10, without %",
                    "floor_pct": "a percentage such as -2, without %",
                    "share": "a fraction of the pot such as 0.1, one tenth",
                    "rate": "pounds per unit such as 5000 or 40.50"}
#: What a blank text key should hold, by its name.
_NONBLANK = {"upn": "the child's UPN, such as B801200005001", "reason": "text: why the child is paid again"}


def _percent_hint(raw: Any, key: str) -> str:
    """For `10%`: a percentage key takes 10; a share takes 0.1."""
    number = config_decimal(raw.strip().rstrip("%")) if isinstance(raw, str) and raw.strip().endswith("%") else None
    if number is None:
        return ""
    if key == "share":
        fraction = number_text(EXACT.divide(number, 100))
        return f": a share is a fraction of the pot, so write {fraction} for {raw.strip()}"
    return f": write {number_text(number)}, without %" if key.endswith("_pct") else ""


def _short(raw: Any) -> Any:
    """A value for a message, cut short: a 5,000-digit number is shown by its first digits."""
    text = raw if isinstance(raw, str) else number_text(raw) if isinstance(raw, Decimal) else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw) if raw.bit_length() < 4000 else f"{raw:e}"  # Python refuses str() beyond 4,300 digits
    if text is None:
        return raw
    return text if len(text) <= 40 else f"{text[:20]}…({len(text):,} characters)"


def _kind(value: Any) -> str:
    """What a YAML value is, in words: 'a list', 'a number', 'text'."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, date):
        return "a date"
    return {dict: "a mapping", list: "a list", str: "text", type(None): "empty"}.get(type(value), type(value).__name__)
