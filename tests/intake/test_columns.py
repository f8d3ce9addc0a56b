"""Mapping the headers of accounting exports onto handoff fields."""

from __future__ import annotations

import pytest

from agency.clients.intake.columns import (
    FIELDS,
    ColumnMapping,
    map_headers,
    normalise_header,
    template_headers,
)

REQUIRED = ["debtor_code", "debtor_name", "invoice_number", "invoice_date", "due_date", "amount"]


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Deb.nr.", "debnr"),
        ("Debnr", "debnr"),
        ("E-mail", "email"),
        ("  E-Mail  ", "email"),
        ("T.a.v.", "tav"),
        ("Café Müller", "cafemuller"),
        ("Bedrag incl. btw", "bedraginclbtw"),
        ("Bedrag (€)", "bedrag"),
        ("Particulier/Zakelijk", "particulierzakelijk"),
        ("BTW-nummer", "btwnummer"),
        ("", ""),
    ],
)
def test_normalise_header(header: str, normalised: str) -> None:
    assert normalise_header(header) == normalised


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # Dutch
        ("Debiteurnummer", "debtor_code"),
        ("Debiteur nr", "debtor_code"),
        ("Deb.nr.", "debtor_code"),
        ("Klantnummer", "debtor_code"),
        ("Klantnr", "debtor_code"),
        ("Relatienummer", "debtor_code"),
        ("Relatiecode", "debtor_code"),
        ("Naam", "debtor_name"),
        ("Debiteur", "debtor_name"),
        ("Debiteurnaam", "debtor_name"),
        ("Klantnaam", "debtor_name"),
        ("Relatie", "debtor_name"),
        ("Bedrijfsnaam", "debtor_name"),
        ("Factuurnummer", "invoice_number"),
        ("Factuurnr", "invoice_number"),
        ("Fact.nr.", "invoice_number"),
        ("Boekstuknummer", "invoice_number"),
        ("Factuurdatum", "invoice_date"),
        ("Datum", "invoice_date"),
        ("Boekdatum", "invoice_date"),
        ("Vervaldatum", "due_date"),
        ("Vervaldag", "due_date"),
        ("Uiterste betaaldatum", "due_date"),
        ("Bedrag", "amount"),
        ("Factuurbedrag", "amount"),
        ("Totaal", "amount"),
        ("Bedrag incl. btw", "amount"),
        ("Openstaand", "open_amount"),
        ("Openstaand bedrag", "open_amount"),
        ("Saldo", "open_amount"),
        ("Restant", "open_amount"),
        ("Betaald", "paid_amount"),
        ("Betaald bedrag", "paid_amount"),
        ("Betaald op", "paid_on"),
        ("Betaaldatum", "paid_on"),
        ("Datum betaling", "paid_on"),
        ("Aanmaningen", "reminders_sent"),
        ("Herinneringen", "reminders_sent"),
        ("Aantal herinneringen", "reminders_sent"),
        ("Adres", "street"),
        ("Straat en huisnummer", "street"),
        ("Postcode", "postcode"),
        ("Plaats", "city"),
        ("Woonplaats", "city"),
        ("Land", "country"),
        ("Landcode", "country"),
        ("E-mailadres", "email"),
        ("Telefoon", "phone"),
        ("Tel", "phone"),
        ("Mobiel", "phone"),
        ("Taal", "language"),
        ("KvK", "kvk_number"),
        ("KvK-nummer", "kvk_number"),
        ("KvK nummer", "kvk_number"),
        ("Btw-nummer", "vat_number"),
        ("BTW nummer", "vat_number"),
        ("IBAN", "iban"),
        ("Rekeningnummer", "iban"),
        ("Bankrekening", "iban"),
        ("Contactpersoon", "contact_name"),
        ("T.a.v.", "contact_name"),
        ("Soort", "debtor_kind"),
        ("Particulier/Zakelijk", "debtor_kind"),
        ("Valuta", "currency"),
        ("Munt", "currency"),
        ("Omschrijving", "description"),
        # English
        ("Customer no.", "debtor_code"),
        ("Customer number", "debtor_code"),
        ("Customer ID", "debtor_code"),
        ("Account code", "debtor_code"),
        ("Name", "debtor_name"),
        ("Customer name", "debtor_name"),
        ("Company", "debtor_name"),
        ("Invoice number", "invoice_number"),
        ("Invoice no.", "invoice_number"),
        ("Document number", "invoice_number"),
        ("Invoice date", "invoice_date"),
        ("Document date", "invoice_date"),
        ("Due date", "due_date"),
        ("Due", "due_date"),
        ("Amount", "amount"),
        ("Invoice amount", "amount"),
        ("Total", "amount"),
        ("Open amount", "open_amount"),
        ("Outstanding", "open_amount"),
        ("Balance", "open_amount"),
        ("Paid", "paid_amount"),
        ("Amount paid", "paid_amount"),
        ("Paid on", "paid_on"),
        ("Payment date", "paid_on"),
        ("Reminders", "reminders_sent"),
        ("Reminders sent", "reminders_sent"),
        ("Address", "street"),
        ("Street", "street"),
        ("Zip", "postcode"),
        ("Postal code", "postcode"),
        ("City", "city"),
        ("Town", "city"),
        ("Country", "country"),
        ("Email", "email"),
        ("Mail", "email"),
        ("Phone", "phone"),
        ("Mobile", "phone"),
        ("Language", "language"),
        ("Chamber of Commerce", "kvk_number"),
        ("VAT number", "vat_number"),
        ("Bank account", "iban"),
        ("Attn", "contact_name"),
        ("Contact", "contact_name"),
        ("Type", "debtor_kind"),
        ("Currency", "currency"),
        ("Description", "description"),
        # Spelled loosely
        ("DEBITEURNUMMER", "debtor_code"),
        ("deb nr", "debtor_code"),
        ("E mail", "email"),
        ("Bedrag (EUR)", "amount"),
        ("Saldo in euro", "open_amount"),
        ("Bedrag €", "amount"),
    ],
)
def test_header_synonyms(header: str, field: str) -> None:
    mapping = map_headers(["x", header])

    assert mapping.columns == {1: field}
    assert mapping.unrecognised == [(0, "x")]


