"""The states files are in on a council's shared drive or OneDrive folder: a workbook open in Excel (its lock
file beside it, or given by mistake), a shortcut for the file, a file not yet downloaded or still being
copied, a folder or file this user may not change, paths the system finds too long, names that differ
only in what a person cannot see.  Each is a clear error naming the file and what to do, exit 1, no
traceback, and the output folder left as it was (SPEC §5, §8; docs/reliability.md)."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from builders import SCHOOLS, statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate

runner = CliRunner()
STATEMENTS = [statement("B801200005001", "2006-05-01", "A")]


def checksums(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with each file's SHA-256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def run_with(folder: Path, name: str, path: str) -> Path:
    """A run in `folder` whose input `name` is read from `path` (relative to the config); the config's path."""
    config = write_run(folder, statements=STATEMENTS, schools=SCHOOLS,
                       census=[{"upn": "B801200005001", "school_id": "A", "date_of_birth": "2006-05-01"}])
    raw = yaml.safe_load(config.read_text())
    raw["inputs"][name]["path"] = path
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


def only_error(config: Path):
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(config))
    (error,) = caught.value.errors
    return error


#: Excel's lock file ("owner file") as Excel writes it: the user's name, in one byte's length and padded.
OWNER_FILE = bytes([7]) + b"jbloggs".ljust(53) + bytes([7, 0]) + "jbloggs".encode("utf-16le").ljust(110)


@pytest.mark.parametrize("lock, book", [("~$census.xlsx", "census.xlsx"), ("~$nsus2013.xlsx", "census2013.xlsx"),
                                        (".~lock.census.xlsx#", "census.xlsx")],
                         ids=["Excel", "Excel, first two letters replaced", "LibreOffice"])
def test_an_excel_owner_file_given_as_the_census_is_named_as_excels_lock_file_spec_8(tmp_path, lock, book):
    """It had been "is not a text file (it looks like binary data)", and LibreOffice's had been a file with none
    of the census's columns: a person was sent to look for a fault in the data."""
    (tmp_path / book).write_bytes(b"PK\x03\x04 the workbook itself")
    (tmp_path / lock).write_bytes(OWNER_FILE if lock.startswith("~$") else b"Jo Bloggs,HOST/jbloggs,HOST,01.12.2026 09:00,;")
    error = only_error(run_with(tmp_path, "census", lock))
    assert error.file == lock and "binary" not in error.message and "columns" not in error.message
    program = "LibreOffice" if lock.startswith(".") else "Excel"
    assert (f"census file '{lock}' is the lock file {program} makes beside a file while someone has it open "
            f"(it holds only their name), not the data: give the file itself, {book}") in error.message
    assert "jbloggs" not in error.message.lower()


def test_an_owner_file_given_as_an_input_stops_the_command_and_leaves_the_output_folder_as_it_was_spec_5(tmp_path):
    (tmp_path / "in").mkdir()
    config = run_with(tmp_path / "in", "statements", "~$statements.csv")
    (tmp_path / "in" / "~$statements.csv").write_bytes(OWNER_FILE)
    out = tmp_path / "out"
    out.mkdir()
    (out / "last-year.txt").write_text("kept")
    before = checksums(tmp_path)

    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'~$statements.csv' is the lock file Excel makes" in result.output
    assert "nothing was written" in result.output and checksums(tmp_path) == before


@pytest.mark.parametrize("content, words", [
    (b"L\x00\x00\x00\x01\x14\x02\x00" + bytes(68) + "C:\\SEN\\census.csv".encode("utf-16le"),
     "is a Windows shortcut (.lnk), which points to a file but holds none of it: give the path of the file itself"),
    (b"[InternetShortcut]\r\nURL=https://council.sharepoint.com/sites/SEN/census.csv\r\n",
     "is an Internet shortcut (.url), a link to a web page such as a SharePoint file, which holds none of it: "
     "download the file"),
], ids=["lnk", "url"])
def test_a_shortcut_given_as_an_input_is_named_as_a_shortcut_not_as_binary_data_or_missing_columns_spec_5(
        tmp_path, content, words):
    """A .lnk had been "not a text file (it looks like binary data)"; a .url a file with none of the census's
    columns, "columns found: [InternetShortcut]"."""
    name = "census - Shortcut.lnk" if content.startswith(b"L") else "census.url"
    (tmp_path / name).write_bytes(content)
    error = only_error(run_with(tmp_path, "census", name))
    assert error.file == name and words in error.message


