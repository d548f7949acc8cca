"""The workbooks a council publishes or sends out, against the accessibility rules it must meet (the Public
Sector Bodies (Websites and Mobile Applications) Accessibility Regulations 2018: WCAG 2.2 AA) and Excel's
Accessibility Checker: allocations.xlsx (the Schools Forum pack), the cluster packs and the schools' returns,
read from their parts (SPEC §6; docs/outputs.md)."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from outputs_fixture import build_diff, build_result
from senrun.outputs import write_outputs

NS = {"xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "dc": "http://purl.org/dc/elements/1.1/"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """A run's outputs with a previous year (the Diff and Winners and losers sheets), its packs and returns."""
    return write_outputs(build_result(), tmp_path_factory.mktemp("run") / "out", diff=build_diff(), jobs=1)


def published(out: Path) -> list[Path]:
    """Every workbook of the run that is published or sent out (docs/security.md)."""
    books = [out / "allocations.xlsx", *sorted((out / "clusters").glob("*.xlsx")),
             *sorted((out / "returns").glob("*.xlsx"))]
    assert len(books) == 1 + 2 + 5
    return books


def part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def test_every_published_workbook_has_a_title_and_a_subject_in_its_properties__wcag_2_4_2(out):
    """The workbooks had a title but no subject: a document's properties are what a screen reader, a search
    and a council's website list it by."""
    subjects = {}
    for path in published(out):
        core = ET.fromstring(part(path, "docProps/core.xml"))
        assert core.findtext("dc:title", "", NS).startswith("SEN "), path.name
        subjects[path.parent.name] = core.findtext("dc:subject", "", NS)
    assert subjects == {"out": "Special educational needs funding: the Schools Forum pack",
                        "clusters": "Special educational needs funding: a cluster's pack",
                        "returns": "Special educational needs funding: a school's return"}


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


#: The colours a number format may name, as Excel shows them.
FORMAT_COLOURS = {"red": "FF0000", "blue": "0000FF", "green": "00FF00", "magenta": "FF00FF", "cyan": "00FFFF",
                  "yellow": "FFFF00", "white": "FFFFFF", "black": "000000"}


def test_no_published_figure_is_shown_in_a_colour_below_the_contrast_of_wcag_1_4_3(out):
    """Negative money was in Excel's [Red], #FF0000: 4.0 to 1 on white, below the 4.5 to 1 of WCAG 1.4.3 (AA)
    for text under 18 points. Its minus sign says it is negative."""
    white = luminance("FFFFFF")
    for path in published(out):
        formats = [html.unescape(f) for f in re.findall(r'formatCode="([^"]*)"', part(path, "xl/styles.xml"))]
        assert any("£" in f for f in formats), path.name
        for code in formats:
            for name in re.findall(r"\[([A-Za-z]+)\]", code):
                colour = luminance(FORMAT_COLOURS[name.lower()])
                assert (white + 0.05) / (colour + 0.05) >= 4.5, (path.name, code)
        for negative in (f.split(";")[1] for f in formats if "£" in f and ";" in f):
            assert re.sub(r"^\[[A-Za-z]+\]", "", negative).startswith("-"), (path.name, negative)  # a sign, not colour alone


def drawing_objects(path: Path) -> list[tuple[str, str]]:
    """Each object drawn on a sheet of the workbook: its name and its description (alt text)."""
    found = []
    with zipfile.ZipFile(path) as z:
        for name in (n for n in z.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)):
            found += [(pr.get("name"), pr.get("descr", "")) for pr in ET.fromstring(z.read(name)).iter(f"{{{NS['xdr']}}}cNvPr")]
    return found


def test_every_object_drawn_in_a_published_workbook_has_alt_text__wcag_1_1_1(out):
    """The Schools sheet's text box (FAQ 2, 13: the cluster share is notional) had no alt text, which Excel's
    Accessibility Checker reports as missing; it now carries its note."""
    objects = [o for path in published(out) for o in drawing_objects(path)]
    assert sorted(name for name, _ in objects) == ["Chart 1", "Chart 1", "TextBox 1"]  # each chart in a drawing of its own
    for name, described in objects:
        assert len(described) > 40, name
    text_box = dict(objects)["TextBox 1"]
    assert text_box.startswith("A school's cluster share is notional") and "FAQ 2, 13" in text_box


def test_the_winners_and_losers_chart_tells_schools_from_clusters_by_pattern_not_colour_alone__wcag_1_4_1(out):
    """Its two series had Excel's default blue and red fills, told apart by colour alone: now one is solid and
    the other hatched, each outlined."""
    with zipfile.ZipFile(out / "allocations.xlsx") as z:
        charts = [ET.fromstring(z.read(n)) for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    winners = [c for c in charts if len(list(c.iter(f"{{{NS['c']}}}ser"))) == 2]
    assert len(winners) == 1
    fills = []
    for series in winners[0].iter(f"{{{NS['c']}}}ser"):
        properties = series.find("c:spPr", NS)
        assert properties is not None and properties.find("a:ln/a:solidFill", NS) is not None  # outlined
        fills.append("pattern" if properties.find("a:pattFill", NS) is not None else
                     "solid" if properties.find("a:solidFill", NS) is not None else "default")
    assert sorted(fills) == ["pattern", "solid"]
