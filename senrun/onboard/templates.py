"""`senrun templates`: blank input workbooks a council can fill in (issue 13, point 2).

One workbook per input, headed with senrun's own column names (so no `columns:` map is
needed), with data validation on dates, codes and reasons, one filled example row to
replace, a note on each header saying what goes there, and an Instructions sheet that says
which columns are required and how to point the config at the file.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..errors import SenrunError
from ..inputs.schema import (ENROL_CODES, EVENTS, MOVE_REASONS, SCHEMAS, SEN_CODES, STREAMS, Column, Kind)
from ..outputs.atomic import write_whole

ROWS = 5000  # rows given data validation below the header
SHEETS = {"schools": "Schools", "census": "Census", "statements": "Statements", "moves": "Moves", "links": "Links"}
#: Each template's example rows: together they validate (a school that became an academy before
#: the year, its link, a child with a statement, on the census, moved casually).
EXAMPLES: dict[str, list[dict[str, object]]] = {
    "schools": [{"school_id": "9262001", "school_name": "Ashford Primary School (maintained, to 2012)",
                 "cluster_id": "C01", "cluster_name": "Ashford", "phase": "Primary", "closed": date(2012, 8, 31),
                 "in_formula": "yes"},
                {"school_id": "9262002", "school_name": "Ashford Primary Academy", "cluster_id": "C01",
                 "cluster_name": "Ashford", "phase": "Primary", "ssa": 20743.89, "pupils": 210,
                 "opened": date(2012, 9, 1), "in_formula": "yes"}],
    "census": [{"upn": "B801200005001", "school_id": "9262002", "date_of_birth": date(2006, 1, 30),
                "nc_year_taught": "2", "sen_provision": "S", "fsm": "no", "enrol_status": "C"}],
    "statements": [{"upn": "B801200005001", "date_of_birth": date(2006, 1, 30), "statement_date": date(2010, 3, 1),
                    "school_id": "9262002", "annual_amount": 8400.00, "stream": "PSF", "event": "issued"}],
    "moves": [{"upn": "B801200005001", "from_school_id": "9262002", "to_school_id": "9262003",
               "move_date": date(2013, 11, 15), "reason": "casual"}],
    "links": [{"school_id": "9262001", "successor_id": "9262002", "link_date": date(2012, 9, 1),
               "link_type": "Successor"}],
}
CODES = {Kind.STREAM: STREAMS, Kind.MOVE_REASON: MOVE_REASONS, Kind.ENROL: ENROL_CODES, Kind.EVENT: EVENTS,
         Kind.SEN: SEN_CODES, Kind.BOOL: ("yes", "no"),
         Kind.NC_YEAR: ("N1", "N2", "R", *(str(y) for y in range(1, 15)), "X")}
PURPOSE = {
    "schools": "Every school in the cluster formula, one row each: its ID, name, cluster and SSA.",
    "census": "The school census, one row per pupil on roll (the January census: docs/your-data.md).",
    "statements": "Every child with a statement (or EHC plan) and PSF, one row per child and funding stream.",
    "moves": "Recorded moves between schools: managed moves carry PSF, casual moves end it.",
    "links": "Which school took over from which (academy conversions, amalgamations), as GIAS lists links.",
}


def _validation(ws, col: int, c: Column, f: dict) -> None:
    """Excel's data validation for one column, from its kind: dates, codes, money, numbers."""
    rng = (1, col, ROWS, col)
    if c.kind == Kind.DATE:
        ws.data_validation(*rng, {"validate": "date", "criteria": "between", "minimum": date(1990, 1, 1),
                                  "maximum": date(2100, 12, 31), "error_title": "A date",
                                  "error_message": f"{c.name}: a date such as 31/08/2002."})
        ws.set_column(col, col, 14, f["date"])
    elif c.kind in CODES:
        ws.data_validation(*rng, {"validate": "list", "source": list(CODES[c.kind]), "error_title": "A code",
                                  "error_message": f"{c.name}: {c.expected}."})
    elif c.kind == Kind.MONEY:
        ws.data_validation(*rng, {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "Pounds",
                                  "error_message": f"{c.name}: pounds and pence, not negative."})
        ws.set_column(col, col, 16, f["money"])
    elif c.kind == Kind.NUMBER:
        ws.data_validation(*rng, {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "A number",
                                  "error_message": f"{c.name}: {c.expected or 'a number'}."})
    elif c.kind == Kind.UPN:
        ws.data_validation(*rng, {"validate": "length", "criteria": "==", "value": 13, "error_title": "A UPN",
                                  "error_message": "13 characters: a letter, 11 digits, a digit or letter."})


#: Columns a template leaves out: the schools' `pupils` column is for a council with no pupil-level
#: census (beside a census it is ignored, with a warning), and the templates include a census.
LEFT_OUT = {"schools": ("pupils",)}
NO_CENSUS_NOTE = ("No pupil-level census? Add a pupils column (a number per school) and leave the census "
                  "out of the config.")


def template_columns(name: str) -> list[Column]:
    """The columns of an input's template, in the schema's order."""
    return [c for c in SCHEMAS[name] if c.name not in LEFT_OUT.get(name, ())]


