"""The register carried from year to year (SPEC §11.4, §11.11 "Register").

Last year's `psf.csv`, as senrun wrote it, is the memory of the seven-year transition (FAQ 8):
PSF that stopped — at a phase end, a casual move, a ceasing — never starts again (FAQ 3),
even when this year's inputs would pay it (a child who left and reappears in the census).

`read_register` reads the file into one row per history (upn, stream); `apply` stops what
stopped last year (unless the config's `reinstate:` names the child), and finds the
warnings `resurrected`, `missing_from_statements` and `school_changed`.  Without a
register nothing here runs: each year stands alone, as in §3.

A history is found by its (upn, stream) hashed to one integer (`HASH`, made as the register is
read): this year's lines are matched with last year's histories once, on that integer, and the
text is compared only where two hashes meet, so that two keys that share a hash are never taken
for one history.  Every rule then works on the history's row number (`history_index`), never
joining or grouping by the two strings.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from .config.loader import Config
from .errors import ERROR, WARNING, Issue, SenrunError, name_text
from .inputs.parse import config_date, config_period, parse_date, parse_money
from .inputs.reading import Unreadable, header_separator, text_utf8
from .inputs.snapshot import read_snapshot
from .inputs.standins import stand_in
from .inputs.schema import FROM_SCHOOL, ROW, STREAM, STREAMS, TO_SCHOOL, UPN
from .money import fmt_gbp
from .calendar import shift_years
from . import succession
from .history import effective_date
from .psf import CONTINUING, PsfFrames
from .succession import Successions

STOPPED_LAST_YEAR = "stopped_last_year"
KEY = [UPN, STREAM]
HASH = "_key_hash"  # a history's (upn, stream) as one integer (see key_hash)
RELEASED = "released_amount"
REG_ROW = "register_row"  # a history's first line in last year's psf.csv, as a spreadsheet numbers it
_SEED = 20130401
COLUMNS = ("upn", "stream", "psf_school_id", "paid_school_id", "paid_to", "paid_amount", "reason")
READ = tuple(c for c in COLUMNS if c != "psf_school_id")  # (psf_school_id: only checked to be there)
#: The reasons in the tie order of §11.9: a history's stop reason last year is the first of its lines'.
REASON_ORDER = ("stream_ended", "phase_end", "casual_move", "transfer", "not_in_census", "ceased", "school_closed",
                STOPPED_LAST_YEAR, "post_policy_statement")


@dataclass(frozen=True)
class Register:
    """Last year's histories: upn, stream, last_paid (pence), last_reason (a stop, or `continuing`),
    last_school (paid_school_id at its last paid day), last_paid_to, `HASH` (see key_hash) and
    `REG_ROW` (where its first line is in the file), in no particular order; and where it came from."""

    histories: pl.DataFrame
    file: str
    path: str
    sha256: str
    #: No two histories share a hash (nearly always): a line's history is found by the hash alone.
    distinct_hashes: bool = True
    #: The period of the run that wrote it (its manifest.json beside it), when that is there.
    period: tuple[date, date] | None = None
    #: Warnings about the file itself (`register_changed`), given with the register's others.
    notes: tuple[Issue, ...] = ()
    #: Whether the run that wrote it had a register of its own (its manifest.json says); None without one.
    had_register: bool | None = None
    #: The warnings about its own register that the run that wrote it was given (its manifest.json's codes among
    #: DOUBTS), by code with their counts: its stops may be incomplete.
    doubts: tuple[tuple[str, int], ...] = ()
    #: For the few histories paid last year at more than one school (a managed move): upn, stream, school and
    #: what was paid there (pence); None when every history was paid at one school.
    paid_at: pl.DataFrame | None = None
    #: Written by a release of senrun from before it took a register (its manifest has no run reference).
    by_earlier_senrun: bool = False
    #: The `policy.start` of the run that wrote it (its manifest.json), when that says it.
    policy_start: date | None = None


def read_register(path: Path) -> Register:
    """Last year's psf.csv (or the folder holding it), one row per (upn, stream); SenrunError when
    it is not a psf.csv written by senrun, naming the file, row and column."""
    file = path / "psf.csv" if path.is_dir() else path
    if not file.is_file():
        raise SenrunError(Issue("register", ERROR, f"no psf.csv at '{path}': --register takes last year's psf.csv "
                                "or the folder senrun wrote it in", file=file.name))
    if file.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".parquet", ".json"):
        raise SenrunError(Issue("register", ERROR, f"is not a psf.csv: --register takes last year's psf.csv, or the "
                                f"folder senrun wrote it in, not its {file.suffix.lower()} file", file=file.name,
                                expected="last year's psf.csv, or its output folder"))
    label = register_label(file.resolve())  # its folder's own name, however the path was typed (`.`, `psf.csv`)
    try:  # read once, as the inputs are: the SHA-256 is of the bytes read, even if the file is saved meanwhile
        snap = read_snapshot(file)
    except Unreadable as exc:
        raise SenrunError(Issue("register", ERROR, str(exc), file=label)) from None
    if (standing := stand_in(file, snap.data)) is not None:  # a lock file, a shortcut, a file not downloaded
        raise SenrunError(Issue("register", ERROR, standing, file=label))
    data, sha256 = snap.data, snap.sha256
    try:  # as the inputs are read: Excel's "CSV" (Windows-1252) and "Unicode Text" (UTF-16) too
        data = text_utf8(data)
    except Unreadable as exc:
        raise SenrunError(Issue("register", ERROR, str(exc), file=label, row=exc.row)) from None
    try:
        sep = header_separator(data)
        header = pl.read_csv(data, infer_schema=False, n_rows=0, separator=sep).columns
        missing = [c for c in COLUMNS if c not in header]
        # only the columns read below (England's register: 40 MB, 430,000 lines)
        raw = None if missing else pl.read_csv(data, infer_schema=False, separator=sep, columns=list(READ) + [
            c for c in (RELEASED,) if c in header])  # (released: a stop undone by hand, `_continuing_unpaid`)
    except pl.exceptions.PolarsError as exc:
        raise SenrunError(Issue("register", ERROR, f"cannot be read as CSV ({exc})", file=label)) from None
    if missing:
        beside = (f": the psf.csv beside it is; give that, or the folder {file.parent.name or '.'}/"
                  if file.name != "psf.csv" and (file.parent / "psf.csv").is_file() else "")
        raise SenrunError(Issue("register", ERROR, f"is not a psf.csv written by senrun: no column "
                                f"{', '.join(missing)}{beside}", file=label, expected=", ".join(COLUMNS)))
    del data
    lines = _resaved(_lines_of(raw))
    del raw
    _check_lines(lines, label)
    lines = lines.with_columns(key_hash())
    histories, distinct = _histories(lines)
    _continuing_unpaid(lines, histories, label)
    manifest = manifest_of(file.parent)
    earlier = by_earlier_senrun(manifest)
    return Register(histories, label, str(file), sha256, distinct, config_period(manifest.get("period")),
                    tuple(_changed(manifest, file, label, sha256, lines.height)
                          + _unreadable_manifest(file.parent, manifest, label)),
                    _had_register(manifest, earlier),
                    _doubts(manifest), _paid_at(lines), earlier, config_date(manifest.get("policy_start")))


def _lines_of(raw: pl.DataFrame) -> pl.DataFrame:
    """The psf.csv's lines as read (text): each with its row, in senrun's own formats (ISO dates, pounds
    with two decimals) read directly, not by the inputs' every-format parsers (a tenth of the time on an
    England-scale register); a spreadsheet's ",,,," rows are no line."""
    paid = pl.col("paid_amount").str.strip_chars()
    pence = pl.when(paid.str.contains(r"^-?\d+\.\d\d$")).then(paid.str.replace(".", "", literal=True)
                                                             .cast(pl.Int64, strict=False))
    blank = pl.all_horizontal([pl.col(c).str.strip_chars().fill_null("") == "" for c in READ])
    # released: read only where a stop undone by hand could be (`_continuing_unpaid`)
    released = (pl.when((pl.col("reason").str.strip_chars() == CONTINUING)
                        & (pl.col("paid_to").str.strip_chars().fill_null("") == "")).then(parse_money(RELEASED))
                if RELEASED in raw.columns else pl.lit(None, dtype=pl.Int64))
    return raw.with_row_index(ROW, offset=2).filter(~blank).select(
        ROW, pl.col(UPN).str.replace_all(" ", "", literal=True).str.to_uppercase().alias(UPN),
        pl.col(STREAM).str.strip_chars().str.to_uppercase(), pl.col("paid_school_id").str.strip_chars(),
        pl.col("paid_to").alias("_raw_to"),
        pl.col("paid_to").str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias("paid_to"),
        pl.col("paid_amount").alias("_raw_paid"), pence.alias("paid_amount"), pl.col("reason").str.strip_chars(),
        released.alias(RELEASED))