@pytest.mark.parametrize("content, words", [
    (b"", "is empty (0 bytes): if it is in a OneDrive or SharePoint folder, it may be \"online-only\", not yet "
          "downloaded"),
    (bytes(3149), "holds nothing but NUL bytes (3,149 of them, no data): its contents have not arrived: if it is in "
                  "a OneDrive or SharePoint folder"),
    (b"upn,school_id,date_of_birth\nB801200005001,A,2006-05-01\n" + bytes(4096),
     "ends in 4,096 NUL bytes (of its 4,151) where its data should be: it was not written to its end"),
], ids=["0 bytes", "NUL bytes of its size", "a copy under way"])
def test_a_file_not_yet_downloaded_or_still_being_copied_is_said_to_be_so_not_binary_data_spec_5(
        tmp_path, content, words):
    """An online-only OneDrive file read as NUL bytes, and a copy whose end is not yet written, had been "not a
    text file (it looks like binary data)", as if the census were in a wrong format."""
    config = run_with(tmp_path, "census", "census.csv")
    (tmp_path / "census.csv").write_bytes(content)
    error = only_error(config)
    assert error.file == "census.csv" and words in error.message and "binary" not in error.message


def test_a_workbook_cut_short_and_padded_with_nul_bytes_is_said_not_to_be_written_to_its_end_spec_5(tmp_path):
    config = run_with(tmp_path, "census", "census.xlsx")
    (tmp_path / "census.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(200)) * 5 + bytes(2048))
    assert "where its data should be: it was not written to its end" in only_error(config).message


def test_a_file_ending_in_a_few_nul_bytes_is_not_taken_for_one_not_written_to_its_end(tmp_path):
    """UTF-16 text ends in a NUL byte (its last line break's second byte): only a long run of them is a gap."""
    config = run_with(tmp_path, "census", "census.csv")
    (tmp_path / "census.csv").write_bytes("upn,school_id,date_of_birth\nB801200005001,A,2006-05-01\n"
                                          .encode("utf-16"))
    allocate(load_config(config))


# --- the output folder ----------------------------------------------------------------------------------------

BOUND = pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user whom permissions bind")


def last_years_run(folder: Path) -> tuple[Path, Path]:
    """A run's config in `folder`/in and its output folder `folder`/out, written once; (config, out)."""
    (folder / "in").mkdir()
    config = write_run(folder / "in", statements=STATEMENTS, schools=SCHOOLS)
    out = folder / "out"
    assert runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"]).exit_code == 0
    return config, out


@BOUND
@pytest.mark.parametrize("read_only, named", [(".", "the folder itself is"), ("returns", "returns/ is")])
def test_an_output_folder_made_read_only_is_refused_before_anything_is_written_spec_5(tmp_path, read_only, named):
    """It had been swapped aside and the new run put in its place, exit 0, but then could not be deleted: last
    year's folder, children's data, was left beside the new one, and every later run refused to start."""
    config, out = last_years_run(tmp_path)
    (out / read_only).chmod(0o555)
    before = checksums(tmp_path)
    try:
        result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"])
    finally:
        (out / read_only).chmod(0o700)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"cannot write to {out}: {named} read-only for this user, and senrun replaces the whole folder, "
            "deleting the files in it: make the folder writable") in " ".join(result.output.split())
    assert checksums(tmp_path) == before


@BOUND
def test_where_a_read_only_file_cannot_be_deleted_as_on_windows_it_is_named_before_anything_is_written(tmp_path):
    from senrun.outputs import guard

    _, out = last_years_run(tmp_path)
    (out / "schools.csv").chmod(0o400)
    with pytest.raises(SenrunError, match="cannot write to out: schools.csv is read-only for this user"):
        guard.check_removable(out, Path("out"), files=True)
    guard.check_removable(out, Path("out"), files=False)  # elsewhere a file goes with its folder


# --- paths ------------------------------------------------------------------------------------------------------

