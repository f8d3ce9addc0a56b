"""The debtor's page: the check before any detail, throttling, what is shown, languages and the
security headers."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from agency.modeling import utcnow
from agency.paylink.models import PaymentStatus, PayToken, ProviderPayment
from tests.paylink.conftest import page_csrf


def _answer(client, token: str, answer: str):
    csrf = page_csrf(client, f"/pay/{token}")
    return client.post(f"/pay/{token}/check", data={"answer": answer, "csrf_token": csrf})


def test_nothing_personal_is_shown_before_the_check(app, client, linked):
    case, token = linked()
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    for secret in (case.debtor.name, case.client.name, case.reference, case.invoices[0].number):
        assert secret not in page
    assert "100,00" not in page and "350,00" not in page
    assert 'name="answer"' in page
    # Actions refuse too: they send the visitor back to the check.
    assert client.post(f"/pay/{token}/copy", data={}).status_code == 400  # no CSRF token
    csrf = page_csrf(client, f"/pay/{token}")
    response = client.post(f"/pay/{token}/plan", data={"csrf_token": csrf, "instalments": "3"})
    assert response.status_code == 303 and response.headers["Location"] == f"/pay/{token}"


@pytest.mark.parametrize("kind", ["postcode", "invoice"])
def test_the_postcode_or_an_invoice_number_passes_the_check(app, client, linked, kind):
    case, token = linked()
    answer = " 1234ab " if kind == "postcode" else case.invoices[1].number.lower()
    response = _answer(client, token, answer)
    assert response.status_code == 303
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert case.client.name in page and case.invoices[0].number in page
    assert case.invoices[1].number in page
    assert "350,00" in page  # the total


def test_the_page_shows_balance_parts_invoices_and_deadline(app, db, client, checked):
    from agency.ledger.models import EntryKind, EntrySource
    from agency.ledger.operations import book_charge
    from agency.letters.models import Message

    case, token = checked(100_00, 250_00)
    book_charge(case, EntryKind.COST, 52_50, booked_on=case.opened_on, source=EntrySource.DUNNING)
    book_charge(
        case, EntryKind.INTEREST, 3_21, booked_on=case.opened_on, source=EntrySource.DUNNING
    )
    db.session.commit()
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert "€\xa0350,00" in page and "€\xa052,50" in page and "€\xa03,21" in page
    assert "€\xa0405,71" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    assert 'data-testid="deadline"' not in page


def test_an_unknown_token_gets_the_friendly_page_with_the_contacts(app, client):
    response = client.get("/pay/" + secrets.token_urlsafe(32))
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert app.config["AGENCY_PHONE"] in page and app.config["AGENCY_EMAIL"] in page
    assert "Traceback" not in page
    assert client.get("/pay/" + "a" * 500).status_code == 404
    assert client.post("/pay/nonsense/check", data={"answer": "x"}).status_code in (400, 404)


def test_wrong_answers_lock_the_link(app, db, client, linked):
    case, token = linked()
    limit = app.config["PAYLINK_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert _answer(client, token, "9999 ZZ").status_code == 400
    response = _answer(client, token, "9999 ZZ")
    assert response.status_code == 429
    row = db.session.scalar(sa.select(PayToken).where(PayToken.case_id == case.id))
    assert row.locked_until > utcnow() + timedelta(minutes=app.config["PAYLINK_LOCK_MINUTES"] - 1)
    # Locked: even the right answer is refused, and nothing is shown.
    assert _answer(client, token, case.debtor.postcode).status_code == 429
    assert case.client.name not in client.get(f"/pay/{token}").get_data(as_text=True)
    # After the lock, the right answer opens the page.
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _answer(client, token, case.debtor.postcode).status_code == 303
    assert case.client.name in client.get(f"/pay/{token}").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PAYLINK_CHECK_RATE_LIMIT": "3 per minute"}])
def test_the_check_is_rate_limited_per_address(app, client, linked, app_config, tmp_path):
    case, token = linked()
    other_case, other_token = linked()
    for _ in range(3):
        _answer(client, token, "0000 AA")
    # A fourth try, even on another link, is refused by the address's limit.
    assert _answer(client, other_token, other_case.debtor.postcode).status_code == 429


def test_the_check_is_remembered_for_that_link_only(app, client, checked, linked):
    case, token = checked()
    other, other_token = linked()
    assert case.client.name in client.get(f"/pay/{token}").get_data(as_text=True)
    assert other.client.name not in client.get(f"/pay/{other_token}").get_data(as_text=True)


def test_security_headers(app, client, linked):
    case, token = linked()
    for response in (client.get(f"/pay/{token}"), client.get("/pay/unknown")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers
        assert "<script" not in response.get_data(as_text=True)
    secure = client.get(f"/pay/{token}", base_url="https://pay.example.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Bevestig dat u het bent", "Doorgaan"]),
        ("en", ["Confirm it is you", "Continue"]),
        ("de", ["Bestätigen Sie, dass Sie es sind", "Weiter"]),
        ("fr", ["Confirmez votre identité", "Continuer"]),
    ],
)
def test_the_page_speaks_the_debtors_language(app, client, linked, make_debtor, language, words):
    debtor = make_debtor(language=language)
    case, token = linked(debtor=debtor)
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    for word in words:
        assert word in page


def test_the_debtor_switches_the_language(app, client, checked):
    case, token = checked()
    assert '<html lang="nl">' in client.get(f"/pay/{token}").get_data(as_text=True)
    csrf = page_csrf(client, f"/pay/{token}")
    response = client.post(f"/pay/{token}/language", data={"lang": "fr", "csrf_token": csrf})
    assert response.status_code == 303
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Payer maintenant" in page and "€" in page
    csrf = page_csrf(client, f"/pay/{token}")
    client.post(f"/pay/{token}/language", data={"lang": "de", "csrf_token": csrf})
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert '<html lang="de">' in page and "Jetzt bezahlen" in page


def test_the_page_is_accessible_in_structure(app, client, checked):
    case, token = checked()
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert '<main id="main">' in page and 'href="#main"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # Every input has a label.
    import re

    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    visible = [i for i in ids if i != "csrf_token"]
    for field_id in visible:
        assert f'for="{field_id}"' in page, field_id


def test_a_payment_status_is_shown_only_on_its_own_case(app, db, client, checked, linked):
    case, token = checked()
    other, _ = linked()
    own = ProviderPayment(
        public_id="own-payment",
        case_id=case.id,
        provider="sandbox",
        amount_cents=50_00,
        status=PaymentStatus.PAID,
    )
    foreign = ProviderPayment(
        public_id="foreign-payment",
        case_id=other.id,
        provider="sandbox",
        amount_cents=70_00,
        status=PaymentStatus.PAID,
    )
    db.session.add_all([own, foreign])
    db.session.commit()
    page = client.get(f"/pay/{token}?payment=own-payment").get_data(as_text=True)
    assert 'data-testid="payment-status"' in page and "50,00" in page
    page = client.get(f"/pay/{token}?payment=foreign-payment").get_data(as_text=True)
    assert 'data-testid="payment-status"' not in page and "70,00" not in page


def test_the_deadline_of_the_latest_letter_is_shown(app, db, client, checked):
    from datetime import date

    from agency.clients.models import Segment
    from agency.letters.models import Channel, Message, MessageStatus
    from agency.letters.operations import copy_policy_for_client

    case, token = checked()
    policy = copy_policy_for_client(case.client, Segment.B2B, "NL", actor=None)
    for step, status, ends in (
        (policy.steps[0], MessageStatus.SENT, date(2025, 4, 10)),
        (policy.steps[1], MessageStatus.SENT, date(2025, 4, 23)),
        (policy.steps[2], MessageStatus.PENDING, date(2025, 5, 30)),  # not sent: no deadline yet
    ):
        db.session.add(
            Message(
                client_id=case.client_id,
                case_id=case.id,
                step_id=step.id,
                channel=Channel.LETTER,
                status=status,
                term_ends_on=ends,
                content={},
            )
        )
    db.session.commit()
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert 'data-testid="deadline">23-04-2025<' in page
