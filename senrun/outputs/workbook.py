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
from . import common, present
from .tables import write_frame, write_table_sheet
from .charts import SCHOOLS_CLUSTERS_SERIES, axis_name, chart_sheet
from .reconciliation import reconciliation_summary
from .tablesheet import TableSheet
from .xlsx import (LINE_POINTS, Formats, close_to_bytes, finish_print, footer, keep_together, lines_height, lines_in,
                   new_workbook, page_height, print_setup, write_header, write_money, write_value)

SHEET_CSV = {"Clusters": "clusters.csv", "Schools": "schools.csv", "PSF": "psf.csv",
             "Released": "released.csv", "Diff": "diff.csv", "Workings": "workings.csv"}
WARNINGS_CSV = "warnings.csv"
#: The restricted workbook that holds what this one only counts (SPEC §6, round 2).
PUPILS_BOOK = "pupils.xlsx"


def workbook_bytes(result: RunResult, diff: pl.DataFrame | None = None) -> bytes:
    """The whole allocation workbook, as bytes: the publishable pack, with no personal data."""
    buffer = io.BytesIO()
    book, fmt = new_workbook(buffer, f"SEN funding allocations {result.config.year}",
                             "Special educational needs funding: the Schools Forum pack")

    def sheet(name: str) -> TableSheet:
        return book.add_worksheet(name, worksheet_class=TableSheet)

    def table(name: str, frame: pl.DataFrame, totals: bool = True) -> tuple[TableSheet, bool]:
        ws = sheet(name)
        return ws, write_table_sheet(ws, frame, fmt, SHEET_CSV.get(name, ""), present.headers(frame, result),
                                     totals=totals)

    summary = book.add_worksheet("Summary")
    summary_sheet(summary, fmt, result)
    print_setup(summary)
    clusters = present.clusters_sheet_table(result, diff)
    clusters_ws, written = table("Clusters", clusters)
    if written:  # the chart shows the clusters only, not the settings with no cluster
        add_cluster_chart(book, clusters_ws, clusters.head(result.clusters.height))
        add_last_year_note(clusters_ws, clusters, CLUSTERS_LAST_YEAR)
    schools = present.schools_table(result, diff)
    schools_ws, written = table("Schools", schools)
    if written:
        add_notional_note(schools_ws, schools, result.config.delegation)
        add_last_year_note(schools_ws, schools, SCHOOLS_LAST_YEAR)
    released = present.released_table(result)
    released_ws, written = table("Released", released)
    if written and "released_amount" in released.columns:
        released_ws.write_comment(0, released.columns.index("released_amount"), RELEASED_NOTE,
                                  {"x_scale": 2.4, "y_scale": 1.6})
    if diff is not None:
        table("Diff", present.diff_table(result, diff), totals=False)
        winners_sheet(book, sheet("Winners and losers"), fmt, present.winners_losers(result, diff))
    if result.workings is not None and result.workings.height:
        workings = present.workings_table(result)
        workings_ws, written = table("Workings", workings, totals=False)
        if written and "exact_pence" in workings.columns and any(e.basis == "per_cluster" for e in result.elements):
            workings_ws.write_comment(0, workings.columns.index("exact_pence"), PER_CLUSTER_NOTE,
                                      {"x_scale": 2.4, "y_scale": 1.2})
    reconciliation = reconciliation_summary(result)  # with a register only; no child named (§11.4)
    if reconciliation is not None:
        table("Reconciliation", present.words(reconciliation))
    parameters_sheet(sheet("Parameters"), fmt, result)
    finish_print(book, footer_text(result))
    return close_to_bytes(book, buffer)


def warnings_frame(result: RunResult) -> pl.DataFrame:
    """The run's warnings as a table: code, where, message."""
    rows = [(w.code, w.where(), w.message) for w in result.warnings]
    return pl.DataFrame(rows, schema={"code": pl.String, "where": pl.String, "message": pl.String},
                        orient="row")


def public_warnings(result: RunResult) -> pl.DataFrame:
    """The warnings the publishable workbook lists (code, where, message), without personal data even if a
    cell gave some (a UPN typed into a census school cell), in their place too (a column's header may be a
    UPN, where a header row of a child's data was mapped)."""
    rows = [(h.code, h.where(), h.message) for h in (w.hidden() for w in result.warnings
                                                     if common.warning_is_public(w.code))]
    return pl.DataFrame(rows, schema={"code": pl.String, "where": pl.String, "message": pl.String}, orient="row")


