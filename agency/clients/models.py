"""The client (creditor) with its contract and branding."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

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
