"""pupils.xlsx: the restricted workbook, with the personal data the publishable pack leaves out
(SPEC §6, round 2).

Sheets: `About` (what the file holds and who may see it), `PSF` (one row per statement and
school: UPN, date of birth, dates paid, reason in words), `Warnings` (every warning of the
run in full, those about children included).
"""

from __future__ import annotations

import io

import polars as pl

from ..result import RunResult
from . import common, present
from .reconciliation import reconciliation_frame
from .tables import write_table_sheet
from .tablesheet import TableSheet
from .workbook import SHEET_CSV, WARNINGS_CSV, footer_text, warnings_frame
from .xlsx import finish_print, new_workbook, print_setup, close_to_bytes

ABOUT = (
    "This workbook holds personal data about children: their Unique Pupil Numbers (UPNs), dates "
    "of birth and the funding of their statements or EHC plans.",
    "It is restricted. Only staff of the local authority who administer SEN funding, and the "
    "school for its own children, may see it. Do not publish it, attach it to Schools Forum or "
    "cluster papers, or send it outside the authority's secure systems.",
    "The publishable pack is allocations.xlsx, which counts children and names none.",
    "Keep it for as long as the authority's retention schedule for SEN funding records says, then "
    "delete it (UK GDPR: data minimisation and storage limitation).",
)


def pupils_bytes(result: RunResult) -> bytes:
    """The restricted workbook, as bytes."""
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, f"SEN funding {result.config.year}: children (restricted)",
                             "Special educational needs funding: children's lines (restricted: personal data)")
    about = book.add_worksheet("About")
    about.set_column(0, 0, 110)
    about.write_string(0, 0, f"RESTRICTED: personal data about children — SEN funding {result.config.year}",
                       fmt.title)
    for row, text in enumerate(ABOUT, start=2):
        about.write_string(row, 0, text, fmt.wrap)
        about.set_row(row, 36)  # two lines of wrapped text: spreadsheets do not grow a row on their own
    print_setup(about)
    psf = present.psf_table(result)
    # the annual PSF is a statement's yearly rate, repeated on each of its lines (a child paid at two
    # schools has two): no total (the Released sheet of allocations.xlsx totals it once per statement)
    write_table_sheet(book.add_worksheet("PSF", worksheet_class=TableSheet), psf, fmt, SHEET_CSV["PSF"],
                      present.headers(psf, result), totals=True, unsummed=frozenset({"annual_amount"}))
    warnings = warnings_frame(result).with_columns(
        pl.col("code").map_elements(common.warning_words, return_dtype=pl.String))
    write_table_sheet(book.add_worksheet("Warnings", worksheet_class=TableSheet), warnings, fmt, WARNINGS_CSV,
                      ["Kind", "Where", "Message"])
    reconciliation = reconciliation_frame(result)  # with a register only (§11.4): child by child
    if reconciliation is not None:
        write_table_sheet(book.add_worksheet("Reconciliation", worksheet_class=TableSheet),
                          present.words(reconciliation), fmt, "reconciliation.csv",
                          present.headers(reconciliation, result))
    finish_print(book, footer_text(result))
    for ws in book.worksheets():  # every printed page says what it holds
        ws.set_header("&C&\"-,Bold\"RESTRICTED: personal data about children")
    return close_to_bytes(book, buffer)
