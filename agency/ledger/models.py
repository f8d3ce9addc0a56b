"""Ledger entries, the only source of balances, and the allocation of reductions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from agency.errors import AgencyError
from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from agency.cases.models import Case, Invoice
    from agency.clients.models import Client


class EntryKind(enum.Enum):
    PRINCIPAL = "principal"
    COST = "cost"
    INTEREST = "interest"
    PAYMENT = "payment"
    DIRECT_PAYMENT = "direct_payment"
    CREDIT_NOTE = "credit_note"
    ADJUSTMENT = "adjustment"
    WRITE_OFF = "write_off"


class Component(enum.Enum):
    """What part of a debt an amount belongs to, in the order art. 6:44 BW pays them."""

    COST = "cost"
    INTEREST = "interest"
    PRINCIPAL = "principal"
    OVERPAYMENT = "overpayment"


class EntrySource(enum.Enum):
    HANDOFF = "handoff"
    DUNNING = "dunning"
    PAYLINK = "paylink"
    BANK = "bank"
    AGENT = "agent"
    CLIENT = "client"
    SYSTEM = "system"


# Kinds that add to what the debtor owes, and the component they add to.
CHARGE_COMPONENT = {
    EntryKind.PRINCIPAL: Component.PRINCIPAL,
    EntryKind.COST: Component.COST,
    EntryKind.INTEREST: Component.INTEREST,
}
# Kinds that reduce what the debtor owes; their amount is split into allocations.
REDUCING_KINDS = frozenset(
    {EntryKind.PAYMENT, EntryKind.DIRECT_PAYMENT, EntryKind.CREDIT_NOTE, EntryKind.WRITE_OFF}
)


class LedgerEntry(db.Model):
    """A signed amount on a case: positive adds to the debt, negative reduces it."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "entry_kind"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    booked_on: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[EntrySource] = mapped_column(enum_column(EntrySource, "entry_source"))
    description: Mapped[str | None] = mapped_column(sa.String(255))
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    invoice: Mapped[Invoice | None] = relationship()
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="entry", foreign_keys="Allocation.entry_id", cascade="all, delete-orphan"
    )
    reverses: Mapped[LedgerEntry | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id", "booked_on"),
        # The reports: one client's entries of a kind up to a day.
        sa.Index(
            None,
            "client_id",
            "kind",
            "booked_on",
            postgresql_include=["amount_cents", "case_id", "invoice_id", "reverses_id"],
        ),
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        # The sign follows the kind; a reversal carries the opposite sign of what it reverses.
        sa.CheckConstraint(
            "kind = 'adjustment' OR (reverses_id IS NULL) = ("
            "(kind IN ('principal', 'cost', 'interest') AND amount_cents > 0) OR "
            "(kind IN ('payment', 'direct_payment', 'credit_note', 'write_off')"
            " AND amount_cents < 0))",
            name="sign_follows_kind",
        ),
        sa.CheckConstraint(
            "kind NOT IN ('principal', 'credit_note', 'adjustment') OR invoice_id IS NOT NULL",
            name="invoice_given_where_needed",
        ),
    )


