"""The contact log: append-only, corrections as new entries, next action set while logging, and
the case page's timeline and debtor history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from agency import jobs
from agency.cases.models import Case, Debtor
from agency.contact_log.models import Channel, ContactEntry, ContactLogTampering, Outcome
from agency.contact_log.operations import log_contact
from agency.contact_log.queries import case_timeline
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_reduction
from agency.modeling import today

TODAY = date(2025, 4, 1)


def test_entries_cannot_be_changed_or_deleted(app, db, make_case):
    case = make_case(100_00)
    entry = log_contact(case, channel=Channel.CALL_OUT, outcome=Outcome.NO_ANSWER, today=TODAY)
    db.session.commit()
    entry.note = "changed afterwards"
    with pytest.raises(ContactLogTampering):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ContactEntry, entry.id))
    with pytest.raises(ContactLogTampering):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ContactEntry, entry.id).note is None


def test_a_correction_is_a_new_entry_pointing_at_the_old(app, db, make_case):
    case = make_case(100_00)
    first = log_contact(case, channel=Channel.CALL_OUT, outcome=Outcome.REACHED, today=TODAY)
    fix = log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=Outcome.VOICEMAIL,
        note="was the voicemail, not the debtor",
        corrects=first,
        today=TODAY,
    )
    db.session.commit()
    rows = db.session.scalars(sa.select(ContactEntry).order_by(ContactEntry.id)).all()
    assert [(r.outcome, r.corrects_id) for r in rows] == [
        (Outcome.REACHED, None),
        (Outcome.VOICEMAIL, first.id),
    ]
    assert fix.corrects is first


def login_and_token(client, login_as, case, role="agent"):
    user = login_as(role)
    return user, client.csrf_token(f"/cases/{case.id}")


def test_logging_a_call_through_the_page_sets_the_next_action(client, login_as, make_case, db):
    case = make_case(100_00)
    agent, token = login_and_token(client, login_as, case)
    next_day = today() + timedelta(days=2)
    response = client.post(
        f"/cases/{case.id}/contacts",
        data={
            "channel": "call_in",
            "outcome": "callback",
            "note": "Calls back after payday",
            "duration_minutes": "4",
            "next_action_on": next_day.isoformat(),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    entry = db.session.scalars(sa.select(ContactEntry)).one()
    assert (entry.channel, entry.outcome, entry.duration_seconds, entry.agent_id) == (
        Channel.CALL_IN,
        Outcome.CALLBACK,
        240,
        agent.id,
    )
    assert db.session.get(Case, case.id).next_action_on == next_day
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Calls back after payday" in page


def test_logging_needs_a_next_action_date(client, login_as, make_case, db):
    case = make_case(100_00)
    _, token = login_and_token(client, login_as, case)
    response = client.post(
        f"/cases/{case.id}/contacts",
        data={"channel": "call_out", "outcome": "no_answer", "csrf_token": token},
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactEntry)) == 0


def test_a_missing_case_is_404(client, login_as, make_case):
    case = make_case(100_00)
    _, token = login_and_token(client, login_as, case)
    response = client.post(
        "/cases/999999/contacts",
        data={"channel": "call_out", "outcome": "no_answer", "csrf_token": token},
    )
    assert response.status_code == 404


def test_client_users_cannot_log_contacts(client, login_as, make_case):
    case = make_case(100_00)
    login_as("client", case.client)
    token = client.csrf_token("/portal/")
    response = client.post(
        f"/cases/{case.id}/contacts",
        data={"channel": "call_out", "outcome": "no_answer", "csrf_token": token},
    )
    assert response.status_code == 403


def test_the_timeline_is_newest_first_and_holds_everything(app, db, make_case):
    case = make_case(100_00, opened_on=date(2025, 3, 1))
    book_reduction(
        case,
        EntryKind.PAYMENT,
        20_00,
        booked_on=date(2025, 3, 10),
        source=EntrySource.BANK,
    )
    log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=Outcome.REACHED,
        occurred_at=datetime(2025, 3, 5, 9, 0, tzinfo=UTC),
        today=TODAY,
    )
    log_contact(
        case,
        channel=Channel.EMAIL_IN,
        outcome=Outcome.REACHED,
        note="debtor replies",
        occurred_at=datetime(2025, 3, 20, 9, 0, tzinfo=UTC),
        today=TODAY,
    )
    db.session.commit()
    items = case_timeline(case)
    kinds = [(i.kind, i.at.astimezone(UTC).date()) for i in items]
    assert kinds == [
        ("contact", date(2025, 3, 20)),
        ("ledger", date(2025, 3, 10)),
        ("contact", date(2025, 3, 5)),
        ("ledger", date(2025, 3, 1)),  # the principal booked at handoff
        ("handoff", date(2025, 3, 1)),
    ]
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)


def test_editing_the_debtor_keeps_a_history(client, login_as, make_case, db):
    case = make_case(100_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}/debtor")
    debtor = case.debtor
    data = {
        "name": debtor.name,
        "street": "Kerkstraat 1",
        "postcode": debtor.postcode,
        "city": "Utrecht",
        "country": "NL",
        "phone": "06 12345678",
        "language": "nl",
        "consent_email": "y",
        "csrf_token": token,
    }
    response = client.post(f"/cases/{case.id}/debtor", data=data)
    assert response.status_code == 302
    saved = db.session.get(Debtor, debtor.id)
    assert (saved.street, saved.city, saved.phone) == ("Kerkstraat 1", "Utrecht", "+31612345678")
    assert saved.consent_sms is False  # unticked
    page = client.get(f"/cases/{case.id}/debtor").get_data(as_text=True)
    assert "Kerkstraat 1" in page and "+31612345678" in page
    changes = page[page.index('data-testid="debtor-changes"') :]
    assert "street" in changes and "Utrecht" in changes
    bad = client.post(f"/cases/{case.id}/debtor", data={**data, "phone": "12"})
    assert bad.status_code == 200 and db.session.get(Debtor, debtor.id).phone == "+31612345678"
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-kind="debtor_updated"' in timeline


def test_a_correction_through_the_page(client, login_as, make_case, db):
    case, other = make_case(100_00), make_case(100_00)
    wrong = log_contact(case, channel=Channel.CALL_OUT, outcome=Outcome.REACHED, today=TODAY)
    elsewhere = log_contact(other, channel=Channel.CALL_OUT, outcome=Outcome.REACHED, today=TODAY)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    data = {
        "channel": "call_out",
        "outcome": "wrong_number",
        "note": "Not the debtor after all",
        "next_action_on": (today() + timedelta(days=1)).isoformat(),
        "csrf_token": token,
    }
    foreign = client.post(f"/cases/{case.id}/contacts", data={**data, "corrects": elsewhere.id})
    assert foreign.status_code == 404
    response = client.post(f"/cases/{case.id}/contacts", data={**data, "corrects": wrong.id})
    assert response.status_code == 302
    rows = db.session.scalars(
        sa.select(ContactEntry).where(ContactEntry.case_id == case.id).order_by(ContactEntry.id)
    ).all()
    assert [(r.outcome, r.corrects_id) for r in rows] == [
        (Outcome.REACHED, None),
        (Outcome.WRONG_NUMBER, wrong.id),
    ]
    assert "correctie" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_timeline_shows_the_dunning_engines_letters_emails_and_sms(
    app, db, client, login_as, make_case, make_debtor, make_client
):
    """What the dunning engine sent stands between the agent's contacts, newest first, with
    its status; an SMS the sandbox only recorded says so."""
    import time_machine

    from agency.letters import tasks as dunning
    from agency.letters.models import Channel as MessageChannel
    from agency.letters.models import MessageStatus

    client_row = make_client()
    debtor = make_debtor(
        client_row,
        street="Kerkstraat 1",
        city="Utrecht",
        email="debiteur@example.test",
        phone="+31612345678",
        timezone="Europe/Amsterdam",
    )
    case = make_case(100_00, debtor=debtor, due_dates=[date(2025, 2, 28)])

    def run_dunning(moment: datetime) -> None:
        # The periodic job enqueues the dispatch jobs after its commit; wait for them on the
        # frozen clock (dispatching by hand as well would race them).
        with time_machine.travel(moment, tick=False):
            dunning.schedule_due_messages(moment.date().isoformat())
            assert jobs.backend_for(app).wait_idle(30)
        db.session.expire_all()

    run_dunning(datetime(2025, 3, 4, 9, 0, tzinfo=UTC))  # the notice: letter and e-mail
    log_contact(
        case,
        channel=Channel.CALL_OUT,
        outcome=Outcome.NO_ANSWER,
        occurred_at=datetime(2025, 3, 6, 9, 0, tzinfo=UTC),
        today=TODAY,
    )
    db.session.commit()
    run_dunning(datetime(2025, 3, 18, 9, 0, tzinfo=UTC))  # the reminder: e-mail and SMS

    items = case_timeline(case)
    kinds = [(i.kind, i.at.astimezone(UTC).date()) for i in items if i.kind != "ledger"]
    channels = [i.data["message"].channel for i in items if i.kind == "message"]
    assert kinds[:5] == [
        ("message", date(2025, 3, 18)),
        ("message", date(2025, 3, 18)),
        ("contact", date(2025, 3, 6)),
        ("message", date(2025, 3, 4)),
        ("message", date(2025, 3, 4)),
    ]
    assert sorted(channels[:2], key=lambda c: c.value) == [MessageChannel.EMAIL, MessageChannel.SMS]
    assert sorted(channels[2:], key=lambda c: c.value) == [
        MessageChannel.EMAIL,
        MessageChannel.LETTER,
    ]
    assert all(i.data["message"].status is MessageStatus.SENT for i in items if i.kind == "message")
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)

    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('data-testid="timeline"') :]
    assert timeline.count('data-kind="message"') == 4
    assert "Ingebrekestelling met EUR 40" in timeline and "Herinnering" in timeline
    assert "Brief per post" in timeline and "sms" in timeline.lower()
    assert timeline.count('data-testid="sandboxed"') == 1  # the SMS: no Twilio settings
