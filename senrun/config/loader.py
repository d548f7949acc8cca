"""Strict YAML config → a frozen, validated `Config` (SPEC §9).

Every key is declared once in `config_schema.SPEC`; an unknown key is an error that names the key,
its path (`formula.elements[1].share`), the file and line, and the keys allowed there.
Every problem in the file is reported in one pass.  Paths are relative to the config file.
Scenario overlays (SPEC §6) are merged onto a copy of the raw mapping before validation.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import CONFIG, Issue, SenrunError
from .keys import SPEC, Checker, semantics
from .yamlsafe import YamlProblem, load_yaml

DEFAULT_PHASES = {"nursery": [-2, -1], "primary": [0, 6], "secondary": [7, 11], "post16": [12, 13]}
INPUT_NAMES = ("schools", "census", "statements", "moves", "links")


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
    nc_years: tuple[int, int] | None = None  # its own age-based years for census bases (SPEC §11.8)
    label: str | None = None  # how workbooks name it; default a readable form of `name`

    @property
    def title(self) -> str:
        """The element's label for people: `label:`, or its name in words ("per_pupil" → "Per pupil")."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def kind(self) -> str:
        """How the element's total is set: `rate`, `share` or `remainder`."""
        return "remainder" if self.remainder else "share" if self.share is not None else "rate"


@dataclass(frozen=True)
class TopSlice:
    """An amount kept back before the formula: a sum, or a sum per cluster or per school."""

    name: str
    pence: int
    per: str  # "amount" | "per_cluster" | "per_school"


@dataclass(frozen=True)
class Reinstatement:
    """A child whose PSF stopped last year, named in `reinstate:` to be paid again (SPEC §11.4)."""

    upn: str
    stream: str
    reason: str


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
    # Round 2 (SPEC §11)
    census_move_tolerance_days: int = 31
    delegation: str = "delegated"  # devolved | delegated: the wording of returns and packs
    reinstate: tuple[Reinstatement, ...] = ()
    floor_pct: Decimal | None = None  # formula.protection.floor_pct
    contact: str | None = None  # a line on every school return: who to ask
    issued: date | None = None  # the returns' issue date, as set in the config

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
                                 share=e.get("share"), remainder=bool(e.get("remainder")),
                                 nc_years=e.get("nc_years"), label=e.get("label"))
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
        census_move_tolerance_days=c["census_move_tolerance_days"], delegation=c["delegation"],
        reinstate=tuple(Reinstatement(r["upn"].replace(" ", "").upper(), r["stream"], r["reason"])
                        for r in c["reinstate"]),
        floor_pct=(c["formula"]["protection"] or {}).get("floor_pct"),
        contact=c.get("contact"), issued=c.get("issued"),
    )


def config_from_mapping(raw: Any, path: Path, lines: dict[str, int] | None = None, sha: str = "") -> Config:
    """Validate a raw mapping (e.g. a base config with a scenario merged in) into a Config."""
    check = Checker(path, lines or {})
    checked = check.mapping(raw, SPEC, "")
    if not check.issues.errors:
        semantics(checked, check)
    check.issues.raise_if_errors()
    return _build(checked, path, raw, sha)


def read_config_file(path: Path) -> tuple[Any, dict[str, int], str]:
    """The raw YAML of a config or scenario file, its line map and its SHA-256."""
    name = path.name
    if not path.is_file():
        raise SenrunError(Issue(CONFIG, "error", f"no such config file: {path}", file=name))
    try:
        raw, lines = load_yaml(path)
    except YamlProblem as exc:
        raise SenrunError(Issue(CONFIG, "error", str(exc), file=name, row=exc.line, column=exc.key,
                                field=exc.key)) from None
    except OSError as exc:
        problem = f"cannot read the config {path} ({exc.strerror})"
        raise SenrunError(Issue(CONFIG, "error", problem, file=name)) from None
    return raw, lines, hashlib.sha256(path.read_bytes()).hexdigest()


def load_config(path: str | Path) -> Config:
    """Read, check and freeze the config at `path`; raise SenrunError listing every problem."""
    path = Path(path).resolve()
    raw, lines, sha = read_config_file(path)
    return config_from_mapping(raw, path, lines, sha)
