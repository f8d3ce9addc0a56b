"""Payments split by art. 6:44 BW (costs, interest, principal) and 6:43 BW (oldest first)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.cases.models import CaseStatus
from agency.errors import LedgerError
from agency.ledger.models import Allocation, Component, EntryKind, EntrySource, LedgerEntry
from agency.ledger.operations import book_adjustment, book_charge, book_reduction, reverse_entry
from agency.ledger.queries import case_balance, invoice_open_principal, ledger_total

DAY = date(2025, 4, 1)
JAN, FEB = date(2025, 1, 15), date(2025, 2, 15)


def parts(entry: LedgerEntry) -> list[tuple[int | None, str, int]]:
    return [(a.invoice_id, a.component.value, a.amount_cents) for a in entry.allocations]


def pay(case, cents, **kw):
    return book_reduction(
        case, EntryKind.PAYMENT, cents, booked_on=DAY, source=EntrySource.BANK, **kw
    )


def test_costs_then_interest_then_oldest_principal(make_case, db):
    case = make_case(300_00, 200_00, due_dates=[JAN, FEB])
    old, new = case.invoices
    book_charge(case, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    book_charge(
        case, EntryKind.INTEREST, 5_00, invoice=new, booked_on=DAY, source=EntrySource.DUNNING
    )
    entry = pay(case, 100_00)
    db.session.commit()
    assert parts(entry) == [
        (None, "cost", 40_00),
        (new.id, "interest", 5_00),
        (old.id, "principal", 55_00),
    ]
    assert case_balance(case.id).total == 300_00 + 200_00 + 45_00 - 100_00
    assert invoice_open_principal(case.id) == {old.id: 245_00, new.id: 200_00}


def test_the_debtors_designation_goes_before_age(make_case, db):
    case = make_case(300_00, 200_00, due_dates=[JAN, FEB])
    old, new = case.invoices
    entry = pay(case, 250_00, designated_invoice_ids=[new.id])
    assert parts(entry) == [(new.id, "principal", 200_00), (old.id, "principal", 50_00)]


def test_designation_does_not_jump_costs(make_case, db):
    case = make_case(300_00, 200_00, due_dates=[JAN, FEB])
    _, new = case.invoices
    book_charge(case, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    entry = pay(case, 200_00, designated_invoice_ids=[new.id])
    assert parts(entry) == [(None, "cost", 40_00), (new.id, "principal", 160_00)]


def test_paying_everything_closes_the_case_and_too_much_is_kept(make_case, db):
    case = make_case(100_00)
    entry = pay(case, 120_00)
    db.session.commit()
    assert parts(entry)[-1] == (None, Component.OVERPAYMENT.value, 20_00)
    assert case.status is CaseStatus.PAID and case.closed_on == DAY
    balance = case_balance(case.id)
    assert (balance.principal, balance.overpaid, balance.total) == (0, 20_00, -20_00)


def test_a_reversed_payment_reopens_the_case(make_case, db):
    case = make_case(100_00)
    payment = pay(case, 100_00)
    assert case.status is CaseStatus.PAID
    reversal = reverse_entry(payment, booked_on=DAY, reason="charge-back")
    db.session.commit()
    assert reversal.amount_cents == 100_00 and reversal.reverses_id == payment.id
    assert case.status is CaseStatus.DUNNING and case.closed_on is None
    assert case_balance(case.id).total == 100_00
    with pytest.raises(LedgerError):
        reverse_entry(payment, booked_on=DAY, reason="again")


def test_a_credit_note_reduces_only_its_own_invoice(make_case, db):
    case = make_case(300_00, 200_00, due_dates=[JAN, FEB])
    old, new = case.invoices
    book_charge(case, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    entry = book_reduction(
        case, EntryKind.CREDIT_NOTE, 50_00, invoice=new, booked_on=DAY, source=EntrySource.CLIENT
    )
    assert parts(entry) == [(new.id, "principal", 50_00)]
    assert invoice_open_principal(case.id) == {old.id: 300_00, new.id: 150_00}


def test_adjustments_up_and_down_are_visible_entries(make_case, db):
    case = make_case(300_00)
    (invoice,) = case.invoices
    book_adjustment(case, invoice, -100_00, booked_on=DAY, source=EntrySource.HANDOFF)
    up = book_adjustment(case, invoice, 30_00, booked_on=DAY, source=EntrySource.HANDOFF)
    db.session.commit()
    assert invoice_open_principal(case.id) == {invoice.id: 230_00}
    reverse_entry(up, booked_on=DAY, reason="typo")
    assert invoice_open_principal(case.id) == {invoice.id: 200_00}
    assert ledger_total(case.id) == case_balance(case.id).total == 200_00


@pytest.mark.parametrize(
    ("kind", "cents", "invoice_needed"),
    [(EntryKind.PRINCIPAL, 0, True), (EntryKind.COST, -5, False), (EntryKind.PAYMENT, 10, False)],
)
def test_bookings_with_a_wrong_sign_or_kind_are_refused(make_case, db, kind, cents, invoice_needed):
    case = make_case(100_00)
    with pytest.raises(LedgerError):
        book_charge(
            case,
            kind,
            cents,
            booked_on=DAY,
            source=EntrySource.AGENT,
            invoice=case.invoices[0] if invoice_needed else None,
        )


def test_the_database_refuses_a_positive_payment_that_reverses_nothing(make_case, db):
    case = make_case(100_00)
    db.session.add(
        LedgerEntry(
            client_id=case.client_id,
            case_id=case.id,
            kind=EntryKind.PAYMENT,
            amount_cents=10_00,
            booked_on=DAY,
            source=EntrySource.BANK,
        )
    )
    with pytest.raises(sa.exc.IntegrityError, match="sign_follows_kind"):
        db.session.flush()
    db.session.rollback()


def test_an_invoice_of_another_case_is_refused(make_case, db):
    one, other = make_case(100_00), make_case(100_00)
    with pytest.raises(LedgerError):
        book_reduction(
            one,
            EntryKind.CREDIT_NOTE,
            10_00,
            invoice=other.invoices[0],
            booked_on=DAY,
            source=EntrySource.CLIENT,
        )


operations = st.lists(
    st.tuples(
        st.sampled_from(["pay", "cost", "interest", "credit", "reverse"]),
        st.integers(min_value=1, max_value=500_00),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amounts=st.lists(st.integers(1, 2_000_00), min_size=1, max_size=3), ops=operations)
def test_allocations_add_up_and_the_ledger_agrees_with_the_balance(make_case, db, amounts, ops):
    # Each example builds its own case, so examples do not see each other's rows.
    case = make_case(*amounts)
    invoices = case.invoices
    reducing = []
    for op, cents, pick in ops:
        invoice = invoices[pick % len(invoices)]
        if op == "pay":
            reducing.append(pay(case, cents))
        elif op == "cost":
            book_charge(case, EntryKind.COST, cents, booked_on=DAY, source=EntrySource.DUNNING)
        elif op == "interest":
            book_charge(
                case,
                EntryKind.INTEREST,
                cents,
                invoice=invoice,
                booked_on=DAY,
                source=EntrySource.DUNNING,
            )
        elif op == "credit":
            reducing.append(
                book_reduction(
                    case,
                    EntryKind.CREDIT_NOTE,
                    cents,
                    invoice=invoice,
                    booked_on=DAY,
                    source=EntrySource.CLIENT,
                )
            )
        elif op == "reverse" and reducing:
            reverse_entry(reducing.pop(pick % len(reducing)), booked_on=DAY, reason="test")
    db.session.commit()
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.case_id == case.id)).all()
    for entry in entries:
        if entry.kind in (EntryKind.PAYMENT, EntryKind.CREDIT_NOTE):
            assert sum(a.amount_cents for a in entry.allocations) == -entry.amount_cents
    balance = case_balance(case.id)
    assert balance.total == ledger_total(case.id)
    assert min(balance.principal, balance.cost, balance.interest, balance.overpaid) >= 0
    assert (case.status is CaseStatus.PAID) == (balance.total <= 0)


def test_every_allocation_carries_its_entrys_client_kind_and_day(make_case, db):
    case = make_case(300_00, 200_00, due_dates=[JAN, FEB])
    old, new = case.invoices
    book_charge(case, EntryKind.COST, 40_00, booked_on=DAY, source=EntrySource.DUNNING)
    payment = pay(case, 150_00)
    book_adjustment(case, new, -20_00, booked_on=date(2025, 4, 3), source=EntrySource.CLIENT)
    raised = book_adjustment(case, old, 30_00, booked_on=date(2025, 4, 4), source=EntrySource.AGENT)
    reverse_entry(payment, booked_on=date(2025, 4, 8), reason="bounced")
    reverse_entry(raised, booked_on=date(2025, 4, 9), reason="typo")
    db.session.commit()
    rows = db.session.execute(
        sa.select(Allocation, LedgerEntry).join(LedgerEntry, LedgerEntry.id == Allocation.entry_id)
    ).all()
    # The payment (cost, principal), the adjustment down, and both reversals.
    assert {entry.booked_on for _, entry in rows} == {
        DAY,
        date(2025, 4, 3),
        date(2025, 4, 8),
        date(2025, 4, 9),
    }
    for allocation, entry in rows:
        assert (allocation.client_id, allocation.kind, allocation.booked_on) == (
            entry.client_id,
            entry.kind,
            entry.booked_on,
        )
