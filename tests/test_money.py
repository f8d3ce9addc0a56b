"""Cents conversion, EUR formatting and the parsing of amounts as people type them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency.money import AmountError, format_eur, from_cents, parse_eur, to_cents

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("0"), 0),
        (Decimal("1"), 100),
        (Decimal("12.34"), 1234),
        (Decimal("12.344"), 1234),
        (Decimal("12.345"), 1235),  # half-up; half-even would give 1234
        (Decimal("0.005"), 1),
        (Decimal("0.025"), 3),  # half-even would give 2
        (Decimal("-0.005"), -1),  # halves go away from zero
        (Decimal("-12.345"), -1235),
        (Decimal("-0.004"), 0),
        (Decimal("1234567890123.45"), 123456789012345),
        (7, 700),
    ],
)
def test_to_cents(amount: Decimal | int, cents: int) -> None:
    assert to_cents(amount) == cents


def test_to_cents_refuses_floats_and_non_numbers() -> None:
    with pytest.raises(TypeError, match="float"):
        to_cents(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        to_cents(Decimal("NaN"))
    with pytest.raises(ValueError, match="Infinity"):
        to_cents(Decimal("-Infinity"))


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0.00"), (1, "0.01"), (-1, "-0.01"), (100, "1.00"), (123456, "1234.56")],
)
def test_from_cents(cents: int, text: str) -> None:
    amount = from_cents(cents)
    assert isinstance(amount, Decimal)
    assert str(amount) == text


@pytest.mark.parametrize(
    ("cents", "locale", "text"),
    [
        (123456, "nl", f"€{NBSP}1.234,56"),
        (123456, "nl_NL", f"€{NBSP}1.234,56"),
        (-123456, "nl", f"€{NBSP}-1.234,56"),
        (0, "nl", f"€{NBSP}0,00"),
        (5, "nl", f"€{NBSP}0,05"),
        (-1, "nl", f"€{NBSP}-0,01"),
        (123456789, "nl", f"€{NBSP}1.234.567,89"),
        (123456, "en", "€1,234.56"),
        (123456, "en_GB", "€1,234.56"),
        (-123456, "en", "-€1,234.56"),
        (-123456, "en_GB", "-€1,234.56"),
        (0, "en", "€0.00"),
        (5, "en", "€0.05"),
        (123456789, "en", "€1,234,567.89"),
    ],
)
def test_format_eur(cents: int, locale: str, text: str) -> None:
    assert format_eur(cents, locale) == text


def test_format_eur_defaults_to_dutch() -> None:
    assert format_eur(123456) == f"€{NBSP}1.234,56"


@settings(max_examples=400)
@given(
    cents=st.integers(min_value=-(10**15), max_value=10**15),
    locale=st.sampled_from(["nl", "en", "nl_BE", "fr", "de"]),
)
def test_format_eur_writes_what_babel_writes(cents: int, locale: str) -> None:
    """The pattern read once gives Babel's own text, in every locale and magnitude."""
    from babel.numbers import format_currency

    assert format_eur(cents, locale) == format_currency(from_cents(cents), "EUR", locale=locale)


# Texts that mean the same in both locales.
UNAMBIGUOUS = [
    ("€ 1.234,56", 123456),
    ("1.234,56", 123456),
    ("1234,56", 123456),
    ("1234.56", 123456),
    ("1,234.56", 123456),
    ("1.234.567,89", 123456789),
    ("1,234,567.89", 123456789),
    ("1.234.567", 123456700),  # one kind more than once: thousands
    ("1,234,567", 123456700),
    ("€ 1.234,-", 123400),  # ",-": whole euros, so '.' groups thousands
    ("1.234,-", 123400),
    ("1,234.-", 123400),
    ("12,-", 1200),
    ("12,--", 1200),
    ("-12,50", -1250),
    ("12,50-", -1250),  # trailing minus, as in accounting exports
    ("(12,50)", -1250),
    ("( 12,50 )", -1250),
    ("EUR 12,50", 1250),
    ("eur 12,50", 1250),
    ("EUR12,50", 1250),
    ("12,50 EUR", 1250),
    ("12,50 €", 1250),
    ("12", 1200),
    ("€12", 1200),
    ("+12", 1200),
    ("12,5", 1250),
    ("12.5", 1250),
    ("0,05", 5),
    ("0.05", 5),
    ("-0,00", 0),
    ("007", 700),
    ("  12,50  ", 1250),
    (f"{NBSP}€{NBSP}12,50{NBSP}", 1250),
    ("€\u202f12,50", 1250),  # narrow no-break space
    ("\u221212,50", -1250),  # minus sign
    ("€ -12,50", -1250),
    ("- € 12,50", -1250),
    ("-€12.50", -1250),
    (f"€{NBSP}-1.234,56", -123456),  # as format_eur writes it in nl
    ("-€1,234.56", -123456),  # as format_eur writes it in en
]


