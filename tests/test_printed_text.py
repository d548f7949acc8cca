"""What the printed workbooks say, read as a Forum member, a cluster lead and a school business
manager read them (SPEC §6, §11.8): every figure shown as it is, and every label true to the rules."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from senrun.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "senrun.yaml"


def _senrun(*args: str) -> None:
    result = CliRunner().invoke(app, [*args, "-q"] if args[0] == "allocate" else list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def la(tmp_path_factory) -> Path:
    """The committed sample's outputs, with its cluster packs."""
    out = tmp_path_factory.mktemp("la") / "out"
    _senrun("allocate", "--config", str(CONFIG), "--out", str(out), "--no-returns", "--packs")
    return out


@pytest.fixture(scope="module")
def protected(tmp_path_factory) -> Path:
    """The demo chain's second year against its first, with `formula.protection` set (SPEC §11.8)."""
    chain = tmp_path_factory.mktemp("chain")
    _senrun("sample", "--scale", "demo", "--years", "2013-14:2014-15", "--out", str(chain))
    first, second = chain / "2013-14", chain / "2014-15"
    _senrun("allocate", "--config", str(first / "senrun.yaml"), "--out", str(first / "out"), "--no-returns")
    text = (second / "senrun.yaml").read_text(encoding="utf-8")
    assert "  pupils: {nc_years: [0, 11]}\n" in text
    text = text.replace("  pupils: {nc_years: [0, 11]}\n",
                        "  pupils: {nc_years: [0, 11]}\n  protection: {floor_pct: -2}\n")
    (second / "protected.yaml").write_text(text, encoding="utf-8")
    _senrun("allocate", "--config", str(second / "protected.yaml"), "--out", str(second / "out"),
            "--register", str(first / "out"), "--previous", str(first / "out" / "schools.csv"))
    return second / "out"


def shown_one_place(value: float, number_format: str) -> str:
    """The text Excel shows for a per cent held unscaled (14.3 is 14.3%) under a `0.0…"%"` format."""
    places = number_format.split('"')[0].partition(".")[2].count("0")
    return f"{value:.{places}f}%"


def test_a_cluster_packs_send_profile_shows_each_per_cent_to_the_one_place_it_is_rounded_to__faq_12(la):
    """4 of 28 pupils is 14.2857%: rounded to one place it is 14.3%, and shown as 14.30% it reads as a
    figure to two places that is wrong in the second (14.29%)."""
    checked = 0
    for pack in sorted((la / "clusters").glob("*.xlsx"))[:5]:
        ws = openpyxl.load_workbook(pack)["SEND profile"]
        heads = [c.value for c in ws[2]]
        for row in ws.iter_rows(min_row=3):
            pupils = row[heads.index("Pupils")].value
            for i, head in enumerate(heads):
                if not (head or "").endswith("(%)") or row[i].value is None:
                    continue
                count = row[i - 1].value
                exact = Fraction(count * 100, pupils)
                tenths = (exact * 10 + Fraction(1, 2)) // 1  # half away from zero (counts are not negative)
                assert shown_one_place(row[i].value, row[i].number_format) == f"{tenths / 10:.1f}%", (
                    pack.name, row[1].value, head, row[i].number_format)
                checked += 1
    assert checked


def test_the_protection_element_is_titled_protection_on_the_summary_and_every_return_as_its_column_is__spec_11_8(
        protected):
    book = openpyxl.load_workbook(protected / "allocations.xlsx")
    summary = [row[0] for row in book["Summary"].iter_rows(values_only=True)]
    assert "Protection" in summary and "protection" not in summary
    assert "Protection (£)" in [c.value for c in book["Schools"][1]]
    returns = sorted((protected / "returns").glob("*.xlsx"))
    assert returns
    for path in returns:
        labels = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
        assert "protection" not in labels
    workings = {row[2] for row in book["Workings"].iter_rows(min_row=2, values_only=True)}
    assert "protection" not in workings


def test_a_statement_issued_on_the_day_the_cluster_model_began_is_said_to_be_post_policy__spec_3_rule_2_faq_3(la):
    """SPEC §3 rule 2: a statement issued on or after `policy.start` generates no funding (FAQ 3, 7:
    "from September 2012"); the Released sheet must not say only "after"."""
    ws = openpyxl.load_workbook(la / "allocations.xlsx")["Released"]
    [words] = [row[0] for row in ws.iter_rows(values_only=True) if str(row[0]).startswith("post_policy_statement")]
    assert "on or after" in words
    assert "on or after" in ws["E1"].comment.text


def test_a_three_tier_councils_workbooks_name_no_primary_or_secondary_phase__spec_2_phases_and_11_9(tmp_path):
    """SPEC §2: a council with middle schools configures its own phases; §11.9: every workbook gives a
    reason in words.  A child of a first school whose PSF ended at Year 4 is not said to have reached
    the "end of primary", a phase this council does not have."""
    from senrun.outputs import write_outputs
    from tests.builders import run, statement

    three = {"nursery": [-2, -1], "first": [0, 4], "middle": [5, 8], "upper": [9, 13]}
    schools = [{"school_id": "F", "school_name": "Alnwick First", "cluster_id": "C1", "ssa": "0", "pupils": "90"},
               {"school_id": "M", "school_name": "Alnwick Middle", "cluster_id": "C1", "ssa": "0", "pupils": "80"}]
    result = run(tmp_path, statements=[statement("A800999912500", "2004-03-10", school="F", annual="6000.00")],
                 schools=schools, phases=three)
    out = write_outputs(result, tmp_path / "out", returns=False, packs=True)
    said = [str(v) for name in ("allocations.xlsx", "pupils.xlsx", "clusters/C1.xlsx")
            for sheet in openpyxl.load_workbook(out / name).worksheets
            for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any(s.startswith("phase_end: ") for s in said)
    assert not [s for s in said if "primary" in s.lower() or "secondary" in s.lower()]


def test_the_send_profile_names_each_phase_as_the_config_spells_it__spec_2_phases_faq_12():
    """SPEC §2: the council names its phases (`KS2-3`, `Upper (Y9-Y13)`); FAQ 12's SEND profile shows
    them by those names, with a capital first letter for a name typed in lower case, and never
    lowers the rest ("Ks2-3", "Upper (y9-y13)")."""
    from senrun.outputs.clusterpack import rows_of

    rows = [("KS2-3", 10, 1, 2, None), ("Upper (Y9-Y13)", 10, 1, 2, None), ("post16", 10, 1, 2, None)]
    assert [r[0] for r in rows_of(rows, 1)] == ["KS2-3", "Upper (Y9-Y13)", "Post16"]
