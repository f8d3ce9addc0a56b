"""The dashboard's charts as PNG, drawn on the server with matplotlib.

Each chart gets a `Figure` of its own with an Agg canvas attached explicitly; pyplot and its
global figure manager are never used, so web threads and job workers can draw at once. Fixed
margins instead of a layout engine (constrained or tight) save about a third of a chart's time,
which is otherwise matplotlib's own: ticks, text and the Agg raster.

Printed in greyscale the series must stay apart: the colours differ in lightness, not only in
hue, the lighter series of a stack is hatched, the DSO line has markers and the reference line
is dashed, and the aging bars carry their amounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from io import BytesIO

from babel.dates import format_date
from babel.numbers import get_decimal_symbol
from flask_babel import force_locale
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from agency.i18n import gettext as _
from agency.money import format_eur
from agency.reports.figures import Dashboard
from agency.reports.tables import aging_label

CHARTS = ("cash", "aging", "dso", "inflow")

# 660 x 330 pixels at the default 110 dpi: the size the dashboard page shows them at.
WIDTH_IN, HEIGHT_IN = 6.0, 3.0
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.17, "top": 0.84}

# Grey values (0.299 R + 0.587 G + 0.114 B) are far apart: about 69 and 192; the aging ramp
# runs 229, 178, 120, 56; so a black-and-white print still tells them apart.
DARK = "#1f4e79"
LIGHT = "#f4b183"
LIGHT_EDGE = "#8a4b16"
AGING_COLOURS = ("#fde4a8", "#f5a54a", "#d8572a", "#7a1c1c")
REFERENCE = "#808080"
MUTED = "#666666"
GRID = "#d9d9d9"
FONT_SIZE = 8


class UnknownChart(KeyError):
    """There is no chart of that name."""


def render(name: str, dashboard: Dashboard, *, language: str = "nl", dpi: int = 110) -> bytes:
    """Draw one of CHARTS of a dashboard as PNG, its texts in `language`."""
    figure = draw(name, dashboard, language=language, dpi=dpi)
    buffer = BytesIO()
    figure.savefig(
        buffer, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 3}
    )
    return buffer.getvalue()


def draw(name: str, dashboard: Dashboard, *, language: str = "nl", dpi: int = 110) -> Figure:
    """Build one of CHARTS as a matplotlib Figure on its own Agg canvas (UnknownChart if none)."""
    try:
        drawer = _DRAWERS[name]
    except KeyError:
        raise UnknownChart(name) from None
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)
    with force_locale(language):
        drawer(figure, dashboard, language)
    return figure


# --- shared pieces ---------------------------------------------------------------------------


def euro_label(euros: float, language: str) -> str:
    """An axis or bar label in whole euros, e.g. '€ 1.234' (nl) or '€1,234' (en)."""
    text = format_eur(round(euros) * 100, language)
    return text.replace(f"{get_decimal_symbol(language)}00", "")


def _euros(cents: int) -> float:
    # Floats only to place bars on a plot; every amount shown is formatted from cents.
    return cents / 100


def _axes(figure: Figure, language: str, *, money: bool = True) -> Axes:
    figure.subplots_adjust(**MARGINS)
    ax = figure.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(MUTED)
    ax.tick_params(labelsize=FONT_SIZE, colors="#333333", length=3)
    ax.yaxis.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], integer=True))
    if money:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: euro_label(v, language)))
    return ax


def _legend(ax: Axes) -> None:
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.02),
        ncol=3,
        frameon=False,
        fontsize=FONT_SIZE,
        handlelength=2.2,
        handleheight=1.1,
        borderaxespad=0.0,
    )


def _no_data(figure: Figure, reason: str) -> None:
    figure.text(0.5, 0.55, _("No data yet"), ha="center", va="center", fontsize=14, color=MUTED)
    figure.text(0.5, 0.40, reason, ha="center", va="center", fontsize=FONT_SIZE, color=MUTED)


def _month_labels(days: Sequence[date], language: str) -> list[str]:
    """Short month names; the year under the first month and under every January."""
    labels = []
    for i, day in enumerate(days):
        label = format_date(day, "LLL", locale=language)
        if i == 0 or day.month == 1:
            label += f"\n{day.year}"
        labels.append(label)
    return labels


def _week_labels(mondays: Sequence[date], language: str) -> list[str]:
    """The Monday's day of the month; the month's name under the first and each new month."""
    labels = []
    for i, day in enumerate(mondays):
        label = str(day.day)
        if i == 0 or day.month != mondays[i - 1].month:
            label += "\n" + format_date(day, "LLL", locale=language)
        labels.append(label)
    return labels


def _stacked(
    ax: Axes,
    x: list[int],
    bottom_cents: list[int],
    top_cents: list[int],
    labels: tuple[str, str],
    width: float,
) -> None:
    bottom = [_euros(c) for c in bottom_cents]
    ax.bar(x, bottom, width, color=DARK, edgecolor=DARK, linewidth=0.6, label=labels[0])
    ax.bar(
        x,
        [_euros(c) for c in top_cents],
        width,
        bottom=bottom,
        color=LIGHT,
        edgecolor=LIGHT_EDGE,
        linewidth=0.6,
        hatch="////",
        label=labels[1],
    )


# --- the charts ------------------------------------------------------------------------------


def _cash(figure: Figure, d: Dashboard, language: str) -> None:
    months = d.cash_per_month
    if not any(m.agency_cents or m.direct_cents for m in months):
        _no_data(figure, _("No payments have been booked in these months."))
        return
    ax = _axes(figure, language)
    x = list(range(len(months)))
    _stacked(
        ax,
        x,
        [m.agency_cents for m in months],
        [m.direct_cents for m in months],
        (_("Collected by us"), _("Paid to you directly")),
        0.7,
    )
    ax.set_xticks(x, _month_labels([m.month for m in months], language))
    ax.set_xlim(-0.6, len(months) - 0.4)
    _legend(ax)


def _aging(figure: Figure, d: Dashboard, language: str) -> None:
    if not any(b.cents for b in d.aging):
        _no_data(figure, _("There is no open principal."))
        return
    ax = _axes(figure, language)
    x = list(range(len(d.aging)))
    heights = [_euros(b.cents) for b in d.aging]
    bars = ax.bar(
        x,
        heights,
        0.6,
        color=AGING_COLOURS[: len(x)],
        edgecolor="#333333",
        linewidth=0.6,
    )
    ax.bar_label(
        bars,
        labels=[euro_label(h, language) for h in heights],
        padding=2,
        fontsize=FONT_SIZE,
        color="#222222",
    )
    ax.set_xticks(x, [aging_label(b.key) for b in d.aging])
    ax.set_ylim(0, max(heights) * 1.15)
    ax.set_xlabel(_("Days past due"), fontsize=FONT_SIZE, color=MUTED)
    figure.subplots_adjust(top=0.93)


def _dso(figure: Figure, d: Dashboard, language: str) -> None:
    points = d.dso_trend
    known = [p.days for p in points if p.days is not None]
    if not known:
        _no_data(figure, _("DSO needs the payment history in your handoffs."))
        return
    ax = _axes(figure, language, money=False)
    x = list(range(len(points)))
    y = [float(p.days) if p.days is not None else float("nan") for p in points]
    ax.plot(
        x,
        y,
        color=DARK,
        linewidth=2,
        marker="o",
        markersize=4,
        label=_("DSO at month end"),
    )
    last = next(i for i in reversed(x) if points[i].days is not None)
    now = float(points[last].days)
    before = None if d.dso_before is None else float(d.dso_before)
    top = max(float(max(known)), before or 0.0) * 1.2 or 1.0
    # The latest value sits above its point, unless the reference line runs just above it;
    # the reference's value sits at the right end, on the side away from the latest point.
    tucked = before is not None and now < before < now + 0.1 * top
    ax.annotate(
        _("%(days)s days", days=f"{now:.0f}"),
        (last, now),
        xytext=(0, -13 if tucked else 7),
        textcoords="offset points",
        ha="center",
        fontsize=FONT_SIZE,
        color=DARK,
        fontweight="bold",
    )
    if before is not None:
        ax.axhline(
            before,
            color=REFERENCE,
            linewidth=1.2,
            linestyle=(0, (5, 3)),
            label=_("DSO before handoff"),
        )
        ax.annotate(
            _("%(days)s days", days=f"{before:.0f}"),
            (len(points) - 0.5, before),
            xytext=(0, 3 if before >= now else -10),
            textcoords="offset points",
            ha="right",
            fontsize=FONT_SIZE,
            color=REFERENCE,
        )
    ax.set_ylim(0, top)
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_xticks(x, _month_labels([p.day.replace(day=1) for p in points], language))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
    ax.set_ylabel(_("days"), fontsize=FONT_SIZE, color=MUTED)
    _legend(ax)


def _inflow(figure: Figure, d: Dashboard, language: str) -> None:
    weeks = d.inflow
    if not any(w.total_cents for w in weeks):
        _no_data(figure, _("No promises or instalments fall due in the next 13 weeks."))
        return
    ax = _axes(figure, language)
    x = list(range(len(weeks)))
    _stacked(
        ax,
        x,
        [w.promises_cents for w in weeks],
        [w.instalments_cents for w in weeks],
        (_("Promises to pay"), _("Instalments")),
        0.7,
    )
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.set_xticks(x, _week_labels([w.week_start for w in weeks], language))
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    ax.set_xlabel(_("Week starting"), fontsize=FONT_SIZE, color=MUTED, labelpad=2)
    figure.subplots_adjust(bottom=0.22)
    _legend(ax)


_DRAWERS: dict[str, Callable[[Figure, Dashboard, str], None]] = {
    "cash": _cash,
    "aging": _aging,
    "dso": _dso,
    "inflow": _inflow,
}
