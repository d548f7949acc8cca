"""Last year's schools.csv opened and saved again in a spreadsheet is still last year's run (SPEC §5, §6; §11.8's
floor reads the same file)."""

from __future__ import annotations

from pathlib import Path

from senrun.yearly.diff import previous_cluster_allocations, read_previous

HEADER = "school_id,school_name,cluster_id,pupils,ssa,psf,cluster_share,total"
ROWS = [("9262002", "St Æthelred's", "926-01", "1250.00", "3400.50"), ("9262005", "Draycot", "926-02", "600.25", "900.00")]


def _excel_csv(path: Path, money) -> Path:
    """As Excel's "CSV" saves it: Windows-1252, CRLF, the money as the cells showed it."""
    lines = [HEADER] + [f'{sid},{name},{cluster},0,0,0,"{money(share)}","{money(total)}"'
                        for sid, name, cluster, share, total in ROWS]
    path.write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")
    return path


def _pounds(text: str) -> str:
    return f"£{float(text):,.2f}"


def test_last_years_schools_csv_saved_by_excel_in_windows_1252_with_pound_signs_reads_as_written__spec_5_6(tmp_path):
    path = _excel_csv(tmp_path / "schools.csv", _pounds)
    previous = read_previous(path)
    assert previous["total"].to_list() == [340050, 90000]
    assert previous_cluster_allocations(path) == {"926-01": 125000, "926-02": 60025}


def test_rows_of_empty_cells_a_spreadsheet_leaves_below_last_years_schools_csv_are_no_school__spec_5_6_11_8(tmp_path):
    path = _excel_csv(tmp_path / "schools.csv", str)
    path.write_bytes(path.read_bytes() + b",,,,,,,\r\n" * 3)
    assert read_previous(path)["school_id"].to_list() == ["9262002", "9262005"]
    assert previous_cluster_allocations(path) == {"926-01": 125000, "926-02": 60025}


def _last_years_folder(tmp_path: Path) -> Path:
    from builders import run, statement
    from senrun.outputs import write_outputs

    result = run(tmp_path, statements=[statement("B801200005001", "2002-08-31", school="A", annual="1200.00"),
                                       statement("E801200005002", "2005-05-05", school="B", annual="8400.00")])
    return write_outputs(result, tmp_path / "last", returns=False)


