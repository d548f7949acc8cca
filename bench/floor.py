"""The physical floor of `senrun allocate`: read what it reads, write what it wrote, swap.

    python bench/floor.py --config bench/cache/la-2013/senrun.yaml --like <senrun's output folder> --out <folder>

It reads every input the config names, whole, with the fastest readers at hand (calamine
through fastexcel for .xlsx, Polars for .csv and .parquet), then writes the very bytes of
every file of senrun's own last output (`--like`, read into memory before the clock's work
begins) with plain file writes into a folder beside `--out`, and swaps it in as senrun does
(rename the old folder aside, rename the new one in, remove the old one).

No parsing of values, no checks, no rules, no workbook building: whatever senrun takes beyond
this is the price of its own work. `bench/run.py` runs it interleaved with `senrun allocate`
and reports every case as a ratio to it. `bench/io_floor.py` (which builds its workbooks with
XlsxWriter) stays as a second reference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import yaml


def input_paths(config: Path) -> list[tuple[Path, str | None]]:
    """Each input the config names: its path (relative to the config) and its sheet."""
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    found = []
    for spec in (raw.get("inputs") or {}).values():
        if isinstance(spec, dict) and spec.get("path"):
            found.append(((config.parent / spec["path"]).resolve(), spec.get("sheet")))
    return found


def read_all(paths: list[tuple[Path, str | None]]) -> int:
    """Read every input whole; returns the number of rows read (so the work cannot be skipped)."""
    import polars as pl

    rows = 0
    for path, sheet in paths:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            import fastexcel

            reader = fastexcel.read_excel(path.read_bytes())
            rows += reader.load_sheet(sheet if sheet is not None else 0, header_row=None).to_polars().height
        elif suffix == ".parquet":
            rows += pl.read_parquet(path).height
        else:
            rows += pl.read_csv(path, infer_schema=False, has_header=False).height
    return rows


def files_of(like: Path) -> list[tuple[str, bytes]]:
    """Every file of a finished output folder, with its bytes, in a stable order."""
    return [(str(p.relative_to(like)), p.read_bytes()) for p in sorted(like.rglob("*")) if p.is_file()]


def write_and_swap(files: list[tuple[str, bytes]], out: Path) -> None:
    """Write the files into a folder beside `out` with plain writes, then swap it in."""
    staging = out.with_name(out.name + ".floor-new")
    shutil.rmtree(staging, ignore_errors=True)
    made = {staging}
    staging.mkdir(parents=True)
    for name, data in files:
        path = staging / name
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "wb") as fh:
            fh.write(data)
    old = out.with_name(out.name + ".floor-old")
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--like", type=Path, required=True, help="a folder senrun allocate wrote for this config")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    files = files_of(args.like)
    if not files:
        raise SystemExit(f"{args.like} holds no files: run senrun allocate into it first")
    read_all(input_paths(args.config.resolve()))
    write_and_swap(files, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