def by_earlier_senrun(manifest: dict) -> bool:
    """Whether a manifest was written by a release of senrun from before it took a register: senrun's own
    (its version, totals and files) with no run reference, which every release since writes, and no register
    (a release that took one records it, with or without a run reference)."""
    return (not manifest.get("run_reference") and "register" not in manifest and bool(manifest.get("senrun_version"))
            and isinstance(manifest.get("totals"), dict) and isinstance(manifest.get("files"), dict))


def _had_register(manifest: dict, earlier: bool) -> bool | None:
    """Whether the run that wrote a register was given one of its own: its manifest's `register`, which a release
    that took registers writes whenever it was given one; None where the manifest does not say (not senrun's)."""
    if "register" in manifest:
        return True
    return False if manifest.get("run_reference") or earlier else None


#: Warnings about a run's own register that make the register it writes doubtful for the year after: its stops
#: may be incomplete (SPEC §11.4).
DOUBTS = ("register_stale", "register_changed", "register_without_register", "register_doubtful",
          "register_earlier_release")


def _doubts(manifest: dict) -> tuple[tuple[str, int], ...]:
    """The DOUBTS among the warnings a run's manifest.json counts, with their counts."""
    counts = (manifest.get("warnings") or {}).get("by_code") if isinstance(manifest.get("warnings"), dict) else None
    if not isinstance(counts, dict):
        return ()
    return tuple((code, int(counts[code])) for code in DOUBTS if isinstance(counts.get(code), int) and counts[code])


def _changed(manifest: dict, file: Path, label: str, sha256: str, lines: int) -> list[Issue]:
    """A psf.csv whose manifest.json beside it gives another SHA-256 has been changed since senrun wrote
    it: opened and saved in a spreadsheet (harmless), or edited — a stopped child's reason turned to
    `continuing`, or rows deleted or filtered out, pays again a child whose PSF stopped last year."""
    try:
        wrote = manifest["files"][file.name]["sha256"]
        rows = (manifest.get("rows") or {}).get("psf")
    except (KeyError, TypeError, AttributeError):
        return []
    if wrote == sha256:
        return []
    if isinstance(rows, int) and rows > lines:
        what = (f"it has {lines:,} lines where senrun wrote {rows:,}: lines deleted or filtered out in a spreadsheet "
                "are children the register no longer knows, and one whose PSF stopped last year is paid again")
    elif isinstance(rows, int) and rows < lines:
        what = (f"it has {lines:,} lines where senrun wrote {rows:,}: lines copied or added in a spreadsheet count "
                "again what a child was paid last year, and a line added as continuing pays again a child whose PSF "
                "stopped")
    else:
        what = ("its lines are as many as senrun wrote, but not as it wrote them: if it was only opened and saved in "
                "a spreadsheet nothing is lost; an edited reason pays again a child whose PSF stopped last year")
    return [Issue("register_changed", WARNING, f"has been changed since senrun wrote it (its manifest.json gives "
                  f"another SHA-256): {what}; give the psf.csv as senrun wrote it, and name any child to pay again "
                  "under reinstate: in the config", file=label)]


def carried(result) -> Register:
    """A run's PSF lines as the next year's register, as if its psf.csv were read back: the run-off's
    years each remember the one before (SPEC §6 `--years` with `--register`), as a council's runs do."""
    cfg = result.config
    lines = result.psf.select(
        pl.int_range(2, result.psf.height + 2, dtype=pl.Int64).alias(ROW), UPN, STREAM, "paid_school_id",
        "paid_to", "paid_amount", "reason")
    histories, distinct = _histories(lines)
    return Register(histories, f"the run-off's year before {shift_years(cfg.period_start, 1):%Y}", "", "", distinct,
                    (cfg.period_start, cfg.period_end))


def register_label(file: Path) -> str:
    """How messages and the Summary name the register: its folder and name (`2013-14/psf.csv`), so that
    last year's psf.csv is never taken for this year's; in the layout docs/seven-years.md gives, a folder of
    each year holding its `out/`, the year's folder too (`2013-14/out/psf.csv`: every year's is `out/psf.csv`)."""
    folder = file.parent
    if folder.name and not any(ch.isdigit() for ch in folder.name) and re.search(r"\d{4}", folder.parent.name):
        return name_text(f"{folder.parent.name}/{folder.name}/{file.name}")
    return name_text(f"{folder.name}/{file.name}" if folder.name else file.name)


def manifest_period(folder: Path) -> tuple[date, date] | None:
    """The period of the senrun run whose output folder this is (its manifest.json), or None when
    there is no readable manifest there (a psf.csv copied elsewhere)."""
    return config_period(manifest_of(folder).get("period"))  # (as the config gave it: `01/04/2013` or ISO)


