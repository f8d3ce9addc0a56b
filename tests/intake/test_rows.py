"""Parsing rows of a handoff file into invoice rows and row errors."""

from __future__ import annotations

import gc
import io
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from agency.clients.intake import rows as rows_module
from agency.clients.intake.columns import map_headers, template_headers
from agency.clients.intake.reader import FileRejected, Table, read_table
from agency.clients.intake.rows import (
    CellError,
    InvoiceRow,
    ParseResult,
    RowError,
    normalise_country,
    normalise_email,
    normalise_iban,
    normalise_kind,
    normalise_phone,
    normalise_postcode,
    parse_amount,
    parse_amount_column,
    parse_date,
    parse_rows,
)
from agency.money import AmountError, parse_eur

COLUMNS = [
    "Debiteurnummer",
    "Naam",
    "Factuurnummer",
    "Factuurdatum",
    "Vervaldatum",
    "Bedrag",
    "Openstaand",
    "Betaald op",
    "E-mail",
    "Telefoon",
    "IBAN",
    "Postcode",
    "Land",
]
BASE = {
    "Debiteurnummer": "10023",
    "Naam": "Café Müller B.V.",
    "Factuurnummer": "F-2025-001",
    "Factuurdatum": "15-01-2025",
    "Vervaldatum": "14-02-2025",
    "Bedrag": "1.234,56",
    "Openstaand": "",
    "Betaald op": "",
    "E-mail": "",
    "Telefoon": "",
    "IBAN": "",
    "Postcode": "",
    "Land": "",
}


def line(**cells: str) -> str:
    """One semicolon line: the base row with some cells changed (keys without spaces)."""
    values = dict(BASE)
    for key, value in cells.items():
        header = {"Betaald_op": "Betaald op", "E_mail": "E-mail"}.get(key, key)
        assert header in values, key
        values[header] = value
    return ";".join(values[column] for column in COLUMNS)


def parse_csv(*lines: str, columns: list[str] = COLUMNS, **options: str) -> ParseResult:
    text = ";".join(columns) + "\n" + "\n".join(lines) + "\n"
    table = read_table(text.encode(), "export.csv")
    return parse_rows(table, map_headers(table.headers), **options)


def only_row(result: ParseResult) -> InvoiceRow:
    assert result.errors == []
    assert len(result.rows) == 1
    return result.rows[0]


# --- A whole row ---------------------------------------------------------------------------


def test_a_full_row_becomes_an_invoice_row() -> None:
    columns = [
        "Klantnr",
        "Klantnaam",
        "Soort",
        "T.a.v.",
        "Adres",
        "Postcode",
        "Plaats",
        "Land",
        "E-mail",
        "Telefoon",
        "Taal",
        "KvK-nummer",
        "Btw-nummer",
        "IBAN",
        "Factuurnr",
        "Factuurdatum",
        "Vervaldatum",
        "Bedrag",
        "Betaald",
        "Valuta",
        "Aanmaningen",
        "Omschrijving",
    ]
    cells = [
        "10023",
        "Café Müller B.V.",
        "Zakelijk",
        "J. Müller",
        "Dorpsstraat 1",
        "1234ab",
        "Amsterdam",
        "Nederland",
        "Info@Cafe-Muller.NL",
        "020-1234567",
        "Nederlands",
        "1234.5678",
        "nl 8001.23.456.B01",
        "nl91 abna 0417 1643 00",
        "F-2025-001",
        "15-01-2025",
        "14-02-2025",
        "€ 1.234,56",
        "234,56",
        "eur",
        "2",
        "Levering koffie",
    ]

    result = parse_csv(";".join(cells), columns=columns)

    assert result.rows == [
        InvoiceRow(
            row=2,
            debtor_code="10023",
            debtor_name="Café Müller B.V.",
            debtor_kind="company",
            contact_name="J. Müller",
            street="Dorpsstraat 1",
            postcode="1234 AB",
            city="Amsterdam",
            country="NL",
            email="info@cafe-muller.nl",
            phone="+31201234567",
            language="nl",
            kvk_number="12345678",
            vat_number="NL800123456B01",
            iban="NL91ABNA0417164300",
            invoice_number="F-2025-001",
            invoice_date=date(2025, 1, 15),
            due_date=date(2025, 2, 14),
            amount_cents=123456,
            open_cents=100000,
            paid_on=None,
            currency="EUR",
            reminders_sent=2,
            description="Levering koffie",
        )
    ]
    assert result.errors == []
    assert result.skipped_total_rows == []


