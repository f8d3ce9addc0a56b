"""Remittance statement and commission invoice as PDF (the ledger's only fpdf2 module)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from agency.money import format_eur

_PRINTABLE = str.maketrans({"\u202f": "\xa0", "\u2009": " ", "\u2011": "-", "\u2212": "-"})


def _safe(text: str) -> str:
    """Keep text printable in the core fonts' Windows-1252 encoding."""
    return text.translate(_PRINTABLE).encode("cp1252", "replace").decode("cp1252")


def _eur(cents: int) -> str:
    return _safe(format_eur(cents, "nl"))


class _Document(FPDF):
    def __init__(self, agency: str, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.set_auto_page_break(auto=True, margin=20)
        self.agency, self.title_text = agency, title
        self.set_margins(20, 20, 20)
        self.add_page()

    def header(self) -> None:
        self.set_font("Helvetica", "B", 14)
        self.cell(0, 8, _safe(self.agency), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 11)
        self.cell(0, 6, _safe(self.title_text), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def row(self, cells: list[tuple[str, float, str]], bold: bool = False) -> None:
        self.set_font("Helvetica", "B" if bold else "", 9)
        for text, width, align in cells:
            self.cell(width, 5, _safe(text), align=align)
        self.ln(5)


def _figures(pdf: _Document, doc: dict[str, Any]) -> None:
    for label, cents in doc["figures"]:
        pdf.row([(label, 120, "L"), (_eur(cents), 50, "R")], bold=label == doc["figures"][-1][0])


def statement_pdf(doc: dict[str, Any]) -> bytes:
    """Render a client's remittance statement: every payment, its allocations, the totals."""
    pdf = _Document(doc["agency"], doc["title"])
    pdf.set_font("Helvetica", "", 9)
    for line in doc["header"]:
        pdf.cell(0, 5, _safe(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = [22, 38, 35, 45, 30]
    pdf.row(list(zip(doc["columns"], widths, ["L", "L", "L", "L", "R"], strict=True)), bold=True)
    for row in doc["rows"]:
        pdf.row(
            [
                (row["booked_on"], widths[0], "L"),
                (row["reference"], widths[1], "L"),
                (row["kind"], widths[2], "L"),
                ("", widths[3], "L"),
                (_eur(row["cents"]), widths[4], "R"),
            ]
        )
        for invoice, component, cents in row["allocations"]:
            pdf.row(
                [
                    ("", widths[0], "L"),
                    ("", widths[1], "L"),
                    ("", widths[2], "L"),
                    (f"{invoice} {component}".strip(), widths[3], "L"),
                    (_eur(cents), widths[4], "R"),
                ]
            )
    pdf.ln(4)
    _figures(pdf, doc)
    return bytes(pdf.output())


def invoice_pdf(doc: dict[str, Any]) -> bytes:
    """Render the commission invoice of a client's part of a run, with VAT."""
    pdf = _Document(doc["agency"], doc["title"])
    pdf.set_font("Helvetica", "", 9)
    for line in doc["header"]:
        pdf.cell(0, 5, _safe(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _figures(pdf, doc)
    return bytes(pdf.output())
