"""Turn the rows of a handoff file into typed invoice rows and errors a person can act on.

Every value is checked on its own (dates, amounts, e-mail, phone, IBAN, postcode), then
against its row (due date after invoice date, open amount within the invoice amount), then
against the whole file (one invoice number, one amount; one debtor number, one name). A row
with any error is left out of the result and reported instead.

Files are large and repetitive, so the work is cached: dates by their text, and a debtor's
details (address, e-mail, phone, IBAN) by their raw texts, since they repeat on each of the
debtor's invoices.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any

import phonenumbers
import schwifty
from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from schwifty.exceptions import InvalidChecksumDigits, InvalidLength, SchwiftyException

from agency.clients.intake.columns import FIELDS, REQUIRED, ColumnMapping, normalise_header
from agency.clients.intake.reader import FileRejected, Table
from agency.money import AmountError, parse_eur

# Column widths of the tables the rows end up in (Debtor, Invoice).
MAX_LENGTH = {
    "debtor_code": 40,
    "debtor_name": 160,
    "contact_name": 120,
    "street": 160,
    "postcode": 12,
    "city": 80,
    "invoice_number": 40,
    "vat_number": 20,
}

# The fields describing a debtor rather than an invoice, in InvoiceRow order.
DEBTOR_FIELDS = (
    "debtor_kind",
    "contact_name",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "language",
    "kvk_number",
    "vat_number",
    "iban",
)
_MONEY_FIELDS = ("amount", "open_amount", "paid_amount")

DATE_EXAMPLE = "31-01-2025"


class CellError(ValueError):
    """One value cannot be read; the message quotes it and says what was expected."""


@dataclass(frozen=True)
class RowError:
    """A problem with one row: ``column`` is the header as in the file, "" for the whole row."""

    row: int
    column: str
    message: str


@dataclass(slots=True)
class InvoiceRow:
    """One invoice of the file with its debtor's details, checked and normalised."""

    row: int
    debtor_code: str
    debtor_name: str
    debtor_kind: str | None  # "person" | "company"
    contact_name: str | None
    street: str | None
    postcode: str | None
    city: str | None
    country: str  # ISO 3166 alpha-2
    email: str | None
    phone: str | None  # E.164
    language: str | None  # ISO 639-1
    kvk_number: str | None
    vat_number: str | None
    iban: str | None
    invoice_number: str
    invoice_date: date
    due_date: date
    amount_cents: int  # negative for a credit note
    open_cents: int
    paid_on: date | None
    currency: str
    reminders_sent: int
    description: str | None


_INVOICE_FIELDS = tuple(f.name for f in fields(InvoiceRow) if f.name != "row")


