"""Charts for people who cannot see them and pages printed in grey (SPEC §6, docs/outputs.md "Printing").

Every chart of senrun's workbooks has a description (alt text, read by a screen reader in place of the
chart) and names on both its axes (£, Number of schools, Scenario…).  A chart inserted on a worksheet is
given its description through XlsxWriter's `insert_chart(..., {"description": ...})`; a chart on a sheet of
its own has no such option in XlsxWriter (its chart sheet's drawing is written without one), so
`DescribedChartsheet` writes it where Excel keeps it for any chart: the `descr` of the drawing's
`xdr:cNvPr`, as insert_chart does.  The bands of change (BANDS) are drawn in fills of their own — losses in
warm colours, gains in cool ones, darker the larger the change — and hatched differently, so that a page
printed in grey still tells them apart.
"""

from __future__ import annotations

from math import ceil

from xlsxwriter.chartsheet import Chartsheet
from xlsxwriter.drawing import Drawing

#: The most category labels a chart's page shows at a readable size; more, and every second (third…) is shown.
MOST_LABELS = 40
#: The category labels' size in points (at most MOST_LABELS of them on an A4 page's height).
LABEL_POINTS = 8


class _DescribedDrawing(Drawing):
    """A chart sheet's drawing whose chart has a description (XlsxWriter 3 writes it without one).  These are
    XlsxWriter's internals, which differ between the releases pyproject allows: from 3.3 the chart's frame is an
    object that carries its `_description`; before, the frame is written from its index, and its name and
    description are passed to `_write_nv_graphic_frame_pr` (index, name, description, decorative).  Both are
    given the description; a call of any other shape is passed on as it came, so that an unknown release writes
    the chart without its alt text rather than the run failing (tests/test_xlsx_fallback.py)."""

    description = ""

    def _write_absolute_anchor(self, *args) -> None:
        for frame in args:
            if hasattr(frame, "_description"):
                frame._description = self.description
        super()._write_absolute_anchor(*args)

    def _write_nv_graphic_frame_pr(self, *args) -> None:
        if len(args) == 4 and not args[2] and isinstance(args[1], (str, type(None))):  # before 3.3: no frame object
            args = (args[0], args[1], self.description, args[3])
        super()._write_nv_graphic_frame_pr(*args)


class DescribedChartsheet(Chartsheet):
    """A chart sheet whose chart carries `description` as its alt text."""

    description = ""

    def _prepare_chart(self, *args) -> None:
        super()._prepare_chart(*args)
        if isinstance(getattr(self, "drawing", None), Drawing):
            drawing = _DescribedDrawing()
            drawing.orientation, drawing.description = self.drawing.orientation, self.description
            self.drawing = drawing


def chart_sheet(book, name: str, chart, description: str) -> Chartsheet:
    """`chart` on a sheet of its own, described by `description`: printed on its own landscape A4 page,
    never across a table's."""
    sheet = book.add_chartsheet(name, chartsheet_class=DescribedChartsheet)
    sheet.description = description
    sheet.set_chart(chart)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    return sheet


def axis_name(name: str) -> dict:
    """An axis title, in the chart's own font but not bold (it names the axis; the chart's title is its heading)."""
    return {"name": name, "name_font": {"size": 10, "bold": False}}


def category_axis(name: str, n: int, **options) -> dict:
    """A category axis of `n` labels named `name`: every label while they fit the page at LABEL_POINTS,
    else every second, third… (a chart of 100 scenarios labelled each had its labels at about 3 points)."""
    step = max(1, ceil(n / MOST_LABELS))
    return {**axis_name(name), "num_font": {"size": LABEL_POINTS if n > 20 else 9},
            **({"interval_unit": step} if step > 1 else {}), **options}


#: Each band of change's fill, in the order of present.BANDS (gain over 5% … loss over 5%): gains in blues,
#: losses in oranges and reds, the larger the change the darker; no change grey.  Each is hatched its own
#: way (or solid), so that printed in grey the bands are told apart by their pattern as well as their shade.
BAND_FILLS = (
    {"pattern": {"pattern": "dark_vertical", "fg_color": "#08519C", "bg_color": "#C6DBEF"}},  # gain over 5%
    {"pattern": {"pattern": "wide_upward_diagonal", "fg_color": "#4292C6", "bg_color": "#DEEBF7"}},  # gain 0–5%
    {"pattern": {"pattern": "percent_20", "fg_color": "#737373", "bg_color": "#F0F0F0"}},  # no change
    {"pattern": {"pattern": "wide_downward_diagonal", "fg_color": "#F16913", "bg_color": "#FEE6CE"}},  # loss 0–5%
    {"fill": {"color": "#A50F15"}},  # loss over 5%
)
#: A band's outline: dark, so that the pale and hatched bands keep their edges on paper.
BAND_BORDER = {"border": {"color": "#404040", "width": 0.5}}


#: allocations.xlsx's winners and losers chart: its schools solid dark blue, its clusters hatched dark orange on
#: white, each outlined, so that the two are told apart by pattern, not by colour alone (WCAG 1.4.1), also in grey.
SCHOOLS_CLUSTERS_SERIES = (
    {"fill": {"color": "#08519C"}, **BAND_BORDER},
    {"pattern": {"pattern": "wide_upward_diagonal", "fg_color": "#A63603", "bg_color": "#FFFFFF"}, **BAND_BORDER},
)


def band_series(i: int) -> dict:
    """The fill and outline of the i-th band of change (present.BANDS) in a chart's series."""
    return {**BAND_FILLS[i], **BAND_BORDER}
