"""The core of `senrun validate`: every check and a dry allocation, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import Issue, SenrunError
from .money import fmt_gbp


@dataclass
class ValidationReport:
    """Every issue found, and the dry run's totals when it got that far (docs/validate.md)."""

    issues: list[Issue] = field(default_factory=list)
    totals: dict | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def totals_line(self) -> str:
        if not self.totals:
            return ""
        t = self.totals
        return (f"Dry run: pot {fmt_gbp(t['pupil_specific_pot'])} = continuing PSF {fmt_gbp(t['continuing_psf'])} "
                f"+ top-slices {fmt_gbp(t['topslices'])} + cluster pot {fmt_gbp(t['cluster_pot'])}")

    def summary(self) -> dict:
        """The JSON report's fields beside the issues."""
        return {"ok": not self.errors, "dry_run_totals_pence": self.totals}


def run_validation(config_path: Path, register: Path | None = None) -> ValidationReport:
    """Load the config, read and check the inputs (and last year's register), and allocate dry;
    collect every issue."""
    from .config.loader import load_config
    from .pipeline import allocate

    report = ValidationReport()
    try:
        result = allocate(load_config(config_path), register=register)
    except SenrunError as exc:
        report.issues = list(exc.issues)
        return report
    from .history import recorded_as_new

    report.issues = list(result.issues) + recorded_as_new(result)
    t = result.totals
    report.totals = {"pupil_specific_pot": t.pupil_specific_pot, "continuing_psf": t.continuing_psf,
                     "topslices": t.topslices_total, "cluster_pot": t.cluster_pot,
                     "released_psf": t.released_psf, "identity_holds": t.identity_holds}
    return report
