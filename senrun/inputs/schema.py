"""Each input's columns, declared once (SPEC §5).

Column names are the internal names; a council's own headers are mapped onto them by
the `columns:` map of each input in the config.  Every other module refers to columns
through these constants, never through scattered string literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import polars as pl


#: What a UPN cell expects, in words: an example UPN would be hidden as a child's in every message.
UPN_EXPECTED = "a 13-character UPN: a capital letter, then 12 digits (the last may be a letter)"


class Kind(str, Enum):
    """How a column's text is parsed."""

    ID = "id"  # trimmed string, leading zeros kept; Excel's 9262001.0 becomes "9262001"
    UPN = "upn"  # spaces removed, upper case
    TEXT = "text"
    DATE = "date"  # ISO, dd/mm/yyyy or an Excel date cell
    MONEY = "money"  # number or text such as £1,234.50 -> integer pence
    NUMBER = "number"  # any number (need columns, pupils)
    BOOL = "bool"  # true/false/yes/no/y/n/1/0
    NC_YEAR = "nc_year"  # N1, N2, R, 1-14, X
    SEN = "sen"  # N, A, P, S (before 2014); N, K, E (after)
    STREAM = "stream"  # PSF, SSMN, FYS
    MOVE_REASON = "move_reason"  # managed_move, casual, transfer
    ENROL = "enrol"  # C, M, S, G (census registration status, SPEC §11.5)
    EVENT = "event"  # issued, amended, ehc_transfer, ceased, reissued (SPEC §11.3)


@dataclass(frozen=True)
class Column:
    """One declared column of an input.

    An optional column that the file does not have is added as all blank (`fill_absent`), so
    later steps can rely on every declared column being there; except where its absence itself
    means something (no `pupils` column: counts must come from the census).
    """

    name: str
    kind: Kind
    required: bool = True
    expected: str = ""  # what a person should type, for messages
    fill_absent: bool = True
    default: str | None = None  # the value of a blank cell (and of the column when absent)


#: The Polars type of each kind of column once parsed.
DTYPES = {Kind.ID: pl.String, Kind.UPN: pl.String, Kind.TEXT: pl.String, Kind.DATE: pl.Date, Kind.MONEY: pl.Int64,
          Kind.NUMBER: pl.Float64, Kind.BOOL: pl.Boolean, Kind.NC_YEAR: pl.Int32,
          Kind.SEN: pl.Enum(("N", "A", "P", "S", "K", "E")),  # = SEN_CODES; one byte a pupil, not a string
          Kind.STREAM: pl.String, Kind.MOVE_REASON: pl.String, Kind.ENROL: pl.String, Kind.EVENT: pl.String}


#: A census's narrow types (inputs of COMPACT): a taught year in one byte, a registration status as a code.
COMPACT_DTYPES = {Kind.NC_YEAR: pl.Int8, Kind.ENROL: pl.Enum(("C", "M", "S", "G"))}
#: Inputs held compactly (8 million rows at England scale): UPNs as integer keys (inputs/upn.py), school
#: ids as an Enum, rows as UInt32, and COMPACT_DTYPES.  Messages give back each value's text as read.
COMPACT = frozenset({"census"})

# Internal column names
SCHOOL_ID = "school_id"
SCHOOL_NAME = "school_name"
CLUSTER_ID = "cluster_id"
CLUSTER_NAME = "cluster_name"
PHASE = "phase"
SSA = "ssa"
PUPILS = "pupils"
UPN = "upn"
DOB = "date_of_birth"
NC_YEAR_TAUGHT = "nc_year_taught"
SEN_PROVISION = "sen_provision"
FSM = "fsm"
STATEMENT_DATE = "statement_date"
ANNUAL_AMOUNT = "annual_amount"
STREAM = "stream"
CEASED_DATE = "ceased_date"
FROM_SCHOOL = "from_school_id"
TO_SCHOOL = "to_school_id"
MOVE_DATE = "move_date"
REASON = "reason"
# Round 2 (SPEC §11): schools that change, histories, registration status, successions
OPENED = "opened"
CLOSED = "closed"
SUCCESSOR_ID = "successor_id"
IN_FORMULA = "in_formula"
PUPILS_OVERRIDE = "pupils_override"
URN = "urn"  # GIAS's unique reference number, beside a school_id of another kind (SPEC §11.1)
ENROL_STATUS = "enrol_status"
EFFECTIVE_DATE = "effective_date"
EVENT = "event"
LINK_DATE = "link_date"
LINK_TYPE = "link_type"

#: Every frame read from an input carries this column: the row a person sees in Excel.
ROW = "_row"

STREAMS = ("PSF", "SSMN", "FYS")
MOVE_REASONS = ("managed_move", "casual", "transfer")
SEN_CODES = ("N", "A", "P", "S", "K", "E")
ENROL_CODES = ("C", "M", "S", "G")  # current, main (dual), subsidiary (dual), guest
COUNTED_ENROL = ("C", "M")  # the statuses the formula's bases count (SPEC §11.5)
EVENTS = ("issued", "amended", "ehc_transfer", "ceased", "reissued")
assert DTYPES[Kind.SEN] == pl.Enum(SEN_CODES)
assert COMPACT_DTYPES[Kind.ENROL] == pl.Enum(ENROL_CODES)
SEN_SUPPORT_CODES = ("A", "P", "K")
SEN_STATEMENT_CODES = ("S", "E")

