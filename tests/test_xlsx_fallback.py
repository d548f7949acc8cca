"""The door to XlsxWriter's internals has a way out (outputs/xlsxpack.py): when the private
classes are missing or behave differently, every workbook is written by plain XlsxWriter,
the run still succeeds, the files are the same, and the command says so in one line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from senrun.outputs import xlsxfast, xlsxpack, xlsxtemplate
from senrun.outputs.writer import write_outputs

from builders import pupil, run, statement

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_door():
    """Forget this process's decision before and after the test."""
    xlsxpack.fallback_reason.cache_clear()
    yield
    xlsxpack.fallback_reason.cache_clear()


def small_result(folder: Path):
    folder.mkdir()
    return run(folder, statements=[statement("B801200005001", "2002-08-31", annual="9876.54")],
               census=[pupil("B801200005001", "A", "2002-08-31")])


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.xlsx"))}


def test_the_fast_path_is_in_use_with_the_pinned_xlsxwriter(fresh_door):
    assert xlsxpack.fallback_reason() is None


@pytest.mark.parametrize("module", ["senrun.outputs.xlsxfast", "senrun.outputs.xlsxtemplate"])
def test_missing_internals_fall_back_to_plain_xlsxwriter_with_the_same_files(fresh_door, tmp_path, monkeypatch,
                                                                            module):
    result = small_result(tmp_path / "in")
    write_outputs(result, tmp_path / "fast", jobs=1)
    monkeypatch.setitem(sys.modules, module, None)  # the import now fails
    xlsxpack.fallback_reason.cache_clear()
    assert "ModuleNotFoundError" in xlsxpack.fallback_reason()
    write_outputs(result, tmp_path / "plain", jobs=1)
    fast, plain = files_of(tmp_path / "fast"), files_of(tmp_path / "plain")
    assert any(name.startswith("returns") for name in plain)
    assert plain == fast


def test_internals_that_package_differently_are_detected_and_not_used(fresh_door, monkeypatch):
    monkeypatch.setattr(xlsxfast, "_core_xml", lambda book: b"<different/>")
    reason = xlsxpack.fallback_reason()
    assert reason is not None and "differently" in reason


def test_a_sheet_template_that_writes_differently_is_detected_and_not_used(fresh_door, monkeypatch):
    monkeypatch.setattr(xlsxtemplate.SheetTemplate, "text", lambda self, data: data)  # the footer left unescaped
    reason = xlsxpack.fallback_reason()
    assert reason is not None and "sheet template" in reason


def plain_packer(monkeypatch, from_template, plain, items) -> xlsxpack.BookPacker:
    """With the fallback set, a packer that writes `items` as XlsxWriter alone does, learning nothing."""
    monkeypatch.setenv(xlsxpack.PLAIN_ENV, "1")
    xlsxpack.fallback_reason.cache_clear()
    assert xlsxpack.fallback_reason() is not None
    packer = xlsxpack.BookPacker()
    assert [from_template(packer, item) for item in items] == [plain(item) for item in items]
    assert packer._template is None and packer._fast is None and packer.from_template == 0
    return packer


def test_with_the_fallback_returns_are_written_by_plain_xlsxwriter_not_from_a_template(fresh_door, monkeypatch):
    from senrun.outputs import returnbook

    from test_return_template import ONE, from_template, plain

    packer = plain_packer(monkeypatch, from_template, plain, [ONE] * 3)
    monkeypatch.setattr(returnbook, "PACKER", packer)
    assert returnbook.return_bytes(ONE) == plain(ONE) and packer._template is None


def test_a_workbook_template_of_several_sheets_that_writes_differently_is_detected_and_not_used(fresh_door,
                                                                                                monkeypatch):
    monkeypatch.setattr(xlsxtemplate, "merge_cells", lambda sheet: "")  # merged ranges left out
    reason = xlsxpack.fallback_reason()
    assert reason is not None and "several sheets" in reason


def test_with_the_fallback_packs_are_written_by_plain_xlsxwriter_not_from_a_template(fresh_door, monkeypatch):
    from senrun.outputs import packbook

    from test_pack_template import AWKWARD_BUT_COVERED, ONE, from_template, plain

    packer = plain_packer(monkeypatch, from_template, plain, [ONE, *AWKWARD_BUT_COVERED[:3]])
    monkeypatch.setattr(packbook, "PACKER", packer)
    assert packbook.pack_bytes(ONE) == plain(ONE) and packer._template is None


