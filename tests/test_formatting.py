"""What templates show: dates in the page's language, as Babel writes them."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date
from flask_babel import force_locale

from agency.formatting import date_nl


def test_date_nl_writes_what_babel_writes(app):
    days = [date(1899, 12, 31) + timedelta(days=n) for n in range(0, 120_000, 11)]
    with app.test_request_context("/"):
        for locale, babel_format in (("nl", "dd-MM-yyyy"), ("en", "short")):
            with force_locale(locale):
                for day in days:
                    assert date_nl(day) == format_date(day, format=babel_format, locale=locale)


def test_date_nl_examples(app):
    with app.test_request_context("/"):
        with force_locale("nl"):
            assert date_nl(date(2026, 3, 7)) == "07-03-2026"
        with force_locale("en"):
            assert date_nl(date(2026, 3, 7)) == "3/7/26"