def summary_sheet(ws: Worksheet, fmt: Formats, result: RunResult) -> None:
    """Title, the money identity to the penny, totals, elements, checks, the note, warnings."""
    for col, width in enumerate(SUMMARY_WIDTHS):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, f"SEN funding allocations {result.config.year}", fmt.title)
    ws.write_string(1, 0, "Funding period")
    ws.write_string(1, 1, period_text(result.config.as_dict()))
    ws.write_string(2, 0, "senrun version")
    ws.write_string(2, 1, common.senrun_version())
    row, taller = identity_block(ws, fmt, result, 4)
    start, kept = row, {row + 1: 3}  # a heading printed with the lines it heads: the elements' with its header, a row
    row = elements_block(ws, fmt, result, row + 1)
    kept[row + 1] = 3
    row = text_block(ws, fmt, "Checks passed", list(result.checks) or ["(none recorded)"], row + 1)
    if result.register is not None:  # §11.4: the register in force and each reinstatement
        kept[row + 1] = 3
        row = text_block(ws, fmt, "Last year's register", reinstated_lines(result), row + 1)
    ws.write_string(row + 1, 0, common.notional_note(result.config.delegation, "A school's"), fmt.bold)
    blocks = warnings_block(ws, fmt, result, row + 3)
    # the warnings' tables start a page where they would not fit on the rest of one (they had been split after
    # their header and first row), and no heading is the last line of a page; every row below the identity's is
    # one line high
    keep_together(ws, start * LINE_POINTS + TITLE_EXTRA + taller, line_blocks(start, row + 3, kept) + blocks,
                  page_height(SUMMARY_WIDTHS))


def line_blocks(first: int, end: int, kept: dict[int, int]) -> list[tuple[int, float]]:
    """Rows `first` to `end` (not included) of one line each as keep_together's blocks: a row of `kept` with the
    rows after it (`kept`: a heading's row → how many rows to print together, itself included), each other row
    alone."""
    blocks, row = [], first
    while row < end:
        rows = max(1, min(kept.get(row, 1), end - row))
        blocks.append((row, rows * LINE_POINTS))
        row += rows
    return blocks


#: The Summary's column widths; and how much taller than a row of text its title's row is, in points.
SUMMARY_WIDTHS = (52, 22, 16, 16, 16, 16)
TITLE_EXTRA = 3.75


def summary_label(ws: Worksheet, fmt: Formats, row: int, text: str) -> float:
    """A label in the Summary's column A, beside a figure: wrapped on a row tall enough where it is wider than the
    column (it had been cut at the figure's edge, on screen and on paper).  Returns the points the row adds."""
    lines = lines_in(text, SUMMARY_WIDTHS[0])
    if lines == 1:
        ws.write_string(row, 0, text)
        return 0.0
    ws.write_string(row, 0, text, fmt.text_wrap)
    ws.set_row(row, lines_height(lines))
    return lines_height(lines) - LINE_POINTS


def reinstated_lines(result: RunResult) -> list[str]:
    """The register's file and each reinstatement (SPEC §11.4), counted by last year's reason and then
    listed by its line in the config file, as manifest.json lists it: the Summary is published, so it
    names no child and quotes no casework (the config's line holds both)."""
    from collections import Counter

    from ..register import reinstated

    each = reinstated(result)
    kept = Counter(r["stopped_last_year"] for r in each)
    lines = [f"{result.register.file}: PSF that stopped last year stays stopped (stopped_last_year)"]
    lines += [f"Reinstated by the config: {len(each)} (each listed in manifest.json too)"] if each else []
    lines += [f"  • stopped last year ({common.reason_words(reason)}): {n}" for reason, n in sorted(kept.items())]
    config = result.config.path.name
    lines += [f"  • {config} line {r['config_line']}: {r['stream']}, stopped last year "
              f"({common.reason_words(r['stopped_last_year'])})" for r in each]
    return lines


