"""Settings read from the environment, with embedded defaults for the SQLite mode."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

ENVIRONMENTS = ("production", "development", "test")


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _ints(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split(",") if part.strip())


def _dates(value: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(part.strip()) for part in value.split(",") if part.strip())


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings the environment gives; unset ones get their documented default."""
    env = os.environ if environ is None else environ
    get = env.get
    base_url = get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "AGENCY_ENV": get("AGENCY_ENV", "production"),
        "SECRET_KEY": get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": get("DATABASE_URL") or None,
        "REDIS_URL": get("REDIS_URL") or None,
        "RQ_QUEUE": get("RQ_QUEUE", "agency"),
        "BASE_URL": base_url,
        "MAIL_SERVER": get("MAIL_SERVER") or None,
        "MAIL_PORT": int(get("MAIL_PORT", "587")),
        "MAIL_USERNAME": get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(get("MAIL_USE_TLS"), True),
        "MAIL_USE_SSL": _flag(get("MAIL_USE_SSL"), False),
        "MAIL_FROM": get("MAIL_FROM", "Agency <noreply@agency.invalid>"),
        "TWILIO_ACCOUNT_SID": get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_FROM": get("TWILIO_FROM") or None,
        # The agents' line Twilio rings first on a click-to-call.
        "TWILIO_AGENT_LINE": get("TWILIO_AGENT_LINE") or None,
        # Twilio's status callbacks, per sending address (Twilio posts from a pool of them).
        "TWILIO_WEBHOOK_RATE_LIMIT": get("TWILIO_WEBHOOK_RATE_LIMIT", "600 per minute"),
        # sandbox | mollie | stripe; unset: Mollie or Stripe when their keys are set, else sandbox.
        "PAYMENT_PROVIDER": get("PAYMENT_PROVIDER") or None,
        # Per-address limit on the providers' webhooks and the sandbox page's choice.
        "PAYMENT_WEBHOOK_RATE_LIMIT": get("PAYMENT_WEBHOOK_RATE_LIMIT", "300 per minute"),
        "MOLLIE_API_KEY": get("MOLLIE_API_KEY") or None,
        # The methods Mollie offers the debtor (active on the profile); empty: all active ones.
        "MOLLIE_METHODS": tuple(
            m.strip()
            for m in get("MOLLIE_METHODS", "ideal,bancontact,creditcard").split(",")
            if m.strip()
        ),
        "STRIPE_SECRET_KEY": get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": get("STRIPE_WEBHOOK_SECRET") or None,
        "AGENCY_NAME": get("AGENCY_NAME", "Agency Incasso B.V."),
        "AGENCY_REGISTRATION": get("AGENCY_REGISTRATION", "Justis-registratie (not set)"),
        "AGENCY_EMAIL": get("AGENCY_EMAIL", "info@agency.invalid"),
        "AGENCY_PHONE": get("AGENCY_PHONE", "+31 20 000 0000"),
        "AGENCY_ADDRESS": get("AGENCY_ADDRESS", "Postbus 1000, 1000 AA Amsterdam"),
        # The client-money account debtors pay to (printed on letters with the case reference).
        "AGENCY_IBAN": get("AGENCY_IBAN", "NL91ABNA0417164300"),
        # Its bank's BIC (pain.001 debtor agent) and the agency's own account, to which
        # commission moves out of the client-money account (a debit there is not client money).
        "AGENCY_BIC": get("AGENCY_BIC", "ABNANL2A"),
        "AGENCY_OFFICE_IBAN": get("AGENCY_OFFICE_IBAN", "NL02ABNA0123456789"),
        # Where debtors reach the payment page; letters print absolute links under it.
        "PUBLIC_BASE_URL": (get("PUBLIC_BASE_URL") or base_url).rstrip("/"),
        # Seconds between attempts to send a dunning e-mail or SMS; one more attempt than items.
        "DUNNING_RETRY_INTERVALS": _ints(get("DUNNING_RETRY_INTERVALS", "60,300,1800")),
        # Messages one dispatch job sends (one database session and one SMTP connection).
        "DUNNING_DISPATCH_BATCH": int(get("DUNNING_DISPATCH_BATCH", "50")),
        # A claim unfinished after this many seconds was interrupted (a killed worker).
        "DUNNING_STALE_CLAIM_SECONDS": int(get("DUNNING_STALE_CLAIM_SECONDS", "900")),
        # Days the government designates as holidays (Algemene termijnenwet), YYYY-MM-DD.
        "DESIGNATED_HOLIDAYS": _dates(get("DESIGNATED_HOLIDAYS", "")),
        "SESSION_COOKIE_SECURE": _flag(
            get("SESSION_COOKIE_SECURE"), base_url.startswith("https://")
        ),
        "TRUSTED_PROXIES": int(get("TRUSTED_PROXIES", "0")),
        "UPLOAD_MAX_MB": int(get("UPLOAD_MAX_MB", "50")),
        "UPLOAD_DIR": get("UPLOAD_DIR") or None,
        "LOGIN_MAX_FAILURES": int(get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(get("LOGIN_LOCK_MINUTES", "15")),
        # The payment page: wrong answers to its check before the link locks, for how long,
        # and the per-address rate limits of its pages and of the check.
        "PAYLINK_MAX_FAILURES": int(get("PAYLINK_MAX_FAILURES", "5")),
        "PAYLINK_LOCK_MINUTES": int(get("PAYLINK_LOCK_MINUTES", "30")),
        "PAYLINK_RATE_LIMIT": get("PAYLINK_RATE_LIMIT", "60 per minute"),
        "PAYLINK_CHECK_RATE_LIMIT": get("PAYLINK_CHECK_RATE_LIMIT", "10 per minute"),
        # Checkout origins the pay form may redirect to (the CSP's form-action), space-separated.
        "PAYLINK_FORM_ACTION": tuple(
            get("PAYLINK_FORM_ACTION", "https://www.mollie.com https://checkout.stripe.com").split()
        ),
    }


DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "agency_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=7),
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    "LANGUAGES": ("nl", "en"),
    "PASSWORD_HASH_METHOD": "scrypt",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "30 per 10 minutes",
    "JOBS_INPROCESS_POLL_SECONDS": 1.0,
    "JOBS_RUN_PERIODIC": True,
}
