"""Scenario overlays and parameter sweeps on a base config (SPEC §6, `senrun simulate`).

A scenario file is an overlay: mappings merge key by key; the named lists
(`formula.elements`, `topslices`) merge by `name` — a new name adds an item at the end,
`remove: true` drops one, otherwise the item's keys merge; any other value replaces the
base's.  The merged mapping is validated like a config, with every problem reported
against the scenario's own file and line.  Paths stay relative to the base config.

A sweep (`--set lump_sum.rate=0,5000`) is a grid of overlays, one per point, each named
by its assignments (`lump_sum.rate=5000;per_pupil.share=0.2`).  Values are parsed as
exact decimals, never floats.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .keys import SPEC as CONFIG_KEYS
from .yamlsafe import WrittenInt
from .loader import Config, config_from_mapping, read_config_file
from .slips import MONEY_KEYS, NAMED_LISTS, a_sweep, near_misses, one_slip, thousands_slip
from ..errors import CONFIG, Issue, SenrunError, name_text

#: The config's top-level keys (SPEC §9, §11): a --set key starting with one is a dotted path, except that one of a
#: single value (`contact`, `delegation`, …) followed by a dot is an element's or a top-slice's of that name.
TOP_LEVEL = tuple(CONFIG_KEYS)
_SINGLE_VALUED = frozenset(k for k, (kind, _) in CONFIG_KEYS.items()
                           if kind in ("str", "int", "count", "date") or (isinstance(kind, tuple) and kind[0] != "list"))
_INT = re.compile(r"^[+-]?\d+$")


class SetOptionError(ValueError):
    """A `--set` option that cannot be understood: a usage error (exit 2)."""


# --- merging --------------------------------------------------------------------------------

def merge(base_raw: dict, overlay_raw: dict, _path: tuple[str, ...] = ()) -> dict:
    """The base mapping with the overlay merged in (neither is changed).

    Mappings merge key by key; `formula.elements` and `topslices` merge by `name`; any
    other value replaces the base's.  Raises SenrunError for a malformed named list.
    """
    out = plain_copy(base_raw) if isinstance(base_raw, dict) else {}
    _merge_into(out, overlay_raw, _path)
    return out


#: Values a YAML mapping holds that never change in place: shared by a copy, not copied.
_ATOMS = (str, int, float, bool, type(None), Decimal, date, datetime)


def plain_copy(value: Any) -> Any:
    """A deep copy of a mapping as YAML gives it (mappings, lists and unchanging values), several
    times quicker than `copy.deepcopy`, which a sweep of 1,000 points would call 1,000 times."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    if isinstance(value, _ATOMS):
        return value
    return copy.deepcopy(value)


def _merge_into(out: dict, overlay_raw: dict, _path: tuple[str, ...]) -> None:
    """Merge the overlay into `out`, a copy the caller owns (so the base is copied once, not at every level)."""
    for key, value in (overlay_raw or {}).items():
        path = (*_path, str(key))
        old = out.get(key)
        if path in NAMED_LISTS and isinstance(old, list):
            out[key] = _merge_named(old, value, ".".join(path))
        elif isinstance(value, dict) and isinstance(old, dict):
            _merge_into(old, value, path)
        else:
            out[key] = plain_copy(value)


def _merge_named(items: list, overlay_items: Any, where: str) -> list:
    """Merge a list of named items into `items`, a copy the caller owns: add a new name at the end,
    drop one with `remove: true`, merge keys."""
    if not isinstance(overlay_items, list):
        raise SenrunError(Issue(CONFIG, "error", "must be a list of items with a name, as in the base config",
                                column=where))
    names = [i.get("name") if isinstance(i, dict) else None for i in items]
    for n, item in enumerate(overlay_items):
        if not isinstance(item, dict) or item.get("name") is None:
            raise SenrunError(Issue(CONFIG, "error", "needs a name: an overlay finds the item it changes by its name",
                                    column=f"{where}[{n}]"))
        name = item["name"]
        if name not in names:
            if item.get("remove"):
                close = [b for b in names if b is not None and one_slip(str(name), str(b))]
                meant = f": did you mean '{close[0]}'?" if close else ""
                raise SenrunError(Issue(CONFIG, "error", f"removes '{name}', which the base config does not have"
                                        f"{meant} (it has {', '.join(map(str, names)) or 'none'})",
                                        column=f"{where}[{n}].name", field=f"{where}[{n}].name", value=str(name)))
            items.append(plain_copy(item))
            names.append(name)
            continue
        at = names.index(name)
        if item.get("remove"):
            del items[at], names[at]
        else:
            if isinstance(items[at], dict):
                _merge_into(items[at], {k: v for k, v in item.items() if k != "remove"}, (where,))
            else:
                items[at] = merge(items[at], {k: v for k, v in item.items() if k != "remove"}, (where,))
    return items


