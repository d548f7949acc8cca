"""simulate's outputs: simulate.xlsx, scenarios.csv, projection.csv and a manifest (SPEC §6).

The workbook has an Overview (one row per scenario, a bar chart of the money each moves),
a sheet per scenario (schools and clusters against the base, and the formula as applied)
and, with --years, a Projection sheet with a line chart.  Money is pence / 100 under a
currency format; text is written with write_string only; the creation time is fixed, so
two runs give byte-identical files.  The folder is written all or nothing, as allocate's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from xlsxwriter.utility import xl_col_to_name

from ..errors import name_text
from ..money import fmt_gbp
from ..outputs.csvs import guarded_expr, pounds_expr
from ..outputs.tables import cell_xml, float_text, pounds_text, shared_string_indexes
from ..outputs.tablesheet import TableSheet, fit_text, fit_units
from ..outputs import common
from ..outputs.xlsx import (PCT_FORMAT, RATE_FORMAT, close_to_bytes, finish_print, fit_wrapped, footer,
                             lines_height, lines_in, open_book, pages_wide, print_setup, wrapped_header)
from ..outputs.charts import axis_name, category_axis, chart_sheet
from .simlayout import LABELS, bands_sheet, with_school_names
from .projection import PROJECTION_COLUMNS, projection_csv_bytes
from .simulate import SCENARIO_COLUMNS, SimulationResult, outcomes_frame, scenarios_frame

MONEY_FORMAT = "£#,##0.00;-£#,##0.00"  # as outputs/xlsx.py: not in [Red], below WCAG 1.4.3's contrast
MONEY = {"base_total", "scenario_total", "change", "cluster_pot", "money_moved", "largest_gain", "largest_loss",
         "total", "continuing_psf", "released_psf", "topslices"}
RESERVED = {"overview", "projection", "history", "overview chart", "winners and losers", "winners chart",
            "projection chart"}
#: What Excel refuses in a sheet name, and what XML cannot hold (control characters, lone surrogates)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\ud800-\udfff\ufffe\uffff]")
SHEET_NAME_MAX = 31  # Excel's limit, in UTF-16 units as Excel counts (an emoji is two)
OVERVIEW_COLUMNS = ("scenario", "sheet", "psf", "solved_rate", "cluster_pot", "money_moved", "winners", "losers",
                    "unchanged", "cluster_winners", "cluster_losers", "largest_gain_school", "largest_gain",
                    "largest_gain_pct", "largest_loss_school", "largest_loss", "largest_loss_pct")


class _Sheet:
    """A worksheet that writes typed cells and remembers each column's widest text."""

    def __init__(self, book, name: str, formats: dict):
        self.ws, self.f, self.widths = book.add_worksheet(name), formats, {}

    def cell(self, row: int, col: int, value, name: str = "", bold: bool = False) -> None:
        """One value by type: pence under the money format for money columns, text always as a string."""
        shown = ""
        if value is None:
            pass
        elif isinstance(value, bool):
            shown = "Yes" if value else "No"
            self.ws.write_string(row, col, shown)
        elif isinstance(value, int) and name in MONEY:
            self.ws.write_number(row, col, value / 100, self.f["money_bold" if bold else "money"])
            shown = fmt_gbp(value)
        elif isinstance(value, (int, float)):
            self.ws.write_number(row, col, value, self.f["pct"] if name.endswith("_pct") else self.f["int"])
            shown = f"{value:,}"
        elif isinstance(value, date):
            self.ws.write_datetime(row, col, datetime(value.year, value.month, value.day), self.f["date"])
            shown = "00/00/0000"
        else:
            shown = str(value)
            self.ws.write_string(row, col, shown, self.f["bold"] if bold else None)
        self.widths[col] = max(self.widths.get(col, 0), len(shown) + 2)

    def table(self, row: int, col: int, frame: pl.DataFrame, filters: bool = False, header: bool = True) -> int:
        """A header (unless the caller writes its own: `header`) and the frame's rows from (row, col), the widths
        measured from both; returns the next free row."""
        for c, name in enumerate(frame.columns if header else ()):
            label = LABELS.get(name, name)
            self.ws.write_string(row, col + c, label, self.f["header"])
            self.widths[col + c] = max(self.widths.get(col + c, 0), len(label) + 2)
        for r, values in enumerate(frame.iter_rows(), start=row + 1):
            for c, value in enumerate(values):
                self.cell(r, col + c, value, frame.columns[c])
        if filters:
            self.ws.autofilter(row, col, row + frame.height, col + len(frame.columns) - 1)
        return row + frame.height + 1

    def finish(self, freeze_row: int | None = None) -> None:
        """Column widths from the widest text written, and the frozen header rows."""
        for col, width in self.widths.items():
            self.ws.set_column(col, col, float(min(60, max(8, width))))
        if freeze_row is not None:
            self.ws.freeze_panes(freeze_row, 0)


