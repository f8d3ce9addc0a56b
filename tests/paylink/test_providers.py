"""Starting a payment through each provider: what is stored, what the provider is asked, and
the sandbox page where a tester plays the provider."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa

from agency.audit import AuditEvent
from agency.cases.models import CaseStatus
from agency.ledger.models import EntryKind, LedgerEntry
from agency.ledger.queries import case_balance
from agency.paylink.models import PaymentStatus, ProviderPayment
from agency.paylink.payments import PaymentRefused, start_payment
from agency.paylink.providers import ProviderError, active_name
from agency.sandbox.models import SandboxRecord
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

RETURN_URL = f"{PUBLIC_BASE_URL}/pay/the-debtors-token"


def _payments(db) -> list[ProviderPayment]:
    return list(db.session.scalars(sa.select(ProviderPayment).order_by(ProviderPayment.id)))


# --- choosing the provider ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "sandbox"),
        ({"MOLLIE_API_KEY": MOLLIE_KEY}, "mollie"),
        (
            {"STRIPE_SECRET_KEY": STRIPE_KEY, "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET},
            "stripe",
        ),
        ({"STRIPE_SECRET_KEY": STRIPE_KEY}, "sandbox"),  # no webhook secret: nothing would settle
        (
            {
                "PAYMENT_PROVIDER": "stripe",
                "MOLLIE_API_KEY": MOLLIE_KEY,
                "STRIPE_SECRET_KEY": STRIPE_KEY,
                "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            },
            "stripe",
        ),
        ({"PAYMENT_PROVIDER": "mollie"}, "sandbox"),  # keys missing
        ({"PAYMENT_PROVIDER": "sandbox", "MOLLIE_API_KEY": MOLLIE_KEY}, "sandbox"),
    ],
)
def test_the_provider_follows_the_settings(app, settings, expected):
    app.config.update(settings)
    assert active_name(app) == expected


def test_an_unknown_provider_setting_is_refused(app):
    from agency.errors import ConfigurationError

    app.config["PAYMENT_PROVIDER"] = "paypal"
    with pytest.raises(ConfigurationError, match="PAYMENT_PROVIDER"):
        active_name(app)


# --- Mollie ---------------------------------------------------------------------------------------


@pytest.fixture
def mollie_app(app):
    app.config.update(MOLLIE_API_KEY=MOLLIE_KEY, PUBLIC_BASE_URL=PUBLIC_BASE_URL)
    return app


def test_mollie_is_asked_for_a_payment_of_the_amount_in_euros(mollie_app, db, make_case):
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json=mollie_payment("tr_WDqYK6vllg", "open", cents=123_45, public_id="x"),
            status=201,
        )
        url = start_payment(case, 123_45, return_url=RETURN_URL)
        sent = json.loads(mock.calls[0].request.body)
        headers = mock.calls[0].request.headers
    assert url == "https://www.mollie.com/checkout/select-method/WDqYK6vllg"
    assert sent["amount"] == {"currency": "EUR", "value": "123.45"}
    assert case.reference in sent["description"]
    assert sent["redirectUrl"] == RETURN_URL
    assert sent["webhookUrl"] == f"{PUBLIC_BASE_URL}/webhooks/mollie"
    assert sent["method"] == ["ideal", "bancontact", "creditcard"]
    assert headers["Authorization"] == f"Bearer {MOLLIE_KEY}"
    [payment] = _payments(db)
    assert sent["metadata"] == {"public_id": payment.public_id}
    assert (payment.provider, payment.provider_payment_id) == ("mollie", "tr_WDqYK6vllg")
    assert (payment.amount_cents, payment.status) == (123_45, PaymentStatus.OPEN)
    assert payment.checkout_url == url
    assert len(payment.public_id) >= 22  # 128 random bits, url-safe


@pytest.mark.parametrize(
    ("cents", "value"), [(1, "0.01"), (10_00, "10.00"), (1_234_567_89, "1234567.89")]
)
def test_amounts_reach_mollie_as_strings_with_two_decimals(mollie_app, make_case, cents, value):
    case = make_case(2_000_000_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json=mollie_payment("tr_a1", "open", cents=cents, public_id="x"),
            status=201,
        )
        start_payment(case, cents, return_url=RETURN_URL)
        assert json.loads(mock.calls[0].request.body)["amount"]["value"] == value


def test_without_mollie_methods_mollie_offers_every_active_one(mollie_app, make_case):
    mollie_app.config["MOLLIE_METHODS"] = ()
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json=mollie_payment("tr_a1", "open", cents=10_00, public_id="x"),
            status=201,
        )
        start_payment(case, 10_00, return_url=RETURN_URL)
        assert "method" not in json.loads(mock.calls[0].request.body)


def test_a_refusal_by_mollie_stores_nothing(mollie_app, db, make_case):
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{MOLLIE_API}/payments",
            json={
                "status": 422,
                "title": "Unprocessable Entity",
                "detail": "The amount is lower than the minimum",
                "field": "amount",
                "_links": {
                    "documentation": {"href": "https://docs.mollie.com/", "type": "text/html"}
                },
            },
            status=422,
        )
        with pytest.raises(ProviderError, match="minimum"):
            start_payment(case, 1, return_url=RETURN_URL)
    db.session.rollback()
    assert _payments(db) == []


# --- Stripe ---------------------------------------------------------------------------------------


def test_stripe_gets_a_checkout_session_per_click(app, db, make_case):
    app.config.update(
        STRIPE_SECRET_KEY=STRIPE_KEY,
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
    )
    case = make_case(500_00)
    with responses.RequestsMock() as mock:
        for session_id in ("cs_test_a1", "cs_test_a2"):
            mock.post(
                f"{STRIPE_API}/checkout/sessions",
                json=stripe_session(session_id, cents=50_00, public_id="x"),
            )
        first = start_payment(case, 50_00, return_url=RETURN_URL)
        second = start_payment(case, 50_00, return_url=RETURN_URL)
        forms = [parse_qs(call.request.body) for call in mock.calls]
        auth = mock.calls[0].request.headers["Authorization"]
    assert first.startswith("https://checkout.stripe.com/c/pay/cs_test_a1")
    assert second.startswith("https://checkout.stripe.com/c/pay/cs_test_a2")
    assert auth == f"Bearer {STRIPE_KEY}"
    payments = _payments(db)
    assert [p.provider_payment_id for p in payments] == ["cs_test_a1", "cs_test_a2"]
    form = forms[0]
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["5000"]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert sorted(v for k, v in form.items() if k.startswith("payment_method_types")) == [
        ["card"],
        ["ideal"],
    ]
    assert form["metadata[public_id]"] == [payments[0].public_id]
    assert form["success_url"] == [RETURN_URL]
    assert case.reference in form["line_items[0][price_data][product_data][name]"][0]
    assert forms[1]["metadata[public_id]"] == [payments[1].public_id]


# --- what may be paid -----------------------------------------------------------------------------


@pytest.mark.parametrize("cents", [0, -100, 500_01])
def test_an_amount_outside_the_balance_is_refused(app, db, make_case, cents):
    case = make_case(500_00)
    with pytest.raises(PaymentRefused):
        start_payment(case, cents, return_url=RETURN_URL)
    assert _payments(db) == []


def test_a_closed_case_takes_no_payment(app, db, make_case):
    case = make_case(500_00, status=CaseStatus.RETURNED)
    with pytest.raises(PaymentRefused, match="closed"):
        start_payment(case, 100_00, return_url=RETURN_URL)


def test_production_never_falls_back_to_the_sandbox(app, db, make_case, client):
    case = make_case(500_00)
    url = start_payment(case, 100_00, return_url=RETURN_URL)
    db.session.commit()
    app.config["AGENCY_ENV"] = "production"
    with pytest.raises(ProviderError, match="no payment provider"):
        start_payment(case, 100_00, return_url=RETURN_URL)
    db.session.rollback()
    # A sandbox payment made before cannot be settled there either.
    assert client.get(_path(url)).status_code == 404
    app.config["PAYMENT_PROVIDER"] = "sandbox"  # a demo site that says so
    assert client.get(_path(url)).status_code == 200


# --- the sandbox page -----------------------------------------------------------------------------


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _choose(client, url: str, button: str):
    page = client.get(_path(url))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    # A settled payment's page has no choices left; post the old choice anyway.
    back = re.search(r'name="back" type="hidden" value="([^"]*)"', html)
    back = back.group(1) if back else urlsplit(url).query.removeprefix("back=")
    return client.post(urlsplit(url).path, data={"csrf_token": token, "back": back, button: "x"})


def test_the_sandbox_page_shows_the_payment_and_three_choices(app, db, make_case, client):
    case = make_case(500_00)
    url = start_payment(case, 123_45, return_url=RETURN_URL)
    assert url.startswith("/pay/sandbox/")  # on whatever address the debtor came by
    html = client.get(_path(url)).get_data(as_text=True)
    assert case.reference in html
    assert "€ 123,45" in html or "€\xa0123,45" in html
    for name in ("paid", "failed", "cancelled"):
        assert f'name="{name}"' in html
    record = db.session.scalars(sa.select(SandboxRecord)).one()
    assert (record.service, record.action, record.amount_cents) == ("payments", "checkout", 123_45)


def test_paid_on_the_sandbox_page_books_the_payment_and_returns(app, db, make_case, client):
    case = make_case(500_00)
    url = start_payment(case, 200_00, return_url=RETURN_URL)
    response = _choose(client, url, "paid")
    assert response.status_code == 302
    assert response.headers["Location"] == RETURN_URL
    [payment] = _payments(db)
    assert payment.status is PaymentStatus.PAID
    entry = db.session.get(LedgerEntry, payment.ledger_entry_id)
    assert (entry.kind, entry.amount_cents, entry.source.value) == (
        EntryKind.PAYMENT,
        -200_00,
        "paylink",
    )
    assert case_balance(case.id).total == 300_00
    # Posting the choice again books nothing more.
    assert _choose(client, url, "paid").status_code == 302
    assert case_balance(case.id).total == 300_00


@pytest.mark.parametrize(
    ("button", "status"), [("failed", PaymentStatus.FAILED), ("cancelled", PaymentStatus.CANCELLED)]
)
def test_failed_or_cancelled_on_the_sandbox_page_books_nothing(
    app, db, make_case, client, button, status
):
    case = make_case(500_00)
    url = start_payment(case, 200_00, return_url=RETURN_URL)
    response = _choose(client, url, button)
    assert response.status_code == 302 and response.headers["Location"] == RETURN_URL
    [payment] = _payments(db)
    assert (payment.status, payment.ledger_entry_id) == (status, None)
    assert case_balance(case.id).total == 500_00
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == f"payment.{status.value}")
        )
        == 1
    )
    # A settled payment cannot be paid afterwards.
    _choose(client, url, "paid")
    assert case_balance(case.id).total == 500_00
    assert db.session.get(ProviderPayment, payment.id).status is status


def test_the_sandbox_page_wants_its_csrf_token_and_a_known_payment(app, db, make_case, client):
    case = make_case(500_00)
    url = start_payment(case, 200_00, return_url=RETURN_URL)
    db.session.commit()
    assert client.post(urlsplit(url).path, data={"paid": "x"}).status_code == 400
    assert client.get("/pay/sandbox/not-a-payment-of-ours").status_code == 404
    assert _payments(db)[0].status is PaymentStatus.OPEN


def test_a_tampered_return_address_is_not_followed(app, db, make_case, client):
    case = make_case(500_00)
    url = start_payment(case, 200_00, return_url=RETURN_URL)
    page = client.get(_path(url)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    forged = url.split("back=")[1][:-4] + "AAAA"
    response = client.post(
        urlsplit(url).path, data={"csrf_token": token, "back": forged, "paid": "x"}
    )
    assert response.status_code == 200  # the outcome page, no redirect anywhere
    assert _payments(db)[0].status is PaymentStatus.PAID


def test_the_debtor_pays_part_from_the_payment_page_through_the_sandbox(client, checked, db):
    from tests.paylink.conftest import page_csrf

    case, token = checked(100_00, 250_00)
    response = client.post(
        f"/pay/{token}/pay",
        data={"amount": "50,00", "csrf_token": page_csrf(client, f"/pay/{token}")},
    )
    assert response.status_code == 303
    back = _choose(client, response.headers["Location"], "paid")
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == f"/pay/{token}"
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "300,00" in page
    assert case_balance(case.id).total == 300_00
    [payment] = _payments(db)
    assert (payment.case_id, payment.amount_cents, payment.status) == (
        case.id,
        50_00,
        PaymentStatus.PAID,
    )