@dataclass
class ParseResult:
    """The rows that can be imported, the errors of those that cannot, and skipped totals."""

    rows: list[InvoiceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_total_rows: list[int] = field(default_factory=list)


# --- Single values -------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
# Excel's 1900 date system counts 29-02-1900, which never was, as day 60; from day 61 on,
# serial n is this date plus n days.
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_RANGE = range(20000, 80001)  # 04-10-1954 .. 09-01-2119
_YEAR_RANGE = range(1900, 2200)


@lru_cache(maxsize=16384)
def parse_date(text: str) -> date | None:
    """Read a date as Dutch bookkeeping exports write it; None if it is not one.

    Accepts dd-mm-jjjj, d-m-jj (00-69 is 20xx, 70-99 is 19xx), dd/mm/yyyy, dd.mm.yyyy,
    yyyy-mm-dd (with an optional time), and Excel serial day numbers (20000-80000).
    """
    try:
        if match := _DMY.fullmatch(text):
            day, _, month, year = match.groups()
            full_year = int(year)
            if len(year) == 2:
                full_year += 2000 if full_year < 70 else 1900
            result = date(full_year, int(month), int(day))
        elif match := _YMD.fullmatch(text):
            year, _, month, day = match.groups()
            result = date(int(year), int(month), int(day))
        elif match := _SERIAL.fullmatch(text):
            serial = int(match[1])
            if serial not in _SERIAL_RANGE:
                return None
            return _EXCEL_EPOCH + timedelta(days=serial)
        else:
            return None
    except ValueError:  # 31-02-2025
        return None
    return result if result.year in _YEAR_RANGE else None


# Beyond this many digits the plain path leaves the amount to parse_eur, which knows the limits.
_PLAIN_DIGITS = 15


def _plain_cents(text: str) -> int | None:
    """Return the cents of the common plain forms, or None to let parse_eur decide.

    Handles "1234", "1234,56", "1234.5", "1.234,56", "1,234.56" and the same with "-": the
    forms nearly every export uses, read the way parse_eur reads them, without its regex.
    """
    if len(text) >= 4 and text[-3] in ".,":  # the commonest: "1234,56"
        digits = text[:-3] + text[-2:]
        if digits.isdecimal() and len(digits) <= _PLAIN_DIGITS:
            return int(digits)
    negative = text[:1] == "-"
    if negative:
        text = text[1:]
    if text.isdecimal():
        if len(text) > _PLAIN_DIGITS:
            return None
        cents = int(text) * 100
    else:
        if len(text) >= 4 and text[-3] in ".,":
            separator, whole, fraction = text[-3], text[:-3], text[-2:]
        elif len(text) >= 3 and text[-2] in ".,":
            separator, whole, fraction = text[-2], text[:-2], text[-1] + "0"
        else:
            return None
        if not fraction.isdecimal():
            return None
        if not whole.isdecimal():
            groups = whole.split("." if separator == "," else ",")
            if (
                len(groups) < 2
                or not 1 <= len(groups[0]) <= 3
                or groups[0][:1] == "0"
                or any(len(group) != 3 for group in groups[1:])
            ):
                return None
            whole = "".join(groups)
            if not whole.isdecimal():
                return None
        if len(whole) > _PLAIN_DIGITS:
            return None
        cents = int(whole) * 100 + int(fraction)
    return -cents if negative else cents


def parse_amount(text: str) -> int:
    """Read an amount of euros into cents; raise AmountError with a message for the user.

    The plain forms are read here directly; everything else ("€ 1.234,-", "(12,50)", "1234-")
    goes to `agency.money.parse_eur`, which also words the errors.
    """
    cents = _plain_cents(text)
    return parse_eur(text, "nl") if cents is None else cents


_KINDS = {
    **dict.fromkeys(
        (
            "particulier",
            "consument",
            "prive",
            "person",
            "private",
            "consumer",
            "b2c",
            "natuurlijkpersoon",
        ),
        "person",
    ),
    **dict.fromkeys(
        (
            "zakelijk",
            "bedrijf",
            "bv",
            "nv",
            "vof",
            "cv",
            "eenmanszaak",
            "stichting",
            "vereniging",
            "company",
            "business",
            "organisation",
            "organization",
            "b2b",
        ),
        "company",
    ),
}


def normalise_kind(text: str) -> str:
    """Return "person" or "company" for the debtor type texts exports use."""
    kind = _KINDS.get(normalise_header(text))
    if kind is None:
        raise CellError(f"{text!r} is not a debtor type; expected Particulier or Zakelijk")
    return kind


_COUNTRY_NAMES = {
    normalise_header(name): code
    for code, names in {
        "NL": ("Nederland", "Netherlands", "The Netherlands", "Holland", "Pays-Bas", "NLD"),
        "BE": ("België", "Belgie", "Belgium", "Belgique", "Belgien", "BEL"),
        "DE": ("Duitsland", "Germany", "Deutschland", "Allemagne", "DEU"),
        "FR": ("Frankrijk", "France", "FRA"),
        "LU": ("Luxemburg", "Luxembourg", "LUX"),
        "GB": ("Verenigd Koninkrijk", "United Kingdom", "Engeland", "England", "UK", "GBR"),
        "ES": ("Spanje", "Spain", "España", "ESP"),
        "IT": ("Italië", "Italie", "Italy", "ITA"),
        "AT": ("Oostenrijk", "Austria", "AUT"),
        "CH": ("Zwitserland", "Switzerland", "CHE"),
        "PL": ("Polen", "Poland", "POL"),
        "DK": ("Denemarken", "Denmark", "DNK"),
        "SE": ("Zweden", "Sweden", "SWE"),
        "NO": ("Noorwegen", "Norway", "NOR"),
        "PT": ("Portugal", "PRT"),
        "IE": ("Ierland", "Ireland", "IRL"),
        "US": ("Verenigde Staten", "United States", "USA"),
    }.items()
    for name in names
}
_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)


def normalise_country(text: str, default: str = "NL") -> str:
    """Return the ISO alpha-2 code for a country code or name; ``default`` when empty."""
    if not text:
        return default
    key = normalise_header(text)
    if len(key) == 2 and key.upper() in _REGIONS:
        return key.upper()
    code = _COUNTRY_NAMES.get(key)
    if code is None:
        raise CellError(f"{text!r} is not a country; expected a country code such as NL or BE")
    return code