# --- a scenario as a validated Config --------------------------------------------------------

def scenario_config(base_cfg: Config, overlay_raw: Any, source: str, lines: dict[str, int] | None = None,
                    sha: str = "") -> Config:
    """The base config with an overlay merged in and validated; problems name `source` (the scenario file)."""
    lines = lines or {}
    if overlay_raw is None:
        overlay_raw = {}
    if not isinstance(overlay_raw, dict):
        raise SenrunError(Issue(CONFIG, "error", "a scenario must be a mapping of config keys to values",
                                file=source, row=1))
    issues = [replace(i, file=source, row=_line(i.column, lines))  # in the scenario's own numbering
              for i in near_misses(base_cfg.raw, overlay_raw)]
    issues += _named_twice(overlay_raw, source, lines)
    merged = None
    try:
        merged = merge(base_cfg.raw, overlay_raw)
    except SenrunError as exc:  # (located in the scenario already: its own list's index)
        raise SenrunError(issues + [replace(i, code=CONFIG, file=source, row=_line(i.column, lines) if i.column
                                            else None) for i in exc.issues]) from None
    try:
        check_solve_raw(merged)
        cfg = config_from_mapping(merged, base_cfg.path, None, sha)
    except SenrunError as exc:
        # an item named one slip from the base's is told so; what it then lacks as a new item is no second error
        slipped = tuple(i.column.removesuffix("name") for i in issues if i.column and i.column.endswith("].name"))
        issues += [i for i in (_relabel(i, source, merged, overlay_raw, lines) for i in exc.issues)
                   if not (i.column and i.column.startswith(slipped) and slipped)]
    if issues:
        raise SenrunError(issues)
    return cfg


def _named_twice(overlay_raw: dict, source: str, lines: dict[str, int]) -> list[Issue]:
    """An element or top-slice named twice in one scenario: merged by name, the second would replace the
    first with no word, as a base config naming one twice is refused."""
    issues = []
    for keys in KIND_KEYS:
        items = overlay_raw
        for key in keys:
            items = items.get(key) if isinstance(items, dict) else None
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for i, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name in seen:
                path = f"{'.'.join(keys)}[{i}].name"
                issues.append(Issue(CONFIG, "error", f"the name '{name}' is given twice in this scenario's "
                                    f"{'.'.join(keys)}: the second would replace the first; give it once",
                                    file=source, row=_line(path, lines), column=path, field=path))
            elif isinstance(name, str):
                seen.add(name)
    return issues


def _relabel(issue: Issue, source: str, merged: dict | None, overlay_raw: dict, lines: dict[str, int]) -> Issue:
    """The issue, located in the scenario file: its name, and the line of the key where the scenario has it."""
    column = issue.column or issue.field
    if not column:
        return replace(issue, code=CONFIG, file=source, sheet=None, row=None)
    path = overlay_path(column, merged, overlay_raw)
    message = issue.message.replace(column, path)  # `'formula.elements[0].basis' is required`: the scenario's [0]
    if "must have exactly one of" in message:
        message += _kinds_hint(column, merged, overlay_raw, path, source)
    elif issue.is_error:
        message += _null_hint(path, overlay_raw)
    return replace(issue, code=CONFIG, file=source, sheet=None, row=_line(path, lines),
                   column=path, field=path, message=message)


#: The keys that give a named item its kind, one of which it must have (SPEC §4, §9).
KIND_KEYS = {("formula", "elements"): ("rate", "share", "remainder"), ("topslices",): ("amount", "per_cluster",
                                                                                      "per_school")}


