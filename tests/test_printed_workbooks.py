"""The workbooks on paper and to a screen reader (SPEC §6; docs/outputs.md "Printing"): every chart described
and its axes named, simulate's bands of change told apart without colour, every printed page saying whose it
is, and the Summary's warnings printed with their header."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from builders import statement, write_run
from outputs_fixture import LINES, SCHOOLS, WARNINGS, assemble, build_diff, build_result
from senrun.config.loader import load_config
from senrun.config.overlay import sweep_scenarios
from senrun.errors import WARNING, Issue
from senrun.outputs import write_outputs
from senrun.outputs.packbook import pack_bytes
from senrun.outputs.workbook import workbook_bytes
from senrun.yearly.simbook import output_files
from senrun.yearly.simulate import simulate

NS = {"xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
STATEMENTS = [statement("B801200005001", "2002-08-31", school="A", annual="1200.00"),
              statement("E801200005002", "2005-05-05", school="B", annual="8400.00")]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """A run's outputs with a previous year (so allocations.xlsx has its Winners chart) and its cluster packs."""
    return write_outputs(build_result(), tmp_path_factory.mktemp("run") / "out", diff=build_diff(), jobs=1)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> bytes:
    """simulate.xlsx of 45 scenarios with a projection: its Overview, Winners and Projection charts."""
    base = load_config(write_run(tmp_path_factory.mktemp("sim"), statements=STATEMENTS))
    rates = ",".join(str(r) for r in range(0, 4500, 100))
    return output_files(simulate(base, sweep_scenarios(base, [f"lump_sum.rate={rates}"]), years=2))["simulate.xlsx"]