def identity_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> tuple[int, float]:
    """The money identity of SPEC §1 as rows; returns the next free row, and the points its wrapped labels add."""
    t = result.totals
    ws.write_string(row, 0, "Where the pupil specific pot goes", fmt.bold)
    lines = [("Pupil specific pot", t.pupil_specific_pot),
             ("Continuing PSF (paid to schools for protected children)", t.continuing_psf)]
    lines += [(f"Top-slice: {name.replace('_', ' ')}", pence) for name, pence in t.topslices]
    lines += [("Cluster pot (shared by the formula)", t.cluster_pot)]
    taller = 0.0
    for offset, (text, pence) in enumerate(lines, start=1):
        taller += summary_label(ws, fmt, row + offset, text)
        write_money(ws, row + offset, 1, pence, fmt)
    row += len(lines) + 1
    parts = t.continuing_psf + t.topslices_total + t.cluster_pot
    ws.write_string(row, 0, "Continuing PSF + top-slices + cluster pot", fmt.bold)
    write_money(ws, row, 1, parts, fmt, bold=True)
    gap = t.pupil_specific_pot - parts
    verdict = "Yes" if t.identity_holds else f"NO: differs by {fmt_gbp(gap)}"
    ws.write_string(row + 1, 0, "Identity holds to the penny")
    ws.write_string(row + 1, 1, verdict, fmt.bold)
    others = [("School specific allocation (SSA) total", t.ssa_total),
              ("SEN total (SSA + pupil specific pot)", t.sen_total),
              # the Schools and Clusters sheets' totals: the top-slices are held back from the SEN total
              ("Paid to schools (SEN total less the top-slices)",
               t.sen_total - t.topslices_total),
              ("Released PSF (not paid this period: it stopped)", t.released_psf)]
    for offset, (text, pence) in enumerate(others, start=3):
        taller += summary_label(ws, fmt, row + offset, text)
        write_money(ws, row + offset, 1, pence, fmt)
    return row + 3 + len(others), taller


def elements_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> int:
    """The formula elements as applied, in words, rates in £; returns the next free row."""
    ws.write_string(row, 0, "Formula elements", fmt.bold)
    titles = common.element_titles(result.config)
    write_header(ws, row + 1, ["Element", "Shared by", "Set as", "Rate (£) or share", "Units", "Total (£)"], fmt)
    said = []  # the protection floor's working, too long for its cell: a line of its own below the table
    for r, e in enumerate(result.elements, start=row + 2):
        ws.write_string(r, 0, titles.get(e.name, e.name))
        ws.write_string(r, 1, common.basis_words(e.basis))
        ws.write_string(r, 2, common.KIND_WORDS.get(e.kind, e.kind))
        parameter = e.parameter
        if e.kind == "protection" and "; " in parameter:  # (its floor in the cell, the whole below)
            parameter = parameter.split("; ", 1)[0]
            said.append(f"{titles.get(e.name, e.name)}: {e.parameter}")
        write_parameter(ws, r, 3, e.kind, parameter, fmt)
        if e.units != "":  # (an empty cell, not an empty text, lets the text beside it show whole)
            write_value(ws, r, 4, common.units_value(e.units), fmt)
        write_money(ws, r, 5, e.total, fmt)
    last = row + 2 + len(result.elements)
    ws.write_string(last, 0, "Total", fmt.bold)
    write_money(ws, last, 5, sum(e.total for e in result.elements), fmt, bold=True)
    for offset, line in enumerate(said, start=1):
        ws.write_string(last + offset, 0, line)
    return last + 1 + len(said)


def write_parameter(ws: Worksheet, row: int, col: int, kind: str, parameter: str, fmt: Formats) -> None:
    """A rate as £ (under the rate format), a share as a per cent; the exact text where it is not a number."""
    value = common.number_or_text(parameter)
    if not parameter:  # (a remainder element has no rate: a blank cell, not one of no text)
        return
    if isinstance(value, str):
        ws.write_string(row, col, parameter)
    elif kind == "share":
        ws.write_string(row, col, common.share_text(parameter))
    else:
        ws.write_number(row, col, float(value), fmt.rate)


def text_block(ws: Worksheet, fmt: Formats, heading: str, lines: list[str], row: int) -> int:
    """A heading and one line of text per row; returns the next free row."""
    ws.write_string(row, 0, heading, fmt.bold)
    for offset, line in enumerate(lines, start=1):
        ws.write_string(row + offset, 0, line)
    return row + 1 + len(lines)


