"""Bank statements in: store each line once, match credits to cases and book them, sort debits.

A credit is matched on the case reference (structured, then anywhere in the free text), then
on the debtor's IBAN with exactly the amount a case owes; the rest waits for an operator, who
matches, splits or returns it. Debits are recognised as reversals of earlier credits, payouts
of remittance runs, commission moved to the agency's own account, refunds, or bank charges.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from agency import audit
from agency.auth.models import User
from agency.cases.models import Case, Debtor
from agency.cases.operations import reference_is_valid
from agency.errors import AgencyError
from agency.extensions import db
from agency.ledger.models import (
    BankBooking,
    BankStatement,
    BankTransaction,
    EntryKind,
    EntrySource,
    LedgerEntry,
    MatchMethod,
    RemittanceLine,
    RemittanceRun,
    TransactionStatus,
)
from agency.ledger.operations import book_reduction, reverse_entry
from agency.ledger.queries import case_balance
from agency.ledger.statements import ParsedStatement, StatementRejected, checksum, read_statement

T = TransactionStatus

# A 16-digit case reference, possibly written in groups ("5200 3100 0000 1740", "5200.3100...").
_REFERENCE = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){15}(?!\d)")


class MatchRefused(AgencyError):
    """An operator's match, split or return cannot be done as asked."""


@dataclass
class ImportResult:
    statement: BankStatement
    duplicate: bool
    new_lines: int = 0
    skipped_lines: int = 0  # lines already known from another file
    booked: int = 0
    unmatched: int = 0
    debits: int = 0


def references_in(text: str | None) -> list[str]:
    """Return the valid case references written anywhere in a text, in order."""
    found = []
    for match in _REFERENCE.finditer(text or ""):
        digits = re.sub(r"\D", "", match.group())
        if reference_is_valid(digits) and digits not in found:
            found.append(digits)
    return found


def _structured(reference: str | None) -> str | None:
    """Return the case reference in a structured creditor reference (plain or RF-wrapped)."""
    if not reference:
        return None
    compact = reference.replace(" ", "").upper()
    if compact.startswith("RF") and len(compact) > 4:
        compact = compact[4:]
    return compact if reference_is_valid(compact) else None


def find_case(txn: BankTransaction) -> tuple[Case, MatchMethod] | None:
    """Find the one case a credit pays, or None when an operator has to decide."""
    candidates = [r for r in [_structured(txn.reference)] if r] or references_in(txn.remittance)
    for reference in candidates:
        case = db.session.scalar(sa.select(Case).where(Case.reference == reference))
        if case is not None and case.is_open:
            return case, MatchMethod.REFERENCE
    if candidates or not txn.counterparty_iban:
        return None
    cases = db.session.scalars(
        sa.select(Case)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Debtor.iban == txn.counterparty_iban, Case.closed_on.is_(None))
    ).all()
    owing = [c for c in cases if case_balance(c.id).total == txn.amount_cents]
    if len(owing) == 1:
        return owing[0], MatchMethod.IBAN_AMOUNT
    return None


def book_credit(
    txn: BankTransaction,
    parts: Sequence[tuple[Case, int]],
    method: MatchMethod,
    *,
    actor: User | None = None,
) -> list[LedgerEntry]:
    """Book a credit as payments on one or more cases; the parts add up to the credit."""
    if txn.status is not T.UNMATCHED:
        raise MatchRefused("only an unmatched credit can be booked")
    if not parts or any(cents <= 0 for _, cents in parts):
        raise MatchRefused("every part must be a positive amount")
    if sum(cents for _, cents in parts) != txn.amount_cents:
        raise MatchRefused("the parts must add up to the amount of the credit")
    entries = []
    for case, cents in parts:
        entry = book_reduction(
            case,
            EntryKind.PAYMENT,
            cents,
            booked_on=txn.booked_on,
            source=EntrySource.BANK,
            description=f"Bank {txn.counterparty_name or ''} {txn.bank_reference or ''}".strip(),
            actor=actor,
        )
        db.session.add(
            BankBooking(
                transaction_id=txn.id,
                entry_id=entry.id,
                client_id=case.client_id,
                amount_cents=cents,
            )
        )
        entries.append(entry)
    txn.status = T.BOOKED
    txn.matched_by = method
    txn.handled_by_id = actor.id if actor else None
    db.session.flush()
    audit.record(
        "bank.booked",
        txn,
        actor=actor,
        method=method.value,
        parts=[[case.reference, cents] for case, cents in parts],
    )
    return entries


def return_credit(txn: BankTransaction, reason: str, *, actor: User | None = None) -> None:
    """Mark a credit to be paid back to its payer; the refund's debit settles it later."""
    if txn.status is not T.UNMATCHED:
        raise MatchRefused("only an unmatched credit can be returned")
    if not txn.counterparty_iban:
        raise MatchRefused("the payer's IBAN is unknown; the credit cannot be paid back")
    txn.status = T.RETURNED
    txn.note = reason[:255]
    txn.handled_by_id = actor.id if actor else None
    db.session.flush()
    audit.record("bank.returned", txn, actor=actor, reason=reason)


