"""A letter PDF says what the law asks, and its address sits in the envelope's window."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pypdf
import pytest

from agency.letters.models import Channel, TemplateKind
from agency.letters.operations import letter_content
from agency.letters.pdf import letter_pdf, print_batch_pdf
from tests.letters.conftest import at, messages

MM_PER_PT = 25.4 / 72
A4_HEIGHT_PT = 841.89


def text_positions(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    """(text, mm from the left edge, mm from the top edge) of every text run on a page."""
    runs = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            runs.append((text.strip(), tm[4] * MM_PER_PT, (A4_HEIGHT_PT - tm[5]) * MM_PER_PT))

    pypdf.PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return runs


def full_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def letter(app, db, b2c_case):
    app.config.update(AGENCY_REGISTRATION="Justis 123456", AGENCY_IBAN="NL91ABNA0417164300")
    case = b2c_case()
    content = letter_content(
        case,
        TemplateKind.FOURTEEN_DAY_LETTER,
        on=date(2025, 4, 7),
        term_ends_on=date(2025, 4, 23),
        stated_costs_cents=425_00,
    )
    return case, content, letter_pdf(content)


def test_the_letter_shows_every_part_the_law_asks_for(letter):
    case, content, data = letter
    text = full_text(data)
    assert "Justis 123456" in text  # the agency's registration number
    assert "Fietsen B.V." in text  # the creditor
    for number in (inv.number for inv in case.invoices):  # the invoices
        assert number in text
    for line in ("Hoofdsom", "Incassokosten", "Wettelijke rente", "Totaal te betalen"):
        assert line in text  # the balance broken down
    assert "€ 3.000,00" in text.replace("\xa0", " ")
    assert "NL91ABNA0417164300" in text and case.reference in text  # IBAN and reference
    assert content["payment_url"] in text and "/pay/" in content["payment_url"]
    assert "Bent u het er niet mee eens?" in text  # how to dispute
    # The 14-day letter states the exact costs and the term's last day.
    assert "€ 425,00" in text.replace("\xa0", " ") and "23 april 2025" in text


def test_the_address_sits_in_the_window_of_the_envelope(letter):
    _, _, data = letter
    runs = text_positions(data)
    address = [r for r in runs if r[0] in ("Jan de Vries", "Oudegracht 1", "3511 AA Utrecht")]
    assert [r[0] for r in address] == ["Jan de Vries", "Oudegracht 1", "3511 AA Utrecht"]
    for _, left, top in address:
        # DIN 5008 form B window: 20-105 mm from the left, 45-90 mm from the top.
        assert 20 <= left <= 30, left
        assert 50 <= top <= 88, top
    # Nothing but the return line and the address is printed in the window.
    in_window = [r[0] for r in runs if 20 <= r[1] <= 105 and 45 <= r[2] <= 90]
    assert len(in_window) == 4 and in_window[1:] == [r[0] for r in address]
    assert in_window[0].startswith("Agency Incasso B.V.")


def test_the_letter_renders_to_an_image(letter, tmp_path):
    # pdftoppm comes from Debian's poppler-utils (scripts/ensure-test-tools installs it).
    _, _, data = letter
    (tmp_path / "letter.pdf").write_bytes(data)
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("pdftoppm"),
            "-png",
            "-r",
            "50",
            str(tmp_path / "letter.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


def test_the_daily_print_batch_holds_the_days_letters(db, b2c_case, run_day, client, login_as):
    first, second = b2c_case(), b2c_case(name="Piet Jansen", email=None)
    run_day(at(2025, 3, 20, 10))
    assert {m.channel for m in messages(db, first.id)} == {Channel.LETTER, Channel.EMAIL}
    login_as("agent")
    response = client.get("/letters/print?day=2025-03-20")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = full_text(response.data)
    assert "Jan de Vries" in text and "Piet Jansen" in text
    assert first.reference in text and second.reference in text
    empty = client.get("/letters/print?day=2025-03-21")
    assert first.reference not in full_text(empty.data)
    assert client.get("/letters/print?day=yesterday").status_code == 400


def test_a_batch_of_no_letters_is_still_a_pdf():
    assert print_batch_pdf([]).startswith(b"%PDF")


def test_a_french_letter_to_belgium_prints_its_amounts_and_the_country(app, db, b2c_case):
    case = b2c_case(
        country="BE", city="Bruxelles", postcode="1000", language="fr", name="Société Générale Ærø"
    )
    content = letter_content(case, TemplateKind.REMINDER, on=date(2025, 4, 7))
    text = full_text(letter_pdf(content))
    assert "3?000" not in text  # CLDR's narrow no-break space is printable
    assert "3\xa0000,00\xa0€" in text or "3 000,00 €" in text.replace("\xa0", " ")
    assert "Société Générale Ærø" in text
    lines = [r[0] for r in text_positions(letter_pdf(content))]
    address_end = lines.index("1000 Bruxelles")
    assert lines[address_end + 1] == "BELGIË"
    assert "Rappel" in content["subject"] and "Date de facture" in text
