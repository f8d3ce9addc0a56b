"""The fields of a handoff file and how column headers from accounting packages map onto them.

Headers are matched after `normalise_header` (case, accents, spaces and punctuation dropped),
against the synonyms that Exact Online, Twinfield, AFAS, Moneybird, SnelStart, e-Boekhouden
and hand-made Excel lists use, in Dutch and English. A mapping the client confirmed before
(``remembered``) wins over the synonyms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    """One thing a handoff file can say about an invoice or its debtor."""

    name: str
    label_en: str
    label_nl: str
    required: bool
    synonyms: tuple[str, ...]

    def label(self, language: str) -> str:
        """Return the label in ``language`` ("nl" or "en")."""
        return self.label_nl if language == "nl" else self.label_en


def _field(name: str, nl: str, en: str, *synonyms: str, required: bool = False) -> Field:
    return Field(name, en, nl, required, (nl, en, *synonyms))


# In file order of a typical export; the template uses this order too.
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _field(
            "debtor_code",
            "Debiteurnummer",
            "Customer number",
            "Debiteur nr",
            "Debiteurnr",
            "Deb.nr.",
            "Debnr",
            "Debiteurcode",
            "Debiteur code",
            "Debiteurennummer",
            "Debiteur-ID",
            "Klantnummer",
            "Klantnr",
            "Klant nr",
            "Klantcode",
            "Klant-ID",
            "Relatienummer",
            "Relatienr",
            "Relatiecode",
            "Relatie-ID",
            "Customer no.",
            "Customer code",
            "Customer ID",
            "Account code",
            "Account no.",
            "Debtor number",
            "Debtor no.",
            "Debtor code",
            "Debtor ID",
            "Contact ID",
            required=True,
        ),
        _field(
            "debtor_name",
            "Debiteurnaam",
            "Customer name",
            "Naam",
            "Debiteur",
            "Naam debiteur",
            "Klantnaam",
            "Naam klant",
            "Klant",
            "Relatie",
            "Relatienaam",
            "Naam relatie",
            "Bedrijfsnaam",
            "Bedrijf",
            "Organisatie",
            "Name",
            "Customer",
            "Company",
            "Company name",
            "Debtor",
            "Debtor name",
            "Account name",
            required=True,
        ),
        _field(
            "invoice_number",
            "Factuurnummer",
            "Invoice number",
            "Factuur",
            "Factuurnr",
            "Factuur nr",
            "Fact.nr.",
            "Factuurreferentie",
            "Boekstuknummer",
            "Boekstuknr",
            "Boekstuk",
            "Documentnummer",
            "Documentnr",
            "Invoice",
            "Invoice no.",
            "Invoice ID",
            "Inv. no.",
            "Document number",
            "Document no.",
            "Entry number",
            required=True,
        ),
        _field(
            "invoice_date",
            "Factuurdatum",
            "Invoice date",
            "Datum",
            "Datum factuur",
            "Boekdatum",
            "Boekstukdatum",
            "Documentdatum",
            "Document date",
            "Date",
            "Entry date",
            "Posting date",
            required=True,
        ),
        _field(
            "due_date",
            "Vervaldatum",
            "Due date",
            "Vervaldag",
            "Verval datum",
            "Vervaldatum factuur",
            "Uiterste betaaldatum",
            "Te betalen voor",
            "Due",
            "Date due",
            "Payment due",
            "Payment due date",
            required=True,
        ),
        _field(
            "amount",
            "Factuurbedrag",
            "Invoice amount",
            "Bedrag",
            "Totaal",
            "Totaalbedrag",
            "Totaal incl. btw",
            "Bedrag incl. btw",
            "Bedrag incl btw",
            "Origineel bedrag",
            "Oorspronkelijk bedrag",
            "Amount",
            "Total",
            "Total amount",
            "Amount incl. VAT",
            "Total incl. VAT",
            "Original amount",
            "Gross amount",
            required=True,
        ),
        _field(
            "open_amount",
            "Openstaand bedrag",
            "Open amount",
            "Openstaand",
            "Open bedrag",
            "Nog te betalen",
            "Nog te ontvangen",
            "Saldo",
            "Restant",
            "Restbedrag",
            "Resterend",
            "Open",
            "Outstanding",
            "Outstanding amount",
            "Balance",
            "Balance due",
            "Amount due",
            "Remaining",
        ),
        _field(
            "paid_amount",
            "Betaald bedrag",
            "Amount paid",
            "Betaald",
            "Reeds betaald",
            "Ontvangen",
            "Ontvangen bedrag",
            "Paid",
            "Paid amount",
            "Received",
        ),
        _field(
            "paid_on",
            "Betaald op",
            "Paid on",
            "Betaaldatum",
            "Datum betaling",
            "Betalingsdatum",
            "Datum betaald",
            "Datum ontvangst",
            "Payment date",
            "Date paid",
            "Paid date",
        ),
        _field(
            "debtor_kind",
            "Particulier/Zakelijk",
            "Private/Business",
            "Soort",
            "Soort debiteur",
            "Type",
            "Debiteurtype",
            "Klanttype",
            "Zakelijk/Particulier",
            "Customer type",
            "Debtor type",
            "Business/Private",
            "B2B/B2C",
        ),
        _field(
            "contact_name",
            "Contactpersoon",
            "Contact person",
            "Contact persoon",
            "Naam contactpersoon",
            "T.a.v.",
            "Ter attentie van",
            "Attn",
            "Contact",
            "Contact name",
        ),
        _field(
            "street",
            "Adres",
            "Address",
            "Straat",
            "Straat en huisnummer",
            "Straatnaam",
            "Adresregel 1",
            "Factuuradres",
            "Street",
            "Street address",
            "Address line 1",
        ),
        _field("postcode", "Postcode", "Postal code", "Zip", "Zipcode", "Zip code", "Post code"),
        _field(
            "city",
            "Plaats",
            "City",
            "Woonplaats",
            "Stad",
            "Vestigingsplaats",
            "Plaatsnaam",
            "Town",
        ),
        _field("country", "Land", "Country", "Landcode", "Country code"),
        _field(
            "email",
            "E-mail",
            "Email",
            "E-mailadres",
            "Mail",
            "Mailadres",
            "Factuur e-mail",
            "E-mail address",
            "Invoice e-mail",
        ),
        _field(
            "phone",
            "Telefoon",
            "Phone",
            "Telefoonnummer",
            "Tel",
            "Tel. nr.",
            "Mobiel",
            "Mobiel nummer",
            "Mobiele nummer",
            "GSM",
            "Phone number",
            "Telephone",
            "Mobile",
            "Mobile number",
        ),
        _field("language", "Taal", "Language", "Correspondentietaal"),
        _field(
            "kvk_number",
            "KvK-nummer",
            "Chamber of Commerce number",
            "KvK",
            "KvK nr",
            "Kamer van Koophandel",
            "Chamber of Commerce",
            "CoC",
            "CoC number",
        ),
        _field(
            "vat_number",
            "Btw-nummer",
            "VAT number",
            "Btw nr",
            "Btw-id",
            "Btw-identificatienummer",
            "Ondernemingsnummer",
            "VAT no.",
            "VAT ID",
        ),
        _field(
            "iban",
            "IBAN",
            "IBAN",
            "Bank account",
            "Rekeningnummer",
            "Bankrekening",
            "Bankrekeningnummer",
            "Bank account number",
        ),
        _field("currency", "Valuta", "Currency", "Munt", "Muntsoort", "Valutacode"),
        _field(
            "reminders_sent",
            "Aantal herinneringen",
            "Reminders sent",
            "Aanmaningen",
            "Herinneringen",
            "Aantal aanmaningen",
            "Aanmaningsniveau",
            "Herinneringsniveau",
            "Reminders",
            "Reminder level",
            "Dunning level",
        ),
        _field(
            "description",
            "Omschrijving",
            "Description",
            "Beschrijving",
            "Toelichting",
            "Opmerking",
            "Opmerkingen",
            "Notes",
        ),
    )
}

REQUIRED: tuple[str, ...] = tuple(name for name, f in FIELDS.items() if f.required)

# Left out of the template: paid_amount says the same as open_amount, and the agency works in
# euros, so neither needs a column in a file made from scratch.
_TEMPLATE_FIELDS: tuple[str, ...] = (
    *REQUIRED,
    *(name for name in FIELDS if name not in REQUIRED and name not in ("paid_amount", "currency")),
)

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# "Bedrag (EUR)", "Saldo in euro": the currency says nothing about the field.
_CURRENCY_SUFFIX = re.compile(r"(?:in)?(?:eur|euro|euros)$")


@dataclass
class ColumnMapping:
    """Which column of the file holds which field, and what could not be placed."""

    columns: dict[int, str] = field(default_factory=dict)  # column index -> field name
    unrecognised: list[tuple[int, str]] = field(default_factory=list)  # (index, header)
    missing: list[str] = field(default_factory=list)  # required fields no column holds


def normalise_header(text: str) -> str:
    """Reduce a header to lower-case letters and digits: "Deb.nr." -> "debnr"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub("", plain)


