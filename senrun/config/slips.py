"""Likely slips in a scenario or a `--set` that would otherwise run quietly as something else.

- A scenario item named one slip away from the base's (`lumpsum` for `lump_sum`) would be added
  beside it as a new item (SPEC §6), leaving the one meant unchanged.
- `--set lump_sum.rate=£5,000` would be split on its comma into two scenarios, `£5` and `000`.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

from ..errors import CONFIG, Issue

#: Lists of named items, by key path: a scenario's items merge into them by `name`.
NAMED_LISTS = (("formula", "elements"), ("topslices",))
#: `£5,000` split on its commas: a value of 1–3 digits (perhaps with £) then ones of exactly three digits.
_THOUSANDS_BEFORE, _THOUSANDS = re.compile(r"[+-]?£?\d{1,3}"), re.compile(r"\d{3}(\.\d*)?")


def near_misses(base_raw: dict, overlay_raw: dict) -> list[Issue]:
    """An overlay item whose name is new to the base but one slip away from a base name (`lumpsum`,
    `Lump_Sum`, `auxiliary_aid`): it would be added beside the item it was meant to change, which would
    stay as it is, so the scenario would seem to change nothing.  A digit added or changed (`per_pupil2`)
    is taken as a deliberate new name."""
    out = []
    for keys in NAMED_LISTS:
        removed = {str(i.get("name")) for i in _items(overlay_raw, keys) if i.get("remove") is True}
        names = [str(i.get("name")) for i in _items(base_raw, keys) if str(i.get("name")) not in removed]
        for n, item in enumerate(_items(overlay_raw, keys)):
            if item.get("remove") is True:  # (one that removes a name the base lacks is told so, with the name meant)
                continue
            name = str(item.get("name")) if isinstance(item, dict) and item.get("name") is not None else None
            close = [b for b in names if name is not None and name not in names and one_slip(name, b)]
            if close:
                what, a = ("element", "an") if keys[0] == "formula" else ("top-slice", "a")
                out.append(Issue(CONFIG, "error", f"adds a new {what} '{name}': did you mean '{close[0]}'? A "
                                 f"scenario changes {a} {what} by its exact name; to add a new one, give it a name "
                                 f"less like '{close[0]}'", column=f"{'.'.join(keys)}[{n}].name",
                                 field=f"{'.'.join(keys)}[{n}].name", value=name, expected=", ".join(names)))
    return out


def one_slip(typed: str, name: str) -> bool:
    """Whether `typed` is `name` but for case, `_` and `-`, or one letter added, dropped, changed or swapped."""
    a, b = (re.sub(r"[_\-\s]", "", t.lower()) for t in (typed, name))
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or any(c.isdigit() for c in set(a) ^ set(b)):
        return False
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))  # the first difference
    added, dropped, changed = a[i + 1:] == b[i:], a[i:] == b[i + 1:], a[i + 1:] == b[i + 1:]
    swapped = a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:]
    return added or dropped or changed or swapped


def _items(raw: dict, keys: tuple[str, ...]) -> list[dict]:
    """The items (mappings) of the named list at `keys` in `raw`; none when it has no such list."""
    items = raw
    for key in keys:
        items = items.get(key) if isinstance(items, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


#: The last part of a --set key that is an amount of money: there a second value ten times the first is taken for
#: the thousands (`6,500`); of a count of days, megabytes or a per cent, only one a hundred times it.
MONEY_KEYS = frozenset({"rate", "amount", "per_cluster", "per_school", "pupil_specific_pot", "sen_total", "ssa_total"})


def a_sweep(texts: list[str]) -> bool:
    """Whether values are plainly a sweep: three or more plain numbers rising (`0,10,100`, `25,250,2500`)."""
    try:
        values = [Decimal(t) for t in texts]
    except ArithmeticError:
        return False
    return len(values) >= 3 and all(a < b for a, b in zip(values, values[1:])) and not any(
        t.startswith("0") and len(t) > 1 and "." not in t for t in texts)


def thousands_slip(texts: list[str], money: bool = True) -> str | None:
    """What is wrong when `texts` (a --set's values, from one on) start with `£5,000`, `5,000` or `2,500`:
    split on its commas it would be two scenarios, 5 and 000.  Values of a like size (`90,100`), a first
    value of 0 (`0,500`) and a first value with pence (`10.00,200`) are a sweep; of an amount of money (`money`),
    a second value ten times the first or more (`6,500`, `45,750`) is the thousands, refused with both readings
    offered (of a count, a hundred times)."""
    before, groups = texts[0], list(itertools.takewhile(_THOUSANDS.fullmatch, texts[1:]))
    if not groups or not _THOUSANDS_BEFORE.fullmatch(before) or before.lstrip("+-£") == "0":
        return None
    pounds, after = before.replace("£", ""), groups[0]
    surely = "£" in before or after.startswith("0")  # no one sweeps £5 and 000
    if not surely and Decimal(after) < (10 if money else 100) * abs(Decimal(pounds)):  # (6,500 ran as £6 and £500)
        return None
    two = "" if surely else f"; to run {pounds} and {after}, write the first with its pence: {pounds}.00,{after}"
    return (f"commas separate the values, so '{before},{after}' would be two scenarios, {before} and {after}: "
            f"write the amount without commas, {pounds}{''.join(groups)}{two}")