def test_unmapped_optional_fields_get_their_defaults() -> None:
    row = only_row(parse_csv(line()))

    assert (row.debtor_kind, row.contact_name, row.street, row.city) == (None, None, None, None)
    assert (row.email, row.phone, row.iban, row.postcode) == (None, None, None, None)
    assert (row.language, row.kvk_number, row.vat_number, row.description) == (
        None,
        None,
        None,
        None,
    )
    assert row.country == "NL"
    assert row.currency == "EUR"
    assert row.reminders_sent == 0
    assert row.paid_on is None
    assert row.open_cents == 123456


def test_english_export_with_commas_and_iso_dates() -> None:
    text = (
        "Customer no.,Customer name,Invoice no.,Invoice date,Due date,Amount,Amount paid\n"
        'C-7,Acme Ltd,INV-1,2025-03-01,2025-03-31,"1,234.56",34.56\n'
    )
    table = read_table(text.encode(), "export.csv")

    row = only_row(parse_rows(table, map_headers(table.headers)))

    assert (row.debtor_code, row.invoice_number) == ("C-7", "INV-1")
    assert (row.invoice_date, row.due_date) == (date(2025, 3, 1), date(2025, 3, 31))
    assert (row.amount_cents, row.open_cents) == (123456, 120000)


def test_windows_1252_export_end_to_end() -> None:
    text = (
        "Debiteurnummer;Naam;Factuurnummer;Factuurdatum;Vervaldatum;Bedrag\r\n"
        "10023;Café Müller;F-1;1-2-25;1-3-25;€ 1.234,-\r\n"
    )
    table = read_table(text.encode("cp1252"), "export.csv")

    row = only_row(parse_rows(table, map_headers(table.headers)))

    assert row.debtor_name == "Café Müller"
    assert (row.invoice_date, row.due_date) == (date(2025, 2, 1), date(2025, 3, 1))
    assert row.amount_cents == 123400


def test_xlsx_export_end_to_end() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Openstaande posten per 31-10-2026"])
    sheet.append(["Debiteurnummer", "Naam", "Factuurnummer", "Factuurdatum", "Vervaldatum"])
    sheet["F2"], sheet["G2"] = "Bedrag", "Openstaand"
    # Codes stored as numbers, a date cell, a serial number in a plain cell, float amounts.
    sheet.append([10023, "Café Müller", 2025001, date(2025, 1, 15), 45702, 1234.5, 0.1])
    sheet.append([10024, "Bakkerij", "F-2", datetime(2025, 1, 20, 0, 0), "19-02-2025", -50, -50])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "export.xlsx")

    result = parse_rows(table, map_headers(table.headers))

    assert result.errors == []
    first, second = result.rows
    assert (first.row, first.debtor_code, first.invoice_number) == (3, "10023", "2025001")
    assert (first.invoice_date, first.due_date) == (date(2025, 1, 15), date(2025, 2, 14))
    assert (first.amount_cents, first.open_cents) == (123450, 10)
    assert (second.row, second.invoice_date) == (4, date(2025, 1, 20))
    assert (second.amount_cents, second.open_cents) == (-5000, -5000)


def test_template_file_parses() -> None:
    headers = template_headers("en")
    values = {
        "Customer number": "D1",
        "Customer name": "Jan de Vries",
        "Invoice number": "F1",
        "Invoice date": "01-03-2025",
        "Due date": "31-03-2025",
        "Invoice amount": "99,95",
        "Private/Business": "Particulier",
        "Phone": "06 12345678",
    }
    text = ";".join(headers) + "\n" + ";".join(values.get(h, "") for h in headers) + "\n"
    table = read_table(text.encode(), "template.csv")

    row = only_row(parse_rows(table, map_headers(table.headers)))

    assert (row.debtor_kind, row.phone, row.amount_cents) == ("person", "+31612345678", 9995)


# --- Amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("1234.56", 123456),
        ("1234,56", 123456),
        ("1,234.56", 123456),
        ("€ 1.234,-", 123400),
        ("€1.234,56", 123456),
        ("1.234", 123400),  # Dutch thousands
        ("12", 1200),
        ("12,5", 1250),
        ("0,05", 5),
        ("-12,50", -1250),
        ("-1.234,56", -123456),
        ("(12,50)", -1250),
        ("12,50-", -1250),
        ("1.234.567,89", 123456789),
    ],
)
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


