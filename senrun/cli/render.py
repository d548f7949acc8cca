"""Rich rendering of issues, totals and tables (the only place, with cli/, that knows Rich)."""

from __future__ import annotations

import json
from collections import defaultdict

from rich.console import Console
from rich.cells import cell_len
from rich.table import Table

from ..errors import Issue
from ..money import fmt_gbp
from .text import escape

MAX_SHOWN = 60
#: The narrowest terminal that gets the problems as tables; narrower, one line each (as in a log).
TABLES_FROM = 80
#: Whether issues show a child's UPN and date of birth (`--show-personal-data`); by default they are
#: left out and the file, sheet, row and column say where to look (a cron mail is not the place for them).
_PERSONAL = {"show": False}


def show_personal_data(show: bool) -> None:
    """Set, for this command, whether printed issues (terminal and JSON) include children's personal data."""
    _PERSONAL["show"] = bool(show)


def personal_shown() -> bool:
    """Whether this command was asked to show children's personal data (--show-personal-data)."""
    return _PERSONAL["show"]


def _visible(issues) -> list[Issue]:
    return list(issues) if personal_shown() else [i.hidden() for i in issues]


def in_order(issues) -> list[Issue]:
    """Errors then warnings, the config's (which concern the whole run) first, then those of a whole file or
    column (one such often explains a thousand rows' errors: ids of another kind), then by file, sheet and
    row: as the terminal lists them and the JSON report gives them (docs/validate.md)."""
    return sorted(issues, key=lambda i: (not i.is_error, not _of_config(i), i.row is not None, i.file or "",
                                         i.sheet or "", i.row or 0))


def print_issues(issues, console: Console, heading: str | None = None, limit: int = MAX_SHOWN,
                 left_out: int = 0) -> None:
    """Errors then warnings, the config's (which concern the whole run) first, then by file and row:
    tables on a terminal of 80 columns or more, one line per issue elsewhere (cron mail, pipes, logs: each line names file,
    sheet, row and column, so it greps); then counts (`left_out`: warnings found but not listed, counted all the same)."""
    issues = in_order(_visible(issues))
    errors = sum(1 for i in issues if i.is_error)
    if heading and errors:
        console.print(f"[bold red]{escape(heading)}[/]")
    tables = console.is_terminal and console.width >= TABLES_FROM  # narrower, a table splits every word
    shown = _issue_tables(issues, console, limit) if tables else _issue_lines(issues, console, limit)
    if len(issues) > shown:
        console.print(f"… and {len(issues) - shown:,} more (use --json for all of them)")
    warnings = len(issues) - errors + left_out
    console.print(f"{errors:,} error(s), {warnings:,} warning(s)" + (f" ({left_out:,} not listed: --quiet lists what "
                                                                    "fails the check)" if left_out else ""))


def _of_config(issue: Issue) -> bool:
    """Whether an issue is the config's own or the whole run's (no file, or the YAML file)."""
    return issue.file is None or issue.file.lower().endswith((".yaml", ".yml"))


def _issue_lines(issues, console: Console, limit: int) -> int:
    for i in issues[:limit]:
        line = " ".join(str(i).splitlines())  # (a header or cell typed with a line break: still one line per issue)
        console.print(f"{'error' if i.is_error else 'warning'}: {line}", markup=False, highlight=False,
                      soft_wrap=True)
    return min(len(issues), limit)


def _issue_tables(issues, console: Console, limit: int) -> int:
    by_file: dict[str, list[Issue]] = defaultdict(list)
    for i in issues:
        by_file[i.file or "(config and run)"].append(i)
    shown = 0
    for name, group in by_file.items():
        table = Table(title=escape(name), title_justify="left", show_lines=False, expand=False)
        for col in ("", "where", "problem", "expected"):
            table.add_column(col, overflow="fold")
        for i in group[: max(0, limit - shown)]:
            mark = "[red]error[/]" if i.is_error else "[yellow]warning[/]"
            label = "line" if i.in_config else "row"
            where = " › ".join(p for p in (i.sheet, f"{label} {i.row}" if i.row else None, i.column) if p)
            table.add_row(mark, escape(where), escape(i.message), escape(i.expected or ""))
        shown += min(len(group), max(0, limit - shown))
        if table.row_count:
            console.print(table)
    return shown


