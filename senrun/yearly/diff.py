"""Year on year: this run against an earlier run's totals (SPEC §6 `--previous`).

`diff_against(result, path)` reads last year's `schools.csv` or `allocations.xlsx` and
compares each school's and each cluster's total with this year's, in integer pence.
`attribute_change` (in senrun.yearly.attribution) splits each school's change into its causes.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl

from ..calendar import shift_years
from ..config.loader import Config
from ..errors import ERROR, WARNING, Issue, SenrunError, name_text
from ..register import manifest_of, manifest_period, register_label
from ..result import RunResult
from ..inputs.excel import first_line, listed_name
from ..inputs.load import TOTAL_LABEL
from ..inputs.reading import Unreadable, header_separator, longer_row, text_utf8
from ..inputs.schema import CLUSTER_ID, SCHOOL_ID
from ..inputs.snapshot import Snapshot, read_snapshot
from ..inputs.standins import stand_in
from ..money import CEILING_PENCE, ceiling_text, fmt_gbp
from ..outputs.common import COLUMN_LABELS, LAST_YEARS_FILE, LAST_YEARS_NAME
from .previous_map import columns_found, last_years_file, last_years_issue

#: The columns of diff.csv and the Diff sheet, in order (SPEC §6).
DIFF_COLUMNS = ("level", SCHOOL_ID, CLUSTER_ID, "previous_total", "current_total", "change", "change_pct",
                "flag", "note")
PREVIOUS_COLUMNS = (SCHOOL_ID, CLUSTER_ID, "total")
_POUNDS = re.compile(r"^(-)?(\d+)(?:\.(\d{1,2}))?$")
_GUARDED = re.compile(r"^'[=+\-@\t\r]")  # senrun's CSVs put ' before text a spreadsheet would run
_GUARDED_INSIDE = re.compile(r"([,;\t]\s*)'([=+\-@])")


def pounds_text_to_pence(text: str) -> int | None:
    """'1234.5' → 123450, '£1,234.56' → 123456, exactly (no float); None if it is not money."""
    cleaned = text.strip().replace("£", "").replace(",", "")
    m = _POUNDS.match(cleaned)
    if not m:
        return None
    pence = int(m.group(2)) * 100 + int((m.group(3) or "0").ljust(2, "0"))
    return -pence if m.group(1) else pence


def _unguard(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    text = _GUARDED_INSIDE.sub(r"\1\2", text)  # the ' put after a separator (outputs/csvs.RISKY_INSIDE)
    return text[1:] if _GUARDED.match(text) else text


def previous_file(path: Path) -> Path:
    """`--previous` as given: a file, or the folder senrun wrote last year (its schools.csv, else its
    allocations.xlsx), as `--register` takes the folder of psf.csv."""
    if not path.is_dir():
        return path
    for name in ("schools.csv", "allocations.xlsx"):
        if (path / name).is_file():
            return path / name
    raise last_years_file(path, "no schools.csv or allocations.xlsx in this folder (--previous takes last year's "
                          "schools.csv or allocations.xlsx, or the folder senrun wrote them in)")


def previous_path(given: Path, spec: dict | None) -> tuple[Path, bool]:
    """The file `--previous` names (`previous_file`), and whether it is read by the config's `previous:` map as a
    council's own spreadsheet: a file given with a map in the config; a folder is senrun's, whatever the config
    maps."""
    mapped = spec is not None and not given.is_dir()
    return (given if mapped else previous_file(given)), mapped


def previous_year_issues(cfg: Config, previous: Path, register: Path | None = None, snap: Snapshot | None = None
                         ) -> list[Issue]:
    """Whether `--previous` (and `--register`) are last year's runs, by the manifest.json senrun wrote
    beside them: a run that ended more than a year before this period, or not before it, is not last
    year's (the diff would say "since last year" of another year); the two given from runs of two
    different periods are most likely a slip.  Nothing to say where there is no manifest.  `snap`: the file's
    bytes as the run read them (`previous_snapshot`)."""
    period = manifest_period(previous if previous.is_dir() else previous.parent)
    if period is None:
        return []
    start, end = period
    issues = []
    if not _last_year(period, cfg):
        issues.append(Issue("previous_not_last_year", WARNING, f"--previous is the run of {start:%d/%m/%Y} – "
                            f"{end:%d/%m/%Y}, not of the year before this period ({_year_before(cfg)}): diff.csv "
                            "and the Diff sheet compare with that run", file=previous.name))
    issues += _other_length(period, cfg, previous)
    issues += previous_changed(previous, snap)
    folder = previous if previous.is_dir() else previous.parent
    if register is None and _last_year(period, cfg) and (folder / "psf.csv").is_file():
        issues.append(Issue("register_not_given", WARNING, "--previous is last year's run, beside its psf.csv, but no "
                            "--register was given: PSF that stopped last year (a phase end, a casual move, a ceasing) "
                            "is paid again wherever this year's inputs would pay it (SPEC §11.4)", file=previous.name,
                            expected=f"--register {folder} (last year's output folder, with its psf.csv) beside "
                            "--previous"))
    if register is not None:
        theirs = manifest_period(register if register.is_dir() else register.parent)
        if theirs is not None and theirs != period:
            issues.append(Issue("previous_register_differ", WARNING, f"--previous is the run of {start:%d/%m/%Y} – "
                                f"{end:%d/%m/%Y} but --register the run of {theirs[0]:%d/%m/%Y} – "
                                f"{theirs[1]:%d/%m/%Y}: both should be last year's output", file=previous.name))
    return issues


#: The most differences `previous_changed` lists one by one (then how many more).
CHANGED_LISTED = 20


def previous_changed(previous: Path, snap: Snapshot | None = None) -> list[Issue]:
    """Warnings where last year's schools.csv or allocations.xlsx no longer holds what senrun wrote: its
    manifest.json beside it gives another SHA-256, and the figures read from it differ from those of the other of
    the two files beside it that is still as senrun wrote it (else from the totals the manifest records).  A
    spreadsheet's re-save, a sort, a filter or a column of notes changes no figure and is not told; a row deleted
    or a figure typed over is, by school, row and column, with the figure senrun wrote: diff.csv states last
    year from the file as given, and formula.protection's floor (SPEC §11.8) is set from its cluster shares.
    `snap`: the file's bytes as the run read them (`previous_snapshot`), else it is read here."""
    import hashlib

    try:
        file = previous_file(previous)
    except SenrunError:  # (told where the file is read)
        return []
    manifest = manifest_of(file.parent)
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}

    def intact(path: Path, read: Snapshot | None = None) -> bool:
        entry = files.get(path.name)
        if not isinstance(entry, dict):
            return False
        if read is not None:
            return read.sha256 == entry.get("sha256")
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("sha256")

    if file.name not in files or intact(file, snap):
        return []
    try:
        snap = snap or previous_snapshot(file)
        given = read_previous_once(file, None, snap)[0]
        shares = previous_cluster_allocations(file, snap)
    except SenrunError:  # (told where the file is read)
        return []
    others = [file.parent / n for n in ("schools.csv", "allocations.xlsx") if n != file.name]
    reference = next((o for o in others if intact(o)), None)
    if reference is not None:
        issues = _differences(file, given, shares, read_previous(reference), previous_cluster_allocations(reference),
                              reference.name)
    else:
        issues = _against_totals(file, given, shares, manifest)
    if len(issues) > CHANGED_LISTED:
        more = len(issues) - CHANGED_LISTED
        issues = issues[:CHANGED_LISTED] + [Issue("previous_changed", WARNING, f"and {more:,} more difference(s) from "
                                                  "what senrun wrote", file=file.name)]
    return issues


