"""A council's config as Windows and Notepad leave it: paths typed with backslashes in double quotes, spaces pasted
from Word, a file saved as "Unicode" or with .txt added, Word's curly quotes around a date, an amount or a choice."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from builders import statement, write_run
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.errors import SenrunError
from senrun.pipeline import allocate

U1 = "B801200005001"


def _config(tmp_path):
    return write_run(tmp_path, statements=[statement(U1, "2005-05-05")])


def _errors(path) -> list:
    with pytest.raises(SenrunError) as info:
        allocate(load_config(path))
    return list(info.value.errors)


def test_a_windows_path_in_double_quotes_is_told_that_its_backslash_became_a_line_break(tmp_path):
    # "N:\new.csv" in YAML's double quotes is N:, a line break and ew.csv: the message had shown 'N: ew.csv'
    config = _config(tmp_path)
    config.write_text(re.sub(r"path: schools\.csv", r'path: "N:\\new.csv"', config.read_text()))
    [error] = _errors(config)
    assert "in YAML's double quotes a backslash starts an escape" in error.message
    assert "'N:/new.csv'" in error.message


def test_a_non_breaking_space_pasted_into_a_path_is_named(tmp_path):
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("path: schools.csv", "path: \"schools.csv\u00a0\""))
    [error] = _errors(config)
    assert "a non-breaking space (U+00A0)" in error.message


def test_a_config_saved_as_unicode_by_notepad_is_read_as_the_same_config(tmp_path):
    config = _config(tmp_path)
    expected = allocate(load_config(config)).schools
    config.write_bytes(config.read_text().replace("\n", "\r\n").encode("utf-16"))
    assert allocate(load_config(config)).schools.equals(expected)


def test_words_curly_quotes_around_a_date_an_amount_or_a_choice_are_read_as_yamls_straight_ones(tmp_path):
    # they had been refused, '“16117000”' is not an amount of money, and the date shown as '[hidden]'
    config = _config(tmp_path)
    expected = allocate(load_config(config)).schools
    text = config.read_text()
    text = re.sub(r"census_date: '?([0-9-]+)'?", r"census_date: “\1”", text)
    text += "prorate: ‘months’\n"  # (the default, given)
    text = re.sub(r"pupil_specific_pot: '?([0-9.]+)'?", r"pupil_specific_pot: “\1”", text)
    assert text.count("“") == 2 and text.count("‘") == 1, text
    config.write_text(text)
    assert allocate(load_config(config)).schools.equals(expected)


def test_an_accept_list_path_with_a_backslash_is_told_to_use_a_slash(tmp_path):
    config = _config(tmp_path)
    config.write_text(config.read_text() + "accept: cfg\\accepted.yaml\n")
    with pytest.raises(SenrunError) as info:
        load_config(config)
    assert "written with /" in str(info.value) and "write 'cfg/accepted.yaml'" in str(info.value)  # (as typed)
    folder = tmp_path / "SEN\\2013"  # (no backslash typed: no word of one, wherever the config's folder is)
    folder.mkdir()
    config = write_run(folder, statements=[statement(U1, "2005-05-05")])
    config.write_text(config.read_text() + "accept: acepted.yaml\n")
    with pytest.raises(SenrunError) as info:
        load_config(config)
    assert "no such accept list file" in str(info.value) and "written with /" not in str(info.value)


def test_a_config_notepad_saved_with_txt_added_is_named_with_the_rename_to_make(tmp_path):
    config = _config(tmp_path)
    config.rename(tmp_path / "senrun.yaml.txt")
    done = CliRunner().invoke(app, ["validate", "--config", str(config)], terminal_width=300)
    said = " ".join(done.output.replace("│", " ").split())
    assert done.exit_code == 2 and "Notepad added .txt when it saved the file" in said


def test_a_windows_path_whose_backslash_is_no_yaml_escape_is_told_to_use_a_slash(tmp_path):
    config = _config(tmp_path)
    config.write_text(config.read_text().replace("path: schools.csv", 'path: "C:\\census\\schools.csv"'))
    with pytest.raises(SenrunError) as info:
        load_config(config)
    [error] = info.value.issues
    assert error.row is not None and "write a Windows path with /" in error.message


def test_an_accept_list_whose_name_is_too_long_for_the_system_is_said_to_be_so_not_a_failure(tmp_path):
    # the hint built from the path typed asked the system whether the file was there, and a name too long for it
    # had stopped the run as "File name too long", with no JSON
    config = _config(tmp_path)
    config.write_text(config.read_text() + f"accept: {'a' * 300}.yaml\n")
    with pytest.raises(SenrunError) as info:
        load_config(config)
    assert "more than this system takes for one name" in str(info.value)
