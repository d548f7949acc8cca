"""simulate.xlsx for people: headings in words, names beside ids, the winners and losers by band,
charts on sheets of their own (docs/simulate.md).  Used by simbook.py."""

from __future__ import annotations

import polars as pl

from ..outputs import common
from ..outputs.charts import axis_name, band_series, category_axis, chart_sheet
from ..outputs.present import BANDS
from ..outputs.xlsx import fit_wrapped, pages_wide, print_setup, wrapped_header

#: Headings for people (the CSVs keep the code names).
LABELS = {**common.COLUMN_LABELS, "scenario": "Scenario", "sheet": "Sheet", "psf": "PSF", "solved_rate": "Solved rate",
          "cluster_pot": "Cluster pot (£)", "money_moved": "Money moved (£)", "winners": "Schools gaining",
          "losers": "Schools losing", "unchanged": "Schools unchanged", "cluster_winners": "Clusters gaining",
          "cluster_losers": "Clusters losing", "largest_gain_school": "Largest gain: school",
          "largest_gain": "Largest gain (£)", "largest_gain_pct": "Largest gain (%)",
          "largest_loss_school": "Largest loss: school", "largest_loss": "Largest loss (£)",
          "largest_loss_pct": "Largest loss (%)", "base_total": "Base (£)", "scenario_total": "Scenario (£)",
          "kind": "Set as", "continuing_psf": "Continuing PSF (£)", "released_psf": "Released PSF (£)",
          "topslices": "Top-slices (£)", "year": "Year", "period_start": "Period start", "period_end": "Period end",
          # a scenario that could not run (the workbooks' "reason" is why a child's PSF stopped)
          "status": "Status", "reason": "Why it could not run", "highest_affordable": "Highest affordable"}


def with_school_names(frame: pl.DataFrame, base) -> pl.DataFrame:
    """The largest movers' school ids with the school's name beside them ("9262002 Walby Primary")."""
    names = dict(base.schools.select("school_id", "school_name").iter_rows())

    def named(sid: str | None) -> str | None:
        return None if sid is None else f"{sid} {names.get(sid) or ''}".strip()

    return frame.with_columns(pl.col(c).map_elements(named, return_dtype=pl.String)
                              for c in ("largest_gain_school", "largest_loss_school")) if frame.height else frame


def bands_sheet(book, sh, f: dict, scenarios) -> None:
    """Each scenario's schools and clusters counted by band of change against the base (ScenarioRow.bands, on the
    simbook sheet `sh`), with a stacked bar chart on a sheet of its own."""
    sh.ws.write_string(0, 0, "Winners and losers: each scenario against the base", f["title"])
    heads = ["Scenario"] + [f"Schools: {b.lower()}" for b in BANDS] + [f"Clusters: {b.lower()}" for b in BANDS]
    for r, o in enumerate(scenarios, start=3):
        sh.cell(r, 0, o.name)
        for c, n in enumerate(o.bands, start=1):
            sh.cell(r, c, n)
    # headers wrapped in columns sized by their counts: as wide as their words had printed it at about 6 points
    widths = [max(8.0, fit_wrapped(head, sh.widths.get(c, 2) - 2)) for c, head in enumerate(heads)]
    wrapped_header(sh.ws, 2, heads, widths, f["header_wrap"])
    sh.widths = dict(enumerate(widths))
    sh.finish(freeze_row=3)
    print_setup(sh.ws, 2, wide=pages_wide(widths, 1), repeated=1)
    n = len(scenarios)
    chart = book.add_chart({"type": "bar", "subtype": "stacked"})
    for c, band in enumerate(BANDS, start=1):  # each band its own fill and hatching: not told apart by colour alone
        chart.add_series({"name": band, "categories": ["Winners and losers", 3, 0, 2 + n, 0],
                          "values": ["Winners and losers", 3, c, 2 + n, c], "gap": 40, **band_series(c - 1)})
    chart.set_title({"name": "Schools by change against the base, by scenario"})
    chart.set_x_axis({**axis_name("Number of schools"), "num_format": "#,##0"})
    chart.set_y_axis(category_axis("Scenario", n, reverse=True))
    chart.set_legend({"position": "bottom"})
    chart_sheet(book, "Winners chart", chart, f"Stacked bar chart of each of the {n:,} scenarios' schools by "
                f"change against the base, in five bands ({', '.join(b.lower() for b in BANDS)}); the Winners "
                "and losers sheet lists the counts.")
