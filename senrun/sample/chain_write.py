"""Writing one year of the sample chain: its inputs, its `senrun.yaml` and its planted.csv."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..money import pounds
from .chain_tables import KINDS, YearTables
from .oracle import POLICY_START, History, Period
from .write import FUNDING_TEMPLATE, write_census, write_xlsx

CONFIG = """\
# senrun configuration for year {label} of a synthetic {scale}-scale chain (seed {seed}),
# written by `senrun sample --years`.  Run the years in order, each with the one before:
#   senrun allocate --config {label}/senrun.yaml --out {label}/out \\
#       --register <last year>/out --previous <last year>/out/schools.csv
year: "{label}"
period: {{start: {start}, end: {end}}}     # the financial year
census_date: {census}                          # the January census
policy: {{start: 2012-09-01}}                      # the cluster model began (FAQ 2-3)
prorate: months
missing_from_census: cease
transfer: ends
census_move_tolerance_days: 31                   # a trial managed move just after census day (SPEC §11.6)
delegation: {delegation}                         # FAQ 18, 27: devolved in 2012-13, delegated from 2013
diff: {{flag_pct: 10}}
phases: {{nursery: [-2, -1], primary: [0, 6], secondary: [7, 11], post16: [12, 13]}}
{reinstate}
budget:
  sen_total: "{sen_total}"  # = ssa_total + pupil_specific_pot
  ssa_total: "{ssa_total}"  # the sum of the schools' SSA column
  pupil_specific_pot: {pot}  # held for the chain: about 1.05 x the first year's annual PSF

""" + FUNDING_TEMPLATE + """
inputs:
  schools:
    path: schools.xlsx
    sheet: Schools
    columns: {{"DfE Number": school_id, "School Name": school_name, "Cluster Code": cluster_id,
              "Cluster Name": cluster_name, "Phase": phase, "School Specific Allocation": ssa,
              "SEN Need Index": need_index, "Opened": opened, "Closed": closed,
              "Successor DfE": successor_id, "In Formula": in_formula, "Pupils Override": pupils_override}}
  census:
    path: census.csv
    columns: {{UPN: upn, LAEstab: school_id, DOB: date_of_birth, NCyearActual: nc_year_taught,
              SENprovision: sen_provision, FSMeligible: fsm, EnrolStatus: enrol_status}}
  statements:
    path: statements.xlsx
    sheet: Statements
    columns: {{"Pupil UPN": upn, "Date of Birth": date_of_birth, "Statement Date": statement_date,
              "PSF School (DfE)": school_id, "Annual PSF": annual_amount,
              "Funding Stream": stream, "Ceased Date": ceased_date,
              "Effective Date": effective_date, "Event": event}}
  moves:
    path: moves.xlsx
    sheet: Moves
    columns: {{UPN: upn, "From School (DfE)": from_school_id, "To School (DfE)": to_school_id,
              "Date of Move": move_date, "Move Type": reason}}
  links:
    path: links.csv
    columns: {{"DfE Number": school_id, "Link DfE Number": successor_id, "Link Type": link_type,
              "Link Established Date": link_date}}
"""


def write_year(folder: Path, t: YearTables, planted: pl.DataFrame, p: Period, pot: int,
               histories: list[History], scale: str, seed: int) -> None:
    """Write the year's inputs, planted.csv and senrun.yaml into `folder`."""
    from .generate import SCALES

    folder.mkdir(parents=True, exist_ok=True)
    write_xlsx(folder / "schools.xlsx", "Schools", t.schools, KINDS["schools"])
    write_xlsx(folder / "statements.xlsx", "Statements", t.statements, KINDS["statements"])
    write_xlsx(folder / "moves.xlsx", "Moves", t.moves, KINDS["moves"])
    t.links.with_columns(pl.col("Link Established Date").dt.strftime("%d/%m/%Y")).write_csv(folder / "links.csv")
    write_census(folder, "xlsx", t.census)
    planted.write_csv(folder / "planted.csv")
    ssa = int(t.schools["School Specific Allocation"].sum())
    scale_p = SCALES[scale]
    back = [h for h in histories if h.reinstate_in == p.label]
    reinstate = "reinstate:                                       # children paid again (SPEC §11.4)\n" + "".join(
        f'  - {{upn: {h.upn}, stream: {h.stream}, reason: "census return corrected: on roll all year"}}\n'
        for h in back) if back else ""
    text = CONFIG.format(label=p.label, scale=scale, seed=seed, start=p.start, end=p.end, census=p.census_date,
                         delegation="devolved" if p.start < POLICY_START else "delegated", reinstate=reinstate,
                         sen_total=pounds(ssa + pot * 100), ssa_total=pounds(ssa), pot=pot,
                         aux=scale_p.auxiliary_aids, host=scale_p.cluster_host)
    (folder / "senrun.yaml").write_text(text, encoding="utf-8")
