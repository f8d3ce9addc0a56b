"""Dunning policies with their ordered steps, letter templates and the outbox of messages."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.clients.models import Client, Segment
from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

LANGUAGES = ("nl", "en", "de", "fr")


class Channel(enum.Enum):
    LETTER = "letter"  # a PDF printed in the daily batch and posted
    EMAIL = "email"  # HTML and plain text with the PDF attached
    SMS = "sms"
    CLIENT_EMAIL = "client_email"  # a notice to the client (e.g. the case went to legal)


class OffsetFrom(enum.Enum):
    DUE_DATE = "due_date"  # days after the oldest open invoice's due date
    PREVIOUS_STEP = "previous_step"  # days after the previous step went out


class StepCosts(enum.Enum):
    NONE = "none"
    # The WIK costs that a sent 14-day letter stated, booked from the day after its term.
    WIK = "wik"
    # B2B: the fixed EUR 40 per invoice of art. 6:96 lid 4 BW, due without a letter.
    B2B_MINIMUM = "b2b_minimum"
    # Belgium, Book XIX WER: the capped damages, after the free reminder's 14 days.
    BE_DAMAGES = "be_damages"


class TemplateKind(enum.Enum):
    REMINDER = "reminder"
    SECOND_REMINDER = "second_reminder"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    SUMMONS = "summons"
    LEGAL_HANDOVER = "legal_handover"
    CLIENT_LEGAL_NOTICE = "client_legal_notice"
    B2B_NOTICE = "b2b_notice"
    BE_REMINDER = "be_reminder"
    BE_DAMAGES = "be_damages"


class MessageStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one dispatch job
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.CANCELLED)


class DeliveryStatus(enum.Enum):
    """What the phone network reported about a sent SMS (Twilio's status callback)."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


class DunningPolicy(db.Model):
    """The steps a case of one client, segment and debtor country goes through.

    A policy without a client is the agency's default for its segment and country.
    """

    __tablename__ = "dunning_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    segment: Mapped[Segment] = mapped_column(enum_column(Segment, "segment"))
    country: Mapped[str] = mapped_column(sa.String(2), default="NL")
    name: Mapped[str] = mapped_column(sa.String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    client: Mapped[Client | None] = relationship()
    steps: Mapped[list[DunningStep]] = relationship(
        back_populates="policy",
        order_by="DunningStep.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.UniqueConstraint("client_id", "segment", "country"),
        # NULLs are distinct in a unique constraint: one agency default per segment and country.
        sa.Index(
            "uq_dunning_policies_default",
            "segment",
            "country",
            unique=True,
            sqlite_where=sa.text("client_id IS NULL"),
            postgresql_where=sa.text("client_id IS NULL"),
        ),
        sa.CheckConstraint("country IN ('NL', 'BE')", name="country_supported"),
    )


class DunningStep(db.Model):
    """One step of a policy: when it is due, how it goes out and what it does to the balance."""

    __tablename__ = "dunning_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("dunning_policies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(80))
    offset_days: Mapped[int] = mapped_column()
    offset_from: Mapped[OffsetFrom] = mapped_column(enum_column(OffsetFrom, "offset_from"))
    # Comma-separated Channel values, e.g. "letter,email".
    channels: Mapped[str] = mapped_column(sa.String(60))
    template: Mapped[TemplateKind] = mapped_column(enum_column(TemplateKind, "template_kind"))
    costs: Mapped[StepCosts] = mapped_column(
        enum_column(StepCosts, "step_costs"), default=StepCosts.NONE
    )
    interest: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The letter of art. 6:96 lid 6 BW: it states the costs and starts the 14-day term.
    fourteen_day_letter: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    hand_to_legal: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    policy: Mapped[DunningPolicy] = relationship(back_populates="steps")

    __table_args__ = (
        sa.UniqueConstraint("policy_id", "position"),
        sa.CheckConstraint("offset_days >= 0", name="offset_not_negative"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
    )

    @property
    def channel_list(self) -> list[Channel]:
        return [Channel(c) for c in self.channels.split(",") if c]


class LetterTemplate(db.Model):
    """The editable wording of one kind of letter in one language, for a client or the agency.

    The parts the law requires (registration number, creditor, invoices, balance, how to pay
    and how to dispute) are not in the template: every letter prints them.
    """

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"))
    kind: Mapped[TemplateKind] = mapped_column(enum_column(TemplateKind, "template_kind"))
    language: Mapped[str] = mapped_column(sa.String(2))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    sms_text: Mapped[str] = mapped_column(sa.String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    client: Mapped[Client | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("client_id", "kind", "language"),
        sa.Index(
            "uq_letter_templates_default",
            "kind",
            "language",
            unique=True,
            sqlite_where=sa.text("client_id IS NULL"),
            postgresql_where=sa.text("client_id IS NULL"),
        ),
        sa.CheckConstraint("language IN ('nl', 'en', 'de', 'fr')", name="language_supported"),
    )


class Message(db.Model):
    """An outbox row: one step of one case over one channel, sent at most once."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    case_id: Mapped[int] = mapped_column()
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("dunning_steps.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"), default=MessageStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before this moment (legal hours, retry back-off).
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set (and committed) just before a live provider is called: a claim interrupted before
    # this sent nothing and may go again; one interrupted after it may have been sent.
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(120))
    provider_id: Mapped[str | None] = mapped_column(sa.String(120))
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    # Letters: the day of the print batch, taken as the posting day.
    posted_on: Mapped[date | None] = mapped_column(sa.Date)
    # 14-day letters: the term's last day, the first day costs may be booked, and the costs.
    term_ends_on: Mapped[date | None] = mapped_column(sa.Date)
    costs_from: Mapped[date | None] = mapped_column(sa.Date)
    stated_costs_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    # What was sent, as rendered (amounts, invoices, dates), so a letter can be printed again.
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # SMS: the network's final word on a sent message (set once by Twilio's status callback).
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status")
    )
    delivery_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    step: Mapped[DunningStep] = relationship()

    __table_args__ = (
        sa.ForeignKeyConstraint(["case_id", "client_id"], ["cases.id", "cases.client_id"]),
        # Exactly once: one message per case, step and channel, whatever runs twice.
        sa.UniqueConstraint("case_id", "step_id", "channel"),
        sa.Index(None, "status", "send_after"),
        sa.Index(None, "channel", "posted_on"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "stated_costs_cents IS NULL OR stated_costs_cents >= 0",
            name="stated_costs_not_negative",
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancel_reason IS NOT NULL)", name="cancelled_has_reason"
        ),
    )
