"""Contact entries (append-only), promises to pay, payment arrangements with their instalments,
agreements on a shorter payment term, and disputes with their files."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from agency.errors import AgencyError
from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from agency.auth.models import User
    from agency.cases.models import Case, Debtor, Invoice


class Channel(enum.Enum):
    CALL_OUT = "call_out"
    CALL_IN = "call_in"
    SMS_OUT = "sms_out"
    SMS_IN = "sms_in"
    EMAIL_OUT = "email_out"
    EMAIL_IN = "email_in"
    LETTER = "letter"
    PORTAL = "portal"


class Outcome(enum.Enum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    PROMISE = "promise"
    DISPUTE = "dispute"
    REFUSED = "refused"
    PAYMENT_TERM = "payment_term"
    CALLBACK = "callback"
    SENT = "sent"  # an SMS, e-mail or letter that went out
    DIALLED = "dialled"  # a click-to-call was placed; the agent logs how it went
    # What the phone network reported about a sent SMS (Twilio's status callback).
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # the carrier could not hand it to the phone
    FAILED = "failed"  # Twilio could not send it at all


# Outcomes only the system writes: the agent's form does not offer them.
SYSTEM_OUTCOMES = (
    Outcome.SENT,
    Outcome.DIALLED,
    Outcome.DELIVERED,
    Outcome.UNDELIVERED,
    Outcome.FAILED,
)


class ContactEntry(db.Model):
    """One contact with (or attempt to reach) the debtor. Never changed: a correction is a new
    entry that points at the one it corrects."""

    __tablename__ = "contact_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "contact_channel"))
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "contact_outcome"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    duration_seconds: Mapped[int | None] = mapped_column()
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provider_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The agent's request behind a call or SMS sent by a job: a second run sends nothing.
    request_key: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[User | None] = relationship()
    corrects: Mapped[ContactEntry | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id", "occurred_at"),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name="duration_not_negative"
        ),
    )


class ContactLogTampering(AgencyError):
    """Something tried to change or delete a contact entry."""


@event.listens_for(Session, "before_flush")
def _refuse_contact_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ContactEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise ContactLogTampering("the contact log is append-only; add a correction")


class PromiseStatus(enum.Enum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"  # replaced by a new promise, or ended by a dispute


class Promise(db.Model):
    """The debtor's promise to pay an amount by a date; the ledger decides whether it was kept."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id"), index=True)
    contact_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_entries.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    made_on: Mapped[date] = mapped_column(sa.Date)
    promised_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[PromiseStatus] = mapped_column(
        enum_column(PromiseStatus, "promise_status"), default=PromiseStatus.OPEN
    )
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    settled_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id"),
        sa.Index(None, "client_id"),
        # At most one open promise per case.
        sa.Index(
            "uq_promises_open_per_case",
            "case_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("promised_on >= made_on", name="promised_not_before_made"),
        sa.CheckConstraint("(status = 'open') = (settled_on IS NULL)", name="settled_iff_not_open"),
    )


class ArrangementStatus(enum.Enum):
    PROPOSED = "proposed"  # outside the client's plan rules: waits for a supervisor
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class Arrangement(db.Model):
    """A payment plan: the debt paid in instalments on agreed dates."""

    __tablename__ = "arrangements"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id"), index=True)
    status: Mapped[ArrangementStatus] = mapped_column(
        enum_column(ArrangementStatus, "arrangement_status")
    )
    total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    made_on: Mapped[date] = mapped_column(sa.Date)
    # Why it needed a supervisor (outside the plan rules), empty when within them.
    exceeds_rules: Mapped[str | None] = mapped_column(sa.String(255))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instalments: Mapped[list[Instalment]] = relationship(
        back_populates="arrangement", order_by="Instalment.seq", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id"),
        sa.Index(None, "client_id", "status"),
        # At most one running (proposed or active) arrangement per case.
        sa.Index(
            "uq_arrangements_running_per_case",
            "case_id",
            unique=True,
            sqlite_where=sa.text("status IN ('proposed', 'active')"),
            postgresql_where=sa.text("status IN ('proposed', 'active')"),
        ),
        sa.CheckConstraint("total_cents > 0", name="total_positive"),
        sa.CheckConstraint(
            "status <> 'active' OR exceeds_rules IS NULL OR approved_by_id IS NOT NULL",
            name="outside_rules_needs_approval",
        ),
    )


class InstalmentStatus(enum.Enum):
    OPEN = "open"
    PAID = "paid"
    MISSED = "missed"


class Instalment(db.Model):
    __tablename__ = "instalments"

    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("arrangements.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column()
    due_on: Mapped[date] = mapped_column(sa.Date)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[InstalmentStatus] = mapped_column(
        enum_column(InstalmentStatus, "instalment_status"), default=InstalmentStatus.OPEN
    )

    arrangement: Mapped[Arrangement] = relationship(back_populates="instalments")

    __table_args__ = (
        sa.UniqueConstraint("arrangement_id", "seq"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )


class PaymentTermAgreement(db.Model):
    """The debtor accepted the client's new, shorter payment term for future invoices."""

    __tablename__ = "payment_term_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    case_id: Mapped[int] = mapped_column()
    debtor_id: Mapped[int] = mapped_column(sa.ForeignKey("debtors.id"), index=True)
    contact_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_entries.id"))
    old_days: Mapped[int] = mapped_column()
    new_days: Mapped[int] = mapped_column()
    agreed_on: Mapped[date] = mapped_column(sa.Date)
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[User | None] = relationship()
    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    debtor: Mapped[Debtor] = relationship()

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.CheckConstraint("new_days > 0 AND new_days < old_days", name="new_term_shorter"),
    )


class DisputeReason(enum.Enum):
    NOT_DELIVERED = "not_delivered"
    DEFECTIVE = "defective"
    WRONG_AMOUNT = "wrong_amount"
    ALREADY_PAID = "already_paid"
    NOT_ORDERED = "not_ordered"
    OTHER = "other"


class DisputeStatus(enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"  # the client agrees with the debtor: the amount is credited
    REJECTED = "rejected"  # the claim stands: collection resumes


class Dispute(db.Model):
    """The debtor contests (part of) an invoice; dunning waits until the client decides."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"))
    reason: Mapped[DisputeReason] = mapped_column(enum_column(DisputeReason, "dispute_reason"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[DisputeStatus] = mapped_column(
        enum_column(DisputeStatus, "dispute_status"), default=DisputeStatus.OPEN
    )
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    files: Mapped[list[DisputeFile]] = relationship(
        back_populates="dispute", order_by="DisputeFile.id"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        sa.Index(None, "case_id"),
        sa.Index(None, "client_id", "status"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)", name="resolved_iff_not_open"
        ),
    )


class DisputeFile(db.Model):
    """A document the debtor sent with a dispute, stored outside the web root."""

    __tablename__ = "dispute_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("disputes.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dispute: Mapped[Dispute] = relationship(back_populates="files")

    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_not_negative"),)