class Allocation(db.Model):
    """The part of a reducing entry that settles one component of one invoice (or the case).

    The allocations of an entry add up to minus its amount.
    """

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id", ondelete="CASCADE"))
    # The entry's client, kind and day, carried along (entries never change) so that a
    # client's reports read its allocations alone, without joining every one to its entry.
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "entry_kind"))
    booked_on: Mapped[date] = mapped_column(sa.Date)
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    component: Mapped[Component] = mapped_column(enum_column(Component, "component"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    entry: Mapped[LedgerEntry] = relationship(back_populates="allocations", foreign_keys=[entry_id])

    __table_args__ = (
        sa.Index(None, "entry_id"),
        sa.Index(None, "invoice_id"),
        # The reports: one client's principal (or other component) allocations up to a day.
        sa.Index(
            None,
            "client_id",
            "component",
            "booked_on",
            postgresql_include=["kind", "invoice_id", "amount_cents", "entry_id"],
        ),
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        sa.CheckConstraint(
            "component <> 'overpayment' OR invoice_id IS NULL", name="overpayment_on_case"
        ),
    )


# --- client money: bank statements, matching, remittance ---------------------------------


class StatementFormat(enum.Enum):
    CAMT053 = "camt053"
    MT940 = "mt940"


class TransactionStatus(enum.Enum):
    """What became of one line of a bank statement."""

    UNMATCHED = "unmatched"  # a credit waiting for an operator
    BOOKED = "booked"  # a credit booked as payment(s) on one or more cases
    RETURNED = "returned"  # a credit the operator sends back to the payer
    REVERSAL = "reversal"  # the bank took back an earlier credit (charge-back, storno)
    PAYOUT = "payout"  # a remittance to a client
    COMMISSION = "commission"  # commission moved to the agency's own account
    REFUND = "refund"  # money sent back to a payer (a returned credit, an overpayment)
    CHARGE = "charge"  # the bank's own charges
    OTHER_DEBIT = "other_debit"  # a debit nothing explains yet


class MatchMethod(enum.Enum):
    REFERENCE = "reference"
    IBAN_AMOUNT = "iban_amount"
    OPERATOR = "operator"


class BankStatement(db.Model):
    """One imported statement file of the client-money account; the same file is stored once."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[StatementFormat] = mapped_column(
        enum_column(StatementFormat, "statement_format")
    )
    account_iban: Mapped[str] = mapped_column(sa.String(34))
    statement_ref: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(255))
    checksum: Mapped[str] = mapped_column(sa.String(64), unique=True)
    opening_cents: Mapped[int] = mapped_column(sa.BigInteger)
    closing_cents: Mapped[int] = mapped_column(sa.BigInteger)
    statement_date: Mapped[date] = mapped_column(sa.Date)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    transactions: Mapped[list[BankTransaction]] = relationship(
        back_populates="statement", order_by="BankTransaction.id"
    )


class BankTransaction(db.Model):
    """One credit (positive cents) or debit (negative cents) on the client-money account."""

    __tablename__ = "bank_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_statements.id"), index=True)
    # Identifies the line across files (bank reference, or date/amount/parties/text): a line
    # that arrives again in another statement file is not booked twice.
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    booked_on: Mapped[date] = mapped_column(sa.Date)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    is_reversal: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    counterparty_name: Mapped[str | None] = mapped_column(sa.String(140))
    counterparty_iban: Mapped[str | None] = mapped_column(sa.String(34))
    reference: Mapped[str | None] = mapped_column(sa.String(140))  # structured creditor ref
    remittance: Mapped[str | None] = mapped_column(sa.String(500))  # free text
    bank_reference: Mapped[str | None] = mapped_column(sa.String(140))
    status: Mapped[TransactionStatus] = mapped_column(
        enum_column(TransactionStatus, "transaction_status")
    )
    matched_by: Mapped[MatchMethod | None] = mapped_column(enum_column(MatchMethod, "match_method"))
    remittance_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("remittance_runs.id"))
    # A refund debit points at the credit it pays back; a reversal at the credit it undoes.
    related_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_transactions.id"))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    statement: Mapped[BankStatement] = relationship(back_populates="transactions")
    bookings: Mapped[list[BankBooking]] = relationship(back_populates="transaction")
    related: Mapped[BankTransaction | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.Index(None, "status"),
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        sa.CheckConstraint(
            "(status IN ('unmatched', 'booked', 'returned')) = (amount_cents > 0)",
            name="status_follows_sign",
        ),
    )


class BankBooking(db.Model):
    """The part of a bank credit booked as one payment entry on one case."""

    __tablename__ = "bank_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_transactions.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    transaction: Mapped[BankTransaction] = relationship(back_populates="bookings")
    entry: Mapped[LedgerEntry] = relationship()

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)


class RemittanceMode(enum.Enum):
    NET = "net"  # collected for the client minus commission
    GROSS = "gross"  # everything; commission on a separate invoice


class RemittanceRun(db.Model):
    """A numbered, locked remittance document: what each client was paid for which entries."""

    __tablename__ = "remittance_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    cutoff_on: Mapped[date] = mapped_column(sa.Date)
    execution_on: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sepa_xml: Mapped[str | None] = mapped_column(sa.Text)

    lines: Mapped[list[RemittanceLine]] = relationship(
        back_populates="run", order_by="RemittanceLine.client_id"
    )

    __table_args__ = (sa.CheckConstraint("number > 0", name="number_positive"),)


class RemittanceLine(db.Model):
    """One client's part of a run, in cents; the statement and invoice are printed from it."""

    __tablename__ = "remittance_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("remittance_runs.id"))
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    mode: Mapped[RemittanceMode] = mapped_column(enum_column(RemittanceMode, "remittance_mode"))
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    collected_cents: Mapped[int] = mapped_column(sa.BigInteger)  # at the agency
    direct_cents: Mapped[int] = mapped_column(sa.BigInteger)  # paid to the client directly
    principal_cents: Mapped[int] = mapped_column(sa.BigInteger)  # the commission's base
    kept_cents: Mapped[int] = mapped_column(sa.BigInteger)  # costs and interest the agency keeps
    commission_cents: Mapped[int] = mapped_column(sa.BigInteger)
    vat_cents: Mapped[int] = mapped_column(sa.BigInteger)
    payout_cents: Mapped[int] = mapped_column(sa.BigInteger)
    invoice_due_cents: Mapped[int] = mapped_column(sa.BigInteger)  # the client owes the agency

    run: Mapped[RemittanceRun] = relationship(back_populates="lines")
    client: Mapped[Client] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("run_id", "client_id"),
        sa.CheckConstraint("payout_cents >= 0", name="payout_not_negative"),
        sa.CheckConstraint("invoice_due_cents >= 0", name="invoice_due_not_negative"),
        sa.CheckConstraint("vat_cents >= 0 OR commission_cents < 0", name="vat_follows_commission"),
    )

    @property
    def retained_cents(self) -> int:
        """What the agency keeps of the money it holds for this client in this run."""
        return self.collected_cents - self.payout_cents


class RemittedEntry(db.Model):
    """A payment or direct payment settled in a run; an entry goes into one run only."""

    __tablename__ = "remitted_entries"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("remittance_runs.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))

    entry: Mapped[LedgerEntry] = relationship()


class RunLocked(AgencyError):
    """Something tried to change a remittance run after it was made."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_run_changes(session, flush_context, instances) -> None:
    """A run is a locked document: corrections go into the next run, never into this one."""
    locked = (RemittanceRun, RemittanceLine, RemittedEntry)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, locked) and (obj in session.deleted or session.is_modified(obj)):
            raise RunLocked("a remittance run cannot be changed; book a correction instead")
