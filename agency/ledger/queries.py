"""Reads of the ledger: balances and what is still open per invoice and component."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from agency.cases.models import Invoice
from agency.extensions import db
from agency.ledger.models import CHARGE_COMPONENT, Allocation, Component, EntryKind, LedgerEntry


@dataclass(frozen=True)
class Balance:
    """What a case owes, in cents, split the way letters and pages show it."""

    principal: int = 0
    cost: int = 0
    interest: int = 0
    overpaid: int = 0

    @property
    def total(self) -> int:
        return self.principal + self.cost + self.interest - self.overpaid


@dataclass(frozen=True)
class OpenItem:
    """One component of one invoice (or of the case, when invoice_id is None) still owed."""

    invoice_id: int | None
    component: Component
    due_date: date | None
    amount: int


def _charged(case_id: int) -> dict[tuple[int | None, Component], int]:
    """Sum the entries that add to the debt, per (invoice, component)."""
    charges: dict[tuple[int | None, Component], int] = defaultdict(int)
    rows = db.session.execute(
        sa.select(LedgerEntry.invoice_id, LedgerEntry.kind, sa.func.sum(LedgerEntry.amount_cents))
        .where(
            LedgerEntry.case_id == case_id,
            sa.or_(
                LedgerEntry.kind.in_(list(CHARGE_COMPONENT)),
                sa.and_(LedgerEntry.kind == EntryKind.ADJUSTMENT, LedgerEntry.amount_cents > 0),
            ),
        )
        .group_by(LedgerEntry.invoice_id, LedgerEntry.kind)
    )
    for invoice_id, kind, total in rows:
        component = CHARGE_COMPONENT.get(kind, Component.PRINCIPAL)
        charges[(invoice_id, component)] += int(total)
    return charges


def _allocated(case_id: int) -> dict[tuple[int | None, Component], int]:
    """Sum the allocations of the case's reducing entries, per (invoice, component)."""
    allocated: dict[tuple[int | None, Component], int] = defaultdict(int)
    rows = db.session.execute(
        sa.select(Allocation.invoice_id, Allocation.component, sa.func.sum(Allocation.amount_cents))
        .join(LedgerEntry, Allocation.entry_id == LedgerEntry.id)
        .where(LedgerEntry.case_id == case_id)
        .group_by(Allocation.invoice_id, Allocation.component)
    )
    for invoice_id, component, total in rows:
        allocated[(invoice_id, component)] += int(total)
    return allocated


def open_items(case_id: int) -> list[OpenItem]:
    """Return what is still owed per invoice and component (zero items left out)."""
    charges = _charged(case_id)
    allocated = _allocated(case_id)
    keys = {k for k in (*charges, *allocated) if k[1] is not Component.OVERPAYMENT}
    due_dates = dict(
        db.session.execute(
            sa.select(Invoice.id, Invoice.due_date).where(
                Invoice.id.in_([k[0] for k in keys if k[0] is not None])
            )
        ).all()
    )
    items = []
    for invoice_id, component in keys:
        amount = charges[(invoice_id, component)] - allocated.get((invoice_id, component), 0)
        if amount:
            items.append(OpenItem(invoice_id, component, due_dates.get(invoice_id), amount))
    return items


def case_balance(case_id: int) -> Balance:
    """Return the balance of a case from its ledger."""
    per_component: dict[Component, int] = defaultdict(int)
    for item in open_items(case_id):
        per_component[item.component] += item.amount
    overpaid = _allocated(case_id).get((None, Component.OVERPAYMENT), 0)
    return Balance(
        principal=per_component[Component.PRINCIPAL],
        cost=per_component[Component.COST],
        interest=per_component[Component.INTEREST],
        overpaid=overpaid,
    )


def case_ledger(case_id: int) -> tuple[Balance, dict[int, int]]:
    """Return the case's balance and its open principal per invoice, from one reading.

    The same figures as `case_balance` and `invoice_open_principal`, in two queries instead of
    seven: the dunning engine needs both for every letter it sends.
    """
    charges = _charged(case_id)
    allocated = _allocated(case_id)
    per_component: dict[Component, int] = defaultdict(int)
    open_principal: dict[int, int] = {}
    for key in {k for k in (*charges, *allocated) if k[1] is not Component.OVERPAYMENT}:
        amount = charges.get(key, 0) - allocated.get(key, 0)
        if amount:
            invoice_id, component = key
            per_component[component] += amount
            if component is Component.PRINCIPAL and invoice_id is not None:
                open_principal[invoice_id] = amount
    balance = Balance(
        principal=per_component[Component.PRINCIPAL],
        cost=per_component[Component.COST],
        interest=per_component[Component.INTEREST],
        overpaid=allocated.get((None, Component.OVERPAYMENT), 0),
    )
    return balance, open_principal


def invoice_open_principal(case_id: int) -> dict[int, int]:
    """Return the open principal per invoice of a case."""
    return {
        item.invoice_id: item.amount
        for item in open_items(case_id)
        if item.component is Component.PRINCIPAL and item.invoice_id is not None
    }


def ledger_total(case_id: int) -> int:
    """Return the plain sum of a case's entries (equals the balance's total)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.case_id == case_id
        )
    )
    return int(total)
