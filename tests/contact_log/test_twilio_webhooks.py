"""Twilio's status callbacks, signed the way Twilio signs them (RequestValidator over the public
URL and the POST parameters): a call's outcome and duration, an SMS's delivery, each applied
once; anything unsigned or signed for something else is refused and logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from twilio.request_validator import RequestValidator

from agency.audit import AuditEvent
from agency.auth.models import Role
from agency.contact_log import tasks
from agency.contact_log.models import Channel, ContactEntry, Outcome
from agency.letters.models import Channel as MessageChannel
from agency.letters.models import DeliveryStatus, DunningStep, Message, MessageStatus
from agency.letters.policies import ensure_default_policies
from tests.contact_log.conftest import TWILIO_TOKEN

PUBLIC = "https://incasso.example.nl"
CALLS = "/webhooks/twilio/calls/status"
SMS = "/webhooks/twilio/sms/status"
CHILD = "CA" + "c" * 32
ACCOUNT = "AC" + "1" * 32


def signed(client, path: str, params: dict[str, str], *, url: str | None = None, token=None):
    """POST `params` as Twilio would, with X-Twilio-Signature over the URL it was given."""
    validator = RequestValidator(token or TWILIO_TOKEN)
    signature = validator.compute_signature(url or PUBLIC + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def call_report(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": status,
        "Direction": "outbound-dial" if "ParentCallSid" in extra else "outbound-api",
        "From": "+3197010000000",
        "To": "+31612345678",
        **extra,
    }


def sms_report(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": "+3197010000000",
        "To": "+31612345678",
        **extra,
    }


@pytest.fixture
def public(app, live_twilio):
    """Twilio reaches the app at its public address, not at the test client's localhost."""
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    return live_twilio


def entries(db) -> list[ContactEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ContactEntry).order_by(ContactEntry.id)))


def placed_call(reachable_case, actor_id=None) -> str:
    with time_machine.travel(datetime(2025, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        return tasks.place_call(reachable_case.id, actor_id, "req-call")


def test_the_debtors_leg_completes_the_call_once(
    app, db, client, public, reachable_case, make_user, login_as
):
    agent = make_user(Role.AGENT, name="Sanne Agent")
    parent = placed_call(reachable_case, agent.id)
    assert public.requests[0][2]["StatusCallback"] == PUBLIC + CALLS
    report = call_report(CHILD, "completed", ParentCallSid=parent, CallDuration="187")

    assert signed(client, CALLS, report).status_code == 204
    placed, done = entries(db)
    assert (done.corrects_id, done.outcome, done.duration_seconds) == (
        placed.id,
        Outcome.REACHED,
        187,
    )
    assert (done.channel, done.agent_id, done.case_id) == (
        Channel.CALL_OUT,
        agent.id,
        placed.case_id,
    )

    assert signed(client, CALLS, report).status_code == 204  # Twilio may send it again
    assert len(entries(db)) == 2

    login_as("agent")
    page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
    assert "Bereikt" in page and "3,1 min" in page
    assert "gemeld door de telefoondienst" in page


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("busy", Outcome.NO_ANSWER),
        ("no-answer", Outcome.NO_ANSWER),
        ("canceled", Outcome.NO_ANSWER),
        ("failed", Outcome.WRONG_NUMBER),
    ],
)
def test_a_debtor_not_reached(app, db, client, public, reachable_case, status, outcome):
    parent = placed_call(reachable_case)
    report = call_report(CHILD, status, ParentCallSid=parent, CallDuration="0")
    assert signed(client, CALLS, report).status_code == 204
    done = entries(db)[-1]
    assert (done.outcome, done.duration_seconds) == (outcome, None)


def test_ringing_is_no_final_word(app, db, client, public, reachable_case):
    parent = placed_call(reachable_case)
    report = call_report(CHILD, "ringing", ParentCallSid=parent)
    assert signed(client, CALLS, report).status_code == 204
    assert len(entries(db)) == 1


def test_the_agents_phone_not_answering_is_noted_once(
    app, db, client, public, reachable_case, login_as
):
    parent = placed_call(reachable_case)
    done = signed(client, CALLS, call_report(parent, "completed", CallDuration="200"))
    assert done.status_code == 204
    assert len(entries(db)) == 1  # the agent's leg ended; the debtor's leg tells the outcome

    for _ in range(2):
        response = signed(client, CALLS, call_report(parent, "no-answer", CallDuration="0"))
        assert response.status_code == 204
    notes = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "call.not_connected")
    ).all()
    assert [(n.object_id, n.data["status"]) for n in notes] == [(reachable_case.id, "no-answer")]
    assert len(entries(db)) == 1
    login_as("agent")
    page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
    assert "de debiteur is niet gebeld" in page


