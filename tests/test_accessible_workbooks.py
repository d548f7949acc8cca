"""The workbooks a council publishes or sends out, against the accessibility rules it must meet (the Public
Sector Bodies (Websites and Mobile Applications) Accessibility Regulations 2018: WCAG 2.2 AA) and Excel's
Accessibility Checker: allocations.xlsx (the Schools Forum pack), the cluster packs and the schools' returns,
read from their parts (SPEC §6; docs/outputs.md)."""

from __future__ import annotations

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