AMOUNT_LIKE = st.one_of(
    st.text(alphabet="0123456789.,-", max_size=12),
    st.from_regex(r"\A-?[0-9]{1,4}(?:[.,][0-9]{1,4}){0,3}(?:[.,]-)?\Z"),
)


@given(AMOUNT_LIKE)
@example("0.123,45")
@example("1.234,5")
@example("12.34,56")
@example("1,234.5")
@example("-1.234.567,89")
@example("1234567890123456,78")
@example(",56")
@example("-")
def test_parse_amount_reads_exactly_as_parse_eur(text: str) -> None:
    try:
        expected: int | str = parse_eur(text, "nl")
    except AmountError as error:
        expected = str(error)
    try:
        actual: int | str = parse_amount(text)
    except AmountError as error:
        actual = str(error)

    assert actual == expected


@given(st.lists(AMOUNT_LIKE, max_size=8))
@example(["1.234,56", "-12,50", "1,234.56", "0,00"])
@example(["1.234.56"])
@example(["1,234,56"])
@example(["0.234,56"])
def test_parse_amount_column_reads_each_text_as_parse_eur(texts: list[str]) -> None:
    cents = parse_amount_column(texts)

    assert len(cents) == len(texts)
    for text, value in zip(texts, cents, strict=True):
        if value is not None:  # None: left to parse_eur, which reads it or words the error
            assert value == parse_eur(text, "nl"), text


def test_parse_amount_column_reads_a_plain_column_in_full() -> None:
    assert parse_amount_column(["1.234,56", "-12,50", "1,234.56", "7.00"]) == [
        123456,
        -1250,
        123456,
        700,
    ]


def test_parse_amount_column_keeps_texts_with_line_breaks_apart() -> None:
    assert parse_amount_column(["12,50\n13,00", "1,00"]) == [None, 100]


@pytest.mark.parametrize(
    ("amount", "open_amount", "cents", "open_cents"),
    [
        ("1.234,56", "", 123456, 123456),
        ("1.234,56", "234,56", 123456, 23456),
        ("1.234,56", "0", 123456, 0),
        ("-100,00", "-40,00", -10000, -4000),  # a credit note
        ("-100,00", "", -10000, -10000),
    ],
)
def test_amount_and_open_amount(amount: str, open_amount: str, cents: int, open_cents: int) -> None:
    row = only_row(parse_csv(line(Bedrag=amount, Openstaand=open_amount)))

    assert (row.amount_cents, row.open_cents) == (cents, open_cents)


@pytest.mark.parametrize(
    ("paid", "paid_on", "open_cents"),
    [
        ("", "", 10000),
        ("", "20-01-2025", 0),
        ("40", "", 6000),
        ("100", "20-01-2025", 0),
    ],
)
def test_open_amount_follows_from_paid_amount_or_paid_on(
    paid: str, paid_on: str, open_cents: int
) -> None:
    columns = ["Debiteurnummer", "Naam", "Factuurnummer", "Factuurdatum", "Vervaldatum"]
    columns += ["Bedrag", "Betaald", "Betaald op"]
    cells = ["1", "A", "F1", "15-01-2025", "14-02-2025", "100", paid, paid_on]

    row = only_row(parse_csv(";".join(cells), columns=columns))

    assert row.open_cents == open_cents
    assert row.paid_on == (date(2025, 1, 20) if paid_on else None)


def test_credit_note_paid_amount_may_carry_either_sign() -> None:
    columns = ["Debiteurnummer", "Naam", "Factuurnummer", "Factuurdatum", "Vervaldatum"]
    columns += ["Bedrag", "Betaald"]
    lines = [
        "1;A;C1;15-01-2025;15-01-2025;-100;-40",
        "1;A;C2;15-01-2025;15-01-2025;-100;40",
    ]

    result = parse_csv(*lines, columns=columns)

    assert result.errors == []
    assert [row.open_cents for row in result.rows] == [-6000, -6000]