def _changed_issue(file: Path, what: str, **where) -> Issue:
    return Issue("previous_changed", WARNING, f"(given as --previous) not as senrun wrote it: {what}; diff.csv and the "
                 "Diff sheet state last year from the file as given (and formula.protection's floor from its cluster "
                 "shares): give last year's file as senrun wrote it", file=file.name, **where)


def _differences(file: Path, given: pl.DataFrame, shares: dict[str, int], wrote: pl.DataFrame,
                 wrote_shares: dict[str, int], reference: str) -> list[Issue]:
    """`previous_changed` by school: rows deleted, added or typed over, against the intact file beside it."""
    sheet = "Schools" if file.suffix.lower() in (".xlsx", ".xlsm") else None
    total = COLUMN_LABELS["total"] if sheet else "total"
    both = wrote.join(given, on=SCHOOL_ID, how="full", suffix="_given", coalesce=True).sort(SCHOOL_ID)
    rows = {} if sheet else _rows_holding(file, [(SCHOOL_ID, sid, []) for sid in both[SCHOOL_ID].to_list()])
    issues = []
    for rec in both.iter_rows(named=True):
        sid, row = rec[SCHOOL_ID], rows.get((SCHOOL_ID, rec[SCHOOL_ID]))
        if rec["total"] is None:
            issues.append(_changed_issue(file, f"a row of a school that is not in the {reference} beside it", row=row,
                                         sheet=sheet, column=SCHOOL_ID if not sheet else COLUMN_LABELS[SCHOOL_ID]))
        elif rec["total_given"] is None:
            issues.append(_changed_issue(file, f"school {sid}'s row is missing (deleted, or filtered out and not saved), "
                                         f"so it is compared as a new school; the {reference} beside it has it at "
                                         f"{fmt_gbp(rec['total'])}", sheet=sheet, expected=f"school {sid}"))
        elif rec["total"] != rec["total_given"] or rec[CLUSTER_ID] != rec[f"{CLUSTER_ID}_given"]:
            column = total if rec["total"] != rec["total_given"] else (COLUMN_LABELS[CLUSTER_ID] if sheet else CLUSTER_ID)
            if column == total:
                value = said = fmt_gbp(rec["total_given"])
                expected = fmt_gbp(rec["total"])
            else:  # a typed cell, shown in the public Warnings sheet: never quoted (it could be anything)
                value, said = None, "blank" if rec[f"{CLUSTER_ID}_given"] is None else "another cluster"
                expected = rec[CLUSTER_ID] or "no cluster"
            issues.append(_changed_issue(file, f"school {sid}'s {column} is {said} where the {reference} beside it "
                                         f"has {expected}", row=row, sheet=sheet, column=column, value=value,
                                         expected=expected))
    for cluster in sorted(set(shares) | set(wrote_shares)):
        if shares.get(cluster, 0) != wrote_shares.get(cluster, 0):
            named = f"cluster {cluster}" if cluster in wrote_shares else "a cluster"  # (a typed cell: never quoted)
            issues.append(_changed_issue(file, f"its cluster shares add up to {fmt_gbp(shares.get(cluster, 0))} for "
                                         f"{named} where the {reference} beside it has "
                                         f"{fmt_gbp(wrote_shares.get(cluster, 0))}", sheet=sheet,
                                         column=COLUMN_LABELS["cluster_share"] if sheet else "cluster_share",
                                         expected=fmt_gbp(wrote_shares.get(cluster, 0))))
    return issues


