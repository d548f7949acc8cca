"""One input column → its values and its bad cells (SPEC §5, §8), fast at England scale.

What a cell means is said once, by the expressions in `parse.py`; this module decides how to
apply them to eight million rows without eight million regex calls:

- a column that already has the right type (a Parquet date column) is kept as it is;
- a short column (a schools list, a council's statements) is parsed cell by cell;
- a column with few distinct values (school ids, dates, years, codes: a national census has
  some 21,000 schools and 6,000 birthdays among 8 million pupils) is parsed one distinct value
  at a time and mapped back, or kept as it is when parsing changes nothing;
- a UPN column (every value distinct) gets one cheap test, and only the cells failing it
  (spaces, lower case, blanks) are parsed;
- a message is built only for a cell that is wrong.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from . import parse
from .. import engine
from ..calendar import ENGLAND
from ..money import CEILING_PENCE, ceiling_text
from .schema import (COMPACT_DTYPES, DTYPES, ENROL_CODES, EVENTS, MOVE_REASONS, NULLABLE, SEN_CODES, SERIAL_DATES,
                     STREAMS, Column, Kind)
from .upn import UpnKeys, keyed, keyed_plan, not_ok

EMPTY = "is empty; this column must be filled in on every row"
IDX = "_idx"  # a cell's position in the column
#: Parse value by value when the column has at most this many distinct values, or fewer than a quarter.
FEW_DISTINCT = 50_000
#: A column of at most this many rows (a schools list, a council's statements) is parsed cell by cell: finding
#: its distinct values and mapping them back costs more than the cells themselves.  (At 2,000 rows of a few
#: distinct values the distinct values were quicker, by a few milliseconds: decisions 94.)
FEW_ROWS = 1_000
_UPN_CLEAN = r"^[A-Z0-9]+$"
#: Kinds with a handful of possible values, whatever the file: their text columns are coded in one pass.
_CODES = {Kind.NC_YEAR, Kind.SEN, Kind.BOOL, Kind.STREAM, Kind.MOVE_REASON, Kind.ENROL, Kind.EVENT}
_CATEGORIES = hasattr(pl, "Categories")  # Polars 2: a Categorical of its own categories


@dataclass
class Cells:
    """A parsed column: its values, where it is blank, and its bad cells (position, message, text)."""

    values: pl.Series
    blank: pl.Series | None  # True where blank; None when no cell is
    bad: pl.DataFrame  # IDX (UInt32), message, value
    #: A UPN column: the positions of the only cells whose UPN may not be 'ok' (upn.not_ok); every
    #: other cell holds a valid UPN as it was in the file.  None: not worked out.
    suspects: pl.Series | None = None
    #: A compact UPN column (integer keys): the texts that are not a letter and 12 digits, with their keys.
    upn_keys: UpnKeys | None = None


def _no_bad() -> pl.DataFrame:
    return pl.DataFrame(schema={IDX: pl.UInt32, "message": pl.String, "value": pl.String})


def parse_cells(series: pl.Series, col: Column, compact: bool = False) -> Cells:
    """Parse one column by its declared kind (the series is named as the column).  `compact` (a census of
    millions of rows): school ids as an Enum of the ids found, and the narrow types of COMPACT_DTYPES (its
    UPNs: `keyed_upns`)."""
    if col.kind == Kind.DATE and series.dtype == pl.Date:
        return _typed(series, col)
    if col.kind == Kind.UPN and series.dtype == pl.String:
        return _upns(series, col)
    if col.kind == Kind.MONEY and series.dtype.is_float():
        return _float_money(series, col)
    if series.dtype == HALF_FLOAT:
        return _half_precision(series, col)
    dtype = COMPACT_DTYPES.get(col.kind, DTYPES[col.kind]) if compact else DTYPES[col.kind]
    if len(series) <= FEW_ROWS and not compact:
        cells = _direct(as_text(series), col)
    else:
        cells = _by_distinct(series, col, dtype, as_enum=compact and col.kind == Kind.ID)
    if (isinstance(dtype, pl.Enum) or (compact and col.kind in COMPACT_DTYPES)) and cells.values.dtype != dtype:
        cells.values = cells.values.cast(dtype)
    return cells


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)  # as parse.parse_date reads text dates

#: Polars' half-precision float (None in a Polars without one).  Such a float keeps about three significant
#: digits: 2101 is held as 2100, 76.4 as 76.375, so no value of a float16 column is read as it was meant.
HALF_FLOAT = getattr(pl, "Float16", None)
HALF_WORDS = ("a half-precision (float16) column holds each value to about three significant digits (2101 is kept "
              "as 2100, 76.4 as 76.375): save the column as a double (float64), an integer or a decimal")


def _half_precision(series: pl.Series, col: Column) -> Cells:
    """A float16 column other than money (float_money): every value in it an error, none guessed at."""
    held = series.is_not_null()
    idx = held.arg_true().cast(pl.UInt32)
    shown = series.gather(idx).cast(pl.Float64).cast(pl.String)
    bad = pl.DataFrame({IDX: idx, "message": '"' + shown + '": ' + HALF_WORDS, "value": shown})
    blank = ~held
    values = pl.Series(col.name, [None] * len(series), dtype=DTYPES[col.kind])
    return Cells(values, blank if blank.any() else None, pl.concat([bad, _empties(blank, col)]).sort(IDX))


def _typed(series: pl.Series, col: Column) -> Cells:
    """Already the right type: blanks to report, and (a date column) a year outside 1900–2099, as for text."""
    outside = ~series.is_between(FIRST_DAY, LAST_DAY).fill_null(True)
    bad = _no_bad()
    if outside.any():
        idx = outside.arg_true().cast(pl.UInt32)
        shown_as = series.gather(idx).cast(pl.String)
        bad = pl.DataFrame({IDX: idx, "message": '"' + shown_as + '" is not a date from 1900 to 2099',
                            "value": shown_as})
        series = series.scatter(idx, None)
    if not series.null_count():
        return Cells(series, None, bad)
    blank = series.is_null()
    if len(bad):
        blank = blank.scatter(bad[IDX], False)
    return Cells(series, blank if blank.any() else None, pl.concat([bad, _empties(blank, col)]).sort(IDX))


def _empties(blank: pl.Series, col: Column) -> pl.DataFrame:
    """An 'is empty' problem for each blank cell of a required column."""
    if col.name in NULLABLE:
        return _no_bad()
    idx = blank.arg_true().cast(pl.UInt32)
    return pl.DataFrame({IDX: idx, "message": pl.Series([EMPTY] * len(idx), dtype=pl.String),
                         "value": pl.Series([None] * len(idx), dtype=pl.String)})


def as_text(series: pl.Series) -> pl.Series:
    """A typed (Parquet) column as the text a person would see: floats to 15 significant digits,
    as Excel shows them (0.1 + 0.2 is 0.3); date-times as their date — in England: a moment stored
    with its time zone (a database's UTC: midnight of a summer birthday is 23:00 the day before) is
    the date it was in England, whatever zone the file stored it in."""
    dtype = series.dtype
    if dtype == pl.String:
        return series
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            series = series.dt.convert_time_zone(ENGLAND)
        return series.dt.date().cast(pl.String)
    if dtype.is_float():
        return series.round_sig_figs(15).cast(pl.String)
    return series.cast(pl.String)


_PLACES_15 = Decimal("1e-15")


def as_shown(series: pl.Series) -> pl.Series:
    """A column of need values, or a workbook's number cells read again (excel._with_exact_numbers), as text, as
    Excel shows them at full precision: 15 significant digits (0.1 + 0.2 is 0.3), and no more than 15 decimal
    places, the most a need value takes (1/30 is 0.033333333333333, not refused for a 16th place a formula's
    result has: decisions 102), rounded once, half away from zero, from a double's own value (a single-precision
    float's from its shortest text, 0.05, as a CSV of it holds).  Other typed columns are `as_text`'s."""
    if not series.dtype.is_float():
        return as_text(series)
    text = series.round_sig_figs(15).cast(pl.String)
    # below 0.1, to 15 places, rounded once, exactly (0.02283393501805054 is 0.022833935018051): Polars rounds to
    # places through a product, itself rounded (12/131 had come to …114)
    small = ((series.abs() < 0.1) & (series != 0)).fill_null(False)
    if small.any():  # (each distinct value once)
        values = series.filter(small)
        distinct = values.unique()
        exact = distinct.cast(pl.String).to_list() if distinct.dtype == pl.Float32 else distinct.to_list()
        shown = dict(zip(distinct.to_list(), (format(Decimal(x).quantize(_PLACES_15, ROUND_HALF_UP).normalize(), "f")
                                              for x in exact)))
        text = text.scatter(small.arg_true(), values.replace_strict(shown, return_dtype=pl.String))
    return text


# --- the expressions of parse.py, on a whole (small or dirty) column --------------------------

@functools.lru_cache(maxsize=None)
def value_expr(col: Column) -> pl.Expr:
    """The parsed value of a text column, null when blank or bad (built once a column: an expression is a value,
    and a date's takes a few milliseconds to build)."""
    name = col.name
    return {
        Kind.ID: lambda: parse.parse_id(name),
        Kind.UPN: lambda: parse.parse_upn(name),
        Kind.TEXT: lambda: parse.parse_text(name),
        Kind.DATE: lambda: parse.parse_date(name, serial=name in SERIAL_DATES),
        Kind.MONEY: lambda: parse.parse_money(name),
        Kind.NUMBER: lambda: parse.parse_number(name),
        Kind.BOOL: lambda: parse.parse_bool(name),
        Kind.NC_YEAR: lambda: parse.parse_nc_year(name),
        Kind.SEN: lambda: parse.parse_code(name, SEN_CODES, aliases=parse.SEN_ALIASES, led=True),
        Kind.STREAM: lambda: parse.parse_code(name, STREAMS),
        Kind.MOVE_REASON: lambda: parse.parse_code(name, MOVE_REASONS, upper=False, aliases=parse.MOVE_ALIASES),
        Kind.ENROL: lambda: parse.parse_code(name, ENROL_CODES, aliases=parse.ENROL_ALIASES, led=True),
        Kind.EVENT: lambda: parse.parse_code(name, EVENTS, upper=False, aliases=parse.EVENT_ALIASES),
    }[col.kind]()


_KIND_WORDS = {Kind.DATE: "a date", Kind.MONEY: "an amount of money", Kind.NUMBER: "a number",
               Kind.BOOL: "a yes/no value", Kind.NC_YEAR: "a National Curriculum year",
               Kind.SEN: "a SEN provision code", Kind.STREAM: "a funding stream", Kind.MOVE_REASON: "a move type",
               Kind.ENROL: "a registration status", Kind.EVENT: "a statement event",
               Kind.UPN: "a UPN"}


def shown(name: str) -> pl.Expr:
    """A cell's text as a person sees it in the file (a formula saved without its value: the formula)."""
    raw = pl.col(name).str.strip_chars()
    uncalculated = raw.str.starts_with(parse.UNCALCULATED)
    return pl.when(uncalculated).then(raw.str.strip_prefix(parse.UNCALCULATED)).otherwise(raw)


#: A number in exponent form (`2.5E+10`, as Excel shows a wide number): beyond the ceiling it says so, not a slip.
_EXPONENT = r"^\d+(?:\.\d+)?[eE][+-]?\d+$"


def _huge_exponent(raw: pl.Expr) -> pl.Expr:
    """True where a cell in exponent form is more pounds than the ceiling (`2.5E+10`, `1e17`)."""
    return raw.str.contains(_EXPONENT) & (raw.cast(pl.Float64, strict=False) > float(CEILING_PENCE // 100))


def _dot_thousands(column: str) -> pl.Expr:
    """What to write for an amount with full stops between groups of three digits (`8.400`, `1.234.567`), from
    the cell's own figures: thousands as much of Europe writes them (8400), or, with one full stop, pounds with
    a third decimal (8.40 where the digits after the pence are noughts)."""
    text = parse.money_text(column)
    thousands = text.str.replace_all(".", "", literal=True)
    pence = text.str.extract(r"^(\d+\.\d\d)0+$")
    return (pl.when(text.str.count_matches(r"\.", literal=False) > 1)
            .then(pl.concat_str(pl.lit(" is thousands after full stops (as much of Europe writes them): write it as "),
                                thousands))
            .otherwise(pl.concat_str(
                pl.lit(" could be pounds with a third decimal, or thousands after a full stop (as much of Europe "
                       "writes them): write it as "), thousands,
                pl.when(pence.is_not_null()).then(pl.concat_str(pl.lit(" or as "), pence))
                .otherwise(pl.lit(" or, in pounds, rounded to the penny")), pl.lit(", whichever it is"))))


#: Digits other than 0–9 (full-width `１２`, Arabic-Indic `١٢`), as pasted from some systems: read as no number.
_OTHER_DIGITS = r"[\p{Nd}--0-9]"
_OTHER_DIGITS_WORDS = (" is written with digits other than 0–9 (such as full-width digits, pasted from another "
                       "system): type it again with ordinary digits")


def _money_words(col: Column, raw: pl.Expr, msg: pl.Expr) -> pl.Expr:
    """Why a money cell failed (`msg`, the words for any cell, where none of these fits)."""
    return (pl.when(raw.str.contains(r"^[£\s]*[-−]+\s*$")).then(pl.lit(
                " is a dash, not an amount: if it is a zero shown in Excel's accounting format, write 0; if the "
                "amount is not known, find it"))
            .when(raw.str.contains(r"^[£\s]*[-−(]\s*£?\s*[\d.]")).then(pl.lit(" is negative; money must not be negative"))
            .when(parse.money_text(col.name).str.contains(parse.DOT_THOUSANDS)).then(_dot_thousands(col.name))
            .when(parse.too_large_money(col.name) | _huge_exponent(raw))
            .then(pl.lit(f" is more than {ceiling_text()}, the most senrun accepts for one amount"))
            .when(raw.str.contains(r"^[£\d,\s]*\.\d{6,}$")).then(pl.lit(
                " has more than two decimal places: a formula's result that Excel shows rounded; round it "
                "in the cell, e.g. =ROUND(10000/3, 2)"))
            .when(raw.str.contains(r"^[£\d,\s]*\.\d{3,}$")).then(pl.lit(
                " has more than two decimal places: if it is a formula's result (an uplift such as =F5*1.02), round "
                "it in the cell, e.g. =ROUND(F5*1.02, 2); if it was typed, correct it"))
            .when(raw.str.contains(r"^[£\s]*\d+(?:[.\s]\d{3})*,\d{1,2}$")).then(pl.concat_str(pl.lit(
                " looks like pounds with a comma for the decimal point (as much of Europe writes them): write it "
                "as "), raw.str.replace_all(r"[£\s.]", "").str.replace(",", ".", literal=True),
                pl.lit(", or save the file with UK number settings")))
            .otherwise(msg))


#: Said of a cell showing an Excel error (`#N/A`), and of a formula saved without its value (shown as its formula).
EXCEL_ERROR_WORDS = " is an Excel error, not a value: correct the formula in this cell"
UNCALCULATED_WORDS = (" is a formula with no calculated value (the file was saved by a program that does not "
                      "calculate formulas): open it in Excel, let it calculate and save it")


def bad_message(col: Column) -> pl.Expr:
    """Why a non-blank cell failed, as a Polars expression over the raw text."""
    raw = pl.col(col.name).str.strip_chars()
    msg = (pl.when(raw.str.contains(parse.EXCEL_ERROR))
           .then(pl.lit(EXCEL_ERROR_WORDS))
           .when(raw.str.starts_with(parse.UNCALCULATED))
           .then(pl.lit(UNCALCULATED_WORDS))
           .otherwise(pl.lit(f" is not {_KIND_WORDS.get(col.kind, 'valid')}")))
    if col.kind == Kind.MONEY:
        msg = _money_words(col, raw, msg)
    if col.kind == Kind.DATE:
        msg = (pl.when(raw.str.contains(parse.one_separator(r"(?:0?[1-9]|1[0-2])", r"(?:1[3-9]|2\d|3[01])", r"\d{4}")))
               .then(pl.lit(" is not a real date: it reads as month/day/year (US style); senrun reads "
                            "day/month/year"))
               .when(raw.str.contains(parse.one_separator(r"\d{1,2}", r"\d{1,2}", r"\d{4}")))
               .then(pl.lit(" is not a real date (day/month/year)"))
               .when(raw.str.contains(parse.one_separator(r"\d{1,2}", r"\d{1,2}", r"\d{2}"))
                     | raw.str.contains(r"^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2}$"))
               .then(pl.lit(" has a two-digit year, which could be of either century: write the year in full, "
                            "such as 01/04/2013"))
               .when(raw.str.contains(r"^\d{4}-(?:\d-\d{1,2}|\d{1,2}-\d)$"))
               .then(pl.lit(" is not a date as senrun reads year-month-day: write the month and day with two "
                            "digits each, such as 2013-04-01"))
               .when(raw.str.contains(r"^(?:19|20)\d{2}-\d{2}-\d{2}$"))
               .then(pl.lit(" is not a real date (year-month-day)"))
               .when(raw.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
               .then(pl.lit(" is not a date from 1900 to 2099 (senrun reads no stand-in such as 9999-12-31 for "
                            "'no date')"))
               .when(raw.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$"))
               .then(pl.lit(" is a date and time with a time zone, which senrun does not read: write the date "
                            "alone (such as 2013-04-01), or save the column as dates"))
               .when(raw.str.contains(r"^\s*[1-7]\d{4}(?:\.0+)?\s*$"))
               .then(pl.lit(" is not a date but a number: it looks like the day number Excel keeps a date as, "
                            "written to the file without its date format; format the column as a date in Excel "
                            "(such as dd/mm/yyyy) and save it again"))
               .otherwise(msg))
        if col.name in SERIAL_DATES:  # a school's dates, where a day number is read (SPEC §11.1)
            days = raw.str.extract(parse.SERIAL_TEXT, 1).cast(pl.Int32, strict=False)
            msg = (pl.when(days > parse.SERIAL_DAYS[1])
                   .then(pl.lit(" is a day number Excel shows as a date after 31/12/2099; senrun reads dates from "
                                "1900 to 2099: check the date"))
                   .otherwise(msg))
    # (before every kind's own reading: their patterns' \d takes any digit, so `１２` was "more than £10bn")
    msg = pl.when(raw.str.contains(_OTHER_DIGITS)).then(pl.lit(_OTHER_DIGITS_WORDS)).otherwise(msg)
    return pl.concat_str([pl.lit('"'), shown(col.name), pl.lit('"'), msg])


def _direct(text: pl.Series, col: Column) -> Cells:
    """Every cell of a text column through the expressions (a small or a dirty column)."""
    return parse_together([text], [col])[0]


def parse_together(texts: list[pl.Series], cols: list[Column]) -> list[Cells]:
    """Text columns of one length (a short table's: FEW_ROWS), each cell through the expressions, the columns
    side by side: a few passes for them all, where each column alone takes as many."""
    value, blank, wrong = "\x00v", "\x00b", "\x00w"
    # one plan for every column's values, blanks and wrong cells (then each "any?" is a Series' own, not a plan)
    frame = (pl.DataFrame([text.rename(col.name) for text, col in zip(texts, cols)]).lazy()
             .with_columns(*(value_expr(col).alias(value + col.name) for col in cols),
                           *(parse._blank(col.name).alias(blank + col.name) for col in cols))
             .with_columns(_wrong(col, pl.col(value + col.name), pl.col(blank + col.name)).alias(wrong + col.name)
                           for col in cols))
    frame = engine.collect(frame)
    anywhere = {name: frame[name].any() for col in cols for name in (wrong + col.name, blank + col.name)}
    out = []
    for col in cols:
        bad = _no_bad()
        if anywhere[wrong + col.name]:
            idx = frame[wrong + col.name].arg_true().cast(pl.UInt32)
            sub = frame[col.name].gather(idx).to_frame()
            bad = sub.select(idx.alias(IDX), pl.when(parse._blank(col.name)).then(pl.lit(EMPTY))
                             .otherwise(bad_message(col)).alias("message"),
                             shown(col.name).replace("", None).alias("value"))
        out.append(Cells(frame[value + col.name].rename(col.name),
                         frame[blank + col.name] if anywhere[blank + col.name] else None, bad))
    return out


def _wrong(col: Column, value: pl.Expr, blank: pl.Expr) -> pl.Expr:
    """Whether a cell is wrong: blank in a required column, or not blank and not a value (an NC year's X is one:
    not yet in a year)."""
    ok = (value.is_not_null() | (pl.col(col.name).str.strip_chars().str.to_uppercase() == "X")
          if col.kind == Kind.NC_YEAR else value.is_not_null())
    return (blank & (col.name not in NULLABLE)) | (~blank & ~ok)


# --- few distinct values: parse each once -----------------------------------------------------

def _by_distinct(series: pl.Series, col: Column, dtype: pl.DataType, as_enum: bool = False) -> Cells:
    """Parse each distinct value once and map the results back to the cells (or, when nearly every
    value is distinct, parse the cells themselves).  `as_enum`: the values as an Enum of the parsed
    values found, in their order as text (a census's school ids: two bytes a pupil, not a string)."""
    if series.dtype == pl.String and (col.kind in _CODES or as_enum) and _CATEGORIES:
        # a code column (a census's years, SEN codes and school ids): one pass finds the distinct values
        # and each cell's index among them, which picks its parsed value
        coded = series.cast(pl.Categorical(pl.Categories.random()))  # (kept while its categories are read)
        distinct = coded.dtype.categories.to_series().rename(series.name)  # in the order of the codes
        codes = coded.to_physical()
        del coded
        each = _direct(distinct, col)
        if as_enum:
            dtype = pl.Enum(each.values.drop_nulls().unique().sort())
        values = each.values.cast(dtype).gather(codes).rename(col.name)
        del codes
    else:
        distinct = series.drop_nulls().unique()
        if len(distinct) > FEW_DISTINCT and 4 * len(distinct) > len(series) and not as_enum:
            return _direct(as_text(series), col)
        each = _direct(as_text(distinct), col)
        values = (_enum_values(series, distinct, each.values) if as_enum
                  else _map_values(series, distinct, each.values, col))
    blank = series.is_null() if series.null_count() else None
    if each.blank is not None:
        in_blank = series.is_in(distinct.filter(each.blank).implode())
        blank = in_blank if blank is None else blank | in_blank
    bad = _map_bad(series, distinct, each.bad)
    if series.null_count() and col.name not in NULLABLE:
        bad = pl.concat([bad, _empties(series.is_null(), col)]).sort(IDX)
    return Cells(values, blank, bad)


def _map_values(series: pl.Series, distinct: pl.Series, parsed: pl.Series, col: Column) -> pl.Series:
    """Each cell's parsed value.  When parsing gives what a plain cast gives on every distinct value
    (ids already trimmed, years already numbers, flags 0/1), the column is cast, or kept as it is."""
    dtype = DTYPES[col.kind]
    if isinstance(dtype, pl.Enum) and distinct.dtype == pl.String:  # codes: one byte a cell, not a string
        return parsed.cast(dtype).gather(series.cast(pl.Enum(distinct)).to_physical()).rename(col.name)
    try:
        same = distinct.cast(dtype, strict=False).equals(parsed, check_names=False, null_equal=True)
    except pl.exceptions.PolarsError:
        same = False
    if same:
        return series if series.dtype == dtype else series.cast(dtype, strict=False)
    if distinct.dtype == pl.String:  # each cell's index among the distinct values: far less memory than a replace
        return parsed.gather(series.cast(pl.Enum(distinct)).to_physical()).rename(col.name)
    return series.replace_strict(distinct, parsed, default=None, return_dtype=dtype).rename(col.name)


def _enum_values(series: pl.Series, distinct: pl.Series, parsed: pl.Series) -> pl.Series:
    """Each cell's parsed value as an Enum of the parsed values (sorted as text)."""
    enum = pl.Enum(parsed.drop_nulls().unique().sort())
    codes = (series.cast(pl.Enum(distinct)).to_physical() if distinct.dtype == pl.String
             else series.replace_strict(distinct, pl.int_range(len(distinct), dtype=pl.UInt32, eager=True),
                                        default=None, return_dtype=pl.UInt32))
    return parsed.cast(enum).gather(codes).rename(series.name)


def _map_bad(series: pl.Series, distinct: pl.Series, bad: pl.DataFrame) -> pl.DataFrame:
    """The bad distinct values → every cell holding one of them."""
    if bad.is_empty():
        return _no_bad()
    keys = distinct.gather(bad[IDX]).rename("_key")
    where = series.is_in(keys.implode()).arg_true().cast(pl.UInt32)
    cells = pl.DataFrame({IDX: where, "_key": series.gather(where)})
    if series.dtype.is_float():  # joined by text: Polars' join can miss a NaN key (and -0.0 is 0.0, as is_in has it)
        key = pl.when(pl.col("_key") == 0).then(pl.lit(0.0)).otherwise(pl.col("_key")).cast(pl.String).alias("_key")
        cells, keys = cells.with_columns(key), keys.to_frame().select(key).to_series()
    return (cells.join(bad.drop(IDX).with_columns(keys), on="_key", how="left")
            .select(IDX, "message", "value").sort(IDX))


# --- many distinct values: a cheap test, and only the cells failing it parsed as text --------

def _mostly(series: pl.Series, col: Column, fine: pl.Series, fast: pl.Series | None) -> Cells:
    """Cells where `fine` is true take their value from `fast` (the column itself when None); the rest
    go through the text expressions, and their values are put in place."""
    base = series if fast is None else fast
    if fine.all():
        return Cells(base.rename(col.name), None, _no_bad())
    idx = (~fine).arg_true().cast(pl.UInt32)
    sub = _direct(as_text(series.gather(idx)), col)
    values = base.cast(sub.values.dtype).scatter(idx, sub.values).rename(col.name)
    blank = None
    if sub.blank is not None and sub.blank.any():
        blank = pl.repeat(False, len(series), eager=True).scatter(idx.filter(sub.blank), True)
    return Cells(values, blank, sub.bad.with_columns(idx.gather(sub.bad[IDX]).alias(IDX)))


def _upns(series: pl.Series, col: Column) -> Cells:
    """A UPN of capital letters and digits only needs no parsing (spaces, lower case, blanks do).  The
    check letters are worked out here, once: a valid UPN is capitals and digits, so only the few others
    are tested as text, and the check of letters (checks.upn_letters) looks at them alone."""
    suspects = not_ok(series)
    fine = pl.repeat(True, len(series), eager=True)
    if len(suspects):
        fine = fine.scatter(suspects, series.gather(suspects).str.contains(_UPN_CLEAN).fill_null(False))
    cells = _mostly(series, col, fine, None)
    cells.suspects = suspects
    return cells


def keyed_upns(raw, header: str, col: Column) -> Cells:
    """A census's UPN column (`header` of `raw`, a reading.Raw) as integer keys (upn.keyed_plan), worked out
    with the check letters in one pass over the bytes; a Parquet column is read a batch at a time, never
    held whole as text.  Only the cells that are not a capital letter and 12 digits (blanks, spaces or
    lower case to tidy, temporary and malformed UPNs: a few) are read again and parsed as text; those
    still not of that shape after parsing are kept, with their keys, in `Cells.upn_keys`, so that each
    cell's text can be given back."""
    out = raw.scan(header, lambda frame: keyed_plan(frame, header))
    series = None
    if out is None:  # a text file's column, in memory already
        series = raw.column(header).alias(col.name)
        out = keyed(series if series.dtype == pl.String else as_text(series))
    keys, suspects = out["key"], (~out["fine"]).arg_true().cast(pl.UInt32)
    del out
    idx = keys.is_null().arg_true().cast(pl.UInt32)
    if series is not None:
        texts = series.gather(idx)
    else:
        texts = raw.scan(header, lambda frame: frame.with_row_index("\x00i").filter(
            pl.col("\x00i").is_in(idx.implode())).select(header)).to_series()
    sub = _direct(as_text(texts).rename(col.name), col)
    side = UpnKeys(sub.values.filter(keyed(sub.values)["key"].is_null()))
    values = keys.scatter(idx, side.encode(sub.values)) if len(idx) else keys
    blank = None
    if sub.blank is not None and sub.blank.any():
        blank = pl.repeat(False, len(keys), eager=True).scatter(idx.filter(sub.blank), True)
    bad = sub.bad.with_columns(idx.gather(sub.bad[IDX]).alias(IDX))
    return Cells(values.rename(col.name), blank, bad, suspects, side)


def _float_money(series: pl.Series, col: Column) -> Cells:
    """Pounds in a float column: whole pence when the value, shown as Excel shows it (15 significant
    digits), is exactly the float of a two-decimal amount; anything else goes through the text rules
    (negative, a third decimal, NaN) so that the messages are the same as for text."""
    if series.dtype in _NARROW_MONEY:
        return _single_money(series, col)
    as_excel = series.round_sig_figs(15)
    pence = (as_excel * 100).round(0)
    fine = (series.is_finite() & (series >= 0) & (series < 1e10) & (pence / 100 == as_excel)).fill_null(False)
    return _mostly(series, col, fine, pence.cast(pl.Int64, strict=False))


#: From £131,072 (2¹⁷) up, a single-precision float is more than a penny from its neighbours: it cannot hold
#: every amount in pence, and the amount it holds is not the one typed (250000.01 is kept as 250000.015625).
SINGLE_MONEY_LIMIT = 131072

#: Where a float column stops holding every amount in pence, and the words that say so.  A half-precision
#: float keeps about three significant digits (17854.79 is kept as 17856), and Polars writes one as its
#: exact binary value (12.34 as 12.34375), so no cell of such a column is read as money.
_NARROW_MONEY = {pl.Float32: (SINGLE_MONEY_LIMIT, "a single-precision (float32) column cannot be trusted to the "
                              "penny from £131,072 up")}
if HALF_FLOAT is not None:
    _NARROW_MONEY[HALF_FLOAT] = (0, "a half-precision (float16) column cannot hold amounts of money to the penny")


def _single_money(series: pl.Series, col: Column) -> Cells:
    """Pounds in a single- or half-precision Parquet column: below its limit (float32: SINGLE_MONEY_LIMIT;
    float16: none) each two-decimal amount is its own float, read by its shortest text as for double
    precision; from it up, an error."""
    limit, words = _NARROW_MONEY[series.dtype]
    high = (series.is_finite() & (series >= limit)).fill_null(False)  # (NaN, negatives: as for text)
    double = series.cast(pl.String).cast(pl.Float64)  # its shortest text: 1234.56, not 1234.56005859375
    cells = _float_money(double.scatter(high.arg_true(), None) if high.any() else double, col)
    if not high.any():
        return cells
    idx = high.arg_true().cast(pl.UInt32)
    shown = series.gather(idx).cast(pl.String)
    held = series.gather(idx).cast(pl.Float64).cast(pl.String)  # exactly what the file holds (250000.015625)
    bad = pl.DataFrame({IDX: idx, "message": words + " (it holds " + held + " here): save the money column as a "
                        "double (float64) or a decimal", "value": shown})
    blank = cells.blank
    if blank is not None:
        blank = blank.scatter(idx, False)
    return Cells(cells.values, blank if blank is not None and blank.any() else None,
                 pl.concat([cells.bad.filter(~pl.col(IDX).is_in(idx.implode())), bad]).sort(IDX))
