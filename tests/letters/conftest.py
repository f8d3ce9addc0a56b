"""Fixtures of the dunning tests: a B2C case ready for letters, a real SMTP server, a fake
Twilio HTTP boundary, and a way to run the engine on a chosen day."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller
from twilio.http import HttpClient
from twilio.http.response import Response

from agency import jobs
from agency.cases.models import DebtorKind
from agency.clients.models import Segment
from agency.contact_log.sms import HTTP_CLIENT_KEY
from agency.letters.models import Message
from agency.letters.tasks import schedule_due_messages
from tests.conftest import REDIS_URL


@pytest.fixture
def app_config():
    # Retries without waiting: the back-off itself is tested on the message's send_after.
    return {"DUNNING_RETRY_INTERVALS": (0, 0)}


@pytest.fixture
def b2c_case(make_client, make_debtor, make_case):
    """A consumer in Utrecht owing EUR 2,000 (due 1 March 2025) and EUR 1,000 (due 10 March)."""

    def factory(**debtor_fields):
        client = make_client(name="Fietsen B.V.", default_segment=Segment.B2C)
        fields = {
            "kind": DebtorKind.PERSON,
            "name": "Jan de Vries",
            "street": "Oudegracht 1",
            "postcode": "3511 AA",
            "city": "Utrecht",
            "email": "jan@example.test",
            "phone": "+31612345678",
            "language": "nl",
        }
        fields.update(debtor_fields)
        debtor = make_debtor(client, **fields)
        return make_case(
            2_000_00,
            1_000_00,
            client=client,
            debtor=debtor,
            opened_on=date(2025, 3, 20),
            due_dates=[date(2025, 3, 1), date(2025, 3, 10)],
        )

    return factory


@pytest.fixture
def run_day(app, db):
    """Run the periodic job at `moment` (UTC) and wait for the dispatch jobs it enqueued."""

    def run(moment: datetime) -> int:
        backend = jobs.backend_for(app)
        with time_machine.travel(moment, tick=False):
            created = schedule_due_messages()
            assert backend.wait_idle(30)
        db.session.expire_all()
        return created

    return run


def messages(db, case_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.case_id == case_id).order_by(Message.id)
        )
    )


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- a real SMTP server ------------------------------------------------------------------------


@dataclass
class Mailbox:
    received: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 try again later"
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 that the app sends its e-mail to."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False
    )
    yield mailbox
    controller.stop()


# --- Twilio's HTTP boundary ----------------------------------------------------------------


class FakeTwilioHttp(HttpClient):
    """Answers the Twilio SDK's requests the way the Messages API does, and keeps them."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(logger=None, is_async=False)
        self.requests: list[dict] = []
        self.failures = failures

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        if self.failures > 0:
            self.failures -= 1
            body = {"code": 20500, "message": "Internal Server Error", "status": 500}
            return Response(500, json.dumps(body))
        sid = f"SM{len(self.requests):032d}"
        body = {
            "sid": sid,
            "status": "queued",
            "to": data["To"],
            "from": data["From"],
            "body": data["Body"],
            "account_sid": "AC" + "0" * 32,
        }
        return Response(201, json.dumps(body))


@pytest.fixture
def twilio(app) -> FakeTwilioHttp:
    """Twilio configured (live mode) with its HTTP boundary faked."""
    fake = FakeTwilioHttp()
    app.config.update(
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="secret", TWILIO_FROM="+3197010000000"
    )
    app.extensions[HTTP_CLIENT_KEY] = fake
    return fake


@pytest.fixture
def free_smtp_port() -> int:
    """A port on 127.0.0.1 where nothing listens: every connection is refused."""
    return free_port()


# Tests through a real RQ worker exist only where there is a Redis to run them on; the fault
# tests need PostgreSQL too (several processes write at once).
collect_ignore = [] if REDIS_URL else ["test_dispatch_rq.py"]
if not (REDIS_URL and os.environ.get("TEST_DATABASE_URL")):
    collect_ignore.append("test_faults.py")
