"""The client's monthly report as a branded A4 PDF (the reports' only fpdf2 module).

Written for a finance director: the key figures first, each with a line on how it is
computed (the definitions of `queries.DEFINITIONS`, the same as on the dashboard), then the
four charts with their tables. Text is set in DejaVu Sans, the TrueType font matplotlib ships,
embedded as a subset, so the euro sign, CLDR's spaces and any debtor's name print as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import matplotlib
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import current_app, has_app_context
from flask_babel import force_locale
from fpdf import FPDF, FontFace

from agency.i18n import gettext as _
from agency.i18n import ngettext
from agency.money import format_eur, round_cents
from agency.reports import charts
from agency.reports.figures import Dashboard
from agency.reports.queries import DEFINITIONS
from agency.reports.tables import aging_label, status_label

FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {"": _FONT_DIR / "DejaVuSans.ttf", "B": _FONT_DIR / "DejaVuSans-Bold.ttf"}

MARGIN = 15.0
CONTENT_WIDTH = 210.0 - 2 * MARGIN
CHART_WIDTH = 170.0
CHART_HEIGHT = CHART_WIDTH / charts.WIDTH_IN * charts.HEIGHT_IN
NOTE_HEIGHT = 8.0
ROW_HEIGHT = 6.2
CHART_DPI = 200  # sharp on paper; the page shows them at 110
DEFAULT_COLOUR = (31, 78, 121)
TEXT = (34, 34, 34)
MUTED = (100, 100, 100)
RULE = (210, 210, 210)
INK_GREY = 110  # the lightest grey value headings in the brand colour may have


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = (colour or "").lstrip("#")
    if len(colour) != 6:
        return DEFAULT_COLOUR
    try:
        return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)
    except ValueError:
        return DEFAULT_COLOUR


def _grey(colour: tuple[int, int, int]) -> float:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on `colour`."""
    return (0, 0, 0) if _grey(colour) > 150 else (255, 255, 255)