# --- Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31-01-2025", date(2025, 1, 31)),
        ("1-2-2025", date(2025, 2, 1)),
        ("1-2-25", date(2025, 2, 1)),
        ("01-02-69", date(2069, 2, 1)),
        ("01-02-70", date(1970, 2, 1)),
        ("31-12-99", date(1999, 12, 31)),
        ("01-01-00", date(2000, 1, 1)),
        ("31/01/2025", date(2025, 1, 31)),
        ("31.01.2025", date(2025, 1, 31)),
        ("2025-01-31", date(2025, 1, 31)),
        ("2025-01-31 00:00:00", date(2025, 1, 31)),
        ("2025-01-31T13:45", date(2025, 1, 31)),
        ("29-02-2024", date(2024, 2, 29)),
        ("45658", date(2025, 1, 1)),  # Excel serial numbers
        ("45658.0", date(2025, 1, 1)),
        ("45658.75", date(2025, 1, 1)),
        ("45351", date(2024, 2, 29)),
        ("20000", date(1954, 10, 3)),
        ("80000", date(2119, 1, 11)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31-02-2025",
        "29-02-2025",
        "2025-13-01",
        "32-01-2025",
        "31-01/2025",
        "1-2-3",
        "19999",
        "80001",
        "1234",
        "31 januari 2025",
        "01-01-1899",
        "morgen",
    ],
)
def test_parse_date_refuses(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_is_cached() -> None:
    parse_date("17-03-2031")
    hits = parse_date.cache_info().hits

    parse_date("17-03-2031")

    assert parse_date.cache_info().hits == hits + 1


# --- Errors a person can act on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"Debiteurnummer": ""}, "Debiteurnummer", "missing; every invoice needs a debtor number"),
        (
            {"Debiteurnummer": "D" * 41},
            "Debiteurnummer",
            "'DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD...' is longer than 40 characters",
        ),
        ({"Naam": ""}, "Naam", "missing; every invoice needs a debtor name"),
        ({"Factuurnummer": ""}, "Factuurnummer", "missing; every row needs an invoice number"),
        ({"Factuurdatum": ""}, "Factuurdatum", "missing; every invoice needs an invoice date"),
        (
            {"Factuurdatum": "31-02-2025"},
            "Factuurdatum",
            "'31-02-2025' is not a date; expected e.g. 31-01-2025",
        ),
        ({"Vervaldatum": ""}, "Vervaldatum", "missing; every invoice needs a due date"),
        (
            {"Vervaldatum": "morgen"},
            "Vervaldatum",
            "'morgen' is not a date; expected e.g. 31-01-2025",
        ),
        (
            {"Vervaldatum": "14-01-2025"},
            "Vervaldatum",
            "'14-01-2025' is before the invoice date 15-01-2025",
        ),
        ({"Bedrag": ""}, "Bedrag", "missing; every invoice needs an amount"),
        ({"Bedrag": "veel"}, "Bedrag", "'veel' is not an amount; expected e.g. 1.234,56"),
        (
            {"Bedrag": "12,345"},
            "Bedrag",
            "'12,345' has more than 2 decimals; expected e.g. 1.234,56",
        ),
        ({"Bedrag": "0,00"}, "Bedrag", "'0,00' is zero; expected the amount"),
        ({"Openstaand": "1.234,57"}, "Openstaand", "'1.234,57' is more than the invoice amount"),
        ({"Openstaand": "-1"}, "Openstaand", "'-1' is negative; expected 0 or more"),
        ({"Openstaand": "?"}, "Openstaand", "'?' is not an amount; expected e.g. 1.234,56"),
        (
            {"Bedrag": "-100", "Openstaand": "-100,01"},
            "Openstaand",
            "'-100,01' is more than the invoice amount",
        ),
        (
            {"Bedrag": "-100", "Openstaand": "5"},
            "Openstaand",
            "'5' is positive on a credit note; expected 0 or less",
        ),
        (
            {"Betaald_op": "14-01-2025"},
            "Betaald op",
            "'14-01-2025' is before the invoice date 15-01-2025",
        ),
        (
            {"Betaald_op": "gisteren"},
            "Betaald op",
            "'gisteren' is not a date; expected e.g. 31-01-2025",
        ),
        (
            {"E_mail": "jan@"},
            "E-mail",
            "'jan@' is not an e-mail address; expected e.g. name@example.nl",
        ),
        (
            {"Telefoon": "12345"},
            "Telefoon",
            "'12345' is not a phone number; expected e.g. 06 12345678 or +32 470 12 34 56",
        ),
        (
            {"IBAN": "NL92ABNA0417164300"},
            "IBAN",
            "'NL92ABNA0417164300' is not a valid IBAN; the check digits are wrong",
        ),
        (
            {"IBAN": "NL91ABNA041716430"},
            "IBAN",
            "'NL91ABNA041716430' is not a valid IBAN; it has the wrong length",
        ),
        (
            {"IBAN": "rekening 12"},
            "IBAN",
            "'rekening 12' is not a valid IBAN; expected e.g. NL91 ABNA 0417 1643 00",
        ),
        (
            {"Postcode": "123 AB"},
            "Postcode",
            "'123 AB' is not a Dutch postcode; expected e.g. 1234 AB",
        ),
        (
            {"Land": "BE", "Postcode": "1234 AB"},
            "Postcode",
            "'1234 AB' is not a Belgian postcode; expected 4 digits, e.g. 1000",
        ),
        (
            {"Land": "Atlantis"},
            "Land",
            "'Atlantis' is not a country; expected a country code such as NL or BE",
        ),
    ],
)
def test_row_errors(cells: dict[str, str], column: str, message: str) -> None:
    result = parse_csv(line(Factuurnummer="F-0"), line(**cells))

    assert result.errors == [RowError(3, column, message)]
    assert [row.row for row in result.rows] == [2]


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("Valuta", "XYZ", "'XYZ' is an unknown currency; expected a code such as EUR"),
        ("Valuta", "dollar", "'dollar' is an unknown currency; expected a code such as EUR"),
        (
            "Aanmaningen",
            "twee",
            "'twee' is not a number of reminders; expected a whole number, e.g. 2",
        ),
        ("Aanmaningen", "-1", "'-1' is not a number of reminders; expected a whole number, e.g. 2"),
        ("KvK", "1234567", "'1234567' is not a KvK number; expected 8 digits"),
        ("Taal", "Klingon", "'Klingon' is not a language; expected nl, en, fr or de"),
        ("Soort", "Verkoop", "'Verkoop' is not a debtor type; expected Particulier or Zakelijk"),
        ("Contactpersoon", "x" * 121, f"'{'x' * 37}...' is longer than 120 characters"),
    ],
)
def test_row_errors_in_optional_columns(header: str, value: str, message: str) -> None:
    columns = ["Debiteurnummer", "Naam", "Factuurnummer", "Factuurdatum", "Vervaldatum"]
    columns += ["Bedrag", header]

    result = parse_csv(f"1;A;F1;15-01-2025;14-02-2025;10;{value}", columns=columns)

    assert result.errors == [RowError(2, header, message)]
    assert result.rows == []


