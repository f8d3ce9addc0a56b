"""Calls and SMS: refused outside the legal hours in the debtor's time zone (NL 07:00-20:00,
not on Sundays or official holidays; BE 08:00-22:00); sent by a job through Twilio (only its
HTTP client is faked here) or recorded by the sandbox; logged once."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from twilio.http import HttpClient
from twilio.http.response import Response

from agency import jobs
from agency.contact_log import tasks
from agency.contact_log.hours import contact_refusal
from agency.contact_log.models import Channel, ContactEntry, Outcome
from agency.contact_log.sms import HTTP_CLIENT_KEY
from agency.sandbox.models import SandboxRecord

AMS = "Europe/Amsterdam"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "zone", "moment", "allowed"),
    [
        ("NL", AMS, utc(2025, 3, 4, 5, 59), False),  # Tuesday 06:59 CET
        ("NL", AMS, utc(2025, 3, 4, 6, 0), True),  # 07:00
        ("NL", AMS, utc(2025, 3, 4, 18, 59), True),  # 19:59
        ("NL", AMS, utc(2025, 3, 4, 19, 0), False),  # 20:00 is not allowed
        ("NL", AMS, utc(2025, 7, 1, 17, 59), True),  # 19:59 CEST (summer time)
        ("NL", AMS, utc(2025, 7, 1, 18, 0), False),  # 20:00 CEST
        ("NL", AMS, utc(2025, 3, 9, 10, 0), False),  # a Sunday
        ("NL", AMS, utc(2025, 4, 18, 10, 0), False),  # Good Friday
        ("NL", AMS, utc(2025, 4, 21, 10, 0), False),  # Easter Monday
        ("NL", AMS, utc(2025, 4, 26, 10, 0), False),  # King's Day (a Saturday in 2025)
        ("NL", AMS, utc(2026, 5, 5, 10, 0), False),  # 5 May, also in a non-lustrum year
        ("NL", AMS, utc(2025, 5, 29, 10, 0), False),  # Ascension Day
        ("NL", AMS, utc(2025, 6, 9, 10, 0), False),  # Whit Monday
        ("NL", AMS, utc(2025, 12, 26, 10, 0), False),  # Boxing Day
        ("NL", AMS, utc(2025, 12, 27, 10, 0), True),  # an ordinary Saturday
        ("BE", "Europe/Brussels", utc(2025, 3, 4, 6, 59), False),  # 07:59
        ("BE", "Europe/Brussels", utc(2025, 3, 4, 7, 0), True),  # 08:00
        ("BE", "Europe/Brussels", utc(2025, 3, 4, 20, 59), True),  # 21:59
        ("BE", "Europe/Brussels", utc(2025, 3, 4, 21, 0), False),  # 22:00
        ("BE", "Europe/Brussels", utc(2025, 3, 9, 10, 0), True),  # Sunday: no such rule in BE
    ],
)
def test_legal_calling_hours(country, zone, moment, allowed):
    assert (contact_refusal(country, zone, moment) is None) is allowed


def test_days_the_government_designates_are_kept_as_data():
    tuesday = utc(2025, 3, 4, 10, 0)
    assert contact_refusal("NL", AMS, tuesday) is None
    assert "designated" in contact_refusal("NL", AMS, tuesday, extra_days=[date(2025, 3, 4)])


def test_a_refusal_names_the_next_allowed_moment():
    saturday_night = utc(2025, 4, 26, 19, 30)  # King's Day, 21:30 in Amsterdam
    reason = contact_refusal("NL", AMS, saturday_night)
    # Sunday is closed too, so the next moment is Monday 07:00 local time.
    assert reason.endswith("The next allowed moment is 28-04-2025 07:00 Europe/Amsterdam")
    brussels = contact_refusal("BE", "Europe/Brussels", utc(2025, 6, 10, 20, 30))
    assert brussels.endswith("11-06-2025 08:00 Europe/Brussels")


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
        TWILIO_AUTH_TOKEN="secret",
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


def test_an_sms_goes_through_twilio_once(app, db, live_twilio, reachable_case):
    with time_machine.travel(utc(2025, 3, 4, 10, 0), tick=False):
        first = tasks.send_sms(reachable_case.id, "Betaal via de link", None, "req-1")
        again = tasks.send_sms(reachable_case.id, "Betaal via de link", None, "req-1")
    assert first.startswith("SM") and again is None
    assert len(live_twilio.requests) == 1
    method, uri, data = live_twilio.requests[0]
    assert method == "POST" and uri.endswith(f"/Accounts/AC{'1' * 32}/Messages.json")
    assert data == {"To": "+31612345678", "From": "+3197010000000", "Body": "Betaal via de link"}
    entry = db.session.scalars(sa.select(ContactEntry)).one()
    assert (entry.channel, entry.outcome, entry.provider_id, entry.note) == (
        Channel.SMS_OUT,
        Outcome.SENT,
        first,
        "Betaal via de link",
    )


def test_a_call_rings_the_agent_line_and_dials_the_debtor(app, db, live_twilio, reachable_case):
    with time_machine.travel(utc(2025, 3, 4, 10, 0), tick=False):
        sid = tasks.place_call(reachable_case.id, None, "req-2")
    _, uri, data = live_twilio.requests[0]
    assert uri.endswith("/Calls.json") and data["To"] == "+31201234567"
    assert "<Number>+31612345678</Number>" in data["Twiml"]
    entry = db.session.scalars(sa.select(ContactEntry)).one()
    assert (entry.outcome, entry.provider_id) == (Outcome.DIALLED, sid)


def test_a_job_run_after_hours_sends_nothing(app, db, live_twilio, reachable_case):
    with time_machine.travel(utc(2025, 3, 4, 19, 30), tick=False):  # 20:30 in Amsterdam
        assert tasks.send_sms(reachable_case.id, "late", None, "req-3") is None
    assert live_twilio.requests == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactEntry)) == 0


def test_sms_from_the_page_in_sandbox_mode(client, login_as, app, db, reachable_case):
    with time_machine.travel(utc(2025, 3, 4, 10, 0), tick=False):
        login_as("agent")  # inside: a session signed "in the future" would not be trusted
        token = client.csrf_token(f"/cases/{reachable_case.id}")
        response = client.post(
            f"/cases/{reachable_case.id}/sms", data={"body": "Bel ons terug", "csrf_token": token}
        )
        assert response.status_code == 302
        assert jobs.backend_for(app).wait_idle(30)
    db.session.expire_all()
    record = db.session.scalars(sa.select(SandboxRecord)).one()
    assert (record.service, record.action, record.recipient) == ("twilio", "sms", "+31612345678")
    entry = db.session.scalars(sa.select(ContactEntry)).one()
    assert entry.provider_id == f"sandbox-sms-{record.id}"


def test_the_page_refuses_a_call_at_night(client, login_as, app, db, reachable_case):
    with time_machine.travel(utc(2025, 3, 4, 19, 30), tick=False):
        login_as("agent")
        page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
        assert 'data-testid="phone-refusal"' in page and "20:30" in page
        assert "mag van 07:00 tot 20:00" in page  # in the page's language
        token = client.csrf_token(f"/cases/{reachable_case.id}")
        client.post(f"/cases/{reachable_case.id}/call", data={"csrf_token": token})
        assert jobs.backend_for(app).wait_idle(30)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactEntry)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SandboxRecord)) == 0


def test_no_sms_without_consent(client, login_as, app, db, reachable_case):
    reachable_case.debtor.consent_sms = False
    with time_machine.travel(utc(2025, 3, 4, 10, 0), tick=False):
        login_as("agent")  # inside: a session signed "in the future" would not be trusted
        token = client.csrf_token(f"/cases/{reachable_case.id}")
        client.post(f"/cases/{reachable_case.id}/sms", data={"body": "x", "csrf_token": token})
        assert jobs.backend_for(app).wait_idle(30)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SandboxRecord)) == 0
