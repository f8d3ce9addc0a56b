"""Turn the rows of a handoff file into typed invoice rows and errors a person can act on.

Every value is checked on its own (dates, amounts, e-mail, phone, IBAN, postcode), then
against its row (due date after invoice date, open amount within the invoice amount), then
against the whole file (one invoice number, one amount; one debtor number, one name). A row
with any error is left out of the result and reported instead.

Files are large and repetitive, so the work is cached: dates by their text, and a debtor's
details (address, e-mail, phone, IBAN) by their raw texts, since they repeat on each of the
debtor's invoices; and rows are checked in small chunks, a column at a time.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from operator import itemgetter, le, lt, ne

import phonenumbers
import schwifty
from babel.numbers import list_currencies
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
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
_SERIAL_RANGE = range(20000, 80001)  # 03-10-1954 .. 11-01-2119
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


# The usual address (plain ASCII, no quoting, no IDNA) is one regular expression away from what
# email-validator would say; the library still decides everything else. The lengths are RFC
# 5321's. tests/intake/test_fast_paths.py checks the two agree.
_PLAIN_EMAIL = re.compile(
    r"(?=.{6,254}$)(?=[^@]{1,64}@)"
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})",
    re.IGNORECASE,
)
_RESERVED_DOMAINS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(address: str) -> str | None:
    """Return the address in lower case when it is plainly valid; None to ask the library."""
    match = _PLAIN_EMAIL.fullmatch(address)
    if match is None or "--" in address or match[1].lower() in _RESERVED_DOMAINS:
        return None
    return address.lower()


def normalise_email(text: str) -> str:
    """Return the address in lower case; of a list ("a@x.nl; b@x.nl") the first one."""
    first = re.split(r"[;,\s]+", text.strip(" ;,"), maxsplit=1)[0]
    plain = _plain_email(first)
    if plain is not None:
        return plain
    try:
        return validate_email(first, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise CellError(
            f"{text!r} is not an e-mail address; expected e.g. name@example.nl"
        ) from None


# Phone numbers: the common national or international spelling in the debtor's own country is
# checked against phonenumbers' own metadata for that country (its number patterns per type),
# which is what `is_valid_number` does after parsing; anything else goes through the library.
# tests/intake/test_fast_paths.py checks the two agree.
_PLAIN_PHONE = re.compile(r"(\+|00)?(\d{6,15})")
_PHONE_PUNCTUATION = str.maketrans("", "", " -./")
_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


@lru_cache(maxsize=64)
def _phone_patterns(region: str) -> tuple[str, str, str, re.Pattern, re.Pattern] | None:
    """Return (country code, national prefix, international prefix, general pattern, any-type
    pattern) of a region."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if (
        meta is None
        or not meta.national_prefix
        or meta.national_prefix_for_parsing not in (None, meta.national_prefix)
        or meta.national_prefix_transform_rule
        or meta.general_desc is None
        or not meta.general_desc.national_number_pattern
    ):
        return None
    types = [
        getattr(meta, name).national_number_pattern
        for name in _NUMBER_TYPES
        if getattr(meta, name) is not None and getattr(meta, name).national_number_pattern
    ]
    if not types:
        return None
    return (
        str(meta.country_code),
        meta.national_prefix,
        meta.international_prefix or "",
        re.compile(meta.general_desc.national_number_pattern),
        re.compile("|".join(f"(?:{pattern})" for pattern in types)),
    )


def _plain_phone(text: str, region: str | None) -> str | None:
    """Return E.164 when the number is plainly valid in ``region``; None to ask the library."""
    patterns = _phone_patterns(region) if region else None
    match = _PLAIN_PHONE.fullmatch(text.translate(_PHONE_PUNCTUATION)) if patterns else None
    if match is None:
        return None
    country_code, prefix, exit_code, general, any_type = patterns
    international, digits = match.groups()
    if international == "00" and exit_code != "00":
        return None
    if international:
        if not digits.startswith(country_code):
            return None
        national = digits[len(country_code) :]
    elif digits.startswith(prefix):
        national = digits[len(prefix) :]
    else:
        return None
    if national.startswith("0") or not general.fullmatch(national):
        return None
    if not any_type.fullmatch(national):
        return None
    return f"+{country_code}{national}"


