"""PDF letters with fpdf2 (the only module that imports it): one letter, or a day's print batch.

Layout on A4 for a window envelope (DIN 5008 form B, which Dutch C5/6 and EA5/6 window
envelopes follow): the address field starts 45 mm from the top and 20 mm from the left edge,
85 mm wide and 45 mm high; a small return-address line sits at its top, the debtor's address
below it. Nothing else is printed in that field.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import segno
from babel import Locale
from fpdf import FPDF

from agency.letters.render import long_date, money
from agency.letters.wording import FRAME

CORE_FONTS = {
    "helvetica": "Helvetica",
    "arial": "Helvetica",
    "times": "Times",
    "courier": "Courier",
}

# Window envelope address field (mm from the page's top-left corner).
ADDRESS_X = 25.0  # 20 mm field edge plus 5 mm inner margin
ADDRESS_TOP = 45.0
RETURN_LINE_Y = 47.0
ADDRESS_Y = 55.0
ADDRESS_WIDTH = 80.0
LEFT, RIGHT_EDGE = 20.0, 190.0


# Spaces and dashes that CLDR number and date formats use but Windows-1252 lacks.
_PRINTABLE = str.maketrans({"\u202f": "\xa0", "\u2009": " ", "\u2011": "-", "\u2212": "-"})


def _safe(text: str) -> str:
    """Keep text printable in the core fonts' Windows-1252 encoding."""
    return text.translate(_PRINTABLE).encode("cp1252", "replace").decode("cp1252")


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    try:
        return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)
    except (ValueError, IndexError):
        return 31, 78, 121


class _Letter(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.set_auto_page_break(auto=True, margin=25)
        self.set_margins(LEFT, 20, 20)
        self.footer_text = ""
        self.font_name = "Helvetica"

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-18)
        self.set_font(self.font_name, size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 3.5, _safe(self.footer_text), align="C")


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    return buffer


def _address_lines(debtor: dict[str, Any]) -> list[str]:
    lines = [debtor["name"]]
    if debtor.get("contact_name"):
        lines.append(f"t.a.v. {debtor['contact_name']}")
    if debtor.get("street"):
        lines.append(debtor["street"])
    lines.append(" ".join(x for x in (debtor.get("postcode"), debtor.get("city")) if x))
    country = (debtor.get("country") or "NL").upper()
    if country != "NL":
        # Posted in the Netherlands: the destination country last, in capitals, in Dutch.
        lines.append(Locale("nl").territories.get(country, country).upper())
    return [line for line in lines if line]


