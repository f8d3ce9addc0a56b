"""Sending an SMS to a debtor through Twilio (the only module besides calls.py that uses it).

Without Twilio settings the app runs in sandbox mode: the message is recorded in
`sandbox_records` and shown on the Integrations page instead of being sent.
"""

from __future__ import annotations

from flask import current_app
from twilio.rest import Client as TwilioClient

from agency.sandbox.operations import is_live, record

TIMEOUT_SECONDS = 10


def twilio_client() -> TwilioClient:
    """A Twilio REST client from the settings; tests may give it their own HTTP client."""
    config = current_app.config
    http_client = config.get("TWILIO_HTTP_CLIENT")
    if http_client is None:
        from twilio.http.http_client import TwilioHttpClient

        http_client = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
    return TwilioClient(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
    )


def send_sms(to: str, body: str, *, client_id: int, case_id: int) -> str:
    """Send `body` to the E.164 number `to`; return the provider's message id."""
    if not is_live(current_app, "twilio"):
        row = record(
            "twilio",
            "sms",
            body[:255],
            recipient=to,
            client_id=client_id,
            case_id=case_id,
            body=body,
        )
        return f"sandbox-sms-{row.id}"
    message = twilio_client().messages.create(
        to=to, from_=current_app.config["TWILIO_FROM"], body=body
    )
    return message.sid