def normalise_phone(text: str, country: str) -> str:
    """Return the number in E.164 (+31612345678), reading national numbers in ``country``."""
    region = country if country in _REGIONS else None
    plain = _plain_phone(text, region)
    if plain is not None:
        return plain
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
def _currency_or_none(text: str) -> str | None:
    if not text:
        return "EUR"
    code = _CURRENCY_SYMBOLS.get(text.casefold(), text.upper())
    return code if code in _CURRENCIES else None


def _currency_message(text: str) -> str:
    return f"{text!r} is an unknown currency; expected a code such as EUR"


def normalise_currency(text: str) -> str:
    """Return the ISO 4217 code; "" and "€" are euros."""
    code = _currency_or_none(text)
    if code is None:
        raise CellError(_currency_message(text))
    return code


@lru_cache(maxsize=256)
def _reminders_or_none(text: str) -> int | None:
    if not text:
        return 0
    match = re.fullmatch(r"(\d{1,3})(?:[.,]0+)?", text)
    return None if match is None else int(match[1])


def _reminders_message(text: str) -> str:
    return f"{text!r} is not a number of reminders; expected a whole number, e.g. 2"


def parse_reminders(text: str) -> int:
    """Return how many reminders the client sent; "" is none."""
    count = _reminders_or_none(text)
    if count is None:
        raise CellError(_reminders_message(text))
    return count


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
    of the time on a large file. The rows hold no reference cycles; what little cyclic garbage
    the libraries leave meanwhile is collected once the collector runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_rows(
    table: Table,
    mapping: ColumnMapping,
    *,
    default_country: str = "NL",
    sink: Callable[[list[InvoiceRow]], object] | None = None,
) -> ParseResult:
    """Check every row of the table under the column mapping; return rows and row errors.

    Consumes ``table.rows``. With a ``sink``, the rows that pass are handed to it a chunk at a
    time, in file order, instead of being collected in the result: a large file then never
    has all its rows in memory at once.
    """
    at_field = {name: index for index, name in mapping.columns.items()}
    missing = [name for name in REQUIRED if name not in at_field]
    if missing:
        raise FileRejected(_missing_columns_message(missing))
    parser = _FileParser(table.headers, at_field, default_country, sink)
    rows = iter(table.rows)
    with _collector_paused():
        while chunk := list(islice(rows, _CHUNK_ROWS)):
            parser.feed(chunk)
        return parser.finish()


# Rows are checked a chunk at a time, column by column: most checks are then one C-level pass
# (map, zip, ``in``) over a column instead of interpreted code per cell. On a 1M-row file that
# took a third less time than a loop per row. Small chunks stay in the CPU cache between passes;
# at 4096 rows the same code was slower than the loop per row.
_CHUNK_ROWS = 64
# Normalised debtor details are remembered for this many debtors at a time (files list a
# debtor's invoices together, so the latest ones are what is asked for).
_DETAILS_KEPT = 20_000
_first = itemgetter(0)
_second = itemgetter(1)