def _against_totals(file: Path, given: pl.DataFrame, shares: dict[str, int], manifest: dict) -> list[Issue]:
    """`previous_changed` where neither file beside it is as senrun wrote it: the count of schools and the sums
    against the manifest's (each school's total is its SSA, PSF and cluster share; the shares make the cluster pot)."""
    def mapping(key: str) -> dict:  # (a manifest of another layout, or edited: nothing to compare)
        return manifest.get(key) if isinstance(manifest.get(key), dict) else {}

    def pence(key: str) -> int | None:
        entry = mapping("totals").get(key)
        return entry.get("pence") if isinstance(entry, dict) and isinstance(entry.get("pence"), int) else None

    issues = []
    rows = mapping("rows").get("schools")
    if isinstance(rows, int) and rows != given.height:
        issues.append(_changed_issue(file, f"it has {given.height:,} schools where senrun wrote {rows:,} (rows deleted, "
                                     "or added)", expected=f"{rows:,} schools"))
    pot, ssa, psf = pence("cluster_pot"), pence("ssa_total"), pence("continuing_psf")
    if pot is not None and sum(shares.values()) != pot:
        issues.append(_changed_issue(file, f"its cluster shares add up to {fmt_gbp(sum(shares.values()))} where "
                                     f"last year's cluster pot was {fmt_gbp(pot)} (its manifest.json)",
                                     expected=fmt_gbp(pot)))
    if None not in (pot, ssa, psf) and int(given["total"].sum()) != pot + ssa + psf:
        issues.append(_changed_issue(file, f"its totals add up to {fmt_gbp(int(given['total'].sum()))} where last "
                                     f"year's run paid schools {fmt_gbp(pot + ssa + psf)} (its manifest.json: SSA, "
                                     "PSF and the cluster pot)", expected=fmt_gbp(pot + ssa + psf)))
    return issues


#: Periods whose lengths differ by more than this many days are not compared figure for figure without a word
#: (a leap year's day, or a month's difference in a period's end, is not worth one).
LENGTHS_DIFFER_DAYS = 31


def _other_length(period: tuple[date, date], cfg: Config, previous: Path) -> list[Issue]:
    """A warning when last year's run was of a period much shorter or longer than this one (the policy's first
    period from September to March, SPEC §11.7; a period moved to the academic year): its PSF and formula were
    for that many days, so every school's change in diff.csv is mostly the periods' lengths."""
    if not _last_year(period, cfg):  # (another year's run is told as such)
        return []
    theirs, ours = (period[1] - period[0]).days + 1, (cfg.period_end - cfg.period_start).days + 1
    if abs(theirs - ours) <= LENGTHS_DIFFER_DAYS:
        return []
    return [Issue("previous_period_length", WARNING, f"--previous is the run of {period[0]:%d/%m/%Y} – "
                  f"{period[1]:%d/%m/%Y}, {theirs:,} days, and this period is {ours:,} days: PSF is paid for the "
                  "part of a year a period covers, so diff.csv and the Diff sheet show most schools changed by the "
                  f"difference in length ({'shorter' if theirs < ours else 'longer'} last year), not by this year's "
                  "figures alone", file=previous.name,
                  expected="a --previous of a period as long as this one, or read the changes with the lengths in mind")]


def read_previous(path: Path, spec: dict | None = None) -> pl.DataFrame:
    """An earlier run's schools: school_id, cluster_id, total (Int64 pence).

    `schools.csv` money is pounds text, parsed exactly; `allocations.xlsx` money cells are
    pound numbers written from pence, so round(x × 100) recovers the pence.
    """
    return read_previous_once(path, spec)[0]


def previous_snapshot(given: Path) -> Snapshot:
    """The bytes of the file `--previous` names (`previous_file`; a file given with a `previous:` map is that
    file too), read once for the run: the protection floor, the Diff and the manifest's SHA-256 all describe
    this one version of it, even if it is saved again meanwhile."""
    path = previous_file(Path(given))
    if not path.is_file():
        raise last_years_file(path, "no such file (the previous run's schools.csv or allocations.xlsx)")
    try:
        snap = read_snapshot(path)
    except Unreadable as exc:
        raise last_years_file(path, str(exc)) from None
    if (standing := stand_in(path, snap.data)) is not None:  # a lock file, a shortcut, a file not downloaded
        raise last_years_file(path, standing)
    return snap


def floor_snapshot(cfg, previous: Path | None) -> Snapshot | None:
    """Last year's file read before the run, where `formula.protection`'s floor needs it (`previous_snapshot`):
    the run then hands the same bytes to the Diff; None where there is no floor or no `--previous`."""
    return previous_snapshot(previous) if previous is not None and cfg.floor_pct is not None else None


def read_previous_once(path: Path, spec: dict | None = None, snap: Snapshot | None = None
                       ) -> tuple[pl.DataFrame, Snapshot]:
    """`read_previous`, and the bytes the figures came from (`snap`, when already read for the floor): the file
    is read once, so that the manifest's SHA-256 and the schools' names describe the same version of it."""
    path, mapped = previous_path(Path(path), spec)
    snap = snap or previous_snapshot(path)
    if mapped:  # a council's own spreadsheet, by the config's `previous:` map
        from .previous_map import read_mapped_previous

        frame = read_mapped_previous(path, spec, own=lambda p: _read_previous_own(p, snap.data), snap=snap)
    else:
        frame = _read_previous_own(path, snap.data)
    dupes = frame.filter(pl.col(SCHOOL_ID).is_duplicated())[SCHOOL_ID].unique().sort().to_list()
    if dupes:
        raise last_years_file(path, f"school_id {', '.join(dupes[:10])} appears more than once")
    return frame.sort(SCHOOL_ID), snap


def _read_previous_own(path: Path, data: bytes) -> pl.DataFrame:
    """A previous run's file written by senrun, schools.csv or allocations.xlsx, from its bytes `data`."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_previous_xlsx(path, data)
    return _read_previous_csv(path, data)


def _missing_columns(frame: pl.DataFrame, path: Path, sheet: str | None) -> None:
    """The columns last year's file lacks, named as the file heads them: a schools.csv by its codes, an
    allocations.xlsx's Schools sheet by its labels for people (`School ID`, `Total (£)`)."""
    def named(columns) -> list[str]:
        return [COLUMN_LABELS.get(c, c) if sheet else c for c in columns]
    missing = [c for c in PREVIOUS_COLUMNS if c not in frame.columns]
    if missing:
        raise last_years_file(path, f"no column {', '.join(named(missing))}; a previous run's file written by senrun "
                              f"has {', '.join(named(PREVIOUS_COLUMNS))} "
                              f"({columns_found(named([c for c in frame.columns if c != CSV_ROW]))}). For last year's figures in a spreadsheet of "
                              "your own, map its columns under previous: columns: in the config (docs/config.md)",
                              sheet=sheet)


