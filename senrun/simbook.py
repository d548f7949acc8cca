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
import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from .money import fmt_gbp
from .projection import PROJECTION_COLUMNS, projection_csv_bytes
from .simulate import SCENARIO_COLUMNS, Outcome, SimulationResult, scenarios_frame

FIXED_CREATED = datetime(2000, 1, 1)
MONEY_FORMAT = "£#,##0.00;[Red]-£#,##0.00"
MONEY = {"base_total", "scenario_total", "change", "cluster_pot", "money_moved", "largest_gain", "largest_loss",
         "total", "continuing_psf", "released_psf", "topslices"}
RESERVED = {"overview", "projection", "history"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
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
            self.ws.write_boolean(row, col, value)
            shown = str(value).upper()
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

    def table(self, row: int, col: int, frame: pl.DataFrame, filters: bool = False) -> int:
        """A header and the frame's rows from (row, col); returns the next free row."""
        for c, name in enumerate(frame.columns):
            self.ws.write_string(row, col + c, name, self.f["header"])
            self.widths[col + c] = max(self.widths.get(col + c, 0), len(name) + 2)
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


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for the scenarios: no []:*?/\\, at most 31 characters, unique ignoring case."""
    used, out = set(RESERVED), []
    for i, name in enumerate(names, start=1):
        clean = _BAD_SHEET_CHARS.sub("_", name).strip("'") or f"Scenario {i}"
        candidate = clean[:31]
        n = 2
        while candidate.lower() in used:
            suffix = f" ({n})"
            candidate, n = clean[:31 - len(suffix)] + suffix, n + 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _formats(book) -> dict:
    add = book.add_format
    return {"title": add({"bold": True, "font_size": 14}), "bold": add({"bold": True}),
            "header": add({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "money": add({"num_format": MONEY_FORMAT}), "money_bold": add({"num_format": MONEY_FORMAT, "bold": True}),
            "int": add({"num_format": "#,##0"}), "pct": add({"num_format": "0.00"}),
            "date": add({"num_format": "dd/mm/yyyy"})}


def overview_frame(sim: SimulationResult, sheets: list[str]) -> pl.DataFrame:
    """One row per scenario: PSF reused, solved rates, the pot, money moved, winners and losers, largest moves."""
    rows = []
    for o, sheet in zip(sim.scenarios, sheets):
        s = o.summary
        gain, loss, gain_pct, loss_pct = s.largest_gain, s.largest_loss, s.largest_gain_pct, s.largest_loss_pct
        rows.append((o.name, sheet, "reused" if o.psf_reused else "recomputed",
                     "; ".join(f"{e} = {r}" for e, r in s.solved) or None, s.cluster_pot, s.money_moved, s.winners,
                     s.losers, s.unchanged, s.cluster_winners, s.cluster_losers, gain and gain.school_id,
                     gain and gain.change, gain_pct and gain_pct.change_pct, loss and loss.school_id,
                     loss and loss.change, loss_pct and loss_pct.change_pct))
    schema = dict.fromkeys(OVERVIEW_COLUMNS, pl.Int64)
    schema.update({c: pl.String for c in ("scenario", "sheet", "psf", "solved_rate", "largest_gain_school",
                                          "largest_loss_school")})
    schema.update({"largest_gain_pct": pl.Float64, "largest_loss_pct": pl.Float64})
    return pl.DataFrame(rows, schema=schema, orient="row")


def _overview(book, f: dict, sim: SimulationResult, sheets: list[str]) -> None:
    sh = _Sheet(book, "Overview", f)
    cfg = sim.base.config
    sh.ws.write_string(0, 0, f"What-if scenarios on {cfg.path.name} ({cfg.year})", f["title"])
    sh.ws.write_string(1, 0, f"Period {cfg.period_start} – {cfg.period_end}; base cluster pot "
                             f"{fmt_gbp(sim.base.totals.cluster_pot)}. Changes are scenario − base, per school "
                             "total (SSA + PSF + cluster share).")
    frame = overview_frame(sim, sheets)
    if frame.is_empty():
        sh.ws.write_string(3, 0, "No scenarios: see the Projection sheet.")
        sh.finish()
        return
    sh.table(3, 0, frame, filters=True)
    sh.finish(freeze_row=4)
    chart = book.add_chart({"type": "bar"})
    col = OVERVIEW_COLUMNS.index("money_moved")
    chart.add_series({"name": "Money moved", "categories": ["Overview", 4, 0, 3 + frame.height, 0],
                      "values": ["Overview", 4, col, 3 + frame.height, col]})
    chart.set_title({"name": "Money moved between schools, by scenario"})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "£#,##0"})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 720, "height": max(300, 28 * frame.height + 120)})
    sh.ws.insert_chart(frame.height + 6, 0, chart)


def _scenario_sheet(book, f: dict, o: Outcome, sheet: str) -> None:
    sh = _Sheet(book, sheet, f)
    sh.table(0, 0, o.schools, filters=True)
    right = len(o.schools.columns) + 1
    row = sh.table(0, right, o.clusters)
    elements = pl.DataFrame([(e.name, e.basis, e.kind, e.parameter, e.units, e.total) for e in o.result.elements],
                            schema={"element": pl.String, "basis": pl.String, "kind": pl.String,
                                    "parameter": pl.String, "units": pl.String, "total": pl.Int64}, orient="row")
    sh.ws.write_string(row + 1, right, f"Formula in scenario {o.name}", f["bold"])
    row = sh.table(row + 2, right, elements)
    sh.ws.write_string(row + 1, right, "Cluster pot", f["bold"])
    sh.cell(row + 1, right + 1, o.result.totals.cluster_pot, "cluster_pot")
    sh.finish(freeze_row=1)


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
    chart.set_y_axis({"num_format": "£#,##0"})
    chart.set_size({"width": 720, "height": 360})
    sh.ws.insert_chart(n + 3, 0, chart)


def workbook_bytes(sim: SimulationResult) -> bytes:
    """simulate.xlsx as bytes (byte-identical for identical inputs)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": f"senrun simulate {sim.base.config.year}", "author": "senrun",
                         "created": FIXED_CREATED})
    f = _formats(book)
    sheets = sheet_names([o.name for o in sim.scenarios])
    _overview(book, f, sim, sheets)
    for o, sheet in zip(sim.scenarios, sheets):
        _scenario_sheet(book, f, o, sheet)
    if sim.projection is not None:
        _projection(book, f, sim.projection)
    book.close()
    return buffer.getvalue()