class _FileParser:
    """The checks of `parse_rows`, fed chunks of rows; keeps what the whole-file checks need.

    Each check looks for the rare bad value with one C-level pass over its column (``in``,
    ``max``, ``map``) and only then finds the rows, so a clean chunk costs little.
    """

    def __init__(
        self,
        headers: list[str],
        at_field: dict[str, int],
        default_country: str,
        sink: Callable[[list[InvoiceRow]], object] | None = None,
    ):
        self.headers = headers
        self.width = width = len(headers)
        self.at_field = at_field
        # Column index per field; a field no column holds reads the extra empty column.
        self.at = {name: at_field.get(name, width) for name in FIELDS}
        self.default_country = default_country
        self.result = ParseResult()
        self.sink = sink or self.result.rows.extend
        self.errors: list[tuple[int, int, str]] = []  # (row, column index, message)
        self.money_at = tuple(at_field[name] for name in _MONEY_FIELDS if name in at_field)
        self.others_at = tuple(i for i in at_field.values() if i not in self.money_at)
        self.debtor_at = [at_field[name] for name in DEBTOR_FIELDS if name in at_field]
        self.debtor_names = [name for name in DEBTOR_FIELDS if name in at_field]
        self.default_details, _ = normalise_debtor({}, default_country)
        # A debtor's details repeat on each of its invoices: each variant is normalised once.
        self.details_of: dict[tuple[str, ...], tuple[tuple[str | None, ...], list]] = {}
        self.latest_by_code: dict[str, tuple[tuple[str, ...], tuple]] = {}
        # Whole-file checks compare with the first row that passed its own checks. They hold
        # something of every invoice and debtor of the file, so they hold little: per invoice
        # number one int (see `_fingerprints`), per debtor its number, first name and row.
        self.first_invoice: dict[str, int] = {}
        self.ordinal: dict[str, int] = {}  # debtor number -> its place in the lists below
        self.codes: list[str] = []
        self.first_names: list[str] = []
        self.first_rows: list[int] = []
        self.last: tuple[int, list[str]] | None = None

    def feed(self, chunk: list[tuple[int, list[str]]]) -> None:
        """Check a chunk of (row number, cells) pairs, in file order."""
        width, at, mapped = self.width, self.at, self.at_field
        cell_rows = list(map(_second, chunk))
        if set(map(len, cell_rows)) != {width}:
            cell_rows = [[*cells[:width], *[""] * (width - len(cells))] for cells in cell_rows]
        numbers = list(map(_first, chunk))
        self.last = (numbers[-1], cell_rows[-1])
        number_at, code_at = at["invoice_number"], at["debtor_code"]
        if "" in map(itemgetter(number_at), cell_rows):
            totals = {
                i
                for i, cells in enumerate(cell_rows)
                if not cells[number_at] and _is_total_row(cells[code_at], cells)
            }
            if totals:
                self.result.skipped_total_rows.extend(numbers[i] for i in sorted(totals))
                if len(numbers) - 1 in totals:
                    self.last = None
                numbers = [n for i, n in enumerate(numbers) if i not in totals]
                cell_rows = [cells for i, cells in enumerate(cell_rows) if i not in totals]
                if not numbers:
                    return

        size = len(numbers)
        columns = [*zip(*cell_rows, strict=True), ("",) * size]  # the extra one: unmapped fields
        bad: set[int] = set()
        errors = self.errors

        def flag(i: int, name: str, message: str) -> None:
            errors.append((numbers[i], at[name], message))
            bad.add(i)

        # Texts that must be there and fit their database columns.
        for name, missing in (
            ("debtor_code", "missing; every invoice needs a debtor number"),
            ("debtor_name", "missing; every invoice needs a debtor name"),
            ("invoice_number", "missing; every row needs an invoice number"),
        ):
            texts, limit = columns[at[name]], MAX_LENGTH[name]
            if "" in texts or max(map(len, texts)) > limit:
                for i in [i for i, text in enumerate(texts) if not text or len(text) > limit]:
                    flag(i, name, _too_long(texts[i], name) if texts[i] else missing)

        # Dates: there, real, and in order.
        date_texts, due_texts = columns[at["invoice_date"]], columns[at["due_date"]]
        invoice_dates = list(map(parse_date, date_texts))
        due_dates = list(map(parse_date, due_texts))
        dates_complete = True
        for name, texts, values, what in (
            ("invoice_date", date_texts, invoice_dates, "an invoice date"),
            ("due_date", due_texts, due_dates, "a due date"),
        ):
            if None in values:
                dates_complete = False
                for i in [i for i, value in enumerate(values) if value is None]:
                    flag(i, name, _date_message(texts[i], what))
        if not dates_complete or any(map(lt, due_dates, invoice_dates)):
            for i in _out_of_order(invoice_dates, due_dates):
                flag(i, "due_date", _before_invoice_date(due_texts[i], invoice_dates[i]))
        paid_ons: list[date | None] | tuple[None, ...] = (None,) * size
        if "paid_on" in mapped:
            texts = columns[at["paid_on"]]
            paid_ons = list(map(parse_date, texts))
            if None in paid_ons:
                for i in [i for i, text in enumerate(texts) if text and paid_ons[i] is None]:
                    flag(i, "paid_on", _date_message(texts[i], ""))
            for i in _out_of_order(invoice_dates, paid_ons):
                flag(i, "paid_on", _before_invoice_date(texts[i], invoice_dates[i]))

        # Amounts: the invoice amount, then what is still open of it.
        amount_texts = columns[at["amount"]]
        amounts = self._amounts(amount_texts, "amount", flag)
        if "" in amount_texts:
            for i in [i for i, text in enumerate(amount_texts) if not text]:
                flag(i, "amount", "missing; every invoice needs an amount")
        if 0 in amounts:
            for i in [i for i, amount in enumerate(amounts) if amount == 0]:
                flag(i, "amount", f"{amount_texts[i]!r} is zero; expected the amount")
                amounts[i] = None
        open_texts = columns[at["open_amount"]]
        opens = self._amounts(open_texts, "open_amount", flag) if "open_amount" in mapped else None
        if opens is not None and not (
            # The usual chunk: all amounts positive and all open amounts between 0 and them.
            None not in opens
            and None not in amounts
            and min(amounts) > 0
            and min(opens) >= 0
            and all(map(le, opens, amounts))
        ):
            for i in [
                i
                for i, (value, amount) in enumerate(zip(opens, amounts, strict=True))
                if value is not None
                and amount is not None
                and not (0 <= value <= amount if amount > 0 else amount <= value <= 0)
            ]:
                flag(i, "open_amount", _open_amount_problem(open_texts[i], opens[i], amounts[i]))
        if opens is None or "" in open_texts:
            if opens is None:
                opens = [None] * size
            paid_texts = columns[at["paid_amount"]]
            for i in [i for i, text in enumerate(open_texts) if not text]:
                opens[i] = self._open_without_open_amount(
                    i, amounts[i], paid_texts[i], paid_ons[i], flag
                )

        # Currency, reminders, description.
        currencies: list[str | None] | tuple[str, ...] = ("EUR",) * size
        if "currency" in mapped:
            texts = columns[at["currency"]]
            currencies = list(map(_currency_or_none, texts))
            if None in currencies:
                for i in [i for i, value in enumerate(currencies) if value is None]:
                    flag(i, "currency", _currency_message(texts[i]))
        reminders: list[int | None] | tuple[int, ...] = (0,) * size
        if "reminders_sent" in mapped:
            texts = columns[at["reminders_sent"]]
            reminders = list(map(_reminders_or_none, texts))
            if None in reminders:
                for i in [i for i, value in enumerate(reminders) if value is None]:
                    flag(i, "reminders_sent", _reminders_message(texts[i]))
        descriptions = [text or None for text in columns[at["description"]]]

        details = self._details(columns, numbers, bad)

        codes = columns[code_at]
        names = columns[at["debtor_name"]]
        invoice_numbers = columns[number_at]
        fields = [
            numbers,
            codes,
            names,
            *details,
            invoice_numbers,
            invoice_dates,
            due_dates,
            amounts,
            opens,
            paid_ons,
            currencies,
            reminders,
            descriptions,
        ]
        if bad:
            good = [i for i in range(size) if i not in bad]
            fields = [[values[i] for i in good] for values in fields]
        self._keep_unless_contradicted(list(map(InvoiceRow, *fields)), fields)

    def _amounts(self, texts: tuple[str, ...], name: str, flag: Callable) -> list[int | None]:
        """Read a column of amounts; None where empty or wrong (wrong ones are flagged)."""
        amounts = parse_amount_column(texts)
        if None in amounts:
            for i in [i for i, value in enumerate(amounts) if value is None and texts[i]]:
                try:
                    amounts[i] = parse_eur(texts[i], "nl")
                except AmountError as error:
                    flag(i, name, str(error))
        return amounts

    def _open_without_open_amount(
        self,
        i: int,
        amount: int | None,
        paid_text: str,
        paid_on: date | None,
        flag: Callable,
    ) -> int | None:
        """Work out the open amount of a row that does not state it."""
        if amount is None:
            return None
        if not paid_text:
            return 0 if paid_on else amount
        try:
            paid = parse_amount(paid_text)
        except AmountError as error:
            flag(i, "paid_amount", str(error))
            return None
        if amount < 0:
            paid = abs(paid)  # a credit note's refund may be written with either sign
        if paid < 0:
            flag(i, "paid_amount", f"{paid_text!r} is negative; expected 0 or more")
        elif paid > abs(amount):
            flag(i, "paid_amount", _more_than_amount(paid_text))
        return amount - paid if amount > 0 else amount + paid

    def _details(
        self, columns: list[tuple[str, ...]], numbers: list[int], bad: set[int]
    ) -> list[tuple[str | None, ...]]:
        """Normalise each row's debtor details; return them as columns in DEBTOR_FIELDS order."""
        size = len(numbers)
        if not self.debtor_at:
            return [(value,) * size for value in self.default_details]
        # Usually every row repeats the details its debtor had before: check that by columns.
        debtor_columns = [columns[i] for i in self.debtor_at]
        latest = list(map(self.latest_by_code.get, columns[self.at["debtor_code"]]))
        if None not in latest and list(zip(*map(_first, latest), strict=True)) == debtor_columns:
            found = list(map(_second, latest))
        else:
            raw = list(zip(*debtor_columns, strict=True))
            found = list(map(self.details_of.get, raw))
            for i in [i for i, known in enumerate(found) if known is None]:
                known = self.details_of.get(raw[i])
                if known is None:
                    values, named = normalise_debtor(
                        dict(zip(self.debtor_names, raw[i], strict=True)), self.default_country
                    )
                    known = self.details_of[raw[i]] = (
                        values,
                        [(self.at_field[name], message) for name, message in named],
                    )
                found[i] = known
            if len(self.latest_by_code) > _DETAILS_KEPT:
                self.latest_by_code.clear()
                self.details_of.clear()
            self.latest_by_code.update(
                zip(columns[self.at["debtor_code"]], zip(raw, found, strict=True), strict=True)
            )
        problems = list(map(_second, found))
        if any(problems):
            for i in [i for i, listed in enumerate(problems) if listed]:
                self.errors.extend((numbers[i], index, message) for index, message in problems[i])
                bad.add(i)
        return list(zip(*map(_first, found), strict=True))

    def _keep_unless_contradicted(self, rows: list[InvoiceRow], fields: list) -> None:
        """One invoice number, one invoice; one debtor number, one name. Keep what passes."""
        numbers, codes, names = fields[0], fields[1], fields[2]
        invoice_numbers = fields[3 + len(DEBTOR_FIELDS)]
        ordinals = self._ordinals(codes, names, numbers)
        prints = _fingerprints(numbers, ordinals, fields)
        firsts = list(map(self.first_invoice.setdefault, invoice_numbers, prints))
        dropped: set[int] = set()
        if firsts != prints:
            for j in [j for j, first in enumerate(firsts) if first != prints[j]]:
                dropped.add(j)  # an identical second row adds nothing: the first is kept
                if message := _duplicate_problem(
                    invoice_numbers[j], prints[j], firsts[j], self.codes
                ):
                    self.errors.append((numbers[j], self.at["invoice_number"], message))
        first_names = list(map(self.first_names.__getitem__, ordinals))
        if any(map(ne, first_names, names)):
            for j in [
                j
                for j, (seen, name) in enumerate(zip(first_names, names, strict=True))
                if seen != name and _plain(seen) != _plain(name)
            ]:
                dropped.add(j)
                seen = (first_names[j], self.first_rows[ordinals[j]])
                message = _other_name(codes[j], seen)
                self.errors.append((numbers[j], self.at["debtor_name"], message))
        if dropped:
            rows = [row for j, row in enumerate(rows) if j not in dropped]
        if rows:
            self.sink(rows)

    def _ordinals(
        self, codes: Sequence[str], names: Sequence[str], numbers: list[int]
    ) -> list[int]:
        """Number the debtors in order of appearance; note each one's first name and row."""
        ordinals = list(map(self.ordinal.get, codes))
        if None in ordinals:
            for j in [j for j, known in enumerate(ordinals) if known is None]:
                ordinal = self.ordinal.get(codes[j])
                if ordinal is None:
                    ordinal = self.ordinal[codes[j]] = len(self.codes)
                    self.codes.append(codes[j])
                    self.first_names.append(names[j])
                    self.first_rows.append(numbers[j])
                ordinals[j] = ordinal
        return ordinals

    def finish(self) -> ParseResult:
        """Apply the end-of-file rule for totals and return the sorted result."""
        errors = self.errors
        # A last row with only amounts in it is the column totals, not an invoice without number.
        if self.last is not None:
            number, cells = self.last
            if (
                not cells[self.at["debtor_code"]]
                and not cells[self.at["invoice_number"]]
                and _holds_only_amounts(cells, self.money_at, self.others_at)
            ):
                errors = [error for error in errors if error[0] != number]
                self.result.skipped_total_rows.append(number)
        width = self.width
        errors.sort(key=lambda error: (error[0], -1 if error[1] >= width else error[1]))
        self.result.errors = [
            RowError(row, self.headers[index] if index < width else "", message)
            for row, index, message in errors
        ]
        return self.result


