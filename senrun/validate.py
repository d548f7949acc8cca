"""The core of `senrun validate`: every check and a dry allocation, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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

    def summary(self, personal: bool = False) -> dict:
        """The JSON report's fields beside the issues (docs/validate.schema.json).  Without `personal`
        (`--show-personal-data`), each accepted or expired issue is hidden as the issues are (a child's UPN
        or date of birth as `[hidden]`), and so is an entry's `upn:`."""
        out = {"ok": not self.errors, "dry_run_totals_pence": self.totals}
        if self.accepted is not None:
            a = self.accepted

            def shown(issue: Issue, entry) -> dict:
                if not personal:
                    issue, entry = issue.hidden(), entry.hidden()
                return {"issue": issue.to_dict(), "acceptance": entry.to_dict()}

            out.update({"accepted_warnings": len(a.accepted),
                        "accepted": [shown(i, e) for i, e in a.accepted],
                        "expired": [shown(i, e) for i, e in a.expired],
                        "unused_acceptances": [(e if personal else e.hidden()).to_dict() for e in a.unused]})
        return out


def acceptances(cfg, accept_file: Path | None) -> tuple | None:
    """The accepted warnings in force: the config's `accept:` (a list, or a file) and `--accept FILE`,
    each entry with its file's name and line; None when there are none at all."""
    from .accept import located
    from .config.loader import load_accept_file, read_config_file

    def from_file(path: Path) -> tuple:
        entries = load_accept_file(path)
        raw, lines, _ = read_config_file(Path(path), "accept")  # the lines of a file just read whole, for where each entry is
        return located(entries, Path(path).name, lines, "accept" if isinstance(raw, dict) else "")

    entries, any_given = [], False
    if cfg is not None and cfg.accept is not None:
        any_given = True
        entries += list(from_file(cfg.accept) if isinstance(cfg.accept, Path) else
                        located(tuple(cfg.accept), cfg.path.name, cfg.lines, "accept"))
    if accept_file is not None:
        any_given = True
        entries += list(from_file(accept_file))
    return tuple(entries) if any_given else None


def _previous_read(result, previous: Path, register: Path | None, snap=None) -> list[Issue]:
    """What `allocate --previous` would say of last year's file, read once as it reads it (its bytes `snap` where
    the floor has read them): whether it is last year's, and a file allocate would refuse (not a schools table, a
    totals row) fails validate too."""
    from .yearly.diff import diff_against, few_in_common, previous_snapshot, previous_year_issues

    try:
        snap = snap or previous_snapshot(previous)
    except SenrunError as exc:
        return previous_year_issues(result.config, previous, register) + list(exc.issues)
    told = previous_year_issues(result.config, previous, register, snap)
    try:
        return told + few_in_common(diff_against(result, previous, snap), previous)
    except SenrunError as exc:
        return told + list(exc.issues)


def _previous_config_read(result, previous_config: Path, previous: Path | None = None) -> list[Issue]:
    """What `allocate --previous-config` would meet in last year's config and inputs (it re-runs last year to
    say why each total changed): a problem there stops the run, so it fails the check too."""
    from .yearly.attribution import from_last_years_config

    try:
        return from_last_years_config(result, previous_config, None, previous)[2]
    except SenrunError as exc:
        return list(exc.issues)


def run_validation(config_path: Path, accept_file: Path | None = None, today=None,
                   register: Path | None = None, previous: Path | None = None,
                   previous_config: Path | None = None) -> ValidationReport:
    """Load the config, read and check the inputs (and last year's register), and allocate dry;
    collect every issue, and sort the warnings against the accepted ones (the config's `accept:`
    and `accept_file`).  With `formula.protection`, the floor is applied from `previous` (last
    year's schools.csv or allocations.xlsx) when given, else left out with a warning."""
    from .accept import kind_issues, sort_issues
    from .pipeline import allocate, load_checked_config

    report, cfg, entries, last = ValidationReport(), None, None, None
    try:
        cfg = load_checked_config(config_path)
        entries = acceptances(cfg, accept_file)  # a bad accept file is reported like a bad config
        from .yearly.diff import floor_previous, floor_snapshot

        last = floor_snapshot(cfg, previous)
        result = allocate(cfg, register=register, previous=floor_previous(cfg, previous, last),
                          floor_needs_previous=False)
    except SenrunError as exc:
        report.issues = list(exc.issues) + kind_issues(entries or ())
        if entries is not None:
            # stopped on errors, some checks did not run: an entry that matched nothing is not known to be
            # unused (told "tidy it away", an officer would lose warnings that come back the next night)
            report.accepted = replace(sort_issues(report.issues, entries, today), unused=[])
        return report
    from .history import recorded_as_new
    from .outputs.writer import file_name_problems  # (what allocate would stop at writing its files: SPEC §6)
    last_year = _previous_read(result, previous, register, last) if previous is not None else []
    if previous_config is not None:
        last_year += _previous_config_read(result, previous_config, previous)
    report.issues = (list(result.issues) + last_year + recorded_as_new(result) + file_name_problems(result)
                     + kind_issues(entries or ()))
    if entries is not None:
        report.accepted = sort_issues(report.issues, entries, today)
    t = result.totals
    report.totals = {"pupil_specific_pot": t.pupil_specific_pot, "continuing_psf": t.continuing_psf,
                     "topslices": t.topslices_total, "cluster_pot": t.cluster_pot,
                     "released_psf": t.released_psf, "identity_holds": t.identity_holds}
    return report
