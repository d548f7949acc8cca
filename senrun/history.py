"""A child's statement history (SPEC §11.3, §11.11 "Histories"), as Polars expressions.

The statements input may hold several dated rows for one (upn, stream): the statement as
issued, its amendments, its transfer to an EHC plan (2014–18), its ceasing and a later
reissue.  Taken in `effective_date` order they form one history, and the PSF rules of §3
apply to the history, not to each row: protection is judged on its first row (FAQ 3 ties
PSF to the child's phase and school, not to the document that records the support), and
the rate changes from each amendment's date.

`collapse` turns the rows into one row per history (the shape the PSF rules work on) and
a small frame of rate segments for the few histories whose rate changes; `rate_units`
sums `rate × units` over a span's segments so that psf.py rounds each amount once.
No loop over rows: histories are ranked and shifted within each (upn, stream).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from . import checks
from .calendar import units_between
from .errors import WARNING, Issue, Issues
from .inputs.load import Table
from .inputs.schema import (ANNUAL_AMOUNT, CEASED_DATE, EFFECTIVE_DATE, EVENT, ROW, STATEMENT_DATE, STREAM, UPN)

ISSUED, AMENDED, EHC_TRANSFER, CEASED, REISSUED = "issued", "amended", "ehc_transfer", "ceased", "reissued"
#: Rows that set the rate from their effective date (a blank amount keeps the previous rate).
RATE_EVENTS = (AMENDED, EHC_TRANSFER)
#: Rows whose amount may be blank: an amendment keeps the rate, a ceasing carries none.
BLANK_AMOUNT_OK = (AMENDED, EHC_TRANSFER, CEASED)
KEY = [UPN, STREAM]
EFF = "_eff"  # the effective date: effective_date, else statement_date
GROUP = "_key_id"  # the (upn, stream) as a number, in history order
ONE = "_history_id"  # a history as a number: a reissue begins the (upn, stream)'s next history
FAR_PAST, FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)
EMPTY_AMOUNT = "is empty; this column must be filled in on every row"  # = inputs.cells.EMPTY
#: What a second `issued` row of one (upn, stream) most likely is (§11.3): said with the §8 duplicate error.
SECOND_ISSUED = ("; if this row is the same statement amended or transferred to an EHC plan, give it the event "
                 "amended or ehc_transfer (with its effective_date) instead of a second issued row")


@dataclass(frozen=True)
class Histories:
    """rows: one per history, shaped as a statement row (its first row's `_row`, school and date
    of birth; `ceased_date` the earliest ceasing); segments: (`_row`, seg_from, seg_to, rate) for
    the histories whose rate changes, or None when none does (the common case: no join at all)."""

    rows: pl.DataFrame
    segments: pl.DataFrame | None


def effective_date(columns=None) -> pl.Expr:
    """A row's effective date (`EFF`): its effective_date, else its statement_date (§11.3); of a frame of
    `columns` (when given) with no effective_date column, its statement_date."""
    if columns is not None and EFFECTIVE_DATE not in columns:
        return pl.col(STATEMENT_DATE).alias(EFF)
    return pl.coalesce(EFFECTIVE_DATE, STATEMENT_DATE).alias(EFF)


def _ordered(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Rows in history order, each with its history's number (`ONE`) and its (upn, stream)'s (`GROUP`).

    An `issued` row after a ceasing (after a `ceased` row, even with an amendment ignored between them,
    or on or after an earlier row's `ceased_date`) is read as a reissue (the council wrote the new statement as issued); two `issued`
    rows with no ceasing between are the §8 duplicate."""
    # sorted, a (upn, stream) is a run of rows: its number (GROUP) and its first row come from the
    # run, and a history's number (ONE) counts the rows that begin one — no window over strings
    first = (pl.col(GROUP) != pl.col(GROUP).shift(1)).fill_null(True)
    ceased_before = ((pl.col(CEASED_DATE).fill_null(FAR_FUTURE).cum_min().shift(1).over(GROUP) <= pl.col(EFF))
                     | ((pl.col(EVENT) == CEASED).cum_sum().shift(1).over(GROUP) > 0))  # (an amendment may follow)
    after_ceasing = ceased_before.fill_null(False) & ~first
    starts = (pl.col(EVENT) == REISSUED) | ((pl.col(EVENT) == ISSUED) & after_ceasing)
    return (frame.with_columns(effective_date())
            .sort(*KEY, EFF, ROW)
            .with_columns(pl.struct(KEY).rle_id().alias(GROUP))
            .with_columns((starts & ~first).alias("_starts"), first.alias("_first"))
            .with_columns((pl.col("_first") | pl.col("_starts")).cum_sum().alias(ONE))
            .drop("_first"))


