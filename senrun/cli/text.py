"""Text from the inputs or the command line, as the terminal is given it."""

from __future__ import annotations


def escape(text: object) -> str:
    """`text` as Rich prints it: its markup escaped (a school "[red] Hill" is printed as typed), and its control
    characters shown as their codes (errors.shown_safely): an escape in a cell could otherwise recolour, move or
    rewrite the terminal's lines."""
    from rich.markup import escape as markup_escape

    from ..errors import shown_safely

    return markup_escape(shown_safely(str(text)))
