"""When a provider's webhook is late or never comes: the payment page asks the provider as the
debtor returns, and a periodic job asks about open payments and expires abandoned ones. Both
settle through the webhooks' path, so nothing is booked twice. Only the providers' HTTP is
faked (`responses`)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import responses
import sqlalchemy as sa

from agency.cases.models import Case, CaseStatus
from agency.ledger.models import EntryKind, LedgerEntry
from agency.modeling import utcnow
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.providers import ProviderError
from agency.paylink.tasks import check_open_payments
from tests.paylink.conftest import page_csrf
from tests.paylink.payment_fakes import (
    MOLLIE_API,
    MOLLIE_KEY,
    PUBLIC_BASE_URL,
    STRIPE_API,
    STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET,
    mollie_payment,
    stripe_session,
)


@pytest.fixture
def providers(app):
    app.config.update(
        MOLLIE_API_KEY=MOLLIE_KEY,
        STRIPE_SECRET_KEY=STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
    )
    return app


PAID_SHOWN = '<p class="flash success" role="status" data-testid="payment-status">'
OPEN_SHOWN = '<p class="flash info" role="status" data-testid="payment-status">'


def _booked(db, case_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(LedgerEntry.amount_cents).where(
                LedgerEntry.case_id == case_id, LedgerEntry.kind == EntryKind.PAYMENT
            )
        )
    )


def _status(db, payment_id: int) -> PaymentStatus:
    return db.session.scalar(
        sa.select(ProviderPayment.status).where(ProviderPayment.id == payment_id)
    )


def _pay_through_mollie(client, token, cents: int) -> ProviderPayment:
    csrf = page_csrf(client, f"/pay/{token}")
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json=mollie_payment("tr_Late0001", "open", cents=cents, public_id="x"),
            status=201,
        )
        amount = f"{cents // 100},{cents % 100:02d}"
        response = client.post(f"/pay/{token}/pay", data={"amount": amount, "csrf_token": csrf})
    assert response.status_code == 303
    return _only_payment()


def _only_payment() -> ProviderPayment:
    from agency.extensions import db

    return db.session.scalars(sa.select(ProviderPayment)).one()


# --- the debtor comes back -----------------------------------------------------------------------


def test_back_from_mollie_without_a_webhook_the_page_asks_and_books_once(
    providers, db, client, checked
):
    case, token = checked(100_00, 250_00)
    payment = _pay_through_mollie(client, token, 123_45)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Late0001",
            json=mollie_payment("tr_Late0001", "paid", cents=123_45, public_id=payment.public_id),
        )
        back = client.get(f"/pay/{token}")
        assert back.status_code == 303 and back.headers["Location"] == f"/pay/{token}"
        page = client.get(f"/pay/{token}").get_data(as_text=True)
        asked = [call.request.url for call in mock.calls]
    assert asked == [f"{MOLLIE_API}/payments/tr_Late0001"]  # once: then it was no longer open
    assert PAID_SHOWN in page
    assert _booked(db, case.id) == [-123_45]
    assert _status(db, payment.id) is PaymentStatus.PAID
    # The webhook that comes at last books nothing more.
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Late0001",
            json=mollie_payment("tr_Late0001", "paid", cents=123_45, public_id=payment.public_id),
        )
        late = client.post("/webhooks/mollie", data={"id": "tr_Late0001"})
    assert late.json == {"result": "unchanged"}
    assert _booked(db, case.id) == [-123_45]


def test_a_payment_still_open_or_a_provider_down_leaves_the_page_as_it_was(
    providers, db, client, checked
):
    case, token = checked(100_00, 250_00)
    payment = _pay_through_mollie(client, token, 50_00)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Late0001",
            json=mollie_payment("tr_Late0001", "pending", cents=50_00, public_id=payment.public_id),
        )
        page = client.get(f"/pay/{token}")
    assert page.status_code == 200 and OPEN_SHOWN in page.text
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Late0001",
            json={"status": 503, "title": "Service Unavailable", "detail": "Try again"},
            status=503,
        )
        page = client.get(f"/pay/{token}")
    assert page.status_code == 200 and OPEN_SHOWN in page.text
    assert _status(db, payment.id) is PaymentStatus.OPEN and _booked(db, case.id) == []


def test_a_visitor_who_did_not_pass_the_check_makes_no_provider_call(
    app, providers, db, client, checked
):
    case, token = checked(100_00, 250_00)
    payment = _pay_through_mollie(client, token, 50_00)
    stranger = app.test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Late0001",
            json=mollie_payment("tr_Late0001", "paid", cents=50_00, public_id=payment.public_id),
        )
        page = stranger.get(f"/pay/{token}?payment={payment.public_id}")
        assert len(mock.calls) == 0
    assert page.status_code == 200 and _status(db, payment.id) is PaymentStatus.OPEN


def test_back_from_stripe_the_page_retrieves_the_checkout_session(providers, db, client, checked):
    case, token = checked(100_00, 250_00)
    csrf = page_csrf(client, f"/pay/{token}")
    with responses.RequestsMock() as mock:
        mock.post(
            f"{STRIPE_API}/checkout/sessions",
            json=stripe_session("cs_test_late01", cents=350_00, public_id="x"),
        )
        providers.config["PAYMENT_PROVIDER"] = "stripe"
        client.post(f"/pay/{token}/pay", data={"amount": "350,00", "csrf_token": csrf})
    payment = _only_payment()
    assert payment.provider == "stripe"
    with responses.RequestsMock() as mock:
        mock.get(
            f"{STRIPE_API}/checkout/sessions/cs_test_late01",
            json=stripe_session(
                "cs_test_late01",
                cents=350_00,
                public_id=payment.public_id,
                status="complete",
                payment_status="paid",
            ),
        )
        back = client.get(f"/pay/{token}")
        assert mock.calls[0].request.headers["Authorization"] == f"Bearer {STRIPE_KEY}"
    assert back.status_code == 303
    # Paid in full: the case closed, and the debtor still sees how the payment went.
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert PAID_SHOWN in page
    assert _booked(db, case.id) == [-350_00]
    assert db.session.get(Case, case.id).status is CaseStatus.PAID


# --- the periodic job ----------------------------------------------------------------------------


def _payment(db, case, provider: str, provider_id: str, age: timedelta, cents: int = 10_00):
    public_id = secrets.token_urlsafe(16)
    payment = ProviderPayment(
        public_id=public_id,
        case_id=case.id,
        provider=provider,
        provider_payment_id=provider_id if provider != "sandbox" else f"sbx_{public_id}",
        amount_cents=cents,
        currency="EUR",
        status=PaymentStatus.OPEN,
        created_at=utcnow() - age,
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def test_the_job_asks_about_late_payments_and_expires_abandoned_ones(providers, db, make_case):
    case = make_case(500_00)
    fresh = _payment(db, case, "mollie", "tr_Fresh001", timedelta(minutes=5))
    late_paid = _payment(db, case, "mollie", "tr_Paid0001", timedelta(minutes=30), 40_00)
    late_expired = _payment(db, case, "stripe", "cs_test_exp1", timedelta(hours=2))
    waiting = _payment(db, case, "mollie", "tr_Wait0001", timedelta(hours=1))
    abandoned = _payment(db, case, "mollie", "tr_Aband001", timedelta(days=4))
    old_sandbox = _payment(db, case, "sandbox", "", timedelta(days=4))
    young_sandbox = _payment(db, case, "sandbox", "", timedelta(days=1))
    done = _payment(db, case, "mollie", "tr_Done0001", timedelta(hours=1))
    done.status = PaymentStatus.FAILED
    db.session.commit()

    def says(mock, payment, status):
        mock.get(
            f"{MOLLIE_API}/payments/{payment.provider_payment_id}",
            json=mollie_payment(
                payment.provider_payment_id,
                status,
                cents=payment.amount_cents,
                public_id=payment.public_id,
            ),
        )

    with responses.RequestsMock() as mock:
        says(mock, late_paid, "paid")
        says(mock, waiting, "open")
        says(mock, abandoned, "open")
        mock.get(
            f"{STRIPE_API}/checkout/sessions/cs_test_exp1",
            json=stripe_session(
                "cs_test_exp1", cents=10_00, public_id=late_expired.public_id, status="expired"
            ),
        )
        counts = check_open_payments()
        asked = sorted(call.request.url.rsplit("/", 1)[1] for call in mock.calls)
    assert asked == ["cs_test_exp1", "tr_Aband001", "tr_Paid0001", "tr_Wait0001"]
    assert counts == {"booked": 1, "closed": 1, "waiting": 2, "expired": 2}
    assert {p.id: _status(db, p.id) for p in (fresh, late_paid, late_expired, waiting)} == {
        fresh.id: PaymentStatus.OPEN,
        late_paid.id: PaymentStatus.PAID,
        late_expired.id: PaymentStatus.EXPIRED,
        waiting.id: PaymentStatus.OPEN,
    }
    assert _status(db, abandoned.id) is PaymentStatus.EXPIRED
    assert _status(db, old_sandbox.id) is PaymentStatus.EXPIRED
    assert _status(db, young_sandbox.id) is PaymentStatus.OPEN
    assert _status(db, done.id) is PaymentStatus.FAILED
    assert _booked(db, case.id) == [-40_00]

    # Run again: only the still open ones are asked, nothing is booked twice.
    with responses.RequestsMock() as mock:
        says(mock, waiting, "open")
        assert check_open_payments() == {"waiting": 2}
        assert [c.request.url for c in mock.calls] == [f"{MOLLIE_API}/payments/tr_Wait0001"]
    assert _booked(db, case.id) == [-40_00]

    # Money that comes in after all on a payment we expired is still booked, once.
    from agency.paylink.payments import Settled, settle
    from agency.paylink.providers import Report

    paid = Report("tr_Aband001", PaymentStatus.PAID, 10_00, "EUR", abandoned.public_id)
    assert settle("mollie", paid) is Settled.BOOKED
    db.session.commit()
    assert settle("mollie", paid) is Settled.UNCHANGED
    assert sorted(_booked(db, case.id)) == [-40_00, -10_00]


def test_a_provider_that_cannot_be_reached_fails_the_job_after_the_others(providers, db, make_case):
    case = make_case(500_00)
    down = _payment(db, case, "mollie", "tr_Down0001", timedelta(minutes=20))
    paid = _payment(db, case, "mollie", "tr_Paid0002", timedelta(minutes=25), 30_00)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{MOLLIE_API}/payments/tr_Down0001",
            json={"status": 500, "title": "Internal Server Error", "detail": "Oops"},
            status=500,
        )
        mock.get(
            f"{MOLLIE_API}/payments/tr_Paid0002",
            json=mollie_payment("tr_Paid0002", "paid", cents=30_00, public_id=paid.public_id),
        )
        with pytest.raises(ProviderError, match="1 payment"):
            check_open_payments()
    assert _status(db, down.id) is PaymentStatus.OPEN
    assert _status(db, paid.id) is PaymentStatus.PAID and _booked(db, case.id) == [-30_00]
