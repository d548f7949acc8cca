"""Generated corpus files: workbooks (openpyxl, xlsxwriter, or raw zip members), zips, random bytes,
Parquet, and the 100 MB census CSV.  Binary or huge, so made at test time, never committed."""

from __future__ import annotations

import random
import shutil
import zipfile
from datetime import date
from pathlib import Path

BASELINE = Path(__file__).parent.parent / "fixtures" / "bad" / "_baseline"

STATEMENT_HEADER = ["Pupil UPN", "Date of Birth", "Statement Date", "PSF School", "Annual PSF", "Stream"]
STATEMENTS = [["D926200113001", date(2001, 11, 14), date(2010, 3, 1), 9262001, 9876.54, "PSF"],
              ["W926200111002", date(2005, 3, 1), date(2011, 6, 1), 9262001, 8400, "PSF"],
              ["Y926400109003", date(2000, 1, 10), date(2009, 9, 1), 9264001, 12000, "PSF"],
              ["U926200212004", date(2006, 5, 5), date(2012, 1, 10), 9262002, 1500, "SSMN"]]
SCHOOL_HEADER = ["DfE Number", "School Name", "Cluster", "SSA", "Pupils"]
SCHOOLS = [[9262001, "Ashwell Primary", "C1", 1000, 210], [9262002, "Brook Primary", "C1", 2000, 180],
           [9264001, "Castle High", "C2", 3000.5, 900]]


# --- workbooks ---------------------------------------------------------------------------------

def workbook(path: Path, sheets: dict[str, list[list]], *, merges: dict | None = None,
             hidden_columns: dict | None = None, hidden_sheets: tuple = (), first_row: int = 1,
             hidden_rows: dict | None = None, filters: dict | None = None) -> None:
    """An .xlsx as Excel saves one (openpyxl): dates as date cells, merges, hidden columns, rows and sheets,
    and autofilters (sheet → (range, 0-based column, the values it shows))."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for r, row in enumerate(rows, start=first_row):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, date):
                        cell.number_format = "dd/mm/yyyy"
        for merged in (merges or {}).get(name, ()):
            ws.merge_cells(merged)
        for letter in (hidden_columns or {}).get(name, ()):
            ws.column_dimensions[letter].hidden = True
        for row in (hidden_rows or {}).get(name, ()):
            ws.row_dimensions[row].hidden = True
        if name in (filters or {}):
            ref, column, shown = filters[name]
            ws.auto_filter.ref = ref
            ws.auto_filter.add_filter_column(column, list(shown))
        if name in hidden_sheets:
            ws.sheet_state = "hidden"
    book.save(path)


def statements_book(path: Path, rows=None, header=None, **options) -> None:
    workbook(path, {"Statements": [header or STATEMENT_HEADER, *(rows or STATEMENTS)]}, **options)


def title_rows(path: Path) -> None:
    statements_book(path, rows=[["Norfolk County Council: statements with PSF"], ["As at 17 January 2013"], [],
                                STATEMENT_HEADER, *STATEMENTS], header=["Statements 2013-14"],
                    merges={"Statements": ["A1:F1", "A2:F2"]})


def merged_header(path: Path) -> None:
    rows = [["Pupil", None, "Statement", None, "Funding", None], STATEMENT_HEADER, *STATEMENTS]
    workbook(path, {"Statements": rows}, merges={"Statements": ["A1:B1", "C1:D1", "E1:F1"]})


def blank_rows(path: Path) -> None:
    statements_book(path, rows=[STATEMENTS[0], [], STATEMENTS[1], [None] * 6, STATEMENTS[2], [], [], STATEMENTS[3], []])


def hidden_duplicate_column(path: Path) -> None:
    rows = [row + [row[4] * 0.9] for row in STATEMENTS]
    statements_book(path, rows=rows, header=STATEMENT_HEADER + ["Annual PSF"], hidden_columns={"Statements": ["G"]})


def hidden_notes_column(path: Path) -> None:
    rows = [row + ["checked by JB"] for row in STATEMENTS]
    statements_book(path, rows=rows, header=STATEMENT_HEADER + ["Notes"], hidden_columns={"Statements": ["G"]})


def filtered_rows(path: Path) -> None:
    """The statements filtered to Status = "Current" in Excel: the two "Ceased" rows, 3 and 4, hidden."""
    rows = [row + [status] for row, status in zip(STATEMENTS, ("Current", "Ceased", "Ceased", "Current"))]
    statements_book(path, rows=rows, header=STATEMENT_HEADER + ["Status"], hidden_rows={"Statements": (3, 4)},
                    filters={"Statements": ("A1:G5", 6, ("Current",))})


def hidden_first_sheet(path: Path) -> None:
    workbook(path, {"Lookups": [["Code", "Meaning"], ["PSF", "Pupil Specific Funding"]],
                    "Statements": [STATEMENT_HEADER, *STATEMENTS]}, hidden_sheets=("Lookups",))


def wrong_sheet(path: Path) -> None:
    workbook(path, {"Notes": [["see next sheet"]], "Statments 2013-14": [STATEMENT_HEADER, *STATEMENTS]})


def dates_as_text(path: Path) -> None:
    rows = [list(r) for r in STATEMENTS]
    rows[0][1], rows[1][1], rows[2][2] = "14/11/2001", "2005-03-01", "1/9/2009"
    statements_book(path, rows=rows)


def serial_number_date(path: Path) -> None:
    rows = [list(r) for r in STATEMENTS]
    rows[1][1] = 38412  # the serial number of 1 March 2005, in a cell not formatted as a date
    statements_book(path, rows=rows)


def money_formulas_without_values(path: Path) -> None:
    """openpyxl writes formulas without their values: a program that does not calculate saved it."""
    rows = [list(r) for r in STATEMENTS]
    rows[1][4] = "=8000+400"
    statements_book(path, rows=rows)


def ssa_na(path: Path) -> None:
    """An SSA looked up with VLOOKUP that failed: the cell shows #N/A (xlsxwriter keeps the value)."""
    _schools_with_an_na(path, first_col=0)


