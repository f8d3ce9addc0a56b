"""The monthly report's mailing: one row per client and month, claimed before anything is sent."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from agency.extensions import db
from agency.modeling import UTCDateTime, utcnow


class ReportMailing(db.Model):
    """A client's monthly report, e-mailed to its portal users once.

    The row is committed before the first e-mail goes out (sent_at set after the last), so the
    unique (client, month) lets one run mail a report and makes any other run skip it.
    """

    __tablename__ = "report_mailings"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    month: Mapped[date] = mapped_column(sa.Date)  # the first day of the month reported on
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.UniqueConstraint("client_id", "month"),
        sa.CheckConstraint("recipients >= 0", name="recipients_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<ReportMailing {self.client_id} {self.month:%Y-%m}>"
