"""Strict YAML config → a frozen, validated `Config` (SPEC §9).

Every key is declared once in `config_schema.SPEC`; an unknown key is an error that names the key,
its path (`formula.elements[1].share`), the file and line, and the keys allowed there.
Every problem in the file is reported in one pass.  Paths are relative to the config file.
Scenario overlays (SPEC §6) are merged onto a copy of the raw mapping before validation.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import CONFIG, Issue, Issues, SenrunError
from .keys import SPEC, Checker, number_text
from .rules import semantics
from ..inputs.excel import Unreadable
from ..inputs.snapshot import read_snapshot
from ..inputs.standins import stand_in
from .yamlsafe import MAX_BYTES, DuplicateKeys, YamlProblem, load_yaml_bytes

if TYPE_CHECKING:
    from ..accept import Acceptance

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
    encoding: str | None = None  # a CSV's text encoding when named; None = UTF-8, with the known exceptions
    max_bytes: int = 2048 << 20  # the largest file read (`max_input_mb:`)


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
    accept: Any = None  # accepted warnings: a resolved Path, or a tuple of senrun.accept.Acceptance
    previous: dict | None = None  # `previous:` {columns, sheet, header_row} for a council's own last-year file
    output_mode: str = "private"  # who may read the outputs: private (owner) | group (docs/security.md)
    lines: dict = field(default_factory=dict, repr=False, compare=False)  # key path → YAML line
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
    if isinstance(value, Decimal):
        return number_text(value)  # 0.000000001, never 1E-9
    if isinstance(value, date):
        return str(value)
    return value


def resolved(path: Path) -> Path:
    """The absolute path; a path that cannot be resolved (a symbolic-link loop, a NUL character), or a link to
    nothing, is kept as written, for the reader to say what is wrong with it."""
    try:
        real = path.resolve()
        if not real.exists() and path.is_symlink():  # (resolved, it would be the missing file's name alone)
            return path.absolute()
        return real
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


@lru_cache(maxsize=64)
def _resolved_input(base: Path, text: str) -> Path:
    """An input's path, resolved once per process: a sweep of 1,000 scenarios has the same inputs 1,000 times."""
    return resolved(base / text)


def _input_specs(c: dict, base: Path) -> dict[str, InputSpec]:
    specs = {}
    for name in INPUT_NAMES:
        spec = c["inputs"].get(name)
        if spec and spec.get("path"):
            specs[name] = InputSpec(name=name, path=_resolved_input(base, spec["path"]), path_text=spec["path"],
                                    sheet=spec.get("sheet"), columns=spec.get("columns") or (),
                                    header_row=spec.get("header_row"), encoding=spec.get("encoding"),
                                    max_bytes=max(1, c["max_input_mb"]) << 20)
    return specs


def _build(c: dict, path: Path, raw: dict, sha: str, lines: dict | None = None) -> Config:
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
        accept=(path.parent / c["accept"]).resolve() if isinstance(c["accept"], str) else c["accept"],
        previous=c["previous"], lines=dict(lines or {}), output_mode=c["output_mode"],
        contact=c.get("contact"), issued=c.get("issued"),
    )


def config_from_mapping(raw: Any, path: Path, lines: dict[str, int] | None = None, sha: str = "",
                        found: list[Issue] = ()) -> Config:
    """Validate a raw mapping (e.g. a base config with a scenario merged in) into a Config.
    `found`: problems found in reading the file (a key given twice), listed first, beside the checker's."""
    check = Checker(path, lines or {})
    checked = check.mapping(raw, SPEC, "")
    if not check.issues.errors:
        semantics(checked, check)  # a key given twice has the value YAML kept: checked like any other
    check.issues.items[:0] = found
    if check.issues.errors:
        raise ConfigError(check.issues.items, _readable_inputs(checked, path, check.issues.errors))
    return _build(checked, path, raw, sha, lines)


class ConfigError(SenrunError):
    """A config in error; `inputs`: its input specs when its `inputs:` section is right all the same
    (a typing slip in the formula), so that the inputs' own cells can be checked in the same pass."""

    def __init__(self, issues: list[Issue], inputs: dict[str, InputSpec] | None = None):
        super().__init__(issues)
        self.inputs = inputs