def warnings_block(ws: Worksheet, fmt: Formats, result: RunResult, row: int) -> list[tuple[int, float]]:
    """The warnings counted by kind; those about schools listed in full, those about children only
    counted, with where their details are (the restricted pupils.xlsx): no personal data here.  Returns
    the first row and the height in points of each of its two blocks (the count by kind; the list)."""
    frame = warnings_frame(result)
    ws.write_string(row, 0, f"Warnings: {frame.height:,}", fmt.bold)
    if not frame.height:
        return [(row, LINE_POINTS)]
    kinds = frame.group_by("code", maintain_order=True).len().sort("code")
    write_header(ws, row + 1, ["Kind of warning", "How many", "Details"], fmt)
    r, taller = row + 2, 0.0
    for code, count in kinds.iter_rows():
        taller += summary_label(ws, fmt, r, common.warning_words(code))
        ws.write_number(r, 1, count, fmt.integer)
        ws.write_string(r, 2, "listed below" if common.warning_is_public(code)
                        else f"about children: see {PUPILS_BOOK} (restricted)")
        r += 1
    public = public_warnings(result)
    counted = [(row, (r - row) * LINE_POINTS + taller)]
    if not public.height:
        return counted
    ws.write_string(r + 1, 0, "Warnings about schools and settings", fmt.bold)
    if public.height > common.MAX_SHEET_ROWS:
        ws.write_string(r + 2, 0, f"{public.height:,} rows: see {WARNINGS_CSV}")
        return counted + [(r + 1, 3 * LINE_POINTS)]
    write_header(ws, r + 2, ["Kind", "Where", "Message"], fmt)
    listed = 3 * LINE_POINTS  # the blank row above it, its heading and header
    for i, (code, where, message) in enumerate(public.iter_rows(), start=r + 3):
        kind = common.warning_words(code)
        ws.write_string(i, 0, kind, fmt.wrap)
        ws.write_string(i, 1, where, fmt.wrap)
        # wrapped across C:F, its row as tall as its lines: a message left to run on had widened the printed
        # page until the whole Summary was too small to read
        ws.merge_range(i, 2, i, 5, message, fmt.wrap)
        height = LINE_POINTS * max(_lines(kind, 62), _lines(where, 26), _lines(message, 78))
        ws.set_row(i, height)
        listed += height
    return counted + [(r + 1, listed)]