SCHEMAS: dict[str, tuple[Column, ...]] = {
    "schools": (
        Column(SCHOOL_ID, Kind.ID, expected="a school identifier such as a URN or DfE number"),
        Column(SCHOOL_NAME, Kind.TEXT, expected="the school's name"),
        Column(CLUSTER_ID, Kind.ID, expected="the cluster the school belongs to"),
        Column(CLUSTER_NAME, Kind.TEXT, required=False),
        Column(PHASE, Kind.TEXT, required=False),
        Column(SSA, Kind.MONEY, required=False, expected="an amount in pounds such as 12345.67"),
        Column(PUPILS, Kind.NUMBER, required=False, expected="a whole number of pupils", fill_absent=False),
        Column(OPENED, Kind.DATE, required=False, expected="the date the school opened, or blank"),
        Column(CLOSED, Kind.DATE, required=False, expected="the date the school closed, or blank"),
        Column(SUCCESSOR_ID, Kind.ID, required=False, expected="the school that took over its pupils, or blank"),
        Column(IN_FORMULA, Kind.BOOL, required=False, expected="yes or no (blank is yes)"),
        Column(PUPILS_OVERRIDE, Kind.NUMBER, required=False, expected="a number of pupils, or blank"),
        # the school's URN where its school_id is another kind (a DfE number): GIAS's links are read through it
        Column(URN, Kind.ID, required=False, fill_absent=False, expected="the school's URN as GIAS lists it, or blank"),
    ),
    "census": (
        Column(UPN, Kind.UPN, expected=UPN_EXPECTED),
        Column(SCHOOL_ID, Kind.ID, expected="a school identifier"),
        Column(DOB, Kind.DATE, expected="a date such as 31/08/2002 or 2002-08-31"),
        Column(NC_YEAR_TAUGHT, Kind.NC_YEAR, required=False, expected="N1, N2, R, 1-14 or X"),
        Column(SEN_PROVISION, Kind.SEN, required=False, expected="N, A, P, S, K or E"),
        Column(FSM, Kind.BOOL, required=False, expected="true/false, yes/no, y/n or 1/0"),
        Column(ENROL_STATUS, Kind.ENROL, required=False, expected="C, M, S or G (blank is C)", default="C"),
    ),
    "statements": (
        Column(UPN, Kind.UPN, expected=UPN_EXPECTED),
        Column(DOB, Kind.DATE, expected="a date such as 31/08/2002 or 2002-08-31"),
        Column(STATEMENT_DATE, Kind.DATE, expected="a date such as 01/03/2010 or 2010-03-01"),
        Column(SCHOOL_ID, Kind.ID, expected="the school that holds the PSF"),
        Column(ANNUAL_AMOUNT, Kind.MONEY, expected="an amount in pounds such as 9876.54"),
        Column(STREAM, Kind.STREAM, required=False, expected="PSF, SSMN or FYS (blank is PSF)", default="PSF"),
        Column(CEASED_DATE, Kind.DATE, required=False, expected="a date, or blank"),
        Column(EFFECTIVE_DATE, Kind.DATE, required=False, expected="a date, or blank (the statement date)"),
        Column(EVENT, Kind.EVENT, required=False, default="issued",
               expected="issued, amended, ehc_transfer, ceased or reissued (blank is issued)"),
    ),
    "moves": (
        Column(UPN, Kind.UPN, expected=UPN_EXPECTED),
        Column(FROM_SCHOOL, Kind.ID, expected="the school the child left"),
        Column(TO_SCHOOL, Kind.ID, expected="the school the child joined"),
        Column(MOVE_DATE, Kind.DATE, expected="a date such as 15/11/2013 or 2013-11-15"),
        Column(REASON, Kind.MOVE_REASON, expected="managed_move, casual or transfer"),
    ),
    # Successions as GIAS exports its links (SPEC §11.1); rows whose link_type does not begin
    # with "Successor" are ignored; without a link_type column every row is a succession.
    "links": (
        Column(SCHOOL_ID, Kind.ID, expected="the school that closed (or converted)"),
        Column(SUCCESSOR_ID, Kind.ID, expected="the school that took over its pupils"),
        Column(LINK_DATE, Kind.DATE, required=False, expected="a date, or blank"),
        Column(LINK_TYPE, Kind.TEXT, required=False, fill_absent=False, expected="e.g. Successor"),
    ),
}

#: Columns whose empty cells are allowed (optional values).
# CLUSTER_ID may be blank only for a school outside the formula (SPEC §11.2): checked in the pipeline.
#: (A blank annual_amount is allowed on an amendment or a ceasing only: history.blank_amounts.)
NULLABLE = {CLUSTER_ID, CLUSTER_NAME, PHASE, SSA, PUPILS, NC_YEAR_TAUGHT, SEN_PROVISION, FSM, STREAM, CEASED_DATE,
            ANNUAL_AMOUNT,
            OPENED, CLOSED, SUCCESSOR_ID, IN_FORMULA, PUPILS_OVERRIDE, URN, ENROL_STATUS, EFFECTIVE_DATE, EVENT,
            LINK_DATE, LINK_TYPE}

#: Date columns that may hold an Excel serial day number (43344 for 1 September 2018): a school's
#: opening and closing dates and a link date, as the DfE's school spreadsheets hold them
#: (docs/decisions.md, 37).  A child's dates never: a bare number there is refused.
SERIAL_DATES = {OPENED, CLOSED, LINK_DATE}

#: A totals row's label ("Total", "Grand total", "Sub-total: primary"), in the row's first columns.
TOTAL_LABEL = r"(?i)^(?:grand\s*|sub-?\s*)?totals?(?:$|[\s:(-].*)|^\S.*\s(?:total|count)$"  # …, Excel's "9262001 Total"
