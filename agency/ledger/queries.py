"""Reads of the ledger: balances and what is still open per invoice and component."""

from __future__ import annotations

import functools
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


def _charged_query(case_id: int | sa.BindParameter) -> sa.Select:
    """The entries that add to the debt, summed per (invoice, kind): (invoice_id, part, cents)."""
    return (
        sa.select(
            LedgerEntry.invoice_id,
            sa.type_coerce(LedgerEntry.kind, sa.String).label("part"),
            sa.func.sum(LedgerEntry.amount_cents).label("cents"),
        )
        .where(
            LedgerEntry.case_id == case_id,
            sa.or_(
                LedgerEntry.kind.in_(list(CHARGE_COMPONENT)),
                sa.and_(LedgerEntry.kind == EntryKind.ADJUSTMENT, LedgerEntry.amount_cents > 0),
            ),
        )
        .group_by(LedgerEntry.invoice_id, LedgerEntry.kind)
    )


def _allocated_query(case_id: int | sa.BindParameter) -> sa.Select:
    """The case's allocations summed per (invoice, component): (invoice_id, part, cents)."""
    return (
        sa.select(
            Allocation.invoice_id,
            sa.type_coerce(Allocation.component, sa.String).label("part"),
            sa.func.sum(Allocation.amount_cents).label("cents"),
        )
        .join(LedgerEntry, Allocation.entry_id == LedgerEntry.id)
        .where(LedgerEntry.case_id == case_id)
        .group_by(Allocation.invoice_id, Allocation.component)
    )


def _charge_key(invoice_id: int | None, kind: str) -> tuple[int | None, Component]:
    # A positive adjustment corrects the principal.
    return invoice_id, CHARGE_COMPONENT.get(EntryKind(kind), Component.PRINCIPAL)


def _charged(case_id: int) -> dict[tuple[int | None, Component], int]:
    """Sum the entries that add to the debt, per (invoice, component)."""
    charges: dict[tuple[int | None, Component], int] = defaultdict(int)
    for invoice_id, kind, total in db.session.execute(_charged_query(case_id)):
        charges[_charge_key(invoice_id, kind)] += int(total)
    return charges


def _allocated(case_id: int) -> dict[tuple[int | None, Component], int]:
    """Sum the allocations of the case's reducing entries, per (invoice, component)."""
    allocated: dict[tuple[int | None, Component], int] = defaultdict(int)
    for invoice_id, component, total in db.session.execute(_allocated_query(case_id)):
        allocated[(invoice_id, Component(component))] += int(total)
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


@functools.cache
def _case_ledger_statement() -> sa.CompoundSelect:
    """Charges and allocations of one case (:case_id) in one statement, built once."""
    case_id = sa.bindparam("case_id", type_=sa.Integer)
    return sa.union_all(
        _charged_query(case_id).add_columns(sa.literal(True).label("charge")),
        _allocated_query(case_id).add_columns(sa.literal(False).label("charge")),
    )


def case_ledger(case_id: int) -> tuple[Balance, dict[int, int]]:
    """Return the case's balance and its open principal per invoice, from one reading.

    The same figures as `case_balance` and `invoice_open_principal`, in one statement instead
    of seven: the dunning engine needs both for every letter it sends.
    """
    charges: dict[tuple[int | None, Component], int] = defaultdict(int)
    allocated: dict[tuple[int | None, Component], int] = defaultdict(int)
    rows = db.session.execute(_case_ledger_statement(), {"case_id": case_id})
    for invoice_id, part, total, charge in rows:
        if charge:
            charges[_charge_key(invoice_id, part)] += int(total)
        else:
            allocated[(invoice_id, Component(part))] += int(total)
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


# --- client money: the trust reconciliation ---------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """A known cause of a difference between bank and ledger, with the rows behind it."""

    key: str
    cents: int  # what it adds to (bank balance - ledger)
    items: list[tuple[str, int]]  # (description, cents)