def test_forged_and_misdirected_signatures_are_refused_and_logged(
    app, db, client, public, reachable_case, caplog
):
    parent = placed_call(reachable_case)
    report = call_report(CHILD, "completed", ParentCallSid=parent, CallDuration="60")
    caplog.set_level(logging.WARNING, logger=app.logger.name)
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    wrong_key = signed(client, CALLS, report, token="not-the-auth-token")
    tampered = client.post(
        CALLS,
        data={**report, "CallDuration": "6000"},
        headers={
            "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(
                PUBLIC + CALLS, report
            )
        },
    )
    # Signed over the address the request arrived at, not the public one Twilio was given.
    local_url = signed(client, CALLS, report, url="http://localhost" + CALLS)
    unsigned = client.post(CALLS, data=report)
    for response in (wrong_key, tampered, local_url, unsigned):
        assert response.status_code == 403
    assert len(entries(db)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_before
    refusals = [r for r in caplog.records if "Twilio webhook refused" in r.getMessage()]
    assert len(refusals) == 4
    assert "no signature" in refusals[-1].getMessage()


def test_without_an_auth_token_nothing_is_accepted(app, db, client, reachable_case):
    """Sandbox mode: no Twilio settings, so no report can be checked."""
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    report = sms_report("SM" + "0" * 32, "delivered")
    assert signed(client, SMS, report).status_code == 403


def test_a_report_on_an_unknown_call_is_not_found(app, db, client, public, reachable_case):
    report = call_report(CHILD, "completed", ParentCallSid="CA" + "9" * 32, CallDuration="10")
    assert signed(client, CALLS, report).status_code == 404
    assert signed(client, SMS, sms_report("SM" + "9" * 32, "delivered")).status_code == 404
    assert entries(db) == []


def test_a_report_without_its_fields_is_a_bad_request(app, db, client, public, reachable_case):
    parent = placed_call(reachable_case)
    assert signed(client, CALLS, {"CallSid": parent}).status_code == 400
    bad = call_report(CHILD, "completed", ParentCallSid=parent, CallDuration="-4")
    assert signed(client, CALLS, bad).status_code == 400
    assert len(entries(db)) == 1


def test_webhooks_take_no_get_and_no_session(client, login_as, app, public):
    login_as("supervisor")
    assert client.get(CALLS).status_code == 405
    assert client.post(SMS, data=sms_report("SM" + "1" * 32, "delivered")).status_code == 403


def test_webhooks_are_rate_limited(app, db, client, public, reachable_case):
    app.config["TWILIO_WEBHOOK_RATE_LIMIT"] = "3 per minute"
    report = sms_report("SM" + "9" * 32, "sent")
    answers = [signed(client, SMS, report).status_code for _ in range(4)]
    assert answers == [204, 204, 204, 429]


def sent_sms(reachable_case) -> str:
    with time_machine.travel(datetime(2025, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        return tasks.send_sms(reachable_case.id, "Betaal via de link", None, "req-sms")


@pytest.mark.parametrize(
    ("status", "outcome", "shown"),
    [
        ("delivered", Outcome.DELIVERED, "Afgeleverd"),
        ("undelivered", Outcome.UNDELIVERED, "Niet afgeleverd"),
        ("failed", Outcome.FAILED, "Kon niet worden verstuurd"),
    ],
)
def test_an_agents_sms_gets_its_delivery_once(
    app, db, client, public, reachable_case, login_as, status, outcome, shown
):
    sid = sent_sms(reachable_case)
    assert public.requests[0][2]["StatusCallback"] == PUBLIC + SMS
    for step in ("queued", "sent"):
        assert signed(client, SMS, sms_report(sid, step)).status_code == 204
    assert len(entries(db)) == 1  # on its way: nothing to record yet

    extra = {"ErrorCode": "30003"} if status != "delivered" else {}
    for _ in range(2):
        assert signed(client, SMS, sms_report(sid, status, **extra)).status_code == 204
    sent, report = entries(db)
    assert (report.corrects_id, report.channel, report.outcome) == (
        sent.id,
        Channel.SMS_OUT,
        outcome,
    )
    assert report.note == ("Twilio 30003" if extra else None)
    login_as("agent")
    page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
    assert shown in page


@pytest.fixture
def dunning_sms(db, reachable_case):
    """A dunning SMS that went out through Twilio."""
    ensure_default_policies()
    step = db.session.scalars(
        sa.select(DunningStep).where(DunningStep.channels.contains("sms"))
    ).first()
    message = Message(
        client_id=reachable_case.client_id,
        case_id=reachable_case.id,
        step_id=step.id,
        channel=MessageChannel.SMS,
        status=MessageStatus.SENT,
        provider_id="SM" + "d" * 32,
        recipient="+31612345678",
        finished_at=datetime(2025, 3, 4, 10, 0, tzinfo=UTC),
    )
    db.session.add(message)
    db.session.commit()
    return message


def test_a_dunning_sms_gets_its_delivery_on_the_outbox(
    app, db, client, public, reachable_case, dunning_sms, login_as
):
    sid = dunning_sms.provider_id
    report = sms_report(sid, "undelivered", ErrorCode="30005")
    assert signed(client, SMS, report).status_code == 204
    db.session.expire_all()
    first = db.session.get(Message, dunning_sms.id)
    assert first.delivery_status is DeliveryStatus.UNDELIVERED
    reported_at = first.delivery_reported_at

    assert signed(client, SMS, report).status_code == 204
    assert signed(client, SMS, sms_report(sid, "delivered")).status_code == 204
    db.session.expire_all()
    again = db.session.get(Message, dunning_sms.id)
    assert (again.delivery_status, again.delivery_reported_at) == (
        DeliveryStatus.UNDELIVERED,
        reported_at,
    )
    assert entries(db) == []  # a dunning SMS is an outbox message, not an agent's contact

    login_as("supervisor")
    outbox = client.get("/letters/").get_data(as_text=True)
    assert "niet afgeleverd" in outbox
    case_page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
    assert 'data-testid="delivery">niet afgeleverd' in case_page


def test_sandbox_messages_say_so_on_the_case(
    app, db, client, reachable_case, login_as, dunning_sms
):
    """Without Twilio settings the SMS is only recorded; the case and the outbox tell."""
    with time_machine.travel(datetime(2025, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        sid = tasks.send_sms(reachable_case.id, "Bel ons", None, "req-sandbox")
    assert sid.startswith("sandbox-sms-")
    dunning_sms.provider_id = "sandbox-sms-999"
    db.session.commit()
    login_as("supervisor")
    page = client.get(f"/cases/{reachable_case.id}").get_data(as_text=True)
    assert page.count('data-testid="sandboxed"') == 2
    assert "sandbox: vastgelegd, niet verstuurd" in client.get("/letters/").get_data(as_text=True)
