"""Business rules the database itself refuses to break, and the append-only audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from agency import audit
from agency.audit import AuditEvent, AuditTampering
from agency.auth.models import Role, User
from agency.cases.charges import statutory_interest
from agency.cases.models import Debtor, DebtorKind, Invoice


def refused(db, obj, constraint: str) -> None:
    db.session.add(obj)
    with pytest.raises(sa.exc.IntegrityError) as info:
        db.session.flush()
    db.session.rollback()
    assert constraint in str(info.value).lower()


def test_an_invoice_cannot_belong_to_another_clients_debtor(db, make_case, make_client):
    case = make_case(100_00)
    stranger = make_client()
    invoice = Invoice(
        client_id=stranger.id,
        debtor_id=case.debtor_id,
        number="X-1",
        invoice_date=date(2025, 1, 1),
        due_date=date(2025, 1, 31),
        amount_cents=1,
    )
    refused(db, invoice, "foreign key")


def test_invoice_numbers_and_debtor_codes_are_unique_per_client(db, make_case, make_client):
    case = make_case(100_00)
    number = case.invoices[0].number
    duplicate = Invoice(
        client_id=case.client_id,
        debtor_id=case.debtor_id,
        number=number,
        invoice_date=date(2025, 1, 1),
        due_date=date(2025, 1, 31),
        amount_cents=5,
    )
    refused(db, duplicate, "unique")
    same_code = Debtor(
        client_id=case.client_id,
        debtor_code=case.debtor.debtor_code,
        kind=DebtorKind.PERSON,
        name="Twin",
    )
    refused(db, same_code, "unique")
    # Another client may use the same number and code.
    other = make_client()
    db.session.add(
        Debtor(
            client_id=other.id,
            debtor_code=case.debtor.debtor_code,
            kind=DebtorKind.PERSON,
            name="Namesake",
        )
    )
    db.session.flush()


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"due_date": date(2024, 12, 1)}, "due_not_before_invoice"),
        ({"amount_cents": 0}, "amount_not_zero"),
        ({"paid_before_handoff_cents": 200_00}, "paid_before_handoff_within_amount"),
        ({"currency": "EU"}, "currency_iso"),
    ],
)
def test_invoice_checks(db, make_debtor, fields, constraint):
    debtor = make_debtor()
    values = {
        "client_id": debtor.client_id,
        "debtor_id": debtor.id,
        "number": "F-1",
        "invoice_date": date(2025, 1, 1),
        "due_date": date(2025, 1, 31),
        "amount_cents": 100_00,
        **fields,
    }
    refused(db, Invoice(**values), constraint)


def test_a_client_user_needs_a_client_and_staff_have_none(db, make_client):
    lone = User(email="x@y.test", name="X", password_hash="x", role=Role.CLIENT)
    refused(db, lone, "client_users_have_a_client")
    staff = User(
        email="s@y.test", name="S", password_hash="x", role=Role.AGENT, client_id=make_client().id
    )
    refused(db, staff, "client_users_have_a_client")


def test_phone_numbers_are_stored_in_e164(db, make_client):
    client = make_client()
    debtor = Debtor(
        client_id=client.id, debtor_code="P1", kind=DebtorKind.PERSON, name="P", phone="06 12345678"
    )
    refused(db, debtor, "phone_e164")


def test_audit_events_cannot_be_changed_or_deleted(db, make_case):
    case = make_case(100_00)
    event = audit.record("test.event", case, note="first")
    db.session.commit()
    event.action = "test.rewritten"
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "test.event"


def test_interest_reads_the_seeded_rates_from_the_database(db):
    # The same period as in test_charges, now with the rates the migration seeded.
    explicit = [(date(2024, 1, 1), Decimal("12.5")), (date(2024, 7, 1), Decimal("12.25"))]
    start, end = date(2024, 6, 1), date(2024, 8, 1)
    from_db = statutory_interest(10_000_00, start, end, "commercial")
    assert from_db == statutory_interest(10_000_00, start, end, "commercial", rates=explicit)
    assert from_db == 20678
