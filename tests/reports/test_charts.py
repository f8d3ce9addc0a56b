"""The dashboard's charts: PNG of the page's size, in Dutch and English, readable in greyscale."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
import time_machine
from PIL import Image

from agency.auth.models import Role
from agency.reports import charts
from tests.reports.samples import empty_dashboard, full_dashboard

PNG = b"\x89PNG\r\n\x1a\n"


def image(png: bytes) -> Image.Image:
    assert png.startswith(PNG)
    return Image.open(BytesIO(png)).convert("RGB")


def grey(colour: str) -> int:
    """The grey value a greyscale print gives the colour (PIL's ITU-R 601-2 luma)."""
    return Image.new("RGB", (1, 1), colour).convert("L").getpixel((0, 0))


def pixels_of(picture: Image.Image, colour: str) -> int:
    rgb = Image.new("RGB", (1, 1), colour).getpixel((0, 0))
    return sum(n for n, value in picture.getcolors(picture.width * picture.height) if value == rgb)


@pytest.mark.parametrize("name", charts.CHARTS)
def test_each_chart_is_a_png_of_the_pages_size(app, name):
    d = full_dashboard()
    assert image(charts.render(name, d)).size == (660, 330)
    assert image(charts.render(name, d, dpi=200)).size == (1200, 600)


@pytest.mark.parametrize("name", charts.CHARTS)
def test_an_empty_dashboard_gives_a_chart_that_says_so(app, name):
    figure = charts.draw(name, empty_dashboard(), language="en")
    texts = [t.get_text() for t in figure.texts]
    assert "No data yet" in texts
    assert figure.axes == []  # no empty axes pretending to show something
    assert image(charts.render(name, empty_dashboard())).size == (660, 330)


def test_an_unknown_chart_is_a_key_error(app):
    with pytest.raises(charts.UnknownChart) as raised:
        charts.render("pie", full_dashboard())
    assert isinstance(raised.value, KeyError)


def test_amounts_on_the_axis_are_written_the_dutch_or_the_english_way(app):
    assert charts.euro_label(1234.4, "nl") == "€\xa01.234"
    assert charts.euro_label(1234567, "nl") == "€\xa01.234.567"
    assert charts.euro_label(1234.6, "en") == "€1,235"
    assert charts.euro_label(0, "en") == "€0"
    for language, expected in (("nl", "€\xa020.000"), ("en", "€20,000")):
        [ax] = charts.draw("cash", full_dashboard(), language=language).axes
        assert ax.yaxis.get_major_formatter()(20000, 0) == expected


def test_labels_follow_the_language(app):
    nl = charts.draw("cash", full_dashboard(), language="nl")
    en = charts.draw("cash", full_dashboard(), language="en")
    legend_nl = [t.get_text() for t in nl.axes[0].get_legend().get_texts()]
    legend_en = [t.get_text() for t in en.axes[0].get_legend().get_texts()]
    assert "Rechtstreeks aan u betaald" in legend_nl
    assert "Paid to you directly" in legend_en
    months_nl = [t.get_text() for t in nl.axes[0].get_xticklabels()]
    months_en = [t.get_text() for t in en.axes[0].get_xticklabels()]
    # October 2024 to September 2025; the year under the first month and under January.
    assert months_nl[0] == "okt\n2024" and months_nl[3] == "jan\n2025" and months_nl[5] == "mrt"
    assert months_en[0] == "Oct\n2024" and months_en[5] == "Mar"


def test_the_two_series_stay_apart_in_greyscale(app):
    for name in ("cash", "inflow"):
        picture = image(charts.render(name, full_dashboard()))
        assert pixels_of(picture, charts.DARK) > 2000, name
        assert pixels_of(picture, charts.LIGHT) > 1000, name
        assert abs(grey(charts.DARK) - grey(charts.LIGHT)) > 100
        # The lighter series is hatched too: its edge colour runs through its bars.
        assert pixels_of(picture, charts.LIGHT_EDGE) > 200, name


def test_the_aging_buckets_stay_apart_in_greyscale(app):
    picture = image(charts.render("aging", full_dashboard()))
    levels = [grey(colour) for colour in charts.AGING_COLOURS]
    assert all(pixels_of(picture, colour) > 1000 for colour in charts.AGING_COLOURS)
    assert levels == sorted(levels, reverse=True)  # older is darker
    assert min(a - b for a, b in zip(levels, levels[1:], strict=False)) >= 40


def test_the_aging_bars_carry_their_amounts(app):
    [ax] = charts.draw("aging", full_dashboard(), language="nl").axes
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["€\xa0120.450", "€\xa0210.300", "€\xa095.252", "€\xa0275.000"]


def test_the_dso_trend_has_its_reference_line_dashed_and_named(app):
    [ax] = charts.draw("dso", full_dashboard(), language="nl").axes
    [trend] = [line for line in ax.lines if line.get_marker() == "o"]
    [reference] = [line for line in ax.lines if line is not trend]
    assert reference.get_linestyle() == "--"
    assert reference.get_ydata()[0] == pytest.approx(72.4)
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["46 dagen", "72 dagen"]


def test_charts_can_be_drawn_from_several_threads_at_once(app):
    d = full_dashboard()
    expected = {name: charts.render(name, d) for name in charts.CHARTS}
    results: dict[tuple[int, str], bytes] = {}

    def work(n: int) -> None:
        with app.app_context():
            for name in charts.CHARTS:
                results[(n, name)] = charts.render(name, d)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 * len(charts.CHARTS)
    for (_n, name), png in results.items():
        assert png == expected[name]


def test_the_portal_serves_each_chart_and_refuses_other_names(client, login_as, make_case):
    case = make_case(2_500_00, opened_on=date(2025, 8, 10), due_dates=[date(2025, 6, 1)])
    with time_machine.travel(datetime(2025, 9, 15, 12, tzinfo=UTC), tick=False):
        login_as(Role.CLIENT, case.client, language="en")
        for name in charts.CHARTS:
            response = client.get(f"/portal/reports/chart/{name}.png")
            assert response.status_code == 200 and response.mimetype == "image/png", name
            assert image(response.data).size == (660, 330)
        assert client.get("/portal/reports/chart/pie.png").status_code == 404
