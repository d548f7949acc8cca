"""The config is parsed by libyaml where PyYAML has it, and by PyYAML's own parser otherwise
(config/yamlsafe.py): both give the same values and line map, and a broken file is always
described by PyYAML's parser, in the same words either way."""

from __future__ import annotations

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
