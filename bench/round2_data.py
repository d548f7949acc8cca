"""England with round 2's features on: the benchmark data for "every round-2 feature on".

    python bench/round2_data.py --from bench/cache/england-2013 --out bench/cache/england-2013-round2

From an England sample (`senrun sample --scale england`) it writes the same authority with
what SPEC §11 adds, at England's scale:

- one school in seven converts to an academy on 1 September 2013: its row gets `closed`
  2013-08-31 and a `successor_id`, and a new row (a new ID, the same cluster) opens that day;
  the school's SSA is split between the two rows, 5/12 before and 7/12 after, to the penny
  (so the SSA column still sums to `budget.ssa_total`);
  for half of them the succession is given by a GIAS-style `links` file instead of the column
  (with as many links of other types, which must be ignored);
- one statement in ten gets an `amended` row from 1 November 2013 at 5% more;
- one census row in two hundred gets a subsidiary (`S`) registration at another school;
- the config maps the new columns and names the links input.

The register (last year's psf.csv) comes from a run of the plain England data: bench/run.py
passes it with `--register`. Deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl
import yaml

SSA = "School Specific Allocation"
CONVERSION = pl.date(2013, 9, 1)
CLOSED = pl.date(2013, 8, 31)
AMENDED = pl.date(2013, 11, 1)


def convert_schools(schools: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The schools with one in seven converted, and the links file for half of those."""
    sid = "DfE Number"
    ranked = schools.with_columns(pl.col(sid).rank("ordinal").alias("_rank"))
    converting = pl.col("_rank") % 7 == 0
    by_link = pl.col("_rank") % 14 == 0
    pence = (pl.col(SSA) * 100).round(0).cast(pl.Int64)
    before = pence * 5 // 12  # April to August at the closed school, the rest at the academy
    ranked = ranked.with_columns(pl.when(converting).then(before).otherwise(pence).alias("_before"),
                                 pl.when(converting).then(pence - before).otherwise(0).alias("_after"))
    old = ranked.with_columns(
        (pl.col("_before") / 100).alias(SSA),
        pl.when(converting).then(CLOSED).otherwise(None).alias("Closed"),
        pl.when(converting & ~by_link).then(pl.lit("A") + pl.col(sid)).otherwise(None).alias("Successor"),
        pl.lit(None, dtype=pl.Date).alias("Opened"))
    new = (ranked.filter(converting)
           .with_columns((pl.lit("A") + pl.col(sid)).alias(sid), (pl.col("_after") / 100).alias(SSA),
                         (pl.col("School Name") + pl.lit(" Academy")).alias("School Name"),
                         pl.lit(None, dtype=pl.Date).alias("Closed"), pl.lit(None, dtype=pl.String).alias("Successor"),
                         CONVERSION.alias("Opened")))
    schools_out = pl.concat([old, new.select(old.columns)]).drop("_rank", "_before", "_after")
    linked = ranked.filter(by_link)
    links = pl.concat([
        linked.select(pl.col(sid).alias("URN"), (pl.lit("A") + pl.col(sid)).alias("LinkURN"),
                      pl.lit("Successor").alias("LinkType"), CONVERSION.alias("LinkEstablishedDate")),
        linked.select(pl.col(sid).alias("URN"), pl.col(sid).alias("LinkURN"),
                      pl.lit("Predecessor").alias("LinkType"), CONVERSION.alias("LinkEstablishedDate")),
    ])
    return schools_out, links


def amend_statements(statements: pl.DataFrame) -> pl.DataFrame:
    """One statement in ten amended from 1 November 2013 at 5% more (whole pounds)."""
    base = statements.with_columns(pl.lit("issued").alias("Event"), pl.lit(None, dtype=pl.Date).alias("Effective Date"))
    amended = (base.filter(pl.int_range(pl.len()) % 10 == 0)
               .with_columns(pl.lit("amended").alias("Event"), AMENDED.alias("Effective Date"),
                             (pl.col("Annual PSF").cast(pl.Float64) * 1.05).round(0).alias("Annual PSF")))
    return pl.concat([base, amended.select(base.columns)], how="vertical_relaxed")


def dual_registrations(census: pl.LazyFrame) -> pl.LazyFrame:
    """Every census row as current (C), and one in two hundred also subsidiary (S) at a neighbour school."""
    rows = census.with_columns(pl.lit("C").alias("EnrolStatus"))
    extra = (rows.filter(pl.int_range(pl.len()) % 200 == 0)
             .with_columns(pl.col("LAEstab").shift(1).fill_null(pl.col("LAEstab")).alias("LAEstab"),
                           pl.lit("S").alias("EnrolStatus")))
    return pl.concat([rows, extra])


def write_config(source: Path, out: Path) -> None:
    config = yaml.safe_load((source / "senrun.yaml").read_text(encoding="utf-8"))
    inputs = config["inputs"]
    inputs["schools"]["columns"].update({"Opened": "opened", "Closed": "closed", "Successor": "successor_id"})
    inputs["census"]["columns"]["EnrolStatus"] = "enrol_status"
    inputs["statements"]["columns"].update({"Event": "event", "Effective Date": "effective_date"})
    inputs["links"] = {"path": "links.parquet", "columns": {"URN": "school_id", "LinkURN": "successor_id",
                                                           "LinkType": "link_type",
                                                           "LinkEstablishedDate": "link_date"}}
    (out / "senrun.yaml").write_text("# England with round 2's features on (bench/round2_data.py)\n"
                                     + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    schools, links = convert_schools(pl.read_parquet(args.source / "schools.parquet"))
    schools.write_parquet(args.out / "schools.parquet")
    links.write_parquet(args.out / "links.parquet")
    amend_statements(pl.read_parquet(args.source / "statements.parquet")).write_parquet(args.out / "statements.parquet")
    dual_registrations(pl.scan_parquet(args.source / "census.parquet")).sink_parquet(args.out / "census.parquet")
    pl.read_parquet(args.source / "moves.parquet").write_parquet(args.out / "moves.parquet")
    write_config(args.source, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