#: The keys an input is read by: a problem under another key leaves the inputs readable.
_READING_KEYS = ("inputs", "max_input_mb")


def _readable_inputs(checked: dict, path: Path, errors: list[Issue]) -> dict[str, InputSpec] | None:
    """The input specs of a config whose errors are all under other keys than `_READING_KEYS`, else None."""
    if not isinstance(checked.get("inputs"), dict) or not isinstance(checked.get("max_input_mb"), int):
        return None
    if any(not i.field or i.field.split(".")[0].split("[")[0] in (*_READING_KEYS, "(top level)") for i in errors):
        return None
    try:
        return _input_specs(checked, path.parent)
    except (KeyError, TypeError, AttributeError, ValueError):  # (a section the checker left unfilled)
        return None


def refuse_solve(cfg: Config, who: str) -> None:
    """A year's config (`who`: allocate, explain, last year's run, simulate's base) cannot have `rate: solve`,
    which only a simulate scenario may: an error at the first such element's line."""
    solving = [i for i, e in enumerate(cfg.elements) if e.solve]
    if solving:
        key = f"formula.elements[{solving[0]}].rate"
        raise SenrunError(Issue(CONFIG, "error", f"`rate: solve` is for simulate scenarios; {who} needs a rate, a "
                                "share or a remainder", file=cfg.path.name, row=cfg.lines.get(key), column=key,
                                field=key))


def at_lines(exc: SenrunError, cfg: Config) -> SenrunError:
    """`exc` with each problem that names a key of `cfg`'s file (a formula the pot cannot pay, a
    budget check) given that key's YAML line, so that every config problem says where."""
    def located(i: Issue) -> Issue:
        key = i.field or i.column
        if i.file == cfg.path.name and i.row is None and key in cfg.lines:
            return replace(i, row=cfg.lines[key])
        return i

    exc.issues[:] = [located(i) for i in exc.issues]
    return exc.relisted()


#: The first bytes of a spreadsheet: an .xlsx (a zip) and an old .xls.
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".ods", ".parquet")


def _yaml_problem(exc: YamlProblem, name: str) -> Issue:
    return Issue(CONFIG, "error", str(exc), file=name, row=exc.line, column=exc.key, field=exc.key)


#: What to say of a spreadsheet given where a YAML file of each kind is wanted (read_config_checked).
NOT_A_SPREADSHEET = {
    "config": "not a config: give the config's .yaml file (such as senrun.yaml), which names the spreadsheets "
              "under inputs:",
    "scenario": "not a scenario: a scenario is a .yaml file of the config keys it changes, such as budget: "
                "{pupil_specific_pot: 17000000} (docs/simulate.md)",
    "accept": "not an accept list: an accept list is a .yaml file of the warnings accepted, each with its kind, "
              "reason and until date (docs/validate.md)",
}


def _a_spreadsheet(path: Path, data: bytes) -> bool:
    """Whether the file given as a YAML file is a spreadsheet, by its name or its first bytes (`data`)."""
    return path.suffix.lower() in _SPREADSHEET_SUFFIXES or data.startswith(_SPREADSHEET_MAGIC)


def _head(path: Path) -> bytes:
    """A file's first bytes, or none where it cannot be read."""
    try:
        with path.open("rb") as stream:
            return stream.read(8)
    except OSError:
        return b""


def _spreadsheet_given(path: Path, kind: str) -> Issue:
    found = "a CSV file" if path.suffix.lower() == ".csv" else "a spreadsheet"
    return Issue(CONFIG, "error", f"this is {found}, {NOT_A_SPREADSHEET[kind]}", file=path.name)


def read_config_file(path: Path, kind: str = "config") -> tuple[Any, dict[str, int], str]:
    """The raw YAML of a config or scenario file, its line map and its SHA-256: the file is read once, and
    the hash is of the very bytes parsed (a config saved again during the run cannot differ from it).
    A key given twice is an error here; `read_config_checked` lists it with the file's other problems."""
    raw, lines, sha, twice = read_config_checked(path, kind)
    if twice:
        raise SenrunError(twice)
    return raw, lines, sha


