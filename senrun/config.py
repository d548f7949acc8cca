"""Strict YAML config → a frozen, validated `Config` (SPEC §9).

Every key is declared once in `_SPEC`; an unknown key is an error that names the key,
its path (`formula.elements[1].share`), the file and line, and the keys allowed there.
Every problem in the file is reported in one pass.  Paths are relative to the config file.
Scenario overlays (SPEC §6) are merged onto a copy of the raw mapping before validation.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import Issues, SenrunError
from .money import to_pence
from .parse import config_date, config_decimal
from .yamlsafe import YamlProblem, load_yaml

DEFAULT_PHASES = {"nursery": [-2, -1], "primary": [0, 6], "secondary": [7, 11], "post16": [12, 13]}
BASES_FIXED = ("per_school", "pupils", "sen_support", "statements", "fsm")
INPUT_NAMES = ("schools", "census", "statements", "moves")


@dataclass(frozen=True)
class InputSpec:
    """Where one input lives and how its headers map onto senrun's names."""

    name: str
    path: Path  # resolved against the config's folder
    path_text: str  # as written in the config
    sheet: str | None = None
    columns: tuple[tuple[str, str], ...] = ()  # (the user's header, senrun's name)
    header_row: int | None = None  # 1-based; None = find it


@dataclass(frozen=True)
class ElementSpec:
    """One formula element (SPEC §4)."""

    name: str
    basis: str
    rate: Decimal | None = None  # £ per unit
    share: Decimal | None = None  # fraction of the cluster pot
    remainder: bool = False
    solve: bool = False  # `rate: solve` (simulate only)

    @property
    def kind(self) -> str:
        return "remainder" if self.remainder else "share" if self.share is not None else "rate"


@dataclass(frozen=True)
class TopSlice:
    """An amount kept back before the formula: a sum, or a sum per cluster or per school."""

    name: str
    pence: int
    per: str  # "amount" | "per_cluster" | "per_school"


@dataclass(frozen=True)
class Config:
    """The config in force: every default applied, every value checked."""

    path: Path
    raw: dict = field(repr=False, compare=False)
    sha256: str
    year: str
    period_start: date
    period_end: date
    census_date: date
    policy_start: date
    prorate: str
    missing_from_census: str
    transfer: str
    flag_pct: Decimal
    phases: tuple[tuple[str, int, int], ...]
    pupil_specific_pot: int
    sen_total: int | None
    ssa_total: int | None
    topslices: tuple[TopSlice, ...]
    pupil_years: tuple[int, int]
    elements: tuple[ElementSpec, ...]
    inputs: dict[str, InputSpec]

    def as_dict(self) -> dict:
        """The effective config as plain values, for the Parameters sheet and the manifest."""
        return _plain(self.raw)

    def with_period(self, start: date, end: date) -> "Config":
        """The same config with the period moved (for the run-off projection)."""
        from dataclasses import replace

        raw = copy.deepcopy(self.raw)
        raw["period"] = {"start": start, "end": end}
        return replace(self, raw=raw, period_start=start, period_end=end)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, date)):
        return str(value)
    return value


# --- the declared schema --------------------------------------------------------------
# Each entry: key -> (kind, default).  kind is a checker name or a nested dict.
_REQUIRED = object()

_INPUT = {"path": ("str", _REQUIRED), "sheet": ("str", None), "columns": ("columns", None),
          "header_row": ("int", None)}
_ELEMENT = {"name": ("name", _REQUIRED), "basis": ("basis", _REQUIRED), "rate": ("rate", None),
            "share": ("decimal", None), "remainder": ("bool", False), "remove": ("bool", False)}
_TOPSLICE = {"name": ("name", _REQUIRED), "amount": ("money", None), "per_cluster": ("money", None),
             "per_school": ("money", None), "remove": ("bool", False)}