@dataclass(frozen=True)
class Reconciliation:
    """The client-money account per the statements against what the ledger says it holds."""

    bank_cents: int
    brought_forward: int  # the opening balance of the first imported statement
    collected_unremitted: int  # collected for clients, in no run yet (overpayments included)
    agency_share_held: int  # commission, VAT and kept costs of runs, not yet moved out
    suspense: int  # credits not booked: unmatched, or returned and not yet paid back
    explanations: list[Explanation]

    @property
    def ledger_cents(self) -> int:
        return (
            self.brought_forward
            + self.collected_unremitted
            + self.agency_share_held
            + self.suspense
        )

    @property
    def difference(self) -> int:
        return self.bank_cents - self.ledger_cents

    @property
    def unexplained(self) -> int:
        return self.difference - sum(e.cents for e in self.explanations)


def _sum(query) -> int:
    return int(db.session.scalar(query) or 0)


def reconcile() -> Reconciliation:
    """Compare the account's balance per the last statement with the ledger's client money."""
    from agency.ledger.models import (
        BankBooking,
        BankStatement,
        BankTransaction,
        RemittanceLine,
        RemittanceRun,
        TransactionStatus,
    )

    T = TransactionStatus
    order = (BankStatement.statement_date, BankStatement.id)
    last = db.session.scalar(sa.select(BankStatement).order_by(*(c.desc() for c in order)))
    first = db.session.scalar(sa.select(BankStatement).order_by(*order))
    bank = last.closing_cents if last else 0
    brought_forward = first.opening_cents if first else 0

    payments = -_sum(
        sa.select(sa.func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.kind == EntryKind.PAYMENT
        )
    )
    in_runs = _sum(sa.select(sa.func.sum(RemittanceLine.collected_cents)))
    paid_out = _sum(sa.select(sa.func.sum(RemittanceLine.payout_cents)))
    moved = -_sum(
        sa.select(sa.func.sum(BankTransaction.amount_cents)).where(
            BankTransaction.status == T.COMMISSION
        )
    )
    settled = sa.select(BankTransaction.related_id).where(BankTransaction.related_id.is_not(None))
    suspense_rows = db.session.scalars(
        sa.select(BankTransaction).where(
            sa.or_(
                BankTransaction.status == T.UNMATCHED,
                sa.and_(BankTransaction.status == T.RETURNED, BankTransaction.id.not_in(settled)),
            )
        )
    ).all()

    explanations = []
    # Payouts of runs the bank has not debited yet: still on the account.
    debited = set(
        db.session.execute(
            sa.select(BankTransaction.remittance_run_id, BankTransaction.counterparty_iban).where(
                BankTransaction.status == T.PAYOUT
            )
        ).all()
    )
    pending = [
        (f"run {number}: {line.iban}", line.payout_cents)
        for line, number in db.session.execute(
            sa.select(RemittanceLine, RemittanceRun.number).join(RemittanceRun)
        ).all()
        if line.payout_cents > 0 and (line.run_id, line.iban) not in debited
    ]
    explanations.append(Explanation("payouts_pending", sum(c for _, c in pending), pending))
    # Payments booked without a credit on the account (a provider's payout still to come).
    banked = sa.select(BankBooking.entry_id)
    unbanked_rows = db.session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.kind == EntryKind.PAYMENT,
            LedgerEntry.id.not_in(banked),
            sa.or_(LedgerEntry.reverses_id.is_(None), LedgerEntry.reverses_id.not_in(banked)),
        )
    ).all()
    unbanked = [(f"{e.booked_on} {e.description or ''}", e.amount_cents) for e in unbanked_rows]
    explanations.append(Explanation("not_on_statement", sum(c for _, c in unbanked), unbanked))
    for key, status in (("charges", T.CHARGE), ("other_debits", T.OTHER_DEBIT)):
        rows = db.session.scalars(
            sa.select(BankTransaction).where(BankTransaction.status == status)
        ).all()
        items = [
            (f"{t.booked_on} {t.remittance or t.counterparty_name or ''}", t.amount_cents)
            for t in rows
        ]
        explanations.append(Explanation(key, sum(c for _, c in items), items))

    return Reconciliation(
        bank_cents=bank,
        brought_forward=brought_forward,
        collected_unremitted=payments - in_runs,
        agency_share_held=in_runs - paid_out - moved,
        suspense=sum(t.amount_cents for t in suspense_rows),
        explanations=explanations,
    )
