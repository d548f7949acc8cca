"""A school's return shows each formula element as units × rate = amount, to within a penny (its note
says so): what an auditor given only the return checks by hand (SPEC §1, §6, §11.8)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from builders import run
from senrun.outputs.returns import plan_returns

SCHOOLS = [
    {"school_id": "A", "school_name": "Ashford Primary", "cluster_id": "C1", "ssa": "0.00", "pupils": "100"},
    {"school_id": "B", "school_name": "Bromwell Primary", "cluster_id": "C1", "ssa": "0.00", "pupils": "200"},
    {"school_id": "D", "school_name": "Dunmere Primary", "cluster_id": "C2", "ssa": "0.00", "pupils": "30"},
    {"school_id": "E", "school_name": "Eastling High", "cluster_id": "C2", "ssa": "0.00", "pupils": "70"},
]


def elements_on_returns(tmp_path, **formula) -> dict[str, tuple]:
    result = run(tmp_path, statements=[], schools=SCHOOLS, budget={"pupil_specific_pot": 100000},
                 formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 1000}, formula,
                                       {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
    return {s[1]: s[len(s) - 2] for chunk in plan_returns(result, 10) for s in chunk.schools}


def test_a_per_cluster_elements_units_times_rate_on_a_return_is_its_amount_within_a_penny_spec_11_8(tmp_path):
    for host in ({"name": "host", "basis": "per_cluster", "rate": 2500.5},
                 {"name": "host", "basis": "per_cluster", "share": 0.07}):
        returns = elements_on_returns(tmp_path, **host)
        for school, elements in returns.items():
            for title, basis, units, rate, pence in elements:
                assert rate is not None, (school, title)
                product = Fraction(str(units)) * Fraction(Decimal(rate)) * 100
                assert abs(product - pence) <= 1, (school, title, units, rate, pence)
        # the host's £ per pupil is its cluster's: £2,500.50 over C1's 300 pupils, over C2's 100
        if "rate" in host:
            assert returns["A"][1][3] == "8.335000" and returns["E"][1][3] == "25.005000"
            assert "per cluster" in returns["A"][1][1] and "pupils" in returns["A"][1][1]


def test_the_workings_sheet_tells_an_auditor_how_a_per_cluster_elements_exact_share_is_worked_spec_6_11_8(tmp_path):
    """The Workings sheet's per_cluster rows take their exact share from the cluster's amount, not the element
    total beside them: the sheet says so on that column's header, and only where such an element is used."""
    import io
    import openpyxl

    from senrun.outputs.workbook import PER_CLUSTER_NOTE, workbook_bytes

    def note(**host) -> str | None:
        result = run(tmp_path, statements=[], schools=SCHOOLS, budget={"pupil_specific_pot": 100000},
                     formula={"elements": [host, {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
        sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result)))["Workings"]
        header = [c.value for c in sheet[1]]
        comment = sheet.cell(1, header.index("Exact share (pence)") + 1).comment
        return comment.text if comment else None

    assert note(name="host", basis="per_cluster", rate=2500.5) == PER_CLUSTER_NOTE
    assert note(name="lump_sum", basis="per_school", rate=1000) is None


def test_the_note_under_a_returns_elements_says_a_per_cluster_sum_is_shared_within_each_cluster_spec_11_8(tmp_path):
    """The note had said every element's total is shared among all the authority's schools at once, beside a
    per_cluster element whose £ per unit differs from cluster to cluster (each cluster's sum, among its schools)."""
    from openpyxl import load_workbook
    import io

    from senrun.outputs.returnbook import build_chunk

    def note(**element) -> str:
        result = run(tmp_path, statements=[], schools=SCHOOLS, budget={"pupil_specific_pot": 100000},
                     formula={"elements": [{"name": "lump_sum", "basis": "per_school", "rate": 1000}, element,
                                           {"name": "per_pupil", "basis": "pupils", "remainder": True}]})
        [(_, data), *_] = build_chunk(next(plan_returns(result, 10)))
        cells = [c for row in load_workbook(io.BytesIO(data))["Return"].iter_rows(values_only=True) for c in row]
        text = " ".join(c for c in cells if isinstance(c, str))  # (a long note is written on several rows)
        return text[text.index("Units × rate = amount"):]

    within = note(name="host", basis="per_cluster", rate=2500.5)
    assert "shared among all the authority's schools at once, but a sum per cluster is shared within each cluster, " \
           "among its schools" in within
    assert "within each cluster" not in note(name="host", basis="per_school", rate=10)
