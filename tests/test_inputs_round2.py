"""Round 2 of the input hardening (issue 14): amounts beyond the ceiling, inputs that change or are not
files, hostile YAML and numbers, workbook guards, encodings, injection through `;`, Unicode ids and
personal data kept out of messages.  Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from builders import SCHOOLS, statement, write_run
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.money import CEILING_PENCE
from senrun.pipeline import allocate

VALID_UPN = "A123456789012"


def _errors(config: Path) -> list:
    with pytest.raises(SenrunError) as caught:
        allocate(load_config(config))
    return caught.value.errors


def _one_statement(tmp_path: Path, annual: str) -> Path:
    return write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01", annual=annual)])


# --- point 3: money never wraps -------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["184467440737095516.16", "92233720368547758.08", "10000000000.01"])
def test_an_amount_beyond_the_ceiling_is_refused_by_name_not_wrapped(tmp_path, amount):
    errors = _errors(_one_statement(tmp_path, amount))
    assert [(e.file, e.row, e.column) for e in errors] == [("statements.csv", 2, "annual_amount")]
    assert "more than £10,000,000,000.00" in errors[0].message


def test_an_amount_at_the_ceiling_is_accepted(tmp_path):
    result = allocate(load_config(write_run(
        tmp_path, statements=[statement(VALID_UPN, "2005-06-01", annual="10000000000.00")],
        budget={"pupil_specific_pot": 10_000_000_000},
        formula={"elements": [{"name": "per_pupil", "basis": "pupils", "remainder": True}]})))
    assert int(result.psf["annual_amount"].max()) == CEILING_PENCE


def test_amounts_each_within_the_ceiling_but_totalling_beyond_it_are_refused(tmp_path):
    rows = [statement(f"A12345678901{i}", "2005-06-01", annual="6000000000.00") for i in range(2)]
    errors = _errors(write_run(tmp_path, statements=rows))
    assert [e.code for e in errors] == ["too_large"]
    assert errors[0].column == "annual_amount" and "add up to £12,000,000,000.00" in errors[0].message


@pytest.mark.parametrize("amount", [pl.lit(2 ** 62, dtype=pl.Int64), pl.lit(2.0 ** 62, dtype=pl.Float64),
                                    pl.lit("92233720368547758.08").cast(pl.Decimal(20, 2))])
def test_a_parquet_int64_amount_of_two_to_the_62_is_refused_not_read_as_zero(tmp_path, amount):
    config = _one_statement(tmp_path, "1.00")
    frame = pl.read_csv(tmp_path / "statements.csv", infer_schema=False)
    frame.with_columns(amount.alias("annual_amount")).write_parquet(tmp_path / "st.parquet")
    _point_at(config, "statements", "st.parquet")
    errors = _errors(config)
    assert [(e.row, e.column) for e in errors] == [(2, "annual_amount")]
    assert "more than £10,000,000,000.00" in errors[0].message


def _point_at(config: Path, name: str, file: str) -> None:
    raw = yaml.safe_load(config.read_text())
    raw["inputs"][name]["path"] = file
    config.write_text(yaml.safe_dump(raw, sort_keys=False))


def _config_errors(config: Path) -> list:
    with pytest.raises(SenrunError) as caught:
        load_config(config)
    return caught.value.errors


@pytest.mark.parametrize("value", ["1e400", "1e999999999", "100000000000", "9" * 5000])
def test_a_config_amount_beyond_the_ceiling_is_a_clear_error(tmp_path, value):
    config = _one_statement(tmp_path, "1.00")
    config.write_text(config.read_text().replace("pupil_specific_pot: 1000000", f"pupil_specific_pot: {value}"))
    errors = _config_errors(config)
    assert [e.column for e in errors] == ["budget.pupil_specific_pot"]
    assert "more than £10,000,000,000.00" in errors[0].message


@pytest.mark.parametrize("value", ["1e400", "1e999999999", "inf", "NaN", ".inf"])
def test_a_rate_of_1e400_or_inf_is_a_clear_error(tmp_path, value):
    config = _one_statement(tmp_path, "1.00")
    config.write_text(config.read_text().replace("rate: 10", f"rate: {value}"))
    errors = _config_errors(config)
    assert len(errors) == 1 and errors[0].row is not None
    assert "too large" in errors[0].message or "not a" in errors[0].message


@pytest.mark.parametrize("value", ["1e999999999", "1e400", "inf", "NaN", "9" * 5000])
def test_a_set_value_of_1e999999999_or_inf_is_a_clear_error(tmp_path, value):
    from senrun.config.overlay import sweep_scenarios

    cfg = load_config(_one_statement(tmp_path, "1.00"))
    for key in ("lump_sum.rate", "budget.pupil_specific_pot"):
        with pytest.raises(SenrunError) as caught:
            sweep_scenarios(cfg, [f"{key}={value}"])
        assert len(caught.value.errors) == 1


# --- point 9: clear errors, not "failed unexpectedly" ----------------------------------------------

@pytest.mark.parametrize("value", ["inf", "NaN", "1e308", "-inf"])
def test_inf_nan_or_1e308_in_a_need_column_is_named_by_row(tmp_path, value):
    schools = [{**s, "deprivation": "1"} for s in SCHOOLS]
    schools[1]["deprivation"] = value
    config = write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01")], schools=schools,
                       formula={"elements": [{"name": "need", "basis": "column:deprivation", "rate": 1},
                                             {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    errors = _errors(config)
    assert [(e.file, e.row, e.column) for e in errors] == [("schools.csv", 3, "deprivation")]


# --- point 2: one snapshot of each input ------------------------------------------------------------

def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_an_input_rewritten_while_it_is_read_is_read_again_and_the_manifest_hashes_what_was_used(tmp_path,
                                                                                                  monkeypatch):
    from senrun.inputs import snapshot

    config = _one_statement(tmp_path, "1000.00")
    path = tmp_path / "statements.csv"
    newer = path.read_bytes().replace(b"1000.00", b"2000.00")
    calls = []

    def rewrite(p):
        if p == path and not calls:
            calls.append(p)
            path.write_bytes(newer + b"\n")  # another size: the change is seen
    monkeypatch.setattr(snapshot, "_after_read", rewrite)
    result = allocate(load_config(config))
    assert result.psf["annual_amount"].to_list() == [200000]
    assert {i.name: i.sha256 for i in result.inputs}["statements"] == _sha(newer + b"\n")


def test_an_input_that_keeps_changing_while_it_is_read_stops_the_run_clearly(tmp_path, monkeypatch):
    from senrun.inputs import snapshot

    config = _one_statement(tmp_path, "1000.00")
    path = tmp_path / "statements.csv"
    monkeypatch.setattr(snapshot, "_after_read",
                        lambda p: p == path and path.write_bytes(path.read_bytes() + b"\n"))
    errors = _errors(config)
    assert [e.file for e in errors] == ["statements.csv"]
    assert "changed while senrun was reading it" in errors[0].message


def test_a_parquet_input_replaced_after_its_header_is_read_gives_the_figures_and_hash_of_one_version(
        tmp_path, monkeypatch):
    from senrun.inputs import load

    config = _one_statement(tmp_path, "1000.00")
    frame = pl.read_csv(tmp_path / "statements.csv", infer_schema=False)
    frame.write_parquet(tmp_path / "st.parquet")
    first = (tmp_path / "st.parquet").read_bytes()
    _point_at(config, "statements", "st.parquet")
    wanted = load._wanted

    def replace_then_continue(headers, *args):
        if "annual_amount" in headers:
            frame.with_columns(pl.lit("2000.00").alias("annual_amount")).write_parquet(tmp_path / "st.parquet")
        return wanted(headers, *args)
    monkeypatch.setattr(load, "_wanted", replace_then_continue)
    result = allocate(load_config(config))
    assert result.psf["annual_amount"].to_list() == [100000]
    assert {i.name: i.sha256 for i in result.inputs}["statements"] == _sha(first)


def test_the_config_hash_is_of_the_bytes_parsed_even_if_the_file_is_saved_again(tmp_path, monkeypatch):
    from senrun.config import loader

    config = _one_statement(tmp_path, "1000.00")
    first = config.read_bytes()
    parse = loader.load_yaml_bytes

    def save_again_then_parse(data):
        config.write_text(config.read_text().replace("rate: 10", "rate: 20"))
        return parse(data)
    monkeypatch.setattr(loader, "load_yaml_bytes", save_again_then_parse)
    cfg = load_config(config)
    assert cfg.sha256 == _sha(first) and cfg.elements[0].rate == 10


# --- point 4 and 15: not a regular file, too large, and true messages --------------------------------

def _input_errors(tmp_path: Path, target: str) -> list:
    config = _one_statement(tmp_path, "1.00")
    _point_at(config, "schools", target)
    return _errors(config)


@pytest.mark.parametrize("target, words", [("/dev/zero", "is a device"), ("/dev/urandom", "is a device"),
                                           (".", "is a folder")])
def test_a_device_or_folder_as_an_input_is_refused_at_once(tmp_path, target, words):
    errors = _input_errors(tmp_path, target)
    assert len(errors) == 1 and words in errors[0].message


def test_a_named_pipe_as_an_input_is_refused_without_waiting_for_a_writer(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    errors = _input_errors(tmp_path, "pipe.csv")
    assert len(errors) == 1 and "named pipe" in errors[0].message


def test_a_symbolic_link_loop_as_an_input_is_named_as_such(tmp_path):
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    errors = _input_errors(tmp_path, "loop.csv")
    assert len(errors) == 1 and "loops" in errors[0].message


def test_a_nul_character_in_an_input_path_is_a_clear_error(tmp_path):
    errors = _input_errors(tmp_path, "schools\x00.csv")
    assert len(errors) == 1 and "NUL character" in errors[0].message


def test_an_input_over_max_input_mb_is_refused_before_it_is_read(tmp_path):
    config = _one_statement(tmp_path, "1.00")
    with (tmp_path / "schools.csv").open("a") as fh:
        fh.write("\n" * (1 << 20))
    raw = yaml.safe_load(config.read_text())
    raw["max_input_mb"] = 1
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    errors = _errors(config)
    assert [e.file for e in errors] == ["schools.csv"] and "max_input_mb" in errors[0].message


@pytest.mark.parametrize("target, words", [("/dev/zero", "is a device"), (".", "is a folder")])
def test_a_config_that_is_a_device_or_folder_is_not_called_missing(tmp_path, target, words):
    with pytest.raises(SenrunError) as caught:
        load_config(tmp_path / target if target == "." else target)
    message = caught.value.errors[0].message
    assert words in message and "no such config file" not in message


def test_yaml_nested_thousands_deep_is_refused_before_the_parser_recurses(tmp_path):
    config = tmp_path / "senrun.yaml"
    config.write_text("year: " + "[" * 5000 + "]" * 5000 + "\n")
    errors = _config_errors(config)
    assert len(errors) == 1 and "nested more than 32 levels" in errors[0].message


@pytest.mark.parametrize("column, words", [
    (pl.Series("annual_amount", [[1, 2]]), "lists of values"),
    (pl.Series("annual_amount", [{"a": 1}]), "struct"),
    (pl.Series("annual_amount", [1], dtype=pl.Duration("us")), "durations"),
    (pl.Series("annual_amount", [[1, 2]], dtype=pl.Array(pl.Int64, 2)), "lists of values"),
])
def test_a_parquet_list_struct_or_duration_column_is_an_error_naming_it(tmp_path, column, words):
    config = _one_statement(tmp_path, "1.00")
    frame = pl.read_csv(tmp_path / "statements.csv", infer_schema=False)
    frame.with_columns(column).with_columns(pl.lit([1]).alias("extra")).write_parquet(tmp_path / "st.parquet")
    _point_at(config, "statements", "st.parquet")
    errors = _errors(config)
    assert [(e.file, e.column) for e in errors] == [("st.parquet", "annual_amount")]
    assert words in errors[0].message


# --- point 12: injection through a separator ---------------------------------------------------------

@pytest.mark.parametrize("text, written", [
    ("Safe;=cmd|' /C calc'!A0", "Safe;'=cmd|' /C calc'!A0"),
    ("Safe,=1+2", "\"Safe,'=1+2\""),
    ("Safe\t@SUM(A1)", "Safe\t'@SUM(A1)"),
    ("Safe; +44 20", "Safe; '+44 20"),
    ("=1+2;-3", "'=1+2;'-3"),
    ("St Mary's; Church of England", "St Mary's; Church of England"),
])
def test_a_formula_after_a_separator_in_a_text_field_is_guarded_in_the_csv(text, written):
    from senrun.outputs.csvs import csv_bytes

    assert csv_bytes(pl.DataFrame({"school_name": [text]})).decode().splitlines()[1] == written


# --- point 16: ids in NFC, Parquet dates in range ------------------------------------------------------

def test_a_school_id_in_nfc_and_in_nfd_is_one_school_listed_twice_not_two_lump_sums(tmp_path):
    import unicodedata

    schools = [dict(s) for s in SCHOOLS]
    schools[0]["school_id"] = unicodedata.normalize("NFC", "école1")
    schools[1]["school_id"] = unicodedata.normalize("NFD", "école1")
    errors = _errors(write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01", school="H")],
                               schools=schools))
    assert [(e.code, e.row) for e in errors] == [("duplicate", 3)]


def test_a_statement_naming_a_school_in_nfd_finds_the_school_written_in_nfc(tmp_path):
    import unicodedata

    schools = [dict(s) for s in SCHOOLS]
    schools[0]["school_id"] = unicodedata.normalize("NFC", "école1")
    result = allocate(load_config(write_run(
        tmp_path, schools=schools,
        statements=[statement(VALID_UPN, "2005-06-01", school=unicodedata.normalize("NFD", "école1"))])))
    assert result.psf["paid_school_id"].to_list() == [unicodedata.normalize("NFC", "école1")]


def test_a_parquet_date_in_year_1_fails_the_1900_to_2099_rule_like_a_text_date(tmp_path):
    from datetime import date

    config = _one_statement(tmp_path, "1.00")
    frame = pl.read_csv(tmp_path / "statements.csv", infer_schema=False)
    frame.with_columns(pl.lit(date(1, 1, 1)).alias("date_of_birth")).write_parquet(tmp_path / "st.parquet")
    _point_at(config, "statements", "st.parquet")
    errors = _errors(config)
    assert [(e.row, e.column) for e in errors] == [(2, "date_of_birth")]
    assert "1900 to 2099" in errors[0].message


# --- point 14: one encoding, or the config names it -------------------------------------------------------

def _schools_bytes(tmp_path: Path, data: bytes, encoding: str | None = None) -> Path:
    config = _one_statement(tmp_path, "1.00")
    (tmp_path / "schools.csv").write_bytes(data)
    if encoding:
        raw = yaml.safe_load(config.read_text())
        raw["inputs"]["schools"]["encoding"] = encoding
        config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


SCHOOLS_TEXT = ("school_id,school_name,cluster_id,ssa,pupils\nA,Élan Primary,C1,1000.00,100\n"
                "B,Bromwell £ School,C1,2000.00,200\nH,Hilltop High,C1,3000.00,300\n")


def test_one_windows_1252_byte_in_a_utf8_file_is_an_error_naming_its_row_not_a_silent_guess(tmp_path):
    data = SCHOOLS_TEXT.encode("utf-8").replace("£".encode("utf-8"), "£".encode("cp1252"))
    errors = _errors(_schools_bytes(tmp_path, data))
    assert [(e.file, e.row) for e in errors] == [("schools.csv", 3)]
    assert "0xA3" in errors[0].message and "encoding:" in errors[0].message


def test_a_file_all_in_windows_1252_is_still_read_as_excel_saves_it(tmp_path):
    result = allocate(load_config(_schools_bytes(tmp_path, SCHOOLS_TEXT.encode("cp1252"))))
    assert result.schools["school_name"].to_list()[:2] == ["Élan Primary", "Bromwell £ School"]


def test_a_csv_saved_as_excels_csv_ms_dos_is_an_error_naming_its_row_and_encoding_not_read_as_windows_1252(tmp_path):
    # Excel's "CSV (MS-DOS)" writes code page 850: read as Windows-1252, "Siân" was "Siƒn" in every output with
    # exit 0, and a £ amount "œ10007.40", "not an amount of money" with no word of why.
    welsh = SCHOOLS_TEXT.replace("Élan", "Ysgol Gymraeg Siân")
    for text, row, byte in ((welsh, 2, "0x83"), (SCHOOLS_TEXT.replace("1000.00", "£1000.00").replace("Élan", "Elan")
                                                  .replace(" £ ", " "), 2, "0x9C")):
        errors = _errors(_schools_bytes(tmp_path, text.encode("cp850")))
        assert [(e.file, e.row) for e in errors] == [("schools.csv", row)]
        assert byte in errors[0].message and "CSV (MS-DOS)" in errors[0].message
        assert "encoding: cp850" in errors[0].message
    result = allocate(load_config(_schools_bytes(tmp_path, welsh.encode("cp850"), "cp850")))
    assert result.schools["school_name"].to_list()[0] == "Ysgol Gymraeg Siân Primary"
    # Windows-1252's own punctuation within and after words is read as before, and an accented letter before a
    # curly quote (Renée’s: 0xE9 0x92, UTF-8's shape) had been refused as "UTF-8 but byte 0x92 … is not"
    plain = SCHOOLS_TEXT.replace("Élan", "O’Brien’s – “Zoë” … Renée’s")
    result = allocate(load_config(_schools_bytes(tmp_path, plain.encode("cp1252"))))
    assert result.schools["school_name"].to_list()[0] == "O’Brien’s – “Zoë” … Renée’s Primary"
    from senrun.inputs.reading import Unreadable, text_utf8

    # An accented capital before a curly quote or a guillemet is a whole UTF-8 character by chance (É’ is ɒ): such
    # a file is refused, naming the row, rather than guessed; of the two, a refusal is the one that may be wrong
    for chance in ("a,b\n1,Renée’s\n2,É’s\n", "a,b\n1,Renée’s\n2,«JOSÉ»\n"):
        # (the row of what looks like UTF-8 is named beside the row of the first byte that is not, and the fix)
        with pytest.raises(Unreadable, match=r"it is UTF-8 \(row 3 holds a character written in UTF-8\) but byte "
                                             r"0xE9 on row 2 is not .* `encoding: cp1252`"):
            text_utf8(chance.encode("cp1252"))
    import unicodedata

    for utf8 in ("Ștefan Țurcanu", "Ελληνική", "ΑΒΓΔΕΖΗ", "ДЕЖЗ", "Школа", "Ysgol Ŵyl", "Łódź", "Trương Hương",
                 unicodedata.normalize("NFD", "Siân Môn")):  # UTF-8 with one stray £: an error, never garbled
        with pytest.raises(Unreadable, match=r"it is UTF-8 \(row 2 holds .*\) but byte 0xA3 on row 3"):
            text_utf8(f"a\n{utf8}\n".encode() + b"\xa3 10\n")


def test_the_encoding_named_in_the_config_is_used_and_a_byte_not_in_it_is_named_by_row(tmp_path):
    result = allocate(load_config(_schools_bytes(tmp_path, SCHOOLS_TEXT.encode("latin-1"), "latin-1")))
    assert result.schools["school_name"].to_list()[0] == "Élan Primary"
    errors = _errors(_schools_bytes(tmp_path, SCHOOLS_TEXT.encode("cp1252"), "utf-8"))
    assert [(e.file, e.row) for e in errors] == [("schools.csv", 2)]


def test_a_utf16_file_carrying_a_nul_character_is_refused_like_any_binary_text(tmp_path):
    data = SCHOOLS_TEXT.replace("Hilltop", "Hill\x00top").encode("utf-16")
    errors = _errors(_schools_bytes(tmp_path, data))
    assert [(e.file, e.row) for e in errors] == [("schools.csv", 4)] and "NUL" in errors[0].message


# --- point 7: the workbook guard counts cells as calamine places them -------------------------------------

def _loose_workbook(path: Path, far_cell: bool) -> None:
    from corpus.generate import SHEET_HEAD, raw_workbook

    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in
                     ("upn", "date_of_birth", "statement_date", "school_id", "annual_amount"))
    row = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in
                  (VALID_UPN, "2005-06-01", "2010-01-01", "A", "1.00"))
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' if far_cell else ""
    raw_workbook(path, [SHEET_HEAD, f"<row>{header}</row><row>{row}</row>{far}", "</sheetData></worksheet>"])


def test_cells_without_references_and_one_in_xfd1048576_are_refused_before_calamine_reads_them(tmp_path):
    config = _one_statement(tmp_path, "1.00")
    _loose_workbook(tmp_path / "st.xlsx", far_cell=True)
    _point_at(config, "statements", "st.xlsx")
    errors = _errors(config)
    assert [e.file for e in errors] == ["st.xlsx"] and "spanning" in errors[0].message


def test_cells_without_references_are_still_read(tmp_path):
    config = _one_statement(tmp_path, "1.00")
    _loose_workbook(tmp_path / "st.xlsx", far_cell=False)
    _point_at(config, "statements", "st.xlsx")
    assert allocate(load_config(config)).psf["annual_amount"].to_list() == [100]


def test_a_workbook_with_two_sheets_of_one_name_is_refused_as_damaged(tmp_path):
    import zipfile

    config = _one_statement(tmp_path, "1.00")
    _loose_workbook(tmp_path / "one.xlsx", far_cell=False)
    two = tmp_path / "st.xlsx"
    with zipfile.ZipFile(tmp_path / "one.xlsx") as src, zipfile.ZipFile(two, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                sheet = b'<sheet name="Statements" sheetId="1" r:id="rId1"/>'
                data = data.replace(sheet, sheet + sheet.replace(b'sheetId="1"', b'sheetId="2"'))
            out.writestr(item, data)
    _point_at(config, "statements", "st.xlsx")
    errors = _errors(config)
    assert [e.file for e in errors] == ["st.xlsx"] and "two sheets named 'Statements'" in errors[0].message


# --- point 15: true messages ---------------------------------------------------------------------------

@pytest.mark.parametrize("title", ['"Schools list\nprinted 17/01/2013",,,,\n', "x" * 70_000 + "\n"])
def test_a_title_above_the_header_with_a_line_break_or_over_64_kb_is_skipped_and_rows_stay_true(tmp_path, title):
    schools = [dict(s) for s in SCHOOLS]
    schools[0]["ssa"] = "lots"
    config = write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01")], schools=schools)
    path = tmp_path / "schools.csv"
    path.write_text(title + path.read_text())
    errors = _errors(config)
    assert [(e.file, e.row, e.column) for e in errors] == [("schools.csv", 3, "ssa")]


# --- point 11: personal data only when asked for ----------------------------------------------------------

RUNS = {  # each stops at its own stage: a bad cell while reading, a repeated UPN in the checks across rows
    "bad date of birth": ([statement("B801200005001", "31/02/2006")], ["31/02/2006"], ("statements.csv", 2)),
    "repeated UPN": ([statement("B801200005001", "2005-06-01"), statement("B801200005001", "2005-06-01")],
                     ["B801200005001"], ("statements.csv", 3)),
}


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("case", list(RUNS))
def test_validate_names_rows_not_upns_or_dates_of_birth_unless_asked(tmp_path, case, as_json):
    import json

    from typer.testing import CliRunner

    from senrun.cli import app

    rows, secrets, (file, row) = RUNS[case]
    args = ["validate", "--config", str(write_run(tmp_path, statements=rows))] + (["--json"] if as_json else [])
    hidden = CliRunner().invoke(app, args)
    shown = CliRunner().invoke(app, [*args, "--show-personal-data"])
    assert hidden.exit_code == shown.exit_code == 1
    for secret in secrets:
        assert secret not in hidden.output and secret in shown.output
    if as_json:
        assert (file, row) in [(i["file"], i["row"]) for i in json.loads(hidden.stdout)["issues"]]
    else:
        assert f"{file} › row {row} ›" in hidden.output


@pytest.mark.parametrize("text", ["Safe;=cmd|' /C calc'!A0", "=1+2;-3", "A, @B", "St Mary's; Church"])
def test_an_id_guarded_in_last_years_csv_reads_back_as_written(text):
    import csv
    import io

    from senrun.outputs.csvs import csv_bytes
    from senrun.yearly.diff import _unguard

    written = next(csv.reader(io.StringIO(csv_bytes(pl.DataFrame({"school_id": [text]})).decode().splitlines()[1])))
    assert _unguard(written[0]) == text


def test_a_need_column_adding_up_beyond_what_64_bit_millionths_hold_is_refused(tmp_path):
    schools = [{**s, "deprivation": "900000000"} for s in SCHOOLS]
    schools += [{**s, "school_id": f"{s['school_id']}{i}", "deprivation": "900000000"}
                for i in range(400) for s in SCHOOLS[:3]]
    config = write_run(tmp_path, statements=[statement(VALID_UPN, "2005-06-01")], schools=schools,
                       formula={"elements": [{"name": "need", "basis": "column:deprivation", "remainder": True}]})
    errors = _errors(config)
    assert [(e.code, e.column) for e in errors] == [("too_large", "deprivation")]
