"""Ledger entries, the only source of balances, and the allocation of reductions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from agency.cases.models import Case, Invoice


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
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    component: Mapped[Component] = mapped_column(enum_column(Component, "component"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    entry: Mapped[LedgerEntry] = relationship(back_populates="allocations", foreign_keys=[entry_id])

    __table_args__ = (
        sa.Index(None, "entry_id"),
        sa.Index(None, "invoice_id"),
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        sa.CheckConstraint(
            "component <> 'overpayment' OR invoice_id IS NULL", name="overpayment_on_case"
        ),
    )
