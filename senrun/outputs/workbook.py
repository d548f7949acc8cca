"""allocations.xlsx: the run for people to read (SPEC §6).

Sheets: Summary (the money identity, checks, warnings), Clusters (with a bar chart),
Schools, PSF, Released, Diff (with a previous year), Workings, Parameters.  Table sheets
have their header on row 1, so the workbook reads back like the CSVs (SPEC §5 `previous`).
"""

from __future__ import annotations

import io
from datetime import date

import polars as pl
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..money import fmt_gbp
from ..result import RunResult
from . import common
from .tables import visible, write_frame, write_table_sheet
from .reconciliation import reconciliation_summary
from .tablesheet import TableSheet
from .xlsx import Formats, close_to_bytes, new_workbook, print_setup, write_header, write_money, write_value

SHEET_CSV = {"Clusters": "clusters.csv", "Schools": "schools.csv", "PSF": "psf.csv",
             "Released": "released.csv", "Diff": "diff.csv", "Workings": "workings.csv"}
WARNINGS_CSV = "warnings.csv"


def workbook_bytes(result: RunResult, diff: pl.DataFrame | None = None) -> bytes:
    """The whole allocation workbook, as bytes."""
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, f"SEN funding allocations {result.config.year}")

    def sheet(name: str) -> TableSheet:
        return book.add_worksheet(name, worksheet_class=TableSheet)

    summary = book.add_worksheet("Summary")
    summary_sheet(summary, fmt, result)
    print_setup(summary)
    clusters = visible(result.clusters)
    clusters_ws = sheet("Clusters")
    if write_table_sheet(clusters_ws, clusters, fmt, SHEET_CSV["Clusters"]):
        add_cluster_chart(book, clusters_ws, clusters)
    schools_ws = sheet("Schools")
    if write_table_sheet(schools_ws, visible(result.schools), fmt, SHEET_CSV["Schools"]):
        add_notional_note(schools_ws, result.schools)
    write_table_sheet(sheet("PSF"), visible(result.psf), fmt, SHEET_CSV["PSF"])
    write_table_sheet(sheet("Released"), visible(result.released), fmt, SHEET_CSV["Released"])
    if diff is not None:
        write_table_sheet(sheet("Diff"), diff, fmt, SHEET_CSV["Diff"])
    if result.workings is not None and result.workings.height:
        write_table_sheet(sheet("Workings"), visible(result.workings), fmt, SHEET_CSV["Workings"])
    reconciliation = reconciliation_summary(result)  # with a register only; no child named (§11.4)
    if reconciliation is not None:
        write_table_sheet(sheet("Reconciliation"), reconciliation, fmt, "reconciliation.csv")
    parameters_sheet(sheet("Parameters"), fmt, result)
    return close_to_bytes(book, buffer)


def warnings_frame(result: RunResult) -> pl.DataFrame:
    """The run's warnings as a table: code, where, message."""
    rows = [(w.code, w.where(), w.message) for w in result.warnings]
    return pl.DataFrame(rows, schema={"code": pl.String, "where": pl.String, "message": pl.String},
                        orient="row")


def summary_sheet(ws: Worksheet, fmt: Formats, result: RunResult) -> None:
    """Title, the money identity to the penny, totals, elements, checks, the note, warnings."""
    ws.set_column(0, 0, 52)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 5, 16)
    ws.write_string(0, 0, f"SEN funding allocations {result.config.year}", fmt.title)
    ws.write_string(1, 0, "Funding period")
    ws.write_string(1, 1, period_text(result.config.as_dict()))
    ws.write_string(2, 0, "senrun version")
    ws.write_string(2, 1, common.senrun_version())
    row = identity_block(ws, fmt, result, 4)
    row = elements_block(ws, fmt, result, row + 1)
    row = text_block(ws, fmt, "Checks passed", list(result.checks) or ["(none recorded)"], row + 1)
    if result.register is not None:  # §11.4: the register in force and each reinstatement
        row = text_block(ws, fmt, "Last year's register", reinstated_lines(result), row + 1)
    ws.write_string(row + 1, 0, common.NOTIONAL_NOTE_WORKBOOK, fmt.bold)
    warnings_block(ws, fmt, result, row + 3)


def reinstated_lines(result: RunResult) -> list[str]:
    """The register's file and the reinstatements, counted by last year's reason: the Summary is
    published, so it names no child and quotes no casework (manifest.json lists each one)."""
    from collections import Counter

    from ..register import reinstated

    kept = Counter(r["stopped_last_year"] for r in reinstated(result))
    lines = [f"{result.register.file}: PSF that stopped last year stays stopped (stopped_last_year)"]
    lines += [f"Reinstated by the config: {sum(kept.values())} (each listed in manifest.json)"] if kept else []
    lines += [f"  • stopped last year by {reason}: {n}" for reason, n in sorted(kept.items())]
    return lines


