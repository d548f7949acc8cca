"""Last year's run as it was made: the register and the `--previous` it was given, found from the
manifest.json it wrote, so that `allocate --previous-config` recomputes last year as it was paid
(docs/diff.md): without its register, children it held stopped would be paid again in it; without its
`--previous`, a `formula.protection` floor would be left out.

Last year's output folder is the folder of this year's `--register` (last year's psf.csv), else of
`--previous`. Its manifest.json records each file by the path it was given as (often relative to the
folder senrun was run from) and its SHA-256: a file is taken only when its SHA-256 is the one recorded,
at that path or, where the years' folders sit side by side, in the folder of the same name beside last
year's. Where one cannot be found, last year is recomputed without it and a warning says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..config.loader import Config
from ..errors import WARNING, Issue, SenrunError
from ..inputs.parse import config_period
from ..inputs.schema import SCHOOL_ID
from ..money import fmt_gbp
from ..register import by_earlier_senrun, manifest_of
from .diff import floor_previous, read_previous

#: The warning that last year is recomputed without something its run had (docs/diff.md).
INCOMPLETE = "previous_config_incomplete"


@dataclass(frozen=True)
class LastRun:
    """What last year's run read besides its config and inputs, for the recomputation of it."""

    #: Last year's own register (the psf.csv of the year before it), when it had one and it was found.
    register: Path | None = None
    #: Last year's floor's previous cluster allocations by cluster_id, when its config has a floor.
    previous: dict[str, int] | None = None
    #: A warning for each thing last year's run had that cannot be found.
    issues: tuple[Issue, ...] = ()


def last_run(last_years: Config, folder: Path | None, given: Path) -> LastRun:
    """Last year's register and floor, from the manifest.json in last year's output `folder` (None when
    neither --register nor --previous names it); `given` is the --previous-config, named in the warnings."""
    wanted = " or ".join(w for w, needed in (("its register", last_years.policy_start < last_years.period_start),
                                             ("its formula.protection floor", last_years.floor_pct is not None))
                         if needed)
    manifest = manifest_of(folder) if folder is not None else {}
    if not manifest:
        if not wanted:  # the policy's first year, with no floor: nothing to find
            return LastRun()
        why = (f"there is no manifest.json senrun wrote in {folder.name or folder}/" if folder is not None else
               "no --register or --previous names last year's output folder, whose manifest.json records them")
        return LastRun(issues=(_missing(given, wanted, why),))
    issues = list(_another_config(manifest, given, folder))
    period = config_period(manifest.get("period"))
    if period is not None and period != (last_years.period_start, last_years.period_end):
        return LastRun(issues=(_missing(given, wanted, f"{folder.name or folder}/ is the run of {period[0]:%d/%m/%Y} "
                                        f"– {period[1]:%d/%m/%Y}, not of that config's period"),) if wanted else ())
    register = None
    recorded = manifest.get("register")
    if isinstance(recorded, dict):
        register = found(recorded, folder)
        if register is None:
            issues.append(_missing(given, "its register", _not_there(recorded, folder)))
    previous = None
    if last_years.floor_pct is not None:
        inputs = manifest.get("inputs")
        recorded = inputs.get("previous") if isinstance(inputs, dict) else None
        path = found(recorded, folder) if isinstance(recorded, dict) else None
        if path is None:
            issues.append(_missing(given, "its formula.protection floor", _not_there(recorded, folder)
                                   if isinstance(recorded, dict) else "its manifest.json records no --previous"))
        else:
            previous = floor_previous(last_years, path)
    return LastRun(register, previous, tuple(issues))


#: The warning that --previous-config is not the config last year's run was made with.
ANOTHER_CONFIG = "previous_config_differs"


def _another_config(manifest: dict, given: Path, folder: Path) -> tuple[Issue, ...]:
    """A warning when the --previous-config file is not the one last year's run was made with (its manifest's
    config_sha256): a config of the Forum's or an older copy recomputes another last year, so the parts do not
    add up to the change (a budget changed between them falls in no part)."""
    recorded = manifest.get("config_sha256")
    try:
        ours = hashlib.sha256(given.read_bytes()).hexdigest()
    except OSError:
        return ()
    if not isinstance(recorded, str) or recorded == ours:
        return ()
    return (Issue(ANOTHER_CONFIG, WARNING, f"{given.name} is not the config last year's run was made with (its "
                  f"SHA-256 is not the config_sha256 of {folder.name or folder}/manifest.json): last year is "
                  "recomputed from it, so the change_* parts need not add up to the change; give the config that "
                  "run was made with", file=given.name),)


