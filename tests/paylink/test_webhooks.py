"""The providers' webhooks: a verified report books a payment once, a replay books nothing, a
forged call is refused and kept on record; a booked payment is allocated costs, interest,
principal, and a case paid in full is closed and no longer dunned."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import responses
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.cases.models import CaseStatus
from agency.extensions import db as _db
from agency.ledger.models import Allocation, Component, EntryKind, EntrySource, LedgerEntry
from agency.ledger.operations import book_charge
from agency.ledger.queries import case_balance
from agency.letters.operations import schedule_case
from agency.paylink import payments
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.payments import Settled, settle, start_payment
from agency.paylink.providers import Report
from tests.paylink.payment_fakes import (
    MOLLIE_API,
    MOLLIE_KEY,
    MOLLIE_NOT_FOUND,
    PUBLIC_BASE_URL,
    STRIPE_API,
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    mollie_payment,
    stripe_event,
    stripe_session,
    stripe_signature,
)

RETURN_URL = f"{PUBLIC_BASE_URL}/pay/the-debtors-token"


def _payment_entries(db, case_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry).where(
                LedgerEntry.case_id == case_id, LedgerEntry.kind == EntryKind.PAYMENT
            )
        )
    )


def _refusals(db, provider: str) -> list[AuditEvent]:
    return [
        e
        for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "payment.webhook_refused")
        )
        if e.data["provider"] == provider
    ]


# --- Mollie ---------------------------------------------------------------------------------------


@pytest.fixture
def mollie_started(app, db, make_case):
    """A case of 500.00 and a Mollie payment of 123.45 started on it."""
    app.config.update(MOLLIE_API_KEY=MOLLIE_KEY, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json=mollie_payment("tr_WDqYK6vllg", "open", cents=123_45, public_id="x"),
            status=201,
        )
        start_payment(case, 123_45, return_url=RETURN_URL)
    db.session.commit()
    payment = db.session.scalars(sa.select(ProviderPayment)).one()
    return case, payment


def _mollie_says(mock, payment: ProviderPayment, status: str, cents: int | None = None):
    mock.get(
        f"{MOLLIE_API}/payments/{payment.provider_payment_id}",
        json=mollie_payment(
            payment.provider_payment_id,
            status,
            cents=cents or payment.amount_cents,
            public_id=payment.public_id,
        ),
    )


def test_a_mollie_webhook_books_the_paid_payment_once(client, db, mollie_started):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        _mollie_says(mock, payment, "paid")
        first = client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"})
        again = client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"})
        asked = [call.request.url for call in mock.calls]
    assert (first.status_code, first.json) == (200, {"result": "booked"})
    assert (again.status_code, again.json) == (200, {"result": "unchanged"})
    # The handler believed nothing it was posted: it asked Mollie each time.
    assert asked == [f"{MOLLIE_API}/payments/tr_WDqYK6vllg"] * 2
    [entry] = _payment_entries(db, case.id)
    assert (entry.amount_cents, entry.source) == (-123_45, EntrySource.PAYLINK)
    assert "tr_WDqYK6vllg" in entry.description
    payment = db.session.get(ProviderPayment, payment.id)
    assert (payment.status, payment.ledger_entry_id) == (PaymentStatus.PAID, entry.id)
    assert case_balance(case.id).total == 500_00 - 123_45
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "payment.paid"))
        == 1
    )


def test_a_mollie_payment_still_open_waits_and_a_failed_one_books_nothing(
    client, db, mollie_started
):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        _mollie_says(mock, payment, "open")
        assert client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"}).json == {
            "result": "waiting"
        }
    with responses.RequestsMock() as mock:
        _mollie_says(mock, payment, "failed")
        assert client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"}).json == {
            "result": "closed"
        }
    assert db.session.get(ProviderPayment, payment.id).status is PaymentStatus.FAILED
    assert _payment_entries(db, case.id) == []


def test_an_unknown_mollie_id_is_refused_and_logged_without_asking_mollie(
    client, db, mollie_started, caplog
):
    case, _ = mollie_started
    with responses.RequestsMock() as mock:
        response = client.post("/webhooks/mollie", data={"id": "tr_unknown00"})
        assert len(mock.calls) == 0
    assert response.status_code == 404
    [refusal] = _refusals(db, "mollie")
    assert "tr_unknown00" in refusal.data["reason"]
    assert refusal.data["ip"] == "127.0.0.1"
    assert "mollie webhook refused" in caplog.text
    assert _payment_entries(db, case.id) == []
    assert client.post("/webhooks/mollie", data={}).status_code == 400


def test_a_payment_mollie_does_not_know_is_refused(client, db, mollie_started):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        mock.get(f"{MOLLIE_API}/payments/tr_WDqYK6vllg", json=MOLLIE_NOT_FOUND, status=404)
        assert client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"}).status_code == 404
    assert len(_refusals(db, "mollie")) == 1
    assert db.session.get(ProviderPayment, payment.id).status is PaymentStatus.OPEN


def test_a_paid_amount_other_than_started_is_refused(client, db, mollie_started):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        _mollie_says(mock, payment, "paid", cents=1_00)
        assert client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"}).status_code == 400
    assert _payment_entries(db, case.id) == []
    assert "reports 100 EUR" in _refusals(db, "mollie")[0].data["reason"]


def test_mollie_out_of_reach_asks_for_a_retry(client, db, mollie_started):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_WDqYK6vllg",
            json={"status": 503, "title": "Service Unavailable", "detail": "Try again later"},
            status=503,
        )
        assert client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"}).status_code == 503
    assert db.session.get(ProviderPayment, payment.id).status is PaymentStatus.OPEN


# --- Stripe ---------------------------------------------------------------------------------------


@pytest.fixture
def stripe_started(app, db, make_case):
    """A case of 500.00 and a Stripe Checkout Session of 200.00 started on it."""
    app.config.update(
        STRIPE_SECRET_KEY=STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
    )
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{STRIPE_API}/checkout/sessions",
            json=stripe_session("cs_test_a1b2c3", cents=200_00, public_id="x"),
        )
        start_payment(case, 200_00, return_url=RETURN_URL)
    db.session.commit()
    payment = db.session.scalars(sa.select(ProviderPayment)).one()
    return case, payment


def _event(payment: ProviderPayment, event_type: str, payment_status: str = "paid") -> str:
    session = stripe_session(
        payment.provider_payment_id,
        cents=payment.amount_cents,
        public_id=payment.public_id,
        status="expired" if event_type.endswith("expired") else "complete",
        payment_status=payment_status,
    )
    return stripe_event(event_type, session, event_id=f"evt_{event_type}")


def _deliver(client, payload: str, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature else {}
    return client.post(
        "/webhooks/stripe", data=payload, content_type="application/json", headers=headers
    )


def test_a_signed_stripe_event_books_once_and_its_replay_nothing(client, db, stripe_started):
    case, payment = stripe_started
    payload = _event(payment, "checkout.session.completed")
    signature = stripe_signature(payload)
    first = _deliver(client, payload, signature)
    replay = _deliver(client, payload, signature)
    assert (first.status_code, first.json) == (200, {"result": "booked"})
    assert (replay.status_code, replay.json) == (200, {"result": "unchanged"})
    [entry] = _payment_entries(db, case.id)
    assert entry.amount_cents == -200_00
    assert db.session.get(ProviderPayment, payment.id).ledger_entry_id == entry.id
    assert case_balance(case.id).total == 300_00


def test_ideal_through_stripe_waits_for_the_async_result(client, db, stripe_started):
    case, payment = stripe_started
    completed = _event(payment, "checkout.session.completed", payment_status="unpaid")
    assert _deliver(client, completed, stripe_signature(completed)).json == {"result": "waiting"}
    assert _payment_entries(db, case.id) == []
    succeeded = _event(payment, "checkout.session.async_payment_succeeded")
    assert _deliver(client, succeeded, stripe_signature(succeeded)).json == {"result": "booked"}
    assert len(_payment_entries(db, case.id)) == 1


@pytest.mark.parametrize(
    ("event_type", "status", "late_paid"),
    [
        # A late "paid" for a failed payment books nothing.
        ("checkout.session.async_payment_failed", PaymentStatus.FAILED, "unchanged"),
        # An expired one is booked: the providers never turn their own expired payments paid,
        # and ours (abandoned for days, agency/paylink/tasks.py) may see the money after all.
        ("checkout.session.expired", PaymentStatus.EXPIRED, "booked"),
    ],
)
def test_a_failed_stripe_session_stays_failed_an_expired_one_takes_late_money(
    client, db, stripe_started, event_type, status, late_paid
):
    case, payment = stripe_started
    payload = _event(payment, event_type, payment_status="unpaid")
    assert _deliver(client, payload, stripe_signature(payload)).json == {"result": "closed"}
    assert db.session.get(ProviderPayment, payment.id).status is status
    assert _payment_entries(db, case.id) == []
    paid = _event(payment, "checkout.session.async_payment_succeeded")
    assert _deliver(client, paid, stripe_signature(paid)).json == {"result": late_paid}
    assert len(_payment_entries(db, case.id)) == (1 if late_paid == "booked" else 0)
    assert _deliver(client, paid, stripe_signature(paid)).json == {"result": "unchanged"}


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda p: stripe_signature(p, secret="whsec_someone_else"), id="wrong-secret"),
        pytest.param(lambda p: stripe_signature(p.replace("200", "201")), id="other-body"),
        pytest.param(lambda p: stripe_signature(p, at=int(time.time()) - 301), id="too-old"),
        pytest.param(lambda p: "t=1,v1=00", id="garbage"),
        pytest.param(lambda p: None, id="missing"),
    ],
)
def test_a_forged_or_stale_stripe_event_is_refused_and_logged(
    client, db, stripe_started, signature, caplog
):
    case, payment = stripe_started
    payload = _event(payment, "checkout.session.completed")
    response = _deliver(client, payload, signature(payload))
    assert response.status_code == 400
    assert db.session.get(ProviderPayment, payment.id).status is PaymentStatus.OPEN
    assert _payment_entries(db, case.id) == []
    assert len(_refusals(db, "stripe")) == 1
    assert "stripe webhook refused" in caplog.text


def test_a_signed_event_about_a_session_we_never_started_is_refused(client, db, stripe_started):
    case, payment = stripe_started
    session = stripe_session("cs_test_other", cents=200_00, public_id=payment.public_id)
    payload = stripe_event("checkout.session.completed", {**session, "payment_status": "paid"})
    assert _deliver(client, payload, stripe_signature(payload)).status_code == 404
    assert _payment_entries(db, case.id) == []
    assert "cs_test_other" in _refusals(db, "stripe")[0].data["reason"]


def test_stripe_events_we_do_not_need_are_acknowledged(client, db, stripe_started):
    payload = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert _deliver(client, payload, stripe_signature(payload)).json == {"result": "ignored"}


# --- allocation, closing, dunning -----------------------------------------------------------------


def _sandbox_pay(case, cents: int) -> ProviderPayment:
    start_payment(case, cents, return_url=RETURN_URL)
    payment = _db.session.scalars(
        sa.select(ProviderPayment).order_by(ProviderPayment.id.desc()).limit(1)
    ).one()
    assert payments.settle_in_sandbox(payment, PaymentStatus.PAID) is Settled.BOOKED
    _db.session.commit()
    return payment


def test_a_partial_payment_settles_costs_then_interest_then_principal(app, db, make_case):
    case = make_case(1_000_00)
    book_charge(
        case, EntryKind.COST, 150_00, booked_on=date(2025, 3, 2), source=EntrySource.DUNNING
    )
    book_charge(
        case, EntryKind.INTEREST, 25_37, booked_on=date(2025, 3, 2), source=EntrySource.DUNNING
    )
    db.session.commit()
    payment = _sandbox_pay(case, 200_00)
    allocations = db.session.scalars(
        sa.select(Allocation).where(Allocation.entry_id == payment.ledger_entry_id)
    ).all()
    assert {a.component: a.amount_cents for a in allocations} == {
        Component.COST: 150_00,
        Component.INTEREST: 25_37,
        Component.PRINCIPAL: 24_63,  # 200.00 - 150.00 - 25.37
    }
    assert len(allocations) == 3
    balance = case_balance(case.id)
    assert (balance.principal, balance.cost, balance.interest) == (975_37, 0, 0)
    assert balance.total == 975_37
    assert db.session.get(type(case), case.id).status is CaseStatus.DUNNING


def test_paying_the_rest_closes_the_case_and_ends_its_dunning(app, db, make_case):
    case = make_case(300_00, 200_00)
    book_charge(case, EntryKind.COST, 75_00, booked_on=date(2025, 3, 2), source=EntrySource.DUNNING)
    db.session.commit()
    _sandbox_pay(case, 100_00)
    assert db.session.get(type(case), case.id).status is CaseStatus.DUNNING
    _sandbox_pay(case, case_balance(case.id).total)
    case = db.session.get(type(case), case.id)
    assert case_balance(case.id).total == 0
    assert case.status is CaseStatus.PAID
    assert schedule_case(case, today=date(2025, 6, 1)) == []


# --- two deliveries at once -----------------------------------------------------------------------


def test_two_webhooks_at_once_book_once(app, db, stripe_started, database):
    case, payment = stripe_started
    report = Report(
        provider_payment_id=payment.provider_payment_id,
        status=PaymentStatus.PAID,
        amount_cents=payment.amount_cents,
        currency="EUR",
        public_id=payment.public_id,
    )
    db.session.commit()
    deliveries = 4
    start = threading.Barrier(deliveries)
    outcomes: list[object] = []

    def deliver() -> None:
        with app.app_context():
            start.wait(10)
            try:
                outcomes.append(settle("stripe", report))
                _db.session.commit()
            except sa.exc.OperationalError as exc:
                # SQLite lets one writer through; the others fail and the provider retries.
                _db.session.rollback()
                outcomes.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == deliveries
    assert outcomes.count(Settled.BOOKED) == 1
    if database.kind == "postgresql":
        # The row lock makes the others wait, then find the payment settled.
        assert outcomes.count(Settled.UNCHANGED) == deliveries - 1
    db.session.expire_all()
    assert len(_payment_entries(db, case.id)) == 1
    assert case_balance(case.id).total == 300_00


def test_webhooks_are_rate_limited_per_address(app, client, db, stripe_started):
    app.config["PAYMENT_WEBHOOK_RATE_LIMIT"] = "3 per minute"
    payload = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    answers = [_deliver(client, payload, stripe_signature(payload)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.post("/webhooks/mollie", data={"id": "tr_x"}).status_code != 429  # its own


def test_the_agent_sees_the_booked_payment_on_the_case(client, db, mollie_started, login_as):
    case, payment = mollie_started
    with responses.RequestsMock() as mock:
        _mollie_says(mock, payment, "paid")
        client.post("/webhooks/mollie", data={"id": "tr_WDqYK6vllg"})
    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Mollie tr_WDqYK6vllg" in page
    assert "123,45" in page