def _lines(text: str, width: int) -> int:
    """How many lines a warning's text takes in a wrapped cell `width` characters wide, by its length."""
    return max(1, -(-len(text) // width))


def winners_sheet(book: Workbook, ws: Worksheet, fmt: Formats, bands: pl.DataFrame) -> None:
    """Schools and clusters counted by band of change against last year, frozen under the header, with a
    column chart."""
    ws.write_string(0, 0, "Winners and losers: change in total funding against last year", fmt.title)
    write_header(ws, 1, ["Change against last year", "Schools", "Clusters"], fmt)
    for r, (band, schools, clusters) in enumerate(bands.iter_rows(), start=2):
        ws.write_string(r, 0, band)
        ws.write_number(r, 1, schools, fmt.integer)
        ws.write_number(r, 2, clusters, fmt.integer)
    last = 2 + bands.height
    ws.write_string(last, 0, "Total", fmt.bold)
    ws.write_number(last, 1, int(bands["schools"].sum()), fmt.integer_bold)
    ws.write_number(last, 2, int(bands["clusters"].sum()), fmt.integer_bold)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 2, 12)
    ws.freeze_panes(2, 0)  # the title and the header stay in view, as on every table sheet (no filter: five bands)
    chart = book.add_chart({"type": "column"})
    for col, name in ((1, "Schools"), (2, "Clusters")):
        chart.add_series({"name": name, "categories": [ws.name, 2, 0, last - 1, 0],
                          "values": [ws.name, 2, col, last - 1, col], **SCHOOLS_CLUSTERS_SERIES[col - 1]})
    chart.set_title({"name": "Schools and clusters by change against last year"})
    chart.set_x_axis(axis_name("Change in total funding against last year"))
    chart.set_y_axis({**axis_name("Number of schools or clusters"), "num_format": "#,##0"})
    chart.set_size({"width": 640, "height": 320})
    counts = "; ".join(f"{band.lower()}: schools {schools:,}, clusters {clusters:,}"
                       for band, schools, clusters in bands.iter_rows())
    # below the table: it prints on the same page, never cut
    ws.insert_chart(last + 2, 0, chart, {"description": f"Column chart of schools and clusters by change in "
                                                        f"total funding against last year: {counts}."})
    print_setup(ws, 1)


def footer_text(result: RunResult, whose: str = "") -> str:
    """The printed footer: the year (and `whose` pages they are: a cluster's id and name) and the sheet's name
    on the left, page N of M in the middle, the run's reference on the right (the first characters of the
    inputs' fingerprint in manifest.json)."""
    year = str(result.config.year)
    return footer(f"{year}: {whose}" if whose else year, f"Run {common.run_reference(result)}", sheet=True)


def add_notional_note(ws: Worksheet, schools: pl.DataFrame, delegation: str) -> None:
    """FAQ 2, 13 beside the Schools table: a text box (not a cell, so the table reads back clean), its alt
    text the note itself, and a comment on the cluster share's header."""
    columns = schools.columns
    note = common.notional_note(delegation, "A school's")
    ws.insert_textbox(1, len(columns) + 1, note,
                      {"width": 360, "height": 70, "font": {"bold": True},
                       "fill": {"color": "#FFF2CC"}, "object_position": 3, "description": note})
    ws.print_area(0, 0, schools.height + 1, len(columns) - 1)  # the note is for the screen; the page holds the table
    if "cluster_share" in columns:
        ws.write_comment(0, columns.index("cluster_share"), note,
                         {"x_scale": 2, "y_scale": 1.2})


#: What the Clusters and Schools sheets' last-year column is (with --previous): the two differ where schools
#: moved cluster, opened or closed, and say so, so that they are not read as a contradiction.
CLUSTERS_LAST_YEAR = ("Last year: each cluster as it was last year (the schools in it then, as diff.csv's cluster "
                      "rows). The Schools sheet's Last year is each of this year's schools' own total last year, "
                      "so a cluster's schools there can add up to another figure.")
SCHOOLS_LAST_YEAR = f"Last year: {common.SCHOOL_LAST_YEAR}. The Clusters sheet's Last year is each cluster as it was last year."


#: What the Released sheet's Released column is, where Annual − Paid would not give it (a comment on its header).
#: The Workings sheet's note on a `per_cluster` element (SPEC §11.8), whose rows are not shared from the element's
#: total: an auditor needs the cluster's amount, on the Clusters sheet, to work a school's share out.
PER_CLUSTER_NOTE = ("A per_cluster element is shared in two steps: its total equally between the clusters, then "
                    "each cluster's amount between its schools by their pupils. On its rows, the exact share is the "
                    "school's cluster's amount for the element (the Clusters sheet's column of that element) × the "
                    "school's units (its pupils) ÷ the cluster's pupils; the element total is the authority's.")


RELEASED_NOTE = ("Released: each statement's PSF for this period (its annual PSF for the months or days of the "
                 "period) less what its lines pay, for the PSF that stopped this period. So on a row, and in the "
                 "total, Released is not always Annual − Paid: a statement issued on or after the day the cluster "
                 "model began never carried PSF, and one whose PSF stopped in an earlier year (stopped_last_year, with a "
                 "register) was released that year: each is listed with its annual amount, but nothing is paid or "
                 "released for it. A statement whose amount changed in the period (an amendment, an EHC transfer) "
                 "shows its rate at its last line's end (as psf.csv does), and is paid and released at each rate for "
                 "its months or days. Each line is rounded to the penny on its own, so a statement paid at two schools can "
                 "release a penny less than nothing, or a penny more.")


def add_last_year_note(ws: Worksheet, frame: pl.DataFrame, note: str) -> None:
    """With a previous run, `note` as a comment on the table's last-year header (a comment, not a cell,
    so that the table reads back clean)."""
    if "previous_total" in frame.columns:
        ws.write_comment(0, frame.columns.index("previous_total"), note, {"x_scale": 2, "y_scale": 1.2})


def add_cluster_chart(book: Workbook, ws: Worksheet, clusters: pl.DataFrame) -> None:
    """A bar chart of the cluster allocations, on a chart sheet of its own after the Clusters
    sheet, so that it prints on its own page and never shrinks or cuts the table."""
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
    chart.set_x_axis({**axis_name("Cluster allocation (£)"), "num_format": "£#,##0",
                      "major_gridlines": {"visible": True}})
    chart.set_y_axis({**axis_name("Cluster"), "reverse": True, "num_font": {"size": 7 if n > 30 else 9}})
    chart_sheet(book, "Clusters chart", chart, f"Bar chart of the cluster allocation of each of the {n:,} "
                f"clusters, in £, in the order of the Clusters sheet, which lists the figures.")


#: The Parameters sheet's note on a value the config file leaves out, so senrun's default is in force.
DEFAULT_NOTE = "default: not set in the config file"
#: And on an input's path, shown by its file's name: a path names the machine's folders, often a person's
#: (C:\Users\j.bloggs\…), and this sheet is published; manifest.json, which is not, has it as given.
PATH_NOTE = "the file's name; manifest.json has its path"
ACCEPT_NOTE = "the file's name; the config gives its path"


def file_name_of(path: object) -> object:
    """A path as typed in the config (either kind of slash), by its file's name alone."""
    return str(path).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] if isinstance(path, str) else path