#: The row of last year's CSV as a spreadsheet numbers it (the header is row 1), beside its cells.
CSV_ROW = "_row"


def _csv_of_senrun(path: Path, data: bytes | None = None) -> pl.DataFrame:
    """A CSV senrun wrote last year, read as text, with each row's number (CSV_ROW); SenrunError naming the row
    where it cannot be read.  Saved again by a spreadsheet it is still itself: in Windows-1252 (Excel's "CSV",
    whose `£` is one byte) or UTF-16 (its "Unicode Text"), as the inputs and the register are read, and
    without the rows of empty cells (`,,,,`) a spreadsheet leaves below a table."""
    try:
        data = text_utf8(path.read_bytes() if data is None else data)
    except Unreadable as exc:
        raise last_years_file(path, str(exc), row=exc.row) from None
    except OSError as exc:
        raise last_years_file(path, f"cannot read it ({first_line(exc)})") from None
    try:
        raw = pl.read_csv(data, infer_schema=False, separator=header_separator(data)).with_row_index(
            CSV_ROW, offset=2)
        cells = [c for c in raw.columns if c != CSV_ROW]
        return raw.filter(~pl.all_horizontal([pl.col(c).str.strip_chars().fill_null("") == "" for c in cells]))
    except (pl.exceptions.PolarsError, OSError) as exc:
        row = longer_row(path)
        if row is not None:
            raise last_years_file(path, "this row has more cells than the header: a comma outside quotes, added by "
                                  "hand? (put the cell in quotes, or take the comma out)", row=row) from None
        raise last_years_file(path, f"cannot read it as CSV ({first_line(exc)})") from None


def _read_previous_csv(path: Path, data: bytes) -> pl.DataFrame:
    raw = _csv_of_senrun(path, data)
    _missing_columns(raw, path, None)
    ids, clusters, totals, at = (raw[c].to_list() for c in (*PREVIOUS_COLUMNS, CSV_ROW))
    for row, school in zip(at, ids):
        if not (school or "").strip() or re.match(TOTAL_LABEL, school.strip()):
            raise last_years_file(path, f"'{(school or '').strip()}' is not a school: a previous run's schools.csv "
                                  "has a school on every row (a totals row added in a spreadsheet? delete it)",
                                  row=row, column=SCHOOL_ID, value=(school or "").strip(), expected="a school's id")
    pence = []
    for row, text in zip(at, totals):
        value = pounds_text_to_pence(text or "")
        if value is None:
            raise last_years_file(path, f"\"{text}\" is not an amount in pounds (expected e.g. 1234.56)", row=row,
                                  column="total", value=text)
        _within_ceiling(value, path, row)
        pence.append(value)
    return pl.DataFrame({SCHOOL_ID: [_unguard(s) for s in ids], CLUSTER_ID: [_unguard(c) for c in clusters],
                         "total": pence}, schema={SCHOOL_ID: pl.String, CLUSTER_ID: pl.String, "total": pl.Int64})


def _within_ceiling(pence: int, path: Path, row: int, sheet: str | None = None) -> None:
    """Last year's total of one school, refused beyond the ceiling every amount of the inputs has (SPEC §1):
    a larger one had wrapped round in the diff's sums (a cluster's last year shown as −£0.04)."""
    if abs(pence) > CEILING_PENCE:
        raise last_years_file(path, f"{fmt_gbp(pence)} is more than {ceiling_text()}, the most senrun accepts for "
                              "one amount", sheet=sheet, row=row, column=COLUMN_LABELS["total"] if sheet else "total")


def _schools_sheet(path: Path, kinds: dict[str, str], data: bytes | None = None) -> pl.DataFrame:
    """The Schools sheet of a previous run's allocations.xlsx, its columns (`kinds`: code name → type)
    by their code names whether headed so (before round 2) or by their labels for people
    (COLUMN_LABELS), without the totals row below the table (its school id is blank)."""
    import fastexcel

    labels = {COLUMN_LABELS[c]: c for c in kinds}
    try:
        data = path.read_bytes() if data is None else data  # (bytes: a name that is not UTF-8 is no str to it)
        book = fastexcel.read_excel(data)
        if "Schools" not in book.sheet_names:
            raise last_years_file(path, f"no Schools sheet (sheets: {', '.join(map(listed_name, book.sheet_names))})")
        sheet = book.load_sheet("Schools", dtypes={**kinds, **{label: kinds[c] for label, c in labels.items()}})
        frame = sheet.to_polars()
    except SenrunError:
        raise
    except Exception as exc:  # fastexcel raises its own error types
        raise last_years_file(path, f"cannot read its Schools sheet ({exc})") from None
    frame = frame.rename({c: labels[c] for c in frame.columns if c in labels and labels[c] not in frame.columns})
    if SCHOOL_ID in frame.columns:
        frame = frame.filter(pl.col(SCHOOL_ID).is_not_null() & (pl.col(SCHOOL_ID).str.strip_chars() != ""))
    return frame


def _read_previous_xlsx(path: Path, data: bytes) -> pl.DataFrame:
    frame = _schools_sheet(path, {SCHOOL_ID: "string", CLUSTER_ID: "string", "total": "float"}, data)
    _missing_columns(frame, path, "Schools")
    totals = frame["total"].to_list()
    bad = [i for i, v in enumerate(totals) if v is None]
    if bad:
        raise last_years_file(path, "not an amount", sheet="Schools", row=bad[0] + 2, column=COLUMN_LABELS["total"])
    pence = [round(v * 100) if math.isfinite(v) else CEILING_PENCE + 1 for v in totals]
    for i, value in enumerate(pence):
        _within_ceiling(value, path, i + 2, "Schools")
    return pl.DataFrame({SCHOOL_ID: [(s or "").strip() for s in frame[SCHOOL_ID].to_list()],
                         CLUSTER_ID: [(c or "").strip() or None for c in frame[CLUSTER_ID].to_list()],  # §11.2: none
                         "total": pence},
                        schema={SCHOOL_ID: pl.String, CLUSTER_ID: pl.String, "total": pl.Int64})