def _draw_letter(pdf: _Letter, content: dict[str, Any]) -> None:
    lang = content["language"]
    words = FRAME[lang]
    branding = content["branding"]
    agency = content["agency"]
    creditor = content["creditor"]
    colour = _rgb(branding.get("colour") or "#1f4e79")
    pdf.font_name = CORE_FONTS.get((branding.get("font") or "").lower(), "Helvetica")
    pdf.footer_text = "  ·  ".join(
        [
            agency["name"],
            words["registration"].format(registration=agency["registration"]),
            agency["email"],
            agency["phone"],
        ]
    )
    pdf.add_page()
    font = pdf.font_name

    # Letterhead: the client's logo and colour, "agency on behalf of creditor".
    logo = branding.get("logo_path")
    if logo and Path(logo).is_file():
        pdf.image(logo, x=LEFT, y=12, h=16)
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, 210, 6, style="F")
    pdf.set_xy(110, 12)
    pdf.set_font(font, "B", 11)
    pdf.set_text_color(*colour)
    pdf.cell(80, 5, _safe(creditor["sender_name"]), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font(font, size=8)
    pdf.set_text_color(60, 60, 60)
    pdf.set_x(110)
    pdf.cell(
        80,
        4,
        _safe(f"{agency['name']} {words['on_behalf']} {creditor['name']}"),
        align="R",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_x(110)
    pdf.cell(80, 4, _safe(agency["address"]), align="R")

    # Window envelope: return address line, then the debtor's address.
    pdf.set_xy(ADDRESS_X, RETURN_LINE_Y)
    pdf.set_font(font, size=6.5)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(ADDRESS_WIDTH, 3, _safe(f"{agency['name']}, {agency['address']}"))
    pdf.set_xy(ADDRESS_X, ADDRESS_Y)
    pdf.set_font(font, size=10.5)
    pdf.set_text_color(0, 0, 0)
    for line in _address_lines(content["debtor"]):
        pdf.set_x(ADDRESS_X)
        pdf.cell(ADDRESS_WIDTH, 5, _safe(line), new_x="LEFT", new_y="NEXT")

    # Date and reference, right of and below the window.
    pdf.set_xy(125, 60)
    pdf.set_font(font, size=9)
    for label, value in (
        (words["date"], long_date(content["date"], lang)),
        (words["reference"], content["reference"]),
        (words["creditor"], creditor["name"]),
    ):
        pdf.set_x(125)
        pdf.cell(25, 5, _safe(label))
        pdf.cell(40, 5, _safe(value), new_x="LMARGIN", new_y="NEXT")

    # Subject and the template's body.
    pdf.set_xy(LEFT, 100)
    pdf.set_font(font, "B", 12)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, 6, _safe(content["subject"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(font, size=10)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 5, _safe(content["body"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # The invoices and the balance broken down.
    pdf.set_font(font, "B", 9)
    pdf.set_fill_color(235, 238, 242)
    widths = (50, 35, 35, 50)
    for width, label in zip(
        widths,
        (words["invoice"], words["invoice_date"], words["due_date"], words["open"]),
        strict=True,
    ):
        pdf.cell(
            width,
            6,
            _safe(label),
            border="B",
            fill=True,
            align="R" if width == 50 and label == words["open"] else "L",
        )
    pdf.ln()
    pdf.set_font(font, size=9)
    for inv in content["invoices"]:
        pdf.cell(widths[0], 5, _safe(inv["number"]))
        pdf.cell(widths[1], 5, _safe(long_date(inv["invoice_date"], lang)))
        pdf.cell(widths[2], 5, _safe(long_date(inv["due_date"], lang)))
        pdf.cell(
            widths[3],
            5,
            _safe(money(inv["open_cents"], lang)),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    balance = content["balance"]
    costs_label = words["costs"] + (
        f" ({words['vat_included']})" if content.get("vat_on_costs") and balance["cost"] else ""
    )
    rows = [
        (words["principal"], balance["principal"]),
        (costs_label, balance["cost"]),
        (words["interest"], balance["interest"]),
    ]
    for label, cents in rows:
        pdf.cell(120, 5, _safe(label))
        pdf.cell(50, 5, _safe(money(cents, lang)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "B", 10)
    pdf.cell(120, 6, _safe(words["total"]), border="T")
    pdf.cell(
        50,
        6,
        _safe(money(balance["total"], lang)),
        border="T",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)

    # How to pay: link, QR code, IBAN and reference.
    if pdf.get_y() > 225:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(_qr_png(content["payment_url"]), x=RIGHT_EDGE - 30, y=top, w=30, h=30)
    pdf.set_font(font, "B", 10)
    pdf.set_text_color(*colour)
    pdf.cell(140, 6, _safe(words["how_to_pay"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(font, size=9)
    pdf.cell(
        140,
        5,
        _safe(f"{words['pay_online']}: {content['payment_url']}"),
        link=content["payment_url"],
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        140,
        5,
        _safe(
            words["transfer"].format(
                total=money(balance["total"], lang),
                iban=agency["iban"],
                agency=agency["name"],
                reference=content["reference"],
            )
            + " "
            + words["scan"]
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_y(max(pdf.get_y(), top + 32))

    # How to dispute.
    pdf.set_font(font, "B", 10)
    pdf.set_text_color(*colour)
    pdf.cell(0, 6, _safe(words["dispute_title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(font, size=9)
    pdf.multi_cell(
        0,
        5,
        _safe(
            words["dispute"].format(
                email=agency["email"],
                phone=agency["phone"],
                reference=content["reference"],
                creditor=creditor["name"],
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def letter_pdf(content: dict[str, Any]) -> bytes:
    """Render one letter from its content snapshot."""
    pdf = _Letter()
    _draw_letter(pdf, content)
    return bytes(pdf.output())


def print_batch_pdf(contents: Iterable[dict[str, Any]]) -> bytes:
    """Render a day's letters into one PDF for the printer, each letter on fresh pages."""
    pdf = _Letter()
    count = 0
    for content in contents:
        _draw_letter(pdf, content)
        count += 1
    if count == 0:
        pdf.footer_text = ""
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.cell(0, 10, "-")
    return bytes(pdf.output())