def _kinds_hint(column: str, merged: dict | None, overlay_raw: dict, path: str, source: str = "") -> str:
    """For an element or top-slice with two kinds at once: the base's key that the scenario's new one
    should clear (`per_cluster: null`, `remainder: false`), as the scenario's keys merge into the base's item."""
    for keys, kinds in KIND_KEYS.items():
        m = re.match(rf"^{re.escape('.'.join(keys))}\[(\d+)\]$", column)
        if not m or merged is None:
            continue
        try:
            item = _dig(merged, keys)[int(m.group(1))]
            mine = next(i for i in _dig(overlay_raw, keys) if isinstance(i, dict) and i.get("name") == item["name"])
        except (KeyError, IndexError, TypeError, StopIteration):
            return ""
        given = [k for k in kinds if item.get(k) not in (None, False)]
        stale = [k for k in given if k not in mine]
        if len(given) < 2 or not stale:
            return ""
        what = "element" if keys[0] == "formula" else "top-slice"
        if source.startswith("--set"):  # no file to edit: the option that clears it
            clear = " and ".join(f"--set {item['name']}.{k}={'false' if k == 'remainder' else 'null'}" for k in stale)
            return f" — a --set merges into the base's {what}, so clear the one it replaces: add {clear}"
        clear = " and ".join(f"`{k}: false`" if k == "remainder" else f"`{k}: null`" for k in stale)
        return (f" — a scenario's keys merge into the base's {what}, so clear the one it replaces: add {clear} "
                f"to {path}")
    return ""


def _null_hint(path: str, overlay_raw: dict) -> str:
    """For a phase the scenario sets to null (`phases: {primary: null}`): a phase is a name of the config's
    own, with no default of its own, so null cannot put it back; `phases: null` puts back the default phases."""
    parts = path.split(".")
    if len(parts) != 2 or parts[0] != "phases" or not isinstance(overlay_raw.get("phases"), dict) \
            or parts[1] not in overlay_raw["phases"] or overlay_raw["phases"][parts[1]] is not None:
        return ""
    return (f" — null puts back the default of a key senrun defines, and a phase has none of its own: give "
            f"{path} its years, or write `phases: null` to put back the default phases")


def overlay_path(column: str, merged: dict | None, overlay_raw: dict) -> str:
    """A key path of the merged config as the scenario writes it: list items renumbered by name."""
    for keys in NAMED_LISTS:
        prefix = ".".join(keys)
        m = re.match(rf"^{re.escape(prefix)}\[(\d+)\](.*)$", column)
        if not m or merged is None:
            continue
        try:
            name = _dig(merged, keys)[int(m.group(1))]["name"]
            mine = [i.get("name") for i in _dig(overlay_raw, keys)]
            return f"{prefix}[{mine.index(name)}]{m.group(2)}"
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return column  # an item of the base the scenario does not mention
    return column