def _pounds(name: str) -> pl.Expr:
    pence = pl.col(name).cast(pl.Int64)
    sign = pl.when(pence < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, (pence.abs() // 100).cast(pl.String), pl.lit("."),
                         (pence.abs() % 100).cast(pl.String).str.zfill(2)).alias(name)


def _guarded(name: str) -> pl.Expr:
    """Text a spreadsheet would run as a formula gets a leading ' (as allocate's CSVs)."""
    col = pl.col(name)
    return pl.when(col.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + col).otherwise(col).alias(name)


def scenarios_csv_bytes(frame: pl.DataFrame) -> bytes:
    """scenarios.csv: money as pounds with two decimals from integer pence, change_pct to 2 dp, blank for null."""
    out = frame.select(SCENARIO_COLUMNS).with_columns(
        *[_guarded(c) for c in ("scenario", "school_id", "cluster_id")],
        *[_pounds(c) for c in ("base_total", "scenario_total", "change")])
    return out.write_csv(line_terminator="\n", null_value="", float_precision=2).encode("utf-8")


def manifest_bytes(sim: SimulationResult, files: dict[str, bytes]) -> bytes:
    """What was run and what was written: version, config fingerprints, scenarios, each file's SHA-256."""
    from . import __version__

    manifest = {"senrun_version": __version__, "command": "simulate",
                "config": {"file": sim.base.config.path.name, "sha256": sim.base.config_sha256},
                "inputs": [{"name": i.name, "path": i.path, "sha256": i.sha256, "rows": i.rows}
                           for i in sim.base.inputs],
                "scenarios": [{"name": o.name, "sha256": o.config.sha256 or None,
                               "psf": "reused" if o.psf_reused else "recomputed"} for o in sim.scenarios],
                "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                          for name, data in sorted(files.items())}}
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def output_files(sim: SimulationResult) -> dict[str, bytes]:
    """Every file simulate writes, by name."""
    files = {"simulate.xlsx": workbook_bytes(sim), "scenarios.csv": scenarios_csv_bytes(scenarios_frame(sim))}
    if sim.projection is not None:
        files["projection.csv"] = projection_csv_bytes(sim.projection)
    files["manifest.json"] = manifest_bytes(sim, files)
    return files


def write_simulation(sim: SimulationResult, out: Path) -> Path:
    """Write simulate's files into `out`, all or nothing (staged beside it and swapped in)."""
    from .outputs import atomic

    files = output_files(sim)
    with atomic.staged(Path(out)) as staging:
        for name, data in files.items():
            atomic.write_file(staging / name, data)
    return Path(out)
