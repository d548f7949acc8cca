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

from senrun.outputs import xlsxfast, xlsxpack
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


def test_missing_internals_fall_back_to_plain_xlsxwriter_with_the_same_files(fresh_door, tmp_path, monkeypatch):
    result = small_result(tmp_path / "in")
    write_outputs(result, tmp_path / "fast", jobs=1)
    monkeypatch.setitem(sys.modules, "senrun.outputs.xlsxfast", None)  # the import now fails
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


def test_another_major_version_of_xlsxwriter_is_not_trusted(fresh_door, monkeypatch):
    import xlsxwriter

    monkeypatch.setattr(xlsxwriter, "__version__", "4.0.0")
    assert "4.0.0" in xlsxpack.fallback_reason()


def test_the_command_says_so_in_one_line_and_writes_the_same_returns(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != xlsxpack.PLAIN_ENV}
    senrun = [sys.executable, "-m", "senrun", "allocate", "--config", str(ROOT / "config" / "senrun.yaml"),
              "--jobs", "2", "--no-packs", "--quiet", "--out"]
    normal = subprocess.run(senrun + [str(tmp_path / "a")], env=env, capture_output=True, text=True)
    assert normal.returncode == 0, normal.stderr
    assert "plain XlsxWriter" not in normal.stdout + normal.stderr
    plain = subprocess.run(senrun + [str(tmp_path / "b")], env={**env, xlsxpack.PLAIN_ENV: "1"},
                           capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    notes = [line for line in (plain.stdout + plain.stderr).splitlines() if "plain XlsxWriter" in line]
    assert len(notes) == 1
    assert files_of(tmp_path / "b") == files_of(tmp_path / "a")