def previous_cluster_allocations(path: Path, snap: Snapshot | None = None) -> dict[str, int]:
    """Last year's `cluster_allocation` by cluster_id, as last year's membership was (SPEC §11.11): the sum
    of the `cluster_share` column of its schools.csv or its allocations.xlsx Schools sheet, in pence, from
    its bytes `snap` (`previous_snapshot`).  `formula.protection` reads it before the formula."""
    path = previous_file(Path(path))
    data = (snap or previous_snapshot(path)).data
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _schools_sheet(path, {SCHOOL_ID: "string", CLUSTER_ID: "string", "cluster_share": "float"}, data)
        if any(c not in frame.columns for c in (SCHOOL_ID, CLUSTER_ID, "cluster_share")):
            raise last_years_file(path, f"formula.protection needs its School ID, Cluster ID and "
                                  f"{COLUMN_LABELS['cluster_share']} columns (an allocations.xlsx written by senrun)",
                                  sheet="Schools")
        rows = [(str(c or "").strip(), round(v * 100)) for c, v in
                zip(frame[CLUSTER_ID].to_list(), frame["cluster_share"].to_list()) if v is not None]
    else:
        raw = _csv_of_senrun(path, data)
        if "cluster_share" not in raw.columns or CLUSTER_ID not in raw.columns:
            raise last_years_file(path, "formula.protection needs its cluster_id and cluster_share columns (a "
                                  "schools.csv written by senrun)")
        rows = []
        for row, cluster, text in zip(raw[CSV_ROW].to_list(), raw[CLUSTER_ID].to_list(),
                                      raw["cluster_share"].to_list()):
            pence = pounds_text_to_pence(text or "")
            if pence is None:
                raise last_years_file(path, f"\"{text}\" is not an amount in pounds", row=row, column="cluster_share")
            rows.append((_unguard(cluster) or "", pence))
    out: dict[str, int] = {}
    for cluster, pence in rows:
        if cluster:
            out[cluster] = out.get(cluster, 0) + pence
    return out


def floor_previous(cfg, previous: Path | None, snap: Snapshot | None = None) -> dict[str, int] | None:
    """Last year's cluster allocations for `formula.protection`'s floor, when the config has one and
    last year's file is given (allocate, validate and explain alike), from its bytes `snap` where the run
    has read them already (`previous_snapshot`); else None."""
    if cfg.floor_pct is None or previous is None:
        return None
    period = manifest_period(previous if previous.is_dir() else previous.parent)
    if period is not None and not _last_year(period, cfg):
        raise SenrunError(Issue(
            "previous_not_last_year", ERROR, f"--previous is the run of {period[0]:%d/%m/%Y} – {period[1]:%d/%m/%Y}, "
            f"not of the year before this period ({_year_before(cfg)}): "
            "formula.protection's floor is set by last year's cluster allocations, and another year's would move "
            "money between clusters", file=register_label(previous_file(previous).resolve()), expected="last year's schools.csv, or its output folder"))
    return previous_cluster_allocations(previous, snap)


def previous_config_issues(cfg: Config, last_years: Config, given: Path) -> list[Issue]:
    """A warning when `--previous-config` is not last year's config (this year's own, given twice, or one of
    another year): why each total changed would be told against that year's run."""
    if _last_year((last_years.period_start, last_years.period_end), cfg):
        return []
    return [Issue("previous_not_last_year", WARNING, f"--previous-config is the config of "
                  f"{last_years.period_start:%d/%m/%Y} – {last_years.period_end:%d/%m/%Y}, not of the year before this "
                  f"period ({_year_before(cfg)}): diff.csv's reasons for each change compare with that year",
                  file=given.name, expected="last year's config")]


def _year_before(cfg) -> str:
    """The year before this period, in words: `01/04/2012 – 31/03/2013` for a period from 1 April 2013."""
    return f"{shift_years(cfg.period_start, -1):%d/%m/%Y} – {cfg.period_start - timedelta(days=1):%d/%m/%Y}"


def _last_year(period, cfg) -> bool:
    """Whether a run of `period` is the year before this one: it ended before this period starts, and
    not more than a year before."""
    return shift_years(cfg.period_start, -1) <= period[1] < cfg.period_start


# --- the comparison ----------------------------------------------------------------------

def change_pct_expr(change: str, previous: str) -> pl.Expr:
    """change / previous × 100, rounded half away from zero to 2 dp by integer arithmetic; null when previous is 0."""
    num = pl.col(change).cast(pl.Int64) * 10_000 * pl.col(previous).sign()
    den = pl.col(previous).abs()
    q = (num.abs() * 2 + den) // (den * 2)
    hundredths = pl.when(num < 0).then(-q).otherwise(q)
    return pl.when(pl.col(previous) != 0).then((hundredths / 100).round(2)).otherwise(None).cast(pl.Float64)


def flags(change: pl.Series, previous: pl.Series, flag_pct: Decimal) -> pl.Series:
    """|change| > flag_pct % of |previous|, compared exactly; any change from £0 is flagged.

    Compared in Python's whole numbers, one row at a time (a few thousand rows at most): flag_pct as a fraction
    num/den can have as many digits as it was written with (`10.000000000000000000000001`), and
    |change| × 100 × den would overflow any column's integers, leaving the flag blank or stopping the diff."""
    num, den = Fraction(flag_pct).as_integer_ratio()
    return pl.Series([c != 0 if p == 0 else abs(c) * 100 * den > abs(p) * num
                      for c, p in zip(change.to_list(), previous.to_list())], dtype=pl.Boolean)


