"""Bookings on the ledger and the allocation of payments (art. 6:43 and 6:44 BW)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from agency import audit
from agency.auth.models import User
from agency.cases.models import Case, Invoice
from agency.cases.operations import re_evaluate
from agency.errors import LedgerError
from agency.extensions import db
from agency.ledger.models import (
    CHARGE_COMPONENT,
    REDUCING_KINDS,
    Allocation,
    Component,
    EntryKind,
    EntrySource,
    LedgerEntry,
)
from agency.ledger.queries import OpenItem, open_items

# Art. 6:44 BW: a payment settles costs first, then interest, then the principal.
_COMPONENT_ORDER = {Component.COST: 0, Component.INTEREST: 1, Component.PRINCIPAL: 2}


def _check_invoice(case: Case, invoice: Invoice | None) -> None:
    if invoice is not None and invoice.case_id != case.id:
        raise LedgerError(f"invoice {invoice.number} is not part of case {case.reference}")


def _new_entry(
    case: Case,
    kind: EntryKind,
    amount_cents: int,
    *,
    booked_on: date,
    source: EntrySource,
    invoice: Invoice | None,
    description: str | None,
    actor: User | None,
) -> LedgerEntry:
    _check_invoice(case, invoice)
    return LedgerEntry(
        client_id=case.client_id,
        case_id=case.id,
        invoice_id=invoice.id if invoice else None,
        kind=kind,
        amount_cents=amount_cents,
        booked_on=booked_on,
        source=source,
        description=description,
        created_by_id=actor.id if actor else None,
    )


def _book(entry: LedgerEntry, case: Case, action: str, actor: User | None, **detail) -> LedgerEntry:
    """Store the entry, audit it and let the case react to its new balance."""
    db.session.add(entry)
    db.session.flush()
    audit.record(
        action, entry, actor=actor, kind=entry.kind.value, cents=entry.amount_cents, **detail
    )
    re_evaluate(case, on=entry.booked_on, actor=actor)
    return entry


def book_charge(
    case: Case,
    kind: EntryKind,
    amount_cents: int,
    *,
    booked_on: date,
    source: EntrySource,
    invoice: Invoice | None = None,
    description: str | None = None,
    actor: User | None = None,
) -> LedgerEntry:
    """Add principal, collection costs or interest to what the debtor owes."""
    if kind not in CHARGE_COMPONENT:
        raise LedgerError(f"{kind.value} is not a charge")
    if amount_cents <= 0:
        raise LedgerError("a charge must be a positive amount of cents")
    if kind is EntryKind.PRINCIPAL and invoice is None:
        raise LedgerError("principal is booked on an invoice")
    entry = _new_entry(
        case,
        kind,
        amount_cents,
        booked_on=booked_on,
        source=source,
        invoice=invoice,
        description=description,
        actor=actor,
    )
    return _book(entry, case, "ledger.charge", actor)


def allocation_order(items: Iterable[OpenItem], designated: Iterable[int] = ()) -> list[OpenItem]:
    """Order open items the way a payment settles them.

    Costs, then interest, then principal (art. 6:44 BW); within each, the invoices the debtor
    designated first (art. 6:43 lid 1), then the oldest due date (art. 6:43 lid 2, simplified to
    "oldest first" as DESIGN.md records), costs of the whole case before costs of one invoice.
    """
    chosen = set(designated)
    return sorted(
        (item for item in items if item.amount > 0 and item.component in _COMPONENT_ORDER),
        key=lambda item: (
            _COMPONENT_ORDER[item.component],
            item.invoice_id not in chosen,
            item.invoice_id is not None,
            item.due_date or date.min,
            item.invoice_id or 0,
        ),
    )


def _part(
    entry: LedgerEntry, invoice_id: int | None, component: Component, cents: int
) -> Allocation:
    """An allocation of `entry`, carrying the entry's client, kind and day (the reports read
    allocations without joining their entries)."""
    return Allocation(
        client_id=entry.client_id,
        kind=entry.kind,
        booked_on=entry.booked_on,
        invoice_id=invoice_id,
        component=component,
        amount_cents=cents,
    )


def _allocate(entry: LedgerEntry, amount: int, items: list[OpenItem]) -> None:
    remaining = amount
    for item in items:
        if remaining == 0:
            break
        part = min(item.amount, remaining)
        entry.allocations.append(_part(entry, item.invoice_id, item.component, part))
        remaining -= part
    if remaining:
        entry.allocations.append(_part(entry, None, Component.OVERPAYMENT, remaining))


def book_reduction(
    case: Case,
    kind: EntryKind,
    amount_cents: int,
    *,
    booked_on: date,
    source: EntrySource,
    invoice: Invoice | None = None,
    designated_invoice_ids: Iterable[int] = (),
    description: str | None = None,
    actor: User | None = None,
) -> LedgerEntry:
    """Book a payment, direct payment, credit note, write-off or downward adjustment; allocate it.

    `amount_cents` is the positive size of the reduction. A credit note or adjustment reduces
    the principal of its own invoice; payments and write-offs follow art. 6:44 and 6:43 BW.
    Whatever exceeds the debt is kept as an overpayment on the case.
    """
    if kind not in REDUCING_KINDS and kind is not EntryKind.ADJUSTMENT:
        raise LedgerError(f"{kind.value} does not reduce a debt")
    if amount_cents <= 0:
        raise LedgerError("give the size of a reduction as a positive amount of cents")
    if kind in (EntryKind.CREDIT_NOTE, EntryKind.ADJUSTMENT) and invoice is None:
        raise LedgerError(f"a {kind.value.replace('_', ' ')} belongs to an invoice")
    entry = _new_entry(
        case,
        kind,
        -amount_cents,
        booked_on=booked_on,
        source=source,
        invoice=invoice,
        description=description,
        actor=actor,
    )
    items = open_items(case.id)
    if invoice is not None and kind in (EntryKind.CREDIT_NOTE, EntryKind.ADJUSTMENT):
        items = [
            i for i in items if i.invoice_id == invoice.id and i.component is Component.PRINCIPAL
        ]
    _allocate(entry, amount_cents, allocation_order(items, designated_invoice_ids))
    allocations = [(a.invoice_id, a.component.value, a.amount_cents) for a in entry.allocations]
    return _book(entry, case, "ledger.reduction", actor, allocations=allocations)


def book_credit_note(
    case: Case,
    credit_note: Invoice,
    amount_cents: int,
    *,
    booked_on: date,
    source: EntrySource,
    actor: User | None = None,
) -> LedgerEntry:
    """Book a credit note document (a negative invoice) against the case's principal.

    A credit note reduces the claims themselves, so it settles principal only, oldest due
    first; whatever exceeds the open principal is kept as an overpayment on the case.
    """
    if amount_cents <= 0:
        raise LedgerError("give the size of a credit note as a positive amount of cents")
    entry = _new_entry(
        case,
        EntryKind.CREDIT_NOTE,
        -amount_cents,
        booked_on=booked_on,
        source=source,
        invoice=credit_note,
        description=f"Creditnota {credit_note.number}",
        actor=actor,
    )
    items = [i for i in open_items(case.id) if i.component is Component.PRINCIPAL]
    _allocate(entry, amount_cents, allocation_order(items))
    allocations = [(a.invoice_id, a.component.value, a.amount_cents) for a in entry.allocations]
    return _book(entry, case, "ledger.credit_note", actor, allocations=allocations)


def book_adjustment(
    case: Case,
    invoice: Invoice,
    delta_cents: int,
    *,
    booked_on: date,
    source: EntrySource,
    description: str | None = None,
    actor: User | None = None,
) -> LedgerEntry:
    """Change an invoice's principal by `delta_cents` (up or down) as a visible entry."""
    if delta_cents == 0:
        raise LedgerError("an adjustment of nothing")
    if delta_cents < 0:
        return book_reduction(
            case,
            EntryKind.ADJUSTMENT,
            -delta_cents,
            booked_on=booked_on,
            source=source,
            invoice=invoice,
            description=description,
            actor=actor,
        )
    entry = _new_entry(
        case,
        EntryKind.ADJUSTMENT,
        delta_cents,
        booked_on=booked_on,
        source=source,
        invoice=invoice,
        description=description,
        actor=actor,
    )
    return _book(entry, case, "ledger.adjustment", actor)