_SPEC: dict[str, tuple] = {
    "year": ("str", _REQUIRED),
    "period": ({"start": ("date", _REQUIRED), "end": ("date", _REQUIRED)}, _REQUIRED),
    "census_date": ("date", _REQUIRED),
    "policy": ({"start": ("date", date(2012, 9, 1))}, {}),
    "prorate": (("months", "days"), "months"),
    "missing_from_census": (("cease", "error"), "cease"),
    "transfer": (("ends", "keeps"), "ends"),
    "diff": ({"flag_pct": ("decimal", Decimal(10))}, {}),
    "phases": ("phases", None),
    "budget": ({"sen_total": ("money", None), "ssa_total": ("money", None),
                "pupil_specific_pot": ("money", _REQUIRED)}, _REQUIRED),
    "topslices": (("list", _TOPSLICE), []),
    "formula": ({"pupils": ({"nc_years": ("years", [0, 11])}, {}),
                 "elements": (("list", _ELEMENT), _REQUIRED)}, _REQUIRED),
    "inputs": ({"schools": (_INPUT, _REQUIRED), "census": (_INPUT, None),
                "statements": (_INPUT, _REQUIRED), "moves": (_INPUT, None)}, _REQUIRED),
}


class _Checker:
    """Walks a raw mapping against `_SPEC`, collecting every problem with its path and line."""

    def __init__(self, path: Path, lines: dict[str, int]):
        self.file = path.name
        self.lines = lines
        self.issues = Issues()

    def problem(self, key_path: str, message: str, expected: str | None = None, value: Any = None) -> None:
        line = self.lines.get(key_path) or self.lines.get(key_path.rsplit(".", 1)[0])
        self.issues.error("config", message, file=self.file, row=line, column=key_path,
                          field=key_path, value=None if value is None else str(value), expected=expected)

    def mapping(self, raw: Any, spec: dict, path: str) -> dict:
        if not isinstance(raw, dict):
            self.problem(path or "(top level)", f"{path or 'the config'} must be a mapping of keys to values, "
                         f"not {_kind(raw)}", expected=f"keys {', '.join(spec)}")
            return {}
        out: dict[str, Any] = {}
        for key in raw:
            if key not in spec:
                where = f"{path}.{key}" if path else str(key)
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f" — did you mean '{close[0]}'?" if close else ""
                self.problem(where, f"unknown key '{key}'{hint}; allowed here: {', '.join(spec)}",
                             expected=", ".join(spec))
        for key, (kind, default) in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in raw or raw[key] is None:
                if default is _REQUIRED:
                    self.problem(where, f"'{where}' is required")
                out[key] = copy.deepcopy(default) if not isinstance(kind, dict) or default is None \
                    else self.mapping(default or {}, kind, where)
                continue
            out[key] = self.value(raw[key], kind, where)
        return out

    def value(self, raw: Any, kind: Any, path: str) -> Any:
        if isinstance(kind, dict):
            return self.mapping(raw, kind, path)
        if isinstance(kind, tuple) and kind and kind[0] == "list":
            return self.items(raw, kind[1], path)
        if isinstance(kind, tuple):
            if raw not in kind:
                self.problem(path, f"'{raw}' is not allowed for {path}", expected=" or ".join(kind), value=raw)
            return raw
        return getattr(self, f"k_{kind}")(raw, path)

    def items(self, raw: Any, spec: dict, path: str) -> list:
        if not isinstance(raw, list):
            self.problem(path, f"{path} must be a list, not {_kind(raw)}", expected="a list of items")
            return []
        out = [self.mapping(item, spec, f"{path}[{i}]") for i, item in enumerate(raw)]
        names = [o.get("name") for o in out]
        for i, name in enumerate(names):
            if name is not None and names.index(name) != i:
                self.problem(f"{path}[{i}].name", f"the name '{name}' is used twice in {path}")
        return out

    # scalar checkers: return the parsed value, or None after recording a problem
    def k_str(self, raw, path):
        if isinstance(raw, (dict, list)):
            self.problem(path, f"{path} must be text, not {_kind(raw)}", expected="text")
            return None
        return str(raw)

    def k_name(self, raw, path):
        text = self.k_str(raw, path)
        if text is not None and not text.replace("_", "").isalnum():
            self.problem(path, f"'{text}' is not a usable name", expected="letters, digits and _", value=text)
        return text

    def k_int(self, raw, path):
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.problem(path, f"{path} must be a whole number, not {_kind(raw)}", expected="a whole number",
                         value=raw)
            return None
        return raw

    def k_bool(self, raw, path):
        if not isinstance(raw, bool):
            self.problem(path, f"{path} must be true or false", expected="true or false", value=raw)
            return None
        return raw

    def k_date(self, raw, path):
        parsed = config_date(raw)
        if parsed is None:
            self.problem(path, f"'{raw}' is not a date", expected="a date such as 2013-04-01", value=raw)
        return parsed

    def k_decimal(self, raw, path):
        parsed = config_decimal(raw)
        if parsed is None:
            self.problem(path, f"'{raw}' is not a number", expected="a number such as 0.1", value=raw)
        return parsed

    def k_rate(self, raw, path):
        if raw == "solve":
            return "solve"
        return self.k_decimal(raw, path)

    def k_money(self, raw, path):
        parsed = config_decimal(raw)
        if parsed is None or parsed < 0:
            self.problem(path, f"'{raw}' is not an amount of money", expected="pounds such as 100000 or 1234.50",
                         value=raw)
            return None
        if parsed * 100 != int(parsed * 100):
            self.problem(path, f"{raw} has more than two decimal places", expected="pounds and pence", value=raw)
            return None
        return to_pence(parsed)

    def k_columns(self, raw, path):
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problem(path, f"{path} must map your headers to senrun's column names",
                         expected='{"Your Header": senrun_name, ...}')
            return None
        return tuple((str(k), v) for k, v in raw.items())

    def k_basis(self, raw, path):
        text = self.k_str(raw, path)
        if text is not None and text not in BASES_FIXED and not (text.startswith("column:") and len(text) > 7):
            self.problem(path, f"'{text}' is not a basis", value=text,
                         expected=", ".join(BASES_FIXED) + " or column:NAME")
        return text

    def k_years(self, raw, path):
        if (not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                  for v in raw) or raw[0] > raw[1]):
            self.problem(path, f"{path} must be [first, last] age-based years", expected="e.g. [0, 11]", value=raw)
            return None
        return tuple(raw)

    def k_phases(self, raw, path):
        if not isinstance(raw, dict):
            self.problem(path, "phases must map each phase name to [first, last] years",
                         expected="e.g. {primary: [0, 6]}")
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


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "empty"}.get(type(value), type(value).__name__)