def _involved(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows that may be part of a history of more than one row, or not begin with `issued`: those
    whose (upn, stream) may repeat (found by hashing, as the §8 duplicate check does) and those
    whose event is not `issued`.  Nearly always few: the rest are one-row histories as before."""
    if EVENT not in frame.columns:
        return frame.clear()
    repeated = checks._repeated_keys(frame, KEY)
    other = frame.filter(pl.col(EVENT) != ISSUED)
    if other.is_empty():
        return repeated
    return pl.concat([repeated, other]).unique(ROW, keep="first")


_MADE: dict[int, tuple] = {}  # by id of a statements frame: (a weak reference, its involved rows, in order)


def _involved_in_order(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`_involved` and the same rows `_ordered`, worked out once per statements frame: the history
    check and the PSF rules (once per simulate scenario) both start from them."""
    made = _MADE.get(id(frame))
    if made is not None and made[0]() is frame:
        return made[1], made[2]
    involved = _involved(frame)
    ordered = _ordered(involved.lazy()).collect()
    _MADE[id(frame)] = (weakref.ref(frame), involved, ordered)
    weakref.finalize(frame, _MADE.pop, id(frame), None)
    return involved, ordered


def collapse(statements: pl.DataFrame) -> Histories:
    """One row per history, in file order, with the statements' columns; and the rate segments.

    A file with no `event` other than `issued` and one row per (upn, stream) (every file before
    histories) comes back as it is; otherwise only the rows of histories of several rows (or
    not issued) are worked on."""
    involved, ordered = _involved_in_order(statements)
    if involved.is_empty() or (involved[EVENT].eq(ISSUED).all()
                               and not involved.select(pl.struct(KEY).is_duplicated().any()).item()):
        return Histories(statements, None)  # (keys that only shared a hash)
    ordered = ordered.lazy()  # few rows, read three times below
    key = ONE
    # a `ceased` row ends the history on its effective date, as ceased_date does (§11.3)
    ends = _ceasing().min()
    # a rate set on or after the history's ceasing is of no statement in force: ignored (history.check warns)
    first_row = pl.int_range(pl.len()).over(key) == 0
    ordered = ordered.with_columns(((pl.col(EVENT) != CEASED)
                                    & (first_row | ~(pl.col(EFF) >= ends.over(key)).fill_null(False)))
                                   .alias("_rate_row"))
    rate_rows = pl.col("_rate_row")
    # a reissue (a history that begins after an earlier one of its child and stream) is a statement of its own
    # date, its effective date: its statement_date is one of a later row's, informative (§11.3), and a reissue
    # read from an older statement_date had been paid again for the months its ceased statement was paid
    heads = (ordered.with_columns((pl.col(GROUP) == pl.col(GROUP).shift(1)).fill_null(False).alias("_later"))
             .group_by(key, maintain_order=True)
             .agg(pl.col(ROW).first(), ends.alias(CEASED_DATE), pl.col(EVENT).filter(rate_rows).len().alias("_rates"),
                  pl.when(pl.col("_later").first()).then(pl.col(EFF).first()).alias("_reissued")))
    # a history is its first row, with the history's ceasing: the other rows of the involved are dropped,
    # and the file's order is kept without sorting the whole statements frame
    later = involved.lazy().select(ROW).join(heads.select(ROW), on=ROW, how="anti")
    rows = (statements.lazy().join(later, on=ROW, how="anti", maintain_order="left")
            .join(heads.select(ROW, pl.col(CEASED_DATE).alias("_ends"), pl.lit(True).alias("_head"), "_reissued"),
                  on=ROW, how="left", maintain_order="left")
            .with_columns(pl.when(pl.col("_head")).then(pl.col("_ends")).otherwise(pl.col(CEASED_DATE))
                          .alias(CEASED_DATE),
                          pl.coalesce("_reissued", STATEMENT_DATE).alias(STATEMENT_DATE))
            .select(statements.columns))
    segments = (ordered.with_columns(pl.col(ROW).first().over(key).alias("_head"))
                .filter(rate_rows)
                .with_columns(pl.col(ANNUAL_AMOUNT).forward_fill().over(key).alias("rate"),
                              pl.when(pl.int_range(pl.len()).over(key) == 0).then(pl.lit(FAR_PAST))
                              .otherwise(pl.col(EFF)).alias("seg_from"))
                .with_columns(pl.col("seg_from").shift(-1).over(key).fill_null(FAR_FUTURE).alias("seg_to"))
                .join(heads.filter(pl.col("_rates") > 1).select(key), on=key, how="semi")
                .select(pl.col("_head").alias(ROW), "seg_from", "seg_to", "rate"))
    rows_df, segments_df = pl.collect_all([rows, segments])
    return Histories(rows_df, segments_df if segments_df.height else None)


def rate_units(frame: pl.LazyFrame, segments: pl.DataFrame | None, lo: pl.Expr, hi: pl.Expr, prorate: str,
               alias: str = "_rate_units") -> pl.LazyFrame:
    """Add `alias` = Σ over the rate segments of rate × units in [lo, hi), and `_last_rate`, the
    rate in force on the last unit paid (a month at the rate in force on its first day).

    Divided by the units in the year and rounded once, it is the span's amount (§11.11).  A row
    whose rate never changes is `annual_amount × units`, with no join."""
    simple = pl.col(ANNUAL_AMOUNT) * units_between(lo, hi, prorate)
    if segments is None:
        return frame.with_columns(simple.alias(alias), pl.col(ANNUAL_AMOUNT).alias("_last_rate"))
    frame = frame.with_row_index("_span")
    parts = (frame.select("_span", ROW, lo.alias("_lo"), hi.alias("_hi"))
             .join(segments.lazy(), on=ROW, how="inner")
             .with_columns(units_between(pl.max_horizontal("_lo", "seg_from"), pl.min_horizontal("_hi", "seg_to"),
                                         prorate).alias("_u"))
             .group_by("_span")
             .agg((pl.col("rate") * pl.col("_u")).sum().alias(alias),
                  pl.col("rate").sort_by("seg_from").filter(pl.col("_u").sort_by("seg_from") > 0).last()
                  .alias("_last_rate")))
    return (frame.join(parts, on="_span", how="left", maintain_order="left")
            .with_columns(pl.coalesce(alias, simple).alias(alias),
                          pl.coalesce("_last_rate", ANNUAL_AMOUNT).alias("_last_rate"))
            .drop("_span"))


def rate_on(rows: pl.DataFrame, segments: pl.DataFrame | None, on: pl.Expr) -> pl.DataFrame:
    """Each history's `annual_amount` as the rate in force on the day `on` (a row expression): the
    figure the Released sheet shows for it."""
    if segments is None:
        return rows
    found = (rows.lazy().select(ROW, on.alias("_on")).join(segments.lazy(), on=ROW, how="inner")
             .filter((pl.col("seg_from") <= pl.col("_on")) & (pl.col("_on") < pl.col("seg_to")))
             .select(ROW, pl.col("rate").alias("_rate")))
    return (rows.lazy().join(found, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.coalesce("_rate", ANNUAL_AMOUNT).alias(ANNUAL_AMOUNT)).drop("_rate").collect())


def check(statements: Table, issues: Issues) -> None:
    """The errors of a history (§8, §11.3), each naming both rows: a second `issued` row with no
    ceasing between (the §8 duplicate (upn, stream), as before histories); two rows on one
    effective date; an amendment, transfer or ceasing before the statement was issued; a
    reissue with no ceasing before it.  And a warning for an amendment or transfer effective on or
    after the history's ceasing, which `collapse` ignores."""
    frame = statements.frame
    involved = _involved_in_order(frame)[1]
    if involved.is_empty():  # one issued row per (upn, stream), as nearly every file before histories
        return
    same = pl.col(GROUP) == pl.col(GROUP).shift(1)  # the row before is of the same (upn, stream)
    ordered = involved.lazy().with_columns(
        pl.when(same).then(pl.col(ROW).shift(1)).alias("_prev_row"),
        pl.when(same).then(pl.col(EVENT).shift(1)).alias("_prev_event"),
        pl.when(same).then(pl.col(EFF).shift(1)).alias("_prev_eff"),
        pl.col(CEASED_DATE).fill_null(FAR_FUTURE).cum_min().shift(1).over(GROUP).alias("_ceased_by"),
        (pl.col(EVENT).is_in([ISSUED, REISSUED]).cast(pl.Int32).cum_sum().over(GROUP) == 0).alias("_unissued"),
        pl.col(ROW).filter(pl.col(EVENT).is_in([ISSUED, REISSUED])).first().over(GROUP).alias("_issued_row"),
        pl.col(EFF).filter(pl.col(EVENT).is_in([ISSUED, REISSUED])).first().over(GROUP).alias("_issued_eff"),
        _ceasing().min().over(ONE).alias("_ceased_on"),
        pl.col(ROW).filter(_ceasing() == _ceasing().min()).first().over(ONE).alias("_ceased_row"),
        (pl.col(ONE) != pl.col(ONE).shift(1)).fill_null(True).alias("_history_first"),
        pl.col(EVENT).eq(CEASED).cum_sum().over(ONE).alias("_ceased_rows"),
    ).with_columns(  # a ceased row anywhere in the history before, not only the row straight before (§11.3)
        pl.when(same).then(pl.col("_ceased_rows").shift(1)).fill_null(0).alias("_ceased_rows_before"),
    ).collect()
    plain = ordered.filter((pl.col(EVENT) == ISSUED) & ~pl.col("_starts")).select(frame.columns)
    checks.duplicates(replace(statements, frame=plain), KEY, issues, "statement (UPN / stream)",
                      hint=SECOND_ISSUED)
    dated = EFFECTIVE_DATE if EFFECTIVE_DATE in statements.headers else STATEMENT_DATE
    same = ordered.filter((pl.col(EFF) == pl.col("_prev_eff"))
                          & ~((pl.col(EVENT) == ISSUED) & (pl.col("_prev_event") == ISSUED)))
    # (without an effective_date column every row is dated by its statement date, which a history's rows share)
    unmapped = "" if dated == EFFECTIVE_DATE else (
        f"; no {EFFECTIVE_DATE} column is read, so each row is dated by its {statements.headers.get(STATEMENT_DATE)}: "
        f"if a column gives each row's own date (such as \"Change Date\"), map it under inputs: statements: columns: "
        f"{{\"Change Date\": {EFFECTIVE_DATE}}}")
    for rec in same.head(checks.MAX_LISTED).iter_rows(named=True):
        issues.error("history_date", f"{rec[UPN]} / {rec[STREAM]} has two rows effective on {rec[EFF]:%d/%m/%Y} "
                     f"(rows {rec['_prev_row']} and {rec[ROW]}): a history needs one row a date{unmapped}",
                     **statements.where(dated, rec[ROW]), value=f"{rec[EFF]:%d/%m/%Y}", personal=(rec[UPN],))
    # (a row on the issued row's own date is told above, two rows on one date, whichever the file lists first)
    _before_issued(ordered, statements, issues)
    orphan = ordered.filter((pl.col(EVENT) == REISSUED) & pl.col("_prev_row").is_not_null()
                            & (pl.col("_ceased_rows_before") == 0) & ~(pl.col("_ceased_by") <= pl.col(EFF)))
    for rec in orphan.head(checks.MAX_LISTED).iter_rows(named=True):
        issues.error("history_order", f"{rec[UPN]} / {rec[STREAM]}: this reissued row follows row "
                     f"{rec['_prev_row']} with no ceasing between (add a ceased row, or make this row amended)",
                     **statements.where(EVENT, rec[ROW]), value=rec[EVENT], personal=(rec[UPN],),
                     expected="a ceasing before a reissued row (a ceased row, or a ceased date), else amended")
    late = ordered.filter(pl.col(EVENT).is_in(RATE_EVENTS) & ~pl.col("_history_first")
                          & (pl.col("_ceased_on") <= pl.col(EFF)))
    for rec in late.head(checks.MAX_LISTED).iter_rows(named=True):
        when = ("the day the statement ceased" if rec[EFF] == rec["_ceased_on"] else
                f"after the statement ceased on {rec['_ceased_on']:%d/%m/%Y}")
        issues.warn("amended_after_ceasing", f"{rec[UPN]} / {rec[STREAM]}: this {rec[EVENT]} row is effective on "
                    f"{rec[EFF]:%d/%m/%Y}, {when} (row {rec['_ceased_row']}): it is ignored, since a ceased "
                    "statement has no rate (if a new statement was issued, record it as a reissued row)",
                    **statements.where(EVENT, rec[ROW]),
                    value=rec[EVENT], personal=(rec[UPN],), child=rec[UPN])


def _before_issued(ordered: pl.DataFrame, statements: Table, issues: Issues) -> None:
    """An amendment, transfer or ceasing before the statement was issued (not on its date: `check` tells two rows
    on one date), or in a history no row issues: a file of one row per statement, its latest event given."""
    early = ordered.filter(pl.col("_unissued") & pl.col(EVENT).is_in([AMENDED, EHC_TRANSFER, CEASED])
                           & ~(pl.col(EFF) == pl.col("_issued_eff")).fill_null(False))
    for rec in early.head(checks.MAX_LISTED).iter_rows(named=True):
        if not rec["_issued_row"]:
            issues.error("history_order", f"{rec[UPN]} / {rec[STREAM]}: no row issues the statement, and this row is "
                         f"marked {rec[EVENT]}: where a file has one row per statement, mark it issued (or leave "
                         "the event blank) and give its ending in the ceased date column; otherwise add the row "
                         "that issued it", **statements.where(EVENT, rec[ROW]),
                         value=rec[EVENT], personal=(rec[UPN],), expected="issued, or blank")
            continue
        issues.error("history_order", f"{rec[UPN]} / {rec[STREAM]}: this {rec[EVENT]} row comes before the "
                     f"statement was issued (the statement is issued at row {rec['_issued_row']}, effective later)",
                     **statements.where(EVENT, rec[ROW]), value=rec[EVENT], personal=(rec[UPN],),
                     expected="an effective date on or after the issued row's")


def _ceasing() -> pl.Expr:
    """The day a row ceases its history, if it does: its `ceased_date`, or a `ceased` row's effective date
    (the earliest over a history's rows ends it: `collapse`, `check`)."""
    return pl.min_horizontal(pl.col(CEASED_DATE), pl.when(pl.col(EVENT) == CEASED).then(pl.col(EFF)))


def blank_amounts(statements: Table | None, issues: Issues) -> None:
    """A blank annual_amount is allowed only on an amendment, an EHC transfer (the rate goes on)
    or a ceasing; anywhere else it is the same error as any required cell left empty."""
    if statements is None or statements.frame.is_empty():
        return
    # a cell that is not money is null too, and already told where it was read (listed, or counted beyond them)
    told = statements.told_rows.get(ANNUAL_AMOUNT, pl.Series([], dtype=statements.frame.schema[ROW]))
    bad = statements.frame.filter(pl.col(ANNUAL_AMOUNT).is_null() & ~pl.col(EVENT).is_in(BLANK_AMOUNT_OK)
                                  & ~pl.col(ROW).is_in(told.implode())).sort(ROW)
    for row in bad[ROW].head(checks.MAX_LISTED):
        issues.error("empty_value", EMPTY_AMOUNT, **statements.where(ANNUAL_AMOUNT, row),
                     expected="an amount in pounds such as 9876.54")
    if bad.height > checks.MAX_LISTED:
        issues.error("bad_value", f"{bad.height - checks.MAX_LISTED:,} more problems in this column "
                     f"(rows {bad[ROW][checks.MAX_LISTED]:,} onwards)", **statements.where(ANNUAL_AMOUNT),
                     expected="an amount in pounds such as 9876.54")


def recorded_as_new(result) -> list:
    """`validate`'s warning (§11.3): a statement dated on or after policy.start, the first of its own
    (upn, stream), carrying an amount, for a child with a funded history in another stream — the
    likely mistake of recording the EHC plan as a new statement (paid nothing) instead of as an
    `ehc_transfer` row of the funded history."""
    psf = result.psf
    # (an SSMN or FYS history that ended at the policy start is no statement the new plan could have continued)
    funded = psf.filter(~pl.col("reason").is_in(["post_policy_statement", "stream_ended"])).select(
        UPN, pl.col(STREAM).alias("_funded"))
    new = (psf.filter((pl.col("reason") == "post_policy_statement") & (pl.col(ANNUAL_AMOUNT) != 0)
                      & (pl.len().over(KEY) == 1))
           .join(funded, on=UPN, how="inner").filter(pl.col("_funded") != pl.col(STREAM))
           .unique(ROW, keep="first").sort(ROW))
    info = next((i for i in result.inputs if i.name == "statements"), None)
    header = dict(info.headers).get(STATEMENT_DATE, STATEMENT_DATE) if info else STATEMENT_DATE  # (the file's own)
    return [Issue("recorded_as_new", WARNING,
                  f"{rec[UPN]} / {rec[STREAM]} is a new statement under the cluster model (paid nothing), but the "
                  f"child's {rec['_funded']} statement is funded: if this is that statement transferred to an EHC "
                  "plan or amended, record it as an ehc_transfer or amended row of the same stream",
                  file=Path(info.path).name if info else None, sheet=info.sheet if info else None, row=rec[ROW],
                  column=header, field=STATEMENT_DATE, personal=(rec[UPN],), child=rec[UPN])
            for rec in new.head(checks.MAX_LISTED).iter_rows(named=True)]


def ceased_before_issued(statements: Table, issues: Issues) -> None:
    """A warning where a row's `ceased_date` is before its `statement_date`: it is paid nothing, and
    releases what it would have been due from its date (SPEC §3), but the two dates are most likely
    a typing slip (a year, or the day and month, swapped)."""
    frame = statements.frame
    if CEASED_DATE not in frame.columns:
        return
    bad = frame.filter(pl.col(CEASED_DATE) < pl.col(STATEMENT_DATE)).sort(ROW)
    if not bad.is_empty() and STREAM in frame.columns and EVENT in frame.columns:
        bad = bad.filter(~pl.col(ROW).is_in(_in_force_before(frame, bad).implode()))
    for row, ceased, issued in bad.select(ROW, CEASED_DATE, STATEMENT_DATE).head(checks.MAX_LISTED).iter_rows():
        issues.warn("ceased_before_issued", f"ceased on {ceased:%d/%m/%Y}, before the statement's own date "
                    f"{issued:%d/%m/%Y}: paid nothing (a date typed wrong?)", **statements.where(CEASED_DATE, row),
                    value=f"{ceased:%d/%m/%Y}", expected=f"a date on or after {issued:%d/%m/%Y}")


#: The events of a history's later rows; `issued` (or blank) and `reissued` begin a history (SPEC §11.3).
LATER_EVENTS = ("amended", "ehc_transfer", "ceased")


def _in_force_before(frame: pl.DataFrame, bad: pl.DataFrame) -> pl.Series:
    """The rows of `bad` (ceased before their own date) that are a history's later rows (an amendment, the
    ceasing's own row) carrying the ceased date of the statement their history began with, which was in force
    before it: an export per child repeats the ceased date on every row.  That history was paid, not "nothing"
    (a row dated after its ceasing is amended_after_ceasing's to say).  A reissue begins a history of its own:
    a ceased date before the reissue's own date is still told."""
    later = bad.filter(pl.col(EVENT).is_in(LATER_EVENTS))
    if later.is_empty():
        return pl.Series(ROW, [], dtype=frame.schema[ROW])
    keys = [UPN, STREAM]
    starts = (frame.lazy().filter(~pl.col(EVENT).is_in(LATER_EVENTS) | pl.col(EVENT).is_null())
              .select(*keys, effective_date(frame.columns), pl.col(STATEMENT_DATE).alias("_began"))
              .drop_nulls([*keys, EFF]).sort(EFF))
    rows = (later.lazy().select(ROW, *keys, CEASED_DATE, effective_date(frame.columns)).drop_nulls([*keys, EFF])
            .sort(EFF).join_asof(starts, on=EFF, by=keys, strategy="backward", check_sortedness=False)  # (sorted)
            .filter(pl.col("_began").is_not_null() & (pl.col(CEASED_DATE) >= pl.col("_began"))))
    return rows.select(ROW).collect().to_series()
