"""The payment link on letters and the dunning settings."""

from __future__ import annotations

from datetime import date

from agency.config import from_environ
from agency.letters.links import case_token, payment_url


def test_the_payment_link_is_absolute_and_differs_per_case(app, make_case):
    app.config["PUBLIC_BASE_URL"] = "https://betalen.example.nl"
    first, second = make_case(100_00), make_case(100_00)
    url = payment_url(first)
    assert url == f"https://betalen.example.nl/pay/{case_token(first)}"
    assert payment_url(first) == url  # stable: the same link on every letter
    assert case_token(first) != case_token(second)
    assert first.reference not in url and len(case_token(first)) >= 24
    app.config["SECRET_KEY"] = "another-key"
    assert payment_url(first) != url  # not derivable without the secret


def test_dunning_settings_come_from_the_environment():
    settings = from_environ(
        {
            "BASE_URL": "https://incasso.example.nl/",
            "DUNNING_RETRY_INTERVALS": "10, 20,30",
            "DESIGNATED_HOLIDAYS": "2026-12-24, 2026-12-31",
            "AGENCY_IBAN": "NL02ABNA0123456789",
        }
    )
    assert settings["PUBLIC_BASE_URL"] == "https://incasso.example.nl"
    assert settings["DUNNING_RETRY_INTERVALS"] == (10, 20, 30)
    assert settings["DESIGNATED_HOLIDAYS"] == (date(2026, 12, 24), date(2026, 12, 31))
    assert settings["AGENCY_IBAN"] == "NL02ABNA0123456789"
    assert from_environ({"PUBLIC_BASE_URL": "https://pay.example.nl/"})["PUBLIC_BASE_URL"] == (
        "https://pay.example.nl"
    )