@pytest.mark.parametrize("locale", ["nl", "en"])
@pytest.mark.parametrize(("text", "cents"), UNAMBIGUOUS)
def test_parse_eur(text: str, cents: int, locale: str) -> None:
    assert parse_eur(text, locale) == cents


@pytest.mark.parametrize(
    ("text", "locale", "cents"),
    [
        # One separator followed by exactly three digits: the locale decides.
        ("1.234", "nl", 123400),
        ("€ 1.234", "nl", 123400),
        ("12.345-", "nl", -1234500),
        ("1,234", "en", 123400),
        ("€1,234", "en", 123400),
        ("(12,345)", "en", -1234500),
        # Not three digits after it: always the decimal separator.
        ("1.23", "nl", 123),
        ("1,23", "en", 123),
        ("1234.5", "nl", 123450),
        ("1234,5", "en", 123450),
    ],
)
def test_parse_eur_by_locale(text: str, locale: str, cents: int) -> None:
    assert parse_eur(text, locale) == cents


def test_parse_eur_defaults_to_dutch() -> None:
    assert parse_eur("1.234") == 123400
    with pytest.raises(AmountError):
        parse_eur("1,234")


@pytest.mark.parametrize(
    ("text", "locale", "message"),
    [
        ("12,3,4", "nl", "'12,3,4' is not an amount; expected e.g. 1.234,56"),
        ("12,3,4", "en", "'12,3,4' is not an amount; expected e.g. 1,234.56"),
        ("1.234", "en", "'1.234' has more than 2 decimals; expected e.g. 1,234.56"),
        ("1,234", "nl", "'1,234' has more than 2 decimals; expected e.g. 1.234,56"),
        ("12,345", "nl", "'12,345' has more than 2 decimals"),
        ("1,2345", "nl", "'1,2345' has more than 2 decimals"),
        ("1.2345", "en", "'1.2345' has more than 2 decimals"),
        ("1.234,567", "nl", "'1.234,567' has more than 2 decimals"),
        ("", "nl", "'' is not an amount"),
        ("   ", "nl", "'   ' is not an amount"),
        ("€", "nl", "'€' is not an amount"),
        ("abc", "nl", "'abc' is not an amount"),
        ("12a", "nl", "'12a' is not an amount"),
        ("1 234,56", "nl", "'1 234,56' is not an amount"),
        ("12,", "nl", "'12,' is not an amount"),
        (",50", "nl", "',50' is not an amount"),
        ("1..234", "nl", "'1..234' is not an amount"),
        ("1.23.456", "nl", "'1.23.456' is not an amount"),
        ("12.34.567", "nl", "'12.34.567' is not an amount"),
        ("1234.567", "nl", "'1234.567' is not an amount"),  # thousands grouped by 4
        ("0.123", "nl", "'0.123' is not an amount"),  # no group starts with 0
        ("1,234.567,89", "nl", "'1,234.567,89' is not an amount"),
        ("1,234,5.-", "nl", "'1,234,5.-' is not an amount"),
        ("1,5,-", "nl", "'1,5,-' is not an amount"),
        ("--12", "nl", "'--12' is not an amount"),
        ("-12-", "nl", "'-12-' is not an amount"),
        ("(-12)", "nl", "'(-12)' is not an amount"),
        ("(12", "nl", "'(12' is not an amount"),
        ("€12€", "nl", "'€12€' is not an amount"),
        ("$12", "nl", "'$12' is not an amount"),
        ("12 USD", "nl", "'12 USD' is not an amount"),
        ("1" * 31, "nl", f"{'1' * 31!r} is too large"),
    ],
)
def test_parse_eur_rejects(text: str, locale: str, message: str) -> None:
    with pytest.raises(AmountError) as raised:
        parse_eur(text, locale)
    assert str(raised.value).startswith(message)


def test_amount_error_is_a_value_error() -> None:
    assert issubclass(AmountError, ValueError)
    with pytest.raises(ValueError, match="not an amount"):
        parse_eur("twaalf")


@settings(database=None)
@given(
    cents=st.integers(min_value=-(10**15), max_value=10**15),
    locale=st.sampled_from(["nl", "en", "nl_NL", "en_GB"]),
)
def test_parse_eur_reads_what_format_eur_writes(cents: int, locale: str) -> None:
    assert parse_eur(format_eur(cents, locale), locale) == cents


@settings(database=None)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_round_trip_through_decimal(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


def test_round_cents_rounds_a_fraction_of_a_cent_half_up():
    from agency.money import round_cents

    assert [round_cents(Decimal(x)) for x in ("2838.5", "2838.49", "-2.5", "7")] == [
        2839,
        2838,
        -3,
        7,
    ]
