"""`senrun validate`: the nightly check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .common import (EXISTING_FILE, ConfigOpt, DebugOpt, FloorPreviousOpt, JsonOpt, PersonalOpt, RegisterOpt, console,
                     err_console, fail_usage, handled, print_json)
from .text import escape

QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print nothing when the check passes (cron mails only a failure), and on a failure only "
                          "what fails it: the errors and, under --strict, the warnings not accepted.")]

AcceptOpt = Annotated[Optional[Path], typer.Option(
    "--accept", help="A YAML list of known warnings (kind, upn/school/row, reason, until): accepted ones are "
                     "listed apart and do not fail --strict until their date passes (docs/validate.md).",
    callback=EXISTING_FILE, show_default=False)]
DraftOpt = Annotated[Optional[Path], typer.Option(
    "--draft-accept", help="Write today's warnings as a draft accept file to FILE, to review and give reasons "
                           "(a new file: an existing one is never replaced).",
    dir_okay=False, show_default=False)]


@app.command()
def validate(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    strict: Annotated[bool, typer.Option("--strict", help="New warnings count as errors (exit 1).")] = False,
    register: RegisterOpt = None,
    previous: FloorPreviousOpt = None,
    previous_config: Annotated[Optional[Path], typer.Option(
        "--previous-config", help="Last year's config, as allocate --previous-config takes it: checked, with last "
        "year's inputs, as the run will read them.", callback=EXISTING_FILE, show_default=False)] = None,
    accept: AcceptOpt = None,
    draft_accept: DraftOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    show_personal: PersonalOpt = False,
) -> None:
    """Check every input and the config, and run the allocation dry; write nothing.

    Exit 0 with no errors (warnings allowed), 1 with errors (--strict: new warnings too), 2 for
    usage errors.  Warnings accepted with --accept FILE or `accept:` in the config are listed
    apart; with --strict only new ones, or ones whose acceptance has expired, fail.
    For cron, nightly:  [bold]senrun validate --config config/senrun.yaml --accept config/accepted-warnings.yaml --strict --quiet[/]

    Every problem is listed with its file, sheet, row (as Excel shows it) and column.
    """
    from .render import show_personal_data

    if draft_accept is not None and os.path.lexists(draft_accept):
        fail_usage(f"--draft-accept {draft_accept}: the file exists, and a draft never replaces a file (it may be "
                   "the config, an input or a reviewed accept list); choose a new name, or delete the old draft first")
    if draft_accept is not None and not draft_accept.absolute().parent.is_dir():
        fail_usage(f"--draft-accept {draft_accept}: the folder {draft_accept.parent} does not exist; make it first, "
                   "or write the draft beside the config")
    show_personal_data(show_personal)
    from ..validate import run_validation
    from .render import issues_json, print_issues

    with handled(debug, as_json):
        report = run_validation(config, accept, register=register, previous=previous, previous_config=previous_config)
        failed = report.errors or (strict and report.shown)
        if as_json:
            print_json(issues_json(report.shown, report.summary(personal=show_personal)))
        elif quiet:  # what fails the check, if anything
            if failed:
                listed = [i for i in report.shown if i.is_error or strict]
                print_issues(listed, console, left_out=len(report.shown) - len(listed))
        else:
            print_issues(report.shown, console)
            _print_accepted(report, show_personal)
            if report.totals_line:
                console.print(report.totals_line, soft_wrap=True)
        if draft_accept is not None:
            _draft(report, draft_accept, err_console if as_json else console)  # (stdout: the JSON alone)
        if strict and report.shown and not report.errors and not as_json:
            console.print(f"failed under --strict: {_strict_failures(report.shown)}", soft_wrap=True)
        raise typer.Exit(1 if failed else 0)


def _strict_failures(shown) -> str:
    """Why --strict failed, in words: warnings not accepted, and acceptances whose reason is still the draft's
    (the likelier cause the morning after --draft-accept, and not told apart before)."""
    from ..accept import UNREVIEWED
    from ..errors import CONFIG

    drafted = sum(1 for i in shown if i.code == CONFIG and str(i.value or "").upper().startswith(UNREVIEWED))
    parts = []
    if len(shown) > drafted:
        parts.append(f"{len(shown) - drafted:,} warning(s) not accepted (new, or their acceptance has expired)")
    if drafted:
        parts.append(f"{drafted:,} acceptance(s) whose reason is still the draft's \"{UNREVIEWED}\": write why each "
                     "warning is accepted in the accept file")
    return "; ".join(parts)


def _print_accepted(report, personal: bool = False) -> None:
    """The count of accepted warnings, each expired acceptance and each entry that accepted nothing, by its
    file and line (a child's UPN hidden unless `personal`, as in the issues)."""
    a = report.accepted
    if a is None:
        return
    console.print(f"{len(a.accepted):,} known warning(s) accepted (--json lists them); "
                  f"{len(a.expired):,} acceptance(s) expired; {len(a.unused):,} accepted warning(s) not seen "
                  "this time", soft_wrap=True)
    for issue, entry in a.expired:
        why = f"accepted because: {entry.reason}" if personal else f"accepted at {entry.where()}"
        if not personal:  # the reason is free text, often about the child: the entry's place says where it is
            issue = issue.hidden()
        console.print(f"expired on {entry.until}: {issue.code} at {issue.where()} ({why})", markup=False,
                      soft_wrap=True)
    for entry in a.unused:
        shown = entry if personal else entry.hidden()
        where = shown.where()
        console.print(f"not seen this time: {f'{where}: ' if where else ''}{shown.described()} accepted nothing "
                      "(fixed, or the rows moved?): tidy it away", markup=False, soft_wrap=True)


def _draft(report, path: Path, said=None) -> None:
    """Write today's warnings to a new file `path` as an accept list to review; an existing file is never
    replaced (checked before the run, and again as the file is created)."""
    import yaml

    from ..accept import UNREVIEWED, draft_entries
    from ..outputs.atomic import write_whole

    entries = draft_entries(report.shown, reason=f"{UNREVIEWED}: say why this warning is accepted")
    text = ("# Known warnings for `senrun validate --accept` (docs/validate.md). Give each a reason and a\n"
            "# date to look at it again; delete the ones that should be fixed instead.\n")
    # it names children by UPN: readable by its owner only, whatever the umask (docs/security.md)
    data = (text + yaml.safe_dump({"accept": entries}, sort_keys=False, allow_unicode=True)).encode("utf-8")
    try:  # whole or not at all: a full disk had left an empty draft, which the next run then refused to replace
        write_whole(path, data, mode=0o600, replace=False)
    except FileExistsError:  # made since the run began
        fail_usage(f"--draft-accept {path}: the file exists; choose a new name, or delete the old draft first")
    (said or console).print(f"Wrote a draft of {len(entries):,} accepted warning(s) to {escape(str(path))}: review it.",
                            soft_wrap=True)
