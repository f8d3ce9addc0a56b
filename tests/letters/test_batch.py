"""Dispatch in batches: one job, one SMTP connection, each message on its own."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_charge, book_reduction
from agency.ledger.queries import case_balance, case_ledger, invoice_open_principal
from agency.letters.models import Channel, MessageStatus
from agency.letters.tasks import dispatch_messages
from tests.letters.conftest import at, messages
from tests.letters.test_dunning import schedule_only


@pytest.mark.parametrize("paid", [0, 1_500_00, 2_500_00, 3_000_00, 3_100_00])
def test_case_ledger_reads_what_balance_and_open_principal_read(db, b2c_case, paid):
    case = b2c_case()
    book_charge(
        case, EntryKind.COST, 375_00, booked_on=date(2025, 4, 1), source=EntrySource.DUNNING
    )
    if paid:
        book_reduction(
            case, EntryKind.PAYMENT, paid, booked_on=date(2025, 4, 2), source=EntrySource.BANK
        )
    db.session.commit()
    assert case_ledger(case.id) == (case_balance(case.id), invoice_open_principal(case.id))


def test_a_batch_sends_each_message_once_through_one_connection(db, b2c_case, smtp_server):
    cases = [b2c_case(name=f"Debtor {n}", email=f"d{n}@example.test") for n in range(3)]
    ids = [m.id for case in cases for m in schedule_only(db, case, at(2025, 3, 20, 10))]
    sent_already = ids[0]
    assert dispatch_messages([sent_already], now=at(2025, 3, 20, 10, 1).isoformat()) == {
        sent_already: "sent"
    }
    # Sunday 23 March: the e-mails wait for Monday, the letters go.
    results = dispatch_messages([*ids, 999_999], now=at(2025, 3, 23, 10).isoformat())
    assert results[sent_already] == "not pending" and results[999_999] == "not pending"
    statuses = {m.id: (m.channel, m.status) for case in cases for m in messages(db, case.id)}
    for message_id in ids[1:]:
        channel, status = statuses[message_id]
        if channel is Channel.EMAIL:
            assert (results[message_id], status) == ("deferred", MessageStatus.PENDING)
        else:
            assert (results[message_id], status) == ("sent", MessageStatus.SENT)
    results = dispatch_messages(ids, now=at(2025, 3, 24, 5).isoformat())
    assert {r for i, r in results.items() if statuses[i][1] is MessageStatus.PENDING} == {"not yet"}
    results = dispatch_messages(ids, now=at(2025, 3, 24, 8).isoformat())
    assert list(results.values()).count("sent") == 3  # the three e-mails, held back on Sunday
    assert sorted(str(m["To"]) for m in smtp_server.received) == [
        "d0@example.test",
        "d1@example.test",
        "d2@example.test",
    ]


def test_a_failure_after_a_sent_email_keeps_its_record(db, b2c_case, smtp_server):
    """The record of an e-mail the server took waits for the next commit; the next message's
    rollback must not lose it."""
    cases = [b2c_case(name=f"Debtor {n}", email=f"d{n}@example.test") for n in range(3)]
    emails = [
        next(m for m in schedule_only(db, case, at(2025, 3, 20, 10)) if m.channel is Channel.EMAIL)
        for case in cases
    ]
    cases[1].debtor.email = None  # removed after scheduling: this one cannot go
    db.session.commit()
    ids = [m.id for m in emails]
    results = dispatch_messages(ids, now=at(2025, 3, 20, 10, 1).isoformat())
    assert [results[i] for i in ids] == ["sent", "failed", "sent"]
    db.session.expire_all()
    statuses = [db.session.get(type(m), m.id) for m in emails]
    assert [m.status for m in statuses] == [
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.SENT,
    ]
    assert statuses[1].last_error == "no e-mail address"
    assert sorted(str(m["To"]) for m in smtp_server.received) == [
        "d0@example.test",
        "d2@example.test",
    ]
    assert {str(m["Message-ID"]) for m in smtp_server.received} == {
        statuses[0].provider_id,
        statuses[2].provider_id,
    }
    recorded = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "dunning.sent")
    ).all()
    assert sorted(recorded) == sorted([ids[0], ids[2]])
