"""Debtor, Invoice, Case and the statutory interest rates."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.clients.models import Client, Segment
from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from agency.auth.models import User


class DebtorKind(enum.Enum):
    PERSON = "person"
    COMPANY = "company"


class CaseStatus(enum.Enum):
    NEW = "new"
    DUNNING = "dunning"
    PROMISED = "promised"
    ARRANGEMENT = "arrangement"
    DISPUTED = "disputed"
    LEGAL = "legal"
    PAID = "paid"
    RETURNED = "returned"
    WRITTEN_OFF = "written_off"

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES


CLOSED_STATUSES = frozenset({CaseStatus.PAID, CaseStatus.RETURNED, CaseStatus.WRITTEN_OFF})


class InterestKind(enum.Enum):
    CONSUMER = "consumer"  # art. 6:119 BW
    COMMERCIAL = "commercial"  # art. 6:119a BW


class Debtor(db.Model):
    __tablename__ = "debtors"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    debtor_code: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[DebtorKind] = mapped_column(enum_column(DebtorKind, "debtor_kind"))
    name: Mapped[str] = mapped_column(sa.String(160))
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    street: Mapped[str | None] = mapped_column(sa.String(160))
    postcode: Mapped[str | None] = mapped_column(sa.String(12))
    city: Mapped[str | None] = mapped_column(sa.String(80))
    country: Mapped[str] = mapped_column(sa.String(2), default="NL")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(16))  # E.164
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    timezone: Mapped[str] = mapped_column(sa.String(40), default="Europe/Amsterdam")
    kvk_number: Mapped[str | None] = mapped_column(sa.String(8))
    vat_number: Mapped[str | None] = mapped_column(sa.String(20))
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    handoff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handoffs.id"))
    consent_email: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    consent_sms: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    client: Mapped[Client] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("client_id", "debtor_code"),
        # Target of the composite keys keeping a case's and invoice's client equal to the debtor's.
        sa.UniqueConstraint("id", "client_id"),
        sa.CheckConstraint("phone IS NULL OR phone LIKE '+%'", name="phone_e164"),
        sa.CheckConstraint("length(country) = 2", name="country_iso2"),
    )


class Case(db.Model):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    debtor_id: Mapped[int] = mapped_column()
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    segment: Mapped[Segment] = mapped_column(enum_column(Segment, "segment"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "case_status"), default=CaseStatus.NEW
    )
    assigned_agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    priority_score: Mapped[int] = mapped_column(default=0)
    next_action_on: Mapped[date | None] = mapped_column(sa.Date)
    paused_reason: Mapped[str | None] = mapped_column(sa.String(40))
    paused_until: Mapped[date | None] = mapped_column(sa.Date)
    opened_on: Mapped[date] = mapped_column(sa.Date)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    debtor: Mapped[Debtor] = relationship(foreign_keys=[debtor_id])
    assigned_agent: Mapped[User | None] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="case", order_by="Invoice.due_date", foreign_keys="Invoice.case_id"
    )

    __table_args__ = (
        sa.ForeignKeyConstraint(["debtor_id", "client_id"], ["debtors.id", "debtors.client_id"]),
        sa.UniqueConstraint("id", "client_id"),
        # One open case per debtor per client.
        sa.Index(
            "uq_cases_open_per_debtor",
            "client_id",
            "debtor_id",
            unique=True,
            sqlite_where=sa.text("closed_on IS NULL"),
            postgresql_where=sa.text("closed_on IS NULL"),
        ),
        sa.Index(None, "status", "next_action_on"),
        # The reports: one client's cases (open on a day, per status).
        sa.Index(None, "client_id", postgresql_include=["status", "opened_on", "closed_on"]),
        # The queues walk cases by priority, then next action (agency/cases/priority.py).
        sa.Index(None, "priority_score", "next_action_on", "id"),
        # "My queue" and "Unassigned": one agent's (or nobody's) cases in that order.
        sa.Index(None, "assigned_agent_id", "priority_score", "next_action_on", "id"),
        sa.CheckConstraint(
            "(status IN ('paid', 'returned', 'written_off')) = (closed_on IS NOT NULL)",
            name="closed_iff_closed_on",
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on", name="closed_after_opened"
        ),
        sa.CheckConstraint(
            "paused_until IS NULL OR paused_reason IS NOT NULL", name="pause_has_reason"
        ),
    )

    @property
    def is_open(self) -> bool:
        return not self.status.is_closed


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    debtor_id: Mapped[int] = mapped_column()
    case_id: Mapped[int | None] = mapped_column()
    number: Mapped[str] = mapped_column(sa.String(40))
    invoice_date: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    paid_before_handoff_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    # Set for historic invoices the client handed over as payment history.
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    handoff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handoffs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    debtor: Mapped[Debtor] = relationship(foreign_keys=[debtor_id])
    case: Mapped[Case | None] = relationship(back_populates="invoices", foreign_keys=[case_id])

    __table_args__ = (
        sa.ForeignKeyConstraint(["debtor_id", "client_id"], ["debtors.id", "debtors.client_id"]),
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.UniqueConstraint("client_id", "number"),
        sa.Index(None, "debtor_id"),
        # The reports: one client's invoices by invoice date (sales, receivables).
        sa.Index(
            None,
            "client_id",
            "invoice_date",
            postgresql_include=["paid_on", "amount_cents", "case_id"],
        ),
        sa.Index(None, "case_id"),
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        sa.CheckConstraint("due_date >= invoice_date", name="due_not_before_invoice"),
        sa.CheckConstraint(
            "paid_before_handoff_cents >= 0", name="paid_before_handoff_not_negative"
        ),
        sa.CheckConstraint(
            "amount_cents < 0 OR paid_before_handoff_cents <= amount_cents",
            name="paid_before_handoff_within_amount",
        ),
        sa.CheckConstraint("reminders_sent >= 0", name="reminders_not_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso"),
    )


class InterestRate(db.Model):
    """A statutory interest rate valid from a date until the next row of its kind."""

    __tablename__ = "interest_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InterestKind] = mapped_column(enum_column(InterestKind, "interest_kind"))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    rate_pct: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3))

    __table_args__ = (
        sa.UniqueConstraint("kind", "valid_from"),
        sa.CheckConstraint("rate_pct >= 0 AND rate_pct < 100", name="rate_pct_range"),
    )
