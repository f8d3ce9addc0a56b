"""Users of the back office and the client portal."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency.extensions import db
from agency.modeling import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from agency.clients.models import Client


class Role(enum.Enum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    CLIENT = "client"

    @property
    def is_staff(self) -> bool:
        return self is not Role.CLIENT


STAFF_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="nl")
    is_active_user: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # The time step of the last code accepted: a code is good for one login only (RFC 6238 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client | None] = relationship()

    __table_args__ = (
        # A client user belongs to exactly one client; staff belong to none.
        sa.CheckConstraint(
            "(role = 'client' AND client_id IS NOT NULL)"
            " OR (role <> 'client' AND client_id IS NULL)",
            name="client_users_have_a_client",
        ),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
    )

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
