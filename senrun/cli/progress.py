"""Progress on a terminal, silence elsewhere (cron, pipes, CI)."""

from __future__ import annotations

from contextlib import contextmanager

from .common import console, interactive


class _Steps:
    def __init__(self, progress=None):
        self._progress = progress
        self._task = progress.add_task("starting", total=None) if progress else None

    def step(self, message: str) -> None:
        if self._progress:
            self._progress.update(self._task, description=message, total=None, completed=0)

    def advance(self, step: str, done: int, total: int) -> None:
        if self._progress:
            self._progress.update(self._task, description=f"writing {step}", total=total, completed=done)


@contextmanager
def steps(quiet: bool = False):
    """A progress display with `step(message)` and `advance(step, done, total)`; no-ops when quiet."""
    if quiet or not interactive():
        yield _Steps()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        yield _Steps(progress)