_NL_POSTCODE = re.compile(r"(?:NL\s*-?\s*)?([1-9]\d{3})\s*([A-Z]{2})", re.IGNORECASE)
_BE_POSTCODE = re.compile(r"(?:BE?\s*-?\s*)?([1-9]\d{3})", re.IGNORECASE)


def normalise_postcode(text: str, country: str) -> str:
    """Write a Dutch postcode as "1234 AB" and a Belgian one as "1000"; keep others as given."""
    if country == "NL":
        match = _NL_POSTCODE.fullmatch(text)
        if match is None:
            raise CellError(f"{text!r} is not a Dutch postcode; expected e.g. 1234 AB")
        return f"{match[1]} {match[2].upper()}"
    if country == "BE":
        match = _BE_POSTCODE.fullmatch(text)
        if match is None:
            raise CellError(f"{text!r} is not a Belgian postcode; expected 4 digits, e.g. 1000")
        return match[1]
    if len(text) > MAX_LENGTH["postcode"]:
        raise CellError(f"{text!r} is too long for a postcode")
    return text


def normalise_email(text: str) -> str:
    """Return the address in lower case; of a list ("a@x.nl; b@x.nl") the first one."""
    first = re.split(r"[;,\s]+", text.strip(" ;,"), maxsplit=1)[0]
    try:
        return validate_email(first, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise CellError(
            f"{text!r} is not an e-mail address; expected e.g. name@example.nl"
        ) from None


def normalise_phone(text: str, country: str) -> str:
    """Return the number in E.164 (+31612345678), reading national numbers in ``country``."""
    region = country if country in _REGIONS else None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise CellError(
            f"{text!r} is not a phone number; expected e.g. 06 12345678 or +32 470 12 34 56"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_kvk(text: str) -> str:
    """Return the 8 digits of a KvK number written with spaces or dots."""
    digits = re.sub(r"[\s.]", "", text)
    if not re.fullmatch(r"\d{8}", digits):
        raise CellError(f"{text!r} is not a KvK number; expected 8 digits")
    return digits


def normalise_vat(text: str) -> str:
    """Return a VAT number without spaces, dots or dashes, in capitals."""
    compact = re.sub(r"[\s.\-]", "", text).upper()
    if len(compact) > MAX_LENGTH["vat_number"]:
        raise CellError(f"{text!r} is too long for a VAT number")
    return compact


def normalise_iban(text: str) -> str:
    """Return the IBAN compact and in capitals, after checking it."""
    try:
        return schwifty.IBAN(text).compact
    except InvalidChecksumDigits:
        reason = "the check digits are wrong"
    except InvalidLength:
        reason = "it has the wrong length"
    except SchwiftyException:
        reason = "expected e.g. NL91 ABNA 0417 1643 00"
    raise CellError(f"{text!r} is not a valid IBAN; {reason}")


_LANGUAGES = {
    normalise_header(name): code
    for code, names in {
        "nl": ("Nederlands", "Dutch", "Vlaams", "Flemish", "NL", "NLD"),
        "en": ("Engels", "English", "EN", "ENG"),
        "fr": ("Frans", "French", "Français", "FR", "FRA"),
        "de": ("Duits", "German", "Deutsch", "DE", "DEU"),
    }.items()
    for name in names
}


def normalise_language(text: str) -> str:
    """Return the two-letter code for a language code or name."""
    key = normalise_header(text)
    code = _LANGUAGES.get(key)
    if code is None and re.fullmatch(r"[a-z]{2}", key):
        code = key
    if code is None:
        raise CellError(f"{text!r} is not a language; expected nl, en, fr or de")
    return code


_CURRENCY_SYMBOLS = {"€": "EUR", "euro": "EUR", "euros": "EUR", "$": "USD", "£": "GBP"}
_CURRENCIES = frozenset(list_currencies())


@lru_cache(maxsize=256)
def normalise_currency(text: str) -> str:
    """Return the ISO 4217 code; "" and "€" are euros."""
    if not text:
        return "EUR"
    code = _CURRENCY_SYMBOLS.get(text.casefold(), text.upper())
    if code not in _CURRENCIES:
        raise CellError(f"{text!r} is an unknown currency; expected a code such as EUR")
    return code


@lru_cache(maxsize=256)
def parse_reminders(text: str) -> int:
    """Return how many reminders the client sent; "" is none."""
    if not text:
        return 0
    match = re.fullmatch(r"(\d{1,3})(?:[.,]0+)?", text)
    if match is None:
        raise CellError(f"{text!r} is not a number of reminders; expected a whole number, e.g. 2")
    return int(match[1])


def _limited(name: str, text: str) -> str:
    if len(text) > MAX_LENGTH[name]:
        raise CellError(_too_long(text, name))
    return text


def normalise_debtor(
    raw: dict[str, str], default_country: str = "NL"
) -> tuple[tuple[str | None, ...], list[tuple[str, str]]]:
    """Check and normalise a debtor's details; return them in DEBTOR_FIELDS order and errors.

    ``raw`` maps debtor field names to cell texts (absent or "" when not given). The errors are
    (field name, message) pairs.
    """
    errors: list[tuple[str, str]] = []

    def check(name: str, parse: Callable[[str], str]) -> str | None:
        text = raw.get(name, "")
        if not text:
            return None
        try:
            return parse(text)
        except CellError as error:
            errors.append((name, str(error)))
            return None

    country_text = raw.get("country", "")
    try:
        country = normalise_country(country_text, default_country)
    except CellError as error:
        errors.append(("country", str(error)))
        country = default_country
    values = {
        "debtor_kind": check("debtor_kind", normalise_kind),
        "contact_name": check("contact_name", lambda text: _limited("contact_name", text)),
        "street": check("street", lambda text: _limited("street", text)),
        "postcode": check("postcode", lambda text: normalise_postcode(text, country)),
        "city": check("city", lambda text: _limited("city", text)),
        "country": country,
        "email": check("email", normalise_email),
        "phone": check("phone", lambda text: normalise_phone(text, country)),
        "language": check("language", normalise_language),
        "kvk_number": check("kvk_number", normalise_kvk),
        "vat_number": check("vat_number", normalise_vat),
        "iban": check("iban", normalise_iban),
    }
    return tuple(values[name] for name in DEBTOR_FIELDS), errors


# --- Rows ----------------------------------------------------------------------------------


def _is_total_row(code: str, cells: list[str]) -> bool:
    """Tell whether a row without invoice number is a (sub)totals row.

    It is when it says "totaal" or "total" and has no debtor code, or has the word in the
    debtor code column, where spreadsheets put it. A row of nothing but amounts is a totals
    row too, but only as the last row: see `_holds_only_amounts`.
    """
    if code and not _says_total(code):
        return False
    return any(map(_says_total, cells))


def _says_total(text: str) -> bool:
    folded = text.casefold()
    return "total" in folded or "totaal" in folded


def _holds_only_amounts(
    cells: list[str], money_at: tuple[int, ...], others_at: tuple[int, ...]
) -> bool:
    return any(cells[i] for i in money_at) and not any(cells[i] for i in others_at)


def _missing_columns_message(missing: list[str]) -> str:
    names = ", ".join(f"{FIELDS[n].label_nl} ({FIELDS[n].label_en})" for n in missing)
    return (
        f"Required columns are missing: {names}. "
        "Choose the column that holds each of them, or add them to the file."
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file's rows pile up.

    With a million rows alive, every full collection walks all of them again: that was a third
    of the time on a large file. Parsing makes no reference cycles, so nothing piles up.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_rows(table: Table, mapping: ColumnMapping, *, default_country: str = "NL") -> ParseResult:
    """Check every row of the table under the column mapping; return rows and row errors.

    Consumes ``table.rows``.
    """
    at_field = {name: index for index, name in mapping.columns.items()}
    missing = [name for name in REQUIRED if name not in at_field]
    if missing:
        raise FileRejected(_missing_columns_message(missing))
    with _collector_paused():
        return _parse(table, at_field, default_country)


_CORE_FIELDS = (
    "debtor_code",
    "debtor_name",
    "invoice_number",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "paid_amount",
    "paid_on",
    "currency",
    "reminders_sent",
    "description",
)


def _parse(table: Table, at_field: dict[str, int], default_country: str) -> ParseResult:
    """Run the checks of `parse_rows`: one loop, written for speed, as files are large."""
    headers = table.headers
    width = len(headers)
    pad = width  # each row gets one extra "" cell: the value of every field no column holds

    def at(name: str) -> int:
        return at_field.get(name, pad)

    core = itemgetter(*map(at, _CORE_FIELDS))
    i_code, i_name, i_number, i_date, i_due, i_amount, i_open, i_paid, i_paid_on = map(
        at, _CORE_FIELDS[:9]
    )
    i_currency, i_reminders = at("currency"), at("reminders_sent")
    max_code = MAX_LENGTH["debtor_code"]
    max_name = MAX_LENGTH["debtor_name"]
    max_number = MAX_LENGTH["invoice_number"]

    debtor_names = [name for name in DEBTOR_FIELDS if name in at_field]
    debtor_cells = itemgetter(*(at_field[name] for name in debtor_names), pad)  # always a tuple
    # A debtor's details repeat on each of its invoices: normalise each variant once, and find
    # the variant by debtor code first, which is cheaper than hashing all its texts.
    details_of: dict[tuple[str, ...], tuple[tuple[str | None, ...], list[tuple[int, str]]]] = {}
    details_by_code: dict[str, tuple[tuple[str, ...], tuple[Any, ...], list[tuple[int, str]]]] = {}

    money_at = tuple(at_field[name] for name in _MONEY_FIELDS if name in at_field)
    others_at = tuple(index for index in at_field.values() if index not in money_at)
    result = ParseResult()
    rows = result.rows
    skipped = result.skipped_total_rows
    errors: list[tuple[int, int, str]] = []  # (row, column index, message)
    add_error = errors.append
    first_invoice: dict[str, InvoiceRow] = {}
    first_name: dict[str, tuple[str, int]] = {}
    last: tuple[int, list[str]] | None = None
    date_of = parse_date

    for number, cells in table.rows:
        if type(cells) is not list or len(cells) != width:
            cells = [*cells[:width], *[""] * (width - len(cells))]
        cells.append("")
        last = (number, cells)
        (
            code,
            name,
            invoice_number,
            date_text,
            due_text,
            amount_text,
            open_text,
            paid_text,
            paid_on_text,
            currency_text,
            reminders_text,
            description,
        ) = core(cells)
        if not invoice_number and _is_total_row(code, cells):
            skipped.append(number)
            last = None
            continue
        errors_before = len(errors)

        if not code:
            add_error((number, i_code, "missing; every invoice needs a debtor number"))
        elif len(code) > max_code:
            add_error((number, i_code, _too_long(code, "debtor_code")))
        if not name:
            add_error((number, i_name, "missing; every invoice needs a debtor name"))
        elif len(name) > max_name:
            add_error((number, i_name, _too_long(name, "debtor_name")))
        if not invoice_number:
            add_error((number, i_number, "missing; every row needs an invoice number"))
        elif len(invoice_number) > max_number:
            add_error((number, i_number, _too_long(invoice_number, "invoice_number")))

        invoice_date = date_of(date_text) if date_text else None
        if invoice_date is None:
            add_error((number, i_date, _date_message(date_text, "an invoice date")))
        due_date = date_of(due_text) if due_text else None
        if due_date is None:
            add_error((number, i_due, _date_message(due_text, "a due date")))
        elif invoice_date is not None and due_date < invoice_date:
            add_error((number, i_due, _before_invoice_date(due_text, invoice_date)))
        paid_on = None
        if paid_on_text:
            paid_on = date_of(paid_on_text)
            if paid_on is None:
                add_error((number, i_paid_on, _date_message(paid_on_text, "")))
            elif invoice_date is not None and paid_on < invoice_date:
                add_error((number, i_paid_on, _before_invoice_date(paid_on_text, invoice_date)))

        amount = open_cents = None
        if not amount_text:
            add_error((number, i_amount, "missing; every invoice needs an amount"))
        else:
            amount = _plain_cents(amount_text)
            if amount is None:
                try:
                    amount = parse_eur(amount_text, "nl")
                except AmountError as error:
                    add_error((number, i_amount, str(error)))
            if amount == 0:
                add_error((number, i_amount, f"{amount_text!r} is zero; expected the amount"))
                amount = None
        if open_text:
            open_cents = _plain_cents(open_text)
            if open_cents is None:
                try:
                    open_cents = parse_eur(open_text, "nl")
                except AmountError as error:
                    add_error((number, i_open, str(error)))
            if (
                amount is not None
                and open_cents is not None
                and not 0 <= open_cents <= amount
                and (message := _open_amount_problem(open_text, open_cents, amount))
            ):
                add_error((number, i_open, message))
        elif paid_text:
            try:
                paid = parse_amount(paid_text)
            except AmountError as error:
                add_error((number, i_paid, str(error)))
            else:
                if amount is not None:
                    # A credit note's refund may be written with either sign.
                    if amount < 0:
                        paid = abs(paid)
                    if paid < 0:
                        add_error(
                            (number, i_paid, f"{paid_text!r} is negative; expected 0 or more")
                        )
                    elif paid > abs(amount):
                        add_error((number, i_paid, _more_than_amount(paid_text)))
                    open_cents = amount - paid if amount > 0 else amount + paid
        elif amount is not None:
            open_cents = 0 if paid_on else amount

        currency = "EUR"
        if currency_text:
            try:
                currency = normalise_currency(currency_text)
            except CellError as error:
                add_error((number, i_currency, str(error)))
        reminders = 0
        if reminders_text:
            try:
                reminders = parse_reminders(reminders_text)
            except CellError as error:
                add_error((number, i_reminders, str(error)))

        raw = debtor_cells(cells)
        known = details_by_code.get(code)
        if known is None or known[0] != raw:
            found = details_of.get(raw)
            if found is None:
                values, named = normalise_debtor(
                    dict(zip(debtor_names, raw, strict=False)), default_country
                )
                found = details_of[raw] = (values, [(at_field[f], text) for f, text in named])
            known = details_by_code[code] = (raw, *found)
        if known[2]:
            errors.extend((number, index, message) for index, message in known[2])

        if len(errors) != errors_before:
            continue

        row = InvoiceRow(
            number,
            code,
            name,
            *known[1],
            invoice_number,
            invoice_date,
            due_date,
            amount,
            open_cents,
            paid_on,
            currency,
            reminders,
            description or None,
        )

        first = first_invoice.get(invoice_number)
        if first is not None:
            if message := _duplicate_problem(row, first):
                add_error((number, i_number, message))
            continue  # an identical second row adds nothing: keep the first
        seen = first_name.setdefault(code, (name, number))
        if seen[0] != name and _plain(seen[0]) != _plain(name):
            add_error((number, i_name, _other_name(code, seen)))
            continue
        first_invoice[invoice_number] = row
        rows.append(row)

    # A last row with only amounts in it is the column totals, not an invoice without number.
    if last is not None:
        number, cells = last
        if not cells[i_code] and not cells[i_number]:
            if _holds_only_amounts(cells, money_at, others_at):
                while errors and errors[-1][0] == number:
                    errors.pop()
                skipped.append(number)

    errors.sort(key=lambda error: (error[0], -1 if error[1] >= width else error[1]))
    result.errors = [
        RowError(row, headers[index] if index < width else "", message)
        for row, index, message in errors
    ]
    return result


def _open_amount_problem(text: str, open_cents: int, amount: int) -> str | None:
    if amount > 0:
        if 0 <= open_cents <= amount:
            return None
        if open_cents < 0:
            return f"{text!r} is negative; expected 0 or more"
    else:
        if amount <= open_cents <= 0:
            return None
        if open_cents > 0:
            return f"{text!r} is positive on a credit note; expected 0 or less"
    return _more_than_amount(text)


def _too_long(text: str, name: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{shown!r} is longer than {MAX_LENGTH[name]} characters"


def _before_invoice_date(text: str, invoice_date: date) -> str:
    return f"{text!r} is before the invoice date {invoice_date:%d-%m-%Y}"


def _more_than_amount(text: str) -> str:
    return f"{text!r} is more than the invoice amount"


def _other_name(code: str, seen: tuple[str, int]) -> str:
    return (
        f"debtor {code!r} is called {seen[0]!r} on row {seen[1]}; one debtor number needs one name"
    )


def _date_message(text: str, what: str) -> str:
    if not text:
        return f"missing; every invoice needs {what}"
    return f"{text!r} is not a date; expected e.g. {DATE_EXAMPLE}"


def _duplicate_problem(row: InvoiceRow, first: InvoiceRow) -> str | None:
    """Say how a second row with the same invoice number differs from the first; None if not."""
    if row.debtor_code != first.debtor_code:
        return (
            f"invoice {row.invoice_number!r} is also on row {first.row}, "
            f"for another debtor ({first.debtor_code})"
        )
    if row.amount_cents != first.amount_cents:
        return f"invoice {row.invoice_number!r} is also on row {first.row}, with another amount"
    if any(getattr(row, name) != getattr(first, name) for name in _INVOICE_FIELDS):
        return f"invoice {row.invoice_number!r} is also on row {first.row}, with other details"
    return None


def _plain(name: str) -> str:
    return " ".join(name.split()).casefold()
