"""What the docs say senrun accepts and gives is what it accepts and gives: every problem code of
docs/validate.md against every code senrun writes, and every config key of docs/config.md against the
keys the config loader declares; the library names the docs give (`senrun.yearly.diff.largest_movers`, the
code names of docs/rules.md) against the code, and the messages docs/inputs.md quotes against what senrun
prints of a child. (Each test reads text and declarations only: no run.)"""

from __future__ import annotations

import re
from pathlib import Path

from senrun.accept import ERROR_KINDS, WARNING_KINDS

ROOT = Path(__file__).resolve().parents[1]
VALIDATE = (ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
CONFIG = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Words in backticks within the codes' paragraphs that are not codes: the columns, keys and reasons
#: a code's description names.
NOT_CODES = {"annual_amount", "census_date", "closed", "cluster_id", "kind", "link_date", "link_type", "opened",
             "school_closed", "sen_total", "severity", "ssa_total"}

#: Where senrun writes a problem's code: `.error("code"`, `.warn("code"`, `Issue("code"` (or a constant of
#: the module, `Issue(PREVIOUS, …`), and register.py's `_each(frame, "code"`.
_WRITES = re.compile(r"""(?:\.(?:error|warn)\(|\bIssue\(|_each\([^,()]+,)\s*(?:f?"([a-z_{}]+)"|([A-Z][A-Z_]+)\b)""")


def _documented() -> tuple[set[str], set[str], set[str]]:
    """The codes docs/validate.md lists ("Codes: …" to the schema's line), and of them those its last
    paragraph names as warnings and as errors."""
    listed = VALIDATE[VALIDATE.index("Codes: `config`"):VALIDATE.index("The report's exact shape")]
    others = listed[listed.index("The other codes"):]
    warnings, errors = others[others.index("warnings `"):others.index("errors `")], others[others.index("errors `"):]
    codes = [set(re.findall(r"`([a-z_]+)`", text)) - NOT_CODES for text in (listed, warnings, errors)]
    return codes[0], codes[1], codes[2]


def _written() -> set[str]:
    """Every code senrun's source writes (an f-string's `upn_{status}` read as its three statuses)."""
    found = set()
    for path in (ROOT / "senrun").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in _WRITES.finditer(text):
            code = m.group(1) or m.group(2)
            if code.isupper():
                constant = re.search(rf'^{code}\s*=\s*"([a-z_]+)"', text, re.M)
                if constant is None:  # imported: CONFIG, ERROR…, checked where it is defined
                    continue
                code = constant.group(1)
            found |= ({code.replace("{status}", s) for s in ("bad_letter", "malformed", "temporary")}
                      if "{" in code else {code})
    return found | {"census_not_in_census", "census_casual_move", "config"}  # pipeline.py: census_{finding}


def test_every_code_validate_md_lists_is_a_code_senrun_gives_and_every_code_it_gives_is_listed__spec_8():
    """docs/validate.md's codes are the report's `code` a script or an accept entry's `kind` names: one listed
    that senrun never gives would be waited for in vain, and one given but not listed is not explained."""
    listed, _, _ = _documented()
    assert listed - (WARNING_KINDS | ERROR_KINDS) == set(), "listed in docs/validate.md, given by no check"
    assert (WARNING_KINDS | ERROR_KINDS) - listed == set(), "given, but not listed in docs/validate.md"
    assert WARNING_KINDS & ERROR_KINDS == set()


def test_every_code_senrun_writes_is_a_known_warning_or_error_kind_as_docs_validate_md_lists_them__spec_8():
    """A code written by a check but missing from accept.py's kinds is told, in an accept entry, to be "not a
    kind of warning senrun gives" (an error stopping every command) rather than an error's code."""
    written = _written()
    assert len(written) > 60
    assert written - (WARNING_KINDS | ERROR_KINDS) == set()


def test_the_other_codes_validate_md_calls_warnings_are_warnings_and_those_it_calls_errors_are_errors__spec_8():
    _, warnings, errors = _documented()
    assert warnings - WARNING_KINDS == set() and errors - ERROR_KINDS == set()
    assert len(warnings) > 20 and len(errors) > 8


def test_an_accept_entry_naming_the_code_of_a_return_file_clash_is_told_errors_are_never_accepted__spec_6():
    """`file_name` (two schools whose ids would share a return file, SPEC §6) is an error: an entry naming it
    accepts nothing and is a warning saying so (docs/validate.md), not refused as a kind senrun never gives."""
    from senrun.accept import check_entries, kind_issues

    said = []
    entries = check_entries([{"kind": "file_name", "all": True, "reason": "known", "until": "2999-01-01"}], "accept",
                            lambda *args, **kwargs: said.append(args))
    assert said == [] and [e.kind for e in entries] == ["file_name"]
    assert ["errors are never accepted" in i.message for i in kind_issues(entries)] == [True]


def _keys_documented(heading: str, end: str) -> set[str]:
    """The key names in the first column of docs/config.md's table under `heading`."""
    table = CONFIG[CONFIG.index(heading):CONFIG.index(end)]
    return {key for row in table.splitlines() if row.startswith("| `")
            for key in re.findall(r"`([a-z_.]+)`", row.split("|")[1])}


def _keys_declared(spec: dict, prefix: str = "") -> set[str]:
    """Every key path the loader declares: a mapping's keys by path, an input's (`inputs.census`) whole."""
    out = set()
    for key, (kind, _) in spec.items():
        path = prefix + key
        out |= _keys_declared(kind, path + ".") if isinstance(kind, dict) and path != "inputs" else {path}
    return out - {"inputs"} | ({f"inputs.{name}" for name in spec["inputs"][0]} if "inputs" in spec else set())


def test_every_config_key_config_md_documents_is_one_the_loader_accepts_and_every_accepted_key_is_documented__spec_9():
    from senrun.config.keys import _ELEMENT, _INPUT, SPEC

    assert _keys_documented("## Every key", "### A formula element") == _keys_declared(SPEC)
    assert _keys_documented("### A formula element", "Exactly one of") == set(_ELEMENT)
    assert _keys_documented("### An input", "## Values") == set(_INPUT)


def _explain_fields(marker: str) -> list[str]:
    """docs/explain.md's field list after `marker` ("`--school`: "), its first code span, as top-level
    names (a field's own fields, `ssa{amount,text}` or `children[…]`, left out)."""
    doc = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    text = doc[doc.index(marker) + len(marker):]
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text[1:text.index("`", 1)].replace("`", "").replace("\n", " "))
    return [name.strip() for name in text.split(",")]


