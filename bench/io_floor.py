"""The I/O floor of `senrun allocate`: the same reading and writing with no logic at all.

    python bench/io_floor.py --config bench/cache/la-2013/senrun.yaml --out /tmp/floor --jobs 2

It reads every input the config names with the same libraries senrun uses (calamine through
fastexcel for .xlsx, Polars for .csv and .parquet), then writes what a run writes, in the
same shapes and with the same libraries:

- `schools.csv` and `psf.csv` (the schools and the statements frames) with Polars;
- a workbook with XlsxWriter holding the schools, the statements and the moves as table
  sheets, cell by cell with a header format, a money format and a date format, unless a
  table is over 100,000 rows (as senrun, it then stays CSV only);
- one small workbook per school (its own statement rows, as senrun's return lists the
  children it is paid for), built by `--jobs` forkserver processes in chunks and written
  by the parent.

No parsing of values, no checks, no ageing, no formula: whatever senrun takes beyond this
is its own logic.  `bench/run.py` runs it beside `senrun allocate` and reports the ratio.
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path

MAX_SHEET_ROWS = 100_000
CHUNKS_PER_PROCESS = 4


def read_inputs(config: Path, spec: dict) -> dict:
    """Every input of the config as a Polars frame, read as the file stores it."""
    import polars as pl

    frames = {}
    for name, entry in (spec.get("inputs") or {}).items():
        path = (config.parent / entry["path"]).resolve()
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            import fastexcel

            reader = fastexcel.read_excel(str(path))
            sheet = entry.get("sheet") or reader.sheet_names[0]
            frames[name] = reader.load_sheet(sheet).to_polars()
        elif suffix == ".parquet":
            frames[name] = pl.read_parquet(path)
        else:
            frames[name] = pl.read_csv(path, infer_schema_length=10_000)
    return frames


def book_bytes(title: str, tables: list[tuple[str, list[str], list[tuple]]]) -> bytes:
    """A workbook of (sheet, header, rows) tables, written cell by cell: the plain XlsxWriter way."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": title, "created": datetime(2000, 1, 1)})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = book.add_format({"num_format": "£#,##0.00"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, names, rows in tables:
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, names, header)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, (date, datetime)):
                    ws.write_datetime(r, c, value, day)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value, money)
                else:
                    ws.write_string(r, c, str(value))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(rows), max(0, len(names) - 1))
    book.close()
    return buffer.getvalue()


def build_chunk(chunk: list[tuple[str, list[str], list[tuple]]]) -> list[tuple[str, bytes]]:
    """One process task: the workbooks of a chunk of schools."""
    return [(f"returns/{stem}.xlsx", book_bytes(stem, [("Return", names, rows)])) for stem, names, rows in chunk]


def school_tables(frames: dict, spec: dict) -> list[tuple[str, list[str], list[tuple]]]:
    """Per school: its id (made safe for a file name) and its statement rows (the header the
    config maps to `school_id` says which column holds the school)."""
    import polars as pl

    def school_column(name: str) -> str:
        renames = {v: k for k, v in ((spec.get("inputs") or {}).get(name, {}).get("columns") or {}).items()}
        return renames.get("school_id", "school_id")

    schools, statements = frames["schools"], frames.get("statements")
    parts: dict[str, list[tuple]] = {}
    names: list[str] = []
    if statements is not None:
        names = statements.columns
        held = statements.with_columns(pl.col(school_column("statements")).cast(pl.String))
        parts = {k[0]: p.rows() for k, p in held.partition_by(school_column("statements"), as_dict=True,
                                                                 maintain_order=True).items()}
    out = []
    for sid in schools.get_column(school_column("schools")).cast(pl.String).to_list():
        stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in sid)
        out.append((stem, names, parts.get(sid, [])))
    return out


def write_returns(out: Path, tables: list, jobs: int) -> None:
    """The per-school workbooks, built by `jobs` forkserver processes, written by the parent."""
    (out / "returns").mkdir(parents=True, exist_ok=True)
    size = max(1, math.ceil(len(tables) / (jobs * CHUNKS_PER_PROCESS)))
    chunks = [tables[i:i + size] for i in range(0, len(tables), size)]
    if jobs == 1:
        results = map(build_chunk, chunks)
        pool = None
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["xlsxwriter"])
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        results = pool.map(build_chunk, chunks)
    try:
        for files in results:
            for name, data in files:
                (out / name).write_bytes(data)
    finally:
        if pool is not None:
            pool.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-returns", action="store_true")
    args = parser.parse_args(argv)
    import yaml

    spec = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    frames = read_inputs(args.config, spec)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    frames["schools"].write_csv(args.out / "schools.csv")
    if "statements" in frames:
        frames["statements"].write_csv(args.out / "psf.csv")
    sheets = [(name, frames[name].columns, frames[name].rows()) for name in ("schools", "statements", "moves")
              if name in frames and frames[name].height <= MAX_SHEET_ROWS]
    (args.out / "allocations.xlsx").write_bytes(book_bytes("floor", sheets))
    if not args.no_returns:
        write_returns(args.out, school_tables(frames, spec), max(1, args.jobs))


if __name__ == "__main__":
    sys.exit(main())