def test_open_amount_above_the_amount_is_found_among_filled_open_amounts() -> None:
    lines = [
        line(Factuurnummer="F-1", Bedrag="100", Openstaand="50"),
        line(Factuurnummer="F-2", Bedrag="100", Openstaand="100,01"),
        line(Factuurnummer="F-3", Bedrag="100", Openstaand="100"),
    ]

    result = parse_csv(*lines)

    assert result.errors == [RowError(3, "Openstaand", "'100,01' is more than the invoice amount")]
    assert [row.open_cents for row in result.rows] == [5000, 10000]


def test_paid_amount_errors() -> None:
    columns = ["Debiteurnummer", "Naam", "Factuurnummer", "Factuurdatum", "Vervaldatum"]
    columns += ["Bedrag", "Betaald"]
    lines = [
        "1;A;F1;15-01-2025;14-02-2025;100;100,01",
        "1;A;F2;15-01-2025;14-02-2025;100;-1",
        "1;A;F3;15-01-2025;14-02-2025;100;x",
    ]

    result = parse_csv(*lines, columns=columns)

    assert result.errors == [
        RowError(2, "Betaald", "'100,01' is more than the invoice amount"),
        RowError(3, "Betaald", "'-1' is negative; expected 0 or more"),
        RowError(4, "Betaald", "'x' is not an amount; expected e.g. 1.234,56"),
    ]


def test_errors_are_ordered_by_row_then_column() -> None:
    lines = [
        line(Factuurnummer="F-1", Telefoon="1", Factuurdatum="x", Naam=""),
        line(Factuurnummer="F-2"),
        line(Factuurnummer="", IBAN="NL00", Bedrag=""),
    ]

    result = parse_csv(*lines)

    assert [(error.row, error.column) for error in result.errors] == [
        (2, "Naam"),
        (2, "Factuurdatum"),
        (2, "Telefoon"),
        (4, "Factuurnummer"),
        (4, "Bedrag"),
        (4, "IBAN"),
    ]
    assert [row.invoice_number for row in result.rows] == ["F-2"]