def _reverse(txn: BankTransaction, actor: User | None) -> None:
    """Undo the credit the bank took back: its bookings are reversed on the ledger."""
    candidates = db.session.scalars(
        sa.select(BankTransaction)
        .where(
            BankTransaction.amount_cents == -txn.amount_cents,
            BankTransaction.counterparty_iban == txn.counterparty_iban,
            BankTransaction.status.in_([T.BOOKED, T.UNMATCHED]),
            BankTransaction.id != txn.id,
        )
        .order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc())
    ).all()
    undone = set(
        db.session.scalars(
            sa.select(BankTransaction.related_id).where(BankTransaction.related_id.is_not(None))
        )
    )
    candidates = [c for c in candidates if c.id not in undone]
    same_text = [
        c for c in candidates if (c.remittance, c.reference) == (txn.remittance, txn.reference)
    ]
    original = (same_text or candidates or [None])[0]
    if original is None:
        txn.status = T.OTHER_DEBIT
        txn.note = "reversal of a credit that is not on an imported statement"
        return
    txn.status = T.REVERSAL
    txn.related_id = original.id
    if original.status is T.UNMATCHED:
        original.status = T.RETURNED
        original.note = "reversed by the bank"
        return
    already = set(
        db.session.scalars(
            sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
        )
    )
    for booking in original.bookings:
        if booking.entry_id in already:
            continue  # someone reversed it by hand before the bank's statement came
        reverse_entry(
            booking.entry,
            booked_on=txn.booked_on,
            reason=f"Storno bank {txn.bank_reference or ''}".strip(),
            actor=actor,
        )


def _sort_debit(
    txn: BankTransaction, is_charge: bool, office_iban: str | None, actor: User | None
) -> None:
    if txn.is_reversal:
        _reverse(txn, actor)
        return
    if office_iban and txn.counterparty_iban == office_iban:
        txn.status = T.COMMISSION
        return
    paid_runs = set(
        db.session.scalars(
            sa.select(BankTransaction.remittance_run_id).where(
                BankTransaction.remittance_run_id.is_not(None),
                BankTransaction.counterparty_iban == txn.counterparty_iban,
            )
        )
    )
    line = db.session.scalars(
        sa.select(RemittanceLine)
        .join(RemittanceRun)
        .where(
            RemittanceLine.iban == txn.counterparty_iban,
            RemittanceLine.payout_cents == -txn.amount_cents,
            RemittanceRun.id.not_in(paid_runs or {0}),
        )
        .order_by(RemittanceRun.number)
    ).first()
    if line is not None and txn.counterparty_iban:
        txn.status = T.PAYOUT
        txn.remittance_run_id = line.run_id
        return
    refunded = set(
        db.session.scalars(
            sa.select(BankTransaction.related_id).where(BankTransaction.related_id.is_not(None))
        )
    )
    returned = db.session.scalars(
        sa.select(BankTransaction).where(
            BankTransaction.status == T.RETURNED,
            BankTransaction.counterparty_iban == txn.counterparty_iban,
            BankTransaction.amount_cents == -txn.amount_cents,
        )
    ).all()
    returned = [r for r in returned if r.id not in refunded]
    if returned and txn.counterparty_iban:
        txn.status = T.REFUND
        txn.related_id = returned[0].id
        return
    if is_charge or not txn.counterparty_iban:
        txn.status = T.CHARGE
        return
    txn.status = T.OTHER_DEBIT


def import_statement(
    data: bytes,
    filename: str,
    *,
    account_iban: str,
    office_iban: str | None = None,
    actor: User | None = None,
) -> ImportResult:
    """Store a statement file, book what matches and sort the debits; the same file is a no-op."""
    digest = checksum(data)
    known = db.session.scalar(sa.select(BankStatement).where(BankStatement.checksum == digest))
    if known is not None:
        return ImportResult(known, duplicate=True)
    parsed = read_statement(data)
    if parsed.account_iban != account_iban.replace(" ", ""):
        raise StatementRejected(
            f"the statement is of account {parsed.account_iban}, not of the client-money "
            f"account {account_iban}"
        )
    return _store(parsed, filename, digest, office_iban=office_iban, actor=actor)


def _store(
    parsed: ParsedStatement,
    filename: str,
    digest: str,
    *,
    office_iban: str | None,
    actor: User | None,
) -> ImportResult:
    statement = BankStatement(
        format=parsed.format,
        account_iban=parsed.account_iban,
        statement_ref=parsed.statement_ref[:80],
        filename=filename[:255],
        checksum=digest,
        opening_cents=parsed.opening_cents,
        closing_cents=parsed.closing_cents,
        statement_date=parsed.statement_date,
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(statement)
    db.session.flush()
    result = ImportResult(statement, duplicate=False)
    keys = parsed.line_keys()
    seen = set(
        db.session.scalars(
            sa.select(BankTransaction.dedupe_key).where(BankTransaction.dedupe_key.in_(keys))
        )
    )
    for line, key in zip(parsed.lines, keys, strict=True):
        if key in seen:
            result.skipped_lines += 1
            continue
        txn = BankTransaction(
            statement_id=statement.id,
            dedupe_key=key,
            booked_on=line.booked_on,
            amount_cents=line.amount_cents,
            is_reversal=line.is_reversal,
            counterparty_name=(line.counterparty_name or "")[:140] or None,
            counterparty_iban=line.counterparty_iban,
            reference=(line.reference or "")[:140] or None,
            remittance=(line.remittance or "")[:500] or None,
            bank_reference=(line.bank_reference or "")[:140] or None,
            status=T.UNMATCHED if line.amount_cents > 0 else T.OTHER_DEBIT,
        )
        db.session.add(txn)
        db.session.flush()
        result.new_lines += 1
        if txn.amount_cents > 0:
            found = find_case(txn)
            if found is not None:
                book_credit(txn, [(found[0], txn.amount_cents)], found[1], actor=actor)
                result.booked += 1
            else:
                result.unmatched += 1
        else:
            _sort_debit(txn, line.is_charge, office_iban, actor)
            result.debits += 1
    db.session.flush()
    audit.record(
        "bank.statement_imported",
        statement,
        actor=actor,
        lines=result.new_lines,
        skipped=result.skipped_lines,
        booked=result.booked,
        unmatched=result.unmatched,
    )
    return result
