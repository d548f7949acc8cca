"""Text → values, for config scalars (plain Python) and input columns (Polars expressions).

Inputs are read as text so that nothing is guessed: each column is then parsed by its
declared kind (schema.Kind), and a cell that does not parse becomes null while a
boolean `bad` expression marks it, so every bad cell is reported in one pass.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import polars as pl

from ..money import CEILING_PENCE

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def config_date(raw) -> date | None:
    """A config date: a YAML date, or text as ISO or dd/mm/yyyy."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0))):
        m = pattern.match(text)
        if m:
            parts = [int(m.group(i + 1)) for i in order]
            try:
                return date(*parts)
            except ValueError:
                return None
    return None


def config_period(raw) -> tuple[date, date] | None:
    """A `period:` mapping ({start, end}) as a config or a run's manifest.json gives it (as the config was
    typed: `01/04/2013` or 2013-04-01), or None when it is not one."""
    if not isinstance(raw, dict):
        return None
    start, end = config_date(raw.get("start")), config_date(raw.get("end"))
    return (start, end) if start and end else None


def config_decimal(raw) -> Decimal | None:
    """An exact decimal from a YAML number or text such as '£1,234.50'.  Commas only group thousands:
    '34,1000' (a slip) and '1.000,50' (a continental amount) are not amounts, never £341,000 or £1.00.  A
    space inside is read as the comma it stands for, as in a cell (`money_text`): '16 117 000' is an
    amount, '1000 50' (£1,000.50 mistyped, or two figures) is not, never £100,050."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, Decimal)):
        return Decimal(raw)
    if isinstance(raw, str):
        text = re.sub(r"^([-+])\s+", r"\1", re.sub(r"[£_]", "", raw).strip())  # `- 2`: the sign, then the figure
        text = re.sub(r"\s*,\s*|\s+", ",", text)
        if "," in text and not re.fullmatch(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?", text):
            return None
        text = text.replace(",", "")
        try:
            value = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
        return value if value.is_finite() else None
    return None


# --- Polars column parsers: each returns (value expression, bad-cell expression) -----------

def _blank(col: str) -> pl.Expr:
    return pl.col(col).is_null() | (pl.col(col).str.strip_chars() == "")


#: What a cell shows when its formula failed; never a value, whatever the column.
EXCEL_ERROR = r"^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|SPILL!|CALC!|GETTING_DATA|ERROR)$"
#: How the workbook reader marks a formula cell saved without its value (`#UNCALCULATED:=SUM(B2:B9)`).
UNCALCULATED = "#UNCALCULATED:"


def parse_text(col: str) -> pl.Expr:
    """Trimmed text; null when blank, an Excel error such as #N/A, or a formula with no value."""
    s = pl.col(col).str.strip_chars()
    failed = s.str.contains(EXCEL_ERROR) | s.str.starts_with(UNCALCULATED)
    return pl.when(failed).then(None).otherwise(s.replace("", None))


#: Characters that show as nothing: the soft hyphen, zero-width spaces and joiners, the direction
#: marks, the word joiner and a byte-order mark inside a cell.
INVISIBLE = "[\u00ad\u200b-\u200f\u2060\ufeff]"


def without_text_marker(s: pl.Expr) -> pl.Expr:
    """A code as a spreadsheet marks it to be kept as text, unmarked: a leading apostrophe (`'B926…`, as
    some MIS exports and pastes write it) and Excel's `="…"` (a CSV trick that keeps leading zeros).
    Neither is ever part of a UPN or an id; kept, every child so marked was missed in the census."""
    return s.str.replace(r'^="(.*)"$', "${1}").str.replace(r"^'", "").str.strip_chars().replace("", None)


