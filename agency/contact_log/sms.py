"""SMS through Twilio (the only module besides calls.py that imports the twilio SDK).

Without TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM the service runs in sandbox
mode: the message is recorded as a SandboxRecord (shown at /sandbox/) and nothing leaves.
Live messages and calls ask Twilio to report their status to the webhooks of
`agency/contact_log/webhooks.py`; `signature_is_valid` checks that a report came from Twilio.
Tests, and anyone who must route Twilio's HTTP elsewhere, put a `twilio.http.HttpClient` in
`app.extensions["agency.twilio_http_client"]`; the SDK then sends its requests through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from agency.errors import AgencyError
from agency.sandbox import operations as sandbox

HTTP_CLIENT_KEY = "agency.twilio_http_client"
TIMEOUT_SECONDS = 20


class SmsFailed(AgencyError):
    """Twilio refused or could not take the message; worth retrying later."""


@dataclass(frozen=True)
class SmsResult:
    provider_id: str
    sandboxed: bool


def twilio_client() -> Client:
    """A Twilio REST client from the settings (calls.py places calls with it too)."""
    config = current_app.config
    http_client = current_app.extensions.get(HTTP_CLIENT_KEY) or TwilioHttpClient(
        timeout=TIMEOUT_SECONDS
    )
    return Client(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
    )


def status_callback_url(endpoint: str) -> str:
    """The public URL Twilio posts status reports to (PUBLIC_BASE_URL plus the route's path);
    the webhook rebuilds the same URL to check Twilio's signature over it."""
    path = current_app.url_map.bind("localhost").build(endpoint)
    return current_app.config["PUBLIC_BASE_URL"] + path


def signature_is_valid(url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """Check Twilio's X-Twilio-Signature (HMAC of the URL and the POST parameters, keyed with
    the account's auth token). Without an auth token nothing can be checked: refused."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


def is_live() -> bool:
    """Tell whether SMS leave through Twilio (else the sandbox keeps them)."""
    return sandbox.is_live(current_app, "twilio")


def send_sms(
    to: str, body: str, *, client_id: int | None = None, case_id: int | None = None
) -> SmsResult:
    """Send `body` to the E.164 number `to`; return Twilio's message sid (or the sandbox's)."""
    if not sandbox.is_live(current_app, "twilio"):
        row = sandbox.record(
            "twilio",
            "sms",
            body[:255],
            recipient=to,
            client_id=client_id,
            case_id=case_id,
            body=body,
        )
        return SmsResult(provider_id=f"sandbox-sms-{row.id}", sandboxed=True)
    try:
        message = twilio_client().messages.create(
            to=to,
            from_=current_app.config["TWILIO_FROM"],
            body=body,
            status_callback=status_callback_url("twilio.sms_status"),
        )
    except TwilioException as exc:
        raise SmsFailed(f"Twilio: {exc}") from exc
    return SmsResult(provider_id=message.sid, sandboxed=False)