def identity_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> int:
    """The money identity of SPEC §1 as rows; returns the next free row."""
    t = result.totals
    ws.write_string(row, 0, "Where the pupil specific pot goes", fmt.bold)
    lines = [("Pupil specific pot", t.pupil_specific_pot),
             ("Continuing PSF (paid to schools for protected children)", t.continuing_psf)]
    lines += [(f"Top-slice: {name}", pence) for name, pence in t.topslices]
    lines += [("Cluster pot (shared by the formula)", t.cluster_pot)]
    for offset, (label, pence) in enumerate(lines, start=1):
        ws.write_string(row + offset, 0, label)
        write_money(ws, row + offset, 1, pence, fmt)
    row += len(lines) + 1
    parts = t.continuing_psf + t.topslices_total + t.cluster_pot
    ws.write_string(row, 0, "Continuing PSF + top-slices + cluster pot", fmt.bold)
    write_money(ws, row, 1, parts, fmt, bold=True)
    gap = t.pupil_specific_pot - parts
    verdict = "yes" if t.identity_holds else f"NO: differs by {fmt_gbp(gap)}"
    ws.write_string(row + 1, 0, "Identity holds to the penny")
    ws.write_string(row + 1, 1, verdict, fmt.bold)
    others = [("School specific allocation (SSA) total", t.ssa_total),
              ("SEN total (SSA + pupil specific pot)", t.sen_total),
              ("Released PSF (statements' annual PSF not paid this period)", t.released_psf)]
    for offset, (label, pence) in enumerate(others, start=3):
        ws.write_string(row + offset, 0, label)
        write_money(ws, row + offset, 1, pence, fmt)
    return row + 3 + len(others)


def elements_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> int:
    """The formula elements as applied; returns the next free row."""
    ws.write_string(row, 0, "Formula elements", fmt.bold)
    names = ["element", "basis", "kind", "parameter", "units", "total"]
    rows = [(e.name, e.basis, e.kind, e.parameter, e.units, e.total) for e in result.elements]
    write_header(ws, row + 1, names, fmt)
    for r, values in enumerate(rows, start=row + 2):
        for c, value in enumerate(values):
            write_value(ws, r, c, value, fmt, money=names[c] == "total")
    return row + 2 + len(rows)


def text_block(ws: Worksheet, fmt: Formats, heading: str, lines: list[str], row: int) -> int:
    """A heading and one line of text per row; returns the next free row."""
    ws.write_string(row, 0, heading, fmt.bold)
    for offset, line in enumerate(lines, start=1):
        ws.write_string(row + offset, 0, line)
    return row + 1 + len(lines)


def warnings_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> None:
    """The warnings count and table (code, where, message), or where the CSV is when too many."""
    frame = warnings_frame(result)
    ws.write_string(row, 0, f"Warnings: {frame.height:,}", fmt.bold)
    if frame.height > common.MAX_SHEET_ROWS:
        ws.write_string(row + 1, 0, f"{frame.height:,} rows: see {WARNINGS_CSV}")
    elif frame.height:
        write_header(ws, row + 1, frame.columns, fmt)
        for r, values in enumerate(frame.iter_rows(), start=row + 2):
            for c, value in enumerate(values):
                write_value(ws, r, c, value, fmt)


def add_notional_note(ws: Worksheet, schools: pl.DataFrame) -> None:
    """FAQ 2, 13 beside the Schools table: a text box (not a cell, so the table reads back clean)
    and a comment on the cluster_share header."""
    columns = visible(schools).columns
    ws.insert_textbox(1, len(columns) + 1, common.NOTIONAL_NOTE_WORKBOOK,
                      {"width": 360, "height": 70, "font": {"bold": True},
                       "fill": {"color": "#FFF2CC"}, "object_position": 3})
    if "cluster_share" in columns:
        ws.write_comment(0, columns.index("cluster_share"), common.NOTIONAL_NOTE_WORKBOOK,
                         {"x_scale": 2, "y_scale": 1.2})


def add_cluster_chart(book: Workbook, ws: Worksheet, clusters: pl.DataFrame) -> None:
    """A bar chart of the cluster allocations, beside the Clusters table."""
    if "cluster_allocation" not in clusters.columns or clusters.is_empty():
        return
    columns = clusters.columns
    label = "cluster_name" if "cluster_name" in columns and clusters["cluster_name"].null_count() == 0 \
        else "cluster_id"
    n = clusters.height
    value_col, label_col = columns.index("cluster_allocation"), columns.index(label)
    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "Cluster allocation",
        "categories": ["Clusters", 1, label_col, n, label_col],
        "values": ["Clusters", 1, value_col, n, value_col],
    })
    chart.set_title({"name": "Cluster allocations"})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "£#,##0", "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 720, "height": max(320, 24 * n + 100)})
    ws.insert_chart(1, len(columns) + 1, chart)


def parameters_sheet(ws: Worksheet, fmt: Formats, result: RunResult) -> None:
    """The config in force, one key path per row, with the senrun version and config fingerprint."""
    config = result.config.as_dict()
    if config.get("reinstate"):  # names children: counted here, listed in manifest.json (§11.4)
        config["reinstate"] = f"{len(config['reinstate'])} reinstatement(s), listed in manifest.json"
    rows = common.flatten_config(config)
    rows += [("senrun_version", common.senrun_version()), ("config_sha256", result.config_sha256)]
    frame = pl.DataFrame({"key": [k for k, _ in rows],
                          "value": [parameter_text(v) for _, v in rows]})
    write_frame(ws, frame, fmt)
    # values are text on purpose (a rate 0.1 stays exactly 0.1): no green "number as text" marks
    ws.ignore_errors({"number_stored_as_text": f"B2:B{frame.height + 1}"})


def parameter_text(value: object) -> str:
    """A config value as text, exactly as it would be typed (a rate 0.1 stays 0.1)."""
    if isinstance(value, date):
        return value.isoformat()
    return common.plain_text(value)


def period_text(config: dict) -> str:
    """`01/04/2013 – 31/03/2014` from the config's period, whatever form its dates take."""
    period = config.get("period") or {}
    return " – ".join(uk_date(period.get(key)) for key in ("start", "end"))


def uk_date(value: object) -> str:
    """dd/mm/yyyy from a date or ISO text; other text as it is."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = common.plain_text(value)
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text