#: Said on the terminal and the Overview when the base config has a protection floor (SPEC §11.8).
FLOOR_LEFT_OUT = ("formula.protection is not applied in these figures: the floor needs last year's allocations; "
                  "give simulate --previous, as allocate is given it, and each scenario is what allocate would pay")


def floor_left_out(sim: SimulationResult) -> bool:
    """Whether the base run or a scenario's left out formula.protection's floor (`protection_skipped`)."""
    return any(i.code == "protection_skipped" for i in sim.base.issues) or any(r.floor_left_out for r in sim.rows)


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for the scenarios: no []:*?/\\ or control character, at most 31 characters
    (as Excel counts them), not beginning or ending with an apostrophe, unique ignoring case."""
    used, out = set(RESERVED), []
    for i, name in enumerate(names, start=1):
        clean = _BAD_SHEET_CHARS.sub("_", name)
        candidate = _cut(clean, SHEET_NAME_MAX) or f"Scenario {i}"
        n = 2
        while _sheet_key(candidate) in used:
            suffix = f" ({n})"
            candidate, n = (_cut(clean, SHEET_NAME_MAX - len(suffix)) or f"Scenario {i}") + suffix, n + 1
        used.add(_sheet_key(candidate))
        out.append(candidate)
    return out


def _sheet_key(name: str) -> str:
    """`name` as Excel compares sheet names, ignoring case as it writes capitals: 'ς' and 'σ' are both 'Σ', 'ı' is
    'I', which Python's lower() keeps apart."""
    return name.upper().casefold()


def _cut(name: str, room: int) -> str:
    """`name` within `room` UTF-16 units, without the apostrophes and spaces Excel refuses at its ends."""
    return fit_units(name, room).strip("' ")


def row_sheets(sim: SimulationResult) -> list[str | None]:
    """Each scenario's sheet name (`sheet_names` of every scenario, so a name does not depend on which
    scenarios have sheets), or None for a scenario without a sheet."""
    names, has = sheet_names([r.name for r in sim.rows]), set(sim.sheet_rows)
    return [name if i in has else None for i, name in enumerate(names)]


#: A scenario's clusters sheet is named as its schools sheet after this ("Clusters lump_sum.rate=4000"), so that a
#: name still begins the scenario's own sheet and a reader finding it by its name is not given its clusters.
CLUSTERS_PREFIX = "Clusters "


def cluster_sheet_names(names: list[str]) -> list[str]:
    """The clusters sheet of each scenario sheet in `names` (sheet_names): CLUSTERS_PREFIX and the sheet's name,
    cut to 31 characters as Excel counts them, unique ignoring case among the scenario sheets and each other
    (" (2)", " (3)"… where a cut name or a scenario's own name is taken)."""
    used, out = set(RESERVED) | {_sheet_key(name) for name in names}, []
    for name in names:
        candidate, n = CLUSTERS_PREFIX + _cut(name, SHEET_NAME_MAX - len(CLUSTERS_PREFIX)), 2
        while _sheet_key(candidate) in used:
            suffix = f" ({n})"
            candidate, n = CLUSTERS_PREFIX + _cut(name, SHEET_NAME_MAX - len(CLUSTERS_PREFIX) - len(suffix)) + suffix, \
                n + 1
        used.add(_sheet_key(candidate))
        out.append(candidate)
    return out


def row_cluster_sheets(sim: SimulationResult) -> list[str | None]:
    """Each scenario's clusters sheet name (cluster_sheet_names of every scenario's sheet name, as row_sheets),
    or None for a scenario without a sheet."""
    names, has = cluster_sheet_names(sheet_names([r.name for r in sim.rows])), set(sim.sheet_rows)
    return [name if i in has else None for i, name in enumerate(names)]