def reverse_entry(
    entry: LedgerEntry,
    *,
    booked_on: date,
    reason: str,
    actor: User | None = None,
) -> LedgerEntry:
    """Undo an entry with an opposite one (a bounced payment, a wrongly booked charge)."""
    if entry.reverses_id is not None:
        raise LedgerError("a reversal is not reversed; book the entry again instead")
    if db.session.query(LedgerEntry.id).filter_by(reverses_id=entry.id).first() is not None:
        raise LedgerError("this entry has been reversed already")
    reversal = _new_entry(
        entry.case,
        entry.kind,
        -entry.amount_cents,
        booked_on=booked_on,
        source=entry.source,
        invoice=entry.invoice,
        description=reason,
        actor=actor,
    )
    reversal.reverses = entry
    if entry.kind in REDUCING_KINDS:
        reversal.allocations.extend(
            _part(reversal, a.invoice_id, a.component, -a.amount_cents) for a in entry.allocations
        )
    elif entry.kind is EntryKind.ADJUSTMENT and entry.amount_cents > 0:
        items = [
            i
            for i in open_items(entry.case_id)
            if i.invoice_id == entry.invoice_id and i.component is Component.PRINCIPAL
        ]
        _allocate(reversal, entry.amount_cents, items)
    return _book(reversal, entry.case, "ledger.reversal", actor, reverses=entry.id, reason=reason)


def record_direct_payment(
    case: Case,
    amount_cents: int,
    *,
    paid_on: date,
    today: date,
    note: str | None = None,
    actor: User | None = None,
) -> LedgerEntry:
    """Book what a client reports the debtor paid it directly; no money reaches the agency.

    It reduces the debt like any payment (costs, interest, then principal) and still counts
    for the agency's commission in the next remittance run.
    """
    from agency.ledger.queries import case_balance

    if not case.is_open:
        raise LedgerError("the case is closed; ask the agency to reopen it first")
    if paid_on > today:
        raise LedgerError("a payment cannot be reported before it was made")
    if paid_on < case.opened_on:
        raise LedgerError("payments before the handoff belong in the handed-over amounts")
    owed = case_balance(case.id).total
    if amount_cents <= 0 or amount_cents > owed:
        raise LedgerError(f"report an amount above zero and at most the {owed} cents owed")
    return book_reduction(
        case,
        EntryKind.DIRECT_PAYMENT,
        amount_cents,
        booked_on=paid_on,
        source=EntrySource.CLIENT,
        description=(note or "Rechtstreeks aan opdrachtgever betaald")[:255],
        actor=actor,
    )
