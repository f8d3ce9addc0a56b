"""Column helpers shared by the domain models: UTC timestamps and enums stored by value."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored without zone in UTC and read back as an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """Store an enum as its value in a VARCHAR with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


AGENCY_TZ = ZoneInfo("Europe/Amsterdam")


def today() -> date:
    """Return today's date where the agency works (Europe/Amsterdam)."""
    return datetime.now(AGENCY_TZ).date()
