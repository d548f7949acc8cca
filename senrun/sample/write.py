"""Writers for `senrun sample`: council-style workbooks, CSVs, Parquet files and the config.

Everything written is byte-for-byte reproducible: workbooks carry a fixed creation date,
rows come in a stable order, and nothing reads the clock.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import polars as pl
from polars.io.plugins import register_io_source
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

FIXED_CREATED = datetime(2013, 1, 1)
_FORMATS = {
    "date": {"num_format": "dd/mm/yyyy"},
    "money": {"num_format": "£#,##0.00"},
    "amount": {"num_format": "#,##0.00"},
    "number": {"num_format": "0.0"},
    "count": {"num_format": "0"},
    "text": {},
}


def write_xlsx(path: Path, sheet: str, frame: pl.DataFrame, kinds: dict[str, str]) -> None:
    """One sheet as a person would want it: header row, frozen panes, filter, widths.

    `kinds` maps a column to `date`, `money` (currency), `amount` (2 dp), `number` or
    `text`; dates are real date cells, money real numbers (the frame holds pence).
    """
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": FIXED_CREATED, "author": "senrun sample"})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    formats = {name: workbook.add_format(spec) for name, spec in _FORMATS.items()}
    ws = workbook.add_worksheet(sheet)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, frame.height, frame.width - 1)
    for col, name in enumerate(frame.columns):
        width = max(len(name), 12 if kinds[name] != "text" else _text_width(frame[name]))
        ws.set_column(col, col, min(width + 2, 60))
        ws.write_string(0, col, name, header)
    writers = [_cell_writer(ws, kinds[name], formats[kinds[name]]) for name in frame.columns]
    for row, values in enumerate(frame.iter_rows(), start=1):
        for col, value in enumerate(values):
            if value is not None:
                writers[col](row, col, value)
    try:
        workbook.close()
    except FileCreateError as exc:  # the file could not be written (a full disk): the system's own error, said so
        cause = exc.__context__
        raise (cause if isinstance(cause, OSError) else OSError(str(exc))) from None


def _text_width(series: pl.Series) -> int:
    """The longest text in a column (for its width)."""
    return int(series.cast(pl.String).str.len_chars().max() or 0)


def _cell_writer(ws, kind: str, fmt):
    """A function writing one value of this kind into a cell."""
    if kind == "date":
        return lambda r, c, v: ws.write_datetime(r, c, v, fmt)
    if kind in ("money", "amount"):
        return lambda r, c, v: ws.write_number(r, c, v / 100, fmt)
    if kind in ("number", "count"):
        return lambda r, c, v: ws.write_number(r, c, v, fmt)
    return lambda r, c, v: ws.write_string(r, c, str(v))


def money_as_pounds(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Pence columns as Float64 pounds with two decimals, as an export from Excel holds them."""
    return frame.with_columns([(pl.col(c) / 100).round(2).alias(c) for c in columns])


def write_table(out_dir: Path, stem: str, fmt: str, sheet: str, frame: pl.DataFrame,
                kinds: dict[str, str]) -> str:
    """Write `frame` as `<stem>.xlsx` (sheet `sheet`) or `<stem>.parquet`; return the file name."""
    if fmt == "xlsx":
        write_xlsx(out_dir / f"{stem}.xlsx", sheet, frame, kinds)
        return f"{stem}.xlsx"
    money = [c for c, k in kinds.items() if k in ("money", "amount")]
    money_as_pounds(frame, *money).write_parquet(out_dir / f"{stem}.parquet")
    return f"{stem}.parquet"


def write_census(out_dir: Path, fmt: str, frame: pl.DataFrame | pl.LazyFrame) -> str:
    """The census as `census.csv` (DOB as dd/mm/yyyy text) or `census.parquet` (DOB a date).

    A lazy frame is written to Parquet one row group at a time, never held whole in memory.
    """
    if fmt == "xlsx":
        frame = frame.lazy().with_columns(pl.col("DOB").dt.strftime("%d/%m/%Y")).collect()
        frame.write_csv(out_dir / "census.csv")
        return "census.csv"
    sink_in_row_groups(frame.lazy(), out_dir / "census.parquet")
    return "census.parquet"


