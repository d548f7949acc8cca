"""One-line notes a command prints after its work (never errors)."""

from __future__ import annotations

from rich.console import Console

from .text import escape


def print_xlsx_note(console: Console) -> None:
    """Say, in one line, when workbooks were written by plain XlsxWriter (outputs/xlsxpack.py)."""
    from ..outputs.xlsxpack import fallback_reason

    why = fallback_reason()
    if why:
        console.print(escape(f"Note: workbooks were written by plain XlsxWriter ({why}): "
                             f"the same files, a little slower."))
