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