def test_missing_required_columns_reject_the_file() -> None:
    table = read_table(b"Naam;Bedrag;Plaats\nA;1;B\n", "export.csv")

    with pytest.raises(FileRejected) as caught:
        parse_rows(table, map_headers(table.headers))

    assert str(caught.value) == (
        "Required columns are missing: Debiteurnummer (Customer number), "
        "Factuurnummer (Invoice number), Factuurdatum (Invoice date), Vervaldatum (Due date). "
        "Choose the column that holds each of them, or add them to the file."
    )


# --- Totals and blank lines ----------------------------------------------------------------


def test_blank_lines_are_skipped_and_row_numbers_kept() -> None:
    result = parse_csv(line(Factuurnummer="F-1"), "", ";;;;", line(Factuurnummer="F-2"))

    assert [row.row for row in result.rows] == [2, 5]
    assert result.errors == []


@pytest.mark.parametrize(
    "total",
    [
        ";Totaal;;;;12.345,67;;;;;;;",
        ";;;;;12.345,67;;;;;;;",  # nothing but amounts, on the last line
        "TOTAL;;;;;12.345,67;;;;;;;",
        ";;;;;;;;;;;;Totaal",
    ],
)
def test_trailing_total_row_is_skipped(total: str) -> None:
    result = parse_csv(line(Factuurnummer="F-1"), line(Factuurnummer="F-2"), total)

    assert [row.row for row in result.rows] == [2, 3]
    assert result.errors == []
    assert result.skipped_total_rows == [4]


def test_subtotal_rows_are_skipped_anywhere() -> None:
    lines = [
        line(Factuurnummer="F-1"),
        ";Subtotaal debiteur 10023;;;;1.234,56;;;;;;;",
        line(Factuurnummer="F-2", Debiteurnummer="10024", Naam="B"),
        ";;;;;2.469,12;;;;;;;",
    ]

    result = parse_csv(*lines)

    assert [row.row for row in result.rows] == [2, 4]
    assert result.skipped_total_rows == [3, 5]
    assert result.errors == []


def test_totals_row_is_skipped_once_even_when_it_only_has_amounts() -> None:
    columns = [*COLUMNS, "Diversen"]

    result = parse_csv(line() + ";", ";;;;;1.234,56;;;;;;;;Totaal", columns=columns)

    assert [row.row for row in result.rows] == [2]
    assert result.skipped_total_rows == [3]
    assert result.errors == []


def test_a_row_of_only_amounts_that_is_not_last_is_an_error() -> None:
    result = parse_csv(line(Factuurnummer="F-1"), ";;;;;12,00;;;;;;;", line(Factuurnummer="F-2"))

    assert result.skipped_total_rows == []
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "Debiteurnummer"),
        (3, "Naam"),
        (3, "Factuurnummer"),
        (3, "Factuurdatum"),
        (3, "Vervaldatum"),
    ]


# --- Whole-file checks ---------------------------------------------------------------------


def test_identical_duplicate_invoice_is_kept_once_without_error() -> None:
    result = parse_csv(line(), line(), line(Factuurnummer="F-2"))

    assert [(row.row, row.invoice_number) for row in result.rows] == [
        (2, "F-2025-001"),
        (4, "F-2"),
    ]
    assert result.errors == []


def test_duplicate_invoice_that_differs_is_an_error_on_each_later_row() -> None:
    lines = [
        line(),
        line(Bedrag="99,00"),
        line(Debiteurnummer="10024", Naam="Ander"),
        line(Vervaldatum="15-02-2025"),
    ]

    result = parse_csv(*lines)

    assert [row.row for row in result.rows] == [2]
    assert result.errors == [
        RowError(3, "Factuurnummer", "invoice 'F-2025-001' is also on row 2, with another amount"),
        RowError(
            4,
            "Factuurnummer",
            "invoice 'F-2025-001' is also on row 2, for another debtor (10023)",
        ),
        RowError(5, "Factuurnummer", "invoice 'F-2025-001' is also on row 2, with other details"),
    ]


