"""`senrun sample` writes England's census piece by piece: the same bytes, in the same order."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from senrun.sample.generate import generate_sample
from senrun.sample.write import row_group_sizes, sink_in_row_groups


def _lazy_frame(height: int) -> pl.LazyFrame:
    """Text and numbers made from an index, lazily (as the census's columns are)."""
    return pl.LazyFrame({"i": pl.int_range(height, eager=True)}).select(
        upn=pl.lit("A") + (pl.col("i") * 7919 % 1_000_003).cast(pl.String).str.zfill(12),
        code=(pl.col("i") % 4).replace_strict([0, 1, 2, 3], ["N", "A", "P", "S"],
                                              return_dtype=pl.String),
        fsm=(pl.col("i") % 3 == 0).cast(pl.Int8))


def test_writing_in_row_groups_gives_the_bytes_of_writing_the_whole_frame(tmp_path: Path):
    frame = _lazy_frame(300_001)
    assert len(row_group_sizes(300_001)) > 1  # several pieces, or the test proves nothing
    frame.collect().rechunk().write_parquet(tmp_path / "whole.parquet")  # one chunk, as sorted
    sink_in_row_groups(frame, tmp_path / "pieces.parquet")
    assert (tmp_path / "pieces.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()


def test_row_group_sizes_cover_every_row_once():
    sizes = row_group_sizes(1_000_003)
    assert sum(sizes) == 1_000_003 and min(sizes) > 0


def test_the_census_comes_sorted_by_school_then_upn_text(tmp_path: Path):
    generate_sample("demo", 7, tmp_path)
    census = pl.read_csv(tmp_path / "census.csv", infer_schema=False)
    assert census.height > 0
    assert census.equals(census.sort(["LAEstab", "UPN"]))


def test_a_new_sample_folder_appears_only_whole_so_a_sample_killed_outright_leaves_none(tmp_path: Path, monkeypatch):
    """Its files are written beside it and the folder renamed into place at the end: killed (SIGKILL) while
    writing, nothing is at --out, and the next `senrun sample` is not refused as facing a council's folder."""
    import senrun.sample.generate as generate

    out, seen = tmp_path / "sample", []
    real = generate.write_config

    def config_last(folder, *args, **kwargs):
        seen.append((out.exists(), sorted(p.name for p in folder.iterdir())))
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(generate, "write_config", config_last)
    generate_sample("demo", 7, out)
    [(there, written)] = seen
    assert not there and "census.csv" in written  # the data written, and still nothing at --out
    assert (out / "senrun.yaml").is_file() and [p.name for p in tmp_path.iterdir()] == ["sample"]