def _line(path: str, lines: dict[str, int]) -> int | None:
    """The line of the key path in the scenario, or of the nearest enclosing key it has."""
    while path:
        if path in lines:
            return lines[path]
        path = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", path) if re.search(r"(\.|\[)", path) else ""
    return None


def _dig(raw: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        raw = raw[key]
    return raw


def check_solve_raw(merged: dict) -> None:
    """`rate: solve` is allowed only where no element is the remainder (SPEC §4), and once."""
    formula = merged.get("formula")
    elements = formula.get("elements") if isinstance(formula, dict) else None
    if not isinstance(elements, list):  # (not a formula at all: the config check says what is wrong with it)
        return
    elements = [e for e in elements if isinstance(e, dict) and not e.get("remove")]
    solving = [e.get("name") for e in elements if e.get("rate") == "solve"]
    if not solving:
        return
    if len(solving) > 1:
        raise SenrunError(Issue(CONFIG, "error", f"`rate: solve` is set on {', '.join(solving)}: only one element's "
                                "rate can be solved for", column="formula.elements"))
    remainder = [e.get("name") for e in elements if e.get("remainder")]
    if not remainder:
        return
    if remainder[0] == solving[0]:
        hint = f"add `remainder: false` beside `rate: solve` on '{solving[0]}'"
    else:
        hint = (f"remove it ({{name: {remainder[0]}, remove: true}}) or give it a rate or share with "
                "`remainder: false`")
    raise SenrunError(Issue(CONFIG, "error", f"`rate: solve` on '{solving[0]}' asks for the rate that spends the "
                            f"cluster pot exactly, so no element may be the remainder, but '{remainder[0]}' is: "
                            f"{hint}", column="formula.elements"))


def load_scenario(base_cfg: Config, path: Path) -> tuple[str, Config]:
    """A scenario file merged onto the base config and validated: (its name — the file's stem, as text —, Config)."""
    path = Path(path)
    raw, lines, sha = read_config_file(path, "scenario")
    if raw is None:
        raise SenrunError(Issue(CONFIG, "error", "the scenario file is empty: give the keys it changes, e.g. "
                                "budget: {pupil_specific_pot: 17000000} (write {} for a copy of the base config)",
                                file=path.name))
    return name_text(path.stem), scenario_config(base_cfg, raw, path.name, lines, sha)


def load_scenarios(base_cfg: Config, paths: list[Path]) -> list[tuple[str, Config]]:
    """Every scenario file, validated before anything runs; every problem in every file is reported."""
    out, issues = [], []
    for path in paths:
        try:
            out.append(load_scenario(base_cfg, path))
        except SenrunError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SenrunError(issues)
    unique_names([name for name, _ in out])
    return out


def unique_names(names: list[str], swept: tuple[str, ...] = ()) -> None:
    """Two scenarios with one name could not be told apart in the outputs.  `swept`: the names of the
    `--set` points among `names` (a sweep's own points are told apart by `parse_set`)."""
    twice = sorted({n for n in names if names.count(n) > 1})
    if not twice:
        return
    if any(n in swept for n in twice):
        raise SenrunError(f"a scenario file and a --set point are both named {', '.join(twice)}: a scenario file is "
                          "named by its stem, so rename the file")
    raise SenrunError(f"two scenarios are named {', '.join(twice)}: scenarios are named by their file's stem, "
                      "so give the files different names (or give a file once)")


# --- sweeps -------------------------------------------------------------------------------

def parse_value(text: str) -> Any:
    """A --set value: a whole number, an exact decimal, true/false, `solve`, or text (e.g. a date)."""
    t = text.strip()
    if _INT.match(t) and len(t) <= 30:  # longer: an exact Decimal, for the checker to call too large
        return int(t) if str(int(t)) == t else WrittenInt(int(t), t)  # `contact=01603000000` keeps its zero
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if t.lower() in ("null", "none"):
        return None
    try:
        value = Decimal(t)
        if value.is_finite():
            return value
    except InvalidOperation:
        pass
    return t


class _Written:
    """A value as the user wrote it, put in a scenario file's line (`_flow`) as it is."""

    def __init__(self, text: str) -> None:
        self.text = text


def _flow(value: Any) -> str:
    """An overlay as one line of a scenario file, in YAML's flow style: `formula: {elements: [{name: x, …}]}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return value.text if isinstance(value, _Written) else str(value)


def parse_set(option: str, base_raw: dict | None = None) -> tuple[str, list[str]]:
    """`lump_sum.rate=0,5000,10000` → ('lump_sum.rate', ['0', '5000', '10000']).  `base_raw`: the base config,
    whose element and top-slice names say where a list or a mapping given to --set goes in a scenario file."""
    key, sep, values = option.partition("=")
    key = ".".join(part.strip() for part in key.split("."))  # (`lump_sum . rate`: the spaces are no part of a name)
    if sep and key and values.strip().startswith(("[", "{")):  # (its commas would split it into scenarios)
        line = _flow(set_overlay(base_raw or {}, key, _Written(values.strip())))  # (the file's line, as a key would be)
        raise SetOptionError(f"--set {option!r}: --set gives each scenario one value, not a list or a mapping: write "
                             f"it in a scenario file, {line[1:-1]} (docs/simulate.md), and give that as --scenario")
    texts = [v.strip() for v in values.split(",")]
    if not sep or not key or not all(texts):
        raise SetOptionError(f"--set {option!r}: expected KEY=V1,V2,… such as lump_sum.rate=0,5000,10000")
    money = key.rsplit(".", 1)[-1] in MONEY_KEYS
    slip = None if a_sweep(texts) else next(filter(None, (thousands_slip(texts[n:], money)
                                                          for n in range(len(texts) - 1))), None)
    if slip:
        raise SetOptionError(f"--set {option!r}: {slip}")
    twice = [t for n, t in enumerate(texts) if t in texts[:n]]
    if twice:
        raise SetOptionError(f"--set {option!r} repeats the value {', '.join(dict.fromkeys(twice))}: each value "
                             f"makes one scenario, named by it ({key}={twice[0]}), so give each value once")
    return key, texts


def _names(base_raw: dict, keys: tuple[str, ...]) -> list[str]:
    try:
        items = _dig(base_raw, keys)
    except (KeyError, TypeError):
        return []
    return [str(i.get("name")) for i in items or [] if isinstance(i, dict)]


def _not_the_name(key: str, field: str, kind: str, name: str) -> None:
    """`--set lump_sum.name=…` would not rename the element: the overlay finds its item by name, so it would
    add a new item of that name with nothing else set, and the config check would then ask for its basis."""
    if field == "name":
        raise SetOptionError(f"--set {key}: a{'n' if kind == 'element' else ''} {kind} is found by its name, so "
                             f"--set cannot change the name (it would add a new {kind} with nothing else set); to "
                             f"rename '{name}', write a scenario file that removes it ({{name: {name}, remove: "
                             f"true}}) and adds it again under the new name")


def _named(key: str, name: str, field: str, names: list[str], kind: str) -> None:
    """`--set formula.elements.<name>.<field>` or `topslices.<name>.<field>`: a usage error unless the base has an
    item of that `name` (with the nearest as a suggestion), or if `field` is the name itself."""
    if name not in names:
        close = [n for n in names if one_slip(name, n)]
        meant = f" — did you mean '{close[0]}'?" if close else ""
        raise SetOptionError(f"--set {key}: no {kind} is named '{name}'{meant} ({kind}s: {', '.join(names) or 'none'})")
    _not_the_name(key, field, kind, name)


def set_overlay(base_raw: dict, key: str, value: Any) -> dict:
    """The overlay that one assignment makes: `<element>.<key>`, `<topslice>.<key>` or a dotted config key."""
    parts = key.split(".")
    elements, topslices = _names(base_raw, ("formula", "elements")), _names(base_raw, ("topslices",))
    if parts[0] == "formula" and len(parts) == 4 and parts[1] == "elements":
        _named(key, parts[2], parts[3], elements, "element")
        return {"formula": {"elements": [{"name": parts[2], parts[3]: value}]}}
    if parts[0] == "topslices" and len(parts) == 3:
        _named(key, parts[1], parts[2], topslices, "top-slice")
        return {"topslices": [{"name": parts[1], parts[2]: value}]}
    named = len(parts) == 2 and parts[0] in (*elements, *topslices)
    if parts[0] in TOP_LEVEL and named and parts[0] not in _SINGLE_VALUED:
        kind = "element" if parts[0] in elements else "top-slice"
        whole = f"formula.elements.{key}" if kind == "element" else f"topslices.{key}"
        raise SetOptionError(f"--set {key}: '{parts[0]}' is both a config key and a{'n' if kind == 'element' else ''} "
                             f"{kind}'s name; write {whole} for the {kind}")
    if parts[0] in TOP_LEVEL and not named:
        overlay: Any = value
        for part in reversed(parts):
            overlay = {part: overlay}
        return overlay
    if len(parts) != 2 or not all(parts):
        raise SetOptionError(f"--set {key}: expected <element>.<key>, <top-slice>.<key> or a config key such as "
                             "budget.pupil_specific_pot")
    name, field = parts
    if name in elements and name in topslices:
        raise SetOptionError(f"--set {key}: '{name}' is both an element and a top-slice; write "
                             f"formula.elements.{name}.{field} or topslices.{name}.{field}")
    if name in elements:
        _not_the_name(key, field, "element", name)
        return {"formula": {"elements": [{"name": name, field: value}]}}
    if name in topslices:
        _not_the_name(key, field, "top-slice", name)
        return {"topslices": [{"name": name, field: value}]}
    close = [n for n in (*elements, *topslices) if one_slip(name, n)]
    meant = f" — did you mean '{close[0]}.{field}'?" if close else ""
    raise SetOptionError(f"--set {key}: no element or top-slice is named '{name}'{meant} (elements: "
                         f"{', '.join(elements) or 'none'}; top-slices: {', '.join(topslices) or 'none'}; "
                         f"or a config key: {', '.join(TOP_LEVEL)})")


def sweep_overlays(base_raw: dict, options: list[str]) -> list[tuple[str, dict]]:
    """The grid of `--set` options (cartesian product, first option slowest), each point (name, overlay)."""
    if not options:
        return []
    axes, given = [], {}
    for option in options:
        key, texts = parse_set(option, base_raw)
        if key in given:  # each point would take the last option's value, named after both
            first, before = given[key]
            raise SetOptionError(f"--set {key} is given twice ({first!r} and {option!r}): give all its values in "
                                 f"one --set, such as --set {key}={','.join(dict.fromkeys([*before, *texts]))}")
        given[key] = (option, texts)
        axes.append([(key, text, set_overlay(base_raw, key, parse_value(text))) for text in texts])
    points = []
    for combo in itertools.product(*axes):
        overlay: dict = {}
        for _, _, part in combo:
            overlay = merge(overlay, part)
        points.append((";".join(f"{key}={text}" for key, text, _ in combo), overlay))
    return points


def sweep_scenarios(base_cfg: Config, options: list[str]) -> list[tuple[str, Config]]:
    """Each point of the sweep as a validated Config named by its assignment."""
    out, issues = [], []
    for name, overlay in sweep_overlays(base_cfg.raw, options):
        try:
            out.append((name, scenario_config(base_cfg, overlay, f"--set {name}")))
        except SenrunError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SenrunError(issues)
    return out
