"""The PSF run-off, year by year (SPEC §6 `--years N`; FAQ 8: "introduced over 7 years").

Each projected year is the allocation of the same inputs and config with only the funding
period shifted by whole years: census date, budget and moves as given, no new statements.
As protected children reach the end of their phase, continuing PSF falls to nothing and
the cluster pot grows by what is released.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl

from ..calendar import shift_years
from ..config.loader import Config
from ..errors import SenrunError
from ..money import pounds
from ..pipeline import Inputs, compute
from ..register import carried
from ..result import RunResult

PROJECTION_COLUMNS = ("year", "period_start", "period_end", "continuing_psf", "released_psf", "topslices",
                      "cluster_pot")
PROJECTION_MONEY = ("continuing_psf", "released_psf", "topslices", "cluster_pot")


def shifted_period(cfg: Config, years: int) -> tuple[date, date]:
    """The period moved by whole years; the end moves with the day after it, and a start never falls
    on the year before's last day (a period from 29 February: 2016's would begin on 29 February,
    the day 2015-16's ends, so it begins on 1 March), so the periods tile: no day in two of them."""
    start, end = shift_years(cfg.period_start, years), _shifted_end(cfg, years)
    if years > 0:
        start = max(start, _shifted_end(cfg, years - 1) + timedelta(days=1))
    return min(start, end), end  # (a period of 29 February alone is of 28 February in a year with no 29th)


def _shifted_end(cfg: Config, years: int) -> date:
    return shift_years(cfg.period_end + timedelta(days=1), years) - timedelta(days=1)


def year_label(start: date, end: date) -> str:
    """2013-04-01 – 2014-03-31 → '2013-14'; a period within one calendar year → '2013'."""
    if end.year == start.year:
        return str(start.year)
    return f"{start.year}-{end.year % 100:02d}"


def projection_row(result: RunResult) -> dict:
    """One year of the projection from its run: money in Int64 pence."""
    cfg, t = result.config, result.totals
    return {"year": year_label(cfg.period_start, cfg.period_end), "period_start": cfg.period_start,
            "period_end": cfg.period_end, "continuing_psf": t.continuing_psf, "released_psf": t.released_psf,
            "topslices": t.topslices_total, "cluster_pot": t.cluster_pot}


def project(inputs: Inputs, cfg: Config, years: int, first: RunResult | None = None, progress=None
            ) -> pl.DataFrame:
    """The base period and the `years - 1` after it: one row per year (PROJECTION_COLUMNS).

    `first` may be the base period's run already computed.  With last year's register in `inputs`, each
    later year has the year before's PSF lines as its register (`register.carried`).
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    rows = []
    result = None
    for k in range(years):
        if k == 0 and first is not None:
            result = first
        else:
            start, end = shifted_period(cfg, k)
            if progress:
                progress(f"projecting {year_label(start, end)}")
            # with last year's register, each later year is run with the year before's as its register, as a
            # council runs them: what stopped is held at nothing, and released once, in the year it stopped
            year_inputs = replace(inputs, register=carried(result)) if k > 0 and inputs.register is not None \
                else inputs
            try:
                result = compute(year_inputs, cfg.with_period(start, end))
            except SenrunError as exc:  # say which year of the run-off could not be worked out
                raise SenrunError([replace(i, message=f"in the run-off's year {year_label(start, end)} "
                                           f"({start:%d/%m/%Y} – {end:%d/%m/%Y}): {i.message}") if i.is_error else i
                                   for i in exc.issues]) from None
        rows.append(projection_row(result))
    schema = {"year": pl.String, "period_start": pl.Date, "period_end": pl.Date,
              **{c: pl.Int64 for c in PROJECTION_MONEY}}
    return pl.DataFrame({c: [r[c] for r in rows] for c in PROJECTION_COLUMNS}, schema=schema)


def projection_csv_bytes(frame: pl.DataFrame) -> bytes:
    """projection.csv: money as pounds with two decimals from integer pence (no floats), ISO dates."""
    lines = [",".join(PROJECTION_COLUMNS)]
    for row in frame.select(PROJECTION_COLUMNS).iter_rows(named=True):
        lines.append(",".join([row["year"], row["period_start"].isoformat(), row["period_end"].isoformat(),
                               *[pounds(row[c]) for c in PROJECTION_MONEY]]))
    return ("\n".join(lines) + "\n").encode("utf-8")
