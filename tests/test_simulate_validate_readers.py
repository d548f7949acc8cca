"""What a reader of validate, simulate, explain and sample is shown: a child's UPN hidden in every
accepted and expired warning, accept entries that accept nothing named where they are written, the
Overview's % of the school it names, scenario hints that name the key to clear, every input a
scenario reads in the manifest, a post-policy statement without a stop date, an exact share
rounded to 4 places, and a seed printed as a number."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from builders import SCHOOLS, pupil, run, statement, write_csv, write_run
from senrun.accept import WARNING_KINDS
from senrun.cli import app
from senrun.config.loader import load_config
from senrun.config.overlay import SetOptionError, scenario_config, sweep_scenarios
from senrun.errors import SenrunError
from senrun.money import round_fraction_half_away
from senrun.yearly.explain import explain_school
from senrun.yearly.simbook import manifest_bytes, overview_frame
from senrun.yearly.simulate import Mover, ScenarioRow, SimulationResult, Summary, simulate

ROOT = Path(__file__).resolve().parents[1]
BAD_LETTER = "B801200005009"  # a wrong check letter: a warning, not an error
HIDDEN = "[hidden]"


# --- validate: accepted and expired warnings ------------------------------------------------

def _warned_run(folder: Path) -> Path:
    """A run whose warnings name a child: a wrong check letter (the UPN in the message and value) and a
    date of birth that differs from the census (both dates in the message)."""
    schools = [{k: v for k, v in row.items() if k != "pupils"} for row in SCHOOLS]
    return write_run(folder, schools=schools, statements=[statement(BAD_LETTER, "2005-05-05", school="B")],
                     census=[pupil(BAD_LETTER, "B", "2005-05-06"), pupil("B801200005001", "A", "2005-01-01"),
                             pupil("E801200005003", "H", "2000-01-01")])


def _accept(folder: Path, text: str) -> Path:
    path = folder / "accept.yaml"
    path.write_text(text)
    return path


PERSONAL = (BAD_LETTER, "05/05/2005", "06/05/2005", "2005-05-05", "2005-05-06")


def test_validate_json_hides_a_childs_upn_and_date_of_birth_in_accepted_and_expired_warnings__decisions_39(tmp_path):
    cfg = _warned_run(tmp_path)
    accept = _accept(tmp_path, f"accept:\n  - {{kind: upn_bad_letter, upn: {BAD_LETTER}, reason: reported, "
                               "until: 2999-12-31}\n  - {kind: dob_differs, all: true, reason: checked, "
                               "until: 2000-01-01}\n")
    out = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--json"]).output
    report = json.loads(out)
    assert {a["issue"]["code"] for a in report["accepted"]} == {"upn_bad_letter"}  # in the census and statements
    assert [a["issue"]["code"] for a in report["expired"]] == ["dob_differs"]
    assert {(a["issue"]["value"], a["acceptance"]["upn"]) for a in report["accepted"]} == {(HIDDEN, HIDDEN)}
    assert [p for p in PERSONAL if p in out] == []
    shown = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--json",
                                     "--show-personal-data"]).output
    assert json.loads(shown)["accepted"][0]["acceptance"]["upn"] == BAD_LETTER
    assert "05/05/2005" in shown


def test_validate_text_lists_expired_acceptances_and_unused_entries_without_a_childs_upn(tmp_path):
    cfg = _warned_run(tmp_path)
    accept = _accept(tmp_path, "accept:\n  - {kind: dob_differs, all: true, reason: checked, until: 2000-01-01}\n"
                               "  - {kind: census_outside, upn: E801200005099, reason: gone, until: 2999-12-31}\n")
    out = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)]).output
    assert "expired on 2000-01-01: dob_differs at statements.csv › row 2" in out
    assert "E801200005099" not in out and [p for p in PERSONAL if p in out] == []
    assert ("not seen this time: accept.yaml › line 3 › accept[1]: census_outside (upn [hidden]) accepted "
            "nothing") in out


def test_validate_names_each_unused_accept_entry_by_its_file_and_line(tmp_path):
    cfg = _warned_run(tmp_path)
    accept = _accept(tmp_path, "accept:\n  - {kind: census_outside, school: S1, reason: gone, until: 2999-12-31}\n"
                               "  - {kind: taught_year, file: census.csv, row: 99, reason: x, until: 2999-12-31}\n")
    out = CliRunner().invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)]).output
    assert "2 accepted warning(s) not seen this time" in out
    assert ("not seen this time: accept.yaml › line 2 › accept[0]: census_outside (school S1) accepted "
            "nothing") in out
    assert ("not seen this time: accept.yaml › line 3 › accept[1]: taught_year (file census.csv, row 99) accepted "
            "nothing") in out


def test_an_accept_entry_in_the_config_is_named_by_the_configs_line(tmp_path):
    cfg = _warned_run(tmp_path)
    cfg.write_text(cfg.read_text() + "accept:\n- {kind: census_outside, school: S1, reason: gone, until: 2999-12-31}\n")
    out = CliRunner().invoke(app, ["validate", "--config", str(cfg)]).output
    line = cfg.read_text().splitlines().index("- {kind: census_outside, school: S1, reason: gone, until: 2999-12-31}")
    assert f"not seen this time: senrun.yaml › line {line + 1} › accept[0]: census_outside (school S1)" in out


@pytest.mark.parametrize("kind, said", [  # a kind that is no code at all is an error: tests/test_accept.py
    ("bad_value", "'bad_value' is a kind of error, and errors are never accepted, so this entry accepts nothing"),
])
def test_an_accept_entry_whose_kind_is_an_errors_code_is_itself_a_warning_at_its_line(tmp_path, kind, said):
    cfg = _warned_run(tmp_path)
    accept = _accept(tmp_path, f"accept:\n  - {{kind: upn_bad_letter, all: true, reason: r, until: 2999-12-31}}\n"
                               f"  - {{kind: {kind}, all: true, reason: r, until: 2999-12-31}}\n")
    runner = CliRunner()
    out = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept)]).output
    assert f"warning: accept.yaml › line 3 › accept[1].kind: {said}" in out
    assert "accept[1]: bad_value" not in out  # not also "not seen this time … (fixed, or the rows moved?)"
    assert "0 accepted warning(s) not seen this time" in out or "not seen this time" not in out
    report = json.loads(runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept),
                                            "--json"]).output)
    flagged = [i for i in report["issues"] if i["column"] == "accept[1].kind"]
    assert [(i["severity"], i["file"], i["row"], i["value"]) for i in flagged] == [("warning", "accept.yaml", 3, kind)]
    strict = runner.invoke(app, ["validate", "--config", str(cfg), "--accept", str(accept), "--strict"])
    assert strict.exit_code == 1  # a nightly check fails until the accept list is put right


#: A warning's code where senrun writes one: `.warn("code"` (or f"upn_{status}", or a constant),
#: `Issue("code", WARNING` and register.py's `_each(frame, "code"`.
_WARN = re.compile(r"""\.warn\(\s*(?:f?"([a-z_{}]+)"|([A-Z_]+))|Issue\("([a-z_]+)",\s*WARNING"""
                   r'|_each\([^,]+,\s*"([a-z_]+)"')


def test_every_warning_code_senrun_writes_is_a_kind_an_accept_entry_may_name():
    found = set()
    for path in (ROOT / "senrun").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in _WARN.finditer(text):
            code = next(g for g in m.groups() if g)
            if code.isupper():  # a constant: its value
                code = re.search(rf'^{code}\s*=\s*"([a-z_]+)"', text, re.M).group(1)
            found |= ({code.replace("{status}", s) for s in ("bad_letter", "malformed", "temporary")}
                      if "{" in code else {code})
    found |= {"census_not_in_census", "census_casual_move"}  # pipeline.py: census_{finding}
    assert found - WARNING_KINDS == set()
    assert len(found) > 30


# --- simulate ---------------------------------------------------------------------------------

def _summary(gain: Mover, gain_pct: Mover, loss: Mover, loss_pct: Mover) -> Summary:
    return Summary(winners=3, losers=1, unchanged=1, cluster_winners=1, cluster_losers=1, largest_gain=gain,
                   largest_loss=loss, largest_gain_pct=gain_pct, largest_loss_pct=loss_pct, money_moved=151631,
                   cluster_pot=6498478, solved=())


def test_the_overviews_largest_gain_and_loss_percent_are_of_the_school_named_beside_them():
    s = _summary(Mover("S3", 86646, 1.81), Mover("S4", 3000, 2.15), Mover("S2", -151631, -4.17),
                 Mover("S5", -100, -9.5))
    sim = SimulationResult(base=None, scenarios=(), rows=(ScenarioRow("need", None, True, s, (), 0),))
    row = overview_frame(sim, ["need"]).row(0, named=True)
    assert (row["largest_gain_school"], row["largest_gain"], row["largest_gain_pct"]) == ("S3", 86646, 1.81)
    assert (row["largest_loss_school"], row["largest_loss"], row["largest_loss_pct"]) == ("S2", -151631, -4.17)


def test_the_overviews_columns_of_a_scenario_that_could_not_run_are_headed_for_it_not_for_psf(tmp_path):
    cfg = write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")])
    done = CliRunner().invoke(app, ["simulate", "--config", str(cfg), "--set", "lump_sum.rate=10,999999999",
                                    "--out", str(tmp_path / "sim")])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(tmp_path / "sim" / "simulate.xlsx", read_only=True)
    header = next(book["Overview"].iter_rows(min_row=4, max_row=4, values_only=True))
    assert header[-3:] == ("Status", "Why it could not run", "Highest affordable")


def test_the_manifest_lists_every_input_a_scenario_reads_with_its_sha256(tmp_path):
    census = [pupil("B801200005001", "A", "2005-01-01"), pupil("E801200005003", "H", "2000-01-01")]
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")], census=census))
    alt = write_csv(tmp_path / "census_alt.csv", census[:1])
    scenarios = [("census2", scenario_config(base, {"inputs": {"census": {"path": "census_alt.csv"}}}, "census2.yaml")),
                 ("same", scenario_config(base, {}, "same.yaml"))]
    manifest = json.loads(manifest_bytes(simulate(base, scenarios), {}))
    swapped, same = manifest["scenarios"]
    assert {i["name"]: (i["path"], i["sha256"]) for i in swapped["inputs"]}["census"] == \
        ("census_alt.csv", hashlib.sha256(alt.read_bytes()).hexdigest())
    assert {i["name"] for i in swapped["inputs"]} == {i["name"] for i in manifest["inputs"]}
    assert "inputs" not in same  # the base's inputs, listed once at the top


def test_a_scenario_giving_a_per_cluster_top_slice_an_amount_is_told_to_clear_per_cluster(tmp_path):
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")],
                                 topslices=[{"name": "cluster_host", "per_cluster": 500}]))
    with pytest.raises(SenrunError) as caught:
        scenario_config(base, {"topslices": [{"name": "cluster_host", "amount": 700}]}, "tskind.yaml", {"topslices": 2})
    message = caught.value.issues[0].message
    assert message.endswith("so clear the one it replaces: add `per_cluster: null` to topslices[0]")
    assert "rate: null" not in message and "remainder" not in message
    scenario_config(base, {"topslices": [{"name": "cluster_host", "amount": 700, "per_cluster": None}]}, "ok.yaml")


def test_a_scenario_changing_an_elements_kind_is_told_which_key_to_clear(tmp_path):
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")]))
    with pytest.raises(SenrunError) as caught:
        scenario_config(base, {"formula": {"elements": [{"name": "per_pupil", "share": Decimal("0.5")}]}}, "k.yaml")
    assert caught.value.issues[0].message.endswith("add `remainder: false` to formula.elements[0]")


def test_a_sweep_that_repeats_a_value_is_a_usage_error_saying_so(tmp_path):
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")]))
    with pytest.raises(SetOptionError, match=r"repeats the value 5000: each value makes one scenario, named by it "
                                             r"\(lump_sum\.rate=5000\), so give each value once"):
        sweep_scenarios(base, ["lump_sum.rate=5000,0,5000"])
    result = CliRunner().invoke(app, ["simulate", "--config", str(tmp_path / "senrun.yaml"),
                                      "--set", "lump_sum.rate=5000,5000"])
    assert result.exit_code == 2 and "file" not in result.output


def test_a_phase_set_to_null_says_how_to_put_back_the_default_phases__docs_simulate(tmp_path):
    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")]))
    with pytest.raises(SenrunError) as caught:
        scenario_config(base, {"phases": {"primary": None}}, "nullphase.yaml", {"phases": 1, "phases.primary": 1})
    assert "write `phases: null` to put back the default phases" in caught.value.issues[0].message
    assert scenario_config(base, {"phases": None, "prorate": None}, "ok.yaml").phases == base.phases


def _set_examples(doc: str) -> list[list[str]]:
    """The --set options of each inline example in the doc (a `…` span with at least one --set)."""
    out = []
    for span in re.findall(r"`([^`]*--set [^`]*)`", doc.replace("\n", " ")):
        words = shlex.split(re.sub(r"\s+", " ", span))
        options = [words[i + 1] for i, w in enumerate(words) if w == "--set" and i + 1 < len(words)]
        if options and all("=" in o and "…" not in o for o in options):
            out.append(options)
    return out


def test_every_set_example_in_the_simulate_doc_makes_valid_scenarios_on_the_sample_config():
    base = load_config(ROOT / "config" / "senrun.yaml")
    examples = _set_examples((ROOT / "docs" / "simulate.md").read_text(encoding="utf-8"))
    assert ["period.start=2014-04-01", "period.end=2015-03-31"] in examples
    for options in examples:
        if options == ["lump_sum.rate=solve"]:  # the form of solve in a sweep; beside a remainder it is an error
            continue
        assert sweep_scenarios(base, options), options


def test_simulate_without_a_terminal_writes_what_the_doc_says(tmp_path):
    cfg = write_run(tmp_path, statements=[statement("B801200005001", "2005-01-01")])
    out = tmp_path / "sim"
    result = CliRunner().invoke(app, ["simulate", "--config", str(cfg), "--set", "lump_sum.rate=20", "--out", str(out)])
    assert result.exit_code == 0
    # (a long temporary path may be wrapped at the console's width: compare the words)
    assert " ".join(result.output.split()) == f"Wrote {out}/ (simulate.xlsx, scenarios.csv, manifest.json)."
    doc = re.sub(r"\s+", " ", (ROOT / "docs" / "simulate.md").read_text(encoding="utf-8"))
    assert "it prints only errors" not in doc
    assert "as `allocate` does, it prints the line naming what it wrote" in doc


# --- explain ----------------------------------------------------------------------------------

def test_explain_school_gives_a_post_policy_statement_no_stop_date_and_words_it_as_explain_upn__spec_3(tmp_path):
    result = run(tmp_path, statements=[statement("B801200005001", "2005-01-01", statement_date="2013-01-01")])
    child = explain_school(result, "A", personal=False)["psf"]["children"][0]
    assert (child["reason"], child["stop_date"], child["amount"]) == ("post_policy_statement", None, 0)
    assert child["text"].endswith("paid nothing = £0.00; post_policy_statement — a statement issued on or after the "
                                  "policy start generates no funding (FAQ 3, 7)")


def test_explain_shows_the_exact_share_to_4_places_rounded_half_away_from_zero__spec_1(tmp_path):
    result = run(tmp_path, statements=[statement("B801200005001", "2005-01-01", statement_date="2013-01-01")])
    per_pupil = next(e for e in explain_school(result, "A", personal=False)["formula"]["elements"]
                     if e["element"] == "per_pupil")
    assert (per_pupil["element_total"], per_pupil["units"], per_pupil["total_units"]) == (99997000, "100", "600")
    assert per_pupil["exact_share_pence"] == "16666166.6667"  # 99,997,000 × 100 / 600 = 16,666,166.666…
    assert "exact share 16666166.6667p, floor 16666166p" in per_pupil["text"]


@pytest.mark.parametrize("basis", ["per_cluster", "per_school"])
def test_every_exact_share_shown_is_the_exact_fraction_rounded_half_away_in_the_workings_and_explain(tmp_path, basis):
    schools = SCHOOLS + [{"school_id": "D", "school_name": "Dene Primary", "cluster_id": "C2", "ssa": "10.00",
                          "pupils": "7"}]
    result = run(tmp_path, schools=schools, statements=[statement("B801200005001", "2005-01-01")],
                 formula={"elements": [{"name": "host", "basis": basis, "rate": 1000.01},
                                       {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    work = result.workings
    for element in ("host", "per_pupil"):
        rows = work.filter(work["element"] == element)
        for school in ("A", "B", "H", "D"):
            w = rows.filter(rows["school_id"] == school).row(0, named=True)
            mates = rows if basis == "per_school" or element == "per_pupil" else rows.filter(
                rows["school_id"].is_in(["D"] if school == "D" else ["A", "B", "H"]))
            shared = sum(mates["amount"]) if element == "host" and basis == "per_cluster" else w["element_total"]
            exact = Fraction(shared) * Fraction(str(w["units"])) / sum(Fraction(str(u)) for u in mates["units"])
            shown = round_fraction_half_away(exact * 10_000)
            assert w["exact_pence"] == f"{shown // 10_000}.{shown % 10_000:04d}", (school, element)
            e = next(x for x in explain_school(result, school, personal=False)["formula"]["elements"]
                     if x["element"] == element)
            assert e["exact_share_pence"] == w["exact_pence"]


# --- sample -----------------------------------------------------------------------------------

def test_sample_prints_its_seed_as_a_plain_number(tmp_path):
    result = CliRunner().invoke(app, ["sample", "--seed", "2013", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "(seed 2013)" in result.output
    assert "2,013" not in result.output and " seed," not in result.output


@pytest.mark.parametrize("overlay, key", [("formula:\n  elements:\n    name: lump\n", "formula.elements"),
                                          ("formula:\n  elements:\n    - basis: pupils\n", "formula.elements[0]")])
def test_a_scenarios_list_without_names_is_an_error_at_its_line_in_the_scenario__spec_7(tmp_path, overlay, key):
    """A scenario's list of elements that is no list, or an item without its name, is told at the scenario's
    own line, as every other scenario problem is."""
    from senrun.config.loader import load_config
    from senrun.config.overlay import load_scenario

    base = load_config(write_run(tmp_path, statements=[statement("B801200005001", "2005-05-05")]))
    scenario = tmp_path / "what-if.yaml"
    scenario.write_text(overlay)
    with pytest.raises(SenrunError) as refused:
        load_scenario(base, scenario)
    [issue] = refused.value.errors
    assert (issue.file, issue.row, issue.column) == ("what-if.yaml", 3, key)