def _out_of_order(first: list[date | None], later: list[date | None] | tuple) -> list[int]:
    """Return the rows whose later date (due, paid) comes before the first (invoice date)."""
    return [
        i
        for i, (day, other) in enumerate(zip(first, later, strict=True))
        if day is not None and other is not None and other < day
    ]


# "1234,56", "-1234.56", "1.234,56", "1,234.56": one fullmatch tells that a whole column is
# written so, and then dropping the separators leaves the cents for int().
_PLAIN_COLUMN = re.compile(
    r"(?:-?(?:[0-9]{1,15}|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?=,)|[1-9][0-9]{0,2}(?:,[0-9]{3})+(?=\.))"
    r"[.,][0-9]{2}\n)*"
)
_NO_SEPARATORS = str.maketrans("", "", ".,")


def parse_amount_column(texts: Sequence[str]) -> list[int | None]:
    """Read a column of amounts into cents; None where a text is empty or not an amount.

    Reads every text as `parse_amount` does, but a column of plain amounts in one go.
    """
    joined = "\n".join(texts) + "\n"
    if _PLAIN_COLUMN.fullmatch(joined):
        cents = list(map(int, joined.translate(_NO_SEPARATORS).split("\n")[:-1]))
        if len(cents) == len(texts):  # else a text had a line break in it
            return cents
    return list(map(_plain_cents, texts))


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