def manifest_of(folder: Path) -> dict:
    """The manifest.json senrun wrote in an output folder (saved again by Notepad with a byte-order mark,
    still itself), or {} when there is none it could read."""
    import json

    try:
        found = json.loads((folder / "manifest.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _unreadable_manifest(folder: Path, manifest: dict, label: str) -> list[Issue]:
    """A manifest.json beside the register that cannot be read as senrun's: whether the psf.csv was
    changed since senrun wrote it (and which year it is of) can no longer be checked.  None there at
    all is a psf.csv sent on its own, as --register takes it: nothing is said."""
    if manifest.get("files") or not (folder / "manifest.json").exists():
        return []
    return [Issue("register_changed", WARNING, "its folder's manifest.json cannot be read as the one senrun wrote "
                  "(edited, emptied or saved as another kind of file), so whether the psf.csv was changed since "
                  "then, and which year it is of, cannot be checked; give the folder as senrun wrote it",
                  file=label)]


def _continuing_unpaid(lines: pl.DataFrame, histories: pl.DataFrame, file: str) -> None:
    """A stop's reason changed to `continuing` by hand, which would pay again a child whose PSF stopped
    (SPEC §11.4: `reinstate:` is the way), named by row.  senrun writes `continuing` on a history paid
    to the day the period ended (the latest day any line of the register was paid to), or on a line
    paid nothing and releasing nothing (a statement too late in the period for a paid month); a stop
    it writes on a line paid nothing releases the child's entitlement.  So a history `continuing` last
    paid before the period's end, or a line paid nothing that released money, was edited."""
    end = histories["last_paid_to"].max()
    short = histories.filter(~pl.col("stopped") & (pl.col("last_paid_to") < pl.lit(end, dtype=pl.Date)))
    unpaid = lines.filter((pl.col("reason") == CONTINUING) & pl.col("paid_to").is_null()
                          & (pl.col(RELEASED).fill_null(0) > 0))
    odd = pl.concat([short.select(REG_ROW, "last_paid_to"),
                     unpaid.select(pl.col(ROW).alias(REG_ROW), pl.col("paid_to").alias("last_paid_to"))]).sort(REG_ROW)
    if odd.is_empty():
        return

    def what(to) -> str:
        return ("line paid to no date that released money" if to is None
                else f"history last paid to {to:%d/%m/%Y}, though others were paid to {end:%d/%m/%Y}")

    raise SenrunError([Issue(
        "register", ERROR, f"reason 'continuing' on a {what(to)}: senrun writes continuing only where a child was "
        "paid to the period's end or was due nothing, so a stop's reason has been changed by hand, which would pay "
        "again a child whose PSF stopped; put back the reason senrun wrote, and name any child to pay again under "
        "reinstate: in the config",
        file=file, row=row, column="reason", value=CONTINUING, expected="the reason senrun wrote")
        for row, to in odd.head(200).iter_rows()])


def _resaved(lines: pl.DataFrame) -> pl.DataFrame:
    """A psf.csv opened and saved in a spreadsheet (`8400`, `£8,400.00`, `31/03/2013`): the few cells
    not in senrun's own format are read by the inputs' parsers (money and dates of every form)."""
    odd = ((pl.col("paid_amount").is_null() & pl.col("_raw_paid").is_not_null())
           | (pl.col("paid_to").is_null() & pl.col("_raw_to").str.strip_chars().ne("").fill_null(False)))
    fixed = lines.filter(odd)
    if fixed.is_empty():
        return lines
    fixed = fixed.with_columns(pl.coalesce("paid_amount", parse_money("_raw_paid")).alias("paid_amount"),
                               pl.coalesce("paid_to", parse_date("_raw_to")).alias("paid_to"))
    return lines.update(fixed.select(ROW, "paid_amount", "paid_to"), on=ROW)


def _check_lines(lines: pl.DataFrame, file: str) -> None:
    """Every line needs a UPN, a stream, a known reason and an amount, and a date paid to that is a
    date (or blank): each problem named by its row and column, with the cell's text (not a UPN's)."""
    known = (CONTINUING, *REASON_ORDER)
    problems = (
        (UPN, pl.col(UPN).is_null(), None, "a UPN"),
        (STREAM, ~pl.col(STREAM).is_in(STREAMS).fill_null(False), STREAM, "a stream (PSF, SSMN or FYS)"),
        ("paid_amount", pl.col("paid_amount").is_null() & pl.col("_raw_paid").is_not_null(), "_raw_paid",
         "an amount in pounds such as 8400.00"),
        ("paid_to", pl.col("paid_to").is_null() & pl.col("_raw_to").str.strip_chars().ne("").fill_null(False),
         "_raw_to", "a date such as 2014-03-31, or blank"),
        ("reason", ~pl.col("reason").is_in(known).fill_null(False), "reason", f"one of {', '.join(known)}"),
    )
    found = lines.select(ROW, *(bad.alias(f"_bad_{column}") for column, bad, _, _ in problems),
                         *{raw for _, _, raw, _ in problems if raw}).filter(
        pl.any_horizontal(pl.col(f"_bad_{column}") for column, _, _, _ in problems))
    if found.is_empty():
        return
    issues = []
    for rec in found.head(200).iter_rows(named=True):
        for column, _, raw, expected in problems:
            if rec[f"_bad_{column}"]:
                value = rec[raw] if raw else None
                what = f"'{value}' is not {expected}" if value is not None else f"is empty: it needs {expected}"
                issues.append(Issue("register", ERROR, f"not a line of a psf.csv written by senrun: {what}",
                                    file=file, row=rec[ROW], column=column, value=value, expected=expected))
    raise SenrunError(issues)


def _paid_at(lines: pl.DataFrame) -> pl.DataFrame | None:
    """What each history paid at more than one school last year paid at each (a school's return lists a child
    paid there last year and not this year with what was paid there); None when there is none."""
    paid = pl.col("paid_amount").fill_null(0)
    several = (lines.filter(pl.col(HASH).is_duplicated()).filter(paid > 0)  # (histories of one line: paid at one)
               .group_by(*KEY, "paid_school_id").agg(paid.sum().alias("paid"))
               .filter(pl.len().over(KEY) > 1))
    return several.sort(*KEY, "paid_school_id") if several.height else None


def key_hash() -> pl.Expr:
    """A (upn, stream) as one integer: equal keys hash equal, and two different keys almost never
    do (where they do, `history_index` and the grouping of `_histories` still tell them apart)."""
    return pl.struct(KEY).hash(_SEED).alias(HASH)


def _histories(lines: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """One row per (upn, stream): paid in all, its stop reason (or continuing), the school at its last
    paid day and that day; and its `HASH`.  Nearly every history is one line, taken as it is: only
    the lines whose hash repeats are grouped (by the text itself), so no sort of every line.  And
    whether no two histories share a hash (only those grouped can)."""
    order = {r: i for i, r in enumerate(REASON_ORDER)}
    stop_rank = pl.col("reason").replace_strict(order, default=None, return_dtype=pl.Int32)
    if HASH not in lines.columns:
        lines = lines.with_columns(key_hash())
    several = pl.col(HASH).is_duplicated()
    one = lines.filter(~several).select(
        UPN, STREAM, pl.col("paid_amount").fill_null(0).alias("last_paid"), stop_rank.alias("_stop_rank"),
        pl.col("paid_school_id").alias("last_school"), pl.col("paid_to").alias("last_paid_to"), HASH,
        pl.col(ROW).alias(REG_ROW))
    # within a history: its lines by last day paid (then file order); the school at the last of them.  A
    # (upn, stream) of two histories (a statement ceased, then reissued, §11.3) is as its latest one
    # was: the lines of one history share its reason, and a reissue's lines come after the ceasing's
    # (a ceased history paid nothing, or was paid up to the day before the reissue)
    many = (lines.filter(several).with_columns(stop_rank.alias("_rank"), pl.col("paid_to").fill_null(pl.date(1, 1, 1))
                                               .alias("_last"))
            .sort(*KEY, "_last", ROW)
            .group_by(KEY, maintain_order=True)
            .agg(pl.col("paid_amount").fill_null(0).sum().alias("last_paid"),
                 pl.col("_rank").last().alias("_stop_rank"),
                 pl.col("paid_school_id").last().alias("last_school"),
                 pl.col("paid_to").max().alias("last_paid_to"), pl.col(HASH).first(),
                 pl.col(ROW).min().alias(REG_ROW)))
    stop = pl.col("_stop_rank").replace_strict({i: r for r, i in order.items()}, default=None, return_dtype=pl.String)
    hist = (pl.concat([one, many.select(one.columns)])
            .select(*KEY, "last_paid", "last_school", "last_paid_to", pl.col("_stop_rank").is_not_null().alias("stopped"),
                    pl.when(pl.col("_stop_rank").is_not_null()).then(stop).otherwise(pl.lit(CONTINUING))
                    .alias("last_reason"), HASH, REG_ROW))
    return hist, not many[HASH].is_duplicated().any()


_LINES: dict[int, tuple] = {}  # the lines `apply` returned, by id: (a weak reference, their history_index)


def history_index(frame: pl.DataFrame, register: Register) -> pl.Series:
    """For each row of `frame` (a upn and a stream), the row number of its history in the register's
    histories, or null when last year had none: joined on the hash, then the text compared.  Known
    already for the lines `apply` returned (the Reconciliation's)."""
    made = _LINES.get(id(frame))
    if made is not None and made[0]() is frame and made[1] is register:
        return made[2]
    hist = register.histories
    keys = frame.select(*KEY, key_hash())
    if not register.distinct_hashes:  # two of last year's histories share a hash: join on the text
        return keys.join(hist.select(KEY).with_row_index("_h"), on=KEY, how="left", maintain_order="left")["_h"]
    found = keys.join(hist.select(HASH, pl.col(UPN).alias("_upn"), pl.col(STREAM).alias("_stream"))
                      .with_row_index("_h"), on=HASH, how="left", maintain_order="left")
    same = (pl.col("_upn") == pl.col(UPN)) & (pl.col("_stream") == pl.col(STREAM))
    return found.select(pl.when(same).then(pl.col("_h")).alias("_h")).to_series()


def _remember(lines: pl.DataFrame, register: Register, at: pl.Series) -> pl.DataFrame:
    """Keep `lines`' history_index while they live (the Reconciliation needs it again)."""
    _LINES[id(lines)] = (weakref.ref(lines), register, at)
    weakref.finalize(lines, _LINES.pop, id(lines), None)
    return lines


def _named(hist: pl.DataFrame, keys: pl.DataFrame) -> pl.Series:
    """Whether each history is one of `keys` (a few, such as the config's reinstatements): the
    hashes pick the candidates, the text decides."""
    wanted = keys.select(key_hash()).to_series().implode()
    candidates = hist.select(*KEY, HASH).with_row_index("_h").filter(pl.col(HASH).is_in(wanted))
    hits = candidates.join(keys.select(KEY), on=KEY, how="semi")["_h"]
    return pl.int_range(hist.height, dtype=pl.UInt32, eager=True).is_in(hits.implode())


def _reinstated(cfg: Config) -> pl.DataFrame:
    """`reinstate:` as a frame: upn, stream, reason and the entry's line in the config file."""
    return pl.DataFrame({UPN: [r.upn for r in cfg.reinstate], STREAM: [r.stream for r in cfg.reinstate],
                         "reinstate_reason": [r.reason for r in cfg.reinstate],
                         "config_line": [cfg.lines.get(f"reinstate[{i}]") for i in range(len(cfg.reinstate))]},
                        schema={UPN: pl.String, STREAM: pl.String, "reinstate_reason": pl.String,
                                "config_line": pl.Int64})


def apply(psf: PsfFrames, register: Register, cfg: Config, moves: pl.DataFrame | None = None,
          successions: Successions | None = None, where=None) -> tuple[PsfFrames, list[Issue]]:
    """This year's PSF under last year's register: a history stopped last year is one line, paid 0,
    releasing 0, reason `stopped_last_year` (unless reinstated); and the register's warnings
    (`where(column, row)`: a place in the statements input, as `Table.where` gives it)."""
    hist = register.histories
    at = history_index(psf.lines, register)  # each line's history last year (a line's key is its row's)
    stop = hist["stopped"]
    if cfg.reinstate:
        stop = stop & ~_named(hist, _reinstated(cfg))
    held_mask = stop.gather(at).fill_null(False)
    lines = (psf.lines.select(UPN, STREAM, ROW, "paid_school_id", "paid_from", "paid_amount", "reason")
             .with_columns(at.alias("_h")).with_row_index("_line"))
    held = lines.filter(held_mask)
    held = held.with_columns(hist["last_reason"].gather(held["_h"]), hist["last_paid_to"].gather(held["_h"]))
    issues = [*register.notes, *_stale(register, cfg), *_earlier_rules(register, cfg), *_unregistered(register, cfg),
              *_doubtful(register), *_resurrected(held, register)]
    if not held.is_empty():
        # each stopped history keeps one line (its first), changed in place: paid nothing at its
        # statement's school from no date, it sorts where that line was among the lines kept (the
        # history's other lines are dropped), so psf.csv's order holds with no sort of every line
        one = _first_lines(held, psf.rows)
        chosen = lines["_line"].is_in(one.implode())
        kept = ~held_mask | chosen
        # a line paid nothing shows the rate in force on the later of the period start and the statement date,
        # as its row holds it (psf.statement_rows), not the line's last rate
        stopped = {"annual_amount": pl.col("_row_rate"),
                   "paid_school_id": pl.col("psf_school_id"), "paid_amount": pl.lit(0, dtype=pl.Int64),
                   "released_amount": pl.lit(0, dtype=pl.Int64), "paid_from": pl.lit(None, dtype=pl.Date),
                   "paid_to": pl.lit(None, dtype=pl.Date), "reason": pl.lit(STOPPED_LAST_YEAR),
                   "units": pl.lit(0, dtype=pl.Int32), "stop_date": pl.lit(cfg.period_start)}
        row_rate = (psf.rows.filter(pl.col(ROW).is_in(held[ROW].implode()))
                    .select(ROW, pl.col("annual_amount").alias("_row_rate")).unique(ROW, keep="first"))
        new_lines = (psf.lines.with_columns(chosen.alias("_chosen"))
                     .join(row_rate, on=ROW, how="left", maintain_order="left").filter(kept)
                     .select(pl.when(pl.col("_chosen")).then(stopped[name]).otherwise(pl.col(name)).alias(name)
                             if name in stopped else pl.col(name) for name in psf.lines.columns))
        # a row is stopped when its lines are: every row has a line, with the row's upn and stream
        rows = psf.rows.with_columns(pl.col(ROW).is_in(held[ROW].implode()).alias("_stopped"))
        rows = (rows.with_columns(pl.when(pl.col("_stopped")).then(pl.lit(STOPPED_LAST_YEAR)).otherwise(pl.col("reason"))
                                  .alias("reason"),
                                  (pl.col("census_decided") & ~pl.col("_stopped")).alias("census_decided"),
                                  (pl.col("move_after_census_told") & ~pl.col("_stopped")).alias("move_after_census_told"),
                                  # held at nothing from the period's start: nothing is due, so nothing released
                                  pl.when(pl.col("_stopped")).then(pl.lit(cfg.period_start)).otherwise(pl.col("stop_date"))
                                  .alias("stop_date"),
                                  pl.when(pl.col("_stopped")).then(0).otherwise(pl.col("entitlement")).alias("entitlement"))
                .drop("_stopped"))
        psf, at = replace(psf, rows=rows, lines=new_lines), at.filter(kept)
    # the lines of histories continuing last year are the same before and after the hold: found once
    issues += _missing(hist, at, register)
    issues += _not_in_register(lines, register, where)
    issues += _now_post_policy(lines.filter(~held_mask), hist, register)
    last_start = register.period[0] if register.period else shift_years(cfg.period_start, -1)
    issues += _stopped_within_last_year(psf.rows, lines.filter(~held_mask), hist, register.file, cfg.period_start,
                                        where, last_start)
    issues += _school_changed(lines, hist, register, moves, successions)
    issues += _reinstate_notes(hist, cfg)
    _remember(psf.lines, register, at)
    return psf, issues


def _first_lines(held: pl.DataFrame, rows: pl.DataFrame) -> pl.Series:
    """The `_line` of each held history's first line: of its first statement by effective date (a reissue's
    statement date is its own), then by row, so that the line kept does not follow the file's order of rows."""
    starts = rows.select(ROW, effective_date(rows.columns).alias("_start"))
    return (held.join(starts, on=ROW, how="left")
            .sort("_start", ROW, pl.col("paid_from").fill_null(pl.date(1, 1, 1)), "_line", nulls_last=True)
            .filter(pl.col("_h").is_first_distinct())["_line"])


def _each(frame: pl.DataFrame, code: str, text, file: str, where=None) -> list[Issue]:
    """A warning per history (up to 200, then one saying how many more), at its first line in last
    year's psf.csv (`REG_ROW`), or given `where(column, row)`, at its row (`ROW`) there: the UPN in it
    is the child's personal data, hidden unless asked for."""
    at = where or (lambda column, row: {"file": file, "row": row, "column": column, "field": column})
    out = [Issue(code, WARNING, text(r), **at(UPN, r[ROW] if where else r[REG_ROW]), value=r[UPN])
           for r in frame.head(200).iter_rows(named=True)]
    if frame.height > 200:
        out.append(Issue(code, WARNING, f"{frame.height - 200:,} more like this", **at(None, None)))
    return out


def _stale(register: Register, cfg: Config) -> list[Issue]:
    """A register of a run that ended more than a year before this period starts is not last year's: a
    child stopped in the year between would be paid again (§11.4 takes last year's psf.csv).  Its run's
    period is read from the manifest beside it; without one, its last payment stands for it."""
    if register.period is not None:
        end, what = register.period[1], (f"the register is of the run of {register.period[0]:%d/%m/%Y} – "
                                         f"{register.period[1]:%d/%m/%Y}")
    else:
        end = register.histories["last_paid_to"].max()
        what = f"the register's PSF was last paid on {end:%d/%m/%Y}" if end is not None else ""
    if end is None:
        return []
    if end >= shift_years(cfg.period_start, -1):
        # (without a manifest, the last payment stands for the period's end only while some child was continuing)
        known = register.period is not None or bool((~register.histories["stopped"]).any())
        if end >= cfg.period_start - timedelta(days=1) or not known:
            return []
        return [Issue("register_gap", WARNING, f"{what}; this period starts {cfg.period_start:%d/%m/%Y}: PSF for "
                      f"{end + timedelta(days=1):%d/%m/%Y} – {cfg.period_start - timedelta(days=1):%d/%m/%Y} is paid "
                      "by no run (a period moved to the academic year needs a run for the months between)",
                      file=register.file)]
    return [Issue("register_stale", WARNING, f"{what}, more than a year before this period starts "
                  f"({cfg.period_start:%d/%m/%Y}): --register takes last year's psf.csv, and a child whose PSF "
                  "stopped in the year between would be paid again", file=register.file)]


def _doubtful(register: Register) -> list[Issue]:
    """A register written by a run that was itself warned of its register (stale, changed, or itself written
    without one): what that run held stopped may be short, and the doubt carries on to every later year until
    a year is run again with the right register.  Said, not stopped: the warning may have been looked into."""
    if not register.doubts:
        return []
    said = ", ".join(f"{code} ×{n}" for code, n in register.doubts)
    when = (f" ({register.period[0]:%d/%m/%Y} – {register.period[1]:%d/%m/%Y})" if register.period else "")
    return [Issue("register_doubtful", WARNING, f"the register is the psf.csv of a run{when} that was warned of "
                  f"its own register ({said}, in its manifest.json): a child whose PSF had stopped may be carried in "
                  "it as continuing, and is then paid this year. If those warnings were not looked into, run that "
                  "year again with the psf.csv of the year before it, as senrun wrote it, then this one",
                  file=register.file, expected="each year's run given last year's psf.csv, unchanged, as --register")]


def _unregistered(register: Register, cfg: Config) -> list[Issue]:
    """A register written by a run without a register of its own, in a year after the policy began: the
    stops of the years before it are not in it (a child stopped then, paid again in that run, is carried
    as continuing).  Right where that run was senrun's first year under the policy; said, not stopped."""
    if register.had_register is not False or register.period is None or register.period[0] <= cfg.policy_start:
        return []
    given = ("written by an earlier release of senrun, which took no --register" if register.by_earlier_senrun
             else "that was given no --register of its own")
    again = ("run the years before it again with this release, in order from the policy's first year, each with "
             "the last one's output folder as --register, then this one" if register.by_earlier_senrun
             else "run that year again with its --register, then this one")
    return [Issue("register_without_register", WARNING, f"the register is the psf.csv of a run "
                  f"({register.period[0]:%d/%m/%Y} – {register.period[1]:%d/%m/%Y}) {given}: PSF that stopped "
                  "before that year is not held stopped in it, and a child paid again in that run is carried as "
                  "continuing. Nothing is wrong if that run was the first senrun made under the policy; otherwise "
                  f"{again}", file=register.file, expected="each year's run given last year's psf.csv as --register")]


def _earlier_rules(register: Register, cfg: Config) -> list[Issue]:
    """The policy's first year, written by a release of senrun from before it took a register: no stop of an
    earlier year is missing from it, but its stops follow that release's rules, some corrected since (a census
    dated before the policy start read as a move check, SPEC §11.7 and §11.10), and this year holds them all.
    (A later year's such register is `_unregistered`'s.)"""
    if not register.by_earlier_senrun or register.period is None or register.period[0] > cfg.policy_start:
        return []
    return [Issue("register_earlier_release", WARNING, f"the register is the psf.csv of a run ({register.period[0]:%d/%m/%Y} "
                 f"– {register.period[1]:%d/%m/%Y}) written by an earlier release of senrun, before it took a register: "
                 "its stops follow that release's rules, some of which have been corrected since (a census dated "
                 "before the policy start is no longer read as a check of moves, SPEC §11.7), and each is held this "
                 "year. Run that year again with this release and give its output folder as --register",
                 file=register.file, expected="last year's psf.csv as this release writes it")]


def overlap_errors(register: Register, cfg: Config) -> list[Issue]:
    """The errors a register stops the run with, before any rule is applied: one of this period or a
    later one (`_overlaps`), or one written under another `policy.start` (`_other_policy`)."""
    return [*_overlaps(register, cfg), *_other_policy(register, cfg)]


def _other_policy(register: Register, cfg: Config) -> list[Issue]:
    """A register written under another `policy.start` than this config's: the cluster model began once,
    and a protected phase judged on another day stops or pays children unlike every year before (a
    continuing child stopped as a phase end, a funded statement taken for a post-policy one)."""
    if register.policy_start is None or register.policy_start == cfg.policy_start:
        return []
    return [Issue("register_policy", ERROR, f"the register's run had policy.start {register.policy_start:%d/%m/%Y}, "
                  f"this config has {cfg.policy_start:%d/%m/%Y}: the cluster model began once, and a different "
                  "start judges every child's protection on another day; give policy.start as the years before "
                  "had it, or, if theirs was wrong, run those years again with the right one, in order",
                  file=cfg.path.name, column="policy.start", value=f"{cfg.policy_start:%Y-%m-%d}",
                  expected=f"{register.policy_start:%Y-%m-%d}, as in the register's run ({register.file})")]


def _overlaps(register: Register, cfg: Config) -> list[Issue]:
    """A register of this period or a later one is never last year's (most likely this year's own, or
    next year's): its stops and payments would be taken as last year's, so the run stops.  Its run's
    period is read from the manifest beside it; without one, a payment on or after this period's start
    gives it away."""
    if register.period is not None:
        if register.period[1] < cfg.period_start:
            return []
        what = f"the register is of the run of {register.period[0]:%d/%m/%Y} – {register.period[1]:%d/%m/%Y}"
    else:
        latest = register.histories["last_paid_to"].max()
        if latest is None or latest < cfg.period_start:
            return []
        what = f"the register has PSF paid up to {latest:%d/%m/%Y}"
    return [Issue("register_overlaps", ERROR, f"{what}, not a year before this period "
                  f"({cfg.period_start:%d/%m/%Y} – {cfg.period_end:%d/%m/%Y}): --register takes last year's psf.csv "
                  "(this year's own, or a later year's, would stop and pay children as if it were last year)",
                  file=register.file, expected="last year's psf.csv, or its output folder")]


def last_paid_words(paid_to) -> str:
    """A stopped history's last day paid last year, in words."""
    return f"last paid to {paid_to:%d/%m/%Y}" if paid_to else "paid nothing last year"


def _resurrected(held: pl.DataFrame, register: Register) -> list[Issue]:
    """A stopped history that this year's inputs would have paid: the register holds it at 0."""
    would = (held.group_by("_h", maintain_order=True)
             .agg(pl.col(UPN).first(), pl.col(STREAM).first(), pl.col("paid_amount").sum(),
                  pl.col("last_reason").first(), pl.col("last_paid_to").first(), pl.col(ROW).min())
             .filter(pl.col("paid_amount") > 0).sort(ROW))
    would = would.with_columns(register.histories[REG_ROW].gather(would["_h"]))
    return _each(would, "resurrected", lambda r: (
        f"{r[UPN]} / {r[STREAM]}: {last_years_stop(r['last_reason'], last_paid_words(r['last_paid_to']))}; this year's inputs "
        f"would pay {fmt_gbp(r['paid_amount'])}, but it stays stopped (name the child under reinstate: in the config "
        "to pay it)"), register.file)


def last_years_stop(reason: str, when: str = "") -> str:
    """A history's stop in last year's register, in words: a stop of last year's with its reason (and `when`), or
    one held last year for a stop of a year before (whose reason that year's psf.csv has)."""
    if reason == STOPPED_LAST_YEAR:
        return "PSF stopped in an earlier year and was held stopped last year"
    return f"PSF stopped last year ({reason}{', ' + when if when else ''})"


def _missing(hist: pl.DataFrame, at: pl.Series, register: Register) -> list[Issue]:
    """A history paid and continuing last year that this year's statements do not hold (no line of
    this year's is of it: `at`, each line's history)."""
    gone = (hist.with_row_index("_h")
            .filter((pl.col("last_reason") == CONTINUING) & (pl.col("last_paid") > 0)
                    & ~pl.col("_h").is_in(at.drop_nulls().implode()))
            .sort(KEY))
    return _each(gone, "missing_from_statements", lambda r: (
        f"{r[UPN]} / {r[STREAM]} was paid {fmt_gbp(r['last_paid'])} last year and was continuing, but is not in "
        "this year's statements: nothing is paid. Usually a row lost in the export: give it again; if the statement "
        "ended, add its ceased row (or ceased_date), and the warning goes (docs/seven-years.md)"), register.file)


def _not_in_register(lines: pl.DataFrame, register: Register, where) -> list[Issue]:
    """A child paid this year whose history the register does not hold.  Protection is for statements
    made before the policy start, so a child paid this year was in last year's statements and in its
    psf.csv — unless new to the authority, or the register lost rows (deleted or filtered out in a
    spreadsheet), when a child whose PSF stopped last year is paid again with no other word."""
    new = (lines.filter(pl.col("_h").is_null() & (pl.col("paid_amount") > 0))
           .group_by(UPN, STREAM).agg(pl.col("paid_amount").sum(), pl.col(ROW).min()).sort(ROW))
    where = where or (lambda column, row: {"file": "statements", "row": row, "column": column, "field": column})
    return _each(new, "not_in_register", lambda r: (
        f"{r[UPN]} / {r[STREAM]} is paid {fmt_gbp(r['paid_amount'])} this year but is not in the register "
        f"({register.file}): right for a child new to the authority this year; if the register lost rows, a child "
        "whose PSF stopped last year is being paid again"), register.file, where)


def _now_post_policy(lines: pl.DataFrame, hist: pl.DataFrame, register: Register) -> list[Issue]:
    """A history paid and continuing last year whose every line this year is a post-policy statement: its
    statement row was most likely replaced by the EHC plan (dated after the policy start), which
    pays nothing, where an `ehc_transfer` row would have kept the child's protection (§11.3)."""
    continuing = (hist["last_reason"] == CONTINUING) & (hist["last_paid"] > 0)
    mine = lines.filter(continuing.gather(lines["_h"]).fill_null(False))
    new = (mine.group_by("_h").agg(pl.col(UPN).first(), pl.col(STREAM).first(), pl.col(ROW).min(),
                                   (pl.col("reason") == "post_policy_statement").all().alias("_all_new"))
           .filter("_all_new").sort(ROW))
    new = new.with_columns(hist["last_paid"].gather(new["_h"]), hist[REG_ROW].gather(new["_h"]))
    return _each(new, "now_post_policy", lambda r: (
        f"{r[UPN]} / {r[STREAM]} was paid {fmt_gbp(r['last_paid'])} last year and was continuing, but this year's "
        "statement is dated on or after the policy start, so it is paid nothing (post_policy_statement): if it is "
        "the same statement transferred to an EHC plan or amended, keep the first row and add an ehc_transfer or "
        "amended row (SPEC §11.3)"), register.file)


def _stopped_within_last_year(rows: pl.DataFrame, lines: pl.DataFrame, hist: pl.DataFrame, file: str,
                              period_start: date, where=None, last_start: date | None = None) -> list[Issue]:
    """A history last year's run paid as continuing that this year's inputs stop on a day it paid, or before
    last year began: a ceasing or a move recorded since, or a rule changed in the config (`transfer:`, the
    phases).  Last year's payment stands; this year pays nothing.  Said, so that it is looked into.  Only a row
    stopped before this period starts can be (last year's payments all are): those few are looked up.

    A statement ceased and then reissued (§11.3) is two histories of one (upn, stream), and last year's line is
    the later one's: the earlier history's stop is not said where a reissue that carries PSF (one issued before
    the policy began) was in force from the later of the stop and last year's start (`last_start`) on — last year
    paid the reissue (a ceasing in 2011 and a reissue in 2012 are no news in 2014).  Where it came later, last year
    paid days in between for no statement, and the message says from when the reissue is in force."""
    stopped = rows.filter(~pl.col("reason").is_in([CONTINUING, "post_policy_statement"])
                          & (pl.col("stop_date") < period_start)).select(ROW, UPN, STREAM, "reason", "stop_date")
    if stopped.is_empty():
        return []
    last_start = last_start or date.min
    stopped = _reissued_from(stopped, rows).filter(
        pl.col("_next").is_null() | (pl.col("_next") > pl.max_horizontal("stop_date", pl.lit(last_start))))
    if stopped.is_empty():
        return []
    mine = lines.filter(pl.col(ROW).is_in(stopped[ROW].implode())).group_by(ROW).agg(pl.col("_h").first())
    found = stopped.join(mine, on=ROW).filter(pl.col("_h").is_not_null())
    found = (found.with_columns(hist["last_reason"].gather(found["_h"]), hist["last_paid_to"].gather(found["_h"]),
                                hist[REG_ROW].gather(found["_h"]))
             .filter((pl.col("last_reason") == CONTINUING) & (pl.col("stop_date") <= pl.col("last_paid_to")))
             .sort(ROW))

    def when(r: dict) -> str:
        said = ("a day last year paid" if r["stop_date"] >= last_start else
                f"before last year began ({last_start:%d/%m/%Y})")
        return said + (f", and the statement reissued after it is in force only from {r['_next']:%d/%m/%Y}"
                       if r["_next"] is not None else "")

    return _each(found, "stopped_within_last_year", lambda r: (
        f"{r[UPN]} / {r[STREAM]} was paid to {r['last_paid_to']:%d/%m/%Y} by last year's run, continuing, but this "
        f"year's inputs stop it on {r['stop_date']:%d/%m/%Y} ({r['reason']}), {when(r)}: a ceasing or a "
        "move recorded since, or a rule changed in the config (transfer:, the phases)? Last year's payment stands; "
        "nothing is paid this year"), file, where)


def _reissued_from(stopped: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The `stopped` rows (a few) with `_next`: when the next history of its (upn, stream) in `rows` that carries
    PSF begins (a reissue, §11.3; not one issued after the policy began, which pays nothing), or null."""
    start = effective_date(rows.columns)
    own = stopped.join(rows.select(ROW, start.alias("_start")), on=ROW, how="left", maintain_order="left")
    later = (own.select(ROW, UPN, STREAM, "_start")
             .join(rows.filter(~pl.col("post_policy")).select(UPN, STREAM, start.alias("_next")), on=[UPN, STREAM])
             .filter(pl.col("_next") > pl.col("_start"))
             .group_by(ROW).agg(pl.col("_next").min()))
    return stopped.join(later, on=ROW, how="left", maintain_order="left")


def _school_changed(lines: pl.DataFrame, hist: pl.DataFrame, register: Register, moves: pl.DataFrame | None,
                    successions: Successions | None) -> list[Issue]:
    """A history continuing last year whose first paid line this year is at another school than last
    year's at its end, with no way between the two schools by the child's recorded moves and the
    schools' successions (the schools' `successor_id` or the links input: §11.1), in any number
    of steps.  `lines` carry their history's row number (`_h`)."""
    continuing = hist["last_reason"] == CONTINUING
    paid = lines.filter((pl.col("paid_amount") > 0) & continuing.gather(lines["_h"]).fill_null(False))
    paid = paid.with_columns(hist["last_school"].gather(paid["_h"]))
    # only a history with a line at another school can begin this year at another school: few
    elsewhere = paid.filter(pl.col("paid_school_id") != pl.col("last_school"))["_h"].unique().implode()
    first = (paid.filter(pl.col("_h").is_in(elsewhere)).sort(pl.col("paid_from"), ROW)
             .group_by("_h", maintain_order=True).first()
             .filter(pl.col("paid_school_id") != pl.col("last_school")))
    reached = _reached(first, moves, successions)
    changed = (first.join(reached, left_on=["_h", "paid_school_id"], right_on=["_h", "_at"], how="anti")
               .sort(ROW))
    changed = changed.with_columns(hist[REG_ROW].gather(changed["_h"]))
    return _each(changed, "school_changed", lambda r: (
        f"{r[UPN]} / {r[STREAM]} was paid at school '{r['last_school']}' at the end of last year and is paid at "
        f"'{r['paid_school_id']}' this year, with no recorded move or succession between them"), register.file)


def _reached(first: pl.DataFrame, moves: pl.DataFrame | None, successions: Successions | None) -> pl.DataFrame:
    """Every school (`_at`) each history (`_h`) of `first` can reach from last year's school by the
    child's recorded moves and the schools' succession chains, step after step (a managed move,
    then the receiving school's conversion, then another move...)."""
    seen = first.select("_h", UPN, pl.col("last_school").alias("_at"))
    ways = []
    if moves is not None:
        ways.append((moves.select(UPN, pl.col(FROM_SCHOOL).alias("_at"), pl.col(TO_SCHOOL).alias("_to")),
                     [UPN, "_at"]))
    if successions is not None and not successions.chains.is_empty():
        ways.append((successions.chains.select(pl.col(succession.SCHOOL_ID).alias("_at"),
                                               pl.col("member").alias("_to")), ["_at"]))
    frontier = seen
    while ways and not frontier.is_empty():
        step = pl.concat([frontier.join(edges.cast({"_at": frontier.schema["_at"]}), on=on, how="inner")
                          .select("_h", UPN, pl.col("_to").cast(frontier.schema["_at"]).alias("_at"))
                          for edges, on in ways])
        frontier = step.unique(["_h", "_at"]).join(seen, on=["_h", "_at"], how="anti")
        seen = pl.concat([seen, frontier])
    return seen.select("_h", "_at")


def _reinstate_notes(hist: pl.DataFrame, cfg: Config) -> list[Issue]:
    """A `reinstate:` entry that names no history stopped last year lifts nothing: say so.  And an entry naming
    a child and stream an earlier entry names: one is enough (the Summary and manifest.json count each entry)."""
    if not cfg.reinstate:
        return []
    wanted = _reinstated(cfg)
    again = (wanted.with_row_index("_i").with_columns(pl.col("config_line").first().over(KEY).alias("_first"))
             .filter(pl.col("_i") != pl.col("_i").first().over(KEY)))
    twice = [Issue("reinstate_twice", WARNING, f"reinstate: {r[UPN]} / {r[STREAM]} is named again (first at line "
                   f"{r['_first']}): one entry reinstates the child; delete this one", file=cfg.path.name,
                   row=r["config_line"], column="reinstate", field=UPN, value=r[UPN])
             for r in again.iter_rows(named=True)]
    wanted = wanted.unique(KEY, keep="first", maintain_order=True)
    stopped = hist.filter(pl.col("stopped") & _named(hist, wanted)).select(*KEY)
    idle = wanted.join(stopped, on=KEY, how="anti", maintain_order="left")
    if idle.is_empty():
        return twice
    known = hist.filter(pl.col(UPN).is_in(idle[UPN].implode())).select(UPN, STREAM, "stopped")
    return twice + [Issue("reinstate_unused", WARNING, f"reinstate: {r[UPN]} / {r[STREAM]} {_not_stopped(known, r)}: "
                          "nothing to reinstate", file=cfg.path.name, row=r["config_line"], column="reinstate",
                          field=UPN, value=r[UPN])
                    for r in idle.iter_rows(named=True)]


def _not_stopped(known: pl.DataFrame, entry: dict) -> str:
    """Why a reinstatement lifts nothing: the child is not in the register, or has no history of that stream
    there (naming the streams it has, and whether they stopped), or that history did not stop."""
    mine = known.filter(pl.col(UPN) == entry[UPN])
    if mine.is_empty():
        return "is not in the register (last year's psf.csv has no line for this child)"
    streams = dict(mine.select(STREAM, "stopped").iter_rows())
    if entry[STREAM] not in streams:
        said = ", ".join(f"{stream} ({'stopped' if stop else 'continuing'})" for stream, stop in sorted(streams.items()))
        return f"has no {entry[STREAM]} history in the register, only {said}: name the stream that stopped"
    return "did not stop last year in the register (it was continuing)"


def reinstate_without_register(cfg: Config) -> list[Issue]:
    """`reinstate:` lifts last year's stops, which only the register holds: without one it lifts nothing."""
    if not cfg.reinstate:
        return []
    return [Issue("reinstate_unused", WARNING, f"reinstate: names {len(cfg.reinstate)} child(ren), but no --register "
                  "was given: reinstate: lifts the stops of last year's psf.csv, so without it nothing is reinstated "
                  "and nothing stopped last year is held; run with --register and last year's output folder",
                  file=cfg.path.name, row=cfg.lines.get("reinstate"), column="reinstate")]


def reinstated(result) -> list[dict]:
    """The reinstatements in force, for the manifest and the Summary sheet: each by its line in the
    config file, its stream and last year's reason, in the config's order; empty without a register.
    Neither may hold personal data (docs/security.md): the child's UPN and the casework reason stay
    in the config file, where the line points."""
    register = getattr(result, "register", None)
    if register is None or not result.config.reinstate:
        return []
    wanted = _reinstated(result.config)
    hist = register.histories
    hist = hist.filter(pl.col("stopped") & _named(hist, wanted)).join(wanted, on=KEY, how="inner")
    return [{"config_line": r["config_line"], "stream": r[STREAM], "stopped_last_year": r["last_reason"]}
            for r in hist.sort("config_line", *KEY).iter_rows(named=True)]
