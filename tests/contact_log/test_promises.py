"""Promises to pay: dunning waits, the ledger decides kept or broken after the grace days, and a
broken promise puts the case back in the queue with a higher priority."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from agency.cases.models import Case, CaseStatus
from agency.cases.priority import refresh_priorities
from agency.cases.queries import QueueScope, queue_rows
from agency.contact_log.models import Channel, Outcome, Promise, PromiseStatus
from agency.contact_log.operations import GRACE_DAYS, WorkError, record_contact, record_promise
from agency.contact_log.tasks import settle_promises
from agency.ledger.models import EntryKind, EntrySource
from agency.ledger.operations import book_reduction, reverse_entry

MADE = date(2025, 4, 1)
PROMISED = date(2025, 4, 10)
DEADLINE = PROMISED + timedelta(days=GRACE_DAYS)


@pytest.fixture
def promised_case(app, db, make_case):
    case = make_case(500_00)
    record_promise(case, 200_00, PROMISED, today=MADE)
    db.session.commit()
    return case


def status_of(db, case_id):
    db.session.expire_all()
    promise = db.session.scalars(sa.select(Promise).where(Promise.case_id == case_id)).one()
    return promise.status, db.session.get(Case, case_id)


def test_a_promise_pauses_dunning_until_the_grace_days_end(promised_case, db):
    case = db.session.get(Case, promised_case.id)
    assert case.status is CaseStatus.PROMISED
    assert (case.paused_reason, case.paused_until) == ("promise", DEADLINE)
    assert queue_rows(QueueScope.UNASSIGNED, today=MADE) == []  # waits, out of the queue


def test_paid_in_time_is_kept(promised_case, db):
    book_reduction(
        promised_case, EntryKind.PAYMENT, 200_00, booked_on=PROMISED, source=EntrySource.BANK
    )
    db.session.commit()
    assert settle_promises(PROMISED.isoformat()) == {"kept": 1, "broken": 0}
    status, case = status_of(db, promised_case.id)
    assert status is PromiseStatus.KEPT
    assert case.status is CaseStatus.DUNNING and case.paused_reason is None  # 300 still owed
    assert settle_promises(PROMISED.isoformat()) == {"kept": 0, "broken": 0}  # idempotent


def test_paid_within_the_grace_days_is_kept_even_when_checked_late(promised_case, db):
    book_reduction(
        promised_case, EntryKind.PAYMENT, 200_00, booked_on=DEADLINE, source=EntrySource.BANK
    )
    db.session.commit()
    settle_promises((DEADLINE + timedelta(days=5)).isoformat())
    assert status_of(db, promised_case.id)[0] is PromiseStatus.KEPT


def test_nothing_happens_before_the_deadline(promised_case, db):
    assert settle_promises(DEADLINE.isoformat()) == {"kept": 0, "broken": 0}
    status, case = status_of(db, promised_case.id)
    assert status is PromiseStatus.OPEN and case.status is CaseStatus.PROMISED


def test_too_little_or_too_late_is_broken_and_back_in_the_queue(promised_case, db):
    refresh_priorities([promised_case.id], MADE)
    db.session.commit()
    before = db.session.get(Case, promised_case.id).priority_score
    book_reduction(
        promised_case, EntryKind.PAYMENT, 150_00, booked_on=PROMISED, source=EntrySource.BANK
    )
    book_reduction(  # after the grace days: does not count
        promised_case,
        EntryKind.PAYMENT,
        50_00,
        booked_on=DEADLINE + timedelta(days=1),
        source=EntrySource.BANK,
    )
    db.session.commit()
    day = DEADLINE + timedelta(days=1)
    assert settle_promises(day.isoformat()) == {"kept": 0, "broken": 1}
    status, case = status_of(db, promised_case.id)
    assert status is PromiseStatus.BROKEN
    assert case.status is CaseStatus.DUNNING and case.paused_reason is None
    assert case.next_action_on == day
    promise = db.session.scalars(sa.select(Promise)).one()
    assert promise.paid_cents == 150_00
    # +100 for the broken promise; the balance fell by 200 (-8) and days went by (+days).
    refresh_priorities([case.id], day)
    assert [r.id for r in queue_rows(QueueScope.UNASSIGNED, today=day)] == [case.id]
    assert case.priority_score > before + 90


def test_a_reversed_payment_does_not_keep_a_promise(promised_case, db):
    payment = book_reduction(
        promised_case, EntryKind.PAYMENT, 200_00, booked_on=PROMISED, source=EntrySource.BANK
    )
    reverse_entry(payment, booked_on=PROMISED, reason="bounced")
    db.session.commit()
    settle_promises((DEADLINE + timedelta(days=1)).isoformat())
    assert status_of(db, promised_case.id)[0] is PromiseStatus.BROKEN


def test_a_new_promise_replaces_the_open_one(promised_case, db):
    record_promise(promised_case, 100_00, date(2025, 4, 20), today=date(2025, 4, 5))
    db.session.commit()
    rows = db.session.scalars(sa.select(Promise).order_by(Promise.id)).all()
    assert [r.status for r in rows] == [PromiseStatus.CANCELLED, PromiseStatus.OPEN]


@pytest.mark.parametrize(
    ("amount", "day", "message"),
    [
        (600_00, PROMISED, "more than the debtor owes"),
        (0, PROMISED, "positive"),
        (100_00, MADE - timedelta(days=1), "passed"),
    ],
)
def test_promises_that_make_no_sense_are_refused(app, db, make_case, amount, day, message):
    case = make_case(500_00)
    with pytest.raises(WorkError, match=message):
        record_promise(case, amount, day, today=MADE)


def test_a_disputed_case_takes_no_promise(app, db, make_case):
    case = make_case(500_00, status=CaseStatus.DISPUTED)
    with pytest.raises(WorkError):
        record_promise(case, 100_00, PROMISED, today=MADE)


def test_logging_a_promise_on_the_page(client, login_as, make_case, db):
    from agency.modeling import today

    case = make_case(500_00)
    login_as("agent")
    token = client.csrf_token(f"/cases/{case.id}")
    day = today() + timedelta(days=7)
    data = {
        "channel": "call_out",
        "outcome": "promise",
        "next_action_on": (day + timedelta(days=4)).isoformat(),
        "csrf_token": token,
    }
    missing = client.post(f"/cases/{case.id}/contacts", data=data)
    assert missing.status_code == 400
    assert "bedrag" in missing.get_data(as_text=True) or "amount" in missing.get_data(as_text=True)
    response = client.post(
        f"/cases/{case.id}/contacts",
        data={**data, "promise_amount": "123,45", "promise_on": day.isoformat()},
    )
    assert response.status_code == 302
    promise = db.session.scalars(sa.select(Promise)).one()
    assert (promise.amount_cents, promise.promised_on) == (123_45, day)
    assert promise.contact_entry_id is not None
    saved = db.session.get(Case, case.id)
    assert saved.status is CaseStatus.PROMISED
    assert saved.next_action_on == day + timedelta(days=4)


def test_record_contact_with_a_promise_is_one_unit(app, db, make_case):
    case = make_case(500_00)
    with pytest.raises(WorkError):
        record_contact(
            case,
            channel=Channel.CALL_OUT,
            outcome=Outcome.PROMISE,
            note=None,
            duration_seconds=None,
            next_action_on=PROMISED,
            today=MADE,
            promise=(900_00, PROMISED),
        )