def read_config_checked(path: Path, kind: str = "config") -> tuple[Any, dict[str, int], str, list[Issue]]:
    """`read_config_file`'s raw YAML, lines and SHA-256, and each key given twice as an Issue (`kind`: what the
    file is, a config, a scenario or an accept list, for a spreadsheet given in its place: NOT_A_SPREADSHEET)."""
    name = path.name
    try:
        snap = read_snapshot(path, MAX_BYTES, "a config is at most {max:,}")
    except Unreadable as exc:
        text = str(exc)
        what = "accept list" if kind == "accept" else kind
        if text != "does not exist" and _a_spreadsheet(path, _head(path)):  # a census of megabytes: not "too big"
            raise SenrunError(_spreadsheet_given(path, kind)) from None
        problem = f"no such {what} file: {path}" if text == "does not exist" else f"the {what} {path} {text}"
        raise SenrunError(Issue(CONFIG, "error", problem, file=name)) from None
    # a lock file, a shortcut, a file not downloaded (an empty one is said to be empty below: a config or accept
    # list left empty on purpose is likelier than one not yet downloaded)
    if snap.data and (standing := stand_in(path, snap.data)) is not None:
        raise SenrunError(Issue(CONFIG, "error", f"the {'accept list' if kind == 'accept' else kind} {path} "
                                f"{standing}", file=name))
    if _a_spreadsheet(path, snap.data):
        raise SenrunError(_spreadsheet_given(path, kind))
    try:
        raw, lines = load_yaml_bytes(snap.data)
    except DuplicateKeys as exc:  # read all the same: listed with the file's other problems
        return exc.document, exc.lines, snap.sha256, [_yaml_problem(p, name) for p in exc.problems]
    except YamlProblem as exc:
        raise SenrunError(_yaml_problem(exc, name)) from None
    return raw, lines, snap.sha256, []


def load_config(path: str | Path) -> Config:
    """Read, check and freeze the config at `path`; raise SenrunError listing every problem."""
    path = resolved(Path(path))
    raw, lines, sha, twice = read_config_checked(path)
    cfg = config_from_mapping(raw, path, lines, sha, twice)
    if isinstance(cfg.accept, Path):  # the accept list the config names is part of it: checked as the inline one is
        try:
            load_accept_file(cfg.accept)
        except SenrunError as exc:
            typed = raw.get("accept") if isinstance(raw, dict) else None
            raise ConfigError([replace(i, message=i.message + _typed_hint(cfg.accept, typed)) for i in exc.issues],
                              inputs=cfg.inputs) from None
    return cfg


def _typed_hint(path: Path, typed) -> str:
    """For an accept list the config names that is not there: what its path as typed shows (a backslash where the
    system's separator is /, a line break from YAML's escapes, a pasted no-break space), else ""."""
    if not isinstance(typed, str):
        return ""
    try:
        if path.exists():
            return ""
    except OSError:  # (a name too long for the system: its message says so)
        return ""
    from ..suggest import missing_file_hint, typed_unseen
    from .yamlsafe import unquoted_word

    typed = unquoted_word(typed)  # (Word's curly quotes, read as YAML's)
    return missing_file_hint(path, typed) if ("\\" in typed and os.sep == "/") or typed_unseen(typed) else ""


def load_accept_file(path: Path) -> tuple[Acceptance, ...]:
    """An accept file: a YAML mapping with an `accept:` list (or the list alone). Raises SenrunError
    naming each problem's key path and line."""
    from ..accept import check_entries

    raw, lines, _ = read_config_file(Path(path), "accept")
    issues = Issues()
    name = Path(path).name

    def problem(key_path: str, message: str, expected: str | None = None) -> None:
        issues.error(CONFIG, message, file=name, row=lines.get(key_path) or lines.get(key_path.rsplit("[", 1)[0]),
                     column=key_path, field=key_path, expected=expected)

    if isinstance(raw, dict):
        for key in raw:
            if key != "accept":
                problem(str(key), f"unknown key '{key}'; an accept file has one key, accept:", expected="accept")
        entries = check_entries(raw.get("accept"), "accept", problem)
    else:
        entries = check_entries(raw, "", problem)
    issues.raise_if_errors()
    return entries