def _ink(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """The brand colour darkened as far as text on white needs (a yellow brand stays legible)."""
    grey = _grey(colour)
    if grey <= INK_GREY:
        return colour
    factor = INK_GREY / grey
    return tuple(round(channel * factor) for channel in colour)  # type: ignore[return-value]


def _logo(logo_path: str | None) -> Path | None:
    """The logo's file; a relative path is under the instance folder, as branding stores it."""
    if not logo_path:
        return None
    path = Path(logo_path)
    if not path.is_absolute() and has_app_context():
        path = Path(current_app.instance_path) / path
    return path if path.is_file() else None


class _Report(FPDF):
    def __init__(self, colour: tuple[int, int, int], running_head: str, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for style, path in FONT_FILES.items():
            self.add_font(FONT, style, str(path))
        self.colour, self.ink = colour, _ink(colour)
        self.running_head, self.footer_text = running_head, footer
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_fill_color(*self.colour)
        self.rect(0, 0, 210, 5, style="F")
        if self.page_no() > 1:
            self.set_xy(MARGIN, 8)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.cell(CONTENT_WIDTH, 4, self.running_head, align="R")
            self.set_xy(MARGIN, MARGIN + 4)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.cell(CONTENT_WIDTH * 0.8, 4, self.footer_text)
        self.cell(CONTENT_WIDTH * 0.2, 4, f"{self.page_no()} / {{nb}}", align="R")

    def room(self, height: float) -> None:
        """Start a new page unless `height` millimetres still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, text: str, keep_with: float = 0.0) -> None:
        self.room(10 + keep_with)
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.set_text_color(*self.ink)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*TEXT)

    def note(self, text: str) -> None:
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 3.3, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*TEXT)

    def chart(self, png: bytes) -> None:
        self.room(CHART_HEIGHT + 2)
        self.image(BytesIO(png), x=MARGIN + (CONTENT_WIDTH - CHART_WIDTH) / 2, w=CHART_WIDTH)
        self.ln(1)

    def grid(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        total: Sequence[str] | None = None,
    ) -> None:
        """A table: headings in the brand colour, numbers right-aligned, an optional total."""
        self.set_font(FONT, "", 8.5)
        self.set_draw_color(*RULE)
        align = ["LEFT", *["RIGHT"] * (len(headers) - 1)]
        heading = FontFace(emphasis="BOLD", color=_on(self.colour), fill_color=self.colour)
        bold = FontFace(emphasis="BOLD")
        with self.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align=align,
            headings_style=heading,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            padding=(0.6, 1.5),
        ) as table:
            for cells in (headers, *rows):
                line = table.row()
                for text in cells:
                    line.cell(text)
            if total is not None:
                line = table.row()
                for text in total:
                    line.cell(text, style=bold)
        self.ln(2)


def monthly_report_pdf(
    dashboard: Dashboard,
    *,
    client_name: str,
    brand_colour: str,
    logo_path: str | None,
    month: date,
    language: str,
) -> bytes:
    """Render a client's monthly report: key figures with their definitions, charts, tables."""
    colour, logo = _rgb(brand_colour), _logo(logo_path)
    with force_locale(language):
        return _render(dashboard, client_name, colour, logo, month, language)


def _render(
    d: Dashboard,
    client_name: str,
    colour: tuple[int, int, int],
    logo: Path | None,
    month: date,
    language: str,
) -> bytes:
    month_name = format_date(month, "LLLL yyyy", locale=language)
    as_of = format_date(d.as_of, "long", locale=language)
    agency = current_app.config.get("AGENCY_NAME", "") if has_app_context() else ""
    footer = " · ".join(
        part for part in (client_name, _("Figures as of %(day)s", day=as_of), agency) if part
    )
    pdf = _Report(colour, f"{client_name} · {_('Monthly report')} {month_name}", footer)
    pdf.set_title(f"{_('Monthly report')} {month_name} {client_name}")
    if agency:
        pdf.set_author(agency)
    pdf.add_page()
    _title(pdf, client_name, month_name, as_of, logo)
    _key_figures(pdf, d, language)
    _sections(pdf, d, language)
    return bytes(pdf.output())


def _title(pdf: _Report, client_name: str, month_name: str, as_of: str, logo: Path | None) -> None:
    top = pdf.get_y()
    if logo is not None:
        pdf.image(str(logo), x=210 - MARGIN - 45, y=top, w=45, h=18, keep_aspect_ratio=True)
    pdf.set_font(FONT, "B", 20)
    pdf.set_text_color(*pdf.ink)
    pdf.cell(125, 10, _("Monthly report"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 15)
    pdf.cell(125, 8, month_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*TEXT)
    pdf.cell(125, 6, client_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(125, 5, _("Figures as of %(day)s", day=as_of), new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*pdf.colour)
    pdf.set_line_width(0.6)
    pdf.line(MARGIN, pdf.get_y() + 2, 210 - MARGIN, pdf.get_y() + 2)
    pdf.set_line_width(0.2)
    pdf.ln(4)


# --- figures and how to write them -----------------------------------------------------------


def _eur(cents: int | Decimal, language: str) -> str:
    # Daily sales are fractional cents: rounded as the page and the CSV/XLSX round them.
    return format_eur(round_cents(cents), language)


def _count(n: int, language: str) -> str:
    return format_decimal(n, locale=language)


def _days(value: Decimal | None, language: str) -> str:
    if value is None:
        return "–"
    return _("%(days)s days", days=format_decimal(value, "#,##0.0", locale=language))


def _percent(value: Decimal | None, language: str) -> str:
    return "–" if value is None else format_percent(value, "#,##0.0%", locale=language)


def _key_figures(pdf: _Report, d: Dashboard, language: str) -> None:
    decided = d.promises_kept.count + d.promises_broken.count
    kept_rate = _("%(rate)s kept", rate=_percent(d.promise_kept_rate, language)) if decided else ""
    figures = [
        (
            _("Handed over"),
            _eur(d.handed_over.cents, language),
            ngettext("%(num)s invoice", "%(num)s invoices", d.handed_over.count),
            "handed_over",
        ),
        (
            _("Collected by us"),
            _eur(d.collected_agency.cents, language),
            ngettext("%(num)s payment", "%(num)s payments", d.collected_agency.count),
            "collected_agency",
        ),
        (
            _("Paid to you directly"),
            _eur(d.collected_direct.cents, language),
            ngettext("%(num)s payment", "%(num)s payments", d.collected_direct.count),
            "collected_direct",
        ),
        (
            _("Outstanding"),
            _eur(d.outstanding.cents, language),
            ngettext("%(num)s open case", "%(num)s open cases", d.outstanding.count),
            "outstanding",
        ),
        (
            _("Recovery rate"),
            _percent(d.recovery_rate, language),
            _(
                "%(amount)s principal collected",
                amount=_eur(d.collected_principal_cents, language),
            ),
            "recovery_rate",
        ),
        (_("DSO before handoff"), _days(d.dso_before, language), "", "dso_before"),
        (
            _("DSO now"),
            _days(d.dso_now, language),
            _("invoicing %(amount)s per day", amount=_eur(d.daily_sales_cents, language))
            if d.daily_sales_cents is not None
            else "",
            "dso",
        ),
        (
            _("Working capital released"),
            _eur(d.working_capital_released_cents, language),
            "",
            "working_capital",
        ),
        (
            _("Promises kept / broken"),
            f"{_count(d.promises_kept.count, language)} / "
            f"{_count(d.promises_broken.count, language)}",
            kept_rate,
            "promises",
        ),
        (
            _("Expected inflow, 13 weeks"),
            _eur(d.inflow_total_cents, language),
            "",
            "inflow",
        ),
    ]
    pdf.heading(_("Key figures"))
    for label, value, detail, key in figures:
        pdf.room(12)
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(70, 5.5, label)
        pdf.set_font(FONT, "B", 10.5)
        pdf.cell(45, 5.5, value, align="R")
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5.5, f"   {detail}" if detail else "", new_x="LMARGIN", new_y="NEXT")
        pdf.note(str(DEFINITIONS[key]))
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN, pdf.get_y() + 0.8, 210 - MARGIN, pdf.get_y() + 0.8)
        pdf.ln(1.6)


def _sections(pdf: _Report, d: Dashboard, language: str) -> None:
    """The charts, each with its table where it has one, kept together on a page."""

    def chart(name: str) -> None:
        pdf.chart(charts.render(name, d, language=language, dpi=CHART_DPI))

    def eur(cents: int) -> str:
        return _eur(cents, language)

    def count(n: int) -> str:
        return _count(n, language)

    # The DSO trend first: it is the working-capital story the key figures end with.
    pdf.heading(_("DSO trend"), keep_with=CHART_HEIGHT + NOTE_HEIGHT)
    chart("dso")
    pdf.note(str(DEFINITIONS["dso"]))

    cash_rows = [
        [
            format_date(m.month, "LLLL yyyy", locale=language),
            eur(m.agency_cents),
            eur(m.direct_cents),
            eur(m.agency_cents + m.direct_cents),
        ]
        for m in d.cash_per_month
    ]
    pdf.heading(
        _("Cash collected per month"),
        keep_with=CHART_HEIGHT + NOTE_HEIGHT + _table_height(len(cash_rows) + 1),
    )
    chart("cash")
    pdf.note(str(DEFINITIONS["cash_per_month"]))
    pdf.ln(2)
    pdf.grid(
        [_("Month"), _("Collected by us"), _("Paid to you directly"), _("Total")],
        cash_rows,
        [40, 40, 55, 40],
        total=[
            _("Total"),
            eur(sum(m.agency_cents for m in d.cash_per_month)),
            eur(sum(m.direct_cents for m in d.cash_per_month)),
            eur(sum(m.agency_cents + m.direct_cents for m in d.cash_per_month)),
        ],
    )

    pdf.heading(
        _("Aging of what is still open"),
        keep_with=CHART_HEIGHT + NOTE_HEIGHT + _table_height(len(d.aging) + 1),
    )
    chart("aging")
    pdf.note(str(DEFINITIONS["aging"]))
    pdf.ln(2)
    pdf.grid(
        [_("Days past due"), _("Open principal"), _("Invoices"), _("Cases")],
        [[aging_label(b.key), eur(b.cents), count(b.invoices), count(b.cases)] for b in d.aging],
        [50, 45, 40, 40],
        total=[
            _("Total"),
            eur(sum(b.cents for b in d.aging)),
            count(sum(b.invoices for b in d.aging)),
            count(sum(b.cases for b in d.aging)),
        ],
    )

    pdf.heading(_("Expected inflow per week"), keep_with=CHART_HEIGHT + NOTE_HEIGHT)
    chart("inflow")
    pdf.note(str(DEFINITIONS["inflow"]))

    statuses = [(status_label(key), n) for key, n in d.by_status.items() if n]
    pdf.heading(_("Cases by status"), keep_with=_table_height(len(statuses) + 1))
    if statuses:
        pdf.grid(
            [_("Status"), _("Cases")],
            [[label, count(n)] for label, n in statuses],
            [80, 30],
            total=[_("Total"), count(sum(n for _label, n in statuses))],
        )
    else:
        _nothing(pdf, _("No cases yet."))
    pdf.note(str(DEFINITIONS["status"]))

    pdf.heading(
        _("Debtors on shorter payment terms"),
        keep_with=_table_height(min(len(d.term_debtors), 10) + 1),
    )
    if d.term_debtors:
        # The debtors whose shorter term frees the most; the portal lists (and exports) all.
        shown = sorted(d.term_debtors, key=lambda t: -t.released_cents)[:TERM_ROWS]
        pdf.grid(
            [_("Debtor"), _("Agreed on"), _("Payment term"), _("Working capital freed")],
            [
                [
                    t.name,
                    format_date(t.agreed_on, "medium", locale=language),
                    _("%(old)s → %(new)s days", old=t.old_days, new=t.new_days),
                    eur(t.released_cents),
                ]
                for t in shown
            ],
            [70, 30, 35, 45],
            total=[_("Total"), "", "", eur(d.term_released_cents)],
        )
        if len(d.term_debtors) > len(shown):
            pdf.set_font(FONT, "", 8.5)
            pdf.multi_cell(
                0,
                4.5,
                _(
                    "And %(count)s more debtors: the client portal lists them all.",
                    count=len(d.term_debtors) - len(shown),
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        if d.term_dso_effect_days is not None:
            pdf.set_font(FONT, "", 8.5)
            pdf.multi_cell(
                0,
                4.5,
                _(
                    "Together these shorter terms should take %(days)s off your DSO.",
                    days=_days(d.term_dso_effect_days, language),
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
    else:
        _nothing(pdf, _("No debtor has accepted a shorter payment term yet."))
    pdf.note(str(DEFINITIONS["terms"]))


# At most this many debtors on shorter terms in the PDF (the total covers them all).
TERM_ROWS = 25


def _table_height(rows: int) -> float:
    """About how tall a table of `rows` rows (headings and total included) is."""
    return (rows + 1) * ROW_HEIGHT + 4


def _nothing(pdf: _Report, text: str) -> None:
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*TEXT)