def ssa_na_beside_a_formatted_column(path: Path) -> None:
    """The data start in column B; column A is formatted (filled) but empty, as council templates are."""
    _schools_with_an_na(path, first_col=1)


def _schools_with_an_na(path: Path, first_col: int) -> None:
    """The schools from column `first_col`, the columns before it filled but empty, one SSA #N/A."""
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Schools")
    if first_col:
        fill = book.add_format({"bg_color": "#FFFF00"})
        for r in range(len(SCHOOLS) + 3):
            for c in range(first_col):
                ws.write_blank(r, c, None, fill)
    ws.write_row(0, first_col, SCHOOL_HEADER)
    for r, row in enumerate(SCHOOLS, start=1):
        ws.write_row(r, first_col, row)
    ws.write_formula(2, first_col + 3, f"=VLOOKUP({xl_col_to_name(first_col)}3,Rates!A:B,2,FALSE)", None, "#N/A")
    book.close()


def totals_formula_row(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Statements")
    ws.write_row(0, 0, STATEMENT_HEADER)
    for r, row in enumerate(STATEMENTS, start=1):
        ws.write_row(r, 0, [v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in row])
    ws.write(5, 0, "Total")
    ws.write_formula(5, 4, "=SUM(E2:E5)", None, 31776.54)
    book.close()


def csv_named_xlsx(path: Path) -> None:
    shutil.copyfile(BASELINE / "statements.csv", path)


def password_protected(path: Path) -> None:
    """An encrypted .xlsx is an OLE compound file (as is an old .xls): its magic number, then sectors."""
    rng = random.Random(7)
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256) for _ in range(4088)))


def truncated(path: Path) -> None:
    buffer = path.with_suffix(".whole.xlsx")
    statements_book(buffer)
    data = buffer.read_bytes()
    buffer.unlink()
    path.write_bytes(data[: len(data) // 2])


def zip_not_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.write(BASELINE / "statements.csv", "statements.csv")


def random_bytes(path: Path) -> None:
    rng = random.Random(2013)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(20_000)))


_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
       'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
       'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
       'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
       'name="Statements" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet '
              'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')


