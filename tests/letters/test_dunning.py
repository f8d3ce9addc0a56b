"""The dunning engine end to end: steps fall due, messages go out once, money is booked right.

Amounts and dates are worked out by hand in the comments.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from agency import jobs
from agency.cases.models import CaseStatus
from agency.cases.operations import transition
from agency.clients.models import Segment
from agency.ledger.models import EntryKind, EntrySource, LedgerEntry
from agency.ledger.operations import book_reduction
from agency.ledger.queries import case_balance
from agency.letters import operations
from agency.letters.models import Channel, Message, MessageStatus, StepCosts
from agency.letters.policies import ensure_default_policies
from agency.letters.tasks import dispatch_message, schedule_due_messages
from agency.sandbox.models import SandboxRecord
from tests.letters.conftest import at, messages


def entries(db, case_id, kind):
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.case_id == case_id, LedgerEntry.kind == kind)
            .order_by(LedgerEntry.id)
        )
    )


def by_step(msgs, position):
    return {m.channel: m for m in msgs if m.step.position == position}


def test_the_default_consumer_policy_from_reminder_to_legal(db, b2c_case, run_day, make_client):
    case = b2c_case()
    case.client.email = "debiteuren@fietsen.test"
    db.session.commit()

    # Thursday 20 March 2025: the reminder (due date 1 March + 1 day) goes by letter and e-mail.
    assert run_day(at(2025, 3, 20, 10)) == 2
    step1 = by_step(messages(db, case.id), 1)
    assert {c: m.status for c, m in step1.items()} == {
        Channel.LETTER: MessageStatus.SENT,
        Channel.EMAIL: MessageStatus.SENT,
    }
    assert step1[Channel.LETTER].posted_on == date(2025, 3, 20)
    assert "Herinnering" in step1[Channel.EMAIL].content["subject"]
    assert run_day(at(2025, 3, 20, 11)) == 0  # nothing is made twice

    # Sunday 30 March (10 days later): the second reminder is due, but e-mail and SMS wait for
    # Monday 07:00 in Amsterdam (05:00 UTC, summer time).
    assert run_day(at(2025, 3, 30, 10)) == 2
    step2 = by_step(messages(db, case.id), 2)
    assert all(m.status is MessageStatus.PENDING for m in step2.values())
    assert {m.send_after for m in step2.values()} == {at(2025, 3, 31, 5)}
    run_day(at(2025, 3, 31, 5, 30))
    step2 = by_step(messages(db, case.id), 2)
    assert all(m.status is MessageStatus.SENT for m in step2.values())

    # Monday 7 April (7 days after): the 14-day letter, posted that day. Receipt: Tue 8 (1),
    # Wed 9 (2); the term's last day is 9 + 14 = 23 April; costs from 24 April. Costs stated:
    # WIK over both claims together, EUR 3,000 -> EUR 425.
    run_day(at(2025, 4, 7, 10))
    step3 = by_step(messages(db, case.id), 3)
    letter, email = step3[Channel.LETTER], step3[Channel.EMAIL]
    assert letter.status is MessageStatus.SENT and email.status is MessageStatus.SENT
    for m in (letter, email):
        assert (m.term_ends_on, m.costs_from, m.stated_costs_cents) == (
            date(2025, 4, 23),
            date(2025, 4, 24),
            425_00,
        )
    assert "23 april 2025" in letter.content["body"] and "€\xa0425,00" in letter.content["body"]
    assert case_balance(case.id).cost == 0  # the letter itself is free

    # On the term's last day nothing happens yet; no costs.
    assert run_day(at(2025, 4, 23, 10)) == 0
    assert entries(db, case.id, EntryKind.COST) == []

    # Thursday 24 April: the summons, with the stated costs and consumer interest (6% in
    # 2025): EUR 2,000 from 2 March for 53 days = 2000 * 6% * 53 / 365 = EUR 17.42;
    # EUR 1,000 from 11 March for 44 days = 1000 * 6% * 44 / 365 = EUR 7.23.
    assert run_day(at(2025, 4, 24, 10)) == 3
    costs = entries(db, case.id, EntryKind.COST)
    assert [(c.amount_cents, c.booked_on) for c in costs] == [(425_00, date(2025, 4, 24))]
    interest = entries(db, case.id, EntryKind.INTEREST)
    assert sorted(e.amount_cents for e in interest) == [723, 17_42]
    balance = case_balance(case.id)
    assert (balance.principal, balance.cost, balance.interest) == (3_000_00, 425_00, 24_65)
    summons = by_step(messages(db, case.id), 4)
    assert {m.status for m in summons.values()} == {MessageStatus.SENT}
    assert summons[Channel.LETTER].content["balance"]["total"] == 3_449_65
    assert "€\xa03.449,65" in summons[Channel.SMS].content["sms"]

    # 14 days later, 8 May: handover to legal; the client is told by e-mail.
    run_day(at(2025, 5, 8, 10))
    db.session.refresh(case)
    assert case.status is CaseStatus.LEGAL
    legal = by_step(messages(db, case.id), 5)
    assert legal[Channel.CLIENT_EMAIL].status is MessageStatus.SENT
    assert legal[Channel.CLIENT_EMAIL].recipient == "debiteuren@fietsen.test"
    assert case.reference in legal[Channel.CLIENT_EMAIL].content["subject"]
    # Charges were booked once, whatever the number of channels.
    assert len(entries(db, case.id, EntryKind.COST)) == 1
    assert run_day(at(2025, 6, 1, 10)) == 0  # a case in legal gets nothing more


def test_costs_carry_vat_only_for_a_client_that_declared_it(db, b2c_case, run_day):
    case = b2c_case()
    case.client.vat_on_costs = True
    db.session.commit()
    for moment in (at(2025, 3, 20, 10), at(2025, 3, 31, 10), at(2025, 4, 7, 10)):
        run_day(moment)
    letter = by_step(messages(db, case.id), 3)[Channel.LETTER]
    assert letter.stated_costs_cents == 514_25  # EUR 425 + 21% VAT
    assert "€\xa0514,25 (inclusief btw)" in letter.content["body"]
    run_day(at(2025, 4, 24, 10))
    assert [e.amount_cents for e in entries(db, case.id, EntryKind.COST)] == [514_25]


def test_b2b_charges_the_40_euro_minimum_from_the_day_after_the_due_date(
    db, make_client, make_debtor, make_case, run_day
):
    client = make_client(default_segment=Segment.B2B)
    debtor = make_debtor(client, street="Stationsplein 1", city="Amersfoort", email="ap@x.test")
    case = make_case(
        500_00,
        client=client,
        debtor=debtor,
        opened_on=date(2025, 3, 5),
        due_dates=[date(2025, 3, 10)],
    )
    assert run_day(at(2025, 3, 10, 10)) == 0  # the due date itself: nothing yet
    assert run_day(at(2025, 3, 11, 10)) == 2
    costs = entries(db, case.id, EntryKind.COST)
    assert [(c.amount_cents, c.booked_on) for c in costs] == [(40_00, date(2025, 3, 11))]
    assert entries(db, case.id, EntryKind.INTEREST) == []  # no day of interest yet


def test_b2b_minimum_with_vat_declared(db, make_client, make_debtor, make_case, run_day):
    client = make_client(default_segment=Segment.B2B, vat_on_costs=True)
    debtor = make_debtor(client, street="Stationsplein 1", city="Amersfoort")
    case = make_case(
        500_00,
        client=client,
        debtor=debtor,
        opened_on=date(2025, 3, 5),
        due_dates=[date(2025, 3, 10)],
    )
    run_day(at(2025, 3, 11, 10))
    assert [c.amount_cents for c in entries(db, case.id, EntryKind.COST)] == [48_40]


def test_belgian_consumers_get_a_free_reminder_and_capped_damages_after_14_days(
    db, b2c_case, run_day
):
    case = b2c_case(country="BE", city="Gent", timezone="Europe/Brussels", phone=None)
    # Thursday 14 August 2025: the free reminder by post. Term: Mon 18 (1), Tue 19 (2),
    # Wed 20 (3, Fri 15 is a holiday) -> 20 Aug .. 2 Sep; damages from 3 Sep:
    # EUR 3,000 -> EUR 65 + 5% of 2,500 = EUR 190.
    run_day(at(2025, 8, 14, 10))
    reminder = by_step(messages(db, case.id), 1)[Channel.LETTER]
    assert reminder.status is MessageStatus.SENT
    assert (reminder.term_ends_on, reminder.costs_from, reminder.stated_costs_cents) == (
        date(2025, 9, 2),
        date(2025, 9, 3),
        190_00,
    )
    assert entries(db, case.id, EntryKind.COST) == []
    assert run_day(at(2025, 9, 2, 10)) == 0
    run_day(at(2025, 9, 3, 10))
    assert [(c.amount_cents, c.booked_on) for c in entries(db, case.id, EntryKind.COST)] == [
        (190_00, date(2025, 9, 3))
    ]
    assert entries(db, case.id, EntryKind.INTEREST) == []


# --- exactly once --------------------------------------------------------------------------


def schedule_only(db, case, moment):
    """Create the due messages without dispatching them (as if the worker had not run yet)."""
    ensure_default_policies()
    with time_machine.travel(moment, tick=False):
        created = operations.schedule_case(case, today=moment.date(), now=moment)
    db.session.commit()
    return created


def test_one_message_per_case_step_and_channel(db, b2c_case):
    case = b2c_case()
    created = schedule_only(db, case, at(2025, 3, 20, 10))
    twin = Message(
        client_id=case.client_id,
        case_id=case.id,
        step_id=created[0].step_id,
        channel=created[0].channel,
    )
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_running_the_scheduler_twice_creates_nothing_new(db, b2c_case, app):
    case = b2c_case()
    with time_machine.travel(at(2025, 3, 20, 10), tick=False):
        assert schedule_due_messages() == 2
        assert schedule_due_messages() == 0
        assert jobs.backend_for(app).wait_idle(30)
    assert len(messages(db, case.id)) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("paid", "case is paid"),
        ("promised", "case is promised"),
        ("disputed", "case is disputed"),
        ("paused", "case paused: arrangement"),
    ],
)
def test_a_case_that_changed_after_scheduling_gets_nothing(db, b2c_case, change, reason):
    case = b2c_case()
    created = schedule_only(db, case, at(2025, 3, 20, 10))
    if change == "paid":
        book_reduction(
            case,
            EntryKind.PAYMENT,
            3_000_00,
            booked_on=date(2025, 3, 20),
            source=EntrySource.BANK,
        )
    elif change == "paused":
        operations_pause(case)
    else:
        transition(case, CaseStatus(change), on=date(2025, 3, 20))
    db.session.commit()
    for message in created:
        assert dispatch_message(message.id, now=at(2025, 3, 20, 11).isoformat()) == "cancelled"
    for message in messages(db, case.id):
        assert message.status is MessageStatus.CANCELLED
        assert message.cancel_reason == reason
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SandboxRecord)) == 0


def operations_pause(case):
    from agency.cases.operations import pause

    pause(case, "arrangement", date(2025, 4, 30))


def test_a_crash_before_the_hand_over_sends_the_message_once_later(app, db, b2c_case):
    case = b2c_case()
    email = next(
        m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel.value == "email"
    )
    claimed_at = at(2025, 3, 20, 10, 1)
    # A worker claims the message and dies before it hands it to the provider.
    assert operations.claim(email.id, claimed_at) == 1
    db.session.commit()
    assert operations.claim(email.id, claimed_at) is None  # nobody else can take it
    # Its retry, or a second worker with the same job, finds nothing to do.
    assert dispatch_message(email.id, now=at(2025, 3, 20, 10, 2).isoformat()) == "not pending"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SandboxRecord)) == 0
    # Nothing left: once the claim is stale, the sweep puts it back and it goes out once.
    with time_machine.travel(at(2025, 3, 20, 10, 30), tick=False):
        schedule_due_messages()
        assert jobs.backend_for(app).wait_idle(30)
    db.session.refresh(email)
    assert (email.status, email.attempts) == (MessageStatus.SENT, 2)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SandboxRecord)
            .where(SandboxRecord.service == "mail")
        )
        == 1
    )


def test_a_crash_after_the_hand_over_is_failed_visibly_never_resent(
    app, db, b2c_case, client, login_as
):
    case = b2c_case()
    email = next(
        m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel.value == "email"
    )
    claimed_at = at(2025, 3, 20, 10, 1)
    # A worker claims the message, hands it to the provider and dies before recording it.
    attempt = operations.claim(email.id, claimed_at)
    assert operations.hold_claim(email.id, attempt, claimed_at, hand_over=True)
    db.session.commit()
    with time_machine.travel(at(2025, 3, 20, 10, 30), tick=False):
        schedule_due_messages()
        assert jobs.backend_for(app).wait_idle(30)
    db.session.refresh(email)
    assert email.status is MessageStatus.FAILED
    assert "interrupted while sending" in email.last_error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SandboxRecord)) == 0
    login_as("supervisor")
    page = client.get("/letters/").get_data(as_text=True)
    assert "interrupted while sending" in page and case.reference in page


def test_a_sweep_leaves_a_claim_that_is_still_held_alone(db, b2c_case):
    case = b2c_case()
    email = next(
        m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel.value == "email"
    )
    attempt = operations.claim(email.id, at(2025, 3, 20, 10, 1))
    db.session.commit()
    # The claim is stale by the clock, but the sweep read an older attempt of it.
    assert (
        operations.hold_claim(email.id, attempt + 1, at(2025, 3, 20, 10, 1), hand_over=False)
        is False
    )
    db.session.rollback()
    assert operations.recover_interrupted_claims(at(2025, 3, 20, 10, 2)) == 0
    assert operations.recover_interrupted_claims(at(2025, 3, 20, 10, 30)) == 1
    db.session.commit()
    db.session.refresh(email)
    assert (email.status, email.claimed_at) == (MessageStatus.PENDING, None)


def test_email_goes_through_smtp_with_the_pdf_attached(db, b2c_case, run_day, smtp_server):
    case = b2c_case()
    run_day(at(2025, 3, 20, 10))
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail["To"] == "jan@example.test"
    assert "Herinnering" in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Jan de Vries" in plain and "Jan de Vries" in html
    assert "/pay/" in plain
    url = by_step(messages(db, case.id), 1)[Channel.EMAIL].content["payment_url"]
    assert f'<a href="{url}"' in html and "Online betalen</a>" in html
    [sender] = mail["From"].addresses
    assert sender.display_name == "Fietsen B.V. via Agency Incasso B.V."
    assert sender.addr_spec == "noreply@agency.invalid"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{case.reference}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    email = by_step(messages(db, case.id), 1)[Channel.EMAIL]
    assert email.provider_id == mail["Message-ID"]


def test_a_refused_email_is_retried_and_sent_once(db, b2c_case, run_day, smtp_server):
    smtp_server.refuse_next = 1
    case = b2c_case()
    run_day(at(2025, 3, 20, 10))
    email = by_step(messages(db, case.id), 1)[Channel.EMAIL]
    assert email.status is MessageStatus.SENT
    assert email.attempts == 2
    assert len(smtp_server.received) == 1


def test_a_provider_that_keeps_failing_leaves_the_message_failed_and_visible(
    db, app, b2c_case, run_day, free_smtp_port, client, login_as
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_smtp_port, MAIL_USE_TLS=False)
    case = b2c_case()
    run_day(at(2025, 3, 20, 10))
    email = by_step(messages(db, case.id), 1)[Channel.EMAIL]
    assert email.status is MessageStatus.FAILED
    assert email.attempts == 3  # the first try and two retries (DUNNING_RETRY_INTERVALS)
    assert email.last_error.startswith("SMTP:")
    failed_jobs = [f.name for f in jobs.backend_for(app).failed]
    assert failed_jobs == ["agency.letters.tasks.dispatch_messages"]
    login_as("supervisor")
    page = client.get("/letters/?status=failed").get_data(as_text=True)
    assert case.reference in page and "SMTP:" in page


def test_sms_goes_through_the_twilio_sdk(db, b2c_case, run_day, twilio):
    case = b2c_case()
    run_day(at(2025, 3, 20, 10))
    run_day(at(2025, 3, 31, 10))
    [request] = twilio.requests
    assert request["method"] == "POST"
    assert request["uri"] == (
        "https://api.twilio.com/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json"
    )
    assert request["data"]["To"] == "+31612345678"
    assert request["data"]["From"] == "+3197010000000"
    assert "€\xa03.000,00" in request["data"]["Body"]
    sms = by_step(messages(db, case.id), 2)[Channel.SMS]
    assert sms.status is MessageStatus.SENT and sms.provider_id == "SM" + "1".zfill(32)


def test_twilio_failures_are_retried_then_failed(db, b2c_case, run_day, twilio):
    twilio.failures = 10
    case = b2c_case()
    run_day(at(2025, 3, 20, 10))
    run_day(at(2025, 3, 31, 10))
    sms = by_step(messages(db, case.id), 2)[Channel.SMS]
    assert sms.status is MessageStatus.FAILED and sms.attempts == 3
    assert len(twilio.requests) == 3
    assert "Twilio" in sms.last_error


def test_no_email_address_or_consent_is_recorded_not_silently_skipped(db, b2c_case, run_day):
    case = b2c_case(email=None, consent_sms=False)
    run_day(at(2025, 3, 20, 10))
    run_day(at(2025, 3, 31, 10))
    msgs = messages(db, case.id)
    reasons = {(m.step.position, m.channel): m.cancel_reason for m in msgs if m.cancel_reason}
    assert reasons == {
        (1, Channel.EMAIL): "no e-mail address",
        (2, Channel.EMAIL): "no e-mail address",
        (2, Channel.SMS): "no consent for SMS",
    }


def test_a_letter_without_a_postal_address_fails_visibly(db, b2c_case, run_day):
    case = b2c_case(street=None)
    run_day(at(2025, 3, 20, 10))
    letter = by_step(messages(db, case.id), 1)[Channel.LETTER]
    assert letter.status is MessageStatus.FAILED and letter.last_error == "no postal address"


def test_retry_intervals_back_off(db, app, b2c_case, free_smtp_port):
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_smtp_port,
        MAIL_USE_TLS=False,
        DUNNING_RETRY_INTERVALS=(60, 300),
    )
    case = b2c_case()
    email = next(
        m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel is Channel.EMAIL
    )
    first = at(2025, 3, 20, 10)
    with pytest.raises(Exception, match="SMTP"):
        dispatch_message(email.id, now=first.isoformat())
    db.session.refresh(email)
    assert email.status is MessageStatus.PENDING
    assert email.send_after == first + timedelta(seconds=60)
    assert dispatch_message(email.id, now=(first + timedelta(seconds=30)).isoformat()) == "not yet"


def test_a_concurrent_scheduler_run_makes_nothing_twice(db, app, b2c_case, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="agency.letters.tasks")
    first, second = b2c_case(), b2c_case(name="Piet Jansen")
    # Another scheduler run created the first case's messages after this run had looked.
    created = schedule_only(db, first, at(2025, 3, 20, 10))
    step = created[0].step
    monkeypatch.setattr(operations, "next_step", lambda case, policy, today: step)
    with time_machine.travel(at(2025, 3, 20, 10, 5), tick=False):
        assert schedule_due_messages() == 2  # the second case's; the first one's were there
        assert jobs.backend_for(app).wait_idle(30)
    assert f"case {first.id} was scheduled concurrently" in caplog.text
    assert [m.id for m in messages(db, first.id)] == [m.id for m in created]
    assert all(m.status is MessageStatus.SENT for m in messages(db, first.id))
    assert len(messages(db, second.id)) == 2
    mails = sa.select(sa.func.count()).select_from(SandboxRecord)
    assert db.session.scalar(mails.where(SandboxRecord.case_id == first.id)) == 1


def test_a_14_day_letter_made_on_a_saturday_counts_from_mondays_posting(db, b2c_case, run_day):
    from agency.letters.models import DunningPolicy, DunningStep, OffsetFrom, TemplateKind

    case = b2c_case()
    policy = DunningPolicy(
        client_id=case.client_id, segment=Segment.B2C, country="NL", name="Direct de 14-dagenbrief"
    )
    policy.steps.append(
        DunningStep(
            position=1,
            name="14-dagenbrief",
            offset_days=1,
            offset_from=OffsetFrom.DUE_DATE,
            channels="letter,email",
            template=TemplateKind.FOURTEEN_DAY_LETTER,
            costs=StepCosts.NONE,
            interest=False,
            fourteen_day_letter=True,
            hand_to_legal=False,
        )
    )
    db.session.add(policy)
    db.session.commit()
    # Saturday 5 April 2025: the e-mail goes now, the letter into Monday 7 April's batch.
    # Receipt Wed 9 April (Tue 8 is the first day counted); term to 23 April for both.
    run_day(at(2025, 4, 5, 10))
    step = by_step(messages(db, case.id), 1)
    letter, email = step[Channel.LETTER], step[Channel.EMAIL]
    assert letter.posted_on == date(2025, 4, 7)
    assert letter.content["date"] == "2025-04-07"  # the letter is dated as posted
    assert email.finished_at == at(2025, 4, 5, 10)
    assert letter.term_ends_on == email.term_ends_on == date(2025, 4, 23)
    assert letter.costs_from == email.costs_from == date(2025, 4, 24)


def test_messages_whose_dispatch_was_lost_are_sent_by_the_next_run(db, app, b2c_case):
    case = b2c_case()
    # Created and committed, but their jobs never reached a worker (a broker outage).
    created = schedule_only(db, case, at(2025, 3, 20, 10))
    assert {m.status for m in created} == {MessageStatus.PENDING}
    with time_machine.travel(at(2025, 3, 20, 10, 15), tick=False):
        assert schedule_due_messages() == 0
        assert jobs.backend_for(app).wait_idle(30)
    assert {m.status for m in messages(db, case.id)} == {MessageStatus.SENT}


def test_no_interest_is_charged_before_the_first_known_rate(
    db, make_client, make_debtor, make_case, run_day
):
    client = make_client(default_segment=Segment.B2B)
    debtor = make_debtor(client, street="Stationsplein 1", city="Amersfoort")
    case = make_case(
        1_000_00,
        client=client,
        debtor=debtor,
        opened_on=date(2022, 12, 1),
        due_dates=[date(2022, 6, 30)],
    )
    # Rates are known from 1 January 2023 (commercial 10.5%): 30 days to 31 January,
    # 1000 * 10.5% * 30 / 365 = EUR 8.63; nothing for 2022.
    run_day(at(2023, 1, 31, 10))
    assert [e.amount_cents for e in entries(db, case.id, EntryKind.INTEREST)] == [8_63]
    assert [e.amount_cents for e in entries(db, case.id, EntryKind.COST)] == [40_00]


def test_an_unexpected_error_fails_the_message_visibly(
    db, app, b2c_case, run_day, monkeypatch, client, login_as
):
    from agency.letters import tasks

    def broken_pdf(content):
        raise RuntimeError("the printer font is gone")

    monkeypatch.setattr(tasks, "letter_pdf", broken_pdf)
    case = b2c_case(email=None)
    run_day(at(2025, 3, 20, 10))
    letter = by_step(messages(db, case.id), 1)[Channel.LETTER]
    assert letter.status is MessageStatus.FAILED and letter.attempts == 1
    assert letter.last_error == "RuntimeError: the printer font is gone"
    assert case_balance(case.id).cost == 0
    login_as("agent")
    page = client.get("/letters/?status=failed").get_data(as_text=True)
    assert "the printer font is gone" in page and case.reference in page