# --- from the checked mapping to a Config ---------------------------------------------

def _semantics(c: dict, check: _Checker) -> None:
    """Checks that span keys: the period, the elements, the top-slices."""
    start, end = c["period"].get("start"), c["period"].get("end")
    if start and end:
        if end < start:
            check.problem("period.end", f"the period ends ({end}) before it starts ({start})")
        elif end >= _add_year(start):
            check.problem("period.end", f"the period {start} – {end} is longer than a year",
                          expected="a period of at most one year")
        if c["prorate"] == "months" and start.day != 1:
            check.problem("period.start", f"with prorate: months the period must start on the 1st of a month, "
                          f"not {start}", expected="e.g. 2013-04-01, or prorate: days")
    elements = c["formula"].get("elements") or []
    if not elements and "formula" in c:
        check.problem("formula.elements", "the formula has no elements", expected="at least one element")
    remainders = [i for i, e in enumerate(elements) if e.get("remainder")]
    for i in remainders[1:]:
        check.problem(f"formula.elements[{i}].remainder", "only one element may be the remainder")
    for i, e in enumerate(elements):
        given = [k for k in ("rate", "share") if e.get(k) is not None] + (["remainder"] if e.get("remainder") else [])
        if len(given) != 1:
            check.problem(f"formula.elements[{i}]", f"element '{e.get('name')}' must have exactly one of rate, "
                          f"share or remainder: true (it has {', '.join(given) or 'none'})")
        if e.get("share") is not None and not (0 <= e["share"] <= 1):
            check.problem(f"formula.elements[{i}].share", f"share {e['share']} is not between 0 and 1")
        if isinstance(e.get("rate"), Decimal) and e["rate"] < 0:
            check.problem(f"formula.elements[{i}].rate", f"rate {e['rate']} is negative")
    shares = sum((e["share"] for e in elements if e.get("share") is not None), Decimal(0))
    if shares > 1:
        check.problem("formula.elements", f"the shares add up to {shares}, more than the whole pot (1)")
    for i, t in enumerate(c.get("topslices") or []):
        given = [k for k in ("amount", "per_cluster", "per_school") if t.get(k) is not None]
        if len(given) != 1:
            check.problem(f"topslices[{i}]", f"top-slice '{t.get('name')}' must have exactly one of amount, "
                          f"per_cluster or per_school")


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def _input_specs(c: dict, base: Path) -> dict[str, InputSpec]:
    specs = {}
    for name in INPUT_NAMES:
        spec = c["inputs"].get(name)
        if spec and spec.get("path"):
            specs[name] = InputSpec(name=name, path=(base / spec["path"]).resolve(), path_text=spec["path"],
                                    sheet=spec.get("sheet"), columns=spec.get("columns") or (),
                                    header_row=spec.get("header_row"))
    return specs