def parameters_sheet(ws: Worksheet, fmt: Formats, result: RunResult) -> None:
    """The config in force, one key path per row: the config file's settings, then every default in
    force for a key it leaves out (marked so in the Note column), then the senrun version and the
    config's fingerprint."""
    config = result.config.as_dict()
    paths = {"accept": ACCEPT_NOTE} if isinstance(config.get("accept"), str) else {}  # (a file's name, not the list)
    if config.get("reinstate"):  # names children: counted here, listed in manifest.json (§11.4)
        config["reinstate"] = f"{len(config['reinstate'])} reinstatement(s), listed in manifest.json"
    if isinstance(config.get("accept"), list):  # names children and quotes why: counted here, like reinstate
        config["accept"] = f"{len(config['accept'])} accepted warning(s), listed in the config file"
    flat = common.flatten_config(config)
    paths.update((k, PATH_NOTE) for k, _ in flat if k.startswith("inputs.") and k.endswith(".path"))
    rows = [(k, file_name_of(v), paths[k]) if k in paths else (k, v, None) for k, v in flat]
    rows += [(k, v, DEFAULT_NOTE) for k, v in defaults_in_force(result.config)]
    rows += [("senrun_version", common.senrun_version(), None), ("config_sha256", result.config_sha256, None)]
    frame = pl.DataFrame({"key": [k for k, _, _ in rows], "value": [parameter_text(v) for _, v, _ in rows],
                          "note": [n for _, _, n in rows]}, schema={"key": pl.String, "value": pl.String,
                                                                   "note": pl.String})
    write_frame(ws, frame, fmt, headers=["Setting (key of the config file)", "Value", "Note"])
    # values are text on purpose (a rate 0.1 stays exactly 0.1): no green "number as text" marks
    ws.ignore_errors({"number_stored_as_text": f"B2:B{frame.height + 1}"})


def defaults_in_force(config) -> list[tuple[str, object]]:
    """(key path, value) of every setting the config file leaves out whose default is in force (SPEC §9:
    `policy.start`, `prorate`, `phases`, `diff.flag_pct`, `formula.pupils.nc_years`…), in the order the
    keys are declared; a phase as `phases.<name>`.  Optional blocks left out (`formula.protection`,
    `previous`) and empty lists (no top-slices) hold no value in force and are not listed."""
    from ..config.keys import REQUIRED, SPEC

    rows: list[tuple[str, object]] = []

    def walk(spec: dict, given: object, prefix: str) -> None:
        for key, (kind, default) in spec.items():
            path = f"{prefix}.{key}" if prefix else key
            value = given.get(key) if isinstance(given, dict) else None
            if path == "phases" and value is None:  # its default is the config loader's (DEFAULT_PHASES)
                rows.extend((f"phases.{name}", [first, last]) for name, first, last in config.phases)
            elif isinstance(kind, dict):
                if value is not None or default is not None:
                    walk(kind, value or {}, path)
            elif value is None and default is not None and default is not REQUIRED and default != []:
                rows.append((path, default))

    walk(SPEC, config.as_dict(), "")
    return rows


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
