"""The monthly report PDF: what a finance director reads in it, in Dutch and English."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from io import BytesIO

import time_machine
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfReader

from agency.auth.models import Role
from agency.reports.figures import TermDebtor
from agency.reports.pdf import monthly_report_pdf
from agency.reports.queries import DEFINITIONS
from tests.reports.samples import empty_dashboard, full_dashboard

SEPTEMBER = date(2025, 9, 1)
A4 = (595.28, 841.89)  # points


def report(d=None, language="nl", **fields) -> bytes:
    values = {
        "client_name": "Fietsen & Zonen B.V.",
        "brand_colour": "#2e7d32",
        "logo_path": None,
        "month": SEPTEMBER,
        "language": language,
    }
    values.update(fields)
    return monthly_report_pdf(d or full_dashboard(), **values)


def read(document: bytes) -> tuple[PdfReader, str]:
    assert document.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(document))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def definition(key: str, language: str = "en") -> str:
    with force_locale(language):
        return flat(str(DEFINITIONS[key]))


def flat(text: str) -> str:
    """Text without line breaks and runs of spaces, so wrapped footnotes compare whole."""
    return re.sub(r"\s+", " ", text)


def test_an_english_report_has_every_key_figure_with_its_footnote(app):
    reader, text = read(report(language="en"))
    assert [tuple(float(v) for v in page.mediabox[2:]) for page in reader.pages][0] == A4
    assert reader.metadata.title == "Monthly report September 2025 Fietsen & Zonen B.V."
    first = reader.pages[0].extract_text()
    assert "Monthly report" in first and "September 2025" in first
    assert "Fietsen & Zonen B.V." in first and "Figures as of September 30, 2025" in first
    for line in [
        "Handed over €1,234,567.89 412 invoices",
        "Collected by us €402,310.55 233 payments",
        "Paid to you directly €98,765.40 41 payments",
        "Outstanding €745,120.33 121 open cases",
        "Recovery rate 37.2% €455,000.00 principal collected",
        "DSO before handoff 72.4 days",
        "DSO now 46.1 days invoicing €15,234.00 per day",
        "Working capital released €400,658.40",
        "Promises kept / broken 48 / 13 78.7% kept",
        "Expected inflow, 13 weeks €111,250.00",
    ]:
        assert line in flat(first), line
    for key in (
        "handed_over",
        "collected_agency",
        "collected_direct",
        "outstanding",
        "recovery_rate",
        "dso_before",
        "dso",
        "working_capital",
        "promises",
        "inflow",
    ):
        assert definition(key) in flat(text), key


def test_the_four_charts_are_embedded(app):
    reader, _text = read(report())
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 4
    for picture in images:
        assert Image.open(BytesIO(picture.data)).size == (1200, 600)


def test_the_tables_show_aging_cash_statuses_and_shorter_terms(app):
    _reader, text = read(report(language="en"))
    text = flat(text)
    assert "Days past due Open principal Invoices Cases" in text
    assert "0–30 days €120,450.00 40 31" in text
    assert "90+ days €275,000.00 70 35" in text
    assert "Total €701,002.10 198 128" in text
    assert "October 2024 €20,000.00 €4,000.00 €24,000.00" in text
    assert "September 2025 €58,687.00 €7,750.00 €66,437.00" in text
    assert "Total €472,122.00 €70,500.00 €542,622.00" in text
    assert "Payment plan 22" in text and "Paid 70" in text and "Total 187" in text
    assert "Bakkerij Van Dijk B.V. Jun 12, 2025 60 → 30 days €25,500.00" in text
    assert "Total €38,210.16" in text
    assert definition("terms") in text


def test_a_dutch_report_speaks_dutch_and_writes_amounts_the_dutch_way(app):
    _reader, text = read(report(language="nl"))
    text = flat(text.replace("\xa0", " "))
    assert "september 2025" in text
    assert "Overgedragen € 1.234.567,89" in text
    assert "Openstaand € 745.120,33" in text
    assert "72,4 dagen" in text and "46,1 dagen" in text
    assert "oktober 2024 € 20.000,00 € 4.000,00 € 24.000,00" in text
    assert "Totaal € 701.002,10 198 128" in text
    assert "Debiteur Afgesproken op" in text


def test_names_outside_windows_1252_print_as_they_are(app):
    d = dataclasses.replace(
        full_dashboard(),
        term_debtors=[
            TermDebtor(13, 103, "Łódź Handel sp. z o.o.", 60, 30, date(2025, 7, 1), 0, 1_00),
            TermDebtor(14, 104, "Őrség Kft. – Ærø", 30, 14, date(2025, 7, 2), 0, 2_00),
        ],
    )
    _reader, text = read(report(d, client_name="Škoda Ørsted B.V."))
    assert "Łódź Handel sp. z o.o." in text
    assert "Őrség Kft. – Ærø" in text
    assert "Škoda Ørsted B.V." in text


def test_an_empty_dashboard_still_makes_a_report(app):
    reader, text = read(report(empty_dashboard(), language="en", client_name="Nieuw B.V."))
    text = flat(text)
    assert "Nieuw B.V." in text
    assert "Recovery rate –" in text and "DSO now –" in text
    assert "No cases yet." in text
    assert "No debtor has accepted a shorter payment term yet." in text
    assert len([image for page in reader.pages for image in page.images]) == 4


def test_the_brand_colour_and_logo_are_used(app, tmp_path):
    logo = Image.new("RGB", (300, 120), "#2e7d32")
    (tmp_path / "logos").mkdir()
    logo.save(tmp_path / "logos" / "7.png")
    app.instance_path = str(tmp_path)  # branding stores the logo relative to the instance
    reader, _text = read(report(logo_path="logos/7.png"))
    assert len([image for page in reader.pages for image in page.images]) == 5
    content = reader.pages[0].get_contents().get_data()
    assert b"0.1804 0.4902 0.1961 rg" in content  # #2e7d32, the band and the headings

    # A missing logo file leaves the logo out instead of failing the report.
    reader, _text = read(report(logo_path="logos/gone.png"))
    assert len([image for page in reader.pages for image in page.images]) == 4


def test_a_light_brand_colour_is_darkened_for_text(app):
    reader, _text = read(report(brand_colour="#f2c500"))
    content = reader.pages[0].get_contents().get_data()
    fills = set(re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", content))
    assert (b"0.9490", b"0.7725", b"0") in fills or (b"0.949", b"0.7725", b"0") in fills
    # Headings in a darker shade of the same yellow: luma at most 110 of 255.
    darker = [
        tuple(float(v) for v in rgb)
        for rgb in fills
        if float(rgb[0]) > 0 and float(rgb[2]) == 0 and float(rgb[0]) < 0.9
    ]
    assert darker
    assert all((0.299 * r + 0.587 * g + 0.114 * b) * 255 <= 110.5 for r, g, b in darker)


def test_the_portal_offers_last_months_report_as_a_download(
    client, login_as, make_client, make_case, tmp_path
):
    fietsen = make_client(name="Fietsen B.V.", brand_colour="#2e7d32")
    make_case(1_000_00, client=fietsen, opened_on=date(2025, 8, 10))
    with time_machine.travel(datetime(2025, 9, 15, 12, tzinfo=UTC), tick=False):
        login_as(Role.CLIENT, fietsen, language="en")
        response = client.get("/portal/reports/monthly/2025-08.pdf")
        assert client.get("/portal/reports/monthly/2025-09.pdf").status_code == 404
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"report-{fietsen.code}-2025-08.pdf" in response.headers["Content-Disposition"]
    _reader, text = read(response.data)
    assert "Fietsen B.V." in text and "August 2025" in text
    assert "Handed over €1,000.00" in flat(text)
