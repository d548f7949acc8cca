"""Last year's psf.csv (the register, SPEC §11.4) saved again by a spreadsheet."""

from __future__ import annotations

import hashlib
import json

from senrun.register import read_register
from test_register import U1, last_year, left


def test_a_register_saved_as_excels_unicode_text_tab_separated_utf_16_is_read_as_senrun_wrote_it__spec_11_4(tmp_path):
    path = last_year(tmp_path, left(), {"upn": "E801200005002"})
    wrote = read_register(path).histories.drop("_hash", strict=False)
    text = path.read_text(encoding="utf-8").replace(",", "\t").replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-16"))
    again = read_register(path).histories.drop("_hash", strict=False)
    assert again.select("upn", "stopped", "last_paid").rows() == wrote.select("upn", "stopped", "last_paid").rows()


def test_a_register_with_a_line_copied_says_lines_were_added_not_deleted__spec_11_4(tmp_path):
    path = last_year(tmp_path, left(), {"upn": "E801200005002"})
    manifest = {"files": {"psf.csv": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}, "rows": {"psf": 2}}
    (path.parent / "manifest.json").write_text(json.dumps(manifest))
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    [changed] = read_register(path).notes
    assert changed.code == "register_changed" and "3 lines where senrun wrote 2" in changed.message
    assert "copied or added" in changed.message and "deleted" not in changed.message
    assert U1 not in changed.message