#: The warning that last year recomputed gives its schools other totals than its run wrote in its schools.csv.
NOT_AS_PAID = "previous_config_not_paid"


def not_as_paid(recomputed: pl.DataFrame, last_years: Config, folder: Path | None, given: Path,
                previous: bool) -> tuple[Issue, ...]:
    """A warning when last year recomputed from `given` (its schools: school_id, total in pence) is not what last
    year's run wrote in the schools.csv of its output `folder` (as senrun wrote it, by its manifest.json, and of that
    config's period): most often a folder written by an earlier release of senrun, whose rules and columns read
    this one has changed (docs/seven-years.md), or last year's inputs changed since.  Without --previous, diff.csv's
    previous_total is the recomputation, so that is said; with it, the change_* parts miss each change by as much."""
    if folder is None:
        return ()
    manifest = manifest_of(folder)
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    entry, file = files.get("schools.csv"), folder / "schools.csv"
    try:
        intact = (isinstance(entry, dict) and file.is_file()
                  and hashlib.sha256(file.read_bytes()).hexdigest() == entry.get("sha256"))
    except OSError:
        intact = False
    if not intact or config_period(manifest.get("period")) != (last_years.period_start, last_years.period_end):
        return ()
    try:
        wrote = dict(read_previous(file).select(SCHOOL_ID, "total").iter_rows())
    except SenrunError:
        return ()
    ours = dict(recomputed.select(SCHOOL_ID, "total").iter_rows())
    differ = sorted(s for s in wrote.keys() | ours.keys() if wrote.get(s, 0) != ours.get(s, 0))
    if not differ:
        return ()
    first = differ[0]
    where = folder.name or str(folder)
    why = ("that run was made by an earlier release of senrun, some of whose rules have been corrected since and "
           "which read fewer of the inputs' columns (docs/seven-years.md, \"Upgrading from the first release\")"
           if by_earlier_senrun(manifest) else "its config or inputs are not as that run read them")
    then = ("the change_* parts do not add up to each such change, by as much; run that year again with this "
            "release, and this one with its output folder" if previous else
            f"diff.csv's previous_total is the recomputation, not what was paid: give --previous {where}/ too, so "
            "that last year is what was paid")
    return (Issue(NOT_AS_PAID, WARNING, f"last year's run recomputed from {given.name} gives {len(differ):,} of its "
                  f"schools another total than its schools.csv in {where}/ as senrun wrote it (school {first}: "
                  f"{fmt_gbp(ours.get(first, 0))} recomputed, {fmt_gbp(wrote.get(first, 0))} written): {why}; "
                  f"{then}", file=given.name),)


def found(recorded: dict, folder: Path) -> Path | None:
    """The file a manifest.json in `folder` records (`path` as it was given, `sha256`): at that path, or in
    the folder of the same name beside `folder`; only with the SHA-256 recorded, else None."""
    text, sha256 = str(recorded.get("path") or ""), recorded.get("sha256")
    if not text or not sha256:
        return None
    path = Path(text)
    for candidate in dict.fromkeys((path, folder.parent / path.parent.name / path.name)):
        try:
            if candidate.is_file() and hashlib.sha256(candidate.read_bytes()).hexdigest() == sha256:
                return candidate
        except OSError:
            continue
    return None


def _not_there(recorded: dict, folder: Path) -> str:
    return (f"{recorded.get('path')}, as {folder.name or folder}/manifest.json records it, is not there as "
            "that run read it: the path is as it was typed, from the folder senrun was run in, so run this year's "
            "from that folder too, or keep the years' output folders side by side")


def _missing(given: Path, what: str, why: str) -> Issue:
    """One line: what last year's recomputation lacks, why, and what that does to the parts."""
    return Issue(INCOMPLETE, WARNING, f"last year's run is recomputed without {what} ({why}), so it may differ "
                 "from what was paid: without --previous, diff.csv's previous_total by as much; with it, the sum of "
                 "the change_* parts from each change (docs/diff.md)", file=given.name)
