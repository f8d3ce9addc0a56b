"""Property tests: random sequences of handoffs, payments, direct payments, credit notes,
reversals and remittance runs keep the ledger and the client money consistent to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.cases.models import Invoice
from agency.ledger.models import (
    REDUCING_KINDS,
    Allocation,
    Component,
    EntryKind,
    EntrySource,
    LedgerEntry,
    RemittanceLine,
    RemittedEntry,
)
from agency.ledger.operations import book_charge, book_reduction, reverse_entry
from agency.ledger.queries import open_items
from agency.ledger.remittance import RemittanceRefused, create_run

START = date(2025, 1, 6)
OPS = st.sampled_from(["handoff", "cost", "pay", "direct", "credit_note", "reverse", "remit"])
STEPS = st.lists(st.tuples(OPS, st.integers(min_value=1, max_value=500_00)), max_size=14)
CONTRACTS = st.sampled_from(
    [
        ("flat", [], "net", True),
        ("flat", [], "gross", False),
        ("age_tiered", [[0, "10"], [60, "20"]], "net", False),
        ("age_tiered", [[0, "12.5"], [90, "25"]], "gross", True),
    ]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, contract=CONTRACTS, pct=st.sampled_from(["15", "12.5", "33.33"]))
def test_money_adds_up_over_random_histories(app, db, make_client, make_case, steps, contract, pct):
    kind, tiers, mode, keeps = contract
    client = make_client(
        iban="NL20INGB0001234567",
        contract_kind=kind,
        commission_tiers=tiers,
        remittance_mode=mode,
        commission_pct=Decimal(pct),
        agency_keeps_costs=keeps,
        agency_keeps_interest=keeps,
    )
    case = make_case(100_00, client=client, opened_on=START)
    day = START
    for n, (op, cents) in enumerate(steps):
        day += timedelta(days=1)
        if op == "handoff":
            invoice = Invoice(
                client_id=client.id,
                debtor_id=case.debtor_id,
                case_id=case.id,
                number=f"P{case.id}-{n}",
                invoice_date=START - timedelta(days=200),
                due_date=START - timedelta(days=cents % 200),
                amount_cents=cents,
            )
            db.session.add(invoice)
            db.session.flush()
            book_charge(
                case,
                EntryKind.PRINCIPAL,
                cents,
                invoice=invoice,
                booked_on=day,
                source=EntrySource.HANDOFF,
            )
        elif op == "cost":
            book_charge(case, EntryKind.COST, cents, booked_on=day, source=EntrySource.DUNNING)
        elif op in ("pay", "direct"):
            kind_ = EntryKind.PAYMENT if op == "pay" else EntryKind.DIRECT_PAYMENT
            book_reduction(case, kind_, cents, booked_on=day, source=EntrySource.BANK)
        elif op == "credit_note":
            invoice = case.invoices[cents % len(case.invoices)]
            book_reduction(
                case,
                EntryKind.CREDIT_NOTE,
                cents,
                booked_on=day,
                source=EntrySource.CLIENT,
                invoice=invoice,
            )
        elif op == "reverse":
            reversed_ids = sa.select(LedgerEntry.reverses_id).where(
                LedgerEntry.reverses_id.is_not(None)
            )
            candidates = db.session.scalars(
                sa.select(LedgerEntry)
                .where(
                    LedgerEntry.case_id == case.id,
                    LedgerEntry.kind.in_([EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT]),
                    LedgerEntry.reverses_id.is_(None),
                    LedgerEntry.id.not_in(reversed_ids),
                )
                .order_by(LedgerEntry.id)
            ).all()
            if candidates:
                reverse_entry(candidates[cents % len(candidates)], booked_on=day, reason="storno")
        elif op == "remit":
            try:
                create_run(day, day, app.config, client_ids=[client.id])
            except RemittanceRefused:
                pass

    # Allocations always add up to the reduction they split.
    for entry in db.session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.case_id == case.id, LedgerEntry.kind.in_(list(REDUCING_KINDS))
        )
    ):
        assert sum(a.amount_cents for a in entry.allocations) == -entry.amount_cents
    # Nothing is owed below zero, per invoice and component, and no overpayment is negative.
    assert all(item.amount >= 0 for item in open_items(case.id))
    overpaid = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Allocation.amount_cents), 0))
        .join(LedgerEntry, Allocation.entry_id == LedgerEntry.id)
        .where(LedgerEntry.case_id == case.id, Allocation.component == Component.OVERPAYMENT)
    )
    assert overpaid >= 0

    # Remitted + the agency's share + still held = collected, to the cent.
    def collected(extra=()) -> int:
        query = (
            sa.select(sa.func.coalesce(sa.func.sum(Allocation.amount_cents), 0))
            .join(LedgerEntry, Allocation.entry_id == LedgerEntry.id)
            .where(
                LedgerEntry.client_id == client.id,
                LedgerEntry.kind == EntryKind.PAYMENT,
                Allocation.component != Component.OVERPAYMENT,
                *extra,
            )
        )
        return int(db.session.scalar(query))

    remitted_ids = sa.select(RemittedEntry.entry_id)
    held = collected([LedgerEntry.id.not_in(remitted_ids)])
    lines = db.session.scalars(
        sa.select(RemittanceLine).where(RemittanceLine.client_id == client.id)
    ).all()
    paid = sum(line.payout_cents for line in lines)
    agency_share = sum(line.retained_cents for line in lines)
    assert paid + agency_share + held == collected()
    for line in lines:
        assert line.payout_cents >= 0 and line.invoice_due_cents >= 0
        assert line.payout_cents - line.invoice_due_cents == (
            line.collected_cents - line.kept_cents - line.commission_cents - line.vat_cents
        )
    db.session.rollback()