def _edit_csv(path: Path, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_bytes(("\r\n".join(edit(lines)) + "\r\n").encode("utf-8"))


def test_last_years_schools_csv_sorted_or_noted_in_a_spreadsheet_is_not_told_as_changed__spec_5_6(tmp_path):
    from senrun.yearly.diff import previous_changed

    last = _last_years_folder(tmp_path)
    assert previous_changed(last / "schools.csv") == [] and previous_changed(last) == []
    _edit_csv(last / "schools.csv", lambda lines: [lines[0] + ",Notes"] + [f"{line},seen" for line in lines[:0:-1]])
    assert previous_changed(last / "schools.csv") == []


def test_a_figure_typed_over_or_a_row_deleted_in_last_years_schools_csv_is_told_by_row_and_column__spec_5_6_11_8(
        tmp_path):
    """diff.csv states last year from the file, and formula.protection's floor is set from its cluster shares: a
    figure typed over moved money between clusters with nothing said."""
    from senrun.yearly.diff import previous_changed

    last = _last_years_folder(tmp_path)
    header = (last / "schools.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    share = header.index("cluster_share")

    def typed_over(lines):
        cells = lines[1].split(",")
        cells[share] = f"{float(cells[share]) + 30000:.2f}"
        return [lines[0], ",".join(cells), *lines[2:]]

    _edit_csv(last / "schools.csv", typed_over)
    found = previous_changed(last / "schools.csv")
    assert [i.code for i in found] == ["previous_changed"] and found[0].column == "cluster_share"
    assert "cluster C1" in found[0].message and "allocations.xlsx beside it" in found[0].message

    _edit_csv(last / "schools.csv", lambda lines: [lines[0], *lines[2:]])  # the first school's row deleted
    [missing] = [i for i in previous_changed(last / "schools.csv") if "row is missing" in i.message]
    assert missing.file == "schools.csv" and missing.expected == "school A"

    (last / "allocations.xlsx").write_bytes(b"")  # neither file as senrun wrote it: the manifest's totals
    assert any("where senrun wrote 4" in i.message or "cluster pot" in i.message
               for i in previous_changed(last / "schools.csv"))


def test_finding_the_rows_of_last_years_schools_reads_each_cell_once_not_once_per_school__spec_5_6(
        tmp_path, monkeypatch):
    """England's schools.csv has 21,600 schools: a re-save is compared school by school in every allocate and
    validate with --previous, and looking each school up in the whole column took a quarter of an hour."""
    from senrun.yearly import diff

    path = tmp_path / "schools.csv"
    path.write_text(HEADER + "\n" + "".join(f"{9260000 + i},School {i},926-01,1,0,0,1.00,1.00\n"
                                              for i in range(300)), encoding="utf-8")
    calls = []
    unguard = diff._unguard
    monkeypatch.setattr(diff, "_unguard", lambda text: calls.append(text) or unguard(text))
    rows = diff._rows_holding(path, [(diff.SCHOOL_ID, str(9260000 + i), []) for i in range(300)])
    assert rows[diff.SCHOOL_ID, "9260000"] == 2 and rows[diff.SCHOOL_ID, "9260299"] == 301
    assert len(calls) <= 300


def test_a_manifest_whose_rows_or_totals_are_not_a_mapping_is_no_crash_when_neither_file_is_as_senrun_wrote_it__spec_11_8(
        tmp_path):
    import json

    from senrun.yearly.diff import previous_changed

    last = _last_years_folder(tmp_path)
    _edit_csv(last / "schools.csv", lambda lines: lines)  # saved again: line ends of a spreadsheet
    (last / "allocations.xlsx").write_bytes(b"")
    manifest = json.loads((last / "manifest.json").read_text(encoding="utf-8"))
    for rows, totals in (([4], manifest["totals"]), (manifest["rows"], "edited"), (None, [1])):
        (last / "manifest.json").write_text(json.dumps({**manifest, "rows": rows, "totals": totals}), encoding="utf-8")
        assert previous_changed(last / "schools.csv") == []


def test_a_cluster_id_typed_over_in_last_years_schools_csv_is_told_without_quoting_what_was_typed__spec_11_8(
        tmp_path):
    """previous_changed is a public warning (allocations.xlsx's Warnings sheet): a cell a person typed could hold
    anything, a child's name among it."""
    from senrun.yearly.diff import previous_changed

    last = _last_years_folder(tmp_path)
    header = (last / "schools.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    cluster = header.index("cluster_id")

    def typed_over(lines):
        cells = lines[1].split(",")
        cells[cluster] = "Jane Doe 01-02-2010"
        return [lines[0], ",".join(cells), *lines[2:]]

    _edit_csv(last / "schools.csv", typed_over)
    [found] = [i for i in previous_changed(last / "schools.csv") if i.column == "cluster_id"]
    assert found.row == 2 and found.expected == "C1" and "another cluster" in found.message
    assert not any("Jane" in f"{i.message} {i.value}" for i in previous_changed(last / "schools.csv"))


def test_last_years_folder_named_in_an_older_systems_encoding_is_read_and_named_with_a_replacement_character__spec_5_11_4(
        tmp_path):
    """A folder copied from an older system can keep a Latin-1 byte in its name (`café` as b"caf\\xe9"): as --previous
    (the folder, its schools.csv or its allocations.xlsx) and as --register it is read as any other, and the Summary,
    the Diff and manifest.json name it with U+FFFD. It stopped the run with a traceback (UnicodeEncodeError), or with
    "cannot read its Schools sheet" for the workbook."""
    import json
    import os
    import re

    from typer.testing import CliRunner

    from builders import statement, write_run
    from senrun.cli import app

    if os.fsencode(os.fsdecode(b"caf\xe9")) != b"caf\xe9":  # (a file system whose names must be UTF-8)
        return
    last = _last_years_folder(tmp_path).rename(tmp_path / os.fsdecode(b"caf\xe9"))
    register = tmp_path / os.fsdecode(b"reg\xe9") / "psf.csv"  # last year's lines: their dates a year earlier
    register.parent.mkdir()
    register.write_text(re.sub(r"\b(\d{4})-(\d\d-\d\d)\b", lambda m: f"{int(m[1]) - 1}-{m[2]}",
                               (last / "psf.csv").read_text()))
    (tmp_path / "now").mkdir()
    config = write_run(tmp_path / "now", statements=[statement("B801200005001", "2002-08-31", school="A")])
    for given in (last, last / "schools.csv", last / "allocations.xlsx"):
        out = tmp_path / f"out-{given.name}"
        done = CliRunner().invoke(app, ["allocate", "-c", str(config), "-o", str(out), "--no-returns", "-q",
                                        "--previous", str(given), "--register", str(register)])
        assert done.exit_code == 0, done.output
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["register"]["path"].endswith("reg\ufffd/psf.csv")
        assert "caf\ufffd" in manifest["inputs"]["previous"]["path"]
