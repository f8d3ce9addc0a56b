"""The client (creditor) with its contract and branding."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow


class Segment(enum.Enum):
    B2B = "b2b"
    B2C = "b2c"


class Client(db.Model):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kvk_number: Mapped[str | None] = mapped_column(sa.String(8))
    vat_number: Mapped[str | None] = mapped_column(sa.String(20))
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    street: Mapped[str | None] = mapped_column(sa.String(160))
    postcode: Mapped[str | None] = mapped_column(sa.String(12))
    city: Mapped[str | None] = mapped_column(sa.String(80))
    country: Mapped[str] = mapped_column(sa.String(2), default="NL")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))

    # Contract
    commission_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("15.00"))
    agency_keeps_costs: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # Client money (agency/ledger/commission.py): how commission is computed and paid out.
    contract_kind: Mapped[str] = mapped_column(sa.String(20), default="flat")
    # For "age_tiered": [[minimum age of the claim at handoff in days, percentage], ...]
    commission_tiers: Mapped[list] = mapped_column(sa.JSON, default=list)
    agency_keeps_interest: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    remittance_mode: Mapped[str] = mapped_column(sa.String(5), default="net")
    # The client declared it cannot deduct VAT, so VAT is charged on top of collection costs.
    vat_on_costs: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    default_segment: Mapped[Segment] = mapped_column(
        enum_column(Segment, "segment"), default=Segment.B2B
    )
    new_payment_term_days: Mapped[int | None] = mapped_column()
    plan_max_instalments: Mapped[int] = mapped_column(default=6)
    plan_min_instalment_cents: Mapped[int] = mapped_column(sa.BigInteger, default=2500)
    priority: Mapped[int] = mapped_column(default=0)

    # Branding
    sender_name: Mapped[str | None] = mapped_column(sa.String(120))
    brand_colour: Mapped[str] = mapped_column(sa.String(7), default="#1f4e79")
    brand_font: Mapped[str] = mapped_column(sa.String(40), default="Helvetica")
    logo_path: Mapped[str | None] = mapped_column(sa.String(255))
    languages: Mapped[str] = mapped_column(sa.String(20), default="nl,en")

    is_active_client: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "commission_pct >= 0 AND commission_pct <= 100", name="commission_pct_range"
        ),
        sa.CheckConstraint("remittance_mode IN ('net', 'gross')", name="remittance_mode_known"),
        sa.CheckConstraint(
            "new_payment_term_days IS NULL OR new_payment_term_days > 0",
            name="payment_term_positive",
        ),
        sa.CheckConstraint("plan_max_instalments >= 1", name="plan_max_instalments_positive"),
        sa.CheckConstraint(
            "plan_min_instalment_cents >= 0", name="plan_min_instalment_not_negative"
        ),
        sa.CheckConstraint(
            "length(brand_colour) = 7 AND substr(brand_colour, 1, 1) = '#'", name="brand_colour_hex"
        ),
    )

    def __repr__(self) -> str:
        return f"<Client {self.code}>"


class HandoffStatus(enum.Enum):
    UPLOADED = "uploaded"  # stored; columns to map
    VALIDATING = "validating"
    VALIDATED = "validated"  # row report ready; waiting for the client to confirm
    REJECTED = "rejected"  # the file as a whole cannot be used
    DUPLICATE = "duplicate"  # the same file was imported before; nothing to do
    QUEUED = "queued"
    IMPORTING = "importing"
    IMPORTED = "imported"
    FAILED = "failed"


class HandoffSource(enum.Enum):
    PORTAL = "portal"
    API = "api"
    CLI = "cli"


class Handoff(db.Model):
    """A file (or API batch) of invoices a client handed over, with its report and progress."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[HandoffSource] = mapped_column(enum_column(HandoffSource, "handoff_source"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    checksum: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[HandoffStatus] = mapped_column(
        enum_column(HandoffStatus, "handoff_status"), default=HandoffStatus.UPLOADED
    )
    # column index (as text) -> field name, as confirmed for this file
    mapping: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    skip_invalid: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    report: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("handoffs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index(None, "client_id", "checksum"),
        sa.CheckConstraint("size_bytes >= 0", name="size_not_negative"),
    )


class HeaderMapping(db.Model):
    """A column header a client's files use, and the field it means (remembered per client)."""

    __tablename__ = "header_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    header: Mapped[str] = mapped_column(sa.String(120))  # normalised header text
    field: Mapped[str] = mapped_column(sa.String(40))  # "" means: ignore this column

    __table_args__ = (sa.UniqueConstraint("client_id", "header"),)


class ApiToken(db.Model):
    """A client's token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
