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
    accepted: object = None  # senrun.accept.Sorted when a list of accepted warnings is in force

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

    @property
    def shown(self) -> list[Issue]:
        """The issues to list: all of them, less the accepted warnings (expired ones stay)."""
        return self.issues if self.accepted is None else self.accepted.issues

    def summary(self) -> dict:
        """The JSON report's fields beside the issues (docs/validate.schema.json)."""
        out = {"ok": not self.errors, "dry_run_totals_pence": self.totals}
        if self.accepted is not None:
            a = self.accepted
            out.update({"accepted_warnings": len(a.accepted),
                        "accepted": [{"issue": i.to_dict(), "acceptance": e.to_dict()} for i, e in a.accepted],
                        "expired": [{"issue": i.to_dict(), "acceptance": e.to_dict()} for i, e in a.expired],
                        "unused_acceptances": [e.to_dict() for e in a.unused]})
        return out


def acceptances(cfg, accept_file: Path | None) -> tuple | None:
    """The accepted warnings in force: the config's `accept:` (a list, or a file) and `--accept FILE`;
    None when there are none at all."""
    from .config.loader import load_accept_file

    entries, any_given = [], False
    if cfg is not None and cfg.accept is not None:
        any_given = True
        entries += list(load_accept_file(cfg.accept) if isinstance(cfg.accept, Path) else cfg.accept)
    if accept_file is not None:
        any_given = True
        entries += list(load_accept_file(accept_file))
    return tuple(entries) if any_given else None


def run_validation(config_path: Path, accept_file: Path | None = None, today=None,
                   register: Path | None = None, previous: Path | None = None) -> ValidationReport:
    """Load the config, read and check the inputs (and last year's register), and allocate dry;
    collect every issue, and sort the warnings against the accepted ones (the config's `accept:`
    and `accept_file`).  With `formula.protection`, the floor is applied from `previous` (last
    year's schools.csv or allocations.xlsx) when given, else left out with a warning."""
    from .accept import sort_issues
    from .config.loader import load_config
    from .pipeline import allocate

    report, cfg, entries = ValidationReport(), None, None
    try:
        cfg = load_config(config_path)
        entries = acceptances(cfg, accept_file)  # a bad accept file is reported like a bad config
        from .yearly.diff import floor_previous

        result = allocate(cfg, register=register, previous=floor_previous(cfg, previous), floor_needs_previous=False)
    except SenrunError as exc:
        report.issues = list(exc.issues)
        if entries is not None:
            report.accepted = sort_issues(report.issues, entries, today)
        return report
    from .history import recorded_as_new

    report.issues = list(result.issues) + recorded_as_new(result)
    if entries is not None:
        report.accepted = sort_issues(report.issues, entries, today)
    t = result.totals
    report.totals = {"pupil_specific_pot": t.pupil_specific_pot, "continuing_psf": t.continuing_psf,
                     "topslices": t.topslices_total, "cluster_pot": t.cluster_pot,
                     "released_psf": t.released_psf, "identity_holds": t.identity_holds}
    return report