def parse_id(col: str) -> pl.Expr:
    """Trimmed text in Unicode NFC, unmarked (`without_text_marker`); an Excel number cell `9262001.0`
    (read as '9262001.0') becomes '9262001'."""
    # NFC: `école1` typed on a Mac (e + combining accent) and on Windows (é) is one school, not two;
    # characters that show as nothing (a zero-width space pasted from a web page or e-mail) are dropped.
    # (Ids alike only in NFKC, such as ９２６２００２ in full-width digits beside 9262002, are kept as written and
    # refused by the schools' checks: folded, two clusters II and Ⅱ would have been merged without a word.)
    s = without_text_marker(parse_text(col).str.normalize("NFC").str.replace_all(INVISIBLE, ""))
    return pl.when(s.str.contains(r"^\d+\.0+$")).then(s.str.replace(r"\.0+$", "")).otherwise(s)


def parse_upn(col: str) -> pl.Expr:
    """UPNs are compared with spaces (and characters that show as nothing) removed and letters in upper
    case (SPEC §5), unmarked (`without_text_marker`)."""
    return without_text_marker(parse_text(col).str.replace_all(r"[\s" + INVISIBLE[1:] + "+", "")).str.to_uppercase()


def parse_date(col: str, serial: bool = False) -> pl.Expr:
    """ISO text, day-first text (31/08/2002, 31-08-2002 as GIAS exports dates, 31.08.2002) or an
    Excel date cell (read as 'yyyy-mm-dd hh:mm:ss'), mixed freely.

    A time of day after the date (an Excel date-time cell, or '31/08/2002 00:00' from a CSV
    export) is ignored.  The year must have four digits, from 1900 to 2099: '31/08/02' is
    refused rather than guessed, and '0002' is a typing slip.  With `serial` (a school's opening
    and closing dates and a link date, which the DfE's own spreadsheets hold as numbers), an
    Excel serial day number such as 43344 (1 September 2018) is a date too; a child's dates never
    are (docs/decisions.md, 37).
    """
    s = pl.col(col).str.strip_chars().str.replace(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$", "")
    iso = s.str.extract(r"^((?:19|20)\d{2}-\d{2}-\d{2})$", 1).str.to_date("%Y-%m-%d", strict=False)
    day_first = s.str.extract(DAY_FIRST, 0).str.replace_all(r"[.-]", "/")
    named = s.str.extract_groups(MONTH_NAMED)  # 21-Dec-2003, 22 February 2001: as Excel writes d-mmm-yyyy to CSV
    month = named.struct.field("2").str.to_lowercase().replace_strict(MONTHS, default=None, return_dtype=pl.String)
    by_name = pl.concat_str(named.struct.field("1"), month, named.struct.field("3"), separator="/")
    dates = [iso, day_first.str.to_date("%d/%m/%Y", strict=False), by_name.str.to_date("%d/%m/%Y", strict=False)]
    if serial:
        dates.append(excel_serial_date(s))
    return pl.coalesce(dates)


def one_separator(*parts: str) -> str:
    """A regex of the parts joined by one of '/', '-' or '.', the same throughout (31/08/2002, 31-08-2002)."""
    return "^(?:" + "|".join(sep.join(parts) for sep in ("/", "-", r"\.")) + ")$"


#: Day, month and a four-digit year from 1900 to 2099.
DAY_FIRST = one_separator(r"\d{1,2}", r"\d{1,2}", r"(?:19|20)\d{2}")
#: Day, the month in English words (`Dec`, `Sept`, `December`) and a four-digit year, by spaces or dashes.
MONTH_NAMED = r"^(\d{1,2})[ -]([A-Za-z]{3,9})[ -]((?:19|20)\d{2})$"
MONTHS = {name: f"{n:02d}" for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
#: Excel's serial days of 1 March 1900 (before it, Excel counts a 29 February 1900 that never was)
#: and of 31 December 2099.
SERIAL_DAYS = (61, 73050)


#: An Excel serial day number as text: '43344', or '43344.0' from a number cell.
SERIAL_TEXT = r"^(\d{2,5})(?:\.0+)?$"


def excel_serial_date(text: pl.Expr) -> pl.Expr:
    """An Excel serial day number ('43344', or '43344.0' from a number cell) as its date; null otherwise."""
    days = text.str.extract(SERIAL_TEXT, 1).cast(pl.Int32, strict=False)
    inside = days.is_between(*SERIAL_DAYS)
    return pl.when(inside).then(pl.lit(date(1899, 12, 30)) + pl.duration(days=days))


#: From day 0 of Excel's 1900 date system (as excel_serial_date counts, 30 December 1899) to day 0 of its
#: 1904 date system (1 January 1904, Excel for Mac's old default).
DAYS_TO_1904 = (date(1904, 1, 1) - date(1899, 12, 30)).days


def from_1904(text: pl.Series, dates: pl.Series) -> pl.Series:
    """`dates` parsed from the cells `text` of a workbook whose dates count from 1904: those that were
    serial day numbers (excel_serial_date, which counts from 1900) moved to the 1904 system's day; a
    date cell is read as the date it shows, whichever system, and is left as it is."""
    serial = text.cast(pl.String).str.strip_chars().str.contains(SERIAL_TEXT).fill_null(False)
    return pl.select(pl.when(serial).then(dates + pl.duration(days=DAYS_TO_1904)).otherwise(dates)
                     .alias(dates.name)).to_series()


#: Pounds: digits with optional thousands commas (1,234 or 1234), then up to two decimals.
#: Trailing zeros past the pence (1234.500, as some exports pad) are not fractions of a penny.
MONEY_PATTERN = r"^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d{0,2})0*)?$"
#: Up to three digits, then groups of three after full stops (8.400, 1.234.567): a European export's thousands as
#: much as pence padded to three decimals, so never read as either (£8.40 for £8,400 would go unseen).
DOT_THOUSANDS = r"^[1-9]\d{0,2}(?:\.\d{3})+$"


def money_text(col: str) -> pl.Expr:
    """A money cell's text as MONEY_PATTERN reads it: without £ and the spaces around the amount, a
    space inside it read as the thousands comma it stands for (`1 234.50`, as some systems write
    thousands), so that `8400 9000` or `10235 46` is no amount, not £84,009,000 or £1,023,546.  A
    dash alone (Excel's accounting-format zero, or "not known") is no amount either: `bad_message`
    says which to write."""
    return pl.col(col).str.replace_all("£", "").str.strip_chars().str.replace_all(r"\s*,\s*|\s+", ",")


def parse_money(col: str) -> pl.Expr:
    """Pounds as number or text (`£1,234.50`, `1234.5`, `.5`) → Int64 pence; null when not valid money.

    Exact: the text is split at the decimal point, never passed through a float.
    More than two decimal places is invalid (SPEC §5); so is a negative amount (SPEC §8).
    """
    s = money_text(col)
    m = s.str.extract_groups(MONEY_PATTERN)
    digits = m.struct.field("1").str.replace_all(",", "").str.strip_chars_start("0")
    frac = m.struct.field("2").fill_null("").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    whole = pl.when(digits == "").then(pl.lit(0, pl.Int64)).otherwise(digits.cast(pl.Int64, strict=False))
    has_digit = s.str.contains(r"\d")
    # Pounds of more than 11 digits are beyond the ceiling, and are never multiplied (×100 could wrap 64 bits).
    fits = digits.str.len_chars() <= 11
    pence = pl.when(fits).then(whole * 100 + frac)
    return (pl.when(has_digit & digits.is_not_null() & (pence <= CEILING_PENCE) & ~s.str.contains(DOT_THOUSANDS))
            .then(pence).otherwise(None))


def too_large_money(col: str) -> pl.Expr:
    """True where a cell is written as money but is beyond the ceiling (money.CEILING_PENCE)."""
    s = money_text(col)
    return (s.str.contains(MONEY_PATTERN) & s.str.contains(r"\d") & ~s.str.contains(DOT_THOUSANDS)
            & parse_money(col).is_null())


def parse_number(col: str) -> pl.Expr:
    """Any number (pupils, need columns) as Float64 text parse; commas allowed."""
    return pl.col(col).str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)


_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")


def parse_bool(col: str) -> pl.Expr:
    """true/false/yes/no/y/n/1/0 in any case (Excel's TRUE too; '1.0' from a number cell)."""
    s = pl.col(col).str.strip_chars().str.to_lowercase().str.replace(r"^(\d)\.0+$", "$1")
    return pl.when(s.is_in(_TRUE)).then(True).when(s.is_in(_FALSE)).then(False).otherwise(None)


def parse_nc_year(col: str) -> pl.Expr:
    """Census taught year: N1 → -2, N2 → -1, R → 0, 1–14, X (no year) → null-but-valid; in words as a MIS's
    report gives them too: Year 5, Y5, Reception, Nursery 1."""
    s = (pl.col(col).str.strip_chars().str.to_uppercase().str.replace(r"^(\d+)\.0+$", "$1")
         .str.replace(r"^(?:YEAR|YR|Y)\s*(\d{1,2})$", "$1").str.replace(r"^NURSERY\s*([12])$", "N$1")
         .str.replace(r"^RECEPTION$", "R"))
    num = s.cast(pl.Int32, strict=False)
    return (pl.when(s == "N1").then(-2).when(s == "N2").then(-1).when(s == "R").then(0)
            .when(num.is_between(1, 14)).then(num).otherwise(None).cast(pl.Int32))


def parse_code(col: str, allowed: tuple[str, ...], upper: bool = True, aliases: dict[str, str] | None = None,
               led: bool = False) -> pl.Expr:
    """A code from a fixed list (SEN provision, stream, move reason); null when not allowed.  `aliases`:
    other words for a code, as councils' systems write them (`amendment` for `amended`).  `led`: a one-letter
    code may lead its words, as a MIS's report writes it ("S - Statement", "K: SEN support")."""
    s = pl.col(col).str.strip_chars()
    s = s.str.to_uppercase() if upper else s.str.to_lowercase().str.replace_all(r"[\s-]+", "_")
    if led:
        s = s.str.replace(r"^([A-Z])\s*[-–:]\s*\S.*$", "$1")
    if aliases:
        s = s.replace(aliases)
    return pl.when(s.is_in(allowed)).then(s).otherwise(None)


#: SEN provision in words, as a MIS's report may give it (upper case).
SEN_ALIASES = {"NO SPECIAL EDUCATIONAL NEED": "N", "NO SEN": "N", "SCHOOL ACTION": "A", "SCHOOL ACTION PLUS": "P",
               "STATEMENT": "S", "STATEMENT OF SEN": "S", "SEN SUPPORT": "K", "EHC PLAN": "E", "EHCP": "E",
               "EDUCATION, HEALTH AND CARE PLAN": "E"}
#: A pupil's enrolment status in words, as the school census's descriptions give it (upper case).
ENROL_ALIASES = {"CURRENT": "C", "SINGLE REGISTRATION": "C", "CURRENT (SINGLE REGISTRATION)": "C", "MAIN": "M",
                 "MAIN (DUAL REGISTRATION)": "M", "DUAL MAIN": "M", "SUBSIDIARY": "S", "DUAL SUBSIDIARY": "S",
                 "SUBSIDIARY (DUAL REGISTRATION)": "S", "GUEST": "G"}


#: Other words for a move's reason (lower case, spaces as _): the reason a line ends is `casual_move`,
#: and "managed" alone is the managed move.
MOVE_ALIASES = {"casual_move": "casual", "casual_admission": "casual", "managed": "managed_move"}
#: Other words for a statement event, as an SEN system may export them (lower case, spaces as _).
EVENT_ALIASES = {"issue": "issued", "new": "issued", "amendment": "amended", "amend": "amended",
                 "ehcp_transfer": "ehc_transfer", "transferred_to_ehcp": "ehc_transfer",
                 "transfer_to_ehcp": "ehc_transfer", "transferred_to_ehc_plan": "ehc_transfer",
                 "transfer_to_ehc_plan": "ehc_transfer", "cease": "ceased", "re_issued": "reissued",
                 "reissue": "reissued", "re_issue": "reissued"}