def deep_folder(top: Path, levels: int = 21) -> Path:
    """A folder `levels` folders of 200 characters below `top`: its path is longer than Linux takes (4,096 bytes),
    so it is made one folder at a time, each from the one above."""
    fd = os.open(top, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir("d" * 200, dir_fd=fd)
        below = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(fd)
    return top.joinpath(*["d" * 200] * levels)


@pytest.mark.parametrize("path, words", [
    ("/".join(["d" * 200] * 21) + "/census.csv", "cannot be read: its path is 4,"),
    ("c" * 300 + ".csv", "cannot be read: a name in its path is 304 bytes long, more than this system takes for one "
                         "name (255): give the file, or the folder, a shorter name"),
], ids=["path", "name"])
def test_an_input_path_too_long_for_the_system_is_said_to_be_so_once_spec_5(tmp_path, path, words):
    """Each had been "cannot be read (File name too long) (looked for …: File name too long)": "File name" for a
    path, said twice, with the 4,000-character path between."""
    error = only_error(run_with(tmp_path, "census", path))
    assert words in error.message and "File name too long" not in error.message and "looked for" not in error.message
    if path.startswith("d"):
        assert "more than this system takes (4,096): move it to a folder with a shorter path" in error.message


def test_an_out_whose_path_is_too_long_for_the_system_is_told_to_be_a_shorter_path_not_a_shorter_name_spec_5(
        tmp_path):
    """It had been told that `.out.senrun-new` was "too long a name here", which it is not."""
    (tmp_path / "in").mkdir()
    config = write_run(tmp_path / "in", statements=STATEMENTS, schools=SCHOOLS)
    out = deep_folder(tmp_path) / "out"
    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert "bytes long, more than this system takes (4,096): give an --out with a shorter path" in said
    assert "too long a name" not in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d" * 200, "in"]


@pytest.mark.parametrize("on_disk, in_config, words", [
    ("census.csv", "CENSUS.CSV", "'census.csv' is there, in other capitals: this system tells names apart by their "
                                 "capitals (Windows does not): write 'census.csv' in the config"),
    (unicodedata.normalize("NFD", "récensement.csv"), unicodedata.normalize("NFC", "récensement.csv"),
     "which looks the same, but its accented letters are stored another way (as a Mac stores them)"),
    ("census.csv ", "census.csv", "'census.csv ' is there, its name ending in a space that the config's does not have"),
    ("census.csv", "census.csv.", "'census.csv' is there: the config's name ends in a dot that the file's does not"),
    ("data/census.csv", "Data/census.csv", "does not exist: 'data' is there, in other capitals"),
], ids=["capitals", "accents", "a space at the end", "a dot at the end", "a folder in other capitals"])
def test_a_name_differing_only_in_what_a_person_cannot_see_is_pointed_to_with_the_difference_spec_5(
        tmp_path, on_disk, in_config, words):
    """Each had been "does not exist" with no hint (capitals), or "did you mean récensement.csv?" naming a file
    that looked just like the one asked for."""
    config = run_with(tmp_path, "census", in_config)
    (tmp_path / on_disk).parent.mkdir(exist_ok=True)
    (tmp_path / "census.csv").rename(tmp_path / on_disk)
    error = only_error(config)
    assert "does not exist" in error.message and words in error.message


# --- a file changed while it is read --------------------------------------------------------------------------

def test_last_years_file_saved_again_during_the_run_is_hashed_in_the_manifest_as_the_version_compared_spec_6(
        tmp_path, monkeypatch):
    """--previous had been read three times, once for the figures, once for the SHA-256 the manifest gives and
    once for the schools' names: saved again in between (a shared file someone has open), the manifest described
    a file the figures did not come from."""
    from senrun.outputs.common import last_years_file
    from senrun.yearly import diff as diff_module

    config, out = last_years_run(tmp_path)
    result = allocate(load_config(config))
    given = out / "schools.csv"
    read = given.read_bytes()
    compare = diff_module.diff_frames

    def saved_again_meanwhile(*args, **kwargs):
        given.write_bytes(read.replace(b"Ashford Primary", b"Ashford Academy") + b"\n")
        return compare(*args, **kwargs)
    monkeypatch.setattr(diff_module, "diff_frames", saved_again_meanwhile)

    diff = diff_module.diff_against(result, out)
    assert last_years_file(diff)["sha256"] == hashlib.sha256(read).hexdigest()
    assert last_years_file(diff)["bytes"] == len(read)
    assert "Ashford Academy" not in diff.get_column("_school_name").to_list()


@pytest.mark.parametrize("given", ["config", "--previous", "--register"])
@pytest.mark.parametrize("content, words", [
    (b"", "is empty (0 bytes): if it is in a OneDrive or SharePoint folder, it may be \"online-only\""),
    (bytes(2000), "holds nothing but NUL bytes (2,000 of them, no data): its contents have not arrived"),
    (b"L\x00\x00\x00\x01\x14\x02\x00" + bytes(100), "is a Windows shortcut (.lnk)"),
], ids=["0 bytes", "NUL bytes", "lnk"])
def test_the_config_and_last_years_files_not_downloaded_or_shortcuts_are_said_to_be_so_as_the_inputs_are_spec_5(
        tmp_path, given, content, words):
    """Each had been "not valid YAML: unacceptable character #x0000", "not a text file (it looks like binary
    data)" or "cannot read it as CSV (empty CSV)"."""
    config, out = last_years_run(tmp_path)
    name = {"config": "senrun.yaml", "--previous": "schools.csv", "--register": "psf.csv"}[given]
    stand_in = (config if given == "config" else out / name)
    stand_in.write_bytes(content)
    extra = [] if given == "config" else [given, str(stand_in)]
    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(tmp_path / "new"), "--quiet",
                                 *extra])
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    if given == "config" and not content:  # a config left empty is said to be, with the keys it needs
        words = "the config file is empty (expected keys year, period"
    assert name in said and words in said and "binary" not in said and "YAML" not in said
    assert not (tmp_path / "new").exists()


