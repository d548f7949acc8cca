"""manifest.json: what was run and what was written, for audit (SPEC §6).

No wall-clock time appears anywhere, so two runs of the same inputs, config and senrun
version give the same manifest byte for byte.
"""

from __future__ import annotations

import json
from collections import Counter

from ..errors import name_text
from ..money import pounds
from ..result import RunResult
from .common import inputs_fingerprint, run_reference, senrun_version


def money(pence: int) -> dict:
    """An amount both ways: integer pence for machines, pounds text for people."""
    return {"pence": int(pence), "pounds": pounds(pence)}


def totals_entry(result: RunResult) -> dict:
    """The money identity and other totals of the run."""
    t = result.totals
    return {
        "pupil_specific_pot": money(t.pupil_specific_pot),
        "continuing_psf": money(t.continuing_psf),
        "topslices": [{"name": name, **money(pence)} for name, pence in t.topslices],
        "topslices_total": money(t.topslices_total),
        "cluster_pot": money(t.cluster_pot),
        "released_psf": money(t.released_psf),
        "ssa_total": money(t.ssa_total),
        "sen_total": money(t.sen_total),
        "identity_holds": t.identity_holds,
    }


def warnings_entry(result: RunResult) -> dict:
    """How many warnings, and how many of each code."""
    codes = Counter(w.code for w in result.warnings)
    return {"count": sum(codes.values()), "by_code": dict(sorted(codes.items()))}


def register_entry(result: RunResult) -> dict:
    """With a register (§11.4): its file and fingerprint, and every reinstatement; nothing without."""
    if result.register is None:
        return {}
    from ..register import reinstated

    reg = result.register
    return {"register": {"path": name_text(reg.path), "sha256": reg.sha256, "histories": reg.histories.height,
                         "reinstated": reinstated(result)}}


def inputs_entry(result: RunResult, previous: dict | None) -> dict:
    """Each input's path, SHA-256 and rows; `--previous` (as `previous`) with its size in bytes too."""
    inputs = {i.name: {"path": i.path, "sha256": i.sha256, "rows": i.rows} for i in result.inputs}
    if previous is not None and "previous" in inputs:
        inputs["previous"]["bytes"] = int(previous["bytes"])
    return inputs


def manifest_bytes(result: RunResult, files: dict[str, tuple[str, int]], rows: dict[str, int],
                   previous: dict | None = None) -> bytes:
    """The manifest: version, year, period, fingerprints, row counts, totals, warnings, files.

    `files` maps each written file's path (with / separators, relative to the output
    folder) to its (sha256, size in bytes); `rows` maps each table to its row count;
    `previous` is `--previous`'s file as read (common.last_years_file), listed among the inputs.
    """
    config = result.config.as_dict()
    body = {
        "senrun_version": senrun_version(),
        "year": str(result.config.year),
        "period": config.get("period"),
        "policy_start": f"{result.config.policy_start:%Y-%m-%d}",
        "config_sha256": result.config_sha256,
        "inputs_sha256": inputs_fingerprint(result),
        "run_reference": run_reference(result),
        "inputs": inputs_entry(result, previous),
        "rows": dict(sorted(rows.items())),
        "totals": totals_entry(result),
        "elements": [
            {"name": e.name, "basis": e.basis, "kind": e.kind, "parameter": e.parameter,
             "units": e.units, "total": money(e.total)}
            for e in result.elements
        ],
        "warnings": warnings_entry(result),
        **register_entry(result),
        "files": files,
    }
    # as json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) writes it, each top-level value dumped
    # on its own: the files (24,057 at England scale) took 0.3-0.6 s through json's indented encoder, written in
    # Python, once the returns were written, with nothing else to do meanwhile
    members = [f"  {json.dumps(key)}: " + (files_json(files) if key == "files" else _dumped(body[key]))
               .replace("\n", "\n  ") for key in sorted(body)]
    return ("{\n" + ",\n".join(members) + "\n}\n").encode("utf-8")


def _dumped(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


#: A str as JSON, as json.dumps(..., ensure_ascii=False) writes it.
_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def files_json(files: dict[str, tuple[str, int]]) -> str:
    """The written files as `_dumped({name: {"sha256": sha, "bytes": size}})` writes them, without json's
    indented encoder going through them value by value (tests/test_outputs.py compares the two)."""
    if not files:
        return "{}"
    text = _TEXT
    return "{\n" + ",\n".join([f'  {text(name)}: {{\n    "bytes": {int(size)},\n    "sha256": {text(sha)}\n  }}'
                               for name, (sha, size) in sorted(files.items())]) + "\n}"