def _input_sheet(book, name: str, f: dict) -> None:
    ws = book.add_worksheet(SHEETS[name])
    for col, c in enumerate(template_columns(name)):
        ws.write_string(0, col, c.name, f["required" if c.required else "optional"])
        ws.write_comment(0, col, f"{'Required' if c.required else 'Optional'}: {c.expected or c.name}.",
                         {"x_scale": 2})
        ws.set_column(col, col, max(14, len(c.name) + 4), f["text"] if c.kind in (Kind.ID, Kind.UPN) else None)
        _validation(ws, col, c, f)
        for row, example in enumerate(EXAMPLES[name], start=1):
            value = example.get(c.name)
            if isinstance(value, date):
                ws.write_datetime(row, col, datetime(value.year, value.month, value.day), f["date"])
            elif isinstance(value, (int, float)):
                ws.write_number(row, col, value, f["money"] if c.kind == Kind.MONEY else None)
            elif value is not None:
                ws.write_string(row, col, str(value))
    ws.freeze_panes(1, 0)


def _instructions(book, name: str, f: dict) -> None:
    ws = book.add_worksheet("Instructions")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 90)
    lines = [(f"senrun {name} input", f["title"]), (PURPOSE[name], None),
             (f"Fill in the {SHEETS[name]} sheet: one row per record, replacing the example "
              f"{'rows' if len(EXAMPLES[name]) > 1 else 'on row 2'}. Bold "
              "headers are required; keep the headers as they are (or map your own with columns: in the "
              "config). Dates as dates (31/08/2002); money in pounds and pence; codes from the drop-down.", None),
             ("In the config (docs/config.md):", None),
             (f"  {name}: {{path: {name}.xlsx, sheet: {SHEETS[name]}}}", f["code"]),
             (NO_CENSUS_NOTE if LEFT_OUT.get(name) else "", None), ("", None)]
    for row, (text, fmt) in enumerate(lines):
        ws.write_string(row, 0, text, fmt)
    row = len(lines)
    for col, head in enumerate(("column", "required", "what goes there")):
        ws.write_string(row, col, head, f["required"])
    for c in template_columns(name):
        row += 1
        ws.write_string(row, 0, c.name)
        ws.write_string(row, 1, "yes" if c.required else "no")
        ws.write_string(row, 2, c.expected + (f" (blank is {c.default})" if c.default and "blank" not in
                                              c.expected else ""))


def template_bytes(name: str) -> bytes:
    """One input's template workbook, as bytes (the same every time)."""
    import io

    from ..outputs.xlsx import open_book
    from ..outputs.xlsxpack import close_plain

    buffer = io.BytesIO()
    book = open_book(buffer, f"senrun {name} template")
    f = {"required": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
         "optional": book.add_format({"bg_color": "#F2F2F2", "border": 1}),
         "date": book.add_format({"num_format": "dd/mm/yyyy"}), "money": book.add_format({"num_format": "#,##0.00"}),
         "text": book.add_format({"num_format": "@"}), "title": book.add_format({"bold": True, "font_size": 14}),
         "code": book.add_format({"font_name": "Consolas"})}
    _input_sheet(book, name, f)
    _instructions(book, name, f)
    return close_plain(book, buffer)


def _example_rows(name: str) -> set[tuple]:
    """The template's example rows of an input, as openpyxl reads them back (dates as datetimes)."""
    def cell(value):
        return datetime(value.year, value.month, value.day) if isinstance(value, date) else value
    return {_trimmed(tuple(cell(example.get(c.name)) for c in template_columns(name))) for example in EXAMPLES[name]}


def _trimmed(row: tuple) -> tuple:
    """A row without its blank cells at the end ("" is blank, as Excel shows it)."""
    row = tuple(None if v == "" else v for v in row)
    while row and row[-1] is None:
        row = row[:-1]
    return row


def filled_rows(path: Path, name: str) -> int | None:
    """How many rows of the workbook `path` (the input `name`) hold data other than the template's
    example rows: the rows below the header of every sheet but the Instructions.  None when it cannot
    be read as a workbook (so it may hold anything)."""
    import openpyxl

    examples = _example_rows(name)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook, or a damaged one: openpyxl and zipfile raise their own types
        return None
    try:
        return sum(1 for ws in book.worksheets if ws.title != "Instructions"
                   for row in ws.iter_rows(min_row=2, values_only=True)
                   if _trimmed(row) and _trimmed(row) not in examples)
    except Exception:
        return None
    finally:
        book.close()


def write_templates(out: Path, force: bool = False) -> list[Path]:
    """Write schools.xlsx, census.xlsx, statements.xlsx, moves.xlsx and links.xlsx into `out`.  An
    existing workbook is replaced only with `force`, and only while it holds nothing but the template's
    example rows: a filled-in workbook is never replaced by a blank one."""
    out = Path(out)
    targets = [out / f"{name}.xlsx" for name in SHEETS]
    existing = {path: filled_rows(path, name) for name, path in zip(SHEETS, targets) if path.exists()}
    filled = [f"{path.name} ({'cannot be read as a workbook' if rows is None else f'{rows:,} row(s) of data'})"
              for path, rows in existing.items() if rows != 0]
    if filled:
        suggest = out.parent / ("templates" if out.name != "templates" else "blank-templates")
        raise SenrunError(f"{out} already has {', '.join(filled)}: nothing was written. Blank templates never replace "
                          f"a workbook that holds data, even with --force: write them to a folder of their own, "
                          f"e.g. --out {suggest}/")
    if existing and not force:
        raise SenrunError(f"{out} already has {', '.join(p.name for p in existing)}, holding only the templates' "
                          "example rows: nothing was written (add --force to replace them)")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:  # all five or none: a full disk had left two whole workbooks and a cut one, refused by the next run
        for name, path in zip(SHEETS, targets):
            write_whole(path, template_bytes(name))
            written.append(path)
    except BaseException:
        for path in written:
            if path not in existing:  # (a template replaced with --force held only the example rows)
                path.unlink(missing_ok=True)
        raise
    return targets
