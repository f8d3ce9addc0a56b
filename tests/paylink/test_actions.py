"""What the debtor does on the page: every answer lands in the contact log, and the ones that
need a person in the queue (next action today and an open request on the case page)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from agency.auth.models import Role
from agency.cases.models import CaseStatus
from agency.contact_log.models import (
    Arrangement,
    ArrangementStatus,
    Channel,
    ContactEntry,
    Dispute,
    DisputeStatus,
    Outcome,
    Promise,
)
from agency.modeling import today
from agency.paylink.models import DebtorFile, DebtorRequest, ProviderPayment, RequestKind
from tests.paylink.conftest import page_csrf


def _post(client, token, action, data, files=None):
    csrf = page_csrf(client, f"/pay/{token}")
    payload = {**data, "csrf_token": csrf}
    if files:
        payload.update(files)
    return client.post(f"/pay/{token}/{action}", data=payload, content_type="multipart/form-data")


def _portal_entries(db, case):
    return db.session.scalars(
        sa.select(ContactEntry).where(
            ContactEntry.case_id == case.id, ContactEntry.channel == Channel.PORTAL
        )
    ).all()


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def test_a_plan_within_the_rules_runs_at_once(app, db, client, checked):
    case, token = checked(100_00, 250_00)
    response = _post(client, token, "plan", {"instalments": "3", "first_due_on": _day(7)})
    assert response.status_code == 303
    arrangement = db.session.scalar(sa.select(Arrangement))
    assert arrangement.status is ArrangementStatus.ACTIVE and arrangement.total_cents == 350_00
    assert [i.amount_cents for i in arrangement.instalments] == [116_66, 116_66, 116_68]
    assert db.session.get(type(case), case.id).status is CaseStatus.ARRANGEMENT
    assert [e.outcome for e in _portal_entries(db, case)] == [Outcome.PROMISE]
    assert _count(db, DebtorRequest) == 0


def test_a_plan_outside_the_rules_goes_to_the_queue(app, db, client, checked):
    case, token = checked(100_00, 250_00)
    case.client.plan_max_instalments = 4
    db.session.commit()
    response = _post(client, token, "plan", {"instalments": "10", "first_due_on": _day(7)})
    assert response.status_code == 303
    arrangement = db.session.scalar(sa.select(Arrangement))
    assert arrangement.status is ArrangementStatus.PROPOSED
    assert "10 instalments" in arrangement.exceeds_rules
    request = db.session.scalar(sa.select(DebtorRequest))
    assert request.kind is RequestKind.PLAN and request.arrangement_id == arrangement.id
    fresh = db.session.get(type(case), case.id)
    assert fresh.next_action_on == today() and fresh.status is CaseStatus.DUNNING


def test_a_plan_starting_in_the_past_is_refused_and_changes_nothing(app, db, client, checked):
    case, token = checked()
    response = _post(client, token, "plan", {"instalments": "3", "first_due_on": _day(-1)})
    assert response.status_code == 400
    assert _count(db, Arrangement) == 0 and _portal_entries(db, case) == []


def test_a_promise(app, db, client, checked):
    case, token = checked(100_00, 250_00)
    response = _post(client, token, "promise", {"amount": "120,50", "promised_on": _day(10)})
    assert response.status_code == 303
    promise = db.session.scalar(sa.select(Promise))
    assert promise.amount_cents == 120_50 and promise.promised_on.isoformat() == _day(10)
    assert [e.outcome for e in _portal_entries(db, case)] == [Outcome.PROMISE]
    too_much = _post(client, token, "promise", {"amount": "999,00", "promised_on": _day(3)})
    assert too_much.status_code == 400
    assert _count(db, Promise) == 1 and len(_portal_entries(db, case)) == 1


def test_a_dispute_with_a_file_pauses_dunning_and_reaches_the_portal(
    app, db, client, checked, make_user, tmp_path
):
    case, token = checked(100_00, 250_00)
    invoice = case.invoices[1]
    response = _post(
        client,
        token,
        "dispute",
        {"invoice": str(invoice.id), "reason": "defective", "message": "Kapot geleverd"},
        {"files": (io.BytesIO(b"%PDF-1.4 photo"), "bon.pdf")},
    )
    assert response.status_code == 303
    dispute = db.session.scalar(sa.select(Dispute))
    assert dispute.status is DisputeStatus.OPEN and dispute.amount_cents == 250_00
    assert [f.filename for f in dispute.files] == ["bon.pdf"]
    stored = tmp_path / "uploads" / dispute.files[0].stored_path
    assert stored.read_bytes() == b"%PDF-1.4 photo"
    fresh = db.session.get(type(case), case.id)
    assert fresh.status is CaseStatus.DISPUTED and fresh.paused_reason == "dispute"
    assert [e.outcome for e in _portal_entries(db, case)] == [Outcome.DISPUTE]
    client.post("/logout")
    user = make_user(Role.CLIENT, case.client)
    client.login(user.email)
    assert "Kapot geleverd" in client.get(f"/portal/disputes/{dispute.id}").get_data(as_text=True)


def test_a_dispute_file_of_the_wrong_type_is_refused(app, db, client, checked, tmp_path):
    case, token = checked()
    response = _post(
        client,
        token,
        "dispute",
        {"invoice": str(case.invoices[0].id), "reason": "other", "message": "x"},
        {"files": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")},
    )
    assert response.status_code == 400
    assert _count(db, Dispute) == 0 and _portal_entries(db, case) == []
    assert not (tmp_path / "uploads" / "disputes").exists()


def test_already_paid_with_proof_goes_to_the_queue(app, db, client, checked, tmp_path):
    case, token = checked()
    response = _post(
        client,
        token,
        "paid",
        {"amount": "100,00", "paid_on": _day(-3), "note": "Overgemaakt aan de winkel"},
        {"files": (io.BytesIO(b"\x89PNG\r\n\x1a\nbank"), "afschrift.png")},
    )
    assert response.status_code == 303
    request = db.session.scalar(sa.select(DebtorRequest))
    assert request.kind is RequestKind.ALREADY_PAID and request.amount_cents == 100_00
    stored = db.session.scalar(sa.select(DebtorFile))
    assert stored.content_type == "image/png"
    assert (tmp_path / "uploads" / stored.stored_path).read_bytes().endswith(b"bank")
    assert not stored.stored_path.startswith(("/", "static"))
    assert db.session.get(type(case), case.id).next_action_on == today()
    assert len(_portal_entries(db, case)) == 1


def test_proof_too_large_is_refused_and_nothing_is_kept(
    app, db, client, checked, tmp_path, monkeypatch
):
    from agency.contact_log import operations

    # A small limit keeps the request small (Werkzeug's test client leaks big bodies' temp files).
    monkeypatch.setattr(operations, "DISPUTE_FILE_MAX_BYTES", 2000)
    case, token = checked()
    big = b"%PDF-" + b"0" * 2001
    response = _post(
        client,
        token,
        "paid",
        {"amount": "100,00", "paid_on": _day(-3)},
        {"files": (io.BytesIO(big), "groot.pdf")},
    )
    assert response.status_code == 400
    assert _count(db, DebtorRequest) == 0 and _portal_entries(db, case) == []
    assert not (tmp_path / "uploads" / "paylink").exists()


def test_an_invoice_copy_and_a_callback(app, db, client, checked):
    case, token = checked()
    assert _post(client, token, "copy", {"invoice": str(case.invoices[0].id)}).status_code == 303
    zone = ZoneInfo("Europe/Amsterdam")
    day = today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    response = _post(client, token, "callback", {"day": day.isoformat(), "time": "10:30"})
    assert response.status_code == 303
    requests = db.session.scalars(sa.select(DebtorRequest).order_by(DebtorRequest.id)).all()
    assert [r.kind for r in requests] == [RequestKind.INVOICE_COPY, RequestKind.CALLBACK]
    assert requests[0].invoice_id == case.invoices[0].id
    assert requests[1].callback_at == datetime.combine(
        day, datetime.strptime("10:30", "%H:%M").time(), tzinfo=zone
    )
    assert db.session.get(type(case), case.id).next_action_on == today()  # the copy: today
    outcomes = [e.outcome for e in _portal_entries(db, case)]
    assert outcomes == [Outcome.REACHED, Outcome.CALLBACK]


def test_a_callback_at_night_is_refused(app, db, client, checked):
    case, token = checked()
    response = _post(client, token, "callback", {"day": _day(2), "time": "22:30"})
    assert response.status_code == 400
    assert _count(db, DebtorRequest) == 0


def test_contact_details_are_corrected_with_history(app, db, client, checked, login_as):
    case, token = checked()
    response = _post(
        client,
        token,
        "contact",
        {
            "street": "Nieuwe Gracht 1",
            "postcode": "1234 AB",
            "city": "Utrecht",
            "email": "nieuw@example.com",
            "phone": "06 12345678",
        },
    )
    assert response.status_code == 303
    debtor = db.session.get(type(case.debtor), case.debtor_id)
    assert debtor.email == "nieuw@example.com" and debtor.phone == "+31612345678"
    bad = _post(client, token, "contact", {"phone": "12", "email": "x@example.test"})
    assert bad.status_code == 400
    assert db.session.get(type(case.debtor), case.debtor_id).email == "nieuw@example.com"
    client.post("/logout")
    login_as("agent")
    history = client.get(f"/cases/{case.id}/debtor").get_data(as_text=True)
    assert "nieuw@example.com" in history


def test_forms_without_a_csrf_token_are_refused(app, db, client, checked):
    case, token = checked()
    response = client.post(f"/pay/{token}/promise", data={"amount": "10", "promised_on": _day(3)})
    assert response.status_code == 400
    assert _count(db, Promise) == 0


def test_pay_part_starts_a_payment_within_the_balance(app, db, client, checked):
    case, token = checked(100_00, 250_00)
    for amount in ("0,50", "350,01", "abc"):
        assert _post(client, token, "pay", {"amount": amount}).status_code == 400
    assert _count(db, ProviderPayment) == 0
    response = _post(client, token, "pay", {"amount": "120,00"})
    assert response.status_code == 303
    payment = db.session.scalar(sa.select(ProviderPayment))
    assert payment.amount_cents == 120_00 and payment.case_id == case.id
    assert payment.public_id in response.headers["Location"]
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    assert 'data-testid="payment-status"' in page  # the page remembers the payment started


def test_staff_see_the_requests_and_mark_them_handled(app, db, client, checked, login_as):
    case, token = checked()
    _post(client, token, "copy", {"invoice": str(case.invoices[0].id)})
    request = db.session.scalar(sa.select(DebtorRequest))
    client.post("/logout")
    login_as("agent")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/requests/{request.id}/done" in page
    csrf = client.csrf_token(f"/cases/{case.id}")
    done = client.post(f"/cases/{case.id}/requests/{request.id}/done", data={"csrf_token": csrf})
    assert done.status_code == 302
    assert db.session.get(DebtorRequest, request.id).handled_at is not None
    assert (
        client.post(
            f"/cases/{case.id + 1000}/requests/{request.id}/done", data={"csrf_token": csrf}
        ).status_code
        == 404
    )


def test_more_than_five_files_are_refused(app, db, client, checked):
    case, token = checked()
    files = [(io.BytesIO(b"%PDF-1.4 x"), f"bon{i}.pdf") for i in range(6)]
    response = _post(
        client,
        token,
        "paid",
        {"amount": "100,00", "paid_on": _day(-1)},
        {"files": files},
    )
    assert response.status_code == 400
    assert _count(db, DebtorRequest) == 0 and _portal_entries(db, case) == []


def test_paid_in_full_the_debtor_still_sees_the_payment(app, db, client, checked):
    from agency.paylink.models import PaymentStatus
    from agency.paylink.payments import settle_in_sandbox

    case, token = checked(100_00)
    response = _post(client, token, "pay", {"amount": "100,00"})
    assert response.status_code == 303
    settle_in_sandbox(db.session.scalar(sa.select(ProviderPayment)), PaymentStatus.PAID)
    db.session.commit()
    assert db.session.get(type(case), case.id).status is CaseStatus.PAID
    page = client.get(f"/pay/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="payment-status"' in text
    assert "100,00" in text and 'name="amount"' not in text  # no more forms: the link expired
    # Someone else, without the check, gets the gone page.
    client.delete_cookie("agency_session")
    assert client.get(f"/pay/{token}").status_code == 404