def _formats(book) -> dict:
    add = book.add_format
    return {"title": add({"bold": True, "font_size": 14}), "bold": add({"bold": True}),
            "header": add({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "header_wrap": add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
            "money": add({"num_format": MONEY_FORMAT}), "money_bold": add({"num_format": MONEY_FORMAT, "bold": True}),
            "int": add({"num_format": "#,##0"}), "pct": add({"num_format": PCT_FORMAT}),
            "date": add({"num_format": "dd/mm/yyyy"}), "rate": add({"num_format": RATE_FORMAT}),
            "wrap": add({"text_wrap": True})}


def overview_frame(sim: SimulationResult, sheets: list[str | None]) -> pl.DataFrame:
    """One row per scenario: its sheet (None if it has none), PSF reused, solved rates, the pot, money moved,
    winners and losers, largest moves."""
    rows = []
    for o, sheet in zip(sim.rows, sheets):
        s = o.summary
        gain, loss = s.largest_gain, s.largest_loss  # each % is of the school named beside it, as at the terminal
        rows.append((o.name, sheet, "reused" if o.psf_reused else "recomputed",
                     "; ".join(f"{e} = {r}" for e, r in s.solved) or None, s.cluster_pot, s.money_moved, s.winners,
                     s.losers, s.unchanged, s.cluster_winners, s.cluster_losers, gain and gain.school_id,
                     gain and gain.change, gain and gain.change_pct, loss and loss.school_id,
                     loss and loss.change, loss and loss.change_pct))
    schema = dict.fromkeys(OVERVIEW_COLUMNS, pl.Int64)
    schema.update({c: pl.String for c in ("scenario", "sheet", "psf", "solved_rate", "largest_gain_school",
                                          "largest_loss_school")})
    schema.update({"largest_gain_pct": pl.Float64, "largest_loss_pct": pl.Float64})
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return with_infeasible(frame, sim)


INFEASIBLE_COLUMNS = ("scenario", "status", "reason", "highest_affordable")


def infeasible_frame(sim: SimulationResult) -> pl.DataFrame:
    """One row per scenario that could not run: status `infeasible`, the reason, the highest affordable value."""
    return pl.DataFrame([(i.name, "infeasible", i.reason, i.highest) for i in sim.infeasible],
                        schema=dict.fromkeys(INFEASIBLE_COLUMNS, pl.String), orient="row")


def with_infeasible(frame: pl.DataFrame, sim: SimulationResult) -> pl.DataFrame:
    """The overview with the scenarios that could not run as rows marked infeasible (status, reason and
    highest affordable value columns appear only then, so a sweep that all ran is as before)."""
    if not sim.infeasible:
        return frame
    ran = frame.with_columns(pl.lit("ran").alias("status"), pl.lit(None, pl.String).alias("reason"),
                             pl.lit(None, pl.String).alias("highest_affordable"))
    return pl.concat([ran, infeasible_frame(sim)], how="diagonal_relaxed")


def _overview(book, f: dict, sim: SimulationResult, sheets: list[str]) -> None:
    sh = _Sheet(book, "Overview", f)
    cfg = sim.base.config
    sh.ws.write_string(0, 0, f"What-if scenarios on {name_text(cfg.path.name)} ({cfg.year})", f["title"])
    sh.ws.write_string(1, 0, f"Period {cfg.period_start:%d/%m/%Y} – {cfg.period_end:%d/%m/%Y}; base cluster pot "
                             f"{fmt_gbp(sim.base.totals.cluster_pot)}. Changes are scenario − base, per school "
                             "total (SSA + PSF + cluster share).")
    if floor_left_out(sim):
        sh.ws.write_string(2, 0, FLOOR_LEFT_OUT, f["bold"])
    frame = with_school_names(overview_frame(sim, sheets), sim.base)
    # for the page: no column that says nothing (no solved rate; sheets named as their scenarios)
    frame = frame.select([c for c in frame.columns if frame[c].null_count() < frame.height or frame.is_empty()])
    if "sheet" in frame.columns and frame.height and (frame["sheet"] == frame["scenario"]).all() \
            and len(sim.scenarios) == len(sim.rows):  # else the column says which scenarios have a sheet
        frame = frame.drop("sheet")
    if frame.is_empty():
        sh.ws.write_string(3, 0, "No scenarios: see the Projection sheet.")
        sh.finish()
        return
    _overview_table(sh, f, frame)
    chart = book.add_chart({"type": "bar"})
    col = frame.columns.index("money_moved")
    chart.add_series({"name": "Money moved", "categories": ["Overview", 4, 0, 3 + frame.height, 0],
                      "values": ["Overview", 4, col, 3 + frame.height, col]})
    chart.set_title({"name": "Money moved between schools, by scenario"})
    chart.set_legend({"none": True})
    chart.set_x_axis({**axis_name("Money moved between schools (£)"), "num_format": "£#,##0"})
    chart.set_y_axis(category_axis("Scenario", frame.height, reverse=True))
    chart_sheet(book, "Overview chart", chart, f"Bar chart of the money each of the {frame.height:,} scenarios "
                "moves between schools, in £; the Overview sheet lists the figures.")


#: The Overview's school columns (an id and a name) are at most this wide (a name of about 50 characters on a
#: line); a longer name wraps on more lines rather than being cut.
SCHOOL_WIDTH = 45


def _overview_table(sh: _Sheet, f: dict, frame: pl.DataFrame) -> None:
    """The Overview's table from row 4: headers wrapped in columns sized by their contents (fit_wrapped), a long
    school name wrapped in its row rather than cut, printed as many pages wide as 9-point text needs with the
    scenario's name on every page (pages_wide), the header row on every page."""
    labels = [LABELS.get(name, name) for name in frame.columns]
    sh.table(3, 0, frame, filters=True, header=False)
    widths = [max(8.0, fit_wrapped(label, sh.widths.get(c, 2) - 2)) for c, label in enumerate(labels)]
    schools = [c for c, name in enumerate(frame.columns) if name.endswith("_school")]
    tall: dict[int, int] = {}
    for c in schools:
        widths[c] = min(widths[c], SCHOOL_WIDTH)
        for r, text in enumerate(frame.get_column(frame.columns[c]).to_list(), start=4):
            lines = lines_in(text, widths[c]) if text else 1
            if lines > 1:
                sh.ws.write_string(r, c, text, f["wrap"])
                tall[r] = max(tall.get(r, 1), lines)
    for r, lines in sorted(tall.items()):
        sh.ws.set_row(r, lines_height(lines))
    wrapped_header(sh.ws, 3, labels, widths, f["header_wrap"])
    sh.widths = dict(enumerate(widths))
    sh.finish()
    sh.ws.freeze_panes(4, 1)  # the header and the scenario's name stay in view
    print_setup(sh.ws, 3, wide=pages_wide(widths, 1), repeated=1)


def _bands(book, f: dict, sim: SimulationResult) -> None:
    """Each scenario's schools and clusters counted by band of change against the base, with a chart."""
    bands_sheet(book, _Sheet(book, "Winners and losers", f), f, sim.rows)


ELEMENT_COLUMNS = ("element", "basis", "kind", "parameter", "units", "total")


def _shown_len(name: str, series: pl.Series) -> pl.Series:
    """The length of each cell's shown text as `_Sheet.cell` measures it (0 for a null)."""
    dtype = series.dtype
    if dtype.is_integer():
        whole = (series.abs() // 100) if name in MONEY else series.abs()
        digits = whole.cast(pl.String).str.len_chars().cast(pl.Int64)
        length = digits + (digits - 1) // 3 + (series < 0).cast(pl.Int64) + (4 if name in MONEY else 0)
        return length.fill_null(0)
    if dtype.is_float():
        return pl.Series([0 if v is None else len(f"{v:,}") for v in series.to_list()], dtype=pl.Int64)
    return series.cast(pl.String).str.len_chars().cast(pl.Int64).fill_null(0)


def _column_xml(book, name: str, series: pl.Series, f: dict) -> tuple[pl.Series, int | None, str]:
    """A column's cells as `_Sheet.cell` writes them: values as text, style index, cell type."""
    dtype = series.dtype
    if dtype.is_integer() and name in MONEY:
        return series.to_frame().select(pounds_text(pl.col(series.name))).to_series(), \
            f["money"]._get_xf_index(), ""
    if dtype.is_integer():
        return series.cast(pl.String), f["int"]._get_xf_index(), ""
    if dtype.is_float():
        return float_text(series), f["pct" if name.endswith("_pct") else "int"]._get_xf_index(), ""
    if dtype == pl.Boolean:
        return series.cast(pl.UInt8).cast(pl.String), None, "b"
    return shared_string_indexes(book.str_table, series).cast(pl.String), None, "s"


def _tables_xml(book, f: dict, frames: list[pl.DataFrame], first_col: int) -> tuple[list[list[str]], dict]:
    """Every scenario's table (same columns) rendered as XML rows in one pass, data from sheet row 1;
    returns each scenario's rows and {(scenario, column): widest shown text}."""
    long = pl.concat([fr.with_columns(pl.lit(i, dtype=pl.Int64).alias("_i")) for i, fr in enumerate(frames)],
                     how="vertical_relaxed")
    names = [c for c in long.columns if c != "_i"]
    long = long.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).over("_i").cast(pl.String).alias("_r"))
    cells = [_column_xml(book, name, long.get_column(name), f) for name in names]
    body = pl.DataFrame([v.cast(pl.String).alias(f"_v{c}") for c, (v, _, _) in enumerate(cells)]
                        + [long.get_column("_r")])
    xml = body.select(pl.concat_str([cell_xml(xl_col_to_name(first_col + c), pl.col(f"_v{c}"), style, kind)
                                     for c, (_, style, kind) in enumerate(cells)])).to_series().to_list()
    sizes = long.get_column("_i").value_counts(sort=False)
    counts = dict(zip(sizes.get_column("_i").to_list(), sizes.get_column("count").to_list()))
    rows, start = [], 0
    for i in range(len(frames)):
        rows.append(xml[start:start + counts.get(i, 0)])
        start += counts.get(i, 0)
    lengths = pl.DataFrame([long.get_column("_i")] + [_shown_len(n, long.get_column(n)).alias(n) for n in names])
    widest = lengths.group_by("_i").agg(pl.all().max())
    widths = {}
    for values in widest.iter_rows(named=True):
        for c, n in enumerate(names):
            widths[(values["_i"], first_col + c)] = values[n] + 2
    return rows, widths


def _cell_xml(book, f: dict, row: int, col: int, value, name: str = "", style: str | None = None) -> tuple[str, int]:
    """One cell as `_Sheet.cell` (or a styled write_string) writes it, and its shown length + 2."""
    ref = f"{xl_col_to_name(col)}{row + 1}"
    if value is None:
        return "", 2
    if isinstance(value, int) and name in MONEY:
        return f'<c r="{ref}" s="{f["money"]._get_xf_index()}"><v>{value / 100:.16G}</v></c>', len(fmt_gbp(value)) + 2
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        # a rate in £, a per cent, a whole count; a number with decimals (a column basis's units) as Excel shows it
        key = style or ("pct" if name.endswith("_pct") else "int" if value == int(value) else None)
        xf = f' s="{f[key]._get_xf_index()}"' if key else ""
        return f'<c r="{ref}"{xf}><v>{float(value):.16G}</v></c>', len(f"{value:,}") + 2
    text = fit_text(str(value))
    index = book.str_table._get_shared_string_index(text)
    xf = f[style]._get_xf_index() if style else 0
    return f'<c r="{ref}"{f" s={chr(34)}{xf}{chr(34)}" if xf else ""} t="s"><v>{index}</v></c>', len(str(value)) + 2


def _parameter_cell(kind: str, parameter: str) -> tuple:
    """An element's rate as a number in £ (the rate format), its share as a per cent, else its text."""
    value = common.number_or_text(parameter)
    if not parameter or isinstance(value, str):
        return (parameter or None, "", None)
    return (common.share_text(parameter), "", None) if kind == "share" else (value, "", "rate")


def _scenario_sheets(book, f: dict, sim: SimulationResult, sheets: list[str | None],
                     clusters: list[str | None]) -> None:
    """Two sheets per scenario, each table on its own: its schools (`sheets`), then its clusters with the formula
    as applied and the cluster pot below them (`clusters`: cluster_sheet_names).  Every scenario's tables are
    rendered as XML rows in one pass, then put in their sheets."""
    if not sim.scenarios:
        return
    school_cols, cluster_cols = sim.scenarios[0].schools.columns, sim.scenarios[0].clusters.columns
    school_rows, school_widths = _tables_xml(book, f, [o.schools for o in sim.scenarios], 0)
    cluster_rows, cluster_widths = _tables_xml(book, f, [o.clusters for o in sim.scenarios], 0)
    for i, (o, r) in enumerate(zip(sim.scenarios, sim.sheet_rows)):
        ws = book.add_worksheet(sheets[r], worksheet_class=TableSheet)
        widths = _header(ws, f, school_cols, school_widths, i)
        ws.put_cells(1, 0, len(school_cols) - 1, school_rows[i])
        ws.autofilter(0, 0, o.schools.height, len(school_cols) - 1)  # alone on its sheet: a filter hides nothing else
        _finish_table(ws, widths, header=0)  # the schools' header on every page: no other table below them
        ws = book.add_worksheet(clusters[r], worksheet_class=TableSheet)
        widths = _header(ws, f, cluster_cols, cluster_widths, i)
        ws.put_cells(1, 0, len(cluster_cols) - 1, cluster_rows[i])
        ws.autofilter(0, 0, o.clusters.height, len(cluster_cols) - 1)  # its rows only: not the formula's below
        _formula_block(book, ws, f, o, o.clusters.height + 2, widths)
        # the clusters' header is not repeated: it would head the formula where that begins a page
        _finish_table(ws, widths, header=None)


def _header(ws, f: dict, columns: list[str], table_widths: dict, i: int) -> dict[int, float]:
    """A table's header row at the top of `ws`; its columns' widths from the header and scenario `i`'s cells."""
    widths = {}
    for col, name in enumerate(columns):
        ws.write_string(0, col, LABELS.get(name, name), f["header"])
        widths[col] = max(len(LABELS.get(name, name)) + 2, table_widths.get((i, col), 0))
    return widths


def _finish_table(ws, widths: dict[int, float], header: int | None) -> None:
    """Column widths (8 to 60), the header row frozen, printed one page wide (at about 11 points: the widths
    make no table too wide for that), with its `header` row on every page."""
    for col, width in widths.items():
        ws.set_column(col, col, float(min(60, max(8, width))))
    ws.freeze_panes(1, 0)
    print_setup(ws, header)


def _formula_block(book, ws, f: dict, o, row: int, widths: dict[int, float]) -> None:
    """The formula as applied in scenario `o`, and its cluster pot, from `row` of its clusters sheet, in words and
    numbers as on the Summary.  Its words wrap within the clusters' columns (widened only to its longest word), so
    that a column of money is not made wide by the words below it; a bold label runs on into the empty cells."""
    titles = common.element_titles(o.result.config)
    lines = {row: [(f"Formula in scenario {o.name}", "", "bold")],
             row + 1: [(LABELS.get(name, name), "", "header_wrap") for name in ELEMENT_COLUMNS]}
    for r, e in enumerate(o.result.elements, start=row + 2):
        lines[r] = [(titles.get(e.name, e.name), "", None), (common.basis_words(e.basis), "", None),
                    (common.KIND_WORDS.get(e.kind, e.kind), "", None), _parameter_cell(e.kind, e.parameter),
                    (common.number_or_text(e.units), "", None), (e.total, "total", None)]
    lines[row + 3 + len(o.result.elements)] = [("Cluster pot", "", "bold"),
                                                (o.result.totals.cluster_pot, "cluster_pot", None)]
    for cells in lines.values():  # the columns' widths first, then each row's height from them
        for c, (value, name, style) in enumerate(cells):
            if style == "bold" or value is None:
                continue
            words = value.split() if isinstance(value, str) else None
            wide = max(map(len, words), default=0) if words is not None else _shown_width(value, name)
            widths[c] = max(widths.get(c, 0), wide + 2)
    for at, cells in lines.items():
        xml, tall = [], 1
        for c, (value, name, style) in enumerate(cells):
            if isinstance(value, str) and style != "bold":
                tall = max(tall, lines_in(value, min(60, max(8, widths[c])), bold=style == "header_wrap"))
                style = style or "wrap"
            xml.append(_cell_xml(book, f, at, c, value, name, style)[0])
        ws.put_cells(at, 0, len(cells) - 1, ["".join(xml)], heights={at: lines_height(tall)} if tall > 1 else None)


def _shown_width(value, name: str) -> int:
    """How wide a number of the formula block is shown (as _cell_xml measures it)."""
    return len(fmt_gbp(value)) if isinstance(value, int) and name in MONEY else len(f"{value:,}")


def _projection(book, f: dict, frame: pl.DataFrame) -> None:
    sh = _Sheet(book, "Projection", f)
    sh.table(0, 0, frame.select(PROJECTION_COLUMNS), filters=True)
    sh.finish(freeze_row=1)
    chart = book.add_chart({"type": "line"})
    n = frame.height
    for name in ("continuing_psf", "released_psf", "cluster_pot"):
        col = PROJECTION_COLUMNS.index(name)
        chart.add_series({"name": ["Projection", 0, col], "categories": ["Projection", 1, 0, n, 0],
                          "values": ["Projection", 1, col, n, col], "marker": {"type": "circle"}})
    chart.set_title({"name": "PSF run-off and the cluster pot"})
    chart.set_x_axis(axis_name("Year"))
    chart.set_y_axis({**axis_name("£ in the year"), "num_format": "£#,##0"})
    chart_sheet(book, "Projection chart", chart, f"Line chart of continuing PSF, released PSF and the cluster pot "
                f"in each of the {n:,} years projected, in £; the Projection sheet lists the figures.")
    print_setup(sh.ws, 0)


def workbook_bytes(sim: SimulationResult) -> bytes:
    """simulate.xlsx as bytes (byte-identical for identical inputs)."""
    buffer = io.BytesIO()
    book = open_book(buffer, f"senrun simulate {sim.base.config.year}")
    f = _formats(book)
    sheets = row_sheets(sim)
    _overview(book, f, sim, sheets)
    if sim.rows:
        _bands(book, f, sim)
    _scenario_sheets(book, f, sim, sheets, row_cluster_sheets(sim))
    if sim.projection is not None:
        _projection(book, f, sim.projection)
    finish_print(book, footer(f"{sim.base.config.year}: what-if scenarios", f"Run {common.run_reference(sim.base)}",
                              sheet=True))
    return close_to_bytes(book, buffer)


def scenarios_csv_bytes(frame: pl.DataFrame, header: bool = True) -> bytes:
    """scenarios.csv: money as pounds with two decimals from integer pence, change_pct to 2 dp, blank for null."""
    out = frame.select(SCENARIO_COLUMNS).with_columns(
        *[guarded_expr(c) for c in ("scenario", "school_id", "cluster_id")],
        *[pounds_expr(c) for c in ("base_total", "scenario_total", "change")])
    return out.write_csv(line_terminator="\n", null_value="", float_precision=2,
                         include_header=header).encode("utf-8")


def manifest_bytes(sim: SimulationResult, files: dict[str, bytes], streamed: dict[str, tuple[str, int]] | None = None
                   ) -> bytes:
    """What was run and what was written: version, config fingerprints, scenarios, each file's SHA-256
    (`streamed`: (SHA-256, bytes) of files written as the run went)."""
    from .. import __version__

    digests = {name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}
    digests.update(streamed or {})

    def listed(inputs) -> list[dict]:
        return [{"name": i.name, "path": i.path, "sha256": i.sha256, "rows": i.rows} for i in inputs]

    def scenario(o) -> dict:
        """A scenario's entry; one that read other input files lists every input it read."""
        entry = {"name": o.name, "sha256": o.sha256, "psf": "reused" if o.psf_reused else "recomputed"}
        if o.inputs and tuple(o.inputs) != tuple(sim.base.inputs):
            entry["inputs"] = listed(o.inputs)
        return entry

    manifest = {"senrun_version": __version__, "command": "simulate",
                "config": {"file": name_text(sim.base.config.path.name), "sha256": sim.base.config_sha256},
                "inputs": listed(sim.base.inputs), **({"previous": sim.previous} if sim.previous else {}),
                "scenarios": [scenario(o) for o in sim.rows]
                + [{"name": i.name, "sha256": i.config.sha256 or None, "status": "infeasible", "reason": i.reason,
                    "highest_affordable": i.highest} for i in sim.infeasible],
                "files": {name: {"sha256": sha, "bytes": size} for name, (sha, size) in sorted(digests.items())}}
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def output_files(sim: SimulationResult, streamed: dict[str, tuple[str, int]] | None = None) -> dict[str, bytes]:
    """Every file simulate writes, by name; scenarios.csv only if it was not `streamed` (written as the
    scenarios ran: ScenariosCsv)."""
    files = {"simulate.xlsx": workbook_bytes(sim)}
    if not streamed:
        files["scenarios.csv"] = scenarios_csv_bytes(scenarios_frame(sim))
    if sim.infeasible:
        files["infeasible.csv"] = infeasible_frame(sim).with_columns(guarded_expr("scenario")).write_csv(
            line_terminator="\n", null_value="").encode("utf-8")
    if sim.projection is not None:
        files["projection.csv"] = projection_csv_bytes(sim.projection)
    files["manifest.json"] = manifest_bytes(sim, files, streamed)
    return files


def write_simulation(sim: SimulationResult, out: Path) -> Path:
    """Write simulate's files into `out`, all or nothing (staged beside it and swapped in)."""
    from ..outputs import atomic, guard

    files = output_files(sim)
    config = sim.base.config
    with atomic.staged(Path(out), guard.run_files(config, sim.base), guard.output_mode(config), "simulate") as staging:
        for name, data in files.items():
            atomic.write_file(staging / name, data)
    return Path(out)


class ScenariosCsv:
    """scenarios.csv written a chunk of scenarios at a time as they run (the bytes scenarios_csv_bytes
    gives for all of them at once), made durable with the rest of the staged folder as
    atomic.write_file's files are (atomic.seal); its SHA-256 and size are worked as it goes, for the
    manifest."""

    NAME = "scenarios.csv"

    def __init__(self, folder: Path):
        from ..outputs import atomic

        self.atomic, self.path = atomic, folder / self.NAME
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
                     | getattr(os, "O_NOFOLLOW", 0), 0o600)  # (as atomic.write_file: never through a link)
        self.handle, self.sha, self.size = open(fd, "wb"), hashlib.sha256(), 0
        atomic.checkpoint("file-created")
        self._put(scenarios_csv_bytes(outcomes_frame([])))  # the header

    def _put(self, data: bytes) -> None:
        self.handle.write(data)
        self.sha.update(data)
        self.size += len(data)

    def write(self, rows: pl.DataFrame) -> None:
        """These rows (SCENARIO_COLUMNS, money in pence), after those written before."""
        if rows.height:
            self._put(scenarios_csv_bytes(rows, header=False))

    def close(self) -> tuple[str, int]:
        """Flush and close; (SHA-256, bytes) for the manifest."""
        self.handle.close()
        self.atomic.checkpoint("file-written")
        return self.sha.hexdigest(), self.size