def text_of(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{{{NS['a']}}}t")) if element is not None else ""


def charts(data: bytes) -> dict[str, tuple[str, list[str], ET.Element]]:
    """Each chart of a workbook by its title: its description (the alt text of its drawing's frame), its
    axes' titles and its XML, read from the package."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        for name in (n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
            if name.replace("drawings/", "drawings/_rels/") + ".rels" not in names:
                continue  # a text box's drawing, no chart
            rels = ET.fromstring(z.read(name.replace("drawings/", "drawings/_rels/") + ".rels"))
            targets = {r.get("Id"): r.get("Target") for r in rels}
            for frame in ET.fromstring(z.read(name)).iter(f"{{{NS['xdr']}}}graphicFrame"):
                described = frame.find("xdr:nvGraphicFramePr/xdr:cNvPr", NS).get("descr", "")
                chart_id = frame.find(".//c:chart", NS).get(f"{{{NS['r']}}}id")
                chart = ET.fromstring(z.read("xl/" + targets[chart_id].removeprefix("../")))
                axes = [text_of(axis.find("c:title", NS)) for axis in chart.find(".//c:plotArea", NS)
                        if axis.tag.endswith(("catAx", "valAx", "dateAx"))]
                found[text_of(chart.find("c:chart/c:title", NS))] = (described, axes, chart)
        assert len(found) == len([n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)])
    return found


def test_every_chart_has_alt_text_and_named_axes__spec_6(out, simulated):
    allocations = charts((out / "allocations.xlsx").read_bytes())
    simulation = charts(simulated)
    assert set(allocations) == {"Cluster allocations", "Schools and clusters by change against last year"}
    assert set(simulation) == {"Money moved between schools, by scenario", "PSF run-off and the cluster pot",
                               "Schools by change against the base, by scenario"}
    for title, (described, axes, _) in {**allocations, **simulation}.items():
        assert len(described) > 40, title  # a sentence a screen reader reads in the chart's place
        assert len(axes) == 2 and all(axes), (title, axes)
    assert allocations["Cluster allocations"][1] == ["Cluster", "Cluster allocation (£)"]
    assert "2 clusters" in allocations["Cluster allocations"][0]
    winners = allocations["Schools and clusters by change against last year"]
    assert winners[1] == ["Change in total funding against last year", "Number of schools or clusters"]
    assert "loss of 0–5%: schools 1, clusters 1" in winners[0]  # the counts themselves, for one who cannot see the columns
    assert simulation["Schools by change against the base, by scenario"][1] == ["Scenario", "Number of schools"]
    assert simulation["Money moved between schools, by scenario"][1] == ["Scenario", "Money moved between schools (£)"]
    assert simulation["PSF run-off and the cluster pot"][1] == ["Year", "£ in the year"]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))


def test_simulates_winners_chart_tells_the_bands_apart_by_fill_and_hatching_not_colour_alone__spec_6(simulated):
    """With the default colours a gain of 0–5% was red and the losses purple and teal, told apart by colour alone."""
    _, _, chart = charts(simulated)["Schools by change against the base, by scenario"]
    fills = []
    for series in chart.iter(f"{{{NS['c']}}}ser"):
        fill = series.find("c:spPr/a:pattFill", NS)
        if fill is not None:
            fills.append((fill.get("prst"), fill.find("a:fgClr/a:srgbClr", NS).get("val")))
        else:
            fills.append(("solid", series.find("c:spPr/a:solidFill/a:srgbClr", NS).get("val")))
    assert len(fills) == 5 and len({p for p, _ in fills}) == 5  # each band its own hatching (or solid): grey-safe
    gains, losses = [rgb(c) for _, c in fills[:2]], [rgb(c) for _, c in fills[3:]]
    assert all(b > r for r, _, b in gains) and all(r > b for r, _, b in losses)  # gains cool, losses warm
    assert sum(gains[0]) < sum(gains[1]) and sum(losses[1]) < sum(losses[0])  # the larger the change, the darker
    labels = chart.find(".//c:catAx", NS)  # 45 scenarios: every second labelled, at 8 points, not all at 6
    assert labels.find("c:tickLblSkip", NS).get("val") == "2"
    assert labels.find("c:txPr//a:defRPr", NS).get("sz") == "800"


def footers(data: bytes) -> dict[str, str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: ws.oddFooter.left.text for ws in book.worksheets + book.chartsheets}


def test_every_printed_page_names_its_sheet_and_a_packs_its_cluster__docs_outputs_printing(out, simulated):
    """A cluster pack's pages 2–4 said only the year, page N of M and the run; allocations.xlsx's pages did not
    name their sheet."""
    for name in ("allocations.xlsx", "pupils.xlsx"):
        left = footers((out / name).read_bytes())
        assert "Clusters chart" in left or name == "pupils.xlsx"
        assert set(left.values()) == {"2013-14 – &A"}, name  # &A: Excel prints the sheet's name
    assert set(footers(simulated).values()) == {"2013-14: what-if scenarios – &A"}
    packs = sorted((out / "clusters").glob("*.xlsx"))
    assert packs
    for path, (cid, name) in zip(packs, (("C1", "North"), ("C2", "South"))):
        assert set(footers(path.read_bytes()).values()) == {f"2013-14: cluster {cid} {name} – &A"}, path.name


def test_a_packs_footer_with_its_cluster_is_written_from_the_template_as_xlsxwriter_writes_it__spec_6():
    from test_pack_template import ONE, PACKER, from_template, plain
    from senrun.outputs.xlsx import footer

    for cluster in ("926-01 Hickford", "A & B <Cluster> \"x\"", "é" * 300):
        task = replace(ONE, footer=footer(f"2013-14: cluster {cluster}", "Run 0a1b2c3d", sheet=True))
        assert from_template(PACKER, task) == plain(task)
        assert set(footers(pack_bytes(task)).values()) == {task.footer[2:task.footer.index("&CPage")]}


def summary_breaks(issues: tuple[Issue, ...]) -> tuple[list[int], dict[str, int]]:
    """The Summary's page breaks (the 1-based row each page after the first begins at) and the rows of its cells."""
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(assemble(SCHOOLS, LINES, issues))))["Summary"]
    rows = {str(row[0].value): row[0].row for row in ws.iter_rows() if row[0].value is not None}
    return [b.id + 1 for b in ws.row_breaks.brk], rows


def test_the_summarys_warnings_print_with_their_header_not_split_after_its_first_row__docs_outputs_printing():
    """The Summary had printed the warnings' header and one row on page 1, the rest on page 2 without a header."""
    assert summary_breaks(())[0] == []  # all on one page: no break
    kinds = tuple(Issue(f"kind_{i:02d}", WARNING, "a warning", file="schools.csv", row=2) for i in range(14))
    breaks, rows = summary_breaks(WARNINGS + kinds)
    heading = rows[f"Warnings: {len(WARNINGS) + len(kinds)}"]
    # one page wide, landscape on A4: the Summary's columns (52, 22, 16 × 4 characters; 7 pixels each and 5 more)
    # printed at the scale that fits them between 0.7-inch margins, rows of 15 points between 0.75-inch ones
    scale = min(1.0, (11.69 - 1.4) * 72 / (sum(int(w * 7 + 0.5) + 5 for w in (52, 22, 16, 16, 16, 16)) * 0.75))
    page_rows = (8.27 - 1.5) * 72 / scale / 15
    assert heading < page_rows < heading + 1 + len(kinds)  # left alone, page 1 would end inside the table
    assert breaks == [heading]  # so the warnings start page 2, their header with them
    # and a list of warnings about schools too long for what is left of page 2 starts a page of its own
    schools = tuple(Issue("cluster_names", WARNING, "x" * 300, file="schools.csv", row=r) for r in range(2, 9))
    breaks, rows = summary_breaks(WARNINGS + schools)
    assert breaks == [rows["Warnings: 9"], rows["Warnings about schools and settings"]]
