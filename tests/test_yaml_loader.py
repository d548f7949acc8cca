"""The config is parsed by libyaml where PyYAML has it, and by PyYAML's own parser otherwise
(config/yamlsafe.py): both give the same values and line map, and a broken file is always
described by PyYAML's parser, in the same words either way."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from senrun.config import yamlsafe
from senrun.config.loader import load_config

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "config" / "senrun.yaml"


@pytest.mark.skipif(yamlsafe._CLoader is None, reason="PyYAML here was built without libyaml")
def test_libyaml_and_pyyaml_read_the_sample_config_alike():
    text = SAMPLE.read_text(encoding="utf-8")
    assert yamlsafe._load(text, yamlsafe._CLoader) == yamlsafe._load(text, yamlsafe._Loader)


def test_without_libyaml_the_config_loads_the_same(monkeypatch):
    fast = load_config(SAMPLE)
    monkeypatch.setattr(yamlsafe, "_CLoader", None)
    plain = load_config(SAMPLE)
    assert plain == fast and plain.as_dict() == fast.as_dict()


def test_a_broken_file_is_described_the_same_way_with_or_without_libyaml(monkeypatch):
    text = 'year: "2013-14"\nperiod:\n\tstart: 2013-04-01\n'
    with pytest.raises(yamlsafe.YamlProblem) as fast:
        yamlsafe.loads_yaml(text)
    monkeypatch.setattr(yamlsafe, "_CLoader", None)
    with pytest.raises(yamlsafe.YamlProblem) as plain:
        yamlsafe.loads_yaml(text)
    assert (str(fast.value), fast.value.line) == (str(plain.value), plain.value.line)
    assert fast.value.line == 3


@pytest.mark.parametrize("libyaml", [True, False])
def test_whole_numbers_are_read_in_decimal_and_yaml_1_1_number_forms_stay_as_written(monkeypatch, libyaml):
    if not libyaml:
        monkeypatch.setattr(yamlsafe, "_CLoader", None)
    text = "a: 05000\nb: -0123\nc: 1_000\nd: 0x53408\ne: 1:00\nf: 0b101\ng: .nan\nh: -.inf\ni: 1:30.5\nj: 05000.50\n"
    assert yamlsafe.loads_yaml(text)[0] == {"a": 5000, "b": -123, "c": 1000, "d": "0x53408", "e": "1:00",
                                            "f": "0b101", "g": ".nan", "h": "-.inf", "i": "1:30.5",
                                            "j": Decimal("5000.50")}


def test_keys_given_twice_are_each_reported_at_their_line_with_the_file_read_all_the_same():
    with pytest.raises(yamlsafe.DuplicateKeys) as caught:
        yamlsafe.loads_yaml("a: 1\nb: {c: 1, c: 2}\na: 3\n")
    twice = caught.value
    assert twice.document == {"a": 3, "b": {"c": 2}} and twice.lines["a"] == 3  # YAML keeps the last: its line
    assert [(str(p), p.line, p.key) for p in twice.problems] == [
        ("the key 'b.c' is given twice (lines 2 and 2); keep one", 2, "b.c"),
        ("the key 'a' is given twice (lines 1 and 3); keep one", 3, "a")]
    assert isinstance(twice, yamlsafe.YamlProblem) and (twice.line, twice.key) == (2, "b.c")


@pytest.mark.parametrize("libyaml", [True, False])
def test_half_a_character_escaped_in_the_config_is_refused_at_its_line_not_a_traceback_when_written__spec_9(
        monkeypatch, libyaml):
    """A `"\\ud800"` escape reads as a lone surrogate, which no workbook or CSV can hold: a label or a year with
    one had stopped allocate with 'failed unexpectedly (UnicodeEncodeError)' once the inputs were read."""
    if not libyaml:
        monkeypatch.setattr(yamlsafe, "_CLoader", None)
    with pytest.raises(yamlsafe.YamlProblem) as caught:
        yamlsafe.loads_yaml('year: "2013-14"\nformula:\n  elements:\n    - {name: a, label: "Lump \\ud800 sum"}\n')
    assert (caught.value.line, caught.value.key) == (4, "formula.elements[0].label")
    assert "\\ud800" in str(caught.value) and "write the character itself" in str(caught.value)
    with pytest.raises(yamlsafe.YamlProblem) as key:
        yamlsafe.loads_yaml('"x\\udc00": 1\n')
    assert key.value.line == 1
    assert yamlsafe.loads_yaml('a: "caf\\u00e9 \\U0001F3EB"\n')[0] == {"a": "café 🏫"}