def compare_totals(previous: pl.DataFrame, current: pl.DataFrame, key: str, flag_pct: Decimal) -> pl.DataFrame:
    """Outer join of (key, …, total) frames: previous_total, current_total, change, change_pct, flag."""
    joined = previous.rename({"total": "previous_total"}).join(
        current.rename({"total": "current_total"}), on=key, how="full", coalesce=True, suffix="_current")
    out = (joined.with_columns(pl.col("previous_total").fill_null(0).cast(pl.Int64),
                               pl.col("current_total").fill_null(0).cast(pl.Int64))
           .with_columns((pl.col("current_total") - pl.col("previous_total")).alias("change")))
    return out.with_columns(change_pct_expr("change", "previous_total").alias("change_pct"),
                            flags(out["change"], out["previous_total"], flag_pct).alias("flag"))


#: A school row's part of its last year's total (pence; diff.csv leaves it out) that was in no cluster then: a
#: setting with no cluster (SPEC §11.2), itself or a predecessor folded into it, is in no cluster's row (the
#: Clusters sheet's "(no cluster)" row has it).
NO_CLUSTER_THEN = "_no_cluster_then"


def fold_predecessors(previous: pl.DataFrame, current_ids: set[str], successions: tuple[tuple[str, str], ...]
                      ) -> pl.DataFrame:
    """Last year's schools with each one that has no row this year folded into its nearest successor that
    has (SPEC §11.1, §11.11): the successor's previous total is its own (if any) plus its predecessors', in
    its own previous cluster (else its first predecessor's), and `_from` lists the predecessors."""
    into = folded_into(previous[SCHOOL_ID].to_list(), current_ids, successions)
    if not into:
        return previous.with_columns(pl.lit(None, dtype=pl.String).alias("_from"), pl.lit(True).alias("_own"),
                                     pl.when(pl.col(CLUSTER_ID).is_null()).then(pl.col("total")).otherwise(0)
                                     .cast(pl.Int64).alias(NO_CLUSTER_THEN))
    folded: dict[str, list[str]] = {}
    for old, new in sorted(into.items()):
        folded.setdefault(new, []).append(old)
    own = {sid: (cluster, total) for sid, cluster, total in previous.select(SCHOOL_ID, CLUSTER_ID, "total").iter_rows()}

    def no_cluster(ids: list[str]) -> int:  # last year's totals in no cluster (SPEC §11.2), for the Clusters sheet
        return sum(own[o][1] for o in ids if own[o][0] is None)

    rows = []
    for sid, (cluster, total) in own.items():
        if sid not in into:
            olds = folded.get(sid, [])
            rows.append((sid, cluster, total + sum(own[o][1] for o in olds), ", ".join(olds) or None,
                         no_cluster([sid, *olds]), True))
    for sid, olds in folded.items():
        if sid not in own:
            rows.append((sid, own[olds[0]][0], sum(own[o][1] for o in olds), ", ".join(olds), no_cluster(olds),
                         False))
    return pl.DataFrame(rows, schema={SCHOOL_ID: pl.String, CLUSTER_ID: pl.String, "total": pl.Int64,
                                      "_from": pl.String, NO_CLUSTER_THEN: pl.Int64, "_own": pl.Boolean},
                        orient="row")


