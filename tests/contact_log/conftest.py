"""Fixtures of the workbench's tests: Twilio's REST API answered in-process, a phoneable case."""

from __future__ import annotations

import json
import logging

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from agency.contact_log.sms import HTTP_CLIENT_KEY

AMS = "Europe/Amsterdam"
TWILIO_TOKEN = "secret"


class FakeTwilioHttp(HttpClient):
    """Twilio's own HTTP client interface; answers as the API would and keeps the requests."""

    def __init__(self) -> None:
        super().__init__(logger=logging.getLogger("twilio.fake"), is_async=False)
        self.requests: list[tuple[str, str, dict]] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        self.requests.append((method, uri, dict(data or {})))
        prefix = "SM" if uri.endswith("/Messages.json") else "CA"
        sid = f"{prefix}{len(self.requests):032d}"
        return Response(201, json.dumps({"sid": sid, "status": "queued"}))


@pytest.fixture
def live_twilio(app):
    fake = FakeTwilioHttp()
    app.config.update(
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        TWILIO_FROM="+3197010000000",
        TWILIO_AGENT_LINE="+31201234567",
    )
    app.extensions[HTTP_CLIENT_KEY] = fake
    yield fake
    del app.extensions[HTTP_CLIENT_KEY]


@pytest.fixture
def reachable_case(make_case, make_debtor, make_client):
    client = make_client()
    debtor = make_debtor(client, phone="+31612345678", timezone=AMS)
    return make_case(100_00, debtor=debtor)