def test_the_fields_of_explain_json_are_those_docs_explain_md_lists_in_its_order(tmp_path):
    """SPEC §7: explain shows how one school's or one child's figures were reached; a script reads its
    JSON by the names docs/explain.md gives (`notes` had been left out of the list)."""
    from builders import pupil, statement, write_run
    from senrun.config.loader import load_config
    from senrun.yearly.explain import explain_school, explain_upn, run_for_explain

    upn = "B801200005001"
    path = write_run(tmp_path, statements=[statement(upn, "2005-05-05", school="A")],
                     census=[pupil(upn, "A", "2005-05-05")])
    result, psf, inputs = run_for_explain(load_config(path))
    assert list(explain_school(result, "A")) == _explain_fields("- `--school`: ")
    assert list(explain_upn(result, psf.rows, upn, None)) == _explain_fields("- `--upn`: ")


def _dotted_names() -> list[tuple[str, str]]:
    """(page, name) of every `senrun.module.name` in backticks in the README and docs (a call's
    arguments left off; `senrun.yaml`, `senrun.exe`, the file names, left out)."""
    found = []
    for path in DOCS:
        for name in re.findall(r"`(senrun(?:\.[A-Za-z_]\w*)+)", path.read_text(encoding="utf-8")):
            if name not in ("senrun.yaml", "senrun.exe"):
                found.append((path.name, name))
    return found


def test_every_senrun_module_or_function_the_docs_name_by_its_dotted_path_is_there():
    """docs/diff.md named `senrun.diff.largest_movers` after the diff had moved to `senrun.yearly.diff`: a
    council's script written from the page failed on its import."""
    import importlib

    names = _dotted_names()
    assert any(n == "senrun.yearly.diff.largest_movers" for _, n in names)
    missing = []
    for page, name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                target = getattr(target, attr, None)
            if target is None:
                missing.append(f"{page}: {name}")
            break
        else:
            missing.append(f"{page}: {name}")
    assert missing == []


def test_a_message_docs_inputs_md_quotes_hides_a_childs_date_of_birth_or_upn_as_senrun_prints_it__security():
    """docs/security.md: a message never prints a child's UPN or date of birth without
    `--show-personal-data`; docs/inputs.md quoted `Date of Birth: "31/02/2006"`, which senrun prints
    as `"[hidden]"`."""
    text = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
    quoted = [line for line in text.splitlines() if re.match(r"\s*(error|warning): ", line)]
    assert len(quoted) >= 3
    personal = [line for line in quoted if re.search(r"› (Date of Birth|DOB|UPN|Pupil UPN): \"", line)]
    assert personal and all(': "[hidden]"' in line for line in personal), personal


def test_every_name_the_how_column_of_docs_rules_md_gives_is_a_name_in_senruns_source():
    """docs/rules.md says where each rule is coded; it named the history number `_history`, which the
    code calls `_history_id`, so a reader looking for the rule found nothing."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "senrun").rglob("*.py"))
    words = set(re.findall(r"\w+", source))
    rows = [line for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and line.count("|") >= 4]
    names = {name for row in rows for name in re.findall(r"`([a-z_][\w.]*)`", row.split("|")[-2])}
    assert "first_stop" in names
    assert sorted(n for n in names if n.rsplit(".", 1)[-1] not in words) == []