def test_another_major_version_of_xlsxwriter_is_not_trusted(fresh_door, monkeypatch):
    import xlsxwriter

    monkeypatch.setattr(xlsxwriter, "__version__", "4.0.0")
    assert "4.0.0" in xlsxpack.fallback_reason()


def test_the_command_says_so_in_one_line_and_writes_the_same_returns(tmp_path):
    # on the demo sample (every return of the la sample is compared path by path in test_fast_paths)
    env = {k: v for k, v in os.environ.items() if k != xlsxpack.PLAIN_ENV}
    made = subprocess.run([sys.executable, "-m", "senrun", "sample", "--scale", "demo", "--seed", "7", "--out",
                           str(tmp_path / "demo")], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    senrun = [sys.executable, "-m", "senrun", "allocate", "--config", str(tmp_path / "demo" / "senrun.yaml"),
              "--jobs", "2", "--packs", "--quiet", "--out"]
    normal = subprocess.run(senrun + [str(tmp_path / "a")], env=env, capture_output=True, text=True)
    assert normal.returncode == 0, normal.stderr
    assert "plain XlsxWriter" not in normal.stdout + normal.stderr
    plain = subprocess.run(senrun + [str(tmp_path / "b")], env={**env, xlsxpack.PLAIN_ENV: "1"},
                           capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    notes = [line for line in (plain.stdout + plain.stderr).splitlines() if "plain XlsxWriter" in line]
    assert len(notes) == 1
    assert files_of(tmp_path / "b") == files_of(tmp_path / "a")


def test_an_xlsxwriter_without_the_private_utf16_helpers_still_writes_the_same_files(fresh_door, tmp_path,
                                                                                     monkeypatch):
    """XlsxWriter before 3.3 (which pyproject allows) has no `_utf16_len` nor `_utf16_truncate`: senrun imported
    them, and every run stopped with "failed unexpectedly (ImportError)".  Its own count and cut are used now,
    and give what XlsxWriter 3.3's give."""
    import xlsxwriter.utility as utility

    from senrun.outputs.tablesheet import fit_units, utf16_units

    texts = ["", "a", "£" * 40, "🙂" * 5, "a🙂b🙂", "x" * 31 + "🙂", "🙂" * 16 + "z"]
    for text in texts:
        assert utf16_units(text) == utility._utf16_len(text), text
        for room in (0, 1, 2, 3, 31, 32, 33):
            assert fit_units(text, room) == utility._utf16_truncate(text, room), (text, room)
    result = small_result(tmp_path / "in")
    write_outputs(result, tmp_path / "with", jobs=1)
    monkeypatch.delattr(utility, "_utf16_len")
    monkeypatch.delattr(utility, "_utf16_truncate")
    write_outputs(result, tmp_path / "without", jobs=1)
    written = files_of(tmp_path / "without")
    assert any(name.startswith("returns") for name in written) and written == files_of(tmp_path / "with")


def test_a_chart_sheets_alt_text_is_written_with_an_xlsxwriter_whose_drawing_takes_no_frame(monkeypatch):
    """XlsxWriter before 3.3 (which pyproject allows) writes a chart sheet's frame from its index alone, with no
    frame object to carry a description: the chart sheet that adds the alt text had stopped every run with
    "failed unexpectedly (TypeError)".  The call is passed on as it came, and the description goes to the
    frame's name and description (index, name, description, decorative), as those releases take them."""
    from xlsxwriter.drawing import Drawing

    from senrun.outputs.charts import _DescribedDrawing

    calls = []
    monkeypatch.setattr(Drawing, "_write_absolute_anchor", lambda self, frame_index: calls.append(frame_index))
    drawing = _DescribedDrawing()
    drawing.description = "Each cluster's allocation"
    drawing._write_absolute_anchor(1)
    assert calls == [1]

    class Frame:
        _description = None

    frame = Frame()
    monkeypatch.setattr(Drawing, "_write_absolute_anchor", lambda self, index, shown: calls.append(shown._description))
    drawing._write_absolute_anchor(1, frame)
    assert calls == [1, "Each cluster's allocation"]
    monkeypatch.setattr(Drawing, "_write_nv_graphic_frame_pr", lambda self, *args: calls.append(args))
    drawing._write_nv_graphic_frame_pr(1, None, None, None)  # before 3.3
    drawing._write_nv_graphic_frame_pr(1, frame)  # 3.3: the frame carries it
    assert calls[2:] == [(1, None, "Each cluster's allocation", None), (1, frame)]