def _fingerprints(numbers: list[int], ordinals: list[int], fields: list) -> list[int]:
    """Pack what the duplicate check compares of each row into one int.

    From the high bits down: the debtor's ordinal (exact), 20 bits of the amount's hash, 24 bits
    of the hash of all the row's other values, and the row number. Two rows of one invoice
    number are then told apart by the first three parts; equal hashes of unequal values (about
    one in 2**44 for a repeated invoice number) would take a changed row for a repeated one.
    """
    amounts = fields[6 + len(DEBTOR_FIELDS)]
    details = map(hash, zip(*fields[1:], strict=True))
    return [
        ordinal << 76 | (hash(amount) & 0xFFFFF) << 56 | (detail & 0xFFFFFF) << 32 | number
        for number, ordinal, amount, detail in zip(numbers, ordinals, amounts, details, strict=True)
    ]


_ROW_BITS = 0xFFFFFFFF


def _duplicate_problem(invoice: str, this: int, first: int, codes: list[str]) -> str | None:
    """Say how a second row with the same invoice number differs from the first; None if not."""
    row = first & _ROW_BITS
    if this >> 76 != first >> 76:
        other = codes[first >> 76]
        return f"invoice {invoice!r} is also on row {row}, for another debtor ({other})"
    if this >> 56 != first >> 56:
        return f"invoice {invoice!r} is also on row {row}, with another amount"
    if this >> 32 != first >> 32:
        return f"invoice {invoice!r} is also on row {row}, with other details"
    return None


def _plain(name: str) -> str:
    return " ".join(name.split()).casefold()