def _synonym_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for f in FIELDS.values():
        for synonym in f.synonyms:
            key = normalise_header(synonym)
            other = index.setdefault(key, f.name)
            if other != f.name:
                raise RuntimeError(f"header {synonym!r} is a synonym of {other} and {f.name}")
    return index


SYNONYMS: dict[str, str] = _synonym_index()


def _field_for(key: str) -> str | None:
    """Return the field a normalised header names, trying it without a currency suffix too."""
    name = SYNONYMS.get(key)
    if name is None:
        stripped = _CURRENCY_SUFFIX.sub("", key)
        if stripped and stripped != key:
            name = SYNONYMS.get(stripped)
    return name


def map_headers(headers: list[str], remembered: Mapping[str, str] | None = None) -> ColumnMapping:
    """Map each column to a field: remembered choices first, then synonyms, each field once."""
    remembered = remembered or {}
    keys = [normalise_header(header) for header in headers]
    mapping = ColumnMapping()
    used: set[str] = set()
    decided: set[int] = set()

    for index, key in enumerate(keys):
        choice = remembered.get(key)
        if choice == "":
            decided.add(index)  # the client said: ignore this column
        elif choice in FIELDS and choice not in used:
            mapping.columns[index] = choice
            used.add(choice)
            decided.add(index)

    for index, key in enumerate(keys):
        if index in decided or not key:
            continue
        name = _field_for(key)
        if name is not None and name not in used:
            mapping.columns[index] = name
            used.add(name)
        else:
            mapping.unrecognised.append((index, headers[index]))

    mapping.columns = dict(sorted(mapping.columns.items()))
    mapping.missing = [name for name in REQUIRED if name not in used]
    return mapping


def template_headers(language: str) -> list[str]:
    """Return the headers of the empty handoff template in "nl" or "en"."""
    return [FIELDS[name].label(language) for name in _TEMPLATE_FIELDS]
