"""The debtor's payment link (only the token's hash is stored), the payments started through a
provider, and the debtor's requests that need a person (with the files sent along)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.cases.models import Case
from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow


class PayToken(db.Model):
    """One generation of a case's payment link. Revoking bumps the generation, so the letters
    print a new link; only sha256(token) is kept."""

    __tablename__ = "pay_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong answers to the check since the last right one; a run of them locks the link.
    failed_checks: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("case_id", "generation"),
        sa.CheckConstraint("generation >= 0", name="generation_not_negative"),
        sa.CheckConstraint("failed_checks >= 0", name="failed_checks_not_negative"),
    )


class PaymentStatus(enum.Enum):
    OPEN = "open"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self is not PaymentStatus.OPEN


PROVIDERS = ("sandbox", "mollie", "stripe")


class ProviderPayment(db.Model):
    """A payment the debtor started on the payment page, as the provider reports it."""

    __tablename__ = "provider_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and url-safe: the return URL and the sandbox page carry it, never the row id.
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(16))
    provider_payment_id: Mapped[str | None] = mapped_column(sa.String(255))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "provider_payment_status"), default=PaymentStatus.OPEN
    )
    checkout_url: Mapped[str | None] = mapped_column(sa.String(2000))
    ledger_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_entries.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship()

    __table_args__ = (
        # One booking per provider payment: a replayed webhook finds the row and books nothing.
        sa.UniqueConstraint("provider", "provider_payment_id"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("currency = 'EUR'", name="currency_eur"),
        sa.CheckConstraint("provider IN ('sandbox', 'mollie', 'stripe')", name="provider_known"),
    )


class RequestKind(enum.Enum):
    ALREADY_PAID = "already_paid"  # with proof: someone checks the bank and the client
    INVOICE_COPY = "invoice_copy"
    CALLBACK = "callback"
    CONTACT_DETAILS = "contact_details"
    PLAN = "plan"  # a plan outside the client's rules, waiting for a supervisor


class RequestStatus(enum.Enum):
    OPEN = "open"
    DONE = "done"


class DebtorRequest(db.Model):
    """Something the debtor asked on the payment page that a person handles from the queue."""

    __tablename__ = "debtor_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind, "debtor_request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "debtor_request_status"), default=RequestStatus.OPEN
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_entries.id"))
    arrangement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("arrangements.id"))
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    files: Mapped[list[DebtorFile]] = relationship(
        back_populates="request", order_by="DebtorFile.id"
    )

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id", "status"),
        sa.Index(None, "status", "created_at"),
        sa.CheckConstraint("amount_cents IS NULL OR amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("(status = 'open') = (handled_at IS NULL)", name="handled_iff_done"),
    )


class DebtorFile(db.Model):
    """A file the debtor sent with a request (proof of payment), stored outside the web root
    the way dispute files are."""

    __tablename__ = "debtor_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("debtor_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[DebtorRequest] = relationship(back_populates="files")

    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_not_negative"),)
