"""Records of messages and charges that a sandboxed provider did not really send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.extensions import db
from agency.modeling import UTCDateTime, utcnow


class SandboxRecord(db.Model):
    __tablename__ = "sandbox_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    service: Mapped[str] = mapped_column(sa.String(20))  # mail, twilio, mollie, stripe
    action: Mapped[str] = mapped_column(sa.String(40))  # e.g. "sms", "email", "payment"
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    summary: Mapped[str] = mapped_column(sa.String(255))
    amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
