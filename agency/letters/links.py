"""The payment link printed on letters, e-mails and SMS.

PLACEHOLDER until the payment-page issue: the token here is derived from the case (an HMAC of
its id and reference under SECRET_KEY, so it cannot be guessed), and /pay/<token> does not
exist yet. That issue replaces `case_token` with a stored PayToken (sha256, expiry,
revocation); `payment_url` stays the one function letters call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from agency.cases.models import Case


def case_token(case: Case) -> str:
    """Return the case's placeholder token (stable, unguessable without SECRET_KEY)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"pay:{case.id}:{case.reference}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def payment_url(case: Case) -> str:
    """Return the absolute URL of the debtor's payment page for `case`."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/pay/{case_token(case)}"
