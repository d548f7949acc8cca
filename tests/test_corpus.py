"""The bad-input corpus (tests/corpus/): every real-world fault gets a clear error naming the file (and
row and column where there is one) or a documented tolerance; never a traceback, never a hang; and a
failed `allocate` leaves the output folder as it was.  docs/reliability.md has one line per case."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.make_corpus import CASES, Case, build
from senrun.cli import app

runner = CliRunner()
DOCS = Path(__file__).parent.parent / "docs" / "reliability.md"


def _params() -> list:
    slow = [pytest.mark.slow, pytest.mark.skipif(not os.environ.get("SENRUN_SLOW"),
                                                 reason="a 100 MB input: `make test-slow` runs it")]
    return [pytest.param(case, id=case.name, marks=slow if case.slow else []) for case in CASES]


def _validate(config: Path) -> tuple[int, dict, str]:
    result = runner.invoke(app, ["validate", "--config", str(config), "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout), result.output


def _check_issue(case: Case, issues: list[dict]) -> None:
    severity = "warning" if case.outcome == "warning" else "error"
    found = [i for i in issues if i["code"] == case.code and i["severity"] == severity]
    assert found, (case.code, issues)
    issue = next((i for i in found if case.row is None or i["row"] == case.row), found[0])
    assert issue["file"] == case.file, issue
    if case.row is not None:
        assert issue["row"] == case.row, issue
    if case.column is not None:
        assert issue["column"] == case.column, issue
    assert case.words in issue["message"], issue


@pytest.mark.parametrize("case", _params())
def test_corpus_case(case: Case, tmp_path):
    config = build(case, tmp_path / "run")

    code, report, output = _validate(config)

    issues = report["issues"]
    assert all(i["file"] for i in issues), [i for i in issues if not i["file"]]  # every issue says where
    assert not [i for i in issues if i["code"] == "internal"], issues  # never an unexpected failure
    if case.outcome == "error":
        assert code == 1, output
        _check_issue(case, issues)
    else:
        assert code == 0, output
        assert report["errors"] == 0, issues
        if case.outcome == "warning":
            _check_issue(case, issues)
    assert not (tmp_path / "run" / "pwned.txt").exists()  # no YAML tag ever runs anything
    if case.command == "allocate":
        _allocate_leaves_the_folder(config, tmp_path / "out")


def _allocate_leaves_the_folder(config: Path, out: Path) -> None:
    """A failed run writes nothing: last year's folder is exactly as it was."""
    out.mkdir()
    (out / "last-year.txt").write_text("kept")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--no-returns", "--quiet"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "failed unexpectedly" not in result.output
    assert "nothing was written" in result.output.lower()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "last-year.txt").read_text() == "kept"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".") or "tmp" in p.name.lower()]


def test_the_corpus_is_large_and_every_case_is_documented():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 40
    text = DOCS.read_text()
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/reliability.md lacks: {missing}"
    counted = re.search(r"(\d+) kinds of fault tried, (\d+) handled", text)
    assert counted and int(counted.group(1)) == len(names)


def test_a_formula_without_value_is_found_in_pretty_printed_and_namespaced_xml(tmp_path):
    """Not every program writes a sheet's XML as Excel does, on one line and without prefixes."""
    from corpus.generate import SHEET_HEAD, header_cells, raw_workbook
    from senrun.inputs.excel import read_sheet

    pretty = tmp_path / "pretty.xlsx"
    raw_workbook(pretty, [SHEET_HEAD, header_cells(), '\n<row r="2">\n  <c r="E2">\n    <f>SUM(A1:A2)</f>\n'
                          "  </c>\n</row>\n</sheetData></worksheet>"])
    frame, _ = read_sheet(pretty, None)
    assert frame.row(1)[4] == "#UNCALCULATED:=SUM(A1:A2)"
    prefixed = tmp_path / "prefixed.xlsx"
    raw_workbook(prefixed, [SHEET_HEAD, header_cells(), '<row r="2"><x:c r="E2"><x:f>1+1</x:f></x:c></row>'
                            "</sheetData></worksheet>"])
    frame, _ = read_sheet(prefixed, None)
    assert frame.row(1)[4] == "#UNCALCULATED:=1+1"


def test_a_formula_whose_calculated_result_is_empty_text_is_a_blank_cell_not_an_uncalculated_one(tmp_path):
    """=IF(H2="Y", DATE(2013,1,31), "") saved by Excel or LibreOffice: `t="str"` and an empty value; an
    uncalculated formula (as openpyxl writes one) has no type, and its formula is quoted unescaped."""
    from corpus.generate import SHEET_HEAD, header_cells, raw_workbook
    from senrun.inputs.excel import read_sheet

    book = tmp_path / "blank.xlsx"
    raw_workbook(book, [SHEET_HEAD, header_cells(),
                        '<row r="2"><c r="A2" t="inlineStr"><is><t>B801200005001</t></is></c>'
                        '<c r="E2" t="str"><f>IF(H2=&quot;Y&quot;,1,&quot;&quot;)</f><v></v></c></row>'
                        '<row r="3"><c r="A3" t="inlineStr"><is><t>E801200005002</t></is></c>'
                        '<c r="E3"><f>IF(H3=&quot;Y&quot;,1,&quot;&quot;)</f><v /></c></row></sheetData></worksheet>'])
    frame, _ = read_sheet(book, None)
    assert frame.row(1)[4] in (None, "")
    assert frame.row(2)[4] == '#UNCALCULATED:=IF(H3="Y",1,"")'


@pytest.mark.parametrize(("members", "words"), [
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}, "OpenDocument"),
    ({"xl/workbook.bin": b"\0", "[Content_Types].xml": b"<x/>"}, "Excel Binary Workbook (.xlsb)")])
def test_an_ods_or_xlsb_file_is_named_as_such_and_told_to_be_saved_as_xlsx(tmp_path, members, words):
    import zipfile

    from senrun.inputs.excel import Unreadable, read_sheet

    path = tmp_path / "statements.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        for name, data in members.items():
            book.writestr(name, data)
    with pytest.raises(Unreadable) as caught:
        read_sheet(path, None)
    assert words in str(caught.value) and "save it as an Excel Workbook (.xlsx)" in str(caught.value)