def issues_json(issues, extra: dict | None = None) -> str:
    """The documented JSON report (docs/validate.md): counts and every issue with its fields."""
    report = {
        "errors": sum(1 for i in issues if i.is_error),
        "warnings": sum(1 for i in issues if not i.is_error),
        "issues": [i.to_dict() for i in in_order(_visible(issues))],
    }
    report.update(extra or {})
    return json.dumps(report, indent=2, ensure_ascii=False, default=str)


def figures_whole(table: Table) -> Table:
    """A table for a terminal of any width that never hides part of a figure: a right-aligned column
    (figures) is as wide as its longest figure and, if the terminal is narrower still, folds onto
    a second line rather than showing "£15,057,58…"; a text column wraps, but keeps room for a
    word or ten characters."""
    for column in table.columns:
        texts = [str(cell) for cell in column.cells]
        column.overflow = "fold"
        if column.justify == "right":
            column.min_width = max((cell_len(line) for text in [*texts, str(column.footer or "")]
                                    for line in text.split("\n")), default=0)
        else:
            column.min_width = min(max((cell_len(word) for text in texts for word in text.split()), default=0), 10)
    return table


def fits(table: Table, console: Console) -> bool:
    """Whether the table, figures whole, fits the terminal's width."""
    unbounded = console.options.update_width(1_000_000)  # else the measure stops at the terminal's width
    return console.measure(table, options=unbounded).minimum <= console.width


def print_totals(result, console: Console) -> None:
    """The money identity and the cluster totals."""
    t = result.totals
    table = Table(title=f"senrun {escape(str(result.config.year))}: the money", title_justify="left")
    table.add_column("")
    table.add_column("£", justify="right")
    table.add_row("Pupil-specific pot", fmt_gbp(t.pupil_specific_pot))
    table.add_row("  continuing PSF", fmt_gbp(t.continuing_psf))
    for name, pence in t.topslices:
        table.add_row(f"  top-slice: {escape(name)}", fmt_gbp(pence))
    table.add_row("  cluster pot (formula)", fmt_gbp(t.cluster_pot))
    table.add_row("Released PSF (reporting)", fmt_gbp(t.released_psf))
    table.add_row("School specific allocation", fmt_gbp(t.ssa_total))
    table.add_row("SEN total", fmt_gbp(t.sen_total))
    print_whole(console, table, [], "")
    print_clusters(result, console)


def print_clusters(result, console: Console, limit: int = 60) -> None:
    """One line per cluster (the largest first beyond `limit`), then the total line.  On a terminal too
    narrow for every column, the SSA and PSF columns are left out (clusters.csv has them)."""
    frame = result.clusters
    shown = frame if frame.height <= limit else frame.sort("total", descending=True).head(limit)
    outside = _no_cluster(result)
    clusters = _clusters_table(frame, shown, ("ssa", "psf", "cluster_allocation", "total"), outside)
    narrow = not fits(clusters, console)
    if narrow:
        clusters = _clusters_table(frame, shown, ("cluster_allocation", "total"), outside)
    print_whole(console, clusters, ["schools"], "clusters.csv has them")
    if frame.height > limit:
        console.print(f"(the {limit} largest of {frame.height:,} clusters; all are in clusters.csv)")
    held = result.totals.topslices_total
    if held:  # the clusters' total is what reaches schools: the SEN total above it less the top-slices
        console.print(f"(paid to schools: the top-slices, {fmt_gbp(held)}, are held back from the SEN total)")
    if narrow:
        console.print("(SSA and PSF by cluster are in clusters.csv and the workbook; a wider terminal shows them here)")


_CLUSTER_FIGURES = {"ssa": "SSA", "psf": "PSF", "cluster_allocation": "cluster allocation", "total": "total"}


def _no_cluster(result) -> dict | None:
    """The settings outside the formula given no cluster (SPEC §11.2), as one line when they hold money:
    their SSA and PSF belong in the total, though no cluster has them.  The Clusters sheet's "(no cluster)"
    row, with its figures: `schools` 0 (a blank cluster is allowed only outside the formula, and such a
    setting is none of a cluster's `schools`), no cluster allocation."""
    from ..outputs.present import NO_CLUSTER_ID, no_cluster_money

    money = no_cluster_money(result)
    if money is None:
        return None
    ssa, psf = money  # (named, as on the Clusters sheet: its 0 schools beside its PSF is no mistake)
    return {"cluster_id": NO_CLUSTER_ID, "cluster_name": "settings outside the formula", "schools": 0, "ssa": ssa,
            "psf": psf, "cluster_allocation": 0, "total": ssa + psf}