def test_one_debtor_code_with_two_names_is_an_error() -> None:
    lines = [
        line(Factuurnummer="F-1"),
        line(Factuurnummer="F-2", Naam="  café   MÜLLER b.v. "),  # the same name, written loosely
        line(Factuurnummer="F-3", Naam="Bakkerij Jansen"),
    ]

    result = parse_csv(*lines)

    assert [row.row for row in result.rows] == [2, 3]
    assert result.errors == [
        RowError(
            4,
            "Naam",
            "debtor '10023' is called 'Café Müller B.V.' on row 2; "
            "one debtor number needs one name",
        )
    ]


def test_a_debtors_details_are_checked_on_every_row() -> None:
    lines = [
        line(Factuurnummer="F-1", Telefoon="06-12345678"),
        line(Factuurnummer="F-2", Telefoon="06-1234"),
        line(Factuurnummer="F-3", Telefoon="06-12345678"),
    ]

    result = parse_csv(*lines)

    assert [row.row for row in result.rows] == [2, 4]
    assert [(error.row, error.column) for error in result.errors] == [(3, "Telefoon")]


def test_default_country_reads_national_phone_numbers() -> None:
    row = only_row(
        parse_csv(line(Telefoon="0470 12 34 56", Postcode="B-1000"), default_country="BE")
    )

    assert (row.country, row.phone, row.postcode) == ("BE", "+32470123456", "1000")


def test_rows_from_a_table_built_by_hand_are_padded() -> None:
    table = Table(
        headers=[
            "Debiteurnummer",
            "Naam",
            "Factuurnummer",
            "Factuurdatum",
            "Vervaldatum",
            "Bedrag",
        ],
        rows=iter([(2, ["1", "A", "F1", "15-01-2025", "14-02-2025", "10"]), (3, ["1", "A"])]),
        kind="csv",
    )

    result = parse_rows(table, map_headers(table.headers))

    assert [row.row for row in result.rows] == [2]
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "Factuurnummer"),
        (3, "Factuurdatum"),
        (3, "Vervaldatum"),
        (3, "Bedrag"),
    ]


def test_garbage_collector_is_left_as_it_was() -> None:
    assert gc.isenabled()
    parse_csv(line())
    assert gc.isenabled()

    gc.disable()
    try:
        parse_csv(line())
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- Normalising a debtor's details ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Info@Example.NL", "info@example.nl"),
        ("  jan.de.vries@GMAIL.com ", "jan.de.vries@gmail.com"),
        ("a@example.nl; b@example.nl", "a@example.nl"),
        ("a@example.nl, b@example.nl", "a@example.nl"),
    ],
)
def test_normalise_email(text: str, expected: str) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize("text", ["jan", "jan@", "@example.nl", "jan@example", "jan..x@example.nl"])
def test_normalise_email_refuses(text: str) -> None:
    with pytest.raises(CellError, match="is not an e-mail address"):
        normalise_email(text)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("06-12345678", "NL", "+31612345678"),  # mobile
        ("06 1234 5678", "NL", "+31612345678"),
        ("020-1234567", "NL", "+31201234567"),  # Amsterdam landline
        ("(020) 123 45 67", "NL", "+31201234567"),
        ("0031 6 12345678", "NL", "+31612345678"),
        ("+31 (0)6 12345678", "NL", "+31612345678"),
        ("+32 470 12 34 56", "NL", "+32470123456"),  # foreign number in an NL row
        ("0470 12 34 56", "BE", "+32470123456"),
        ("02 511 22 33", "BE", "+3225112233"),  # Brussels landline
        ("+49 30 1234567", "DE", "+49301234567"),
    ],
)
def test_normalise_phone(text: str, country: str, expected: str) -> None:
    assert normalise_phone(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("12345", "NL"),
        ("06-1234", "NL"),
        ("0470 12 34 56", "NL"),
        ("bel me", "NL"),
        ("+999 1", "BE"),
    ],
)
def test_normalise_phone_refuses(text: str, country: str) -> None:
    with pytest.raises(CellError, match="is not a phone number"):
        normalise_phone(text, country)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        ("BE68 5390 0754 7034", "BE68539007547034"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_normalise_iban(text: str, expected: str) -> None:
    assert normalise_iban(text) == expected


@pytest.mark.parametrize("text", ["NL92ABNA0417164300", "BE68 5390 0754 7035", "NL91"])
def test_normalise_iban_refuses(text: str) -> None:
    with pytest.raises(CellError, match="is not a valid IBAN"):
        normalise_iban(text)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("1234 AB", "NL", "1234 AB"),
        ("1234ab", "NL", "1234 AB"),
        ("1234  ab", "NL", "1234 AB"),
        ("NL-1234 AB", "NL", "1234 AB"),
        ("9999 ZZ", "NL", "9999 ZZ"),
        ("1000", "BE", "1000"),
        ("B-1000", "BE", "1000"),
        ("B 9000", "BE", "9000"),
        ("BE-2000", "BE", "2000"),
        ("10115", "DE", "10115"),
        ("SW1A 1AA", "GB", "SW1A 1AA"),
    ],
)
def test_normalise_postcode(text: str, country: str, expected: str) -> None:
    assert normalise_postcode(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("0123 AB", "NL"),
        ("1234", "NL"),
        ("12345 AB", "NL"),
        ("1234 A", "NL"),
        ("1234 ABC", "NL"),
        ("0999", "BE"),
        ("10000", "BE"),
        ("1000 AB", "BE"),
    ],
)
def test_normalise_postcode_refuses(text: str, country: str) -> None:
    with pytest.raises(CellError, match="postcode"):
        normalise_postcode(text, country)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "NL"),
        ("NL", "NL"),
        ("nl", "NL"),
        ("Nederland", "NL"),
        ("Netherlands", "NL"),
        ("The Netherlands", "NL"),
        ("België", "BE"),
        ("Belgie", "BE"),
        ("Belgique", "BE"),
        ("Belgium", "BE"),
        ("BE", "BE"),
        ("Duitsland", "DE"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("UK", "GB"),
        ("FR", "FR"),
    ],
)
def test_normalise_country(text: str, expected: str) -> None:
    assert normalise_country(text) == expected