def _build(c: dict, path: Path, raw: dict, sha: str) -> Config:
    phases = c["phases"] if c["phases"] is not None else {k: tuple(v) for k, v in DEFAULT_PHASES.items()}
    elements = tuple(ElementSpec(name=e["name"], basis=e["basis"], solve=e.get("rate") == "solve",
                                 rate=e["rate"] if isinstance(e.get("rate"), Decimal) else None,
                                 share=e.get("share"), remainder=bool(e.get("remainder")))
                     for e in c["formula"]["elements"] if not e.get("remove"))
    topslices = tuple(TopSlice(t["name"], *next((t[k], k) for k in ("amount", "per_cluster", "per_school")
                                                 if t.get(k) is not None))
                      for t in c["topslices"] if not t.get("remove"))
    return Config(
        path=path, raw=raw, sha256=sha, year=c["year"],
        period_start=c["period"]["start"], period_end=c["period"]["end"], census_date=c["census_date"],
        policy_start=c["policy"]["start"], prorate=c["prorate"], missing_from_census=c["missing_from_census"],
        transfer=c["transfer"], flag_pct=c["diff"]["flag_pct"],
        phases=tuple(sorted(((n, lo, hi) for n, (lo, hi) in phases.items()), key=lambda p: p[1])),
        pupil_specific_pot=c["budget"]["pupil_specific_pot"], sen_total=c["budget"]["sen_total"],
        ssa_total=c["budget"]["ssa_total"], topslices=topslices,
        pupil_years=tuple(c["formula"]["pupils"]["nc_years"]), elements=elements,
        inputs=_input_specs(c, path.parent),
    )


def config_from_mapping(raw: Any, path: Path, lines: dict[str, int] | None = None, sha: str = "") -> Config:
    """Validate a raw mapping (e.g. a base config with a scenario merged in) into a Config."""
    check = _Checker(path, lines or {})
    checked = check.mapping(raw, _SPEC, "")
    if not check.issues.errors:
        _semantics(checked, check)
    check.issues.raise_if_errors()
    return _build(checked, path, raw, sha)


def read_config_file(path: Path) -> tuple[Any, dict[str, int], str]:
    """The raw YAML of a config or scenario file, its line map and its SHA-256."""
    name = path.name
    if not path.is_file():
        raise SenrunError(f"{path}: no such config file")
    try:
        raw, lines = load_yaml(path)
    except YamlProblem as exc:
        from .errors import Issue

        raise SenrunError(Issue("config", "error", str(exc), file=name, row=exc.line)) from None
    except OSError as exc:
        raise SenrunError(f"{path}: cannot read the config ({exc.strerror})") from None
    return raw, lines, hashlib.sha256(path.read_bytes()).hexdigest()


def load_config(path: str | Path) -> Config:
    """Read, check and freeze the config at `path`; raise SenrunError listing every problem."""
    path = Path(path).resolve()
    raw, lines, sha = read_config_file(path)
    return config_from_mapping(raw, path, lines, sha)