def _clusters_table(frame, shown, figures: tuple[str, ...], outside: dict | None = None) -> Table:
    extra = outside or {}
    clusters = Table(title=f"Clusters ({frame.height:,})", title_justify="left", show_footer=True)
    clusters.add_column("cluster", footer="Total")
    clusters.add_column("schools", justify="right", footer=f"{int(frame['schools'].sum()) + extra.get('schools', 0):,}")
    for key in figures:
        clusters.add_column(_CLUSTER_FIGURES[key], justify="right",
                            footer=fmt_gbp(int(frame[key].sum()) + extra.get(key, 0)))
    for r in [*shown.iter_rows(named=True), *([outside] if outside else [])]:
        name = r["cluster_name"] if r["cluster_name"] != r["cluster_id"] else ""
        clusters.add_row(escape(f"{r['cluster_id']} {name}".strip()), f"{r['schools']:,}",
                         *[fmt_gbp(r[key]) for key in figures])
    return figures_whole(clusters)


def print_warning_summary(issues, console: Console) -> None:
    """Warnings of a run that went ahead, counted by kind, with one example each."""
    if not issues:
        return
    by_code: dict[str, list[Issue]] = defaultdict(list)
    for i in _visible(issues):
        by_code[i.code].append(i)
    table = Table(title=f"Warnings ({len(issues):,}): the run went ahead", title_justify="left")
    for col in ("kind", "count", "first"):
        table.add_column(col, justify="right" if col == "count" else "left", overflow="fold")
    for code, group in sorted(by_code.items()):
        first = group[0]
        table.add_row(code, f"{len(group):,}", escape(f"{first.where()}: {first.message}"))
    console.print(table)
    console.print("Every warning is listed in pupils.xlsx (restricted: it names children) and by `senrun validate`; "
                  "the Summary sheet of allocations.xlsx counts them by kind.")


def print_whole(console: Console, table: Table, drop: list[str], where: str) -> None:
    """Print a table with no figure cut at the terminal's width: columns named in `drop` are left out,
    in that order, until it fits, and a line says which and `where` they are; if it still does not fit,
    each row is printed as `column: value` lines instead."""
    figures_whole(table)
    dropped = []
    for name in drop:
        if fits(table, console) or _squeezed(table, console.width):
            break
        kept = [c for c in table.columns if c.header != name]
        if len(kept) < len(table.columns):
            table.columns[:] = kept
            dropped.append(name)
    if fits(table, console) or _squeezed(table, console.width):
        console.print(table)
    else:
        _print_records(console, table)
    if dropped:
        console.print(f"(not shown at this width: {', '.join(dropped)} — {where})", soft_wrap=True)


def _squeezed(table: Table, width: int) -> bool:
    """Fix every column's width so that the table is drawn within `width` with each figure whole: a
    figure column as wide as its widest figure (or header word), the text columns folded into the room
    left. Rich's own narrowing may cut a column short; fixed widths cannot. False when there is no room."""
    def longest(c, words: bool) -> int:
        texts = [str(x) for x in c.cells] + [str(c.header)]
        parts = [p for t in texts for line in t.split("\n") for p in (line.split() if words else [line])]
        return max((cell_len(p) for p in parts), default=1)

    figures = {id(c): max(c.min_width or 0, longest(c, True)) for c in table.columns if c.justify == "right"}
    text = [c for c in table.columns if c.justify != "right"]
    room = width - sum(figures.values()) - 3 * len(table.columns) - 1
    each = room // len(text) if text else 0
    if room < 0 or any(each < max(c.min_width or 1, cell_len(str(c.header).split()[0] if str(c.header).split()
                                                               else "")) for c in text):
        return False  # a text column would fold its header or fall under its least width: drop a column
    for c in table.columns:
        c.width = figures[id(c)] if id(c) in figures else min(longest(c, False), max(each, 1))
    return True


def _print_records(console: Console, table: Table) -> None:
    """A table too wide for the terminal, one block per row: every value whole, on its own line."""
    if table.title:
        console.print(table.title)
    for r in range(table.row_count):
        for c in table.columns:
            cells = list(c.cells)
            value = str(cells[r]).replace("\n", " ") if r < len(cells) else ""
            console.print(f"  {c.header}: {value}" if c is not table.columns[0] else value, soft_wrap=True)
