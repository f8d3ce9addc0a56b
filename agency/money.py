"""Cents, EUR formatting and parsing (nl and en), rounding rules.

Amounts are integer cents everywhere in the application. ``Decimal`` is used only at the edges
and for arithmetic; floats never hold money. Rounding to cents is half-up, which for ``Decimal``
means halves go away from zero: 0.005 -> 0.01 and -0.005 -> -0.01.
"""

from __future__ import annotations

import decimal
import functools
import re
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

ROUNDING = ROUND_HALF_UP
CURRENCY = "EUR"

# Enough digits that no amount a person could type loses precision on the way to cents.
_PRECISION = 60
# Longest run of digits accepted in a typed amount; keeps int() far from its size limits.
_MAX_DIGITS = 30

_AMOUNT = re.compile(
    r"""
    (?P<sign1>[-+])?\s*
    (?:(?P<cur1>€|eur)\s*)?
    (?P<sign2>[-+])?\s*
    (?P<number>\d[\d.,]*?)
    (?P<whole>[.,]--?)?
    \s*(?P<sign3>-)?
    (?:\s*(?P<cur2>€|eur))?
    """,
    re.VERBOSE | re.IGNORECASE,
)


class AmountError(ValueError):
    """Raised when a text cannot be read as an amount of euros."""


def to_cents(amount: Decimal | int) -> int:
    """Convert an amount of euros to integer cents, rounding half-up."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float; pass a Decimal or a str-built Decimal")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount of money")
    with decimal.localcontext(prec=_PRECISION):
        return int((amount * 100).quantize(Decimal(1), rounding=ROUNDING))


def round_cents(cents: Decimal | int) -> int:
    """Round an amount in cents with a fraction (a percentage, an average) half-up to whole
    cents."""
    return int(Decimal(cents).quantize(Decimal(1), rounding=ROUNDING))


def from_cents(cents: int) -> Decimal:
    """Convert integer cents to an amount of euros with two decimals."""
    return Decimal(int(cents)).scaleb(-2)


@functools.cache
def _eur_shape(locale: str) -> tuple[tuple[str, str], tuple[str, str], str, str] | None:
    """Read Babel's standard currency pattern of ``locale`` once: the positive and negative
    prefixes and suffixes with the euro sign in place, the decimal and the group symbol.

    None when the pattern is not the plain "groups of three, two decimals" shape (then
    Babel formats each amount itself)."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    if pattern.grouping != (3, 3) or pattern.frac_prec != (2, 2) or pattern.scale != 0:
        return None
    symbol = get_currency_symbol(CURRENCY, parsed)
    texts = pattern.prefix + pattern.suffix
    if any("¤¤" in t or "%" in t or "‰" in t for t in texts):
        return None
    prefix, suffix = (
        tuple(t.replace("¤", symbol) for t in pair) for pair in (pattern.prefix, pattern.suffix)
    )
    return prefix, suffix, get_decimal_symbol(parsed), get_group_symbol(parsed)


def format_eur(cents: int, locale: str = "nl") -> str:
    """Format integer cents as euros the way ``locale`` writes them, e.g. '€ 1.234,56'.

    The same text as Babel's ``format_currency`` (tests hold them equal), built from the
    locale's pattern read once: pages show dozens of amounts, and Babel re-reads the pattern,
    symbols and currency data for every one.
    """
    shape = _eur_shape(str(locale))
    if shape is None:
        return format_currency(from_cents(cents), CURRENCY, locale=locale)
    prefix, suffix, decimal_symbol, group_symbol = shape
    negative = cents < 0
    whole, frac = divmod(abs(int(cents)), 100)
    digits = f"{whole:,}".replace(",", group_symbol)
    return f"{prefix[negative]}{digits}{decimal_symbol}{frac:02d}{suffix[negative]}"


def _example(locale: str) -> str:
    """Return a sample amount written the way ``locale`` writes numbers."""
    return format_decimal(Decimal("1234.56"), locale=locale)


def _split(text: str, number: str, whole: str | None, locale: str) -> tuple[str, str]:
    """Split a number into integer digits and decimal digits, dropping thousands separators."""
    decimal_sep: str | None = None
    if whole:
        # "1.234,-": the separator before the dash is the decimal one; there are no decimals.
        decimal_sep = whole[0]
        if decimal_sep in number:
            raise AmountError(f"{text!r} is not an amount; expected e.g. {_example(locale)}")
        int_part, frac = number, ""
    elif "." in number and "," in number:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        int_part, _, frac = number.rpartition(decimal_sep)
        if decimal_sep in int_part:
            raise AmountError(f"{text!r} is not an amount; expected e.g. {_example(locale)}")
    elif "." in number or "," in number:
        sep = "." if "." in number else ","
        head, _, tail = number.partition(sep)
        if sep in tail:
            int_part, frac = number, ""  # one kind, more than once: thousands
        elif len(tail) == 3 and sep != get_decimal_symbol(locale):
            int_part, frac = number, ""  # ambiguous "1.234": the locale's thousands separator
        else:
            decimal_sep = sep
            int_part, frac = head, tail
    else:
        int_part, frac = number, ""

    if decimal_sep is not None and not whole and not frac:
        raise AmountError(f"{text!r} is not an amount; expected e.g. {_example(locale)}")
    if len(frac) > 2:
        raise AmountError(f"{text!r} has more than 2 decimals; expected e.g. {_example(locale)}")

    groups = re.split(r"[.,]", int_part)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3
        or groups[0].startswith("0")
        or any(len(group) != 3 for group in groups[1:])
    ):
        raise AmountError(
            f"{text!r} is not an amount; expected e.g. {_example(locale)} "
            "(thousands grouped by three)"
        )
    digits = "".join(groups)
    if len(digits) > _MAX_DIGITS:
        raise AmountError(f"{text!r} is too large to be an amount")
    return digits, frac


def parse_eur(text: str, locale: str = "nl") -> int:
    """Read an amount of euros as people write it and return integer cents."""
    if not isinstance(text, str):
        raise TypeError(f"expected a str, got {type(text).__name__}")
    cleaned = text.replace("\u2212", "-").strip()
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative = True
        cleaned = cleaned[1:-1].strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise AmountError(f"{text!r} is not an amount; expected e.g. {_example(locale)}")
    signs = [match[name] for name in ("sign1", "sign2", "sign3") if match[name]]
    if len(signs) + negative > 1 or (match["cur1"] and match["cur2"]):
        raise AmountError(f"{text!r} is not an amount; expected e.g. {_example(locale)}")
    negative = negative or signs == ["-"]

    digits, frac = _split(text, match["number"], match["whole"], locale)
    cents = int(digits) * 100 + int(frac.ljust(2, "0"))
    return -cents if negative else cents
