"""The bad-input corpus: real-world spreadsheet and config faults, and what senrun must do with each.

Every case starts from the clean run in `tests/fixtures/bad/_baseline/` and plants one fault:
a small file from `tests/corpus/files/` put in place of one input (or of the config), or a
file made by `tests/corpus/generate.py` when it is binary (workbooks, zips, random bytes) or
huge (the 100 MB CSV, the zip bomb) — made in a temporary folder at test time, never committed.

`tests/test_corpus.py` runs every case through `senrun validate --json` (a few through
`senrun allocate` into a folder that must be left as it was) and checks the outcome here;
`docs/reliability.md` has one line per case.  To look at the cases by hand:

    python tests/corpus/make_corpus.py /tmp/corpus     # one run folder per case
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

if __package__ in (None, ""):  # run as a script: python tests/corpus/make_corpus.py OUT
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import generate as gen  # noqa: E402

HERE = Path(__file__).parent
FILES = HERE / "files"
BASELINE = gen.BASELINE


@dataclass(frozen=True)
class Case:
    """One fault, how to plant it, and what senrun must do (`outcome`: error, warning or ok)."""

    name: str
    fault: str  # what the user did or received
    does: str  # what senrun does, for docs/reliability.md
    plant: Callable[[Path], None]
    outcome: str = "error"
    code: str | None = None  # the issue expected (error or warning)
    file: str | None = None
    row: int | None = None
    column: str | None = None
    words: str = ""
    command: str = "validate"  # or "allocate": --out into a folder that must be left as it was
    slow: bool = False


# --- planting ----------------------------------------------------------------------------------

def edit_config(folder: Path, name: str, **changes) -> None:
    """Change one input's entry in the run's senrun.yaml (None deletes a key)."""
    path = folder / "senrun.yaml"
    config = yaml.safe_load(path.read_text())
    entry = config["inputs"][name]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def use(name: str, source: str, target: str | None = None, **changes) -> Callable[[Path], None]:
    """Put tests/corpus/files/<source> in place of input `name` (as `target`)."""
    def plant(folder: Path) -> None:
        target_name = target or source
        shutil.copyfile(FILES / source, folder / target_name)
        edit_config(folder, name, path=target_name, **changes)
    return plant


def made(name: str, target: str, make: Callable[[Path], None], **changes) -> Callable[[Path], None]:
    """Generate input `name` as `target` with `make(path)`."""
    def plant(folder: Path) -> None:
        make(folder / target)
        edit_config(folder, name, path=target, **changes)
    return plant


def config(source: str) -> Callable[[Path], None]:
    """Put tests/corpus/files/<source> in place of the config."""
    def plant(folder: Path) -> None:
        shutil.copyfile(FILES / source, folder / "senrun.yaml")
    return plant


def build(case: Case, folder: Path) -> Path:
    """The baseline run with the case's fault planted, in `folder`; returns the config's path."""
    shutil.copytree(BASELINE, folder, dirs_exist_ok=True)
    case.plant(folder)
    return folder / "senrun.yaml"


def _trailing_commas(path: Path) -> None:
    """The baseline statements with blank cells past the last header on every row (,, at each line's end)."""
    lines = (BASELINE / "statements.csv").read_text().splitlines()
    path.write_text("\n".join([lines[0], *(line + ",,  ," for line in lines[1:])]) + "\n")


# --- the corpus ----------------------------------------------------------------------------------

S, C, SC = "statements", "census", "schools"

CASES: list[Case] = [
    # workbooks as people make them
    Case("xlsx_wrong_sheet_name", "the config names sheet 'Statements'; the workbook's is 'Statments 2013-14'",
         "error naming the file, the sheet asked for and the sheets there are",
         made(S, "statements.xlsx", gen.wrong_sheet, sheet="Statements"), code="unreadable", file="statements.xlsx",
         words="has no sheet 'Statements'"),
    Case("xlsx_title_rows", "two merged title rows and a blank row above the header",
         "tolerated: the header is found in the top 20 rows; rows keep their Excel numbers",
         made(S, "statements.xlsx", gen.title_rows), outcome="ok"),
    Case("xlsx_merged_header", "a two-row header: merged group cells ('Pupil', 'Funding') above the real headers",
         "tolerated: the row naming the most required columns is the header",
         made(S, "statements.xlsx", gen.merged_header), outcome="ok"),
    Case("xlsx_blank_rows", "blank rows between and after the data", "tolerated: blank rows are skipped",
         made(S, "statements.xlsx", gen.blank_rows), outcome="ok"),
    Case("xlsx_totals_row", "a 'Total' row under the data with =SUM() in the money column",
         "tolerated with a warning naming the row: the totals row is skipped, never paid",
         made(S, "statements.xlsx", gen.totals_formula_row), outcome="warning", code="totals_row",
         file="statements.xlsx", row=6, column="Pupil UPN"),
    Case("xlsx_hidden_duplicate_column", "a hidden column G also headed 'Annual PSF' (last year's figures)",
         "error: two columns with one header, senrun will not guess which holds the money",
         made(S, "statements.xlsx", gen.hidden_duplicate_column), code="duplicate_column", file="statements.xlsx",
         column="Annual PSF", words="one may be hidden"),
    Case("xlsx_hidden_notes_column", "a hidden column of notes", "tolerated: extra columns are ignored",
         made(S, "statements.xlsx", gen.hidden_notes_column), outcome="ok"),
    Case("xlsx_filtered_rows",
         "statements filtered to Status = 'Current': the 'Ceased' rows 3–4 hidden by the filter",
         "tolerated with a warning naming the rows: hidden rows are read and paid as every row is",
         made(S, "statements.xlsx", gen.filtered_rows), outcome="warning", code="hidden_rows",
         file="statements.xlsx", words="rows 3–4 are hidden in Excel (the sheet is filtered, on A1:G5)"),
    Case("xlsx_hidden_first_sheet", "a hidden lookup sheet in front of the data, no `sheet:` in the config",
         "tolerated: the first visible sheet is read", made(S, "statements.xlsx", gen.hidden_first_sheet),
         outcome="ok"),
    Case("xlsx_dates_as_text", "dates typed as text cells ('14/11/2001', '2005-03-01', '1/9/2009')",
         "tolerated: text dates are read as dd/mm/yyyy or ISO", made(S, "statements.xlsx", gen.dates_as_text),
         outcome="ok"),
    Case("xlsx_serial_number_date", "a date cell formatted as a number (38412)",
         "error naming the cell: a bare number is not taken for a date",
         made(S, "statements.xlsx", gen.serial_number_date), code="bad_value", file="statements.xlsx", row=3,
         column="Date of Birth", words="is not a date"),
    Case("xlsx_formula_without_value", "a workbook saved by a program that does not calculate: =8000+400 with no value",
         "error naming the cell and the formula, never read as blank or £0",
         made(S, "statements.xlsx", gen.money_formulas_without_values), code="bad_value", file="statements.xlsx",
         row=3, column="Annual PSF", words="formula with no calculated value", command="allocate"),
    Case("xlsx_na_cell", "a failed VLOOKUP: the SSA cell shows #N/A", "error naming the cell, never read as £0",
         made(SC, "schools.xlsx", gen.ssa_na), code="bad_value", file="schools.xlsx", row=3, column="SSA",
         words="is an Excel error"),
    Case("xlsx_na_beside_formatted_column", "#N/A in the SSA column of a sheet whose data start in column B, "
         "column A formatted but empty", "error naming the cell (the cell is found where calamine puts it)",
         made(SC, "schools.xlsx", gen.ssa_na_beside_a_formatted_column), code="bad_value", file="schools.xlsx", row=3,
         column="SSA", words="is an Excel error"),
    Case("xlsx_really_csv", "a CSV saved with an .xlsx name", "tolerated: the file is read as what it is",
         made(S, "statements.xlsx", gen.csv_named_xlsx), outcome="ok"),
    Case("xlsx_password_protected", "a password-protected workbook (an OLE container)",
         "error: save it as an unprotected .xlsx", made(S, "statements.xlsx", gen.password_protected),
         code="unreadable", file="statements.xlsx", words="password-protected", command="allocate"),
    Case("xlsx_truncated", "a workbook cut short (half a download)", "error: damaged or cut short",
         made(S, "statements.xlsx", gen.truncated), code="unreadable", file="statements.xlsx", words="cut short"),
    Case("xlsx_zip_not_workbook", "a zip of the CSV renamed .xlsx", "error: a zip file but not an Excel workbook",
         made(S, "statements.xlsx", gen.zip_not_workbook), code="unreadable", file="statements.xlsx",
         words="not an Excel workbook"),
    Case("xlsx_zip_bomb", "a 3.5 MB workbook whose sheet unpacks to 600 MB", "error before unpacking: refused",
         made(S, "statements.xlsx", gen.zip_bomb), code="unreadable", file="statements.xlsx", words="would unpack to",
         command="allocate"),
    Case("xlsx_understated_size", "a crafted workbook whose zip directory says 1,000 bytes for a 4.9 MB sheet",
         "error while the sheet is scanned, before calamine unpacks it: damaged",
         made(S, "statements.xlsx", gen.understated_size), code="unreadable", file="statements.xlsx",
         words="it is damaged"),
    Case("xlsx_far_stray_cell", "one stray cell in XFD1048576 (17 billion cells for calamine)",
         "error before reading: refused, naming the span", made(S, "statements.xlsx", gen.far_cell),
         code="unreadable", file="statements.xlsx", words="spanning"),
    Case("random_bytes", "random bytes named statements.xlsx", "error: not a text file",
         made(S, "statements.xlsx", gen.random_bytes), code="unreadable", file="statements.xlsx",
         words="not a text file", command="allocate"),
    Case("parquet_corrupt", "a damaged Parquet file", "error: could not be read as Parquet",
         made(S, "statements.parquet", gen.parquet_corrupt), code="unreadable", file="statements.parquet",
         words="could not be read as Parquet"),
    Case("parquet_typed_columns", "Parquet with typed columns: integer school ids, float money, text dates",
         "tolerated: typed values read as Excel shows them", made(S, "statements.parquet", gen.parquet_typed),
         outcome="ok"),
    Case("input_is_a_folder", "the input path names a folder", "error: is a folder, not a file",
         made(S, "statements", gen.folder), code="unreadable", file="statements", words="is a folder"),
    Case("path_escapes_to_missing_file", "`path: ../../elsewhere/census.csv`, which does not exist",
         "error naming the path as written", lambda f: edit_config(f, C, path="../../elsewhere/census.csv"),
         code="unreadable", file="census.csv", words="'../../elsewhere/census.csv' does not exist"),
    # CSV files as exported
    Case("dates_three_formats", "dates as 1/3/2010, 2005-03-01, '01/06/2011 00:00' and ISO with a time",
         "tolerated: mixed freely in one column", use(S, "dates_three_formats.csv"), outcome="ok"),
    Case("date_31_february", "31/02/2005", "error naming the cell: not a real date",
         use(S, "date_31_february.csv"), code="bad_value", file="date_31_february.csv", row=3,
         column="Date of Birth", words="is not a real date"),
    Case("date_us_style", "12/31/1999 (month first)", "error naming the cell: reads as US style",
         use(S, "date_us_style.csv"), code="bad_value", file="date_us_style.csv", row=4, column="Date of Birth",
         words="US style"),
    Case("date_two_digit_year", "14/11/01", "error naming the cell: a two-digit year is not guessed",
         use(S, "date_two_digit_year.csv"), code="bad_value", file="date_two_digit_year.csv", row=2,
         column="Date of Birth", words="has a two-digit year"),
    Case("date_excel_serial_text", "37209 (an Excel serial number exported as text)",
         "error naming the cell", use(S, "date_excel_serial.csv"), code="bad_value", file="date_excel_serial.csv",
         row=2, column="Date of Birth", words="is not a date"),
    Case("money_pounds_and_commas", "' £ 8,400 ' and '£12,000.00' as text", "tolerated: read as pence",
         use(S, "money_pounds_and_commas.csv"), outcome="ok"),
    Case("money_negative", "-1500", "error naming the cell: money must not be negative",
         use(S, "money_negative.csv"), code="bad_value", file="money_negative.csv", row=5, column="Annual PSF",
         words="is negative"),
    Case("money_in_brackets", "(1500.00), accountants' negative", "error naming the cell: negative",
         use(S, "money_in_brackets.csv"), code="bad_value", file="money_in_brackets.csv", row=5,
         column="Annual PSF", words="is negative"),
    Case("money_three_decimals", "8400.005", "error naming the cell: more than two decimal places",
         use(S, "money_three_decimals.csv"), code="bad_value", file="money_three_decimals.csv", row=3,
         column="Annual PSF", words="more than two decimal places"),
    Case("money_decimal_comma", "a European export: semicolons and 9876,54",
         "error naming the cell: a decimal comma is not guessed", use(S, "money_decimal_comma.csv"),
         code="bad_value", file="money_decimal_comma.csv", row=2, column="Annual PSF",
         words="looks like pounds with a comma for the decimal point"),
    Case("money_words", "TBC in the money column", "error naming the cell", use(S, "money_words.csv"),
         code="bad_value", file="money_words.csv", row=5, column="Annual PSF", words="is not an amount of money"),
    Case("money_excel_error_text", "#N/A exported into a CSV", "error naming the cell: an Excel error",
         use(S, "money_excel_error_text.csv"), code="bad_value", file="money_excel_error_text.csv", row=5,
         column="Annual PSF", words="is an Excel error"),
    Case("duplicate_upn", "a child twice in the census (once typed 'u926 2002 12004')",
         "error naming both rows", use(C, "duplicate_upn.csv"), code="duplicate", file="duplicate_upn.csv",
         row=8, column="UPN", words="appears again (first at row 5)", command="allocate"),
    Case("upn_spaces_lower_case", "' d926 2001 13001 '", "tolerated: spaces removed, upper-cased",
         use(S, "upn_spaces_lower_case.csv"), outcome="ok"),
    Case("upn_wrong_check_letter", "A926200111002 (the letter should be W)", "warning naming the cell",
         use(S, "upn_wrong_check_letter.csv"), outcome="warning", code="upn_bad_letter",
         file="upn_wrong_check_letter.csv", row=3, column="Pupil UPN"),
    Case("unknown_school", "a statement at school 9269999, not in the schools input", "error naming the cell",
         use(S, "unknown_school.csv"), code="unknown_school", file="unknown_school.csv", row=5,
         column="PSF School", command="allocate"),
    Case("school_in_two_clusters", "school 9262002 listed again in cluster C2", "error naming both rows and clusters",
         use(SC, "school_in_two_clusters.csv"), code="duplicate", file="school_in_two_clusters.csv", row=5,
         column="DfE Number", words="a school belongs to one cluster"),
    Case("totals_row", "a 'Total' row after a blank line, with the sum of the money column",
         "tolerated with a warning naming the row: skipped", use(S, "totals_row.csv"), outcome="warning",
         code="totals_row", file="totals_row.csv", row=7, column="Pupil UPN"),
    Case("subtotal_rows", "'Subtotal C1' and 'Grand Total' rows among the schools",
         "tolerated with a warning for each: skipped", use(SC, "subtotal_rows.csv"), outcome="warning",
         code="totals_row", file="subtotal_rows.csv", row=4, column="DfE Number"),
    Case("blank_rows", "blank and space-only lines between and after the rows", "tolerated: skipped",
         use(S, "blank_rows.csv"), outcome="ok"),
    Case("empty_file", "an empty file (0 bytes)", "error: is empty", use(S, "empty.csv"), code="unreadable",
         file="empty.csv", words="is empty"),
    Case("blank_lines_only", "a file of blank lines", "error: is empty", use(S, "blank_lines_only.csv"),
         code="unreadable", file="blank_lines_only.csv", words="is empty"),
    Case("header_only", "headers and no rows", "tolerated with a warning: all PSF is 0 (SPEC 11.10)",
         use(S, "header_only.csv"), outcome="warning", code="no_statements", file="header_only.csv",
         words="all PSF is 0"),
    Case("windows_1252", "saved by Excel as 'CSV': Windows-1252, £ as one byte", "tolerated",
         use(S, "windows_1252.csv"), outcome="ok"),
    Case("utf16_unicode_text", "saved as Excel's 'Unicode Text': UTF-16, tab-separated", "tolerated",
         use(S, "utf16_unicode_text.csv"), outcome="ok"),
    Case("old_mac_line_endings", "lines ended by a bare CR ('CSV (Macintosh)')", "tolerated",
         use(S, "old_mac_line_endings.csv"), outcome="ok"),
    Case("windows_line_endings", "lines ended by CR LF", "tolerated", use(S, "windows_line_endings.csv"),
         outcome="ok"),
    Case("nul_bytes", "NUL bytes inside a CSV (a binary file)", "error: not a text file",
         use(S, "nul_bytes.csv"), code="unreadable", file="nul_bytes.csv", words="not a text file"),
    Case("ragged_rows", "a row with cells past the last header, one with the last field missing",
         "error at the row with cells past the header (a comma outside quotes splits a cell and moves the "
         "row's later cells: £1,200.00 read as £1); a missing optional last field is blank",
         use(S, "ragged_rows.csv"), code="extra_cells", file="ragged_rows.csv", row=2, words="past the last column"),
    Case("ragged_trailing_commas", "rows ending in blank cells past the last header (,,)",
         "tolerated: blank cells past the header are nothing", made(S, "ragged_trailing_commas.csv",
                                                                     _trailing_commas), outcome="ok"),
    Case("unclosed_quote", 'a quote opened ("9,876.54) and never closed', "error naming the row the quote opens on",
         use(S, "unclosed_quote.csv"), code="unreadable", file="unclosed_quote.csv", row=2, words="never closed"),
    Case("headers_in_other_case", "'  PUPIL UPN ', 'Statement-Date', 'psf school'",
         "tolerated: headers match ignoring case, spaces and punctuation", use(S, "headers_in_other_case.csv"),
         outcome="ok"),
    Case("missing_column", "the 'Annual PSF' column deleted", "error naming the column and listing those found",
         use(S, "missing_column.csv"), code="missing_column", file="missing_column.csv", column="Annual PSF",
         words="columns found"),
    Case("title_rows_csv", "three title lines above the header", "tolerated: rows keep their numbers",
         use(S, "title_rows.csv"), outcome="ok"),
    Case("id_float_export", "school ids exported as 9262001.0", "tolerated: read as 9262001",
         use(SC, "id_float_export.csv"), outcome="ok"),
    Case("formula_text_in_names", "school names beginning =, +, @ and a cluster beginning -",
         "tolerated: kept as text, never written as a formula", use(SC, "formula_text_in_names.csv"), outcome="ok"),
    Case("csv_100mb", "a 100 MB census CSV (2.4 million pupils)", "read in about a second; checks and a dry run follow",
         made(C, "census_big.csv", gen.big_census), outcome="ok", slow=True),
    # the config
    Case("config_alias_bomb", "a YAML alias bomb ('billion laughs')", "error: refused before expanding",
         config("config_alias_bomb.yaml"), code="config", file="senrun.yaml", words="alias bomb", command="allocate"),
    Case("config_is_a_list", "the config written as a list", "error: must be a mapping, listing the keys",
         config("config_is_a_list.yaml"), code="config", file="senrun.yaml", words="not a list",
         command="allocate"),
    Case("config_tab_indent", "a tab used to indent", "error naming the line", config("config_tab_indent.yaml"),
         code="config", file="senrun.yaml", row=3, words="indent with spaces, not a tab"),
    Case("config_windows_1252", "a config saved as 'ANSI' (Windows-1252)", "error: not UTF-8 text",
         config("config_windows_1252.yaml"), code="config", file="senrun.yaml", words="not UTF-8"),
    Case("config_deep_nesting", "40 nested lists", "error: nested too deep", config("config_deep_nesting.yaml"),
         code="config", file="senrun.yaml", words="nested more than"),
    Case("config_empty", "a config of only a comment", "error: the config file is empty", config("config_empty.yaml"),
         code="config", file="senrun.yaml", words="is empty"),
    Case("config_python_tag", "a !!python/object tag that would run a command", "error: not valid YAML; nothing runs",
         config("config_python_tag.yaml"), code="config", file="senrun.yaml", row=2, words="python/object"),
    Case("config_too_big", "a 1.1 MB config", "error: larger than a config can be",
         lambda f: (f / "senrun.yaml").write_text((f / "senrun.yaml").read_text() + "#" + "x" * 1_100_000 + "\n"),
         code="config", file="senrun.yaml", words="a config is at most"),
]


def main(out: Path) -> None:
    """Build every case's run folder under `out` (for looking at by hand)."""
    for case in CASES:
        build(case, out / case.name)
        print(f"{case.name}: {case.fault}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