def test_normalise_country_default_and_refusal() -> None:
    assert normalise_country("", "BE") == "BE"
    with pytest.raises(CellError, match="'XX' is not a country"):
        normalise_country("XX")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Particulier", "person"),
        ("consument", "person"),
        ("Privé", "person"),
        ("Prive", "person"),
        ("Zakelijk", "company"),
        ("Bedrijf", "company"),
        ("B.V.", "company"),
        ("BV", "company"),
        ("B2B", "company"),
    ],
)
def test_normalise_kind(text: str, kind: str) -> None:
    assert normalise_kind(text) == kind


# --- Large files ---------------------------------------------------------------------------


def many_rows() -> list[str]:
    """200 rows crossing several chunks, with problems placed far apart."""
    lines = []
    for n in range(200):
        code = str(10000 + n % 7)
        lines.append(
            line(
                Debiteurnummer=code,
                Naam=f"Debiteur {code}",
                Factuurnummer=f"F-{n}",
                Telefoon="06-12345678" if n != 170 else "06-1",
                Bedrag=f"{n + 1},00",
            )
        )
    lines[150] = lines[10].replace("F-10;", "F-10;", 1).replace(";11,00;", ";99,00;")
    lines[120] = line(Debiteurnummer="10001", Naam="Iemand anders", Factuurnummer="F-x")
    lines[180] = lines[60]  # the same invoice again: dropped without error
    lines.append(";Totaal;;;;20.100,00;;;;;;;")
    return lines


def test_whole_file_checks_reach_across_chunks() -> None:
    result = parse_csv(*many_rows())

    assert result.errors == [
        RowError(
            122,
            "Naam",
            "debtor '10001' is called 'Debiteur 10001' on row 3; one debtor number needs one name",
        ),
        RowError(152, "Factuurnummer", "invoice 'F-10' is also on row 12, with another amount"),
        RowError(
            172,
            "Telefoon",
            "'06-1' is not a phone number; expected e.g. 06 12345678 or +32 470 12 34 56",
        ),
    ]
    assert len(result.rows) == 200 - 4
    assert result.skipped_total_rows == [202]


@pytest.mark.parametrize("chunk_rows", [1, 3, 64, 10_000])
def test_result_does_not_depend_on_the_chunk_size(
    chunk_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = parse_csv(*many_rows())

    monkeypatch.setattr(rows_module, "_CHUNK_ROWS", chunk_rows)
    result = parse_csv(*many_rows())

    assert result == expected