# --- a workbook copied or saved in part ------------------------------------------------------------------------

@pytest.mark.parametrize("missing, words", [
    ("xl/worksheets/sheet1.xml", "a part of the workbook is missing (xl/worksheets/sheet1.xml, its sheet 'Census')"),
    ("xl/_rels/workbook.xml.rels", "a part of the workbook is missing (xl/_rels/workbook.xml.rels, which says where "
                                   "each sheet is)"),
], ids=["its sheet", "where its sheets are"])
def test_a_workbook_missing_a_part_is_said_to_be_damaged_and_what_to_do_spec_5(tmp_path, missing, words):
    """A missing sheet had been "could not be opened as an Excel workbook (calamine error: Xlsx error: Worksheet
    'Census' not found)" of a sheet the workbook lists, and a missing list of parts "it has no xl/workbook.xml",
    which it has."""
    import io
    import zipfile

    import xlsxwriter

    whole = io.BytesIO()
    book = xlsxwriter.Workbook(whole, {"in_memory": True})
    sheet = book.add_worksheet("Census")
    for r, row in enumerate([["upn", "school_id", "date_of_birth"], ["B801200005001", "A", "2006-05-01"]]):
        sheet.write_row(r, 0, row)
    book.close()
    cut = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as src, zipfile.ZipFile(cut, "w") as dst:
        for item in src.infolist():
            if item.filename != missing:
                dst.writestr(item, src.read(item))
    config = run_with(tmp_path, "census", "census.xlsx")
    (tmp_path / "census.xlsx").write_bytes(cut.getvalue())
    error = only_error(config)
    assert error.file == "census.xlsx" and f"is damaged: {words}" in error.message
    assert "open it in Excel and save it again" in error.message and "no xl/workbook.xml" not in error.message


def test_an_output_folder_in_use_that_cannot_be_moved_aside_is_said_to_be_in_use_not_its_parent_spec_5(
        tmp_path, monkeypatch):
    """Windows refuses to move a folder while a file in it is open, or a window is open on it ("Access is denied",
    faked here); the parent, where senrun had just made its lock and its new folder, had been blamed as "not
    writable for this user"."""
    import errno

    from senrun.outputs import atomic

    config, out = last_years_run(tmp_path)
    real = atomic.rename

    def in_use(src: Path, dst: Path) -> None:
        if src == out:
            raise PermissionError(errno.EACCES, "Access is denied", str(src), None, str(dst))
        real(src, dst)
    monkeypatch.setattr(atomic, "rename", in_use)
    before = checksums(tmp_path)
    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in said
    assert (f"cannot write to {out}: Access is denied: senrun could not move the folder aside to put the new one in "
            "its place, though it can write beside it: the folder is in use") in said
    assert "not writable" not in said and checksums(tmp_path) == before


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_an_input_that_is_a_link_to_nothing_is_named_as_the_link_and_where_it_points_spec_5(tmp_path):
    """It had been named by the missing file's name alone, "nowhere.csv: census file 'census.csv' does not exist",
    beside a census.csv the user could see."""
    config = run_with(tmp_path, "census", "census.csv")
    (tmp_path / "census.csv").unlink()
    (tmp_path / "census.csv").symlink_to(tmp_path / "moved" / "census.csv")
    error = only_error(config)
    assert error.file == "census.csv"
    assert (f"census file 'census.csv' is a symbolic link to '{tmp_path / 'moved' / 'census.csv'}', which does not "
            "exist (moved or deleted since the link was made?): give the path of the file itself") in error.message


def test_what_a_file_manager_leaves_in_last_years_folder_does_not_stop_the_next_run_spec_6(tmp_path):
    """A Mac user looking at last year's run on the shared drive leaves .DS_Store (and ._<name> beside each file),
    Windows Explorer Thumbs.db or desktop.ini: each had been "files senrun did not write … move them elsewhere",
    files the user could not see, and every later run stopped."""
    config, out = last_years_run(tmp_path)
    for name in (".DS_Store", "._allocations.xlsx", "returns/Thumbs.db", "desktop.ini"):
        (out / name).write_bytes(b"\x00\x00\x00\x01Bud1")
    result = runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert not [p for p in out.rglob("*") if p.name.lower() in (".ds_store", "thumbs.db", "desktop.ini")
                or p.name.startswith("._")]
    (out / "notes.txt").write_text("the user's own")  # anything else is still the user's, and refused
    assert runner.invoke(app, ["allocate", "--config", str(config), "--out", str(out), "--quiet"]).exit_code == 1
    fresh = tmp_path / "new"
    fresh.mkdir()
    (fresh / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # a new folder, looked at in the Finder
    assert runner.invoke(app, ["allocate", "--config", str(config), "--out", str(fresh), "--quiet"]).exit_code == 0