def test_every_listed_synonym_maps_to_its_own_field() -> None:
    for name, field in FIELDS.items():
        for synonym in field.synonyms:
            assert map_headers([synonym]).columns == {0: name}, synonym


def test_a_typical_exact_online_export() -> None:
    headers = [
        "Relatiecode",
        "Naam",
        "Factuurnr",
        "Factuurdatum",
        "Vervaldatum",
        "Bedrag",
        "Openstaand",
        "Valuta",
        "Dagen",
        "",
    ]

    assert map_headers(headers) == ColumnMapping(
        columns={
            0: "debtor_code",
            1: "debtor_name",
            2: "invoice_number",
            3: "invoice_date",
            4: "due_date",
            5: "amount",
            6: "open_amount",
            7: "currency",
        },
        unrecognised=[(8, "Dagen")],
        missing=[],
    )


def test_a_field_is_mapped_once_and_the_second_column_is_left_over() -> None:
    mapping = map_headers(["Bedrag", "Totaal", "Naam", "Klantnaam"])

    assert mapping.columns == {0: "amount", 2: "debtor_name"}
    assert mapping.unrecognised == [(1, "Totaal"), (3, "Klantnaam")]


def test_missing_lists_required_fields_in_field_order() -> None:
    mapping = map_headers(["Vervaldatum", "Naam", "Omschrijving"])

    assert mapping.missing == ["debtor_code", "invoice_number", "invoice_date", "amount"]


def test_remembered_choice_wins_over_synonyms() -> None:
    # "Klant" would be the debtor's name; this client uses it for the number.
    remembered = {"klant": "debtor_code", "naamvolledig": "debtor_name"}

    mapping = map_headers(["Klant", "Naam volledig", "Naam"], remembered)

    assert mapping.columns == {0: "debtor_code", 1: "debtor_name"}
    assert mapping.unrecognised == [(2, "Naam")]


def test_remembered_choice_wins_even_over_an_earlier_column() -> None:
    mapping = map_headers(["Debiteurnummer", "Klant ID"], {"klantid": "debtor_code"})

    assert mapping.columns == {1: "debtor_code"}
    assert mapping.unrecognised == [(0, "Debiteurnummer")]


def test_remembered_empty_choice_ignores_the_column() -> None:
    mapping = map_headers(["Naam", "Saldo", "Dagen"], {"saldo": "", "dagen": ""})

    assert mapping.columns == {0: "debtor_name"}
    assert mapping.unrecognised == []
    assert "open_amount" not in mapping.columns.values()


def test_remembered_unknown_field_falls_back_to_synonyms() -> None:
    mapping = map_headers(["Saldo"], {"saldo": "no_such_field"})

    assert mapping.columns == {0: "open_amount"}


def test_empty_headers_are_neither_mapped_nor_unrecognised() -> None:
    mapping = map_headers(["Naam", "", "Plaats"])

    assert mapping.columns == {0: "debtor_name", 2: "city"}
    assert mapping.unrecognised == []


@pytest.mark.parametrize(
    ("language", "first_six"),
    [
        (
            "nl",
            [
                "Debiteurnummer",
                "Debiteurnaam",
                "Factuurnummer",
                "Factuurdatum",
                "Vervaldatum",
                "Factuurbedrag",
            ],
        ),
        (
            "en",
            [
                "Customer number",
                "Customer name",
                "Invoice number",
                "Invoice date",
                "Due date",
                "Invoice amount",
            ],
        ),
    ],
)
def test_template_headers_are_all_recognised(language: str, first_six: list[str]) -> None:
    headers = template_headers(language)
    mapping = map_headers(headers)

    assert headers[:6] == first_six
    assert [mapping.columns[i] for i in range(6)] == REQUIRED
    assert len(mapping.columns) == len(headers)
    assert mapping.unrecognised == []
    assert mapping.missing == []
    assert {"email", "phone", "iban", "open_amount", "paid_on"} <= set(mapping.columns.values())


def test_field_labels_and_required_flags() -> None:
    assert [name for name, field in FIELDS.items() if field.required] == REQUIRED
    assert FIELDS["due_date"].label_nl == "Vervaldatum"
    assert FIELDS["due_date"].label_en == "Due date"
    assert FIELDS["due_date"].label("nl") == "Vervaldatum"
    assert FIELDS["due_date"].label("en") == "Due date"