def run_and_write(base_cfg, scenarios: list, out: Path, years: int | None = None, sheets=None, progress=None,
                  register=None, check=None, previous: tuple[dict, dict[str, int]] | None = None) -> SimulationResult:
    """simulate() with its outputs written into `out`, all or nothing: scenarios.csv as the scenarios run,
    a chunk at a time, so that what is held is the Overview's rows and the scenarios with sheets
    (`sheets`), whatever the number of scenarios.  `check(sim)` may stop the run before anything else
    is written (raising: then nothing is).  `previous`: last year's file as the manifest records it (path and
    SHA-256) and its cluster allocations, for formula.protection's floor."""
    from ..outputs import atomic, guard
    from .simulate import simulate

    say = progress or (lambda message: None)
    protected = (guard.run_files(base_cfg) + ([(guard.LAST_YEARS["register"], Path(register))] if register else [])
                 + ([(guard.LAST_YEARS["previous"], Path(previous[0]["path"]))] if previous else []))
    with atomic.staged(Path(out), protected, guard.output_mode(base_cfg), "simulate") as staging:
        csv = ScenariosCsv(staging)
        try:
            sim = simulate(base_cfg, scenarios, years, progress=progress, register=register, sheets=sheets,
                           sink=csv.write, previous=previous[1] if previous else None)
            if previous:  # which file set the floor: the figures depend on it
                sim = replace(sim, previous=previous[0])
        finally:
            digest = csv.close()
        if check is not None:
            check(sim)
        say("writing")
        for name, data in output_files(sim, {ScenariosCsv.NAME: digest}).items():
            atomic.write_file(staging / name, data)
    return sim