def raw_workbook(path: Path, sheet_chunks, level: int = 9) -> None:
    """A minimal .xlsx whose one sheet's XML is written from `sheet_chunks` (strings), compressed as it goes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for chunk in sheet_chunks:
                f.write(chunk.encode())


def header_cells() -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                    for i, h in enumerate(STATEMENT_HEADER))
    return f'<row r="1">{cells}</row>'


def zip_bomb(path: Path) -> None:
    """A 3.5 MB file whose sheet unpacks to 600 MB: the same empty row, over and over (compressed at
    level 1: a third of level 9's time, for twice the bytes)."""
    def chunks():
        yield SHEET_HEAD + header_cells()
        block = '<row><c t="inlineStr"><is><t></t></is></c></row>' * 20_000
        for _ in range(600_000_000 // len(block)):
            yield block
        yield "</sheetData></worksheet>"
    raw_workbook(path, chunks(), level=1)


def understated_size(path: Path) -> None:
    """A crafted bomb: the zip's directory says the sheet unpacks to 1,000 bytes; it unpacks to 4.9 MB."""
    import struct

    raw_workbook(path, [SHEET_HEAD, header_cells(), '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 100_000,
                        "</sheetData></worksheet>"])
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack("<H", data[at + 28:at + 30])[0]
        if data[at + 46:at + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            data[at + 24:at + 28] = struct.pack("<I", 1000)  # the central directory's uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def far_cell(path: Path) -> None:
    """Two cells, A1 and XFD1048576: a sheet calamine would hold as 17 billion cells."""
    raw_workbook(path, [SHEET_HEAD, header_cells(), '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t>'
                        "</is></c></row></sheetData></worksheet>"])


# --- other generated files ---------------------------------------------------------------------

def parquet_corrupt(path: Path) -> None:
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")


def parquet_typed(path: Path) -> None:
    import polars as pl

    pl.DataFrame({"Pupil UPN": [r[0] for r in STATEMENTS], "Date of Birth": [r[1] for r in STATEMENTS],
                  "Statement Date": [r[2].isoformat() for r in STATEMENTS], "PSF School": [r[3] for r in STATEMENTS],
                  "Annual PSF": [float(r[4]) for r in STATEMENTS], "Stream": [r[5] for r in STATEMENTS]}
                 ).write_parquet(path)


def folder(path: Path) -> None:
    path.mkdir()


def big_census(path: Path, target_bytes: int = 100_000_000) -> int:
    """A census CSV of about `target_bytes` (100 MB: some 2.4 million pupils): the baseline's six children,
    then pupils at the baseline's three schools with valid, distinct UPNs.  Returns the number of rows."""
    import numpy as np
    import polars as pl

    n = target_bytes // 40
    serial = np.arange(n, dtype=np.int64)
    digits = [(serial // 10 ** k) % 10 for k in range(8, -1, -1)]  # the body is "926" then 9 digits
    total = 9 * 2 + 2 * 3 + 6 * 4 + sum((5 + i) * d for i, d in enumerate(digits))
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))[total % 23]
    rng = np.random.default_rng(2013)
    days = rng.integers(0, 365 * 11, n)
    frame = pl.DataFrame({
        "UPN": pl.Series(letters),
        "body": pl.Series(serial).cast(pl.String).str.pad_start(9, "0"),
        "LAEstab": pl.Series(rng.choice(np.array(["9262001", "9262002", "9264001"]), n)),
        "DOB": pl.Series((np.datetime64("2000-09-01") + days).astype("datetime64[D]")),
    }).select((pl.col("UPN") + "926" + pl.col("body")).alias("UPN"), "LAEstab",
              pl.col("DOB").dt.strftime("%d/%m/%Y").alias("DOB"), pl.lit("").alias("NC Year"),
              pl.lit("N").alias("SEN"), pl.lit("0").alias("FSM"))
    head = (BASELINE / "census.csv").read_text().splitlines()
    body = frame.write_csv(include_header=False)
    path.write_text("\n".join(head) + "\n" + body)
    return n + len(head) - 1