def sink_in_row_groups(frame: pl.LazyFrame, path: Path) -> None:
    """Write `frame` to Parquet piece by piece, with the very bytes of writing it whole.

    Polars cuts a frame of one chunk (as a sorted frame is) written at once into row groups
    it chooses from the height alone; each piece made here is one of those row groups, so
    the file is the same.
    """
    sizes = row_group_sizes(frame.select(pl.len()).collect().item())
    starts = [sum(sizes[:i]) for i in range(len(sizes))]

    def pieces(with_columns, predicate, n_rows, batch_size):
        """Every row group in turn (a sink asks for all columns and rows: the hints are unused)."""
        for start, size in zip(starts, sizes):
            yield frame.slice(start, size).collect(engine="in-memory")

    register_io_source(pieces, schema=frame.collect_schema()).sink_parquet(path)


def row_group_sizes(height: int) -> list[int]:
    """The rows of each row group Polars writes for a frame of `height` rows in one chunk.

    Asked of Polars itself with a frame of one byte per row: reading a file back gives one
    chunk per row group.
    """
    probe = io.BytesIO()
    pl.DataFrame({"i": pl.zeros(height, pl.Int8, eager=True)}).write_parquet(probe)
    probe.seek(0)
    return pl.read_parquet(probe).get_column("i").chunk_lengths()


#: The top-slices and the formula of every sample config, single year or chain (a format string).
FUNDING_TEMPLATE = """\
topslices:
  - {{name: auxiliary_aids, amount: {aux}}}  # FAQ 10
  - {{name: cluster_host, per_cluster: {host}}}  # FAQ 17-19

formula:
  pupils: {{nc_years: [0, 11]}}
  elements:
    - {{name: lump_sum, basis: per_school, rate: 5000}}     # FAQ 2: a fixed sum per school
    - {{name: per_pupil, basis: pupils, remainder: true}}   # FAQ 2: pupil numbers
"""

CONFIG_TEMPLATE = """\
# senrun configuration for a synthetic {scale}-scale sample (seed {seed}), written by
# `senrun sample`: a 2013-14 funding run on the files beside this one.
year: "2013-14"
period: {{start: 2013-04-01, end: 2014-03-31}}     # the financial year
census_date: 2013-01-17                          # the January 2013 school census
policy: {{start: 2012-09-01}}                      # the cluster model began (FAQ 2-3)
prorate: months
missing_from_census: cease
transfer: ends
diff: {{flag_pct: 10}}
phases: {{nursery: [-2, -1], primary: [0, 6], secondary: [7, 11], post16: [12, 13]}}

budget:
  sen_total: "{sen_total}"  # = ssa_total + pupil_specific_pot
  ssa_total: "{ssa_total}"  # the sum of the schools' SSA column
  pupil_specific_pot: {pot}  # about 1.05 x the statements' annual PSF, to the £1000

""" + FUNDING_TEMPLATE + """
inputs:
  schools:
    path: {schools}{schools_sheet}
    columns: {{"DfE Number": school_id, "School Name": school_name, "Cluster Code": cluster_id,
              "Cluster Name": cluster_name, "Phase": phase, "School Specific Allocation": ssa,
              "SEN Need Index": need_index}}
  census:
    path: {census}
    columns: {{UPN: upn, LAEstab: school_id, DOB: date_of_birth, NCyearActual: nc_year_taught,
              SENprovision: sen_provision, FSMeligible: fsm}}
  statements:
    path: {statements}{statements_sheet}
    columns: {{"Pupil UPN": upn, "Date of Birth": date_of_birth, "Statement Date": statement_date,
              "PSF School (DfE)": school_id, "Annual PSF": annual_amount,
              "Funding Stream": stream, "Ceased Date": ceased_date}}
  moves:
    path: {moves}{moves_sheet}
    columns: {{UPN: upn, "From School (DfE)": from_school_id, "To School (DfE)": to_school_id,
              "Date of Move": move_date, "Move Type": reason}}
"""


def write_config(out_dir: Path, files: dict[str, str], **values) -> str:
    """Write `senrun.yaml` pointing at the files written (relative paths)."""
    sheets = {"schools": "Schools", "statements": "Statements", "moves": "Moves"}
    for key, sheet in sheets.items():
        xlsx = files[key].endswith(".xlsx")
        values[f"{key}_sheet"] = f"\n    sheet: {sheet}" if xlsx else ""
    text = CONFIG_TEMPLATE.format(**files, **values)
    (out_dir / "senrun.yaml").write_text(text, encoding="utf-8")
    return "senrun.yaml"
