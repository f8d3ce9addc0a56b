"""The intake's fast paths for e-mail and phone agree with the libraries they stand in for.

`normalise_email` and `normalise_phone` answer the usual spellings without calling
email-validator or phonenumbers (a 300,000-debtor file spent most of its check there). These
tests generate addresses and numbers, and wherever a fast path answers, the library must give
the same answer; where it does not answer, the library decides as before.
"""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agency.clients.intake.rows import _plain_email, _plain_phone, normalise_phone

REGIONS = ["NL", "BE", "DE", "FR", "GB", "US"]


def _library_phone(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@st.composite
def phone_texts(draw) -> tuple[str, str]:
    region = draw(st.sampled_from(REGIONS))
    code = str(phonenumbers.country_code_for_region(region))
    start = draw(st.sampled_from(["0", "+" + code, "00" + code, "+" + code + " ", "", "+1"]))
    digits = draw(st.text("0123456789", min_size=4, max_size=14))
    separator = draw(st.sampled_from(["", " ", "-", ".", "/"]))
    if separator:
        cut = draw(st.integers(0, len(digits)))
        digits = digits[:cut] + separator + digits[cut:]
    return start + digits, region


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phone_texts())
@example(("0612345678", "NL"))
@example(("0470 12 34 56", "BE"))
def test_phone_fast_path_agrees_with_phonenumbers(case: tuple[str, str]) -> None:
    text, region = case
    fast = _plain_phone(text, region)
    if fast is not None:
        assert fast == _library_phone(text, region)


@pytest.mark.parametrize("region", ["NL", "BE", "DE", "FR"])
def test_phone_fast_path_answers_the_example_numbers(region: str) -> None:
    """Every example number the metadata gives, written nationally, takes the fast path."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    answered = 0
    for name in ("fixed_line", "mobile", "toll_free", "premium_rate", "voip"):
        desc = getattr(meta, name)
        if desc is None or not desc.example_number:
            continue
        national = meta.national_prefix + desc.example_number
        expected = _library_phone(national, region)
        assert expected is not None
        assert _plain_phone(national, region) == expected
        assert normalise_phone(national, region) == expected
        answered += 1
    assert answered >= 2


LOCAL = st.from_regex(r"[A-Za-z0-9_+.\-]{1,70}", fullmatch=True)
DOMAIN = st.from_regex(
    r"[A-Za-z0-9\-]{1,20}(\.[A-Za-z0-9\-]{1,20}){0,3}\.[A-Za-z0-9]{1,8}", fullmatch=True
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LOCAL, DOMAIN)
@example("jan.jansen", "Voorbeeld.NL")
@example("a", "b.test")
@example("a", "xn--bcher-kva.de")
def test_email_fast_path_agrees_with_email_validator(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    fast = _plain_email(address)
    if fast is None:
        return
    try:
        expected = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        pytest.fail(f"fast path accepted {address!r}, email-validator says: {error}")
    assert fast == expected


def test_email_fast_path_answers_the_usual_addresses() -> None:
    for address in ("debiteur12@voorbeeld.nl", "Jan.de.Vries@Bedrijf.COM", "info+factuur@a-b.be"):
        assert _plain_email(address) == address.lower()


def _excel_text(value: float) -> str:
    """Excel's 15 significant digits, written out in full (the slow way, for comparison)."""
    from decimal import Decimal

    text = format(Decimal(format(value, ".15g")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@settings(max_examples=5000, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14),
        st.integers(-(10**9), 10**9).map(lambda cents: cents / 100),
        st.decimals(min_value=-(10**6), max_value=10**6, places=4).map(float),
    )
)
@example(0.1 + 0.2)
@example(1234.5)
@example(-0.0001)
def test_spreadsheet_numbers_read_as_excel_shows_them(value: float) -> None:
    from agency.clients.intake.reader import cell_text

    if value.is_integer():
        assert cell_text(value) == str(int(value))
    else:
        assert cell_text(value) == _excel_text(value)