def folded_into(ids: list[str], current_ids: set[str], successions: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Each of last year's `ids` with no row this year → its nearest successor that has one (SPEC §11.1, §11.11)."""
    if not successions:
        return {}
    from ..schools import nearest_open_successor

    after: dict[str, list[str]] = {}
    for old, new in successions:
        after.setdefault(old, []).append(new)
    after = {k: sorted(v) for k, v in after.items()}
    into = {sid: nearest_open_successor(sid, after, current_ids) for sid in ids if sid not in current_ids}
    return {k: v for k, v in into.items() if v is not None}


def in_year_successions(current_ids: set[str], successions: tuple[tuple[str, str], ...]) -> pl.DataFrame:
    """school_id → `_during`: the predecessors it took over from during this year, and `_by`: the
    successors that took it over during this year (both have a row this year, so the predecessor
    keeps last year's total and the successor its own, none if it is new)."""
    during: dict[str, list[str]] = {}
    by: dict[str, list[str]] = {}
    for old, new in successions:
        if old in current_ids and new in current_ids:
            during.setdefault(new, []).append(old)
            by.setdefault(old, []).append(new)
    ids = sorted(set(during) | set(by))
    return pl.DataFrame({SCHOOL_ID: ids, "_during": [", ".join(sorted(during[k])) if k in during else None for k in ids],
                         "_by": [", ".join(sorted(by[k])) if k in by else None for k in ids]},
                        schema={SCHOOL_ID: pl.String, "_during": pl.String, "_by": pl.String})


def _school_rows(previous: pl.DataFrame, current: pl.DataFrame, flag_pct: Decimal,
                 during: pl.DataFrame | None = None) -> pl.DataFrame:
    cur = current.select(SCHOOL_ID, CLUSTER_ID, "total", pl.lit(True).alias("_in_current"))
    if "_from" not in previous.columns:
        previous = previous.with_columns(pl.lit(None, dtype=pl.String).alias("_from"))
    if "_own" not in previous.columns:
        previous = previous.with_columns(pl.lit(True).alias("_own"))
    if NO_CLUSTER_THEN not in previous.columns:
        previous = previous.with_columns(pl.when(pl.col(CLUSTER_ID).is_null()).then(pl.col("total")).otherwise(0)
                                         .cast(pl.Int64).alias(NO_CLUSTER_THEN))
    prev = previous.select(SCHOOL_ID, CLUSTER_ID, "total", "_from", NO_CLUSTER_THEN, "_own",
                           pl.lit(True).alias("_in_previous"))
    out = compare_totals(prev, cur, SCHOOL_ID, flag_pct)
    if during is None:
        during = pl.DataFrame(schema={SCHOOL_ID: pl.String, "_during": pl.String, "_by": pl.String})
    out = out.join(during, on=SCHOOL_ID, how="left", maintain_order="left")
    was, now = pl.col(CLUSTER_ID), pl.col(f"{CLUSTER_ID}_current")
    # every note that applies, in this order ("converted from 9262085; taken over by 9262941 during the year")
    converted = pl.col("_from").is_not_null()
    parts = [
        pl.when(converted).then(pl.lit("converted from ") + pl.col("_from")),
        pl.when(~converted & pl.col("_in_previous").is_null() & pl.col("_during").is_not_null())
        .then(pl.lit("new school: took over from ") + pl.col("_during") + pl.lit(" during the year"))
        .when(~converted & pl.col("_in_previous").is_null()).then(pl.lit("new school"))
        .when(pl.col("_in_current").is_null()).then(pl.lit("closed school"))
        .when(pl.col("_during").is_not_null())
        .then(pl.lit("took over from ") + pl.col("_during") + pl.lit(" during the year")),
        pl.when(pl.col("_by").is_not_null()).then(pl.lit("taken over by ") + pl.col("_by") + pl.lit(" during the year")),
        # a school of last year that moved cluster, whether or not it took others over (an academy new since has
        # no cluster of its own last year: its predecessors' are on their rows last year)
        pl.when(pl.col("_own") & (was != now)).then(pl.lit("changed cluster from ") + was),
    ]
    joined = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    note = pl.when(joined != "").then(joined)
    return out.select(pl.lit("school").alias("level"), SCHOOL_ID, pl.coalesce(now, was).alias(CLUSTER_ID),
                      "previous_total", "current_total", "change", "change_pct", "flag", note.alias("note"),
                      pl.col(NO_CLUSTER_THEN).fill_null(0))


def _cluster_rows(previous: pl.DataFrame, current: pl.DataFrame, flag_pct: Decimal) -> pl.DataFrame:
    def by_cluster(frame: pl.DataFrame, mark: str) -> pl.DataFrame:
        return (frame.filter(pl.col(CLUSTER_ID).is_not_null())  # a setting with no cluster (SPEC §11.2)
                .group_by(CLUSTER_ID).agg(pl.col("total").sum(), pl.lit(True).alias(mark)))

    out = compare_totals(by_cluster(previous, "_in_previous"), by_cluster(current, "_in_current"), CLUSTER_ID,
                         flag_pct)
    note = (pl.when(pl.col("_in_previous").is_null()).then(pl.lit("new cluster"))
            .when(pl.col("_in_current").is_null()).then(pl.lit("closed cluster")).otherwise(None))
    return out.select(pl.lit("cluster").alias("level"), pl.lit(None, dtype=pl.String).alias(SCHOOL_ID), CLUSTER_ID,
                      "previous_total", "current_total", "change", "change_pct", "flag", note.alias("note"))


def diff_frames(previous: pl.DataFrame, current: pl.DataFrame, flag_pct: Decimal,
                successions: tuple[tuple[str, str], ...] = ()) -> pl.DataFrame:
    """The diff of two (school_id, cluster_id, total) frames: schools by school_id, then clusters by cluster_id.
    With `successions` ((predecessor, successor) pairs), last year's schools gone this year are compared
    within their successor's row (`fold_predecessors`)."""
    current_ids = set(current[SCHOOL_ID].to_list())
    folded = fold_predecessors(previous, current_ids, successions)
    schools = _school_rows(folded, current, flag_pct, in_year_successions(current_ids, successions)).sort(SCHOOL_ID)
    # last year's clusters as they were then: a school folded into a successor in another cluster stays in its own
    clusters = _cluster_rows(previous, current, flag_pct).sort(CLUSTER_ID)
    return pl.concat([schools, clusters], how="diagonal").select(*DIFF_COLUMNS, NO_CLUSTER_THEN)


def diff_against(result: RunResult, previous_path: Path, snap: Snapshot | None = None) -> pl.DataFrame:
    """This run against an earlier run's schools.csv or allocations.xlsx (SPEC §6 diff.csv).

    Columns: level (school | cluster), school_id, cluster_id, previous_total, current_total,
    change (Int64 pence), change_pct (Float64, 2 dp; null where previous is 0), flag
    (|change| > diff.flag_pct % of previous), note (new school, closed school, changed
    cluster from X, converted from <ids>; new cluster, closed cluster).  Ids sort in code-point order.
    `snap` is the file's bytes where the run has read them already for its floor (`previous_snapshot`).
    """
    previous, read = read_previous_once(Path(previous_path), result.config.previous, snap)
    current = result.schools.select(SCHOOL_ID, CLUSTER_ID, "total")
    diff = diff_frames(previous, current, result.config.flag_pct, result.successions)
    diff = with_last_year_file(diff, Path(previous_path), result.config.previous, previous.height, read)
    _nothing_of_a_child(previous, diff, Path(previous_path), read.data)
    return diff


def _nothing_of_a_child(previous: pl.DataFrame, diff: pl.DataFrame, given: Path, data: bytes) -> None:
    """Last year's school and cluster ids and school names are published (diff.csv, the Diff sheet, the terminal's
    table): one holding what looks like a child's UPN, or a name holding a date (of birth?), is an error with the
    data hidden, as in this year's schools input (checks.upns_in_names).  A file of last year's that senrun wrote
    from a checked input has none; one edited by hand, or a council's own, may."""
    from ..checks import MAX_LISTED, child_data_in, child_data_kind

    found = []
    for frame, column in ((previous, SCHOOL_ID), (previous, CLUSTER_ID), (diff, LAST_YEAR_NAME)):
        if column in frame.columns:
            texts = frame.get_column(column).drop_nulls()
            found += [(column, text, personal) for text in texts.filter(texts.str.contains(r"\d")).unique(
                maintain_order=True).to_list() if (personal := child_data_in(text, column == LAST_YEAR_NAME))]
    if not found:
        return
    path = given if given.is_file() else previous_file(given)
    rows = _rows_holding(path, found, data)
    raise SenrunError([last_years_issue(
        path, f'"{text}" holds what looks like {child_data_kind(personal)}: last year\'s school and cluster ids and '
        "names are published (diff.csv, the Diff sheet), so correct it in that file",
        sheet="Schools" if path.suffix.lower() in (".xlsx", ".xlsm") else None, row=rows.get((column, text)),
        column=_named(column), value=text, personal=tuple(personal),
        expected="an id or a name with no child's data in it") for column, text, personal in found[:MAX_LISTED]])


def _named(column: str) -> str:
    return "school_name" if column == LAST_YEAR_NAME else column


def _rows_holding(path: Path, found: list[tuple[str, str, list[str]]], data: bytes | None = None
                  ) -> dict[tuple[str, str], int]:
    """Where each (column, text) of `found` first is in last year's file, as a spreadsheet numbers its rows (senrun's
    own schools.csv or allocations.xlsx; none for a council's file read through the config's map)."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = _schools_sheet(path, {SCHOOL_ID: "string", CLUSTER_ID: "string", "school_name": "string"}, data)
        else:
            frame = _csv_of_senrun(path, data)
    except SenrunError:
        return {}
    numbers = frame[CSV_ROW].to_list() if CSV_ROW in frame.columns else range(2, frame.height + 2)
    first: dict[str, dict[str, int]] = {}  # each column read once: a lookup per school (England: 21,600 of them)
    for column in dict.fromkeys(c for c, _, _ in found):
        if _named(column) in frame.columns:
            first[column] = {}
            for n, v in zip(numbers, frame.get_column(_named(column)).to_list()):
                first[column].setdefault(_unguard(v) or "", n)
    return {(column, text): first[column][text] for column, text, _ in found if text in first.get(column, {})}


#: Below this many of this year's schools, no warning that few are in last year's file (a tiny authority).
FEW_SCHOOLS = 10


def few_in_common(diff: pl.DataFrame, given: Path) -> list[Issue]:
    """A warning when fewer than half of this year's schools are in last year's file (by id, or by a
    predecessor there): most likely another authority's run, or a file keyed by URN where this year's
    inputs use DfE numbers.  Money is not changed; diff.csv would call most schools new and closed."""
    schools = diff.filter(pl.col("level") == "school")
    note = pl.col("note").fill_null("")
    now = schools.filter(~note.str.starts_with("closed school"))
    found = now.filter(~note.str.starts_with("new school")).height
    if now.height < FEW_SCHOOLS or 2 * found >= now.height:
        return []
    return [Issue("previous_other_schools", WARNING, f"only {found:,} of this year's {now.height:,} schools "
                  f"{'is' if found == 1 else 'are'} in --previous ({given.name}), by id or by a predecessor: is it "
                  "last year's run for this authority, with the same school ids? diff.csv and the Diff sheet call the "
                  "others new and closed",
                  file=given.name, expected="last year's schools.csv or allocations.xlsx for this authority")]


#: The diff's columns that diff.csv leaves out: each school's name in last year's file (for the Diff
#: sheet's closed schools), and last year's file as read, for manifest.json and the run's reference.
LAST_YEAR_NAME, LAST_YEAR_FILE = LAST_YEARS_NAME, LAST_YEARS_FILE


def with_last_year_file(diff: pl.DataFrame, given: Path, spec: dict | None, rows: int, read: Snapshot) -> pl.DataFrame:
    """The diff with LAST_YEAR_NAME (a school's name as last year's senrun file gives it) and
    LAST_YEAR_FILE (its path as given, SHA-256, bytes and rows read, the same on every row), from the
    bytes `read` (`read_previous_once`) that the diff's figures came from."""
    path, mapped = previous_path(given, spec)
    names = _last_year_names(path, read.data) if not mapped else _names_if_senruns(path, read.data)
    if names is None:
        names = pl.DataFrame(schema={SCHOOL_ID: pl.String, LAST_YEAR_NAME: pl.String})
    file = {"path": name_text(str(path)), "sha256": read.sha256, "bytes": len(read.data), "rows": rows}
    return (diff.join(names, on=SCHOOL_ID, how="left", maintain_order="left")  # a cluster's row: no school, no name
            .with_columns(pl.lit(file).alias(LAST_YEAR_FILE)))


def _names_if_senruns(path: Path, data: bytes) -> pl.DataFrame | None:
    """Last year's names from a file given with a `previous:` map, when it is senrun's own schools.csv or
    allocations.xlsx after all (the year after a council's first run, the map still in the config: it is then
    read as senrun's, `read_mapped_previous`); a council's own spreadsheet gives none."""
    try:
        return _last_year_names(path, data)
    except SenrunError:
        return None


def _last_year_names(path: Path, data: bytes) -> pl.DataFrame | None:
    """school_id → school_name from last year's schools.csv or allocations.xlsx (None without the column)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = _schools_sheet(path, {SCHOOL_ID: "string", "school_name": "string"}, data)
        ids, names = (frame.get_column(c).to_list() if c in frame.columns else None for c in (SCHOOL_ID, "school_name"))
    else:
        raw = _csv_of_senrun(path, data)
        ids, names = (raw.get_column(c).to_list() if c in raw.columns else None for c in (SCHOOL_ID, "school_name"))
    if ids is None or names is None:
        return None
    return (pl.DataFrame({SCHOOL_ID: [(_unguard(s) or "") for s in ids], LAST_YEAR_NAME: [_unguard(n) for n in names]},
                         schema={SCHOOL_ID: pl.String, LAST_YEAR_NAME: pl.String})
            .unique(SCHOOL_ID, keep="first", maintain_order=True))


def largest_movers(diff: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    """The n schools whose totals changed most in pounds (either way); ties by school_id."""
    return (diff.filter((pl.col("level") == "school") & (pl.col("change") != 0))
            .sort([pl.col("change").abs(), pl.col(SCHOOL_ID)], descending=[True, False])
            .head(n))

